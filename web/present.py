"""Turning engine data into what a page shows: local times, deadlines, labels, readable case data.

Nothing here decides anything about the law. Times are stored in UTC and shown in Asia/Shanghai; labels
come from the procedure definition in the page language; a value a definition cannot label is shown as
stored rather than hidden.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from flask import g, has_request_context
from flask_login import current_user

from web.i18n import N_, _, current_lang
from web.runtime import runtime
from workflow import typed_dates, wording
from workflow.accounts import setting_values
from workflow.administration import ACTIONS as ADMIN_ACTIONS
from workflow.calendar import WorkCalendar
from workflow.clock import SHANGHAI, parse_stamp
from workflow.deadlines import describe, due_order
from workflow.definitions import DeadlineSpec, Label, Procedure, Registry, Transition
from workflow.models import AuditEvent, CaseDeadline
from workflow.payloads import FieldSpec
from workflow.settings import BY_KEY as SETTINGS_BY_KEY
from workflow.timers.schedule import acts_of
from workflow.typed_dates import MARK as LATE_MARK
from workflow.typed_dates import REASON_FIELD as LATE_REASON

if TYPE_CHECKING:
    from workflow.case_reading import Reader

# ---------------------------------------------------------------- dates and times


def local_datetime(moment: datetime) -> datetime:
    """Asia/Shanghai time of a stored moment (a naive value, as SQLite returns it, is UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(SHANGHAI)


def fmt_date(day: date | str | None, lang: str | None = None) -> str:
    if day is None or day == "":
        return ""
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day)
        except ValueError:
            return day
    if (lang or current_lang()) == "en":
        return day.isoformat()
    return wording.day(day)


def fmt_datetime(moment: datetime | None, lang: str | None = None) -> str:
    """E.g. 2026年11月29日 09:30 (Beijing time); 2026-11-29 09:30 in English."""
    if moment is None:
        return ""
    local = local_datetime(moment)
    return f"{fmt_date(local.date(), lang)} {local:%H:%M}"


def fmt_stamp(stamp: str, lang: str | None = None) -> str:
    """An audit event's RFC 3339 UTC time, shown in Beijing time."""
    try:
        return fmt_datetime(parse_stamp(stamp), lang)
    except ValueError:
        return stamp


# ---------------------------------------------------------------- deadlines


@dataclass(frozen=True)
class DeadlineView:
    name: str
    label: str
    kind: str  # minimum | limit
    kind_label: str
    started_on: str
    length: str
    due: str
    status: str
    overdue: bool
    provisional: bool
    basis: str
    reminded: bool = False  # 黄牌: the day of the period's first reminder has come, and it is not overdue yet


def deadline_view(row: CaseDeadline, procedure: Procedure | None, calendar: WorkCalendar,
                  today: date) -> DeadlineView:
    """How a running period stands today, as workflow.deadlines computes it, worded for the page."""
    spec = procedure.deadlines.get(row.name) if procedure else None
    working = row.unit == "working_days"
    standing = describe(row, procedure, today, calendar)
    left, provisional, overdue = standing.remaining, standing.provisional, standing.status == "overdue"
    reminded = not overdue and row.kind == "limit" and _reminder_day_come(row, spec, calendar, today)
    if standing.paused is not None or row.due is None:  # a due-date rule's count stands still: no day, the reason
        reason = standing.paused.get(current_lang()) if standing.paused else ""
        status = _("已暂停计算：{reason}", reason=reason)
    elif row.kind == "minimum":  # a period that must pass before the next step: "ends in", not "overdue"
        if row.due > today:
            status = _("尚余{n}个工作日届满", n=left) if working else _("尚余{n}日届满", n=left)
        elif row.due == today:
            status = _("今日届满，届满后方可办理")
        else:
            status = _("已届满")
    elif row.due > today:
        status = _("剩余{n}个工作日", n=left) if working else _("剩余{n}日", n=left)
    elif row.due == today:
        status = _("今日到期")
    elif left == 0:
        status = _("已过期限日")
    else:
        status = _("逾期{n}个工作日", n=-left) if working else _("逾期{n}日", n=-left)
    return DeadlineView(
        name=row.name,
        label=spec.label.get(current_lang()) if spec else row.name,
        kind=row.kind,
        kind_label=_("最短期间") if row.kind == "minimum" else _("办理时限"),
        started_on=fmt_date(row.started_on),
        length=_("{n}个工作日", n=row.n) if working else _("{n}日", n=row.n),
        due=fmt_date(row.due) if row.due else _("已暂停"),
        status=status,
        overdue=overdue,
        provisional=provisional,
        basis=row.basis or (spec.basis if spec else ""),
        reminded=reminded,
    )


