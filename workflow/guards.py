"""What a guard is: the framework every procedure family's legal checks are written in.

Definitions refer to guards by name; the engine evaluates every guard of a transition and reports all
failures together. A guard reads the case as it is before the transition plus the submitted payload (a
`GuardContext`); it never changes anything. It returns None when the rule is met, or a `Fail` with the
particulars. Each guard cites its article and says, in Chinese first, why it refuses.

The guards themselves live with their family (workflow/procedures/<family>/guards.py), each family in its own
`GuardTable`; workflow/procedures/__init__.py names the families and builds the one table the engine reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workflow.calendar import WorkCalendar
    from workflow.definitions import Procedure
    from workflow.store import DeadlineRow


@dataclass(frozen=True)
class Fail:
    zh: str = ""
    en: str = ""


@dataclass
class GuardContext:
    """What a guard may look at. `data` is the case data before this transition (read-only by convention)."""

    trigger: str
    state: str
    payload: Mapping[str, Any]
    data: Mapping[str, Any]
    actor: str
    actor_roles: frozenset[str]
    now: datetime
    today: date
    calendar: WorkCalendar
    settings: Mapping[str, Any]
    roles_of: Callable[[str], frozenset[str] | None] = field(default=lambda _u: None)
    name_of: Callable[[str], str] = field(default=lambda u: u)
    case_id: str = ""  # "" while the case is being opened
    certificates_of: Callable[[str], list[Credential]] = field(default=lambda _u: [])
    case_view: Callable[[str], CaseView | None] = field(default=lambda _id: None)
    # (procedure, dotted data path, value) -> that procedure's cases whose data has the value at the path
    linked_cases: Callable[[str, str, str], list[CaseView]] = field(default=lambda _p, _k, _v: [])
    # the case's running period of that name (a case_deadline row: kind, started_on, due, ...), or None
    deadline: Callable[[str], DeadlineRow | None] = field(default=lambda _name: None)
    # the definition the case runs under, and that of another case (procedure id, version; None: newest):
    # facts about a procedure a guard needs (e.g. the order of penalty kinds) are data there, not code
    procedure: Procedure | None = None
    procedure_of: Callable[[str, int | None], Procedure | None] = field(default=lambda _p, _v: None)
    # the newest version of every loaded procedure (a report naming procedures' figures by their labels)
    procedures: Callable[[], Sequence[Procedure]] = field(default=lambda: ())
    # an act performed in person (the definition's in_person block): its day, and who the step names as present
    act_on: date | None = None
    act_officers: tuple[str, ...] | None = None
    # the supervising level (issue 14 item 2): a case of an organisation below the actor's, by id, and the cases of
    # a procedure in one such organisation (None / [] for any other organisation: a sibling's cases stay unknown)
    case_below: Callable[[str], CaseView | None] = field(default=lambda _id: None)
    cases_below: Callable[[str, str], list[CaseView]] = field(default=lambda _o, _p: [])


@dataclass(frozen=True)
class Credential:
    """An enforcement certificate or a legal professional qualification of a person (models.EnforcementCertificate)."""

    kind: str
    number: str
    field: str
    issued_on: date
    valid_until: date | None
    issuer: str


@dataclass(frozen=True)
class CaseView:
    """Another case of the same organisation, read-only: what a guard may know about a linked procedure."""

    id: str
    procedure: str
    state: str
    data: Mapping[str, Any]
    state_label: str = ""  # the state's Chinese label, for refusal messages
    version: int | None = None  # the procedure version the case runs under
    org_id: str = ""  # the organisation whose case it is
    terminal: bool = False  # its state ends the procedure


GuardFn = Callable[[GuardContext], Fail | None]


@dataclass(frozen=True)
class Guard:
    name: str
    article: str
    zh: str
    en: str
    fn: GuardFn
    # What of the definition the rule reads and cannot do without: a key of the step using it (e.g. "roll_call")
    # or a top-level block (e.g. a family's own). The loader refuses a step naming the guard without them.
    needs: tuple[str, ...] = ()

    @property
    def doc(self) -> str:
        return (self.fn.__doc__ or "").strip()


class GuardTable(Mapping[str, Guard]):
    """A family's guards, filled by its own `@rules.guard(...)` decorators as its module is read: nothing is
    registered anywhere else. The family exposes the table as `GUARDS`; workflow/procedures/__init__.py joins
    the families' tables into the one the engine and the definition loader read."""

    def __init__(self, family: str) -> None:
        self.family = family
        self._guards: dict[str, Guard] = {}

    def guard(self, name: str, *, article: str, zh: str, en: str,
              needs: tuple[str, ...] = ()) -> Callable[[GuardFn], GuardFn]:
        def register(fn: GuardFn) -> GuardFn:
            if name in self._guards:
                raise ValueError(f"guard {name!r} defined twice in the {self.family} family")
            self._guards[name] = Guard(name, article, zh, en, fn, needs)
            return fn

        return register

    def __getitem__(self, name: str) -> Guard:
        return self._guards[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._guards)

    def __len__(self) -> int:
        return len(self._guards)


def as_date(value: Any) -> date:
    """A date from a payload or case-data value (a date, or its ISO text as recorded)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))
