"""The kill harness's short run (bench/kill.py; the long run is in bench/RESULTS.md): a process firing steps,
uploading evidence or signing checkpoints is SIGKILLed at random moments, on SQLite and PostgreSQL; after every
kill the trail verifies (case rows equal to their replay included), nothing acknowledged is missing, and the
records store, once the killed child's staging folder is rolled forward, holds exactly the files the events
name: no orphan, none missing, no half-written file (run_kind counts each as a failure)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bench.kill import KINDS, TIMERS, run_kind
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


TIMER_BUDGET = 5.0  # seconds per database: the suite's share for the worker's kill test


def test_a_killed_timer_worker_loses_no_timer_and_does_none_twice(town: Runtime) -> None:
    """bench/kill_timers.py: the worker, killed at random moments while it catches up months of due timers and
    restarted, ends with every act of each round done exactly once, no system step fired twice, no notice sent
    twice, every acknowledged act recorded, and the trail verifying after every kill."""
    def factory() -> Runtime:
        return replace(town)

    result = run_kind(town, factory, TIMERS, 40, seed=11, window=1.0, budget=TIMER_BUDGET)
    assert result.failures == []
    assert result.trials >= 3, f"only {result.trials} trials ran in {TIMER_BUDGET} s"
    acknowledged = result.acknowledged
    if acknowledged == 0:
        # On a loaded machine a child may do no run within the window: two later kills, after some runs.
        later = run_kind(town, factory, TIMERS, 2, seed=12, window=3.0)
        assert later.failures == []
        acknowledged = later.acknowledged
    assert acknowledged > 0  # the kills came while the worker was doing acts
    # the check would see a notice given twice (it is not blind): copy one and look again
    from sqlalchemy import select

    from bench.kill_timers import duplicates
    from workflow.db import writing
    from workflow.models import Notification

    with writing(town.sessions) as s:
        one = s.scalars(select(Notification).limit(1)).one()
        s.add(Notification(org_id=one.org_id, recipient=one.recipient, case_id=one.case_id, kind=one.kind,
                           deadline=one.deadline, due=one.due, text_zh=one.text_zh, text_en=one.text_en,
                           created_at=one.created_at))
    assert [d for d in duplicates(town) if d.startswith("notice")]
