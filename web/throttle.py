"""The public portal's rate limit: at most 5 comment forms per client in 10 minutes, and 20 in a day.

(The keyed hashes and the serialised transaction below are shared with the login throttle, web/login_throttle.py.)

It must hold across gunicorn workers (`make run` starts two) and across hosts, so the count lives in the
database they share, not in a worker's memory: one portal_submission row per form submitted, keyed by an
HMAC-SHA256 of the client address under the app's secret key. The raw address is never stored; the hash
identifies a client only to whoever holds the key, and a row is deleted once it is older than the longest
window (a day), so nothing of who commented outlives the limit.

Why a table and not the audit trail: the trail is append-only and permanent, so a pseudonymous client hash
put there could never be deleted (个人信息保护法第十九条: keep personal information no longer than needed);
it would also land in the case data, since a step's payload is recorded as the comment; and the limit must
count forms that never reach the engine (a filled honeypot, a form sent too fast).

The check and the insert are one transaction, serialised per client (SQLite: the write lock, BEGIN
IMMEDIATE; PostgreSQL: a transaction-scoped advisory lock on the client hash), so two workers serving the
same client at once cannot both take the last slot.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from workflow.db import writing
from workflow.models import PortalSubmission


@dataclass(frozen=True)
class Window:
    length: timedelta
    limit: int


WINDOWS = (Window(timedelta(minutes=10), 5), Window(timedelta(days=1), 20))
KEEP = max(w.length for w in WINDOWS)


def keyed(secret: str | bytes, purpose: str, value: str) -> str:
    """HMAC-SHA256 of `value` under the app's secret key, separated by purpose: a stored count can name who it
    counts only to whoever holds the key, and the same value gives unrelated hashes for different purposes."""
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, f"lawflow.{purpose}\x00".encode() + value.encode(), hashlib.sha256).hexdigest()


def client_key(secret: str | bytes, address: str | None, purpose: str = "portal.client") -> str:
    """The keyed hash the limit counts by. IPv6 clients are counted by their /64 (one subscriber's prefix:
    anyone can use millions of addresses inside it); IPv4-mapped IPv6 addresses count as the IPv4 address."""
    address = address or "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        ip = None
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            address = str(ip.ipv4_mapped)
        else:
            address = str(ipaddress.IPv6Network((ip, 64), strict=False).network_address) + "/64"
    return keyed(secret, purpose, address)


@contextmanager
def serialised(sessions: sessionmaker[Session], *keys: str) -> Iterator[Session]:
    """A writing transaction that no other one holding any of these keyed hashes runs beside: SQLite's write
    lock (BEGIN IMMEDIATE) serialises every writer anyway; on PostgreSQL a transaction-scoped advisory lock per
    key, taken in sorted order so that two of them never deadlock."""
    with writing(sessions) as session:
        if session.get_bind().dialect.name == "postgresql":
            for key in sorted(set(keys)):
                session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": int(key[:15], 16)})
        yield session


def admit(sessions: sessionmaker[Session], client: str, org_id: str, now: datetime,
          windows: tuple[Window, ...] = WINDOWS) -> Window | None:
    """Count this submission unless one of the windows is full for the client. Returns the full window (the
    submission is not counted) or None (counted: the caller may go on). Other `windows` (none longer than KEEP)
    limit another use of the portal, counted under its own client key (client_key's `purpose`)."""
    with serialised(sessions, client) as session:
        session.execute(delete(PortalSubmission).where(PortalSubmission.at < now - KEEP))
        for window in windows:
            used = session.scalar(select(func.count()).select_from(PortalSubmission).where(
                PortalSubmission.client == client, PortalSubmission.at > now - window.length)) or 0
            if used >= window.limit:
                return window
        session.add(PortalSubmission(client=client, org_id=org_id, at=now))
    return None
