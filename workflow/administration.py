"""Administration: users and roles, organisation settings, the holiday calendar, certificates, API tokens.

Each change is made by an administrator (role `admin`) and only within their own organisation, and it is
recorded in the SAME transaction as an `admin` event of the organisation's administration journal
`ADM-<org>`: a hash chain like a case's (workflow/audit/trail.py), so `lawflow audit verify`, the export
and its offline verifier check it with everything else, the checkpoints anchor it, and the audit explorer
lists it (case ADM-<org>). The journal row is locked first, so an organisation's administrative changes are
serialised and each event's "old" value is the one it replaced. Nothing is deleted: a user who leaves is
deactivated, because the audit trail names them. No password or password hash is ever recorded.

The web pages (web/admin/) and the command line (workflow/cli.py) both call these functions. A refusal is an
AdminError whose problems each name the input they concern ("" for the change as a whole), in Chinese and
English; nothing has changed then.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from workflow import accounts, org_tree
from workflow import tokens as api_tokens
from workflow.audit.canonical import canonical_bytes
from workflow.audit.journal import Moment, lock_journal, read_time, record_journal_event
from workflow.calendar import CalendarDataError, YearData, default_calendar, read_year_notice
from workflow.clock import local_date
from workflow.db import writing
from workflow.definitions import Label, Registry
from workflow.models import (
    ApiToken,
    AuditJournal,
    HolidayYear,
    Organization,
    OrgSetting,
    RoleAssignment,
    User,
    admin_journal_id,
)
from workflow.payloads import MESSAGES_ZH
from workflow.settings import (
    AMOUNTS_BY_PARTY,
    BY_KEY,
    PARTY_TYPES,
    POWER_FIELDS,
    SettingValueError,
    validate_value,
)

ADMIN_ROLE = "admin"
ADMIN_LABEL = Label("系统管理员", "Administrator")
PROCEDURE = "admin@1"  # the `procedure` of administration events: no definition file, a fixed id@version
KIND = "admin"
PASSWORD_MIN = 10
PASSWORD_MAX = 200
USERNAME = re.compile(r"[a-z0-9][a-z0-9_.-]{1,63}")
SOURCE_MAX = 2000

# The actions, as the `trigger` of their events.
ACTIONS: Mapping[str, Label] = {
    "user_created": Label("新建用户", "User created"),
    "roles_changed": Label("变更角色", "Roles changed"),
    "user_deactivated": Label("停用账号", "Account deactivated"),
    "user_reactivated": Label("恢复账号", "Account reactivated"),
    "password_reset": Label("重置密码", "Password reset"),
    "setting_changed": Label("变更本单位设置", "Organisation setting changed"),
    "holiday_year_added": Label("新增节假日安排年度", "Holiday year added"),
    "certificate_added": Label("登记证件", "Certificate recorded"),
    "token_created": Label("签发API令牌", "API token issued"),
    "token_revoked": Label("撤销API令牌", "API token revoked"),
    "webhook_created": Label("新建事件推送订阅", "Webhook created"),  # workflow/webhooks.py
    "webhook_secret_added": Label("更换事件推送密钥", "Webhook secret added"),
    "webhook_deleted": Label("删除事件推送订阅", "Webhook deleted"),
    "organisation_created": Label("新建单位", "Organisation created"),  # by the operator: add_organisation
    "organisation_moved": Label("变更上级单位", "Organisation moved"),  # by the operator: move_organisation
}


# ---------------------------------------------------------------- refusals


@dataclass(frozen=True)
class Problem:
    field: str  # the input it concerns; "" for the change as a whole
    zh: str
    en: str

    def text(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh


class AdminError(ValueError):
    """A refused administrative change; nothing was written."""

    def __init__(self, *problems: Problem):
        self.problems = problems
        super().__init__("；".join(f"{p.zh} / {p.en}" for p in problems))

    @classmethod
    def of(cls, field: str, message: str) -> AdminError:
        """From a "中文 / English" message (workflow.accounts, workflow.tokens)."""
        zh, _sep, en = message.partition(" / ")
        return cls(Problem(field, zh, en or zh))

    def by_field(self, lang: str = "zh") -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for p in self.problems:
            out.setdefault(p.field, []).append(p.text(lang))
        return out


def _both(zh: str, en: str) -> str:
    return f"{zh} / {en}"


def _problems(schema: Schema, messages: Mapping[str, Any]) -> list[Problem]:
    out = []
    for name, found in messages.items():
        field = schema.fields.get(name)
        label = field.metadata.get("label") if field is not None else None
        items = found if isinstance(found, list) else [found]
        for message in items:
            if isinstance(message, dict):  # nested (a list item): its messages, flattened
                message = "；".join(str(m) for sub in message.values() for m in (sub if isinstance(sub, list) else [sub]))
            zh, _sep, en = str(message).partition(" / ")
            if not en:
                zh, en = MESSAGES_ZH.get(zh, zh), zh
            if label is not None:
                zh, en = f"「{label.zh}」：{zh}", f"{label.en}: {en}"
            out.append(Problem("" if name == "_schema" else name, zh, en))
    return out


def _load(schema: Schema, data: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return schema.load(dict(data))
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        raise AdminError(*_problems(schema, messages)) from None


# ---------------------------------------------------------------- input schemas (marshmallow)


def _blank_refused(text: str) -> bool:
    if not text.strip():
        raise ValidationError(_both("不能为空", "must not be blank"))
    return True


def _text(zh: str, en: str, maximum: int, required: bool = True) -> fields.String:
    checks: list[Any] = [validate.Length(max=maximum, error=_both(f"不能超过{maximum}个字符",
                                                                 f"at most {maximum} characters"))]
    if required:
        return fields.String(required=True, validate=[_blank_refused, *checks], metadata={"label": Label(zh, en)})
    return fields.String(load_default="", validate=checks, metadata={"label": Label(zh, en)})


def _password_field() -> fields.String:
    return fields.String(required=True, metadata={"label": Label("密码", "Password")}, validate=validate.Length(
        min=PASSWORD_MIN, max=PASSWORD_MAX,
        error=_both(f"密码至少{PASSWORD_MIN}个字符", f"the password needs at least {PASSWORD_MIN} characters")))


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class _PasswordSchema(_Strict):
    password = _password_field()
    password_confirm = fields.String(load_default=None, metadata={"label": Label("确认密码", "Confirm password")})

    @validates_schema
    def _same(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("password_confirm") is not None and data["password_confirm"] != data.get("password"):
            raise ValidationError(_both("两次输入的密码不一致", "the two passwords differ"), "password_confirm")


def _username(label: Label) -> fields.String:
    return fields.String(required=True, metadata={"label": label}, validate=validate.Regexp(USERNAME, error=_both(
        "应为2到64个小写字母、数字或“_ . -”，以字母或数字开头",
        "2–64 lower-case letters, digits or _ . -, starting with a letter or digit")))


class _NewUserSchema(_PasswordSchema):
    username = _username(Label("用户名", "User name"))
    display_name = _text("姓名", "Name", 100)
    unit = _text("单位", "Unit", 200, required=False)
    roles = fields.List(fields.String(), load_default=list, metadata={"label": Label("角色", "Roles")})

    @validates_schema
    def _not_the_name(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("password") and data.get("password") == data.get("username"):
            raise ValidationError(_both("密码不能与用户名相同", "the password must differ from the user name"),
                                  "password")


class _SourceSchema(_Strict):
    source = _text("依据来源", "Source", SOURCE_MAX)


def _day(zh: str, en: str, required: bool) -> fields.Date:
    if required:
        return fields.Date(required=True, metadata={"label": Label(zh, en)})
    return fields.Date(load_default=None, allow_none=True, metadata={"label": Label(zh, en)})


class _CertificateSchema(_Strict):
    username = fields.String(required=True, metadata={"label": Label("持证人", "Holder")})
    kind = fields.String(load_default="enforcement", metadata={"label": Label("证件类别", "Kind")},
                         validate=validate.OneOf(accounts.CERTIFICATE_KINDS, error=_both(
                             "应为执法证件或法律职业资格", "must be enforcement or legal_qualification")))
    number = _text("证件编号", "Number", 64)
    issuer = _text("发证机关", "Issuer", 200)
    field = _text("执法领域", "Field", 100, required=False)
    issued_on = _day("发证日期", "Issued on", required=False)
    valid_until = _day("有效期至", "Valid until", required=False)


class _YearSchema(_Strict):
    year = fields.Integer(required=True, strict=False, metadata={"label": Label("年度", "Year")},
                          validate=validate.Range(min=1949, max=2200, error=_both("年度应在1949～2200之间",
                                                                                 "the year must be 1949–2200")))
    source = _text("依据来源", "Source", SOURCE_MAX)
    notice = _text("节假日安排", "Holiday notice", 50_000)


class _TokenSchema(_Strict):
    username = fields.String(required=True, metadata={"label": Label("令牌代表的用户", "Acts as")})
    name = _text("令牌名称", "Token name", api_tokens.NAME_MAX)
    read_only = fields.Boolean(load_default=False, metadata={"label": Label("只读", "Read only")})
    procedures = fields.List(fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,63}$")), load_default=None,
                             allow_none=True, metadata={"label": Label("限于程序", "Procedures")})
    acts_for_users = fields.Boolean(load_default=False, metadata={
        "label": Label("可代本单位用户办理（对接系统服务账号）", "May act for the organisation's users (service account)")})


# ---------------------------------------------------------------- who acts, on whom, and the journal


def assignable_roles(registry: Registry) -> dict[str, Label]:
    """The roles an administrator can give: those the loaded definitions declare, and `admin`; never the
    portal's role, which only the organisation's portal account holds."""
    roles: dict[str, Label] = {}
    for procedure in registry.latest():
        for role, label in procedure.roles.items():
            roles.setdefault(role, label)
    roles.pop(accounts.PORTAL_ROLE, None)
    roles.pop(accounts.SYSTEM_ROLE, None)  # only the system account takes system steps (workflow/timers/)
    roles[ADMIN_ROLE] = ADMIN_LABEL
    return roles


def _administrator(session: Session, actor: str) -> User:
    user = session.scalar(select(User).options(selectinload(User.roles)).where(User.username == actor))
    if user is None or not user.active or ADMIN_ROLE not in user.role_names:
        raise AdminError.of("", f"「{actor}」不是系统管理员 / {actor!r} is not an administrator")
    return user


def _journal_id(org_id: str) -> str:
    """The organisation's administration journal (created on first use by workflow.audit.journal)."""
    jid = admin_journal_id(org_id)
    if len(jid) > AuditJournal.__table__.c.id.type.length:
        raise AdminError.of("", f"单位编号「{org_id}」过长，无法建立管理日志 / organisation id too long for its journal")
    return jid


