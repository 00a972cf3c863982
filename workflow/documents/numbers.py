"""Document numbers (发文字号 / 文书编号): 龙综执罚〔2026〕3号 — the organisation's 代字, the year in 六角括号,
the serial without leading zeros and without 第 (GB/T 9704-2012 7.2.4; legal-facts-2 §5).

The register is a counter row per (organisation, 代字, year), incremented by one upsert inside the issuing
transaction, exactly as workflow/numbering.py does for case numbers: the row stays locked until the step
commits, so concurrent issuers queue; a step that rolls back takes its increment with it, so the serials have
no gaps. A number that was issued and later voided keeps its row in issued_document, with its reason.
"""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from workflow.models import DocumentNumberCounter
from workflow.numbering import increment

CODE = re.compile(r"^[\u4e00-\u9fffA-Za-z]{1,16}$")  # 代字: Chinese characters (or letters), no brackets or digits


def format_number(code: str, year: int, serial: int) -> str:
    return f"{code}〔{year}〕{serial}号"


def next_serial(session: Session, org_id: str, code: str, year: int) -> int:
    """Increment the (organisation, 代字, year) counter and return its new value; the row stays locked until
    the caller's transaction ends."""
    return increment(session, DocumentNumberCounter.__table__, {"org_id": org_id, "code": code, "year": year})
