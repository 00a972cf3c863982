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

from collections.abc import Callable, Mapping
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

    @validates_schema
    def one_source(self, data: dict[str, Any], **_: Any) -> None:
        if ("people_with_role" in data) == ("setting" in data):
            raise ValidationError("give either people_with_role or setting")
        if "item" in data and "setting" not in data:
            raise ValidationError("item goes with setting")


@dataclass(frozen=True)
class OptionsFrom:
    role: str | None = None
    setting: str | None = None
    item: str | None = None

    @property
    def key(self) -> str:
        """Where a form's offered choices for the field are kept (web/forms.py): by role, or by setting."""
        return self.role if self.role is not None else f"setting:{self.setting}:{self.item or ''}"


def from_definition(spec: Mapping[str, Any] | None) -> OptionsFrom | None:
    if not spec:
        return None
    return OptionsFrom(spec.get("people_with_role"), spec.get("setting"), spec.get("item"))


def definition_problems(where: str, payload: Mapping[str, Mapping[str, Any]],
                        roles: Mapping[str, Any]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    for name, spec in payload.items():
        rule = spec.get("options_from")
        if not rule:
            continue
        at = f"{where}.payload.{name}.options_from"
        if "setting" in rule:
            continue  # a setting's list: the settings catalogue is checked by tests/test_settings.py
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
