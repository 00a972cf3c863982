"""The living specs of a procedure: its Gherkin feature files, and the result of their latest test run.

Which feature files: those under features/<procedure id>/, or, for procedures that share a folder, under
features/<prefix>/ where the procedure id starts with "<prefix>_" (features/enforcement/ holds the scenarios
of enforcement_case and enforcement_review). In a shared folder a scenario belongs to the procedures it drove
through the engine in the latest test run, as the report records; a scenario the report does not place (no
report, or a scenario added since) is listed under every procedure of the folder.

The report is written by the feature tests (tests/features/conftest.py) at the end of every pytest run that
ran a scenario, to `report_path()`: $LAWFLOW_FEATURE_REPORT, else <instance>/test-report/features.json, the
instance folder being $LAWFLOW_INSTANCE or ./instance as for the app (so `make test` writes where `make run`
reads). It is JSON:

    {"format": "lawflow-feature-report/1", "generated_at": "2026-11-30T02:00:00Z", "commit": "<git sha>|null",
     "complete": true,                      # every scenario of every feature file was selected in that run
     "features": {"major_decision/01_决策启动.feature": "<sha256 of the file as tested>", ...},
     "results": [{"feature": "major_decision/01_决策启动.feature", "scenario": "<title>",
                  "example": {"人员": "陈静"},  # the outline's example row ({} for a plain scenario)
                  "backend": "sqlite",          # the database the scenario ran on
                  "outcome": "passed",          # passed | failed | skipped | xfailed | xpassed
                  "duration": 0.42, "procedures": ["major_decision"], "message": ""}, ...]}

The pages only read it: nothing here decides anything about the law.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPORT_FORMAT = "lawflow-feature-report/1"
REPORT_ENV = "LAWFLOW_FEATURE_REPORT"
FEATURES_ENV = "LAWFLOW_FEATURES_DIR"
FEATURES_DIR = Path(__file__).resolve().parent.parent / "features"
OUTCOMES = ("passed", "failed", "skipped", "xfailed", "xpassed")
BACKENDS = ("sqlite", "postgresql")


def report_path(instance: str | Path | None = None) -> Path:
    """Where the feature tests write their report and the pages look for it."""
    if os.environ.get(REPORT_ENV):
        return Path(os.environ[REPORT_ENV])
    if instance is None:
        instance = os.environ.get("LAWFLOW_INSTANCE") or Path.cwd() / "instance"
    return Path(instance) / "test-report" / "features.json"


def features_dir() -> Path:
    return Path(os.environ.get(FEATURES_ENV) or FEATURES_DIR)


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------- writing (the test run)


def write_report(path: Path, results: Sequence[Mapping[str, Any]], feature_files: Iterable[Path],
                 base: Path, complete: bool, commit: str | None = None, now: datetime | None = None) -> None:
    """Write the report atomically (a reader never sees half a file)."""
    document = {
        "format": REPORT_FORMAT,
        "generated_at": (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": commit,
        "complete": complete,
        "features": {f.relative_to(base).as_posix(): file_digest(f) for f in sorted(feature_files)},
        "results": list(results),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


# ---------------------------------------------------------------- reading (the pages)


@dataclass
class ScenarioResult:
    """One scenario's outcome in the report: per backend (over its example rows) and per example row."""

    backends: dict[str, str] = field(default_factory=dict)
    rows: dict[tuple[tuple[str, str], ...], str] = field(default_factory=dict)
    procedures: set[str] = field(default_factory=set)
    messages: list[str] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        return combine(self.backends.values())


def combine(outcomes: Iterable[str]) -> str:
    """failed if any failed; otherwise a known gap if any was one; passed if any passed; else skipped."""
    seen = set(outcomes)
    for o in ("failed", "xpassed", "xfailed", "passed", "skipped"):
        if o in seen:
            return o
    return "none"


@dataclass
class Report:
    path: Path
    generated_at: datetime | None
    commit: str | None
    complete: bool
    digests: dict[str, str]
    scenarios: dict[tuple[str, str], ScenarioResult]
    problem: str = ""  # why the file could not be read (then it holds nothing)

    def of(self, feature: str, title: str) -> ScenarioResult | None:
        return self.scenarios.get((feature, title))

    def counts(self, keys: Iterable[tuple[str, str]] | None = None) -> dict[str, int]:
        chosen = self.scenarios.values() if keys is None else [self.scenarios[k] for k in keys
                                                                 if k in self.scenarios]
        out = dict.fromkeys(OUTCOMES, 0)
        for r in chosen:
            out[r.outcome] = out.get(r.outcome, 0) + 1
        return out


