"""Hostile input at every door, on SQLite and PostgreSQL (where a NUL byte matters: it cannot be stored or
even compared there): JSON nested thousands deep, integers of thousands of digits, lone surrogates, NUL
bytes, control and direction-override characters, a date of 9999-12-31, file names that hide their type.

At each door (/login, the public portal, the pages' forms, the API, the command line) the answer is a clear
refusal: a 400 before anything is read, or — where the input reaches the engine — the engine's refusal,
recorded in the audit trail, naming the field. Never a 500, never a traceback in the log, nothing kept.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from tests.api.conftest import ENFORCEMENT, PROPOSAL, ApiClient, is_json_error
from tests.api.test_records import PDF, RECORD, multipart
from tests.apps import AppPool
from tests.web.helpers import csrf_from, login, text, version_from
from workflow import tokens
from workflow.models import AuditEvent, Case
from workflow.runtime import Runtime

DEEP = "[" * 100_000 + "]" * 100_000
DEEP_PAYLOAD = '{"procedure": "major_decision", "payload": ' + '{"a": ' * 5000 + "1" + "}" * 5000 + "}"
HUGE_INT = '{"procedure": "major_decision", "payload": {"title": ' + "9" * 5000 + "}}"
SURROGATE = '{"procedure": "major_decision", "payload": {"title": "\\ud800"}}'
SURROGATE_KEY = '{"procedure": "major_decision", "payload": {"\\udc00": "x"}}'
HOSTILE_TEXT = {"nul": "陈某\x00某", "escape": "\x1b[2J\x1b[31m陈某某", "rlo": "询问笔录\u202efdp.exe", "c1": "陈\x9b某"}
HOSTILE_NAMES = {"nul": "询问笔录\x00.pdf", "rlo": "询问笔录\u202efdp.exe", "escape": "\x1b]0;x\x07.pdf",
                 "folder": "../../etc/passwd.pdf", "long": "长" * 201 + ".pdf"}


@pytest.fixture
def app(town: Runtime, app_pool: AppPool) -> Iterator[Flask]:
    # PROPAGATE_EXCEPTIONS off: an unhandled error is answered 500 (and logged), as in production
    with app_pool.bound(town, {"TESTING": True, "PROPAGATE_EXCEPTIONS": False, "SECRET_KEY": "h" * 40}) as app:
        yield app


@pytest.fixture(autouse=True)
def no_error_logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Whatever a test sends, nothing is logged as an error (an unhandled exception always is)."""
    with caplog.at_level(logging.ERROR):
        yield
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def _refusals(town: Runtime) -> int:
    with town.sessions() as s:
        return s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "refused")) or 0


def _refusal(town: Runtime, case_id: str) -> AuditEvent:
    with town.sessions() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id)
                          .order_by(AuditEvent.seq.desc())).first()
        assert event is not None and event.kind == "refused"
        return event


def _page_400(response: TestResponse) -> None:
    assert response.status_code == 400, (response.status_code, text(response)[:300])
    assert "不允许的字符" in text(response) and "Traceback" not in text(response)


def _api(app: Flask, town: Runtime, username: str) -> ApiClient:
    with town.sessions.begin() as s:
        _, token = tokens.create(s, username=username, name="hostile", by="admin", now=town.clock.now())
    return ApiClient(app.test_client(), token)


def _investigating(town: Runtime) -> str:
    case_id = town.engine.create_case("enforcement_case", "wanghai", ENFORCEMENT).case_id
    assert case_id and town.engine.fire(case_id, "start_investigation", "wanghai",
                                        {"officers": ["wanghai", "caiming"]}).ok
    return case_id


# ---------------------------------------------------------------- the doors no one logs in to


@pytest.mark.parametrize("name", ["nul", "escape", "rlo"])
def test_login_with_hostile_characters_is_400_before_any_lookup(app: Flask, name: str) -> None:
    client = app.test_client()
    token = csrf_from(client.get("/login"))
    _page_400(client.post("/login", data={"username": HOSTILE_TEXT[name], "password": "x\x00", "csrf_token": token}))
    assert login(client, "zhangwei").status_code == 302  # the door still works


@pytest.mark.parametrize("path", ["/public/register?org=%00", "/public/consultations?org=%00",
                                  "/public/decisions?org=%1B", "/public/consultations/MD-2026-0001%00",
                                  "/public/consultations/MD-2026-0001?org=%E2%80%AE",
                                  "/public/register?org=" + "9" * 5000])
def test_the_public_portal_refuses_hostile_addresses_with_400(app: Flask, path: str) -> None:
    _page_400(app.test_client().get(path))


