"""A case's whole-process record through the API: attaching a record (multipart, If-Match), the engine's
refusals of its file as 413/422, the completeness report, and downloading a file of one's own organisation."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from datetime import timedelta
from typing import Any

from tests.api.conftest import ENFORCEMENT, PROPOSAL, ApiClient, is_json_error, new_case, other_town
from workflow.definitions import DEFINITIONS_DIR, load_registry
from workflow.engine import Engine
from workflow.models import AuditEvent, Case

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\0" * 32
RECORD = {"kind": "text", "title": "询问笔录（陈某某）", "format": "pdf", "made_on": "2026-03-02"}


def enforcement_case(town, actor: str = "wanghai") -> str:
    outcome = town.engine.create_case("enforcement_case", actor, ENFORCEMENT)
    assert outcome.ok and outcome.case_id, outcome.reasons
    return outcome.case_id


def multipart(parts: list[tuple[str, str | None, str | None, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body as curl -F writes it: (name, filename, content type, content) per part."""
    boundary = "------------------------lawflowtest1234"
    out = b""
    for name, filename, content_type, content in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        if content_type:
            out += f"Content-Type: {content_type}\r\n".encode()
        out += b"\r\n" + content + b"\r\n"
    return out + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def upload(client: ApiClient, case_id: str, content: bytes | None = PDF, payload: Any = None,
           version: str | None = None, name: str = "询问笔录.pdf") -> Any:
    """POST /cases/{id}/records as `curl -F 'payload=<json>;type=application/json' -F file=@<name>` sends it;
    If-Match: the case's current ETag unless `version` is given ("": none)."""
    fields = json.dumps(RECORD if payload is None else payload, ensure_ascii=False).encode()
    parts: list[tuple[str, str | None, str | None, bytes]] = [("payload", None, "application/json", fields)]
    if content is not None:
        parts.append(("file", name, "application/octet-stream", content))
    body, content_type = multipart(parts)
    headers = {} if version == "" else {"If-Match": version or client.get(f"/cases/{case_id}").headers["ETag"]}
    return client.post(f"/cases/{case_id}/records", data=body, headers=headers, content_type=content_type)


def _events(town, case_id: str) -> list[AuditEvent]:
    with town.sessions() as s:
        return list(s.query(AuditEvent).filter(AuditEvent.case_id == case_id).order_by(AuditEvent.seq))


def _nothing_kept(town) -> None:
    objects = town.records.objects
    assert not objects.exists() or not any(p.is_file() for p in objects.rglob("*"))
    assert not any(p.is_file() for p in town.records.staging.rglob("*"))


def test_an_officer_attaches_a_record_and_its_bytes_are_kept_under_their_hash(api_for, town) -> None:
    case_id = enforcement_case(town)
    response = upload(api_for("wanghai"), case_id, version='W/"1"')
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    sha = hashlib.sha256(PDF).hexdigest()
    record = body["record"]
    assert (body["case_id"], body["version"]) == (case_id, 2) and response.headers["ETag"] == 'W/"2"'
    assert {k: record[k] for k in ("no", "kind", "title", "format", "size", "sha256", "stage", "media_type")} == {
        "no": 1, "kind": "text", "title": "询问笔录（陈某某）", "format": "pdf", "size": len(PDF), "sha256": sha,
        "stage": "filed", "media_type": "application/pdf"}
    assert record["filename"] == "询问笔录.pdf" and record["file_present"] is True
    assert record["event_seq"] == body["event"]["seq"] == 2 and len(body["event"]["hash"]) == 64
    assert response.headers["Location"] == record["url"] == f"/api/v1/cases/{case_id}/records/1"
    assert town.records.path_of(sha).read_bytes() == PDF
    event = _events(town, case_id)[-1]
    assert (event.seq, event.kind, event.trigger, event.actor) == (2, "record_attached", "attach_record", "wanghai")
    assert json.loads(event.payload)["sha256"] == sha
    with town.sessions() as s:
        assert s.get(Case, case_id).data["records"][0]["sha256"] == sha
    assert not any(p.is_file() for p in town.records.staging.rglob("*"))


