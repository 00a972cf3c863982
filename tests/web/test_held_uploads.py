"""A file sent with a refused step is kept for the retry (workflow/held_uploads.py, issue 16 item 4): the page says
which file is held and until when, the retry without choosing it again attaches it, and nobody else can use it.
A refusal caused only by the form is shown in the history as 未通过校验, apart from a refusal of substance."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import timedelta

import pytest

from tests.web.helpers import csrf_from, text, version_from
from tests.web.test_enforcement import PDF, RECORD, _investigating
from workflow.models import Case

# The page, not the database, is this module's subject: SQLite only (tests/conftest.py, one_database).
pytestmark = pytest.mark.one_database

HELD = re.compile(r'name="held_file" value="([0-9a-f]{32})"')


def _send(client, case_id: str, fields: dict, file: tuple[bytes, str] | None = None, held: str = ""):
    page = client.get(f"/cases/{case_id}")
    form = {"csrf_token": csrf_from(page), "expected_version": version_from(page), **fields}
    if file is not None:
        form["file"] = (io.BytesIO(file[0]), file[1])
    if held:
        form["held_file"] = held
    return client.post(f"/cases/{case_id}/steps/attach_record", data=form, content_type="multipart/form-data")


def test_the_file_of_a_refused_step_is_held_and_the_retry_attaches_it_without_sending_it_again(town, client_for):
    case_id = _investigating(town)
    officer = client_for("wanghai")
    refused = _send(officer, case_id, {**RECORD, "title": ""}, (PDF, "询问笔录.pdf"))  # the record's name forgotten
    assert refused.status_code == 422
    page = text(refused)
    assert "已收到的文件：" in page and "询问笔录.pdf" in page and f"{len(PDF):,} 字节" in page
    token = HELD.search(page).group(1)
    assert not re.search(r'id="step-attach_record-file"[^>]*required', page)  # no need to choose it again
    with town.sessions() as s:
        assert "records" not in s.get(Case, case_id).data  # refused: nothing attached

    other = _send(client_for("caiming"), case_id, RECORD, held=token)  # another officer cannot use the hold
    assert other.status_code == 422 and "已收到的文件" not in text(other)

    done = _send(officer, case_id, RECORD, held=token)  # the retry: the form corrected, no file chosen
    assert done.status_code == 302, text(done)
    with town.sessions() as s:
        [record] = s.get(Case, case_id).data["records"]
    assert record["sha256"] == hashlib.sha256(PDF).hexdigest() and record["filename"] == "询问笔录.pdf"
    assert list(town.held_uploads.root.iterdir()) == []  # the step taken: the hold released
    again = _send(officer, case_id, RECORD, held=token)  # a released hold is gone
    assert again.status_code == 422 and "已收到的文件" not in text(again)


def test_a_hold_expires(town, clock, client_for):
    case_id = _investigating(town)
    officer = client_for("wanghai")
    token = HELD.search(text(_send(officer, case_id, {**RECORD, "title": ""}, (PDF, "询问笔录.pdf")))).group(1)
    clock.advance(hours=town.held_uploads.hours + 1)
    expired = _send(officer, case_id, RECORD, held=token)
    assert expired.status_code == 422 and "已收到的文件" not in text(expired)
    assert town.held_uploads.purge(clock.now() + timedelta(seconds=1)) == 1


def test_the_history_tells_a_form_mistake_from_a_refusal_of_substance(town, client_for):
    case_id = _investigating(town)
    officer = client_for("wanghai")
    _send(officer, case_id, {**RECORD, "title": ""}, (PDF, "询问笔录.pdf"))  # a field missing: 未通过校验
    _send(officer, case_id, {**RECORD, "format": "mp4"}, (PDF, "询问笔录.pdf"))  # not what it says it is: 拒绝
    history = text(client_for("liushen").get(f"/cases/{case_id}"))
    assert history.count(">未通过校验</span>") == 1 and history.count(">拒绝</span>") == 1
