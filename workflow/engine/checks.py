"""The checks before the guards, in the order fire() and check() run them: the case's procedure version is
loaded, the actor exists and is active, the case is the version the form was made from, the step exists
from the case's stage, the actor holds a role the step allows, and the payload is what the step's schema
says. Each refuses with a Reason (workflow/engine/refusals.py); none of them writes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from workflow import addressee, inputs, org_tree, typed_dates
from workflow.definitions import Procedure, Registry, Transition
from workflow.engine.refusals import Reason, Refused
from workflow.payloads import load_payload
from workflow.store import Actor, CaseRow, Transactional, load_actor


def procedure_named(registry: Registry, procedure_id: str) -> Procedure:
    """The newest version of a procedure, for a case about to be opened."""
    try:
        return registry.get(procedure_id)
    except KeyError:
        shown = inputs.printable(procedure_id, 64)  # whatever was sent, shown escaped and cut
        raise Refused(Reason(
            "unknown_procedure", f"没有名为「{shown}」的程序", f"no procedure named {shown!r}")) from None


def procedure_for(registry: Registry, case: CaseRow) -> Procedure:
    """The procedure version the case is pinned to."""
    try:
        return registry.get(case.procedure, case.procedure_version)
    except KeyError:
        raise Refused(Reason(
            "procedure_unavailable",
            f"本案适用的程序版本 {case.procedure}@{case.procedure_version} 未加载",
            f"the case's procedure version {case.procedure}@{case.procedure_version} is not loaded")) from None


def active_user(db: Transactional, username: str) -> Actor:
    # One query for the user and its roles (every check below reads user.role_names).
    user = load_actor(db, username) if inputs.is_clean(username, 64) else None
    if user is None or not user.active:
        shown = inputs.printable(username, 64)
        raise Refused(Reason("unknown_user", f"用户「{shown}」不存在或已停用",
                             f"user {shown!r} does not exist or is disabled"))
    return user


def other_organisation(session: Session, user: Actor, case: CaseRow) -> Refused:
    """Why a user of another organisation takes no step on this case (issue 14: acting stays local). A supervising
    organisation (one above the case's) is told that it reads and supervises through the supervision procedure;
    anyone else is told what a case that does not exist tells, so a refusal never says another town has it."""
    if user.org_id in org_tree.ancestors(session, case.org_id):
        return Refused(Reason(
            "supervising_organisation", "上级机关对下级机关案件只能查阅，监督通过执法监督程序进行",
            "A supervising organisation reads its towns' cases and acts only through the supervision procedure",
            "《行政执法监督条例》第二条、第六条；行政处罚法第七十五条"))
    return Refused(Reason("unknown_case", f"案件「{case.id}」不存在", f"case {case.id!r} does not exist"))


def current(case: CaseRow, expected_version: int | None) -> None:
    """The case is still the version the form was made from (no one changed it meanwhile)."""
    if expected_version is not None and expected_version != case.version:
        raise Refused(Reason(
            "stale", f"案件已被他人更新（当前版本{case.version}，提交时版本{expected_version}），请刷新后重试",
            f"the case changed meanwhile (version {case.version}, you had {expected_version})"))


def step_from(procedure: Procedure, state: str, trigger: str) -> Transition:
    transition = procedure.transition(trigger, state)
    if transition is not None:
        return transition
    label = procedure.states[state].label
    allowed = [t.label.zh for t in procedure.triggers_from(state)]
    if trigger not in procedure.triggers:
        raise Refused(Reason("unknown_trigger", f"程序「{procedure.label.zh}」没有「{trigger}」这一步骤",
                             f"{procedure.ref} has no step {trigger!r}"))
    step = next(t for t in procedure.transitions if t.trigger == trigger)
    raise Refused(Reason(
        "not_allowed_in_state",
        f"当前阶段「{label.zh}」不能进行「{step.label.zh}」；可进行：{'、'.join(allowed) or '无'}",
        f"'{step.label.en}' is not possible in state '{label.en}'", step.basis))


def authorize(procedure: Procedure, transition: Transition, user: Actor, case: CaseRow | None) -> str:
    """The role the actor takes the step in (the first the step allows that the actor holds, in the
    organisation that takes the step: the case's, or for a step `acted_by: addressee` the one the case is addressed
    to, workflow/addressee.py). Separation of duties needs the payload (a hearing chair is named in it): it
    is judged with the guards (workflow/engine/guard_context.py)."""
    held = [r for r in transition.roles if r in user.role_names]
    if case is not None and user.org_id != addressee.acting_org(transition, case):
        held = []
    if not held:
        names = [procedure.roles[r] for r in transition.roles]
        raise Refused(Reason(
            "role_not_allowed", f"「{transition.label.zh}」须由{'或'.join(n.zh for n in names)}办理",
            f"'{transition.label.en}' needs the role {' or '.join(n.en for n in names)}",
            transition.basis))
    return held[0]


def validate(transition: Transition, payload: Any) -> dict[str, Any]:
    # A step with a date field also takes the generic late-entry reason (workflow/typed_dates.py).
    payload, late_reason = typed_dates.split_reason(transition, payload)
    clean, problems = load_payload(transition.schema, transition.payload, payload)
    problems = [*problems, *typed_dates.reason_problems(late_reason)]
    if problems:
        raise Refused(*(Reason("invalid_payload", p["zh"], p["en"], transition.basis, p["field"])
                        for p in problems))
    return typed_dates.with_reason(clean, late_reason)


def addressed_below(session: Session, procedure: Procedure, user: Actor, payload: dict[str, Any]) -> str | None:
    """The organisation a new case is addressed to (the definition's `addressee:`), which must be one below the
    opener's (《行政执法监督条例》第二条: a government supervises the governments below it); None when the procedure
    addresses no one."""
    spec = procedure.addressee
    if spec is None:
        return None
    wanted = str(payload.get(spec.field) or "")
    if wanted not in org_tree.descendants(session, user.org_id):
        shown = inputs.printable(wanted, 64)
        raise Refused(Reason(
            "addressee_not_below", f"「{spec.label.zh}」须为本单位的下级单位，「{shown}」不是",
            f"'{spec.label.en}' must be an organisation below yours; {shown!r} is not", spec.basis, spec.field))
    return wanted
