"""The information-processing fee (条例第四十二条; 国办函〔2020〕109号第四条、第五条), from the organisation's settings.

Per request: the same applicant's requests in one calendar month are counted; up to `free` of them cost
nothing, up to `tier_end` each costs `yuan`, and every further band of `band` requests adds `yuan` to each.
Per volume: the pages are charged progressively by tier ("30=0", "100=10", "200=20", "*=40": pages up to 30
free, 31-100 at 10 yuan, 101-200 at 20, beyond at 40). One request is charged by one method, never both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflow.procedures.information_request.law import (
    FEE_BAND,
    FEE_FREE_REQUESTS,
    FEE_PAGE_TIERS,
    FEE_PER_REQUEST,
    FEE_TIER_END,
)


class TariffUnset(Exception):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _int(value: Any, key: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TariffUnset(key)
    return value


def per_request(n: int, settings: Mapping[str, Any]) -> int:
    """The fee for an applicant's n-th request of a calendar month, in yuan."""
    free = _int(settings.get(FEE_FREE_REQUESTS), FEE_FREE_REQUESTS)
    tier_end = _int(settings.get(FEE_TIER_END), FEE_TIER_END)
    yuan = _int(settings.get(FEE_PER_REQUEST), FEE_PER_REQUEST)
    band = _int(settings.get(FEE_BAND), FEE_BAND)
    if n <= free:
        return 0
    if n <= tier_end:
        return yuan
    return yuan + yuan * -(-(n - tier_end) // band)  # each started band of `band` adds `yuan`


def page_tiers(settings: Mapping[str, Any]) -> list[tuple[int | None, int]]:
    """[(last page of the tier or None for the open one, yuan per page)] from lines "100=10", "*=40"."""
    lines = settings.get(FEE_PAGE_TIERS)
    if not isinstance(lines, list) or not lines:
        raise TariffUnset(FEE_PAGE_TIERS)
    tiers: list[tuple[int | None, int]] = []
    try:
        for line in lines:
            upto, _, price = str(line).partition("=")
            tiers.append((None if upto.strip() == "*" else int(upto), int(price)))
    except ValueError:
        raise TariffUnset(FEE_PAGE_TIERS) from None
    return tiers


def per_volume(pages: int, settings: Mapping[str, Any]) -> int:
    """The fee for `pages` pages, each tier at its own price."""
    total, below = 0, 0
    for upto, price in page_tiers(settings):
        top = pages if upto is None else min(pages, upto)
        if top > below:
            total += (top - below) * price
        if upto is None or pages <= upto:
            break
        below = upto
    return total
