"""The figures a definition declares (workflow/figure_specs.py), computed for a year from the cases, each with the
records it counted.

Cases are read into Python and filtered here rather than in SQL: the dates and values live in the case's JSON
data, whose functions differ between SQLite and PostgreSQL; a town keeps thousands of cases a year, not millions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.clock import local_date, parse_stamp
from workflow.definitions import Registry
from workflow.figure_specs import OPENED, FigureSpec
from workflow.models import AuditEvent, Case, CaseDeadline


@dataclass(frozen=True)
class RecordRef:
    """One record a figure counted: a case, or one entry (`item`, from 0) of a list the case records."""

    case_id: str
    item: int | None = None


@dataclass(frozen=True)
class Figure:
    procedure: str
    spec: FigureSpec
    value: int | Decimal | None  # None: a ratio over nothing
    records: tuple[RecordRef, ...]  # what was counted (a ratio: its denominator's records)

    @property
    def key(self) -> str:
        return f"{self.procedure}.{self.spec.id}"


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _number(value: Any) -> Decimal:
    if value is None or isinstance(value, bool):
        return Decimal(0)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return Decimal(0)


@dataclass
class _Row:
    case: Case
    opened: date
    taken: Mapping[str, date]  # trigger -> the day its first accepted event was recorded
    item: int | None
    values: Mapping[str, Any]  # the item's own fields (count: items), else {}


def _rows(spec: FigureSpec, cases: Iterable[tuple[Case, date, Mapping[str, date]]]) -> Iterable[_Row]:
    for case, opened, taken in cases:
        if case.state in spec.exclude_states or (spec.states and case.state not in spec.states):
            continue
        if spec.items_of is None:
            yield _Row(case, opened, taken, None, {})
            continue
        for i, entry in enumerate(case.data.get(spec.items_of) or ()):
            if isinstance(entry, Mapping):
                yield _Row(case, opened, taken, i, entry)


def _value(row: _Row, spec: FigureSpec, path: str) -> Any:
    if path == OPENED:
        return row.opened
    key, _, name = path.partition(".")
    if spec.items_of is not None and key == spec.items_of:
        return row.values.get(name)
    record = row.case.data.get(key)
    return record.get(name) if isinstance(record, Mapping) else None


def _counts(spec: FigureSpec, row: _Row, start: date, end: date,
            open_due: Mapping[str, date | None] | None = None) -> bool:
    for path, wanted in spec.where.items():
        if _value(row, spec, path) not in wanted:
            return False
    if spec.undated:
        return True
    if spec.deadline is not None:
        return _by_verdict(spec, row.case.data, (open_due or {}).get(spec.deadline), start, end)
    if spec.date or spec.taken is not None:
        on = row.taken.get(spec.taken) if spec.taken else next(
            (d for d in (_as_date(_value(row, spec, path)) for path in spec.date) if d is not None), None)
        return on is not None and start <= on <= end
    assert spec.since is not None
    since = _as_date(_value(row, spec, spec.since))
    ends = [d for d in (_as_date(_value(row, spec, path)) for path in spec.until) if d is not None]
    return since is not None and since <= end and (not ends or min(ends) > end)


def recorded_verdict(data: Mapping[str, Any], deadline: str) -> Mapping[str, Any] | None:
    """The engine's verdict on the time limit `deadline` (due, ended_on, on_time), as the record of the step that
    ended it keeps it (workflow/audit/row_replay.py `timeliness`); the latest, if a round ended it twice."""
    found: Mapping[str, Any] | None = None
    seq = -1
    for key, record in data.items():
        if key in ("superseded", "previous_rounds"):
            continue
        for entry in record if isinstance(record, list) else [record]:
            verdict = ((entry.get("timeliness") or {}) if isinstance(entry, Mapping) else {}).get(deadline)
            if isinstance(verdict, Mapping) and int(entry.get("event_seq") or 0) > seq:
                found, seq = verdict, int(entry.get("event_seq") or 0)
    return found


def _by_verdict(spec: FigureSpec, data: Mapping[str, Any], open_due: date | None, start: date, end: date) -> bool:
    """in_time / late: ended in the year, met or not; overdue: still open at the year's end, its last day passed
    (open now with that day, or ended only after the year)."""
    verdict = recorded_verdict(data, spec.deadline or "")
    if spec.verdict in ("in_time", "late"):
        ended = _as_date(verdict.get("ended_on")) if verdict else None
        return (verdict is not None and ended is not None and start <= ended <= end
                and bool(verdict.get("on_time")) == (spec.verdict == "in_time"))
    if verdict is not None:
        due, ended = _as_date(verdict.get("due")), _as_date(verdict.get("ended_on"))
        return due is not None and ended is not None and due <= end < ended
    return open_due is not None and open_due <= end


def compute(specs: Sequence[FigureSpec], procedure: str, cases: Sequence[Case], year: int,
            taken: Mapping[str, Mapping[str, date]] | None = None,
            open_deadlines: Mapping[str, Mapping[str, date | None]] | None = None) -> list[Figure]:
    """The figures of one procedure for a calendar year, from its cases (of the organisations being reported);
    `taken`: case id -> trigger -> the day the step was first recorded (steps_taken()); `open_deadlines`: case id
    -> the due day of each period still open (open_deadlines())."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    taken = taken or {}
    open_deadlines = open_deadlines or {}
    dated = [(c, local_date(c.created_at if c.created_at.tzinfo else c.created_at.replace(tzinfo=UTC)),
              taken.get(c.id, {})) for c in cases]
    plain: dict[str, Figure] = {}
    for spec in specs:
        if spec.ratio is not None:
            continue
        counted = [r for r in _rows(spec, dated) if _counts(spec, r, start, end, open_deadlines.get(r.case.id))]
        refs = tuple(RecordRef(r.case.id, r.item) for r in counted)
        value: int | Decimal = (sum((_number(_value(r, spec, spec.sum)) for r in counted), Decimal(0))
                                if spec.sum else len(counted))
        if isinstance(value, Decimal) and value == value.to_integral_value():
            value = int(value)
        plain[spec.id] = Figure(procedure, spec, value, refs)
    out: list[Figure] = []
    for spec in specs:
        if spec.ratio is None:
            out.append(plain[spec.id])
            continue
        of, over = plain[spec.ratio[0]], plain[spec.ratio[1]]
        share = None if not over.value else (Decimal(of.value or 0) * 100 / Decimal(over.value)).quantize(
            Decimal("0.1"))
        out.append(Figure(procedure, spec, share, over.records))
    return out


