"""A major decision's materials on the case page: the drafter uploads a file through the step's form, everyone
of the town downloads it as stored, another role's upload is refused next to the form."""

from __future__ import annotations

import hashlib
import io

import pytest
from sqlalchemy import func, select

from tests.web.helpers import csrf_from, login, new_case, parse, text, version_from
from web import create_app
from workflow import demo
from workflow.audit.export import verify_database
from workflow.clock import utc_stamp
from workflow.models import AuditEvent, Case

# The page, not the database, is this module's subject: SQLite only (tests/conftest.py, one_database).
pytestmark = pytest.mark.one_database

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n% draft of the decision\n"
MATERIAL = {"material": "draft", "title": "后龙镇生活垃圾分类实施办法（草案）", "format": "pdf",
            "made_on": "2026-03-02", "version_note": "征求意见稿"}


def _post(client, case_id: str, content: bytes, token_page, version: int, name: str = "草案.pdf", **fields):
    form = {"csrf_token": csrf_from(token_page), "expected_version": str(version), **MATERIAL, **fields,
            "file": (io.BytesIO(content), name)}
    return client.post(f"/cases/{case_id}/steps/attach_material", data=form, content_type="multipart/form-data")


def _case(town, case_id: str) -> tuple[int, list[dict], int]:
    with town.sessions() as s:
        case = s.get(Case, case_id)
        events = s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case_id))
        return case.version, list(case.data.get("records", [])), events


def test_the_drafter_uploads_a_draft_and_it_downloads_back_identical(town, client_for):
    case_id = new_case(town)
    drafter = client_for("zhangwei")
    page = drafter.get(f"/cases/{case_id}")
    html = text(page)
    assert 'action="/cases/' + case_id + '/steps/attach_material"' in html
    assert 'enctype="multipart/form-data"' in html and "材料类别" in html and "公布文本" in html
    done = _post(drafter, case_id, PDF, page, int(version_from(page)))
    assert done.status_code == 302, text(done)
    html = text(drafter.get(f"/cases/{case_id}"))
    evidence = parse(html).one('section[aria-labelledby="evidence-title"]')
    assert "决策过程记录和材料" in evidence and "条例第三十三条" in evidence
    markup = evidence.html()
    assert "执法" not in markup and "阶段无记录" not in markup  # no enforcement wording, no per-stage rule
    assert "材料类别" in evidence and "决策草案" in evidence and "成文日期" in evidence
    assert MATERIAL["title"] in evidence and "征求意见稿" in evidence
    assert hashlib.sha256(PDF).hexdigest()[:12] in markup and f"/cases/{case_id}/records/1" in evidence.links()
    assert "上传决策材料" in html  # the case data's section and the history name the step
    download = client_for("chenjing").get(f"/cases/{case_id}/records/1")  # anyone of the town reads it
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf" and "attachment" in download.headers["Content-Disposition"]
    assert download.headers["ETag"] == f'"{hashlib.sha256(PDF).hexdigest()}"'
    _version, records, _events = _case(town, case_id)
    assert [(r["material"], r["kind"], r["stage"], r["recorded_by"]) for r in records] == [
        ("draft", "text", "proposed", "zhangwei")]


def test_a_legal_counsel_or_the_head_may_not_upload_and_is_told_why(town, client_for):
    case_id = new_case(town)
    for username in ("chenjing", "huangzhenhua"):
        client = client_for(username)
        page = client.get(f"/cases/{case_id}")
        assert "steps/attach_material" not in text(page)  # not offered to them
        version, _records, events = _case(town, case_id)
        refused = _post(client, case_id, PDF, page, version)
        assert refused.status_code == 422
        assert "「上传决策材料」须由决策承办人员办理" in text(refused)
        assert "条例第二十六条、第二十九条、第三十三条" in text(refused)
        assert _case(town, case_id) == (version, [], events + 1)  # only the refusal is recorded
    assert not town.records.objects.exists() or not any(p.is_file() for p in town.records.objects.rglob("*"))


def test_a_file_not_of_the_declared_format_is_refused_next_to_the_form(town, client_for):
    case_id = new_case(town)
    drafter = client_for("zhangwei")
    page = drafter.get(f"/cases/{case_id}")
    refused = _post(drafter, case_id, PDF, page, int(version_from(page)), name="草案.docx", format="docx")
    assert refused.status_code == 422
    html = text(refused)
    assert "文件内容为「PDF」，与声明的格式「Word」不符" in html
    assert f'value="{MATERIAL["title"]}"' in html  # the input is kept
    assert _case(town, case_id)[1] == []


def test_the_demo_decision_shows_its_uploaded_materials(runtime):
    """`make run` shows materials: the demo's sewage plan has its consultation draft, explanation and published
    text, each downloadable and verified with the audit trail."""
    demo.seed(runtime)
    with runtime.sessions() as s:
        case = s.scalar(select(Case).where(Case.title.like("后龙镇农村生活污水治理%")))
        case_id, records = case.id, case.data["records"]
    assert [(r["material"], r["stage"]) for r in records] == [
        ("consultation_draft", "drafting"), ("explanation", "drafting"), ("publication", "published")]
    app = create_app(runtime, {"TESTING": True, "SECRET_KEY": "test-secret-key-for-the-web-tests-only"})
    client = app.test_client()
    assert login(client, "zhangwei").status_code == 302
    evidence = parse(client.get(f"/cases/{case_id}")).text('section[aria-labelledby="evidence-title"]')
    assert "征求意见稿" in evidence and "起草说明" in evidence and "公布文本" in evidence
    download = client.get(f"/cases/{case_id}/records/2")
    assert download.status_code == 200 and download.data.startswith(b"%PDF-")
    assert hashlib.sha256(download.data).hexdigest() == records[1]["sha256"]
    report = verify_database(runtime.sessions, runtime.origin, utc_stamp(runtime.clock.now()),
                             records_dir=str(runtime.records.root))
    assert report.ok, report.first_error
