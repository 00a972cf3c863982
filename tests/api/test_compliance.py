"""GET /compliance: the figures as `lawflow compliance --json` gives them, for auditors and heads only, and for
the caller's own organisation only. (The figures themselves are tested in tests/test_compliance.py.)"""

from __future__ import annotations

import json
from datetime import date

import pytest

from tests.api.conftest import ENFORCEMENT, is_json_error, other_town
from workflow.procedures.enforcement.compliance import KEYS, compliance_figures

# The API's contract, not the database, is this module's subject: SQLite only (tests/conftest.py, one_database).
pytestmark = pytest.mark.one_database


def _expected(town, start: date, end: date) -> dict:
    with town.sessions() as s:
        report = compliance_figures(s, "houlong", start, end, registry=town.registry, as_of=town.engine.today())
    return json.loads(json.dumps(report.as_dict(), ensure_ascii=False))


def test_the_figures_are_the_clis_json(api_for, town) -> None:
    assert town.engine.create_case("enforcement_case", "wanghai", ENFORCEMENT).ok
    response = api_for("liushen").get("/compliance?from=2026-01-01&to=2026-02-28")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body == _expected(town, date(2026, 1, 1), date(2026, 2, 28))
    assert body["format"] == "lawflow-compliance/1" and body["org"]["id"] == "houlong"
    assert body["period"] == {"start": "2026-01-01", "end": "2026-02-28"} and body["as_of"] == "2026-03-02"
    assert [f["key"] for f in body["figures"]] == list(KEYS)
    # the default period: 1 January of this year to today, as the command line's
    default = api_for("huangzhenhua").get("/compliance?org=houlong")
    assert default.status_code == 200
    assert default.get_json() == _expected(town, date(2026, 1, 1), date(2026, 3, 2))


def test_only_auditors_and_heads_see_the_figures(api_for, town) -> None:
    for user in ("wanghai", "zhangwei", "chenjing", "zhengli", "admin"):  # officer, drafter, counsel, member, admin
        body = is_json_error(api_for(user).get("/compliance"), 403)
        assert body["code"] == "compliance_roles_only", user
        assert body["message_en"].startswith("Only auditors, agency heads and heads")
    for user in ("liushen", "huangzhenhua", "wujianguo"):  # auditor; head and agency head; agency head
        assert api_for(user).get("/compliance").status_code == 200, user


def test_only_the_callers_own_organisation(api_for, town) -> None:
    other_town(town)
    assert is_json_error(api_for("liushen").get("/compliance?org=shanyao"), 403)["code"] == "own_organisation_only"
    assert is_json_error(api_for("liushen").get("/compliance?org=nowhere"), 403)["code"] == "own_organisation_only"
    theirs = api_for("xiaming").get("/compliance")  # their head sees their own town's figures
    assert theirs.status_code == 200 and theirs.get_json()["org"]["id"] == "shanyao"


def test_the_period_is_checked(api_for, town) -> None:
    auditor = api_for("liushen")
    reversed_ = is_json_error(auditor.get("/compliance?from=2026-03-01&to=2026-02-01"), 422)
    assert reversed_["details"]["fields"] == {"query.from": [{"zh": "起始日期晚于截止日期",
                                                              "en": "the first day is after the last day"}]}
    after_today = is_json_error(auditor.get("/compliance?from=2026-04-01"), 422)  # to: today, 2026-03-02
    assert list(after_today["details"]["fields"]) == ["query.from"]
    bad = is_json_error(auditor.get("/compliance?from=2026-13-01"), 422)
    assert bad["details"]["fields"]["query.from"][0]["zh"] == "应为日期（YYYY-MM-DD）"
    assert is_json_error(auditor.get("/compliance?to=9999-12-31"), 422)["code"] == "validation_error"
