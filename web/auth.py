"""Logging in and out (Flask-Login against workflow.accounts.authenticate), and login-required by default.

Every endpoint needs a logged-in user except the ones in PUBLIC_ENDPOINTS: a new view is protected
without anyone remembering a decorator. The user is re-read from the database on each request, so a
disabled account or a changed role takes effect at once.

Sessions, as GB/T 22239-2019 8.1.4.1 asks (登录失败处理、结束会话、登录连接超时自动退出):
* repeated failed logins lock the account or the address for a while (web/login_throttle.py);
* logging in starts a new session (session.clear: no fixation, a new CSRF token); logging out is a POST with
  the CSRF token and clears the session; the cookie is HttpOnly and SameSite=Lax (Secure over HTTPS: web/ops.py);
* a session unused for SESSION_IDLE_MINUTES (LAWFLOW_SESSION_IDLE_MINUTES, default 30) is logged out: the time
  of the last request is kept in the signed session and checked on the next one.
* each login is also a row on the server (web/web_sessions.py, table web_session), named by a random token
  the signed cookie carries: logging out deletes the row, so a copy of the cookie taken before the logout is
  no login any more, while the user's other sessions (other browsers) go on.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, current_user, login_url, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from web import login_throttle, web_sessions
from web.api.paths import is_api_request
from web.i18n import N_, _, gettext
from web.i18n import SESSION_KEY as LANG_KEY
from web.present import fmt_datetime
from web.runtime import runtime
from workflow import accounts
from workflow.models import User

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
# the public portal (web/portal.py): 行政执法公示, public consultations and published decisions
PUBLIC_ENDPOINTS = frozenset({"auth.login", "static", "portal.index", "portal.register", "portal.consultations",
                              "portal.consultation", "portal.comment", "portal.decisions", "portal.consultation_file",
                              "ops.healthz", "ops.metrics",  # the operator's (web/ops.py; /metrics restricted)
                              "documents.verify", "documents.verify_copy",  # verifying an issued document
                              "normative.public_register",  # the register of normative documents
                              # a request for government information and its status by tracking code
                              "information_requests.new", "information_requests.submit",
                              "information_requests.status_form", "information_requests.status"})
SEEN_KEY = "_seen"  # when the logged-in session last made a request (Unix seconds, wall clock)
SID_KEY = "_sid"  # the token naming this login's row in web_session (web/web_sessions.py)


@dataclass(frozen=True)
class WebUser:
    """The logged-in person as the pages need them: a snapshot, not a live ORM object."""

    id: int
    username: str
    display_name: str
    unit: str
    org_id: str
    roles: frozenset[str]
    active: bool = True
    session_epoch: int = 0

    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        """What the session keeps: the id and the account's session epoch. A new password or a deactivation
        moves the epoch on, and every session made before it stops being a login (Flask-Login's
        "alternative token"), on every device: the session cookie itself cannot be recalled."""
        return f"{self.id}.{self.session_epoch}"

    def has_any_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    @classmethod
    def of(cls, user: User) -> WebUser:
        return cls(user.id, user.username, user.display_name, user.unit, user.org_id,
                   frozenset(user.role_names), user.active, user.session_epoch)


@login_manager.user_loader
def load_user(user_id: str) -> WebUser | None:
    """The session's user, if the account is active and its session epoch is the one the session was made
    in (see WebUser.get_id); otherwise nobody is logged in."""
    ident, _dot, epoch = user_id.partition(".")
    if not (ident.isdigit() and epoch.isdigit()):
        return None
    with runtime().sessions() as s:
        user = s.scalar(select(User).options(selectinload(User.roles)).where(User.id == int(ident)))
        if user is None or not user.active or user.session_epoch != int(epoch):
            return None
        web_user = WebUser.of(user)
    if not web_sessions.alive(runtime().sessions, session.get(SID_KEY), web_user.id, _idle_limit()):
        return None  # logged out (or idled out) on the server: this is a copy of an ended session's cookie
    return web_user


def _safe_next(target: str | None) -> str | None:
    """A same-site path to go back to after login, or None (never an open redirect)."""
    if not target:
        return None
    parts = urlsplit(target.replace("\\", "/"))
    if parts.scheme not in ("", "http", "https") or (parts.netloc and parts.netloc != request.host):
        return None
    if not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


FAILED = N_("用户名或密码不正确，或账号已停用。")  # the same for a wrong password, an unknown name, a disabled account


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int, dict[str, str]]:
    if current_user.is_authenticated:
        return redirect(url_for("todo.index"))
    error = None
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        if username and password:  # an empty form tries no password: nothing to count
            return _attempt(username, password)
        error = FAILED
    return _login_page(username, error)


def _attempt(username: str, password: str) -> str | Response | tuple[str, int, dict[str, str]]:
    """Check a password, within the login throttle (web/login_throttle.py): counted before the check, cleared
    on success; a locked account or address is refused without checking the password at all."""
    rt = runtime()
    secret = current_app.secret_key or ""
    account = login_throttle.account_key(secret, username)
    client = login_throttle.client_key(secret, request.remote_addr)
    admission = login_throttle.admit(rt.sessions, account, client, rt.clock.now())
    if admission.lock is not None:
        current_app.logger.info("login refused, %s locked (account %s, client %s)", admission.lock.limit.scope,
                                account[:12], client[:12])
        return _locked(username, admission.lock)
    with rt.sessions() as s:
        user = accounts.authenticate(s, username, password)
        web_user = WebUser.of(user) if user is not None else None
    if web_user is None:
        current_app.logger.info("failed login (account %s, client %s)", account[:12], client[:12])
        now = rt.clock.now()
        lock = login_throttle.current_lock(rt.sessions, account, client, now)
        if lock is None:
            return _login_page(username, FAILED)
        current_app.logger.warning("login locked: %s (account %s, client %s) until %s", lock.limit.scope,
                                   account[:12], client[:12], lock.until.isoformat())
        if admission.locks_account:  # this failure locked the account: once into the audit trail
            login_throttle.record_account_lock(rt.sessions, username, lock, rt.clock)
        return _locked(username, lock)
    login_throttle.succeeded(rt.sessions, account)
    lang = session.get(LANG_KEY)
    session.clear()  # a fresh session (and CSRF token) for the logged-in user: no fixation
    if lang:
        session[LANG_KEY] = lang
    login_user(web_user)
    session[SID_KEY] = web_sessions.start(rt.sessions, web_user.id, _idle_limit())
    session[SEEN_KEY] = _now_seconds()
    current_app.logger.info("login %s", web_user.username)
    return redirect(_safe_next(request.args.get("next")) or url_for("todo.index"))


def _locked(username: str, lock: login_throttle.Lock) -> tuple[str, int, dict[str, str]]:
    """429: when to try again, the same for every user name, existing or not."""
    minutes = int(lock.limit.window.total_seconds() // 60)
    params = {"minutes": minutes, "n": lock.limit.failures, "time": fmt_datetime(lock.until)}
    if lock.limit is login_throttle.ACCOUNT:
        message = _("该账号{minutes}分钟内登录失败已达{n}次，暂停登录。请于{time}（北京时间）后再试；如忘记密码，请联系系统管理员。", **params)
    else:
        message = _("本网络{minutes}分钟内登录失败已达{n}次，暂停登录。请于{time}（北京时间）后再试。", **params)
    retry = lock.retry_after(runtime().clock.now())
    return _login_page(username, message), 429, {"Retry-After": str(retry)}


def _login_page(username: str, error: str | None) -> str:
    demo = _demo_accounts() if current_app.config.get("SHOW_DEMO_ACCOUNTS") else None
    return render_template("login.html", error=error, username=username, demo=demo)


@bp.post("/logout")
def logout() -> Response:
    lang = session.get(LANG_KEY)
    web_sessions.end(runtime().sessions, session.get(SID_KEY))
    logout_user()
    session.clear()
    if lang:
        session[LANG_KEY] = lang
    flash(_("已退出登录。"), "info")
    return redirect(url_for("auth.login"))


def _demo_accounts() -> dict[str, object]:
    from workflow.demo import DEMO_PASSWORD, USERS

    return {"password": DEMO_PASSWORD, "users": USERS}


def _now_seconds() -> int:
    """Wall-clock time: idleness is a person's, not the engine's (legal) clock, which tests move by days."""
    return int(time.time())


def _idle_limit() -> timedelta:
    return timedelta(minutes=int(current_app.config["SESSION_IDLE_MINUTES"]))


def end_idle_session() -> Response | None:
    """Log out a session that made no request for SESSION_IDLE_MINUTES (or carries no time: made before this
    check existed); a page asked for then goes to the login page, and back after logging in again."""
    if request.endpoint == "static" or "_user_id" not in session:
        return None
    now = _now_seconds()
    seen = session.get(SEEN_KEY)
    minutes = int(current_app.config["SESSION_IDLE_MINUTES"])
    if isinstance(seen, int) and 0 <= now - seen <= minutes * 60:
        session[SEEN_KEY] = now
        return None
    web_sessions.end(runtime().sessions, session.pop(SID_KEY, None))
    logout_user()  # the language and the CSRF token stay: a public form in another tab still works
    session.pop(SEEN_KEY, None)
    if is_api_request() or request.endpoint in PUBLIC_ENDPOINTS:
        return None
    flash(_("超过{minutes}分钟未操作，已自动退出登录。请重新登录。", minutes=minutes), "info")
    return redirect(login_url("auth.login", next_url=request.full_path.rstrip("?")))


def init_app(app: Flask) -> None:
    app.config.setdefault("SESSION_IDLE_MINUTES", int(os.environ.get("LAWFLOW_SESSION_IDLE_MINUTES", "30") or 30))
    login_manager.login_view = "auth.login"
    login_manager.login_message = N_("请先登录。")
    login_manager.login_message_category = "info"
    login_manager.localize_callback = gettext
    login_manager.init_app(app)
    app.register_blueprint(bp)
    app.before_request(end_idle_session)

    @app.before_request
    def require_login() -> Response | None:
        if request.endpoint in PUBLIC_ENDPOINTS or current_user.is_authenticated or is_api_request():
            return None  # the API authenticates its own requests (web/api/auth.py), and answers 401 in JSON
        return login_manager.unauthorized()
