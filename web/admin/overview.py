"""The administration overview: what is set up, and the organisation's latest administrative changes."""

from __future__ import annotations

from typing import Any

from flask import render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select

from web.admin.common import bp
from web.i18n import _, current_lang
from web.present import event_view, fmt_datetime
from web.runtime import runtime
from workflow import org_tree
from workflow.accounts import people_of, portal_username, system_username
from workflow.models import (
    ApiToken,
    AuditEvent,
    HolidayYear,
    Organization,
    OrgSetting,
    User,
    admin_journal_id,
)
from workflow.runtime import Runtime
from workflow.settings import BY_KEY
from workflow.timers import mail, messages
from workflow.timers.worker import status as timer_status

RECENT = 20


def _field_labels() -> dict[str, str]:
    """Labels of the fields administration events record (workflow/administration.py)."""
    return {"username": _("账号"), "display_name": _("姓名"), "unit": _("单位"), "roles": _("角色"),
            "old": _("原值"), "new": _("新值"), "key": _("设置项"), "year": _("年度"), "source": _("依据来源"),
            "notice": _("节假日安排"), "token_id": _("令牌编号"), "name": _("名称"), "kind": _("证件类别"),
            "number": _("证件编号"), "field": _("执法领域"), "issuer": _("发证机关"), "issued_on": _("发证日期"),
            "valid_until": _("有效期至")}


@bp.get("/")
def index() -> str:
    rt = runtime()
    org = current_user.org_id
    journal = admin_journal_id(org)
    with rt.sessions() as s:
        people_here = (User.org_id == org, User.username != portal_username(org),  # the portal is no person,
                       User.username != system_username(org))  # nor is the timer worker's account
        active = s.scalar(select(func.count()).select_from(User).where(*people_here, User.active)) or 0
        inactive = s.scalar(select(func.count()).select_from(User).where(*people_here, ~User.active)) or 0
        keys = set(s.scalars(select(OrgSetting.key).where(OrgSetting.org_id == org)))
        added = list(s.scalars(select(HolidayYear.year).order_by(HolidayYear.year)))
        tokens = s.scalar(select(func.count()).select_from(ApiToken).join(User, User.id == ApiToken.user_id)
                          .where(User.org_id == org, ApiToken.revoked_at.is_(None))) or 0
        recent = s.scalars(select(AuditEvent).where(AuditEvent.case_id == journal)
                           .order_by(AuditEvent.seq.desc()).limit(RECENT)).all()
        names = people_of(s, current_user.org_id)
        events = [event_view(e, rt.registry, names) for e in recent]
        tree = _tree(s, org)
    labels = _field_labels()
    for view in events:
        for entry in view.payload:
            entry.label = labels.get(entry.label, entry.label)
    covered = sorted(rt.engine.calendar.years)
    return render_template(
        "admin/index.html", active=active, inactive=inactive, settings_set=len(keys & set(BY_KEY)),
        settings_total=len(BY_KEY), last_year=covered[-1] if covered else None, added=added, tokens=tokens,
        procedures=len(rt.registry.all()), events=events, journal=journal, recent=RECENT,
        timers=_timers(rt), tree=tree)


def _tree(session: Any, org_id: str) -> dict[str, Any]:
    """The organisation's place in the tree (workflow/org_tree.py): its kind, its parent, the organisations below."""
    lang = current_lang()
    org = session.get(Organization, org_id)
    kind = org_tree.KINDS.get(org.kind) if org else None
    parent = org_tree.names(session, [org.parent_id], lang)[org.parent_id] if org and org.parent_id else ""
    children = sorted(session.scalars(select(Organization.id).where(Organization.parent_id == org_id)))
    return {"kind": (kind.en if lang == "en" else kind.zh) if kind else (org.kind if org else ""), "parent": parent,
            "children": list(org_tree.names(session, children, lang).values())}


def _timers(rt: Runtime) -> dict[str, object]:
    """The timer worker's state as the page shows it: its last run, what is due and not done, what failed."""
    state = timer_status(rt.engine)
    last = state.workers[0] if state.workers else None
    with rt.sessions() as s:
        dead = [{"id": m.id, "to": m.address, "subject": m.subject, "attempts": m.attempts, "error": m.last_error,
                 "retry": url_for("admin.retry_mail", outbox_id=m.id)} for m in mail.dead_letters(s, current_user.org_id)]
        # group-robot messages and daily digests (workflow/timers/messages.py): their own table, the same machinery
        # and webhook deliveries (workflow/timers/webhooks.py: `target` is the subscription's id)
        kinds = {"robot": _("群机器人"), "digest": _("每日汇总"), "webhook": _("事件推送")}
        dead_messages = [{"id": m.id, "to": f"{kinds.get(m.channel, m.channel)} {m.target}",
                          "subject": m.subject, "attempts": m.attempts, "error": m.last_error,
                          "retry": url_for("admin.retry_message", outbox_id=m.id)}
                         for m in messages.dead_letters(s, current_user.org_id)]
    return {"last_run": fmt_datetime(last.last_run_at) if last else None, "pending": state.pending,
            "failed": state.refused + (last.last_failed if last else 0), "error": last.last_error if last else "",
            "dead": dead, "dead_messages": dead_messages}
