"""The requests of an organisation as the register page, the applicant's status page and the annual report read
them: the day each was received (第三十一条), its answer's due day (clock.py), how and when it ended, and the
row of the annual report it counts under (law.py). Reads only; nothing here writes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.accounts import setting_values
from workflow.calendar import WorkCalendar
from workflow.clock import local_date
from workflow.definitions import Label, Procedure, Registry
from workflow.guards import as_date
from workflow.models import Case
from workflow.procedures.information_request.clock import AnswerClock, answer_clock
from workflow.procedures.information_request.law import (
    ANSWER_ROW,
    CLOSED_STATE_ROW,
    FEE_TIME_PAUSES_CLOCK,
    PROCEDURE,
    REFUSAL_ROW,
)
from workflow.procedures.information_request.remedies import Remedy, remedies_of

# The record of the step that ends a request, per state it rests in, and the field holding the day it ended
# (None: the day the step was recorded — a system step has no typed day).
ENDING = {"answered": ("answer", "answered_on"), "archived": ("answer", "answered_on"),
          "not_a_request": ("petition_notice", "answered_on"), "lapsed": ("lapse", None), "unpaid": ("unpaid", None)}


@dataclass(frozen=True)
class RequestRow:
    id: str
    title: str
    applicant: str
    applicant_type: str
    channel: Label
    state: str
    state_label: Label
    received_on: date  # 第三十一条; an online request not yet confirmed: the day it was sent
    confirmed: bool
    clock: AnswerClock | None
    closed_on: date | None
    result_row: str | None  # the annual report's row (law.RESULT_ROWS), once the request has ended
    answer_type: Label | None
    remedies: tuple[Remedy, ...] = ()  # reconsiderations and lawsuits recorded on it (remedies.py)


def _choice(procedure: Procedure, trigger: str, name: str, value: Any) -> Label | None:
    steps = {t.trigger: t for t in procedure.transitions} | {"create": procedure.create}
    spec = next((f for f in steps[trigger].payload if f.name == name), None)
    if spec is None or value is None:
        return None
    return next((label for v, label in spec.choices if v == value), Label(str(value), str(value)))


def result_row(state: str, data: Mapping[str, Any]) -> str | None:
    """The annual report's row of an ended request; "partly disclosed" counts only there (30号)."""
    if state in CLOSED_STATE_ROW:
        return CLOSED_STATE_ROW[state]
    answer = data.get("answer")
    if state not in ENDING or not answer:
        return None
    kind = answer.get("answer_type")
    if kind == "refused":
        return REFUSAL_ROW.get(str(answer.get("refusal_ground")), "3.2")
    return ANSWER_ROW.get(str(kind), "6.3")


def row_of(case: Case, procedure: Procedure, calendar: WorkCalendar, today: date,
           fee_pauses: bool = False) -> RequestRow:
    """`fee_pauses`: the organisation's setting law.FEE_TIME_PAUSES_CLOCK (fee_pauses_of)."""
    data = case.data or {}
    request = data.get("request") or {}
    receipt = data.get("receipt")
    received = as_date(receipt["received_on"]) if receipt else local_date(case.created_at)
    closed_on = None
    if case.state in ENDING:
        key, field = ENDING[case.state]
        record = data.get(key) or {}
        day = record.get(field) if field else None
        closed_on = as_date(day or record.get("recorded_on") or local_date(case.updated_at))
    answer = data.get("answer") or {}
    state = procedure.states.get(case.state)
    return RequestRow(
        case.id, case.title, str(request.get("applicant", "")), str(request.get("applicant_type", "natural_person")),
        _choice(procedure, "create", "channel", request.get("channel")) or Label("", ""), case.state,
        state.label if state else Label(case.state, case.state), received, receipt is not None,
        answer_clock(data, calendar, today, fee_pauses), closed_on, result_row(case.state, data),
        _choice(procedure, "answer", "answer_type", answer.get("answer_type")) if answer else None,
        remedies_of(data))


def requests(session: Session, registry: Registry, org_id: str, calendar: WorkCalendar, today: date) -> list[RequestRow]:
    """Every request of the organisation, newest first."""
    cases = session.scalars(select(Case).where(Case.org_id == org_id, Case.procedure == PROCEDURE)
                            .order_by(Case.created_at.desc(), Case.id.desc())).all()
    pauses = fee_pauses_of(session, org_id)
    return [row_of(c, registry.get(c.procedure, c.procedure_version), calendar, today, pauses) for c in cases]


def fee_pauses_of(session: Session, org_id: str) -> bool:
    """Whether the organisation's setting leaves the applicant's time to pay out of the answer period (clock.py)."""
    return bool(setting_values(session, org_id).get(FEE_TIME_PAUSES_CLOCK))
