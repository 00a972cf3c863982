"""The scoring sheet (评查评分表) as data: definitions/scoring/<sheet>.v<version>.yaml, validated on load with file,
path and reason like a definition; a review names the sheet and version it is scored on in its definition's
`scoring:` block (a family block, workflow/definition_blocks.py), so a new sheet never changes a running review.

Also the arithmetic of a review, shared by the guards, the read model and the demo: parsing a score line, the total,
the grade (the organisation's thresholds), and the random draw an auditor repeats from the recorded seed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from workflow.definition_blocks import Block
from workflow.labels import Label
from workflow.options_from import FormLine
from workflow.payloads import LabelSchema
from workflow.procedures.enforcement_supervision.law import GRADE_EXCELLENT, GRADE_PASS
from workflow.random_draw import draw  # noqa: F401 - the review's draw (law.DRAW_ALGORITHM), shared with the page

SHEETS_DIR = Path(__file__).resolve().parents[3] / "definitions" / "scoring"
IDENT = validate.Regexp(r"^[a-z][a-z0-9_]*$", error="must be a lower-case identifier (a-z, 0-9, _)")
# One line of a case's scores: <item id or its Chinese name>=<points>, then the reason for a deduction.
SCORE_LINE = re.compile(r"^\s*(?P<item>[^=＝\s]+)\s*[=＝]\s*(?P<points>-?\d+)\s*[，,；;:：]?\s*(?P<reason>.*?)\s*$")


class SheetError(ValueError):
    def __init__(self, file: str, problems: list[tuple[str, str]]):
        self.file, self.problems = file, problems
        super().__init__("\n".join(f"{file}: {path or '(top)'}: {reason}" for path, reason in problems))


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class ItemDef(_Strict):
    id = fields.String(required=True, validate=IDENT)
    label = fields.Nested(LabelSchema, required=True)
    max = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100))
    checks = fields.String(required=True, validate=validate.Length(min=1))


class SheetDef(_Strict):
    sheet = fields.String(required=True, validate=IDENT)
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    label = fields.Nested(LabelSchema, required=True)
    source = fields.String(required=True, validate=validate.Length(min=1))
    procedure = fields.String(required=True, validate=IDENT)
    closed_states = fields.List(fields.String(validate=IDENT), required=True, validate=validate.Length(min=1))
    closed_on = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$"))
    items = fields.List(fields.Nested(ItemDef), required=True, validate=validate.Length(min=1))


@dataclass(frozen=True)
class Item:
    id: str
    label: Label
    max: int
    checks: str


@dataclass(frozen=True)
class Score:
    item: Item
    points: int
    reason: str


@dataclass(frozen=True)
class Sheet:
    sheet: str
    version: int
    label: Label
    source: str
    procedure: str
    closed_states: tuple[str, ...]
    closed_on: str  # <record key>.<field> of the reviewed case: the day it was closed
    items: tuple[Item, ...]

    @property
    def ref(self) -> str:
        return f"{self.sheet}@{self.version}"

    @property
    def maximum(self) -> int:
        return sum(i.max for i in self.items)

    def form_lines(self) -> tuple[FormLine, ...]:
        """The sheet's items as a form asks them (options_from: {lines_of: scoring}): one points and reason each."""
        return tuple(FormLine(i.id, i.label, i.max, i.checks) for i in self.items)

    def line(self, item: str, points: str, reason: str) -> str:
        """An item's score line as SCORE_LINE reads it: `<item>=<points> <reason>` (the reason may be empty)."""
        return f"{item}={points.strip()} {reason.strip()}".strip()

    def item(self, name: str) -> Item | None:
        return next((i for i in self.items if name in (i.id, i.label.zh)), None)

    def closed_day(self, data: Mapping[str, Any]) -> str | None:
        key, name = self.closed_on.split(".")
        value = (data.get(key) or {}).get(name) if isinstance(data.get(key), Mapping) else None
        return str(value) if value else None

    def summary(self, data: Mapping[str, Any], case_id: str, settings: Mapping[str, Any]) -> Label | None:
        """The line a reviewed case shows of its review (workflow/addressee.py `concerns:`): its total and grade once
        scored, else None."""
        scored = scores_of(data).get(case_id)
        if scored is None:
            return None
        total = sum(s.points for s in self.parse(scored)[0])
        grade = grade_of(total, settings)
        return Label(f"评查得分{total}分（满分{self.maximum}分）{('，' + grade.zh) if grade else ''}",
                     f"scored {total} of {self.maximum}{(', ' + grade.en) if grade else ''}")

    def parse(self, lines: Sequence[str]) -> tuple[list[Score], list[tuple[str, str]]]:
        """The scores of a case's lines, and the problems (zh, en) of those that are not a score of an item."""
        scores: list[Score] = []
        problems: list[tuple[str, str]] = []
        for line in lines:
            match = SCORE_LINE.match(line)
            item = self.item(match["item"]) if match else None
            if match is None or item is None:
                problems.append((f"「{line}」不是“评查项目=得分 扣分理由”的格式或评查项目不存在",
                                 f"{line!r} is not '<item>=<points> <reason>' of an item of the sheet"))
                continue
            scores.append(Score(item, int(match["points"]), match["reason"]))
        return scores, problems


