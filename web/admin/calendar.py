"""The holiday calendar: which years the working-day calendar covers (shipped 2004–2026, and the years an
administrator added), adding a year from the State Council notice, and the organisation's running deadlines
that were computed as provisional because a year had no data.

A year is typed in the format `lawflow calendar add-year` reads from its file (YAML or JSON: holidays and
workdays); workflow/calendar.read_year_notice checks it and names the line and the field of each problem.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from web.admin.common import bp, clock, errors_of, form_text
from web.forms import widgets
from web.i18n import _, current_lang
from web.present import fmt_date, fmt_datetime, person
from web.runtime import runtime
from workflow import administration
from workflow.accounts import people_of
from workflow.administration import AdminError
from workflow.calendar import default_calendar
from workflow.definitions import Label
from workflow.models import Case, CaseDeadline, HolidayYear
from workflow.payloads import FieldSpec

EXAMPLE = """holidays:
  - {date: 2027-01-01, name: 元旦}
  - {date: 2027-02-06, name: 春节}
workdays:
  - {date: 2027-02-14, name: 春节}
"""
PROVISIONAL_SHOWN = 100


def _fields(year: int) -> tuple[FieldSpec, ...]:
    return (
        FieldSpec("year", "integer", Label("年度", "Year"), required=True, minimum=1949, maximum=2200),
        FieldSpec("source", "string", Label("依据来源（通知名称及文号）", "Source (the notice and its number)"),
                  required=True, max_length=300,
                  help=_("例如：国务院办公厅关于{year}年部分节假日安排的通知（国办发明电〔{year_before}〕×号）",
                         year=year, year_before=year - 1)),
        FieldSpec("notice", "text", Label("节假日安排（YAML）", "Holidays and make-up working days (YAML)"),
                  required=True, max_length=50_000,
                  help=_("holidays 列出放假的每一天（含调休形成的周末假日），workdays 列出调休上班的周六、周日（没有则写 workdays: []）；格式与 lawflow calendar add-year 读取的文件相同。")),
    )


@bp.route("/calendar", methods=["GET", "POST"])
def calendar() -> str | Response | tuple[str, int]:
    rt = runtime()
    if request.method == "GET":
        return _page({"notice": ""}, {})
    values = {name: form_text(request.form, name) for name in ("year", "source", "notice")}
    try:
        data = administration.add_holiday_year(rt.sessions, actor=current_user.username, year=values["year"],
                                               notice=values["notice"], source=values["source"], now=clock(),
                                               origin=_("网页表单"))
    except AdminError as exc:
        return _page(values, errors_of(exc)), 422
    rt.engine.reload_calendar()  # this process at once; other workers on their next start (see report)
    flash(_("已添加{year}年节假日安排：{n}个假日、{m}个调休上班日。", year=data.year, n=len(data.holidays),
            m=len(data.workdays)), "success")
    return redirect(url_for("admin.calendar"))


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
    values = {"year": str(next_year), **{k: v for k, v in values.items() if v or k == "notice"}}
    return render_template(
        "admin/calendar.html", shipped=(shipped[0], shipped[-1]) if shipped else None,
        added=[{"year": a.year, "source": a.source, "by": person(names, a.added_by), "at": fmt_datetime(a.added_at),
                "holidays": len(a.data.get("holidays", [])), "workdays": len(a.data.get("workdays", []))}
               for a in added],
        loaded=sorted(y for y in calendar.years if y not in shipped),
        provisional=provisional, limit=PROVISIONAL_SHOWN, example=EXAMPLE,
        widgets=widgets("year", _fields(next_year), values, errors), general=errors.get("", []))