def test_if_match_is_required_and_a_stale_version_is_refused(api_for, town) -> None:
    case_id = enforcement_case(town)
    officer = api_for("wanghai")
    missing = is_json_error(upload(officer, case_id, version=""), 428)
    assert missing["code"] == "precondition_required"
    assert len(_events(town, case_id)) == 1  # nothing was attempted
    assert upload(officer, case_id, version='W/"1"').status_code == 201
    stale = upload(officer, case_id, version='W/"1"', content=PDF + b"%%EOF\n")
    body = is_json_error(stale, 409)
    assert [r["code"] for r in body["details"]["reasons"]] == ["stale"] and stale.headers["ETag"] == 'W/"2"'
    assert _events(town, case_id)[-1].kind == "refused"
    assert not town.records.path_of(hashlib.sha256(PDF + b"%%EOF\n").hexdigest()).exists()
    assert is_json_error(upload(officer, case_id, version="seven"), 400)["code"] == "invalid_if_match"


def test_the_file_is_checked_by_the_engine_and_a_refusal_keeps_nothing(api_for, town) -> None:
    case_id = enforcement_case(town)
    officer = api_for("wanghai")
    mismatch = is_json_error(upload(officer, case_id, MP4, name="video.mp4"), 422)
    [reason] = mismatch["details"]["reasons"]
    assert reason["code"] == "record_format_mismatch" and reason["field"] == "format"
    assert reason["article"].startswith("处罚法第四十七条")
    assert "multipart.payload.format" in mismatch["details"]["fields"]
    empty = is_json_error(upload(officer, case_id, b""), 422)
    assert [r["code"] for r in empty["details"]["reasons"]] == ["record_empty"]
    assert list(empty["details"]["fields"]) == ["multipart.file"]
    no_file = is_json_error(upload(officer, case_id, None), 422)
    assert [r["code"] for r in no_file["details"]["reasons"]] == ["record_file_missing"]
    bad_payload = is_json_error(upload(officer, case_id, payload={**RECORD, "format": "exe"}), 422)
    assert "multipart.payload.format" in bad_payload["details"]["fields"]
    events = _events(town, case_id)
    assert [e.kind for e in events] == ["created", "refused", "refused", "refused", "refused"]
    attempt = json.loads(events[1].payload)["attempt"]  # the refused file's hash and size are audited
    assert attempt["file"] == {"name": "video.mp4", "size": len(MP4), "sha256": hashlib.sha256(MP4).hexdigest()}
    _nothing_kept(town)
    with town.sessions() as s:
        assert s.get(Case, case_id).version == 1


def test_the_body_must_be_multipart_with_a_json_payload(api_for, town) -> None:
    case_id = enforcement_case(town)
    officer = api_for("wanghai")
    as_json = officer.post(f"/cases/{case_id}/records", json={"payload": RECORD}, headers={"If-Match": 'W/"1"'})
    assert is_json_error(as_json, 415)["code"] == "unsupported_media_type"
    not_json = is_json_error(officer.post(
        f"/cases/{case_id}/records", data={"payload": "kind=text", "file": (io.BytesIO(PDF), "a.pdf")},
        headers={"If-Match": 'W/"1"'}, content_type="multipart/form-data"), 422)
    assert not_json["code"] == "validation_error"
    assert not_json["details"]["fields"]["multipart.payload"] == [{"zh": "应为 JSON 对象", "en": "must be a JSON object"}]
    # the payload as a file part (curl -F payload=@fields.json) is read too
    as_file = officer.post(f"/cases/{case_id}/records", headers={"If-Match": 'W/"1"'},
                           content_type="multipart/form-data",
                           data={"payload": (io.BytesIO(json.dumps(RECORD).encode()), "fields.json"),
                                 "file": (io.BytesIO(PDF), "a.pdf")})
    assert as_file.status_code == 201, as_file.get_json()


