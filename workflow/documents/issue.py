"""Issuing a step's documents inside the step's unit of work (workflow/engine: fire()).

`plan` runs with the step's other checks (fire() and check() alike): the document's required contents, its
代字 and fonts. What it finds wrong refuses the step like a guard, citing the article; nothing is numbered or
rendered. `issue` runs when the step is applied, before its event is written: it allocates the number from
the register, renders the PDF once and stages it; the number, SHA-256, size, template and fonts go into the
event's hashed `facts` ("documents"), and a step whose document fills a payload field (the decision's
document_no) gets the number in its payload, so that the case row replays it from the event. `record` then
writes the issued_document rows, and `keep` hands the staged PDFs to fire(), which moves them into the records
store once the event has committed (and discards them if it does not: no stored file without its event; a crash
in between is rolled forward by the store, workflow/records.py).

An organisation that has not set a document's 代字 issues no document through lawflow: the step goes on as
before, its number typed in the form (the number field is then required).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.clock import local_date
from workflow.documents import contents, numbers, render
from workflow.documents.contents import Problem
from workflow.documents.definitions import DocumentRegistry, DocumentType
from workflow.documents.render import FONTS_SETTING
from workflow.models import IssuedDocument, Organization, User
from workflow.records import RecordStore, Staged

VERIFY_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud or typed from paper
VERIFY_LENGTH = 10  # 32^10 ≈ 10^15 codes; the public page is rate-limited besides
VERIFY_PATH = "/public/verify/"
VERIFY_BASE_SETTING = "documents.public_base_url"  # the portal's public address; unset: the path alone


@dataclass
class Planned:
    """A document the step will issue: what it says, and how it will be numbered and set."""

    doc: DocumentType
    values: dict[str, Any]
    labels: dict[str, str]
    code: str
    fonts: dict[str, str]
    day: date
    verify_base: str = ""  # the organisation's portal address before VERIFY_PATH (setting documents.public_base_url)
    # what the family computed from the records for it (computed.<name> sources: the annual report's figures),
    # fixed with the document in the issuing event's hashed facts ("data"): what it said, as it was then
    computed: dict[str, Any] = field(default_factory=dict)


@dataclass
class Issued:
    planned: Planned
    number: str
    serial: int
    year: int
    verify_code: str
    staged: Staged

    def fact(self) -> dict[str, Any]:
        doc = self.planned.doc
        return {"type": doc.key, "label": doc.label.zh, "template": doc.template_ref, "layout": doc.layout,
                "code": self.planned.code, "year": self.year, "serial": self.serial, "number": self.number,
                "date": self.planned.day.isoformat(), "sha256": self.staged.sha256, "size": self.staged.size,
                "verify_code": self.verify_code, "fonts": dict(self.planned.fonts),
                **({"data": self.planned.computed} if self.planned.computed else {})}


def plan(documents: DocumentRegistry, procedure: Any, transition: Any, data: Mapping[str, Any],
         payload: Mapping[str, Any], org: Mapping[str, Any], settings: Mapping[str, Any],
         records: RecordStore | None, today: date,
         computed: Callable[[DocumentType], dict[str, Any]] | None = None) -> tuple[list[Planned], list[Problem]]:
    """The documents the step issues and every problem that stops one of them; `computed` gives a document's
    computed.<name> values (its family's, from the records)."""
    planned: list[Planned] = []
    problems: list[Problem] = []
    for doc in documents.issued_by(procedure.id, transition.trigger):
        extra = computed(doc) if computed is not None and _computes(doc) else {}
        found = contents.values(doc, transition.trigger, data, payload, org, settings, extra)
        code = settings.get(doc.code_setting)
        if code or doc.check_contents == "always":
            problems.extend(contents.missing(doc, found))
        typed = payload.get(doc.number_field) if doc.number_field else None
        if not code:
            if doc.number_field and contents.blank(typed):
                problems.append(Problem(
                    f"document_number_missing:{doc.id}",
                    f"本单位未设置《{doc.label.zh}》的文书代字（设置项 {doc.code_setting}），须填写文号",
                    f"the organisation has not set the code of the {doc.label.en} (setting {doc.code_setting}): "
                    "type its number", doc.basis, doc.number_field))
            continue
        if not numbers.CODE.match(str(code)):
            problems.append(Problem(
                f"document_code_invalid:{doc.id}", f"文书代字「{code}」无效：应为1至16个汉字，不含括号和数字",
                f"the document code {code!r} is not 1 to 16 Chinese characters without brackets or digits",
                doc.basis))
            continue
        if not contents.blank(typed):
            problems.append(Problem(
                f"document_number_allocated:{doc.id}",
                f"《{doc.label.zh}》的文号由本单位文书编号登记簿按顺序分配（代字「{code}」），不得自行填写「{typed}」",
                f"the number of the {doc.label.en} is allocated by the register (code {code}); "
                f"{typed!r} may not be typed", doc.basis, doc.number_field or ""))
        if records is None:
            problems.append(Problem(
                "record_store_unavailable", "本系统未配置记录文件存储目录，无法保存签发的文书",
                "this installation has no records folder configured: the issued document cannot be kept",
                doc.basis))
        try:
            fonts = render.resolve_fonts(settings.get(FONTS_SETTING))
        except render.FontProblem as exc:
            problems.append(Problem(f"document_font:{doc.id}", exc.zh, exc.en, doc.basis))
            continue
        day = _day(contents.read(doc.date, data, payload, org, settings, extra), today)
        planned.append(Planned(doc, found, _labels(doc, procedure, transition, found), str(code), fonts, day,
                               verify_url_base(settings), extra))
    return planned, problems


def issue(session: Session, planned: list[Planned], org_id: str, org: Mapping[str, Any], records: RecordStore,
          now: datetime) -> list[Issued]:
    """Number, render and stage each planned document (inside the step's transaction)."""
    issued: list[Issued] = []
    year = local_date(now).year
    try:
        for p in planned:
            serial = numbers.next_serial(session, org_id, p.code, year)
            number = numbers.format_number(p.code, year, serial)
            code = "".join(secrets.choice(VERIFY_ALPHABET) for _ in range(VERIFY_LENGTH))
            page = render.html(p.doc, p.values, org=org, number=number, day=p.day, verify_code=code,
                               verify_url=p.verify_base + VERIFY_PATH + code, labels=p.labels)
            pdf = render.pdf(page, p.doc.layout, p.fonts)
            issued.append(Issued(p, number, serial, year, code, records.stage_bytes(pdf, f"{number}.pdf")))
    except BaseException:
        discard(issued)  # the step fails: no staged PDF stays behind
        raise
    return issued


def draft(p: Planned, org: Mapping[str, Any]) -> bytes:
    """A preview of the planned document: the number and the verification code are left open (they are given
    only when it is issued), and nothing is kept."""
    page = render.html(p.doc, p.values, org=org, number=f"{p.code}〔　　〕　号（草稿，签发时编号）", day=p.day,
                       verify_code="（签发后生成）", verify_url="", labels=p.labels)
    return render.pdf(page, p.doc.layout, p.fonts)


def fill_number(planned: list[Issued], payload: dict[str, Any]) -> dict[str, Any]:
    """The payload with each allocated number in the field its document names (replayed into the case row)."""
    filled = dict(payload)
    for i in planned:
        if i.planned.doc.number_field:
            filled[i.planned.doc.number_field] = i.number
    return filled


def record(session: Session, issued: list[Issued], org_id: str, case_id: str, event_seq: int,
           now: datetime) -> None:
    for i in issued:
        session.add(IssuedDocument(
            org_id=org_id, case_id=case_id, event_seq=event_seq, doc_type=i.planned.doc.key,
            template=i.planned.doc.template_ref, code=i.planned.code, year=i.year, serial=i.serial,
            number=i.number, sha256=i.staged.sha256, size=i.staged.size, verify_code=i.verify_code,
            issued_at=now, issued_on=i.planned.day))
    session.flush()


def keep(issued: list[Issued], recorded: list[Staged]) -> None:
    """The staged PDFs go with the step's files: fire() moves them to their content address once the event
    has committed (a crash in between is rolled forward by the store, workflow/records.py)."""
    recorded.extend(i.staged for i in issued)


def discard(issued: list[Issued]) -> None:
    for i in issued:
        i.staged.discard()


def organisation(session: Session, org_id: str) -> dict[str, Any]:
    """The issuing organisation's names, and its people's names by account (person.<field> sources)."""
    org = session.get(Organization, org_id)
    rows = session.execute(select(User.username, User.display_name).where(User.org_id == org_id))
    people = {username: name for username, name in rows}  # not dict(rows): a Result has keys(), like a mapping
    return {"id": org_id, "name_zh": org.name_zh if org else org_id, "name_en": org.name_en if org else org_id,
            "people": people}


def verify_url_base(settings: Mapping[str, Any]) -> str:
    """The portal's address without its trailing slash ("https://houlong.gov.cn"), or "" for the path alone."""
    return str(settings.get(VERIFY_BASE_SETTING) or "").strip().rstrip("/")


def _computes(doc: DocumentType) -> bool:
    return any(source.startswith("computed.") for source in doc.fields.values())


def _day(value: Any, today: date) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return today


def _labels(doc: DocumentType, procedure: Any, transition: Any, found: Mapping[str, Any]) -> dict[str, str]:
    """The Chinese label of each choice field's value (罚款 for `fine`): a payload field's from the issuing step,
    a case.<record>.<field>'s from the step that records it (the 结案审批表 names the execution's outcome)."""
    specs = {f"payload.{f.name}": f for f in transition.payload}
    for step in (procedure.create, *procedure.transitions):
        if step.record is not None:
            for f in step.payload:
                specs.setdefault(f"case.{step.record.key}.{f.name}", f)
    labels: dict[str, str] = {}
    for name, source in doc.fields.items():
        spec = specs.get(source)
        if spec is not None and spec.choices:
            labels[name] = next((label.zh for value, label in spec.choices if value == found.get(name)), "")
    return labels
