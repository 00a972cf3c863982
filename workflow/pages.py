"""Display metadata of a definition (`pages:`): which page shows which steps, and whom each page serves.

The web pages that gather the work of several people (the review queue, the collective-discussion meeting,
the audit explorer and the compliance figures) need to know which steps and roles of a procedure are theirs.
That is a fact about the procedure, so it is written in its definition, next to the steps it names, and
checked on load like everything else (file, path, reason: unknown page, trigger, role or record key) —
never as a trigger or role name written into web/.

Display only: the engine never reads this block (who may take a step is the transition's `roles:`, what
it needs its guards), so adding it to a deployed definition version changes no rule of a running case.

    pages:
      review:                        # web/reviews.py: the queue and review page of these roles
        roles: [legal_counsel, legal_adviser]
        outcome: {step: issue_legality_opinion, choice: conclusion, alternative: return_for_supplement}
        materials: [legality_submission, ...]   # record keys shown as what is under review
        records: [supplement_requests, ...]     # record keys shown as the review's own records
        checklist: record_checklist_finding     # a step whose `item` choices are the checklist
      meeting:                       # web/meetings.py: collective discussion
        roles: [decision_member, head]          # who sits in the meeting
        chair: head                             # speaks last, with the decision
        readers: [auditor, legal_counsel]       # who else reads the minutes (the page "minutes")
        submission: submit_for_collective_discussion
        opinion: issue_legality_opinion
        convene: convene_meeting
        view: {step: record_member_view, choice: view}
        decisions: {adopt_decision: agree, reject_decision: disagree, defer_decision: disagree}
      audit: {roles: [auditor]}      # web/audit.py, /api/v1/audit
      compliance: {roles: [auditor, agency_head]}
      register: {roles: [disclosure_officer]}  # a family's register page (web/information_requests.py)
      todo:                          # web/todo.py: 我的待办 and the case page's 下一步 (workflow/todo.py)
        next:                                   # a stage's usual next step(s); a stage not named here: the
          collective_discussion: [adopt_decision]  #  steps that leave it (not attachments, not the system's);
          recorded: []                          #  []: the stage awaits nobody (a register's entry, kept as is)
        assignees: {enforcement_officer: [investigation.officers, officer_changes.officers]}
                                                # data paths naming who of a role a case's steps await
                                                # (the last path naming anyone wins); nobody: the role
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from marshmallow import RAISE, Schema, fields, validate

if TYPE_CHECKING:
    from workflow.definitions import Procedure

IDENT = validate.Regexp(r"^[a-z][a-z0-9_]*$", error="must be a lower-case identifier (a-z, 0-9, _)")
PAGE_NAMES = ("review", "meeting", "audit", "compliance", "register", "todo")
ROLES = fields.List(fields.String(validate=IDENT), required=True, validate=validate.Length(min=1))


# ---------------------------------------------------------------- the block's schema


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class ChoiceOfStepDef(_Strict):
    step = fields.String(required=True, validate=IDENT)
    choice = fields.String(required=True, validate=IDENT)  # a choice payload field of that step


class OutcomeDef(ChoiceOfStepDef):
    alternative = fields.String(validate=IDENT)  # a step offered as a further choice of the same form


class ReviewPageDef(_Strict):
    roles = ROLES
    outcome = fields.Nested(OutcomeDef)
    materials = fields.List(fields.String(validate=IDENT), load_default=list)
    records = fields.List(fields.String(validate=IDENT), load_default=list)
    checklist = fields.String(validate=IDENT)


class MeetingPageDef(_Strict):
    roles = ROLES
    chair = fields.String(required=True, validate=IDENT)
    readers = fields.List(fields.String(validate=IDENT), load_default=list)
    submission = fields.String(required=True, validate=IDENT)
    opinion = fields.String(validate=IDENT)
    convene = fields.String(required=True, validate=IDENT)
    view = fields.Nested(ChoiceOfStepDef, required=True)
    decisions = fields.Dict(keys=fields.String(validate=IDENT), values=fields.String(validate=IDENT),
                            required=True, validate=validate.Length(min=1))


class RolesPageDef(_Strict):
    roles = ROLES


class TodoPageDef(_Strict):
    next = fields.Dict(keys=fields.String(validate=IDENT), values=fields.List(fields.String(validate=IDENT)),
                       load_default=dict)
    assignees = fields.Dict(keys=fields.String(validate=IDENT),
                            values=fields.List(fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_.]*$")),
                                               validate=validate.Length(min=1)),
                            load_default=dict)


class PagesSchemaDef(Schema):
    """`pages:` of a definition; a page not named here is refused with the list of known pages."""

    class Meta:
        unknown = RAISE

    error_messages = {"unknown": f"unknown page (known: {', '.join(PAGE_NAMES)})"}

    review = fields.Nested(ReviewPageDef)
    meeting = fields.Nested(MeetingPageDef)
    audit = fields.Nested(RolesPageDef)
    compliance = fields.Nested(RolesPageDef)
    register = fields.Nested(RolesPageDef)  # a family's register of its cases (e.g. web/information_requests.py)
    todo = fields.Nested(TodoPageDef)


# ---------------------------------------------------------------- what the pages read


@dataclass(frozen=True)
class Outcome:
    """One form for a review's outcome: `step`'s choice field `choice`, and the step `alternative` (e.g. a
    return for supplement) as a further choice of the same radio group."""

    step: str
    choice: str
    alternative: str | None = None


@dataclass(frozen=True)
class ReviewPage:
    roles: tuple[str, ...]
    outcome: Outcome | None = None
    materials: tuple[str, ...] = ()
    records: tuple[str, ...] = ()
    checklist: str | None = None


@dataclass(frozen=True)
class MeetingPage:
    roles: tuple[str, ...]
    chair: str
    readers: tuple[str, ...]
    submission: str
    opinion: str | None
    convene: str
    view: str  # the step a member states a view with
    view_choice: str  # its choice field (agree, disagree, abstain, ...)
    decisions: Mapping[str, str]  # the chair's decision steps -> the view each sides with (for the dissent)


@dataclass(frozen=True)
class TodoPage:
    """What awaits whom: a stage's usual next steps (None: not declared, workflow/todo.py takes the steps that
    leave the stage) and, per role, the data paths naming the people of that role a case's steps await."""

    next: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    assignees: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Pages:
    review: ReviewPage | None = None
    meeting: MeetingPage | None = None
    audit: tuple[str, ...] = ()  # the roles the audit explorer serves
    compliance: tuple[str, ...] = ()  # the roles the compliance figures serve
    register: tuple[str, ...] = ()  # the roles a family's register page serves
    todo: TodoPage = field(default_factory=TodoPage)

    def roles(self, page: str) -> tuple[str, ...]:
        """The roles `page` serves; "minutes" (the meeting's minutes) also serves the meeting's readers."""
        if page == "minutes":
            return (*self.meeting.roles, *self.meeting.readers) if self.meeting else ()
        found = getattr(self, page, None)
        if isinstance(found, tuple):
            return found
        return found.roles if found is not None else ()


