"""Users: the list, a new user, and one user's page (roles, deactivate or reactivate, password, certificates).

Nobody is deleted (the audit trail names them): a user who leaves is deactivated and can no longer log in or
use an API token. An administrator cannot remove their own administrator role or deactivate themselves
(workflow/administration.py refuses it). The organisation's portal account (public.<org>) is shown read-only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from web.admin.common import bp, clock, errors_of, form_text, password_widget
from web.errors import PublicNotFound
from web.forms import Widget, widgets
from web.i18n import _, current_lang
from web.present import fmt_date
from web.runtime import runtime
from workflow import administration
from workflow.accounts import is_portal_account
from workflow.administration import AdminError
from workflow.definitions import Label
from workflow.models import EnforcementCertificate, User
from workflow.payloads import FieldSpec

CERTIFICATE_KINDS = (("enforcement", Label("执法证件", "Enforcement certificate")),
                     ("legal_qualification", Label("法律职业资格", "Legal professional qualification")))


def _new_user_fields() -> tuple[FieldSpec, ...]:
    return (
        FieldSpec("username", "string", Label("用户名", "User name"), required=True, max_length=64,
                  help=_("登录名：小写字母、数字或“_ . -”，创建后不能更改。")),
        FieldSpec("display_name", "string", Label("姓名", "Name"), required=True, max_length=100),
        FieldSpec("unit", "string", Label("单位", "Unit"), max_length=200),
        *_password_fields(),
    )


def _password_fields() -> tuple[FieldSpec, ...]:
    return (
        FieldSpec("password", "string", Label("密码", "Password"), required=True,
                  min_length=administration.PASSWORD_MIN, max_length=administration.PASSWORD_MAX,
                  help=_("至少{n}个字符，不能与用户名相同。", n=administration.PASSWORD_MIN)),
        FieldSpec("password_confirm", "string", Label("确认密码", "Confirm password"), required=True,
                  max_length=administration.PASSWORD_MAX),
    )


def _certificate_fields() -> tuple[FieldSpec, ...]:
    return (
        FieldSpec("kind", "choice", Label("证件类别", "Kind"), required=True, choices=CERTIFICATE_KINDS),
        FieldSpec("number", "string", Label("证件编号", "Number"), required=True, max_length=64),
        FieldSpec("field", "string", Label("执法领域", "Field"), max_length=100, help=_("执法证件必填。")),
        FieldSpec("issuer", "string", Label("发证机关", "Issuer"), required=True, max_length=200),
        FieldSpec("issued_on", "date", Label("发证日期", "Issued on"), help=_("不填则为今日。")),
        FieldSpec("valid_until", "date", Label("有效期至", "Valid until"), help=_("执法证件必填；法律职业资格不填。")),
    )


def _form_widgets(form_id: str, fields: tuple[FieldSpec, ...], values: Mapping[str, str],
                  errors: Mapping[str, list[str]]) -> list[Widget]:
    out = widgets(form_id, fields, values, errors)
    return [password_widget(w) if w.name.startswith("password") else w for w in out]


def _role_options(selected: set[str]) -> list[dict[str, Any]]:
    lang = current_lang()
    return [{"value": role, "label": label.get(lang), "checked": role in selected}
            for role, label in administration.assignable_roles(runtime().registry).items()]


def _own_user(session: Any, username: str) -> User:
    user = session.scalar(select(User).options(selectinload(User.roles))
                          .where(User.username == username, User.org_id == current_user.org_id))
    if user is None:
        raise PublicNotFound("本单位没有该用户。")
    return user


# ---------------------------------------------------------------- the list


@bp.get("/users")
def users() -> str:
    with runtime().sessions() as s:
        rows = s.scalars(select(User).options(selectinload(User.roles))
                         .where(User.org_id == current_user.org_id).order_by(User.username)).all()
        certificates: dict[str, list[EnforcementCertificate]] = {}
        for c in s.scalars(select(EnforcementCertificate).join(User, User.username == EnforcementCertificate.username)
                           .where(User.org_id == current_user.org_id).order_by(EnforcementCertificate.id)):
            certificates.setdefault(c.username, []).append(c)
        listing = [{"user": u, "roles": sorted(u.role_names), "portal": is_portal_account(u.username),
                    "certificates": certificates.get(u.username, [])} for u in rows]
    return render_template("admin/users.html", rows=listing)


# ---------------------------------------------------------------- a new user


@bp.route("/users/new", methods=["GET", "POST"])
def new_user() -> str | Response | tuple[str, int]:
    if request.method == "GET":
        return _new_user_page({}, {}, set())
    values = {name: form_text(request.form, name) for name in ("username", "display_name", "unit")}
    roles = set(request.form.getlist("roles"))
    data = {**values, "password": request.form.get("password", ""),
            "password_confirm": request.form.get("password_confirm", ""), "roles": sorted(roles)}
    try:
        username = administration.create_user(runtime().sessions, actor=current_user.username, data=data,
                                              registry=runtime().registry, now=clock())
    except AdminError as exc:
        return _new_user_page(values, errors_of(exc), roles), 422
    flash(_("已新建用户「{name}」。", name=username), "success")
    return redirect(url_for("admin.user", username=username))


def _new_user_page(values: Mapping[str, str], errors: Mapping[str, list[str]], roles: set[str]) -> str:
    return render_template("admin/user_new.html", widgets=_form_widgets("new-user", _new_user_fields(), values, errors),
                           roles=_role_options(roles), role_errors=errors.get("roles", []),
                           general=errors.get("", []))


# ---------------------------------------------------------------- one user


@bp.get("/users/<username>")
def user(username: str) -> str:
    return _user_page(username)


def _user_page(username: str, *, form: str = "", errors: Mapping[str, list[str]] | None = None,
               values: Mapping[str, str] | None = None, roles: set[str] | None = None) -> str:
    errors = errors or {}
    with runtime().sessions() as s:
        target = _own_user(s, username)
        certificates = s.scalars(select(EnforcementCertificate).where(EnforcementCertificate.username == username)
                                 .order_by(EnforcementCertificate.id)).all()
    mine = dict(errors)
    kinds = dict(CERTIFICATE_KINDS)
    return render_template(
        "admin/user.html", target=target, portal=is_portal_account(target.username),
        self_page=target.username == current_user.username, form=form,
        general=mine.get("", []), role_errors=mine.get("roles", []) if form == "roles" else [],
        roles=_role_options(roles if roles is not None else target.role_names),
        password_widgets=_form_widgets("password", _password_fields(), {}, mine if form == "password" else {}),
        certificate_widgets=_form_widgets("certificate", _certificate_fields(),
                                          values if form == "certificate" and values else {"kind": "enforcement"},
                                          mine if form == "certificate" else {}),
        certificates=[{"kind": kinds[c.kind].get(current_lang()) if c.kind in kinds else c.kind,
                       "number": c.number, "field": c.field, "issuer": c.issuer,
                       "issued_on": fmt_date(c.issued_on), "valid_until": fmt_date(c.valid_until),
                       "expired": c.valid_until is not None and c.valid_until < runtime().engine.today()}
                      for c in certificates],
    )


def _refused(username: str, form: str, exc: AdminError, **kept: Any) -> tuple[str, int]:
    return _user_page(username, form=form, errors=errors_of(exc), **kept), 422


@bp.post("/users/<username>/roles")
def user_roles(username: str) -> Response | tuple[str, int]:
    roles = set(request.form.getlist("roles"))
    try:
        changed = administration.set_roles(runtime().sessions, actor=current_user.username, username=username,
                                           roles=roles, registry=runtime().registry, now=clock())
    except AdminError as exc:
        _exists(username)
        return _refused(username, "roles", exc, roles=roles)
    flash(_("角色已更新。") if changed else _("角色没有变化。"), "success" if changed else "info")
    return redirect(url_for("admin.user", username=username))


@bp.post("/users/<username>/active")
def user_active(username: str) -> Response | tuple[str, int]:
    active = request.form.get("active") == "1"
    try:
        changed = administration.set_active(runtime().sessions, actor=current_user.username, username=username,
                                            active=active, now=clock())
    except AdminError as exc:
        _exists(username)
        return _refused(username, "active", exc)
    if changed:
        flash(_("账号已恢复，可以登录。") if active else _("账号已停用，不能再登录或使用API令牌。"), "success")
    return redirect(url_for("admin.user", username=username))


@bp.post("/users/<username>/password")
def user_password(username: str) -> Response | tuple[str, int]:
    data = {"password": request.form.get("password", ""), "password_confirm": request.form.get("password_confirm", "")}
    try:
        administration.reset_password(runtime().sessions, actor=current_user.username, username=username, data=data,
                                      now=clock())
    except AdminError as exc:
        _exists(username)
        return _refused(username, "password", exc)
    flash(_("密码已重置。请通过安全途径告知本人。"), "success")
    return redirect(url_for("admin.user", username=username))


@bp.post("/users/<username>/certificates")
def user_certificate(username: str) -> Response | tuple[str, int]:
    names = ("kind", "number", "field", "issuer", "issued_on", "valid_until")
    values = {name: form_text(request.form, name) for name in names}
    data: dict[str, Any] = {**values, "username": username}
    for day in ("issued_on", "valid_until"):
        data[day] = values[day] or None
    try:
        administration.add_certificate(runtime().sessions, actor=current_user.username, data=data, now=clock())
    except AdminError as exc:
        _exists(username)
        return _refused(username, "certificate", exc, values=values)
    flash(_("证件已登记。"), "success")
    return redirect(url_for("admin.user", username=username))


def _exists(username: str) -> None:
    """404 for a user outside the organisation, rather than a form about them."""
    with runtime().sessions() as s:
        _own_user(s, username)
