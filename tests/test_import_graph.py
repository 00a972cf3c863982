"""The import graph of workflow/ and web/, read with `ast` (nothing is imported): the house rules of
docs/adding-a-procedure.md that keep the procedure families apart.

* no import circle between modules;
* the engine (workflow/engine*) reaches a family only through the registry, workflow/procedures/__init__.py;
* no other shared module of workflow/ (not a family, not the registry) imports a family either, save the few
  in `SHARED_READS_FAMILY`, each with its reason (the definition loader reads a family's blocks through the
  registry: workflow/definition_blocks.py);
* a family imports no other family;
* web/ imports no family's guard module (pages show a guard's texts through `procedures.guard_label`);
* no module takes a private name (`_name`) from another module (gettext's `_` is not one).

Imports under `if TYPE_CHECKING:` are left out: they are never executed, so they make no circle at run time.
An import inside a function counts: it runs when the function does.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("workflow", "web")
FAMILIES = ROOT / "workflow" / "procedures"

# Private names still taken across modules on this branch, each with the work that removes it. An entry that
# is no longer taken fails the test, so the list can only shrink.
PENDING_PRIVATE: set[tuple[str, str, str]] = set()

# Shared modules of workflow/ that still import a family module, with why. An entry that is no longer taken fails
# the test, so the list can only shrink; a new one needs its reason here.
SETTINGS_CATALOGUE = ("the catalogue of organisation settings declares each family's settings under the keys its "
                      "law module names (families do not yet contribute settings through the registry)")
DEMO = "the demo town seeds the installed families' settings: a story of these families, as the web pages are"
SHARED_READS_FAMILY: dict[tuple[str, str], str] = {
    ("workflow.settings", "workflow.procedures.enforcement.law"): SETTINGS_CATALOGUE,
    ("workflow.settings", "workflow.procedures.major_decision.law"): SETTINGS_CATALOGUE,
    ("workflow.demo", "workflow.procedures.enforcement.law"): DEMO,
    ("workflow.demo", "workflow.procedures.major_decision.law"): DEMO,
    ("workflow.demo_normative", "workflow.procedures.normative_document.cleanup"): DEMO,
    ("workflow.demo_normative", "workflow.procedures.normative_document.law"): DEMO,
    ("workflow.settings", "workflow.procedures.information_request.law"): SETTINGS_CATALOGUE,
    ("workflow.settings", "workflow.procedures.rule_of_law_report.law"): SETTINGS_CATALOGUE,
    ("workflow.demo", "workflow.procedures.information_request.law"): DEMO,
    ("workflow.demo_supervision", "workflow.procedures.enforcement_supervision.law"): DEMO,
    ("workflow.demo_supervision", "workflow.procedures.enforcement_supervision.sheet"): DEMO,
    ("workflow.cli", "workflow.procedures.enforcement.compliance"):
        "`workflow compliance` prints the enforcement family's figures: the CLI is an entry point, as web/ is",
}


@dataclass(frozen=True)
class Import:
    importer: str
    target: str  # a module of the project
    names: tuple[str, ...]  # the names taken from it by `from target import ...` (empty for `import target`)
    line: int


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules(root: Path = ROOT) -> dict[str, Path]:
    return {module_name(p, root): p for package in PACKAGES for p in sorted((root / package).rglob("*.py"))
            if "__pycache__" not in p.parts}


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node except the bodies of `if TYPE_CHECKING:` blocks."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                stack.extend(child.orelse)
                continue
            stack.append(child)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    """The project modules `name` imports. `from package import module` is an import of the module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: list[Import] = []
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            found += [Import(name, a.name, (), node.lineno) for a in node.names if a.name in modules]
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(name, path.name == "__init__.py", node)
            if target not in modules:
                continue
            taken: list[str] = []
            for alias in node.names:
                if f"{target}.{alias.name}" in modules:  # a submodule, imported as such
                    found.append(Import(name, f"{target}.{alias.name}", (), node.lineno))
                else:
                    taken.append(alias.name)
            if taken or not node.names:
                found.append(Import(name, target, tuple(taken), node.lineno))
    return found + _private_attributes(name, tree, found)


