"""The public portal, read without logging in: the register (行政执法公示): valid certificates only, withdrawals with
reasons; the public consultations on major decisions with their comment form and its abuse checks; published
decisions."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from tests.web.helpers import PROPOSAL, csrf_from, login, new_case, text
from web import create_app, throttle
from workflow import accounts, tokens
from workflow.db import writing
from workflow.demo import FIELD_STREETS, POWER_STREETS
from workflow.models import AuditEvent, Case, PortalSubmission, User
from workflow.runtime import Runtime

# The page, not the database, is this module's subject: SQLite only (tests/conftest.py, one_database).
pytestmark = pytest.mark.one_database


def _ok(town: Runtime, case_id: str, trigger: str, actor: str, payload: dict[str, Any]) -> None:
    outcome = town.engine.fire(case_id, trigger, actor, payload)
    assert outcome.ok, [r.zh for r in outcome.reasons]


def published_and_withdrawn(town: Runtime) -> str:
    """A served 2000-yuan fine, published, then revoked on reconsideration and withdrawn."""
    today = town.clock.now().date().isoformat()
    opened = town.engine.create_case("enforcement_case", "wanghai", {
        "title": "陈某某在后龙街两侧堆放建材案", "party": "陈某某", "party_type": "individual",
        "facts": "当事人在后龙街两侧人行道堆放建材约20立方米。", "field": FIELD_STREETS, "power": POWER_STREETS,
        "legal_basis": "《城市市容和环境卫生管理条例》第三十六条"})
    assert opened.ok and opened.case_id, [r.zh for r in opened.reasons]
    cid = opened.case_id
    _ok(town, cid, "start_investigation", "wanghai", {"officers": ["wanghai", "caiming"]})
    _ok(town, cid, "notify_intended_penalty", "wanghai", {
        "penalty_type": "fine", "amount": "2000", "facts": "占道堆放建材", "reasons": "违反第十四条",
        "legal_basis": "第三十六条", "rights_told": "陈述、申辩", "notified_on": today})
    _ok(town, cid, "assess_major_case", "wanghai", {"major_public_interest": False,
                                                    "major_rights_after_hearing": False, "complex": False})
    _ok(town, cid, "decide_penalty", "huangzhenhua", {
        "document_no": "龙综执罚〔2026〕9号", "party": "陈某某", "facts_and_evidence": "勘验笔录、照片",
        "penalty_type": "fine", "amount": "2000", "legal_basis": "第三十六条", "performance": "十五日内缴纳",
        "reconsideration_body": "泉州市泉港区人民政府", "reconsideration_days": 60, "litigation_months": 6,
        "decided_on": today, "sealed": True})
    _ok(town, cid, "serve_decision", "wanghai", {"method": "direct", "served_on": today, "proof_ref": "回证-9"})
    _ok(town, cid, "publish_decision", "wanghai", {"channel": "portal", "location": "后龙镇政府网站",
                                                   "published_on": today})
    _ok(town, cid, "record_withdrawal_ground", "wanghai", {"ground": "revoked", "document_ref": "泉港政复决〔2026〕3号",
                                                           "occurred_on": today})
    _ok(town, cid, "withdraw_publication", "wanghai", {"public_reason": "该决定已被行政复议决定撤销",
                                                       "withdrawn_on": today})
    return cid


def test_the_register_is_public_and_lists_only_valid_certificates(town, app):
    page = app.test_client().get("/public/register")
    assert page.status_code == 200, text(page)
    body = text(page)
    assert "行政执法公示" in body and "王海" in body and FIELD_STREETS in body
    assert "洪志强" not in body and "闽QG-2020-0033" not in body  # expired on 2026-01-31
    assert POWER_STREETS in body and "行政处罚案件（普通程序）" in body and "申请行政复议" in body


def test_a_withdrawn_decision_shows_its_reason(town, app):
    published_and_withdrawn(town)
    body = text(app.test_client().get("/public/register"))
    assert "龙综执罚〔2026〕9号" in body and "该决定已被行政复议决定撤销" in body
    assert "暂无公开的行政处罚决定" in body  # withdrawn, so no longer among the published


def test_the_register_in_english(town, app):
    body = text(app.test_client().get("/public/register?lang=en"))
    assert "Enforcement officers" in body and "Remedies" in body


def test_the_case_page_says_whether_the_publication_was_on_time(town, client_for):
    case_id = published_and_withdrawn(town)
    page = text(client_for("wanghai").get(f"/cases/{case_id}"))
    assert "处罚决定公开期限：期限至" in page and "按期" in page
    assert "撤回公开的处罚决定期限：期限至" in page


# ---------------------------------------------------------------- public consultations (条例第十五条、第十八条)

CLIENT_IP = "203.0.113.5"
OPENING = {"draft_ref": "龙政〔2026〕征求意见稿1号", "explanation": "为规范生活垃圾分类投放，起草了本办法。\n主要内容：分类标准、投放时间。",
           "channels": ["后龙镇人民政府网站", "镇政务公开栏"], "period_days": 30}


def consulting(town: Runtime) -> str:
    """A decision whose draft is open for public comment (opened today, 2026-03-02: until 2026-04-01)."""
    cid = new_case(town)
    _ok(town, cid, "start", "huangzhenhua", {"lead_unit": "党政综合办公室"})
    _ok(town, cid, "open_public_comment", "zhangwei", OPENING)
    return cid


def browser(app: Flask, ip: str = CLIENT_IP, **environ: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base.update(REMOTE_ADDR=ip, **environ)
    return client


def form_of(client: FlaskClient, case_id: str) -> dict[str, str]:
    page = text(client.get(f"/public/consultations/{case_id}"))
    issued = re.search(r'name="issued" value="([^"]+)"', page)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert issued and token, "the consultation page has no comment form"
    return {"csrf_token": token.group(1), "issued": issued.group(1), "website": ""}


def post_comment(town: Runtime, client: FlaskClient, case_id: str, wait: float = 5, form: dict[str, str] | None = None,
                 **fields: str) -> TestResponse:
    """Open the page, take `wait` seconds to fill the form in, submit it (as a person in a browser)."""
    base = form if form is not None else form_of(client, case_id)
    town.clock.advance(seconds=wait)
    data = {**base, "commenter": "峰前村村民 林女士", "contact": "13912345678", "content": "希望公布各村收集点的设置位置", **fields}
    return client.post(f"/public/consultations/{case_id}", data=data)


def comments_of(town: Runtime, case_id: str) -> list[dict[str, Any]]:
    with town.sessions() as s:
        return list(s.get(Case, case_id).data.get("comments", []))


def events_of(town: Runtime, case_id: str) -> list[AuditEvent]:
    with town.sessions() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.seq)).all())


def test_an_open_consultation_is_listed_and_shows_the_draft_the_period_and_a_form(town, app):
    cid = consulting(town)
    listing = text(app.test_client().get("/public/consultations"))
    assert "正在征求意见" in listing and PROPOSAL["title"] in listing and "尚余30日" in listing
    assert "2026年4月1日 24:00" in listing and f"/public/consultations/{cid}" in listing
    page = text(app.test_client().get(f"/public/consultations/{cid}"))
    assert OPENING["draft_ref"] in page and "主要内容：分类标准、投放时间。" in page and "后龙镇人民政府网站" in page
    assert "截至2026年4月1日 24:00（北京时间）" in page and "尚余30日" in page
    assert 'name="content"' in page and 'name="commenter"' in page and 'name="contact"' in page
    assert 'maxlength="2000"' in page and 'minlength="5"' in page and 'maxlength="50"' in page
    assert 'name="website"' in page and 'tabindex="-1"' in page  # the honeypot, out of people's way
    assert 'name="csrf_token"' in page  # an anonymous visitor has a session, and so a token


@pytest.mark.parametrize("stage", ["proposed", "drafting"])
def test_a_draft_before_its_consultation_is_not_found_nor_listed(town, app, stage):
    cid = new_case(town)
    if stage == "drafting":
        _ok(town, cid, "start", "huangzhenhua", {"lead_unit": "党政综合办公室"})
    client = app.test_client()
    assert client.get(f"/public/consultations/{cid}").status_code == 404
    assert client.post(f"/public/consultations/{cid}", data=form_of_nothing(client)).status_code == 404
    assert cid not in text(client.get("/public/consultations"))
    assert client.get("/public/consultations/MD-2099-0001").status_code == 404


def form_of_nothing(client: FlaskClient) -> dict[str, str]:
    """A valid CSRF token of this session (the login page has a form), for posts to pages that show none."""
    return {"csrf_token": csrf_from(client.get("/login"))}


def test_a_consultation_of_another_organisation_is_not_found_under_that_organisation(town, app):
    cid = consulting(town)
    with writing(town.sessions) as s:
        accounts.ensure_org(s, "fengwei", "泉港区峰尾镇人民政府", "Fengwei Town People's Government")
    client = app.test_client()
    assert client.get(f"/public/consultations/{cid}?org=fengwei").status_code == 404
    assert client.get(f"/public/consultations/{cid}?org=houlong").status_code == 200
    assert PROPOSAL["title"] not in text(client.get("/public/consultations?org=fengwei"))
    choose = text(client.get("/public/consultations"))  # two organisations: choose one
    assert "/public/consultations?org=fengwei" in choose and "/public/consultations?org=houlong" in choose


def test_a_comment_goes_through_the_engine_as_the_portal_account(town, app):
    cid = consulting(town)
    client = browser(app)
    response = post_comment(town, client, cid)
    assert response.status_code == 303, text(response)
    page = text(client.get(response.headers["Location"]))
    assert "您的意见已提交，登记为第1条" in page
    [comment] = comments_of(town, cid)
    assert comment["content"] == "希望公布各村收集点的设置位置" and comment["no"] == 1
    assert comment["trigger"] == "submit_public_comment" and comment["recorded_by"] == "public.houlong"
    event = events_of(town, cid)[-1]
    assert (event.kind, event.trigger, event.actor, event.role) == ("transition", "submit_public_comment",
                                                                    "public.houlong", "public")
    assert CLIENT_IP not in event.payload  # the client's address is kept nowhere
    # the drafter decides on it like on any other comment
    _ok(town, cid, "decide_comment_adoption", "zhangwei", {"comment_no": 1, "adoption": "adopted",
                                                          "adoption_reason": "已在办法第五条中公布收集点"})


def test_after_closing_each_comment_shows_its_adoption_and_never_a_contact(town, app):
    cid = consulting(town)
    _ok(town, cid, "record_comment", "zhangwei", {"commenter": "后龙村村民 陈先生", "received_on": "2026-03-02",
                                                  "content": "建议增加厨余垃圾收集频次"})
    client = browser(app)
    assert post_comment(town, client, cid).status_code == 303
    assert post_comment(town, client, cid, commenter="", contact="", content="建议设置大件垃圾投放点").status_code == 303
    open_page = text(client.get(f"/public/consultations/{cid}"))
    assert "13912345678" not in open_page and "希望公布各村收集点" not in open_page  # comments wait for the close
    for no, adoption, reason in ((1, "partly_adopted", "收集频次按季节调整"), (2, "adopted", "已在第五条中公布"),
                                 (3, "not_adopted", "大件垃圾由区级统一收运")):
        _ok(town, cid, "decide_comment_adoption", "zhangwei", {"comment_no": no, "adoption": adoption,
                                                              "adoption_reason": reason})
    town.clock.set_local_date(date(2026, 4, 2))
    _ok(town, cid, "close_public_comment", "zhangwei", {"summary": "共收到意见3条，采纳1条，部分采纳1条，不予采纳1条。"})
    page = text(app.test_client().get(f"/public/consultations/{cid}"))
    assert "征求意见已结束" in page and 'name="content"' not in page  # no form any more
    assert "希望公布各村收集点的设置位置" in page and "峰前村村民 林女士" in page and "已在第五条中公布" in page
    assert "建议设置大件垃圾投放点" in page and "匿名" in page and "不予采纳" in page and "大件垃圾由区级统一收运" in page
    assert "建议增加厨余垃圾收集频次" in page and "经其他途径收到" in page and "部分采纳" in page
    assert "后龙村村民 陈先生" not in page  # a name staff recorded from elsewhere is not published
    assert "13912345678" not in page  # a contact is never published
    assert "共收到意见3条，采纳1条" in page
    listing = text(app.test_client().get("/public/consultations"))
    assert "已结束的征求意见" in listing and "已公布意见采纳情况" in listing and "13912345678" not in listing


def test_a_refused_comment_shows_the_reason_and_keeps_what_was_typed(town, app):
    cid = consulting(town)
    client = browser(app)
    before = len(events_of(town, cid))
    response = post_comment(town, client, cid, content="同意", commenter="林女士")
    assert response.status_code == 422
    page = text(response)
    assert "意见未被接受" in page and "「意见内容」：长度应在5到2000之间" in page
    assert ">同意</textarea>" in page and 'value="林女士"' in page and 'value="13912345678"' in page
    assert comments_of(town, cid) == []
    events = events_of(town, cid)
    assert len(events) == before + 1 and events[-1].kind == "refused"  # the engine's refusal is audited


def test_after_the_period_the_form_is_gone_and_a_late_comment_is_refused_with_the_article(town, app):
    cid = consulting(town)
    client = browser(app)
    town.clock.set_local_date(date(2026, 4, 1), hour=23)
    town.clock.advance(minutes=58)
    form = form_of(client, cid)  # opened at 23:58 on the last day, sent after midnight
    town.clock.advance(minutes=3)
    page = text(client.get(f"/public/consultations/{cid}"))
    assert "征求意见期限已届满" in page and 'name="content"' not in page
    response = post_comment(town, client, cid, form=form, wait=0)
    assert response.status_code == 422
    body = text(response)
    assert "公开征求意见期限届满后，不再接收公众意见：征求意见期限已于2026年4月1日届满" in body and "第十五条" in body
    assert comments_of(town, cid) == [] and events_of(town, cid)[-1].kind == "refused"


@pytest.mark.parametrize(("case", "message"), [
    ("honeypot", "系统判断可能为自动提交"),
    ("too fast", "提交过快"),
    ("forged", "表单已失效"),
    ("expired", "表单已失效"),
    ("other case", "表单已失效"),
    ("links", "网址链接不能超过2个"),
])
def test_what_is_not_a_person_commenting_is_turned_away_with_the_input_kept_and_nothing_recorded(
        town, app, case, message):
    cid = consulting(town)
    client = browser(app)
    before = len(events_of(town, cid))
    form, wait, fields = form_of(client, cid), 5.0, {}
    if case == "honeypot":
        form["website"] = "http://spam.example"
    elif case == "too fast":
        wait = 1
    elif case == "forged":
        form["issued"] = form["issued"][:-2] + ("AA" if not form["issued"].endswith("AA") else "BB")
    elif case == "expired":
        wait = 4 * 3600 + 1
    elif case == "other case":
        other = consulting(town)
        form["issued"] = form_of(client, other)["issued"]
    elif case == "links":
        fields = {"content": "详见 https://a.example 和 http://b.example 以及 www.c.example"}
    response = post_comment(town, client, cid, form=form, wait=wait, **fields)
    assert response.status_code == 422
    page = text(response)
    assert message in page
    assert 'value="峰前村村民 林女士"' in page and 'value="13912345678"' in page and "</textarea>" in page
    assert 'name="website" type="text" value=""' in page  # the honeypot is not given back
    assert comments_of(town, cid) == [] and len(events_of(town, cid)) == before  # not an attempt: no event


def test_a_comment_without_the_csrf_token_is_refused_and_changes_nothing(town, app):
    cid = consulting(town)
    client = browser(app)
    form = form_of(client, cid)
    town.clock.advance(seconds=5)
    response = client.post(f"/public/consultations/{cid}", data={**form, "csrf_token": "forged",
                                                                 "content": "希望公布各村收集点的设置位置"})
    assert response.status_code == 400 and "安全令牌" in text(response)
    other = browser(app)  # another visitor's session: the token of this one does not fit
    response = other.post(f"/public/consultations/{cid}", data={**form, "content": "希望公布各村收集点的设置位置"})
    assert response.status_code == 400
    assert comments_of(town, cid) == []


def test_the_rate_limit_holds_per_client_across_workers_and_keeps_no_address(town, app):
    cid = consulting(town)
    second_worker = create_app(town, {"TESTING": True, "SECRET_KEY": app.secret_key})  # shares only the database
    clients = [browser(app), browser(second_worker)]
    form = form_of(clients[0], cid)
    for n in range(5):  # 5 in 10 minutes, alternating between the two workers
        client = clients[n % 2]
        assert post_comment(town, client, cid, form=form_of(client, cid), content=f"第{n + 1}条意见的内容").status_code == 303
    response = post_comment(town, clients[1], cid, form=form_of(clients[1], cid), content="第六条意见的内容")
    assert response.status_code == 429
    assert "10分钟内最多提交5次" in text(response) and "第六条意见的内容</textarea>" in text(response)
    assert len(comments_of(town, cid)) == 5
    assert post_comment(town, browser(app, "198.51.100.7"), cid).status_code == 303  # another client is not held up
    town.clock.advance(minutes=10)
    for n in range(15):  # 20 in a day
        town.clock.advance(minutes=3)
        assert post_comment(town, clients[0], cid, form=form, content=f"当日第{n + 6}条意见").status_code == 303
    town.clock.advance(minutes=11)
    response = post_comment(town, clients[0], cid, form=form_of(clients[0], cid), content="当日第二十一条意见")
    assert response.status_code == 429 and "每天最多提交20次" in text(response)
    town.clock.advance(days=1)
    assert post_comment(town, clients[0], cid, form=form_of(clients[0], cid)).status_code == 303
    with town.sessions() as s:
        rows = s.scalars(select(PortalSubmission)).all()
        assert rows and all(CLIENT_IP not in r.client and len(r.client) == 64 for r in rows)
        assert {r.client for r in rows} == {throttle.client_key(app.secret_key, CLIENT_IP)}  # a day later: 1 left
        assert not s.scalars(select(AuditEvent).where(AuditEvent.payload.contains(CLIENT_IP))).first()


def test_a_client_key_is_a_keyed_hash_by_ipv4_address_or_ipv6_prefix():
    key = throttle.client_key
    assert key("k1", "203.0.113.5") != key("k2", "203.0.113.5") and "203.0.113.5" not in key("k1", "203.0.113.5")
    assert key("k", "2001:db8:1:2::1") == key("k", "2001:db8:1:2:ffff::9")  # one /64
    assert key("k", "2001:db8:1:2::1") != key("k", "2001:db8:1:3::1")
    assert key("k", "::ffff:203.0.113.5") == key("k", "203.0.113.5")


def test_the_client_address_comes_from_the_trusted_proxy_only_when_configured(town, monkeypatch):
    monkeypatch.setenv("LAWFLOW_TRUSTED_PROXIES", "1")
    cid = consulting(town)
    app = create_app(town, {"TESTING": True, "SECRET_KEY": "test-secret-key-for-the-web-tests-only"})
    client = browser(app, "127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.9")
    assert post_comment(town, client, cid).status_code == 303
    with town.sessions() as s:
        [row] = s.scalars(select(PortalSubmission)).all()
    assert row.client == throttle.client_key(app.secret_key, "198.51.100.9")


def test_the_portal_account_cannot_log_in_and_is_no_demo_login(town):
    with town.sessions() as s:
        user = s.scalar(select(User).where(User.username == "public.houlong"))
        assert user is not None and user.role_names == {"public"} and user.display_name == "社会公众（公开征求意见平台）"
        assert accounts.authenticate(s, "public.houlong", "") is None
        assert accounts.authenticate(s, "public.houlong", user.password_hash) is None
    demo = create_app(town, {"TESTING": True, "SECRET_KEY": "k" * 40, "SHOW_DEMO_ACCOUNTS": True})
    client = demo.test_client()
    assert "public.houlong" not in text(client.get("/login"))
    assert "用户名或密码不正确" in text(login(client, "public.houlong", "!portal-account-no-login"))
    with pytest.raises(ValueError, match="portal"), writing(town.sessions) as s:
        tokens.create(s, username="public.houlong", name="x", by="admin", now=town.clock.now())


def test_the_portal_pages_in_english(town, app):
    cid = consulting(town)
    client = app.test_client()
    assert "Open for comment" in text(client.get("/public/consultations?lang=en"))
    page = text(client.get(f"/public/consultations/{cid}"))
    assert "Explanatory note" in page and "Submit the comment" in page and "never published" in page.lower()
    assert "No major decision has been published yet." in text(client.get("/public/decisions"))


def test_the_demo_town_publishes_its_decisions_and_consultations(runtime):
    from workflow import demo

    demo.seed(runtime)
    app = create_app(runtime, {"TESTING": True, "SECRET_KEY": "test-secret-key-for-the-web-tests-only"})
    client = app.test_client()
    decisions = text(client.get(f"/public/decisions?org={demo.ORG}"))  # the demo has a district and two towns
    assert "后龙镇农村生活污水治理三年行动方案（2026—2028年）" in decisions
    assert re.search(r"龙政〔\d{4}〕1号", decisions)  # numbered by the register (issue 12), in the demo's year
    assert "后龙镇集镇农贸市场搬迁建设项目" not in decisions  # not decided yet
    listing = text(client.get(f"/public/consultations?org={demo.ORG}"))
    assert "后龙镇老旧小区改造实施方案" in listing.split("已结束的征求意见")[0]  # open
    assert "后龙镇生活垃圾分类实施办法" not in listing  # just proposed: not public
    with runtime.sessions() as s:
        sewage = s.scalar(select(Case.id).where(Case.title.like("后龙镇农村生活污水治理%")))
    page = text(client.get(f"/public/consultations/{sewage}"))
    assert "建议优先改造靠近溪流的自然村" in page and "符合治理优先序" in page and "共收到意见2条" in page
    assert "后龙村村民 陈先生" not in page
