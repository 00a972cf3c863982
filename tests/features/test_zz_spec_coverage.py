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

from tests.features import coverage
from workflow.definitions import load_registry

SCENARIO_LINE = re.compile(r"^\s*(场景大纲|剧本大纲|场景|剧本|Scenario Outline|Scenario|Example)\s*:\s*(.+?)\s*$")


def _features_dir(config: pytest.Config) -> Path:
    base = config.getini("bdd_features_base_dir") or "features"
    return Path(config.rootpath, base)


def test_every_rule_of_every_definition_is_exercised(request: pytest.FixtureRequest) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER") or hasattr(request.config, "workerinput"):
        pytest.skip("distributed run: each worker sees only its share of the scenarios; the controller checks "
                    "the union of what the workers recorded at the end of the run (tests/features/distributed.py)")
    result = coverage.verdict(coverage.RECORDER, _features_dir(request.config), coverage.scenario_modules(),
                              load_registry())
    if result.outcome == "skip":
        pytest.skip(result.message)
    assert result.outcome == "pass", result.message


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
