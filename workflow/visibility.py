"""Which organisations' audit trails a user may see: the one place that answers it for the audit pages, the
audit export and the verification page (web/audit.py, the API's audit endpoints).

An organisation sees itself. A user whose role supervises (a role some definition lists in
`visibility.supervision:`, issue 14; workflow/case_reading.py Reader.supervising) sees the organisations below
theirs too: the district's supervisor reads its towns' trails. Never a sibling's, never a parent's.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from workflow.org_tree import subtree


def visible_orgs(session: Session, org_id: str, supervising: bool = False) -> list[str]:
    """The organisation ids whose cases and administration journals a user of `org_id` may audit (their own
    first); `supervising`: the user holds a supervising role, and sees the organisations below too."""
    return subtree(session, org_id) if supervising else [org_id]
