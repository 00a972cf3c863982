"""The spec-coverage gate under pytest-xdist: the controller checks the union of what the workers recorded.

Each worker of `pytest -n N` runs a share of the feature scenarios and writes its records to a run folder
(tests/features/distributed.py). These tests build such worker files from the real definitions and check that
the union passes only when it is complete, that one missing guard refusal fails the run naming that guard, and
that a worker's share alone is never taken for the whole.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.features import coverage, distributed
from workflow.definitions import load_registry


def complete_recorders(config: pytest.Config) -> tuple[coverage.Recorder, coverage.Recorder]:
    """Two workers' records whose union exercises every rule and selects every scenario; neither does alone."""
    want = coverage.expected(load_registry())
    scenarios = sorted(coverage.expected_scenarios(distributed.features_base(config)))
    a, b = coverage.Recorder(), coverage.Recorder()
    for worker in (a, b):  # every worker collects every scenario; xdist hands each a share to run
        worker.collected = {f"features::scenario_{i}": key for i, key in enumerate(scenarios)}
        worker.modules = coverage.scenario_modules()
    for i, item in enumerate(sorted(want.transitions)):
        (a if i % 2 else b).transitions.add(item)
    for i, item in enumerate(sorted(want.refusals)):
        (a if i % 2 else b).refusals.add(item)
    for i, item in enumerate(sorted(want.deadlines)):
        (a if i % 2 else b).deadlines.add(item)
    return a, b


def write_workers(folder: Path, *recorders: coverage.Recorder) -> Path:
    folder.mkdir(exist_ok=True)
    for i, recorder in enumerate(recorders):
        (folder / f"gw{i}.json").write_text(json.dumps(recorder.dump(), ensure_ascii=False), encoding="utf-8")
    return folder


def test_the_union_of_the_workers_records_passes_the_gate(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    a, b = complete_recorders(request.config)
    union = distributed.merged(write_workers(tmp_path / "run", a, b))
    assert distributed.gate(request.config, union) == ""


@pytest.mark.parametrize("alone", [0, 1])
def test_one_workers_share_alone_fails_the_gate(request: pytest.FixtureRequest, tmp_path: Path, alone: int) -> None:
    share = complete_recorders(request.config)[alone]
    message = distributed.gate(request.config, distributed.merged(write_workers(tmp_path / "run", share)))
    assert message.startswith("the feature scenarios never exercised:"), message


def test_a_guard_no_worker_saw_refusing_fails_the_run_and_is_named(request: pytest.FixtureRequest,
                                                                   tmp_path: Path) -> None:
    a, b = complete_recorders(request.config)
    ref, trigger, guard = next(r for r in sorted(a.refusals | b.refusals) if not r[2].startswith(
        ("minimum_period:", "separation_of_duties")) and "|" not in r[1])
    a.refusals.discard((ref, trigger, guard))
    b.refusals.discard((ref, trigger, guard))
    folder = write_workers(tmp_path / "run", a, b)
    config = SimpleNamespace(stash=pytest.Stash(), rootpath=request.config.rootpath,
                             getini=request.config.getini)
    config.stash[distributed.RUN_DIR] = folder
    session = SimpleNamespace(config=config, exitstatus=pytest.ExitCode.OK)

    distributed.finish_run(session)  # type: ignore[arg-type]

    assert session.exitstatus == pytest.ExitCode.TESTS_FAILED
    message = config.stash[distributed.GATE_MESSAGE]
    assert f"rule never refused: {ref} {trigger} -> {guard}" in message, message
    assert not folder.exists(), "the run folder is removed at the end of the run"


def test_a_run_that_deselected_scenarios_is_not_judged(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    a, b = complete_recorders(request.config)
    a.transitions.clear()  # incomplete, but the run did not select every scenario: the gate says nothing
    for worker in (a, b):
        worker.deselected = {"features::scenario_0"}
    union = distributed.merged(write_workers(tmp_path / "run", a, b))
    assert coverage.verdict(union, distributed.features_base(request.config), coverage.scenario_modules(),
                            load_registry()).outcome == "skip"
    assert distributed.gate(request.config, union) == ""
