"""The files of a case as a whole: the whole-process record of an enforcement case (执法全过程记录, 处罚法第四十七条),
the materials of a major decision (决策过程记录和材料, 条例第三十三条); the definition's `attachments` names them.

For each stage the case has passed through: the records attached while it was in that stage, and, where the
definition asks for a record in every stage (`attachments.every_stage`), whether the stage has none; otherwise
only the stages with files are listed. For each act that must be recorded on audio-video (the definition's
`audio_video.acts` and the organisation's own list): whether an audio-video record of it was attached before
it was done. Read from the case data the engine wrote and from the case's audit events; nothing here is
recomputed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.definitions import Procedure
from workflow.models import AuditEvent, Case, OrgSetting
from workflow.records import FORMATS, RecordStore

MATERIAL_FIELD = "material"  # the kind of material a decision's file is (决策草案, 听证笔录, ...), if the step asks


@dataclass(frozen=True)
class RecordEntry:
    no: int
    kind: str  # text | av
    title: str
    format: str
    size: int
    sha256: str
    made_on: str  # the date the record was made (the step's own date is recorded_on in the case data)
    recorded_by: str
    act: str | None
    act_label: str | None
    material_label: str | None  # the kind of material (a decision's files), by the step's choice label
    file_present: bool  # the file is in the records folder with its recorded size (full re-hash: audit verify)
    details: Mapping[str, Any]


@dataclass(frozen=True)
class StageRecords:
    state: str
    label: str
    records: tuple[RecordEntry, ...]

    @property
    def text_count(self) -> int:
        return sum(1 for r in self.records if r.kind == "text")

    @property
    def av_count(self) -> int:
        return sum(1 for r in self.records if r.kind == "av")


@dataclass(frozen=True)
class AvAct:
    trigger: str
    label: str
    seq: int  # the event that recorded the act as done
    at: str
    covered: bool
    record_nos: tuple[int, ...]


@dataclass(frozen=True)
class CompletenessReport:
    case_id: str
    stages: tuple[StageRecords, ...]
    av_acts: tuple[AvAct, ...]
    basis: str
    title: str = ""  # what the files are called as a whole (the definition's attachments.label)
    every_stage: bool = True  # each stage passed through must have a record

    @property
    def stages_without_records(self) -> list[StageRecords]:
        return [s for s in self.stages if not s.records] if self.every_stage else []

    @property
    def complete(self) -> bool:
        return not self.stages_without_records and all(a.covered for a in self.av_acts)


def completeness(session: Session, procedure: Procedure, case: Case, store: RecordStore | None,
                 lang: str = "zh") -> CompletenessReport:
    events = session.execute(
        select(AuditEvent.seq, AuditEvent.kind, AuditEvent.trigger, AuditEvent.to_state, AuditEvent.at)
        .where(AuditEvent.case_id == case.id, AuditEvent.kind.in_(("created", "transition")))
        .order_by(AuditEvent.seq)).all()
    visited: list[str] = []
    for e in events:
        if e.to_state and e.to_state not in visited:
            visited.append(e.to_state)
    acts_labels = {t.trigger: t.label.get(lang) for t in procedure.transitions}
    materials = _material_labels(procedure, lang)
    records = [r for r in case.data.get("records", []) if isinstance(r, Mapping)]
    entries = [_entry(r, acts_labels, materials, store) for r in records]
    spec = procedure.attachments
    every_stage = spec.every_stage if spec else True
    stages = tuple(
        StageRecords(state, procedure.states[state].label.get(lang) if state in procedure.states else state,
                     tuple(e for e, r in zip(entries, records, strict=True) if r.get("stage") == state))
        for state in visited if not (state in procedure.states and procedure.states[state].terminal)
    )
    if not every_stage:
        stages = tuple(s for s in stages if s.records)
    basis = spec.basis if spec else procedure.audio_video.basis if procedure.audio_video else ""
    return CompletenessReport(case.id, stages, _av_acts(session, procedure, case, events, records, acts_labels),
                              basis, spec.label.get(lang) if spec else "", every_stage)


@dataclass(frozen=True)
class MissingMaterials:
    """The materials the case's current stage works on that no file of the case is (the definition's
    `attachments.expects`): the pages where the stage is worked say so."""

    stage: str
    materials: tuple[str, ...]  # their labels, in the definition's order
    basis: str


def missing_materials(procedure: Procedure | None, case: Case, lang: str = "zh") -> MissingMaterials | None:
    spec = procedure.attachments if procedure is not None else None
    if spec is None or case.state not in spec.expects:
        return None
    wanted, basis = spec.expects[case.state]
    have = {r.get(MATERIAL_FIELD) for r in case.data.get("records", []) if isinstance(r, Mapping)}
    labels = {value: label for (_trigger, value), label in _material_labels(procedure, lang).items()}
    missing = tuple(labels.get(m, m) for m in wanted if m not in have)
    if not missing:
        return None
    return MissingMaterials(procedure.states[case.state].label.get(lang), missing, basis)


def public_records(procedure: Procedure | None, case: Case, lang: str = "zh") -> list[tuple[Mapping[str, Any], str]]:
    """The case's files of the kinds its definition opens to the public (`attachments.public`), with their kind's
    label: the consultation page's draft and explanation."""
    spec = procedure.attachments if procedure is not None else None
    if spec is None or not spec.public:
        return []
    labels = {value: label for (_trigger, value), label in _material_labels(procedure, lang).items()}
    return [(r, labels.get(r.get(MATERIAL_FIELD, ""), "")) for r in case.data.get("records", [])
            if isinstance(r, Mapping) and r.get(MATERIAL_FIELD) in spec.public]


