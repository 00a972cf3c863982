"""The kill harness's short run (bench/kill.py; the long run is in bench/RESULTS.md): a process firing steps,
uploading evidence or signing checkpoints is SIGKILLed at random moments, on SQLite and PostgreSQL; after every
kill the trail verifies (case rows equal to their replay included), nothing acknowledged is missing, and the
records store, once the killed child's staging folder is rolled forward, holds exactly the files the events
name: no orphan, none missing, no half-written file (run_kind counts each as a failure)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bench.kill import KINDS, run_kind
from workflow.audit import signing
from workflow.runtime import Runtime

TRIALS = 10
BUDGET = 9.0  # seconds per kind and database: the suite's share; fewer trials run on a loaded machine


@pytest.mark.parametrize("kind", KINDS)
def test_a_killed_process_loses_nothing_acknowledged_and_leaves_nothing_half_written(town: Runtime, kind: str) -> None:
    signing.generate_key_file(town.key_path)

    def factory() -> Runtime:  # a fresh Runtime in the child: nothing of the parent's connections is shared
        return replace(town)

    result = run_kind(town, factory, kind, TRIALS, seed=15, window=0.3, budget=BUDGET)
    assert result.failures == []
    assert (result.orphans, result.temporary, result.missing) == (0, 0, 0)
    assert result.trials >= 3, f"only {result.trials} trials ran in {BUDGET} s"
    acknowledged = result.acknowledged
    if acknowledged == 0:
        # On a loaded machine no unit may finish within 0.3 s of the child's start (a checkpoint signs and
        # writes several rows): a few more kills, later in the work, so that some come after acknowledgements.
        later = run_kind(town, factory, kind, 3, seed=16, window=3.0, budget=BUDGET)
        assert later.failures == []
        assert (later.orphans, later.temporary, later.missing) == (0, 0, 0)
        acknowledged = later.acknowledged
    assert acknowledged > 0  # the kills came while work was being acknowledged, not before it began