def figures_of(session: Session, procedures: Mapping[str, Sequence[FigureSpec]], org_ids: Sequence[str],
               year: int) -> dict[str, list[Figure]]:
    """procedure id -> its figures for the year over the cases of `org_ids` (every version of the procedure: the
    figures of the newest definition that declares them)."""
    out: dict[str, list[Figure]] = {}
    for pid, specs in procedures.items():
        if not specs:
            continue
        cases = session.scalars(select(Case).where(Case.org_id.in_(list(org_ids)), Case.procedure == pid)
                                .order_by(Case.id)).all()
        triggers = {s.taken for s in specs if s.taken}
        periods = {s.deadline for s in specs if s.deadline and s.verdict == "overdue"}
        ids = [c.id for c in cases]
        out[pid] = compute(specs, pid, cases, year, steps_taken(session, ids, triggers) if triggers else None,
                           open_deadlines(session, ids, periods) if periods else None)
    return out


def steps_taken(session: Session, case_ids: Sequence[str], triggers: Iterable[str]) -> dict[str, dict[str, date]]:
    """case id -> trigger -> the day (Asia/Shanghai) the step was first accepted, read from the audit trail (the
    time an event was recorded: never backdated, so a step entered late counts in the year it was entered)."""
    out: dict[str, dict[str, date]] = {}
    wanted = sorted(set(triggers))
    for chunk in range(0, len(case_ids), 500):  # bounded IN lists: SQLite's and PostgreSQL's limits alike
        rows = session.execute(
            select(AuditEvent.case_id, AuditEvent.trigger, AuditEvent.at)
            .where(AuditEvent.kind == "transition", AuditEvent.trigger.in_(wanted),
                   AuditEvent.case_id.in_(list(case_ids[chunk:chunk + 500])))
            .order_by(AuditEvent.case_id, AuditEvent.seq))
        for case_id, trigger, at in rows:
            out.setdefault(case_id, {}).setdefault(trigger, local_date(parse_stamp(at)))
    return out


def open_deadlines(session: Session, case_ids: Sequence[str], names: Iterable[str]) -> dict[str, dict[str, date | None]]:
    """case id -> name -> the due day of each of these periods still open (None: paused), from case_deadline."""
    out: dict[str, dict[str, date | None]] = {}
    wanted = sorted(set(names))
    for chunk in range(0, len(case_ids), 500):
        rows = session.execute(select(CaseDeadline.case_id, CaseDeadline.name, CaseDeadline.due).where(
            CaseDeadline.name.in_(wanted), CaseDeadline.case_id.in_(list(case_ids[chunk:chunk + 500]))))
        for case_id, name, due in rows:
            out.setdefault(case_id, {})[name] = due
    return out


def stated(figure: Figure) -> str:
    """A figure's value as a page states it: 43, 10320, 5000.5, 97.5% (a share), — (a share of nothing)."""
    if figure.value is None:
        return "—"
    if isinstance(figure.value, Decimal):
        text = format(figure.value.normalize(), "f")
        return f"{text}%" if figure.spec.ratio else text
    return f"{figure.value}%" if figure.spec.ratio else str(figure.value)


def declared(registry: Registry) -> dict[str, tuple[FigureSpec, ...]]:
    """procedure id -> the figures its newest version that declares any declares (older versions' cases are
    counted with them: a version changes steps, the facts a report counts stay)."""
    out: dict[str, tuple[FigureSpec, ...]] = {}
    for (pid, _version), procedure in sorted(registry.procedures.items()):
        if procedure.figures:
            out[pid] = procedure.figures
    return out