@dataclass
class _Unit:
    """One administrative change in progress: the administrator, their locked journal, the session, and the
    moment of the change (read under the journal's lock: the rows it writes and its event carry it)."""

    session: Session
    admin: User
    journal_id: str
    now: datetime

    def record(self, action: str, payload: dict[str, Any]) -> None:
        record_journal_event(self.session, self.journal_id, when=self.now, kind=KIND, procedure=PROCEDURE,
                             trigger=action, actor=self.admin.username, role=ADMIN_ROLE, payload=payload)

    def user(self, username: str, field: str = "username") -> User:
        """A user of the administrator's own organisation (anyone else is "not found": no existence leak)."""
        user = self.session.scalar(select(User).options(selectinload(User.roles))
                                   .where(User.username == username, User.org_id == self.admin.org_id))
        if user is None:
            raise AdminError.of(field, f"本单位用户「{username}」不存在 / user {username!r} does not exist in this organisation")
        return user

    def editable(self, username: str) -> User:
        user = self.user(username)
        if accounts.is_portal_account(user.username) or accounts.is_system_account(user.username):
            raise AdminError.of("", "公开征求意见平台账号由系统维护，不能修改 / the portal account is maintained by "
                                    "the system and cannot be changed")
        return user


@contextmanager
def _begin(sessions: sessionmaker[Session], actor: str, now: Moment) -> Iterator[_Unit]:
    """One transaction (workflow.db.writing): check the administrator, lock their journal, read the time
    under that lock (`now`: the clock, or a moment given by the caller), make the change."""
    with writing(sessions) as session:
        admin = _administrator(session, actor)
        journal = lock_journal(session, _journal_id(admin.org_id), create=True)
        yield _Unit(session, admin, journal.id, read_time(now))


