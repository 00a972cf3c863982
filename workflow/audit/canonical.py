"""The canonical encoding of lawflow's audit trail (Python standard library only).

One implementation, used by both sides: the write path (workflow/audit/trail.py, checkpoint.py, signing.py,
rotation.py, export.py) and the auditor's offline verifier (verifier.py), which `lawflow audit verifier`
hands out as one file made of this module, merkle.py, row_replay.py and verifier.py (handout.py). So the
writer and the auditor cannot drift apart. What is here: the format identifiers, the canonical JSON profile
(RFC 8785 / JCS restricted to a profile where the stdlib encoder is byte-identical), the signed bodies of a
checkpoint and of a key rotation, the key id, and the evidence files' place and hash. docs/audit-format.md
describes the format.

Imports: the standard library only (handout.py refuses anything else).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

EVENT_FORMAT = "lawflow.audit.v1"
EXPORT_FORMAT = "lawflow.export.v1"
CHECKPOINT_FORMAT = "lawflow.checkpoint.v1"
KEY_ROTATION_FORMAT = "lawflow.key-rotation.v1"
KEY_ROTATION_KIND = "key_rotated"  # the event kind of a key rotation, in the system journal only
SYSTEM_JOURNAL = "SYS"
GENESIS = "0" * 64
EVENT_FIELDS = (
    "format", "case", "seq", "kind", "trigger", "from", "to", "actor", "role",
    "at", "procedure", "payload", "reasons", "prev",
)  # fmt: skip
# Optional, hashed only when present: what the engine determined from rows outside the event (the verdicts
# on the deadlines a step ends, `timeliness`) and replay needs to rebuild the case row. Events without it keep
# their bytes and their hash.
OPTIONAL_EVENT_FIELDS = ("facts",)
CHECKPOINT_FIELDS = ("format", "origin", "tree_size", "root", "issued_at", "prev_checkpoint", "key_id")
EMPTY_ROOT = hashlib.sha256(b"").digest()

SAFE_INTEGER = 2**53  # |n| < 2**53: integers that JCS (IEEE-754 doubles) and the stdlib print identically
_sha256 = hashlib.sha256

HEX64 = re.compile(r"[0-9a-f]{64}")


def is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


# --------------------------------------------------------------------------------------------------
# Canonical JSON (RFC 8785 / JCS restricted to a profile where the stdlib encoder is byte-identical)
# --------------------------------------------------------------------------------------------------


class CanonicalError(ValueError):
    """A value is outside the canonical profile; ``path`` names it (e.g. ``payload.items[2].amount``)."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


