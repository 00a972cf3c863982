"""Collective discussion (集体讨论决定, 条例第三十条): the items awaiting it, the meeting page, the minutes.

  /meetings/                        the items in collective discussion (decision-body members and the head)
  /meetings/<case_id>               the meeting: the item, convening it (head), the members' views in order,
                                    the tally, and the head's decision, which comes last
  /meetings/<case_id>/minutes       the minutes, printable; /minutes.pdf the same, rendered by WeasyPrint
                                    (also for the auditor, the administrator and legal counsel)

An adapter over the engine like the case pages, whose helpers it reuses (web/cases.py, web/forms.py): each
form goes to engine.fire once, with the case version it was drawn for; a refusal is shown next to its form
with its reasons and articles (422, 409 for a stale version) and the input kept; a success redirects. What
the page says before anything is submitted (who has still to speak, which decision departs from the
majority and needs a reason) is the step's own guards evaluated on the recorded data: no rule of its own.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from web import inline_files, pdf
from web.access import may_open, require_roles
from web.case_access import field_errors, own_case, procedure_of, reader
from web.errors import PublicBadRequest, PublicNotFound
from web.forms import Widget, kept_values, payload_from_form, widgets
from web.i18n import _, current_lang, paren
from web.input_screen import engine_form
from web.present import (
    META,
    DataLabels,
    deadline_view,
    fmt_date,
    fmt_datetime,
    label_of,
    next_deadline,
    payload_entries,
    person,
)
from web.runtime import runtime
from workflow.accounts import Member, members_of, setting_values
from workflow.administration import ADMIN_ROLE
from workflow.completeness import completeness, missing_materials
from workflow.definitions import Procedure, Transition
from workflow.engine import Outcome, Reason
from workflow.models import Case, Organization
from workflow.pages import MeetingPage
from workflow.procedures.major_decision.law import FORUM_SETTING
from workflow.procedures.major_decision.meetings import (
    ATTENDEES,
    Meeting,
    discussion_items,
    discussion_states,
    event_hashes,
    holds_meetings,
    latest_meeting,
    meeting_page,
    step,
)

bp = Blueprint("meetings", __name__, url_prefix="/meetings")
# Who sits in the meeting (条例第三十条), who chairs it and who else reads the minutes: the definitions'
# `pages.meeting` (workflow/pages.py). The administrator reads the minutes too.
MEETING, MINUTES = "meeting", "minutes"
DECISION_CHOICE = "decision"  # the form field naming the head's step
FORUM_FIELD, DATE_FIELD = "forum", "meeting_date"  # the convening step's fields the form prefills


@bp.app_context_processor
def meetings_navigation() -> dict[str, Any]:
    return {"can_meet": may_open(page=MEETING)}


# ---------------------------------------------------------------- reading the organisation


def _meeting_case(session: Session, case_id: str) -> tuple[Case, Procedure, MeetingPage]:
    """The user's own case of a procedure that holds meetings, and where its definition says the meeting
    is; 404 otherwise."""
    case = own_case(session, case_id)
    procedure = procedure_of(case)
    page = meeting_page(procedure)
    if procedure is None or page is None or not holds_meetings(procedure):
        raise PublicNotFound()
    return case, procedure, page


# ---------------------------------------------------------------- the list


@dataclass
class Item:
    id: str
    title: str
    stage: str
    status: str
    convened: str  # forum and date, or "" if no meeting yet
    spoken: int
    speakers: int
    deadline: Any


@bp.get("/")
@require_roles(page=MEETING)
def index() -> str:
    rt = runtime()
    today = rt.engine.today()
    items = []
    with rt.sessions() as s:
        members = members_of(s, current_user.org_id)
        for found in discussion_items(s, rt.registry, current_user.org_id):
            c, procedure, meeting = found.case, found.procedure, found.meeting
            due = next_deadline(c.deadlines)
            if meeting is None:
                status, convened = _("待召开会议"), ""
            else:
                convened = f"{meeting.record.get(FORUM_FIELD, '')} {fmt_date(meeting.record.get(DATE_FIELD))}"
                status = _("组成人员发表意见中") if meeting.to_speak(members) else _("待行政首长作出决定")
            items.append(Item(
                id=c.id, title=c.title, stage=label_of(procedure, "state", c.state), status=status,
                convened=convened, spoken=len(meeting.views) if meeting else 0,
                speakers=meeting.speakers(members) if meeting else 0,
                deadline=deadline_view(due, procedure, rt.engine.calendar, today) if due else None,
            ))
    return render_template("meetings/index.html", items=items)


# ---------------------------------------------------------------- what the meeting page shows


def _field_labels(procedure: Procedure, page: MeetingPage) -> dict[str, str]:
    """Labels of the meeting steps' fields, from the definition, in the page language."""
    lang = current_lang()
    labels: dict[str, str] = {}
    for trigger in (page.convene, page.view, *page.decisions):
        found = step(procedure, trigger)
        for f in found.payload if found else ():
            labels.setdefault(f.name, f.label.get(lang))
    return labels


