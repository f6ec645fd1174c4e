"""Real-browser fixtures: a gunicorn server over a fresh demo database, and Chromium driven by Playwright.

Once per session the server is started on a free loopback port: a new SQLite file in a temporary folder,
migrated with `flask db upgrade` and filled with `flask seed-demo` (which places its bookings around the
current time, so journeys are written relative to "now"), then served by gunicorn with 2 workers in the
development configuration with a SECRET_KEY, CSRF on, rate limits high enough for a test run and no scheduler.

`new_page()` opens a fresh browser context (one per person in a journey, in Chinese unless asked otherwise)
and returns its first tab. When a test fails, every open tab's screenshot and HTML are written to
test-artifacts/e2e/<test>/; the server's log is test-artifacts/e2e/server.log. A response with a 5xx status
or a JavaScript error in any tab fails the test that caused it.

Without Chromium at /usr/bin/chromium, or without Playwright, the whole suite is skipped with one line.
"""

import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.e2e import browsing
from tests.e2e.browsing import (
    ARTIFACTS,
    CHROMIUM,
    PLAYWRIGHT_MISSING,
    Browser,
    Page,
    Response,
    sync_playwright,
)
from tests.processes import free_port, start_group, stop_group

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 10_000
OPEN_TABS = pytest.StashKey[list[Page]]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: real-browser end-to-end tests (Chromium, a live server)")


def _missing() -> str | None:
    if PLAYWRIGHT_MISSING:
        return "Playwright is not installed (pip install playwright axe-playwright-python)"
    if not os.access(CHROMIUM, os.X_OK):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    return None


MISSING = _missing()


@pytest.fixture(scope="session")
def chromium_present() -> None:
    """Skip every browser test when the browser cannot run here (reported once: see the hook below)."""
    if MISSING:
        pytest.skip(f"e2e tests skipped: {MISSING}")


def _server_environment(database_url: str, base_url: str, smtp_port: int) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("MAIL_", "FLASK_"))}
    environment.update(
        # The server's mail goes to the tests' own SMTP server (browsing.MAILBOX): journeys follow its links.
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(smtp_port),
        APP_ENV="development",
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_hex(32),
        BASE_URL=base_url,
        DEFAULT_LOCALE="zh_CN",
        RATELIMIT_STORAGE_URI="memory://",
        LOGIN_LIMIT="1000 per minute",
        LOGIN_ADDRESS_LIMIT="1000 per minute",
        LOGIN_ACCOUNT_LIMIT="1000 per minute",
        REGISTER_LIMIT="1000 per minute",
        SCHEDULER_IN_PROCESS="0",
        PYTHONUNBUFFERED="1",
    )
    return environment


def _wait_until_answering(process: subprocess.Popen[bytes], url: str, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited early:\n{log.read_text(errors='replace')[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            time.sleep(0.1)
    raise RuntimeError(f"the server did not answer within {timeout} s")


@pytest.fixture(scope="session")
def live_server(chromium_present: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of gunicorn (2 workers) serving a freshly migrated and seeded demo database."""
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    database = tmp_path_factory.mktemp("e2e") / "booking.sqlite3"
    smtp_port = free_port()
    smtp = Controller(browsing.MAILBOX, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    environment = _server_environment(f"sqlite:///{database}", base_url, smtp_port)
    environment["ATTACHMENT_DIR"] = str(database.parent / "attachments")  # files attached to requests
    log = ARTIFACTS / "server.log"
    flask = [sys.executable, "-m", "flask", "--app", "booking.app"]
    gunicorn = [sys.executable, "-m", "gunicorn", "--config", "python:booking.gunicorn_config"]
    gunicorn += ["--workers", "2", "--log-level", "warning"]
    with log.open("ab") as out:
        for command in (["db", "upgrade"], ["seed-demo"]):
            subprocess.run([*flask, *command], cwd=ROOT, env=environment, stdout=out, stderr=out, check=True)
        server = start_group(
            [*gunicorn, "--bind", f"127.0.0.1:{port}", "booking.app:create_app()"],
            cwd=ROOT,
            env=environment,
            log=out,
        )
    try:
        _wait_until_answering(server, f"{base_url}/static/css/app.css", log)
        yield base_url
    finally:
        stop_group(server)
        smtp.stop()


@pytest.fixture(scope="session")
def browser(chromium_present: None) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(
    browser: Browser, live_server: str, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Page]]:
    """`new_page(locale="zh-CN", **context_options)`: a fresh browser context (a person) and its first tab."""
    contexts = []
    problems: list[str] = []
    pages = request.node.stash[OPEN_TABS] = []

    def watch(page: Page) -> None:
        pages.append(page)
        page.on("pageerror", lambda error: problems.append(f"JavaScript error on {page.url}: {error}"))

    def check(response: Response) -> None:
        if response.status >= 500:
            problems.append(f"{response.status} from {response.request.method} {response.url}")

    def open_page(locale: str = "zh-CN", **options: Any) -> Page:
        context = browser.new_context(base_url=live_server, locale=locale, **options)
        context.set_default_timeout(TIMEOUT_MS)
        context.on("response", check)
        context.on("page", watch)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
    if problems:
        pytest.fail("the server or the page failed during the test:\n" + "\n".join(problems))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """On failure, keep what every open tab showed: a full-page screenshot and the HTML.

    Without the browser, every test's skip points at `_missing`, so the summary folds them into one line.
    """
    report = yield
    if MISSING and report.skipped and report.when == "setup":
        report.longrepr = (__file__, _missing.__code__.co_firstlineno, f"e2e tests skipped: {MISSING}")
    pages = item.stash.get(OPEN_TABS, [])
    if report.failed and report.when in ("setup", "call") and pages:
        folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", item.nodeid.split("::", 1)[-1])
        folder.mkdir(parents=True, exist_ok=True)
        for number, page in enumerate(pages, start=1):
            if page.is_closed():
                continue
            try:
                page.screenshot(path=folder / f"tab{number}.png", full_page=True)
                (folder / f"tab{number}.html").write_text(f"<!-- {page.url} -->\n{page.content()}")
            except Exception as error:  # a crashed tab must not hide the test's own failure
                (folder / f"tab{number}.txt").write_text(f"{page.url}: could not be saved: {error}")
        report.sections.append(("e2e artifacts", str(folder)))
    return report
