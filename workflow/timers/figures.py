"""What the timers did in a period, per procedure and time limit: the compliance page's reminder figures.

Issue 11 item 5: "reminded in time / escalated / acted after escalation" per deadline kind. Counted per period
of a time limit (one case, one deadline, its first day: the key of its timer acts, workflow/models.py TimerAct),
over the acts that fell due in the window:

* reminded — the period got at least one reminder (黄牌);
* done after the reminder, in time — reminded, never overdue, and no longer running (its step was taken);
* escalated — its overdue notice went to the roles and the superior named by `escalate_to` (红牌);
* acted after escalation — escalated and no longer running;
* still overdue — escalated and still running today.

A period "no longer running" is one whose case_deadline row is gone or was started again (a new first day): the
engine removes the row when a step ends the limit or clears it (a case withdrawn, a period paused by a rule the
definition names); the figures say so in their note. Nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.definitions import Label, Registry
from workflow.models import Case, CaseDeadline, TimerAct

PeriodKey = tuple[str, str, date]  # case, deadline, first day


@dataclass
class TimerFigure:
    procedure: str
    deadline: str
    procedure_label: Label
    deadline_label: Label
    basis: str
    reminded: set[PeriodKey] = field(default_factory=set)
    escalated: set[PeriodKey] = field(default_factory=set)
    running: set[PeriodKey] = field(default_factory=set)  # of the above, still running today

    @property
    def done_in_time_after_reminder(self) -> set[PeriodKey]:
        return (self.reminded - self.escalated) - self.running

    @property
    def acted_after_escalation(self) -> set[PeriodKey]:
        return self.escalated - self.running

    @property
    def still_overdue(self) -> set[PeriodKey]:
        return self.escalated & self.running


def timer_figures(session: Session, registry: Registry, org_id: str, start: date, end: date) -> list[TimerFigure]:
    """The figures of every time limit whose timers acted between `start` and `end` (the days the acts fell
    due), in the order of the procedures and their deadlines in the definitions."""
    acts = session.execute(
        select(TimerAct.case_id, TimerAct.deadline, TimerAct.started_on, TimerAct.act, Case.procedure,
               Case.procedure_version)
        .join(Case, Case.id == TimerAct.case_id)
        .where(TimerAct.org_id == org_id, TimerAct.due_on >= start, TimerAct.due_on <= end,
               TimerAct.outcome == "done")
    ).all()
    figures: dict[tuple[str, str], TimerFigure] = {}
    cases: set[str] = set()
    for case_id, deadline, started_on, act, procedure_id, version in acts:
        kind = act.split(":", 1)[0].split("@", 1)[0]
        if kind not in ("remind", "overdue"):
            continue  # a system step closing a minimum period is no reminder
        try:
            procedure = registry.get(procedure_id, version)
        except KeyError:
            continue
        spec = procedure.deadlines.get(deadline)
        figure = figures.get((procedure_id, deadline))
        if figure is None:
            figure = figures[(procedure_id, deadline)] = TimerFigure(
                procedure_id, deadline, procedure.label, spec.label if spec else Label(deadline, deadline),
                spec.basis if spec else "")
        (figure.reminded if kind == "remind" else figure.escalated).add((case_id, deadline, started_on))
        cases.add(case_id)
    running = _running(session, sorted(cases))
    for figure in figures.values():
        figure.running = {k for k in figure.reminded | figure.escalated if k in running}
    order = {(p.id, name): i for i, (p, name) in enumerate(
        (p, name) for p in registry.latest() for name in p.deadlines)}
    return sorted(figures.values(), key=lambda f: (order.get((f.procedure, f.deadline), len(order)),
                                                   f.procedure, f.deadline))


def _running(session: Session, case_ids: list[str]) -> set[PeriodKey]:
    found: set[PeriodKey] = set()
    for i in range(0, len(case_ids), 500):  # bounded IN lists
        found.update((c, n, s) for c, n, s in session.execute(
            select(CaseDeadline.case_id, CaseDeadline.name, CaseDeadline.started_on)
            .where(CaseDeadline.case_id.in_(case_ids[i:i + 500]))))
    return found
