"""Cases: list (filters and pages), open one (engine.create_case), read one with its deadlines as data."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import url_for
from flask.views import MethodView
from sqlalchemy import exists, func, select
from sqlalchemy.orm import selectinload

from web.api.auth import api_user
from web.api.base import ApiBlueprint, etag, keyset_envelope, own_case, page_envelope, reader, utc
from web.api.errors import ApiError, ErrorSchema, refusal
from web.api.idempotency import PARAMETER as IDEMPOTENCY_KEY
from web.api.idempotency import REUSED_RESPONSE, replay_headers, request_key, reused
from web.api.schemas import CaseDetailSchema, CaseListArgs, CasePageSchema, CreateCaseSchema
from web.runtime import runtime
from workflow.calendar import WorkCalendar
from workflow.deadlines import describe, due_order
from workflow.definitions import Label, Procedure
from workflow.engine import KeyReused
from workflow.models import Case, CaseDeadline

blp = ApiBlueprint("cases", __name__, url_prefix="/cases",
                   description="案件 / Cases of the caller's organisation")

ETAG_HEADER = {"ETag": {"description": "the case's version, W/\"<version>\": send it back as If-Match",
                        "schema": {"type": "string"}}}


def procedure_of(case: Case) -> Procedure | None:
    try:
        return runtime().engine.procedure_of(case)
    except KeyError:  # a version no longer loaded: the case is shown with the names it stores
        return None


def deadline_data(row: CaseDeadline, procedure: Procedure | None, calendar: WorkCalendar,
                  today: date) -> dict[str, Any]:
    view = describe(row, procedure, today, calendar)
    working_days_left = calendar.working_days_between(today, row.due)[0] if row.due else None
    return {"name": row.name, "label": view.label, "kind": row.kind, "started_on": row.started_on,
            "due": row.due, "n": row.n, "unit": row.unit, "remaining": view.remaining,
            "working_days_left": working_days_left, "status": view.status, "overdue": view.status == "overdue",
            "provisional": view.provisional, "basis": view.basis,
            "paused": view.paused}


def case_data(case: Case, detail: bool = False) -> dict[str, Any]:
    engine = runtime().engine
    today = engine.today()
    procedure = procedure_of(case)
    deadlines = [deadline_data(d, procedure, engine.calendar, today)
                 for d in sorted(case.deadlines, key=due_order)]
    state = procedure.states.get(case.state) if procedure else None
    shown = reader()  # a party's personal data masked where the caller's roles do not need them
    data: dict[str, Any] = {
        "case_id": case.id, "id": case.id, "org": case.org_id, "title": shown.title(procedure, case.title), "procedure": case.procedure,
        "procedure_version": case.procedure_version,
        "procedure_label": procedure.label if procedure else Label(case.procedure, case.procedure),
        "state": case.state, "state_label": state.label if state else Label(case.state, case.state),
        "terminal": bool(state and state.terminal), "version": case.version, "created_by": case.created_by,
        "created_at": utc(case.created_at), "updated_at": utc(case.updated_at),
        "overdue": any(d["overdue"] for d in deadlines), "next_deadline": deadlines[0] if deadlines else None,
    }
    if detail:
        data.update(data=shown.data(procedure, case.data or {}), deadlines=deadlines)
    return data


def load_case(case_id: str) -> Case:
    """The caller's case with its deadlines, detached from its session (404 if it is not theirs)."""
    with runtime().sessions() as s:
        case = own_case(s, case_id, api_user().org_id)
        case.deadlines  # noqa: B018 - loaded while the session is open
        return case


