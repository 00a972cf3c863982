"""The weight of penalties and what makes a penalty case major: the comparisons, with the definition's data.

Two blocks of a penalty procedure's definition (definitions/enforcement_case.v1.yaml) are read here:

* `severity`: an order of the penalty kinds of 处罚法第九条, given as chains (lightest first). Two kinds on a
  common chain are comparable; two kinds on none are not, and neither may stand in for the other. The
  guards use it to say whether a decision is heavier than what was notified (处罚法第四十四条、第四十五条、
  第六十二条).
* `major_case`: the entries of the organisation's review catalogue (setting enforcement.review_catalogue)
  that the engine can compute from the case, and how (处罚法第五十八条第一款; 国办发〔2018〕118号).

Nothing here reads the database or the clock: the guards, the compliance figures and the unit tests call
these functions with the case data, the organisation's settings and the definition's blocks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Any

from marshmallow import RAISE, Schema, fields, validate

from workflow.definition_blocks import Block

SETTING_KEY = validate.Regexp(r"^[a-z][a-z0-9_.]*$", error="must be a setting key")
NAME = validate.Regexp(r"^[a-z][a-z0-9_]*$", error="must be a lower-case identifier (a-z, 0-9, _)")
# The tests a catalogue entry can be computed by (MajorCriterion.test):
#   large_amount   a penalty of one of `kinds` whose amount is at or above the large-fine threshold for the
#                  party type (setting enforcement.large_fine_threshold, 处罚法第六十三条);
#   penalty_kind   a penalty of one of `kinds`;
#   hearing_held   a hearing was held and recorded (处罚法第六十四条、第六十五条).
MAJOR_TESTS = ("large_amount", "penalty_kind", "hearing_held")
# A notice or a decision names its penalty here, and optionally one more imposed with it (并处).
KIND_FIELDS = (("penalty_type", "amount"), ("additional_penalty_type", "additional_amount"))


# ---------------------------------------------------------------- the definition's blocks


class SeveritySchemaDef(Schema):
    class Meta:
        unknown = RAISE

    field = fields.String(required=True, validate=NAME)
    basis = fields.String(required=True, validate=validate.Length(min=1))
    chains = fields.List(fields.List(fields.String(validate=NAME), validate=validate.Length(min=2)),
                         required=True, validate=validate.Length(min=1))


class MajorCriterionSchemaDef(Schema):
    class Meta:
        unknown = RAISE

    entry = fields.String(required=True, validate=validate.Length(min=1))
    test = fields.String(required=True, validate=validate.OneOf(MAJOR_TESTS))
    kinds = fields.List(fields.String(validate=NAME), load_default=list)


class MajorCaseSchemaDef(Schema):
    class Meta:
        unknown = RAISE

    basis = fields.String(required=True, validate=validate.Length(min=1))
    catalogue_setting = fields.String(required=True, validate=SETTING_KEY)
    threshold_setting = fields.String(required=True, validate=SETTING_KEY)
    party_type_field = fields.String(required=True, validate=NAME)  # the opening's field naming the party type
    computed = fields.List(fields.Nested(MajorCriterionSchemaDef), required=True, validate=validate.Length(min=1))


@dataclass(frozen=True)
class KindOrder:
    """A partial order of penalty kinds: `lighter(a, b)` when a chain puts a before b (transitively)."""

    field: str
    basis: str
    chains: tuple[tuple[str, ...], ...]

    @cached_property
    def pairs(self) -> frozenset[tuple[str, str]]:
        direct = {(c[i], c[j]) for c in self.chains for i in range(len(c)) for j in range(i + 1, len(c))}
        closed = set(direct)
        while True:
            more = {(a, d) for a, b in closed for c, d in closed if b == c} - closed
            if not more:
                return frozenset(closed)
            closed |= more

    def lighter(self, a: str, b: str) -> bool:
        return (a, b) in self.pairs

    def kinds(self) -> set[str]:
        return {k for c in self.chains for k in c}


@dataclass(frozen=True)
class MajorCriterion:
    entry: str  # the catalogue entry's wording, as the organisation's catalogue must list it
    test: str
    kinds: tuple[str, ...] = ()


@dataclass(frozen=True)
class MajorSpec:
    basis: str
    catalogue_setting: str
    threshold_setting: str
    party_type_field: str
    computed: tuple[MajorCriterion, ...]


def build_severity(raw: Mapping[str, Any] | None) -> KindOrder | None:
    if not raw:
        return None
    return KindOrder(raw["field"], raw["basis"], tuple(tuple(c) for c in raw["chains"]))


def build_major(raw: Mapping[str, Any] | None) -> MajorSpec | None:
    if not raw:
        return None
    return MajorSpec(raw["basis"], raw["catalogue_setting"], raw["threshold_setting"], raw["party_type_field"],
                     tuple(MajorCriterion(c["entry"], c["test"], tuple(c["kinds"])) for c in raw["computed"]))


def check_severity(data: Mapping[str, Any], choices_of: Mapping[str, set[str]]) -> list[tuple[str, str]]:
    """Meaning of the severity block: the ordered field is a choice field of some step, every kind named is one
    of its choices, the chains hold no cycle. `choices_of` maps each choice field name to the union of its
    choices over the procedure's steps."""
    problems: list[tuple[str, str]] = []
    severity = data.get("severity")
    if not severity:
        return problems
    known = choices_of.get(severity["field"], set())
    if not known:
        problems.append(("severity.field", f"{severity['field']!r} is not a choice field of any step"))
    for i, chain in enumerate(severity["chains"]):
        for j, kind in enumerate(chain):
            if known and kind not in known:
                problems.append((f"severity.chains.{i}.{j}", f"{kind!r} is not a choice of {severity['field']!r}"))
    order = build_severity(severity)
    assert order is not None
    cycles = sorted({a for a, b in order.pairs if a == b})
    if cycles:
        problems.append(("severity.chains", f"the chains put {', '.join(cycles)} both before and after "
                                            "another kind (an order has no cycle)"))
    return problems


