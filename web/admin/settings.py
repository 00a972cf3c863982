"""Organisation settings: the catalogue (workflow/settings.py) with each current value, its source document,
who set it and when, and a form to change one. The form requires the source: a value is never stored without
the document that sets it (legal-facts §12). The source field starts empty, so an old source is never carried
over to a new value by accident.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from web.admin.common import bp, clock, errors_of, form_text
from web.errors import PublicNotFound
from web.forms import widgets
from web.i18n import _, current_lang
from web.present import fmt_datetime, person
from web.runtime import runtime
from workflow import administration, wording
from workflow.accounts import people_of
from workflow.administration import AdminError
from workflow.definitions import Label
from workflow.models import OrgSetting
from workflow.payloads import FieldSpec
from workflow.settings import (
    AMOUNTS_BY_PARTY,
    BY_KEY,
    CATALOGUE,
    INTEGER,
    PARTY_TYPES,
    POWER_LIST,
    STRING,
    TRIGGER_LIST,
    TYPE_LABELS,
    SettingSpec,
    allowed_values,
)

SEPARATORS = ("｜", "|")  # a delegated power is typed as 执法领域｜处罚事项, one a line


def _shown(spec: SettingSpec, value: Any) -> list[str]:
    """A stored value as lines of text for the page."""
    lang = current_lang()
    if value is None:
        return []
    if spec.secret:  # a credential: set or not, never shown (the journal keeps its hash)
        return [_("已设置（凭据不显示）")]
    if spec.type == AMOUNTS_BY_PARTY and isinstance(value, Mapping):
        return [_("{party}：{amount}", party=label.get(lang),
                  amount=wording.amount(value[party]) if party in value else "—")
                for party, label in PARTY_TYPES.items()]
    if spec.type == TRIGGER_LIST and isinstance(value, list):
        labels = dict(allowed_values(spec, runtime().registry))
        return [f"{labels[v].get(lang)}{_paren(v)}" if v in labels else str(v) for v in value]
    if spec.type == POWER_LIST and isinstance(value, list):
        return [f"{p.get('field', '')}｜{p.get('power', '')}" if isinstance(p, Mapping) else str(p) for p in value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def _paren(text: str) -> str:
    return f" ({text})" if current_lang() == "en" else f"（{text}）"


@bp.get("/settings")
def settings() -> str:
    with runtime().sessions() as s:
        stored = {r.key: r for r in s.scalars(select(OrgSetting).where(OrgSetting.org_id == current_user.org_id))}
        names = people_of(s, current_user.org_id)
    lang = current_lang()
    rows = []
    for spec in CATALOGUE:
        row = stored.get(spec.key)
        rows.append({
            "spec": spec, "label": spec.label.get(lang), "type": TYPE_LABELS[spec.type].get(lang),
            "why": spec.why_local.get(lang), "set": row is not None,
            "value": _shown(spec, (row.value or {}).get("value")) if row else [],
            "source": row.source if row else "", "by": person(names, row.updated_by) if row else "",
            "at": fmt_datetime(row.updated_at) if row else "",
        })
    unknown = sorted(set(stored) - set(BY_KEY))  # stored before the catalogue knew them: shown, not hidden
    return render_template("admin/settings.html", rows=rows, unknown=unknown)


# ---------------------------------------------------------------- changing one


def _fields(spec: SettingSpec) -> tuple[FieldSpec, ...]:
    value_label = Label("取值", "Value")
    if spec.type == STRING:
        examples = "、".join(spec.examples)
        value = (FieldSpec("value", "string", value_label, required=True, max_length=200,
                           help=_("例如：{examples}", examples=examples) if examples else ""),)
    elif spec.type == INTEGER:
        value = (FieldSpec("value", "integer", value_label, required=True, minimum=spec.minimum,
                           maximum=spec.maximum),)
    elif spec.type == AMOUNTS_BY_PARTY:
        value = tuple(FieldSpec(party, "decimal", Label(f"{label.zh}（元）", f"{label.en} (yuan)"), required=True,
                                help=_("达到该数额即属较大数额。")) for party, label in PARTY_TYPES.items())
    elif spec.type == POWER_LIST:
        value = (FieldSpec("value", "string_list", value_label, required=True, max_length=600,
                           help=_("格式：执法领域｜处罚事项")),)
    elif spec.type == TRIGGER_LIST:
        value = ()  # checkboxes of the procedure's steps (the template draws them)
    else:
        value = (FieldSpec("value", "string_list", value_label, required=True, max_length=500),)
    source = FieldSpec("source", "text", Label("依据来源（设定该规则的文件）", "Source (the document that sets it)"),
                       required=True, max_length=administration.SOURCE_MAX,
                       help=_("必填。例如：{example}", example=spec.source_example))
    return (*value, source)


def _form_values(spec: SettingSpec, value: Any) -> dict[str, str]:
    """The current value as the form's inputs show it (a credential: never; it is typed anew)."""
    if value is None or spec.secret:
        return {}
    if spec.type == AMOUNTS_BY_PARTY and isinstance(value, Mapping):
        return {party: str(value.get(party, "")) for party in PARTY_TYPES}
    return {"value": "\n".join(_shown(spec, value)) if spec.type == POWER_LIST or isinstance(value, list)
            else str(value)}


