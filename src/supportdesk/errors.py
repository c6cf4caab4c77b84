"""Our own exception hierarchy. Services raise these; the web edge maps them to JSON errors
(`supportdesk.web.errors`), the CLI to messages. Each class has a stable `code`.

    SupportdeskError
    ├── NotFound               the thing does not exist, or the caller may not know it exists
    ├── AuthenticationFailed   no or bad credentials
    ├── PermissionDenied       a known caller may see the thing but not do this to it
    ├── InvalidInput           a value is wrong; `field` names it
    └── Conflict               the request clashes with the current state
        ├── InvalidTransition  the status machine refuses the change
        ├── IdempotencyConflict the same Idempotency-Key was used with a different body
        └── AlreadyExists      a unique value (e.g. an email) is taken
"""

from __future__ import annotations


class SupportdeskError(Exception):
    code = "error"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code


class NotFound(SupportdeskError):
    code = "not_found"


class AuthenticationFailed(SupportdeskError):
    code = "unauthenticated"


class PermissionDenied(SupportdeskError):
    code = "forbidden"


class InvalidInput(SupportdeskError):
    code = "invalid_input"


class Conflict(SupportdeskError):
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class IdempotencyConflict(Conflict):
    code = "idempotency_conflict"


class AlreadyExists(Conflict):
    code = "already_exists"
