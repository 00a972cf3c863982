"""Accounts for integrations (issue 17 item 4): the organisation's people and roles, and API tokens.

    GET    /users          the directory an OA system maps its own accounts to (any user of the organisation)
    GET    /tokens         the organisation's tokens, never the tokens themselves (administrators)
    POST   /tokens         issue a token: read-only, limited to procedures, or a service account's that acts on
                           behalf of the organisation's users (administrators); the token is in this answer only
    DELETE /tokens/{id}    revoke it: it stops working at once (administrators)

Issuing and revoking go through workflow/administration.py, as on the administration pages and the CLI: the same
checks, and an event in the organisation's administration journal. A service account's request names the user it
acts for in `X-On-Behalf-Of` (web/api/auth.py).
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from web.api.auth import ApiUser, api_user
from web.api.base import ApiBlueprint
from web.api.errors import ApiError, ErrorSchema
from web.api.schemas import LabelSchema, Strict
from web.runtime import runtime
from workflow import administration
from workflow.accounts import is_portal_account, is_system_account, members_of
from workflow.administration import ADMIN_ROLE, AdminError, assignable_roles
from workflow.models import ApiToken, User
from workflow.tokens import aware

blp = ApiBlueprint("accounts", __name__, description="账号 / People, roles and API tokens (integrations)")


class RoleRefSchema(Schema):
    name = fields.String(required=True)
    label = fields.Nested(LabelSchema, required=True)


class DirectoryPersonSchema(Schema):
    username = fields.String(required=True)
    name = fields.String(required=True)
    unit = fields.String(required=True, metadata={"description": "the person's office within the organisation"})
    roles = fields.List(fields.Nested(RoleRefSchema), required=True)
    active = fields.Boolean(required=True)


class DirectorySchema(Schema):
    org = fields.String(required=True)
    people = fields.List(fields.Nested(DirectoryPersonSchema), required=True)


class TokenSchema(Schema):
    id = fields.Integer(required=True)
    username = fields.String(required=True, metadata={"description": "the account the token acts as"})
    name = fields.String(required=True)
    read_only = fields.Boolean(required=True)
    procedures = fields.List(fields.String(), required=True, allow_none=True, metadata={
        "description": "the procedures it is limited to (null: every one)"})
    acts_for_users = fields.Boolean(required=True, metadata={
        "description": "a service account's: it may act on behalf of the organisation's users (X-On-Behalf-Of)"})
    created_by = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    last_used_at = fields.DateTime(required=True, allow_none=True)
    revoked_at = fields.DateTime(required=True, allow_none=True)


class TokenListSchema(Schema):
    items = fields.List(fields.Nested(TokenSchema), required=True)


class NewTokenSchema(Strict):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    read_only = fields.Boolean(load_default=False)
    procedures = fields.List(fields.String(validate=validate.Length(min=1, max=64)), load_default=None,
                             allow_none=True, validate=validate.Length(min=1, max=50))
    acts_for_users = fields.Boolean(load_default=False)


class IssuedTokenSchema(TokenSchema):
    token = fields.String(required=True, metadata={"description": "the token itself: shown in this answer only"})


ADMINS_ONLY = "Not an administrator of the organisation (`admin_only`)"


def _admin() -> ApiUser:
    user = api_user()
    if ADMIN_ROLE not in user.roles:
        raise ApiError(403, "admin_only", "仅系统管理员可管理 API 令牌", "Only administrators manage API tokens")
    return user


def _token_data(row: ApiToken) -> dict[str, Any]:
    return {"id": row.id, "username": row.user.username, "name": row.name, "read_only": bool(row.read_only),
            "procedures": row.procedures or None, "acts_for_users": bool(row.acts_for_users),
            "created_by": row.created_by, "created_at": aware(row.created_at),
            "last_used_at": aware(row.last_used_at), "revoked_at": aware(row.revoked_at)}


def admin_refused(exc: AdminError) -> ApiError:
    first = exc.problems[0] if exc.problems else None
    return ApiError(422, "admin_refused", first.zh if first else str(exc), first.en if first else str(exc),
                    {"fields": {p.field or "json": [{"zh": p.zh, "en": p.en}] for p in exc.problems}})


@blp.route("/users")
class Directory(MethodView):
    @blp.response(200, DirectorySchema)
    @blp.doc(operationId="listUsers")
    def get(self) -> dict[str, Any]:
        """The organisation's people with their units and roles, to map an OA system's accounts to lawflow's"""
        user = api_user()
        rt = runtime()
        labels = assignable_roles(rt.registry)
        with rt.sessions() as session:
            members = members_of(session, user.org_id)
        return {"org": user.org_id, "people": [
            {"username": m.username, "name": m.name, "unit": m.unit, "active": m.active,
             "roles": [{"name": r, "label": labels.get(r) or {"zh": r, "en": r}} for r in sorted(m.roles)]}
            for m in members.values() if not (is_portal_account(m.username) or is_system_account(m.username))]}


@blp.route("/tokens")
class Tokens(MethodView):
    @blp.response(200, TokenListSchema)
    @blp.alt_response(403, schema=ErrorSchema, description=ADMINS_ONLY)
    @blp.doc(operationId="listTokens")
    def get(self) -> dict[str, Any]:
        """The organisation's API tokens: who they act as and what they may do (never the tokens themselves)"""
        admin = _admin()
        with runtime().sessions() as session:
            rows = session.scalars(select(ApiToken).options(selectinload(ApiToken.user))
                                   .join(User, User.id == ApiToken.user_id)
                                   .where(User.org_id == admin.org_id).order_by(ApiToken.id)).all()
            return {"items": [_token_data(r) for r in rows]}

    @blp.arguments(NewTokenSchema)
    @blp.response(201, IssuedTokenSchema)
    @blp.alt_response(403, schema=ErrorSchema, description=ADMINS_ONLY)
    @blp.doc(operationId="issueToken", security=[{"bearerAuth": []}])
    def post(self, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """Issue a token (administrators): read-only, limited to procedures, or a service account's

        A service account's token (`acts_for_users`) acts for the user each request names in X-On-Behalf-Of:
        that user's roles apply, and the audit event records the service account as `via`."""
        admin = _admin()
        rt = runtime()
        try:
            token_id, token = administration.create_token(
                rt.sessions, actor=admin.username, username=body["username"], name=body["name"], now=rt.clock,
                read_only=body["read_only"], procedures=body["procedures"], acts_for_users=body["acts_for_users"],
                known_procedures={p.id for p in rt.registry.all()})
        except AdminError as exc:
            raise admin_refused(exc) from None
        with rt.sessions() as session:
            row = session.scalar(select(ApiToken).options(selectinload(ApiToken.user)).where(ApiToken.id == token_id))
            assert row is not None
            return {**_token_data(row), "token": token}, 201


@blp.route("/tokens/<int:token_id>")
class Token(MethodView):
    @blp.response(204)
    @blp.alt_response(403, schema=ErrorSchema, description=ADMINS_ONLY)
    @blp.doc(operationId="revokeToken")
    def delete(self, token_id: int) -> tuple[str, int]:
        """Revoke a token (administrators): it stops working at once"""
        admin = _admin()
        rt = runtime()
        try:
            administration.revoke_token(rt.sessions, actor=admin.username, token_id=token_id, now=rt.clock)
        except AdminError as exc:
            raise ApiError(404, "token_not_found", exc.problems[0].zh, exc.problems[0].en) from None
        return "", 204
