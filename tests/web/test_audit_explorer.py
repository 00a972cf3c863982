"""The audit explorer (/audit/events) and its exports, on a trail built through the engine.

The story (FixedClock from 2026-03-02 01:00 UTC = 09:00 Beijing, five minutes between the first steps; a
refusal records no role):
  houlong-MD-2026-0001  1 created (zhangwei) · 2 REFUSED start (zhangwei, not the head) · 3 start (huangzhenhua)
  SYS           1 REFUSED start of an unknown case (huangzhenhua)
  houlong-EC-2026-0001  1 created (wanghai) · 2 start_investigation · 3 record_attached (wanghai)
then at 2026-03-02 23:30 UTC, which is 07:30 on 3 March in Beijing:
  houlong-MD-2026-0002  1 created (lina)
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.web.helpers import new_case, parse, text
from workflow.audit.verifier import event_hash
from workflow.demo import FIELD_STREETS, POWER_STREETS
from workflow.models import AuditEvent

FILING = {"title": "陈某某在后龙街两侧堆放建材案", "party": "陈某某（后龙镇后龙村）", "party_type": "individual",
          "facts": "当事人在后龙街两侧人行道堆放建材约20立方米，经责令后未清理。", "field": FIELD_STREETS,
          "power": POWER_STREETS, "legal_basis": "《城市市容和环境卫生管理条例》第三十六条"}
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
RECORD = {"kind": "text", "title": "询问笔录（陈某某）", "format": "pdf", "made_on": "2026-03-02"}


@pytest.fixture
def story(town, clock):
    a = new_case(town)
    clock.advance(minutes=5)
    assert not town.engine.fire(a, "start", "zhangwei", {"lead_unit": "x"}).ok  # refused: not the head
    clock.advance(minutes=5)
    assert town.engine.fire(a, "start", "huangzhenhua", {"lead_unit": "党政综合办公室"}).ok
    clock.advance(minutes=5)
    assert not town.engine.fire("MD-2099-0001", "start", "huangzhenhua", {}).ok  # refused: the system journal
    clock.advance(minutes=5)
    ec = town.engine.create_case("enforcement_case", "wanghai", FILING).case_id
    assert town.engine.fire(ec, "start_investigation", "wanghai", {"officers": ["wanghai", "caiming"]}).ok
    staged = town.records.stage(io.BytesIO(PDF), filename="询问笔录.pdf")
    assert town.engine.fire(ec, "attach_record", "wanghai", RECORD, attachment=staged).ok
    clock.current = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)  # 07:30 on 3 March, Beijing time
    b = new_case(town, actor="lina", title="后龙镇农贸市场搬迁方案")
    return {"a": a, "b": b, "ec": ec}


def rows(page: str) -> int:
    """The number of events the page lists (0 when it shows no table)."""
    return len(parse(page).all("table.events > tbody > tr"))


def test_without_filters_every_event_of_the_town_newest_first(story, client_for):
    response = client_for("liushen").get("/audit/events")
    assert response.status_code == 200
    page = text(response)
    assert rows(page) == 8
    assert "共8条事件，第1/1页。" in page
    events = parse(page).one("table.events")
    cases = [row.cells()[1] for row in events.rows()]
    assert cases.index(story["b"]) < cases.index(story["ec"]) < cases.index(story["a"])  # newest first
    table = events.text()
    assert "2026年3月3日 07:30" in table  # local time
    assert f"/cases/{story['a']}" in events.links() and "系统日志" in table
    assert '<span class="badge kind-refused">拒绝</span>' in events.html()
    assert '<span class="badge kind-record_attached">附加记录</span>' in events.html()
    assert "须由行政首长办理" in table  # the refusal's reason, with its article
    assert "已提出 → 已启动" in table or "→" in table
    assert events.has("details") and "党政综合办公室" in table  # the payload behind a disclosure


FILTERS = [
    ("case={a}", 3),
    ("case=SYS", 1),
    ("actor=zhangwei", 2),
    ("actor=huangzhenhua", 2),
    ("role=head", 1),
    ("role=drafter", 2),
    ("role=enforcement_officer", 3),
    ("trigger=start", 3),
    ("trigger=create", 3),
    ("kind=refused", 2),
    ("kind=created", 3),
    ("kind=transition", 2),
    ("kind=record_attached", 1),
    ("from=2026-03-03", 1),
    ("to=2026-03-02", 7),
    ("from=2026-03-02&to=2026-03-02", 7),
    ("case={a}&kind=refused", 1),
    ("actor=huangzhenhua&kind=refused", 1),
    ("trigger=start&role=head&kind=transition", 1),
    ("kind=created&from=2026-03-03&to=2026-03-03", 1),
    ("kind=created&to=2026-03-02", 2),
    ("actor=lina&to=2026-03-02", 0),
    ("case={ec}&actor=wanghai&role=enforcement_officer&trigger=attach_record&kind=record_attached"
     "&from=2026-03-01&to=2026-03-31", 1),
]


def test_each_filter_alone_and_combined(story, client_for):
    """One trail, every filter alone and in combinations (one test: building the trail is the slow part)."""
    client = client_for("liushen")
    for query, expected in FILTERS:
        response = client.get("/audit/events?" + query.format(**story))
        assert response.status_code == 200, (query, text(response))
        assert rows(text(response)) == expected, query
        if expected == 0:
            assert "没有符合条件的事件。" in text(response), query


def test_a_late_evening_utc_event_belongs_to_the_next_beijing_day(story, client_for):
    client = client_for("liushen")
    next_day = text(client.get("/audit/events?from=2026-03-03&to=2026-03-03"))
    assert rows(next_day) == 1 and story["b"] in next_day and "2026-03-02T23:30:00.000000Z" in next_day
    same_day = text(client.get("/audit/events?from=2026-03-02&to=2026-03-02"))
    assert story["b"] not in parse(same_day).one("table.events").html()


def test_filters_stay_in_the_form(story, client_for):
    page = text(client_for("liushen").get("/audit/events?kind=refused&actor=huangzhenhua&from=2026-03-01"))
    assert '<option value="refused" selected>' in page
    assert '<option value="huangzhenhua" selected>' in page
    assert 'name="from" type="date" value="2026-03-01"' in page
    assert 'href="/audit/events.jsonl?actor=huangzhenhua&amp;kind=refused&amp;from=2026-03-01"' in page


def test_an_unknown_step_or_role_in_the_trail_can_still_be_filtered(story, town, client_for):
    assert not town.engine.fire(story["a"], "no_such_step", "huangzhenhua", {}).ok
    page = text(client_for("liushen").get("/audit/events?trigger=no_such_step"))
    assert rows(page) == 1 and '<option value="no_such_step" selected>' in page


@pytest.fixture
def many(town):
    """A case with 1 + 54 = 55 events: the creation, then 54 refused starts."""
    case_id = new_case(town)
    for _ in range(54):
        assert not town.engine.fire(case_id, "start", "zhangwei", {"lead_unit": "x"}).ok
    return case_id


def test_pages_of_fifty_and_their_boundaries(many, client_for):
    client = client_for("liushen")
    first = text(client.get(f"/audit/events?case={many}"))
    assert rows(first) == 50 and "共55条事件，第1/2页。" in first
    assert f'href="/audit/events?case={many}&amp;page=2"' in first and 'rel="next"' in first
    assert 'rel="prev"' not in first
    second = text(client.get(f"/audit/events?case={many}&page=2"))
    assert rows(second) == 5 and "第2/2页" in second and 'rel="next"' not in second
    assert '<td class="seq">1</td>' in second and '<td class="seq">1</td>' not in first  # the oldest: last page
    assert rows(text(client.get(f"/audit/events?case={many}&page=99"))) == 5  # past the end: the last page
    assert rows(text(client.get(f"/audit/events?case={many}&page=abc"))) == 50  # not a number: the first
    refusals = text(client.get(f"/audit/events?case={many}&kind=refused"))
    assert "共54条事件" in refusals and f'href="/audit/events?case={many}&amp;kind=refused&amp;page=2"' in refusals


def test_exactly_fifty_is_one_page(town, client_for):
    case_id = new_case(town)
    for _ in range(49):
        town.engine.fire(case_id, "start", "zhangwei", {"lead_unit": "x"})
    page = text(client_for("liushen").get(f"/audit/events?case={case_id}"))
    assert rows(page) == 50 and "第1/1页" in page and 'class="pager"' not in page


BAD_INPUT = [
    ("from=2026-13-01", "from", "日期无效"),
    ("to=yesterday", "to", "日期无效"),
    ("from=2026-03-05&to=2026-03-01", "to", "截止日期早于起始日期。"),
    ("kind=deleted", "kind", "未知的事件类型"),
    ("case=" + "X" * 41, "case", "不能超过40个字符。"),
    ("actor=a%01b", "actor", "控制字符"),
]


def test_bad_input_is_named_next_to_its_field(town, client_for):
    client = client_for("liushen")
    for query, field, message in BAD_INPUT:
        for path in ("/audit/events", "/audit/events.jsonl", "/audit/events.csv"):
            response = client.get(f"{path}?{query}")
            assert response.status_code == 400, (path, query)
            page = text(response)
            assert "筛选条件有误" in page and "Traceback" not in page
            error = parse(page).text(f"#f-{field}-err")
            assert message in error, (query, error)
            assert 'aria-invalid="true" aria-describedby="f-' + field + '-err"' in page
            assert rows(page) == 0
    typed = text(client.get("/audit/events?from=2026-13-01"))  # kept as typed, in a text box a browser won't clear
    assert 'name="from" type="text" value="2026-13-01"' in typed


def test_the_jsonl_export_streams_the_filtered_events_with_their_hashes(story, town, client_for):
    response = client_for("liushen").get("/audit/events.jsonl?kind=refused")
    assert response.status_code == 200
    assert response.mimetype == "application/x-ndjson"
    assert response.is_streamed
    assert "attachment" in response.headers["Content-Disposition"]
    lines = [json.loads(line) for line in response.get_data().decode("utf-8").splitlines()]
    header, events, end = lines[0], lines[1:-1], lines[-1]
    assert header["type"] == "header" and header["format"] == "lawflow.audit-selection.v1"
    assert header["filters"] == {"kind": "refused"} and header["verifiable_as_chain"] is False
    assert "lawflow audit export" in header["note"] and header["exported_by"] == "liushen"
    assert end == {"type": "end", "events": 2}
    assert [(e["case"], e["kind"]) for e in events] == [("SYS", "refused"), (story["a"], "refused")]
    with town.sessions() as s:
        stored = dict(s.execute(select(AuditEvent.case_id, AuditEvent.hash).where(AuditEvent.kind == "refused")).all())
    for e in events:
        body = {k: v for k, v in e.items() if k not in ("type", "hash")}
        assert event_hash(body) == e["hash"] == stored[e["case"]]


def test_the_jsonl_header_names_date_bounds_in_utc(story, client_for):
    response = client_for("liushen").get("/audit/events.jsonl?from=2026-03-03&to=2026-03-03")
    header = json.loads(response.get_data().decode("utf-8").splitlines()[0])
    assert header["filters"] == {"from": "2026-03-03", "to": "2026-03-03"}
    assert header["at_from"] == "2026-03-02T16:00:00.000000Z" and header["at_before"] == "2026-03-03T16:00:00.000000Z"


def test_the_csv_export_has_a_bom_and_chinese_for_excel(story, client_for):
    response = client_for("liushen").get(f"/audit/events.csv?case={story['a']}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert "筛选条件：案件编号=" + story["a"] in table[0][0] and "不能作为哈希链校验" in table[0][0]
    assert table[1][:4] == ["案件编号", "序号", "时间（北京时间）", "事件类型"]
    body = table[2:]
    assert [r[1] for r in body] == ["3", "2", "1"]
    assert body[1][3] == "拒绝" and "须由行政首长办理" in body[1][11]
    assert body[0][4] == "决定启动并确定承办单位" and body[0][9] == "黄振华（huangzhenhua）"  # the auditor sees the account with the name
    assert all(len(r[-1]) == 64 for r in body)


def test_a_formula_in_the_data_is_not_run_by_the_spreadsheet(town, client_for):
    case_id = new_case(town, title="=HYPERLINK(\"http://example.com\")")
    table = list(csv.reader(io.StringIO(
        client_for("liushen").get(f"/audit/events.csv?case={case_id}").get_data().decode("utf-8-sig"))))
    payload = table[2][12]
    assert payload.startswith("{") and "=HYPERLINK" in payload  # inside JSON: harmless
    assert not any(cell.startswith("=") for row in table for cell in row)


def test_another_towns_events_are_not_shown(story, town, client_for):
    from workflow import accounts
    from workflow.db import writing

    with writing(town.sessions) as s:
        accounts.ensure_org(s, "qiaotou", "桥头镇人民政府", "Qiaotou")
        s.flush()
        accounts.create_user(s, org_id="qiaotou", password_hash="x", username="qt_auditor", display_name="审计",
                             unit="", roles=["drafter"])
    assert not town.engine.fire("MD-2099-0002", "start", "qt_auditor", {}).ok  # another town's SYS refusal
    page = text(client_for("liushen").get("/audit/events?case=SYS"))
    assert rows(page) == 1 and "qt_auditor" not in page


def test_only_auditors_and_administrators_explore_and_export(story, client_for):
    for username in ("zhangwei", "huangzhenhua", "wanghai"):
        client = client_for(username)
        for path in ("/audit/events", "/audit/events.jsonl", "/audit/events.csv", "/audit/verify"):
            assert client.get(path).status_code == 403, (username, path)
        nav = text(client.get("/cases/"))
        assert "/audit/events" not in nav and "/audit/verify" not in nav
    admin = client_for("admin")
    assert admin.get("/audit/events").status_code == 200
    nav = text(admin.get("/cases/"))
    assert 'href="/audit/events"' in nav and 'href="/audit/verify"' in nav and 'href="/audit/compliance"' in nav


def test_a_selection_beyond_the_count_limit_says_more_than_and_pages_through_the_newest(story, client_for,
                                                                                      monkeypatch):
    """The explorer counts up to COUNT_LIMIT (an exact count of a million events costs seconds); beyond it, the
    page says "more than" and its pages reach the newest COUNT_LIMIT events; the export still holds them all."""
    from web import audit

    monkeypatch.setattr(audit, "COUNT_LIMIT", 4)
    monkeypatch.setattr(audit, "PAGE_SIZE", 2)
    client = client_for("liushen")
    first = text(client.get("/audit/events"))
    assert "超过4条事件，第1/2页" in first and "共8条事件" not in first
    assert rows(first) == 2 and story["b"] in parse(first).rows("table.events")[0].text()  # the newest first
    last = text(client.get("/audit/events?page=9"))  # past the last reachable page: the last one
    assert "超过4条事件，第2/2页" in last and rows(last) == 2
    exported = [json.loads(line) for line in client.get("/audit/events.jsonl").get_data(as_text=True).splitlines()]
    assert exported[-1] == {"type": "end", "events": 8}
    assert "共3条事件" in text(client.get(f"/audit/events?case={story['a']}"))  # within the limit: exact
