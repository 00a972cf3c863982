"""Requests for government information (政府信息公开申请, workflow/procedures/information_request/): the public
form and the applicant's status page (no login), the staff register and the disclosure annual report.

Public (web/auth.py PUBLIC_ENDPOINTS):
* /public/information-requests/new      the request form (条例第二十九条: 数据电文). It creates the case through
                                        engine.create_case as the organisation's portal account, like a comment
                                        (web/portal.py), and shows the applicant, once, a tracking code of 128
                                        random bits; the database keeps its SHA-256 only (tracking.py). Before the
                                        engine, what is not a person writing is kept out as on the comment form:
                                        the CSRF token, the same per-client rate limit (web/throttle.py, one count
                                        for both forms), a honeypot and a signed form-issue time; the engine
                                        checks lengths. The channel is "online" (第三十一条: received on the day
                                        both sides confirm, which the office records).
* /public/information-requests/status   the applicant's view by code (sent as a form, kept out of URLs and
                                        logs): the stage, the day received, the answer's due day, the answer.
Staff (the roles of the definition's `pages.register`):
* /information-requests/                the register of the organisation's requests;
* /information-requests/report          the annual report's tables (国办公开办函〔2021〕30号) for a year, every
                                        figure linking to the requests behind it; .xlsx the same as a workbook.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from web import throttle
from web.access import may_open, require_roles
from web.case_access import chosen_org, org_arg, org_choices, reader
from web.forms import kept_values, payload_from_form, widgets
from web.i18n import _, current_lang
from web.input_screen import engine_form
from web.present import fmt_date
from web.runtime import runtime
from workflow import xlsx
from workflow.accounts import portal_username
from workflow.db import writing
from workflow.definitions import Label, Procedure
from workflow.engine import Outcome
from workflow.models import Case, Organization
from workflow.procedures.information_request import remedies, tracking
from workflow.procedures.information_request.annual_report import (
    COLUMN_KEYS,
    ROW_LABELS,
    ROW_ORDER,
    RequestsTable,
    requests_table,
)
from workflow.procedures.information_request.law import COLUMNS, PROCEDURE
from workflow.procedures.information_request.register import RequestRow, fee_pauses_of, requests, row_of
from workflow.procedures.information_request.remedies import RemediesTable, remedies_table
from workflow.procedures.normative_document import register as normative_register

bp = Blueprint("information_requests", __name__)

FORM_SALT = "lawflow.portal.information-request-form"
MIN_FILL_SECONDS = 3
MAX_AGE_SECONDS = 4 * 3600
HONEYPOT = "website"
PUBLIC_FIELDS_LEFT_OUT = ("channel",)  # the portal's requests are online requests (第三十一条第三项)


@bp.context_processor
def helpers() -> dict[str, Any]:
    return {"fmt_date": fmt_date, "ROW_LABELS": ROW_LABELS, "COLUMNS": COLUMNS}


@bp.app_context_processor
def navigation() -> dict[str, Any]:
    """The main navigation's link to the register, for the roles of the definitions' `pages.register`."""
    return {"can_see_requests": may_open(page="register")}


def _procedure() -> Procedure:
    return runtime().registry.get(PROCEDURE)


def _public_fields() -> tuple[Any, ...]:
    return tuple(f for f in _procedure().create.payload if f.name not in PUBLIC_FIELDS_LEFT_OUT)


def _orgs(org_id: str | None) -> list[Organization]:
    """The organisation `?org=` names (404 if none), else every organisation of the instance."""
    rt = runtime()
    with rt.sessions() as session:
        if org_id:
            org = session.get(Organization, org_id)
            if org is None:
                abort(404)
            found = [org]
        else:
            found = list(session.scalars(select(Organization).order_by(Organization.id)).all())
        session.expunge_all()
    if not found:
        abort(404)
    return found


def _org(org_id: str | None) -> Organization:
    """The organisation a form is sent to: named, or the instance's only one."""
    found = _orgs(org_id)
    if len(found) != 1:
        abort(404)
    return found[0]


# ---------------------------------------------------------------- the public form


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key or "", salt=FORM_SALT)


def _issue(org_id: str) -> str:
    return _serializer().dumps({"org": org_id, "at": int(runtime().clock.now().timestamp() * 1000)})


