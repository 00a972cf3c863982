"""Where lawflow's pieces meet: configuration from the environment, the database, the engine.

The CLI and the web app both build one `Runtime`; nothing else reads the environment.
  LAWFLOW_INSTANCE       instance folder (default ./instance): SQLite file, evidence files
  LAWFLOW_DATABASE_URL   SQLAlchemy URL (default: SQLite file in the instance folder)
  LAWFLOW_SIGNING_KEY_FILE  Ed25519 checkpoint signing key file (default: <instance>/audit-signing.key), never in
                         the DB; keep it off the database host. LAWFLOW_AUDIT_KEY, its earlier name, still works.
  LAWFLOW_ORIGIN         the log's name in checkpoints (default: lawflow/<org>)
  LAWFLOW_MAX_RECORD_MB  upload limit for one evidence file, in MiB (default 2048)
  LAWFLOW_HELD_UPLOAD_HOURS  how long a file sent with a refused step is kept for its retry (default 24;
                         workflow/held_uploads.py)
  LAWFLOW_WITNESS_DIR    where `lawflow audit checkpoint` keeps the last checkpoint it signed, outside the database
                         (default: <folder of the signing key>/witness; workflow/audit/witness.py)
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
from workflow.documents.definitions import DocumentRegistry, load_documents
from workflow.engine import Engine
from workflow.filemodes import private_dir, private_sqlite_files
from workflow.held_uploads import DEFAULT_HOURS, HeldUploads
from workflow.records import DEFAULT_MAX_BYTES, RecordStore


@dataclass
class Runtime:
    instance: Path
    database_url: str
    key_path: Path
    origin: str = "lawflow/houlong"
    definitions_dir: Path = DEFINITIONS_DIR
    clock: Clock = field(default_factory=SystemClock)
    max_record_bytes: int = DEFAULT_MAX_BYTES
    witness_dir: Path | None = None  # None: beside the signing key (see witness_path)
    held_upload_hours: int = DEFAULT_HOURS

    @classmethod
    def from_env(cls, clock: Clock | None = None) -> Runtime:
        instance = Path(os.environ.get("LAWFLOW_INSTANCE") or Path.cwd() / "instance").resolve()
        return cls(
            instance=instance,
            database_url=default_url(instance),
            key_path=Path(os.environ.get("LAWFLOW_SIGNING_KEY_FILE") or os.environ.get("LAWFLOW_AUDIT_KEY")
                          or instance / "audit-signing.key"),
            origin=os.environ.get("LAWFLOW_ORIGIN", "lawflow/houlong"),
            clock=clock or SystemClock(),
            max_record_bytes=_max_record_bytes(os.environ.get("LAWFLOW_MAX_RECORD_MB")),
            witness_dir=Path(os.environ["LAWFLOW_WITNESS_DIR"]) if os.environ.get("LAWFLOW_WITNESS_DIR") else None,
            held_upload_hours=_whole(os.environ.get("LAWFLOW_HELD_UPLOAD_HOURS"), "LAWFLOW_HELD_UPLOAD_HOURS",
                                     DEFAULT_HOURS),
        )

    @property
    def witness_path(self) -> Path:
        """The witness directory: the last signed checkpoint, kept outside the database."""
        return self.witness_dir or Path(self.key_path).parent / "witness"

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
    def records(self) -> RecordStore:
        """Evidence files (全过程记录), content-addressed under the instance folder."""
        from workflow.records_check import recorded_in, server_sessions  # for the roll-forward

        return RecordStore(Path(self.instance) / "records", self.max_record_bytes, recorded=recorded_in(self.sessions),
                           committing=server_sessions(self.sessions))

    @cached_property
    def held_uploads(self) -> HeldUploads:
        """Files received with a refused step, kept for its retry (workflow/held_uploads.py)."""
        return HeldUploads(Path(self.instance) / "records" / "held", self.held_upload_hours)

    @cached_property
    def documents(self) -> DocumentRegistry:
        """The document types the steps issue (<definitions>/documents/), checked against the registry."""
        return load_documents(self.registry, Path(self.definitions_dir) / "documents")

    @cached_property
    def engine(self) -> Engine:
        return Engine(self.sessions, self.registry, self.clock, records=self.records, documents=self.documents)

    def migrate(self) -> None:
        private_dir(self.instance)
        migrate(self.database_url)
        if self.database_url.startswith("sqlite:///"):  # created under whatever umask the caller had: 0600
            private_sqlite_files(Path(self.database_url.removeprefix("sqlite:///")))


def _whole(value: str | None, name: str, default: int) -> int:
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {value!r}")
    return int(value)


def _max_record_bytes(value: str | None) -> int:
    if not value:
        return DEFAULT_MAX_BYTES
    try:
        mb = int(value)
    except ValueError:
        raise ValueError(f"LAWFLOW_MAX_RECORD_MB must be a whole number of MiB, not {value!r}") from None
    if mb < 1:
        raise ValueError(f"LAWFLOW_MAX_RECORD_MB must be at least 1, not {mb}")
    return mb * 1024**2
