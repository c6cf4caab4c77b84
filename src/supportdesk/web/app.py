"""`create_app()`: the FastAPI application. All state lives in the database; the process keeps
only its engine, the policy and the text model (loaded once, lazily)."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from anyio import to_thread
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from supportdesk.db.engine import make_engine, make_session_factory
from supportdesk.db.settings import Settings, get_settings
from supportdesk.tickets.intake import Intake, default_intake
from supportdesk.web import errors
from supportdesk.web.api import router as api_router
from supportdesk.web.deps import system_clock
from supportdesk.web.pages import install as install_pages


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    session_factory: sessionmaker[Session] | None = None,
    intake: Intake | None = None,
    clock: Callable[[], datetime] | None = None,
) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        to_thread.current_default_thread_limiter().total_tokens = settings.threads
        app.state.get_intake()  # load the policy and the text model before the first request
        # What is loaded now lives as long as the process: move it out of the collector's sight,
        # so a full collection walks only the objects requests made. Measured under load at 150
        # creations/s: the longest full collection went from 257 to 122 ms.
        gc.collect()
        gc.freeze()
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="supportdesk",
        version="0.1.0",
        description="Support intake, triage and SLA service for SaaS vendors selling through MSPs.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    if session_factory is None:
        engine = engine or make_engine(settings.database_url)
        session_factory = make_session_factory(engine)
    app.state.session_factory = session_factory
    app.state.clock = clock or system_clock
    app.state.intake = intake

    def get_intake() -> Intake:
        if app.state.intake is None:
            app.state.intake = default_intake(settings.policy_path, settings.rules_only)
        intake_: Intake = app.state.intake
        return intake_

    app.state.get_intake = get_intake
    errors.install(app)
    app.include_router(api_router)
    install_pages(app)  # the web desk: HTML pages and static files (supportdesk.web.pages)
    return app