def _view_label(procedure: Procedure, page: MeetingPage, value: Any) -> str:
    found = step(procedure, page.view)
    spec = next((f for f in found.payload if f.name == page.view_choice), None) if found else None
    labels = {v: label.get(current_lang()) for v, label in spec.choices} if spec else {}
    return labels.get(value, str(value))


def _item(procedure: Procedure, page: MeetingPage, data: Mapping[str, Any],
          people: Mapping[str, str]) -> dict[str, Any]:
    """What the members discuss: the submission's materials and the legality opinion's conclusion."""
    labels = DataLabels(procedure)
    out: dict[str, Any] = {"materials": [], "opinion": None}
    submission, opinion = step(procedure, page.submission), step(procedure, page.opinion)
    recorded = data.get(submission.record.key) if submission and submission.record else None
    if isinstance(recorded, Mapping):
        fields = {f.name: f for f in submission.payload} if submission else {}
        out["materials"] = payload_entries(fields, {k: v for k, v in recorded.items() if k not in META}, labels)
        out["submitted"] = _("{who}于{day}提请", who=person(people, recorded.get("recorded_by")),
                             day=fmt_date(recorded.get("recorded_on")))
    found = data.get(opinion.record.key) if opinion and opinion.record else None
    if isinstance(found, Mapping) and opinion:
        fields = {f.name: f for f in opinion.payload}
        out["opinion"] = {
            "entries": payload_entries(fields, {k: found[k] for k in ("conclusion", "reasons") if k in found}),
            "meta": _("{who}于{day}出具", who=person(people, found.get("recorded_by")),
                      day=fmt_date(found.get("recorded_on"))),
        }
    return out


def _meeting_view(session: Session, case: Case, procedure: Procedure, meeting: Meeting,
                  members: Mapping[str, Member]) -> dict[str, Any]:
    """The meeting as the page and the minutes show it, each part with the audit event it comes from."""
    people = {u: m.name + paren(m.unit) if m.unit else m.name for u, m in members.items()}
    hashes = event_hashes(session, case.id, meeting.event_seqs())
    record = meeting.record
    page = meeting.page

    def source(item: Mapping[str, Any]) -> dict[str, Any]:
        seq = item.get("event_seq")
        return {"seq": seq, "hash": hashes.get(seq, "") if isinstance(seq, int) else ""}

    views = [{
        "no": v.get("no", i), "username": v.get("recorded_by", ""), "name": person(people, v.get("recorded_by")),
        "view": v.get(page.view_choice), "view_label": _view_label(procedure, page, v.get(page.view_choice)),
        "statement": v.get("statement", ""), "on": fmt_date(v.get("recorded_on")), **source(v),
    } for i, v in enumerate(meeting.views, start=1)]
    by_member = {v["username"]: v for v in views}
    heads = meeting.chairs(members)
    attendees = [{"username": a, "name": person(people, a), "chair": a in heads, "view": by_member.get(a)}
                 for a in meeting.attendees]
    counts = meeting.counts()
    view_step = step(procedure, page.view)
    spec = next((f for f in view_step.payload if f.name == page.view_choice), None) if view_step else None
    tally = [(label.get(current_lang()), counts.get(value, 0)) for value, label in spec.choices] if spec else []
    outcome = None
    if meeting.outcome is not None:
        o = meeting.outcome
        outcome = {"step": label_of(procedure, "step", o.get("trigger")), "trigger": o.get("trigger"),
                   "by": person(people, o.get("recorded_by")), "on": fmt_date(o.get("recorded_on")),
                   "head_statement": o.get("head_statement", ""), "decision_text": o.get("decision_text", ""),
                   "reason": o.get("reason_against_majority", ""), **source(o)}
    dissent = {v.get("no") for v in meeting.dissent}
    convene = step(procedure, page.convene)
    roll_call = convene.roll_call if convene else None
    recorded_absent = record.get(roll_call.absent) if roll_call else None  # None: convened before the roll call
    return {
        "forum": record.get(FORUM_FIELD, ""), "date": fmt_date(record.get(DATE_FIELD)),
        "convened_by": person(people, record.get("recorded_by")), "convened_on": fmt_date(record.get("recorded_on")),
        "attendees": attendees, "absentees": [a for a in record.get("absentees", []) if isinstance(a, str)],
        "absent_members": [person(people, u) for u in recorded_absent if isinstance(u, str)]
        if isinstance(recorded_absent, list) else None,
        "absent_label": roll_call.absent_label.get(current_lang()) if roll_call else "",
        "views": views, "to_speak": [person(people, u) for u in meeting.to_speak(members)],
        "tally": tally, "majority": _view_label(procedure, page, meeting.majority) if meeting.majority else None,
        "outcome": outcome, "dissent": [v for v in views if v["no"] in dissent],
        "current": meeting.current, "source": source(record),
    }


