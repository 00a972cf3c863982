#!/usr/bin/env python3
"""Offline verifier for lawflow audit exports (审计导出离线校验). Python standard library only.

The auditor is handed ONE file, made by `lawflow audit verifier -o verify.py` (workflow/audit/handout.py
joins canonical.py, merkle.py, row_replay.py and this module), and runs it without installing anything:

    python3 -I -S verify.py EXPORT.jsonl [--trusted-checkpoint FILE]... [--quiet]
                                         [--write-signature-files DIR]

Exit status: 0 the export is intact, 1 it is broken (the first broken case / seq / field is printed),
2 usage, I/O or parse error.

Inside lawflow this module is ``workflow.audit.verifier`` (`lawflow audit verify` checks the database with
its Verifier). The canonical JSON profile, the checkpoint body, the RFC 6962 Merkle tree and the replay of
case rows are not here but in those three modules, which the write path imports too: the writer and the
auditor run the same code and cannot drift apart. This module re-exports their names. The format is
described in docs/audit-format.md.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import bisect
import hashlib
import json
import json.scanner
import os
import re
import sys
import time
from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from workflow.audit.canonical import (
    CHECKPOINT_FIELDS,
    CHECKPOINT_FORMAT,
    COSIGNATURE_FIELDS,
    COSIGNATURE_FORMAT,
    ED25519_SPKI_PREFIX,
    EMPTY_ROOT,
    EVENT_FIELDS,
    EVENT_FORMAT,
    EXPORT_FORMAT,
    GENESIS,
    HEX64,
    KEY_ROTATION_FORMAT,
    KEY_ROTATION_KIND,
    OPTIONAL_EVENT_FIELDS,
    ROTATION_FIELDS,
    SAFE_INTEGER,
    SYSTEM_JOURNAL,
    CanonicalError,
    admit_key,
    canonical_bytes,
    check_file,
    check_profile,
    checkpoint_body,
    checkpoint_hash,
    cosignature_body,
    encode_checked,
    encode_checked_text,
    export_line,
    is_int,
    json_items,
    key_id,
    known_keys,
    public_key_pem,
    quote_string,
    record_path,
    rotation_statement,
    walk,
)
from workflow.audit.merkle import (
    CompactRange,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    leaf_hash_data,
    merkle_root,
    node_hash,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)
from workflow.audit.row_replay import (
    ROUND_INDEPENDENT,
    ROW_FIELDS,
    ROW_KINDS,
    local_day,
    record_step,
    replay_event,
    row_difference,
    step_problem,
)

# Signatures are checked only when pyca/cryptography is importable; under `python3 -I -S` it is not,
# and the verifier then reports signatures as "not checked" and prints an OpenSSL recipe instead.
_Ed25519PublicKey: Any
try:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey as _Ed25519PublicKey
except Exception:  # ImportError under -S; anything else also means "not usable here"
    _Ed25519PublicKey = None

__all__ = [
    "CHECKPOINT_FIELDS",
    "CHECKPOINT_FORMAT",
    "EMPTY_ROOT",
    "EVENT_FIELDS",
    "EVENT_FORMAT",
    "EXPORT_FORMAT",
    "GENESIS",
    "KEY_ROTATION_FORMAT",
    "KEY_ROTATION_KIND",
    "OPTIONAL_EVENT_FIELDS",
    "ROUND_INDEPENDENT",
    "ROW_FIELDS",
    "ROW_KINDS",
    "CanonicalError",
    "CompactRange",
    "EventFormatError",
    "Problem",
    "Report",
    "Verifier",
    "canonical_bytes",
    "checkpoint_body",
    "checkpoint_hash",
    "consistency_proof",
    "event_hash",
    "export_line",
    "inclusion_proof",
    "key_id",
    "leaf_hash",
    "leaf_hash_data",
    "local_day",
    "load_checkpoints",
    "load_public_key",
    "main",
    "merkle_root",
    "node_hash",
    "public_key_pem",
    "record_step",
    "replay_event",
    "row_difference",
    "root_from_inclusion_proof",
    "rotation_statement",
    "signatures_available",
    "validate_event",
    "verify_consistency",
    "verify_file",
    "verify_inclusion",
    "verify_records",
    "verify_signature",
]

PROGRESS_EVERY = 100_000
_sha256 = hashlib.sha256


# --------------------------------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------------------------------


class EventFormatError(ValueError):
    """An event does not follow lawflow.audit.v1; ``field`` names the offending field."""

    def __init__(self, field_name: str, message: str) -> None:
        self.field = field_name
        super().__init__(f"{field_name}: {message}")


_HEX16 = re.compile(r"[0-9a-f]{16}")
_AT_RE = re.compile(
    r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)"
    r"\.[0-9]{6}Z"
)
_ISSUED_RE = re.compile(
    r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)"
    r"(\.[0-9]{1,9})?Z"
)
_PROCEDURE_RE = re.compile(r"[^@\s]+@[^@\s]+")
_at_match = _AT_RE.fullmatch
_procedure_match = _PROCEDURE_RE.fullmatch
_good_procedures: set[str] = set()
_OPTIONAL_STR = ("trigger", "from", "to", "actor", "role")
_NOT_HASHED = ("hash", "type")
_EVENT_KEYS = frozenset(EVENT_FIELDS)
_EVENT_KEYS_HASHED = _EVENT_KEYS | {"hash"}
_EVENT_RECORD_KEYS = _EVENT_KEYS | {"hash", "type"}  # plus the optional facts (see _event_problem)




def _keyset_problem(
    rec: Mapping[str, Any], required: Sequence[str], allowed: frozenset[str]
) -> tuple[str, str]:
    for name in required:
        if name not in rec:
            return name, f"field {name!r} is missing"
    extra = sorted(str(k) for k in rec if k not in allowed)
    return extra[0], f"unexpected field {extra[0]!r}"


def _event_problem(
    rec: Mapping[str, Any], keys: frozenset[str], hex_fields: bool = True
) -> tuple[str, str] | None:
    """(field, message) for the first schema problem of an event, or None.

    The verifier passes ``hex_fields=False``: a malformed ``prev`` or ``hash`` can never equal a computed
    hash, so the chain checks catch it (and then ask ``_hex_problem`` for the message)."""
    fmt = rec.get("format")
    if fmt != EVENT_FORMAT:
        if "format" not in rec:
            return "format", "field 'format' is missing"
        return "format", f"unknown event format {fmt!r} (this verifier knows {EVENT_FORMAT!r})"
    if "facts" in rec:
        keys = keys | {"facts"}
        v = rec["facts"]
        if type(v) is not dict or not v:
            return "facts", "facts, when present, must be a non-empty object"
    if rec.keys() != keys:
        required = EVENT_FIELDS + tuple(sorted(k for k in ("type", "hash") if k in keys))
        return _keyset_problem(rec, required, keys)
    v = rec["case"]
    if not isinstance(v, str) or not v:
        return "case", "case must be a non-empty string"
    v = rec["seq"]
    if not is_int(v) or not 0 < v < SAFE_INTEGER:
        return "seq", "seq must be an integer >= 1"
    v = rec["kind"]
    if not isinstance(v, str) or not v:
        return "kind", "kind must be a non-empty string"
    for name in _OPTIONAL_STR:
        v = rec[name]
        if v is not None and not isinstance(v, str):
            return name, f"{name} must be a string or null"
    v = rec["at"]
    if not isinstance(v, str) or not _AT_RE.fullmatch(v):
        return "at", "at must be RFC 3339 UTC with microseconds, e.g. 2026-11-29T23:09:39.123456Z"
    v = rec["procedure"]
    if not isinstance(v, str) or not _PROCEDURE_RE.fullmatch(v):
        return "procedure", "procedure must look like 'id@version'"
    if not isinstance(rec["payload"], dict):
        return "payload", "payload must be an object"
    v = rec["reasons"]
    if not isinstance(v, list):
        return "reasons", "reasons must be a list of objects"
    for i, r in enumerate(v):
        if not isinstance(r, dict):
            return f"reasons[{i}]", "reasons must be a list of objects"
    if hex_fields:
        for name in ("prev", "hash") if "hash" in keys else ("prev",):
            problem = _hex_problem(rec, name)
            if problem is not None:
                return name, problem
    return None


def _hex_problem(rec: Mapping[str, Any], name: str) -> str | None:
    v = rec.get(name)
    if not isinstance(v, str) or not HEX64.fullmatch(v):
        return f"{name} must be 64 lowercase hex digits"
    return None


class _Slow(Exception):
    """Internal: the event fast path cannot decide; take the general (slow, precise) path."""


def _event_text(r: Mapping[str, Any]) -> str:
    """Canonical JSON of an event's hashed fields, without copying the record. The fields are the fixed
    v1 set in sorted order; nested values go through the shared encoder. Raises TypeError if a string
    field is not a string. Identical to ``encode_checked_text(body)`` (tested with Hypothesis)."""
    q = quote_string
    facts = r.get("facts")
    fx = "" if facts is None else f'"facts":{encode_checked_text(facts)},'
    p = r["payload"]
    rs = r["reasons"]
    a, f, ro, to, tr = r["actor"], r["from"], r["role"], r["to"], r["trigger"]
    seq = r["seq"]
    if type(seq) is not int:  # bool or an int subclass would print differently
        raise TypeError("seq")
    return (
        f'{{"actor":{"null" if a is None else q(a)},"at":{q(r["at"])},"case":{q(r["case"])},'
        f'{fx}"format":{q(r["format"])},"from":{"null" if f is None else q(f)},"kind":{q(r["kind"])},'
        f'"payload":{encode_checked_text(p) if p else "{}"},"prev":{q(r["prev"])},"procedure":{q(r["procedure"])},'
        f'"reasons":{encode_checked_text(rs) if rs else "[]"},"role":{"null" if ro is None else q(ro)},"seq":{seq},'
        f'"to":{"null" if to is None else q(to)},"trigger":{"null" if tr is None else q(tr)}}}'
    )


def validate_event(event: Mapping[str, Any]) -> None:
    """Check that ``event`` (with or without ``hash``, without ``type``) is a valid v1 event.

    Writers call this before storing an event, so they never produce what the verifier rejects.
    Raises EventFormatError (schema) or CanonicalError (profile).
    """
    problem = _event_problem(event, _EVENT_KEYS_HASHED if "hash" in event else _EVENT_KEYS)
    if problem is not None:
        raise EventFormatError(*problem)
    if event["seq"] == 1 and event["prev"] != GENESIS:
        raise EventFormatError("prev", "the first event of a case (seq 1) must have prev = 64 zeros")
    check_profile(event["payload"], "payload")
    check_profile(event["reasons"], "reasons")
    if "facts" in event:
        check_profile(event["facts"], "facts")


def event_hash(event: Mapping[str, Any]) -> str:
    """Hex SHA-256 of the canonical bytes of all event fields except ``hash`` and ``type``."""
    body = {k: v for k, v in event.items() if k not in _NOT_HASHED}
    return _sha256(canonical_bytes(body)).hexdigest()


# --------------------------------------------------------------------------------------------------
# Checkpoints and signatures
# --------------------------------------------------------------------------------------------------

_CHECKPOINT_KEYS = frozenset(CHECKPOINT_FIELDS)
_CHECKPOINT_RECORD_KEYS = _CHECKPOINT_KEYS | {"type", "signature", "cosignature"}  # cosignature: a district's copy




def _strict_b64(text: object, length: int) -> bytes | None:
    """Decode canonical base64 of exactly ``length`` bytes, else None (no malleable encodings)."""
    if not isinstance(text, str):
        return None
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != length or base64.b64encode(raw).decode("ascii") != text:
        return None
    return raw


def signatures_available() -> bool:
    """True when pyca/cryptography is importable, i.e. Ed25519 signatures can be checked here."""
    return _Ed25519PublicKey is not None


def verify_signature(public_key_raw: bytes, body: Mapping[str, Any], signature_b64: str) -> bool | None:
    """Ed25519 check of ``signature_b64`` over ``canonical_bytes(body)``; None if it cannot be checked."""
    return _ed25519_valid(public_key_raw, canonical_bytes(checkpoint_body(body)), signature_b64)


# --------------------------------------------------------------------------------------------------
# Key rotation: the signing key's chain (docs/audit-format.md §3, docs/operations.md "Key custody")
# --------------------------------------------------------------------------------------------------



def _ed25519_valid(public_key_raw: bytes, message: bytes, signature_b64: object) -> bool | None:
    """Ed25519 check of a detached signature; None when it cannot be checked here (no cryptography)."""
    if _Ed25519PublicKey is None:
        return None
    sig = _strict_b64(signature_b64, 64)
    if sig is None:
        return False
    try:
        _Ed25519PublicKey.from_public_bytes(bytes(public_key_raw)).verify(sig, message)
    except Exception:  # InvalidSignature, or a malformed key
        return False
    return True


@dataclass
class _Rotation:
    seq: int
    payload: dict[str, Any]
    line: int | None
    leaf: int | None = None  # log_index of its event once anchored

    @property
    def statement(self) -> Any:
        return self.payload.get("rotation")


def _checkpoint_problem(
    rec: Mapping[str, Any], allowed: frozenset[str], need_signature: bool
) -> tuple[str, str] | None:
    fmt = rec.get("format")
    if fmt != CHECKPOINT_FORMAT:
        if "format" not in rec:
            return "format", "field 'format' is missing"
        return "format", f"unknown checkpoint format {fmt!r} (this verifier knows {CHECKPOINT_FORMAT!r})"
    required = CHECKPOINT_FIELDS + (("signature",) if need_signature else ())
    if any(k not in rec for k in required) or any(k not in allowed for k in rec):
        return _keyset_problem(rec, required, allowed)
    v = rec["origin"]
    if not isinstance(v, str) or not v:
        return "origin", "origin must be a non-empty string"
    v = rec["tree_size"]
    if not is_int(v) or not 0 <= v < SAFE_INTEGER:
        return "tree_size", "tree_size must be an integer >= 0"
    if not isinstance(rec["root"], str) or not HEX64.fullmatch(rec["root"]):
        return "root", "root must be 64 lowercase hex digits"
    if not isinstance(rec["issued_at"], str) or not _ISSUED_RE.fullmatch(rec["issued_at"]):
        return "issued_at", "issued_at must be RFC 3339 UTC ending in Z"
    v = rec["prev_checkpoint"]
    if v is not None and (not isinstance(v, str) or not HEX64.fullmatch(v)):
        return "prev_checkpoint", "prev_checkpoint must be null or 64 lowercase hex digits"
    if not isinstance(rec["key_id"], str) or not _HEX16.fullmatch(rec["key_id"]):
        return "key_id", "key_id must be 16 lowercase hex digits"
    if "signature" in rec and _strict_b64(rec["signature"], 64) is None:
        return "signature", "signature must be canonical base64 of 64 bytes"
    return None


def load_public_key(path: str) -> bytes:
    """A raw Ed25519 public key from a PEM file (SubjectPublicKeyInfo, as pub.pem). Raises ValueError/OSError."""
    with open(path, "rb") as f:
        text = f.read().decode("ascii", "replace")
    body = "".join(line for line in text.splitlines() if line and not line.startswith("-----"))
    try:
        der = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        der = b""
    if len(der) != len(ED25519_SPKI_PREFIX) + 32 or not der.startswith(ED25519_SPKI_PREFIX):
        raise ValueError(f"{path}: not an Ed25519 public key in PEM (SubjectPublicKeyInfo)")
    return der[len(ED25519_SPKI_PREFIX):]


def load_checkpoints(path: str) -> list[dict[str, Any]]:
    """Read trusted checkpoints: one JSON object, a JSON array, or JSON Lines. Raises ValueError/OSError."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"{path}: not UTF-8 ({e})") from None
    try:
        items = json_items(text)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None
    out = []
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise ValueError(f"{path}: item {n} is not a JSON object")
        if item.get("type", "checkpoint") != "checkpoint":
            continue  # tolerate a whole export passed as the trusted file: only its checkpoints count
        problem = _checkpoint_problem(item, _CHECKPOINT_RECORD_KEYS, need_signature=False)
        if problem is not None:
            raise ValueError(f"{path}: checkpoint {n}: {problem[0]}: {problem[1]}")
        out.append(item)
    if not out:
        raise ValueError(f"{path}: no checkpoint found")
    return out