def _reminder_day_come(row: CaseDeadline, spec: DeadlineSpec | None, calendar: WorkCalendar, today: date) -> bool:
    """Whether the first reminder the period's timers bring (the worker's own schedule, workflow/timers/) falls
    on or before today: the yellow card is the reminders' state, with the organisation's offsets, not a number
    of the page's own. A period without reminders never shows it."""
    if spec is None or row.due is None or not any(t.kind == "remind" for t in spec.timers):
        return False
    settings = _org_settings()
    days = [a.due_on for a in acts_of(row, "", spec, calendar, settings.get) if a.kind == "remind"]
    return bool(days) and min(days) <= today


def _org_settings() -> Mapping[str, Any]:
    """The signed-in person's organisation's settings, read once per request (a list shows many periods)."""
    if not has_request_context():
        return {}
    if "org_settings" not in g:
        org = getattr(current_user, "org_id", None)
        with runtime().sessions() as session:
            g.org_settings = setting_values(session, org) if org else {}
    return g.org_settings


def next_deadline(rows: Iterable[CaseDeadline]) -> CaseDeadline | None:
    """The running period that falls due first."""
    return min(rows, key=due_order, default=None)


# ---------------------------------------------------------------- labels


def label_of(procedure: Procedure | None, what: str, name: str | None) -> str:
    """Label of a state, role or step (trigger) of a procedure in the page language; the name if unknown."""
    if not name:
        return ""
    lang = current_lang()
    if procedure is not None:
        if what == "state" and name in procedure.states:
            return procedure.states[name].label.get(lang)
        if what == "role" and name in procedure.roles:
            return procedure.roles[name].get(lang)
        if what == "step":
            if name == "create":
                return procedure.create.label.get(lang)
            step = next((t for t in procedure.transitions if t.trigger == name), None)
            if step is not None:
                return step.label.get(lang)
    if what == "role" and name == "admin":
        return _("系统管理员")
    if what == "step" and procedure is None and name in ADMIN_ACTIONS:  # an administration event (ADM-<org>)
        return ADMIN_ACTIONS[name].get(lang)
    return name


def role_label(registry: Registry, role: str) -> str:
    for procedure in registry.all():
        if role in procedure.roles:
            return procedure.roles[role].get(current_lang())
    return label_of(None, "role", role)


def procedure_for_ref(registry: Registry, ref: str) -> Procedure | None:
    """The procedure named by an audit event's `procedure` field (id@version)."""
    pid, _sep, version = ref.partition("@")
    try:
        return registry.get(pid, int(version)) if version.isdigit() else None
    except KeyError:
        return None


# ---------------------------------------------------------------- values and recorded data


@dataclass
class Entry:
    label: str
    value: str | list[str]
    multiline: bool = False


@dataclass
class Record:
    heading: str
    entries: list[Entry]
    meta: list[str]


@dataclass
class Section:
    key: str
    title: str
    records: list[Record]
    rounds: list[list[Section]] = field(default_factory=list)


META = ("recorded_by", "recorded_on", "event_seq", "trigger", "no", "timeliness")


def format_value(spec: FieldSpec | None, value: Any) -> tuple[str | list[str], bool]:
    """(shown value, multiline) for a stored payload value, using the field's type and choice labels."""
    lang = current_lang()
    if value is None:
        return "", False
    if spec is not None:
        if spec.type == "choice":
            labels = {v: lab.get(lang) for v, lab in spec.choices}
            return labels.get(value, str(value)), False
        if spec.type == "boolean" and isinstance(value, bool):
            return (_("是") if value else _("否")), False
        if spec.type == "date":
            return fmt_date(value), False
        if spec.type == "decimal" and "元" in spec.label.zh:  # a sum of money: 20,000元
            return wording.amount(value), False
        if spec.type == "integer" and spec.label.zh.endswith("（秒）"):  # a length of time: 21分00秒
            return wording.duration(value), False
        if spec.type == "text":
            return str(value), True
    if isinstance(value, bool):
        return (_("是") if value else _("否")), False
    if isinstance(value, list):
        return [v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for v in value], False
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, indent=1), True
    return str(value), "\n" in str(value)


