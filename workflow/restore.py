"""`lawflow restore SRC`: a backup back into an EMPTY instance, declared restored only once it verifies.

Order (docs/operations.md, "Restore"), each failure with its exit status:
  1. the manifest and every file it lists: present, same size, same SHA-256, nothing unlisted  (exit 3)
  2. the target: an empty database (SQLite: no file, or a file without tables; PostgreSQL: no table in its
     schema) and an empty records store; anything else is refused, named, and not touched        (exit 2)
  3. written: SQLite into a temporary file beside the target, PostgreSQL by `pg_restore --single-transaction`
     as the owner; evidence files into the records store
  4. checked: `audit verify` (every hash, chain, leaf, checkpoint and case row against its replay, every
     evidence file re-hashed), `records check`, and the restored database against the manifest's facts
                                                                                                  (exit 1)
  5. compared with the checkpoints witnessed outside the database (workflow/audit/witness.py): a restored
     log shorter than a witnessed one is a rollback, a different root a fork                      (exit 4)
     `--accept-rollback` accepts an older backup (the newest is lost): recorded in SYS, case numbering
     held until `lawflow case-numbers advance`, the old witness moved to witness/superseded/ (a fork is never
     accepted)
  6. only then: the SQLite file renamed into place. On any failure in 3–5 everything written is removed and
     the target is empty again.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from workflow.backup import (
    MANIFEST,
    BackupError,
    file_sha256,
    libpq_uri,
    owner_url_for,
    pg_tool,
    read_manifest,
)
from workflow.clock import utc_stamp
from workflow.runtime import Runtime

EXIT_VERIFY = 1
EXIT_TARGET = 2
EXIT_MANIFEST = 3
EXIT_ROLLBACK = 4


class RestoreError(RuntimeError):
    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class RestoreReport:
    manifest: dict[str, Any]
    verify_message: str = ""
    events: int = 0
    records: int = 0
    findings: list[str] = field(default_factory=list)  # witness findings accepted with --accept-rollback
    held: list[str] = field(default_factory=list)


def check_backup(src: Path) -> dict[str, Any]:
    """The manifest, once every file it lists hashes as listed and no file is unlisted (exit 3 otherwise)."""
    try:
        manifest = read_manifest(src)
    except BackupError as exc:
        raise RestoreError(str(exc), EXIT_MANIFEST) from None
    listed: dict[str, Any] = manifest["files"]
    for rel, meta in sorted(listed.items()):
        path = Path(src) / rel
        if ".." in Path(rel).parts or Path(rel).is_absolute():
            raise RestoreError(f"备份清单含有非法路径 / the manifest names a path outside the backup: {rel}",
                               EXIT_MANIFEST)
        if not path.is_file():
            raise RestoreError(f"备份文件缺失 / the backup lacks {rel}", EXIT_MANIFEST)
        if path.stat().st_size != meta.get("size") or file_sha256(path) != meta.get("sha256"):
            raise RestoreError(f"备份文件已被改动，拒绝恢复 / {rel} does not match its SHA-256 in the manifest: the "
                               f"backup was altered or damaged; refusing to restore it", EXIT_MANIFEST)
    for dirpath, _dirs, names in os.walk(src):
        for name in names:
            rel = str((Path(dirpath) / name).relative_to(src))
            if rel != MANIFEST and rel not in listed:
                raise RestoreError(f"备份中有清单未列的文件 / {rel} is in the backup but not in its manifest: refusing "
                                   f"to restore an altered backup", EXIT_MANIFEST)
    return manifest


def restore(rt: Runtime, src: Path, *, owner_url: str | None = None, witness: list[Path] | None = None,
            accept_rollback: bool = False, operator: str = "console") -> RestoreReport:
    src = Path(src)
    manifest = check_backup(src)
    dialect = "postgresql" if rt.database_url.startswith("postgresql") else "sqlite"
    if manifest["database"]["dialect"] != dialect:
        raise RestoreError(f"备份来自 {manifest['database']['dialect']}，目标为 {dialect} / a "
                           f"{manifest['database']['dialect']} backup cannot be restored into {dialect}", EXIT_TARGET)
    from workflow.audit import witness as witness_mod

    try:
        witnessed = [w for path in (witness or []) if path.exists() for w in witness_mod.read(path)]
    except witness_mod.WitnessError as exc:
        raise RestoreError(str(exc), EXIT_TARGET) from None
    target = _Target.for_runtime(rt, owner_url, dialect)
    target.require_empty()
    try:
        target.write(src, manifest)
        report = _check(rt, target, manifest, witnessed, accept_rollback)
        if report.findings:  # held before the database is in place: it never serves an unheld moment
            report.held = _hold(rt, target, witnessed, report.findings, operator)
        target.commit()
    except BaseException:
        target.undo()
        raise
    if report.findings:
        _retire_witness(rt, witness or [])
    return report


def _check(rt: Runtime, target: _Target, manifest: dict[str, Any], witnessed: list[Any],
           accept_rollback: bool) -> RestoreReport:
    from workflow import records_check
    from workflow.audit import witness as witness_mod
    from workflow.audit.export import verify_database
    from workflow.backup import facts
    from workflow.db import make_engine, make_session_factory

    engine = make_engine(target.check_url)
    try:
        sessions = make_session_factory(engine)
        report = verify_database(sessions, manifest["origin"], utc_stamp(rt.clock.now()),
                                 records_dir=str(rt.records.root), registry=rt.registry)
        if not report.ok:
            raise RestoreError(f"恢复的数据库未通过审计校验，已撤销恢复 / the restored database does not verify, the restore "
                               f"was undone: {report.message}", EXIT_VERIFY)
        store = records_check.check(sessions, rt.records, min_age=0)
        if store.broken or store.orphans or store.temporary:
            raise RestoreError(f"恢复的记录存储不一致，已撤销恢复 / the restored records store is inconsistent (broken "
                               f"{len(store.broken)}, orphan {len(store.orphans)}), the restore was undone", EXIT_VERIFY)
        with engine.connect() as conn:
            cursor = conn.connection.dbapi_connection.cursor()
            found = facts(cursor, "%s" if target.dialect == "postgresql" else "?")
            cursor.close()
            conn.rollback()
        for key in ("journals", "cases", "events", "leaves", "case_heads_digest", "last_checkpoint", "case_numbers"):
            if found[key] != manifest.get(key):
                raise RestoreError(f"恢复的数据库与备份清单不符（{key}），已撤销恢复 / the restored database differs from the "
                                   f"manifest in {key!r}: the restore was undone", EXIT_VERIFY)
        out = RestoreReport(manifest, report.message, report.events, store.named)
        with sessions() as session:
            findings = witness_mod.compare(session, witnessed, origin=manifest["origin"])
        forks = [f for f in findings if f.kind == "fork"]
        if forks or (findings and not accept_rollback):
            detail = "\n  ".join(f.text() for f in findings)
            hint = "" if forks else ("\n若确认最新的备份已丢失、必须恢复此较旧的备份，请加 --accept-rollback / if the newer "
                                     "state is truly lost and this older backup must be restored, add --accept-rollback")
            raise RestoreError(f"备份与数据库外见证的检查点不一致，已撤销恢复 / the backup contradicts the checkpoints "
                               f"witnessed outside the database; the restore was undone:\n  {detail}{hint}",
                               EXIT_ROLLBACK)
        out.findings = [f.text() for f in findings]
        return out
    finally:
        engine.dispose()


def _hold(rt: Runtime, target: _Target, witnessed: list[Any], findings: list[str], operator: str) -> list[str]:
    """The operator restores an older backup on purpose: hold case numbering, recorded in SYS."""
    from workflow import case_number_hold
    from workflow.audit import witness as witness_mod
    from workflow.db import make_engine, make_session_factory

    engine = make_engine(target.check_url)
    try:
        return case_number_hold.hold(make_session_factory(engine), findings, witness_mod.witnessed_highs(witnessed),
                                     operator, rt.clock.now())
    finally:
        engine.dispose()


def _retire_witness(rt: Runtime, witness_paths: list[Path]) -> None:
    """Move the witness of the lost history to superseded/<time>/: the next checkpoint starts a new one (the
    old files are kept; `lawflow audit verify --witness` on them still reports the rollback)."""
    from workflow.audit import witness as witness_mod

    stamp = utc_stamp(rt.clock.now()).replace(":", "")
    for path in witness_paths:
        last = path / witness_mod.LAST if path.is_dir() else None
        if last is not None and last.exists():
            retired = path / "superseded" / stamp
            retired.mkdir(parents=True, exist_ok=True, mode=0o700)
            for name in (witness_mod.LAST, witness_mod.HISTORY):
                if (path / name).exists():
                    os.replace(path / name, retired / name)


class _Target:
    """Where the restore writes, and how to undo it."""

    dialect: str
    check_url: str

    def __init__(self, rt: Runtime):
        self.rt = rt
        self.records_written: list[Path] = []

    @staticmethod
    def for_runtime(rt: Runtime, owner_url: str | None, dialect: str) -> _Target:
        if dialect == "sqlite":
            return _SqliteTarget(rt)
        try:
            return _PgTarget(rt, owner_url_for(rt, owner_url))
        except BackupError as exc:
            raise RestoreError(str(exc), EXIT_TARGET) from None

    def require_empty(self) -> None:
        root = self.rt.records.root
        if root.exists() and any(p.is_file() for p in root.rglob("*")):
            raise RestoreError(f"目标记录存储不是空的，拒绝覆盖 / the target records store {root} is not empty: a restore "
                               f"goes into an empty instance only", EXIT_TARGET)

    def write(self, src: Path, manifest: dict[str, Any]) -> None:
        root = self.rt.records.root
        for rel in manifest["files"]:
            if not rel.startswith("records/"):
                continue
            target = root / Path(rel).relative_to("records")
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            shutil.copyfile(Path(src) / rel, target)
            os.chmod(target, 0o400)  # as the store keeps its files: read-only, the owner's only
            self.records_written.append(target)

    def commit(self) -> None:
        pass

    def undo(self) -> None:
        for path in self.records_written:
            path.unlink(missing_ok=True)


class _SqliteTarget(_Target):
    dialect = "sqlite"

    def __init__(self, rt: Runtime):
        super().__init__(rt)
        self.path = Path(make_url(rt.database_url).database or "")
        self.tmp = self.path.with_name(f".{self.path.name}.restoring-{os.getpid()}")
        self.check_url = f"sqlite:///{self.tmp}"

    def require_empty(self) -> None:
        if self.path.exists() and self.path.stat().st_size > 0:
            with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True) as conn:
                tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
            if tables:
                raise RestoreError(f"目标数据库不是空的，拒绝覆盖 / the target database {self.path} is not empty ({tables} "
                                   f"tables): a restore goes into an empty database only", EXIT_TARGET)
        super().require_empty()

    def write(self, src: Path, manifest: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        shutil.copyfile(Path(src) / manifest["database"]["file"], self.tmp)
        os.chmod(self.tmp, 0o600)
        super().write(src, manifest)

    def commit(self) -> None:
        for suffix in ("-wal", "-shm"):  # the check's connections are closed: nothing is left in a WAL
            Path(f"{self.tmp}{suffix}").unlink(missing_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)  # of the empty file it replaces
        os.replace(self.tmp, self.path)

    def undo(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.tmp}{suffix}").unlink(missing_ok=True)
        super().undo()


class _PgTarget(_Target):
    dialect = "postgresql"

    def __init__(self, rt: Runtime, owner_url: str):
        super().__init__(rt)
        self.owner_url = owner_url
        self.check_url = owner_url
        self.wrote = False

    def _tables(self) -> list[str]:
        import psycopg

        with psycopg.connect(libpq_uri(self.owner_url)) as conn:
            return [r[0] for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")]

    def require_empty(self) -> None:
        tables = self._tables()
        if tables:
            name = make_url(self.owner_url).database
            raise RestoreError(f"目标数据库不是空的，拒绝覆盖 / the target database {name} is not empty ({len(tables)} "
                               f"tables, e.g. {tables[0]}): a restore goes into an empty database only", EXIT_TARGET)
        super().require_empty()

    def write(self, src: Path, manifest: dict[str, Any]) -> None:
        self.wrote = True
        result = subprocess.run([pg_tool("pg_restore"), "--single-transaction", "--exit-on-error", "--no-owner",
                                 "--no-password", "-d", libpq_uri(self.owner_url),
                                 str(Path(src) / manifest["database"]["file"])], capture_output=True, text=True)
        if result.returncode != 0:
            raise RestoreError(f"pg_restore 失败，未写入任何内容 / pg_restore failed, nothing was written: "
                               f"{result.stderr.strip()[:500]}", EXIT_TARGET)
        super().write(src, manifest)

    def undo(self) -> None:
        """Drop what pg_restore created, leaving the database as empty as it was found."""
        if self.wrote:
            import psycopg

            with psycopg.connect(libpq_uri(self.owner_url)) as conn:
                for (table,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")\
                        .fetchall():
                    conn.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')
                for (seq,) in conn.execute("SELECT sequence_name FROM information_schema.sequences "
                                           "WHERE sequence_schema = current_schema()").fetchall():
                    conn.execute(f'DROP SEQUENCE IF EXISTS "{seq}" CASCADE')
                for (signature,) in conn.execute(
                        "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                        "WHERE n.nspname = current_schema() AND p.prokind = 'f'").fetchall():
                    conn.execute(f"DROP FUNCTION IF EXISTS {signature} CASCADE")
        super().undo()
