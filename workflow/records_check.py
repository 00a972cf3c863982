"""The records store against the audit trail: files no event names, events whose file is missing or altered,
and uploads left half-way (`lawflow records check [--sweep]`).

fire() keeps a received file staged, named by its hash, until its event has committed, and moves it into the
store only then (workflow/records.py). What a killed process leaves in its staging folder is rolled forward by
`check` before anything is compared: a file an event names is moved into place, anything else deleted
(personal data that was never recorded) — only once no live process holds that folder's lock. So with this
code no orphan arises; the orphans and the old `records/tmp` uploads listed here come from earlier versions
(which moved the file before the commit) or from hands outside lawflow. The sweep deletes them only once they
are older than a bound. A missing or altered file is evidence gone wrong: it is reported, never "repaired".
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from workflow.db import pg_session_name
from workflow.models import AuditEvent
from workflow.records import Recorded, RecordStore, Recovery

DEFAULT_MIN_AGE = 3600  # seconds: far longer than any step between staging a file and its commit
HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Loose:
    """A file in the store that no event names (or a temporary file), with its age in seconds."""

    path: Path
    size: int
    age: float


@dataclass(frozen=True)
class Broken:
    """An event whose file is missing or is not what the event says."""

    case_id: str
    seq: int
    sha256: str
    problem: str  # English, as `lawflow audit verify` words it


@dataclass
class StoreReport:
    min_age: float
    named: int = 0  # distinct files the events name
    orphans: list[Loose] = field(default_factory=list)
    temporary: list[Loose] = field(default_factory=list)
    broken: list[Broken] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    recovery: Recovery = field(default_factory=Recovery)  # the roll-forward run before the comparison

    def stale(self, items: list[Loose]) -> list[Loose]:
        return [i for i in items if i.age >= self.min_age]

    @property
    def clean(self) -> bool:
        """Nothing to sweep and nothing broken (files younger than the bound are steps in flight)."""
        return not self.broken and not self.stale(self.orphans) and not self.stale(self.temporary)


def check(sessions: sessionmaker[Session], store: RecordStore, *, min_age: float = DEFAULT_MIN_AGE,
          now: float | None = None) -> StoreReport:
    """Compare the store with the events. The store is listed before the events are read, so a step that
    commits in between is seen as named, or else as a young orphan the sweep leaves alone."""
    now = time.time() if now is None else now
    report = StoreReport(min_age=min_age,
                         recovery=store.roll_forward(recorded_in(sessions), server_sessions(sessions)))
    stored = {path: loose for path, loose in _files(store.objects, now)}
    report.temporary = [loose for _, loose in _files(store.root / "tmp", now)]
    named: dict[str, tuple[str, int, int]] = {}
    with sessions() as session:
        for case_id, seq, sha256, size in _named(session):
            named.setdefault(sha256, (case_id, seq, size))
    report.named = len(named)
    for sha256, (case_id, seq, size) in named.items():
        problem = store.check(sha256, size) if HEX64.match(sha256) else "the event names no valid sha256"
        if problem is not None:
            report.broken.append(Broken(case_id, seq, sha256, problem))
    expected = {store.path_of(sha) for sha in named if HEX64.match(sha)}
    report.orphans = sorted((loose for path, loose in stored.items() if path not in expected),
                            key=lambda loose: str(loose.path))
    return report


def sweep(report: StoreReport) -> list[Path]:
    """Delete the orphans and temporary files older than the report's bound; return what was deleted."""
    for loose in [*report.stale(report.orphans), *report.stale(report.temporary)]:
        try:
            loose.path.unlink()
        except FileNotFoundError:
            continue
        except OSError:  # e.g. a folder this user may not write: the file stays listed, the exit status says so
            continue
        report.removed.append(loose.path)
    return report.removed


def recorded_in(sessions: sessionmaker[Session]) -> Recorded:
    """Which of a set of hashes a committed event names — a record_attached event's file, or an issued
    document's PDF in its event's facts (for the store's roll-forward: a few files at a time, so a LIKE,
    confirmed on the parsed JSON, is enough)."""
    def recorded(shas: set[str]) -> set[str]:
        found: set[str] = set()
        with sessions() as session:
            for sha in shas:
                if not HEX64.match(sha):
                    continue
                payloads = session.scalars(select(AuditEvent.payload).where(
                    AuditEvent.kind == "record_attached", AuditEvent.payload.contains(sha)))
                if any(json.loads(p).get("sha256") == sha for p in payloads):
                    found.add(sha)
                    continue
                # an issued document's PDF (workflow/documents/issue.py): named in its event's facts
                facts = session.scalars(select(AuditEvent.facts).where(
                    AuditEvent.facts.is_not(None), AuditEvent.facts.contains(sha)))
                if any(d.get("sha256") == sha for f in facts for d in json.loads(f).get("documents", [])):
                    found.add(sha)
        return found
    return recorded


def server_sessions(sessions: sessionmaker[Session]) -> Callable[[int], bool]:
    """Whether the database may still commit for a client process that is gone: on PostgreSQL, a killed
    client's last COMMIT is carried out by its server session after the client died, so its staged files
    wait until no session named after it (workflow/db.pg_session_name) remains. SQLite commits inside the
    client process: once the process is gone, nothing of it can commit."""
    bind = sessions.kw["bind"]
    if bind.dialect.name != "postgresql":
        return lambda _pid: False

    def remaining(pid: int) -> bool:
        with sessions() as session:
            return bool(session.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :n"),
                                       {"n": pg_session_name(pid)}))
    return remaining


def _named(session: Session) -> Iterator[tuple[str, int, str, int]]:
    """(case, seq, sha256, size) of every file an event names: a record_attached event's, an issued document's."""
    rows = session.execute(select(AuditEvent.case_id, AuditEvent.seq, AuditEvent.payload)
                           .where(AuditEvent.kind == "record_attached")
                           .order_by(AuditEvent.case_id, AuditEvent.seq).execution_options(yield_per=1000))
    for case_id, seq, payload in rows:
        data = json.loads(payload)
        yield case_id, seq, str(data.get("sha256", "")), int(data.get("size", -1))
    # Documents a step issued (workflow/documents/issue.py): their PDFs are named in the event's facts.
    rows = session.execute(select(AuditEvent.case_id, AuditEvent.seq, AuditEvent.facts)
                           .where(AuditEvent.facts.is_not(None), AuditEvent.facts.contains('"documents"'))
                           .order_by(AuditEvent.case_id, AuditEvent.seq).execution_options(yield_per=1000))
    for case_id, seq, facts in rows:
        for doc in json.loads(facts).get("documents", []):
            yield case_id, seq, str(doc.get("sha256", "")), int(doc.get("size", -1))


def _files(folder: Path, now: float) -> Iterator[tuple[Path, Loose]]:
    if not folder.is_dir():
        return
    for dirpath, _dirs, names in os.walk(folder):
        for name in names:
            path = Path(dirpath) / name
            try:
                st = path.lstat()
            except FileNotFoundError:  # committed or discarded meanwhile
                continue
            # A rename sets ctime: a file moved into the store a moment ago is young even if staged long ago.
            yield path, Loose(path, st.st_size, now - max(st.st_mtime, st.st_ctime))
