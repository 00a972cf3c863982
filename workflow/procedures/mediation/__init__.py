"""人民调解: definitions/mediation_committee, mediator, mediation_case.v*.yaml (registers: workflow/register_spec.py).
guards.py: its rules; law.py: its articles and what the success rate excludes; clock.py: the committee's term and
the dispute's period, counted from the recorded facts."""

from workflow.procedures.mediation.clock import DUE_RULES
from workflow.procedures.mediation.guards import GUARDS

NAME = "mediation"

__all__ = ["DUE_RULES", "GUARDS", "NAME"]
