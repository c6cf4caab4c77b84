"""supportdesk."""
