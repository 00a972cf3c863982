"""Collective discussion (条例第三十条): the list, the meeting page's forms, the minutes (HTML and PDF).

The town's decision body: 黄振华 (head), 吴建国, 郑丽 and 许文 (decision members), workflow/demo.py.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from typing import Any

import pytest
from sqlalchemy import select

from tests.web.helpers import csrf_from, new_case, parse, text, version_from
from workflow import accounts
from workflow.db import writing
from workflow.demo import FORUM, _Story
from workflow.models import AuditEvent, Case

# The page, not the database, is this module's subject: SQLite only (tests/conftest.py, one_database).
pytestmark = pytest.mark.one_database

MEMBERS = ["wujianguo", "zhengli", "xuwen"]
HEAD = "huangzhenhua"


def in_discussion(town, title: str = "后龙镇生活垃圾分类实施办法") -> str:
    """A major decision driven to collective discussion, its meeting not yet convened."""
    case_id = new_case(town, title=title)
    story = _Story(town.engine, town.clock)
    story.to_argumentation(case_id, "zhangwei", [])
    story.to_review(case_id, "zhangwei")
    story.submit_to_discussion(case_id, "zhangwei")
    return case_id


def meeting_day(town) -> str:
    """The meeting is held the day it is convened: a typed date neither in the future nor before the submission
    for discussion (workflow/typed_dates.py)."""
    return town.engine.today().isoformat()


def cn(day: str) -> str:
    """A date as the Chinese pages show it."""
    y, m, d = (int(part) for part in day.split("-"))
    return f"{y}年{m}月{d}日"


def convened(town, attendees: list[str] | None = None, title: str = "后龙镇生活垃圾分类实施办法") -> str:
    case_id = in_discussion(town, title)
    outcome = town.engine.fire(case_id, "convene_meeting", HEAD, {
        "forum": FORUM, "meeting_date": meeting_day(town), "attendees": attendees or [*MEMBERS, HEAD]})
    assert outcome.ok, outcome.reasons
    return case_id


def views(town, case_id: str, *spoken: tuple[str, str, str]) -> None:
    for member, view, statement in spoken:
        outcome = town.engine.fire(case_id, "record_member_view", member, {"view": view, "statement": statement})
        assert outcome.ok, outcome.reasons


def case_row(town, case_id: str) -> tuple[str, int, dict[str, Any]]:
    with town.sessions() as s:
        case = s.get(Case, case_id)
        return case.state, case.version, dict(case.data)


def post(client, case_id: str, form: str, data: dict[str, Any], **overrides: Any):
    """Submit one of the meeting page's forms as a browser does: token and version from the page first."""
    page = client.get(f"/meetings/{case_id}")
    assert page.status_code == 200, text(page)
    return client.post(f"/meetings/{case_id}/{form}", data={
        "csrf_token": csrf_from(page), "expected_version": version_from(page), **data, **overrides})


MAJORITY_AGAINST = (("wujianguo", "disagree", "资金来源尚未落实，建议暂缓"),
                    ("zhengli", "disagree", "分类设施选址需再听取村民意见"),
                    ("xuwen", "agree", "同意实施，分步推进"))


# ---------------------------------------------------------------- the list and who may see it


def test_the_list_shows_the_items_awaiting_discussion_with_meeting_and_views(town, client_for):
    waiting = in_discussion(town, title="后龙镇公共停车场管理办法")
    meeting = convened(town, title="后龙镇生活垃圾分类实施办法")
    views(town, meeting, ("wujianguo", "agree", "同意"))
    elsewhere = new_case(town, title="后龙镇老旧小区改造方案")  # still proposed: not for the meeting
    page = text(client_for("zhengli").get("/meetings/"))
    assert waiting in page and meeting in page and elsewhere not in page
    assert "后龙镇老旧小区改造方案" not in page
    rows = {cid: parse(page).row("table", cid).text() for cid in (waiting, meeting)}
    assert "尚未召开" in rows[waiting] and "待召开会议" in rows[waiting]
    row = rows[meeting]
    assert "已召开" in row and FORUM in row and cn(case_row(town, meeting)[2]["meeting"]["meeting_date"]) in row
    assert "1/3" in row  # 吴建国 has spoken; 郑丽 and 许文 have not (the head speaks last, with the decision)
    assert "集体讨论" in row


