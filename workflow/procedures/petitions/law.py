"""The articles the petitions family cites and its periods (legal-facts-2 §7.2 items 104–108 and §7.3 items
109–114, all [V1]; §10 traps 9 and 10).

信访工作条例（2022）: the first written notice within 15 days of receipt (第二十三条第二款), an objection to a
transferred item within 5 working days (第二十三条第三款), the handling opinion on a 申诉求决 item routed under
第三十一条第六项 within 60 days of acceptance, one extension of at most 30 days with the head's approval and a notice
of the reasons (第三十四条). Whether the 15/60/30 days are calendar or working days is unverified (§9): the setting
petitions.day_unit. 行政复议法（2023）: the respondent's written answer with its evidence within 10 working days of
receiving the copy (第四十八条), 5 under the simple procedure (第五十四条); 第八十八条 makes these working days.
"""

PETITION_REG = "《信访工作条例》"
RECONSIDERATION_LAW = "《中华人民共和国行政复议法》（2023年修订）"
ACK_DAYS = 15  # 第二十三条第二款、第三款: 自收到信访事项之日起15日内书面告知
OBJECTION_WORKING_DAYS = 5  # 第二十三条第三款: 5个工作日内提出异议 (explicitly working days)
HANDLING_DAYS = 60  # 第三十四条: 自受理之日起60日内办结
MAX_EXTENSION_DAYS = 30  # 第三十四条: 延长期限不得超过30日
ANSWER_WORKING_DAYS = 10  # 行政复议法第四十八条 (第八十八条: working days)
SIMPLE_ANSWER_WORKING_DAYS = 5  # 行政复议法第五十四条
DAY_UNIT = "petitions.day_unit"  # calendar_days | working_days ([U], legal-facts-2 §9)
LITIGATION_ANSWER_DAYS = "petitions.litigation_answer_days"  # no article of 行政诉讼法 in legal-facts
CLAIM_CLASS = "claim"  # 申诉求决类
TRANSFERRED = ("petition_office", "superior")  # 信访部门转送、交办 or a superior's assignment (第二十三条第三款)
PETITION_PROCEDURE = "petition"  # 第三十六条: a repeat names an earlier item of the same register
