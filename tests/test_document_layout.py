"""The 公文 layout measured, not eyeballed (GB/T 9704-2012): a two-page decision rendered to PNG with pdftoppm,
then its ink located on the pages: everything but the page number inside the type area (左28 mm, 上37 mm,
156 × 225 mm), the red separator line as wide as the type area, the page numbers "— N —" one character in from
the type area's right edge on odd pages and its left edge on even pages, their dashes 7 mm below it; each
within 1 mm. The text is read back with pdftotext. No database: rendering only."""

from __future__ import annotations

import subprocess
from datetime import date

import pytest
from PIL import Image

from workflow.definitions import load_registry
from workflow.documents import render
from workflow.documents.definitions import load_documents

DPI = 300
MM = DPI / 25.4  # pixels per millimetre
LEFT, TOP, WIDTH, HEIGHT = 28.0, 37.0, 156.0, 225.0
RIGHT, BOTTOM = LEFT + WIDTH, TOP + HEIGHT
CHAR_4HAO = 14 * 25.4 / 72  # one 4号 character, in mm
TOLERANCE = 1.0

pytestmark = pytest.mark.one_database


def _dark(p: tuple[int, ...]) -> bool:
    return sum(p[:3]) < 600


def _red(p: tuple[int, ...]) -> bool:
    return p[0] > 180 and p[1] < 110 and p[2] < 110


def _ink(img: Image.Image, test, box: tuple[float, float, float, float] | None = None) -> tuple[float, ...] | None:
    """(left, top, right, bottom) in mm of the pixels passing `test`, within `box` (mm) if given."""
    px = img.load()
    w, h = img.size
    x0, y0, x1, y1 = (0, 0, w, h) if box is None else (int(box[0] * MM), int(box[1] * MM), int(box[2] * MM),
                                                       int(box[3] * MM))
    xs, ys = [], []
    for y in range(max(0, y0), min(h, y1), 2):
        for x in range(max(0, x0), min(w, x1), 2):
            if test(px[x, y]):
                xs.append(x)
                ys.append(y)
    if not xs:
        return None
    return min(xs) / MM, min(ys) / MM, (max(xs) + 1) / MM, (max(ys) + 1) / MM


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Image.Image], str]:
    doc = load_documents(load_registry()).get("major_decision/decision")
    assert doc is not None
    paragraph = "镇政府按照统筹规划、分步实施的原则，组织实施农村生活污水治理工作，明确责任单位和完成时限，" * 6
    found = {"title": "后龙镇农村生活污水治理三年行动方案", "summary": "",
             "decision": paragraph, "adoption_explanation": paragraph * 2}
    fonts = render.resolve_fonts(None)
    html = render.html(doc, found, org={"name_zh": "后龙镇人民政府", "name_en": "Houlong"}, number="龙政〔2026〕7号",
                       day=date(2026, 12, 7), verify_code="ABCDEFGH23", verify_url="/public/verify/ABCDEFGH23",
                       labels={})
    pdf = render.pdf(html, doc.layout, fonts)
    folder = tmp_path_factory.mktemp("gongwen")
    (folder / "doc.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(DPI), "-png", str(folder / "doc.pdf"), str(folder / "page")], check=True)
    images = [Image.open(p).convert("RGB") for p in sorted(folder.glob("page*.png"))]
    text = subprocess.run(["pdftotext", str(folder / "doc.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    return images, text


def test_a4_two_pages(pages) -> None:
    images, _ = pages
    assert len(images) == 2
    for img in images:
        assert abs(img.size[0] / MM - 210) < TOLERANCE and abs(img.size[1] / MM - 297) < TOLERANCE


def test_everything_but_the_page_number_is_inside_the_type_area(pages) -> None:
    images, _ = pages
    for img in images:
        body = _ink(img, _dark, (0, 0, 210, BOTTOM + 3))  # the page number's dashes start 7 mm below
        assert body is not None
        left, top, right, bottom = body
        assert left >= LEFT - TOLERANCE and right <= RIGHT + TOLERANCE, body
        assert top >= TOP - TOLERANCE and bottom <= BOTTOM + TOLERANCE, body
        assert left <= LEFT + TOLERANCE and right >= RIGHT - TOLERANCE, body  # the body fills the lines


def test_the_red_separator_line_spans_the_type_area(pages) -> None:
    images, _ = pages
    issuer = _ink(images[0], _red, (0, 0, 210, TOP + 40))
    assert issuer is not None
    px = images[0].load()
    rows = [y for y in range(int(TOP * MM), int((TOP + 80) * MM))
            if sum(_red(px[x, y]) for x in range(int(LEFT * MM), int(RIGHT * MM), 4)) > WIDTH * MM / 4 * 0.95]
    assert rows, "no red line across the type area"
    line = _ink(images[0], _red, (0, rows[0] / MM - 0.5, 210, rows[-1] / MM + 0.5))
    assert line is not None
    assert abs(line[0] - LEFT) <= TOLERANCE and abs(line[2] - RIGHT) <= TOLERANCE, line
    assert line[1] > issuer[1]  # below the red 发文机关标志


def test_page_numbers_alternate_sides_below_the_type_area(pages) -> None:
    images, _ = pages
    for number, img in enumerate(images, start=1):
        found = _ink(img, _dark, (0, BOTTOM + 3, 210, 297))
        assert found is not None, f"page {number} has no page number"
        left, _top, right, _bottom = found
        if number % 2:  # odd: one character in from the right edge
            assert abs(right - (RIGHT - CHAR_4HAO)) <= TOLERANCE, found
        else:  # even: one character in from the left edge
            assert abs(left - (LEFT + CHAR_4HAO)) <= TOLERANCE, found
        dash = _ink(img, _dark, (left - 0.5, BOTTOM + 3, left + 3, 297))  # the left 一字线 alone
        assert dash is not None and dash[3] - dash[1] < 1, dash  # a line, not a digit
        assert abs(dash[1] - (BOTTOM + 7)) <= TOLERANCE, dash  # 一字线上距版心下边缘7 mm


def test_the_text_reads_back(pages) -> None:
    _, text = pages
    flat = "".join(text.split())
    for part in ("后龙镇人民政府文件", "龙政〔2026〕7号", "后龙镇农村生活污水治理三年行动方案", "2026年12月7日", "—1—", "—2—",
                 "（此件主动公开）", "ABCDEFGH23"):
        assert part in flat, part

