"""Database access: settings, engine and session factories, the declarative base, migrations."""

from supportdesk.db.base import Base
from supportdesk.db.engine import make_engine, make_session_factory
from supportdesk.db.settings import Settings, get_settings

__all__ = ["Base", "Settings", "get_settings", "make_engine", "make_session_factory"]
