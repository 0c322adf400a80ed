"""Fixtures for real-browser tests: the real server and headless Chromium.

Chromium is Debian's (/usr/bin/chromium, or $BAITHAK_CHROMIUM), driven by
Playwright for Python; Playwright's own browser download is never used (this
project's machines cannot fetch it). In CI ($CI set) a browser that cannot
start fails the tests; elsewhere they skip with the reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..live_server import LiveServer, live_server

CHROMIUM = os.environ.get("BAITHAK_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps calling hosts that a
# closed classroom network (or CI) cannot reach.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run in CI: {reason}")
    pytest.skip(f"{reason} (install Chromium: see README, 'Tests')")


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    """A headless Chromium shared by the session's tests."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    if not Path(CHROMIUM).exists():
        _unavailable(f"no Chromium at {CHROMIUM}")
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS
            )
        except Error as exc:
            _unavailable(f"Chromium did not start: {exc}")
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def csp_violations(browser, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Fail the test if any page it opened logged a Content-Security-Policy
    violation (Chromium logs each one as a console error; a test that causes
    one on purpose checks this list and empties it)."""
    seen: list[str] = []
    new_context = browser.new_context

    def recording_context(**options):  # type: ignore[no-untyped-def]
        context = new_context(**options)
        context.on("console", lambda msg: seen.append(msg.text))
        context.on("weberror", lambda error: seen.append(str(error.error)))
        return context

    monkeypatch.setattr(browser, "new_context", recording_context)
    yield seen
    violations = [text for text in seen if "Content Security Policy" in text]
    assert not violations, f"CSP violations: {violations}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The real server (gunicorn + eventlet) with a fresh database, per module;
    a failing test's report carries its log (tests/conftest.py)."""
    with live_server(tmp_path_factory.mktemp("server")) as running:
        yield running


@pytest.fixture
def screenshot(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """Save a page's screenshot as artifacts/<test name>-<label>.png."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, label: str = "final") -> Path:  # type: ignore[no-untyped-def]
        path = ARTIFACTS / f"{request.node.name}-{label}.png"
        page.screenshot(path=str(path), full_page=False)
        return path

    return take
