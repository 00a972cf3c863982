"""What the public portal shows of major decisions: consultations (条例第十五条、第十八条) and published decisions
(条例第三十二条). A read-only view built from the case data each time it is read; nothing here writes.

Only what the procedure has made public is shown. A case appears as a consultation once `open_public_comment`
published its draft and explanation (a case still being drafted is not there at all), and as a decision once
`publish` recorded its publication. The comments themselves are shown after the consultation closed, with
their adoption decision and reason; a comment's contact details are never part of this view (the `Comment`
below has no field for them), and the name of a person whose comment staff recorded from another channel is
left out: only a name typed into the portal's form, which says that it is published, is shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.definitions import Label, Procedure, Registry
from workflow.models import Case, CaseDeadline

PROCEDURE = "major_decision"
PARTICIPATION = "public_participation"
PERIOD = "comment_period"
PORTAL_STEP = "submit_public_comment"

OPEN, ENDED, CLOSED = "open", "ended", "closed"  # taking comments / period over, being summarised / summarised


@dataclass(frozen=True)
class Comment:
    no: int
    received_on: str  # ISO date
    via_portal: bool
    commenter: str  # the name typed into the portal ("" when none was given, or the comment came another way)
    content: str
    adoption: Label | None
    adoption_reason: str


@dataclass(frozen=True)
class Consultation:
    case_id: str
    org_id: str
    title: str
    draft_ref: str
    explanation: str
    channels: tuple[str, ...]
    opened_on: str  # ISO date
    period_days: int
    urgency_reason: str
    due: date | None  # the last day comments are received (24:00 Beijing time); None when no period runs
    provisional: bool
    status: str  # OPEN | ENDED | CLOSED
    days_left: int | None  # calendar days after today until the last day (0: today is the last day)
    comments: tuple[Comment, ...]  # empty unless CLOSED
    summary: str  # the participation summary, once CLOSED
    closed_on: str


@dataclass(frozen=True)
class PublishedDecision:
    case_id: str
    title: str
    document_no: str
    published_on: str
    channels: tuple[str, ...]
    adoption_explanation: str
    being_adjusted: bool  # a later round re-runs the procedure (条例第三十七条): the publication is an earlier one


def _rounds(data: Mapping[str, Any]) -> list[tuple[Mapping[str, Any], bool]]:
    """(round data, is the current round), latest first."""
    earlier = [r for r in data.get("previous_rounds", []) if isinstance(r, Mapping)]
    return [(data, True), *((r, False) for r in reversed(earlier))]


def _comments(procedure: Procedure | None, items: Iterable[Any]) -> tuple[Comment, ...]:
    adoption_labels: dict[str, Label] = {}
    if procedure is not None:
        step = next((t for t in procedure.transitions if t.trigger == "decide_comment_adoption"), None)
        field = next((f for f in step.payload if f.name == "adoption"), None) if step else None
        adoption_labels = dict(field.choices) if field else {}
    out = []
    for item in items:
        if not isinstance(item, Mapping):
            continue
        via_portal = item.get("trigger") == PORTAL_STEP
        adoption = item.get("adoption")
        out.append(Comment(
            no=int(item.get("no", 0)), received_on=str(item.get("received_on") or item.get("recorded_on") or ""),
            via_portal=via_portal, commenter=str(item.get("commenter") or "") if via_portal else "",
            content=str(item.get("content", "")),
            adoption=adoption_labels.get(adoption, Label(adoption, adoption)) if adoption else None,
            adoption_reason=str(item.get("adoption_reason") or "")))
    return tuple(out)


def consultation_of(case: Case, procedure: Procedure | None, deadline: CaseDeadline | None,
                    today: date) -> Consultation | None:
    """The case's latest public consultation, or None if it has not (yet) consulted the public."""
    if case.procedure != PROCEDURE:
        return None
    found = next(((d, cur) for d, cur in _rounds(case.data or {}) if isinstance(d.get("public_comment"), Mapping)),
                 None)
    if found is None:
        return None
    data, current = found
    opened = data["public_comment"]
    summary = data.get("participation_summary") if isinstance(data.get("participation_summary"), Mapping) else None
    running = current and case.state == PARTICIPATION
    due = deadline.due if running and deadline is not None else None
    if summary is not None or not running:
        status = CLOSED
    elif due is not None and today <= due:
        status = OPEN
    else:
        status = ENDED
    return Consultation(
        case_id=case.id, org_id=case.org_id, title=case.title, draft_ref=str(opened.get("draft_ref", "")),
        explanation=str(opened.get("explanation", "")), channels=tuple(opened.get("channels") or ()),
        opened_on=str(opened.get("recorded_on", "")), period_days=int(opened.get("period_days") or 0),
        urgency_reason=str(opened.get("urgency_reason") or ""), due=due,
        provisional=bool(deadline.provisional) if due is not None and deadline is not None else False,
        status=status, days_left=(due - today).days if status == OPEN and due is not None else None,
        comments=_comments(procedure, data.get("comments", [])) if status == CLOSED else (),
        summary=str((summary or {}).get("summary", "")), closed_on=str((summary or {}).get("recorded_on", "")),
    )


