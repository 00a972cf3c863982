"""The `lawflow` command. An adapter: every case change goes through engine.fire / engine.create_case.

Errors are one clear line (Chinese first) and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import json
import os
import sys
import unicodedata
from datetime import date
from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from workflow import inputs, org_tree
from workflow.case_reading import Reader
from workflow.deadlines import describe, due_order
from workflow.definitions import DefinitionError, DefinitionErrors, load_file
from workflow.engine import Outcome
from workflow.models import AuditEvent, Case
from workflow.runtime import Runtime


class UserError(click.ClickException):
    """A problem the user can fix; printed as one line."""

    def format_message(self) -> str:
        return self.message


class NotInitialised(UserError):
    """The instance has no database schema yet: exit 2, like a usage error."""

    exit_code = 2


# Commands that need no initialised database: init makes it, demo initialises it itself, definitions read files.
_NO_SCHEMA_NEEDED = frozenset({"init", "demo", "definitions", "restore"})  # restore: into an empty database


def _rt(ctx: click.Context, *, schema: bool = True) -> Runtime:
    obj = ctx.ensure_object(dict)
    rt: Runtime = obj.setdefault("runtime", Runtime.from_env())
    if schema and not obj.get("schema_checked") and ctx.find_root().invoked_subcommand not in _NO_SCHEMA_NEEDED:
        from workflow.first_run import not_initialised_message, schema_missing

        if schema_missing(rt.db):
            raise NotInitialised(not_initialised_message(rt.database_url))
        obj["schema_checked"] = True
    return rt


def _json_arg(text: str | None, what: str) -> Any:
    if text is None:
        return {}
    try:
        return inputs.loads(text)  # bounded: depth, digits, no lone surrogates (workflow/inputs.py)
    except inputs.JsonInputError as exc:
        raise UserError(f"{what} 不是有效的 JSON / is not valid JSON: {exc.problem.text()}") from None
    except json.JSONDecodeError as exc:
        raise UserError(f"{what} 不是有效的 JSON / is not valid JSON: {exc.msg} (column {exc.colno})") from None


def _print_outcome(outcome: Outcome, lang: str) -> None:
    if outcome.ok:
        click.echo(f"{outcome.case_id}: {outcome.trigger} → {outcome.to_state} (事件序号 seq {outcome.seq})")
        return
    where = f"{outcome.case_id}: " if outcome.case_id else ""
    click.echo(f"{where}已拒绝 refused: {outcome.trigger}", err=True)
    for reason in outcome.reasons:
        field = f"[{reason.field}] " if reason.field else ""
        click.echo(f"  - {field}{reason.text(lang)}", err=True)
    sys.exit(3)


@click.group()
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", help="Message language.")
@click.pass_context
def cli(ctx: click.Context, lang: str) -> None:
    """lawflow：重大行政决策与行政执法程序引擎 / workflow and legality-review engine."""
    from workflow.filemodes import restrict_umask

    restrict_umask()  # the database, evidence and keys this creates are the owner's only
    ctx.ensure_object(dict)["lang"] = lang


@cli.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create or upgrade the database schema (Alembic migrations)."""
    from workflow.filemodes import readable_by_others

    rt = _rt(ctx)
    rt.migrate()
    click.echo(f"数据库已就绪 database ready: {rt.database_url}")
    if readable_by_others(rt.instance):
        click.echo(f"注意 note: 实例目录可被其他用户访问 the instance folder {rt.instance} is open to other users; "
                   f"chmod 700 it unless that is intended", err=True)


@cli.command()
@click.option("--if-missing", is_flag=True, help="Do nothing (exit 0) when the demo is already loaded.")
@click.pass_context
def demo(ctx: click.Context, if_missing: bool) -> None:
    """Load the Houlong town demo (users, settings, decisions at different stages)."""
    from workflow.demo import DEMO_PASSWORD, USERS, seed
    from workflow.models import Organization

    rt = _rt(ctx)
    _ensure_schema(rt)
    with rt.sessions() as session:
        if session.get(Organization, "houlong") is not None:
            if if_missing:
                return
            raise UserError("演示数据已存在 / the demo data is already loaded")
    cases = seed(rt, full_registers=True)
    click.echo(f"已载入演示数据 demo loaded: {len(cases)} 件案件 cases ({', '.join(cases)})")
    from workflow.audit import signing
    from workflow.audit.checkpoint import make_checkpoint

    if not rt.key_path.exists():
        rt.key_path.parent.mkdir(parents=True, exist_ok=True)
        signing.generate_key_file(rt.key_path)
    result = make_checkpoint(rt.sessions, rt.key_path, rt.origin, rt.clock)
    click.echo(f"已签署检查点 checkpoint signed: tree_size {result.tree_size} (key {rt.key_path})")
    click.echo(f"演示账号 demo accounts (password {DEMO_PASSWORD}): " + ", ".join(u["username"] for u in USERS))
    from workflow import demo_district
    click.echo(f"区和峰尾镇的演示账号 the district's and Fengwei's demo accounts (password {demo_district.PASSWORD}): "
               + ", ".join(u["username"] for u in demo_district.DISTRICT_USERS + demo_district.TOWN2_USERS))


def _ensure_schema(rt: Runtime) -> None:
    """Migrate only a schema that needs it: on PostgreSQL the runtime role (lawflow_app) may not change the
    schema, and `lawflow demo` run as that role must load into the schema the owner's `lawflow init` made."""
    from sqlalchemy.exc import ProgrammingError

    from workflow.db import schema_is_current

    if schema_is_current(rt.db):
        return
    try:
        rt.migrate()
    except ProgrammingError:
        raise UserError("数据库结构不是最新版本，且当前数据库角色无权修改：请先以表所有者运行 lawflow init / the schema is not "
                        "current and this database role may not change it: run `lawflow init` as the table owner "
                        "first") from None


# ---------------------------------------------------------------- cases


@cli.group()
def case() -> None:
    """Cases: start, list, show, history, fire a step."""


@case.command("new")
@click.option("--procedure", default="major_decision", show_default=True)
@click.option("--as", "actor", required=True, help="User name of the person acting.")
@click.option("--data", help="Payload as JSON, e.g. '{\"title\": \"...\"}'.")
@click.pass_context
def case_new(ctx: click.Context, procedure: str, actor: str, data: str | None) -> None:
    """Start a case."""
    rt = _rt(ctx)
    _print_outcome(rt.engine.create_case(procedure, actor, _json_arg(data, "--data")), ctx.obj["lang"])


@case.command("fire")
@click.argument("case_id")
@click.argument("trigger")
@click.option("--as", "actor", required=True, help="User name of the person acting.")
@click.option("--data", help="Payload as JSON.")
@click.option("--expect-version", type=int, help="Refuse if the case has changed since this version.")
@click.option("--file", "file_path", type=click.Path(dir_okay=False),
              help="The record's file, for a step that attaches one (attach_record).")
@click.pass_context
def case_fire(ctx: click.Context, case_id: str, trigger: str, actor: str, data: str | None,
              expect_version: int | None, file_path: str | None) -> None:
    """Take a step (TRIGGER) on a case."""
    rt = _rt(ctx)
    payload = _json_arg(data, "--data")
    attachment = None
    if file_path is not None:
        try:
            with open(file_path, "rb") as f:
                attachment = rt.records.stage(f, filename=os.path.basename(file_path))
        except OSError as exc:
            raise UserError(f"无法读取文件 cannot read {file_path}: {exc.strerror}") from None
    outcome = rt.engine.fire(case_id, trigger, actor, payload, expected_version=expect_version,
                             attachment=attachment)
    _print_outcome(outcome, ctx.obj["lang"])


