"""Compliance figures (workflow/procedures/enforcement/compliance.py, `lawflow compliance`) on a small town whose cases are all
driven through the real engine on a fixed clock, with every expected number derived by hand in a comment.

桥头镇 (an invented town) has eleven penalty cases and one legal review in 2026. The report period is the
first half of 2026 (H1 = 2026-01-01..2026-06-30) unless a test says otherwise; `as_of` is 2026-07-20 (the day
the report is made) unless a test says otherwise. Working days follow the State Council's 2026 notice:
清明 04-04..04-06 and 劳动节 05-01..05-05 are holidays; 02-14, 02-28 and 05-09 (Saturdays) are working days.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from tests.cli import Lawflow
from workflow import accounts
from workflow.clock import FixedClock, local_date
from workflow.db import writing
from workflow.definitions import Registry, load_registry
from workflow.engine import Engine
from workflow.procedures.enforcement.compliance import (
    AUDIO_VIDEO,
    CERTIFIED,
    DECISION_LIMIT,
    KEYS,
    MAJOR_REVIEW,
    MANDATORY_AV_ACTS,
    PUBLICATION,
    REVIEW_STAFF,
    WITHDRAWAL,
    ComplianceReport,
    UnknownOrganisation,
    compliance_figures,
)
from workflow.procedures.enforcement.law import (
    CHECKLIST,
    DELEGATED_POWERS,
    EXTENSION_DAYS,
    LARGE_FINE_THRESHOLD,
    REVIEW_CATALOGUE,
)
from workflow.runtime import Runtime

REGISTRY = load_registry()
ORG = "qiaotou"
FIELD, POWER = "市容环境卫生", "对在街道两侧和公共场地堆放物料的处罚"
H1 = (date(2026, 1, 1), date(2026, 6, 30))
PRESERVE = "register_evidence_preservation"  # 先行登记保存证据 (处罚法第五十六条)
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
REPORT_DAY = date(2026, 7, 20)

# username, display name, roles, active
PEOPLE: list[tuple[str, str, list[str], bool]] = [
    ("off1", "王一", ["enforcement_officer"], True),
    ("off2", "王二", ["enforcement_officer"], True),
    ("off3", "王三", ["enforcement_officer"], True),  # certificate expired 2026-05-31
    ("off4", "王四", ["enforcement_officer"], True),  # no certificate at all
    ("off5", "王五", ["enforcement_officer"], True),  # certificate valid until 2026-06-30, the last day of H1
    ("off6", "王六", ["enforcement_officer"], True),  # certificate valid from 2026-07-01, the day after H1
    ("off7", "王七", ["enforcement_officer"], False),  # inactive account: not counted anywhere
    ("head1", "赵一", ["agency_head"], True),
    ("head2", "赵二", ["agency_head"], True),
    ("rev1", "钱一", ["legal_reviewer"], True),  # holds the legal professional qualification
    ("rev2", "钱二", ["legal_reviewer"], True),  # does not
]
CERTIFICATES: list[tuple[str, str, str, date, date | None]] = [  # username, kind, number, issued, valid until
    ("off1", "enforcement", "QT-001", date(2025, 1, 1), date(2028, 12, 31)),
    ("off2", "enforcement", "QT-002", date(2025, 1, 1), date(2028, 12, 31)),
    ("off3", "enforcement", "QT-003", date(2020, 6, 1), date(2026, 5, 31)),
    ("off5", "enforcement", "QT-005", date(2020, 7, 1), date(2026, 6, 30)),
    ("off6", "enforcement", "QT-006", date(2026, 7, 1), date(2032, 6, 30)),
    ("rev1", "legal_qualification", "A2019-0001", date(2019, 12, 1), None),
]


def _d(month: int, day: int) -> date:
    return date(2026, month, day)


@dataclass
class Office:
    """The town's enforcement office at work: every step through engine.fire, the clock never going back."""

    rt: Runtime
    clock: FixedClock
    engine: Engine
    cases: dict[str, str] = field(default_factory=dict)  # our letters -> case ids
    documents: int = 0
    files: int = 0

    def at(self, day: date, hour: int = 9) -> None:
        now = local_date(self.clock.now())
        assert day >= now, f"time would go back from {now} to {day}"
        if day > now:
            self.clock.set_local_date(day, hour)
        self.clock.advance(minutes=5)

    def fire(self, day: date, letter: str, trigger: str, who: str, engine: Engine | None = None,
             **payload: Any) -> int:
        self.at(day)
        outcome = (engine or self.engine).fire(self.cases[letter], trigger, who, payload)
        assert outcome.ok, (letter, trigger, [r.zh for r in outcome.reasons])
        assert outcome.seq is not None
        return outcome.seq

    def open(self, day: date, letter: str, engine: Engine | None = None) -> None:
        """立案 and assign two certified officers, the same day."""
        self.at(day)
        outcome = (engine or self.engine).create_case("enforcement_case", "off1", {
            "title": f"案件{letter}", "party": f"当事人{letter}", "party_type": "individual",
            "facts": "当事人在街道两侧堆放物料，经责令后未清理。", "field": FIELD, "power": POWER,
            "legal_basis": "《城市市容和环境卫生管理条例》第十四条"})
        assert outcome.ok and outcome.case_id, [r.zh for r in outcome.reasons]
        self.cases[letter] = outcome.case_id
        self.fire(day, letter, "start_investigation", "off1", engine, officers=["off1", "off2"])

    def notify(self, day: date, letter: str, amount: str = "2000", engine: Engine | None = None) -> None:
        trigger = "notify_with_hearing_rights" if int(amount) >= 10000 else "notify_intended_penalty"
        self.fire(day, letter, trigger, "off1", engine, penalty_type="fine", amount=amount, facts="堆放物料",
                  reasons="违法事实清楚", legal_basis="《城市市容和环境卫生管理条例》第三十六条",
                  rights_told="告知陈述、申辩权利", notified_on=day.isoformat())

    def assess(self, day: date, letter: str, major: bool = False, engine: Engine | None = None) -> None:
        self.fire(day, letter, "assess_major_case", "off1", engine, major_public_interest=False,
                  major_rights_after_hearing=False, complex=False,
                  **({"catalogue_item": "拟作出较大数额罚款的"} if major else {}))

    def decide(self, day: date, letter: str, amount: str = "2000", engine: Engine | None = None) -> None:
        self.documents += 1
        self.fire(day, letter, "decide_penalty", "head1", engine, document_no=f"桥综执罚〔2026〕{self.documents}号",
                  party=f"当事人{letter}", facts_and_evidence="现场勘验笔录、照片", penalty_type="fine", amount=amount,
                  legal_basis="《城市市容和环境卫生管理条例》第三十六条", performance="十五日内缴纳",
                  reconsideration_body="某区人民政府", reconsideration_days=60, litigation_months=6,
                  decided_on=day.isoformat(), sealed=True)

    def serve(self, day: date, letter: str, engine: Engine | None = None) -> None:
        self.fire(day, letter, "serve_decision", "off1", engine, method="direct", served_on=day.isoformat(),
                  proof_ref=f"送达回证-{letter}")

    def publish(self, day: date, letter: str, engine: Engine | None = None) -> None:
        self.fire(day, letter, "publish_decision", "off1", engine, channel="portal", location="桥头镇政府网站",
                  published_on=day.isoformat())

    def ground(self, day: date, letter: str) -> None:
        self.fire(day, letter, "record_withdrawal_ground", "off1", ground="revoked", document_ref="复议决定书",
                  occurred_on=day.isoformat())

    def withdraw(self, day: date, letter: str) -> None:
        self.fire(day, letter, "withdraw_publication", "off1", public_reason="该决定已被撤销，故撤回公开",
                  withdrawn_on=day.isoformat())

    def preserve(self, day: date, letter: str) -> int:
        return self.fire(day, letter, "register_evidence_preservation", "off1", items=["钢管20根"],
                         reason="物料可能被转移", head_approved=True)

    def conduct(self, day: date, letter: str) -> int:
        return self.fire(day, letter, "record_investigation_conduct", "off1", occasion="现场检查",
                         conducted_on=day.isoformat(), certificates_shown=True, duties_told=True,
                         av_record_ref=f"执法记录仪-{letter}")

    def attach(self, day: date, letter: str, *, kind: str, act: str) -> int:
        """Attach a record of `act` through the engine, with a small file of the right format."""
        self.files += 1
        content = (MP4 if kind == "av" else PDF) + f"{letter}-{self.files}".encode()
        details = {"format": "mp4", "duration_seconds": 300, "device": "执法记录仪-01", "recorder": "off1"} \
            if kind == "av" else {"format": "pdf"}
        self.at(day)
        outcome = self.engine.fire(self.cases[letter], "attach_record", "off1", {
            "kind": kind, "title": f"{act}记录", "made_on": day.isoformat(), "act": act, **details},
            attachment=self.rt.records.stage_bytes(content))
        assert outcome.ok and outcome.seq is not None, [r.zh for r in outcome.reasons]
        return outcome.seq