class DataLabels:
    """Which transition recorded what where, so stored case data can be labelled from the definition."""

    def __init__(self, procedure: Procedure | None):
        self.procedure = procedure
        steps: list[Transition] = [procedure.create, *procedure.transitions] if procedure else []
        # a dated step's fields include the engine's generic late-entry reason (workflow/typed_dates.py)
        self.by_trigger = {t.trigger: {f.name: f for f in typed_dates.form_fields(t)} for t in steps}
        self.by_key: dict[str, dict[str, FieldSpec]] = {}
        self.titles: dict[str, str] = {}
        self.any_field: dict[str, FieldSpec] = {}
        for t in steps:
            for f in t.payload:
                self.any_field.setdefault(f.name, f)
            if t.record is None:
                continue
            self.by_key.setdefault(t.record.key, {}).update({f.name: f for f in t.payload})
            if t.record.mode != "update":
                self.titles.setdefault(t.record.key, t.label.get(current_lang()))
        for f in _attachment_fields(procedure):  # what the engine adds to an attached record's payload
            self.any_field.setdefault(f.name, f)

    def spec(self, key: str, trigger: str | None, name: str) -> FieldSpec | None:
        return (self.by_trigger.get(trigger or "", {}).get(name) or self.by_key.get(key, {}).get(name)
                or self.any_field.get(name))


def payload_entries(fields: Mapping[str, FieldSpec], payload: Mapping[str, Any],
                    fallback: DataLabels | None = None, people: Mapping[str, str] | None = None) -> list[Entry]:
    """A submitted or recorded payload as labelled entries, in the definition's field order."""
    lang = current_lang()
    names = [n for n in fields if n in payload] + [n for n in payload if n not in fields and n != LATE_MARK]
    out = []
    for name in names:
        spec = fields.get(name) or (fallback.any_field.get(name) if fallback else None)
        shown, multiline = format_value(spec, payload[name])
        out.append(Entry(field_label(spec, lang) if spec else _engine_label(name), named(people or {}, shown),
                         multiline))
    return out


# Fields the engine itself adds to a payload or a case's data (not a step's own fields), in the page's words.
ENGINE_FIELDS = {"absent_members": N_("缺席人员"), "superseded": N_("此前的登记（已被替代）")}


def _engine_label(name: str) -> str:
    return _(ENGINE_FIELDS[name]) if name in ENGINE_FIELDS else name


def case_sections(procedure: Procedure | None, data: Mapping[str, Any], people: Mapping[str, str],
                  labels: DataLabels | None = None) -> list[Section]:
    """The case data (what each step recorded) as titled sections of labelled entries."""
    labels = labels or DataLabels(procedure)
    sections = []
    for key, value in data.items():
        if key == "previous_rounds":
            continue
        if key == "superseded" and isinstance(value, dict):  # what a later entry of the same record replaced
            sections.append(Section(key, _engine_label(key), [
                _record(labels, old_key, item, people, heading=labels.titles.get(old_key, old_key))
                for old_key, olds in value.items() for item in (olds if isinstance(olds, list) else [olds])]))
            continue
        items = value if isinstance(value, list) else [value]
        records = [_record(labels, key, item, people) for item in items]
        title = labels.titles.get(key, key)
        if isinstance(value, dict) and value.get("trigger") in labels.by_trigger:
            title = label_of(procedure, "step", value["trigger"])  # e.g. a waiver recorded where the step goes
        sections.append(Section(key, title, records))
    rounds = data.get("previous_rounds")
    if isinstance(rounds, list) and rounds:
        earlier = [case_sections(procedure, r, people, labels) for r in rounds if isinstance(r, dict)]
        sections.append(Section("previous_rounds", _("此前各轮"), [], earlier))
    return sections


def _record(labels: DataLabels, key: str, item: Any, people: Mapping[str, str], heading: str = "") -> Record:
    if not isinstance(item, dict):
        shown, multiline = format_value(None, item)
        return Record(heading, [Entry(_engine_label(key), named(people, shown), multiline)], [])
    trigger = item.get("trigger")
    updates = _update_meta(labels, item)
    entries = []
    for name, value in item.items():
        if name in META or name == LATE_MARK or any(name in u["keys"] for u in updates):
            continue
        spec = labels.spec(key, trigger, name)
        shown, multiline = format_value(spec, value)
        entries.append(Entry(field_label(spec, current_lang()) if spec else _engine_label(name),
                             named(people, shown), multiline))
    meta = []
    if "recorded_by" in item:
        meta.append(_("{who}于{day}登记", who=person(people, item.get("recorded_by")),
                      day=fmt_date(item.get("recorded_on"))))
    meta.extend(late_entry_lines(item))
    meta.extend(_timeliness(labels, item.get("timeliness")))
    for u in updates:
        meta.append(_("{step}：{who}于{day}登记", step=label_of(labels.procedure, "step", u["trigger"]),
                      who=person(people, u["by"]), day=fmt_date(u["on"])))
    if isinstance(item.get("no"), int):
        heading = f"{heading} {_('第{n}条', n=item['no'])}".strip()
    return Record(heading, entries, meta)


