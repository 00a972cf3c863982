"""The register of contracts under legality review (合同台账): a read model, nothing here writes.

One row per contract of an organisation: its unit, counterparty, amount, kind, whether it is a 行政协议 or a major
contract (the setting contract.major_amount, legal-facts-2 §2 item 36), the latest review opinion, its stage, and
the days it was submitted, signed and filed. Everything is rebuilt from the case records each time it is read,
so the register can never disagree with the cases; the staff page and its .xlsx (web/contracts.py) read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.accounts import setting_values
from workflow.definitions import Label, Procedure
from workflow.models import Case
from workflow.procedures.contract_review.law import MAJOR_AMOUNT

PROCEDURE = "contract_review"


@dataclass(frozen=True)
class ContractRow:
    case_id: str
    title: str
    contracting_unit: str
    counterparty: str
    amount: str  # yuan, as the decimal string recorded
    kind: str  # the `kind` choice's value
    administrative_agreement: bool
    major: bool  # at or above the organisation's major-contract amount (False while it is unset)
    outcome: str  # the latest opinion's outcome value ("" before the first opinion)
    state: str
    submitted_on: str  # ISO dates ("" where not yet)
    signed_on: str
    filed_on: str
    counterparty_type: str = ""  # legal_person | unincorporated | natural_person ("" where not recorded)

    @property
    def year(self) -> int | None:
        return int(self.submitted_on[:4]) if self.submitted_on[:4].isdigit() else None


def major_amount(settings: Mapping[str, Any]) -> int | None:
    """The organisation's major-contract amount in yuan, or None while unset."""
    value = settings.get(MAJOR_AMOUNT)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _is_major(amount: Any, threshold: int | None) -> bool:
    if threshold is None:
        return False
    try:
        return Decimal(str(amount)) >= threshold
    except (InvalidOperation, ValueError):
        return False


def row_of(case: Case, threshold: int | None) -> ContractRow:
    data: Mapping[str, Any] = case.data or {}
    contract = data.get("contract") or {}
    return ContractRow(
        case.id, str(contract.get("title") or case.title), str(contract.get("contracting_unit") or ""),
        str(contract.get("counterparty") or ""), str(contract.get("amount") or ""), str(contract.get("kind") or ""),
        bool(contract.get("administrative_agreement")), _is_major(contract.get("amount"), threshold),
        str((data.get("opinion") or {}).get("outcome") or ""), case.state,
        str(contract.get("recorded_on") or ""), str((data.get("signing") or {}).get("signed_on") or ""),
        str((data.get("filing") or {}).get("filed_on") or ""), str(contract.get("counterparty_type") or ""))


def contracts(session: Session, org_id: str, *, state: str | None = None, year: int | None = None,
              ) -> list[ContractRow]:
    """The contracts of `org_id`, newest submission first; `state` and `year` (of submission) narrow the list."""
    threshold = major_amount(setting_values(session, org_id))
    query = select(Case).where(Case.org_id == org_id, Case.procedure == PROCEDURE)
    if state:
        query = query.where(Case.state == state)
    rows = [row_of(case, threshold) for case in session.scalars(query)]
    if year is not None:
        rows = [r for r in rows if r.year == year]
    return sorted(rows, key=lambda r: (r.submitted_on, r.case_id), reverse=True)


def choice_labels(procedure: Procedure, trigger: str, name: str) -> dict[str, Label]:
    """A choice field's labels by value, as the definition gives them (the kinds, the opinion's outcomes)."""
    steps = (procedure.create, *procedure.transitions)
    spec = next((f for t in steps if t.trigger == trigger for f in t.payload if f.name == name), None)
    return {value: label for value, label in spec.choices} if spec else {}


def kind_labels(procedure: Procedure) -> dict[str, Label]:
    """The kinds of contract, as the submission's `kind` field gives them."""
    return choice_labels(procedure, "create", "kind")


def outcome_labels(procedure: Procedure) -> dict[str, Label]:
    """The review opinion's outcomes (同意 / 修改后同意 / 不同意), as the opinion's step gives them."""
    return choice_labels(procedure, "issue_opinion", "outcome")