def test_only_the_decision_body_has_the_meeting_pages_and_their_link(town, client_for):
    case_id = convened(town)
    member, drafter, auditor = client_for("xuwen"), client_for("zhangwei"), client_for("liushen")
    assert 'href="/meetings/"' in text(member.get("/cases/"))
    assert 'href="/meetings/"' not in text(drafter.get("/cases/"))
    assert 'href="/meetings/"' not in text(auditor.get("/cases/"))
    for client in (drafter, auditor):
        assert client.get("/meetings/").status_code == 403
        assert client.get(f"/meetings/{case_id}").status_code == 403
    assert member.get(f"/meetings/{case_id}").status_code == 200
    before = case_row(town, case_id)
    token = csrf_from(drafter.get("/cases/"))
    response = drafter.post(f"/meetings/{case_id}/view", data={
        "csrf_token": token, "expected_version": str(before[1]), "view": "agree", "statement": "同意"})
    assert response.status_code == 403
    assert case_row(town, case_id) == before


def test_another_organisations_meeting_is_not_found(town, client_for):
    with writing(town.sessions) as s:
        accounts.ensure_org(s, "fengwei", "泉港区峰尾镇人民政府", "Fengwei Town People's Government")
        s.flush()
        accounts.create_user(s, username="fw_drafter", display_name="峰尾起草人", password="pw-fengwei-1",
                             org_id="fengwei", roles=["drafter"])
    theirs = new_case(town, actor="fw_drafter", title="峰尾镇的决策")
    head = client_for(HEAD)
    assert "峰尾镇的决策" not in text(head.get("/meetings/"))
    for path in ("", "/minutes", "/minutes.pdf"):
        assert head.get(f"/meetings/{theirs}{path}").status_code == 404
    before = case_row(town, theirs)
    token = csrf_from(head.get("/meetings/"))
    response = head.post(f"/meetings/{theirs}/convene", data={
        "csrf_token": token, "expected_version": "1", "forum": FORUM, "meeting_date": "2026-05-06",
        "attendees": [*MEMBERS, HEAD]})
    assert response.status_code == 404
    assert case_row(town, theirs) == before


# ---------------------------------------------------------------- convening


def test_the_head_convenes_the_meeting_with_the_forum_of_the_setting(town, client_for):
    case_id = in_discussion(town)
    head = client_for(HEAD)
    page = text(head.get(f"/meetings/{case_id}"))
    assert "召开集体讨论会议" in page
    assert f'name="forum" type="text" value="{FORUM}"' in page  # prefilled from the organisation's setting
    for username in [*MEMBERS, HEAD]:
        assert f'name="attendees" value="{username}" checked' in page
    assert 'value="zhangwei"' not in page  # a drafter is no member of the decision body
    assert "提交材料" in page and "合法性审查意见" in page and "审查结论" in page and "合法" in page
    assert "召开集体讨论会议" not in text(client_for("zhengli").get(f"/meetings/{case_id}"))

    response = post(head, case_id, "convene", {"forum": FORUM, "meeting_date": meeting_day(town),
                                               "attendees": ["wujianguo", "zhengli", HEAD],
                                               "absentees": "许文（出差）"})
    assert response.status_code == 302, text(response)
    page = text(head.get(response.headers["Location"]))
    assert "已办理「召开集体讨论会议」" in page
    state, _version, data = case_row(town, case_id)
    assert state == "collective_discussion"
    assert data["meeting"]["attendees"] == ["wujianguo", "zhengli", HEAD]
    assert data["meeting"]["absentees"] == ["许文（出差）"] and data["meeting"]["forum"] == FORUM
    assert data["meeting"]["absent_members"] == ["xuwen"]  # not ticked: recorded absent by the engine
    assert "缺席的组成人员：许文（副镇长）" in page
    assert "许文（出差）" in page and cn(meeting_day(town)) in page
    assert "尚未发表意见：吴建国（副镇长）、郑丽（副镇长）" in page


