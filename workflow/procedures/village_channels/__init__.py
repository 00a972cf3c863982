"""村居意见箱和公开栏: definitions/village_channel.v*.yaml (a register: workflow/register_spec.py)."""

from workflow.procedures.village_channels.guards import GUARDS

NAME = "village_channels"

__all__ = ["GUARDS", "NAME"]
