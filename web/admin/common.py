"""The administration blueprint, its access rule and what its pages share."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from web.forms import Widget
from web.i18n import N_, current_lang
from web.runtime import runtime
from workflow.administration import ADMIN_ROLE, AdminError
from workflow.models import User

bp = Blueprint("admin", __name__, url_prefix="/admin")
SECTIONS = (("admin.index", N_("概览")), ("admin.users", N_("用户")), ("admin.settings", N_("本单位设置")),
            ("admin.calendar", N_("节假日安排")), ("admin.definitions", N_("程序定义")), ("admin.tokens", N_("API令牌")))


@bp.before_request
def only_administrators() -> None:
    # Anonymous visitors never get here: the app sends them to the login page first (web/auth.py).
    if not current_user.has_any_role(ADMIN_ROLE):
        abort(403)


@bp.app_context_processor
def admin_navigation() -> dict[str, Any]:
    return {"can_administer": current_user.is_authenticated and current_user.has_any_role(ADMIN_ROLE),
            "admin_sections": SECTIONS, "admin_section": _section(request.endpoint or "")}


def _section(endpoint: str) -> str:
    """The section a page belongs to, for the navigation (e.g. admin.user_roles -> admin.users)."""
    name = endpoint.removeprefix("admin.")
    for section in ("user", "new_user", "setting", "token"):
        if name.startswith(section) or name.endswith(section):
            return "admin.users" if "user" in section else f"admin.{section}s"
    return endpoint


def now() -> datetime:
    return runtime().clock.now()


def errors_of(exc: AdminError) -> dict[str, list[str]]:
    """The refusal's messages by form field, in the page language ("" for the change as a whole)."""
    return exc.by_field(current_lang())


def people(session: Session) -> dict[str, str]:
    return dict(session.execute(select(User.username, User.display_name)
                                .where(User.org_id == current_user.org_id)).all())


def password_widget(w: Widget) -> Widget:
    """A generated text input shown as a password field, never refilled."""
    return replace(w, input_type="password", value="", attrs=(*w.attrs, ("autocomplete", "new-password")))


def form_text(form: Any, name: str) -> str:
    return (form.get(name) or "").replace("\r\n", "\n").strip()
