"""Payload fields of a transition, and the marshmallow schema built from them.

The loaded payload is dumped back to JSON-safe values (dates as ISO strings, decimals as strings): that is
what the audit event hashes, so it must stay inside the canonical profile (no floats).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

if TYPE_CHECKING:
    from workflow.definitions import Label

FIELD_TYPES = ("string", "text", "integer", "boolean", "date", "choice", "string_list", "decimal")
DEFAULT_MAX = {"string": 200, "text": 20000, "string_list": 200}

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
}


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    label: Label
    required: bool = False
    choices: tuple[tuple[str, Label], ...] = ()
    min_length: int | None = None
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    help: str = ""


def _length(spec: FieldSpec) -> validate.Validator:
    low = spec.min_length if spec.min_length is not None else (1 if spec.required else 0)
    high = spec.max_length or DEFAULT_MAX.get(spec.type, 200)
    return validate.Length(min=low, max=high, error=f"长度应在{low}到{high}之间 / length must be {low}–{high}")


def _field(spec: FieldSpec) -> fields.Field:
    common: dict[str, Any] = {"required": spec.required, "allow_none": not spec.required}
    if spec.type in ("string", "text"):
        return fields.String(validate=_length(spec), **common)
    if spec.type == "integer":
        if spec.minimum is None and spec.maximum is None:
            return fields.Integer(strict=True, **common)
        low = "" if spec.minimum is None else spec.minimum
        high = "" if spec.maximum is None else spec.maximum
        rng = validate.Range(min=spec.minimum, max=spec.maximum,
                             error=f"应在{low}～{high}范围内 / must be within {low}–{high}")
        return fields.Integer(strict=True, validate=rng, **common)
    if spec.type == "boolean":
        return fields.Boolean(**common)
    if spec.type == "date":
        return fields.Date(**common)
    if spec.type == "choice":
        values = [v for v, _ in spec.choices]
        names = "、".join(f"{v}（{label.zh}）" for v, label in spec.choices)
        return fields.String(validate=validate.OneOf(values, error=f"应为以下之一：{names}"), **common)
    if spec.type == "string_list":
        inner = fields.String(validate=validate.Length(min=1, max=spec.max_length or 200))
        count = validate.Length(min=1 if spec.required else 0, error="至少填写一项 / at least one item")
        return fields.List(inner, validate=count, **common)
    if spec.type == "decimal":
        return fields.Decimal(as_string=True, places=None, allow_nan=False, **common)
    raise ValueError(f"unknown field type {spec.type!r}")


def build_payload_schema(specs: tuple[FieldSpec, ...]) -> Schema:
    cls = Schema.from_dict({s.name: _field(s) for s in specs}, name="PayloadSchema")
    return cls(unknown=RAISE)


def load_payload(schema: Schema, specs: tuple[FieldSpec, ...], raw: Any) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """Validate `raw`; return (JSON-safe payload, []) or ({}, problems) with one problem per field."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        return {}, [{"field": "", "zh": "提交的数据应为键值对象", "en": "the payload must be an object"}]
    try:
        loaded = schema.load(raw)
    except ValidationError as exc:
        labels = {s.name: s.label for s in specs}
        problems = []
        for name, messages in _field_messages(exc.messages):
            label = labels.get(name.split(".")[0])
            for en in messages:
                zh = MESSAGES_ZH.get(en, en)
                if " / " in en:  # our own validators speak both languages: "中文 / English"
                    zh, en = en.split(" / ", 1)
                problems.append({
                    "field": name,
                    "zh": f"「{label.zh if label else name}」：{zh}",
                    "en": f"{label.en if label else name}: {en}",
                })
        return {}, problems
    dumped = schema.dump({k: v for k, v in loaded.items() if v is not None})
    return {k: v for k, v in dumped.items() if v is not None}, []


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