def test_convening_against_the_setting_or_with_an_outsider_is_refused_with_reasons(town, client_for):
    case_id = in_discussion(town)
    head = client_for(HEAD)
    before = case_row(town, case_id)
    response = post(head, case_id, "convene", {"forum": "镇党委会", "meeting_date": meeting_day(town),
                                               "attendees": ["wujianguo", "zhangwei"]})
    assert response.status_code == 422
    page = text(response)
    assert "未能办理「召开集体讨论会议」" in page
    assert "集体讨论应当在本机关确定的会议形式上进行：应为「镇长办公会议」，而非「镇党委会」" in page
    assert "出席人员应为决策机关组成人员：非组成人员：张伟" in page
    assert "《重大行政决策程序暂行条例》第三十条" in page
    assert 'value="镇党委会"' in page  # the input is kept
    assert 'name="attendees" value="wujianguo" checked' in page
    assert 'name="attendees" value="zhengli" checked' not in page
    assert case_row(town, case_id)[:2] == before[:2] and "meeting" not in case_row(town, case_id)[2]


def test_convening_below_the_quorum_is_refused_naming_the_counts(town, client_for):
    case_id = in_discussion(town)
    head = client_for(HEAD)
    before = case_row(town, case_id)
    response = post(head, case_id, "convene", {"forum": FORUM, "meeting_date": "2026-05-06",
                                               "attendees": ["wujianguo", HEAD]})
    assert response.status_code == 422
    page = text(response)
    assert "集体讨论应有本机关确定的法定人数的组成人员出席：组成人员4人，出席2人，须超过50%即至少3人出席" in page
    assert "《重大行政决策程序暂行条例》第三十条" in page
    assert case_row(town, case_id) == before


def test_a_stale_form_is_refused_with_409(town, client_for):
    case_id = in_discussion(town)
    head = client_for(HEAD)
    page = head.get(f"/meetings/{case_id}")
    token, version = csrf_from(page), version_from(page)
    town.engine.fire(case_id, "convene_meeting", HEAD, {"forum": FORUM, "meeting_date": meeting_day(town),
                                                        "attendees": [*MEMBERS, HEAD]})
    response = head.post(f"/meetings/{case_id}/convene", data={
        "csrf_token": token, "expected_version": version, "forum": FORUM, "meeting_date": "2026-05-07",
        "attendees": ["wujianguo", HEAD]})
    assert response.status_code == 409
    assert "案件已被他人更新" in text(response)
    assert case_row(town, case_id)[2]["meeting"]["meeting_date"] == meeting_day(town)


# ---------------------------------------------------------------- the members' views


def test_an_attending_member_states_a_view_once(town, client_for):
    case_id = convened(town)
    member = client_for("zhengli")
    page = text(member.get(f"/meetings/{case_id}"))
    assert "提交：发表意见" in page and 'name="view"' in page and "不同意" in page
    response = post(member, case_id, "view", {"view": "disagree", "statement": "分类设施选址需再听取村民意见"})
    assert response.status_code == 302, text(response)
    page = text(member.get(response.headers["Location"]))
    assert "已办理「发表意见」" in page
    assert "分类设施选址需再听取村民意见" in page and "view-disagree" in page
    assert "提交：发表意见" not in page  # spoken: the form is gone, and the page says why
    assert "每位组成人员的意见只记录一次" in page
    [recorded] = case_row(town, case_id)[2]["member_views"]
    assert (recorded["recorded_by"], recorded["view"]) == ("zhengli", "disagree")
    assert "1/3" in text(member.get("/meetings/"))


