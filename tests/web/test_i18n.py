"""Chinese first; `?lang=en` switches to the English labels from the definitions and the engine."""

from __future__ import annotations

import re
from pathlib import Path

from tests.web.helpers import new_case, submit_step, text
from web.i18n import EN

WEB = Path(__file__).resolve().parents[2] / "web"


def test_lang_en_shows_english_labels_and_is_remembered(town, client_for):
    case_id = new_case(town)
    client = client_for("huangzhenhua")
    page = text(client.get(f"/cases/{case_id}?lang=en"))
    assert '<html lang="en">' in page
    assert "Proposed" in page  # the state
    assert "Decide to start and name the lead unit" in page  # the step
    assert "Lead drafting unit" in page  # a field of the step's form
    assert "Major public policy or measure" in page  # a recorded choice value
    assert "Steps you can take" in page and "History" in page
    assert "决策建议" not in page
    assert "Stage" in text(client.get("/cases/"))  # remembered in the session
    back = text(client.get(f"/cases/{case_id}?lang=zh"))
    assert '<html lang="zh-CN">' in back and "决策建议" in back


def test_a_refusal_is_shown_in_english_when_asked(town, client_for):
    case_id = new_case(town)
    client = client_for("zhangwei")
    client.get("/cases/?lang=en")
    town.engine.fire(case_id, "start", "huangzhenhua", {"lead_unit": "党政综合办公室"})
    response = submit_step(client, case_id, "open_public_comment", {
        "draft_ref": "d", "explanation": "e", "channels": "web", "period_days": "10"})
    assert "A public comment period is generally at least 30 days" in text(response)


def test_the_login_page_switches_language_before_login(app):
    page = text(app.test_client().get("/login?lang=en"))
    assert "Sign in" in page and "User name" in page


def test_every_page_text_has_an_english_translation():
    ids = set()
    # _("..."), and the messages handed to _() later: PublicBadRequest("..."), error = "...", ...
    pattern = re.compile(r'(?:\b_|PublicBadRequest|PublicNotFound)\(\s*"([^"]+)"|\b_\(\s*\'([^\']+)\'|(?:error|login_message) = "([^"]+)"')
    for path in [*WEB.rglob("*.html"), *WEB.rglob("*.py")]:
        for found in pattern.findall(path.read_text(encoding="utf-8")):
            ids.add(next(f for f in found if f))
    from web import csrf

    ids.add(csrf.MESSAGE)
    from web.errors import PAGES

    for title, message in PAGES.values():
        ids.update((title, message))
    from web.present import KIND_LABELS

    ids.update(KIND_LABELS.values())
    missing = sorted(i for i in ids if re.search(r"[\u4e00-\u9fff]", i) and i not in EN)
    assert not missing, f"no English text for: {missing}"
