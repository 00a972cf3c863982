"""The register of contracts under legality review (合同台账, workflow/procedures/contract_review/register.py).

* /contracts/            the organisation's contracts: unit, counterparty, amount, major or not, the review's
                         outcome, stage, submitted, signed and filed days; ?state= and ?year= (of submission)
                         narrow it; each contract links to its case page, where its steps are taken.
* /contracts/register.xlsx  the same rows as a workbook (workflow/xlsx.py), with the same filters.

Open to the people holding a role of the procedure's definition (who works on contracts); this module names no
role or step of the procedure, and nothing here changes a case.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user

from web.case_access import chosen_org, org_choices, reader
from web.i18n import _, current_lang
from web.present import fmt_date
from web.runtime import runtime
from workflow import xlsx
from workflow.accounts import SYSTEM_ROLE
from workflow.definitions import Procedure
from workflow.procedures.contract_review import register
from workflow.wording import amount

bp = Blueprint("contracts", __name__)


def _procedure() -> Procedure:
    try:
        return runtime().registry.get(register.PROCEDURE)
    except KeyError:
        abort(404)


def _staff_roles() -> frozenset[str]:
    """The roles of the procedure's definition but the system's: who works on contracts."""
    return frozenset(_procedure().roles) - {SYSTEM_ROLE}


@bp.app_context_processor
def navigation() -> dict[str, Any]:
    def may_read_contract_register() -> bool:
        return bool(current_user.is_authenticated and current_user.has_any_role(*_staff_roles()))

    return {"may_read_contract_register": may_read_contract_register}


def _filters() -> tuple[str | None, int | None]:
    """?state= (a stage of the procedure) and ?year= (of submission); anything else is a 400."""
    state, year = request.args.get("state", ""), request.args.get("year", "")
    if state and state not in _procedure().states:
        abort(400)
    if year and not (year.isdigit() and 2000 <= int(year) <= 2100):
        abort(400)
    return state or None, int(year) if year else None


def _rows(state: str | None, year: int | None) -> list[register.ContractRow]:
    """The register's rows, with the title and counterparty as the reader's roles may see them (the definition's
    `visibility:`: the auditors check the reviews, not whom the town contracts with)."""
    if not current_user.has_any_role(*_staff_roles()):
        abort(403)
    with runtime().sessions() as session:
        rows = register.contracts(session, chosen_org(), state=state, year=year)
    shown, procedure = reader(), _procedure()
    if not shown.sees(procedure):
        abort(403)  # a role of the definition that its `visibility:` does not let see its cases
    key = procedure.create.record.key if procedure.create.record else ""
    return [replace(r, title=shown.title(procedure, r.title),
                    counterparty=shown.field(procedure, key, "counterparty", r.counterparty,
                                             {"counterparty_type": r.counterparty_type})) for r in rows]


def _labels() -> dict[str, dict[str, str]]:
    procedure, lang = _procedure(), current_lang()
    return {
        "states": {name: s.label.get(lang) for name, s in procedure.states.items()},
        "kinds": {v: label.get(lang) for v, label in register.kind_labels(procedure).items()},
        "outcomes": {v: label.get(lang) for v, label in register.outcome_labels(procedure).items()},
    }


@bp.get("/contracts/")
def index() -> str:
    state, year = _filters()
    rows = _rows(state, year)
    with runtime().sessions() as session:  # the years to choose from: those with a contract, and this one
        years = sorted({r.year for r in register.contracts(session, chosen_org()) if r.year}
                       | {runtime().engine.today().year}, reverse=True)
        orgs = org_choices(session)  # a supervisor's organisations below (issue 14)
    return render_template("contracts/register.html", rows=rows, state=state or "", year=year, years=years,
                           labels=_labels(), fmt_date=fmt_date, amount=amount, orgs=orgs)


def _cell_amount(value: str) -> xlsx.Cell:
    """Whole yuan as a number the sheet can add up; an amount with fen as its text."""
    try:
        number = Decimal(value)
    except InvalidOperation:
        return value
    return int(number) if number == number.to_integral_value() else str(number.quantize(Decimal("0.01")))


@bp.get("/contracts/register.xlsx")
def export() -> Response:
    state, year = _filters()
    rows, labels = _rows(state, year), _labels()
    title = _("合同合法性审查台账") + (f"（{year}）" if year else "")
    head = [_("编号"), _("合同名称"), _("承办单位"), _("合同相对方"), _("合同金额（元）"), _("合同类别"), _("重大合同"),
            _("行政协议"), _("审查结论"), _("当前阶段"), _("送审日期"), _("签订日期"), _("备案日期")]
    yes = _("是")
    body: list[list[xlsx.Cell]] = [
        [r.case_id, r.title, r.contracting_unit, r.counterparty, _cell_amount(r.amount),
         labels["kinds"].get(r.kind, r.kind), yes if r.major else "", yes if r.administrative_agreement else "",
         labels["outcomes"].get(r.outcome, r.outcome), labels["states"].get(r.state, r.state),
         r.submitted_on, r.signed_on, r.filed_on] for r in rows]
    data = xlsx.workbook(title, [[title], head, *body])
    name = f"contracts-{year}.xlsx" if year else "contracts.xlsx"
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename={name}"})
