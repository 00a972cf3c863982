"""The kill harness's `timers` kind (issue 11 'Bad input and faults'): SIGKILL the timer worker at random moments
while it catches up a prepared set of due timers, restart it, and check that no timer is lost or done twice.

A round prepares cases whose timers fall due within ROUND_DAYS of its first day: enforcement cases under
investigation (the 90-day decision limit, 处罚法第六十条: two reminders, the overdue notice and its escalation to
the agency head) and major decisions in public comment (the comment period, which the system step
`end_public_comment` closes by itself). With the organisation's own timers (the demo's expired certificate, the
next year's holiday notice) that is every kind of act the worker does. Each child (forked, as in bench/kill.py)
runs `Worker.run_once` day after day from where the last one got to, skipping 1–7 days at a time (so each run
also catches up), with the clock injected: a round's five months pass in a second or two. It writes `ACT` for
every act a run reported done and `DAY` after each run. The harness kills it at a random moment and checks:

  1. `audit verify` (hashes, chains, checkpoints, every case row equal to its replay);
  2. nothing done twice: no system step fired twice on a case, no timer act (a case's or an organisation's) in
     the trail twice, no notice twice to the same person;
  3. every acknowledged act has its timer_act / org_timer_act row.

When a child has run a round to its end, the harness runs the worker once more itself (the restart after the
last kill) and checks that every act the round's cases brought is done exactly once: each system step fired
once (one transition event, the case version moved once), each reminder's and notice's row and event once,
each notice once per recipient. Then the next round starts where the last one ended (time never goes back).
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

ROUND_DAYS = 150  # past the 90-day decision limit's overdue day and the 30-day comment period's end
COMMENT = {"draft_ref": "征求意见稿", "explanation": "说明", "channels": ["镇政府网站"], "period_days": 30}
FIRST_DAY = date(2026, 3, 2)


@dataclass
class Round:
    start: date
    end: date
    cursor: date  # the first day the next child runs
    expected: set[tuple[str, str, date, str]] = field(default_factory=set)  # (case, deadline, started_on, act)
    fires: dict[str, str] = field(default_factory=dict)  # case -> the system step its round fires


# ---------------------------------------------------------------- preparing a round


def prepare(rt: Any, start: date, cases: int) -> Round:
    """`cases` cases (alternately an enforcement case and a major decision in public comment) opened on `start`,
    and every act their timers bring by the round's end."""
    from bench.kill import PROPOSAL, _investigating
    from workflow import accounts
    from workflow.models import Case, CaseDeadline
    from workflow.timers.schedule import acts_of

    rt.clock.set_local_date(start)
    engine = rt.engine
    _renew_certificates(rt, start)
    ids = []
    for i in range(cases):
        if i % 2 == 0:
            ids.append(_investigating(engine))
            continue
        opened = engine.create_case("major_decision", "zhangwei", PROPOSAL)
        assert opened.ok and opened.case_id, opened.reasons
        for trigger, actor, payload in (("start", "huangzhenhua", {"lead_unit": "党政综合办公室"}),
                                        ("open_public_comment", "zhangwei", COMMENT)):
            outcome = engine.fire(opened.case_id, trigger, actor, payload)
            assert outcome.ok, outcome.reasons
        ids.append(opened.case_id)
    result = Round(start, start + timedelta(days=ROUND_DAYS), start)
    with rt.sessions() as session:
        settings = accounts.setting_values(session, "houlong")
        for row, procedure, version in session.execute(
                select(CaseDeadline, Case.procedure, Case.procedure_version)
                .join(Case, Case.id == CaseDeadline.case_id).where(CaseDeadline.case_id.in_(ids))):
            spec = rt.registry.get(procedure, version).deadlines[row.name]
            for act in acts_of(row, "houlong", spec, engine.calendar, settings.get):
                if act.due_on <= result.end:
                    result.expected.add(act.key)
                    if act.kind == "fire":
                        result.fires[act.case_id] = act.timer.trigger or ""
    return result


def _renew_certificates(rt: Any, start: date) -> None:
    """Rounds move the clock on by years in a long run: the investigating officers' certificates are renewed
    each round (as an administrator records them), so the engine keeps accepting their steps."""
    from workflow import accounts
    from workflow.db import writing
    from workflow.demo import FIELD_STREETS

    with writing(rt.sessions) as session:
        for username in ("wanghai", "caiming"):
            accounts.add_certificate(session, username=username, number=f"KILL-{start:%Y%m%d}-{username}",
                                     issuer="泉州市泉港区人民政府", issued_on=start - timedelta(days=1),
                                     field=FIELD_STREETS, valid_until=start + timedelta(days=2 * ROUND_DAYS))


