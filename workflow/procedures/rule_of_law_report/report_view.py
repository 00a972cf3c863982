"""What the report page shows of one annual report: its parts as the drafter wrote them with every cited figure
filled in from the records (or marked as entered by hand, with who entered it and why), the numbers typed into
the text that no record supports, the addressees, and the evidence its shortcomings part is written from.

Read only. The figures and refusals are those of the report's organisation and every organisation below it, for
its year (workflow/figures.py; a town has none below, a district's report adds up its towns' with its own: issue
14 item 5, the roll-up); the escalated periods are the organisation's own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow import org_tree
from workflow.audit.refusals import Refusals, refusals
from workflow.definitions import Procedure, Registry
from workflow.documents.computing import from_json
from workflow.figures import Figure, declared, figures_of, stated
from workflow.models import AuditEvent, Case, IssuedDocument
from workflow.procedures.rule_of_law_report import compose
from workflow.procedures.rule_of_law_report.issued import DOCUMENT, frozen, kept_figure
from workflow.procedures.rule_of_law_report.law import COPY_TO, OPTIONAL_PARTS, REPORT_TO, REQUIRED_PARTS
from workflow.timers.figures import TimerFigure, timer_figures

PARTS = ("intro", "measures", "shortcomings", "causes", "leaders_duties", "plans", "other")


@dataclass(frozen=True)
class Part:
    name: str
    label: str  # the save_draft field's label in the reader's language
    required: bool
    segments: list[compose.Segment]
    typed_numbers: list[str]

    @property
    def empty(self) -> bool:
        return not "".join(s.text for s in self.segments).strip()


@dataclass(frozen=True)
class ReportView:
    case_id: str
    year: int
    title: str
    state: str
    parts: list[Part]
    figures: dict[str, list[Figure]]  # procedure -> its figures for the year
    citations: dict[str, str]  # figure key -> how the text cites it ({{程序.统计项}})
    manual: dict[str, Mapping[str, Any]]  # id -> the latest hand entry (recorded_by, reason, source)
    addressed_to: list[str]
    copied_to: list[str]
    refusals: Refusals
    timers: list[TimerFigure]
    # Once signed off and issued (签发), the figures above are those fixed with the issued document (签发时数据);
    # `issued` is that document's row, and `today` today's value of each figure that now differs from it.
    issued: IssuedDocument | None = None
    today: dict[str, Figure] | None = None

    def figure(self, key: str) -> Figure | None:
        pid, _, fid = key.partition(".")
        return next((f for f in self.figures.get(pid, []) if f.spec.id == fid), None)


def _labels(procedure: Procedure, lang: str) -> dict[str, str]:
    step = next(t for t in procedure.transitions if t.trigger == "save_draft")
    return {f.name: (f.label.en if lang == "en" else f.label.zh) for f in step.payload}


def view(session: Session, registry: Registry, case: Case, settings: Mapping[str, Any], lang: str) -> ReportView:
    procedure = registry.get(case.procedure, case.procedure_version)
    report = case.data.get("report") or {}
    year = int(report.get("year") or 0)
    orgs = org_tree.subtree(session, case.org_id)
    figures = figures_of(session, declared(registry), orgs, year)
    issued, kept = issued_report(session, case.id)
    today: dict[str, Figure] | None = None
    if kept is not None:
        figures, today = _as_fixed(figures, kept)
    by_key = {f.key: f for figs in figures.values() for f in figs}
    names = compose.figure_names(registry.latest())
    manual = compose.manual_figures(case.data)
    draft = case.data.get("draft") or {}
    labels = _labels(procedure, lang)
    parts = [Part(name, labels.get(name, name), name in REQUIRED_PARTS,
                  compose.render(str(draft.get(name) or ""), by_key, manual, names),
                  compose.typed_numbers(str(draft.get(name) or "")))
             for name in PARTS if name in labels and (name in REQUIRED_PARTS or name in OPTIONAL_PARTS
                                                       or draft.get(name))]
    reporting = case.data.get("reporting") or {}
    return ReportView(
        case_id=case.id, year=year, title=str(report.get("title", case.title)), state=case.state, parts=parts,
        figures=figures, manual=manual,
        citations={f"{pid}.{s.id}": compose.citation(registry.get(pid), s) for pid in figures
                   for s in registry.get(pid).figures},
        addressed_to=list(reporting.get("recipients") or _list(settings.get(REPORT_TO))),
        copied_to=list(reporting.get("copied_to") or _list(settings.get(COPY_TO))),
        refusals=refusals(session, orgs, year),
        timers=timer_figures(session, registry, case.org_id, date(year, 1, 1), date(year, 12, 31)),
        issued=issued, today=today)


def issued_report(session: Session, case_id: str) -> tuple[IssuedDocument | None, dict[str, Any] | None]:
    """The report's issued 公文 (the latest not voided) and what its sign-off fixed, from the issuing event."""
    row = session.scalars(select(IssuedDocument).where(
        IssuedDocument.case_id == case_id, IssuedDocument.doc_type == DOCUMENT,
        IssuedDocument.voided_at.is_(None)).order_by(IssuedDocument.id.desc())).first()
    if row is None:
        return None, None
    facts = session.scalar(select(AuditEvent.facts).where(AuditEvent.case_id == case_id,
                                                          AuditEvent.seq == row.event_seq))
    return row, frozen(json.loads(facts) if isinstance(facts, str) else facts)


def fixed_figure(session: Session, registry: Registry, case_id: str, key: str) -> Figure | None:
    """One figure as the report's sign-off fixed it (the records behind it then), or None."""
    _row, kept = issued_report(session, case_id)
    entry = kept_figure(kept, key)
    pid, _, fid = key.partition(".")
    try:
        spec = next((f for f in registry.get(pid).figures if f.id == fid), None)
    except KeyError:
        return None
    return from_json(pid, spec, entry) if entry is not None and spec is not None else None


def _as_fixed(live: dict[str, list[Figure]], kept: Mapping[str, Any]) -> tuple[dict[str, list[Figure]],
                                                                             dict[str, Figure]]:
    """The figures as fixed at sign-off (a figure declared since keeps today's value), and today's value of each
    that differs."""
    out: dict[str, list[Figure]] = {}
    differs: dict[str, Figure] = {}
    for pid, figures in live.items():
        out[pid] = []
        for figure in figures:
            entry = kept_figure(kept, figure.key)
            then = from_json(pid, figure.spec, entry) if entry is not None else figure
            out[pid].append(then)
            if stated(then) != stated(figure):
                differs[figure.key] = figure
    return out, differs


def _list(value: Any) -> Sequence[str]:
    return [str(v) for v in value] if isinstance(value, list) else []
