"""E-mail copies of notices: queued with the notice, sent by the timer worker through the organisation's SMTP
server (organisation settings notifications.smtp_host / smtp_port / mail_from; unset: none are queued).

* Queued in the notice's own transaction (`queue`), one per notice (email_outbox.notification_id is unique):
  a notice is never mailed twice by being queued twice.
* Sent by the outbox machinery all channels share (workflow/timers/outbox.py: claimed, leased, sent with no lock
  held, retried after BACKOFF, a dead letter after MAX_ATTEMPTS that the administrator may send again). A crash
  between sending and recording sends it again after the lease (at least once), with the same Message-ID, so the
  receiving server and the reader can tell it is the same message.
* A person who chose the daily digest (workflow/timers/digest.py) gets no single copies: the digest lists them.

SMTP on the given port, in the clear (an office relay), with STARTTLS, or over TLS from the start, with a login
when the settings give one (notifications.smtp_security / smtp_username / smtp_password).
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

from sqlalchemy.orm import Session, sessionmaker

from workflow.accounts import setting_values
from workflow.clock import Clock
from workflow.models import EmailOutbox, Notification, NotificationChannel
from workflow.timers import outbox
from workflow.timers.outbox import BACKOFF, LEASE, MAX_ATTEMPTS, Delivery

__all__ = ["BACKOFF", "LEASE", "MAX_ATTEMPTS", "Delivery", "deliver", "dead_letters", "queue", "retry", "send",
           "server_of", "set_channel"]

SMTP_HOST = "notifications.smtp_host"
SMTP_PORT = "notifications.smtp_port"
MAIL_FROM = "notifications.mail_from"
SMTP_SECURITY = "notifications.smtp_security"
SMTP_USERNAME = "notifications.smtp_username"
SMTP_PASSWORD = "notifications.smtp_password"
SMTP_TIMEOUT = 10.0  # seconds: an unreachable server fails this one message, not the run
ADDRESS = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{1,60}$")
NO_SERVER = "本单位未设置邮件服务器 / the organisation has no mail server set"


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    sender: str
    security: str = "none"  # none | starttls | tls (notifications.smtp_security)
    username: str = ""  # a login, when the server asks for one
    password: str = ""


def server_of(session: Session, org_id: str) -> Server | None:
    settings = setting_values(session, org_id)
    host, port, sender = settings.get(SMTP_HOST), settings.get(SMTP_PORT), settings.get(MAIL_FROM)
    if not host or not sender:
        return None
    return Server(str(host), int(port) if isinstance(port, int) else 25, str(sender),
                  str(settings.get(SMTP_SECURITY) or "none"), str(settings.get(SMTP_USERNAME) or ""),
                  str(settings.get(SMTP_PASSWORD) or ""))


def tls_context() -> ssl.SSLContext:
    """The server's certificate is checked against the system's CAs, or the office's own CA when the operator
    names its file (LAWFLOW_SMTP_CA_FILE: an internal relay's private CA); never unchecked."""
    return ssl.create_default_context(cafile=os.environ.get("LAWFLOW_SMTP_CA_FILE") or None)


def queue(session: Session, notice: Notification, now: datetime) -> None:
    """Queue the notice's e-mail, in the caller's transaction, if its recipient asked for e-mail and the
    organisation has a mail server."""
    channel = session.get(NotificationChannel, notice.recipient)
    if channel is None or not channel.email_enabled or not channel.email or channel.digest:
        return
    if server_of(session, notice.org_id) is None:
        return
    session.flush()  # the notice's id: the message's key
    session.add(EmailOutbox(
        org_id=notice.org_id, notification_id=notice.id, address=channel.email,
        subject=f"【lawflow 期限提醒】{notice.case_id or notice.deadline}"[:300],  # no case: an organisation notice
        body=f"{notice.text_zh}\n\n{notice.text_en}\n", status="pending", attempts=0, next_attempt_at=now,
        last_error=""))


def deliver(sessions: sessionmaker[Session], clock: Clock, limit: int = 200) -> Delivery:
    """Send the messages that are due, each claimed, sent and recorded on its own (workflow/timers/outbox.py)."""
    return outbox.deliver(sessions, clock, CHANNEL, limit)


def _prepare(session: Session, row: EmailOutbox) -> tuple[Server, EmailMessage] | str:
    server = server_of(session, row.org_id)
    if server is None:
        return NO_SERVER
    message = EmailMessage()
    message["From"] = server.sender
    message["To"] = row.address
    message["Subject"] = row.subject
    message["Message-ID"] = f"<lawflow-notice-{row.notification_id}@{server.sender.partition('@')[2] or 'lawflow'}>"
    message.set_content(row.body)
    return server, message


def send(prepared: tuple[Server, EmailMessage]) -> None:
    server, message = prepared
    with connect(server) as smtp:
        smtp.send_message(message)


def connect(server: Server) -> smtplib.SMTP:
    """A connection to the organisation's mail server, encrypted and logged in as its settings say. A server that
    offers no STARTTLS when the settings ask for it fails the attempt (smtplib refuses): never a silent downgrade."""
    if server.security == "tls":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(server.host, server.port, timeout=SMTP_TIMEOUT, context=tls_context())
    else:
        smtp = smtplib.SMTP(server.host, server.port, timeout=SMTP_TIMEOUT)
    try:
        if server.security == "starttls":
            smtp.starttls(context=tls_context())
        if server.username:
            smtp.login(server.username, server.password)
    except BaseException:
        smtp.close()
        raise
    return smtp


CHANNEL = outbox.Channel(EmailOutbox, _prepare, send, (OSError, smtplib.SMTPException))


def dead_letters(session: Session, org_id: str, limit: int = 50) -> list[EmailOutbox]:
    return outbox.dead_letters(session, EmailOutbox, org_id, limit)


def retry(session: Session, org_id: str, outbox_id: int, now: datetime) -> bool:
    """A dead letter of the organisation, sent again by the next run (its attempts start over)."""
    return outbox.retry(session, EmailOutbox, org_id, outbox_id, now)


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
