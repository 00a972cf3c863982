"""Review work: the legal reviewers' queue and the review page of a case.

  /reviews/                            the cases waiting for the user's review roles, most urgent first
  /reviews/<case_id>                   what the reviewer needs in one place, and the forms of the steps offered
  /reviews/<case_id>/opinion           a major decision's legality opinion: lawful, unlawful, or returned
  /reviews/<case_id>/steps/<trigger>   any other offered step (an adviser's opinion, a checklist finding, ...)

Who: the roles each definition's `pages.review` serves (workflow/pages.py): legal counsel and legal advisers
(major decisions under legality review, 条例第二十五条至第二十八条) and legal reviewers (the legal review of major
enforcement decisions, 处罚法第五十八条); 403 for anyone else. Which step is the review's outcome, which
records are its materials and which step holds its checklist come from the same block.
An adapter like web/cases.py, whose helpers it reuses: the pages offer what `engine.available_transitions`
offers, every submission goes to `engine.fire` once, and a refusal is shown next to its form.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from web import inline_files
from web.access import may_open, require_roles
from web.case_access import NAME, field_errors, own_case, procedure_of, reader, step_for
from web.errors import PublicBadRequest, PublicNotFound
from web.forms import Widget, kept_values, payload_from_form, widgets
from web.i18n import _, current_lang
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
    person,
)
from web.runtime import runtime
from workflow.accounts import names_and_posts
from workflow.completeness import completeness, missing_materials
from workflow.definitions import Procedure, Transition
from workflow.engine import Outcome
from workflow.models import Case
from workflow.pages import Outcome as ReviewOutcome
from workflow.pages import ReviewPage
from workflow.payloads import FieldSpec
from workflow.review_views import entered, review_queue, waiting_states

bp = Blueprint("reviews", __name__, url_prefix="/reviews")

# Whose queue holds which procedure's cases: the roles of its definition's `pages.review`. The states are read
# from the definitions too: a case waits in a state where one of these roles has a step (legality_review; a
# legal review's submitted and under_review). A review's outcome (e.g. the legality opinion and the return for
# supplement, taken on one form), its materials and records, and its checklist step are named there as well.
REVIEW = "review"

# The legal review of an enforcement decision: its checklist (国办发〔2018〕118号) is the finding step's items.
CHECKLIST_ITEM = "item"
CHECKLIST_FINDING = "finding"
CHECKLIST_NOTE = "note"
NEVER = datetime.max.replace(tzinfo=UTC)


@bp.app_context_processor
def review_navigation() -> dict[str, Any]:
    return {"can_review": may_open(page=REVIEW)}


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
@require_roles(page=REVIEW)
def index() -> str:
    rt = runtime()
    today = rt.engine.today()
    lang = current_lang()
    rows: list[Row] = []
    shown = reader()
    with rt.sessions() as s:
        for w in review_queue(s, rt.registry, current_user.org_id, current_user.roles, rt.engine.calendar, today):
            c, due, since = w.case, w.due, w.since
            procedure = procedure_of(c)
            if not shown.sees(procedure):
                continue
            view = deadline_view(due, procedure, rt.engine.calendar, today) if due else None
            rows.append(Row(
                id=c.id, title=shown.title(procedure, c.title),
                procedure=procedure.label.get(lang) if procedure else c.procedure,
                state=label_of(procedure, "state", c.state),
                submitted=fmt_date(local_datetime(since).date()) if since else "",
                deadline=view, working_days_left=w.working_days_left,
                # overdue first, then the soonest due, cases without a deadline last; older submissions first
                order=(0 if view and view.overdue else 1 if due else 2, due.due if due and due.due else date.max,
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
@require_roles(page=REVIEW)
def show(case_id: str) -> str:
    return _review_page(case_id)


def _review_page(case_id: str, refused: Refusal | None = None) -> str:
    rt = runtime()
    lang = current_lang()
    today = rt.engine.today()
    with rt.sessions() as s:
        case = own_case(s, case_id)
        procedure, page = _require_reviewer_of(procedure_of(case))
        people = names_and_posts(s, case.org_id)
        shown = reader()  # a party's personal data masked where the reviewer's roles do not need them
        data = shown.data(procedure, case.data or {})
        deadlines = [deadline_view(d, procedure, rt.engine.calendar, today) for d in case.deadlines]
        steps = rt.engine.available_transitions(s, case, current_user.username)
        waiting = waiting_states(procedure, page.roles)
        since = entered(s, [case], {case.id: waiting}).get(case.id) if case.state in waiting else None
        view = {
            "id": case.id, "title": shown.title(procedure, case.title), "version": case.version,
            "procedure": procedure.label.get(lang),
            "state": label_of(procedure, "state", case.state),
            "submitted": fmt_date(local_datetime(since).date()) if since else "",
        }
        # the files the drafter attached (决策草案、起草说明、报告…), to download from the review page
        files = completeness(s, procedure, case, rt.records, lang) if data.get("records") else None
        missing = missing_materials(procedure, case, lang)  # what the stage works on and is not among them
        previews = inline_files.previews(files, case.id, not shown.files_hidden(procedure))  # PDFs, images
    sections = case_sections(procedure, data, people, DataLabels(procedure))
    errors = field_errors(refused.outcome.reasons, lang) if refused else {}
    opinion = None
    if page.outcome is not None:
        opinion = _opinion_form(case_id, page.outcome, steps, refused, errors)
        generic = [t for t in steps if t.trigger not in (page.outcome.step, page.outcome.alternative)]
    else:
        generic = steps
    if page.materials or page.records:  # what is under review, and the review's own records, apart
        materials, records = _pick(sections, page.materials), _pick(sections, page.records)
    else:
        materials, records = [x for x in sections if x.key != "previous_rounds"], []
    checklist = _checklist(procedure, page.checklist, data, people)
    forms = [_step_form(case_id, t, refused, errors) for t in generic if not t.attachment]  # files: the case page
    offered = {f["trigger"] for f in forms} | ({"opinion"} if opinion else set())
    orphan = refused.outcome if refused and refused.form not in offered else None
    orphan_step = label_of(procedure, "step", refused.trigger) if orphan and refused else ""
    return render_template("reviews/show.html", case=view, deadlines=deadlines, materials=materials,
                           records=records, checklist=checklist, opinion=opinion, forms=forms, orphan=orphan, files=files,
                           previews=previews,
                           orphan_step=orphan_step, legality=page.outcome is not None, missing=missing)


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


def _opinion_form(case_id: str, outcome: ReviewOutcome, steps: list[Transition], refused: Refusal | None,
                  errors: Mapping[str, list[str]]) -> dict[str, Any] | None:
    """One form for the review's outcome: the opinion's conclusions (lawful, unlawful) and the return for
    supplement, each offered only if the engine offers its step. The other fields are not marked required
    in the page because which of them are needed depends on the outcome; the engine names any missing one."""
    lang = current_lang()
    verdict_field = outcome.choice
    issue = next((t for t in steps if t.trigger == outcome.step), None)
    back = next((t for t in steps if t.trigger == outcome.alternative), None)
    if issue is None and back is None:
        return None
    mine = refused is not None and refused.form == "opinion"
    kept = refused.kept if mine and refused else {}
    mine_errors = errors if mine else {}
    options: list[tuple[str, str]] = []
    verdict_label = ""
    issue_fields: tuple[Any, ...] = ()
    if issue is not None:
        verdict = next((f for f in issue.payload if f.name == verdict_field), None)
        if verdict is not None:
            options += [(value, label.get(lang)) for value, label in verdict.choices]
            verdict_label = verdict.label.get(lang)
        issue_fields = tuple(f for f in issue.payload if f.name != verdict_field)
    back_fields: tuple[Any, ...] = ()
    if back is not None:
        options.append((back.trigger, back.label.get(lang)))
        back_fields = tuple(f for f in back.payload if f.name not in {f.name for f in issue_fields})
    return {
        "action": url_for("reviews.opinion", case_id=case_id),
        "name": verdict_field, "options": options, "chosen": kept.get(verdict_field, ""),
        "verdict_label": verdict_label, "verdict_errors": mine_errors.get(verdict_field, []),
        "issue": issue and {"label": issue.label.get(lang), "basis": issue.basis,
                            "widgets": _optional(widgets("opinion", issue_fields, kept, mine_errors))},
        "back": back and {"label": back.label.get(lang), "basis": back.basis,
                          "widgets": _optional(widgets("opinion", back_fields, kept, mine_errors))},
        "refused": refused.outcome if mine and refused else None,
    }


def _optional(ws: list[Widget]) -> list[Widget]:
    return [dataclasses.replace(w, required=False) for w in ws]


def _checklist(procedure: Procedure, trigger: str | None, data: Mapping[str, Any],
               people: Mapping[str, str]) -> Checklist | None:
    """The finding step's checklist items, each with the findings recorded since the review was last taken
    up (the round the pass/fail guards judge); earlier rounds stay in the case record below."""
    step = next((t for t in procedure.transitions if t.trigger == trigger), None) if trigger else None
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
                meta=_("{who}于{day}登记", who=person(people, f.get("recorded_by")),
                       day=fmt_date(f.get("recorded_on")))))
        out.append(ChecklistItem(label.get(lang), found))
    headings = tuple(label_of_field(fields.get(n), n) for n in (CHECKLIST_ITEM, CHECKLIST_FINDING, CHECKLIST_NOTE))
    return Checklist((headings[0], headings[1], headings[2]), out)


def label_of_field(spec: FieldSpec | None, name: str) -> str:
    return spec.label.get(current_lang()) if spec else name


# ---------------------------------------------------------------- submitting


@bp.post("/<case_id>/opinion")
@engine_form
@require_roles(page=REVIEW)
def opinion(case_id: str) -> Response | tuple[str, int]:
    """The outcome form: a conclusion (lawful, unlawful) -> the opinion step; an alternative step chosen
    (returned for supplement) -> that step."""
    procedure, state = _case_procedure(case_id)
    outcome = procedure.pages.review.outcome if procedure.pages.review else None
    if outcome is None:
        raise PublicNotFound()
    issue = step_for(procedure, state, outcome.step)
    back = step_for(procedure, state, outcome.alternative) if outcome.alternative else None
    issue_fields = issue.payload if issue else ()
    back_fields = back.payload if back else ()
    if outcome.alternative and request.form.get(outcome.choice) == outcome.alternative:
        trigger, payload = outcome.alternative, payload_from_form(back_fields, request.form)
    else:  # no choice made: the opinion, which the engine refuses naming its missing conclusion
        trigger, payload = outcome.step, payload_from_form(issue_fields, request.form)
    kept = {**kept_values(back_fields, request.form), **kept_values(issue_fields, request.form)}
    return _submit(case_id, procedure, trigger, payload, "opinion", kept)


@bp.post("/<case_id>/steps/<trigger>")
@engine_form
@require_roles(page=REVIEW)
def fire(case_id: str, trigger: str) -> Response | tuple[str, int]:
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
        return _require_reviewer_of(procedure_of(case))[0], case.state


def _require_reviewer_of(procedure: Procedure | None) -> tuple[Procedure, ReviewPage]:
    """A review page exists for the review procedures only, and opens to the roles that review that one."""
    page = procedure.pages.review if procedure is not None else None
    if procedure is None or page is None:
        raise PublicNotFound()
    if not current_user.has_any_role(*page.roles):
        abort(403)
    return procedure, page


def _submit(case_id: str, procedure: Procedure, trigger: str, payload: dict[str, Any], form: str,
            kept: dict[str, str]) -> Response | tuple[str, int]:
    rt = runtime()
    raw_version = request.form.get("expected_version", "")
    if not raw_version.isdigit():
        raise PublicBadRequest("提交的表单缺少有效的案件版本号。请刷新页面后重试。")
    outcome = rt.engine.fire(case_id, trigger, current_user.username, payload, expected_version=int(raw_version))
    if outcome.ok:
        flash(_("{case}：已办理「{step}」，案件现处于「{state}」阶段。", case=case_id,
                step=label_of(procedure, "step", trigger), state=label_of(procedure, "state", outcome.to_state),
                seq=outcome.seq), "success")
        with rt.sessions() as s:  # more to do here (e.g. the opinion after the adviser's): stay on the case
            case = s.get(Case, case_id)
            more = case is not None and bool(rt.engine.available_transitions(s, case, current_user.username))
        return redirect(url_for("reviews.show", case_id=case_id) if more else url_for("reviews.index"))
    status = 409 if "stale" in outcome.codes else 422
    return _review_page(case_id, Refusal(form, trigger, outcome, kept)), status
