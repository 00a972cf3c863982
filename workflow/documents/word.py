"""A document's draft as DOCX for editing in WPS or Word (issue 12 item 7), and the edited draft read back.

The DOCX carries the draft's text as the PDF preview says it (the template rendered from the same data), with
each field the template prints as a content control (w:sdt) tagged with the field's name: the free-text fields
(`free_text:` of the document type, when the step's payload gives them) editable, the others locked. An
edited DOCX comes back as an upload: each tagged field is compared with what the case and the form give now;
a free-text field's new text replaces that payload field, a change to any other field is refused naming it
(the document says what the case holds, never what was typed into the document alone). The step is then
taken as usual: its guards and the document's required contents judge the edited payload, and the document
issued is rendered by lawflow from it (its PDF fixed by its hash), never the uploaded file.

python-docx is imported on first use: lawflow runs without it until a draft is asked for as DOCX.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

from workflow.documents import render
from workflow.documents.contents import Problem
from workflow.documents.definitions import DocumentType, environment
from workflow.documents.issue import Planned

if TYPE_CHECKING:
    from workflow.engine import Engine, Outcome

MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MAX_BYTES = 5 * 1024 * 1024  # a one-page 文书 is some 40 kB: anything far larger is not its draft
# Private-use characters around a field's printed value while the template renders (never in a document's text)
OPEN, SEP, CLOSE = "\ue000", "\ue001", "\ue002"
BLOCKS = frozenset({"p", "h1", "th", "td"})


class _Tagged(str):
    """A field's text value that remembers its name while the template prints it."""

    field: str


def _tagged(name: str, value: Any) -> Any:
    if not isinstance(value, str) or not value:
        return value
    tagged = _Tagged(value)
    tagged.field = name
    return tagged


def _mark(value: Any) -> Any:
    """Jinja's finalize: a field printed as it is ({{ facts }}) is marked; one passed through a filter
    ({{ amount|capital }}) is a new value and prints plain (the filter's words are not the field's)."""
    if isinstance(value, _Tagged):
        return f"{OPEN}{value.field}{SEP}{value}{CLOSE}"
    return value


Segment = tuple[str, str | None]  # text, and the field it prints (None: the template's own words)


@dataclass
class Block:
    kind: str  # "p": a paragraph; "row": a form's row (its cells)
    cells: list[list[Segment]]
    css: str = ""


class _Parser(HTMLParser):
    """The template's body as blocks of text: paragraphs and the rows of its forms."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self._row: list[str] | None = None
        self._text: list[str] | None = None
        self._css = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self._row = []
        elif tag in BLOCKS:
            self._text, self._css = [], dict(attrs).get("class") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag in BLOCKS and self._text is not None:
            text, self._text = "".join(self._text), None
            if self._row is not None:
                self._row.append(text)
            elif text.strip():
                self.blocks.append(Block("p", [_segments(text)], self._css))
        elif tag == "tr" and self._row is not None:
            self.blocks.append(Block("row", [_segments(c) for c in self._row]))
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)


def _segments(text: str) -> list[Segment]:
    out: list[Segment] = []
    while OPEN in text:
        before, _, rest = text.partition(OPEN)
        name, _, rest = rest.partition(SEP)
        value, _, text = rest.partition(CLOSE)
        if before:
            out.append((before, None))
        out.append((value, name))
    if text:
        out.append((text, None))
    return out


def blocks(p: Planned, org: Mapping[str, Any]) -> list[Block]:
    """The draft's body as the preview prints it, each printed field marked."""
    env = environment(p.doc.templates_dir)
    env.finalize = _mark
    found = {name: _tagged(name, value) for name, value in p.values.items()}
    common = {"org": org, "number": draft_number(p), "date_text": render.date_text(p.day),
              "verify_code": "", "verify_url": "", "doc": {"labels": p.labels, "label": p.doc.label.zh}}
    parser = _Parser()
    parser.feed(env.get_template(p.doc.template_file).render(**found, **common))
    parser.close()
    return parser.blocks


