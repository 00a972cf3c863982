"""Issued documents on the web: the case page's list and download (the stored bytes, never a re-render), and
the public verification page /public/verify/<code> (no login; rate-limited like the portal's forms).

An adapter only: what may be shown and whether a copy matches is workflow/documents/verification.py's.
"""

from __future__ import annotations

import io
import logging
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from web import throttle
from web.case_access import NAME, own_case, procedure_of, reader, step_for
from web.errors import PublicNotFound
from web.forms import payload_from_form
from web.i18n import _
from web.input_screen import engine_form
from web.present import fmt_date, label_of
from web.runtime import runtime
from workflow import typed_dates
from workflow.documents import verification, word
from workflow.models import IssuedDocument

bp = Blueprint("documents", __name__)
log = logging.getLogger("lawflow.verify")
PUBLIC = frozenset({"documents.verify", "documents.verify_copy"})
THROTTLE_PURPOSE = "verify.client"  # its own count: looking up documents does not use up a client's comments


def _labels() -> dict[str, str]:
    return {d.key: d.label.zh for d in runtime().documents.types}


@bp.app_context_processor
def _case_documents() -> dict[str, object]:
    def issued_documents(case_id: str) -> list[IssuedDocument]:
        with runtime().sessions() as session:
            return verification.of_case(session, case_id)

    def issues_documents(procedure: str, trigger: str) -> bool:
        """Whether the step issues a document (a preview button beside its form); no query: the page has the case."""
        return bool(runtime().documents.issued_by(procedure, trigger))

    return {"issued_documents": issued_documents, "document_labels": _labels, "issues_documents": issues_documents,
            "fmt_date": fmt_date}


@bp.get("/cases/<case_id>/documents/<int:doc_id>")
def download(case_id: str, doc_id: int) -> Response:
    """The issued PDF as stored when it was issued, to the case's organisation only."""
    rt = runtime()
    with rt.sessions() as s:
        case = own_case(s, case_id)
        procedure = procedure_of(case)
        row = s.get(IssuedDocument, doc_id)
    if row is None or row.case_id != case_id:
        raise PublicNotFound("该文书不存在。")
    spec = rt.documents.get(row.doc_type)  # a document naming the party, to the roles that may see it only
    if spec is not None and reader().document_hidden(procedure, spec.fields.values(), spec.issued_by):
        abort(403)
    path = rt.records.path_of(row.sha256)
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype="application/pdf", as_attachment=True, download_name=f"{row.number}.pdf",
                     etag=row.sha256, conditional=True, max_age=0)


@bp.post("/cases/<case_id>/documents/preview/<trigger>")
def preview(case_id: str, trigger: str) -> Response | tuple[str, int]:
    """The draft of the document a step would issue, from the step's form as filled in: nothing is numbered
    or kept. A step the engine would refuse shows why instead."""
    rt = runtime()
    if not NAME.match(trigger):
        raise PublicNotFound()
    with rt.sessions() as s:
        case = own_case(s, case_id)
        step = step_for(procedure_of(case), case.state, trigger)
    fields = typed_dates.form_fields(step) if step else ()
    drafts, outcome = rt.engine.draft_documents(case_id, trigger, current_user.username,
                                                payload_from_form(fields, request.form))
    if not outcome.ok or not drafts:
        reasons = [r.zh for r in outcome.reasons] or [_("该步骤不签发文书。")]
        return render_template("documents/preview_refused.html", reasons=reasons, case_id=case_id), 422
    return send_file(io.BytesIO(drafts[0]), mimetype="application/pdf", as_attachment=False,
                     download_name=f"{case_id}-{trigger}-draft.pdf", max_age=0)


def _step_fields(case_id: str, trigger: str) -> tuple[Any, Any]:
    """The step's form fields (with a dated step's late-entry reason) and the case's procedure, for its organisation."""
    if not NAME.match(trigger):
        raise PublicNotFound()
    with runtime().sessions() as s:
        case = own_case(s, case_id)
        procedure = procedure_of(case)
        step = step_for(procedure, case.state, trigger)
    return (typed_dates.form_fields(step) if step else ()), procedure