def _account_error(exc: accounts.AccountError | ValueError) -> AdminError:
    return AdminError.of(getattr(exc, "field", ""), str(exc))


# ---------------------------------------------------------------- users and roles


def _checked_roles(roles: Iterable[str], registry: Registry) -> list[str]:
    known = assignable_roles(registry)
    wanted = sorted(set(roles))
    unknown = [r for r in wanted if r not in known]
    if unknown:
        raise AdminError.of("roles", f"未知的角色：{'、'.join(unknown)} / unknown roles: {', '.join(unknown)}")
    return wanted


def create_user(sessions: sessionmaker[Session], *, actor: str, data: Mapping[str, Any], registry: Registry,
                now: Moment) -> str:
    """A new active user of the administrator's organisation, with a password (≥10 characters, hashed)."""
    values = _load(_NewUserSchema(), data)
    roles = _checked_roles(values["roles"], registry)
    with _begin(sessions, actor, now) as unit:
        try:
            user = accounts.create_user(unit.session, username=values["username"],
                                        display_name=values["display_name"].strip(), org_id=unit.admin.org_id,
                                        roles=roles, unit=values["unit"].strip(), password=values["password"])
        except accounts.AccountError as exc:
            raise _account_error(exc) from None
        unit.session.flush()
        unit.record("user_created", {"username": user.username, "display_name": user.display_name,
                                     "unit": user.unit, "roles": roles})
        return user.username


