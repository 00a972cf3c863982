"""A case's file shown in place on the pages where a decision is taken (issue 16 item 2): a PDF in a frame, an image
as an image, everything else only as a link to download.

A file is shown in place only when its content is what the record says it is (sniffed again here, though the engine
already refused a file unlike its declared format on the way in: an old record or a file changed on disk never
becomes a page of this site), served with its format's media type, `nosniff`, and a Content-Security-Policy that
forbids scripts and every other load from inside it. Who may open it is the record route's question
(web/cases.py `record_file`), asked once for both.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import send_file, url_for
from werkzeug.wrappers import Response

from web.i18n import _
from workflow.records import FORMATS, sniff

# format -> how a page shows it: a PDF in a frame (the browser's own viewer), an image as <img>
SHOWN = {"pdf": "frame", "jpeg": "image", "png": "image"}
# Nothing runs and nothing is loaded from inside the file; only this site's pages may frame it (the site's own
# policy, web/__init__.py, says frame-ancestors 'none' for everything else).
CSP = ("default-src 'none'; script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'; "
       "frame-ancestors 'self'")
HEAD = 16  # bytes enough for every signature workflow.records.sniff knows for the formats shown


def shown_as(fmt: str) -> str | None:
    """How a page shows a file of this format in place ("frame", "image"), or None: a link only."""
    return SHOWN.get(fmt)


def inline_response(path: Path, record: Mapping[str, Any], download_name: str) -> Response:
    """The file to show in place, or 415 (a short text, never the file) when its format is not shown in place or
    its content is not of its recorded format."""
    fmt = str(record.get("format", ""))
    with path.open("rb") as f:
        found = sniff(f.read(HEAD))
    if shown_as(fmt) is None or found != fmt:
        response = Response(_("该文件不能在页面中显示，请下载后查看。"), status=415, mimetype="text/plain")
    else:
        response = send_file(path, mimetype=FORMATS[fmt].media_type, as_attachment=False,
                             download_name=download_name, etag=str(record["sha256"]), conditional=True, max_age=0)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


def previews(files: Any, case_id: str, readable: bool) -> list[dict[str, str]]:
    """What a page shows in place of a case's files (a workflow.completeness report, or None): each PDF and image
    whose file is there, with the link to download it; none where the reader may not open the case's files."""
    if files is None or not readable:
        return []
    return [{"no": str(r.no), "title": r.title, "how": how,
             "src": url_for("cases.record_inline", case_id=case_id, no=r.no),
             "download": url_for("cases.record_file", case_id=case_id, no=r.no)}
            for stage in files.stages for r in stage.records
            if r.file_present and (how := shown_as(r.format)) is not None]
