"""The living specification of issued documents (issue 12): every scenario of features/documents/.

Each scenario runs on SQLite and on PostgreSQL (the `town` fixture is parametrized).
"""

import pytest
from pytest_bdd import scenarios

from tests.features.steps import *  # noqa: F403 - the step fixtures must live in this module's namespace
from tests.features.steps_documents import *  # noqa: F403
from tests.features.steps_enforcement import *  # noqa: F403

pytestmark = pytest.mark.usefixtures("scene")

scenarios("documents")
