"""Presentation helpers without a database: local times, deadline standing, forms to payloads."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import Flask, g
from werkzeug.datastructures import MultiDict

from web.forms import payload_from_form, widgets
from web.present import deadline_view, fmt_datetime, fmt_stamp, next_deadline
from workflow.calendar import default_calendar
from workflow.definitions import Label
from workflow.models import CaseDeadline
from workflow.payloads import FieldSpec


@pytest.fixture(autouse=True)
def context():
    with Flask(__name__).app_context():
        g.lang = "zh"
        yield


def test_times_are_shown_in_beijing_time_in_chinese_format():
    assert fmt_datetime(datetime(2026, 11, 29, 1, 30, tzinfo=UTC)) == "2026年11月29日 09:30"
    assert fmt_datetime(datetime(2026, 11, 29, 1, 30)) == "2026年11月29日 09:30"  # naive (SQLite) is UTC
    assert fmt_datetime(datetime(2026, 12, 31, 16, 5, tzinfo=UTC)) == "2027年1月1日 00:05"
    assert fmt_stamp("2026-03-02T01:00:00.000000Z") == "2026年3月2日 09:00"
    g.lang = "en"
    assert fmt_datetime(datetime(2026, 11, 29, 1, 30, tzinfo=UTC)) == "2026-11-29 09:30"


def _row(kind: str, due: date, unit: str = "working_days", provisional: bool = False) -> CaseDeadline:
    return CaseDeadline(case_id="X", name="legality_review_time", kind=kind, started_on=date(2026, 9, 1), due=due,
                        n=10, unit=unit, provisional=provisional, basis="条例第二十六条")


def test_a_limit_shows_working_days_left_due_today_or_overdue():
    cal = default_calendar()
    monday = date(2026, 3, 2)
    assert deadline_view(_row("limit", date(2026, 3, 6)), None, cal, monday).status == "剩余4个工作日"
    assert deadline_view(_row("limit", monday), None, cal, monday).status == "今日到期"
    late = deadline_view(_row("limit", date(2026, 3, 6)), None, cal, date(2026, 3, 9))  # Friday; Monday after
    assert late.status == "逾期1个工作日" and late.overdue
    # Saturday 28 February 2026 was a make-up working day (调休) after the Spring Festival
    assert deadline_view(_row("limit", date(2026, 2, 27)), None, cal, monday).status == "逾期2个工作日"
    # over the National Day holiday (1–7 October 2026, with make-up days) only working days count
    assert deadline_view(_row("limit", date(2026, 9, 30)), None, cal, date(2026, 10, 9)).status == "逾期2个工作日"
    assert deadline_view(_row("limit", date(2026, 3, 12), unit="calendar_days"), None, cal,
                         monday).status == "剩余10日"


def test_a_minimum_period_ends_rather_than_falls_overdue():
    cal = default_calendar()
    monday = date(2026, 3, 2)
    assert deadline_view(_row("minimum", date(2026, 3, 12), "calendar_days"), None, cal, monday).status == "尚余10日届满"
    over = deadline_view(_row("minimum", date(2026, 2, 1), "calendar_days"), None, cal, monday)
    assert over.status == "已届满" and not over.overdue


def test_a_deadline_is_provisional_when_stored_so_or_when_the_count_reaches_a_year_without_data():
    cal = default_calendar()
    assert deadline_view(_row("limit", date(2026, 3, 6), provisional=True), None, cal, date(2026, 3, 2)).provisional
    assert deadline_view(_row("limit", date(2027, 1, 20)), None, cal, date(2026, 12, 28)).provisional
    assert not deadline_view(_row("limit", date(2026, 3, 6)), None, cal, date(2026, 3, 2)).provisional



def test_a_paused_limit_has_no_day_is_never_overdue_and_says_why_it_stands_still():
    cal = default_calendar()
    paused = CaseDeadline(case_id="X", name="answer_period", kind="limit", started_on=date(2026, 3, 2), due=None,
                          n=20, unit="working_days", provisional=False, basis="条例第三十三条",
                          paused_zh="征求第三方意见，自2026-03-25起暂停计算", paused_en="consulting: paused since 2026-03-25")
    view = deadline_view(paused, None, cal, date(2027, 1, 4))  # long past any day it had: still not overdue
    assert (view.status, view.due, view.overdue) == ("已暂停计算：征求第三方意见，自2026-03-25起暂停计算", "已暂停", False)
    running = _row("limit", date(2026, 12, 31))
    assert next_deadline([paused, running]) is running  # the case list and the to-do list show the running one first
    assert next_deadline([paused]) is paused
    g.lang = "en"
    assert deadline_view(paused, None, cal, date(2026, 3, 30)).status == "paused: consulting: paused since 2026-03-25"


SPECS = (
    FieldSpec("name", "string", Label("名称", "Name"), required=True),
    FieldSpec("note", "text", Label("说明", "Note")),
    FieldSpec("days", "integer", Label("日数", "Days"), minimum=1, maximum=365),
    FieldSpec("signed", "boolean", Label("已签字", "Signed")),
    FieldSpec("on", "date", Label("日期", "Date")),
    FieldSpec("kind", "choice", Label("类别", "Kind"), choices=(("a", Label("甲", "A")), ("b", Label("乙", "B")))),
    FieldSpec("items", "string_list", Label("清单", "Items")),
    FieldSpec("amount", "decimal", Label("金额", "Amount")),
)


def test_a_form_becomes_a_payload_of_the_steps_own_fields():
    form = MultiDict({"name": "  甲方 ", "note": "第一行\r\n第二行", "days": "30", "signed": "false",
                      "on": "2026-03-02", "kind": "b", "items": "一\r\n\r\n 二 \n", "amount": "12.50",
                      "csrf_token": "t", "expected_version": "3", "injected": "x"})
    assert payload_from_form(SPECS, form) == {
        "name": "甲方", "note": "第一行\n第二行", "days": 30, "signed": False, "on": "2026-03-02", "kind": "b",
        "items": ["一", "二"], "amount": "12.50"}


def test_empty_inputs_are_left_out_and_bad_numbers_passed_on_for_the_engine_to_refuse():
    form = MultiDict({"name": "", "note": "  ", "days": "三十", "signed": "", "items": "\n"})
    assert payload_from_form(SPECS, form) == {"days": "三十"}


def test_widgets_follow_the_field_types():
    by_name = {w.name: w for w in widgets("f", SPECS, {"kind": "b"}, {"name": ["必填"]})}
    assert by_name["name"].control == "input" and by_name["name"].required and by_name["name"].errors == ("必填",)
    assert by_name["note"].control == "textarea"
    assert by_name["days"].input_type == "number" and ("min", "1") in by_name["days"].attrs
    assert by_name["signed"].control == "select" and by_name["signed"].options == (("true", "是"), ("false", "否"))
    assert by_name["on"].input_type == "date"
    assert by_name["kind"].options == (("a", "甲"), ("b", "乙")) and by_name["kind"].value == "b"
    assert by_name["items"].control == "textarea" and by_name["items"].list_help
    assert by_name["name"].id == "f-name"
