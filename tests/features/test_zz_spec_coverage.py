"""Spec-coverage gate: the feature scenarios must exercise every rule of every procedure definition.

Runs after the scenarios (tests/features/conftest.py moves this module to the end) and fails, listing what is
missing, when any transition of any definition in definitions/ was never fired successfully from each of its
source states, any guard of any transition was never seen refusing, any separation-of-duties rule or minimum
period never refused, or any deadline never started (see tests/features/coverage.py).

It skips, rather than passing vacuously, when this run did not select every scenario of every feature file
(-k, -m, --deselect, --lf, or only some test files given). A feature file that no test module binds fails.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from pytest_bdd.feature import get_features

from tests.features import coverage
from tests.features.conftest import ScenarioKey
from workflow.definitions import load_registry

HERE = Path(__file__).resolve().parent
SCENARIO_LINE = re.compile(r"^\s*(场景大纲|剧本大纲|场景|剧本|Scenario Outline|Scenario|Example)\s*:\s*(.+?)\s*$")


def _features_dir(config: pytest.Config) -> Path:
    base = config.getini("bdd_features_base_dir") or "features"
    return Path(config.rootpath, base)


def _feature_files(config: pytest.Config) -> list[Path]:
    return sorted(_features_dir(config).rglob("*.feature"))


def _expected_scenarios(config: pytest.Config) -> set[ScenarioKey]:
    keys: set[ScenarioKey] = set()
    for feature in get_features([str(_features_dir(config))]):
        for name, template in feature.scenarios.items():
            rows = [tuple(sorted(ctx.items())) for ex in template.examples for ctx in ex.as_contexts()] or [()]
            keys.update((feature.filename, name, row) for row in rows)
    return keys


def _scenario_modules() -> set[str]:
    return {str(p) for p in HERE.glob("test_*.py") if p.name != Path(__file__).name}


def test_every_rule_of_every_definition_is_exercised(request: pytest.FixtureRequest) -> None:
    recorder = coverage.RECORDER
    if os.environ.get("PYTEST_XDIST_WORKER") or hasattr(request.config, "workerinput"):
        pytest.skip("distributed run: each worker sees only its share of the scenarios")
    expected = _expected_scenarios(request.config)
    collected = set(recorder.collected.values())
    selected = {key for nodeid, key in recorder.collected.items() if nodeid not in recorder.deselected}
    uncollected_modules = _scenario_modules() - recorder.modules
    if uncollected_modules:
        pytest.skip("spec coverage needs the whole features run; not collected: "
                    + ", ".join(sorted(Path(m).name for m in uncollected_modules)))
    unbound = expected - collected
    assert not unbound, "feature scenarios that no test module binds (add a scenarios() call):\n" + coverage.describe(
        sorted(f"{Path(f).name}: {name} {dict(row) if row else ''}" for f, name, row in unbound))
    if expected - selected:
        pytest.skip(f"spec coverage needs every scenario; {len(expected - selected)} of {len(expected)} "
                    "were not selected in this run (-k/-m/--deselect/--lf)")
    missing = coverage.missing(load_registry())
    note = ""
    if recorder.failed:
        note = f"\n({len(recorder.failed)} scenario tests failed in this run; some gaps may follow from them)"
    assert not missing, "the feature scenarios never exercised:\n" + coverage.describe(missing) + note


@pytest.mark.parametrize("path", [pytest.param(p, id=p.name) for p in sorted(
    Path(__file__).resolve().parents[2].joinpath("features").rglob("*.feature"))])
def test_feature_file_is_well_formed(path: Path) -> None:
    """Chinese Gherkin, and scenario titles unique within a file (pytest-bdd keys scenarios by title and would
    silently drop a duplicate)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines and lines[0].strip() == "# language: zh-CN", f"{path.name}: the first line must be # language: zh-CN"
    titles = [m.group(2) for line in lines if (m := SCENARIO_LINE.match(line))]
    duplicates = sorted({t for t in titles if titles.count(t) > 1})
    assert not duplicates, f"{path.name}: duplicate scenario titles {duplicates}"
