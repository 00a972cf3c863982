"""Render timings of issued documents (issue 12): a two-page 公文 and a 行政处罚决定书, and the verification of an
uploaded copy. Target: at most 0.5 s a document on this machine (2 vCPUs, shared). Nothing is written.

    PYTHONPATH=. .venv/bin/python bench/documents.py [--runs 10]
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date

from workflow.definitions import load_registry
from workflow.documents import render, verification
from workflow.documents.definitions import load_documents

ORG = {"name_zh": "泉州市泉港区后龙镇人民政府", "name_en": "Houlong Town People's Government"}
TEXT = "镇政府按照统筹规划、分步实施的原则，组织实施农村生活污水治理工作，明确责任单位和完成时限，" * 12
DECISION = {"title": "陈某某在后龙街两侧堆放建材案", "party": "陈某某，住后龙镇后龙村", "facts_and_evidence": TEXT[:300],
            "penalty_type": "fine", "amount": "2000", "additional_penalty_type": None, "additional_amount": None,
            "legal_basis": "《城市市容和环境卫生管理条例》第三十六条", "performance": "自收到本决定书之日起十五日内缴纳罚款",
            "reconsideration_body": "泉州市泉港区人民政府", "reconsideration_days": 60, "litigation_months": 6,
            "sealed": True}


def timed(label: str, runs: int, make: object) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        make()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(f"{label}: median {median:.3f} s, max {max(times):.3f} s over {runs} runs")
    return median


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    docs = load_documents(load_registry())
    fonts = render.resolve_fonts(None)
    gongwen, decision = docs.get("major_decision/decision"), docs.get("enforcement_case/penalty_decision")
    assert gongwen is not None and decision is not None
    common = {"org": ORG, "day": date(2026, 12, 7), "verify_code": "ABCDEFGH23", "verify_url": "/public/verify/X"}
    g_html = render.html(gongwen, {"title": "后龙镇农村生活污水治理三年行动方案", "summary": "", "decision": TEXT,
                                   "adoption_explanation": TEXT}, number="龙政〔2026〕7号", labels={}, **common)
    d_html = render.html(decision, DECISION, number="龙综执罚〔2026〕3号", labels={"penalty_type": "罚款"}, **common)
    render.pdf(g_html, "gongwen", fonts)  # the first render loads the fonts
    timed("two-page 公文", runs, lambda: render.pdf(g_html, "gongwen", fonts))
    timed("行政处罚决定书", runs, lambda: render.pdf(d_html, "wenshu", fonts))
    pdf = render.pdf(d_html, "wenshu", fonts)
    import hashlib

    record = verification.PublicRecord("X", "houlong", "", "", "", date(2026, 12, 7), hashlib.sha256(pdf).hexdigest(),
                                       len(pdf), None)
    timed("verify an uploaded copy", runs, lambda: verification.matches(record, [pdf]))


if __name__ == "__main__":
    main()