@bp.post("/cases/<case_id>/documents/preview/<trigger>/docx")
def preview_docx(case_id: str, trigger: str) -> Response | tuple[str, int]:
    """The draft as DOCX (issue 12 item 7), for editing in WPS or Word: its free-text fields editable, the
    others locked (workflow/documents/word.py). Nothing is numbered or kept."""
    fields, _procedure = _step_fields(case_id, trigger)
    data, outcome = word.draft(runtime().engine, case_id, trigger, current_user.username,
                               payload_from_form(fields, request.form))
    if not outcome.ok or data is None:
        reasons = [r.zh for r in outcome.reasons] or [_("该步骤不签发文书。")]
        return render_template("documents/preview_refused.html", reasons=reasons, case_id=case_id), 422
    return send_file(io.BytesIO(data), mimetype=word.MIMETYPE, as_attachment=True,
                     download_name=f"{case_id}-{trigger}-draft.docx", max_age=0)


@bp.post("/cases/<case_id>/documents/docx/<trigger>")
@engine_form
def submit_docx(case_id: str, trigger: str) -> Response | tuple[str, int]:
    """The step taken with the free-text fields of an edited DOCX draft (the form's other fields as filled in):
    a change to any other field refuses the upload naming it; the engine then judges the step as always, and
    the document it issues is rendered by lawflow, not the upload."""
    rt = runtime()
    fields, procedure = _step_fields(case_id, trigger)
    raw_version = request.form.get("expected_version", "")
    upload = request.files.get("draft_docx")
    if not raw_version.isdigit() or upload is None or not upload.filename:
        return _upload_refused(case_id, [_("请选择修改后的文书草稿（DOCX）。")])
    payload = payload_from_form(fields, request.form)
    try:
        edited, problems, outcome = word.edited_payload(rt.engine, case_id, trigger, current_user.username,
                                                        payload, upload.stream.read(word.MAX_BYTES + 1))
    except word.Unreadable as exc:
        return _upload_refused(case_id, [str(exc)])
    if edited is None:
        return _upload_refused(case_id, [p.zh for p in problems] or [r.zh for r in outcome.reasons])
    outcome = rt.engine.fire(case_id, trigger, current_user.username, edited, expected_version=int(raw_version))
    if not outcome.ok:
        return _upload_refused(case_id, [r.zh for r in outcome.reasons])
    flash(_("已按修改后的草稿办理「{step}」，案件现处于「{state}」阶段。",
            step=label_of(procedure, "step", trigger), state=label_of(procedure, "state", outcome.to_state)), "success")
    return redirect(url_for("cases.show", case_id=case_id))


def _upload_refused(case_id: str, reasons: list[str]) -> tuple[str, int]:
    return render_template("documents/preview_refused.html", reasons=reasons, case_id=case_id,
                           lead=_("修改后的草稿未被采纳，该步骤未办理：")), 422


def _admitted() -> bool:
    rt = runtime()
    client = throttle.client_key(current_app.secret_key or "", request.remote_addr, THROTTLE_PURPOSE)
    with rt.sessions() as session:
        org_id = session.scalar(select(IssuedDocument.org_id).limit(1))  # the count's row needs an organisation
    if org_id is None:  # nothing was ever issued here: nothing to find, nothing to count against
        return True
    if throttle.admit(rt.sessions, client, org_id, rt.clock.now()) is not None:
        log.info("verify rate limit %s", client[:12])
        return False
    return True


def _look_up(code: str) -> tuple[Any, tuple[str, int] | None]:
    """The document a code names, or the page that says why not: over the rate limit (429), unknown (404)."""
    if not _admitted():
        return None, (render_template("documents/verify.html", record=None, limited=True), 429)
    with runtime().sessions() as session:
        record = verification.find(session, code, _labels())
    if record is None:
        return None, (render_template("documents/verify.html", record=None, unknown=True), 404)
    return record, None


@bp.get("/public/verify/<code>")
def verify(code: str) -> tuple[str, int] | str:
    record, refused = _look_up(code)
    return refused or render_template("documents/verify.html", record=record)


@bp.post("/public/verify/<code>")
def verify_copy(code: str) -> tuple[str, int] | str:
    record, refused = _look_up(code)
    if refused:
        return refused
    upload = request.files.get("copy")
    if upload is None or not upload.filename:
        return render_template("documents/verify.html", record=record, problem=_("请选择要核验的文件。")), 422
    same = verification.matches(record, iter(lambda: upload.stream.read(1 << 20), b""))
    return render_template("documents/verify.html", record=record, checked=True, same=same)
