"""The procedure families and the one guard table the engine reads.

A family is a folder beside this file (major_decision/, enforcement/, ...) holding its guards, its legal
constants and its read models. Its package exposes `NAME`, `GUARDS` (a `workflow.guards.GuardTable`) and, if
its definitions have blocks of their own, `BLOCKS` (`workflow.definition_blocks.Block` by top-level key) and
nothing else at import; its read models are imported by whoever reads them. Adding a family is one line in
`FAMILIES` below (docs/adding-a-procedure.md). Nothing registers itself as a side effect of being imported:
this module names the families and builds the table from theirs, refusing a guard name two families define
and a block name two families give.

The engine and the definition loader read guards only through `GUARDS` here, and the loader reads the families'
blocks only through `GUARDS.blocks`; pages and the API read a guard's article and texts through `guard_label`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Protocol

from workflow.definition_blocks import Block
from workflow.due_rules import DueRule
from workflow.guards import Guard
from workflow.procedures import (
    contract_review,
    enforcement,
    enforcement_supervision,
    information_request,
    legal_education,
    major_decision,
    mediation,
    normative_document,
    petitions,
    rule_of_law_report,
    village_channels,
)


class Family(Protocol):
    """What a family's package offers the registry. It may also offer `BLOCKS: Mapping[str, Block]`, the
    top-level blocks of its definitions (read with `blocks_of`; a family without any need not name it)."""

    NAME: str
    GUARDS: Mapping[str, Guard]


def blocks_of(family: Family) -> Mapping[str, Block]:
    return getattr(family, "BLOCKS", None) or {}


def due_rules_of(family: Family) -> Mapping[str, DueRule]:
    """A family's due-date rules (`DUE_RULES`, workflow/due_rules.py), if it has any."""
    return getattr(family, "DUE_RULES", None) or {}


class DuplicateGuard(ValueError):
    """Two families define a guard of the same name: a definition naming it could not say which rule it means."""


class DuplicateBlock(ValueError):
    """Two families give a definition block of the same name: the loader could not say whose schema reads it."""


class GuardRegistry(Mapping[str, Guard]):
    """Every family's guards by name, with the family each came from, and every family's definition blocks."""

    def __init__(self, families: Iterable[Family] = ()) -> None:
        self._guards: dict[str, Guard] = {}
        self._family_of: dict[str, str] = {}
        self._families: dict[str, Family] = {}
        self._blocks: dict[str, Block] = {}
        self._block_family: dict[str, str] = {}
        self._due_rules: dict[str, DueRule] = {}
        self._due_rule_family: dict[str, str] = {}
        # bumped by every change: what was loaded against an earlier set of guards and blocks is stale
        self.generation = 0
        for family in families:
            self.register(family)

    def register(self, family: Family) -> None:
        """Add a family's guards and blocks; refused whole, naming both families, if one of its names is taken."""
        if family.NAME in self._families:
            raise DuplicateGuard(f"the family {family.NAME!r} is registered twice")
        clashes = sorted(set(family.GUARDS) & set(self._guards))
        if clashes:
            raise DuplicateGuard("; ".join(
                f"guard {name!r} is defined by both the {self._family_of[name]!r} and the {family.NAME!r} families"
                for name in clashes))
        taken = sorted(set(blocks_of(family)) & set(self._blocks))
        if taken:
            raise DuplicateBlock("; ".join(
                f"definition block {name!r} is given by both the {self._block_family[name]!r} and the "
                f"{family.NAME!r} families" for name in taken))
        twice = sorted(set(due_rules_of(family)) & set(self._due_rules))
        if twice:
            raise DuplicateGuard("; ".join(
                f"due-date rule {name!r} is defined by both the {self._due_rule_family[name]!r} and the "
                f"{family.NAME!r} families" for name in twice))
        self._families[family.NAME] = family
        for name, guard in family.GUARDS.items():
            self._guards[name] = guard
            self._family_of[name] = family.NAME
        for name, block in blocks_of(family).items():
            self._blocks[name] = block
            self._block_family[name] = family.NAME
        for name, rule in due_rules_of(family).items():
            self._due_rules[name] = rule
            self._due_rule_family[name] = family.NAME
        self.generation += 1

    def unregister(self, name: str) -> None:
        """Remove a family registered at run time (a family kept outside this package, or a test's)."""
        self._families.pop(name)
        for guard in [g for g, f in self._family_of.items() if f == name]:
            del self._guards[guard]
            del self._family_of[guard]
        for block in [b for b, f in self._block_family.items() if f == name]:
            del self._blocks[block]
            del self._block_family[block]
        for rule in [r for r, f in self._due_rule_family.items() if f == name]:
            del self._due_rules[rule]
            del self._due_rule_family[rule]
        self.generation += 1

    def family_of(self, guard: str) -> str:
        return self._family_of[guard]

    @property
    def families(self) -> Mapping[str, Family]:
        return MappingProxyType(self._families)

    @property
    def blocks(self) -> Mapping[str, Block]:
        """Every family's definition blocks by top-level key, in the order the families were registered."""
        return MappingProxyType(self._blocks)

    def block_family(self, block: str) -> str:
        return self._block_family[block]

    @property
    def due_rules(self) -> Mapping[str, DueRule]:
        """Every family's due-date rules by name (a deadline's `due_by:`, workflow/due_rules.py)."""
        return MappingProxyType(self._due_rules)

    def __getitem__(self, name: str) -> Guard:
        return self._guards[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._guards)

    def __len__(self) -> int:
        return len(self._guards)


