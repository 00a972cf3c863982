"""/audit/verify: the last full verification (overall and per case), run again with a button (POST + CSRF).

The result is kept in <instance>/audit-verification.json (workflow/audit/status.py), so a page view never
re-hashes the trail. Tampering plays the DBA behind the app: on SQLite the append-only trigger is dropped,
on PostgreSQL the table owner disables it (as tests/web/test_audit.py and tests/audit/ do).
"""

from __future__ import annotations

import io
import json
import os

from sqlalchemy import create_engine

from tests.web.helpers import csrf_from, new_case, parse, text
from workflow.audit import signing, status
from workflow.audit.checkpoint import make_checkpoint
from workflow.demo import FIELD_STREETS, POWER_STREETS

FILING = {"title": "陈某某在后龙街两侧堆放建材案", "party": "陈某某（后龙镇后龙村）", "party_type": "individual",
          "facts": "当事人在后龙街两侧人行道堆放建材约20立方米，经责令后未清理。", "field": FIELD_STREETS,
          "power": POWER_STREETS, "legal_basis": "《城市市容和环境卫生管理条例》第三十六条"}
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
RECORD = {"kind": "text", "title": "询问笔录（陈某某）", "format": "pdf", "made_on": "2026-03-02"}


def _trail(town) -> dict[str, str]:
    """Three cases and the system journal; the enforcement case holds an evidence file (its seq 3)."""
    a = new_case(town)
    assert not town.engine.fire(a, "start", "zhangwei", {"lead_unit": "x"}).ok
    assert town.engine.fire(a, "start", "huangzhenhua", {"lead_unit": "党政综合办公室"}).ok
    b = new_case(town, actor="lina", title="后龙镇农贸市场搬迁方案")
    assert not town.engine.fire("houlong-MD-2099-0001", "start", "huangzhenhua", {}).ok
    ec = town.engine.create_case("enforcement_case", "wanghai", FILING).case_id
    assert town.engine.fire(ec, "start_investigation", "wanghai", {"officers": ["wanghai", "caiming"]}).ok
    staged = town.records.stage(io.BytesIO(PDF), filename="询问笔录.pdf")
    assert town.engine.fire(ec, "attach_record", "wanghai", RECORD, attachment=staged).ok
    return {"a": a, "b": b, "ec": ec}


def _checkpoint(town) -> None:
    signing.generate_key_file(town.key_path)
    make_checkpoint(town.sessions, town.key_path, town.origin, town.clock)


def _run(client):
    return client.post("/audit/verify", data={"csrf_token": csrf_from(client.get("/audit/verify"))})


def _row(page: str, case_id: str) -> str:
    """The text of the chains table's row that links to the case."""
    rows = [row for row in parse(page).rows("table.chains") if f"/cases/{case_id}" in row.links()]
    assert len(rows) == 1, f"{len(rows)} rows of the chains table link to {case_id}"
    return rows[0].text()


def _tamper(owner_url: str, *statements: str) -> None:
    engine = create_engine(owner_url)
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER audit_event_no_update")
        else:
            conn.exec_driver_sql("ALTER TABLE audit_event DISABLE TRIGGER USER")
        for sql in statements:
            conn.exec_driver_sql(sql)
    engine.dispose()


def test_nothing_is_verified_until_someone_runs_it(town, client_for):
    _trail(town)
    page = text(client_for("liushen").get("/audit/verify"))
    assert "完整性校验：尚未校验" in page
    assert 'action="/audit/verify"' in page and 'name="csrf_token"' in page and "运行完整校验" in page
    assert not status.status_path(town.instance).exists()


def test_a_run_without_the_form_token_is_refused(town, client_for):
    _trail(town)
    response = client_for("liushen").post("/audit/verify")
    assert response.status_code == 400
    assert not status.status_path(town.instance).exists()


