"""Cases through the API: opening one, reading it with its deadlines as data, listing with filters and pages,
and never seeing another organisation's cases."""

from __future__ import annotations

from datetime import date

from tests.api.conftest import ENFORCEMENT, PROPOSAL, START, is_json_error, new_case, other_town
from tests.api.test_contract_review import CONTRACT, set_contract_rules
from workflow.models import Case


def test_a_drafter_opens_a_case_through_the_engine(api_for, town) -> None:
    response = api_for("zhangwei").post("/cases", json={"procedure": "major_decision", "payload": PROPOSAL})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["id"].startswith("houlong-MD-2026-") and body["state"] == "proposed" and body["version"] == 1
    assert body["state_label"] == {"zh": "决策建议", "en": "Proposed"}
    assert body["procedure_label"]["zh"] == "重大行政决策"
    assert body["created_by"] == "zhangwei" and body["created_at"].endswith("+00:00")
    assert body["data"]["proposal"]["title"] == PROPOSAL["title"]
    assert response.headers["Location"] == f"/api/v1/cases/{body['id']}"
    assert response.headers["ETag"] == 'W/"1"'
    with town.sessions() as s:
        assert s.get(Case, body["id"]).created_by == "zhangwei"


def test_opening_refused_by_role_is_403_with_the_reason_and_its_article(api_for, town) -> None:
    response = api_for("chenjing").post("/cases", json={"procedure": "major_decision", "payload": PROPOSAL})
    body = is_json_error(response, 403)
    assert body["code"] == "refused"
    [reason] = body["details"]["reasons"]
    assert reason["code"] == "role_not_allowed" and reason["article"] and reason["field"] is None
    assert "决策承办人员" in reason["zh"] and reason["en"]
    with town.sessions() as s:
        assert s.query(Case).count() == 0


def test_an_invalid_opening_payload_is_422_per_field(api_for) -> None:
    payload = {**PROPOSAL, "category": "no_such_category"}
    del payload["title"]
    body = is_json_error(api_for("zhangwei").post("/cases", json={"procedure": "major_decision",
                                                                  "payload": payload}), 422)
    assert body["code"] == "refused"
    assert {r["field"] for r in body["details"]["reasons"]} == {"title", "category"}
    assert set(body["details"]["fields"]) == {"json.payload.title", "json.payload.category"}
    assert all(r["code"] == "invalid_payload" and r["article"] for r in body["details"]["reasons"])


def test_an_unknown_procedure_is_422_on_its_field(api_for) -> None:
    body = is_json_error(api_for("zhangwei").post("/cases", json={"procedure": "no_such", "payload": {}}), 422)
    assert body["details"]["reasons"][0]["code"] == "unknown_procedure"
    assert "json.procedure" in body["details"]["fields"]


def test_a_malformed_body_is_422_with_per_field_details(api_for) -> None:
    client = api_for("zhangwei")
    for request_body, field in (({}, "json.procedure"), ({"procedure": "Major Decision"}, "json.procedure"),
                                ({"procedure": "major_decision", "payload": []}, "json.payload"),
                                ({"procedure": "major_decision", "extra": 1}, "json.extra")):
        body = is_json_error(client.post("/cases", json=request_body), 422)
        assert body["code"] == "validation_error"
        assert field in body["details"]["fields"], (request_body, body)
        assert all(m["zh"] and m["en"] for m in body["details"]["fields"][field])


