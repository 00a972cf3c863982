"""The guards of a step, and what they may look at.

`evaluate` builds the step's `GuardContext` (the payload, the case data, the actor, today, the calendar, the
organisation's settings and the lookups a guard may make: names, roles, certificates, other cases, the case's
running periods — each read only if a guard asks) and judges every rule of the step: its guards (by name, from
the definition), the in-person rule, separation of duties, minimum periods, audio-video recording, a period
whose length the organisation must set, and the typed dates. Every failure is collected — the law wants every
reason, which is why the machine runs no `conditions=` (workflow/machine.py) — and raised together.

This is the one module of the engine that reads the guard registry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow import accounts, options_from, org_tree, typed_dates
from workflow.calendar import UNITS, WorkCalendar
from workflow.clock import local_date
from workflow.conflicts import at_path, clashes
from workflow.definitions import Procedure, Registry, Transition
from workflow.engine.refusals import Reason, Refused
from workflow.engine.transaction import orm
from workflow.guards import CaseView, Credential, Fail, GuardContext
from workflow.models import Case, EnforcementCertificate, User
from workflow.procedures import GUARDS, case_choices_of
from workflow.store import Actor, CaseRow, DeadlineRow, Transactional, load_deadlines

INPUT_ERRORS = (KeyError, TypeError, ValueError)  # what a rule raises when it reads input the form has not sent

_T = TypeVar("_T")


def evaluate(db: Transactional, registry: Registry, calendar: WorkCalendar, procedure: Procedure,
             transition: Transition, case: CaseRow | None, data: dict[str, Any], user: Actor,
             payload: dict[str, Any], now: datetime, deadlines: list[DeadlineRow], *,
             before_input: bool = False) -> dict[str, Any]:
    """Every guard, period and declared rule of the step; refused with all the reasons found, or the payload
    to record: a late entry (补录) says so in it (workflow/typed_dates.py), judged on the same settings.

    `before_input`: the payload is not the form's yet (a page asking what a submit would be refused for):
    a rule that cannot be judged without the input (it raises KeyError, TypeError or ValueError) is left to
    the submit."""
    session = orm(db)  # a Work makes its ORM session only if a guard below reads through it

    def judged(rule: Callable[[], _T], empty: _T) -> _T:
        if not before_input:
            return rule()
        try:
            return rule()
        except INPUT_ERRORS:
            return empty

    ctx, lookups, settings = _context(db, registry, calendar, procedure, transition, case, data, user, payload, now,
                                      deadlines)
    act = procedure.in_person.acts.get(transition.trigger) if procedure.in_person and case else None
    reasons: list[Reason] = []
    for name in (*transition.guards, *([procedure.in_person.rule] if act and procedure.in_person else [])):
        failure = judged(partial(GUARDS[name].fn, ctx), None)
        if failure is not None:
            reasons.append(guard_reason(name, failure))
    if case is not None and procedure.conflicts_of(transition.trigger):
        found = judged(lambda: clashes(session(), lookups.procedure_of, procedure, transition, case.id, case.org_id,
                                       data, payload, user.username, ctx.name_of), [])
        reasons.extend(Reason("separation_of_duties", c.zh, c.en, c.article) for c in found)
    for row in deadlines:
        spec = procedure.deadlines.get(row.name)
        if spec and spec.kind == "minimum" and transition.trigger in spec.ends_on and row.due is not None \
                and ctx.today <= row.due:
            reasons.append(Reason(
                f"minimum_period:{spec.name}",
                f"「{spec.label.zh}」至{row.due.isoformat()}届满，届满后方可办理"
                + ("（期限含尚无节假日安排的年份，为推算日期）" if row.provisional else ""),
                f"the {spec.label.en} runs until {row.due.isoformat()}; this step is possible after it",
                spec.basis))
    av = procedure.audio_video
    if av is not None and case is not None:
        acts = av.required(settings.get(av.setting) if av.setting else None)
        if transition.trigger in acts and not has_av_record(data, transition.trigger):
            reasons.append(Reason(
                "av_record_required",
                f"「{transition.label.zh}」须全程音像记录：请先附加该行为的音像记录",
                f"'{transition.label.en}' must be recorded on audio-video: attach its audio-video record first",
                av.basis))
    for spec in procedure.deadlines.values():
        if spec.n_setting and transition.trigger in spec.starts_on:
            days = settings.get(spec.n_setting)
            if not (isinstance(days, int) and not isinstance(days, bool) and days > 0):
                reasons.append(Reason(
                    f"setting_missing:{spec.n_setting}",
                    f"本单位尚未设置「{spec.label.zh}」的天数（设置项 {spec.n_setting}，须注明依据）",
                    f"the organisation has not set the length of the {spec.label.en} "
                    f"(setting {spec.n_setting}, with its source)", spec.basis))
        if spec.unit_setting and transition.trigger in spec.starts_on \
                and settings.get(spec.unit_setting) not in UNITS:
            reasons.append(Reason(
                f"setting_missing:{spec.unit_setting}",
                f"本单位尚未设置「{spec.label.zh}」按日还是按工作日计算（设置项 {spec.unit_setting}，须注明依据）",
                f"the organisation has not set whether the {spec.label.en} counts calendar or working days "
                f"(setting {spec.unit_setting}, with its source)", spec.basis))
    # A person named in a field that takes the people holding a role (options_from:) holds it here.
    reasons.extend(Reason(code, zh, en, transition.basis, field) for field, zh, en, code in judged(
        lambda: options_from.problems(procedure, transition, payload, lookups.roles_of, ctx.name_of,
                                      settings=settings, names_of=lookups.names_of), []))
    # Typed dates: none in the future, pairs in legal order, a late entry with its reason.
    reasons.extend(Reason(p.code, p.zh, p.en, p.article, p.field) for p in judged(
        lambda: typed_dates.problems(procedure, transition, data, payload, ctx.today, settings), []))
    if reasons:
        raise Refused(*reasons)
    if before_input:
        return payload  # nothing to record: there is no input yet
    return typed_dates.mark(transition, payload, ctx.today, settings)


def _context(db: Transactional, registry: Registry, calendar: WorkCalendar, procedure: Procedure,
             transition: Transition, case: CaseRow | None, data: dict[str, Any], user: Actor,
             payload: dict[str, Any], now: datetime, deadlines: list[DeadlineRow],
             ) -> tuple[GuardContext, Lookups, LazySettings]:
    """What the step's guards may look at (each lookup made only if a guard asks), its lookups and settings."""
    session = orm(db)
    settings = LazySettings(lambda: accounts.setting_values(session(), user.org_id))  # read only if asked
    running: dict[str, DeadlineRow] | None = None

    def deadline(name: str) -> DeadlineRow | None:  # the case's periods, read only if a guard asks
        nonlocal running
        if running is None:
            rows = deadlines or (load_deadlines(db, case.id) if case is not None else [])
            running = {d.name: d for d in rows}
        return running.get(name)

    lookups = Lookups(session, registry, user.org_id)
    # An act performed in person (the definition's in_person block) is judged on its own day.
    act = procedure.in_person.acts.get(transition.trigger) if procedure.in_person and case else None
    act_on = date.fromisoformat(payload[act.date]) if act and act.date and payload.get(act.date) else None
    ctx = GuardContext(
        act_on=act_on, act_officers=tuple(payload.get(act.officers) or ()) if act and act.officers else None,
        trigger=transition.trigger, state=case.state if case else "", payload=payload, data=data,
        actor=user.username, actor_roles=user.role_names, now=now, today=local_date(now),
        calendar=calendar, settings=settings, roles_of=lookups.roles_of, name_of=lookups.name_of,
        case_id=case.id if case else "", certificates_of=lookups.certificates_of, case_view=lookups.case_view,
        linked_cases=lookups.linked_cases, deadline=deadline, procedure=procedure,
        procedure_of=lookups.procedure_or_none, procedures=registry.latest,
        case_below=lookups.case_below, cases_below=lookups.cases_below,
    )
    return ctx, lookups, settings


