"""合同合法性审查 (legality review of the town's contracts): definitions/contract_review.v*.yaml (legal-facts-2 §2).

guards.py: its rules, each citing its source and verification level; law.py: the sources, the review points and
the settings the rules read. Only `NAME` and `GUARDS` are read at import (workflow/procedures/__init__.py).
"""

from workflow.procedures.contract_review.guards import GUARDS

NAME = "contract_review"

__all__ = ["GUARDS", "NAME"]
