"""Payload fields of a transition, and the marshmallow schema built from them.

The loaded payload is dumped back to JSON-safe values (dates as ISO strings, decimals as strings): that is
what the audit event hashes, so it must stay inside the canonical profile (no floats).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from workflow import inputs
from workflow.options_from import OptionsFrom
from workflow.required_when import RequiredWhen, given

if TYPE_CHECKING:
    from workflow.definitions import Label

FIELD_TYPES = ("string", "text", "integer", "boolean", "date", "choice", "string_list", "decimal")
DEFAULT_MAX = {"string": 200, "text": 20000, "string_list": 200}  # characters (of each item, for a list)
DEFAULT_MAX_ITEMS = 200  # items of a string_list: officers, attendees, materials, a seizure's list of goods
# Every date a procedure records (a hearing, a service, a record's making) falls in the years lawflow can
# serve: none before 2000 (the oldest law its procedures apply, 行政处罚法 1996, was revised in 2021, and
# the earliest running case starts long after), none past 2099 (the holiday calendar and every period
# computed from the date stay inside the range `datetime.date` can add days to; 9999-12-31 overflowed).
# Whether a date may lie in the future, and in which order dates must come, are rules of the engine.
DATE_WINDOW = (date(2000, 1, 1), date(2099, 12, 31))
# Integers a definition gives no bounds: counts, numbers of days, seconds of a recording; never negative,
# and far inside the audit trail's canonical range (|n| < 2**53).
INTEGER_RANGE = (0, 1_000_000_000)
# Amounts (decimal fields) are yuan with at most 2 decimal places (fen), stored as decimal strings. Where the
# definition declares no bounds: not negative, and at most 10^12 yuan — about fifty times the largest fine
# ever imposed in China (18.2 billion yuan, 2021), so that a slip of the keyboard is refused, not recorded.
DECIMAL_PLACES = 2
DECIMAL_RANGE = (Decimal(0), Decimal(10) ** 12)

# marshmallow's English messages -> Chinese, for what a user sees first.
MESSAGES_ZH = {
    "Missing data for required field.": "必填项未填写",
    "Unknown field.": "未知字段，本步骤不接受该项",
    "Not a valid string.": "应为文本",
    "Not a valid integer.": "应为整数",
    "Not a valid boolean.": "应为是/否",
    "Not a valid date.": "应为日期（YYYY-MM-DD）",
    "Not a valid list.": "应为列表",
    "Not a valid number.": "应为数字",
    "Field may not be null.": "不能为空",
    "Invalid input type.": "输入格式不正确",
    "Special numeric values (nan or infinity) are not permitted.": "应为有限数值",
    "Number too large.": "数值过大",
}


class LabelSchema(Schema):
    """A label in a definition file: Chinese and English, both given (workflow/definitions.py and the blocks
    that definitions.py loads through other modules, e.g. workflow/typed_dates.py)."""

    class Meta:
        unknown = RAISE

    zh = fields.String(required=True, validate=validate.Length(min=1))
    en = fields.String(required=True, validate=validate.Length(min=1))


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    label: Label
    required: bool = False
    choices: tuple[tuple[str, Label], ...] = ()
    min_length: int | None = None
    max_length: int | None = None
    minimum: int | Decimal | None = None  # Decimal for a decimal field
    maximum: int | Decimal | None = None
    help: str = ""
    max_items: int | None = None  # string_list only
    required_when: RequiredWhen | None = None  # required for some values of a choice field (workflow/required_when.py)
    options_from: OptionsFrom | None = None  # a person of the organisation holding a role (workflow/options_from.py)
    prefill_role: str | None = None  # the form offers the signed-in person's name if they hold it (options_from.py)


def _length(spec: FieldSpec) -> validate.Validator:
    low = spec.min_length if spec.min_length is not None else (1 if spec.required else 0)
    high = spec.max_length or DEFAULT_MAX.get(spec.type, 200)
    return validate.Length(min=low, max=high, error=f"长度应在{low}到{high}之间 / length must be {low}–{high}")


def _characters(multiline: bool) -> validate.Validator:
    """Refuse NUL, other control characters (tab and line breaks allowed in multi-line text), direction
    overrides and lone surrogates (workflow/inputs.py says why)."""

    def check(value: str) -> None:
        problem = inputs.text_problem(value, multiline=multiline)
        if problem is not None:
            raise ValidationError(problem.text())

    return check


def _range(low: Any, high: Any, shown: tuple[str, str] | None = None) -> validate.Validator:
    """Between `low` and `high` inclusive; the message shows them as `shown` (default: str())."""
    a, b = shown or (str(low), str(high))
    return validate.Range(min=low, max=high, error=f"应在{a}～{b}范围内 / must be within {a}–{b}")


class Amount(fields.Decimal):
    """A decimal amount: finite, at most DECIMAL_PLACES places (trailing zeros aside: "12.50" is 12.5), kept
    as marshmallow writes it, in plain notation ("1000", never "1E+3")."""

    def __init__(self, **kwargs: Any):
        super().__init__(as_string=True, places=None, allow_nan=False, **kwargs)

    def _validated(self, value: Any) -> Decimal:
        number = super()._validated(value)
        if number is not None and number.is_finite() and number.normalize().as_tuple().exponent < -DECIMAL_PLACES:
            raise ValidationError(f"最多保留{DECIMAL_PLACES}位小数（到分） / at most {DECIMAL_PLACES} decimal places")
        return number


def _field(spec: FieldSpec) -> fields.Field:
    common: dict[str, Any] = {"required": spec.required, "allow_none": not spec.required}
    if spec.type in ("string", "text"):
        return fields.String(validate=[_length(spec), _characters(spec.type == "text")], **common)
    if spec.type == "integer":
        low = INTEGER_RANGE[0] if spec.minimum is None else spec.minimum
        high = INTEGER_RANGE[1] if spec.maximum is None else spec.maximum
        return fields.Integer(strict=True, validate=_range(low, high), **common)
    if spec.type == "boolean":
        return fields.Boolean(**common)
    if spec.type == "date":
        low_date, high_date = DATE_WINDOW
        return fields.Date(validate=_range(low_date, high_date), **common)
    if spec.type == "choice":
        values = [v for v, _ in spec.choices]
        names = "、".join(f"{v}（{label.zh}）" for v, label in spec.choices)
        return fields.String(validate=validate.OneOf(values, error=f"应为以下之一：{names}"), **common)
    if spec.type == "string_list":
        high = spec.max_length or DEFAULT_MAX["string_list"]
        inner = fields.String(validate=[
            validate.Length(min=1, max=high, error=f"每项长度应在1到{high}之间 / each item must be 1–{high} long"),
            _characters(False)])
        most = spec.max_items or DEFAULT_MAX_ITEMS
        count = validate.Length(min=1 if spec.required else 0, error="至少填写一项 / at least one item")
        bound = validate.Length(max=most, error=f"最多填写{most}项 / at most {most} items")
        return fields.List(inner, validate=[count, bound], **common)
    if spec.type == "decimal":
        low = DECIMAL_RANGE[0] if spec.minimum is None else Decimal(spec.minimum)
        high = DECIMAL_RANGE[1] if spec.maximum is None else Decimal(spec.maximum)
        return Amount(validate=_range(low, high, (_plain(low), _plain(high))), **common)
    raise ValueError(f"unknown field type {spec.type!r}")


def _plain(number: Decimal) -> str:
    return format(number, "f")


def build_payload_schema(specs: tuple[FieldSpec, ...]) -> Schema:
    cls = Schema.from_dict({s.name: _field(s) for s in specs}, name="PayloadSchema")
    return cls(unknown=RAISE)


MAX_PROBLEMS = 20  # a refusal names at most this many problems: the audit event stays small, whatever was sent


def load_payload(schema: Schema, specs: tuple[FieldSpec, ...], raw: Any) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """Validate `raw`; return (JSON-safe payload, []) or ({}, problems) with one problem per field."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        return {}, [{"field": "", "zh": "提交的数据应为键值对象", "en": "the payload must be an object"}]
    labels = {s.name: s.label for s in specs}
    problems = _unknown_and_oversized(specs, raw)
    if problems:  # checked before marshmallow reads anything: 100,000 items or keys make one problem each
        known = {k: v for k, v in raw.items() if k in labels and not any(p["field"] == k for p in problems)}
    else:
        known = raw
    try:
        loaded = schema.load(known)
    except ValidationError as exc:
        for name, messages in _field_messages(exc.messages):
            label = labels.get(name.split(".")[0])
            for en in messages:
                zh = MESSAGES_ZH.get(en, en)
                if " / " in en:  # our own validators speak both languages: "中文 / English"
                    zh, en = en.split(" / ", 1)
                problems.append(_problem(name, label, zh, en))
    problems += _required_when_problems(specs, known, {p["field"] for p in problems})
    if problems:
        if len(problems) > MAX_PROBLEMS:
            more = len(problems) - MAX_PROBLEMS + 1
            problems = [*problems[:MAX_PROBLEMS - 1],
                        {"field": "", "zh": f"另有{more}处问题未列出", "en": f"{more} more problems not listed"}]
        return {}, problems
    # Dumped from attributes, not a dict: marshmallow looks a key missing from a dict up as an attribute, and
    # an optional field named like a dict method (items, keys ...) would dump the method.
    dumped = schema.dump(SimpleNamespace(**{k: v for k, v in loaded.items() if v is not None}))
    return {k: v for k, v in dumped.items() if v is not None}, []


