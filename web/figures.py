"""The year's figures (统计数据): every figure the definitions declare (`figures:`, workflow/figure_specs.py), counted
from the organisation's cases, each linking to the records it counted.

* /figures/?year=                    every procedure's figures for the year (default: this year)
* /figures/<procedure>/<figure>?year= the records behind one figure: each case (and, for a list's entries, which
                                     entry), linked to its case page
* /figures/figures.xlsx?year=        the same figures as a workbook (workflow/xlsx.py)

Open to the organisation's staff; a supervisor chooses an organisation below theirs, or all of them added up
(`?org=all`, the district's roll-up). A figure is a count, not a case: everyone sees every value (the annual report
publishes them); the list behind a figure shows only the cases the reader may see (workflow/case_reading.py), and
says how many others it counted. This module names no procedure, figure, role or step.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user
from sqlalchemy import select

from web.case_access import chosen_org, org_choices, reader
from web.i18n import _, current_lang
from web.runtime import runtime
from workflow import xlsx
from workflow.definitions import Procedure
from workflow.figures import Figure, declared, figures_of
from workflow.models import Case
from workflow.need_to_know import ACCOUNT_ROLES

bp = Blueprint("figures", __name__)

def _staff() -> bool:
    """A person of the organisation who holds a role some definition names (not the system's own accounts)."""
    if not current_user.is_authenticated:
        return False
    roles = {r for p in runtime().registry.procedures.values() for r in p.roles} - ACCOUNT_ROLES
    return bool(set(current_user.roles) & roles)


@bp.app_context_processor
def navigation() -> dict[str, Any]:
    return {"may_read_figures": _staff}


def _year() -> int:
    raw = request.args.get("year", "")
    if not raw:
        return runtime().engine.today().year
    if not (raw.isdigit() and 2000 <= int(raw) <= 2100):
        abort(400)
    return int(raw)


ALL = "all"  # ?org=all: a supervisor's own organisation and every one below it, added up (the district's roll-up)


def _org_ids() -> list[str]:
    """The organisations whose cases the figures count: the one chosen (`?org=`, a supervisor's choice among the
    organisations below theirs, web/case_access.py), or all of them together (`?org=all`)."""
    if request.args.get("org") == ALL:
        if not reader().below:
            abort(400)
        return reader().orgs()
    return [chosen_org()]


def _org_param() -> str | None:
    """What the page's links carry to stay on the same organisation(s)."""
    wanted = request.args.get("org") or None
    return None if wanted == current_user.org_id else wanted


def _newest(pid: str) -> Procedure:
    return runtime().registry.get(pid)


def _value(figure: Figure) -> str:
    if figure.value is None:
        return "—"
    if figure.spec.ratio is not None:
        return f"{figure.value}%"
    if isinstance(figure.value, Decimal):
        return format(figure.value, ",f")
    return f"{figure.value:,}"


@dataclass(frozen=True)
class Group:
    procedure: str
    label: str
    figures: list[Figure]


def _groups(year: int) -> list[Group]:
    if not _staff():
        abort(403)
    lang = current_lang()
    with runtime().sessions() as session:
        computed = figures_of(session, declared(runtime().registry), _org_ids(), year)
    return [Group(pid, _newest(pid).label.get(lang), figs) for pid, figs in computed.items()]


@bp.get("/figures/")
def index() -> str:
    year = _year()
    this_year = runtime().engine.today().year
    groups = _groups(year)
    with runtime().sessions() as session:
        orgs = org_choices(session)  # a supervisor's organisations below (issue 14), and their sum
    if orgs:
        orgs.append((ALL, _("以上单位合计")))
    return render_template("figures/index.html", groups=groups, year=year, orgs=orgs, org=_org_param(),
                           years=list(range(this_year, this_year - 6, -1)), value=_value, lang=current_lang())


@bp.get("/figures/<procedure_id>/<figure_id>")
def records(procedure_id: str, figure_id: str) -> str:
    year = _year()
    group = next((g for g in _groups(year) if g.procedure == procedure_id), None)
    figure = next((f for f in group.figures if f.spec.id == figure_id), None) if group else None
    if group is None or figure is None:
        abort(404)
    rows, hidden = record_rows(figure)
    return render_template("figures/records.html", group=group, figure=figure, rows=rows, hidden=hidden, year=year,
                           value=_value, lang=current_lang(), org=_org_param(), fixed_by=None)


def record_rows(figure: Figure) -> tuple[list[dict[str, Any]], int]:
    """The records behind `figure` the reader may see (each case, and which entry), and how many others it counted.
    Also for a figure as an issued report fixed it (web/annual_reports.py)."""
    shown = reader()
    ids = sorted({r.case_id for r in figure.records})
    with runtime().sessions() as session:
        cases = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(ids)))} if ids else {}
    rows, hidden = [], 0
    for ref in figure.records:
        case = cases.get(ref.case_id)
        procedure = shown.procedure(case.procedure, case.procedure_version) if case else None
        if case is None or not shown.sees_case(case):
            hidden += 1
            continue
        state = procedure.states.get(case.state) if procedure else None
        rows.append({"case_id": case.id, "item": None if ref.item is None else ref.item + 1,
                     "title": shown.title(procedure, case.title),
                     "state": state.label.get(current_lang()) if state else case.state})
    return rows, hidden


def stated_value(figure: Figure) -> str:
    """A figure's value as the figures pages state it (43, 10,320, 97.5%)."""
    return _value(figure)


@bp.get("/figures/figures.xlsx")
def export() -> Response:
    year = _year()
    lang = current_lang()
    title = _("统计数据") + f"（{year}）"
    head = [_("程序"), _("统计项"), _("数值"), _("单位"), _("记录数"), _("说明")]
    body: list[list[xlsx.Cell]] = []
    for g in _groups(year):
        for f in g.figures:
            value: xlsx.Cell = "" if f.value is None else (
                int(f.value) if isinstance(f.value, int) else str(f.value))
            body.append([g.label, f.spec.label.zh if lang == "zh" else f.spec.label.en, value,
                         "%" if f.spec.ratio else (f.spec.unit.zh if f.spec.unit and lang == "zh"
                                                   else f.spec.unit.en if f.spec.unit else ""),
                         len(f.records), f.spec.note])
    data = xlsx.workbook(title, [[title], head, *body])
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename=figures-{year}.xlsx"})