def set_roles(sessions: sessionmaker[Session], *, actor: str, username: str, roles: Iterable[str],
              registry: Registry, now: Moment) -> bool:
    """Give the user exactly `roles`; False if they already had them (nothing recorded).

    An administrator cannot remove their own `admin` role: the organisation would lose the one person making
    this change, and with them possibly its last administrator."""
    wanted = _checked_roles(roles, registry)
    with _begin(sessions, actor, now) as unit:
        user = unit.editable(username)
        old = sorted(user.role_names)
        if user.id == unit.admin.id and ADMIN_ROLE not in wanted:
            raise AdminError.of("roles", "不能取消自己的系统管理员角色 / you cannot remove your own administrator role")
        if old == wanted:
            return False
        user.roles = [r for r in user.roles if r.role in wanted]
        user.roles.extend(RoleAssignment(role=r) for r in wanted if r not in old)
        unit.record("roles_changed", {"username": user.username, "old": old, "new": wanted})
        return True


def set_active(sessions: sessionmaker[Session], *, actor: str, username: str, active: bool,
               now: Moment) -> bool:
    """Deactivate (the account can no longer log in or use its API tokens) or reactivate a user; never a
    deletion. False if the account was already so. An administrator cannot deactivate themselves."""
    with _begin(sessions, actor, now) as unit:
        user = unit.editable(username)
        if not active and user.id == unit.admin.id:
            raise AdminError.of("", "不能停用自己的账号 / you cannot deactivate your own account")
        if user.active == active:
            return False
        user.active = active
        if not active:  # and stays logged out once reactivated: a new login is needed
            accounts.end_sessions(user)
        unit.record("user_reactivated" if active else "user_deactivated", {"username": user.username})
        return True


def reset_password(sessions: sessionmaker[Session], *, actor: str, username: str, data: Mapping[str, Any],
                   now: Moment) -> None:
    """Set a new password (≥10 characters); the event names the account, never the password or its hash."""
    values = _load(_PasswordSchema(), data)
    with _begin(sessions, actor, now) as unit:
        user = unit.editable(username)
        if values["password"] == user.username:
            raise AdminError.of("password", "密码不能与用户名相同 / the password must differ from the user name")
        try:
            accounts.set_password(user, values["password"])
        except accounts.AccountError as exc:
            raise _account_error(exc) from None
        unit.record("password_reset", {"username": user.username})


# ---------------------------------------------------------------- certificates