@blp.route("")
class CaseList(MethodView):
    @blp.arguments(CaseListArgs, location="query", as_kwargs=True)
    @blp.response(200, CasePageSchema)
    @blp.doc(operationId="listCases")
    def get(self, page: int, page_size: int, procedure: str | None = None, state: str | None = None,
            overdue: bool | None = None, org: str | None = None, updated_since: datetime | None = None,
            ids: list[str] | None = None, order: str = "changed", after: str | None = None) -> dict[str, Any]:
        """The organisation's cases the caller's roles may see, most recently changed first

        Filters combine; `overdue=true` keeps the cases with a limit whose due date has passed; `updated_since`
        the cases changed since a time; `ids` reads up to 100 cases at once. To walk every case while they change
        (a sync), page with `order=case_id` and `after` (links.next): each case that exists throughout is listed
        once. For every change in order, with nothing skipped, follow the event feed (GET /audit/events)."""
        rt = runtime()
        # only the cases the caller may read: of procedures their roles see (`visibility:`), in their organisation
        # and, for a supervisor, those below it (workflow/case_reading.py)
        query = select(Case).where(reader().scope_clause(org))
        if procedure:
            query = query.where(Case.procedure == procedure)
        if state:
            query = query.where(Case.state == state)
        if overdue is not None:
            late = exists().where(CaseDeadline.case_id == Case.id, CaseDeadline.kind == "limit",
                                  CaseDeadline.due < rt.engine.today())
            query = query.where(late if overdue else ~late)
        if updated_since is not None:  # compared in UTC, as the times are stored (worklist.py's opened_from too)
            query = query.where(Case.updated_at >= updated_since.astimezone(UTC))
        if ids:
            query = query.where(Case.id.in_(ids))
        filters = {"procedure": procedure, "state": state, "overdue": overdue, "org": org,
                   "updated_since": updated_since.isoformat() if updated_since else None, "ids": ids}
        by_number = order == "case_id" or after is not None
        with rt.sessions() as s:
            total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
            if by_number:
                # keyset paging on the case number, which never changes: a change of another case moves nothing
                # past the cursor, so nothing that exists throughout is skipped or listed twice
                if after is not None:
                    query = query.where(Case.id > after)
                rows = s.scalars(query.options(selectinload(Case.deadlines)).order_by(Case.id)
                                 .limit(page_size + 1)).all()
                more = len(rows) > page_size
                items = [case_data(c) for c in rows[:page_size]]
            else:
                rows = s.scalars(query.options(selectinload(Case.deadlines))
                                 .order_by(Case.updated_at.desc(), Case.id.desc())
                                 .offset((page - 1) * page_size).limit(page_size)).all()
                items = [case_data(c) for c in rows]
        if by_number:
            return keyset_envelope(items, page_size, total, {**filters, "order": "case_id"},
                                   items[-1]["case_id"] if more and items else None)
        return page_envelope(items, page, page_size, total, filters)

    @blp.arguments(CreateCaseSchema)
    @blp.response(201, CaseDetailSchema, headers={
        **ETAG_HEADER, "Location": {"description": "the new case", "schema": {"type": "string"}}})
    @blp.alt_response(422, schema=ErrorSchema, description="Refused: payload or legal conditions (guards), each "
                      "reason with its article; or the body is not valid; or " + REUSED_RESPONSE)
    @blp.alt_response(403, schema=ErrorSchema, description="Refused: your roles may not open such a case")
    @blp.alt_response(409, schema=ErrorSchema, description="The procedure takes no new cases "
                      "(`procedure_unavailable`)")
    @blp.doc(parameters=[IDEMPOTENCY_KEY], security=[{"bearerAuth": []}])
    @blp.doc(operationId="createCase")
    def post(self, body: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Open a case (engine.create_case)

        The payload is the procedure's opening step (`create` in its definition). A refusal answers 403
        (role) or 422 (payload, guards) with every reason and its article."""
        user = api_user()
        if user.procedures is not None and body["procedure"] not in user.procedures:
            raise ApiError(403, "token_procedure_scope", f"此 API 令牌不能办理「{body['procedure']}」程序",
                           f"This API token is limited to other procedures than {body['procedure']!r}")
        try:
            outcome = runtime().engine.create_case(body["procedure"], user.username, body["payload"],
                                                   request=request_key(user.username, body), via=user.integration)
        except KeyReused:
            raise reused() from None
        if not outcome.ok or outcome.case_id is None:
            try:
                step = runtime().registry.get(body["procedure"]).create.label
            except KeyError:
                step = Label("立案", "opening a case")
            raise refusal(outcome, step.zh, step.en, replay_headers(outcome))
        case = load_case(outcome.case_id)  # a replay answers the case as it is now
        return case_data(case, detail=True), 201, {
            "ETag": etag(case.version), "Location": url_for("api_cases.CaseItem", case_id=case.id),
            **replay_headers(outcome)}


@blp.route("/<case_id>")
class CaseItem(MethodView):
    @blp.response(200, CaseDetailSchema, headers=ETAG_HEADER)
    @blp.doc(operationId="getCase")
    def get(self, case_id: str) -> tuple[dict[str, Any], int, dict[str, str]]:
        """One case: its state, version, recorded data, and every running period as data"""
        case = load_case(case_id)
        return case_data(case, detail=True), 200, {"ETag": etag(case.version)}
