"""Case numbers after a restore: never issue a number twice.

A database put back to an older state (an older backup restored, a disk snapshot) has counters below the
numbers already issued and printed on notices; the next case would get a number some other case already
carries. `lawflow restore` compares the counters with the highs witnessed outside the database
(workflow/audit/witness.py) and, when they are behind, sets a hold: workflow/numbering.py opens no case
for a held organisation. `lawflow case-numbers advance` (an operator at the console) sets each counter to the
witnessed high (or a value the operator gives, e.g. from the paper register) and lifts the holds. Both the
hold and the advance are events of the system journal SYS, so the trail shows the rollback and its repair.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from workflow.audit.trail import append_event
from workflow.clock import utc_stamp
from workflow.db import writing
from workflow.models import SYSTEM_JOURNAL_ID, AuditJournal, CaseNumberCounter, Organization
from workflow.numbering import HOLD_PREFIX

PROCEDURE = "operations@1"  # the `procedure` of the operator's events: no definition file, a fixed id@version
HELD_KIND = "case_numbers_held"
ADVANCED_KIND = "case_numbers_advanced"
OPERATOR_ROLE = "operator"


class CounterError(ValueError):
    """A counter the operator named cannot be set (unknown organisation, malformed, lower than issued)."""


@dataclass(frozen=True)
class Advanced:
    changed: dict[str, tuple[int, int]]  # "org/PREFIX/year" -> (before, after)
    released: list[str]
    seq: int


def parse_key(key: str) -> tuple[str, str, int]:
    parts = key.rsplit("/", 2)
    if len(parts) != 3 or not parts[2].isdigit() or not parts[0] or not parts[1] or parts[1] == HOLD_PREFIX:
        raise CounterError(f"计数器须写作 组织/程序前缀/年份 / a counter is written org/PREFIX/year, e.g. "
                           f"houlong/EC/2026, not {key!r}")
    return parts[0], parts[1], int(parts[2])


def held_organisations(session: Session) -> list[str]:
    return list(session.scalars(select(CaseNumberCounter.org_id).where(
        CaseNumberCounter.prefix == HOLD_PREFIX, CaseNumberCounter.year == 0, CaseNumberCounter.last_number > 0)))


def _set(session: Session, org_id: str, prefix: str, year: int, value: int) -> None:
    table = CaseNumberCounter.__table__
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(table).values(org_id=org_id, prefix=prefix, year=year, last_number=value)
                    .on_conflict_do_update(index_elements=[table.c.org_id, table.c.prefix, table.c.year],
                                           set_={"last_number": value}))


def _journal(session: Session) -> AuditJournal:
    journal = session.get(AuditJournal, SYSTEM_JOURNAL_ID, with_for_update=True)
    assert journal is not None, "the SYS journal row is created by the first migration"
    return journal


def hold(sessions: sessionmaker[Session], findings: Iterable[str], highs: Mapping[str, int], operator: str,
         now: datetime) -> list[str]:
    """Hold the opening of cases in every organisation whose counters are behind `highs`; recorded in SYS."""
    with writing(sessions) as session:
        behind = sorted({parse_key(key)[0] for key, high in highs.items()
                         if (_current(session, key) or 0) < high})
        if not behind:
            return []
        for org_id in behind:
            if session.get(Organization, org_id) is not None:
                _set(session, org_id, HOLD_PREFIX, 0, 1)
        append_event(session, _journal(session), kind=HELD_KIND, at=utc_stamp(now), procedure=PROCEDURE,
                     trigger="hold_case_numbers", actor=operator, role=OPERATOR_ROLE,
                     payload={"organisations": behind,  # canonical JSON: keys are identifiers, so counters are listed
                              "witnessed_highs": [{"counter": k, "number": v} for k, v in sorted(highs.items())],
                              "findings": [f[:500] for f in findings][:20]})
    return behind


def _current(session: Session, key: str) -> int | None:
    org_id, prefix, year = parse_key(key)
    row = session.get(CaseNumberCounter, (org_id, prefix, year))
    return None if row is None else row.last_number


def advance(sessions: sessionmaker[Session], targets: Mapping[str, int], operator: str, now: datetime,
            source: str) -> Advanced:
    """Set each named counter to at least its target (the next case gets target + 1), lift every hold, and
    record it in SYS. A counter is never lowered."""
    with writing(sessions) as session:
        journal = _journal(session)  # locked first: one advance at a time, in the journal's order
        changed: dict[str, tuple[int, int]] = {}
        for key, target in sorted(targets.items()):
            org_id, prefix, year = parse_key(key)
            if session.get(Organization, org_id) is None:
                raise CounterError(f"单位「{org_id}」不存在 / organisation {org_id!r} does not exist ({key})")
            if target < 0:
                raise CounterError(f"{key}: 编号不能为负数 / a number cannot be negative")
            before = _current(session, key) or 0
            if target > before:
                _set(session, org_id, prefix, year, target)
                changed[key] = (before, target)
        released = sorted(held_organisations(session))
        for org_id in released:
            _set(session, org_id, HOLD_PREFIX, 0, 0)
        event = append_event(session, journal, kind=ADVANCED_KIND, at=utc_stamp(now), procedure=PROCEDURE,
                             trigger="advance_case_numbers", actor=operator, role=OPERATOR_ROLE,
                             payload={"advanced": [{"counter": k, "from": a, "to": b} for k, (a, b) in changed.items()],
                                      "released": released, "source": source[:500]})
    return Advanced(changed, released, event.seq)
