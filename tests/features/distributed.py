"""The feature scenarios under pytest-xdist: each worker's records, merged by the controller.

With `pytest -n N` the scenarios run in N worker processes, so no single process sees what the whole run
exercised. Each worker therefore writes its `coverage.RECORDER` (what its scenarios fired and saw refused,
which scenarios it collected, ran and how they ended) as JSON to a folder made for this run by the controller
(`pytest_configure`, named to the workers through `workerinput`). When the workers are done, the controller
reads the union and

* applies the same spec-coverage verdict as tests/features/test_zz_spec_coverage.py (which skips on a worker):
  a gap fails the run (exit status 1) and is listed in the terminal summary under "spec coverage";
* writes the feature report (web/specs.py) from every worker's results, as a run without xdist does.

A worker that died leaves no file, and then what it alone exercised is missing: the gate fails rather than
passing on a partial union. The hooks are in tests/conftest.py (the controller does not load
tests/features/conftest.py when it collects nothing); the functions are here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd.feature import get_features

from tests.features import coverage
from web import specs

WORKER_INPUT_KEY = "lawflow_feature_records"
RUN_DIR = pytest.StashKey[Path]()
GATE_MESSAGE = pytest.StashKey[str]()


def features_base(config: pytest.Config) -> Path:
    return Path(config.rootpath, config.getini("bdd_features_base_dir") or "features")


def is_controller(config: pytest.Config) -> bool:
    """True in the process that hands out tests to xdist workers (not in a run without -n, not in a worker)."""
    return (not hasattr(config, "workerinput") and config.pluginmanager.has_plugin("xdist")
            and bool(getattr(config.option, "numprocesses", None)) and getattr(config.option, "dist", "no") != "no")


def worker_folder(config: pytest.Config) -> Path | None:
    """The run folder the controller named for this worker (None outside an xdist worker)."""
    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    if not workerinput or WORKER_INPUT_KEY not in workerinput:
        return None
    return Path(workerinput[WORKER_INPUT_KEY])


# ---------------------------------------------------------------- the controller's side


def start_run(config: pytest.Config) -> None:
    config.stash[RUN_DIR] = Path(tempfile.mkdtemp(prefix="lawflow-feature-records-"))


def configure_node(config: pytest.Config, workerinput: dict[str, Any]) -> None:
    if RUN_DIR in config.stash:
        workerinput[WORKER_INPUT_KEY] = str(config.stash[RUN_DIR])


def merged(folder: Path) -> coverage.Recorder:
    """The union of the records the workers wrote to `folder`."""
    recorder = coverage.Recorder()
    for path in sorted(folder.glob("*.json")):
        recorder.merge(json.loads(path.read_text(encoding="utf-8")))
    return recorder


def finish_run(session: pytest.Session) -> None:
    """Merge the workers' records: write the feature report, and fail the run if the spec coverage has gaps."""
    folder = session.config.stash.get(RUN_DIR, None)
    if folder is None:
        return
    try:
        recorder = merged(folder)
        if not recorder.collected:
            return  # this run collected no scenario
        write_feature_report(session.config, recorder)
        message = gate(session.config, recorder)
        if message:
            session.config.stash[GATE_MESSAGE] = message
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def gate(config: pytest.Config, recorder: coverage.Recorder) -> str:
    """The spec-coverage verdict on the merged records: '' when it passes or the run was partial (skip)."""
    from workflow.definitions import load_registry

    result = coverage.verdict(recorder, features_base(config), coverage.scenario_modules(), load_registry())
    return result.message if result.outcome == "fail" else ""


def terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    message = config.stash.get(GATE_MESSAGE, "")
    if message:
        terminalreporter.write_sep("=", "spec coverage (union of the xdist workers)", red=True, bold=True)
        terminalreporter.write_line(message)


# ---------------------------------------------------------------- a worker's side


def save_worker_records(config: pytest.Config) -> None:
    folder = worker_folder(config)
    if folder is None:
        return
    worker = str(getattr(config, "workerinput", {}).get("workerid", os.getpid()))
    tmp = folder / f".{worker}.json.tmp"
    tmp.write_text(json.dumps(coverage.RECORDER.dump(), ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, folder / f"{worker}.json")  # the controller never reads half a file


# ---------------------------------------------------------------- the feature report (web/specs.py)


def _commit(root: Path) -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def write_feature_report(config: pytest.Config, recorder: coverage.Recorder) -> None:
    """Write the report of the scenarios this run ran (nothing when it ran none)."""
    ran = {nodeid: r for nodeid, r in recorder.results.items() if r["outcome"]}
    if not ran:
        return
    base = features_base(config)
    files = sorted(base.rglob("*.feature"))
    expected = {(f.filename, name) for f in get_features([str(base)]) for name in f.scenarios}
    results = []
    for nodeid, r in ran.items():
        filename, name, row = recorder.collected[nodeid]
        path = Path(filename)
        results.append({
            "feature": path.relative_to(base).as_posix() if path.is_relative_to(base) else path.name,
            "scenario": name, "example": dict(row), "backend": recorder.backends.get(nodeid, ""),
            "outcome": r["outcome"], "duration": round(r["duration"], 3),
            "procedures": sorted(recorder.exercised.get(nodeid, ())), "message": r["message"],
        })
    results.sort(key=lambda r: (r["feature"], r["scenario"], sorted(r["example"].items()), r["backend"]))
    done = {(recorder.collected[n][0], recorder.collected[n][1]) for n in ran}
    specs.write_report(specs.report_path(), results, files, base, complete=expected <= done,
                       commit=_commit(Path(config.rootpath)))