def cosignature_problem(checkpoint: Mapping[str, Any], witness_keys: Iterable[bytes]) -> str | None:
    """Why `checkpoint` (a town's checkpoint as a district keeps it, docs/audit-format.md §8) does not carry a
    valid co-signature by one of `witness_keys` (raw Ed25519), or None when it does. The co-signature names
    the checkpoint by its hash, so it vouches for exactly this origin, size and root. Without pyca/cryptography
    the signature cannot be checked: the answer is then "" (falsy, not None), for the caller to warn."""
    cos = checkpoint.get("cosignature")
    if not isinstance(cos, dict):
        return "it carries no co-signature (not a copy kept by the district)"
    if cos.get("format") != COSIGNATURE_FORMAT or set(cos) != {*COSIGNATURE_FIELDS, "signature"}:
        return f"the co-signature is not a {COSIGNATURE_FORMAT} record with fields {', '.join(COSIGNATURE_FIELDS)}, signature"
    if not isinstance(cos["witness"], str) or not isinstance(cos["witness_key_id"], str):
        return "the co-signature's witness and witness_key_id must be strings"
    if cos["checkpoint"] != checkpoint_hash(checkpoint_body(checkpoint)):
        return "the co-signature is for another checkpoint (its checkpoint hash differs)"
    keys = [k for k in witness_keys if key_id(cos["witness"], k) == cos["witness_key_id"]]
    if not keys:
        return f"co-signed by witness key {cos['witness_key_id']} of {cos['witness']!r}, not by the witness key given"
    valid = _ed25519_valid(keys[0], canonical_bytes(cosignature_body(cos)), cos["signature"])
    if valid is None:
        return ""
    return None if valid else f"the co-signature by witness key {cos['witness_key_id']} is not valid"


