"""A payload field required only when a choice field of the same step has one of some values.

    amount: {type: decimal, required_when: {field: penalty_type, in: [fine, confiscation]}}

The shape is the documents' `when:` (definitions/documents/*.yaml: a content item shown only for some values),
so one schema serves both. Checked on load here (the controlling field exists, is a choice field, the values are
among its choices, the field does not control itself); enforced by the payload validation
(workflow/payloads.py, the one place that checks `required`); shown in the form by web/forms.py and
web/static/required-when.js, which the engine's check stays the authority over.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import RAISE, Schema, fields, validate


class WhenSchema(Schema):
    """`{field: <a choice field>, in: [<its values>]}`."""

    class Meta:
        unknown = RAISE

    field = fields.String(required=True)
    in_ = fields.List(fields.String(), required=True, data_key="in", validate=validate.Length(min=1))


@dataclass(frozen=True)
class RequiredWhen:
    field: str
    values: tuple[str, ...]

    def applies(self, values: Mapping[str, Any]) -> bool:
        """Is the controlling field, as submitted, one of the values?"""
        return values.get(self.field) in self.values


def from_definition(spec: Mapping[str, Any] | None) -> RequiredWhen | None:
    return RequiredWhen(spec["field"], tuple(spec["in_"])) if spec else None


def given(value: Any) -> bool:
    """A value counts as given unless absent, null, an empty text or an empty list (what a blank input sends)."""
    return value is not None and value != "" and value != []


def definition_problems(where: str, payload: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(path, reason) for each `required_when:` of a step's payload that cannot mean what it says."""
    problems: list[tuple[str, str]] = []
    for name, spec in payload.items():
        rule = spec.get("required_when")
        if not rule:
            continue
        at = f"{where}.payload.{name}.required_when"
        other = rule["field"]
        if spec.get("required"):
            problems.append((at, "the field is `required: true` already: drop one of `required` and `required_when`"))
        if other == name:
            problems.append((f"{at}.field", "a field cannot be required depending on its own value"))
        elif other not in payload:
            problems.append((f"{at}.field", f"{other!r} is not a payload field of this step"))
        elif payload[other]["type"] != "choice":
            problems.append((f"{at}.field", f"{other!r} is a {payload[other]['type']} field; required_when "
                                            "needs a choice field"))
        else:
            known = [c["value"] for c in payload[other].get("choices", [])]
            problems.extend((f"{at}.in.{j}", f"{value!r} is not among the choices of {other!r} ({', '.join(known)})")
                            for j, value in enumerate(rule["in_"]) if value not in known)
    return problems