def case_choices(db: Transactional, registry: Registry, calendar: WorkCalendar, procedure: Procedure,
                 transition: Transition, case: CaseRow, user: Actor, now: datetime) -> dict[str, tuple[CaseView, ...]]:
    """For each field of the step with `options_from: {cases_of: <guard>}` (OptionsFrom.key), the cases that
    guard accepts, by its family's own query (`CASE_CHOICES`), seen as the guard sees them for this user."""
    wanted = {f.options_from.key: f.options_from.cases_of for f in transition.payload
              if f.options_from is not None and f.options_from.cases_of is not None}
    if not wanted:
        return {}
    ctx, _lookups, _settings = _context(db, registry, calendar, procedure, transition, case, case.data, user, {},
                                        now, [])
    out = {}
    for key, guard in wanted.items():
        listed = case_choices_of(guard or "")
        out[key] = tuple(listed(ctx)) if listed is not None else ()
    return out


def guard_reason(name: str, failure: Fail) -> Reason:
    """A failed guard as a refusal's reason: the rule, what failed, and the article."""
    guard = GUARDS[name]
    zh = f"{guard.zh}：{failure.zh}" if failure.zh else guard.zh
    en = f"{guard.en}: {failure.en}" if failure.en else guard.en
    return Reason(name, zh, en, guard.article)