def add_certificate(sessions: sessionmaker[Session], *, actor: str, data: Mapping[str, Any],
                    now: Moment) -> None:
    """Record an enforcement certificate or a legal qualification of a user of the organisation
    (workflow.accounts.add_certificate checks it); the issue date defaults to today (Beijing)."""
    values = _load(_CertificateSchema(), data)
    with _begin(sessions, actor, now) as unit:
        issued_on: date = values["issued_on"] or local_date(unit.now)
        user = unit.editable(values["username"])
        try:
            accounts.add_certificate(unit.session, username=user.username, number=values["number"].strip(),
                                     issuer=values["issuer"].strip(), kind=values["kind"], field=values["field"],
                                     issued_on=issued_on, valid_until=values["valid_until"])
        except accounts.AccountError as exc:
            raise _account_error(exc) from None
        unit.record("certificate_added", {
            "username": user.username, "kind": values["kind"], "number": values["number"].strip(),
            "field": values["field"].strip(), "issuer": values["issuer"].strip(),
            "issued_on": issued_on.isoformat(),
            "valid_until": values["valid_until"].isoformat() if values["valid_until"] else None})


# ---------------------------------------------------------------- organisation settings


def _value_problems(spec_type: str, error: SettingValueError) -> list[Problem]:
    """Problems inside a value, on the form's inputs: amounts each on their own, everything else on "value"."""
    out = []
    for p in error.problems:
        field, zh, en = "value", p.zh, p.en
        if spec_type == AMOUNTS_BY_PARTY and p.path and isinstance(p.path[0], str):
            field = p.path[0]
            party = PARTY_TYPES.get(field)
            if party is not None:
                zh, en = f"「{party.zh}」：{zh}", f"{party.en}: {en}"
        elif p.path and isinstance(p.path[0], int):
            n = p.path[0] + 1
            part = POWER_FIELDS.get(str(p.path[1])) if len(p.path) > 1 else None
            zh = f"第{n}项「{part.zh}」：{zh}" if part else f"第{n}项：{zh}"
            en = f"item {n}, {part.en}: {en}" if part else f"item {n}: {en}"
        out.append(Problem(field, zh, en))
    return out


def change_setting(sessions: sessionmaker[Session], *, actor: str, key: str, value: Any, source: str,
                   registry: Registry, now: Moment) -> bool:
    """Set an organisation setting from the catalogue (workflow/settings.py) WITH the document that sets it.

    The value is validated against the setting's type; the event records the old value and source and the
    new ones. False (nothing recorded) if both value and source are unchanged."""
    spec = BY_KEY.get(key)
    if spec is None:
        raise AdminError.of("key", f"未知的设置项「{key}」 / unknown setting {key!r}")
    problems: list[Problem] = []
    try:
        source = _load(_SourceSchema(), {"source": source})["source"].strip()
    except AdminError as exc:
        problems.extend(exc.problems)
    try:
        value = validate_value(spec, value, registry)
    except SettingValueError as exc:
        problems.extend(_value_problems(spec.type, exc))
    if problems:
        raise AdminError(*problems)
    with _begin(sessions, actor, now) as unit:
        row = unit.session.get(OrgSetting, (unit.admin.org_id, key))
        old = None if row is None else {"value": (row.value or {}).get("value"), "source": row.source}
        if old == {"value": value, "source": source}:
            return False
        accounts.set_setting(unit.session, org_id=unit.admin.org_id, key=key, value=value, source=source,
                             by=unit.admin.username, now=unit.now)
        new = {"value": value, "source": source}
        if spec.secret:  # a credential: the journal (read and exported by auditors) keeps its hash, not the value
            old, new = _hashed_value(old), _hashed_value(new)
        unit.record("setting_changed", {"key": key, "old": old, "new": new})
        return True


def _hashed_value(recorded: dict[str, Any] | None) -> dict[str, Any] | None:
    """A setting's recorded value replaced by the SHA-256 of its canonical JSON: a later value can be checked
    against the journal without the journal holding the credential."""
    if recorded is None:
        return None
    digest = hashlib.sha256(canonical_bytes({"value": recorded["value"]})).hexdigest()
    return {"value_sha256": digest, "source": recorded["source"]}