def build(block: Mapping[str, Any] | None) -> Pages:
    """The Pages of a definition whose block check_definition found sound (an empty Pages without one)."""
    if not block:
        return Pages()
    review = meeting = None
    if "review" in block:
        r = block["review"]
        o = r.get("outcome")
        review = ReviewPage(
            roles=tuple(r["roles"]), materials=tuple(r["materials"]), records=tuple(r["records"]),
            outcome=Outcome(o["step"], o["choice"], o.get("alternative")) if o else None,
            checklist=r.get("checklist"))
    if "meeting" in block:
        m = block["meeting"]
        meeting = MeetingPage(
            roles=tuple(m["roles"]), chair=m["chair"], readers=tuple(m["readers"]), submission=m["submission"],
            opinion=m.get("opinion"), convene=m["convene"], view=m["view"]["step"], view_choice=m["view"]["choice"],
            decisions=dict(m["decisions"]))
    todo = block.get("todo") or {}
    return Pages(review=review, meeting=meeting, audit=tuple((block.get("audit") or {}).get("roles", ())),
                 compliance=tuple((block.get("compliance") or {}).get("roles", ())),
                 register=tuple((block.get("register") or {}).get("roles", ())),
                 todo=TodoPage(next={s: tuple(t) for s, t in (todo.get("next") or {}).items()},
                               assignees={r: tuple(p) for r, p in (todo.get("assignees") or {}).items()}))


# ---------------------------------------------------------------- checking the block's meaning


