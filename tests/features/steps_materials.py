"""Step definitions for features/major_decision/08_决策过程记录和材料.feature: a decision's materials as files.

The same machinery as an enforcement case's records (tests/features/steps_records.py, whose file descriptions
this reuses: PDF, MP4视频, 空文件, 不上传): the file is made from a short description and received through
the records store inside the attempt, as the web and the API receive an upload.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pytest_bdd import given, parsers, then, when

from tests.features.steps import (
    STEP_BY_TRIGGER,
    WHO,
    Scene,
    action,
    choice,
    outcome_of,
    state_of,
    typed_value,
)
from tests.features.steps_records import file_content, last_event
from workflow.audit.export import verify_database
from workflow.clock import utc_stamp
from workflow.completeness import completeness
from workflow.models import Case

ATTACH = STEP_BY_TRIGGER["attach_material"]
FIELDS = {f.label.zh: f for f in ATTACH.payload}


def _files(scene: Scene) -> dict[str, bytes]:
    """Title -> content of each material attached (or attempted) in this scenario."""
    if not hasattr(scene, "material_files"):
        scene.material_files = {}  # type: ignore[attr-defined]
    return scene.material_files  # type: ignore[attr-defined, no-any-return]


def _upload(scene: Scene, who: str, kind: str, title: str, rows: list[list[str]] | None, strict: bool) -> None:
    payload: dict[str, Any] = {"material": choice("attach_material", "material", kind), "title": title,
                               "format": "pdf", "made_on": scene.today().isoformat()}
    description = "PDF"
    for label, value in (rows or [["字段", "值"]])[1:]:
        if label == "文件内容":
            description = value
            continue
        assert label in FIELDS, f"「上传决策材料」 has no field 「{label}」: {sorted(FIELDS)}"
        payload[FIELDS[label].name] = typed_value(FIELDS[label], value)
    content = file_content(description, title)
    _files(scene)[title] = content or b""
    store = scene.town.records
    stage = (lambda: store.stage_bytes(content, filename=f"{title}.bin")) if content is not None else None
    scene.fire("attach_material", who, payload, strict=strict, stage_file=stage)


_ONE = WHO + r'上传一份"(?P<kind>[^"]+)"材料"(?P<title>[^"]+)"'


@action(_ONE)
def upload_material(scene: Scene, who: str, kind: str, title: str, strict: bool) -> None:
    _upload(scene, who, kind, title, None, strict)


@action(_ONE + "，其中：")
def upload_material_with(scene: Scene, who: str, kind: str, title: str, datatable: list[list[str]],
                         strict: bool) -> None:
    _upload(scene, who, kind, title, datatable, strict)


@given(parsers.re(r'材料文件"(?P<title>[^"]+)"被改动'))
def material_altered(scene: Scene, title: str) -> None:
    content = _files(scene)[title]
    path = scene.town.records.path_of(hashlib.sha256(content).hexdigest())
    path.chmod(0o644)
    path.write_bytes(content[:-1] + bytes([content[-1] ^ 1]))  # same size: only re-hashing can tell


@when("审计人员校验审计记录和材料文件")
def auditor_verifies(scene: Scene) -> None:
    town = scene.town
    scene.verification = verify_database(  # type: ignore[attr-defined]
        town.sessions, town.origin, utc_stamp(scene.clock.now()), records_dir=str(town.records.root))


# ================================================================ Then


@then("材料已按内容哈希保存，审计事件载明其哈希和大小")
def stored_by_hash(scene: Scene) -> None:
    outcome = outcome_of(scene)
    assert outcome.ok, "refused: " + "；".join(r.text() for r in outcome.reasons)
    event = last_event(scene)
    payload = json.loads(event.payload)
    content = _files(scene)[payload["title"]]
    assert (event.kind, event.trigger, event.seq) == ("record_attached", "attach_material", outcome.seq)
    assert (payload["sha256"], payload["size"]) == (hashlib.sha256(content).hexdigest(), len(content))
    path = scene.town.records.path_of(payload["sha256"])
    assert path.read_bytes() == content
    assert path.stat().st_mode & 0o222 == 0, "a stored file must be read-only"


@then(parsers.re(r'材料归入"(?P<stage>[^"]+)"阶段，类别为"(?P<kind>[^"]+)"'))
def material_in_stage(scene: Scene, stage: str, kind: str) -> None:
    state = state_of(stage)
    record = scene.data()["records"][-1]
    assert record["stage"] == state, f"the material is filed under {record['stage']}"
    with scene.town.sessions() as session:
        case = session.get(Case, scene.case_id)
        assert case is not None
        report = completeness(session, scene.engine.procedure_of(case), case, scene.town.records)
    listed = {e.no: (s.state, e.material_label) for s in report.stages for e in s.records}
    assert listed[record["no"]] == (state, kind), listed


@then(parsers.re(r'该材料记为(?P<form>文字|音像)材料'))
def material_form(scene: Scene, form: str) -> None:
    record = scene.data()["records"][-1]
    assert record["kind"] == ("av" if form == "音像" else "text"), record


@then(parsers.re(r'案卷中的材料依次为：(?P<titles>.+)'))
def materials_in_order(scene: Scene, titles: str) -> None:
    records = scene.data()["records"]
    assert [r["title"] for r in records] == titles.split("、"), records
    assert [r["no"] for r in records] == list(range(1, len(records) + 1))


@then("校验结果为材料文件被改动，并指明该材料的案件和事件序号")
def verify_names_material(scene: Scene) -> None:
    report = scene.verification  # type: ignore[attr-defined]
    assert report is not None and not report.ok, "the altered file went unnoticed"
    record = scene.data()["records"][-1]
    assert report.first_error is not None
    assert (report.first_error.case, report.first_error.seq) == (scene.case_id, record["event_seq"])
    assert "altered" in report.first_error.message
