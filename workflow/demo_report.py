"""Demo: 后龙镇's 2024 rule-of-law report (法治政府建设年度报告), written from the records, called from workflow/demo.py
after the 2024 registers (workflow/demo_registers.py).

The text follows the town's own report (龙政〔2024〕58号, ../shared/domain/), but every figure in it is cited from
the records rather than typed: {{普法活动台账.普法活动（场次）|余}} reads "40余" from the 43 activities entered, and
each links to them on the report's page. Where the source report is short of what the supervision rules require
(it names its problems without their causes and says nothing of the principal leaders' duties, legal-facts
§10.1), the demo supplies them, as the engine would not let the report go to review otherwise.

It was issued on 2024-12-23, before lawflow: its sign-off, reporting and publication are entered after the fact
(补录), each with its reason, through the same steps as a new report. With the town's 发文代字, 主送 and 抄送 set
(ILLUSTRATIVE), the sign-off issues it as a 公文 with its figures fixed (workflow/procedures/rule_of_law_report/
issued.py). 峰尾镇's 2024 report is still being drafted (`draft_second_town`), so the district's page of its towns'
reports shows one reported and one not.
"""

from __future__ import annotations

from typing import Any

from workflow import accounts
from workflow.db import writing
from workflow.engine import Engine
from workflow.typed_dates import REASON_FIELD

YEAR = 2024
ISSUED_ON = "2024-12-23"
LATE = "2024年度报告已于2024年12月23日印发，系统上线后补录签发、报送和公开情况（演示数据）"
TITLE = "后龙镇人民政府关于2024年法治政府建设情况的报告"
# the settings by their keys (workflow/settings.py; a demo module reads no family's law module: the import graph)
SETTINGS: tuple[tuple[str, Any], ...] = (("report.document_code", "泉后政"), ("report.report_to", ["泉港区人民政府"]),
                                         ("report.copy_to", ["中共泉港区委全面依法治区委员会办公室"]))
SETTINGS_SOURCE = ("ILLUSTRATIVE 演示数据：示意《后龙镇人民政府公文处理办法》的发文机关代字和泉港区关于报送法治政府建设年度报告的通知；"
                   "以本镇实际规定为准")

DRAFT: dict[str, str] = {
    "intro": "2024年以来，在区委、区政府的正确领导下，后龙镇坚持以习近平新时代中国特色社会主义思想为指导，深入学习贯彻"
             "习近平法治思想，严格落实“八五”普法规划确定的各项任务，扎实推进法治政府建设。现将本年度法治政府建设工作情况报告如下：",
    "measures": "（一）坚持党建引领，压实法治建设责任。把习近平法治思想纳入党委理论学习中心组重点学习内容，全年组织学法"
                "{{学法和培训台账.其中学法（次）}}次，其中党委理论学习中心组学法{{学法和培训台账.党委理论学习中心组学法（次）}}次，执法培训"
                "{{学法和培训台账.执法培训（次）}}次。\n"
                "（二）推进依法决策，规范行政决策程序。各村居设置“意见箱”，覆盖率达{{村居意见箱和公开栏台账.意见箱覆盖率}}；积极配合市司法局"
                "开展规范性文件清理工作，全年清理（修改、废止、宣布失效）规范性文件{{规范性文件清理.清理（修改、废止、宣布失效）的规范性文件}}件。\n"
                "（三）加强法治宣传，营造良好法治氛围。全年共开展法治宣传活动{{普法活动台账.普法活动（场次）|余}}场次，发放宣传资料"
                "{{普法活动台账.发放宣传资料（份）|余}}份，解答群众法律咨询{{普法活动台账.解答法律咨询（人次）|余}}人次；各村（居）择优培养"
                "“法律明白人”{{法律明白人和法治带头人名册.法律明白人（人）}}人，“法治带头人”{{法律明白人和法治带头人名册.法治带头人（人）}}人。\n"
                "（四）化解矛盾纠纷，维护辖区社会稳定。已建立调委会{{人民调解委员会台账.人民调解委员会（个）}}个，配备专职人民调解员"
                "{{人民调解员名册.专职人民调解员（名）}}名；全年共调解矛盾纠纷{{人民调解案件台账.调结纠纷（起）}}起，成功率达{{人民调解案件台账.调解成功率}}。",
    "shortcomings": "（一）依法行政意识有待进一步提高，部分干部在工作中还存在凭经验、凭习惯办事的现象。\n"
                    "（二）行政执法水平有待进一步提升，执法文书制作还不够严谨。\n"
                    "（三）法治宣传教育的针对性和实效性有待进一步增强。",
    "causes": "一是学法培训以集中宣讲为主，结合具体执法案例不够；二是执法人员变动较多，新任人员对执法程序掌握不够；"
              "三是普法活动对不同群体的法治需求调研不够深入。",
    "leaders_duties": "镇党委书记、镇长认真履行推进法治建设第一责任人职责，将法治政府建设纳入发展总体规划和年度工作计划，"
                      "主持党委理论学习中心组专题学习习近平法治思想，重大事项坚持集体讨论决定并听取法律顾问意见。",
    "plans": "（一）规范行政执法行为，推行说理式执法，加强执法文书和案卷管理。\n（二）深化学法用法，结合执法案例开展培训。\n"
             "（三）创新普法方式，增强法治宣传教育的针对性和实效性。",
}


