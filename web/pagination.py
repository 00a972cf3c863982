"""Page links under a long list: the first, the last and the pages near the current one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import url_for


@dataclass
class PageLink:
    number: int
    url: str
    current: bool = False


def page_links(page: int, pages: int, query: Mapping[str, str], endpoint: str) -> list[PageLink | None]:
    """Links to the first, last and nearby pages; None marks a gap."""
    wanted = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    out: list[PageLink | None] = []
    previous = 0
    for n in wanted:
        if n - previous > 1:
            out.append(None)
        out.append(PageLink(n, url_for(endpoint, **query, page=n), n == page))
        previous = n
    return out


def page_number(raw: str | None) -> int:
    """The page a query asks for (`?page=`): a positive number, else the first page."""
    return int(raw) if raw and raw.isdigit() and 0 < int(raw) < 10**9 else 1