def _problem(name: str, label: Label | None, zh: str, en: str) -> dict[str, str]:
    shown = inputs.printable(name, 64)  # a name the sender made up is shown escaped and cut
    return {"field": shown, "zh": f"「{label.zh if label else shown}」：{zh}", "en": f"{label.en if label else shown}: {en}"}


def _required_when_problems(specs: tuple[FieldSpec, ...], raw: dict[Any, Any],
                            flagged: set[str]) -> list[dict[str, str]]:
    """A field left empty although the choice made in its controlling field requires it (`required_when:`);
    a field already refused for another problem is not named twice."""
    by_name = {s.name: s for s in specs}
    problems = []
    for spec in specs:
        rule = spec.required_when
        if rule is None or spec.name in flagged or given(raw.get(spec.name)) or not rule.applies(raw):
            continue
        control = by_name[rule.field]
        names = dict(control.choices)
        zh_values = "、".join(f"「{names[v].zh}」" for v in rule.values)
        en_values = " or ".join(f"'{names[v].en}'" for v in rule.values)
        chosen = names[raw[rule.field]]
        problems.append(_problem(
            spec.name, spec.label,
            f"「{control.label.zh}」为{zh_values}时必填（本次选择「{chosen.zh}」）",
            f"required when {control.label.en} is {en_values} ({chosen.en} was chosen)"))
    return problems


