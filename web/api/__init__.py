"""The REST API, /api/v1: flask-smorest resources over the engine, and its OpenAPI 3 document.

    /api/v1/openapi.json     the document          /api/v1/docs    the explorer (offline Swagger UI)
    /api/v1/cases ...        one blueprint per resource (RESOURCES below), each in its own module

Like the pages, the API is an adapter: every change is engine.create_case or engine.fire as the caller
(web/api/auth.py: a bearer token, or a browser session for reading), and a refusal becomes 403/404/409/422
with the engine's reasons (web/api/errors.py, REFUSAL_STATUS). Every error under /api/ is JSON.

A new resource is a module with an `ApiBlueprint` named `blp` and
marshmallow schemas for its bodies, added to resources(); a view that takes something other than JSON says
so with `@accepts("multipart/form-data")` (web/api/base.py). docs/api.md describes the API for integrators.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from flask import Flask

from web.api.paths import PREFIX


def resources() -> tuple[ModuleType, ...]:
    """The API's resources, one blueprint (module) each, in the document's order."""
    from web.api import (
        accounts,
        audit,
        cases,
        compliance,
        definitions,
        history,
        records,
        todo,
        transitions,
        webhooks,
        witness,
    )

    return (cases, todo, transitions, records, history, definitions, compliance, audit, witness, accounts, webhooks)

DESCRIPTION = """\
lawflow 行政程序引擎 REST API. Chinese first, English alongside.

* **Authentication**: `Authorization: Bearer <token>` (`lawflow tokens create USER --name ... --as admin`).
  A logged-in browser session may read (GET); every change needs a token.
* **Versions**: a case's ETag is its version (`W/"7"`). Taking a step needs `If-Match` with it:
  missing → 428, stale → 409.
* **Records** (执法全过程记录; a decision's materials): `POST /cases/{id}/records` takes multipart/form-data, a
  `payload` part (JSON) and a `file` part, with If-Match; the files are downloaded from `/cases/{id}/records/{no}`.
* **Errors** are JSON: `{"code", "message", "message_en", "details": {"reasons": [...], "fields": {...}}}`.
  A refusal by the engine lists every reason with its code, article and field.

See docs/api.md.
"""


def init_app(app: Flask) -> Any:
    from web.api import auth, base, explorer

    app.config.setdefault("API_TITLE", "lawflow API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("API_SPEC_OPTIONS", {
        "info": {"description": DESCRIPTION},
        "components": {"securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer",
                           "description": "API token (lawflow tokens create); acts as its user"},
            "browserSession": {"type": "apiKey", "in": "cookie", "name": "session",
                               "description": "a logged-in browser session: GET only"},
        }},
        "security": [{"bearerAuth": []}, {"browserSession": []}],
        # the paths carry /api/v1 themselves: a client's base URL is the instance's own address
        "servers": [{"url": "/", "description": "this lawflow instance (e.g. https://lawflow.houlong.gov.cn)"}],
    })
    # JSON as people read it: keys in the order written (code, message, message_en, details), Chinese as is
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    auth.init_app(app)
    app.before_request(base.check_body_type)
    api = base.LawflowApi(app)
    for resource in resources():
        api.register_blueprint(resource.blp)
    base.declare_common_responses(api.spec)
    from web.api import contract
    contract.declare(api.spec, app.extensions["lawflow"].registry)  # enums and payloads from the definitions
    from web.api import audit
    api.spec.components.schema(audit.EXPORT_LINE_NAME, audit.EXPORT_LINE)
    app.register_blueprint(explorer.bp)
    return api
