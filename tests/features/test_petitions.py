"""The living specification of the petitions registers: every scenario of features/petitions/
(tests/features/steps_registers.py, tests/features/steps_petitions.py).

Each scenario runs on SQLite and on PostgreSQL (the `town` fixture is parametrized).
"""

import pytest
from pytest_bdd import scenarios

from tests.features.steps import *  # noqa: F403 - the step fixtures must live in this module's namespace
from tests.features.steps_petition_links import *  # noqa: F403
from tests.features.steps_petitions import *  # noqa: F403
from tests.features.steps_registers import *  # noqa: F403

pytestmark = pytest.mark.usefixtures("scene")

scenarios("petitions")
