"""Login throttling: after repeated failed logins, further attempts are refused for a while.

Why: 《信息安全技术 网络安全等级保护基本要求》(GB/T 22239-2019) 8.1.4.1 requires that a system "应具有登录失败
处理功能，应配置并启用结束会话、限制非法登录次数和当登录连接超时自动退出等相关措施". Without a limit, anyone who
can reach the login page can try passwords at the speed of the network.

The policy:
* per account (the user name as typed): 5 failures within 15 minutes lock it for 15 minutes from the fifth;
  while locked every password is refused with the same message, and is not even checked, so the answer says
  nothing about whether it was right;
* per client address (an IPv6 client by its /64, as for the portal): 20 failures within 15 minutes refuse
  every login from it for 15 minutes from the twentieth, whatever the account (password spraying);
* a successful login clears its account's failures (not the address's: someone who knows one password cannot
  wipe out their tries at the others);
* the refusal is HTTP 429 with Retry-After and a Chinese message saying when to try again; it is the same for
  a user name that does not exist (failures are counted by the name as typed, existing or not), so the lock
  tells nobody which accounts exist. A refused attempt is not counted: it cannot prolong the lock.
A person who forgot their password is locked out too, and waits. Someone who knows a user name can keep that
account locked out from anywhere: the price of a per-account limit, which the standard asks for; the log and
the audit trail (below) show it happening.

How: like the portal's rate limit (web/throttle.py), the count lives in the database the workers share: one
login_failure row per attempt, holding keyed hashes (HMAC-SHA256 under the app's secret key) of the name as
typed and of the address, never either of them. The row is added BEFORE the password is checked, in a
transaction serialised per account and per address, and deleted again if the login succeeds: parallel
attempts cannot all slip through before the first failure is counted. Every attempt deletes the rows older
than the window plus the lock (30 minutes, the longest a row can still count), so no personal data outlives
the limit.

The audit trail records each lock of an existing account, once, in the system journal (SYS; kind "refused",
step "login", the account as actor), so that an auditor of the account's organisation sees brute-force
attempts in the audit explorer. The single failures are not recorded there, nor the address locks, nor names
that are no account: the trail is permanent and append-only, so what a script can fill at will (or a password
typed into the name field) must not go into it; those are in the application log, with keyed hashes.
(Recording the lock costs the fifth failure on a real account one small write more than on an unknown name: a
timing difference of a few milliseconds, once per 15 minutes per name.)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from web import throttle
from workflow.audit.journal import Moment, record_journal_event
from workflow.clock import utc_stamp
from workflow.db import writing
from workflow.engine import SYSTEM_PROCEDURE, Reason
from workflow.models import SYSTEM_JOURNAL_ID, LoginFailure, User

BASIS = "GB/T 22239-2019 8.1.4.1"


@dataclass(frozen=True)
class Limit:
    scope: str  # "account" | "client"
    failures: int
    window: timedelta
    lock: timedelta


ACCOUNT = Limit("account", 5, timedelta(minutes=15), timedelta(minutes=15))
CLIENT = Limit("client", 20, timedelta(minutes=15), timedelta(minutes=15))
KEEP = max(limit.window + limit.lock for limit in (ACCOUNT, CLIENT))


@dataclass(frozen=True)
class Lock:
    limit: Limit
    until: datetime

    def retry_after(self, now: datetime) -> int:
        """Whole seconds until the lock ends (for the Retry-After header), at least 1."""
        return max(1, math.ceil((self.until - now).total_seconds()))


@dataclass(frozen=True)
class Admission:
    """The answer before the password is checked: refused (`lock`), or counted as a failure until it succeeds.
    `locks_account`: this attempt is the one whose failure locks the account (for the audit trail)."""

    lock: Lock | None
    locks_account: bool = False


def account_key(secret: str | bytes, username: str) -> str:
    return throttle.keyed(secret, "login.account", username)


def client_key(secret: str | bytes, address: str | None) -> str:
    return throttle.client_key(secret, address, "login.client")


def lock_end(times: Sequence[datetime], limit: Limit, now: datetime) -> datetime | None:
    """When the lock these failures (oldest first) put on ends, or None if none holds at `now`.

    No failure is counted while a lock holds, so the newest failure is the one that completed the lock, if any."""
    if not times:
        return None
    newest = times[-1]
    if sum(1 for t in times if t > newest - limit.window) < limit.failures:
        return None
    until = newest + limit.lock
    return until if until > now else None


def _failures(session: Session, column: Any, key: str, now: datetime) -> list[datetime]:
    rows = session.scalars(select(LoginFailure.at).where(column == key, LoginFailure.at > now - KEEP)
                           .order_by(LoginFailure.at)).all()
    return [_aware(t) for t in rows]


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes for what was stored as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _lock(session: Session, account: str, client: str, now: datetime) -> tuple[Lock | None, list[datetime]]:
    by_account = _failures(session, LoginFailure.account, account, now)
    locks = [Lock(limit, until) for limit, times in ((ACCOUNT, by_account),
                                                      (CLIENT, _failures(session, LoginFailure.client, client, now)))
             if (until := lock_end(times, limit, now)) is not None]
    return max(locks, key=lambda lock: lock.until, default=None), by_account


def admit(sessions: sessionmaker[Session], account: str, client: str, now: datetime) -> Admission:
    """Refuse the attempt if the account or the address is locked; otherwise count it (as a failure, until
    `succeeded` clears it), in one transaction serialised per account and per address."""
    with throttle.serialised(sessions, account, client) as session:
        session.execute(delete(LoginFailure).where(LoginFailure.at <= now - KEEP))
        lock, by_account = _lock(session, account, client, now)
        if lock is not None:
            return Admission(lock)
        session.add(LoginFailure(account=account, client=client, at=now))
    recent = sum(1 for t in by_account if t > now - ACCOUNT.window)
    return Admission(None, locks_account=recent + 1 >= ACCOUNT.failures)


def current_lock(sessions: sessionmaker[Session], account: str, client: str, now: datetime) -> Lock | None:
    """The lock holding now (after a failure: the one this failure completed, if any)."""
    with sessions() as session:
        return _lock(session, account, client, now)[0]


def succeeded(sessions: sessionmaker[Session], account: str) -> None:
    """A successful login clears the account's failures (its own attempt's row among them)."""
    with writing(sessions) as session:
        session.execute(delete(LoginFailure).where(LoginFailure.account == account))


def record_account_lock(sessions: sessionmaker[Session], username: str, lock: Lock, now: Moment) -> bool:
    """Put the lock of an existing account in the system journal of the audit trail (at the time `now` gives
    under the journal's lock: pass the clock); False (nothing recorded) for a name that is no account."""
    with writing(sessions) as session:
        if session.scalar(select(User.id).where(User.username == username)) is None:
            return False
        minutes = int(ACCOUNT.window.total_seconds() // 60)
        reason = Reason(
            "login_locked",
            f"{minutes}分钟内连续登录失败{ACCOUNT.failures}次，账号锁定至{utc_stamp(lock.until)}（UTC）",
            f"{ACCOUNT.failures} failed logins within {minutes} minutes: the account is locked until "
            f"{utc_stamp(lock.until)} (UTC)", BASIS)
        record_journal_event(session, SYSTEM_JOURNAL_ID, when=now, kind="refused", procedure=SYSTEM_PROCEDURE,
                             trigger="login", actor=username, payload={
                                 "failures": ACCOUNT.failures, "window_minutes": minutes,
                                 "locked_until": utc_stamp(lock.until)}, reasons=[reason.as_record()])
    return True
