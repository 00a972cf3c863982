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
from typing import TYPE_CHECKING, Any, Protocol

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from workflow.labels import Label
from workflow.required_when import RequiredWhen, WhenSchema

if TYPE_CHECKING:
    from workflow.definitions import Procedure, Transition
    from workflow.payloads import FieldSpec


class DrawnSchema(Schema):
    """`drawn: {when: {field: method, in: [random]}, seed: seed, candidates: candidates}` on a list of cases:
    for those values of the choice field, the page draws the list itself (workflow/random_draw.py) from every
    case offered, with a fresh seed, and records the seed and the candidates in the step's own fields."""

    class Meta:
        unknown = RAISE

    when = fields.Nested(WhenSchema, required=True)
    seed = fields.String(required=True)
    candidates = fields.String(required=True)


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

    # or the cases a guard of the step accepts (its family offers them: CASE_CHOICES, workflow/procedures/), e.g.
    # the supervised town's files closed in the review's year; display only, the guard judges the value
    cases_of = fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_]*$", error="must be a guard's name"))
    drawn = fields.Nested(DrawnSchema)
    # or, on a list, one line per item of a family block of the file (its built value offers them: LineItems),
    # e.g. the scoring sheet's items: the form asks each item's points and reason and writes the block's lines
    lines_of = fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_]*$", error="must be a block's key"))
    # or the names of the organisation's active people (`all`, or those holding a role of the procedure): the
    # value is the person's name as the register keeps it (a study session's attendees), checked by the engine
    people_named = fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_]*$", error="must be all or a role"))
    # with `setting`: only the listed values are accepted once the organisation has set the list (the engine
    # refuses another, naming it); without the list the value is typed as before
    strict = fields.Boolean()

    @validates_schema
    def one_source(self, data: dict[str, Any], **_: Any) -> None:
        sources = ("people_with_role", "setting", "record", "cases_of", "lines_of", "people_named")
        if sum(k in data for k in sources) != 1:
            raise ValidationError("give one of " + ", ".join(sources))
        if ("item" in data or "open" in data or "strict" in data) and "setting" not in data:
            raise ValidationError("item, open and strict go with setting")
        if data.get("open") and data.get("strict"):
            raise ValidationError("a list is either open (suggestions) or strict (only its values)")
        if ("value" in data or "show" in data) and "record" not in data:
            raise ValidationError("value and show go with record")
        if "drawn" in data and "cases_of" not in data:
            raise ValidationError("drawn goes with cases_of")


@dataclass(frozen=True)
class Drawn:
    when: RequiredWhen  # the choice that makes the page draw (e.g. method: random)
    seed: str  # the step's field that records the seed
    candidates: str  # the step's field that records every case offered


@dataclass(frozen=True)
class OptionsFrom:
    role: str | None = None
    setting: str | None = None
    item: str | None = None
    open: bool = False  # the setting's choices are suggestions: other text allowed
    record: str | None = None  # the case's recorded list the choices come from
    value: str = "no"
    show: tuple[str, ...] = ()
    cases_of: str | None = None  # the guard whose accepted cases are offered
    drawn: Drawn | None = None
    lines_of: str | None = None  # the family block whose items the list has one line each of
    people_named: str | None = None  # `all` or a role: the organisation's people, by name
    strict: bool = False  # a setting's list: only its values, once it is set

    @property
    def key(self) -> str:
        """Where a form's offered choices for the field are kept (web/forms.py): by role, setting, record, guard,
        block or the people named."""
        if self.record is not None:
            return f"record:{self.record}:{self.value}"
        if self.people_named is not None:
            return f"people_named:{self.people_named}"
        if self.lines_of is not None:
            return f"lines_of:{self.lines_of}"
        if self.cases_of is not None:
            return f"cases_of:{self.cases_of}"
        return self.role if self.role is not None else f"setting:{self.setting}:{self.item or ''}"