def test_a_member_not_attending_is_refused_with_the_reason(town, client_for):
    case_id = convened(town, attendees=["wujianguo", "zhengli", HEAD])
    absent = client_for("xuwen")
    page = text(absent.get(f"/meetings/{case_id}"))
    assert "提交：发表意见" not in page
    assert "只有出席会议的组成人员可以发表意见" in page
    before = case_row(town, case_id)
    response = absent.post(f"/meetings/{case_id}/view", data={
        "csrf_token": csrf_from(absent.get(f"/meetings/{case_id}")), "expected_version": str(before[1]),
        "view": "agree", "statement": "我虽缺席，但同意"})
    assert response.status_code == 422
    page = text(response)
    assert "未能办理「发表意见」" in page
    assert "只有出席会议的组成人员可以发表意见" in page and "《重大行政决策程序暂行条例》第三十条" in page
    assert "我虽缺席，但同意" in page  # the input is kept
    assert case_row(town, case_id)[:2] == before[:2] and "member_views" not in case_row(town, case_id)[2]


# ---------------------------------------------------------------- the head's decision


def test_the_head_cannot_decide_before_every_attendee_has_spoken(town, client_for):
    case_id = convened(town)
    views(town, case_id, ("wujianguo", "agree", "同意"))
    head = client_for(HEAD)
    page = text(head.get(f"/meetings/{case_id}"))
    assert "现在提交决定将被拒绝" in page
    assert "尚未发表意见：郑丽、许文" in page
    before = case_row(town, case_id)
    response = post(head, case_id, "decision", {"decision": "adopt_decision", "head_statement": "同意实施",
                                                "decision_text": "原则通过"})
    assert response.status_code == 422
    page = text(response)
    assert "未能作出决定" in page
    assert "组成人员应当充分发表意见，行政首长最后发表意见：尚未发表意见：郑丽、许文" in page
    assert "第三十条第二款" in page
    assert ">同意实施</textarea>" in page and 'value="adopt_decision" required checked' in page
    assert case_row(town, case_id)[:2] == before[:2] and "decision" not in case_row(town, case_id)[2]


def test_a_decision_against_the_majority_needs_the_reason(town, client_for):
    case_id = convened(town)
    views(town, case_id, *MAJORITY_AGAINST)
    head = client_for(HEAD)
    page = text(head.get(f"/meetings/{case_id}"))
    assert "现在提交决定将被拒绝" not in page
    assert "多数意见：<strong>不同意</strong>" in page and "不同意 2" in page and "同意 1" in page
    assert "多数意见为不同意（同意1，不同意2）" in page  # said next to 通过, the choice that departs from it
    before = case_row(town, case_id)

    refused = post(head, case_id, "decision", {"decision": "adopt_decision", "head_statement": "我认为应当实施",
                                               "decision_text": "通过《实施办法》"})
    assert refused.status_code == 422
    page = text(refused)
    assert "行政首长拟作出的决定与会议组成人员多数人的意见不一致的，应当在会上说明理由" in page
    assert "第三十条第二款" in page and "通过《实施办法》" in page
    assert case_row(town, case_id)[:2] == before[:2]

    adopted = post(head, case_id, "decision", {"decision": "adopt_decision", "head_statement": "我认为应当实施",
                                               "decision_text": "通过《实施办法》",
                                               "reason_against_majority": "省里考核时限已定，资金由区财政兜底"})
    assert adopted.status_code == 302, text(adopted)
    state, _version, data = case_row(town, case_id)
    assert state == "decided"
    assert data["decision"]["reason_against_majority"] == "省里考核时限已定，资金由区财政兜底"
    page = text(head.get(adopted.headers["Location"]))
    assert "已办理「行政首长作出通过决定」，案件现处于「已作出决定」阶段" in page
    assert "不同意见" in page and "资金来源尚未落实，建议暂缓" in page
    assert "提交决定" not in page


