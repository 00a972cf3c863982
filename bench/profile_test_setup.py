"""Where a test's setup time goes: cProfile over the fixtures' setup only (not the test bodies).

    .venv/bin/python bench/profile_test_setup.py [PYTEST ARGS]   (default: tests/api/test_dry_run.py -k sqlite)

Prints the 40 most expensive calls by cumulative time. It showed that an API or web test's app costs about
0.25 s to build (werkzeug compiling the routes, flask-smorest writing the OpenAPI document): the suite's
largest setup cost (bench/RESULTS.md is to record the fix).
"""

from __future__ import annotations

import cProfile
import pstats
import sys
from typing import Any

import pytest


class _SetupOnly:
    def __init__(self, profile: cProfile.Profile) -> None:
        self.profile = profile

    def pytest_runtest_setup(self, item: Any) -> None:
        self.profile.enable()

    def pytest_runtest_call(self, item: Any) -> None:
        self.profile.disable()


def main() -> None:
    profile = cProfile.Profile()
    args = sys.argv[1:] or ["tests/api/test_dry_run.py", "-k", "sqlite"]
    pytest.main(["-q", "-p", "no:cacheprovider", *args], plugins=[_SetupOnly(profile)])
    pstats.Stats(profile).sort_stats("cumtime").print_stats(40)


if __name__ == "__main__":
    main()
