"""Case numbers, on SQLite and PostgreSQL: each organisation counts its own cases from 0001, concurrent
openings in separate processes all succeed with distinct numbers, and event times never go back in a chain."""

from __future__ import annotations

import multiprocessing
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from workflow import accounts, numbering
from workflow.clock import FixedClock
from workflow.db import writing
from workflow.demo import POWER_STREETS
from workflow.models import AuditEvent, Case, CaseNumberCounter
from workflow.runtime import Runtime

PROPOSAL = {"title": "农村生活污水治理方案", "category": "public_policy", "proposer": "leader",
            "summary": "部分村庄生活污水直排，拟建设收集管网"}
FILING = {"title": "陈某某占道堆放建材案", "party": "陈某某", "party_type": "individual",
          "facts": "当事人在后龙街两侧人行道堆放建材约20立方米。", "field": "市容环境卫生", "power": POWER_STREETS,
          "legal_basis": "《城市市容和环境卫生管理条例》第三十六条"}
PROCESSES = 8  # the attack saw failures from six simultaneous creators on
DEADLINE = 120  # seconds: the whole concurrent run, start-up included, or the test fails


def _second_town(rt: Runtime, password_hash: str) -> None:
    with writing(rt.sessions) as s:
        accounts.ensure_org(s, "fengwei", "泉港区峰尾镇人民政府", "Fengwei Town People's Government")
        s.flush()
        accounts.create_user(s, username="fw_drafter", display_name="峰尾起草人", org_id="fengwei",
                             roles=["drafter"], password_hash=password_hash)


def _open(rt: Runtime, actor: str = "zhangwei") -> str:
    outcome = rt.engine.create_case("major_decision", actor, PROPOSAL)
    assert outcome.ok, outcome.reasons
    assert outcome.case_id is not None
    return outcome.case_id


def test_each_organisation_numbers_its_own_cases_from_0001(town: Runtime, demo_password_hash: str,
                                                           clock: FixedClock) -> None:
    _second_town(town, demo_password_hash)
    assert [_open(town), _open(town)] == ["houlong-MD-2026-0001", "houlong-MD-2026-0002"]
    assert _open(town, "fw_drafter") == "fengwei-MD-2026-0001"  # not 0003: nothing of houlong's volume shows
    assert _open(town) == "houlong-MD-2026-0003"
    enforcement = town.engine.create_case("enforcement_case", "wanghai", FILING)
    assert (enforcement.ok, enforcement.case_id) == (True, "houlong-EC-2026-0001")  # a series per procedure
    clock.current = datetime(2027, 1, 4, 1, 0, tzinfo=clock.current.tzinfo)
    assert _open(town) == "houlong-MD-2027-0001"  # a new year starts a new series
    with town.sessions() as s:
        counters = {(c.org_id, c.prefix, c.year): c.last_number for c in s.scalars(select(CaseNumberCounter))}
    assert counters[("houlong", "MD", 2026)] == 3 and counters[("fengwei", "MD", 2026)] == 1
    assert counters[("houlong", "MD", 2027)] == 1


def test_a_refused_opening_takes_no_number_and_an_id_in_use_is_skipped(town: Runtime) -> None:
    first = _open(town)
    refused = town.engine.create_case("major_decision", "huangzhenhua", PROPOSAL)  # a head is no drafter
    assert not refused.ok and refused.codes == ["role_not_allowed"]
    with writing(town.sessions) as s:  # a row written around the engine (an import) holds the next number
        now = town.clock.now()
        s.add(Case(id="houlong-MD-2026-0002", org_id="houlong", procedure="major_decision",
                   procedure_version=2, title="导入", state="proposed", version=1, data={}, created_by="zhangwei",
                   created_at=now, updated_at=now, audit_seq=0, audit_head="0" * 64))
    assert (first, _open(town)) == ("houlong-MD-2026-0001", "houlong-MD-2026-0003")


def test_an_organisation_id_unfit_for_a_url_gets_a_fixed_code() -> None:
    assert numbering.case_id("houlong", "EC", 2026, 7) == "houlong-EC-2026-0007"
    odd = numbering.org_code("泉港区/峰尾镇")
    assert odd == numbering.org_code("泉港区/峰尾镇") and odd.startswith("o") and len(odd) == 13
    assert numbering.org_code("a" * 21) != numbering.org_code("a" * 22)
    assert len(numbering.case_id("a" * 64, "EC", 2026, 123456)) <= 40
    assert numbering.prefix_of("enforcement_review") == "ER"


# ---------------------------------------------------------------- concurrent openings, one process each


