"""A large record shows its upload progress (web/static/upload.js), and the page then is what a plain
submission gives: the case page with its confirmation, or the refusal with its reasons."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from tests.browser.helpers import Site, case_id_of, expect, open_case, step_form, submit
from workflow.models import Case

if TYPE_CHECKING:
    from playwright.sync_api import Page

OpenPage = Callable[..., "Page"]
CASE = "郭某某在文化广场搭建彩钢棚案"
STEP = "附加执法记录（文字或音像）"


def mp4(size: int) -> bytes:
    """An MP4 as the format sniffer knows it (an ftyp box first), padded to `size` bytes."""
    head = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
    return head + b"\x00" * (size - len(head))


def fill_record(page: Page, path: Path, fmt: str) -> None:
    upload = step_form(page, "attach_record", "附加执法记录")
    upload.get_by_label("记录文件").set_input_files(path)
    upload.get_by_label("记录类型").select_option(label="音像记录")
    upload.get_by_label("记录名称").fill("现场检查录像")
    upload.get_by_label("文件格式").select_option(label=fmt)
    upload.get_by_label("记录制作日期").fill("2026-03-02")
    upload.get_by_label("时长（秒）").fill("600")
    upload.get_by_label("记录设备").fill("执法记录仪 QG-07")
    upload.get_by_label("记录人（账号）").select_option(value="wanghai")  # the officers, by name


def test_a_large_record_shows_its_upload_progress_then_the_case_page(open_page: OpenPage, site: Site,
                                                                      tmp_path: Path):
    page = open_page("wanghai")
    case_id = open_case(page, CASE)
    video = tmp_path / "现场检查录像.mp4"
    video.write_bytes(mp4(3 * 1024 * 1024))
    fill_record(page, video, "MP4 视频")
    cdp = page.context.new_cdp_session(page)  # a slow uplink (about 1 MB/s), as from a town office
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 20, "downloadThroughput": -1,
                                                   "uploadThroughput": 1024 * 1024})
    submit(page.locator("details#step-attach_record"), STEP)
    progress = page.locator("details#step-attach_record .upload-progress")
    expect(progress).to_be_visible()
    expect(progress.locator("output")).to_have_text(re.compile(r"^([1-9]\d?)%$"), timeout=10_000)  # under way

    expect(page.locator(".flash.success")).to_contain_text(f"已办理「{STEP}」", timeout=30_000)
    assert case_id_of(page) == case_id  # the address is the case page's, as after a plain submission
    with site.runtime.sessions() as s:
        records = s.scalar(select(Case).where(Case.id == case_id)).data["records"]
    assert records[-1]["size"] == 3 * 1024 * 1024 and records[-1]["filename"] == video.name


def test_a_refused_upload_shows_the_reasons_next_to_the_form(open_page: OpenPage, site: Site, tmp_path: Path):
    page = open_page("wanghai")
    case_id = open_case(page, CASE)
    with site.runtime.sessions() as s:
        before = s.get(Case, case_id).version
    fake = tmp_path / "录像.mp4"
    fake.write_bytes(b"not a video at all, only text" * 100)
    fill_record(page, fake, "MP4 视频")
    submit(page.locator("details#step-attach_record"), STEP)
    refusal = page.locator("details#step-attach_record .alert")
    expect(refusal).to_contain_text("与声明的格式")
    expect(page.locator("details#step-attach_record").get_by_label("记录名称")).to_have_value("现场检查录像")
    with site.runtime.sessions() as s:
        assert s.get(Case, case_id).version == before


def test_a_refusal_opens_in_view_and_the_file_received_is_kept_for_the_retry(open_page: OpenPage, site: Site,
                                                                             tmp_path: Path):
    page = open_page("wanghai")
    case_id = open_case(page, CASE)
    video = tmp_path / "现场检查录像.mp4"
    video.write_bytes(mp4(512 * 1024))
    fill_record(page, video, "MP4 视频")
    form = page.locator("details#step-attach_record")
    form.get_by_label("记录制作日期").fill("2099-03-02")  # a date still to come: refused
    submit(form, STEP)
    refusal = form.locator(".alert.refusal")
    expect(refusal).to_be_visible()
    expect(refusal).to_be_in_viewport()  # the page opens where the refusal is
    expect(refusal).to_be_focused()  # and a screen reader starts there
    expect(form.locator(".held-file")).to_contain_text(video.name)

    form.get_by_label("记录制作日期").fill("2026-03-02")  # corrected; the file is not chosen again
    submit(form, STEP)
    expect(page.locator(".flash.success")).to_contain_text(f"已办理「{STEP}」")
    with site.runtime.sessions() as s:
        record = s.scalar(select(Case).where(Case.id == case_id)).data["records"][-1]
    assert record["filename"] == video.name and record["size"] == 512 * 1024