def _unknown_and_oversized(specs: tuple[FieldSpec, ...], raw: dict[Any, Any]) -> list[dict[str, str]]:
    """Fields the step does not take (one problem for all of them), and lists past their number of items."""
    names = {s.name for s in specs}
    unknown = [k for k in raw if k not in names]
    problems = []
    if 0 < len(unknown) <= 5:
        problems += [_problem(str(k), None, MESSAGES_ZH["Unknown field."], "Unknown field.") for k in unknown]
    elif unknown:
        listed = "、".join(inputs.printable(str(k), 40) for k in unknown[:5])
        problems.append({"field": "", "zh": f"未知字段，本步骤不接受：{listed}……（共{len(unknown)}项）",
                         "en": f"unknown fields, this step does not take them: {listed}… ({len(unknown)})"})
    for spec in specs:
        value = raw.get(spec.name)
        most = spec.max_items or DEFAULT_MAX_ITEMS
        if spec.type == "string_list" and isinstance(value, list) and len(value) > most:
            problems.append(_problem(spec.name, spec.label, f"最多填写{most}项（提交了{len(value)}项）",
                                     f"at most {most} items ({len(value)} given)"))
    return problems


def _field_messages(messages: Any, prefix: str = "") -> list[tuple[str, list[str]]]:
    out: list[tuple[str, list[str]]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            out += _field_messages(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        out.append((prefix, list(messages)))
    else:
        out.append((prefix, [str(messages)]))
    return out