def _open_in_a_process(url: str, instance: str, actor: str, barrier: multiprocessing.synchronize.Barrier,
                       results: multiprocessing.Queue) -> None:
    rt = Runtime(instance=Path(instance), database_url=url, key_path=Path(instance) / "k", clock=FixedClock())
    rt.registry  # noqa: B018 - load the definitions before the start line, so that all start together
    try:
        barrier.wait(timeout=DEADLINE)
        outcome = rt.engine.create_case("major_decision", actor, PROPOSAL)
        results.put((actor, outcome.ok, outcome.case_id, ""))
    except BaseException as error:  # noqa: BLE001 - reported to the test, which fails on it
        results.put((actor, False, None, repr(error)))
    finally:
        rt.db.dispose()


def test_concurrent_openings_in_separate_processes_all_succeed_with_distinct_numbers(
        town: Runtime, demo_password_hash: str, tmp_path: Path) -> None:
    _second_town(town, demo_password_hash)
    town.db.dispose()  # no connection of this process is inherited or held while the children run
    ctx = multiprocessing.get_context("spawn")
    actors = ["zhangwei", "fw_drafter"] * (PROCESSES // 2)
    barrier = ctx.Barrier(len(actors))
    results: multiprocessing.Queue = ctx.Queue()
    workers = [ctx.Process(target=_open_in_a_process,
                           args=(town.database_url, str(tmp_path / "instance"), actor, barrier, results))
               for actor in actors]
    started = time.monotonic()
    for w in workers:
        w.start()
    try:
        outcomes = [results.get(timeout=max(1.0, DEADLINE - (time.monotonic() - started))) for _ in workers]
    finally:
        for w in workers:
            w.join(timeout=10)
            if w.is_alive():
                w.kill()
    assert [o for o in outcomes if not o[1]] == []
    ids = sorted(o[2] for o in outcomes)
    half = PROCESSES // 2
    assert ids == sorted([f"houlong-MD-2026-{n:04d}" for n in range(1, half + 1)]
                         + [f"fengwei-MD-2026-{n:04d}" for n in range(1, half + 1)])
    with town.sessions() as s:  # each opening audited: one `created` event per case, nothing in the SYS journal
        created = dict(s.execute(select(AuditEvent.case_id, func.count()).where(AuditEvent.kind == "created")
                                 .group_by(AuditEvent.case_id)).all())
        refused = s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "refused"))
    assert created == {case_id: 1 for case_id in ids} and refused == 0


# ---------------------------------------------------------------- event times under contention


class _CallOrderClock:
    """Each call returns a later time than the call before it; the first call then dawdles, as a thread
    descheduled right after reading the clock would, so that a time read outside the case's lock lands in
    the chain after a later one."""

    def __init__(self, start: datetime):
        self._lock = threading.Lock()
        self._next = start
        self._calls = 0

    def now(self) -> datetime:
        with self._lock:
            self._next += timedelta(microseconds=1)
            moment, self._calls = self._next, self._calls + 1
            first = self._calls == 1
        if first:
            time.sleep(0.5)
        return moment


def test_concurrent_steps_on_one_case_never_put_an_earlier_time_after_a_later_one(town: Runtime) -> None:
    case_id = _open(town)
    assert town.engine.fire(case_id, "start", "huangzhenhua", {"lead_unit": "党政综合办公室"}).ok
    assert town.engine.fire(case_id, "open_public_comment", "zhangwei", {
        "draft_ref": "草案", "explanation": "说明", "channels": ["镇政府网站"], "period_days": 30}).ok
    town.engine.clock = _CallOrderClock(town.clock.now())
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def step(i: int) -> None:
        barrier.wait(timeout=30)
        time.sleep(0.05 * i)  # the second starts while the first holds (or dawdles with) its time
        outcomes.append(town.engine.fire(case_id, "record_comment", "zhangwei", {
            "commenter": f"村民{i}", "received_on": "2026-03-02", "content": "意见"}))

    threads = [threading.Thread(target=step, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads) and len(outcomes) == 2
    with town.sessions() as s:
        times = list(s.scalars(select(AuditEvent.at).where(AuditEvent.case_id == case_id).order_by(AuditEvent.seq)))
    assert len(times) == 5 and times == sorted(times), times


def test_a_journal_refusal_is_stamped_under_the_journal_lock(town: Runtime) -> None:
    town.engine.clock = _CallOrderClock(town.clock.now())
    barrier = threading.Barrier(2)

    def attempt(i: int) -> None:
        barrier.wait(timeout=30)
        time.sleep(0.05 * i)
        town.engine.fire(f"houlong-MD-2099-{i:04d}", "start", "huangzhenhua", {})  # no such case: the SYS journal

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    with town.sessions() as s:
        times = list(s.scalars(select(AuditEvent.at).where(AuditEvent.case_id == "SYS").order_by(AuditEvent.seq)))
    assert len(times) == 2 and times == sorted(times), times