def _without_review_guard(registry: Registry) -> Registry:
    """The penalty procedure as a definition without 第五十八条's guard would run it (a legacy or mistaken
    version): the figure must read the records, not trust the guard."""
    proc = registry.get("enforcement_case")
    transitions = tuple(replace(t, guards=tuple(g for g in t.guards if g != "legal_review_passed_if_major"))
                        for t in proc.transitions)
    return Registry({**registry.procedures, (proc.id, proc.version): replace(proc, transitions=transitions)})


def _declaring(registry: Registry, acts: tuple[str, ...]) -> Registry:
    """The penalty procedure as a definition that names `acts` (instead of 查封、扣押) would declare them."""
    proc = registry.get("enforcement_case")
    assert proc.audio_video is not None
    declared = replace(proc, audio_video=replace(proc.audio_video, acts=acts))
    return Registry({**registry.procedures, (proc.id, proc.version): declared})


def _seed_org(rt: Runtime) -> None:
    now = datetime(2025, 12, 1, tzinfo=UTC)
    with writing(rt.sessions) as session:
        accounts.ensure_org(session, ORG, "某县桥头镇人民政府", "Qiaotou Town People's Government")
        session.flush()
        for username, name, roles, active in PEOPLE:
            user = accounts.create_user(session, username=username, display_name=name, org_id=ORG,
                                        roles=roles, password_hash="not-a-login")
            user.active = active
        settings: list[tuple[str, Any]] = [
            (DELEGATED_POWERS, [{"field": FIELD, "power": POWER}]),
            (LARGE_FINE_THRESHOLD, {"individual": "10000", "organisation": "100000"}),
            (REVIEW_CATALOGUE, ["拟作出较大数额罚款的"]),
            ("enforcement.publication_working_days", 7),
            ("enforcement.other_publication_working_days", 20),
            (EXTENSION_DAYS, 30),
            # 先行登记保存 decided as sealing or returning property: this town films its decision on the evidence
            # held. "no_such_step" is a typing error the figure must name, not count.
        ]
        for key, value in settings:
            accounts.set_setting(session, org_id=ORG, key=key, value=value, source="测试数据", by="admin",
                                 now=now)
        session.flush()
        for username, kind, number, issued, until in CERTIFICATES:
            accounts.add_certificate(session, username=username, kind=kind, number=number,
                                     field=FIELD if kind == "enforcement" else "", issued_on=issued,
                                     valid_until=until, issuer="某县")


