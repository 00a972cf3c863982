"""What a message sent out of lawflow may say (个人信息保护法第六条: processing limited to the minimum the purpose
needs; 第三十四条: a state organ within what its duty needs; 处罚法第五十条: personal information learnt in a case is
kept confidential).

A notice leaves the app by e-mail, a daily digest or a group robot, and a group robot is read by everyone in the
group. So every message is composed from these facts only: the case's number, the procedure's and the step's
names, the period's label and its dates, never the case's title (which names the party in practice) nor any field
a definition declares as personal data (`visibility.personal_data`, workflow/need_to_know.py). The reader who may
see more follows the link and reads the case under their own rights (workflow/case_reading.py).

`scrub` is the last check before a message is sent: should a label or a future field ever carry one of the case's
personal values or its title, it is replaced, so the rule does not rest on every message builder alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from workflow.definitions import Label, Procedure
from workflow.models import Case
from workflow.need_to_know import HIDDEN

KINDS: Mapping[str, Label] = {"remind": Label("届满提醒", "Reminder"), "overdue": Label("逾期通知", "Overdue"),
                              "escalation": Label("督办通知", "Escalation")}
SHORTEST = 2  # a personal value shorter than this (one character) would scrub half of every text


@dataclass(frozen=True)
class Facts:
    """All a message about one notice may say."""

    case_id: str
    kind: Label
    procedure: Label
    period: Label
    steps: tuple[Label, ...]  # the steps that end the period (what the recipient is to do)
    due: str  # the period's last day, ISO


def facts(procedure: Procedure, case_id: str, kind: str, deadline: str, due: str) -> Facts:
    spec = procedure.deadlines.get(deadline)
    ends_on = spec.ends_on if spec else ()
    steps = tuple(t.label for t in procedure.transitions if t.trigger in ends_on and not t.system)
    return Facts(case_id, KINDS.get(kind, Label(kind, kind)), procedure.label,
                 spec.label if spec else Label(deadline, deadline), steps, due)


def personal_values(procedure: Procedure | None, case: Case) -> list[str]:
    """The case's title and the values of its personal-data fields, longest first (a value inside another)."""
    values: list[str] = [case.title]
    personal = procedure.visibility.personal if procedure and procedure.visibility else {}
    data: Mapping[str, Any] = case.data or {}
    for key, names in personal.items():
        record = data.get(key)
        for item in record if isinstance(record, list) else [record]:
            if isinstance(item, Mapping):
                values.extend(_texts(item.get(name) for name in names))
    return sorted({v for v in values if len(v) >= SHORTEST}, key=len, reverse=True)


def _texts(values: Iterable[Any]) -> list[str]:
    out: list[str] = []
    for value in values:
        if isinstance(value, list):
            out.extend(_texts(value))
        elif isinstance(value, str | int) and str(value).strip():
            out.append(str(value).strip())
    return out


def scrub(text: str, values: Iterable[str]) -> str:
    for value in values:
        text = text.replace(value, HIDDEN)
    return text