def test_an_intact_trail_with_a_checkpoint(town, client_for, clock):
    cases = _trail(town)
    _checkpoint(town)
    client = client_for("liushen")
    response = _run(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/audit/verify")
    page = text(client.get("/audit/verify"))
    assert "校验完成：审计记录完整。" in page
    assert "完整性校验：校验通过" in page and "由liushen运行" in page
    # the town's 7 events; the shared system journal's refusal is no organisation's (the checkpoint covers all 8)
    assert "事件数 <strong>7</strong>" in page and "未纳入检查点的事件 <strong>0</strong>" in page
    assert "签名：均已验证" in page and "已重新计算哈希的记录文件 <strong>1</strong>" in page
    summary = parse(page).terms("dl.summary")
    assert summary["检查点数量"] == "1" and summary["最新检查点覆盖事件数"] == "8"
    for case_id in cases.values():
        row = _row(page, case_id)
        assert "已全部锚定" in row and "完整" in row
    assert '<span class="muted">系统日志</span>' not in page
    stored = json.loads(status.status_path(town.instance).read_text(encoding="utf-8"))
    assert stored["report"]["ok"] is True and stored["cases"][cases["a"]]["head_seq"] == 3
    # new events after the run are named, not silently counted as verified
    clock.advance(minutes=1)
    new_case(town)
    page = text(client.get("/audit/verify"))
    assert "上次校验后又记录了1条事件，尚未校验。" in page
    assert "完整性校验：校验通过" in page  # still the last result, with its time


def test_unanchored_events_are_counted_per_case(town, client_for):
    cases = _trail(town)
    _checkpoint(town)
    assert town.engine.fire(cases["b"], "start", "huangzhenhua", {"lead_unit": "经济发展办公室"}).ok
    client = client_for("liushen")
    _run(client)
    page = text(client.get("/audit/verify"))
    assert "1/2条已锚定" in _row(page, cases["b"])
    assert "已全部锚定" in _row(page, cases["a"])
    assert "未纳入检查点的事件 <strong>1</strong>" in page


def test_each_broken_case_is_named_after_tampering(town, client_for, owner_url):
    cases = _trail(town)
    client = client_for("liushen")
    _run(client)
    assert "校验通过" in text(client.get("/audit/verify"))
    _tamper(owner_url,
            f"UPDATE audit_event SET actor = 'someone' WHERE case_id = '{cases['a']}' AND seq = 2",
            f"UPDATE audit_event SET at = '2026-03-01T00:00:00.000000Z' WHERE case_id = '{cases['ec']}' AND seq = 1")
    assert _run(client).status_code == 302
    page = text(client.get("/audit/verify"))
    assert "校验完成：发现问题，详见下文。" in page
    assert "完整性校验：校验未通过" in page
    assert "共2条链有问题。" in page
    broken_a, broken_ec = _row(page, cases["a"]), _row(page, cases["ec"])
    assert "有问题" in broken_a and "seq 2" in broken_a and "hash mismatch" in broken_a
    assert "有问题" in broken_ec and "seq 1" in broken_ec
    assert "完整" in _row(page, cases["b"]) and "有问题" not in _row(page, cases["b"])
    chains = [row.cells()[0] for row in parse(page).rows("table.chains")]
    first = {case_id: next(i for i, cell in enumerate(chains) if cell.startswith(case_id))
             for case_id in cases.values()}
    assert first[cases["ec"]] < first[cases["b"]]  # broken chains first
    assert "签名：尚无检查点" in page


def test_an_altered_evidence_file_is_found_because_the_records_folder_is_rehashed(town, client_for):
    import hashlib

    cases = _trail(town)
    path = town.records.path_of(hashlib.sha256(PDF).hexdigest())
    os.chmod(path, 0o644)
    path.write_bytes(PDF + b"% appended\n")
    client = client_for("liushen")
    _run(client)
    page = text(client.get("/audit/verify"))
    assert "完整性校验：校验未通过" in page
    row = _row(page, cases["ec"])
    assert "有问题" in row and "seq 3" in row


def test_a_truncated_tail_is_named(town, client_for, owner_url):
    cases = _trail(town)
    engine = create_engine(owner_url)
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER audit_event_no_delete")
        else:
            conn.exec_driver_sql("ALTER TABLE audit_event DISABLE TRIGGER USER")
        conn.exec_driver_sql(f"DELETE FROM audit_event WHERE case_id = '{cases['a']}' AND seq = 3")
    engine.dispose()
    client = client_for("liushen")
    _run(client)
    row = _row(text(client.get("/audit/verify")), cases["a"])
    assert "有问题" in row and "tail truncated" in row


def test_only_auditors_and_administrators_verify(town, client_for):
    _trail(town)
    drafter = client_for("zhangwei")
    assert drafter.get("/audit/verify").status_code == 403
    token = csrf_from(drafter.get("/cases/"))
    assert drafter.post("/audit/verify", data={"csrf_token": token}).status_code == 403
    assert not status.status_path(town.instance).exists()
    admin = client_for("admin")
    assert _run(admin).status_code == 302
    assert "由admin运行" in text(admin.get("/audit/verify"))


def test_an_unreadable_status_file_means_not_verified(town, client_for):
    _trail(town)
    status.status_path(town.instance).write_text("{not json", encoding="utf-8")
    assert "尚未校验" in text(client_for("liushen").get("/audit/verify"))


def test_the_page_says_when_the_signing_key_is_a_demo_key_in_the_instance_folder(town, client_for, tmp_path):
    _trail(town)
    _checkpoint(town)  # the key at <instance>/audit-signing.key, where `make run` keeps the demo's
    client = client_for("liushen")
    _run(client)
    page = text(client.get("/audit/verify"))
    assert f"演示密钥：签名密钥保存在实例目录（{town.key_path}）中" in page
    assert "演示密钥" not in text(client_for("liushen").get("/audit/verify?lang=en"))
    assert "Demo key: the signing key is kept in the instance folder" in text(client.get("/audit/verify?lang=en"))
    town.key_path = tmp_path / "custodian" / "audit-signing.key"  # off the instance (and the database host)
    elsewhere = text(client_for("liushen").get("/audit/verify?lang=zh"))
    assert "签名检查点" in elsewhere and "演示密钥" not in elsewhere


def test_each_organisation_sees_only_its_own_totals_problems_and_case_ids(town, client_for, owner_url,
                                                                          demo_password_hash):
    """Two towns on one instance: the page shows each auditor its own chains and totals; a broken chain of the
    other town makes the run fail for both, but its case id is shown to no one else."""
    from workflow import accounts
    from workflow.db import writing

    ours = _trail(town)
    with writing(town.sessions) as s:
        accounts.ensure_org(s, "fengwei", "泉港区峰尾镇人民政府", "Fengwei Town People's Government")
        s.flush()
        accounts.create_user(s, username="fw_drafter", display_name="峰尾起草人", org_id="fengwei",
                             roles=["drafter"], password_hash="x")
        accounts.create_user(s, username="fw_auditor", display_name="峰尾审计", org_id="fengwei",
                             roles=["auditor"], password_hash=demo_password_hash)
    theirs = [new_case(town, actor="fw_drafter", title=f"峰尾镇事项{i}") for i in range(2)]
    houlong, fengwei = client_for("liushen"), client_for("fw_auditor")
    _run(houlong)
    ours_page, their_page = text(houlong.get("/audit/verify")), text(fengwei.get("/audit/verify"))
    assert "事件数 <strong>7</strong>" in ours_page and "案件数 <strong>3</strong>" in ours_page
    assert "事件数 <strong>2</strong>" in their_page and "案件数 <strong>2</strong>" in their_page
    assert "已重新计算哈希的记录文件 <strong>0</strong>" in their_page  # the evidence file is houlong's
    assert all(t not in ours_page for t in theirs) and all(c not in their_page for c in ours.values())
    assert all(t in their_page for t in theirs) and "fengwei" not in ours_page and "houlong" not in their_page
    _tamper(owner_url, f"UPDATE audit_event SET actor = 'someone' WHERE case_id = '{theirs[1]}' AND seq = 1")
    clock_events = text(houlong.get("/audit/verify"))
    assert "上次校验后又记录了" not in clock_events  # a change elsewhere is not this town's news
    _run(houlong)
    ours_page, their_page = text(houlong.get("/audit/verify")), text(fengwei.get("/audit/verify"))
    assert "完整性校验：校验未通过" in ours_page and "本单位可见范围以外" in ours_page
    assert theirs[1] not in ours_page and "共0条链有问题。" in ours_page
    assert theirs[1] in their_page and "共1条链有问题。" in their_page and "本单位可见范围以外" not in their_page
    overview = text(houlong.get("/audit/"))
    assert theirs[1] not in overview and "本单位可见范围以外" in overview
