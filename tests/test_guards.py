"""Guards that read history beyond the current record (units kept in superseded and earlier rounds)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from workflow.calendar import default_calendar
from workflow.guards import GuardContext
from workflow.procedures import GUARDS


def _ctx(data: dict, payload: dict, trigger: str = "start_post_evaluation") -> GuardContext:
    return GuardContext(trigger=trigger, state="executing", payload=payload, data=data, actor="huangzhenhua",
                        actor_roles=frozenset({"head"}), now=datetime(2026, 6, 1, tzinfo=UTC),
                        today=date(2026, 6, 1), calendar=default_calendar(), settings={})


def test_an_evaluator_whose_earlier_assessment_was_superseded_is_not_independent() -> None:
    data = {
        "risk_assessment": {"unit": "后龙镇综治中心", "conclusion": "controllable"},
        "superseded": {"risk_assessment": [{"unit": "泉港区维稳评估所", "conclusion": "uncontrollable"}]},
        "previous_rounds": [{"expert_argumentation": {"unit": "泉州市规划设计研究院"}}],
    }
    check = GUARDS["evaluator_independent"].fn
    assert check(_ctx(data, {"evaluator_unit": "泉港区维稳评估所"})) is not None
    assert check(_ctx(data, {"evaluator_unit": "泉州市规划设计研究院 "})) is not None
    assert check(_ctx(data, {"evaluator_unit": "福建省社会科学院评估中心"})) is None


# A statute's article (第七十六条); a central document by its number (中办发〔2016〕30号), with its part where it
# has parts (国办发〔2018〕115号）（三）): the normative-document rules come from the State Council's opinions;
# or, where no national rule exists (contracts: legal-facts-2 §2), the organisation's own rule (本单位…规定),
# which is an organisation setting recording its source document (workflow/settings.py); or a consistency check of
# a register's own entries that says it has no legal basis (数据核对（无法定依据…）: an activity's date against its
# observance), so that it is never mistaken for a rule of law.
CITES = re.compile(r"第[一二三四五六七八九十百零\d]+条|〔\d{4}〕\d+号|本单位[^；]*规定|^数据核对（无法定依据")


def test_every_guard_cites_an_article_and_explains_itself() -> None:
    for guard in GUARDS.values():
        assert CITES.search(guard.article), (guard.name, guard.article)
        assert guard.zh and guard.en, guard.name
