"""The cases another organisation's case is about (a definition's `addressee: concerns:`, workflow/addressee.py):
a town's penalty case sampled by the district's review shows 「本案已被抽取评查（监督案件号…）」 with its score.

A read model for the case page. It reads the definitions, never a procedure's name: every case addressed to the
case's organisation whose `concerns.path` lists the case's number, and what the family block named by
`concerns.summary` says of it (`summary(data, case_id, settings) -> Label | None`, the settings read in the
addressing organisation, whose rule it is).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow import accounts
from workflow.definitions import Procedure, Registry
from workflow.labels import Label
from workflow.models import Case


@dataclass(frozen=True)
class Concern:
    case_id: str  # the addressing organisation's case
    procedure: Procedure
    label: Label  # concerns.label: 本案已被抽取评查
    state: str
    summary: Label | None  # e.g. 评查得分92分（满分100分），优秀


def concerning(session: Session, registry: Registry, case: Case) -> list[Concern]:
    out = []
    for row in session.scalars(select(Case).where(Case.addressee_org_id == case.org_id).order_by(Case.id)):
        try:
            procedure = registry.get(row.procedure, row.procedure_version)
        except KeyError:
            continue
        about = procedure.addressee.concerns if procedure.addressee else None
        if about is None:
            continue
        key, name = about.path.split(".")
        record = (row.data or {}).get(key)
        if not isinstance(record, dict) or case.id not in (record.get(name) or []):
            continue
        summary = None
        block: Any = procedure.block(about.summary) if about.summary else None
        if block is not None and hasattr(block, "summary"):
            summary = block.summary(row.data or {}, case.id, accounts.setting_values(session, row.org_id))
        out.append(Concern(row.id, procedure, about.label, row.state, summary))
    return out
