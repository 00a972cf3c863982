"""人民调解: definitions/mediation_committee, mediator, mediation_case.v*.yaml (registers: workflow/register_spec.py).
guards.py: its rules; law.py: its articles and what the success rate excludes."""

from workflow.procedures.mediation.guards import GUARDS

NAME = "mediation"

__all__ = ["GUARDS", "NAME"]