# ---------------------------------------------------------------- the holiday calendar


_CALENDAR_ZH: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(\S+) is outside its year (\d+)"), r"\1不在\2年内"),
    (re.compile(r"(\S+) is a (\w+): a make-up working day .*"), r"\1是周一至周五（\2），调休上班日应为周六或周日"),
    (re.compile(r"(\S+) is listed twice in (\w+) \(also at (.+)\)"), r"\1在\2中重复列出（另见\3）"),
    (re.compile(r"(\S+) is both a holiday and a make-up working day \((.+)\)"), r"\1既列为假日又列为调休上班日（\2）"),
    (re.compile(r"no holidays listed.*"), "没有列出任何假日（每年的通知都列有假日）"),
    (re.compile(r"must not be blank"), "不能为空"),
    (re.compile(r"Unknown field\."), "未知的字段（只能有 source、holidays、workdays）"),
    (re.compile(r"expected a date without a time.*"), "应为日期（YYYY-MM-DD），不含时间"),
    (re.compile(r"expected a mapping.*"), "应为包含 holidays 和 workdays 的 YAML 映射"),
    (re.compile(r"invalid YAML: (.*)"), r"YAML 格式有误：\1"),
]


def _calendar_zh(reason: str) -> str:
    if reason in MESSAGES_ZH:
        return MESSAGES_ZH[reason]
    for pattern, zh in _CALENDAR_ZH:
        if pattern.fullmatch(reason):
            return pattern.sub(zh, reason)
    return reason


def _notice_problems(error: CalendarDataError) -> list[Problem]:
    out = []
    for p in error.problems:
        where_zh = "".join([f"第{p.line}行" if p.line else "", f"（{p.path}）" if p.path else ""])
        where_en = ", ".join(x for x in (f"line {p.line}" if p.line else "", p.path) if x)
        out.append(Problem("notice", f"{where_zh}：{_calendar_zh(p.reason)}" if where_zh else _calendar_zh(p.reason),
                           f"{where_en}: {p.reason}" if where_en else p.reason))
    return out


def add_holiday_year(sessions: sessionmaker[Session], *, actor: str, year: Any, notice: str, source: str,
                     now: Moment, origin: str = "") -> YearData:
    """Add a year of the State Council holiday notice beyond the shipped data (2004–2026).

    `notice` is the YAML (or JSON) text `lawflow calendar add-year` reads from its file: ``holidays`` (a list
    of {date, name}) and ``workdays`` (the make-up working days, possibly empty). The year serves every
    organisation (the calendar is national); the event goes to the acting administrator's journal. Engines
    pick it up with Engine.reload_calendar()."""
    values = _load(_YearSchema(), {"year": year, "source": source, "notice": notice})
    year, source = values["year"], values["source"].strip()
    if default_calendar().covers(year):
        raise AdminError.of("year", f"{year}年的节假日安排已随系统提供，不能另行添加 / "
                                    f"{year} is in the shipped calendar data and cannot be added again")
    try:
        data, mapping = read_year_notice(year, values["notice"], source, origin or f"notice for {year}")
    except CalendarDataError as exc:
        raise AdminError(*_notice_problems(exc)) from None
    with _begin(sessions, actor, now) as unit:
        if unit.session.get(HolidayYear, year) is not None:
            raise AdminError.of("year", f"{year}年的节假日安排已存在 / year {year} already exists")
        unit.session.add(HolidayYear(year=year, data=mapping, source=source, added_by=unit.admin.username,
                                     added_at=unit.now))
        unit.record("holiday_year_added", {"year": year, "source": source, "notice": mapping})
    return data


# ---------------------------------------------------------------- API tokens


