"""The audit overview: auditors and administrators only; counts, the latest events, the last verification.

The overview does not verify the trail on each view (slow on a large trail): it shows the result of the last
run, which /audit/verify starts (tests/web/test_audit_verify.py)."""

from __future__ import annotations

from tests.web.helpers import csrf_from, new_case, parse, text


def _story(town):
    case_id = new_case(town)
    town.engine.fire(case_id, "start", "zhangwei", {"lead_unit": "x"})  # refused: not the head
    town.engine.fire(case_id, "start", "huangzhenhua", {"lead_unit": "党政综合办公室"})
    town.engine.fire("MD-2099-0001", "start", "huangzhenhua", {})  # refused: no such case (system journal)
    return case_id


def test_the_audit_page_is_forbidden_for_a_drafter(town, client_for):
    _story(town)
    client = client_for("zhangwei")
    response = client.get("/audit/")
    assert response.status_code == 403
    assert "无权访问" in text(response)
    assert "/audit/" not in text(client.get("/cases/"))  # and not offered in the navigation


def test_the_auditor_sees_counts_and_the_latest_events(town, client_for):
    case_id = _story(town)
    response = client_for("liushen").get("/audit/")
    assert response.status_code == 200
    page = text(response)
    counts = parse(page).terms("dl.counts")
    assert counts["事件总数"] == "4"  # created, refused, started, refused unknown case
    assert counts["其中拒绝"] == "2"  # of which refused
    events = parse(page).one("table.history")
    assert f"/cases/{case_id}" in events.links()
    table = events.text()
    assert "系统日志" in table  # the refusal that belongs to no case
    assert "决定启动并确定承办单位" in table and "黄振华（huangzhenhua）" in table and "行政首长" in table
    assert "须由行政首长办理" in table
    assert "2026年3月2日 09:00" in table
    assert "完整性校验：尚未校验" in page  # nothing verified yet: the page does not run it by itself
    assert 'href="/audit/verify"' in page and 'href="/audit/events?kind=refused"' in page


def test_the_administrator_sees_the_audit_page_too(town, client_for):
    _story(town)
    assert client_for("admin").get("/audit/").status_code == 200


def _run_verification(client):
    page = client.get("/audit/verify")
    return client.post("/audit/verify", data={"csrf_token": csrf_from(page)})


def test_the_last_verification_is_shown_on_the_overview(town, client_for):
    _story(town)
    client = client_for("liushen")
    assert _run_verification(client).status_code == 302
    page = text(client.get("/audit/"))
    assert "完整性校验：校验通过" in page
    assert "最近一次校验：2026年3月2日 09:00（北京时间），由liushen运行。" in page


def test_a_tampered_trail_is_reported_on_the_audit_page(town, client_for, owner_url):
    from sqlalchemy import create_engine

    case_id = _story(town)
    engine = create_engine(owner_url)
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER audit_event_no_update")
        else:
            conn.exec_driver_sql("ALTER TABLE audit_event DISABLE TRIGGER USER")
        conn.exec_driver_sql(f"UPDATE audit_event SET actor = 'someone' WHERE case_id = '{case_id}' AND seq = 2")
    engine.dispose()
    client = client_for("liushen")
    _run_verification(client)
    page = text(client.get("/audit/"))
    assert "完整性校验：校验未通过" in page
    assert f"case &#39;{case_id}&#39; seq 2" in page or f"case '{case_id}' seq 2" in page


def test_the_stored_result_is_what_the_overview_shows(town, client_for):
    from workflow.audit import status

    _story(town)
    status.save(status.status_path(town.instance), {
        "format": status.STATUS_FORMAT, "verified_at": "2026-03-01T16:30:00.000000Z", "verified_by": "admin",
        "report": {"ok": False, "message": "BROKEN: chain broken", "events": 4, "checkpoints": 0,
                   "first_error": {"case": "houlong-MD-2026-0001", "seq": 2,
                                   "text": "case 'houlong-MD-2026-0001' seq 2: hash mismatch"}},
        "cases": {}})
    page = text(client_for("liushen").get("/audit/"))
    assert "完整性校验：校验未通过" in page and "hash mismatch" in page
    assert "2026年3月2日 00:30" in page and "由admin运行" in page