@case.command("list")
@click.option("--state", help="Only cases in this state.")
@click.option("--as", "actor", help="Read as this user: their organisation's cases, and a supervisor's those below it.")
@click.option("--org", help="Only this organisation's cases (with --as: one of those the user reads).")
@click.pass_context
def case_list(ctx: click.Context, state: str | None, actor: str | None, org: str | None) -> None:
    """List cases with their stage and next deadline."""
    rt = _rt(ctx)
    with rt.sessions() as session:
        query = select(Case).order_by(Case.id)
        if state:
            query = query.where(Case.state == state)
        shown = _case_reader(rt, session, actor) if actor else None
        orgs: dict[str, str] = {}
        if shown is not None:  # as the web's list reads it (workflow/case_reading.py), issue 14
            if org and org not in shown.orgs():
                raise UserError(f"单位「{_safe(org)}」不在该用户可查阅的范围内 / {_safe(actor)!r} does not read "
                                f"organisation {_safe(org)!r}; they read: {', '.join(shown.orgs())}")
            query = query.where(shown.scope_clause(org))
            orgs = org_tree.names(session, shown.orgs(), ctx.obj["lang"]) if shown.below else {}
        elif org:
            query = query.where(Case.org_id == org)
        today = rt.engine.today()
        for c in session.scalars(query):
            lang = ctx.obj["lang"]
            label = _state_label(rt, c, lang)
            due_text = ""
            limits = [d for d in c.deadlines if d.kind == "limit"]
            if limits:
                view = describe(min(limits, key=due_order), rt.engine.procedure_of(c), today, rt.engine.calendar)
                summary = view.summary_en() if lang == "en" else view.summary_zh()
                due_text = f"  {view.label.get(lang)} {view.due.isoformat() if view.due else '—'} {summary}"
            title = c.title if shown is None else shown.title(shown.procedure(c.procedure, c.procedure_version),
                                                                c.title)
            where = f"{_pad(_safe(orgs.get(c.org_id, c.org_id)), 24)}  " if orgs else ""
            click.echo(f"{c.id}  {where}{_pad(label, 14)}  {_safe(title)}{due_text}")


def _case_reader(rt: Runtime, session: Any, actor: str) -> Reader:
    """What `actor` may read, as the web reads it for them (workflow/case_reading.py Reader.for_user)."""
    from workflow.models import User

    user = session.scalar(select(User).where(User.username == actor))
    if user is None or not user.active:
        raise UserError(f"用户「{_safe(actor)}」不存在或已停用 / no active user {_safe(actor)!r}")
    return Reader.for_user(session, rt.registry, user.role_names, user.org_id)


def _safe(text: object) -> str:
    """User text as it may go to a terminal: control and direction characters escaped (workflow/inputs.py)."""
    return inputs.printable(str(text))


def _pad(text: str, width: int) -> str:
    """Left-justify for a terminal, where a Chinese character takes two columns."""
    return text + " " * max(0, width - _width(text))


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _state_label(rt: Runtime, case: Case, lang: str) -> str:
    try:
        return rt.engine.procedure_of(case).states[case.state].label.get(lang)
    except KeyError:
        return case.state


@case.command("show")
@click.argument("case_id")
@click.option("--as", "actor", help="Read as this user (a case they may not read is not found; personal data as "
                                    "their roles allow) and list the steps they may take now.")
@click.pass_context
def case_show(ctx: click.Context, case_id: str, actor: str | None) -> None:
    """Show a case: state, deadlines, recorded data, next steps."""
    rt = _rt(ctx)
    lang = ctx.obj["lang"]
    with rt.sessions() as session:
        c = session.get(Case, case_id)
        shown = _case_reader(rt, session, actor) if actor else None
        if c is None or (shown is not None and not shown.sees_case(c)):  # the same words: no existence leak
            raise UserError(f"案件「{_safe(case_id)}」不存在 / no such case")
        proc = rt.engine.procedure_of(c)
        title, data = (c.title, c.data) if shown is None else (shown.title(proc, c.title), shown.data(proc, c.data))
        click.echo(f"{c.id}  {_safe(title)}")
        if shown is not None and shown.below:
            click.echo(f"单位 organisation: {_safe(org_tree.names(session, [c.org_id], lang)[c.org_id])}")
        click.echo(f"程序 procedure: {proc.label.get(lang)} ({proc.ref})   状态 state: {_state_label(rt, c, lang)}"
                   f" [{c.state}]   版本 version: {c.version}")
        for d in c.deadlines:
            spec = proc.deadlines[d.name]
            flag = "（推算 provisional）" if d.provisional else ""
            due = d.due.isoformat() if d.due else f"已暂停 paused ({d.paused_en if lang == 'en' else d.paused_zh})"
            click.echo(f"期限 {spec.label.get(lang)}: {due}{flag}  [{spec.basis}]")
        # json.dumps escapes C0 controls but not C1 or direction overrides: those are escaped line by line
        click.echo("\n".join(_safe(line) for line in json.dumps(data, ensure_ascii=False, indent=2).splitlines()))
        if actor and shown is not None and not shown.acts_in(c.org_id):
            click.echo("可办理 next steps: 无（上级机关对下级机关案件只能查阅 / read only: a case of an organisation "
                       "below)")
        elif actor:
            steps = rt.engine.available_transitions(session, c, actor)
            click.echo("可办理 next steps: " + (", ".join(f"{t.trigger}（{t.label.get(lang)}）" for t in steps) or "无"))


@case.command("records")
@click.argument("case_id")
@click.pass_context
def case_records(ctx: click.Context, case_id: str) -> None:
    """The files of a case (执法全过程记录, 决策过程记录和材料): each stage's records and the audio-video acts.
    Exit 0 when complete, 4 when a stage has no record (where the procedure asks for one in every stage) or a
    mandatory audio-video record is missing."""
    from workflow.completeness import completeness, format_label

    rt = _rt(ctx)
    lang = ctx.obj["lang"]
    with rt.sessions() as session:
        c = session.get(Case, case_id)
        if c is None:
            raise UserError(f"案件「{case_id}」不存在 / no such case")
        report = completeness(session, rt.engine.procedure_of(c), c, rt.records, lang)
    click.echo(f"{report.case_id} {report.title or '全过程记录 records'}")
    for stage in report.stages:
        mark = "" if stage.records else "  ✗ 无记录 no record"
        click.echo(f"【{stage.label}】 文字 text {stage.text_count} / 音像 av {stage.av_count}{mark}")
        for r in stage.records:
            kind = r.material_label or ("音像" if r.kind == "av" else "文字")
            extra = f" {r.details.get('duration_seconds')}秒 {_safe(r.details.get('device', ''))}" if r.details.get("device") \
                else ""
            file_ok = "" if r.file_present else "  ✗ 文件缺失 file missing"
            act = f" [{r.act_label}]" if r.act_label else ""
            click.echo(f"  #{r.no} {kind} {_safe(r.title)}{act} {format_label(r.format)} {r.size:,} 字节 bytes"
                       f"{extra} {r.made_on} sha256:{r.sha256[:16]}…{file_ok}")
    for act in report.av_acts:
        status = f"已有音像记录 #{', #'.join(map(str, act.record_nos))}" if act.covered else "✗ 缺少音像记录 missing"
        click.echo(f"须全程音像记录 mandatory AV: {act.label}（事件 seq {act.seq}）：{status}")
    if report.basis:
        click.echo(f"依据 basis: {report.basis}")
    if not report.complete:
        click.echo("记录不完整 incomplete", err=True)
        sys.exit(4)
    click.echo("记录完整 complete")


@case.command("history")
@click.argument("case_id")
@click.pass_context
def case_history(ctx: click.Context, case_id: str) -> None:
    """The case's audit events, refusals included."""
    rt = _rt(ctx)
    with rt.sessions() as session:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.seq)).all()
        if not rows:
            raise UserError(f"案件「{case_id}」没有记录 / no events for this case")
        for e in rows:
            move = f"{e.from_state or '-'} → {e.to_state or '-'}"
            click.echo(f"{e.seq:>4}  {e.at}  {e.kind:<10} {_safe(e.trigger or ''):<28} {move:<40} {_safe(e.actor)}"
                       f" ({e.role or '-'})")
            if e.kind == "refused":
                for r in json.loads(e.reasons):
                    zh = _safe(r["zh"])
                    click.echo(f"        ✗ {zh}（{r['article']}）" if r.get("article") else f"        ✗ {zh}")


# ---------------------------------------------------------------- compliance figures


