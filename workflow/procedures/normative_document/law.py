"""Legal constants of the normative-document family (行政规范性文件): the documents it cites, the statutory lists
it reads, and the organisation settings its rules read (legal-facts-2 §1; §9 lists what is unverified and so must
be set locally, each value stored with its source, see workflow/settings.py).

Kept apart from the guards so that the settings catalogue, the demo and the pages can name a setting or a list
without importing the rules.
"""

from __future__ import annotations

GUIDANCE_115 = "《国务院办公厅关于全面推行行政规范性文件合法性审核机制的指导意见》（国办发〔2018〕115号）"  # [V1]
NOTICE_37 = "《国务院办公厅关于加强行政规范性文件制定和监督管理工作的通知》（国办发〔2018〕37号）"  # [V2]
ORGANIC_LAW = "《地方各级人民代表大会和地方各级人民政府组织法》"  # [V1]
BUSINESS_REG = "《优化营商环境条例》"  # [V1]
FAIR_COMPETITION_REG = "《公平竞争审查条例》"  # [V1]

# 115号（五）[V1]: 合法性审核时间一般不少于5个工作日，最长不超过15个工作日 (the 15 is the deadline in the definition).
REVIEW_MIN_WORKING_DAYS = 5
REVIEW_MAX_WORKING_DAYS = 15

# 115号（六）[V1]: the seven points every review examines (the `item` choices of record_review_point).
REVIEW_POINTS = ("issuer", "authority", "content", "unlawful_measures", "burdens", "own_powers", "procedure")

# 115号（五）[V1]: what the package for review contains (the boolean fields of submit_to_office).
REVIEW_PACKAGE = ("draft", "explanation", "legal_basis", "comment_adoption", "own_opinion")

# Clean-up outcomes (legal-facts-2 §1.10 item 31 [V2]): which keep the document valid, which end it.
CLEANUP_VALID = ("retain", "retain_amend")
CLEANUP_INVALID = ("repeal", "declare_invalid")

# Organisation settings (workflow/settings.py declares each with the law that leaves it to the organisation).
COMMENT_WORKING_DAYS = "normative.comment_min_working_days"  # 示范指标体系第24项 [V2]: 一般不少于7个工作日
COMMENT_BUSINESS_DAYS = "normative.comment_min_days_business"  # 营商条例第六十二条 [V1]: 一般不少于30日
REVIEWER_SETTING = "normative.legality_reviewer"  # 115号（四）[V1]: internal | county_designated
FORUM_SETTING = "normative.collective_forum"  # 37号（三）[V2]: the town's forum is set locally
FILING_RECIPIENT = "normative.filing_recipient"  # 备案审查条例第二十五条 [V1]; recipient [U]
FILING_DAYS = "normative.filing_days"  # [U]: 15 日 / 30 日 / 3 个工作日 elsewhere; no Fujian figure found
FILING_UNIT = "normative.filing_day_unit"  # calendar_days | working_days, counted from publication
MAX_VALIDITY_YEARS = "normative.max_validity_years"  # [V2, not Fujian]: 一般不超过5年
EXPIRY_REMINDER = "normative.expiry_reminder_working_days"  # [V2]: evaluate 6 months before expiry

# The values of normative.legality_reviewer and the role that then reviews (the definition's roles).
REVIEWER_ROLES = {"internal": "legal_counsel", "county_designated": "county_reviewer"}
UNITS = ("calendar_days", "working_days")
