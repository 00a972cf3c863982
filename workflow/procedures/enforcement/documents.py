"""What the enforcement family computes for its documents (definitions/documents/enforcement_review.yaml:
`computed.<name>` sources; workflow/procedures: DOCUMENT_DATA).

The 法制审核意见书 states each item of the review (国办发〔2018〕118号) with the reviewer's finding: the latest finding
recorded for each item, in the checklist's order, each in the words of the definition's choices.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workflow.procedures.enforcement.law import CHECKLIST, REVIEW_PROCEDURE

if TYPE_CHECKING:
    from workflow.documents.computing import DocumentContext

FINDING_STEP = "record_checklist_finding"


def review_findings(ctx: DocumentContext) -> dict[str, Any]:
    step = next(t for t in ctx.procedure(REVIEW_PROCEDURE).transitions if t.trigger == FINDING_STEP)
    words = {f.name: {value: label.zh for value, label in f.choices} for f in step.payload if f.choices}
    latest: dict[str, dict[str, Any]] = {}
    for finding in ctx.case.data.get("findings") or []:
        latest[str(finding.get("item"))] = finding  # a later finding on an item replaces the earlier
    return {"findings": [
        {"item": words["item"].get(item, item), "finding": words["finding"].get(str(f.get("finding")), ""),
         "note": str(f.get("note") or "")}
        for item in CHECKLIST if (f := latest.get(item)) is not None]}


DOCUMENT_DATA = {f"{REVIEW_PROCEDURE}/legal_review_opinion": review_findings}
