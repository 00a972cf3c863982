"""Administrative enforcement: 行政处罚普通程序 (definitions/enforcement_case.v*.yaml) and 重大执法决定法制审核
(definitions/enforcement_review.v*.yaml), with the compulsory measures of 行政强制法 taken in a penalty case.

guards.py: its legal rules; law.py: the laws, settings, roles and statutory lists they name; penalties.py and
major.py: the weight of penalties and what makes a case major; publicity.py: the public register (行政执法公示);
compliance.py: the figures of the three systems (国办发〔2018〕118号).
Only `NAME`, `GUARDS`, `BLOCKS` (the definition's severity and major_case blocks, penalties.py) and `DOCUMENT_DATA`
(documents.py: what its documents compute) are read at import (workflow/procedures/__init__.py); read models are
imported where used.
"""

from workflow.procedures.enforcement.documents import DOCUMENT_DATA
from workflow.procedures.enforcement.guards import GUARDS
from workflow.procedures.enforcement.penalties import BLOCKS

NAME = "enforcement"

__all__ = ["BLOCKS", "DOCUMENT_DATA", "GUARDS", "NAME"]
