"""What every HTML page shares: templates, the signed-in user, CSRF, errors as pages.

Routes stay thin: parse the form, call the service, render or redirect. `PageRoute` turns our
exceptions into HTML pages with the same status codes the API uses (cross-account → 404).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from supportdesk.auth.principal import Principal
from supportdesk.errors import AuthenticationFailed, PermissionDenied, SupportdeskError
from supportdesk.web import csrf, sessions
from supportdesk.web.deps import DbSession, Now
from supportdesk.web.errors import status_for
from supportdesk.web.pages import view

log = logging.getLogger("supportdesk.web.pages")

HERE = Path(__file__).resolve().parent.parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.autoescape = True  # every template, whatever its extension
templates.env.filters.update(view.FILTERS)
templates.env.globals.update(view.GLOBALS)

#: Sent with every page: nothing inline may run, nothing may frame us.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


class SignInRequired(AuthenticationFailed):
    code = "signin_required"


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


@dataclass(frozen=True)
class Viewer:
    """The person or agent looking at a page."""

    principal: Principal
    name: str
    time_zone: str
    csrf_token: str

    @property
    def is_agent(self) -> bool:
        return self.principal.is_agent


def done_reading(db_session: Session) -> None:
    """End the read transaction before rendering (SQLite would hold its lock) while keeping the
    loaded rows usable: detached objects keep their state, a rollback alone would expire them
    and the template would then re-load every row one query at a time."""
    db_session.expunge_all()
    db_session.rollback()


def _viewer(request: Request, db_session: DbSession, now: Now) -> Viewer | None:
    raw = request.cookies.get(sessions.SESSION_COOKIE)
    signed = sessions.load(db_session, raw, now=now)
    db_session.rollback()  # end the read transaction (SQLite would hold its lock)
    if signed is None:
        return None
    viewer = Viewer(signed.principal, signed.name, signed.time_zone, signed.csrf_token)
    request.state.viewer = viewer
    return viewer


async def _checked_viewer(
    request: Request, viewer: Annotated[Viewer | None, Depends(_viewer)]
) -> Viewer | None:
    """Unsafe methods must carry the CSRF token of the session (or of the anonymous form)."""
    expected = viewer.csrf_token if viewer else request.cookies.get(csrf.ANON_COOKIE)
    await csrf.check(request, expected)
    return viewer


def _signed_in(viewer: Annotated[Viewer | None, Depends(_checked_viewer)]) -> Viewer:
    if viewer is None:
        raise SignInRequired("Please sign in.")
    return viewer


def _agent(viewer: Annotated[Viewer, Depends(_signed_in)]) -> Viewer:
    if not viewer.is_agent:
        raise PermissionDenied("This page is for support agents.")
    return viewer


def _customer(viewer: Annotated[Viewer, Depends(_signed_in)]) -> Viewer:
    if viewer.is_agent:
        raise PermissionDenied("This page is for customers; agents work in the console.")
    return viewer


#: Every page router depends on this: no unsafe request reaches a route without its token.
CSRF_GUARD = Depends(_checked_viewer)
MaybeViewer = Annotated[Viewer | None, Depends(_checked_viewer)]
CurrentViewer = Annotated[Viewer, Depends(_signed_in)]
AgentViewer = Annotated[Viewer, Depends(_agent)]
CustomerViewer = Annotated[Viewer, Depends(_customer)]


def anon_csrf(request: Request) -> tuple[str, bool]:
    """The anonymous CSRF token (from the cookie, or a fresh one to set)."""
    token = request.cookies.get(csrf.ANON_COOKIE)
    if token and 16 <= len(token) <= 128:
        return token, False
    return csrf.new_token(), True


def set_cookie(response: Response, name: str, value: str, *, max_age: int | None) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path="/", secure=True, httponly=True, samesite="lax"
    )


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    viewer: Viewer | None = None,
) -> HTMLResponse:
    ctx: dict[str, Any] = dict(context or {})
    viewer = viewer or getattr(request.state, "viewer", None)
    ctx.setdefault("viewer", viewer)
    if "csrf_token" not in ctx:
        ctx["csrf_token"] = viewer.csrf_token if viewer else anon_csrf(request)[0]
    ctx.setdefault("tz", viewer.time_zone if viewer else "UTC")
    ctx.setdefault("now", getattr(request.state, "now", None))
    response = templates.TemplateResponse(request, template, ctx, status_code=status_code)
    for k, v in SECURITY_HEADERS.items():
        response.headers[k] = v
    return response


def _flash_mac(key: str, text: str) -> str:
    return hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest()[:32]


def redirect(url: str, *, flash: str | None = None, key: str | None = None) -> RedirectResponse:
    """303 See Other after a POST. `flash` (a confirmation such as "Reply sent.") travels as a
    query parameter with a MAC keyed by the session's secret CSRF token, so a crafted link
    cannot make our pages display someone else's words; it is shown escaped."""
    if flash and key:
        from urllib.parse import quote

        sep = "&" if "?" in url else "?"
        url = f"{url}{sep}flash={quote(flash)}&fm={_flash_mac(key, flash)}"
    response = RedirectResponse(url, status_code=303)
    response.headers["Cache-Control"] = "no-store"
    return response


def flash_of(request: Request, viewer: Viewer | None) -> str | None:
    """The flash message of this URL if this session's pages put it there, else None."""
    text = request.query_params.get("flash")
    mac = request.query_params.get("fm", "")
    if not text or viewer is None or len(text) > 500:
        return None
    return text if hmac.compare_digest(_flash_mac(viewer.csrf_token, text), mac) else None


def error_page(request: Request, status: int, title: str, message: str) -> Response:
    if status == 401:
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        if request.method == "GET" and not _is_fragment(request):
            from urllib.parse import quote

            return redirect(f"/signin?next={quote(target)}")
    if _is_fragment(request):
        r = HTMLResponse(
            f'<p class="notice notice-error" role="alert">{view.escape(message)}</p>',
            status_code=status,
        )
        for k, v in SECURITY_HEADERS.items():
            r.headers[k] = v
        return r
    return render(
        request,
        "error.html",
        {"title": title, "message": message, "status": status},
        status_code=status,
    )


def _is_fragment(request: Request) -> bool:
    return request.headers.get("x-requested-with") == "fetch"


TITLES = {
    400: "That did not work",
    401: "Please sign in",
    403: "Not allowed",
    404: "Not found",
    409: "That changed meanwhile",
    422: "Please check the form",
    429: "Too many attempts",
}


class PageRoute(APIRoute):
    """Our exceptions become HTML error pages (the API keeps its JSON errors)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except SupportdeskError as exc:
                status = status_for(exc)
                if isinstance(exc, csrf.CsrfFailed):
                    status = 403
                message = exc.message
                if status == 404:
                    message = "There is no such page, or it is not yours to see."
                return error_page(request, status, TITLES.get(status, "Error"), message)
            except RequestValidationError as exc:
                errs = exc.errors()
                first = errs[0] if errs else {}
                loc = ".".join(str(p) for p in first.get("loc", ())[1:]) or "form"
                msg = f"{loc}: {first.get('msg', 'invalid value')}"
                status = 404 if first.get("loc", ("",))[0] == "path" else 422
                return error_page(request, status, TITLES[status], msg)
            except StarletteHTTPException as exc:
                return error_page(
                    request, exc.status_code, TITLES.get(exc.status_code, "Error"), str(exc.detail)
                )

        return page_handler


def now_of(request: Request, now: datetime) -> datetime:
    request.state.now = now
    return now
