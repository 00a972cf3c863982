"""The API as an integrator meets it (issue 17): only the served OpenAPI document, a client generated from it
with openapi-python-client, and docs/api.md.

The document is fetched over HTTP from a served instance, checked by openapi-spec-validator, and a client is
generated from it (docs/openapi-client.yaml is the generator's configuration an integrator uses too). With
only that client the test then opens a case twice with one Idempotency-Key (one case), takes a step with
If-Match, meets a refusal as a typed error, attaches a record and downloads it, and reads the audit trail's
export and event feed as an auditor, syncs the to-do list (listTodo), and receives a signed webhook for each
change on a local HTTP server that verifies it (docs/api.md, "Integration guide"): on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime
import enum
import hashlib
import importlib
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate
from werkzeug.serving import make_server

from tests.api.conftest import ENFORCEMENT, PROPOSAL, START
from tests.api.test_event_feed import _anchor
from tests.api.test_records import PDF, RECORD
from tests.webhook_receiver import Receiver, webhook_receiver
from workflow.audit.canonical import canonical_bytes
from workflow.models import AuditEvent, Case
from workflow.timers import webhooks

ROOT = Path(__file__).resolve().parents[2]
GENERATOR_CONFIG = ROOT / "docs" / "openapi-client.yaml"
PACKAGE = "lawflow_client"
_GENERATED: dict[str, Path] = {}  # the document's SHA-256 -> the folder holding the generated package


@pytest.fixture
def served(app) -> Iterator[str]:
    """The app on a real HTTP server (a generated client speaks HTTP, not WSGI): its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        thread.join(5)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """The OA system's webhook endpoint: it verifies each delivery's signature (tests/webhook_receiver.py)."""
    with webhook_receiver() as running:
        yield running


def generate(document: bytes, where: Path) -> Path:
    """openapi-python-client's package for this document (generated once per document per test process)."""
    digest = hashlib.sha256(document).hexdigest()
    if digest not in _GENERATED:
        spec = where / "openapi.json"
        spec.write_bytes(document)
        out = where / "client"
        run = subprocess.run(  # the generator's own command line, as an integrator runs it
            [str(Path(sys.executable).parent / "openapi-python-client"), "generate", "--path", str(spec),
             "--meta", "none", "--output-path", str(out / PACKAGE), "--config", str(GENERATOR_CONFIG)],
            capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stdout + run.stderr
        # the generator says when it had to leave a piece out ("Unsupported content_type", ...): none may be
        assert "Warning" not in run.stdout and "Warning" not in run.stderr, run.stdout + run.stderr
        _GENERATED[digest] = out
    return _GENERATED[digest]


def client_package(folder: Path) -> ModuleType:
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]  # another document's package of the same name, from an earlier test
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))


def sub(package: ModuleType, name: str) -> Any:
    return importlib.import_module(f"{package.__name__}.{name}")


