"""Procedure pages, the living specs: for counsel and auditors, each definition version as the engine runs it.

`/procedures` lists every procedure and version; `/procedures/<id>/v<version>` shows one: its state diagram
(drawn on the server from the definition, web/diagram.py), its states, its steps with roles, legal rules
(guards, with article and explanation, from the guard registry), separation of duties and payload fields,
its deadlines, the acts to record on audio-video, and the Gherkin scenarios that specify it with the result of
their latest test run (web/specs.py). Every logged-in user may read them. Nothing here is a rule of its own:
all of it is read from the definition, the guard registry and the feature files.

Configuration: FEATURES_DIR (default: $LAWFLOW_FEATURES_DIR or the repository's features/) and FEATURE_REPORT
(default: $LAWFLOW_FEATURE_REPORT or <instance>/test-report/features.json) in the app config.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, render_template
from markupsafe import Markup
from werkzeug.wrappers import Response

from web import diagram, specs
from web.errors import PublicNotFound
from web.i18n import _, current_lang
from web.present import fmt_datetime, setting_name
from web.runtime import runtime
from workflow.definitions import DeadlineSpec, Procedure, Transition
from workflow.payloads import FieldSpec
from workflow.procedures import guard_label

bp = Blueprint("procedures", __name__, url_prefix="/procedures")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
BACKEND_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def _features_dir() -> Path:
    return Path(current_app.config.get("FEATURES_DIR") or specs.features_dir())


def _report_path() -> Path:
    return Path(current_app.config.get("FEATURE_REPORT") or specs.report_path(runtime().instance))


def _procedure(procedure_id: str, version: int) -> Procedure:
    if not NAME.match(procedure_id):
        raise PublicNotFound()
    try:
        return runtime().registry.get(procedure_id, version)
    except KeyError:
        raise PublicNotFound() from None


def _is_latest(procedure: Procedure) -> bool:
    return runtime().registry.get(procedure.id).version == procedure.version


# ---------------------------------------------------------------- wording


def type_label(kind: str) -> str:
    return {"string": _("文本"), "text": _("长文本"), "integer": _("整数"), "boolean": _("是/否"),
            "date": _("日期"), "choice": _("选项"), "string_list": _("多项文本"), "decimal": _("数额")}.get(kind, kind)


def unit_label(unit: str) -> str:
    return _("工作日") if unit == "working_days" else _("日历日")


def outcome_label(outcome: str) -> str:
    return {"passed": _("通过"), "failed": _("未通过"), "skipped": _("跳过"), "xfailed": _("已知缺陷"),
            "xpassed": _("已知缺陷意外通过"), "none": _("未运行")}.get(outcome, outcome)


def row_outcome(result: specs.ScenarioResult | None, header: tuple[str, ...], row: tuple[str, ...]) -> str:
    """An outline's example row's result over the databases it ran on."""
    if result is None:
        return "none"
    return result.rows.get(tuple(sorted(zip(header, row, strict=False))), "none")


OUTCOME_MARKS = {"passed": "✓", "failed": "✗", "skipped": "–", "xfailed": "!", "xpassed": "✗", "none": "?"}


def _field_text(f: FieldSpec, lang: str) -> dict[str, Any]:
    limits = []
    if f.min_length is not None:
        limits.append(_("至少{n}字", n=f.min_length))
    if f.max_length is not None:
        limits.append(_("至多{n}字", n=f.max_length))
    if f.minimum is not None:
        limits.append(_("不小于{n}", n=f.minimum))
    if f.maximum is not None:
        limits.append(_("不大于{n}", n=f.maximum))
    return {"name": f.name, "label": f.label.get(lang), "type": type_label(f.type), "required": f.required,
            "choices": [label.get(lang) for _value, label in f.choices], "limits": limits, "help": f.help}


def _payload_field(procedure: Procedure, triggers: tuple[str, ...], name: str | None) -> str:
    """The label of a payload field named by a deadline, looked up on the steps it refers to."""
    if not name:
        return ""
    lang = current_lang()
    steps = [procedure.create] if "create" in triggers else []
    steps += [t for t in procedure.transitions if t.trigger in triggers]
    for t in steps:
        for f in t.payload:
            if f.name == name:
                return f.label.get(lang)
    return name


# ---------------------------------------------------------------- view models


@dataclass
class StepRow:
    trigger: str
    label: str
    sources: list[str]
    dest: str  # "" : stays in its stage
    roles: list[str]
    guards: list[dict[str, str]]
    separation: list[str]
    attachment: bool
    new_round: bool
    audio_video: bool
    fields: list[dict[str, Any]]
    basis: str
    is_create: bool = False


@dataclass
class StateRow:
    name: str
    label: str
    initial: bool
    terminal: bool
    within: list[str]
    exits: list[tuple[str, str]]  # (step, to state)
    entries: list[str]


@dataclass
class DeadlineRow:
    name: str
    label: str
    kind: str
    length: str
    unit: str
    starts: list[str]
    start_note: str
    ends: list[str]
    end_note: str
    cleared: list[str]
    basis: str
    timers: list[str] = field(default_factory=list)  # what the period's time brings (workflow/timers/)


@dataclass
class ProcedureView:
    procedure: Procedure
    label: str
    latest: bool
    states: list[StateRow] = field(default_factory=list)
    steps: list[StepRow] = field(default_factory=list)
    deadlines: list[DeadlineRow] = field(default_factory=list)
    roles: list[tuple[str, str]] = field(default_factory=list)
    guard_count: int = 0
    date_pairs: list[dict[str, str]] = field(default_factory=list)  # typed dates kept in order (typed_dates)
    future_dates: list[str] = field(default_factory=list)  # fields naming a planned date
    opened: str = ""  # the office's word for opening a case: 立案, 提出 … (create: opened_as:)


def _step_label(procedure: Procedure, trigger: str) -> str:
    lang = current_lang()
    if trigger == "create":
        return procedure.create.label.get(lang)
    return next((t.label.get(lang) for t in procedure.transitions if t.trigger == trigger), trigger)


def _step_row(procedure: Procedure, t: Transition, is_create: bool = False) -> StepRow:
    lang = current_lang()
    states = procedure.states
    guards = []
    in_person = procedure.in_person  # its rule is checked on each of its acts, as a guard of the step
    for name in (*t.guards, *([in_person.rule] if in_person and t.trigger in in_person.acts else [])):
        g = guard_label(name)
        guards.append({"name": name, "article": g.article if g else "", "text": g.text(lang) if g else ""})
    av = procedure.audio_video
    return StepRow(
        trigger=t.trigger, label=t.label.get(lang),
        sources=[states[s].label.get(lang) for s in t.sources],
        dest=states[t.dest].label.get(lang) if t.dest else "",
        roles=[procedure.roles[r].get(lang) if r in procedure.roles else r for r in t.roles],
        guards=guards,
        separation=[procedure.roles[r].get(lang) if r in procedure.roles else r for r in t.separation_from],
        attachment=t.attachment, new_round=t.new_round,
        audio_video=bool(av and t.trigger in av.acts),
        fields=[_field_text(f, lang) for f in t.payload], basis=t.basis, is_create=is_create,
    )


def _deadline_row(procedure: Procedure, d: DeadlineSpec) -> DeadlineRow:
    lang = current_lang()
    working = d.unit == "working_days"
    if d.n is not None:
        length = _("{n}个工作日", n=d.n) if working else _("{n}日", n=d.n)
    elif d.n_from:
        length = _("按「{field}」所填日数", field=_payload_field(procedure, d.starts_on, d.n_from))
    elif d.n_setting:
        length = _("按本单位设置 {key}", key=setting_name(d.n_setting))
    elif d.due_from:
        length = _("至「{field}」所填日期", field=_payload_field(procedure, d.starts_on, d.due_from))
    elif d.due_by:  # a due-date rule of the family (workflow/due_rules.py)
        length = _("依案件记录计算（规则 {rule}），每一步骤后重新计算，暂停期间不计算", rule=d.due_by)
    else:
        length = ""
    return DeadlineRow(
        name=d.name, label=d.label.get(lang),
        kind=_("最短期间") if d.kind == "minimum" else _("办理时限"),
        # a unit the organisation sets (unit_setting) is named as its setting, like a length it sets
        length=length, unit=_("按本单位设置 {key}", key=setting_name(d.unit_setting)) if d.unit_setting
        else unit_label(d.unit),
        starts=[_step_label(procedure, s) for s in d.starts_on],
        start_note=_("自「{field}」起算", field=_payload_field(procedure, d.starts_on, d.start_from))
        if d.start_from else "",
        ends=[_step_label(procedure, s) for s in d.ends_on],
        end_note=_("以「{field}」为准", field=_payload_field(procedure, d.ends_on, d.end_from))
        if d.end_from else "",
        cleared=[_step_label(procedure, s) for s in d.cleared_on],
        basis=d.basis, timers=_timer_texts(procedure, d),
    )


def _timer_texts(procedure: Procedure, d: DeadlineSpec) -> list[str]:
    """The deadline's timers as a reader of the spec says them: who is reminded when, who is told after, which
    step the system takes when the period ends."""
    lang = current_lang()

    def roles(names: tuple[str, ...], addressed: tuple[str, ...] = ()) -> str:
        if not names and not addressed:  # a timer without roles tells those who may take a step that ends the period
            names = tuple(dict.fromkeys(r for t in procedure.transitions if t.trigger in d.ends_on for r in t.roles))
        said = [procedure.roles[r].get(lang) if r in procedure.roles else r for r in names]
        if addressed and procedure.addressee is not None:  # the people of the organisation the case is addressed to
            said.append(_("{org}的{roles}", org=procedure.addressee.label.get(lang), roles=_("、").join(
                procedure.roles[r].get(lang) if r in procedure.roles else r for r in addressed)))
        return _("、").join(said)

    out = []
    for t in d.timers:
        if t.kind == "remind":
            offsets = [(_("{n}个工作日", n=o) if t.unit == "working_days" else _("{n}日", n=o)) if isinstance(o, int)
                       else _("按本单位设置 {key}", key=setting_name(o)) for o in t.offsets]
            out.append(_("届满前提醒{roles}（提前{offsets}）", roles=roles(t.to, t.to_addressee), offsets=_("、").join(offsets)))
        elif t.kind == "overdue":
            told = _("逾期次日通知{roles}", roles=roles(t.to, t.to_addressee))
            superior = procedure.roles[t.escalate_to].get(lang) if t.escalate_to in procedure.roles else ""
            out.append(told + (_("，并报{superior}督办", superior=superior) if superior else ""))
        else:
            out.append(_("届满次日由系统自动办理「{step}」", step=_step_label(procedure, t.trigger or "")))
    return out


def procedure_view(procedure: Procedure) -> ProcedureView:
    lang = current_lang()
    view = ProcedureView(procedure, procedure.label.get(lang), _is_latest(procedure),
                         opened=procedure.opened_as.get(lang))
    for name, state in procedure.states.items():
        view.states.append(StateRow(
            name=name, label=state.label.get(lang), initial=name == procedure.initial, terminal=state.terminal,
            within=[t.label.get(lang) for t in procedure.transitions if name in t.sources and t.dest in (None, name)],
            exits=[(t.label.get(lang), procedure.states[t.dest].label.get(lang)) for t in procedure.transitions
                   if name in t.sources and t.dest not in (None, name)],
            entries=([procedure.create.label.get(lang)] if name == procedure.initial else [])
            + [t.label.get(lang) for t in procedure.transitions if t.dest == name and name not in t.sources],
        ))
    view.steps = [_step_row(procedure, procedure.create, is_create=True)]
    view.steps += [_step_row(procedure, t) for t in procedure.transitions]
    view.deadlines = [_deadline_row(procedure, d) for d in procedure.deadlines.values()]
    view.roles = [(code, label.get(lang)) for code, label in procedure.roles.items()]
    view.guard_count = len({g for t in (procedure.create, *procedure.transitions) for g in t.guards})
    rules = procedure.dates

    def side(ref: str) -> str:
        named = rules.side_labels.get(ref)
        return named.get(lang) if named else ref

    view.date_pairs = [{"name": p.name, "label": p.label.get(lang), "earlier": side(p.earlier.ref),
                        "later": side(p.later.ref), "basis": p.basis} for p in rules.pairs]
    view.future_dates = [side(f"{trigger}.{name}") for trigger, name in sorted(rules.future_allowed)]
    return view


def _report_view(report: specs.Report | None) -> dict[str, Any] | None:
    if report is None:
        return None
    backends = sorted({b for r in report.scenarios.values() for b in r.backends},
                      key=lambda b: (b not in specs.BACKENDS, specs.BACKENDS.index(b) if b in specs.BACKENDS else 0, b))
    return {
        "path": str(report.path), "problem": report.problem,
        "time": fmt_datetime(report.generated_at) if report.generated_at else "",
        "commit": (report.commit or "")[:12], "complete": report.complete,
        "backends": [(b, BACKEND_LABELS.get(b, b)) for b in backends],
    }


# ---------------------------------------------------------------- pages


@bp.get("/")
def index() -> str:
    rt = runtime()
    lang = current_lang()
    base = _features_dir()
    report = specs.load_report(_report_path())
    ids = sorted({p.id for p in rt.registry.all()})
    groups = []
    for pid in ids:
        versions = sorted((p for p in rt.registry.all() if p.id == pid), key=lambda p: -p.version)
        rows = []
        for i, p in enumerate(versions):
            spec = specs.procedure_specs(p.id, ids, base, report) if i == 0 else None
            rows.append({
                "procedure": p, "label": p.label.get(lang), "latest": i == 0,
                "states": len(p.states), "steps": len(p.transitions) + 1,
                "guards": len({g for t in (p.create, *p.transitions) for g in t.guards}),
                "deadlines": len(p.deadlines), "scenarios": spec.scenario_count if spec else None,
                "counts": spec.counts() if spec and report and not report.problem else None,
            })
        groups.append(rows)
    return render_template("procedures/index.html", groups=groups, report=_report_view(report))


@bp.get("/<procedure_id>/v<int:version>")
def show(procedure_id: str, version: int) -> str:
    procedure = _procedure(procedure_id, version)
    lang = current_lang()
    view = procedure_view(procedure)
    report = specs.load_report(_report_path())
    ids = sorted({p.id for p in runtime().registry.all()})
    spec = specs.procedure_specs(procedure.id, ids, _features_dir(), report) if view.latest else None
    drawn = diagram.render(procedure, lang)  # None without Graphviz: the page says so
    svg = Markup(drawn) if drawn else None  # noqa: S704 - Graphviz's SVG of XML-escaped labels (web/diagram.py)
    shared = [runtime().registry.get(p).label.get(lang) for p in spec.shared_with] if spec else []
    return render_template("procedures/show.html", view=view, svg=svg, spec=spec, shared=shared,
                           report=_report_view(report), outcome_label=outcome_label, marks=OUTCOME_MARKS,
                           latest_version=runtime().registry.get(procedure.id).version, row_outcome=row_outcome)


@bp.get("/<procedure_id>/v<int:version>/diagram.svg")
def diagram_svg(procedure_id: str, version: int) -> Response:
    procedure = _procedure(procedure_id, version)
    drawn = diagram.render(procedure, current_lang())
    if drawn is None:
        return Response(_("状态图暂不可用：服务器未安装 Graphviz（dot）。"), status=503, mimetype="text/plain")
    response = Response('<?xml version="1.0" encoding="UTF-8"?>\n' + drawn, mimetype="image/svg+xml")
    response.headers["Content-Disposition"] = f'inline; filename="{procedure.id}.v{procedure.version}.svg"'
    return response