def _screen(org_id: str, form: Any) -> str | None:
    """Why the form is not a person writing (honeypot, timing), or None."""
    if form.get(HONEYPOT, ""):
        return _("提交未被接受：系统判断可能为自动提交。您填写的内容已保留，请确认后再次提交。")
    try:
        note = _serializer().loads(form.get("issued", ""))
    except BadSignature:
        note = None
    now_ms = int(runtime().clock.now().timestamp() * 1000)
    if not isinstance(note, dict) or note.get("org") != org_id or not isinstance(note.get("at"), int) \
            or now_ms - note["at"] > MAX_AGE_SECONDS * 1000:
        return _("表单已失效（打开超过4小时或无法识别）。您填写的内容已保留，请确认后再次提交。")
    if now_ms - note["at"] < MIN_FILL_SECONDS * 1000:
        return _("提交过快：系统判断可能为自动提交。您填写的内容已保留，请确认后再次提交。")
    return None


def _form_page(org: Organization, *, kept: dict[str, str] | None = None, problem: str | None = None,
               outcome: Outcome | None = None) -> str:
    lang = current_lang()
    errors: dict[str, list[str]] = {}
    for r in outcome.reasons if outcome is not None else ():
        if r.field:
            errors.setdefault(r.field.split(".")[0], []).append(r.en if lang == "en" else r.zh)
    form = widgets("request", _public_fields(), kept, errors)
    return render_template("information_requests/new.html", org=org, form=form, issued=_issue(org.id),
                           problem=problem, outcome=outcome, honeypot=HONEYPOT)


@bp.get("/public/information-requests/new")
def new() -> str:
    found = _orgs(request.args.get("org"))
    if len(found) > 1:  # several organisations on one instance: each receives its own requests
        return render_template("portal/choose.html", orgs=found, endpoint="information_requests.new")
    return _form_page(found[0])


@bp.post("/public/information-requests/new")
@engine_form
def submit() -> tuple[str, int]:
    rt = runtime()
    org = _org(request.args.get("org"))
    fields = _public_fields()
    kept = kept_values(fields, request.form)
    client = throttle.client_key(current_app.secret_key or "", request.remote_addr)
    full = throttle.admit(rt.sessions, client, org.id, rt.clock.now())
    if full is not None:
        current_app.logger.info("portal: information request not accepted (rate limit), client %s", client[:12])
        return _form_page(org, kept=kept, problem=_("提交过于频繁，请稍后再提交。您填写的内容已保留。")), 429
    problem = _screen(org.id, request.form)
    if problem is not None:
        current_app.logger.info("portal: information request not accepted (screen), client %s", client[:12])
        return _form_page(org, kept=kept, problem=problem), 422
    payload = {**payload_from_form(fields, request.form), "channel": "online"}
    outcome = rt.engine.create_case(PROCEDURE, portal_username(org.id), payload)
    if not outcome.ok or not outcome.case_id:
        return _form_page(org, kept=kept, outcome=outcome), 422
    code = tracking.new_code()
    with writing(rt.sessions) as session:
        tracking.keep(session, code, outcome.case_id, org.id, rt.clock.now())
    # The code is shown here once and never again (only its hash is kept): no redirect that would carry it.
    return render_template("information_requests/submitted.html", org=org, code=code, case_id=outcome.case_id), 201


# ---------------------------------------------------------------- the applicant's view


@dataclass(frozen=True)
class PublicStatus:
    row: RequestRow
    data: dict[str, Any]
    answer_label: Label | None


@bp.get("/public/information-requests/status")
def status_form() -> str:
    return render_template("information_requests/status.html", found=None, asked=False)


# The status lookup by tracking code is limited like the portal's forms (web/throttle.py), under a key of its own so
# that looking up never uses up the forms' quota: 10 lookups in 10 minutes and 50 in a day per client. The code is
# unguessable (128 bits) anyway; the limit keeps a script from hammering the page and the database.
STATUS_PURPOSE = "portal.request_status"
STATUS_WINDOWS = (throttle.Window(timedelta(minutes=10), 10), throttle.Window(timedelta(days=1), 50))


