"""The collective-discussion meeting of a case, read from its recorded data (条例第三十条).

Where things are is read from the definition: the convening step's record holds the meeting, the view step's
record the members' views in the order they spoke, and the head's decision steps their outcome. A step that
re-runs the procedure (a deferral) records its outcome at the start of the next round, so a deferred
meeting is found in `previous_rounds` with its outcome beside the current data. Nothing here decides: the
engine has already done that; this only reads what it recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workflow.definitions import Procedure, Transition
from workflow.procedures.major_decision.discussion import majority

CONVENE = "convene_meeting"
VIEW = "record_member_view"
DECISIONS = ("adopt_decision", "reject_decision", "defer_decision")
ATTENDEES = "attendees"  # the convening step's list of attending user names (checkboxes on the page)
VIEW_FIELD = "view"
# The view a decision sides with, as the majority guard reads it (workflow/procedures/major_decision/guards.py): adopting sides with
# "agree", not adopting (rejecting or deferring) with "disagree". A view on the other side is a dissent.
SIDES_WITH = {"adopt_decision": "agree"}
NOT_ADOPTING = "disagree"


def step(procedure: Procedure | None, trigger: str) -> Transition | None:
    if procedure is None:
        return None
    return next((t for t in procedure.transitions if t.trigger == trigger), None)


def holds_meetings(procedure: Procedure | None) -> bool:
    return step(procedure, CONVENE) is not None


def discussion_states(procedure: Procedure) -> frozenset[str]:
    """The states in which a meeting is convened: the items awaiting collective discussion."""
    convene = step(procedure, CONVENE)
    return frozenset(convene.sources) if convene else frozenset()


@dataclass(frozen=True)
class Meeting:
    """One convened meeting and what came of it."""

    round_data: Mapping[str, Any]  # the data of the meeting's round (submission, legality opinion, ...)
    record: Mapping[str, Any]  # the convening step's record: forum, date, attendees, absentees, who, event
    views: list[Mapping[str, Any]]  # the members' views, in the order they were recorded
    outcome: Mapping[str, Any] | None  # the head's decision (its record has the step as "trigger"), if made
    current: bool  # the meeting of the current round (not one whose item was sent back)

    @property
    def attendees(self) -> list[str]:
        return [a for a in self.record.get(ATTENDEES, []) if isinstance(a, str)]

    @property
    def spoken(self) -> list[str]:
        return [v.get("recorded_by", "") for v in self.views]

    def counts(self) -> dict[str, int]:
        values = [str(v.get(VIEW_FIELD, "")) for v in self.views]
        return {value: values.count(value) for value in dict.fromkeys(values)}

    @property
    def majority(self) -> str | None:
        return majority([str(v.get(VIEW_FIELD, "")) for v in self.views])

    @property
    def decided_with(self) -> str | None:
        """The view the head's decision sides with, once decided."""
        if self.outcome is None:
            return None
        return SIDES_WITH.get(str(self.outcome.get("trigger", "")), NOT_ADOPTING)

    @property
    def dissent(self) -> list[Mapping[str, Any]]:
        """The views on the other side of the decision (不同意见, to be set down in the minutes)."""
        side = self.decided_with
        if side is None:
            return []
        return [v for v in self.views if v.get(VIEW_FIELD) in ("agree", "disagree") and v.get(VIEW_FIELD) != side]

    def event_seqs(self) -> list[int]:
        seqs = [self.record.get("event_seq"), *(v.get("event_seq") for v in self.views),
                self.outcome.get("event_seq") if self.outcome else None]
        return [s for s in seqs if isinstance(s, int)]


def _key(procedure: Procedure | None, trigger: str) -> str | None:
    found = step(procedure, trigger)
    return found.record.key if found and found.record else None


def latest_meeting(procedure: Procedure | None, data: Mapping[str, Any]) -> Meeting | None:
    """The case's latest convened meeting, in this round or (sent back) an earlier one; None if none."""
    meeting_key, views_key = _key(procedure, CONVENE), _key(procedure, VIEW)
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
        for trigger in DECISIONS:
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
        return Meeting(here, record, [v for v in views if isinstance(v, Mapping)], outcome, i == len(rounds) - 1)
    return None
