"""Legal constants of the major administrative decision family: the regulation's title and the organisation
settings its rules read (legal-facts §12: set locally, each stored with its source; see workflow/settings.py).

Kept apart from the guards so that the settings catalogue, the demo and the pages can name a setting without
importing the rules.
"""

REG713 = "《重大行政决策程序暂行条例》"

FORUM_SETTING = "major_decision.collective_forum"  # the forum of the collective discussion (条例第三十条)
QUORUM_SETTING = "major_decision.collective_quorum"  # per cent of the body's members to exceed (议事规则)
