"""HTML forms generated from a step's payload fields, and the submitted form turned back into a payload.

This is a translation, not a check: empty inputs are left out and everything else is passed on as typed,
so that the engine's validation (the only one) names a missing or malformed field in its refusal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from flask import has_request_context
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from web.i18n import _, current_lang
from workflow.options_from import Drawn, LineItems
from workflow.payloads import DEFAULT_MAX, FieldSpec
from workflow.random_draw import draw, new_seed


@dataclass(frozen=True)
class Line:
    """One item of a `lines_of:` list as the form asks it: its points and the reason for a deduction."""

    label: str
    max: int
    help: str
    points_name: str
    reason_name: str
    points: str
    reason: str


@dataclass(frozen=True)
class Widget:
    """One form control: which HTML element, its attributes, its options and the value to show."""

    name: str
    id: str
    label: str
    help: str
    control: str  # input | textarea | select
    input_type: str  # for input: text | number | date
    required: bool
    value: str
    options: tuple[tuple[str, str], ...] = ()
    attrs: tuple[tuple[str, str], ...] = ()
    list_help: bool = False
    errors: tuple[str, ...] = ()
    # `required_when:` (workflow/required_when.py): the controlling field's name, its values (space-separated, as
    # the data attribute carries them), and the marker shown beside the label; web/static/required-when.js makes
    # the input required while one of the values is chosen; the engine's check stays the authority.
    required_when: tuple[str, str, str] | None = None
    empty_label: str = ""  # a select's first, empty choice ("" : 请选择)
    other: bool = False  # checkboxes that also take typed entries (a material sent on paper): a textarea beside
    quote: str = ""  # the chosen item's text, shown under a field fixed by the button that chose it
    lines: tuple[Line, ...] = ()  # control "lines": one row per item of a block (options_from: lines_of)

    @property
    def has_help(self) -> bool:
        return self.list_help or bool(self.help)

    @property
    def described_by(self) -> str:
        """ids of the hint and the error list, for aria-describedby ("" if none)."""
        return " ".join(([f"{self.id}-help"] if self.has_help else []) + ([f"{self.id}-err"] if self.errors else []))


def widgets(form_id: str, fields: tuple[FieldSpec, ...], values: Mapping[str, str] | None = None,
            errors: Mapping[str, list[str]] | None = None,
            people: Mapping[str, tuple[tuple[str, str], ...]] | None = None,
            lines: Mapping[str, LineItems] | None = None) -> list[Widget]:
    """`people`: for the fields with `options_from:`, the persons to offer by role, or the setting's choices
    (workflow/people_options.py, keyed by OptionsFrom.key); without it such a field stays a text input.
    `lines`: for the fields with `options_from: {lines_of: <block>}`, the block's items (LineItems, by key)."""
    lang = current_lang()
    values = values or {}
    errors = errors or {}
    out = []
    for f in fields:
        attrs: list[tuple[str, str]] = []
        options: tuple[tuple[str, str], ...] = ()
        control, input_type = "input", "text"
        if f.type == "text":
            control = "textarea"
            attrs.append(("rows", "4"))
        elif f.type == "string_list" and f.options_from is not None and people and people.get(f.options_from.key):
            control = "checkboxes"  # several people holding the role: one box each, the user names as values
            options = people[f.options_from.key]
        elif f.type == "integer" and f.options_from is not None and people and people.get(f.options_from.key):
            control = "select"  # an item of the case's own list, by its number (3. 希望加装电梯)
            options = people[f.options_from.key]
        elif f.type == "string_list":
            control = "textarea"
            attrs.append(("rows", "3"))
        elif f.type == "integer":
            input_type = "number"
            attrs.append(("step", "1"))
            if f.minimum is not None:
                attrs.append(("min", str(f.minimum)))
            if f.maximum is not None:
                attrs.append(("max", str(f.maximum)))
        elif f.type == "decimal":
            attrs.append(("inputmode", "decimal"))
        elif f.type == "date":
            input_type = "date"
        elif f.type == "boolean":
            control = "select"
            options = (("true", _("是")), ("false", _("否")))
        elif f.type == "choice":
            control = "select"
            options = tuple((v, label.get(lang)) for v, label in f.choices)
        elif f.options_from is not None and f.options_from.open and people:
            options = people.get(f.options_from.key, ())  # suggestions (a datalist): other text stays allowed
            if options:
                attrs.append(("list", f"{form_id}-{f.name}-list"))
        elif f.options_from is not None and people is not None and (
                f.options_from.role is not None or people.get(f.options_from.key)):
            control = "select"  # (a setting not set yet: the text input stays, and the rule says what is missing)
            options = people.get(f.options_from.key, ())
        if f.type in ("string", "text") and control != "select":
            if f.min_length:
                attrs.append(("minlength", str(f.min_length)))
            attrs.append(("maxlength", str(f.max_length or DEFAULT_MAX[f.type])))
        value = values.get(f.name, "")
        if not value and not values and f.prefill_role is not None:  # a fresh form: the person filling it
            value = _me_if(f.prefill_role)
        help_text, list_help = f.help, f.type == "string_list"
        rows: tuple[Line, ...] = ()
        if f.options_from is not None and lines and f.options_from.key in lines:
            control, list_help = "lines", False
            rows = tuple(Line(i.label.get(lang), i.max, i.help, f"{f.name}__{i.id}__points", f"{f.name}__{i.id}__reason",
                              values.get(f"{f.name}__{i.id}__points", ""), values.get(f"{f.name}__{i.id}__reason", ""))
                         for i in lines[f.options_from.key].form_lines())
        draw = _drawing(f, fields, people)
        if draw is not None and f.name == draw.seed:  # a seed no one chose, shown; kept as typed after a refusal
            value = value or new_seed()
            attrs.append(("readonly", "readonly"))
            help_text = _("随机种子由系统生成，随抽取结果一并记录，任何人可据此重现抽取")
        elif draw is not None and f.name == draw.candidates:  # every file offered, as the page will record them
            control, attrs, list_help = "textarea", [("rows", "3"), ("readonly", "readonly")], False
            value, options = "\n".join(v for v, _label in options), ()
            help_text = _("随机抽取时，系统以全部可抽取的案卷为待抽清单")
        out.append(Widget(
            name=f.name, id=f"{form_id}-{f.name}", label=f.label.get(lang), help=help_text, control=control,
            input_type=input_type, required=f.required, value=value, options=options,
            attrs=tuple(attrs), list_help=list_help, errors=tuple(errors.get(f.name, ())),
            required_when=_required_when(f, fields, lang), lines=rows,
            other=control == "checkboxes" and f.options_from is not None and f.options_from.record is not None,
        ))
        if f.options_from is not None and f.options_from.drawn is not None and control == "checkboxes":
            out.append(_count_widget(form_id, f, fields, values.get(f.name + DRAW_COUNT, ""), lang))
    return out


