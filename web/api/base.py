"""What every API resource shares: the blueprint class, the request checks, cases of the caller's
organisation, versions as ETags, and page links."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NoReturn, TypeVar
from urllib.parse import urlencode

import marshmallow as ma
from flask import current_app, g, request
from flask_smorest import Api, Blueprint
from sqlalchemy import ColumnElement, and_
from sqlalchemy.orm import Session
from webargs.flaskparser import FlaskParser, is_json_request
from webargs.flaskparser import abort as parser_abort
from werkzeug.datastructures import CombinedMultiDict

from web.api.auth import api_user
from web.api.errors import ApiError, ErrorSchema
from web.api.paths import PREFIX, is_api_request
from web.runtime import runtime
from workflow import inputs
from workflow.case_reading import Reader
from workflow.definitions import Registry
from workflow.models import Case

NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
CASE_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
JSON_BODY = ("application/json",)
F = TypeVar("F", bound=Callable[..., Any])


class ApiParser(FlaskParser):
    """webargs' parser with one more location, "multipart": the fields and the files of a multipart/form-data
    body together. flask-smorest documents one request body per view, so a view that takes a file and fields
    (a record and its payload) reads both from this one location, documented as one multipart body."""

    __location_map__ = {**FlaskParser.__location_map__, "multipart": "load_multipart"}
    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "multipart": None}

    def load_multipart(self, req: Any, schema: ma.Schema) -> Any:
        return self._makeproxy(CombinedMultiDict([req.files, req.form]), schema)

    def _raw_load_json(self, req: Any) -> Any:
        """The JSON body, read with the bounds of workflow/inputs.py (depth, digits, lone surrogates)."""
        if not is_json_request(req):
            return ma.missing
        return inputs.loads(req.get_data(cache=True))

    def _handle_invalid_json_error(self, error: Any, req: Any, *args: Any, **kwargs: Any) -> NoReturn:
        if isinstance(error, inputs.JsonInputError):  # say what is wrong with it, in both languages
            parser_abort(400, exc=error, messages={"json": [error.problem.text()]})
        super()._handle_invalid_json_error(error, req, *args, **kwargs)


class ApiBlueprint(Blueprint):
    """A resource of the API: mounted under /api/v1, and shown in the document under its own tag."""

    ARGUMENTS_PARSER = ApiParser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {**Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
                                             "multipart": "multipart/form-data"}

    def __init__(self, tag: str, import_name: str, *, url_prefix: str = "", description: str = ""):
        super().__init__(f"api_{tag}", import_name, url_prefix=PREFIX + url_prefix, description=description)
        self.tag = tag

    def route(self, rule: str, *, parameters: Any = None, tags: Any = None, **options: Any) -> Any:
        return super().route(rule, parameters=parameters, tags=tags or [self.tag], **options)


class LawflowApi(Api):
    """flask-smorest's Api, with our error body in the document and without its own error handler:
    web/errors.py answers every error, and under /api/ it answers in JSON (web/api/errors.py)."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        pass

    def register_blueprint(self, blp: Any, *, parameters: Any = None, **options: Any) -> None:
        # as flask-smorest's, but the document's tag is the resource's name, not the blueprint's
        self._app.extensions["flask-smorest"]["blp_name_to_api"][blp.name] = self
        self._app.register_blueprint(blp, **options)
        blp.register_views_in_doc(self, self._app, self.spec, name=blp.name, parameters=parameters)
        self.spec.tag({"name": getattr(blp, "tag", blp.name), "description": blp.description})


# ---------------------------------------------------------------- the responses every operation may give

COMMON_RESPONSES = {  # status -> (when it applies, its description)
    "400": ("input", "The request is malformed: the body is not JSON, a header (If-Match) is not well formed, or "
                     "a value holds characters no text may hold (control characters, web/input_screen.py)"),
    "401": ("always", "No valid credentials: send `Authorization: Bearer <token>`"),
    "404": ("path", "No such resource, or not of your organisation (answered as if it did not exist)"),
    "413": ("body", "The request body is over the limit"),
    "415": ("body", "The body is of a type this operation does not take"),
    "422": ("input", "The request data is invalid; the details name each field"),
}


