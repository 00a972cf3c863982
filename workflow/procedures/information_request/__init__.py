"""政府信息公开申请 (依申请公开, 《政府信息公开条例》2019): definitions/information_request.v*.yaml.

guards.py: its legal rules; law.py: the regulation's periods, the fee tariff's settings and the annual report's
rows; clock.py: the answer's due day from the recorded facts (pauses, extension); fees.py: the 109号 tariff;
register.py and annual_report.py: what the pages, the portal and the report read of its cases.
Only `NAME`, `GUARDS` and `DUE_RULES` (clock.py's answer day, a deadline's `due_by:`) are read at import (workflow/procedures/__init__.py); read models are imported where used.
"""

from workflow.procedures.information_request.clock import DUE_RULES
from workflow.procedures.information_request.guards import GUARDS

NAME = "information_request"

__all__ = ["DUE_RULES", "GUARDS", "NAME"]
