"""The web desk: server-rendered HTML pages for requesters (portal) and agents (console).

`install(app)` adds the page routers and the static files to the application `create_app()`
builds; the JSON API is untouched.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent.parent / "static"


def install(app: FastAPI) -> None:
    from supportdesk.web.pages import console, portal, signin

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.include_router(signin.router)
    app.include_router(portal.router)
    app.include_router(console.router)
