"""A case's files: the whole-process record of an enforcement case (执法全过程记录, 处罚法第四十七条), the
materials of a major decision (决策过程记录和材料, 条例第三十三条). Attach a file, read the files as a whole,
download one.

    POST /cases/{id}/records        multipart/form-data: `payload` (a JSON object: the fields of the case's
                                    attachment step, attach_record or attach_material) and `file`; If-Match
                                    required -> 201 with the record
    GET  /cases/{id}/records        the completeness report: stages with their records, audio-video acts
    GET  /cases/{id}/records/{no}   the file, ETag = its SHA-256

Attaching is engine.fire(case, <the procedure's attachment step>, ..., attachment=staged), once, as for any
step: the file is
streamed from the request into RecordStore.stage (werkzeug keeps a large part in a temporary file, never in
memory whole) and the engine checks it, keeps it with the event, or refuses and audits the attempt (its
hash and size). The request may be as large as the records limit plus 1 MiB for the other parts
(as the pages allow, web/cases.py); a larger one is answered 413 before anything is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response, current_app, request, send_file, url_for
from flask.views import MethodView

from web.api.auth import api_user
from web.api.base import ApiBlueprint, accepts, etag, if_match_version, own_case, reader
from web.api.cases import ETAG_HEADER, procedure_of
from web.api.errors import ApiError, ErrorSchema, bilingual, refusal
from web.api.idempotency import PARAMETER as IDEMPOTENCY_KEY
from web.api.idempotency import REUSED_RESPONSE, replay_headers, request_key, reused
from web.api.schemas import CompletenessSchema, RecordCreatedSchema, RecordUploadSchema
from web.api.transitions import IF_MATCH
from web.runtime import runtime
from workflow import inputs
from workflow.completeness import MATERIAL_FIELD, completeness
from workflow.definitions import Label, Procedure
from workflow.engine import KeyReused
from workflow.models import Case
from workflow.records import FORMATS, RecordStore, Staged

blp = ApiBlueprint("records", __name__, url_prefix="/cases",
                   description="执法全过程记录 / A case's whole-process record: attach a record with its file "
                               "(If-Match required), the record as a whole, the files")

# What is tried on a case whose procedure attaches no files: a step no procedure has, which the engine refuses
# (unknown_trigger) and audits like any refusal.
TRIGGER = "attach"
FORM_SLACK = 1024 * 1024  # the parts around the file (as web/cases.py UPLOAD_FORM_SLACK)
DETAILS = ("duration_seconds", "device", "recorder", "version_note", "note")


def attachment_step(procedure: Procedure | None) -> str:
    """The trigger of the step of the case's procedure that attaches files."""
    return next((t.trigger for t in procedure.transitions if t.attachment), TRIGGER) if procedure else TRIGGER


def upload_limit(store: RecordStore) -> int:
    return store.max_bytes + FORM_SLACK


@blp.before_request
def raise_the_limit() -> None:
    """The upload alone may be as large as the records limit (plus its other parts); every other request keeps
    the app's small default. Set before anything reads the body; a body declared larger is refused here."""
    if request.endpoint != f"{blp.name}.Records" or request.method != "POST":
        return
    limit = upload_limit(runtime().records)
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        mb = f"{limit / 1024**2:,.0f}"  # not an f-string inside the call: the message extractor skips those
        zh, en = bilingual("请求体超过上限 {mb} MB（记录文件上限另加 1 MB 表单）", mb=mb)
        raise ApiError(413, "payload_too_large", zh, en)


# ---------------------------------------------------------------- the data


def _label(procedure: Procedure | None, kind: str, name: str) -> Label:
    if procedure is not None and kind == "material":
        for t in procedure.transitions:
            for f in t.payload:
                if t.attachment and f.name == MATERIAL_FIELD:
                    found = next((label for value, label in f.choices if value == name), None)
                    if found is not None:
                        return found
    if procedure is not None:
        if kind == "state" and name in procedure.states:
            return procedure.states[name].label
        if kind == "step":
            step = next((t for t in procedure.transitions if t.trigger == name), None)
            if step is not None:
                return step.label
    return Label(name, name)


def record_data(case_id: str, r: Mapping[str, Any], procedure: Procedure | None, store: RecordStore) -> dict[str, Any]:
    """One record as the API shows it (the case data the engine wrote, and whether its file is there)."""
    sha, size, fmt = str(r.get("sha256", "")), int(r.get("size", 0)), FORMATS.get(str(r.get("format", "")))
    path = store.find(sha) if sha else None
    act = r.get("act") or None
    material = r.get(MATERIAL_FIELD) or None
    return {
        "no": int(r.get("no", 0)), "kind": str(r.get("kind", "")), "title": str(r.get("title", "")),
        "format": str(r.get("format", "")), "media_type": fmt.media_type if fmt else "application/octet-stream",
        "size": size, "sha256": sha, "stage": str(r.get("stage", "")),
        "made_on": str(r.get("made_on", "")),  # the record's own date; below: who registered it, and when
        "recorded_on": str(r.get("recorded_on", "")), "recorded_by": str(r.get("recorded_by", "")),
        "act": act, "act_label": _label(procedure, "step", act) if act else None,
        "material": material, "material_label": _label(procedure, "material", material) if material else None,
        "filename": r.get("filename") or None, "details": {k: r[k] for k in DETAILS if k in r},
        "event_seq": int(r.get("event_seq", 0)),
        "file_present": bool(path and path.is_file() and path.stat().st_size == size),
        "url": url_for("api_records.RecordFile", case_id=case_id, no=int(r.get("no", 0))),
    }