class _Bad(Exception):
    """Internal: raised deep in the walk; the path is collected while unwinding (free when valid)."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.parts: list[str | int] = []


_KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
known_keys: set[str] = set()  # cache of keys already checked against _KEY_RE (keys repeat a lot)
_ENCODER = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":"), check_circular=False
)
quote_string = json.encoder.encode_basestring  # the string escaper that JSONEncoder(ensure_ascii=False) uses


def _make_encode_str() -> Callable[[object], str]:
    """JSONEncoder.encode builds a new C encoder per call; reuse one (same C code, same bytes)."""
    try:
        from json.encoder import c_make_encoder  # type: ignore[attr-defined]

        def no_default(o: object) -> object:
            raise TypeError(f"{type(o).__name__} is not JSON serializable")

        c_iter = c_make_encoder(None, no_default, quote_string, None, ":", ",", True, False, False)

        def encode_str(obj: object) -> str:
            return "".join(c_iter(obj, 0))

        probe = {"b": [1, "x\u0001\u51b3", None, True], "a": {"z": -5, "c": {}}}
        if encode_str(probe) == _ENCODER.encode(probe):
            return encode_str
    except Exception:  # a Python without the C accelerator: the pure-Python encoder gives the same bytes
        pass
    return _ENCODER.encode


encode_checked_text = _make_encode_str()


def admit_key(k: object) -> None:
    if isinstance(k, str) and _KEY_RE.fullmatch(k):
        if len(known_keys) < 100_000:
            known_keys.add(k)
        return
    raise _Bad(f"key {k!r} is not allowed: keys must be ASCII identifiers matching [A-Za-z_][A-Za-z0-9_]*")


def walk(obj: object) -> None:
    """Raise _Bad if ``obj`` is outside the profile. Exact-type fast paths first: this runs per event."""
    t = type(obj)
    if t is dict:
        for k, v in obj.items():  # type: ignore[attr-defined]
            if k not in known_keys:
                admit_key(k)
            tv = type(v)
            if tv is str or v is None or tv is bool or (tv is int and -SAFE_INTEGER < v < SAFE_INTEGER):
                continue
            try:
                walk(v)
            except _Bad as e:
                e.parts.append(k)
                raise
    elif t is list:
        for i, v in enumerate(obj):  # type: ignore[arg-type]
            tv = type(v)
            if tv is str or v is None or tv is bool or (tv is int and -SAFE_INTEGER < v < SAFE_INTEGER):
                continue
            try:
                walk(v)
            except _Bad as e:
                e.parts.append(i)
                raise
    elif t is str or obj is None or t is bool:
        return
    else:
        _walk_other(obj)


def _walk_other(obj: object) -> None:
    if isinstance(obj, bool | str):
        return
    if isinstance(obj, int):
        if -SAFE_INTEGER < obj < SAFE_INTEGER:
            return
        raise _Bad(f"integer {obj} is outside ±(2**53 - 1); use a decimal string")
    if isinstance(obj, float):
        if obj != obj or obj in (float("inf"), float("-inf")):
            raise _Bad("NaN and Infinity are not allowed in audited data")
        raise _Bad("floats are not allowed in audited data; use a decimal string")
    if isinstance(obj, dict):
        walk(dict(obj))
    elif isinstance(obj, list):
        walk(list(obj))
    elif isinstance(obj, tuple):
        raise _Bad("tuples are not allowed in audited data; use a list")
    elif isinstance(obj, bytes | bytearray | memoryview):
        raise _Bad("bytes are not allowed in audited data; use hex or base64 text")
    else:
        raise _Bad(
            f"{type(obj).__name__} values are not allowed in audited data "
            "(allowed: str, int, bool, None, list, dict)"
        )


def _format_path(parts: list[str | int], base: str = "") -> str:
    out = base
    for p in reversed(parts):
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out or "(top level)"


def check_profile(value: object, base: str = "") -> None:
    try:
        walk(value)
    except _Bad as e:
        raise CanonicalError(_format_path(e.parts, base), e.problem) from None
    except RecursionError:
        raise CanonicalError(base or "(top level)", "nested too deeply (or a cyclic structure)") from None


def _find_bad_string(obj: object, path: str) -> str | None:
    """Slow path, only after an encode failure: locate a string that is not valid Unicode."""
    if isinstance(obj, str):
        try:
            obj.encode("utf-8")
        except UnicodeEncodeError:
            return path or "(top level)"
        return None
    if isinstance(obj, dict):
        for k, v in obj.items():
            found = _find_bad_string(v, f"{path}.{k}" if path else str(k))
            if found:
                return found
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            found = _find_bad_string(v, f"{path}[{i}]")
            if found:
                return found
    return None


def encode_checked(obj: object) -> bytes:
    """Serialize an object that already passed the profile walk."""
    text = encode_checked_text(obj)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        where = _find_bad_string(obj, "") or "(top level)"
        raise CanonicalError(where, "string is not valid Unicode (lone surrogate)") from None


def canonical_bytes(obj: object) -> bytes:
    """Canonical UTF-8 JSON of ``obj`` (identical to RFC 8785 JCS inside the profile).

    Raises CanonicalError naming the offending path when ``obj`` leaves the profile: dict keys are
    ASCII identifiers; values are str, bool, None, int with |n| < 2**53, list and dict. No floats.
    """
    check_profile(obj)
    return encode_checked(obj)


def export_line(record: Mapping[str, Any]) -> bytes:
    """One export line: the record in canonical form plus a newline (deterministic exports)."""
    return canonical_bytes(dict(record)) + b"\n"



# --------------------------------------------------------------------------------------------------
# Checkpoint and key-rotation statements (what the signing key signs)
# --------------------------------------------------------------------------------------------------

ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")  # DER SubjectPublicKeyInfo header


def checkpoint_body(record: Mapping[str, Any]) -> dict[str, Any]:
    """The signed part of a checkpoint record (drops ``type``, ``signature`` and any other extra key)."""
    missing = [k for k in CHECKPOINT_FIELDS if k not in record]
    if missing:
        raise ValueError(f"checkpoint body: field {missing[0]!r} is missing")
    return {k: record[k] for k in CHECKPOINT_FIELDS}


def checkpoint_hash(body: Mapping[str, Any]) -> str:
    """Hex SHA-256 of the canonical checkpoint body; the next checkpoint's ``prev_checkpoint``."""
    return _sha256(canonical_bytes(checkpoint_body(body))).hexdigest()


