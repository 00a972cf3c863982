"""What the organisation-level timers (workflow/timers/org_spec.py) bring, and doing it: each act once, audited.

The worker (workflow/timers/worker.py) calls `run` after the case timers of each run:

* `due` lists the acts due on or before today and not done, in the order they fell due (then organisation,
  timer, subject), so a worker that was down catches up in time order, each act judged on its own due day:
  - certificate: an active person's enforcement certificate with a last valid day, `days_before_end` days before
    it (the holder and the administrator told) or `days_after_end` days after it. A certificate the holder
    has since renewed (another enforcement certificate of the same field valid beyond it) brings nothing, and
    an `expiring` notice no longer comes once the certificate has expired (the expiry notice says it then);
  - holiday_year: on `month_day` of a year whose next year has no State Council notice in the calendar (the
    shipped data nor an administrator's entry), once a year, the years of the last twelve months only.
* `do` acts in one transaction: the organisation's administration journal ADM-<org> is locked (so two
  workers, or a restarted one, serialise on it), the act's key is looked up in org_timer_act and, when absent,
  a `timer` event is appended to that journal by the organisation's system account (docs/audit-format.md),
  the notices go to the inboxes (and e-mail copies are queued, workflow/timers/mail.py), and the act's row is
  inserted with its unique key (organisation, timer, subject, act). A crash before the commit leaves nothing,
  after it everything: an act is never lost nor done twice.

Why the administration journal and not a case chain: these acts concern no case; ADM-<org> is the chain the
audit trail keeps for an organisation's own affairs, verified, exported and anchored like every other chain,
and the audit explorer shows it to the organisation's administrator.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from workflow import accounts
from workflow.audit.journal import lock_journal, record_journal_event
from workflow.calendar import WorkCalendar
from workflow.db import writing
from workflow.engine import Engine
from workflow.models import (
    EnforcementCertificate,
    Notification,
    Organization,
    OrgTimerAct,
    User,
    admin_journal_id,
)
from workflow.timers import mail
from workflow.timers.notifications import Text, holders
from workflow.timers.org_spec import HOLDER, OrgTimer, load
from workflow.timers.spec import SYSTEM_ROLE

log = logging.getLogger("lawflow.worker")
KIND = "timer"  # the audit event kind, as for a case's reminders
PROCEDURE = "admin@1"  # the administration journal's procedure (workflow/administration.py PROCEDURE)
HOLIDAY_LOOKBACK = timedelta(days=366)  # a year's notice missed longer ago is no longer news


@dataclass(frozen=True)
class OrgAct:
    due_on: date
    org_id: str
    timer: OrgTimer
    subject: str  # certificate:<number> | holiday:<year>
    act: str  # expiring@<last day> | expired@<last day> | missing
    ends: date  # the day the notice is about: a certificate's last valid day; the year's last day
    holder: str | None = None  # certificate: the holder's user name
    number: str = ""  # certificate: its number
    year: int | None = None  # holiday_year: the year without data

    @property
    def key(self) -> tuple[str, str, str, str]:
        return self.org_id, self.timer.name, self.subject, self.act

    def sort_key(self) -> tuple[Any, ...]:
        return self.due_on, self.org_id, self.timer.name, self.subject

    def text(self) -> Text:
        last = self.ends.isoformat()
        if self.timer.watch == "holiday_year":
            return Text(f"{self.year}年节假日安排尚未录入：跨入该年的工作日期限将按周一至周五推算并标注为暂定，"
                        "请在国务院办公厅通知发布后录入",
                        f"The {self.year} holiday notice has not been entered: working-day periods reaching into "
                        "that year are computed on weekdays and marked provisional; please enter the notice once "
                        "it is published")
        if self.act.startswith("expired"):
            return Text(f"{self.holder}的执法证件{self.number}已于{last}到期，持证人不得再以该证件执法，请办理换证并登记",
                        f"{self.holder}'s enforcement certificate {self.number} expired on {last}: it no longer "
                        "allows enforcement; please renew it and record the new one")
        return Text(f"{self.holder}的执法证件{self.number}将于{last}到期（到期前{self.timer.value}日提醒），请及时办理换证",
                    f"{self.holder}'s enforcement certificate {self.number} is valid until {last} (notice "
                    f"{self.timer.value} days ahead); please renew it in time")


# ---------------------------------------------------------------- what is due


def due(session: Session, timers: Iterable[OrgTimer], calendar: WorkCalendar, today: date) -> list[OrgAct]:
    """The acts due on or before `today` and not done yet, in the order they fell due."""
    found: list[OrgAct] = []
    for timer in timers:
        if timer.watch == "certificate":
            found.extend(_certificate_acts(session, timer, today))
        else:
            found.extend(_holiday_acts(session, timer, calendar, today))
    done = {tuple(r) for r in session.execute(select(
        OrgTimerAct.org_id, OrgTimerAct.timer, OrgTimerAct.subject, OrgTimerAct.act))}
    return sorted((a for a in found if a.key not in done), key=OrgAct.sort_key)


def _certificate_acts(session: Session, timer: OrgTimer, today: date) -> list[OrgAct]:
    days = int(timer.value)
    after = timer.at == "days_after_end"
    # The certificates whose act falls due by today: last day <= today + days (before) or <= today - days (after).
    horizon = today - timedelta(days=days) if after else today + timedelta(days=days)
    rows = session.execute(
        select(EnforcementCertificate, User.org_id)
        .join(User, User.username == EnforcementCertificate.username)
        .where(EnforcementCertificate.kind == "enforcement", EnforcementCertificate.valid_until.is_not(None),
               EnforcementCertificate.valid_until <= horizon, User.active.is_(True))).all()
    if not rows:
        return []
    holders_of = {u for c, _ in rows for u in [c.username]}
    later = session.execute(select(EnforcementCertificate.username, EnforcementCertificate.field,
                                   EnforcementCertificate.valid_until)
                            .where(EnforcementCertificate.kind == "enforcement",
                                   EnforcementCertificate.username.in_(sorted(holders_of)))).all()
    acts = []
    for cert, org_id in rows:
        last = cert.valid_until
        assert last is not None
        renewed = any(u == cert.username and f == cert.field and (until is None or until > last)
                      for u, f, until in later)
        if renewed or (not after and today > last):
            continue
        due_on = last + timedelta(days=days) if after else last - timedelta(days=days)
        acts.append(OrgAct(due_on, org_id, timer, f"certificate:{cert.number}",
                           f"{'expired' if after else 'expiring'}@{last.isoformat()}", last, holder=cert.username,
                           number=cert.number))
    return acts


def _holiday_acts(session: Session, timer: OrgTimer, calendar: WorkCalendar, today: date) -> list[OrgAct]:
    acts = []
    month, day = (int(x) for x in str(timer.value).split("-"))
    for year in (today.year - 1, today.year):
        try:
            due_on = date(year, month, day)
        except ValueError:  # 02-29 of a common year: that year's act is on 02-28
            due_on = date(year, month, day - 1)
        if due_on > today or today - due_on > HOLIDAY_LOOKBACK or calendar.covers(year + 1):
            continue
        for org_id in session.scalars(select(Organization.id).order_by(Organization.id)):
            acts.append(OrgAct(due_on, org_id, timer, f"holiday:{year + 1}", "missing", date(year, 12, 31),
                               year=year + 1))
    return acts


# ---------------------------------------------------------------- doing it


@dataclass
class OrgRun:
    done: list[tuple[str, str, str, str, date]] = field(default_factory=list)  # (org, timer, subject, act, due_on)
    failed: list[tuple[str, str, str, str]] = field(default_factory=list)  # (org, timer, subject, error)


def run(engine: Engine, today: date) -> OrgRun:
    """Every organisation-level act due by `today`, each in its own transaction; one act's failure is logged and
    counted and never stops the others."""
    result = OrgRun()
    timers = load(engine.registry)
    if not timers:
        return result
    with engine.sessions() as session:
        acts = due(session, timers, engine.calendar, today)
    for act in acts:
        try:
            if do(engine, act):
                result.done.append((*act.key, act.due_on))
        except Exception as exc:  # noqa: BLE001 - one act's failure never stops the others
            log.exception("organisation timer %s %s %s failed", act.org_id, act.timer.name, act.subject)
            result.failed.append((act.org_id, act.timer.name, act.subject, f"{type(exc).__name__}: {exc}"[:500]))
    return result


def do(engine: Engine, act: OrgAct) -> bool:
    """Do one act (True), or nothing if another worker has done it (False)."""
    with writing(engine.sessions) as session:
        journal_id = admin_journal_id(act.org_id)
        lock_journal(session, journal_id, create=True)  # first: every worker doing this act queues here
        if session.scalar(select(OrgTimerAct.id).where(
                OrgTimerAct.org_id == act.org_id, OrgTimerAct.timer == act.timer.name,
                OrgTimerAct.subject == act.subject, OrgTimerAct.act == act.act)) is not None:
            return False
        roles = [r for r in act.timer.to if r != HOLDER]
        told = holders(session, act.org_id, roles)
        if HOLDER in act.timer.to and act.holder and act.holder not in told:
            told.insert(0, act.holder)
        actor = accounts.ensure_system_account(session, act.org_id).username
        now = engine.clock.now()
        event = record_journal_event(
            session, journal_id, when=now, kind=KIND, procedure=PROCEDURE, trigger=act.timer.name,
            from_state=None, to_state=None, actor=actor, role=SYSTEM_ROLE,
            payload={"timer": act.timer.name, "subject": act.subject, "act": act.act, "basis": act.timer.basis,
                     "ends": act.ends.isoformat(), "act_due": act.due_on.isoformat(), "notified": told})
        text = act.text()
        # An expiry is past its day (red in the inbox), the others come before it (yellow): the inbox's kinds.
        kind = "overdue" if act.act.startswith("expired") else "remind"
        for username in told:
            notice = Notification(org_id=act.org_id, recipient=username, case_id=None, kind=kind,
                                  deadline=act.timer.name, due=act.ends, text_zh=text.zh, text_en=text.en,
                                  created_at=now)
            session.add(notice)
            mail.queue(session, notice, now)
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(insert(OrgTimerAct).values(
            org_id=act.org_id, timer=act.timer.name, subject=act.subject, act=act.act, due_on=act.due_on,
            done_at=now, detail={"seq": event.seq, "notified": told},
        ).on_conflict_do_nothing(index_elements=["org_id", "timer", "subject", "act"]))
    return True
