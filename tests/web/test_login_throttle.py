"""Login throttling (GB/T 22239-2019 8.1.4.1): 5 failures lock an account for 15 minutes, 20 an address; the
answer never tells whether the name exists or the password was right; the count holds across workers; locks of
real accounts reach the audit trail; idle sessions are logged out."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from tests.web.helpers import csrf_from, login, text
from web import auth, create_app, login_throttle
from workflow.audit import status as verification
from workflow.clock import utc_stamp
from workflow.demo import DEMO_PASSWORD
from workflow.models import SYSTEM_JOURNAL_ID, AuditEvent, LoginFailure
from workflow.runtime import Runtime

LOCKED_ACCOUNT = "该账号15分钟内登录失败已达5次，暂停登录"
LOCKED_NETWORK = "本网络15分钟内登录失败已达20次，暂停登录"
WRONG = "用户名或密码不正确"


def client_at(app: Flask, address: str = "198.51.100.7") -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def fail(client: FlaskClient, username: str, times: int) -> TestResponse:
    response = None
    for _ in range(times):
        response = login(client, username, "not-the-password")
    assert response is not None
    return response


def lock_events(town: Runtime) -> list[AuditEvent]:
    with town.sessions() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.case_id == SYSTEM_JOURNAL_ID,
                                                       AuditEvent.trigger == "login")))


def without_name(page: str, username: str) -> str:
    """The page minus the name echoed into the form and the per-session CSRF token."""
    return re.sub(r'name="csrf_token" value="[^"]+"', "", page).replace(f'value="{username}"', 'value=""')


def test_five_failures_lock_the_account_for_15_minutes_whatever_the_password(app, town):
    client = client_at(app)
    for _ in range(4):
        response = login(client, "zhangwei", "wrong")
        assert response.status_code == 200 and WRONG in text(response)
    fifth = login(client, "zhangwei", "wrong")
    assert fifth.status_code == 429 and LOCKED_ACCOUNT in text(fifth)
    assert fifth.headers["Retry-After"] == "900"
    assert "请于2026年3月2日 09:15（北京时间）后再试" in text(fifth)  # 01:15 UTC, in Beijing
    town.clock.advance(minutes=10)
    right = login(client_at(app, "203.0.113.5"), "zhangwei", DEMO_PASSWORD)  # another address: still locked
    assert right.status_code == 429 and right.headers["Retry-After"] == "300"
    assert LOCKED_ACCOUNT in text(right) and client.get("/cases/").status_code == 302
    town.clock.advance(minutes=5)
    assert login(client, "zhangwei", DEMO_PASSWORD).status_code == 302
    assert client.get("/cases/").status_code == 200


def test_the_lock_lasts_15_minutes_from_the_fifth_failure_and_refused_tries_do_not_prolong_it(app, town):
    client = client_at(app)
    fail(client, "lina", 4)
    town.clock.advance(minutes=14)
    assert fail(client, "lina", 1).status_code == 429  # 5 within 15 minutes
    town.clock.advance(minutes=10)  # the first four are now 24 minutes old: the lock still holds
    assert login(client, "lina", DEMO_PASSWORD).status_code == 429
    town.clock.advance(minutes=5, seconds=1)  # 15 minutes after the fifth
    assert login(client, "lina", DEMO_PASSWORD).status_code == 302


def test_an_unknown_name_gets_exactly_the_same_answers(app):
    real, unknown = client_at(app, "198.51.100.1"), client_at(app, "198.51.100.2")
    for n in range(1, 7):
        a = login(real, "zhangwei", "wrong" if n < 6 else DEMO_PASSWORD)
        b = login(unknown, "no-such-person", "wrong")
        assert a.status_code == b.status_code == (200 if n < 5 else 429), n
        assert a.headers.get("Retry-After") == b.headers.get("Retry-After")
        assert without_name(text(a), "zhangwei") == without_name(text(b), "no-such-person"), n


def test_a_successful_login_clears_the_accounts_failures(app, town):
    client = client_at(app)
    fail(client, "zhangwei", 4)
    assert login(client, "zhangwei", DEMO_PASSWORD).status_code == 302
    other = client_at(app)
    assert fail(other, "zhangwei", 4).status_code == 200  # counted afresh: four, not eight
    assert fail(other, "zhangwei", 1).status_code == 429


def test_twenty_failures_from_one_address_refuse_every_account_from_it(app, town):
    client = client_at(app, "2001:db8:1:2::10")
    for name in ("zhangwei", "lina", "chenjing", "guomin"):
        assert fail(client, name, 4).status_code == 200
    last = fail(client, "wanghai", 4)
    assert last.status_code == 429 and LOCKED_NETWORK in text(last)
    same_network = client_at(app, "2001:db8:1:2::99")  # the same /64
    response = login(same_network, "huangzhenhua", DEMO_PASSWORD)
    assert response.status_code == 429 and LOCKED_NETWORK in text(response)
    assert login(client_at(app, "2001:db8:1:3::10"), "huangzhenhua", DEMO_PASSWORD).status_code == 302
    town.clock.advance(minutes=15, seconds=1)
    assert login(same_network, "huangzhenhua", DEMO_PASSWORD).status_code == 302


def test_the_count_is_shared_by_every_worker(town):
    config = {"TESTING": True, "SECRET_KEY": "one-key-for-every-worker-of-the-instance"}
    first, second = create_app(town, config), create_app(town, config)
    fail(client_at(first), "zhangwei", 3)
    assert fail(client_at(second), "zhangwei", 2).status_code == 429
    assert login(client_at(first), "zhangwei", DEMO_PASSWORD).status_code == 429


def test_parallel_attempts_cannot_slip_past_the_limit(town):
    """Counted before the password is checked, in a serialised transaction: of 12 simultaneous attempts on one
    account exactly 5 are let through to the password check."""
    account, now = "a" * 64, town.clock.now()
    results: list[login_throttle.Admission] = []
    barrier = threading.Barrier(12)

    def attempt(i: int) -> None:
        barrier.wait()
        results.append(login_throttle.admit(town.sessions, account, f"{i:064x}", now))

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(1 for r in results if r.lock is None) == 5
    assert sum(1 for r in results if r.locks_account) == 1


def test_only_keyed_hashes_are_stored_and_only_for_half_an_hour(app, town):
    fail(client_at(app, "192.0.2.44"), "zhangwei", 2)
    with town.sessions() as s:
        rows = s.scalars(select(LoginFailure)).all()
    assert len(rows) == 2
    for row in rows:
        assert re.fullmatch(r"[0-9a-f]{64}", row.account) and re.fullmatch(r"[0-9a-f]{64}", row.client)
        assert row.account == login_throttle.account_key(app.secret_key, "zhangwei")
        assert row.client == login_throttle.client_key(app.secret_key, "192.0.2.44")
    town.clock.advance(minutes=30, seconds=1)
    fail(client_at(app, "192.0.2.45"), "lina", 1)  # any attempt purges what can no longer count
    with town.sessions() as s:
        assert s.scalar(select(func.count()).select_from(LoginFailure)) == 1


def test_an_empty_form_is_not_counted(app, town):
    client = client_at(app)
    for _ in range(6):
        response = client.post("/login", data={"username": "zhangwei", "password": "",
                                               "csrf_token": csrf_from(client.get("/login"))})
        assert response.status_code == 200
    assert login(client, "zhangwei", DEMO_PASSWORD).status_code == 302


def test_the_lock_of_a_real_account_is_audited_once_and_shown_to_its_auditor(app, town, client_for):
    client = client_at(app)
    fail(client, "zhangwei", 4)
    assert lock_events(town) == []  # single failures are not put in the permanent trail
    fail(client, "zhangwei", 3)  # the fifth locks; the two refused after it add nothing
    fail(client_at(app, "192.0.2.9"), "no-such-person", 5)
    events = lock_events(town)
    assert len(events) == 1
    event = events[0]
    assert (event.kind, event.actor, event.at) == ("refused", "zhangwei", utc_stamp(town.clock.now()))
    assert "GB/T 22239-2019 8.1.4.1" in event.reasons and "no-such-person" not in event.payload
    page = text(client_for("liushen").get("/audit/events?actor=zhangwei"))
    assert "连续登录失败5次" in page
    rt = town
    result = verification.run(rt.sessions, rt.origin, utc_stamp(rt.clock.now()), records_dir=str(rt.records.root))
    assert result["report"]["ok"], result["report"]


@pytest.mark.parametrize("idle_minutes", [29, 31])
def test_a_session_idle_for_more_than_30_minutes_is_logged_out(app, monkeypatch, idle_minutes):
    client = client_at(app)
    start = auth._now_seconds()
    monkeypatch.setattr(auth, "_now_seconds", lambda: start)
    assert login(client, "zhangwei").status_code == 302
    assert client.get("/cases/").status_code == 200
    monkeypatch.setattr(auth, "_now_seconds", lambda: start + idle_minutes * 60)
    response = client.get("/cases/?x=1")
    if idle_minutes < 30:
        assert response.status_code == 200
        return
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    assert "超过30分钟未操作，已自动退出登录" in text(client.get(response.headers["Location"]))
    assert client.get("/cases/").status_code == 302  # logged out for good, not only this once


def test_the_idle_limit_is_counted_from_the_last_request(app, monkeypatch):
    client = client_at(app)
    now = [auth._now_seconds()]
    monkeypatch.setattr(auth, "_now_seconds", lambda: now[0])
    login(client, "zhangwei")
    for _ in range(3):  # an hour and a half of work, a request every 25 minutes
        now[0] += 25 * 60
        assert client.get("/cases/").status_code == 200


def test_the_throttle_messages_in_english(app, town):
    client = client_at(app)
    client.get("/login?lang=en")
    response = fail(client, "zhangwei", 5)
    assert response.status_code == 429
    assert "5 failed logins to this account within 15 minutes" in text(response)
    assert timedelta(seconds=int(response.headers["Retry-After"])) == login_throttle.ACCOUNT.lock
