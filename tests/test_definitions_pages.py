"""The display metadata of a definition (`pages:`, workflow/pages.py) is validated on load like the rest of it,
every error naming the file, the path inside it and the reason; and web/ names no step or role of a procedure:
which page shows which step, and whom a page serves, is read from this block."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

from workflow.definitions import DEFINITIONS_DIR, DefinitionError, load_file, load_registry
from workflow.pages import page_roles

DECISION = DEFINITIONS_DIR / "major_decision.v2.yaml"
WEB = Path(__file__).resolve().parent.parent / "web"
# String literals of web/ that happen to spell a trigger and mean something else, each with what it means.
NOT_A_STEP = {
    ("diagram.py", "start"): "the SVG text-anchor value",
    ("api/schemas.py", "start"): "the keyword of the compliance period's first day",
}


def _raw() -> dict:
    return yaml.safe_load(DECISION.read_text(encoding="utf-8"))


def _problems(tmp_path: Path, raw: dict) -> dict[str, str]:
    path = tmp_path / DECISION.name
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_file(path)
    assert str(path) in str(info.value)
    return dict(info.value.problems)


def test_the_shipped_definitions_say_which_pages_serve_whom() -> None:
    registry = load_registry()
    assert page_roles(registry.all(), "review") == {"legal_counsel", "legal_adviser", "legal_reviewer",
                                                    "county_reviewer"}  # normative documents: 115号（四）
    assert page_roles(registry.all(), "meeting") == {"decision_member", "head"}
    assert page_roles(registry.all(), "minutes") == {"decision_member", "head", "auditor", "legal_counsel"}
    assert page_roles(registry.all(), "audit") == {"auditor", "supervisor"}  # a district reads its towns (issue 14)
    assert page_roles(registry.all(), "compliance") == {"auditor", "agency_head", "head", "supervisor"}
    meeting = registry.get("major_decision", 1).pages.meeting
    assert meeting is not None and meeting.chair == "head" and meeting.convene == "convene_meeting"
    assert dict(meeting.decisions) == {"adopt_decision": "agree", "reject_decision": "disagree",
                                       "defer_decision": "disagree"}
    review = registry.get("enforcement_review").pages.review
    assert review is not None and review.checklist == "record_checklist_finding" and review.outcome is None
    assert registry.get("enforcement_case").pages.review is None


def test_an_unknown_page_is_refused_with_the_known_ones(tmp_path: Path) -> None:
    raw = _raw()
    raw["pages"]["dashboard"] = {"roles": ["head"]}
    assert _problems(tmp_path, raw) == {"pages.dashboard": "unknown page (known: review, meeting, audit, compliance, register, todo)"}


def test_a_page_naming_an_unknown_role_is_refused(tmp_path: Path) -> None:
    raw = _raw()
    raw["pages"]["meeting"]["roles"] = ["decision_member", "head", "mayor"]
    raw["pages"]["meeting"]["readers"] = ["auditors"]
    assert _problems(tmp_path, raw) == {
        "pages.meeting.roles.2": "unknown role 'mayor' (not in roles:)",
        "pages.meeting.readers.0": "unknown role 'auditors' (not in roles:)",
    }


def test_a_page_naming_an_unknown_trigger_is_refused(tmp_path: Path) -> None:
    raw = _raw()
    raw["pages"]["meeting"]["convene"] = "hold_meeting"
    raw["pages"]["meeting"]["decisions"]["veto_decision"] = "disagree"
    raw["pages"]["review"]["outcome"]["alternative"] = "send_back"
    assert _problems(tmp_path, raw) == {
        "pages.meeting.convene": "unknown trigger 'hold_meeting' (no such transition)",
        "pages.meeting.decisions.veto_decision": "unknown trigger 'veto_decision' (no such transition)",
        "pages.review.outcome.alternative": "unknown trigger 'send_back' (no such transition)",
    }


def test_a_choice_a_chair_and_a_record_key_must_be_what_the_definition_has(tmp_path: Path) -> None:
    raw = _raw()
    raw["pages"]["meeting"]["view"]["choice"] = "statement"  # a text field, not a choice
    raw["pages"]["review"]["outcome"]["choice"] = "reasons"
    raw["pages"]["review"]["materials"].append("minutes")
    raw["pages"]["meeting"]["roles"] = ["decision_member"]  # the chair (head) no longer sits in it
    assert _problems(tmp_path, raw) == {
        "pages.meeting.chair": "the chair 'head' sits in the meeting: list it under pages.meeting.roles",
        "pages.meeting.view.choice": "'statement' is not a choice payload field of 'record_member_view'",
        "pages.review.outcome.choice": "'reasons' is not a choice payload field of 'issue_legality_opinion'",
        "pages.review.materials.5": "'minutes' is not where any step records (record: set/append/update)",
    }


def test_a_decision_must_side_with_a_value_of_the_view(tmp_path: Path) -> None:
    raw = _raw()
    raw["pages"]["meeting"]["decisions"]["defer_decision"] = "later"
    assert _problems(tmp_path, raw) == {
        "pages.meeting.decisions.defer_decision": "'later' is not a value of 'view' (abstain, agree, disagree)"}


def _literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def test_web_names_no_trigger_or_role_of_any_definition() -> None:
    """Every string literal in web/*.py is compared with the triggers and roles of every loaded definition:
    a page that picks a step or a role by name must read it from the definition's `pages:` block instead."""
    registry = load_registry()
    names = {t.trigger: f"a trigger of {p.ref}" for p in registry.all() for t in p.transitions}
    names |= {r: f"a role of {p.ref}" for p in registry.all() for r in p.roles}
    files = sorted(WEB.rglob("*.py"))
    assert len(files) > 20  # the scan reads the pages, not an empty folder
    found = [f"web/{path.relative_to(WEB)}:{line}: {value!r} is {names[value]}"
             for path in files for line, value in _literals(path)
             if value in names and (path.relative_to(WEB).as_posix(), value) not in NOT_A_STEP]
    assert found == []


def test_the_scan_finds_a_trigger_written_into_a_page(tmp_path: Path) -> None:
    page = tmp_path / "page.py"
    page.write_text('ISSUE = "issue_legality_opinion"\nROLE = "x"\n', encoding="utf-8")
    assert (1, "issue_legality_opinion") in _literals(page)
