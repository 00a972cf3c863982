"""One way for the tests to run the command line on a runtime's database, instance folder and signing key
(the `lawflow` fixture of tests/conftest.py is this, bound to the `town`).

`lawflow(*args)` runs the real entry point `workflow.cli:main` — argument parsing, its error handling, its
exit codes, stdout and stderr apart — in this process, with the environment an operator's shell would give it
(CliRunner's isolation swaps os.environ, the standard streams and stdin for the call). That is the program an
operator runs minus the interpreter's start and the imports, which cost about 1.5 s a call and made the
command-line tests the slowest of the suite. `process=True` (or `.python(...)`) runs a real `python -m
workflow` subprocess where the process itself is the subject: a second process of the app, a kill, an
environment without the test's modules.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from click.testing import CliRunner

from workflow.runtime import Runtime

ROOT = Path(__file__).resolve().parents[1]


class Lawflow:
    """`lawflow(*args)` runs the command line and fails the test on a traceback.

    The environment is this process's, with LAWFLOW_DATABASE_URL, LAWFLOW_INSTANCE and LAWFLOW_AUDIT_KEY of the
    runtime (key: another signing key file); `env` adds or replaces variables and `unset` removes some
    (a name ending in "*" removes every variable it starts)."""

    def __init__(self, runtime: Runtime | None = None, *, key: Path | None = None,
                 env: Mapping[str, str] | None = None, unset: tuple[str, ...] = (), process: bool = False) -> None:
        environ = dict(os.environ)
        for name in unset:
            for present in [k for k in environ if k == name or (name.endswith("*") and k.startswith(name[:-1]))]:
                del environ[present]
        if runtime is not None:
            environ.update(LAWFLOW_DATABASE_URL=runtime.database_url, LAWFLOW_INSTANCE=str(runtime.instance),
                           LAWFLOW_AUDIT_KEY=str(key or runtime.key_path))
        environ.update(env or {})
        self.env = environ
        self.process = process

    def __call__(self, *args: str, stdin: str | None = None, env: Mapping[str, str] | None = None,
                 timeout: float = 600) -> subprocess.CompletedProcess[str]:
        if self.process:
            return self.python("-m", "workflow", *args, stdin=stdin, env=env, timeout=timeout)
        return self.in_process(*args, stdin=stdin, env=env)

    def in_process(self, *args: str, stdin: str | None = None,
                   env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        from workflow.cli import main

        wanted = {**self.env, **(env or {})}
        changes: dict[str, str | None] = {k: v for k, v in wanted.items() if os.environ.get(k) != v}
        changes.update({k: None for k in os.environ if k not in wanted})
        umask = os.umask(0o022)  # the CLI narrows the process's umask for what it creates: give it back after
        os.umask(umask)
        argv, cwd, code = sys.argv, os.getcwd(), 0
        with CliRunner().isolation(input=stdin, env=changes) as (out, err, _):
            sys.argv = ["lawflow", *args]
            os.chdir(ROOT)
            try:
                main()
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            finally:
                sys.argv = argv
                os.chdir(cwd)
                os.umask(umask)
            result = subprocess.CompletedProcess(["lawflow", *args], code, out.getvalue().decode(),
                                                 err.getvalue().decode())
        assert "Traceback" not in result.stderr, result.stderr
        return result

    def python(self, *args: str, stdin: str | None = None, env: Mapping[str, str] | None = None,
               timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """`python *args` in the same environment (a script that plays a second process of the app)."""
        result = subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT,
                                env={**self.env, **(env or {})}, input=stdin, timeout=timeout)
        assert "Traceback" not in result.stderr, result.stderr
        return result
