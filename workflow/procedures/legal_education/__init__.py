"""普法活动、法律明白人/法治带头人名册、学法培训: definitions/legal_activity, legal_roster, study_session.v*.yaml
(registers: workflow/register_spec.py). guards.py: its checks; blocks.py: the observances; law.py: what they cite."""

from workflow.procedures.legal_education.blocks import BLOCKS
from workflow.procedures.legal_education.guards import GUARDS

NAME = "legal_education"

__all__ = ["BLOCKS", "GUARDS", "NAME"]
