"""JSON columns are read with orjson (workflow.db.load_json) and must read back exactly what was written."""

from __future__ import annotations

import json
import math

from sqlalchemy import select

from workflow.db import load_json
from workflow.models import Case
from workflow.runtime import Runtime


def test_what_orjson_refuses_is_read_by_the_json_module() -> None:
    assert load_json("[1, 2]") == [1, 2]
    assert load_json(str(2**70)) == 2**70  # beyond 64 bits
    assert math.isnan(load_json(json.dumps({"x": float("nan")}))["x"])
    assert load_json(json.dumps({"s": "\ud800"})) == {"s": "\ud800"}  # a lone surrogate, as json.dumps writes it


def test_case_data_reads_back_as_written(town: Runtime) -> None:
    data = {"title": "关于“污水”治理\n的决定", "n": 2**70, "f": 0.1, "nested": [{"a": None, "b": True}], "e": "😀"}
    outcome = town.engine.create_case("major_decision", "zhangwei", {
        "title": "数据往返", "category": "public_policy", "proposer": "leader", "summary": "测试数据的读写一致"})
    assert outcome.ok, outcome.reasons
    with town.sessions() as s, s.begin():
        s.get(Case, outcome.case_id).data = data
    with town.sessions() as s:
        assert s.scalar(select(Case.data).where(Case.id == outcome.case_id)) == data
