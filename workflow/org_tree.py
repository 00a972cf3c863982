"""Organisations in a tree (issue 14): a district (区) over its towns (镇·街道), a town over its offices (站所).

Each organisation has one parent (organization.parent_id, none at the top) and a kind (organization.kind, data:
migration 0019). Each user belongs to exactly one organisation (app_user.org_id). What the tree lets a user read is
decided by workflow/visibility.py (audit trails) and workflow/case_reading.py (cases): a supervising role of an
organisation reads its descendants' cases as the definitions' `visibility.supervision:` allow; acting stays local
(the engine refuses any step on another organisation's case).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.models import Organization


@dataclass(frozen=True)
class Kind:
    zh: str
    en: str


KINDS: dict[str, Kind] = {
    "district": Kind("区", "District"),
    "town": Kind("镇（街道）", "Town"),
    "office": Kind("站所", "Office"),
}


class TreeError(ValueError):
    """A change that would break the tree (a cycle, an unknown parent): its text is Chinese, then English."""


def _parents(session: Session) -> dict[str, str | None]:
    return {org: parent for org, parent in session.execute(select(Organization.id, Organization.parent_id))}


def subtree(session: Session, org_id: str) -> list[str]:
    """`org_id` and every organisation below it (its towns, their offices), `org_id` first, then breadth-first in
    id order. One query for the whole table: the tree is a few hundred rows at most (a province's towns)."""
    children: dict[str, list[str]] = {}
    for child, parent in sorted(_parents(session).items()):
        if parent is not None:
            children.setdefault(parent, []).append(child)
    out, queue, seen = [], [org_id], set()
    while queue:
        here = queue.pop(0)
        if here in seen:  # a cycle in stored data (the tree refuses them): never loop
            continue
        seen.add(here)
        out.append(here)
        queue.extend(children.get(here, []))
    return out


def descendants(session: Session, org_id: str) -> list[str]:
    """The organisations strictly below `org_id`."""
    return subtree(session, org_id)[1:]


def ancestors(session: Session, org_id: str) -> Iterator[str]:
    """The organisations above `org_id`, nearest first."""
    parents, seen = _parents(session), {org_id}
    here = parents.get(org_id)
    while here is not None and here not in seen:
        seen.add(here)
        yield here
        here = parents.get(here)


def check_parent(session: Session, org_id: str, parent: str | None) -> None:
    """Refuse a parent that does not exist, or that would close a cycle (the organisation itself or one below it)."""
    if parent is None:
        return
    if session.get(Organization, parent) is None:
        raise TreeError(f"上级单位「{parent}」不存在 / parent organisation {parent!r} does not exist")
    if parent == org_id or parent in descendants(session, org_id):
        raise TreeError(f"不能将「{parent}」设为「{org_id}」的上级：「{parent}」是「{org_id}」本身或其下级，会形成循环 / "
                        f"{parent!r} cannot be the parent of {org_id!r}: it is {org_id!r} itself or below it, "
                        "which would make a cycle")


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise TreeError(f"未知的单位类型「{kind}」，应为：{'、'.join(KINDS)} / unknown organisation kind {kind!r}, "
                        f"one of: {', '.join(KINDS)}")
    return kind


def names(session: Session, org_ids: list[str], lang: str = "zh") -> dict[str, str]:
    """The organisations' names (in `lang`, Chinese otherwise), by id, in the order given."""
    found = {o.id: (o.name_en if lang == "en" and o.name_en else o.name_zh)
             for o in session.scalars(select(Organization).where(Organization.id.in_(org_ids)))}
    return {o: found.get(o, o) for o in org_ids}
