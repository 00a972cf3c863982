"""E-mail copies of notices (workflow/timers/mail.py), against a real SMTP server the test starts: a reminder
reaches the person who asked for e-mail, once; an unreachable server fails only the messages, which are tried
again with back-off and end as dead letters; an administrator sends a dead letter again."""

from __future__ import annotations

import socket
from datetime import date, timedelta

from flask.testing import FlaskClient
from sqlalchemy import select

from tests.smtp_sink import smtp_sink
from tests.test_timers import open_comment, submitted_for_review
from tests.web.helpers import csrf_from, login, parse
from web import create_app
from workflow import accounts
from workflow.db import writing
from workflow.models import EmailOutbox, Notification
from workflow.runtime import Runtime
from workflow.timers import mail
from workflow.timers.worker import Worker
from workflow.tokens import aware

SOURCE = "测试：本单位信息化部门的邮件系统说明"


def _mail_server(town: Runtime, port: int) -> None:
    with writing(town.sessions) as s:
        for key, value in ((mail.SMTP_HOST, "127.0.0.1"), (mail.SMTP_PORT, port),
                           (mail.MAIL_FROM, "lawflow@houlong.gov.cn")):
            accounts.set_setting(s, org_id="houlong", key=key, value=value, source=SOURCE, by="admin",
                                 now=town.clock.now())


def _wants_email(town: Runtime, username: str, address: str) -> None:
    with writing(town.sessions) as s:
        mail.set_channel(s, username, address, True, town.clock.now())


def _review_due(town: Runtime) -> tuple[str, date]:
    town.clock.set_local_date(date(2026, 3, 2))
    case_id = open_comment(town)
    town.clock.set_local_date(date(2026, 4, 13))
    due = town.engine.calendar.add_working_days(date(2026, 4, 13), 10).date
    submitted_for_review(town, case_id, due)
    return case_id, due


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


def test_a_reminder_reaches_a_real_smtp_server_once(town: Runtime) -> None:
    case_id, due = _review_due(town)
    _wants_email(town, "chenjing", "chenjing@houlong.gov.cn")  # the head asked for none
    with smtp_sink() as sink:
        _mail_server(town, sink.port)
        town.clock.set_local_date(due - timedelta(days=1))
        worker = Worker(town.engine, name="test")
        report = worker.run_once()
        assert report.mail.sent == 2 and report.mail.failed == 0  # the two reminders, both due by now
        town.clock.set_local_date(due + timedelta(days=1))
        assert worker.run_once().mail.sent == 1  # the overdue notice; the head's escalation stays in the inbox
        assert worker.run_once().mail.sent == 0  # nothing twice
    assert len(sink.received) == 3
    for message in sink.received:
        assert message["To"] == "chenjing@houlong.gov.cn" and message["From"] == "lawflow@houlong.gov.cn"
        assert case_id in message["Subject"]
        body = message.get_body().get_content()
        assert "合法性审查完成日期" in body and "Legality review due" in body
        assert "生活垃圾分类" not in body  # the case's title is not in a notice
    assert len({m["Message-ID"] for m in sink.received}) == 3
    with town.sessions() as s:
        assert {r.status for r in s.scalars(select(EmailOutbox))} == {"sent"}
        assert s.scalars(select(Notification.recipient).where(Notification.kind == "escalation")).all() == \
            ["huangzhenhua"]


def test_an_unreachable_server_is_retried_with_back_off_then_kept_as_a_dead_letter(town: Runtime) -> None:
    case_id, due = _review_due(town)
    _wants_email(town, "chenjing", "chenjing@houlong.gov.cn")
    _mail_server(town, _closed_port())
    town.clock.set_local_date(due + timedelta(days=1))
    worker = Worker(town.engine, name="test")
    report = worker.run_once()
    assert len(report.done) == 3 and report.mail.failed == 3  # the acts are done; only the messages failed
    with town.sessions() as s:
        assert s.scalar(select(Notification.id).where(Notification.recipient == "chenjing")) is not None
        first = s.scalars(select(EmailOutbox)).all()
    assert {(m.attempts, m.status) for m in first} == {(1, "pending")}
    assert {aware(m.next_attempt_at) for m in first} == {town.clock.now() + mail.BACKOFF[0]}
    assert worker.run_once().mail.failed == 0  # not before the back-off
    for wait in mail.BACKOFF:
        town.clock.advance(seconds=wait.total_seconds())
        assert worker.run_once().mail.failed == 3
    with town.sessions() as s:
        dead = s.scalars(select(EmailOutbox).order_by(EmailOutbox.id)).all()
    assert {(m.attempts, m.status) for m in dead} == {(mail.MAX_ATTEMPTS, "dead")}
    assert "ConnectionRefusedError" in dead[0].last_error
    town.clock.advance(days=1)
    assert worker.run_once().mail.failed == 0  # a dead letter waits for the administrator
    # the administrator sees them and sends one again, once the server answers
    app = create_app(town, {"TESTING": True, "SECRET_KEY": "test-secret-key-for-the-web-tests-only"})
    admin: FlaskClient = app.test_client()
    assert login(admin, "admin").status_code == 302
    page = admin.get("/admin/")
    assert parse(page).has(f"tr#dead-letter-{dead[0].id}")
    response = admin.post(f"/admin/outbox/{dead[0].id}/retry", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    with smtp_sink() as sink:
        _mail_server(town, sink.port)
        assert worker.run_once().mail.sent == 1
    assert len(sink.received) == 1 and case_id in sink.received[0]["Subject"]


def test_a_person_sets_their_own_address_on_the_inbox_page(town: Runtime) -> None:
    app = create_app(town, {"TESTING": True, "SECRET_KEY": "test-secret-key-for-the-web-tests-only"})
    client = app.test_client()
    assert login(client, "chenjing").status_code == 302
    token = csrf_from(client.get("/inbox/"))
    client.post("/inbox/email", data={"email": "not an address", "email_enabled": "1", "csrf_token": token})
    client.post("/inbox/email", data={"email": "chenjing@houlong.gov.cn", "email_enabled": "1", "csrf_token": token})
    form = parse(client.get("/inbox/"))
    assert form.one("input#email").get("value") == "chenjing@houlong.gov.cn"
    assert form.has("input[name=\"email_enabled\"][checked]")
