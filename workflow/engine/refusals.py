"""Refusals: why an attempt was refused (`Reason`), what an attempt came to (`Outcome`), and how a refusal is
recorded — in the case's own chain once the case is known, else in the system journal (SYS).

A refusal changes nothing but the audit trail: its event is the only write of its transaction (ARCHITECTURE.md,
invariant 1). `Refused` carries the reasons from the check that found them to the unit of work that records
them (workflow/engine/__init__.py); it never leaves the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from workflow import inputs
from workflow.audit.trail import append_event, safe_payload
from workflow.clock import utc_stamp
from workflow.engine.transaction import orm
from workflow.models import SYSTEM_JOURNAL_ID, AuditJournal
from workflow.store import CaseRow, Transactional, save_chain_head

SYSTEM_PROCEDURE = "system@1"  # refusals that reach no procedure are recorded under this ref


@dataclass(frozen=True)
class Reason:
    """Why an attempt was refused: a stable code, the article, and the message in Chinese and English."""

    code: str
    zh: str
    en: str
    article: str = ""
    field: str = ""

    def as_record(self) -> dict[str, str]:
        record = {"code": self.code, "zh": self.zh, "en": self.en, "article": self.article}
        if self.field:
            record["field"] = self.field
        return record

    def text(self, lang: str = "zh") -> str:
        message = self.en if lang == "en" else self.zh
        return f"{message}（{self.article}）" if self.article and lang != "en" else (
            f"{message} ({self.article})" if self.article else message)


@dataclass(frozen=True)
class Outcome:
    """What an attempt came to. A step taken (fire) or opened (create_case) has its event's `seq` and
    `event_hash`; a refusal lists every reason found, with the seq and hash of the refusal's own event; a
    check() has no event at all (seq None), whatever it found."""

    ok: bool
    case_id: str | None
    trigger: str
    from_state: str | None = None
    to_state: str | None = None
    seq: int | None = None
    event_hash: str | None = None
    reasons: tuple[Reason, ...] = ()
    case_version: int | None = None
    replayed: bool = False  # the first outcome of a request sent again with its Idempotency-Key (nothing written)

    @property
    def codes(self) -> list[str]:
        return [r.code for r in self.reasons]


class Refused(Exception):  # noqa: N818 - internal control flow, never escapes the engine
    def __init__(self, *reasons: Reason):
        self.reasons = reasons


@dataclass
class Attempt:
    """What the engine knows about an attempt so far, so that a refusal can be recorded faithfully: once the
    case is loaded (`case`, read at `now` under its lock) a refusal goes into the case's chain."""

    trigger: str
    actor: str
    raw_payload: Any
    from_state: str | None = None
    role: str | None = None
    procedure: str = SYSTEM_PROCEDURE
    extra: dict[str, Any] = field(default_factory=dict)
    case: CaseRow | None = None
    now: datetime | None = None
    via: str | None = None  # the integration (a service account) through which the actor acted, if any

    @classmethod
    def of(cls, trigger: str, actor: str, payload: Any, via: str | None = None) -> Attempt:
        # What the event records of the attempt fits its columns and the canonical profile, whatever was sent.
        return cls(trigger=recordable(trigger, 64), actor=recordable(actor, 64), raw_payload=payload,
                   via=recordable(via, 64) if via else None)

    def facts(self) -> dict[str, Any]:
        """The event's facts about the attempt itself: the integration it came through (docs/audit-format.md §1)."""
        return {"via": self.via} if self.via else {}

    def on(self, case: CaseRow, now: datetime) -> None:
        self.case, self.now = case, now
        self.from_state = case.state
        self.procedure = f"{case.procedure}@{case.procedure_version}"

    def recorded_payload(self) -> dict[str, Any]:
        payload = safe_payload(self.raw_payload)
        if self.extra:  # e.g. the file a refused record attachment brought (its hash and size, not its content)
            payload = {"attempt": self.extra, "payload": payload}
        return payload

    def unchecked(self, reasons: tuple[Reason, ...]) -> Outcome:
        """What check() answers: the reasons, and no event."""
        case = self.case
        return Outcome(False, case.id if case else None, self.trigger, self.from_state, self.from_state, None,
                       None, reasons, case.version if case else None)


def record_refusal(db: Transactional, attempt: Attempt, reasons: tuple[Reason, ...],
                   clock: Callable[[], datetime]) -> Outcome:
    """The refusal's event, in the case's chain or (no case yet) the system journal's."""
    case = attempt.case
    if case is None:
        return _in_journal(db, attempt, reasons, clock)
    assert attempt.now is not None, "Attempt.on() reads the time with the case"
    # Nothing of the attempt is on the row: fire() changes `case` only when applying, after every check.
    event = append_event(
        db, case, kind="refused", at=utc_stamp(attempt.now), procedure=attempt.procedure,
        trigger=attempt.trigger, from_state=attempt.from_state, to_state=attempt.from_state,
        actor=attempt.actor, role=attempt.role, payload=attempt.recorded_payload(),
        reasons=[r.as_record() for r in reasons], facts=attempt.facts() or None,
    )
    save_chain_head(db, case)
    return Outcome(False, case.id, attempt.trigger, attempt.from_state, attempt.from_state, event.seq,
                   event.hash, tuple(reasons), case.version)


def _in_journal(db: Transactional, attempt: Attempt, reasons: tuple[Reason, ...],
                clock: Callable[[], datetime]) -> Outcome:
    journal = orm(db)().get(AuditJournal, SYSTEM_JOURNAL_ID, with_for_update=True)
    assert journal is not None, "the SYS journal row is created by the first migration"
    now = clock()  # read under the journal's lock, so that the journal's times never go back
    event = append_event(
        db, journal, kind="refused", at=utc_stamp(now), procedure=attempt.procedure,
        trigger=attempt.trigger, actor=attempt.actor, role=attempt.role, payload=attempt.recorded_payload(),
        reasons=[r.as_record() for r in reasons], facts=attempt.facts() or None,
    )
    return Outcome(False, None, attempt.trigger, None, None, event.seq, event.hash, tuple(reasons))


def recordable(text: str, limit: int) -> str:
    """`text` as an event may record it: itself when clean and short enough, else escaped and cut."""
    return text if inputs.is_clean(text, limit) else inputs.printable(text, limit - 1)