def build_town(rt: Runtime, clock: FixedClock) -> dict[str, str]:
    """The year 2026 of 桥头镇, in date order. Letters name the cases; returns letter -> case id."""
    _seed_org(rt)
    clock.set_local_date(_d(1, 5), 8)
    office = Office(rt, clock, Engine(rt.sessions, REGISTRY, clock, records=rt.records))
    lax = Engine(rt.sessions, _without_review_guard(REGISTRY), clock, records=rt.records)  # only case M2 runs on it
    o = office
    o.open(_d(1, 5), "A")  # A: filed 01-05 (90 days: 04-05 is 清明, so 04-07)
    o.conduct(_d(1, 6), "A")
    o.attach(_d(1, 6), "A", kind="av", act=PRESERVE)
    o.open(_d(1, 6), "B")  # B: filed 01-06
    o.preserve(_d(1, 7), "A")  # covered by the audio-video record attached the day before
    o.fire(_d(1, 8), "A", "decide_on_preserved_evidence", "head1", measure="return", reasons="已拍照固定证据")
    o.preserve(_d(1, 9), "A")  # a second preservation: that one record is taken by the first
    o.notify(_d(1, 20), "A")
    o.open(_d(1, 20), "O")  # O: filed 01-20 and never decided: 90 days end 04-20
    o.assess(_d(1, 21), "A")
    o.decide(_d(2, 2), "A")
    o.open(_d(2, 2), "W")  # W: filed 02-02
    o.serve(_d(2, 3), "A")
    o.publish(_d(2, 5), "A")
    o.notify(_d(2, 20), "B")
    o.open(_d(2, 20), "C")  # C: filed 02-20, 90 days end 05-21
    o.assess(_d(2, 24), "B")
    o.open(_d(2, 24), "F")  # F: filed 02-24, 90 days end 05-25, extended to 06-24
    o.decide(_d(3, 2), "B")
    o.notify(_d(3, 2), "W")
    o.open(_d(3, 2), "N")  # N: filed 03-02, decided not to penalise 03-20
    o.serve(_d(3, 3), "B")
    o.assess(_d(3, 5), "W")
    o.publish(_d(3, 13), "B")  # B: decided 03-02, 7 working days end 03-11: published late
    o.decide(_d(3, 16), "W")
    o.fire(_d(3, 17), "W", "record_not_published", "head1", reason="仅罚款2000元且已改正，不具有一定社会影响")
    o.fire(_d(3, 20), "N", "decide_no_penalty", "head1", ground="minor_corrected", reasons="当日改正，已教育",
           document_no="桥综执不罚〔2026〕1号")
    o.open(_d(4, 1), "D")  # D: filed 04-01, 90 days end 06-30
    o.conduct(_d(4, 2), "D")
    o.attach(_d(4, 2), "D", kind="text", act=PRESERVE)
    o.ground(_d(4, 2), "A")  # 3 working days: 04-03 Fri, (清明 04-04..06), 04-07 Tue, 04-08 Wed
    o.ground(_d(4, 2), "B")
    o.open(_d(4, 2), "E")  # E: filed 04-02, 90 days end 07-01
    o.withdraw(_d(4, 8), "A")  # on the last day: on time only because 清明 is not counted
    o.withdraw(_d(4, 9), "B")  # one working day late
    o.open(_d(4, 13), "M1")  # M1 and M2: major cases (a 20000-yuan fine, in the review catalogue)
    o.open(_d(4, 13), "M2", engine=lax)
    o.notify(_d(4, 15), "M1", "20000")  # hearing right: 5 working days to ask, to 04-22
    o.notify(_d(4, 15), "M2", "20000", engine=lax)
    o.assess(_d(4, 16), "M1", major=True)
    o.at(_d(4, 16))
    review = office.engine.create_case("enforcement_review", "off1", {
        "title": "案件M1拟罚款2万元", "enforcement_case": o.cases["M1"], "materials": ["调查终结报告"],
        "proposal": "拟罚款20000元"})
    assert review.ok and review.case_id
    o.cases["R"] = review.case_id
    o.assess(_d(4, 16), "M2", major=True, engine=lax)
    o.fire(_d(4, 17), "R", "accept_for_review", "rev1", note="受理")
    for item in CHECKLIST:
        o.fire(_d(4, 17), "R", "record_checklist_finding", "rev1", item=item, finding="compliant")
    o.fire(_d(4, 21), "R", "pass_review", "rev1", opinion="同意")
    for letter, engine in (("M1", office.engine), ("M2", lax)):
        o.fire(_d(4, 22), letter, "record_collective_discussion", "head1", engine, meeting_date="2026-04-22",
               attendees=["head1", "head2"], conclusion="同意")
    for day, letter, engine in ((_d(5, 6), "M1", office.engine), (_d(5, 7), "M2", lax)):
        o.decide(day, letter, "20000", engine=engine)  # M2 without any review: its definition lacks the guard
        o.serve(day, letter, engine=engine)
        o.publish(day, letter, engine=engine)
    o.notify(_d(5, 11), "C")
    o.assess(_d(5, 12), "C")
    o.fire(_d(5, 20), "F", "extend_decision_period", "head1", extended_until="2026-06-24",
           rule_source="某规章第X条：经负责人批准可延长30日", reason="需补充鉴定")
    o.decide(_d(6, 1), "C")  # C: 11 days after its 90 days; never published (7 working days end 06-10)
    o.notify(_d(6, 1), "F")
    o.assess(_d(6, 2), "F")
    o.decide(_d(6, 15), "F")  # F: after its 90 days, within the extension
    o.serve(_d(6, 16), "F")
    o.publish(_d(6, 16), "F")
    o.ground(_d(6, 30), "F")  # the last day of H1; 3 working days end 07-03; never withdrawn
    acted = o.preserve(_d(6, 30), "D")  # the last day of H1: its audio-video is attached only afterwards
    o.conduct(_d(6, 30), "D")
    assert o.attach(_d(6, 30), "D", kind="av", act=PRESERVE) > acted
    o.notify(_d(6, 30), "D")
    o.assess(_d(6, 30), "D")
    o.decide(_d(6, 30), "D")  # on the last day of its 90 days; never published (7 working days end 07-09)
    clock.set_local_date(_d(7, 1), 0)
    clock.advance(minutes=30)  # 00:30 Beijing time on 07-01 is still 06-30 in UTC
    outcome = o.engine.fire(o.cases["E"], "register_evidence_preservation", "off1", {
        "items": ["钢管5根"], "reason": "物料可能被转移", "head_approved": True})
    assert outcome.ok
    o.notify(_d(7, 1), "E")
    o.assess(_d(7, 1), "E")
    o.decide(_d(7, 1), "E")  # E: the day after H1
    o.serve(_d(7, 1), "E")
    o.publish(_d(7, 1), "E")
    o.ground(_d(7, 1), "E")  # 3 working days end 07-06; never withdrawn
    # The town adopts its own audio-video list only now (07-10), after the acts above: the engine enforces a
    # list from its adoption on, the figure measures every act against today's list (settings keep no history).
    o.at(_d(7, 10))
    with writing(rt.sessions) as session:
        accounts.set_setting(session, org_id=ORG, key=MANDATORY_AV_ACTS,
                             value=["decide_on_preserved_evidence", "no_such_step"], source="测试数据",
                             by="admin", now=clock.now())
    return o.cases


