"""The `Idempotency-Key` header of the API's writes: retry a POST safely.

A client that did not get an answer sends the same request again with the same key; the engine keeps the key
with the outcome in the write's own transaction (workflow/engine/idempotency.py), so the retry answers the
first outcome (`Idempotent-Replayed: true`) and writes nothing: one case, one event. The same key with a
different request is refused (422 `idempotency_key_reused`). Keys are the acting user's own and are kept for
24 hours (docs/api.md).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from flask import request

from web.api.errors import ApiError
from workflow.engine import Outcome, RequestKey
from workflow.engine.idempotency import KEEP

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII without spaces, as UUIDs and ULIDs are
PARAMETER = {
    "in": "header", "name": HEADER, "required": False, "schema": {"type": "string", "maxLength": 255},
    "description": f"a key of your choosing (e.g. a UUID) for this request: sent again with the same request, "
                   f"the first result is answered and nothing is done twice (`{REPLAYED}: true`); the same key "
                   f"with another request is refused (422 `idempotency_key_reused`). Kept "
                   f"{int(KEEP.total_seconds() // 3600)} hours.",
}
REUSED_RESPONSE = "The Idempotency-Key was used before for another request (`idempotency_key_reused`)"


def request_key(username: str, body: Mapping[str, Any], file_sha256: str | None = None) -> RequestKey | None:
    """The request's key and fingerprint (method, path, If-Match, the parsed body, the file's hash), or None
    without the header. A header that is no key is a 400: silently ignoring it would lose the protection."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not _KEY.match(key):
        raise ApiError(400, "idempotency_key_invalid",
                       f"{HEADER} 须为1至255个可打印ASCII字符（不含空格），例如一个UUID",
                       f"{HEADER} must be 1 to 255 printable ASCII characters without spaces, e.g. a UUID")
    fields = {name: value for name, value in body.items() if _is_json(value)}
    request_data = {"method": request.method, "path": request.path, "if_match": request.headers.get("If-Match"),
                    "body": fields, "file": file_sha256}
    text = json.dumps(request_data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return RequestKey(username, key, hashlib.sha256(text.encode()).hexdigest())


def reused() -> ApiError:
    return ApiError(422, "idempotency_key_reused",
                    f"该{HEADER}已用于另一个请求；重试请使用原请求，新请求请使用新的键",
                    f"This {HEADER} was used for another request; retry with the same request, or use a new key")


def replay_headers(outcome: Outcome) -> dict[str, str]:
    return {REPLAYED: "true"} if outcome.replayed else {}


def _is_json(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool | list | dict)
