"""The public portal, readable without logging in (web/auth.py PUBLIC_ENDPOINTS), one per organisation:

* /public/register             the enforcement register (行政执法公示), built by workflow/procedures/enforcement/publicity.py;
* /public/consultations        the organisation's public consultations on major decisions (条例第十五条);
* /public/consultations/<id>   one consultation: the draft's reference, its explanation, the channels, the
                               period and the days left, and while it is open a comment form; once closed,
                               each comment with its adoption decision and reason, and the summary (第十八条);
* /public/decisions            the organisation's published major decisions (条例第三十二条).

workflow/procedures/major_decision/consultations.py decides what is public. A case that has not consulted the public is "not found"
like a case that does not exist (a draft is not public before its consultation opens).

A comment is a step like any other: the form is fired through engine.fire as the organisation's portal
account (`public.<org>`), so the engine authorises, validates (lengths), guards (the period, 第十五条) and
audits it, refusals included. Before that the portal keeps out what is not a person commenting, none of
which is a legal rule: the CSRF token (web/csrf.py; the session cookie exists for anonymous visitors too), a
honeypot field, a signed form-issue time (at least 3 seconds, at most 4 hours before the submission), at
most 2 links, and a rate limit per client address across workers (web/throttle.py). What these keep out never
reaches the engine and so leaves no audit event: it is not an attempt at a legal act but traffic, like a
request with a bad CSRF token, and recording it would let a script fill the append-only trail, which can
never be cleaned. It is logged (with the client's keyed hash, not its address) and counted by the rate limit.
A person stopped by one of them sees why, in Chinese, with what they typed kept.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from werkzeug.wrappers import Response

from web import throttle
from web.errors import PublicNotFound
from web.forms import Widget, kept_values, payload_from_form, widgets
from web.i18n import N_, _, current_lang
from web.input_screen import engine_form
from web.present import fmt_date
from web.runtime import runtime
from workflow import inputs
from workflow.accounts import portal_username
from workflow.clock import local_date
from workflow.completeness import public_records
from workflow.definitions import Transition
from workflow.engine import Outcome
from workflow.models import Case, Organization
from workflow.procedures.enforcement.publicity import build_register
from workflow.procedures.major_decision import consultations as views
from workflow.records import FORMATS

bp = Blueprint("portal", __name__, url_prefix="/public")
CASE_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")

STEP = views.PORTAL_STEP
FORM_SALT = "lawflow.portal.comment-form"
MIN_FILL_SECONDS = 3  # a person reads the draft and types; a script posts at once
MAX_AGE_SECONDS = 4 * 3600  # an issued form is not replayed for ever
HONEYPOT = "website"  # hidden from people (CSS, aria-hidden, no tab stop); scripts fill every field
MAX_LINKS = 2
LINK = re.compile(r"https?://|www\.|\[url", re.IGNORECASE)
HELP = {
    "commenter": N_("选填，将随意见一并公开；不填写的显示为“匿名”。"),
    "contact": N_("选填，仅供承办单位必要时与您联系，不予公开。"),
    "content": N_("5至2000字；网址链接不超过2个。"),
}


@bp.context_processor
def helpers() -> dict[str, Any]:
    return {"fmt_date": fmt_date, "views": views}


# ---------------------------------------------------------------- which organisation


def _organisation(session: Any, endpoint: str) -> Organization | str:
    """The organisation a list page is for (`?org=`, or the only one), or the page to choose one."""
    org_id = request.args.get("org")
    if org_id:
        org = session.get(Organization, org_id)
        if org is None:
            abort(404)
        return org
    orgs = session.scalars(select(Organization).order_by(Organization.id)).all()
    if not orgs:
        abort(404)
    if len(orgs) > 1:  # several organisations on one instance: each publishes its own pages
        return render_template("portal/choose.html", orgs=orgs, endpoint=endpoint)
    return orgs[0]


@bp.get("/")
def index() -> str:
    """The portal's own front page: what the organisation makes public, never the staff login."""
    rt = runtime()
    with rt.sessions() as session:
        org = _organisation(session, "portal.index")
        if isinstance(org, str):
            return org
        found = views.consultations(session, rt.registry, org.id, rt.engine.today())
        published = views.published_decisions(session, org.id)
    return render_template("portal/index.html", org=org, org_name=_org_name(org),
                           open_count=sum(1 for c in found if c.status == views.OPEN), decisions=len(published))


