"""下级单位概况 (/district/): the supervising level's overview of the organisations below it (issue 14) — per
organisation its open cases by procedure, overdue time limits, refusals this month and the last audit checkpoint,
each linked to the filtered list behind it.

An adapter over workflow/org_overview.py. The page opens to whoever supervises some procedure: a role the loaded
definitions list in `visibility.supervision:` (workflow/case_reading.py Reader.supervising); web/ names no role.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, url_for
from flask_login import current_user

from web.case_access import org_arg, reader
from web.i18n import current_lang
from web.present import fmt_date
from web.runtime import runtime
from workflow.org_overview import figures
from workflow.org_tree import KINDS

bp = Blueprint("district", __name__, url_prefix="/district")


def may_oversee() -> bool:
    """Whether the signed-in person supervises organisations below theirs (the navigation's link)."""
    return bool(current_user.is_authenticated and reader().supervising and reader().below)


@bp.app_context_processor
def district_navigation() -> dict[str, Any]:
    return {"may_oversee": may_oversee}


bp.add_app_template_global(org_arg, "org_arg")  # the register pages' links keep a supervisor's organisation


@bp.get("/")
def index() -> str:
    if not reader().supervising:
        abort(403)
    rt = runtime()
    lang = current_lang()
    today = rt.engine.today()
    shown = reader()
    with rt.sessions() as s:
        rows = figures(s, shown, today)
    labels = {p.id: p.label.get(lang) for p in rt.registry.latest()}
    month = today.replace(day=1).isoformat()
    orgs = []
    for r in rows:
        kind = KINDS.get(r.kind)
        orgs.append({
            "id": r.org_id, "name": r.name_en if lang == "en" else r.name_zh,
            "kind": (kind.en if lang == "en" else kind.zh) if kind else r.kind,
            "open": [{"label": labels.get(pid, pid), "count": n,
                      "url": url_for("cases.index", org=r.org_id, procedure=pid)}
                     for pid, n in sorted(r.open_by_procedure.items())],
            "open_total": sum(r.open_by_procedure.values()),
            "cases_url": url_for("cases.index", org=r.org_id),
            "overdue": r.overdue, "overdue_url": url_for("cases.index", org=r.org_id, deadline="overdue"),
            "refused": r.refused, "refused_url": url_for("audit.events", kind="refused", **{"from": month}),
            "checkpoint": r.checkpoint, "unanchored": r.unanchored,
        })
    return render_template("district/index.html", orgs=orgs, month=fmt_date(today.replace(day=1)),
                           today=fmt_date(today))
