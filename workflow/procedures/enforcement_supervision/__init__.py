"""行政执法监督 (supervision of enforcement, issue 14 item 2): definitions/enforcement_supervision.v*.yaml, the district
reviewing a town's case files and the town answering. guards.py: its rules; law.py: its articles and settings;
sheet.py: the scoring sheet (definitions/scoring/) and its arithmetic, given as the definitions' `scoring:` block."""

from workflow.procedures.enforcement_supervision.guards import GUARDS, candidates, unscored
from workflow.procedures.enforcement_supervision.sheet import BLOCKS

NAME = "enforcement_supervision"
# What the forms offer (options_from: {cases_of: <guard>}): the very cases each guard accepts, by its own query.
CASE_CHOICES = {"sample_closed_cases_of_town": candidates, "scored_case_in_sample": unscored}

__all__ = ["BLOCKS", "CASE_CHOICES", "GUARDS", "NAME"]
