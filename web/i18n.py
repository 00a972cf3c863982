"""The page language: Chinese first, English on request (`?lang=en`, remembered in the session).

Labels of procedures, states, steps, fields and refusal reasons come from the definitions and the engine
in both languages. The words of the pages themselves (headings, buttons, messages) go through `_()`, with
the Chinese text as the message id; Flask-Babel looks up the English in the gettext catalogue
web/translations/en/LC_MESSAGES/messages.po (msgid Chinese, msgstr English; web/i18n_tools.py keeps it).

The .mo is built from the .po at install time (scripts/bootstrap; `python -m web.i18n_tools compile`),
not committed. The app refuses to start without an up-to-date .mo rather than fall back: a silent fallback
would show an English reader Chinese pages, or yesterday's English, with nothing in the log to say why.

Placeholders are {name} style: `_("剩余{n}日", n=3)`. Flask-Babel's own gettext would apply %-formatting,
so `_()` asks it for the bare text and formats with str.format. Outside an app context (the CLI, the
engine) `_()` returns the Chinese text; `EN` / `english()` read the compiled catalogue directly, for the
API's bilingual messages, which are needed outside any request (some at import time).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from babel.support import Translations
from flask import Flask, current_app, g, has_app_context, has_request_context, request, session
from flask_babel import Babel, refresh
from flask_babel import gettext as babel_gettext

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
SESSION_KEY = "lang"
LOCALES = {"zh": "zh_Hans_CN", "en": "en"}  # the page language -> the Babel locale (zh has no catalogue)
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
DOMAIN = "messages"
COMPILE_COMMAND = "scripts/bootstrap (or: python -m web.i18n_tools compile)"


def N_(message: str) -> str:
    """Marks a message id kept in a constant and translated later with `_()`, so that extraction finds it."""
    return message


def _chosen_lang() -> str:
    """What the request asks for: ?lang=, else the language remembered in the session, else Chinese."""
    wanted = request.args.get("lang")
    if wanted in LANGS:
        return wanted
    chosen = session.get(SESSION_KEY)
    return chosen if chosen in LANGS else DEFAULT_LANG


def current_lang() -> str:
    return g.get("lang", DEFAULT_LANG)


def paren(text: Any) -> str:
    """A parenthetical in the page language: （…） in Chinese, " (…)" in English."""
    return f" ({text})" if current_lang() == "en" else f"（{text}）"


def gettext(message: str, **params: Any) -> str:
    if has_app_context() and "babel" not in current_app.extensions:
        # an app without init_app (a bare Flask app in a test): the language set in g, as before Flask-Babel
        text = english(message) if current_lang() == "en" else message
    else:
        text = babel_gettext(message)  # outside any app context: the Chinese id itself
    return text.format(**params) if params else text


_ = gettext


def _locale() -> str:
    # before choose_language has run in this request (another before_request hook), read the request itself
    lang = g.get("lang") or (_chosen_lang() if has_request_context() else DEFAULT_LANG)
    return LOCALES[lang]


def stale_catalogues(directory: Path = TRANSLATIONS) -> list[Path]:
    """The .po files whose .mo is missing or older than them."""
    stale = []
    for po in sorted(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            stale.append(po)
    return stale


def require_compiled(directory: Path = TRANSLATIONS) -> None:
    stale = stale_catalogues(directory)
    if stale:
        names = ", ".join(str(po.with_suffix(".mo")) for po in stale)
        raise RuntimeError(f"the compiled translations are missing or older than their .po ({names}): "
                           f"run {COMPILE_COMMAND}")


@functools.cache
def _english() -> Translations:
    require_compiled()
    return Translations.load(str(TRANSLATIONS), ["en"], DOMAIN)


def english(message: str) -> str:
    """The English text of a message id, in or out of a request (the id itself when it has none)."""
    return _english().gettext(message)


class _English(Mapping[str, str]):
    """The English catalogue as a read-only mapping, message id -> English."""

    def __getitem__(self, message: str) -> str:
        if not message:  # the catalogue's header
            raise KeyError(message)
        return _english()._catalog[message]

    def __iter__(self) -> Iterator[str]:
        return (k for k in _english()._catalog if isinstance(k, str) and k)

    def __len__(self) -> int:
        return sum(1 for _message in self)


EN: Mapping[str, str] = _English()


def init_app(app: Flask) -> None:
    directory = Path(app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS)))
    require_compiled(directory)  # refuse to start: see the module docstring
    app.config.setdefault("BABEL_DEFAULT_LOCALE", LOCALES[DEFAULT_LANG])
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai")
    # configure_jinja=False: the templates call our _() ({name} placeholders, plain str autoescaped by
    # Jinja), not Jinja's newstyle gettext, which %-formats and marks the text safe
    Babel(configure_jinja=False).init_app(app, locale_selector=_locale)

    @app.before_request
    def choose_language() -> None:
        wanted = request.args.get("lang")
        if wanted in LANGS:
            session[SESSION_KEY] = wanted
        g.lang = _chosen_lang()
        refresh()  # an app context shared by several requests (tests) must not keep the last one's locale

    # globals, not a context processor: imported macros see globals but not the page's context
    app.jinja_env.globals.update(_=gettext, current_lang=current_lang, paren=paren)

    @app.context_processor
    def language() -> dict[str, Any]:
        return {"lang": current_lang(), "html_lang": "en" if current_lang() == "en" else "zh-CN"}
