"""Compliance figures (合规指标) of an organisation's enforcement for a period: 行政处罚法 and 国办发〔2018〕118号.

Seven figures, each a numerator over a denominator with the article it measures, the rule that places an
item in the period, and the items that fall short (late, missing, uncovered) so that an auditor can open
them. The figures are data for the CLI (`lawflow compliance`), the annual report and the web pages.

Read-only, and read from the records, never recomputed: the case data the engine wrote (each step that ends
a limit carries `timeliness` {"due", "ended_on", "on_time"} under its record key, see workflow/engine/timeliness.py),
the running deadline rows (case_deadline), the audit events, accounts, roles and certificates.

What is still open: a limit still running (its case_deadline row) whose due date is before `as_of` counts
as missed ("overdue") — e.g. a decision not yet published whose publication period has run out, or a case
with no decision after its 90 days. One still within its limit on `as_of` is "pending": left out of the
denominator and listed as a part, because it cannot be judged yet. `as_of` defaults to the period's last
day; the CLI passes today, so that a decision of the period still unpublished after its deadline shows as
missed even when that deadline fell after the period. Facts recorded after the period (a publication
on time the day after the period) count for the items the period holds.

Dates are Beijing (Asia/Shanghai) local dates: payload dates as entered, `recorded_on` and deadline rows as
the engine stored them, audit event times converted from UTC (workflow/clock.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow import typed_dates
from workflow.accounts import setting_values
from workflow.clock import local_date, local_day_bounds, parse_stamp
from workflow.definitions import Label, Procedure, Registry
from workflow.models import (
    AuditEvent,
    Case,
    CaseDeadline,
    EnforcementCertificate,
    Organization,
    RoleAssignment,
    User,
)
from workflow.procedures.enforcement.law import (
    ENFORCEMENT_PROCEDURE,
    GUIDELINE_118,
    LEGAL_QUALIFICATION,
    MANDATORY_AV_ACTS,
    OFFICER,
    PENALTY_LAW,
    REVIEW_PROCEDURE,
)
from workflow.procedures.enforcement.major import is_major

FORMAT = "lawflow-compliance/1"
LEGAL_REVIEWER = "legal_reviewer"
REVIEW_STAFF_SHARE = 0.05  # 118号 as commonly quoted: reviewers "原则上不少于执法人员总数的5%" — unverified [U]

PUBLICATION = "publication_on_time"
WITHDRAWAL = "withdrawal_in_time"
AUDIO_VIDEO = "av_recorded"
MAJOR_REVIEW = "major_reviewed_before_decision"
DECISION_LIMIT = "decided_within_limit"
CERTIFIED = "officers_certified"
REVIEW_STAFF = "legal_review_staff"
ENTERED_IN_TIME = "dates_entered_in_time"
KEYS = (PUBLICATION, WITHDRAWAL, AUDIO_VIDEO, MAJOR_REVIEW, DECISION_LIMIT, CERTIFIED, REVIEW_STAFF, ENTERED_IN_TIME)

# The limits of enforcement_case.v1.yaml the figures read (their timeliness entries and deadline rows).
PUBLICATION_PERIOD = "publication_period"
OTHER_PUBLICATION_PERIOD = "other_publication_period"
WITHDRAWAL_PERIOD = "withdrawal_period"
DECISION_PERIODS = ("extended_decision_period", "decision_period")  # an extension clears the 90-day row
# The steps that end the decision limit, with the record key each writes (the definition's ends_on).
DECIDING_RECORDS = ("decision", "no_penalty_decision", "transfer")

REASONS: Mapping[str, Label] = {
    "late": Label("逾期办理", "done late"),
    "overdue": Label("逾期未办", "not done, past its limit"),
    "no_av_record": Label("无事先形成的音像记录", "no audio-video record made before the act"),
    "not_reviewed": Label("未经法制审核通过即作出决定", "decided without a passed legal review"),
    "reviewed_after_decision": Label("法制审核在决定之后才通过", "legal review passed only after the decision"),
    "expired": Label("执法证件已过期", "certificate expired"),
    "not_yet_valid": Label("执法证件尚未生效", "certificate not yet valid"),
    "no_certificate": Label("未取得执法证件", "no enforcement certificate"),
    "late_entry": Label("补录（所填日期早于录入之日超过规定天数）", "late entry (typed date long before its entry)"),
}

CASES = Label("件", "cases")
DECISIONS = Label("件", "decisions")
ACTS = Label("次", "acts")
PEOPLE = Label("人", "people")


class UnknownOrganisation(LookupError):
    def __init__(self, org_id: str):
        super().__init__(org_id)
        self.org_id = org_id


@dataclass(frozen=True)
class Shortfall:
    """One item behind a figure's shortfall: a case (or an act of it, `event_seq`) or a person (`ref`)."""

    ref: str  # case id; a username for the two staff figures
    reason: str  # a key of REASONS
    due: date | None = None  # the last day of the limit missed (an expired certificate: its last valid day)
    done_on: date | None = None  # when it was done late, or the act's date; None: not done
    event_seq: int | None = None  # the act's audit event (audio-video figure)

    @property
    def reason_label(self) -> Label:
        return REASONS[self.reason]

    def as_dict(self) -> dict[str, Any]:
        return {"ref": self.ref, "reason": self.reason, "reason_label": _label(self.reason_label),
                "due": _iso(self.due), "done_on": _iso(self.done_on), "event_seq": self.event_seq}


