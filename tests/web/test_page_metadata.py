"""Whom a page serves is read from the definitions' display metadata (`pages:`, workflow/pages.py), not from
role names in web/: change the block and the page opens to other people, with no code changed."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from tests.web.helpers import login
from web import create_app
from workflow.definitions import DEFINITIONS_DIR, load_registry
from workflow.runtime import Runtime


def _app_with(town: Runtime, tmp_path: Path, change: dict[str, list[str]]) -> object:
    """The app on the town, its definitions' meeting blocks changed (both major-decision versions)."""
    folder = tmp_path / "definitions"
    shutil.copytree(DEFINITIONS_DIR, folder)
    for path in folder.glob("major_decision.v*.yaml"):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        raw["pages"]["meeting"].update(change)
        path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    town.__dict__["registry"] = load_registry(folder)  # the runtime's cached registry, as if started on it
    return create_app(town, {"TESTING": True, "SECRET_KEY": "test-secret-key-for-the-web-tests-only"})


def _status(app: object, username: str, path: str) -> int:
    client = app.test_client()  # type: ignore[attr-defined]
    assert login(client, username).status_code == 302
    return client.get(path).status_code


def test_the_meeting_page_serves_the_roles_its_definitions_name(town: Runtime, tmp_path: Path) -> None:
    shipped = create_app(town, {"TESTING": True, "SECRET_KEY": "test-secret-key-for-the-web-tests-only"})
    assert _status(shipped, "zhengli", "/meetings/") == 200  # a decision-body member, as shipped
    assert _status(shipped, "chenjing", "/meetings/") == 403  # legal counsel
    changed = _app_with(town, tmp_path, {"roles": ["head", "legal_counsel"], "readers": []})
    assert _status(changed, "zhengli", "/meetings/") == 403
    assert _status(changed, "chenjing", "/meetings/") == 200
    assert _status(changed, "huangzhenhua", "/meetings/") == 200  # the chair still sits in it
