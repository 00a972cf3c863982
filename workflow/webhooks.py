"""Webhook subscriptions of an organisation (issue 17 item 2): made, re-keyed and deleted by its administrators,
each change an event of the organisation's administration journal (as API tokens are, workflow/administration.py).

A subscription POSTs the events of the event feed (workflow/audit/feed.py) that its owner may read, of the event
kinds and procedures it names, to its URL; the timer worker queues and sends them (workflow/timers/webhooks.py).
It starts at the feed's present end: what was anchored before it was made is sent only when asked (`replay`).

Its secret signs each delivery (HMAC-SHA256) and is shown once, when it is made. A new secret may be added while
the old ones still sign for an overlap (`add_secret`): every delivery of the overlap carries a signature by each,
so the receiver switches at its own time and never rejects a delivery.
"""

from __future__ import annotations

import secrets as random
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from workflow.administration import AdminError, change
from workflow.audit.checkpoint import latest_checkpoint
from workflow.audit.journal import Moment
from workflow.models import MessageOutbox, WebhookSecret, WebhookSubscription
from workflow.tokens import aware

CHANNEL = "webhook"  # message_outbox.channel of its deliveries
SECRET_PREFIX = "whsec_"
MAX_OVERLAP = timedelta(days=30)
URL_MAX = 2000


@dataclass(frozen=True)
class NewSubscription:
    name: str
    url: str
    kinds: Sequence[str] | None = None  # None: every kind of event
    procedures: Sequence[str] | None = None  # None: every procedure
    owner: str | None = None  # the user whose reading applies (None: the administrator who makes it)


def _not_found(subscription_id: int) -> AdminError:
    return AdminError.of("", f"没有编号为 {subscription_id} 的订阅 / no webhook with id {subscription_id}")


def _new_secret() -> str:
    return SECRET_PREFIX + random.token_urlsafe(32)


def create(sessions: sessionmaker[Session], *, actor: str, new: NewSubscription, now: Moment,
           known_procedures: Collection[str]) -> tuple[int, str]:
    """Make a subscription; returns (its id, its secret). AdminError: a URL that is not http(s), an unknown
    procedure or owner."""
    if not new.url.startswith(("https://", "http://")) or len(new.url) > URL_MAX or any(c.isspace() for c in new.url):
        raise AdminError.of("url", "地址须为 http:// 或 https:// 开头的网址 / the URL must be an http:// or https:// URL")
    unknown = sorted(set(new.procedures or ()) - set(known_procedures))
    if unknown:
        raise AdminError.of("procedures", f"没有这些程序：{'、'.join(unknown)} / no such procedures: {', '.join(unknown)}")
    with change(sessions, actor, now) as unit:
        owner = unit.user(new.owner, "owner") if new.owner else unit.admin
        latest = latest_checkpoint(unit.session)
        row = WebhookSubscription(
            org_id=unit.admin.org_id, name=new.name, url=new.url, kinds=list(new.kinds) if new.kinds else None,
            procedures=list(new.procedures) if new.procedures else None, owner=owner.username,
            cursor=(latest.tree_size - 1) if latest is not None else -1, replays=0,
            created_by=unit.admin.username, created_at=unit.now)
        unit.session.add(row)
        unit.session.flush()
        secret = _new_secret()
        unit.session.add(WebhookSecret(subscription_id=row.id, secret=secret, created_at=unit.now))
        # the URL without its query: a receiver's key in it (?key=...) never enters the unerasable trail
        unit.record("webhook_created", {"webhook_id": row.id, "name": row.name, "url": row.url.split("?")[0],
                                        "owner": owner.username,
                                        **({"kinds": row.kinds} if row.kinds else {}),
                                        **({"procedures": row.procedures} if row.procedures else {})})
        return row.id, secret


def _live(session: Session, org_id: str, subscription_id: int) -> WebhookSubscription:
    row = session.get(WebhookSubscription, subscription_id)
    if row is None or row.org_id != org_id or row.deleted_at is not None:
        raise _not_found(subscription_id)
    return row


def add_secret(sessions: sessionmaker[Session], *, actor: str, subscription_id: int, overlap: timedelta,
               now: Moment) -> tuple[str, datetime]:
    """A new secret for the subscription; the secrets it had sign too until `overlap` has passed. Returns the new
    secret and when the old ones retire."""
    if overlap < timedelta(0) or overlap > MAX_OVERLAP:
        raise AdminError.of("overlap_hours", "交替期须在 0 至 720 小时之间 / the overlap must be 0 to 720 hours")
    with change(sessions, actor, now) as unit:
        row = _live(unit.session, unit.admin.org_id, subscription_id)
        retires = unit.now + overlap
        unit.session.execute(update(WebhookSecret).where(
            WebhookSecret.subscription_id == row.id,
            or_(WebhookSecret.retires_at.is_(None), WebhookSecret.retires_at > retires)).values(retires_at=retires))
        secret = _new_secret()
        unit.session.add(WebhookSecret(subscription_id=row.id, secret=secret, created_at=unit.now))
        unit.record("webhook_secret_added", {"webhook_id": row.id, "name": row.name,
                                             "old_secrets_retire_at": retires.isoformat()})
        return secret, retires


def delete(sessions: sessionmaker[Session], *, actor: str, subscription_id: int, now: Moment) -> None:
    """Stop the subscription: nothing more is queued or sent (its waiting deliveries become dead letters); it and
    its delivery log are kept."""
    with change(sessions, actor, now) as unit:
        row = _live(unit.session, unit.admin.org_id, subscription_id)
        row.deleted_at = unit.now
        unit.session.execute(update(MessageOutbox).where(
            MessageOutbox.channel == CHANNEL, MessageOutbox.target == str(row.id),
            MessageOutbox.status == "pending").values(status="dead", last_error="订阅已删除 / webhook deleted"))
        unit.record("webhook_deleted", {"webhook_id": row.id, "name": row.name})


def signing_secrets(session: Session, subscription_id: int, now: datetime) -> list[str]:
    """The secrets that sign now, the newest first."""
    rows = session.scalars(select(WebhookSecret).where(WebhookSecret.subscription_id == subscription_id)
                           .order_by(WebhookSecret.id.desc())).all()
    return [r.secret for r in rows if r.retires_at is None or (aware(r.retires_at) or now) > now]