def check_cosignatures(checkpoints: Iterable[Mapping[str, Any]], witness_keys: Sequence[bytes]) -> int:
    """Raise ValueError naming the first checkpoint whose co-signature is missing or invalid; return how many
    co-signatures could not be checked here (no pyca/cryptography)."""
    unchecked = 0
    for n, cp in enumerate(checkpoints, 1):
        problem = cosignature_problem(cp, witness_keys)
        if problem == "":
            unchecked += 1
        elif problem is not None:
            raise ValueError(f"trusted checkpoint #{n} (tree_size {cp.get('tree_size')}): {problem}")
    return unchecked


# --------------------------------------------------------------------------------------------------
# Streaming export verifier
# --------------------------------------------------------------------------------------------------


@dataclass
class Problem:
    """The first broken item: where it is (case, seq, field, export line) and what is wrong."""

    message: str
    case: str | None = None
    seq: int | None = None
    field: str | None = None
    line: int | None = None

    def describe(self) -> str:
        where = []
        if self.case is not None:
            where.append(f"case {self.case!r}")
        if self.seq is not None:
            where.append(f"seq {self.seq}")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        text = (" ".join(where) + ": " if where else "") + self.message
        return text + (f" (line {self.line})" if self.line is not None else "")


@dataclass
class Report:
    ok: bool
    first_error: Problem | None
    message: str
    origin: str | None = None
    events: int = 0
    cases: int = 0
    leaves: int = 0
    checkpoints: int = 0
    unanchored_events: int = 0
    trusted_checkpoints: int = 0
    signatures: str = "none"  # "verified" | "not checked" | "none" (no checkpoints)
    records_checked: int = 0  # evidence files re-hashed against their record_attached events
    records_unchecked: int = 0  # evidence files named by events but not re-hashed (no records folder given)
    warnings: list[str] = field(default_factory=list)
    warning_count: int = 0
    key_rotations: int = 0  # rotations of the checkpoint signing key in the system journal (the key chain)

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["first_error"] = None if self.first_error is None else dict(self.first_error.__dict__)
        return d


_AT_LEN = 27  # len("2026-11-29T23:09:39.123456Z"): every valid `at`


class _Case:
    __slots__ = ("anchored", "ats", "hashes", "last_at", "last_hash", "leafed", "max_anchored", "n", "name",
                 "row", "unreplayable")

    def __init__(self, name: str) -> None:
        self.name = name
        self.n = 0  # last seq seen
        self.hashes = bytearray()  # 32 bytes per event, index seq-1: leaves are matched against these
        self.ats = bytearray()  # 27 bytes per event: its `at`, to tell which events a checkpoint should cover
        self.row: dict[str, Any] | None = None  # the replayed case row, while the case's events stream in
        self.unreplayable: str | None = None  # why the row cannot be replayed (no record spec for a step)
        self.last_hash = GENESIS
        self.last_at: str | None = None
        self.leafed: bytearray | None = None  # 1 byte per event once the first leaf for the case arrives
        self.anchored = 0
        self.max_anchored = 0


@dataclass
class _Checkpoint:
    body: dict[str, Any]
    signature: str | None
    line: int | None
    label: str


_START, _BODY, _LEAVES, _CHECKPOINTS = range(4)
_SECTION = {_BODY: "event", _LEAVES: "leaf", _CHECKPOINTS: "checkpoint"}
_LEAF_KEYS = frozenset({"type", "log_index", "case", "seq", "event_hash"})
# A leaf of an event outside a scoped export (header `scope`): only its place and hash, for the roots.
_OTHER_LEAF_KEYS = frozenset({"type", "log_index", "event_hash"})
_CASE_KEYS = frozenset({"type", "case", "head_seq", "head_hash"})
_CASE_KEYS_ROW = _CASE_KEYS | {"row"}  # with the case row (state, version, data ...) to replay
_PROCEDURE_KEYS = frozenset({"type", "procedure", "steps"})
ROW_DIFFERS = "案件记录与其历史不符 the case row differs from its history"
_KEY_KEYS = frozenset({"type", "key_id", "algorithm", "public_key"})
_HEADER_REQUIRED = ("type", "format", "origin", "generator", "exported_at")
_MAX_WARNINGS = 100


