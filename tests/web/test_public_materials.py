"""The draft put out for comment can be read from the consultation page (条例第十五条: the draft and its explanation
are published): the kinds of file major_decision.v2 opens to the public (`attachments.public`), shown in the
browser; nothing else of the case's files."""

from __future__ import annotations

import pytest

from tests.web.helpers import new_case, text
from tests.web.test_stage_materials import PDF, _attach

# The pages, not the database, are this module's subject: SQLite only (tests/conftest.py, one_database).
pytestmark = pytest.mark.one_database

COMMENT = {"draft_ref": "征求意见稿", "explanation": "说明", "channels": ["网站"], "period_days": 30}


def test_the_public_opens_the_consultation_draft_and_nothing_else_of_the_case(town, app):
    case_id = new_case(town)
    assert town.engine.fire(case_id, "start", "huangzhenhua", {"lead_unit": "党政综合办公室"}).ok
    _attach(town, case_id, "draft", "内部讨论稿")  # not for the public
    public = app.test_client()
    assert public.get(f"/public/consultations/{case_id}/files/1?org=houlong").status_code == 404  # not consulting
    assert town.engine.fire(case_id, "open_public_comment", "zhangwei", COMMENT).ok
    _attach(town, case_id, "consultation_draft", "后龙镇生活垃圾分类实施办法（征求意见稿）")

    page = text(public.get(f"/public/consultations/{case_id}?org=houlong"))
    assert "后龙镇生活垃圾分类实施办法（征求意见稿）</a>" in page and "内部讨论稿" not in page
    opened = public.get(f"/public/consultations/{case_id}/files/2?org=houlong")
    assert opened.status_code == 200 and opened.mimetype == "application/pdf"
    assert opened.data.startswith(PDF) and opened.headers["Content-Disposition"].startswith("inline")
    assert public.get(f"/public/consultations/{case_id}/files/1?org=houlong").status_code == 404  # the internal draft
    assert public.get(f"/public/consultations/{case_id}/files/9?org=houlong").status_code == 404