def test_a_deferred_meeting_stays_on_the_page_with_its_outcome(town, client_for):
    case_id = convened(town)
    views(town, case_id, ("wujianguo", "agree", "同意"), ("zhengli", "agree", "同意"), ("xuwen", "abstain", "弃权"))
    head = client_for(HEAD)
    refused = post(head, case_id, "decision", {"decision": "defer_decision", "head_statement": "再议"})
    assert refused.status_code == 422 and "多数意见为同意（同意2，不同意0）" in text(refused)
    deferred = post(head, case_id, "decision", {"decision": "defer_decision", "head_statement": "再议",
                                                "reason_against_majority": "需补充资金测算"})
    assert deferred.status_code == 302, text(deferred)
    assert case_row(town, case_id)[0] == "drafting"
    page = text(head.get(f"/meetings/{case_id}"))
    assert "上一次会议" in page and "暂缓决定并退回修改" in page and "需补充资金测算" in page
    assert case_id not in text(head.get("/meetings/"))  # no longer awaiting discussion
    minutes = text(head.get(f"/meetings/{case_id}/minutes"))
    assert "需补充资金测算" in minutes and "暂缓决定并退回修改" in minutes


# ---------------------------------------------------------------- the minutes


def adopted_against_majority(town) -> str:
    case_id = convened(town, attendees=[*MEMBERS, HEAD])
    views(town, case_id, *MAJORITY_AGAINST)
    outcome = town.engine.fire(case_id, "adopt_decision", HEAD, {
        "head_statement": "我认为应当实施", "decision_text": "通过《实施办法》",
        "reason_against_majority": "省里考核时限已定，资金由区财政兜底"})
    assert outcome.ok, outcome.reasons
    return case_id


def test_the_minutes_record_views_decision_reason_dissent_and_their_events(town, client_for):
    case_id = adopted_against_majority(town)
    page = text(client_for("zhengli").get(f"/meetings/{case_id}/minutes"))
    assert "集体讨论会议纪要" in page and "泉州市泉港区后龙镇人民政府" in page
    assert "后龙镇生活垃圾分类实施办法" in page and FORUM in page \
        and cn(case_row(town, case_id)[2]["meeting"]["meeting_date"]) in page
    assert "吴建国（副镇长）、郑丽（副镇长）、许文（副镇长）、黄振华（镇长）" in page
    # members give views and the head decides (条例第三十条): the minutes record no vote
    assert "二、组成人员意见" in page and "表决" not in page
    for _member, _view, statement in MAJORITY_AGAINST:
        assert statement in page
    assert "我认为应当实施" in page and "通过《实施办法》" in page
    assert "省里考核时限已定，资金由区财政兜底" in page
    dissent = page[page.index("四、不同意见"):page.index("附：记录来源")]
    assert "吴建国" in dissent and "郑丽" in dissent and "许文" not in dissent  # 许文 agreed with the decision
    with town.sessions() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id,
                                                    AuditEvent.trigger.in_(["convene_meeting", "record_member_view",
                                                                            "adopt_decision"]))).all()
    assert len(events) == 5
    for event in events:
        assert event.hash in page and f"<td>{event.seq}</td>" in page


def test_the_minutes_are_for_the_decision_body_counsel_auditors_and_admins(town, client_for):
    waiting = in_discussion(town, title="后龙镇公共停车场管理办法")
    case_id = convened(town)
    for reader in ("wujianguo", HEAD, "liushen", "chenjing"):
        assert client_for(reader).get(f"/meetings/{case_id}/minutes").status_code == 200, reader
    # the administrator manages accounts, not cases: a case is not found for them (need-to-know, the
    # definition's `visibility:`), the minutes included
    assert client_for("admin").get(f"/meetings/{case_id}/minutes").status_code == 404
    drafter = client_for("zhangwei")
    assert drafter.get(f"/meetings/{case_id}/minutes").status_code == 403
    assert drafter.get(f"/meetings/{case_id}/minutes.pdf").status_code == 403
    assert client_for(HEAD).get(f"/meetings/{waiting}/minutes").status_code == 404  # no meeting yet


