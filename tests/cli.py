"""One way for the tests to run the command line: `python -m workflow ...` in a subprocess, as an operator
does, on a runtime's database, instance folder and signing key (the `lawflow` fixture of tests/conftest.py
is this, bound to the `town`)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from workflow.runtime import Runtime

ROOT = Path(__file__).resolve().parents[1]


class Lawflow:
    """`lawflow(*args)` runs `python -m workflow *args` and fails the test on a traceback.

    The environment is this process's, with LAWFLOW_DATABASE_URL, LAWFLOW_INSTANCE and LAWFLOW_AUDIT_KEY of the
    runtime (key: another signing key file); `env` adds or replaces variables and `unset` removes some
    (a name ending in "*" removes every variable it starts)."""

    def __init__(self, runtime: Runtime | None = None, *, key: Path | None = None,
                 env: Mapping[str, str] | None = None, unset: tuple[str, ...] = ()) -> None:
        environ = dict(os.environ)
        for name in unset:
            for present in [k for k in environ if k == name or (name.endswith("*") and k.startswith(name[:-1]))]:
                del environ[present]
        if runtime is not None:
            environ.update(LAWFLOW_DATABASE_URL=runtime.database_url, LAWFLOW_INSTANCE=str(runtime.instance),
                           LAWFLOW_AUDIT_KEY=str(key or runtime.key_path))
        environ.update(env or {})
        self.env = environ

    def __call__(self, *args: str, stdin: str | None = None, env: Mapping[str, str] | None = None,
                 timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return self.python("-m", "workflow", *args, stdin=stdin, env=env, timeout=timeout)

    def python(self, *args: str, stdin: str | None = None, env: Mapping[str, str] | None = None,
               timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """`python *args` in the same environment (a script that plays a second process of the app)."""
        result = subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT,
                                env={**self.env, **(env or {})}, input=stdin, timeout=timeout)
        assert "Traceback" not in result.stderr, result.stderr
        return result