def check_major(data: Mapping[str, Any], choices_of: Mapping[str, set[str]]) -> list[tuple[str, str]]:
    """Meaning of the major_case block: it needs the severity block; criteria name kinds of its field, and kinds
    where they test them."""
    problems: list[tuple[str, str]] = []
    severity, major = data.get("severity"), data.get("major_case")
    if not major:
        return problems
    known = choices_of.get(severity["field"], set()) if severity else set()
    if not severity:
        problems.append(("major_case", "a major_case block needs the severity block (the kinds it tests)"))
    for i, criterion in enumerate(major["computed"]):
        if criterion["test"] == "hearing_held":
            if criterion["kinds"]:
                problems.append((f"major_case.computed.{i}.kinds", "hearing_held tests no penalty kind"))
        elif not criterion["kinds"]:
            problems.append((f"major_case.computed.{i}.kinds", f"{criterion['test']} needs the kinds it tests"))
        for j, kind in enumerate(criterion["kinds"]):
            if known and kind not in known:
                problems.append((f"major_case.computed.{i}.kinds.{j}", f"{kind!r} is not a penalty kind"))
    return problems


# The two blocks as the loader reads them (workflow/definition_blocks.py), severity first: major_case names its kinds.
BLOCKS: Mapping[str, Block] = {
    "severity": Block(SeveritySchemaDef, build_severity, check_severity),
    "major_case": Block(MajorCaseSchemaDef, build_major, check_major),
}


# ---------------------------------------------------------------- penalties and their comparison


@dataclass(frozen=True)
class Penalty:
    kind: str
    amount: Decimal | None = None


