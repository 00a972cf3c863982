"""The QR code an issued document carries beside its printed verification code (issue 12 item 6): the public
verification address, made with segno (pure Python, BSD) and put into the PDF as a PNG the layout places.

The PNG is one pixel per module with a quiet zone of four modules (ISO/IEC 18004), so the image in the PDF is
the code's matrix itself: a test reads it back with pdfimages and compares it with segno's matrix for the
address (tests/test_document_qr.py). Error correction M (15 %): a printed page that gets a stain still scans.
"""

from __future__ import annotations

import base64
import io

import segno

QUIET_ZONE = 4  # modules of white around the code (ISO/IEC 18004 requires four)


def code(url: str) -> segno.QRCode:
    return segno.make(url, error="m", micro=False, boost_error=False)


def png(url: str) -> bytes:
    out = io.BytesIO()
    code(url).save(out, kind="png", scale=1, border=QUIET_ZONE)
    return out.getvalue()


def data_uri(url: str) -> str:
    """The PNG as a data: URI for the layout's <img> (WeasyPrint reads no file for it)."""
    return "data:image/png;base64," + base64.b64encode(png(url)).decode("ascii")


def modules(url: str) -> list[list[bool]]:
    """The code's modules with the quiet zone, dark True, as the PNG draws them."""
    size = code(url).symbol_size(scale=1, border=QUIET_ZONE)[0]
    rows = [[False] * size for _ in range(QUIET_ZONE)]
    for row in code(url).matrix:
        rows.append([False] * QUIET_ZONE + [bool(m) for m in row] + [False] * QUIET_ZONE)
    rows.extend([False] * size for _ in range(QUIET_ZONE))
    return rows