class Verifier:
    """Feed export records in file order with ``feed()``, then call ``finish()`` for the Report.

    Memory is O(cases + events): 32 bytes per event hash and per leaf hash, never the events themselves.
    Checking stops at the first problem, which the report names with its case, seq and field.
    """

    def __init__(
        self,
        trusted_checkpoints: Iterable[Mapping[str, Any]] = (),
        *,
        check_signatures: bool | None = None,
        progress: Callable[[int], None] | None = None,
        progress_every: int = PROGRESS_EVERY,
        records_dir: str | None = None,
        trusted_keys: Iterable[bytes] = (),
        row_encode: Callable[[Any], Any] | None = None,
    ) -> None:
        if check_signatures is None:
            check_signatures = _Ed25519PublicKey is not None
        elif check_signatures and _Ed25519PublicKey is None:
            raise RuntimeError("cannot check signatures: the 'cryptography' package is not importable")
        self.check_signatures = check_signatures
        self._trusted: list[_Checkpoint] = []
        for n, cp in enumerate(trusted_checkpoints, 1):
            problem = _checkpoint_problem(cp, _CHECKPOINT_RECORD_KEYS, need_signature=False)
            if problem is not None:
                raise ValueError(f"trusted checkpoint {n}: {problem[0]}: {problem[1]}")
            label = f"trusted checkpoint #{n} (tree_size {cp['tree_size']})"
            self._trusted.append(_Checkpoint(checkpoint_body(cp), cp.get("signature"), None, label))
        self._progress = progress
        self._progress_every = progress_every
        self._state = _START
        self._error: Problem | None = None
        self._warnings: list[str] = []
        self._warning_count = 0
        self._line: int | None = None
        self.origin: str | None = None
        self.keys: dict[str, bytes] = {}
        self._cases: dict[str, _Case] = {}
        self._open: _Case | None = None
        self._events = 0
        self._leaves = 0
        self._leaf_buf = bytearray()
        self._steps: dict[str, dict[str, Any]] = {}  # procedure@version -> trigger -> record spec
        self._body_seen = False  # an event or case record has been read (procedure records come before)
        self._gaps: list[tuple[int, int, tuple[str, int] | None, tuple[str, int]]] = []  # missing log indexes
        self._last_leaf: tuple[str, int] | None = None
        self.scope: dict[str, Any] | None = None  # a scoped export's header `scope` (docs/audit-format.md §4)
        self._other_leaves = array("Q")  # log indexes of the leaves of events outside the scope, ascending
        self.checkpoints: list[_Checkpoint] = []
        self._report: Report | None = None
        self.records_dir = records_dir
        self._record_files: dict[str, tuple[int, str, int]] = {}  # sha256 -> (size, first case, seq)
        self.records_checked = 0
        self.rotations: list[_Rotation] = []  # the system journal's key rotations, in seq order
        self._rotation_at: dict[int, _Rotation] = {}  # SYS seq -> rotation, to note its leaf
        self._trusted_keys = {bytes(k) for k in trusted_keys}  # public keys received outside the export
        self._row_encode = row_encode or encode_checked_text  # type-exact, keys sorted (row_difference)
        self._handlers: dict[str, Callable[[dict[str, Any]], None]] = {
            "header": self._on_header,
            "key": self._on_key,
            "event": self._on_event,
            "case": self._on_case,
            "procedure": self._on_procedure,
            "leaf": self._on_leaf,
            "checkpoint": self._on_checkpoint,
        }

    @property
    def failed(self) -> bool:
        return self._error is not None

    @property
    def events(self) -> int:
        return self._events

    # -- plumbing ---------------------------------------------------------------------------------

    def _fail(
        self, message: str, case: str | None = None, seq: int | None = None, field_name: str | None = None
    ) -> None:
        if self._error is None:
            self._error = Problem(message, case, seq, field_name, self._line)

    def _warn(self, message: str) -> None:
        self._warning_count += 1
        if len(self._warnings) < _MAX_WARNINGS:
            self._warnings.append(message + (f" (line {self._line})" if self._line is not None else ""))

    def feed(self, record: Mapping[str, Any], line: int | None = None) -> bool:
        """Check one record; returns False once the export is known to be broken (stop feeding)."""
        if self._error is not None or self._report is not None:
            if self._report is not None:
                raise RuntimeError("feed() after finish()")
            return False
        self._line = line
        if type(record) is not dict and isinstance(record, Mapping):
            record = dict(record)
        try:
            handler = self._handlers[record["type"]]  # type: ignore[index]
        except (KeyError, TypeError, IndexError):
            self._bad_record(record)
            return False
        handler(record)  # type: ignore[arg-type]
        return self._error is None

    def _bad_record(self, record: object) -> None:
        if not isinstance(record, dict):
            self._fail("a record must be a JSON object", field_name="type")
        elif "type" not in record:
            self._fail("record has no 'type'", field_name="type")
        else:
            self._fail(f"unknown record type {record['type']!r}", field_name="type")

    def _misplaced(self, kind: str) -> None:
        if self._state == _START:
            self._fail(
                f"the export must start with a header record, not a {kind!r} record", field_name="type"
            )
        else:
            self._fail(
                f"{kind!r} record after {_SECTION[self._state]!r} records: the export order is header, keys, "
                "events with case records, leaves, checkpoints",
                field_name="type",
            )

    def _close_body(self) -> bool:
        """End of the event section: the last case must have had its case record."""
        st = self._open
        if st is not None:
            self._fail(
                f"case {st.name!r} has events up to seq {st.n} but no case record (head row missing)",
                st.name,
                st.n,
                "head_seq",
            )
            return False
        return True

    def _locate(self, rec: Mapping[str, Any]) -> tuple[str | None, int | None]:
        """Which event a broken record stands for. A tampered ``case`` or ``seq`` must not mislead the
        report, so inside an open case the position (open case, next seq) wins over the record's claims."""
        case = rec.get("case")
        seq = rec.get("seq")
        case = case if isinstance(case, str) else None
        seq = seq if is_int(seq) else None
        st = self._open
        looks_new = case is not None and case not in self._cases and seq == 1
        if st is not None and (case == st.name or not looks_new):
            return st.name, st.n + 1
        if case is not None and case not in self._cases:
            return case, 1
        return case, seq

    # -- record handlers --------------------------------------------------------------------------

    def _on_header(self, rec: dict[str, Any]) -> None:
        if self._state != _START:
            self._fail("a second header record", field_name="type")
            return
        for name in _HEADER_REQUIRED:
            if name not in rec:
                self._fail(f"header field {name!r} is missing", field_name=name)
                return
        if rec["format"] != EXPORT_FORMAT:
            self._fail(
                f"unknown export format {rec['format']!r} (this verifier knows {EXPORT_FORMAT!r})",
                field_name="format",
            )
            return
        if not isinstance(rec["origin"], str) or not rec["origin"]:
            self._fail("header origin must be a non-empty string", field_name="origin")
            return
        scope = rec.get("scope")
        if scope is not None and not (isinstance(scope, dict) and isinstance(scope.get("orgs"), list)
                                      and all(isinstance(o, str) for o in scope["orgs"])):
            self._fail("header scope must be {\"orgs\": [organisation ids]}", field_name="scope")
            return
        self.scope = scope
        self.origin = rec["origin"]
        self._state = _BODY

    def _on_key(self, rec: dict[str, Any]) -> None:
        if self._state == _START:
            self._misplaced("key")
            return
        if rec.keys() != _KEY_KEYS:
            name, msg = _keyset_problem(rec, ("type", "key_id", "algorithm", "public_key"), _KEY_KEYS)
            self._fail(f"key record: {msg}", field_name=name)
            return
        if rec["algorithm"] != "ed25519":
            self._fail(
                f"unknown key algorithm {rec['algorithm']!r} (expected 'ed25519')", field_name="algorithm"
            )
            return
        raw = _strict_b64(rec["public_key"], 32)
        if raw is None:
            self._fail(
                "public_key must be canonical base64 of a 32-byte Ed25519 key", field_name="public_key"
            )
            return
        kid = rec["key_id"]
        assert self.origin is not None
        if kid != key_id(self.origin, raw):
            self._fail(
                f"key_id {kid!r} does not match the public key and origin {self.origin!r}",
                field_name="key_id",
            )
            return
        if self.keys.get(kid, raw) != raw:
            self._fail(f"key_id {kid!r} is listed twice with different keys", field_name="key_id")
            return
        self.keys[kid] = raw

    def _on_procedure(self, rec: dict[str, Any]) -> None:
        """The record specs of one procedure version, which replay needs (they precede the events)."""
        if self._state != _BODY or self._body_seen:
            self._fail("'procedure' records come after the header and keys, before the events",
                       field_name="type")
            return
        ref, steps = rec.get("procedure"), rec.get("steps")
        if rec.keys() != _PROCEDURE_KEYS or type(ref) is not str or not _PROCEDURE_RE.fullmatch(ref) \
                or type(steps) is not dict:
            self._fail("a procedure record has exactly procedure ('id@version') and steps (trigger -> record "
                       "spec)", field_name="procedure")
            return
        for trigger, step in steps.items():
            problem = step_problem(step)
            if problem is not None:
                self._fail(f"procedure {ref} step {trigger!r}: {problem}", field_name="steps")
                return
        if ref in self._steps:
            self._fail(f"procedure {ref} is listed twice", field_name="procedure")
            return
        self._steps[ref] = steps

    def _on_event(self, rec: dict[str, Any]) -> None:
        if self._state != _BODY:
            self._misplaced("event")
            return
        self._body_seen = True
        # Fast path: cheap checks that accept exactly what _event_problem accepts; anything unusual
        # (or any exception) falls through to the precise path, which names the field.
        try:
            seq = rec["seq"]
            at = rec["at"]
            payload = rec["payload"]
            reasons = rec["reasons"]
            claimed = rec["hash"]
            # 16 keys (17 with the optional facts) and each expected key is read here or in _event_text
            # (KeyError if missing): so the key set is exactly the v1 set without the cost of a set comparison.
            facts = rec.get("facts")
            if (
                len(rec) != (16 if facts is None else 17)
                or (facts is not None and (type(facts) is not dict or not facts))
                or rec["format"] != EVENT_FORMAT
                or type(seq) is not int
                or not 0 < seq < SAFE_INTEGER
                or not rec["case"]
                or not rec["kind"]
                or type(at) is not str
                or not _at_match(at)
                or type(payload) is not dict
                or type(reasons) is not list
            ):
                raise _Slow
            procedure = rec["procedure"]
            if procedure not in _good_procedures:  # few distinct values: skip the regex after the first
                if not _procedure_match(procedure):
                    raise _Slow
                if len(_good_procedures) < 10_000:
                    _good_procedures.add(procedure)
            for k, v in payload.items():  # first level of walk inlined: most payloads are flat
                if k not in known_keys:
                    admit_key(k)
                tv = type(v)
                if not (tv is str or v is None or tv is bool or (tv is int and -SAFE_INTEGER < v < SAFE_INTEGER)):
                    walk(v)
            for r in reasons:
                if type(r) is not dict:
                    raise _Slow
                walk(r)
            if facts is not None:
                walk(facts)
            data = _event_text(rec).encode("utf-8")  # reads the remaining keys ("type" was read by dispatch)
        except Exception:
            data = self._event_bytes_slow(rec)
            if data is None:
                return
            claimed = rec["hash"]
        digest = _sha256(data).digest()
        hexd = digest.hex()
        if hexd != claimed:
            bad_hex = _hex_problem(rec, "hash")
            self._fail(
                bad_hex
                or f"event hash mismatch: the fields hash to {hexd}, the record claims {claimed} "
                "(the event was altered after it was written)",
                *self._locate(rec),
                "hash",
            )
            return
        case: str = rec["case"]
        seq: int = rec["seq"]
        st = self._open
        if st is None or st.name != case:
            if st is not None and not self._close_body():
                return
            if case in self._cases:
                self._fail(
                    f"events of case {case!r} appear again after its case record (duplicated or moved events)",
                    case,
                    seq,
                    "case",
                )
                return
            st = _Case(case)
            self._cases[case] = st
            self._open = st
        n = st.n
        if seq != n + 1:
            if seq > n + 1:
                self._fail(
                    f"seq {n + 1} is missing: seq {seq} follows seq {n} (event deleted, or events reordered)",
                    case,
                    n + 1,
                    "seq",
                )
            elif st.hashes[(seq - 1) * 32 : seq * 32] == digest:
                self._fail(f"seq {seq} appears twice (duplicated event)", case, seq, "seq")
            else:
                self._fail(
                    f"seq {seq} appears again after seq {n} (events reordered or seq reused)",
                    case,
                    seq,
                    "seq",
                )
            return
        if rec["prev"] != st.last_hash:
            what = "must be 64 zeros for seq 1" if n == 0 else f"does not match the hash of seq {n}"
            self._fail(_hex_problem(rec, "prev") or f"prev {what} (broken chain link)", case, seq, "prev")
            return
        at: str = rec["at"]
        if st.last_at is not None and at < st.last_at:
            self._warn(
                f"case {case!r} seq {seq}: clock went backwards ({at} is before seq {n}'s {st.last_at})"
            )
        st.hashes += digest
        st.ats += at.encode("ascii")
        st.n = seq
        st.last_hash = hexd
        st.last_at = at
        self._events += 1
        if self._steps and rec["kind"] in ROW_KINDS and st.unreplayable is None:
            steps = self._steps.get(rec["procedure"])
            trigger = rec["trigger"]
            if steps is None:
                st.unreplayable = f"the export has no record specs for procedure {rec['procedure']} (seq {seq})"
            elif trigger not in steps:
                st.unreplayable = f"procedure {rec['procedure']} has no step {trigger!r} (seq {seq})"
            else:
                st.row = replay_event(st.row, rec, steps[trigger], in_place=True)
        if rec["kind"] == "record_attached":
            self._note_record_file(rec, case, seq)
        elif isinstance(rec.get("facts"), dict) and "documents" in rec["facts"]:
            self._note_issued_documents(rec["facts"]["documents"], case, seq)
        elif rec["kind"] == KEY_ROTATION_KIND:
            self._note_rotation(rec, case, seq)
        if self._progress is not None and self._events % self._progress_every == 0:
            self._progress(self._events)

    def _note_record_file(self, rec: Mapping[str, Any], case: str, seq: int) -> None:
        """An evidence file the event names: checked against the records folder at finish()."""
        sha, size = rec["payload"].get("sha256"), rec["payload"].get("size")
        if type(sha) is not str or not HEX64.fullmatch(sha) or type(size) is not int or size < 0:
            self._fail("a record_attached event must name its file's sha256 (64 hex) and size", case, seq,
                       "payload.sha256")
            return
        self._record_files.setdefault(sha, (size, case, seq))

    def _note_issued_documents(self, documents: Any, case: str, seq: int) -> None:
        """The PDFs a step issued (facts.documents, docs/documents.md): re-hashed like evidence files."""
        for doc in documents if type(documents) is list else [None]:
            sha, size = (doc.get("sha256"), doc.get("size")) if type(doc) is dict else (None, None)
            if type(sha) is not str or not HEX64.fullmatch(sha) or type(size) is not int or size < 0:
                self._fail("an issued document must name its file's sha256 (64 hex) and size", case, seq,
                           "facts.documents")
                return
            self._record_files.setdefault(sha, (size, case, seq))

    def _check_record_files(self) -> None:
        if not self._record_files:
            return
        if self.records_dir is None:  # the report says so: records_unchecked
            return
        for sha, (size, case, seq) in self._record_files.items():
            problem = check_file(record_path(self.records_dir, sha), sha, size)
            if problem is not None:
                self._fail(problem, case, seq, "payload.sha256")
                return
            self.records_checked += 1

    def _event_bytes_slow(self, rec: dict[str, Any]) -> bytes | None:
        """Precise path: report the first schema or profile problem, or return the canonical bytes."""
        problem = _event_problem(rec, _EVENT_RECORD_KEYS, hex_fields=False)
        if problem is not None:
            self._fail(problem[1], *self._locate(rec), problem[0])
            return None
        body = {k: rec[k] for k in EVENT_FIELDS}
        if "facts" in rec:
            body["facts"] = rec["facts"]
        try:
            check_profile(body["payload"], "payload")
            check_profile(body["reasons"], "reasons")
            if "facts" in body:
                check_profile(body["facts"], "facts")
            return encode_checked(body)
        except CanonicalError as e:
            self._fail(e.problem, *self._locate(rec), e.path)
            return None

    def _on_case(self, rec: dict[str, Any]) -> None:
        if self._state != _BODY:
            self._misplaced("case")
            return
        self._body_seen = True
        if rec.keys() != _CASE_KEYS and rec.keys() != _CASE_KEYS_ROW:
            name, msg = _keyset_problem(rec, ("type", "case", "head_seq", "head_hash"), _CASE_KEYS)
            self._fail(
                f"case record: {msg}",
                rec.get("case") if isinstance(rec.get("case"), str) else None,
                None,
                name,
            )
            return
        case, head_seq, head_hash = rec["case"], rec["head_seq"], rec["head_hash"]
        if not isinstance(case, str) or not case:
            self._fail("case record: case must be a non-empty string", None, None, "case")
            return
        if not is_int(head_seq) or head_seq < 0:
            self._fail("case record: head_seq must be an integer >= 0", case, None, "head_seq")
            return
        if not isinstance(head_hash, str) or not HEX64.fullmatch(head_hash):
            self._fail("case record: head_hash must be 64 lowercase hex digits", case, head_seq, "head_hash")
            return
        st = self._open
        if st is None or st.name != case:
            if st is not None and not self._close_body():
                return
            if case in self._cases:
                self._fail(f"a second case record for case {case!r}", case, head_seq, "case")
            else:
                self._fail(
                    f"the case record says head_seq {head_seq}, but the export has no events for this case "
                    "(events deleted?)",
                    case,
                    1,
                    "head_seq",
                )
            return
        if head_seq > st.n:
            self._fail(
                f"tail truncated: the case record says head_seq {head_seq}, but the last event is seq {st.n}",
                case,
                st.n + 1,
                "head_seq",
            )
            return
        if head_seq < st.n:
            self._fail(
                f"the case record says head_seq {head_seq}, but events go up to seq {st.n} "
                "(head row rolled back, or events appended outside fire())",
                case,
                head_seq + 1,
                "head_seq",
            )
            return
        if head_hash != st.last_hash:
            self._fail(
                f"head_hash differs from the hash of the last event (seq {st.n})", case, st.n, "head_hash"
            )
            return
        if "row" in rec and not self._check_row(st, rec["row"]):
            return
        st.last_at = None
        st.row = None  # only the open case's replayed data is held
        self._open = None

    def _check_row(self, st: _Case, row: object) -> bool:
        """The stored case row against the replay of its events (docs/audit-format.md §5)."""
        if type(row) is not dict:
            self._fail(f"{ROW_DIFFERS}: the row must be an object", st.name, None, "row")
            return False
        if st.unreplayable is not None or not self._steps:
            why = st.unreplayable or "the export has no procedure records (record specs)"
            self._fail(f"{ROW_DIFFERS}: it cannot be replayed: {why}", st.name, None, "procedure")
            return False
        if st.row is None:
            self._fail(f"{ROW_DIFFERS}: its events hold no 'created' event", st.name, None, "state")
            return False
        found = row_difference(row, st.row, self._row_encode)
        if found is not None:
            self._fail(f"{ROW_DIFFERS}: {found[0]}: {found[1]}", st.name, None, found[0])
            return False
        return True

    def _on_leaf(self, rec: dict[str, Any]) -> None:
        if self._state != _LEAVES:
            if self._state != _BODY:
                self._misplaced("leaf")
                return
            if not self._close_body():
                return
            self._state = _LEAVES
        idx = rec.get("log_index")
        case = rec.get("case")
        seq = rec.get("seq")
        eh = rec.get("event_hash")
        if self.scope is not None and rec.keys() == _OTHER_LEAF_KEYS and type(idx) is int and type(eh) is str:
            self._other_leaf(idx, eh)
            return
        if (
            rec.keys() != _LEAF_KEYS
            or type(idx) is not int
            or type(seq) is not int
            or type(case) is not str
            or type(eh) is not str
        ):
            self._leaf_shape_problem(rec)
            return
        self._leaf(idx, case, seq, eh)

    def _leaf(self, idx: int, case: str, seq: int, eh: str) -> None:
        expected = self._leaves
        if idx != expected:
            if idx < expected:
                self._fail(f"leaf log_index {idx} where {expected} was expected (duplicate or reordered leaf)",
                           case, seq, "log_index")
                return
            # Leaves are missing. The leaf after them is where the log put it: the blame goes to the case whose
            # events belong in the gap, found at the end (_check_gaps), not to this neighbour.
            self._gaps.append((expected, idx, self._last_leaf, (case, seq)))
            expected = idx
        st = self._cases.get(case)
        if st is None:
            self._fail(
                f"leaf {idx} anchors case {case!r} seq {seq}, but the export has no events for that case "
                "(case deleted?)",
                case,
                seq,
                "leaf",
            )
            return
        if not 0 < seq <= st.n:
            self._fail(
                f"leaf {idx} anchors case {case!r} seq {seq}, but the case's events end at seq {st.n} "
                "(anchored event deleted or tail truncated)",
                case,
                seq,
                "leaf",
            )
            return
        off = (seq - 1) * 32
        digest = st.hashes[off : off + 32]
        if eh != digest.hex():
            msg = (
                _hex_problem({"event_hash": eh}, "event_hash")
                or "event_hash differs from the hash of the event"
            )
            self._fail(f"leaf {idx}: {msg}", case, seq, "event_hash")
            return
        flags = st.leafed
        if flags is None:
            flags = st.leafed = bytearray(st.n)
        if flags[seq - 1]:
            self._fail(f"leaf {idx}: a second leaf for the same event (duplicate leaf)", case, seq, "leaf")
            return
        flags[seq - 1] = 1
        if self._rotation_at and case == SYSTEM_JOURNAL and seq in self._rotation_at:
            self._rotation_at[seq].leaf = idx
        st.anchored += 1
        if seq > st.max_anchored:
            st.max_anchored = seq
        self._leaf_buf += digest  # event hashes in log order; leaf hashes are computed in _prefix_roots
        self._leaves = expected + 1
        self._last_leaf = (case, seq)

    def _other_leaf(self, idx: int, eh: str) -> None:
        """A leaf of an event this scoped export leaves out: it counts for the checkpoints' roots only."""
        if idx != self._leaves:
            why = "a leaf is missing" if idx > self._leaves else "duplicate or reordered leaf"
            self._fail(f"leaf log_index {idx} where {self._leaves} was expected ({why})", field_name="log_index")
            return
        if not HEX64.fullmatch(eh):
            self._fail(f"leaf {idx}: event_hash must be 64 lowercase hex digits", field_name="event_hash")
            return
        self._leaf_buf += bytes.fromhex(eh)
        self._other_leaves.append(idx)
        self._leaves = idx + 1

    def _leaf_shape_problem(self, rec: dict[str, Any]) -> None:
        idx = rec.get("log_index")
        if rec.keys() != _LEAF_KEYS:
            name, msg = _keyset_problem(rec, ("type", "log_index", "case", "seq", "event_hash"), _LEAF_KEYS)
            self._fail(f"leaf {idx}: {msg}", field_name=name)
        elif type(idx) is not int:
            self._fail("leaf log_index must be an integer", field_name="log_index")
        else:
            self._fail(
                f"leaf {idx}: case must be a string, seq an integer, event_hash a string", field_name="leaf"
            )

    def _on_checkpoint(self, rec: dict[str, Any]) -> None:
        if self._state in (_BODY, _LEAVES):
            if not self._close_body():
                return
            self._state = _CHECKPOINTS
        elif self._state != _CHECKPOINTS:
            self._misplaced("checkpoint")
            return
        label = f"checkpoint #{len(self.checkpoints) + 1}"
        problem = _checkpoint_problem(rec, _CHECKPOINT_RECORD_KEYS, need_signature=True)
        if problem is not None:
            self._fail(f"{label}: {problem[1]}", field_name=problem[0])
            return
        label += f" (tree_size {rec['tree_size']})"
        self.checkpoints.append(_Checkpoint(checkpoint_body(rec), rec["signature"], self._line, label))

    # -- end of input -----------------------------------------------------------------------------

    def _prefix_roots(self, sizes: Iterable[int]) -> dict[int, bytes]:
        """Roots of the first s leaves for every requested s, in one pass over the leaves."""
        out: dict[int, bytes] = {}
        cr = CompactRange()
        buf = self._leaf_buf
        chunk = 1 << 16
        for s in sorted(set(sizes)):
            while cr.size < s:
                end = min(s, cr.size + chunk)
                sha = _sha256
                cr._extend(
                    [sha(b"\x00" + buf[i : i + 32]).digest() for i in range(cr.size * 32, end * 32, 32)]
                )
            out[s] = cr.root()
        return out

    def _check_gaps(self) -> None:
        """Leaves missing from the log: name the case whose events belong there (audit-design §2.4).

        The integrator anchors every event written before it runs, so an event with no leaf that is older
        than the checkpoint covering the missing indexes lost its leaf (a case with a hole in its anchored
        prefix lost one too: _check_anchoring, run before, names it). With no such case left, the events went
        with their leaves (a case deleted whole, row and all): the report says where, and blames no neighbour.
        """
        if not self._gaps:
            return
        self._line = None
        g0, g1, before, after = self._gaps[0]
        cover = min((cp for cp in self.checkpoints if cp.body["tree_size"] >= g1),
                    key=lambda cp: cp.body["tree_size"], default=None)
        issued = cover.body["issued_at"] if cover is not None else None
        victims: list[tuple[str, int]] = []
        for st in self._cases.values():
            if st.anchored < st.n:
                first = st.anchored + 1
                at = st.ats[(first - 1) * _AT_LEN : first * _AT_LEN].decode("ascii")
                if issued is None or at <= issued:
                    victims.append((st.name, first))
        span = f"{g0}" if g1 - g0 == 1 else f"{g0}–{g1 - 1}"
        where = f" (the log jumps from {_leaf_name(before)} to {_leaf_name(after)})"
        if victims:
            name, seq = victims[0]
            others = f"; {len(victims) - 1} more cases likewise" if len(victims) > 1 else ""
            self._fail(
                f"seq {seq} has no leaf in the Merkle log, but log indexes {span} are missing{where} and this "
                f"case's events from seq {seq} on were written before the checkpoint that covers them "
                f"(events removed from the log{others})",
                name, seq, "leaf",
            )
        else:
            self._fail(
                f"leaf log_index {g1} where {g0} was expected: log indexes {span} are missing{where}, and no "
                "remaining case has events that belong there: the events they anchored were deleted with their "
                "leaves (a case deleted whole, with its case row)",
                field_name="log_index",
            )

    def _check_anchoring(self) -> None:
        # The integrator anchors every committed event it has not anchored yet, and a case's events commit
        # in seq order, so the anchored events of a case are always a prefix 1..k.
        for st in self._cases.values():
            if st.anchored != st.max_anchored:
                assert st.leafed is not None
                seq = st.leafed.index(0) + 1
                self._line = None
                self._fail(
                    f"seq {seq} has no leaf although the later seq {st.max_anchored} is anchored (leaf removed?)",
                    st.name,
                    seq,
                    "leaf",
                )
                return

    def _check_signature(self, cp: _Checkpoint, required: bool) -> bool:
        kid = cp.body["key_id"]
        key = self.keys.get(kid)
        if key is None:
            if required:
                self._fail(
                    f"{cp.label}: signed by unknown key_id {kid!r} (no such key record)", field_name="key_id"
                )
            return not required
        if (
            self.check_signatures
            and cp.signature is not None
            and not verify_signature(key, cp.body, cp.signature)
        ):
            self._fail(f"{cp.label}: Ed25519 signature is not valid for key {kid}", field_name="signature")
            return False
        return True

    # -- the signing key's chain ----------------------------------------------------------------------
    # The first key is the one the first rotation rotates from (or, with no rotation, the first checkpoint's).
    # Each rotation, an event of the system journal, names the key in force and the next one, and is signed
    # by both (by the new one only when the old one was lost: then an auditor must hold the new public key
    # from outside the export, --trusted-key). A checkpoint must be signed by the key in force for its
    # period: the key of the last rotation it anchors, so a retired (or stolen) key can sign nothing after.

    def _note_rotation(self, rec: Mapping[str, Any], case: str, seq: int) -> None:
        if case != SYSTEM_JOURNAL:
            self._fail(
                f"a key rotation may only be recorded in the system journal {SYSTEM_JOURNAL!r}",
                case,
                seq,
                "kind",
            )
            return
        rotation = _Rotation(seq, dict(rec["payload"]), self._line)
        self.rotations.append(rotation)
        self._rotation_at[seq] = rotation

    def _genesis_key(self) -> str | None:
        if self.rotations:
            first = self.rotations[0].statement
            return first.get("old_key_id") if isinstance(first, Mapping) else None
        return self.checkpoints[0].body["key_id"] if self.checkpoints else None

    def _check_key_chain(self) -> None:
        in_force = self._genesis_key()
        for rotation in self.rotations:
            self._line = rotation.line
            problem = self._rotation_problem(rotation, in_force)
            if problem is not None:
                self._fail(
                    f"key rotation: {problem[1]}", SYSTEM_JOURNAL, rotation.seq, f"payload.{problem[0]}"
                )
                return
            in_force = rotation.statement["new_key_id"]
        self._line = None

    def _rotation_problem(self, rotation: _Rotation, in_force: str | None) -> tuple[str, str] | None:
        st, payload = rotation.statement, rotation.payload
        if not isinstance(st, dict) or st.keys() != ROTATION_FIELDS or st["format"] != KEY_ROTATION_FORMAT:
            return "rotation", f"rotation must be a {KEY_ROTATION_FORMAT} statement with fields {sorted(ROTATION_FIELDS)}"
        if st["origin"] != self.origin:
            return "rotation.origin", f"origin {st['origin']!r} is not the export's {self.origin!r}"
        new_raw = _strict_b64(st["new_public_key"], 32)
        if new_raw is None or st["new_key_id"] != key_id(str(self.origin), new_raw):
            return "rotation.new_key_id", "new_key_id does not match new_public_key and the origin"
        if st["old_key_id"] != in_force:
            return "rotation.old_key_id", (
                f"rotates from key {st['old_key_id']!r}, but the key in force is {in_force!r} "
                "(a forked or forged key chain)"
            )
        if self.keys.get(st["new_key_id"], new_raw) != new_raw:
            return "rotation.new_public_key", f"key_id {st['new_key_id']!r} is listed with another key"
        message = canonical_bytes(st)
        if _ed25519_valid(new_raw, message, payload.get("new_key_signature")) is False:
            return "new_key_signature", "the new key's signature of the rotation is not valid"
        if st["old_key_lost"] is True:
            if new_raw not in self._trusted_keys:
                return "old_key_signature", (
                    f"the rotation to key {st['new_key_id']} says the old key was lost and is not signed by the "
                    "previous key: accept it only with that public key received outside the export "
                    "(--trusted-key)"
                )
        elif st["old_key_lost"] is not False:
            return "rotation.old_key_lost", "old_key_lost must be true or false"
        else:
            old_raw = self.keys.get(str(in_force))
            if old_raw is None:
                return "rotation.old_key_id", f"the previous key {in_force!r} has no key record"
            if _ed25519_valid(old_raw, message, payload.get("old_key_signature")) is False:
                return "old_key_signature", f"not signed by the previous key {in_force} (signature not valid)"
        self.keys[st["new_key_id"]] = new_raw
        return None

    def _check_key_period(self, cp: _Checkpoint) -> bool:
        """The checkpoint is signed by the key in force for the leaves it covers."""
        size = cp.body["tree_size"]
        expected, since = self._genesis_key(), None
        for rotation in self.rotations:
            if rotation.leaf is None or rotation.leaf >= size:
                break  # a journal's events are anchored in seq order: later rotations are not covered either
            expected, since = rotation.statement["new_key_id"], rotation.seq
        if expected is None or cp.body["key_id"] == expected:
            return True
        period = f"since the key rotation at {SYSTEM_JOURNAL} seq {since}" if since else "before any key rotation"
        self._fail(
            f"{cp.label}: signed by key {cp.body['key_id']}, but the key in force {period} is {expected} "
            "(a key outside the key chain, or a retired key)",
            field_name="key_id",
        )
        return False

    def _check_checkpoints(self) -> None:
        n_leaves = self._leaves
        wanted = [cp.body["tree_size"] for cp in self.checkpoints + self._trusted]
        roots = self._prefix_roots(s for s in wanted if s <= n_leaves)
        prev: _Checkpoint | None = None
        for cp in self.checkpoints:
            self._line = cp.line
            b = cp.body
            if b["origin"] != self.origin:
                self._fail(
                    f"{cp.label}: origin {b['origin']!r} is not the export's {self.origin!r}",
                    field_name="origin",
                )
                return
            if not self._check_signature(cp, required=True) or not self._check_key_period(cp):
                return
            want_prev = None if prev is None else checkpoint_hash(prev.body)
            if b["prev_checkpoint"] != want_prev:
                what = (
                    "must be null for the first checkpoint"
                    if prev is None
                    else "is not the hash of the previous one"
                )
                self._fail(
                    f"{cp.label}: prev_checkpoint {what} (checkpoint removed or forged)",
                    field_name="prev_checkpoint",
                )
                return
            if prev is not None and b["tree_size"] < prev.body["tree_size"]:
                self._fail(
                    f"{cp.label}: tree_size shrinks from {prev.body['tree_size']} (the log must only grow)",
                    field_name="tree_size",
                )
                return
            if b["tree_size"] > n_leaves:
                self._fail(
                    f"{cp.label}: covers {b['tree_size']} leaves but the export has only {n_leaves} "
                    "(leaves deleted, or an older backup)",
                    field_name="tree_size",
                )
                return
            if roots[b["tree_size"]].hex() != b["root"]:
                self._fail(
                    f"{cp.label}: the first {b['tree_size']} leaves give root {roots[b['tree_size']].hex()}, "
                    f"the checkpoint says {b['root']} (anchored events were altered, deleted or recomputed)",
                    field_name="root",
                )
                return
            prev = cp
        self._line = None
        for cp in sorted(self._trusted, key=lambda c: c.body["tree_size"]):
            b = cp.body
            if b["origin"] != self.origin:
                self._fail(
                    f"{cp.label}: origin {b['origin']!r} is not the export's {self.origin!r}",
                    field_name="origin",
                )
                return
            if not self._check_signature(cp, required=False):
                return
            if b["tree_size"] <= n_leaves and not self._check_key_period(cp):
                return
            if b["tree_size"] > n_leaves:
                self._fail(
                    f"{cp.label}: the export has only {n_leaves} leaves, fewer than this checkpoint held outside "
                    "the database (leaves deleted, or an older backup was restored)",
                    field_name="tree_size",
                )
                return
            if roots[b["tree_size"]].hex() != b["root"]:
                self._fail(
                    f"{cp.label}: the export's first {b['tree_size']} leaves give root "
                    f"{roots[b['tree_size']].hex()}, but the checkpoint held outside the database says {b['root']} "
                    "(history rewritten: events altered, deleted or recomputed)",
                    field_name="root",
                )
                return

    def finish(self) -> Report:
        """Run the end-of-input checks (case heads, anchoring, checkpoints) and return the Report."""
        if self._report is not None:
            return self._report
        self._line = None
        if self._error is None:
            if self._state == _START:
                self._fail("the export is empty: no header record", field_name="type")
            elif self._state == _BODY:
                self._close_body()
        if self._error is None:
            self._check_anchoring()
        if self._error is None:
            self._check_key_chain()
        if self._error is None:
            self._check_gaps()
        if self._error is None:
            self._check_checkpoints()
        if self._error is None:
            self._check_record_files()
        self._report = self._build_report()
        return self._report

    def _build_report(self) -> Report:
        sizes = [cp.body["tree_size"] for cp in self.checkpoints + self._trusted]
        covered = min(max(sizes, default=0), self._leaves)
        covered -= bisect.bisect_left(self._other_leaves, covered)  # this export's events among them
        if not self.checkpoints:
            signatures = "none"
        elif self.check_signatures:
            signatures = "verified"
        else:
            signatures = "not checked"
        report = Report(
            ok=self._error is None,
            first_error=self._error,
            message="",
            origin=self.origin,
            events=self._events,
            cases=len(self._cases),
            leaves=self._leaves,
            checkpoints=len(self.checkpoints),
            unanchored_events=max(self._events - covered, 0),
            trusted_checkpoints=len(self._trusted),
            signatures=signatures,
            records_checked=self.records_checked,
            records_unchecked=0 if self.records_dir is not None else len(self._record_files),
            warnings=list(self._warnings),
            warning_count=self._warning_count,
            key_rotations=len(self.rotations),
        )
        if self._error is not None:
            report.message = "BROKEN: " + self._error.describe()
        else:
            parts = [f"{report.events} events in {report.cases} cases"]
            if report.checkpoints:
                parts.append(
                    f"{covered} anchored by {report.checkpoints} checkpoints (signatures {signatures})"
                )
            else:
                parts.append("no checkpoints in the export")
            if report.key_rotations:
                parts.append(f"signing key rotated {report.key_rotations} times, the key chain unbroken")
            if report.trusted_checkpoints:
                parts.append(f"consistent with {report.trusted_checkpoints} trusted checkpoints")
            if report.records_checked:
                parts.append(f"{report.records_checked} evidence files re-hashed")
            if report.records_unchecked:
                parts.append(f"{report.records_unchecked} evidence files not re-hashed (no --records folder)")
            if report.unanchored_events:
                parts.append(f"{report.unanchored_events} events not yet anchored")
            if report.warning_count:
                parts.append(f"{report.warning_count} warnings")
            report.message = "INTACT: " + "; ".join(parts)
        return report