def load_report(path: Path) -> Report | None:
    """The report at `path`, or None when there is none. A file that cannot be read is a Report with
    `problem` set, so that the page says so rather than showing nothing."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        return Report(path, None, None, False, {}, {}, problem=str(exc))
    if not isinstance(raw, dict) or raw.get("format") != REPORT_FORMAT:
        return Report(path, None, None, False, {}, {}, problem=f"not a {REPORT_FORMAT} file")
    try:
        generated = datetime.strptime(raw["generated_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        scenarios: dict[tuple[str, str], ScenarioResult] = {}
        for r in raw["results"]:
            key = (str(r["feature"]), str(r["scenario"]))
            result = scenarios.setdefault(key, ScenarioResult())
            outcome = r["outcome"] if r["outcome"] in OUTCOMES else "failed"
            backend = str(r.get("backend") or "-")
            result.backends[backend] = combine([result.backends.get(backend, "none"), outcome])
            row = tuple(sorted((str(k), str(v)) for k, v in (r.get("example") or {}).items()))
            result.rows[row] = combine([result.rows.get(row, "none"), outcome])
            result.procedures.update(str(p) for p in r.get("procedures") or ())
            if r.get("message") and outcome in ("failed", "xpassed") and len(result.messages) < 3:
                result.messages.append(str(r["message"]))
        return Report(path, generated, raw.get("commit"), bool(raw.get("complete")),
                      {str(k): str(v) for k, v in (raw.get("features") or {}).items()}, scenarios)
    except (KeyError, TypeError, ValueError) as exc:
        return Report(path, None, None, False, {}, {}, problem=f"malformed report: {exc!r}")


# ---------------------------------------------------------------- feature files


@dataclass(frozen=True)
class StepView:
    keyword: str
    text: str
    table: tuple[tuple[str, ...], ...] = ()
    docstring: str | None = None


@dataclass(frozen=True)
class ExamplesView:
    name: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class ScenarioView:
    keyword: str
    title: str
    line: int
    description: str
    tags: tuple[str, ...]
    steps: tuple[StepView, ...]
    examples: tuple[ExamplesView, ...]


@dataclass(frozen=True)
class FeatureView:
    path: str  # relative to the features folder, with "/"
    keyword: str
    name: str
    description: str
    background: tuple[StepView, ...]
    scenarios: tuple[ScenarioView, ...]
    digest: str
    problem: str = ""  # the file does not parse


_cache: dict[Path, tuple[tuple[int, int], FeatureView]] = {}
_lock = threading.Lock()


def _steps(steps: Iterable[Any]) -> tuple[StepView, ...]:
    out = []
    for s in steps:
        table = tuple(tuple(cell.value for cell in row.cells) for row in s.datatable.rows) if s.datatable else ()
        out.append(StepView(s.keyword.strip(), s.name, table, s.docstring))
    return tuple(out)


def parse_feature(path: Path, base: Path) -> FeatureView:
    """A feature file as pytest-bdd's Gherkin parser reads it (cached while the file is unchanged)."""
    from pytest_bdd.parser import FeatureParser

    stat = path.stat()
    stamp = (stat.st_mtime_ns, stat.st_size)
    with _lock:
        hit = _cache.get(path)
        if hit and hit[0] == stamp:
            return hit[1]
    rel = path.relative_to(base).as_posix()
    try:
        feature = FeatureParser(str(path.parent), path.name).parse()
    except Exception as exc:  # noqa: BLE001 - any parse error is shown on the page, the rest still renders
        view = FeatureView(rel, "", path.name, "", (), (), file_digest(path), problem=str(exc))
    else:
        scenarios = []
        for template in feature.scenarios.values():
            scenarios.append(ScenarioView(
                keyword=template.keyword, title=template.name, line=template.line_number,
                description=template.description.strip(), tags=tuple(sorted(template.tags)),
                steps=_steps(s for s in template.steps if s.background is None),  # the background is shown once
                examples=tuple(ExamplesView(ex.name or "", tuple(ex.example_params),
                                            tuple(tuple(r) for r in ex.examples)) for ex in template.examples),
            ))
        scenarios.sort(key=lambda s: s.line)
        view = FeatureView(rel, feature.keyword, feature.name, feature.description.strip(),
                           _steps(feature.background.steps) if feature.background else (), tuple(scenarios),
                           file_digest(path))
    with _lock:
        _cache[path] = (stamp, view)
    return view


def spec_folder(procedure_id: str, base: Path) -> Path | None:
    """features/<id>/, else the folder features/<prefix>/ with the id starting "<prefix>_" (longest prefix)."""
    if (base / procedure_id).is_dir():
        return base / procedure_id
    candidates = [p for p in base.iterdir() if p.is_dir() and procedure_id.startswith(p.name + "_")] \
        if base.is_dir() else []
    return max(candidates, key=lambda p: len(p.name), default=None)


@dataclass
class ScenarioSpec:
    view: ScenarioView
    result: ScenarioResult | None


@dataclass
class FeatureSpec:
    view: FeatureView
    scenarios: list[ScenarioSpec]
    changed_since_report: bool


@dataclass
class ProcedureSpecs:
    folder: str | None  # relative to the features folder's parent, e.g. "features/enforcement"
    shared_with: list[str]  # other procedure ids whose scenarios live in the same folder
    placed_by_report: bool  # a shared folder's scenarios were placed by what they drove in the report
    features: list[FeatureSpec]

    @property
    def scenario_count(self) -> int:
        return sum(len(f.scenarios) for f in self.features)

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys((*OUTCOMES, "none"), 0)
        for f in self.features:
            for s in f.scenarios:
                key = s.result.outcome if s.result else "none"
                out[key] = out.get(key, 0) + 1
        return out


def procedure_specs(procedure_id: str, all_ids: Iterable[str], base: Path,
                    report: Report | None) -> ProcedureSpecs:
    folder = spec_folder(procedure_id, base)
    if folder is None:
        return ProcedureSpecs(None, [], False, [])
    shared = sorted(p for p in all_ids if p != procedure_id and spec_folder(p, base) == folder)
    usable = report if report is not None and not report.problem else None
    features = []
    placed = False
    for path in sorted(folder.rglob("*.feature")):
        view = parse_feature(path, base)
        chosen = []
        for s in view.scenarios:
            result = usable.of(view.path, s.title) if usable else None
            if shared and result is not None and result.procedures & {procedure_id, *shared}:
                placed = True
                if procedure_id not in result.procedures:
                    continue
            chosen.append(ScenarioSpec(s, result))
        if chosen or view.problem:
            changed = bool(usable and usable.digests.get(view.path) not in (None, view.digest))
            features.append(FeatureSpec(view, chosen, changed))
    rel = folder.relative_to(base.parent).as_posix() if folder.is_relative_to(base.parent) else str(folder)
    return ProcedureSpecs(rel, shared, placed, features)
