"""Demo registers of 后龙镇 for 2024 (issue 14 item 4), called from workflow/demo.py after demo_registers: a few
petitions (信访), complaints and reports (投诉举报), and the town as respondent in one reconsideration and one
lawsuit, each taken through its steps to its end by the engine, entered today about 2024 as late entries (补录).

The periods the law leaves to the town are settings with an ILLUSTRATIVE source (workflow/settings.py): the unit of
信访工作条例's 15/60/30 days (unverified, legal-facts-2 §9), the answer period for complaints (no national
period) and the period to answer a lawsuit (no article of the 行政诉讼法 in legal-facts). The people are invented.
"""

from __future__ import annotations

from typing import Any

from workflow import accounts, register_io
from workflow.db import writing
from workflow.demo_registers import KEEPER, LATE, SAMPLE
from workflow.engine import Engine
from workflow.typed_dates import REASON_FIELD

SOURCE = ("ILLUSTRATIVE 演示数据：示意《后龙镇信访和投诉举报工作制度》“信访期限按自然日计算；投诉举报自收到之日起15日内答复”，"
          "行政诉讼答辩期限按人民法院应诉通知书；以本镇实际规定为准")
SETTINGS: tuple[tuple[str, Any], ...] = (
    ("petitions.day_unit", "calendar_days"), ("petitions.complaint_answer_days", 15),
    ("petitions.complaint_day_unit", "calendar_days"), ("petitions.litigation_answer_days", 15))

# (entry, steps): each petition with the steps it went through in 2024
PETITIONS: tuple[tuple[dict[str, Any], tuple[tuple[str, dict[str, Any]], ...]], ...] = (
    ({"received_on": "2024-03-11", "title": "土坑村征地补偿款分配诉求", "petitioners": ["陈某某"], "channel": "visit",
      "petition_class": "claim", "transferred_from": "direct"},
     (("accept_claim", {"accepted_on": "2024-03-14", "notified_on": "2024-03-14", "handled_by": "后龙镇农业农村办"}),
      ("issue_opinion", {"opinion_on": "2024-04-26", "outcome": "explain", "claims": "请求按户籍人口重新分配补偿款",
                         "facts": "补偿款已按村民代表会议通过的分配方案发放",
                         "legal_basis": "村民委员会组织法第二十四条；作出解释说明"}),
      ("serve_opinion", {"served_on": "2024-04-29"}), ("archive", {"archived_on": "2024-06-05"}))),
    ({"received_on": "2024-06-17", "title": "峰前村道路硬化建议", "petitioners": ["林某"], "channel": "letter",
      "petition_class": "suggestion", "transferred_from": "petition_office"},
     (("route_elsewhere", {"notified_on": "2024-06-24", "route": "handled_by_nature", "routed_to": "后龙镇规划建设办"}),)),
    ({"received_on": "2024-09-02", "title": "企业欠薪投诉", "petitioners": ["黄某", "郑某"], "channel": "online",
      "petition_class": "claim", "transferred_from": "superior"},
     (("route_elsewhere", {"notified_on": "2024-09-09", "route": "litigation_arbitration",
                           "routed_to": "泉港区劳动人事争议仲裁委员会"}),)),
)
COMPLAINTS: tuple[tuple[dict[str, Any], tuple[tuple[str, dict[str, Any]], ...]], ...] = (
    ({"received_on": "2024-05-08", "title": "夜间施工噪声扰民", "complainants": ["王某"], "kind": "complaint",
      "channel": "hotline"},
     (("accept", {"accepted_on": "2024-05-08", "routed_to": "后龙镇综合执法队"}),
      ("answer", {"answered_on": "2024-05-15", "result": "substantiated", "answer": "已责令施工单位夜间停止施工"}))),
    ({"received_on": "2024-10-21", "title": "举报占道经营", "complainants": [], "kind": "report", "channel": "online"},
     (("answer", {"answered_on": "2024-10-23", "result": "unsubstantiated", "answer": "经现场核查，未发现占道经营"}),)),
)
RESPONDENT: tuple[tuple[dict[str, Any], tuple[tuple[str, dict[str, Any]], ...]], ...] = (
    ({"received_on": "2024-07-08", "title": "刘某不服罚款决定申请行政复议", "kind": "reconsideration", "applicants": ["刘某"],
      "body": "泉州市泉港区人民政府", "contested_act": "后龙镇人民政府行政处罚决定", "simple_procedure": False},
     (("submit_answer", {"answered_on": "2024-07-18", "evidence": ["现场检查笔录", "询问笔录", "行政处罚决定书"]}),
      ("record_outcome", {"decided_on": "2024-09-02", "result": "maintained"}),
      ("archive", {"archived_on": "2024-09-10"}))),
    ({"received_on": "2024-10-14", "title": "许某诉后龙镇人民政府限期拆除决定", "kind": "litigation", "applicants": ["许某"],
      "body": "泉州市泉港区人民法院", "contested_act": "限期拆除决定", "simple_procedure": False},
     (("submit_answer", {"answered_on": "2024-10-25", "evidence": ["违法建设认定材料", "限期拆除决定书", "送达回证"]}),
      ("record_hearing", {"heard_on": "2024-11-28", "head_appeared": True, "appeared": ["黄振华", "林志远"]}),
      ("record_outcome", {"decided_on": "2024-12-20", "result": "maintained"}),
      ("archive", {"archived_on": "2024-12-30"}))),
)


def tell(engine: Engine, org_id: str, *, full: bool = True) -> list[str]:
    """Set the town's periods and enter its 2024 petitions, complaints and respondent cases (`full`: all; else
    SAMPLE of each); the new cases' ids."""
    with writing(engine.sessions) as session:
        for key, value in SETTINGS:
            accounts.set_setting(session, org_id=org_id, key=key, value=value, source=SOURCE, by="admin",
                                 now=engine.clock.now())
    created: list[str] = []
    for procedure_id, stories in (("petition", PETITIONS), ("complaint", COMPLAINTS),
                                  ("respondent_case", RESPONDENT)):
        chosen = stories if full else stories[:SAMPLE]
        payloads = [{**entry, REASON_FIELD: LATE} for entry, _ in chosen]
        result = register_io.import_payloads(engine, engine.registry.get(procedure_id), KEEPER,
                                             list(range(1, len(payloads) + 1)), payloads)
        if not result.ok:
            raise RuntimeError("demo register refused: " + "；".join(p.text() for p in result.problems[:5]))
        for case_id, (_, steps) in zip(result.created, chosen, strict=True):
            for trigger, payload in steps:
                outcome = engine.fire(case_id, trigger, KEEPER, {**payload, REASON_FIELD: LATE})
                if not outcome.ok:
                    raise RuntimeError(f"demo step {procedure_id}.{trigger} refused: "
                                       + "；".join(r.text() for r in outcome.reasons))
        created.extend(result.created)
    return created
