"""Dead letters: notices' e-mails (workflow/timers/mail.py), group-robot messages and daily digests
(workflow/timers/messages.py) that could not be delivered after the last attempt. The overview lists them; an
administrator sends one again from here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import abort, flash, redirect, url_for
from flask_login import current_user
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from web.admin.common import bp
from web.i18n import _
from web.runtime import runtime
from workflow.db import writing
from workflow.timers import mail, messages


@bp.post("/outbox/<int:outbox_id>/retry")
def retry_mail(outbox_id: int) -> Response:
    return _retry(mail.retry, outbox_id, _("该邮件将在期限任务下次运行时重新发送。"))


@bp.post("/messages/<int:outbox_id>/retry")
def retry_message(outbox_id: int) -> Response:
    """A group robot's message or a daily digest that was not delivered, again."""
    return _retry(messages.retry, outbox_id, _("该消息将在期限任务下次运行时重新发送。"))


def _retry(retry: Callable[[Session, str, int, datetime], bool], row_id: int, done: str) -> Response:
    rt = runtime()
    with writing(rt.sessions) as session:
        if not retry(session, current_user.org_id, row_id, rt.clock.now()):
            abort(404)  # not a dead letter of this organisation
    flash(done, "info")
    return redirect(url_for("admin.index"))
