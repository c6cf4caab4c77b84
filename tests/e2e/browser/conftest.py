"""Browser fixtures: a real uvicorn server on 127.0.0.1 with a temporary SQLite database and
seeded demo-like data, and Debian's Chromium driven by Playwright (never a downloaded browser).

Screenshots taken with `shot(page, name)` are written to `docs/screenshots/` only when the test
passes, so a failing run never overwrites a good picture.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("SUPPORTDESK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = ROOT / "docs" / "screenshots"

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    if not Path(CHROMIUM).exists():
        message = f"Debian's Chromium is not installed at {CHROMIUM}"
        if os.environ.get("SUPPORTDESK_REQUIRE_BROWSER") == "1":  # `make test`: a miss is a failure
            pytest.fail(message + " (run scripts/ensure-chromium.sh)")
        pytest.skip(message)
    from web.seed import seed_desk

    from supportdesk.core.policy import load_policy
    from supportdesk.core.triage.ports import RulesOnlyModel
    from supportdesk.db import migrate
    from supportdesk.db.engine import make_engine, make_session_factory
    from supportdesk.tickets.intake import Intake

    base = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{base / 'desk.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with make_session_factory(engine)() as db_session:
        desk = seed_desk(
            db_session,
            intake=Intake(policy=load_policy(), model=RulesOnlyModel()),
            now=datetime.now(UTC),
        )
    engine.dispose()
    port = _free_port()
    env = dict(
        os.environ,
        SUPPORTDESK_DATABASE_URL=url,
        SUPPORTDESK_RULES_ONLY="1",
        SUPPORTDESK_UPLOAD_DIR=str(base / "uploads"),
    )
    log = open(base / "server.log", "w")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "supportdesk.web.app:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                log.close()
                raise RuntimeError((base / "server.log").read_text()) from None
            time.sleep(0.1)
    try:
        yield {"url": base_url, "desk": desk, "db_url": url, "log": base / "server.log"}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        message = f"Debian's Chromium is not installed at {CHROMIUM}"
        if os.environ.get("SUPPORTDESK_REQUIRE_BROWSER") == "1":  # `make test`: a miss is a failure
            pytest.fail(message + " (run scripts/ensure-chromium.sh)")
        pytest.skip(message)
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def context(browser: object) -> Iterator[object]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def shot(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """`shot(page, "name")` saves a full-page PNG, copied to docs/screenshots/ on a pass."""
    taken: list[Path] = []

    def take(page: object, name: str, *, full_page: bool = True) -> Path:
        path = tmp_path / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)  # type: ignore[attr-defined]
        taken.append(path)
        return path

    yield take
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.passed and not os.environ.get("SUPPORTDESK_NO_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for path in taken:
            shutil.copyfile(path, SCREENSHOTS / path.name)


def sign_in(page: object, base_url: str, email: str, password: str) -> None:
    page.goto(f"{base_url}/signin")  # type: ignore[attr-defined]
    page.get_by_label("Work email").fill(email)  # type: ignore[attr-defined]
    page.get_by_label("Password").fill(password)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign in").click()  # type: ignore[attr-defined]