@bp.post("/public/information-requests/status")
def status() -> tuple[str, int] | str:
    rt = runtime()
    code = request.form.get("code", "").strip()
    client = throttle.client_key(current_app.secret_key or "", request.remote_addr, STATUS_PURPOSE)
    org = _orgs(request.args.get("org"))[0]  # the count's row names an organisation; lookups are not per organisation
    if throttle.admit(rt.sessions, client, org.id, rt.clock.now(), STATUS_WINDOWS) is not None:
        current_app.logger.info("portal: status lookup not answered (rate limit), client %s", client[:12])
        short, day = STATUS_WINDOWS
        return render_template("information_requests/status.html", found=None, asked=False,
                               throttled=(int(short.length.total_seconds() // 60), short.limit, day.limit)), 429
    with rt.sessions() as session:
        case_id = tracking.case_of(session, code)
        case = session.get(Case, case_id) if case_id else None
        if case is None:
            return render_template("information_requests/status.html", found=None, asked=True), 404
        procedure = rt.registry.get(case.procedure, case.procedure_version)
        row = row_of(case, procedure, rt.engine.calendar, rt.engine.today(), fee_pauses_of(session, case.org_id))
        found = PublicStatus(row, dict(case.data or {}), row.answer_type)
    return render_template("information_requests/status.html", found=found, asked=True)


# ---------------------------------------------------------------- the staff register and the annual report


@bp.get("/information-requests/")
@require_roles(page="register")
def register() -> str:
    rt = runtime()
    with rt.sessions() as session:  # a supervisor picks an organisation below theirs (issue 14)
        rows = requests(session, rt.registry, chosen_org(), rt.engine.calendar, rt.engine.today())
        orgs = org_choices(session)
    return render_template("information_requests/register.html", rows=_shown(rows), today=rt.engine.today(),
                           orgs=orgs)


@bp.get("/information-requests/register.xlsx")
@require_roles(page="register")
def register_xlsx() -> Response:
    """The register as a workbook (导出Excel): the page's columns, the applicant as the reader may see them."""
    rt = runtime()
    lang = current_lang()
    today = rt.engine.today()
    with rt.sessions() as session:
        rows = _shown(requests(session, rt.registry, chosen_org(), rt.engine.calendar, today))
    title = _("政府信息公开申请登记簿") + f"（{fmt_date(today)}）"
    head = [_("编号"), _("所需信息"), _("申请人"), _("申请方式"), _("收到申请之日"), _("当前阶段"), _("答复期限"),
            _("办结之日"), _("答复类型")]

    def due(r: RequestRow) -> str:
        if not r.clock or r.closed_on:
            return ""
        note = _("（暂停）") if not r.clock.running else _("（已逾期）") if r.clock.due < today else ""
        return fmt_date(r.clock.due) + note

    body: list[list[xlsx.Cell]] = [[
        r.id, r.title, r.applicant, r.channel.get(lang),
        fmt_date(r.received_on) + ("" if r.confirmed else _("（待确认）")), r.state_label.get(lang), due(r),
        fmt_date(r.closed_on) if r.closed_on else "", r.answer_type.get(lang) if r.answer_type else ""] for r in rows]
    data = xlsx.workbook(_("政府信息公开申请登记簿"), [[title], head, *body])
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": "attachment; filename=information-requests.xlsx"})


def _shown(rows: list[RequestRow]) -> list[RequestRow]:
    """The register's rows with the applicant as the reader's roles may see them (the definition's `visibility:`;
    the auditors check the answers and their periods, not who asked)."""
    shown, procedure = reader(), _procedure()
    key = procedure.create.record.key if procedure.create.record else ""
    return [replace(r, title=shown.title(procedure, r.title),
                    applicant=shown.field(procedure, key, "applicant", r.applicant)) for r in rows]


def _year() -> int:
    raw = request.args.get("year", "")
    if not raw:
        return runtime().engine.today().year - 1  # the report is on the year before (条例第四十九条)
    if not raw.isdigit() or not 2000 <= int(raw) <= 2100:
        abort(400)
    return int(raw)


def _table(year: int) -> tuple[RequestsTable, list[RequestRow]]:
    rt = runtime()
    with rt.sessions() as session:
        rows = requests(session, rt.registry, chosen_org(), rt.engine.calendar, rt.engine.today())
    return requests_table(rows, year), rows


@dataclass(frozen=True)
class Figures:
    """A figure of the report's other tables that the records of this family do not hold."""

    issued: int | None
    repealed: int | None
    in_force: int | None
    note: str


def normative_document_figures(org_id: str, year: int) -> Figures:
    """第二十条第（一）项: normative documents issued (published) and ended (repealed, declared invalid or expired)
    in the year, and in force at its end, from the normative documents' own register
    (workflow/procedures/normative_document/register.py)."""
    with runtime().sessions() as session:
        figures = normative_register.year_figures(session, org_id, year)
    return Figures(figures.issued, figures.repealed, figures.in_force,
                   _("据本系统登记的行政规范性文件（发布、废止或失效、年末有效）。"))


def _remedies(rows: list[RequestRow], year: int) -> RemediesTable:
    return remedies_table(((r.id, r.remedies) for r in rows), year)


@bp.get("/information-requests/report")
@require_roles(page="register")
def report() -> str:
    year = _year()
    table, rows = _table(year)
    return render_template("information_requests/report.html", table=table, year=year, ROW_ORDER=ROW_ORDER,
                           COLUMN_KEYS=COLUMN_KEYS,
                           normative=normative_document_figures(chosen_org(), year), orgs=_org_choices(),
                           remedies=_remedies(rows, year), REMEDY_GROUPS=remedies.GROUPS,
                           REMEDY_COLUMNS=remedies.COLUMNS, REMEDY_LABELS=remedies.COLUMN_LABELS)


@bp.get("/information-requests/report/remedies")
@require_roles(page="register")
def report_remedy_cell() -> str:
    """The requests behind one figure of section 四 (reconsideration and litigation)."""
    year = _year()
    group, column = request.args.get("group", ""), request.args.get("column", "")
    if group not in remedies.GROUP_LABELS or column not in remedies.COLUMNS:
        abort(400)
    rows = _table(year)[1]
    wanted = set(_remedies(rows, year).ids(group, column))
    (gzh, gen), (czh, cen) = remedies.GROUP_LABELS[group], remedies.COLUMN_LABELS[column]
    return render_template("information_requests/register.html", rows=_shown([r for r in rows if r.id in wanted]),
                           today=runtime().engine.today(), cell=(year, (f"{gzh}：{czh}", f"{gen}: {cen}"), column))


@bp.get("/information-requests/report/requests")
@require_roles(page="register")
def report_cell() -> str:
    year = _year()
    row, column = request.args.get("row", ""), request.args.get("column", "")
    if row not in ROW_ORDER or column not in COLUMN_KEYS:
        abort(400)
    table, rows = _table(year)
    wanted = set(table.ids(row, column))
    return render_template("information_requests/register.html", rows=_shown([r for r in rows if r.id in wanted]),
                           today=runtime().engine.today(), cell=(year, ROW_LABELS[row], column))


@bp.get("/information-requests/report.xlsx")
@require_roles(page="register")
def report_xlsx() -> Response:
    year = _year()
    table, rows = _table(year)
    en = current_lang() == "en"
    head = ["", *[(c[2] if en else c[1]) for c in COLUMNS], "Total" if en else "总计"]
    body: list[list[xlsx.Cell]] = [[ROW_LABELS[r][1 if en else 0], *[table.count(r, c) for c in COLUMN_KEYS]]
                                   for r in ROW_ORDER]
    checks: list[list[xlsx.Cell]] = [[(c.en if en else c.zh), c.detail, "OK" if c.ok else "✗"] for c in table.checks]
    title = f"{year}年收到和处理政府信息公开申请情况"
    data = xlsx.workbook(title, [[title], head, *body, [], *checks, [], *_remedy_sheet_rows(_remedies(rows, year), en)])
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename=information-requests-{year}.xlsx"})


def _remedy_sheet_rows(table: RemediesTable, en: bool) -> list[list[xlsx.Cell]]:
    """Section 四 in the export: one line per group (行政复议, the two kinds of 行政诉讼), its five figures, the checks."""
    title = "Reconsideration and litigation over disclosure" if en else "四、政府信息公开行政复议、行政诉讼情况"
    head: list[xlsx.Cell] = ["", *[remedies.COLUMN_LABELS[c][1 if en else 0] for c in remedies.COLUMNS]]
    body: list[list[xlsx.Cell]] = [[(g_en if en else g_zh), *[table.count(g, c) for c in remedies.COLUMNS]]
                                   for g, g_zh, g_en in remedies.GROUPS]
    checks: list[list[xlsx.Cell]] = [[(c.en if en else c.zh), c.detail, "OK" if c.ok else "✗"] for c in table.checks]
    return [[title], head, *body, [], *checks]


def report_link(year: int, row: str, column: str) -> str:
    return url_for("information_requests.report_cell", year=year, row=row, column=column, org=org_arg())


def _org_choices() -> list[tuple[str, str]]:
    with runtime().sessions() as session:
        return org_choices(session)


bp.add_app_template_global(report_link, "report_link")
