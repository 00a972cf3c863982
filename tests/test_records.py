"""Evidence files (全过程记录): receiving, checking, storing by content, and the guarantees around them.

The rules a user meets are specified in features/enforcement/06_执法全过程记录.feature; this file covers what a
scenario cannot show well: the sniffing table, the store's file handling, a transaction that fails after the
file was moved, the command line and the auditor's offline verifier.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.auditor_script import auditor_script
from workflow import store as engine_store
from workflow.audit.export import export, verify_database
from workflow.clock import utc_stamp
from workflow.demo import POWER_STREETS
from workflow.records import FORMATS, RecordStore, sniff
from workflow.runtime import Runtime

ROOT = Path(__file__).resolve().parent.parent
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
FILING = {"title": "陈某某占道堆放建材案", "party": "陈某某", "party_type": "individual",
          "facts": "当事人在后龙街两侧人行道堆放建材约20立方米。", "field": "市容环境卫生", "power": POWER_STREETS,
          "legal_basis": "《城市市容和环境卫生管理条例》第三十六条"}
TEXT = {"kind": "text", "title": "询问笔录", "format": "pdf", "made_on": "2026-03-02"}


@pytest.mark.parametrize("head, expected", [
    (PDF, "pdf"), (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"), (b"\x89PNG\r\n\x1a\n\x00", "png"),
    (b"PK\x03\x04\x14\x00", "docx"), (MP4, "mp4"), (b"\x00\x00\x00\x14ftypqt  \x00\x00", "mov"),
    (b"RIFF\x24\x00\x00\x00WAVEfmt ", "wav"), (b"RIFF\x24\x00\x00\x00AVI LIST", "avi"), (b"ID3\x04\x00", "mp3"),
    ("询问笔录：当事人陈某某".encode(), "txt"), ("询问".encode()[:-1], "txt"),  # a character cut by the window
    (b"\x00\x01\x02binary", None), (b"\xc3\x28 not utf-8 \x00", None),
], ids=lambda v: v.hex()[:16] if isinstance(v, bytes) else str(v))
def test_sniffing_names_the_format_the_content_shows(head: bytes, expected: str | None) -> None:
    assert sniff(head) == expected
    assert expected is None or expected in FORMATS


def test_staging_hashes_while_copying_and_discard_leaves_nothing(tmp_path: Path) -> None:
    store = RecordStore(tmp_path / "records", max_bytes=10 * 1024**2)
    data = PDF + os.urandom(3 * 1024**2)
    staged = store.stage(io.BytesIO(data), filename="询问笔录.pdf")
    assert (staged.sha256, staged.size, staged.sniffed) == (hashlib.sha256(data).hexdigest(), len(data), "pdf")
    assert staged.path.read_bytes() == data
    assert staged.path.name.startswith(staged.sha256 + "-")  # once whole, named by its hash (the roll-forward)
    staged.discard()
    assert _staged(store) == []


def test_a_file_past_the_limit_is_not_kept(tmp_path: Path) -> None:
    store = RecordStore(tmp_path / "records", max_bytes=1024**2)
    staged = store.stage(io.BytesIO(MP4 + b"\0" * (2 * 1024**2)))
    assert staged.too_large and staged.limit == 1024**2
    assert _staged(store) == []


def _staged(store: RecordStore) -> list[Path]:
    return [p for p in store.staging.rglob("*") if p.is_file()]


def test_publish_stores_once_read_only(tmp_path: Path) -> None:
    store = RecordStore(tmp_path / "records")
    first = store.publish(store.stage_bytes(PDF))
    second = store.publish(store.stage_bytes(PDF))
    assert first.created and not second.created and first.path == second.path
    assert first.path == tmp_path / "records" / "objects" / first.sha256[:2] / first.sha256
    assert first.path.stat().st_mode & 0o222 == 0
    assert _staged(store) == []
    assert store.check(first.sha256, len(PDF)) is None


def _investigating(town: Runtime) -> str:
    engine = town.engine
    case_id = engine.create_case("enforcement_case", "wanghai", FILING).case_id
    assert case_id
    assert engine.fire(case_id, "start_investigation", "wanghai", {"officers": ["wanghai", "caiming"]}).ok
    return case_id


def _files(town: Runtime) -> list[Path]:
    root = town.records.root
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_a_failed_transaction_takes_its_new_file_with_it(town: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    case_id = _investigating(town)
    assert town.engine.fire(case_id, "attach_record", "wanghai", TEXT, attachment=town.records.stage_bytes(PDF)).ok
    kept = _files(town)

    def fail(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(engine_store, "save_case", fail)
    new_file = PDF + b"% another record\n"
    for content in (new_file, PDF):  # new content is removed again; content already stored is left alone
        with pytest.raises(RuntimeError):
            town.engine.fire(case_id, "attach_record", "wanghai", TEXT, attachment=town.records.stage_bytes(content))
        assert _files(town) == kept
    monkeypatch.undo()
    report = verify_database(town.sessions, town.origin, utc_stamp(town.clock.now()),
                             records_dir=str(town.records.root))
    assert report.ok and report.records_checked == 1, report.message


def test_a_file_offered_to_a_step_that_takes_none_is_refused(town: Runtime) -> None:
    case_id = _investigating(town)
    outcome = town.engine.fire(case_id, "record_investigation_conduct", "wanghai",
                               {"occasion": "现场勘验", "conducted_on": "2026-03-02", "certificates_shown": True,
                                "duties_told": True}, attachment=town.records.stage_bytes(PDF))
    assert outcome.codes == ["attachment_not_accepted"]
    assert _files(town) == []




def test_records_from_the_command_line_and_their_verification(town: Runtime, lawflow, tmp_path: Path) -> None:
    case_id = _investigating(town)
    pdf = tmp_path / "询问笔录.pdf"
    pdf.write_bytes(PDF)
    video = tmp_path / "seizure.mp4"
    video.write_bytes(MP4)
    attached = lawflow("case", "fire", case_id, "attach_record", "--as", "wanghai", "--file", str(pdf),
                       "--data", json.dumps(TEXT, ensure_ascii=False))
    assert attached.returncode == 0, attached.stderr
    mismatch = lawflow("case", "fire", case_id, "attach_record", "--as", "wanghai", "--file", str(video),
                       "--data", json.dumps(TEXT, ensure_ascii=False))
    assert mismatch.returncode == 3 and "与声明的格式「PDF」不符" in mismatch.stderr
    missing = lawflow("case", "fire", case_id, "attach_record", "--as", "wanghai", "--file", str(tmp_path / "nope"))
    assert missing.returncode != 0 and "无法读取文件" in missing.stderr

    report = lawflow("case", "records", case_id)
    assert report.returncode == 4, report.stdout  # the stage 已立案 has no record
    assert "询问笔录" in report.stdout and "【已立案】" in report.stdout and "无记录" in report.stdout

    assert lawflow("audit", "verify").returncode == 0
    sha = hashlib.sha256(PDF).hexdigest()
    stored = town.records.path_of(sha)
    stored.chmod(0o644)
    stored.write_bytes(PDF.replace(b"obj", b"OBJ"))
    broken = lawflow("audit", "verify")
    assert broken.returncode == 1 and sha in broken.stderr and case_id in broken.stderr

    # The auditor's own copy of the verifier, on an export plus the records folder.
    out = tmp_path / "trail.jsonl"
    with out.open("wb") as f:
        export(town.sessions, f, town.origin, utc_stamp(town.clock.now()))
    verifier = auditor_script()  # the file handed to the auditor
    offline = subprocess.run([sys.executable, "-I", "-S", str(verifier), str(out), "--records",
                              str(town.records.root), "--quiet"], capture_output=True, text=True)
    assert offline.returncode == 1 and "was altered" in offline.stdout
    stored.unlink()
    offline = subprocess.run([sys.executable, "-I", "-S", str(verifier), str(out), "--records",
                              str(town.records.root), "--quiet"], capture_output=True, text=True)
    assert offline.returncode == 1 and "is missing" in offline.stdout
    unchecked = subprocess.run([sys.executable, "-I", "-S", str(verifier), str(out), "--quiet"],
                               capture_output=True, text=True)
    assert unchecked.returncode == 0 and "1 evidence files not re-hashed" in unchecked.stdout
