"""Timers as data: the `timers:` list of a deadline in a definition, its schema, its checks and what it builds.

A deadline (workflow/definitions.py DeadlineSpec) may say what happens when its time comes, e.g.

    timers:
      - remind: [timers.first_reminder_working_days, timers.last_reminder_working_days]
        unit: working_days          # before a limit's last day (黄牌)
        to: [enforcement_officer]   # default: the roles of the deadline's ends_on steps
      - on_expiry: overdue          # the day after a limit's last day (红牌)
        notify: [enforcement_officer]
        escalate_to: agency_head
      - on_end: fire                # the day after a minimum period's last day: the law closes it by itself
        trigger: end_public_comment

A recipient of `to` / `notify` is a role of the case's own organisation, or `{addressee: <role>}`: the people
holding that role in the organisation the case is addressed to (a procedure with an `addressee:` block,
workflow/addressee.py), e.g. the town that owes the district an answer:

        to: [supervisor, {addressee: agency_head}, {addressee: legal_counsel}]

A reminder's offset is a number of days that a rule fixes, or the key of an organisation setting (with its
source, workflow/settings.py) where no law fixes it: no statute says to remind 3 and 1 working days ahead.
The loader (workflow/definitions.py) validates the list with `TimerSchema` and checks its meaning with
`problems`, naming file and path; this module imports nothing of the loader.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

UNITS = ("calendar_days", "working_days")
SETTING_KEY = re.compile(r"^[a-z][a-z0-9_]*\.[a-z0-9_.]+$")
SYSTEM_ROLE = "system"  # the role of each organisation's system account (workflow/accounts.py): only it holds it
ADDRESSEE = "addressee"  # a recipient `{addressee: <role>}`: the role's holders in the case's addressed organisation


class _Offset(fields.Field):
    """A positive whole number of days, or an organisation setting's key that holds one."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int | str:
        if isinstance(value, bool):
            raise ValidationError("an offset is a whole number of days before the limit, or a setting key")
        if isinstance(value, int):
            if value < 1:
                raise ValidationError(f"an offset counts days BEFORE the limit's last day: {value} must be 1 or more")
            return value
        if isinstance(value, str) and SETTING_KEY.match(value):
            return value
        raise ValidationError("an offset is a whole number of days before the limit, or a setting key "
                              "(e.g. timers.first_reminder_working_days)")


class _Recipient(fields.Field):
    """A role of the case's own organisation (a string), or `{addressee: <role>}`: a role in the addressed one."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | dict[str, str]:
        if isinstance(value, str) and value:
            return value
        if isinstance(value, Mapping) and set(value) == {ADDRESSEE} and isinstance(value[ADDRESSEE], str) \
                and value[ADDRESSEE]:
            return {ADDRESSEE: value[ADDRESSEE]}
        raise ValidationError("a recipient is a role, or {addressee: <role>} for a role of the organisation the "
                              "case is addressed to")


class TimerSchema(Schema):
    class Meta:
        unknown = RAISE

    remind = fields.List(_Offset(), validate=validate.Length(min=1))
    unit = fields.String(validate=validate.OneOf(UNITS))
    to = fields.List(_Recipient(), validate=validate.Length(min=1))
    on_expiry = fields.String(validate=validate.OneOf(["overdue"]))
    notify = fields.List(_Recipient(), validate=validate.Length(min=1))
    escalate_to = fields.String()
    on_end = fields.String(validate=validate.OneOf(["fire"]))
    trigger = fields.String()

    @validates_schema
    def one_kind(self, data: dict[str, Any], **_: Any) -> None:
        kinds = [k for k in ("remind", "on_expiry", "on_end") if k in data]
        if len(kinds) != 1:
            raise ValidationError("a timer is exactly one of remind, on_expiry or on_end")
        allowed = {"remind": {"remind", "unit", "to"}, "on_expiry": {"on_expiry", "notify", "escalate_to"},
                   "on_end": {"on_end", "trigger"}}[kinds[0]]
        for key in sorted(set(data) - allowed):
            raise ValidationError(f"`{key}` does not go with `{kinds[0]}`", key)
        if kinds[0] == "remind" and "unit" not in data:
            raise ValidationError("a reminder says the unit of its offsets (calendar_days or working_days)", "unit")
        if kinds[0] == "on_end" and "trigger" not in data:
            raise ValidationError("`on_end: fire` names the system step it fires (trigger)", "trigger")


@dataclass(frozen=True)
class Timer:
    """One act a deadline's time brings. kind: remind (before a limit), overdue (after it), fire (a minimum
    period's end fires the system step `trigger`)."""

    kind: str
    offsets: tuple[int | str, ...] = ()  # remind: days before the last day, or setting keys holding them
    unit: str = "working_days"
    to: tuple[str, ...] = ()  # remind / overdue: the roles told (the deadline's acting roles when empty)
    escalate_to: str | None = None  # overdue: the superior role told as well
    trigger: str | None = None  # fire: the system step
    to_addressee: tuple[str, ...] = ()  # remind / overdue: the roles told in the organisation the case is addressed to

    @property
    def names_recipients(self) -> bool:
        """Whether the timer says whom it tells (else: those who may take a step that ends the period)."""
        return bool(self.to or self.to_addressee)


