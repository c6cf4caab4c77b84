"""The web edge: `create_app()`, request dependencies, error mapping, API router assembly."""

from supportdesk.web.app import create_app

__all__ = ["create_app"]
