"""The `lawflow` command as a user runs it: clear one-line errors, non-zero exits, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.auditor_script import auditor_script
from tests.cli import Lawflow
from workflow.runtime import Runtime

ROOT = Path(__file__).resolve().parent.parent
PROPOSAL = {"title": "后龙镇生活垃圾分类实施办法", "category": "public_policy", "proposer": "leader",
            "summary": "落实生活垃圾分类要求"}




def test_a_decision_from_the_command_line(lawflow) -> None:
    new = lawflow("case", "new", "--as", "zhangwei", "--data", json.dumps(PROPOSAL, ensure_ascii=False))
    assert new.returncode == 0 and "houlong-MD-" in new.stdout
    case_id = new.stdout.split(":")[0]
    refused = lawflow("case", "fire", case_id, "start", "--as", "zhangwei", "--data", '{"lead_unit": "综合办"}')
    assert refused.returncode == 3
    assert "须由行政首长办理" in refused.stderr and "条例第十条" in refused.stderr
    started = lawflow("case", "fire", case_id, "start", "--as", "huangzhenhua", "--data", '{"lead_unit": "综合办"}')
    assert started.returncode == 0 and "drafting" in started.stdout
    shown = lawflow("case", "show", case_id, "--as", "zhangwei")
    assert "起草" in shown.stdout and "open_public_comment" in shown.stdout
    history = lawflow("case", "history", case_id)
    lines = history.stdout.splitlines()
    assert [line.split()[2] for line in lines if line.strip()[0].isdigit()] == ["created", "refused", "transition"]
    assert "须由行政首长办理" in history.stdout
    listed = lawflow("case", "list", "--state", "drafting")
    assert case_id in listed.stdout


@pytest.mark.parametrize("args, message", [
    (["case", "fire", "MD-2000-0001", "start", "--as", "huangzhenhua"], "案件「MD-2000-0001」不存在"),
    (["case", "fire", "MD-2000-0001", "start", "--as", "x", "--data", "{oops"], "不是有效的 JSON"),
    (["case", "show", "NOPE"], "案件「NOPE」不存在"),
    (["case", "new", "--as", "ghost", "--data", "{}"], "用户「ghost」不存在"),
])
def test_errors_are_one_clear_line(lawflow, args: list[str], message: str) -> None:
    result = lawflow(*args)
    assert result.returncode != 0
    assert message in result.stderr


def test_administrator_adds_a_holiday_year(lawflow, tmp_path: Path) -> None:
    notice = tmp_path / "2027.yaml"
    notice.write_text("holidays:\n  - {date: 2027-01-01, name: 元旦}\nworkdays: []\n", encoding="utf-8")
    added = lawflow("calendar", "add-year", "2027", str(notice), "--as", "admin",
                    "--source", "国务院办公厅关于2027年部分节假日安排的通知")
    assert added.returncode == 0, added.stderr
    again = lawflow("calendar", "add-year", "2027", str(notice), "--as", "admin", "--source", "x")
    assert again.returncode != 0 and "2027" in again.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("holidays:\n  - {date: 2026-01-01, name: 元旦}\nworkdays: []\n", encoding="utf-8")
    refused = lawflow("calendar", "add-year", "2028", str(bad), "--as", "admin", "--source", "x")
    assert refused.returncode != 0 and "2028" in refused.stderr


def test_an_added_year_removes_the_provisional_mark(town: Runtime) -> None:
    from datetime import date

    from workflow.db import writing
    from workflow.models import HolidayYear

    assert town.engine.calendar.add_working_days(date(2026, 12, 25), 10).provisional
    with writing(town.sessions) as session:
        session.add(HolidayYear(year=2027, data={"holidays": [{"date": "2027-01-01", "name": "元旦"}],
                                                 "workdays": [], "source": "通知"},
                                source="国务院办公厅关于2027年部分节假日安排的通知", added_by="admin",
                                added_at=town.clock.now()))
    town.engine.reload_calendar()
    deadline = town.engine.calendar.add_working_days(date(2026, 12, 25), 10)
    assert not deadline.provisional
    assert deadline.date == date(2027, 1, 11)  # 01-01 is a holiday, weekends skipped


def test_an_administrator_records_certificates(lawflow) -> None:
    ok = lawflow("officers", "add-certificate", "liushen", "--number", "闽执法-TEST-001", "--field", "市容环境卫生",
                 "--valid-until", "2028-12-31", "--issuer", "泉港区司法局", "--as", "admin")
    assert ok.returncode == 0, ok.stderr
    again = lawflow("officers", "add-certificate", "liushen", "--number", "闽执法-TEST-001", "--field", "市容环境卫生",
                    "--valid-until", "2028-12-31", "--issuer", "泉港区司法局", "--as", "admin")
    assert again.returncode != 0 and "已登记" in again.stderr and len(again.stderr.strip().splitlines()) == 1
    no_field = lawflow("officers", "add-certificate", "liushen", "--number", "闽执法-TEST-002",
                       "--valid-until", "2028-12-31", "--issuer", "泉港区司法局", "--as", "admin")
    assert no_field.returncode != 0 and "执法领域" in no_field.stderr
    not_admin = lawflow("officers", "add-certificate", "liushen", "--number", "X-3", "--field", "市容环境卫生",
                        "--valid-until", "2028-12-31", "--issuer", "泉港区司法局", "--as", "zhangwei")
    assert not_admin.returncode != 0 and "不是系统管理员" in not_admin.stderr
    unknown = lawflow("officers", "add-certificate", "nobody", "--number", "X-4", "--kind", "legal_qualification",
                      "--issuer", "司法部", "--as", "admin")
    assert unknown.returncode != 0 and "不存在" in unknown.stderr


def test_a_penalty_case_from_opening_to_archive_on_the_command_line(lawflow, tmp_path: Path) -> None:
    from workflow.demo import FIELD_STREETS, POWER_STREETS

    filing = {"title": "陈某某占道堆放建材案", "party": "陈某某", "party_type": "individual",
              "facts": "当事人在后龙街两侧人行道堆放建材约20立方米。", "field": FIELD_STREETS, "power": POWER_STREETS,
              "legal_basis": "《城市市容和环境卫生管理条例》第三十六条"}
    new = lawflow("case", "new", "--procedure", "enforcement_case", "--as", "wanghai",
                  "--data", json.dumps(filing, ensure_ascii=False))
    assert new.returncode == 0, new.stderr
    case_id = new.stdout.split(":")[0]
    # The command line runs on the real clock: the dates typed are today's (no future date, no late entry).
    from workflow.clock import SystemClock, local_date

    day = local_date(SystemClock().now()).isoformat()
    record = tmp_path / "询问笔录.pdf"
    record.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    steps: list[tuple[str, str, dict[str, object], list[str]]] = [
        ("start_investigation", "wanghai", {"officers": ["wanghai", "caiming"]}, []),
        ("attach_record", "wanghai", {"kind": "text", "title": "询问笔录", "format": "pdf", "made_on": day},
         ["--file", str(record)]),
        ("notify_intended_penalty", "wanghai", {
            "penalty_type": "fine", "amount": "2000", "facts": "占道堆放建材", "reasons": "违反第十四条",
            "legal_basis": "第三十六条", "rights_told": "告知陈述、申辩权利", "notified_on": day}, []),
        ("assess_major_case", "wanghai", {"major_public_interest": False, "major_rights_after_hearing": False,
                                          "complex": False}, []),
        ("decide_penalty", "huangzhenhua", {
            "document_no": "龙综执罚〔2026〕9号", "party": "陈某某", "facts_and_evidence": "询问笔录", "penalty_type": "fine",
            "amount": "2000", "legal_basis": "第三十六条", "performance": "十五日内缴纳", "reconsideration_body": "泉港区人民政府",
            "reconsideration_days": 60, "litigation_months": 6, "decided_on": day, "sealed": True}, []),
        ("serve_decision", "wanghai", {"method": "direct", "served_on": day, "proof_ref": "送达回证-009"}, []),
        ("publish_decision", "wanghai", {"channel": "portal", "location": "镇政府网站", "published_on": day}, []),
        ("record_execution", "wanghai", {"outcome": "performed", "completed_on": day}, []),
        ("close_case", "huangzhenhua", {"summary": "罚款已缴纳，案件办结"}, []),
        ("archive", "wanghai", {"archive_ref": "龙档〔2026〕执-09", "materials": ["决定书", "送达回证"]}, []),
    ]
    for trigger, actor, data, extra in steps:
        done = lawflow("case", "fire", case_id, trigger, "--as", actor, "--data", json.dumps(data, ensure_ascii=False),
                       *extra)
        assert done.returncode == 0, (trigger, done.stderr)
    assert "archived" in done.stdout
    assert lawflow("audit", "verify").returncode == 0


# ---------------------------------------------------------------- an instance not initialised yet


@pytest.fixture(params=["sqlite-no-file", "sqlite-empty-file", "postgresql-empty"])
def blank_instance(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of an instance on which `lawflow init` has not run."""
    from tests import conftest

    instance = tmp_path / "instance"
    env = {**os.environ, "LAWFLOW_INSTANCE": str(instance), "LAWFLOW_AUDIT_KEY": str(tmp_path / "key.pem")}
    env.pop("LAWFLOW_DATABASE_URL", None)
    if request.param == "sqlite-empty-file":  # e.g. touched by hand, or left by an interrupted copy
        instance.mkdir()
        (instance / "lawflow.sqlite3").write_bytes(b"")
    if request.param != "postgresql-empty":
        yield env
        return
    if not (conftest.PG_OWNER_URL and conftest.PG_APP_URL):
        if conftest.REQUIRE_PG:
            pytest.fail("PostgreSQL is required (LAWFLOW_TEST_REQUIRE_PG=1) but LAWFLOW_TEST_PG_URL is not set")
        pytest.skip("PostgreSQL test server not running (scripts/pg-test-server start)")
    name = f"lawflow_blank_{os.getpid()}"
    conftest._pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    conftest._pg_admin(f"CREATE DATABASE {name} OWNER lawflow_owner")  # a database without the schema
    try:
        yield {**env, "LAWFLOW_DATABASE_URL": conftest._pg_url(conftest.PG_APP_URL or "", name)}
    finally:
        conftest._pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.mark.parametrize("args", [
    ["case", "list"],
    ["case", "show", "MD-2026-0001"],
    ["case", "new", "--as", "zhangwei", "--data", "{}"],
    ["audit", "verify"],
    ["audit", "export"],
    ["audit", "checkpoint"],
    ["tokens", "list"],
    ["compliance", "--org", "houlong"],
])
def test_a_command_before_init_says_to_run_init_first(blank_instance: dict[str, str], args: list[str]) -> None:
    result = Lawflow(env=blank_instance, unset=("LAWFLOW_DATABASE_URL",))(*args)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "OperationalError" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    zh, en = lines[0].index("请先运行 lawflow init"), lines[0].index("run `lawflow init` first")
    assert zh < en  # Chinese first, English after
    assert not result.stdout


