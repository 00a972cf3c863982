"""The collective-discussion meeting of a case, read from its recorded data (条例第三十条).

Where things are is read from the definition's display metadata (`pages.meeting`, workflow/pages.py): the
convening step's record holds the meeting, the view step's record the members' views in the order they
spoke, and the chair's decision steps their outcome. A step that re-runs the procedure (a deferral) records
its outcome at the start of the next round, so a deferred meeting is found in `previous_rounds` with its
outcome beside the current data. Nothing here decides: the engine has already done that; this only reads
what it recorded. (A read model of the major-decision family, read by web/meetings.py.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from workflow.accounts import Member
from workflow.definitions import Procedure, Registry, Transition
from workflow.models import AuditEvent, Case
from workflow.pages import MeetingPage
from workflow.procedures.major_decision.discussion import majority

ATTENDEES = "attendees"  # the convening step's list of attending user names (checkboxes on the page)


def step(procedure: Procedure | None, trigger: str | None) -> Transition | None:
    if procedure is None or trigger is None:
        return None
    return next((t for t in procedure.transitions if t.trigger == trigger), None)


def meeting_page(procedure: Procedure | None) -> MeetingPage | None:
    """The procedure's meeting metadata, or None: its cases are not discussed in a meeting."""
    return procedure.pages.meeting if procedure is not None else None


def holds_meetings(procedure: Procedure | None) -> bool:
    page = meeting_page(procedure)
    return page is not None and step(procedure, page.convene) is not None


def discussion_states(procedure: Procedure) -> frozenset[str]:
    """The states in which a meeting is convened: the items awaiting collective discussion."""
    page = meeting_page(procedure)
    convene = step(procedure, page.convene) if page else None
    return frozenset(convene.sources) if convene else frozenset()


@dataclass(frozen=True)
class Meeting:
    """One convened meeting and what came of it."""

    round_data: Mapping[str, Any]  # the data of the meeting's round (submission, legality opinion, ...)
    record: Mapping[str, Any]  # the convening step's record: forum, date, attendees, absentees, who, event
    views: list[Mapping[str, Any]]  # the members' views, in the order they were recorded
    outcome: Mapping[str, Any] | None  # the head's decision (its record has the step as "trigger"), if made
    current: bool  # the meeting of the current round (not one whose item was sent back)
    page: MeetingPage  # where the definition says each part is

    @property
    def attendees(self) -> list[str]:
        return [a for a in self.record.get(ATTENDEES, []) if isinstance(a, str)]

    @property
    def spoken(self) -> list[str]:
        return [v.get("recorded_by", "") for v in self.views]

    def chairs(self, members: Mapping[str, Member]) -> set[str]:
        """The members holding the chair's role: they speak last, with the decision."""
        return {u for u, m in members.items() if self.page.chair in m.roles}

    def to_speak(self, members: Mapping[str, Member]) -> list[str]:
        """Attendees still to state a view; the chair speaks last, with the decision."""
        chairs = self.chairs(members)
        return [a for a in self.attendees if a not in chairs and a not in self.spoken]

    def speakers(self, members: Mapping[str, Member]) -> int:
        """How many attendees state a view (all but the chair)."""
        chairs = self.chairs(members)
        return len([a for a in self.attendees if a not in chairs])

    def counts(self) -> dict[str, int]:
        values = [str(v.get(self.page.view_choice, "")) for v in self.views]
        return {value: values.count(value) for value in dict.fromkeys(values)}

    @property
    def majority(self) -> str | None:
        return majority([str(v.get(self.page.view_choice, "")) for v in self.views])

    @property
    def decided_with(self) -> str | None:
        """The view the head's decision sides with, once decided."""
        if self.outcome is None:
            return None
        return self.page.decisions.get(str(self.outcome.get("trigger", "")))

    @property
    def dissent(self) -> list[Mapping[str, Any]]:
        """The views on the other side of the decision (不同意见, to be set down in the minutes)."""
        side = self.decided_with
        if side is None:
            return []
        sides = set(self.page.decisions.values())
        field = self.page.view_choice
        return [v for v in self.views if v.get(field) in sides and v.get(field) != side]

    def event_seqs(self) -> list[int]:
        seqs = [self.record.get("event_seq"), *(v.get("event_seq") for v in self.views),
                self.outcome.get("event_seq") if self.outcome else None]
        return [s for s in seqs if isinstance(s, int)]


def _key(procedure: Procedure | None, trigger: str) -> str | None:
    found = step(procedure, trigger)
    return found.record.key if found and found.record else None


def latest_meeting(procedure: Procedure | None, data: Mapping[str, Any]) -> Meeting | None:
    """The case's latest convened meeting, in this round or (sent back) an earlier one; None if none."""
    page = meeting_page(procedure)
    if page is None:
        return None
    meeting_key, views_key = _key(procedure, page.convene), _key(procedure, page.view)
    if meeting_key is None:
        return None
    earlier = data.get("previous_rounds")
    rounds = [r for r in earlier if isinstance(r, Mapping)] if isinstance(earlier, list) else []
    rounds.append(data)
    for i in range(len(rounds) - 1, -1, -1):
        here = rounds[i]
        record = here.get(meeting_key)
        if not isinstance(record, Mapping):
            continue
        views = here.get(views_key or "") or []
        outcome = None
        for trigger in page.decisions:
            decision = step(procedure, trigger)
            if decision is None or decision.record is None:
                continue
            where = rounds[i + 1] if decision.new_round and i + 1 < len(rounds) else None if decision.new_round \
                else here
            found = where.get(decision.record.key) if where is not None else None
            # a decision record names its step; keep only the one that belongs to this meeting
            if isinstance(found, Mapping) and found.get("trigger") == trigger \
                    and int(found.get("event_seq", 0)) > int(record.get("event_seq", 0)):
                outcome = found
        return Meeting(here, record, [v for v in views if isinstance(v, Mapping)], outcome, i == len(rounds) - 1,
                       page)
    return None


# ---------------------------------------------------------------- queries


@dataclass
class Discussed:
    """An item in collective discussion: the case, its procedure, and its current meeting if convened."""

    case: Case
    procedure: Procedure
    meeting: Meeting | None


def discussion_items(session: Session, registry: Registry, org_id: str) -> list[Discussed]:
    """The organisation's cases awaiting or in collective discussion, most recently changed first."""
    wanted = {(p.id, p.version): discussion_states(p) for p in registry.all() if holds_meetings(p)}
    states = set().union(*wanted.values()) if wanted else set()
    if not states:
        return []
    cases = session.scalars(select(Case).options(selectinload(Case.deadlines))
                            .where(Case.org_id == org_id, Case.state.in_(states),
                                   Case.procedure.in_(sorted({pid for pid, _v in wanted})))
                            .order_by(Case.updated_at.desc(), Case.id.desc())).all()
    out = []
    for c in cases:
        if c.state not in wanted.get((c.procedure, c.procedure_version), ()):
            continue
        procedure = registry.get(c.procedure, c.procedure_version)
        meeting = latest_meeting(procedure, c.data or {})
        out.append(Discussed(c, procedure, meeting if meeting and meeting.current else None))
    return out


def event_hashes(session: Session, case_id: str, seqs: list[int]) -> dict[int, str]:
    """The hashes of a case's events by seq (the minutes cite the event each part comes from)."""
    if not seqs:
        return {}
    rows = session.execute(select(AuditEvent.seq, AuditEvent.hash)
                           .where(AuditEvent.case_id == case_id, AuditEvent.seq.in_(seqs))).all()
    return {seq: h for seq, h in rows}