def _value_from_form(spec: SettingSpec) -> Any:
    """The submitted value, translated as typed: the catalogue's validation (the only one) judges it."""
    form = request.form
    if spec.type == AMOUNTS_BY_PARTY:
        return {party: form_text(form, party) for party in PARTY_TYPES}
    if spec.type == TRIGGER_LIST:
        return form.getlist("value")
    text = form_text(form, "value")
    if spec.type == INTEGER:
        try:
            return int(text)
        except ValueError:
            return text  # refused as not a whole number, naming the field
    if spec.type == STRING:
        return text
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if spec.type == POWER_LIST:
        return [_power(line) for line in lines]
    return lines


def _power(line: str) -> dict[str, str]:
    for sep in SEPARATORS:
        if sep in line:
            field, _sep, power = line.partition(sep)
            return {"field": field.strip(), "power": power.strip()}
    return {"field": line, "power": ""}  # refused: the penalty power is missing on this line


@bp.route("/settings/<key>", methods=["GET", "POST"])
def setting(key: str) -> str | Response | tuple[str, int]:
    spec = BY_KEY.get(key)
    if spec is None:
        raise PublicNotFound("没有该设置项。")
    with runtime().sessions() as s:
        row = s.get(OrgSetting, (current_user.org_id, key))
        names = people_of(s, current_user.org_id)
        current = None if row is None else {
            "value": _shown(spec, (row.value or {}).get("value")), "source": row.source,
            "by": person(names, row.updated_by), "at": fmt_datetime(row.updated_at),
            "raw": (row.value or {}).get("value")}
    if request.method == "GET":
        values = _form_values(spec, current["raw"]) if current else {}
        checked = {v for v in current["raw"] if isinstance(v, str)} \
            if spec.type == TRIGGER_LIST and current and isinstance(current["raw"], list) else set()
        return _page(spec, current, values, {}, checked)
    value = _value_from_form(spec)
    source = form_text(request.form, "source")
    try:
        changed = administration.change_setting(runtime().sessions, actor=current_user.username, key=key,
                                                value=value, source=source, registry=runtime().registry, now=clock())
    except AdminError as exc:
        kept = {name: request.form.get(name, "") for name in ("value", "source", *PARTY_TYPES)}
        checked = set(request.form.getlist("value")) if spec.type == TRIGGER_LIST else set()
        return _page(spec, current, kept, errors_of(exc), checked), 422
    lang = current_lang()
    flash(_("已更新「{label}」。", label=spec.label.get(lang)) if changed else _("取值和依据来源均未变化。"),
          "success" if changed else "info")
    return redirect(url_for("admin.settings") + f"#setting-{key}")


def _page(spec: SettingSpec, current: Mapping[str, Any] | None, values: Mapping[str, str],
          errors: Mapping[str, list[str]], checked: set[str]) -> str:
    lang = current_lang()
    steps = [{"value": v, "label": label.get(lang), "checked": v in checked}
             for v, label in allowed_values(spec, runtime().registry)]
    return render_template(
        "admin/setting.html", spec=spec, label=spec.label.get(lang), why=spec.why_local.get(lang),
        type=TYPE_LABELS[spec.type].get(lang), current=current, steps=steps,
        widgets=widgets("setting", _fields(spec), values, errors), step_errors=errors.get("value", [])
        if spec.type == TRIGGER_LIST else [], general=errors.get("", []) + errors.get("key", []))
