"""The holiday calendar: which years the working-day calendar covers (shipped 2004–2026, and the years an
administrator added), adding a year from the State Council notice, and the organisation's running deadlines
that were computed as provisional because a year had no data.

A year is added without YAML: the administrator pastes the notice's text or types a table of dates
(workflow/calendar_notice.py reads either), checks the dates shown, and saves them as shown; the stored form is
the one `lawflow calendar add-year` reads (workflow/calendar.read_year_notice checks it again).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from web.admin.common import bp, clock, errors_of, form_text
from web.forms import widgets
from web.i18n import N_, _, current_lang
from web.present import fmt_date, fmt_datetime, person
from web.runtime import runtime
from workflow import administration
from workflow import calendar_notice as notice
from workflow.accounts import people_of
from workflow.administration import AdminError
from workflow.calendar import default_calendar
from workflow.definitions import Label
from workflow.models import Case, CaseDeadline, HolidayYear
from workflow.payloads import FieldSpec

PROVISIONAL_SHOWN = 100
TEXT_MAX = 50_000


def _fields(year: int) -> tuple[FieldSpec, ...]:
    return (
        FieldSpec("year", "integer", Label("年度", "Year"), required=True, minimum=1949, maximum=2200),
        FieldSpec("source", "string", Label("依据来源（通知名称及文号）", "Source (the notice and its number)"),
                  required=True, max_length=300,
                  help=_("例如：国务院办公厅关于{year}年部分节假日安排的通知（国办发明电〔{year_before}〕×号）",
                         year=year, year_before=year - 1)),
        FieldSpec("notice_text", "text", Label("通知全文（粘贴）", "The notice's text (pasted)"), max_length=TEXT_MAX,
                  help=_("粘贴通知中“一、元旦：……”起的各条，系统识别放假和调休上班日期，确认后保存。")),
        FieldSpec("days_off", "text", Label("或逐行填写放假日期", "Or the days off, a line each"), max_length=TEXT_MAX,
                  help=_("每行一个日期或日期范围及节日名称，如：2027年2月5日至2027年2月11日 春节")),
        FieldSpec("workdays", "text", Label("调休上班日期", "Make-up working days"), max_length=TEXT_MAX,
                  help=_("每行一个日期及所属节日，如：2027年2月14日 春节；没有则不填")),
    )


FIELDS = ("year", "source", "notice_text", "days_off", "workdays")


@bp.route("/calendar", methods=["GET", "POST"])
def calendar() -> str | Response | tuple[str, int]:
    """Add a year: the notice pasted or a table of dates is read and shown (preview), then saved as shown."""
    rt = runtime()
    if request.method == "GET":
        return _page({}, {})
    values = {name: form_text(request.form, name) for name in FIELDS}
    confirmed = request.form.get("confirmed", "")
    if request.form.get("action") == "edit":  # back from the preview to the form, as typed
        return _page(values, {})
    if request.form.get("action") != "save" or not confirmed:
        return _preview(values)
    try:
        data = administration.add_holiday_year(rt.sessions, actor=current_user.username, year=values["year"],
                                               notice=confirmed[:TEXT_MAX], source=values["source"], now=clock(),
                                               origin=_("网页表单"))
    except AdminError as exc:
        return _page(values, errors_of(exc)), 422
    rt.engine.reload_calendar()  # this process at once; other workers on their next start (see report)
    flash(_("已添加{year}年节假日安排：{n}个假日、{m}个调休上班日。", year=data.year, n=len(data.holidays),
            m=len(data.workdays)), "success")
    return redirect(url_for("admin.calendar"))


def _preview(values: dict[str, str]) -> str | tuple[str, int]:
    """The dates read from the notice or the table, for the administrator to confirm (nothing saved yet)."""
    errors: dict[str, list[str]] = {}
    year = int(values["year"]) if values["year"].isdigit() and 1949 <= int(values["year"]) <= 2200 else None
    if year is None:
        errors["year"] = [_("请填写1949至2200之间的年度。")]
    if not values["source"]:
        errors["source"] = [_("请填写依据来源（通知名称及文号）。")]
    if not (values["notice_text"] or values["days_off"]):
        errors["notice_text"] = [_("请粘贴通知全文，或逐行填写放假日期。")]
    if errors or year is None:
        return _page(values, errors), 422
    reading = (notice.from_notice(year, values["notice_text"]) if values["notice_text"]
               else notice.from_table(year, values["days_off"], values["workdays"]))
    mapping = reading.mapping()
    shown = {kind: [{"date": fmt_date(item["date"]), "weekday": _(WEEKDAYS[date.fromisoformat(item["date"]).weekday()]),
                     "name": item["name"]} for item in mapping[kind]] for kind in ("holidays", "workdays")}
    status = 422 if reading.problems or not mapping["holidays"] else 200
    return render_template("admin/calendar_confirm.html", values=values, year=year, shown=shown,
                           problems=reading.problems, confirmed=json.dumps(mapping, ensure_ascii=False)), status


WEEKDAYS = (N_("周一"), N_("周二"), N_("周三"), N_("周四"), N_("周五"), N_("周六"), N_("周日"))


def _page(values: dict[str, str], errors: dict[str, list[str]]) -> str:
    rt = runtime()
    shipped = sorted(default_calendar().years)
    calendar = rt.engine.calendar
    with rt.sessions() as s:
        added = s.scalars(select(HolidayYear).order_by(HolidayYear.year)).all()
        names = people_of(s, current_user.org_id)
        rows = s.execute(select(CaseDeadline, Case.procedure, Case.procedure_version)
                         .join(Case, Case.id == CaseDeadline.case_id)
                         .where(Case.org_id == current_user.org_id, CaseDeadline.provisional.is_(True))
                         .order_by(CaseDeadline.due).limit(PROVISIONAL_SHOWN)).all()
    lang = current_lang()
    provisional: list[dict[str, Any]] = []
    for deadline, procedure_id, version in rows:
        try:
            spec = rt.registry.get(procedure_id, version).deadlines.get(deadline.name)
        except KeyError:
            spec = None
        missing = [y for y in range(deadline.started_on.year, deadline.due.year + 1) if not calendar.covers(y)]
        provisional.append({"case": deadline.case_id, "label": spec.label.get(lang) if spec else deadline.name,
                            "due": fmt_date(deadline.due), "missing": missing})
    next_year = max([*shipped, *(a.year for a in added)]) + 1 if shipped or added else 2027
    values = {"year": str(next_year), **{k: v for k, v in values.items() if v}}
    return render_template(
        "admin/calendar.html", shipped=(shipped[0], shipped[-1]) if shipped else None,
        added=[{"year": a.year, "source": a.source, "by": person(names, a.added_by), "at": fmt_datetime(a.added_at),
                "holidays": len(a.data.get("holidays", [])), "workdays": len(a.data.get("workdays", []))}
               for a in added],
        loaded=sorted(y for y in calendar.years if y not in shipped),
        provisional=provisional, limit=PROVISIONAL_SHOWN,
        widgets=widgets("year", _fields(next_year), values, errors), general=errors.get("", []))