def amount_of(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def penalties_of(record: Mapping[str, Any]) -> list[Penalty]:
    """The penalties a notice or a decision names: its kind and, if given, the one imposed with it. A kind named
    twice is one penalty of the summed amount."""
    by_kind: dict[str, Decimal | None] = {}
    for kind_field, amount_field in KIND_FIELDS:
        kind = record.get(kind_field)
        if not kind:
            continue
        amount = amount_of(record.get(amount_field))
        if kind in by_kind and (by_kind[kind] is not None or amount is not None):
            amount = (by_kind[kind] or Decimal(0)) + (amount or Decimal(0))
        by_kind[kind] = amount
    return [Penalty(k, a) for k, a in by_kind.items()]


@dataclass(frozen=True)
class Excess:
    """One way a decision goes beyond a notice: a larger amount of a notified kind, or a kind not covered."""

    decided: Penalty
    notified: Penalty | None  # the same kind's notified penalty (a larger amount), or None (a kind not covered)


def excess(decided: Sequence[Penalty], notified: Sequence[Penalty], order: KindOrder) -> list[Excess]:
    """What of `decided` the notice does not cover (处罚法第四十四条): a notified kind is covered up to its notified
    amount (equal is allowed, a cent more is not); a kind that was not notified is covered only by a distinct
    notified kind it is strictly lighter than (a substitution by a lighter kind); a kind added to what was
    notified, or heavier than or not comparable with every notified kind, is not covered."""
    by_kind = {p.kind: p for p in notified}
    found: list[Excess] = []
    substitutes: list[Penalty] = []
    for d in decided:
        n = by_kind.get(d.kind)
        if n is None:
            substitutes.append(d)
        elif (d.amount or Decimal(0)) > (n.amount or Decimal(0)):
            found.append(Excess(d, n))
    free = [n for n in notified if n.kind not in {d.kind for d in decided}]
    unmatched = _unmatched(substitutes, free, order)
    found.extend(Excess(d, None) for d in unmatched)
    return found


def _unmatched(items: list[Penalty], free: list[Penalty], order: KindOrder) -> list[Penalty]:
    """The fewest `items` left when each is matched to a distinct heavier kind of `free` (a small matching)."""
    if not items:
        return []
    first, rest = items[0], items[1:]
    best = [first, *_unmatched(rest, free, order)]
    for i, n in enumerate(free):
        if order.lighter(first.kind, n.kind):
            tried = _unmatched(rest, free[:i] + free[i + 1:], order)
            if len(tried) < len(best):
                best = tried
    return best


def describe(penalties: Iterable[Penalty], names: Mapping[str, str]) -> str:
    """罚款2000元、没收 — in Chinese, for refusal texts."""
    return "、".join(names.get(p.kind, p.kind) + (f"{p.amount}元" if p.amount is not None else "")
                    for p in penalties) or "（无）"


def describe_en(penalties: Iterable[Penalty]) -> str:
    return ", ".join(p.kind + (f" {p.amount}" if p.amount is not None else "") for p in penalties) or "(none)"


# ---------------------------------------------------------------- what makes a case major


@dataclass(frozen=True)
class MajorGround:
    entry: str  # the catalogue entry met
    zh: str  # what in the case meets it
    en: str


@dataclass(frozen=True)
class MajorFinding:
    grounds: tuple[MajorGround, ...] = ()
    unset: tuple[str, ...] = ()  # settings a listed entry needs but the organisation has not set

    @property
    def major(self) -> bool:
        return bool(self.grounds)


def computed_major(spec: MajorSpec, settings: Mapping[str, Any], party_type: str,
                   penalties: Sequence[Penalty], hearing_held: bool,
                   names: Mapping[str, str] | None = None) -> MajorFinding:
    """The catalogue entries the case meets (处罚法第五十八条第一款第四项): only entries the organisation's
    catalogue lists count, each by its test. Fines and confiscations are compared with the threshold set for
    the party type: at or above it is large (the same reading as the hearing right, 第六十三条)."""
    catalogue = settings.get(spec.catalogue_setting) or []
    listed = [c for c in spec.computed if c.entry in catalogue]
    grounds: list[MajorGround] = []
    unset: list[str] = []
    for criterion in listed:
        if criterion.test == "hearing_held":
            if hearing_held:
                grounds.append(MajorGround(criterion.entry, "已经听证", "a hearing was held"))
            continue
        matching = [p for p in penalties if p.kind in criterion.kinds]
        if criterion.test == "penalty_kind":
            grounds.extend(MajorGround(criterion.entry, f"处罚种类为{(names or {}).get(p.kind, p.kind)}",
                                       f"penalty kind {p.kind}")
                           for p in matching[:1])
            continue
        if not matching:
            continue
        threshold = amount_of((settings.get(spec.threshold_setting) or {}).get(party_type))
        if threshold is None:
            unset.append(spec.threshold_setting)
            continue
        large = [p for p in matching if p.amount is not None and p.amount >= threshold]
        grounds.extend(MajorGround(criterion.entry, f"金额{p.amount}元达到较大数额标准{threshold}元",
                                   f"amount {p.amount} at or above the threshold {threshold}") for p in large[:1])
    return MajorFinding(tuple(grounds), tuple(dict.fromkeys(unset)))
