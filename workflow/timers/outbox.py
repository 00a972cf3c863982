"""The outbox machinery every channel of notices shares (e-mail: mail.py; group robots and daily digests:
messages.py): a message is queued as a row in the transaction that decides it, and the timer worker delivers it.

* Claimed in a short transaction of its own (PostgreSQL: FOR UPDATE SKIP LOCKED, so parallel workers share the
  rows instead of queueing on one) and leased: its next attempt moves LEASE ahead and attempts + 1. The
  conversation with the server runs with no lock held and under a timeout, so a slow or unreachable server never
  holds up fire() or the worker's other timers; a second transaction records what came of it. A crash between
  sending and recording sends it again after the lease (at least once, under the row's idempotency key).
* A failure is tried again after BACKOFF; after MAX_ATTEMPTS it is a dead letter, listed on the administration
  page, where the administrator may send it again (`retry`).

A channel gives two functions: `prepare` (in the claiming transaction: what to send, or the reason nothing can be
sent yet, e.g. no server set) and `send` (outside any transaction; raises one of its `errors` on failure).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from workflow.clock import Clock
from workflow.db import writing
from workflow.tokens import aware  # SQLite gives the stored UTC times back without their zone

MAX_ATTEMPTS = 5
BACKOFF: Sequence[timedelta] = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
                                timedelta(hours=2))  # after the 1st, 2nd, 3rd, 4th failure
LEASE = timedelta(minutes=10)  # a claimed message is not claimed again before this (a crash mid-send)

T = TypeVar("T")


class NotDelivered(Exception):
    """The server answered, but not that it took the message (an HTTP error, a robot's errcode other than 0)."""


@dataclass
class Delivery:
    sent: int = 0
    failed: int = 0
    dead: int = 0

    def __add__(self, other: Delivery) -> Delivery:
        return Delivery(self.sent + other.sent, self.failed + other.failed, self.dead + other.dead)


@dataclass(frozen=True)
class Channel(Generic[T]):
    """How one outbox table's rows are sent: `model` has the columns id, org_id, status (pending | sent | dead),
    attempts, next_attempt_at, last_error and sent_at."""

    model: Any
    prepare: Callable[[Session, Any], T | str]  # what to send, or why nothing can be sent now (a failed attempt)
    send: Callable[[T], None]
    errors: tuple[type[BaseException], ...] = (OSError, NotDelivered)


def deliver(sessions: sessionmaker[Session], clock: Clock, channel: Channel[T], limit: int = 200,
            where: Any = None, stop_after_failure: bool = False) -> Delivery:
    """Send the channel's messages that are due (`where`: a further condition on its rows), each claimed, sent
    and recorded on its own. `stop_after_failure`: the first failure ends this call (the rows are one receiver's,
    e.g. a webhook's: one that times out costs one timeout per run, not one per message)."""
    model = channel.model
    result = Delivery()
    statement = select(model.id).where(model.status == "pending", model.next_attempt_at <= clock.now())
    if where is not None:
        statement = statement.where(where)
    with sessions() as session:
        due = list(session.scalars(statement.order_by(model.next_attempt_at, model.id).limit(limit)))
    for row_id in due:
        claimed = _claim(sessions, channel, row_id, clock)
        if claimed is None:
            continue
        try:
            channel.send(claimed)
        except channel.errors as exc:
            dead = _failed(sessions, model, row_id, clock, f"{type(exc).__name__}: {exc}"[:500])
            result.failed += 1
            result.dead += int(dead)
            if stop_after_failure:
                break
        else:
            with writing(sessions) as session:
                row = session.get(model, row_id)
                if row is not None:
                    row.status, row.sent_at, row.last_error = "sent", clock.now(), ""
            result.sent += 1
    return result


def _claim(sessions: sessionmaker[Session], channel: Channel[T], row_id: int, clock: Clock) -> T | None:
    model = channel.model
    with writing(sessions) as session:
        statement = select(model).where(model.id == row_id, model.status == "pending")
        if session.get_bind().dialect.name == "postgresql":
            statement = statement.with_for_update(skip_locked=True)
        row = session.scalar(statement)
        now = clock.now()
        if row is None or (aware(row.next_attempt_at) or now) > now:
            return None  # sent, claimed by another worker, or leased
        row.attempts += 1
        row.next_attempt_at = now + LEASE
        prepared = channel.prepare(session, row)
        if isinstance(prepared, str):  # nothing to send with (no server set): an attempt, retried after the lease
            row.last_error = prepared
            if row.attempts >= MAX_ATTEMPTS:
                row.status = "dead"
            return None
        return prepared


def _failed(sessions: sessionmaker[Session], model: Any, row_id: int, clock: Clock, error: str) -> bool:
    """Record the failure; the next attempt after the back-off, or a dead letter after the last. True: dead."""
    with writing(sessions) as session:
        row = session.get(model, row_id)
        if row is None:
            return False
        row.last_error = error
        if row.attempts >= MAX_ATTEMPTS:
            row.status = "dead"
            return True
        row.next_attempt_at = clock.now() + BACKOFF[min(row.attempts, len(BACKOFF)) - 1]
        return False


def dead_letters(session: Session, model: Any, org_id: str, limit: int = 50) -> list[Any]:
    return list(session.scalars(select(model).where(model.org_id == org_id, model.status == "dead")
                                .order_by(model.id.desc()).limit(limit)))


def retry(session: Session, model: Any, org_id: str, row_id: int, now: datetime) -> bool:
    """A dead letter of the organisation, sent again by the next run (its attempts start over)."""
    row = session.get(model, row_id)
    if row is None or row.org_id != org_id or row.status != "dead":
        return False
    row.status, row.attempts, row.next_attempt_at = "pending", 0, now
    return True
