"""The messages the timer worker sends besides the single e-mail copies of notices (mail.py): group-robot messages
(robots.py) and daily digests (digest.py), both rows of message_outbox, both delivered by the outbox machinery every
channel shares (outbox.py: claim with SKIP LOCKED, lease, back-off, dead letters the administrator sends again).

`deliver` is the worker's one call after its acts: it queues the digests that are due, then sends what is due.
A robot or a mail server that does not answer fails only its own messages, under a timeout, never an act.
"""

from __future__ import annotations

import smtplib
from datetime import datetime
from functools import partial

from sqlalchemy.orm import Session

from workflow.engine import Engine
from workflow.models import MessageOutbox
from workflow.timers import digest, mail, outbox, robots
from workflow.timers.outbox import Delivery


def deliver(engine: Engine, limit: int = 200) -> Delivery:
    digest.queue_due(engine.sessions, engine.clock)
    robot = outbox.Channel(MessageOutbox, partial(robots.prepare, engine.registry), robots.send)
    daily = outbox.Channel(MessageOutbox, digest.prepare, mail.send, (OSError, smtplib.SMTPException))
    return (outbox.deliver(engine.sessions, engine.clock, robot, limit, MessageOutbox.channel == "robot")
            + outbox.deliver(engine.sessions, engine.clock, daily, limit, MessageOutbox.channel == "digest"))


def dead_letters(session: Session, org_id: str, limit: int = 50) -> list[MessageOutbox]:
    return outbox.dead_letters(session, MessageOutbox, org_id, limit)


def retry(session: Session, org_id: str, message_id: int, now: datetime) -> bool:
    """A dead letter of the organisation (a robot's message, a digest), sent again by the next run."""
    return outbox.retry(session, MessageOutbox, org_id, message_id, now)
