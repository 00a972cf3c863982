"""An organisation-level notice (workflow/timers/org_timers.py) in the administrator's inbox: it concerns no case,
so its row links to none, and it says which certificate ended when."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from flask.testing import FlaskClient

from tests.web.helpers import parse
from workflow.runtime import Runtime
from workflow.timers.worker import Worker

pytestmark = pytest.mark.one_database  # the page, not the database, is the subject here


def test_an_expired_certificate_reaches_the_administrators_inbox_without_a_case_link(
        town: Runtime, client_for: Callable[[str], FlaskClient]) -> None:
    town.clock.set_local_date(date(2026, 2, 2))  # the demo's hongzhiqiang's certificate ended on 2026-01-31
    assert Worker(town.engine).run_once().organisation.done
    page = parse(client_for("admin").get("/inbox/"))
    row = page.one("table.inbox tbody > tr")
    assert not row.has("a")  # no case to link to
    assert "闽QG-2020-0033" in row.text() and "2026-01-31" in row.text()
