"""The district as witness of its towns' logs: it checks each town's signed checkpoints for consistency with
those it already holds, co-signs and keeps them (docs/witnessing.md; the bundle and the co-signature:
docs/audit-format.md §8).

A town administrator who holds the town's signing key can rewrite the town's history and sign a fresh log;
the town's own witness folder goes with it. What stays is the copy held elsewhere (audit-design §2.1, the last
rows of the threat model): here, the district's. For each town (an organisation row at the district, with the
town's key registered by `lawflow witness trust`) the district accepts a checkpoint only when

* it is signed by a key trusted for that town (a key change only through the town's rotation record, signed
  by the old key and the new one, workflow/audit/rotation.py);
* its tree is at least as large as the last one held, and the consistency proof (RFC 9162 §2.1.4) from the
  last held one verifies; the same size must give the same root.

An accepted checkpoint is co-signed with the district's witness key and kept (witnessed_checkpoint); a signed
checkpoint that contradicts the held ones is refused and kept as a finding (witness_finding): a fork is
evidence. A bundle that is not well formed, or not signed by a trusted key, is refused whole: nothing kept.
Every receipt is recorded in the town's administration journal at the district (ADM-<town>), so the
district's own audit trail shows what it received and when.

The witness key is not the district's audit signing key: the web process co-signs what the API receives, and
the checkpoint signing key must never be readable by the web process (audit-design §2.4); a stolen witness
key forges co-signatures, not the district's own log.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from workflow.audit import signing
from workflow.audit.canonical import (
    CHECKPOINT_FIELDS,
    COSIGNATURE_FORMAT,
    canonical_bytes,
    checkpoint_body,
    checkpoint_hash,
    key_id,
    rotation_statement,
)
from workflow.audit.journal import lock_journal, record_journal_event
from workflow.audit.merkle import verify_consistency
from workflow.audit.verifier import load_public_key
from workflow.clock import Clock, utc_stamp
from workflow.db import writing
from workflow.models import (
    Organization,
    WitnessedCheckpoint,
    WitnessFinding,
    WitnessTownKey,
    admin_journal_id,
)

BUNDLE_FORMAT = "lawflow.witness-bundle.v1"
PROCEDURE = "witness@1"  # the `procedure` of the receipts' journal events: no definition file, a fixed id@version
KIND = "witness"
TRANSPORTS = ("api", "file")
MAX_CHECKPOINTS = 1000  # per bundle: a town that was offline for years sends several
MAX_PROOF = 64  # hashes in a consistency proof: 2·log2(2**31) is far below


class BundleError(ValueError):
    """A bundle refused whole: nothing was kept. The message says what and why, Chinese first, then English."""

    def __init__(self, zh: str, en: str) -> None:
        self.zh, self.en = zh, en
        super().__init__(f"{zh} / {en}")


@dataclass(frozen=True)
class Inconsistency:
    """A signed checkpoint that contradicts the ones the district holds (kept as a witness_finding)."""

    kind: str  # fork (same size, other root) | inconsistent (the proof from the held one does not verify)
    tree_size: int
    root: str
    held_size: int
    held_root: str
    zh: str
    en: str

    def text(self) -> str:
        return f"{self.zh} / {self.en}"


@dataclass
class Receipt:
    """What a bundle brought: the co-signed copies of its checkpoints (newly and already held), the keys
    followed through rotations, and the inconsistency that stopped it, if any."""

    cosigned: list[dict[str, Any]] = field(default_factory=list)
    new: int = 0
    keys_followed: list[str] = field(default_factory=list)
    inconsistency: Inconsistency | None = None


# ---------------------------------------------------------------- the witness key


def witness_key_path(signing_key_path: Path) -> Path:
    """LAWFLOW_WITNESS_KEY_FILE, else `witness-cosigning.key` beside the audit signing key."""
    configured = os.environ.get("LAWFLOW_WITNESS_KEY_FILE")
    return Path(configured) if configured else Path(signing_key_path).parent / "witness-cosigning.key"


def load_witness_key(path: Path) -> Ed25519PrivateKey:
    if not path.exists():
        raise BundleError(f"本区尚无见证签名密钥（{path}）：请先运行 lawflow witness keygen",
                          f"no witness key at {path}: create it with lawflow witness keygen")
    try:
        return signing.load_private_key(path)
    except signing.SigningKeyError as exc:
        raise BundleError("见证签名密钥不可用", str(exc)) from None


def cosign(key: Ed25519PrivateKey, witness: str, record: Mapping[str, Any], cosigned_at: str) -> dict[str, Any]:
    """The district's co-signature of a town checkpoint: signed canonical bytes of its COSIGNATURE_FIELDS."""
    statement = {"format": COSIGNATURE_FORMAT, "witness": witness,
                 "witness_key_id": key_id(witness, signing.public_raw(key)),
                 "checkpoint": checkpoint_hash(checkpoint_body(record)), "cosigned_at": cosigned_at}
    return {**statement, "signature": base64.b64encode(key.sign(canonical_bytes(statement))).decode("ascii")}


