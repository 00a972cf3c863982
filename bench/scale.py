#!/usr/bin/env python3
"""A large, realistic lawflow database: 100,000 cases and 1,000,000 chained audit events, in minutes.

    .venv/bin/python bench/scale.py --sqlite /tmp/scale.sqlite3            (a fresh SQLite file)
    .venv/bin/python bench/scale.py --pg lawflow_scale                      (a fresh database on the PG test server)
    options: --cases N --events N --seed N --sqlite PATH --pg NAME (both may be given)

What it writes, into a fresh database migrated like `lawflow init`:
  - the demo town (workflow.demo.seed_town: houlong's people, settings and certificates; the demo password
    works, hashed cheaply) and a second organisation (fengwei, five people), so that organisation scoping
    has something to exclude;
  - `--cases` cases of the three procedures (penalty cases 78 %, major decisions 12 %, legal reviews of
    penalty decisions 10 %), 95 % houlong. Each follows a path of its definition's own transitions (the
    state after each step is the definition's `dest`), cut where the case stands today: old cases mostly
    finished, recent ones at every stage. 8 % of attempts are planned as refused (kind `refused`, with
    reasons and articles, state unchanged); fitting the exact total removes refusals first, so about 5 %
    of the events are refusals. Payloads are built from each step's field specs; the case data by the
    engine's own `_record`; the running periods (case_deadline) by the rules of the engine's update_deadlines (workflow/engine/timeliness.py)
    (start/end/clear triggers, calendar or working days on the shipped holiday calendar, provisional where
    a year has no data), so the list shows overdue, due-soon and far deadlines as real work has;
  - exactly `--events` audit events in total, hashed by the engine's own `chain_event` (canonical JSON,
    per-case chains, the case row keeping its head), so `lawflow audit verify` passes. Events are written
    in time order across cases (ids grow with time, as in a live system), with the raw driver in large
    transactions (SQLite executemany, PostgreSQL COPY): calling fire() a million times would take hours;
  - one case (a major decision of zhangwei's, `big_case` in the summary) with exactly 200 events.

The audit_event indexes that back no constraint are dropped for the load and built again at the end; the
database is then analysed (SQLite ANALYZE, PostgreSQL VACUUM ANALYZE). Not written: checkpoints (a verify
reports every event unanchored, and passes) and record files.
"""

from __future__ import annotations

import argparse
import heapq
import json
import random
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from workflow import numbering  # noqa: E402
from workflow.audit.trail import chain_event  # noqa: E402
from workflow.calendar import WorkCalendar  # noqa: E402
from workflow.clock import local_date, utc_stamp  # noqa: E402
from workflow.db import writing  # noqa: E402
from workflow.deadlines import start_period  # noqa: E402
from workflow.definitions import Procedure, Registry, Transition  # noqa: E402
from workflow.engine import _record  # noqa: E402  (the engine's own case-data recording)
from workflow.models import GENESIS_HASH, CaseNumberCounter  # noqa: E402

BIG_CASE_EVENTS = 200
MAX_OTHER_EVENTS = 100  # no other case comes near the big one
REFUSED_SHARE = 0.08
FLUSH_EVENTS = 50_000  # events per write transaction
FIRST_DAY = datetime(2024, 1, 2, 1, 0, tzinfo=UTC)
MIX = (("major_decision", 0.12), ("enforcement_case", 0.78), ("enforcement_review", 0.10))  # penalties are the bulk
OTHER_ORG = ("fengwei", "泉州市泉港区峰尾镇人民政府", "Fengwei Town People's Government")
OTHER_SHARE = 0.05
OTHER_USERS = (
    {"username": "fw_drafter", "display_name": "峰尾承办人", "roles": ["drafter"]},
    {"username": "fw_head", "display_name": "峰尾镇长", "roles": ["head", "agency_head"]},
    {"username": "fw_counsel", "display_name": "峰尾司法所", "roles": ["legal_counsel", "legal_reviewer",
                                                                   "legal_adviser"]},
    {"username": "fw_member", "display_name": "峰尾副镇长", "roles": ["decision_member"]},
    {"username": "fw_officer", "display_name": "峰尾执法队员", "roles": ["enforcement_officer"]},
)

