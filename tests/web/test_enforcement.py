"""A penalty case through the browser: the generated forms serve the enforcement definition too."""

from __future__ import annotations

from tests.web.helpers import csrf_from, submit_step, text
from workflow.demo import FIELD_STREETS, POWER_STREETS

FILING = {"title": "陈某某在后龙街两侧堆放建材案", "party": "陈某某（后龙镇后龙村）", "party_type": "individual",
          "facts": "当事人在后龙街两侧人行道堆放建材约20立方米，经责令后未清理。", "field": FIELD_STREETS,
          "power": POWER_STREETS, "legal_basis": "《城市市容和环境卫生管理条例》第三十六条"}


def test_an_officer_opens_a_penalty_case_and_an_expired_certificate_is_named(town, client_for):
    client = client_for("wanghai")
    form_page = client.get("/cases/new?procedure=enforcement_case")
    assert "行政处罚权事项" in text(form_page)
    response = client.post("/cases/new", data={"csrf_token": csrf_from(form_page), "procedure": "enforcement_case",
                                               **FILING})
    assert response.status_code == 302, text(response)
    case_id = response.headers["Location"].rsplit("/", 1)[-1]
    assert case_id.startswith("EC-")
    assert "指派执法人员开展调查" in text(client.get(f"/cases/{case_id}"))
    refused = submit_step(client, case_id, "start_investigation", {"officers": "wanghai\nhongzhiqiang"})
    assert refused.status_code == 422
    assert "洪志强执法证件（闽QG-2020-0033）已于2026-01-31过期" in text(refused)
    done = submit_step(client, case_id, "start_investigation", {"officers": "wanghai\ncaiming"})
    assert done.status_code == 302, text(done)
    assert "调查取证" in text(client.get(f"/cases/{case_id}"))
