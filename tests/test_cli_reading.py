"""`lawflow case list|show --as USER` reads as that person reads on the web (workflow/case_reading.py, issue 14):
a supervisor of the district lists its towns' cases with an organisation column and may narrow them to one
organisation it reads; a town's person lists only their own town's, and a sibling town's case is "not found" in
the very words of a case that does not exist. On both databases: the list is SQL."""

from __future__ import annotations

import json

from tests.cli import Lawflow
from workflow import accounts
from workflow.db import writing
from workflow.demo import ORG
from workflow.models import Organization
from workflow.runtime import Runtime

PROPOSAL = {"category": "public_policy", "proposer": "leader", "summary": "落实生活垃圾分类要求"}
TOWNS = {ORG: "zhangwei", "fwtown": "fw_drafter"}


def _district(rt: Runtime, password_hash: str) -> dict[str, str]:
    """泉港区 over Houlong and 峰尾镇, a supervisor at the district, a drafter at 峰尾镇; one decision in each town."""
    with writing(rt.sessions) as session:
        accounts.ensure_org(session, "qgdistrict", "泉港区人民政府", "Quangang District").kind = "district"
        accounts.ensure_org(session, "fwtown", "峰尾镇人民政府", "Fengwei Town").kind = "town"
        session.flush()
        session.get(Organization, ORG).parent_id = "qgdistrict"
        session.get(Organization, "fwtown").parent_id = "qgdistrict"
        accounts.create_user(session, username="qg_supervisor", display_name="区监督员", org_id="qgdistrict",
                             roles=["supervisor"], password_hash=password_hash)
        accounts.create_user(session, username="fw_drafter", display_name="峰尾起草人", org_id="fwtown",
                             roles=["drafter"], password_hash=password_hash)
    cases = {}
    for org, drafter in TOWNS.items():
        outcome = rt.engine.create_case("major_decision", drafter, {**PROPOSAL, "title": f"{org}的决策"})
        assert outcome.ok and outcome.case_id, outcome.reasons
        cases[org] = outcome.case_id
    return cases


def test_the_command_line_reads_cases_as_the_person_named(town: Runtime, demo_password_hash: str) -> None:
    cases = _district(town, demo_password_hash)
    lawflow = Lawflow(town)

    town_list = lawflow("case", "list", "--as", "zhangwei")
    assert town_list.returncode == 0
    assert cases[ORG] in town_list.stdout and cases["fwtown"] not in town_list.stdout
    assert "峰尾镇人民政府" not in town_list.stdout  # one organisation: no organisation column

    district = lawflow("case", "list", "--as", "qg_supervisor")
    assert district.returncode == 0
    rows = {line.split()[0]: line for line in district.stdout.splitlines() if line.strip()}
    assert set(rows) == set(cases.values())
    assert "峰尾镇人民政府" in rows[cases["fwtown"]]  # the organisation column

    one = lawflow("case", "list", "--as", "qg_supervisor", "--org", "fwtown")
    assert [line.split()[0] for line in one.stdout.splitlines() if line.strip()] == [cases["fwtown"]]
    outside = lawflow("case", "list", "--as", "zhangwei", "--org", "fwtown")  # a sibling: not theirs to pick
    assert outside.returncode != 0 and "fwtown" in outside.stderr and cases["fwtown"] not in outside.stdout

    sibling = lawflow("case", "show", cases["fwtown"], "--as", "zhangwei")
    missing = lawflow("case", "show", "fwtown-MD-2099-9999", "--as", "zhangwei")
    assert sibling.returncode == missing.returncode != 0 and sibling.stdout == missing.stdout == ""
    assert sibling.stderr.replace(cases["fwtown"], "?") == missing.stderr.replace("fwtown-MD-2099-9999", "?")

    read = lawflow("case", "show", cases["fwtown"], "--as", "qg_supervisor")
    assert read.returncode == 0 and "峰尾镇人民政府" in read.stdout and "只能查阅" in read.stdout
    assert json.loads(read.stdout[read.stdout.index("{"):read.stdout.rindex("}") + 1])["proposal"]["title"] \
        == "fwtown的决策"
    own = lawflow("case", "show", cases[ORG], "--as", "zhangwei")
    assert own.returncode == 0 and "只能查阅" not in own.stdout
