"""The choices a form offers for a field with `options_from:` (workflow/options_from.py): for a person holding a
role, the organisation's active members with the role, as 王海（综合执法队）, with the number of their enforcement
certificate where they hold one (the issue's "officers with their certificates shown"); for a setting's list, its
entries (the delegated fields and powers). A read model: web/forms.py only renders it."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.accounts import SYSTEM_ROLE, members_of, setting_values
from workflow.models import EnforcementCertificate
from workflow.options_from import ALL_PEOPLE
from workflow.payloads import FieldSpec


def people_choices(session: Session, org_id: str, fields: Iterable[FieldSpec],
                   certificate_label: str) -> dict[str, tuple[tuple[str, str], ...]]:
    """Role -> ((username, shown), ...) for the roles the fields take people from (one query each, none if
    no field does). `certificate_label` is the page's word for the certificate (执法证)."""
    fields = list(fields)
    out: dict[str, tuple[tuple[str, str], ...]] = setting_choices(session, org_id, fields)
    out.update(named_choices(session, org_id, fields))
    roles = {f.options_from.role for f in fields if f.options_from is not None and f.options_from.role is not None}
    if not roles:
        return out
    members = [m for m in members_of(session, org_id).values() if m.active and m.roles & roles]
    numbers: dict[str, list[str]] = {}
    for username, number in session.execute(
            select(EnforcementCertificate.username, EnforcementCertificate.number)
            .where(EnforcementCertificate.username.in_([m.username for m in members]),
                   EnforcementCertificate.kind == "enforcement")
            .order_by(EnforcementCertificate.id)).all():
        numbers.setdefault(username, []).append(number)
    for role in sorted(roles):
        out[role] = tuple(
            (m.username, (f"{m.name}（{m.unit}）" if m.unit else m.name)
             + (f" · {certificate_label} {'、'.join(numbers[m.username])}" if m.username in numbers else ""))
            for m in members if role in m.roles)
    return out


def setting_choices(session: Session, org_id: str, fields: Iterable[FieldSpec]) -> dict[str, tuple[tuple[str, str], ...]]:
    """OptionsFrom.key -> ((value, value), ...) for the fields whose choices are an organisation setting's list
    (its texts, or each item's `item`), in the setting's order, each once; a setting not set: no entry."""
    wanted = {f.options_from.key: f.options_from for f in fields
              if f.options_from is not None and f.options_from.setting is not None}
    if not wanted:
        return {}
    values = setting_values(session, org_id)
    out = {}
    for key, rule in wanted.items():
        listed = values.get(rule.setting or "")
        if not isinstance(listed, list):
            continue
        texts = [str(v.get(rule.item, "")) if isinstance(v, dict) and rule.item else v for v in listed]
        out[key] = tuple((t, t) for t in dict.fromkeys(t for t in texts if isinstance(t, str) and t))
    return out


def named_choices(session: Session, org_id: str, fields: Iterable[FieldSpec]) -> dict[str, tuple[tuple[str, str], ...]]:
    """OptionsFrom.key -> ((name, 王海（综合执法队）), ...) for the fields naming the organisation's people by name
    (`people_named: all` or a role): the value is the name the register keeps, the post shown beside it."""
    wanted = {f.options_from.key: f.options_from.people_named for f in fields
              if f.options_from is not None and f.options_from.people_named is not None}
    if not wanted:
        return {}
    members = [m for m in members_of(session, org_id).values() if m.active and SYSTEM_ROLE not in m.roles]
    return {key: tuple(dict.fromkeys((m.name, f"{m.name}（{m.unit}）" if m.unit else m.name) for m in members
                                     if who == ALL_PEOPLE or who in m.roles))
            for key, who in wanted.items()}
