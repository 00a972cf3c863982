"""marshmallow 4 schemas of every request and response body of the API (and so of the OpenAPI document).

Response schemas mark every field that is always present as required, so that the document tells a
client exactly what it gets (and schemathesis checks that it does).
"""

from __future__ import annotations

from datetime import UTC, date
from typing import Any

from flask_smorest.fields import Upload
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema
from werkzeug.datastructures import FileStorage

from web.api.errors import ReasonSchema, bilingual
from workflow import inputs

IDENT = validate.Regexp(r"^[a-z][a-z0-9_]{0,63}$", error="应为小写标识符 / must be a lower-case identifier")


class Strict(Schema):
    class Meta:
        unknown = RAISE


# ---------------------------------------------------------------- shared pieces


class LabelSchema(Schema):
    zh = fields.String(required=True)
    en = fields.String(required=True)


class LinksSchema(Schema):
    self = fields.String(required=True)
    first = fields.String(required=True)
    last = fields.String(required=True)
    prev = fields.String(required=True, allow_none=True)
    next = fields.String(required=True, allow_none=True)


def page_of(item: type[Schema], name: str) -> type[Schema]:
    """A page of `item`s: the items, where they are in the whole, and the links around them."""
    return Schema.from_dict({
        "items": fields.List(fields.Nested(item), required=True),
        "page": fields.Integer(required=True),
        "page_size": fields.Integer(required=True),
        "total": fields.Integer(required=True, metadata={"description": "results over all pages"}),
        "pages": fields.Integer(required=True),
        "links": fields.Nested(LinksSchema, required=True),
    }, name=name)


class PageArgs(Strict):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000),
                          metadata={"description": "页码 page number, from 1"})
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100),
                               metadata={"description": "每页条数 results per page, 1–100"})


# ---------------------------------------------------------------- procedures


class GuardSchema(Schema):
    name = fields.String(required=True)
    zh = fields.String(required=True)
    en = fields.String(required=True)
    article = fields.String(required=True)


class ChoiceSchema(Schema):
    value = fields.String(required=True)
    label = fields.Nested(LabelSchema, required=True)


class FieldSpecSchema(Schema):
    """One payload field a step takes: its type, label, whether required, and its limits."""

    name = fields.String(required=True)
    type = fields.String(required=True, metadata={
        "description": "string, text, integer, boolean, date (YYYY-MM-DD), choice, string_list, decimal"})
    label = fields.Nested(LabelSchema, required=True)
    required = fields.Boolean(required=True)
    choices = fields.List(fields.Nested(ChoiceSchema), required=True)
    min_length = fields.Integer(required=True, allow_none=True)
    max_length = fields.Integer(required=True, allow_none=True)
    minimum = fields.Raw(required=True, allow_none=True, metadata={
        "type": "number", "description": "an integer field's least value; a decimal field's, in yuan (e.g. 0.01)"})
    maximum = fields.Raw(required=True, allow_none=True, metadata={"type": "number"})
    help = fields.String(required=True)


class StepSchema(Schema):
    """A step (transition) of a procedure, as its definition states it."""

    trigger = fields.String(required=True)
    label = fields.Nested(LabelSchema, required=True)
    basis = fields.String(required=True, metadata={"description": "法律依据 the article the step rests on"})
    sources = fields.List(fields.String(), required=True)
    dest = fields.String(required=True, allow_none=True, metadata={"description": "null: the state stays"})
    roles = fields.List(fields.String(), required=True)
    separation_from = fields.List(fields.String(), required=True)
    guards = fields.List(fields.Nested(GuardSchema), required=True)
    payload = fields.List(fields.Nested(FieldSpecSchema), required=True)
    payload_schema = fields.String(required=True, metadata={
        "description": "the step's payload as a JSON Schema: this document's component (web/api/contract.py)"})


class StateSchema(Schema):
    name = fields.String(required=True)
    label = fields.Nested(LabelSchema, required=True)
    terminal = fields.Boolean(required=True)


class RoleSchema(Schema):
    name = fields.String(required=True)
    label = fields.Nested(LabelSchema, required=True)


class BasisSchema(Schema):
    title = fields.String(required=True)
    articles = fields.String(required=True)
    note = fields.String()


