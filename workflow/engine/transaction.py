"""The transactions of the unit of work: fire() and create_case write in one (workflow.db.working: the write
lock first, commit on success); check() reads in one that is always rolled back, so that whatever the checks
touch, nothing of it stays."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session, sessionmaker

from workflow.db import Work
from workflow.store import Transactional


@contextmanager
def reading(factory: sessionmaker[Session]) -> Iterator[Work]:
    """A Work like fire()'s, but a reader: no write lock (SQLite's plain BEGIN; the case row read without FOR
    UPDATE), and rolled back at the end whatever happened."""
    bind = factory.kw["bind"]
    with bind.connect() as connection:
        work = Work(connection, factory)
        transaction = connection.begin()
        try:
            yield work
        finally:
            work.session.close()  # the ORM session a check may have made (else one made to be closed: cheap)
            transaction.rollback()


def orm(db: Transactional) -> Callable[[], Session]:
    """The ORM session of `db`'s transaction, made when first called (a Work makes one only on demand)."""
    if isinstance(db, Session):
        return lambda: db
    return lambda: db.session
