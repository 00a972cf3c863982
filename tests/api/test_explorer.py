"""The offline API explorer: /api/v1/docs loads everything from our own origin (no CDN), runs under the
app's Content-Security-Policy, and the vendored Swagger UI files are the ones SOURCE.md names."""

from __future__ import annotations

import hashlib
import re
import shutil
import threading
from html.parser import HTMLParser
from pathlib import Path

import pytest

# The API's contract, not the database, is this module's subject: SQLite only (tests/conftest.py, one_database).
pytestmark = pytest.mark.one_database

VENDOR = Path(__file__).resolve().parents[2] / "web" / "static" / "vendor" / "swagger-ui"


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("src", "href"):
            if found.get(name):
                self.urls.append(found[name] or "")
        self._in_script = tag == "script" and not found.get("src")

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


def test_the_explorer_page_names_only_our_own_files(anonymous) -> None:
    page = anonymous.get("/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    parser = _Assets()
    parser.feed(page.get_data(as_text=True))
    assert parser.inline_scripts == 0
    assert sorted(parser.urls) == ["/static/api-explorer.js", "/static/vendor/swagger-ui/swagger-ui-bundle.js",
                                   "/static/vendor/swagger-ui/swagger-ui.css"]
    for url in parser.urls:
        asset = anonymous.client.get(url)
        assert asset.status_code == 200, url
        assert asset.mimetype in ("text/javascript", "application/javascript", "text/css"), url
    assert 'data-spec-url="/api/v1/openapi.json"' in page.get_data(as_text=True)


def test_the_vendored_files_are_those_source_md_names() -> None:
    source = (VENDOR / "SOURCE.md").read_text(encoding="utf-8")
    listed = dict((name, digest) for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+)$", source, re.M))
    assert set(listed) == {p.name for p in VENDOR.iterdir() if p.name != "SOURCE.md"}
    for name, digest in listed.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
    assert "`swagger-ui-dist` **5.35.0**" in source
    assert "Apache License" in (VENDOR / "LICENSE").read_text(encoding="utf-8")


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def test_the_explorer_renders_offline_in_a_browser(app, town) -> None:
    """Headless Chromium opens the page: every request goes to our origin, nothing is blocked by the CSP,
    and Swagger UI shows the operations of the document. Skipped where there is no browser."""
    sync_api = pytest.importorskip("playwright.sync_api")
    browser_path = _chromium()
    if browser_path is None:
        pytest.skip("no chromium on this machine (apt-get install chromium)")
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    origin = f"http://127.0.0.1:{server.port}"
    requests: list[str] = []
    failed: list[str] = []
    problems: list[str] = []
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=browser_path, args=["--disable-gpu", "--disable-quic"])
            page = browser.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.on("requestfailed", lambda r: failed.append(r.url))
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(f"{origin}/api/v1/docs")
            page.wait_for_selector(".opblock-summary-path", timeout=20_000)
            paths = page.locator(".opblock-summary-path").all_inner_texts()
            title = page.locator(".info .title").inner_text()
            browser.close()
    finally:
        server.shutdown()
        thread.join()
    assert [u for u in requests if not u.startswith(origin + "/")] == []
    assert failed == [] and problems == []
    assert "lawflow API" in title
    assert any("/api/v1/cases/{case_id}/transitions/{trigger}" in p.replace("\u200b", "") for p in paths)
