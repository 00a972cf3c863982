"""API tokens of the organisation's users: the list (never the tokens: only their SHA-256 is stored), issuing
one (the token is shown on the page that answers the form, once), and revoking one (it stops working at
once). The same functions as `lawflow tokens create/revoke` (workflow/administration.py)."""

from __future__ import annotations

from collections.abc import Mapping

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from web.admin.common import bp, clock, errors_of, form_text
from web.forms import widgets
from web.i18n import _
from web.present import fmt_datetime, person
from web.runtime import runtime
from workflow import administration
from workflow.accounts import is_portal_account
from workflow.administration import AdminError
from workflow.definitions import Label
from workflow.models import ApiToken, User
from workflow.payloads import FieldSpec
from workflow.tokens import NAME_MAX


def _fields(owners: tuple[tuple[str, Label], ...]) -> tuple[FieldSpec, ...]:
    return (
        FieldSpec("username", "choice", Label("令牌代表的用户", "Acts as"), required=True, choices=owners,
                  help=_("集成系统使用该令牌时，以该用户的角色和权限办理，每一步都经引擎校验并记入审计记录。")),
        FieldSpec("name", "string", Label("令牌名称（用途）", "Token name (what it is for)"), required=True,
                  max_length=NAME_MAX, help=_("例如：司法所OA系统")),
    )


@bp.get("/tokens")
def tokens() -> str:
    return _page({}, {})


@bp.post("/tokens")
def create_token() -> str | tuple[str, int]:
    values = {name: form_text(request.form, name) for name in ("username", "name")}
    try:
        token_id, token = administration.create_token(runtime().sessions, actor=current_user.username,
                                                      username=values["username"], name=values["name"], now=clock())
    except AdminError as exc:
        return _page(values, errors_of(exc)), 422
    # Shown on this answer only (no redirect: the token must not sit in a session or a URL).
    return _page({}, {}, issued={"id": token_id, "token": token, "username": values["username"]})


@bp.post("/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int) -> Response | tuple[str, int]:
    try:
        administration.revoke_token(runtime().sessions, actor=current_user.username, token_id=token_id, now=clock())
    except AdminError as exc:
        return _page({}, errors_of(exc)), 422
    flash(_("令牌{id}已撤销，立即失效。", id=token_id), "success")
    return redirect(url_for("admin.tokens"))


def _page(values: Mapping[str, str], errors: Mapping[str, list[str]], issued: dict[str, object] | None = None) -> str:
    with runtime().sessions() as s:
        users = s.scalars(select(User).where(User.org_id == current_user.org_id).order_by(User.username)).all()
        names = {u.username: u.display_name for u in users}
        rows = s.scalars(select(ApiToken).options(selectinload(ApiToken.user)).join(User, User.id == ApiToken.user_id)
                         .where(User.org_id == current_user.org_id).order_by(ApiToken.id)).all()
    owners = tuple((u.username, Label(f"{u.display_name}（{u.username}）", f"{u.display_name} ({u.username})"))
                   for u in users if u.active and not is_portal_account(u.username))
    listing = [{"id": r.id, "owner": person(names, r.user.username), "owner_active": r.user.active, "name": r.name,
                "created": fmt_datetime(r.created_at), "by": person(names, r.created_by),
                "used": fmt_datetime(r.last_used_at), "revoked": fmt_datetime(r.revoked_at)} for r in rows]
    return render_template("admin/tokens.html", rows=listing, issued=issued,
                           widgets=widgets("token", _fields(owners), values, errors), general=errors.get("", []))
