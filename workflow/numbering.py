"""Case numbers (案件编号): `<organisation>-<PREFIX>-<year>-<NNNN>`, e.g. `houlong-EC-2026-0001`.

Each organisation counts its own cases, per procedure prefix (the initials of the procedure id: EC for
enforcement_case) and per year (Beijing time), starting at 0001: a town's numbers say nothing about another
town's volume. The id is still the case's one global key (URLs, the audit chain's `case`, links between
cases), so it carries the organisation's code; parsed from the right (number, year, prefix) the rest is the
organisation, so two organisations never share an id.

Allocation is a counter row per (organisation, prefix, year), incremented by one upsert in the creating
transaction. The upsert holds the row's lock until that transaction ends (PostgreSQL's ON CONFLICT DO UPDATE
locks the row as SELECT ... FOR UPDATE would; on SQLite the writer already holds the database's write lock,
BEGIN IMMEDIATE in workflow/db.py), so concurrent creators queue on the row instead of racing for max + 1.
The counter only ever goes up. It is transactional: a number is issued when the case row and its `created`
event commit with it; a creation that rolls back takes its increment back with it, and nobody has seen that
number, so nothing is reissued and the numbers have no gaps. A number that is already a case id (rows written
around the engine, e.g. an import) is skipped, never reused.

Cases opened before migration 0011 keep their ids (`EC-2026-0005`: the ids are hashed into their audit
chains); the migration seeds each organisation's counters from the numbers of its own cases, so its series
continues where it stood.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from workflow.clock import Clock, local_date
from workflow.models import Case, CaseNumberCounter

HOLD_PREFIX = "!HOLD"  # a counter row no procedure prefix can equal: set, the organisation may not open cases
CODE_MAX = 20  # with "-PREFIX-YYYY-NNNNNN" an id stays within case_file.id's 40 characters
_VERBATIM = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
MAX_SKIPS = 10_000


def prefix_of(procedure_id: str) -> str:
    """EC for enforcement_case, MD for major_decision, ER for enforcement_review."""
    return "".join(part[0] for part in procedure_id.split("_") if part).upper()


def org_code(org_id: str) -> str:
    """The organisation's part of its case ids: its id when that is short and safe in a URL (every
    organisation so far: houlong, fengwei ...), otherwise a fixed digest of it (`o` + 12 hex digits)."""
    if len(org_id) <= CODE_MAX and _VERBATIM.fullmatch(org_id):
        return org_id
    return "o" + hashlib.sha256(org_id.encode("utf-8")).hexdigest()[:12]


def case_id(org_id: str, prefix: str, year: int, number: int) -> str:
    return f"{org_code(org_id)}-{prefix}-{year}-{number:04d}"


def next_number(session: Session, org_id: str, prefix: str, year: int) -> int:
    """Increment the (organisation, prefix, year) counter and return its new value; the row stays locked
    until the caller's transaction ends."""
    return increment(session, CaseNumberCounter.__table__, {"org_id": org_id, "prefix": prefix, "year": year})


def increment(session: Session, table: Table, key: dict[str, object]) -> int:
    """Add one to `last_number` of the counter row `key` of `table` (made at 1 if new) and return it, in one
    upsert … RETURNING: the row stays locked until the caller's transaction ends, so concurrent writers queue
    here (case numbers; document numbers, workflow/documents/numbers.py)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(table).values(**key, last_number=1)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c[name] for name in key],
        set_={"last_number": table.c.last_number + 1},
    ).returning(table.c.last_number)
    return int(session.execute(statement).scalar_one())


class NumberingHeld(RuntimeError):
    """The organisation's counters may lag numbers already issued (an older backup was restored): no case is
    opened until an operator runs `lawflow case-numbers advance` (workflow/case_number_hold.py)."""

    def __init__(self, org_id: str):
        super().__init__(f"{org_id} 的案件编号已暂停：恢复的数据库可能落后于已发出的编号，请运维人员运行 lawflow case-numbers "
                         f"advance / case numbering of {org_id} is held: the restored database may be behind numbers "
                         f"already issued; an operator must run `lawflow case-numbers advance`")
        self.org_id = org_id


def held(session: Session, org_id: str) -> bool:
    row = session.get(CaseNumberCounter, (org_id, HOLD_PREFIX, 0))
    return row is not None and row.last_number > 0


def allocate(session: Session, org_id: str, procedure_id: str, clock: Clock, now: datetime) -> tuple[str, datetime]:
    """A new case id for the organisation, and the opening time read once its counter is locked, so that
    within a series a later number never opens earlier. `now` (the time the checks used) picks the year; if
    the year turned while this creator waited for the lock, the new year's series is used. Raises
    NumberingHeld while a restore's hold is set (a number is never issued twice)."""
    if held(session, org_id):
        raise NumberingHeld(org_id)
    prefix = prefix_of(procedure_id)
    year = local_date(now).year
    for _ in range(MAX_SKIPS):
        number = next_number(session, org_id, prefix, year)
        now = clock.now()
        if local_date(now).year != year:  # New Year's midnight passed while waiting: number in the new year
            year = local_date(now).year
            continue
        candidate = case_id(org_id, prefix, year, number)
        if session.scalar(select(Case.id).where(Case.id == candidate)) is None:
            return candidate, now
    raise RuntimeError(f"no free case number for {org_id} {prefix} {year}")  # pragma: no cover
