"""Is a penalty case major (处罚法第五十八条第一款; 国办发〔2018〕118号)? The one answer for the guards, the legal
review and the compliance figures: the organisation's review catalogue as the definition's major_case block
computes it (workflow/procedures/enforcement/penalties.py), or the officer's assessment. Reads neither the
database nor the clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflow.procedures.enforcement.law import PENALTY_ZH
from workflow.procedures.enforcement.penalties import MajorFinding, Penalty, computed_major, penalties_of


def assessed_major(data: Mapping[str, Any]) -> bool | None:
    """What the officer's assessment says (处罚法第五十八条第一款); None while nobody has assessed it."""
    assessment = data.get("major_assessment")
    if not assessment:
        return None
    return bool(assessment.get("major_public_interest") or assessment.get("major_rights_after_hearing")
                or assessment.get("complex") or assessment.get("catalogue_item"))


def major_finding(data: Mapping[str, Any], settings: Mapping[str, Any], procedure: Any,
                  decision: Mapping[str, Any] | None = None) -> MajorFinding:
    """The catalogue entries the case meets, computed from the last notice, the decision about to be made (if
    any) and a hearing held (the definition's major_case block; none: nothing is computed)."""
    spec = procedure.block("major_case") if procedure is not None else None
    if spec is None:
        return MajorFinding()
    penalties: list[Penalty] = [*penalties_of(data.get("notice") or {}), *penalties_of(decision or {})]
    party_type = (data.get("filing") or {}).get(spec.party_type_field, "individual")
    return computed_major(spec, settings, party_type, penalties, bool(data.get("hearing_record")), PENALTY_ZH)


def is_major(data: Mapping[str, Any], settings: Mapping[str, Any] | None = None, procedure: Any = None,
             decision: Mapping[str, Any] | None = None) -> bool | None:
    """Is the case major (处罚法第五十八条)? The one answer for the guards, the review and the compliance figures:
    major when the organisation's catalogue makes it so (computed, `major_finding`) or the officer assessed it
    major; an officer may add to the catalogue, never take away from it. None while nobody has assessed it and
    nothing computed makes it major. Without settings and definition only the assessment is read."""
    if major_finding(data, settings or {}, procedure, decision).major:
        return True
    return assessed_major(data)
