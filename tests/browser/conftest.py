"""Browser tests: Debian's Chromium, driven by Playwright, against the real backend, action server and
Rasa (tests/processes.py). No browser is ever downloaded: without Chromium these tests skip, and in CI
(CI=true) they fail instead, like the other tests that need something outside Python.
"""

from __future__ import annotations

import http.server
import shutil
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.actions.conftest import create_officer, login
from tests.processes import BOT_PYTHON, MODEL, ROOT, Stack, free_port, need, running

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = ROOT / "var" / "screenshots"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need(False, "Playwright is not installed in .venv (it is in backend/requirements.lock)", "the browser tests")
    need(Path(CHROMIUM).exists(), "Chromium is not installed (Debian: apt-get install chromium); browsers are never downloaded", "the browser tests")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def stack(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    need(BOT_PYTHON.exists() and MODEL.exists(), "the Rasa environment and a trained model are needed: scripts/test.sh trains one", "the browser tests")
    tmp: Path = tmp_path_factory.mktemp("browser")
    with running(tmp, actions=True, rasa=True) as s:
        create_officer(f"sqlite:///{s.db_path}")
        yield s


@pytest.fixture(scope="module")
def officer(stack: Stack) -> dict[str, str]:
    return {"Authorization": f"Bearer {login(stack)}"}


class Problems:
    """Script errors, failed requests and policy (CSP) violations a page reported."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.expected: list[str] = []

    def allow(self, fragment: str) -> None:
        self.expected.append(fragment)

    def unexpected(self) -> list[str]:
        return [p for p in self.seen if not any(f in p for f in self.expected)]

    def watch(self, page: Any, who: str = "") -> None:
        """Record what ``page`` reports; ``who`` labels it when several people are on screen."""
        at = f"{who}: " if who else ""
        page.on("pageerror", lambda e: self.seen.append(f"{at}page error: {e}"))
        page.on("console", lambda m: self.seen.append(f"{at}console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
        page.on("dialog", lambda d: (self.seen.append(f"{at}dialog: {d.message}"), d.dismiss()))


@pytest.fixture
def problems() -> Problems:
    return Problems()


@pytest.fixture
def new_page(browser: Any, problems: Problems) -> Iterator[Any]:
    """``new_page(width, height)``: a page in a fresh browser profile (a new resident), watched for problems."""
    contexts: list[Any] = []

    def make(width: int = 900, height: int = 900) -> Any:
        context = browser.new_context(viewport={"width": width, "height": height}, locale="en-GB", timezone_id="Europe/London")
        context.set_default_timeout(60_000)  # the assistant answers in well under that
        contexts.append(context)
        page = context.new_page()
        problems.watch(page)
        return page

    yield make
    for c in contexts:
        c.close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def landlord_site(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A landlord's own website on another origin, with nothing but the one embed tag added."""
    root = tmp_path_factory.mktemp("landlord-site")
    (root / "index.html").write_text(
        "<!doctype html>\n<html lang='en-GB'><head><meta charset='utf-8'><meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<link rel='icon' href='data:,'><title>Hilltop Homes</title></head>\n<body><h1>Hilltop Homes</h1><p>Welcome to your landlord's website.</p>\n"
        f'<script src="{stack.backend_url}/chat/widget.js" async></script>\n</body></html>\n'
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
