"""The check of the village channels' register (law.py)."""

from __future__ import annotations

from workflow.guards import Fail, GuardContext, GuardTable
from workflow.procedures.village_channels.law import DATA_CHECK

GUARDS = GuardTable("village_channels")


@GUARDS.guard("answered_within_received", article=DATA_CHECK,
              zh="已答复的意见件数不得多于收到的件数", en="Items answered do not exceed items received")
def answered_within_received(ctx: GuardContext) -> Fail | None:
    received, answered = ctx.payload.get("received"), ctx.payload.get("answered")
    if received is None or answered is None or answered <= received:
        return None
    return Fail(f"已答复{answered}件，多于收到的{received}件", f"{answered} answered, more than the {received} received")
