"""Legal constants of the annual rule-of-law report (法治政府建设年度报告): the documents it cites, its five required
parts, the statutory publication day, and the organisation settings its rules read (legal-facts-2 §4).

《法治政府建设与责任落实督察工作规定》 (厅字〔2019〕28号, in force 2019-04-15): the full text was not retrievable
(legal-facts-2 §4 item 63). Article 24 (publication before 1 April) is quoted with its number [V2]; the five
contents (item 65) and the reporting chain (item 64) are [V2] without article numbers; whether 1 March binds a
Fujian town is [V2-weak]. So: the publication day is law here, the recipients and the reporting day are
organisation settings with their source (workflow/settings.py, report.*).
"""

from __future__ import annotations

from datetime import date

SUPERVISION_RULES = "《法治政府建设与责任落实督察工作规定》（厅字〔2019〕28号）"

# 第二十四条 [V2, verbatim with its number]: 「每年4月1日之前，地方各级政府……的法治政府建设年度报告，除涉及党和国家
# 秘密的，应当通过报刊、网站等新闻媒体向社会公开」: "before 1 April", so 31 March of the next year is the last day.
PUBLICATION_ARTICLE = f"{SUPERVISION_RULES}第二十四条"


def publication_last_day(year: int) -> date:
    """The last day to publish the report on `year` (第二十四条: 「每年4月1日之前」 of the next year)."""
    return date(year + 1, 3, 31)


# The five required contents [V2, article number U] (legal-facts-2 §4 item 65), as the parts of the draft
# (the payload fields of save_draft). `causes` is the second part's 「原因」, which the rule asks for with the
# shortcomings: kept apart so that shortcomings without causes can be refused.
CONTENTS_BASIS = f"{SUPERVISION_RULES}（年度报告的内容，条号未核实）"
REQUIRED_PARTS = ("measures", "shortcomings", "causes", "leaders_duties", "plans")
OPTIONAL_PARTS = ("other",)

# Organisation settings (workflow/settings.py declares each with why it is local).
REPORT_TO = "report.report_to"  # 主送: the town reports to 区委、区政府 (item 64, [V2])
COPY_TO = "report.copy_to"  # 抄送: 区委依法治区办 (item 64, [V2])
REPORT_CODE = "report.document_code"  # 发文机关代字 of the issued report (泉后政〔2025〕3号), the government's own
REPORT_BY = "report.report_by"  # "MM-DD" of the next year: 3月1日 in the provincial guideline, [V2-weak] for Fujian

# A hand-entered figure is referred to in the text as {{manual.<id>}}; a computed one as {{<procedure>.<figure>}}.
MANUAL = "manual"