@dataclass(frozen=True)
class Part:
    """Items of the period a figure names apart: left out (pending, not published with a reason ...) or a
    subset worth seeing (extended limits, qualified reviewers). Its key says which."""

    key: str
    label: Label
    refs: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": _label(self.label), "count": len(self.refs),
                "refs": list(self.refs)}


@dataclass(frozen=True)
class Figure:
    key: str
    label: Label
    basis: str  # the article(s) the figure measures
    period_rule: Label  # which date places an item in the period
    unit: Label
    numerator: int
    denominator: int
    shortfalls: tuple[Shortfall, ...] = ()  # the denominator's items outside the numerator
    parts: tuple[Part, ...] = ()
    notes: tuple[Label, ...] = ()  # where the law is uncertain or the rule is set locally
    target: float | None = 1.0  # the share the rule asks for
    share: float | None = field(init=False)  # None when there is nothing to count: never 100% of nothing

    def __post_init__(self) -> None:
        object.__setattr__(self, "share", self.numerator / self.denominator if self.denominator else None)

    @property
    def refs(self) -> tuple[str, ...]:
        """The case ids (or usernames) behind the shortfall, each once, in order."""
        return tuple(dict.fromkeys(s.ref for s in self.shortfalls))

    def part(self, key: str) -> tuple[str, ...]:
        return next((p.refs for p in self.parts if p.key == key), ())

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key, "label": _label(self.label), "basis": self.basis,
            "period_rule": _label(self.period_rule), "unit": _label(self.unit),
            "numerator": self.numerator, "denominator": self.denominator, "share": self.share,
            "target": self.target, "shortfalls": [s.as_dict() for s in self.shortfalls],
            "parts": [p.as_dict() for p in self.parts], "notes": [_label(n) for n in self.notes],
        }


