"""Cases that name other cases, as their definitions declare it: `links:` (a recorded field holds another case's
number) and `opens:` (a step that, by law, opens a case of another procedure, linked to the one it ends).

    links:                         # the case names another case of its organisation; both case pages show it
      - path: entry.repeats        # <record key>.<field>: a string field a step records
        procedure: petition        # the procedure of the case it names
        label: {zh: 所重复的原信访事项, en: The earlier petition it repeats}

    opens:                         # the step, when its payload says so, opens a case of `procedure`
      - step: treat_as_petition
        when: {kind: petition}     # payload field: value (all must hold)
        procedure: petition
        link: origin_request       # the opened case's create field that receives this case's number
        fields:                    # the opened case's create fields, from this case's data or the step's payload:
          received_on: receipt.received_on          # a path (<record>.<field>, or payload.<field>)
          channel: {from: request.channel, map: {in_person: visit, online: online}}   # a path, its values mapped
          transferred_from: {value: direct}         # a fixed value
        basis: 政府信息公开条例第三十九条

Opening is the engine's (workflow/engine/__init__.py `fire`): the linked case is opened by the person taking the
step, with exactly create_case()'s checks and writes, in the step's own transaction; if it would be refused, the
step is refused with its reasons and nothing of either is saved. The opened procedure must let the step's roles
open it (its create roles), and must link back to the opener at `link` in its `links:`, so that both case pages
show the pair (workflow/links.py). The loader checks all of this (`check_definition`, `check_registry`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from workflow.labels import Label
from workflow.payloads import LabelSchema

IDENT = validate.Regexp(r"^[a-z][a-z0-9_]*$", error="must be a lower-case identifier (a-z, 0-9, _)")
PATH = validate.Regexp(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$", error="must be <record key>.<field>")
PAYLOAD = "payload"  # a source path's root naming the opening step's own payload


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class LinkDef(_Strict):
    path = fields.String(required=True, validate=PATH)
    procedure = fields.String(required=True, validate=IDENT)
    label = fields.Nested(LabelSchema, required=True)


class SourceField(fields.Field):
    """A path (text), {value: literal} or {from: path, map: {value: value}}."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            PATH(value)
            return {"from": value}
        if isinstance(value, Mapping) and set(value) == {"value"} and isinstance(value["value"], str | bool | int):
            return dict(value)
        if isinstance(value, Mapping) and set(value) == {"from", "map"} and isinstance(value["from"], str) \
                and isinstance(value["map"], Mapping) \
                and all(isinstance(k, str) and isinstance(v, str) for k, v in value["map"].items()):
            PATH(value["from"])
            return {"from": value["from"], "map": dict(value["map"])}
        raise ValidationError("must be a path <record>.<field>, {value: ...} or {from: <path>, map: {...}}")


class OpensDef(_Strict):
    step = fields.String(required=True, validate=IDENT)
    when = fields.Dict(keys=fields.String(validate=IDENT), values=fields.Raw(), load_default=dict)
    procedure = fields.String(required=True, validate=IDENT)
    link = fields.String(required=True, validate=IDENT)
    sources = fields.Dict(keys=fields.String(validate=IDENT), values=SourceField(), load_default=dict,
                          data_key="fields")
    basis = fields.String(required=True, validate=validate.Length(min=1))


@dataclass(frozen=True)
class CaseLink:
    path: str
    procedure: str
    label: Label


@dataclass(frozen=True)
class Opens:
    step: str
    when: Mapping[str, Any]
    procedure: str
    link: str
    sources: Mapping[str, Mapping[str, Any]]
    basis: str

    def applies(self, payload: Mapping[str, Any]) -> bool:
        return all(payload.get(k) == v for k, v in self.when.items())

    def payload(self, case_id: str, data: Mapping[str, Any], step_payload: Mapping[str, Any],
                lists: frozenset[str] = frozenset()) -> dict[str, Any]:
        """The opened case's create payload: the link to `case_id` and each field from its source (a text where
        the field is a list (`lists`) becomes a list of one); a source with no value is left out, for the
        opened procedure's own checks to name."""
        out: dict[str, Any] = {self.link: case_id}
        for name, source in self.sources.items():
            if "value" in source:
                value = source["value"]
            else:
                key, _, field_name = source["from"].partition(".")
                record = step_payload if key == PAYLOAD else data.get(key)
                value = record.get(field_name) if isinstance(record, Mapping) else None
                if "map" in source and value is not None:
                    value = source["map"].get(str(value))
            if value is None:
                continue
            out[name] = [value] if name in lists and not isinstance(value, list) else value
        return out


