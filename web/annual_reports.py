"""The annual rule-of-law reports (法治政府建设年度报告, workflow/procedures/rule_of_law_report/).

* /annual-reports/           the organisation's reports: year, title, stage, the publication day
* /annual-reports/towns/?year=  the supervising level's page: per organisation it reads (its own and those below),
                             where the year's report stands (drafting, reviewed, signed with its 文号, reported on
                             a day, published by 1 April or late, withheld), linked to the report where it may read it
* /annual-reports/<case_id>/figures/<procedure>/<figure>  the records behind a figure as the report's sign-off fixed
                             them (签发时数据); before sign-off, the figures page's list of today's
* /annual-reports/<case_id>  one report as it will read: the addressees, the five parts with every cited figure
                             filled in from the records and linked to them (a hand-entered one marked, with who
                             entered it and why), the numbers typed into the text that no record supports, the
                             figures the drafter may cite, and the evidence for the shortcomings part (refusals by
                             rule, unit and month; periods that ran out and were escalated)

Open to the people the definition lets see its cases (web/case_access.py). The steps themselves (save the
draft, enter a figure, submit, sign off…) are taken on the case page, as every procedure's are.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from web.case_access import own_case, reader
from web.figures import Group, record_rows, stated_value
from web.i18n import current_lang
from web.present import fmt_date
from web.runtime import runtime
from workflow import accounts, org_tree
from workflow.definitions import Procedure
from workflow.models import Case
from workflow.procedures import guard_label
from workflow.procedures.rule_of_law_report import NAME
from workflow.procedures.rule_of_law_report.law import publication_last_day
from workflow.procedures.rule_of_law_report.report_view import fixed_figure, issued_report, view
from workflow.procedures.rule_of_law_report.towns import reports_of

bp = Blueprint("annual_reports", __name__)


def _procedure() -> Procedure:
    try:
        return runtime().registry.get(NAME)
    except KeyError:
        abort(404)


def _may_read() -> bool:
    return bool(current_user.is_authenticated and reader().sees(_procedure()))


def _oversees() -> bool:
    """Whether the signed-in person reads the reports of organisations below theirs (`visibility.supervision:`)."""
    return bool(current_user.is_authenticated and reader().below and reader().supervises(_procedure()))


@bp.app_context_processor
def navigation() -> dict[str, Any]:
    return {"may_read_annual_reports": _may_read, "may_oversee_annual_reports": _oversees}


@bp.get("/annual-reports/")
def index() -> str:
    if not _may_read():
        abort(403)
    lang = current_lang()
    with runtime().sessions() as session:
        cases = session.scalars(select(Case).where(Case.org_id == current_user.org_id, Case.procedure == NAME)
                                .order_by(Case.id.desc())).all()
        rows = []
        for c in cases:
            procedure = reader().procedure(c.procedure, c.procedure_version)
            year = int((c.data.get("report") or {}).get("year") or 0)
            state = procedure.states.get(c.state) if procedure else None
            rows.append({"case_id": c.id, "year": year, "title": c.title,
                         "state": state.label.get(lang) if state else c.state,
                         "publish_by": fmt_date(publication_last_day(year)) if year else ""})
    return render_template("annual_reports/index.html", rows=rows)


@bp.get("/annual-reports/<case_id>")
def show(case_id: str) -> str:
    lang = current_lang()
    with runtime().sessions() as session:
        case = own_case(session, case_id)
        if case.procedure != NAME:
            abort(404)
        settings = accounts.setting_values(session, case.org_id)  # the report's organisation's (a district reads a town's)
        report = view(session, runtime().registry, case, settings, lang)
        names = accounts.people_of(session, case.org_id)
    rules = []
    for r in report.refusals.by_rule:
        label = guard_label(r.code)
        rules.append({"code": r.code, "count": r.count, "article": label.article if label else r.article,
                      "text": (label.en if lang == "en" else label.zh) if label else (r.en if lang == "en" else r.zh)})
    labels = {pid: runtime().registry.get(pid).label.get(lang) for pid in report.figures}

    def records_url(pid: str, fid: str) -> str:
        """Where a figure's records are listed: as signed, once the report is issued; today's before."""
        if report.issued is not None:
            return url_for("annual_reports.fixed_records", case_id=case_id, procedure_id=pid, figure_id=fid)
        return url_for("figures.records", procedure_id=pid, figure_id=fid, year=report.year)

    return render_template("annual_reports/show.html", report=report, rules=rules, names=names,
                           procedure_labels=labels, lang=lang, fmt_date=fmt_date, records_url=records_url,
                           stated=stated_value)


@bp.get("/annual-reports/<case_id>/figures/<procedure_id>/<figure_id>")
def fixed_records(case_id: str, procedure_id: str, figure_id: str) -> str:
    """The records behind a figure as the report's sign-off fixed it (the cases that exist today, as the reader may
    see them)."""
    rt = runtime()
    with rt.sessions() as session:
        case = own_case(session, case_id)
        if case.procedure != NAME:
            abort(404)
        figure = fixed_figure(session, rt.registry, case_id, f"{procedure_id}.{figure_id}")
        issued, _kept = issued_report(session, case_id)
    if figure is None or issued is None:
        abort(404)
    rows, hidden = record_rows(figure)
    year = int((case.data.get("report") or {}).get("year") or 0)
    group = Group(procedure_id, rt.registry.get(procedure_id).label.get(current_lang()), [figure])
    return render_template("figures/records.html", group=group, figure=figure, rows=rows, hidden=hidden, year=year,
                           value=stated_value, lang=current_lang(), org=None,
                           fixed_by={"case_id": case_id, "number": issued.number})


@bp.get("/annual-reports/towns/")
def towns() -> str:
    """Where each organisation's report on the year stands, for the level that supervises them."""
    if not _oversees():
        abort(403)
    rt = runtime()
    lang = current_lang()
    this_year = rt.engine.today().year
    try:
        year = int(request.args.get("year") or this_year - 1)  # in spring, last year's reports are the ones due
    except ValueError:
        abort(400)
    if not 2000 <= year <= this_year:
        abort(400)
    shown = reader()
    procedure = _procedure()
    with rt.sessions() as session:
        orgs = shown.orgs()
        names = org_tree.names(session, orgs, lang)
        rows = []
        for r in reports_of(session, orgs, year):
            state = procedure.states.get(r.state) if r.state else None
            rows.append({
                "org": names.get(r.org_id, r.org_id), "own": r.org_id == current_user.org_id,
                "state": (state.label.get(lang) if state else r.state) if r.case_id else None,
                "case_id": r.case_id if r.case_id and shown.sees_in(procedure, r.org_id) else None,
                "number": r.number, "signed_on": fmt_date(r.signed_on) if r.signed_on else "",
                "reported_on": fmt_date(r.reported_on) if r.reported_on else "",
                "published_on": fmt_date(r.published_on) if r.published_on else "",
                "published_late": r.published_late, "withheld": r.withheld})
    return render_template("annual_reports/towns.html", rows=rows, year=year, publish_by=fmt_date(
        publication_last_day(year)), years=list(range(this_year, this_year - 6, -1)))
