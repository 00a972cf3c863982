"""Legal constants of the information-request family (《中华人民共和国政府信息公开条例》2019, legal-facts-2 §3):
the regulation's periods, the settings its fee rule reads, and how each way a request ends counts in the
annual report's requests table (国办公开办函〔2021〕30号).

Kept apart from the guards so that the settings catalogue, the demo, the pages and the report can name them
without importing the rules.
"""

from __future__ import annotations

PROCEDURE = "information_request"
OGI = "《中华人民共和国政府信息公开条例》"
FEE_MEASURES = "《政府信息公开信息处理费管理办法》（国办函〔2020〕109号）"

ANSWER_DAYS = 20  # 第三十三条第二款: 自收到申请之日起20个工作日内予以答复
MAX_EXTENSION_DAYS = 20  # 第三十三条第二款: 延长的期限最长不得超过20个工作日
CORRECTION_NOTICE_DAYS = 7  # 第三十条: 自收到申请之日起7个工作日内一次性告知
CONSULTATION_DAYS = 15  # 第三十二条、第三十四条: 自收到征求意见书之日起15个工作日内提出意见

# 109号 (legal-facts-2 §3.6, [V2]): the tariff's thresholds and amounts are settings with their source, so that a
# later national or provincial change is a change of setting, not of code.
FEE_FREE_REQUESTS = "information_request.fee_free_requests"  # 第四条: 同一申请人一个自然月内10件以下不收费
FEE_TIER_END = "information_request.fee_tier_end"  # 第四条: 11-30件
FEE_PER_REQUEST = "information_request.fee_per_request_yuan"  # 第四条: 每件100元
FEE_BAND = "information_request.fee_band"  # 第四条: 31件以上每增加10件，每件收费标准提高100元
FEE_PAGE_TIERS = "information_request.fee_page_tiers"  # 第五条: 30页以下免费；31-100页每页10元；101-200页每页20元；201页以上每页40元
# Whether the days the applicant takes to pay the fee are left out of the answer period: no text read settles it
# (legal-facts-2 §3.6, §9: 109号 art 7 not retrieved), so it is the organisation's to set, with its source; unset or
# 0: the answer period runs on while the fee is awaited (clock.py).
FEE_TIME_PAUSES_CLOCK = "information_request.fee_time_pauses_clock"
FEE_SETTINGS = (FEE_FREE_REQUESTS, FEE_TIER_END, FEE_PER_REQUEST, FEE_BAND, FEE_PAGE_TIERS)
FEE_SOURCE = ("《政府信息公开信息处理费管理办法》（国办函〔2020〕109号）第四条、第五条（官方文本的多处政府网站转载，"
              "legal-facts-2 §3.6 [V2]）")

# Channels where 第三十一条 fixes the day of receipt by a recorded date: the payload field that holds it.
RECEIPT_DAY_FIELD = {
    "in_person": "submitted_on",  # 第三十一条第一项: 当面提交的，以提交之日
    "oral_transcribed": "submitted_on",  # 第二十九条: 口头提出、代为填写，视同当面提交
    "registered_mail": "signed_for_on",  # 第三十一条第二项: 以行政机关签收之日
    "ordinary_mail": "confirmed_on",  # 第三十一条第二项: 当日与申请人确认，以确认之日
    "online": "confirmed_on",  # 第三十一条第三项: 以双方确认之日
    "fax": "confirmed_on",
}

# ---------------------------------------------------------------- the annual report's rows (30号, table 3)

# Row codes of 三、本年度办理结果, in the table's order, with their Chinese and English labels.
RESULT_ROWS: tuple[tuple[str, str, str], ...] = (
    ("1", "（一）予以公开", "Disclosed"),
    ("2", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "Partly disclosed"),
    ("3.1", "（三）不予公开 1.属于国家秘密", "Refused: state secret"),
    ("3.2", "（三）不予公开 2.其他法律行政法规禁止公开", "Refused: other legal prohibition"),
    ("3.3", "（三）不予公开 3.危及“三安全一稳定”", "Refused: security and stability"),
    ("3.4", "（三）不予公开 4.保护第三方合法权益", "Refused: third-party rights"),
    ("3.5", "（三）不予公开 5.属于三类内部事务信息", "Refused: internal affairs"),
    ("3.6", "（三）不予公开 6.属于四类过程性信息", "Refused: process information"),
    ("3.7", "（三）不予公开 7.属于行政执法案卷", "Refused: enforcement files"),
    ("3.8", "（三）不予公开 8.属于行政查询事项", "Refused: enquiry matters"),
    ("4.1", "（四）无法提供 1.本机关不掌握相关政府信息", "Cannot provide: not held"),
    ("4.2", "（四）无法提供 2.没有现成信息需要另行制作", "Cannot provide: would need creating"),
    ("4.3", "（四）无法提供 3.补正后申请内容仍不明确", "Cannot provide: unclear after correction"),
    ("5.1", "（五）不予处理 1.信访举报投诉类申请", "Not processed: petitions and complaints"),
    ("5.2", "（五）不予处理 2.重复申请", "Not processed: repeat"),
    ("5.3", "（五）不予处理 3.要求提供公开出版物", "Not processed: published materials"),
    ("5.4", "（五）不予处理 4.无正当理由大量反复申请", "Not processed: mass requests"),
    ("5.5", "（五）不予处理 5.要求行政机关确认或重新出具已获取信息", "Not processed: confirm or re-issue"),
    ("6.1", "（六）其他处理 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
     "Other: not corrected in time"),
    ("6.2", "（六）其他处理 2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
     "Other: fee not paid in time"),
    ("6.3", "（六）其他处理 3.其他", "Other"),
)
ANSWER_ROW = {
    "proactively_disclosed": "1", "disclosed": "1", "partly_disclosed": "2",
    "not_exist": "4.1", "not_this_agency": "4.1", "needs_creation": "4.2", "unclear_after_correction": "4.3",
    "repeat": "5.2", "publication": "5.3", "excess_unreasonable": "5.4", "confirm_reissue": "5.5",
    "special_law": "6.3",
}
REFUSAL_ROW = {
    "state_secret": "3.1", "other_law": "3.2", "security_stability": "3.3", "third_party_rights": "3.4",
    "internal_affairs": "3.5", "process_information": "3.6", "enforcement_files": "3.7", "enquiry_matters": "3.8",
}
# How a request that was not answered ended: the state it rests in.
CLOSED_STATE_ROW = {"lapsed": "6.1", "unpaid": "6.2", "not_a_request": "5.1"}
# The report's columns: 自然人, then 法人或其他组织 in five, then 总计 (the create step's applicant_type values).
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("natural_person", "自然人", "Natural persons"),
    ("business", "商业企业", "Businesses"),
    ("research", "科研机构", "Research bodies"),
    ("public_interest", "社会公益组织", "Public-interest organisations"),
    ("legal_service", "法律服务机构", "Legal-service providers"),
    ("other_org", "其他", "Others"),
)
