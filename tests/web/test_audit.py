"""The audit page: auditors and administrators only; counts and the latest events; the verification hook."""

from __future__ import annotations

from tests.web.helpers import new_case, text


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
    counts = page.split('class="counts"', 1)[1].split("</dl>", 1)[0]
    assert "<dd>4</dd>" in counts  # created, refused, started, refused unknown case
    assert "<dd>2</dd>" in counts  # of which refused
    table = page.split("<table", 1)[1]
    assert f'href="/cases/{case_id}"' in table
    assert "系统日志" in table  # the refusal that belongs to no case
    assert "决定启动并确定承办单位" in table and "黄振华（huangzhenhua）" in table and "行政首长" in table
    assert "须由行政首长办理" in table
    assert "2026年3月2日 09:00" in table
    assert "完整性校验：校验通过" in page  # the trail was verified for this page view


def test_the_administrator_sees_the_audit_page_too(town, client_for):
    _story(town)
    assert client_for("admin").get("/audit/").status_code == 200


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
    page = text(client_for("liushen").get("/audit/"))
    assert "完整性校验：校验未通过" in page
    assert f"case &#39;{case_id}&#39; seq 2" in page or f"case '{case_id}' seq 2" in page


def test_the_verification_status_is_shown_when_the_hook_returns_one(town, client_for, monkeypatch):
    import web.audit

    _story(town)
    monkeypatch.setattr(web.audit, "verification_status", lambda runtime: {
        "ok": False, "message": "chain broken", "events": 4, "checkpoints": 0,
        "first_error": "case 'MD-2026-0001' seq 2: hash mismatch"})
    page = text(client_for("liushen").get("/audit/"))
    assert "完整性校验" in page and "校验未通过" in page
    assert "hash mismatch" in page and "chain broken" in page
