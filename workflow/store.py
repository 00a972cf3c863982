"""The engine's SQL: the statements of fire()'s write path, run on the transaction's own DBAPI connection.

fire() runs the same handful of statements thousands of times; going through the ORM unit of work (or even
Core's per-statement execution context) cost most of its CPU. These are plain parameterized statements on
the cursor of the connection that the transaction already holds (BEGIN IMMEDIATE on SQLite): a Session's,
or fire()'s Work (workflow/db.py), so they commit or roll back with everything else done in it. Values are converted with the same
SQLAlchemy type processors the ORM would use (JSON, DateTime, Date, Boolean), so the stored rows are the
same as before, byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Column, event
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from workflow.db import Work
from workflow.models import AuditEvent, Case, CaseDeadline, RoleAssignment, User

_Convert = Callable[[Any], Any]
Transactional = Session | Work  # a transaction the statements below run in (fire() uses a Work)


@dataclass
class CaseRow:
    """The case row as fire() reads it under the lock (a ChainHead for append_event)."""

    id: str
    org_id: str
    procedure: str
    procedure_version: int
    state: str
    version: int
    data: dict[str, Any]
    audit_seq: int
    audit_head: str
    addressee_org_id: str | None = None  # the organisation the case is addressed to (workflow/addressee.py)


@dataclass(frozen=True)
class Actor:
    """An active or inactive user with the names of the roles it holds."""

    username: str
    org_id: str
    active: bool
    role_names: frozenset[str]


@dataclass
class DeadlineRow:
    """A row of case_deadline (the fields the guards and _update_deadlines read and write)."""

    case_id: str
    name: str
    kind: str = ""
    started_on: date | None = None
    due: date | None = None
    n: int = 0
    unit: str = ""
    provisional: bool = False
    basis: str = ""
    paused_zh: str | None = None  # due None: why the count stands still (workflow/due_rules.py)
    paused_en: str | None = None


EVENT_COLUMNS = ("case_id", "seq", "format", "kind", "trigger", "from_state", "to_state", "actor", "role", "at",
                 "procedure", "payload", "reasons", "prev", "hash", "facts")
_DEADLINE_VALUES = ("kind", "started_on", "due", "n", "unit", "provisional", "basis", "paused_zh", "paused_en")


def _identity(value: Any) -> Any:
    return value


class Store:
    """The statements for one dialect, with the value converters SQLAlchemy would apply."""

    def __init__(self, dialect: Dialect):
        self.dialect = dialect
        self.driver_error: type[Exception] = dialect.loaded_dbapi.Error
        self.postgres = dialect.name == "postgresql"
        mark = "%s" if self.postgres else "?"
        if dialect.paramstyle not in ("qmark", "format", "pyformat"):  # pragma: no cover - sqlite3 / psycopg only
            raise RuntimeError(f"unsupported paramstyle {dialect.paramstyle}")
        quote = dialect.identifier_preparer.quote

        def to_db(column: Column[Any]) -> _Convert:
            return column.type.dialect_impl(dialect).bind_processor(dialect) or _identity

        def from_db(column: Column[Any]) -> _Convert:
            return column.type.dialect_impl(dialect).result_processor(dialect, None) or _identity

        def marks(n: int) -> str:
            return ", ".join([mark] * n)

        case, dl = Case.__table__.c, CaseDeadline.__table__.c
        self.data_in, self.data_out = to_db(case.data), from_db(case.data)
        self.stamp_in = to_db(case.updated_at)
        self.date_in, self.date_out = to_db(dl.due), from_db(dl.due)
        self.bool_in, self.bool_out = to_db(dl.provisional), from_db(dl.provisional)
        self.user_active_out = from_db(User.__table__.c.active)

        self.lock_case = (
            f"SELECT id, org_id, {quote('procedure')}, procedure_version, state, version, data, audit_seq,"
            f" audit_head, addressee_org_id FROM case_file WHERE id = {mark}" + (" FOR UPDATE" if self.postgres else ""))
        self.read_case = self.lock_case.removesuffix(" FOR UPDATE")  # check(): reads, locks nothing
        self.update_case = (f"UPDATE case_file SET state = {mark}, version = {mark}, data = {mark},"
                            f" updated_at = {mark}, audit_seq = {mark}, audit_head = {mark} WHERE id = {mark}")
        self.update_head = f"UPDATE case_file SET audit_seq = {mark}, audit_head = {mark} WHERE id = {mark}"
        user, role = User.__tablename__, RoleAssignment.__tablename__
        self.user_with_roles = (
            f"SELECT u.org_id, u.active, r.{quote('role')} FROM {user} u LEFT OUTER JOIN {role} r ON r.user_id = u.id"
            f" WHERE u.username = {mark}")
        self.insert_event = (f"INSERT INTO {AuditEvent.__tablename__} ({', '.join(quote(c) for c in EVENT_COLUMNS)})"
                             f" VALUES ({marks(len(EVENT_COLUMNS))})")
        self.deadlines = (f"SELECT name, {', '.join(_DEADLINE_VALUES)} FROM case_deadline WHERE case_id = {mark}"
                          " ORDER BY due")
        self.delete_deadline = f"DELETE FROM case_deadline WHERE case_id = {mark} AND name = {mark}"
        self.insert_deadline = (f"INSERT INTO case_deadline (case_id, name, {', '.join(_DEADLINE_VALUES)})"
                                f" VALUES ({marks(2 + len(_DEADLINE_VALUES))})")
        self.update_deadline = (f"UPDATE case_deadline SET {', '.join(f'{c} = {mark}' for c in _DEADLINE_VALUES)}"
                                f" WHERE case_id = {mark} AND name = {mark}")


_STORES: WeakKeyDictionary[Dialect, Store] = WeakKeyDictionary()


_TX_KEY = "lawflow.store"  # session.info: the _Tx of the session's current transaction


class _Tx:
    """The store for the session's dialect and a cursor source for the DBAPI connection of one transaction.

    psycopg builds a Python cursor object per cursor() (a few µs, several times per fire), so on PostgreSQL
    the transaction keeps one cursor and runs its statements one after the other on it; every caller reads
    its rows before the next statement. sqlite3's cursors cost next to nothing, and a fresh one per
    statement leaves no SELECT pending on a shared cursor, so SQLite keeps getting one per statement."""

    __slots__ = ("store", "cursor")

    def __init__(self, store: Store, dbapi_connection: Any):
        self.store = store
        if store.postgres:
            cursor = dbapi_connection.cursor()
            self.cursor: Callable[[], Any] = lambda: cursor
        else:
            self.cursor = dbapi_connection.cursor


def _tx(db: Transactional) -> _Tx:
    """The _Tx of the current transaction, made on first use and kept in `info` until the transaction ends
    (a Session's: see _forget; a Work's: it lives as long as its one transaction)."""
    tx = db.info.get(_TX_KEY)
    if tx is not None:
        return tx  # type: ignore[no-any-return]
    connection = db.connection()
    dialect = connection.dialect
    store = _STORES.get(dialect)
    if store is None:
        store = _STORES[dialect] = Store(dialect)
    db.info[_TX_KEY] = tx = _Tx(store, connection.connection)
    return tx


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, _transaction: Any) -> None:
    """A committed or rolled-back transaction's connection goes back to the pool: never reuse it."""
    session.info.pop(_TX_KEY, None)


