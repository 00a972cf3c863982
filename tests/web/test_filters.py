"""The pages' filters write dates, amounts and durations in the page's language (web/filters.py)."""

from __future__ import annotations

import pytest
from flask import Flask, g, render_template_string

pytestmark = pytest.mark.one_database

TEMPLATE = "{{ '2026-12-07'|date }} · {{ 20000|amount }} · {{ 20000|capital }} · {{ 1260|duration }}"


@pytest.mark.parametrize(("lang", "expected"), [
    ("zh", "2026年12月7日 · 20,000元 · 贰万元整 · 21分00秒"),
    # the capital form is what a document states: Chinese on both pages
    ("en", "7 December 2026 · CNY 20,000 · 贰万元整 · 21 min 00 s"),
])
def test_the_filters_write_in_the_pages_language(app: Flask, lang: str, expected: str) -> None:
    with app.test_request_context("/"):
        g.lang = lang
        assert render_template_string(TEMPLATE) == expected
