"""Every payload field is bounded by its type (workflow/payloads.py): amounts positive where the definition
says so, to the fen, within a sane range; dates within 2000–2099; integers, lists and texts of bounded size;
no control or direction-override characters. Each refusal names the field, Chinese first. No database: these
are the schema's rules (the engine's audited refusal of them is tested in tests/test_hostile_input.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from workflow import inputs
from workflow.definitions import DEFINITIONS_DIR, DefinitionError, Label, load_file, load_registry
from workflow.payloads import FieldSpec, build_payload_schema, load_payload

AMOUNT = FieldSpec("amount", "decimal", Label("罚款金额（元）", "Amount (yuan)"))
SPECS = (
    FieldSpec("title", "string", Label("标题", "Title"), required=True),
    FieldSpec("facts", "text", Label("违法事实", "Facts")),
    FieldSpec("on", "date", Label("日期", "Date")),
    FieldSpec("days", "integer", Label("天数", "Days")),
    FieldSpec("items", "string_list", Label("物品清单", "Items")),
    AMOUNT,
)
SCHEMA = build_payload_schema(SPECS)


def load(**payload: Any) -> tuple[dict[str, Any], list[dict[str, str]]]:
    return load_payload(SCHEMA, SPECS, {"title": "标题", **payload})


def refused(**payload: Any) -> dict[str, str]:
    clean, problems = load(**payload)
    assert clean == {} and len(problems) == 1, problems
    return problems[0]


@pytest.mark.parametrize("amount", ["12.345", "0.000000001", "100.123456789", -1, "-0.01", "1e13", "NaN",
                                    "Infinity", 10**40])
def test_amounts_beyond_the_fen_negative_or_absurd_are_refused_naming_the_field(amount: Any) -> None:
    problem = refused(amount=amount)
    assert problem["field"] == "amount" and problem["zh"].startswith("「罚款金额（元）」：")


@pytest.mark.parametrize("amount, stored", [("12.50", "12.50"), ("12.500", "12.500"), (200, "200"),
                                            ("1E+3", "1000"), ("0", "0"), ("999999999999.99", "999999999999.99")])
def test_amounts_to_the_fen_are_kept_as_decimal_strings_of_yuan(amount: Any, stored: str) -> None:
    assert load(amount=amount) == ({"title": "标题", "amount": stored}, [])


def test_the_penalty_amount_is_positive_as_its_definition_declares() -> None:
    procedure = load_registry().get("enforcement_case", 1)
    for trigger in ("notify_intended_penalty", "decide_penalty"):
        step = next(t for t in procedure.transitions if t.trigger == trigger)
        spec = next(f for f in step.payload if f.name == "amount")
        assert str(spec.minimum) == "0.01"
        _, problems = load_payload(step.schema, step.payload, {"amount": "0"})
        assert any(p["field"] == "amount" and "0.01" in p["zh"] for p in problems), problems


@pytest.mark.parametrize("day", ["0001-01-01", "1999-12-31", "2100-01-01", "9999-12-31"])
def test_dates_outside_2000_to_2099_are_refused(day: str) -> None:
    problem = refused(on=day)
    assert problem["field"] == "on" and "2000-01-01～2099-12-31" in problem["zh"]


@pytest.mark.parametrize("day", ["2000-01-01", "2036-05-01", "2099-12-31"])
def test_dates_inside_the_window_are_kept(day: str) -> None:
    assert load(on=day)[0]["on"] == day


@pytest.mark.parametrize("days", [-1, 1_000_000_001, 10**4000])
def test_integers_without_declared_bounds_are_bounded_by_the_type(days: int) -> None:
    assert refused(days=days)["field"] == "days"


def test_a_list_of_100000_items_is_one_problem_before_any_item_is_read() -> None:
    problem = refused(items=["钢管"] * 100_000)
    assert problem["field"] == "items" and "最多填写200项" in problem["zh"] and "100000" in problem["zh"]
    assert load(items=["钢管"] * 200)[1] == []


def test_a_hundred_thousand_bad_items_or_unknown_fields_make_a_bounded_refusal() -> None:
    spec = (FieldSpec("items", "string_list", Label("物品清单", "Items"), max_items=200_000),)
    _, problems = load_payload(build_payload_schema(spec), spec, {"items": [""] * 100_000})
    assert len(problems) == 20 and "另有" in problems[-1]["zh"]
    _, problems = load(**{f"field_{i}": 1 for i in range(100_000)})
    assert len(problems) == 1 and "共100000项" in problems[0]["zh"]


@pytest.mark.parametrize("value, what", [
    ("陈某\x00某", "空字符"), ("\x1b[31m陈某某", "控制字符"), ("报告\u202efdp.exe", "文字方向控制字符"),
    ("陈\u2066某", "文字方向控制字符"), ("陈\x85某", "控制字符"), ("陈\ud800某", "孤立代理"), ("两行\n标题", "控制字符"),
], ids=ascii)
def test_control_and_direction_characters_are_refused_naming_the_field(value: str, what: str) -> None:
    for field in ("title", "facts", "items"):
        payload = {field: [value] if field == "items" else value}
        if field == "facts" and value == "两行\n标题":
            assert load(**payload)[1] == []  # a text may hold line breaks (and tabs)
            continue
        problem = refused(**payload)
        assert problem["field"].split(".")[0] == field and what in problem["zh"] and "U+" in problem["en"]


def test_a_made_up_field_name_is_shown_escaped() -> None:
    problem = refused(**{"\x1b[2J\u202e": "x"})
    assert problem["field"] == "\\x1b[2J\\u202e" and "\x1b" not in problem["zh"]


def test_text_lengths_stay_bounded_by_type() -> None:
    assert refused(title="长" * 201)["field"] == "title"
    assert refused(facts="长" * 20001)["field"] == "facts"


# ---------------------------------------------------------------- file names and JSON


@pytest.mark.parametrize("name", ["a\x00.pdf", "报告\u202efdp.exe", "a/b.pdf", "..\\a.pdf", "..", "长" * 201,
                                  "\x1b]0;x\x07.pdf", "a\ud800.pdf"], ids=ascii)
def test_file_names_that_hide_what_they_are_are_refused(name: str) -> None:
    assert inputs.filename(name)[1] is not None


def test_file_names_are_normalised_to_nfc() -> None:
    assert inputs.filename("Cafe\u0301 询问笔录.pdf") == ("Caf\u00e9 询问笔录.pdf", None)


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000, "[" * 33 + "]" * 33, "9" * 31, '"\\udfff"',
                                  '{"\\ud800": 1}', "NaN", "-Infinity", b"\xff"], ids=lambda t: ascii(t)[:20])
def test_bounded_json_refuses_what_would_exhaust_or_corrupt(text: str | bytes) -> None:
    with pytest.raises(inputs.JsonInputError):
        inputs.loads(text)


def test_bounded_json_reads_ordinary_documents() -> None:
    assert inputs.loads('{"a": [1, "\\ud83d\\ude00", -12345]}') == {"a": [1, "\U0001f600", -12345]}


def test_printable_escapes_what_a_terminal_would_obey() -> None:
    assert inputs.printable("\x1b[2J清屏\u202eexe\x9b\n") == "\\x1b[2J清屏\\u202eexe\\x9b\\x0a"
    assert inputs.printable("长" * 10, 4) == "长长长长…"


# ---------------------------------------------------------------- definitions declare the bounds


def _definition_with(tmp_path: Path, field: dict[str, Any]) -> Path:
    raw = yaml.safe_load((DEFINITIONS_DIR / "enforcement_case.v1.yaml").read_text(encoding="utf-8"))
    step = next(t for t in raw["transitions"] if t["trigger"] == "notify_intended_penalty")
    step["payload"]["amount"] = field
    path = tmp_path / "enforcement_case.v1.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("field, reason", [
    ({"type": "decimal", "minimum": 0.001}, "at most 2 decimal places"),
    ({"type": "decimal", "minimum": "abc"}, "must be a number"),
    ({"type": "integer", "minimum": 0.5}, "must be an integer"),
    ({"type": "string", "minimum": 1}, "only allowed on an integer or decimal field"),
    ({"type": "string", "max_items": 5}, "only allowed on a field of type string_list"),
    ({"type": "decimal", "minimum": 10, "maximum": 1}, "greater than `maximum`"),
])
def test_a_definition_with_bounds_that_do_not_fit_the_type_is_refused(tmp_path: Path, field: dict[str, Any],
                                                                      reason: str) -> None:
    path = _definition_with(tmp_path, {**field, "label": {"zh": "金额", "en": "Amount"}})
    with pytest.raises(DefinitionError) as error:
        load_file(path)
    assert reason in str(error.value)


def test_a_decimal_field_declares_its_bounds_in_yuan(tmp_path: Path) -> None:
    path = _definition_with(tmp_path, {"type": "decimal", "minimum": 0.01, "maximum": "5000",
                                       "label": {"zh": "金额", "en": "Amount"}})
    procedure = load_file(path)
    step = next(t for t in procedure.transitions if t.trigger == "notify_intended_penalty")
    assert load_payload(step.schema, step.payload, {"amount": "5000.01"})[1][0]["zh"].endswith("应在0.01～5000范围内")