def _material_labels(procedure: Procedure, lang: str) -> dict[tuple[str, str], str]:
    """(trigger, value) -> label of the material choices of the procedure's attachment steps."""
    return {(t.trigger, value): label.get(lang) for t in procedure.transitions if t.attachment
            for f in t.payload if f.name == MATERIAL_FIELD for value, label in f.choices}


def _entry(r: Mapping[str, Any], acts: Mapping[str, str], materials: Mapping[tuple[str, str], str],
           store: RecordStore | None) -> RecordEntry:
    sha, size = str(r.get("sha256", "")), int(r.get("size", 0))
    present = False
    if store is not None and sha:
        path = store.find(sha)
        present = path.is_file() and path.stat().st_size == size
    details = {k: r[k] for k in ("duration_seconds", "device", "recorder", "version_note", "note", "filename")
               if k in r}
    act = r.get("act")
    material = r.get(MATERIAL_FIELD)
    return RecordEntry(
        no=int(r.get("no", 0)), kind=str(r.get("kind", "")), title=str(r.get("title", "")),
        format=str(r.get("format", "")), size=size, sha256=sha, made_on=str(r.get("made_on", "")),
        recorded_by=str(r.get("recorded_by", "")), act=act, act_label=acts.get(act) if act else None,
        material_label=materials.get((str(r.get("trigger", "")), str(material)), str(material)) if material else None,
        file_present=present, details=details,
    )


def _av_acts(session: Session, procedure: Procedure, case: Case, events: Any, records: list[Mapping[str, Any]],
             labels: Mapping[str, str]) -> tuple[AvAct, ...]:
    av = procedure.audio_video
    if av is None:
        return ()
    value = None
    if av.setting:
        row = session.scalar(select(OrgSetting).where(OrgSetting.org_id == case.org_id, OrgSetting.key == av.setting))
        value = row.value.get("value") if row is not None else None
    required = av.required(value)
    out: list[AvAct] = []
    previous: dict[str, int] = {}
    for e in events:
        if e.kind != "transition" or e.trigger not in required:
            continue
        since = previous.get(e.trigger, 0)
        nos = tuple(int(r.get("no", 0)) for r in records
                    if r.get("kind") == "av" and r.get("act") == e.trigger and since < int(r.get("event_seq", 0)) < e.seq)
        out.append(AvAct(e.trigger, labels.get(e.trigger, e.trigger), e.seq, e.at, bool(nos), nos))
        previous[e.trigger] = e.seq
    return tuple(out)


def format_label(name: str) -> str:
    fmt = FORMATS.get(name)
    return fmt.label if fmt else name
