"""Step definitions for features/major_decision/10_集体讨论法定人数.feature: the quorum setting and the roll call.

The quorum is an organisation setting with its source (workflow/settings.py); the absent members are what
the engine recorded in the convening step's data (its definition's roll_call), read back here by name.
"""

from __future__ import annotations

import re

from pytest_bdd import given, parsers, then
from sqlalchemy import delete

from tests.features.steps import PEOPLE, STEP_BY_TRIGGER, Scene
from workflow import accounts
from workflow.db import writing
from workflow.demo import ORG
from workflow.models import OrgSetting
from workflow.procedures.major_decision.law import QUORUM_SETTING

CONVENE = STEP_BY_TRIGGER["convene_meeting"]
SOURCE = "后龙镇人民政府工作规则（示意）：镇长办公会议须有过半数组成人员出席方能举行"


@given(parsers.re(r"后龙镇规定集体讨论须有超过(?P<share>\d+)%的组成人员出席"))
def town_quorum(scene: Scene, share: str) -> None:
    with writing(scene.town.sessions) as session:
        accounts.set_setting(session, org_id=ORG, key=QUORUM_SETTING, value=int(share), source=SOURCE,
                             by="admin", now=scene.clock.now())


@given("后龙镇尚未设置集体讨论的法定人数")
def no_quorum(scene: Scene) -> None:
    with writing(scene.town.sessions) as session:
        session.execute(delete(OrgSetting).where(OrgSetting.org_id == ORG, OrgSetting.key == QUORUM_SETTING))


@then(parsers.re(r"会议记录载明缺席的组成人员为(?P<names>.+)"))
def absent_members(scene: Scene, names: str) -> None:
    assert CONVENE.roll_call is not None and CONVENE.record is not None
    meeting = scene.data()[CONVENE.record.key]
    expected = [] if names == "无" else [PEOPLE[n] for n in re.split("[、和]", names) if n]
    assert meeting[CONVENE.roll_call.absent] == expected
