"""The timer worker: does the acts that have fallen due (workflow/timers/schedule.py), each once, each audited.

    lawflow worker [--once] [--until YYYY-MM-DD] [--interval SECONDS]

* A system step (a period the law closes by itself) goes through the engine's one way in, `fire()`, as the
  organisation's system account (`system.<org>`, role `system`, workflow/accounts.py): authorized by the
  definition, validated, guarded (the engine refuses it while the period runs) and audited like any step.
  Exactly once: the worker fires with the case version it judged (`expected_version`), and the step ends the
  period, so it is not due again; a timer_act row then records what came of it. On PostgreSQL a session
  advisory lock on the case keeps two workers from attempting the same step at once.
* A reminder, an overdue notice and an escalation are one transaction each: the case row is locked, a `timer`
  event is appended to the case's own hash chain (docs/audit-format.md: the case's history shows it, `lawflow
  audit verify` and the offline verifier check it, replay leaves the row unchanged), the notices go into the
  recipients' inboxes and the act's timer_act row is inserted with its unique key (case, deadline, the
  period's first day, act). A second worker, or a restarted one, finds the key and does nothing: a crash
  before the commit leaves nothing, after it everything. On PostgreSQL the case row is claimed with
  FOR UPDATE SKIP LOCKED, so parallel workers share the due acts instead of queueing on one; SQLite has a
  single writer (BEGIN IMMEDIATE) and needs no claim.
* Acts come in the order they fell due: after downtime the worker catches up in time order, each act judged
  on its own due day (a reminder says the days it was due ahead of the limit, not today's). The events carry
  the time they were written: nothing is backdated.
* One act that fails (an error, a refusal) is counted and recorded; it never stops the others.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from workflow import accounts, store
from workflow.audit.trail import append_event
from workflow.clock import local_date, utc_stamp
from workflow.db import writing
from workflow.engine import Engine, Outcome
from workflow.models import Case, CaseDeadline, TimerAct, TimerWorkerState
from workflow.timers import mail, messages, notifications, org_timers, webhooks
from workflow.timers.schedule import DueAct, due_acts
from workflow.timers.spec import SYSTEM_ROLE

log = logging.getLogger("lawflow.worker")
TIMER_KIND = "timer"  # the audit event kind of a reminder, an overdue notice or an escalation
Fire = Callable[..., Outcome]


@dataclass
class RunReport:
    done: list[tuple[str, str, str, date]] = field(default_factory=list)  # (case, deadline, act, due_on)
    refused: list[tuple[str, str, str, tuple[str, ...]]] = field(default_factory=list)
    failed: list[tuple[str, str, str, str]] = field(default_factory=list)  # (case, deadline, act, error)
    mail: mail.Delivery = field(default_factory=mail.Delivery)  # e-mail copies of notices sent / failed
    anchored: int = 0  # events anchored by this run's checkpoint (what the event feed then shows)
    organisation: org_timers.OrgRun = field(default_factory=org_timers.OrgRun)  # organisation-level acts


class Worker:
    """Runs due timers through `engine`. `fire` is the engine's fire() unless a caller wraps it (the feature
    specs record what they exercise)."""

    def __init__(self, engine: Engine, *, fire: Fire | None = None, name: str | None = None,
                 anchor: Callable[[], int] | None = None):
        self.engine = engine
        # Anchoring the new events in the Merkle log after each run (a signed checkpoint) is what puts them in
        # the event feed (workflow/audit/feed.py); None where no signing key is configured.
        self.anchor = anchor
        self.sessions = engine.sessions
        self.fire = fire or engine.fire
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"[:64]
        self.started_at = engine.clock.now()

    # ------------------------------------------------------------ running

    def run_once(self) -> RunReport:
        """Every act due by today, in the order they fell due."""
        report = RunReport()
        today = self.engine.today()
        with self.sessions() as session:
            acts = due_acts(session, self.engine.registry, self.engine.calendar, today,
                            lambda org: accounts.setting_values(session, org))
        for act in acts:
            try:
                self._do(act, report)
            except Exception as exc:  # noqa: BLE001 - one act's failure never stops the others
                log.exception("timer act %s %s %s failed", act.case_id, act.deadline, act.act)
                report.failed.append((act.case_id, act.deadline, act.act, f"{type(exc).__name__}: {exc}"[:500]))
        # The organisation-level timers (a certificate, the holiday data), after the cases' own, each act once.
        report.organisation = org_timers.run(self.engine, today)
        report.failed.extend((f"ADM-{o}", t, s, e) for o, t, s, e in report.organisation.failed)
        # After the acts, so that their notices' e-mails go in this run; a mail server that does not answer
        # fails only its messages (retried later), never an act.
        report.mail = mail.deliver(self.sessions, self.engine.clock)
        report.mail += messages.deliver(self.engine)  # group robots and daily digests (workflow/timers/messages.py)
        if self.anchor is not None:
            try:
                report.anchored = self.anchor()
            except Exception as exc:  # noqa: BLE001 - a checkpoint refused (a witness says the log went back)
                log.error("checkpoint refused: %s", exc)  # is the operator's to see; the timers went on
                report.failed.append(("", "", "checkpoint", f"{type(exc).__name__}: {exc}"[:500]))
        # After the checkpoint: the events it anchored go to the webhooks in this run (workflow/timers/webhooks.py)
        report.mail += webhooks.deliver(self.sessions, self.engine.registry, self.engine.clock)
        self._record_state(report)
        return report

    def run(self, *, once: bool = False, until: date | None = None, interval: float = 60.0,
            sleep: Callable[[float], None] = time.sleep) -> None:
        """Run until stopped (or once; or until the clock's Beijing date passes `until`)."""
        while True:
            try:
                report = self.run_once()
                log.info("timers: %d done, %d refused, %d failed; e-mail: %d sent, %d failed", len(report.done),
                         len(report.refused), len(report.failed), report.mail.sent, report.mail.failed)
            except Exception:  # the database away for a moment: what is due stays due, the next run catches up
                if once:
                    raise
                log.exception("timer run failed; trying again in %s s", interval)
            if once or (until is not None and self.engine.today() >= until):
                return
            sleep(interval)

    # ------------------------------------------------------------ one act

    def _do(self, act: DueAct, report: RunReport) -> None:
        if act.kind == "fire":
            self._fire(act, report)
        else:
            self._notify(act, report)

    def _fire(self, act: DueAct, report: RunReport) -> None:
        trigger = act.timer.trigger or ""
        with writing(self.sessions) as session:
            actor = accounts.ensure_system_account(session, act.org_id).username
        with self.sessions() as session:
            row = session.get(CaseDeadline, (act.case_id, act.deadline))
            if row is None or (row.started_on, row.due) != (act.started_on, act.limit_due):
                return  # the period ended, started again or moved meanwhile: nothing is due of this one
        with self._alone_on(act.case_id) as alone:
            if not alone:
                return  # another worker is taking this very step now
            checked = self.engine.check(act.case_id, trigger, actor, {})
            if checked.ok:
                outcome = self.fire(act.case_id, trigger, actor, {}, expected_version=checked.case_version)
            else:
                outcome = checked  # a refusal judged without writing: recorded below, once, not retried every run
        codes = tuple(outcome.codes)
        detail: dict[str, Any] = {"trigger": trigger, "seq": outcome.seq} if outcome.ok else \
            {"trigger": trigger, "refused": list(codes)}
        with writing(self.sessions) as session:
            self._insert_act(session, act, "done" if outcome.ok else "refused", detail)
        if outcome.ok:
            report.done.append((act.case_id, act.deadline, act.act, act.due_on))
        else:
            report.refused.append((act.case_id, act.deadline, act.act, codes))

    @contextmanager
    def _alone_on(self, case_id: str) -> Iterator[bool]:
        """PostgreSQL: whether this worker alone fires a step on the case now (a session advisory lock, held on a
        connection of its own across fire()'s transaction: a row lock cannot span it). Without it two workers
        would both fire, and the second, refused as stale by the case version, would leave a needless refusal
        in the trail. SQLite has one writer at a time: nothing to claim."""
        bind = self.sessions.kw["bind"]
        if bind.dialect.name != "postgresql":
            yield True
            return
        key = {"key": f"lawflow.timer:{case_id}"}
        with bind.connect() as connection:
            got = bool(connection.scalar(text("SELECT pg_try_advisory_lock(hashtext(:key))"), key))
            connection.commit()  # the lock is the session's: no transaction stays open while fire() runs
            try:
                yield got
            finally:
                if got:
                    connection.scalar(text("SELECT pg_advisory_unlock(hashtext(:key))"), key)
                    connection.commit()

    def _notify(self, act: DueAct, report: RunReport) -> None:
        with writing(self.sessions) as session:
            if not self._claim(session, act):
                return
            case = store.lock_case(session, act.case_id)
            if case is None:
                return
            procedure = self.engine.procedure_of(case)
            told = notifications.holders(session, act.org_id, notifications.acting_roles(procedure, act))
            addressed = notifications.addressed_holders(session, case.addressee_org_id, act)
            superiors = notifications.holders(session, act.org_id, [act.timer.escalate_to]) \
                if act.kind == "overdue" and act.timer.escalate_to else []
            actor = accounts.ensure_system_account(session, act.org_id).username
            now = self.engine.clock.now()  # read under the case's lock, like fire(): the chain's times never go back
            payload = {"deadline": act.deadline, "act": act.act, "basis": act.spec.basis,
                       "started_on": act.started_on.isoformat(), "due": act.limit_due.isoformat(),
                       "act_due": act.due_on.isoformat(), "notified": told}
            if superiors:
                payload["escalated_to"] = superiors
            if addressed:  # the people of the organisation the case is addressed to, told as well
                payload["notified_addressee"] = {"org": case.addressee_org_id, "users": addressed}
            event = append_event(session, case, kind=TIMER_KIND, at=utc_stamp(now), procedure=procedure.ref,
                                 trigger=act.kind, from_state=case.state, to_state=case.state, actor=actor,
                                 role=SYSTEM_ROLE, payload=payload)
            store.save_chain_head(session, case)
            notifications.leave(session, act, act.kind, told, now)
            notifications.leave(session, act, act.kind, addressed, now, org_id=case.addressee_org_id)
            notifications.leave(session, act, "escalation", superiors, now)
            self._insert_act(session, act, "done", {"seq": event.seq, "notified": told, "escalated_to": superiors,
                                                    "notified_addressee": addressed})
        report.done.append((act.case_id, act.deadline, act.act, act.due_on))

    def _claim(self, session: Session, act: DueAct) -> bool:
        """No one else holds the case now (PostgreSQL: its row is locked FOR UPDATE SKIP LOCKED until this
        transaction ends; a busy case is left to the next run), the period is still the one the act belongs to,
        and no one did the act. The case row is locked first, as fire() locks it before it changes the case's
        periods: the same order, so a worker and a person's step never deadlock."""
        if session.get_bind().dialect.name == "postgresql":
            held = session.scalar(select(Case.id).where(Case.id == act.case_id).with_for_update(skip_locked=True))
            if held is None:
                return False
        period = session.execute(select(CaseDeadline.started_on, CaseDeadline.due).where(
            CaseDeadline.case_id == act.case_id, CaseDeadline.name == act.deadline)).first()
        if period is None or tuple(period) != (act.started_on, act.limit_due):
            return False  # claimed by another worker, or the period ended, started again, moved or paused
        done = session.scalar(select(TimerAct.id).where(
            TimerAct.case_id == act.case_id, TimerAct.deadline == act.deadline,
            TimerAct.started_on == act.started_on, TimerAct.act == act.act))
        return done is None

    def _insert_act(self, session: Session, act: DueAct, outcome: str, detail: dict[str, Any]) -> None:
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(insert(TimerAct).values(
            org_id=act.org_id, case_id=act.case_id, deadline=act.deadline, started_on=act.started_on,
            act=act.act, due_on=act.due_on, done_at=self.engine.clock.now(), outcome=outcome, detail=detail,
        ).on_conflict_do_nothing(index_elements=["case_id", "deadline", "started_on", "act"]))

    def _record_state(self, report: RunReport) -> None:
        errors = "; ".join(f"{c} {d} {a}: {e}" for c, d, a, e in report.failed[:5])
        with writing(self.sessions) as session:
            row = session.get(TimerWorkerState, self.name)
            if row is None:
                row = TimerWorkerState(name=self.name, started_at=self.started_at)
                session.add(row)
            row.last_run_at = self.engine.clock.now()
            row.last_done = len(report.done)
            row.last_failed = len(report.failed) + len(report.refused)
            row.last_error = errors


# ---------------------------------------------------------------- what the admin page shows


@dataclass(frozen=True)
class WorkerStatus:
    workers: list[TimerWorkerState]
    pending: int  # acts due now and not done
    refused: int  # system steps the engine refused (recorded once, not retried)


def status(engine: Engine) -> WorkerStatus:
    today = local_date(engine.clock.now())
    with engine.sessions() as session:
        workers = list(session.scalars(select(TimerWorkerState).order_by(TimerWorkerState.last_run_at.desc())))
        pending = len(due_acts(session, engine.registry, engine.calendar, today,
                               lambda org: accounts.setting_values(session, org)))
        refused = session.scalar(select(func.count()).select_from(TimerAct).where(TimerAct.outcome == "refused"))
        for w in workers:
            session.expunge(w)
    return WorkerStatus(workers, pending, int(refused or 0))
