"""Administrative changes (workflow/administration.py): each checked, made only by an administrator of the
organisation, and recorded with its audit event in one transaction in the organisation's journal ADM-<org>,
a hash chain that `lawflow audit verify` and the offline verifier check. SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update
from werkzeug.security import generate_password_hash

from workflow import accounts, administration, tokens
from workflow.administration import AdminError
from workflow.audit.export import export, verify_database
from workflow.audit.verifier import Verifier
from workflow.clock import utc_stamp
from workflow.db import writing
from workflow.models import (
    AuditEvent,
    AuditJournal,
    EnforcementCertificate,
    HolidayYear,
    OrgSetting,
    RoleAssignment,
    User,
)
from workflow.runtime import Runtime

JOURNAL = "ADM-houlong"
STRONG = "a-long-enough-password"
NOTICE_2027 = """holidays:
  - {date: 2027-01-01, name: 元旦}
  - {date: 2027-01-02, name: 元旦}
  - {date: 2027-01-03, name: 元旦}
workdays: []
"""
SOURCE_2027 = "国务院办公厅关于2027年部分节假日安排的通知"


def events(rt: Runtime) -> list[AuditEvent]:
    with rt.sessions() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.case_id == JOURNAL).order_by(AuditEvent.seq)))


def payload(event: AuditEvent) -> dict:
    return json.loads(event.payload)


def verified(rt: Runtime):
    return verify_database(rt.sessions, rt.origin, utc_stamp(rt.clock.now()))


def new_user(rt: Runtime, username: str = "xiaoli", **overrides) -> str:
    data = {"username": username, "display_name": "肖丽", "unit": "党政综合办公室", "password": STRONG,
            "password_confirm": STRONG, "roles": ["drafter"], **overrides}
    return administration.create_user(rt.sessions, actor="admin", data=data, registry=rt.registry,
                                      now=rt.clock.now())


def refused(exc: pytest.ExceptionInfo[AdminError]) -> dict[str, list[str]]:
    return exc.value.by_field("zh")


# ---------------------------------------------------------------- users


def test_a_created_user_logs_in_and_the_creation_is_chained_without_the_password(town: Runtime) -> None:
    assert new_user(town) == "xiaoli"
    with town.sessions() as s:
        assert accounts.authenticate(s, "xiaoli", STRONG) is not None
        assert s.scalar(select(User.org_id).where(User.username == "xiaoli")) == "houlong"
        stored_hash = s.scalar(select(User.password_hash).where(User.username == "xiaoli"))
        journal = s.get(AuditJournal, JOURNAL)
    [event] = events(town)
    assert (event.kind, event.trigger, event.actor, event.role, event.procedure) == (
        "admin", "user_created", "admin", "admin", "admin@1")
    assert payload(event) == {"username": "xiaoli", "display_name": "肖丽", "unit": "党政综合办公室",
                              "roles": ["drafter"]}
    assert STRONG not in event.payload and stored_hash not in event.payload
    assert (journal.audit_seq, journal.audit_head) == (1, event.hash)
    report = verified(town)
    assert report.ok, report.message


@pytest.mark.parametrize("overrides, field", [
    ({"password": "short-pw", "password_confirm": "short-pw"}, "password"),  # 8 characters
    ({"password_confirm": "something-else-entirely"}, "password_confirm"),
    ({"username": "Bad Name"}, "username"),
    ({"username": "public.houlong2"}, "username"),  # the portal accounts' prefix
    ({"username": "zhangwei"}, "username"),  # taken
    ({"display_name": "  "}, "display_name"),
    ({"roles": ["drafter", "emperor"]}, "roles"),
    ({"roles": ["public"]}, "roles"),  # only the portal account holds the portal's role
])
def test_a_refused_new_user_names_the_field_and_writes_nothing(town: Runtime, overrides, field) -> None:
    with town.sessions() as s:
        before = s.scalar(select(func.count()).select_from(User))
    with pytest.raises(AdminError) as exc:
        new_user(town, **overrides)
    assert field in refused(exc), refused(exc)
    assert all(p.zh and p.en for p in exc.value.problems)
    with town.sessions() as s:
        assert s.scalar(select(func.count()).select_from(User)) == before
        assert s.get(AuditJournal, JOURNAL) is None  # not even the journal: the whole transaction is gone


def test_only_an_administrator_of_the_organisation_acts(town: Runtime) -> None:
    now = town.clock.now()
    with writing(town.sessions) as s:
        accounts.ensure_org(s, "qiaotou", "桥头镇", "Qiaotou")
        accounts.create_user(s, username="qt_admin", display_name="桥头管理员", org_id="qiaotou", roles=["admin"],
                             password_hash=generate_password_hash("x"))
    for actor in ("zhangwei", "nobody"):
        with pytest.raises(AdminError, match="不是系统管理员"):
            administration.set_active(town.sessions, actor=actor, username="lina", active=False, now=now)
    # an administrator of another town does not find Houlong's people (no existence leak either)
    with pytest.raises(AdminError, match="不存在") as exc:
        administration.set_active(town.sessions, actor="qt_admin", username="lina", active=False, now=now)
    assert "username" in refused(exc)
    with pytest.raises(AdminError, match="不存在"):
        administration.create_token(town.sessions, actor="qt_admin", username="lina", name="x", now=now)
    with town.sessions() as s:
        assert s.scalar(select(User.active).where(User.username == "lina")) is True
        assert s.scalar(select(AuditEvent.id).where(AuditEvent.case_id.like("ADM-%"))) is None


def test_roles_change_is_recorded_with_old_and_new_and_an_unchanged_set_records_nothing(town: Runtime) -> None:
    now = town.clock.now()
    assert administration.set_roles(town.sessions, actor="admin", username="zhangwei",
                                    roles=["drafter", "auditor"], registry=town.registry, now=now)
    assert not administration.set_roles(town.sessions, actor="admin", username="zhangwei",
                                        roles=["auditor", "drafter"], registry=town.registry, now=now)
    with town.sessions() as s:
        assert set(s.scalars(select(RoleAssignment.role).join(User).where(User.username == "zhangwei"))) == {
            "drafter", "auditor"}
    [event] = events(town)
    assert payload(event) == {"username": "zhangwei", "old": ["drafter"], "new": ["auditor", "drafter"]}
    assert administration.set_roles(town.sessions, actor="admin", username="zhangwei", roles=[],
                                    registry=town.registry, now=now)
    assert payload(events(town)[-1])["new"] == []


def test_an_administrator_cannot_lock_themselves_out(town: Runtime) -> None:
    now = town.clock.now()
    with pytest.raises(AdminError, match="不能取消自己的系统管理员角色") as exc:
        administration.set_roles(town.sessions, actor="admin", username="admin", roles=["auditor"],
                                 registry=town.registry, now=now)
    assert "roles" in refused(exc)
    with pytest.raises(AdminError, match="不能停用自己的账号"):
        administration.set_active(town.sessions, actor="admin", username="admin", active=False, now=now)
    with town.sessions() as s:
        admin = s.scalar(select(User).where(User.username == "admin"))
        assert admin.active and "admin" in admin.role_names
    assert events(town) == []
    # adding a role to oneself is fine
    assert administration.set_roles(town.sessions, actor="admin", username="admin", roles=["admin", "auditor"],
                                    registry=town.registry, now=now)


def test_a_deactivated_user_cannot_log_in_nor_use_a_token_until_reactivated(town: Runtime) -> None:
    now = town.clock.now()
    token_id, token = administration.create_token(town.sessions, actor="admin", username="lina", name="OA",
                                                  now=now)
    assert tokens.resolve(town.sessions, token, now) is not None
    assert administration.set_active(town.sessions, actor="admin", username="lina", active=False, now=now)
    assert not administration.set_active(town.sessions, actor="admin", username="lina", active=False, now=now)
    with town.sessions() as s:
        assert accounts.authenticate(s, "lina", "houlong2026") is None
        assert s.scalar(select(User).where(User.username == "lina")) is not None  # never deleted
    assert tokens.resolve(town.sessions, token, now) is None
    assert administration.set_active(town.sessions, actor="admin", username="lina", active=True, now=now)
    with town.sessions() as s:
        assert accounts.authenticate(s, "lina", "houlong2026") is not None
    assert [e.trigger for e in events(town)] == ["token_created", "user_deactivated", "user_reactivated"]
    assert token not in events(town)[0].payload
    assert payload(events(town)[0]) == {"token_id": token_id, "username": "lina", "name": "OA"}


def test_a_password_reset_records_the_account_only(town: Runtime) -> None:
    administration.reset_password(town.sessions, actor="admin", username="lina",
                                  data={"password": STRONG, "password_confirm": STRONG}, now=town.clock.now())
    with town.sessions() as s:
        assert accounts.authenticate(s, "lina", STRONG) is not None
        assert accounts.authenticate(s, "lina", "houlong2026") is None
        stored = s.scalar(select(User.password_hash).where(User.username == "lina"))
    [event] = events(town)
    assert event.trigger == "password_reset" and payload(event) == {"username": "lina"}
    assert stored not in event.payload and STRONG not in event.payload
    with pytest.raises(AdminError) as exc:
        administration.reset_password(town.sessions, actor="admin", username="lina",
                                      data={"password": "123456789"}, now=town.clock.now())
    assert "password" in refused(exc) and "至少10个字符" in refused(exc)["password"][0]


def test_the_portal_account_is_read_only(town: Runtime) -> None:
    now = town.clock.now()
    for change in (
        lambda: administration.set_roles(town.sessions, actor="admin", username="public.houlong",
                                         roles=["drafter"], registry=town.registry, now=now),
        lambda: administration.set_active(town.sessions, actor="admin", username="public.houlong", active=False,
                                          now=now),
        lambda: administration.reset_password(town.sessions, actor="admin", username="public.houlong",
                                              data={"password": STRONG}, now=now),
    ):
        with pytest.raises(AdminError, match="公开征求意见平台账号"):
            change()
    assert events(town) == []


# ---------------------------------------------------------------- settings


def test_a_setting_change_requires_its_source_and_a_valid_value(town: Runtime) -> None:
    now = town.clock.now()
    key = "enforcement.publication_working_days"
    with pytest.raises(AdminError) as exc:
        administration.change_setting(town.sessions, actor="admin", key=key, value=5, source="   ",
                                      registry=town.registry, now=now)
    assert list(refused(exc)) == ["source"]
    with pytest.raises(AdminError) as exc:
        administration.change_setting(town.sessions, actor="admin", key=key, value="五", source="某办法第三条",
                                      registry=town.registry, now=now)
    assert refused(exc) == {"value": ["应为整数"]}
    with pytest.raises(AdminError) as exc:  # both at once: every problem is named
        administration.change_setting(town.sessions, actor="admin", key=key, value=0, source="",
                                      registry=town.registry, now=now)
    assert set(refused(exc)) == {"value", "source"}
    with pytest.raises(AdminError) as exc:
        administration.change_setting(town.sessions, actor="admin", key="enforcement.made_up", value=1,
                                      source="x", registry=town.registry, now=now)
    assert "key" in refused(exc)
    with town.sessions() as s:
        assert s.get(OrgSetting, ("houlong", key)).value == {"value": 7}
    assert events(town) == []


@pytest.mark.parametrize("key, value, field, message", [
    ("enforcement.mandatory_av_acts", ["record_hearing", "dance"], "value", "第2项：「dance」不是程序 enforcement_case 的步骤"),
    ("enforcement.delegated_powers", [{"field": "市容环境卫生", "power": ""}], "value", "第1项「处罚事项」：不能为空"),
    ("enforcement.large_fine_threshold", {"individual": "1万", "organisation": "100000"}, "individual", "应为数字"),
    ("enforcement.large_fine_threshold", {"individual": "-5", "organisation": "100000"}, "individual",
     "应为大于0的金额"),
    ("enforcement.review_catalogue", [], "value", "至少填写一项"),
    ("major_decision.collective_forum", "", "value", "不能为空"),
    ("enforcement.decision_extension_days", 400, "value", "应在1～365之间"),
])
def test_each_type_is_validated_naming_the_place(town: Runtime, key, value, field, message) -> None:
    with pytest.raises(AdminError) as exc:
        administration.change_setting(town.sessions, actor="admin", key=key, value=value, source="某文件",
                                      registry=town.registry, now=town.clock.now())
    assert message in " ".join(refused(exc)[field]), refused(exc)


def test_a_setting_change_is_audited_with_old_and_new_and_the_engine_uses_it(town: Runtime, clock) -> None:
    key = "major_decision.collective_forum"
    source = "《后龙镇人民政府工作规则》（2027年修订）第十二条"
    assert administration.change_setting(town.sessions, actor="admin", key=key, value=" 镇政府全体会议 ",
                                         source=source, registry=town.registry, now=clock.now())
    assert not administration.change_setting(town.sessions, actor="admin", key=key, value="镇政府全体会议",
                                             source=source, registry=town.registry, now=clock.now())
    with town.sessions() as s:
        row = s.get(OrgSetting, ("houlong", key))
        assert (row.value, row.source, row.updated_by) == ({"value": "镇政府全体会议"}, source, "admin")
        assert town.engine._settings(s, "houlong")[key] == "镇政府全体会议"
    [event] = events(town)
    assert payload(event) == {
        "key": key,
        "old": {"value": "镇长办公会议", "source": "《后龙镇人民政府工作规则》第十二条（演示数据；以本镇实际规则为准）"},
        "new": {"value": "镇政府全体会议", "source": source}}
    amounts = {"individual": "20000.00", "organisation": "2e5"}
    administration.change_setting(town.sessions, actor="admin", key="enforcement.large_fine_threshold",
                                  value=amounts, source="闽府令第X号", registry=town.registry, now=clock.now())
    assert payload(events(town)[-1])["new"]["value"] == {"individual": "20000", "organisation": "200000"}
    report = verified(town)
    assert report.ok and report.cases >= 1, report.message


# ---------------------------------------------------------------- the holiday calendar


def test_an_added_year_makes_2027_deadlines_exact(town: Runtime) -> None:
    assert town.engine.calendar.add_working_days(date(2026, 12, 25), 10).provisional
    data = administration.add_holiday_year(town.sessions, actor="admin", year="2027", notice=NOTICE_2027,
                                           source=SOURCE_2027, now=town.clock.now())
    assert data.year == 2027 and len(data.holidays) == 3
    town.engine.reload_calendar()
    deadline = town.engine.calendar.add_working_days(date(2026, 12, 25), 10)
    assert not deadline.provisional and deadline.date == date(2027, 1, 11)
    with town.sessions() as s:
        row = s.get(HolidayYear, 2027)
        assert (row.source, row.added_by) == (SOURCE_2027, "admin")
    [event] = events(town)
    assert event.trigger == "holiday_year_added"
    assert payload(event)["year"] == 2027 and payload(event)["notice"]["holidays"][0] == {
        "date": "2027-01-01", "name": "元旦"}
    with pytest.raises(AdminError, match="已存在"):
        administration.add_holiday_year(town.sessions, actor="admin", year=2027, notice=NOTICE_2027,
                                        source=SOURCE_2027, now=town.clock.now())
    with pytest.raises(AdminError, match="已随系统提供"):
        administration.add_holiday_year(town.sessions, actor="admin", year=2026, notice=NOTICE_2027,
                                        source=SOURCE_2027, now=town.clock.now())


@pytest.mark.parametrize("notice, expected", [
    ("holidays:\n  - {date: 2027-01-01, name: 元旦}\n  - {date: 2027-02-30, name: 春节}\nworkdays: []\n",
     "第3行（holidays[1].date）：应为日期"),
    ("holidays:\n  - {date: 2028-01-01, name: 元旦}\nworkdays: []\n", "第2行（holidays[0].date）：2028-01-01不在2027年内"),
    ("holidays:\n  - {date: 2027-01-01, name: 元旦}\nworkdays:\n  - {date: 2027-01-04, name: 元旦}\n",
     "第4行（workdays[0].date）：2027-01-04是周一至周五"),
    ("holidays:\n  - {date: 2027-01-01, name: 元旦}\n", "（workdays）：必填项未填写"),
    ("holidays: [\n  {date: 2027-01-01\n", "YAML 格式有误"),
])
def test_a_bad_notice_names_the_line_and_the_field(town: Runtime, notice: str, expected: str) -> None:
    with pytest.raises(AdminError) as exc:
        administration.add_holiday_year(town.sessions, actor="admin", year=2027, notice=notice,
                                        source=SOURCE_2027, now=town.clock.now())
    assert expected in " ".join(refused(exc)["notice"]), refused(exc)
    with town.sessions() as s:
        assert s.get(HolidayYear, 2027) is None


# ---------------------------------------------------------------- certificates and tokens


def test_certificates_are_checked_recorded_and_audited(town: Runtime) -> None:
    now = town.clock.now()
    base = {"username": "liushen", "kind": "enforcement", "number": "闽QG-2027-0001", "issuer": "泉州市泉港区人民政府",
            "field": "市容环境卫生", "issued_on": "2027-01-05", "valid_until": "2031-01-04"}
    for change, field in (({"field": ""}, "field"), ({"valid_until": None}, "valid_until"),
                          ({"valid_until": "2026-01-01"}, "valid_until"), ({"number": "闽QG-2023-0101"}, "number"),
                          ({"issued_on": "2027-13-01"}, "issued_on"), ({"kind": "badge"}, "kind")):
        with pytest.raises(AdminError) as exc:
            administration.add_certificate(town.sessions, actor="admin", data={**base, **change}, now=now)
        assert field in refused(exc), (change, refused(exc))
    administration.add_certificate(town.sessions, actor="admin", data=base, now=now)
    with town.sessions() as s:
        row = s.scalar(select(EnforcementCertificate).where(EnforcementCertificate.number == "闽QG-2027-0001"))
        assert (row.username, row.valid_until) == ("liushen", date(2031, 1, 4))
    [event] = events(town)
    assert event.trigger == "certificate_added" and payload(event)["number"] == "闽QG-2027-0001"


def test_token_revocation_is_audited_and_scoped_to_the_organisation(town: Runtime) -> None:
    now = town.clock.now()
    token_id, token = administration.create_token(town.sessions, actor="admin", username="chenjing",
                                                  name="司法所 OA", now=now)
    with pytest.raises(AdminError, match="不存在"):
        administration.create_token(town.sessions, actor="admin", username="ghost", name="x", now=now)
    with pytest.raises(AdminError, match="平台账号"):
        administration.create_token(town.sessions, actor="admin", username="public.houlong", name="x", now=now)
    administration.revoke_token(town.sessions, actor="admin", token_id=token_id, now=now)
    assert tokens.resolve(town.sessions, token, now) is None
    with pytest.raises(AdminError, match="已撤销"):
        administration.revoke_token(town.sessions, actor="admin", token_id=token_id, now=now)
    with pytest.raises(AdminError, match="没有编号为 999 的令牌"):
        administration.revoke_token(town.sessions, actor="admin", token_id=999, now=now)
    assert [e.trigger for e in events(town)] == ["token_created", "token_revoked"]
    assert all(token not in e.payload for e in events(town))


# ---------------------------------------------------------------- the chain


def test_the_journal_verifies_in_the_database_and_offline_and_a_rewound_head_is_caught(town: Runtime) -> None:
    new_user(town)
    administration.set_roles(town.sessions, actor="admin", username="xiaoli", roles=["drafter", "auditor"],
                             registry=town.registry, now=town.clock.now())
    administration.set_active(town.sessions, actor="admin", username="xiaoli", active=False,
                              now=town.clock.now())
    assert [e.seq for e in events(town)] == [1, 2, 3]
    assert [e.prev for e in events(town)][1:] == [e.hash for e in events(town)][:2]
    assert verified(town).ok
    out = io.BytesIO()
    export(town.sessions, out, town.origin, utc_stamp(town.clock.now()))
    verifier = Verifier()
    for line in out.getvalue().splitlines():
        verifier.feed(json.loads(line))
    offline = verifier.finish()
    assert offline.ok and offline.events == verified(town).events, offline.message
    # Rewinding the head (hiding the last administrative change) is evident.
    second = events(town)[1]
    with writing(town.sessions) as s:
        s.execute(update(AuditJournal).where(AuditJournal.id == JOURNAL).values(audit_seq=2, audit_head=second.hash))
    report = verified(town)
    assert not report.ok and JOURNAL in report.message, report.message


def test_the_audit_selection_of_the_organisation_includes_its_journal(town: Runtime) -> None:
    from workflow.audit.selection import EventFilter, count_events

    new_user(town)
    with town.sessions() as s:
        assert count_events(s, "houlong", EventFilter(case=JOURNAL)) == 1
        assert count_events(s, "houlong", EventFilter(kind="admin")) == 1
        assert count_events(s, "qiaotou", EventFilter(kind="admin")) == 0
        assert s.execute(text("SELECT COUNT(*) FROM audit_journal")).scalar() == 2  # SYS and ADM-houlong


# ---------------------------------------------------------------- the command line calls the same functions




def test_command_line_changes_are_audited_and_lawflow_audit_verify_checks_them(town: Runtime, lawflow,
                                                                              tmp_path: Path) -> None:
    notice = tmp_path / "2027.yaml"
    notice.write_text(NOTICE_2027, encoding="utf-8")
    assert lawflow("calendar", "add-year", "2027", str(notice), "--as", "admin", "--source", SOURCE_2027).returncode == 0
    refused = lawflow("tokens", "create", "lina", "--name", "OA", "--as", "zhangwei")
    assert refused.returncode == 1 and "不是系统管理员" in refused.stderr
    created = lawflow("tokens", "create", "lina", "--name", "OA", "--as", "admin")
    assert created.returncode == 0
    assert lawflow("officers", "add-certificate", "liushen", "--number", "闽执法-CLI-1", "--field", "市容环境卫生",
                   "--valid-until", "2030-12-31", "--issuer", "泉港区司法局", "--as", "admin").returncode == 0
    assert [e.trigger for e in events(town)] == ["holiday_year_added", "token_created", "certificate_added"]
    assert created.stdout.strip() not in "".join(e.payload for e in events(town))
    verify = lawflow("audit", "verify", "--quiet")
    assert verify.returncode == 0, verify.stderr
    assert "审计记录完整" in verify.stdout