def test_a_case_with_its_deadlines_as_data(api_for, town) -> None:
    officer = api_for("wanghai")
    created = officer.post("/cases", json={"procedure": "enforcement_case", "payload": ENFORCEMENT})
    assert created.status_code == 201, created.get_json()
    case_id = created.get_json()["id"]
    town.clock.set_local_date(date(2026, 3, 10))
    body = officer.get(f"/cases/{case_id}").get_json()
    [deadline] = body["deadlines"]
    assert deadline["name"] == "decision_period" and deadline["kind"] == "limit"
    assert deadline["unit"] == "calendar_days" and deadline["n"] == 90
    # 90 days from 2 March end on Sunday 31 May, so on the next working day
    assert deadline["started_on"] == "2026-03-02" and deadline["due"] == "2026-06-01"
    assert deadline["remaining"] == 83 and deadline["status"] == "open" and not deadline["overdue"]
    assert deadline["working_days_left"] == town.engine.calendar.working_days_between(
        date(2026, 3, 10), date(2026, 6, 1))[0]
    assert deadline["provisional"] is False and "第六十条" in deadline["basis"]
    assert deadline["label"]["zh"] and deadline["label"]["en"]
    assert body["next_deadline"] == deadline and body["overdue"] is False
    town.clock.set_local_date(date(2026, 6, 3))
    late = officer.get(f"/cases/{case_id}").get_json()
    assert late["overdue"] is True and late["deadlines"][0]["overdue"] is True
    assert late["deadlines"][0]["remaining"] == -2 and late["deadlines"][0]["status"] == "overdue"


def test_the_list_filters_and_pages(api_for, town) -> None:
    drafter = api_for("zhangwei")
    ids = [new_case(town, title=f"决策事项{i}") for i in range(5)]
    head = api_for("huangzhenhua")
    for case_id in ids[:2]:  # the head starts two of them
        town.clock.advance(minutes=1)
        assert head.fire(case_id, "start", START).status_code == 200
    town.clock.advance(minutes=1)
    assert town.engine.create_case("enforcement_case", "wanghai", ENFORCEMENT).ok

    everything = head.get("/cases").get_json()  # the head sees decisions and (as agency head) penalty cases
    assert everything["total"] == 6 and len(everything["items"]) == 6 and everything["pages"] == 1
    assert everything["items"][0]["id"].startswith("houlong-EC-")  # most recently changed first
    assert drafter.get("/cases").get_json()["total"] == 5  # a drafter does not see penalty cases

    drafting = drafter.get("/cases?state=drafting").get_json()
    assert {c["id"] for c in drafting["items"]} == set(ids[:2]) and drafting["total"] == 2
    assert head.get("/cases?procedure=enforcement_case").get_json()["total"] == 1
    assert drafter.get("/cases?procedure=enforcement_case").get_json()["total"] == 0
    assert drafter.get("/cases?procedure=major_decision&state=proposed").get_json()["total"] == 3

    page2 = drafter.get("/cases?procedure=major_decision&page=2&page_size=2").get_json()
    assert (page2["page"], page2["page_size"], page2["total"], page2["pages"]) == (2, 2, 5, 3)
    assert len(page2["items"]) == 2
    links = page2["links"]
    assert links["self"] == "/api/v1/cases?procedure=major_decision&page=2&page_size=2"
    assert links["prev"].endswith("page=1&page_size=2") and links["next"].endswith("page=3&page_size=2")
    assert links["first"].endswith("page=1&page_size=2") and links["last"].endswith("page=3&page_size=2")
    page3 = drafter.get(links["next"].removeprefix("/api/v1")).get_json()
    assert len(page3["items"]) == 1 and page3["links"]["next"] is None
    seen = [c["id"] for p in (1, 2, 3) for c in drafter.get(
        f"/cases?procedure=major_decision&page={p}&page_size=2").get_json()["items"]]
    assert sorted(seen) == sorted(ids)  # every case once across the pages
    beyond = drafter.get("/cases?page=9&page_size=2").get_json()
    assert beyond["items"] == [] and beyond["links"]["prev"].endswith("page=3&page_size=2")

    town.clock.set_local_date(date(2026, 6, 3))  # the enforcement case's 90-day limit has passed
    overdue = head.get("/cases?overdue=true").get_json()
    assert drafter.get("/cases?overdue=true").get_json()["total"] == 0  # not a case the drafter may see
    assert [c["procedure"] for c in overdue["items"]] == ["enforcement_case"] and overdue["items"][0]["overdue"]
    assert overdue["links"]["self"] == "/api/v1/cases?overdue=true&page=1&page_size=20"
    assert drafter.get("/cases?overdue=false").get_json()["total"] == 5


def test_bad_list_parameters_are_422_on_the_query_field(api_for) -> None:
    client = api_for("zhangwei")
    for query in ("page=0", "page_size=0", "page_size=101", "page=x", "overdue=maybe", "state=Not-A-State"):
        body = is_json_error(client.get(f"/cases?{query}"), 422)
        assert f"query.{query.split('=')[0]}" in body["details"]["fields"], query


