"""Tracking codes of requests (条例第二十九条: the applicant follows the request without an account).

A code is 128 random bits from `secrets` (22 URL-safe characters), given to the applicant once; the database
keeps only its SHA-256 (models.RequestTrackingCode), so neither a database copy nor a guess opens a request.
This module writes only that row; the request itself is a case created through the engine."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

from sqlalchemy.orm import Session

from workflow.models import RequestTrackingCode

CODE_BYTES = 16  # 128 bits
CODE = re.compile(r"^[A-Za-z0-9_-]{22}$")


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def digest(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def keep(session: Session, code: str, case_id: str, org_id: str, now: datetime) -> None:
    session.add(RequestTrackingCode(code_hash=digest(code), case_id=case_id, org_id=org_id, created_at=now))


def case_of(session: Session, code: str) -> str | None:
    """The case a code opens, or None (a malformed code is not looked up)."""
    if not CODE.match(code):
        return None
    row = session.get(RequestTrackingCode, digest(code))
    return row.case_id if row else None
