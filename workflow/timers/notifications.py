"""Notices in people's inboxes: who is told of a timer's act, what the notice says, and reading the inbox.

A notice names the case by its number and the period by its label, with the dates: never a party or the
case's title (which may name one), so it carries no more than its recipient may see. Texts are Chinese first,
English beside them; the page shows the one of the reader's language.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from workflow.accounts import members_of
from workflow.definitions import Procedure
from workflow.models import Notification
from workflow.timers import mail, robots
from workflow.timers.schedule import DueAct


def acting_roles(procedure: Procedure, act: DueAct) -> tuple[str, ...]:
    """The roles a timer tells in the case's own organisation: its own `to` (none when it names only roles of the
    addressed organisation), else those who may take a step that ends the period."""
    if act.timer.names_recipients:
        return act.timer.to
    roles = [r for t in procedure.transitions if t.trigger in act.spec.ends_on for r in t.roles]
    return tuple(dict.fromkeys(roles))


def holders(session: Session, org_id: str, roles: Iterable[str]) -> list[str]:
    """The active people of the organisation holding one of `roles`, by user name."""
    wanted = set(roles)
    return [m.username for m in members_of(session, org_id).values() if m.active and m.roles & wanted]


def addressed_holders(session: Session, addressee_org_id: str | None, act: DueAct) -> list[str]:
    """The people the timer tells in the organisation the case is addressed to (`{addressee: <role>}`
    recipients, workflow/timers/spec.py); none when the case names no such organisation."""
    if addressee_org_id is None or not act.timer.to_addressee:
        return []
    return holders(session, addressee_org_id, act.timer.to_addressee)


@dataclass(frozen=True)
class Text:
    zh: str
    en: str


def text_of(kind: str, act: DueAct) -> Text:
    label, due, case = act.spec.label, act.limit_due.isoformat(), act.case_id
    if kind == "remind":
        unit_zh, unit_en = ("个工作日", "working days") if act.timer.unit == "working_days" else ("日", "days")
        return Text(f"案件{case}的「{label.zh}」将于{due}届满（届满前{act.days_before}{unit_zh}提醒），请及时办理",
                    f"Case {case}: the {label.en} ends on {due} (reminder {act.days_before} {unit_en} ahead); "
                    "please act in time")
    if kind == "overdue":
        return Text(f"案件{case}的「{label.zh}」已于{due}届满，现已逾期，请立即办理",
                    f"Case {case}: the {label.en} ended on {due} and is overdue; please act now")
    return Text(f"案件{case}的「{label.zh}」已于{due}届满仍未办理，报请督办",
                f"Case {case}: the {label.en} ended on {due} and the step is still not taken; reported to you "
                "for supervision")


def leave(session: Session, act: DueAct, kind: str, recipients: Iterable[str], now: datetime,
          org_id: str | None = None) -> None:
    """A notice of `kind` (remind | overdue | escalation) to each recipient, in the caller's transaction; `org_id`
    is the recipients' organisation (whose mail server sends the copies) when it is not the case's."""
    text = text_of(kind, act)
    recipients = list(recipients)  # read twice: the notices, then the groups' robots
    for username in recipients:
        notice = Notification(org_id=org_id or act.org_id, recipient=username, case_id=act.case_id, kind=kind,
                              deadline=act.deadline, due=act.limit_due, text_zh=text.zh, text_en=text.en,
                              created_at=now)
        session.add(notice)
        mail.queue(session, notice, now)  # its e-mail copy, if the person asked for one (workflow/timers/mail.py)
    robots.queue(session, act, kind, recipients, now)  # to the groups told of it (workflow/timers/robots.py)


# ---------------------------------------------------------------- reading the inbox


def unread_count(session: Session, username: str) -> int:
    return session.scalar(select(func.count()).select_from(Notification)
                          .where(Notification.recipient == username, Notification.read_at.is_(None))) or 0


def inbox(session: Session, username: str, limit: int = 200) -> list[Notification]:
    """The person's notices, unread first, then the newest."""
    return list(session.scalars(
        select(Notification).where(Notification.recipient == username)
        .order_by(Notification.read_at.is_not(None), Notification.id.desc()).limit(limit)))


def mark_read(session: Session, username: str, notice_id: int | None, now: datetime) -> int:
    """Mark one of the person's notices read (or all of them, `notice_id` None); the number marked. Another
    person's notice is never touched."""
    statement = update(Notification).where(Notification.recipient == username, Notification.read_at.is_(None))
    if notice_id is not None:
        statement = statement.where(Notification.id == notice_id)
    result = session.execute(statement.values(read_at=now))
    return int(getattr(result, "rowcount", 0) or 0)


def due_state(today: date, due: date) -> str:
    """The card a notice's period shows today: yellow before and on its last day, red after it."""
    return "red" if today > due else "yellow"