def _precheck(transition: Transition, case: Case) -> list[Reason]:
    """What a submit of the step would be refused for, before anything is typed: the engine's own check, by
    the same code as the submit (Engine.check), leaving out what needs the form's input."""
    return list(runtime().engine.check(case.id, transition.trigger, current_user.username, {},
                                       before_input=True).reasons)


# ---------------------------------------------------------------- the meeting page


@bp.get("/<case_id>")
@require_roles(page=MEETING)
def show(case_id: str) -> str:
    return _meeting_page(case_id)


def _meeting_page(case_id: str, refused: tuple[str, Outcome] | None = None,
                  kept: Mapping[str, Any] | None = None) -> str:
    rt = runtime()
    lang = current_lang()
    today = rt.engine.today()
    form_name, outcome = refused if refused else (None, None)
    errors = field_errors(outcome.reasons, lang) if outcome else {}
    kept = kept or {}
    with rt.sessions() as s:
        case, procedure, page = _meeting_case(s, case_id)
        members = members_of(s, case.org_id)
        people = {u: m.name + paren(m.unit) if m.unit else m.name for u, m in members.items()}
        settings = setting_values(s, case.org_id)
        meeting = latest_meeting(procedure, case.data or {})
        if meeting is None and case.state not in discussion_states(procedure):
            raise PublicNotFound("本案尚未提请集体讨论。")
        view = _meeting_view(s, case, procedure, meeting, members) if meeting else None
        item = _item(procedure, page, meeting.round_data if meeting else case.data or {}, people)
        offered = {t.trigger: t for t in rt.engine.available_transitions(s, case, current_user.username)}
        due = next_deadline(case.deadlines)
        deadline = deadline_view(due, procedure, rt.engine.calendar, today) if due else None
        live = meeting is not None and meeting.current

        convene = None
        if page.convene in offered and (not live or form_name == "convene"):
            convene = _convene_form(offered[page.convene], procedure, members, settings, today.isoformat(),
                                    form_name == "convene", outcome, kept, errors)

        member_form, member_note = None, []
        if page.view in offered and live:
            t = offered[page.view]
            member_note = _precheck(t, case)
            if not member_note or form_name == "view":
                member_form = {
                    "step": t, "label": t.label.get(lang), "refused": outcome if form_name == "view" else None,
                    "widgets": widgets("view", t.payload, kept if form_name == "view" else None,
                                       errors if form_name == "view" else None),
                }

        decision = None
        steps = [offered[d] for d in page.decisions if d in offered]
        if steps and (live or form_name == "decision"):
            decision = _decision_form(steps, case, form_name == "decision", outcome, kept, errors)
        view_state = {"id": case.id, "title": case.title, "version": case.version,
                      "stage": label_of(procedure, "state", case.state)}
        # the files sent with the item (决策草案、起草说明…), to open from the meeting, and what the stage lacks
        files = completeness(s, procedure, case, rt.records, lang) if (case.data or {}).get("records") else None
        missing = missing_materials(procedure, case, lang)
        previews = inline_files.previews(files, case.id, not reader().files_hidden(procedure))  # PDFs, images
    orphan = outcome if outcome and not any(f and f.get("refused") for f in (convene, member_form, decision)) \
        else None
    return render_template("meetings/show.html", case=view_state, item=item, meeting=view, deadline=deadline,
                           convene=convene, member_form=member_form, member_note=member_note, decision=decision,
                           labels=_field_labels(procedure, page), orphan=orphan, files=files, missing=missing,
                           previews=previews)