def declare_common_responses(spec: Any) -> None:
    """Declare on every operation the errors any request may meet, whichever view answers it: no credentials
    (401, web/api/auth.py), a path naming nothing of the caller's (404), a malformed or oversized body or a body
    of the wrong type (400, 413, 415: the parser, check_body_type), invalid parameters (422, webargs). Each view
    declares the statuses that are its own (403, 409, 428, 304...). A generated client then has a typed error for
    every answer the server gives, not only the `default` one (tests/api/test_contract.py checks this)."""
    for path, operations in spec._paths.items():  # apispec keeps the paths here until the document is built
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue  # the path's own "parameters"
            has_path = "{" in path
            has_input = has_path or bool(operation.get("parameters")) or "requestBody" in operation
            applies = {"always": True, "path": has_path, "body": "requestBody" in operation,
                       "input": has_input}
            responses = operation.setdefault("responses", {})
            for status, (when, description) in COMMON_RESPONSES.items():
                if applies[when] and status not in responses:
                    responses[status] = {"description": description,
                                         "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


# ---------------------------------------------------------------- request bodies


def accepts(*mimetypes: str) -> Callable[[F], F]:
    """Declare the body types a view method takes (default: JSON), e.g. @accepts("multipart/form-data")."""

    def mark(func: F) -> F:
        func.api_accepts = mimetypes  # type: ignore[attr-defined]
        return func

    return mark


def check_body_type() -> None:
    """Before an API view that takes a body: a body of a type the view does not take is 415."""
    if not is_api_request() or request.method in ("GET", "HEAD", "OPTIONS", "DELETE"):
        return
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None:
        return  # routing fails next: 404 or 405
    method = getattr(getattr(view, "view_class", None), request.method.lower(), view)
    wanted = getattr(method, "api_accepts", JSON_BODY)
    has_body = bool(request.content_length) or request.headers.get("Transfer-Encoding") == "chunked"
    if has_body and request.mimetype not in wanted and not (wanted == JSON_BODY and request.is_json):
        raise ApiError(415, message_en=f"The request body must be {' or '.join(wanted)}",
                       message=f"请求体的类型须为 {' 或 '.join(wanted)}")


# ---------------------------------------------------------------- cases, versions, pages


def reader() -> Reader:
    """What the caller may read of their organisation's cases (the definitions' `visibility:`)."""
    made = g.get("api_case_reader")
    if made is None:  # a supervisor's reads the organisations below theirs too (issue 14)
        rt, user = runtime(), api_user()
        registry = rt.registry
        if user.procedures is not None:  # a token limited to some procedures reads nothing of the others
            registry = Registry({k: p for k, p in registry.procedures.items() if p.id in user.procedures})
        with rt.sessions() as s:
            made = Reader.for_user(s, registry, user.roles, user.org_id)
        if user.procedures is not None:
            made = ProcedureScopedReader(made.registry, made.roles, made.org_id, made.below)
        g.api_case_reader = made
    return made


@dataclass(frozen=True)
class ProcedureScopedReader(Reader):
    """A reader over fewer procedures than the cases hold (a token limited to some, its registry cut to them):
    one case is judged by its procedure (unknown: not seen), and the lists keep only those procedures' cases."""

    def scope_clause(self, org: str | None = None) -> ColumnElement[bool]:
        ids = sorted({p.id for p in self.registry.all()})
        return and_(super().scope_clause(org), Case.procedure.in_(ids))


def own_case(session: Session, case_id: str, org_id: str) -> Case:
    """The case if it exists, belongs to the caller's organisation and the caller's roles may see it (the
    definition's `visibility:`, workflow/case_reading.py); 404 otherwise (no existence leak)."""
    case = session.get(Case, case_id) if CASE_ID.match(case_id) else None
    del org_id  # the reader knows the caller's organisation and those below it they supervise
    if case is None or not reader().sees_case(case):
        raise ApiError(404, "case_not_found", f"案件「{case_id[:40]}」不存在，或不属于本单位",
                       f"No case {case_id[:40]!r} in your organisation")
    return case


def etag(version: int) -> str:
    """A case's ETag is its version: it changes exactly when the case does (a refusal leaves it as it is)."""
    return f'W/"{version}"'


ETAG_VALUE = re.compile(r'^(?:W/)?"([0-9]{1,9})"$|^([0-9]{1,9})$')


def if_match_version() -> int:
    """The case version the client last saw, from If-Match (W/"7", "7" or 7). Missing: 428."""
    raw = request.headers.get("If-Match")
    if raw is None or raw.strip() in ("", "*"):
        raise ApiError(428, "precondition_required")
    match = ETAG_VALUE.match(raw.strip())
    if match is None:
        raise ApiError(400, "invalid_if_match", "If-Match 应为案件的 ETag，例如 W/\"7\"",
                       "If-Match must be the case's ETag, e.g. W/\"7\"",
                       {"fields": {"headers.If-Match": [{"zh": "应为案件版本，例如 W/\"7\" 或 \"7\"",
                                                          "en": "must be the case version, e.g. W/\"7\" or \"7\""}]}})
    return int(match.group(1) or match.group(2))


def utc(moment: datetime | None) -> datetime | None:
    """A stored time as aware UTC (SQLite returns naive datetimes)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def keyset_envelope(items: list[Any], page_size: int, total: int, filters: Mapping[str, Any],
                    last: str | None) -> dict[str, Any]:
    """A page walked by key (the last item's key is the next page's `after`): `next` while more follow."""
    query = {k: ("true" if v else "false") if isinstance(v, bool) else v
             for k, v in filters.items() if v is not None}

    def link(after: str | None) -> str:
        return f"{request.path}?{urlencode({**query, **({'after': after} if after else {}), 'page_size': page_size}, doseq=True)}"

    return {"items": items, "page": 1, "page_size": page_size, "total": total, "pages": max(1, -(-total // page_size)),
            "links": {"self": request.full_path, "first": link(None), "last": link(None), "prev": None,
                      "next": link(last) if last else None}}


def page_envelope(items: list[Any], page: int, page_size: int, total: int,
                  filters: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A page of results with its total and the links to the pages around it (same filters)."""
    pages = max(1, -(-total // page_size))
    query = {k: ("true" if v else "false") if isinstance(v, bool) else v
             for k, v in (filters or {}).items() if v is not None}

    def link(n: int) -> str:
        return f"{request.path}?{urlencode({**query, 'page': n, 'page_size': page_size}, doseq=True)}"

    return {
        "items": items, "page": page, "page_size": page_size, "total": total, "pages": pages,
        "links": {"self": link(page), "first": link(1), "last": link(pages),
                  "prev": link(min(page - 1, pages)) if page > 1 else None,
                  "next": link(page + 1) if page < pages else None},
    }
