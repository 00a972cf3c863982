"""The living specification of 法治政府建设年度报告: every scenario of features/rule_of_law_report/.

Each scenario runs on SQLite and on PostgreSQL (the `town` fixture is parametrized).
"""

import pytest
from pytest_bdd import scenarios

from tests.features.steps import *  # noqa: F403 - the step fixtures must live in this module's namespace
from tests.features.steps_documents import *  # noqa: F403  - what the sign-off issued (05_签发公文.feature)
from tests.features.steps_report import *  # noqa: F403
from tests.features.steps_report_issue import *  # noqa: F403
from tests.features.steps_timers import *  # noqa: F403  - the publication reminders (06_公开期限提醒.feature)

pytestmark = pytest.mark.usefixtures("scene")

scenarios("rule_of_law_report")
