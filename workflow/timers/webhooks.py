"""Webhook deliveries (issue 17 item 2): the events of the feed, POSTed signed to each subscription's URL by the
timer worker, as a channel of the outbox every notice shares (outbox.py: claimed with SKIP LOCKED, leased, sent
with no lock held and under a timeout, retried after BACKOFF, a dead letter after MAX_ATTEMPTS).

* Queued after the run's checkpoint (`queue`): for each subscription, the anchored events after its cursor that
  its owner may read (the Reader, as the feed: workflow/case_reading.py) of the kinds and procedures it wants, one
  message_outbox row each, key `webhook:<subscription>:<log index>` (a replay adds `:r<n>`); the cursor moves
  with them in one transaction, so every event is queued once and none is skipped.
* Sent (`deliver`) one subscription after another; a receiver that fails (an HTTP error, a timeout of TIMEOUT
  seconds, no connection) ends its subscription's turn for this run: it costs the others one timeout at most.
  A delivery is sent at least once: a crash between sending and recording sends it again after the lease, with
  the same `delivery` id, which the receiver uses to drop a repeat.
* The body: {"webhook", "delivery", "log_index", "replay", "masked", "event"}, the event in the export's format
  with its `hash` and `prev` (docs/audit-format.md §1), so the receiver can check it against the audit trail.
  Where the owner sees the case but not its party, the payload's personal data are masked as on the pages
  (`masked: true`): the hash is then the trail's, checked against an export, not recomputed from this body.
* Signed: `X-Lawflow-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, one `v1` for each
  secret that signs now (workflow/webhooks.py: two while a new secret overlaps the old one).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import time
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, load_only, selectinload, sessionmaker

from workflow.administration import ADMIN_ROLE
from workflow.audit import feed
from workflow.audit.export import EVENT_COLUMNS, event_record
from workflow.case_reading import Reader
from workflow.clock import Clock
from workflow.db import writing
from workflow.definitions import Registry
from workflow.models import (
    AuditEvent,
    AuditLeaf,
    Case,
    MessageOutbox,
    User,
    WebhookSubscription,
    admin_journal_id,
)
from workflow.timers import outbox
from workflow.timers.outbox import Delivery
from workflow.webhooks import CHANNEL, signing_secrets

log = logging.getLogger("lawflow.worker")

TIMEOUT = 10.0  # seconds: a receiver that does not answer fails this delivery and its subscription's turn
SIGNATURE = "X-Lawflow-Signature"
PAGE = 500  # feed leaves read at a time while queueing
MAX_REPLAY = 5000  # events one replay request queues at most (the answer says where to go on)
# What a receiver may fail with: no connection or a timeout (OSError), an HTTP error status (HTTPError is an
# OSError), a broken HTTP answer, a URL urllib cannot use (ValueError).
ERRORS = (OSError, http.client.HTTPException, ValueError)


# ---------------------------------------------------------------- signatures


def signature(secrets: Iterable[str], timestamp: int, body: bytes) -> str:
    """The header's value: t=<timestamp>,v1=<hex>[,v1=<hex>...], one v1 per secret."""
    signed = f"{timestamp}.".encode() + body
    return ",".join([f"t={timestamp}"] + [
        "v1=" + hmac.new(s.encode("utf-8"), signed, hashlib.sha256).hexdigest() for s in secrets])


def verify(secret: str, header: str, body: bytes, now: float, tolerance: float = 300.0) -> bool:
    """A receiver's check (docs/api.md shows the same in a few lines): one v1 made with `secret` over t and the
    body as received, and t within `tolerance` seconds of the receiver's clock (an old delivery sent again by
    someone else is refused)."""
    parts = [p.partition("=") for p in header.split(",")]
    stamps = [v for k, _, v in parts if k.strip() == "t"]
    if len(stamps) != 1 or not stamps[0].isdigit() or abs(now - int(stamps[0])) > tolerance:
        return False
    expected = hmac.new(secret.encode("utf-8"), f"{stamps[0]}.".encode() + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, v.strip()) for k, _, v in parts if k.strip() == "v1")


# ---------------------------------------------------------------- queueing


