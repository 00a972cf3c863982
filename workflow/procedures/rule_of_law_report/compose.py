"""The report's text with its figures: what the drafter writes refers to figures by name, never by typing a number
that no record supports (issue 14 item 5).

    全年共开展法治宣传活动{{普法活动台账.普法活动（场次）|余}}场次，作出行政处罚决定{{行政处罚案件（普通程序）.作出行政处罚决定}}件……

`{{<procedure>.<figure>}}` is a figure a definition declares (`figures:`, workflow/figure_specs.py), counted from
the records, named by the procedure's and the figure's Chinese labels as the report page lists them (or by their
ids, {{legal_activity.activities}}); `{{手工录入.<name>}}` (or {{manual.<name>}}) one entered by hand with its
reason (the step enter_figure), shown as such with who entered it. `|余` states a count as the report's lower
bound (40余). Read only: nothing here writes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from workflow.procedures.rule_of_law_report.law import MANUAL
from workflow.wording import rounded_down

if TYPE_CHECKING:  # the text's rules (guards.py) read this module without the database's
    from workflow.definitions import Procedure
    from workflow.figure_specs import FigureSpec
    from workflow.figures import Figure

MANUAL_NAMES = (MANUAL, "手工录入")  # how the text names the hand-entered figures
MANUAL_ID = re.compile(r"[^\s{}.|]{1,64}")  # a hand-entered figure's name: no space, brace, dot or bar
PLACEHOLDER = re.compile(r"\{\{\s*([^\s{}.|][^{}.|]*?)\s*\.\s*([^{}|]+?)\s*(\|\s*余)?\s*\}\}")
# A number typed into the text: a figure the records do not support, unless it is a date, an article or a
# document number (年, 月, 日, 第…条, 〔2024〕…号) — the drafter sees each, not a refusal.
TYPED_NUMBER = re.compile(r"(?<![\d〔第])(\d[\d,，.]*)(?![\d]*(?:年|月|日|号|条|款|项|〕|时|点|周年))")


@dataclass(frozen=True)
class Reference:
    procedure: str
    figure: str
    lower_bound: bool

    @property
    def key(self) -> str:
        return f"{self.procedure}.{self.figure}"

    @property
    def manual(self) -> bool:
        return self.procedure in MANUAL_NAMES


def references(text: str) -> list[Reference]:
    return [Reference(m[1], m[2], bool(m[3])) for m in PLACEHOLDER.finditer(text or "")]


def citation(procedure: Procedure, figure: FigureSpec) -> str:
    """How the text cites a declared figure: by the procedure's and the figure's Chinese labels."""
    return "{{" + f"{procedure.label.zh}.{figure.label.zh}" + "}}"


def figure_names(procedures: Iterable[Procedure]) -> dict[str, str]:
    """Every way the text may name a declared figure -> its key (procedure id.figure id): the ids, and the Chinese
    labels of the newest version of each procedure."""
    out: dict[str, str] = {}
    for procedure in procedures:
        for figure in procedure.figures:
            key = f"{procedure.id}.{figure.id}"
            out[key] = key
            out.setdefault(f"{procedure.label.zh}.{figure.label.zh}", key)
    return out


def typed_numbers(text: str) -> list[str]:
    """Numbers written into the text outside a placeholder (a date, an article or a document number excepted)."""
    return [m[1] for m in TYPED_NUMBER.finditer(PLACEHOLDER.sub("", text or ""))]


def manual_figures(data: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """id -> the latest entry of each hand-entered figure (an entry again with the same id replaces it, with its
    own reason; the earlier ones stay in the case file and the audit trail)."""
    out: dict[str, Mapping[str, Any]] = {}
    for entry in data.get("manual_figures") or ():
        if isinstance(entry, Mapping) and entry.get("figure_id"):
            out[str(entry["figure_id"])] = entry
    return out


@dataclass(frozen=True)
class Segment:
    """A piece of the rendered text: plain text, or a figure's value with where it comes from."""

    text: str
    reference: Reference | None = None
    figure: Figure | None = None  # a computed figure (links to its records)
    entry: Mapping[str, Any] | None = None  # a hand-entered one (who entered it, why)
    unknown: bool = False  # names no figure: shown as written, and refused at submission


def _stated(value: int | Decimal | None, lower_bound: bool) -> str:
    if value is None:
        return "—"
    if lower_bound and isinstance(value, int):
        return rounded_down(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def render(text: str, figures: Mapping[str, Figure], manual: Mapping[str, Mapping[str, Any]],
           names: Mapping[str, str]) -> list[Segment]:
    """The text's pieces; `figures` by key (procedure id.figure id), `names` every way of naming one -> its key."""
    out: list[Segment] = []
    at = 0
    for m in PLACEHOLDER.finditer(text or ""):
        if m.start() > at:
            out.append(Segment(text[at:m.start()]))
        ref = Reference(m[1], m[2], bool(m[3]))
        if ref.manual and ref.figure in manual:
            entry = manual[ref.figure]
            out.append(Segment(_stated(_number(entry.get("value")), ref.lower_bound), ref, entry=entry))
        elif not ref.manual and names.get(ref.key) in figures:
            figure = figures[names[ref.key]]
            value = figure.value
            out.append(Segment(_stated(value, ref.lower_bound) + ("%" if figure.spec.ratio else ""), ref,
                               figure=figure))
        else:
            out.append(Segment(m[0], ref, unknown=True))
        at = m.end()
    if at < len(text or ""):
        out.append(Segment(text[at:]))
    return out


def plain(segments: Sequence[Segment]) -> str:
    return "".join(s.text for s in segments)


def _number(value: Any) -> int | Decimal | None:
    try:
        number = Decimal(str(value))
    except (ArithmeticError, ValueError):
        return None
    return int(number) if number == number.to_integral_value() else number


def paragraphs(text: str) -> Iterator[str]:
    for line in (text or "").splitlines():
        if line.strip():
            yield line.strip()
