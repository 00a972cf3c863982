"""The auditor's pages: the overview, the audit explorer and its exports, verification, compliance figures.

  /audit/                 overview: counts, the latest events, the last verification result
  /audit/events           the explorer: filter by case, actor, role, step, kind, Beijing date range; paginated
  /audit/events.jsonl     the filtered selection as JSON Lines (header record, events with their hashes)
  /audit/events.csv       the same for spreadsheets (UTF-8 with a BOM, so Excel shows Chinese)
  /audit/verify           the last full verification, overall and per case; POST runs it again
  /audit/compliance       the seven compliance figures (workflow/procedures/enforcement/compliance.py) for a period, with charts

Who: administrators and the roles the definitions' `pages.audit` serve (auditors); the compliance figures also
the roles of `pages.compliance` (agency heads, heads). Everyone else gets 403. Scope: the events of the organisation's cases, plus
system-journal events (refusals that belong to no case, e.g. an unknown case id) by its own users. The
verification runs over the whole trail, because the Merkle log and its checkpoints span every case, but its
page shows only the chains of the organisations the auditor may see (workflow/visibility.py): their totals,
problems and warnings; a problem elsewhere is said to be elsewhere, without its case id. The shared system
journal is not among them (as in the audit export: it holds every organisation's refusals).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from sqlalchemy import or_, select
from werkzeug.datastructures import MultiDict

from web.access import may_open, require_roles
from web.case_access import org_choices, reader
from web.day_filters import day_range
from web.i18n import N_, _, current_lang, paren
from web.input_screen import own_filters
from web.pagination import page_links, page_number
from web.present import (
    KIND_LABELS,
    DataLabels,
    event_view,
    fmt_date,
    fmt_stamp,
    label_of,
    person,
    procedure_for_ref,
)
from web.runtime import runtime
from workflow import org_tree, xlsx
from workflow.accounts import people_of
from workflow.administration import ADMIN_ROLE
from workflow.audit import status as verification
from workflow.audit.canonical import export_line
from workflow.audit.chains import events_in, own_case_ids, recent_events, visible_chains
from workflow.audit.custody import key_in_instance
from workflow.audit.selection import (
    KINDS,
    EventFilter,
    count_events,
    event_orgs,
    header_record,
    iter_selection,
    org_totals,
    page_of_events,
)
from workflow.clock import parse_stamp, utc_stamp
from workflow.models import ADMIN_JOURNAL_PREFIX, SYSTEM_JOURNAL_ID, AuditEvent, Case, admin_journal_id
from workflow.runtime import Runtime
from workflow.timers.figures import timer_figures
from workflow.visibility import visible_orgs

bp = Blueprint("audit", __name__, url_prefix="/audit")
AUDIT, COMPLIANCE = "audit", "compliance"  # the pages, whose roles the definitions name (workflow/pages.py)
RECENT = 100
PAGE_SIZE = 50
COUNT_LIMIT = 10_000  # the explorer counts a selection up to this (200 pages); beyond it, "more than"
CASES_PAGE_SIZE = 50
CHUNK = 64 * 1024
MAX_LEN = {"case": 40, "actor": 64, "role": 64, "trigger": 64}
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@bp.app_context_processor
def audit_navigation() -> dict[str, Any]:
    return {"can_audit": may_open(ADMIN_ROLE, page=AUDIT),
            "can_see_compliance": may_open(ADMIN_ROLE, page=COMPLIANCE)}


def _journals() -> tuple[str, str]:
    """The chains that belong to no case and are shown here: the system journal and the organisation's
    administration journal (workflow/administration.py)."""
    return SYSTEM_JOURNAL_ID, admin_journal_id(current_user.org_id)


def _scope(session: Any) -> str | list[str]:
    """The organisations whose trails the user audits: their own, and a supervisor's those below it
    (workflow/visibility.py); one organisation as itself, so its queries keep their plans."""
    orgs = visible_orgs(session, current_user.org_id, reader().supervising)
    return orgs[0] if len(orgs) == 1 else orgs


def _status_file(rt: Runtime) -> Any:
    return verification.status_path(rt.instance)


# ---------------------------------------------------------------- the overview


@bp.get("/")
@require_roles(ADMIN_ROLE, page=AUDIT)
def index() -> str:
    rt = runtime()
    with rt.sessions() as s:
        scope = _scope(s)
        total, refused, cases = org_totals(s, scope)
        recent = recent_events(s, scope, RECENT)
        people = _accounts(s)
        events = [event_view(e, rt.registry, people, with_payload=False) for e in recent]
        last = verification.load(_status_file(rt))
        chains = visible_chains(s, current_user.org_id, reader().supervising) if last else set()
    return render_template("audit/index.html", total=total, refused=refused, cases=cases, events=events,
                           recent=RECENT, last=_summary(last, chains) if last else None,
                           system_journal=SYSTEM_JOURNAL_ID, admin_journal=_journals()[1])


# ---------------------------------------------------------------- the explorer: filters


@dataclass
class Filters:
    """The explorer's form as typed (to refill it), its errors by field, and the filter when valid."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    filter: EventFilter | None = None


