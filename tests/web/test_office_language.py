"""The office's language (issue 16, item 5): every staff page of the demo, as each role that may open it, speaks
as the office does — dates as 2026年12月7日, amounts as 20,000元, durations as 21分00秒, people by name, no
internal code (a procedure's id@version, 版本 N, 事件 N, a setting key, an identifier of a state, step or field), no
negative day count. The audit pages are allow-listed for what an audit needs (the record as stored: hashes, event
numbers, accounts, identifiers); the administration pages for the accounts and setting keys they manage.

The pages are those of the authorization matrix (tests/web/test_authorization_matrix.py), every case id of the
demo put in for each case placeholder; the demo is built once for the module."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from lxml import html as lxml_html
from sqlalchemy import select, update
from werkzeug.security import generate_password_hash

from tests.web.helpers import login, parse, representative_cases
from tests.web.test_authorization_matrix import USERS, rows
from web import create_app
from workflow import demo
from workflow.case_reading import Reader
from workflow.clock import FixedClock
from workflow.db import writing
from workflow.demo import DEMO_PASSWORD
from workflow.models import Case, IssuedDocument, User
from workflow.runtime import Runtime
from workflow.settings import BY_KEY as SETTINGS

# The pages are the subject, not the database: SQLite only (tests/conftest.py, one_database).
pytestmark = pytest.mark.one_database

CASE_PLACEHOLDERS = ("{case}", "{ecase}", "{review}", "{meeting}", "{notified}", "{doc-case}")
# Rows the sweep leaves out, with why: not a page of the office's own (files, exports, the public portal, which
# tests/web/test_portal.py covers), or a page the row only shows to refuse it.
NOT_STAFF = ("/public/", "/login", "/logout", "/healthz", "/metrics", "/api/")
FILE_SUFFIXES = (".svg", ".pdf", ".csv", ".jsonl")
# The placeholders that stand for a case at one stage of one procedure (tests/web/test_authorization_matrix.py's
# docstring): only that procedure's cases can open those pages; the others' would only be refused.
STAGE_PAGES = {"{review}": "major_decision", "{meeting}": "major_decision"}

# What an audit page must show as stored (docs/audit-format.md), and the administration pages' own subjects.
ALLOWED: dict[str, set[str]] = {
    "/audit/": {"login", "event", "version", "code", "identifier", "iso-date"},
    "/admin/": {"login", "setting-key", "identifier", "version"},  # 程序定义版本: how many versions are loaded
    "/procedures/": {"identifier", "code"},  # the living spec names each state, step and guard by its id
}

ISO_DATE = re.compile(r"(?<![\d-])\d{4}-\d{2}-\d{2}(?![\d-])")
PROCEDURE_REF = re.compile(r"\b[a-z][a-z0-9_]*@\d+\b")
VERSION = re.compile(r"版本\s*\d+")
EVENT = re.compile(r"事件\s*\d+")
IDENTIFIER = re.compile(r"(?<![\w.@/-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w@/-])")
RAW_AMOUNT = re.compile(r"(?<![\d,.])\d{4,}(?:\.\d+)?\s*元")
NEGATIVE_DAYS = re.compile(r"(?<![\w-])-\d+(?![\w-])|-\d+\s*(?:个工作日|日|天)")  # a count below zero
RAW_SECONDS = re.compile(r"(?<!\d)\d{3,}\s*秒")


def visible_text(body: str) -> str:
    """What a reader (or a screen reader) gets of a page: the body's text, without scripts and styles."""
    root = lxml_html.document_fromstring(body)
    for element in root.xpath("//script|//style|//head"):
        element.getparent().remove(element)
    return " ".join(root.text_content().split())


def problems_in(url: str, body: str, logins: set[str]) -> Iterator[tuple[str, str, str]]:
    """(kind, what, context) of each piece of program language in the page's visible text."""
    text = visible_text(body)
    allowed = set().union(*(kinds for prefix, kinds in ALLOWED.items() if url.startswith(prefix)))
    keys = "|".join(re.escape(k) for k in sorted(SETTINGS, key=len, reverse=True))
    checks = [("iso-date", ISO_DATE), ("code", PROCEDURE_REF), ("version", VERSION), ("event", EVENT),
              ("setting-key", re.compile(rf"(?<![\w.])(?:{keys})(?![\w.])")), ("identifier", IDENTIFIER),
              ("amount", RAW_AMOUNT), ("negative-days", NEGATIVE_DAYS), ("duration", RAW_SECONDS),
              ("login", re.compile(rf"(?<![\w.@])(?:{'|'.join(sorted(logins, key=len, reverse=True))})(?![\w@])"))]
    for kind, pattern in checks:
        if kind in allowed:
            continue
        for match in pattern.finditer(text):
            yield kind, match.group(0), text[max(0, match.start() - 40):match.end() + 40]