class DeadlineSpecSchema(Schema):
    name = fields.String(required=True)
    label = fields.Nested(LabelSchema, required=True)
    kind = fields.String(required=True, metadata={"description": "minimum (must pass) | limit (due by)"})
    unit = fields.String(required=True, metadata={"description": "calendar_days | working_days"})
    n = fields.Integer(required=True, allow_none=True)
    n_from = fields.String(required=True, allow_none=True)
    n_setting = fields.String(required=True, allow_none=True)
    unit_setting = fields.String(required=True, allow_none=True,
                                 metadata={"description": "the setting holding the unit, where a local rule sets it"})
    start_from = fields.String(required=True, allow_none=True)
    due_from = fields.String(required=True, allow_none=True)
    end_from = fields.String(required=True, allow_none=True)
    basis = fields.String(required=True)
    starts_on = fields.List(fields.String(), required=True)
    ends_on = fields.List(fields.String(), required=True)
    cleared_on = fields.List(fields.String(), required=True)
    due_by = fields.String(allow_none=True, metadata={
        "description": "the due-date rule that computes the last day from the case's records"})


class DefinitionSummarySchema(Schema):
    procedure = fields.String(required=True, metadata={
        "description": "the procedure's name, as `procedure` is named everywhere in the API", "example": "major_decision"})
    id = fields.String(required=True, metadata={"deprecated": True, "description": "the same as `procedure` (kept "
                                                                                     "for the clients of v1)"})
    version = fields.Integer(required=True)
    ref = fields.String(required=True, metadata={"example": "major_decision@1"})
    label = fields.Nested(LabelSchema, required=True)
    latest = fields.Boolean(required=True, metadata={"description": "new cases start under this version"})
    legal_basis = fields.List(fields.Nested(BasisSchema), required=True)


class DefinitionListSchema(Schema):
    items = fields.List(fields.Nested(DefinitionSummarySchema), required=True)


class DefinitionSchema(DefinitionSummarySchema):
    roles = fields.List(fields.Nested(RoleSchema), required=True)
    initial = fields.String(required=True)
    states = fields.List(fields.Nested(StateSchema), required=True)
    create = fields.Nested(StepSchema, required=True)
    transitions = fields.List(fields.Nested(StepSchema), required=True)
    deadlines = fields.List(fields.Nested(DeadlineSpecSchema), required=True)


# ---------------------------------------------------------------- cases


class DeadlineSchema(Schema):
    """A running period of a case, as it stands today (Asia/Shanghai)."""

    name = fields.String(required=True)
    label = fields.Nested(LabelSchema, required=True)
    kind = fields.String(required=True, metadata={"description": "minimum (must pass) | limit (due by)"})
    started_on = fields.Date(required=True)
    due = fields.Date(required=True, allow_none=True, metadata={
        "description": "the last day of the period; null while its count stands still (see paused)"})
    n = fields.Integer(required=True, metadata={"description": "the period's length in its unit"})
    unit = fields.String(required=True, metadata={"description": "calendar_days | working_days"})
    remaining = fields.Integer(required=True, metadata={
        "description": "days left in the period's unit until the due date; negative: that many past it"})
    working_days_left = fields.Integer(required=True, allow_none=True, metadata={
        "description": "working days from today until the due date; negative: that many past it"})
    status = fields.String(required=True, metadata={
        "description": "running | elapsed (minimum); open | due_soon | overdue | paused (limit)"})
    overdue = fields.Boolean(required=True)
    provisional = fields.Boolean(required=True, metadata={
        "description": "counted over a year with no State Council holiday data yet (weekdays assumed)"})
    basis = fields.String(required=True)
    paused = fields.Nested(LabelSchema, allow_none=True, metadata={
        "description": "why the count stands still (a consultation awaiting its reply ...); null while it runs"})


class CaseSchema(Schema):
    case_id = fields.String(required=True, metadata={
        "description": "the case's number, as `case_id` is named everywhere in the API",
        "example": "houlong-MD-2026-0001"})
    id = fields.String(required=True, metadata={"deprecated": True, "example": "houlong-MD-2026-0001",
                                                "description": "the same as `case_id` (kept for the clients of v1)"})
    org = fields.String(metadata={"description": "the case's organisation (a supervisor reads those below theirs)"})
    title = fields.String(required=True)
    procedure = fields.String(required=True)
    procedure_version = fields.Integer(required=True)
    procedure_label = fields.Nested(LabelSchema, required=True)
    state = fields.String(required=True)
    state_label = fields.Nested(LabelSchema, required=True)
    terminal = fields.Boolean(required=True)
    version = fields.Integer(required=True, metadata={"description": "the case's ETag (W/\"<version>\")"})
    created_by = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    overdue = fields.Boolean(required=True, metadata={"description": "a limit of the case is past its due date"})
    next_deadline = fields.Nested(DeadlineSchema, required=True, allow_none=True)


