"""CSRF protection for the HTML pages: a synchronizer token on every unsafe request.

Signed in, the token is the session's own random `csrf_token` (stored server-side, rotated with
the session at sign-in). Before sign-in (the sign-in form itself: login CSRF) it is a random
value in a `__Host-` cookie that the form must echo (double submit; `__Host-` cookies cannot be
planted by a sibling subdomain). Forms carry it as the hidden field `csrf_token`; scripts send it
as the `X-CSRF-Token` header. Comparison is constant-time. SameSite=Lax cookies are a second
layer, not the only one.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request

from supportdesk.errors import PermissionDenied

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
ANON_COOKIE = "__Host-sd_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class CsrfFailed(PermissionDenied):
    code = "csrf_failed"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def matches(expected: str | None, given: str | None) -> bool:
    if not expected or not given or len(given) > 128:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


async def submitted_token(request: Request) -> str | None:
    """The token a request carries: the header, else the form field (the form is parsed once;
    FastAPI reuses the parsed form for the route's own Form parameters)."""
    header = request.headers.get(HEADER)
    if header:
        return header
    ctype = request.headers.get("content-type", "")
    if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(FIELD)
        return value if isinstance(value, str) else None
    return None


async def check(request: Request, expected: str | None) -> None:
    """Refuse an unsafe request whose token does not match `expected`."""
    if request.method in SAFE_METHODS:
        return
    if not matches(expected, await submitted_token(request)):
        raise CsrfFailed(
            "This form has expired or did not come from this site. Reload the page and try again."
        )