def scores_of(data: Mapping[str, Any]) -> dict[str, list[str]]:
    """The recorded score lines of a review, by sampled case."""
    return {str(s.get("case_id")): list(s.get("scores") or []) for s in data.get("scores") or []
            if isinstance(s, Mapping)}


@dataclass(frozen=True)
class Grade:
    zh: str
    en: str


def grade_of(total: int, settings: Mapping[str, Any]) -> Grade | None:
    """优秀 / 合格 / 不合格 by the organisation's thresholds (None while they are not set)."""
    excellent, passing = settings.get(GRADE_EXCELLENT), settings.get(GRADE_PASS)
    if excellent is None or passing is None:
        return None
    if total >= int(excellent):
        return Grade("优秀", "excellent")
    if total >= int(passing):
        return Grade("合格", "passed")
    return Grade("不合格", "failed")


@functools.lru_cache(maxsize=16)
def load(sheet: str, version: int, directory: Path = SHEETS_DIR) -> Sheet:
    path = directory / f"{sheet}.v{version}.yaml"
    name = str(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SheetError(name, [("", f"cannot read the file: {exc.strerror}")]) from None
    except yaml.YAMLError as exc:
        raise SheetError(name, [("", f"not valid YAML: {exc}")]) from None
    try:
        data = SheetDef().load(raw if isinstance(raw, dict) else {})
    except ValidationError as exc:
        raise SheetError(name, list(_flatten(exc.messages))) from None
    problems = []
    if (data["sheet"], data["version"]) != (sheet, version):
        problems.append(("version", f"the file says {data['sheet']} v{data['version']}, its name {sheet} v{version}"))
    seen: set[str] = set()
    for i, item in enumerate(data["items"]):
        for key in (item["id"], item["label"]["zh"]):
            if key in seen:
                problems.append((f"items.{i}", f"{key!r} names two items"))
            seen.add(key)
    if problems:
        raise SheetError(name, problems)
    return Sheet(data["sheet"], data["version"], Label(data["label"]["zh"], data["label"]["en"]), data["source"],
                 data["procedure"], tuple(data["closed_states"]), data["closed_on"],
                 tuple(Item(i["id"], Label(i["label"]["zh"], i["label"]["en"]), i["max"], i["checks"])
                       for i in data["items"]))


def _flatten(messages: Any, prefix: str = "") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            key = "" if key in ("_schema", "value") else str(key)
            out.extend(_flatten(value, f"{prefix}.{key}".strip(".") if key else prefix))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        out.extend((prefix, m) for m in messages)
    elif isinstance(messages, list):
        for m in messages:
            out.extend(_flatten(m, prefix))
    else:
        out.append((prefix, str(messages)))
    return out


# ---------------------------------------------------------------- the definition's `scoring:` block


class ScoringDef(_Strict):
    sheet = fields.String(required=True, validate=IDENT)
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


def _check(data: dict[str, Any], _choices_of: Any) -> list[tuple[str, str]]:
    spec = data["scoring"]
    try:
        sheet = load(spec["sheet"], spec["version"])
    except SheetError as exc:
        return [("scoring", f"{exc.file}: {path or '(top)'}: {reason}") for path, reason in exc.problems]
    reviewed = data["create"]["payload"].get("reviewed_procedure")
    values = {c["value"] for c in (reviewed or {}).get("choices") or []}
    if reviewed is None or values != {sheet.procedure}:
        return [("scoring", f"the create step's 'reviewed_procedure' must be a choice of {sheet.procedure!r}, the "
                            f"procedure the sheet {sheet.ref} reviews")]
    return []


BLOCKS = {"scoring": Block(ScoringDef, lambda raw: load(raw["sheet"], raw["version"]), _check)}
