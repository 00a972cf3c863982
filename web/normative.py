"""The register of normative documents (行政规范性文件, legal-facts-2 §1.11): one public page, one page for staff.

* /public/normative-documents (no login, web/auth.py PUBLIC_ENDPOINTS): the organisation's published documents
  with register number, publication and effective dates, validity and status — those in force first — and the
  lists of each published clean-up (《继续有效的行政规范性文件目录》《已失效的行政规范性文件目录》).
* /normative-documents/ (the people holding a role of the procedure): every registered document, published or
  not, with its filing, and each published clean-up with the documents whose repeal is still to be carried out,
  linked to their case pages: the repeal is the document's own step there (its guard reads the published
  result again), so nothing here changes a case.

Everything shown is read from the records by workflow/procedures/normative_document/register.py; this module
names no role or step of the procedure (the roles come from its definition, the step from cleanup.py).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template
from flask_login import current_user

from web.case_access import chosen_org, org_choices
from web.i18n import current_lang
from web.portal import organisation
from web.present import fmt_date
from web.runtime import runtime
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