def test_an_integrator_works_through_a_client_generated_from_the_document(
        served, town, token_for, tmp_path_factory, receiver) -> None:
    document = httpx.get(served + "/api/v1/openapi.json", timeout=10).content
    validate(json.loads(document))  # openapi-spec-validator: the document is a valid OpenAPI 3 document
    lf = client_package(generate(document, tmp_path_factory.mktemp("generated")))
    models = sub(lf, "models")
    types = sub(lf, "types")
    drafter = lf.AuthenticatedClient(base_url=served, token=token_for("zhangwei"), raise_on_unexpected_status=True)

    # the definitions, typed
    listed = sub(lf, "api.definitions.list_definitions").sync(client=drafter)
    assert isinstance(listed, models.DefinitionList)
    assert "major_decision" in {d.procedure for d in listed.items}

    # the OA's administrator subscribes its endpoint to what the auditor may read; the secret is shown once
    admin = lf.AuthenticatedClient(base_url=served, token=token_for("admin"), raise_on_unexpected_status=True)
    hook = sub(lf, "api.webhooks.create_webhook").sync(client=admin, body=models.NewWebhook.from_dict(
        {"name": "OA 待办同步", "url": receiver.url, "owner": "liushen", "procedures": ["major_decision"]}))
    assert isinstance(hook, models.CreatedWebhook) and hook.secret.startswith("whsec_")
    receiver.secrets.append(hook.secret)

    # opening a case twice with one Idempotency-Key opens one case and answers it twice
    create = sub(lf, "api.cases.create_case")
    body = models.CreateCase.from_dict({"procedure": "major_decision", "payload": PROPOSAL})
    first = create.sync_detailed(client=drafter, body=body, idempotency_key="oa-doc-2026-0417")
    again = create.sync_detailed(client=drafter, body=body, idempotency_key="oa-doc-2026-0417")
    assert first.status_code == 201 and again.status_code == 201
    assert isinstance(first.parsed, models.CaseDetail)
    case_id = first.parsed.case_id
    assert again.parsed.case_id == case_id
    with town.sessions() as s:
        assert s.query(Case).filter(Case.procedure == "major_decision").count() == 1

    # the to-do list synced into the OA's inbox: the new case awaits the head's decision to start it
    head = lf.AuthenticatedClient(base_url=served, token=token_for("huangzhenhua"), raise_on_unexpected_status=True)
    list_todo = sub(lf, "api.todo.list_todo")
    todo = list_todo.sync(client=head, role="head")
    assert isinstance(todo, models.TodoPage)
    waiting = {item.case.case_id: [step.trigger for step in item.steps] for item in todo.items}
    assert "start" in waiting[case_id]

    # a step with the case's ETag as If-Match; the same ETag again is stale: a typed refusal
    read = sub(lf, "api.cases.get_case").sync_detailed(case_id, client=head)
    version = read.headers["ETag"]
    fire = sub(lf, "api.transitions.fire_step")
    # the step's payload typed by its own model, generated from the definition (Payload_major_decision_2_start)
    typed = models.PayloadMajorDecision2Start.from_dict(START)
    assert typed.lead_unit == START["lead_unit"]
    started = fire.sync_detailed(case_id, "start", client=head, if_match=version,
                                 body=models.Fire.from_dict({"payload": typed.to_dict()}))
    assert started.status_code == 200 and isinstance(started.parsed, models.FireResult), started.content
    assert (started.parsed.from_state, started.parsed.to_state) == ("proposed", "drafting")
    assert isinstance(started.parsed.to_state, enum.Enum)  # states are an enum of the loaded definitions' states
    stale = fire.sync_detailed(case_id, "start", client=head, if_match=version,
                               body=models.Fire.from_dict({"payload": START}))
    assert stale.status_code == 409 and isinstance(stale.parsed, models.Error)
    assert [r.code for r in stale.parsed.details.reasons] == ["stale"]
    assert isinstance(stale.parsed.details.reasons[0].code, enum.Enum)  # a code the document knows: an enum
    todo = list_todo.sync(client=head, role="head")  # synced again: the head's step is done
    assert "start" not in {s.trigger for item in todo.items if item.case.case_id == case_id for s in item.steps}

    # a record attached with its file (multipart) and downloaded as the same bytes
    officer = lf.AuthenticatedClient(base_url=served, token=token_for("wanghai"), raise_on_unexpected_status=True)
    enforcement = create.sync(client=officer, body=models.CreateCase.from_dict(
        {"procedure": "enforcement_case", "payload": ENFORCEMENT}))
    etag = sub(lf, "api.cases.get_case").sync_detailed(enforcement.case_id, client=officer).headers["ETag"]
    # a to-do item's time limit is a typed Deadline or None, its due date a date (not a string, no stray model)
    dated = [i for i in list_todo.sync(client=officer).items if i.case.case_id == enforcement.case_id]
    assert dated and isinstance(dated[0].due, models.Deadline) and isinstance(dated[0].due.due, datetime.date)
    assert not [name for name in dir(models) if name.startswith("TodoItemDue")]
    upload = models.RecordUpload(payload=models.RecordUploadPayload.from_dict(RECORD),
                                 file=types.File(payload=PDF, file_name="询问笔录.pdf",
                                                 mime_type="application/pdf"))
    attached = sub(lf, "api.records.attach_record").sync_detailed(enforcement.case_id, client=officer, body=upload,
                                                                  if_match=etag)
    assert attached.status_code == 201 and isinstance(attached.parsed, models.RecordCreated), attached.content
    file = sub(lf, "api.records.download_record").sync(enforcement.case_id, attached.parsed.record.no, client=officer)
    assert isinstance(file, types.File) and file.payload.read() == PDF

    # the auditor's export (JSON Lines) and event feed, typed
    auditor = lf.AuthenticatedClient(base_url=served, token=token_for("liushen"), raise_on_unexpected_status=True)
    export = sub(lf, "api.audit.export_audit_trail").sync(client=auditor)
    assert isinstance(export, types.File)
    lines = [json.loads(line) for line in export.payload.read().splitlines()]
    assert lines[0]["type"] == "header"
    events = [line for line in lines if line["type"] == "event"]
    assert {e["case"] for e in events} >= {case_id, enforcement.case_id}
    _anchor(town)  # the worker anchors the events in the Merkle log: the feed follows the log
    feed = sub(lf, "api.audit.list_audit_events").sync(client=auditor)
    assert isinstance(feed, models.FeedPage)
    assert {item.event["case"] for item in feed.events} >= {case_id, enforcement.case_id}

    # the worker's run after its checkpoint: a signed webhook for each change of the decision (its opening, the
    # refused stale step, the step taken), each verified by the receiver and checkable against the trail
    webhooks.deliver(town.sessions, town.engine.registry, town.clock)
    assert receiver.forged == []
    received = {(d.body["event"]["case"], d.body["event"]["seq"]): d.body for d in receiver.accepted}
    with town.sessions() as s:
        changes = {(e.case_id, e.seq) for e in s.query(AuditEvent).filter(AuditEvent.case_id == case_id)}
    assert set(received) == changes and len(receiver.accepted) == len(changes)
    assert {b["event"]["kind"] for b in received.values()} == {"created", "transition", "refused"}
    for body in received.values():
        event = {k: v for k, v in body["event"].items() if k not in ("type", "hash")}
        assert hashlib.sha256(canonical_bytes(event)).hexdigest() == body["event"]["hash"]
    log = sub(lf, "api.webhooks.list_webhook_deliveries").sync(hook.id, client=admin)
    assert isinstance(log, models.DeliveryList) and {d.status for d in log.items} == {"sent"}

    # an auditor-only resource read by a drafter: a typed 403, not a crash
    denied = sub(lf, "api.audit.export_audit_trail").sync_detailed(client=drafter)
    assert denied.status_code == 403 and isinstance(denied.parsed, models.Error)
    assert denied.parsed.code == "auditor_only"


