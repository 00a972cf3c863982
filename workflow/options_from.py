"""A payload field that names a person, or several, of the organisation holding a role of the procedure
(`options_from:`).

    recorder: {type: string, options_from: {people_with_role: enforcement_officer}, label: ...}
    officers: {type: string_list, options_from: {people_with_role: enforcement_officer}, label: ...}

The form offers the organisation's people holding the role (name and post, an enforcement certificate's number
where they hold one): a select for one person, a checkbox each for several; the payload still stores the user
names, as before. The definition is checked
on load (the role is one of the procedure's, the field a string); the engine refuses a user name that is not an
active person of the organisation holding the role (workflow/engine/guard_context.py), whatever the form sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

if TYPE_CHECKING:
    from workflow.definitions import Procedure, Transition


class OptionsFromSchema(Schema):
    class Meta:
        unknown = RAISE

    people_with_role = fields.String(validate=validate.Length(min=1))
    # or the organisation's setting that lists the choices (a list of texts, or of items with `item` the key to
    # offer: enforcement.delegated_powers' fields and powers). Display only: the family's guard judges the value.
    setting = fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_.]*$", error="must be a setting key"))
    item = fields.String(validate=validate.Length(min=1))
    # `open: true`: the setting's list is offered as suggestions and any other text stays allowed (a datalist: a
    # unit named may be a county bureau outside the organisation's own list)
    open = fields.Boolean()
    # or the case's own recorded list (`record: comments`, a key that a step appends to): `value` is the item's
    # field the payload stores (its number `no` by default), `show` the fields shown beside it (its text)
    record = fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_]*$", error="must be a record key"))
    value = fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_]*$", error="must be a field name"))
    show = fields.List(fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_]*$", error="must be a field name")))

    @validates_schema
    def one_source(self, data: dict[str, Any], **_: Any) -> None:
        if sum(k in data for k in ("people_with_role", "setting", "record")) != 1:
            raise ValidationError("give one of people_with_role, setting or record")
        if ("item" in data or "open" in data) and "setting" not in data:
            raise ValidationError("item and open go with setting")
        if ("value" in data or "show" in data) and "record" not in data:
            raise ValidationError("value and show go with record")


@dataclass(frozen=True)
class OptionsFrom:
    role: str | None = None
    setting: str | None = None
    item: str | None = None
    open: bool = False  # the setting's choices are suggestions: other text allowed
    record: str | None = None  # the case's recorded list the choices come from
    value: str = "no"
    show: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """Where a form's offered choices for the field are kept (web/forms.py): by role, setting, or record."""
        if self.record is not None:
            return f"record:{self.record}:{self.value}"
        return self.role if self.role is not None else f"setting:{self.setting}:{self.item or ''}"


def from_definition(spec: Mapping[str, Any] | None) -> OptionsFrom | None:
    if not spec:
        return None
    return OptionsFrom(spec.get("people_with_role"), spec.get("setting"), spec.get("item"), bool(spec.get("open")),
                       spec.get("record"), spec.get("value", "no"), tuple(spec.get("show") or ()))