def _private_attributes(name: str, tree: ast.AST, imports: list[Import]) -> list[Import]:
    """`module._name` on a project module bound by `import x.y as m` or `from x import m`: a private name
    taken as surely as `from x.m import _name`."""
    bound: dict[str, str] = {}
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            bound.update({a.asname: a.name for a in node.names if a.asname})
        elif isinstance(node, ast.ImportFrom):
            bound.update({a.asname or a.name: target for a in node.names
                          for target in {i.target for i in imports if i.line == node.lineno}
                          if target.endswith(f".{a.name}")})
    return [Import(name, bound[n.value.id], (n.attr,), n.lineno) for n in _runtime_nodes(tree)
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in bound
            and n.attr.startswith("_") and not n.attr.startswith("__")]


def import_graph(root: Path = ROOT) -> list[Import]:
    modules = project_modules(root)
    return [i for name, path in modules.items() for i in imports_of(name, path, modules)]


@functools.cache
def project_graph() -> tuple[Import, ...]:
    """The project's own graph, read once for the tests below."""
    return tuple(import_graph())


def cycles(edges: Iterable[Import]) -> list[list[str]]:
    """The circles among the modules (one per strongly connected component of more than one module, or a
    module importing itself), each as a path that returns to its start."""
    graph: dict[str, set[str]] = {}
    for e in edges:
        graph.setdefault(e.importer, set()).add(e.target)
        graph.setdefault(e.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0

    def connect(v: str) -> None:  # Tarjan's algorithm; the graph has a few hundred nodes
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph[v]:
                components.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return [_circle(graph, c) for c in components]


def _circle(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """One concrete circle through the component's first module, for the failure message."""
    members, start = set(component), component[0]
    paths = {start: [start]}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph[v] & members):
            if w == start:
                return [*paths[v], start]
            if w not in paths:
                paths[w] = [*paths[v], w]
                queue.append(w)
    return component


def family_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[:2] == ["workflow", "procedures"] else None


def is_guard_module(module: str) -> bool:
    return family_of(module) is not None and module.split(".")[3:4] == ["guards"]


def is_shared(module: str) -> bool:
    """A module of workflow/ that is neither a family's nor the registry."""
    return module.split(".")[0] == "workflow" and family_of(module) is None and module != "workflow.procedures"


def rule_breaks(edges: Iterable[Import],
                shared_reads_family: Mapping[tuple[str, str], str] = SHARED_READS_FAMILY) -> list[str]:
    """Every import that breaks one of the rules above, said in a line."""
    found: list[str] = []
    for e in edges:
        where = f"{e.importer}:{e.line} imports {e.target}"
        source_family, target_family = family_of(e.importer), family_of(e.target)
        in_engine = e.importer.split(".")[:2] == ["workflow", "engine"] or e.importer.startswith("workflow.engine_")
        if in_engine and target_family is not None:
            found.append(f"{where}: the engine reads a family only through workflow.procedures")
        elif is_shared(e.importer) and target_family is not None \
                and (e.importer, e.target) not in shared_reads_family:
            found.append(f"{where}: a shared module reads a family only through workflow.procedures "
                         "(or the read model belongs in the family's folder)")
        if source_family and target_family and source_family != target_family:
            found.append(f"{where}: the family {source_family} imports the family {target_family}")
        if e.importer.split(".")[0] == "web" and is_guard_module(e.target):
            found.append(f"{where}: web/ imports a family's guard module (use workflow.procedures.guard_label)")
        for name in e.names:
            if name.startswith("_") and name != "_" and not name.startswith("__") \
                    and (e.importer, e.target, name) not in PENDING_PRIVATE:
                found.append(f"{where}: takes the private name {name}")
    return found


def test_the_graph_is_read() -> None:
    edges = project_graph()
    # The registry's own imports are found, so an empty or broken walk cannot pass the tests below.
    assert any(e.importer.startswith("workflow.engine") and e.target == "workflow.procedures" for e in edges)
    assert {e.target for e in edges if e.importer == "workflow.procedures"} >= {
        "workflow.procedures.major_decision", "workflow.procedures.enforcement"}


def test_there_is_no_import_circle() -> None:
    assert cycles(project_graph()) == []


def test_the_families_are_reached_as_the_house_rules_say() -> None:
    assert rule_breaks(project_graph()) == []


def test_the_shared_modules_allowed_a_family_still_import_it() -> None:
    """Each allowed import is still made: once it is gone, delete it here so it cannot come back."""
    made = {(e.importer, e.target) for e in project_graph()}
    assert set(SHARED_READS_FAMILY) - made == set(), "remove these from SHARED_READS_FAMILY: no longer imported"


def test_the_pending_private_imports_are_still_there() -> None:
    """Each pending entry is still taken: once its work is merged, delete it here so it cannot come back."""
    taken = {(e.importer, e.target, n) for e in project_graph() for n in e.names}
    assert PENDING_PRIVATE - taken == set(), "remove these from PENDING_PRIVATE: they are no longer taken"


# ---------------------------------------------------------------- the checks themselves catch what they say


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for package in PACKAGES:
        (tmp_path / package).mkdir(exist_ok=True)
    return tmp_path


def test_a_circle_is_found_and_a_type_checking_import_is_not_one(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "workflow/__init__.py": "",
        "workflow/a.py": "from workflow.b import thing\n",
        "workflow/b.py": "def f():\n    from workflow import c\n",
        "workflow/c.py": "import workflow.a\n",
        "workflow/d.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from workflow.a import x\n",
        "workflow/e.py": "from workflow.d import y\n",
    })
    assert cycles(import_graph(root)) == [["workflow.a", "workflow.b", "workflow.c", "workflow.a"]]


