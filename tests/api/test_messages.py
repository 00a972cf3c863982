"""The API's own messages in English: every Chinese message id given to bilingual() in web/api/ has its English
text, with the same placeholders, in the pages' catalogue web/translations/en/LC_MESSAGES/messages.po."""

from __future__ import annotations

import re
from pathlib import Path

from web.api.errors import bilingual
from web.i18n_tools import english_of, read_catalogue

WEB = Path(__file__).resolve().parents[2] / "web"
CALL = re.compile(r'\bbilingual\(\s*"([^"]+)"', re.S)


def test_every_api_message_has_its_english_text() -> None:
    english = english_of(read_catalogue())
    used = {m for path in (WEB / "api").glob("*.py") for m in CALL.findall(path.read_text(encoding="utf-8"))}
    assert used, "no bilingual() call found: has the helper been renamed?"
    assert sorted(used - set(english)) == [], "no English text in messages.po"
    for zh in used:
        assert re.findall(r"\{\w+\}", zh) == re.findall(r"\{\w+\}", english[zh]), zh  # the same placeholders
    assert bilingual("本案没有第 {no} 号记录", no=3) == ("本案没有第 3 号记录", "The case has no record number 3")
