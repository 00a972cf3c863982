"""Witnessed checkpoints: the last checkpoint this instance signed, kept OUTSIDE the database, so that a
rolled-back database (an older backup restored, a disk snapshot put back) or a rewritten log is noticed.

A hash chain and even a signed checkpoint stored in the database go back in time with the database. What
does not is a copy kept elsewhere (audit-design §2.1, the last two rows of the threat model): the witness
directory (LAWFLOW_WITNESS_DIR, default `<folder of the signing key>/witness`, beside the key's custody), the
checkpoints published on the portal, the district's copies. `lawflow audit checkpoint` writes the witness
after each signature and refuses to sign a log that does not extend it (the C2SP rule: never sign two
inconsistent checkpoints, so two signed histories cannot fork). `lawflow audit verify --witness` and
`lawflow restore` compare the database with every witnessed checkpoint they are given.

The witness also records each organisation's case-number counters at the time of signing: a database put
back to an older state would otherwise issue again numbers that were already on paper (workflow/numbering.py
holds the opening of cases until an operator advances the counters past the witnessed highs).

Files in the witness directory:
  last-checkpoint.json  the last signed checkpoint, its signature, when it was witnessed, the counters
  checkpoints.jsonl     every checkpoint witnessed here, one per line (the same objects), oldest first
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow.audit.canonical import json_items
from workflow.audit.merkle import CompactRange, leaf_hash
from workflow.models import AuditLeaf, CaseNumberCounter
from workflow.numbering import HOLD_PREFIX

LAST = "last-checkpoint.json"
HISTORY = "checkpoints.jsonl"
RECORD_KEYS = ("format", "origin", "tree_size", "root", "issued_at", "prev_checkpoint", "key_id")


class WitnessError(ValueError):
    """A witness file that cannot be read as checkpoints."""


@dataclass(frozen=True)
class Witnessed:
    """A checkpoint seen outside the database, where it was read from, and (from a witness file) the
    case-number counters at that moment."""

    record: dict[str, Any]  # the checkpoint's signed fields and its signature
    source: str
    witnessed_at: str = ""
    case_numbers: dict[str, int] = field(default_factory=dict)  # "org/PREFIX/year" -> last number

    @property
    def tree_size(self) -> int:
        return int(self.record["tree_size"])

    @property
    def when(self) -> str:
        return self.witnessed_at or str(self.record.get("issued_at", ""))

    def label(self) -> str:
        return f"tree_size {self.tree_size} (root {str(self.record['root'])[:16]}…, {self.source})"


@dataclass(frozen=True)
class Finding:
    """A disagreement between the database and a witness: `kind` is rollback, fork or case_numbers."""

    kind: str
    zh: str
    en: str

    def text(self) -> str:
        return f"{self.zh} / {self.en}"


# ---------------------------------------------------------------- reading and writing witness files


def entry(record: Mapping[str, Any], signature: str, witnessed_at: str, counters: Mapping[str, int]) -> dict[str, Any]:
    return {"type": "checkpoint", **{k: record[k] for k in RECORD_KEYS}, "signature": signature,
            "witnessed_at": witnessed_at, "case_numbers": dict(sorted(counters.items()))}


def write(directory: Path, item: Mapping[str, Any]) -> None:
    """Append `item` to the history and replace last-checkpoint.json atomically (fsync'd before the rename:
    a crash leaves the previous witness or the new one, never half of one)."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    line = json.dumps(item, ensure_ascii=False, sort_keys=True)
    with open(directory / HISTORY, "a", encoding="utf-8") as f:
        f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())
    tmp = directory / f".{LAST}.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(json.dumps(item, ensure_ascii=False, sort_keys=True, indent=1) + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, directory / LAST)
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def last(directory: Path) -> Witnessed | None:
    """The last checkpoint witnessed in `directory`, or None when nothing was witnessed there yet."""
    path = directory / LAST
    if not path.exists():
        return None
    found = read(path)
    return max(found, key=lambda w: w.tree_size) if found else None


