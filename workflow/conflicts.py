"""Separation of duties, as each definition declares it in its `conflicts:` block.

One rule for every procedure: whoever takes one of a conflict's steps as its `person` (the actor, or an account
named in the payload, such as a hearing chair) may not be anyone who took part in the case — or in the case it
is linked to by number — in a conflicting role. Taking part is

* any event of theirs on that case in one of the `acted_as` roles: its opening, a transition, a record or
  material attached. Refused attempts do not count: a refusal changed nothing, and counting it would let anyone
  disqualify a colleague by trying a step in their name's role;
* being named at one of the `named_in` data paths (the officers assigned to the case or present at a seizure
  took part in person even if someone else recorded the step).

The earliest such act is reported: the person, the step and its date. The engine turns a clash into a refusal
reason (code `separation_of_duties`) in workflow/engine/guard_context.py, the one place the rule is checked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.clock import local_date, parse_stamp
from workflow.definitions import ConflictSpec, Procedure, Transition
from workflow.models import AuditEvent, Case

ACTS = ("created", "transition", "record_attached")  # the event kinds that are a person's part in a case


@dataclass(frozen=True)
class Clash:
    zh: str
    en: str
    article: str


@dataclass(frozen=True)
class _Part:
    seq: int
    day: str
    step: Transition
    how_zh: str  # 以执法人员身份办理 / 被列为……中的执法人员
    how_en: str


def clashes(session: Session, procedure_of: Callable[[Case], Procedure], procedure: Procedure,
            transition: Transition, case_id: str, org_id: str, data: Mapping[str, Any], payload: Mapping[str, Any],
            actor: str, name_of: Callable[[str], str]) -> list[Clash]:
    """One clash per conflict of this step whose person took part in the case (or its linked case)."""
    found = []
    for conflict in procedure.conflicts_of(transition.trigger):
        person = actor if conflict.person == "actor" else str(payload.get(conflict.person) or "")
        if not person:
            continue
        for where, number, proc, paths, case_data in _cases(session, procedure_of, procedure, conflict, case_id,
                                                            org_id, data):
            part = _first_part(session, number, case_data, proc, conflict.acted_as, paths, person)
            if part is not None:
                found.append(_clash(conflict, transition, person, name_of(person), where, part))
                break
    return found


def _cases(session: Session, procedure_of: Callable[[Case], Procedure], procedure: Procedure,
           conflict: ConflictSpec, case_id: str, org_id: str, data: Mapping[str, Any],
           ) -> Iterable[tuple[str, str, Procedure, tuple[str, ...], Mapping[str, Any]]]:
    """The cases to look at: the linked one first (the substance of a review), then this one; the named_in paths
    belong to the linked case when there is one."""
    if conflict.linked is not None:
        number = at_path(data, conflict.linked.path)
        linked = session.get(Case, number) if isinstance(number, str) and number else None
        if linked is not None and linked.org_id == org_id and linked.procedure == conflict.linked.procedure:
            yield f"案件{linked.id}", linked.id, procedure_of(linked), conflict.named_in, linked.data
        yield "本案", case_id, procedure, (), data
    else:
        yield "本案", case_id, procedure, conflict.named_in, data


def _first_part(session: Session, case_id: str, data: Mapping[str, Any], proc: Procedure, roles: tuple[str, ...],
                paths: tuple[str, ...], person: str) -> _Part | None:
    parts: list[_Part] = []
    row = session.execute(
        select(AuditEvent.seq, AuditEvent.trigger, AuditEvent.role, AuditEvent.at)
        .where(AuditEvent.case_id == case_id, AuditEvent.actor == person, AuditEvent.kind.in_(ACTS),
               AuditEvent.role.in_(roles))
        .order_by(AuditEvent.seq).limit(1)).first()
    if row is not None:
        role = proc.roles.get(row.role or "")
        parts.append(_Part(row.seq, local_date(parse_stamp(row.at)).isoformat(), _step(proc, row.trigger or ""),
                           f"以{role.zh if role else row.role}身份办理", f"as {role.en if role else row.role}"))
    for path in paths:
        key, _, field_name = path.partition(".")
        value = data.get(key)
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, Mapping):
                continue
            named = item.get(field_name)
            if person == named or (isinstance(named, list) and person in named):
                step = _step(proc, str(item.get("trigger", "")))
                spec = next((f for f in step.payload if f.name == field_name), None)
                label = (spec.label.zh if spec else field_name).replace("（账号）", "")
                parts.append(_Part(int(item.get("event_seq", 0)), str(item.get("recorded_on", "")), step,
                                   f"被列为{label}并参与", f"named among '{spec.label.en if spec else field_name}' in"))
    return min(parts, key=lambda p: p.seq) if parts else None


def _clash(conflict: ConflictSpec, transition: Transition, person: str, name: str, where: str, part: _Part) -> Clash:
    where_en = "this case" if where == "本案" else where.replace("案件", "case ")
    return Clash(
        f"{name}曾{part.how_zh}{where}「{part.step.label.zh}」（{part.day}），不得担任{conflict.label.zh}（职责分离）",
        f"{person} took part in {where_en} on {part.day} ({part.how_en} '{part.step.label.en}') and may not act as "
        f"the {conflict.label.en} (separation of duties)",
        conflict.basis or transition.basis)


def _step(proc: Procedure, trigger: str) -> Transition:
    if trigger == "create":
        return proc.create
    return next((t for t in proc.transitions if t.trigger == trigger), proc.create)


def at_path(data: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path of case data (None where the path leads nowhere); the engine's linked-case
    lookup reads links with it too."""
    value: Any = data
    for key in path.split("."):
        value = value.get(key) if isinstance(value, Mapping) else None
    return value