def _cases(session: Session, org_id: str) -> list[Case]:
    return list(session.scalars(select(Case).where(Case.org_id == org_id, Case.procedure == PROCEDURE)
                                .order_by(Case.id)).all())


def _procedure(registry: Registry, case: Case) -> Procedure | None:
    try:
        return registry.get(case.procedure, case.procedure_version)
    except KeyError:
        return None


def _period(session: Session, case_id: str) -> CaseDeadline | None:
    return session.get(CaseDeadline, (case_id, PERIOD))


def consultation(session: Session, registry: Registry, case_id: str, today: date,
                 org_id: str | None = None) -> Consultation | None:
    """One case's consultation; None if there is no such case (of `org_id`, when given) or it has not consulted."""
    case = session.get(Case, case_id)
    if case is None or (org_id is not None and case.org_id != org_id):
        return None
    return consultation_of(case, _procedure(registry, case), _period(session, case.id), today)


def consultations(session: Session, registry: Registry, org_id: str, today: date) -> list[Consultation]:
    """The organisation's consultations: open ones first (closing soonest first), then the others, latest first."""
    periods = {d.case_id: d for d in session.scalars(
        select(CaseDeadline).join(Case, Case.id == CaseDeadline.case_id)
        .where(Case.org_id == org_id, CaseDeadline.name == PERIOD)).all()}
    found = [c for c in (consultation_of(case, _procedure(registry, case), periods.get(case.id), today)
                         for case in _cases(session, org_id)) if c is not None]
    open_ = sorted((c for c in found if c.status == OPEN), key=lambda c: (c.due or today, c.case_id))
    rest = sorted((c for c in found if c.status != OPEN), key=lambda c: (c.opened_on, c.case_id), reverse=True)
    return [*open_, *rest]


def published_decisions(session: Session, org_id: str) -> list[PublishedDecision]:
    """The organisation's published major decisions, as the publication step recorded them, latest first."""
    out = []
    for case in _cases(session, org_id):
        for data, current in _rounds(case.data or {}):
            publication = data.get("publication")
            if isinstance(publication, Mapping):
                out.append(PublishedDecision(
                    case_id=case.id, title=case.title, document_no=str(publication.get("document_no", "")),
                    published_on=str(publication.get("published_on", "")),
                    channels=tuple(publication.get("channels") or ()),
                    adoption_explanation=str(publication.get("adoption_explanation") or ""),
                    being_adjusted=not current))
                break
    return sorted(out, key=lambda d: (d.published_on, d.case_id), reverse=True)


def comment_numbers(session: Session, case_id: str) -> dict[int, int]:
    """Each comment's number by the audit event that recorded it (to tell a commenter the number given)."""
    case = session.get(Case, case_id)
    items = (case.data or {}).get("comments", []) if case is not None else []
    return {int(c["event_seq"]): int(c["no"]) for c in items if isinstance(c, Mapping) and "event_seq" in c}
