"""Requests refused at the door (400), before any view, login check or database sees them.

- The address and the query: no NUL, other control or direction characters, no lone surrogates
  (workflow/inputs.py says why: PostgreSQL cannot even compare a text with a NUL, and answered 500), and no
  value longer than MAX_QUERY_VALUE (a page number of thousands of digits cannot be converted).
  A list view marked @own_filters checks its query itself and names the bad filter next to its field (a NUL
  or an overlong value is still refused here).
- A form's fields, the same, except on a view marked @engine_form: there the fields are a step's payload,
  and the engine refuses them itself, naming the field, in an audited refusal (workflow/payloads.py).
  The file names of an upload are the engine's to judge too (workflow/engine/recording.py: check_attachment).
- A JSON body (a page's or the API's) is read by the bounded reader of workflow/inputs.py: nested too deep,
  an integer of thousands of digits, a lone surrogate is malformed JSON, a 400.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import Flask, current_app, request
from flask.json.provider import DefaultJSONProvider

from web.api.errors import ApiError, bilingual
from web.api.paths import is_api_request
from web.errors import PublicBadRequest
from web.i18n import N_
from workflow import inputs

F = TypeVar("F", bound=Callable[..., Any])
MAX_QUERY_VALUE = 2000  # characters: a search text, a filter, a page number; nothing longer is meant
MESSAGE = N_("请求中含有不允许的字符（如空字符、控制字符或文字方向控制字符）或过长的参数，未予处理。")


def own_filters(view: F) -> F:
    """Mark a list view that checks its own query filters (control characters included) and names the bad
    one next to its field: the query is left to it, the path is still screened here."""
    view.own_filters = True  # type: ignore[attr-defined]
    return view


def engine_form(view: F) -> F:
    """Mark a view whose form is a step's payload, checked by the engine (so that a refusal is audited)."""
    view.engine_form = True  # type: ignore[attr-defined]
    return view


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, read with the bounds of workflow/inputs.py (a JSONDecodeError: Flask answers 400)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return inputs.loads(s)


def _problem(items: Iterable[tuple[str, str]], limit: int | None) -> tuple[str, inputs.Problem] | None:
    for key, value in items:
        for text in (key, value):
            problem = inputs.text_problem(text, multiline=True)
            if problem is not None:
                return key, problem
        if limit is not None and len(value) > limit:
            return key, inputs.Problem(f"过长：不得超过{limit}个字符", f"too long: at most {limit} characters")
    return None


def screen() -> None:
    found: tuple[str, inputs.Problem] | None = None
    path_problem = inputs.text_problem(request.path)
    if path_problem is not None:
        found = ("path", path_problem)
    view = current_app.view_functions.get(request.endpoint or "")
    query = ((f"query.{inputs.printable(k, 40)}", v) for k, v in request.args.items(multi=True))
    if found is None and getattr(view, "own_filters", False):
        # the view names a bad filter itself; what no view can be trusted to carry (a NUL, which PostgreSQL
        # cannot compare, a value of thousands of characters) is still refused here
        query = ((k, v) for k, v in query if "\x00" in k + v or len(v) > MAX_QUERY_VALUE)
    if found is None:
        found = _problem(query, MAX_QUERY_VALUE)
    if found is None and not is_api_request() and not getattr(view, "engine_form", False) \
            and request.method in ("POST", "PUT", "PATCH"):  # the form is parsed only here, never for an upload
        found = _problem(((f"form.{inputs.printable(k, 40)}", v) for k, v in request.form.items(multi=True)), None)
    if found is None:
        return
    where, problem = found
    if is_api_request():
        zh, en = bilingual("请求中含有不允许的字符或过长的参数，未予处理")
        raise ApiError(400, "invalid_characters", zh, en,
                       {"fields": {inputs.printable(where, 60): [{"zh": problem.zh, "en": problem.en}]}})
    raise PublicBadRequest(MESSAGE)


def init_app(app: Flask) -> None:
    app.json = BoundedJSONProvider(app)
    app.before_request(screen)