@bp.get("/register")
def register() -> str:
    rt = runtime()
    with rt.sessions() as session:
        org = _organisation(session, "portal.register")
        if isinstance(org, str):
            return org
        reg = build_register(session, rt.registry, org.id, local_date(rt.clock.now()))
    if reg is None:
        abort(404)
    return render_template("portal/register.html", reg=reg)


# ---------------------------------------------------------------- major decisions


@bp.get("/consultations")
def consultations() -> str:
    rt = runtime()
    with rt.sessions() as session:
        org = _organisation(session, "portal.consultations")
        if isinstance(org, str):
            return org
        found = views.consultations(session, rt.registry, org.id, rt.engine.today())
    return render_template("portal/consultations.html", org=org, org_name=_org_name(org),
                           open_=[c for c in found if c.status == views.OPEN],
                           others=[c for c in found if c.status != views.OPEN])


@bp.get("/decisions")
def decisions() -> str:
    rt = runtime()
    with rt.sessions() as session:
        org = _organisation(session, "portal.decisions")
        if isinstance(org, str):
            return org
        published = views.published_decisions(session, org.id)
    return render_template("portal/decisions.html", org=org, org_name=_org_name(org), decisions=published)


@bp.get("/consultations/<case_id>")
def consultation(case_id: str) -> str:
    return _consultation_page(case_id)


@bp.post("/consultations/<case_id>")
@engine_form
def comment(case_id: str) -> Response | tuple[str, int]:
    rt = runtime()
    found, org = _consultation(case_id)
    fields = _step().payload
    kept = kept_values(fields, request.form)
    client = throttle.client_key(current_app.secret_key or "", request.remote_addr)
    full = throttle.admit(rt.sessions, client, org.id, rt.clock.now())
    if full is not None:
        _log("rate limit", case_id, client)
        problem = (_("提交过于频繁：同一网络10分钟内最多提交5次意见。您填写的内容已保留，请稍后再提交。")
                   if full.length.total_seconds() < 86400 else
                   _("提交过于频繁：同一网络每天最多提交20次意见。您填写的内容已保留，请明天再提交。"))
        return _consultation_page(case_id, kept=kept, problem=problem), 429
    problem = _screen(case_id, request.form)
    if problem is not None:
        _log(problem[0], case_id, client)
        return _consultation_page(case_id, kept=kept, problem=problem[1]), 422
    outcome = rt.engine.fire(case_id, STEP, portal_username(org.id), payload_from_form(fields, request.form))
    if not outcome.ok:
        return _consultation_page(case_id, kept=kept, outcome=outcome), 422
    with rt.sessions() as session:
        numbers = views.comment_numbers(session, case_id)
    flash(_("您的意见已提交，登记为第{no}条。征求意见结束后，本页将公布每条意见的采纳情况。",
            no=numbers.get(outcome.seq or 0, "-")), "success")
    return redirect(url_for("portal.consultation", case_id=case_id), code=303)


def _screen(case_id: str, form: Any) -> tuple[str, str] | None:
    """(what, message) if the form is not a person commenting: honeypot, timing, links; None if it is."""
    if form.get(HONEYPOT, ""):
        return "honeypot", _("提交未被接受：系统判断可能为自动提交。您填写的内容已保留，请确认后再次提交。")
    issued = _issued_at(form.get("issued", ""), case_id)
    now_ms = int(runtime().clock.now().timestamp() * 1000)
    if issued is None or now_ms - issued > MAX_AGE_SECONDS * 1000:
        return "form expired", _("表单已失效（打开超过4小时或无法识别）。您填写的内容已保留，请确认后再次提交。")
    if now_ms - issued < MIN_FILL_SECONDS * 1000:
        return "too fast", _("提交过快：系统判断可能为自动提交。您填写的内容已保留，请确认后再次提交。")
    typed = " ".join(form.get(name, "") for name in ("commenter", "contact", "content"))
    if len(LINK.findall(typed)) > MAX_LINKS:
        return "links", _("意见中的网址链接不能超过2个。您填写的内容已保留，请删减链接后再提交。")
    return None


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key or "", salt=FORM_SALT)


