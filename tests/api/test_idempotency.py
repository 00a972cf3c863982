"""Retrying a write safely: the `Idempotency-Key` header (web/api/idempotency.py, workflow/engine/idempotency.py).

An integration that lost the answer to a POST sends it again with the same key: it gets the first result, and
nothing is written twice — one case, one event, one record. The same key with another request is refused; a
key sent at the same moment by two clients still opens one case. On both databases: the key is kept in the
write's own transaction, and what two concurrent transactions do with it is the database's business."""

from __future__ import annotations

import json
import threading

from sqlalchemy import func, select

from tests.api.conftest import PROPOSAL, START, is_json_error, new_case
from tests.api.test_records import PDF, RECORD, enforcement_case, multipart
from workflow.engine import RequestKey
from workflow.models import AuditEvent, Case, IdempotencyKey


def _count(town, query) -> int:
    with town.sessions() as s:
        return s.scalar(select(func.count()).select_from(query.subquery())) or 0


def _cases(town) -> int:
    return _count(town, select(Case.id))


def _events(town, case_id: str) -> int:
    return _count(town, select(AuditEvent.id).where(AuditEvent.case_id == case_id))


def _create(client, key: str | None, payload=None):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post("/cases", json={"procedure": "major_decision", "payload": payload or PROPOSAL},
                       headers=headers)


def test_a_create_sent_twice_with_one_key_opens_one_case(api_for, town) -> None:
    client = api_for("zhangwei")
    before = _cases(town)
    first = _create(client, "oa-doc-2026-0001")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    again = _create(client, "oa-doc-2026-0001")
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"] and again.headers["Location"] == first.headers["Location"]
    assert _cases(town) == before + 1
    assert _events(town, first.get_json()["id"]) == 1  # one `created` event: the retry wrote nothing
    other = _create(client, "oa-doc-2026-0002")  # another key is another request
    assert other.status_code == 201 and other.get_json()["id"] != first.get_json()["id"]
    assert _create(client, None).status_code == 201  # without the header, as before: every POST is new
    assert _cases(town) == before + 3


def test_a_step_sent_twice_with_one_key_lands_once_and_answers_the_same_event(api_for, town) -> None:
    case_id = new_case(town)
    head = api_for("huangzhenhua")
    send = lambda: head.post(f"/cases/{case_id}/transitions/start", json={"payload": START},  # noqa: E731
                             headers={"If-Match": 'W/"1"', "Idempotency-Key": "start-1"})
    first, again = send(), send()
    assert first.status_code == again.status_code == 200, again.get_json()
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["ETag"] == first.headers["ETag"] == 'W/"2"'
    assert _events(town, case_id) == 2  # created + start: the retry is not a second event, nor a stale refusal
    # without a key the same retry is what it always was: refused as stale, and that refusal is audited
    stale = head.post(f"/cases/{case_id}/transitions/start", json={"payload": START}, headers={"If-Match": 'W/"1"'})
    assert is_json_error(stale, 409)["details"]["reasons"][0]["code"] == "stale"
    assert _events(town, case_id) == 3


def test_a_refusal_sent_again_with_its_key_answers_the_first_refusal_and_records_it_once(api_for, town) -> None:
    case_id = new_case(town)
    drafter = api_for("zhangwei")  # the head starts a decision (条例第十条), not the drafter
    send = lambda: drafter.post(f"/cases/{case_id}/transitions/start", json={"payload": START},  # noqa: E731
                                headers={"If-Match": 'W/"1"', "Idempotency-Key": "k-refused"})
    first, again = send(), send()
    assert first.status_code == again.status_code == 403
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    assert _events(town, case_id) == 2  # created + one refusal


def test_a_key_used_for_another_request_is_refused_and_nothing_is_written(api_for, town) -> None:
    client = api_for("zhangwei")
    first = _create(client, "reused-key")
    assert first.status_code == 201
    before = _cases(town)
    changed = _create(client, "reused-key", {**PROPOSAL, "title": "另一项决策"})
    body = is_json_error(changed, 422)
    assert body["code"] == "idempotency_key_reused" and "Idempotency-Key" in body["message_en"]
    assert _cases(town) == before
    # another path with the key is another request as well
    case_id = first.get_json()["id"]
    elsewhere = api_for("zhangwei").post(f"/cases/{case_id}/transitions/attach_material", json={"payload": {}},
                                         headers={"If-Match": 'W/"1"', "Idempotency-Key": "reused-key"})
    assert is_json_error(elsewhere, 422)["code"] == "idempotency_key_reused"
    assert _events(town, case_id) == 1