def _timeliness(labels: DataLabels, recorded: Any) -> list[str]:
    """The limits a step ended, met or not: a late step is recorded as late, never refused (workflow/engine/timeliness.py)."""
    if not isinstance(recorded, dict):
        return []
    deadlines = labels.procedure.deadlines if labels.procedure else {}
    lines = []
    for name, t in recorded.items():
        spec = deadlines.get(name)
        lines.append(_("{period}：期限至{due}，{status}", period=spec.label.get(current_lang()) if spec else name,
                       due=fmt_date(t.get("due")), status=verdict_text(t)))
    return lines


def verdict_text(verdict: Mapping[str, Any]) -> str:
    """按期 / 逾期, and for a verdict judged by a date entered late (补录) both dates: never a plain on time."""
    status = _("按期") if verdict.get("on_time") else _("逾期")
    if not verdict.get("late_entry"):
        return status
    return _("{status}（补录：按所填日期{ended}判断，于{day}录入）", status=status,
             ended=fmt_date(verdict.get("ended_on")), day=fmt_date(verdict.get("recorded_on")))


def late_entry_lines(item: Mapping[str, Any]) -> list[str]:
    """补录 with the dates typed, the day they were entered and the stated reason (workflow/typed_dates.py)."""
    late = item.get(LATE_MARK)
    if not isinstance(late, Mapping):
        return []
    typed = late.get("fields") if isinstance(late.get("fields"), Mapping) else {}
    return [_("补录：所填日期{dates}，于{day}录入；补录理由：{reason}",
              dates="、".join(fmt_date(d) for d in typed.values()), day=fmt_date(late.get("entered_on")),
              reason=item.get(LATE_REASON) or "-")]