def read(path: Path) -> list[Witnessed]:
    """Witnessed checkpoints from a witness directory or a file: a witness file, a checkpoint printed by
    `lawflow audit checkpoint`, the portal's published checkpoints, an export (its checkpoint records):
    one JSON object, an array, or JSON Lines."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix in {".json", ".jsonl"}
                       and not p.name.startswith("."))
        return [w for f in files for w in read(f)]
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WitnessError(f"无法读取见证文件 cannot read the witness {path}: {exc}") from None
    try:
        items = json_items(text)
    except ValueError as exc:
        raise WitnessError(f"见证文件格式有误 {path}: {exc}") from None
    out = []
    for n, item in enumerate(items, 1):
        if isinstance(item, dict) and isinstance(item.get("checkpoints"), list):  # a page listing checkpoints
            out.extend(_one(cp, f"{path}#{n}.{m}") for m, cp in enumerate(item["checkpoints"], 1)
                       if isinstance(cp, dict))
            continue
        if not isinstance(item, dict) or item.get("type", "checkpoint") != "checkpoint":
            continue
        out.append(_one(item, f"{path}" if len(items) == 1 else f"{path}#{n}"))
    return out


def _one(item: Mapping[str, Any], source: str) -> Witnessed:
    missing = [k for k in RECORD_KEYS if k not in item]
    if missing:
        raise WitnessError(f"见证的检查点缺少字段 the witnessed checkpoint {source} lacks {', '.join(missing)}")
    if not isinstance(item["tree_size"], int) or item["tree_size"] < 0:
        raise WitnessError(f"见证的检查点 {source}: tree_size must be a whole number")
    numbers = item.get("case_numbers") or {}
    if not isinstance(numbers, dict) or not all(isinstance(v, int) for v in numbers.values()):
        raise WitnessError(f"见证的检查点 {source}: case_numbers must map counters to numbers")
    record = {k: item[k] for k in RECORD_KEYS}
    if "signature" in item:
        record["signature"] = item["signature"]
    return Witnessed(record, source, str(item.get("witnessed_at", "")), dict(numbers))


# ---------------------------------------------------------------- comparing the database with witnesses


def counters(session: Session) -> dict[str, int]:
    """Every organisation's case-number counters, "org/PREFIX/year" -> last number issued."""
    rows = session.execute(select(CaseNumberCounter.org_id, CaseNumberCounter.prefix, CaseNumberCounter.year,
                                  CaseNumberCounter.last_number)
                           .where(CaseNumberCounter.prefix != HOLD_PREFIX)).all()
    return {f"{org}/{prefix}/{year}": int(n) for org, prefix, year, n in rows}


def leaf_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(AuditLeaf)) or 0)


def root_at(session: Session, size: int) -> str:
    """The Merkle root of the first `size` leaves of the database's log (recomputed from the leaves)."""
    compact = CompactRange()
    batch: list[bytes] = []
    rows = session.execute(select(AuditLeaf.event_hash).order_by(AuditLeaf.log_index).limit(size)
                           .execution_options(yield_per=10_000))
    for (event_hash,) in rows:
        batch.append(leaf_hash(event_hash))
        if len(batch) >= 10_000:
            compact.extend(batch)
            batch = []
    compact.extend(batch)
    return compact.root().hex()


def compare(session: Session, witnessed: list[Witnessed], *, origin: str | None = None) -> list[Finding]:
    """What the database contradicts among the witnessed checkpoints: a log shorter than a witness (a
    rollback), a different root at a witnessed size (a fork: the history was rewritten), case-number
    counters below the witnessed ones (numbers that would be issued twice)."""
    findings: list[Finding] = []
    size = leaf_count(session)
    roots: dict[int, str] = {}
    own = counters(session)
    unique: dict[tuple[int, str], Witnessed] = {}
    for w in witnessed:  # the same checkpoint is often witnessed in several places: report it once
        if origin is None or w.record["origin"] == origin:  # the district witnesses several towns' logs
            unique.setdefault((w.tree_size, str(w.record["root"])), w)
    for w in sorted(unique.values(), key=lambda w: w.tree_size):
        if w.tree_size > size:
            findings.append(Finding(
                "rollback",
                f"数据库回滚：数据库的日志止于第 {size} 个事件，但检查点 {w.label()} 已于 {w.when} 见证了第 {w.tree_size} 个"
                f"（{w.tree_size} > {size}）：恢复了较旧的备份，或日志被删减",
                f"ROLLBACK: the database ends at seq {size}, but checkpoint {w.label()} witnessed seq {w.tree_size} > "
                f"{size} on {w.when}: an older backup was restored, or the log was cut"))
            continue
        if w.tree_size not in roots:
            roots[w.tree_size] = root_at(session, w.tree_size)
        if roots[w.tree_size] != w.record["root"]:
            findings.append(Finding(
                "fork",
                f"历史被改写：数据库前 {w.tree_size} 个事件的根为 {roots[w.tree_size][:16]}…，与见证的检查点 {w.label()} 不符",
                f"FORK: the database's first {w.tree_size} events give root {roots[w.tree_size][:16]}…, not the root "
                f"of the witnessed checkpoint {w.label()}: the history was rewritten"))
    dated: dict[str, tuple[int, str]] = {}
    for w in unique.values():
        for key, high in w.case_numbers.items():
            if high > dated.get(key, (0, ""))[0]:
                dated[key] = (high, w.when)
    for key, (high, when) in sorted(dated.items()):
        if own.get(key, 0) < high:
            findings.append(Finding(
                "case_numbers",
                f"案件编号计数器 {key} 为 {own.get(key, 0)}，低于 {when} 见证的 {high}：已发出的编号可能被重复使用"
                f"（请运行 lawflow case-numbers advance）",
                f"case-number counter {key} is at {own.get(key, 0)}, below {high} witnessed on {when}: numbers "
                f"already issued could be issued again (run lawflow case-numbers advance)"))
    return findings


def witnessed_highs(witnessed: Iterable[Witnessed]) -> dict[str, int]:
    """The highest witnessed value of every case-number counter."""
    highs: dict[str, int] = {}
    for w in witnessed:
        for key, value in w.case_numbers.items():
            highs[key] = max(highs.get(key, 0), value)
    return highs