def test_init_then_the_same_command_works(tmp_path: Path) -> None:
    run = Lawflow(env={"LAWFLOW_INSTANCE": str(tmp_path / "instance")}, unset=("LAWFLOW_DATABASE_URL",))

    assert run("case", "list").returncode == 2
    assert not (tmp_path / "instance" / "lawflow.sqlite3").exists()  # the refusal created no empty database
    assert run("init").returncode == 0
    listed = run("case", "list")
    assert listed.returncode == 0, listed.stderr


def test_the_operators_export_takes_every_organisation_or_those_named(lawflow, town: Runtime, tmp_path: Path) -> None:
    """`lawflow audit export` is the operator's whole trail; --org limits it to organisations (repeatable),
    and each part verifies offline."""
    from workflow import accounts
    from workflow.db import writing

    with writing(town.sessions) as s:
        accounts.ensure_org(s, "fengwei", "泉港区峰尾镇人民政府", "Fengwei Town People's Government")
        s.flush()
        accounts.create_user(s, username="fw_drafter", display_name="峰尾起草人", org_id="fengwei",
                             roles=["drafter"], password_hash="x")
    ours = town.engine.create_case("major_decision", "zhangwei", PROPOSAL).case_id
    theirs = town.engine.create_case("major_decision", "fw_drafter", PROPOSAL).case_id
    chains = {}
    for name, args in (("all", ()), ("houlong", ("--org", "houlong")), ("both", ("--org", "houlong", "--org", "fengwei"))):
        path = tmp_path / f"{name}.jsonl"
        result = lawflow("audit", "export", "-o", str(path), *args)
        assert result.returncode == 0, result.stderr
        records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        chains[name] = {r["case"] for r in records if r["type"] == "case"}
        verified = subprocess.run([sys.executable, "-I", "-S", str(auditor_script()), str(path),
                                   "--quiet"], capture_output=True, text=True)
        assert verified.returncode == 0, verified.stdout + verified.stderr
    assert chains["houlong"] == {ours} and chains["both"] == {ours, theirs} and {ours, theirs} <= chains["all"]
    unknown = lawflow("audit", "export", "--org", "nowhere")
    assert unknown.returncode != 0 and "nowhere" in unknown.stderr
