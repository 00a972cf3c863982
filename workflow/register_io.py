"""Registers (台账) in and out of spreadsheets, for any procedure whose definition declares `register:`
(workflow/register_spec.py): the town's .xlsx imported as new entries, a year's entries exported, the empty template
to fill in, and the entries and figures a register page shows. Nothing here knows a family: the columns are the
create step's fields, named by their labels in the definition.

Import is all or nothing. Every data row becomes a create payload and the whole file goes through
`Engine.create_many` — the same checks as `create_case` (roles, payload schema, guards, typed dates) and one
transaction for all: when any row is refused nothing is saved, and every refused row is named with its line
(the spreadsheet's row number), its field (the column's label) and why — all of them, not only the first. A cell
that cannot be read as its type (a date written as text in another form, a choice not in the list) is passed on
as written, so that the engine's payload check names it like any other bad value. Only a header the definition
does not know stops the file before the engine sees it (nothing could be said of its rows).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow import xlsx
from workflow.deadlines import overdue as overdue_query
from workflow.definitions import Procedure, Registry
from workflow.engine import Engine
from workflow.figures import Figure, figures_of
from workflow.labels import Label
from workflow.models import Case
from workflow.need_to_know import mask
from workflow.payloads import FieldSpec
from workflow.register_spec import PerGroup, Register
from workflow.typed_dates import REASON_FIELD

# The export's own reference columns, after the fields: an import reads past them (a re-imported export is new
# entries of the importing organisation, with numbers of its own).
CASE_COLUMN = Label("登记编号", "Entry no.")
STATE_COLUMN = Label("状态", "State")
REASON_LABEL = Label("补录理由", "Reason for a late entry")
TRUE_WORDS = frozenset({"是", "有", "√", "✓", "y", "yes", "true", "1"})
FALSE_WORDS = frozenset({"否", "无", "×", "n", "no", "false", "0"})
LIST_SPLIT = re.compile(r"[、,，;；\n]+")
CN_DATE = re.compile(r"^(\d{4})\s*[年/.-]\s*(\d{1,2})\s*[月/.-]\s*(\d{1,2})\s*日?$")
MAX_ROWS = 5000  # a town's register for a year is hundreds of rows; a bigger file is a mistake, not a register


class NotARegister(ValueError):
    """The procedure declares no register, or not an importable one."""


@dataclass(frozen=True)
class RowProblem:
    line: int  # the spreadsheet's row number (1 = its first row); 0 for the file as a whole
    field: str  # the column's Chinese label, "" for the row as a whole
    zh: str
    en: str

    def text(self, lang: str = "zh") -> str:
        where = f"第{self.line}行" if lang != "en" else f"line {self.line}"
        column = f"「{self.field}」" if self.field else ""
        return f"{where}{column}：{self.zh if lang != 'en' else self.en}" if self.line else (
            self.zh if lang != "en" else self.en)


@dataclass(frozen=True)
class ImportResult:
    ok: bool
    created: tuple[str, ...]  # the new entries' case ids, in the file's order
    problems: tuple[RowProblem, ...]
    rows: int  # data rows read


def register_of(procedure: Procedure, *, importable: bool = False) -> Register:
    register = procedure.register
    if register is None or (importable and not register.importable):
        what = "可导入的台账" if importable else "台账"
        raise NotARegister(f"「{procedure.label.zh}」不是{what} / {procedure.id} is not {'an importable ' if importable else 'a '}"
                           "register")
    return register


def registers(registry: Registry) -> list[Procedure]:
    """The newest version of every procedure that declares a register."""
    return [p for p in registry.latest() if p.register is not None]


def fields_of(procedure: Procedure) -> tuple[FieldSpec, ...]:
    """The columns of the register's spreadsheet: the create step's fields, in the definition's order."""
    return procedure.create.payload


# ---------------------------------------------------------------- the template and the export


def template(procedure: Procedure) -> bytes:
    """An empty workbook with the title and the header row the import reads (the fields' Chinese labels)."""
    register_of(procedure, importable=True)
    heads = [_head(f) for f in fields_of(procedure)] + [REASON_LABEL.zh]
    return xlsx.workbook(procedure.label.zh, [[f"{procedure.label.zh}（导入模板）"], heads])