def _owner_reader(session: Session, registry: Registry, sub: WebhookSubscription) -> tuple[Reader, bool] | None:
    """What the subscription's owner reads now (None: no longer an active user of its organisation), and whether
    they read the organisation's administration journal (administrators)."""
    owner = session.scalar(select(User).options(selectinload(User.roles)).where(User.username == sub.owner))
    if owner is None or not owner.active or owner.org_id != sub.org_id:
        return None
    return Reader.for_user(session, registry, owner.role_names, owner.org_id), ADMIN_ROLE in owner.role_names


def _wanted(sub: WebhookSubscription, reader: Reader, journal: bool, event: dict[str, Any],
            cases: dict[str, Case]) -> bool:
    if sub.kinds and event["kind"] not in sub.kinds:
        return False
    case = cases.get(event["case"])
    if case is None:  # the administration journal: the administrators', every procedure's
        return journal and event["case"] == admin_journal_id(sub.org_id) and not sub.procedures
    if sub.procedures and case.procedure not in sub.procedures:
        return False
    return reader.sees_case(case)


def _queue_page(session: Session, sub: WebhookSubscription, reader: Reader, journal: bool, after: int,
                replay: int, now: Any, upto: int | None = None) -> tuple[int, feed.FeedPage]:
    page = feed.page(session, reader.orgs(), after, PAGE)
    items = [i for i in page.events if upto is None or i["log_index"] <= upto]
    ids = {i["event"]["case"] for i in items}
    cases = {c.id: c for c in session.scalars(select(Case).options(load_only(
        Case.id, Case.org_id, Case.procedure, Case.procedure_version, Case.addressee_org_id)).where(Case.id.in_(ids)))}
    queued = 0
    for item in items:
        event = item["event"]
        if not _wanted(sub, reader, journal, event, cases):
            continue
        key = f"webhook:{sub.id}:{item['log_index']}" + (f":r{replay}" if replay else "")
        if session.scalar(select(MessageOutbox.id).where(MessageOutbox.key == key)) is not None:
            continue
        session.add(MessageOutbox(
            org_id=sub.org_id, key=key, channel=CHANNEL, target=str(sub.id),
            subject=f"{event['kind']} {event['case']} #{event['seq']}"[:300],
            facts={"log_index": item["log_index"], "case": event["case"], "seq": event["seq"],
                   "kind": event["kind"], "replay": replay},
            status="pending", attempts=0, next_attempt_at=now, last_error="", created_at=now))
        queued += 1
    return queued, page


def _locked(session: Session, subscription_id: int) -> WebhookSubscription | None:
    statement = select(WebhookSubscription).where(WebhookSubscription.id == subscription_id,
                                                  WebhookSubscription.deleted_at.is_(None))
    if session.get_bind().dialect.name == "postgresql":  # another worker queueing it: it is done there
        statement = statement.with_for_update(skip_locked=True)
    return session.scalar(statement)


def queue(sessions: sessionmaker[Session], registry: Registry, clock: Clock, pages: int = 20) -> int:
    """Queue, for every live subscription, the anchored events after its cursor that it takes; move the cursor."""
    with sessions() as session:
        ids = list(session.scalars(select(WebhookSubscription.id).where(WebhookSubscription.deleted_at.is_(None))
                                   .order_by(WebhookSubscription.id)))
    queued = 0
    for subscription_id in ids:
        try:
            with writing(sessions) as session:
                sub = _locked(session, subscription_id)
                owner = _owner_reader(session, registry, sub) if sub is not None else None
                if sub is None or owner is None:
                    continue  # deleted, being queued elsewhere, or its owner gone: the cursor waits
                for _ in range(pages):
                    n, page = _queue_page(session, sub, *owner, sub.cursor, 0, clock.now())
                    queued += n
                    sub.cursor = page.next_after
                    if not page.more:
                        break
        except IntegrityError:  # another worker queued the same event (its key) at the same moment: it is queued
            log.info("webhook %s was queued by another worker", subscription_id)
    return queued


@dataclass(frozen=True)
class Replayed:
    queued: int
    next_after: int  # the last leaf considered: replay again from here while `more`
    more: bool


