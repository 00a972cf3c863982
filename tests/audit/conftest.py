"""Fixtures of the audit tests: `district`, a second lawflow instance beside the town (tests/audit/two_instances.py)."""

from tests.audit.two_instances import district

__all__ = ["district"]
