"""The auditor's one file (`lawflow audit verifier`, workflow/audit/handout.py): it runs with nothing but the
standard library, verifies a real export, and is made of the very modules the write path runs (no second copy);
the write path takes nothing from the verifier's own code."""

from __future__ import annotations

import ast
import inspect
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.auditor_script import auditor_script
from workflow.audit import canonical, handout, merkle, row_replay, trail, verifier

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).with_name("golden_export.jsonl")
WRITE_PATH = ("workflow/audit/trail.py", "workflow/audit/checkpoint.py", "workflow/audit/signing.py",
              "workflow/audit/rotation.py", "workflow/records.py", "workflow/replay.py")
SHARED = ("canonical", "merkle", "row_replay")


def _run(script: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-I", "-S", str(script), *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def test_the_handed_out_file_verifies_an_export_alone(tmp_path: Path) -> None:
    """Copied into an empty folder and run isolated (-I: no script folder, no environment; -S: no
    site-packages), so nothing of lawflow can be imported: it still verifies, and still finds a change."""
    alone = tmp_path / "auditor"
    alone.mkdir()
    script = alone / "verify.py"
    shutil.copy(auditor_script(), script)
    export = alone / "trail.jsonl"
    shutil.copy(GOLDEN, export)
    intact = _run(script, export.name, cwd=alone)
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert "intact" in intact.stdout.lower() or "完好" in intact.stdout
    lines = export.read_text(encoding="utf-8").splitlines()
    i = next(n for n, line in enumerate(lines) if '"kind":"transition"' in line)
    lines[i] = lines[i].replace('"kind":"transition"', '"kind":"transitioN"', 1)
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    broken = _run(script, export.name, "--quiet", cwd=alone)
    assert broken.returncode == 1 and "hash" in broken.stdout, broken.stdout + broken.stderr
    no_lawflow = subprocess.run([sys.executable, "-I", "-S", "-c", "import workflow"], capture_output=True,
                                cwd=alone, timeout=60)
    assert no_lawflow.returncode != 0  # the check above did not lean on an importable lawflow


def test_the_command_writes_that_file(tmp_path: Path) -> None:
    out = tmp_path / "verify.py"
    done = subprocess.run([sys.executable, "-m", "workflow", "audit", "verifier", "-o", str(out)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert out.read_text(encoding="utf-8") == handout.script()
    assert out.read_text(encoding="utf-8").startswith("#!/usr/bin/env python3\n")


def test_the_file_is_the_shared_modules_verbatim() -> None:
    """No second copy: every function and class of the shared modules is in the script exactly as the write
    path imports it, and the script holds nothing else but those modules and the verifier."""
    text = handout.script()
    for module in (canonical, merkle, row_replay, verifier):
        for name, obj in vars(module).items():
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == module.__name__:
                assert inspect.getsource(obj) in text, f"{module.__name__}.{name}"
    parts = handout.parts()
    assert list(parts) == list(handout.MODULES)
    for part in parts.values():
        assert part.strip("\n").removeprefix("#!/usr/bin/env python3").strip("\n") in text
    # The writer and the verifier hold the same objects, not equal copies.
    assert trail.canonical_bytes is canonical.canonical_bytes is verifier.canonical_bytes
    assert verifier.record_step is row_replay.record_step and verifier.CompactRange is merkle.CompactRange
    assert verifier.ROUND_INDEPENDENT is row_replay.ROUND_INDEPENDENT
    assert trail.EVENT_FORMAT is canonical.EVENT_FORMAT is verifier.EVENT_FORMAT


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [(n.module or "", [a.name for a in n.names]) for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]


def test_the_write_path_takes_nothing_from_the_verifier() -> None:
    for rel in WRITE_PATH:
        for module, _names in _imports(ROOT / rel):
            assert module != "workflow.audit.verifier", f"{rel} imports the verifier"
    # Nowhere in lawflow does a module take a private name of the verifier or of the shared modules.
    shared = {f"workflow.audit.{m}" for m in (*SHARED, "verifier")}
    for path in [*(ROOT / "workflow").rglob("*.py"), *(ROOT / "web").rglob("*.py")]:
        for module, names in _imports(path):
            if module in shared:
                private = [n for n in names if n.startswith("_")]
                assert not private, f"{path.relative_to(ROOT)} takes {private} from {module}"


def test_the_event_format_is_named_once() -> None:
    hits = [p.relative_to(ROOT) for p in (ROOT / "workflow").rglob("*.py")
            if '"lawflow.audit.v1"' in p.read_text(encoding="utf-8")]
    assert hits == [Path("workflow/audit/canonical.py")]


def test_the_shared_modules_import_only_the_standard_library() -> None:
    for name in handout.MODULES:
        for module, _names in _imports(ROOT / "workflow" / "audit" / f"{name}.py"):
            top = module.split(".")[0]
            assert top in sys.stdlib_module_names or module.startswith("workflow.audit.") \
                or module == "cryptography.hazmat.primitives.asymmetric.ed25519", (name, module)


def test_the_join_refuses_what_would_not_run_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in handout.MODULES:
        shutil.copy(ROOT / "workflow" / "audit" / f"{name}.py", tmp_path / f"{name}.py")
    monkeypatch.setattr(handout, "HERE", tmp_path)
    assert handout.script() == auditor_script().read_text(encoding="utf-8")
    merkle_py = tmp_path / "merkle.py"
    good = merkle_py.read_text(encoding="utf-8")
    merkle_py.write_text(good.replace("import hashlib\n", "import hashlib\nimport sqlalchemy\n", 1), encoding="utf-8")
    with pytest.raises(handout.HandoutError, match="standard library only"):
        handout.script()
    merkle_py.write_text(good.replace("from workflow.audit.canonical import",
                                      "from workflow.audit.row_replay import encode_checked_text\n"
                                      "from workflow.audit.canonical import", 1), encoding="utf-8")
    with pytest.raises(handout.HandoutError, match="not joined before it"):
        handout.script()
    merkle_py.write_text(good + "\n\ndef canonical_bytes(obj: object) -> bytes:\n    return b''\n", encoding="utf-8")
    with pytest.raises(handout.HandoutError, match="already defined by canonical.py"):
        handout.script()
