"""/inbox: each person's notices from the timer worker (workflow/timers/): reminders before a time limit,
overdue notices and escalations, with links to the cases; the unread count in the header; mark read; the
person's own e-mail address for copies of them.

An adapter: it reads and marks the signed-in person's own notices only (workflow/timers/notifications.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from web.i18n import N_, _, current_lang
from web.present import fmt_date, fmt_datetime
from web.runtime import runtime
from workflow.db import writing
from workflow.models import NotificationChannel
from workflow.timers import digest as digest_prefs
from workflow.timers import mail, notifications

bp = Blueprint("inbox", __name__, url_prefix="/inbox")

KIND_LABELS = {"remind": N_("届满提醒"), "overdue": N_("逾期通知"), "escalation": N_("督办通知")}
CARD_LABELS = {"yellow": N_("黄牌：即将届满"), "red": N_("红牌：已逾期")}


@bp.app_context_processor
def inbox_count() -> dict[str, Any]:
    """The header's unread count (one indexed count a page, for a signed-in person only)."""
    if not current_user.is_authenticated:
        return {"inbox_unread": 0}
    with runtime().sessions() as session:
        return {"inbox_unread": notifications.unread_count(session, current_user.username)}


@bp.get("/")
def index() -> str:
    rt = runtime()
    today = rt.engine.today()
    lang = current_lang()
    with rt.sessions() as session:
        rows = [{
            "id": n.id, "case_id": n.case_id, "kind": n.kind, "kind_label": _(KIND_LABELS.get(n.kind, n.kind)),
            "text": n.text_en if lang == "en" else n.text_zh, "due": fmt_date(n.due),
            "card": notifications.due_state(today, n.due),
            "card_label": _(CARD_LABELS[notifications.due_state(today, n.due)]),
            "created": fmt_datetime(n.created_at), "read": n.read_at is not None,
        } for n in notifications.inbox(session, current_user.username)]
        channel = session.get(NotificationChannel, current_user.username)
    return render_template("inbox/index.html", rows=rows, unread=sum(1 for r in rows if not r["read"]),
                           email=channel.email if channel else "", email_enabled=bool(channel and channel.email_enabled),
                           digest=bool(channel and channel.digest),
                           digest_hour=channel.digest_hour if channel else digest_prefs.DEFAULT_HOUR,
                           hours=digest_prefs.HOURS)


@bp.post("/email")
def email() -> Response:
    """The person's own e-mail address for copies of their notices (sent by the worker: workflow/timers/mail.py)."""
    address = request.form.get("email", "")[:254]
    enabled = request.form.get("email_enabled") == "1"
    return _choose(lambda session, now: mail.set_channel(session, current_user.username, address, enabled, now),
                   _("邮件提醒设置已保存。"), _("请填写有效的邮件地址（启用邮件提醒时必填）。"))


@bp.post("/read")
def mark_read() -> Response:
    """Mark one notice (form field `id`) or all of the person's notices read."""
    raw = request.form.get("id", "")
    notice_id = int(raw) if raw.isdigit() and len(raw) < 12 else None
    rt = runtime()
    with writing(rt.sessions) as session:
        marked = notifications.mark_read(session, current_user.username, notice_id, rt.clock.now())
    flash(_("已标记为已读：{n}条", n=marked), "info")
    return redirect(url_for("inbox.index"))


@bp.post("/digest")
def digest() -> Response:
    """The person's choice of one e-mail a day listing their notices instead of a message each, and its hour
    (Asia/Shanghai; sent by the worker: workflow/timers/digest.py)."""
    raw = request.form.get("digest_hour", "")
    hour = int(raw) if raw.isdigit() and len(raw) <= 2 else -1
    wanted = request.form.get("digest") == "1"
    return _choose(lambda session, now: digest_prefs.set_preferences(session, current_user.username, wanted, hour,
                                                                     now),
                   _("每日汇总设置已保存。"), _("每日汇总需要先启用邮件提醒，时间应在0～23点之间。"))


def _choose(change: Callable[[Session, datetime], None], saved: str, refused: str) -> Response:
    """Save one of the person's own choices (a ValueError: refused, nothing saved) and show the inbox again."""
    rt = runtime()
    try:
        with writing(rt.sessions) as session:
            change(session, rt.clock.now())
    except ValueError:
        flash(refused, "error")
    else:
        flash(saved, "info")
    return redirect(url_for("inbox.index"))
