"""The 送达回证 (issue 12 item 2) issued by the service step on the engine: numbered by the register into the
step's proof_ref, its contents read back with pdftotext (the decision served and its number, the party, the
method, place, date and servers, the 留置送达 record), the QR code's address under the portal setting; and
without the 代字 the number is still typed, and required (民事诉讼法第八十七条)."""

from __future__ import annotations

import subprocess
from datetime import date

import pytest
from sqlalchemy import select

from tests.test_documents import DECISION, _ok, notified, set_codes
from workflow.audit.export import verify_database
from workflow.clock import FixedClock, utc_stamp
from workflow.models import Case, IssuedDocument
from workflow.runtime import Runtime

pytestmark = pytest.mark.one_database

CODES = {"enforcement.document_code.penalty_decision": "龙综执罚",
         "enforcement.document_code.service_receipt": "龙综执送",
         "documents.public_base_url": "https://houlong.gov.cn/"}
LEFT = {"method": "left_at_residence", "served_on": "2026-03-03", "place": "后龙镇后龙村陈某某住所",
        "servers": "王海、蔡明", "left_record": "当事人拒绝签收，村委会主任林某某到场见证，执法记录仪全程录像"}


def test_the_service_step_issues_the_receipt_with_its_contents(town: Runtime, clock: FixedClock) -> None:
    set_codes(town, clock, CODES)
    case_id = notified(town, clock)
    _ok(town.engine.fire(case_id, "decide_penalty", "huangzhenhua", DECISION))
    clock.set_local_date(date(2026, 3, 3))
    _ok(town.engine.fire(case_id, "serve_decision", "wanghai", LEFT))
    with town.sessions() as session:
        receipt = session.scalar(select(IssuedDocument).where(
            IssuedDocument.case_id == case_id, IssuedDocument.doc_type == "enforcement_case/service_receipt"))
        case = session.get(Case, case_id)
    assert receipt is not None and case is not None
    assert receipt.number == "龙综执送〔2026〕1号" == case.data["service"]["proof_ref"]
    text = subprocess.run(["pdftotext", str(town.records.path_of(receipt.sha256)), "-"], capture_output=True,
                          text=True, check=True).stdout
    flat = "".join(text.split())
    for part in ("送达回证", "龙综执送〔2026〕1号", "行政处罚决定书（龙综执罚〔2026〕1号）", "陈某某，住后龙镇后龙村",
                 "留置送达", "后龙镇后龙村陈某某住所", "2026年3月3日", "王海、蔡明", "村委会主任林某某到场见证",
                 f"文书核验码：{receipt.verify_code}", "核验地址：https://houlong.gov.cn/public/verify/"):
        assert part in flat, part
    # the address ends with the code; where the line wraps it, pdftotext may put its tail beside the printed code
    assert flat.count(receipt.verify_code) == 2, flat
    report = verify_database(town.sessions, town.origin, utc_stamp(clock.now()), registry=town.registry,
                             records_dir=str(town.records.root))
    assert report.ok, report.message


def test_without_the_code_the_receipt_number_is_typed_and_required(town: Runtime, clock: FixedClock) -> None:
    case_id = notified(town, clock)
    _ok(town.engine.fire(case_id, "decide_penalty", "huangzhenhua", {**DECISION, "document_no": "龙综执罚〔2026〕9号"}))
    refused = town.engine.fire(case_id, "serve_decision", "wanghai", {"method": "direct", "served_on": "2026-03-02"})
    assert not refused.ok and any("须填写文号" in r.zh for r in refused.reasons), [r.zh for r in refused.reasons]
    _ok(town.engine.fire(case_id, "serve_decision", "wanghai", {"method": "direct", "served_on": "2026-03-02",
                                                                "proof_ref": "送达回证-001"}))
    with town.sessions() as session:
        assert not list(session.scalars(select(IssuedDocument).where(IssuedDocument.case_id == case_id)))
