"""Cases: the work list, opening a case, the case page, and taking a step.

The list (/cases/) filters the organisation's cases by scope (opened by me, or a step of my roles is open
in the current stage), procedure, stage, deadline status (a time limit overdue or due within N working days),
the days it was opened (Beijing dates), the unit of whoever opened it, a party's name (where the reader may see
the party) and a search in case numbers and titles; it orders them by next deadline or last update, fifty to a
page (workflow/worklist.py does the SQL). /cases/export.xlsx gives the same list, every page of it, as a
workbook. A bad filter value is named next to its field with a 400, never ignored silently. A user who opens
cases lands on the list with their own cases, soonest deadline first.

An adapter over the engine. The pages offer the steps `engine.available_transitions` lists; a submitted
step goes to `engine.fire` exactly once, and whatever the engine decides is shown: a refusal re-renders the
page with its reasons next to the form and the input kept, a success redirects (post/redirect/get). A
user sees only their own organisation's cases of the procedures their roles may see, with a party's personal data
masked unless their roles need it (the definitions' `visibility:`, workflow/case_reading.py); any other case id is
"not found".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from web import diagram, inline_files
from web.auth import WebUser
from web.case_access import NAME, field_errors, own_case, procedure_of, reader, step_for
from web.day_filters import day_range
from web.errors import PublicBadRequest, PublicNotFound
from web.forms import Widget, drawn_payload, fixed, kept_values, lined_payload, payload_from_form, widgets
from web.i18n import _, current_lang
from web.input_screen import engine_form, own_filters
from web.pagination import page_links, page_number
from web.present import (
    DataLabels,
    DeadlineView,
    case_sections,
    deadline_view,
    event_view,
    fmt_date,
    fmt_datetime,
    label_of,
    next_deadline,
)
from web.runtime import runtime
from web.todo import concern_views, link_views, mine_first, next_lines
from workflow import inputs, options_from, org_tree, typed_dates, xlsx
from workflow.accounts import names_and_posts
from workflow.audit.chains import case_events, moves_of
from workflow.clock import local_date, local_day_range
from workflow.completeness import MATERIAL_FIELD, completeness, format_label, missing_materials
from workflow.concerning import concerning
from workflow.deadlines import DUE_SOON_WORKING_DAYS
from workflow.definitions import OPENED_AS, Procedure, Transition
from workflow.engine import Outcome
from workflow.held_uploads import Hold
from workflow.links import linked
from workflow.models import User
from workflow.options_from import LineItems
from workflow.people_options import people_choices
from workflow.records import FORMAT_FIELD, FORMATS, Staged
from workflow.worklist import (
    DEADLINE_STATUSES,
    ORDERS,
    CaseFilter,
    ListedCase,
    actionable_stages,
    count_cases,
    page_of_cases,
    running_deadlines,
)

bp = Blueprint("cases", __name__)
PAGE_SIZE = 50
MINE_PANEL = 10  # rows of "my cases" on a drafter's landing


UPLOAD_FORM_SLACK = 1024 * 1024  # the form's other fields around the file


def init_app(app: Flask) -> None:
    @app.before_request
    def upload_limit() -> None:
        """A step that attaches a record accepts a file up to the records limit; every other form keeps the
        small default. Runs before the CSRF check, which is the first to read the form."""
        if request.endpoint == "cases.fire" and request.view_args:
            trigger = request.view_args.get("trigger")
            rt = runtime()
            if any(t.attachment for p in rt.registry.all() for t in p.transitions if t.trigger == trigger):
                request.max_content_length = rt.records.max_bytes + UPLOAD_FORM_SLACK


def _creatable(user: WebUser) -> list[Procedure]:
    return runtime().engine.creatable_procedures(user.roles)


@bp.app_context_processor
def navigation() -> dict[str, Any]:
    return {"can_create": current_user.is_authenticated and bool(_creatable(current_user))}


# ---------------------------------------------------------------- the list


@bp.get("/")
def home() -> Response:
    return redirect(url_for("todo.index"))  # 我的待办: every role's landing page (web/todo.py)


@dataclass
class Row:
    id: str
    title: str
    procedure: str
    state: str
    deadline: DeadlineView | None
    updated: str
    org: str = ""  # the organisation's name, where the reader sees more than one (a supervisor, issue 14)
    opened_by: str = ""  # the name and unit of whoever opened it (the export's columns)
    opened_on: str = ""


@dataclass
class ListForm:
    """The list's filters as typed (to refill the form), their errors by field, and the filter when valid."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    filter: CaseFilter | None = None

    def query(self) -> dict[str, str]:
        """The filters that are set, as query parameters: for the page links."""
        return {k: v for k, v in self.values.items() if v and not (k == "days" and v == str(SOON_DAYS))}