@dataclass(frozen=True)
class ComplianceReport:
    org_id: str
    org_name: Label
    period_start: date
    period_end: date
    as_of: date
    figures: tuple[Figure, ...]

    def figure(self, key: str) -> Figure:
        return next(f for f in self.figures if f.key == key)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (docs/operations.md describes the shape)."""
        return {"format": FORMAT, "org": {"id": self.org_id, "name": _label(self.org_name)},
                "period": {"start": self.period_start.isoformat(), "end": self.period_end.isoformat()},
                "as_of": self.as_of.isoformat(), "figures": [f.as_dict() for f in self.figures]}


# ---------------------------------------------------------------- the entry point


def default_period(today: date, start: date | None = None, end: date | None = None) -> tuple[date, date]:
    """The period asked for, by default from 1 January of this year to today (the CLI and the API)."""
    return start or date(today.year, 1, 1), end or today


def compliance_figures(session: Session, org_id: str, period_start: date, period_end: date, *,
                       registry: Registry, as_of: date | None = None) -> ComplianceReport:
    """The seven figures of `org_id` for the days period_start..period_end (both included).

    `registry` gives each case's own procedure version (its audio-video acts); `as_of` is the day open limits
    are judged on (default: period_end). Raises UnknownOrganisation, or ValueError when start > end.
    """
    if period_start > period_end:
        raise ValueError(f"period starts {period_start.isoformat()} after it ends {period_end.isoformat()}")
    org = session.get(Organization, org_id)
    if org is None:
        raise UnknownOrganisation(org_id)
    as_of = as_of or period_end
    period = _Period(period_start, period_end)
    cases = session.scalars(select(Case).where(Case.org_id == org_id).order_by(Case.id)).all()
    enforcement = [c for c in cases if c.procedure == ENFORCEMENT_PROCEDURE]
    running = _running_limits(session, org_id)
    settings = setting_values(session, org_id)
    staff = _Staff.load(session, org_id)
    figures = (
        publication_on_time(enforcement, running, period, as_of),
        withdrawal_in_time(enforcement, running, period, as_of),
        av_recorded(session, cases, registry, settings.get(MANDATORY_AV_ACTS), period),
        major_reviewed(session, enforcement, [c for c in cases if c.procedure == REVIEW_PROCEDURE], period,
                       settings, registry),
        decided_within_limit(enforcement, running, period, as_of),
        officers_certified(staff, min(period_end, as_of)),
        legal_review_staff(staff),
        dates_entered_in_time(cases, registry, period, settings),
    )
    return ComplianceReport(org.id, Label(org.name_zh, org.name_en), period_start, period_end, as_of, figures)


# ---------------------------------------------------------------- the figures


def publication_on_time(cases: Sequence[Case], running: _Running, period: _Period, as_of: date) -> Figure:
    """行政执法决定按期公开: penalty and no-penalty decisions published within their publication period.

    行政处罚法第四十八条第一款 asks a decision with "一定社会影响" (some social impact) to be published; the
    periods are the local rules implementing 国办发〔2018〕118号 ([V2]): 7 working days for a penalty decision
    (setting enforcement.publication_working_days), 20 for other decisions such as not to penalise (setting
    enforcement.other_publication_working_days), not the law's own words. Period: the decision date the
    decision document states (`decided_on`, which the publication period counts from; for a decision not to
    penalise, the day it was recorded). Counted: every such decision of the period, except those whose reason for not publishing is on record (第四十八条 leaves that
    judgment to the agency; the engine records no due date for such a waiver, so its timing is not judged —
    listed as a part) and those still within their period on `as_of` (pending). On time: the publication
    step's recorded timeliness. Missed: published late, or unpublished with the period run out.
    """
    tally = _Tally()
    waived: list[str] = []
    for case in cases:
        data = case.data or {}
        decision = data.get("decision") or data.get("no_penalty_decision")
        if not decision or not period.holds(_decision_date(decision)):
            continue
        if not data.get("publication") and data.get("publication_waiver"):
            waived.append(case.id)
            continue
        tally.judge(case.id, data.get("publication"), (PUBLICATION_PERIOD, OTHER_PUBLICATION_PERIOD), running,
                    as_of)
    return tally.figure(
        PUBLICATION, Label("行政执法决定按期公开", "Enforcement decisions published on time"),
        f"{PENALTY_LAW}第四十八条第一款；{GUIDELINE_118}（行政执法公示制度）",
        Label("决定书载明的作出决定日期在统计期内", "the date of the decision falls in the period"),
        DECISIONS, extra_parts=[Part("not_published_with_reason",
                                     Label("已记录不予公开理由（不计入）", "not published, reason on record (left out)"),
                                     tuple(waived))],
        notes=(Label("公开期限（处罚决定7个工作日、不予处罚等其他决定20个工作日）为118号地方实施办法的要求，由本单位设置"
                     "（enforcement.publication_working_days、enforcement.other_publication_working_days），"
                     "非法律明文；第四十八条只要求公开具有一定社会影响的决定",
                     "The 7 (penalty) and 20 (other decisions, e.g. not to penalise) working days come from the "
                     "local rules implementing 118号 (settings enforcement.publication_working_days and "
                     "enforcement.other_publication_working_days), not from the law; art 48 asks publication "
                     "only of decisions with some social impact"),))


def withdrawal_in_time(cases: Sequence[Case], running: _Running, period: _Period, as_of: date) -> Figure:
    """公开的处罚决定按期撤回: published decisions withdrawn within 3 working days of the ground arising.

    行政处罚法第四十八条第二款: a published decision that is changed, revoked, confirmed unlawful or void is
    withdrawn within 3 days, with the reason stated in public; 第八十五条 makes them working days (the engine's
    calendar, holidays and make-up days included, computed the due date). Period: the day the ground arose
    (`occurred_on` of the recorded ground, which the 3 days count from). On time: the withdrawal step's
    recorded timeliness; missed: withdrawn late, or not withdrawn with the 3 days run out on `as_of`.
    """
    tally = _Tally()
    for case in cases:
        data = case.data or {}
        ground = data.get("withdrawal_ground")
        if not ground or not period.holds(_day(ground.get("occurred_on"))):
            continue
        tally.judge(case.id, data.get("withdrawal"), (WITHDRAWAL_PERIOD,), running, as_of)
    return tally.figure(
        WITHDRAWAL, Label("公开的处罚决定按期撤回", "Published decisions withdrawn in time"),
        f"{PENALTY_LAW}第四十八条第二款、第八十五条",
        Label("撤回事由发生日期在统计期内", "the day the ground for withdrawal arose falls in the period"), CASES)


def av_recorded(session: Session, cases: Sequence[Case], registry: Registry, setting: Any,
                period: _Period) -> Figure:
    """应全程音像记录的执法行为有音像记录: acts needing an audio-video record that have one made before them.

    行政处罚法第四十七条 asks text and audio-video records of the whole process; 国办发〔2018〕118号 ([V2])
    makes audio-video mandatory for acts that directly concern personal liberty, life, health or major
    property rights, naming 查封扣押财产 and 强制拆除 as examples. Which acts need it is therefore data: the
    procedure definition's `audio_video.acts` plus, for 行政处罚案件, the organisation's setting enforcement.mandatory_av_acts (a list of triggers).
    An act is one "transition" audit event with such a trigger; period: its date in Beijing time. Covered: the
    case holds an `av` record (case data `records`) for that act's trigger whose event_seq is lower than the
    act's. Each record covers one occurrence: a case that seals twice needs two records (they are matched
    to the occurrences in order, each to the earliest record not yet taken).
    """
    setting_acts = {a for a in setting if isinstance(a, str)} if isinstance(setting, list) else set()
    notes = [Label("须音像记录的执法行为：程序定义的 audio_video.acts 与本单位设置 enforcement.mandatory_av_acts；"
                   "118号原文未见，查封扣押财产、强制拆除为公开报道所列示例",
                   "Acts needing audio-video: the definition's audio_video.acts and the setting "
                   "enforcement.mandatory_av_acts; 118号's text was not seen, sealing/seizure and forced "
                   "demolition are the examples reported")]
    steps = {t.trigger for p in registry.all() if p.id == ENFORCEMENT_PROCEDURE for t in p.transitions}
    unknown = sorted(setting_acts - steps)
    if unknown:
        notes.append(Label(f"设置项中的「{'、'.join(unknown)}」不是行政处罚程序的步骤",
                           f"not a step of the penalty procedure: {', '.join(unknown)}"))
    if not setting_acts and not any(_declared_acts(p) for p in registry.all()):
        notes.append(Label("未确定须音像记录的执法行为（程序定义和本单位设置均未列明）",
                           "No act needing audio-video is named (neither by a definition nor by a setting)"))
    acts_of = {c.id: _declared_acts(_procedure(registry, c))
               | (setting_acts if c.procedure == ENFORCEMENT_PROCEDURE else set()) for c in cases}
    wanted = set().union(*acts_of.values())
    events: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    if wanted:
        _, after = local_day_bounds(period.start, period.end)
        # Earlier occurrences too: they may have taken a record. Later ones cannot change the matching.
        for case_id, seq, trigger, at in session.execute(
                select(AuditEvent.case_id, AuditEvent.seq, AuditEvent.trigger, AuditEvent.at)
                .join(Case, Case.id == AuditEvent.case_id)
                .where(Case.org_id == cases[0].org_id, AuditEvent.kind == "transition",
                       AuditEvent.trigger.in_(sorted(wanted)), AuditEvent.at < after)
                .order_by(AuditEvent.case_id, AuditEvent.seq)):
            if trigger in acts_of.get(case_id, ()):
                events[case_id].append((seq, trigger, at))
    data_of = {c.id: c.data or {} for c in cases}
    covered = 0
    shortfalls: list[Shortfall] = []
    for case_id, acts in events.items():
        records = sorted((r for r in data_of[case_id].get("records") or [] if isinstance(r, Mapping)
                          and r.get("kind") == "av" and isinstance(r.get("event_seq"), int)),
                         key=lambda r: r["event_seq"])
        taken: set[int] = set()
        for seq, trigger, at in acts:
            match = next((i for i, r in enumerate(records)
                          if i not in taken and r.get("act") == trigger and r["event_seq"] < seq), None)
            if match is not None:
                taken.add(match)
            day = local_date(parse_stamp(at))
            if not period.holds(day):
                continue
            if match is not None:
                covered += 1
            else:
                shortfalls.append(Shortfall(case_id, "no_av_record", done_on=day, event_seq=seq))
    return Figure(
        AUDIO_VIDEO, Label("应音像记录的执法行为有音像记录", "Acts needing audio-video that have a record"),
        f"{PENALTY_LAW}第四十七条；{GUIDELINE_118}（执法全过程记录制度）",
        Label("执法行为的办理日期（北京时间）在统计期内", "the act's date (Beijing time) falls in the period"), ACTS,
        covered, covered + len(shortfalls), tuple(shortfalls), notes=tuple(notes))


def major_reviewed(session: Session, cases: Sequence[Case], reviews: Sequence[Case],
                   period: _Period, settings: Mapping[str, Any] | None = None,
                   registry: Registry | None = None) -> Figure:
    """重大执法决定经法制审核: major penalty decisions made after a legal review of them had passed.

    行政处罚法第五十八条: no decision in a major case without a legal review, or if it failed; 国办发〔2018〕118号
    the same. Major is what major.is_major says: the organisation's catalogue (setting
    enforcement.review_catalogue: locally set) as computed from the case, or the officer's assessment. Period: the date on the penalty decision. Reviewed
    before: a review case linked to it (submission.enforcement_case) has a pass_review event earlier than
    the decide_penalty event. Only penalty decisions count: the engine asks for a review before those, and
    whether 第五十八条 also reaches a decision not to penalise is not settled. Decisions made with no
    assessment on record cannot be classed and are listed as a part.
    """
    passes: dict[str, list[str]] = defaultdict(list)
    linked = {r.id: ((r.data or {}).get("submission") or {}).get("enforcement_case") for r in reviews}
    if linked:
        for case_id, at in session.execute(
                select(AuditEvent.case_id, AuditEvent.at).where(
                    AuditEvent.case_id.in_(list(linked)), AuditEvent.kind == "transition",
                    AuditEvent.trigger == "pass_review")):
            if linked[case_id]:
                passes[linked[case_id]].append(at)
    majors: list[tuple[Case, int]] = []
    unassessed: list[str] = []
    for case in cases:
        data = case.data or {}
        decision = data.get("decision")
        if not decision or not period.holds(_decision_date(decision)):
            continue
        # the engine's one answer: the catalogue as computed from the decision made, or the assessment
        major = is_major(data, settings, _procedure(registry, case) if registry else None, decision)
        if major is None:
            unassessed.append(case.id)
        elif major:
            majors.append((case, int(decision["event_seq"])))
    decided_at: dict[tuple[str, int], str] = {}
    if majors:
        for case_id, seq, at in session.execute(
                select(AuditEvent.case_id, AuditEvent.seq, AuditEvent.at).where(
                    AuditEvent.case_id.in_([c.id for c, _ in majors]), AuditEvent.kind == "transition",
                    AuditEvent.trigger == "decide_penalty")):
            decided_at[(case_id, seq)] = at
    reviewed = 0
    shortfalls: list[Shortfall] = []
    for case, seq in majors:
        at = decided_at.get((case.id, seq), "")
        # Both are RFC 3339 UTC stamps of one fixed format (workflow/clock.py): they compare as strings.
        if any(p < at for p in passes[case.id]):
            reviewed += 1
        else:
            reason = "reviewed_after_decision" if passes[case.id] else "not_reviewed"
            decided_on = _decision_date((case.data or {})["decision"])
            shortfalls.append(Shortfall(case.id, reason, done_on=decided_on))
    return Figure(
        MAJOR_REVIEW, Label("重大执法决定经法制审核后作出", "Major decisions made after a passed legal review"),
        f"{PENALTY_LAW}第五十八条；{GUIDELINE_118}（重大执法决定法制审核制度）",
        Label("处罚决定书载明的作出决定日期在统计期内", "the date on the penalty decision falls in the period"),
        DECISIONS, reviewed, len(majors), tuple(shortfalls),
        (Part("unassessed", Label("未记录是否属于重大执法决定", "no assessment of whether it is major"),
              tuple(unassessed)),),
        notes=(Label("重大执法决定的范围依第五十八条及本单位法制审核目录清单（enforcement.review_catalogue）认定；"
                     "仅统计行政处罚决定，不予处罚决定是否须经法制审核法律未明确",
                     "Which decisions are major follows art 58 and the organisation's catalogue "
                     "(enforcement.review_catalogue); only penalty decisions count: whether art 58 reaches a "
                     "decision not to penalise is not settled"),))


def decided_within_limit(cases: Sequence[Case], running: _Running, period: _Period, as_of: date) -> Figure:
    """按期作出处理决定: cases decided within 90 days of opening (行政处罚法第六十条), or within a lawful extension.

    第六十条: decide within 90 days of 立案 unless a law, regulation or rule provides otherwise; the law itself
    has no extension, so an extension counts only where the engine recorded one under a rule (setting
    enforcement.decision_extension_days, with its source) and is judged against the extended date; such
    cases are listed as a part. A decision is any step that ends the limit: a penalty decision, a decision
    not to penalise, a transfer to judicial organs. Period: the decision date (the date on a penalty
    decision; for the other two, which state none, the day the step was recorded). A case with no decision
    whose limit has run out on `as_of` is missed, and belongs to the period holding its due date.
    """
    tally = _Tally()
    extended: list[str] = []
    for case in cases:
        data = case.data or {}
        key = next((k for k in DECIDING_RECORDS if data.get(k)), None)
        if key is not None:
            record = data[key]
            if not period.holds(_decision_date(record)):
                continue
            if (record.get("timeliness") or {}).get("extended_decision_period"):
                extended.append(case.id)
            tally.judge(case.id, record, DECISION_PERIODS, running, as_of)
            continue
        row = next((running[(case.id, n)] for n in DECISION_PERIODS if (case.id, n) in running), None)
        if row is not None and period.holds(row.due):
            tally.judge(case.id, None, DECISION_PERIODS, running, as_of)
    return tally.figure(
        DECISION_LIMIT, Label("在法定期限内作出处理决定", "Cases decided within the time limit"),
        f"{PENALTY_LAW}第六十条",
        Label("作出决定日期在统计期内；尚未决定且已逾期的，按期限届满日", "the decision date falls in the period; "
              "for a case still undecided past its limit, the limit's last day"),
        CASES,
        extra_parts=[Part("extended", Label("依规延长期限", "limit extended under a rule"), tuple(extended))],
        notes=(Label("第六十条本身无延长规定；依法律、法规、规章延长的，按延长后的期限判断"
                     "（enforcement.decision_extension_days）",
                     "Art 60 itself has no extension; where a law, regulation or rule provides one, the "
                     "extended date is the limit (enforcement.decision_extension_days)"),))


def officers_certified(staff: _Staff, day: date) -> Figure:
    """执法人员持有效执法证件: enforcement officers holding an enforcement certificate valid on `day`.

    行政处罚法第四十二条: penalties are enforced by officers with enforcement qualification (执法证件).
    `day`: the period's last day, or `as_of` if earlier. Officers: active accounts with the enforcement
    officer role now — the system keeps no history of accounts and roles, so a past period is judged on
    today's roster with the certificates' own dates. A certificate of any field counts here; the guard
    checks the case's field when officers are assigned.
    """
    certified = 0
    shortfalls: list[Shortfall] = []
    for username in staff.officers:
        held = staff.certificates.get(username, [])
        if any(c.issued_on <= day and (c.valid_until is None or day <= c.valid_until) for c in held):
            certified += 1
        elif not held:
            shortfalls.append(Shortfall(username, "no_certificate"))
        elif any(c.valid_until is not None and c.valid_until < day for c in held):
            expired = max(c.valid_until for c in held if c.valid_until is not None and c.valid_until < day)
            shortfalls.append(Shortfall(username, "expired", due=expired))
        else:
            shortfalls.append(Shortfall(username, "not_yet_valid"))
    return Figure(
        CERTIFIED, Label("执法人员持有效执法证件", "Enforcement officers with a valid certificate"),
        f"{PENALTY_LAW}第四十二条",
        Label(f"证件在{day.isoformat()}有效（统计期末日，或今日如更早）",
              f"certificate valid on {day.isoformat()} (the period's last day, or today if earlier)"),
        PEOPLE, certified, len(staff.officers), tuple(shortfalls),
        notes=(Label("以当前在岗账号及角色计（系统不保存账号历史）",
                     "Counted over the accounts and roles active now (no account history is kept)"),))


def legal_review_staff(staff: _Staff) -> Figure:
    """法制审核人员与执法人员之比: legal reviewers over enforcement officers.

    国办发〔2018〕118号 is widely quoted as asking legal reviewers to be "in principle" at least 5% of the
    agency's enforcement staff; that wording was not found in any public source consulted ([U],
    legal-facts §12), so the 5% target is shown as a reference, not a rule. 行政处罚法第五十八条第二款: a
    first-time reviewer needs the 法律职业资格 — reviewers holding one on record are a part. Counts are of
    accounts active now (no history is kept). Someone holding both roles counts on both sides (a part names
    them: a reviewer may not review a case they investigated, but the law does not bar holding both roles).
    """
    qualified = tuple(u for u in staff.reviewers
                      if any(c.kind == LEGAL_QUALIFICATION for c in staff.credentials.get(u, [])))
    both = tuple(u for u in staff.reviewers if u in staff.officers)
    return Figure(
        REVIEW_STAFF, Label("法制审核人员与执法人员之比", "Legal reviewers against enforcement officers"),
        f"{GUIDELINE_118}（重大执法决定法制审核制度）；{PENALTY_LAW}第五十八条第二款",
        Label("当前在岗账号（系统不保存账号历史）", "accounts active now (no account history is kept)"), PEOPLE,
        len(staff.reviewers), len(staff.officers),
        parts=(Part("legal_qualification", Label("已登记法律职业资格的审核人员", "reviewers with the legal qualification"),
                    qualified),
               Part("both_roles", Label("同时为执法人员", "also enforcement officers"), both)),
        notes=(Label("「法制审核人员原则上不少于执法人员总数的5%」见于对118号的转述，原文未核实，仅作参考",
                     "\"Reviewers at least 5% of enforcement staff\" is quoted from 118号 but unverified: "
                     "a reference only"),),
        target=REVIEW_STAFF_SHARE)


def dates_entered_in_time(cases: Sequence[Case], registry: Registry, period: _Period,
                          settings: Mapping[str, Any]) -> Figure:
    """填写日期的事项及时录入: recorded steps carrying a typed date that were not late entries (补录).

    Every procedure, not only enforcement: a step whose payload has a date field is a dated entry; it is a late
    entry when its typed date lay more than records.late_entry_days before the day it was entered — the engine
    then asked a reason and marked the record (workflow/typed_dates.py), and this figure reads that mark.
    Period: the day the step was entered (recorded_on). Late entries are lawful with their reason; the figure
    shows how much of the record was written after the fact, with a part per procedure, and sets no target.
    Records kept from earlier rounds (previous_rounds) and superseded records count too: they were entered.
    """
    dated = 0
    shortfalls: list[Shortfall] = []
    by_procedure: dict[str, list[str]] = defaultdict(list)
    labels: dict[str, Label] = {}
    for case in cases:
        procedure = _procedure(registry, case)
        if procedure is None:
            continue
        steps = {t.trigger: t for t in (procedure.create, *procedure.transitions)}
        labels.setdefault(procedure.id, procedure.label)
        for item in _recorded_items(case.data or {}):
            step = steps.get(str(item.get("trigger")))
            entered = _day(item.get("recorded_on"))
            if step is None or not period.holds(entered) or \
                    not any(item.get(n) for n in typed_dates.date_fields(step)):
                continue
            dated += 1
            if typed_dates.is_late_entry(item):
                typed = [d for d in map(_day, item[typed_dates.MARK].get("fields", {}).values()) if d]
                shortfalls.append(Shortfall(case.id, "late_entry", min(typed, default=None), entered,
                                            item.get("event_seq") if isinstance(item.get("event_seq"), int) else None))
                by_procedure[procedure.id].append(case.id)
    limit = typed_dates.late_limit(settings)
    notes = [Label("补录认定天数为本单位设置（records.late_entry_days）；补录须说明理由，不属违法，此处仅供监督",
                   "The days after which an entry is late are set by the organisation (records.late_entry_days); a "
                   "late entry with its reason is lawful: shown for oversight")]
    if limit is None:
        notes.append(Label("本单位尚未设置补录认定天数，未认定任何补录", "No late-entry days are set: no entry counts as late"))
    return Figure(
        ENTERED_IN_TIME, Label("填写日期的事项及时录入", "Dated entries made in time"),
        "国办发〔2018〕118号（执法全过程记录制度）；行政处罚法第四十七条；重大行政决策程序暂行条例第三十三条",
        Label("录入日期在统计期内", "the day the entry was made falls in the period"), Label("项", "entries"),
        dated - len(shortfalls), dated, tuple(shortfalls),
        tuple(Part(f"late_entries:{p}", Label(f"{labels[p].zh}补录", f"late entries: {labels[p].en}"), tuple(refs))
              for p, refs in sorted(by_procedure.items())),
        tuple(notes), target=None)


# ---------------------------------------------------------------- helpers


def _recorded_items(data: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    """Every item a step recorded in the case data: current, superseded and of earlier rounds."""
    for key, value in data.items():
        if key == "previous_rounds" and isinstance(value, list):
            for earlier in value:
                if isinstance(earlier, Mapping):
                    yield from _recorded_items(earlier)
            continue
        if key == "superseded" and isinstance(value, Mapping):
            for replaced in value.values():
                yield from (i for i in replaced if isinstance(i, Mapping)) if isinstance(replaced, list) else ()
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, Mapping) and "trigger" in item and "recorded_on" in item:
                yield item


@dataclass(frozen=True)
class _Period:
    start: date
    end: date

    def holds(self, day: date | None) -> bool:
        return day is not None and self.start <= day <= self.end


@dataclass(frozen=True)
class _Limit:
    due: date


_Running = Mapping[tuple[str, str], _Limit]


def _running_limits(session: Session, org_id: str) -> dict[tuple[str, str], _Limit]:
    """The organisation's running limits (case_deadline rows), by (case id, deadline name)."""
    rows = session.execute(
        select(CaseDeadline.case_id, CaseDeadline.name, CaseDeadline.due)
        .join(Case, Case.id == CaseDeadline.case_id)
        .where(Case.org_id == org_id, CaseDeadline.kind == "limit")).all()
    return {(case_id, name): _Limit(due) for case_id, name, due in rows}


