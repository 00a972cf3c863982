"""Hooks for the feature scenarios: selection bookkeeping for the spec-coverage gate, its ordering, tags.

* Every collected pytest-bdd scenario item is noted (feature file, scenario title, example row), and so is
  every deselected one (-k, -m, --deselect, --lf, ...) and every failed one, in tests.features.coverage.RECORDER.
* test_zz_spec_coverage.py is moved to the end of the run, whatever order the files were collected in.
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

from tests.features.coverage import RECORDER

GATE_MODULE = "test_zz_spec_coverage.py"
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


def pytest_deselected(items: list[pytest.Item]) -> None:
    RECORDER.deselected.update(item.nodeid for item in items)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.path.name == GATE_MODULE)  # stable: only the gate moves, to the end


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.failed and report.nodeid in RECORDER.collected:
        RECORDER.failed.add(report.nodeid)


def pytest_bdd_apply_tag(tag: str, function: Callable[..., Any]) -> bool | None:
    if tag != KNOWN_GAP_TAG:
        return None
    pytest.mark.xfail(strict=True, reason="已知缺陷：本场景写明法律要求，引擎或程序定义尚未满足")(function)
    return True