class CaseDetailSchema(CaseSchema):
    data = fields.Dict(keys=fields.String(), required=True, metadata={
        "description": "what the steps recorded, where the definition says (with who and when)"})
    deadlines = fields.List(fields.Nested(DeadlineSchema), required=True)


CasePageSchema = page_of(CaseSchema, "CasePage")


class CaseListArgs(PageArgs):
    procedure = fields.String(validate=IDENT, metadata={"description": "only cases of this procedure"})
    state = fields.String(validate=IDENT, metadata={"description": "only cases in this state"})
    overdue = fields.Boolean(metadata={"description": "true: only cases with a limit past due; false: none"})
    org = fields.String(validate=validate.Length(min=1, max=64), metadata={
        "description": "only this organisation's cases (a supervisor: the caller's or one below it)"})
    updated_since = fields.AwareDateTime(default_timezone=UTC, metadata={
        "description": "only cases changed at or after this time (RFC 3339; UTC if no offset is given)"})
    ids = fields.List(fields.String(validate=validate.Regexp(r"^[A-Za-z0-9_-]{1,40}$")),
                      validate=validate.Length(min=1, max=100), metadata={
        "description": "bulk read: only these cases (repeat the parameter, up to 100); those you may not read, or "
                       "that do not exist, are simply not listed"})
    order = fields.String(load_default="changed", validate=validate.OneOf(["changed", "case_id"]), metadata={
        "description": "changed: most recently changed first, by page number (default); case_id: by case number, "
                       "page after page with `after` (links.next): a case that exists throughout is listed exactly "
                       "once however cases change meanwhile"})
    after = fields.String(validate=validate.Regexp(r"^[A-Za-z0-9_-]{1,40}$"), metadata={
        "description": "order=case_id: the cases whose number sorts after this one (the last of the page before)"})


class CreateCaseSchema(Strict):
    procedure = fields.String(required=True, validate=IDENT, metadata={"example": "major_decision"})
    payload = fields.Dict(keys=fields.String(), load_default=dict, metadata={
        "description": "the fields of the procedure's opening step (GET /definitions/{procedure}/{version})",
        "example": {"title": "后龙镇生活垃圾分类实施办法", "category": "public_policy", "proposer": "leader",
                    "summary": "落实生活垃圾分类要求，拟出台镇级实施办法。"}})


# ---------------------------------------------------------------- steps


class AvailableStepsSchema(Schema):
    case_id = fields.String(required=True)
    state = fields.String(required=True)
    version = fields.Integer(required=True, metadata={"description": "send it back as If-Match: W/\"<version>\""})
    steps = fields.List(fields.Nested(StepSchema), required=True, metadata={
        "description": "the steps the caller's roles allow from the current state (guards are checked on firing)"})


class FireSchema(Strict):
    payload = fields.Dict(keys=fields.String(), load_default=dict, metadata={
        "description": "the step's fields (see its payload specs)", "example": {"lead_unit": "党政综合办公室"}})


class EventRefSchema(Schema):
    seq = fields.Integer(required=True)
    hash = fields.String(required=True)


class FireResultSchema(Schema):
    case_id = fields.String(required=True)
    trigger = fields.String(required=True)
    from_state = fields.String(required=True)
    to_state = fields.String(required=True)
    state_label = fields.Nested(LabelSchema, required=True)
    version = fields.Integer(required=True, metadata={"description": "the case's new version (and ETag)"})
    event = fields.Nested(EventRefSchema, required=True, metadata={"description": "the audit event written"})