# The paths cases follow: the definitions' triggers in an order the definitions allow. "*" marks the step
# a case repeats as its work needs (comments, investigation records, checklist findings).
PATHS: dict[str, list[tuple[float, list[str]]]] = {
    "major_decision": [
        (0.85, ["create", "start", "open_public_comment", "*record_comment", "close_public_comment",
                "record_expert_argumentation", "record_risk_assessment", "submit_for_legality_review",
                "record_adviser_opinion", "issue_legality_opinion", "submit_for_collective_discussion",
                "convene_meeting", "record_member_view", "record_member_view", "record_member_view",
                "adopt_decision", "report_to_party_committee", "publish", "start_execution", "report_execution",
                "start_post_evaluation", "complete_post_evaluation", "archive"]),
        (0.05, ["create", "decline_to_start"]),
        (0.10, ["create", "start", "open_public_comment", "*record_comment", "close_public_comment",
                "waive_expert_argumentation", "record_risk_assessment", "submit_for_legality_review",
                "issue_legality_opinion", "submit_for_collective_discussion", "convene_meeting",
                "record_member_view", "record_member_view", "reject_decision"]),
    ],
    "enforcement_case": [
        (0.60, ["create", "start_investigation", "*record_investigation_conduct", "notify_with_hearing_rights",
                "record_statement", "decide_penalty", "serve_decision", "publish_decision", "record_execution",
                "close_case", "archive"]),
        (0.15, ["create", "start_investigation", "register_evidence_preservation", "decide_on_preserved_evidence",
                "*record_investigation_conduct", "notify_intended_penalty", "decide_penalty", "serve_decision",
                "publish_decision", "record_execution", "close_case", "archive"]),
        (0.20, ["create", "start_investigation", "*record_investigation_conduct", "decide_no_penalty",
                "publish_decision", "close_case", "archive"]),
        (0.05, ["create", "start_investigation", "*record_investigation_conduct", "transfer_to_judicial_organs",
                "close_case", "archive"]),
    ],
    "enforcement_review": [
        (0.75, ["create", "accept_for_review", "*record_checklist_finding", "pass_review"]),
        (0.15, ["create", "accept_for_review", "*record_checklist_finding", "return_for_supplement", "resubmit",
                "accept_for_review", "record_checklist_finding", "pass_review"]),
        (0.10, ["create", "accept_for_review", "*record_checklist_finding", "fail_review"]),
    ],
}
TITLES = {
    "major_decision": ("后龙镇{place}老旧小区改造实施方案", "后龙镇{place}农村生活污水治理方案", "后龙镇{place}集贸市场搬迁方案",
                       "后龙镇{place}村庄规划（2026—2035年）", "后龙镇{place}生活垃圾分类实施办法"),
    "enforcement_case": ("{place}沿街堆放物料案", "{place}违法搭建彩钢棚案", "{place}未取得乡村建设规划许可证建房案",
                         "{place}占道经营案"),
    "enforcement_review": ("{place}较大数额罚款决定法制审核", "{place}责令停产停业决定法制审核"),
}
PLACES = ("后龙村", "土楼村", "峰前村", "山腰社区", "海滨社区", "埔头村", "赤湖村", "前黄村")
SENTENCES = (
    "经实地调查，相关情况基本属实，现场照片和询问笔录已附卷。",
    "建议在施工前公告交通组织方案，并优先改造靠近溪流的自然村。",
    "依据有关法律法规和本镇工作规则办理，相关材料齐全。",
    "当事人对事实无异议，表示将按要求限期整改。",
    "经研究，同意按程序推进，请承办单位抓好落实并及时报告进展。",
)
REFUSALS = (
    ("role_not_allowed", "「{step}」须由有权限的角色办理", "'{step}' needs another role", ""),
    ("missing_field", "缺少必填项，请补充后重新提交", "a required field is missing", ""),
    ("minimum_period", "法定最短期间尚未届满，届满后方可办理", "the minimum period has not run out yet", "条例第十五条"),
    ("separation_of_duties", "办理本步骤的人员不得曾以承办人员身份办理本案（职责分离）",
     "whoever drafted this case may not take this step (separation of duties)", "处罚法第五十八条"),
)