def _date_arg(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UserError(f"{what} 日期「{text}」无效，应为 YYYY-MM-DD / invalid date, expected YYYY-MM-DD") from None


@cli.command()
@click.option("--org", "org_id", required=True, help="Organisation id, e.g. houlong.")
@click.option("--from", "start", help="First day of the period, YYYY-MM-DD (default: 1 January this year).")
@click.option("--to", "end", help="Last day of the period, YYYY-MM-DD (default: today).")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON (docs/operations.md).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None, help="Language of the table.")
@click.pass_context
def compliance(ctx: click.Context, org_id: str, start: str | None, end: str | None, as_json: bool,
               lang: str | None) -> None:
    """Compliance figures of an organisation for a period (行政处罚法, 国办发〔2018〕118号)."""
    from workflow.procedures.enforcement.compliance import (
        UnknownOrganisation,
        compliance_figures,
        default_period,
    )

    rt = _rt(ctx)
    lang = lang or ctx.obj["lang"]
    today = rt.engine.today()
    first, last = default_period(today, _date_arg(start, "--from") if start else None,
                                 _date_arg(end, "--to") if end else None)
    if first > last:
        raise UserError(f"起始日期 {first.isoformat()} 晚于截止日期 {last.isoformat()} / --from is after --to")
    with rt.sessions() as session:
        try:
            report = compliance_figures(session, org_id, first, last, registry=rt.registry, as_of=today)
        except UnknownOrganisation:
            raise UserError(f"单位「{org_id}」不存在 / no organisation {org_id!r}") from None
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        return
    for line in _compliance_lines(report, lang):
        click.echo(line)


def _compliance_lines(report: Any, lang: str) -> list[str]:
    from workflow.procedures.enforcement.compliance import REASONS

    en = lang == "en"
    colon, comma = (": ", ", ") if en else ("：", "、")
    lines = [
        f"{report.org_name.get(lang)}  " + ("Compliance figures" if en else "合规指标"),
        (f"Period {report.period_start.isoformat()} to {report.period_end.isoformat()}, as of "
         f"{report.as_of.isoformat()}" if en else
         f"统计期 {report.period_start.isoformat()} 至 {report.period_end.isoformat()}"
         f"（截至 {report.as_of.isoformat()}）"),
        "",
    ]
    rows = [(f.label.get(lang), f"{f.numerator}/{f.denominator} {f.unit.get(lang)}") for f in report.figures]
    wide = max(_width(t) for t in ["Figure" if en else "指标", *(r[0] for r in rows)]) + 2
    narrow = max(_width(t) for t in ["Met/counted" if en else "达标/应计", *(r[1] for r in rows)]) + 2
    lines.append(_pad("Figure" if en else "指标", wide) + _pad("Met/counted" if en else "达标/应计", narrow)
                 + ("Share" if en else "比率"))
    for figure, (label, counts) in zip(report.figures, rows, strict=True):
        share = "—" if figure.share is None else f"{figure.share * 100:.1f}%"
        if figure.share is None:
            share += " (nothing to count)" if en else "（无可计数事项）"
        elif figure.target is not None and figure.target < 1:
            share += f" (reference ≥{figure.target * 100:g}%)" if en else f"（参考标准 ≥{figure.target * 100:g}%）"
        lines.append(_pad(label, wide) + _pad(counts, narrow) + share)
        lines.append(("    Basis: " if en else "    依据：") + figure.basis)
        by_reason: dict[str, list[str]] = {}
        for s in figure.shortfalls:
            by_reason.setdefault(s.reason, []).append(s.ref + _shortfall_detail(s, en))
        for reason, items in by_reason.items():
            lines.append(f"    {REASONS[reason].get(lang)}{colon}{comma.join(items)}")
        for part in figure.parts:
            if part.refs:
                lines.append(f"    {part.label.get(lang)}{colon}{comma.join(part.refs)}")
        for note in figure.notes:
            lines.append(("    Note: " if en else "    注：") + note.get(lang))
    return lines


def _shortfall_detail(s: Any, en: bool) -> str:
    if s.event_seq is not None:
        return f" (event {s.event_seq}, {s.done_on})" if en else f"（第{s.event_seq}号事件，{s.done_on}）"
    if s.reason == "expired" and s.due:
        return f" (valid until {s.due})" if en else f"（有效期至 {s.due}）"
    said = [(f"due {s.due}" if en else f"期限 {s.due}") if s.due else "",
            (f"done {s.done_on}" if en else f"办理于 {s.done_on}") if s.done_on else ""]
    said = [x for x in said if x]
    if not said:
        return ""
    return f" ({', '.join(said)})" if en else f"（{'，'.join(said)}）"


# ---------------------------------------------------------------- definitions


@cli.group()
def definitions() -> None:
    """Procedure definitions (YAML in definitions/)."""


@definitions.command("check")
@click.argument("files", nargs=-1, type=click.Path())
@click.pass_context
def definitions_check(ctx: click.Context, files: tuple[str, ...]) -> None:
    """Validate definition files (default: every file in definitions/). Exit 1 on any error."""
    rt = _rt(ctx)
    paths = list(files) or sorted(str(p) for p in rt.definitions_dir.glob("*.y*ml"))
    failed = False
    for path in paths:
        try:
            proc = load_file(path)
        except DefinitionError as exc:
            failed = True
            for where, reason in exc.problems:
                click.echo(f"{exc.file}: {where or '(top)'}: {reason}", err=True)
            continue
        click.echo(f"OK {path}: {proc.ref}, {len(proc.states)} states, {len(proc.transitions)} transitions")
    if not files:  # the document types (definitions/documents/), checked against the procedures
        failed = _check_documents(rt) or failed
        failed = _check_org_timers(rt) or failed
    if failed:
        sys.exit(1)


def _check_org_timers(rt: Runtime) -> bool:
    """The organisation-level timers (definitions/organisation/timers.yaml); True when the file is invalid."""
    from workflow.timers import org_spec

    path = rt.definitions_dir / "organisation" / "timers.yaml"
    try:
        timers = org_spec.load(rt.registry, path)
    except DefinitionErrors:
        return True  # reported above, file by file
    except DefinitionError as exc:
        for where, reason in exc.problems:
            click.echo(f"{exc.file}: {where or '(top)'}: {reason}", err=True)
        return True
    if timers:
        click.echo(f"OK {path}: {len(timers)} organisation timers")
    return False


def _check_documents(rt: Runtime) -> bool:
    """Print each document file's result; True when one is invalid."""
    from workflow.documents.definitions import load_file as load_documents_file

    try:
        registry = rt.registry
    except DefinitionErrors:
        return True  # reported above, file by file
    failed = False
    for path in sorted((rt.definitions_dir / "documents").glob("*.y*ml")):
        try:
            docs = load_documents_file(path, registry)
        except DefinitionError as exc:
            failed = True
            for where, reason in exc.problems:
                click.echo(f"{exc.file}: {where or '(top)'}: {reason}", err=True)
            continue
        click.echo(f"OK {path}: {', '.join(d.label.zh for d in docs) or 'no procedure loaded'}")
    return failed


@definitions.command("list")
@click.pass_context
def definitions_list(ctx: click.Context) -> None:
    """List loaded procedures and versions."""
    for proc in _rt(ctx).registry.all():
        click.echo(f"{proc.ref:<24} {proc.label.zh} / {proc.label.en}")


@definitions.command("show")
@click.argument("procedure")
@click.option("--version", type=int)
@click.pass_context
def definitions_show(ctx: click.Context, procedure: str, version: int | None) -> None:
    """Show a procedure's states, transitions, roles, guards (with articles) and deadlines."""
    from workflow.procedures import GUARDS

    rt = _rt(ctx)
    lang = ctx.obj["lang"]
    try:
        proc = rt.registry.get(procedure, version)
    except KeyError:
        raise UserError(f"没有程序 {procedure} / no such procedure") from None
    click.echo(f"{proc.label.get(lang)} {proc.ref}")
    for t in proc.transitions:
        dest = t.dest or "(不变 same)"
        click.echo(f"- {t.trigger}: {', '.join(t.sources)} → {dest}  {t.label.get(lang)}  [{t.basis}]"
                   f"  roles: {', '.join(t.roles)}")
        for g in t.guards:
            click.echo(f"    guard {g}: {GUARDS[g].zh if lang == 'zh' else GUARDS[g].en}（{GUARDS[g].article}）")
    for d in proc.deadlines.values():
        click.echo(f"deadline {d.name}: {d.label.get(lang)} {d.kind} {d.unit} [{d.basis}]")


# ---------------------------------------------------------------- audit


@cli.group()
def audit() -> None:
    """The tamper-evident audit trail: verify, export, checkpoint."""


PROGRESS_MIN = 20_000  # events between two progress lines of `audit verify` (more on a larger trail: ≤ 50 lines)


