"""The living specification of 政府信息公开申请: every scenario of features/information_request/.

Each scenario runs on SQLite and on PostgreSQL (the `town` fixture is parametrized).
"""

import pytest
from pytest_bdd import scenarios

from tests.features.steps import *  # noqa: F403 - the step fixtures must live in this module's namespace
from tests.features.steps_information_request import *  # noqa: F403
from tests.features.steps_petition_links import *  # noqa: F403
from tests.features.steps_petitions import *  # noqa: F403
from tests.features.steps_timers import *  # noqa: F403

pytestmark = pytest.mark.usefixtures("scene")

scenarios("information_request")
