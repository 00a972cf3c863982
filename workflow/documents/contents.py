"""What a document says, from the case: its fields read from the case data, the issuing step's payload and the
organisation, and the contents the law requires that are missing from them.

The values are read from the same data the guards judged (the case data before the step, the step's validated
payload): the document cannot say something the case does not. A missing required content refuses the
issuing step (workflow/engine: fire() and check() alike), citing the content's article.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from workflow.conflicts import at_path
from workflow.documents.definitions import Content, DocumentType
from workflow.typed_dates import Problem  # why a document cannot be issued, in the fields of a Reason


def read(source: str, data: Mapping[str, Any], payload: Mapping[str, Any], org: Mapping[str, Any],
         settings: Mapping[str, Any] | None = None, computed: Mapping[str, Any] | None = None) -> Any:
    kind, _, rest = source.partition(".")
    if kind == "setting":
        return (settings or {}).get(rest)
    if kind == "computed":
        return (computed or {}).get(rest)
    if kind == "payload":
        return payload.get(rest)
    if kind == "case":
        return at_path(data, rest)
    if kind == "person":  # a document names a person, not an account: the organisation's name for the account
        people, named = org.get("people") or {}, payload.get(rest)
        if isinstance(named, (list, tuple)):  # several accounts (a meeting's attendees): each by its name
            return [people.get(a) or a for a in named]
        return people.get(named)
    return org.get(rest)


def values(doc: DocumentType, trigger: str, data: Mapping[str, Any], payload: Mapping[str, Any],
           org: Mapping[str, Any], settings: Mapping[str, Any] | None = None,
           computed: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The document's fields and step flags, as its template receives them."""
    found = {name: read(source, data, payload, org, settings, computed) for name, source in doc.fields.items()}
    found.update({flag: trigger in steps for flag, steps in doc.step_flags.items()})
    return found


def blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple, dict)):
        return not value
    return False


def missing(doc: DocumentType, found: Mapping[str, Any]) -> list[Problem]:
    """Every required content the values lack, each with its article."""
    problems = []
    for content in doc.contents:
        if not _applies(content, found):
            continue
        value = found.get(content.field)
        if content.must_be is not None:
            lacking = _comparable(value) != _comparable(content.must_be)
        else:
            lacking = blank(value)
        if lacking:
            problems.append(Problem(
                f"document_content_missing:{doc.id}",
                f"《{doc.label.zh}》缺少法定内容「{content.label.zh}」（{content.article}），不得制作",
                f"the {doc.label.en} lacks a content the law requires: {content.label.en} ({content.article})",
                content.article, _payload_field(doc, content.field)))
    return problems


def _applies(content: Content, found: Mapping[str, Any]) -> bool:
    return content.when_field is None or str(found.get(content.when_field)) in content.when_in


def _comparable(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def _payload_field(doc: DocumentType, name: str) -> str:
    source = doc.fields.get(name, "")
    return source.removeprefix("payload.") if source.startswith("payload.") else ""
