"""The materials a stage works on are on the pages where it is worked (issue 16 item 2): a decision under legality
review, or in collective discussion, lists its files there, and a stage whose draft is missing says so
(major_decision.v2's `attachments.expects`, workflow/completeness.missing_materials)."""

from __future__ import annotations

import pytest

from tests.web.helpers import new_case, text
from tests.web.test_meetings import convened
from tests.web.test_reviews import under_review
from workflow import accounts
from workflow.db import writing
from workflow.demo import UNITS

# The pages, not the database, are this module's subject: SQLite only (tests/conftest.py, one_database).
pytestmark = pytest.mark.one_database

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n% a draft\n"
MISSING_IN_REVIEW = "「合法性审查」阶段应有的材料尚未上传：决策草案、起草说明。"


def _attach(town, case_id: str, material: str, title: str) -> None:
    outcome = town.engine.fire(case_id, "attach_material", "zhangwei", {
        "material": material, "title": title, "format": "pdf", "made_on": town.engine.today().isoformat()},
        attachment=town.records.stage_bytes(PDF + title.encode(), f"{title}.pdf"))
    assert outcome.ok, outcome.reasons


def test_a_review_without_its_draft_says_so_until_the_draft_and_its_explanation_are_there(town, client_for):
    case_id = under_review(town)
    counsel = client_for("chenjing")
    assert MISSING_IN_REVIEW in text(counsel.get(f"/reviews/{case_id}"))
    assert MISSING_IN_REVIEW in text(counsel.get(f"/cases/{case_id}"))
    _attach(town, case_id, "draft", "后龙镇生活垃圾分类实施办法（送审稿）")
    page = text(counsel.get(f"/reviews/{case_id}"))
    assert "「合法性审查」阶段应有的材料尚未上传：起草说明。" in page
    assert "后龙镇生活垃圾分类实施办法（送审稿）</a>" in page  # the file, to open from the review
    _attach(town, case_id, "explanation", "关于《后龙镇生活垃圾分类实施办法》的起草说明")
    assert "应有的材料尚未上传" not in text(counsel.get(f"/reviews/{case_id}"))


def test_the_meeting_page_lists_the_files_sent_with_the_item(town, client_for):
    case_id = convened(town)
    member = client_for("zhengli")
    assert "「集体讨论」阶段应有的材料尚未上传：决策草案。" in text(member.get(f"/meetings/{case_id}"))
    _attach(town, case_id, "draft", "后龙镇生活垃圾分类实施办法（草案）")
    page = text(member.get(f"/meetings/{case_id}"))
    assert "应有的材料尚未上传" not in page
    assert "后龙镇生活垃圾分类实施办法（草案）</a>" in page
    assert member.get(f"/cases/{case_id}/records/1").status_code == 200  # a member opens it


def test_the_lead_unit_is_chosen_from_the_towns_units_once_the_town_lists_them(town, client_for):
    case_id = new_case(town)
    head = client_for("huangzhenhua")
    assert '<input id="step-start-lead_unit" name="lead_unit" type="text"' in text(head.get(f"/cases/{case_id}"))
    with writing(town.sessions) as session:  # the town's establishment plan, as a setting with its source
        accounts.set_setting(session, org_id="houlong", key="organisation.units", value=list(UNITS),
                             source="后龙镇机构设置方案", by="admin", now=town.clock.now())
    page = text(head.get(f"/cases/{case_id}"))
    assert '<select id="step-start-lead_unit" name="lead_unit"' in page
    assert all(f'<option value="{unit}">{unit}</option>' in page for unit in UNITS)
