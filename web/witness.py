"""The district's page of its towns' witnessed checkpoints (workflow/audit/cosigning.py, docs/witnessing.md).

  /witness/   per town: the last checkpoint the district co-signed (size, root, signed, received, transport),
              the days since, and every inconsistency found, in red, with its text

Who: the district's administrators and the roles of the audit pages (its auditors and its supervisor, issue 14).
Which towns: every organisation below the user's (workflow/org_tree.py).

The town's own verification page shows the last checkpoint its district co-signed (`last_cosigned_checkpoint`,
read from the witness folder, workflow/audit/witness_bundle.py).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_login import current_user

from web.access import require_roles
from web.present import fmt_datetime, fmt_stamp
from web.runtime import runtime
from workflow import org_tree
from workflow.administration import ADMIN_ROLE
from workflow.audit import cosigning, witness_bundle
from workflow.clock import local_date

bp = Blueprint("witness", __name__, url_prefix="/witness")
AUDIT = "audit"  # the page whose roles the definitions name (workflow/pages.py): the audit pages'


@bp.get("/")
@require_roles(ADMIN_ROLE, page=AUDIT)
def index() -> str:
    rt = runtime()
    today = local_date(rt.clock.now())
    with rt.sessions() as session:
        towns = org_tree.descendants(session, current_user.org_id)
        rows = []
        for town in cosigning.overview(session, towns):
            last = town.last
            rows.append({
                "org_id": town.org_id, "name": town.name_zh, "keys": town.keys,
                "tree_size": last.tree_size if last else None, "root": last.root if last else "",
                "issued_at": fmt_stamp(last.issued_at) if last else "",
                "received_at": fmt_datetime(last.received_at) if last else "",
                "transport": last.transport if last else "",
                "days": (today - local_date(last.received_at)).days if last else None,
                "findings": [{"when": fmt_datetime(f.received_at), "text": f.zh, "text_en": f.en, "kind": f.kind}
                             for f in town.findings],
            })
    return render_template("witness/index.html", rows=rows)


@bp.app_template_global()
def last_cosigned_checkpoint() -> dict[str, Any] | None:
    """The last checkpoint of this instance co-signed by its district, for the verification page."""
    try:
        last = witness_bundle.last_cosigned(runtime().witness_path)
    except witness_bundle.SendError:  # unreadable: the verification page says there is none
        return None
    if last is None:
        return None
    cos = last.get("cosignature", {})
    return {"tree_size": last.get("tree_size"), "root": last.get("root", ""), "witness": cos.get("witness", ""),
            "cosigned_at": fmt_stamp(str(cos.get("cosigned_at", "")))}
