"""Chinese first; `?lang=en` switches to English: the labels from the definitions and the engine, and the pages'
own words from the gettext catalogue web/translations/en/LC_MESSAGES/messages.po (Flask-Babel)."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask

from tests.web.helpers import new_case, submit_step, text
from web import i18n
from web.i18n import _, english
from web.i18n_tools import PO, compile_catalogues, english_of, extract_messages, placeholders, read_catalogue
from web.present import fmt_datetime

# The page, not the database, is this module's subject: SQLite only (tests/conftest.py, one_database).
pytestmark = pytest.mark.one_database

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


def test_every_message_in_the_code_and_templates_has_its_english_text():
    used = extract_messages()  # pybabel's extractors over web/ (babel.cfg), as `python -m web.i18n_tools extract`
    # the extraction reaches Python (_, N_ in a constant, bilingual) and the templates, or this test proves nothing
    assert {"跳到正文", "请先登录。", "服务暂时不可用，请稍后重试或联系系统管理员", "剩余{n}日"} <= set(used)
    assert any(f.startswith("web/templates/") for files in used.values() for f in files)
    english = english_of(read_catalogue())
    missing = {m: files for m, files in sorted(used.items()) if not english.get(m)}
    assert not missing, f"no English text in {PO} (python -m web.i18n_tools import, or edit it): {missing}"


def test_each_english_text_has_the_placeholders_of_its_chinese():
    english = english_of(read_catalogue())
    assert len(english) > 400
    wrong = {zh: en for zh, en in english.items() if placeholders(zh) != placeholders(en)}
    assert not wrong


def test_no_json_translations_are_left_unimported():
    # the runtime reads only the compiled catalogue: English left in a JSON file would never be shown
    left = sorted(str(p.relative_to(WEB.parent)) for p in (WEB / "messages").glob("**/*.json"))
    assert not left, f"run `python -m web.i18n_tools import {' '.join(left)}`, then `git rm` them"


def test_the_page_language_chooses_the_catalogue(app):
    moment = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Beijing
    with app.test_request_context("/cases/?lang=en"):
        app.preprocess_request()
        assert _("案件列表") == "Cases" and _("剩余{n}日", n=3) == "3 days left"
        assert fmt_datetime(moment) == "2026-03-02 09:00"
    with app.test_request_context("/cases/"):  # no choice: Chinese
        app.preprocess_request()
        assert _("案件列表") == "案件列表" and _("剩余{n}日", n=3) == "剩余3日"
        assert fmt_datetime(moment) == "2026年3月2日 09:00"
    assert _("剩余{n}日", n=3) == "剩余3日"  # outside a request (the CLI, the engine): Chinese
    assert english("剩余{n}日") == "{n} days left" and english("没有这条") == "没有这条"


def test_the_app_refuses_to_start_without_its_compiled_translations(tmp_path):
    catalogue = tmp_path / "en" / "LC_MESSAGES"
    catalogue.mkdir(parents=True)
    shutil.copy(PO, catalogue / PO.name)

    def start() -> None:
        i18n.init_app(_flask(tmp_path))

    with pytest.raises(RuntimeError, match=r"python -m web\.i18n_tools compile"):
        start()
    assert compile_catalogues(tmp_path) == [catalogue / "messages.mo"]
    start()
    later = (catalogue / "messages.mo").stat().st_mtime + 10
    os.utime(catalogue / PO.name, (later, later))  # the .po edited after the last compile
    with pytest.raises(RuntimeError, match="older than their .po"):
        start()


def _flask(translations: Path) -> Flask:
    app = Flask(__name__)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(translations)
    return app
