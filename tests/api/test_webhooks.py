"""Webhooks (issue 17 item 2): an administrator subscribes a URL through the API; the worker POSTs each anchored
event the subscription's owner may read, signed, to a real HTTP server (tests/webhook_receiver.py) that verifies
the signature as docs/api.md says. What an integrator relies on: every event once, checkable against the trail;
a receiver that fails or hangs retried, never holding up the others; a dead letter after the last attempt; a
new secret taken into use without a rejected delivery; a replay from a cursor; a delivery log.

Most tests run on SQLite only; the claiming (two workers at once, each delivery sent once) on both databases."""

from __future__ import annotations

import threading
import time
from hashlib import sha256

import pytest

from tests.api.conftest import ENFORCEMENT, START, is_json_error, new_case, other_town
from tests.api.test_event_feed import _anchor
from tests.web.helpers import csrf_from, login, parse
from tests.webhook_receiver import HANG, webhook_receiver
from workflow.audit.canonical import canonical_bytes
from workflow.models import AuditEvent, MessageOutbox, admin_journal_id
from workflow.timers import outbox
from workflow.timers import webhooks as delivery

AUDITOR = "liushen"  # reads every major decision of the town (its visibility: auditor)


def _subscribe(api_for, receiver, **body) -> dict:
    response = api_for("admin").post("/webhooks", json={"name": "OA 待办同步", "url": receiver.url,
                                                         "owner": AUDITOR, **body})
    assert response.status_code == 201, response.get_json()
    made = response.get_json()
    receiver.secrets.append(made["secret"])
    return made


def _run(town) -> outbox.Delivery:
    """What the worker does after its checkpoint: anchor, queue, send."""
    _anchor(town)
    return delivery.deliver(town.sessions, town.engine.registry, town.clock)


def _events_of(town, case_ids) -> set[tuple[str, int]]:
    with town.sessions() as s:
        return {(e.case_id, e.seq) for e in s.query(AuditEvent).filter(AuditEvent.case_id.in_(list(case_ids)))}


@pytest.mark.one_database
def test_each_event_the_owner_may_read_is_posted_once_signed_and_checkable_against_the_trail(api_for, town) -> None:
    other = other_town(town)
    _anchor(town)  # what was anchored before the subscription is not sent (unless replayed)
    before = new_case(town, title="订阅之前")
    _anchor(town)
    with webhook_receiver() as receiver:
        made = _subscribe(api_for, receiver)
        assert made["secret"].startswith("whsec_") and made["owner"] == AUDITOR
        assert "secret" not in api_for("admin").get("/webhooks").get_json()["items"][0]
        cases = [new_case(town, title=f"决策{i}") for i in range(2)]
        api_for("zhangwei").fire(cases[0], "start", START)  # refused (a drafter): an event too
        api_for("huangzhenhua").fire(cases[0], "start", START)
        result = _run(town)
        assert result.sent == len(receiver.accepted) and result.failed == 0
        assert receiver.forged == []
        got = [(b["event"]["case"], b["event"]["seq"]) for b in receiver.bodies()]
        assert len(got) == len(set(got)) and set(got) == _events_of(town, cases)  # nothing else: not `before`,
        assert before not in {c for c, _ in got} and other not in {c for c, _ in got}  # nor another town's
        assert {b["event"]["kind"] for b in receiver.bodies()} >= {"created", "transition", "refused"}
        for d in receiver.accepted:
            event = d.body["event"]
            assert sha256(canonical_bytes({k: v for k, v in event.items() if k not in ("type", "hash")})
                          ).hexdigest() == event["hash"]
            assert d.headers["x-lawflow-delivery"] == str(d.body["delivery"])
            assert d.headers["x-lawflow-event"] == event["kind"] and d.body["masked"] is False
        indexes = [b["log_index"] for b in receiver.bodies()]
        assert indexes == sorted(indexes)
        # the feed gives the same events at the same indexes
        feed = api_for(AUDITOR).get("/audit/events?after=-1&limit=1000").get_json()["events"]
        assert {(i["log_index"], i["event"]["hash"]) for i in feed} >= {
            (b["log_index"], b["event"]["hash"]) for b in receiver.bodies()}
        # the next run sends nothing again
        assert _run(town).sent == 0 and len(receiver.answered) == len(got)
        log = api_for("admin").get(f"/webhooks/{made['id']}/deliveries?limit=500").get_json()["items"]
        assert {(i["case_id"], i["seq"]) for i in log} == set(got)
        assert {i["status"] for i in log} == {"sent"} and {i["attempts"] for i in log} == {1}


