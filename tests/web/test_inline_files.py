"""The documents on the pages where decisions are taken (issue 16 item 2): the review page and the meeting page (where
the members give their views) show each PDF in a frame and each image as an image, with a link to download; other
formats only as links. The file shown in place is served by the record route's `inline` variant, to the same
readers, with its format's media type, `nosniff` and a policy that runs no script (web/inline_files.py)."""

from __future__ import annotations

import os

import pytest

from tests.web.helpers import parse
from tests.web.test_meetings import convened
from tests.web.test_reviews import under_review
from tests.web.test_stage_materials import PDF
from workflow.models import Case

# The pages, not the database, are this module's subject: SQLite only (tests/conftest.py, one_database).
pytestmark = pytest.mark.one_database

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
DOCX = b"PK\x03\x04" + b"\x00" * 40
POLYGLOT = b"%PDF-1.4\n<html><body><script>alert(document.cookie)</script></body></html>\n"


def _attach(town, case_id: str, title: str, fmt: str, content: bytes) -> None:
    outcome = town.engine.fire(case_id, "attach_material", "zhangwei", {
        "material": "draft", "title": title, "format": fmt, "made_on": town.engine.today().isoformat()},
        attachment=town.records.stage_bytes(content, f"{title}.{fmt}"))
    assert outcome.ok, outcome.reasons


def _shown(html: str) -> tuple[list[str], list[str], list[str]]:
    """The frames' and images' sources of the page's files shown in place, and the links to download."""
    page = parse(html)
    if not page.has("section.previews"):
        return [], [], []
    section = page.one("section.previews")
    return ([f.get("src") for f in section.all("iframe")], [i.get("src") for i in section.all("img")],
            [a.get("href") for a in section.all("figcaption a")])


def test_the_review_page_shows_the_pdf_and_the_image_in_place_and_a_word_file_as_a_link(town, client_for):
    case_id = under_review(town)
    _attach(town, case_id, "决策草案（送审稿）", "pdf", PDF + b"% review\n")
    _attach(town, case_id, "现场照片", "png", PNG)
    _attach(town, case_id, "起草说明", "docx", DOCX)
    counsel = client_for("chenjing")
    page = counsel.get(f"/reviews/{case_id}").get_data(as_text=True)
    frames, images, downloads = _shown(page)
    assert frames == [f"/cases/{case_id}/records/1/inline"] and images == [f"/cases/{case_id}/records/2/inline"]
    assert downloads == [f"/cases/{case_id}/records/1", f"/cases/{case_id}/records/2"]
    assert f'href="/cases/{case_id}/records/3"' in page  # the Word file: listed, to download only
    shown = counsel.get(frames[0])
    assert shown.status_code == 200 and shown.data.startswith(PDF)
    assert shown.headers["Content-Type"] == "application/pdf"
    assert shown.headers["Content-Disposition"].startswith("inline")
    assert shown.headers["X-Content-Type-Options"] == "nosniff"
    policy = shown.headers["Content-Security-Policy"]
    assert "script-src 'none'" in policy and "default-src 'none'" in policy and "frame-ancestors 'self'" in policy
    assert shown.headers["X-Frame-Options"] == "SAMEORIGIN"  # the site's pages may frame it, no other site
    image = counsel.get(images[0])
    assert image.status_code == 200 and image.headers["Content-Type"] == "image/png" and image.data == PNG
    word = counsel.get(f"/cases/{case_id}/records/3/inline")  # never shown in place
    assert word.status_code == 415 and word.mimetype == "text/plain" and not word.data.startswith(b"PK")


def test_the_meeting_page_shows_the_draft_in_place_to_the_members(town, client_for):
    case_id = convened(town)
    _attach(town, case_id, "决策草案", "pdf", PDF + b"% meeting\n")
    frames, _images, downloads = _shown(client_for("zhengli").get(f"/meetings/{case_id}").get_data(as_text=True))
    assert frames == [f"/cases/{case_id}/records/1/inline"] and downloads == [f"/cases/{case_id}/records/1"]
    assert client_for("zhengli").get(frames[0]).status_code == 200


def test_a_reader_who_may_not_open_the_file_is_answered_as_by_the_record_route(town, client_for):
    case_id = under_review(town)
    _attach(town, case_id, "决策草案（送审稿）", "pdf", PDF)
    for user in ("wanghai", "admin"):  # an enforcement officer, the administrator: no role of the procedure
        client = client_for(user)
        download = client.get(f"/cases/{case_id}/records/1").status_code
        assert download == 404 and client.get(f"/cases/{case_id}/records/1/inline").status_code == download
    assert client_for("chenjing").get(f"/cases/{case_id}/records/9/inline").status_code == 404


def test_an_html_file_is_never_served_in_place_as_a_page(town, client_for):
    case_id = under_review(town)
    _attach(town, case_id, "送审稿", "pdf", POLYGLOT)  # starts as a PDF does: accepted as one, served as one
    counsel = client_for("chenjing")
    shown = counsel.get(f"/cases/{case_id}/records/1/inline")
    assert shown.headers["Content-Type"] == "application/pdf" and shown.headers["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'none'" in shown.headers["Content-Security-Policy"]
    _attach(town, case_id, "起草说明", "pdf", PDF + b"% explanation\n")
    with town.sessions() as s:  # the stored file changed on disk into an HTML page
        record = next(r for r in s.get(Case, case_id).data["records"] if r["no"] == 2)
    path = town.records.find(record["sha256"])
    os.chmod(path, 0o600)
    path.write_bytes(b"<!DOCTYPE html><html><script>alert(1)</script></html>")
    tampered = counsel.get(f"/cases/{case_id}/records/2/inline")
    assert tampered.status_code == 415 and tampered.mimetype == "text/plain" and b"<script>" not in tampered.data
    assert "text/html" not in tampered.headers["Content-Type"]