def staff_pages(app: Flask, town: Runtime) -> Iterator[tuple[str, str, str]]:
    """(url, role, body) of every staff HTML page of the matrix, as every role it opens to, for a case of every kind."""
    with town.sessions() as s:
        doc = s.scalars(select(IssuedDocument).order_by(IssuedDocument.id)).first()
    ids = representative_cases(town, org_id=demo.ORG)  # a case of each procedure, stage and path to it
    with town.sessions() as s:
        procedures = dict(s.execute(select(Case.id, Case.procedure)).all())
    clients = {}
    readers: dict[str, Reader] = {}
    fetched: set[tuple[str, str]] = set()
    for row in rows():
        if row.method != "GET" or row.url.startswith(NOT_STAFF) or "{other}" in row.url:
            continue
        if row.url.split("?")[0].endswith(FILE_SUFFIXES) or "/records/" in row.url or "{" in row.url.replace(
                "{doc}", "").replace("{code}", "").replace("{token}", "") and not any(
                p in row.url for p in CASE_PLACEHOLDERS):
            continue
        urls = [row.url]
        for name in CASE_PLACEHOLDERS:
            if name in row.url:
                urls = [row.url.replace(name, case_id) for case_id in ids
                        if procedures[case_id] == STAGE_PAGES.get(name, procedures[case_id])]
        if "{doc}" in row.url:
            if doc is None:
                continue
            urls = [f"/cases/{doc.case_id}/documents/{doc.id}"]
        for role, status in row.expected.items():
            if status != "200" or USERS[role] is None:
                continue
            if role not in clients:
                with town.sessions() as s:
                    user = s.scalars(select(User).where(User.username == USERS[role])).one()
                    readers[role] = Reader.for_user(s, town.registry, user.role_names, user.org_id)
                clients[role] = app.test_client()
                assert login(clients[role], USERS[role]).status_code == 302
            for url in urls:
                if (role, url) in fetched:  # a case page is the row of {case} and of {ecase} alike
                    continue
                if any(case_id in url and not readers[role].sees(town.registry.get(procedures[case_id]))
                       for case_id in ids):  # a case this role may not read (need to know): "not found"
                    continue
                fetched.add((role, url))
                response = clients[role].get(url)
                if response.status_code == 200 and response.mimetype == "text/html":
                    yield url, role, response.get_data(as_text=True)


@pytest.fixture(scope="module")
def demo_town(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Runtime]:
    folder = tmp_path_factory.mktemp("office-language")
    shutil.copy(sqlite_template, folder / "demo.sqlite3")
    rt = Runtime(instance=folder / "instance", database_url=f"sqlite:///{folder / 'demo.sqlite3'}",
                 key_path=folder / "instance" / "audit-signing.key", clock=FixedClock())
    rt.instance.mkdir(parents=True, exist_ok=True)
    demo.seed(rt)
    with writing(rt.sessions) as session:  # ten logins: a cheap hash of the same password (the pages are the subject)
        session.execute(update(User).values(password_hash=generate_password_hash(DEMO_PASSWORD, "pbkdf2:sha256:1")))
    yield rt
    rt.db.dispose()


def test_no_staff_page_speaks_the_programs_language(demo_town: Runtime) -> None:
    app = create_app(demo_town, {"TESTING": True, "SECRET_KEY": "test-secret-key-for-the-web-tests-only"})
    with demo_town.sessions() as s:
        logins = set(s.scalars(select(User.username)))
    found: dict[tuple[str, str, str], str] = {}
    pages = 0
    for url, role, body in staff_pages(app, demo_town):
        pages += 1
        for kind, what, context in problems_in(url, body, logins):
            found.setdefault((url.split("?")[0], kind, what), f"{role}: …{context}…")
    assert pages > 100  # every role's pages, a case of every kind in the demo
    assert not found, "\n".join(f"{url} {kind} {what!r} ({where})" for (url, kind, what), where in
                                sorted(found.items())[:60])


def test_a_penalty_case_and_its_legal_review_link_each_other_with_the_result(demo_town: Runtime) -> None:
    """Issue 16 item 1, read on the demo built for this module: the link is the review's conflicts `linked:`."""
    app = create_app(demo_town, {"TESTING": True, "SECRET_KEY": "test-secret-key-for-the-web-tests-only"})
    with demo_town.sessions() as s:
        reviews = list(s.scalars(select(Case).where(Case.procedure == "enforcement_review")))
    assert reviews
    review = reviews[0]
    penalty = review.data["submission"]["enforcement_case"]
    client = app.test_client()
    assert login(client, "huangzhenhua").status_code == 302
    on_penalty = parse(client.get(f"/cases/{penalty}")).text("section.linked-cases")
    assert review.id in on_penalty and "重大执法决定法制审核" in on_penalty and "审核中" in on_penalty
    on_review = parse(client.get(f"/cases/{review.id}")).text("section.linked-cases")
    assert penalty in on_review and "行政处罚案件" in on_review
