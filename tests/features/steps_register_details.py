"""Step definitions for the registers' details of issue 14 (features/mediation/03_任期和调解期限.feature): the town's
settings for the mediation registers' periods, and whether an entry shows as overdue on its register
(workflow/register_io.py `overdue`, the query the to-do and case lists read)."""

from __future__ import annotations

from pytest_bdd import given, parsers, then

from tests.features.steps import Scene
from tests.features.steps_registers import REGISTERS
from workflow import accounts, register_io
from workflow.db import writing
from workflow.demo import ORG

SOURCE = "后龙镇人民调解工作制度（示意）"
PERIODS = {"mediation.committee_term_years": 3, "mediation.dispute_period_days": 30}


@given("后龙镇已按本镇制度设置人民调解委员会任期和调解纠纷期限")
def mediation_periods(scene: Scene) -> None:
    with writing(scene.town.sessions) as session:
        for key, value in PERIODS.items():
            accounts.set_setting(session, org_id=ORG, key=key, value=value, source=SOURCE, by="admin",
                                 now=scene.clock.now())


@then(parsers.re(r"该登记在台账中(?P<shown>列为期限已届满|未列为逾期)"))
def shown_overdue(scene: Scene, shown: str) -> None:
    case = scene.case()
    procedure = next(p for p in REGISTERS.values() if p.id == case.procedure)
    with scene.town.sessions() as session:
        listed = [o.case_id for o in register_io.overdue(session, procedure, ORG, scene.today())]
    assert (case.id in listed) == (shown == "列为期限已届满"), listed


@then(parsers.re(r'"(?P<label>[^"]+)"暂不计算，原因为"(?P<why>[^"]+)"'))
def period_paused(scene: Scene, label: str, why: str) -> None:
    procedure = next(p for p in REGISTERS.values() if p.id == scene.case().procedure)
    name = next(name for name, spec in procedure.deadlines.items() if spec.label.zh == label)
    row = scene.deadline(name)
    assert row is not None and row.due is None and why in (row.paused_zh or ""), row
