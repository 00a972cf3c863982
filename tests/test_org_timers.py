"""Organisation-level timers (issue 11 item 1; workflow/timers/org_spec.py, org_timers.py): the file is validated
on load naming file and path; the worker, down for most of a year, catches up the certificate and holiday-data
notices in the order they fell due, each once, audited in the organisation's administration journal by its
system account, in the inboxes of the people the file names; a renewed certificate brings no notice."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select

from workflow import accounts
from workflow.audit.export import verify_database
from workflow.clock import utc_stamp
from workflow.db import writing
from workflow.definitions import DefinitionError, load_registry
from workflow.demo import FIELD_PLANNING, FIELD_STREETS
from workflow.models import AuditEvent, Notification, OrgTimerAct, admin_journal_id
from workflow.runtime import Runtime
from workflow.timers import org_spec, org_timers
from workflow.timers.worker import Worker

RAW = yaml.safe_load(org_spec.ORG_TIMERS_FILE.read_text(encoding="utf-8"))


# ---------------------------------------------------------------- the file: load errors


@pytest.mark.one_database
@pytest.mark.parametrize("change, path, reason", [
    (lambda t: t["certificate_expiring"].update(to=["holder", "mayor"]), "timers.certificate_expiring.to.1",
     "undefined role 'mayor'"),
    (lambda t: t["holiday_data_missing"].update(to=["holder"]), "timers.holiday_data_missing.to.0",
     "only a certificate's holder"),
    (lambda t: t["holiday_data_missing"].update(at={"days_before_end": 30}), "timers.holiday_data_missing.at",
     "does not go with watch 'holiday_year'"),
    (lambda t: t["holiday_data_missing"].update(at={"month_day": "12-32"}),
     "timers.holiday_data_missing.at.month_day", "not a day of the year"),
    (lambda t: t["certificate_expired"].update(at={"days_after_end": 0}), "timers.certificate_expired.at.days_after_end",
     "greater than or equal to 1"),
    (lambda t: t["certificate_expired"].update(watch="passport"), "timers.certificate_expired.watch",
     "Must be one of"),
    (lambda t: t["certificate_expired"].update(remind=[3]), "timers.certificate_expired.remind", "Unknown field"),
    (lambda t: t["certificate_expired"].pop("basis"), "timers.certificate_expired.basis", "required"),
])
def test_a_malformed_organisation_timer_is_a_load_error_naming_file_and_path(change: Any, path: str,
                                                                             reason: str) -> None:
    raw = copy.deepcopy(RAW)
    change(raw["timers"])
    roles = {r for p in load_registry().all() for r in p.roles}
    with pytest.raises(DefinitionError) as exc:
        org_spec.parse(raw, "organisation/timers.yaml", roles)
    assert exc.value.file == "organisation/timers.yaml"
    assert any(p == path and reason in r for p, r in exc.value.problems), exc.value.problems


@pytest.mark.one_database
def test_the_shipped_file_loads_with_its_three_timers(tmp_path: Path) -> None:
    timers = org_spec.load(load_registry())
    assert [(t.name, t.watch, t.at, t.value, t.to) for t in timers] == [
        ("certificate_expiring", "certificate", "days_before_end", 30, ("holder", "admin")),
        ("certificate_expired", "certificate", "days_after_end", 1, ("admin",)),
        ("holiday_data_missing", "holiday_year", "month_day", "12-01", ("admin",)),
    ]
    broken = tmp_path / "timers.yaml"
    broken.write_text("timers: [\n", encoding="utf-8")
    with pytest.raises(DefinitionError) as exc:
        org_spec.load(load_registry(), broken)
    assert exc.value.problems[0][0].startswith("line ")


# ---------------------------------------------------------------- the worker on a real database


def _certificate(town: Runtime, username: str, number: str, field: str, valid_until: date) -> None:
    with writing(town.sessions) as s:
        accounts.add_certificate(s, username=username, number=number, issuer="泉州市泉港区人民政府",
                                 issued_on=date(2024, 1, 1), field=field, valid_until=valid_until)


def test_a_worker_down_for_most_of_a_year_catches_up_the_organisation_notices_in_time_order_once(
        town: Runtime) -> None:
    # caiming's new planning certificate ends 2027-01-02 (its notice falls due 2026-12-03); lixiaodong's streets
    # certificate ended 2026-06-30 but he holds a renewed one already: no notice. The demo's hongzhiqiang let his
    # certificate expire on 2026-01-31; the 2027 holiday notice is not in the calendar.
    _certificate(town, "caiming", "闽QG-2024-0900", FIELD_PLANNING, date(2027, 1, 2))
    _certificate(town, "lixiaodong", "闽QG-2022-0001", FIELD_STREETS, date(2026, 6, 30))
    _certificate(town, "lixiaodong", "闽QG-2026-0002", FIELD_STREETS, date(2031, 6, 30))
    assert not town.engine.calendar.covers(2027)
    town.clock.set_local_date(date(2026, 12, 5))
    worker = Worker(town.engine, name="test")
    report = worker.run_once()
    assert not report.failed
    assert [(timer, subject, act, on) for _o, timer, subject, act, on in report.organisation.done] == [
        ("certificate_expired", "certificate:闽QG-2020-0033", "expired@2026-01-31", date(2026, 2, 1)),
        ("holiday_data_missing", "holiday:2027", "missing", date(2026, 12, 1)),
        ("certificate_expiring", "certificate:闽QG-2024-0900", "expiring@2027-01-02", date(2026, 12, 3)),
    ]
    assert worker.run_once().organisation.done == []  # nothing twice
    with town.sessions() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.case_id == admin_journal_id("houlong"),
                                                    AuditEvent.kind == org_timers.KIND)
                           .order_by(AuditEvent.seq)).all()
        assert [(e.trigger, e.actor, e.role) for e in events] == [
            ("certificate_expired", "system.houlong", "system"), ("holiday_data_missing", "system.houlong", "system"),
            ("certificate_expiring", "system.houlong", "system")]
        assert json.loads(events[2].payload)["notified"] == ["caiming", "admin"]
        notices = {(n.recipient, n.deadline, n.kind) for n in s.scalars(
            select(Notification).where(Notification.case_id.is_(None)))}
        assert s.scalar(select(func.count()).select_from(OrgTimerAct)) == 3
    assert notices == {("admin", "certificate_expired", "overdue"), ("admin", "holiday_data_missing", "remind"),
                       ("caiming", "certificate_expiring", "remind"), ("admin", "certificate_expiring", "remind")}
    verified = verify_database(town.sessions, town.origin, utc_stamp(town.clock.now()), registry=town.registry)
    assert verified.ok, verified


def test_an_act_done_meanwhile_is_not_done_again(town: Runtime) -> None:
    """Two workers that both listed the act (or one restarted after its commit): the second finds the key under
    the journal's lock and does nothing."""
    town.clock.set_local_date(date(2026, 2, 3))
    timers = org_spec.load(town.registry)
    with town.sessions() as s:
        [act] = org_timers.due(s, timers, town.engine.calendar, date(2026, 2, 3))
    assert org_timers.do(town.engine, act) is True
    assert org_timers.do(town.engine, act) is False
    with town.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Notification).where(Notification.case_id.is_(None))) == 1
