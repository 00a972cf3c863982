"""A published clean-up's repeals: each document it repeals or declares invalid ends through its own step.

One way in: the clean-up case records the outcomes and publishes them (definitions/normative_cleanup.v1.yaml);
each document it ends is then repealed by firing that document's `repeal_by_cleanup` step through the engine,
whose guard (cleanup_decided_repeal) reads the published result again. Each fire is its own transaction with its
own audit event on the document's chain; a document already ended (or refused) is reported, never forced.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from workflow.definitions import Procedure
from workflow.engine import Engine, Outcome
from workflow.models import Case
from workflow.procedures.normative_document.law import CLEANUP_INVALID
from workflow.timers.spec import SYSTEM_ROLE

REPEAL_STEP = "repeal_by_cleanup"  # the document's step a published clean-up's repeal fires

__all__ = ["REPEAL_STEP", "SYSTEM_ROLE", "apply_repeals", "pending_repeals", "repeal_label"]


def repeal_label(procedure: Procedure, lang: str) -> str:
    """The document's repeal step as its definition names it (what the staff register tells people to take)."""
    return next((t.label.get(lang) for t in procedure.transitions if t.trigger == REPEAL_STEP), REPEAL_STEP)


def pending_repeals(session: Session, cleanup_id: str) -> list[str]:
    """The documents the published clean-up `cleanup_id` ends that are still in force."""
    cleanup = session.get(Case, cleanup_id)
    if cleanup is None or cleanup.procedure != "normative_cleanup" or cleanup.state != "published":
        return []
    ids = [o["document"] for o in (cleanup.data or {}).get("outcomes", []) if o.get("outcome") in CLEANUP_INVALID]
    return [i for i in ids if (case := session.get(Case, i)) is not None and case.state == "in_force"]


def apply_repeals(engine: Engine, cleanup_id: str, actor: str,
                  fire: Callable[..., Outcome] | None = None) -> list[Outcome]:
    """Fire `repeal_by_cleanup` as `actor` on each document the published clean-up ends; the outcomes in order.
    `fire` stands in for `engine.fire` (same arguments) where a caller records what it fires (the specs do)."""
    take: Callable[..., Outcome] = fire or engine.fire
    with engine.sessions() as session:
        targets = pending_repeals(session, cleanup_id)
    payload: dict[str, Any] = {"cleanup_case": cleanup_id}
    return [take(document, REPEAL_STEP, actor, payload) for document in targets]
