"""Group robots (workflow/timers/robots.py) against a real HTTP server the test starts (tests/robot_sink.py): the
JSON that WeCom and DingTalk robots accept, DingTalk's signed URL recomputed by the server's side, routes by notice
kind and role, a 500 and a refused errcode retried and the message delivered once, a robot that never answers
failing only its message (the worker's other work done), dead letters the administrator sends again, and no
party's personal data in any message that leaves the app (个人信息保护法第六条)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
from urllib.parse import quote_plus

import pytest
from sqlalchemy import select

from tests.penalty_cases import FILING
from tests.robot_sink import REFUSED, SERVER_ERROR, robot_sink, silent_server
from tests.smtp_sink import smtp_sink
from tests.web.helpers import csrf_from, login, parse
from web import create_app
from workflow import accounts
from workflow.db import writing
from workflow.models import Case, MessageOutbox, Notification
from workflow.runtime import Runtime
from workflow.settings import CATALOGUE, SettingValueError, validate_value
from workflow.timers import mail, minimal, outbox, robots
from workflow.timers.worker import Worker

SOURCE = "测试：本单位督查督办制度（提醒送达方式）"
SECRET = "SECtest0123456789abcdef"
PARTY = "林某某"


def _set(town: Runtime, key: str, value: object) -> None:
    with writing(town.sessions) as s:
        accounts.set_setting(s, org_id="houlong", key=key, value=value, source=SOURCE, by="admin",
                             now=town.clock.now())


def _overdue_penalty_case(town: Runtime) -> str:
    """A penalty case of a natural person, filed today; the clock then a few days past its 90-day limit (处罚法第六十条)."""
    opened = town.engine.create_case("enforcement_case", "wanghai", FILING)
    assert opened.ok and opened.case_id, opened.reasons
    assert PARTY in FILING["party"] and PARTY in FILING["title"]
    town.clock.advance(days=95)
    return opened.case_id


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _expected_sign(timestamp: str) -> str:
    """DingTalk's 加签, recomputed here from its documented recipe, not from robots.sign."""
    digest = hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@pytest.mark.one_database
def test_robots_get_the_notices_of_their_routes_in_their_apps_json_and_no_personal_data(town: Runtime) -> None:
    case_id = _overdue_penalty_case(town)
    with writing(town.sessions) as s:
        mail.set_channel(s, "wanghai", "wanghai@houlong.gov.cn", True, town.clock.now())
    with robot_sink() as leaders, robot_sink() as officers, smtp_sink() as smtp:
        _set(town, mail.SMTP_HOST, "127.0.0.1")
        _set(town, mail.SMTP_PORT, smtp.port)
        _set(town, mail.MAIL_FROM, "lawflow@houlong.gov.cn")
        _set(town, robots.SITE_URL, "https://lawflow.houlong.gov.cn")
        _set(town, robots.ROBOTS, [f"领导群 dingtalk {leaders.url()} {SECRET}",
                                   f"执法队 wecom {officers.url('/cgi-bin/webhook/send?key=abc')}"])
        _set(town, robots.ROUTES, ["领导群 overdue,escalation *", "执法队 remind enforcement_officer",
                                   "执法队 escalation enforcement_officer"])  # no officer is escalated to
        worker = Worker(town.engine, name="test")
        report = worker.run_once()
        assert not report.failed
        assert worker.run_once().mail.sent == 0  # nothing twice
    # the leaders' group: the overdue notice and the escalation, one each, however many people were told
    assert len(leaders.received) == 2
    for request in leaders.received:
        assert request.path == "/robot/send" and request.query["access_token"] == "test-token"
        assert request.query["sign"] == _expected_sign(request.query["timestamp"])  # parse_qs has decoded it
        assert set(request.body) == {"msgtype", "markdown"} and request.body["msgtype"] == "markdown"
        assert set(request.body["markdown"]) == {"title", "text"} and case_id in request.body["markdown"]["title"]
    texts = [r.body["markdown"]["text"] for r in leaders.received]
    assert any("逾期通知" in t for t in texts) and any("督办通知" in t for t in texts)
    assert all("作出处罚决定期限" in t and "行政处罚" in t and f"/cases/{case_id}" in t for t in texts)
    # the officers' group: the two reminders (3 and 1 working days ahead), WeCom's form
    assert len(officers.received) == 2
    for request in officers.received:
        assert request.path == "/cgi-bin/webhook/send" and request.query == {"key": "abc"}
        assert set(request.body) == {"msgtype", "markdown"} and set(request.body["markdown"]) == {"content"}
        assert "届满提醒" in request.body["markdown"]["content"]
    # 个人信息保护法第六条: neither the groups nor the officer's e-mail read the party or the case's title
    assert len(smtp.received) == 3  # wanghai's reminders and overdue notice
    for raw in [r.raw.decode("utf-8") for r in leaders.received + officers.received] + \
               [m.get_body().get_content() + m["Subject"] for m in smtp.received]:
        assert PARTY not in raw and FILING["title"] not in raw and case_id in raw
    with town.sessions() as s:
        rows = s.scalars(select(MessageOutbox)).all()
    assert {(r.status, r.attempts) for r in rows} == {("sent", 1)} and len({r.key for r in rows}) == 4


