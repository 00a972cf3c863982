"""A person's daily digest (workflow/timers/digest.py) against a real SMTP server the test starts: chosen on the
inbox page, one e-mail at the chosen hour (Asia/Shanghai) listing the day's notices instead of a message each,
not before the hour, never twice, none on a day with nothing to list, and no party's personal data in it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.penalty_cases import FILING
from tests.smtp_sink import smtp_sink
from tests.test_timer_robots import PARTY, _overdue_penalty_case, _set
from tests.web.helpers import csrf_from, login
from web import create_app
from workflow.clock import local_date
from workflow.db import writing
from workflow.models import MessageOutbox, NotificationChannel
from workflow.runtime import Runtime
from workflow.timers import digest as prefs
from workflow.timers import mail, robots
from workflow.timers.worker import Worker

pytestmark = pytest.mark.one_database
HOUR = 17


def test_three_notices_make_one_digest_at_the_chosen_hour_and_only_once(town: Runtime) -> None:
    app = create_app(town, {"TESTING": True, "SECRET_KEY": "test-secret-key-for-the-web-tests-only"})
    officer, other = app.test_client(), app.test_client()
    assert login(officer, "wanghai").status_code == 302 and login(other, "caiming").status_code == 302
    token = csrf_from(officer.get("/inbox/"))
    other.post("/inbox/digest", data={"digest": "1", "digest_hour": "8", "csrf_token": csrf_from(other.get("/inbox/"))})
    officer.post("/inbox/email", data={"email": "wanghai@houlong.gov.cn", "email_enabled": "1", "csrf_token": token})
    officer.post("/inbox/digest", data={"digest": "1", "digest_hour": "24", "csrf_token": token})  # no such hour
    officer.post("/inbox/digest", data={"digest": "1", "digest_hour": str(HOUR), "csrf_token": token})
    with town.sessions() as s:
        assert s.get(NotificationChannel, "caiming") is None  # a digest needs an address to go to
        chosen = s.get(NotificationChannel, "wanghai")
        assert chosen is not None and (chosen.digest, chosen.digest_hour) == (True, HOUR)
    case_id = _overdue_penalty_case(town)  # 09:00: two reminders and the overdue notice fall due for wanghai
    today = local_date(town.clock.now())
    worker = Worker(town.engine, name="test")
    with smtp_sink() as sink:
        _set(town, mail.SMTP_HOST, "127.0.0.1")
        _set(town, mail.SMTP_PORT, sink.port)
        _set(town, mail.MAIL_FROM, "lawflow@houlong.gov.cn")
        _set(town, robots.SITE_URL, "https://lawflow.houlong.gov.cn")
        assert len(worker.run_once().done) == 3
        assert sink.received == []  # no single copies for a person who chose the digest
        town.clock.set_local_date(today, hour=HOUR - 1)
        town.clock.advance(minutes=59)
        assert worker.run_once().mail.sent == 0  # not before the hour
        town.clock.advance(minutes=1)
        assert worker.run_once().mail.sent == 1
        assert worker.run_once().mail.sent == 0  # once a day
        town.clock.set_local_date(today + timedelta(days=1), hour=HOUR + 1)
        assert worker.run_once().mail.sent == 0  # nothing new to list: no digest
    assert len(sink.received) == 1
    digest = sink.received[0]
    assert digest["To"] == "wanghai@houlong.gov.cn" and today.isoformat() in digest["Subject"]
    body = digest.get_body().get_content()
    assert body.count(f"https://lawflow.houlong.gov.cn/cases/{case_id}") == 6  # 3 notices, Chinese and English
    assert "【届满提醒】" in body and "【逾期通知】" in body and "[Overdue]" in body
    assert body.index("您好") < body.index("notice(s) up to")  # Chinese first, English below
    assert PARTY not in body and FILING["title"] not in body
    with town.sessions() as s:
        keys = s.scalars(select(MessageOutbox.key)).all()
    assert keys == [f"digest:wanghai:{today.isoformat()}"]


def test_a_digest_waits_for_a_late_worker_and_lists_the_24_hours_before_its_hour(town: Runtime) -> None:
    """A worker down at the hour sends the day's digest when it is back; a notice left after the hour waits for
    the next day's, so the days join without a gap or an overlap."""
    with writing(town.sessions) as s:
        mail.set_channel(s, "wanghai", "wanghai@houlong.gov.cn", True, town.clock.now())
        prefs.set_preferences(s, "wanghai", True, 8, town.clock.now())
    _overdue_penalty_case(town)  # the acts fall due at 09:00, after the hour
    worker = Worker(town.engine, name="test")
    with smtp_sink() as sink:
        _set(town, mail.SMTP_HOST, "127.0.0.1")
        _set(town, mail.SMTP_PORT, sink.port)
        _set(town, mail.MAIL_FROM, "lawflow@houlong.gov.cn")
        assert worker.run_once().mail.sent == 0  # today's digest (up to 08:00) has nothing: the notices are newer
        tomorrow = local_date(town.clock.now()) + timedelta(days=1)
        town.clock.set_local_date(tomorrow, hour=23)
        assert worker.run_once().mail.sent == 1
    assert len(sink.received) == 1 and f"{tomorrow.isoformat()}（3条）" in sink.received[0]["Subject"]
