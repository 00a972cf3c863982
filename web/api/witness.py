"""Witnessed checkpoints at the district (workflow/audit/cosigning.py, docs/witnessing.md):

    GET  /witness/checkpoints/latest   the size and root of the caller's town's last checkpoint held here
    POST /witness/checkpoints          a bundle (docs/audit-format.md §8): checked, co-signed and kept

The caller is the town's service account: a user of the town's organisation row at the district, with a token
the district's administrator issued (`lawflow tokens create`). Its organisation is the town the bundle is
taken for; the town's key must be registered here (`lawflow witness trust`). A bundle that is not well formed
or not signed by a trusted key is 422 and nothing is kept; a validly signed checkpoint that contradicts the
ones held is 409, kept as a finding, with the co-signatures of the checkpoints accepted before it.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView
from marshmallow import Schema, fields

from web.api.auth import api_user
from web.api.base import ApiBlueprint
from web.api.errors import ApiError, ErrorSchema
from web.runtime import runtime
from workflow.audit import cosigning

blp = ApiBlueprint("witness", __name__, url_prefix="/witness",
                   description="见证 / Witnessed checkpoints: a town's checkpoints co-signed by its district")


class HeldSchema(Schema):
    tree_size = fields.Integer(required=True, metadata={"description": "0 when nothing is held yet"})
    root = fields.String(required=True, allow_none=True)


class BundleSchema(Schema):
    """Checked field by field by the district (workflow/audit/cosigning.py): each problem is a 422 naming it."""

    format = fields.String(required=True, metadata={"description": cosigning.BUNDLE_FORMAT})
    origin = fields.String(required=True)
    checkpoints = fields.List(fields.Dict(), required=True)
    keys = fields.List(fields.Dict(), required=True)
    rotations = fields.List(fields.Dict(), required=True)


class ReceiptSchema(Schema):
    cosigned = fields.List(fields.Dict(), required=True, metadata={
        "description": "the district's copies of the bundle's checkpoints, each with its co-signature"})
    new = fields.Integer(required=True)
    keys_followed = fields.List(fields.String(), required=True)


@blp.route("/checkpoints/latest")
class Latest(MethodView):
    @blp.response(200, HeldSchema)
    @blp.doc(operationId="getLatestWitnessedCheckpoint")
    def get(self) -> dict[str, Any]:
        """The last checkpoint of the caller's town held here (where the next bundle's proofs start)"""
        user = api_user()
        with runtime().sessions() as session:
            row = cosigning.last_held(session, user.org_id)
        return {"tree_size": row.tree_size if row else 0, "root": row.root if row else None}


@blp.route("/checkpoints")
class Checkpoints(MethodView):
    @blp.arguments(BundleSchema)
    @blp.response(200, ReceiptSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="A checkpoint contradicts those held: kept as a finding")
    @blp.alt_response(422, schema=ErrorSchema, description="The bundle is refused whole (malformed, unknown town, "
                                                           "untrusted key, bad signature, stale size): nothing kept")
    @blp.doc(security=[{"bearerAuth": []}], operationId="submitCheckpoints")
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Witness the caller's town's checkpoints: check, co-sign and keep them"""
        user = api_user()
        rt = runtime()
        bundle = request.get_json(silent=True) or body  # as sent: the checkpoints' fields are checked one by one
        try:
            receipt = cosigning.receive(rt.sessions, org_id=user.org_id, bundle=bundle, transport="api",
                                        witness_key=lambda: cosigning.load_witness_key(
                                            cosigning.witness_key_path(rt.key_path)),
                                        witness=rt.origin, actor=user.username, clock=rt.clock)
        except cosigning.BundleError as exc:
            raise ApiError(422, "bundle_refused", exc.zh, exc.en) from None
        if receipt.inconsistency is not None:
            found = receipt.inconsistency
            raise ApiError(409, f"witness_{found.kind}", found.zh, found.en, details={
                "tree_size": found.tree_size, "root": found.root, "held_size": found.held_size,
                "held_root": found.held_root, "cosigned": receipt.cosigned})
        return {"cosigned": receipt.cosigned, "new": receipt.new, "keys_followed": receipt.keys_followed}
