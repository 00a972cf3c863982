"""Guards of the contract legality review (合同合法性审查): one function per rule, each citing its source; the
verification level of each source (legal-facts-2 §0: V1 read in the official text, V2 secondary, U unverified and
therefore an organisation setting) is noted beside the rule.

The framework (GuardContext, Fail, ...) is workflow/guards.py; this family's sources and settings are law.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from workflow.guards import Fail, GuardContext, GuardTable, as_date
from workflow.procedures.contract_review.law import (
    ADVISER_OPINION_2016,
    APPROVE,
    EXCLUDED_KINDS,
    LEGAL_ADVISER,
    LOCAL_MODELS,
    MAJOR_AMOUNT,
    RECONSIDERATION_LAW,
    REVIEW_POINTS,
)
from workflow.wording import amount, day

GUARDS = GuardTable("contract_review")
guard = GUARDS.guard


def _blank(value: Any) -> bool:
    return not (value or "").strip() if isinstance(value, str | type(None)) else False


def _choice_labels(ctx: GuardContext, trigger: str, name: str) -> dict[str, str]:
    """The Chinese labels of a choice field, from the definition the case runs under (never restated here)."""
    steps = [*(ctx.procedure.transitions if ctx.procedure else ()), *((ctx.procedure.create,) if ctx.procedure else ())]
    spec = next((f for t in steps if t.trigger == trigger for f in t.payload if f.name == name), None)
    return {value: label.zh for value, label in spec.choices} if spec else {}


def _current_text(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """The text to be signed: the latest resubmission, or the one first submitted."""
    revisions = data.get("revisions") or []
    return revisions[-1] if revisions else (data.get("contract") or {})


def _round_start(data: Mapping[str, Any]) -> int:
    """The event that opened the current review round: the submission or the latest resubmission."""
    return int(_current_text(data).get("event_seq", 0))


# ---------------------------------------------------------------- scope (legal-facts-2 §2 item 38)


@guard("contract_kind_not_excluded", article=f"{LOCAL_MODELS}（除外事项）；本单位合同合法性审查规定",
       zh="本单位规定不纳入合同合法性审查的合同类别，不按本程序送审",
       en="A kind of contract the organisation excludes from the legality review is not submitted here")
def contract_kind_not_excluded(ctx: GuardContext) -> Fail | None:
    """[V2] local models exclude government procurement, employment and emergency contracts; Fujian has no rule
    found ([U]), so the list is the setting contract.excluded_kinds (values or Chinese labels); unset, the
    review excludes nothing."""
    excluded = ctx.settings.get(EXCLUDED_KINDS)
    if not isinstance(excluded, list):
        return None
    kind = ctx.payload["kind"]
    label = _choice_labels(ctx, "create", "kind").get(kind, kind)
    if kind in excluded or label in excluded:
        return Fail(f"「{label}」类合同属于本单位规定的除外事项（设置项 {EXCLUDED_KINDS}），按其专门程序办理",
                    f"{kind!r} contracts are excluded by the organisation ({EXCLUDED_KINDS}); they follow their "
                    "own procedure")
    return None


# ---------------------------------------------------------------- the review (legal-facts-2 §2 items 36, 38)


@guard("contract_points_reviewed", article=f"本单位合同合法性审查规定（审查内容）；参照{LOCAL_MODELS}",
       zh="合法性审查意见应当对合同主体资格、条款合法性、争议解决条款、形式与文字逐项提出意见",
       en="The opinion gives a finding on each point: the parties' capacity, the legality of the terms, the "
          "dispute-resolution clause, form and wording")
def contract_points_reviewed(ctx: GuardContext) -> Fail | None:
    """[V2] the usual review content of local models; an amended contract is reviewed again on every point."""
    start = _round_start(ctx.data)
    done = {f["item"] for f in ctx.data.get("findings", []) if int(f.get("event_seq", 0)) > start}
    missing = [p for p in REVIEW_POINTS if p not in done]
    if not missing:
        return None
    labels = _choice_labels(ctx, "record_review_point", "item")
    return Fail("尚未提出意见的审查要点：" + "；".join(labels.get(m, m) for m in missing),
                "points without a finding: " + ", ".join(missing))


@guard("contract_review_delay_explained", article="本单位合同合法性审查规定（审查期限）",
       zh="审查意见应当在本单位规定的审查期限内出具；超过期限的，应当说明原因",
       en="The opinion is given within the review period the organisation set; a later one states why")
def contract_review_delay_explained(ctx: GuardContext) -> Fail | None:
    """[U] no national period (legal-facts-2 §2 item 35); local models give 5 working days [V2]: the length is
    the setting contract.review_working_days, counted by the review_period deadline from each (re)submission. A
    late opinion is still given (the contract cannot be signed without one), with the delay's reason."""
    row = ctx.deadline("review_period")
    if row is None or ctx.today <= row.due or not _blank(ctx.payload.get("delay_reason")):
        return None
    return Fail(f"审查期限至{day(row.due)}届满，今日{day(ctx.today)}出具意见，未说明超期原因",
                f"the review period ended on {row.due.isoformat()}; the opinion of {ctx.today.isoformat()} states "
                "no reason for the delay")


