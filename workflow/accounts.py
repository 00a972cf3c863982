"""Organisations, users, roles and organisation settings (administration, not case changes)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from werkzeug.security import check_password_hash, generate_password_hash

from workflow.models import EnforcementCertificate, Organization, OrgSetting, RoleAssignment, User

PORTAL_ROLE = "public"
PORTAL_PREFIX = "public."
PORTAL_NAME = "社会公众（公开征求意见平台）"
# Not a werkzeug hash ("method$salt$hash"): check_password_hash answers False for every password, so the
# account can never log in, on the web or anywhere else that checks a password.
UNUSABLE_PASSWORD = "!portal-account-no-login"


class AccountError(ValueError):
    """A refused account change ("中文 / English"); `field` names the input it concerns ("" for the whole change),
    so a form can show the message next to that input."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


def portal_username(org_id: str) -> str:
    """The organisation's public portal account: what the public submits through the portal is fired as it."""
    return f"{PORTAL_PREFIX}{org_id}"


def is_portal_account(username: str) -> bool:
    return username.startswith(PORTAL_PREFIX)


def ensure_org(session: Session, org_id: str, name_zh: str, name_en: str) -> Organization:
    org = session.get(Organization, org_id)
    if org is None:
        org = Organization(id=org_id, name_zh=name_zh, name_en=name_en)
        session.add(org)
        session.flush()  # the portal account refers to the organisation
    ensure_portal_account(session, org_id)
    return org


def ensure_portal_account(session: Session, org_id: str) -> User:
    """The organisation's one portal account (role `public`, no usable password), created once.

    The public acts without logging in; the portal fires their comments through the engine as this account,
    so the comment is authorised, validated, guarded and audited like every other step."""
    username = portal_username(org_id)
    if len(username) > 64:
        raise ValueError(f"organisation id {org_id!r} is too long for its portal account name")
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        user = create_user(session, username=username, display_name=PORTAL_NAME, org_id=org_id,
                           roles=[PORTAL_ROLE], unit="", password_hash=UNUSABLE_PASSWORD)
    return user


# The organisation's system account: the timer worker (workflow/timers/) takes the steps a definition marks
# `system: true` as it, when a period the law closes by itself has run out. Only it holds the role `system`
# (administration never assigns it) and it cannot log in, so no person can take such a step.
SYSTEM_ROLE = "system"
SYSTEM_PREFIX = "system."
SYSTEM_NAME = "系统（期限自动处理）"


def system_username(org_id: str) -> str:
    return f"{SYSTEM_PREFIX}{org_id}"


def is_system_account(username: str) -> bool:
    return username.startswith(SYSTEM_PREFIX)


def ensure_system_account(session: Session, org_id: str) -> User:
    """The organisation's one system account (role `system`, no usable password), created on first use."""
    username = system_username(org_id)
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        user = create_user(session, username=username, display_name=SYSTEM_NAME, org_id=org_id,
                           roles=[SYSTEM_ROLE], unit="", password_hash=UNUSABLE_PASSWORD)
    return user


def create_user(session: Session, *, username: str, display_name: str, org_id: str, roles: Iterable[str],
                unit: str = "", password: str | None = None, password_hash: str | None = None) -> User:
    """Give either the password or its hash (hashing is deliberately slow; seeders hash once)."""
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise AccountError(f"用户「{username}」已存在 / user {username!r} already exists", "username")
    if is_portal_account(username) and password_hash != UNUSABLE_PASSWORD:
        raise AccountError(f"「{PORTAL_PREFIX}」开头的账号为公开征求意见平台专用，不能登录 / "
                           f"{PORTAL_PREFIX}<org> names the organisation's portal account, which has no password",
                           "username")
    if is_system_account(username) and password_hash != UNUSABLE_PASSWORD:
        raise AccountError(f"「{SYSTEM_PREFIX}」开头的账号为系统自动处理专用，不能登录 / "
                           f"{SYSTEM_PREFIX}<org> names the organisation's system account, which has no password",
                           "username")
    if password_hash is None:
        if not password:
            raise AccountError("新用户需要设置密码 / a new user needs a password", "password")
        password_hash = generate_password_hash(password)
    user = User(username=username, display_name=display_name, unit=unit, org_id=org_id,
                password_hash=password_hash, active=True)
    user.roles = [RoleAssignment(role=r) for r in sorted(set(roles))]
    session.add(user)
    return user


