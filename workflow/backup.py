"""`lawflow backup DEST`: a consistent copy of everything an instance needs, with a manifest of hashes.

What goes in (docs/operations.md, "Backup and restore"):
  database/lawflow.sqlite3   SQLite: the online backup API (sqlite3.Connection.backup), which copies a
                             consistent snapshot while the app keeps serving (WAL: writers are not blocked)
  database/lawflow.pgdump    PostgreSQL: `pg_dump -Fc` run on a snapshot exported from a REPEATABLE READ
                             transaction, so that the manifest's facts and the list of evidence files are read
                             from exactly the state the dump holds (owner URL: --owner-url or
                             LAWFLOW_DATABASE_OWNER_URL; pg_dump from LAWFLOW_PG_BINDIR, PATH or
                             /usr/lib/postgresql/*/bin)
  records/objects/…          every evidence file an event of that snapshot names (files are immutable and
                             content-addressed; a file of a step committed after the snapshot is not copied)
  keys/<key_id>.pub.pem      the public half of every checkpoint key; the private signing key ONLY with
                             --include-private-key, said loudly on stderr and in the manifest
  config/instance.json       the instance's configuration (origin, database kind, where things live; no secret)
  MANIFEST.json              written last: SHA-256 and size of every file, each journal's last seq and hash, the
                             counts, the last checkpoint, the case-number counters

The organisations' settings (with their sources), users and the holiday calendar live in the database and come
with it. The web session key (<instance>/secret_key) is not copied: a restored instance makes a new one, which
only logs everybody out.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from workflow.clock import utc_stamp
from workflow.runtime import Runtime

FORMAT = "lawflow.backup.v1"
MANIFEST = "MANIFEST.json"
SQLITE_FILE = "database/lawflow.sqlite3"
PG_FILE = "database/lawflow.pgdump"
PRIVATE_KEY_FILE = "keys/PRIVATE-audit-signing.key"
PRIVATE_KEY_WARNING = ("此备份包含检查点签名私钥：持有者可签署检查点，必须与备份分开保管 / THIS BACKUP CONTAINS THE PRIVATE "
                       "CHECKPOINT SIGNING KEY: whoever holds it can sign checkpoints; keep it apart from the backups")


class BackupError(RuntimeError):
    """The backup could not be made; nothing is left at the destination."""


@dataclass
class Manifest:
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def files(self) -> dict[str, dict[str, Any]]:
        return self.data["files"]


# ---------------------------------------------------------------- PostgreSQL tools


def pg_tool(name: str) -> str:
    """pg_dump / pg_restore: LAWFLOW_PG_BINDIR, else the newest /usr/lib/postgresql/*/bin (a newer pg_dump reads
    an older server, not the reverse), else PATH."""
    bindir = os.environ.get("LAWFLOW_PG_BINDIR")
    candidates = [Path(bindir) / name] if bindir else []
    versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                      key=lambda p: [int(x) if x.isdigit() else 0 for x in p.parent.parent.name.split(".")])
    candidates += list(reversed(versions))
    found = shutil.which(name)
    if found:
        candidates.append(Path(found))
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    raise BackupError(f"找不到 {name} / {name} not found: install postgresql-client or set LAWFLOW_PG_BINDIR")


def libpq_uri(url: str) -> str:
    """A SQLAlchemy URL (postgresql+psycopg://…) as the libpq URI pg_dump, pg_restore and psycopg take."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def owner_url_for(rt: Runtime, given: str | None) -> str:
    url = given or os.environ.get("LAWFLOW_DATABASE_OWNER_URL") or rt.database_url
    if not url.startswith("postgresql"):
        raise BackupError("--owner-url 须为 PostgreSQL 地址 / --owner-url must be a PostgreSQL URL")
    return url


# ---------------------------------------------------------------- reading the facts of a snapshot


def facts(cursor: Any, placeholder: str) -> dict[str, Any]:
    """What the manifest says about a database snapshot, read with plain SQL on a DBAPI cursor (sqlite3 or
    psycopg) inside the snapshot's transaction."""
    def rows(sql: str, *params: Any) -> list[tuple[Any, ...]]:
        cursor.execute(sql.replace("?", placeholder), params)
        return list(cursor.fetchall())

    journals = {jid: {"seq": seq, "hash": head} for jid, seq, head in
                rows("SELECT id, audit_seq, audit_head FROM audit_journal ORDER BY id")}
    checkpoint = rows("SELECT format, origin, tree_size, root, issued_at, prev_checkpoint, key_id, signature "
                      "FROM audit_checkpoint ORDER BY tree_size DESC LIMIT 1")
    last = None
    if checkpoint:
        keys = ("format", "origin", "tree_size", "root", "issued_at", "prev_checkpoint", "key_id", "signature")
        last = dict(zip(keys, checkpoint[0], strict=True))
    counters = {f"{org}/{prefix}/{year}": n for org, prefix, year, n in
                rows("SELECT org_id, prefix, year, last_number FROM case_number_counter WHERE prefix <> '!HOLD'")}
    revision = rows("SELECT version_num FROM alembic_version")
    return {
        "journals": journals,
        "cases": rows("SELECT count(*) FROM case_file")[0][0],
        "events": rows("SELECT count(*) FROM audit_event")[0][0],
        "leaves": rows("SELECT count(*) FROM audit_leaf")[0][0],
        "case_heads_digest": _heads_digest(rows("SELECT id, audit_seq, audit_head FROM case_file ORDER BY id")),
        "last_checkpoint": last,
        "case_numbers": dict(sorted(counters.items())),
        "schema_revision": revision[0][0] if revision else None,
        "public_keys": {kid: pub for kid, pub in rows("SELECT key_id, public_key FROM audit_key ORDER BY key_id")},
        "named_records": sorted({_sha(payload) for (payload,) in
                                 rows("SELECT payload FROM audit_event WHERE kind = ?", "record_attached")} - {""}),
    }


def _heads_digest(heads: list[tuple[Any, ...]]) -> str:
    """One hash over every case's (id, last seq, last hash): the manifest stays small for a million cases, and
    a restore still checks every case's chain head against it."""
    h = hashlib.sha256()
    for case_id, seq, head in heads:
        h.update(f"{case_id}\t{seq}\t{head}\n".encode())
    return h.hexdigest()


def _sha(payload: Any) -> str:
    data = json.loads(payload) if isinstance(payload, str | bytes) else payload
    sha = str((data or {}).get("sha256", ""))
    return sha if len(sha) == 64 and all(c in "0123456789abcdef" for c in sha) else ""


# ---------------------------------------------------------------- making the backup


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def make_backup(rt: Runtime, dest: Path, *, owner_url: str | None = None, include_private_key: bool = False,
                warn: Callable[[str], None] = lambda _: None) -> Manifest:
    """Write the backup into `dest` (absent or empty). On any failure `dest` is removed again."""
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"备份目标不是空目录 / the backup destination {dest} exists and is not an empty folder")
    created = not dest.exists()
    dest.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        return _make(rt, dest, owner_url, include_private_key, warn)
    except BaseException:
        if created:
            shutil.rmtree(dest, ignore_errors=True)
        else:
            for child in dest.iterdir():
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        raise


def _make(rt: Runtime, dest: Path, owner_url: str | None, include_private_key: bool,
          warn: Callable[[str], None]) -> Manifest:
    (dest / "database").mkdir(mode=0o700)
    dialect = "postgresql" if rt.database_url.startswith("postgresql") else "sqlite"
    with _snapshot(rt, dest, owner_url, dialect) as snapshot:
        found = snapshot
    files: dict[str, dict[str, Any]] = {}
    db_file = SQLITE_FILE if dialect == "sqlite" else PG_FILE
    files[db_file] = {}
    altered = []
    for sha in found.pop("named_records"):
        source = rt.records.find(sha)
        rel = Path("records") / source.relative_to(rt.records.root)
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            shutil.copyfile(source, target)
        except FileNotFoundError:
            altered.append(f"{sha}: missing from the records store")
            continue
        files[str(rel)] = {}
        if file_sha256(target) != sha:
            altered.append(f"{sha}: the stored file does not hash to its name")
    for message in altered:
        warn(f"记录文件有问题 evidence file problem (copied as found; run lawflow records check): {message}")
    _keys(rt, dest, found["public_keys"], files)
    if include_private_key:
        if not Path(rt.key_path).exists():
            raise BackupError(f"签名私钥不存在 / there is no signing key at {rt.key_path}")
        target = dest / PRIVATE_KEY_FILE
        shutil.copyfile(rt.key_path, target)
        os.chmod(target, 0o400)
        files[PRIVATE_KEY_FILE] = {}
        warn(PRIVATE_KEY_WARNING)
    config = {"origin": rt.origin, "database": dialect, "instance": str(rt.instance),
              "signing_key_file": str(rt.key_path), "witness_dir": str(rt.witness_path),
              "max_record_bytes": rt.max_record_bytes}
    (dest / "config").mkdir(mode=0o700)
    (dest / "config" / "instance.json").write_text(json.dumps(config, ensure_ascii=False, indent=1) + "\n")
    files["config/instance.json"] = {}
    for rel in files:
        path = dest / rel
        files[rel] = {"sha256": file_sha256(path), "size": path.stat().st_size}
    manifest = {
        "format": FORMAT,
        "created_at": utc_stamp(rt.clock.now()),
        "origin": rt.origin,
        "database": {"dialect": dialect, "file": db_file},
        **{k: v for k, v in found.items() if k != "public_keys"},
        "public_keys": sorted(found["public_keys"]),
        "private_key_included": include_private_key,
        **({"warning": PRIVATE_KEY_WARNING} if include_private_key else {}),
        "evidence_problems": altered,
        "files": dict(sorted(files.items())),
    }
    tmp = dest / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    _fsync_tree(dest)
    os.replace(tmp, dest / MANIFEST)  # last: a folder without MANIFEST.json is not a backup
    return Manifest(manifest)


@contextmanager
def _snapshot(rt: Runtime, dest: Path, owner_url: str | None, dialect: str) -> Iterator[dict[str, Any]]:
    if dialect == "sqlite":
        path = Path(make_url(rt.database_url).database or "")
        if not path.is_file():
            raise BackupError(f"数据库文件不存在 / no database file at {path}")
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        target = sqlite3.connect(dest / SQLITE_FILE)
        try:
            # One step (pages=-1): the source's read transaction lasts exactly the copy; in WAL mode writers
            # go on meanwhile, and the copy is the database as of the start of that transaction.
            source.backup(target)
            cursor = target.cursor()
            cursor.execute("BEGIN")
            yield facts(cursor, "?")
            cursor.execute("COMMIT")
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        finally:
            target.close()
            source.close()
        return
    import psycopg

    url = libpq_uri(owner_url_for(rt, owner_url))
    with psycopg.connect(url, autocommit=True) as conn:  # the transaction is ours, begun explicitly
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot_id = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]  # type: ignore[index]
        result = subprocess.run([pg_tool("pg_dump"), "-Fc", "--no-password", f"--snapshot={snapshot_id}",
                                 "-f", str(dest / PG_FILE), "-d", url], capture_output=True, text=True)
        if result.returncode != 0:
            raise BackupError(f"pg_dump 失败 / pg_dump failed: {result.stderr.strip()[:500]}")
        with conn.cursor() as cursor:
            yield facts(cursor, "%s")
        conn.execute("ROLLBACK")


def _keys(rt: Runtime, dest: Path, public_keys: dict[str, str], files: dict[str, dict[str, Any]]) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from workflow.audit import signing

    (dest / "keys").mkdir(mode=0o700)
    for key_id, raw in public_keys.items():
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(raw))
        rel = f"keys/{key_id}.pub.pem"
        (dest / rel).write_text(signing.public_pem(key))
        files[rel] = {}


def _fsync_tree(root: Path) -> None:
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            fd = os.open(Path(dirpath) / name, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fd = os.open(dirpath, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def read_manifest(src: Path) -> dict[str, Any]:
    path = Path(src) / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{src} 不是完整的备份（没有 MANIFEST.json）/ {src} is not a complete backup: no "
                          f"MANIFEST.json") from None
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise BackupError(f"无法读取备份清单 / cannot read {path}: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("files"), dict):
        raise BackupError(f"{path} 不是 {FORMAT} 清单 / is not a {FORMAT} manifest")
    return data