def test_a_hostile_public_comment_is_refused_by_the_engine_and_audited(town: Runtime, app: Flask) -> None:
    from tests.web.test_portal import browser, consulting, post_comment

    case_id = consulting(town)
    before = _refusals(town)
    response = post_comment(town, browser(app), case_id, content="希望\x00公布收集点")
    assert response.status_code == 422 and "空字符" in text(response)
    assert _refusals(town) == before + 1
    assert json.loads(_refusal(town, case_id).reasons)[0]["field"] == "content"


# ---------------------------------------------------------------- the pages of a logged-in user


@pytest.fixture
def officer(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert login(client, "wanghai").status_code == 302
    return client


@pytest.mark.parametrize("path", ["/cases?q=%00", "/cases?page=" + "9" * 5000, "/cases/EC-2026-0001%00",
                                  "/audit/?actor=%1B%5B2J"])
def test_pages_refuse_hostile_addresses_with_400(officer: FlaskClient, path: str) -> None:
    _page_400(officer.get(path))


def test_a_form_outside_the_engine_refuses_a_nul_with_400(app: Flask) -> None:
    admin = app.test_client()
    assert login(admin, "admin").status_code == 302
    page = admin.get("/admin/users/new")
    _page_400(admin.post("/admin/users/new", data={"csrf_token": csrf_from(page), "username": "evil",
                                                   "display_name": "陈\x00某", "unit": "", "password": "x" * 12}))


@pytest.mark.parametrize("field, value, message", [
    ("party", HOSTILE_TEXT["nul"], "空字符"), ("title", HOSTILE_TEXT["escape"], "控制字符"),
    ("facts", HOSTILE_TEXT["rlo"], "文字方向控制字符"), ("facts", HOSTILE_TEXT["c1"], "控制字符"),
])
def test_a_step_form_with_hostile_text_is_an_audited_refusal_naming_the_field(
        town: Runtime, officer: FlaskClient, field: str, value: str, message: str) -> None:
    page = officer.get("/cases/new?procedure=enforcement_case")
    form = {"csrf_token": csrf_from(page), "procedure": "enforcement_case", **ENFORCEMENT, field: value}
    before = _refusals(town)
    response = officer.post("/cases/new", data=form)
    assert response.status_code == 422 and message in text(response)
    assert _refusals(town) == before + 1
    with town.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 0


@pytest.mark.parametrize("made_on", ["9999-12-31", "0001-01-01", "1999-12-31"])
def test_a_date_outside_the_window_is_an_audited_refusal_not_an_overflow(
        town: Runtime, officer: FlaskClient, made_on: str) -> None:
    case_id = _investigating(town)
    page = officer.get(f"/cases/{case_id}")
    form = {"csrf_token": csrf_from(page), "expected_version": version_from(page), **RECORD, "made_on": made_on,
            "file": (io.BytesIO(PDF), "询问笔录.pdf")}
    response = officer.post(f"/cases/{case_id}/steps/attach_record", data=form, content_type="multipart/form-data")
    assert response.status_code == 422 and "2000-01-01～2099-12-31" in text(response)
    assert json.loads(_refusal(town, case_id).reasons)[0]["field"] == "made_on"


@pytest.mark.parametrize("name", sorted(HOSTILE_NAMES))
def test_a_web_upload_with_a_hostile_file_name_is_an_audited_refusal_and_nothing_is_kept(
        town: Runtime, officer: FlaskClient, name: str) -> None:
    case_id = _investigating(town)
    page = officer.get(f"/cases/{case_id}")
    form = {"csrf_token": csrf_from(page), "expected_version": version_from(page), **RECORD,
            "file": (io.BytesIO(PDF), HOSTILE_NAMES[name])}
    response = officer.post(f"/cases/{case_id}/steps/attach_record", data=form, content_type="multipart/form-data")
    assert response.status_code == 422 and "请改名后重新上传" in text(response), text(response)[:2000]
    event = _refusal(town, case_id)
    assert [r["code"] for r in json.loads(event.reasons)] == ["record_filename_invalid"]
    assert json.loads(event.payload)["attempt"]["file"]["size"] == len(PDF)
    assert not any(p.is_file() for p in town.records.root.rglob("*"))


# ---------------------------------------------------------------- the API


@pytest.mark.parametrize("body, what", [(DEEP, "嵌套层级过深"), (DEEP_PAYLOAD, "嵌套层级过深"),
                                        (HUGE_INT, "整数位数过多"), (SURROGATE, "孤立代理"),
                                        (SURROGATE_KEY, "孤立代理"), ('{"a": NaN}', "有限数值")])
def test_malformed_json_is_400_naming_the_problem(town: Runtime, app: Flask, body: str, what: str) -> None:
    before = _refusals(town)
    response = _api(app, town, "zhangwei").post("/cases", data=body, headers={"Content-Type": "application/json"})
    error = is_json_error(response, 400)
    assert what in error["details"]["fields"]["json"][0]["zh"]
    assert _refusals(town) == before  # refused before it reached the engine


@pytest.mark.parametrize("path", ["/cases?q=%00", "/cases/MD-2026-0001%00", "/cases?page=" + "9" * 5000,
                                  "/cases?procedure=%E2%80%AE"])
def test_api_addresses_with_hostile_characters_are_400(town: Runtime, app: Flask, path: str) -> None:
    error = is_json_error(_api(app, town, "zhangwei").get(path), 400)
    assert error["code"] == "invalid_characters" and error["details"]["fields"]


@pytest.mark.parametrize("name", ["nul", "escape", "rlo", "c1"])
def test_api_payload_with_hostile_text_is_an_audited_422(town: Runtime, app: Flask, name: str) -> None:
    before = _refusals(town)
    response = _api(app, town, "zhangwei").post(
        "/cases", json={"procedure": "major_decision", "payload": {**PROPOSAL, "summary": HOSTILE_TEXT[name]}})
    error = is_json_error(response, 422)
    assert [r["field"] for r in error["details"]["reasons"]] == ["summary"]
    assert "json.payload.summary" in error["details"]["fields"]
    assert _refusals(town) == before + 1


def test_api_step_with_a_date_of_9999_is_an_audited_422(town: Runtime, app: Flask) -> None:
    case_id = _investigating(town)
    client = _api(app, town, "wanghai")
    response = client.fire(case_id, "record_investigation_conduct", {
        "occasion": "现场勘验", "conducted_on": "9999-12-31", "certificates_shown": True, "duties_told": True})
    error = is_json_error(response, 422)
    assert [r["field"] for r in error["details"]["reasons"]] == ["conducted_on"]
    assert _refusal(town, case_id).trigger == "record_investigation_conduct"


@pytest.mark.parametrize("name", ["nul", "rlo", "escape", "long"])
def test_api_upload_with_a_hostile_file_name_is_an_audited_422(town: Runtime, app: Flask, name: str) -> None:
    case_id = _investigating(town)
    client = _api(app, town, "wanghai")
    body, content_type = multipart([("payload", None, "application/json", json.dumps(RECORD).encode()),
                                    ("file", HOSTILE_NAMES[name], "application/pdf", PDF)])
    etag = client.get(f"/cases/{case_id}").headers["ETag"]
    response = client.post(f"/cases/{case_id}/records", data=body, headers={"If-Match": etag},
                           content_type=content_type)
    error = is_json_error(response, 422)
    assert [r["code"] for r in error["details"]["reasons"]] == ["record_filename_invalid"]
    assert "multipart.file" in error["details"]["fields"]
    assert not any(p.is_file() for p in town.records.root.rglob("*"))


def test_api_multipart_payload_nested_too_deep_is_refused_without_a_500(town: Runtime, app: Flask) -> None:
    case_id = _investigating(town)
    client = _api(app, town, "wanghai")
    body, content_type = multipart([("payload", None, "application/json", DEEP.encode()),
                                    ("file", "a.pdf", "application/pdf", PDF)])
    etag = client.get(f"/cases/{case_id}").headers["ETag"]
    response = client.post(f"/cases/{case_id}/records", data=body, headers={"If-Match": etag},
                           content_type=content_type)
    error = is_json_error(response, 422)
    assert "嵌套层级过深" in json.dumps(error["details"], ensure_ascii=False)


def test_a_file_name_is_kept_in_nfc(town: Runtime, app: Flask) -> None:
    case_id = _investigating(town)
    client = _api(app, town, "wanghai")
    body, content_type = multipart([("payload", None, "application/json", json.dumps(RECORD).encode()),
                                    ("file", "Cafe\u0301.pdf", "application/pdf", PDF)])
    etag = client.get(f"/cases/{case_id}").headers["ETag"]
    response = client.post(f"/cases/{case_id}/records", data=body, headers={"If-Match": etag},
                           content_type=content_type)
    assert response.status_code == 201 and response.get_json()["record"]["filename"] == "Caf\u00e9.pdf"


# ---------------------------------------------------------------- the command line


@pytest.mark.parametrize("data, what", [("[" * 30_000 + "]" * 30_000, "嵌套层级过深"),  # an argument <128 KiB ('{"title": ' + "9" * 5000 + "}", "整数位数过多"),
                                        ('{"title": "\\ud800"}', "孤立代理")])
def test_the_command_line_refuses_malformed_json_in_one_line(lawflow, data: str, what: str) -> None:
    result = lawflow("case", "new", "--as", "zhangwei", "--data", data)
    assert result.returncode == 1 and what in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_the_command_line_refusal_of_a_nul_is_audited(town: Runtime, lawflow) -> None:
    before = _refusals(town)
    data = json.dumps({**PROPOSAL, "title": "生活\u0000垃圾"})
    result = lawflow("case", "new", "--as", "zhangwei", "--data", data)
    assert result.returncode == 3 and "空字符" in result.stderr and "[title]" in result.stderr
    assert _refusals(town) == before + 1


def test_the_command_line_prints_a_database_error_in_one_line_without_sql(town: Runtime, lawflow, tmp_path) -> None:
    """A database that looks initialised (Alembic's version table) but lacks lawflow's tables: the driver's
    error, in one line, neither SQL nor parameters. (A database without even the version table is told to run
    `lawflow init` first: tests/test_cli.py.)"""
    version_table = "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"
    if town.database_url.startswith("sqlite"):
        import sqlite3

        path = tmp_path / "broken.sqlite3"
        with sqlite3.connect(path) as conn:
            conn.execute(version_table)
        result = lawflow("case", "show", "MD-2026-0001", env={"LAWFLOW_DATABASE_URL": f"sqlite:///{path}"})
    else:
        import psycopg

        from tests.conftest import _pg_admin, _pg_admin_params

        name = urlsplit(town.database_url).path.lstrip("/") + "_broken"
        _pg_admin(f"CREATE DATABASE {name} OWNER lawflow_owner")
        try:
            with psycopg.connect(**{**_pg_admin_params(), "dbname": name}, autocommit=True) as conn:
                conn.execute(version_table)
                conn.execute("GRANT SELECT ON alembic_version TO lawflow_app")
            result = lawflow("case", "show", "MD-2026-0001", env={"LAWFLOW_DATABASE_URL": town.database_url.replace(
                urlsplit(town.database_url).path, f"/{name}")})
        finally:
            _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("数据库错误") and "SELECT" not in line and "MD-2026-0001" not in line, line


def test_case_list_and_show_escape_control_characters_in_user_text(town: Runtime, lawflow, owner_url) -> None:
    """A title stored before these checks (or written behind the application) still cannot drive the
    terminal: escapes and direction overrides are shown as \\x1b and \\u202e."""
    outcome = town.engine.create_case("major_decision", "zhangwei", PROPOSAL)
    assert outcome.ok
    from sqlalchemy import create_engine, update

    owner = create_engine(owner_url)
    with owner.begin() as conn:
        conn.execute(update(Case).where(Case.id == outcome.case_id).values(title="\x1b[2J清屏\u202eexe.pdf\x9b"))
    owner.dispose()
    for args in (("case", "list"), ("case", "show", str(outcome.case_id))):
        result = lawflow(*args)
        assert result.returncode == 0, result.stderr
        assert "\\x1b[2J清屏\\u202eexe.pdf\\x9b" in result.stdout
        assert "\x1b" not in result.stdout and "\u202e" not in result.stdout and "\x9b" not in result.stdout



def test_the_command_line_refuses_a_file_whose_name_hides_its_type(town: Runtime, lawflow, tmp_path: Path) -> None:
    case_id = _investigating(town)
    disguised = tmp_path / "询问笔录\u202efdp.exe"
    disguised.write_bytes(PDF)
    result = lawflow("case", "fire", case_id, "attach_record", "--as", "wanghai", "--file", str(disguised),
                     "--data", json.dumps(RECORD, ensure_ascii=False))
    assert result.returncode == 3 and "文字方向控制字符" in result.stderr and "请改名后重新上传" in result.stderr
    assert [r["code"] for r in json.loads(_refusal(town, case_id).reasons)] == ["record_filename_invalid"]
    assert not any(p.is_file() for p in town.records.root.rglob("*"))


def test_a_record_kept_with_a_nul_in_its_name_still_downloads(town: Runtime, app: Flask, owner_url: str) -> None:
    """A record attached before names were checked: its file is offered under the case's own name."""
    case_id = _investigating(town)
    assert town.engine.fire(case_id, "attach_record", "wanghai", RECORD, attachment=town.records.stage_bytes(
        PDF, "询问笔录.pdf")).ok
    from sqlalchemy import create_engine, update

    with town.sessions() as s:
        data = s.get(Case, case_id).data
    data = {**data, "records": [{**data["records"][0], "filename": "询问\x00笔录.pdf"}]}
    owner = create_engine(owner_url)
    with owner.begin() as conn:
        conn.execute(update(Case).where(Case.id == case_id).values(data=data))
    owner.dispose()
    page_client = app.test_client()
    assert login(page_client, "wanghai").status_code == 302
    for response in (page_client.get(f"/cases/{case_id}/records/1"),
                     _api(app, town, "wanghai").get(f"/cases/{case_id}/records/1")):
        assert response.status_code == 200 and response.data == PDF
        assert f"{case_id}-1" in response.headers["Content-Disposition"]
