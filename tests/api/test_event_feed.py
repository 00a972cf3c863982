"""GET /api/v1/audit/events: an organisation's audit events from a cursor, in the order of the Merkle log.

What an integration needs of it: every event it may see once, in one order, resumable from the last cursor it
kept; never another organisation's; each event checkable by its hash and its link to the one before. An event
is in the feed once a checkpoint anchors it. On both databases: the order rests on what each commits."""

from __future__ import annotations

import threading
from hashlib import sha256

from tests.api.conftest import START, is_json_error, new_case, other_town
from workflow import administration
from workflow.audit import signing
from workflow.audit.canonical import canonical_bytes
from workflow.audit.checkpoint import make_checkpoint
from workflow.models import AuditEvent, Case, admin_journal_id

GENESIS = "0" * 64


def _anchor(town) -> None:
    if not town.key_path.exists():
        signing.generate_key_file(town.key_path)
    make_checkpoint(town.sessions, town.key_path, town.origin, town.clock)


def _read_all(client, after: int = -1, limit: int = 3) -> tuple[list[dict], int]:
    """Follow the feed page by page from `after` until it says nothing more waits."""
    events = []
    while True:
        response = client.get(f"/audit/events?after={after}&limit={limit}")
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        events += body["events"]
        after = body["next_after"]
        if not body["more"]:
            return events, after


def _own_events(town, orgs=("houlong",)) -> set[tuple[str, int]]:
    with town.sessions() as s:
        cases = {c for (c,) in s.query(Case.id).filter(Case.org_id.in_(orgs))} | {admin_journal_id(o) for o in orgs}
        return {(e.case_id, e.seq) for e in s.query(AuditEvent) if e.case_id in cases}


def test_an_auditor_reads_every_anchored_event_of_the_organisation_once_in_log_order(api_for, town) -> None:
    other_town(town)
    head = api_for("huangzhenhua")
    for i in range(3):
        case_id = new_case(town, title=f"决策{i}")
        api_for("zhangwei").fire(case_id, "start", START)  # refused: in the feed too
        head.fire(case_id, "start", START)
    # an administrator's act: the organisation's administration journal is in the feed too
    assert administration.set_active(town.sessions, actor="admin", username="lina", active=False,
                                     now=town.clock.now())
    _anchor(town)
    events, cursor = _read_all(api_for("liushen"))
    indexes = [e["log_index"] for e in events]
    assert indexes == sorted(indexes) and len(set(indexes)) == len(indexes)
    got = {(e["event"]["case"], e["event"]["seq"]) for e in events}
    assert got == _own_events(town) and len(got) == len(events)
    assert not any(e["event"]["case"].startswith("shanyao") for e in events)  # never another organisation's
    assert {e["event"]["kind"] for e in events} >= {"created", "transition", "refused"}
    assert admin_journal_id("houlong") in {e["event"]["case"] for e in events}
    # each event checks: its hash over its canonical body, its link to the one before in its chain
    last: dict[str, str] = {}
    for item in events:
        event = item["event"]
        body = {k: v for k, v in event.items() if k not in ("type", "hash")}
        assert sha256(canonical_bytes(body)).hexdigest() == event["hash"]
        assert event["prev"] == last.get(event["case"], GENESIS)
        last[event["case"]] = event["hash"]
    # resuming from the last cursor gives nothing new until something new is anchored
    assert _read_all(api_for("liushen"), cursor)[0] == []
    case_id = new_case(town, title="检查点之后")
    assert _read_all(api_for("liushen"), cursor)[0] == []  # not anchored yet
    _anchor(town)
    later, _ = _read_all(api_for("liushen"), cursor)
    assert [(e["event"]["case"], e["event"]["seq"]) for e in later] == [(case_id, 1)]


def test_paging_while_events_are_written_and_anchored_neither_skips_nor_repeats(api_for, town) -> None:
    """A writer keeps opening cases and anchoring them while the reader pages through with small pages."""
    client = api_for("liushen")
    for i in range(4):
        new_case(town, title=f"先有{i}")
    _anchor(town)
    stop = threading.Event()

    def write() -> None:
        n = 0
        while not stop.is_set() and n < 12:
            new_case(town, title=f"并发{n}")
            if n % 3 == 2:
                _anchor(town)
            n += 1

    writer = threading.Thread(target=write)
    writer.start()
    seen: list[tuple[str, int]] = []
    after = -1
    for _ in range(200):
        body = client.get(f"/audit/events?after={after}&limit=2").get_json()
        seen += [(e["event"]["case"], e["event"]["seq"]) for e in body["events"]]
        after = body["next_after"]
        if not writer.is_alive() and not body["more"]:
            break
    stop.set()
    writer.join()
    _anchor(town)
    rest, _ = _read_all(client, after)
    seen += [(e["event"]["case"], e["event"]["seq"]) for e in rest]
    assert len(seen) == len(set(seen))  # nothing twice
    assert set(seen) == _own_events(town)  # nothing missing


def test_the_feed_is_for_auditors_and_checks_its_cursor(api_for, town) -> None:
    new_case(town)
    _anchor(town)
    assert is_json_error(api_for("zhangwei").get("/audit/events"), 403)["code"] == "auditor_only"
    assert is_json_error(api_for("liushen").get("/audit/events?after=-2"), 422)["code"] == "validation_error"
    assert is_json_error(api_for("liushen").get("/audit/events?limit=1001"), 422)["code"] == "validation_error"
    before_anything = api_for("liushen").get("/audit/events").get_json()
    assert before_anything["checkpoint"]["tree_size"] >= 1 and before_anything["events"]


def test_before_the_first_checkpoint_the_feed_is_empty_and_says_so(api_for, town) -> None:
    new_case(town)
    body = api_for("liushen").get("/audit/events").get_json()
    assert body == {"events": [], "next_after": -1, "more": False, "checkpoint": None}


def test_the_worker_anchors_each_run_so_the_feed_follows_without_an_operator(api_for, town) -> None:
    """`lawflow worker` with a signing key anchors what was written since its last run: the feed advances."""
    from click.testing import CliRunner

    from workflow import cli

    signing.generate_key_file(town.key_path)
    case_id = new_case(town)
    assert _read_all(api_for("liushen"))[0] == []  # written, not anchored yet
    result = CliRunner().invoke(cli.cli, ["worker", "--once"], obj={"runtime": town})
    assert result.exit_code == 0, result.output
    events, cursor = _read_all(api_for("liushen"))
    assert (case_id, 1) in {(e["event"]["case"], e["event"]["seq"]) for e in events}
    later = new_case(town)
    assert CliRunner().invoke(cli.cli, ["worker", "--once"], obj={"runtime": town}).exit_code == 0
    assert [(e["event"]["case"], e["event"]["seq"]) for e in _read_all(api_for("liushen"), cursor)[0]] == [(later, 1)]
