"""A definition's `figures:` (workflow/figure_specs.py, workflow/figures.py): the facts a report states, counted
from the cases with the records behind each — a malformed block named by file, path and reason; the year read on
the declared date, the step's day, or what is in force at the year's end; sums, filters, items and shares.

Figures are read from the cases' JSON in Python, so the database is not the subject: SQLite only
(tests/conftest.py, one_database).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.web.helpers import new_case
from workflow import accounts
from workflow.db import writing
from workflow.definitions import DEFINITIONS_DIR, DefinitionError, load_file
from workflow.demo import CONTRACT_SETTINGS, MAJOR_CONTRACT_AMOUNT, ORG
from workflow.figure_specs import build
from workflow.figures import compute, declared, figures_of
from workflow.models import Case
from workflow.procedures.contract_review.law import MAJOR_AMOUNT, REVIEW_POINTS
from workflow.runtime import Runtime
from workflow.wording import rounded_down

pytestmark = pytest.mark.one_database


def _case(cid: str, data: dict[str, Any], state: str = "open", opened: str = "2024-03-01") -> Case:
    return Case(id=cid, org_id=ORG, procedure="p", procedure_version=1, title=cid, state=state, data=data,
                created_by="x", created_at=datetime.fromisoformat(opened + "T02:00:00").replace(tzinfo=UTC),
                updated_at=datetime.now(UTC))


def _figures(raw: list[dict[str, Any]], cases: list[Case], year: int = 2024) -> dict[str, Any]:
    return {f.spec.id: f for f in compute(build(raw), "p", cases, year)}


# ---------------------------------------------------------------- counting


def test_a_figure_counts_the_cases_whose_date_falls_in_the_year_and_lists_them() -> None:
    cases = [_case("a", {"activity": {"held_on": "2024-01-01"}}), _case("b", {"activity": {"held_on": "2024-12-31"}}),
             _case("c", {"activity": {"held_on": "2025-01-01"}}), _case("d", {"activity": {"held_on": "2023-12-31"}}),
             _case("e", {})]
    f = _figures([{"id": "n", "label": {"zh": "活动", "en": "a"}, "date": "activity.held_on"}], cases)["n"]
    assert f.value == 2
    assert [r.case_id for r in f.records] == ["a", "b"]


def test_the_first_recorded_of_several_dates_dates_a_case_and_a_standing_list_has_no_year() -> None:
    cases = [_case("agreed", {"agreement": {"on": "2024-03-01"}}),
             _case("ended", {"termination": {"on": "2024-04-01"}}),
             _case("open", {}), _case("last_year", {"agreement": {"on": "2023-12-01"}})]
    raw = [{"id": "closed", "label": {"zh": "调结", "en": "c"}, "date": ["agreement.on", "termination.on"]},
           {"id": "all", "label": {"zh": "全部", "en": "a"}, "undated": True}]
    f = _figures(raw, cases)
    assert [r.case_id for r in f["closed"].records] == ["agreed", "ended"]
    assert f["all"].value == 4


def test_the_opening_day_is_read_in_beijing_time() -> None:
    # 2024-12-31T17:00Z is 2025-01-01 01:00 in Beijing: a case opened then belongs to 2025
    late = _case("late", {})
    late.created_at = datetime(2024, 12, 31, 17, 0, tzinfo=UTC)
    f = _figures([{"id": "n", "label": {"zh": "立案", "en": "o"}, "date": "opened"}], [late, _case("early", {})])["n"]
    assert [r.case_id for r in f.records] == ["early"]


def test_a_sum_adds_up_the_recorded_numbers_of_the_counted_cases() -> None:
    cases = [_case("a", {"d": {"on": "2024-05-01", "amount": "1500.50"}}),
             _case("b", {"d": {"on": "2024-06-01", "amount": "3500"}}),
             _case("c", {"d": {"on": "2023-06-01", "amount": "9999"}})]
    f = _figures([{"id": "s", "label": {"zh": "罚款", "en": "f"}, "date": "d.on", "sum": "d.amount"}], cases)["s"]
    assert f.value == Decimal("5000.50")
    assert [r.case_id for r in f.records] == ["a", "b"]


def test_where_and_states_keep_only_the_matching_cases() -> None:
    cases = [_case("a", {"o": {"on": "2024-05-01", "result": "agreement"}}),
             _case("b", {"o": {"on": "2024-05-01", "result": "terminated"}}),
             _case("c", {"o": {"on": "2024-05-01", "result": "agreement"}}, state="voided")]
    raw = [{"id": "ok", "label": {"zh": "成功", "en": "ok"}, "date": "o.on", "where": {"o.result": ["agreement"]},
            "exclude_states": ["voided"]},
           {"id": "all", "label": {"zh": "办结", "en": "all"}, "date": "o.on", "exclude_states": ["voided"]},
           {"id": "rate", "label": {"zh": "成功率", "en": "rate"}, "ratio": {"of": "ok", "over": "all"}}]
    f = _figures(raw, cases)
    assert (f["ok"].value, f["all"].value, f["rate"].value) == (1, 2, Decimal("50.0"))
    assert [r.case_id for r in f["rate"].records] == ["a", "b"]  # a share links to the records it is a share of


def test_a_share_of_nothing_is_no_figure_not_zero_per_cent() -> None:
    raw = [{"id": "a", "label": {"zh": "a", "en": "a"}, "date": "o.on"},
           {"id": "r", "label": {"zh": "r", "en": "r"}, "ratio": {"of": "a", "over": "a"}}]
    assert _figures(raw, [])["r"].value is None


def test_as_of_counts_what_is_in_force_on_the_last_day_of_the_year() -> None:
    cases = [_case("kept", {"p": {"since": "2021-05-01"}}),
             _case("left_in_year", {"p": {"since": "2021-05-01"}, "leaving": {"left_on": "2024-06-30"}}),
             _case("left_after", {"p": {"since": "2021-05-01"}, "leaving": {"left_on": "2025-02-01"}}),
             _case("joined_after", {"p": {"since": "2025-01-01"}}),
             _case("expired", {"p": {"since": "2021-05-01", "until": "2024-10-01"}})]
    raw = [{"id": "n", "label": {"zh": "在册", "en": "n"},
            "as_of": {"since": "p.since", "until": ["leaving.left_on", "p.until"]}}]
    assert [r.case_id for r in _figures(raw, cases)["n"].records] == ["kept", "left_after"]


def test_items_counts_the_entries_of_a_list_each_named_by_its_place() -> None:
    cases = [_case("r1", {"result": {"published_on": "2024-11-01"},
                          "outcomes": [{"outcome": "retain"}, {"outcome": "repeal"}, {"outcome": "retain_amend"}]}),
             _case("r2", {"result": {"published_on": "2023-11-01"}, "outcomes": [{"outcome": "repeal"}]})]
    raw = [{"id": "cleaned", "label": {"zh": "清理", "en": "c"}, "count": "items", "of": "outcomes",
            "date": "result.published_on", "where": {"outcomes.outcome": ["repeal", "retain_amend"]}}]
    f = _figures(raw, cases)["cleaned"]
    assert f.value == 2
    assert [(r.case_id, r.item) for r in f.records] == [("r1", 1), ("r1", 2)]


@pytest.mark.parametrize(("value", "said"), [(43, "40余"), (10250, "10000余"), (520, "500余"), (40, "40"),
                                              (7, "7"), (100, "100")])
def test_a_count_is_stated_as_a_lower_bound_only_when_it_is_not_round(value: int, said: str) -> None:
    assert rounded_down(value) == said


# ---------------------------------------------------------------- a definition's block, checked on load


def _load_with(tmp_path: Path, figures: Any) -> None:
    data = yaml.safe_load((DEFINITIONS_DIR / "contract_review.v1.yaml").read_text(encoding="utf-8"))
    data["figures"] = figures
    path = tmp_path / "contract_review.v1.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    load_file(path)


@pytest.mark.parametrize(("figure", "path", "reason"), [
    ({"date": "signing.nowhere"}, "figures.0.date", "no step records the field 'nowhere'"),
    ({"date": "contract.amount"}, "figures.0.date", "is a decimal field; a date is needed"),
    ({"date": "nothing.on"}, "figures.0.date", "no step records 'nothing'"),
    ({"date": "signing.signed_on", "sum": "contract.title"}, "figures.0.sum", "a number (integer or decimal) is needed"),
    ({"taken": "teleport"}, "figures.0.taken", "'teleport' is not a step"),
    ({"date": "signing.signed_on", "where": {"contract.kind": ["no_such_kind"]}}, "figures.0.where.contract.kind",
     "'no_such_kind' is not a choice"),
    ({"date": "findings.item"}, "figures.0.date", "'findings' is an appended list"),
    ({"date": "opened", "states": ["limbo"]}, "figures.0.states.0", "undefined state 'limbo'"),
    ({"date": "opened", "taken": "issue_opinion"}, "figures.0", "give exactly one of date"),
    ({"ratio": {"of": "x", "over": "x"}}, "figures.0.ratio.of", "is not another figure"),
])
def test_a_malformed_figure_names_the_file_the_path_and_why(tmp_path: Path, figure: dict[str, Any], path: str,
                                                            reason: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        _load_with(tmp_path, [{"id": "x", "label": {"zh": "x", "en": "x"}, **figure}])
    text = str(caught.value)
    assert "contract_review.v1.yaml" in text and path in text and reason in text, text


def test_every_deployed_definitions_figures_load() -> None:
    declared_ids = {pid: [f.id for f in specs] for pid, specs in declared(_registry()).items()}
    assert "penalty_decisions" in declared_ids["enforcement_case"]
    assert "cleaned" in declared_ids["normative_cleanup"]


def _registry() -> Any:
    from workflow.definitions import load_registry

    return load_registry()


# ---------------------------------------------------------------- from the engine's cases


def test_figures_count_an_organisations_cases_by_their_records_and_their_steps(town: Runtime) -> None:
    engine = town.engine
    with writing(town.sessions) as session:
        for key, value in [*CONTRACT_SETTINGS, (MAJOR_AMOUNT, MAJOR_CONTRACT_AMOUNT)]:
            accounts.set_setting(session, org_id=ORG, key=key, value=value, source="测试：本单位合同合法性审查办法",
                                 by="admin", now=town.clock.now())
    contract = {"contracting_unit": "经济发展办公室", "term": "三年", "kind": "state_assets",
                "administrative_agreement": False, "text": "甲方将农贸市场一层摊位出租给乙方……"}
    reviewed = engine.create_case("contract_review", "lina", {
        **contract, "title": "农贸市场摊位租赁合同", "counterparty": "泉州市某商贸有限公司", "amount": "360000"}).case_id
    waiting = engine.create_case("contract_review", "lina", {
        **contract, "title": "村道保洁服务合同", "counterparty": "后龙镇某保洁服务部", "amount": "80000"}).case_id
    assert reviewed and waiting
    for point in REVIEW_POINTS:
        assert engine.fire(reviewed, "record_review_point", "linzhiyuan", {"item": point, "finding": "符合规定"}).ok
    assert engine.fire(reviewed, "issue_opinion", "linzhiyuan", {"outcome": "approve", "opinion": "同意签订"}).ok

    year = engine.today().year
    with town.sessions() as session:
        figures = {f.spec.id: f for f in figures_of(session, declared(town.registry), [ORG], year)["contract_review"]}
        other_year = figures_of(session, declared(town.registry), [ORG], year - 1)["contract_review"]
        elsewhere = figures_of(session, declared(town.registry), ["another-town"], year)["contract_review"]
    assert [r.case_id for r in figures["submitted"].records] == sorted([reviewed, waiting])
    assert [r.case_id for r in figures["reviewed"].records] == [reviewed]  # the day the opinion step was recorded
    assert figures["signed"].value == 0
    assert all(f.value in (0, None) for f in [*other_year, *elsewhere])


def test_the_command_line_prints_each_figure_with_its_records(town: Runtime, lawflow: Any) -> None:
    first, second = sorted([new_case(town), new_case(town, title="后龙镇农贸市场改造方案")])
    year = town.engine.today().year
    listed = lawflow("figures", "--org", ORG, "--year", str(year), "--json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["major_decision.proposed"] == {"value": "2", "records": [first, second]}
    text = lawflow("figures", "--org", ORG, "--year", str(year))
    assert "启动的重大行政决策事项: 2项" in text.stdout
    unknown = lawflow("figures", "--org", "nowhere")
    assert unknown.returncode != 0 and "nowhere" in unknown.stderr and "Traceback" not in unknown.stderr
