"""A bounded retry of a unit of work that SQLite answered with SQLITE_BUSY ("database is locked").

Writers take SQLite's write lock up front (BEGIN IMMEDIATE, workflow/db.py), and SQLite's busy handler waits
for it up to `db.BUSY_TIMEOUT_MS` (30 s). SQLITE_BUSY still reaches the engine in two ways: a lock held past
that wait (a long checkpoint, a backup, an operator's shell holding the write lock), and the cases in which
SQLite answers BUSY at once without calling the busy handler, because waiting could deadlock (e.g. the
WAL-index being rebuilt by a connection recovering the log after a crash: SQLITE_BUSY_RECOVERY). Either way
the statement did nothing and the transaction is rolled back whole, so the unit of work can simply run again
from the start — it reads the case afresh, so every check is made again on what is there then. The retry is
bounded: after `RETRIES` more attempts the error goes to the caller (the web answers 503 with Retry-After).
Measured in bench/RESULTS.md ("SQLite under many writers"). PostgreSQL never answers BUSY: its row locks wait.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError

from workflow.db import is_busy

RETRIES = 3
FIRST_PAUSE = 0.02  # seconds, doubled each time, jittered so that the waiting writers do not collide again
MAX_PAUSE = 1.0

T = TypeVar("T")


def retrying(unit: Callable[[], T], on_retry: Callable[[], None] = lambda: None) -> T:
    """`unit()`, run again (at most RETRIES more times) while it fails with SQLITE_BUSY."""
    for attempt in range(RETRIES + 1):
        try:
            return unit()
        except DBAPIError as error:
            if attempt == RETRIES or not is_busy(error):
                raise
            on_retry()
            time.sleep(random.uniform(0.5, 1.0) * min(FIRST_PAUSE * 2**attempt, MAX_PAUSE))
    raise AssertionError("unreachable")  # pragma: no cover
