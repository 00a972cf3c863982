"""Review work: the legal reviewers' queue and the review page of a case.

  /reviews/                            the cases waiting for the user's review roles, most urgent first
  /reviews/<case_id>                   what the reviewer needs in one place, and the forms of the steps offered
  /reviews/<case_id>/opinion           a major decision's legality opinion: lawful, unlawful, or returned
  /reviews/<case_id>/steps/<trigger>   any other offered step (an adviser's opinion, a checklist finding, ...)

Who: legal counsel and legal advisers (major decisions under legality review, 条例第二十五条至第二十八条) and
legal reviewers (the legal review of major enforcement decisions, 处罚法第五十八条); 403 for anyone else.
An adapter like web/cases.py, whose helpers it reuses: the pages offer what `engine.available_transitions`
offers, every submission goes to `engine.fire` once, and a refusal is shown next to its form.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from werkzeug.wrappers import Response

from web.case_access import NAME, field_errors, own_case, people_of, procedure_of, step_for
from web.errors import PublicBadRequest, PublicNotFound
from web.forms import Widget, kept_values, payload_from_form, widgets
from web.i18n import _, current_lang, paren
from web.input_screen import engine_form
from web.present import (
    DataLabels,
    DeadlineView,
    Section,
    case_sections,
    deadline_view,
    fmt_date,
    format_value,
    label_of,
    local_datetime,
    next_deadline,
    person,
)
from web.runtime import runtime
from workflow.clock import parse_stamp
from workflow.completeness import completeness
from workflow.definitions import Procedure, Transition
from workflow.engine import Outcome
from workflow.models import AuditEvent, Case
from workflow.payloads import FieldSpec

bp = Blueprint("reviews", __name__, url_prefix="/reviews")

# Whose queue holds which procedure's cases. The states are read from the definitions: a case waits in a
# state where one of these roles has a step (legality_review; a legal review's submitted and under_review).
REVIEW_WORK: dict[str, tuple[str, ...]] = {
    "major_decision": ("legal_counsel", "legal_adviser"),
    "enforcement_review": ("legal_reviewer",),
}
REVIEW_ROLES = tuple(sorted({r for roles in REVIEW_WORK.values() for r in roles}))

# The legality review of a major decision: its two outcomes, taken on one form.
LEGALITY = "major_decision"
ISSUE = "issue_legality_opinion"
VERDICT = "conclusion"  # the opinion's choice field; the form's radio group carries it, and RETURN as a third value
RETURN = "return_for_supplement"
# What counsel reads before giving an opinion (the submission and the records of the earlier steps, 条例
# 第二十五条、第二十六条), and the review's own records; each shown under the step that recorded it.
LEGALITY_MATERIALS = ("legality_submission", "participation_summary", "expert_argumentation", "risk_assessment",
                      "adjustments")
LEGALITY_RECORDS = ("supplement_requests", "adviser_opinions", "legality_opinion")

# The legal review of an enforcement decision: its checklist (国办发〔2018〕118号) is the finding step's items.
CHECKLIST_STEP = "record_checklist_finding"
CHECKLIST_ITEM = "item"
CHECKLIST_FINDING = "finding"
CHECKLIST_NOTE = "note"
NEVER = datetime.max.replace(tzinfo=UTC)


def _require() -> None:
    if not current_user.has_any_role(*REVIEW_ROLES):
        abort(403)


@bp.app_context_processor
def review_navigation() -> dict[str, Any]:
    return {"can_review": current_user.is_authenticated and current_user.has_any_role(*REVIEW_ROLES)}


def _waiting_states(procedure: Procedure, roles: Iterable[str]) -> frozenset[str]:
    """The states in which a case of this procedure waits for one of these review roles."""
    mine = set(roles) & set(REVIEW_WORK.get(procedure.id, ()))
    return frozenset(s for s in procedure.states
                     if any(mine & set(t.roles) for t in procedure.triggers_from(s)))


def _entered(session: Session, cases: list[Case], waiting: Mapping[str, frozenset[str]]) -> dict[str, datetime]:
    """When each case last came into the review (its latest move from outside the waiting states into them):
    the date it was submitted, or resubmitted after a return."""
    if not cases:
        return {}
    rows = session.execute(
        select(AuditEvent.case_id, AuditEvent.at, AuditEvent.from_state, AuditEvent.to_state)
        .where(AuditEvent.case_id.in_([c.id for c in cases]), AuditEvent.kind.in_(("created", "transition")))
        .order_by(AuditEvent.case_id, AuditEvent.seq)).all()
    entered: dict[str, str] = {}
    for case_id, at, from_state, to_state in rows:
        states = waiting[case_id]
        if to_state in states and from_state not in states:
            entered[case_id] = at
    return {case_id: parse_stamp(at) for case_id, at in entered.items()}


# ---------------------------------------------------------------- the queue


@dataclass
class Row:
    id: str
    title: str
    procedure: str
    state: str
    submitted: str
    deadline: DeadlineView | None
    working_days_left: int | None
    order: tuple[Any, ...]


@bp.get("/")
def index() -> str:
    _require()
    rt = runtime()
    today = rt.engine.today()
    lang = current_lang()
    waiting_by_version = {(p.id, p.version): _waiting_states(p, current_user.roles)
                          for p in rt.registry.all() if p.id in REVIEW_WORK}
    waiting_by_version = {k: v for k, v in waiting_by_version.items() if v}
    rows: list[Row] = []
    if waiting_by_version:
        with rt.sessions() as s:
            candidates = s.scalars(
                select(Case).options(selectinload(Case.deadlines))
                .where(Case.org_id == current_user.org_id,
                       Case.procedure.in_({pid for pid, _v in waiting_by_version}),
                       Case.state.in_(set().union(*waiting_by_version.values())))).all()
            cases = [c for c in candidates if c.state in waiting_by_version.get((c.procedure, c.procedure_version), ())]
            waiting = {c.id: waiting_by_version[(c.procedure, c.procedure_version)] for c in cases}
            entered = _entered(s, cases, waiting)
            for c in cases:
                procedure = procedure_of(c)
                due = next_deadline(c.deadlines)
                view = deadline_view(due, procedure, rt.engine.calendar, today) if due else None
                left = rt.engine.calendar.working_days_between(today, due.due)[0] if due else None
                since = entered.get(c.id)
                rows.append(Row(
                    id=c.id, title=c.title, procedure=procedure.label.get(lang) if procedure else c.procedure,
                    state=label_of(procedure, "state", c.state),
                    submitted=fmt_date(local_datetime(since).date()) if since else "",
                    deadline=view, working_days_left=left,
                    # overdue first, then the soonest due, cases without a deadline last; older submissions first
                    order=(0 if view and view.overdue else 1 if due else 2, due.due if due else date.max,
                           since or NEVER, c.id),
                ))
    rows.sort(key=lambda r: r.order)
    return render_template("reviews/index.html", rows=rows)


# ---------------------------------------------------------------- the review page


@dataclass
class Refusal:
    """A refused submission, to show next to the form it came from with the input kept."""

    form: str  # "opinion", or the trigger of a generic step form
    trigger: str
    outcome: Outcome
    kept: dict[str, str]


@dataclass
class Finding:
    finding: str
    note: str
    meta: str


@dataclass
class ChecklistItem:
    label: str
    findings: list[Finding]


@dataclass
class Checklist:
    headings: tuple[str, str, str]  # the finding step's own labels of its item, finding and note fields
    items: list[ChecklistItem]


@bp.get("/<case_id>")
def show(case_id: str) -> str:
    _require()
    return _review_page(case_id)


def _review_page(case_id: str, refused: Refusal | None = None) -> str:
    rt = runtime()
    lang = current_lang()
    today = rt.engine.today()
    with rt.sessions() as s:
        case = own_case(s, case_id)
        procedure = _require_reviewer_of(procedure_of(case))
        people = people_of(s, case.org_id)
        data = case.data or {}
        deadlines = [deadline_view(d, procedure, rt.engine.calendar, today) for d in case.deadlines]
        steps = rt.engine.available_transitions(s, case, current_user.username)
        waiting = _waiting_states(procedure, REVIEW_WORK[procedure.id])
        since = _entered(s, [case], {case.id: waiting}).get(case.id) if case.state in waiting else None
        view = {
            "id": case.id, "title": case.title, "version": case.version,
            "procedure": f"{procedure.label.get(lang)}{paren(procedure.ref)}",
            "state": label_of(procedure, "state", case.state),
            "submitted": fmt_date(local_datetime(since).date()) if since else "",
        }
        # the files the drafter attached (决策草案、起草说明、报告…), to download from the review page
        files = completeness(s, procedure, case, rt.records, lang) if data.get("records") else None
    sections = case_sections(procedure, data, people, DataLabels(procedure))
    errors = field_errors(refused.outcome.reasons, lang) if refused else {}
    opinion = None
    if procedure.id == LEGALITY:
        opinion = _opinion_form(case_id, steps, refused, errors)
        generic = [t for t in steps if t.trigger not in (ISSUE, RETURN)]
        materials = _pick(sections, LEGALITY_MATERIALS)
        records = _pick(sections, LEGALITY_RECORDS)
        checklist = None
    else:
        generic = steps
        materials = [x for x in sections if x.key != "previous_rounds"]
        records = []
        checklist = _checklist(procedure, data, people)
    forms = [_step_form(case_id, t, refused, errors) for t in generic if not t.attachment]  # files: the case page
    offered = {f["trigger"] for f in forms} | ({"opinion"} if opinion else set())
    orphan = refused.outcome if refused and refused.form not in offered else None
    orphan_step = label_of(procedure, "step", refused.trigger) if orphan and refused else ""
    return render_template("reviews/show.html", case=view, deadlines=deadlines, materials=materials,
                           records=records, checklist=checklist, opinion=opinion, forms=forms, orphan=orphan, files=files,
                           orphan_step=orphan_step, legality=procedure.id == LEGALITY)


def _pick(sections: list[Section], keys: tuple[str, ...]) -> list[Section]:
    by_key = {x.key: x for x in sections}
    return [by_key[k] for k in keys if k in by_key]


def _step_form(case_id: str, step: Transition, refused: Refusal | None,
               errors: Mapping[str, list[str]]) -> dict[str, Any]:
    lang = current_lang()
    mine = refused is not None and refused.form == step.trigger
    return {
        "trigger": step.trigger, "label": step.label.get(lang), "basis": step.basis,
        "refused": refused.outcome if mine and refused else None,
        "action": url_for("reviews.fire", case_id=case_id, trigger=step.trigger),
        "widgets": widgets(f"step-{step.trigger}", step.payload, refused.kept if mine and refused else None,
                           errors if mine else None),
    }


def _opinion_form(case_id: str, steps: list[Transition], refused: Refusal | None,
                  errors: Mapping[str, list[str]]) -> dict[str, Any] | None:
    """One form for the review's outcome: the opinion's conclusions (lawful, unlawful) and the return for
    supplement, each offered only if the engine offers its step. The other fields are not marked required
    in the page because which of them are needed depends on the outcome; the engine names any missing one."""
    lang = current_lang()
    issue = next((t for t in steps if t.trigger == ISSUE), None)
    back = next((t for t in steps if t.trigger == RETURN), None)
    if issue is None and back is None:
        return None
    mine = refused is not None and refused.form == "opinion"
    kept = refused.kept if mine and refused else {}
    mine_errors = errors if mine else {}
    options: list[tuple[str, str]] = []
    verdict_label = ""
    issue_fields: tuple[Any, ...] = ()
    if issue is not None:
        verdict = next((f for f in issue.payload if f.name == VERDICT), None)
        if verdict is not None:
            options += [(value, label.get(lang)) for value, label in verdict.choices]
            verdict_label = verdict.label.get(lang)
        issue_fields = tuple(f for f in issue.payload if f.name != VERDICT)
    back_fields: tuple[Any, ...] = ()
    if back is not None:
        options.append((RETURN, back.label.get(lang)))
        back_fields = tuple(f for f in back.payload if f.name not in {f.name for f in issue_fields})
    return {
        "action": url_for("reviews.opinion", case_id=case_id),
        "name": VERDICT, "options": options, "chosen": kept.get(VERDICT, ""),
        "verdict_label": verdict_label, "verdict_errors": mine_errors.get(VERDICT, []),
        "issue": issue and {"label": issue.label.get(lang), "basis": issue.basis,
                            "widgets": _optional(widgets("opinion", issue_fields, kept, mine_errors))},
        "back": back and {"label": back.label.get(lang), "basis": back.basis,
                          "widgets": _optional(widgets("opinion", back_fields, kept, mine_errors))},
        "refused": refused.outcome if mine and refused else None,
    }


def _optional(ws: list[Widget]) -> list[Widget]:
    return [dataclasses.replace(w, required=False) for w in ws]


def _checklist(procedure: Procedure, data: Mapping[str, Any], people: Mapping[str, str]) -> Checklist | None:
    """The finding step's checklist items, each with the findings recorded since the review was last taken
    up (the round the pass/fail guards judge); earlier rounds stay in the case record below."""
    step = next((t for t in procedure.transitions if t.trigger == CHECKLIST_STEP), None)
    if step is None:
        return None
    fields = {f.name: f for f in step.payload}
    item_spec = fields.get(CHECKLIST_ITEM)
    if item_spec is None:
        return None
    since = (data.get("reviewer") or {}).get("event_seq", 0)
    current = [f for f in data.get("findings", []) if isinstance(f, dict) and f.get("event_seq", 0) > since]
    lang = current_lang()
    out = []
    for value, label in item_spec.choices:
        found = []
        for f in current:
            if f.get(CHECKLIST_ITEM) != value:
                continue
            shown, _multi = format_value(fields.get(CHECKLIST_FINDING), f.get(CHECKLIST_FINDING))
            found.append(Finding(
                finding=str(shown), note=str(f.get(CHECKLIST_NOTE) or ""),
                meta=_("{who}于{day}登记（事件{seq}）", who=person(people, f.get("recorded_by")),
                       day=fmt_date(f.get("recorded_on")), seq=f.get("event_seq", "-"))))
        out.append(ChecklistItem(label.get(lang), found))
    headings = tuple(label_of_field(fields.get(n), n) for n in (CHECKLIST_ITEM, CHECKLIST_FINDING, CHECKLIST_NOTE))
    return Checklist((headings[0], headings[1], headings[2]), out)


def label_of_field(spec: FieldSpec | None, name: str) -> str:
    return spec.label.get(current_lang()) if spec else name


# ---------------------------------------------------------------- submitting


@bp.post("/<case_id>/opinion")
@engine_form
def opinion(case_id: str) -> Response | tuple[str, int]:
    """The opinion form: lawful or unlawful -> issue_legality_opinion; returned -> return_for_supplement."""
    _require()
    procedure, state = _case_procedure(case_id)
    if procedure.id != LEGALITY:
        raise PublicNotFound()
    issue, back = step_for(procedure, state, ISSUE), step_for(procedure, state, RETURN)
    issue_fields = issue.payload if issue else ()
    back_fields = back.payload if back else ()
    if request.form.get(VERDICT) == RETURN:
        trigger, payload = RETURN, payload_from_form(back_fields, request.form)
    else:  # no choice made: the opinion, which the engine refuses naming its missing conclusion
        trigger, payload = ISSUE, payload_from_form(issue_fields, request.form)
    kept = {**kept_values(back_fields, request.form), **kept_values(issue_fields, request.form)}
    return _submit(case_id, procedure, trigger, payload, "opinion", kept)


@bp.post("/<case_id>/steps/<trigger>")
@engine_form
def fire(case_id: str, trigger: str) -> Response | tuple[str, int]:
    _require()
    if not NAME.match(trigger):
        raise PublicNotFound()
    procedure, state = _case_procedure(case_id)
    step = step_for(procedure, state, trigger)
    fields = step.payload if step else ()
    return _submit(case_id, procedure, trigger, payload_from_form(fields, request.form), trigger,
                   kept_values(fields, request.form))


def _case_procedure(case_id: str) -> tuple[Procedure, str]:
    with runtime().sessions() as s:
        case = own_case(s, case_id)
        return _require_reviewer_of(procedure_of(case)), case.state


def _require_reviewer_of(procedure: Procedure | None) -> Procedure:
    """A review page exists for the review procedures only, and opens to the roles that review that one."""
    if procedure is None or procedure.id not in REVIEW_WORK:
        raise PublicNotFound()
    if not current_user.has_any_role(*REVIEW_WORK[procedure.id]):
        abort(403)
    return procedure


def _submit(case_id: str, procedure: Procedure, trigger: str, payload: dict[str, Any], form: str,
            kept: dict[str, str]) -> Response | tuple[str, int]:
    rt = runtime()
    raw_version = request.form.get("expected_version", "")
    if not raw_version.isdigit():
        raise PublicBadRequest("提交的表单缺少有效的案件版本号。请刷新页面后重试。")
    outcome = rt.engine.fire(case_id, trigger, current_user.username, payload, expected_version=int(raw_version))
    if outcome.ok:
        flash(_("{case}：已办理「{step}」，案件现处于「{state}」阶段（事件{seq}）。", case=case_id,
                step=label_of(procedure, "step", trigger), state=label_of(procedure, "state", outcome.to_state),
                seq=outcome.seq), "success")
        with rt.sessions() as s:  # more to do here (e.g. the opinion after the adviser's): stay on the case
            case = s.get(Case, case_id)
            more = case is not None and bool(rt.engine.available_transitions(s, case, current_user.username))
        return redirect(url_for("reviews.show", case_id=case_id) if more else url_for("reviews.index"))
    status = 409 if "stale" in outcome.codes else 422
    return _review_page(case_id, Refusal(form, trigger, outcome, kept)), status
