"""Figures that read a time limit's verdict (workflow/figure_specs.py `deadline:`, workflow/figures.py): complaints
answered in time, late, and still open and overdue at the year's end, counted from what the engine recorded — the
verdict in the answering step's record and the open period's row — on SQLite and PostgreSQL (the open periods are
read from case_deadline). A malformed `deadline:` names the file, the path and why."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from workflow import accounts
from workflow.clock import FixedClock
from workflow.db import writing
from workflow.definitions import DefinitionError, DefinitionErrors, load_registry
from workflow.demo import ORG
from workflow.figures import declared, figures_of, stated
from workflow.runtime import Runtime

KEEPER = "guomin"  # 郭敏 keeps the registers (workflow/demo_registers.py)


def _complaint(town: Runtime, title: str) -> str:
    opened = town.engine.create_case("complaint", KEEPER, {
        "received_on": town.engine.today().isoformat(), "title": title, "complainants": [], "kind": "report",
        "channel": "online"})
    assert opened.ok and opened.case_id, [r.zh for r in opened.reasons]
    return opened.case_id


def _answer(town: Runtime, case_id: str) -> None:
    outcome = town.engine.fire(case_id, "answer", KEEPER, {
        "answered_on": town.engine.today().isoformat(), "result": "unsubstantiated", "answer": "经现场核查，情况不属实"})
    assert outcome.ok, [r.zh for r in outcome.reasons]


def _figures(town: Runtime, year: int) -> dict[str, str]:
    with town.sessions() as session:
        found = figures_of(session, {"complaint": declared(town.registry)["complaint"]}, [ORG], year)
    return {f.spec.id: stated(f) for f in found["complaint"]}


def test_complaints_answered_in_time_late_and_overdue_at_the_years_end(town: Runtime, clock: FixedClock) -> None:
    with writing(town.sessions) as session:
        for key, value in (("petitions.complaint_answer_days", 15), ("petitions.complaint_day_unit", "calendar_days")):
            accounts.set_setting(session, org_id=ORG, key=key, value=value, source="测试：本镇投诉举报处理制度",
                                 by="admin", now=clock.now())
    clock.set_local_date(date(2026, 3, 2))  # all three received today: due on 17 March
    in_time, late, _open = (_complaint(town, t) for t in ("举报占道经营", "举报夜间施工", "举报违规广告"))
    clock.set_local_date(date(2026, 3, 10))
    _answer(town, in_time)
    clock.set_local_date(date(2026, 4, 1))  # a real late answer: the engine records it as late, never refuses it
    _answer(town, late)

    figures = _figures(town, 2026)
    assert (figures["answered_in_time"], figures["answered_late"], figures["answer_overdue"]) == ("1", "1", "1")
    assert figures["answered"] == "2"
    assert _figures(town, 2025)["answer_overdue"] == "0"  # not yet received at 2025's end


BASE = Path(__file__).resolve().parent.parent / "definitions" / "complaint.v1.yaml"


@pytest.mark.one_database
@pytest.mark.parametrize(("figure", "reason"), [
    ({"deadline": {"id": "no_such_period", "verdict": "late"}}, "'no_such_period' is not a deadline"),
    ({"deadline": {"id": "answer_period", "verdict": "soon"}}, "Must be one of"),
    ({"deadline": {"id": "answer_period", "verdict": "late"}, "date": "entry.received_on"}, "exactly one of"),
])
def test_a_malformed_deadline_figure_names_the_file_the_path_and_why(tmp_path: Path, figure: dict[str, Any],
                                                                       reason: str) -> None:
    import yaml

    data = yaml.safe_load(BASE.read_text(encoding="utf-8"))
    data["figures"] = [{"id": "bad", "label": {"zh": "错误", "en": "Bad"}, **figure}]
    path = tmp_path / "complaint.v1.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises((DefinitionError, DefinitionErrors)) as raised:
        load_registry(tmp_path)
    text = str(raised.value)
    assert "complaint.v1.yaml" in text and "figures.0" in text and reason in text, text