@pytest.mark.one_database
def test_the_worker_sends_what_the_owner_reads_masked_where_the_owner_may_not_see_the_party(api_for, town) -> None:
    """`lawflow worker --once` anchors and sends. The auditor reads a penalty case but not its party (the
    definition's visibility): the party's name is masked and `masked` says so; the hash is the trail's. A drafter
    reads no penalty case: a subscription owned by them gets none of its events."""
    from click.testing import CliRunner

    from workflow import cli

    _anchor(town)  # the signing key: the worker anchors each run
    with webhook_receiver() as auditors, webhook_receiver() as drafters:
        _subscribe(api_for, auditors)
        _subscribe(api_for, drafters, owner="zhangwei")
        case_id = town.engine.create_case("enforcement_case", "wanghai", ENFORCEMENT).case_id
        decision = new_case(town)
        result = CliRunner().invoke(cli.cli, ["worker", "--once"], obj={"runtime": town})
        assert result.exit_code == 0, result.output
        (created,) = [b for b in auditors.bodies() if b["event"]["case"] == case_id]
        assert created["masked"] is True and created["event"]["payload"]["party"] != ENFORCEMENT["party"]
        with town.sessions() as s:
            stored = s.query(AuditEvent).filter(AuditEvent.case_id == case_id, AuditEvent.seq == 1).one()
        assert created["event"]["hash"] == stored.hash  # the trail's hash, to check against an export
        assert {b["event"]["case"] for b in drafters.bodies()} == {decision}


@pytest.mark.one_database
def test_a_receiver_that_answers_500_is_retried_after_the_back_off_and_gets_the_event_once(api_for, town) -> None:
    with webhook_receiver(500) as receiver:
        made = _subscribe(api_for, receiver)
        case_id = new_case(town)
        failed = _run(town)
        assert (failed.sent, failed.failed) == (0, 1) and receiver.accepted == []
        (row,) = api_for("admin").get(f"/webhooks/{made['id']}/deliveries").get_json()["items"]
        assert (row["status"], row["attempts"]) == ("pending", 1) and "500" in row["last_error"]
        assert delivery.deliver(town.sessions, town.engine.registry, town.clock).sent == 0  # not before the back-off
        town.clock.advance(seconds=outbox.BACKOFF[0].total_seconds() + 1)
        assert _run(town).sent == 1
        assert [(b["event"]["case"], b["event"]["seq"]) for b in receiver.bodies()] == [(case_id, 1)]
        (row,) = api_for("admin").get(f"/webhooks/{made['id']}/deliveries").get_json()["items"]
        assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 2, "")
        town.clock.advance(hours=3)
        assert _run(town).sent == 0 and len(receiver.accepted) == 1  # delivered once


@pytest.mark.one_database
def test_a_receiver_that_hangs_costs_one_timeout_a_run_and_ends_a_dead_letter(api_for, town, app, monkeypatch) -> None:
    monkeypatch.setattr(delivery, "TIMEOUT", 0.3)
    attempts = 3 * outbox.MAX_ATTEMPTS  # three events, each tried MAX_ATTEMPTS times: a hang, then 500s
    with webhook_receiver(HANG, *[500] * (attempts - 1)) as failing, webhook_receiver() as healthy:
        slow = _subscribe(api_for, failing)
        _subscribe(api_for, healthy)
        for i in range(3):
            new_case(town, title=f"决策{i}")
        started = time.monotonic()
        first = _run(town)
        assert time.monotonic() - started < 1.0 + 0.3  # one timeout, not one per delivery
        assert (first.sent, first.failed) == (3, 1)  # the healthy receiver got all three in the same run
        assert len(healthy.accepted) == 3 and len(failing.answered) == 1
        for _ in range(attempts - 1):
            town.clock.advance(hours=3)
            assert _run(town).failed == 1  # a failing receiver's turn ends at its first failure
        assert len(failing.answered) == attempts and failing.accepted == []
        log = api_for("admin").get(f"/webhooks/{slow['id']}/deliveries").get_json()["items"]
        assert [(i["status"], i["attempts"]) for i in log] == [("dead", outbox.MAX_ATTEMPTS)] * 3
        assert {"HTTP Error 500" in i["last_error"] for i in log} == {True}
        town.clock.advance(hours=3)
        assert _run(town).failed == 0 and len(failing.answered) == attempts  # dead letters are not sent again
        # the administration page lists them with the other dead letters, as webhooks; sent again from there
        browser = app.test_client()
        assert login(browser, "admin").status_code == 302
        page = browser.get("/admin/")
        dead = parse(page).one(f"tr#dead-message-{log[0]['id']}")
        assert f"事件推送 {slow['id']}" in dead.text()
        retried = browser.post(f"/admin/messages/{log[0]['id']}/retry", data={"csrf_token": csrf_from(page)})
        assert retried.status_code == 302
        assert _run(town).sent == 1 and len(failing.accepted) == 1  # the receiver answers 200 now


