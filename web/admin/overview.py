"""The administration overview: what is set up, and the organisation's latest administrative changes."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user
from sqlalchemy import func, select

from web.admin.common import bp, people
from web.present import event_view
from web.runtime import runtime
from workflow.models import ApiToken, AuditEvent, HolidayYear, OrgSetting, User, admin_journal_id
from workflow.settings import BY_KEY

RECENT = 20


@bp.get("/")
def index() -> str:
    rt = runtime()
    org = current_user.org_id
    journal = admin_journal_id(org)
    with rt.sessions() as s:
        active = s.scalar(select(func.count()).select_from(User).where(User.org_id == org, User.active)) or 0
        inactive = s.scalar(select(func.count()).select_from(User).where(User.org_id == org, ~User.active)) or 0
        keys = set(s.scalars(select(OrgSetting.key).where(OrgSetting.org_id == org)))
        added = list(s.scalars(select(HolidayYear.year).order_by(HolidayYear.year)))
        tokens = s.scalar(select(func.count()).select_from(ApiToken).join(User, User.id == ApiToken.user_id)
                          .where(User.org_id == org, ApiToken.revoked_at.is_(None))) or 0
        recent = s.scalars(select(AuditEvent).where(AuditEvent.case_id == journal)
                           .order_by(AuditEvent.seq.desc()).limit(RECENT)).all()
        names = people(s)
        events = [event_view(e, rt.registry, names) for e in recent]
    covered = sorted(rt.engine.calendar.years)
    return render_template(
        "admin/index.html", active=active, inactive=inactive, settings_set=len(keys & set(BY_KEY)),
        settings_total=len(BY_KEY), last_year=covered[-1] if covered else None, added=added, tokens=tokens,
        procedures=len(rt.registry.all()), events=events, journal=journal, recent=RECENT)
