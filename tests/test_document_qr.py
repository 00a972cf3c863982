"""The QR code on an issued document (issue 12 item 6): the PDF carries one image, and that image, read back
with pdfimages, is module for module segno's code for the document's verification address; a draft, which has
no address yet, carries none. No database: rendering only."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from workflow.definitions import load_registry
from workflow.documents import qr, render
from workflow.documents.definitions import load_documents
from workflow.documents.issue import verify_url_base

pytestmark = pytest.mark.one_database

URL = "https://houlong.gov.cn/public/verify/ABCDEFGH23"
DECISION = {"title": "陈某某在后龙街两侧堆放建材案", "party": "陈某某，住后龙镇后龙村", "facts_and_evidence": "现场勘验笔录",
            "penalty_type": "fine", "amount": "2000", "additional_penalty_type": None, "additional_amount": None,
            "legal_basis": "《城市市容和环境卫生管理条例》第三十六条", "performance": "十五日内缴纳罚款",
            "reconsideration_body": "泉州市泉港区人民政府", "reconsideration_days": 60, "litigation_months": 6,
            "sealed": True}


def _pdf(tmp_path: Path, verify_url: str) -> Path:
    doc = load_documents(load_registry()).get("enforcement_case/penalty_decision")
    assert doc is not None
    html = render.html(doc, DECISION, org={"name_zh": "后龙镇人民政府", "name_en": "Houlong"}, number="龙综执罚〔2026〕1号",
                       day=date(2026, 3, 2), verify_code="ABCDEFGH23", verify_url=verify_url,
                       labels={"penalty_type": "罚款"})
    path = tmp_path / "doc.pdf"
    path.write_bytes(render.pdf(html, doc.layout, render.resolve_fonts(None)))
    return path


def _images(pdf: Path) -> list[Path]:
    subprocess.run(["pdfimages", "-png", str(pdf), str(pdf.parent / "img")], check=True)
    return sorted(pdf.parent.glob("img-*.png"))


def test_the_pdf_carries_the_qr_code_of_its_verification_address(tmp_path: Path) -> None:
    pdf = _pdf(tmp_path, URL)
    images = _images(pdf)
    assert len(images) == 1
    img = Image.open(images[0]).convert("L")
    expected = qr.modules(URL)
    assert img.size == (len(expected), len(expected))  # one pixel per module, quiet zone included
    px = img.load()
    read = [[px[x, y] < 128 for x in range(img.size[0])] for y in range(img.size[1])]
    assert read == expected
    assert read != qr.modules(URL.replace("ABCDEFGH23", "ABCDEFGH24"))  # the comparison tells codes apart
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert URL in "".join(text.split())  # the printed address is the one in the code


def test_a_draft_has_no_qr_code(tmp_path: Path) -> None:
    assert _images(_pdf(tmp_path, "")) == []


def test_the_address_is_the_portal_setting_or_the_path_alone() -> None:
    assert verify_url_base({"documents.public_base_url": "https://houlong.gov.cn/"}) == "https://houlong.gov.cn"
    assert verify_url_base({}) == ""
