"""The living specification of 重大行政决策程序: every scenario of features/major_decision/*.feature.

`scenarios("major_decision")` is resolved against `bdd_features_base_dir` (pyproject: "features"), which
pytest-bdd 9 joins to the rootdir, so this binds every .feature file under features/major_decision/,
recursively. Each scenario runs on SQLite and on PostgreSQL (the `town` fixture is parametrized).
"""

import pytest
from pytest_bdd import scenarios

from tests.features.steps import *  # noqa: F403 - the step fixtures must live in this module's namespace
from tests.features.steps_dates import *  # noqa: F403
from tests.features.steps_materials import *  # noqa: F403
from tests.features.steps_organisations import *  # noqa: F403
from tests.features.steps_quorum import *  # noqa: F403
from tests.features.steps_timers import *  # noqa: F403

# Steps reach `scene` (town, clock) only at run time; naming it here puts the database parametrization
# (sqlite, postgresql) into every scenario at collection time.
pytestmark = pytest.mark.usefixtures("scene")

scenarios("major_decision")