@pytest.mark.one_database
def test_a_new_secret_signs_beside_the_old_one_for_the_overlap_then_alone(api_for, town) -> None:
    with webhook_receiver() as receiver:
        made = _subscribe(api_for, receiver)
        old = receiver.secrets[0]
        rotated = api_for("admin").post(f"/webhooks/{made['id']}/secrets", json={"overlap_hours": 2})
        assert rotated.status_code == 201, rotated.get_json()
        new = rotated.get_json()["secret"]
        assert new != old and len(api_for("admin").get("/webhooks").get_json()["items"][0]["secrets"]) == 2
        new_case(town)
        _run(town)
        (first,) = receiver.accepted
        assert first.headers["x-lawflow-signature"].count("v1=") == 2
        assert delivery.verify(old, first.headers["x-lawflow-signature"], first.raw, time.time())
        assert delivery.verify(new, first.headers["x-lawflow-signature"], first.raw, time.time())
        town.clock.advance(hours=2, seconds=1)
        receiver.secrets[:] = [new]
        new_case(town)
        _run(town)
        assert receiver.forged == [] and len(receiver.accepted) == 2
        assert receiver.accepted[1].headers["x-lawflow-signature"].count("v1=") == 1


@pytest.mark.one_database
def test_a_replay_sends_again_the_events_after_a_cursor_marked_as_replays(api_for, town) -> None:
    with webhook_receiver() as receiver:
        made = _subscribe(api_for, receiver)
        cases = [new_case(town, title=f"决策{i}") for i in range(3)]
        _run(town)
        first = receiver.bodies()
        cursor = first[0]["log_index"]
        answer = api_for("admin").post(f"/webhooks/{made['id']}/replay", json={"after": cursor})
        assert answer.status_code == 202 and answer.get_json()["queued"] == 2 and not answer.get_json()["more"]
        _run(town)
        again = receiver.bodies()[3:]
        assert [(b["log_index"], b["replay"]) for b in again] == [(b["log_index"], True) for b in first[1:]]
        assert {b["event"]["case"] for b in again} == set(cases[1:])
        assert len({b["delivery"] for b in receiver.bodies()}) == 5  # each a delivery of its own in the log


@pytest.mark.one_database
def test_webhooks_are_an_administrators_and_their_organisations(api_for, town) -> None:
    with webhook_receiver() as receiver:
        made = _subscribe(api_for, receiver)
        assert is_json_error(api_for("zhangwei").get("/webhooks"), 403)["code"] == "admin_only"
        assert is_json_error(api_for("zhangwei").post("/webhooks", json={"name": "x", "url": receiver.url}),
                             403)["code"] == "admin_only"
        bad = api_for("admin").post("/webhooks", json={"name": "x", "url": "ftp://example.org/hook"})
        assert is_json_error(bad, 422)["code"] == "admin_refused"
        unknown = api_for("admin").post("/webhooks", json={"name": "x", "url": receiver.url, "procedures": ["nope"]})
        assert is_json_error(unknown, 422)["code"] == "admin_refused"
        assert is_json_error(api_for("admin").get("/webhooks/999/deliveries"), 404)["code"] == "webhook_not_found"
        # each change is an event of the organisation's administration journal
        with town.sessions() as s:
            triggers = [e.trigger for e in s.query(AuditEvent).filter(AuditEvent.case_id == admin_journal_id("houlong"))]
        assert "webhook_created" in triggers
        keyed = api_for("admin").post("/webhooks", json={"name": "带密钥", "url": receiver.url + "?key=s3cret"})
        assert keyed.status_code == 201 and keyed.get_json()["url"].endswith("?key=s3cret")
        with town.sessions() as s:
            payloads = [e.payload for e in s.query(AuditEvent).filter(AuditEvent.case_id == admin_journal_id("houlong"))]
        assert not any("s3cret" in str(p) for p in payloads)  # a key in the URL never enters the trail
        api_for("admin").request("DELETE", f"/webhooks/{keyed.get_json()['id']}")
        assert api_for("admin").request("DELETE", f"/webhooks/{made['id']}").status_code == 204
        assert api_for("admin").get("/webhooks").get_json()["items"] == []
        new_case(town)
        assert _run(town).sent == 0 and receiver.accepted == []  # nothing more is sent
        assert is_json_error(api_for("admin").request("DELETE", f"/webhooks/{made['id']}"), 404)


def test_two_workers_at_once_send_each_delivery_once(api_for, town) -> None:
    """The claiming: two workers deliver at the same moment (PostgreSQL: SKIP LOCKED); each event reaches the
    receiver once, and the delivery log says sent once."""
    with webhook_receiver() as receiver:
        made = _subscribe(api_for, receiver)
        for i in range(6):
            new_case(town, title=f"决策{i}")
        _anchor(town)
        delivery.queue(town.sessions, town.engine.registry, town.clock)
        results: list[outbox.Delivery] = []

        def work() -> None:
            results.append(delivery.deliver(town.sessions, town.engine.registry, town.clock))

        workers = [threading.Thread(target=work) for _ in range(2)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(30)
        got = [(b["event"]["case"], b["event"]["seq"]) for b in receiver.bodies()]
        assert len(got) == 6 == len(set(got)) and sum(r.sent for r in results) == 6
        with town.sessions() as s:
            rows = s.query(MessageOutbox).filter(MessageOutbox.target == str(made["id"])).all()
        assert [(r.status, r.attempts) for r in rows] == [("sent", 1)] * 6