def _update_meta(labels: DataLabels, item: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Who updated a list item and when: stored as recorded_by_<trigger>, recorded_on_<trigger>, ..."""
    out = []
    for trigger in labels.by_trigger:
        keys = [f"{m}_{trigger}" for m in ("recorded_by", "recorded_on", "event_seq")]
        if any(k in item for k in keys):
            out.append({"trigger": trigger, "keys": set(keys), "by": item.get(keys[0]), "on": item.get(keys[1]),
                        "seq": item.get(keys[2], "-")})
    return out


def person(people: Mapping[str, str], username: str | None) -> str:
    """The person as the office names them (`people`: name, or name and post, by user name), never the login."""
    if not username:
        return "-"
    return people.get(username) or username


def named(people: Mapping[str, str], shown: str | list[str]) -> str | list[str]:
    """A value, with each user name in it (an officer, an attendee ...) given as the person's name."""
    if isinstance(shown, list):
        return [people.get(v, v) for v in shown]
    return people.get(shown, shown)


def field_label(spec: FieldSpec, lang: str) -> str:
    """A field's label as a page shows it: "（账号）" is how the form asks for people, not what the page shows."""
    return spec.label.get(lang).replace("（账号）", "").replace(" (accounts)", "").replace(" (account)", "")


# ---------------------------------------------------------------- audit events


@dataclass
class EventView:
    case_id: str
    seq: int
    time: str
    kind: str
    kind_label: str
    step: str
    from_state: str
    to_state: str
    actor: str
    role: str
    reasons: list[dict[str, str]]
    payload: list[Entry]
    late_entry: list[str] = field(default_factory=list)  # 补录 lines when the event's payload is a late entry


KIND_LABELS = {"created": N_("开始办理"), "transition": N_("办理"), "refused": N_("拒绝"),
               "record_attached": N_("附加记录"), "admin": N_("系统管理"),
               "timer": N_("期限提醒"),  # a reminder or an overdue notice by the timer worker (workflow/timers/)
               "witness": N_("检查点见证")}  # a district's receipt of a town's checkpoints (workflow/audit/cosigning.py)


# A refusal caused only by the form (a field missing or malformed: the engine's payload check, code invalid_payload)
# is told apart from a refusal of substance (a rule of law, a role, the stage): both stay in the audit trail.
NOT_VALID = N_("未通过校验")
FORM_MISTAKES = frozenset({"invalid_payload"})


def _form_mistakes_only(reasons: list[Any]) -> bool:
    codes = {r.get("code") for r in reasons if isinstance(r, dict)}
    return bool(codes) and codes <= FORM_MISTAKES


def _attachment_fields(procedure: Procedure | None) -> list[FieldSpec]:
    if procedure is None or not any(t.attachment for t in procedure.transitions):
        return []
    states = tuple((name, s.label) for name, s in procedure.states.items())
    return [
        FieldSpec("sha256", "string", Label("文件SHA-256", "File SHA-256")),
        FieldSpec("size", "integer", Label("文件大小（字节）", "File size (bytes)")),
        FieldSpec("stage", "choice", Label("附加时所处阶段", "Stage when attached"), choices=states),
        FieldSpec("filename", "string", Label("原文件名", "Original file name")),
        # where the step does not ask for it, the engine records the kind of the declared format
        FieldSpec("kind", "choice", Label("记录形式", "Form of record"),
                  choices=(("text", Label("文字", "Text")), ("av", Label("音像", "Audio-video")))),
    ]


def event_view(event: AuditEvent, registry: Registry, people: Mapping[str, str],
               with_payload: bool = True, labels: dict[str, DataLabels] | None = None,
               reader: Reader | None = None) -> EventView:
    """An event as the history shows it. A page showing many events passes one `labels` dict for all of them:
    a procedure's DataLabels are then built once per page, not once per event. With a `reader`, the payload's
    personal data are masked as the definition says for that reader (workflow/case_reading.py)."""
    procedure = procedure_for_ref(registry, event.procedure)
    try:
        reasons = json.loads(event.reasons) or []
    except ValueError:
        reasons = []
    entries: list[Entry] = []
    late: list[str] = []
    if with_payload:
        try:
            payload = json.loads(event.payload) or {}
        except ValueError:
            payload = {}
        if isinstance(payload, dict) and payload and reader is not None:
            payload = reader.payload(procedure, event.trigger, payload)
        if isinstance(payload, dict) and payload:
            known = labels.get(event.procedure) if labels is not None else None
            if known is None:
                known = DataLabels(procedure)
                if labels is not None:
                    labels[event.procedure] = known
            entries = payload_entries(known.by_trigger.get(event.trigger or "", {}), payload, known, people)
            late = late_entry_lines(payload)
    lang = current_lang()
    return EventView(
        case_id=event.case_id, seq=event.seq, time=fmt_stamp(event.at), kind=event.kind,
        kind_label=procedure.opened_as.get(lang) if event.kind == "created" and procedure is not None
        else _(NOT_VALID) if event.kind == "refused" and _form_mistakes_only(reasons)
        else _(KIND_LABELS[event.kind]) if event.kind in KIND_LABELS else event.kind,
        step=label_of(procedure, "step", event.trigger),
        from_state=label_of(procedure, "state", event.from_state),
        to_state=label_of(procedure, "state", event.to_state),
        actor=person(people, event.actor), role=label_of(procedure, "role", event.role),
        reasons=[{"text": (r.get("en") if lang == "en" else wording.days_in_text(r.get("zh") or "")) or r.get("code", ""),
                  "article": r.get("article", "")} for r in reasons if isinstance(r, dict)],
        payload=entries, late_entry=late,
    )


# ---------------------------------------------------------------- settings by their names


def setting_name(key: str) -> str:
    """An organisation setting as official pages name it: 「较大数额罚款标准」, never its key."""
    spec = SETTINGS_BY_KEY.get(key)
    return f"「{spec.label.get(current_lang())}」" if spec else key


_SETTING_KEY = re.compile(r"\b[a-z][a-z_]*\.[a-z][a-z_]*\b")


def plain(text: str) -> str:
    """A text written by the program's side (a metric's note, a rule's wording) in the office's words: each
    setting key as the setting's name, each ISO date as 2026年1月31日."""
    named = _SETTING_KEY.sub(lambda m: setting_name(m.group(0)) if m.group(0) in SETTINGS_BY_KEY else m.group(0),
                             str(text))
    return wording.days_in_text(named) if current_lang() != "en" else named