@pytest.fixture
def qiaotou(runtime: Runtime, clock: FixedClock) -> dict[str, str]:
    return build_town(runtime, clock)


def figures(rt: Runtime, start: date, end: date, *, as_of: date | None = None,
            registry: Registry = REGISTRY, org: str = ORG) -> ComplianceReport:
    with rt.sessions() as session:
        return compliance_figures(session, org, start, end, registry=registry, as_of=as_of)


def shortfalls(report: ComplianceReport, key: str) -> list[tuple[str, str, date | None, date | None]]:
    return [(s.ref, s.reason, s.due, s.done_on) for s in report.figure(key).shortfalls]


def test_the_first_half_of_2026_by_hand(runtime: Runtime, qiaotou: dict[str, str]) -> None:
    c = qiaotou
    report = figures(runtime, *H1, as_of=REPORT_DAY)
    assert [f.key for f in report.figures] == list(KEYS)

    # Publication. Penalty decisions dated in H1: A 02-02, B 03-02, W 03-16, M1 05-06, M2 05-07, C 06-01,
    # F 06-15, D 06-30 (E is 07-01); and N's decision not to penalise, 03-20. W's reason for not publishing
    # is on record: left out. Eight counted. On time: A (02-05, due 02-11), M1 and M2 (same day), F (06-16)
    # = 4. B: due 03-11 (03-03..06, 09..11), published 03-13: late. C: due 06-10, D: due 07-09 (07-01..03,
    # 06..09): both unpublished on 07-20. N: 20 working days from 03-20 (03-23..27, 03-30..04-03, 清明
    # 04-04..06 off, 04-07..10, 04-13..17, 04-20) end 04-20; unpublished on 07-20: overdue.
    publication = report.figure(PUBLICATION)
    assert (publication.numerator, publication.denominator) == (4, 8)
    assert publication.share == pytest.approx(4 / 8)
    assert shortfalls(report, PUBLICATION) == [
        (c["B"], "late", _d(3, 11), _d(3, 13)), (c["C"], "overdue", _d(6, 10), None),
        (c["N"], "overdue", _d(4, 20), None), (c["D"], "overdue", _d(7, 9), None)]
    assert publication.part("not_published_with_reason") == (c["W"],)
    assert publication.part("pending") == ()
    assert "第四十八条" in publication.basis

    # Withdrawal. Grounds arising in H1: A and B on 04-02 (due 04-08 over 清明), F on 06-30 (due 07-03);
    # E's (07-01) is outside. A withdrew on 04-08: on time; B on 04-09: late; F never: overdue on 07-20.
    withdrawal = report.figure(WITHDRAWAL)
    assert (withdrawal.numerator, withdrawal.denominator) == (1, 3)
    assert shortfalls(report, WITHDRAWAL) == [(c["B"], "late", _d(4, 8), _d(4, 9)),
                                              (c["F"], "overdue", _d(7, 3), None)]
    assert "第四十八条第二款" in withdrawal.basis and "第八十五条" in withdrawal.basis

    # Audio-video, the definitions as in this branch (no av_required_acts): only the setting's act counts,
    # decide_on_preserved_evidence, done once (A, 01-08) with no record → 0 of 1; the setting's typing error
    # is named in a note.
    av = report.figure(AUDIO_VIDEO)
    assert (av.numerator, av.denominator) == (0, 1)
    assert [(s.ref, s.done_on) for s in av.shortfalls] == [(c["A"], _d(1, 8))]
    assert any("no_such_step" in n.zh for n in av.notes)

    # Major decisions in H1: M1 (review passed 04-21, decided 05-06) and M2 (no review at all) → 1 of 2.
    major = report.figure(MAJOR_REVIEW)
    assert (major.numerator, major.denominator) == (1, 2)
    assert shortfalls(report, MAJOR_REVIEW) == [(c["M2"], "not_reviewed", None, _d(5, 7))]
    assert major.part("unassessed") == ()

    # 90 days (第六十条). Decided in H1: A, B, W, N (no penalty, 03-20), M1, M2, C, F, D = 9; plus O, undecided,
    # whose 90 days ended 04-20 = 10. On time: A, B, W, N, M1, M2; F within its extension (06-24); D on the
    # last day (06-30) = 8. C: due 05-21, decided 06-01: late; O: overdue.
    decided = report.figure(DECISION_LIMIT)
    assert (decided.numerator, decided.denominator) == (8, 10)
    assert shortfalls(report, DECISION_LIMIT) == [  # in case-number order
        (c["O"], "overdue", _d(4, 20), None), (c["C"], "late", _d(5, 21), _d(6, 1))]
    assert decided.part("extended") == (c["F"],)

    # Certificates valid on 06-30, over the six active officers (off7 is inactive): off1, off2, off5 (valid
    # until 06-30) = 3. off3 expired 05-31, off4 has none, off6's is valid only from 07-01.
    certified = report.figure(CERTIFIED)
    assert (certified.numerator, certified.denominator) == (3, 6)
    assert shortfalls(report, CERTIFIED) == [("off3", "expired", _d(5, 31), None),
                                             ("off4", "no_certificate", None, None),
                                             ("off6", "not_yet_valid", None, None)]

    # Legal reviewers against officers: rev1, rev2 over off1..off6 = 2/6; rev1 holds the qualification.
    staff = report.figure(REVIEW_STAFF)
    assert (staff.numerator, staff.denominator, staff.target) == (2, 6, 0.05)
    assert staff.share == pytest.approx(1 / 3)
    assert staff.part("legal_qualification") == ("rev1",) and staff.part("both_roles") == ()
    assert staff.shortfalls == ()


