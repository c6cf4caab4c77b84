"""Sign-in and sign-out.

Sign-in looks the email up among agents, then people; a wrong email and a wrong password get
the same answer after the same work. Failures are counted in the database per (email, IP) and
per email (`web.sessions`), so every worker agrees on the limit. Success rotates the session:
any session cookie sent along (a planted one included) is discarded and a new id is issued.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select

from supportdesk.auth import passwords
from supportdesk.directory.models import Agent, Person
from supportdesk.web import csrf, sessions
from supportdesk.web.deps import DbSession, Now
from supportdesk.web.pages.common import (
    CSRF_GUARD,
    MaybeViewer,
    PageRoute,
    anon_csrf,
    client_ip,
    redirect,
    render,
    set_cookie,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False, dependencies=[CSRF_GUARD])

GENERIC_FAILURE = "That email and password do not match an account. Please try again."
RATE_LIMITED = (
    "Too many failed sign-ins for this account from here. Wait 15 minutes, or ask your "
    "administrator to reset your password."
)


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: "/x" yes; "//evil", "/\\evil", "https://..." no."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(c in target for c in "\r\n\t") or len(target) > 500:
        return default
    return target


def home_for(viewer: object) -> str:
    return "/console" if getattr(viewer, "is_agent", False) else "/portal"


def _form(
    request: Request, *, email: str = "", error: str | None = None, status: int = 200
) -> Response:
    token, fresh = anon_csrf(request)
    response = render(
        request,
        "signin.html",
        {
            "title": "Sign in",
            "email": email,
            "error": error,
            "next": safe_next(request.query_params.get("next"), ""),
            "csrf_token": token,
        },
        status_code=status,
        viewer=None,
    )
    if fresh:
        set_cookie(response, csrf.ANON_COOKIE, token, max_age=None)
    return response


@router.get("/signin")
def signin_form(request: Request, viewer: MaybeViewer) -> Response:
    if viewer is not None:
        return redirect(home_for(viewer))
    return _form(request)


@router.post("/signin")
def signin(
    request: Request,
    db_session: DbSession,
    now: Now,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=passwords.MAX_PASSWORD)],
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    email = email.strip().lower()
    ip = client_ip(request)
    if sessions.limit_reached(db_session, email=email, ip=ip, now=now):
        db_session.rollback()
        response = _form(request, email=email, error=RATE_LIMITED, status=429)
        response.headers["Retry-After"] = str(int(sessions.FAILURE_WINDOW.total_seconds()))
        return response
    agent = db_session.scalar(select(Agent).where(Agent.email == email))
    who: Agent | Person | None = None
    if passwords.verify(agent.password_hash if agent else None, password):
        who = agent if agent is not None and agent.active else None
    else:
        person = db_session.scalar(select(Person).where(Person.email == email))
        if passwords.verify(person.password_hash if person else None, password):
            who = person if person is not None and person.active else None
    if who is None:
        sessions.record_failure(db_session, email=email, ip=ip, now=now)
        return _form(request, email=email, error=GENERIC_FAILURE, status=401)
    if who.password_hash and passwords.needs_rehash(who.password_hash):
        who.password_hash = passwords.rehash(password)
    sessions.end(db_session, request.cookies.get(sessions.SESSION_COOKIE))  # no fixation
    sessions.clear_failures(db_session, email=email, ip=ip)
    raw = sessions.create(
        db_session,
        agent=who if isinstance(who, Agent) else None,
        person=who if isinstance(who, Person) else None,
        now=now,
        ip=ip,
        user_agent=request.headers.get("user-agent", ""),
    )
    db_session.commit()
    default = "/console" if isinstance(who, Agent) else "/portal"
    response = redirect(safe_next(next, default))
    set_cookie(
        response,
        sessions.SESSION_COOKIE,
        raw,
        max_age=int(sessions.SESSION_LIFETIME.total_seconds()),
    )
    response.delete_cookie(csrf.ANON_COOKIE, path="/", secure=True, httponly=True)
    return response


@router.post("/signout")
def signout(request: Request, db_session: DbSession, viewer: MaybeViewer) -> Response:
    sessions.end(db_session, request.cookies.get(sessions.SESSION_COOKIE))
    response = redirect("/signin?signed_out=1")
    response.delete_cookie(sessions.SESSION_COOKIE, path="/", secure=True, httponly=True)
    return response


@router.get("/")
def home(viewer: MaybeViewer) -> Response:
    if viewer is None:
        return redirect("/signin")
    return redirect(home_for(viewer))
