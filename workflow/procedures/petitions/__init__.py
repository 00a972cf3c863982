"""信访、投诉举报 and the town as respondent in reconsideration and litigation: definitions/petition,
complaint, respondent_case.v*.yaml (registers: workflow/register_spec.py).
guards.py: its rules; clock.py: the due days that follow from the recorded facts; law.py: its articles."""

from workflow.procedures.petitions.clock import DUE_RULES
from workflow.procedures.petitions.guards import GUARDS

NAME = "petitions"

__all__ = ["DUE_RULES", "GUARDS", "NAME"]
