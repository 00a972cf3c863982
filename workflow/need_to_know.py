"""Need-to-know, as a definition declares it (`visibility:`): who may see a case of the procedure at all, and which
of its data are a party's personal data, shown only to the roles that need them.

个人信息保护法第六条 (处理个人信息应当限于实现处理目的的最小范围) and 第三十四条 (国家机关为履行法定职责处理个人信息,
不得超出履行法定职责所必需的范围和限度): a person sees the cases their work is about, and a party's name, ID number,
address or contact only where their work needs it. Which roles those are is a fact about the procedure, so it is
written in its definition and checked on load like everything else (file, path, reason):

    visibility:
      basis: 个人信息保护法第六条、第三十四条
      cases: [enforcement_officer, agency_head, legal_reviewer, auditor]   # who may see a case at all
      supervision: [supervisor]  # the supervising level (issue 14): read the cases of the organisations below
      personal_data:
        basis: 个人信息保护法第二十八条 ...
        roles: [enforcement_officer, agency_head, legal_reviewer]         # who sees them unmasked
        fields:                # <record key>.<field>: how it is masked for everyone else
          filing.party: name   # 陈** : the first character stays, so that rows can still be told apart
          filing.title: hidden # 〔已隐去〕 (the create step's title is also the case's title in every list)
        when:                  # optional: a field that is personal data only for some kinds of party
          contract.counterparty: {field: counterparty_type, in: [natural_person]}
        files: true            # the files attached to a case (evidence: 询问笔录, video) show the party: a file
                               # cannot be masked, so only these roles open them (default false: a draft does not)

`when:` masks a field only where the same record's `field` is one of `in` (个人信息保护法第四条: personal information
is information about natural persons; a company's name is not), or is not recorded at all (a case recorded before
the kind of party was asked may name a natural person: masked, as before).

Read only: the engine never reads this block (who may take a step is the transition's `roles:`), so adding it to
a deployed definition version changes no rule and no record of a running case. Every role that takes a step must
be able to see the case (the systems' own accounts, `system` and `public`, never read a case page). What a
person may read is answered in one place for the pages and the API: workflow/case_reading.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from marshmallow import RAISE, Schema, fields, validate

IDENT = validate.Regexp(r"^[a-z][a-z0-9_]*$", error="must be a lower-case identifier (a-z, 0-9, _)")
PATH = validate.Regexp(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$",
                       error="must be <record key>.<field>, e.g. filing.party")
MASKS = ("name", "hidden")
HIDDEN = "〔已隐去〕"
# The roles of the organisation's own accounts, which take steps without a person reading the case: the timer
# worker's and the public portal's (workflow/accounts.py SYSTEM_ROLE, PORTAL_ROLE; not imported: the loader's
# modules stay clear of the database's; tests/test_need_to_know.py checks they agree).
ACCOUNT_ROLES = frozenset({"system", "public"})


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class WhenDef(_Strict):
    field = fields.String(required=True, validate=IDENT)
    in_ = fields.List(fields.String(validate=validate.Length(min=1)), required=True, data_key="in",
                      validate=validate.Length(min=1))


class PersonalDataDef(_Strict):
    when = fields.Dict(keys=fields.String(validate=PATH), values=fields.Nested(WhenDef), load_default=dict)
    basis = fields.String(required=True, validate=validate.Length(min=1))
    roles = fields.List(fields.String(validate=IDENT), required=True)
    files = fields.Boolean(load_default=False)
    fields = fields.Dict(keys=fields.String(validate=PATH),
                         values=fields.String(validate=validate.OneOf(MASKS, error="must be one of: {choices}")),
                         required=True, validate=validate.Length(min=1))  # last: it shadows the module here


class VisibilityDef(_Strict):
    basis = fields.String(required=True, validate=validate.Length(min=1))
    cases = fields.List(fields.String(validate=IDENT), required=True, validate=validate.Length(min=1))
    supervision = fields.List(fields.String(validate=IDENT), load_default=list)
    personal_data = fields.Nested(PersonalDataDef)


@dataclass(frozen=True)
class Visibility:
    """What a definition's `visibility:` says (None on a procedure whose file gives no block)."""

    basis: str
    cases: frozenset[str]  # the roles that may see a case (those working on it, the auditors, the supervisors)
    personal_roles: frozenset[str] = frozenset()  # the roles that see the party's personal data unmasked
    personal: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # record key -> field -> mask
    personal_basis: str = ""
    personal_files: bool = False  # the case's attached files show the party's personal data
    supervision: frozenset[str] = frozenset()  # the supervising level's roles: read in the organisations below
    # record key -> field -> (the record's field that tells the kind of party, the kinds whose value is masked)
    when: Mapping[str, Mapping[str, tuple[str, frozenset[str]]]] = field(default_factory=dict)

    def sees_case(self, roles: frozenset[str]) -> bool:
        return bool(self.cases & roles)

    def supervises(self, roles: frozenset[str]) -> bool:
        """Whether these roles read the procedure's cases of the organisations below their own (issue 14)."""
        return bool(self.supervision & roles)

    def sees_personal(self, roles: frozenset[str]) -> bool:
        return not self.personal or bool(self.personal_roles & roles)


