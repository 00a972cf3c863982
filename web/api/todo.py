"""GET /todo: what awaits whom, across the cases the caller may read (issue 17 item 1).

An OA system keeps each person's inbox (待办) in its own screens; it asks lawflow what awaits whom and shows
it there. The answer is the same reading as the 我的待办 page (workflow/todo.py: the definitions' `pages.todo`
next steps; the people a case names for a role, else the role's holders) for every case the caller may read,
not one person's: each item is a case with its next steps, each step naming the people it awaits and the
roles whose holders it awaits (nobody named), and the organisation whose users take it. `user=` keeps the steps
awaiting one person of the caller's organisation (named, or holding an awaited role there); `role=` the steps
awaiting a role's holders. Nothing here says a step will be allowed: taking it runs the engine's checks.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from web.api.auth import api_user
from web.api.base import NAME, ApiBlueprint, page_envelope, reader
from web.api.cases import case_data, deadline_data
from web.api.errors import ApiError, ErrorSchema
from web.api.schemas import CaseSchema, DeadlineSchema, LabelSchema, PageArgs, page_of
from web.runtime import runtime
from workflow.accounts import people_of
from workflow.models import Case, RoleAssignment, User
from workflow.todo import waiting

blp = ApiBlueprint("todo", __name__, url_prefix="/todo",
                   description="待办 / What awaits whom, across the cases you may read")


class TodoArgs(PageArgs):
    user = fields.String(validate=validate.Regexp(r"^[A-Za-z0-9_.-]{1,64}$"), metadata={
        "description": "only the steps awaiting this person of your organisation (named by the case, or holding "
                       "an awaited role there)", "example": "huangzhenhua"})
    role = fields.String(validate=validate.Regexp(NAME.pattern), metadata={
        "description": "only the steps awaiting this role's holders (the case names nobody for it); the roles are "
                       "the definitions' (GET /definitions/{procedure}/{version})"})


class AwaitedPersonSchema(Schema):
    username = fields.String(required=True)
    name = fields.String(required=True, metadata={"description": "the person's name as the pages show it"})


class AwaitedRoleSchema(Schema):
    name = fields.String(required=True)
    label = fields.Nested(LabelSchema, required=True)


class AwaitedStepSchema(Schema):
    trigger = fields.String(required=True, metadata={"description": "the step (POST /cases/{case_id}/transitions/"
                                                                    "{trigger})"})
    label = fields.Nested(LabelSchema, required=True)
    org = fields.String(required=True, allow_none=True, metadata={
        "description": "the organisation whose users take it (another for a step the case addresses to it)"})
    people = fields.List(fields.Nested(AwaitedPersonSchema), required=True, metadata={
        "description": "the people the case names for it"})
    roles = fields.List(fields.Nested(AwaitedRoleSchema), required=True, metadata={
        "description": "the roles whose holders it awaits (the case names nobody for them)"})


class TodoItemSchema(Schema):
    case = fields.Nested(CaseSchema, required=True)
    steps = fields.List(fields.Nested(AwaitedStepSchema), required=True)
    due = fields.Nested(DeadlineSchema, required=True, allow_none=True, metadata={
        "description": "the running time limit falling due first"})
    overdue = fields.Boolean(required=True)


TodoPageSchema = page_of(TodoItemSchema, "TodoPage")


@blp.route("")
class Todo(MethodView):
    @blp.arguments(TodoArgs, location="query", as_kwargs=True)
    @blp.response(200, TodoPageSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="`user=` names nobody of your organisation (`user_not_found`)")
    @blp.doc(operationId="listTodo")
    def get(self, page: int, page_size: int, user: str | None = None, role: str | None = None) -> dict[str, Any]:
        """What awaits whom: the cases you may read that wait for a next step, overdue first, then by due date

        Each step names the people and the roles it awaits. Sync an OA inbox from it: `user=` for one person."""
        caller = api_user()
        rt = runtime()
        engine = rt.engine
        today = engine.today()
        shown = reader()
        with rt.sessions() as s:
            roles_of_user: set[str] | None = None
            if user is not None:
                found = s.scalar(select(User).where(User.username == user, User.org_id == caller.org_id))
                if found is None:  # another organisation's person is answered as one who does not exist
                    raise ApiError(404, "user_not_found", f"本单位没有用户「{user}」",
                                   f"No user {user!r} in your organisation")
                roles_of_user = set(s.scalars(select(RoleAssignment.role).where(RoleAssignment.user_id == found.id)))
            names = people_of(s, caller.org_id)
            items = []
            for w in waiting(s, engine.registry, shown.scope_clause(None), today):
                steps = []
                for a, org in w.awaited:
                    if user is not None and not (user in a.people or (org == caller.org_id and
                                                                      set(a.roles) & (roles_of_user or set()))):
                        continue
                    if role is not None and role not in a.roles:
                        continue
                    steps.append({
                        "trigger": a.step.trigger, "label": a.step.label, "org": org,
                        "people": [{"username": p, "name": names.get(p, p)} for p in a.people],
                        "roles": [{"name": r, "label": w.procedure.roles.get(r) or {"zh": r, "en": r}}
                                  for r in a.roles]})
                if steps:
                    items.append((w, steps))
            total = len(items)
            chosen = items[(page - 1) * page_size: page * page_size]
            ids = [w.case.id for w, _ in chosen]
            loaded = {c.id: c for c in s.scalars(select(Case).where(Case.id.in_(ids))
                                                  .options(selectinload(Case.deadlines)))} if ids else {}
            out = [{"case": case_data(loaded[w.case.id]), "steps": steps, "overdue": w.overdue,
                    "due": deadline_data(w.due, w.procedure, engine.calendar, today) if w.due else None}
                   for w, steps in chosen]
        return page_envelope(out, page, page_size, total, {"user": user, "role": role})
