"""Dead letters: e-mail copies of notices that could not be delivered after the last attempt
(workflow/timers/mail.py). The overview lists them; an administrator sends one again from here."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from web.admin.common import bp
from web.i18n import _
from web.runtime import runtime
from workflow.db import writing
from workflow.timers import mail, messages


@bp.post("/outbox/<int:outbox_id>/retry")
def retry_mail(outbox_id: int) -> Response:
    rt = runtime()
    with writing(rt.sessions) as session:
        if not mail.retry(session, current_user.org_id, outbox_id, rt.clock.now()):
            abort(404)  # not a dead letter of this organisation
    flash(_("该邮件将在期限任务下次运行时重新发送。"), "info")
    return redirect(url_for("admin.index"))


@bp.post("/messages/<int:message_id>/retry")
def retry_message(message_id: int) -> Response:
    """A group robot's message or a daily digest that was not delivered (workflow/timers/messages.py), again."""
    rt = runtime()
    with writing(rt.sessions) as session:
        if not messages.retry(session, current_user.org_id, message_id, rt.clock.now()):
            abort(404)  # not a dead letter of this organisation
    flash(_("该消息将在期限任务下次运行时重新发送。"), "info")
    return redirect(url_for("admin.index"))
