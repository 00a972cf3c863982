"""Dates typed by people: none in the future, kept in their legal order, and a late entry (补录) said so.

A step's payload carries dates the person types (notified_on, decided_on, served_on, ...). The law hangs
periods and verdicts on them (a publication "within 7 working days" of decided_on is judged by published_on),
so a date typed wrongly — in the future, before the act it follows, or backdated to make a late act look on
time — changes what the record proves. Three rules, for every procedure, in this one place:

1. no typed date lies after the day it is entered (Beijing date of the engine's clock), unless the
   definition declares the field a planned date (`future: allowed`: a scheduled hearing, a due date);
2. the pairs the definition lists under `typed_dates.order` keep their order ("the notice before the hearing
   request", 处罚法第六十四条第一项): each side is `<record key>.<field>`, the field a date field of a step
   that records under that key, or `recorded_on` (the day that step was entered); a pair is checked when
   a step recording one of its keys is taken, against what the case holds for the other key;
3. a typed date more than N days before its entry (N: the organisation setting records.late_entry_days,
   with its source) is a late entry: the step needs a stated reason (the payload field late_entry_reason,
   accepted on any step with a date field), and the validated payload then carries `late_entry`
   {fields, entered_on, limit_days}, so the event, the case data and the figures all show it. A verdict on
   time that rests on such a date carries `late_entry: true` and the day it was entered (workflow/engine/timeliness.py).

Until the organisation sets records.late_entry_days, no entry is treated as late: the length is a local
rule (legal-facts §12) and no constant here may stand in for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from marshmallow import RAISE, Schema, fields, validate

from workflow.labels import Label
from workflow.payloads import FieldSpec, LabelSchema

if TYPE_CHECKING:
    from workflow.definitions import Procedure, Transition

LATE_ENTRY_DAYS = "records.late_entry_days"  # setting: days after which a typed date is a late entry (补录)
REASON_FIELD = "late_entry_reason"  # the generic payload field stating why a date is entered late
MARK = "late_entry"  # what the engine adds to a late entry's validated payload
RESERVED = frozenset({REASON_FIELD, MARK})
ENTRY_DATE = "recorded_on"  # a pair side naming the day the step was entered (the engine's own date)
REASON_MIN, REASON_MAX = 4, 500
SIDE = validate.Regexp(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$", error="must be <record key>.<field>")


# ---------------------------------------------------------------- the definition's block


class PairSchemaDef(Schema):
    class Meta:
        unknown = RAISE

    earlier = fields.String(required=True, validate=SIDE)
    later = fields.String(required=True, validate=SIDE)
    basis = fields.String(required=True, validate=validate.Length(min=1))
    label = fields.Nested(LabelSchema, required=True)


class TypedDatesSchemaDef(Schema):
    """`typed_dates:` of a definition: the basis of the future and late-entry rules, and the ordered pairs."""

    class Meta:
        unknown = RAISE

    basis = fields.String(required=True, validate=validate.Length(min=1))
    order = fields.Dict(keys=fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_]*$")),
                        values=fields.Nested(PairSchemaDef), load_default=dict)


@dataclass(frozen=True)
class Problem:
    """A broken rule, in the fields of the engine's Reason (code, zh, en, article, field)."""

    code: str
    zh: str
    en: str
    article: str
    field: str = ""


@dataclass(frozen=True)
class Side:
    key: str  # the record key (case data) the date is found under
    field: str  # a date field of a step recording under `key`, or ENTRY_DATE

    @property
    def ref(self) -> str:
        return f"{self.key}.{self.field}"


@dataclass(frozen=True)
class Pair:
    name: str
    earlier: Side
    later: Side
    basis: str
    label: Label


@dataclass(frozen=True)
class DateRules:
    """A procedure's rules for typed dates (built from its definition; empty when it declares none)."""

    basis: str = ""  # cited by the future and late-entry rules; a step's own basis where empty
    pairs: tuple[Pair, ...] = ()
    future_allowed: frozenset[tuple[str, str]] = frozenset()  # (trigger, field) naming a planned date
    side_labels: Mapping[str, Label] = field(default_factory=dict)  # Side.ref -> how a refusal names it