def _records(case: Case) -> list[Mapping[str, Any]]:
    return [r for r in (case.data or {}).get("records", []) if isinstance(r, Mapping)]


def completeness_data(case: Case, procedure: Procedure) -> dict[str, Any]:
    rt = runtime()
    with rt.sessions() as s:
        report = completeness(s, procedure, case, rt.records)
    records = _records(case)

    def stage(state: str, items: list[Mapping[str, Any]], terminal: bool) -> dict[str, Any]:
        return {"state": state, "label": _label(procedure, "state", state), "terminal": terminal,
                "text_count": sum(1 for r in items if r.get("kind") == "text"),
                "av_count": sum(1 for r in items if r.get("kind") == "av"),
                "records": [record_data(case.id, r, procedure, rt.records) for r in items]}

    # The report groups the records by the stages the case passed through; records of a stage it does not
    # list (a final state) follow, so that every record appears once.
    by_no = {int(r.get("no", 0)): r for r in records}
    stages = [stage(s.state, [by_no[e.no] for e in s.records], False) for s in report.stages]
    listed = {s.state for s in report.stages}
    for state in dict.fromkeys(str(r.get("stage", "")) for r in records if r.get("stage") not in listed):
        stages.append(stage(state, [r for r in records if r.get("stage") == state], True))
    return {
        "case_id": case.id, "version": case.version,
        "takes_records": any(t.attachment for t in procedure.transitions),
        "title": procedure.attachments.label if procedure.attachments else None,
        "every_stage": report.every_stage,
        "complete": report.complete, "basis": report.basis, "stages": stages,
        "stages_without_records": [s.state for s in report.stages_without_records],
        "av_acts": [{"trigger": a.trigger, "label": _label(procedure, "step", a.trigger), "seq": a.seq, "at": a.at,
                     "covered": a.covered, "record_nos": list(a.record_nos)} for a in report.av_acts],
        "count": len(records),
    }


def _procedure_required(case: Case) -> Procedure:
    procedure = procedure_of(case)
    if procedure is None:
        ref = f"{case.procedure}@{case.procedure_version}"
        raise ApiError(409, "procedure_unavailable", *bilingual("本案适用的程序版本 {ref} 未加载", ref=ref))
    return procedure


# ---------------------------------------------------------------- the views


