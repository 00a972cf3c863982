"""What the OpenAPI document learns from the loaded definitions, at app start (issue 17 item 5), so that a client
generated from it has types, not strings:

* enums for `state`, `procedure` and `trigger` where the document names them (the schemas' fields and the path
  parameters), each the union over the loaded procedures (a case's state is one of some procedure's states);
* each step's payload as its own schema component, `Payload_<procedure>_<version>_<trigger>` (e.g.
  `Payload_major_decision_2_start`), generated from the definition's fields by the same marshmallow schema the
  engine validates with (workflow/payloads.py), and named on the step in GET /definitions (`payload_schema`);
* a refusal reason's `code` as one of the codes it knows (the engine's, the definitions' guards) or any string
  (a code that names a deadline or a setting: `minimum_period:<deadline>`);
* a nullable object typed as that object or null: apispec writes a nullable nested schema as
  `anyOf: [<ref>, {type: object, nullable: true}]`, which generators turn into a third, empty model; it becomes
  `allOf: [<ref>], nullable: true` (a deadline's `due` then parses as a date, or None).

"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from web.api.errors import REFUSAL_STATUS
from workflow import typed_dates
from workflow.definitions import Procedure, Registry, Transition
from workflow.payloads import build_payload_schema

# (component, property) -> the kind of name it holds; only non-nullable fields (a generator's enum takes no null)
ENUM_FIELDS = {
    ("Case", "state"): "state", ("CaseDetail", "state"): "state", ("AvailableSteps", "state"): "state",
    ("FireResult", "from_state"): "state", ("FireResult", "to_state"): "state", ("StageRecords", "state"): "state",
    ("Definition", "initial"): "state",
    ("Case", "procedure"): "procedure", ("CaseDetail", "procedure"): "procedure",
    ("CreateCase", "procedure"): "procedure", ("DefinitionSummary", "procedure"): "procedure",
    ("Definition", "procedure"): "procedure",
    ("Step", "trigger"): "trigger", ("FireResult", "trigger"): "trigger", ("AwaitedStep", "trigger"): "trigger",
    ("AvAct", "trigger"): "trigger",
}
ENUM_PARAMETERS = {"procedure": "procedure", "trigger": "trigger"}  # path parameters by name


def payload_name(procedure: Procedure, step: Transition) -> str:
    return f"Payload_{procedure.id}_{procedure.version}_{step.trigger}"


def names(registry: Registry) -> dict[str, list[str]]:
    procedures = list(registry.all())
    return {
        "procedure": sorted({p.id for p in procedures}),
        "state": sorted({s for p in procedures for s in p.states}),
        "trigger": sorted({t.trigger for p in procedures for t in (p.create, *p.transitions)}),
    }


_PAYLOADS: dict[tuple[str, ...], dict[str, dict[str, Any]]] = {}  # the loaded refs -> the components


def payload_components(registry: Registry) -> dict[str, dict[str, Any]]:
    """Each step's payload schema as JSON Schema, converted once per set of loaded definitions (the conversion
    is most of an app's start-up time, and tests start many apps over the same definitions)."""
    key = tuple(sorted(p.ref for p in registry.all()))
    if key not in _PAYLOADS:
        scratch = APISpec("payloads", "1", "3.0.3", plugins=[MarshmallowPlugin()])
        for procedure in registry.all():
            for step in (procedure.create, *procedure.transitions):
                name = payload_name(procedure, step)
                scratch.components.schema(name, schema=build_payload_schema(typed_dates.form_fields(step)))
                component = scratch.components.schemas[name]
                component["description"] = (
                    f"{procedure.id}@{procedure.version} {step.trigger}: {step.label.zh} / {step.label.en}")
                for prop, field in component.get("properties", {}).items():
                    _numeric_bounds(field)
                    if "enum" in field:  # a choice's enum is named <model><title>: "…RecordRemedyOutcomeChoice",
                        field["title"] = f"{prop}_choice"  # never the model of a step named record_remedy_outcome
        _PAYLOADS[key] = dict(scratch.components.schemas)
    return _PAYLOADS[key]


def reason_codes(registry: Registry) -> list[str]:
    """The refusal codes the loaded definitions can give: the engine's, and each guard a step names."""
    guards = {g for p in registry.all() for t in (p.create, *p.transitions) for g in t.guards}
    return sorted(set(REFUSAL_STATUS) | {"invalid_payload"} | guards)


def declare(spec: Any, registry: Registry) -> None:
    """Add the definitions' names and payloads to the document (after every blueprint is registered)."""
    known = names(registry)
    schemas = spec.components.schemas
    for (component, prop), kind in ENUM_FIELDS.items():
        field = schemas.get(component, {}).get("properties", {}).get(prop)
        if field is not None and not field.get("nullable"):
            field["enum"] = known[kind]
    for operations in spec._paths.values():  # apispec keeps the paths here until the document is built
        for parameter in _parameters(operations):
            kind = ENUM_PARAMETERS.get(parameter.get("name", ""))
            if kind is not None and parameter.get("in") == "path":
                parameter["schema"] = {**parameter.get("schema", {}), "enum": known[kind]}
    for name, component in payload_components(registry).items():
        spec.components.schema(name, component=copy.deepcopy(component))
    reason = schemas.get("Reason", {}).get("properties", {})
    if "code" in reason:  # the codes the document knows, and any other string (a code naming a deadline)
        reason["code"] = {"description": "a stable code: the engine's (`stale`, `role_not_allowed`, ...), a guard's "
                                         "name, or `minimum_period:<deadline>`, `setting_missing:<setting>`",
                          "anyOf": [{"type": "string", "title": "known", "enum": reason_codes(registry)},
                                    {"type": "string"}]}
    for schema in list(schemas.values()):
        _typed_nullable(schema)


def _parameters(operations: dict[str, Any]) -> Iterable[dict[str, Any]]:
    for key, value in operations.items():
        if key == "parameters":
            yield from value
        elif isinstance(value, dict):
            yield from value.get("parameters", [])


def _numeric_bounds(field: dict[str, Any]) -> None:
    """A decimal field's bounds (yuan) are written as strings by apispec: the document wants numbers."""
    for bound in ("minimum", "maximum"):
        if isinstance(field.get(bound), str):
            field[bound] = float(field[bound])


NULL_OBJECT = {"type": "object", "nullable": True}


def _typed_nullable(node: Any) -> None:
    """anyOf [<ref>, nullable object] -> allOf [<ref>] nullable, wherever it is in the schema."""
    if isinstance(node, dict):
        one = node.get("anyOf")
        if isinstance(one, list) and len(one) == 2 and one[1] == NULL_OBJECT and "$ref" in one[0]:
            del node["anyOf"]
            node["allOf"], node["nullable"] = [one[0]], True
        for value in node.values():
            _typed_nullable(value)
    elif isinstance(node, list):
        for value in node:
            _typed_nullable(value)
