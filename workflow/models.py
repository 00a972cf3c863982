"""SQLAlchemy 2 models. The schema itself is created by Alembic (workflow/migrations), not create_all.

Audit tables (audit_event, audit_leaf, audit_checkpoint, audit_key) are append-only: the migrations add
triggers that refuse UPDATE, DELETE, REPLACE and TRUNCATE, and on PostgreSQL the runtime role only gets
SELECT and INSERT on them (see ../shared/audit-design.md §2.6).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

GENESIS_HASH = "0" * 64
SYSTEM_JOURNAL_ID = "SYS"  # the chain that records refusals which belong to no case (e.g. an unknown case id)
ADMIN_JOURNAL_PREFIX = "ADM-"  # ADM-<org>: the chain of an organisation's administrative changes


def admin_journal_id(org_id: str) -> str:
    """The organisation's administration journal (workflow/administration.py): the `case` of its events."""
    return f"{ADMIN_JOURNAL_PREFIX}{org_id}"


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON}


class Organization(Base):
    __tablename__ = "organization"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    # The supervising organisation (a district over its towns), if any: `lawflow org add --parent`.
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("organization.id"), default=None)
    # What it is in the tree (workflow/org_tree.py KINDS): district, town or office (migration 0019).
    kind: Mapped[str] = mapped_column(String(16), default="town", server_default="town")


class OrgSetting(Base):
    """A rule the law leaves to the organisation (legal-facts §12), with the source that set it."""

    __tablename__ = "org_setting"

    org_id: Mapped[str] = mapped_column(ForeignKey("organization.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column()  # {"value": ...} so scalars and lists fit one JSON column
    source: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(200), default="")
    org_id: Mapped[str] = mapped_column(ForeignKey("organization.id"))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Moves on when the password changes or the account is deactivated: the web sessions made before it
    # stop being logins (web/auth.py).
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    roles: Mapped[list[RoleAssignment]] = relationship(back_populates="user", cascade="all, delete-orphan")

    @property
    def role_names(self) -> set[str]:
        return {r.role for r in self.roles}


class RoleAssignment(Base):
    __tablename__ = "role_assignment"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(64), primary_key=True)

    user: Mapped[User] = relationship(back_populates="roles")


class EnforcementCertificate(Base):
    """A credential a guard checks: an enforcement certificate (执法证件, 行政处罚法第四十二条) valid in one
    field until a date, or a legal professional qualification (法律职业资格, 第五十八条第二款; no end date)."""

    __tablename__ = "enforcement_certificate"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(ForeignKey("app_user.username"), index=True)
    kind: Mapped[str] = mapped_column(String(32), default="enforcement")  # enforcement | legal_qualification
    number: Mapped[str] = mapped_column(String(64))
    field: Mapped[str] = mapped_column(String(100))  # 执法领域; "" for a legal qualification
    issued_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)  # None: does not expire
    issuer: Mapped[str] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("kind", "number", name="uq_enforcement_certificate_kind_number"),)


class Case(Base):
    """One running procedure. `state`, `version` and the audit head change only inside engine.fire."""

    __tablename__ = "case_file"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organization.id"))
    procedure: Mapped[str] = mapped_column(String(64))
    procedure_version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    audit_seq: Mapped[int] = mapped_column(Integer, default=0)
    audit_head: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)
    # The organisation below org_id a case is addressed to (a definition's `addressee:`, workflow/addressee.py):
    # it takes the steps marked `acted_by: addressee` and reads the case; None for every other case. No foreign key:
    # SQLite cannot add one to an existing table without copying it (the id is checked when the case is opened).
    addressee_org_id: Mapped[str | None] = mapped_column(String(64), default=None, index=True)

    deadlines: Mapped[list[CaseDeadline]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseDeadline.due"
    )

    __table_args__ = (
        # The case list (workflow/worklist.py) chooses a page from these alone: newest change first (with
        # the title, so that a search in titles reads the index, not the rows), a drafter's own cases, and
        # a stage or the stages where a role has a step.
        Index("ix_case_file_org_updated", "org_id", "updated_at", "id", "title"),
        Index("ix_case_file_org_creator", "org_id", "created_by", "updated_at", "id"),
        Index("ix_case_file_org_state_updated", "org_id", "state", "procedure", "procedure_version", "updated_at",
              "id"),
    )