def _ok(engine: Engine, case_id: str, trigger: str, actor: str, payload: dict[str, Any]) -> None:
    outcome = engine.fire(case_id, trigger, actor, payload)
    if not outcome.ok:
        raise RuntimeError(f"demo report {trigger}: " + "；".join(r.zh for r in outcome.reasons))


def tell(engine: Engine, org_id: str = "houlong") -> str:
    """Write, review, sign off (issuing the 公文), report and publish the 2024 report; its case id."""
    with writing(engine.sessions) as session:
        for key, value in SETTINGS:
            accounts.set_setting(session, org_id=org_id, key=key, value=value, source=SETTINGS_SOURCE, by="admin",
                                 now=engine.clock.now())
    opened = engine.create_case("rule_of_law_report", "zhangwei", {"year": YEAR, "title": TITLE})
    if not opened.ok or not opened.case_id:
        raise RuntimeError("demo report: " + "；".join(r.zh for r in opened.reasons))
    case_id = opened.case_id
    _ok(engine, case_id, "save_draft", "zhangwei", dict(DRAFT))
    _ok(engine, case_id, "submit_for_review", "zhangwei", {"note": "请审核"})
    _ok(engine, case_id, "pass_legal_review", "chenjing", {"opinion": "五项内容齐全，所引数据均由台账和案件记录计算，同意报签。"})
    _ok(engine, case_id, "sign_off", "huangzhenhua", {"signed_on": ISSUED_ON, "signatory": "郭小强", REASON_FIELD: LATE})
    _ok(engine, case_id, "report_to_superior", "zhangwei", {
        "reported_on": ISSUED_ON, "recipients": ["泉港区人民政府"], "copied_to": ["中共泉港区委全面依法治区委员会办公室"],
        REASON_FIELD: LATE})
    _ok(engine, case_id, "publish", "zhangwei", {
        "published_on": ISSUED_ON, "channel": "website", "location": "http://www.qg.gov.cn/houlong/fzzfjsndbg/2024.htm",
        REASON_FIELD: LATE})
    return case_id


def draft_second_town(engine: Engine, drafter: str = "fw_drafter") -> str:
    """峰尾镇's 2024 report, started and still in drafting; its case id."""
    opened = engine.create_case("rule_of_law_report", drafter, {
        "year": YEAR, "title": "峰尾镇人民政府关于2024年法治政府建设情况的报告"})
    if not opened.ok or not opened.case_id:
        raise RuntimeError("demo report: " + "；".join(r.zh for r in opened.reasons))
    _ok(engine, opened.case_id, "save_draft", drafter, {
        "intro": "2024年以来，峰尾镇在区委、区政府的正确领导下推进法治政府建设。",
        "measures": "全年开展法治宣传活动{{普法活动台账.普法活动（场次）}}场次。"})
    return opened.case_id
