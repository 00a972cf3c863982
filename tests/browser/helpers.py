"""What a person does on the pages, for the browser tests: log in, find a case, open a step's form, submit.

Playwright may be missing (the `browser` fixture then fails or skips each test, saying why), so `expect` is
None here rather than an import error at collection.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from workflow.clock import FixedClock
from workflow.demo import DEMO_PASSWORD
from workflow.runtime import Runtime

try:
    from playwright.sync_api import expect
except ImportError:
    expect = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

CASE_URL = re.compile(r"/cases/([A-Za-z0-9_-]+-[A-Z]{2}-\d{4}-\d{4})$")  # any procedure's prefix


@dataclass
class Site:
    """The live server: its address, and behind it the runtime and the town's clock."""

    url: str
    runtime: Runtime
    clock: FixedClock


def log_in(page: Page, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="我的待办", level=1)).to_be_visible()  # every role's landing


def nav_link(page: Page, name: str) -> Locator:
    """The navigation's link `name`, with or without the count of what awaits the user there (审查任务 2)."""
    return page.get_by_role("navigation", name="主导航").get_by_role(
        "link", name=re.compile(rf"^{re.escape(name)}(?: \d+)?$"))


def case_id_of(page: Page) -> str:
    match = CASE_URL.search(page.url)
    assert match, f"not on a case page: {page.url}"
    return match.group(1)


def go_to_case_list(page: Page) -> None:
    nav_link(page, "案件").click()
    expect(page.get_by_role("heading", name="案件列表", level=1)).to_be_visible()


def open_case(page: Page, title: str) -> str:
    """From the case list, follow the link of the case with this title; its id."""
    go_to_case_list(page)
    page.get_by_role("row").filter(has_text=title).get_by_role("link").click()
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    return case_id_of(page)


def stage(page: Page) -> Locator:
    """The case's current stage, as the case page shows it."""
    return page.locator("dl.summary dd.state")


def step_form(page: Page, trigger: str, label: str) -> Locator:
    """The step's form, opened by clicking its title as a person does (a single offered step is open)."""
    step = page.locator(f"details#step-{trigger}")
    expect(step.locator("summary")).to_contain_text(label)
    if step.get_attribute("open") is None:
        step.locator("summary").click()
    expect(step.locator("form")).to_be_visible()
    return step


def submit(step: Locator, label: str) -> None:
    step.get_by_role("button", name=f"提交：{label}").click()


def expect_done(page: Page, label: str, state: str) -> None:
    """The confirmation after a step, and the case's new stage."""
    expect(page.locator(".flash.success")).to_contain_text(f"已办理「{label}」，案件现处于「{state}」阶段")
    expect(stage(page)).to_have_text(state)
