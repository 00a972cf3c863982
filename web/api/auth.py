"""Who is calling the API: a bearer token (integrators), or a logged-in browser session (read only).

    Authorization: Bearer lf_...     acts as the token's owner; any method
    the session cookie of a login    GET/HEAD only: a browser sends cookies by itself, so a write through
                                     the API with a session would need the CSRF token; the API takes
                                     writes with a bearer token only, which no other site can make a
                                     browser send

Anything else is 401 with a JSON error. The OpenAPI document and the explorer page need no credentials:
they describe the API, not any case. Roles and organisation are checked by the engine as for anyone else.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, g, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from web.api.errors import ApiError
from web.api.paths import is_api_request
from web.runtime import runtime
from workflow import tokens
from workflow.models import User

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC_ENDPOINTS = frozenset({"api-docs.openapi_json", "api_explorer.explorer"})


@dataclass(frozen=True)
class ApiUser:
    username: str
    display_name: str
    org_id: str
    roles: frozenset[str]
    via: str  # "token" | "session"
    token_id: int | None = None
    integration: str | None = None  # the service account acting for this user (X-On-Behalf-Of), if any
    procedures: frozenset[str] | None = None  # the token's procedures (None: every one)

    def has_any_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))


def api_user() -> ApiUser:
    user = g.get("api_user")
    if user is None:  # pragma: no cover - authenticate() runs before every API view
        raise ApiError(401)
    return user


def _unauthorized(code: str, message: str, message_en: str, error: str = "") -> ApiError:
    challenge = 'Bearer realm="lawflow"' + (f', error="{error}"' if error else "")
    return ApiError(401, code, message, message_en, headers={"WWW-Authenticate": challenge})


def authenticate() -> None:
    """Before every request under /api/: set g.api_user, or refuse with 401."""
    if not is_api_request() or request.endpoint in PUBLIC_ENDPOINTS:
        return
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.strip().partition(" ")
        rt = runtime()
        owner = tokens.resolve(rt.sessions, token.strip(), rt.clock.now()) if scheme.lower() == "bearer" else None
        if owner is None:
            raise _unauthorized("invalid_token", "API 令牌无效、已撤销，或其用户已停用",
                                "The API token is invalid or revoked, or its user is disabled", "invalid_token")
        if owner.read_only and request.method not in READ_METHODS:
            raise ApiError(403, "token_read_only", "此 API 令牌只能读取", "This API token may only read")
        on_behalf = request.headers.get(ON_BEHALF_OF)
        if on_behalf is not None:
            g.api_user = _acting_for(owner, on_behalf.strip())
            return
        g.api_user = ApiUser(owner.username, owner.display_name, owner.org_id, owner.roles, "token",
                             owner.token_id, procedures=owner.procedures)
        return
    if current_user.is_authenticated:
        if request.method not in READ_METHODS:
            raise _unauthorized("token_required", "通过 API 办理须使用 API 令牌（Authorization: Bearer）；浏览器登录会话只能读取",
                                "Changes through the API need an API token (Authorization: Bearer); "
                                "a browser session may only read")
        g.api_user = ApiUser(current_user.username, current_user.display_name, current_user.org_id,
                             frozenset(current_user.roles), "session")
        return
    raise _unauthorized("unauthorized", "需要身份认证：请在 Authorization 头中提供有效的 API 令牌（Bearer）",
                        "Authentication required: send a valid API token as 'Authorization: Bearer <token>'")


ON_BEHALF_OF = "X-On-Behalf-Of"


def _acting_for(owner: tokens.TokenOwner, username: str) -> ApiUser:
    """A service account's request for a named user of its organisation: the user's own roles and organisation
    apply (the engine checks them and separation of duties as for the user), and every event it writes records
    the service account as `via` beside the user (docs/audit-format.md §1)."""
    if not owner.acts_for_users:
        raise ApiError(403, "on_behalf_not_allowed", f"此 API 令牌不能代他人办理（{ON_BEHALF_OF}）",
                       f"This API token may not act on behalf of others ({ON_BEHALF_OF})")
    rt = runtime()
    with rt.sessions() as session:
        user = session.scalar(select(User).options(selectinload(User.roles)).where(User.username == username[:64]))
        if user is None or not user.active or user.org_id != owner.org_id:  # another organisation's: as unknown
            raise ApiError(403, "on_behalf_unknown_user", f"本单位没有可代为办理的用户「{username[:64]}」",
                           f"No active user {username[:64]!r} in the service account's organisation")
        return ApiUser(user.username, user.display_name, user.org_id, frozenset(user.role_names), "token",
                       owner.token_id, integration=owner.username, procedures=owner.procedures)


def init_app(app: Flask) -> None:
    app.before_request(authenticate)