@blp.route("/<case_id>/records")
class Records(MethodView):
    @blp.response(200, CompletenessSchema, headers=ETAG_HEADER)
    @blp.doc(operationId="getWholeProcessRecord")
    def get(self, case_id: str) -> tuple[dict[str, Any], int, dict[str, str]]:
        """The case's whole-process record: its stages with their records, and the audio-video acts

        A stage the case passed through with no record is listed in `stages_without_records`; an act that
        must be recorded on audio-video (the definition's and the organisation's list) is `covered` when a
        record of it was attached before it was done. `complete`: no such gap."""
        with runtime().sessions() as s:
            case = own_case(s, case_id, api_user().org_id)
        data = completeness_data(case, _procedure_required(case))
        return data, 200, {"ETag": etag(case.version)}

    @accepts("multipart/form-data")
    @blp.arguments(RecordUploadSchema, location="multipart", required=False, description=(
        "Two parts: `payload`, a JSON object with the fields of the case's attachment step (attach_record, "
        "attach_material; a form field with "
        "JSON text, e.g. `-F 'payload={...};type=application/json'`, or a file part), and `file`."))
    @blp.response(201, RecordCreatedSchema, headers={
        **ETAG_HEADER, "Location": {"description": "the record's file", "schema": {"type": "string"}}})
    @blp.alt_response(409, schema=ErrorSchema, description="The case changed since the version in If-Match "
                      "(reason `stale`), or records cannot be attached in its state")
    @blp.alt_response(413, schema=ErrorSchema, description="The file is over the records limit (refused, reason "
                      "`record_too_large`), or the request is over the limit plus 1 MiB (`payload_too_large`)")
    @blp.alt_response(428, schema=ErrorSchema, description="If-Match is missing")
    @blp.alt_response(503, schema=ErrorSchema, description="The installation keeps no records folder "
                      "(`record_store_unavailable`): not the client's doing")
    @blp.alt_response(403, schema=ErrorSchema, description="Refused: role (enforcement officers attach records, "
                      "drafters a decision's materials)")
    @blp.alt_response(422, schema=ErrorSchema, description="Refused: payload, no file (`record_file_missing`), "
                      "an empty file (`record_empty`), content not of the declared format "
                      "(`record_format_mismatch`), the record's details (guard); or the body is not valid; or "
                      + REUSED_RESPONSE)
    @blp.doc(parameters=[IF_MATCH, IDEMPOTENCY_KEY], security=[{"bearerAuth": []}])
    @blp.doc(operationId="attachRecord")
    def post(self, body: dict[str, Any], case_id: str) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Attach a record with its file (engine.fire attach_record, or attach_material for a decision)

        multipart/form-data with `payload` (JSON: for an enforcement case kind, title, format, made_on; act,
        duration_seconds, device, recorder, note; for a major decision material, title, format, made_on;
        version_note, note) and `file`, with the case's ETag as If-Match. The engine checks the file
        (present, not empty, within the limit, content of the declared format) and keeps it with the
        `record_attached` event; a refusal keeps nothing and answers 403, 409, 413 or 422 with every reason."""
        user = api_user()
        rt = runtime()
        with rt.sessions() as s:
            case = own_case(s, case_id, user.org_id)
            procedure = procedure_of(case)
        expected = if_match_version()
        upload = body.get("file")
        attachment = rt.records.stage(upload.stream, filename=upload.filename or "") if upload is not None else None
        trigger = attachment_step(procedure)
        try:
            key = request_key(user.username, body, _content_hash(attachment))
        except ApiError:
            if attachment is not None:  # fire() discards the received file; a request refused before it, here
                attachment.discard()
            raise
        try:
            outcome = rt.engine.fire(case_id, trigger, user.username, body["payload"], expected_version=expected,
                                     attachment=attachment, request=key, via=user.integration)
        except KeyReused:
            raise reused() from None
        step = _label(procedure, "step", trigger)
        if not outcome.ok:
            headers = {"ETag": etag(outcome.case_version)} if outcome.case_version else {}
            raise refusal(outcome, step.zh, step.en, {**headers, **replay_headers(outcome)},
                          payload_at="multipart.payload", file_at="multipart.file")
        assert outcome.case_version is not None and outcome.seq is not None and outcome.event_hash is not None
        with rt.sessions() as s:
            case = own_case(s, case_id, user.org_id)
        record = next(r for r in reversed(_records(case)) if r.get("event_seq") == outcome.seq)
        data = record_data(case_id, record, procedure, rt.records)
        return {"case_id": case_id, "version": outcome.case_version, "record": data,
                "event": {"seq": outcome.seq, "hash": outcome.event_hash}}, 201, {
            "ETag": etag(outcome.case_version), "Location": data["url"], **replay_headers(outcome)}


def _content_hash(attachment: Staged | None) -> str | None:
    """The received file's SHA-256, part of the request an Idempotency-Key names (none when it was too large
    to keep: its hash was never completed)."""
    return attachment.sha256 if attachment is not None and not attachment.too_large else None


FILE_RESPONSE = {
    "description": "the file as stored, with the media type of its format; `ETag` is its SHA-256",
    # application/octet-stream first: a file of a format the store does not know is served as such, and a client
    # generator takes the first type it can read as the response's (openapi-python-client: bytes, as a File)
    "content": {media: {"schema": {"type": "string", "format": "binary"}}
                for media in ["application/octet-stream", *(fmt.media_type.split(";")[0] for fmt in FORMATS.values())]},
    "headers": {"ETag": {"description": "the file's SHA-256 (send it as If-None-Match: 304 if unchanged)",
                         "schema": {"type": "string"}},
                "Content-Disposition": {"schema": {"type": "string"}}},
}


@blp.route("/<case_id>/records/<int:no>")
class RecordFile(MethodView):
    @blp.doc(responses={"200": FILE_RESPONSE, "304": {"description": "Not modified (If-None-Match)"},
                        "404": {"description": "No such case in your organisation, or no such record",
                                "content": {"application/json": {"schema": "Error"}}},
                        "403": {"description": "The record holds a party's personal data your roles may not see "
                                               "(`personal_data`)",
                                "content": {"application/json": {"schema": "Error"}}}})
    @blp.doc(operationId="downloadRecord")
    def get(self, case_id: str, no: int) -> Response:
        """A record's file

        Served as stored (content-addressed, read-only), to the users of the case's organisation."""
        rt = runtime()
        with rt.sessions() as s:
            case = own_case(s, case_id, api_user().org_id)
        if reader().files_hidden(procedure_of(case)):  # evidence about the party cannot be masked
            raise ApiError(403, "personal_data", *bilingual("该记录涉及当事人的个人信息，您的角色无权查看"))
        record = next((r for r in _records(case) if r.get("no") == no), None)
        if record is None:
            raise ApiError(404, "record_not_found", *bilingual("本案没有第 {no} 号记录", no=no))
        path = rt.records.find(record["sha256"])
        if not path.is_file():
            current_app.logger.error("record file missing: case %s record %s sha256 %s", case_id, no, record["sha256"])
            raise ApiError(404, "record_file_absent", *bilingual("该记录的文件不在记录存储中，请联系系统管理员"))
        fmt = FORMATS.get(str(record.get("format", "")))
        return send_file(path, mimetype=fmt.media_type if fmt else "application/octet-stream", as_attachment=True,
                         download_name=inputs.download_name(record.get("filename"), f"{case_id}-{no}"), etag=record["sha256"],
                         conditional=True, max_age=0)