def check_definition(data: dict[str, Any]) -> list[tuple[str, str]]:
    """Problems (path, reason) of a loaded definition's `pages:`: every trigger a step of this procedure,
    every role one of its roles, every record key one some step writes, every choice a choice field."""
    block = data.get("pages")
    if not block:
        return []
    steps = {t["trigger"]: t for t in data["transitions"]}
    roles = set(data["roles"])
    keys = {next(v for m, v in spec["record"].items() if m in ("set", "append", "update"))
            for spec in [data["create"], *data["transitions"]] if spec.get("record")}
    problems: list[tuple[str, str]] = []

    def role(path: str, name: str) -> None:
        if name not in roles:
            problems.append((path, f"unknown role {name!r} (not in roles:)"))

    def trigger(path: str, name: str) -> None:
        if name not in steps:
            problems.append((path, f"unknown trigger {name!r} (no such transition)"))

    def choice_field(path: str, spec: Mapping[str, Any]) -> set[str]:
        """The values of `spec`'s choice field; a problem if it names none."""
        trigger(f"{path}.step", spec["step"])
        step = steps.get(spec["step"])
        if step is None:
            return set()
        f = step["payload"].get(spec["choice"])
        if f is None or f["type"] != "choice":
            problems.append((f"{path}.choice", f"{spec['choice']!r} is not a choice payload field of "
                                               f"{spec['step']!r}"))
            return set()
        return {c["value"] for c in f["choices"]}

    for name, page in block.items():
        where = f"pages.{name}"
        for i, r in enumerate(page.get("roles", ())):
            role(f"{where}.roles.{i}", r)
    review = block.get("review")
    if review:
        if review.get("outcome"):
            choice_field("pages.review.outcome", review["outcome"])
            if "alternative" in review["outcome"]:
                trigger("pages.review.outcome.alternative", review["outcome"]["alternative"])
        for part in ("materials", "records"):
            for i, key in enumerate(review[part]):
                if key not in keys:
                    problems.append((f"pages.review.{part}.{i}", f"{key!r} is not where any step records "
                                                                 "(record: set/append/update)"))
        if "checklist" in review:
            trigger("pages.review.checklist", review["checklist"])
    meeting = block.get("meeting")
    if meeting:
        role("pages.meeting.chair", meeting["chair"])
        if meeting["chair"] not in meeting["roles"]:
            problems.append(("pages.meeting.chair", f"the chair {meeting['chair']!r} sits in the meeting: list it "
                                                    "under pages.meeting.roles"))
        for i, r in enumerate(meeting["readers"]):
            role(f"pages.meeting.readers.{i}", r)
        for part in ("submission", "opinion", "convene"):
            if part in meeting:
                trigger(f"pages.meeting.{part}", meeting[part])
        views = choice_field("pages.meeting.view", meeting["view"])
        for t, side in meeting["decisions"].items():
            trigger(f"pages.meeting.decisions.{t}", t)
            if views and side not in views:
                problems.append((f"pages.meeting.decisions.{t}", f"{side!r} is not a value of "
                                                                 f"{meeting['view']['choice']!r} "
                                                                 f"({', '.join(sorted(views))})"))
    todo = block.get("todo")
    if todo:
        for state, triggers in todo["next"].items():
            if state not in data["states"]:
                problems.append((f"pages.todo.next.{state}", f"unknown state {state!r} (not in states:)"))
            for i, t in enumerate(triggers):
                step = steps.get(t)
                if step is None:
                    trigger(f"pages.todo.next.{state}.{i}", t)
                elif state not in _sources(step["source"]):
                    problems.append((f"pages.todo.next.{state}.{i}", f"{t!r} is not a step from {state!r}"))
        for r in todo["assignees"]:
            role(f"pages.todo.assignees.{r}", r)
    return problems


def _sources(source: Any) -> list[str]:
    return [source] if isinstance(source, str) else list(source)


# ---------------------------------------------------------------- across procedures


def page_roles(procedures: Iterable[Procedure], page: str) -> frozenset[str]:
    """Every role that some procedure's `page` serves (the page opens to its holders)."""
    return frozenset(r for p in procedures for r in p.pages.roles(page))


def reviewed(procedures: Iterable[Procedure]) -> list[Procedure]:
    return [p for p in procedures if p.pages.review is not None]


def meeting_procedures(procedures: Iterable[Procedure]) -> list[Procedure]:
    return [p for p in procedures if p.pages.meeting is not None]
