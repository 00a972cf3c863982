"""我的待办 (/todo/): the landing page of every signed-in person — the steps that await them (or their role when
the case names nobody), overdue first, then by the limit falling due first; and the counts in the navigation.

An adapter over workflow/todo.py: which step is next and whom it awaits is read from the definitions (`pages:
todo:`), never from a step or role name here. The timer worker's notices stay on /inbox (linked from here).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from flask import Blueprint, g, render_template, url_for
from flask_login import current_user

from web.case_access import reader
from web.i18n import _, current_lang
from web.present import DeadlineView, deadline_view, label_of
from web.runtime import runtime
from workflow.case_reading import Reader
from workflow.concerning import Concern
from workflow.definitions import Procedure
from workflow.links import Link
from workflow.todo import Item, awaited, todo

bp = Blueprint("todo", __name__, url_prefix="/todo")


def my_items() -> list[Item]:
    """The signed-in person's to-do, computed once a request (the page and the navigation share it): only cases
    they may see (a step of their roles makes them see it: the definitions' loader checks that), titles as they
    may read them."""
    if "todo_items" not in g:
        rt = runtime()
        shown = reader()
        with rt.sessions() as session:
            items = todo(session, rt.registry, current_user.org_id, current_user.username, current_user.roles,
                         rt.engine.today())
        g.todo_items = [replace(i, title=shown.title(i.procedure, i.title)) for i in items if shown.sees(i.procedure)]
    items: list[Item] = g.todo_items
    return items


def _on_page(item: Item, page: str, roles: set[str]) -> bool:
    """Whether the item's step is one the review queue or the meeting page shows (their definitions' `pages:`)."""
    pages = item.procedure.pages
    if page == "review" and pages.review is not None:
        return any(roles & set(pages.review.roles) & set(s.roles) for s in item.steps)
    if page == "meeting" and pages.meeting is not None:
        m = pages.meeting
        return any(s.trigger in (m.convene, m.view, *m.decisions) for s in item.steps)
    return False


@bp.app_context_processor
def counts() -> dict[str, Any]:
    """我的待办 N, 审查任务 N, 集体讨论 N in the header."""
    if not current_user.is_authenticated:
        return {"todo_count": 0, "page_counts": {}}
    items = my_items()
    roles = set(current_user.roles)
    return {"todo_count": len(items),
            "page_counts": {p: sum(1 for i in items if _on_page(i, p, roles)) for p in ("review", "meeting")}}


@dataclass
class Row:
    id: str
    title: str
    procedure: str
    state: str
    steps: list[tuple[str, str]]  # (label, link to the step on the case page)
    deadline: DeadlineView | None
    overdue: bool


@bp.get("/")
def index() -> str:
    rt = runtime()
    lang = current_lang()
    today = rt.engine.today()
    rows = [Row(
        id=i.case_id, title=i.title, procedure=i.procedure.label.get(lang),
        state=label_of(i.procedure, "state", i.state),
        steps=[(s.label.get(lang), url_for("cases.show", case_id=i.case_id, _anchor=f"step-{s.trigger}"))
               for s in i.steps],
        deadline=deadline_view(i.due, i.procedure, rt.engine.calendar, today) if i.due else None,
        overdue=i.overdue,
    ) for i in my_items()]
    return render_template("todo/index.html", rows=rows, overdue=sum(1 for r in rows if r.overdue))


# ---------------------------------------------------------------- the case page's 下一步


@dataclass
class NextLine:
    who: str  # names, or the role's label
    steps: list[str]
    mine: bool

    @property
    def text(self) -> str:
        return _("下一步：由{who}办理{steps}", who=self.who, steps=_("或").join(f"「{s}」" for s in self.steps))


def next_lines(procedure: Procedure, state: str, data: Mapping[str, Any], people: Mapping[str, str]) -> list[NextLine]:
    """下一步：由〈person or role〉办理〈step〉, one line per whom, in the definition's order."""
    lang = current_lang()
    roles = set(current_user.roles)
    lines: dict[str, NextLine] = {}
    for a in awaited(procedure, state, data):
        names = [people.get(p, p) for p in a.people] + [label_of(procedure, "role", r) for r in a.roles]
        who = _("、").join(names)
        line = lines.setdefault(who, NextLine(who, [], False))
        line.steps.append(a.step.label.get(lang))
        line.mine = line.mine or a.awaits(current_user.username, roles)
    return list(lines.values())


def mine_first(procedure: Procedure, state: str, data: Mapping[str, Any], triggers: list[str]) -> list[str]:
    """The offered steps with the user's usual next ones first (in the definition's order), the others after."""
    roles = set(current_user.roles)
    usual = [a.step.trigger for a in awaited(procedure, state, data) if a.awaits(current_user.username, roles)]
    return [t for t in usual if t in triggers] + [t for t in triggers if t not in usual]


def link_views(links: list[Link], shown: Reader) -> list[dict[str, Any]]:
    """A case's linked cases (workflow/links.py) as the case page lists them, each with its stage: the result.
    Only those the reader may see, their titles as the reader may read them."""
    lang = current_lang()
    return [{"case_id": link.case_id, "title": shown.title(link.procedure, link.title),
             "procedure": link.procedure.label.get(lang) if link.procedure else "",
             "state": label_of(link.procedure, "state", link.state), "terminal": link.terminal}
            for link in links if shown.sees(link.procedure)]


def concern_views(concerns: list[Concern], shown: Reader) -> list[dict[str, Any]]:
    """The other organisations' cases about this one (workflow/concerning.py: a review that sampled it), as the
    case page states them; the number is a link only where the reader may open that case."""
    lang = current_lang()
    return [{"case_id": c.case_id, "label": c.label.get(lang), "procedure": c.procedure.label.get(lang),
             "state": label_of(c.procedure, "state", c.state), "summary": c.summary.get(lang) if c.summary else "",
             "open": shown.sees(c.procedure)} for c in concerns]
