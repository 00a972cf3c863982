"""Step definitions for features/documents (issued documents: contents, numbers, fixed bytes, verification).

They build on tests/features/steps.py and steps_enforcement.py (the case of the scenario and its steps) and read
what was issued from the issued_document table, the records store and the issuing event's `facts`."""

from __future__ import annotations

import hashlib
import json
import stat
import subprocess
from typing import Any

from pytest_bdd import given, parsers, then, when
from sqlalchemy import select

from tests.features.steps import WHO, Scene, cn_date, outcome_of
from tests.features.steps_enforcement import Enforcement, enf_step, step_table
from workflow import accounts
from workflow.audit.export import verify_database
from workflow.clock import utc_stamp
from workflow.db import writing
from workflow.demo import ORG
from workflow.documents import verification
from workflow.models import AuditEvent, IssuedDocument


def _documents(scene: Scene) -> Any:
    return scene.town.documents


def _issued(scene: Scene) -> list[IssuedDocument]:
    with scene.town.sessions() as session:
        return list(session.scalars(select(IssuedDocument).where(IssuedDocument.case_id == scene.case_id)
                                    .order_by(IssuedDocument.id)))


def _last(scene: Scene) -> IssuedDocument:
    issued = _issued(scene)
    assert issued, "no document was issued in this case"
    return issued[-1]


@given(parsers.re(r'后龙镇人民政府已设置"(?P<label>[^"]+)"的文书代字为"(?P<code>[^"]+)"'))
def document_code(scene: Scene, label: str, code: str) -> None:
    doc = next((d for d in _documents(scene).types if d.label.zh == label), None)
    assert doc is not None, f"no document type 「{label}」"
    with writing(scene.town.sessions) as session:
        accounts.set_setting(session, org_id=ORG, key=doc.code_setting, value=code,
                             source="后龙镇人民政府公文处理办法（发文机关代字）", by="admin", now=scene.clock.now())


@given(parsers.re(WHO + r'办理执法步骤"(?P<step>[^"]+)"被拒绝，其中：'))
def refused_step(enf: Enforcement, who: str, step: str, datatable: list[list[str]]) -> None:
    spec = enf_step(step)
    enf.act(spec.trigger, who, strict=False, **step_table(enf.scene, spec, datatable))
    assert not outcome_of(enf.scene).ok, "the step was allowed"


@then(parsers.re(r'签发《(?P<label>[^》]+)》，文号为"(?P<number>[^"]+)"'))
def issued_with_number(scene: Scene, label: str, number: str) -> None:
    assert outcome_of(scene).ok, "refused: " + "；".join(r.zh for r in outcome_of(scene).reasons)
    doc = _last(scene)
    assert _documents(scene).get(doc.doc_type).label.zh == label, doc.doc_type
    assert doc.number == number, doc.number


@then("签发的文书载明：")
def issued_document_says(scene: Scene, datatable: list[list[str]]) -> None:
    path = scene.town.records.path_of(_last(scene).sha256)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    flat = "".join(text.split())
    for (content,) in datatable[1:]:
        assert content in flat, f"「{content}」 is not in the issued document: {flat[:400]}"


@then(parsers.re(r'案件记录的决定书文号为"(?P<number>[^"]+)"'))
def case_records_number(scene: Scene, number: str) -> None:
    assert scene.case().data["decision"]["document_no"] == number


@then("本案没有签发任何文书")
def nothing_issued(scene: Scene) -> None:
    assert _issued(scene) == []


@then("签发的文书按签发时的字节保存为只读文件，其SHA-256与签发事件所载一致")
def issued_bytes_fixed(scene: Scene) -> None:
    doc = _last(scene)
    path = scene.town.records.path_of(doc.sha256)
    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == doc.sha256 and len(data) == doc.size
    assert not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH), "the stored PDF is writable"
    with scene.town.sessions() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.case_id == doc.case_id,
                                                        AuditEvent.seq == doc.event_seq))
    assert event is not None and event.facts is not None
    facts = json.loads(event.facts)["documents"]
    assert [(f["number"], f["sha256"], f["size"]) for f in facts] == [(doc.number, doc.sha256, doc.size)]


@then("审计记录校验通过")
def trail_verifies(scene: Scene) -> None:
    report = verify_database(scene.town.sessions, scene.town.origin, utc_stamp(scene.clock.now()),
                             registry=scene.town.registry)
    assert report.ok, report.message


class Checked:
    record: verification.PublicRecord | None = None
    same: bool | None = None


@when("公众凭文书上的核验码核验所持的文书原件", target_fixture="checked")
def verify_original(scene: Scene) -> Checked:
    return _verify(scene, _last(scene).verify_code, lambda data: data)


@when("公众凭文书上的核验码核验一份改动过的副本", target_fixture="checked")
def verify_altered(scene: Scene) -> Checked:
    return _verify(scene, _last(scene).verify_code, lambda data: data.replace(b"2000", b"200", 1) + b"\n")


@when("公众以一个不存在的核验码查询", target_fixture="checked")
def verify_unknown(scene: Scene) -> Checked:
    return _verify(scene, "ZZZZZZZZZZ", lambda data: data)


def _verify(scene: Scene, code: str, copy: Any) -> Checked:
    checked = Checked()
    labels = {d.key: d.label.zh for d in _documents(scene).types}
    with scene.town.sessions() as session:
        checked.record = verification.find(session, code.lower(), labels)  # typed in any case
    if checked.record is not None:
        data = scene.town.records.path_of(_last(scene).sha256).read_bytes()
        checked.same = verification.matches(checked.record, [copy(data)])
    return checked


@then("核验结果为一致，显示发文机关、文号、成文日期和哈希，不显示当事人")
def verified_same(scene: Scene, checked: Checked) -> None:
    doc = _last(scene)
    record = checked.record
    assert record is not None and checked.same is True
    assert (record.issuer, record.number, record.issued_on, record.sha256) == (
        "泉州市泉港区后龙镇人民政府", doc.number, doc.issued_on, doc.sha256)
    assert "陈某某" not in json.dumps(record.__dict__, default=str, ensure_ascii=False)


@then("核验结果为不一致")
def verified_different(checked: Checked) -> None:
    assert checked.record is not None and checked.same is False


@then("核验结果为查无此文书")
def verified_unknown(checked: Checked) -> None:
    assert checked.record is None and checked.same is None


@then(parsers.re(r'案件记录的送达日期为(?P<day>\d{4}年\d{1,2}月\d{1,2}日)'))
def case_records_service_date(scene: Scene, day: str) -> None:
    assert outcome_of(scene).ok, "refused: " + "；".join(r.zh for r in outcome_of(scene).reasons)
    assert scene.case().data["service"]["served_on"] == cn_date(day).isoformat()
