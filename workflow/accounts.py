"""Organisations, users, roles and organisation settings (administration, not case changes)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from workflow.models import EnforcementCertificate, Organization, OrgSetting, RoleAssignment, User


def ensure_org(session: Session, org_id: str, name_zh: str, name_en: str) -> Organization:
    org = session.get(Organization, org_id)
    if org is None:
        org = Organization(id=org_id, name_zh=name_zh, name_en=name_en)
        session.add(org)
    return org


def create_user(session: Session, *, username: str, display_name: str, org_id: str, roles: Iterable[str],
                unit: str = "", password: str | None = None, password_hash: str | None = None) -> User:
    """Give either the password or its hash (hashing is deliberately slow; seeders hash once)."""
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise ValueError(f"user {username!r} already exists / 用户「{username}」已存在")
    if password_hash is None:
        if not password:
            raise ValueError("a new user needs a password / 新用户需要设置密码")
        password_hash = generate_password_hash(password)
    user = User(username=username, display_name=display_name, unit=unit, org_id=org_id,
                password_hash=password_hash, active=True)
    user.roles = [RoleAssignment(role=r) for r in sorted(set(roles))]
    session.add(user)
    return user


_NO_USER_HASH = generate_password_hash("no such user")


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.username == username))
    # Check a hash even for an unknown name, so the reply time does not tell which accounts exist.
    valid = check_password_hash(user.password_hash if user else _NO_USER_HASH, password)
    if user is None or not user.active or not valid:
        return None
    return user


def set_setting(session: Session, *, org_id: str, key: str, value: Any, source: str, by: str,
                now: datetime) -> OrgSetting:
    """Record a locally set rule together with the document that sets it (legal-facts §12)."""
    if not source.strip():
        raise ValueError("an organisation setting needs its source (the document that sets it)")
    row = session.get(OrgSetting, (org_id, key))
    if row is None:
        row = OrgSetting(org_id=org_id, key=key)
        session.add(row)
    row.value, row.source, row.updated_by, row.updated_at = {"value": value}, source, by, now
    return row


CERTIFICATE_KINDS = ("enforcement", "legal_qualification")


def add_certificate(session: Session, *, username: str, number: str, issuer: str, issued_on: date,
                    kind: str = "enforcement", field: str = "", valid_until: date | None = None) -> EnforcementCertificate:
    """Record an enforcement certificate (执法证件: a field and an end date) or a legal professional
    qualification (法律职业资格: neither). Guards read them when officers and reviewers act."""
    if kind not in CERTIFICATE_KINDS:
        raise ValueError(f"证件类别应为 {' / '.join(CERTIFICATE_KINDS)} / kind must be one of {CERTIFICATE_KINDS}")
    if session.scalar(select(User.id).where(User.username == username)) is None:
        raise ValueError(f"用户「{username}」不存在 / user {username!r} does not exist")
    if not number.strip() or not issuer.strip():
        raise ValueError("证件编号和发证机关不能为空 / the number and the issuer are required")
    if kind == "enforcement" and (not field.strip() or valid_until is None):
        raise ValueError("执法证件须注明执法领域和有效期 / an enforcement certificate needs its field and valid-until date")
    if valid_until is not None and valid_until < issued_on:
        raise ValueError("有效期早于发证日期 / valid-until is before the issue date")
    taken = session.scalar(select(EnforcementCertificate.id).where(
        EnforcementCertificate.kind == kind, EnforcementCertificate.number == number))
    if taken is not None:
        raise ValueError(f"证件编号「{number}」已登记 / certificate {number!r} is already recorded")
    row = EnforcementCertificate(username=username, kind=kind, number=number, field=field.strip(),
                                 issued_on=issued_on, valid_until=valid_until, issuer=issuer)
    session.add(row)
    return row