def test_a_file_over_the_limit_is_413(api_for, town) -> None:
    case_id = enforcement_case(town)
    officer = api_for("wanghai")
    town.records.max_bytes = 1024
    too_big = is_json_error(upload(officer, case_id, PDF + b"\0" * 4096), 413)
    assert too_big["code"] == "refused"
    assert [r["code"] for r in too_big["details"]["reasons"]] == ["record_too_large"]
    assert _events(town, case_id)[-1].kind == "refused"  # refused by the engine, and audited
    huge = is_json_error(upload(officer, case_id, PDF + b"\0" * (2 * 1024 * 1024)), 413)  # past the limit + 1 MiB
    assert huge["code"] == "payload_too_large" and "MB" in huge["message_en"]
    assert len(_events(town, case_id)) == 2  # nothing attempted
    _nothing_kept(town)
    # every other request keeps the small default: a 3 MB JSON body is still too large
    other = officer.post("/cases", json={"procedure": "enforcement_case", "payload": {"x": "y" * 3_000_000}})
    assert is_json_error(other, 413)["code"] == "payload_too_large"


def test_only_an_officer_attaches_and_another_organisation_sees_nothing(api_for, town) -> None:
    case_id = enforcement_case(town)
    head = is_json_error(upload(api_for("huangzhenhua"), case_id), 403)
    assert [r["code"] for r in head["details"]["reasons"]] == ["role_not_allowed"]
    assert upload(api_for("wanghai"), case_id).status_code == 201
    other_town(town)
    stranger = api_for("xiaming")
    for path in (f"/cases/{case_id}/records", f"/cases/{case_id}/records/1"):
        assert is_json_error(stranger.get(path), 404)["code"] == "case_not_found"
    assert is_json_error(upload(stranger, case_id, version='W/"2"'), 404)["code"] == "case_not_found"
    assert len(_events(town, case_id)) == 3  # created, the head's refusal, the record


def test_download_with_its_media_type_and_hash_as_etag(api_for, town) -> None:
    case_id = enforcement_case(town)
    assert upload(api_for("wanghai"), case_id).status_code == 201
    head = api_for("huangzhenhua")  # anyone of the town may read it
    response = head.get(f"/cases/{case_id}/records/1")
    sha = hashlib.sha256(PDF).hexdigest()
    assert response.status_code == 200 and response.data == PDF
    assert response.mimetype == "application/pdf" and response.headers["ETag"] == f'"{sha}"'
    assert "attachment" in response.headers["Content-Disposition"]
    assert head.get(f"/cases/{case_id}/records/1", headers={"If-None-Match": f'"{sha}"'}).status_code == 304
    assert is_json_error(head.get(f"/cases/{case_id}/records/9"), 404)["code"] == "record_not_found"
    assert is_json_error(head.get(f"/cases/{case_id}/records/x"), 404)["code"] == "not_found"