def set_password(user: User, password: str) -> None:
    """Replace the user's password (stored as a werkzeug hash only); the portal account never gets one."""
    if is_portal_account(user.username):
        raise AccountError("公开征求意见平台账号不能设置密码 / the portal account has no password", "password")
    if not password:
        raise AccountError("密码不能为空 / the password is required", "password")
    user.password_hash = generate_password_hash(password)
    end_sessions(user)


def end_sessions(user: User) -> None:
    """Every web session of the user made before now stops being a login (web/auth.py checks the epoch)."""
    user.session_epoch = (user.session_epoch or 0) + 1


@cache
def _no_user_hash() -> str:
    """Made on the first login, not at import: a hash costs ~0.15 s, which every command-line call paid."""
    return generate_password_hash("no such user")


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.username == username))
    # Check a hash even for an unknown name, so the reply time does not tell which accounts exist.
    valid = check_password_hash(user.password_hash if user else _no_user_hash(), password)
    if user is None or not user.active or not valid:
        return None
    return user


def setting_values(session: Session, org_id: str) -> dict[str, Any]:
    """The organisation's settings as the rules read them: key -> value (the sources stay in the table)."""
    rows = session.scalars(select(OrgSetting).where(OrgSetting.org_id == org_id)).all()
    return {r.key: (r.value or {}).get("value") for r in rows}


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
        raise AccountError(f"证件类别应为 {' / '.join(CERTIFICATE_KINDS)} / kind must be one of {CERTIFICATE_KINDS}",
                           "kind")
    if session.scalar(select(User.id).where(User.username == username)) is None:
        raise AccountError(f"用户「{username}」不存在 / user {username!r} does not exist", "username")
    if not number.strip():
        raise AccountError("证件编号和发证机关不能为空 / the number and the issuer are required", "number")
    if not issuer.strip():
        raise AccountError("证件编号和发证机关不能为空 / the number and the issuer are required", "issuer")
    if kind == "enforcement" and not field.strip():
        raise AccountError("执法证件须注明执法领域和有效期 / an enforcement certificate needs its field and valid-until date",
                           "field")
    if kind == "enforcement" and valid_until is None:
        raise AccountError("执法证件须注明执法领域和有效期 / an enforcement certificate needs its field and valid-until date",
                           "valid_until")
    if valid_until is not None and valid_until < issued_on:
        raise AccountError("有效期早于发证日期 / valid-until is before the issue date", "valid_until")
    taken = session.scalar(select(EnforcementCertificate.id).where(
        EnforcementCertificate.kind == kind, EnforcementCertificate.number == number))
    if taken is not None:
        raise AccountError(f"证件编号「{number}」已登记 / certificate {number!r} is already recorded", "number")
    row = EnforcementCertificate(username=username, kind=kind, number=number, field=field.strip(),
                                 issued_on=issued_on, valid_until=valid_until, issuer=issuer)
    session.add(row)
    return row


# ---------------------------------------------------------------- the people of an organisation


@dataclass(frozen=True)
class Member:
    """A person of the organisation, as pages that pick people by role show them."""

    username: str
    name: str
    unit: str
    roles: frozenset[str]
    active: bool


def people_of(session: Session, org_id: str) -> dict[str, str]:
    """The organisation's people by user name: their display names (the one query for names)."""
    return dict(session.execute(select(User.username, User.display_name).where(User.org_id == org_id)).all())


def names_and_posts(session: Session, org_id: str) -> dict[str, str]:
    """The organisation's people by user name as official pages name them: 黄振华（镇长）, or the name alone (one
    query). The unit a person is recorded with is their post or office."""
    return {u: f"{name}（{unit}）" if unit else name
            for u, name, unit in session.execute(select(User.username, User.display_name, User.unit)
                                                 .where(User.org_id == org_id)).all()}


def members_of(session: Session, org_id: str) -> dict[str, Member]:
    """The organisation's people with their roles and whether they are active, in the order they were added."""
    users = session.scalars(select(User).options(selectinload(User.roles))
                            .where(User.org_id == org_id).order_by(User.id)).all()
    return {u.username: Member(u.username, u.display_name, u.unit, frozenset(u.role_names), u.active)
            for u in users}
