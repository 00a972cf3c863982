"""What the operator needs from the running app: health, metrics, an outage answered as such, and TLS.

* `GET /healthz` — no login, no data: 200 {"status": "ok", "database": "ok"} when the database answers a
  query, 503 {"status": "unavailable", "database": "unavailable"} when it does not. For a load balancer or a
  process supervisor.
* `GET /metrics` — Prometheus text format (exposition format 0.0.4) for the operator: HTTP responses by
  status (this worker process since it started), fire() outcomes and audit events by kind (the whole
  instance, read from the trail: workflow/metrics.py). Restricted: with LAWFLOW_METRICS_TOKEN set, only a
  request with `Authorization: Bearer <token>` gets it, from anywhere; without it, only a request made
  directly on this machine (loopback address, no X-Forwarded-For: a request through a reverse proxy is not
  local, even when the proxy itself runs here). Others get 404, as if it did not exist.
* A database that does not answer (sqlalchemy OperationalError or InterfaceError: the server is down, the
  connection was cut, SQLite's file is gone or locked past its timeout) is a 503 with Retry-After, a page in
  Chinese first (JSON under /api/), logged once without a stack trace — not a 500.
* Strict-Transport-Security on every response served over HTTPS (directly, or behind a TLS proxy trusted by
  LAWFLOW_TRUSTED_PROXIES, which reads X-Forwarded-Proto), never over plain http; and the session cookie gets
  the Secure flag on such requests, or always with LAWFLOW_SECURE_COOKIES=1.

The metrics are written by hand rather than with prometheus_client: a handful of counters, no histograms, and
no new dependency; the text format is fixed and small. Take the library if the metrics grow.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import threading
import time
from collections import Counter
from collections.abc import Iterable

from flask import Blueprint, Flask, current_app, g, jsonify, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_login import AnonymousUserMixin
from sqlalchemy import text
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from web.api import errors as api_errors
from web.api.paths import is_api_request
from web.i18n import N_, _
from web.runtime import runtime
from workflow.metrics import audit_counts

bp = Blueprint("ops", __name__)
EXTENSION = "lawflow_metrics"
RETRY_AFTER = "30"  # seconds: a restarting database or a failover takes about that
HSTS_DEFAULT = 31536000  # one year; LAWFLOW_HSTS_SECONDS=0 sends none
OUTAGE_TITLE = N_("服务暂时不可用")
OUTAGE_MESSAGE = N_("数据库暂时无法访问，您的操作未被处理，也未保存任何内容。请稍后重试；如问题持续，请联系系统管理员。")


class RequestCounter:
    """HTTP responses of this process by status; a lock, because a worker may serve requests in threads."""

    def __init__(self) -> None:
        self.started = time.time()
        self._lock = threading.Lock()
        self._counts: Counter[int] = Counter()

    def add(self, status: int) -> None:
        with self._lock:
            self._counts[status] += 1

    def snapshot(self) -> dict[int, int]:
        with self._lock:
            return dict(self._counts)


# ---------------------------------------------------------------- health


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    try:
        with runtime().db.connect() as conn:
            conn.execute(text("SELECT 1"))
    except (OperationalError, InterfaceError) as exc:
        current_app.logger.warning("health check: the database does not answer (%s)", type(exc.orig).__name__)
        return jsonify(status="unavailable", database="unavailable"), 503
    return jsonify(status="ok", database="ok"), 200


# ---------------------------------------------------------------- metrics


def _allowed() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        scheme, _sep, given = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())
    if request.headers.get("X-Forwarded-For") or request.headers.get("Forwarded"):
        return False  # came through a proxy: the proxy's loopback address says nothing about the client
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


@bp.get("/metrics")
def metrics() -> Response:
    if not _allowed():
        raise NotFound()
    counter: RequestCounter = current_app.extensions[EXTENSION]
    with runtime().sessions() as session:
        counts = audit_counts(session)
    lines = [
        *_family("lawflow_http_responses_total", "counter",
                 "HTTP responses by status, of this worker process since it started.",
                 ((f'status="{status}"', n) for status, n in sorted(counter.snapshot().items()))),
        *_family("lawflow_fire_outcomes_total", "counter",
                 "Steps and case openings by outcome (accepted: an event that changed a case; refused: an audited "
                 "refusal), the whole instance, read from the audit trail.",
                 [('outcome="accepted"', counts.fire_accepted), ('outcome="refused"', counts.fire_refused)]),
        *_family("lawflow_audit_events_total", "counter", "Audit events by kind, the whole instance.",
                 ((f'kind="{_escape(kind)}"', n) for kind, n in sorted(counts.by_kind.items()))),
        *_family("lawflow_login_locks_total", "counter", "Accounts locked after repeated failed logins.",
                 [("", counts.login_locks)]),
        *_family("lawflow_process_start_time_seconds", "gauge", "When this worker process started (Unix time).",
                 [("", round(counter.started, 3))]),
    ]
    return Response("\n".join(lines) + "\n", mimetype="text/plain", content_type="text/plain; version=0.0.4; charset=utf-8")


def _family(name: str, kind: str, help_text: str, samples: Iterable[tuple[str, float]]) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    lines += [f"{name}{{{labels}}} {value}" if labels else f"{name} {value}" for labels, value in samples]
    return lines


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


# ---------------------------------------------------------------- the database is down


def database_unavailable(error: OperationalError | InterfaceError) -> tuple[str, int, dict[str, str]] | Response:
    current_app.logger.error("database unavailable: %s", type(error.orig).__name__ if error.orig else type(error).__name__)
    if is_api_request():
        response = jsonify(api_errors.body(503))
        response.status_code = 503
        response.headers["Retry-After"] = RETRY_AFTER
        return response
    if request.endpoint == "ops.healthz":
        return jsonify(status="unavailable", database="unavailable"), 503, {"Retry-After": RETRY_AFTER}
    g._login_user = AnonymousUserMixin()  # the page must not ask the database who is logged in
    page = render_template("error.html", code=503, title=_(OUTAGE_TITLE), message=_(OUTAGE_MESSAGE))
    return page, 503, {"Retry-After": RETRY_AFTER}


# ---------------------------------------------------------------- TLS


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure on a request that came over HTTPS (behind a trusted TLS proxy too), or
    always when SESSION_COOKIE_SECURE (LAWFLOW_SECURE_COOKIES=1) is set; never on plain http otherwise, so a
    development server on http://localhost still logs in."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def _after(response: Response) -> Response:
    current_app.extensions[EXTENSION].add(response.status_code)
    seconds = current_app.config["HSTS_SECONDS"]
    if request.is_secure and seconds > 0:
        response.headers.setdefault("Strict-Transport-Security", f"max-age={seconds}")
    return response


def init_app(app: Flask) -> None:
    app.config.setdefault("METRICS_TOKEN", os.environ.get("LAWFLOW_METRICS_TOKEN") or "")
    app.config.setdefault("HSTS_SECONDS", int(os.environ.get("LAWFLOW_HSTS_SECONDS", HSTS_DEFAULT) or 0))
    app.extensions[EXTENSION] = RequestCounter()
    app.session_interface = SessionInterface()
    app.register_error_handler(OperationalError, database_unavailable)
    app.register_error_handler(InterfaceError, database_unavailable)
    app.after_request(_after)
    app.register_blueprint(bp)
