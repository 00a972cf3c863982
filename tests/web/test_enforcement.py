"""A penalty case through the browser: the generated forms serve the enforcement definition too."""

from __future__ import annotations

import hashlib
import io
import re

import pytest

from tests.web.helpers import csrf_from, submit_step, text
from workflow.demo import FIELD_STREETS, POWER_STREETS
from workflow.models import Case

# The page, not the database, is this module's subject: SQLite only (tests/conftest.py, one_database).
pytestmark = pytest.mark.one_database

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
    assert case_id.startswith("houlong-EC-")
    assert "指派执法人员开展调查" in text(client.get(f"/cases/{case_id}"))
    refused = submit_step(client, case_id, "start_investigation", {"officers": "wanghai\nhongzhiqiang"})
    assert refused.status_code == 422
    assert "洪志强执法证件（闽QG-2020-0033）已于2026年1月31日过期" in text(refused)
    done = submit_step(client, case_id, "start_investigation", {"officers": "wanghai\ncaiming"})
    assert done.status_code == 302, text(done)
    assert "调查取证" in text(client.get(f"/cases/{case_id}"))


PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
RECORD = {"kind": "text", "title": "询问笔录（陈某某）", "format": "pdf", "made_on": "2026-03-02"}


def _investigating(town) -> str:
    case_id = town.engine.create_case("enforcement_case", "wanghai", FILING).case_id
    assert town.engine.fire(case_id, "start_investigation", "wanghai", {"officers": ["wanghai", "caiming"]}).ok
    return case_id


def _upload(client, case_id: str, content: bytes, name: str = "询问笔录.pdf", **fields):
    page = client.get(f"/cases/{case_id}")
    assert 'enctype="multipart/form-data"' in text(page) and 'type="file"' in text(page)
    from tests.web.helpers import version_from

    form = {"csrf_token": csrf_from(page), "expected_version": version_from(page), **RECORD, **fields,
            "file": (io.BytesIO(content), name)}
    return client.post(f"/cases/{case_id}/steps/attach_record", data=form, content_type="multipart/form-data")


def test_an_officer_uploads_a_record_and_anyone_of_the_town_downloads_it(town, client_for):
    case_id = _investigating(town)
    client = client_for("wanghai")
    done = _upload(client, case_id, PDF)
    assert done.status_code == 302, text(done)
    page = text(client.get(f"/cases/{case_id}"))
    assert "执法全过程记录" in page and "询问笔录（陈某某）" in page and hashlib.sha256(PDF).hexdigest()[:12] in page
    assert "「已立案」阶段无记录" in page  # the completeness report names the gap
    assert "文件SHA-256" in page and "附加时所处阶段" in page and ">sha256<" not in page  # labelled case data
    assert "附加记录" in page  # the history's kind of event
    download = client_for("huangzhenhua").get(f"/cases/{case_id}/records/1")
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf" and "attachment" in download.headers["Content-Disposition"]
    assert client.get(f"/cases/{case_id}/records/9").status_code == 404


def test_a_refused_upload_is_shown_next_to_its_form_and_nothing_is_kept(town, client_for):
    case_id = _investigating(town)
    client = client_for("wanghai")
    mismatch = _upload(client, case_id, b"\x00\x00\x00\x18ftypmp42" + b"\0" * 32, name="video.mp4")
    assert mismatch.status_code == 422
    assert "文件内容为「MP4 视频」，与声明的格式「PDF」不符" in text(mismatch)
    empty = _upload(client, case_id, b"")
    assert empty.status_code == 422 and "上传的文件为空" in text(empty)
    town.records.max_bytes = 1024
    too_big = _upload(client, case_id, PDF + b"\0" * 4096)
    assert too_big.status_code == 422 and "文件超过上传上限" in text(too_big)
    huge = _upload(client, case_id, PDF + b"\0" * (2 * 1024 * 1024))  # past the limit and the form's slack
    assert huge.status_code == 413 and "文件过大" in text(huge) and "Traceback" not in text(huge)
    objects = town.records.objects
    assert not objects.exists() or not any(p.is_file() for p in objects.rglob("*"))
    assert not any(p.is_file() for p in town.records.staging.rglob("*"))