LIST_PARAMS = ("mine", "procedure", "state", "deadline", "days", "q", "order", "org", "opened_from", "opened_to",
               "unit", "party")
MINE = ("created", "todo")
SOON_DAYS = DUE_SOON_WORKING_DAYS
MAX_SOON_DAYS = 60
MAX_QUERY = 100
MAX_EXPORT = 5000  # rows of one workbook: a year of a town's cases is far fewer (the title says when cut)
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def parse_list_args(args: MultiDict[str, str], user: WebUser) -> ListForm:
    """Checks the list's query string; a bad value is named with its field (the page answers 400)."""
    rt = runtime()
    values = {name: (args.get(name) or "").strip() for name in LIST_PARAMS}
    errors: dict[str, str] = {}
    if values["mine"] and values["mine"] not in MINE:
        errors["mine"] = _("未知的范围，请从列表中选择。")
    procedures = {p.id: p for p in rt.registry.all()}
    if values["procedure"] and values["procedure"] not in procedures:
        errors["procedure"] = _("未知的程序，请从列表中选择。")
    if values["state"]:
        chosen = [procedures[values["procedure"]]] if values["procedure"] in procedures else rt.registry.all()
        if not any(values["state"] in p.states for p in chosen):
            errors["state"] = _("未知的阶段，请从列表中选择。")
    if values["deadline"] and values["deadline"] not in DEADLINE_STATUSES:
        errors["deadline"] = _("未知的期限状态，请从列表中选择。")
    days = SOON_DAYS
    if values["days"]:
        if values["days"].isdigit() and 1 <= int(values["days"]) <= MAX_SOON_DAYS:
            days = int(values["days"])
        else:
            errors["days"] = _("请填写1至{n}之间的整数。", n=MAX_SOON_DAYS)
    for name in ("q", "party", "unit"):
        if len(values[name]) > MAX_QUERY:
            errors[name] = _("不能超过{n}个字符。", n=MAX_QUERY)
        elif CONTROL.search(values[name]):
            errors[name] = _("含有不允许的控制字符。")
    opened_from, opened_to = day_range(values, "opened_from", "opened_to", errors)
    if values["party"] and not reader().searches_parties():
        errors["party"] = _("您的角色不能查看当事人信息，不能按当事人查询。")
    if values["order"] and values["order"] not in ORDERS:
        errors["order"] = _("未知的排序方式，请从列表中选择。")
    if values["org"] and values["org"] not in reader().orgs():
        errors["org"] = _("未知的单位，请从列表中选择。")
    form = ListForm(values, errors)
    if errors:
        return form
    today = rt.engine.today()
    mine = values["mine"]
    form.filter = CaseFilter(
        today=today,
        created_by=user.username if mine == "created" else None,
        actionable=tuple(actionable_stages(rt.registry, user.roles)) if mine == "todo" else None,
        procedure=values["procedure"] or None, state=values["state"] or None,
        deadline=values["deadline"] or None,
        soon_until=rt.engine.calendar.add_working_days(today, days).date if values["deadline"] == "soon" else None,
        text=values["q"] or None,
        order=values["order"] or ("deadline" if mine else "updated"),  # a work list of one's own: soonest first
        reader=reader(), org=values["org"] or None,
        opened_from=local_day_range(opened_from, None)[0],
        opened_before=local_day_range(None, opened_to)[1],
        unit=values["unit"] or None, party=values["party"] or None,
    )
    return form