def _progress(what: str, total: int | None = None):  # noqa: ANN202 - a small closure factory
    """A progress line on stderr per call: how many events so far (of how many), and at what rate."""
    import time

    started = time.monotonic()

    def report(n: int) -> None:
        rate = n / max(time.monotonic() - started, 1e-6)
        of = f" / {total:,} ({100 * n / total:.0f}%)" if total else ""
        left = f", ~{(total - n) / rate:,.0f} s left" if total and rate else ""
        click.echo(f"  {what} {n:,}{of} events, {rate:,.0f}/s{left}…", err=True)

    return report


def _event_count(rt: Runtime) -> int:
    """The number of audit events (for a progress line's total): the chain heads' sum, no table scan."""
    from sqlalchemy import func, select

    from workflow.models import AuditJournal, Case

    with rt.sessions() as session:
        return int((session.scalar(select(func.coalesce(func.sum(Case.audit_seq), 0))) or 0)
                   + (session.scalar(select(func.coalesce(func.sum(AuditJournal.audit_seq), 0))) or 0))


@audit.command("keygen")
@click.pass_context
def audit_keygen(ctx: click.Context) -> None:
    """Create the Ed25519 checkpoint signing key file (never stored in the database)."""
    from workflow.audit import signing

    rt = _rt(ctx, schema=False)  # the key lives outside the database: it may be made before `lawflow init`
    rt.key_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        key = signing.generate_key_file(rt.key_path)
    except signing.SigningKeyError as exc:
        raise UserError(str(exc)) from None
    click.echo(f"已生成签名密钥 key created: {rt.key_path} (key_id {signing.key_id_for(rt.origin, key)})")


@audit.command("checkpoint")
@click.pass_context
def audit_checkpoint(ctx: click.Context) -> None:
    """Anchor new events in the Merkle log and sign a checkpoint. Prints the checkpoint as JSON on stdout:
    keep a copy outside this machine (archive, supervising office) — that copy is what makes edits evident."""
    from workflow.audit.checkpoint import (
        CheckpointError,
        checkpoint_record,
        latest_checkpoint,
        make_checkpoint,
    )

    rt = _rt(ctx)
    try:  # the witness, outside the database: never sign a log that does not extend the last one signed
        result = make_checkpoint(rt.sessions, rt.key_path, rt.origin, rt.clock, witness=rt.witness_path)
    except CheckpointError as exc:
        raise UserError(str(exc)) from None
    verb = f"新增 {result.added} 个事件 added" if result.created else "无新事件 nothing new"
    click.echo(f"检查点 checkpoint: tree_size {result.tree_size}, root {result.root[:16]}…, {verb}", err=True)
    with rt.sessions() as session:
        row = latest_checkpoint(session)
        if row is not None:
            click.echo(json.dumps({"type": "checkpoint", **checkpoint_record(row), "signature": row.signature},
                                  ensure_ascii=False))


@audit.command("verify")
@click.option("--trusted-checkpoint", "trusted", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="A checkpoint kept outside the database (JSON or JSON Lines); repeatable.")
@click.option("--trusted-key", "trusted_keys", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="A signing public key (PEM) received outside the database, to accept a rotation whose old "
                   "key was lost; repeatable.")
@click.option("--quiet", is_flag=True)
@click.option("--witness", "witnesses", multiple=True, type=click.Path(exists=True),
              help="A witness folder or file (checkpoints kept outside the database): report a rollback or fork.")
@click.option("--witness-key", "witness_keys", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="The district's witness public key (PEM): every --witness file's checkpoints must carry its "
                   "valid co-signature (lawflow witness export); repeatable.")
@click.pass_context
def audit_verify(ctx: click.Context, trusted: tuple[str, ...], trusted_keys: tuple[str, ...], quiet: bool,
                 witnesses: tuple[str, ...], witness_keys: tuple[str, ...]) -> None:
    """Recompute every hash, chain, leaf and checkpoint. Exit 0 intact, 1 broken (naming case and seq)."""
    from workflow.audit.export import verify_database
    from workflow.audit.verifier import load_checkpoints, load_public_key
    from workflow.clock import utc_stamp

    rt = _rt(ctx)
    try:
        pinned = [cp for path in trusted for cp in load_checkpoints(path)]
        keys = [load_public_key(path) for path in trusted_keys]
    except ValueError as exc:
        raise UserError(str(exc)) from None
    total = 0 if quiet else _event_count(rt)
    report = verify_database(rt.sessions, rt.origin, utc_stamp(rt.clock.now()), pinned,
                             progress=None if quiet else _progress("已校验 verified", total),
                             records_dir=str(rt.records.root), trusted_keys=keys, registry=rt.registry,
                             progress_every=max(PROGRESS_MIN, total // 50))
    click.echo(f"事件 events {report.events} / 案件 cases {report.cases} / 叶子 leaves {report.leaves} / "
               f"检查点 checkpoints {report.checkpoints} (签名 signatures: {report.signatures}) / "
               f"未锚定 unanchored {report.unanchored_events} / 记录文件 evidence files {report.records_checked}")
    for warning in report.warnings[:10]:
        click.echo(f"警告 warning: {warning}", err=True)
    from workflow.audit.witness_bundle import describe_cosigned

    click.echo(describe_cosigned(rt.witness_path))
    if witness_keys:
        _check_cosignatures(witnesses, witness_keys)
    if witnesses:
        _compare_witnesses(rt, witnesses)
    if not report.ok:
        click.echo(f"审计记录已被篡改或不完整 {report.message}", err=True)
        sys.exit(1)
    click.echo(f"审计记录完整 {report.message}")


@audit.command("rotate-key")
@click.option("--new-key-file", required=True, type=click.Path(dir_okay=False),
              help="The new key's file (created, mode 0600, when it does not exist yet).")
@click.option("--old-key-lost", is_flag=True,
              help="The key in force is lost: record the new key without its signature (say why with --reason).")
@click.option("--reason", default="", help="Why the key is rotated (required with --old-key-lost).")
@click.pass_context
def audit_rotate_key(ctx: click.Context, new_key_file: str, old_key_lost: bool, reason: str) -> None:
    """Rotate the checkpoint signing key: anchor what the old key still covers, record the new public key in
    the system journal signed by the old key and the new one, and sign a checkpoint with the new key.
    Afterwards set LAWFLOW_SIGNING_KEY_FILE to the new file and destroy the old one (docs/operations.md)."""
    from pathlib import Path

    from workflow.audit import signing
    from workflow.audit.checkpoint import (
        CheckpointError,
        checkpoint_record,
        latest_checkpoint,
        make_checkpoint,
    )
    from workflow.audit.rotation import RotationError, rotate_key

    rt = _rt(ctx)
    new_path = Path(new_key_file)
    if new_path.resolve() == rt.key_path.resolve():
        raise UserError(f"新密钥文件不能是当前密钥文件 / the new key file is the current one: {rt.key_path}")
    try:
        old_key = None
        if not old_key_lost:
            old_key = signing.load_private_key(rt.key_path)
            make_checkpoint(rt.sessions, rt.key_path, rt.origin, rt.clock)  # the old key's period ends here
        done = rotate_key(rt.sessions, old_key=old_key, new_key_path=new_path, origin=rt.origin, clock=rt.clock,
                          reason=reason)
        result = make_checkpoint(rt.sessions, new_path, rt.origin, rt.clock)  # anchors the rotation
    except (signing.SigningKeyError, CheckpointError, RotationError) as exc:
        raise UserError(str(exc)) from None
    made = "（新建 created）" if done.created_key else ""
    click.echo(f"已轮换签名密钥 key rotated: {done.old_key_id} → {done.new_key_id}{made}, 系统日志 SYS seq {done.seq}; "
               f"检查点 checkpoint tree_size {result.tree_size}", err=True)
    click.echo(f"请将 LAWFLOW_SIGNING_KEY_FILE 改为 {new_path} 并销毁旧密钥文件 / set LAWFLOW_SIGNING_KEY_FILE={new_path} and "
               f"destroy the old key file", err=True)
    with rt.sessions() as session:
        row = latest_checkpoint(session)
        if row is not None:
            click.echo(json.dumps({"type": "checkpoint", **checkpoint_record(row), "signature": row.signature},
                                  ensure_ascii=False))


@audit.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="File to write (default: stdout).")
@click.option("--org", "orgs", multiple=True,
              help="Only this organisation's cases and administration journal (repeatable; default: the whole "
                   "trail of every organisation).")
@click.pass_context
def audit_export(ctx: click.Context, output: str | None, orgs: tuple[str, ...]) -> None:
    """Write the trail as JSON Lines (docs/audit-format.md); verify it offline with the auditor's script:
    `lawflow audit verifier -o verify.py`, then `python3 -I -S verify.py FILE`."""
    from workflow.audit.export import export
    from workflow.clock import utc_stamp
    from workflow.models import Organization

    rt = _rt(ctx)
    stamp = utc_stamp(rt.clock.now())
    if orgs:
        with rt.sessions() as session:
            unknown = sorted(set(orgs) - set(session.scalars(select(Organization.id).where(
                Organization.id.in_(orgs)))))
        if unknown:
            raise UserError(f"没有该单位 no such organisation: {', '.join(unknown)}")
    scope = sorted(set(orgs)) if orgs else None
    if output:
        with open(output, "wb") as fh:
            count = export(rt.sessions, fh, rt.origin, stamp, _progress("已导出 exported"), rt.registry, orgs=scope)
        click.echo(f"已导出 exported {count} events → {output}", err=True)
    else:
        export(rt.sessions, sys.stdout.buffer, rt.origin, stamp, registry=rt.registry, orgs=scope)


@audit.command("verifier")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="File to write (default: stdout).")
def audit_verifier(output: str | None) -> None:
    """Write the auditor's offline verifier: one standard-library Python file (no lawflow needed), run as
    `python3 -I -S verify.py EXPORT.jsonl` (docs/audit-format.md §6)."""
    from workflow.audit.handout import script

    text = script().encode("utf-8")
    if output:
        with open(output, "wb") as fh:
            fh.write(text)
        click.echo(f"已写出离线校验程序 verifier written → {output}", err=True)
    else:
        sys.stdout.buffer.write(text)