# ---------------------------------------------------------------- the plan of each case


@dataclass
class CasePlan:
    """What happens to one case: its steps (a leading "!" marks a refused attempt) and when."""

    procedure: Procedure
    org: str
    creator: str
    created: datetime
    steps: list[str]
    case_id: str = ""
    times: list[datetime] = field(default_factory=list)


def _weighted(rng: random.Random, choices: tuple[tuple[Any, float], ...] | list[tuple[Any, float]]) -> Any:
    r = rng.random()
    for value, share in choices:
        if r < share:
            return value
        r -= share
    return choices[0][0]


def _steps(path: list[str], repeats: int, cut: int) -> list[str]:
    """The path's first `cut` steps, with its repeated step (if reached) taken `repeats` times."""
    steps: list[str] = []
    for step in path[:cut]:
        if not step.startswith("*"):
            steps.append(step)
            continue
        for _ in range(repeats):
            steps.append(step[1:])
            if step == "*record_comment":  # each comment is then decided (adopted or not)
                steps.append("decide_comment_adoption")
    return steps


def _with_refusals(rng: random.Random, steps: list[str]) -> list[str]:
    """Some attempts are refused before the step succeeds (never the opening: a refused opening has no case)."""
    out = steps[:1]
    for step in steps[1:]:
        if rng.random() < REFUSED_SHARE:
            out.append("!" + step)
        out.append(step)
    return out


def plan_cases(rng: random.Random, registry: Registry, n: int, now: datetime,
               users: dict[tuple[str, str], list[str]]) -> list[CasePlan]:
    span = (now - timedelta(days=1) - FIRST_DAY).total_seconds()
    plans = []
    for _ in range(n):
        procedure = registry.get(_weighted(rng, MIX))
        org = OTHER_ORG[0] if rng.random() < OTHER_SHARE else "houlong"
        creator = rng.choice(users[(org, procedure.create.roles[0])])
        created = FIRST_DAY + timedelta(seconds=rng.random() * span)
        path = _weighted(rng, [(path, share) for share, path in PATHS[procedure.id]])
        old = (now - created).days > 120
        cut = len(path) if old and rng.random() < 0.93 else rng.randint(1, len(path))
        repeats = rng.randint(0, 4) if procedure.id == "major_decision" else rng.randint(1, 2)
        plans.append(CasePlan(procedure, org, creator, created, _with_refusals(rng, _steps(path, repeats, cut))))
    return plans