def test_the_whole_process_record_as_json(api_for, town) -> None:
    case_id = enforcement_case(town)
    officer = api_for("wanghai")
    empty = officer.get(f"/cases/{case_id}/records")
    assert empty.status_code == 200 and empty.headers["ETag"] == 'W/"1"'
    body = empty.get_json()
    assert body["takes_records"] is True and body["complete"] is False and body["count"] == 0
    assert body["stages_without_records"] == ["filed"] and body["av_acts"] == []
    assert body["basis"].startswith("国办发〔2018〕118号")
    assert upload(officer, case_id).status_code == 201
    assert town.engine.fire(case_id, "start_investigation", "wanghai", {"officers": ["wanghai", "caiming"]}).ok
    seizure_video = {"kind": "av", "title": "查封现场录像", "format": "mp4", "made_on": "2026-03-02",
                     "act": "seal_or_seize_property", "duration_seconds": 600, "device": "执法记录仪-07",
                     "recorder": "caiming"}
    assert upload(officer, case_id, MP4, payload=seizure_video, name="查封.mp4").status_code == 201
    today = town.engine.today()
    assert town.engine.fire(case_id, "seal_or_seize_property", "wanghai", {
        "measure": "seize", "items": ["水泥30包"], "decision_no": "龙综执扣〔2026〕1号",
        "carried_out_on": today.isoformat(), "until": (today + timedelta(days=30)).isoformat(),
        "head_approved": True, "officers_present": ["wanghai", "caiming"], "party_notified": True,
        "on_site_record": True}).ok
    body = officer.get(f"/cases/{case_id}/records").get_json()
    assert body["count"] == 2 and body["complete"] is True and body["stages_without_records"] == []
    filed, investigating = body["stages"]
    assert filed["state"] == "filed" and filed["label"] == {"zh": "已立案", "en": "Case opened"}
    assert (filed["text_count"], filed["av_count"], filed["terminal"]) == (1, 0, False)
    assert [r["no"] for r in filed["records"]] == [1]
    [video] = investigating["records"]
    assert video["kind"] == "av" and video["act"] == "seal_or_seize_property" and video["media_type"] == "video/mp4"
    assert video["act_label"] == {"zh": "实施查封、扣押", "en": "Seal or seize property"}
    assert video["details"] == {"duration_seconds": 600, "device": "执法记录仪-07", "recorder": "caiming"}
    assert video["file_present"] is True and video["url"].endswith("/records/2")
    [act] = body["av_acts"]
    assert act["trigger"] == "seal_or_seize_property" and act["covered"] is True and act["record_nos"] == [2]
    assert act["label"]["en"] == "Seal or seize property" and act["seq"] == 5


def test_a_procedure_without_records_answers_an_empty_report(api_for, town, tmp_path) -> None:
    """A major decision opened under version 1 (which takes no files) stays on it."""
    folder = tmp_path / "v1"
    folder.mkdir()
    shutil.copy(DEFINITIONS_DIR / "major_decision.v1.yaml", folder)
    case_id = Engine(town.sessions, load_registry(folder), town.clock).create_case(
        "major_decision", "zhangwei", PROPOSAL).case_id
    body = api_for("zhangwei").get(f"/cases/{case_id}/records").get_json()
    assert body["takes_records"] is False and body["count"] == 0 and body["av_acts"] == []
    assert body["title"] is None
    refused = is_json_error(upload(api_for("zhangwei"), case_id, payload=MATERIAL), 404)
    assert [r["code"] for r in refused["details"]["reasons"]] == ["unknown_trigger"]


MATERIAL = {"material": "draft", "title": "后龙镇生活垃圾分类实施办法（草案）", "format": "pdf", "made_on": "2026-03-02",
            "version_note": "征求意见稿"}


def test_a_drafter_uploads_a_decision_material_and_it_is_listed_by_its_kind(api_for, town) -> None:
    case_id = new_case(town)
    counsel = is_json_error(upload(api_for("chenjing"), case_id, payload=MATERIAL, name="草案.pdf"), 403)
    assert [r["code"] for r in counsel["details"]["reasons"]] == ["role_not_allowed"]
    assert counsel["details"]["reasons"][0]["article"] == "条例第二十六条、第二十九条、第三十三条"
    response = upload(api_for("zhangwei"), case_id, payload=MATERIAL, name="草案.pdf")
    assert response.status_code == 201, response.get_json()
    record = response.get_json()["record"]
    assert (record["material"], record["material_label"], record["kind"]) == (
        "draft", {"zh": "决策草案", "en": "Draft decision"}, "text")  # the kind of its format
    assert record["details"] == {"version_note": "征求意见稿"} and record["stage"] == "proposed"
    assert _events(town, case_id)[-1].trigger == "attach_material"
    body = api_for("huangzhenhua").get(f"/cases/{case_id}/records").get_json()
    assert body["title"] == {"zh": "决策过程记录和材料", "en": "Decision-making records and materials"}
    assert body["every_stage"] is False and body["complete"] is True and body["stages_without_records"] == []
    assert body["basis"].startswith("条例第三十三条") and body["count"] == 1
    assert [(s["state"], [r["no"] for r in s["records"]]) for s in body["stages"]] == [("proposed", [1])]
    assert api_for("huangzhenhua").get(record["url"].removeprefix("/api/v1")).data == PDF
