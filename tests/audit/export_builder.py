"""Build synthetic lawflow audit exports (JSON Lines records) for tests and benchmarks.

    b = ExportBuilder()                       # a fresh Ed25519 key, or ExportBuilder(key=...)
    b.add_event("2026-JD-0001", "created", to="draft", actor="u1", role="drafter")
    b.checkpoint()                            # anchors every event without a leaf, signs a checkpoint
    records = b.records()                     # header, key, events + case rows, leaves, checkpoints
    text = dump(records)                      # JSONL text, one canonical object per line

``sample_builder()`` gives the fixture used by the tamper matrix: three cases, two signed checkpoints, and
two events that are not anchored yet. Helpers at the bottom tamper with record lists the way an insider
with database access would (``rehash_case`` recomputes a forged chain end to end).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import random
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from workflow.audit import signing
from workflow.audit.verifier import (
    CHECKPOINT_FORMAT,
    EVENT_FORMAT,
    EXPORT_FORMAT,
    GENESIS,
    KEY_ROTATION_KIND,
    CanonicalError,
    canonical_bytes,
    checkpoint_hash,
    event_hash,
    export_line,
    leaf_hash,
    merkle_root,
    rotation_statement,
)

ORIGIN = "lawflow.example/qingshui-town"
START = datetime(2026, 11, 29, 8, 0, 0, tzinfo=UTC)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def fixed_key(label: str = "lawflow test key") -> Ed25519PrivateKey:
    """A deterministic key (Ed25519 signatures are deterministic too), for golden files."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(label.encode()).digest())