class CaseDeadline(Base):
    """An open period of a case: a minimum period that must pass, or a limit by which something is due."""

    __tablename__ = "case_deadline"

    case_id: Mapped[str] = mapped_column(ForeignKey("case_file.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # minimum | limit
    started_on: Mapped[date] = mapped_column(Date)
    due: Mapped[date | None] = mapped_column(Date)  # None: paused (a due-date rule's count stands still)
    n: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(16))  # calendar_days | working_days
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    basis: Mapped[str] = mapped_column(Text)
    # why the count stands still (workflow/due_rules.py Paused), Chinese and English; None while it runs
    paused_zh: Mapped[str | None] = mapped_column(Text, default=None)
    paused_en: Mapped[str | None] = mapped_column(Text, default=None)

    case: Mapped[Case] = relationship(back_populates="deadlines")

    __table_args__ = (
        Index("ix_case_deadline_due", "kind", "due"),
        Index("ix_case_deadline_case_due", "case_id", "due"),  # a case's next deadline: MIN(due) from the index
    )


class AuditEvent(Base):
    """One link of a case's hash chain. Never updated or deleted (triggers refuse it)."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    trigger: Mapped[str | None] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(64))
    to_state: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[str] = mapped_column(String(32))  # RFC 3339 UTC, exactly as hashed
    procedure: Mapped[str] = mapped_column(String(80))
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON, exactly as hashed
    reasons: Mapped[str] = mapped_column(Text)  # canonical JSON list
    prev: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # canonical JSON of the optional hashed `facts` (e.g. deadline verdicts replay needs); NULL when absent
    facts: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        UniqueConstraint("case_id", "seq", name="uq_audit_event_case_seq"),
        Index("ix_audit_event_actor_at", "actor", "at"),  # the explorer's actor filter, newest first
        Index("ix_audit_event_kind_at", "kind", "at"),
        Index("ix_audit_event_at", "at"),  # the audit explorer: date ranges, newest first
        Index("ix_audit_event_trigger_at", "trigger", "at"),
    )


class AuditJournal(Base):
    """Head of a chain that belongs to no case: SYS records refusals such as an unknown case id; ADM-<org> an
    organisation's administrative changes (created on first use)."""

    __tablename__ = "audit_journal"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    audit_seq: Mapped[int] = mapped_column(Integer, default=0)
    audit_head: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)


class AuditLeaf(Base):
    """Position of an event in the append-only Merkle log (assigned by the checkpoint integrator)."""

    __tablename__ = "audit_leaf"

    log_index: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    event_id: Mapped[int] = mapped_column(ForeignKey("audit_event.id"), unique=True)
    case_id: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(Integer)
    event_hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """A signed tree head over the first `tree_size` leaves."""

    __tablename__ = "audit_checkpoint"

    tree_size: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    format: Mapped[str] = mapped_column(String(32))
    origin: Mapped[str] = mapped_column(String(200))
    root: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[str] = mapped_column(String(32))
    prev_checkpoint: Mapped[str | None] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(16))
    signature: Mapped[str] = mapped_column(String(100))
    compact_range: Mapped[str] = mapped_column(Text)  # JSON list of hex subtree roots, to extend without a rebuild


class AuditKey(Base):
    """Public half of every key that ever signed a checkpoint (old keys stay, so old checkpoints verify)."""

    __tablename__ = "audit_key"

    key_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(16))
    public_key: Mapped[str] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[str] = mapped_column(String(32))