# ---------------------------------------------------------------- the child


def child(runtime_factory: Callable[[], Any], ack_fd: int, seed: int, registry: Any, start: date, end: date) -> None:
    """Run the worker from `start` to `end`, one run a day with gaps of 1–7 days; never returns."""
    try:
        from workflow.timers.worker import Worker

        rt = runtime_factory()
        rt.__dict__["registry"] = registry
        worker = Worker(rt.engine, name=f"kill:{os.getpid()}")
        rnd = random.Random(seed)
        os.write(ack_fd, b"READY\n")
        day = start
        while day <= end:
            rt.clock.set_local_date(day)
            report = worker.run_once()
            if report.failed or report.refused:
                raise RuntimeError(f"on {day}: failed {report.failed[:2]} refused {report.refused[:2]}")
            lines = [f"ACT {c} {d} {a}\n" for c, d, a, _on in report.done]
            lines += [f"ORG {o} {t} {s} {a}\n" for o, t, s, a, _on in report.organisation.done]
            os.write(ack_fd, ("".join(lines) + f"DAY {day.isoformat()}\n").encode())
            day += timedelta(days=rnd.randint(1, 7))
        os.write(ack_fd, b"END\n")
        while True:  # the harness kills it
            time.sleep(1)
    except BaseException as exc:  # noqa: BLE001 - report and leave without cleanup, like a crash
        os.write(ack_fd, f"ERROR {type(exc).__name__}: {exc}\n".encode()[:2000])
    finally:
        os._exit(3)


# ---------------------------------------------------------------- the checks


def duplicates(rt: Any) -> list[str]:
    """What was done twice: a system step fired twice on a case, a timer act twice in the trail, a notice twice
    to the same person."""
    from workflow.models import AuditEvent, Notification

    found = []
    with rt.sessions() as session:
        steps = Counter(session.execute(select(AuditEvent.case_id, AuditEvent.trigger).where(
            AuditEvent.kind == "transition", AuditEvent.role == "system")).all())
        found += [f"system step {t} fired {n} times on {c}" for (c, t), n in steps.items() if n > 1]
        acts: Counter[tuple[str, ...]] = Counter()
        for case_id, payload in session.execute(select(AuditEvent.case_id, AuditEvent.payload).where(
                AuditEvent.kind == "timer")):
            p = json.loads(payload)
            acts[(case_id, p.get("deadline") or p.get("timer"), p.get("started_on") or p.get("subject"), p["act"])] += 1
        found += [f"timer act {k} in the trail {n} times" for k, n in acts.items() if n > 1]
        notices = Counter(session.execute(select(
            Notification.recipient, Notification.case_id, Notification.deadline, Notification.kind, Notification.due,
            Notification.text_zh)).all())
        found += [f"notice {k[:4]} to {k[0]} {n} times" for k, n in notices.items() if n > 1]
    return found


def acknowledged_missing(rt: Any, lines: list[str]) -> tuple[int, list[str]]:
    """(acts acknowledged, those without their row)."""
    from workflow.models import OrgTimerAct, TimerAct

    missing = []
    acks = [line.split() for line in lines if line.startswith(("ACT ", "ORG "))]
    with rt.sessions() as session:
        case_acts = set(session.execute(select(TimerAct.case_id, TimerAct.deadline, TimerAct.act)).all())
        org_acts = set(session.execute(select(OrgTimerAct.org_id, OrgTimerAct.timer, OrgTimerAct.subject,
                                              OrgTimerAct.act)).all())
    for kind, *key in acks:
        if tuple(key) not in (case_acts if kind == "ACT" else org_acts):
            missing.append(f"acknowledged {kind} {' '.join(key)} has no row")
    return len(acks), missing


