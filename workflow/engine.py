"""fire(): the single way a case changes state.

    load the case under its row lock -> authorize (role, separation of duties) -> validate the payload
    -> evaluate every guard and minimum period -> run the transition on the shared machine
    -> in ONE transaction: new state, version+1, case data, deadlines, chained audit event.

A refusal changes nothing but the audit trail: its event is the only write of its transaction. Web, API,
CLI and tests all come through here; none of them holds a legal rule of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from workflow import accounts, inputs, machine, numbering, replay, store, typed_dates
from workflow.audit.trail import append_event, safe_payload
from workflow.audit.verifier import ROUND_INDEPENDENT as ROUND_INDEPENDENT  # re-exported: replay's, kept here
from workflow.audit.verifier import record_step
from workflow.calendar import WorkCalendar, default_calendar, parse_year_notice
from workflow.clock import Clock, SystemClock, local_date, utc_stamp
from workflow.conflicts import clashes
from workflow.db import working, writing
from workflow.deadlines import start_period
from workflow.definitions import Procedure, Registry, Transition
from workflow.guards import CaseView, Credential, Fail, GuardContext
from workflow.models import (
    SYSTEM_JOURNAL_ID,
    AuditJournal,
    Case,
    EnforcementCertificate,
    HolidayYear,
    RoleAssignment,
    User,
)
from workflow.payloads import load_payload
from workflow.procedures import GUARDS
from workflow.records import FORMATS, RecordStore, Staged, StoredRecord
from workflow.store import Actor, CaseRow, DeadlineRow, Transactional


@dataclass(frozen=True)
class Reason:
    """Why an attempt was refused: a stable code, the article, and the message in Chinese and English."""

    code: str
    zh: str
    en: str
    article: str = ""
    field: str = ""

    def as_record(self) -> dict[str, str]:
        record = {"code": self.code, "zh": self.zh, "en": self.en, "article": self.article}
        if self.field:
            record["field"] = self.field
        return record

    def text(self, lang: str = "zh") -> str:
        message = self.en if lang == "en" else self.zh
        return f"{message}（{self.article}）" if self.article and lang != "en" else (
            f"{message} ({self.article})" if self.article else message)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    case_id: str | None
    trigger: str
    from_state: str | None = None
    to_state: str | None = None
    seq: int | None = None
    event_hash: str | None = None
    reasons: tuple[Reason, ...] = ()
    case_version: int | None = None

    @property
    def codes(self) -> list[str]:
        return [r.code for r in self.reasons]


SYSTEM_PROCEDURE = "system@1"


class Refused(Exception):  # noqa: N818 - internal control flow, never escapes the engine
    def __init__(self, *reasons: Reason):
        self.reasons = reasons


@dataclass
class _Attempt:
    """What the engine knows about an attempt so far, so that a refusal can be recorded faithfully."""

    trigger: str
    actor: str
    raw_payload: Any
    from_state: str | None = None
    role: str | None = None
    procedure: str = SYSTEM_PROCEDURE  # refusals that reach no procedure are recorded under this ref
    extra: dict[str, Any] = field(default_factory=dict)


class Engine:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        registry: Registry,
        clock: Clock | None = None,
        calendar: WorkCalendar | None = None,
        records: RecordStore | None = None,
    ):
        self.sessions = session_factory
        self.registry = registry
        self.clock = clock or SystemClock()
        self.records = records
        self._base_calendar = calendar or default_calendar()
        self.calendar = self._base_calendar
        self.reload_calendar()

    # ------------------------------------------------------------ calendar

    def reload_calendar(self) -> None:
        """Pick up holiday years an administrator added (beyond the shipped State Council data)."""
        with self.sessions() as session:
            rows = session.scalars(select(HolidayYear)).all()
            extra = [parse_year_notice(r.year, r.data, origin=f"holiday_year {r.year}") for r in rows]
        self.calendar = self._base_calendar.with_years(extra)

    # ------------------------------------------------------------ reading helpers

    def today(self) -> date:
        return local_date(self.clock.now())

    def procedure_of(self, case: Case | CaseRow) -> Procedure:
        return self.registry.get(case.procedure, case.procedure_version)

    def creatable_procedures(self, roles: set[str]) -> list[Procedure]:
        """Procedures whose opening step these roles allow (create_case still checks everything)."""
        return [p for p in self.registry.latest() if set(p.create.roles) & roles]

    def available_transitions(self, session: Session, case: Case, username: str) -> list[Transition]:
        """The steps this user's roles allow from the case's current state (guards are checked on fire)."""
        user = session.scalar(select(User).where(User.username == username))
        if user is None or not user.active or user.org_id != case.org_id:
            return []
        procedure = self.procedure_of(case)
        roles = user.role_names
        return [t for t in procedure.triggers_from(case.state) if roles & set(t.roles)]

    # ------------------------------------------------------------ creating a case

    def create_case(self, procedure_id: str, actor: str, payload: Any = None) -> Outcome:
        attempt = _Attempt(trigger="create", actor=_recordable(actor, 64), raw_payload=payload)
        try:
            procedure = self.registry.get(procedure_id)
        except KeyError:
            shown = inputs.printable(procedure_id, 64)  # whatever was sent, shown escaped and cut
            return self._refuse_journal(attempt, Reason(
                "unknown_procedure", f"没有名为「{shown}」的程序", f"no procedure named {shown!r}"))
        attempt.procedure = procedure.ref
        return self._create(procedure, attempt)

    def _create(self, procedure: Procedure, attempt: _Attempt) -> Outcome:
        with writing(self.sessions) as session:
            now = self.clock.now()  # SQLite: the write lock is held from BEGIN IMMEDIATE on
            try:
                user = self._user(session, attempt.actor)
                role = self._authorize(session, procedure, procedure.create, user, None, attempt)
                payload = self._validate(procedure.create, attempt.raw_payload)
                payload = self._check_guards(session, procedure, procedure.create, None, {}, user, payload, now, [])
            except Refused as refused:
                return self._record_refusal_in_journal(session, attempt, refused.reasons)
            # The organisation's own series, its counter row locked until this commits; the opening time is
            # read under that lock, so a later number never opens earlier (workflow/numbering.py).
            case_id, now = numbering.allocate(session, user.org_id, procedure.id, self.clock, now)
            case = Case(
                id=case_id, org_id=user.org_id, procedure=procedure.id,
                procedure_version=procedure.version, title=payload.get("title", ""), state=procedure.initial,
                version=1, data={}, created_by=user.username, created_at=now, updated_at=now,
                audit_seq=0, audit_head="0" * 64,
            )
            session.add(case)
            session.flush()
            event = append_event(
                session, case, kind="created", at=utc_stamp(now), procedure=procedure.ref, trigger="create",
                to_state=procedure.initial, actor=user.username, role=role, payload=payload,
            )
            # The new row is the replay of its first event (workflow/replay.py), as verify recomputes it.
            row = replay.advance(None, {**event.body, "hash": event.hash}, procedure.create)
            case.title, case.state, case.version, case.data = row["title"], row["state"], row["version"], row["data"]
            self._update_deadlines(session, procedure, case.id, user.org_id, "create", payload, local_date(now))
            return Outcome(True, case.id, "create", None, case.state, event.seq, event.hash, (), case.version)

    # ------------------------------------------------------------ firing a transition

    def fire(
        self, case_id: str, trigger: str, actor: str, payload: Any = None, *, expected_version: int | None = None,
        attachment: Staged | None = None,
    ) -> Outcome:
        """Try `trigger` on the case as `actor`. Returns an Outcome; a refusal lists every reason found.

        A step that attaches a record takes the received file as `attachment` (RecordStore.stage). The file
        is kept only if the step succeeds and its transaction commits; otherwise nothing of it remains."""
        stored: list[StoredRecord] = []
        try:
            outcome = self._fire(case_id, trigger, actor, payload, expected_version, attachment, stored)
        except BaseException:
            for record in stored:  # the event that named it was rolled back
                if self.records is not None:
                    self.records.remove_uncommitted(record)
            raise
        finally:
            if attachment is not None:
                attachment.discard()
        return outcome

    def _fire(self, case_id: str, trigger: str, actor: str, payload: Any, expected_version: int | None,
              attachment: Staged | None, stored: list[StoredRecord]) -> Outcome:
        # What the event records of the attempt fits its columns and the canonical profile, whatever was sent.
        attempt = _Attempt(trigger=_recordable(trigger, 64), actor=_recordable(actor, 64), raw_payload=payload)
        trigger = attempt.trigger
        if attachment is not None:
            attempt.extra["file"] = {"name": inputs.printable(attachment.filename, 200), "size": attachment.size}
            if not attachment.too_large:
                attempt.extra["file"]["sha256"] = attachment.sha256
        with working(self.sessions) as session:
            # An id no case can have (NUL, which PostgreSQL cannot even compare; too long) is looked up nowhere.
            case = store.lock_case(session, case_id) if inputs.is_clean(case_id, 40) else None
            if case is None:
                shown = inputs.printable(case_id, 40)
                attempt.extra["case"] = shown
                return self._record_refusal_in_journal(session, attempt, (Reason(
                    "unknown_case", f"案件「{shown}」不存在", f"case {shown!r} does not exist"),))
            # Read under the case's lock: an event stamped before it could land after a later one's.
            now = self.clock.now()
            attempt.from_state = case.state
            attempt.procedure = f"{case.procedure}@{case.procedure_version}"
            try:
                procedure = self._procedure_for(case)
                attempt.procedure = procedure.ref
                user = self._user(session, actor)
                if expected_version is not None and expected_version != case.version:
                    raise Refused(Reason(
                        "stale", f"案件已被他人更新（当前版本{case.version}，提交时版本{expected_version}），请刷新后重试",
                        f"the case changed meanwhile (version {case.version}, you had {expected_version})"))
                transition = self._transition(procedure, case.state, trigger)
                attempt.role = self._authorize(session, procedure, transition, user, case, attempt)
                clean = self._validate(transition, payload)
                if transition.roll_call is not None:  # before the guards: a quorum rule reads who is absent
                    clean = self._take_roll(_orm(session)(), transition, clean, user.org_id)
                self._check_attachment(transition, clean, attachment)
                # The case's deadlines matter to the guards only if this step ends a minimum period.
                clean = self._check_guards(session, procedure, transition, case, case.data, user, clean, now,
                                           store.load_deadlines(session, case.id)
                                           if _ends_minimum_period(procedure, trigger) else [])
            except Refused as refused:
                return self._record_refusal(session, case, attempt, refused.reasons, now)
            if attachment is not None and transition.attachment:
                clean = self._attachment_payload(attachment, clean, case.state)
            outcome = self._apply(session, procedure, transition, case, user, attempt.role or "", clean, now)
            if attachment is not None and transition.attachment:
                # The file moves into the store last, when every row is written and only the commit remains:
                # a crash before this line leaves a temporary file, never a stored one no event names; a crash
                # in the commit itself leaves an orphan that `lawflow records check --sweep` removes.
                self._store_attachment(attachment, stored)
            return outcome

    def _apply(self, session: Transactional, procedure: Procedure, transition: Transition, case: CaseRow, user: Actor,
               role: str, payload: dict[str, Any], now: datetime) -> Outcome:
        from_state = case.state
        to_state = machine.run(procedure, from_state, transition.trigger)
        # The verdicts on the deadlines this step ends come from the deadline rows, not from the event: they
        # travel in the event's hashed `facts`, so that replay (and the auditor) rebuild the same data.
        timeliness = self._timeliness(session, procedure, case.id, transition.trigger, payload, local_date(now))
        event = append_event(
            session, case, kind="record_attached" if transition.attachment else "transition", at=utc_stamp(now), procedure=procedure.ref,
            trigger=transition.trigger, from_state=from_state, to_state=to_state, actor=user.username,
            role=role, payload=payload, facts={"timeliness": timeliness} if timeliness else None,
        )
        # The new row is the replay of this event on the old one (workflow/replay.py), as verify recomputes it.
        row = replay.advance(case, {**event.body, "hash": event.hash}, transition)
        case.data, case.state, case.version = row["data"], row["state"], row["version"]
        store.save_case(session, case, now)
        self._update_deadlines(session, procedure, case.id, case.org_id, transition.trigger, payload,
                               local_date(now))
        return Outcome(True, case.id, transition.trigger, from_state, to_state, event.seq, event.hash, (),
                       case.version)

    # ------------------------------------------------------------ the checks, in order

    def _procedure_for(self, case: CaseRow) -> Procedure:
        try:
            return self.procedure_of(case)
        except KeyError:
            raise Refused(Reason(
                "procedure_unavailable",
                f"本案适用的程序版本 {case.procedure}@{case.procedure_version} 未加载",
                f"the case's procedure version {case.procedure}@{case.procedure_version} is not loaded")) from None

    def _user(self, session: Transactional, username: str) -> Actor:
        # One query for the user and its roles (every check below reads user.role_names).
        user = store.load_actor(session, username) if inputs.is_clean(username, 64) else None
        if user is None or not user.active:
            shown = inputs.printable(username, 64)
            raise Refused(Reason("unknown_user", f"用户「{shown}」不存在或已停用",
                                 f"user {shown!r} does not exist or is disabled"))
        return user

    def _transition(self, procedure: Procedure, state: str, trigger: str) -> Transition:
        transition = procedure.transition(trigger, state)
        if transition is not None:
            return transition
        label = procedure.states[state].label
        allowed = [t.label.zh for t in procedure.triggers_from(state)]
        if trigger not in procedure.triggers:
            raise Refused(Reason("unknown_trigger", f"程序「{procedure.label.zh}」没有「{trigger}」这一步骤",
                                 f"{procedure.ref} has no step {trigger!r}"))
        step = next(t for t in procedure.transitions if t.trigger == trigger)
        raise Refused(Reason(
            "not_allowed_in_state",
            f"当前阶段「{label.zh}」不能进行「{step.label.zh}」；可进行：{'、'.join(allowed) or '无'}",
            f"'{step.label.en}' is not possible in state '{label.en}'", step.basis))

    def _authorize(self, session: Transactional, procedure: Procedure, transition: Transition, user: Actor,
                   case: CaseRow | None, attempt: _Attempt) -> str:
        held = [r for r in transition.roles if r in user.role_names]
        if case is not None and user.org_id != case.org_id:
            held = []
        if not held:
            names = [procedure.roles[r] for r in transition.roles]
            raise Refused(Reason(
                "role_not_allowed", f"「{transition.label.zh}」须由{'或'.join(n.zh for n in names)}办理",
                f"'{transition.label.en}' needs the role {' or '.join(n.en for n in names)}",
                transition.basis))
        # Separation of duties needs the payload (a hearing chair is named in it): see _check_guards.
        attempt.role = held[0]
        return held[0]

    def _validate(self, transition: Transition, payload: Any) -> dict[str, Any]:
        # A step with a date field also takes the generic late-entry reason (workflow/typed_dates.py).
        payload, late_reason = typed_dates.split_reason(transition, payload)
        clean, problems = load_payload(transition.schema, transition.payload, payload)
        problems = [*problems, *typed_dates.reason_problems(late_reason)]
        if problems:
            raise Refused(*(Reason("invalid_payload", p["zh"], p["en"], transition.basis, p["field"])
                            for p in problems))
        return typed_dates.with_reason(clean, late_reason)

    def _check_attachment(self, transition: Transition, payload: dict[str, Any], attachment: Staged | None) -> None:
        """The file of a record (处罚法第四十七条): present, not empty, within the limit, of the declared format."""
        basis = transition.basis
        if not transition.attachment:
            if attachment is not None:
                raise Refused(Reason("attachment_not_accepted", f"「{transition.label.zh}」不接受附件",
                                     f"'{transition.label.en}' takes no file", basis, "file"))
            return
        if attachment is None:
            raise Refused(Reason("record_file_missing", "未上传记录文件", "no file was uploaded", basis, "file"))
        if self.records is None:
            raise Refused(Reason("record_store_unavailable", "本系统未配置记录文件存储目录，无法保存记录文件",
                                 "this installation has no records folder configured", basis, "file"))
        # The name is kept with the record and offered as the download's name: it must show what the file is.
        attachment.filename, bad_name = inputs.filename(attachment.filename)
        if bad_name is not None:
            raise Refused(Reason("record_filename_invalid", f"{bad_name.zh}，请改名后重新上传",
                                 f"{bad_name.en}; rename the file and upload it again", basis, "file"))
        if attachment.too_large:
            limit = _megabytes(attachment.limit)
            raise Refused(Reason("record_too_large", f"文件超过上传上限{limit}，未予保存",
                                 f"the file exceeds the upload limit of {limit}; nothing was kept", basis, "file"))
        if attachment.size == 0:
            raise Refused(Reason("record_empty", "上传的文件为空", "the uploaded file is empty", basis, "file"))
        declared = FORMATS[payload["format"]]
        if attachment.sniffed != declared.name:
            found = FORMATS[attachment.sniffed].label if attachment.sniffed else "无法识别的格式"
            raise Refused(Reason(
                "record_format_mismatch", f"文件内容为「{found}」，与声明的格式「{declared.label}」不符",
                f"the file's content is {attachment.sniffed or 'of no accepted format'}, not the declared "
                f"{declared.name}", basis, "format"))

    def _attachment_payload(self, attachment: Staged, payload: dict[str, Any], stage: str) -> dict[str, Any]:
        """The checked file's hash and size go into the event's payload, and the record's kind (text / av)
        where the step does not ask for it: that of the declared format."""
        extra: dict[str, Any] = {"sha256": attachment.sha256, "size": attachment.size, "stage": stage}
        if "kind" not in payload:
            extra["kind"] = FORMATS[payload["format"]].kind
        if attachment.filename:
            extra["filename"] = attachment.filename
        return {**payload, **extra}

    def _store_attachment(self, attachment: Staged, stored: list[StoredRecord]) -> None:
        """Move the checked file to its content address (fire() removes it again if the commit fails)."""
        assert self.records is not None  # _check_attachment refused otherwise
        stored.append(self.records.commit(attachment))

    def _check_guards(self, session: Transactional, procedure: Procedure, transition: Transition,
                      case: CaseRow | None, data: dict[str, Any], user: Actor, payload: dict[str, Any],
                      now: datetime, deadlines: list[DeadlineRow]) -> dict[str, Any]:
        """Every guard, period and declared rule of the step; refused with all the reasons found, or the payload
        to record: a late entry (补录) says so in it (workflow/typed_dates.py), judged on the same settings."""
        orm = _orm(session)  # a Work makes its ORM session only if a guard below reads through it
        settings = _LazySettings(lambda: self._settings(orm(), user.org_id))  # read only if a guard asks
        running: dict[str, DeadlineRow] | None = None

        def deadline(name: str) -> DeadlineRow | None:  # the case's periods, read only if a guard asks
            nonlocal running
            if running is None:
                rows = deadlines or (store.load_deadlines(session, case.id) if case is not None else [])
                running = {d.name: d for d in rows}
            return running.get(name)

        # An act performed in person (the definition's in_person block) is judged on its own day.
        act = procedure.in_person.acts.get(transition.trigger) if procedure.in_person and case else None
        act_on = date.fromisoformat(payload[act.date]) if act and act.date and payload.get(act.date) else None
        ctx = GuardContext(
            act_on=act_on, act_officers=tuple(payload.get(act.officers) or ()) if act and act.officers else None,
            trigger=transition.trigger, state=case.state if case else "", payload=payload, data=data,
            actor=user.username, actor_roles=user.role_names, now=now, today=local_date(now),
            calendar=self.calendar, settings=settings, roles_of=lambda u: self._roles_of(orm(), u, user.org_id),
            name_of=lambda u: self._name_of(orm(), u), case_id=case.id if case else "",
            certificates_of=lambda u: self._certificates_of(orm(), u),
            case_view=lambda cid: self._case_view(orm(), cid, user.org_id),
            linked_cases=lambda p, path, value: self._linked_cases(orm(), user.org_id, p, path, value),
            deadline=deadline,
            procedure=procedure, procedure_of=self._procedure_or_none,
        )
        reasons: list[Reason] = []
        for name in (*transition.guards, *([procedure.in_person.rule] if act and procedure.in_person else [])):
            failure = GUARDS[name].fn(ctx)
            if failure is not None:
                reasons.append(guard_reason(name, failure))
        if case is not None and procedure.conflicts_of(transition.trigger):
            reasons.extend(Reason("separation_of_duties", c.zh, c.en, c.article) for c in clashes(
                orm(), self.procedure_of, procedure, transition, case.id, case.org_id, data, payload,
                user.username, ctx.name_of))
        for deadline in deadlines:
            spec = procedure.deadlines.get(deadline.name)
            if spec and spec.kind == "minimum" and transition.trigger in spec.ends_on and deadline.due is not None \
                    and ctx.today <= deadline.due:
                reasons.append(Reason(
                    f"minimum_period:{spec.name}",
                    f"「{spec.label.zh}」至{deadline.due.isoformat()}届满，届满后方可办理"
                    + ("（期限含尚无节假日安排的年份，为推算日期）" if deadline.provisional else ""),
                    f"the {spec.label.en} runs until {deadline.due.isoformat()}; this step is possible after it",
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
        # Typed dates: none in the future, pairs in legal order, a late entry with its reason.
        reasons.extend(Reason(p.code, p.zh, p.en, p.article, p.field)
                       for p in typed_dates.problems(procedure, transition, data, payload, ctx.today, settings))
        if reasons:
            raise Refused(*reasons)
        return typed_dates.mark(transition, payload, ctx.today, settings)

    def _settings(self, session: Session, org_id: str) -> dict[str, Any]:
        return accounts.setting_values(session, org_id)

    def _name_of(self, session: Session, username: str) -> str:
        name = session.scalar(select(User.display_name).where(User.username == username))
        return name or username

    def _certificates_of(self, session: Session, username: str) -> list[Credential]:
        rows = session.scalars(select(EnforcementCertificate).where(EnforcementCertificate.username == username)
                               .order_by(EnforcementCertificate.id)).all()
        return [Credential(r.kind, r.number, r.field, r.issued_on, r.valid_until, r.issuer) for r in rows]

    def _case_view(self, session: Session, case_id: str, org_id: str) -> CaseView | None:
        case = session.get(Case, case_id)
        if case is None or case.org_id != org_id:
            return None
        return self._view(case)

    def _linked_cases(self, session: Session, org_id: str, procedure: str, path: str, value: str) -> list[CaseView]:
        # Filtered in Python: JSON path queries differ between SQLite and PostgreSQL, and an organisation
        # has few cases of one procedure. Index the link in its own column if that ever stops being true.
        rows = session.scalars(select(Case).where(Case.org_id == org_id, Case.procedure == procedure)
                               .order_by(Case.id)).all()
        return [self._view(r) for r in rows if _at_path(r.data, path) == value]

    def _view(self, case: Case) -> CaseView:
        try:
            label = self.procedure_of(case).states[case.state].label.zh
        except KeyError:  # a version no longer loaded: the state's name must do
            label = case.state
        return CaseView(case.id, case.procedure, case.state, case.data, label, case.procedure_version)

    def _procedure_or_none(self, procedure_id: str, version: int | None) -> Procedure | None:
        try:
            return self.registry.get(procedure_id, version)
        except KeyError:
            return None

    def _roles_of(self, session: Session, username: str, org_id: str) -> frozenset[str] | None:
        user = session.scalar(select(User).where(User.username == username))
        if user is None or not user.active or user.org_id != org_id:
            return None
        return frozenset(user.role_names)

    def _take_roll(self, session: Session, transition: Transition, payload: dict[str, Any],
                   org_id: str) -> dict[str, Any]:
        """The payload with the body's members not listed as present recorded as absent (in the event itself,
        so that the case data stays a function of its events), by user name."""
        spec = transition.roll_call
        assert spec is not None
        members = session.scalars(
            select(User.username).join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(User.org_id == org_id, User.active.is_(True), RoleAssignment.role.in_(spec.body))
            .distinct().order_by(User.username)).all()
        present = set(payload.get(spec.present) or ())
        return {**payload, spec.absent: [m for m in members if m not in present]}

    # ------------------------------------------------------------ deadlines

    def _timeliness(self, session: Transactional, procedure: Procedure, case_id: str, trigger: str,
                    payload: dict[str, Any], today: date) -> dict[str, Any]:
        """For each running limit this step ends: its due date and whether it was met. A late step is recorded
        as late, never refused (e.g. a publication after its period is still due, 处罚法第四十八条)."""
        specs = [s for s in procedure.deadlines.values() if s.kind == "limit" and trigger in s.ends_on]
        if not specs:
            return {}
        running = {d.name: d for d in store.load_deadlines(session, case_id)}
        result: dict[str, Any] = {}
        for spec in specs:
            row = running.get(spec.name)
            if row is None:
                continue
            ended = date.fromisoformat(payload[spec.end_from]) if spec.end_from else today
            result[spec.name] = {"due": row.due.isoformat(), "ended_on": ended.isoformat(),
                                 "on_time": ended <= row.due,
                                 # a verdict judged by a date entered late says so, with the day of entry
                                 **typed_dates.verdict_marks(payload, spec.end_from)}
        return result

    def _update_deadlines(self, session: Transactional, procedure: Procedure, case_id: str, org_id: str, trigger: str,
                          payload: dict[str, Any], today: date) -> None:
        if not any(trigger in spec.starts_on or trigger in spec.ends_on or trigger in spec.cleared_on
                   for spec in procedure.deadlines.values()):
            return  # this step starts, ends and clears no period: nothing to load or change
        current = {d.name: d for d in store.load_deadlines(session, case_id)}
        for spec in procedure.deadlines.values():
            if (trigger in spec.ends_on or trigger in spec.cleared_on) and spec.name in current:
                store.delete_deadline(session, current.pop(spec.name))
            if trigger not in spec.starts_on:
                continue
            # an n_setting is present and valid here: _check_guards refused the step otherwise
            period = start_period(spec, payload, today, self.calendar,
                                  lambda key: self._settings(_orm(session)(), org_id)[key])
            row = current.get(spec.name)
            new = row is None
            row = row or DeadlineRow(case_id=case_id, name=spec.name)
            row.kind, row.started_on, row.due, row.n, row.unit = spec.kind, period.start, period.due, period.n, spec.unit
            row.provisional, row.basis = period.provisional, spec.basis
            store.save_deadline(session, row, new=new)

    # ------------------------------------------------------------ refusals

    def _record_refusal(self, session: Transactional, case: CaseRow, attempt: _Attempt, reasons: tuple[Reason, ...],
                        now: datetime) -> Outcome:
        # Nothing of the attempt is on the row: fire() changes `case` only in _apply, after every check.
        payload = safe_payload(attempt.raw_payload)
        if attempt.extra:  # e.g. the file a refused record attachment brought (its hash and size, not its content)
            payload = {"attempt": attempt.extra, "payload": payload}
        event = append_event(
            session, case, kind="refused", at=utc_stamp(now), procedure=attempt.procedure,
            trigger=attempt.trigger, from_state=attempt.from_state, to_state=attempt.from_state,
            actor=attempt.actor, role=attempt.role, payload=payload,
            reasons=[r.as_record() for r in reasons],
        )
        store.save_chain_head(session, case)
        return Outcome(False, case.id, attempt.trigger, attempt.from_state, attempt.from_state, event.seq,
                       event.hash, tuple(reasons), case.version)

    def _record_refusal_in_journal(self, session: Transactional, attempt: _Attempt,
                                   reasons: tuple[Reason, ...]) -> Outcome:
        journal = _orm(session)().get(AuditJournal, SYSTEM_JOURNAL_ID, with_for_update=True)
        assert journal is not None, "the SYS journal row is created by the first migration"
        now = self.clock.now()  # read under the journal's lock, so that the journal's times never go back
        payload = safe_payload(attempt.raw_payload)
        if attempt.extra:
            payload = {"attempt": attempt.extra, "payload": payload}
        event = append_event(
            session, journal, kind="refused", at=utc_stamp(now), procedure=attempt.procedure,
            trigger=attempt.trigger, actor=attempt.actor, role=attempt.role, payload=payload,
            reasons=[r.as_record() for r in reasons],
        )
        return Outcome(False, None, attempt.trigger, None, None, event.seq, event.hash, tuple(reasons))

    def _refuse_journal(self, attempt: _Attempt, reason: Reason) -> Outcome:
        with writing(self.sessions) as session:
            return self._record_refusal_in_journal(session, attempt, (reason,))


def _recordable(text: str, limit: int) -> str:
    """`text` as an event may record it: itself when clean and short enough, else escaped and cut."""
    return text if inputs.is_clean(text, limit) else inputs.printable(text, limit - 1)


def guard_reason(name: str, failure: Fail) -> Reason:
    """A failed guard as a refusal's reason: the rule, what failed, and the article."""
    guard = GUARDS[name]
    zh = f"{guard.zh}：{failure.zh}" if failure.zh else guard.zh
    en = f"{guard.en}: {failure.en}" if failure.en else guard.en
    return Reason(name, zh, en, guard.article)


def _orm(db: Transactional) -> Callable[[], Session]:
    """The ORM session of `db`'s transaction, made when first called (a Work makes one only on demand)."""
    if isinstance(db, Session):
        return lambda: db
    return lambda: db.session


def _at_path(data: Mapping[str, Any], path: str) -> Any:
    value: Any = data
    for key in path.split("."):
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


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


def _megabytes(n: int) -> str:
    return f"{n / 1024**2:,.0f} MB" if n >= 1024**2 else f"{n:,} 字节"


def _ends_minimum_period(procedure: Procedure, trigger: str) -> bool:
    return any(spec.kind == "minimum" and trigger in spec.ends_on for spec in procedure.deadlines.values())


class _LazySettings(Mapping[str, Any]):
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


def _record(transition: Transition, data: dict[str, Any], payload: dict[str, Any], actor: str, today: date,
            event_seq: int, timeliness: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The case data after the transition (replay's record_step, for tools that build rows without events,
    e.g. bench/scale.py): its payload stored where the definition says, with who and when."""
    return record_step(data, replay.step_spec(transition), transition.trigger, payload, actor, today.isoformat(),
                       event_seq, timeliness)