def test_audio_video_acts_declared_by_the_definition(runtime: Runtime, qiaotou: dict[str, str]) -> None:
    c = qiaotou
    # Once a definition declares av_required_acts (here register_evidence_preservation), its acts count with
    # the setting's. In H1: A's first preservation (01-07, the av record of 01-06 came before it): covered;
    # A's decision on the evidence (01-08): none; A's second preservation (01-09): the one record is taken;
    # D's preservation (06-30): a text record before it, the av record only after it. E's (07-01 00:30 in
    # Beijing, 06-30 in UTC) is outside. 1 of 4.
    declaring = _declaring(REGISTRY, (PRESERVE,))
    report = figures(runtime, *H1, as_of=REPORT_DAY, registry=declaring)
    av = report.figure(AUDIO_VIDEO)
    assert (av.numerator, av.denominator) == (1, 4)
    assert [(s.ref, s.done_on) for s in av.shortfalls] == [
        (c["A"], _d(1, 8)), (c["A"], _d(1, 9)), (c["D"], _d(6, 30))]
    assert all(s.reason == "no_av_record" and s.event_seq for s in av.shortfalls)
    assert av.refs == (c["A"], c["D"])
    # July: only E's preservation, at 00:30 on 07-01 Beijing time, with no record.
    july = figures(runtime, _d(7, 1), _d(7, 31), as_of=REPORT_DAY, registry=declaring)
    assert [(s.ref, s.done_on) for s in july.figure(AUDIO_VIDEO).shortfalls] == [(c["E"], _d(7, 1))]