class _Tally:
    """Judges items against a limit: met or late by the recorded timeliness, overdue or pending by the row."""

    def __init__(self) -> None:
        self.met = 0
        self.shortfalls: list[Shortfall] = []
        self.pending: list[str] = []
        self.untracked: list[str] = []
        self.late_entries: list[str] = []  # judged by a date entered late (补录): never shown as a plain on time

    def judge(self, case_id: str, record: Mapping[str, Any] | None, limits: Iterable[str], running: _Running,
              as_of: date) -> None:
        """`record`: the case data entry of the step that ends the limit, None while it has not happened."""
        limits = tuple(limits)
        if record is not None:
            entries = record.get("timeliness") or {}
            entry = next((entries[n] for n in limits if n in entries), None)
            if entry is None:  # no limit was running when the step was taken (e.g. data older than tracking)
                self.untracked.append(case_id)
                return
            if entry.get("late_entry"):
                self.late_entries.append(case_id)
            if entry.get("on_time"):
                self.met += 1
            else:
                self.shortfalls.append(Shortfall(case_id, "late", _day(entry.get("due")),
                                                 _day(entry.get("ended_on"))))
            return
        row = next((running[(case_id, n)] for n in limits if (case_id, n) in running), None)
        if row is None:
            self.untracked.append(case_id)
        elif row.due < as_of:
            self.shortfalls.append(Shortfall(case_id, "overdue", row.due))
        else:
            self.pending.append(case_id)

    def figure(self, key: str, label: Label, basis: str, period_rule: Label, unit: Label, *,
               extra_parts: Iterable[Part] = (), notes: tuple[Label, ...] = ()) -> Figure:
        parts = (*extra_parts,
                 Part("pending", Label("期限未届满、尚未办理（不计入）", "not done, still within the limit (left out)"),
                      tuple(self.pending)),
                 Part("untracked", Label("无期限记录（不计入）", "no limit on record (left out)"),
                      tuple(self.untracked)),
                 Part("late_entry", Label("依补录的日期判断（计入）", "judged by a date entered late (counted)"),
                      tuple(self.late_entries)))
        return Figure(key, label, basis, period_rule, unit, self.met, self.met + len(self.shortfalls),
                      tuple(self.shortfalls), parts, notes)


