"""Step definitions for the typed-date rules (features/*/09_录入日期.feature; workflow/typed_dates.py).

A late entry (补录) is a step whose typed date lies more than records.late_entry_days (the demo town: 3) before
the day it is entered; it states its reason in the generic field late_entry_reason. These steps speak both
procedures: the enforcement ones through the `enf` fixture of steps_enforcement, the decision ones through
the scene; a step and its fields by their labels in the case's own definition.
"""

from __future__ import annotations

import json
from typing import Any

from pytest_bdd import given, parsers, then
from sqlalchemy import select

from tests.features.steps import DATE, REGISTRY, WHO, Scene, action, cn_date, field_by_label, typed_value
from tests.features.steps_enforcement import ENF_STEPS, Enforcement
from workflow import accounts
from workflow.db import writing
from workflow.definitions import Transition
from workflow.demo import LATE_ENTRY_SOURCE, ORG
from workflow.models import AuditEvent
from workflow.typed_dates import LATE_ENTRY_DAYS, MARK, REASON_FIELD

LATE_TIMELINESS = {"公开": ("publication", ("publication_period", "other_publication_period"))}


def _changes(step: Transition, datatable: list[list[str]]) -> dict[str, Any]:
    """| 字段 | 值 | rows by field label -> payload changes (the dated fields these scenarios type)."""
    changes: dict[str, Any] = {}
    for label, text in datatable[1:]:
        spec = field_by_label(step, label)
        assert spec is not None, f"「{step.label.zh}」 has no field 「{label}」"
        changes[spec.name] = typed_value(spec, text)
    return changes


def _step_of_case(scene: Scene, label: str) -> Transition:
    case = scene.case()
    procedure = REGISTRY.get(case.procedure, case.procedure_version)
    steps = {t.label.zh: t for t in procedure.transitions}
    assert label in steps, f"no step 「{label}」 in {procedure.ref}"
    return steps[label]


def _record(scene: Scene, step: Transition) -> dict[str, Any]:
    assert step.record is not None
    stored = scene.data().get(step.record.key)
    items = stored if isinstance(stored, list) else [stored]
    found = [i for i in items if isinstance(i, dict) and i.get("trigger") == step.trigger]
    assert found, f"no record of 「{step.label.zh}」"
    return found[-1]


# ================================================================ Given


@given(parsers.re(r"后龙镇设置补录认定天数为(?P<days>\d+)日"))
def late_entry_days(scene: Scene, days: str) -> None:
    with writing(scene.town.sessions) as session:
        accounts.set_setting(session, org_id=ORG, key=LATE_ENTRY_DAYS, value=int(days), source=LATE_ENTRY_SOURCE,
                             by="admin", now=scene.clock.now())


# ================================================================ actions (假如 = done, 当 = attempted)


@action(WHO + r'补录执法步骤"(?P<step>[^"]+)"，补录理由为"(?P<reason>[^"]*)"，其中：')
def enforcement_late_entry(enf: Enforcement, who: str, step: str, reason: str, datatable: list[list[str]],
                           strict: bool) -> None:
    spec = ENF_STEPS.named(step)
    enf.act(spec.trigger, who, strict=strict, **_changes(spec, datatable), **{REASON_FIELD: reason})


@action(WHO + r'补录"(?P<step>[^"]+)"，其中"(?P<label>[^"]+)"填写为"(?P<value>[^"]*)"，补录理由为"(?P<reason>[^"]*)"')
def decision_late_entry(scene: Scene, who: str, step: str, label: str, value: str, reason: str,
                        strict: bool) -> None:
    spec = _step_of_case(scene, step)
    target = field_by_label(spec, label)
    assert target is not None, f"「{step}」 has no field 「{label}」"
    scene.act(spec.trigger, who, strict=strict, **{target.name: typed_value(target, value), REASON_FIELD: reason})


# ================================================================ Then


@then(parsers.re(r'案卷中"(?P<step>[^"]+)"的记录标注为补录：填写的日期为' + DATE("typed") + r"，录入日期为"
                 + DATE("entered") + r'，理由为"(?P<reason>[^"]+)"'))
def marked_late(scene: Scene, step: str, typed: str, entered: str, reason: str) -> None:
    record = _record(scene, _step_of_case(scene, step))
    mark = record.get(MARK)
    assert isinstance(mark, dict), f"not marked as a late entry: {record}"
    assert cn_date(typed).isoformat() in mark["fields"].values(), mark
    assert mark["entered_on"] == cn_date(entered).isoformat() == record["recorded_on"], mark
    assert record[REASON_FIELD] == reason


@then(parsers.re(r'案卷中"(?P<step>[^"]+)"的记录未标注补录'))
def not_marked_late(scene: Scene, step: str) -> None:
    record = _record(scene, _step_of_case(scene, step))
    assert MARK not in record and REASON_FIELD not in record, record


@then("该步骤的审计事件载明补录及其理由")
def event_carries_mark(scene: Scene) -> None:
    outcome = scene.outcome
    assert outcome is not None and outcome.ok, "the step was refused"
    with scene.town.sessions() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.case_id == outcome.case_id,
                                                        AuditEvent.seq == outcome.seq))
        assert event is not None
        payload = json.loads(event.payload)
    assert isinstance(payload.get(MARK), dict) and payload.get(REASON_FIELD), payload


@then(parsers.re(r'(?P<what>公开)记录为"(?P<status>按期|逾期)"，并载明系于' + DATE("entered") + "补录"))
def late_timeliness(enf: Enforcement, what: str, status: str, entered: str) -> None:
    key, deadlines = LATE_TIMELINESS[what]
    record = enf.data().get(key)
    assert record is not None, f"no {key} on record"
    verdict = next(record["timeliness"][d] for d in deadlines if d in record["timeliness"])
    assert verdict["on_time"] == (status == "按期"), verdict
    assert verdict.get("late_entry") is True and verdict.get("recorded_on") == cn_date(entered).isoformat(), verdict
