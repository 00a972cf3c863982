"""The verification status of the trail: one full run, overall and per case, kept for the audit pages.

A full verification re-hashes every event, leaf, checkpoint and evidence file, which gets slow on a large
trail, so the pages do not run it on every view: an auditor runs it (web: a button; the result names who and
when) and the pages show the last result, read from a small JSON file in the instance folder
(`<instance>/audit-verification.json`, written atomically; no database table: the result is a derived
report, and keeping it out of the database keeps the audit tables append-only and the schema unchanged).

The overall result is `verify_database` itself (docs/audit-format.md §5), with the records folder so that the
evidence files are re-hashed. It stops at the first problem; so that every broken case is named, the cases
after that point are each checked on their own (their events and stored head, as one-chain exports). Per case
the status also says how many of its events the latest checkpoint anchors.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from workflow.audit.checkpoint import latest_checkpoint
from workflow.audit.export import iter_records
from workflow.audit.verifier import Problem, Verifier
from workflow.definitions import Registry
from workflow.models import AuditCheckpoint

STATUS_FILE = "audit-verification.json"
STATUS_FORMAT = "lawflow.verification-status.v1"


def status_path(instance: str | os.PathLike[str]) -> Path:
    return Path(instance) / STATUS_FILE


def run(sessions: sessionmaker[Session], origin: str, stamp: str, *, records_dir: str | None,
        by: str | None = None, registry: Registry | None = None) -> dict[str, Any]:
    """Verify the whole trail now; the result as a JSON-ready dict (see `save`)."""
    overall = Verifier(records_dir=records_dir)
    cases: dict[str, dict[str, Any]] = {}
    anchored: Counter[str] = Counter()
    alone: Verifier | None = None  # checks one case on its own once the overall run has stopped
    preamble: list[dict[str, Any]] = []  # the header and the procedure records (record specs) for replay
    with sessions() as session:
        latest = latest_checkpoint(session)
        checkpoints = session.scalar(select(func.count()).select_from(AuditCheckpoint)) or 0
        tree_size = latest.tree_size if latest else 0
        checkpoint = None if latest is None else {
            "tree_size": latest.tree_size, "issued_at": latest.issued_at, "key_id": latest.key_id,
            "root": latest.root}
        for record in iter_records(session, origin, stamp, registry):
            kind = record["type"]
            entry = cases.setdefault(record["case"], _entry()) if kind in ("event", "case") else None
            if kind in ("header", "procedure"):
                preamble.append(record)
            elif kind == "event":
                entry["events"] += 1
                if record["kind"] == "record_attached":  # an evidence file re-hashed (per case, for the pages)
                    entry["records"] += 1
            elif kind == "case":
                entry["head_seq"], entry["head_hash"] = record["head_seq"], record["head_hash"]
            elif kind == "leaf" and record["log_index"] < tree_size:
                anchored[record["case"]] += 1
            if not overall.failed:
                overall.feed(record)
                if entry is not None:
                    entry["checked_alone"] = False  # checked by the overall run (its problem, if it stops here)
                continue
            if entry is None:
                continue
            if entry["checked_alone"] is None:  # the first record of a case after the overall run stopped
                entry["checked_alone"] = True
                alone = _alone(preamble)
            if entry["checked_alone"] and alone is not None:
                alone.feed(record)
                if kind == "case":
                    entry["problem"] = _problem(alone.finish().first_error)
                    alone = None
    report = overall.finish()
    first = report.first_error
    if first is not None and first.case in cases and cases[first.case]["problem"] is None:
        cases[first.case]["problem"] = _problem(first)
    for name, entry in cases.items():
        entry["anchored"] = anchored.get(name, 0)
        entry["ok"] = entry["problem"] is None
        del entry["checked_alone"]
    summary = report.to_dict()
    summary["first_error"] = _problem(first)
    events = sum(entry["events"] for entry in cases.values())
    return {
        "format": STATUS_FORMAT, "verified_at": stamp, "verified_by": by, "origin": origin,
        "records_dir": records_dir, "report": summary, "latest_checkpoint": checkpoint,
        # the whole trail's counts (the report's stop where the overall run stopped, if it did)
        "events": events, "cases_total": len(cases), "unanchored": events - sum(anchored.values()),
        "checkpoints": checkpoints,
        "cases": cases,
    }


def _entry() -> dict[str, Any]:
    return {"events": 0, "records": 0, "head_seq": 0, "head_hash": None, "problem": None, "checked_alone": None}


def _alone(preamble: list[dict[str, Any]]) -> Verifier:
    verifier = Verifier(check_signatures=False)
    for record in preamble:
        verifier.feed(record)
    return verifier


def _problem(problem: Problem | None) -> dict[str, Any] | None:
    if problem is None:
        return None
    return {**problem.__dict__, "text": problem.describe()}


def save(path: str | os.PathLike[str], status: Mapping[str, Any]) -> None:
    """Write the status atomically (a reader never sees half a file; the last writer wins)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(status, fh, ensure_ascii=False, separators=(",", ":"))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The last status, or None when there is none (or it is unreadable: the pages then offer a new run)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != STATUS_FORMAT:
        return None
    return data


def problems(status: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The broken cases of a status, in case order."""
    for name in sorted(status.get("cases", {})):
        entry = status["cases"][name]
        if entry.get("problem"):
            yield name, entry