def export(session: Session, procedure: Procedure, org_id: str, year: int | None, roles: frozenset[str]) -> bytes:
    """The entries of the year (all years: None) as a workbook the import reads back."""
    specs = fields_of(procedure)
    heads = [_head(f) for f in specs] + [CASE_COLUMN.zh, STATE_COLUMN.zh]
    rows: list[list[xlsx.Cell]] = []
    for entry in entries(session, procedure, org_id, year, roles):
        rows.append([export_cell(f, entry.values.get(f.name)) for f in specs] + [entry.case_id, entry.state_label])
    title = f"{procedure.label.zh}（{year}年）" if year else procedure.label.zh
    return xlsx.workbook(procedure.label.zh, [[title], heads, *rows])


def _head(spec: FieldSpec) -> str:
    return spec.label.zh + ("（必填）" if spec.required else "")


def export_cell(spec: FieldSpec, value: Any) -> xlsx.Cell:
    if value is None:
        return None
    if spec.type == "boolean":
        return "是" if value else "否"
    if spec.type == "choice":
        return next((label.zh for v, label in spec.choices if v == value), str(value))
    if spec.type == "string_list":
        return "、".join(str(v) for v in value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return str(value)


# ---------------------------------------------------------------- reading a workbook


def read(procedure: Procedure, content: bytes) -> tuple[list[tuple[int, dict[str, Any]]], list[RowProblem]]:
    """The data rows of the workbook's first sheet as (line, payload), and the problems of its header. The header
    is the first row (of the first five) that names a field; the rows below it are data, blank rows skipped."""
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a file that is not a workbook
        return [], [RowProblem(0, "", "文件不是有效的 Excel 工作簿（.xlsx）", "the file is not an .xlsx workbook")]
    try:
        sheet = book.worksheets[0]
        lines = list(sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 6))
    finally:
        book.close()
    by_head = _heads(procedure)
    header_at = next((i for i, row in enumerate(lines[:5]) if any(_key(c) in by_head for c in row)), None)
    if header_at is None:
        return [], [RowProblem(0, "", "未找到表头行：表头应为本台账的栏目名称（请下载导入模板）",
                               "no header row naming the register's fields (download the template)")]
    columns: list[FieldSpec | str | None] = []
    problems: list[RowProblem] = []
    for cell in lines[header_at]:
        key = _key(cell)
        if not key:
            columns.append(None)
        elif key in by_head:
            columns.append(by_head[key])
        elif key in (_key(CASE_COLUMN.zh), _key(CASE_COLUMN.en), _key(STATE_COLUMN.zh), _key(STATE_COLUMN.en)):
            columns.append(None)
        else:
            columns.append(None)
            problems.append(RowProblem(header_at + 1, str(cell), f"未知的栏目「{cell}」，本台账没有该项",
                                       f"unknown column {cell!r}: the register has no such field"))
    named = {c.name for c in columns if isinstance(c, FieldSpec)}
    for spec in fields_of(procedure):
        if spec.required and spec.name not in named:
            problems.append(RowProblem(header_at + 1, spec.label.zh, "缺少必填栏目", "a required column is missing"))
    if len(lines) > header_at + 1 + MAX_ROWS:
        problems.append(RowProblem(0, "", f"超过{MAX_ROWS}行，请分批导入", f"more than {MAX_ROWS} rows: import in parts"))
    if problems:
        return [], problems
    rows = []
    for n, row in enumerate(lines[header_at + 1:], start=header_at + 2):
        payload: dict[str, Any] = {}
        for spec, cell in zip(columns, row, strict=False):
            if spec is None or cell is None or (isinstance(cell, str) and not cell.strip()):
                continue
            if isinstance(spec, FieldSpec):
                payload[spec.name] = _value(spec, cell)
            else:
                payload[spec] = str(cell).strip()
        if payload:
            rows.append((n, payload))
    return rows, []


def _key(cell: Any) -> str:
    text = "" if cell is None else re.sub(r"\s+", "", str(cell))
    return re.sub(r"[（(](必填|required)[)）]$", "", text).casefold()


def _heads(procedure: Procedure) -> dict[str, Any]:
    """Header text -> the field it names: its Chinese and English labels and its name; the late-entry reason."""
    out: dict[str, Any] = {}
    for spec in fields_of(procedure):
        for text in (spec.label.zh, spec.label.en, spec.name):
            out[_key(text)] = spec
    for text in (REASON_LABEL.zh, REASON_LABEL.en, REASON_FIELD):
        out[_key(text)] = REASON_FIELD
    return out


