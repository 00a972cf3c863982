"""Reading witnessed checkpoints from what an operator actually holds: the witness folder, a line printed by
`lawflow audit checkpoint`, a page listing checkpoints, an export; a malformed witness is refused by name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workflow.audit import witness

CHECKPOINT = {"format": "lawflow.checkpoint.v1", "origin": "lawflow/houlong", "tree_size": 117, "root": "ab" * 32,
              "issued_at": "2026-12-07T03:00:00.000000Z", "prev_checkpoint": None, "key_id": "0123456789abcdef",
              "signature": "c2ln"}


def test_a_witness_folder_gives_its_checkpoints_with_their_counters(tmp_path: Path) -> None:
    item = witness.entry(CHECKPOINT, "c2ln", "2026-12-07T03:00:01Z", {"houlong/EC/2026": 4})
    witness.write(tmp_path, item)
    witness.write(tmp_path, {**item, "tree_size": 120, "root": "cd" * 32})
    last = witness.last(tmp_path)
    assert last is not None and last.tree_size == 120 and last.case_numbers == {"houlong/EC/2026": 4}
    assert sorted(w.tree_size for w in witness.read(tmp_path)) == [117, 120, 120]  # history + last
    assert witness.witnessed_highs(witness.read(tmp_path)) == {"houlong/EC/2026": 4}
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


@pytest.mark.parametrize("text", [
    json.dumps({"type": "checkpoint", **CHECKPOINT}, ensure_ascii=False),  # `lawflow audit checkpoint` stdout
    json.dumps({"checkpoints": [CHECKPOINT]}),  # a page listing published checkpoints
    "\n".join(json.dumps(r) for r in ({"type": "header"}, {"type": "checkpoint", **CHECKPOINT})),  # an export
    json.dumps([CHECKPOINT]),
])
def test_checkpoints_kept_elsewhere_are_read_in_the_shapes_they_come_in(tmp_path: Path, text: str) -> None:
    path = tmp_path / "kept.jsonl"
    path.write_text(text)
    [found] = witness.read(path)
    assert found.tree_size == 117 and found.record["root"] == "ab" * 32 and found.case_numbers == {}


@pytest.mark.parametrize("text, words", [
    ("{not json\n", "malformed JSON"),
    (json.dumps({k: v for k, v in CHECKPOINT.items() if k != "root"}), "lacks root"),
    (json.dumps({**CHECKPOINT, "tree_size": "117"}), "tree_size"),
])
def test_a_malformed_witness_is_refused_by_name(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(witness.WitnessError) as refused:
        witness.read(path)
    assert words in str(refused.value) and str(path) in str(refused.value)