def test_the_minutes_pdf_carries_the_chinese_text(town, client_for, caplog, tmp_path):
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.skip("pdftotext (Debian: poppler-utils) is not installed; `make test` installs it")
    case_id = adopted_against_majority(town)
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        response = client_for("liushen").get(f"/meetings/{case_id}/minutes.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    # no Chinese character was drawn as a box (.notdef): a CJK font was found (library notes §4.2)
    assert not [r for r in caplog.records if ".notdef glyph" in r.getMessage()]
    path = tmp_path / "minutes.pdf"
    path.write_bytes(response.data)
    extracted = subprocess.run([pdftotext, "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                               check=True, timeout=60).stdout
    flat = "".join(extracted.split())  # lines wrap anywhere in Chinese text
    for expected in ("集体讨论会议纪要", "泉州市泉港区后龙镇人民政府", "吴建国", "郑丽", "许文", "黄振华",
                     "不同意", "资金来源尚未落实，建议暂缓", "分类设施选址需再听取村民意见",
                     "省里考核时限已定，资金由区财政兜底", "不同意见"):
        assert expected in flat, expected


def _absent_cell(page: str) -> str:
    from html.parser import HTMLParser

    class Cell(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.inside, self.text = False, ""

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.inside = self.inside or (tag == "td" and ("class", "absent-members") in attrs)

        def handle_endtag(self, tag: str) -> None:
            self.inside = self.inside and tag != "td"

        def handle_data(self, data: str) -> None:
            self.text += data if self.inside else ""

    parser = Cell()
    parser.feed(page)
    return parser.text


def absent_member_meeting(town) -> str:
    case_id = convened(town, attendees=["wujianguo", "zhengli", HEAD])
    views(town, case_id, ("wujianguo", "agree", "同意实施"), ("zhengli", "agree", "同意"))
    outcome = town.engine.fire(case_id, "adopt_decision", HEAD, {"head_statement": "实施",
                                                                  "decision_text": "通过《实施办法》"})
    assert outcome.ok, outcome.reasons
    return case_id


def test_the_minutes_list_the_members_absent_by_name(town, client_for):
    case_id = absent_member_meeting(town)
    assert _absent_cell(text(client_for(HEAD).get(f"/meetings/{case_id}/minutes"))) == "许文（副镇长）"
    everyone = convened(town, title="后龙镇公共停车场管理办法")
    assert _absent_cell(text(client_for(HEAD).get(f"/meetings/{everyone}/minutes"))) == "无"


def test_the_minutes_pdf_lists_the_members_absent(town, client_for, tmp_path):
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.skip("pdftotext (Debian: poppler-utils) is not installed; `make test` installs it")
    case_id = absent_member_meeting(town)
    response = client_for("liushen").get(f"/meetings/{case_id}/minutes.pdf")
    assert response.status_code == 200
    path = tmp_path / "minutes.pdf"
    path.write_bytes(response.data)
    extracted = subprocess.run([pdftotext, "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                               check=True, timeout=60).stdout
    flat = "".join(extracted.split())
    assert "缺席的组成人员许文" in flat  # the row's heading, then the absent member's name


def test_a_script_in_a_statement_is_shown_escaped(town, client_for):
    case_id = convened(town)
    views(town, case_id, ("wujianguo", "disagree", "<script>alert('x')</script>"))
    head = client_for(HEAD)
    for path in ("", "/minutes"):
        page = text(head.get(f"/meetings/{case_id}{path}"))
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
        assert "<script>alert" not in page


def test_a_case_not_yet_submitted_for_discussion_has_no_meeting_page(town, client_for):
    case_id = new_case(town)
    head = client_for(HEAD)
    assert head.get(f"/meetings/{case_id}").status_code == 404
    assert head.get(f"/meetings/{case_id}/minutes").status_code == 404
