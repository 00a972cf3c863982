"""The refusals in the audit trail, counted by rule, by the acting person's unit and by month: where staff still act
from habit rather than the law (the first shortcoming the source report names, 「凭经验、凭习惯办事」, legal-facts
§10 and the annual report's part 2, issue 14 item 5).

Each refused attempt is an audit event (kind `refused`) whose reasons name the rule (`code`: a guard, a period,
a separation of duties) with its article. Counted here per reason: an attempt refused for two rules counts once
under each. Only the organisation's cases are read (refusals of no case, such as an unknown case id or a login
lock, are not a rule of a procedure). Nothing here writes.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.clock import local_date, parse_stamp
from workflow.models import AuditEvent, Case, User


@dataclass(frozen=True)
class RuleCount:
    code: str
    article: str
    zh: str
    en: str
    count: int


@dataclass
class Refusals:
    year: int
    total: int = 0  # refused attempts
    by_rule: list[RuleCount] = field(default_factory=list)  # most refused first
    by_unit: list[tuple[str, int]] = field(default_factory=list)
    by_month: list[tuple[int, int]] = field(default_factory=list)  # (1..12, attempts), every month


def refusals(session: Session, org_ids: Sequence[str], year: int) -> Refusals:
    # RFC 3339 UTC stamps sort as text; a day either side of the year, then each is placed in its Beijing day
    start, end = f"{year - 1}-12-31", f"{year + 1}-01-02"
    rows = session.execute(
        select(AuditEvent.at, AuditEvent.actor, AuditEvent.reasons, User.unit)
        .join(Case, Case.id == AuditEvent.case_id)
        .outerjoin(User, User.username == AuditEvent.actor)
        .where(AuditEvent.kind == "refused", Case.org_id.in_(list(org_ids)), AuditEvent.at >= start,
               AuditEvent.at < end)).all()
    out = Refusals(year)
    rules: Counter[str] = Counter()
    texts: dict[str, tuple[str, str, str]] = {}
    units: Counter[str] = Counter()
    months: Counter[int] = Counter()
    for at, _actor, reasons, unit in rows:
        day: date = local_date(parse_stamp(at))
        if day.year != year:
            continue
        out.total += 1
        units[unit or "（未登记科室）"] += 1
        months[day.month] += 1
        for reason in json.loads(reasons or "[]"):
            code = str(reason.get("code", ""))
            rules[code] += 1
            texts.setdefault(code, (str(reason.get("article", "")), str(reason.get("zh", "")),
                                    str(reason.get("en", ""))))
    out.by_rule = [RuleCount(code, *texts[code], n) for code, n in rules.most_common()]
    out.by_unit = units.most_common()
    out.by_month = [(m, months.get(m, 0)) for m in range(1, 13)]
    return out
