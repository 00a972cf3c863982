"""What every page about one case needs: the case if it is the user's organisation's and of a procedure their
roles may see (404 otherwise, so no page tells whether another organisation's case, or a case the user's work
does not concern, exists: workflow/case_reading.py), its procedure, the step a submitted form was drawn for, and a refusal's messages by field.

Used by the case pages (web/cases.py), the review pages (web/reviews.py) and the meeting pages
(web/meetings.py).
"""

from __future__ import annotations

import re

from flask import abort, g, request
from flask_login import current_user
from sqlalchemy.orm import Session

from web.errors import PublicNotFound
from web.i18n import current_lang
from web.runtime import runtime
from workflow import org_tree
from workflow.case_reading import Reader
from workflow.definitions import Procedure, Transition
from workflow.engine import Reason
from workflow.models import Case

NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")  # a procedure id or a step's trigger
CASE_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


def procedure_of(case: Case) -> Procedure | None:
    try:
        return runtime().engine.procedure_of(case)
    except KeyError:
        return None


def reader() -> Reader:
    """What the signed-in user may read: their organisation's cases (definitions' `visibility:`), and a supervisor's
    the organisations below theirs (`visibility.supervision:`, issue 14). Made once per request."""
    made = g.get("case_reader")
    if made is None:
        rt = runtime()
        with rt.sessions() as s:
            made = g.case_reader = Reader.for_user(s, rt.registry, current_user.roles, current_user.org_id)
    return made


def chosen_org() -> str:
    """The organisation a register or figures page is about: `?org=`, one of those the user reads (a supervisor's:
    the organisations below theirs, issue 14), else their own; another is a bad request (400)."""
    wanted = (request.args.get("org") or "").strip()
    if not wanted:
        return str(current_user.org_id)
    if wanted not in reader().orgs():
        abort(400)
    return wanted


def org_arg() -> str | None:
    """The `org` a register page's links carry: the organisation chosen, when it is not the user's own."""
    org = chosen_org()
    return None if org == current_user.org_id else org


def org_choices(session: Session) -> list[tuple[str, str]]:
    """(id, name) of the organisations the user reads, for a page's organisation picker (none: only their own)."""
    shown = reader()
    return list(org_tree.names(session, shown.orgs(), current_lang()).items()) if shown.below else []


def own_case(session: Session, case_id: str) -> Case:
    """The case if it exists and the user may read it: of their organisation, or of one below it that their
    supervising role reads, and of a procedure their roles may see (the definition's `visibility:`,
    workflow/case_reading.py); 404 otherwise (no existence leak)."""
    case = session.get(Case, case_id) if CASE_ID.match(case_id) else None
    if case is None or not reader().sees_case(case):
        raise PublicNotFound()
    return case


def step_for(procedure: Procedure | None, state: str, trigger: str) -> Transition | None:
    """The step a form was generated for (from this state if possible), to read its fields back.

    An unknown step reads no fields: the engine refuses it and says why."""
    if procedure is None:
        return None
    return procedure.transition(trigger, state) or next(
        (t for t in procedure.transitions if t.trigger == trigger), None)


def field_errors(reasons: tuple[Reason, ...], lang: str) -> dict[str, list[str]]:
    """A refusal's reasons that name a field, by the form field they belong to (shown next to it)."""
    errors: dict[str, list[str]] = {}
    for r in reasons:
        if r.field:
            errors.setdefault(r.field.split(".")[0], []).append(r.en if lang == "en" else r.zh)
    return errors
