"""Export-level tamper matrix: every way an insider could alter, delete, reorder or forge the trail must be
reported as the first broken item with its case, seq and field; harmless reformatting must still pass.

Each export is checked twice, as parsed records (``verify_records``) and as a JSON Lines file
(``verify_file``, which has its own fast parsing paths); both must give the same verdict.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.audit.export_builder import (
    ExportBuilder,
    dump,
    dump_loose,
    find,
    rehash_case,
    sample_builder,
)
from workflow.audit import signing
from workflow.audit.verifier import (
    EVENT_FIELDS,
    Report,
    Verifier,
    checkpoint_body,
    checkpoint_hash,
    event_hash,
    leaf_hash,
    merkle_root,
    verify_file,
    verify_records,
)

Records = list[dict[str, Any]]


@pytest.fixture(scope="module")
def sample() -> ExportBuilder:
    return sample_builder()


@pytest.fixture
def records(sample: ExportBuilder) -> Records:
    return sample.records()


def check(records: Records, trusted: Sequence[dict[str, Any]] = (), *, tmp_dir: Path, **kw: Any) -> Report:
    """Verify as records and as a file; the two paths must agree exactly."""
    a = verify_records(copy.deepcopy(records), trusted, **kw)
    path = tmp_dir / "export.jsonl"
    path.write_text(dump(records), encoding="utf-8")
    b = verify_file(str(path), trusted, **kw)
    assert (a.ok, a.first_error) == (b.ok, b.first_error), (a.message, b.message)
    assert (a.events, a.leaves, a.checkpoints, a.unanchored_events) == (
        b.events,
        b.leaves,
        b.checkpoints,
        b.unanchored_events,
    )
    return a


def broken(report: Report, case: str | None, seq: int | None, field: str) -> str:
    assert not report.ok, "tampering was not detected"
    err = report.first_error
    assert err is not None
    assert (err.case, err.seq, err.field) == (case, seq, field), report.message
    assert report.message.startswith("BROKEN: ")
    return err.message


# --- the intact export ------------------------------------------------------------------------------


def test_sample_export_is_intact(records: Records, tmp_path: Path) -> None:
    r = check(records, tmp_dir=tmp_path)
    assert r.ok, r.message
    assert (r.events, r.cases, r.leaves, r.checkpoints) == (12, 3, 10, 2)
    assert r.unanchored_events == 2  # written after the last checkpoint
    assert r.signatures == "verified"
    assert r.first_error is None and r.warnings == []
    assert r.message.startswith("INTACT: 12 events in 3 cases; 10 anchored by 2 checkpoints")


def test_reformatted_whitespace_and_key_order_still_pass(records: Records, tmp_path: Path) -> None:
    text = dump_loose(records, seed=3)
    assert text != dump(records) and "  {" in text
    path = tmp_path / "loose.jsonl"
    path.write_text(text, encoding="utf-8")
    r = verify_file(str(path))
    assert r.ok, r.message
    shuffled = [dict(reversed(list(rec.items()))) for rec in records]
    assert verify_records(shuffled).ok


def test_signatures_not_checked_mode(records: Records) -> None:
    r = verify_records(records, check_signatures=False)
    assert r.ok and r.signatures == "not checked"


# --- changing any field of any event ----------------------------------------------------------------


def tampered(field: str, value: Any) -> Any:
    if field == "format":
        return "lawflow.audit.v2"
    if field == "seq":
        return value + 1
    if field == "at":
        return value[:-2] + str((int(value[-2]) + 1) % 10) + "Z"
    if field in ("prev", "hash"):
        return value[:-1] + ("0" if value[-1] != "0" else "1")
    if field == "reasons":
        return [{**value[0], "message": value[0]["message"] + "x"}] if value else [{"article": "x"}]
    if value is None:
        return "tampered"
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, list):
        return [*value, "x"]
    if isinstance(value, dict):
        return {**value, "x": 1}
    raise AssertionError(field)


def event_field_cases() -> list[tuple[int, str]]:
    b = sample_builder(Ed25519PrivateKey.from_private_bytes(b"\x01" * 32))
    out = []
    for i, rec in enumerate(b.records()):
        if rec["type"] != "event":
            continue
        out += [(i, f) for f in (*EVENT_FIELDS, "hash")]
        out += [(i, f"payload.{k}") for k in rec["payload"]]
    return out


@pytest.mark.parametrize(("index", "field"), event_field_cases())
def test_changed_event_field_is_named(records: Records, index: int, field: str, tmp_path: Path) -> None:
    rec = records[index]
    case, seq = rec["case"], rec["seq"]
    if field.startswith("payload."):
        key = field.split(".", 1)[1]
        rec["payload"][key] = tampered(key, rec["payload"][key])
    else:
        rec[field] = tampered(field, rec[field])
    report = check(records, tmp_dir=tmp_path)
    if field == "case" and seq == 1:
        # Nothing before a case's first event says which case it belongs to: the record's own claim is named.
        case = rec["case"]
    broken(report, case, seq, "format" if field == "format" else "hash")
    assert report.first_error is not None and report.first_error.line == index + 1


def test_out_of_profile_value_is_named_even_with_a_matching_hash(records: Records, tmp_path: Path) -> None:
    """A writer bug (a float hashed with the stdlib encoder) is reported with the field path."""
    i = find(records, "event", case="2026-ZF-0002", seq=2)
    records[i]["payload"]["fine"] = 2000.5
    body = {k: records[i][k] for k in EVENT_FIELDS}
    records[i]["hash"] = hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()
    msg = broken(check(records, tmp_dir=tmp_path), "2026-ZF-0002", 2, "payload.fine")
    assert "floats are not allowed" in msg


def test_schema_problem_is_named(records: Records, tmp_path: Path) -> None:
    i = find(records, "event", case="2026-JD-0001", seq=3)
    records[i]["at"] = "2026-11-29 08:00"
    broken(check(records, tmp_dir=tmp_path), "2026-JD-0001", 3, "at")
    records = copy.deepcopy(records)
    del records[i]["at"]
    del records[i]["role"]
    broken(check(records, tmp_dir=tmp_path), "2026-JD-0001", 3, "role")


# --- deleting, truncating, reordering, duplicating ----------------------------------------------------


def test_deleted_middle_event(records: Records, tmp_path: Path) -> None:
    del records[find(records, "event", case="2026-JD-0001", seq=2)]
    msg = broken(check(records, tmp_dir=tmp_path), "2026-JD-0001", 2, "seq")
    assert "seq 2 is missing" in msg


@pytest.mark.parametrize("case", ["2026-JD-0001", "2026-ZF-0003"])  # last event unanchored / anchored
def test_deleted_last_event_is_tail_truncation(records: Records, case: str, tmp_path: Path) -> None:
    head = records[find(records, "case", case=case)]["head_seq"]
    del records[find(records, "event", case=case, seq=head)]
    msg = broken(check(records, tmp_dir=tmp_path), case, head, "head_seq")
    assert "tail truncated" in msg


def truncate_and_rewrite_head(records: Records, case: str, keep: int) -> Records:
    records = [r for r in records if not (r["type"] == "event" and r["case"] == case and r["seq"] > keep)]
    head = records[find(records, "case", case=case)]
    head["head_seq"] = keep
    head["head_hash"] = records[find(records, "event", case=case, seq=keep)]["hash"]
    return records


def test_deleted_tail_with_rewritten_head_is_caught_by_the_leaves(records: Records, tmp_path: Path) -> None:
    records = truncate_and_rewrite_head(records, "2026-ZF-0003", 1)
    msg = broken(check(records, tmp_dir=tmp_path), "2026-ZF-0003", 2, "leaf")
    assert "tail truncated" in msg


def test_deleted_tail_with_rewritten_head_and_leaves_is_caught_by_the_checkpoint(
    records: Records, sample: ExportBuilder, tmp_path: Path
) -> None:
    records = truncate_and_rewrite_head(records, "2026-ZF-0003", 1)
    leaves = [
        r for r in records if r["type"] == "leaf" and not (r["case"] == "2026-ZF-0003" and r["seq"] == 2)
    ]
    for i, leaf in enumerate(leaves):
        leaf["log_index"] = i
    records = [r for r in records if r["type"] != "leaf"]
    at = find(records, "checkpoint")
    records[at:at] = leaves
    # ZF-0003 seq 2 was anchored by checkpoint #2, which now covers more leaves than the export holds.
    msg = broken(check(records, tmp_dir=tmp_path), None, None, "tree_size")
    assert msg.startswith("checkpoint #2 (tree_size 10)")
    # Dropping that checkpoint too leaves a consistent file, but not one consistent with the checkpoint
    # held outside the database.
    older = [r for r in records if not (r["type"] == "checkpoint" and r["tree_size"] == 10)]
    assert check(older, tmp_dir=tmp_path).ok
    broken(check(older, [sample.checkpoints[-1]], tmp_dir=tmp_path), None, None, "tree_size")


def test_truncating_unanchored_events_is_only_visible_in_the_case_row(
    records: Records, tmp_path: Path
) -> None:
    """Documented limit: events newer than the last checkpoint are protected by the case row alone, so
    deleting them *and* rewriting the case row goes unnoticed until the next checkpoint covers them."""
    r = check(truncate_and_rewrite_head(records, "2026-JD-0001", 4), tmp_dir=tmp_path)
    assert r.ok and r.unanchored_events == 1


def test_swapped_events(records: Records, tmp_path: Path) -> None:
    i = find(records, "event", case="2026-JD-0001", seq=2)
    records[i], records[i + 1] = records[i + 1], records[i]
    msg = broken(check(records, tmp_dir=tmp_path), "2026-JD-0001", 2, "seq")
    assert "reordered" in msg


def test_duplicated_event(records: Records, tmp_path: Path) -> None:
    i = find(records, "event", case="2026-ZF-0002", seq=3)
    records.insert(i + 1, copy.deepcopy(records[i]))
    msg = broken(check(records, tmp_dir=tmp_path), "2026-ZF-0002", 3, "seq")
    assert "appears twice" in msg


def test_events_without_case_record(records: Records, tmp_path: Path) -> None:
    del records[find(records, "case", case="2026-JD-0001")]
    broken(check(records, tmp_dir=tmp_path), "2026-JD-0001", 5, "head_seq")


def test_case_record_without_events(records: Records, tmp_path: Path) -> None:
    records = [r for r in records if not (r["type"] == "event" and r["case"] == "2026-ZF-0003")]
    msg = broken(check(records, tmp_dir=tmp_path), "2026-ZF-0003", 1, "head_seq")
    assert "no events" in msg


def test_wrong_case_head_hash(records: Records, tmp_path: Path) -> None:
    records[find(records, "case", case="2026-ZF-0002")]["head_hash"] = "ab" * 32
    broken(check(records, tmp_dir=tmp_path), "2026-ZF-0002", 5, "head_hash")


def test_regrouped_case(records: Records, tmp_path: Path) -> None:
    i = find(records, "event", case="2026-JD-0001", seq=5)
    moved = records.pop(i)
    records.insert(find(records, "case", case="2026-ZF-0002") + 1, moved)
    broken(check(records, tmp_dir=tmp_path), "2026-JD-0001", 5, "head_seq")


# --- forging a chain end to end ------------------------------------------------------------------------


def forge(records: Records) -> Records:
    i = find(records, "event", case="2026-JD-0001", seq=2)
    records[i]["payload"]["note"] = "已伪造"
    return rehash_case(records, "2026-JD-0001")


def test_forged_chain_passes_the_chain_checks_and_only_the_checkpoint_catches_it(
    records: Records, sample: ExportBuilder, tmp_path: Path
) -> None:
    forged = forge(records)
    msg = broken(check(forged, tmp_dir=tmp_path), None, None, "root")
    assert msg.startswith("checkpoint #1 (tree_size 6)")
    # Without the checkpoints the forgery is a perfectly consistent chain: nothing in the file betrays it ...
    no_checkpoints = [r for r in forged if r["type"] != "checkpoint"]
    assert check(no_checkpoints, tmp_dir=tmp_path).ok
    # ... but a checkpoint held outside the database does.
    trusted = [sample.checkpoints[-1]]
    msg = broken(check(no_checkpoints, trusted, tmp_dir=tmp_path), None, None, "root")
    assert "held outside the database" in msg
    # The same checkpoint confirms the genuine export.
    assert check(records_without_checkpoints(sample), trusted, tmp_dir=tmp_path).ok


def records_without_checkpoints(sample: ExportBuilder) -> Records:
    return [r for r in sample.records() if r["type"] != "checkpoint"]


def test_forger_recomputing_the_checkpoint_root_cannot_sign_it(records: Records, tmp_path: Path) -> None:
    forged = forge(records)
    leaves = [leaf_hash(r["event_hash"]) for r in forged if r["type"] == "leaf"]
    for r in forged:
        if r["type"] == "checkpoint":
            r["root"] = merkle_root(leaves[: r["tree_size"]]).hex()
    broken(check(forged, tmp_dir=tmp_path), None, None, "signature")


def test_forger_with_own_key_is_an_unknown_key(records: Records, tmp_path: Path) -> None:
    forged = forge(records)
    mallory = Ed25519PrivateKey.generate()
    leaves = [leaf_hash(r["event_hash"]) for r in forged if r["type"] == "leaf"]
    prev = None
    for r in forged:
        if r["type"] == "checkpoint":
            r["root"] = merkle_root(leaves[: r["tree_size"]]).hex()
            r["key_id"] = signing.key_id_for(r["origin"], mallory)
            r["prev_checkpoint"] = prev
            r["signature"] = signing.sign(mallory, r)
            prev = checkpoint_hash(r)
    msg = broken(check(forged, tmp_dir=tmp_path), None, None, "key_id")
    assert "unknown key_id" in msg


# --- whole cases, leaves, backups ----------------------------------------------------------------------


def test_deleted_whole_case(records: Records, tmp_path: Path) -> None:
    records = [r for r in records if r.get("case") != "2026-ZF-0003" or r["type"] == "leaf"]
    msg = broken(check(records, tmp_dir=tmp_path), "2026-ZF-0003", 1, "leaf")
    assert "no events for that case" in msg


def test_deleted_whole_case_and_its_leaves(records: Records, sample: ExportBuilder, tmp_path: Path) -> None:
    records = [r for r in records if r.get("case") != "2026-ZF-0003"]
    index = 0
    for r in records:
        if r["type"] == "leaf":
            r["log_index"] = index
            index += 1
    msg = broken(check(records, tmp_dir=tmp_path), None, None, "root")
    assert msg.startswith("checkpoint #1")  # its first leaves are no longer the same
    no_checkpoints = [r for r in records if r["type"] != "checkpoint"]
    assert check(no_checkpoints, tmp_dir=tmp_path).ok
    broken(check(no_checkpoints, [sample.checkpoints[0]], tmp_dir=tmp_path), None, None, "root")


def test_changed_leaf_hash(records: Records, tmp_path: Path) -> None:
    i = find(records, "leaf", log_index=3)
    records[i]["event_hash"] = "cd" * 32
    msg = broken(check(records, tmp_dir=tmp_path), records[i]["case"], records[i]["seq"], "event_hash")
    assert msg.startswith("leaf 3:")


def test_duplicate_leaf(records: Records, tmp_path: Path) -> None:
    i = find(records, "leaf", log_index=9)
    dup = {**records[find(records, "leaf", log_index=2)], "log_index": 10}
    records.insert(i + 1, dup)
    msg = broken(check(records, tmp_dir=tmp_path), dup["case"], dup["seq"], "leaf")
    assert "duplicate leaf" in msg


@pytest.mark.parametrize("index", [0, 4, 9])
def test_missing_or_reordered_leaf(records: Records, index: int, tmp_path: Path) -> None:
    removed = records.pop(find(records, "leaf", log_index=index))
    report = check(records, tmp_dir=tmp_path)
    assert not report.ok and report.first_error is not None
    if index == 9:  # the log's last leaf: the checkpoint covers more leaves than remain
        assert report.first_error.field == "tree_size"
    else:  # the case whose event lost its leaf is named, not the neighbour whose index follows the gap
        err = report.first_error
        assert (err.case, err.seq, err.field) == (removed["case"], removed["seq"], "leaf"), report.message


def test_leaf_removed_from_the_middle_of_a_case_with_renumbering(records: Records, tmp_path: Path) -> None:
    records = [
        r for r in records if not (r["type"] == "leaf" and r["case"] == "2026-JD-0001" and r["seq"] == 2)
    ]
    index = 0
    for r in records:
        if r["type"] == "leaf":
            r["log_index"] = index
            index += 1
    msg = broken(check(records, tmp_dir=tmp_path), "2026-JD-0001", 2, "leaf")
    assert "seq 2 has no leaf although the later seq 4 is anchored" in msg


def test_dropped_trailing_leaves_is_an_older_backup(
    records: Records, sample: ExportBuilder, tmp_path: Path
) -> None:
    """Leaves and the newest checkpoint removed, as in an older backup: inconsistent with the trusted one."""
    first = sample.checkpoints[0]["tree_size"]
    old = [r for r in records if not (r["type"] == "leaf" and r["log_index"] >= first)]
    old = [r for r in old if not (r["type"] == "checkpoint" and r["tree_size"] > first)]
    assert check(old, tmp_dir=tmp_path).ok  # consistent on its own
    msg = broken(check(old, [sample.checkpoints[-1]], tmp_dir=tmp_path), None, None, "tree_size")
    assert "older backup" in msg
    # The file still holding the newer checkpoint fails on its own.
    old_with_cp = [r for r in records if not (r["type"] == "leaf" and r["log_index"] >= first)]
    broken(check(old_with_cp, tmp_dir=tmp_path), None, None, "tree_size")


def test_restored_older_backup() -> None:
    """A real backup taken between two checkpoints, checked against the newer checkpoint kept outside."""
    b = ExportBuilder()
    for i in range(5):
        b.add_event(f"C-{i % 2}", "transition", payload={"i": i})
    b.checkpoint()
    backup = b.records()
    for i in range(5, 9):
        b.add_event(f"C-{i % 2}", "transition", payload={"i": i})
    newer = b.checkpoint()
    assert verify_records(b.records(), [newer]).ok
    assert verify_records(backup).ok
    report = verify_records(backup, [newer])
    assert not report.ok and report.first_error is not None and report.first_error.field == "tree_size"


# --- checkpoint records ---------------------------------------------------------------------------------


def test_flipped_bit_in_checkpoint_signature(records: Records, tmp_path: Path) -> None:
    i = find(records, "checkpoint")
    sig = bytearray(base64.b64decode(records[i]["signature"]))
    sig[17] ^= 0x04
    records[i]["signature"] = base64.b64encode(bytes(sig)).decode()
    msg = broken(check(records, tmp_dir=tmp_path), None, None, "signature")
    assert msg.startswith("checkpoint #1")


def test_checkpoint_signed_by_unknown_key(records: Records, tmp_path: Path) -> None:
    i = find(records, "checkpoint")
    other = Ed25519PrivateKey.generate()
    records[i]["key_id"] = signing.key_id_for(records[i]["origin"], other)
    records[i]["signature"] = signing.sign(other, records[i])
    msg = broken(check(records, tmp_dir=tmp_path), None, None, "key_id")
    assert "unknown key_id" in msg


def test_checkpoint_signed_by_another_key_claiming_the_known_key_id(records: Records, tmp_path: Path) -> None:
    i = find(records, "checkpoint")
    records[i]["signature"] = signing.sign(Ed25519PrivateKey.generate(), records[i])
    broken(check(records, tmp_dir=tmp_path), None, None, "signature")


def test_checkpoint_body_change_breaks_the_signature(records: Records, tmp_path: Path) -> None:
    i = find(records, "checkpoint")
    records[i]["issued_at"] = "2030-01-01T00:00:00.000000Z"
    broken(check(records, tmp_dir=tmp_path), None, None, "signature")


def test_removed_first_checkpoint_breaks_the_checkpoint_chain(records: Records, tmp_path: Path) -> None:
    del records[find(records, "checkpoint")]
    msg = broken(check(records, tmp_dir=tmp_path), None, None, "prev_checkpoint")
    assert msg.startswith("checkpoint #1 (tree_size 10)")


def test_checkpoints_out_of_order(records: Records, tmp_path: Path) -> None:
    i = find(records, "checkpoint")
    records[i], records[i + 1] = records[i + 1], records[i]
    broken(check(records, tmp_dir=tmp_path), None, None, "prev_checkpoint")


def test_rotated_key_still_verifies() -> None:
    b = ExportBuilder()
    b.add_event("C-1", "created")
    b.checkpoint()
    old_key_id = signing.key_id_for(b.origin, b.key)
    b.rotate(Ed25519PrivateKey.generate())  # recorded in SYS, signed by the old key and the new one
    b.add_event("C-1", "transition")
    b.checkpoint()  # anchors the rotation: signed by the new key
    report = verify_records(b.records())
    assert report.ok and report.key_rotations == 1, report.message
    without_old_key = [r for r in b.records() if not (r["type"] == "key" and r["key_id"] == old_key_id)]
    report = verify_records(without_old_key)  # the old key's public half is what old checkpoints verify with
    assert not report.ok and report.first_error is not None
    assert report.first_error.field == "payload.rotation.old_key_id" and "has no key record" in report.message


def test_a_new_key_without_a_rotation_is_refused() -> None:
    b = ExportBuilder()
    b.add_event("C-1", "created")
    b.checkpoint()
    new_key = Ed25519PrivateKey.generate()
    b.add_key(new_key)  # listed in the keys (an insider can add a row to audit_key), but no rotation
    b.add_event("C-1", "transition")
    b.checkpoint(key=new_key)
    report = verify_records(b.records())
    assert not report.ok and report.first_error is not None and report.first_error.field == "key_id"
    assert "checkpoint #2 (tree_size 2): signed by key" in report.message and "before any key rotation" in report.message


def test_the_old_key_signs_nothing_after_its_rotation_is_anchored() -> None:
    b = ExportBuilder()
    old = b.key
    b.add_event("C-1", "created")
    b.checkpoint()
    b.rotate(Ed25519PrivateKey.generate())
    b.checkpoint()
    b.add_event("C-1", "transition")
    b.checkpoint(key=old)  # a stolen retired key
    report = verify_records(b.records())
    assert not report.ok and "checkpoint #3" in report.message and "since the key rotation at SYS seq 1" in report.message


def test_a_rotation_not_signed_by_the_previous_key_is_refused() -> None:
    b = ExportBuilder()
    b.add_event("C-1", "created")
    b.checkpoint()
    insider = Ed25519PrivateKey.generate()
    b.rotate(insider, signer=insider)
    b.checkpoint()
    report = verify_records(b.records())
    assert not report.ok and report.first_error is not None
    assert (report.first_error.case, report.first_error.seq) == ("SYS", 1)
    assert report.first_error.field == "payload.old_key_signature"
    assert "not signed by the previous key" in report.message


def test_the_key_chain_is_followed_without_checking_signatures() -> None:
    b = ExportBuilder()
    b.add_event("C-1", "created")
    b.checkpoint()
    first = b.key
    b.rotate(Ed25519PrivateKey.generate())
    b.key = first  # the second rotation claims to start from the first key again: a fork
    b.rotate(Ed25519PrivateKey.generate())
    b.checkpoint()
    report = verify_records(b.records(), check_signatures=False)
    assert not report.ok and report.first_error is not None and report.first_error.seq == 2
    assert report.first_error.field == "payload.rotation.old_key_id" and "forked or forged" in report.message


def test_a_lost_key_rotation_is_accepted_only_with_the_trusted_new_key() -> None:
    b = ExportBuilder()
    b.add_event("C-1", "created")
    b.checkpoint()
    new_key = Ed25519PrivateKey.generate()
    b.rotate(new_key, lost=True)
    b.checkpoint()
    report = verify_records(b.records())
    assert not report.ok and report.first_error is not None and report.first_error.field == "payload.old_key_signature"
    verifier = Verifier(trusted_keys=[signing.public_raw(new_key)])
    for n, rec in enumerate(b.records(), 1):
        verifier.feed(rec, n)
    assert verifier.finish().ok


def test_a_rotation_outside_the_system_journal_is_refused() -> None:
    b = ExportBuilder()
    b.add_event("C-1", "created")
    b.add_event("C-1", "key_rotated", payload={"rotation": {}})
    b.checkpoint()
    report = verify_records(b.records())
    assert not report.ok and report.first_error is not None and report.first_error.case == "C-1"
    assert "only be recorded in the system journal" in report.message


def test_key_record_must_match_its_key_id(records: Records, tmp_path: Path) -> None:
    records[find(records, "key")]["key_id"] = "00" * 8
    broken(check(records, tmp_dir=tmp_path), None, None, "key_id")


# --- clock, structure, progress -------------------------------------------------------------------------


def test_clock_going_backwards_is_a_warning(tmp_path: Path) -> None:
    b = ExportBuilder()
    b.add_event("C-1", "created", at="2026-11-29T10:00:00.000000Z")
    b.add_event("C-1", "transition", at="2026-11-29T09:59:59.999999Z")  # an NTP step backwards
    b.add_event("C-1", "transition", at="2026-11-29T10:00:01.000000Z")
    b.checkpoint()
    r = check(b.records(), tmp_dir=tmp_path)
    assert r.ok and r.warning_count == 1
    assert "case 'C-1' seq 2: clock went backwards" in r.warnings[0]
    assert "1 warnings" in r.message


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda rs: rs.pop(0), "type"),  # no header
        (lambda rs: rs[0].update(format="lawflow.export.v9"), "format"),
        (lambda rs: rs.insert(3, {"type": "mystery"}), "type"),
        (lambda rs: rs.insert(3, {"no_type": 1}), "type"),
        (lambda rs: rs.append(copy.deepcopy(rs[2])), "type"),  # an event after the checkpoints
        (lambda rs: rs.insert(1, copy.deepcopy(rs[0])), "type"),  # second header
        (lambda rs: rs.clear(), "type"),  # empty export
    ],
)
def test_structural_problems(records: Records, mutate: Any, field: str) -> None:
    mutate(records)
    report = verify_records(records)
    assert not report.ok and report.first_error is not None and report.first_error.field == field


def test_progress_callback_and_streaming_stop(records: Records) -> None:
    seen: list[int] = []
    v = Verifier(progress=seen.append, progress_every=5)
    for rec in records:
        assert v.feed(rec)
    assert seen == [5, 10]
    assert v.finish().ok
    with pytest.raises(RuntimeError):
        v.feed(records[0])


def test_feed_stops_at_the_first_problem(records: Records) -> None:
    records[3]["kind"] = "tampered"
    v = Verifier()
    results = [v.feed(r, n) for n, r in enumerate(records, 1)]
    assert results[:3] == [True, True, True] and not any(results[3:])
    report = v.finish()
    assert report.first_error is not None and report.first_error.line == 4
    assert report.to_dict()["first_error"]["line"] == 4


def test_trusted_checkpoint_must_be_well_formed(sample: ExportBuilder) -> None:
    bad = {**checkpoint_body(sample.checkpoints[0]), "root": "xyz"}
    with pytest.raises(ValueError, match="root"):
        Verifier([bad])


def test_trusted_checkpoint_from_another_log(records: Records, sample: ExportBuilder) -> None:
    other = {**checkpoint_body(sample.checkpoints[0]), "origin": "lawflow.example/another-town"}
    report = verify_records(records, [other])
    assert not report.ok and report.first_error is not None and report.first_error.field == "origin"


def test_event_hash_of_export_record_matches(records: Records) -> None:
    ev = records[find(records, "event")]
    assert event_hash(ev) == ev["hash"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"actor": 5}, "actor"),
        ({"trigger": ["x"]}, "trigger"),
        ({"seq": "2"}, "seq"),
        ({"seq": 2.0}, "seq"),
        ({"kind": ""}, "kind"),
        ({"case": None}, "case"),
        ({"payload": []}, "payload"),
        ({"reasons": [1]}, "reasons[0]"),
        ({"reasons": {}}, "reasons"),
        ({"procedure": 7}, "procedure"),
        ({"at": 20261129}, "at"),
        ({"format": None}, "format"),
        ({"extra": 1}, "extra"),
        ({"payload": {"items": [{"名": 1}]}}, "payload.items[0]"),
        ({"payload": {"n": 2**60}}, "payload.n"),
        ({"payload": {"s": "\ud800"}}, "payload.s"),
        ({"prev": 5}, "prev"),
        ({"hash": "XYZ"}, "hash"),
    ],
)
def test_malformed_event_fields_are_named(
    records: Records, change: dict[str, Any], field: str, tmp_path: Path
) -> None:
    """The fast path must fall back to the precise one and name the field, whatever the value."""
    i = find(records, "event", case="2026-ZF-0002", seq=2)
    records[i].update(change)
    if "hash" not in change:  # a consistent hash, so that only the schema or profile is wrong
        body = {k: records[i].get(k) for k in EVENT_FIELDS}
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        records[i]["hash"] = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    report = verify_records(records)
    err = report.first_error
    assert not report.ok and err is not None
    assert (err.case, err.seq, err.field) == ("2026-ZF-0002", 2, field), report.message
