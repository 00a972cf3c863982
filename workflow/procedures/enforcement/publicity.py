"""The organisation's public register (行政执法公示制度, 国办发〔2018〕118号; 处罚法第三十九条、第四十八条): a read-only view.

Before enforcement: the enforcing body, its officers with a currently valid certificate (name, number, field),
its powers (the delegated-powers setting, with its recorded source), its procedures and the remedies.
After enforcement: the decisions published, and those withdrawn with the reason stated in public.
Nothing here writes: the register is rebuilt from the records each time it is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from workflow.definitions import Label, Registry
from workflow.models import Case, EnforcementCertificate, Organization, OrgSetting, User
from workflow.procedures.enforcement.law import DELEGATED_POWERS, ENFORCEMENT_PROCEDURE, PENALTY_ZH

# 处罚法第三十九条 asks the remedies to be public; the periods are the statutory minimums the decision states.
REMEDIES: tuple[tuple[Label, str], ...] = (
    (Label("陈述、申辩", "Statement and defence"), "《中华人民共和国行政处罚法》第七条、第四十五条"),
    (Label("要求听证（较大数额罚款等，告知后5个工作日内）", "Hearing (large fines etc., within 5 working days)"),
     "《中华人民共和国行政处罚法》第六十三条、第六十四条"),
    (Label("申请行政复议（60日内）", "Administrative reconsideration (within 60 days)"), "《中华人民共和国行政复议法》第二十条"),
    (Label("提起行政诉讼（6个月内）", "Administrative litigation (within 6 months)"), "《中华人民共和国行政诉讼法》第四十六条"),
)


@dataclass(frozen=True)
class Officer:
    name: str
    unit: str
    certificate: str
    field: str
    valid_until: date | None


@dataclass(frozen=True)
class ProcedureEntry:
    label: Label
    legal_basis: tuple[Mapping[str, str], ...]


@dataclass(frozen=True)
class Publication:
    case_id: str
    title: str
    document_no: str
    penalty: str
    decided_on: str
    published_on: str
    channel: str
    location: str
    on_time: bool | None  # None: no period was running (e.g. a case decided before publicity was tracked)
    withdrawn_on: str | None = None
    withdrawal_reason: str | None = None
    entered_late_on: str | None = None  # the publication was entered late (补录) on this day: its verdict says so


@dataclass(frozen=True)
class Register:
    org_id: str
    body: Label
    officers: tuple[Officer, ...]
    powers: tuple[Mapping[str, Any], ...]
    powers_source: str | None  # None: the organisation has not set its delegated powers
    procedures: tuple[ProcedureEntry, ...]
    remedies: tuple[tuple[Label, str], ...]
    published: tuple[Publication, ...]
    withdrawn: tuple[Publication, ...]


def valid_officers(session: Session, org_id: str, today: date) -> list[Officer]:
    """Officers of active accounts holding an enforcement certificate valid today (an expired one is not shown:
    the public may refuse an officer without a valid certificate, 处罚法第五十五条)."""
    rows = session.execute(
        select(User, EnforcementCertificate).join(EnforcementCertificate, EnforcementCertificate.username == User.username)
        .where(User.org_id == org_id, User.active.is_(True), EnforcementCertificate.kind == "enforcement",
               EnforcementCertificate.issued_on <= today,
               or_(EnforcementCertificate.valid_until.is_(None), EnforcementCertificate.valid_until >= today))
        .order_by(EnforcementCertificate.field, User.display_name, EnforcementCertificate.number)).all()
    return [Officer(u.display_name, u.unit, c.number, c.field, c.valid_until) for u, c in rows]


def _publication(case: Case) -> Publication:
    data = case.data
    published = data["publication"]
    decision = data.get("decision") or {}
    no_penalty = data.get("no_penalty_decision") if not decision else None
    withdrawal = data.get("withdrawal") or {}
    timeliness = (published.get("timeliness") or {}).get(
        "other_publication_period" if no_penalty else "publication_period")
    if no_penalty:
        outcome, decided_on, document_no = "不予行政处罚", no_penalty.get("recorded_on", ""), no_penalty["document_no"]
    else:
        outcome = PENALTY_ZH.get(decision.get("penalty_type", ""), "")
        decided_on, document_no = decision.get("decided_on", ""), decision.get("document_no", "")
    return Publication(
        case_id=case.id, title=(data.get("filing") or {}).get("title", ""), document_no=document_no,
        penalty=outcome, decided_on=decided_on,
        published_on=published["published_on"], channel=published["channel"], location=published["location"],
        on_time=timeliness["on_time"] if timeliness else None,
        withdrawn_on=withdrawal.get("withdrawn_on"), withdrawal_reason=withdrawal.get("public_reason"),
        entered_late_on=timeliness.get("recorded_on") if timeliness and timeliness.get("late_entry") else None)


def build_register(session: Session, registry: Registry, org_id: str, today: date) -> Register | None:
    org = session.get(Organization, org_id)
    if org is None:
        return None
    powers = session.get(OrgSetting, (org_id, DELEGATED_POWERS))
    cases = session.scalars(select(Case).where(Case.org_id == org_id, Case.procedure == ENFORCEMENT_PROCEDURE)
                            .order_by(Case.id)).all()
    # Party names are left out: publishing a person's name is a judgment the publication step does not record.
    publications = [_publication(c) for c in cases if (c.data or {}).get("publication")]
    return Register(
        org_id=org.id, body=Label(org.name_zh, org.name_en),
        officers=tuple(valid_officers(session, org_id, today)),
        powers=tuple((powers.value.get("value") or []) if powers else ()),
        powers_source=powers.source if powers else None,
        procedures=tuple(ProcedureEntry(p.label, p.legal_basis) for p in registry.latest()),
        remedies=REMEDIES,
        published=tuple(p for p in publications if p.withdrawn_on is None),
        withdrawn=tuple(p for p in publications if p.withdrawn_on is not None),
    )
