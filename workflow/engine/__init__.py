"""The engine: the single way a case changes state, and the way to ask what a change would come to.

    fire(case, trigger, actor, payload)    one unit of work: load the case under its row lock -> authorize
        (role, separation of duties) -> validate the payload -> evaluate every guard and minimum period
        -> run the transition on the shared machine -> in ONE transaction: new state, version+1, case data,
        deadlines, chained audit event.
    create_case(procedure, actor, payload) the same unit of work, opening a case.
    create_many(procedure, actor, payloads) many create_case()s in ONE transaction, all or nothing (an import).
    check(case, trigger, actor, payload)   the same checks, by the same code, in a transaction that is rolled
        back: what fire() would refuse and why, writing nothing.

A refusal changes nothing but the audit trail: its event is the only write of its transaction. Web, API,
CLI and tests all come through here; none of them holds a legal rule of its own.

The parts, each a module of this package:
  checks.py         before the guards: the procedure version, the actor, the step, the role, the payload
  guard_context.py  the guards and what they may look at (the one module that reads the guard registry)
  recording.py      what a step records beyond its form: the roll call, a record's file
  timeliness.py     the periods a step starts, ends or clears, and whether a limit was met
  refusals.py       Reason, Outcome, and recording a refusal in the case's chain or the system journal
  transaction.py    the read-only transaction of check()
  idempotency.py    a client's Idempotency-Key, kept with the outcome in the write's own transaction
  busy.py           the bounded retry of a unit of work SQLite answered with SQLITE_BUSY
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from workflow import accounts, addressee, inputs, machine, numbering, replay, store
from workflow.audit.row_replay import ROUND_INDEPENDENT
from workflow.audit.trail import append_event
from workflow.calendar import WorkCalendar, default_calendar, parse_year_notice
from workflow.clock import Clock, SystemClock, local_date, utc_stamp
from workflow.db import Work, working
from workflow.definitions import Procedure, Registry, Transition
from workflow.documents import issue as doc_issue
from workflow.documents.computing import DocumentContext
from workflow.documents.definitions import DocumentRegistry, load_documents
from workflow.engine import checks, guard_context, idempotency
from workflow.engine.busy import retrying
from workflow.engine.guard_context import guard_reason, has_av_record
from workflow.engine.idempotency import KeyReused, RequestKey
from workflow.engine.recording import (
    attachment_payload,
    check_attachment,
    publish_attachment,
    record,
    store_attachment,
    take_roll,
)
from workflow.engine.refusals import SYSTEM_PROCEDURE, Attempt, Outcome, Reason, Refused, record_refusal
from workflow.engine.timeliness import ends_minimum_period, timeliness, update_deadlines
from workflow.engine.transaction import orm, reading
from workflow.guards import CaseView
from workflow.models import Case, HolidayYear, User
from workflow.procedures import document_data
from workflow.records import RecordStore, Staged
from workflow.store import Actor, CaseRow, Transactional

__all__ = [
    "ROUND_INDEPENDENT", "SYSTEM_PROCEDURE", "Batch", "Engine", "KeyReused", "Outcome", "Reason", "Refused", "RequestKey",
    "append_event", "guard_reason", "has_av_record",
]

_record = record  # bench/scale.py builds case rows without events by the engine's own recording


@dataclass(slots=True)
class _Step:
    """A step that passed every check: what applying it needs."""

    procedure: Procedure
    transition: Transition
    case: CaseRow
    user: Actor
    role: str
    payload: dict[str, Any]
    now: datetime
    documents: list[doc_issue.Planned] | None = None  # what the step issues (workflow/documents/issue.py)
    via: str | None = None  # the integration the actor acted through (Attempt.via), recorded in the event's facts


@dataclass(frozen=True)
class Batch:
    """What create_many() came to: one Outcome per payload, in order. `ok`: every case was opened and saved.
    Otherwise nothing was saved: a refused payload's Outcome carries its reasons (and its refusal's event); an
    accepted one is ok with no case and no event, as it would have been opened with the others."""

    ok: bool
    outcomes: tuple[Outcome, ...]

    @property
    def refused(self) -> list[tuple[int, Outcome]]:
        return [(i, o) for i, o in enumerate(self.outcomes) if not o.ok]


class _BatchRefused(Exception):  # noqa: N818 - rolls create_many's transaction back; never leaves the engine
    pass


class Engine:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        registry: Registry,
        clock: Clock | None = None,
        calendar: WorkCalendar | None = None,
        records: RecordStore | None = None,
        documents: DocumentRegistry | None = None,
    ):
        self.sessions = session_factory
        self.registry = registry
        self._documents = documents
        self.clock = clock or SystemClock()
        self.records = records
        self.busy_retries = 0  # units of work run again after SQLITE_BUSY (workflow/engine/busy.py)
        self._base_calendar = calendar or default_calendar()
        self.calendar = self._base_calendar
        self.reload_calendar()

    def reload_calendar(self) -> None:
        """Pick up holiday years an administrator added (beyond the shipped State Council data)."""
        with self.sessions() as session:
            rows = session.scalars(select(HolidayYear)).all()
            extra = [parse_year_notice(r.year, r.data, origin=f"holiday_year {r.year}") for r in rows]
        self.calendar = self._base_calendar.with_years(extra)

    @property
    def documents(self) -> DocumentRegistry:
        """The document types the steps issue (definitions/documents/), loaded on first use."""
        if self._documents is None:
            self._documents = load_documents(self.registry)
        return self._documents

    # ------------------------------------------------------------ reading

    def today(self) -> date:
        return local_date(self.clock.now())

    def procedure_of(self, case: Case | CaseRow) -> Procedure:
        return self.registry.get(case.procedure, case.procedure_version)

    def creatable_procedures(self, roles: set[str]) -> list[Procedure]:
        """Procedures whose opening step these roles allow (create_case still checks everything)."""
        return [p for p in self.registry.latest() if set(p.create.roles) & roles]

    def available_steps(self, session: Session, case: Case, username: str) -> list[Transition]:
        """The steps this user's roles allow from the case's current state (check() or fire() judge the rest)."""
        user = session.scalar(select(User).where(User.username == username))
        if user is None or not user.active or not addressee.involves(case, user.org_id):
            return []
        roles = user.role_names
        return [t for t in self.procedure_of(case).triggers_from(case.state)
                if roles & set(t.roles) and addressee.acting_org(t, case) == user.org_id]

    available_transitions = available_steps  # its earlier name, still used by the pages

    # ------------------------------------------------------------ the three ways in

    def create_case(self, procedure_id: str, actor: str, payload: Any = None, *,
                    request: RequestKey | None = None, via: str | None = None) -> Outcome:
        """Open a case as `actor`. `via`: the integration (service account) the actor acts through, recorded in
        the event's facts beside the actor (docs/audit-format.md §1)."""
        attempt = Attempt.of("create", actor, payload, via)
        return self._answered(request, lambda: self._unit_of_work(
            attempt, lambda work: self._open(work, procedure_id, attempt), request))

    def create_many(self, procedure_id: str, actor: str, payloads: list[Any]) -> Batch:
        """Open a case for each payload in ONE transaction: each by exactly create_case()'s checks and writes
        (`_open`), so each has its own number, event and chain; all are saved or none is. Every payload is
        checked, also after a refused one, so that a whole import's problems are found at once. When any is
        refused, the transaction is rolled back (no case, no event of the accepted ones) and each refusal is
        then audited, as create_case() audits one: in the system journal, in a transaction of their own."""
        attempts = [Attempt.of("create", actor, payload) for payload in payloads]

        def once() -> Batch:
            found: list[tuple[Attempt, tuple[Reason, ...]]] = []
            try:
                with working(self.sessions) as work:
                    opened = []
                    for attempt in attempts:
                        try:
                            opened.append(self._open(work, procedure_id, attempt))
                        except Refused as refused:
                            found.append((attempt, refused.reasons))
                    if found:
                        raise _BatchRefused
                    return Batch(True, tuple(opened))
            except _BatchRefused:
                pass
            with working(self.sessions) as work:
                refusals = {id(a): record_refusal(work, a, reasons, self.clock.now) for a, reasons in found}
            return Batch(False, tuple(refusals.get(id(a)) or Outcome(True, None, "create") for a in attempts))

        return retrying(once, self._count_busy)

    def fire(
        self, case_id: str, trigger: str, actor: str, payload: Any = None, *, expected_version: int | None = None,
        attachment: Staged | None = None, request: RequestKey | None = None, via: str | None = None,
    ) -> Outcome:
        """Try `trigger` on the case as `actor`. Returns an Outcome; a refusal lists every reason found.

        A step that attaches a record takes the received file as `attachment` (RecordStore.stage). The file
        is kept only if the step succeeds and its transaction commits; otherwise nothing of it remains.

        `request`: the client's Idempotency-Key for this request (workflow/engine/idempotency.py): sent again,
        the first outcome comes back (`replayed`) and nothing is written; with another request, KeyReused.

        `via`: the integration (service account) the actor acts through, recorded in the event's facts."""
        attempt = Attempt.of(trigger, actor, payload, via)
        if attachment is not None:
            attempt.extra["file"] = {"name": inputs.printable(attachment.filename, 200), "size": attachment.size}
            if not attachment.too_large:
                attempt.extra["file"]["sha256"] = attachment.sha256
        recorded: list[Staged] = []

        def take(work: Work) -> Outcome:
            for staged in recorded:  # a unit of work run again after SQLITE_BUSY starts from nothing:
                if staged is not attachment:  # the documents rendered by the failed run go (the upload stays)
                    staged.discard()
            recorded.clear()
            step = self._checked(work, case_id, actor, attempt, expected_version, attachment, lock=True)
            opening = self._opening(work, step)  # a linked case the step opens: judged before anything is written
            outcome = self._apply(work, step, attachment, recorded)
            if opening is not None:
                opening()
            return outcome

        def run() -> Outcome:
            outcome = self._unit_of_work(attempt, take, request)
            if not outcome.replayed:  # (a replay wrote nothing: the first request's files are in place)
                for staged in recorded:  # its event has committed: the file moves into place (workflow/records.py)
                    publish_attachment(self.records, staged)
            return outcome

        try:
            return self._answered(request, run)
        finally:
            if attachment is not None:
                attachment.discard()  # refused, or its transaction failed: nothing of it stays
            for staged in recorded:  # a document rendered for a step that did not commit (else moved: no-op)
                staged.discard()

    def check(self, case_id: str, trigger: str, actor: str, payload: Any = None, *,
              expected_version: int | None = None, before_input: bool = False) -> Outcome:
        """What fire() would come to, by its own checks, writing nothing: no event, no refusal, no file, no
        deadline; the case row is read without a lock and the transaction rolled back. `ok` with no `seq`
        when fire() would pass, else every reason it would give.

        `before_input`: asked before the form is filled in (a page saying beforehand what a submit would be
        refused for): the payload is not validated, and a rule that cannot be judged without the form's input
        is left out."""
        attempt = Attempt.of(trigger, actor, payload)
        with reading(self.sessions) as work:
            try:
                step = self._checked(work, case_id, actor, attempt, expected_version, None, lock=False,
                                     before_input=before_input)
                if not before_input:
                    self._opening(work, step)
            except Refused as refused:
                return attempt.unchecked(refused.reasons)
        case = step.case
        to_state = machine.run(step.procedure, case.state, step.transition.trigger)
        return Outcome(True, case.id, step.transition.trigger, case.state, to_state, case_version=case.version)

    def draft_documents(self, case_id: str, trigger: str, actor: str, payload: Any = None,
                        render: Callable[[Any, Any], Any] = doc_issue.draft) -> tuple[list[Any], Outcome]:
        """The documents the step would issue, rendered as drafts (no number, no code, nothing written), with
        check()'s outcome: drafts only when the step would pass. `render(planned, org)`: the PDF preview, or
        another form of the draft (workflow/documents/word.py: DOCX)."""
        attempt = Attempt.of(trigger, actor, payload)
        with reading(self.sessions) as work:
            try:
                step = self._checked(work, case_id, actor, attempt, None, None, lock=False)
            except Refused as refused:
                return [], attempt.unchecked(refused.reasons)
            org = doc_issue.organisation(orm(work)(), step.case.org_id)
        drafts = [render(p, org) for p in step.documents or []]
        case = step.case
        to_state = machine.run(step.procedure, case.state, step.transition.trigger)
        return drafts, Outcome(True, case.id, step.transition.trigger, case.state, to_state, case_version=case.version)

    def case_choices(self, case_id: str, trigger: str, actor: str) -> dict[str, tuple[CaseView, ...]]:
        """What the step's fields with `options_from: {cases_of: <guard>}` offer the actor: the cases each guard
        accepts, by the family's own query (workflow/options_from.py), read without writing. Nothing when the
        actor may not take the step now; the guards still judge whatever is submitted."""
        with reading(self.sessions) as work:
            case = store.read_case(work, case_id) if inputs.is_clean(case_id, 40) else None
            if case is None:
                return {}
            try:
                procedure = checks.procedure_for(self.registry, case)
                user = checks.active_user(work, actor)
                if not addressee.involves(case, user.org_id):
                    return {}
                transition = checks.step_from(procedure, case.state, trigger)
                checks.authorize(procedure, transition, user, case)
            except Refused:
                return {}
            return guard_context.case_choices(work, self.registry, self.calendar, procedure, transition, case, user,
                                              self.clock.now())

    # ------------------------------------------------------------ the unit of work

    def _unit_of_work(self, attempt: Attempt, step: Callable[[Work], Outcome],
                      request: RequestKey | None = None) -> Outcome:
        """One write transaction for one attempt: `step` checks (raising Refused) and writes; a refusal is
        recorded instead, as the transaction's only write, in the case's chain once the case is known, else
        in the system journal. A request's idempotency key is read first and kept with the outcome. SQLite's
        busy state runs it again, bounded (engine/busy.py)."""
        def once() -> Outcome:
            with working(self.sessions) as work:
                if request is not None and (earlier := idempotency.recall(work, request, self.clock.now())):
                    return earlier
                try:
                    outcome = step(work)
                except Refused as refused:
                    outcome = record_refusal(work, attempt, refused.reasons, self.clock.now)
                if request is not None:
                    idempotency.remember(work, request, outcome, self.clock.now())
                return outcome

        return retrying(once, self._count_busy)

    def _count_busy(self) -> None:
        self.busy_retries += 1

    def _answered(self, request: RequestKey | None, run: Callable[[], Outcome]) -> Outcome:
        """`run` (a unit of work and its clean-up); if another request with the same key committed while it
        ran (PostgreSQL: its INSERT of the key waited for that one and failed), ours was rolled back whole and
        cleaned up like any failed write, and the other's outcome is the answer."""
        try:
            return run()
        except idempotency.KeyTaken:
            assert request is not None
            with reading(self.sessions) as work:
                earlier = idempotency.recall(work, request, self.clock.now())
            assert earlier is not None
            return earlier

    def _checked(self, work: Transactional, case_id: str, actor: str, attempt: Attempt,
                 expected_version: int | None, attachment: Staged | None, *, lock: bool,
                 before_input: bool = False) -> _Step:
        """Every check of a step on an existing case, in order, for fire() and check() alike."""
        # An id no case can have (NUL, which PostgreSQL cannot even compare; too long) is looked up nowhere.
        load = store.lock_case if lock else store.read_case
        case = load(work, case_id) if inputs.is_clean(case_id, 40) else None
        if case is None:
            shown = inputs.printable(case_id, 40)
            attempt.extra["case"] = shown
            raise Refused(Reason("unknown_case", f"案件「{shown}」不存在", f"case {shown!r} does not exist"))
        # Read under the case's lock: an event stamped before it could land after a later one's.
        now = self.clock.now()
        attempt.on(case, now)
        procedure = checks.procedure_for(self.registry, case)
        attempt.procedure = procedure.ref
        user = checks.active_user(work, actor)
        # Acting stays local (or with the organisation the case is addressed to), before anything else is told.
        if not addressee.involves(case, user.org_id):
            raise checks.other_organisation(orm(work)(), user, case)
        checks.current(case, expected_version)
        transition = checks.step_from(procedure, case.state, attempt.trigger)
        attempt.role = role = checks.authorize(procedure, transition, user, case)
        if before_input:  # the form's input is still to come: nothing to validate, no roll call, no file
            clean = dict(attempt.raw_payload) if isinstance(attempt.raw_payload, dict) else {}
        else:
            clean = checks.validate(transition, attempt.raw_payload)
            if transition.roll_call is not None:  # before the guards: a quorum rule reads who is absent
                clean = take_roll(orm(work)(), transition, clean, user.org_id)
            check_attachment(self.records, transition, clean, attachment)
        # The case's deadlines matter to the guards only if this step ends a minimum period.
        deadlines = store.load_deadlines(work, case.id) if ends_minimum_period(procedure, transition.trigger) else []
        issuing, problems = [], []
        if not before_input and self.documents.issued_by(procedure.id, transition.trigger):
            # The step's documents, judged like its guards on the same data (their contents, 代字, fonts).
            session = orm(work)()
            settings = self._settings(session, user.org_id)

            def computed(doc: Any) -> dict[str, Any]:  # a document's values its family computes from the records
                compute = document_data(doc.key)
                return compute(DocumentContext(session, self.registry, case, clean, settings)) if compute else {}

            issuing, problems = doc_issue.plan(
                self.documents, procedure, transition, case.data, clean, doc_issue.organisation(session, user.org_id),
                settings, self.records, local_date(now), computed)
        found = tuple(Reason(p.code, p.zh, p.en, p.article, p.field) for p in problems)
        try:
            clean = guard_context.evaluate(work, self.registry, self.calendar, procedure, transition, case,
                                           case.data, user, clean, now, deadlines, before_input=before_input)
        except Refused as refused:
            raise Refused(*refused.reasons, *found) from None
        if found:
            raise Refused(*found)
        return _Step(procedure, transition, case, user, role, clean, now, issuing, attempt.via)

    def _apply(self, work: Work, step: _Step, attachment: Staged | None, recorded: list[Staged]) -> Outcome:
        procedure, transition, case, now = step.procedure, step.transition, step.case, step.now
        payload = step.payload
        if attachment is not None and transition.attachment:
            payload = attachment_payload(attachment, payload, case.state)
        from_state = case.state
        to_state = machine.run(procedure, from_state, transition.trigger)
        issued: list[doc_issue.Issued] = []
        if step.documents:  # numbered and rendered once, here; the event fixes their hashes
            assert self.records is not None  # plan() refused otherwise
            session = orm(work)()
            issued = doc_issue.issue(session, step.documents, case.org_id,
                                     doc_issue.organisation(session, case.org_id), self.records, now)
            payload = doc_issue.fill_number(issued, payload)
        try:
            return self._write(work, step, payload, from_state, to_state, issued, attachment, recorded)
        except BaseException:
            doc_issue.discard(issued)  # the step failed: its rendered PDFs go
            raise

    def _write(self, work: Work, step: _Step, payload: dict[str, Any], from_state: str, to_state: str,
               issued: list[doc_issue.Issued], attachment: Staged | None, recorded: list[Staged]) -> Outcome:
        procedure, transition, case, now = step.procedure, step.transition, step.case, step.now
        # The verdicts on the deadlines this step ends come from the deadline rows, not from the event: they
        # travel in the event's hashed `facts`, so that replay (and the auditor) rebuild the same data.
        verdicts = timeliness(work, procedure, case.id, transition.trigger, payload, local_date(now))
        event = append_event(
            work, case, kind="record_attached" if transition.attachment else "transition", at=utc_stamp(now),
            procedure=procedure.ref, trigger=transition.trigger, from_state=from_state, to_state=to_state,
            actor=step.user.username, role=step.role, payload=payload,
            facts={**({"timeliness": verdicts} if verdicts else {}),
                   **({"documents": [i.fact() for i in issued]} if issued else {}),
                   **({"via": step.via} if step.via else {})} or None,
        )
        # The new row is the replay of this event on the old one (workflow/replay.py), as verify recomputes it.
        row = replay.advance(case, {**event.body, "hash": event.hash}, transition)
        case.data, case.state, case.version = row["data"], row["state"], row["version"]
        store.save_case(work, case, now)
        update_deadlines(work, procedure, case.id, transition.trigger, payload, local_date(now), self.calendar,
                         self._setting_of(work, case.org_id), case.data)
        if attachment is not None and transition.attachment:
            # The file stays staged, named by its hash, until the event has committed; fire() then moves it
            # into place. A crash in between is rolled forward (workflow/records.py): never an orphan.
            store_attachment(self.records, attachment, recorded)
        if issued:
            assert self.records is not None
            doc_issue.record(orm(work)(), issued, case.org_id, case.id, event.seq, now)
            doc_issue.keep(issued, recorded)  # moved into place after the commit, as an attachment
        return Outcome(True, case.id, transition.trigger, from_state, to_state, event.seq, event.hash, (),
                       case.version)

    def _opening(self, work: Work, step: _Step) -> Callable[[], Outcome] | None:
        """The case the step opens, linked to this one (the definition's `opens:`, workflow/case_links.py), by
        create_case()'s own checks, now (Refused: the step is refused with its reasons, nothing written), and
        its writes, for the step's transaction once the step is applied: both or neither."""
        opens = next((o for o in step.procedure.opens
                      if o.step == step.transition.trigger and o.applies(step.payload)), None)
        if opens is None:
            return None
        target = checks.procedure_named(self.registry, opens.procedure)
        lists = frozenset(f.name for f in target.create.payload if f.type == "string_list")
        payload = opens.payload(step.case.id, step.case.data, step.payload, lists)
        return self._open_checked(work, opens.procedure, Attempt.of("create", step.user.username, payload))

    def _open(self, work: Work, procedure_id: str, attempt: Attempt) -> Outcome:
        """create_case's checks and writes: the opening step of the newest version of the procedure."""
        return self._open_checked(work, procedure_id, attempt)()

    def _open_checked(self, work: Work, procedure_id: str, attempt: Attempt) -> Callable[[], Outcome]:
        """create_case's checks (raising Refused before anything is written) and then its writes, returned."""
        procedure = checks.procedure_named(self.registry, procedure_id)
        attempt.procedure = procedure.ref
        now = self.clock.now()  # SQLite: the write lock is held from BEGIN IMMEDIATE on
        user = checks.active_user(work, attempt.actor)
        attempt.role = role = checks.authorize(procedure, procedure.create, user, None)
        payload = checks.validate(procedure.create, attempt.raw_payload)
        payload = guard_context.evaluate(work, self.registry, self.calendar, procedure, procedure.create, None, {},
                                         user, payload, now, [])
        session = work.session
        addressed = checks.addressed_below(session, procedure, user, payload)
        if numbering.held(session, user.org_id):  # a restored older backup: a number is never issued twice
            raise Refused(Reason(
                "case_numbering_held",
                "本单位的案件编号已暂停：恢复的数据库可能落后于已发出的编号，请运维人员运行 lawflow case-numbers advance 后再立案",
                "case numbering of this organisation is held: the restored database may be behind numbers already "
                "issued; an operator must run `lawflow case-numbers advance` before a case can be opened"))
        return lambda: self._open_write(work, procedure, user, role, payload, now, addressed, attempt.facts())

    def _open_write(self, work: Work, procedure: Procedure, user: Actor, role: str, payload: dict[str, Any],
                    now: datetime, addressed: str | None, facts: dict[str, Any]) -> Outcome:
        session = work.session
        # The organisation's own series, its counter row locked until this commits; the opening time is
        # read under that lock, so a later number never opens earlier (workflow/numbering.py).
        case_id, now = numbering.allocate(session, user.org_id, procedure.id, self.clock, now)
        case = Case(
            id=case_id, org_id=user.org_id, procedure=procedure.id,
            procedure_version=procedure.version, title=payload.get("title", ""), state=procedure.initial,
            version=1, data={}, created_by=user.username, created_at=now, updated_at=now,
            audit_seq=0, audit_head="0" * 64, addressee_org_id=addressed,
        )
        session.add(case)
        session.flush()
        event = append_event(
            session, case, kind="created", at=utc_stamp(now), procedure=procedure.ref, trigger="create",
            to_state=procedure.initial, actor=user.username, role=role, payload=payload,
            facts=facts or None,
        )
        # The new row is the replay of its first event (workflow/replay.py), as verify recomputes it.
        row = replay.advance(None, {**event.body, "hash": event.hash}, procedure.create)
        case.title, case.state, case.version, case.data = row["title"], row["state"], row["version"], row["data"]
        update_deadlines(session, procedure, case.id, "create", payload, local_date(now), self.calendar,
                         self._setting_of(session, user.org_id), case.data)
        return Outcome(True, case.id, "create", None, case.state, event.seq, event.hash, (), case.version)

    def _settings(self, session: Session, org_id: str) -> dict[str, Any]:
        return accounts.setting_values(session, org_id)

    def _setting_of(self, db: Transactional, org_id: str) -> Callable[[str], Any]:
        """One setting of the organisation, read when a period's length needs it."""
        return lambda key: self._settings(orm(db)(), org_id)[key]