# The form-only input of a drawn list: how many to draw (the payload records the drawn items, not the count).
DRAW_COUNT = "__draw_count"


def _drawing(f: FieldSpec, fields: tuple[FieldSpec, ...],
             people: Mapping[str, tuple[tuple[str, str], ...]] | None) -> Drawn | None:
    """The draw (options_from.drawn) that names `f` as its seed or candidates, when its cases are offered."""
    for other in fields:
        rule = other.options_from
        if rule is not None and rule.drawn is not None and people and rule.key in people \
                and f.name in (rule.drawn.seed, rule.drawn.candidates):
            return rule.drawn
    return None


def _count_widget(form_id: str, f: FieldSpec, fields: tuple[FieldSpec, ...], value: str, lang: str) -> Widget:
    assert f.options_from is not None and f.options_from.drawn is not None
    when = f.options_from.drawn.when
    control = next((c for c in fields if c.name == when.field), None)
    names = dict(control.choices) if control is not None else {}
    shown = ("、" if lang == "zh" else " or ").join(names[v].get(lang) for v in when.values if v in names)
    attrs = (("step", "1"), ("min", "1"), *((("max", str(f.max_items)),) if f.max_items else ()))
    return Widget(name=f.name + DRAW_COUNT, id=f"{form_id}-{f.name}{DRAW_COUNT}", label=_("随机抽取件数"),
                  help=_("{method}的，勾选无效：系统以上列随机种子从待抽案卷中抽取该件数", method=shown), control="input",
                  input_type="number", required=False, value=value, attrs=attrs,
                  required_when=(when.field, " ".join(when.values),
                                 _("{field}为{values}时必填", field=control.label.get(lang) if control else when.field,
                                   values=shown)))