@pytest.mark.parametrize(("importer", "text", "broken"), [
    ("workflow/engine/fire.py", "from workflow.procedures.fam_a import law\n", "the engine reads a family only"),
    ("workflow/engine.py", "from workflow.procedures.fam_a.guards import GUARDS\n", "the engine reads a family only"),
    ("workflow/definitions.py", "from workflow.procedures.fam_a.law import X\n", "a shared module reads a family"),
    ("workflow/views.py", "def f():\n    from workflow.procedures import fam_a\n", "a shared module reads a family"),
    ("workflow/procedures/fam_b/guards.py", "from workflow.procedures.fam_a.law import X\n",
     "the family fam_b imports the family fam_a"),
    ("web/pages.py", "from workflow.procedures.fam_a import guards\n", "web/ imports a family's guard module"),
    ("web/pages.py", "from workflow.procedures.fam_a.guards import GUARDS\n", "web/ imports a family's guard module"),
    ("web/pages.py", "from workflow.procedures.fam_a.law import _hidden\n", "takes the private name _hidden"),
    ("web/pages.py", "from workflow.procedures.fam_a import law\nlaw._hidden\n", "takes the private name _hidden"),
])
def test_each_rule_is_caught(tmp_path: Path, importer: str, text: str, broken: str) -> None:
    root = _tree(tmp_path, {
        "workflow/__init__.py": "", "workflow/procedures/__init__.py": "",
        "workflow/procedures/fam_a/__init__.py": "", "workflow/procedures/fam_a/guards.py": "GUARDS = {}\n",
        "workflow/procedures/fam_a/law.py": "X = 1\n_hidden = 2\n", "workflow/procedures/fam_b/__init__.py": "",
        "workflow/engine/__init__.py": "", "web/__init__.py": "", importer: text,
    })
    breaks = rule_breaks(import_graph(root))
    assert len(breaks) == 1 and broken in breaks[0], breaks


def test_the_registry_and_a_family_s_own_modules_are_allowed(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "workflow/__init__.py": "", "workflow/engine.py": "from workflow.procedures import GUARDS\n",
        "workflow/definitions.py": "from workflow.procedures import GUARDS\n",
        "workflow/procedures/__init__.py": "from workflow.procedures import fam_a\n",
        "workflow/procedures/fam_a/__init__.py": "from workflow.procedures.fam_a.guards import GUARDS\n",
        "workflow/procedures/fam_a/guards.py": "from workflow.procedures.fam_a.law import X\n",
        "workflow/procedures/fam_a/law.py": "X = 1\n",
        "web/__init__.py": "", "web/pages.py": "from workflow.procedures.fam_a.law import X\n",
    })
    assert rule_breaks(import_graph(root)) == [] and cycles(import_graph(root)) == []


def test_a_shared_module_allowed_a_family_passes_only_for_that_family(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "workflow/__init__.py": "", "workflow/procedures/__init__.py": "",
        "workflow/procedures/fam_a/__init__.py": "", "workflow/procedures/fam_a/law.py": "X = 1\n",
        "workflow/procedures/fam_b/__init__.py": "", "workflow/procedures/fam_b/law.py": "Y = 1\n",
        "workflow/demo.py": "from workflow.procedures.fam_a.law import X\nfrom workflow.procedures.fam_b.law import Y\n",
    })
    allowed = {("workflow.demo", "workflow.procedures.fam_a.law"): "seeds fam_a's settings"}
    [broken] = rule_breaks(import_graph(root), allowed)
    assert broken.startswith("workflow.demo:2 imports workflow.procedures.fam_b.law: a shared module reads a family")