def test_period_boundaries_and_the_day_open_limits_are_judged_on(runtime: Runtime,
                                                                qiaotou: dict[str, str]) -> None:
    c = qiaotou
    # Judged on the period's last day (the default): D's publication (due 07-09) and F's withdrawal (due
    # 07-03) are still within their limits, so pending and left out: publication 4 of 7 (N's, due 04-20, is
    # overdue already), withdrawal 1 of 2.
    on_last_day = figures(runtime, *H1)
    assert on_last_day.as_of == H1[1]
    publication = on_last_day.figure(PUBLICATION)
    assert (publication.numerator, publication.denominator) == (4, 7)
    assert publication.part("pending") == (c["D"],)
    withdrawal = on_last_day.figure(WITHDRAWAL)
    assert (withdrawal.numerator, withdrawal.denominator) == (1, 2)
    assert withdrawal.part("pending") == (c["F"],)
    # On its last day a limit can still be met: D's publication (due 07-09) is missed only from 07-10.
    assert figures(runtime, *H1, as_of=_d(7, 9)).figure(PUBLICATION).part("pending") == (c["D"],)
    assert [s.ref for s in figures(runtime, *H1, as_of=_d(7, 10)).figure(PUBLICATION).shortfalls][-1] == c["D"]

    # July (the day after H1 holds E): E published the day it was decided; its ground arose 07-01 and was
    # never withdrawn (due 07-06); E decided on the last of its 90 days. Certificates on 07-20 (as_of, before
    # the period's end): off5's expired 06-30, off6's is valid since 07-01: still 3 of 6, other people.
    july = figures(runtime, _d(7, 1), _d(7, 31), as_of=REPORT_DAY)
    assert (july.figure(PUBLICATION).numerator, july.figure(PUBLICATION).denominator) == (1, 1)
    assert shortfalls(july, WITHDRAWAL) == [(c["E"], "overdue", _d(7, 6), None)]
    assert (july.figure(DECISION_LIMIT).numerator, july.figure(DECISION_LIMIT).denominator) == (1, 1)
    assert july.figure(MAJOR_REVIEW).denominator == 0
    assert [s.ref for s in july.figure(CERTIFIED).shortfalls] == ["off3", "off4", "off5"]

    # One day, the last of H1: D's decision and F's ground count, E's (a day later) do not.
    last = figures(runtime, _d(6, 30), _d(6, 30), as_of=REPORT_DAY)
    assert shortfalls(last, PUBLICATION) == [(c["D"], "overdue", _d(7, 9), None)]
    assert shortfalls(last, WITHDRAWAL) == [(c["F"], "overdue", _d(7, 3), None)]
    assert (last.figure(DECISION_LIMIT).numerator, last.figure(DECISION_LIMIT).denominator) == (1, 1)


