"""E-mail copies of notices: queued with the notice, sent by the timer worker through the organisation's SMTP
server (organisation settings notifications.smtp_host / smtp_port / mail_from; unset: none are queued).

* Queued in the notice's own transaction (`queue`), one per notice (email_outbox.notification_id is unique):
  a notice is never mailed twice by being queued twice.
* Sent outside any long transaction (`deliver`): a short transaction claims a due message (PostgreSQL: FOR UPDATE
  SKIP LOCKED) and leases it (its next attempt moved LEASE ahead, attempts + 1); the SMTP conversation runs
  with no lock held, so a slow or unreachable server never holds up fire() or the worker's other timers; a
  second transaction records what came of it. A crash between sending and recording sends it again after the
  lease (at least once), with the same Message-ID, so the receiving server and the reader can tell it is the
  same message.
* A failure is tried again after BACKOFF; after MAX_ATTEMPTS it is a dead letter, listed on the administration
  page, where the administrator may send it again (`retry`).

Plain SMTP on the given port (an office relay); STARTTLS and authentication are not built yet.
"""

from __future__ import annotations

import re
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from workflow.accounts import setting_values
from workflow.clock import Clock
from workflow.db import writing
from workflow.models import EmailOutbox, Notification, NotificationChannel
from workflow.tokens import aware  # SQLite gives the stored UTC times back without their zone

SMTP_HOST = "notifications.smtp_host"
SMTP_PORT = "notifications.smtp_port"
MAIL_FROM = "notifications.mail_from"
MAX_ATTEMPTS = 5
BACKOFF: Sequence[timedelta] = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
                                timedelta(hours=2))  # after the 1st, 2nd, 3rd, 4th failure
LEASE = timedelta(minutes=10)  # a claimed message is not claimed again before this (a crash mid-send)
SMTP_TIMEOUT = 10.0  # seconds: an unreachable server fails this one message, not the run
ADDRESS = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{1,60}$")


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    sender: str


def server_of(session: Session, org_id: str) -> Server | None:
    settings = setting_values(session, org_id)
    host, port, sender = settings.get(SMTP_HOST), settings.get(SMTP_PORT), settings.get(MAIL_FROM)
    if not host or not sender:
        return None
    return Server(str(host), int(port) if isinstance(port, int) else 25, str(sender))


def queue(session: Session, notice: Notification, now: datetime) -> None:
    """Queue the notice's e-mail, in the caller's transaction, if its recipient asked for e-mail and the
    organisation has a mail server."""
    channel = session.get(NotificationChannel, notice.recipient)
    if channel is None or not channel.email_enabled or not channel.email:
        return
    if server_of(session, notice.org_id) is None:
        return
    session.flush()  # the notice's id: the message's key
    session.add(EmailOutbox(
        org_id=notice.org_id, notification_id=notice.id, address=channel.email,
        subject=f"【lawflow 期限提醒】{notice.case_id or notice.deadline}"[:300],  # no case: an organisation notice
        body=f"{notice.text_zh}\n\n{notice.text_en}\n", status="pending", attempts=0, next_attempt_at=now,
        last_error=""))


@dataclass
class Delivery:
    sent: int = 0
    failed: int = 0
    dead: int = 0


def deliver(sessions: sessionmaker[Session], clock: Clock, limit: int = 200) -> Delivery:
    """Send the messages that are due, each claimed, sent and recorded on its own."""
    result = Delivery()
    now = clock.now()
    with sessions() as session:
        due = list(session.scalars(select(EmailOutbox.id).where(
            EmailOutbox.status == "pending", EmailOutbox.next_attempt_at <= now)
            .order_by(EmailOutbox.next_attempt_at, EmailOutbox.id).limit(limit)))
    for outbox_id in due:
        claimed = _claim(sessions, outbox_id, clock)
        if claimed is None:
            continue
        message, server = claimed
        try:
            _send(server, message)
        except (OSError, smtplib.SMTPException) as exc:
            dead = _failed(sessions, outbox_id, clock, f"{type(exc).__name__}: {exc}"[:500])
            result.failed += 1
            result.dead += int(dead)
        else:
            _sent(sessions, outbox_id, clock)
            result.sent += 1
    return result


def _claim(sessions: sessionmaker[Session], outbox_id: int, clock: Clock) -> tuple[EmailMessage, Server] | None:
    with writing(sessions) as session:
        statement = select(EmailOutbox).where(EmailOutbox.id == outbox_id, EmailOutbox.status == "pending")
        if session.get_bind().dialect.name == "postgresql":
            statement = statement.with_for_update(skip_locked=True)
        row = session.scalar(statement)
        now = clock.now()
        if row is None or (aware(row.next_attempt_at) or now) > now:
            return None  # sent, claimed by another worker, or leased
        server = server_of(session, row.org_id)
        row.attempts += 1
        row.next_attempt_at = now + LEASE
        if server is None:
            row.last_error = "本单位未设置邮件服务器 / the organisation has no mail server set"
            if row.attempts >= MAX_ATTEMPTS:
                row.status = "dead"
            return None
        message = EmailMessage()
        message["From"] = server.sender
        message["To"] = row.address
        message["Subject"] = row.subject
        message["Message-ID"] = f"<lawflow-notice-{row.notification_id}@{server.sender.partition('@')[2] or 'lawflow'}>"
        message.set_content(row.body)
        return message, server


def _send(server: Server, message: EmailMessage) -> None:
    with smtplib.SMTP(server.host, server.port, timeout=SMTP_TIMEOUT) as smtp:
        smtp.send_message(message)


def _sent(sessions: sessionmaker[Session], outbox_id: int, clock: Clock) -> None:
    with writing(sessions) as session:
        row = session.get(EmailOutbox, outbox_id)
        if row is not None:
            row.status, row.sent_at, row.last_error = "sent", clock.now(), ""


def _failed(sessions: sessionmaker[Session], outbox_id: int, clock: Clock, error: str) -> bool:
    """Record the failure; the next attempt after the back-off, or a dead letter after the last. True: dead."""
    with writing(sessions) as session:
        row = session.get(EmailOutbox, outbox_id)
        if row is None:
            return False
        row.last_error = error
        if row.attempts >= MAX_ATTEMPTS:
            row.status = "dead"
            return True
        row.next_attempt_at = clock.now() + BACKOFF[min(row.attempts, len(BACKOFF)) - 1]
        return False


def dead_letters(session: Session, org_id: str, limit: int = 50) -> list[EmailOutbox]:
    return list(session.scalars(select(EmailOutbox).where(EmailOutbox.org_id == org_id,
                                                          EmailOutbox.status == "dead")
                                .order_by(EmailOutbox.id.desc()).limit(limit)))


def retry(session: Session, org_id: str, outbox_id: int, now: datetime) -> bool:
    """A dead letter of the organisation, sent again by the next run (its attempts start over)."""
    row = session.get(EmailOutbox, outbox_id)
    if row is None or row.org_id != org_id or row.status != "dead":
        return False
    row.status, row.attempts, row.next_attempt_at = "pending", 0, now
    return True


def set_channel(session: Session, username: str, email: str, enabled: bool, now: datetime) -> None:
    """The person's e-mail address and whether notices go there too (ValueError: not an address)."""
    email = email.strip()
    if email and not ADDRESS.match(email):
        raise ValueError(email)
    if enabled and not email:
        raise ValueError(email)
    row = session.get(NotificationChannel, username)
    if row is None:
        row = NotificationChannel(username=username)
        session.add(row)
    row.email, row.email_enabled, row.updated_at = email, enabled, now
