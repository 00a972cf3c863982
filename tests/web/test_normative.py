"""The register of normative documents: the public page (no login) and the staff page with the clean-up's repeals.

The documents are those of the demo's story (workflow/demo_normative.py: one repealed by the clean-up, one in
force, one expired, one under review), driven through the engine once per test. The pages, not the database, are
this module's subject: SQLite only (tests/conftest.py, one_database).
"""

from __future__ import annotations

import io

import pytest
from flask import Flask
from openpyxl import load_workbook

from tests.web.helpers import Page, parse, submit_step
from workflow import demo_normative
from workflow.clock import FixedClock
from workflow.demo import ORG
from workflow.engine import Engine
from workflow.models import Case
from workflow.runtime import Runtime

pytestmark = pytest.mark.one_database


def _story(town: Runtime, password_hash: str) -> dict[str, str]:
    clock = FixedClock(town.clock.now())
    engine = Engine(town.sessions, town.registry, clock, town.engine.calendar, records=town.records,
                    documents=town.documents)
    demo_normative.seed_people_and_rules(engine, ORG, password_hash, clock.now())
    stalls, homes, floods, cleanup, under_review = demo_normative.tell(engine, clock, ORG, town.clock.now())
    return {"stalls": stalls, "homes": homes, "floods": floods, "cleanup": cleanup, "review": under_review}


def test_the_registers_list_documents_and_clean_up_lists_and_the_head_takes_a_clean_ups_repeal(
        app: Flask, town: Runtime, demo_password_hash: str, client_for) -> None:
    ids = _story(town, demo_password_hash)
    page = parse(app.test_client().get("/public/normative-documents?org=" + ORG))
    in_force = page.section("现行有效的行政规范性文件")
    [row] = in_force.rows("table")
    number, title, published, effective, valid_until, status = row.cells()
    assert (title, status) == ("后龙镇农村宅基地建房管理规定", "现行有效")
    assert number.startswith("龙政规〔") and number.endswith("〕2号")
    assert published and effective and int(valid_until[:4]) == int(effective[:4]) + 5
    ended = {r.cells()[1]: r.cells()[5] for r in page.section("已失效、废止或尚未施行的行政规范性文件").rows("table")}
    assert ended["后龙镇汛期临时避险转移工作规定（试行）"].startswith("有效期届满失效")
    assert ended["后龙镇集镇摊点管理暂行规定"].startswith("已废止或宣布失效")
    assert "后龙镇村庄保洁管理办法" not in page  # under review: neither registered nor published
    valid, invalid = (Page(table).rows() for table in page.all("table.cleanup-list"))
    assert [r.cells()[1:3] for r in valid] == [["后龙镇农村宅基地建房管理规定", "继续有效"]]
    assert [r.cells()[1:3] for r in invalid] == [["后龙镇集镇摊点管理暂行规定", "予以废止"]]

    staff = Page(parse(client_for("zhangwei").get("/normative-documents/")).all("table")[0])  # the register
    assert {r.cells()[1] for r in staff.rows()} == {"后龙镇农村宅基地建房管理规定", "后龙镇汛期临时避险转移工作规定（试行）",
                                                           "后龙镇集镇摊点管理暂行规定"}
    assert all(r.cells()[-1] == "已备案" for r in staff.rows())
    assert client_for("wanghai").get("/normative-documents/").status_code == 403  # no role in these documents
    workbook = client_for("zhangwei").get("/normative-documents/register.xlsx")  # the same register, 导出Excel
    assert workbook.status_code == 200
    sheet = load_workbook(io.BytesIO(workbook.data)).active
    exported = list(sheet.iter_rows(min_row=3, values_only=True))
    assert [list(r[:7]) for r in exported] == [r.cells() for r in staff.rows()]  # cell for cell, as on the page
    assert client_for("wanghai").get("/normative-documents/register.xlsx").status_code == 403

    # A second clean-up declares the document in force invalid: the staff register links to it, and the head
    # takes its repeal on its own case page (one story for the whole test: it is the expensive part).
    engine = town.engine
    round_ = engine.create_case("normative_cleanup", "chenjing", {
        "title": "后龙镇专项清理", "scope_date": engine.today().isoformat(), "lead_body": "后龙镇司法所",
        "reason": "上位法修改"}).case_id
    assert round_
    assert engine.fire(round_, "record_document_outcome", "chenjing", {
        "document": ids["homes"], "outcome": "declare_invalid", "reasons": "上位法已修改，本规定与之不一致"}).ok
    assert engine.fire(round_, "publish_results", "huangzhenhua", {
        "notice_ref": "龙政告〔2026〕2号", "published_on": engine.today().isoformat(),
        "location": "http://www.qg.gov.cn/houlong/gfxwj/qingli2.htm"}).ok

    head = client_for("huangzhenhua")
    page = parse(head.get("/normative-documents/"))
    assert "尚待办理的文件：1件" in page
    [link] = page.one("ul.pending-repeals").links()  # to the document's own page
    assert link.endswith(ids["homes"])
    drafter = client_for("zhangwei")
    refused = submit_step(drafter, ids["homes"], "repeal_by_cleanup", {"cleanup_case": round_})
    assert refused.status_code == 422  # the step's roles: the head's
    done = submit_step(head, ids["homes"], "repeal_by_cleanup", {"cleanup_case": round_})
    assert done.status_code == 302 and done.headers["Location"].endswith(link)
    with town.sessions() as session:
        homes = session.get(Case, ids["homes"])
        assert homes is not None and homes.state == "repealed"
        assert homes.data["repeal"]["cleanup_case"] == round_ and homes.data["repeal"]["recorded_by"] == "huangzhenhua"
    assert "尚待办理" not in parse(head.get("/normative-documents/"))
