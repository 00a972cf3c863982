"""Due-date rules: a time limit whose last day follows from the case's recorded facts, not from one step's payload.

Most periods are fixed when a step starts them (n days from a date, or a date the step gives: workflow/deadlines.py).
Some are not: the answer to a request for government information is due 20 working days after receipt, but a
consultation pauses the count and an extension moves the day (政府信息公开条例第三十二条至第三十五条). Such a deadline
names a rule in its definition, `due_by: <rule name>`, instead of `n:` or `due_from:`. The rule is a function of the
family, registered like its guards (a `DueRuleTable` exposed as `DUE_RULES`, joined by workflow/procedures/__init__.py;
the loader refuses a name no family registers):

    rule(case data, calendar, setting) -> a date (the last day) | Paused (the count stands still, with the reason)

`setting(key)` reads an organisation setting (None when unset), for rules the law leaves to the organisation.
The engine computes the rule again after every step of a case whose period is open (workflow/engine/timeliness.py),
so the case_deadline row always holds the day the recorded facts give: paused rows have no due day, so they are
never overdue and bring no timer; a moved day brings the reminders of the new day (workflow/timers/schedule.py).

This module imports no family and nothing of the loader: both import it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workflow.calendar import WorkCalendar


@dataclass(frozen=True)
class Paused:
    """The count stands still: why (Chinese first, then English), e.g. a consultation awaiting its reply."""

    zh: str
    en: str


Setting = Callable[[str], Any]
DueRule = Callable[[Mapping[str, Any], "WorkCalendar", Setting], "date | Paused"]


class DueRuleTable(Mapping[str, DueRule]):
    """A family's due-date rules, filled by its own `@table.rule(name)` decorators (as GuardTable is for guards)."""

    def __init__(self, family: str) -> None:
        self.family = family
        self._rules: dict[str, DueRule] = {}

    def rule(self, name: str) -> Callable[[DueRule], DueRule]:
        def register(fn: DueRule) -> DueRule:
            if name in self._rules:
                raise ValueError(f"due-date rule {name!r} defined twice in the {self.family} family")
            self._rules[name] = fn
            return fn

        return register

    def __getitem__(self, name: str) -> DueRule:
        return self._rules[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._rules)

    def __len__(self) -> int:
        return len(self._rules)
