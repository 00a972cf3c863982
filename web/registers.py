"""Registers (台账): a page per procedure whose definition declares `register:` (workflow/register_spec.py).

* /registers/                              the registers the signed-in person may read
* /registers/<procedure>/?year=            the entries of the year (the definition's columns), the year's figures,
                                           the guideline warning (per_group), import, export and template
* /registers/<procedure>/export.xlsx?year= the entries as a workbook the import reads back
* /registers/<procedure>/template.xlsx     the empty import template (the header row of the fields' labels)
* POST /registers/<procedure>/import       an .xlsx: every row created in one transaction, or none, with every
                                           bad row named (line, column, why) — workflow/register_io.py, which goes
                                           through Engine.create_many (the same checks as any create)

An adapter: no procedure, step or role is named here; who may read a register is its definition's `visibility:`,
who may import is who may take its create step (the engine checks again), and a party's personal data are masked
as for the case pages.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from web.case_access import reader
from web.i18n import _, current_lang
from web.runtime import runtime
from workflow import register_io
from workflow.definitions import Procedure
from workflow.figures import stated

bp = Blueprint("registers", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD = 5 * 1024 * 1024  # a town's register for a year is far below this


def _readable() -> list[Procedure]:
    shown = reader()
    return [p for p in register_io.registers(runtime().registry) if p.visibility is not None and shown.sees(p)]


@bp.app_context_processor
def navigation() -> dict[str, Any]:
    def may_read_registers() -> bool:
        return bool(current_user.is_authenticated and _readable())

    return {"may_read_registers": may_read_registers}


def _procedure(procedure_id: str) -> Procedure:
    found = next((p for p in _readable() if p.id == procedure_id), None)
    if found is None:
        abort(404)  # no such register, or one this person may not read: the same answer
    return found


def _year() -> int:
    year = request.args.get("year", "")
    if not year:
        return runtime().engine.today().year
    if not (year.isdigit() and 2000 <= int(year) <= 2100):
        abort(400)
    return int(year)


def _may_import(procedure: Procedure) -> bool:
    register = procedure.register
    return bool(register and register.importable and current_user.has_any_role(*procedure.create.roles))


@bp.get("/registers/")
def index() -> str:
    return render_template("registers/index.html", registers=_readable(), lang=current_lang())


def _page(procedure: Procedure, year: int, problems: tuple[register_io.RowProblem, ...] = (), status: int = 200,
          rows_read: int = 0) -> tuple[str, int]:
    lang = current_lang()
    register = procedure.register
    assert register is not None
    specs = {f.name: f for f in procedure.create.payload}
    columns = [specs[c] for c in register.columns]
    with runtime().sessions() as session:
        entries = register_io.entries(session, procedure, current_user.org_id, year, frozenset(current_user.roles))
        figures = register_io.figures(session, procedure, current_user.org_id, year)
        shortfalls = register_io.shortfalls(session, procedure, current_user.org_id, year)
        late = register_io.overdue(session, procedure, current_user.org_id, runtime().engine.today(),
                                   frozenset(current_user.roles))
    rows = [(e, [register_io.export_cell(c, e.values.get(c.name)) for c in columns]) for e in entries]
    return render_template(
        "registers/show.html", procedure=procedure, register=register, year=year, columns=columns, rows=rows,
        figures=figures, stated=stated, shortfalls=shortfalls, overdue=late, problems=problems, rows_read=rows_read, lang=lang,
        may_import=_may_import(procedure), years=range(runtime().engine.today().year, 2014, -1)), status


@bp.get("/registers/<procedure_id>/")
def show(procedure_id: str) -> tuple[str, int]:
    return _page(_procedure(procedure_id), _year())


@bp.get("/registers/<procedure_id>/export.xlsx")
def export(procedure_id: str) -> Response:
    procedure = _procedure(procedure_id)
    year = _year() if request.args.get("year") != "all" else None
    with runtime().sessions() as session:
        content = register_io.export(session, procedure, current_user.org_id, year, frozenset(current_user.roles))
    name = f"{procedure.id}-{year or 'all'}.xlsx"
    return Response(content, mimetype=XLSX, headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.get("/registers/<procedure_id>/template.xlsx")
def template(procedure_id: str) -> Response:
    procedure = _procedure(procedure_id)
    if not (procedure.register and procedure.register.importable):
        abort(404)
    return Response(register_io.template(procedure), mimetype=XLSX,
                    headers={"Content-Disposition": f"attachment; filename={procedure.id}-template.xlsx"})


@bp.post("/registers/<procedure_id>/import")
def import_file(procedure_id: str) -> tuple[str, int] | WerkzeugResponse:
    procedure = _procedure(procedure_id)
    if not _may_import(procedure):
        abort(403)
    year = _year()
    upload = request.files.get("file")
    content = upload.read(MAX_UPLOAD + 1) if upload else b""
    if not content or len(content) > MAX_UPLOAD:
        problem = register_io.RowProblem(0, "", "请选择不超过5 MB的 .xlsx 文件", "choose an .xlsx file of at most 5 MB")
        return _page(procedure, year, (problem,), 400)
    late = (request.form.get("late_entry_reason") or "").strip() or None
    result = register_io.import_file(runtime().engine, procedure.id, current_user.username, content, late)
    if not result.ok:
        return _page(procedure, year, result.problems, 422, result.rows)
    flash(_("已导入{n}条记录", n=len(result.created)))
    return redirect(url_for("registers.show", procedure_id=procedure.id, year=year))
