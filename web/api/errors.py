"""Every error under /api/ is JSON: {"code", "message" (Chinese), "message_en", "details"}. Never HTML.

web/errors.py sends every HTTP error raised under /api/ here, whoever raised it: a view (ApiError), the
routing (404, 405), the request parser (400, 413, and flask-smorest's 422 with per-field details), the
authentication hook (401), or an unexpected exception (500, logged, no stack trace in the body).

A refusal by the engine becomes a 4xx by its reasons' codes: REFUSAL_STATUS is the one place that says
which code means which status.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import Response, current_app, jsonify
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

from web.i18n import EN
from workflow.engine import Outcome, Reason
from workflow.payloads import MESSAGES_ZH

# ---------------------------------------------------------------- the error body


def bilingual(zh: str, **params: Any) -> tuple[str, str]:
    """A message of the API in Chinese and English: (zh, en). The Chinese text is the message id; its English
    text is in the catalogue web/translations/en/LC_MESSAGES/messages.po (tests/api/test_messages.py checks
    that every id has one)."""
    en = EN.get(zh, zh)
    return (zh.format(**params), en.format(**params)) if params else (zh, en)


STATUS = {  # status -> (code, message, message_en)
    400: ("bad_request", "请求有误，无法处理", "The request is malformed"),
    401: ("unauthorized", "需要身份认证：请在 Authorization 头中提供有效的 API 令牌（Bearer）",
          "Authentication required: send a valid API token as 'Authorization: Bearer <token>'"),
    403: ("forbidden", "无权进行此操作", "You may not do this"),
    404: ("not_found", "未找到：地址或资源不存在，或不属于本单位", "Not found, or not of your organisation"),
    405: ("method_not_allowed", "此地址不支持该请求方法", "This method is not allowed here"),
    409: ("conflict", "与资源的当前状态冲突", "Conflicts with the current state of the resource"),
    413: ("payload_too_large", "请求体过大", "The request body is too large"),
    415: ("unsupported_media_type", "请求体须为 JSON（Content-Type: application/json）",
          "The request body must be JSON (Content-Type: application/json)"),
    422: ("validation_error", "请求数据有误，详见各字段说明", "The request data is invalid; see the fields"),
    428: ("precondition_required", "须在 If-Match 头中给出案件的当前版本（ETag）",
          "Send the case's current version (its ETag) in If-Match"),
    500: ("internal_error", "系统发生错误，已记录日志。请稍后重试；如问题持续，请联系系统管理员。",
          "Internal error; it has been logged. Try again later, or contact the administrator."),
    503: ("service_unavailable", *bilingual("服务暂时不可用，请稍后重试或联系系统管理员")),
}
PASSED_HEADERS = ("Allow", "WWW-Authenticate", "ETag", "Location", "Retry-After", "Idempotent-Replayed")


class ApiError(HTTPException):
    """An error the API raises on purpose, with its code, both messages and details."""

    def __init__(self, status: int, code: str | None = None, message: str | None = None,
                 message_en: str | None = None, details: Mapping[str, Any] | None = None,
                 headers: Mapping[str, str] | None = None):
        default_code, default_zh, default_en = STATUS.get(status, STATUS[500 if status >= 500 else 400])
        super().__init__(description=message_en or default_en)
        self.code = status
        self.error_code = code or default_code
        self.message = message or default_zh
        self.message_en = message_en or default_en
        self.details = dict(details or {})
        self.extra_headers = dict(headers or {})


def body(status: int, code: str | None = None, message: str | None = None, message_en: str | None = None,
         details: Mapping[str, Any] | None = None) -> dict[str, Any]:
    default_code, default_zh, default_en = STATUS.get(status, STATUS[500 if status >= 500 else 400])
    return {"code": code or default_code, "message": message or default_zh,
            "message_en": message_en or default_en, "details": dict(details or {})}


def error_response(error: HTTPException) -> Response:
    """The JSON response for any HTTP error raised while serving an API request."""
    status = error.code or 500
    headers = {k: v for k, v in error.get_headers() if k in PASSED_HEADERS}
    if isinstance(error, ApiError):
        payload = body(status, error.error_code, error.message, error.message_en, error.details)
        headers.update(error.extra_headers)
    else:
        data = getattr(error, "data", None) or {}  # webargs/flask-smorest put parser errors here
        messages = data.get("messages") or data.get("errors")
        details = {"fields": field_messages(messages)} if messages else {}
        payload = body(status, details=details)
        headers.update(data.get("headers") or {})
    if status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="lawflow"')
    response = jsonify(payload)
    response.status_code = status
    response.headers.update(headers)
    return response


def server_error_response(original: BaseException | None) -> Response:
    if original is not None:
        current_app.logger.error("unhandled exception in the API", exc_info=original)
    response = jsonify(body(500))
    response.status_code = 500
    return response


# ---------------------------------------------------------------- per-field details


def message(en: str) -> dict[str, str]:
    """One field message in both languages (marshmallow speaks English; ours speak "中文 / English")."""
    if " / " in en:
        zh, en = en.split(" / ", 1)
        return {"zh": zh, "en": en}
    return {"zh": MESSAGES_ZH.get(en, MESSAGES_ZH_EXTRA.get(en, f"取值无效：{en}")), "en": en}


MESSAGES_ZH_EXTRA = {
    "Invalid JSON body.": "请求体不是有效的 JSON",
    "Not a valid mapping type.": "应为键值对象",
    "Must be greater than or equal to 1.": "应大于或等于1",
}


def field_messages(messages: Any, prefix: str = "") -> dict[str, list[dict[str, str]]]:
    """webargs' nested {"json": {"payload": ["..."]}} as {"json.payload": [{"zh", "en"}]}."""
    out: dict[str, list[dict[str, str]]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            key = str(key)
            path = prefix if key == "_schema" else f"{prefix}.{key}" if prefix else key
            for name, items in field_messages(value, path).items():
                out.setdefault(name, []).extend(items)
    elif isinstance(messages, list | tuple) and all(isinstance(m, str) for m in messages):
        out[prefix] = [message(m) for m in messages]
    elif isinstance(messages, list | tuple):
        for item in messages:
            for name, items in field_messages(item, prefix).items():
                out.setdefault(name, []).extend(items)
    else:
        out[prefix] = [message(str(messages))]
    return out


# ---------------------------------------------------------------- refusals by the engine

# Reason.code -> HTTP status. Every other code (invalid_payload, the guards, minimum_period:*,
# setting_missing:*) is a refusal of what was asked on the merits: 422.
REFUSAL_STATUS: dict[str, int] = {
    "unknown_case": 404,
    "unknown_trigger": 404,  # the URL names a step the procedure does not have
    "role_not_allowed": 403,
    "supervising_organisation": 403,  # a district's supervisor reads a town's case and takes no step (issue 14)
    "separation_of_duties": 403,
    "unknown_user": 403,
    "stale": 409,  # If-Match named an older version of the case
    "not_allowed_in_state": 409,  # the step exists but not from the case's current state
    "procedure_unavailable": 409,
    "unknown_procedure": 422,  # a body field names no procedure
    # the file of a record (POST /cases/{id}/records, 处罚法第四十七条)
    "record_file_missing": 422,  # no `file` part
    "record_empty": 422,
    "record_format_mismatch": 422,  # the content is not of the declared `format`
    "record_too_large": 413,  # past the records limit (RecordStore.max_bytes): nothing was kept
    "attachment_not_accepted": 422,  # a file for a step that takes none
    "record_filename_invalid": 422,  # a NUL, control or direction character, a folder, too long (inputs.py)
    "record_store_unavailable": 503,  # the installation has no records folder: not the client's doing
}
PRECEDENCE = (404, 403, 409, 503, 413, 422)
REFUSAL_FIELDS = {"unknown_procedure": "json.procedure"}  # reasons about a body field that is not payload


def refusal_status(reasons: Iterable[Reason]) -> int:
    statuses = {REFUSAL_STATUS.get(r.code, 422) for r in reasons}
    return next((s for s in PRECEDENCE if s in statuses), 422)


def reason_record(reason: Reason) -> dict[str, Any]:
    return {"code": reason.code, "zh": reason.zh, "en": reason.en, "article": reason.article,
            "field": reason.field or None}


def refusal(outcome: Outcome, step: str, step_en: str, headers: Mapping[str, str] | None = None, *,
            payload_at: str = "json.payload", file_at: str = "") -> ApiError:
    """The engine refused: every reason with its code, article and field, in both languages.

    `payload_at` is where the step's fields were in the request (a multipart upload: "multipart.payload"),
    `file_at` where its file was (reasons about the field "file")."""
    status = refusal_status(outcome.reasons)
    fields_: dict[str, list[dict[str, str]]] = {}
    for r in outcome.reasons:
        name = REFUSAL_FIELDS.get(r.code) or (
            file_at if r.field == "file" and file_at else f"{payload_at}.{r.field}" if r.field else "")
        if name:
            fields_.setdefault(name, []).append({"zh": r.zh, "en": r.en})
    details: dict[str, Any] = {"reasons": [reason_record(r) for r in outcome.reasons]}
    if fields_:
        details["fields"] = fields_
    return ApiError(
        status, "refused",
        f"「{step}」未获准许：" + "；".join(r.text("zh") for r in outcome.reasons),
        # English only: the articles are Chinese citations, in each reason's `article` (details.reasons)
        f"'{step_en}' was refused: " + "; ".join(r.en for r in outcome.reasons),
        details, headers)


# ---------------------------------------------------------------- the documented shape


class MessageSchema(Schema):
    zh = fields.String(required=True)
    en = fields.String(required=True)


class ReasonSchema(Schema):
    """Why the engine refused: a stable code, the article, the message in Chinese and English, and the
    payload field it concerns (null when it concerns the step as a whole)."""

    code = fields.String(required=True, metadata={"example": "role_not_allowed"})
    zh = fields.String(required=True)
    en = fields.String(required=True)
    article = fields.String(required=True, metadata={"description": "法条依据 the article relied on"})
    field = fields.String(required=True, allow_none=True)


class ErrorDetailsSchema(Schema):
    reasons = fields.List(fields.Nested(ReasonSchema), metadata={
        "description": "The engine's reasons for a refusal (code \"refused\"), every one found."})
    field_messages = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(MessageSchema)),
                                 data_key="fields", metadata={
                                     "description": "Messages per field, keyed by where the field is: "
                                                    "json.payload.title, query.page, headers.If-Match ..."})


class ErrorSchema(Schema):
    code = fields.String(required=True, metadata={
        "description": "validation_error, refused, unauthorized, not_found, precondition_required, ..."})
    message = fields.String(required=True, metadata={"description": "中文说明"})
    message_en = fields.String(required=True, metadata={"description": "The same in English"})
    details = fields.Nested(ErrorDetailsSchema, required=True)
