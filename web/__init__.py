"""lawflow's web app: an adapter over the engine (Flask app factory, one blueprint per area).

    .venv/bin/flask --app web:create_app run          (or: python -m web, which honours PORT and HOST)

Configuration comes from the lawflow Runtime (LAWFLOW_INSTANCE, LAWFLOW_DATABASE_URL, ...) and:
  LAWFLOW_SECRET_KEY           session signing key; default: generated once into <instance>/secret_key (0600)
  LAWFLOW_SHOW_DEMO_ACCOUNTS   "1": list the demo accounts on the login page (an instance with demo data)
  LAWFLOW_SECURE_COOKIES       "1": always mark the session cookie Secure (it is anyway on a request that came
                               over HTTPS, directly or through a trusted TLS proxy: web/ops.py)
  LAWFLOW_HSTS_SECONDS         Strict-Transport-Security max-age on HTTPS responses (default one year; 0: none)
  LAWFLOW_METRICS_TOKEN        a bearer token for /metrics; unset: /metrics answers loopback requests only
  LAWFLOW_SESSION_IDLE_MINUTES a login unused this long is logged out (default 30; web/auth.py)
  LAWFLOW_TRUSTED_PROXIES      how many reverse proxies stand in front of the app (default 0): the client
                               address is then read from X-Forwarded-For (the public portal's rate limit
                               counts by it; behind a proxy without this, every visitor shares one count)
                               and whether the request came over HTTPS from X-Forwarded-Proto (HSTS, Secure)
The database must exist: `lawflow init` (or `lawflow demo`) first.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from workflow.filemodes import private_dir, restrict_umask
from workflow.runtime import Runtime

log = logging.getLogger(__name__)
SECRET_FILE = "secret_key"


def create_app(runtime: Runtime | None = None, config: dict[str, Any] | None = None) -> Flask:
    restrict_umask()  # uploads, the secret key, the SQLite files: the owner's only (workflow/filemodes.py)
    runtime = runtime or Runtime.from_env()
    app = Flask(__name__, instance_path=str(Path(runtime.instance).resolve()))
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("LAWFLOW_SECURE_COOKIES") == "1",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        SHOW_DEMO_ACCOUNTS=os.environ.get("LAWFLOW_SHOW_DEMO_ACCOUNTS") == "1",
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        MAX_FORM_MEMORY_SIZE=1024 * 1024,
    )
    app.config.update(config or {})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ.get("LAWFLOW_SECRET_KEY") or secret_key(Path(app.instance_path))
    app.extensions["lawflow"] = runtime
    proxies = int(os.environ.get("LAWFLOW_TRUSTED_PROXIES", "0") or 0)
    if proxies > 0:  # trust exactly that many X-Forwarded-For hops; a client cannot forge the ones they add
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    from web import admin, api, audit, auth, cases, csrf, errors, i18n, meetings, portal, procedures, reviews
    from web.inbox import bp as inbox_bp
    from web.input_screen import init_app as screen_inputs
    from web.ops import init_app as init_operations
    from web.present import role_label
    from web.runtime import runtime as web_runtime

    i18n.init_app(app)
    from web import filters
    filters.init_app(app)  # |date |amount |capital |duration: the office's way of writing (workflow/wording.py)
    screen_inputs(app)  # NUL, controls, overlong query values: 400 before any other check (and JSON)
    auth.init_app(app)  # login required everywhere but the login page and static files (and /api/)
    cases.init_app(app)  # a record upload's size limit, set before the CSRF check reads the form
    csrf.init_app(app)  # after login: an anonymous POST is sent to the login page (not /api/: tokens)
    errors.init_app(app)  # HTML pages; JSON under /api/
    api.init_app(app)  # /api/v1: its own authentication (bearer tokens; sessions read only)
    init_operations(app)  # /healthz, /metrics, 503 when the database is down, HSTS and Secure cookies over TLS
    app.register_blueprint(cases.bp)
    app.register_blueprint(audit.bp)
    app.register_blueprint(reviews.bp)  # legal counsel, advisers and reviewers: the queue and review pages
    app.register_blueprint(meetings.bp)  # collective discussion: decision-body members and the head
    app.register_blueprint(procedures.bp)  # the living specs: every logged-in user reads them
    app.register_blueprint(portal.bp)  # public: no login (web/auth.py PUBLIC_ENDPOINTS)
    app.register_blueprint(admin.bp)  # administrators of their own organisation only
    from web import documents
    app.register_blueprint(documents.bp)  # issued documents; /public/verify is public (web/auth.py)
    app.register_blueprint(inbox_bp)  # each person's own notices from the timer worker (workflow/timers/)
    from web import information_requests
    app.register_blueprint(information_requests.bp)  # 政府信息公开申请: public form and status, register, report
    from web import normative
    app.register_blueprint(normative.bp)  # normative documents' register; /public/normative-documents is public
    from web import contracts
    app.register_blueprint(contracts.bp)  # 合同合法性审查台账 for the people who work on contracts, with its .xlsx
    from web import figures
    app.register_blueprint(figures.bp)  # 统计数据: the definitions' figures for a year, each linked to its records
    from web import annual_reports
    app.register_blueprint(annual_reports.bp)  # 法治政府建设年度报告: each report as it will read, figures linked
    from web import district
    app.register_blueprint(district.bp)  # 下级单位概况: a supervisor's organisations below (issue 14)
    from web import registers
    app.register_blueprint(registers.bp)  # every procedure that declares a register: list, figures, xlsx in and out
    from web.site import calendar_banner, site_name
    app.context_processor(site_name)  # the organisation's name in the header (web/site.py)
    app.context_processor(calendar_banner)  # from 1 December: next year's holiday notice still missing
    from web.todo import bp as todo_bp
    app.register_blueprint(todo_bp)  # 我的待办: every signed-in person's landing page (workflow/todo.py)
    from web import witness
    app.register_blueprint(witness.bp)  # the district's page of its towns' witnessed checkpoints (audit roles, admins)
    # the runtime of the request's app, read when a page is rendered (the tests rebind one app: tests/apps.py)
    app.jinja_env.globals["role_label"] = lambda role: role_label(web_runtime().registry, role)
    app.after_request(_headers)
    return app


def secret_key(instance: Path) -> str:
    """The instance's session key: read <instance>/secret_key, or create it once (mode 0600).

    Created under a temporary name and hard-linked into place, so concurrent workers starting together
    all end up with the same complete key.
    """
    path = instance / SECRET_FILE
    if not path.exists():
        private_dir(instance)
        tmp = instance / f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_hex(32))
                fh.flush()
                os.fsync(fh.fileno())
            with contextlib.suppress(FileExistsError):  # another worker was first: use its key
                os.link(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    if path.stat().st_mode & 0o077:
        log.warning("%s is readable by other users; it should be mode 0600", path)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds no usable secret key; delete it to have a new one generated")
    return key


CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "static":  # case data must not linger in shared browsers' caches
        response.headers.setdefault("Cache-Control", "no-store")
    return response
