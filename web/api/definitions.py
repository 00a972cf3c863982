"""GET /definitions, /definitions/{procedure}/{version}: the procedures as their definitions state them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask.views import MethodView

from web.api.base import ApiBlueprint
from web.api.contract import payload_name
from web.api.errors import ApiError
from web.api.schemas import DefinitionListSchema, DefinitionSchema
from web.runtime import runtime
from workflow import typed_dates
from workflow.definitions import Procedure, Transition
from workflow.payloads import FieldSpec
from workflow.procedures import guard_label

blp = ApiBlueprint("definitions", __name__, url_prefix="/definitions",
                   description="程序定义（法律即数据）/ Procedure definitions: states, steps, guards with "
                               "their articles, deadlines")


def field_data(spec: FieldSpec) -> dict[str, Any]:
    return {"name": spec.name, "type": spec.type, "label": spec.label, "required": spec.required,
            "choices": [{"value": v, "label": label} for v, label in spec.choices],
            "min_length": spec.min_length, "max_length": spec.max_length,
            "minimum": _number(spec.minimum), "maximum": _number(spec.maximum), "help": spec.help}


def _number(bound: int | Decimal | None) -> int | float | None:
    """A field's bound as a JSON number (a decimal field's is yuan, e.g. 0.01)."""
    return float(bound) if isinstance(bound, Decimal) else bound


def _guard(name: str) -> dict[str, str]:
    label = guard_label(name)
    if label is None:  # a loaded definition names only known guards (workflow/definitions.py)
        raise KeyError(name)
    return {"name": name, "zh": label.zh, "en": label.en, "article": label.article}


def step_data(step: Transition, procedure: Procedure) -> dict[str, Any]:
    return {
        "trigger": step.trigger, "label": step.label, "basis": step.basis, "sources": list(step.sources),
        "dest": step.dest, "roles": list(step.roles), "separation_from": list(step.separation_from),
        "guards": [_guard(g) for g in step.guards],
        "payload": [field_data(f) for f in typed_dates.form_fields(step)],  # a dated step: + late_entry_reason
        "payload_schema": f"#/components/schemas/{payload_name(procedure, step)}",
    }


def summary_data(procedure: Procedure, latest: bool) -> dict[str, Any]:
    return {"procedure": procedure.id, "id": procedure.id, "version": procedure.version, "ref": procedure.ref, "label": procedure.label,
            "latest": latest, "legal_basis": [dict(b) for b in procedure.legal_basis]}


def _latest_refs() -> set[str]:
    return {p.ref for p in runtime().registry.latest()}


@blp.route("")
class Definitions(MethodView):
    @blp.response(200, DefinitionListSchema)
    @blp.doc(operationId="listDefinitions")
    def get(self) -> dict[str, Any]:
        """Every loaded procedure version

        A case stays on the version it started under; new cases start under the latest."""
        latest = _latest_refs()
        return {"items": [summary_data(p, p.ref in latest) for p in runtime().registry.all()]}


@blp.route("/<procedure>/<int:version>")
class Definition(MethodView):
    @blp.response(200, DefinitionSchema)
    @blp.doc(operationId="getDefinition")
    def get(self, procedure: str, version: int) -> dict[str, Any]:
        """One procedure version: roles, states, steps with their guards and articles, deadlines"""
        try:
            proc = runtime().registry.get(procedure, version)
        except KeyError:
            raise ApiError(404, "definition_not_found", f"没有程序定义 {procedure[:64]}@{version}",
                           f"No procedure definition {procedure[:64]}@{version}") from None
        return {
            **summary_data(proc, proc.ref in _latest_refs()),
            "roles": [{"name": k, "label": v} for k, v in proc.roles.items()],
            "initial": proc.initial,
            "states": [{"name": s.name, "label": s.label, "terminal": s.terminal} for s in proc.states.values()],
            "create": step_data(proc.create, proc),
            "transitions": [step_data(t, proc) for t in proc.transitions],
            "deadlines": [{
                "name": d.name, "label": d.label, "kind": d.kind, "unit": d.unit, "n": d.n, "n_from": d.n_from,
                "n_setting": d.n_setting, "unit_setting": d.unit_setting, "start_from": d.start_from, "due_from": d.due_from,
                "end_from": d.end_from, "basis": d.basis, "starts_on": list(d.starts_on),
                "ends_on": list(d.ends_on), "cleared_on": list(d.cleared_on), "due_by": d.due_by,
            } for d in proc.deadlines.values()],
        }
