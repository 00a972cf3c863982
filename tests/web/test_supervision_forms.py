"""The supervision's step forms (issue 14): the draw offers the supervised town's closed files (the very query of
the guard sample_closed_cases_of_town, options_from: cases_of), draws itself at random with a seed the server
generated, and the engine still judges what is sent; the score form offers the sample's unscored files.
Pages, not the database: SQLite only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.web.helpers import parse, submit_step
from workflow import accounts
from workflow.db import writing
from workflow.demo import ORG, POWER_STREETS
from workflow.models import Case, Organization
from workflow.random_draw import draw
from workflow.runtime import Runtime

pytestmark = pytest.mark.one_database

DISTRICT, SIBLING = "quangang", "fengwei"


def _ok(outcome: Any) -> str:
    assert outcome.ok, [r.zh for r in outcome.reasons]
    return str(outcome.case_id)


def _scene(town: Runtime, password_hash: str) -> tuple[str, list[str], str]:
    """The district above 后龙镇 with its supervisor, three penalty files 后龙镇 closed today and one open, and a
    review of 后龙镇 to sample: (review, closed files, the open file)."""
    with writing(town.sessions) as session:
        district = accounts.ensure_org(session, DISTRICT, "泉州市泉港区人民政府", "Quangang District")
        district.kind = "district"
        home = session.get(Organization, ORG)
        assert home is not None
        home.parent_id = DISTRICT
        session.flush()
        accounts.create_user(session, org_id=DISTRICT, username="qg_supervisor", display_name="庄明辉",
                             roles=["supervisor"], unit="区司法局", password_hash=password_hash)
    engine, closed = town.engine, []
    for i in range(4):
        cid = _ok(engine.create_case("enforcement_case", "wanghai", {
            "title": f"陈某{i}占道堆放建材案", "party": f"陈某{i}", "party_type": "individual",
            "facts": "当事人在后龙街人行道堆放建材，经责令后当日清理", "field": "市容环境卫生", "power": POWER_STREETS,
            "legal_basis": "《城市市容和环境卫生管理条例》第十四条、第三十六条"}))
        if i == 3:
            return _review(town), closed, cid
        _ok(engine.fire(cid, "start_investigation", "wanghai", {"officers": ["wanghai", "caiming"]}))
        _ok(engine.fire(cid, "decide_no_penalty", "huangzhenhua", {
            "ground": "minor_corrected", "reasons": "当事人当日清理完毕，未造成危害后果", "document_no": f"龙综执不罚〔2026〕{i}号"}))
        _ok(engine.fire(cid, "close_case", "huangzhenhua", {"summary": "不予处罚，案件办结"}))
        closed.append(cid)
    raise AssertionError("unreachable")


def _review(town: Runtime) -> str:
    return _ok(town.engine.create_case("enforcement_supervision", "qg_supervisor", {
        "title": "后龙镇行政处罚案卷评查", "town": ORG, "reviewed_procedure": "enforcement_case",
        "year": town.engine.today().year}))


@pytest.fixture
def scene(town: Runtime, demo_password_hash: str) -> tuple[str, list[str], str]:
    return _scene(town, demo_password_hash)


def test_the_engine_offers_what_the_guard_accepts_and_only_to_who_may_draw(
        town: Runtime, scene: tuple[str, list[str], str]) -> None:
    review, closed, _open = scene
    offered = town.engine.case_choices(review, "draw_sample", "qg_supervisor")
    assert [v.id for v in offered["cases_of:sample_closed_cases_of_town"]] == sorted(closed)
    assert town.engine.case_choices(review, "draw_sample", "huangzhenhua") == {}  # the town does not draw
    assert town.engine.case_choices(review, "score_case", "qg_supervisor") == {}  # not the step of this stage


def test_the_draw_form_lists_the_towns_closed_files_and_draws_at_random_itself(
        town: Runtime, app: Flask, client_for: Callable[[str], FlaskClient],
        scene: tuple[str, list[str], str]) -> None:
    review, closed, open_file = scene
    client = client_for("qg_supervisor")
    form = parse(client.get(f"/cases/{review}")).one("#step-draw_sample")
    boxes = [b.get("value") for b in form.all('input[type="checkbox"][name="cases"]')]
    assert boxes == sorted(closed) and open_file not in boxes
    seed = form.one('input[name="seed"]')
    assert seed.get("readonly") is not None and len(seed.get("value") or "") == 16
    assert (form.one('textarea[name="candidates"]').text() or "").split() == sorted(closed)
    assert form.has('input[type="number"][name="cases__draw_count"]')

    # the seed the page showed and a count: the page draws, the engine checks the draw again
    response = submit_step(client, review, "draw_sample", {
        "method": "random", "seed": seed.get("value"), "cases__draw_count": "2", "cases": [closed[0]]})
    assert response.status_code == 302, parse(response).text(".refusal")
    with town.sessions() as session:
        case = session.get(Case, review)
        assert case is not None and case.state == "scoring"
        sample = case.data["sample"]
    assert sample["candidates"] == sorted(closed) and sample["seed"] == seed.get("value")
    assert sample["cases"] == draw(str(seed.get("value")), closed, 2)


def test_a_picked_file_outside_the_town_is_refused_as_before_and_the_ticks_are_kept(
        town: Runtime, app: Flask, client_for: Callable[[str], FlaskClient],
        scene: tuple[str, list[str], str]) -> None:
    review, closed, open_file = scene
    client = client_for("qg_supervisor")
    response = submit_step(client, review, "draw_sample", {
        "method": "picked", "cases": [closed[1], open_file], "seed": "abc", "candidates": "forged"})
    assert response.status_code == 422
    page = parse(response)
    assert f"「{open_file}」尚未办结" in page.text(".refusal")
    ticked = [b.get("value") for b in page.one("#step-draw_sample").all('input[name="cases"]')
              if b.get("checked") is not None]
    assert ticked == [closed[1]]  # the open file is not offered: only the ticked file offered stays ticked
    # a picked sample records neither a seed nor candidates (only a draw does): nothing was recorded at all here
    with town.sessions() as session:
        case = session.get(Case, review)
        assert case is not None and case.state == "sampling" and "sample" not in case.data


def test_the_score_form_asks_each_item_of_the_sheet_and_keeps_the_typed_points_on_a_refusal(
        town: Runtime, app: Flask, client_for: Callable[[str], FlaskClient],
        scene: tuple[str, list[str], str]) -> None:
    review, closed, _open = scene
    _ok(town.engine.fire(review, "draw_sample", "qg_supervisor", {"method": "picked", "cases": closed[:2]}))
    procedure = town.registry.get("enforcement_supervision")
    items = procedure.block("scoring").items
    client = client_for("qg_supervisor")
    form = parse(client.get(f"/cases/{review}")).one("#step-score_case")
    assert [o.get("value") for o in form.all('select[name="case_id"] option')] == ["", *closed[:2]]
    assert [r.text("th") for r in form.rows("table.lines tbody")] == [
        f"{i.label.zh} （满分{i.max}分）{i.checks}" for i in items]

    typed = {f"scores__{i.id}__points": str(i.max) for i in items} | {"scores__evidence__points": "15"}
    response = submit_step(client, review, "score_case", {"case_id": closed[0], **typed})
    assert response.status_code == 422
    page = parse(response)
    assert "扣分未写明理由：证据确凿（15/20分）" in page.text(".refusal")
    kept = page.one("#step-score_case").form_fields("form")
    assert kept["scores__evidence__points"] == "15" and kept["scores__facts__points"] == "15"

    response = submit_step(client, review, "score_case", {
        "case_id": closed[0], **typed, "scores__evidence__reason": "缺少现场照片"})
    assert response.status_code == 302, parse(response).text(".refusal")
    with town.sessions() as session:
        case = session.get(Case, review)
        assert case is not None
        recorded = case.data["scores"][0]
    assert recorded["case_id"] == closed[0]
    assert recorded["scores"] == [f"{i.id}={i.max}" if i.id != "evidence" else "evidence=15 缺少现场照片"
                                  for i in items]
    form = parse(client.get(f"/cases/{review}")).one("#step-score_case")  # the scored file is no longer offered
    assert [o.get("value") for o in form.all('select[name="case_id"] option')] == ["", closed[1]]


def test_the_living_spec_says_the_answer_period_reminds_the_town(client_for: Callable[[str], FlaskClient]) -> None:
    page = parse(client_for("huangzhenhua").get("/procedures/enforcement_supervision/v1")).text()
    assert "届满前提醒上级执法监督人员、被监督单位的行政机关负责人、司法所（法制机构）人员" in page
    assert "逾期次日通知上级执法监督人员、被监督单位的行政机关负责人、司法所（法制机构）人员" in page