class CheckResultSchema(Schema):
    """What taking the step would come to now (engine.check): nothing is written, nothing is audited."""

    case_id = fields.String(required=True)
    trigger = fields.String(required=True)
    version = fields.Integer(required=True, metadata={"description": "the case's current version (and ETag)"})
    ok = fields.Boolean(required=True, metadata={"description": "true: the step would land as sent"})
    status = fields.Integer(required=True, metadata={
        "description": "what taking it would answer: 200, or the refusal's 403 / 409 / 422"})
    from_state = fields.String(required=True, allow_none=True)
    to_state = fields.String(required=True, allow_none=True, metadata={"description": "where it would lead"})
    reasons = fields.List(fields.Nested(ReasonSchema), required=True, metadata={
        "description": "every reason it would be refused for, with its article (empty when ok)"})


# ---------------------------------------------------------------- history


class EventSchema(Schema):
    """One event of the case's audit chain, as hashed (docs/audit-format.md)."""

    seq = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"description": "created | transition | refused | ..."})
    trigger = fields.String(required=True, allow_none=True)
    from_state = fields.String(required=True, allow_none=True)
    to_state = fields.String(required=True, allow_none=True)
    actor = fields.String(required=True, allow_none=True)
    role = fields.String(required=True, allow_none=True)
    at = fields.String(required=True, metadata={"description": "UTC, RFC 3339 with microseconds, as hashed",
                                                "format": "date-time"})
    procedure = fields.String(required=True)
    payload = fields.Dict(keys=fields.String(), required=True)
    reasons = fields.List(fields.Nested(ReasonSchema), required=True)
    prev = fields.String(required=True)
    hash = fields.String(required=True)


EventPageSchema = page_of(EventSchema, "EventPage")


def dump_reason(record: dict[str, Any]) -> dict[str, Any]:
    """A stored refusal reason in the API's shape (field null when the reason concerns no field)."""
    return {"code": record.get("code", ""), "zh": record.get("zh", ""), "en": record.get("en", ""),
            "article": record.get("article", ""), "field": record.get("field") or None}


# ---------------------------------------------------------------- whole-process records


class JsonObject(fields.Dict):
    """A JSON object sent as one part of a multipart body: a form field holding JSON text, or a file part
    (`curl -F payload=@fields.json`). Documented as an object: its part's content type is application/json."""

    MAX_BYTES = 1024 * 1024

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, FileStorage):
            value = value.stream.read(self.MAX_BYTES + 1)
            if len(value) > self.MAX_BYTES:
                raise ValidationError(" / ".join(bilingual("过长：不得超过 1 MB")))
        if isinstance(value, bytes | str):
            try:
                value = inputs.loads(value)  # bounded: depth, digits, lone surrogates
            except inputs.JsonInputError as exc:
                raise ValidationError(exc.problem.text()) from None
            except ValueError:
                raise ValidationError(" / ".join(bilingual("应为 JSON 对象"))) from None
        if not isinstance(value, dict):
            raise ValidationError(" / ".join(bilingual("应为 JSON 对象")))
        return super()._deserialize(value, attr, data, **kwargs)


