"""The register of normative documents (行政规范性文件, legal-facts-2 §1.11): one public page, one page for staff.

* /public/normative-documents (no login, web/auth.py PUBLIC_ENDPOINTS): the organisation's published documents
  with register number, publication and effective dates, validity and status — those in force first — and the
  lists of each published clean-up (《继续有效的行政规范性文件目录》《已失效的行政规范性文件目录》).
* /normative-documents/ (the people holding a role of the procedure): every registered document, published or
  not, with its filing, and each published clean-up with the documents whose repeal is still to be carried out,
  linked to their case pages: the repeal is the document's own step there (its guard reads the published
  result again), so nothing here changes a case. /normative-documents/register.xlsx: the same register as a
  workbook (导出Excel).

Everything shown is read from the records by workflow/procedures/normative_document/register.py; this module
names no role or step of the procedure (the roles come from its definition, the step from cleanup.py).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, render_template
from flask_login import current_user

from web.case_access import chosen_org, org_choices
from web.i18n import _, current_lang
from web.portal import organisation
from web.present import fmt_date
from web.runtime import runtime
from workflow import org_tree, xlsx
from workflow.procedures.normative_document import cleanup, register

bp = Blueprint("normative", __name__)


def _procedure() -> Any:
    try:
        return runtime().registry.get(register.DOCUMENT)
    except KeyError:
        abort(404)


def _state_labels() -> dict[str, str]:
    lang = current_lang()
    return {name: state.label.get(lang) for name, state in _procedure().states.items()}


def _outcome_labels() -> dict[str, str]:
    lang = current_lang()
    return {value: label.get(lang) for value, label in register.outcome_labels(runtime().registry).items()}


def _staff_roles() -> frozenset[str]:
    """The roles of the procedure's definition but the system's: who works on these documents."""
    return frozenset(_procedure().roles) - {cleanup.SYSTEM_ROLE}


@bp.app_context_processor
def navigation() -> dict[str, Any]:
    def may_read_register() -> bool:
        return bool(current_user.is_authenticated and current_user.has_any_role(*_staff_roles()))

    return {"may_read_normative_register": may_read_register}


@bp.get("/public/normative-documents")
def public_register() -> str:
    rt = runtime()
    with rt.sessions() as session:
        org = organisation(session, "normative.public_register")
        if isinstance(org, str):
            return org
        entries = register.documents(session, org.id, published_only=True)
        cleanups = register.published_cleanups(session, org.id)
        name = org.name_zh if current_lang() == "zh" or not org.name_en else org.name_en
    in_force = [e for e in entries if e.in_force]
    return render_template("normative/public.html", org=org, org_name=name, in_force=in_force,
                           others=[e for e in entries if not e.in_force], cleanups=cleanups,
                           states=_state_labels(), outcomes=_outcome_labels(), fmt_date=fmt_date)


@bp.get("/normative-documents/")
def staff_register() -> str:
    if not current_user.has_any_role(*_staff_roles()):
        abort(403)
    rt = runtime()
    with rt.sessions() as session:
        org_id = chosen_org()  # a supervisor's: one of the organisations below (issue 14)
        entries = register.documents(session, org_id)
        cleanups = [(c, cleanup.pending_repeals(session, c.case_id)) for c in register.published_cleanups(session, org_id)]
        orgs = org_choices(session)
    return render_template("normative/staff.html", entries=entries, cleanups=cleanups, states=_state_labels(), orgs=orgs,
                           outcomes=_outcome_labels(), fmt_date=fmt_date,
                           repeal_step=cleanup.repeal_label(_procedure(), current_lang()))


@bp.get("/normative-documents/register.xlsx")
def staff_register_xlsx() -> Response:
    """The register as a workbook: every registered document with its number, dates, status and filing."""
    if not current_user.has_any_role(*_staff_roles()):
        abort(403)
    rt = runtime()
    lang = current_lang()
    states = _state_labels()
    with rt.sessions() as session:
        org_id = chosen_org()
        entries = register.documents(session, org_id)
        org_name = org_tree.names(session, [org_id], lang).get(org_id, org_id)
    title = _("规范性文件登记簿") + f"（{org_name}）"
    head = [_("登记编号"), _("文件名称"), _("发布日期"), _("施行日期"), _("有效期至"), _("状态"), _("备案"), _("编号")]
    body: list[list[xlsx.Cell]] = [[
        e.register_no, e.title, fmt_date(e.published_on) if e.published_on else _("未发布"), fmt_date(e.effective_on),
        fmt_date(e.valid_until), states.get(e.state, e.state) + (f"（{fmt_date(e.ended_on)}）" if e.ended_on else ""),
        _("已备案") if e.filed else _("未备案"), e.case_id] for e in entries]
    data = xlsx.workbook(_("规范性文件登记簿"), [[title], head, *body])
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="normative-documents-{org_id}.xlsx"'})
