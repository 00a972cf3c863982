"""Legal constants of the contract legality review (合同合法性审查): the documents it cites, the review points and
the organisation settings its rules read (legal-facts-2 §2).

No national or Fujian rule fixes the scope, the review period or the filing period of a town's contract review
(legal-facts-2 §2 item 35 and §9, [U]): each is an organisation setting with its source (workflow/settings.py),
never a constant here. Kept apart from the guards so that the settings catalogue and the demo can name a setting
without importing the rules.
"""

from __future__ import annotations

# 中办发〔2016〕30号 [V2]: matters on which the adviser must be heard, or which the adviser finds unlawful,
# 「不得提交讨论、作出决定」; towns appoint advisers as needed (legal-facts-2 §2 item 36).
ADVISER_OPINION_2016 = "《关于推行法律顾问制度和公职律师公司律师制度的意见》（中办发〔2016〕30号）"
# 行政复议法 (2023) [V1]: art 71 makes 行政协议 reviewable; art 20 stretches the window to a year where the
# remedy (right, body, period) was not stated (legal-facts-2 §2 item 37, §7.3 item 109).
RECONSIDERATION_LAW = "《中华人民共和国行政复议法》"
# Local models, not Fujian [V2] (legal-facts-2 §2 item 38): the usual review content and the filing after signing.
LOCAL_MODELS = "外地政府合同合法性审查办法（示例，非福建）"

# legal-facts-2 §2 item 38 [V2]: what a review typically covers (the `item` choices of record_review_point).
REVIEW_POINTS = ("capacity", "terms", "dispute", "form")

# The opinion's outcomes; only an unqualified 同意 on the text to be signed allows the signing.
APPROVE = "approve"

# Organisation settings (workflow/settings.py declares each with the reason it is local).
EXCLUDED_KINDS = "contract.excluded_kinds"  # [V2] local models: 政府采购、劳动人事、应急 contracts are excluded
REVIEW_WORKING_DAYS = "contract.review_working_days"  # [U] no national period; 5 working days in local models
FILING_WORKING_DAYS = "contract.filing_working_days"  # [U] no national period; 5 working days in local models
# [U] no national or Fujian threshold: the amount (yuan) from which a contract is major (重大合同), on which the legal
# adviser must be heard (中办发〔2016〕30号, legal-facts-2 §2 item 36)
MAJOR_AMOUNT = "contract.major_amount"
# The role whose opinion a major contract needs (the definition's roles block)
LEGAL_ADVISER = "legal_adviser"