def _leaf_name(leaf: tuple[str, int] | None) -> str:
    return "the start of the log" if leaf is None else f"case {leaf[0]!r} seq {leaf[1]}"


def verify_records(
    records: Iterable[Mapping[str, Any]],
    trusted_checkpoints: Iterable[Mapping[str, Any]] = (),
    *,
    check_signatures: bool | None = None,
) -> Report:
    """Verify already-parsed export records (line numbers are the record positions, from 1)."""
    v = Verifier(trusted_checkpoints, check_signatures=check_signatures)
    for n, rec in enumerate(records, 1):
        if not v.feed(rec, n):
            break
    return v.finish()


class ExportParseError(ValueError):
    """The export file cannot be read as JSON Lines (exit status 2)."""


_scan_once = json.scanner.make_scanner(json.JSONDecoder())  # the C scanner behind json.loads


def _parse_line(raw: bytes, n: int, path: str) -> dict[str, Any] | None:
    """Slow path for a line the fast scan refused: blank (None), loosely formatted, or malformed."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ExportParseError(f"{path}: line {n}: not valid UTF-8 ({e.reason} at byte {e.start})") from None
    if not text.strip():
        return None
    try:
        rec = json.loads(text)
    except RecursionError:
        raise ExportParseError(f"{path}: line {n}: JSON nested too deeply") from None
    except ValueError as e:
        raise ExportParseError(f"{path}: line {n}: malformed JSON ({e})") from None
    if not isinstance(rec, dict):
        raise ExportParseError(f"{path}: line {n}: not a JSON object")
    return rec


# A leaf line exactly as lawflow writes it (canonical, no escapes in the case id): parsed without the JSON
# scanner, since leaves are half the lines of an export. Anything else goes through json as usual.
_LEAF_LINE = re.compile(
    rb'\{"case":"([^"\\\x00-\x1f]+)","event_hash":"([0-9a-f]{64})","log_index":(0|[1-9][0-9]{0,15}),'
    rb'"seq":([1-9][0-9]{0,15}),"type":"leaf"\}\r?\n?'
)


def _iter_file(path: str, verifier: Verifier) -> None:
    scan = _scan_once
    leaf_line = _LEAF_LINE.fullmatch
    handlers = verifier._handlers
    with open(path, "rb") as f:
        n = 0
        for raw in f:
            n += 1
            if verifier._state == _LEAVES:
                m = leaf_line(raw)
                if m is not None:
                    try:
                        case = m[1].decode("utf-8")
                    except UnicodeDecodeError:
                        pass
                    else:
                        verifier._line = n
                        verifier._leaf(int(m[3]), case, int(m[4]), m[2].decode("ascii"))
                        if verifier._error is not None:
                            return
                        continue
            try:  # fast path: one compact JSON object per line (what lawflow writes)
                text = raw.decode("utf-8")
                rec, end = scan(text, 0)
                if type(rec) is not dict or (end != len(text) and text[end:].strip(" \t\r\n")):
                    raise ValueError
            except (StopIteration, ValueError, RecursionError):
                rec = _parse_line(raw, n, path)
                if rec is None:
                    continue
            try:
                handler = handlers[rec["type"]]
            except (KeyError, TypeError):
                verifier.feed(rec, n)  # reports the bad record type
                return
            verifier._line = n
            handler(rec)
            if verifier._error is not None:
                return


def verify_file(path: str, trusted_checkpoints: Iterable[Mapping[str, Any]] = (), **kwargs: Any) -> Report:
    """Verify an export file. Raises OSError / ExportParseError when it cannot be read."""
    v = Verifier(trusted_checkpoints, **kwargs)
    _iter_file(path, v)
    return v.finish()


# --------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------

OPENSSL_RECIPE = (
    "openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in checkpoint.bin -sigfile checkpoint.sig"
)


def write_signature_files(verifier: Verifier, directory: str) -> list[str]:
    """Write checkpoint.bin / checkpoint.sig / pub.pem per checkpoint, one sub-directory each."""
    written = []
    os.makedirs(directory, exist_ok=True)
    for i, cp in enumerate(verifier.checkpoints, 1):
        sub = os.path.join(directory, f"checkpoint-{i:04d}-size-{cp.body['tree_size']}")
        os.makedirs(sub, exist_ok=True)
        with open(os.path.join(sub, "checkpoint.bin"), "wb") as f:
            f.write(canonical_bytes(cp.body))
        sig = _strict_b64(cp.signature, 64)
        if sig is not None:
            with open(os.path.join(sub, "checkpoint.sig"), "wb") as f:
                f.write(sig)
        key = verifier.keys.get(cp.body["key_id"])
        if key is not None:
            with open(os.path.join(sub, "pub.pem"), "w", encoding="ascii") as f:
                f.write(public_key_pem(key))
        written.append(sub)
    for rotation in verifier.rotations:  # each rotation statement with the signatures of both keys
        st = rotation.statement
        if not isinstance(st, dict) or _strict_b64(st.get("new_public_key"), 32) is None:
            continue
        sub = os.path.join(directory, f"key-rotation-{SYSTEM_JOURNAL}-seq-{rotation.seq}")
        os.makedirs(sub, exist_ok=True)
        with open(os.path.join(sub, "rotation.bin"), "wb") as f:
            f.write(canonical_bytes(st))
        keys = {"old": verifier.keys.get(str(st.get("old_key_id"))), "new": _strict_b64(st["new_public_key"], 32)}
        for which, key in keys.items():
            sig = _strict_b64(rotation.payload.get(f"{which}_key_signature"), 64)
            if sig is not None and key is not None:
                with open(os.path.join(sub, f"{which}.sig"), "wb") as f:
                    f.write(sig)
                with open(os.path.join(sub, f"{which}.pem"), "w", encoding="ascii") as f:
                    f.write(public_key_pem(key))
        written.append(sub)
    return written


def _print_summary(path: str, report: Report, out: Any) -> None:
    def p(text: str) -> None:
        print(text, file=out)

    p(f"lawflow audit export: {path}")
    p(f"  origin:      {report.origin}")
    p(f"  events:      {report.events} in {report.cases} cases")
    p(f"  leaves:      {report.leaves}; events not yet anchored: {report.unanchored_events}")
    p(f"  checkpoints: {report.checkpoints} (signatures: {report.signatures})")
    if not report.ok:
        p("  (checking stopped at the first problem: the counts above go up to it)")
    if report.trusted_checkpoints:
        p(f"  trusted checkpoints checked: {report.trusted_checkpoints}")
    if report.warning_count:
        p(f"  warnings:    {report.warning_count}")
        for w in report.warnings[:10]:
            p(f"    - {w}")
        if report.warning_count > 10:
            p(f"    - ... and {report.warning_count - 10} more")


def _signature_note(sig_dir: str | None) -> str:
    where = sig_dir or "DIR"
    lines = [
        "NOTE: checkpoint signatures were NOT checked: the Python 'cryptography' package is not importable",
        "      here, and the standard library has no Ed25519. Check them with OpenSSL >= 1.1.1:",
    ]
    if sig_dir is None:
        lines.append("      rerun with --write-signature-files DIR, then in each DIR/checkpoint-*/ run")
    else:
        lines.append(f"      in each {where}/checkpoint-*/ directory run")
    lines += [
        f"        {OPENSSL_RECIPE}",
        '      which must print "Signature Verified Successfully". For all of them:',
        f'        for d in {where}/checkpoint-*/; do (cd "$d" && {OPENSSL_RECIPE}); done',
        "      Key rotations (key-rotation-*/ directories) likewise, once for each of old and new:",
        "        openssl pkeyutl -verify -pubin -inkey old.pem -rawin -in rotation.bin -sigfile old.sig",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="verifier.py",
        description="Verify a lawflow audit export (JSON Lines) offline: event hashes, per-case chains, "
        "case heads, Merkle leaves and signed checkpoints.",
        epilog="Exit status: 0 intact, 1 broken (first broken case/seq/field printed), 2 usage/IO/parse error.",
    )
    parser.add_argument("export", help="the export file (JSON Lines)")
    parser.add_argument(
        "--trusted-checkpoint",
        action="append",
        default=[],
        metavar="FILE",
        help="checkpoint(s) held outside the database (JSON object, array or JSON Lines); repeatable",
    )
    parser.add_argument(
        "--trusted-key",
        action="append",
        default=[],
        metavar="FILE",
        help="a signing public key received outside the export (PEM), to accept a rotation whose old key "
        "was lost; repeatable",
    )
    parser.add_argument(
        "--witness-key",
        action="append",
        default=[],
        metavar="FILE",
        help="the public key (PEM) of a witness (the district) that co-signed the trusted checkpoints: each "
        "--trusted-checkpoint must then carry its valid co-signature; repeatable",
    )
    parser.add_argument("--quiet", action="store_true", help="print only the one-line result")
    parser.add_argument(
        "--records",
        metavar="DIR",
        help="the instance's records folder: re-hash every evidence file a record_attached event names",
    )
    parser.add_argument(
        "--write-signature-files",
        metavar="DIR",
        help="write checkpoint.bin / checkpoint.sig / pub.pem per checkpoint for the OpenSSL check",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON instead of text")
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse already printed the usage message
        return e.code if isinstance(e.code, int) else 2

    try:
        trusted: list[dict[str, Any]] = []
        for path in args.trusted_checkpoint:
            trusted.extend(load_checkpoints(path))
        started = time.monotonic()

        def progress(n: int) -> None:
            rate = n / max(time.monotonic() - started, 1e-9)
            print(f"verifier: {n:,} events checked ({rate:,.0f} events/s)", file=sys.stderr, flush=True)

        keys = [load_public_key(path) for path in args.trusted_key]
        if args.witness_key:
            if not trusted:
                raise ValueError("--witness-key needs the co-signed checkpoints (--trusted-checkpoint FILE)")
            if check_cosignatures(trusted, [load_public_key(path) for path in args.witness_key]):
                print("warning: co-signatures not checked: the 'cryptography' package is not importable",
                      file=sys.stderr)
        verifier = Verifier(trusted, progress=None if args.quiet else progress, records_dir=args.records,
                            trusted_keys=keys)
        _iter_file(args.export, verifier)
        report = verifier.finish()
        if args.write_signature_files:
            write_signature_files(verifier, args.write_signature_files)
    except (ExportParseError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"error: {e.filename or args.export}: {e.strerror or e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 2
    except Exception as e:  # no tracebacks for auditors; this is a bug in the verifier itself
        print(f"error: internal error in the verifier: {type(e).__name__}: {e}", file=sys.stderr)
        return 2

    try:
        if args.json:
            print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        else:
            if not args.quiet:
                _print_summary(args.export, report, sys.stdout)
            if report.signatures == "not checked" and not args.quiet:
                print(_signature_note(args.write_signature_files))
            print(report.message)
        sys.stdout.flush()
    except BrokenPipeError:
        pass
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
