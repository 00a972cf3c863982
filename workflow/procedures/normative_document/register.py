"""The register of normative documents (规范性文件统一登记) and the clean-up lists: a read model, nothing here writes.

* `documents`: every normative document of an organisation that has been registered, with its register number,
  publication date, effective date, validity and status (现行有效 / 已失效 / 已废止 ...): the public register
  (legal-facts-2 §1.11 [V2]) shows those published, the staff register every one.
* `cleanup_lists`: a published clean-up's two lists, 《继续有效的行政规范性文件目录》 and 《已失效的行政规范性文件目录》
  (§1.11 item 33 [V2]), each document with the outcome and reasons recorded for it.
* `year_figures`: issued, repealed and in force at 31 December of a year — the figures the disclosure annual
  report asks for normative documents (国办公开办函〔2021〕30号, §1.11 item 34 [V2]).
Everything is rebuilt from the case records each time it is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.definitions import Label, Registry
from workflow.models import Case
from workflow.procedures.normative_document.law import CLEANUP_INVALID, CLEANUP_VALID

DOCUMENT = "normative_document"
CLEANUP = "normative_cleanup"
ENDED = ("expired", "repealed")  # the states of a document no longer in force


@dataclass(frozen=True)
class Entry:
    case_id: str
    title: str
    register_no: str
    published_on: str
    effective_on: str
    valid_until: str
    kind: str
    state: str
    ended_on: str  # the day it expired or was repealed ("" while in force)
    filed: bool

    @property
    def in_force(self) -> bool:
        return self.state == "in_force"


@dataclass(frozen=True)
class Listed:
    case_id: str
    title: str
    register_no: str
    outcome: str
    reasons: str


@dataclass(frozen=True)
class CleanupLists:
    case_id: str
    title: str
    notice_ref: str
    published_on: str
    location: str
    valid: tuple[Listed, ...]
    invalid: tuple[Listed, ...]


@dataclass(frozen=True)
class YearFigures:
    year: int
    issued: int  # published in the year
    repealed: int  # repealed, declared invalid or expired in the year
    in_force: int  # in force at 31 December


def outcome_labels(registry: Registry) -> dict[str, Label]:
    """The clean-up outcomes by value, with their labels as the clean-up's definition gives them."""
    try:
        procedure = registry.get(CLEANUP)
    except KeyError:
        return {}
    return {value: label for t in procedure.transitions for f in t.payload if f.name == "outcome"
            for value, label in f.choices}


def _entry(case: Case) -> Entry:
    data: Mapping[str, Any] = case.data or {}
    publication, force = data.get("publication") or {}, data.get("force") or {}
    ended = (data.get("repeal") or {}).get("repealed_on") or (data.get("repeal") or {}).get("recorded_on") \
        or (data.get("expiry") or {}).get("recorded_on") or ""
    return Entry(case.id, (data.get("draft") or {}).get("title", case.title),
                 (data.get("registration") or {}).get("register_no") or "",
                 publication.get("published_on", ""), force.get("effective_on", ""), force.get("valid_until", ""),
                 force.get("kind", ""), case.state, ended if case.state in ENDED else "", bool(data.get("filing")))


def documents(session: Session, org_id: str, *, published_only: bool = False) -> list[Entry]:
    """The registered documents of `org_id`, newest register entry first; `published_only`: those that have
    a publication record (what the public register shows)."""
    cases = session.scalars(select(Case).where(Case.org_id == org_id, Case.procedure == DOCUMENT)
                            .order_by(Case.created_at.desc(), Case.id.desc())).all()
    entries = [_entry(c) for c in cases if (c.data or {}).get("registration")]
    return [e for e in entries if e.published_on] if published_only else entries


def _listed(session: Session, outcome: Mapping[str, Any]) -> Listed:
    case = session.get(Case, outcome.get("document", ""))
    entry = _entry(case) if case is not None else None
    return Listed(outcome.get("document", ""), entry.title if entry else "", entry.register_no if entry else "",
                  outcome.get("outcome", ""), outcome.get("reasons", ""))


def _lists(session: Session, case: Case) -> CleanupLists:
    data: Mapping[str, Any] = case.data or {}
    result, outcomes = data.get("result") or {}, data.get("outcomes", [])
    return CleanupLists(
        case.id, (data.get("round") or {}).get("title", case.title), result.get("notice_ref", ""),
        result.get("published_on", ""), result.get("location", ""),
        tuple(_listed(session, o) for o in outcomes if o.get("outcome") in CLEANUP_VALID),
        tuple(_listed(session, o) for o in outcomes if o.get("outcome") in CLEANUP_INVALID))


def cleanup_lists(session: Session, org_id: str, cleanup_id: str) -> CleanupLists:
    """The two lists of the clean-up `cleanup_id` of `org_id` (empty while its result is unpublished)."""
    case = session.get(Case, cleanup_id)
    if case is None or case.org_id != org_id or case.procedure != CLEANUP or case.state != "published":
        return CleanupLists(cleanup_id, "", "", "", "", (), ())
    return _lists(session, case)


def published_cleanups(session: Session, org_id: str) -> list[CleanupLists]:
    """Every clean-up of `org_id` whose result is published, newest first."""
    cases = session.scalars(select(Case).where(Case.org_id == org_id, Case.procedure == CLEANUP,
                                               Case.state == "published")
                            .order_by(Case.updated_at.desc(), Case.id.desc())).all()
    return [_lists(session, c) for c in cases]


def year_figures(session: Session, org_id: str, year: int) -> YearFigures:
    """Issued (published), ended (repealed, declared invalid or expired) in `year`, and in force at 31 December."""
    entries = documents(session, org_id, published_only=True)
    end = date(year, 12, 31).isoformat()
    issued = sum(1 for e in entries if e.published_on[:4] == str(year))
    ended = sum(1 for e in entries if e.ended_on[:4] == str(year))
    in_force = sum(1 for e in entries if e.effective_on and e.effective_on <= end
                   and (not e.ended_on or e.ended_on > end))
    return YearFigures(year, issued, ended, in_force)
