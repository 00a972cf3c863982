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
from workflow.payloads import DEFAULT_MAX, FieldSpec


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

    @property
    def has_help(self) -> bool:
        return self.list_help or bool(self.help)

    @property
    def described_by(self) -> str:
        """ids of the hint and the error list, for aria-describedby ("" if none)."""
        return " ".join(([f"{self.id}-help"] if self.has_help else []) + ([f"{self.id}-err"] if self.errors else []))


def widgets(form_id: str, fields: tuple[FieldSpec, ...], values: Mapping[str, str] | None = None,
            errors: Mapping[str, list[str]] | None = None,
            people: Mapping[str, tuple[tuple[str, str], ...]] | None = None) -> list[Widget]:
    """`people`: for the fields with `options_from:`, the persons to offer by role, or the setting's choices
    (workflow/people_options.py, keyed by OptionsFrom.key); without it such a field stays a text input."""
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
        out.append(Widget(
            name=f.name, id=f"{form_id}-{f.name}", label=f.label.get(lang), help=f.help, control=control,
            input_type=input_type, required=f.required, value=value, options=options,
            attrs=tuple(attrs), list_help=f.type == "string_list", errors=tuple(errors.get(f.name, ())),
            required_when=_required_when(f, fields, lang),
            other=control == "checkboxes" and f.options_from is not None and f.options_from.record is not None,
        ))
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
    """What the user typed, to put back into the form after a refusal."""
    return {f.name: "\n".join(form.getlist(f.name)) if f.type == "string_list" else form.get(f.name, "")
            for f in fields}