@pytest.mark.one_database
def test_a_message_never_carries_the_cases_personal_values_even_if_a_label_did(town: Runtime) -> None:
    """The last check before sending: a value of the case's personal-data fields or its title is scrubbed."""
    opened = town.engine.create_case("enforcement_case", "wanghai", FILING)
    with town.sessions() as s:
        case = s.get(Case, opened.case_id)
        values = minimal.personal_values(town.engine.procedure_of(case), case)
    assert FILING["party"] in values and FILING["title"] in values
    assert PARTY not in minimal.scrub(f"期限 {FILING['party']}；{FILING['title']}", values)


def test_a_500_and_a_refused_errcode_are_retried_and_the_message_delivered_once(town: Runtime) -> None:
    case_id = _overdue_penalty_case(town)
    with robot_sink(SERVER_ERROR, REFUSED) as leaders:
        _set(town, robots.ROBOTS, [f"领导群 dingtalk {leaders.url()} {SECRET}"])
        _set(town, robots.ROUTES, ["领导群 overdue agency_head,enforcement_officer"])
        worker = Worker(town.engine, name="test")
        first = worker.run_once()
        assert (first.mail.sent, first.mail.failed) == (0, 1) and len(first.done) == 3  # the acts are done
        assert worker.run_once().mail.failed == 0  # not before the back-off
        town.clock.advance(seconds=outbox.BACKOFF[0].total_seconds())
        assert worker.run_once().mail.failed == 1  # errcode 310000: not taken
        with town.sessions() as s:
            row = s.scalars(select(MessageOutbox)).one()
        assert row.status == "pending" and "errcode 310000" in row.last_error
        town.clock.advance(seconds=outbox.BACKOFF[1].total_seconds())
        assert worker.run_once().mail.sent == 1
        town.clock.advance(days=1)
        assert worker.run_once().mail.sent == 0
    assert len(leaders.received) == 3 and {r.body["markdown"]["title"] for r in leaders.received} == \
        {f"逾期通知 {case_id}"}
    with town.sessions() as s:
        row = s.scalars(select(MessageOutbox)).one()
    assert (row.status, row.attempts, row.last_error) == ("sent", 3, "")


