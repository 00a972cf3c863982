"""A procedure that is a register (台账), as its definition declares it (`register:`): which fields are the list's
columns, whether the town may import it from a spreadsheet, which date puts an entry in a year, and a guideline per
group of entries shown as a warning.

    register:
      entry: entry                 # the record key the create step and the corrections write (record: {set: entry})
      date: entry.held_on          # the date that puts an entry in a year
      columns: [held_on, theme, occasion, audience]   # fields of the create step shown in the list and exported
      importable: true             # the town may import its spreadsheet (workflow/register_io.py)
      excluded_states: [withdrawn] # entries in these states are not listed (entered in error, withdrawn)
      per_group:                   # a guideline per group of entries, shown as a warning, never a refusal
        field: village
        min: 3
        where: {legal_understanding: true}
        label: {zh: ..., en: ...}
        basis: 乡村"法律明白人"培养工作规范（试行）（2021）

What a register counts for a year (activities, materials, people on the roster at its end, a success rate) is the
definition's `figures:` block, as for every procedure (workflow/figure_specs.py, workflow/figures.py): the register
page, `lawflow register figures`, the figures page and the annual report read the same figures. The engine never
reads this block: it changes no rule and no record, so a deployed definition may gain it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as _default
from typing import Any

from marshmallow import RAISE, Schema, fields, validate

from workflow.labels import Label
from workflow.payloads import LabelSchema

IDENT = validate.Regexp(r"^[a-z][a-z0-9_]*$", error="must be a lower-case identifier (a-z, 0-9, _)")
PATH = validate.Regexp(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$", error="must be <record key>.<field>")
Scalar = str | bool | int


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class PerGroupDef(_Strict):
    field = fields.String(required=True, validate=IDENT)
    min = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    where = fields.Dict(keys=fields.String(validate=IDENT), values=fields.Raw())
    label = fields.Nested(LabelSchema, required=True)
    basis = fields.String(required=True, validate=validate.Length(min=1))
    until = fields.String(validate=PATH)


class RegisterDef(_Strict):
    entry = fields.String(required=True, validate=IDENT)
    date = fields.String(required=True, validate=PATH)
    columns = fields.List(fields.String(validate=IDENT), required=True, validate=validate.Length(min=1))
    importable = fields.Boolean(load_default=False)
    excluded_states = fields.List(fields.String(validate=IDENT), load_default=list)
    per_group = fields.Nested(PerGroupDef)


@dataclass(frozen=True)
class PerGroup:
    field: str
    min: int
    label: Label
    basis: str
    where: Mapping[str, Scalar] = _default(default_factory=dict)
    until: str = ""  # entries in force at the end of the year: not ended (this path's day) by then


@dataclass(frozen=True)
class Register:
    entry: str
    date: str
    columns: tuple[str, ...]
    importable: bool
    excluded_states: tuple[str, ...]
    per_group: PerGroup | None = None


def _label(d: Mapping[str, str]) -> Label:
    return Label(zh=d["zh"], en=d["en"])


def build(block: Mapping[str, Any] | None) -> Register | None:
    if not block:
        return None
    group = block.get("per_group")
    return Register(
        block["entry"], block["date"], tuple(block["columns"]), block["importable"], tuple(block["excluded_states"]),
        PerGroup(group["field"], group["min"], _label(group["label"]), group["basis"], dict(group.get("where") or {}),
                 group.get("until", "")) if group else None)


def check_definition(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What the block must agree with in the file: the entry key is where the create step records; columns, sums
    and conditions name fields of the create step; dates name date fields a step records; states exist."""
    block = data.get("register")
    if not block:
        return []
    create = data["create"]
    own = create["payload"]
    problems: list[tuple[str, str]] = []
    if (create.get("record") or {}).get("set") != block["entry"]:
        problems.append(("register.entry", f"the create step must record under it (record: {{set: {block['entry']}}})"))
    dates = {f"{key}.{name}" for key, name, spec in _recorded(data) if spec["type"] == "date"}
    for i, column in enumerate(block["columns"]):
        if column not in own:
            problems.append((f"register.columns.{i}", f"{column!r} is not a field of the create step"))
    for state in block["excluded_states"]:
        if state not in data["states"]:
            problems.append(("register.excluded_states", f"{state!r} is not a state of the procedure"))

    def date_path(where: str, path: str) -> None:
        if path not in dates:
            problems.append((where, f"{path!r} is not a date field any step records"))

    def conditions(where: str, cond: Mapping[str, Any]) -> None:
        for name, value in cond.items():
            if name not in own:
                problems.append((f"{where}.{name}", f"{name!r} is not a field of the create step"))
            elif not isinstance(value, str | bool | int):
                problems.append((f"{where}.{name}", "must be text, a whole number or true/false"))

    date_path("register.date", block["date"])
    group = block.get("per_group")
    if group:
        if group["field"] not in own:
            problems.append(("register.per_group.field", f"{group['field']!r} is not a field of the create step"))
        conditions("register.per_group.where", group.get("where") or {})
        if group.get("until"):
            date_path("register.per_group.until", group["until"])
    return problems


def _recorded(data: Mapping[str, Any]) -> list[tuple[str, str, Mapping[str, Any]]]:
    out = []
    for spec in [data["create"], *data["transitions"]]:
        record = spec.get("record") or {}
        key = next((record[m] for m in ("set", "append") if m in record), None)
        if key is not None:
            out.extend((key, name, f) for name, f in spec["payload"].items())
    return out