def draft_number(p: Planned) -> str:
    return f"{p.code}〔　　〕　号（草稿，签发时编号）"


def editable(doc: DocumentType) -> dict[str, str]:
    """field -> the payload field it comes from, for each free-text field an upload may change."""
    return {name: doc.fields[name].removeprefix("payload.") for name in doc.free_text
            if doc.fields.get(name, "").startswith("payload.")}


def _label(doc: DocumentType, name: str) -> str:
    return next((c.label.zh for c in doc.contents if c.field == name), name)


# ---------------------------------------------------------------- writing


def docx(p: Planned, org: Mapping[str, Any]) -> bytes:
    """The draft as DOCX: the issuer, the document's name, the number left open, the body (a form as a
    table), the signature and date; the printed fields as content controls, the free-text ones editable."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc, free = p.doc, editable(p.doc)
    out = Document()
    normal = out.styles["Normal"]
    family = p.fonts["fangsong"].rsplit(" (", 1)[0]
    normal.font.name, normal.font.size = family, Pt(16)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), family)
    props = out.core_properties
    props.title, props.subject, props.identifier = doc.label.zh, doc.key, doc.template_ref
    props.comments = ("lawflow 草稿：仅可修改标为可编辑的内容（" + "、".join(_label(doc, n) for n in free) +
                      "），其他内容以案件记录为准；签发的文书由 lawflow 生成")

    def line(text: str, align: Any, size: int | None = None, bold: bool = False) -> None:
        para = out.add_paragraph()
        para.alignment = align
        run = para.add_run(text)
        run.bold = bold
        if size:
            run.font.size = Pt(size)

    line(str(org.get("name_zh", "")), WD_ALIGN_PARAGRAPH.CENTER, 22, True)
    line(doc.label.zh, WD_ALIGN_PARAGRAPH.CENTER, 22, True)
    line(draft_number(p), WD_ALIGN_PARAGRAPH.RIGHT)
    table = None
    for block in blocks(p, org):
        if block.kind == "row":
            table = table or out.add_table(rows=0, cols=len(block.cells))
            if len(block.cells) == len(table.columns):
                table.style = "Table Grid"
                cells = table.add_row().cells
                for cell, segments in zip(cells, block.cells, strict=True):
                    _fill(cell.paragraphs[0], segments, doc, free)
                continue
        table = None
        para = out.add_paragraph()
        if "addressee" not in block.css and "note" not in block.css:
            para.paragraph_format.first_line_indent = Pt(32)  # two characters of 3号
        _fill(para, block.cells[0], doc, free)
    line(str(org.get("name_zh", "")), WD_ALIGN_PARAGRAPH.RIGHT)
    line(render.date_text(p.day), WD_ALIGN_PARAGRAPH.RIGHT)
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()


def _fill(para: Any, segments: list[Segment], doc: DocumentType, free: Mapping[str, str]) -> None:
    for text, name in segments:
        if name is None:
            para.add_run(text)
        else:
            para._p.append(_control(name, text, _label(doc, name), name in free))


def _control(name: str, text: str, label: str, can_edit: bool) -> Any:
    """A run-level content control tagged with the field's name; locked unless the field is free text."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    sdt, props, content = OxmlElement("w:sdt"), OxmlElement("w:sdtPr"), OxmlElement("w:sdtContent")
    for kind, value in (("w:alias", label + ("（可编辑）" if can_edit else "（由案件记录生成，不可修改）")),
                        ("w:tag", name), *(() if can_edit else (("w:lock", "contentLocked"),))):
        element = OxmlElement(kind)
        element.set(qn("w:val"), value)
        props.append(element)
    run, t = OxmlElement("w:r"), OxmlElement("w:t")
    t.set(qn("xml:space"), "preserve")
    t.text = text
    run.append(t)
    content.append(run)
    sdt.append(props)
    sdt.append(content)
    return sdt


# ---------------------------------------------------------------- reading back


class Unreadable(ValueError):
    """The upload is no DOCX lawflow made (not a DOCX, too large, or another document's)."""


