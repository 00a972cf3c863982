"""What lawflow accepts from outside, whatever the door (web form, API, CLI): bounded JSON, text without
control or direction-override characters, file names that show what they are, and how user text is shown
on a terminal.

Why each bound:
- A NUL byte cannot be stored in a PostgreSQL text column (the driver raises), and makes a file name
  impossible to send as a download; other C0/C1 controls (ESC ...) rewrite a terminal that prints the text.
- Unicode's direction controls (Bidi_Control: U+202E RIGHT-TO-LEFT OVERRIDE and its kin) show text in an
  order other than the stored one: "报告\u202efdp.exe" reads as "报告exe.pdf". Chinese and English text never
  needs them.
- A lone surrogate is not Unicode text at all: it cannot be encoded as UTF-8, so it can be neither stored
  nor hashed into the audit trail.
- JSON nested thousands deep exhausts the parser's stack, and an integer of thousands of digits costs
  quadratic time to convert (Python refuses past 4,300 digits): both are refused as malformed JSON (a 400),
  before anything reads them.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

# C0 controls but tab, line feed and carriage return; DEL and the C1 controls; the Bidi_Control characters
# (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069); surrogates (only ever lone in a Python str).
_FORBIDDEN_IN_TEXT = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# The same, and tab and line breaks too: a single-line value (a name, a title, an identifier).
_FORBIDDEN_IN_LINE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]")

MAX_JSON_DEPTH = 32  # a step's payload is an object of fields, a list at most one level down
MAX_INT_DIGITS = 30  # far above any count or amount the procedures hold, far below the costly conversions
MAX_FILENAME = 200  # characters: what the record keeps of a file's name


@dataclass(frozen=True)
class Problem:
    """What is wrong with a value, in Chinese and English (without the value itself)."""

    zh: str
    en: str

    def text(self) -> str:
        return f"{self.zh} / {self.en}"


def _describe(ch: str) -> Problem:
    code = f"U+{ord(ch):04X}"
    if ch == "\x00":
        return Problem(f"含有空字符（{code}）", f"contains a NUL character ({code})")
    if 0xD800 <= ord(ch) <= 0xDFFF:
        return Problem(f"含有无效的 Unicode 字符（孤立代理 {code}）", f"contains invalid Unicode (a lone surrogate, {code})")
    if unicodedata.bidirectional(ch) in ("LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI") \
            or ch in "\u061c\u200e\u200f":
        return Problem(f"含有文字方向控制字符（{code}），可能使内容显示得与实际不同",
                       f"contains a text-direction control character ({code}) that can disguise what is shown")
    return Problem(f"含有控制字符（{code}）", f"contains a control character ({code})")


def text_problem(text: str, *, multiline: bool = False) -> Problem | None:
    """What forbids `text` as stored user text, or None. Multi-line text may hold tabs and line breaks."""
    found = (_FORBIDDEN_IN_TEXT if multiline else _FORBIDDEN_IN_LINE).search(text)
    return _describe(found.group()) if found else None


def is_clean(text: str, limit: int) -> bool:
    """A single-line value of at most `limit` characters, safe to look up in any database."""
    return len(text) <= limit and _FORBIDDEN_IN_LINE.search(text) is None


def printable(text: str, limit: int | None = None) -> str:
    """`text` made safe to print on a terminal or in a message: every character `text_problem` would refuse
    in a line is written as an escape (\\x1b, \\u202e), so nothing it holds can move the cursor, change
    colours or reverse what follows; cut to `limit` characters (with …)."""
    shown = _FORBIDDEN_IN_LINE.sub(_escape, text)
    if limit is not None and len(shown) > limit:
        return shown[:limit] + "…"
    return shown


def _escape(match: re.Match[str]) -> str:
    o = ord(match.group())
    return f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}"


# ---------------------------------------------------------------- file names


def filename(name: str) -> tuple[str, Problem | None]:
    """A received file's name, NFC-normalised, and what forbids it (or None). The name is kept with the
    record and offered as the download's name, so it must show what the file is: no control or direction
    characters, no folder, not too long."""
    normal = unicodedata.normalize("NFC", name) if _FORBIDDEN_IN_LINE.search(name) is None else name
    bad = text_problem(normal)
    if bad is not None:
        return normal, Problem(f"文件名{bad.zh}", f"the file name {bad.en}")
    if "/" in normal or "\\" in normal:
        return normal, Problem("文件名不得包含路径分隔符（/ 或 \\）", "the file name may not contain a folder (/ or \\)")
    if normal.strip(" .") == "" and normal != "":
        return normal, Problem("文件名不能只由点或空格组成", "the file name may not consist of dots and spaces only")
    if len(normal) > MAX_FILENAME:
        return normal, Problem(f"文件名过长：不得超过{MAX_FILENAME}个字符",
                               f"the file name is too long: at most {MAX_FILENAME} characters")
    return normal, None


def download_name(name: str | None, fallback: str) -> str:
    """The name to offer a stored file under: its recorded name if that would be accepted today, else
    `fallback` (a record kept before names were checked may hold a NUL, which no HTTP header can carry)."""
    if name and filename(name)[1] is None:
        return name
    return fallback


# ---------------------------------------------------------------- JSON


class JsonInputError(json.JSONDecodeError):
    """JSON refused before use. A JSONDecodeError, so that every JSON reader (Flask, webargs) answers 400.
    Its `doc` is never empty: webargs takes an error on an empty document for "no body"."""

    def __init__(self, problem: Problem, doc: str = "(json)", pos: int = 0):
        super().__init__(problem.en, doc, pos)
        self.problem = problem


def _int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise JsonInputError(Problem(f"整数位数过多（不得超过{MAX_INT_DIGITS}位）",
                                     f"an integer has more than {MAX_INT_DIGITS} digits"))
    return int(digits)


def _constant(name: str) -> Any:
    raise JsonInputError(Problem(f"不接受 {name}：应为有限数值", f"{name} is not accepted: numbers must be finite"))


def loads(text: str | bytes) -> Any:
    """json.loads with the bounds above: nesting depth, integer digits, no NaN/Infinity, no lone surrogates.
    Raises JsonInputError (a json.JSONDecodeError) naming what is wrong."""
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonInputError(Problem("不是有效的 UTF-8 文本", "is not valid UTF-8 text"), "(json)", exc.start) from None
    try:
        value = json.loads(text, parse_int=_int, parse_constant=_constant)
    except RecursionError:
        raise JsonInputError(_too_deep()) from None
    _check_structure(value)
    return value


def _too_deep() -> Problem:
    return Problem(f"嵌套层级过深（不得超过{MAX_JSON_DEPTH}层）", f"nested more than {MAX_JSON_DEPTH} levels deep")


def _check_structure(value: Any) -> None:
    """Depth and lone surrogates, without recursion (the value may be as deep as the parser allowed)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                raise JsonInputError(Problem("含有无效的 Unicode 字符（孤立代理）", "contains invalid Unicode (a lone surrogate)"))
            continue
        if isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise JsonInputError(_too_deep())
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)


_SURROGATE = re.compile("[\ud800-\udfff]")
