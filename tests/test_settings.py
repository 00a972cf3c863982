"""The settings catalogue (workflow/settings.py) declares exactly the organisation settings the code and the
definitions read: a new local rule cannot be read without being declared (type, labels, legal basis), and a
declared one is not left behind when nothing reads it any more."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from workflow.definitions import load_registry
from workflow.documents.definitions import load_documents
from workflow.settings import BY_KEY, CATALOGUE, TYPES, SettingValueError, validate_value

ROOT = Path(__file__).resolve().parent.parent
# Reads whose key is not written in the code but comes from elsewhere, checked elsewhere in this file: a
# definition's audio_video.setting and deadline n_setting and unit_setting (read from the registry), and the loop variable
# over the demo's settings (demo.ENFORCEMENT_SETTINGS, checked below), and a document type's 代字 setting
# (definitions/documents/, read below). Anything else unresolved fails.
INDIRECT = {"av.setting", "spec.n_setting", "spec.unit_setting", "key", "spec.catalogue_setting", "spec.threshold_setting",
            "doc.code_setting"}


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _is_settings(node: ast.expr) -> bool:
    """ctx.settings, settings, self._settings(...)['x'] and the like: an expression naming the settings."""
    name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
    return name.lstrip("_").endswith("settings")


def _setting_reads(tree: ast.AST) -> list[ast.expr]:
    """The key expressions of every place the module reads or writes an organisation setting."""
    found: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "get" and _is_settings(func.value) and node.args:
                found.append(node.args[0])  # settings.get(KEY)
            elif (isinstance(func, ast.Attribute) and func.attr == "get" and len(node.args) == 2
                  and isinstance(node.args[0], ast.Name) and node.args[0].id == "OrgSetting"
                  and isinstance(node.args[1], ast.Tuple)):
                found.append(node.args[1].elts[1])  # session.get(OrgSetting, (org, KEY))
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in ("set_setting", "change_setting"):
                found.extend(k.value for k in node.keywords if k.arg == "key")
        elif isinstance(node, ast.Subscript) and _is_settings(node.value):
            found.append(node.slice)  # settings[KEY]
        elif isinstance(node, ast.Compare) and isinstance(node.left, ast.Attribute) \
                and isinstance(node.left.value, ast.Name) and node.left.value.id == "OrgSetting" \
                and node.left.attr == "key":
            found.extend(node.comparators)  # OrgSetting.key == KEY
    return found


def _keys_in_code() -> tuple[set[str], set[str]]:
    keys: set[str] = set()
    unresolved: set[str] = set()
    for path in sorted([*(ROOT / "workflow").rglob("*.py"), *(ROOT / "web").rglob("*.py")]):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module = None
        for expr in _setting_reads(tree):
            if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
                keys.add(expr.value)
                continue
            if isinstance(expr, ast.Name):
                module = module or importlib.import_module(_module_name(path))
                value = getattr(module, expr.id, None)
                if isinstance(value, str):
                    keys.add(value)
                    continue
            unresolved.add(ast.unparse(expr))
    return keys, unresolved


def _keys_in_definitions() -> set[str]:
    keys: set[str] = set()
    for procedure in load_registry().all():
        keys.update(d.n_setting for d in procedure.deadlines.values() if d.n_setting)
        keys.update(d.unit_setting for d in procedure.deadlines.values() if d.unit_setting)
        keys.update(o for d in procedure.deadlines.values() for t in d.timers for o in t.offsets
                    if isinstance(o, str))  # reminders' offsets that no law fixes (workflow/timers/spec.py)
        if procedure.audio_video is not None and procedure.audio_video.setting:
            keys.add(procedure.audio_video.setting)
        major = procedure.block("major_case")
        if major is not None:  # the catalogue and thresholds "major" is computed from
            keys.update({major.catalogue_setting, major.threshold_setting})
    keys.update(d.code_setting for d in load_documents(load_registry()).types)  # each document type's 代字
    return keys


def test_every_setting_read_is_declared_in_the_catalogue_and_every_declared_one_is_read() -> None:
    from workflow.demo import ENFORCEMENT_SETTINGS

    code, unresolved = _keys_in_code()
    assert unresolved <= INDIRECT, f"setting keys the test cannot resolve (declare them or name them): " \
                                   f"{sorted(unresolved - INDIRECT)}"
    definitions = _keys_in_definitions()
    # the scan is not vacuous: it finds the guards', the engine's (via definitions) and the compliance report's
    assert {"major_decision.collective_forum", "enforcement.large_fine_threshold",
            "enforcement.mandatory_av_acts"} <= code
    assert {"enforcement.publication_working_days", "enforcement.mandatory_av_acts",
            "timers.first_reminder_working_days"} <= definitions
    read = code | definitions | {key for key, _value, _source in ENFORCEMENT_SETTINGS}
    assert read - set(BY_KEY) == set(), f"read but not in workflow/settings.py CATALOGUE: {sorted(read - set(BY_KEY))}"
    assert set(BY_KEY) - read == set(), f"declared but read nowhere: {sorted(set(BY_KEY) - read)}"


def test_each_entry_is_complete() -> None:
    assert len(BY_KEY) == len(CATALOGUE)
    for spec in CATALOGUE:
        assert spec.type in TYPES
        assert spec.label.zh and spec.label.en and spec.why_local.zh and spec.why_local.en, spec.key
        assert spec.basis and spec.source_example, spec.key
        if spec.type == "integer":
            assert spec.minimum is not None and spec.maximum is not None, spec.key
        if spec.type == "trigger_list":
            assert spec.procedure, spec.key


def test_the_demo_values_are_valid_under_the_catalogue() -> None:
    from workflow.demo import ENFORCEMENT_SETTINGS, FORUM

    registry = load_registry()
    for key, value, _source in [*ENFORCEMENT_SETTINGS, ("major_decision.collective_forum", FORUM, ""),
                                ("enforcement.mandatory_av_acts", ["record_hearing"], "")]:
        assert validate_value(BY_KEY[key], value, registry) == value, key


@pytest.mark.parametrize("key, value, path", [
    ("enforcement.delegated_powers", [{"field": "x", "power": "y"}, {"field": "x"}], (1, "power")),
    ("enforcement.delegated_powers", [{"field": "x", "power": "y", "extra": 1}], (0, "extra")),
    ("enforcement.large_fine_threshold", {"individual": "100"}, ("organisation",)),
    ("enforcement.large_fine_threshold", {"individual": "NaN", "organisation": "1"}, ("individual",)),
    ("enforcement.publication_working_days", True, ()),
    ("enforcement.publication_working_days", 7.0, ()),
    ("enforcement.review_catalogue", ["a", 3], (1,)),
])
def test_problems_name_their_place_in_the_value(key: str, value: object, path: tuple) -> None:
    with pytest.raises(SettingValueError) as exc:
        validate_value(BY_KEY[key], value, load_registry())
    assert path in [p.path for p in exc.value.problems], exc.value.problems


def test_a_field_offering_a_settings_list_names_a_setting_of_the_catalogue() -> None:
    """options_from: {setting: ...} (workflow/options_from.py) is checked here: the loader may not import the
    settings catalogue (it imports the definitions)."""
    from workflow.definitions import load_registry
    from workflow.settings import BY_KEY

    named = {(p.ref, t.trigger, f.name): f.options_from.setting for p in load_registry().all()
             for t in (p.create, *p.transitions) for f in t.payload
             if f.options_from is not None and f.options_from.setting is not None}
    assert named  # the enforcement case's field and power
    assert {where: key for where, key in named.items() if key not in BY_KEY} == {}
