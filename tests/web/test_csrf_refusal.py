"""Every HTML form that changes something is refused without this session's CSRF token: 400 with the Chinese
message of web/csrf.py, and nothing changed (cases, versions, the audit trail, the throttles' counts, the
verification status, who is logged in).

The POST routes are enumerated from the app's URL map, as the authorization matrix does; each is sent by a role
the matrix says succeeds, so a missing refusal would show as a change. The same request with the right token
then does succeed (the test cannot pass by posting something that would have failed anyway).
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.web.helpers import text
from tests.web.test_authorization_matrix import Row, Scene, html_routes, outcome, rows, token_of
from web import csrf
from workflow.audit import status as verification
from workflow.models import (
    AuditEvent,
    Case,
    EmailOutbox,
    LoginFailure,
    MessageOutbox,
    Notification,
    NotificationChannel,
    PortalSubmission,
)

# The page, not the database, is this module's subject: SQLite only (tests/conftest.py, one_database).
pytestmark = pytest.mark.one_database

SUCCESS = ("302", "303", "200", "201")  # 201: a request for government information, its tracking code shown once
# POSTs that send a form to show something and change nothing: with the token they answer (200), without it 400
READ_ONLY_POSTS = {"documents.preview": "the draft of a step's document, rendered from the filled-in form",
                   "documents.preview_docx": "the same draft as a DOCX file to edit",
                   "information_requests.status": "a request's status, looked up by its tracking code"}  # 200: a POST that shows its result once (a new API token), never a refusal


# POSTs that succeed only with a file the matrix's requests do not make: their refusal without the token is checked
# on a row that reaches them; their success is another test's
NEEDS_A_FILE = {"documents.submit_docx": "an edited DOCX draft of the case (tests/web/test_document_docx_pages.py)"}


def posts(app) -> list[tuple[str, Row, str]]:
    """(endpoint, a row reaching it, a role that succeeds there) for every POST route of the app."""
    from tests.web.test_authorization_matrix import endpoint_of

    found = []
    for method, endpoint in sorted(html_routes(app)):
        if method != "POST":
            continue
        chosen = next(((row, role) for row in rows() if row.method == "POST"
                       and endpoint_of(app, "POST", row.url) == endpoint
                       for role, status in row.expected.items()
                       if status in SUCCESS or (endpoint in NEEDS_A_FILE and status == "422")), None)
        assert chosen is not None, f"POST {endpoint}: no row of the matrix where some role succeeds"
        found.append((endpoint, *chosen))
    return found


def snapshot(scene: Scene, client: FlaskClient) -> tuple[Any, ...]:
    with scene.town.sessions() as s:
        db = (s.scalar(select(func.count()).select_from(Case)),
              s.scalar(select(func.coalesce(func.sum(Case.version), 0))),
              s.scalar(select(func.count()).select_from(AuditEvent)),
              s.scalar(select(func.count()).select_from(LoginFailure)),
              s.scalar(select(func.count()).select_from(PortalSubmission)),
              s.scalar(select(func.count()).select_from(EmailOutbox).where(EmailOutbox.status == "dead")),
              s.scalar(select(func.count()).select_from(MessageOutbox).where(MessageOutbox.status == "dead")),
              s.scalar(select(func.count()).select_from(Notification).where(Notification.read_at.is_(None))),
              # a person's own channels (web/inbox.py): a row may be changed, not added
              tuple(s.execute(select(NotificationChannel.email, NotificationChannel.email_enabled,
                                     NotificationChannel.digest, NotificationChannel.digest_hour)
                              .order_by(NotificationChannel.username)).all()))
    path = verification.status_path(scene.town.instance)
    status = path.read_bytes() if path.exists() else None
    with client.session_transaction() as session:
        logged_in = session.get("_user_id")
    return db, status, logged_in


def test_every_post_without_this_sessions_token_is_refused_and_changes_nothing(app, town):
    """Each POST route, with the token missing, wrong, or another session's: 400 with the message, nothing
    changed; then the same request with the session's own token goes through (the refusals were the token's)."""
    scene = Scene(app, town)
    checked = []
    for endpoint, row, role in posts(app):
        url = scene.url(row)  # fresh ids first: making them is not part of the request
        browser = scene.clients[role]
        before = snapshot(scene, browser)
        for token in ("missing", "wrong", "another session's"):
            sent = {"missing": None, "wrong": secrets.token_urlsafe(32),
                    "another session's": token_of(scene.client("anon"))}[token]
            response = scene.request(row, role, token=sent, url=url)
            assert response.status_code == 400, (endpoint, token, response.status_code)
            assert csrf.MESSAGE in text(response), (endpoint, token)
            assert snapshot(scene, browser) == before, f"POST {endpoint} with the token {token} changed something"
        if endpoint in NEEDS_A_FILE:
            checked.append(endpoint)
            continue
        assert outcome(scene.request(row, role, url=url)) in SUCCESS, endpoint
        if endpoint not in READ_ONLY_POSTS:
            assert snapshot(scene, browser) != before, f"POST {endpoint} with the token changed nothing: a vacuous check"
        checked.append(endpoint)
    assert {"auth.login", "auth.logout", "cases.new", "cases.fire", "audit.run_verification",
            "portal.comment"} <= set(checked)
