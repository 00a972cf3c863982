"""An instance's files are its owner's only, even under a default umask of 022 (workflow/filemodes.py)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from workflow.records import RecordStore

ROOT = Path(__file__).resolve().parent.parent


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The default umask of most systems, which makes new files world-readable."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_lawflow_init_creates_a_private_instance_and_database(tmp_path: Path) -> None:
    instance = tmp_path / "deep" / "instance"
    env = {k: v for k, v in os.environ.items() if k != "LAWFLOW_DATABASE_URL"}
    env["LAWFLOW_INSTANCE"] = str(instance)
    result = subprocess.run([sys.executable, "-m", "workflow", "init"], capture_output=True, text=True, env=env,
                            cwd=ROOT, preexec_fn=lambda: os.umask(0o022))
    assert result.returncode == 0, result.stderr
    assert mode(instance) == 0o700
    assert mode(tmp_path / "deep") == 0o700  # made by lawflow too
    database = instance / "lawflow.sqlite3"
    assert mode(database) == 0o600
    for extra in (instance / "lawflow.sqlite3-wal", instance / "lawflow.sqlite3-shm"):
        if extra.exists():
            assert mode(extra) & 0o077 == 0


def test_init_warns_about_an_instance_folder_open_to_others(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    os.chmod(instance, 0o755)
    env = {k: v for k, v in os.environ.items() if k != "LAWFLOW_DATABASE_URL"}
    env["LAWFLOW_INSTANCE"] = str(instance)
    result = subprocess.run([sys.executable, "-m", "workflow", "init"], capture_output=True, text=True, env=env,
                            cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "open to other users" in result.stderr
    assert mode(instance) == 0o755  # a deliberate choice is left alone, but said
    assert mode(instance / "lawflow.sqlite3") == 0o600


def test_evidence_files_and_partial_uploads_are_private(tmp_path: Path, open_umask: None) -> None:
    store = RecordStore(tmp_path / "records")
    staged = store.stage_bytes(b"%PDF-1.7 a record of an inquiry")
    assert mode(tmp_path / "records") == 0o700 and mode(store.staging) == 0o700
    assert mode(staged.path.parent) == 0o700 and mode(staged.path) == 0o600  # this process's staging folder
    stored = store.publish(staged)
    assert mode(stored.path) == 0o400  # read-only, and no one else's
    assert mode(stored.path.parent) == 0o700 and mode(store.objects) == 0o700


def test_the_web_app_sets_the_umask_and_a_private_instance(town, tmp_path: Path, open_umask: None,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from web import create_app

    monkeypatch.delenv("LAWFLOW_SECRET_KEY", raising=False)
    town.instance = tmp_path / "fresh-instance"
    create_app(town)
    assert mode(town.instance) == 0o700
    assert mode(town.instance / "secret_key") == 0o600
    probe = tmp_path / "made-after-start"
    probe.write_text("x")
    assert mode(probe) == 0o600  # the process's umask is 077 from now on
