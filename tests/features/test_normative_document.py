"""The living specification of 行政规范性文件 and 规范性文件清理: every scenario of features/normative_document/.

Each scenario runs on SQLite and on PostgreSQL (the `town` fixture is parametrized).
"""

import pytest
from pytest_bdd import scenarios

from tests.features.steps import *  # noqa: F403 - the step fixtures must live in this module's namespace
from tests.features.steps_normative import *  # noqa: F403
from tests.features.steps_timers import *  # noqa: F403

pytestmark = pytest.mark.usefixtures("scene")

scenarios("normative_document")
