"""The auditor's view: ``python3 -I -S verifier.py export.jsonl`` (standard library only) on good, tampered
and malformed exports, with exit codes 0 / 1 / 2; plus the golden export that pins the format."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.audit.export_builder import dump, find, fixed_key, rehash_case, sample_builder
from tests.auditor_script import auditor_script
from workflow.audit.verifier import OPENSSL_RECIPE, checkpoint_body, main, verify_file

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).with_name("golden_export.jsonl")
GOLDEN_ROOT = "34b01dbc3466479612b692064148373d4724360d610bfb8a50d745aff3a9183e"
GOLDEN_SHA256 = "321fe7ad01cdb4d44c83c8b02060fe26359324d398eb36513e0237bc92355f06"


def run(*args: str | Path, isolated: bool = True) -> subprocess.CompletedProcess[str]:
    flags = ["-I", "-S"] if isolated else []
    proc = subprocess.run(
        [sys.executable, *flags, str(auditor_script()), *map(str, args)], capture_output=True, text=True, timeout=120
    )
    assert "Traceback" not in proc.stderr + proc.stdout
    return proc


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("exports") / "good.jsonl"
    sample_builder().write(path)
    return path


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_stdlib_only_good_export(good: Path) -> None:
    proc = run(good)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith(
        "INTACT: 12 events in 3 cases; 10 anchored by 2 checkpoints (signatures not checked)"
    )
    # -S hides cryptography: signatures are reported as not checked, with the OpenSSL recipe.
    assert "signatures were NOT checked" in proc.stdout
    assert OPENSSL_RECIPE in proc.stdout


def test_signatures_verified_when_cryptography_is_importable(good: Path) -> None:
    proc = run(good, isolated=False)
    assert proc.returncode == 0
    assert "(signatures: verified)" in proc.stdout and "NOT checked" not in proc.stdout


def test_tampered_export_names_the_first_broken_item(tmp_path: Path) -> None:
    records = sample_builder().records()
    i = find(records, "event", case="2026-ZF-0002", seq=3)
    records[i]["actor"] = "u-someone-else"
    proc = run(write(tmp_path, "bad.jsonl", dump(records)))
    assert proc.returncode == 1
    assert (
        proc.stdout.strip()
        .splitlines()[-1]
        .startswith("BROKEN: case '2026-ZF-0002' seq 3 field 'hash': event hash mismatch")
    )
    assert f"(line {i + 1})" in proc.stdout


def test_quiet_prints_one_line(tmp_path: Path, good: Path) -> None:
    proc = run("--quiet", good)
    assert proc.returncode == 0 and len(proc.stdout.strip().splitlines()) == 1 and proc.stderr == ""
    records = sample_builder().records()
    del records[find(records, "event", case="2026-JD-0001", seq=2)]
    proc = run("--quiet", write(tmp_path, "gap.jsonl", dump(records)))
    assert proc.returncode == 1
    assert proc.stdout.strip() == (
        "BROKEN: case '2026-JD-0001' seq 2 field 'seq': seq 2 is missing: seq 3 follows seq 1 "
        "(event deleted, or events reordered) (line 4)"
    )


def test_forged_chain_caught_by_trusted_checkpoint_file(tmp_path: Path) -> None:
    b = sample_builder()
    trusted = write(tmp_path, "trusted.json", json.dumps(checkpoint_body(b.checkpoints[-1])))
    forged = b.records()
    forged[find(forged, "event", case="2026-JD-0001", seq=2)]["payload"]["note"] = "改"
    forged = [r for r in rehash_case(forged, "2026-JD-0001") if r["type"] != "checkpoint"]
    path = write(tmp_path, "forged.jsonl", dump(forged))
    assert run(path).returncode == 0  # a recomputed chain is self-consistent ...
    proc = run(path, "--trusted-checkpoint", trusted)  # ... but not with the checkpoint kept outside
    assert proc.returncode == 1
    assert "BROKEN: field 'root': trusted checkpoint #1 (tree_size 10)" in proc.stdout
    # JSON Lines and arrays of checkpoints are accepted too.
    lines = write(tmp_path, "trusted.jsonl", "\n".join(json.dumps(c) for c in b.checkpoints) + "\n")
    assert run(path, "--trusted-checkpoint", lines).returncode == 1
    good = write(tmp_path, "genuine.jsonl", b.text())
    assert run(good, "--trusted-checkpoint", lines, "--trusted-checkpoint", trusted).returncode == 0


def test_malformed_line_exits_2_naming_the_line(tmp_path: Path, good: Path) -> None:
    lines = good.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[6] = lines[6][:40] + "\n"
    proc = run(write(tmp_path, "cut.jsonl", "".join(lines)))
    assert proc.returncode == 2
    assert f"{tmp_path / 'cut.jsonl'}: line 7: malformed JSON" in proc.stderr
    lines[6] = "[1, 2]\n"
    proc = run(write(tmp_path, "array.jsonl", "".join(lines)))
    assert proc.returncode == 2 and "line 7: not a JSON object" in proc.stderr


def test_invalid_utf8_exits_2_naming_the_line(tmp_path: Path, good: Path) -> None:
    data = good.read_bytes().splitlines(keepends=True)
    data[4] = data[4].replace(b"u-", b"\xff-", 1)
    path = tmp_path / "latin.jsonl"
    path.write_bytes(b"".join(data))
    proc = run(path)
    assert proc.returncode == 2 and "line 5: not valid UTF-8" in proc.stderr


def test_blank_lines_and_loose_formatting_are_fine(tmp_path: Path, good: Path) -> None:
    text = good.read_text(encoding="utf-8").replace("\n", "\n\n").replace('{"', '{ "')
    assert run(write(tmp_path, "loose.jsonl", text)).returncode == 0


@pytest.mark.parametrize(
    "args",
    [
        [],  # no export given
        ["--no-such-option", "x.jsonl"],
        ["/nonexistent/export.jsonl"],
    ],
)
def test_usage_and_io_errors_exit_2(args: list[str]) -> None:
    proc = run(*args)
    assert proc.returncode == 2 and proc.stderr


def test_bad_trusted_checkpoint_file_exits_2(tmp_path: Path, good: Path) -> None:
    proc = run(good, "--trusted-checkpoint", write(tmp_path, "t.json", '{"format": "lawflow.checkpoint.v1"}'))
    assert proc.returncode == 2 and "t.json" in proc.stderr and "missing" in proc.stderr
    proc = run(good, "--trusted-checkpoint", tmp_path / "absent.json")
    assert proc.returncode == 2 and "absent.json" in proc.stderr


def test_json_report(good: Path) -> None:
    proc = run("--json", good)
    report = json.loads(proc.stdout)
    assert proc.returncode == 0 and report["ok"] is True and report["events"] == 12
    assert report["first_error"] is None and report["unanchored_events"] == 2


def test_write_signature_files_for_openssl(tmp_path: Path, good: Path) -> None:
    out = tmp_path / "sigs"
    proc = run(good, "--write-signature-files", out)
    assert proc.returncode == 0
    dirs = sorted(out.iterdir())
    assert [d.name for d in dirs] == ["checkpoint-0001-size-6", "checkpoint-0002-size-10"]
    assert f"in each {out}/checkpoint-*/ directory run" in proc.stdout
    for d in dirs:
        assert {p.name for p in d.iterdir()} == {"checkpoint.bin", "checkpoint.sig", "pub.pem"}
        assert len((d / "checkpoint.sig").read_bytes()) == 64
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    for d in dirs:
        ok = subprocess.run(OPENSSL_RECIPE.split(), cwd=d, capture_output=True, text=True)
        assert "Signature Verified Successfully" in ok.stdout, ok.stdout + ok.stderr
    # An altered checkpoint body fails the OpenSSL check.
    body = dirs[0] / "checkpoint.bin"
    body.write_bytes(body.read_bytes().replace(b'"tree_size":6', b'"tree_size":7'))
    bad = subprocess.run(OPENSSL_RECIPE.split(), cwd=dirs[0], capture_output=True, text=True)
    assert bad.returncode != 0


def test_main_in_process_returns_exit_codes(
    good: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(good), "--quiet"]) == 0
    assert main([str(tmp_path / "missing.jsonl")]) == 2
    assert main([]) == 2
    capsys.readouterr()


# --- the golden export: any drift in the format, the builder or the hashing fails loudly ---------------


def test_golden_export_is_reproducible_and_intact() -> None:
    assert hashlib.sha256(GOLDEN.read_bytes()).hexdigest() == GOLDEN_SHA256
    assert sample_builder(fixed_key()).text() == GOLDEN.read_text(encoding="utf-8")
    report = verify_file(str(GOLDEN))
    assert report.ok and report.signatures == "verified", report.message
    last = json.loads(GOLDEN.read_text(encoding="utf-8").splitlines()[-1])
    assert (last["type"], last["tree_size"], last["root"]) == ("checkpoint", 10, GOLDEN_ROOT)
    proc = run(GOLDEN)
    assert proc.returncode == 0
