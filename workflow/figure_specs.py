"""A procedure's countable facts for a year — the figures a report states — declared in its definition and
computed from its cases, each figure with the records behind it.

The town's annual rule-of-law report (法治政府建设年度报告, 督察规定第二十四条; legal-facts §10) states figures such
as 「法治宣传活动40余场次」 or 「调解矛盾纠纷40起，成功率达100%」. Written by hand they cannot be checked; here each is
a declaration in the definition of the procedure whose cases it counts, and its value comes with the list of the
records it counted, so that every figure links to them (issue 14 item 5):

    figures:
      - id: activities
        label: {zh: 法治宣传活动, en: Legal-awareness activities}
        unit: {zh: 场次, en: events}
        date: activity.held_on          # the year is read on this date (a typed date a step records), or `opened`
      - id: materials
        label: {zh: 发放宣传资料, en: Materials handed out}
        unit: {zh: 份, en: copies}
        date: activity.held_on
        sum: activity.materials         # add up a number instead of counting
      - id: agreements
        label: {zh: 调解成功, en: Disputes settled}
        date: outcome.closed_on
        where: {outcome.result: [written_agreement, oral_agreement]}   # recorded values, equal or one of a list
      - id: success_rate
        label: {zh: 调解成功率, en: Settlement rate}
        ratio: {of: agreements, over: closed}   # a share of two figures of the same file, in per cent
      - id: adopted
        label: {zh: 集体讨论通过的决策, en: Decisions adopted}
        taken: adopt_decision           # the year of the day the step was recorded (its audit event), where the
                                        # step records no date of its own
      - id: roster
        label: {zh: 法律明白人, en: Legal-understanding persons}
        as_of: {since: person.selected_on, until: [leaving.left_on]}   # in force on 31 December of the year
      - id: comments
        label: {zh: 公众意见, en: Public comments}
        count: items                    # the entries of an appended record, not the cases
        of: comments
        date: comments.received_on
      - id: answered_in_time
        label: {zh: 按期答复, en: Answered in time}
        deadline: {id: answer_period, verdict: in_time}   # by a time limit's verdict (below)

`deadline:` counts the cases by what became of one of the definition's time limits (`kind: limit`), as the engine
recorded it (workflow/engine/timeliness.py; nothing here judges a period again): `in_time` and `late`, the cases
whose step ending it in the year met it or not (the verdict the step's record carries, `timeliness`); `overdue`,
the cases in which it was still open at the year's end with its last day on or before 31 December (an open period's
row, or a verdict that came only in a later year).

`states:` keeps only cases in those states (e.g. not withdrawn). A case in a state listed under
`exclude_states:` is never counted (a register entry voided with a reason). Read only: the engine never reads
this block, so adding it to a deployed definition changes no rule and no case.

This module is the block's schema and checks (the definition loader's, clear of the database); workflow/figures.py
computes the figures from the cases.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

IDENT = validate.Regexp(r"^[a-z][a-z0-9_]*$", error="must be a lower-case identifier (a-z, 0-9, _)")
PATH = validate.Regexp(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$", error="must be <record key>.<field>")
OPENED = "opened"  # the day the case was opened (Asia/Shanghai), for a figure dated by no recorded field


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class _LabelDef(_Strict):
    zh = fields.String(required=True, validate=validate.Length(min=1))
    en = fields.String(required=True, validate=validate.Length(min=1))


class _RatioDef(_Strict):
    of = fields.String(required=True, validate=IDENT)
    over = fields.String(required=True, validate=IDENT)


class _AsOfDef(_Strict):
    since = fields.String(required=True)
    # the first of these dates that is recorded ends it (e.g. repealed on, or valid until)
    until = fields.List(fields.String(validate=PATH), load_default=list)


VERDICTS = ("in_time", "late", "overdue")


class _DeadlineDef(_Strict):
    id = fields.String(required=True, validate=IDENT)
    verdict = fields.String(required=True, validate=validate.OneOf(VERDICTS))


class FigureDef(_Strict):
    id = fields.String(required=True, validate=IDENT)
    label = fields.Nested(_LabelDef, required=True)
    unit = fields.Nested(_LabelDef)
    note = fields.String()  # how the figure is read, e.g. which cases a rate excludes, and why
    count = fields.String(load_default="cases", validate=validate.OneOf(("cases", "items")))
    of = fields.String(validate=IDENT)  # the appended record whose items are counted (count: items)
    date = fields.Raw()  # a path, or a list of paths: the first one the case records counts
    undated = fields.Boolean()  # a standing list (the villages): every case, whatever the year
    taken = fields.String(validate=IDENT)
    as_of = fields.Nested(_AsOfDef)
    sum = fields.String(validate=PATH)
    where = fields.Dict(keys=fields.String(validate=PATH), values=fields.Raw(), load_default=dict)
    states = fields.List(fields.String(validate=IDENT), load_default=list)
    exclude_states = fields.List(fields.String(validate=IDENT), load_default=list)
    ratio = fields.Nested(_RatioDef)
    deadline = fields.Nested(_DeadlineDef)

    @validates_schema
    def one_way_of_counting(self, data: dict[str, Any], **_: Any) -> None:
        if "ratio" in data:
            extra = sorted(k for k in ("date", "taken", "as_of", "sum", "of", "deadline") if k in data) + (
                ["where"] if data.get("where") else [])
            if extra:
                raise ValidationError(f"a ratio is read from its two figures: drop {', '.join(extra)}")
            return
        if sum(bool(data.get(k)) for k in ("date", "taken", "as_of", "undated", "deadline")) != 1:
            raise ValidationError("give exactly one of date (counted in the year of a recorded date), taken (of "
                                  "the day a step was recorded), as_of (in force at the year's end), deadline (by "
                                  "a time limit's verdict) or undated: true (a standing list)")
        if "deadline" in data and (data.get("count") == "items" or "sum" in data):
            raise ValidationError("deadline: counts cases by their time limit; drop count: items and sum")
        date = data.get("date")
        if date is not None and not (isinstance(date, str) or (
                isinstance(date, list) and date and all(isinstance(d, str) for d in date))):
            raise ValidationError("date: a path, or a list of paths (the first one recorded counts)")
        if data.get("count") == "items" and "taken" in data:
            raise ValidationError("taken: dates a case's step; the items of a list are dated by a field of theirs")
        if data.get("count") == "items" and "of" not in data:
            raise ValidationError("count: items needs of: the appended record whose entries are counted")
        if data.get("count") != "items" and "of" in data:
            raise ValidationError("of: names the appended record of count: items")


class FiguresDef(_Strict):
    figures = fields.List(fields.Nested(FigureDef), required=True)


@dataclass(frozen=True)
class Label:
    zh: str
    en: str


@dataclass(frozen=True)
class FigureSpec:
    id: str
    label: Label
    unit: Label | None = None
    note: str = ""
    items_of: str | None = None  # count the entries of this appended record instead of the cases
    date: tuple[str, ...] = ()  # the first of these the case records dates it
    undated: bool = False
    taken: str | None = None  # a step's trigger: the day its (first) accepted event was recorded
    since: str | None = None
    until: tuple[str, ...] = ()
    sum: str | None = None
    where: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    states: frozenset[str] = frozenset()
    exclude_states: frozenset[str] = frozenset()
    ratio: tuple[str, str] | None = None  # (numerator id, denominator id)
    deadline: str | None = None  # a time limit of the definition, counted by its verdict
    verdict: str | None = None  # in_time | late | overdue


def build(raw: Sequence[Mapping[str, Any]] | None) -> tuple[FigureSpec, ...]:
    if not raw:
        return ()
    out = []
    for f in raw:
        where = {path: tuple(v) if isinstance(v, list) else (v,) for path, v in f.get("where", {}).items()}
        unit = f.get("unit")
        as_of = f.get("as_of") or {}
        out.append(FigureSpec(
            id=f["id"], label=Label(f["label"]["zh"], f["label"]["en"]),
            unit=Label(unit["zh"], unit["en"]) if unit else None, note=f.get("note", ""),
            items_of=f.get("of"), date=_paths(f.get("date")), undated=bool(f.get("undated")), taken=f.get("taken"), since=as_of.get("since"), until=tuple(as_of.get("until", ())),
            sum=f.get("sum"), where=where, states=frozenset(f.get("states", ())),
            exclude_states=frozenset(f.get("exclude_states", ())),
            ratio=(f["ratio"]["of"], f["ratio"]["over"]) if f.get("ratio") else None,
            deadline=(f.get("deadline") or {}).get("id"), verdict=(f.get("deadline") or {}).get("verdict")))
    return tuple(out)


def _paths(value: str | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


# ---------------------------------------------------------------- checking a definition's block


def _recorded(data: Mapping[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """record key -> (mode, the payload fields any step records under it)."""
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for step in [data["create"], *data["transitions"]]:
        record = step.get("record")
        if not record:
            continue
        mode = "set" if "set" in record else "append" if "append" in record else "update"
        key = record.get("set") or record.get("append") or record.get("update")
        if mode == "update":
            continue  # an update changes items an append made: the append's fields are the ones counted
        prior = out.get(key, (mode, {}))[1]
        out[key] = (mode, {**prior, **step.get("payload", {})})
    return out


def check_definition(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Problems (path, reason) of a loaded definition's `figures:`: every path one a step records (a date where a
    date is read, a number where one is added up), every state one of the file's, every ratio's figures its own."""
    figures = data.get("figures")
    if not figures:
        return []
    recorded = _recorded(data)
    states = set(data["states"])
    ids = [f["id"] for f in figures]
    problems: list[tuple[str, str]] = []

    def field_of(where: str, path: str, types: tuple[str, ...], items_of: str | None) -> None:
        key, _, name = path.partition(".")
        if key not in recorded:
            problems.append((where, f"{path!r}: no step records {key!r} (known: {', '.join(sorted(recorded))})"))
            return
        mode, payload = recorded[key]
        if items_of is not None and key not in (items_of,) and mode == "append":
            problems.append((where, f"{path!r}: counting the items of {items_of!r}, a path reads that record or "
                                    "a set record of the case"))
        if items_of is None and mode == "append":
            problems.append((where, f"{path!r}: {key!r} is an appended list; count its items (count: items, "
                                    f"of: {key})"))
        spec = payload.get(name)
        if spec is None:
            problems.append((where, f"{path!r}: no step records the field {name!r} under {key!r}"))
        elif types and spec["type"] not in types:
            wanted = "a date" if types == ("date",) else "a number (integer or decimal)"
            problems.append((where, f"{path!r} is a {spec['type']} field; {wanted} is needed here"))

    for i, f in enumerate(figures):
        at = f"figures.{i}"
        if ids.count(f["id"]) > 1:
            problems.append((f"{at}.id", f"duplicate figure {f['id']!r}"))
        if f.get("ratio"):
            for part in ("of", "over"):
                ref = f["ratio"][part]
                if ref not in ids or ref == f["id"]:
                    problems.append((f"{at}.ratio.{part}", f"{ref!r} is not another figure of this file"))
                elif any(g["id"] == ref and g.get("ratio") for g in figures):
                    problems.append((f"{at}.ratio.{part}", f"{ref!r} is itself a ratio"))
            continue
        items_of = f.get("of")
        if items_of is not None and recorded.get(items_of, ("", {}))[0] != "append":
            problems.append((f"{at}.of", f"{items_of!r} is not a record a step appends to"))
            items_of = None
        dates = _paths(f.get("date"))
        for j, path in enumerate(dates):
            where = f"{at}.date" if isinstance(f.get("date"), str) else f"{at}.date.{j}"
            if path == OPENED:
                continue
            if not PATH.regex.match(path):
                problems.append((where, f"{path!r} must be <record key>.<field> or {OPENED!r}"))
            else:
                field_of(where, path, ("date",), items_of)
        if f.get("deadline"):
            problems.extend(_deadline_problems(f"{at}.deadline.id", f["deadline"]["id"], data))
        if f.get("taken") and f["taken"] not in {t["trigger"] for t in data["transitions"]}:
            problems.append((f"{at}.taken", f"{f['taken']!r} is not a step of this procedure"))
        as_of = f.get("as_of")
        if as_of:
            if as_of["since"] != OPENED:
                if not PATH.regex.match(as_of["since"]):
                    problems.append((f"{at}.as_of.since", f"{as_of['since']!r} must be <record key>.<field> or "
                                                          f"{OPENED!r}"))
                else:
                    field_of(f"{at}.as_of.since", as_of["since"], ("date",), items_of)
            for j, path in enumerate(as_of.get("until", ())):
                field_of(f"{at}.as_of.until.{j}", path, ("date",), items_of)
        if f.get("sum"):
            field_of(f"{at}.sum", f["sum"], ("integer", "decimal"), items_of)
        for path, wanted in f.get("where", {}).items():
            field_of(f"{at}.where.{path}", path, (), items_of)
            key, _, name = path.partition(".")
            spec = recorded.get(key, ("", {}))[1].get(name)
            if spec is not None and spec["type"] == "choice":
                allowed = {c["value"] for c in spec["choices"]}
                for v in wanted if isinstance(wanted, list) else [wanted]:
                    if v not in allowed:
                        problems.append((f"{at}.where.{path}", f"{v!r} is not a choice of {path!r}"))
        for part in ("states", "exclude_states"):
            for j, s in enumerate(f.get(part, ())):
                if s not in states:
                    problems.append((f"{at}.{part}.{j}", f"undefined state {s!r}"))
    return problems


def _deadline_problems(where: str, name: str, data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A figure's `deadline:` names a time limit of the file that a recording step ends (its verdict is kept in
    that step's record, where the figure reads it)."""
    deadlines = data.get("deadlines") or {}
    spec = deadlines.get(name)
    if spec is None:
        return [(where, f"{name!r} is not a deadline of this procedure (known: {', '.join(sorted(deadlines))})")]
    if spec.get("kind") != "limit":
        return [(where, f"{name!r} is a minimum period: only a limit is met in time, late or overdue")]
    steps = {t["trigger"]: t for t in data["transitions"]}
    if not any((steps.get(trigger) or {}).get("record") for trigger in spec.get("ends_on", ())):
        return [(where, f"no step that ends {name!r} records anything: its verdict would be kept nowhere")]
    return []
