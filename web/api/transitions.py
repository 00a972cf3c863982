"""Steps of a case: which the caller may take now (with their payload fields), and taking one.

Taking a step is engine.fire, once, with the version from If-Match as expected_version: the engine compares
it under the case's row lock, so of two clients that read version 7 only the first step lands and the
second gets 409 with the engine's "stale" reason. Every attempt, refused or not, is in the audit trail.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView

from web.api.auth import api_user
from web.api.base import NAME, ApiBlueprint, etag, if_match_version, own_case
from web.api.cases import ETAG_HEADER, procedure_of
from web.api.definitions import step_data
from web.api.errors import ApiError, ErrorSchema, reason_record, refusal, refusal_status
from web.api.idempotency import PARAMETER as IDEMPOTENCY_KEY
from web.api.idempotency import REUSED_RESPONSE, replay_headers, request_key, reused
from web.api.schemas import AvailableStepsSchema, CheckResultSchema, FireResultSchema, FireSchema
from web.runtime import runtime
from workflow.definitions import Label
from workflow.engine import KeyReused

blp = ApiBlueprint("transitions", __name__, url_prefix="/cases",
                   description="办理步骤 / Steps: what the caller may do now, and doing it (If-Match required)")

IF_MATCH = {"in": "header", "name": "If-Match", "required": True, "schema": {"type": "string"},
            "description": "the case's ETag as last read, e.g. W/\"7\" (or \"7\"); missing: 428, stale: 409"}


@blp.route("/<case_id>/transitions")
class AvailableSteps(MethodView):
    @blp.response(200, AvailableStepsSchema, headers=ETAG_HEADER)
    @blp.doc(operationId="listAvailableSteps")
    def get(self, case_id: str) -> tuple[dict[str, Any], int, dict[str, str]]:
        """The steps the caller's roles allow from the case's current state, with their payload fields

        Guards (the legal conditions) are checked when a step is taken; each is listed with its article."""
        user = api_user()
        rt = runtime()
        with rt.sessions() as s:
            case = own_case(s, case_id, user.org_id)
            procedure = procedure_of(case)
            steps = rt.engine.available_transitions(s, case, user.username) if procedure else []
            result = {"case_id": case.id, "state": case.state, "version": case.version,
                      "steps": [step_data(t, procedure) for t in steps if procedure]}
        return result, 200, {"ETag": etag(result["version"])}


@blp.route("/<case_id>/transitions/<trigger>")
class Step(MethodView):
    @blp.arguments(FireSchema, required=False)  # a step without fields may be taken with no body
    @blp.response(200, FireResultSchema, headers=ETAG_HEADER)
    @blp.alt_response(409, schema=ErrorSchema, description="The case changed since the version in If-Match "
                      "(reason `stale`), or the step is not possible in its current state")
    @blp.alt_response(428, schema=ErrorSchema, description="If-Match is missing")
    @blp.alt_response(403, schema=ErrorSchema, description="Refused: role or separation of duties")
    @blp.alt_response(422, schema=ErrorSchema, description="Refused: payload or legal conditions (guards), "
                      "each reason with its article; or the body is not valid; or " + REUSED_RESPONSE)
    @blp.doc(parameters=[IF_MATCH, IDEMPOTENCY_KEY], security=[{"bearerAuth": []}])
    @blp.doc(operationId="fireStep")
    def post(self, body: dict[str, Any], case_id: str, trigger: str) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Take a step (engine.fire)

        Send the case's ETag as If-Match. Success answers the new state and version (the new ETag); a
        refusal answers 403, 409 or 422 with every reason the engine found."""
        user = api_user()
        rt = runtime()
        with rt.sessions() as s:
            case = own_case(s, case_id, user.org_id)
            procedure = procedure_of(case)
        if not NAME.match(trigger):
            raise ApiError(404, "step_not_found", "没有这一步骤", f"No step {trigger[:64]!r}")
        expected = if_match_version()
        try:
            outcome = rt.engine.fire(case_id, trigger, user.username, body["payload"], expected_version=expected,
                                     request=request_key(user.username, body), via=user.integration)
        except KeyReused:
            raise reused() from None
        step = next((t.label for t in procedure.transitions if t.trigger == trigger), None) if procedure else None
        step = step or Label(trigger, trigger)
        if not outcome.ok:
            headers = {"ETag": etag(outcome.case_version)} if outcome.case_version else {}
            raise refusal(outcome, step.zh, step.en, {**headers, **replay_headers(outcome)})
        state = procedure.states.get(outcome.to_state or "") if procedure else None
        assert outcome.case_version is not None and outcome.seq is not None and outcome.event_hash is not None
        return {
            "case_id": case_id, "trigger": trigger, "from_state": outcome.from_state, "to_state": outcome.to_state,
            "state_label": state.label if state else Label(outcome.to_state or "", outcome.to_state or ""),
            "version": outcome.case_version, "event": {"seq": outcome.seq, "hash": outcome.event_hash},
        }, 200, {"ETag": etag(outcome.case_version), **replay_headers(outcome)}


IF_MATCH_OPTIONAL = {**IF_MATCH, "required": False,
                     "description": "optional: the case's ETag as last read; if given, a newer case is reported as "
                                    "the `stale` refusal taking the step would get"}


@blp.route("/<case_id>/transitions/<trigger>/check")
class StepCheck(MethodView):
    @blp.arguments(FireSchema, required=False)
    @blp.response(200, CheckResultSchema, headers=ETAG_HEADER)
    @blp.doc(parameters=[IF_MATCH_OPTIONAL], security=[{"bearerAuth": []}])
    @blp.doc(operationId="checkStep")
    def post(self, body: dict[str, Any], case_id: str, trigger: str) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Dry-run a step (engine.check): would it land, and if not, why

        The same authorization, validation and legal conditions as taking the step, by the same code, but
        nothing is written: no event, no refusal in the audit trail, no change. Use it to validate a form
        before submitting it; taking the step still decides (the case may change in between)."""
        user = api_user()
        rt = runtime()
        with rt.sessions() as s:
            own_case(s, case_id, user.org_id)
        if not NAME.match(trigger):
            raise ApiError(404, "step_not_found", "没有这一步骤", f"No step {trigger[:64]!r}")
        sent = (request.headers.get("If-Match") or "").strip()
        expected = if_match_version() if sent not in ("", "*") else None
        outcome = rt.engine.check(case_id, trigger, user.username, body["payload"], expected_version=expected)
        assert outcome.case_version is not None
        result = {"case_id": case_id, "trigger": trigger, "version": outcome.case_version, "ok": outcome.ok,
                  "status": 200 if outcome.ok else refusal_status(outcome.reasons), "from_state": outcome.from_state,
                  "to_state": outcome.to_state if outcome.ok else None,
                  "reasons": [reason_record(r) for r in outcome.reasons]}
        return result, 200, {"ETag": etag(outcome.case_version)}
