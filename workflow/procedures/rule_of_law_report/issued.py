"""The report as issued (签发): the 公文 definitions/documents/rule_of_law_report.yaml prints, with every figure
its text cites filled in from the records as they stand at sign-off, and every figure of the year kept with it.

`document_data` is the family's DOCUMENT_DATA for that document (workflow/procedures: the engine calls it when
sign_off is checked, through a workflow.documents.computing.DocumentContext). What it returns is fixed in the
sign-off event's hashed facts (documents[].data): the report page, its PDF and the records behind each figure
show these values afterwards (签发时数据), whatever is recorded later (issue 14 item 5).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from workflow.procedures.rule_of_law_report import compose
from workflow.procedures.rule_of_law_report.law import OPTIONAL_PARTS, REQUIRED_PARTS

if TYPE_CHECKING:
    from workflow.documents.computing import DocumentContext

DOCUMENT = "rule_of_law_report/report"
PARTS = ("intro", *REQUIRED_PARTS, *OPTIONAL_PARTS)
# The five parts' headings in the issued text (legal-facts-2 §4 item 65); the causes follow the shortcomings.
HEADINGS = {"measures": "一、上一年度推进法治政府建设的主要举措和成效", "shortcomings": "二、存在的不足和原因",
            "leaders_duties": "三、党政主要负责人履行推进法治建设第一责任人职责的情况",
            "plans": "四、下一年度推进法治政府建设的主要安排", "other": "五、其他需要报告的情况"}


def document_data(ctx: DocumentContext) -> dict[str, Any]:
    """The parts as they will read (`parts`: heading and paragraphs; each required part's text by its name, for the
    contents check) and every figure of the year (`figures`, procedure -> figure -> value and records: DocumentContext.kept)."""
    data = ctx.case.data
    year = int((data.get("report") or {}).get("year") or 0)
    computed = ctx.figures(year)
    by_key = {f.key: f for figures in computed.values() for f in figures}
    names = compose.figure_names(ctx.procedures())
    manual = compose.manual_figures(data)
    draft = data.get("draft") or {}
    out: dict[str, Any] = {"parts": [], "year": year}
    for name in PARTS:
        text = compose.plain(compose.render(str(draft.get(name) or ""), by_key, manual, names))
        out[name] = text.strip()
        if not text.strip():
            continue
        out["parts"].append({"name": name, "heading": HEADINGS.get(name, ""),
                             "paragraphs": list(compose.paragraphs(text))})
    # by procedure, then figure: an event's keys are identifiers (docs/audit-format.md), not "procedure.figure"
    out["figures"] = {pid: {f.spec.id: ctx.kept(f) for f in figures} for pid, figures in sorted(computed.items())}
    return out


def frozen(facts: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """What the sign-off fixed (document_data's values), from the issuing event's facts; None if it issued none."""
    for doc in (facts or {}).get("documents") or ():
        if isinstance(doc, Mapping) and doc.get("type") == DOCUMENT and isinstance(doc.get("data"), Mapping):
            return dict(doc["data"])
    return None


def kept_figure(data: Mapping[str, Any] | None, key: str) -> Mapping[str, Any] | None:
    """The figure `key` (procedure id.figure id) as fixed in `data` (frozen()), or None."""
    pid, _, fid = key.partition(".")
    entry = (((data or {}).get("figures") or {}).get(pid) or {}).get(fid)
    return entry if isinstance(entry, Mapping) else None


DOCUMENT_DATA = {DOCUMENT: document_data}
