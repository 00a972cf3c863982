"""A drafter uploads a material of a major decision in a real browser and downloads it back (major_decision v2)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tests.browser.helpers import expect, open_case, step_form, submit

if TYPE_CHECKING:
    from playwright.sync_api import Page

OpenPage = Callable[..., "Page"]
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n% the draft decision\n"
TITLE = "后龙镇生活垃圾分类实施办法"  # the demo's decision just proposed


def test_a_drafter_uploads_the_draft_of_a_decision_and_downloads_it(open_page: OpenPage, tmp_path: Path):
    page = open_page("zhangwei")
    case_id = open_case(page, TITLE)
    pdf = tmp_path / "实施办法（草案）.pdf"
    pdf.write_bytes(PDF)
    upload = step_form(page, "attach_material", "上传决策材料")
    upload.get_by_label("记录文件").set_input_files(pdf)
    upload.get_by_label("材料类别").select_option(label="决策草案")
    upload.get_by_label("材料名称").fill("后龙镇生活垃圾分类实施办法（草案）")
    upload.get_by_label("文件格式").select_option(label="PDF")
    upload.get_by_label("成文日期").fill("2026-03-02")
    upload.get_by_label("稿次或版本说明").fill("初稿")
    submit(upload, "上传决策材料")
    expect(page.locator(".flash.success")).to_contain_text("已办理「上传决策材料」")

    materials = page.locator("section").filter(has=page.get_by_role("heading", name="决策过程记录和材料", level=2))
    row = materials.get_by_role("row").filter(has_text="后龙镇生活垃圾分类实施办法（草案）")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("决策建议")  # the stage it was uploaded in
    expect(row).to_contain_text("决策草案")
    expect(row).to_contain_text("初稿")
    expect(row).to_contain_text(f"PDF · {len(PDF):,} 字节")
    expect(row.locator("code")).to_have_attribute("title", hashlib.sha256(PDF).hexdigest())
    with page.expect_download() as info:
        row.get_by_role("link", name="后龙镇生活垃圾分类实施办法（草案）").click()
    assert info.value.suggested_filename == pdf.name
    assert Path(info.value.path()).read_bytes() == PDF
    assert case_id.startswith("houlong-MD-")