class HolidayYear(Base):
    """A year of the State Council holiday notice added by an administrator (beyond the shipped data)."""

    __tablename__ = "holiday_year"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data: Mapped[dict[str, Any]] = mapped_column()
    source: Mapped[str] = mapped_column(Text)
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ApiToken(Base):
    """A bearer token for an integrator's system, acting as its owner through the engine.

    Only the SHA-256 of the token is stored: the token itself is shown once, when it is created.
    A revoked token stays as a record of who could act and when; it never authenticates again."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # hex SHA-256 of the token
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # what the token may do (0026): only read; only these procedures (None: every one); act on behalf of the
    # users of its owner's organisation (an integration's service account, issue 17)
    read_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    procedures: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    acts_for_users: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    user: Mapped[User] = relationship()


class PortalSubmission(Base):
    """One comment form submitted on the public portal, kept for a day for the per-client rate limit.

    `client` is an HMAC-SHA256 of the client's IP address under the web app's secret key, never the address:
    enough to count one client's submissions, across every worker and host that shares the database, without
    keeping who sent them. Rows older than the longest window are deleted (web/throttle.py)."""

    __tablename__ = "portal_submission"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client: Mapped[str] = mapped_column(String(64))
    org_id: Mapped[str] = mapped_column(ForeignKey("organization.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_portal_submission_client_at", "client", "at"),
                      Index("ix_portal_submission_at", "at"))


class LoginFailure(Base):
    """One login attempt that has not (yet) succeeded, kept only while it can count (web/login_throttle.py).

    `account` is an HMAC-SHA256 of the user name as typed and `client` one of the client's address, both under
    the web app's secret key: never the name or the address. A successful login deletes its account's rows;
    the others are deleted once older than the window plus the lock (half an hour)."""

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account: Mapped[str] = mapped_column(String(64))
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_login_failure_account_at", "account", "at"),
                      Index("ix_login_failure_client_at", "client", "at"),
                      Index("ix_login_failure_at", "at"))


class WebSession(Base):
    """One web login, alive on the server until its logout (web/auth.py).

    The browser's signed cookie names the session by a random token; only its SHA-256 is kept here, so the
    table gives no one a usable cookie. Logging out deletes the row: a copy of the cookie taken before then is
    no login any more, while the same user's other sessions (other browsers) go on. `seen_at` is when the
    session last made a request (refreshed at most once a minute), so abandoned sessions can be deleted once
    past the idle limit."""

    __tablename__ = "web_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the cookie's token
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class CaseNumberCounter(Base):
    """The last case number issued to an organisation for a procedure prefix in a year (workflow/numbering.py).

    Only ever incremented, inside the transaction that opens the case, which holds the row's lock until it
    commits: concurrent openings queue here instead of racing for max + 1."""

    __tablename__ = "case_number_counter"

    org_id: Mapped[str] = mapped_column(ForeignKey("organization.id"), primary_key=True)
    prefix: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)


class IdempotencyKey(Base):
    """What a write sent with an `Idempotency-Key` came to (workflow/engine/idempotency.py).

    Written in the transaction of the write itself, so a key is kept exactly when its write (or its recorded
    refusal) committed: a retry after a lost answer, a crash or a timeout gets the first outcome back instead
    of opening a second case. `fingerprint` is the SHA-256 of the request (method, path, body, If-Match, file),
    so the same key with another request is refused. Not audit history: each outcome is an event of the
    trail already, and rows older than the keeping time are deleted."""

    __tablename__ = "idempotency_key"

    principal: Mapped[str] = mapped_column(String(64), primary_key=True)  # who sent it (the acting user)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(Text)  # the Outcome as JSON
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_idempotency_key_principal_created", "principal", "created_at"),)


class DocumentNumberCounter(Base):
    """The last serial of an organisation's document numbers for a 代字 in a year (workflow/documents/numbers.py):
    龙综执罚〔2026〕3号. Incremented inside the issuing transaction, which holds the row's lock until it commits."""

    __tablename__ = "document_number_counter"

    org_id: Mapped[str] = mapped_column(ForeignKey("organization.id"), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), primary_key=True)  # 代字, e.g. 龙综执罚
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)


class IssuedDocument(Base):
    """A document issued by a step (workflow/documents/issue.py): its number and the SHA-256 of its PDF, whose
    bytes are in the records store. The issuing event's `facts.document` holds the same; a voided number
    keeps its row, with who voided it, when and why (voiding is an audited administrative act)."""

    __tablename__ = "issued_document"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organization.id"))
    case_id: Mapped[str] = mapped_column(ForeignKey("case_file.id"), index=True)
    event_seq: Mapped[int] = mapped_column(Integer)  # the issuing event in the case's chain
    doc_type: Mapped[str] = mapped_column(String(64))  # <procedure>/<document id>
    template: Mapped[str] = mapped_column(String(200))  # template id@version
    code: Mapped[str] = mapped_column(String(32))  # 代字
    year: Mapped[int] = mapped_column(Integer)
    serial: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(100))  # 龙综执罚〔2026〕3号
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    verify_code: Mapped[str] = mapped_column(String(32), unique=True)  # /public/verify/<code>
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    issued_on: Mapped[date] = mapped_column(Date)  # the document's date (成文日期)
    voided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    voided_by: Mapped[str | None] = mapped_column(String(64), default=None)
    void_reason: Mapped[str | None] = mapped_column(Text, default=None)

    __table_args__ = (UniqueConstraint("org_id", "code", "year", "serial", name="uq_issued_document_number"),)