def create_token(sessions: sessionmaker[Session], *, actor: str, username: str, name: str,
                 now: Moment, read_only: bool = False, procedures: list[str] | None = None,
                 acts_for_users: bool = False, known_procedures: Collection[str] | None = None) -> tuple[int, str]:
    """A token acting as a user of the organisation; returns (id, token). Only its SHA-256 is stored, and
    the event records neither: the token is shown this once. `read_only`, `procedures` (each one of
    `known_procedures` when given) and `acts_for_users` (an integration's service account: it acts on behalf of
    the organisation's users, each request naming one) limit or widen what it may do; the event records them."""
    values = _load(_TokenSchema(), {"username": username, "name": name, "read_only": read_only,
                                    "procedures": procedures, "acts_for_users": acts_for_users})
    unknown = sorted(set(values["procedures"] or ()) - set(known_procedures)) if known_procedures is not None else []
    if unknown:
        raise AdminError.of("procedures", f"没有这些程序：{'、'.join(unknown)} / no such procedures: {', '.join(unknown)}")
    with _begin(sessions, actor, now) as unit:
        user = unit.user(values["username"])
        try:
            row, token = api_tokens.create(unit.session, username=user.username, name=values["name"],
                                           by=unit.admin.username, now=unit.now, read_only=values["read_only"],
                                           procedures=values["procedures"], acts_for_users=values["acts_for_users"])
        except ValueError as exc:
            raise _account_error(exc) from None
        unit.record("token_created", {"token_id": row.id, "username": user.username, "name": row.name,
                                      **({"read_only": True} if row.read_only else {}),
                                      **({"procedures": row.procedures} if row.procedures else {}),
                                      **({"acts_for_users": True} if row.acts_for_users else {})})
        return row.id, token


def revoke_token(sessions: sessionmaker[Session], *, actor: str, token_id: int, now: Moment) -> None:
    with _begin(sessions, actor, now) as unit:
        row = unit.session.scalar(select(ApiToken).options(selectinload(ApiToken.user)).where(
            ApiToken.id == token_id))
        if row is None or row.user.org_id != unit.admin.org_id:
            raise AdminError.of("", f"没有编号为 {token_id} 的令牌 / no token with id {token_id}")
        try:
            api_tokens.revoke(unit.session, token_id, unit.now)
        except ValueError as exc:
            raise _account_error(exc) from None
        unit.record("token_revoked", {"token_id": row.id, "username": row.user.username, "name": row.name})


# ---------------------------------------------------------------- organisations

ORG_CODE = re.compile(r"[a-z][a-z0-9_-]{1,35}")  # ADM-<code> must fit audit_journal.id (40 characters)
OPERATOR_ROLE = "operator"  # the console's: whoever runs `lawflow org add` with the instance's database access


class _OrgSchema(_Strict):
    code = fields.String(required=True, metadata={"label": Label("单位编号", "Organisation code")},
                         validate=validate.Regexp(ORG_CODE, error=_both(
                             "应为2到36个小写字母、数字或“_ -”，以字母开头",
                             "2–36 lower-case letters, digits, _ or -, starting with a letter")))
    name = _text("单位名称", "Name", 200)
    name_en = _text("英文名称", "English name", 200, required=False)
    parent = fields.String(load_default=None, allow_none=True, metadata={"label": Label("上级单位", "Parent")})
    kind = fields.String(load_default="town", metadata={"label": Label("单位类型", "Kind")},
                         validate=validate.OneOf(tuple(org_tree.KINDS), error=_both(
                             "应为：" + "、".join(org_tree.KINDS), "one of: " + ", ".join(org_tree.KINDS))))
    admin_username = _username(Label("管理员用户名", "Administrator"))
    admin_name = _text("管理员姓名", "Administrator's name", 100)
    password = _password_field()


