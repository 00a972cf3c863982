"""Browser-like helpers for the web tests: take the CSRF token and the case version from a page's forms."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from workflow.demo import DEMO_PASSWORD
from workflow.models import AuditEvent, Case
from workflow.runtime import Runtime

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
VERSION = re.compile(r'name="expected_version" value="(\d+)"')

PROPOSAL = {"title": "后龙镇生活垃圾分类实施办法", "category": "public_policy", "proposer": "leader",
            "summary": "落实生活垃圾分类要求，拟出台镇级实施办法。"}
START = {"lead_unit": "党政综合办公室", "co_units": "司法所\n村镇建设服务中心", "instructions": "请按程序组织起草"}


def text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def csrf_from(response: TestResponse) -> str:
    match = TOKEN.search(text(response))
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def version_from(response: TestResponse) -> str:
    match = VERSION.search(text(response))
    assert match, "the page has no step form"
    return match.group(1)


def login(client: FlaskClient, username: str, password: str = DEMO_PASSWORD, next_url: str = "") -> TestResponse:
    token = csrf_from(client.get("/login"))
    path = f"/login?next={next_url}" if next_url else "/login"
    return client.post(path, data={"username": username, "password": password, "csrf_token": token})


def new_case(town: Runtime, actor: str = "zhangwei", **overrides: Any) -> str:
    outcome = town.engine.create_case("major_decision", actor, {**PROPOSAL, **overrides})
    assert outcome.ok, outcome.reasons
    assert outcome.case_id
    return outcome.case_id


def submit_step(client: FlaskClient, case_id: str, trigger: str, data: dict[str, Any],
                **overrides: Any) -> TestResponse:
    """Post a step's form as a browser would: token and version taken from the case page first."""
    page = client.get(f"/cases/{case_id}")
    form = {"csrf_token": csrf_from(page), "expected_version": version_from(page), **data, **overrides}
    return client.post(f"/cases/{case_id}/steps/{trigger}", data=form)


# ---------------------------------------------------------------- reading a page through an HTML parser
# Tests find a table's rows, a section or a form's fields by parsing the page (lxml.html), not by slicing the
# text at '</tr>' or a heading: a change of markup order or whitespace then fails only where it should.
# Selectors are a small CSS subset translated to XPath here (the cssselect package is not a dependency):
# `tag`, `#id`, `.class`, `[attr]`, `[attr="value"]`, combined (`table.chains`, `tr#step-x`), a space for
# "inside" (`section#fig-a tr`) and " > " for "directly inside" (`tbody > tr`).

_SIMPLE = re.compile(r'([a-zA-Z][\w-]*|\*)?((?:#[\w-]+|\.[\w-]+|\[[\w-]+(?:="[^"]*")?\])*)$')
_PART = re.compile(r'#([\w-]+)|\.([\w-]+)|\[([\w-]+)(?:="([^"]*)")?\]')


def _xpath(selector: str) -> str:
    steps, axis = [], "descendant"
    for compound in selector.split():
        if compound == ">":
            axis = "child"
            continue
        match = _SIMPLE.match(compound)
        if not match:
            raise ValueError(f"unsupported selector {compound!r} (tests/web/helpers.py reads a small CSS subset)")
        test = match.group(1) or "*"
        for ident, cls, attr, value in _PART.findall(match.group(2)):
            if ident:
                test += f"[@id='{ident}']"
            elif cls:
                test += f"[contains(concat(' ', normalize-space(@class), ' '), ' {cls} ')]"
            elif value or compound.endswith(f'{attr}=""]'):
                test += f"[@{attr}='{value}']"
            else:
                test += f"[@{attr}]"
        steps.append(f"{axis}::{test}")
        axis = "descendant"
    return "/".join(steps)


def squash(value: str) -> str:
    """Text as a reader sees it: runs of whitespace made one space, trimmed."""
    return " ".join(value.split())


