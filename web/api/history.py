"""GET /cases/{case_id}/history: the case's audit events, oldest first, refusals included, paginated."""

from __future__ import annotations

import json
from typing import Any

from flask.views import MethodView
from sqlalchemy import func, select

from web.api.auth import api_user
from web.api.base import ApiBlueprint, own_case, page_envelope, reader
from web.api.schemas import EventPageSchema, PageArgs, dump_reason
from web.runtime import runtime
from workflow.models import AuditEvent

blp = ApiBlueprint("history", __name__, url_prefix="/cases",
                   description="案件记录 / A case's audit events, refused attempts included")


@blp.route("/<case_id>/history")
class History(MethodView):
    @blp.arguments(PageArgs, location="query", as_kwargs=True)
    @blp.response(200, EventPageSchema)
    @blp.doc(operationId="getCaseHistory")
    def get(self, case_id: str, page: int, page_size: int) -> dict[str, Any]:
        """The case's events in chain order (seq 1, 2, ...), each with its hash and the previous one's

        A party's personal data in a payload are masked for a caller whose roles do not need them (the hashes
        are over the stored events: the auditor's export, /audit/export, verifies them)."""
        with runtime().sessions() as s:
            case = own_case(s, case_id, api_user().org_id)
            shown = reader()
            procedure = shown.procedure(case.procedure, case.procedure_version)
            total = s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case.id)) or 0
            rows = s.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.seq)
                             .offset((page - 1) * page_size).limit(page_size)).all()
            items = [{
                "seq": e.seq, "kind": e.kind, "trigger": e.trigger, "from_state": e.from_state,
                "to_state": e.to_state, "actor": e.actor, "role": e.role, "at": e.at, "procedure": e.procedure,
                "payload": shown.payload(procedure, e.trigger, json.loads(e.payload)), "reasons": [dump_reason(r) for r in json.loads(e.reasons)],
                "prev": e.prev, "hash": e.hash,
            } for e in rows]
        return page_envelope(items, page, page_size, total)