class TimerAct(Base):
    """One act of a timer, done once (workflow/timers/worker.py): a reminder, an expiry notice or a system step.

    The key (case, deadline, the period's first day, act) is unique: the row is written in the same
    transaction as a reminder's audit event and notices, so a reminder is never given twice for the same
    period; a new period of the same deadline (started again) has a new first day and is reminded again. A
    system step is guarded by the case itself (its period's row is gone once it fired): its row records what
    came of it. Rows are only inserted (the runtime role has SELECT and INSERT on PostgreSQL)."""

    __tablename__ = "timer_act"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organization.id"))
    case_id: Mapped[str] = mapped_column(ForeignKey("case_file.id"))
    deadline: Mapped[str] = mapped_column(String(64))
    started_on: Mapped[date] = mapped_column(Date)
    act: Mapped[str] = mapped_column(String(80))  # remind:<days> | overdue | fire:<trigger>
    due_on: Mapped[date] = mapped_column(Date)  # the Beijing day the act fell due (it may be done later: catch-up)
    done_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str] = mapped_column(String(16))  # done | refused
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the audit event's seq, refusal codes, recipients

    __table_args__ = (
        UniqueConstraint("case_id", "deadline", "started_on", "act", name="uq_timer_act_key"),
        Index("ix_timer_act_org_done", "org_id", "done_at"),
    )


class Notification(Base):
    """A notice in a person's inbox (/inbox): a reminder before a time limit, an overdue notice, an escalation.

    It names the case by its number and the deadline by its label only, never a party (the case's title may
    name one): a notice carries no more than its recipient may see."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organization.id"))
    recipient: Mapped[str] = mapped_column(String(64))  # the user name
    # None: an organisation-level notice (a certificate, the holiday data: workflow/timers/org_timers.py)
    case_id: Mapped[str | None] = mapped_column(ForeignKey("case_file.id"))
    kind: Mapped[str] = mapped_column(String(16))  # remind | overdue | escalation
    deadline: Mapped[str] = mapped_column(String(64))
    due: Mapped[date] = mapped_column(Date)  # the limit's last day
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    __table_args__ = (
        Index("ix_notification_recipient_unread", "recipient", "read_at", "id"),  # the header's unread count
    )


class TimerWorkerState(Base):
    """What the admin page shows of a timer worker: when it last ran, what it did and what failed."""

    __tablename__ = "timer_worker_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)  # host:pid of the worker
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_run_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_done: Mapped[int] = mapped_column(Integer, default=0)
    last_failed: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")


class NotificationChannel(Base):
    """A person's own choice of further channels for their notices: today an e-mail address (per-user
    preferences, issue 11). Set by the person on /inbox; the in-app inbox is always on."""

    __tablename__ = "notification_channel"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), default="")
    email_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # A daily digest of the day's notices by e-mail instead of a message each (workflow/timers/digest.py), sent at
    # this hour, Asia/Shanghai (migration 0024).
    digest: Mapped[bool] = mapped_column(Boolean, default=False)
    digest_hour: Mapped[int] = mapped_column(Integer, default=8)


class EmailOutbox(Base):
    """An e-mail of one notice, queued in the notice's own transaction and sent by the timer worker
    (workflow/timers/mail.py). One per notice (its idempotency key); a failed delivery is tried again with
    back-off and, after the last attempt, stays here as a dead letter the administrator can send again."""

    __tablename__ = "email_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organization.id"))
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id"), unique=True)
    address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # pending | sent | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    __table_args__ = (
        Index("ix_email_outbox_status_next", "status", "next_attempt_at"),  # what the worker sends next
    )


class MessageOutbox(Base):
    """A message to a group robot (企业微信 / 钉钉) or a person's daily digest e-mail, queued where it is decided and
    sent by the timer worker (workflow/timers/messages.py, through outbox.py like EmailOutbox). `key` is its
    idempotency key: one row per (notice, robot) and per (person, local day) of a digest. `facts` holds only what
    the message may say (case number, procedure, period, step, dates: never a party, workflow/timers/minimal.py);
    the text is composed from them when it is sent."""

    __tablename__ = "message_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organization.id"))
    key: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(16))  # robot | digest
    target: Mapped[str] = mapped_column(String(254))  # the robot's name in the settings | the person's user name
    subject: Mapped[str] = mapped_column(String(300))
    facts: Mapped[dict[str, Any]] = mapped_column()
    status: Mapped[str] = mapped_column(String(16))  # pending | sent | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    __table_args__ = (
        Index("ix_message_outbox_status_next", "status", "next_attempt_at"),  # what the worker sends next
        Index("ix_message_outbox_channel_target", "channel", "target"),  # a webhook's delivery log (0027)
    )


class RequestTrackingCode(Base):
    """The tracking code of a request for government information (条例第二十九条), by its SHA-256 only.

    The applicant holds the code (128 random bits, shown once when the request is sent, web/information_requests.py)
    and reads the request's status with it, without an account; the database keeps its hash, so a copy of the
    database does not open anyone's request. One code per case."""

    __tablename__ = "request_tracking_code"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("case_file.id"), unique=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organization.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# ---------------------------------------------------------------- witnessed checkpoints (at the district)