def _steps(data: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(where, trigger, spec) of the opening and of every transition of a loaded definition."""
    return [("create", "create", data["create"])] + [
        (f"transitions.{i}", t["trigger"], t) for i, t in enumerate(data["transitions"])]


def _record_key(spec: dict[str, Any]) -> str | None:
    record = spec.get("record") or {}
    return record.get("set") or record.get("append")  # an update writes into items: not a date's home


def check_definition(data: dict[str, Any]) -> list[tuple[str, str]]:
    """Problems (path, reason) of a loaded definition's typed dates: `future` only on date fields, the
    generic fields' names reserved, each pair naming a record key some step writes and one of its dates."""
    problems: list[tuple[str, str]] = []
    dates_by_key: dict[str, set[str]] = {}
    for where, _trigger, spec in _steps(data):
        for name, f in spec["payload"].items():
            if name in RESERVED:
                problems.append((f"{where}.payload.{name}", f"{name!r} is the engine's generic late-entry field "
                                                            "(workflow/typed_dates.py); name the field otherwise"))
            if "future" in f and f["type"] != "date":
                problems.append((f"{where}.payload.{name}.future", "only a date field may allow a future date"))
        key = _record_key(spec)
        if key:
            found = dates_by_key.setdefault(key, {ENTRY_DATE})
            found.update(n for n, f in spec["payload"].items() if f["type"] == "date")
    block = data.get("typed_dates") or {}
    for name, pair in block.get("order", {}).items():
        sides = {}
        for end in ("earlier", "later"):
            key, _dot, fld = pair[end].partition(".")
            path = f"typed_dates.order.{name}.{end}"
            if key not in dates_by_key:
                problems.append((path, f"no step records under {key!r} (set or append)"))
            elif fld not in dates_by_key[key]:
                known = ", ".join(sorted(dates_by_key[key]))
                problems.append((path, f"{fld!r} is not a date field of a step recording under {key!r} "
                                       f"(known: {known})"))
            sides[end] = (key, fld)
        if sides.get("earlier") == sides.get("later"):
            problems.append((f"typed_dates.order.{name}", "earlier and later name the same date"))
        elif all(s[1] == ENTRY_DATE for s in sides.values()) and len(sides) == 2:
            problems.append((f"typed_dates.order.{name}", "both sides are entry dates: the engine's clock keeps "
                                                          "that order by itself; name a typed date"))
    return problems


def build(data: dict[str, Any], label: Any) -> DateRules:
    """The DateRules of a definition that check_definition found sound (`label` makes a Label from a dict)."""
    future = frozenset((trigger, name) for _where, trigger, spec in _steps(data)
                       for name, f in spec["payload"].items() if f.get("future") == "allowed")
    side_labels: dict[str, Label] = {}  # "<trigger>.<field>" (the step that recorded it), else "<key>.<field>"
    for _where, trigger, spec in _steps(data):
        key = _record_key(spec)
        if not key:
            continue
        step = label(spec["label"])
        names = {ENTRY_DATE: label({"zh": f"{step.zh}的办理日期", "en": f"the day '{step.en}' was entered"})}
        for name, f in spec["payload"].items():
            if f["type"] == "date":
                names[name] = label({"zh": f"{step.zh}的{f['label']['zh']}", "en": f"{f['label']['en']} ({step.en})"})
        for name, text in names.items():
            side_labels[f"{trigger}.{name}"] = text
            side_labels.setdefault(f"{key}.{name}", text)
    block = data.get("typed_dates") or {}
    pairs = []
    for name, p in block.get("order", {}).items():
        earlier, later = (Side(*p[end].split(".", 1)) for end in ("earlier", "later"))
        pairs.append(Pair(name, earlier, later, p["basis"], label(p["label"])))
    return DateRules(block.get("basis", ""), tuple(pairs), future, side_labels)


# ---------------------------------------------------------------- the engine's side


def date_fields(transition: Transition) -> list[str]:
    return [f.name for f in transition.payload if f.type == "date"]


def form_fields(transition: Transition) -> tuple[FieldSpec, ...]:
    """The fields a form of the step offers: its own, and the late-entry reason where it has a date field."""
    if not date_fields(transition):
        return transition.payload
    reason = FieldSpec(REASON_FIELD, "text", Label("补录理由", "Reason for a late entry"), max_length=REASON_MAX,
                       help="所填日期早于今天超过本单位规定天数的（补录），须说明理由")
    return (*transition.payload, reason)


def split_reason(transition: Transition, raw: Any) -> tuple[Any, Any]:
    """The payload without the generic late-entry reason, and that reason (None if not given). Only a step
    with a date field takes the reason; on any other step it stays in and is refused as an unknown field."""
    if not isinstance(raw, dict) or REASON_FIELD not in raw or not date_fields(transition):
        return raw, None
    rest = {k: v for k, v in raw.items() if k != REASON_FIELD}
    return rest, raw[REASON_FIELD]


def reason_problems(reason: Any) -> list[dict[str, str]]:
    """What is wrong with a stated late-entry reason, as load_payload reports a field's problems."""
    if reason is None:
        return []
    text = reason.strip() if isinstance(reason, str) else None
    if text is None or not REASON_MIN <= len(text) <= REASON_MAX:
        return [{"field": REASON_FIELD, "zh": f"「补录理由」：应为{REASON_MIN}到{REASON_MAX}个字的文字",
                 "en": f"late-entry reason: must be text of {REASON_MIN}–{REASON_MAX} characters"}]
    return []


def with_reason(clean: dict[str, Any], reason: Any) -> dict[str, Any]:
    return {**clean, REASON_FIELD: reason.strip()} if isinstance(reason, str) and reason.strip() else clean


def late_limit(settings: Mapping[str, Any]) -> int | None:
    """records.late_entry_days, if the organisation has set a usable value."""
    days = settings.get(LATE_ENTRY_DAYS)
    return days if isinstance(days, int) and not isinstance(days, bool) and days >= 0 else None


def late_dates(transition: Transition, payload: Mapping[str, Any], today: date, limit: int | None) -> dict[str, str]:
    """The typed dates of the step that lie more than `limit` days before `today` (field -> ISO date)."""
    if limit is None:
        return {}
    out = {}
    for name in date_fields(transition):
        day = _day(payload.get(name))
        if day is not None and (today - day).days > limit:
            out[name] = day.isoformat()
    return out


def problems(procedure: Procedure, transition: Transition, data: Mapping[str, Any], payload: Mapping[str, Any],
             today: date, settings: Mapping[str, Any]) -> list[Problem]:
    """Every typed-date rule the step breaks: future dates, pairs out of order, a late entry with no reason."""
    rules = procedure.dates
    basis = rules.basis or transition.basis
    labels = {f.name: f.label for f in transition.payload}
    found: list[Problem] = []
    for name in date_fields(transition):
        day = _day(payload.get(name))
        if day is not None and day > today and (transition.trigger, name) not in rules.future_allowed:
            label = labels[name]
            found.append(Problem(
                "date_in_future",
                f"「{label.zh}」填写为{day.isoformat()}，晚于录入之日{today.isoformat()}：已发生的事项不得填写将来的日期",
                f"{label.en} is {day.isoformat()}, after the day it is entered ({today.isoformat()}): "
                "a date of something done may not lie in the future", basis, name))
    found.extend(_order_problems(rules, transition, data, payload, today))
    limit = late_limit(settings) if _has_past(transition, payload, today) else None  # read only if needed
    late = late_dates(transition, payload, today, limit)
    if late and not payload.get(REASON_FIELD):
        named = "、".join(f"「{labels[n].zh}」{d}" for n, d in late.items())
        named_en = ", ".join(f"{labels[n].en} {d}" for n, d in late.items())
        found.append(Problem(
            "late_entry_reason_required",
            f"{named}早于录入之日{today.isoformat()}超过{limit}日，属于补录：须填写补录理由",
            f"{named_en}: more than {limit} days before the day it is entered ({today.isoformat()}), so this is "
            "a late entry: state why it is entered late (late_entry_reason)", basis, REASON_FIELD))
    return found


def _order_problems(rules: DateRules, transition: Transition, data: Mapping[str, Any],
                    payload: Mapping[str, Any], today: date) -> list[Problem]:
    own_key = transition.record.key if transition.record and transition.record.mode != "update" else None
    if own_key is None:
        return []
    own = {**payload, ENTRY_DATE: today.isoformat()}
    found = []
    for pair in rules.pairs:
        if own_key not in (pair.earlier.key, pair.later.key):
            continue
        first = _value(pair.earlier, own_key, own, data, max)
        second = _value(pair.later, own_key, own, data, min)
        if first is None or second is None or first <= second:
            continue
        a = _side_label(rules, pair.earlier, own_key, transition.trigger, data)
        b = _side_label(rules, pair.later, own_key, transition.trigger, data)
        a_zh, a_en = (a.zh, a.en) if a else (pair.earlier.ref, pair.earlier.ref)
        b_zh, b_en = (b.zh, b.en) if b else (pair.later.ref, pair.later.ref)
        where = pair.later.field if pair.later.key == own_key else pair.earlier.field
        found.append(Problem(
            f"date_order:{pair.name}",
            f"{pair.label.zh}：「{a_zh}」为{first.isoformat()}，「{b_zh}」为{second.isoformat()}，"
            f"后者不得早于前者",
            f"{pair.label.en}: {a_en} is {first.isoformat()} but {b_en} is {second.isoformat()}, "
            "which may not be earlier", pair.basis, where if where != ENTRY_DATE else ""))
    return found


def _side_label(rules: DateRules, side: Side, own_key: str, trigger: str, data: Mapping[str, Any]) -> Label | None:
    """How a refusal names a side: by the step that recorded it (this one, or the one the case data names)."""
    if side.key != own_key:
        stored = data.get(side.key)
        stored = stored[-1] if isinstance(stored, list) and stored else stored
        trigger = stored.get("trigger", "") if isinstance(stored, Mapping) else ""
    return rules.side_labels.get(f"{trigger}.{side.field}") or rules.side_labels.get(side.ref)


def _value(side: Side, own_key: str, own: Mapping[str, Any], data: Mapping[str, Any], pick: Any) -> date | None:
    """The date a side names: the step's own when it records under the side's key, else the case's record
    (of a list, the date every item must respect: the latest for an earlier side, the first for a later)."""
    if side.key == own_key:
        return _day(own.get(side.field))
    stored = data.get(side.key)
    items = stored if isinstance(stored, list) else [stored]
    days = [d for d in (_day(i.get(side.field)) for i in items if isinstance(i, Mapping)) if d is not None]
    return pick(days) if days else None


def mark(transition: Transition, payload: dict[str, Any], today: date, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The payload to record: a late entry carries `late_entry` {fields, entered_on, limit_days}."""
    limit = late_limit(settings) if _has_past(transition, payload, today) else None
    late = late_dates(transition, payload, today, limit)
    if not late:
        return payload
    return {**payload, MARK: {"fields": late, "entered_on": today.isoformat(), "limit_days": limit}}


def verdict_marks(payload: Mapping[str, Any], end_from: str | None) -> dict[str, Any]:
    """What a timeliness verdict adds when the date it is judged by was entered late: never a plain on time."""
    late = payload.get(MARK)
    if not end_from or not isinstance(late, Mapping) or end_from not in (late.get("fields") or {}):
        return {}
    return {"late_entry": True, "recorded_on": late.get("entered_on")}


def _has_past(transition: Transition, payload: Mapping[str, Any], today: date) -> bool:
    return any((d := _day(payload.get(n))) is not None and d < today for n in date_fields(transition))


def is_late_entry(item: Any) -> bool:
    return isinstance(item, Mapping) and isinstance(item.get(MARK), Mapping)


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None
