"""A conditionally required field in a real browser (web/static/required-when.js): the head opens a penalty
case awaiting the decision; choosing 罚款 marks the amount required and the browser stops the form without it
(nothing reaches the server: no audit event); choosing 警告 lifts it. The server's own refusal is
tests/web/test_required_when.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import Environment, FileSystemLoader
from sqlalchemy import func, select

from tests.browser.helpers import Site, expect, open_case, step_form, submit
from tests.penalty_cases import DAY, FILING, notified_case
from web.forms import Widget
from workflow.models import AuditEvent

if TYPE_CHECKING:
    from playwright.sync_api import Page

OpenPage = Callable[..., "Page"]
LABEL = "作出行政处罚决定"
FILLED = {"party": "林某某，住后龙镇后龙村", "facts_and_evidence": "现场勘验笔录", "performance": "十五日内缴纳",
          "legal_basis": "《城市市容和环境卫生管理条例》第三十六条", "reconsideration_body": "泉州市泉港区人民政府",
          "reconsideration_days": "60", "litigation_months": "6", "decided_on": DAY}


def _events(site: Site) -> int:
    with site.runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def test_choosing_a_fine_makes_the_amount_required_before_the_form_is_sent(open_page: OpenPage, site: Site):
    notified_case(site.runtime.engine)
    head = open_page("huangzhenhua")
    open_case(head, FILING["title"])
    step = step_form(head, "decide_penalty", LABEL)
    amount = step.locator('input[name="amount"]')
    star = step.locator('label[for="step-decide_penalty-amount"] .required-when-star')
    expect(step.locator('label[for="step-decide_penalty-amount"]')).to_contain_text("处罚种类为罚款、没收违法所得、没收非法财物时必填")
    assert amount.evaluate("e => e.required") is False
    expect(star).to_be_hidden()

    for name, value in FILLED.items():
        step.locator(f'[name="{name}"]').fill(value)
    step.locator('select[name="sealed"]').select_option("true")
    step.locator('select[name="penalty_type"]').select_option("fine")
    assert amount.evaluate("e => e.required") is True
    expect(star).to_be_visible()

    before, url = _events(site), head.url
    submit(step, LABEL)
    assert amount.evaluate("e => e.validity.valueMissing") is True  # the browser stopped it at the amount
    assert head.evaluate("document.activeElement.name") == "amount"
    assert head.url == url and _events(site) == before  # nothing was sent, nothing audited

    step.locator('select[name="penalty_type"]').select_option("warning")
    assert amount.evaluate("e => e.required") is False
    expect(star).to_be_hidden()


def test_the_new_controls_follow_their_condition_too(browser) -> None:
    """The controls issue 16 added (web/forms.py): boxes to tick with entries typed beside them, and a text field with
    suggestions (a datalist), rendered by the form macro, under web/static/required-when.js: required while the
    controlling choice is one of its values; the boxes are satisfied by a ticked box or a typed entry."""
    web = Path(__file__).resolve().parents[2] / "web"
    env = Environment(loader=FileSystemLoader(web / "templates"), autoescape=True)
    env.globals.update(_=lambda text, **kw: text.format(**kw), paren=lambda text: f"（{text}）")
    field = env.get_template("macros.html").module.field
    rule = ("method", "random", "抽取方式为随机时必填")
    boxes = Widget(name="candidates", id="f-candidates", label="待抽案卷", help="", control="checkboxes",
                   input_type="text", required=False, value="", options=(("案卷一", "1. 案卷一"),), other=True,
                   required_when=rule)
    unit = Widget(name="unit", id="f-unit", label="承办单位", help="", control="input", input_type="text",
                  required=False, value="", options=(("司法所", "司法所"),), attrs=(("list", "f-unit-list"),),
                  required_when=rule)
    html = (f'<form><select name="method"><option value="">请选择</option><option value="random">随机</option>'
            f'</select>{field(boxes)}{field(unit)}</form>')
    page = browser.new_page()
    try:
        page.set_content(html)
        page.add_script_tag(path=str(web / "static" / "required-when.js"))
        first, other, text = (page.locator('input[name="candidates"]'), page.locator('textarea[name="candidates"]'),
                              page.locator('input[name="unit"]'))
        star = page.locator("fieldset legend .required-when-star")
        valid = "() => document.forms[0].checkValidity()"
        assert page.evaluate(valid) is True and text.evaluate("e => e.required") is False
        expect(star).to_be_hidden()
        page.locator('select[name="method"]').select_option("random")
        expect(star).to_be_visible()
        assert text.evaluate("e => e.required") is True and text.get_attribute("list") == "f-unit-list"
        text.fill("泉港区司法局")  # not one of the suggestions: still a value
        assert page.evaluate(valid) is False and first.evaluate("e => e.validationMessage") == "（抽取方式为随机时必填）"
        other.fill("纸质案卷二")
        assert page.evaluate(valid) is True
        other.fill("")
        first.check()
        assert page.evaluate(valid) is True
        first.uncheck()
        page.locator('select[name="method"]').select_option("")
        assert page.evaluate(valid) is True and text.evaluate("e => e.required") is False
    finally:
        page.close()
