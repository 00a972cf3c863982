"""Organisation-level timers as data: definitions/organisation/timers.yaml, its schema and its checks.

A case's periods carry their timers in the procedure's definition (workflow/timers/spec.py). Some dates belong
to an organisation and to no case: a person's enforcement certificate, the next year's holiday notice. Their
timers are declared in one file beside the definitions (its header says what each key means) and validated on
load like a definition: an unknown key, a watch that does not exist, a role no definition names or a day that
is not a day is a `DefinitionError` naming the file, the path and the reason, so a worker never starts on a
malformed file. What the timers do is workflow/timers/org_timers.py; this module only reads the file.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from workflow.definitions import (
    DEFINITIONS_DIR,
    SAFE_LOADER,
    DefinitionError,
    Label,
    Registry,
    error_paths,
    file_digest,
)
from workflow.payloads import LabelSchema

ORG_TIMERS_FILE = DEFINITIONS_DIR / "organisation" / "timers.yaml"
ADMIN_ROLE = "admin"  # workflow/administration.py ADMIN_ROLE (not imported: administration imports far more)
HOLDER = "holder"  # a certificate timer's own recipient: the person whose certificate it is
# What a timer may watch, and which `at` keys go with it.
WATCHES: Mapping[str, frozenset[str]] = {
    "certificate": frozenset({"days_before_end", "days_after_end"}),
    "holiday_year": frozenset({"month_day"}),
}


def _month_day(value: str) -> None:
    try:
        date.fromisoformat(f"2024-{value}")  # a leap year: 02-29 is a day
    except ValueError:
        raise ValidationError(f"{value!r} is not a day of the year (MM-DD)") from None
    if len(value) != 5:
        raise ValidationError(f"{value!r} is not a day of the year (MM-DD)")


class _AtSchema(Schema):
    class Meta:
        unknown = RAISE

    days_before_end = fields.Integer(strict=True, validate=validate.Range(min=1, max=366))
    days_after_end = fields.Integer(strict=True, validate=validate.Range(min=1, max=366))
    month_day = fields.String(validate=_month_day)

    @validates_schema
    def one(self, data: dict[str, Any], **_: Any) -> None:
        if len(data) != 1:
            raise ValidationError("`at` is exactly one of days_before_end, days_after_end or month_day")


class _TimerSchema(Schema):
    class Meta:
        unknown = RAISE

    label = fields.Nested(LabelSchema, required=True)
    basis = fields.String(required=True, validate=validate.Length(min=1))
    watch = fields.String(required=True, validate=validate.OneOf(sorted(WATCHES)))
    at = fields.Nested(_AtSchema, required=True)
    to = fields.List(fields.String(validate=validate.Length(min=1, max=64)), required=True,
                     validate=validate.Length(min=1))

    @validates_schema
    def at_fits_watch(self, data: dict[str, Any], **_: Any) -> None:
        if "watch" in data and "at" in data:
            for key in sorted(set(data["at"]) - WATCHES[data["watch"]]):
                raise ValidationError(f"`{key}` does not go with watch {data['watch']!r} (use "
                                      f"{' or '.join(sorted(WATCHES[data['watch']]))})", "at")


class _FileSchema(Schema):
    class Meta:
        unknown = RAISE

    timers = fields.Dict(keys=fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,47}$")),
                         values=fields.Nested(_TimerSchema), required=True)


@dataclass(frozen=True)
class OrgTimer:
    """One organisation-level timer: what it watches, when it acts and whom it tells."""

    name: str
    label: Label
    basis: str
    watch: str  # certificate | holiday_year
    at: str  # days_before_end | days_after_end | month_day
    value: int | str  # the number of days, or "MM-DD"
    to: tuple[str, ...]  # roles of the organisation; `holder` the certificate's own holder


def parse(raw: Any, name: str, roles: Iterable[str]) -> tuple[OrgTimer, ...]:
    """The file's timers, or a DefinitionError naming `name`, the path and the reason. `roles`: the roles the
    organisation's people may hold (every definition's roles), besides `admin`."""
    try:
        data = _FileSchema().load(raw if isinstance(raw, dict) else {"timers": raw})
    except ValidationError as exc:
        # marshmallow files a Dict value's messages under "value": the path names the timer instead
        raise DefinitionError(name, [(re.sub(r"^(timers\.[^.]+)\.value\b", r"\1", path), reason)
                                     for path, reason in error_paths(exc.messages)]) from None
    known = set(roles) | {ADMIN_ROLE}
    problems = []
    for timer_name, t in data["timers"].items():
        for i, role in enumerate(t["to"]):
            if role == HOLDER and t["watch"] != "certificate":
                problems.append((f"timers.{timer_name}.to.{i}", "`holder` is only a certificate's holder"))
            elif role != HOLDER and role not in known:
                problems.append((f"timers.{timer_name}.to.{i}", f"undefined role {role!r}"))
    if problems:
        raise DefinitionError(name, problems)
    return tuple(OrgTimer(n, Label(t["label"]["zh"], t["label"]["en"]), t["basis"], t["watch"],
                          *next(iter(t["at"].items())), tuple(dict.fromkeys(t["to"])))
                 for n, t in data["timers"].items())


def load(registry: Registry, path: Path = ORG_TIMERS_FILE) -> tuple[OrgTimer, ...]:
    """The organisation timers of `path` (none if there is no such file), checked against the roles of
    `registry`; kept while the file's content stays the same (the worker reads it every run)."""
    if not path.exists():
        return ()
    roles = tuple(sorted({r for p in registry.all() for r in p.roles}))
    return _load(str(path), file_digest(path), roles)


@functools.lru_cache(maxsize=8)
def _load(path: str, _digest: str, roles: tuple[str, ...]) -> tuple[OrgTimer, ...]:
    try:
        raw = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DefinitionError(path, [(f"line {mark.line + 1}" if mark else "",
                                      f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from None
    return parse(raw, path, roles)