def _rows(session: Session, listed: list[ListedCase], people: bool = False) -> list[Row]:
    """The rows shown for these cases (`people`: with who opened each, and when: the export's columns)."""
    rt = runtime()
    lang = current_lang()
    today = rt.engine.today()
    deadlines = running_deadlines(session, [c.id for c in listed])
    shown = reader()
    orgs = org_tree.names(session, shown.orgs(), current_lang()) if shown.below else {}
    openers = {u: n for org in (shown.orgs() if people else ()) for u, n in names_and_posts(session, org).items()}
    rows = []
    for c in listed:
        try:
            procedure: Procedure | None = rt.registry.get(c.procedure, c.procedure_version)
        except KeyError:
            procedure = None
        due = next_deadline(deadlines[c.id])
        rows.append(Row(
            id=c.id, title=shown.title(procedure, c.title),
            procedure=procedure.label.get(lang) if procedure else c.procedure,
            state=label_of(procedure, "state", c.state),
            deadline=deadline_view(due, procedure, rt.engine.calendar, today) if due else None,
            updated=fmt_datetime(c.updated_at), org=orgs.get(c.org_id, ""),
            opened_by=openers.get(c.created_by, c.created_by) if people else "",
            opened_on=fmt_date(local_date(c.created_at), lang) if people and c.created_at else "",
        ))
    return rows


def _list_choices(session: Session) -> dict[str, Any]:
    lang = current_lang()
    latest = runtime().registry.latest()
    shown = reader()
    return {
        "orgs": list(org_tree.names(session, shown.orgs(), lang).items()) if shown.below else [],
        "mine": [("created", _("我发起的")), ("todo", _("待我的角色办理"))],
        "procedures": [(p.id, p.label.get(lang)) for p in latest],
        "states": [(p.label.get(lang), [(name, s.label.get(lang)) for name, s in p.states.items()]) for p in latest],
        "deadlines": [("overdue", _("办理时限已逾期")), ("soon", _("办理时限即将到期"))],
        "orders": [("deadline", _("下一期限（最近的在前）")), ("updated", _("最后更新（最新的在前）"))],
        "units": [(u, u) for u in session.scalars(
            select(User.unit).where(User.org_id.in_(shown.orgs()), User.unit != "").distinct().order_by(User.unit))],
        "party": shown.searches_parties(),
    }