def replay(sessions: sessionmaker[Session], registry: Registry, org_id: str, subscription_id: int, after: int,
           clock: Clock) -> Replayed | None:
    """Queue again the events after leaf `after` up to the subscription's cursor (what was queued before), as new
    deliveries (their key carries the replay's number). None: no such live subscription of the organisation."""
    with writing(sessions) as session:
        sub = session.scalar(select(WebhookSubscription).where(
            WebhookSubscription.id == subscription_id, WebhookSubscription.org_id == org_id,
            WebhookSubscription.deleted_at.is_(None)).with_for_update())
        if sub is None:
            return None
        owner = _owner_reader(session, registry, sub)
        sub.replays += 1
        if owner is None or after >= sub.cursor:
            return Replayed(0, max(after, sub.cursor), False)
        queued, cursor = 0, after
        while True:
            n, page = _queue_page(session, sub, *owner, cursor, sub.replays, clock.now(), upto=sub.cursor)
            queued += n
            cursor = min(page.next_after, sub.cursor)
            if cursor >= sub.cursor or not page.more:
                return Replayed(queued, cursor, False)
            if queued >= MAX_REPLAY:
                return Replayed(queued, cursor, True)


# ---------------------------------------------------------------- sending


@dataclass(frozen=True)
class Request:
    url: str
    body: bytes
    secrets: tuple[str, ...]
    delivery: int
    kind: str


def prepare(registry: Registry, clock: Clock, session: Session, row: MessageOutbox) -> Request | str:
    """The request for a claimed delivery: its event read from the trail, as its owner may read it now."""
    sub = session.get(WebhookSubscription, int(row.target))
    if sub is None or sub.deleted_at is not None:
        return "订阅已删除 / webhook deleted"
    secrets = signing_secrets(session, sub.id, clock.now())
    owner = _owner_reader(session, registry, sub)
    found = session.execute(select(*EVENT_COLUMNS).join(AuditLeaf, AuditLeaf.event_id == AuditEvent.id)
                            .where(AuditLeaf.log_index == row.facts["log_index"])).first()
    if owner is None or found is None or not secrets:
        return "订阅的读取人已停用或事件不存在 / the webhook's owner is no longer active, or no such event"
    event = event_record(found)
    reader, _ = owner
    case = session.get(Case, event["case"])
    masked = False
    if case is not None:
        procedure = reader.procedure(case.procedure, case.procedure_version)
        if not reader.sees_case(case):
            return "订阅的读取人已不能读取此案件 / the webhook's owner may no longer read this case"
        if not reader.sees_personal(procedure):
            shown = reader.payload(procedure, event["trigger"], event["payload"])
            masked, event["payload"] = shown != event["payload"], shown
    body = {"webhook": sub.id, "delivery": row.id, "log_index": row.facts["log_index"],
            "replay": bool(row.facts.get("replay")), "masked": masked, "event": event}
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Request(sub.url, data, tuple(secrets), row.id, event["kind"])


def send(request: Request) -> None:
    """POST the delivery; an answer other than 2xx, a timeout or no connection raises (a failed attempt)."""
    # The wall clock, not the app's injectable one: the receiver compares `t` with its own time.
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "lawflow-webhooks/1",
               SIGNATURE: signature(request.secrets, int(time.time()), request.body),
               "X-Lawflow-Delivery": str(request.delivery), "X-Lawflow-Event": request.kind}
    http = urllib.request.Request(request.url, data=request.body, method="POST", headers=headers)
    with urllib.request.urlopen(http, timeout=TIMEOUT) as response:  # noqa: S310 - the organisation's own URL
        response.read(65536)
        if not 200 <= response.status < 300:
            raise outbox.NotDelivered(f"HTTP {response.status}")


def deliver(sessions: sessionmaker[Session], registry: Registry, clock: Clock, limit: int = 200) -> Delivery:
    """Queue what is new, then send each subscription's due deliveries; a fault never stops the worker's run."""
    result = Delivery()
    try:
        queue(sessions, registry, clock)
        with sessions() as session:
            targets = list(session.scalars(select(MessageOutbox.target).distinct().where(
                MessageOutbox.channel == CHANNEL, MessageOutbox.status == "pending",
                MessageOutbox.next_attempt_at <= clock.now())))
        channel = outbox.Channel(MessageOutbox, partial(prepare, registry, clock), send,
                                 (*ERRORS, outbox.NotDelivered))
        for target in sorted(targets, key=int):
            result += outbox.deliver(sessions, clock, channel, limit,
                                     and_(MessageOutbox.channel == CHANNEL, MessageOutbox.target == target),
                                     stop_after_failure=True)
    except Exception:  # noqa: BLE001 - a fault in the webhooks never stops the worker's run (it is logged)
        log.exception("delivering the webhooks failed")
        result.failed += 1
    return result