def _value(spec: FieldSpec, cell: Any) -> Any:
    """The cell as the payload's type; as written (text) where it cannot be read, for the engine to refuse."""
    text = cell.strip() if isinstance(cell, str) else cell
    if spec.type == "date":
        if isinstance(text, datetime):
            return text.date().isoformat()
        if isinstance(text, date):
            return text.isoformat()
        m = CN_DATE.match(str(text))
        if m:
            try:
                return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
            except ValueError:
                return str(text)
        return str(text)
    if spec.type == "integer":
        if isinstance(text, bool):
            return str(text)
        if isinstance(text, int):
            return text
        if isinstance(text, float) and text.is_integer():
            return int(text)
        return int(text) if isinstance(text, str) and re.fullmatch(r"[+-]?\d{1,12}", text) else str(text)
    if spec.type == "decimal":
        try:
            return format(Decimal(str(text)).normalize(), "f") if not isinstance(text, bool) else str(text)
        except InvalidOperation:
            return str(text)
    if spec.type == "boolean":
        if isinstance(text, bool):
            return text
        word = str(text).strip().casefold()
        return True if word in TRUE_WORDS else False if word in FALSE_WORDS else str(text)
    if spec.type == "choice":
        word = str(text).strip()
        for value, label in spec.choices:
            if word in (value, label.zh, label.en) or _key(word) in (_key(label.zh), _key(label.en)):
                return value
        return word
    if spec.type == "string_list":
        return [p.strip() for p in LIST_SPLIT.split(str(text)) if p.strip()]
    if isinstance(text, float) and text.is_integer():
        return str(int(text))
    return str(text)


# ---------------------------------------------------------------- importing


def import_file(engine: Engine, procedure_id: str, actor: str, content: bytes,
                late_entry_reason: str | None = None) -> ImportResult:
    """Every row of the workbook as a new entry, all in one transaction, or none (module docstring).
    `late_entry_reason`: the reason for rows that do not give their own (a year's register entered at once is a
    late entry where the organisation sets records.late_entry_days: workflow/typed_dates.py)."""
    procedure = engine.registry.get(procedure_id)
    register_of(procedure, importable=True)
    rows, problems = read(procedure, content)
    if problems:
        return ImportResult(False, (), tuple(problems), len(rows))
    if not rows:
        return ImportResult(False, (), (RowProblem(0, "", "文件中没有数据行", "the file has no data rows"),), 0)
    payloads = [_with_reason(p, late_entry_reason) for _, p in rows]
    return import_payloads(engine, procedure, actor, [n for n, _ in rows], payloads)


def import_payloads(engine: Engine, procedure: Procedure, actor: str, lines: Sequence[int],
                    payloads: list[dict[str, Any]]) -> ImportResult:
    """Payloads already made (the demo builds its own rows): the same all-or-nothing creation."""
    batch = engine.create_many(procedure.id, actor, payloads)
    if batch.ok:
        return ImportResult(True, tuple(o.case_id or "" for o in batch.outcomes), (), len(payloads))
    labels = {f.name: f.label.zh for f in fields_of(procedure)} | {REASON_FIELD: REASON_LABEL.zh}
    found = [RowProblem(lines[i], labels.get(r.field, r.field), r.zh, r.en)
             for i, outcome in batch.refused for r in outcome.reasons]
    return ImportResult(False, (), tuple(found), len(payloads))


def _with_reason(payload: dict[str, Any], reason: str | None) -> dict[str, Any]:
    if reason and REASON_FIELD not in payload:
        return {**payload, REASON_FIELD: reason}
    return payload


# ---------------------------------------------------------------- entries and figures


@dataclass(frozen=True)
class Entry:
    case_id: str
    state: str
    state_label: str
    values: Mapping[str, Any]  # the current values: the create step's, or the last correction's
    data: Mapping[str, Any]  # the case data (other steps' records)
    corrected: int  # how many corrections replaced earlier values (kept in the case data and its events)