def read(data: bytes) -> tuple[str, dict[str, list[str]]]:
    """The document type the DOCX is a draft of, and the text of each tagged field (every occurrence)."""
    from docx import Document
    from docx.oxml.ns import qn

    if len(data) > MAX_BYTES:
        raise Unreadable(f"文件超过{MAX_BYTES // (1024 * 1024)}MB，不是本系统生成的文书草稿")
    try:
        document = Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise Unreadable(f"无法读取上传的DOCX文件（{type(exc).__name__}）") from None
    found: dict[str, list[str]] = {}
    for sdt in document.element.body.iter(qn("w:sdt")):
        tag = sdt.find(f"{qn('w:sdtPr')}/{qn('w:tag')}")
        if tag is None:
            continue
        content = sdt.find(qn("w:sdtContent"))
        text = "".join(t.text or "" for t in content.iter(qn("w:t"))) if content is not None else ""
        found.setdefault(str(tag.get(qn("w:val"))), []).append(text)
    return str(document.core_properties.subject or ""), found


def changes(p: Planned, org: Mapping[str, Any], found: Mapping[str, list[str]]) -> tuple[dict[str, str], list[Problem]]:
    """payload field -> its edited text, and what is refused: a field that is not free text changed or removed,
    a free-text field given two different texts."""
    doc, free = p.doc, editable(p.doc)
    printed: dict[str, str] = {}
    for block in blocks(p, org):
        for cell in block.cells:
            printed.update({name: text for text, name in cell if name is not None})
    edits: dict[str, str] = {}
    problems: list[Problem] = []
    for name, now in printed.items():
        texts = found.get(name)
        label = _label(doc, name)
        if not texts:
            problems.append(_problem(doc, name, f"上传的草稿缺少《{doc.label.zh}》的「{label}」",
                                     f"the uploaded draft lacks the {doc.label.en}'s field {name!r}"))
        elif len(set(texts)) > 1:
            problems.append(_problem(doc, name, f"上传的草稿中「{label}」前后不一致",
                                     f"the uploaded draft gives {name!r} two different texts"))
        elif texts[0] != now and name not in free:
            problems.append(_problem(doc, name, f"《{doc.label.zh}》的「{label}」由案件记录生成，不得在草稿中修改",
                                     f"{name!r} of the {doc.label.en} comes from the case record and may not be "
                                     "edited in the draft"))
        elif texts[0] != now:
            edits[free[name]] = texts[0].strip()
    return edits, problems


def _problem(doc: DocumentType, name: str, zh: str, en: str) -> Problem:
    return Problem(f"document_draft_edit:{doc.id}", zh, en, doc.basis, editable(doc).get(name, ""))


# ---------------------------------------------------------------- through the engine


def draft(engine: Engine, case_id: str, trigger: str, actor: str, payload: Any) -> tuple[bytes | None, Outcome]:
    """The DOCX draft of the (first) document the step would issue, with check()'s outcome."""
    drafts, outcome = engine.draft_documents(case_id, trigger, actor, payload, render=docx)
    return (drafts[0] if drafts else None), outcome


def edited_payload(engine: Engine, case_id: str, trigger: str, actor: str, payload: Mapping[str, Any],
                   data: bytes) -> tuple[dict[str, Any] | None, list[Problem], Outcome]:
    """The step's payload with the free-text fields edited in the uploaded DOCX, or the problems that refuse the
    upload. The document is drafted again from `payload` (the form as filled in) to know what it says now."""
    key, found = read(data)
    seen: list[tuple[Planned, Mapping[str, Any]]] = []
    keep: Callable[[Planned, Mapping[str, Any]], None] = lambda p, org: seen.append((p, org))  # noqa: E731
    _, outcome = engine.draft_documents(case_id, trigger, actor, dict(payload), render=keep)
    match = next(((p, org) for p, org in seen if p.doc.key == key), None)
    if match is None:
        if not outcome.ok:
            return None, [], outcome
        raise Unreadable(f"上传的文件不是本步骤所签发文书的草稿（{key or '未知文书'}）")
    edits, problems = changes(*match, found)
    return ({**payload, **edits} if not problems else None), problems, outcome