def test_nothing_to_count_is_no_share(runtime: Runtime) -> None:
    with writing(runtime.sessions) as session:
        accounts.ensure_org(session, "empty", "某县空白镇人民政府", "Empty Town")
    report = figures(runtime, *H1, org="empty")
    for figure in report.figures:
        assert (figure.numerator, figure.denominator, figure.share) == (0, 0, None), figure.key
        assert figure.shortfalls == ()
    assert all(f["share"] is None for f in json.loads(json.dumps(report.as_dict()))["figures"])


def test_bad_periods_and_unknown_organisations_are_refused(runtime: Runtime) -> None:
    with pytest.raises(UnknownOrganisation):
        figures(runtime, *H1, org="nowhere")
    with pytest.raises(ValueError):
        figures(runtime, H1[1], H1[0])


# ---------------------------------------------------------------- the command line


def _lawflow(rt: Runtime, *args: str) -> subprocess.CompletedProcess[str]:
    return Lawflow(rt)(*args)


def test_the_command_line(runtime: Runtime, qiaotou: dict[str, str]) -> None:
    c = qiaotou
    # The command judges open limits on today (after 07-20 by the time this runs): the H1 numbers above.
    table = _lawflow(runtime, "compliance", "--org", ORG, "--from", "2026-01-01", "--to", "2026-06-30")
    assert table.returncode == 0, table.stderr
    row = next(line for line in table.stdout.splitlines() if line.startswith("行政执法决定按期公开"))
    assert "4/8" in row and "50.0%" in row
    assert f"逾期办理：{c['B']}（期限 2026-03-11，办理于 2026-03-13）" in table.stdout
    assert f"逾期未办：{c['C']}（期限 2026-06-10）、{c['N']}（期限 2026-04-20）、{c['D']}（期限 2026-07-09）" \
        in table.stdout
    assert "《中华人民共和国行政处罚法》第六十条" in table.stdout
    english = _lawflow(runtime, "compliance", "--org", ORG, "--from", "2026-01-01", "--to", "2026-06-30",
                       "--lang", "en")
    assert "Enforcement decisions published on time" in english.stdout
    assert "not done, past its limit" in english.stdout

    data = json.loads(_lawflow(runtime, "compliance", "--org", ORG, "--from", "2026-01-01",
                               "--to", "2026-06-30", "--json").stdout)
    assert data["format"] == "lawflow-compliance/1"
    assert data["period"] == {"start": "2026-01-01", "end": "2026-06-30"}
    by_key = {f["key"]: f for f in data["figures"]}
    assert [(by_key[k]["numerator"], by_key[k]["denominator"]) for k in KEYS] == [
        (4, 8), (1, 3), (0, 1), (1, 2), (8, 10), (3, 6), (2, 6), (40, 40)]
    assert by_key[MAJOR_REVIEW]["shortfalls"][0] | {"reason_label": None} == {
        "ref": c["M2"], "reason": "not_reviewed", "reason_label": None, "due": None, "done_on": "2026-05-07",
        "event_seq": None}

    # No period: the current calendar year to today.
    default = json.loads(_lawflow(runtime, "compliance", "--org", ORG, "--json").stdout)
    today = local_date(datetime.now(UTC))
    assert default["period"] == {"start": date(today.year, 1, 1).isoformat(), "end": today.isoformat()}


@pytest.mark.parametrize("args, message", [
    (["--org", ORG, "--from", "2026-02-30"], "日期「2026-02-30」无效"),
    (["--org", ORG, "--from", "2026-07-01", "--to", "2026-06-30"], "起始日期 2026-07-01 晚于截止日期 2026-06-30"),
    (["--org", "nowhere"], "单位「nowhere」不存在"),
])
def test_bad_input_is_one_chinese_line(runtime: Runtime, args: list[str], message: str) -> None:
    result = _lawflow(runtime, "compliance", *args)
    assert result.returncode != 0
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""
