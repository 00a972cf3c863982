"""Legal constants of the enforcement family: the laws it cites, the organisation settings its rules read
(legal-facts §12: set locally, each stored with its source; declared in workflow/settings.py), the roles and
procedures its rules name, and the statutory lists the guards, the read models and the pages share.

Kept apart from the guards so that the settings catalogue, the demo, the read models and the pages can name
them without importing the rules.
"""

PENALTY_LAW = "《中华人民共和国行政处罚法》"
GUIDELINE_118 = "国办发〔2018〕118号"

DELEGATED_POWERS = "enforcement.delegated_powers"  # [{"field": ..., "power": ...}]
LARGE_FINE_THRESHOLD = "enforcement.large_fine_threshold"  # {"individual": "10000", "organisation": "100000"}
REVIEW_CATALOGUE = "enforcement.review_catalogue"  # ["拟作出较大数额罚款的", ...]
EXTENSION_DAYS = "enforcement.decision_extension_days"  # days a rule allows beyond the 90 (处罚法第六十条)

ENFORCEMENT_PROCEDURE = "enforcement_case"
REVIEW_PROCEDURE = "enforcement_review"
DECISION_DAYS = 90  # 处罚法第六十条; the definition's decision_period says the same
OFFICER, AGENCY_HEAD = "enforcement_officer", "agency_head"
LEGAL_QUALIFICATION = "legal_qualification"
# The review checklist of 118号, with the short names refusals use (the definition's choices say it in full).
CHECKLIST = {"subject": "执法主体", "officer_qualification": "执法人员资格", "procedure": "执法程序", "facts": "案件事实",
             "evidence": "证据", "law_applied": "法律适用", "discretion": "裁量基准", "authority": "执法权限",
             "documents": "执法文书", "crime_transfer": "涉嫌犯罪移送"}

# 处罚法第六十三条: penalties the party may ask a hearing for; fines and confiscation only above the threshold.
ALWAYS_HEARING = frozenset({"permit_suspension", "permit_revocation", "business_restriction"})
BY_AMOUNT = frozenset({"fine", "confiscation"})
# The notices that carry the hearing right (处罚法第六十三条、第六十四条): the first and a new one.
WITH_HEARING_RIGHTS = frozenset({"notify_with_hearing_rights", "renotify_with_hearing_rights"})
PENALTY_ZH = {"warning": "警告、通报批评", "fine": "罚款", "confiscation": "没收", "permit_suspension": "暂扣许可证件、降低资质等级",
              "business_restriction": "限制生产经营、责令停产停业、责令关闭、限制从业", "permit_revocation": "吊销许可证件"}

# 行政强制法: compulsory measures taken in a penalty case
COMPULSION_LAW = "《中华人民共和国行政强制法》"
SEIZURE_DAYS = 30  # 行政强制法第二十五条: 查封、扣押的期限不得超过三十日 (calendar days: over 10, 第六十九条)

MANDATORY_AV_ACTS = "enforcement.mandatory_av_acts"  # setting: triggers needing an audio-video record (118号)
CIVIL_PROCEDURE_LAW = "《中华人民共和国民事诉讼法》"
# 民事诉讼法第九十五条 (applied to the penalty decision by 处罚法第六十一条): 「自发出公告之日起，经过三十日，即视为送达」;
# calendar days (a period of the civil procedure law, not one of 处罚法第八十五条's three, five or seven days)
PUBLIC_NOTICE_DAYS = 30