# ---------------------------------------------------------------- signing (legal-facts-2 §2 items 36–37)


@guard("approving_opinion_before_signing", article=f"{ADVISER_OPINION_2016}",
       zh="合同未经合法性审查同意的，不得签订；修改后同意的，应当按审查意见修改并重新送审，经审查同意后方可签订",
       en="A contract is signed only on an approving review opinion; one approved once amended is amended, "
          "resubmitted and approved before it is signed")
def approving_opinion_before_signing(ctx: GuardContext) -> Fail | None:
    """[V2] 中办发〔2016〕30号: matters the adviser finds unlawful may not be decided. The latest opinion counts;
    a resubmission opens a new round, so the latest opinion is always on the text to be signed."""
    opinion = ctx.data.get("opinion") or {}
    outcome = opinion.get("outcome")
    if outcome == APPROVE:
        return None
    if not opinion:
        return Fail("尚无合法性审查意见", "there is no review opinion")
    label = _choice_labels(ctx, "issue_opinion", "outcome").get(outcome or "", outcome or "")
    return Fail(f"审查意见为「{label}」，不得据此签订", f"the opinion is {outcome!r}: the contract may not be signed on it")


@guard("administrative_agreement_states_remedy", article=f"{RECONSIDERATION_LAW}第二十条、第七十一条",
       zh="行政协议应当载明申请行政复议或者提起行政诉讼的权利、机关和期限",
       en="An administrative agreement states the right to reconsideration or litigation, the body and the period")
def administrative_agreement_states_remedy(ctx: GuardContext) -> Fail | None:
    """[V1] 行政复议法第七十一条 makes 行政协议 reviewable; 第二十条: without the remedy stated the window grows to
    a year. The text to be signed (the latest resubmission, or the one first submitted) must state it."""
    if not (ctx.data.get("contract") or {}).get("administrative_agreement"):
        return None
    if not _blank(_current_text(ctx.data).get("remedy_clause")):
        return None
    return Fail("本合同属于行政协议，送审文本未载明救济途径", "the contract is an administrative agreement and its "
                "text states no remedy")


def _whole(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


@guard("major_contract_adviser_heard", article=f"{ADVISER_OPINION_2016}；本单位合同合法性审查规定（重大合同标准）",
       zh="达到本单位重大合同标准的合同，签订前应当听取法律顾问对送签文本的意见",
       en="A contract at or above the organisation's major-contract amount is signed only after the legal adviser "
          "was heard on the text to be signed")
def major_contract_adviser_heard(ctx: GuardContext) -> Fail | None:
    """[V2] 中办发〔2016〕30号: advisers help draft and revise major contracts, and a matter on which they had to be
    heard but were not may not be decided (legal-facts-2 §2 item 36). What is major has no national or Fujian
    rule ([U]): the amount is the setting contract.major_amount; unset, no contract is major by amount. Heard
    means a person holding the legal adviser's role recorded a finding or the opinion in the current review
    round (the one on the text to be signed). Whether a major contract also needs collective deliberation is not
    stated in the sources (legal-facts-2 §2): not enforced here."""
    threshold = _whole(ctx.settings.get(MAJOR_AMOUNT))
    value = (ctx.data.get("contract") or {}).get("amount")
    if threshold is None or value is None or Decimal(str(value)) < threshold:
        return None
    start = _round_start(ctx.data)
    acts = [*(ctx.data.get("findings") or []), *([ctx.data["opinion"]] if ctx.data.get("opinion") else [])]
    heard = any(int(a.get("event_seq", 0)) > start and LEGAL_ADVISER in (ctx.roles_of(str(a.get("recorded_by"))) or ())
                for a in acts)
    if heard:
        return None
    return Fail(f"合同金额{amount(value)}达到本单位重大合同标准{amount(threshold)}，本轮审查未听取法律顾问意见",
                f"the amount {value} yuan reaches the major-contract amount {threshold} ({MAJOR_AMOUNT}); no legal "
                "adviser was heard in this review round")


# ---------------------------------------------------------------- filing (legal-facts-2 §2 item 38)


@guard("contract_filing_in_time", article=f"{LOCAL_MODELS}（签订后备案）；本单位合同合法性审查规定",
       zh="合同签订后应当在本单位规定的期限内报送备案；逾期的，应当说明原因",
       en="The signed contract is filed within the period the organisation set; a late filing states why")
def contract_filing_in_time(ctx: GuardContext) -> Fail | None:
    """[V2] local models: copies to the legal office and the archive within 5 working days of signing; [U] in
    Fujian, so the setting contract.filing_working_days, counted by the filing_period deadline."""
    row = ctx.deadline("filing_period")
    filed = as_date(ctx.payload["filed_on"])
    if row is None or filed <= row.due or not _blank(ctx.payload.get("late_reason")):
        return None
    return Fail(f"应于{day(row.due)}前报送备案，{day(filed)}报送且未说明逾期原因",
                f"due by {row.due.isoformat()}, filed on {filed.isoformat()} with no reason for the delay")
