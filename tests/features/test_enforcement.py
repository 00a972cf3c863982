"""The living specification of 行政处罚普通程序 and 重大执法决定法制审核: every scenario of features/enforcement/.

Each scenario runs on SQLite and on PostgreSQL (the `town` fixture is parametrized).
"""

import pytest
from pytest_bdd import scenarios

from tests.features.steps import *  # noqa: F403 - the step fixtures must live in this module's namespace
from tests.features.steps_credentials import *  # noqa: F403
from tests.features.steps_dates import *  # noqa: F403
from tests.features.steps_enforcement import *  # noqa: F403
from tests.features.steps_messages import *  # noqa: F403
from tests.features.steps_notice import *  # noqa: F403
from tests.features.steps_records import *  # noqa: F403
from tests.features.steps_timers import *  # noqa: F403

pytestmark = pytest.mark.usefixtures("scene")

scenarios("enforcement")
