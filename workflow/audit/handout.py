"""The auditor's one file: the offline verifier with the modules it shares with the write path, joined.

The verifier (verifier.py) imports the canonical encoding (canonical.py), the Merkle tree (merkle.py) and the
replay of case rows (row_replay.py) — the same modules trail.py, checkpoint.py, signing.py and the engine use,
so there is one implementation of each. An auditor needs one standard-library file without lawflow, so
`lawflow audit verifier` joins those modules' source, as they are, into one script: each module's text in
dependency order, without its docstring, its `from __future__` line and its imports of the other modules
(their names are then simply defined earlier in the same file). Nothing is rewritten, so the script runs the
very code the writer runs.

The join refuses a module that imports anything but the standard library or an earlier module of the list,
and two modules that define the same top-level name differently (the second would silently replace the
first in the joined file).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGE = "workflow.audit"
MODULES = ("canonical", "merkle", "row_replay", "verifier")  # dependency order; the verifier last


class HandoutError(ValueError):
    """The modules cannot be joined into one standard-library script."""


def _bound_names(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def _module_part(name: str, source: str, earlier: set[str], defined: dict[str, tuple[str, str]]) -> str:
    """The module's statements to copy, as text (docstring, future import and joined imports left out)."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    skip: set[int] = set()  # 0-based line numbers
    for i, node in enumerate(tree.body):
        end = node.end_lineno or node.lineno
        if i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) \
                and isinstance(node.value.value, str) or isinstance(node, ast.ImportFrom) and node.module == "__future__":
            skip.update(range(node.lineno - 1, end))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PACKAGE + "."):
            target = node.module.removeprefix(PACKAGE + ".")
            if target not in earlier:
                raise HandoutError(f"{name}.py imports {node.module}, which is not joined before it")
            skip.update(range(node.lineno - 1, end))
        for sub in ast.walk(node):
            if isinstance(sub, ast.Import | ast.ImportFrom):
                modules = [a.name for a in sub.names] if isinstance(sub, ast.Import) else [sub.module or ""]
                for module in modules:
                    top = module.split(".")[0]
                    if sub in tree.body and isinstance(sub, ast.ImportFrom) and (
                            module == "__future__" or module.startswith(PACKAGE + ".")):
                        continue
                    if top not in sys.stdlib_module_names and top != "cryptography":
                        raise HandoutError(f"{name}.py line {sub.lineno} imports {module!r}: standard library only")
        if node in tree.body:
            text = ast.get_source_segment(source, node) or ""
            for bound in _bound_names(node):
                if bound in defined and defined[bound][1] != text:
                    raise HandoutError(f"{name}.py defines {bound!r}, already defined by {defined[bound][0]}.py")
                defined[bound] = (name, text)
    kept = [line for i, line in enumerate(lines) if i not in skip]
    return "".join(kept).strip("\n") + "\n"


def script() -> str:
    """The auditor's verifier as one Python file (standard library only; cryptography used when present)."""
    sources = {name: (HERE / f"{name}.py").read_text(encoding="utf-8") for name in MODULES}
    verifier_tree = ast.parse(sources["verifier"])
    doc = ast.get_docstring(verifier_tree, clean=False) or ""
    out = ["#!/usr/bin/env python3\n", f'"""{doc}"""\n\n', "from __future__ import annotations\n"]
    defined: dict[str, tuple[str, str]] = {}
    earlier: set[str] = set()
    for name in MODULES:
        body = _module_part(name, sources[name], earlier, defined)
        out.append(f"\n\n# {'=' * 98}\n# workflow/audit/{name}.py\n# {'=' * 98}\n\n")
        out.append(body.removeprefix("#!/usr/bin/env python3\n").lstrip("\n"))
        earlier.add(name)
    return "".join(out)


def parts() -> dict[str, str]:
    """Each joined module's copied text (tests check the script is made of exactly these)."""
    defined: dict[str, tuple[str, str]] = {}
    earlier: set[str] = set()
    out = {}
    for name in MODULES:
        out[name] = _module_part(name, (HERE / f"{name}.py").read_text(encoding="utf-8"), earlier, defined)
        earlier.add(name)
    return out
