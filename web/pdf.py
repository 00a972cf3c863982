"""HTML to PDF with WeasyPrint, for printable records (e.g. the minutes of a collective discussion).

Chinese needs a CJK font known to fontconfig (Debian: fonts-noto-cjk; `make run` and `make test` install
it) and the page must say lang="zh-CN" so the Simplified Chinese glyph forms are used. Without such a font
WeasyPrint still succeeds and draws boxes, logging only a ".notdef glyph" warning; libharfbuzz-subset0
keeps subsetting a CJK font fast (library notes §4). The stylesheet is read here and handed over, so the
document needs to fetch nothing (its template links no stylesheet, image or font when printed).
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from weasyprint.text.fonts import FontConfiguration

STATIC = Path(__file__).resolve().parent / "static"
# One render at a time per process: WeasyPrint does not say its shared font configuration is thread-safe,
# and a render takes well under a second.
_LOCK = threading.Lock()


@cache
def _fonts() -> FontConfiguration:
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()  # one for the process: the first render pays for loading the fonts


def render(html: str, stylesheet: str) -> bytes:
    """The PDF of `html`, styled by the stylesheet of that name in web/static/."""
    from weasyprint import CSS, HTML  # imported on first use: it takes about half a second

    with _LOCK:
        fonts = _fonts()
        css = CSS(string=(STATIC / stylesheet).read_text(encoding="utf-8"), font_config=fonts)
        return HTML(string=html).write_pdf(stylesheets=[css], font_config=fonts)