# The families of this installation: a new one is one more name here.
FAMILIES: tuple[Family, ...] = (major_decision, enforcement, normative_document, information_request,
                                contract_review, rule_of_law_report)
FAMILIES += (legal_education, mediation, village_channels)  # the town's registers (issue 14 item 4)
FAMILIES += (petitions,)  # 信访、投诉举报、行政复议和行政诉讼应诉 (issue 14 item 4)
FAMILIES += (enforcement_supervision,)  # 行政执法监督：案卷评查 (issue 14 item 2)

GUARDS = GuardRegistry(FAMILIES)


@dataclass(frozen=True)
class GuardLabel:
    """What a reader is told about a guard: its article, its rule in both languages and its explanation."""

    name: str
    family: str
    article: str
    zh: str
    en: str
    doc: str

    def text(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


def guard_label(name: str) -> GuardLabel | None:
    """The article and texts of the guard `name`, or None if no family defines it."""
    guard = GUARDS.get(name)
    if guard is None:
        return None
    return GuardLabel(name, GUARDS.family_of(name), guard.article, guard.zh, guard.en, guard.doc)


class DocumentData(Protocol):
    """A family's computation of a document type's `computed.<name>` values (workflow/documents/definitions.py),
    given a workflow.documents.computing.DocumentContext (the step's session, registry, case, payload and the
    organisation's settings) when the step is checked; what it returns is fixed with the issued document (JSON:
    no floats)."""

    def __call__(self, ctx: Any) -> dict[str, Any]: ...


def document_data(key: str) -> DocumentData | None:
    """The function of the family that computes the document type `key` (procedure/id), from its `DOCUMENT_DATA`."""
    for family in GUARDS.families.values():
        found = (getattr(family, "DOCUMENT_DATA", None) or {}).get(key)
        if found is not None:
            return found  # type: ignore[no-any-return]
    return None


class CaseChoices(Protocol):
    """A family's cases that one of its guards accepts, given the step's GuardContext (`CASE_CHOICES` by guard
    name): what a form offers for a field with `options_from: {cases_of: <guard>}` (workflow/options_from.py).
    The same query the guard judges with, so the page offers nothing the engine would refuse."""

    def __call__(self, ctx: Any) -> list[Any]: ...


def case_choices_of(guard: str) -> CaseChoices | None:
    """The family function listing the cases the guard `guard` accepts, from its family's `CASE_CHOICES`."""
    for family in GUARDS.families.values():
        found = (getattr(family, "CASE_CHOICES", None) or {}).get(guard)
        if found is not None:
            return found  # type: ignore[no-any-return]
    return None