@pytest.mark.one_database
def test_a_robot_that_never_answers_fails_its_message_only_and_ends_a_dead_letter_the_admin_resends(
        town: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(robots, "TIMEOUT", 0.3)
    case_id = _overdue_penalty_case(town)
    with writing(town.sessions) as s:
        mail.set_channel(s, "wanghai", "wanghai@houlong.gov.cn", True, town.clock.now())
    _set(town, robots.ROUTES, ["领导群 escalation *"])
    worker = Worker(town.engine, name="test")
    with silent_server() as port, smtp_sink() as smtp:
        _set(town, robots.ROBOTS, [f"领导群 wecom http://127.0.0.1:{port}/cgi-bin/webhook/send?key=k"])
        _set(town, mail.SMTP_HOST, "127.0.0.1")
        _set(town, mail.SMTP_PORT, smtp.port)
        _set(town, mail.MAIL_FROM, "lawflow@houlong.gov.cn")
        report = worker.run_once()
    assert len(report.done) == 3 and not report.failed  # every act done; the e-mails went
    assert report.mail.failed == 1 and report.mail.sent == 3 and len(smtp.received) == 3
    with town.sessions() as s:
        assert s.scalar(select(Notification.id).where(Notification.kind == "escalation")) is not None
        row = s.scalars(select(MessageOutbox)).one()
    assert row.status == "pending" and "timed out" in row.last_error
    _set(town, robots.ROBOTS, [f"领导群 wecom http://127.0.0.1:{_closed_port()}/send?key=k"])
    for wait in outbox.BACKOFF:
        town.clock.advance(seconds=wait.total_seconds())
        assert worker.run_once().mail.failed == 1
    with town.sessions() as s:
        row = s.scalars(select(MessageOutbox)).one()
    assert (row.status, row.attempts) == ("dead", outbox.MAX_ATTEMPTS)
    town.clock.advance(days=1)
    assert worker.run_once().mail.failed == 0  # a dead letter waits for the administrator
    app = create_app(town, {"TESTING": True, "SECRET_KEY": "test-secret-key-for-the-web-tests-only"})
    admin = app.test_client()
    assert login(admin, "admin").status_code == 302
    page = admin.get("/admin/")
    assert parse(page).has(f"tr#dead-message-{row.id}")
    assert admin.post(f"/admin/messages/{row.id}/retry", data={"csrf_token": csrf_from(page)}).status_code == 302
    assert admin.post(f"/admin/messages/{row.id}/retry", data={"csrf_token": csrf_from(page)}).status_code == 404
    with robot_sink() as leaders:
        _set(town, robots.ROBOTS, [f"领导群 wecom {leaders.url('/cgi-bin/webhook/send?key=k')}"])
        assert worker.run_once().mail.sent == 1
    assert len(leaders.received) == 1 and case_id in leaders.received[0].body["markdown"]["content"]


@pytest.mark.one_database
@pytest.mark.parametrize("key, value, problem", [
    (robots.ROBOTS, ["领导群 feishu https://open.feishu.cn/x"], "wecom或dingtalk"),
    (robots.ROBOTS, ["领导群 wecom ftp://example.org/x"], "wecom或dingtalk"),
    (robots.ROUTES, ["领导群 late *"], "机器人名称 通知类别 角色"),
    (robots.ROUTES, ["领导群 overdue Agency Head"], "机器人名称 通知类别 角色"),
])
def test_a_malformed_robot_setting_is_refused_naming_the_line(town: Runtime, key: str, value: list[str],
                                                               problem: str) -> None:
    spec = next(s for s in CATALOGUE if s.key == key)
    with pytest.raises(SettingValueError) as exc:
        validate_value(spec, value, town.engine.registry)
    assert [(p.path, problem in p.zh) for p in exc.value.problems] == [((0,), True)]
    assert validate_value(spec, ["领导群 dingtalk https://oapi.dingtalk.com/robot/send?access_token=t SECx"]
                          if key == robots.ROBOTS else ["领导群 overdue,escalation *"], town.engine.registry)


def test_the_signature_is_the_url_encoded_base64_of_the_hmac() -> None:
    assert robots.sign(SECRET, 1700000000000) == quote_plus(_expected_sign("1700000000000"))
    assert "&timestamp=" in robots.url_of(robots.Robot("g", "dingtalk", "https://oapi.dingtalk.com/robot/send?a=t", SECRET))
    assert robots.url_of(robots.Robot("g", "wecom", "https://qyapi.weixin.qq.com/s?key=k")).endswith("?key=k")


@pytest.mark.one_database
def test_the_journal_keeps_a_robot_settings_hash_not_its_credentials(town: Runtime) -> None:
    """A robot's webhook key lets anyone post to the group and its secret signs: the administration journal, which
    auditors read and export, records the value's SHA-256 (a later value can be checked against it), never it."""
    from workflow import administration
    from workflow.audit.canonical import canonical_bytes
    from workflow.models import AuditEvent

    line = "领导群 dingtalk https://oapi.dingtalk.com/robot/send?access_token=tok123 SECsecret456"
    assert administration.change_setting(town.sessions, actor="admin", key=robots.ROBOTS, value=[line],
                                         source="本镇督查督办制度", registry=town.engine.registry, now=town.clock)
    with town.sessions() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.trigger == "setting_changed")
                          .order_by(AuditEvent.id.desc())).first()
        assert "tok123" not in event.payload and "secret456" not in event.payload
        assert hashlib.sha256(canonical_bytes({"value": [line]})).hexdigest() in event.payload
        assert accounts.setting_values(s, "houlong")[robots.ROBOTS] == [line]  # the worker still reads it