def parse_filters(args: MultiDict[str, str]) -> Filters:
    values = {name: (args.get(name) or "").strip() for name in ("case", "actor", "role", "trigger", "kind",
                                                                 "from", "to", "org")}
    errors: dict[str, str] = {}
    for name, limit in MAX_LEN.items():
        if len(values[name]) > limit:
            errors[name] = _("不能超过{n}个字符。", n=limit)
        elif CONTROL.search(values[name]):
            errors[name] = _("含有不允许的控制字符。")
    if values["org"] and values["org"] not in reader().orgs():  # only one of the organisations audited (issue 14)
        errors["org"] = _("未知的单位，请从列表中选择。")
    if values["kind"] and values["kind"] not in KINDS:
        errors["kind"] = _("未知的事件类型，请从列表中选择。")
    start, end = day_range(values, "from", "to", errors)
    days = {"from": start, "to": end}
    result = Filters(values, errors)
    if not errors:
        result.filter = EventFilter(case=values["case"] or None, actor=values["actor"] or None,
                                    role=values["role"] or None, trigger=values["trigger"] or None,
                                    kind=values["kind"] or None, start=days["from"], end=days["to"],
                                    org=values["org"] or None)
    return result


def _choices(rt: Runtime, people: Mapping[str, str], values: Mapping[str, str]) -> dict[str, Any]:
    """Options of the form's lists, each with the value in use even when nothing else names it (a refused
    attempt may record a step or role no definition knows)."""
    lang = current_lang()
    roles: dict[str, str] = {}
    steps: dict[str, list[tuple[str, str]]] = {}
    for procedure in rt.registry.latest():
        for role, label in procedure.roles.items():
            roles.setdefault(role, label.get(lang))
        group = steps.setdefault(procedure.label.get(lang), [])
        for step in (procedure.create, *procedure.transitions):
            if all(step.trigger != t for t, _label in group):
                group.append((step.trigger, step.label.get(lang)))
    roles.setdefault("admin", label_of(None, "role", "admin"))
    actors = sorted(people.items(), key=lambda kv: kv[0])
    known_steps = {t for group in steps.values() for t, _label in group}
    extra = {
        "actor": values["actor"] if values["actor"] and values["actor"] not in people else "",
        "role": values["role"] if values["role"] and values["role"] not in roles else "",
        "trigger": values["trigger"] if values["trigger"] and values["trigger"] not in known_steps else "",
    }
    return {"roles": sorted(roles.items()), "steps": steps, "actors": actors, "extra": extra,
            "kinds": [(k, _(KIND_LABELS[k])) for k in KINDS]}


# ---------------------------------------------------------------- the explorer: the page


@bp.get("/events")
@own_filters
@require_roles(ADMIN_ROLE, page=AUDIT)
def events() -> tuple[str, int]:
    return _explorer(parse_filters(request.args))


