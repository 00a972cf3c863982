"""法治政府建设年度报告 (the annual rule-of-law report, 督察规定): definitions/rule_of_law_report.v*.yaml.

guards.py: its rules; law.py: the rules it cites, its parts and settings; clock.py: the reporting and publication
days (a deadline's `due_by:`); compose.py and evidence.py: what the report page reads (the text with its figures,
the evidence for its shortcomings). issued.py: the report as signed off and issued as a 公文 (DOCUMENT_DATA). Only `NAME`, `GUARDS`, `DUE_RULES`
and `DOCUMENT_DATA` are read at import.
"""

from workflow.procedures.rule_of_law_report.clock import DUE_RULES
from workflow.procedures.rule_of_law_report.guards import GUARDS
from workflow.procedures.rule_of_law_report.issued import DOCUMENT_DATA

NAME = "rule_of_law_report"

__all__ = ["DOCUMENT_DATA", "DUE_RULES", "GUARDS", "NAME"]