def _big_plan(rng: random.Random, registry: Registry, now: datetime) -> CasePlan:
    """A major decision of zhangwei's, opened 150 days ago, now executing: exactly BIG_CASE_EVENTS events."""
    path = PATHS["major_decision"][0][1]
    until = path.index("report_execution") + 1
    refused = 10
    steps = _steps(path, (BIG_CASE_EVENTS - (until - 1) - refused) // 2, until)
    while len(steps) < BIG_CASE_EVENTS:
        i = rng.randint(1, len(steps) - 1)
        steps.insert(i, "!" + steps[i].lstrip("!"))
    return CasePlan(registry.get("major_decision"), "houlong", "zhangwei", now - timedelta(days=150), steps)


def fit_total(rng: random.Random, plans: list[CasePlan], total: int) -> None:
    """Remove or add attempts until the events number exactly `total`. Removed first: refused attempts and
    recording steps within a stage that start, end or clear no period (the case still ends where it was
    going, with the same running periods); a step that moves a case on is taken off its end only when a
    case has nothing else. Added: refused attempts."""
    count = sum(len(p.steps) for p in plans)
    others = plans[1:]
    staying = {p.id: {t.trigger for t in p.transitions if t.dest is None} - {"record_comment"} - {
        trigger for spec in p.deadlines.values() for trigger in (*spec.starts_on, *spec.ends_on, *spec.cleared_on)}
        for p in {id(x.procedure): x.procedure for x in others}.values()}
    while count > total:
        p = rng.choice(others)
        if len(p.steps) <= 1:
            continue
        stay = staying[p.procedure.id]
        removable = [i for i, s in enumerate(p.steps) if i and (s.startswith("!") or s in stay)]
        p.steps.pop(rng.choice(removable) if removable else -1)
        count -= 1
    while count < total:
        p = rng.choice(others)
        if 1 < len(p.steps) < MAX_OTHER_EVENTS:
            i = rng.randint(1, len(p.steps) - 1)
            p.steps.insert(i, "!" + p.steps[i].lstrip("!"))
            count += 1


def assign_ids_and_times(rng: random.Random, plans: list[CasePlan], now: datetime) -> dict[tuple[str, str, int], int]:
    """Case numbers in opening order per organisation, procedure and year (as the engine numbers them, see
    workflow/numbering.py); event times that grow within a case and end before `now`. Returns the last
    number of each series, for the counters the engine continues from."""
    latest = now - timedelta(hours=1)
    numbers: dict[tuple[str, str, int], int] = {}
    for p in sorted(plans, key=lambda p: p.created):
        series = (p.org, numbering.prefix_of(p.procedure.id), local_date(p.created).year)
        numbers[series] = numbers.get(series, 0) + 1
        p.case_id = numbering.case_id(*series, numbers[series])
        gaps = [0.0] + [max(600.0, rng.expovariate(1 / (1.5 * 86400))) for _ in p.steps[1:]]
        room = (latest - p.created).total_seconds()
        scale = min(1.0, room / sum(gaps)) if sum(gaps) else 1.0
        t = p.created
        times = []
        for g in gaps:
            t = t + timedelta(seconds=g * scale, microseconds=1)  # strictly increasing, also when squeezed
            times.append(t)
        p.times = times
    return numbers


# ---------------------------------------------------------------- building a case's rows


class Head:
    """A chain head (workflow.audit.trail.ChainHead): what the case row keeps."""

    def __init__(self, case_id: str) -> None:
        self.id, self.audit_seq, self.audit_head = case_id, 0, GENESIS_HASH


@dataclass
class CaseState:
    plan: CasePlan
    head: Head
    state: str = ""
    version: int = 0
    data: dict[str, Any] = field(default_factory=dict)
    deadlines: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    comments: int = 0
    decided: int = 0
    updated: datetime | None = None
    title: str = ""
    i: int = 0


class Builder:
    """Turns plans into rows: payloads from the field specs, data by the engine's _record, deadlines by the
    engine's rules, events by chain_event."""

    def __init__(self, rng: random.Random, calendar: WorkCalendar, settings: dict[str, dict[str, Any]],
                 users: dict[tuple[str, str], list[str]]):
        self.rng, self.calendar, self.settings, self.users = rng, calendar, settings, users

    def payload(self, procedure: Procedure, step: Transition, st: CaseState, day: date) -> dict[str, Any]:
        rng = self.rng
        out: dict[str, Any] = {}
        for f in step.payload:
            name, kind = f.name, f.type
            if name == "title":
                out[name] = rng.choice(TITLES[procedure.id]).format(place=rng.choice(PLACES))
            elif name == "period_days":
                out[name] = 30
            elif name == "comment_no":
                out[name] = st.decided + 1
            elif name in ("requested_by", "extended_until"):
                out[name] = (day + timedelta(days=20 if name == "requested_by" else 45)).isoformat()
            elif kind == "date":
                out[name] = day.isoformat()
            elif kind == "integer":
                out[name] = f.minimum if f.minimum is not None else 1
            elif kind == "decimal":
                out[name] = str(rng.choice((500, 2000, 5000, 20000)))
            elif kind == "boolean":
                out[name] = True
            elif kind == "choice":
                out[name] = f.choices[0][0] if rng.random() < 0.7 else rng.choice(f.choices)[0]
            elif kind == "string_list":
                out[name] = [f"{f.label.zh}{i}" for i in (1, 2)]
            elif kind == "text":
                out[name] = rng.choice(SENTENCES)
            elif f.required or rng.random() < 0.5:
                out[name] = f"{f.label.zh}：{rng.choice(PLACES)}"
        return out

    def actor(self, procedure: Procedure, step: Transition, st: CaseState) -> tuple[str, str]:
        org, creator = st.plan.org, st.plan.creator
        for role in step.roles:
            if role == procedure.create.roles[0] and creator in self.users.get((org, role), ()):
                return creator, role  # the drafter or officer who opened the case carries it on
        for role in step.roles:
            people = self.users.get((org, role))
            if people:
                return self.rng.choice(people), role
        return creator, step.roles[0]

    def deadlines(self, procedure: Procedure, st: CaseState, trigger: str, payload: dict[str, Any],
                  today: date) -> None:
        """The engine's update_deadlines, on a dict instead of the table."""
        current = st.deadlines
        for spec in procedure.deadlines.values():
            if (trigger in spec.ends_on or trigger in spec.cleared_on) and spec.name in current:
                del current[spec.name]
            if trigger not in spec.starts_on:
                continue
            p = start_period(spec, payload, today, self.calendar, lambda key: self.settings[st.plan.org][key])
            current[spec.name] = (spec.kind, p.start, p.due, p.n, spec.unit, p.provisional, spec.basis)

    def event(self, st: CaseState) -> dict[str, Any]:
        """The case's next event (its row), advancing the case."""
        plan = st.plan
        procedure = plan.procedure
        raw = plan.steps[st.i]
        at = plan.times[st.i]
        st.i += 1
        refused = raw.startswith("!")
        trigger = raw.lstrip("!")
        step = procedure.create if trigger == "create" else procedure.transition(trigger, st.state)
        if step is None:
            raise RuntimeError(f"{plan.case_id}: no step {trigger!r} from {st.state!r} in {procedure.ref}")
        day = local_date(at)
        payload = self.payload(procedure, step, st, day)
        actor, role = self.actor(procedure, step, st)
        stamp = utc_stamp(at)
        if refused:
            code, zh, en, article = self.rng.choice(REFUSALS)
            label = step.label
            return chain_event(
                st.head, kind="refused", at=stamp, procedure=procedure.ref, trigger=trigger,
                from_state=st.state, to_state=st.state, actor=actor, role=role if code != "role_not_allowed" else None,
                payload=payload, reasons=[{"code": code, "zh": zh.format(step=label.zh), "en": en.format(step=label.en),
                                           "article": article or step.basis}])
        before = st.state
        if trigger == "create":
            st.state, st.version = procedure.initial, 1
            row = chain_event(st.head, kind="created", at=stamp, procedure=procedure.ref, trigger="create",
                              to_state=st.state, actor=actor, role=role, payload=payload)
        else:
            st.state = step.dest or st.state
            st.version += 1
            row = chain_event(st.head, kind="transition", at=stamp, procedure=procedure.ref, trigger=trigger,
                              from_state=before, to_state=st.state, actor=actor, role=role, payload=payload)
        if trigger == "create":
            st.title = payload["title"]
        elif trigger == "record_comment":
            st.comments += 1
        elif trigger == "decide_comment_adoption":
            st.decided += 1
        st.data = _record(step, st.data, payload, actor, day, st.head.audit_seq)
        self.deadlines(procedure, st, trigger, payload, day)
        st.updated = at
        return row


# ---------------------------------------------------------------- writing


EVENT_COLUMNS = ("case_id", "seq", "format", "kind", "trigger", "from_state", "to_state", "actor", "role", "at",
                 "procedure", "payload", "reasons", "prev", "hash")
CASE_COLUMNS = ("id", "org_id", "procedure", "procedure_version", "title", "state", "version", "data",
                "created_by", "created_at", "updated_at", "audit_seq", "audit_head")
DEADLINE_COLUMNS = ("case_id", "name", "kind", "started_on", "due", "n", "unit", "provisional", "basis")


def case_row(st: CaseState) -> tuple[Any, ...]:
    p = st.plan
    return (p.case_id, p.org, p.procedure.id, p.procedure.version, st.title, st.state, st.version, st.data,
            p.creator, p.created, st.updated, st.head.audit_seq, st.head.audit_head)


class Writer:
    """Writes the rows. The audit_event indexes that back no constraint are dropped for the load and built
    again at the end (one sort each instead of a million random inserts); their definitions are read from
    the database, so they are exactly the migrated ones."""

    def cases(self, rows: list[tuple[Any, ...]], deadlines: list[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    def events(self, rows: list[dict[str, Any]]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


def _sqlite_stamp(moment: datetime) -> str:
    """How SQLAlchemy's DateTime stores a (UTC) moment in SQLite."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


class SqliteWriter(Writer):
    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA synchronous=OFF")  # generating is not what is measured
        self.conn.execute("PRAGMA cache_size=-262144")
        marks = ", ".join("?" * len(EVENT_COLUMNS))
        self.event_sql = f"INSERT INTO audit_event ({', '.join(EVENT_COLUMNS)}) VALUES ({marks})"
        self.case_sql = (f"INSERT INTO case_file ({', '.join(CASE_COLUMNS)}) "
                         f"VALUES ({', '.join('?' * len(CASE_COLUMNS))})")
        self.deadline_sql = (f"INSERT INTO case_deadline ({', '.join(DEADLINE_COLUMNS)}) "
                             f"VALUES ({', '.join('?' * len(DEADLINE_COLUMNS))})")
        self.indexes = [sql for (sql,) in self.conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_event' AND sql IS NOT NULL")]
        for (name,) in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' "
                                         "AND tbl_name = 'audit_event' AND sql IS NOT NULL").fetchall():
            self.conn.execute(f'DROP INDEX "{name}"')

    def cases(self, rows: list[tuple[Any, ...]], deadlines: list[tuple[Any, ...]]) -> None:
        dumps = json.dumps  # SQLAlchemy's JSON type on SQLite: json.dumps with default settings
        self.conn.execute("BEGIN")
        self.conn.executemany(self.case_sql, [
            (*r[:7], dumps(r[7]), r[8], _sqlite_stamp(r[9]), _sqlite_stamp(r[10]), r[11], r[12]) for r in rows])
        self.conn.executemany(self.deadline_sql, [
            (c, n, k, s.isoformat(), d.isoformat(), n_, u, int(p), b) for c, n, k, s, d, n_, u, p, b in deadlines])
        self.conn.execute("COMMIT")

    def events(self, rows: list[dict[str, Any]]) -> None:
        self.conn.execute("BEGIN")
        self.conn.executemany(self.event_sql, [tuple(r[c] for c in EVENT_COLUMNS) for r in rows])
        self.conn.execute("COMMIT")

    def close(self) -> None:
        for sql in self.indexes:
            self.conn.execute(sql)
        self.conn.execute("ANALYZE")  # what `lawflow` leaves to the operator; the planner needs statistics
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.conn.close()


class PgWriter(Writer):
    def __init__(self, owner_url: str) -> None:
        """Connects as the tables' owner (SQLAlchemy URL of the test server: Unix socket, trust auth)."""
        import psycopg

        from bench.databases import PgServer

        self.conn = psycopg.connect(**PgServer(owner_url, owner_url).params(owner_url))
        self.conn.execute("SET synchronous_commit = off")
        self.conn.execute("SET maintenance_work_mem = '256MB'")
        self.indexes = self.conn.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = 'audit_event' AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)").fetchall()
        for name, _sql in self.indexes:
            self.conn.execute(f'DROP INDEX "{name}"')
        self.conn.commit()

    def _copy(self, table: str, columns: tuple[str, ...], rows: Iterator[tuple[Any, ...]]) -> None:
        quoted = ", ".join(f'"{c}"' for c in columns)
        with self.conn.cursor() as cur, cur.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def cases(self, rows: list[tuple[Any, ...]], deadlines: list[tuple[Any, ...]]) -> None:
        dumps = json.dumps
        self._copy("case_file", CASE_COLUMNS, ((*r[:7], dumps(r[7]), *r[8:]) for r in rows))
        self._copy("case_deadline", DEADLINE_COLUMNS, iter(deadlines))
        self.conn.commit()

    def events(self, rows: list[dict[str, Any]]) -> None:
        self._copy("audit_event", EVENT_COLUMNS, (tuple(r[c] for c in EVENT_COLUMNS) for r in rows))
        self.conn.commit()

    def close(self) -> None:
        for _name, sql in self.indexes:
            self.conn.execute(sql)
        self.conn.commit()
        self.conn.autocommit = True
        self.conn.execute("VACUUM ANALYZE")  # autovacuum would get there; the measurements should not wait
        self.conn.close()


# ---------------------------------------------------------------- the run


def seed_people(rt: Any) -> tuple[dict[tuple[str, str], list[str]], dict[str, dict[str, Any]]]:
    """The demo town and the second organisation; returns who holds which role, and each org's settings."""
    from werkzeug.security import generate_password_hash

    from workflow import accounts
    from workflow.demo import DEMO_PASSWORD, ENFORCEMENT_SETTINGS, USERS, seed_town

    cheap = generate_password_hash(DEMO_PASSWORD, method="pbkdf2:sha256:1")  # the demo password still works
    seed_town(rt, cheap)
    org_id, name_zh, name_en = OTHER_ORG
    with writing(rt.sessions) as s:
        accounts.ensure_org(s, org_id, name_zh, name_en)
        s.flush()
        for u in OTHER_USERS:
            accounts.create_user(s, org_id=org_id, password_hash=cheap, **u)
        for key, value, source in ENFORCEMENT_SETTINGS:
            accounts.set_setting(s, org_id=org_id, key=key, value=value, source=source, by="admin",
                                 now=rt.clock.now())
    users: dict[tuple[str, str], list[str]] = {}
    for org, people in (("houlong", USERS), (org_id, OTHER_USERS)):
        for u in people:
            for role in u["roles"]:
                users.setdefault((org, role), []).append(u["username"])
    settings = {org: {key: value for key, value, _source in ENFORCEMENT_SETTINGS} for org in ("houlong", org_id)}
    return users, settings


def generate(rt: Any, writer: Writer, cases: int, events: int, seed: int = 1,
             progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Fill the (fresh, migrated) database of `rt` through `writer`; returns a summary with timings."""
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    users, settings = seed_people(rt)
    registry = rt.registry
    big = _big_plan(rng, registry, now)
    plans = [big, *plan_cases(rng, registry, cases - 1, now, users)]
    if events < BIG_CASE_EVENTS + cases - 1:
        raise ValueError(f"{events} events cannot cover {cases} cases and a {BIG_CASE_EVENTS}-event case")
    fit_total(rng, plans, events)
    series = assign_ids_and_times(rng, plans, now)
    planned = time.perf_counter() - started
    say(f"planned {cases:,} cases, {events:,} events in {planned:.1f} s")

    builder = Builder(rng, rt.engine.calendar, settings, users)
    queue = [(p.times[0], i) for i, p in enumerate(plans)]
    heapq.heapify(queue)
    live: dict[int, CaseState] = {}
    pending_events: list[dict[str, Any]] = []
    pending_cases: list[tuple[Any, ...]] = []
    pending_deadlines: list[tuple[Any, ...]] = []
    written = 0
    states: dict[str, int] = {}
    while queue:  # every case's next event, in time order across cases
        _at, i = heapq.heappop(queue)
        st = live.get(i)
        if st is None:
            st = live[i] = CaseState(plans[i], Head(plans[i].case_id))
        pending_events.append(builder.event(st))
        if st.i < len(st.plan.steps):
            heapq.heappush(queue, (st.plan.times[st.i], i))
        else:  # finished: the case row with its chain head, and its running periods
            del live[i]
            pending_cases.append(case_row(st))
            pending_deadlines.extend((st.plan.case_id, name, *d) for name, d in st.deadlines.items())
            key = f"{st.plan.procedure.id}.{st.state}"
            states[key] = states.get(key, 0) + 1
        if len(pending_events) >= FLUSH_EVENTS:
            writer.events(pending_events)
            written += len(pending_events)
            pending_events = []
            if pending_cases:
                writer.cases(pending_cases, pending_deadlines)
                pending_cases, pending_deadlines = [], []
            say(f"{written:,} events written ({time.perf_counter() - started:.0f} s)")
    writer.events(pending_events)
    writer.cases(pending_cases, pending_deadlines)
    written += len(pending_events)
    t = time.perf_counter()
    writer.close()
    with writing(rt.sessions) as session:  # the engine's counters continue after the generated cases
        session.add_all(CaseNumberCounter(org_id=org, prefix=prefix, year=year, last_number=last)
                        for (org, prefix, year), last in series.items())
    finishing = time.perf_counter() - t
    seconds = time.perf_counter() - started
    return {"cases": cases, "events": written, "seed": seed, "big_case": big.case_id, "seconds": seconds,
            "planning_seconds": planned, "finishing_seconds": finishing, "states": dict(sorted(states.items()))}


def runtime_for(url: str, instance: Path) -> Any:
    from workflow.runtime import Runtime

    instance.mkdir(parents=True, exist_ok=True)
    return Runtime(instance=instance, database_url=url, key_path=instance / "audit-signing.key")


def build_sqlite(path: Path, cases: int, events: int, seed: int = 1,
                 progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """A fresh SQLite file at `path`, migrated and filled."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    rt = runtime_for(f"sqlite:///{path}", path.parent / f"{path.stem}-instance")
    rt.migrate()
    try:
        return generate(rt, SqliteWriter(path), cases, events, seed, progress)
    finally:
        rt.db.dispose()


def build_pg(name: str, cases: int, events: int, seed: int = 1,
             progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """A fresh database `name` on the PostgreSQL test server, migrated (with the app role's grants) and
    filled as its owner. Returns the summary with the app URL to measure with."""
    from bench.databases import find_pg_server

    server, note = find_pg_server()
    if server is None:
        raise RuntimeError(note)
    owner_url, app_url = server.create_database(name)
    rt = runtime_for(owner_url, Path(f"/tmp/{name}-instance"))
    try:
        summary = generate(rt, PgWriter(owner_url), cases, events, seed, progress)
    finally:
        rt.db.dispose()
    return {**summary, "app_url": app_url, "owner_url": owner_url}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sqlite", type=Path, help="write a fresh SQLite database file here")
    parser.add_argument("--pg", help="create (or replace) this database on the PostgreSQL test server")
    args = parser.parse_args(argv)
    if not (args.sqlite or args.pg):
        parser.error("give --sqlite PATH and/or --pg NAME")

    def say(msg: str) -> None:
        print(f"  {msg}", file=sys.stderr, flush=True)

    out = {}
    if args.sqlite:
        print(f"SQLite {args.sqlite}: {args.cases:,} cases, {args.events:,} events", file=sys.stderr)
        out["sqlite"] = build_sqlite(args.sqlite.resolve(), args.cases, args.events, args.seed, say)
    if args.pg:
        print(f"PostgreSQL {args.pg}: {args.cases:,} cases, {args.events:,} events", file=sys.stderr)
        out["postgresql"] = build_pg(args.pg, args.cases, args.events, args.seed, say)
    print(json.dumps(out, ensure_ascii=False, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
