"""Which organisations' audit trails a user may see: the one place that answers it for the audit export and
the verification page.

Today an organisation sees only itself. When organisations get a supervision hierarchy (a district's office
over its towns), return the supervisor's subtree here and every caller follows.
"""

from __future__ import annotations

from sqlalchemy.orm import Session


def visible_orgs(session: Session, org_id: str) -> list[str]:
    """The organisation ids whose cases and administration journals a user of `org_id` may audit."""
    del session  # the hierarchy, once it exists, is read from the database
    return [org_id]