def key_id(origin: str, public_key_raw: bytes) -> str:
    """First 8 bytes of SHA-256(origin || 0x0A || 0x01 || raw Ed25519 key), in hex (C2SP-style)."""
    return _sha256(origin.encode("utf-8") + b"\n\x01" + bytes(public_key_raw)).digest()[:8].hex()


def public_key_pem(public_key_raw: bytes) -> str:
    """PEM SubjectPublicKeyInfo of a raw Ed25519 key, for ``openssl pkeyutl -pubin``."""
    b64 = base64.b64encode(ED25519_SPKI_PREFIX + bytes(public_key_raw)).decode("ascii")
    return f"-----BEGIN PUBLIC KEY-----\n{b64}\n-----END PUBLIC KEY-----\n"


# A district's co-signature of a town's checkpoint (docs/audit-format.md §8, docs/witnessing.md): the witness
# signs canonical_bytes of these fields; `checkpoint` is checkpoint_hash of the town's checkpoint body.
COSIGNATURE_FORMAT = "lawflow.cosignature.v1"
COSIGNATURE_FIELDS = ("format", "witness", "witness_key_id", "checkpoint", "cosigned_at")


def cosignature_body(record: Mapping[str, Any]) -> dict[str, Any]:
    """The signed part of a co-signature (drops ``signature``); a missing field raises ValueError."""
    missing = [k for k in COSIGNATURE_FIELDS if k not in record]
    if missing:
        raise ValueError(f"co-signature: field {missing[0]!r} is missing")
    return {k: record[k] for k in COSIGNATURE_FIELDS}


ROTATION_FIELDS = frozenset(
    {"format", "origin", "old_key_id", "new_key_id", "new_public_key", "old_key_lost", "rotated_at"}
)


def rotation_statement(
    origin: str, old_key_id: str, new_public_key: bytes, rotated_at: str, old_key_lost: bool = False
) -> dict[str, Any]:
    """What both keys sign when the checkpoint key is rotated (the old one unless it was lost)."""
    return {
        "format": KEY_ROTATION_FORMAT,
        "origin": origin,
        "old_key_id": old_key_id,
        "new_key_id": key_id(origin, new_public_key),
        "new_public_key": base64.b64encode(bytes(new_public_key)).decode("ascii"),
        "old_key_lost": old_key_lost,
        "rotated_at": rotated_at,
    }


# --------------------------------------------------------------------------------------------------
# Evidence files (record_attached events name them by SHA-256 and size)
# --------------------------------------------------------------------------------------------------


def record_path(records_dir: str | os.PathLike[str], sha256: str) -> str:
    """Where lawflow stores a record's file: <records>/objects/<first two hex>/<sha256>."""
    return os.path.join(records_dir, "objects", sha256[:2], sha256)


def check_file(path: str | os.PathLike[str], sha256: str, size: int) -> str | None:
    """Re-hash one evidence file. None when it matches its event, otherwise what is wrong."""
    try:
        actual = os.stat(path).st_size
        if actual != size:
            return f"evidence file {sha256} has {actual} bytes, its event says {size} (the file was altered)"
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
    except FileNotFoundError:
        return f"evidence file {sha256} is missing from the records folder"
    except OSError as exc:
        return f"evidence file {sha256} cannot be read: {exc.strerror}"
    if digest.hexdigest() != sha256:
        return f"evidence file {sha256} was altered: its content hashes to {digest.hexdigest()}"
    return None


def json_items(text: str) -> list[Any]:
    """The items of a file of trusted records as people keep them: one JSON object, a JSON array, or JSON
    Lines. Raises ValueError naming the line of malformed JSON Lines."""
    try:
        whole = json.loads(text)
    except ValueError:
        whole = None
    if isinstance(whole, dict):
        return [whole]
    if isinstance(whole, list):
        return whole
    items = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            items.append(json.loads(line))
        except ValueError as e:
            raise ValueError(f"line {n}: malformed JSON ({e})") from None
    return items