def _own(recipients: list[str | dict[str, str]]) -> tuple[str, ...]:
    return tuple(r for r in recipients if isinstance(r, str))


def _addressed(recipients: list[str | dict[str, str]]) -> tuple[str, ...]:
    return tuple(r[ADDRESSEE] for r in recipients if isinstance(r, dict))


def build(raw: list[dict[str, Any]]) -> tuple[Timer, ...]:
    timers = []
    for t in raw:
        if "remind" in t:
            to = t.get("to", [])
            timers.append(Timer("remind", tuple(t["remind"]), t["unit"], _own(to), to_addressee=_addressed(to)))
        elif "on_expiry" in t:
            told = t.get("notify", [])
            timers.append(Timer("overdue", to=_own(told), escalate_to=t.get("escalate_to"),
                                to_addressee=_addressed(told)))
        else:
            timers.append(Timer("fire", trigger=t["trigger"]))
    return tuple(timers)


def problems(name: str, deadline: Mapping[str, Any], roles: Mapping[str, Any],
             steps: Mapping[str, list[Mapping[str, Any]]], *, addressed: bool = False) -> list[tuple[str, str]]:
    """What the deadline's timers name that the file does not give or the law does not allow: roles of the
    procedure, an addressed organisation's role only where the file addresses one (`addressed`: it has an
    `addressee:` block), a reminder or expiry only on a limit, an end only on a minimum period whose end the
    named system step is, and a system step whose payload the system can fill (no required field)."""
    found: list[tuple[str, str]] = []
    for i, t in enumerate(deadline.get("timers", [])):
        where = f"deadlines.{name}.timers.{i}"
        for key in ("to", "notify"):
            for j, recipient in enumerate(t.get(key, [])):
                role = recipient[ADDRESSEE] if isinstance(recipient, dict) else recipient
                at = f"{where}.{key}.{j}.{ADDRESSEE}" if isinstance(recipient, dict) else f"{where}.{key}.{j}"
                if role not in roles or role == SYSTEM_ROLE:
                    found.append((at, f"undefined role {role!r}"))
                elif isinstance(recipient, dict) and not addressed:
                    found.append((at, "the file gives no 'addressee:' block: the case is addressed to no "
                                      "organisation whose people could be told"))
        if "escalate_to" in t and (t["escalate_to"] not in roles or t["escalate_to"] == SYSTEM_ROLE):
            found.append((f"{where}.escalate_to", f"undefined role {t['escalate_to']!r}"))
        if ("remind" in t or "on_expiry" in t) and deadline["kind"] != "limit":
            found.append((where, "reminders and expiry belong to a limit (kind: limit); a minimum period ends "
                                 "with on_end"))
        if "on_end" in t:
            found.extend(_end_problems(where, t["trigger"], deadline, steps))
    return found


def _end_problems(where: str, trigger: str, deadline: Mapping[str, Any],
                  steps: Mapping[str, list[Mapping[str, Any]]]) -> list[tuple[str, str]]:
    if deadline["kind"] != "minimum":
        return [(where, "on_end belongs to a minimum period (kind: minimum); a limit has on_expiry")]
    if trigger not in steps:
        return [(f"{where}.trigger", f"unknown trigger {trigger!r}")]
    found = []
    for t in steps[trigger]:
        if not t.get("system"):
            found.append((f"{where}.trigger", f"{trigger!r} is not a system step (system: true)"))
        required = sorted(f for f, spec in t["payload"].items() if spec.get("required"))
        if required:
            found.append((f"{where}.trigger", f"the system step {trigger!r} has required payload fields "
                                              f"({', '.join(required)}) that no person fills in"))
    if trigger not in deadline["ends_on"]:
        found.append((f"{where}.trigger", f"{trigger!r} must be one of the period's ends_on steps (the engine "
                                          "then refuses it before the period has run out)"))
    return found


def system_step_problems(where: str, step: Mapping[str, Any], roles: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A system step is taken by the system account alone (roles: [system]); the system role takes no other."""
    if step.get("system"):
        if list(step["roles"]) != [SYSTEM_ROLE]:
            return [(f"{where}.roles", f"a system step is taken by the system alone: roles: [{SYSTEM_ROLE}]")]
        if SYSTEM_ROLE not in roles:
            return [("roles", f"a procedure with a system step declares the role {SYSTEM_ROLE!r}")]
        return []
    if SYSTEM_ROLE in step["roles"]:
        return [(f"{where}.roles", f"only a system step (system: true) may name the role {SYSTEM_ROLE!r}")]
    return []
