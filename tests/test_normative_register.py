"""The register of normative documents: with the organisation's code set, registering a signed document numbers
it in its own series and issues it as a 公文 (definitions/documents/normative_document.yaml); the register's
yearly figures (issued, ended, in force at 31 December) are read back from the records.

The documents, not the database, are this module's subject: SQLite only (tests/conftest.py, one_database).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.test_documents import pdf_text
from workflow import accounts, demo_normative
from workflow.db import writing
from workflow.demo import ORG
from workflow.models import IssuedDocument
from workflow.procedures.normative_document import register
from workflow.runtime import Runtime

pytestmark = pytest.mark.one_database


def test_registering_numbers_the_document_in_its_series_and_the_register_counts_it(
        town: Runtime, demo_password_hash: str) -> None:
    engine, clock = town.engine, town.clock
    demo_normative.seed_people_and_rules(engine, ORG, demo_password_hash, clock.now())
    with writing(town.sessions) as session:
        accounts.set_setting(session, org_id=ORG, key="normative.document_code.register", value="龙政规",
                             source="《后龙镇人民政府公文处理办法》（示意）", by="admin", now=clock.now())
    story = demo_normative.NormativeStory(engine, clock, ORG)
    cid = story.draft("后龙镇农村自建房安全管理规定", "规范农村自建房的建设、使用和安全排查。", "《福建省农村村民住宅建设管理办法》")
    story.to_review(cid)
    review_days = (engine.calendar.add_working_days(story.today(), 6).date - story.today()).days
    story.ok(cid, "issue_legality_opinion", "chenjing", {"outcome": "lawful", "opinion": "经审核，合法"}, days=review_days)
    story.ok(cid, "submit_for_deliberation", "zhangwei", {"opinion_adopted": "fully"})
    story.ok(cid, "adopt_at_meeting", "huangzhenhua", {"forum": "镇长办公会议", "meeting_date": story.today().isoformat(),
                                                       "attendees": ["黄振华", "吴建国"], "views": "一致同意"})
    story.ok(cid, "sign", "huangzhenhua", {"signed_on": story.today().isoformat()})

    typed = engine.fire(cid, "register_and_number", "zhoumin", {"register_no": "龙政规〔2026〕7号",
                                                                 "registered_on": story.today().isoformat()})
    assert not typed.ok  # once the code is set, the register allocates the number: a typed one is refused
    story.ok(cid, "register_and_number", "zhoumin", {"registered_on": story.today().isoformat()}, days=0)
    year = story.today().year
    with town.sessions() as session:
        [issued] = session.scalars(select(IssuedDocument).where(IssuedDocument.case_id == cid)).all()
    assert (issued.doc_type, issued.number) == ("normative_document/normative", f"龙政规〔{year}〕1号")
    text = "".join(pdf_text(town.records.path_of(issued.sha256)).split())
    for part in (f"龙政规〔{year}〕1号", "后龙镇农村自建房安全管理规定", "根据《福建省农村村民住宅建设管理办法》，制定本规定。"):
        assert part in text, part

    story.ok(cid, "record_publication", "zhoumin", {"channel": "portal", "published_on": story.today().isoformat(),
                                                    "location": "http://www.qg.gov.cn/houlong/gfxwj/1.htm"}, days=0)
    effective = story.today() + timedelta(days=1)
    story.ok(cid, "enter_into_force", "zhoumin", {"effective_on": effective.isoformat(), "kind": "ordinary",
                                                  "valid_until": effective.replace(year=effective.year + 2).isoformat()})
    with town.sessions() as session:
        [entry] = register.documents(session, ORG)
        figures = register.year_figures(session, ORG, effective.year)
    assert (entry.register_no, entry.state) == (f"龙政规〔{year}〕1号", "in_force")
    assert (figures.issued, figures.repealed, figures.in_force) == (1 if year == effective.year else 0, 0, 1)