def add_organisation(sessions: sessionmaker[Session], *, data: Mapping[str, Any], operator: str,
                     now: Moment) -> str:
    """A new organisation with what every organisation needs: its row (under its supervising organisation, if
    any), its public portal account (`public.<code>`, accounts.ensure_org) and its first administrator (role
    `admin`, the password given), who then adds the people and the settings on /admin. Recorded as the first
    event of the new organisation's journal ADM-<code>, by the operator at the console (actor
    `console:<OS user>`, role `operator`): on a new instance there is no administrator yet to act, and whoever
    runs the command already holds the database's credentials. No password is recorded."""
    values = _load(_OrgSchema(), data)
    code, parent = values["code"], (values["parent"] or None)
    name_zh, name_en = values["name"].strip(), (values["name_en"] or "").strip() or values["name"].strip()
    if values["password"] == values["admin_username"]:
        raise AdminError.of("password", "密码不能与用户名相同 / the password must differ from the user name")
    with writing(sessions) as session:
        if session.get(Organization, code) is not None:
            raise AdminError.of("code", f"单位「{code}」已存在 / organisation {code!r} already exists")
        if parent is not None and session.get(Organization, parent) is None:
            raise AdminError.of("parent", f"上级单位「{parent}」不存在 / parent organisation {parent!r} does not exist")
        org = accounts.ensure_org(session, code, name_zh, name_en)
        org.parent_id, org.kind = parent, values["kind"]
        try:
            admin = accounts.create_user(session, username=values["admin_username"],
                                         display_name=values["admin_name"].strip(), org_id=code,
                                         roles=[ADMIN_ROLE], password=values["password"])
        except accounts.AccountError as exc:
            raise AdminError.of("admin_username" if exc.field == "username" else exc.field, str(exc)) from None
        session.flush()
        record_journal_event(session, _journal_id(code), when=now, create=True, kind=KIND, procedure=PROCEDURE,
                             trigger="organisation_created", actor=operator, role=OPERATOR_ROLE, payload={
                                 "org_id": code, "name_zh": name_zh, "name_en": name_en, "parent": parent,
                                 "kind": values["kind"],
                                 "admin": admin.username, "portal_account": accounts.portal_username(code)})
    return code


def move_organisation(sessions: sessionmaker[Session], *, code: str, parent: str | None, operator: str,
                      now: Moment) -> bool:
    """Put organisation `code` under `parent` (None: at the top); False if it already is (nothing recorded).
    A cycle is refused (workflow/org_tree.py check_parent). Recorded in the organisation's journal ADM-<code> by
    the operator at the console, like its creation: who supervises whom is no town administrator's choice."""
    with writing(sessions) as session:
        org = session.get(Organization, code)
        if org is None:
            raise AdminError.of("code", f"单位「{code}」不存在 / no organisation {code!r}")
        if org.parent_id == parent:
            return False
        try:
            org_tree.check_parent(session, code, parent)
        except org_tree.TreeError as exc:
            raise AdminError.of("parent", str(exc)) from None
        old, org.parent_id = org.parent_id, parent
        record_journal_event(session, _journal_id(code), when=now, create=True, kind=KIND, procedure=PROCEDURE,
                             trigger="organisation_moved", actor=operator, role=OPERATOR_ROLE,
                             payload={"org_id": code, "old_parent": old, "parent": parent})
    return True


# ---------------------------------------------------------------- issued documents (workflow/documents/)


def void_document(sessions: sessionmaker[Session], *, actor: str, number: str, reason: str, now: Moment) -> None:
    """Void an issued document's number: the row stays (a number is never reused or deleted), with who voided
    it, when and why; the public verification page then says the number was voided."""
    from workflow.models import IssuedDocument

    if not reason.strip() or len(reason) > 500:
        raise AdminError.of("reason", "作废须说明理由（不超过500字） / voiding needs a reason (at most 500 characters)")
    with _begin(sessions, actor, now) as unit:
        row = unit.session.scalar(select(IssuedDocument).where(IssuedDocument.org_id == unit.admin.org_id,
                                                               IssuedDocument.number == number))
        if row is None:
            raise AdminError.of("number", f"本单位没有文号为「{number}」的文书 / no document numbered {number!r}")
        if row.voided_at is not None:
            raise AdminError.of("number", f"文号「{number}」已于{row.voided_at:%Y-%m-%d}作废 / already voided")
        row.voided_at, row.voided_by, row.void_reason = unit.now, unit.admin.username, reason.strip()
        unit.record("document_voided", {"number": number, "case": row.case_id, "sha256": row.sha256,
                                        "reason": reason.strip()})


def change(sessions: sessionmaker[Session], actor: str, now: Moment) -> AbstractContextManager[_Unit]:
    """One administrative change by `actor`, for the modules that keep their own rows beside these (webhook
    subscriptions, workflow/webhooks.py): the same checks, lock and journal event as the changes above."""
    return _begin(sessions, actor, now)