def _explorer(filters: Filters) -> tuple[str, int]:
    rt = runtime()
    with rt.sessions() as s:
        people = _accounts(s)
        orgs = org_choices(s)  # a supervisor's organisations: the picker and the column (issue 14)
        rows: list[Any] = []
        total = pages = 0
        more = False
        page = page_number(request.args.get("page"))
        flt = filters.filter
        if flt is not None:
            total = count_events(s, _scope(s), flt, at_most=COUNT_LIMIT)
            more, total = total > COUNT_LIMIT, min(total, COUNT_LIMIT)
            pages = max(1, -(-total // PAGE_SIZE))
            page = min(page, pages)
            known: dict[str, DataLabels] = {}
            shown = page_of_events(s, _scope(s), flt, page, PAGE_SIZE)
            of_org = event_orgs(s, shown, _scope(s)) if orgs else {}
            rows = [{**_row(e, rt, people, known), "org": dict(orgs).get(of_org.get((e.case_id, e.seq), ""), "")}
                    for e in shown]
    query = flt.as_dict() if flt is not None else {}
    return render_template(
        "audit/events.html", filters=filters, choices=_choices(rt, people, filters.values), rows=rows,
        total=total, more=more, page=page, pages=pages, page_size=PAGE_SIZE,
        links=page_links(page, pages, query, "audit.events") if pages > 1 else [],
        prev_url=url_for("audit.events", **query, page=page - 1) if page > 1 else None,
        next_url=url_for("audit.events", **query, page=page + 1) if page < pages else None,
        jsonl_url=url_for("audit.events_jsonl", **query), csv_url=url_for("audit.events_csv", **query),
        system_journal=SYSTEM_JOURNAL_ID, admin_journal=_journals()[1], orgs=orgs,
        admin_prefix=ADMIN_JOURNAL_PREFIX,  # a supervisor's: the organisations below keep journals too
    ), (400 if filters.errors else 200)


def _titles(session: Any, org_id: str) -> dict[str, str]:
    """The titles of the cases a user of `org_id` may audit (workflow/audit/chains.py), as the auditor may read
    them: a title naming the party masked (workflow/case_reading.py)."""
    shown = reader()
    orgs = visible_orgs(session, org_id, shown.supervising)  # and the cases addressed to them (workflow/addressee.py)
    return {cid: shown.title(shown.procedure(p, v), t) for cid, p, v, t in session.execute(
        select(Case.id, Case.procedure, Case.procedure_version, Case.title)
        .where(or_(Case.org_id.in_(orgs), Case.addressee_org_id.in_(orgs))))}


def _row(event: AuditEvent, rt: Runtime, people: Mapping[str, str],
         labels: dict[str, DataLabels] | None = None) -> dict[str, Any]:
    # A party's personal data are masked on the page (and in the CSV) as the definitions' `visibility:` says for
    # the auditor's roles; the JSON Lines export is the trail as hashed, for the verifier, byte for byte.
    shown = reader()
    view = event_view(event, rt.registry, people, labels=labels, reader=shown)
    payload = shown.payload(procedure_for_ref(rt.registry, event.procedure), event.trigger,
                            json.loads(event.payload)) if event.payload not in ("{}", "") else {}
    return {"e": view, "trigger": event.trigger or "", "actor_id": event.actor or "", "role_id": event.role or "",
            "hash": event.hash, "prev": event.prev, "at": event.at, "procedure": event.procedure,
            "raw_payload": json.dumps(payload, ensure_ascii=False, indent=1) if payload else ""}


# ---------------------------------------------------------------- the explorer: exports


def _export_name(stamp: str, ext: str) -> str:
    return "lawflow-audit-selection-" + stamp[:19].replace("-", "").replace(":", "") + f"Z.{ext}"


def _chunked(pieces: Iterator[bytes]) -> Iterator[bytes]:
    buffer: list[bytes] = []
    size = 0
    for piece in pieces:
        buffer.append(piece)
        size += len(piece)
        if size >= CHUNK:
            yield b"".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield b"".join(buffer)


@bp.get("/events.jsonl")
@own_filters
@require_roles(ADMIN_ROLE, page=AUDIT)
def events_jsonl() -> Response | tuple[str, int]:
    """The filtered events as JSON Lines: a header record naming the filters, the events (every hashed field
    and the hash, newest first), and an end record with the count. Streamed from the database."""
    filters = parse_filters(request.args)
    if filters.filter is None:
        return _explorer(filters)
    flt = filters.filter
    rt = runtime()
    stamp = utc_stamp(rt.clock.now())
    org_id, username = current_user.org_id, current_user.username
    header = header_record(flt, origin=rt.origin, exported_at=stamp, exported_by=username, org_id=org_id)
    with rt.sessions() as s:
        scope = _scope(s)

    def lines() -> Iterator[bytes]:
        yield export_line(header)
        count = 0
        with rt.sessions() as session:
            for record in iter_selection(session, scope, flt):
                count += 1
                yield export_line(record)
        yield export_line({"type": "end", "events": count})

    return Response(stream_with_context(_chunked(lines())), mimetype="application/x-ndjson",
                    headers={"Content-Disposition": f'attachment; filename="{_export_name(stamp, "jsonl")}"'})


CSV_COLUMNS = (N_("案件编号"), N_("序号"), N_("时间（北京时间）"), N_("事件类型"), N_("步骤"), N_("步骤代码"),
               N_("原阶段"), N_("新阶段"), N_("办理人账号"), N_("办理人"), N_("办理角色"), N_("拒绝原因及依据"),
               N_("提交内容（JSON）"), N_("程序及版本"), N_("记录时间（UTC）"), N_("前一事件哈希"), N_("哈希"))
CSV_NOTE = N_("lawflow 审计事件筛选导出；筛选条件：{filters}；导出时间：{at}（UTC）；导出人：{who}。"
              "筛选结果不能作为哈希链校验，完整校验请使用 lawflow audit export 导出的全部审计记录。")
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula is quoted with a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA) else text


@bp.get("/events.csv")
@own_filters
@require_roles(ADMIN_ROLE, page=AUDIT)
def events_csv() -> Response | tuple[str, int]:
    """The filtered events as CSV for spreadsheets: UTF-8 with a BOM; the first row says which filters
    produced it; labels in the page language, raw codes and hashes alongside."""
    filters = parse_filters(request.args)
    if filters.filter is None:
        return _explorer(filters)
    flt = filters.filter
    rt = runtime()
    stamp = utc_stamp(rt.clock.now())
    lang = current_lang()
    note = _(CSV_NOTE, filters=_describe(flt), at=stamp, who=current_user.username)
    with rt.sessions() as s:
        people = _accounts(s)
        scope = _scope(s)
    registry = rt.registry
    shown = reader()

    def rows() -> Iterator[bytes]:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([note])
        writer.writerow([_(c) for c in CSV_COLUMNS])
        yield "\ufeff".encode() + out.getvalue().encode("utf-8")
        with rt.sessions() as session:
            for r in iter_selection(session, scope, flt):
                out.seek(0)
                out.truncate()
                procedure = procedure_for_ref(registry, r["procedure"])
                reasons = "；".join(
                    ((x.get("en") if lang == "en" else x.get("zh")) or x.get("code", ""))
                    + (f"（{x['article']}）" if x.get("article") else "")
                    for x in r["reasons"] if isinstance(x, dict))
                writer.writerow([_cell(v) for v in (
                    r["case"], r["seq"], fmt_stamp(r["at"]), _(KIND_LABELS.get(r["kind"], r["kind"])),
                    label_of(procedure, "step", r["trigger"]), r["trigger"],
                    label_of(procedure, "state", r["from"]), label_of(procedure, "state", r["to"]),
                    r["actor"], people.get(r["actor"] or "", ""), label_of(procedure, "role", r["role"]),
                    reasons, json.dumps(shown.payload(procedure, r["trigger"], r["payload"]), ensure_ascii=False,
                                        sort_keys=True) if r["payload"] else "",
                    r["procedure"], r["at"], r["prev"], r["hash"])])
                yield out.getvalue().encode("utf-8")

    return Response(stream_with_context(_chunked(rows())), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{_export_name(stamp, "csv")}"'})


def _describe(flt: EventFilter) -> str:
    names = {"case": _("案件编号"), "actor": _("办理人"), "role": _("办理角色"), "trigger": _("步骤"),
             "kind": _("事件类型"), "from": _("起始日期"), "to": _("截止日期"), "org": _("单位")}
    parts = [f"{names[k]}={v}" for k, v in flt.as_dict().items()]
    return _("、").join(parts) if parts else _("无（本单位全部事件）")


# ---------------------------------------------------------------- verification


@bp.get("/verify")
@require_roles(ADMIN_ROLE, page=AUDIT)
def verify() -> str:
    rt = runtime()
    last = verification.load(_status_file(rt))
    rows: list[dict[str, Any]] = []
    page = pages = 1
    since = 0
    chains: set[str] = set()
    if last is not None:
        with rt.sessions() as s:
            chains = visible_chains(s, current_user.org_id, reader().supervising)
            titles = _titles(s, current_user.org_id)
            current_events = events_in(s, chains)
        mine = [(name, entry) for name, entry in last.get("cases", {}).items() if name in chains]
        since = max(current_events - sum(int(entry.get("events", 0)) for _name, entry in mine), 0)
        tree_size = (last.get("latest_checkpoint") or {}).get("tree_size", 0)
        mine.sort(key=lambda item: (item[1].get("ok", True), item[0]))  # broken first
        pages = max(1, -(-len(mine) // CASES_PAGE_SIZE))
        page = min(page_number(request.args.get("page")), pages)
        for name, entry in mine[(page - 1) * CASES_PAGE_SIZE: page * CASES_PAGE_SIZE]:
            problem = entry.get("problem")
            rows.append({
                "case": name, "title": titles.get(name, ""), "events": entry.get("events", 0),
                "head_seq": entry.get("head_seq", 0), "head_hash": entry.get("head_hash") or "",
                "anchored": entry.get("anchored", 0), "all_anchored": tree_size > 0
                and entry.get("anchored", 0) >= entry.get("events", 0),
                "ok": entry.get("ok", True), "problem": problem.get("text") if problem else "",
            })
        broken_here = sum(1 for _name, e in mine if not e.get("ok", True))
    else:
        broken_here = 0
    return render_template(
        "audit/verify.html", last=_summary(last, chains) if last else None, rows=rows, page=page, pages=pages,
        links=page_links(page, pages, {}, "audit.verify") if pages > 1 else [], since=since,
        broken_here=broken_here, system_journal=SYSTEM_JOURNAL_ID, admin_journal=_journals()[1],
        demo_key=str(rt.key_path) if key_in_instance(rt.key_path, rt.instance) else None)


@bp.post("/verify")
@require_roles(ADMIN_ROLE, page=AUDIT)
def run_verification() -> Response:
    """Run the full verification now (every hash, chain, leaf, checkpoint, signature and evidence file) and
    keep the result for the pages; the CSRF check has already run (web/csrf.py)."""
    rt = runtime()
    stamp = utc_stamp(rt.clock.now())
    result = verification.run(rt.sessions, rt.origin, stamp, records_dir=str(rt.records.root), registry=rt.engine.registry,
                              by=current_user.username)
    verification.save(_status_file(rt), result)
    if result["report"]["ok"]:
        flash(_("校验完成：审计记录完整。"), "success")
    else:
        flash(_("校验完成：发现问题，详见下文。"), "error")
    return redirect(url_for("audit.verify"))


SIGNATURES = {"verified": N_("均已验证"), "not checked": N_("未验证（缺少 cryptography 组件）"),
              "none": N_("尚无检查点"), "stopped": N_("未验证（校验在此之前因问题停止）")}


def _summary(last: Mapping[str, Any], chains: set[str]) -> dict[str, Any]:
    """The stored status as the pages show it: local times, labels, the first problem in words; the counts,
    problems and warnings of the visible `chains` only (the checkpoint, a signed statement about the whole
    log that is witnessed outside, as it is)."""
    report = last.get("report", {})
    first = report.get("first_error")
    mine = [entry for name, entry in last.get("cases", {}).items() if name in chains]
    if first and first.get("case") not in chains:  # never another organisation's case id
        first = {"text": _("首个问题位于本单位可见范围以外的审计记录中，请系统管理员处理。")}
    warnings = [w for w in report.get("warnings", []) if _warned_chain(w) in chains]
    checkpoint = last.get("latest_checkpoint")
    by = last.get("verified_by")
    # a run that stopped at a problem before the checkpoint records has not checked their signatures
    stopped = not report.get("ok") and report.get("checkpoints", 0) < last.get("checkpoints", 0)
    return {
        "ok": bool(report.get("ok")),
        "message": _problem_text(first),  # the report's own message counts the whole trail
        "at": fmt_stamp(last.get("verified_at", "")),
        "by": by or "",
        "events": sum(int(e.get("events", 0)) for e in mine),
        "cases": len(mine),
        "checkpoints": last.get("checkpoints", report.get("checkpoints", 0)),
        "unanchored": sum(max(int(e.get("events", 0)) - int(e.get("anchored", 0)), 0) for e in mine),
        "signatures": _(SIGNATURES["stopped"] if stopped else SIGNATURES.get(report.get("signatures", ""),
                                                                              SIGNATURES["none"])),
        "signatures_ok": report.get("signatures") == "verified",
        "records_checked": sum(int(e.get("records", 0)) for e in mine) if report.get("records_checked") else 0,
        "warnings": warnings[:10], "warning_count": len(warnings),
        "first_error": _problem_text(first),
        "first_case": (first or {}).get("case"),
        "checkpoint": None if not checkpoint else {
            "tree_size": checkpoint.get("tree_size"), "issued_at": _stamp_or_raw(checkpoint.get("issued_at")),
            "key_id": checkpoint.get("key_id"), "root": checkpoint.get("root")},
    }


WARNED_CHAIN = re.compile(r"case '([^']*)'")


def _warned_chain(warning: str) -> str | None:
    """The chain a verifier warning names ("case 'X' seq N: ..."), if any."""
    match = WARNED_CHAIN.search(warning)
    return match.group(1) if match else None


def _problem_text(problem: Mapping[str, Any] | None) -> str:
    if not problem:
        return ""
    return str(problem.get("text") or problem.get("message") or "")


def _stamp_or_raw(stamp: Any) -> str:
    try:
        parse_stamp(str(stamp))
    except ValueError:
        return str(stamp or "")
    return fmt_stamp(str(stamp))


# ---------------------------------------------------------------- compliance


def _compliance_args() -> tuple[dict[str, str], dict[str, str], list[tuple[str, str]], dict[str, date]]:
    """The compliance page's query (organisation, from, to; this year to today by default): the values as typed,
    their errors by field, the organisations one may pick, and the days."""
    rt = runtime()
    today = rt.engine.today()
    values = {"from": (request.args.get("from") or "").strip(), "to": (request.args.get("to") or "").strip(),
              "org": (request.args.get("org") or "").strip() or current_user.org_id}
    errors: dict[str, str] = {}
    with rt.sessions() as s:  # a supervisor picks one of the organisations below theirs (issue 14)
        scope = _scope(s)
        orgs = list(org_tree.names(s, [scope] if isinstance(scope, str) else scope, current_lang()).items())
    if values["org"] not in dict(orgs):
        errors["org"] = _("未知的单位，请从列表中选择。")
    start, end = day_range(values, "from", "to", errors)
    days: dict[str, date] = {"from": start or date(today.year, 1, 1), "to": end or today}  # this year to date
    for name in ("from", "to"):
        values[name] = values[name] or days[name].isoformat()
    if not errors and days["from"] > days["to"]:  # one side typed, the other by default
        errors["to"] = _("截止日期早于起始日期。")
    return values, errors, orgs, days


@bp.get("/compliance")
@require_roles(ADMIN_ROLE, page=COMPLIANCE)
def compliance() -> tuple[str, int]:
    from workflow.procedures.enforcement.compliance import CERTIFIED, REVIEW_STAFF, compliance_figures

    rt = runtime()
    today = rt.engine.today()
    values, errors, orgs, days = _compliance_args()
    org_id = values["org"]
    figures: list[dict[str, Any]] = []
    report = None
    if not errors:
        with rt.sessions() as s:
            report = compliance_figures(s, org_id, days["from"], days["to"], registry=rt.registry, as_of=today)
            people = _accounts(s)
            own = own_case_ids(s, org_id)
            timers = timer_figures(s, rt.registry, org_id, days["from"], days["to"])
        lang = current_lang()
        for f in report.figures:
            by_person = f.key in (CERTIFIED, REVIEW_STAFF)

            def ref(r: str, by_person: bool = by_person) -> dict[str, Any]:
                if by_person:
                    return {"text": person(people, r), "url": None}
                return {"text": r, "url": url_for("cases.show", case_id=r) if r in own else None}

            share = f.share
            figures.append({
                "key": f.key, "label": f.label.get(lang), "basis": f.basis, "rule": f.period_rule.get(lang),
                "unit": f.unit.get(lang), "numerator": f.numerator, "denominator": f.denominator,
                "share": share, "percent": None if share is None else _percent(share),
                "width": None if share is None else round(min(max(share, 0.0), 1.0) * 100, 2),
                "target": f.target, "target_percent": None if f.target is None else _percent(f.target),
                "target_x": None if f.target is None or f.target >= 1 else round(f.target * 100, 2),
                "met": share is not None and (f.target is None or share >= f.target),
                "notes": [n.get(lang) for n in f.notes],
                "shortfalls": [{
                    **ref(sf.ref), "reason": sf.reason_label.get(lang),
                    "due": fmt_date(sf.due) if sf.due else "—",
                    "done_on": fmt_date(sf.done_on) if sf.done_on else _("未办理") if sf.reason == "overdue" else "—",
                    "event_seq": sf.event_seq,
                } for sf in f.shortfalls],
                "parts": [{"label": p.label.get(lang), "count": len(p.refs), "refs": [ref(r) for r in p.refs]}
                          for p in f.parts if p.refs],
            })
    reminders = [] if errors else [{
        "procedure": t.procedure_label.get(current_lang()), "deadline": t.deadline_label.get(current_lang()),
        "basis": t.basis, "reminded": len(t.reminded), "in_time": len(t.done_in_time_after_reminder),
        "escalated": len(t.escalated), "acted": len(t.acted_after_escalation),
        "still": [{"text": c, "url": url_for("cases.show", case_id=c) if c in own else None}
                  for c in sorted({k[0] for k in t.still_overdue})],
    } for t in timers]
    return render_template(
        "audit/compliance.html", values=values, errors=errors, figures=figures, report=report, reminders=reminders,
        orgs=orgs,
        org=report.org_name.get(current_lang()) if report else "",
        period=(fmt_date(days["from"]), fmt_date(days["to"])) if not errors else None,
        as_of=fmt_date(today),
    ), (400 if errors else 200)


@bp.get("/compliance.xlsx")
@require_roles(ADMIN_ROLE, page=COMPLIANCE)
def compliance_xlsx() -> Response | tuple[str, int]:
    """The compliance figures as a workbook (导出Excel): one row per figure, with the cases that fell short."""
    from workflow.procedures.enforcement.compliance import CERTIFIED, REVIEW_STAFF, compliance_figures

    values, errors, _orgs, days = _compliance_args()
    if errors:
        return compliance()
    rt = runtime()
    lang = current_lang()
    with rt.sessions() as s:
        report = compliance_figures(s, values["org"], days["from"], days["to"], registry=rt.registry,
                                    as_of=rt.engine.today())
        people = _accounts(s)
    title = _("执法合规指标（{org}，{start}至{end}）", org=report.org_name.get(lang), start=fmt_date(days["from"]),
              end=fmt_date(days["to"]))
    head = [_("指标"), _("依据"), _("计算规则"), _("分子"), _("分母"), _("比例"), _("目标"), _("未达标的记录")]
    body: list[list[xlsx.Cell]] = [[
        f.label.get(lang), f.basis, f.period_rule.get(lang), f.numerator, f.denominator,
        "—" if f.share is None else _percent(f.share), "" if f.target is None else _percent(f.target),
        _("；").join(f"{person(people, sf.ref) if f.key in (CERTIFIED, REVIEW_STAFF) else sf.ref}"
                    f"（{sf.reason_label.get(lang)}）" for sf in f.shortfalls)] for f in report.figures]
    data = xlsx.workbook(_("执法合规指标"), [[title], head, *body])
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="compliance-{values["org"]}.xlsx"'})


def _percent(share: float) -> str:
    return f"{share * 100:.1f}%"


def _accounts(session: Any) -> dict[str, str]:
    """The audit pages show each person with their account (张伟（zhangwei）): the record as it stands in the trail."""
    scope = _scope(session)
    people: dict[str, str] = {}
    for org in [scope] if isinstance(scope, str) else scope:  # a supervisor's: the people of the towns too
        people.update(people_of(session, org))
    return {u: f"{name}{paren(u)}" for u, name in people.items()}
