"""The supervising level's view of the reports below it (issue 14 item 5): for a year, per organisation, where its
report stands — not started, drafting, under review, signed (and its 文号), reported on a day, published by the
statutory day (第二十四条: before 1 April) or late, or withheld — for web/annual_reports.py's page of the district.

Read only; the organisations are those the caller may read (workflow/case_reading.py Reader: the district's own and
those it supervises), the report a row links to is one the Reader's supervision rule lets it open.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.models import Case
from workflow.procedures.rule_of_law_report.law import publication_last_day
from workflow.procedures.rule_of_law_report.report_view import issued_report

PROCEDURE = "rule_of_law_report"


@dataclass(frozen=True)
class OrgReport:
    org_id: str
    case_id: str | None  # None: no report of the year started
    state: str | None
    number: str | None  # the issued 公文's 文号, once signed off through lawflow
    signed_on: date | None
    reported_on: date | None
    published_on: date | None
    publish_by: date
    withheld: bool

    @property
    def published_late(self) -> bool | None:
        """Whether it was published after the statutory day (None: not published)."""
        return None if self.published_on is None else self.published_on > self.publish_by


def _day(record: Any, field: str) -> date | None:
    value = record.get(field) if isinstance(record, dict) else None
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def reports_of(session: Session, org_ids: Sequence[str], year: int) -> list[OrgReport]:
    """One row per organisation, in the order given: its report on `year` (the newest, should there be several)."""
    cases = session.scalars(select(Case).where(Case.procedure == PROCEDURE, Case.org_id.in_(list(org_ids)))
                            .order_by(Case.id)).all()
    found = {c.org_id: c for c in cases if int((c.data.get("report") or {}).get("year") or 0) == year}
    rows = []
    for org_id in org_ids:
        case = found.get(org_id)
        if case is None:
            rows.append(OrgReport(org_id, None, None, None, None, None, None, publication_last_day(year), False))
            continue
        issued, _kept = issued_report(session, case.id)
        rows.append(OrgReport(
            org_id, case.id, case.state, issued.number if issued else None,
            _day(case.data.get("signature"), "signed_on"), _day(case.data.get("reporting"), "reported_on"),
            _day(case.data.get("publication"), "published_on"), publication_last_day(year),
            "withholding" in case.data))
    return rows
