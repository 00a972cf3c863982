"""A person's daily digest: one e-mail a day listing their notices (reminders, overdue notices, escalations)
instead of a message each, at the hour they chose (Asia/Shanghai), on /inbox.

* Due at the person's hour of each local day; it lists the notices left for them in the 24 hours before that
  hour, so the days join without a gap or an overlap whenever the worker runs (a worker down at 08:00 sends the
  day's digest when it is back, and a notice left after 08:00 goes in the next day's). Nothing to list: none.
* Its key is the person and the local day (digest:<user>:<date>): queued once, however often the worker runs;
  delivered through the e-mail server like single copies (mail.py) by the outbox machinery (outbox.py).
* It says what the notices say (case number, period, dates; workflow/timers/minimal.py), Chinese first and English
  below (no one's language is stored: the pages' language is the browser's), with a link to each case where the
  organisation set the app's address (notifications.site_url).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from workflow.accounts import setting_values
from workflow.clock import SHANGHAI, Clock
from workflow.db import writing
from workflow.models import MessageOutbox, Notification, NotificationChannel
from workflow.timers import mail, minimal
from workflow.timers.robots import SITE_URL

HOURS = range(24)
DEFAULT_HOUR = 8


def set_preferences(session: Session, username: str, digest: bool, hour: int, now: datetime) -> None:
    """The person's choice of a daily digest instead of single e-mails, and its hour (ValueError: an hour out of
    range, or a digest with no e-mail address to send it to)."""
    if hour not in HOURS:
        raise ValueError(hour)
    row = session.get(NotificationChannel, username)
    if digest and (row is None or not row.email_enabled or not row.email):
        raise ValueError("digest without e-mail")
    if row is None:
        row = NotificationChannel(username=username, email="", email_enabled=False)
        session.add(row)
    row.digest, row.digest_hour, row.updated_at = digest, hour, now


def queue_due(sessions: sessionmaker[Session], clock: Clock) -> int:
    """Queue the digests whose hour has come today and that are not queued yet; how many were queued."""
    now = clock.now()
    local = now.astimezone(SHANGHAI)
    queued = 0
    with writing(sessions) as session:
        people = session.scalars(select(NotificationChannel).where(
            NotificationChannel.digest.is_(True), NotificationChannel.email_enabled.is_(True),
            NotificationChannel.digest_hour <= local.hour)).all()
        for person in people:
            key = f"digest:{person.username}:{local.date().isoformat()}"
            if session.scalar(select(MessageOutbox.id).where(MessageOutbox.key == key)) is not None:
                continue
            # in UTC: SQLite compares the stored UTC text, and would read a +08:00 time as if it were UTC
            until = datetime.combine(local.date(), time(person.digest_hour), SHANGHAI).astimezone(UTC)
            notices = session.scalars(select(Notification).where(
                Notification.recipient == person.username, Notification.created_at > until - timedelta(days=1),
                Notification.created_at <= until).order_by(Notification.id)).all()
            if not notices:
                continue
            session.add(MessageOutbox(
                org_id=notices[0].org_id, key=key, channel="digest", target=person.username,
                subject=f"【lawflow 每日提醒】{local.date().isoformat()}（{len(notices)}条） Daily digest",
                facts={"date": local.date().isoformat(), "hour": person.digest_hour,
                       "notices": [n.id for n in notices]},
                status="pending", attempts=0, next_attempt_at=now, last_error="", created_at=now))
            queued += 1
    return queued


def prepare(session: Session, row: MessageOutbox) -> tuple[mail.Server, EmailMessage] | str:
    server = mail.server_of(session, row.org_id)
    if server is None:
        return mail.NO_SERVER
    person = session.get(NotificationChannel, row.target)
    if person is None or not person.email:
        return f"{row.target} 未设置邮件地址 / has no e-mail address"
    notices = session.scalars(select(Notification).where(Notification.id.in_(row.facts["notices"]))
                              .order_by(Notification.id)).all()
    message = EmailMessage()
    message["From"] = server.sender
    message["To"] = person.email
    message["Subject"] = row.subject
    message["Message-ID"] = f"<lawflow-{row.key.replace(':', '-')}@{server.sender.partition('@')[2] or 'lawflow'}>"
    message.set_content(body(notices, row.facts["date"], row.facts["hour"],
                             str(setting_values(session, row.org_id).get(SITE_URL) or "")))
    return server, message


def body(notices: list[Notification], day: str, hour: int, site_url: str) -> str:
    """The digest's text: the notices in Chinese, then in English, each with its case's link."""
    def link(notice: Notification) -> str:
        return f"   {site_url.rstrip('/')}/cases/{notice.case_id}\n" if site_url else ""

    zh = [f"您好！截至{day} {hour:02d}:00（北京时间），您有{len(notices)}条期限提醒：\n"]
    en = [f"Your {len(notices)} notice(s) up to {day} {hour:02d}:00 (Beijing time):\n"]
    for i, notice in enumerate(notices, 1):
        kind = minimal.KINDS.get(notice.kind)
        zh.append(f"{i}. 【{kind.zh if kind else notice.kind}】{notice.text_zh}\n{link(notice)}")
        en.append(f"{i}. [{kind.en if kind else notice.kind}] {notice.text_en}\n{link(notice)}")
    return "".join(zh) + "\n" + "-" * 40 + "\n\n" + "".join(en)