def build_links(raw: list[Mapping[str, Any]] | None) -> tuple[CaseLink, ...]:
    return tuple(CaseLink(d["path"], d["procedure"], Label(d["label"]["zh"], d["label"]["en"])) for d in raw or ())


def build_opens(raw: list[Mapping[str, Any]] | None) -> tuple[Opens, ...]:
    return tuple(Opens(d["step"], dict(d["when"]), d["procedure"], d["link"], dict(d["sources"]), d["basis"])
                 for d in raw or ())


def _recorded(data: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """record key -> field -> its spec, over the steps that record (set or append)."""
    out: dict[str, dict[str, Any]] = {}
    for spec in [data["create"], *data["transitions"]]:
        record = spec.get("record") or {}
        key = next((record[m] for m in ("set", "append", "update") if m in record), None)
        if key is not None:
            out.setdefault(key, {}).update(spec["payload"])
    return out


def check_definition(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Within the file: a link's path is a text field a step records; an opening names a step of this procedure,
    its conditions that step's fields, and its sources fields recorded here or given by that step."""
    problems: list[tuple[str, str]] = []
    recorded = _recorded(data)
    for i, link in enumerate(data.get("links") or ()):
        key, _, name = link["path"].partition(".")
        if (recorded.get(key) or {}).get(name, {}).get("type") != "string":
            problems.append((f"links.{i}.path", f"{link['path']!r} is not a text field any step records"))
    steps = {t["trigger"]: t for t in data["transitions"]}
    for i, opens in enumerate(data.get("opens") or ()):
        step = steps.get(opens["step"])
        if step is None:
            problems.append((f"opens.{i}.step", f"{opens['step']!r} is not a step of the procedure"))
            continue
        for name in opens["when"]:
            if name not in step["payload"]:
                problems.append((f"opens.{i}.when.{name}", f"{name!r} is not a field of the step"))
        for name, source in opens["sources"].items():
            if "from" not in source:
                continue
            key, _, field_name = source["from"].partition(".")
            known = step["payload"] if key == PAYLOAD else recorded.get(key) or {}
            if field_name not in known:
                problems.append((f"opens.{i}.fields.{name}",
                                 f"{source['from']!r} is not a field the step gives or a step records"))
    return problems


def check_registry(procedures: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """Across files (the newest version of each procedure by id): (file, path, reason) where a link or an
    opening names no loaded procedure, an opened case's field it does not have, a role that may not open it, or
    an opened procedure that does not link back."""
    problems: list[tuple[str, str, str]] = []
    for p in procedures.values():
        for i, link in enumerate(p.links):
            if link.procedure not in procedures:
                problems.append((p.source_file, f"links.{i}.procedure", f"no procedure {link.procedure!r} is loaded"))
        for i, opens in enumerate(p.opens):
            other = procedures.get(opens.procedure)
            if other is None:
                problems.append((p.source_file, f"opens.{i}.procedure", f"no procedure {opens.procedure!r} is loaded"))
                continue
            own = {f.name for f in other.create.payload}
            for name in [opens.link, *opens.sources]:
                if name not in own:
                    problems.append((p.source_file, f"opens.{i}.fields.{name}",
                                     f"{name!r} is not a field of {opens.procedure}'s create step"))
            step = next((t for t in p.transitions if t.trigger == opens.step), None)
            if step is not None and not set(step.roles) <= set(other.create.roles):
                problems.append((p.source_file, f"opens.{i}.step", f"{opens.procedure}'s create roles must include "
                                 f"the step's roles {sorted(step.roles)}: the person taking it opens the case"))
            if not any(link.procedure == p.id and link.path.endswith(f".{opens.link}") for link in other.links):
                problems.append((p.source_file, f"opens.{i}.link", f"{opens.procedure} must link back: its links: "
                                 f"names {p.id} at <record>.{opens.link}"))
    return problems
