"""Where lawflow's pieces meet: configuration from the environment, the database, the engine.

The CLI and the web app both build one `Runtime`; nothing else reads the environment.
  LAWFLOW_INSTANCE       instance folder (default ./instance): SQLite file, evidence files
  LAWFLOW_DATABASE_URL   SQLAlchemy URL (default: SQLite file in the instance folder)
  LAWFLOW_AUDIT_KEY      Ed25519 checkpoint signing key (default: <instance>/audit-signing.key), never in the DB
  LAWFLOW_ORIGIN         the log's name in checkpoints (default: lawflow/<org>)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine as SqlEngine
from sqlalchemy.orm import Session, sessionmaker

from workflow.clock import Clock, SystemClock
from workflow.db import default_url, make_engine, make_session_factory, migrate
from workflow.definitions import DEFINITIONS_DIR, Registry, load_registry
from workflow.engine import Engine


@dataclass
class Runtime:
    instance: Path
    database_url: str
    key_path: Path
    origin: str = "lawflow/houlong"
    definitions_dir: Path = DEFINITIONS_DIR
    clock: Clock = field(default_factory=SystemClock)

    @classmethod
    def from_env(cls, clock: Clock | None = None) -> Runtime:
        instance = Path(os.environ.get("LAWFLOW_INSTANCE") or Path.cwd() / "instance").resolve()
        return cls(
            instance=instance,
            database_url=default_url(instance),
            key_path=Path(os.environ.get("LAWFLOW_AUDIT_KEY") or instance / "audit-signing.key"),
            origin=os.environ.get("LAWFLOW_ORIGIN", "lawflow/houlong"),
            clock=clock or SystemClock(),
        )

    @cached_property
    def db(self) -> SqlEngine:
        return make_engine(self.database_url)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return make_session_factory(self.db)

    @cached_property
    def registry(self) -> Registry:
        return load_registry(self.definitions_dir)

    @cached_property
    def engine(self) -> Engine:
        return Engine(self.sessions, self.registry, self.clock)

    def migrate(self) -> None:
        self.instance.mkdir(parents=True, exist_ok=True)
        migrate(self.database_url)