def test_another_organisations_case_is_invisible(api_for, town) -> None:
    theirs = other_town(town)
    ours = new_case(town)
    client = api_for("zhangwei")
    assert [c["id"] for c in client.get("/cases").get_json()["items"]] == [ours]
    for path in (f"/cases/{theirs}", f"/cases/{theirs}/transitions", f"/cases/{theirs}/history"):
        body = is_json_error(client.get(path), 404)
        assert body["code"] == "case_not_found"
    assert is_json_error(api_for("huangzhenhua").post(f"/cases/{theirs}/transitions/start", json={
        "payload": START}, headers={"If-Match": 'W/"1"'}), 404)["code"] == "case_not_found"
    # and the other way round: their head sees only their case
    assert [c["id"] for c in api_for("xiaming").get("/cases").get_json()["items"]] == [theirs]
    with town.sessions() as s:
        assert s.get(Case, theirs).state == "proposed"


def test_an_unknown_case_is_404(api_for) -> None:
    body = is_json_error(api_for("zhangwei").get("/cases/houlong-MD-2026-9999"), 404)
    assert body["code"] == "case_not_found" and "houlong-MD-2026-9999" in body["message"]
    is_json_error(api_for("zhangwei").get("/cases/" + "x" * 300), 404)


# ---------------------------------------------------------------- sync: changed since, bulk read, paging by key


def _walk(client, page_size: int, between=None, **query) -> list[str]:
    """Every case number the list gives page after page along links.next (order=case_id); `between(n)` runs
    after the n-th page, as another user's changes would."""
    seen: list[str] = []
    url = f"/cases?order=case_id&page_size={page_size}" + "".join(f"&{k}={v}" for k, v in query.items())
    n = 0
    while url:
        body = client.client.get(url if url.startswith("/api/") else "/api/v1" + url,
                                 headers={"Authorization": f"Bearer {client.token}"}).get_json()
        seen += [c["case_id"] for c in body["items"]]
        url = body["links"]["next"]
        n += 1
        if between:
            between(n)
    return seen


def test_paging_by_case_number_lists_each_case_once_while_cases_change(api_for, town) -> None:
    set_contract_rules(town)
    existing = sorted(new_case(town, title=f"事项{i}") for i in range(7))
    drafter = api_for("zhangwei")

    def meanwhile(page: int) -> None:
        if page == 1:  # cases already read and cases still ahead change, and a case whose number sorts before
            # those read so far (a contract, houlong-CR-…) is opened: page numbers would shift, keys do not
            assert town.engine.fire(existing[0], "start", "huangzhenhua", START).ok
            assert town.engine.fire(existing[-1], "start", "huangzhenhua", START).ok
            assert town.engine.create_case("contract_review", "zhangwei", CONTRACT).ok

    seen = _walk(drafter, 3, meanwhile)
    assert len(seen) == len(set(seen)), seen  # nothing twice
    assert set(existing) <= set(seen)  # nothing that existed throughout is skipped
    assert seen == sorted(seen)


def test_changed_since_lists_only_the_cases_changed_at_or_after_the_time(api_for, town) -> None:
    old = new_case(town)
    town.clock.advance(hours=2)
    mark = town.clock.now()
    changed = new_case(town, title="后来提出的事项")
    head = api_for("huangzhenhua")
    listed = head.get("/cases", query_string={"updated_since": mark.isoformat()}).get_json()["items"]
    assert [c["case_id"] for c in listed] == [changed]
    assert old in [c["case_id"] for c in head.get("/cases").get_json()["items"]]


def test_bulk_read_answers_the_cases_asked_for_that_the_caller_may_read(api_for, town) -> None:
    first, second, third = (new_case(town) for _ in range(3))
    theirs = other_town(town)
    body = api_for("zhangwei").get("/cases", query_string=[("ids", first), ("ids", third), ("ids", theirs),
                                                            ("ids", "houlong-MD-2099-0001")]).get_json()
    assert sorted(c["case_id"] for c in body["items"]) == sorted([first, third])
    assert body["total"] == 2
