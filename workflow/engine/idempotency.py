"""Idempotent writes: a client's key for one request, so that retrying it never applies it twice.

An integration that sent a step and lost the answer (a timeout, a crash, a dropped connection) cannot tell
whether the step landed; it sends the same request again with the same `Idempotency-Key`. The key is written
with the outcome in the very transaction of the write (or of its recorded refusal), so it exists exactly when
the write committed:

* the same key and the same request again: the first outcome is answered, nothing is written (`replayed`);
* the same key with another request (another path, body, If-Match or file): refused, nothing is written;
* two requests with one key at the same moment: SQLite's single writer runs them one after the other; on
  PostgreSQL the second one's INSERT of the key waits for the first to commit and then fails on the primary
  key, its whole transaction (event, case number, file) is rolled back, and it answers the first outcome.

Keys are kept for KEEP (docs/api.md); an older key is forgotten, and a request using it again is new.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from workflow.engine.refusals import Outcome, Reason
from workflow.models import IdempotencyKey
from workflow.store import Transactional

KEEP = timedelta(hours=24)  # not a rule of law: long enough for any client's retries, short enough to purge


@dataclass(frozen=True)
class RequestKey:
    """Who sent the key (the acting user), the key, and the SHA-256 of the request it names."""

    principal: str
    key: str
    fingerprint: str


class KeyReused(Exception):
    """The key was used before for another request."""


class KeyTaken(Exception):
    """Another transaction committed this key while ours ran (PostgreSQL): ours was rolled back."""


def recall(db: Transactional, request: RequestKey, now: datetime) -> Outcome | None:
    """The outcome the key's first request came to, or None if the key is new (or forgotten: older than
    KEEP). Raises KeyReused if it named another request."""
    execute = db.connection().execute
    this = (IdempotencyKey.principal == request.principal, IdempotencyKey.key == request.key)
    row = execute(select(IdempotencyKey.fingerprint, IdempotencyKey.outcome, IdempotencyKey.created_at)
                  .where(*this)).first()
    if row is None:
        return None
    if _aware(row.created_at) < now - KEEP:
        execute(delete(IdempotencyKey).where(*this))
        return None
    if row.fingerprint != request.fingerprint:
        raise KeyReused
    return replace(_loads(row.outcome), replayed=True)


def remember(db: Transactional, request: RequestKey, outcome: Outcome, now: datetime) -> None:
    """Keep the key with its outcome, in the write's own transaction; the sender's expired keys go."""
    execute = db.connection().execute
    execute(delete(IdempotencyKey).where(IdempotencyKey.principal == request.principal,
                                         IdempotencyKey.created_at < now - KEEP))
    try:
        execute(insert(IdempotencyKey).values(principal=request.principal, key=request.key,
                                              fingerprint=request.fingerprint, outcome=_dumps(outcome),
                                              created_at=now))
    except IntegrityError as error:
        raise KeyTaken from error


def _dumps(outcome: Outcome) -> str:
    data = asdict(outcome)
    data["reasons"] = [r.as_record() for r in outcome.reasons]
    data.pop("replayed", None)
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def _loads(text: str) -> Outcome:
    data = json.loads(text)
    data["reasons"] = tuple(Reason(r["code"], r["zh"], r["en"], r.get("article", ""), r.get("field", ""))
                            for r in data["reasons"])
    return Outcome(**data)


def _aware(value: datetime) -> datetime:
    """SQLite gives back naive datetimes for a timezone-aware column; they were stored as UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)
