"""普法、法律明白人和学法培训台账: what the family's rules and figures cite.

None of the three registers is a procedure the law sets times for: they are the town's records of its rule-of-law
work, counted in the annual report (legal-facts §10 rows 9, 13–18, 25, 26). Their checks are of two kinds:
data checks that cite no article (an activity held "for 12·4" on another day; a roster entry with neither role),
said so in their texts, and guidelines shown as a figure, never a refusal (≥3 法律明白人 per administrative
village, 乡村"法律明白人"培养工作规范（试行）, 2021, [V2]).
"""

DATA_CHECK = "数据核对（无法定依据，legal-facts §10）"
OBSERVANCE_NOTE = "节日日期为公知事实（legal-facts §10 第25行，[U]）"
ROSTER_GUIDELINE = "乡村“法律明白人”培养工作规范（试行）（2021年，[V2]）：每个行政村一般不少于3名"
ROLES = ("legal_understanding", "rule_of_law_leader")  # 法律明白人 / 法治带头人: counted apart, never summed as people