def _run(tx: _Tx, statement: str, values: tuple[Any, ...]) -> Any:
    """Execute `statement` on the transaction's connection and return the cursor. Driver errors surface as
    SQLAlchemy's own (IntegrityError for UNIQUE(case_id, seq), OperationalError ...), as they did through
    the ORM, and are rolled back by the caller's writing() or working() block."""
    cursor = tx.cursor()
    try:
        cursor.execute(statement, values)
    except tx.store.driver_error as error:
        store = tx.store
        raise DBAPIError.instance(statement, values, error, store.driver_error, dialect=store.dialect) from error
    return cursor


def lock_case(db: Transactional, case_id: str) -> CaseRow | None:
    """The case row, locked until the transaction ends (FOR UPDATE; SQLite's BEGIN IMMEDIATE holds all)."""
    tx = _tx(db)
    return _case_row(tx, tx.store.lock_case, case_id)


def read_case(db: Transactional, case_id: str) -> CaseRow | None:
    """The case row, not locked (Engine.check writes nothing, so it holds up no writer)."""
    tx = _tx(db)
    return _case_row(tx, tx.store.read_case, case_id)


def _case_row(tx: _Tx, statement: str, case_id: str) -> CaseRow | None:
    row = _run(tx, statement, (case_id,)).fetchone()
    if row is None:
        return None
    return CaseRow(row[0], row[1], row[2], row[3], row[4], row[5], tx.store.data_out(row[6]), row[7], row[8], row[9])


def load_actor(db: Transactional, username: str) -> Actor | None:
    """The user and its roles, in one query."""
    tx = _tx(db)
    rows = _run(tx, tx.store.user_with_roles, (username,)).fetchall()
    if not rows:
        return None
    return Actor(username, rows[0][0], bool(tx.store.user_active_out(rows[0][1])),
                 frozenset(r[2] for r in rows if r[2] is not None))


def insert_event(db: Transactional, values: dict[str, Any]) -> None:
    """INSERT one audit event (`values` has every column of EVENT_COLUMNS, already as stored)."""
    tx = _tx(db)
    _run(tx, tx.store.insert_event, tuple(values[c] for c in EVENT_COLUMNS))


def save_case(db: Transactional, case: CaseRow, updated_at: datetime) -> None:
    """Write back what a transition changes: state, version, data, updated_at and the chain head."""
    tx = _tx(db)
    store = tx.store
    _run(tx, store.update_case, (case.state, case.version, store.data_in(case.data), store.stamp_in(updated_at),
                                 case.audit_seq, case.audit_head, case.id))


def save_chain_head(db: Transactional, case: CaseRow) -> None:
    """Write back only the chain head (a refusal changes nothing else)."""
    tx = _tx(db)
    _run(tx, tx.store.update_head, (case.audit_seq, case.audit_head, case.id))


def load_deadlines(db: Transactional, case_id: str) -> list[DeadlineRow]:
    """The case's open periods, earliest due first."""
    tx = _tx(db)
    store = tx.store
    rows = _run(tx, store.deadlines, (case_id,)).fetchall()
    return [DeadlineRow(case_id, r[0], r[1], store.date_out(r[2]), store.date_out(r[3]), r[4], r[5],
                        bool(store.bool_out(r[6])), r[7], r[8], r[9]) for r in rows]


def delete_deadline(db: Transactional, row: DeadlineRow) -> None:
    tx = _tx(db)
    _run(tx, tx.store.delete_deadline, (row.case_id, row.name))


def save_deadline(db: Transactional, row: DeadlineRow, *, new: bool) -> None:
    tx = _tx(db)
    store = tx.store
    fields = (row.kind, store.date_in(row.started_on), store.date_in(row.due), row.n, row.unit,
              store.bool_in(row.provisional), row.basis, row.paused_zh, row.paused_en)
    if new:
        _run(tx, store.insert_deadline, (row.case_id, row.name, *fields))
    else:
        _run(tx, store.update_deadline, (*fields, row.case_id, row.name))
