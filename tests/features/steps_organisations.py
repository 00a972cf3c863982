"""Steps of the organisations' tree (issue 14): a district above the town, a sibling town, and their people.

The tree is made as an operator makes it (workflow/administration.py: `lawflow org add`), the people as the demo's
(workflow/accounts.py); the steps they try are taken through the engine like every other scenario's.
"""

from __future__ import annotations

from pytest_bdd import given, parsers, when

from tests.features.steps import Scene
from workflow import accounts
from workflow.db import writing
from workflow.demo import ORG
from workflow.models import Organization

DISTRICT, SIBLING = "quangang", "fengwei"
# the people of the other organisations (name -> user name, organisation, roles)
OTHERS = {"庄明辉": ("qg.zhuangminghui", DISTRICT, ["supervisor"]), "苏国栋": ("fw.suguodong", SIBLING, ["head"])}


def _org(scene: Scene, code: str, name: str, kind: str, parent: str | None) -> None:
    with writing(scene.town.sessions) as session:
        org = accounts.ensure_org(session, code, name, name)
        org.kind, org.parent_id = kind, parent


def _person(scene: Scene, demo_password_hash: str, name: str, unit: str) -> None:
    username, org, roles = OTHERS[name]
    with writing(scene.town.sessions) as session:
        accounts.create_user(session, org_id=org, username=username, display_name=name, unit=unit, roles=roles,
                             password_hash=demo_password_hash)
    scene.people[name] = username


@given(parsers.re(r"后龙镇隶属于泉港区，区司法局的(?P<name>庄明辉)担任上级执法监督人员"))
def district_supervisor(scene: Scene, demo_password_hash: str, name: str) -> None:
    _org(scene, DISTRICT, "泉州市泉港区人民政府", "district", None)
    with writing(scene.town.sessions) as session:
        town = session.get(Organization, ORG)
        assert town is not None
        town.parent_id = DISTRICT
    _person(scene, demo_password_hash, name, "泉港区司法局")


@given(parsers.re(r"峰尾镇与后龙镇同属泉港区，(?P<name>苏国栋)担任峰尾镇镇长"))
def sibling_head(scene: Scene, demo_password_hash: str, name: str) -> None:
    _org(scene, DISTRICT, "泉州市泉港区人民政府", "district", None)
    _org(scene, SIBLING, "泉州市泉港区峰尾镇人民政府", "town", DISTRICT)
    _person(scene, demo_password_hash, name, "峰尾镇镇长")


@when(parsers.re(r"(?P<name>庄明辉|苏国栋)决定启动该决策"))
def other_organisation_starts(scene: Scene, name: str) -> None:
    scene.act("start", name, strict=False)
