"""The collective discussion's tally (条例第三十条): one reading of the members' views for the guard that asks a
departing head for a reason and for the pages that show the tally."""

from __future__ import annotations


def majority(views: list[str]) -> str | None:
    """The members' majority view: "agree" or "disagree", whichever has more votes (abstentions count for
    neither); None on a tie. One definition for the guard below and for the pages that show the tally."""
    agree, disagree = views.count("agree"), views.count("disagree")
    return "agree" if agree > disagree else "disagree" if disagree > agree else None