def build(block: Mapping[str, Any] | None) -> Visibility | None:
    if not block:
        return None
    personal = block.get("personal_data") or {}
    by_key: dict[str, dict[str, str]] = {}
    for path, how in (personal.get("fields") or {}).items():
        key, name = path.split(".")
        by_key.setdefault(key, {})[name] = how
    when: dict[str, dict[str, tuple[str, frozenset[str]]]] = {}
    for path, rule in (personal.get("when") or {}).items():
        key, name = path.split(".")
        when.setdefault(key, {})[name] = (rule["field"], frozenset(rule["in_"]))
    return Visibility(basis=block["basis"], cases=frozenset(block["cases"]) | frozenset(block["supervision"]),
                      personal_roles=frozenset(personal.get("roles", ())), personal=by_key,
                      personal_basis=personal.get("basis", ""), personal_files=personal.get("files", False),
                      supervision=frozenset(block["supervision"]), when=when)


def check_definition(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Problems (path, reason) of a loaded definition's `visibility:`: every role one of its roles, every role that
    takes a step among those that see its cases, the personal data's roles among them too, every field one that a
    step records under that key."""
    block = data.get("visibility")
    if not block:
        return []
    roles = set(data["roles"])
    problems: list[tuple[str, str]] = []
    for part in ("cases", "supervision"):
        for i, r in enumerate(block[part]):
            if r not in roles:
                problems.append((f"visibility.{part}.{i}", f"unknown role {r!r} (not in roles:)"))
    seeing = set(block["cases"]) | set(block["supervision"])
    acting = [data["create"], *data["transitions"]]
    for r in sorted({r for step in acting for r in step["roles"]} - seeing - ACCOUNT_ROLES):
        problems.append(("visibility.cases", f"the role {r!r} takes steps of this procedure but may not see its "
                                             "cases: list it"))
    personal = block.get("personal_data")
    if personal:
        for i, r in enumerate(personal["roles"]):
            if r not in roles:
                problems.append((f"visibility.personal_data.roles.{i}", f"unknown role {r!r} (not in roles:)"))
            elif r not in seeing:
                problems.append((f"visibility.personal_data.roles.{i}", f"the role {r!r} may not see the cases "
                                                                        "(visibility.cases), so not their parties"))
        recorded: dict[str, set[str]] = {}
        for step in acting:
            record = step.get("record") or {}
            key = next((v for m, v in record.items() if m in ("set", "append", "update")), None)
            if key:
                recorded.setdefault(key, set()).update(step["payload"])
        for path in personal["fields"]:
            key, name = path.split(".")
            if key not in recorded:
                problems.append((f"visibility.personal_data.fields.{path}", f"{key!r} is not where any step "
                                                                            "records (record: set/append/update)"))
            elif name not in recorded[key]:
                problems.append((f"visibility.personal_data.fields.{path}", f"{name!r} is not a field any step "
                                                                            f"records under {key!r}"))
        problems += _when_problems(personal, acting)
    return problems


def _when_problems(personal: Mapping[str, Any], acting: list[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """A `when:` is about a masked field, and names a field recorded beside it (with those values, if a choice)."""
    problems: list[tuple[str, str]] = []
    for path, rule in (personal.get("when") or {}).items():
        at = f"visibility.personal_data.when.{path}"
        if path not in personal["fields"]:
            problems.append((at, f"{path!r} is not one of personal_data.fields"))
            continue
        key = path.split(".")[0]
        specs = [step["payload"][rule["field"]] for step in acting
                 if rule["field"] in step["payload"] and key in (step.get("record") or {}).values()]
        if not specs:
            problems.append((f"{at}.field", f"{rule['field']!r} is not a field any step records under {key!r}"))
        for spec in specs:
            offered = {c["value"] for c in spec.get("choices") or ()}
            for value in rule["in_"]:
                if offered and value not in offered:
                    problems.append((f"{at}.in", f"{value!r} is not a choice of {rule['field']!r}"))
    return problems


def masked_here(item: Mapping[str, Any] | None, rule: tuple[str, frozenset[str]] | None) -> bool:
    """Whether a field with this `when:` rule (None: always) is masked in this recorded item (None: not known)."""
    if rule is None or item is None:
        return True
    kind = item.get(rule[0])
    return kind in (None, "") or kind in rule[1]


def mask(value: Any, how: str) -> Any:
    """A personal datum as shown to someone who may not see it: 陈某某 -> 陈** ("name"), anything -> 〔已隐去〕."""
    if isinstance(value, list):
        return [mask(v, how) for v in value]
    if value is None or value == "":
        return value
    text = str(value).strip()
    if how == "name" and text:
        return f"{text[0]}**"
    return HIDDEN
