"""行政规范性文件 (normative documents): definitions/normative_document.v*.yaml and their periodic clean-up,
definitions/normative_cleanup.v*.yaml (legal-facts-2 §1).

guards.py: the rules of both, each citing its article; law.py: the sources, the statutory lists and the settings
the rules read; register.py: the register of documents and the clean-up lists (read model); cleanup.py: a
published clean-up's repeals, fired through the engine.
Only `NAME` and `GUARDS` are read at import (workflow/procedures/__init__.py); read models are imported where used.
"""

from workflow.procedures.normative_document.guards import GUARDS

NAME = "normative_document"

__all__ = ["GUARDS", "NAME"]
