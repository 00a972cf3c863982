"""The public portal: the organisation's enforcement register (行政执法公示), readable without logging in.

Read-only by construction: GET only, no form, no session data; workflow/publicity.py builds what is shown.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from sqlalchemy import select

from web.runtime import runtime
from workflow.clock import local_date
from workflow.models import Organization
from workflow.publicity import build_register

bp = Blueprint("portal", __name__, url_prefix="/public")


@bp.get("/register")
def register() -> str:
    rt = runtime()
    with rt.sessions() as session:
        org_id = request.args.get("org")
        if not org_id:
            orgs = session.scalars(select(Organization.id).order_by(Organization.id)).all()
            if not orgs:
                abort(404)
            if len(orgs) > 1:  # several organisations on one instance: each publishes its own register
                return render_template("portal/choose.html", orgs=session.scalars(
                    select(Organization).order_by(Organization.id)).all())
            org_id = orgs[0]
        reg = build_register(session, rt.registry, org_id, local_date(rt.clock.now()))
    if reg is None:
        abort(404)
    return render_template("portal/register.html", reg=reg)
