"""The administration blueprint, its access rule and what its pages share."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, request

from web.access import check_roles, may_open
from web.forms import Widget
from web.i18n import N_, current_lang
from web.runtime import runtime
from workflow.administration import ADMIN_ROLE, AdminError
from workflow.clock import Clock

bp = Blueprint("admin", __name__, url_prefix="/admin")
SECTIONS = (("admin.index", N_("概览")), ("admin.users", N_("用户")), ("admin.settings", N_("本单位设置")),
            ("admin.calendar", N_("节假日安排")), ("admin.definitions", N_("程序定义")), ("admin.tokens", N_("API令牌")))


@bp.before_request
def only_administrators() -> None:
    # Anonymous visitors never get here: the app sends them to the login page first (web/auth.py).
    check_roles(ADMIN_ROLE)


@bp.app_context_processor
def admin_navigation() -> dict[str, Any]:
    return {"can_administer": may_open(ADMIN_ROLE),
            "admin_sections": SECTIONS, "admin_section": _section(request.endpoint or "")}


def _section(endpoint: str) -> str:
    """The section a page belongs to, for the navigation (e.g. admin.user_roles -> admin.users)."""
    name = endpoint.removeprefix("admin.")
    for section in ("user", "new_user", "setting", "token"):
        if name.startswith(section) or name.endswith(section):
            return "admin.users" if "user" in section else f"admin.{section}s"
    return endpoint


def clock() -> Clock:
    """The app's clock, which an administrative change reads under its journal's lock."""
    return runtime().clock


def errors_of(exc: AdminError) -> dict[str, list[str]]:
    """The refusal's messages by form field, in the page language ("" for the change as a whole)."""
    return exc.by_field(current_lang())


def password_widget(w: Widget) -> Widget:
    """A generated text input shown as a password field, never refilled."""
    return replace(w, input_type="password", value="", attrs=(*w.attrs, ("autocomplete", "new-password")))


def form_text(form: Any, name: str) -> str:
    return (form.get(name) or "").replace("\r\n", "\n").strip()
