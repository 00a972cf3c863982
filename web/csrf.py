"""CSRF protection for every form: a random per-session token, checked on every unsafe request.

The token lives in the (signed) session cookie and goes into each form as the hidden field `csrf_token`
(templates call `csrf_token()`); a request without it, or with a different one, is refused with 400 and
a Chinese message before any view runs, so nothing changes. Logging in starts a new session and so a new
token (no fixation). SameSite=Lax on the cookie is a second line, not the defence.
"""

from __future__ import annotations

import hmac
import secrets

from flask import Flask, request, session

from web.api.paths import is_api_request
from web.errors import PublicBadRequest
from web.i18n import N_

SESSION_KEY = "_csrf"
FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
MESSAGE = N_("表单已失效或来源不明（缺少或错误的安全令牌）。请返回、刷新页面后重新提交。")


def csrf_token() -> str:
    token = session.get(SESSION_KEY)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        session[SESSION_KEY] = token
    return token


def check() -> None:
    """Raise 400 unless the request carries this session's token."""
    expected = session.get(SESSION_KEY)
    given = request.form.get(FIELD) or request.headers.get(HEADER) or ""
    if not isinstance(expected, str) or not expected or not hmac.compare_digest(
            expected.encode(), given.encode()):
        raise PublicBadRequest(MESSAGE)


def init_app(app: Flask) -> None:
    @app.before_request
    def protect() -> None:
        # The API takes changes only with a bearer token, which a browser never adds by itself (web/api/auth.py)
        if request.method not in SAFE_METHODS and not is_api_request():
            check()

    app.jinja_env.globals["csrf_token"] = csrf_token
