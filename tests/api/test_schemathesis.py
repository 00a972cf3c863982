"""schemathesis against the OpenAPI document, in-process on the Flask app, with a valid token.

Every operation gets generated requests, both fitting the document (positive) and not (negative); every
answer must be documented (status, content type, headers, body schema) and none may be a 5xx. The document is
read without its `default` responses: every status the server gives must be declared by its own number, as a
generated client needs it (issue 17). The suite gives
each operation a small, fixed number of examples (derandomized: the same requests every run), so that both
modes on both databases stay well under a minute; `make fuzz` runs the same tests with many more
(LAWFLOW_FUZZ_EXAMPLES), as a separate, longer command.

The generated case ids rarely name a case, so the record upload (multipart/form-data: a JSON `payload` part
and a `file` part) is run a second time against a real penalty case, with an officer's token and the case's
current version as If-Match: its generated bodies then reach the engine, which stages the file and refuses
on the merits (the payload, the file), and every answer is checked against the document the same way.

(schemathesis' own pytest integration, `schemathesis.pytest.from_fixture`, does not run under pytest 9.2:
it sets `Node._nodeid`, which pytest no longer has. Its Hypothesis strategies are used directly instead.)
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance
from sqlalchemy import select

from tests.api.conftest import ENFORCEMENT, new_case
from workflow.models import AuditEvent, Case


def strict_schema(app) -> schemathesis.specs.openapi.schemas.OpenApiSchema:
    """The served document without the `default` responses: an undeclared status fails the check."""
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    for operations in document["paths"].values():
        for method, operation in operations.items():
            if method != "parameters":
                operation["responses"].pop("default", None)
    schema = schemathesis.openapi.from_dict(document)
    schema.app = app
    schema.location = "/api/v1/openapi.json"
    return schema


EXAMPLES = int(os.environ.get("LAWFLOW_FUZZ_EXAMPLES", "5"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_conforms_to_its_document(app, town, token_for, mode) -> None:
    new_case(town)  # houlong-MD-2026-0001 exists, so that some generated ids find a case
    schema = strict_schema(app)
    headers = {"Authorization": f"Bearer {token_for('huangzhenhua')}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 28  # every method of every path
    failures: list[str] = []
    for operation in operations:

        @SETTINGS
        @given(case=operation.as_strategy(generation_mode=mode))
        def check(case: schemathesis.Case) -> None:
            # Not positive_data_acceptance: a request that fits the document may still be refused on the
            # merits, by the engine (a guard, a payload field of the step, an unknown procedure): 422 by design.
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        try:
            check()
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_record_upload_conforms_on_a_real_case(app, town, token_for, mode) -> None:
    case_id = town.engine.create_case("enforcement_case", "wanghai", ENFORCEMENT).case_id
    schema = strict_schema(app)
    operation = schema["/api/v1/cases/{case_id}/records"]["POST"]
    headers = {"Authorization": f"Bearer {token_for('wanghai')}"}

    def on_the_case(case: schemathesis.Case) -> schemathesis.Case:
        with town.sessions() as s:
            version = s.get(Case, case_id).version
        case.path_parameters = {"case_id": case_id}
        case.headers = {**(case.headers or {}), "If-Match": f'W/"{version}"'}
        return case

    @SETTINGS
    @given(case=operation.as_strategy(generation_mode=mode).map(on_the_case))
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

    check()
    with town.sessions() as s:
        refused = s.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.kind == "refused")).all()
    assert refused  # the generated uploads reached the engine (and were refused on the merits)
    objects = town.records.objects  # every generated upload was refused: nothing kept, nothing left staged
    assert not objects.exists() or not any(p.is_file() for p in objects.rglob("*"))
    assert not any(p.is_file() for p in (town.records.root / "tmp").rglob("*"))
