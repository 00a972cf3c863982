"""The Jinja filters for the office's way of writing (workflow/wording.py): one each, used on every page.

    {{ d.due|date }}  -> 2026年12月7日      {{ fine|amount }}   -> 20,000元
    {{ fine|capital }} -> 贰万元整           {{ r.seconds|duration }} -> 21分00秒
    {{ note|plain }}   -> a program-side text with setting keys named and ISO dates written out (web/present.py)
"""

from __future__ import annotations

from flask import Flask

from workflow import wording


def init_app(app: Flask) -> None:
    from web.present import plain

    app.jinja_env.filters.update(date=wording.day, amount=wording.amount, capital=wording.capital,
                                 duration=wording.duration, plain=plain)
