"""Webhooks (issue 17 item 2): an organisation's subscriptions to its event feed, for administrators.

    GET    /webhooks                      the organisation's subscriptions (never their secrets)
    POST   /webhooks                      make one: a URL, the event kinds and procedures wanted, whose reading
                                          applies (`owner`); its secret is in this answer only
    DELETE /webhooks/{id}                 stop it (its log is kept)
    POST   /webhooks/{id}/secrets         a new secret; the old ones still sign for `overlap_hours`
    GET    /webhooks/{id}/deliveries      the delivery log, newest first
    POST   /webhooks/{id}/replay          send again the events after a cursor ({"after": <log_index>})

Made, re-keyed and deleted through workflow/webhooks.py (an event of the administration journal each); queued
and sent by the timer worker (workflow/timers/webhooks.py). docs/api.md "Webhooks" tells a receiver how to verify.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from web.api.accounts import ADMINS_ONLY, admin_refused
from web.api.auth import ApiUser, api_user
from web.api.base import ApiBlueprint
from web.api.errors import ApiError, ErrorSchema
from web.api.schemas import Strict
from web.runtime import runtime
from workflow import webhooks
from workflow.administration import ADMIN_ROLE, AdminError
from workflow.models import MessageOutbox, WebhookSecret, WebhookSubscription
from workflow.timers import webhooks as delivery
from workflow.tokens import aware

blp = ApiBlueprint("webhooks", __name__, url_prefix="/webhooks",
                   description="事件推送 / Webhooks: the event feed POSTed, signed, to your URL (administrators)")

KIND = fields.String(validate=validate.Length(min=1, max=32))
PROCEDURE = fields.String(validate=validate.Length(min=1, max=64))


class NewWebhookSchema(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    url = fields.String(required=True, validate=validate.Length(min=8, max=webhooks.URL_MAX), metadata={
        "description": "where the deliveries are POSTed (http:// or https://)"})
    kinds = fields.List(KIND, load_default=None, allow_none=True, validate=validate.Length(min=1, max=20),
                        metadata={"description": "the event kinds wanted (`created`, `transition`, `refused`, "
                                                 "...; null: every kind)"})
    procedures = fields.List(PROCEDURE, load_default=None, allow_none=True, validate=validate.Length(min=1, max=50),
                             metadata={"description": "the procedures wanted (null: every one)"})
    owner = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64), metadata={
        "description": "the user whose reading applies: only the events they may read are sent (null: you)"})


class SecretInfoSchema(Schema):
    id = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    retires_at = fields.DateTime(required=True, allow_none=True, metadata={
        "description": "when it stops signing (null: it signs until a new one is added)"})


class WebhookSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    url = fields.String(required=True)
    kinds = fields.List(fields.String(), required=True, allow_none=True)
    procedures = fields.List(fields.String(), required=True, allow_none=True)
    owner = fields.String(required=True)
    cursor = fields.Integer(required=True, metadata={
        "description": "the last log index queued for it: the next events sent are after it"})
    created_by = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    secrets = fields.List(fields.Nested(SecretInfoSchema), required=True, metadata={
        "description": "the secrets that sign now or will retire (never the secrets themselves)"})


class WebhookListSchema(Schema):
    items = fields.List(fields.Nested(WebhookSchema), required=True)


class CreatedWebhookSchema(WebhookSchema):
    secret = fields.String(required=True, metadata={"description": "the signing secret: shown in this answer only"})


class NewSecretArgs(Strict):
    overlap_hours = fields.Integer(load_default=24, validate=validate.Range(min=0, max=720), metadata={
        "description": "how long the secrets it had still sign beside the new one"})


class NewSecretSchema(Schema):
    secret = fields.String(required=True, metadata={"description": "the new secret: shown in this answer only"})
    old_secrets_retire_at = fields.DateTime(required=True)


class DeliveryArgs(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class DeliverySchema(Schema):
    id = fields.Integer(required=True, metadata={"description": "the delivery's id: X-Lawflow-Delivery, `delivery`"})
    log_index = fields.Integer(required=True)
    case_id = fields.String(required=True)
    seq = fields.Integer(required=True)
    kind = fields.String(required=True)
    replay = fields.Boolean(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("pending", "sent", "dead")))
    attempts = fields.Integer(required=True)
    last_error = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    next_attempt_at = fields.DateTime(required=True)
    sent_at = fields.DateTime(required=True, allow_none=True)


class DeliveryListSchema(Schema):
    items = fields.List(fields.Nested(DeliverySchema), required=True)


class ReplayArgs(Strict):
    after = fields.Integer(required=True, validate=validate.Range(min=-1), metadata={
        "description": "the log index after which the events are sent again (-1: from the start)"})


class ReplaySchema(Schema):
    queued = fields.Integer(required=True)
    next_after = fields.Integer(required=True, metadata={"description": "the last log index considered"})
    more = fields.Boolean(required=True, metadata={"description": "replay again from `next_after` for the rest"})


NOT_FOUND = "No such webhook of your organisation (`webhook_not_found`)"


def _admin() -> ApiUser:
    user = api_user()
    if ADMIN_ROLE not in user.roles:
        raise ApiError(403, "admin_only", "仅系统管理员可管理事件推送订阅", "Only administrators manage webhooks")
    return user


def _not_found(webhook_id: int) -> ApiError:
    return ApiError(404, "webhook_not_found", f"本单位没有编号为 {webhook_id} 的事件推送订阅",
                    f"No webhook {webhook_id} in your organisation")


def _data(session: Any, row: WebhookSubscription) -> dict[str, Any]:
    secrets = session.scalars(select(WebhookSecret).where(WebhookSecret.subscription_id == row.id)
                              .order_by(WebhookSecret.id.desc())).all()
    now = runtime().clock.now()
    return {"id": row.id, "name": row.name, "url": row.url, "kinds": row.kinds, "procedures": row.procedures,
            "owner": row.owner, "cursor": row.cursor, "created_by": row.created_by,
            "created_at": aware(row.created_at),
            "secrets": [{"id": s.id, "created_at": aware(s.created_at), "retires_at": aware(s.retires_at)}
                        for s in secrets if s.retires_at is None or (aware(s.retires_at) or now) > now]}


def _live(session: Any, org_id: str, webhook_id: int) -> WebhookSubscription:
    row = session.get(WebhookSubscription, webhook_id)
    if row is None or row.org_id != org_id or row.deleted_at is not None:
        raise _not_found(webhook_id)
    return row


@blp.route("")
class Webhooks(MethodView):
    @blp.response(200, WebhookListSchema)
    @blp.alt_response(403, schema=ErrorSchema, description=ADMINS_ONLY)
    @blp.doc(operationId="listWebhooks")
    def get(self) -> dict[str, Any]:
        """The organisation's webhooks (administrators; never their secrets)"""
        admin = _admin()
        with runtime().sessions() as session:
            rows = session.scalars(select(WebhookSubscription).where(
                WebhookSubscription.org_id == admin.org_id, WebhookSubscription.deleted_at.is_(None))
                .order_by(WebhookSubscription.id)).all()
            return {"items": [_data(session, r) for r in rows]}

    @blp.arguments(NewWebhookSchema)
    @blp.response(201, CreatedWebhookSchema)
    @blp.alt_response(403, schema=ErrorSchema, description=ADMINS_ONLY)
    @blp.doc(operationId="createWebhook")
    def post(self, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """Make a webhook (administrators): the events its owner may read, of the kinds and procedures named, are
        POSTed signed to its URL once anchored; its secret is in this answer only"""
        admin = _admin()
        rt = runtime()
        try:
            webhook_id, secret = webhooks.create(
                rt.sessions, actor=admin.username, now=rt.clock,
                new=webhooks.NewSubscription(body["name"], body["url"], body["kinds"], body["procedures"],
                                             body["owner"]),
                known_procedures={p.id for p in rt.registry.all()})
        except AdminError as exc:
            raise admin_refused(exc) from None
        with rt.sessions() as session:
            return {**_data(session, _live(session, admin.org_id, webhook_id)), "secret": secret}, 201


@blp.route("/<int:webhook_id>")
class Webhook(MethodView):
    @blp.response(204)
    @blp.alt_response(403, schema=ErrorSchema, description=ADMINS_ONLY)
    @blp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
    @blp.doc(operationId="deleteWebhook")
    def delete(self, webhook_id: int) -> tuple[str, int]:
        """Stop a webhook (administrators): nothing more is sent; its delivery log is kept"""
        admin = _admin()
        rt = runtime()
        try:
            webhooks.delete(rt.sessions, actor=admin.username, subscription_id=webhook_id, now=rt.clock)
        except AdminError:
            raise _not_found(webhook_id) from None
        return "", 204


@blp.route("/<int:webhook_id>/secrets")
class Secrets(MethodView):
    @blp.arguments(NewSecretArgs)
    @blp.response(201, NewSecretSchema)
    @blp.alt_response(403, schema=ErrorSchema, description=ADMINS_ONLY)
    @blp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
    @blp.doc(operationId="addWebhookSecret")
    def post(self, body: dict[str, Any], webhook_id: int) -> tuple[dict[str, Any], int]:
        """A new signing secret (administrators); the secrets it had still sign for `overlap_hours`, each delivery
        carrying a signature by each"""
        admin = _admin()
        rt = runtime()
        with rt.sessions() as session:
            _live(session, admin.org_id, webhook_id)
        try:
            secret, retires = webhooks.add_secret(rt.sessions, actor=admin.username, subscription_id=webhook_id,
                                                  overlap=timedelta(hours=body["overlap_hours"]), now=rt.clock)
        except AdminError as exc:
            raise admin_refused(exc) from None
        return {"secret": secret, "old_secrets_retire_at": retires}, 201


@blp.route("/<int:webhook_id>/deliveries")
class Deliveries(MethodView):
    @blp.arguments(DeliveryArgs, location="query", as_kwargs=True)
    @blp.response(200, DeliveryListSchema)
    @blp.alt_response(403, schema=ErrorSchema, description=ADMINS_ONLY)
    @blp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
    @blp.doc(operationId="listWebhookDeliveries")
    def get(self, webhook_id: int, limit: int) -> dict[str, Any]:
        """The webhook's deliveries, newest first: each event's attempts, the last error, when it was sent"""
        admin = _admin()
        with runtime().sessions() as session:
            _live(session, admin.org_id, webhook_id)
            rows = session.scalars(select(MessageOutbox).where(
                MessageOutbox.channel == webhooks.CHANNEL, MessageOutbox.target == str(webhook_id))
                .order_by(MessageOutbox.id.desc()).limit(limit)).all()
            return {"items": [
                {"id": r.id, "log_index": r.facts["log_index"], "case_id": r.facts["case"], "seq": r.facts["seq"],
                 "kind": r.facts["kind"], "replay": bool(r.facts.get("replay")), "status": r.status,
                 "attempts": r.attempts, "last_error": r.last_error, "created_at": aware(r.created_at),
                 "next_attempt_at": aware(r.next_attempt_at), "sent_at": aware(r.sent_at)} for r in rows]}


@blp.route("/<int:webhook_id>/replay")
class Replay(MethodView):
    @blp.arguments(ReplayArgs)
    @blp.response(202, ReplaySchema)
    @blp.alt_response(403, schema=ErrorSchema, description=ADMINS_ONLY)
    @blp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
    @blp.doc(operationId="replayWebhook")
    def post(self, body: dict[str, Any], webhook_id: int) -> tuple[Any, int]:
        """Send again the events after a log index (administrators): new deliveries, marked `replay`, sent by the
        worker's next run; up to what was already queued for the webhook"""
        admin = _admin()
        rt = runtime()
        done = delivery.replay(rt.sessions, rt.registry, admin.org_id, webhook_id, body["after"], rt.clock)
        if done is None:
            raise _not_found(webhook_id)
        return done, 202