class FileUpload(Upload):
    """A file part of a multipart body (the file of a record)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, FileStorage):
            raise ValidationError(" / ".join(bilingual("应为文件（multipart 中带 filename 的部分）")))
        return value


class RecordUploadSchema(Strict):
    payload = JsonObject(keys=fields.String(), load_default=dict, metadata={
        "description": "the fields of the case's attachment step as a JSON object (its part's content type "
                       "application/json). attach_record (GET /definitions/enforcement_case/1): kind, title, "
                       "format, made_on, and act, duration_seconds, device, recorder, note; attach_material "
                       "(GET /definitions/major_decision/2): material, title, format, made_on, and version_note, "
                       "note",
        "example": {"kind": "text", "title": "询问笔录（陈某某）", "format": "pdf", "made_on": "2026-03-02"}})
    file = FileUpload(metadata={
        "description": "the record's file; its content must be of the declared `format`. Without it the engine "
                       "refuses the step (422, reason record_file_missing)"})


class RecordSchema(Schema):
    """A file of the case (a record of 执法全过程记录, a material of a decision), as the engine stored it."""

    no = fields.Integer(required=True, metadata={"description": "the record's number in the case, from 1"})
    kind = fields.String(required=True, metadata={"description": "text (文字记录) | av (音像记录); for a step "
                                                                 "that does not ask, the kind of the format"})
    material = fields.String(required=True, allow_none=True, metadata={
        "description": "the kind of material of a decision's file (draft, explanation, hearing_record, ...)"})
    material_label = fields.Nested(LabelSchema, required=True, allow_none=True)
    title = fields.String(required=True)
    format = fields.String(required=True, metadata={"description": "pdf, docx, jpeg, png, txt, mp4, mov, avi, "
                                                                   "mp3, wav"})
    media_type = fields.String(required=True)
    size = fields.Integer(required=True, metadata={"description": "bytes"})
    sha256 = fields.String(required=True, metadata={"description": "of the file's content; the download's ETag"})
    stage = fields.String(required=True, metadata={"description": "the case's state when it was attached"})
    made_on = fields.String(required=True, metadata={"format": "date", "description": "the record's own date"})
    recorded_on = fields.String(required=True, metadata={"format": "date", "description": "when it was attached"})
    recorded_by = fields.String(required=True, metadata={"description": "who attached it"})
    act = fields.String(required=True, allow_none=True, metadata={"description": "the step it records, if any"})
    act_label = fields.Nested(LabelSchema, required=True, allow_none=True)
    filename = fields.String(required=True, allow_none=True, metadata={"description": "as uploaded"})
    details = fields.Dict(keys=fields.String(), required=True, metadata={
        "description": "duration_seconds, device, recorder (who made an audio-video record), version_note, "
                       "note, as given"})
    event_seq = fields.Integer(required=True, metadata={"description": "the record_attached audit event"})
    file_present = fields.Boolean(required=True, metadata={
        "description": "the file is in the records folder with its size (a full re-hash: lawflow audit verify)"})
    url = fields.String(required=True, metadata={"description": "GET: the file"})


class RecordCreatedSchema(Schema):
    case_id = fields.String(required=True)
    version = fields.Integer(required=True, metadata={"description": "the case's new version (and ETag)"})
    record = fields.Nested(RecordSchema, required=True)
    event = fields.Nested(EventRefSchema, required=True, metadata={"description": "the audit event written"})


class StageRecordsSchema(Schema):
    state = fields.String(required=True)
    label = fields.Nested(LabelSchema, required=True)
    terminal = fields.Boolean(required=True, metadata={
        "description": "a final state: listed only when records were attached in it, never a gap"})
    text_count = fields.Integer(required=True)
    av_count = fields.Integer(required=True)
    records = fields.List(fields.Nested(RecordSchema), required=True)


class AvActSchema(Schema):
    trigger = fields.String(required=True)
    label = fields.Nested(LabelSchema, required=True)
    seq = fields.Integer(required=True, metadata={"description": "the audit event that recorded the act as done"})
    at = fields.String(required=True, metadata={"format": "date-time"})
    covered = fields.Boolean(required=True, metadata={
        "description": "an audio-video record of the act was attached before it was done"})
    record_nos = fields.List(fields.Integer(), required=True)


class CompletenessSchema(Schema):
    """The case's files as a whole (执法全过程记录, 处罚法第四十七条; 决策过程记录和材料, 条例第三十三条): the stages
    passed through with their records, and each act that must be recorded on audio-video with whether it was."""

    case_id = fields.String(required=True)
    version = fields.Integer(required=True)
    takes_records = fields.Boolean(required=True, metadata={
        "description": "the case's procedure has a step that attaches records"})
    title = fields.Nested(LabelSchema, required=True, allow_none=True, metadata={
        "description": "what the procedure calls its files (e.g. 执法全过程记录, 决策过程记录和材料)"})
    every_stage = fields.Boolean(required=True, metadata={
        "description": "the procedure asks for a record in every stage passed through; if not, only the stages "
                       "with records are listed"})
    complete = fields.Boolean(required=True, metadata={
        "description": "every stage has a record (where asked) and every audio-video act is covered"})
    basis = fields.String(required=True, metadata={"description": "the articles the files are kept under"})
    stages = fields.List(fields.Nested(StageRecordsSchema), required=True)
    stages_without_records = fields.List(fields.String(), required=True)
    av_acts = fields.List(fields.Nested(AvActSchema), required=True)
    count = fields.Integer(required=True, metadata={"description": "records attached in all"})


# ---------------------------------------------------------------- compliance figures

FIRST_DAY, LAST_DAY = date(1990, 1, 1), date(2099, 12, 31)
ORG = validate.Regexp(r"^[A-Za-z0-9_-]{1,40}$", error=" / ".join(bilingual("应为单位标识")))


class ComplianceArgs(Strict):
    org = fields.String(validate=ORG, metadata={"description": "the caller's own organisation (the default)"})
    start = fields.Date(data_key="from", validate=validate.Range(min=FIRST_DAY, max=LAST_DAY), metadata={
        "description": "first day of the period, YYYY-MM-DD (default: 1 January this year)"})
    end = fields.Date(data_key="to", validate=validate.Range(min=FIRST_DAY, max=LAST_DAY), metadata={
        "description": "last day of the period, YYYY-MM-DD (default: today)"})

    @validates_schema
    def _ordered(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise ValidationError(" / ".join(bilingual("起始日期晚于截止日期")), field_name="from")


class OrgSchema(Schema):
    id = fields.String(required=True)
    name = fields.Nested(LabelSchema, required=True)


class PeriodSchema(Schema):
    start = fields.String(required=True, metadata={"format": "date"})
    end = fields.String(required=True, metadata={"format": "date"})


class ShortfallSchema(Schema):
    ref = fields.String(required=True, metadata={"description": "a case id; a username for the staff figures"})
    reason = fields.String(required=True, metadata={
        "description": "late, overdue, no_av_record, not_reviewed, reviewed_after_decision, expired, "
                       "not_yet_valid, no_certificate"})
    reason_label = fields.Nested(LabelSchema, required=True)
    due = fields.String(required=True, allow_none=True, metadata={"format": "date"})
    done_on = fields.String(required=True, allow_none=True, metadata={"format": "date"})
    event_seq = fields.Integer(required=True, allow_none=True)


class PartSchema(Schema):
    key = fields.String(required=True)
    label = fields.Nested(LabelSchema, required=True)
    count = fields.Integer(required=True)
    refs = fields.List(fields.String(), required=True)


class FigureSchema(Schema):
    key = fields.String(required=True, metadata={"example": "publication_on_time"})
    label = fields.Nested(LabelSchema, required=True)
    basis = fields.String(required=True)
    period_rule = fields.Nested(LabelSchema, required=True)
    unit = fields.Nested(LabelSchema, required=True)
    numerator = fields.Integer(required=True)
    denominator = fields.Integer(required=True)
    share = fields.Float(required=True, allow_none=True, metadata={"description": "null: nothing to count"})
    target = fields.Float(required=True, allow_none=True)
    shortfalls = fields.List(fields.Nested(ShortfallSchema), required=True)
    parts = fields.List(fields.Nested(PartSchema), required=True)
    notes = fields.List(fields.Nested(LabelSchema), required=True)


class ComplianceSchema(Schema):
    """The figures as `lawflow compliance --json` writes them (docs/operations.md)."""

    format = fields.String(required=True, metadata={"example": "lawflow-compliance/1"})
    org = fields.Nested(OrgSchema, required=True)
    period = fields.Nested(PeriodSchema, required=True)
    as_of = fields.String(required=True, metadata={"format": "date"})
    figures = fields.List(fields.Nested(FigureSchema), required=True)


# ---------------------------------------------------------------- the event feed


class FeedArgs(Schema):
    after = fields.Integer(load_default=-1, validate=validate.Range(min=-1), metadata={
        "description": "the `next_after` of the page before (the last leaf index considered); -1 from the start"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class FeedEventSchema(Schema):
    log_index = fields.Integer(required=True, metadata={"description": "the event's leaf in the Merkle log"})
    event = fields.Dict(required=True, metadata={
        "description": "the event as the export writes it (docs/audit-format.md §1): case, seq, kind, trigger, "
                       "from, to, actor, role, at, procedure, payload, reasons, prev, hash (and facts)"})


class FeedCheckpointSchema(Schema):
    format = fields.String(required=True)
    origin = fields.String(required=True)
    tree_size = fields.Integer(required=True)
    root = fields.String(required=True)
    issued_at = fields.String(required=True)
    prev_checkpoint = fields.String(required=True, allow_none=True)
    key_id = fields.String(required=True)


class FeedPageSchema(Schema):
    events = fields.List(fields.Nested(FeedEventSchema), required=True)
    next_after = fields.Integer(required=True, metadata={"description": "send as `after` for the next page"})
    more = fields.Boolean(required=True, metadata={"description": "true: more anchored events wait; ask at once"})
    checkpoint = fields.Nested(FeedCheckpointSchema, required=True, allow_none=True, metadata={
        "description": "the signed checkpoint the page was read against (null before the first)"})