def test_keys_are_the_senders_own(api_for, town) -> None:
    """Two users choosing the same key do not see each other's results."""
    first = _create(api_for("zhangwei"), "shared-name")
    second = _create(api_for("lina"), "shared-name")
    assert first.status_code == second.status_code == 201, second.get_json()
    assert "Idempotent-Replayed" not in second.headers
    assert second.get_json().get("id") != first.get_json()["id"]


def test_a_header_that_is_no_key_is_a_400_and_nothing_is_written(api_for, town) -> None:
    client = api_for("zhangwei")
    before = _cases(town)
    for bad in ("", "has space", "x" * 256, "非ASCII"):
        response = client.post("/cases", json={"procedure": "major_decision", "payload": PROPOSAL},
                               headers={"Idempotency-Key": bad.encode().decode("latin-1")})
        assert is_json_error(response, 400)["code"] == "idempotency_key_invalid", bad
    assert _cases(town) == before


def test_a_key_is_forgotten_after_a_day(api_for, town) -> None:
    client = api_for("zhangwei")
    first = _create(client, "daily")
    town.clock.advance(hours=24, seconds=1)
    again = _create(client, "daily")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert again.get_json()["id"] != first.get_json()["id"]
    with town.sessions() as s:  # the expired row was replaced, not kept beside the new one
        assert s.scalar(select(func.count()).select_from(IdempotencyKey)
                        .where(IdempotencyKey.key == "daily")) == 1


def test_an_upload_sent_twice_with_one_key_keeps_one_record(api_for, town) -> None:
    case_id = enforcement_case(town)
    client = api_for("wanghai")

    def send(content: bytes = PDF):
        body, content_type = multipart([
            ("payload", None, "application/json", json.dumps(RECORD, ensure_ascii=False).encode()),
            ("file", "询问笔录.pdf", "application/octet-stream", content)])
        return client.post(f"/cases/{case_id}/records", data=body, content_type=content_type,
                           headers={"If-Match": 'W/"1"', "Idempotency-Key": "upload-1"})

    first, again = send(), send()
    assert first.status_code == again.status_code == 201, again.get_json()
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    assert _events(town, case_id) == 2
    other_file = send(PDF + b"% another page\n")  # the file is part of the request the key names
    assert is_json_error(other_file, 422)["code"] == "idempotency_key_reused"
    assert not any(p.is_file() for p in (town.records.root / "tmp").rglob("*"))


def test_one_key_sent_by_many_at_once_opens_one_case(town) -> None:
    """Eight threads, each its own connection, send the same create with the same key at the same moment."""
    request = RequestKey("zhangwei", "burst", "f" * 64)
    before = _cases(town)
    outcomes, start = [], threading.Barrier(8)

    def create() -> None:
        start.wait()
        outcomes.append(town.engine.create_case("major_decision", "zhangwei", PROPOSAL, request=request))

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(outcomes) == 8 and all(o.ok for o in outcomes)
    assert len({o.case_id for o in outcomes}) == 1
    assert sum(not o.replayed for o in outcomes) == 1
    assert _cases(town) == before + 1
    assert town.engine.create_case("major_decision", "zhangwei", PROPOSAL).case_id != outcomes[0].case_id


# Writes that are idempotent by what they are, each with why: no key is needed to send them again safely.
IDEMPOTENT_BY_NATURE = {
    "/api/v1/witness/checkpoints": "a bundle sent again is acknowledged from the checkpoints the district holds "
                                   "(workflow/audit/cosigning.py): nothing is kept or co-signed twice",
    "/api/v1/tokens": "not idempotent, and says so: a token is shown once and only its hash is kept, so a replay "
                      "could not answer the same token; a retried issue is a second token, listed by GET /tokens "
                      "and revoked there (docs/api.md)",
    "/api/v1/webhooks": "not idempotent, and says so, as a token: its secret is in the first answer only; a retried "
                        "subscription is a second one, listed by GET /webhooks and deleted there (docs/api.md)",
    "/api/v1/webhooks/{webhook_id}/secrets": "the same: a retried rotation adds another secret, the ones before "
                                             "it retire at the overlap's end",
    "/api/v1/webhooks/{webhook_id}/replay": "a replay sent again queues the events again, each a delivery of its "
                                            "own; the receiver drops a repeat by its log_index (docs/api.md)",
}


def test_the_document_offers_the_header_on_every_write(app) -> None:
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "post" and not path.endswith("/check") and path not in IDEMPOTENT_BY_NATURE:
                names = {p.get("name") for p in operation.get("parameters", [])}
                assert "Idempotency-Key" in names, (method, path)


