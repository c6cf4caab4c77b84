"""Notifications: a narrow `Notifier` port, an outbox table and its dispatcher."""
