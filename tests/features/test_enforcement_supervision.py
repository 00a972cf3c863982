"""The living specification of the supervision of enforcement: every scenario of features/enforcement_supervision/
(tests/features/steps_supervision.py, the tree of tests/features/steps_organisations.py).

Each scenario runs on SQLite and on PostgreSQL (the `town` fixture is parametrized).
"""

import pytest
from pytest_bdd import scenarios

from tests.features.steps import *  # noqa: F403 - the step fixtures must live in this module's namespace
from tests.features.steps_organisations import *  # noqa: F403
from tests.features.steps_supervision import *  # noqa: F403
from tests.features.steps_timers import *  # noqa: F403 - the answer period's timers

pytestmark = pytest.mark.usefixtures("scene")

scenarios("enforcement_supervision")
