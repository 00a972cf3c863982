"""GET /todo: what awaits whom across the cases the caller may read (issue 17 item 1), the same reading as the
我的待办 page (workflow/todo.py), so that an OA system can sync each person's inbox from it."""

from __future__ import annotations

import pytest

from tests.api.conftest import ENFORCEMENT, START, is_json_error, new_case, other_town
from workflow.models import User
from workflow.todo import todo

pytestmark = pytest.mark.one_database  # the query is the definitions' reading, the same on both databases


def _items(client, **query) -> list[dict]:
    response = client.get("/todo", query_string={"page_size": 100, **query})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def test_a_new_decision_awaits_the_head_and_says_so(api_for, town) -> None:
    case_id = new_case(town)
    items = _items(api_for("zhangwei"))
    (item,) = [i for i in items if i["case"]["case_id"] == case_id]
    (step,) = [s for s in item["steps"] if s["trigger"] == "start"]
    assert step["org"] == "houlong"
    assert step["people"] == [] and [r["name"] for r in step["roles"]] == ["head"]
    assert step["roles"][0]["label"]["zh"]
    assert item["case"]["state"] == "proposed" and item["overdue"] is False


def test_the_filters_keep_one_persons_and_one_roles_steps(api_for, town) -> None:
    case_id = new_case(town)
    drafter = api_for("zhangwei")
    assert case_id in {i["case"]["case_id"] for i in _items(drafter, user="huangzhenhua")}
    assert case_id in {i["case"]["case_id"] for i in _items(drafter, role="head")}
    assert case_id not in {i["case"]["case_id"] for i in _items(drafter, user="zhangwei")}  # not the head
    assert case_id not in {i["case"]["case_id"] for i in _items(drafter, role="legal_counsel")}


def test_a_step_awaiting_named_people_lists_them_by_name(api_for, town) -> None:
    case_id = new_case(town)
    assert town.engine.fire(case_id, "start", "huangzhenhua", START).ok
    items = [i for i in _items(api_for("zhangwei")) if i["case"]["case_id"] == case_id]
    named = [p for i in items for s in i["steps"] for p in s["people"]]
    unnamed = [r["name"] for i in items for s in i["steps"] for r in s["roles"]]
    assert named or unnamed, items  # drafting awaits someone
    for person in named:
        assert person["name"] and person["name"] != person["username"]  # the name the pages show


def test_it_lists_per_person_what_the_todo_page_lists(api_for, town) -> None:
    new_case(town)
    second = new_case(town)
    assert town.engine.fire(second, "start", "huangzhenhua", START).ok
    town.engine.create_case("enforcement_case", "wanghai", ENFORCEMENT)
    admin = api_for("huangzhenhua")
    with town.sessions() as s:
        for user in s.query(User).filter(User.org_id == "houlong", User.active.is_(True)):
            page = todo(s, town.engine.registry, "houlong", user.username, user.role_names, town.engine.today())
            api = _items(admin, user=user.username)
            seen = {i["case"]["case_id"] for i in api}
            assert {i.case_id for i in page} == seen, user.username  # the head reads every case here


def test_a_case_the_caller_may_not_read_is_not_listed(api_for, town) -> None:
    case_id = new_case(town)
    assert case_id not in {i["case"]["case_id"] for i in _items(api_for("wanghai"))}  # an officer: no decisions


def test_a_person_of_another_organisation_is_not_found(api_for, town) -> None:
    other_town(town)
    is_json_error(api_for("zhangwei").get("/todo", query_string={"user": "xiaming"}), 404)