@pytest.mark.one_database
def test_every_operation_has_a_unique_operation_id_and_declares_the_errors_it_may_give(app) -> None:
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    assert document["servers"], "a client needs a server entry"
    ids: list[str] = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            where = f"{method.upper()} {path}"
            assert operation.get("operationId"), f"{where} has no operationId"
            ids.append(operation["operationId"])
            declared = operation["responses"]
            assert "401" in declared, f"{where} does not declare 401"
            if "{" in path:
                assert "404" in declared, f"{where} does not declare 404"
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


@pytest.mark.one_database
def test_each_step_names_its_payload_schema_and_the_document_knows_the_definitions_names(app, api_for) -> None:
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    definition = api_for("zhangwei").get("/definitions/major_decision/2").get_json()
    for step in [definition["create"], *definition["transitions"]]:
        name = step["payload_schema"].removeprefix("#/components/schemas/")
        assert name == f"Payload_major_decision_2_{step['trigger']}"
        component = schemas[name]
        assert set(component.get("properties", {})) == {f["name"] for f in step["payload"]}, name
        assert set(component.get("required", [])) == {f["name"] for f in step["payload"] if f["required"]}, name
    assert {s["name"] for s in definition["states"]} <= set(schemas["Case"]["properties"]["state"]["enum"])
    assert "major_decision" in schemas["CreateCase"]["properties"]["procedure"]["enum"]
    fire = document["paths"]["/api/v1/cases/{case_id}/transitions/{trigger}"]
    triggers = next(p for p in fire.get("parameters", []) + fire["post"].get("parameters", [])
                    if p["name"] == "trigger")["schema"]["enum"]
    assert {t["trigger"] for t in definition["transitions"]} <= set(triggers)