def drawn_payload(fields: tuple[FieldSpec, ...], form: MultiDict[str, str], payload: dict[str, Any],
                  offered: Mapping[str, tuple[tuple[str, str], ...]]) -> dict[str, Any]:
    """The payload of a form with a drawn list (options_from.drawn): when its choice says draw, every case
    offered is recorded as the candidates and the list is drawn from them with the form's seed and count
    (workflow/random_draw.py), as the family's guard will draw again to check it; otherwise the seed and the
    candidates, which only a draw records, are left out. A count that is not a number draws nothing: the
    engine then refuses the empty list, naming it."""
    out = dict(payload)
    for f in fields:
        rule = f.options_from
        if rule is None or rule.drawn is None or rule.key not in offered:
            continue
        drawn = rule.drawn
        if not drawn.when.applies(out):
            out.pop(drawn.seed, None)
            out.pop(drawn.candidates, None)
            continue
        pool = [value for value, _label in offered[rule.key]]
        out[drawn.candidates] = pool
        count = (form.get(f.name + DRAW_COUNT) or "").strip()
        seed = out.get(drawn.seed)
        out.pop(f.name, None)
        if count.isdigit() and isinstance(seed, str) and seed:
            out[f.name] = draw(seed, pool, int(count))
    return out


def fixed(widget: Widget, value: str) -> Widget:
    """The field as chosen by a button beside an item of the case's list (a comment to decide): its value shown
    read-only, with the item's text; the engine still judges it."""
    shown = dict(widget.options).get(value, "")
    return replace(widget, control="input", input_type="text", value=value, options=(),
                   attrs=(("readonly", "readonly"),), quote=shown)


def _required_when(f: FieldSpec, fields: tuple[FieldSpec, ...], lang: str) -> tuple[str, str, str] | None:
    rule = f.required_when
    control = next((c for c in fields if rule is not None and c.name == rule.field), None)
    if rule is None or control is None:
        return None
    names = dict(control.choices)
    shown = ("、" if lang == "zh" else " or ").join(names[v].get(lang) for v in rule.values if v in names)
    marker = _("{field}为{values}时必填", field=control.label.get(lang), values=shown)
    return rule.field, " ".join(rule.values), marker


def _me_if(role: str) -> str:
    """The signed-in person's name if they hold `role` (a field's `prefill:`), else ""."""
    me = current_user if has_request_context() else None
    return me.display_name if me is not None and me.is_authenticated and role in me.roles else ""


def payload_from_form(fields: tuple[FieldSpec, ...], form: MultiDict[str, str]) -> dict[str, Any]:
    """The payload a form submits: only the step's own fields; empty inputs left out."""
    payload: dict[str, Any] = {}
    for f in fields:
        raw = "\n".join(form.getlist(f.name)) if f.type == "string_list" and f.name in form else form.get(f.name)
        if raw is None:
            continue
        text = raw.replace("\r\n", "\n").strip()
        if f.type == "string_list":
            items = [line.strip() for line in text.split("\n") if line.strip()]
            if items:
                payload[f.name] = items
            continue
        if not text:
            continue
        if f.type == "integer":
            try:
                payload[f.name] = int(text)
            except ValueError:
                payload[f.name] = text  # the engine refuses it as not an integer, naming the field
        elif f.type == "boolean":
            payload[f.name] = {"true": True, "false": False}.get(text, text)
        else:
            payload[f.name] = text
    return payload


def kept_values(fields: tuple[FieldSpec, ...], form: MultiDict[str, str]) -> dict[str, str]:
    """What the user typed, to put back into the form after a refusal (a drawn list's count, the points and
    reasons of a list of lines with it)."""
    kept = {f.name: "\n".join(form.getlist(f.name)) if f.type == "string_list" else form.get(f.name, "")
            for f in fields}
    kept.update({f.name + DRAW_COUNT: form.get(f.name + DRAW_COUNT, "") for f in fields
                 if f.options_from is not None and f.options_from.drawn is not None})
    for f in fields:
        if f.options_from is not None and f.options_from.lines_of is not None:
            kept.update({k: form.get(k, "") for k in form if k.startswith(f"{f.name}__")})
    return kept


def lined_payload(fields: tuple[FieldSpec, ...], form: MultiDict[str, str], payload: dict[str, Any],
                  lines: Mapping[str, LineItems]) -> dict[str, Any]:
    """The payload of a form with a list of lines (options_from: lines_of): each item's points and reason
    written as the block's line, in the block's order; an item left blank gives no line (the family's guard
    then names it as not scored). A list typed as before (the field itself sent) is kept as sent."""
    out = dict(payload)
    for f in fields:
        rule = f.options_from
        if rule is None or rule.lines_of is None or rule.key not in lines or f.name in form:
            continue
        block = lines[rule.key]
        written = []
        for item in block.form_lines():
            points = (form.get(f"{f.name}__{item.id}__points") or "").strip()
            reason = (form.get(f"{f.name}__{item.id}__reason") or "").strip()
            if points or reason:
                written.append(block.line(item.id, points, reason))
        if written:
            out[f.name] = written
        else:
            out.pop(f.name, None)
    return out
