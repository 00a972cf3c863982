"""What anyone may learn about an issued document from its verification code, and whether a copy matches.

The public page (web/documents.py, /public/verify/<code>) shows only what the document itself shows on its
face and the portal may show: the issuing organisation, the kind of document, its number, its date, the
SHA-256 and size of the issued PDF, and whether the number was voided. Never the party, the facts or the case:
a code is printed on a document that names the party, but the page must not turn a guessed code into a name.
An unknown code says only that it is unknown.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.documents.issue import VERIFY_ALPHABET, VERIFY_LENGTH
from workflow.models import IssuedDocument, Organization

CODE = re.compile(f"^[{VERIFY_ALPHABET}]{{{VERIFY_LENGTH}}}$")


@dataclass(frozen=True)
class PublicRecord:
    code: str
    org_id: str
    issuer: str
    label: str
    number: str
    issued_on: date
    sha256: str
    size: int
    voided_at: datetime | None


def normalise(code: str) -> str:
    return code.strip().upper()


def find(session: Session, code: str, labels: dict[str, str]) -> PublicRecord | None:
    """The public facts of the document with this code, or None (an invalid code is looked up nowhere)."""
    code = normalise(code)
    if not CODE.match(code):
        return None
    row = session.scalar(select(IssuedDocument).where(IssuedDocument.verify_code == code))
    if row is None:
        return None
    org = session.get(Organization, row.org_id)
    return PublicRecord(code, row.org_id, org.name_zh if org else row.org_id, labels.get(row.doc_type, row.doc_type),
                        row.number, row.issued_on, row.sha256, row.size, row.voided_at)


def matches(record: PublicRecord, chunks: Iterable[bytes]) -> bool:
    """Is the uploaded copy byte for byte the issued document? (SHA-256 and size)"""
    digest, size = hashlib.sha256(), 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    return size == record.size and digest.hexdigest() == record.sha256


def of_case(session: Session, case_id: str) -> list[IssuedDocument]:
    """The documents issued in a case, in the order they were issued (the case page lists them)."""
    return list(session.scalars(select(IssuedDocument).where(IssuedDocument.case_id == case_id)
                                .order_by(IssuedDocument.id)))