def _issue(case_id: str) -> str:
    """A signed note of when the form was sent and for which case (the engine's clock, in milliseconds)."""
    return _serializer().dumps({"case": case_id, "at": int(runtime().clock.now().timestamp() * 1000)})


def _issued_at(token: str, case_id: str) -> int | None:
    try:
        note = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(note, dict) or note.get("case") != case_id or not isinstance(note.get("at"), int):
        return None
    return int(note["at"])


def _log(what: str, case_id: str, client: str) -> None:
    current_app.logger.info("portal: comment on %s not accepted (%s), client %s", case_id, what, client[:12])


# ---------------------------------------------------------------- the consultation page


def _step() -> Transition:
    procedure = runtime().registry.get(views.PROCEDURE)
    return next(t for t in procedure.transitions if t.trigger == STEP)


def _consultation(case_id: str) -> tuple[views.Consultation, Organization]:
    rt = runtime()
    with rt.sessions() as session:
        found = views.consultation(session, rt.registry, case_id, rt.engine.today(), request.args.get("org")) \
            if CASE_ID.match(case_id) else None
        org = session.get(Organization, found.org_id) if found else None
    if found is None or org is None:
        raise PublicNotFound()
    return found, org


def _consultation_page(case_id: str, *, kept: dict[str, str] | None = None, problem: str | None = None,
                       outcome: Outcome | None = None) -> str:
    found, org = _consultation(case_id)
    lang = current_lang()
    errors: dict[str, list[str]] = {}
    if outcome is not None:
        for r in outcome.reasons:
            if r.field:
                errors.setdefault(r.field.split(".")[0], []).append(r.en if lang == "en" else r.zh)
    form: list[Widget] = []
    if found.status == views.OPEN:
        form = [replace(w, help=_(HELP[w.name])) if w.name in HELP else w
                for w in widgets("comment", _step().payload, kept, errors)]
    return render_template("portal/consultation.html", c=found, org=org, org_name=_org_name(org), form=form,
                           issued=_issue(case_id), problem=problem, outcome=outcome, honeypot=HONEYPOT,
                           files=_public_files(case_id))


INLINE = frozenset({"application/pdf", "image/jpeg", "image/png"})  # what a browser shows in place


def _public_files(case_id: str) -> list[dict[str, Any]]:
    """The draft and explanation put out for comment, as files to open (the definition's `attachments.public`)."""
    rt = runtime()
    lang = current_lang()
    with rt.sessions() as session:
        case = session.get(Case, case_id)
        procedure = rt.registry.get(case.procedure, case.procedure_version) if case else None
        found = public_records(procedure, case, lang) if case else []
    return [{"no": r.get("no"), "title": r.get("title", ""), "kind": label, "size": r.get("size", 0),
             "made_on": r.get("made_on", "")} for r, label in found]


@bp.get("/consultations/<case_id>/files/<int:no>")
def consultation_file(case_id: str, no: int) -> Response:
    """One of the files put out for comment, shown in the browser (a PDF or an image opens in place): only the
    kinds the definition opens to the public, only of a case that has consulted."""
    _consultation(case_id)  # 404 unless it is a consultation of the organisation asked
    rt = runtime()
    with rt.sessions() as session:
        case = session.get(Case, case_id)
        procedure = rt.registry.get(case.procedure, case.procedure_version) if case else None
        record = next((r for r, _label in (public_records(procedure, case) if case else []) if r.get("no") == no),
                      None)
    if record is None:
        raise PublicNotFound()
    path = rt.records.find(record["sha256"])
    if not path.is_file():
        raise PublicNotFound()
    fmt = FORMATS.get(record.get("format", ""))
    name = inputs.download_name(record.get("filename"), f"{case_id}-{no}")
    return send_file(path, mimetype=fmt.media_type if fmt else "application/octet-stream",
                     as_attachment=not (fmt and fmt.media_type in INLINE), download_name=name,
                     etag=record["sha256"], conditional=True, max_age=0)


def _org_name(org: Organization) -> str:
    return org.name_en if current_lang() == "en" else org.name_zh


organisation = _organisation  # the other public pages choose their organisation the same way (web/normative.py)