def test_a_penalty_case_from_opening_to_archive_in_the_browser(town, client_for):
    """Every step of an ordinary penalty case through the generated forms, each by the role the law names."""
    officer, head = client_for("wanghai"), client_for("huangzhenhua")
    form_page = officer.get("/cases/new?procedure=enforcement_case")
    opened = officer.post("/cases/new", data={"csrf_token": csrf_from(form_page), "procedure": "enforcement_case",
                                              **FILING})
    case_id = opened.headers["Location"].rsplit("/", 1)[-1]
    day = "2026-03-02"  # the town's fixed clock
    steps = [
        (officer, "start_investigation", {"officers": "wanghai\ncaiming", "plan": "现场勘验、询问当事人"}),
        (officer, "record_investigation_conduct", {"occasion": "现场勘验", "conducted_on": day,
                                                   "certificates_shown": "true", "duties_told": "true"}),
        (officer, "notify_intended_penalty", {
            "penalty_type": "fine", "amount": "2000", "facts": "占道堆放建材约20立方米", "reasons": "违反第十四条",
            "legal_basis": "《城市市容和环境卫生管理条例》第三十六条", "rights_told": "告知陈述、申辩权利",
            "notified_on": day}),
        (officer, "assess_major_case", {"major_public_interest": "false", "major_rights_after_hearing": "false",
                                        "complex": "false"}),
        (head, "decide_penalty", {
            "document_no": "龙综执罚〔2026〕9号", "party": "陈某某，住后龙镇后龙村", "facts_and_evidence": "现场勘验笔录、照片",
            "penalty_type": "fine", "amount": "2000", "legal_basis": "《城市市容和环境卫生管理条例》第三十六条",
            "performance": "十五日内缴纳", "reconsideration_body": "泉州市泉港区人民政府", "reconsideration_days": "60",
            "litigation_months": "6", "decided_on": day, "sealed": "true"}),
        (officer, "serve_decision", {"method": "direct", "served_on": day, "proof_ref": "送达回证-009"}),
        (officer, "publish_decision", {"channel": "portal", "location": "后龙镇人民政府网站", "published_on": day}),
        (officer, "record_execution", {"outcome": "performed", "completed_on": day, "receipt_ref": "缴款书-009"}),
        (head, "close_case", {"summary": "罚款已缴纳，占道物料已清理，案件办结"}),
        (officer, "archive", {"archive_ref": "龙档〔2026〕执-09", "materials": "立案审批表\n询问笔录\n决定书\n送达回证"}),
    ]
    for client, trigger, form in steps:
        if trigger == "decide_penalty":  # a text record of the investigation, uploaded before the decision
            assert _upload(officer, case_id, PDF).status_code == 302
        response = submit_step(client, case_id, trigger, form)
        assert response.status_code == 302, (trigger, text(response)[:2000])
    page = text(officer.get(f"/cases/{case_id}"))
    assert "已归档" in page and "您当前没有可办理的步骤" in page
    with town.sessions() as session:
        from workflow.models import Case

        case = session.get(Case, case_id)
        assert case is not None and case.state == "archived"
        assert case.data["publication"]["timeliness"]["publication_period"]["on_time"]


def test_the_files_format_is_detected_from_its_content_unless_one_is_chosen(town, client_for):
    case_id = _investigating(town)
    client = client_for("wanghai")
    assert "按文件内容自动识别" in text(client.get(f"/cases/{case_id}"))
    done = _upload(client, case_id, PDF, format="")  # left to be detected
    assert done.status_code == 302, text(done)
    with town.sessions() as s:
        [record] = s.get(Case, case_id).data["records"]
    assert record["format"] == "pdf"
    unknown = _upload(client, case_id, b"\x00\x01\x02 no format at all", name="x.bin", format="")
    assert unknown.status_code == 422 and "文件格式" in text(unknown)  # nothing to detect: the field is asked for


def test_the_officers_are_ticked_from_the_towns_officers_and_no_one_else_is_taken(town, client_for):
    case_id = town.engine.create_case("enforcement_case", "wanghai", FILING).case_id
    client = client_for("wanghai")
    page = text(client.get(f"/cases/{case_id}"))
    assert 'type="checkbox" name="officers" value="caiming"' in page and 'value="zhangwei"' not in page
    refused = submit_step(client, case_id, "start_investigation", {"officers": ["wanghai", "zhangwei"]})
    assert refused.status_code == 422 and "应为本单位的执法人员" in text(refused)
    done = submit_step(client, case_id, "start_investigation", {"officers": ["wanghai", "caiming"]})  # two boxes
    assert done.status_code == 302, text(done)


def test_the_field_and_power_are_chosen_from_the_powers_delegated_to_the_town(town, client_for):
    page = text(client_for("wanghai").get("/cases/new?procedure=enforcement_case"))
    assert re.search(r'<select id="new-enforcement_case-power" name="power"', page)
    assert f'<option value="{POWER_STREETS}">' in page and f'<option value="{FIELD_STREETS}">' in page
