"""The replay function and what it needs: the Beijing date of an event, the optional hashed `facts`, one record
spec per trigger (workflow/replay.py, replay_event in workflow/audit/verifier.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from workflow.audit.trail import chain_event
from workflow.audit.verifier import (
    GENESIS,
    Verifier,
    event_hash,
    local_day,
    replay_event,
    row_difference,
    validate_event,
)
from workflow.clock import local_date, parse_stamp
from workflow.definitions import DEFINITIONS_DIR, DefinitionError, load_file, load_registry
from workflow.replay import step_specs


@pytest.mark.parametrize("at", [
    "2026-03-01T15:59:59.999999Z", "2026-03-01T16:00:00.000000Z", "2026-02-28T16:00:00.000000Z",
    "2028-02-28T16:30:00.000000Z", "2028-02-29T23:00:00.000000Z", "2026-12-31T16:00:00.000000Z",
    "2026-04-30T20:00:00.000000Z", "2026-01-31T00:00:00.000000Z",
])
def test_local_day_is_the_engine_s_beijing_date(at: str) -> None:
    assert local_day(at) == local_date(parse_stamp(at)).isoformat()


class _Head:
    def __init__(self) -> None:
        self.id, self.audit_seq, self.audit_head = "EC-2026-0001", 0, GENESIS


def _body(row: dict[str, Any]) -> dict[str, Any]:
    import json

    body = {"format": row["format"], "case": row["case_id"], "seq": row["seq"], "kind": row["kind"],
            "trigger": row["trigger"], "from": row["from_state"], "to": row["to_state"], "actor": row["actor"],
            "role": row["role"], "at": row["at"], "procedure": row["procedure"], "payload": json.loads(row["payload"]),
            "reasons": json.loads(row["reasons"]), "prev": row["prev"]}
    if row["facts"] is not None:
        body["facts"] = json.loads(row["facts"])
    return body


def test_facts_are_hashed_only_when_present() -> None:
    fields = {"kind": "transition", "at": "2026-03-01T01:00:00.000000Z", "procedure": "enforcement_case@1",
              "trigger": "publish", "from_state": "decided", "to_state": "decided", "actor": "a", "role": "r",
              "payload": {"x": "1"}}
    plain = chain_event(_Head(), **fields)
    assert plain["facts"] is None and "facts" not in _body(plain)
    assert event_hash(_body(plain)) == plain["hash"]
    assert chain_event(_Head(), **fields, facts={})["hash"] == plain["hash"]  # empty: absent
    verdict = {"timeliness": {"publication": {"due": "2026-03-10", "ended_on": "2026-03-01", "on_time": True}}}
    with_facts = chain_event(_Head(), **fields, facts=verdict)
    body = _body(with_facts)
    assert body["facts"] == verdict and with_facts["hash"] != plain["hash"]
    assert event_hash(body) == with_facts["hash"]
    validate_event({**body, "hash": with_facts["hash"]})

    def verify(event: dict[str, Any]) -> str:
        v = Verifier(check_signatures=False)
        v.feed({"type": "header", "format": "lawflow.export.v1", "origin": "o", "generator": "g", "exported_at": "x"})
        v.feed({"type": "event", **event})
        v.feed({"type": "case", "case": event["case"], "head_seq": 1, "head_hash": event["hash"]})
        report = v.finish()
        return "" if report.ok else f"{report.first_error.field}: {report.message}"  # type: ignore[union-attr]

    assert verify({**body, "hash": with_facts["hash"]}) == ""
    tampered = {**body, "facts": {"timeliness": {"publication": {**verdict["timeliness"]["publication"],
                                                                 "on_time": False}}}}
    assert verify({**tampered, "hash": with_facts["hash"]}).startswith("hash:")
    assert verify({**body, "facts": {}, "hash": with_facts["hash"]}).startswith("facts:")


def test_the_timeliness_in_facts_is_replayed_into_the_data() -> None:
    registry = load_registry()
    steps = step_specs(registry.get("major_decision", 1))
    created = {"kind": "created", "procedure": "major_decision@1", "trigger": "create", "to": "proposed",
               "actor": "u", "at": "2026-03-01T17:00:00.000000Z", "seq": 1, "hash": "a" * 64,
               "payload": {"title": "T", "category": "public_policy", "proposer": "leader", "summary": "s"}}
    row = replay_event(None, created, steps["create"])
    assert row is not None and (row["state"], row["version"], row["title"]) == ("proposed", 1, "T")
    assert row["data"]["proposal"]["recorded_on"] == "2026-03-02"  # 17:00 UTC is the next day in Beijing
    start = {"kind": "transition", "procedure": "major_decision@1", "trigger": "start", "to": "drafting",
             "actor": "h", "at": "2026-03-02T01:00:00.000000Z", "seq": 2, "hash": "b" * 64,
             "payload": {"lead_unit": "办"}, "facts": {"timeliness": {"p": {"on_time": False, "late": {"why": "x"}}}}}
    after = replay_event(row, start, steps["start"])
    assert after is not None and after["version"] == 2 and row["version"] == 1  # the old row is untouched
    assert after["data"]["initiation"]["timeliness"] == {"p": {"on_time": False, "late": {"why": "x"}}}
    refused = {**start, "kind": "refused", "seq": 3, "hash": "c" * 64}
    assert {k: v for k, v in replay_event(after, refused, None).items() if k != "head_seq" and k != "head_hash"} \
        == {k: v for k, v in after.items() if k != "head_seq" and k != "head_hash"}
    stored = {**after, "data": {**after["data"], "initiation": {**after["data"]["initiation"], "event_seq": True}}}
    assert row_difference(stored, after) == ("data.initiation.event_seq", "the row has true, its events give 2")


def test_a_trigger_must_record_the_same_way_from_every_source(tmp_path: Path) -> None:
    raw = yaml.safe_load((DEFINITIONS_DIR / "major_decision.v1.yaml").read_text(encoding="utf-8"))
    i, step = next((i, t) for i, t in enumerate(raw["transitions"]) if t["trigger"] == "start_major_adjustment")
    assert isinstance(step["source"], list) and len(step["source"]) == 2
    first, second = dict(step, source=step["source"][0]), dict(step, source=step["source"][1])
    second["record"] = {"set": "another_key"}
    raw["transitions"][i:i + 1] = [first, second]
    path = tmp_path / "major_decision.v1.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_file(path)
    assert any(where == f"transitions.{i + 1}.record" and "records differently" in reason
               for where, reason in info.value.problems), info.value.problems
