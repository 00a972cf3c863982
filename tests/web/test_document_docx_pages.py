"""DOCX drafts on the case page (issue 12 item 7): the step form's button downloads the draft as DOCX; the edited
draft uploaded with the form takes the step, and the issued PDF (rendered by lawflow) says the edit; an edit of a
field the case gives is refused naming it, and nothing is issued."""

from __future__ import annotations

import io
import re
import subprocess

import pytest

from tests.test_document_docx import _edit
from tests.test_documents import DECISION, issued, notified, set_codes
from tests.web.helpers import csrf_from, parse, text
from workflow.runtime import Runtime

pytestmark = pytest.mark.one_database

EDIT = "自收到本决定书之日起十五日内，到泉州市泉港区指定银行网点或者通过电子支付系统缴纳罚款"


def test_the_draft_downloads_as_docx_and_the_edited_draft_takes_the_step(town: Runtime, client_for) -> None:
    set_codes(town, town.clock)  # type: ignore[arg-type]
    case_id = notified(town, town.clock)  # type: ignore[arg-type]
    client = client_for("huangzhenhua")
    page = client.get(f"/cases/{case_id}")
    step = parse(page).one("#step-decide_penalty")
    actions = [b.get("formaction") for b in step.all("button[formaction]")]
    assert f"/cases/{case_id}/documents/preview/decide_penalty/docx" in actions
    assert f"/cases/{case_id}/documents/docx/decide_penalty" in actions
    form = {**{k: str(v) for k, v in DECISION.items() if k != "sealed"}, "sealed": "true",
            "csrf_token": csrf_from(page),
            "expected_version": re.findall(r'name="expected_version" value="(\d+)"', text(page))[0]}
    response = client.post(f"/cases/{case_id}/documents/preview/decide_penalty/docx", data=form)
    assert response.status_code == 200 and response.mimetype.endswith("wordprocessingml.document")
    draft = response.get_data()

    party = _edit(draft, "party", "李某某，住后龙镇后龙村")
    refused = client.post(f"/cases/{case_id}/documents/docx/decide_penalty", content_type="multipart/form-data",
                          data={**form, "draft_docx": (io.BytesIO(party), "决定书.docx")})
    assert refused.status_code == 422 and "「当事人的姓名或者名称、地址」由案件记录生成，不得在草稿中修改" in text(refused)
    assert [d.doc_type for d in issued(town, case_id)] == ["enforcement_case/penalty_notice"]

    edited = _edit(draft, "performance", EDIT)
    done = client.post(f"/cases/{case_id}/documents/docx/decide_penalty", content_type="multipart/form-data",
                       data={**form, "draft_docx": (io.BytesIO(edited), "决定书.docx")})
    assert done.status_code == 302, text(done)[:800]
    decision = issued(town, case_id)[-1]
    assert decision.doc_type == "enforcement_case/penalty_decision"
    pdf = subprocess.run(["pdftotext", str(town.records.path_of(decision.sha256)), "-"], capture_output=True,
                         text=True, check=True).stdout
    assert EDIT in "".join(pdf.split())