def entries(session: Session, procedure: Procedure, org_id: str, year: int | None,
            roles: frozenset[str] | None = None) -> list[Entry]:
    """The organisation's entries of the register dated in `year` (every year: None), by date, masked where the
    definition's visibility says the holder of `roles` may not see a party's personal data (None: unmasked)."""
    register = register_of(procedure)
    out = []
    for case in _cases(session, procedure.id, org_id):
        if year is not None and _year(_path(case.data, register.date)) != year:
            continue
        out.append(_entry(procedure, register, case, roles))
    return sorted(out, key=lambda e: (str(_path(e.data, register.date) or ""), e.case_id))


def _cases(session: Session, procedure_id: str, org_id: str) -> Iterable[Case]:
    return session.scalars(select(Case).where(Case.org_id == org_id, Case.procedure == procedure_id)
                           .order_by(Case.id)).all()


def _entry(procedure: Procedure, register: Register, case: Case, roles: frozenset[str] | None) -> Entry:
    values = dict(case.data.get(register.entry) or {})
    visibility = procedure.visibility
    if roles is not None and visibility is not None and not visibility.sees_personal(roles):
        for name, how in (visibility.personal.get(register.entry) or {}).items():
            if name in values:
                values[name] = mask(values[name], how)
    state = procedure.states.get(case.state)
    corrected = len((case.data.get("superseded") or {}).get(register.entry) or ())
    return Entry(case.id, case.state, state.label.zh if state else case.state, values, case.data, corrected)


def _path(data: Mapping[str, Any], path: str) -> Any:
    key, _, name = path.partition(".")
    record = data.get(key)
    return record.get(name) if isinstance(record, Mapping) else None


def _year(value: Any) -> int | None:
    text = str(value or "")
    return int(text[:4]) if text[:4].isdigit() else None


@dataclass(frozen=True)
class GroupShortfall:
    group: str
    count: int


def figures(session: Session, procedure: Procedure, org_id: str, year: int) -> list[Figure]:
    """The register's figures for the year: its definition's `figures:` (workflow/figures.py), the same the figures
    page and the annual report read, each with the entries behind it."""
    return figures_of(session, {procedure.id: procedure.figures}, [org_id], year).get(procedure.id, [])


def shortfalls(session: Session, procedure: Procedure, org_id: str, year: int) -> list[GroupShortfall]:
    """The groups (villages) below the register's guideline at the end of the year (`per_group`): a warning."""
    register = register_of(procedure)
    group = register.per_group
    if group is None:
        return []
    counts: dict[str, int] = {}
    for case in _cases(session, procedure.id, org_id):
        if case.state in register.excluded_states:
            continue
        name = str((case.data.get(register.entry) or {}).get(group.field) or "")
        counts.setdefault(name, 0)
        if _in_group_at_end(register, group, case.data, year):
            counts[name] += 1
    return [GroupShortfall(g, n) for g, n in sorted(counts.items()) if g and n < group.min]


def _in_group_at_end(register: Register, group: PerGroup, data: Mapping[str, Any], year: int) -> bool:
    """Whether an entry counts towards its group's guideline on 31 December: its values match the guideline's
    `where`, it is dated by then, and not ended (`until`) by then."""
    values = data.get(register.entry) or {}
    if any(values.get(k) != v for k, v in group.where.items()):
        return False
    day, end = _path(data, register.date), f"{year}-12-31"
    ended = _path(data, group.until) if group.until else None
    return bool(day) and str(day) <= end and not (ended and str(ended) <= end)


@dataclass(frozen=True)
class Overdue:
    """An entry of the register (of any year) with a period whose last day has passed: a committee whose term has
    ended, a dispute mediated past the organisation's period (the definition's `deadlines:`, issue 14)."""

    case_id: str
    title: str
    label: Label  # the period's
    due: date


def overdue(session: Session, procedure: Procedure, org_id: str, today: date,
            roles: frozenset[str] | None = None) -> list[Overdue]:
    """The register's entries whose running limit ended before `today`, most overdue first (workflow.deadlines.overdue:
    the same query the to-do and compliance views read); titles masked as `entries` masks them."""
    register = register_of(procedure)
    rows = session.execute(overdue_query(today).where(Case.org_id == org_id, Case.procedure == procedure.id)).all()
    out = []
    for case, row in rows:
        spec = procedure.deadlines.get(row.name)
        if spec is not None and row.due is not None:
            title = _entry(procedure, register, case, roles).values.get("title", case.title)
            out.append(Overdue(case.id, str(title), spec.label, row.due))
    return out
