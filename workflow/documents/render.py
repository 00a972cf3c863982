"""A document's PDF: its template (definitions/documents/templates/) inside its layout (layouts/), printed
with WeasyPrint (web/pdf.py's notes hold: a CJK font known to fontconfig, lang="zh-CN", one render at a time).

Fonts: a layout names font roles (fangsong 仿宋, kaiti 楷体, heiti 黑体, xiaobiaosong 小标宋, song 宋体), and the
organisation's setting `documents.fonts` maps each role to an installed family ("fangsong=FZFangSong-Z02");
a role it does not map takes a Debian-packaged default (fonts-noto-cjk). A family fontconfig does not have is
refused before anything is rendered — fontconfig would silently substitute another — and the families and
files actually used go into the issued record.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from workflow.documents import qr
from workflow.documents.definitions import DocumentType, environment

if TYPE_CHECKING:
    from weasyprint.text.fonts import FontConfiguration

LAYOUTS_DIR = Path(__file__).resolve().parent / "layouts"
FONTS_SETTING = "documents.fonts"
ROLES = ("fangsong", "kaiti", "heiti", "xiaobiaosong", "song")
DEFAULT_FONTS: Mapping[str, str] = {  # Debian fonts-noto-cjk: the serif stands in for the song-style roles
    "fangsong": "Noto Serif CJK SC", "kaiti": "Noto Serif CJK SC", "heiti": "Noto Sans CJK SC",
    "xiaobiaosong": "Noto Serif CJK SC", "song": "Noto Serif CJK SC",
}
_LOCK = threading.Lock()


class FontProblem(ValueError):
    """The organisation's font setting names a role that does not exist or a family that is not installed."""

    def __init__(self, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    fonts: dict[str, str]  # role -> "family (file name)"


def font_roles(setting: Any) -> dict[str, str]:
    """Role -> family from the setting's lines `role=family`, over the defaults."""
    roles = dict(DEFAULT_FONTS)
    for line in setting or []:
        role, sep, family = str(line).partition("=")
        role, family = role.strip(), family.strip()
        if not sep or role not in ROLES or not family:
            raise FontProblem(f"字体设置「{line}」无效：应为「字体角色=字体名称」，角色为{'、'.join(ROLES)}之一",
                              f"font setting {line!r} is not role=family with a role among {', '.join(ROLES)}")
        roles[role] = family
    return roles


@cache
def installed(family: str) -> str | None:
    """The file fontconfig gives for `family`, or None when it would substitute another family."""
    try:
        out = subprocess.run(["fc-match", "-f", "%{family}|%{file}", family], capture_output=True, text=True,
                             check=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    families, _, file = out.partition("|")
    return file if family.lower() in {f.strip().lower() for f in families.split(",")} else None


def resolve_fonts(setting: Any) -> dict[str, str]:
    """Role -> "family (file)" for every role, or FontProblem naming the first family not installed."""
    used = {}
    for role, family in font_roles(setting).items():
        file = installed(family)
        if file is None:
            raise FontProblem(f"字体「{family}」（{role}）未安装，文书无法按规定字体制作",
                              f"the font {family!r} ({role}) is not installed; the document cannot be set in it")
        used[role] = f"{family} ({Path(file).name})"
    return used


def date_text(day: date) -> str:
    """成文日期 in Arabic numerals without leading zeros (GB/T 9704-2012 7.3.5.3): 2026年12月7日."""
    return f"{day.year}年{day.month}月{day.day}日"


def html(doc: DocumentType, found: Mapping[str, Any], *, org: Mapping[str, Any], number: str, day: date,
         verify_code: str, verify_url: str, labels: Mapping[str, str]) -> str:
    """The document's HTML: its template's body inside its layout."""
    common = {"org": org, "number": number, "date_text": date_text(day), "verify_code": verify_code,
              "verify_url": verify_url, "doc": {"labels": labels, "label": doc.label.zh}}
    body = environment(doc.templates_dir).get_template(doc.template_file).render(**found, **common)
    layout = environment(LAYOUTS_DIR).get_template(f"{doc.layout}.html")
    # A 公文's title is its subject (the document's `title` field); a 文书's is its kind (行政处罚决定书).
    title = found.get("title") if doc.layout == "gongwen" and found.get("title") else doc.label.zh
    # The QR code of the verification address goes beside the printed code (layouts only: a template's body
    # does not place it); a draft has no address yet and gets none.
    verify_qr = qr.data_uri(verify_url) if verify_url else ""
    # 抄送机关 (GB/T 9704-2012 7.4.2) stand in the 版记 after the date, outside the body: a 公文 that has them gives
    # them as its `copies` field (a list of organisations).
    copies = [str(c) for c in found.get("copies") or ()] if doc.layout == "gongwen" else []
    return layout.render(**common, title=title, body=Markup(body), verify_qr=verify_qr, copies=copies)


def stylesheet(layout: str, fonts: Mapping[str, str]) -> str:
    css = (LAYOUTS_DIR / f"{layout}.css").read_text(encoding="utf-8")
    for role in ROLES:
        family = fonts[role].rsplit(" (", 1)[0]
        css = css.replace(f"var(--{role})", '"' + family.replace('"', "") + '"')
    return css


@cache
def _font_config() -> FontConfiguration:
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def pdf(document_html: str, layout: str, fonts: Mapping[str, str]) -> bytes:
    from weasyprint import CSS, HTML  # imported on first use: about half a second

    with _LOCK:
        config = _font_config()
        css = CSS(string=stylesheet(layout, fonts), font_config=config)
        return HTML(string=document_html).write_pdf(stylesheets=[css], font_config=config)