@dataclass(frozen=True)
class _Credential:
    kind: str
    issued_on: date
    valid_until: date | None


@dataclass(frozen=True)
class _Staff:
    officers: tuple[str, ...]
    reviewers: tuple[str, ...]
    credentials: Mapping[str, list[_Credential]]  # every kind

    @property
    def certificates(self) -> dict[str, list[_Credential]]:
        return {u: [c for c in held if c.kind == "enforcement"] for u, held in self.credentials.items()}

    @classmethod
    def load(cls, session: Session, org_id: str) -> _Staff:
        rows = session.execute(
            select(User.username, RoleAssignment.role).join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(User.org_id == org_id, User.active.is_(True),
                   RoleAssignment.role.in_([OFFICER, LEGAL_REVIEWER]))
            .order_by(User.username)).all()
        officers = tuple(u for u, role in rows if role == OFFICER)
        reviewers = tuple(u for u, role in rows if role == LEGAL_REVIEWER)
        credentials: dict[str, list[_Credential]] = defaultdict(list)
        people = sorted({*officers, *reviewers})
        if people:
            for username, kind, issued_on, valid_until in session.execute(
                    select(EnforcementCertificate.username, EnforcementCertificate.kind,
                           EnforcementCertificate.issued_on, EnforcementCertificate.valid_until)
                    .where(EnforcementCertificate.username.in_(people))):
                credentials[username].append(_Credential(kind, issued_on, valid_until))
        return cls(officers, reviewers, dict(credentials))


def _declared_acts(procedure: Procedure | None) -> set[str]:
    """The acts the definition itself says must be recorded on audio-video (`audio_video.acts`)."""
    return set(procedure.audio_video.acts) if procedure is not None and procedure.audio_video else set()


def _procedure(registry: Registry, case: Case) -> Procedure | None:
    try:
        return registry.get(case.procedure, case.procedure_version)
    except KeyError:  # a version no longer loaded: its declared acts are unknown
        return None


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _decision_date(record: Mapping[str, Any]) -> date | None:
    """The date a decision states (decided_on), else the day its step was recorded."""
    return _day(record.get("decided_on")) or _day(record.get("recorded_on"))


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _label(label: Label) -> dict[str, str]:
    return {"zh": label.zh, "en": label.en}