def from_definition(spec: Mapping[str, Any] | None) -> OptionsFrom | None:
    if not spec:
        return None
    drawn = spec.get("drawn")
    return OptionsFrom(
        role=spec.get("people_with_role"), setting=spec.get("setting"), item=spec.get("item"),
        open=bool(spec.get("open")), record=spec.get("record"), value=spec.get("value", "no"),
        show=tuple(spec.get("show") or ()), cases_of=spec.get("cases_of"),
        drawn=Drawn(RequiredWhen(drawn["when"]["field"], tuple(drawn["when"]["in_"])), drawn["seed"],
                    drawn["candidates"]) if drawn else None,
        lines_of=spec.get("lines_of"), people_named=spec.get("people_named"), strict=bool(spec.get("strict")))


@dataclass(frozen=True)
class FormLine:
    """One item a list has a line of (`lines_of:`): its key, its name, its most points and what it checks."""

    id: str
    label: Label
    max: int
    help: str


class LineItems(Protocol):
    """What a family block's built value offers to be named by `lines_of:`: its items, and the line an item's
    points and reason make in the list (the family's own format, which its guards parse and judge)."""

    def form_lines(self) -> tuple[FormLine, ...]: ...

    def line(self, item: str, points: str, reason: str) -> str: ...


def line_problems(where: str, payload: Mapping[str, Mapping[str, Any]], data: Mapping[str, Any],
                  blocks: Mapping[str, Any]) -> list[tuple[str, str]]:
    """`lines_of:` names a family block (`blocks`, by key) the file gives, on a string_list field."""
    problems: list[tuple[str, str]] = []
    for name, spec in payload.items():
        block = (spec.get("options_from") or {}).get("lines_of")
        if block is None:
            continue
        at = f"{where}.payload.{name}.options_from"
        if block not in blocks or data.get(block) is None:
            problems.append((f"{at}.lines_of", f"the file gives no family block {block!r} to take the lines of"))
        if spec["type"] != "string_list":
            problems.append((at, f"one line per item makes a list: the field must be a string_list, not {spec['type']}"))
    return problems


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
        if "people_named" in rule:
            if rule["people_named"] != ALL_PEOPLE and rule["people_named"] not in roles:
                problems.append((f"{at}.people_named", f"undefined role {rule['people_named']!r} (or: all)"))
            if spec["type"] not in ("string", "string_list"):
                problems.append((at, f"options_from names people: the field must be a string or a string_list, not "
                                     f"{spec['type']}"))
            continue
        if "setting" in rule and rule.get("strict") and spec["type"] not in ("string", "string_list"):
            problems.append((f"{at}.strict", f"only a string or a string_list is held to a list, not {spec['type']}"))
        if "setting" in rule and rule.get("open") and spec["type"] != "string":
            problems.append((f"{at}.open", f"suggestions are offered for a text field, not {spec['type']}"))
        if "setting" in rule or "cases_of" in rule or "lines_of" in rule:
            continue  # a setting's list: tests/test_settings.py; a guard's cases, a block's lines: below
        if rule["people_with_role"] not in roles:
            problems.append((f"{at}.people_with_role", f"undefined role {rule['people_with_role']!r}"))
        if spec["type"] not in ("string", "string_list"):
            problems.append((at, f"options_from names people: the field must be a string or a string_list, not "
                                 f"{spec['type']}"))
    return problems


ALL_PEOPLE = "all"  # people_named: every active person of the organisation


def problems(procedure: Procedure, transition: Transition, payload: Mapping[str, Any],
             roles_of: Callable[[str], frozenset[str] | None],
             name_of: Callable[[str], str], *, settings: Mapping[str, Any] | None = None,
             names_of: Callable[[str | None], frozenset[str]] | None = None) -> list[tuple[str, str, str, str]]:
    """(field, zh, en, code) for each person named in the payload who does not hold the field's role here; with
    `settings`, each value of a `strict` setting's field not in the organisation's list (once set); with
    `names_of` (the names of the organisation's active people, holding a role or any: None), each name of a
    `people_named` field that is no such person's."""
    found = []
    for spec in transition.payload:
        rule, named = spec.options_from, payload.get(spec.name)
        values = [named] if isinstance(named, str) else named if isinstance(named, list) else []
        if rule is not None and rule.strict and settings is not None:
            found.extend(_not_listed(spec, rule, values, settings))
        if rule is not None and rule.people_named is not None and names_of is not None:
            found.extend(_not_people(procedure, spec, rule.people_named, values, names_of))
        if rule is None or rule.role is None:
            continue
        usernames = values
        for username in usernames:
            if not isinstance(username, str) or not username or rule.role in (roles_of(username) or frozenset()):
                continue
            role = procedure.roles[rule.role]
            found.append((spec.name, f"「{spec.label.zh}」应为本单位的{role.zh}，「{name_of(username)}」不是",
                          f"{spec.label.en} must be a {role.en} of this organisation; {username!r} is not",
                          "not_holding_role"))
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