@bp.get("/cases/")
@own_filters
def index() -> tuple[str, int]:
    rt = runtime()
    form = parse_list_args(request.args, current_user)
    org_id = current_user.org_id
    rows: list[Row] = []
    mine: list[Row] | None = None
    total = pages = 0
    page = page_number(request.args.get("page"))
    flt = form.filter
    with rt.sessions() as s:
        if flt is not None:
            total = count_cases(s, org_id, flt)
            pages = max(1, -(-total // PAGE_SIZE))
            page = min(page, pages)
            rows = _rows(s, page_of_cases(s, org_id, flt, page, PAGE_SIZE))
        landing = not any(request.args.get(k) for k in (*LIST_PARAMS, "page"))
        if landing and _creatable(current_user):  # a drafter's landing: their own cases, soonest deadline first
            own = CaseFilter(today=rt.engine.today(), created_by=current_user.username, order="deadline",
                             reader=reader())
            mine = _rows(s, page_of_cases(s, org_id, own, 1, MINE_PANEL))
        choices = _list_choices(s)
    query = form.query()
    return render_template(
        "cases/list.html", form=form, choices=choices, rows=rows, mine=mine, total=total, page=page,
        pages=pages, page_size=PAGE_SIZE, soon_days=SOON_DAYS, filtered=bool(query),
        links=page_links(page, pages, query, "cases.index") if pages > 1 else [],
        prev_url=url_for("cases.index", **query, page=page - 1) if page > 1 else None,
        next_url=url_for("cases.index", **query, page=page + 1) if page < pages else None,
    ), (400 if form.errors else 200)


@bp.get("/cases/export.xlsx")
@own_filters
def export() -> Response | tuple[str, int]:
    """The list as filtered, every page of it (up to MAX_EXPORT rows), as a workbook: 导出Excel."""
    form = parse_list_args(request.args, current_user)
    flt = form.filter
    if flt is None:
        return index()
    rt = runtime()
    with rt.sessions() as s:
        total = count_cases(s, current_user.org_id, flt)
        rows = _rows(s, page_of_cases(s, current_user.org_id, flt, 1, MAX_EXPORT), people=True)
    title = _("案件列表") + f"（{fmt_date(rt.engine.today(), current_lang())}）"
    if total > len(rows):
        title += _("：共{n}件，仅导出前{m}件，请缩小筛选范围", n=total, m=len(rows))
    orgs = bool(reader().below)
    head = [_("编号"), *([_("单位")] if orgs else []), _("事项名称"), _("程序"), _("当前阶段"), _("下一期限"),
            _("发起人"), _("发起日期"), _("最后更新")]
    body: list[list[xlsx.Cell]] = [
        [r.id, *([r.org] if orgs else []), r.title, r.procedure, r.state,
         f"{r.deadline.label}：{r.deadline.due}（{r.deadline.status}）" if r.deadline else "", r.opened_by, r.opened_on, r.updated]
        for r in rows]
    data = xlsx.workbook(_("案件列表"), [[title], head, *body])
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": "attachment; filename=cases.xlsx"})


# ---------------------------------------------------------------- opening a case


@bp.route("/cases/new", methods=["GET", "POST"])
@engine_form
def new() -> str | Response | tuple[str, int]:
    rt = runtime()
    wanted = request.values.get("procedure", "")
    if request.method == "POST":
        procedure = _lookup(wanted)
        fields = typed_dates.form_fields(procedure.create) if procedure else ()  # a dated opening: the late reason
        outcome = rt.engine.create_case(wanted, current_user.username, payload_from_form(fields, request.form))
        if outcome.ok:
            flash(_("已{opened}：{case}。", opened=procedure.opened_as.get(current_lang()), case=outcome.case_id),
                  "success")
            return redirect(url_for("cases.show", case_id=outcome.case_id))
        return _new_page([procedure] if procedure else [], outcome, request.form), 422
    creatable = _creatable(current_user)
    if wanted:
        procedure = _lookup(wanted)
        if procedure is None:
            raise PublicNotFound()
        if procedure not in creatable:
            abort(403)  # a form its user may not send; a POST all the same is the engine's to refuse (422)
        return _new_page([procedure])
    if not creatable:
        abort(403)  # the page of those who open cases
    return _new_page(creatable)


def _lookup(procedure_id: str) -> Procedure | None:
    if not NAME.match(procedure_id):
        return None
    try:
        return runtime().registry.get(procedure_id)
    except KeyError:
        return None


def _new_page(procedures: list[Procedure], outcome: Outcome | None = None,
              form: MultiDict[str, str] | None = None) -> str:
    lang = current_lang()
    errors = field_errors(outcome.reasons, lang) if outcome else {}
    with runtime().sessions() as s:  # the town's own choices: its people, its settings' lists (options_from:)
        offered = people_choices(s, current_user.org_id, [f for p in procedures for f in p.create.payload],
                                 _("执法证"))
    forms = [{
        "procedure": p,
        "label": p.label.get(lang),
        "step": p.create.label.get(lang),
        "opened": p.opened_as.get(lang),
        "basis": p.create.basis,
        "roles": _("、").join(p.roles[r].get(lang) for r in p.create.roles if r in p.roles),
        "widgets": widgets(f"new-{p.id}", typed_dates.form_fields(p.create),
                           kept_values(typed_dates.form_fields(p.create), form) if form is not None else None, errors,
                           offered),
    } for p in procedures]
    return render_template("cases/new.html", forms=forms, outcome=outcome)


# ---------------------------------------------------------------- the case page


@bp.get("/cases/<case_id>")
def show(case_id: str) -> str:
    return _case_page(case_id)


@bp.post("/cases/<case_id>/steps/<trigger>")
@engine_form
def fire(case_id: str, trigger: str) -> Response | tuple[str, int]:
    rt = runtime()
    if not NAME.match(trigger):
        raise PublicNotFound()
    with rt.sessions() as s:
        case = own_case(s, case_id)
        procedure = procedure_of(case)  # pinned to the case: firing never changes it
        step = step_for(procedure, case.state, trigger)
    fields = typed_dates.form_fields(step) if step else ()  # with the late-entry reason of a dated step
    raw_version = request.form.get("expected_version", "")
    if not raw_version.isdigit():
        raise PublicBadRequest("提交的表单缺少有效的案件版本号。请刷新页面后重试。")
    attachment, hold = _received_file(case_id, trigger, step is not None and step.attachment)
    payload = payload_from_form(fields, request.form)
    if step is not None:  # a list the page draws (options_from: drawn): from the cases offered now
        payload = drawn_payload(fields, request.form, payload, _case_options(case_id, [step]))
        payload = lined_payload(fields, request.form, payload, _line_blocks(procedure, [step]))
    if step is not None and attachment is not None and not request.form.get(FORMAT_FIELD):
        payload = _detected_format(step, attachment, payload)
    outcome = rt.engine.fire(case_id, trigger, current_user.username, payload,
                             expected_version=int(raw_version), attachment=attachment)
    if outcome.ok:
        if hold is not None:
            rt.held_uploads.release(hold.token)
        flash(_("已办理「{step}」，案件现处于「{state}」阶段。",
                step=label_of(procedure, "step", trigger), state=label_of(procedure, "state", outcome.to_state)),
              "success")
        return redirect(url_for("cases.show", case_id=case_id))
    if hold is not None and set(outcome.codes) & FILE_ITSELF_REFUSED:  # another file is needed: keep nothing
        rt.held_uploads.release(hold.token)
        hold = None
    status = 409 if "stale" in outcome.codes else 422
    return _case_page(case_id, refused=(trigger, outcome), kept=kept_values(fields, request.form), held=hold), status


def _case_options(case_id: str, steps: list[Transition]) -> dict[str, tuple[tuple[str, str], ...]]:
    """The cases the steps' fields offer (options_from: {cases_of: <guard>}): what each guard accepts, by the
    engine (workflow/engine/guard_context.py case_choices), shown by number and stage."""
    out: dict[str, tuple[tuple[str, str], ...]] = {}
    for step in steps:
        if not any(f.options_from is not None and f.options_from.cases_of for f in step.payload):
            continue
        for key, views in runtime().engine.case_choices(case_id, step.trigger, current_user.username).items():
            out[key] = tuple((v.id, f"{v.id}（{v.state_label}）" if v.state_label else v.id) for v in views)
    return out


def _line_blocks(procedure: Procedure | None, steps: list[Transition]) -> dict[str, LineItems]:
    """The family blocks whose items the steps' lists have one line each of (options_from: {lines_of: <block>})."""
    out: dict[str, LineItems] = {}
    for f in (f for t in steps for f in t.payload):
        name = f.options_from.lines_of if f.options_from is not None else None
        block = procedure.block(name) if procedure is not None and name else None
        if f.options_from is not None and block is not None and hasattr(block, "form_lines"):
            out[f.options_from.key] = block
    return out


def _detected_format(step: Transition, attachment: Staged, payload: Any) -> Any:
    """The format the file's content shows (RecordStore.sniff), where the form left it to be detected and the step
    offers it; else the payload as sent (the engine then asks for the format, naming the field)."""
    spec = next((f for f in step.payload if f.name == FORMAT_FIELD), None)
    offered = {value for value, _label in spec.choices} if spec is not None else set()
    if isinstance(payload, dict) and attachment.sniffed in offered:
        return {**payload, FORMAT_FIELD: attachment.sniffed}
    return payload


def _format_detected(widgets_: list[Widget]) -> list[Widget]:
    """An attaching step's format list offers 自动识别 first: the file's content decides unless one is chosen."""
    return [replace(w, required=False, empty_label=_("按文件内容自动识别"))
            if w.name == FORMAT_FIELD and w.control == "select" else w for w in widgets_]


# Refusals of the file itself (its name, its being empty): the retry needs another file, so none is held. A file
# refused as not the declared format is held: the declaration may be what was wrong.
FILE_ITSELF_REFUSED = frozenset({"record_filename_invalid", "record_empty"})


def _received_file(case_id: str, trigger: str, attaches: bool) -> tuple[Staged | None, Hold | None]:
    """The file sent with the step, staged for the engine, and held for a retry should the step be refused
    (workflow/held_uploads.py): a new file replaces the one held; without one, the held file (the form's
    `held_file`, this user's for this case and step) is sent again. No file: the engine refuses a step that
    needs one."""
    rt = runtime()
    upload = request.files.get("file")
    token = request.form.get("held_file", "")
    now = rt.clock.now()
    if upload is not None and upload.filename:
        rt.held_uploads.release(token)
        staged = rt.records.stage(upload.stream, filename=upload.filename)
        if not attaches or staged.too_large:
            return staged, None
        return staged, rt.held_uploads.hold(staged.path, user=current_user.username, case_id=case_id,
                                            trigger=trigger, filename=staged.filename, size=staged.size, now=now)
    found = rt.held_uploads.find(token, user=current_user.username, case_id=case_id, trigger=trigger, now=now) \
        if token and attaches else None
    if found is None:
        return None, None
    hold, path = found
    with path.open("rb") as held:
        return rt.records.stage(held, filename=hold.filename), hold


def _case_page(case_id: str, refused: tuple[str, Outcome] | None = None,
               kept: dict[str, str] | None = None, held: Hold | None = None) -> str:
    rt = runtime()
    lang = current_lang()
    today = rt.engine.today()
    with rt.sessions() as s:
        case = own_case(s, case_id)
        procedure = procedure_of(case)
        shown = reader()  # what of the case the user's roles may read (a party's personal data masked)
        data = shown.data(procedure, case.data or {})
        people = names_and_posts(s, case.org_id)
        labels = DataLabels(procedure)
        deadlines = [deadline_view(d, procedure, rt.engine.calendar, today) for d in case.deadlines]
        events = case_events(s, case.id)
        known = {procedure.ref: labels} if procedure else {}
        history = [event_view(e, rt.registry, people, labels=known, reader=shown) for e in events]
        steps = rt.engine.available_transitions(s, case, current_user.username) if procedure else []
        if procedure:  # the user's usual next steps first (web/todo.py), then the others in the definition's order
            order = mine_first(procedure, case.state, case.data or {}, [t.trigger for t in steps])
            steps.sort(key=lambda t: order.index(t.trigger))
        upcoming = next_lines(procedure, case.state, case.data or {}, people) if procedure else []
        links = link_views(linked(s, rt.registry, case), shown)
        concerns = concern_views(concerning(s, rt.registry, case), shown)
        view = {
            "id": case.id, "title": shown.title(procedure, case.title), "version": case.version, "procedure_id": case.procedure,
            "procedure": procedure.label.get(lang) if procedure else case.procedure,
            "procedure_link": url_for("procedures.show", procedure_id=procedure.id, version=procedure.version)
                              if procedure else None,  # the living spec of the version the case runs under
            "state": label_of(procedure, "state", case.state),
            "created": fmt_datetime(case.created_at), "updated": fmt_datetime(case.updated_at),
            "opened": (procedure.opened_as if procedure else OPENED_AS).get(lang),  # 提出, 立案 … (create:)
            "created_by": people.get(case.created_by, case.created_by),
            # a town's case read by its district's supervisor (issue 14): named, and read only
            "supervised": not shown.acts_in(case.org_id) and not shown.addressed(case),
            "addressed": shown.addressed(case),  # a case another organisation addressed to the user's (issue 14)
            "org": org_tree.names(s, [case.org_id], lang)[case.org_id],
        }
        sections = case_sections(procedure, data, people, labels)
        evidence = completeness(s, procedure, case, rt.records, lang) if procedure and case.data.get("records") \
            else None
        offered = people_choices(s, case.org_id, [f for t in steps for f in t.payload], _("执法证"))
        offered.update(options_from.case_choices(data, steps))  # the case's own lists (comments, files)
        offered |= _case_options(case_id, steps)  # the cases a step's guard accepts (a review's files)
        lines = _line_blocks(procedure, steps)
        missing = missing_materials(procedure, case, lang)
    refused_trigger, outcome = refused if refused else (None, None)
    errors = field_errors(outcome.reasons, lang) if outcome else {}
    forms = []
    for step in steps:
        mine = step.trigger == refused_trigger
        made = (_format_detected if step.attachment else list)(
            widgets(f"step-{step.trigger}", typed_dates.form_fields(step), kept if mine else None,
                    errors if mine else None, offered, lines))
        picks, picked = _picks(case_id, step, made, None if mine else request.args)
        forms.append({
            "picks": picks, "picked": picked is not None,
            "trigger": step.trigger, "label": step.label.get(lang), "basis": step.basis,
            "refused": outcome if mine else None,
            "action": url_for("cases.fire", case_id=case_id, trigger=step.trigger),
            "widgets": made if picked is None else [fixed(w, picked) if w.name == picks[0]["field"] else w
                                                     for w in made],
            "attachment": step.attachment, "file_errors": errors.get("file", []) if mine else [],
            "held": {"token": held.token, "filename": held.filename, "size": held.size,
                     "until": fmt_datetime(held.until)} if mine and held is not None else None,
            "max_mb": rt.records.max_bytes // 1024**2,
        })
    # a refusal for a step that is not (or no longer) offered here is shown above the steps
    orphan = outcome if outcome and not any(f["refused"] for f in forms) else None
    orphan_step = label_of(procedure, "step", refused_trigger) if orphan else ""
    return render_template("cases/show.html", case=view, deadlines=deadlines, sections=sections,
                           history=history, forms=forms, orphan=orphan, orphan_step=orphan_step,
                           evidence=evidence, evidence_columns=_evidence_columns(procedure, lang), people=people,
                           format_label=format_label, procedure_missing=procedure is None, upcoming=upcoming,
                           links=links, missing=missing, concerns=concerns)


def _picks(case_id: str, step: Transition, made: list[Widget], args: MultiDict[str, str] | None,
           ) -> tuple[list[dict[str, str]], str | None]:
    """A step that acts on one item of the case's own list (a comment to decide: `options_from: {record: ...}` on
    a single field): a button per item still open, opening the step's form with that item chosen; and the item
    chosen by the button followed (`?pick=<step>&<field>=<value>`), if it is one of them."""
    spec = next((f for f in step.payload if f.options_from is not None and f.options_from.record is not None
                 and f.type != "string_list"), None)
    widget = next((w for w in made if spec is not None and w.name == spec.name), None)
    if spec is None or widget is None or not widget.options:
        return [], None
    picks = [{"field": spec.name, "value": value, "label": label,
              "url": url_for("cases.show", case_id=case_id, pick=step.trigger, **{spec.name: value},
                             _anchor=f"step-{step.trigger}")} for value, label in widget.options]
    chosen = args.get(spec.name) if args is not None and args.get("pick") == step.trigger else None
    return picks, chosen if chosen in dict(widget.options) else None


def _evidence_columns(procedure: Procedure | None, lang: str) -> dict[str, str]:
    """The headings of the files table in the words of the procedure's attachment step (记录名称, 材料类别 ...)."""
    step = next((t for t in procedure.transitions if t.attachment), None) if procedure else None
    labels = {f.name: f.label.get(lang) for f in step.payload} if step else {}
    return {"category": labels.get(MATERIAL_FIELD) or labels.get("kind") or _("类型"),
            "title": labels.get("title") or _("名称"), "made_on": labels.get("made_on") or _("日期")}


# ---------------------------------------------------------------- evidence files


@bp.get("/cases/<case_id>/records/<int:no>")
def record_file(case_id: str, no: int) -> Response:
    """A record's file, to those who may see the case, served as stored (content-addressed, read-only), to
    download."""
    path, record = _record_file(case_id, no)
    fmt = FORMATS.get(record.get("format", ""))
    name = inputs.download_name(record.get("filename"), f"{case_id}-{no}")
    return send_file(path, mimetype=fmt.media_type if fmt else "application/octet-stream", as_attachment=True,
                     download_name=name, etag=record["sha256"], conditional=True, max_age=0)


@bp.get("/cases/<case_id>/records/<int:no>/inline")
def record_inline(case_id: str, no: int) -> Response:
    """The same file shown in place (a PDF or an image on the review and meeting pages: web/inline_files.py), to
    the same readers."""
    path, record = _record_file(case_id, no)
    return inline_files.inline_response(path, record, inputs.download_name(record.get("filename"),
                                                                           f"{case_id}-{no}"))


def _record_file(case_id: str, no: int) -> tuple[Path, dict[str, Any]]:
    """The stored file of a record and the record, if the user may open it: they may see the case; and where the
    definition says a case's files show the party (evidence), a file cannot be masked, so only the roles that may
    see the party open it (403 to the others, who see the record listed)."""
    rt = runtime()
    with rt.sessions() as s:
        case = own_case(s, case_id)
        if reader().files_hidden(procedure_of(case)):
            abort(403)
        record = next((r for r in case.data.get("records", []) if r.get("no") == no), None)
    if record is None:
        raise PublicNotFound("该记录不存在。")
    path = rt.records.find(record["sha256"])
    if not path.is_file():
        abort(404)
    return path, record


# ---------------------------------------------------------------- the case's state diagram


@bp.get("/cases/<case_id>/diagram.svg")
def case_diagram(case_id: str) -> Response:
    """The state diagram of the case's procedure version with its current stage and the steps it has taken
    marked (web/diagram.py), to the case's organisation only; 503 when Graphviz is not installed."""
    rt = runtime()
    with rt.sessions() as s:
        case = own_case(s, case_id)
        procedure = procedure_of(case)
        moves = moves_of(s, case.id)
        state = case.state
    if procedure is None:
        raise PublicNotFound()
    svg = diagram.render(procedure, current_lang(), diagram.Highlight.of(state, moves))
    if svg is None:
        return Response(_("状态图暂不可用：服务器未安装 Graphviz（dot）。"), status=503, mimetype="text/plain")
    return Response('<?xml version="1.0" encoding="UTF-8"?>\n' + svg, mimetype="image/svg+xml")
