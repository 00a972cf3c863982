"""The audit trail for auditors: GET /audit/export, the organisation's trail as JSON Lines, exactly as
`lawflow audit export --org <its id>` writes it; GET /audit/events, its events from a cursor in the order of
the Merkle log (workflow/audit/feed.py).

For the auditor role only, and only the organisations the auditor may see (workflow/visibility.py): their
cases' and administration journal's whole chains, with every leaf's hash and every signed checkpoint so
that an outside auditor verifies it with `python3 -I -S verify.py FILE` (`lawflow audit verifier`)
(docs/audit-format.md §4); no other organisation's case id, party or event.
"""

from __future__ import annotations

from collections.abc import Iterator

from flask import Response, stream_with_context
from flask.views import MethodView

from web.access import roles_of
from web.api.auth import ApiUser, api_user
from web.api.base import ApiBlueprint, reader
from web.api.errors import ApiError, ErrorSchema
from web.api.schemas import FeedArgs, FeedPageSchema
from web.runtime import runtime
from workflow.audit import feed
from workflow.audit.canonical import export_line
from workflow.audit.export import iter_records
from workflow.clock import utc_stamp
from workflow.visibility import visible_orgs

blp = ApiBlueprint("audit", __name__, url_prefix="/audit",
                   description="审计 / The tamper-evident audit trail (auditors)")
MEDIA_TYPE = "application/x-ndjson"
CHUNK = 64 * 1024


def _auditor() -> ApiUser:
    user = api_user()
    if not user.roles & roles_of("audit"):  # the roles the definitions' pages.audit serve (auditors)
        raise ApiError(403, "auditor_only", "审计记录仅限审计监督人员读取", "Only auditors may read the audit trail")
    return user


# One line of the export (docs/audit-format.md §4), a named schema of the document. OpenAPI 3.2 gives a sequential
# media type such as JSON Lines an `itemSchema`; in 3.0 the response's schema is the byte stream (so a generated
# client reads it as a file, line by line) and `x-itemSchema` names each line's schema, as 3.2 will. init_app
# (web/api/__init__.py) registers the line's schema under this name.
EXPORT_LINE_NAME = "AuditExportLine"
EXPORT_LINE = {
    "type": "object",
    "description": "One line of the JSON Lines export: a JSON object whose `type` says what it is "
                   "(docs/audit-format.md §4); the file is these lines, each ended by a newline",
    "required": ["type"],
    "properties": {"type": {"type": "string", "enum": ["header", "key", "procedure", "event", "case", "leaf",
                                                       "checkpoint"]}},
    "additionalProperties": True,
}
EXPORT_BODY = {"type": "string", "format": "binary",
               "description": "JSON Lines: header, keys, procedures, events, case heads, leaves, checkpoints",
               "x-itemSchema": {"$ref": f"#/components/schemas/{EXPORT_LINE_NAME}"}}
AUDITORS_ONLY = "Not an auditor (`auditor_only`)"


@blp.route("/export")
class Export(MethodView):
    @blp.response(200, EXPORT_BODY, content_type=MEDIA_TYPE,
                  headers={"Content-Disposition": {"schema": {"type": "string"}}})
    @blp.alt_response(403, schema=ErrorSchema, description=AUDITORS_ONLY)
    @blp.doc(operationId="exportAuditTrail")
    def get(self) -> Response:
        """The organisation's audit trail as JSON Lines (auditors only)

        The same bytes as `lawflow audit export --org`; verify it offline with the script `lawflow audit verifier` writes."""
        user = _auditor()
        rt = runtime()
        stamp = utc_stamp(rt.clock.now())
        with rt.sessions() as session:
            orgs = visible_orgs(session, user.org_id, reader().supervising)

        def lines() -> Iterator[bytes]:
            buffer: list[bytes] = []
            size = 0
            with rt.sessions() as session:
                for record in iter_records(session, rt.origin, stamp, rt.engine.registry, orgs):
                    line = export_line(record)
                    buffer.append(line)
                    size += len(line)
                    if size >= CHUNK:
                        yield b"".join(buffer)
                        buffer, size = [], 0
            if buffer:
                yield b"".join(buffer)

        name = "lawflow-audit-" + stamp[:19].replace("-", "").replace(":", "") + "Z.jsonl"
        return Response(stream_with_context(lines()), mimetype=MEDIA_TYPE,
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


@blp.route("/events")
class Events(MethodView):
    @blp.arguments(FeedArgs, location="query", as_kwargs=True)
    @blp.response(200, FeedPageSchema)
    @blp.alt_response(403, schema=ErrorSchema, description=AUDITORS_ONLY)
    @blp.doc(operationId="listAuditEvents")
    def get(self, after: int, limit: int) -> feed.FeedPage:
        """The organisation's audit events in the order of the Merkle log, from a cursor (auditors only)

        Send `after=-1` first, then each page's `next_after`: nothing is skipped or repeated, whatever commits
        meanwhile, and after a crash you resume from the last `next_after` you kept. An event appears once it
        is anchored by a checkpoint (the worker anchors regularly). Each event is in the export's format with
        its hash and `prev`, so the receiver can recompute and chain it (docs/api.md "The event feed")."""
        user = _auditor()
        rt = runtime()
        with rt.sessions() as session:
            return feed.page(session, visible_orgs(session, user.org_id, reader().supervising), after, limit)