def case_choice_problems(where: str, step: Mapping[str, Any], offered: Callable[[str], bool]) -> list[tuple[str, str]]:
    """`options_from: {cases_of: <guard>}` names a guard of the same step whose accepted cases a family offers
    (`offered`), on a string or string_list field; `drawn:` (a list only) names a choice field and its values,
    a string field for the seed and a string_list field for the candidates, all of the step."""
    problems: list[tuple[str, str]] = []
    payload = step["payload"]
    for name, spec in payload.items():
        rule = (spec.get("options_from") or {})
        if "cases_of" not in rule:
            continue
        at = f"{where}.payload.{name}.options_from"
        if rule["cases_of"] not in step.get("guards", []):
            problems.append((f"{at}.cases_of", f"{rule['cases_of']!r} is not a guard of this step: the cases "
                                               "offered are those the step's own rule accepts"))
        elif not offered(rule["cases_of"]):
            problems.append((f"{at}.cases_of", f"no family offers the cases the guard {rule['cases_of']!r} "
                                               "accepts (CASE_CHOICES)"))
        if spec["type"] not in ("string", "string_list"):
            problems.append((at, f"options_from names cases: the field must be a string or a string_list, not "
                                 f"{spec['type']}"))
        drawn = rule.get("drawn")
        if not drawn:
            continue
        if spec["type"] != "string_list":
            problems.append((f"{at}.drawn", "only a list of cases is drawn"))
        control = payload.get(drawn["when"]["field"])
        if control is None or control["type"] != "choice":
            problems.append((f"{at}.drawn.when.field", f"{drawn['when']['field']!r} is not a choice field of the step"))
        else:
            values = {c["value"] for c in control["choices"]}
            for i, value in enumerate(drawn["when"]["in_"]):
                if value not in values:
                    problems.append((f"{at}.drawn.when.in.{i}", f"{value!r} is not a choice of "
                                                                f"{drawn['when']['field']!r}"))
        for key, wanted in (("seed", "string"), ("candidates", "string_list")):
            target = payload.get(drawn[key])
            if target is None or target["type"] != wanted or drawn[key] == name:
                problems.append((f"{at}.drawn.{key}", f"{drawn[key]!r} must be another {wanted} field of the step"))
    return problems


def _not_listed(spec: FieldSpec, rule: OptionsFrom, values: list[Any],
                settings: Mapping[str, Any]) -> list[tuple[str, str, str, str]]:
    key = rule.setting or ""
    listed = settings.get(key)
    if not isinstance(listed, list) or not listed:
        return []  # the organisation keeps no list: typed as before
    known = {str(v) for v in listed}
    return [(spec.name, f"「{spec.label.zh}」应为本单位名单（{rule.setting}）中的一项，「{v}」不在名单中",
             f"{spec.label.en} must be one of the organisation's list {rule.setting}; {v!r} is not on it",
             "not_in_list")
            for v in values if isinstance(v, str) and v and v not in known]


def _not_people(procedure: Procedure, spec: FieldSpec, people: str, values: list[Any],
                names_of: Callable[[str | None], frozenset[str]]) -> list[tuple[str, str, str, str]]:
    names = names_of(None if people == ALL_PEOPLE else people)
    who = ("本单位在职人员", "an active person of the organisation") if people == ALL_PEOPLE else (
        f"本单位的{procedure.roles[people].zh}", f"a {procedure.roles[people].en} of the organisation")
    return [(spec.name, f"「{spec.label.zh}」应为{who[0]}，「{v}」不是", f"{spec.label.en} must name {who[1]}; {v!r} does not",
             "not_a_person_here")
            for v in values if isinstance(v, str) and v and v not in names]


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
