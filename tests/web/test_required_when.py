"""Forms that know what the town knows. A conditionally required field (`required_when:`): the input says when it
is required (data attributes read by web/static/required-when.js, and a visible marker), and the server still
refuses the step without it, naming both fields, whatever the browser did. A field that takes a person holding a
role (`options_from:`) offers the town's people with it."""

from __future__ import annotations

import pytest

from tests.penalty_cases import DAY, notified_case
from tests.web.helpers import parse, submit_step, text
from workflow.models import Case

# The page, not the database, is this module's subject (the engine's refusal on both databases is the feature
# scenario features/enforcement/11_决定罚没须载明金额.feature).
pytestmark = pytest.mark.one_database

DECISION = {"party": "林某某，住后龙镇后龙村", "facts_and_evidence": "现场勘验笔录", "penalty_type": "fine",
            "legal_basis": "《城市市容和环境卫生管理条例》第三十六条", "performance": "十五日内缴纳",
            "reconsideration_body": "泉州市泉港区人民政府", "reconsideration_days": "60", "litigation_months": "6",
            "decided_on": DAY, "sealed": "true"}


def test_the_amount_is_marked_and_a_fine_without_it_is_refused_by_the_server(town, client_for):
    case_id = notified_case(town.engine)
    head = client_for("huangzhenhua")
    form = parse(head.get(f"/cases/{case_id}")).one("details#step-decide_penalty form")
    amount = form.one('input[name="amount"]')
    assert amount.get("data-required-when-field") == "penalty_type"
    assert amount.get("data-required-when-in") == "fine confiscation"
    assert amount.get("required") is None  # required only once a fine or confiscation is chosen (the script)
    assert "（处罚种类为罚款、没收违法所得、没收非法财物时必填）" in form.text('label[for="step-decide_penalty-amount"]')
    assert form.one('input[name="additional_amount"]').get("data-required-when-field") == "additional_penalty_type"
    assert form.one('input[name="party"]').get("data-required-when-field") is None

    with town.sessions() as session:
        before = session.get(Case, case_id)
        assert before is not None
        version = before.version
    refused = submit_step(head, case_id, "decide_penalty", DECISION)  # no amount, as with JavaScript off
    assert refused.status_code == 422
    shown = parse(refused)
    assert "「罚款或没收金额（元）」：「处罚种类」为「罚款」、「没收违法所得、没收非法财物」时必填" in text(refused)
    assert shown.one("#step-decide_penalty-amount").get("aria-invalid") == "true"  # the refusal at its field
    assert shown.one("#step-decide_penalty-penalty_type option[selected]").get("value") == "fine"  # nothing lost
    with town.sessions() as session:
        after = session.get(Case, case_id)
        assert after is not None and (after.state, after.version) == ("notified", version)


def test_the_recorder_is_chosen_from_the_towns_officers_with_their_certificates(town, client_for):
    case_id = notified_case(town.engine)
    form = parse(client_for("wanghai").get(f"/cases/{case_id}")).one("details#step-attach_record form")
    options = {o.get("value"): o.text_content() for o in form.all('select[name="recorder"] option')}
    assert options.pop("") == "请选择"
    assert options["caiming"] == "蔡明（综合执法队） · 执法证 闽QG-2024-0215"
    assert "huangzhenhua" not in options and "wanghai" in options  # the head is no enforcement officer