# Append-only (migration 0020 installs the triggers): what a district holds of its towns' logs is evidence.


class WitnessTownKey(Base):
    """A town's checkpoint signing key trusted at the district: registered by its operator (`lawflow witness
    trust`), or followed through a rotation record signed by a key already trusted (workflow/audit/cosigning.py)."""

    __tablename__ = "witness_town_key"
    __table_args__ = (UniqueConstraint("org_id", "key_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organization.id"), index=True)
    origin: Mapped[str] = mapped_column(String(200))  # the town's log name in its checkpoints
    key_id: Mapped[str] = mapped_column(String(16))
    public_key: Mapped[str] = mapped_column(String(64))  # base64 of the raw 32-byte Ed25519 key
    source: Mapped[str] = mapped_column(Text)  # how it came to be trusted (file and operator, or the rotation)
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WitnessedCheckpoint(Base):
    """A town's signed checkpoint accepted at the district, with the district's co-signature and the receipt."""

    __tablename__ = "witnessed_checkpoint"
    __table_args__ = (UniqueConstraint("org_id", "tree_size"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organization.id"), index=True)
    origin: Mapped[str] = mapped_column(String(200))
    tree_size: Mapped[int] = mapped_column(Integer)
    root: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[str] = mapped_column(String(32))
    prev_checkpoint: Mapped[str | None] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(16))
    signature: Mapped[str] = mapped_column(String(100))  # the town's
    cosignature: Mapped[str] = mapped_column(Text)  # JSON: the district's signed statement (docs/audit-format.md)
    transport: Mapped[str] = mapped_column(String(8))  # api | file
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WitnessFinding(Base):
    """A town's checkpoint the district refused because it contradicts what the district holds (a fork, a log
    that does not extend the held one): kept, never dropped, with what was compared."""

    __tablename__ = "witness_finding"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organization.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # fork | inconsistent
    tree_size: Mapped[int] = mapped_column(Integer)
    root: Mapped[str] = mapped_column(String(64))
    held_size: Mapped[int] = mapped_column(Integer)
    held_root: Mapped[str] = mapped_column(String(64))
    zh: Mapped[str] = mapped_column(Text)
    en: Mapped[str] = mapped_column(Text)
    checkpoint: Mapped[str] = mapped_column(Text)  # JSON: the refused checkpoint as signed, and its proof
    transport: Mapped[str] = mapped_column(String(8))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OrgTimerAct(Base):
    """One act of an organisation-level timer (workflow/timers/org_timers.py), done once: a certificate about to
    expire or expired, the next year's holiday notice missing. The key (organisation, timer, subject, act) is
    unique and the row is written in the same transaction as the act's `timer` event in the organisation's
    administration journal and its notices. Rows are only inserted (the runtime role has SELECT and INSERT)."""

    __tablename__ = "org_timer_act"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organization.id"))
    timer: Mapped[str] = mapped_column(String(48))  # its name in definitions/organisation/timers.yaml
    subject: Mapped[str] = mapped_column(String(100))  # certificate:<number> | holiday:<year>
    act: Mapped[str] = mapped_column(String(40))  # expiring@<day> | expired@<day> | missing
    due_on: Mapped[date] = mapped_column(Date)  # the Beijing day it fell due (it may be done later: catch-up)
    done_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the journal event's seq, the recipients

    __table_args__ = (UniqueConstraint("org_id", "timer", "subject", "act", name="uq_org_timer_act_key"),)


class WebhookSubscription(Base):
    """An organisation's webhook (issue 17 item 2): the events of the feed its `owner` may read (the Reader, as
    the feed), of the `kinds` and `procedures` wanted (None: all), POSTed signed to `url` by the timer worker
    (workflow/timers/webhooks.py). `cursor` is the last leaf index of the Merkle log already queued for it: the
    next run queues the anchored events after it, each once (message_outbox.key). A deleted subscription is kept
    (deleted_at) with its delivery log."""

    __tablename__ = "webhook_subscription"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organization.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(2000))
    kinds: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    procedures: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    owner: Mapped[str] = mapped_column(String(64))  # the user whose reading applies
    cursor: Mapped[int] = mapped_column(Integer)
    replays: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # replays asked so far
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class WebhookSecret(Base):
    """A secret a webhook's deliveries are signed with (HMAC-SHA256). It must be kept as it is to sign (unlike a
    token, which is checked by its hash). Every secret not retired signs: while a new one is taken into use the
    old one signs too (`retires_at`), so the receiver may switch at its own time."""

    __tablename__ = "webhook_secret"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscription.id"), index=True)
    secret: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    retires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
