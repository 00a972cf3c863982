"""Browser tests: Playwright drives Debian's chromium through the real app served on a live port.

- The browser is Debian's `chromium` package, launched with `executable_path` (`shutil.which("chromium")`,
  else /usr/bin/chromium; LAWFLOW_TEST_CHROMIUM names another binary). Playwright's own browser download
  (`playwright install`) is never used and nothing is downloaded at run time. `make test` installs chromium
  and fonts-noto-cjk (scripts/ensure-system-packages) and the Python package playwright (the `test` extra,
  whose wheel carries its node driver).
- Without chromium or playwright these tests are skipped on a developer's machine; `make test` sets
  LAWFLOW_TEST_REQUIRE_BROWSER=1, and then they fail with a message saying to run `make test`.
- The server is the real app (`web.create_app`) on the Houlong demo (`workflow.demo.seed`: the town, its
  people with the password houlong2026, and its cases), served by werkzeug's `make_server` in a thread on
  a free port. The demo is seeded once per session into a template; each test gets its own copy (database
  and evidence files) and its own server, on the town's fixed clock (2026-03-02 09:00 Beijing time), which
  a test may move on (`site.clock.advance`) where the law counts days.
- SQLite only: the server side is covered on SQLite and PostgreSQL by tests/web and tests/api; these tests
  are about what a person sees and does in a browser.
- One chromium per package run; a fresh context per person (locale zh-CN, timezone Asia/Shanghai), so two
  people in one test are two browsers with their own sessions.
- A failing test leaves a screenshot of each of its pages under the pytest temporary folder
  (<basetemp>/browser-screenshots/), named in a note under the failure.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest
from werkzeug.serving import make_server

from tests.browser.helpers import Site, log_in
from web import create_app
from workflow.clock import FixedClock
from workflow.demo import DEMO_PASSWORD
from workflow.runtime import Runtime

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

REQUIRE_BROWSER = os.environ.get("LAWFLOW_TEST_REQUIRE_BROWSER") == "1"
DEBIAN_CHROMIUM = "/usr/bin/chromium"
# The flags the machine's own browser check uses on top of Playwright's defaults (see library notes §6).
CHROMIUM_ARGS = ["--disable-gpu", "--disable-quic"]
ACTION_TIMEOUT_MS = 10_000  # a click or a page load; the app answers in milliseconds
SECRET_KEY = "test-secret-key-for-the-browser-tests-only"


def chromium_path() -> str | None:
    """Debian's chromium: LAWFLOW_TEST_CHROMIUM if set, else `chromium` on PATH, else /usr/bin/chromium."""
    wanted = os.environ.get("LAWFLOW_TEST_CHROMIUM")
    if wanted:
        return wanted if os.access(wanted, os.X_OK) else None
    return shutil.which("chromium") or (DEBIAN_CHROMIUM if os.access(DEBIAN_CHROMIUM, os.X_OK) else None)


def unavailable(why: str) -> NoReturn:
    if REQUIRE_BROWSER:
        pytest.fail(f"{why}. The browser tests are required here (LAWFLOW_TEST_REQUIRE_BROWSER=1): run `make test`, "
                    "which installs Debian's chromium and fonts-noto-cjk and the Python package playwright.",
                    pytrace=False)
    pytest.skip(f"{why} (run `make test`, which installs it)")


def has_chinese_font() -> bool:
    """True if fontconfig knows a Chinese font (else the pages, and the screenshots, show boxes).
    Without fc-list there is nothing to ask: assume yes."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return True
    found = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=60)
    return bool(found.stdout.strip())


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        unavailable("the Python package playwright is not installed")
    path = chromium_path()
    if path is None:
        unavailable(f"Debian's chromium is not installed (no `chromium` on PATH, no {DEBIAN_CHROMIUM})"
                    if not os.environ.get("LAWFLOW_TEST_CHROMIUM")
                    else f"LAWFLOW_TEST_CHROMIUM={os.environ['LAWFLOW_TEST_CHROMIUM']} is not an executable")
    if not has_chinese_font():
        unavailable("no Chinese font is installed (Debian: fonts-noto-cjk), so the pages would render as boxes")
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        except Error as exc:
            pytest.fail(f"chromium at {path} did not start: {exc}", pytrace=False)
        yield chromium
        chromium.close()


# ---------------------------------------------------------------- the live server


def _runtime(folder: Path, clock: FixedClock) -> Runtime:
    instance = folder / "instance"
    instance.mkdir(parents=True, exist_ok=True)
    return Runtime(instance=instance, database_url=f"sqlite:///{folder / 'lawflow.sqlite3'}",
                   key_path=instance / "audit-signing.key", clock=clock)


@pytest.fixture(scope="session")
def demo_folder(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Path:
    """The migrated database with the Houlong demo seeded, and its evidence files: copied for each test."""
    from workflow.demo import seed

    folder = tmp_path_factory.mktemp("browser-demo")
    shutil.copy(sqlite_template, folder / "lawflow.sqlite3")
    runtime = _runtime(folder, FixedClock())
    seed(runtime)
    runtime.db.dispose()
    with sqlite3.connect(folder / "lawflow.sqlite3") as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return folder


@pytest.fixture
def site(demo_folder: Path, tmp_path: Path, clock: FixedClock) -> Iterator[Site]:
    """The real app on its own copy of the demo, served on a free port of 127.0.0.1."""
    folder = tmp_path / "site"
    shutil.copytree(demo_folder, folder)
    runtime = _runtime(folder, clock)
    app = create_app(runtime, {"SECRET_KEY": SECRET_KEY})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="lawflow-live-server", daemon=True)
    thread.start()
    try:
        yield Site(url=f"http://127.0.0.1:{server.server_port}", runtime=runtime, clock=clock)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        runtime.db.dispose()


# ---------------------------------------------------------------- people and their browsers

PAGES = pytest.StashKey[list["Page"]]()
SHOTS = pytest.StashKey[Path]()


@pytest.fixture
def open_page(browser: Browser, site: Site, request: pytest.FixtureRequest,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Page]]:
    """open_page() -> a new browser (context) on the site; open_page("zhangwei") logs in through the form."""
    contexts: list[BrowserContext] = []
    pages = request.node.stash.setdefault(PAGES, [])
    request.node.stash[SHOTS] = tmp_path_factory.getbasetemp() / "browser-screenshots"

    def make(username: str | None = None, password: str = DEMO_PASSWORD) -> Page:
        context = browser.new_context(base_url=site.url, locale="zh-CN", timezone_id="Asia/Shanghai",
                                      accept_downloads=True)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        pages.append(page)
        if username:
            log_in(page, username, password)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page: Callable[..., Page]) -> Page:
    """A browser nobody has logged in to."""
    return open_page()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """On a failure, a screenshot of each page the test opened, named in a note under the assertion."""
    try:
        return (yield)
    except Exception as exc:
        for note in _screenshots(item):
            exc.add_note(note)
        raise


def _screenshots(item: pytest.Item) -> list[str]:
    pages, folder = item.stash.get(PAGES, []), item.stash.get(SHOTS, None)
    if not pages or folder is None:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.name)[:120]
    notes = []
    for i, page in enumerate(pages, start=1):
        path = folder / f"{stem}-{i}.png"
        try:
            page.screenshot(path=str(path), full_page=True, timeout=5_000)
        except Exception as exc:  # a closed page or a dead browser: say so rather than hide the failure
            notes.append(f"screenshot {i} of {len(pages)} failed: {exc}")
        else:
            notes.append(f"screenshot of page {i} ({page.url}): {path}")
    return notes
