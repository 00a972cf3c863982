"""DOCX drafts (issue 12 item 7): the draft of the advance notice downloads as DOCX with the generated text, its
fields as content controls; a free-text paragraph edited with python-docx and uploaded back replaces that payload
field, the step is taken and the PDF lawflow renders (pdftotext) says the edit; an edit of a field the case
gives (the party) is refused naming it; a free text emptied is judged again by the step (required contents)."""

from __future__ import annotations

import io
import subprocess
from datetime import date
from typing import Any

import docx  # pyproject.toml's python-docx: a dependency, never skipped
import pytest

from tests.test_documents import FILING, NOTICE, _ok, issued, set_codes
from workflow.clock import FixedClock
from workflow.documents import word
from workflow.runtime import Runtime

pytestmark = pytest.mark.one_database

EDIT = "经调查，你（单位）于2026年2月28日在后龙街两侧人行道堆放建材约20立方米，经两次责令仍未清理"


def _investigating(town: Runtime, clock: FixedClock) -> str:
    clock.set_local_date(date(2026, 3, 2))
    case_id = _ok(town.engine.create_case("enforcement_case", "wanghai", FILING)).case_id
    assert case_id is not None
    _ok(town.engine.fire(case_id, "start_investigation", "wanghai", {"officers": ["wanghai", "caiming"]}))
    return case_id


def _edit(data: bytes, field: str, text: str) -> bytes:
    """What an officer does in Word: types over the text of one field's control."""
    from docx.oxml.ns import qn

    document = docx.Document(io.BytesIO(data))
    done = 0
    for sdt in document.element.body.iter(qn("w:sdt")):
        if sdt.find(f"{qn('w:sdtPr')}/{qn('w:tag')}").get(qn("w:val")) == field:
            runs = list(sdt.iter(qn("w:t")))
            runs[0].text = text
            for extra in runs[1:]:
                extra.text = ""
            done += 1
    assert done, f"no control for {field}"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_a_draft_edited_in_word_is_issued_with_the_edit(town: Runtime, clock: FixedClock) -> None:
    set_codes(town, clock, {"enforcement.document_code.penalty_notice": "龙综执告"})
    case_id = _investigating(town, clock)
    data, outcome = word.draft(town.engine, case_id, "notify_intended_penalty", "wanghai", NOTICE)
    assert outcome.ok and data is not None and data[:2] == b"PK"
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
    for part in ("行政处罚事先告知书", "龙综执告〔　　〕　号（草稿，签发时编号）", "人民币贰仟元整（2,000元）",
                 "陈述、申辩的权利"):
        assert part in text, part
    kind, fields = word.read(data)
    assert kind == "enforcement_case/penalty_notice" and fields["facts"] == [NOTICE["facts"]]

    payload, problems, outcome = word.edited_payload(town.engine, case_id, "notify_intended_penalty", "wanghai",
                                                     NOTICE, _edit(data, "facts", EDIT))
    assert outcome.ok and problems == [] and payload == {**NOTICE, "facts": EDIT}
    _ok(town.engine.fire(case_id, "notify_intended_penalty", "wanghai", payload))
    [notice] = issued(town, case_id)
    pdf = subprocess.run(["pdftotext", str(town.records.path_of(notice.sha256)), "-"], capture_output=True,
                         text=True, check=True).stdout
    assert "".join(EDIT.split()) in "".join(pdf.split())


def test_an_edit_of_a_field_the_case_gives_is_refused_naming_it(town: Runtime, clock: FixedClock) -> None:
    set_codes(town, clock, {"enforcement.document_code.penalty_notice": "龙综执告"})
    case_id = _investigating(town, clock)
    data, _ = word.draft(town.engine, case_id, "notify_intended_penalty", "wanghai", NOTICE)
    assert data is not None
    edited = _edit(_edit(data, "party", "李某某（后龙镇后龙村）"), "reasons", "另查明当事人系再次违法")
    payload, problems, _ = word.edited_payload(town.engine, case_id, "notify_intended_penalty", "wanghai", NOTICE,
                                               edited)
    assert payload is None
    assert [(p.zh, p.article) for p in problems] == [
        ("《行政处罚事先告知书》的「当事人」由案件记录生成，不得在草稿中修改", "处罚法第四十四条")]

    emptied: dict[str, Any] | None
    emptied, problems, _ = word.edited_payload(town.engine, case_id, "notify_intended_penalty", "wanghai", NOTICE,
                                               _edit(data, "reasons", "　"))
    assert problems == [] and emptied is not None and emptied["reasons"] == ""
    refused = town.engine.fire(case_id, "notify_intended_penalty", "wanghai", emptied)
    assert not refused.ok and issued(town, case_id) == []
    with pytest.raises(word.Unreadable):
        word.edited_payload(town.engine, case_id, "notify_intended_penalty", "wanghai", NOTICE, b"not a docx")
