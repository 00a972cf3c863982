"""GET /api/v1/docs: the API explorer (Swagger UI), served entirely from our own origin.

The Swagger UI files are vendored in web/static/vendor/swagger-ui/ (see SOURCE.md there); the page has no
inline script, so the app's Content-Security-Policy (script-src 'self') holds here too.
"""

from __future__ import annotations

from flask import Blueprint, render_template, url_for

from web.api.paths import PREFIX

bp = Blueprint("api_explorer", __name__)


@bp.get(f"{PREFIX}/docs")
def explorer() -> str:
    return render_template("api/explorer.html", spec_url=url_for("api-docs.openapi_json"))
