"""Issued documents (issue 12), on SQLite and PostgreSQL: document types validated on load, required contents
refusing the issuing step, gap-free numbers from the register, the PDF rendered once and fixed by its hash in
the issuing event (both verifiers still pass), its statutory contents read back with pdftotext, and a step that
fails leaving no number and no file."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from workflow import accounts, records_check
from workflow import store as engine_store
from workflow.audit.export import verify_database
from workflow.clock import FixedClock, utc_stamp
from workflow.db import writing
from workflow.definitions import DefinitionError, DefinitionErrors, load_registry
from workflow.demo import ORG
from workflow.documents import numbers, render
from workflow.documents.definitions import DOCUMENTS_DIR, load_documents, load_file
from workflow.engine import Outcome
from workflow.models import AuditEvent, Case, DocumentNumberCounter, IssuedDocument
from workflow.runtime import Runtime

CODES = {"enforcement.document_code.penalty_notice": "龙综执告",
         "enforcement.document_code.penalty_decision": "龙综执罚",
         "major_decision.document_code.decision": "龙政"}
NOTICE = {"penalty_type": "fine", "amount": "2000", "facts": "在后龙街两侧人行道堆放建材约20立方米",
          "reasons": "经责令后仍未清理，影响通行", "legal_basis": "《城市市容和环境卫生管理条例》第三十六条",
          "rights_told": "你（单位）可在收到本告知书之日起三日内提出陈述、申辩", "notified_on": "2026-03-02"}
DECISION = {"party": "陈某某，住后龙镇后龙村", "facts_and_evidence": "现场勘验笔录、询问笔录证实当事人堆放建材",
            "penalty_type": "fine", "amount": "2000", "legal_basis": "《城市市容和环境卫生管理条例》第三十六条",
            "performance": "自收到本决定书之日起十五日内缴纳罚款", "reconsideration_body": "泉州市泉港区人民政府",
            "reconsideration_days": 60, "litigation_months": 6, "decided_on": "2026-03-02", "sealed": True}


def _ok(outcome: Outcome) -> Outcome:
    assert outcome.ok, [r.zh for r in outcome.reasons]
    return outcome


def set_codes(town: Runtime, clock: FixedClock, codes: dict[str, Any] = CODES) -> None:
    with writing(town.sessions) as session:
        for key, value in codes.items():
            accounts.set_setting(session, org_id=ORG, key=key, value=value, source="测试：本镇公文处理办法",
                                 by="admin", now=clock.now())


# The penalty case the documents' tests open: its facts are what the documents' texts are checked for.
FILING = {"title": "陈某某在后龙街两侧堆放建材案", "party": "陈某某（后龙镇后龙村）", "party_type": "individual",
          "facts": "当事人在后龙街两侧人行道堆放建材约20立方米，经责令后未清理。", "field": "市容环境卫生",
          "power": "对在街道两侧和公共场地堆放物料、搭建建筑物或者构筑物的处罚",
          "legal_basis": "《城市市容和环境卫生管理条例》第十四条、第三十六条"}


def notified(town: Runtime, clock: FixedClock, notice: dict[str, Any] | None = None) -> str:
    clock.set_local_date(date(2026, 3, 2))
    case_id = _ok(town.engine.create_case("enforcement_case", "wanghai", FILING)).case_id
    assert case_id is not None
    _ok(town.engine.fire(case_id, "start_investigation", "wanghai", {"officers": ["wanghai", "caiming"]}))
    _ok(town.engine.fire(case_id, "notify_intended_penalty", "wanghai", notice or NOTICE))
    _ok(town.engine.fire(case_id, "assess_major_case", "wanghai", {
        "major_public_interest": False, "major_rights_after_hearing": False, "complex": False}))
    return case_id


def issued(town: Runtime, case_id: str) -> list[IssuedDocument]:
    with town.sessions() as session:
        return list(session.scalars(select(IssuedDocument).where(IssuedDocument.case_id == case_id)
                                    .order_by(IssuedDocument.id)))


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def state(town: Runtime, case_id: str) -> tuple[Any, ...]:
    with town.sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None
        counters = sorted((c.code, c.year, c.last_number) for c in session.scalars(select(DocumentNumberCounter)))
        return case.state, case.version, json.dumps(case.data, sort_keys=True), counters


# ---------------------------------------------------------------- issuing


def test_the_decision_is_numbered_rendered_once_and_fixed_in_its_event(town: Runtime, clock: FixedClock) -> None:
    set_codes(town, clock)
    first = notified(town, clock)
    outcome = _ok(town.engine.fire(first, "decide_penalty", "huangzhenhua", DECISION))
    second = notified(town, clock)
    _ok(town.engine.fire(second, "decide_penalty", "huangzhenhua", DECISION))

    notice, decision = issued(town, first)
    assert (notice.number, decision.number) == ("龙综执告〔2026〕1号", "龙综执罚〔2026〕1号")
    assert [d.number for d in issued(town, second)] == ["龙综执告〔2026〕2号", "龙综执罚〔2026〕2号"]  # no gaps
    with town.sessions() as session:
        case = session.get(Case, first)
        assert case is not None
        assert case.data["decision"]["document_no"] == "龙综执罚〔2026〕1号"  # replayed from the event's payload
        event = session.scalar(select(AuditEvent).where(AuditEvent.case_id == first,
                                                        AuditEvent.seq == outcome.seq))
        assert event is not None and event.facts is not None
    fact = json.loads(event.facts)["documents"][0]
    assert fact["number"] == decision.number and fact["sha256"] == decision.sha256
    assert fact["size"] == decision.size and fact["template"] == "penalty_decision.html@2"
    assert set(fact["fonts"]) == set(render.ROLES) and "Noto" in fact["fonts"]["fangsong"]

    stored = town.records.path_of(decision.sha256)
    assert stored.is_file() and stored.stat().st_size == decision.size
    text = pdf_text(stored)
    for content in ("泉州市泉港区后龙镇人民政府", "行政处罚决定书", "龙综执罚〔2026〕1号", "陈某某，住后龙镇后龙村",
                    "现场勘验笔录", "罚款人民币贰仟元整（2,000元）", "《城市市容和环境卫生管理条例》第三十六条",
                    "十五日内缴纳罚款", "60日内向泉州市泉港区人民政府申请行政复议", "6个月内",
                    "2026年3月2日", decision.verify_code):
        assert content in text.replace(" ", "").replace("\n", ""), content
    notice_text = pdf_text(town.records.path_of(notice.sha256))
    assert "陈述、申辩" in notice_text and "听证" not in notice_text  # this notice grants no hearing

    report = verify_database(town.sessions, town.origin, utc_stamp(clock.now()), registry=town.registry,
                             records_dir=str(town.records.root))
    assert report.ok and report.records_checked == 4, report.message  # the issued PDFs re-hashed too
    store = records_check.check(town.sessions, town.records, min_age=0)
    assert store.clean and not store.orphans and store.named == 4  # every issued PDF is named by its event


def test_a_decision_without_a_required_content_is_refused_and_nothing_is_numbered(
        town: Runtime, clock: FixedClock) -> None:
    set_codes(town, clock)
    case_id = notified(town, clock)
    before = state(town, case_id)
    outcome = town.engine.fire(case_id, "decide_penalty", "huangzhenhua", {**DECISION, "sealed": False})
    assert not outcome.ok
    assert [(r.code, r.article) for r in outcome.reasons] == [
        ("document_content_missing:penalty_decision", "处罚法第五十九条第二款")]
    assert "印章" in outcome.reasons[0].zh
    assert state(town, case_id) == before  # no number was taken, the case is as it was
    assert [d.doc_type for d in issued(town, case_id)] == ["enforcement_case/penalty_notice"]
    check = town.engine.check(case_id, "decide_penalty", "huangzhenhua", {**DECISION, "sealed": False})
    assert [r.code for r in check.reasons] == ["document_content_missing:penalty_decision"]  # fire's own check
    # A fine without its sum no longer gets this far: the payload's required_when refuses it first.
    check = town.engine.check(case_id, "decide_penalty", "huangzhenhua", {**DECISION, "amount": None})
    assert [(r.code, r.field) for r in check.reasons] == [("invalid_payload", "amount")]


def test_a_typed_number_is_refused_once_the_register_numbers(town: Runtime, clock: FixedClock) -> None:
    set_codes(town, clock)
    case_id = notified(town, clock)
    outcome = town.engine.fire(case_id, "decide_penalty", "huangzhenhua", {**DECISION, "document_no": "龙综执罚〔2026〕9号"})
    assert [r.code for r in outcome.reasons] == ["document_number_allocated:penalty_decision"]


def test_without_a_code_nothing_is_issued_and_the_number_is_typed(town: Runtime, clock: FixedClock) -> None:
    case_id = notified(town, clock)
    refused = town.engine.fire(case_id, "decide_penalty", "huangzhenhua", DECISION)
    assert [r.code for r in refused.reasons] == ["document_number_missing:penalty_decision"]
    _ok(town.engine.fire(case_id, "decide_penalty", "huangzhenhua", {**DECISION, "document_no": "龙综执罚〔2026〕9号"}))
    assert issued(town, case_id) == []


def test_a_font_that_is_not_installed_refuses_the_step(town: Runtime, clock: FixedClock) -> None:
    set_codes(town, clock, {**CODES, render.FONTS_SETTING: ["fangsong=FZFangSong-Z02 Missing"]})
    clock.set_local_date(date(2026, 3, 2))
    case_id = _ok(town.engine.create_case("enforcement_case", "wanghai", {
        "title": "陈某某堆放建材案", "party": "陈某某", "party_type": "individual",
        "facts": "当事人在后龙街两侧人行道堆放建材约20立方米。", "field": "市容环境卫生",
        "power": "对在街道两侧和公共场地堆放物料、搭建建筑物或者构筑物的处罚", "legal_basis": "条例"})).case_id
    assert case_id is not None
    _ok(town.engine.fire(case_id, "start_investigation", "wanghai", {"officers": ["wanghai", "caiming"]}))
    outcome = town.engine.fire(case_id, "notify_intended_penalty", "wanghai", NOTICE)
    assert [r.code for r in outcome.reasons] == ["document_font:penalty_notice"]
    assert "FZFangSong-Z02 Missing" in outcome.reasons[0].zh


def test_a_failed_commit_leaves_neither_file_nor_number(town: Runtime, clock: FixedClock,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    set_codes(town, clock)
    case_id = notified(town, clock)
    before = state(town, case_id)
    files = sorted(p for p in town.records.root.rglob("*") if p.is_file())

    def fail(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(engine_store, "save_case", fail)
    with pytest.raises(RuntimeError):
        town.engine.fire(case_id, "decide_penalty", "huangzhenhua", DECISION)
    monkeypatch.undo()
    assert sorted(p for p in town.records.root.rglob("*") if p.is_file()) == files
    assert state(town, case_id) == before


def test_number_format() -> None:
    assert numbers.format_number("龙综执罚", 2026, 3) == "龙综执罚〔2026〕3号"  # 六角括号, no zeros, no 第
    assert render.date_text(date(2026, 12, 7)) == "2026年12月7日"


# ---------------------------------------------------------------- document types as data


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "documents"
    shutil.copytree(DOCUMENTS_DIR, folder)
    return folder


@pytest.mark.parametrize(("old", "new", "path", "reason"), [
    ("issued_by: [decide_penalty]", "issued_by: [decide_fine]", "documents.1.issued_by.0",
     "'decide_fine' is not a step of enforcement_case"),
    ("      performance: payload.performance", "      performance: payload.how_to_pay", "documents.1.fields.performance",
     "'how_to_pay' is not a payload field of decide_penalty"),
    ("      title: case.filing.title\n      party: payload.party", "      title: case.filings.title\n      party: payload.party",
     "documents.1.fields.title", "'filings' is recorded by no step"),
    ("    layout: wenshu\n    issued_by: [decide_penalty]", "    layout: letter\n    issued_by: [decide_penalty]",
     "documents.1.layout", "Must be one of"),
])
def test_an_invalid_document_type_names_file_path_and_reason(tmp_path: Path, old: str, new: str, path: str,
                                                             reason: str) -> None:
    folder = _copy(tmp_path)
    target = folder / "enforcement_case.yaml"
    text = target.read_text(encoding="utf-8")
    assert old in text
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_file(target, load_registry())
    assert caught.value.file == str(target)
    assert any(p == path and reason in r for p, r in caught.value.problems), caught.value.problems


def test_a_template_reading_a_name_the_document_does_not_give_is_refused(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    template = folder / "templates" / "penalty_decision.html"
    template.write_text(template.read_text(encoding="utf-8") + "<p>{{ party_phone }}</p>\n", encoding="utf-8")
    with pytest.raises(DefinitionErrors) as caught:
        load_documents(load_registry(), folder)
    problems = caught.value.errors[0].problems
    assert ("documents.1.template.file", "the template reads 'party_phone', which the document does not provide") \
        in problems


def test_document_types_are_loaded_again_when_a_template_changes(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    first = load_documents(load_registry(), folder)
    assert load_documents(load_registry(), folder) is first  # nothing changed: the same load
    template = folder / "templates" / "penalty_decision.html"
    template.write_text(template.read_text(encoding="utf-8") + "<p>{{ party }}</p>\n", encoding="utf-8")
    changed = load_documents(load_registry(), folder)
    assert changed is not first
    assert changed.get("enforcement_case/penalty_decision").template_text.endswith("<p>{{ party }}</p>\n")


def test_a_voided_number_is_kept_with_its_reason_and_audited(town: Runtime, clock: FixedClock, lawflow) -> None:
    set_codes(town, clock)
    case_id = notified(town, clock)
    _ok(town.engine.fire(case_id, "decide_penalty", "huangzhenhua", DECISION))
    result = lawflow("documents", "void", "龙综执罚〔2026〕1号", "--reason", "文书送达前发现当事人地址有误", "--as", "admin")
    assert result.returncode == 0, result.stderr
    decision = issued(town, case_id)[-1]
    assert decision.voided_at is not None and decision.void_reason == "文书送达前发现当事人地址有误"
    again = lawflow("documents", "void", "龙综执罚〔2026〕1号", "--reason", "再次", "--as", "admin")
    assert again.returncode != 0 and "已" in again.stderr
    with town.sessions() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.trigger == "document_voided"))
        assert event is not None and "龙综执罚〔2026〕1号" in json.loads(event.payload)["number"]
    assert verify_database(town.sessions, town.origin, utc_stamp(clock.now()), registry=town.registry).ok


@pytest.mark.one_database
def test_the_demo_issues_its_decisions_and_the_major_decision_as_a_gongwen(runtime: Runtime) -> None:
    from workflow import demo

    demo.seed(runtime)
    with runtime.sessions() as session:
        rows = list(session.scalars(select(IssuedDocument).order_by(IssuedDocument.id)))
        sewage = session.scalar(select(Case).where(Case.title.like("后龙镇农村生活污水治理%")))
    assert sewage is not None
    gongwen = [r for r in rows if r.doc_type == "major_decision/decision"]
    assert [(r.case_id, r.number) for r in gongwen] == [(sewage.id, f"龙政〔{gongwen[0].year}〕1号")]
    assert sewage.data["publication"]["document_no"] == gongwen[0].number
    text = "".join(pdf_text(runtime.records.path_of(gongwen[0].sha256)).split())
    for part in ("后龙镇人民政府文件", gongwen[0].number, "后龙镇农村生活污水治理三年行动方案", "原则通过《行动方案》",
                 "（此件主动公开）", "—1—"):
        assert part in text, part
    decisions = sorted(r.number for r in rows if r.doc_type == "enforcement_case/penalty_decision")
    assert len(decisions) == 2 and all(n.startswith("龙综执罚〔") for n in decisions)
    receipts = [r for r in rows if r.doc_type == "enforcement_case/service_receipt"]  # both decisions served
    assert [r.serial for r in receipts] == [1, 2] and all(r.number.startswith("龙综执送〔") for r in receipts)
    report = verify_database(runtime.sessions, runtime.origin, utc_stamp(runtime.clock.now()),
                             registry=runtime.registry)
    assert report.ok, report.message