class ExportBuilder:
    """Accumulates events, leaves and checkpoints the way lawflow's writer and integrator do."""

    def __init__(
        self,
        *,
        origin: str = ORIGIN,
        key: Ed25519PrivateKey | None = None,
        start: datetime = START,
        step: timedelta = timedelta(minutes=7, microseconds=123457),
    ) -> None:
        self.origin = origin
        self.key = key or Ed25519PrivateKey.generate()
        self.keys: list[Ed25519PrivateKey] = [self.key]
        self.clock = start
        self.step = step
        self.cases: dict[str, list[dict[str, Any]]] = {}
        self.leaves: list[tuple[str, int]] = []
        self.checkpoints: list[dict[str, Any]] = []
        self._anchored: set[tuple[str, int]] = set()

    def now(self) -> str:
        self.clock += self.step
        return stamp(self.clock)

    def add_event(
        self,
        case: str,
        kind: str,
        *,
        trigger: str | None = None,
        from_: str | None = None,
        to: str | None = None,
        actor: str | None = None,
        role: str | None = None,
        payload: dict[str, Any] | None = None,
        reasons: list[dict[str, Any]] | None = None,
        procedure: str = "major_decision@1",
        at: str | None = None,
    ) -> dict[str, Any]:
        events = self.cases.setdefault(case, [])
        ev: dict[str, Any] = {
            "format": EVENT_FORMAT,
            "case": case,
            "seq": len(events) + 1,
            "kind": kind,
            "trigger": trigger,
            "from": from_,
            "to": to,
            "actor": actor,
            "role": role,
            "at": at or self.now(),
            "procedure": procedure,
            "payload": payload or {},
            "reasons": reasons or [],
            "prev": events[-1]["hash"] if events else GENESIS,
        }
        ev["hash"] = event_hash(ev)
        events.append(ev)
        return ev

    def add_key(self, key: Ed25519PrivateKey) -> None:
        """Key rotation: the new public key is listed in the export next to the old ones."""
        self.keys.append(key)

    def rotate(self, new_key: Ed25519PrivateKey, *, signer: Ed25519PrivateKey | None = None,
               lost: bool = False) -> dict[str, Any]:
        """Record a key rotation in the system journal, signed by `signer` (default: the key in force) and by
        the new key (lawflow audit rotate-key); `lost`: the old key did not sign. The new key is in force next."""
        old_id = signing.key_id_for(self.origin, self.key)
        statement = rotation_statement(self.origin, old_id, signing.public_raw(new_key), self.now(), lost)
        message = canonical_bytes(statement)
        payload: dict[str, Any] = {"rotation": statement,
                                   "new_key_signature": base64.b64encode(new_key.sign(message)).decode()}
        if not lost:
            payload["old_key_signature"] = base64.b64encode((signer or self.key).sign(message)).decode()
        event = self.add_event("SYS", KEY_ROTATION_KIND, trigger="rotate_key", payload=payload, procedure="audit@1")
        self.add_key(new_key)
        self.key = new_key
        return event

    def checkpoint(
        self, *, key: Ed25519PrivateKey | None = None, issued_at: str | None = None
    ) -> dict[str, Any]:
        """Anchor every event without a leaf in (case, seq) order, then sign a checkpoint over all leaves."""
        key = key or self.key
        for case in sorted(self.cases):
            for ev in self.cases[case]:
                ident = (case, ev["seq"])
                if ident not in self._anchored:
                    self._anchored.add(ident)
                    self.leaves.append(ident)
        hashes = [leaf_hash(self._event(c, s)["hash"]) for c, s in self.leaves]
        body = {
            "format": CHECKPOINT_FORMAT,
            "origin": self.origin,
            "tree_size": len(self.leaves),
            "root": merkle_root(hashes).hex(),
            "issued_at": issued_at or self.now(),
            "prev_checkpoint": checkpoint_hash(self.checkpoints[-1]) if self.checkpoints else None,
            "key_id": signing.key_id_for(self.origin, key),
        }
        record = {"type": "checkpoint", **body, "signature": signing.sign(key, body)}
        self.checkpoints.append(record)
        return record

    def _event(self, case: str, seq: int) -> dict[str, Any]:
        return self.cases[case][seq - 1]

    def records(self) -> list[dict[str, Any]]:
        """The export as a list of records (deep copies: tests may tamper with them freely)."""
        out: list[dict[str, Any]] = [
            {
                "type": "header",
                "format": EXPORT_FORMAT,
                "origin": self.origin,
                "generator": "tests.audit.export_builder",
                "exported_at": stamp(self.clock + timedelta(hours=1)),
            }
        ]
        for k in self.keys:
            out.append(
                {
                    "type": "key",
                    "key_id": signing.key_id_for(self.origin, k),
                    "algorithm": "ed25519",
                    "public_key": _b64(signing.public_raw(k)),
                }
            )
        for case in sorted(self.cases):
            events = self.cases[case]
            out.extend({"type": "event", **copy.deepcopy(ev)} for ev in events)
            out.append(
                {"type": "case", "case": case, "head_seq": len(events), "head_hash": events[-1]["hash"]}
            )
        for i, (case, seq) in enumerate(self.leaves):
            out.append(
                {
                    "type": "leaf",
                    "log_index": i,
                    "case": case,
                    "seq": seq,
                    "event_hash": self._event(case, seq)["hash"],
                }
            )
        out.extend(copy.deepcopy(cp) for cp in self.checkpoints)
        return out

    def text(self) -> str:
        return dump(self.records())

    def write(self, path: str | Path) -> Path:
        p = Path(path)
        p.write_text(self.text(), encoding="utf-8")
        return p


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def dump(records: Iterable[dict[str, Any]]) -> str:
    """JSON Lines text, one canonical object per line (plain sorted JSON for out-of-profile test records)."""
    lines = []
    for r in records:
        try:
            lines.append(export_line(r).decode("utf-8"))
        except CanonicalError:
            lines.append(json.dumps(r, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n")
    return "".join(lines)


def dump_loose(records: Iterable[dict[str, Any]], seed: int = 0) -> str:
    """JSON Lines with shuffled key order and extra whitespace: the same export, formatted differently."""
    rng = random.Random(seed)

    def shuffle(obj: Any) -> Any:
        if isinstance(obj, dict):
            items = list(obj.items())
            rng.shuffle(items)
            return {k: shuffle(v) for k, v in items}
        if isinstance(obj, list):
            return [shuffle(v) for v in obj]
        return obj

    return "".join(
        "  "
        + json.dumps(shuffle(r), ensure_ascii=rng.random() < 0.5, indent=None, separators=(" , ", " :  "))
        + " \n"
        for r in records
    )


def sample_builder(key: Ed25519PrivateKey | None = None) -> ExportBuilder:
    """Three cases (重大行政决策 and 行政执法), two checkpoints, two events not anchored yet."""
    b = ExportBuilder(key=key)
    jd, zf, zf2 = "2026-JD-0001", "2026-ZF-0002", "2026-ZF-0003"
    b.add_event(
        jd,
        "created",
        to="draft",
        actor="u-zhang",
        role="drafter",
        payload={"title": "关于调整城区停车收费标准的决策", "budget": "1250000.00", "public_hearing": True},
    )
    b.add_event(
        zf,
        "created",
        to="filed",
        actor="u-li",
        role="officer",
        procedure="enforcement@2",
        payload={"party": "某某餐饮有限公司", "cause": "未按规定公示", "items": [{"code": "A1", "count": 2}]},
    )
    b.add_event(
        jd,
        "transition",
        trigger="submit_for_review",
        from_="draft",
        to="legality_review",
        actor="u-zhang",
        role="drafter",
        payload={"note": "附\t说明\n第二行", "attachments": [{"sha256": "ab" * 32, "size": 48213}]},
    )
    b.add_event(
        zf,
        "refused",
        trigger="decide",
        from_="filed",
        to=None,
        actor="u-li",
        role="officer",
        procedure="enforcement@2",
        payload={"fine": "2000.00"},
        reasons=[{"article": "行政处罚法 第四十四条", "message": "notice_not_served"}],
    )
    b.add_event(
        zf2,
        "created",
        to="filed",
        actor="u-wang",
        role="officer",
        procedure="enforcement@2",
        payload={"party": "张某"},
    )
    b.add_event(
        jd,
        "transition",
        trigger="approve_review",
        from_="legality_review",
        to="collective_discussion",
        actor="u-zhao",
        role="legal_reviewer",
        payload={"opinion": "合法", "conditions": []},
    )
    b.checkpoint()
    b.add_event(
        zf,
        "transition",
        trigger="serve_notice",
        from_="filed",
        to="notice_served",
        actor="u-li",
        role="officer",
        procedure="enforcement@2",
        payload={"method": "直接送达", "recipient": "法定代表人"},
    )
    b.add_event(
        zf2,
        "transition",
        trigger="close",
        from_="filed",
        to="closed",
        actor="u-wang",
        role="officer",
        procedure="enforcement@2",
        payload={"result": "不予处罚", "count": 0},
    )
    b.add_event(
        jd,
        "transition",
        trigger="decide",
        from_="collective_discussion",
        to="decided",
        actor="u-mayor",
        role="principal",
        payload={"meeting": "2026年第12次常务会议", "votes": {"for": 7, "against": 0}},
    )
    b.add_event(
        zf,
        "transition",
        trigger="decide",
        from_="notice_served",
        to="decided",
        actor="u-li",
        role="officer",
        procedure="enforcement@2",
        payload={"fine": "2000.00", "confiscation": None},
    )
    b.checkpoint()
    # Written after the last checkpoint: no leaf yet ("not yet anchored").
    b.add_event(
        jd,
        "record_attached",
        actor="u-zhang",
        role="drafter",
        payload={"file": "决定书.pdf", "sha256": "cd" * 32, "size": 102400},
    )
    b.add_event(
        zf, "transition", trigger="archive", from_="decided", to="archived", actor="u-li", role="officer",
        procedure="enforcement@2",
    )  # fmt: skip
    return b


# --- tampering helpers (what an insider with write access to the database could do) ---------------


def find(records: list[dict[str, Any]], type_: str, **match: Any) -> int:
    """Index of the first record of ``type_`` whose fields equal ``match``."""
    for i, r in enumerate(records):
        if r.get("type") == type_ and all(r.get(k) == v for k, v in match.items()):
            return i
    raise LookupError(f"no {type_} record matching {match}")


def rehash_case(records: list[dict[str, Any]], case: str) -> list[dict[str, Any]]:
    """Recompute a case's chain end to end (hashes, prev links, case head) and the leaves' event_hash.

    This is the forgery a plain hash chain cannot detect; only a signed checkpoint can.
    """
    prev = GENESIS
    new_hash: dict[int, str] = {}
    for r in records:
        if r.get("type") == "event" and r.get("case") == case:
            r["prev"] = prev
            r["hash"] = event_hash(r)
            prev = new_hash[r["seq"]] = r["hash"]
    for r in records:
        if r.get("type") == "case" and r.get("case") == case:
            r["head_hash"] = prev
            r["head_seq"] = max(new_hash, default=0)
        if r.get("type") == "leaf" and r.get("case") == case and r["seq"] in new_hash:
            r["event_hash"] = new_hash[r["seq"]]
    return records


def write_large_export(path: str | Path, n_events: int, n_cases: int, *, seed: int = 1) -> Path:
    """A big realistic export for benchmarks: ~n_events events, all anchored, three checkpoints."""
    rng = random.Random(seed)
    b = ExportBuilder(key=fixed_key(), step=timedelta(seconds=1, microseconds=7))
    cases = [f"2026-ZF-{i:06d}" for i in range(n_cases)]
    marks = {n_events // 3, 2 * n_events // 3}
    for i in range(n_events):
        case = rng.choice(cases)
        b.add_event(
            case,
            "transition",
            trigger="advance",
            from_="step_a",
            to="step_b",
            actor=f"u-{rng.randrange(200)}",
            role="officer",
            procedure="enforcement@2",
            payload={
                "party": "某某有限公司",
                "fine": f"{rng.randrange(10**6)}.00",
                "items": [{"code": "A1", "n": i}],
            },
        )
        if i in marks:
            b.checkpoint()
    b.checkpoint()
    p = Path(path)
    with p.open("wb") as f:
        for r in b.records():
            f.write(export_line(r))
    return p