# ---------------------------------------------------------------- officers


@cli.group()
def officers() -> None:
    """Enforcement officers' certificates and legal reviewers' qualifications."""


@officers.command("add-certificate")
@click.argument("username")
@click.option("--number", required=True, help="Certificate number.")
@click.option("--field", default="", help="执法领域 the certificate is valid in (enforcement certificates).")
@click.option("--valid-until", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Last valid day, YYYY-MM-DD.")
@click.option("--issued-on", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Issue date (default: today).")
@click.option("--issuer", required=True, help="The issuing authority.")
@click.option("--kind", type=click.Choice(["enforcement", "legal_qualification"]), default="enforcement",
              help="enforcement = 执法证件; legal_qualification = 法律职业资格.")
@click.option("--as", "actor", required=True)
@click.pass_context
def officers_add_certificate(ctx: click.Context, username: str, number: str, field: str, valid_until: Any,
                             issued_on: Any, issuer: str, kind: str, actor: str) -> None:
    """Record a certificate of USERNAME (an administrator's act, recorded in the audit trail)."""
    from workflow import administration

    rt = _rt(ctx)
    try:
        administration.add_certificate(rt.sessions, actor=actor, now=rt.clock, data={
            "username": username, "number": number, "issuer": issuer, "kind": kind, "field": field,
            "issued_on": issued_on.date().isoformat() if issued_on else None,
            "valid_until": valid_until.date().isoformat() if valid_until else None})
    except administration.AdminError as exc:
        raise UserError(str(exc)) from None
    click.echo(f"已登记证件 recorded: {username} {number}")


# ---------------------------------------------------------------- calendar


@cli.group()
def calendar() -> None:
    """The working-day calendar (State Council holiday notices)."""


@calendar.command("add-year")
@click.argument("year", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--source", required=True, help="The notice this comes from, e.g. 国务院办公厅关于2027年部分节假日安排的通知.")
@click.option("--as", "actor", required=True)
@click.pass_context
def calendar_add_year(ctx: click.Context, year: int, file: str, source: str, actor: str) -> None:
    """Add a year's holidays and make-up working days from a YAML/JSON file (holidays: [...], workdays: [...]).
    An administrator's act, recorded in the audit trail."""
    from workflow import administration

    rt = _rt(ctx)
    try:
        with open(file, encoding="utf-8") as fh:
            notice = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"无法读取文件 cannot read {file}: {exc}") from None
    try:
        administration.add_holiday_year(rt.sessions, actor=actor, year=year, notice=notice, source=source,
                                        now=rt.clock, origin=file)
    except administration.AdminError as exc:
        raise UserError(str(exc)) from None
    click.echo(f"已添加 {year} 年节假日安排 added: {source}")


# ---------------------------------------------------------------- API tokens


@cli.group()
def tokens() -> None:
    """API tokens for integrators (Authorization: Bearer <token>); only their SHA-256 is stored."""


@tokens.command("create")
@click.argument("username")
@click.option("--name", required=True, help="What the token is for, e.g. the integrating system.")
@click.option("--as", "actor", required=True, help="The administrator issuing the token.")
@click.option("--read-only", is_flag=True, help="The token may only read (GET).")
@click.option("--procedure", "procedures", multiple=True, help="Only this procedure's cases (repeatable).")
@click.option("--acts-for-users", is_flag=True,
              help="A service account's token: each request may name a user of the organisation it acts for "
                   "(X-On-Behalf-Of); that user's roles apply and the audit event records both.")
@click.pass_context
def tokens_create(ctx: click.Context, username: str, name: str, actor: str, read_only: bool,
                  procedures: tuple[str, ...], acts_for_users: bool) -> None:
    """Issue a token that acts as USERNAME. The token is printed once, on stdout; it cannot be shown again."""
    from workflow import administration

    rt = _rt(ctx)
    try:
        token_id, token = administration.create_token(
            rt.sessions, actor=actor, username=username, name=name, now=rt.clock, read_only=read_only,
            procedures=list(procedures) or None, acts_for_users=acts_for_users,
            known_procedures={p.id for p in rt.engine.registry.all()})
    except administration.AdminError as exc:
        raise UserError(str(exc)) from None
    click.echo(f"已创建令牌 token created: id {token_id}, {username}, 「{name}」. "
               "请立即妥善保存，令牌不会再次显示 / store it now, it is not shown again:", err=True)
    click.echo(token)


@tokens.command("list")
@click.option("--user", "username", help="Only this user's tokens.")
@click.pass_context
def tokens_list(ctx: click.Context, username: str | None) -> None:
    """List tokens (never the tokens themselves): id, owner, name, created, last used, revoked."""
    from workflow import tokens as api_tokens

    def when(moment: Any) -> str:
        moment = api_tokens.aware(moment)
        return f"{moment:%Y-%m-%d %H:%M}Z" if moment else "-"

    with _rt(ctx).sessions() as session:
        rows = api_tokens.listing(session, username)
        for r in rows:
            state = f"已撤销 revoked {when(r.revoked_at)}" if r.revoked_at else "有效 active"
            click.echo(f"{r.id:>4}  {r.user.username:<14} {_pad(r.name, 24)}  created {when(r.created_at)} "
                       f"by {r.created_by}  last used {when(r.last_used_at)}  {state}")
        if not rows:
            click.echo("没有令牌 no tokens", err=True)


@tokens.command("revoke")
@click.argument("token_id", type=int)
@click.option("--as", "actor", required=True, help="The administrator revoking the token.")
@click.pass_context
def tokens_revoke(ctx: click.Context, token_id: int, actor: str) -> None:
    """Revoke token TOKEN_ID (see `lawflow tokens list`); it stops working at once."""
    from workflow import administration

    rt = _rt(ctx)
    try:
        administration.revoke_token(rt.sessions, actor=actor, token_id=token_id, now=rt.clock)
    except administration.AdminError as exc:
        raise UserError(str(exc)) from None
    click.echo(f"已撤销令牌 token revoked: {token_id}")


# ---------------------------------------------------------------- issued documents


@cli.group()
def documents() -> None:
    """Issued documents (definitions/documents/): numbers, voiding."""


@documents.command("list")
@click.argument("case_id")
@click.pass_context
def documents_list(ctx: click.Context, case_id: str) -> None:
    """The documents issued in CASE_ID: number, date, SHA-256, verification code."""
    from workflow.documents import verification

    rt = _rt(ctx)
    with rt.sessions() as session:
        for d in verification.of_case(session, case_id):
            voided = f"  作废 voided: {d.void_reason}" if d.voided_at else ""
            click.echo(f"{d.number}\t{d.issued_on}\t{d.doc_type}\t{d.sha256}\t{d.verify_code}{voided}")


@documents.command("void")
@click.argument("number")
@click.option("--reason", required=True, help="Why the number is voided (kept with it).")
@click.option("--as", "actor", required=True, help="The administrator voiding it.")
@click.pass_context
def documents_void(ctx: click.Context, number: str, reason: str, actor: str) -> None:
    """Void document NUMBER (e.g. 龙综执罚〔2026〕3号): kept with its reason, recorded in the admin journal."""
    from workflow import administration

    rt = _rt(ctx)
    try:
        administration.void_document(rt.sessions, actor=actor, number=number, reason=reason, now=rt.clock)
    except administration.AdminError as exc:
        raise UserError(str(exc)) from None
    click.echo(f"已作废 voided: {number}")


# ---------------------------------------------------------------- organisations


@cli.group()
def org() -> None:
    """Organisations (单位): towns, and the districts that supervise them."""


@org.command("add")
@click.argument("code")
@click.option("--name", required=True, help="The organisation's name, e.g. 泉州市泉港区南埔镇人民政府.")
@click.option("--name-en", default="", help="Its English name (default: the Chinese name).")
@click.option("--parent", default=None, help="The supervising organisation's code (e.g. the district's).")
@click.option("--kind", default="town", show_default=True, type=click.Choice(["district", "town", "office"]),
              help="What it is in the tree: district 区, town 镇·街道, office 站所 (workflow/org_tree.py).")
@click.option("--admin", "admin_username", required=True, help="User name of the organisation's first administrator.")
@click.option("--admin-name", required=True, help="The administrator's name as shown (姓名).")
@click.option("--admin-password", prompt="管理员密码 administrator's password", hide_input=True,
              confirmation_prompt=True, envvar="LAWFLOW_NEW_ADMIN_PASSWORD",
              help="At least 10 characters; asked for when not given (or read from LAWFLOW_NEW_ADMIN_PASSWORD).")
@click.pass_context
def org_add(ctx: click.Context, code: str, name: str, name_en: str, parent: str | None, kind: str,
            admin_username: str, admin_name: str, admin_password: str) -> None:
    """Add organisation CODE with its portal account and first administrator (recorded in ADM-CODE)."""
    import getpass

    from workflow import administration

    rt = _rt(ctx)
    try:
        operator = f"console:{getpass.getuser()}"
    except (KeyError, OSError):  # no name for this uid (a container): the uid says who it was
        operator = f"console:uid{os.getuid()}"
    try:
        administration.add_organisation(rt.sessions, operator=operator, now=rt.clock, data={
            "code": code, "name": name, "name_en": name_en, "parent": parent, "kind": kind,
            "admin_username": admin_username,
            "admin_name": admin_name, "password": admin_password})
    except administration.AdminError as exc:
        raise UserError(str(exc)) from None
    click.echo(f"已新建单位 organisation added: {code}「{name}」" + (f"，上级 parent {parent}" if parent else "")
               + f"; 管理员 administrator {admin_username}; 公开平台账号 portal account public.{code}. "
               "请以管理员登录，在“系统管理”中添加人员并设置本单位规则 / log in as the administrator to add people "
               "and set the organisation's settings")


def _operator() -> str:
    import getpass

    try:
        return f"console:{getpass.getuser()}"
    except (KeyError, OSError):  # no name for this uid (a container): the uid says who it was
        return f"console:uid{os.getuid()}"


@org.command("list")
@click.pass_context
def org_list(ctx: click.Context) -> None:
    """The organisations as a tree: code, kind, name (each under its parent)."""
    from workflow.models import Organization
    from workflow.org_tree import KINDS, subtree

    rt = _rt(ctx)
    with rt.sessions() as session:
        orgs = {o.id: o for o in session.scalars(select(Organization))}
        depth: dict[str, int] = {}
        for top in sorted(o.id for o in orgs.values() if o.parent_id is None or o.parent_id not in orgs):
            for code in subtree(session, top):
                parent = orgs[code].parent_id
                depth[code] = depth[parent] + 1 if parent in depth and code != top else 0
                kind = KINDS.get(orgs[code].kind)
                click.echo(f"{'  ' * depth[code]}{code}  [{kind.zh if kind else orgs[code].kind} "
                           f"{kind.en if kind else ''}]  {orgs[code].name_zh}")


@org.command("move")
@click.argument("code")
@click.option("--parent", default=None, help="The new supervising organisation's code (omit: none).")
@click.pass_context
def org_move(ctx: click.Context, code: str, parent: str | None) -> None:
    """Put organisation CODE under --parent (recorded in ADM-CODE); a cycle is refused."""
    from workflow import administration

    rt = _rt(ctx)
    try:
        moved = administration.move_organisation(rt.sessions, code=code, parent=parent, operator=_operator(),
                                                 now=rt.clock)
    except administration.AdminError as exc:
        raise UserError(str(exc)) from None
    click.echo(f"已变更 moved: {code} -> {parent or '—'}" if moved else f"未变更 unchanged: {code} -> {parent or '—'}")


# ---------------------------------------------------------------- the records store


@cli.group()
def records() -> None:
    """The evidence files' store (records/) against the audit trail."""


@records.command("check")
@click.option("--sweep", is_flag=True, help="Delete orphan and temporary files older than --older-than.")
@click.option("--older-than", "minutes", type=click.IntRange(min=0), default=60, show_default=True,
              help="Minutes: younger files may belong to a step still in flight and are never deleted "
                   "(0: every file, only while no lawflow process is running).")
@click.pass_context
def records_check(ctx: click.Context, sweep: bool, minutes: int) -> None:
    """Roll forward what killed processes left staged; list files no event names, events whose file is missing
    or altered, and uploads left in records/tmp. Exit 0 when nothing is wrong (after --sweep: nothing left to sweep and nothing broken), 1 otherwise."""
    from workflow import records_check

    rt = _rt(ctx)
    store = rt.records
    report = records_check.check(rt.sessions, store, min_age=minutes * 60)
    click.echo(f"记录存储 records store: {store.root}  事件所列文件 files named by events: {report.named}")
    done = report.recovery
    if done.moved or done.discarded or done.partial or done.damaged or done.live:
        click.echo(f"已终止进程的暂存文件已处理 roll-forward of staged files: 移入 moved {done.moved}, "
                   f"删除 deleted {done.discarded + done.partial + done.damaged}; "
                   f"进行中 in flight {done.live}")
    if done.damaged:
        click.echo(f"✗ {done.damaged} 个暂存文件与其哈希不符，已删除 staged files did not hash to their name, deleted",
                   err=True)
    for b in report.broken:
        click.echo(f"✗ 案件 case {b.case_id} 事件 seq {b.seq}: 文件缺失或被改动 {b.problem}", err=True)
    for title, items in (("无事件记载的文件 orphan, named by no event", report.orphans),
                         ("未完成的上传 temporary file", report.temporary)):
        for loose in items:
            young = loose.age < report.min_age
            mark = "  (较新，可能属于正在办理的步骤 recent: may belong to a step in flight)" if young else ""
            click.echo(f"{'·' if young else '✗'} {title}: {loose.path.relative_to(store.root)} "
                       f"{loose.size:,} 字节 bytes, {loose.age / 3600:.1f} 小时 hours{mark}")
    if sweep:
        for path in records_check.sweep(report):
            click.echo(f"已删除 removed: {path.relative_to(store.root)}")
    stale = [loose for loose in [*report.stale(report.orphans), *report.stale(report.temporary)]
             if loose.path not in report.removed]
    left: list[object] = [*report.broken, *stale]
    if left:
        hint = "" if sweep or not (report.stale(report.orphans) or report.stale(report.temporary)) else \
            "（--sweep 删除无事件记载的文件和临时文件 deletes the orphans and temporary files）"
        click.echo(f"记录存储有问题 the records store has problems{hint}", err=True)
        sys.exit(1)
    click.echo("记录存储完好 the records store is consistent")


from workflow.witness_cli import witness  # noqa: E402 - a group of its own module, registered once cli exists

cli.add_command(witness)


def main() -> None:
    obj: dict[str, Any] = {}
    try:
        cli(standalone_mode=False, obj=obj)
    except click.exceptions.Abort:
        click.echo("已取消 aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        click.echo(f"错误 error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except DefinitionErrors as exc:
        click.echo(f"定义文件有误 invalid definitions:\n{exc}", err=True)
        sys.exit(1)
    except SystemExit:
        raise
    except SQLAlchemyError as exc:  # its text carries the SQL and its parameters: never print those
        click.echo(f"数据库错误，操作未完成 database error, nothing was done: {_database_error(exc)}", err=True)
        sys.exit(2)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, no traceback
        click.echo(f"错误 error: {type(exc).__name__}: {_safe(exc)}", err=True)
        sys.exit(2)
    finally:
        runtime = obj.get("runtime")
        if runtime is not None:  # its connections closed now, not whenever the interpreter gets to them
            runtime.db.dispose()


def _database_error(exc: SQLAlchemyError) -> str:
    """One line about a database error: the driver's class and the first line of its message, which names
    the problem (a lost connection, a NUL in text) but not the statement or the values."""
    original = getattr(exc, "orig", None) or exc
    first = (str(original).strip().splitlines() or [""])[0] if original is not exc else ""
    return _safe(f"{type(original).__name__}: {first}"[:300] if first else type(original).__name__)


# ---------------------------------------------------------------- backup, restore, witnesses, case numbers


def _operator() -> str:
    import getpass

    try:
        return f"console:{getpass.getuser()}"
    except (KeyError, OSError):  # no name for this uid (a container): the uid says who it was
        return f"console:uid{os.getuid()}"


def _compare_witnesses(rt: Runtime, paths: tuple[str, ...]) -> None:
    """Exit 4, loudly, when the database contradicts a checkpoint witnessed outside it (docs/operations.md)."""
    from pathlib import Path

    from workflow.audit import witness

    try:
        seen = [w for path in paths for w in witness.read(Path(path))]
    except witness.WitnessError as exc:
        raise UserError(str(exc)) from None
    with rt.sessions() as session:
        findings = witness.compare(session, seen, origin=rt.origin)
    if findings:
        for finding in findings:
            click.echo(f"!!! {finding.text()}", err=True)
        click.echo("!!! 数据库与数据库外见证的检查点不一致 / THE DATABASE CONTRADICTS CHECKPOINTS WITNESSED OUTSIDE IT", err=True)
        sys.exit(4)
    click.echo(f"与 {len(seen)} 个见证的检查点一致 consistent with {len(seen)} witnessed checkpoints")


def _check_cosignatures(paths: tuple[str, ...], keys: tuple[str, ...]) -> None:
    """Exit 4 unless every checkpoint of the --witness files carries a valid co-signature by a given key."""
    from workflow.audit.verifier import check_cosignatures, load_checkpoints, load_public_key

    if not paths:
        raise UserError("--witness-key 须与 --witness 区里的副本一同使用 / --witness-key needs the district's copies "
                        "(--witness FILE)")
    try:
        raw = [load_public_key(k) for k in keys]
        for path in paths:
            check_cosignatures(load_checkpoints(path), raw)
    except (ValueError, OSError) as exc:
        click.echo(f"!!! 区里的副署无效 / THE DISTRICT'S CO-SIGNATURE DOES NOT VERIFY: {exc}", err=True)
        sys.exit(4)


@cli.command("backup")
@click.argument("dest", type=click.Path(file_okay=False))
@click.option("--owner-url", help="PostgreSQL: the table owner's URL for pg_dump (default: LAWFLOW_DATABASE_OWNER_URL, "
                                  "else LAWFLOW_DATABASE_URL).")
@click.option("--include-private-key", is_flag=True,
              help="Also copy the private checkpoint signing key (said loudly; keep such a backup apart).")
@click.pass_context
def backup_command(ctx: click.Context, dest: str, owner_url: str | None, include_private_key: bool) -> None:
    """Copy the database, evidence files, public keys and configuration into DEST, with MANIFEST.json.
    Works while the app is serving. Exit 0 done, 1 failed (DEST removed again)."""
    from pathlib import Path

    from workflow.backup import BackupError, make_backup

    rt = _rt(ctx)

    def warn(message: str) -> None:
        click.echo(f"!!! 警告 WARNING: {message}", err=True)

    try:
        manifest = make_backup(rt, Path(dest), owner_url=owner_url, include_private_key=include_private_key,
                               warn=warn)
    except BackupError as exc:
        raise UserError(str(exc)) from None
    data = manifest.data
    checkpoint = data["last_checkpoint"]
    click.echo(f"备份完成 backup written: {dest} — {len(data['files'])} 个文件 files, {data['events']} 个事件 events, "
               f"{data['cases']} 件案件 cases, 最后检查点 last checkpoint "
               f"{checkpoint['tree_size'] if checkpoint else '—'}")


@cli.command("restore")
@click.argument("src", type=click.Path(exists=True, file_okay=False))
@click.option("--owner-url", help="PostgreSQL: the table owner's URL for pg_restore (default: "
                                  "LAWFLOW_DATABASE_OWNER_URL, else LAWFLOW_DATABASE_URL).")
@click.option("--witness", "witnesses", multiple=True, type=click.Path(exists=True),
              help="Witnessed checkpoints to compare with (default: the witness folder, when it exists).")
@click.option("--accept-rollback", is_flag=True,
              help="Restore a backup older than the witnessed checkpoints (the newer state is lost): recorded in the "
                   "trail; case numbering is held until `lawflow case-numbers advance`.")
@click.pass_context
def restore_command(ctx: click.Context, src: str, owner_url: str | None, witnesses: tuple[str, ...],
                    accept_rollback: bool) -> None:
    """Restore backup SRC into this EMPTY instance, then verify it. Exit 0 restored and verified; 1 it did not
    verify (undone, target empty); 2 the target is not empty or unusable; 3 the backup was altered; 4 it
    contradicts the witnessed checkpoints (undone)."""
    from pathlib import Path

    from workflow.restore import RestoreError, restore

    rt = _rt(ctx, schema=False)
    paths = [Path(w) for w in witnesses] or ([rt.witness_path] if rt.witness_path.exists() else [])
    try:
        report = restore(rt, Path(src), owner_url=owner_url, witness=paths, accept_rollback=accept_rollback,
                         operator=_operator())
    except RestoreError as exc:
        click.echo(f"错误 error: {exc}", err=True)
        sys.exit(exc.exit_code)
    for finding in report.findings:
        click.echo(f"!!! {finding}", err=True)
    if report.held:
        click.echo(f"!!! 已恢复较旧的备份：{', '.join(report.held)} 暂停立案，直至运行 lawflow case-numbers advance / an OLDER "
                   f"backup was restored: opening cases is held for {', '.join(report.held)} until an operator runs "
                   f"`lawflow case-numbers advance`", err=True)
    click.echo(f"已恢复并通过校验 restored and verified: {report.events} 个事件 events, {report.records} 个记录文件 evidence "
               f"files — {report.verify_message}")


@cli.group("case-numbers")
def case_numbers() -> None:
    """Case-number counters after a restore (never issue a number twice)."""


@case_numbers.command("advance")
@click.option("--witness", "witnesses", multiple=True, type=click.Path(exists=True),
              help="Witnessed checkpoints whose counters to pass (default: the witness folder and its superseded/).")
@click.option("--set", "settings", multiple=True, metavar="ORG/PREFIX/YEAR=N",
              help="Set a counter to at least N (e.g. from the paper register): houlong/EC/2026=57.")
@click.pass_context
def case_numbers_advance(ctx: click.Context, witnesses: tuple[str, ...], settings: tuple[str, ...]) -> None:
    """Set the counters past the witnessed highs and lift the hold on opening cases (recorded in SYS)."""
    from pathlib import Path

    from workflow import case_number_hold
    from workflow.audit import witness

    rt = _rt(ctx)
    paths = [Path(w) for w in witnesses]
    if not paths and rt.witness_path.exists():
        paths = [rt.witness_path, *sorted((rt.witness_path / "superseded").glob("*"))]
    try:
        seen = [w for path in paths for w in witness.read(path)]
    except witness.WitnessError as exc:
        raise UserError(str(exc)) from None
    targets = witness.witnessed_highs(seen)
    for item in settings:
        key, _, value = item.partition("=")
        if not value.isdigit():
            raise UserError(f"--set 须写作 组织/前缀/年份=编号 / --set takes ORG/PREFIX/YEAR=N, not {item!r}")
        targets[key] = max(targets.get(key, 0), int(value))
    try:
        done = case_number_hold.advance(rt.sessions, targets, _operator(), rt.clock.now(),
                                        source=", ".join(str(p) for p in paths) + (" --set " + " ".join(settings)
                                                                                   if settings else ""))
    except case_number_hold.CounterError as exc:
        raise UserError(str(exc)) from None
    for key, (before, after) in done.changed.items():
        click.echo(f"{key}: {before} → {after}（下一个编号 next number {after + 1}）")
    if done.released:
        click.echo(f"已恢复立案 opening cases resumed: {', '.join(done.released)}")
    click.echo(f"已记入系统日志 recorded in SYS seq {done.seq}")


@cli.command("worker")
@click.option("--once", is_flag=True, help="Do what is due now and stop.")
@click.option("--until", "until", metavar="YYYY-MM-DD", help="Stop once the (Beijing) date reaches this day.")
@click.option("--interval", type=click.FloatRange(min=0.1), default=60.0, show_default=True,
              help="Seconds between runs.")
@click.pass_context
def worker_command(ctx: click.Context, once: bool, until: str | None, interval: float) -> None:
    """Run the due timers: reminders, overdue notices, escalations, periods that close themselves."""
    import contextlib
    import logging

    from workflow.timers.worker import Worker

    try:
        stop = date.fromisoformat(until) if until else None
    except ValueError:
        raise UserError(f"--until 须为日期 YYYY-MM-DD / --until takes a date, not {until!r}") from None
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    rt = _rt(ctx)
    anchor = None
    if rt.key_path.exists():  # each run anchors what it and everyone else wrote: the event feed's latency

        def anchor() -> int:
            from workflow.audit.checkpoint import make_checkpoint

            return make_checkpoint(rt.sessions, rt.key_path, rt.origin, rt.clock, witness=rt.witness_path).added
    else:
        logging.getLogger("lawflow.worker").warning(
            "no signing key at %s: new events are not anchored, and the event feed does not advance", rt.key_path)
    worker = Worker(rt.engine, anchor=anchor)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C between runs: an act in progress is one transaction
        worker.run(once=once, until=stop, interval=interval)


@cli.command("figures")
@click.option("--org", "org_id", required=True, help="Organisation id, e.g. houlong.")
@click.option("--year", type=int, default=None, help="Calendar year (default: this year).")
@click.option("--json", "as_json", is_flag=True, help="Print the figures with the records behind each as JSON.")
@click.pass_context
def figures(ctx: click.Context, org_id: str, year: int | None, as_json: bool) -> None:
    """The year's figures every definition declares (figures:), each counted from the records."""
    from workflow.figures import declared, figures_of
    from workflow.models import Organization

    rt = _rt(ctx)
    lang = ctx.obj["lang"]
    year = year or rt.engine.today().year
    with rt.sessions() as session:
        if session.get(Organization, org_id) is None:
            raise UserError(f"单位「{org_id}」不存在 / no organisation {org_id!r}")
        computed = figures_of(session, declared(rt.registry), [org_id], year)
    if as_json:
        click.echo(json.dumps({f.key: {"value": None if f.value is None else str(f.value),
                                       "records": [r.case_id if r.item is None else f"{r.case_id}#{r.item + 1}"
                                                   for r in f.records]}
                               for figs in computed.values() for f in figs}, ensure_ascii=False, indent=2))
        return
    for pid, figs in computed.items():
        click.echo(rt.registry.get(pid).label.get(lang))
        for f in figs:
            value = "—" if f.value is None else f"{f.value}{'%' if f.spec.ratio else ''}"
            unit = "" if f.spec.ratio or f.spec.unit is None else (f.spec.unit.en if lang == "en" else f.spec.unit.zh)
            label = f.spec.label.en if lang == "en" else f.spec.label.zh
            click.echo(f"  {label}: {value}{unit}  ({f.key}, {len(f.records)})")
# ---------------------------------------------------------------- registers (台账): xlsx in and out (issue 14)


@cli.group("register")
def register_group() -> None:
    """Registers (台账): import a town's spreadsheet, export a year, the template (workflow/register_io.py)."""


def _register_procedure(rt: Runtime, procedure: str, *, importable: bool = False) -> Any:
    from workflow import register_io

    try:
        found = rt.registry.get(procedure)
        register_io.register_of(found, importable=importable)
    except KeyError:
        raise UserError(f"没有程序「{_safe(procedure)}」 / no procedure {_safe(procedure)!r}") from None
    except register_io.NotARegister as exc:
        raise UserError(str(exc)) from None
    return found


@register_group.command("import")
@click.argument("procedure")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--as", "actor", required=True, help="User name of the person entering the rows.")
@click.option("--late-reason", help="Reason for a late entry (补录理由), for rows that do not give their own.")
@click.pass_context
def register_import(ctx: click.Context, procedure: str, file: str, actor: str, late_reason: str | None) -> None:
    """Import every row of FILE (.xlsx) as a new entry: all of them, or none (exit 3 naming every bad row)."""
    from pathlib import Path

    from workflow import register_io

    rt = _rt(ctx)
    _register_procedure(rt, procedure, importable=True)
    result = register_io.import_file(rt.engine, procedure, actor, Path(file).read_bytes(), late_reason)
    lang = ctx.obj["lang"]
    if result.ok:
        click.echo(f"已导入{len(result.created)}条 imported {len(result.created)} entries")
        return
    click.echo(f"未导入任何数据 nothing was imported: {len(result.problems)} 处问题 problems", err=True)
    for problem in result.problems:
        click.echo(f"  - {problem.text(lang)}", err=True)
    sys.exit(3)


def _register_reader(rt: Runtime, actor: str | None, org: str | None) -> tuple[str, frozenset[str]]:
    """The organisation and roles an export is read as: the person's (`--as`), else the organisation's with no
    role (a party's personal data masked)."""
    from workflow.models import User

    if actor:
        with rt.sessions() as session:
            user = session.scalar(select(User).where(User.username == actor))
            if user is None or not user.active:
                raise UserError(f"用户「{_safe(actor)}」不存在或已停用 / no active user {_safe(actor)!r}")
            return user.org_id, frozenset(user.role_names)
    if not org:
        raise UserError("请以 --as 指明用户，或以 --org 指明单位 / give --as USER or --org ORG")
    return org, frozenset()


@register_group.command("export")
@click.argument("procedure")
@click.option("--year", type=int, help="Only the entries dated in this year.")
@click.option("--as", "actor", help="Read as this user (their organisation; personal data as their roles allow).")
@click.option("--org", help="The organisation, when no --as is given (personal data masked).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="File to write (default: <procedure>-<year>.xlsx).")
@click.pass_context
def register_export(ctx: click.Context, procedure: str, year: int | None, actor: str | None, org: str | None,
                    output: str | None) -> None:
    """Export a register's entries (of a year) to .xlsx; the file imports back."""
    from pathlib import Path

    from workflow import register_io

    rt = _rt(ctx)
    found = _register_procedure(rt, procedure)
    org_id, roles = _register_reader(rt, actor, org)
    with rt.sessions() as session:
        content = register_io.export(session, found, org_id, year, roles)
    target = Path(output or f"{procedure}-{year or 'all'}.xlsx")
    target.write_bytes(content)
    click.echo(f"已导出 exported: {target}")


@register_group.command("template")
@click.argument("procedure")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="File to write (default: <procedure>-template.xlsx).")
@click.pass_context
def register_template(ctx: click.Context, procedure: str, output: str | None) -> None:
    """Write the empty import template (the header row with the fields' labels)."""
    from pathlib import Path

    from workflow import register_io

    found = _register_procedure(_rt(ctx), procedure, importable=True)
    target = Path(output or f"{procedure}-template.xlsx")
    target.write_bytes(register_io.template(found))
    click.echo(f"已写出导入模板 template written: {target}")


@register_group.command("figures")
@click.argument("procedure")
@click.option("--year", type=int, required=True)
@click.option("--as", "actor", help="Read as this user (their organisation).")
@click.option("--org", help="The organisation, when no --as is given.")
@click.pass_context
def register_figures(ctx: click.Context, procedure: str, year: int, actor: str | None, org: str | None) -> None:
    """The register's figures for a year, counted from its entries."""
    from workflow import register_io
    from workflow.figures import stated

    rt = _rt(ctx)
    found = _register_procedure(rt, procedure)
    org_id, _ = _register_reader(rt, actor, org)
    en = ctx.obj["lang"] == "en"
    with rt.sessions() as session:
        for value in register_io.figures(session, found, org_id, year):
            click.echo(f"{value.spec.label.en if en else value.spec.label.zh}\t{stated(value)}")
        for short in register_io.shortfalls(session, found, org_id, year):
            group = found.register.per_group
            click.echo(f"! {group.label.en if en else group.label.zh}: {short.group} {short.count}")
