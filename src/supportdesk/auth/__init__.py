"""API tokens, principals and authorisation rules."""
