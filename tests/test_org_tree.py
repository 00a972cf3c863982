"""Organisations in a tree (issue 14 item 1, workflow/org_tree.py): a kind, a parent, the organisations below, and
no cycle; from the command line (`lawflow org add --kind`, `org list`, `org move`), each change audited. Who reads
what along the tree: tests/web/test_org_matrix.py."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.cli import Lawflow
from workflow import administration, org_tree
from workflow.models import AuditEvent, Organization, admin_journal_id
from workflow.runtime import Runtime

# The tree's rules are plain Python over one small query: SQLite only (tests/conftest.py, one_database); the
# migration that adds the kind runs on both (tests/test_migrations.py).
pytestmark = pytest.mark.one_database

PASSWORD = "tree-admin-2026"


def _add(lawflow: Lawflow, code: str, *extra: str) -> str:
    result = lawflow("org", "add", code, "--name", f"{code}单位", "--admin", f"{code}.admin", "--admin-name", "管理员",
                     *extra, env={"LAWFLOW_NEW_ADMIN_PASSWORD": PASSWORD})
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture
def tree(town: Runtime, lawflow: Lawflow) -> Runtime:
    """qg (district) over houlong and fw (towns); houlong over sfs (an office)."""
    _add(lawflow, "qg", "--kind", "district")
    _add(lawflow, "fw", "--parent", "qg")
    _add(lawflow, "sfs", "--parent", "houlong", "--kind", "office")
    assert lawflow("org", "move", "houlong", "--parent", "qg").returncode == 0
    return town


def test_an_organisation_has_a_kind_a_parent_and_the_organisations_below(tree: Runtime, lawflow: Lawflow) -> None:
    with tree.sessions() as s:
        assert {o.id: (o.kind, o.parent_id) for o in s.scalars(select(Organization))} == {
            "qg": ("district", None), "houlong": ("town", "qg"), "fw": ("town", "qg"), "sfs": ("office", "houlong")}
        assert org_tree.subtree(s, "qg") == ["qg", "fw", "houlong", "sfs"]  # itself, then breadth-first
        assert org_tree.descendants(s, "houlong") == ["sfs"]
        assert org_tree.descendants(s, "fw") == []
        assert list(org_tree.ancestors(s, "sfs")) == ["houlong", "qg"]
    listed = lawflow("org", "list").stdout.splitlines()
    assert listed == ["qg  [区 District]  qg单位", "  fw  [镇（街道） Town]  fw单位",
                      "  houlong  [镇（街道） Town]  泉州市泉港区后龙镇人民政府", "    sfs  [站所 Office]  sfs单位"]


@pytest.mark.parametrize(("code", "parent"), [("qg", "qg"), ("qg", "sfs"), ("houlong", "sfs")])
def test_a_cycle_is_refused_naming_both_and_nothing_changes(tree: Runtime, lawflow: Lawflow, code: str,
                                                            parent: str) -> None:
    with tree.sessions() as s:
        before = s.get(Organization, code).parent_id
        events = len(s.scalars(select(AuditEvent).where(AuditEvent.case_id == admin_journal_id(code))).all())
    result = lawflow("org", "move", code, "--parent", parent)
    assert result.returncode != 0
    assert f"不能将「{parent}」设为「{code}」的上级" in result.stderr and "cycle" in result.stderr
    with tree.sessions() as s:
        assert s.get(Organization, code).parent_id == before
        assert len(s.scalars(select(AuditEvent).where(AuditEvent.case_id == admin_journal_id(code))).all()) == events


def test_a_move_is_recorded_in_the_organisations_journal(tree: Runtime) -> None:
    with tree.sessions() as s:
        moved = s.scalars(select(AuditEvent).where(AuditEvent.case_id == admin_journal_id("houlong"),
                                                   AuditEvent.trigger == "organisation_moved")).all()
    assert len(moved) == 1 and moved[0].role == "operator" and moved[0].actor.startswith("console:")
    payload = moved[0].payload
    assert (json.loads(payload) if isinstance(payload, str) else payload) == {
        "org_id": "houlong", "old_parent": None, "parent": "qg"}
    assert not administration.move_organisation(tree.sessions, code="houlong", parent="qg", operator="console:t",
                                                now=tree.clock)  # already there: nothing recorded


def test_an_unknown_kind_or_parent_is_refused(town: Runtime, lawflow: Lawflow) -> None:
    result = lawflow("org", "add", "xx", "--name", "x", "--kind", "province", "--admin", "xx.admin",
                     "--admin-name", "x", env={"LAWFLOW_NEW_ADMIN_PASSWORD": PASSWORD})
    assert result.returncode != 0 and "province" in result.stderr
    with pytest.raises(administration.AdminError, match="上级单位「nowhere」不存在"):
        administration.move_organisation(town.sessions, code="houlong", parent="nowhere", operator="console:t",
                                         now=town.clock)
    with pytest.raises(administration.AdminError, match="单位类型.*one of: district, town, office"):
        administration.add_organisation(town.sessions, operator="console:t", now=town.clock, data={
            "code": "xx", "name": "x", "kind": "province", "admin_username": "xx.admin", "admin_name": "x",
            "password": PASSWORD})
