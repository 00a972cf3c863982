"""The API's own messages in English: every Chinese message id given to bilingual() in web/api/ has its English
text in web/messages/en/api.json, and that file holds no text nobody uses."""

from __future__ import annotations

import json
import re
from pathlib import Path

from web.api.errors import bilingual

WEB = Path(__file__).resolve().parents[2] / "web"
CALL = re.compile(r'\bbilingual\(\s*"([^"]+)"', re.S)


def test_every_api_message_has_its_english_text() -> None:
    english = json.loads((WEB / "messages" / "en" / "api.json").read_text(encoding="utf-8"))
    used = {m for path in (WEB / "api").glob("*.py") for m in CALL.findall(path.read_text(encoding="utf-8"))}
    assert used, "no bilingual() call found: has the helper been renamed?"
    assert sorted(used - set(english)) == [], "no English text in web/messages/en/api.json"
    assert sorted(set(english) - used) == [], "unused in web/api/"
    for zh, en in english.items():
        assert re.findall(r"\{\w+\}", zh) == re.findall(r"\{\w+\}", en), zh  # the same placeholders
    assert bilingual("本案没有第 {no} 号记录", no=3) == ("本案没有第 3 号记录", "The case has no record number 3")