def copy_of(row: WitnessedCheckpoint) -> dict[str, Any]:
    """A kept checkpoint as the district hands it out: the town's checkpoint, its signature, the co-signature
    (one line of `lawflow witness export`, read by `lawflow audit verify --witness` and the offline verifier)."""
    return {"type": "checkpoint", "format": "lawflow.checkpoint.v1", "origin": row.origin,
            "tree_size": row.tree_size, "root": row.root, "issued_at": row.issued_at,
            "prev_checkpoint": row.prev_checkpoint, "key_id": row.key_id, "signature": row.signature,
            "cosignature": json.loads(row.cosignature)}


# ---------------------------------------------------------------- trusting a town's key


def trust(sessions: sessionmaker[Session], *, org_id: str, pem: Path, origin: str, actor: str,
          clock: Clock) -> str:
    """Register the town's first checkpoint key (its public PEM, received from the town outside the system).
    A later key comes only through the town's rotation record, signed by the key it replaces."""
    try:
        raw = load_public_key(str(pem))
    except (OSError, ValueError) as exc:
        raise BundleError(f"无法读取公钥 {pem}", str(exc)) from None
    kid = key_id(origin, raw)
    with writing(sessions) as session:
        if session.get(Organization, org_id) is None:
            raise BundleError(f"本区没有单位「{org_id}」", f"no organisation {org_id!r} here (lawflow org add)")
        journal = lock_journal(session, admin_journal_id(org_id), create=True)
        held = _keys(session, org_id)
        if held:
            raise BundleError(
                f"「{org_id}」已登记密钥 {', '.join(held)}：密钥变更只能通过该镇以旧密钥签署的轮换记录",
                f"{org_id} already has key(s) {', '.join(held)}: a key changes only through the town's rotation "
                "record signed by the old key (sent in its next bundle)")
        now = clock.now()
        session.add(WitnessTownKey(org_id=org_id, origin=origin, key_id=kid,
                                   public_key=base64.b64encode(raw).decode("ascii"),
                                   source=f"lawflow witness trust --key {pem.name}", added_by=actor, added_at=now))
        record_journal_event(session, journal.id, when=now, kind=KIND, procedure=PROCEDURE, trigger="key_trusted",
                             actor=actor, role="operator", payload={"org_id": org_id, "origin": origin,
                                                                    "key_id": kid, "public_key": base64.b64encode(raw).decode("ascii")})
    return kid


def _keys(session: Session, org_id: str) -> dict[str, WitnessTownKey]:
    rows = session.scalars(select(WitnessTownKey).where(WitnessTownKey.org_id == org_id)
                           .order_by(WitnessTownKey.id))
    return {r.key_id: r for r in rows}


# ---------------------------------------------------------------- receiving a bundle


