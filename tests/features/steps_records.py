"""Step definitions for features/enforcement/06_执法全过程记录.feature: evidence files attached to a case.

A record's file is made here from a short description (文件内容: PDF, MP4视频, 空文件, 3 MB的MP4视频, 不上传) and
received through the records store inside the attempt, as the web and the CLI receive an upload.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from pytest_bdd import given, parsers, then, when

from tests.features.steps import WHO, Scene, action, outcome_of
from tests.features.steps_enforcement import ENF, STATES, Enforcement, enf_step, step_table
from workflow import accounts
from workflow.audit.export import verify_database
from workflow.audit.verifier import Report
from workflow.clock import utc_stamp
from workflow.completeness import completeness
from workflow.db import writing
from workflow.demo import ORG
from workflow.models import AuditEvent, Case

ATTACH = enf_step("附加执法记录（文字或音像）")
ACTS = {label.zh: value for value, label in next(f for f in ATTACH.payload if f.name == "act").choices}
HEADS = {"PDF": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "MP4视频": b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"}
AV_DEFAULTS = {"kind": "av", "format": "mp4", "duration_seconds": 754, "device": "执法记录仪 HL-03",
               "recorder": "wanghai"}


@dataclass
class Records:
    files: dict[str, bytes] = field(default_factory=dict)  # title -> content attached (or attempted)
    report: Report | None = None


def _records(enf: Enforcement) -> Records:
    if not hasattr(enf, "records_state"):
        enf.records_state = Records()  # type: ignore[attr-defined]
    return enf.records_state  # type: ignore[attr-defined, no-any-return]


def file_content(description: str, title: str) -> bytes | None:
    """The bytes of a file described in a scenario; None for 不上传 (no file at all)."""
    if description == "不上传":
        return None
    if description == "空文件":
        return b""
    match = re.fullmatch(r"(?:(?P<mb>\d+) MB的)?(?P<what>PDF|MP4视频)", description)
    assert match, f"unknown file description 「{description}」"
    body = HEADS[match["what"]] + f"{title}\n".encode()
    if match["mb"]:
        body += b"\0" * (int(match["mb"]) * 1024**2)
    return body


def _attach(enf: Enforcement, who: str, strict: bool, changes: dict[str, Any], content: bytes | None) -> None:
    payload = enf.payload("attach_record", **changes)
    _records(enf).files[payload["title"]] = content or b""
    store = enf.scene.town.records
    stage = (lambda: store.stage_bytes(content, filename=f"{payload['title']}.bin")) if content is not None else None
    enf.scene.case_id = enf.case_id
    enf.scene.fire("attach_record", who, payload, strict=strict, stage_file=stage)


def _split_table(datatable: list[list[str]] | None) -> tuple[list[list[str]], str | None]:
    rows = datatable or [["字段", "值"]]
    content = next((value for label, value in rows[1:] if label == "文件内容"), None)
    return [rows[0], *[r for r in rows[1:] if r[0] != "文件内容"]], content


def _kind_defaults(kind: str, title: str, act: str | None) -> dict[str, Any]:
    changes: dict[str, Any] = {"title": title, **(AV_DEFAULTS if kind == "音像" else {})}
    if act:
        assert act in ACTS, f"「{act}」 is not an act a record may document: {sorted(ACTS)}"
        changes["act"] = ACTS[act]
    return changes


# ================================================================ Given


@given(parsers.re(r"记录文件的上传上限为(?P<mb>\d+) MB"))
def upload_limit(enf: Enforcement, mb: str) -> None:
    enf.scene.town.records.max_bytes = int(mb) * 1024**2


@given(parsers.re(r'后龙镇依据"(?P<source>[^"]+)"将"(?P<act>[^"]+)"列入须全程音像记录的执法行为'))
def own_av_list(enf: Enforcement, source: str, act: str) -> None:
    with writing(enf.scene.town.sessions) as session:
        accounts.set_setting(session, org_id=ORG, key="enforcement.mandatory_av_acts", value=[ACTS[act]],
                             source=source, by="admin", now=enf.scene.clock.now())


@given(parsers.re(r'记录文件"(?P<title>[^"]+)"被改动'))
def file_altered(enf: Enforcement, title: str) -> None:
    content = _records(enf).files[title]
    path = enf.scene.town.records.path_of(hashlib.sha256(content).hexdigest())
    path.chmod(0o644)
    path.write_bytes(content[:-1] + bytes([content[-1] ^ 1]))  # same size: only re-hashing can tell


# ================================================================ actions


_ONE = WHO + r'附加一份"(?P<title>[^"]+)"(?P<kind>文字|音像)记录(?:，记录"(?P<act>[^"]+)")?'


def _attach_one(enf: Enforcement, who: str, kind: str, title: str, act: str | None, same: str | None,
                rows: list[list[str]] | None, strict: bool) -> None:
    rows, description = _split_table(rows)
    changes = _kind_defaults(kind, title, act) | step_table(enf.scene, ATTACH, rows)
    if same is not None:
        content: bytes | None = _records(enf).files[same]
    else:
        content = file_content(description or ("MP4视频" if kind == "音像" else "PDF"), title)
    _attach(enf, who, strict, changes, content)


@action(_ONE + r'(?:，文件内容与"(?P<same>[^"]+)"相同)?')
def attach_record(enf: Enforcement, who: str, kind: str, title: str, act: str | None, same: str | None,
                  strict: bool) -> None:
    _attach_one(enf, who, kind, title, act, same, None, strict)


@action(_ONE + "，其中：")
def attach_record_with(enf: Enforcement, who: str, kind: str, title: str, act: str | None,
                       datatable: list[list[str]], strict: bool) -> None:
    _attach_one(enf, who, kind, title, act, None, datatable, strict)


@action(WHO + r"附加执法记录，其中：")
def attach_record_by_table(enf: Enforcement, who: str, datatable: list[list[str]], strict: bool) -> None:
    rows, description = _split_table(datatable)
    changes = step_table(enf.scene, ATTACH, rows)
    kind = "音像" if changes.get("kind") == "av" else "文字"
    _attach(enf, who, strict, changes, file_content(description or ("MP4视频" if kind == "音像" else "PDF"),
                                                str(changes.get("title", ""))))


@when("审计人员校验审计记录和记录文件")
def auditor_verifies(enf: Enforcement) -> None:
    town = enf.scene.town
    _records(enf).report = verify_database(town.sessions, town.origin, utc_stamp(enf.scene.clock.now()),
                                           records_dir=str(town.records.root))


# ================================================================ Then


def last_event(scene: Scene) -> AuditEvent:
    from sqlalchemy import select

    with scene.town.sessions() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.case_id == scene.case_id)
                               .order_by(AuditEvent.seq.desc()).limit(1))
        assert event is not None
        session.expunge(event)
        return event


@then("记录已按内容哈希保存，审计事件载明其哈希和大小")
def stored_by_hash(enf: Enforcement) -> None:
    import json

    outcome = outcome_of(enf.scene)
    assert outcome.ok, "refused: " + "；".join(r.text() for r in outcome.reasons)
    event = last_event(enf.scene)
    payload = json.loads(event.payload)
    content = _records(enf).files[payload["title"]]
    assert event.kind == "record_attached"
    assert (payload["sha256"], payload["size"]) == (hashlib.sha256(content).hexdigest(), len(content))
    path = enf.scene.town.records.path_of(payload["sha256"])
    assert path.read_bytes() == content
    assert path.stat().st_mode & 0o222 == 0, "a stored record must be read-only"


@then(parsers.re(r'记录归入"(?P<stage>[^"]+)"阶段'))
def record_in_stage(enf: Enforcement, stage: str) -> None:
    procedure, state = STATES[stage]
    records = enf.data()["records"]
    assert records[-1]["stage"] == state, f"the record is filed under {records[-1]['stage']}"
    with enf.scene.town.sessions() as session:
        case = session.get(Case, enf.case_id)
        assert case is not None
        report = completeness(session, ENF, case, enf.scene.town.records)
    by_state = {s.state: s for s in report.stages}
    assert records[-1]["no"] in [r.no for r in by_state[state].records]


@then("记录文件夹中该内容只有一份")
def stored_once(enf: Enforcement) -> None:
    records = enf.data()["records"]
    hashes = {r["sha256"] for r in records}
    assert len(records) == 2 and len(hashes) == 1
    objects = [p for p in enf.scene.town.records.objects.rglob("*") if p.is_file()]
    assert [p.name for p in objects] == list(hashes)


@then(parsers.re(r'全过程记录显示"(?P<label>[^"]+)"已有音像记录'))
def av_covered(enf: Enforcement, label: str) -> None:
    with enf.scene.town.sessions() as session:
        case = session.get(Case, enf.case_id)
        assert case is not None
        report = completeness(session, ENF, case, enf.scene.town.records)
    acts = [a for a in report.av_acts if a.label == label]
    assert acts and all(a.covered for a in acts), f"{report.av_acts}"


@then("校验结果为记录文件被改动，并指明该记录的案件和事件序号")
def verify_names_record(enf: Enforcement) -> None:
    report = _records(enf).report
    assert report is not None and not report.ok, "the altered file went unnoticed"
    record = enf.data()["records"][-1]
    assert report.first_error is not None
    assert (report.first_error.case, report.first_error.seq) == (enf.case_id, record["event_seq"])
    assert "altered" in report.first_error.message
