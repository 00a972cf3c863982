"""Logging in and out (Flask-Login against workflow.accounts.authenticate), and login-required by default.

Every endpoint needs a logged-in user except the ones in PUBLIC_ENDPOINTS: a new view is protected
without anyone remembering a decorator. The user is re-read from the database on each request, so a
disabled account or a changed role takes effect at once.
"""

from __future__ import annotations

from dataclasses import dataclass
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
from flask_login import LoginManager, current_user, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from web.api.paths import is_api_request
from web.i18n import N_, _, gettext
from web.i18n import SESSION_KEY as LANG_KEY
from web.runtime import runtime
from workflow import accounts
from workflow.models import User

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
# the public portal (web/portal.py): 行政执法公示, public consultations and published decisions
PUBLIC_ENDPOINTS = frozenset({"auth.login", "static", "portal.register", "portal.consultations",
                              "portal.consultation", "portal.comment", "portal.decisions"})


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

    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return str(self.id)

    def has_any_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    @classmethod
    def of(cls, user: User) -> WebUser:
        return cls(user.id, user.username, user.display_name, user.unit, user.org_id,
                   frozenset(user.role_names), user.active)


@login_manager.user_loader
def load_user(user_id: str) -> WebUser | None:
    if not user_id.isdigit():
        return None
    with runtime().sessions() as s:
        user = s.scalar(select(User).options(selectinload(User.roles)).where(User.id == int(user_id)))
        return WebUser.of(user) if user is not None and user.active else None


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


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("cases.index"))
    error = None
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        with runtime().sessions() as s:
            user = accounts.authenticate(s, username, password) if username and password else None
            web_user = WebUser.of(user) if user is not None else None
        if web_user is not None:
            lang = session.get(LANG_KEY)
            session.clear()  # a fresh session (and CSRF token) for the logged-in user: no fixation
            if lang:
                session[LANG_KEY] = lang
            login_user(web_user)
            current_app.logger.info("login %s", web_user.username)
            return redirect(_safe_next(request.args.get("next")) or url_for("cases.index"))
        current_app.logger.info("failed login for %r", username)
        error = N_("用户名或密码不正确，或账号已停用。")
    demo = _demo_accounts() if current_app.config.get("SHOW_DEMO_ACCOUNTS") else None
    return render_template("login.html", error=error, username=username, demo=demo)


@bp.post("/logout")
def logout() -> Response:
    lang = session.get(LANG_KEY)
    logout_user()
    session.clear()
    if lang:
        session[LANG_KEY] = lang
    flash(_("已退出登录。"), "info")
    return redirect(url_for("auth.login"))


def _demo_accounts() -> dict[str, object]:
    from workflow.demo import DEMO_PASSWORD, USERS

    return {"password": DEMO_PASSWORD, "users": USERS}


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = N_("请先登录。")
    login_manager.login_message_category = "info"
    login_manager.localize_callback = gettext
    login_manager.init_app(app)
    app.register_blueprint(bp)

    @app.before_request
    def require_login() -> Response | None:
        if request.endpoint in PUBLIC_ENDPOINTS or current_user.is_authenticated or is_api_request():
            return None  # the API authenticates its own requests (web/api/auth.py), and answers 401 in JSON
        return login_manager.unauthorized()