def _convene_form(t: Transition, procedure: Procedure, members: Mapping[str, Member], settings: Mapping[str, Any],
                  today: str, mine: bool, outcome: Outcome | None, kept: Mapping[str, Any],
                  errors: Mapping[str, list[str]]) -> dict[str, Any]:
    """The head's form: the forum prefilled from the organisation's setting, the decision body's members
    (and the head) as ticked checkboxes, since most meetings have them all; the guards judge the choice."""
    lang = current_lang()
    seats = set(procedure.pages.meeting.roles) if procedure.pages.meeting else set()
    fields = tuple(f for f in t.payload if f.name != ATTENDEES)
    values = kept if mine else {FORUM_FIELD: str(settings.get(FORUM_SETTING) or ""), DATE_FIELD: today}
    candidates = [m for m in members.values() if m.active and m.roles & seats]
    chosen = kept.get(ATTENDEES, []) if mine else [m.username for m in candidates]
    spec = next((f for f in t.payload if f.name == ATTENDEES), None)
    return {
        "step": t, "label": t.label.get(lang), "refused": outcome if mine else None,
        "widgets": widgets("convene", fields, values, errors if mine else None),
        "attendees": [{"username": m.username, "name": m.name, "unit": m.unit, "checked": m.username in chosen,
                       "roles": _("、").join(label_of(procedure, "role", r) for r in sorted(m.roles)
                                            if r in seats)} for m in candidates],
        "attendees_label": spec.label.get(lang) if spec else ATTENDEES,
        "attendees_required": bool(spec and spec.required),
        "attendees_errors": errors.get(ATTENDEES, []) if mine else [],
    }


def _decision_form(steps: list[Transition], case: Case, mine: bool, outcome: Outcome | None,
                   kept: Mapping[str, Any], errors: Mapping[str, list[str]]) -> dict[str, Any]:
    """One form for the head's closing statement and decision: adopt, reject or defer (one step each)."""
    lang = current_lang()
    checks = {t.trigger: _precheck(t, case) for t in steps}
    # what every choice would be refused for (e.g. members still to speak) is said once, above the choices
    common = [r for r in checks[steps[0].trigger] if all(r.code in {x.code for x in checks[t.trigger]} for t in steps)]
    common_codes = {r.code for r in common}
    options = [{"trigger": t.trigger, "label": t.label.get(lang), "basis": t.basis,
                "checked": mine and kept.get(DECISION_CHOICE) == t.trigger,
                "notes": [r for r in checks[t.trigger] if r.code not in common_codes]} for t in steps]
    fields: dict[str, Any] = {}
    for t in steps:
        for f in t.payload:
            fields.setdefault(f.name, f)
    out: list[Widget] = []
    for w in widgets(DECISION_CHOICE, tuple(fields.values()), kept if mine else None, errors if mine else None):
        having = [t for t in steps if any(f.name == w.name for f in t.payload)]
        needing = [t for t in having if any(f.name == w.name and f.required for f in t.payload)]
        required = len(needing) == len(steps)
        hint = w.help
        if needing and not required:
            hint = _("选择「{steps}」时必填", steps=_("、").join(t.label.get(lang) for t in needing))
        elif len(having) < len(steps):
            hint = _("仅适用于「{steps}」", steps=_("、").join(t.label.get(lang) for t in having))
        out.append(dataclasses.replace(w, required=required, help=hint))
    return {"options": options, "common": common, "widgets": out, "refused": outcome if mine else None}


# ---------------------------------------------------------------- the forms


def _version() -> int:
    raw = request.form.get("expected_version", "")
    if not raw.isdigit():
        raise PublicBadRequest("提交的表单缺少有效的案件版本号。请刷新页面后重试。")
    return int(raw)


def _form_steps(case_id: str, pick: Callable[[MeetingPage], tuple[str, ...]]
                ) -> tuple[tuple[str, ...], dict[str, Transition]]:
    """The triggers `pick` names from the case's meeting metadata, and their steps (as the case's pinned
    procedure defines them) whose fields a form carries."""
    with runtime().sessions() as s:
        case, procedure, page = _meeting_case(s, case_id)
    triggers = pick(page)
    found = {t: procedure.transition(t, case.state) or step(procedure, t) for t in triggers}
    return triggers, {t: found_step for t, found_step in found.items() if found_step is not None}


