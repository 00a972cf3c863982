"""The site's own name in its header: the organisation's (泉州市泉港区后龙镇人民政府 · 法治政府建设工作平台).

The banner that next year's holiday notice is still missing (calendar_banner) is shown on every staff page.

Staff see their own organisation's name; a visitor of the public portal the organisation whose pages they read
(`?org=`, or the only one of the instance). Read once a request (one primary-key lookup, or one small query).
"""

from __future__ import annotations

import re
from typing import Any

from flask import g, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import InterfaceError, OperationalError

from web.i18n import N_, _, current_lang
from web.runtime import runtime
from workflow.models import Organization

PLATFORM = N_("法治政府建设工作平台")
ORG_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def organisation() -> Organization | None:
    """The organisation this request's pages belong to (None: several, and none chosen, or the database does not
    answer: the outage page itself is being rendered, web/ops.py, and must not fail on its header)."""
    if "site_org" not in g:
        try:
            g.site_org = _look_up()
        except (OperationalError, InterfaceError):
            g.site_org = None
    found: Organization | None = g.site_org
    return found


def _look_up() -> Organization | None:
    with runtime().sessions() as session:
        org: Organization | None
        if current_user.is_authenticated:
            org = session.get(Organization, current_user.org_id)
        elif ORG_ID.fullmatch(request.args.get("org") or ""):  # not a NUL or an escape a 400 page was made for
            org = session.get(Organization, request.args["org"])
        else:
            orgs = session.scalars(select(Organization).order_by(Organization.id).limit(2)).all()
            org = orgs[0] if len(orgs) == 1 else None
        if org is not None:
            session.expunge(org)
        return org


def site_name() -> dict[str, Any]:
    org = organisation()
    name = (org.name_en if current_lang() == "en" else org.name_zh) if org else ""
    return {"site_org": name, "site_platform": _(PLATFORM)}


def calendar_banner() -> dict[str, Any]:
    """From 1 December, while next year's State Council holiday notice is not entered (nor this year's), every
    staff page says so: deadlines reaching that year are provisional (推算) until it is."""
    if not current_user.is_authenticated:
        return {"calendar_missing": None}
    engine = runtime().engine
    today = engine.today()
    try:
        missing = [y for y in (today.year, today.year + 1) if not engine.calendar.covers(y)
                   and (y == today.year or today.month == 12)]
    except (OperationalError, InterfaceError):  # the outage page (web/ops.py): say nothing rather than fail
        return {"calendar_missing": None}
    return {"calendar_missing": missing[0] if missing else None}
