"""The `observances:` block of a definition: the fixed days and months of the 宣传日（月） an activity may be held
for (legal-facts §10 row 25, common knowledge [U]), as data, so that a new observance is a line of YAML."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import RAISE, Schema, fields, validate

from workflow.definition_blocks import Block


class _DaySchema(Schema):
    class Meta:
        unknown = RAISE

    month = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=12))
    day = fields.Integer(strict=True, validate=validate.Range(min=1, max=31))


class ObservancesSchema(Schema):
    class Meta:
        unknown = RAISE

    note = fields.String(required=True, validate=validate.Length(min=1))
    days = fields.Dict(keys=fields.String(), values=fields.Nested(_DaySchema), required=True)


@dataclass(frozen=True)
class Observances:
    note: str
    days: Mapping[str, tuple[int, int | None]]  # occasion value -> (month, day or None for a whole month)


def _build(raw: Mapping[str, Any]) -> Observances:
    return Observances(raw["note"], {k: (v["month"], v.get("day")) for k, v in raw["days"].items()})


def _check(data: Mapping[str, Any], choices_of: Mapping[str, set[str]]) -> list[tuple[str, str]]:
    occasion = data["create"]["payload"].get("occasion") or {}
    known = {c["value"] for c in occasion.get("choices") or ()}
    return [(f"observances.days.{k}", f"{k!r} is not a choice of the create step's occasion")
            for k in data["observances"]["days"] if k not in known]


BLOCKS = {"observances": Block(ObservancesSchema, _build, _check)}
