"""人民调解: the articles the family's rules cite and the figures' definitions (legal-facts §7.1 [V1],
legal-facts-2 §7.1 items 101–103).

The success rate (legal-facts §10 row 23) is agreements ÷ disputes closed in the year, a dispute being closed by an
agreement (第二十八条至第三十条) or by the end of mediation without one (第二十六条) dated in the year. It excludes
disputes still being mediated at the end of the year and entries withdrawn as made in error (never a mediation);
a dispute whose agreement a court later refused to confirm still counts as an agreement reached (第三十三条 and
民诉法第二百零六条 send the parties back to mediation or to court: a new dispute, if they return).
"""

PML = "《中华人民共和国人民调解法》"
CPL = "《中华人民共和国民事诉讼法》（2023年修正）"
MIN_MEMBERS, MAX_MEMBERS = 3, 9  # 第八条第二款: 人民调解委员会由委员三至九人组成
CONFIRMATION_DAYS = 30  # 第三十三条; 民诉法第二百零五条: 自调解协议生效之日起三十日内 (calendar days)
# Neither period is in legal-facts-2 §7.1 (人民调解法 as read there sets no term of office for a committee and no
# period for mediating a dispute): each is the organisation's setting, with the document it follows as its source.
COMMITTEE_TERM_YEARS = "mediation.committee_term_years"  # the committee's term of office, in years
DISPUTE_PERIOD_DAYS = "mediation.dispute_period_days"  # a dispute's mediation, in calendar days from registration
