"""Issued documents on the web: the case page lists them and downloads the stored bytes; /public/verify/<code>
needs no login, shows only the document's public facts, checks an uploaded copy byte for byte, says nothing of
an unknown code, and is rate-limited per client."""

from __future__ import annotations

import io

import pytest

from tests.test_documents import DECISION, issued, notified, set_codes
from tests.web.helpers import csrf_from, parse, text
from workflow.runtime import Runtime

pytestmark = pytest.mark.one_database  # the page is the subject; tests/test_documents.py runs both databases


@pytest.fixture
def decided(town: Runtime) -> str:
    set_codes(town, town.clock)  # type: ignore[arg-type]
    case_id = notified(town, town.clock)  # type: ignore[arg-type]
    assert town.engine.fire(case_id, "decide_penalty", "huangzhenhua", DECISION).ok
    return case_id


def test_the_case_page_lists_the_issued_documents_and_serves_their_stored_bytes(town, client_for, decided) -> None:
    client = client_for("wanghai")
    page = parse(client.get(f"/cases/{decided}"))
    rows = page.section("已签发的文书").rows("table.documents")
    assert [r.cells()[1] for r in rows] == ["龙综执告〔2026〕1号", "龙综执罚〔2026〕1号"]
    decision = issued(town, decided)[-1]
    response = client.get(f"/cases/{decided}/documents/{decision.id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.get_data() == town.records.path_of(decision.sha256).read_bytes()


def test_anyone_verifies_a_document_by_its_code_without_learning_the_party(town, app, decided) -> None:
    decision = issued(town, decided)[-1]
    client = app.test_client()  # no login
    response = client.get(f"/public/verify/{decision.verify_code.lower()}")
    assert response.status_code == 200
    terms = parse(response).terms("#verify-record")
    assert (terms["文号"], terms["文件哈希（SHA-256）"], terms["发文机关"]) == (
        decision.number, decision.sha256, "泉州市泉港区后龙镇人民政府")
    assert "陈某某" not in text(response) and decided not in text(response)
    original = town.records.path_of(decision.sha256).read_bytes()
    token = csrf_from(response)
    same = client.post(f"/public/verify/{decision.verify_code}", content_type="multipart/form-data",
                       data={"csrf_token": token, "copy": (io.BytesIO(original), "决定书.pdf")})
    assert 'id="verify-match"' in text(same)
    altered = client.post(f"/public/verify/{decision.verify_code}", content_type="multipart/form-data",
                          data={"csrf_token": token, "copy": (io.BytesIO(original + b"\n"), "决定书.pdf")})
    assert 'id="verify-mismatch"' in text(altered)


def test_an_unknown_code_says_only_that_and_lookups_are_rate_limited(town, app, decided) -> None:
    client = app.test_client()
    response = client.get("/public/verify/ZZZZZZZZZZ")
    assert response.status_code == 404 and 'id="verify-unknown"' in text(response)
    assert "龙综执罚" not in text(response)
    for _ in range(4):
        assert client.get("/public/verify/not-a-code").status_code == 404
    assert client.get("/public/verify/ZZZZZZZZZZ").status_code == 429  # at most 5 look-ups in 10 minutes
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert other.get(f"/public/verify/{issued(town, decided)[-1].verify_code}").status_code == 200


def test_a_draft_is_previewed_from_the_form_without_numbering_or_keeping_anything(town, client_for) -> None:
    set_codes(town, town.clock)  # type: ignore[arg-type]
    case_id = notified(town, town.clock)  # type: ignore[arg-type]
    client = client_for("huangzhenhua")
    page = client.get(f"/cases/{case_id}")
    preview = parse(page).one("#step-decide_penalty").first('button[formaction]')
    assert preview.get("formaction") == f"/cases/{case_id}/documents/preview/decide_penalty"
    form = {**{k: str(v) for k, v in DECISION.items() if k != "sealed"}, "sealed": "true", "csrf_token": csrf_from(page)}
    files = sorted(p for p in town.records.root.rglob("*") if p.is_file())
    response = client.post(f"/cases/{case_id}/documents/preview/decide_penalty", data=form)
    assert response.status_code == 200 and response.mimetype == "application/pdf", text(response)[:500]
    assert response.get_data().startswith(b"%PDF-")
    assert sorted(p for p in town.records.root.rglob("*") if p.is_file()) == files
    assert [d.doc_type for d in issued(town, case_id)] == ["enforcement_case/penalty_notice"]  # nothing issued
    refused = client.post(f"/cases/{case_id}/documents/preview/decide_penalty", data={**form, "sealed": "false"})
    assert refused.status_code == 422 and "作出行政处罚决定的行政机关的印章" in text(refused)
