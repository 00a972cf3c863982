"""A case addressed to another organisation (issue 14 item 2): the steps one organisation takes on another's case.

A procedure of the supervising level (行政执法监督, 《行政执法监督条例》第二条: 县级以上人民政府对下级人民政府的
行政执法工作开展监督) is opened at the district, for one town below it, and the town answers in it. The definition
says so, and nothing in the engine or web/ knows the procedure:

    addressee:
      field: town                               # the create step's field holding the organisation's id
      label: {zh: 被监督单位, en: Supervised organisation}
      basis: 行政执法监督条例第二条
    transitions:
      - trigger: submit_rectification
        acted_by: addressee                     # taken by users of the addressed organisation, in the step's roles

A step marked `acted_by: addressee` is authorised only for users of the addressed organisation holding one of the
step's roles; every other step only for the case's own organisation, as before. The addressed organisation must be
below the case's (workflow/org_tree.py), which the engine checks when the case is opened. Its id is kept on the
case row (case_file.addressee_org_id, migration 0021), so that lists, the to-do list and the audit pages find the
case for the addressed organisation in SQL, alike on SQLite and PostgreSQL; it is the create event's payload field,
so replay and the verifier derive nothing new from it.

This module is the loader's (schema, meaning checks, built value) and the engine's (who acts where); it imports
neither the database nor a family.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from marshmallow import RAISE, Schema, fields, validate

from workflow.labels import Label
from workflow.payloads import LabelSchema

ADDRESSEE = "addressee"  # the one value of a step's `acted_by:`


class ConcernsDef(Schema):
    class Meta:
        unknown = RAISE

    path = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$"))
    label = fields.Nested(LabelSchema, required=True)
    summary = fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_]*$"))


class AddresseeDef(Schema):
    class Meta:
        unknown = RAISE

    field = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]*$"))
    label = fields.Nested(LabelSchema, required=True)
    basis = fields.String(required=True, validate=validate.Length(min=1))
    concerns = fields.Nested(ConcernsDef)


ACTED_BY = fields.String(validate=validate.OneOf((ADDRESSEE,), error="must be one of: {choices}"))


@dataclass(frozen=True)
class Concerns:
    """The addressed organisation's cases the case is about (`<record key>.<field>`, a list of case numbers): each
    of them shows this case on its page (workflow/concerning.py), with what the family block named `summary`
    says of it (its `summary(data, case_id, settings)`, e.g. the score a reviewed file was given)."""

    path: str
    label: Label
    summary: str | None


@dataclass(frozen=True)
class Addressee:
    field: str  # the create payload's field that holds the addressed organisation's id
    label: Label
    basis: str
    concerns: Concerns | None = None


def build(block: Mapping[str, Any] | None) -> Addressee | None:
    if not block:
        return None
    about = block.get("concerns")
    concerns = Concerns(about["path"], Label(about["label"]["zh"], about["label"]["en"]), about.get("summary")) \
        if about else None
    return Addressee(block["field"], Label(block["label"]["zh"], block["label"]["en"]), block["basis"], concerns)


def check_definition(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The block names a required string field of the create step; `acted_by` appears only where it is given,
    never on a step the system takes, and never on every step (the case's own organisation must act somewhere)."""
    block = data.get("addressee")
    marked = [i for i, t in enumerate(data["transitions"]) if t.get("acted_by")]
    if block is None:
        return [(f"transitions.{i}.acted_by", "the file gives no 'addressee:' block to act as") for i in marked]
    problems: list[tuple[str, str]] = []
    spec = data["create"]["payload"].get(block["field"])
    if spec is None:
        problems.append(("addressee.field", f"{block['field']!r} is not a field of the create step"))
    elif spec["type"] not in ("string", "choice") or not spec.get("required"):
        problems.append(("addressee.field", f"{block['field']!r} must be a required string or choice field"))
    about = block.get("concerns")
    if about:
        key, name = about["path"].split(".")
        lists = [t for t in data["transitions"] if (t.get("record") or {}).get("set") == key
                 and (t["payload"].get(name) or {}).get("type") == "string_list"]
        if not lists:
            problems.append(("addressee.concerns.path", f"no step records a list of case numbers at {about['path']!r}"))
        if about.get("summary") and data.get(about["summary"]) is None:
            problems.append(("addressee.concerns.summary", f"the file gives no {about['summary']!r} block"))
    for i in marked:
        if data["transitions"][i].get("system"):
            problems.append((f"transitions.{i}.acted_by", "a system step is taken by the case's own organisation"))
    if marked and len(marked) == len(data["transitions"]):
        problems.append(("addressee", "every step is the addressee's: the case's own organisation takes none"))
    return problems


class _Case(Protocol):
    org_id: str

    @property
    def addressee_org_id(self) -> str | None: ...


class _Step(Protocol):
    @property
    def acted_by(self) -> str | None: ...


def acting_org(step: _Step, case: _Case) -> str | None:
    """The organisation whose users take `step` on `case`: the addressed one for an `acted_by: addressee` step
    (None when the case names none), else the case's own."""
    if step.acted_by == ADDRESSEE:
        return case.addressee_org_id
    return case.org_id


def involves(case: _Case, org_id: str) -> bool:
    """Whether users of `org_id` may take some step of the case (its own organisation, or the addressed one)."""
    return org_id == case.org_id or (case.addressee_org_id is not None and org_id == case.addressee_org_id)
