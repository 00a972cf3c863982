"""Is this instance initialised? The command line asks before it touches the database.

An instance is initialised once `lawflow init` has run its migrations: the database exists and holds
Alembic's version table. Asked before connecting, so that a command on a fresh instance neither creates an
empty SQLite file nor fails half-way with a driver error; it says, in one line, what to do instead.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, inspect
from sqlalchemy.engine import make_url

VERSION_TABLE = "alembic_version"  # Alembic's default, which workflow/migrations keeps


def schema_missing(engine: Engine) -> bool:
    """True when `engine`'s database has no lawflow schema: no SQLite file yet, or no migrations run."""
    url = engine.url
    file_based = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
    if file_based and not Path(str(url.database)).is_file():  # asked first: connecting would create the file
        return True
    with engine.connect() as connection:
        return not inspect(connection).has_table(VERSION_TABLE)


def not_initialised_message(database_url: str) -> str:
    shown = make_url(database_url).render_as_string(hide_password=True)
    return (f"实例尚未初始化，请先运行 lawflow init / the instance is not initialised: "
            f"run `lawflow init` first (database {shown})")