def parse_bundle(text: str | bytes) -> dict[str, Any]:
    """The bundle's JSON, refused with the reason when it is not one."""
    try:
        value = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BundleError("见证包不是有效的 JSON", f"the bundle is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise BundleError("见证包应为 JSON 对象", "the bundle must be a JSON object")
    return value


def _shape(bundle: Mapping[str, Any]) -> None:
    """Refuse a bundle whose fields are missing or of the wrong kind, naming the field."""
    def bad(where: str, what: str) -> BundleError:
        return BundleError(f"见证包字段 {where} 有误：{what}", f"bundle field {where}: {what}")

    if bundle.get("format") != BUNDLE_FORMAT:
        raise bad("format", f"expected {BUNDLE_FORMAT!r}")
    if not isinstance(bundle.get("origin"), str) or not bundle["origin"]:
        raise bad("origin", "a non-empty string")
    for name in ("checkpoints", "keys", "rotations"):
        if not isinstance(bundle.get(name), list):
            raise bad(name, "a list")
    if not bundle["checkpoints"]:
        raise bad("checkpoints", "no checkpoint to witness")
    if len(bundle["checkpoints"]) > MAX_CHECKPOINTS:
        raise bad("checkpoints", f"at most {MAX_CHECKPOINTS} per bundle")
    for n, cp in enumerate(bundle["checkpoints"]):
        where = f"checkpoints[{n}]"
        if not isinstance(cp, dict):
            raise bad(where, "an object")
        missing = [k for k in (*CHECKPOINT_FIELDS, "signature") if k not in cp]
        if missing:
            raise bad(where, f"lacks {', '.join(missing)}")
        if not isinstance(cp["tree_size"], int) or isinstance(cp["tree_size"], bool) or not 0 < cp["tree_size"] < 2**31:
            raise bad(f"{where}.tree_size", "a whole number above 0")
        if not _hex(cp["root"], 64):
            raise bad(f"{where}.root", "64 lowercase hex digits")
        if cp["origin"] != bundle["origin"]:
            raise bad(f"{where}.origin", f"{cp['origin']!r} is not the bundle's {bundle['origin']!r}")
        proof = cp.get("consistency")
        if proof is not None and (not isinstance(proof, dict) or not isinstance(proof.get("from_size"), int)
                                  or not isinstance(proof.get("proof"), list) or len(proof["proof"]) > MAX_PROOF
                                  or not all(_hex(h, 64) for h in proof["proof"])):
            raise bad(f"{where}.consistency", "{from_size: number, proof: [64-hex hashes]}")
    for n, rot in enumerate(bundle["rotations"]):
        if not isinstance(rot, dict) or not isinstance(rot.get("rotation"), dict):
            raise bad(f"rotations[{n}]", "an object with the rotation statement")


def _hex(value: object, length: int) -> bool:
    return isinstance(value, str) and len(value) == length and all(c in "0123456789abcdef" for c in value)


def _valid(raw: bytes, message: bytes, signature: object) -> bool:
    try:
        sig = base64.b64decode(str(signature), validate=True)
        Ed25519PublicKey.from_public_bytes(raw).verify(sig, message)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def _follow_rotations(session: Session, org_id: str, origin: str, rotations: Sequence[Mapping[str, Any]],
                      trusted: dict[str, WitnessTownKey], now: datetime) -> list[str]:
    """Trust each new key whose rotation record is signed by a key already trusted and by the new key itself.
    A rotation from an untrusted key is skipped (it may be older than the key registered); one whose
    signatures do not verify refuses the bundle."""
    followed: list[str] = []
    changed = True
    while changed:
        changed = False
        for n, rot in enumerate(rotations):
            st = rot["rotation"]
            old, new = str(st.get("old_key_id", "")), str(st.get("new_key_id", ""))
            if old not in trusted or new in trusted:
                continue
            where = f"rotations[{n}] ({old} → {new})"
            try:
                new_raw = base64.b64decode(str(st["new_public_key"]), validate=True)
                expected = rotation_statement(origin, old, new_raw, str(st["rotated_at"]),
                                              old_key_lost=bool(st["old_key_lost"]))
            except (KeyError, ValueError) as exc:
                raise BundleError(f"密钥轮换记录 {where} 格式有误", f"the key rotation {where} is malformed: {exc}") from None
            if expected != st:
                raise BundleError(f"密钥轮换记录 {where} 不是本镇日志的轮换声明",
                                  f"the key rotation {where} is not a rotation statement of the log {origin!r}")
            if st["old_key_lost"]:
                raise BundleError(f"密钥轮换记录 {where} 未经旧密钥签署（旧密钥丢失）：须由本区操作员核实新公钥后登记",
                                  f"the key rotation {where} is not signed by the old key (it was lost): the district's "
                                  "operator must check the new public key outside the system before trusting it")
            message = canonical_bytes(st)
            old_raw = base64.b64decode(trusted[old].public_key)
            if not _valid(old_raw, message, rot.get("old_key_signature")) or not _valid(
                    new_raw, message, rot.get("new_key_signature")):
                raise BundleError(f"密钥轮换记录 {where} 的签名无效：须由旧密钥和新密钥共同签署",
                                  f"the key rotation {where} is not validly signed by the old key and the new one")
            row = WitnessTownKey(org_id=org_id, origin=origin, key_id=new, public_key=str(st["new_public_key"]),
                                 source=f"rotation {old} → {new} signed {st['rotated_at']}", added_by="rotation",
                                 added_at=now)
            session.add(row)
            trusted[new] = row
            followed.append(new)
            changed = True
    return followed


def receive(sessions: sessionmaker[Session], *, org_id: str, bundle: Mapping[str, Any], transport: str,
            witness_key: Callable[[], Ed25519PrivateKey], witness: str, actor: str, clock: Clock) -> Receipt:
    """Check, co-sign and keep a town's bundle (one transaction, under the town's journal lock at the district,
    so two receipts for one town are taken one after the other). Raises BundleError (nothing kept) for a
    malformed bundle, an unknown town, a signature by an untrusted key, a stale size or a proof that does not
    start at the held size; returns a Receipt whose `inconsistency` is set when a validly signed checkpoint
    contradicts the held ones (then kept as a finding, and the checkpoints after it are not looked at).
    `witness_key` loads the district's witness key when the first checkpoint is to be co-signed."""
    if transport not in TRANSPORTS:
        raise ValueError(f"transport {transport!r}")
    _shape(bundle)
    origin = str(bundle["origin"])
    receipt = Receipt()
    with writing(sessions) as session:
        if session.get(Organization, org_id) is None:
            raise BundleError(f"本区没有单位「{org_id}」", f"unknown town: no organisation {org_id!r} here")
        journal = lock_journal(session, admin_journal_id(org_id), create=True)
        now = clock.now()
        trusted = _keys(session, org_id)
        if not trusted:
            raise BundleError(f"「{org_id}」尚未登记签名公钥（lawflow witness trust）",
                              f"unknown town: no key is trusted for {org_id} (lawflow witness trust --org {org_id})")
        registered = next(iter(trusted.values())).origin
        if origin != registered:
            raise BundleError(f"见证包的日志名 {origin} 与登记的 {registered} 不符",
                              f"the bundle's log {origin!r} is not {registered!r}, the log registered for {org_id}")
        receipt.keys_followed = _follow_rotations(session, org_id, origin, bundle["rotations"], trusted, now)

        def event(trigger: str, payload: dict[str, Any]) -> None:
            record_journal_event(session, journal.id, when=now, kind=KIND, procedure=PROCEDURE, trigger=trigger,
                                 actor=actor, role="witness", payload={"org_id": org_id, "transport": transport,
                                                                       **payload})

        for n, cp in enumerate(bundle["checkpoints"]):
            where = f"checkpoints[{n}] (tree_size {cp['tree_size']})"
            body = checkpoint_body(cp)
            key = trusted.get(str(body["key_id"]))
            if key is None:
                raise BundleError(f"检查点 {where} 由未登记的密钥 {body['key_id']} 签署",
                                  f"the checkpoint {where} is signed by key {body['key_id']}, which is not trusted for "
                                  f"{org_id} (trusted: {', '.join(trusted)})")
            if not signing.verify(base64.b64decode(key.public_key), body, str(cp["signature"])):
                raise BundleError(f"检查点 {where} 的签名无效（密钥 {key.key_id}）",
                                  f"the checkpoint {where} is not validly signed by key {key.key_id}: wrong key, or "
                                  "altered after signing")
            held = session.scalars(select(WitnessedCheckpoint).where(WitnessedCheckpoint.org_id == org_id)
                                   .order_by(WitnessedCheckpoint.tree_size.desc()).limit(1)).first()
            same = session.scalars(select(WitnessedCheckpoint).where(
                WitnessedCheckpoint.org_id == org_id, WitnessedCheckpoint.tree_size == body["tree_size"])).first()
            found: Inconsistency | None = None
            if same is not None:
                if same.root == body["root"]:
                    receipt.cosigned.append(copy_of(same))  # sent again: acknowledged again
                    continue
                found = Inconsistency(
                    "fork", body["tree_size"], body["root"], same.tree_size, same.root,
                    f"分叉：本区已于 {utc_stamp(same.received_at)} 见证该镇日志前 {same.tree_size} 个事件的根为 {same.root}，"
                    f"现收到同样大小的检查点，根为 {body['root']}：该镇的历史已被改写",
                    f"FORK: the district witnessed the town's first {same.tree_size} events with root {same.root} on "
                    f"{utc_stamp(same.received_at)}; this checkpoint of the same size says {body['root']}: the town's "
                    "history was rewritten")
            elif held is not None and body["tree_size"] < held.tree_size:
                raise BundleError(
                    f"检查点 {where} 过旧：本区已持有大小 {held.tree_size} 的检查点（只接受更大的）",
                    f"stale size: the checkpoint {where} is smaller than the {held.tree_size} the district already holds")
            elif held is not None:
                proof = cp.get("consistency")
                if proof is None or proof["from_size"] != held.tree_size:
                    given = "none" if proof is None else f"from {proof['from_size']}"
                    raise BundleError(
                        f"检查点 {where} 的一致性证明应从本区持有的大小 {held.tree_size} 开始（收到：{given}）",
                        f"the consistency proof of {where} must start at {held.tree_size}, the size the district "
                        f"holds (given: {given}); ask the district for its last size and build the bundle again")
                if not verify_consistency(held.tree_size, body["tree_size"], bytes.fromhex(held.root),
                                          bytes.fromhex(body["root"]), [bytes.fromhex(h) for h in proof["proof"]]):
                    found = Inconsistency(
                        "inconsistent", body["tree_size"], body["root"], held.tree_size, held.root,
                        f"不一致：大小 {body['tree_size']}（根 {body['root']}）的检查点不能证明延续本区持有的大小 "
                        f"{held.tree_size}（根 {held.root}）：该镇日志前 {held.tree_size} 个事件已被改写",
                        f"INCONSISTENT: the checkpoint of size {body['tree_size']} (root {body['root']}) does not prove "
                        f"that it extends the held size {held.tree_size} (root {held.root}): the consistency proof fails, "
                        f"the town's first {held.tree_size} events were rewritten")
            if found is not None:
                session.add(WitnessFinding(
                    org_id=org_id, kind=found.kind, tree_size=found.tree_size, root=found.root,
                    held_size=found.held_size, held_root=found.held_root, zh=found.zh, en=found.en,
                    checkpoint=json.dumps(dict(cp), ensure_ascii=False, sort_keys=True), transport=transport,
                    received_at=now))
                event("checkpoint_refused", {"kind": found.kind, "tree_size": found.tree_size, "root": found.root,
                                             "held_size": found.held_size, "held_root": found.held_root})
                receipt.inconsistency = found
                break
            copy = cosign(witness_key(), witness, body, utc_stamp(now))
            row = WitnessedCheckpoint(org_id=org_id, origin=origin, tree_size=body["tree_size"], root=body["root"],
                                      issued_at=body["issued_at"], prev_checkpoint=body["prev_checkpoint"],
                                      key_id=body["key_id"], signature=str(cp["signature"]),
                                      cosignature=json.dumps(copy, sort_keys=True), transport=transport,
                                      received_at=now)
            session.add(row)
            session.flush()
            event("checkpoint_witnessed", {"tree_size": row.tree_size, "root": row.root, "key_id": row.key_id,
                                           "checkpoint": copy["checkpoint"]})
            receipt.cosigned.append(copy_of(row))
            receipt.new += 1
    return receipt


# ---------------------------------------------------------------- what the district holds


def held_copies(session: Session, org_id: str) -> list[dict[str, Any]]:
    """The town's co-signed checkpoints, oldest first (`lawflow witness export`, `witness cosignatures`)."""
    rows = session.scalars(select(WitnessedCheckpoint).where(WitnessedCheckpoint.org_id == org_id)
                           .order_by(WitnessedCheckpoint.tree_size))
    return [copy_of(r) for r in rows]


def last_held(session: Session, org_id: str) -> WitnessedCheckpoint | None:
    return session.scalars(select(WitnessedCheckpoint).where(WitnessedCheckpoint.org_id == org_id)
                           .order_by(WitnessedCheckpoint.tree_size.desc()).limit(1)).first()


@dataclass(frozen=True)
class TownWitness:
    """One town as the district's page shows it."""

    org_id: str
    name_zh: str
    name_en: str
    keys: list[str]
    last: WitnessedCheckpoint | None
    findings: list[WitnessFinding]


def overview(session: Session, org_ids: Sequence[str] | None = None) -> list[TownWitness]:
    """Every town with a trusted key (or only `org_ids`): its last witnessed checkpoint and its findings."""
    keyed = session.execute(select(WitnessTownKey.org_id, WitnessTownKey.key_id).order_by(WitnessTownKey.id)).all()
    keys: dict[str, list[str]] = {}
    for org, kid in keyed:
        keys.setdefault(org, []).append(kid)
    out = []
    for org_id in sorted(keys):
        if org_ids is not None and org_id not in org_ids:
            continue
        org = session.get(Organization, org_id)
        findings = list(session.scalars(select(WitnessFinding).where(WitnessFinding.org_id == org_id)
                                        .order_by(WitnessFinding.id.desc())))
        out.append(TownWitness(org_id, org.name_zh if org else org_id, org.name_en if org else org_id,
                               keys[org_id], last_held(session, org_id), findings))
    return out
