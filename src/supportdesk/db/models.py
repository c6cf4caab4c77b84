"""Import every table module so `Base.metadata` is complete (Alembic, tests)."""

from supportdesk.auth import models as auth_models
from supportdesk.db.base import Base
from supportdesk.directory import models as directory_models
from supportdesk.notifications import models as notification_models
from supportdesk.tickets import models as ticket_models
from supportdesk.web import sessions as web_session_models
from supportdesk.web import uploads as web_upload_models

metadata = Base.metadata

__all__ = [
    "auth_models",
    "directory_models",
    "metadata",
    "notification_models",
    "ticket_models",
    "web_session_models",
    "web_upload_models",
]
