"""Hooks for the feature scenarios: selection bookkeeping for the spec-coverage gate, its ordering, tags.

* Every collected pytest-bdd scenario item is noted (feature file, scenario title, example row), and so is
  every deselected one (-k, -m, --deselect, --lf, ...) and every failed one, in tests.features.coverage.RECORDER.
* test_zz_spec_coverage.py is moved to the end of the run, whatever order the files were collected in.
* At the end of a run that ran scenarios, their results (per scenario, example row and database, with the
  procedures each drove) are written to the feature report that the procedure pages show: web/specs.py
  says where ($LAWFLOW_FEATURE_REPORT, else <instance>/test-report/features.json) and in what format.
  Under pytest-xdist each worker saves its records instead and the controller merges them
  (tests/features/distributed.py).
* The tag @已知缺陷 marks a scenario stating what the law requires where the engine or a definition does not
  (yet): it is expected to fail (strict xfail), so it turns into a failure once the gap is closed and the tag
  must be removed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pytest_bdd.scenario import scenario_wrapper_template_registry
from pytest_bdd.utils import registry_get_safe

from tests.features import distributed
from tests.features.coverage import GATE_MODULE, RECORDER

KNOWN_GAP_TAG = "已知缺陷"
ScenarioKey = tuple[str, str, tuple[tuple[str, str], ...]]


def scenario_key(item: pytest.Item) -> ScenarioKey | None:
    """(feature file, scenario title, example row) of a pytest-bdd scenario item, else None.

    pytest-bdd keeps the scenario of each generated test function in this registry; its own
    `--generate-missing` code reads it the same way (pytest_bdd/generation.py).
    """
    template = registry_get_safe(scenario_wrapper_template_registry, getattr(item, "obj", None))
    if template is None:
        return None
    callspec = getattr(item, "callspec", None)
    example = callspec.params.get("_pytest_bdd_example", {}) if callspec else {}
    return template.feature.filename, template.name, tuple(sorted(example.items()))


def pytest_sessionstart(session: pytest.Session) -> None:
    RECORDER.reset()


def pytest_collectstart(collector: pytest.Collector) -> None:
    if isinstance(collector, pytest.Module):
        RECORDER.modules.add(str(collector.path))


def pytest_itemcollected(item: pytest.Item) -> None:
    key = scenario_key(item)
    if key is not None:
        RECORDER.collected[item.nodeid] = key
        callspec = getattr(item, "callspec", None)
        RECORDER.backends[item.nodeid] = str(callspec.params.get("database_url", "")) if callspec else ""


def pytest_deselected(items: list[pytest.Item]) -> None:
    RECORDER.deselected.update(item.nodeid for item in items)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.path.name == GATE_MODULE)  # stable: only the gate moves, to the end


def pytest_runtest_logstart(nodeid: str, location: Any) -> None:
    RECORDER.current = nodeid


def pytest_runtest_logfinish(nodeid: str, location: Any) -> None:
    RECORDER.current = None


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.nodeid not in RECORDER.collected:
        return
    if report.failed:
        RECORDER.failed.add(report.nodeid)
    known_gap = hasattr(report, "wasxfail")
    if report.failed:
        outcome = "failed"
    elif report.skipped:
        outcome = "xfailed" if known_gap else "skipped"
    elif report.when == "call":
        outcome = "xpassed" if known_gap else "passed"
    else:
        outcome = ""  # a setup or teardown that passed says nothing
    entry = RECORDER.results.setdefault(report.nodeid, {"outcome": "", "duration": 0.0, "message": ""})
    entry["duration"] += report.duration
    if outcome and (not entry["outcome"] or outcome == "failed"):
        entry["outcome"] = outcome
    if report.failed and not entry["message"]:
        crash = getattr(report.longrepr, "reprcrash", None)
        entry["message"] = (crash.message if crash is not None else str(report.longrepr))[:500]


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Write the feature report of the scenarios this run ran; an xdist worker instead saves its records for the
    controller, which merges them, checks the spec coverage on the union and writes the report
    (tests/features/distributed.py)."""
    if hasattr(session.config, "workerinput"):
        distributed.save_worker_records(session.config)
    elif not distributed.is_controller(session.config):
        distributed.write_feature_report(session.config, RECORDER)


def pytest_bdd_apply_tag(tag: str, function: Callable[..., Any]) -> bool | None:
    if tag != KNOWN_GAP_TAG:
        return None
    pytest.mark.xfail(strict=True, reason="已知缺陷：本场景写明法律要求，引擎或程序定义尚未满足")(function)
    return True