def round_complete(rt: Any, this: Round) -> tuple[list[str], int]:
    """After the last restart: every act of the round done exactly once; (problems, fired steps without their
    timer_act row).

    A system step's exactly-once is the case's (one transition event, the version moved once): the worker fires
    it through the engine and records the timer_act row in a transaction after it, so a kill between the two
    leaves the step done and its row absent (the period's row went with the step, so nothing is due again).
    Such steps are counted, not failed: the step happened once, its record of what came of it is missing."""
    from workflow.models import AuditEvent, Case, TimerAct
    from workflow.timers.worker import Worker

    rt.clock.set_local_date(this.end)
    report = Worker(rt.engine, name="kill:final").run_once()
    problems = [f"the final run failed: {f}" for f in report.failed]
    with rt.sessions() as session:
        done = Counter(session.execute(select(TimerAct.case_id, TimerAct.deadline, TimerAct.started_on,
                                              TimerAct.act)).all())
        unrecorded = 0
        for key in sorted(this.expected):
            if key[3].startswith("fire:") and done[key] == 0:
                unrecorded += 1  # the step itself is checked below
            elif done[key] != 1:
                problems.append(f"act {key} done {done[key]} times")
        for case_id, trigger in this.fires.items():
            fired = session.scalar(select(AuditEvent.seq).where(
                AuditEvent.case_id == case_id, AuditEvent.trigger == trigger, AuditEvent.kind == "transition"))
            case = session.get(Case, case_id)
            # opened, started, comment opened, then the system step: version 4 (one step, once)
            if fired is None or case is None or case.version != 4:
                problems.append(f"{case_id}: the system step {trigger} fired {'never' if fired is None else 'twice'}")
    return problems, unrecorded


# ---------------------------------------------------------------- the trials


def run(rt: Any, runtime_factory: Callable[[], Any], trials: int, seed: int, *, window: float = 0.6,
        budget: float | None = None, cases: int = 4, progress: bool = False) -> Any:
    """`trials` kills of the worker (fewer if `budget` seconds run out), rounds prepared as they are used up."""
    from bench.kill import KindResult, killed_child
    from workflow.audit.export import verify_database
    from workflow.clock import local_date, utc_stamp

    rnd = random.Random(f"{seed}/timers")
    result = KindResult("timers")
    began = time.monotonic()
    start = max(FIRST_DAY, local_date(rt.clock.now()) + timedelta(days=1))
    this = prepare(rt, start, cases)
    rounds = 1
    for n in range(trials):
        if budget is not None and time.monotonic() - began > budget:
            break
        registry = rt.registry
        child_seed = rnd.randrange(2**32)
        lines = killed_child(rt, rnd, window, lambda write_fd, seed=child_seed, this=this, registry=registry: child(
            runtime_factory, write_fd, seed, registry, this.cursor, this.end))
        result.trials += 1
        label = f"timers trial {result.trials}"
        errors = [line for line in lines if line.startswith("ERROR")]
        if errors:
            result.failures.append(f"{label}: the child failed before the kill: {errors[0]}")
            break
        rt.clock.set_local_date(this.end)  # after anything the child wrote
        report = verify_database(rt.sessions, rt.origin, utc_stamp(rt.clock.now()), registry=rt.registry)
        if not report.ok:
            result.failures.append(f"{label}: audit verify: {report.message}")
        result.failures += [f"{label}: {d}" for d in duplicates(rt)]
        count, missing = acknowledged_missing(rt, lines)
        result.acknowledged += count
        result.failures += [f"{label}: {m}" for m in missing]
        days = [date.fromisoformat(line.split()[1]) for line in lines if line.startswith("DAY ")]
        if days:
            this.cursor = days[-1] + timedelta(days=1)
        if "END" in lines:  # the round ran to its end: the last restart, then every act exactly once
            problems, unrecorded = round_complete(rt, this)
            result.failures += [f"{label}: round {rounds}: {p}" for p in problems]
            result.unrecorded_fires += unrecorded
            this = prepare(rt, this.end + timedelta(days=1), cases)
            rounds += 1
        if progress and (n + 1) % 10 == 0:
            print(f"timers: {n + 1} trials, {rounds} rounds, {time.monotonic() - began:.0f} s, "
                  f"failures {len(result.failures)}", flush=True, file=sys.stderr)
        if result.failures:
            break
    # The round under way: the worker restarted once more runs it to its end, every act exactly once.
    problems, unrecorded = round_complete(rt, this)
    result.failures += [f"last round: {p}" for p in problems]
    result.unrecorded_fires += unrecorded
    result.rounds = rounds
    result.seconds = time.monotonic() - began
    return result