class Page:
    """A parsed HTML page (or an element of one): `parse(response).rows("table.chains")`, `.text("#next-step")`."""

    def __init__(self, root: Any):
        self.root = root

    def all(self, selector: str) -> list[Any]:
        return self.root.xpath(_xpath(selector))

    def one(self, selector: str) -> Page:
        """The single element the selector finds, as a Page (fails when there are none or several)."""
        found = self.all(selector)
        assert len(found) == 1, f"{selector!r}: {len(found)} elements, expected one"
        return Page(found[0])

    def first(self, selector: str) -> Page:
        found = self.all(selector)
        assert found, f"{selector!r}: no such element"
        return Page(found[0])

    def has(self, selector: str) -> bool:
        return bool(self.all(selector))

    def text(self, selector: str | None = None) -> str:
        """The visible text of the element (or of the one the selector finds), whitespace squashed."""
        element = self.one(selector).root if selector else self.root
        return squash(element.text_content())

    def html(self, selector: str | None = None) -> str:
        """The element's own markup (for checks on attributes and classes)."""
        from lxml import html as lxml_html

        element = self.one(selector).root if selector else self.root
        return lxml_html.tostring(element, encoding="unicode")

    def get(self, attribute: str) -> str | None:
        return self.root.get(attribute)

    def classes(self) -> set[str]:
        return set((self.root.get("class") or "").split())

    def rows(self, selector: str | None = None) -> list[Page]:
        """The body rows (<tr> with a <td>, not those of a table nested in a cell) of the one table the selector
        finds, or of this table, in page order."""
        table = self.one(selector).root if selector else self.root
        return [Page(tr) for tr in table.xpath("./tbody/tr[td]|./tr[td]")]

    def row(self, selector: str | None, containing: str) -> Page:
        """The one body row of the table whose text contains `containing`."""
        found = [r for r in self.rows(selector) if containing in r.text()]
        assert len(found) == 1, f"{selector!r}: {len(found)} rows contain {containing!r}, expected one"
        return found[0]

    def cells(self) -> list[str]:
        """The texts of this row's cells (<th> and <td>), in order."""
        return [squash(c.text_content()) for c in self.root.xpath("./th|./td")]

    def section(self, heading: str) -> Page:
        """The <section> (or <details>, <article>) whose heading (h1-h4, summary) reads `heading`."""
        found = [el for el in self.root.xpath(
            ".//*[self::section or self::details or self::article]"
            "[./*[self::h1 or self::h2 or self::h3 or self::h4 or self::summary]]")
            if any(squash(h.text_content()).startswith(heading)
                   for h in el.xpath("./*[self::h1 or self::h2 or self::h3 or self::h4 or self::summary]"))]
        assert found, f"no section headed {heading!r}"
        return Page(found[-1])  # the innermost, when sections nest

    def terms(self, selector: str = "dl") -> dict[str, str]:
        """<dt> text -> the text of the <dd> after it, in the one <dl> the selector finds."""
        dl = self.one(selector).root
        return {squash(dt.text_content()): squash(dt.xpath("following-sibling::dd[1]")[0].text_content())
                for dt in dl.xpath(".//dt")}

    def links(self) -> list[str]:
        """The href of every link inside, in page order."""
        return [a.get("href") for a in self.root.xpath(".//a[@href]")]

    def form_fields(self, selector: str = "form") -> dict[str, str]:
        """name -> value of the inputs, selects and textareas of the one form the selector finds (as sent)."""
        form = self.one(selector).root
        return {name: ("" if value is None else str(value)) for name, value in form.form_values()}

    def __contains__(self, needle: str) -> bool:
        return needle in self.text()


def parse(html: str | TestResponse) -> Page:
    """Parse a response's body (or an HTML string)."""
    from lxml import html as lxml_html

    source = text(html) if isinstance(html, TestResponse) else html
    return Page(lxml_html.document_fromstring(source))


def representative_cases(town: Runtime, opened: Collection[str] = (), org_id: str | None = None,
                         home: str | None = None) -> list[str]:
    """One case for each procedure, stage and set of steps taken to reach it. A payload is numbered by procedure,
    step and field, not by case: two cases that took the same steps to the same stage show the same payloads on
    the same pages, so the sweeps read one of them (the demo has about 75 cases and 45 such kinds). The cases
    cases in `opened` stand for their kind (tests/web/test_html_injection.py: the cases it opened through the
    forms carry its payloads, the registers' demo entries were imported without them). `org_id`: one
    organisation's cases only; `home`: that organisation's case stands for its kind where it has one (the users
    who read the pages are its people)."""
    with town.sessions() as s:
        query = select(Case.id, Case.procedure, Case.state, Case.org_id).order_by(Case.id)
        cases = s.execute(query if org_id is None else query.where(Case.org_id == org_id)).all()
        taken: dict[str, set[str]] = {}
        for case_id, trigger in s.execute(select(AuditEvent.case_id, AuditEvent.trigger)):
            taken.setdefault(case_id, set()).add(trigger or "")
    kinds: dict[tuple[str, str, frozenset[str]], str] = {}
    for case_id, procedure, state, _org in sorted(cases, key=lambda case: (case[0] not in opened, case[3] != home)):
        kinds.setdefault((procedure, state, frozenset(taken.get(case_id, ()))), case_id)
    return sorted(kinds.values())