def definition_problems(where: str, payload: Mapping[str, Mapping[str, Any]],
                        roles: Mapping[str, Any]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    for name, spec in payload.items():
        rule = spec.get("options_from")
        if not rule:
            continue
        at = f"{where}.payload.{name}.options_from"
        if "record" in rule:
            continue  # the case's own list: record_problems, which sees every step
        if "setting" in rule:  # a setting's list: the settings catalogue is checked by tests/test_settings.py
            if rule.get("open") and spec["type"] != "string":
                problems.append((f"{at}.open", f"suggestions are offered for a text field, not {spec['type']}"))
            continue
        if rule["people_with_role"] not in roles:
            problems.append((f"{at}.people_with_role", f"undefined role {rule['people_with_role']!r}"))
        if spec["type"] not in ("string", "string_list"):
            problems.append((at, f"options_from names people: the field must be a string or a string_list, not "
                                 f"{spec['type']}"))
    return problems


def problems(procedure: Procedure, transition: Transition, payload: Mapping[str, Any],
             roles_of: Callable[[str], frozenset[str] | None],
             name_of: Callable[[str], str]) -> list[tuple[str, str, str]]:
    """(field, zh, en) for each person named in the payload who does not hold the field's role here."""
    found = []
    for spec in transition.payload:
        rule, named = spec.options_from, payload.get(spec.name)
        if rule is None or rule.role is None:
            continue
        usernames = [named] if isinstance(named, str) else named if isinstance(named, list) else []
        for username in usernames:
            if not isinstance(username, str) or not username or rule.role in (roles_of(username) or frozenset()):
                continue
            role = procedure.roles[rule.role]
            found.append((spec.name, f"「{spec.label.zh}」应为本单位的{role.zh}，「{name_of(username)}」不是",
                          f"{spec.label.en} must be a {role.en} of this organisation; {username!r} is not"))
    return found


# ---------------------------------------------------------------- the case's own recorded list

ITEM_NUMBER = "no"  # what every appended item is numbered by (workflow/audit/row_replay.py)


def record_problems(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """`options_from: {record: ...}` names a list a step appends to, and fields recorded in its items; the field
    stores the item's number (an integer field) or one of its texts (a string or string_list field)."""
    steps = [data["create"], *data["transitions"]]
    appended: dict[str, set[str]] = {}
    for step in steps:
        key = (step.get("record") or {}).get("append")
        if key:
            appended.setdefault(key, set()).update(step["payload"])
    problems: list[tuple[str, str]] = []
    for i, step in enumerate(steps):
        where = "create" if i == 0 else f"transitions.{i - 1}"
        for name, spec in step["payload"].items():
            rule = spec.get("options_from") or {}
            if "record" not in rule:
                continue
            at = f"{where}.payload.{name}.options_from"
            recorded = appended.get(rule["record"])
            if recorded is None:
                problems.append((f"{at}.record", f"no step appends to {rule['record']!r} (record: append)"))
                continue
            value = rule.get("value", ITEM_NUMBER)
            for part in (value, *rule.get("show", ())):
                if part != ITEM_NUMBER and part not in recorded:
                    problems.append((at, f"{part!r} is not a field recorded in {rule['record']!r}"))
            wanted = ("integer",) if value == ITEM_NUMBER else ("string", "string_list")
            if spec["type"] not in wanted:
                problems.append((at, f"the field stores the item's {value!r}: it must be {' or '.join(wanted)}, "
                                     f"not {spec['type']}"))
    return problems


def record_choices(data: Mapping[str, Any], rule: OptionsFrom, open_for: Transition | None = None,
                   ) -> tuple[tuple[str, str], ...]:
    """(value, shown) of the items of the case's recorded list: 3. 希望加装电梯. `open_for`: only the items that
    step has not recorded on yet (the step updates the list: `record: {update: comments, match: comment_no}`), so a
    decided comment is not offered again (the family's guard still judges the number sent)."""
    items = [i for i in data.get(rule.record or "", []) or [] if isinstance(i, Mapping)]
    if open_for is not None and open_for.record is not None and open_for.record.key == rule.record:
        own = {f.name for f in open_for.payload} - {open_for.record.match or ""}
        items = [i for i in items if not own & set(i)]
    out: dict[str, str] = {}
    for item in items:
        value = item.get(rule.value)
        if value in (None, ""):
            continue
        text = " · ".join(str(item[f]) for f in rule.show if item.get(f) not in (None, ""))
        out.setdefault(str(value), f"{item.get(ITEM_NUMBER, '')}. {text or value}".strip())
    return tuple(out.items())


def case_choices(data: Mapping[str, Any], steps: Iterable[Transition]) -> dict[str, tuple[tuple[str, str], ...]]:
    """OptionsFrom.key -> choices, for the fields of these steps that take an item of the case's own list."""
    return {f.options_from.key: record_choices(data, f.options_from, t) for t in steps for f in t.payload
            if f.options_from is not None and f.options_from.record is not None}


# ---------------------------------------------------------------- the person filling the form, prefilled

class PrefillSchema(Schema):
    """`prefill: {self_with_role: legal_adviser}` on a text field that names a person (who may be from outside the
    organisation, so a name, not an account): the form offers the signed-in person's name when they hold the
    role, to keep or change. Display only."""

    class Meta:
        unknown = RAISE

    self_with_role = fields.String(required=True, validate=validate.Length(min=1))


def prefill_problems(where: str, payload: Mapping[str, Mapping[str, Any]],
                     roles: Mapping[str, Any]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    for name, spec in payload.items():
        rule = spec.get("prefill")
        if not rule:
            continue
        if rule["self_with_role"] not in roles:
            problems.append((f"{where}.payload.{name}.prefill.self_with_role",
                             f"undefined role {rule['self_with_role']!r}"))
        if spec["type"] != "string":
            problems.append((f"{where}.payload.{name}.prefill", f"a name is prefilled into a string field, not "
                                                                 f"{spec['type']}"))
    return problems
