"""The law of 行政执法监督 (supervision of enforcement) as far as it is verified, and what is left to the organisation.

《行政执法监督条例》(国务院令第825号, 2025年12月17日公布, 2026年2月1日起施行) — verified from its published text:
第二条 县级以上人民政府依法对本级人民政府所属部门、派出机关和下级人民政府……的行政执法工作开展的行政系统内部监督;
第六条 县级以上人民政府司法行政部门是本级人民政府的行政执法监督机构 (设在乡镇的司法所协助). Its articles on the
ways of supervising (案卷评查), on the 行政执法监督意见书 / 纠错 and on the time a supervised body has to report its
rectification were not verified here: the review's time limit, its unit and the grades are organisation settings
with their source (workflow/settings.py), the scoring sheet an organisation-chosen sheet (definitions/scoring/).
"""

from __future__ import annotations

from workflow import random_draw

SUPERVISION_REG = "《行政执法监督条例》"
SCOPE_ARTICLE = f"{SUPERVISION_REG}第二条"  # a government supervises the governments below it [verified]
BODY_ARTICLE = f"{SUPERVISION_REG}第六条"  # the justice bureau is the supervising body [verified]
# Where no article was verified, the rule cites the regulation and the organisation's rule it applies.
LOCAL = "本单位行政执法监督工作制度"

ANSWER_DAYS = "supervision.answer_days"  # 整改报告期限 (days), the organisation's
ANSWER_DAY_UNIT = "supervision.answer_day_unit"  # calendar_days | working_days
GRADE_EXCELLENT = "supervision.grade_excellent_from"  # total from which a file is 优秀
GRADE_PASS = "supervision.grade_pass_from"  # total from which a file is 合格 (below: 不合格)

DRAW_ALGORITHM = random_draw.ALGORITHM  # Python 3 standard library, seed version 2 (workflow/random_draw.py)
