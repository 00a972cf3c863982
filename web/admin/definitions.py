"""The loaded procedure definitions: each procedure and version, the file it came from, the version new cases
start under, and how many of the organisation's cases run under each. Read-only: a definition changes by a
new file (a new version), checked by `lawflow definitions check`, never from a page."""

from __future__ import annotations

from pathlib import Path

from flask import render_template
from flask_login import current_user
from sqlalchemy import func, select

from web.admin.common import bp
from web.i18n import current_lang
from web.runtime import runtime
from workflow.models import Case


def _shown_path(path: str, base: Path) -> str:
    """The file relative to the definitions folder's parent (e.g. definitions/x.v1.yaml) when it lies there."""
    try:
        return str(Path(path).resolve().relative_to(base.resolve().parent))
    except ValueError:
        return path


@bp.get("/definitions")
def definitions() -> str:
    rt = runtime()
    lang = current_lang()
    with rt.sessions() as s:
        counts = {(p, v): n for p, v, n in s.execute(
            select(Case.procedure, Case.procedure_version, func.count())
            .where(Case.org_id == current_user.org_id).group_by(Case.procedure, Case.procedure_version))}
    latest = {p.id: p.version for p in rt.registry.latest()}
    rows = [{
        "procedure": p, "label": p.label.get(lang), "latest": latest[p.id] == p.version,
        "file": _shown_path(p.source_file, rt.definitions_dir) if p.source_file else "",
        "states": len(p.states), "steps": len(p.transitions) + 1, "deadlines": len(p.deadlines),
        "roles": [label.get(lang) for label in p.roles.values()], "cases": counts.get((p.id, p.version), 0),
    } for p in rt.registry.all()]
    return render_template("admin/definitions.html", rows=rows, folder=str(rt.definitions_dir))