def _fire(case_id: str, form_name: str, trigger: str, payload: dict[str, Any],
          kept: Mapping[str, Any]) -> Response | tuple[str, int]:
    rt = runtime()
    outcome = rt.engine.fire(case_id, trigger, current_user.username, payload, expected_version=_version())
    if outcome.ok:
        with rt.sessions() as s:
            _case, procedure, _page = _meeting_case(s, case_id)
        flash(_("已办理「{step}」，案件现处于「{state}」阶段。",
                step=label_of(procedure, "step", trigger), state=label_of(procedure, "state", outcome.to_state),
                seq=outcome.seq), "success")
        return redirect(url_for("meetings.show", case_id=case_id))
    status = 409 if "stale" in outcome.codes else 422
    return _meeting_page(case_id, refused=(form_name, outcome), kept=kept), status


@bp.post("/<case_id>/convene")
@engine_form
@require_roles(page=MEETING)
def convene(case_id: str) -> Response | tuple[str, int]:
    (trigger,), steps = _form_steps(case_id, lambda page: (page.convene,))
    t = steps.get(trigger)
    fields = tuple(f for f in t.payload if f.name != ATTENDEES) if t else ()
    payload = payload_from_form(fields, request.form)
    attendees = [a.strip() for a in request.form.getlist(ATTENDEES) if a.strip()]
    if attendees:  # none ticked: left out, and the engine names the missing field
        payload[ATTENDEES] = attendees
    return _fire(case_id, "convene", trigger, payload, {**kept_values(fields, request.form), ATTENDEES: attendees})


@bp.post("/<case_id>/view")
@engine_form
@require_roles(page=MEETING)
def state_view(case_id: str) -> Response | tuple[str, int]:
    (trigger,), steps = _form_steps(case_id, lambda page: (page.view,))
    t = steps.get(trigger)
    fields = t.payload if t else ()
    return _fire(case_id, "view", trigger, payload_from_form(fields, request.form), kept_values(fields, request.form))


@bp.post("/<case_id>/decision")
@engine_form
@require_roles(page=MEETING)
def decide(case_id: str) -> Response | tuple[str, int]:
    trigger = request.form.get(DECISION_CHOICE, "")
    decisions, steps = _form_steps(case_id, lambda page: tuple(page.decisions))
    if trigger not in decisions:
        raise PublicBadRequest("请选择决定结果（通过、不予通过或暂缓决定）后再提交。")
    fields: dict[str, Any] = {}
    for t in steps.values():  # keep what was typed in every field of the form, whichever decision was chosen
        for f in t.payload:
            fields.setdefault(f.name, f)
    kept = {**kept_values(tuple(fields.values()), request.form), DECISION_CHOICE: trigger}
    payload = payload_from_form(steps[trigger].payload if trigger in steps else (), request.form)
    return _fire(case_id, "decision", trigger, payload, kept)


# ---------------------------------------------------------------- the minutes


def _minutes(case_id: str, printed: bool) -> str:
    rt = runtime()
    with rt.sessions() as s:
        case, procedure, page = _meeting_case(s, case_id)
        meeting = latest_meeting(procedure, case.data or {})
        if meeting is None:
            raise PublicNotFound("本案尚未召开集体讨论会议，没有会议纪要。")
        members = members_of(s, case.org_id)
        people = {u: m.name + paren(m.unit) if m.unit else m.name for u, m in members.items()}
        org = s.get(Organization, case.org_id)
        view = _meeting_view(s, case, procedure, meeting, members)
        item = _item(procedure, page, meeting.round_data, people)
        organisation = (org.name_en if current_lang() == "en" else org.name_zh) if org else case.org_id
        generated = rt.engine.clock.now()
    return render_template("meetings/minutes.html", case={"id": case.id, "title": case.title}, item=item,
                           meeting=view, organisation=organisation, labels=_field_labels(procedure, page),
                           printed=printed, generated=fmt_datetime(generated))


@bp.get("/<case_id>/minutes")
@require_roles(ADMIN_ROLE, page=MINUTES)
def minutes(case_id: str) -> str:
    return _minutes(case_id, printed=False)


@bp.get("/<case_id>/minutes.pdf")
@require_roles(ADMIN_ROLE, page=MINUTES)
def minutes_pdf(case_id: str) -> Response:
    document = pdf.render(_minutes(case_id, printed=True), "minutes.css")
    return send_file(io.BytesIO(document), mimetype="application/pdf", as_attachment=False,
                     download_name=f"{case_id}-集体讨论会议纪要.pdf", max_age=0)
