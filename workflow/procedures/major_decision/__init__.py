"""重大行政决策 (major administrative decision, 国务院令第713号): definitions/major_decision.v*.yaml.

guards.py: its legal rules; law.py: the regulation's title and the settings its rules read; discussion.py:
the collective discussion's tally; consultations.py: what the public portal shows of its cases; meetings.py: the
collective-discussion meeting as its pages read it.
Only `NAME` and `GUARDS` are read at import (workflow/procedures/__init__.py); read models are imported where used.
"""

from workflow.procedures.major_decision.guards import GUARDS

NAME = "major_decision"

__all__ = ["GUARDS", "NAME"]
