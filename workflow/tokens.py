"""API tokens for integrators: create, list, revoke, and resolve a presented token to its owner.

A token is `lf_` followed by 43 URL-safe characters (256 random bits). Only its SHA-256 is stored, so a
copy of the database gives no usable token; the token itself is shown once, when it is created. A request
with a token acts as the token's owner: the engine checks that user's roles and organisation as for anyone
else. A revoked token, or one whose owner is disabled, never authenticates again.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from workflow.accounts import AccountError, is_portal_account
from workflow.db import writing
from workflow.models import ApiToken, User

PREFIX = "lf_"
NAME_MAX = 100
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is a hint, not a log: at most one write a minute per token


@dataclass(frozen=True)
class TokenOwner:
    """Who a valid token acts as (a snapshot: roles are re-read on every request)."""

    token_id: int
    username: str
    display_name: str
    org_id: str
    roles: frozenset[str]
    read_only: bool = False  # only GET/HEAD
    procedures: frozenset[str] | None = None  # only these procedures' cases (None: every one)
    acts_for_users: bool = False  # a service account: acts on behalf of the organisation's users


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def aware(moment: datetime | None) -> datetime | None:
    """A stored time as an aware UTC datetime (SQLite hands DateTime columns back naive)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def create(session: Session, *, username: str, name: str, by: str, now: datetime, read_only: bool = False,
           procedures: list[str] | None = None, acts_for_users: bool = False) -> tuple[ApiToken, str]:
    """A new token for `username`; returns the row and the token (which is not stored anywhere). `read_only`,
    `procedures` (None: every one) and `acts_for_users` (a service account's) say what it may do."""
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise AccountError(f"令牌名称须为1到{NAME_MAX}个字符 / the token name must be 1–{NAME_MAX} characters", "name")
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        raise AccountError(f"用户「{username}」不存在或已停用 / user {username!r} does not exist or is disabled",
                           "username")
    if is_portal_account(username):  # the portal's own checks (rate limit, form timing) would be bypassed
        raise AccountError(f"「{username}」是公开征求意见平台账号，不能签发令牌 / {username!r} is the portal account: "
                           "no tokens", "username")
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(token_hash=digest(token), user_id=user.id, name=name, created_by=by, created_at=now,
                   read_only=read_only, procedures=sorted(set(procedures)) if procedures else None,
                   acts_for_users=acts_for_users)
    session.add(row)
    session.flush()
    return row, token


def listing(session: Session, username: str | None = None) -> list[ApiToken]:
    query = select(ApiToken).options(selectinload(ApiToken.user)).order_by(ApiToken.id)
    if username:
        query = query.join(User, User.id == ApiToken.user_id).where(User.username == username)
    return list(session.scalars(query))


def revoke(session: Session, token_id: int, now: datetime) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise ValueError(f"没有编号为 {token_id} 的令牌 / no token with id {token_id}")
    if row.revoked_at is not None:
        raise ValueError(f"令牌 {token_id} 已撤销（{aware(row.revoked_at):%Y-%m-%d %H:%M} UTC）/ "
                         f"token {token_id} was already revoked")
    row.revoked_at = now
    return row


def resolve(sessions: sessionmaker[Session], token: str, now: datetime) -> TokenOwner | None:
    """The owner a presented token acts as, or None (unknown, revoked, or its owner disabled)."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    with sessions() as session:
        row = session.scalar(select(ApiToken).options(selectinload(ApiToken.user).selectinload(User.roles))
                             .where(ApiToken.token_hash == digest(token)))
        if row is None or row.revoked_at is not None or not row.user.active:
            return None
        owner = TokenOwner(row.id, row.user.username, row.user.display_name, row.user.org_id,
                           frozenset(row.user.role_names), bool(row.read_only),
                           frozenset(row.procedures) if row.procedures else None, bool(row.acts_for_users))
        last_used = aware(row.last_used_at)
    if last_used is None or now - last_used >= TOUCH_EVERY:
        with writing(sessions) as session:
            session.execute(update(ApiToken).where(ApiToken.id == owner.token_id).values(last_used_at=now))
    return owner
