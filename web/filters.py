"""The Jinja filters for the office's way of writing (workflow/wording.py): one each, used on every page.

    {{ d.due|date }}  -> 2026年12月7日      {{ fine|amount }}   -> 20,000元
    {{ fine|capital }} -> 贰万元整           {{ r.seconds|duration }} -> 21分00秒
    (on the English pages: 7 December 2026, CNY 20,000, 21 min 00 s; the capital form is Chinese in both: it
    is what the document states)
    {{ note|plain }}   -> a program-side text with setting keys named and ISO dates written out (web/present.py)
"""

from __future__ import annotations

from flask import Flask

from workflow import wording


def init_app(app: Flask) -> None:
    from web.i18n import current_lang
    from web.present import plain

    def day(value: object) -> str:
        return wording.day(value, current_lang())  # type: ignore[arg-type]

    def amount(value: object, unit: str = "元") -> str:
        return wording.amount(value, unit, current_lang())

    def duration(value: object) -> str:
        return wording.duration(value, current_lang())

    app.jinja_env.filters.update(date=day, amount=amount, capital=wording.capital, duration=duration, plain=plain)