def has_av_record(data: Mapping[str, Any], act: str) -> bool:
    """Is an audio-video record of `act` attached since the act was last recorded as done?"""
    last = 0
    for value in data.values():
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, Mapping) and item.get("trigger") == act:
                last = max(last, int(item.get("event_seq", 0)))
    return any(r.get("kind") == "av" and r.get("act") == act and int(r.get("event_seq", 0)) > last
               for r in data.get("records", []) if isinstance(r, Mapping))


class Lookups:
    """What a guard may ask about people and other cases, in the organisation of the step, through the
    transaction's ORM session (made only when a guard asks)."""

    def __init__(self, session: Callable[[], Session], registry: Registry, org_id: str):
        self._session, self._registry, self._org_id = session, registry, org_id

    def procedure_of(self, case: Case | CaseRow) -> Procedure:
        return self._registry.get(case.procedure, case.procedure_version)

    def procedure_or_none(self, procedure_id: str, version: int | None) -> Procedure | None:
        try:
            return self._registry.get(procedure_id, version)
        except KeyError:
            return None

    def roles_of(self, username: str) -> frozenset[str] | None:
        user = self._session().scalar(select(User).where(User.username == username))
        if user is None or not user.active or user.org_id != self._org_id:
            return None
        return frozenset(user.role_names)

    def name_of(self, username: str) -> str:
        name = self._session().scalar(select(User.display_name).where(User.username == username))
        return name or username

    def names_of(self, role: str | None) -> frozenset[str]:
        """The names of the organisation's active people (holding `role`, or any when None; never its system
        account, which is no person)."""
        return frozenset(m.name for m in accounts.members_of(self._session(), self._org_id).values()
                         if m.active and accounts.SYSTEM_ROLE not in m.roles and (role is None or role in m.roles))

    def certificates_of(self, username: str) -> list[Credential]:
        rows = self._session().scalars(
            select(EnforcementCertificate).where(EnforcementCertificate.username == username)
            .order_by(EnforcementCertificate.id)).all()
        return [Credential(r.kind, r.number, r.field, r.issued_on, r.valid_until, r.issuer) for r in rows]

    def case_view(self, case_id: str) -> CaseView | None:
        case = self._session().get(Case, case_id)
        if case is None or case.org_id != self._org_id:
            return None
        return self._view(case)

    def linked_cases(self, procedure: str, path: str, value: str) -> list[CaseView]:
        # Filtered in Python: JSON path queries differ between SQLite and PostgreSQL, and an organisation
        # has few cases of one procedure. Index the link in its own column if that ever stops being true.
        rows = self._session().scalars(select(Case).where(Case.org_id == self._org_id, Case.procedure == procedure)
                                       .order_by(Case.id)).all()
        return [self._view(r) for r in rows if at_path(r.data, path) == value]

    def case_below(self, case_id: str) -> CaseView | None:
        """A case of an organisation below the step's (the supervising level reads it, issue 14)."""
        case = self._session().get(Case, case_id)
        if case is None or case.org_id not in org_tree.descendants(self._session(), self._org_id):
            return None
        return self._view(case)

    def cases_below(self, org_id: str, procedure: str) -> list[CaseView]:
        """The cases of `procedure` in `org_id`, when it is below the step's organisation (else none)."""
        if org_id not in org_tree.descendants(self._session(), self._org_id):
            return []
        rows = self._session().scalars(select(Case).where(Case.org_id == org_id, Case.procedure == procedure)
                                       .order_by(Case.id)).all()
        return [self._view(r) for r in rows]

    def _view(self, case: Case) -> CaseView:
        try:
            state = self.procedure_of(case).states[case.state]
            label, terminal = state.label.zh, state.terminal
        except KeyError:  # a version no longer loaded: the state's name must do
            label, terminal = case.state, False
        return CaseView(case.id, case.procedure, case.state, case.data, label, case.procedure_version, case.org_id,
                        terminal)


class LazySettings(Mapping[str, Any]):
    """The organisation's settings, queried on first use: most steps have no guard that reads them."""

    def __init__(self, load: Callable[[], dict[str, Any]]):
        self._load: Callable[[], dict[str, Any]] | None = load
        self._values: dict[str, Any] = {}

    def _get(self) -> dict[str, Any]:
        if self._load is not None:
            self._values, self._load = self._load(), None
        return self._values

    def __getitem__(self, key: str) -> Any:
        return self._get()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())
