"""The messages the timer worker sends besides the single e-mail copies of notices (mail.py): group-robot messages
(robots.py) and daily digests (digest.py), both rows of message_outbox, both delivered by the outbox machinery every
channel shares (outbox.py: claim with SKIP LOCKED, lease, back-off, dead letters the administrator sends again).

`deliver` is the worker's one call after its acts: it queues the digests that are due, then sends what is due.
A robot or a mail server that does not answer fails only its own messages, under a timeout, never an act.
"""

from __future__ import annotations

import http.client
import logging
import smtplib
from datetime import datetime
from functools import partial

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflow.engine import Engine
from workflow.models import MessageOutbox
from workflow.timers import digest, mail, outbox, robots
from workflow.timers.outbox import Delivery

log = logging.getLogger("lawflow.worker")


# What a robot's webhook may fail with: no connection or a timeout (OSError), an HTTP error status (HTTPError is an
# OSError), a broken HTTP answer, a URL urllib cannot use (ValueError), errcode other than 0 (NotDelivered).
ROBOT_ERRORS = (OSError, http.client.HTTPException, ValueError, outbox.NotDelivered)


def deliver(engine: Engine, limit: int = 200) -> Delivery:
    result = Delivery()
    try:
        digest.queue_due(engine.sessions, engine.clock)
    except IntegrityError:  # another worker queued the same digest (its key) at the same moment: it is queued
        log.info("a digest was queued by another worker")
    robot = outbox.Channel(MessageOutbox, partial(robots.prepare, engine.registry), robots.send, ROBOT_ERRORS)
    daily = outbox.Channel(MessageOutbox, digest.prepare, mail.send, (OSError, smtplib.SMTPException))
    for channel, name in ((robot, "robot"), (daily, "digest")):
        try:
            result += outbox.deliver(engine.sessions, engine.clock, channel, limit, MessageOutbox.channel == name)
        except Exception:  # noqa: BLE001 - a fault in one channel never stops the worker's run (it is logged)
            log.exception("delivering the %s messages failed", name)
            result.failed += 1
    return result


def dead_letters(session: Session, org_id: str, limit: int = 50) -> list[MessageOutbox]:
    return outbox.dead_letters(session, MessageOutbox, org_id, limit)


def retry(session: Session, org_id: str, message_id: int, now: datetime) -> bool:
    """A dead letter of the organisation (a robot's message, a digest), sent again by the next run."""
    return outbox.retry(session, MessageOutbox, org_id, message_id, now)
