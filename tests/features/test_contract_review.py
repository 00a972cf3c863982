"""The living specification of 合同合法性审查: every scenario of features/contract_review/.

Each scenario runs on SQLite and on PostgreSQL (the `town` fixture is parametrized).
"""

import pytest
from pytest_bdd import scenarios

from tests.features.steps import *  # noqa: F403 - the step fixtures must live in this module's namespace
from tests.features.steps_contract import *  # noqa: F403

pytestmark = pytest.mark.usefixtures("scene")

scenarios("contract_review")
