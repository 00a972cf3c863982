"""The auditor's one-file verifier as it is handed out (`lawflow audit verifier`), for tests that run it in a
subprocess with `python -I -S` (no lawflow on the path). Written once per test process."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

from workflow.audit.handout import script


@functools.cache
def auditor_script() -> Path:
    """A fresh copy of the handed-out verify.py in a private temporary folder, outside the source tree."""
    folder = Path(tempfile.mkdtemp(prefix="lawflow-verify-"))
    path = folder / "verify.py"
    path.write_text(script(), encoding="utf-8")
    return path
