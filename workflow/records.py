"""Whole-process records (全过程记录, 行政处罚法第四十七条): evidence files, stored by their content.

A file is streamed into this process's staging folder while its SHA-256 and size are computed (`stage`), never
held in memory whole; once whole it is named by its hash (`<sha256>-<token>`). The engine checks it (not empty,
within the size limit, content of the declared format), commits the `record_attached` event that names the
hash, and only then moves the file to `<instance>/records/objects/<first two hex>/<sha256>` (`publish`),
read-only. The same content attached twice is stored once. A refused or failed attachment leaves nothing:
the staged file is removed.

Crash safety (roll-forward). Whatever moment a process is killed at, the store ends up with exactly the files
the events name, by `roll_forward` (run before a process's first upload and by `lawflow records check`):

- killed while receiving: a partial `upload-*` file in its staging folder, named by no event: deleted;
- killed after staging, before the commit: a `<sha256>-*` file no event names: deleted (personal data that
  was never recorded does not stay);
- killed after the commit, before the move: a `<sha256>-*` file an event names: moved into place.

Only a folder no live process can still commit from is ever cleaned. Each process stages in its own folder
`records/staging/<pid>-<token>` and holds an exclusive flock(2) on that folder while it may use it; the
kernel releases the lock when the process dies, however it dies (SIGKILL too), so "the lock can be taken" is
exactly "no writer is left" — no age bound. On PostgreSQL one more thing must be gone: a client killed just
after sending COMMIT has that COMMIT carried out by its server session afterwards, so the folder also waits
until no session named after its pid remains in pg_stat_activity (workflow/db.py names them; a reused pid
only makes it wait longer). SQLite commits inside the process: nothing of it can land once it is gone. The folder is locked under a
`.setup` name and only then renamed, so no one ever sees it unlocked while its owner lives. A live writer's
files are never deleted; one its event already names may be moved into place by anyone (a reader, the
roll-forward) as well as by the writer: the move is an atomic rename of identical content, and whoever comes
second finds it done. Readers ask `find(sha256)`, which does that move when an event's file is still staged
(committed a moment ago, or left by a killed writer), so a recorded file is always served. This needs a local
file system (flock and rename as POSIX gives them), as the content-addressed store already did.

The event carries the hash and size, so the hash chain covers the evidence; `lawflow audit verify` (and the
offline verifier with `--records`) re-hashes every file an event names.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import logging
import os
import re
import secrets
import shutil
import time
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from workflow.audit.canonical import check_file, record_path
from workflow.filemodes import private_dir

CHUNK = 1 << 20
STAGING = "staging"  # records/staging/<pid>-<token>/: one folder per live process (module docstring)
SETUP = ".setup"  # a staging folder's name while its owner locks it
SETUP_MAX_AGE = 3600.0  # seconds: a `.setup` folder this old lost its process before it was used (it is empty)
_STAGED_NAME = re.compile(r"([0-9a-f]{64})-[0-9a-f]+")
log = logging.getLogger(__name__)
DEFAULT_MAX_BYTES = 2 * 1024**3  # 2 GiB: a long 执法记录仪 video; an organisation may set it lower or higher


@dataclass(frozen=True)
class Format:
    """A file format a record may have: its kind of record, its media type and how its content starts."""

    name: str
    kind: str  # text | av  (文字记录 / 音像记录)
    media_type: str
    label: str


FORMAT_FIELD = "format"  # the attaching step's field that declares the file's format (a key of FORMATS)
FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("pdf", "text", "application/pdf", "PDF"),
    Format("docx", "text", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word"),
    Format("jpeg", "text", "image/jpeg", "JPEG 图片"),
    Format("png", "text", "image/png", "PNG 图片"),
    Format("txt", "text", "text/plain; charset=utf-8", "文本"),
    Format("mp4", "av", "video/mp4", "MP4 视频"),
    Format("mov", "av", "video/quicktime", "MOV 视频"),
    Format("avi", "av", "video/x-msvideo", "AVI 视频"),
    Format("mp3", "av", "audio/mpeg", "MP3 音频"),
    Format("wav", "av", "audio/wav", "WAV 音频"),
)}


def sniff(head: bytes) -> str | None:
    """The format the first bytes of a file show, or None if they match none we accept."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"PK\x03\x04"):
        return "docx"  # a zip container; Word's is the only one we accept
    if head[4:8] == b"ftyp":
        return "mov" if head[8:12] == b"qt  " else "mp4"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return "avi"
    if head.startswith(b"ID3") or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
            return "txt"
        except UnicodeDecodeError as exc:  # a multi-byte character cut by the sniffing window is fine
            if exc.start >= len(head) - 3 and exc.reason == "unexpected end of data":
                return "txt"
    return None


class StagingFolder:
    """This process's staging folder, exclusively flock-ed for as long as anything may stage or commit from it.

    The lock is held on the folder itself (an O_RDONLY descriptor of the directory), so an idle folder is
    empty. It is released when the last reference goes (the store and every Staged hold one), or when the
    process dies."""

    def __init__(self, parent: Path):
        private_dir(parent)
        name = f"{os.getpid()}-{secrets.token_hex(8)}"
        setup = parent / f"{name}{SETUP}"
        os.mkdir(setup, 0o700)
        fd = os.open(setup, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a fresh folder: nobody else can hold it
            self.path = parent / name
            os.rename(setup, self.path)  # visible under its real name only once locked
        except BaseException:
            os.close(fd)
            shutil.rmtree(setup, ignore_errors=True)
            raise
        self.pid = os.getpid()
        self._finalizer = weakref.finalize(self, _release, fd, self.path, self.pid)

    @property
    def usable(self) -> bool:
        """Still this process's and still there (a restore or a test may have emptied the store)."""
        return self.pid == os.getpid() and self.path.is_dir()


def _release(fd: int, path: Path, pid: int) -> None:
    if os.getpid() != pid:  # a forked child's copy: the folder and its lock are its parent's
        return
    with contextlib.suppress(OSError):
        os.rmdir(path)  # only if empty: a file left (a move that failed) waits for the roll-forward
    os.close(fd)


@dataclass
class Staged:
    """A file received but not yet attached: where it waits, its hash, size and what its content looks like."""

    path: Path
    sha256: str
    size: int
    sniffed: str | None
    filename: str = ""
    too_large: bool = False  # the stream went past the limit: reading stopped and nothing was kept
    limit: int = 0
    _done: bool = field(default=False, repr=False)
    _folder: StagingFolder | None = field(default=None, repr=False)  # keeps the folder locked while this lives

    def keep(self) -> None:
        """Its event has committed: whatever happens next, the file is not to be discarded."""
        self._done = True

    def discard(self) -> None:
        if not self._done:
            self._done = True
            self.path.unlink(missing_ok=True)


@dataclass(frozen=True)
class StoredRecord:
    sha256: str
    size: int
    path: Path
    created: bool  # False: the same content was already stored


@dataclass
class Recovery:
    """What a roll-forward did to the staging folders of processes that are gone (and live ones' recorded files)."""

    moved: int = 0  # files an event names, moved into place
    discarded: int = 0  # whole files no event names: never recorded, deleted
    partial: int = 0  # uploads cut off while being received, deleted
    damaged: int = 0  # files an event names whose content no longer hashes to their name, deleted
    folders: int = 0  # staging folders of dead processes removed
    live: int = 0  # files of live processes left alone (steps in flight)


Recorded = Callable[[set[str]], set[str]]  # which of these sha256 a committed record_attached event names
Committing = Callable[[int], bool]  # whether the database may still commit for this (dead) client pid


class RecordStore:
    """The evidence folder of an instance (`<instance>/records`).

    `recorded`, when given, answers which hashes the events name (workflow/records_check.recorded_in); the
    store then rolls forward what dead processes left before this process's first upload."""

    def __init__(self, root: str | Path, max_bytes: int = DEFAULT_MAX_BYTES, recorded: Recorded | None = None,
                 committing: Committing | None = None):
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.recorded = recorded
        self.committing = committing
        self._folder: StagingFolder | None = None

    @property
    def objects(self) -> Path:
        return self.root / "objects"

    @property
    def staging(self) -> Path:
        return self.root / STAGING

    def path_of(self, sha256: str) -> Path:
        return Path(record_path(self.root, sha256))

    def _staging_folder(self) -> StagingFolder:
        folder = self._folder
        if folder is None or not folder.usable:
            if self.recorded is not None and (folder is None or folder.pid != os.getpid()):
                try:  # this process's first upload: first settle what dead processes left
                    self.roll_forward(self.recorded, self.committing)
                except Exception:  # noqa: BLE001 - housekeeping; `records check` does it again, loudly
                    log.warning("records: the roll-forward of staged files failed", exc_info=True)
            folder = self._folder = StagingFolder(self.staging)
        return folder

    def stage(self, stream: BinaryIO | Iterable[bytes], filename: str = "") -> Staged:
        """Copy `stream` to this process's staging folder, hashing it; once whole, name it by its hash. Past
        the size limit it stops reading and keeps nothing: the result says `too_large`, so that the engine
        refuses (and audits) the attempt."""
        folder = self._staging_folder()
        token = secrets.token_hex(12)
        path = folder.path / f"upload-{token}"
        digest, size, head = hashlib.sha256(), 0, b""
        chunks = iter(lambda: stream.read(CHUNK), b"") if hasattr(stream, "read") else iter(stream)
        try:
            # the owner's only, whatever the umask (the folder is already: the file is too, workflow/filemodes.py)
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
                for chunk in chunks:
                    size += len(chunk)
                    if size > self.max_bytes:
                        break
                    if len(head) < 64:
                        head += chunk[:64 - len(head)]
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if size > self.max_bytes:
                path.unlink(missing_ok=True)
                return Staged(path, "", size, None, filename, too_large=True, limit=self.max_bytes, _done=True)
            sha256 = digest.hexdigest()
            named = folder.path / f"{sha256}-{token}"
            os.rename(path, named)
            # The name must be durable before an event can name the hash: a crash that undid the rename
            # would leave an `upload-*` file, which the roll-forward deletes as never recorded.
            _fsync_dir(folder.path)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return Staged(named, sha256, size, sniff(head), filename, limit=self.max_bytes, _folder=folder)

    def stage_bytes(self, data: bytes, filename: str = "") -> Staged:
        return self.stage([data], filename)

    def publish(self, staged: Staged) -> StoredRecord:
        """Move a staged file whose event has committed to its content address (read-only). Idempotent: for
        content already stored, or a file someone else already moved (see the module docstring)."""
        staged.keep()
        created = self._move(staged.path, staged.sha256)
        return StoredRecord(staged.sha256, staged.size, self.path_of(staged.sha256), created=created)

    commit = publish  # its earlier name (the move used to come before the commit)

    def _move(self, source: Path, sha256: str) -> bool:
        """Move `source` (content `sha256`) into place; False when that content was there already."""
        target = self.path_of(sha256)
        private_dir(target.parent)
        if target.exists():
            source.unlink(missing_ok=True)
            return False
        try:
            os.chmod(source, 0o400)  # read-only, and the owner's only (workflow/filemodes.py)
            os.replace(source, target)  # same file system: atomic, so a reader never sees half a file
        except FileNotFoundError:  # moved by another (a reader, the roll-forward): the same content
            if not target.exists():
                raise
            return False
        _fsync_dir(target.parent)
        return True

    def find(self, sha256: str) -> Path:
        """The file of content a committed event names, for reading: at its content address, moved there
        first if it is still staged (its writer committed a moment ago, or was killed before moving it).
        Only for hashes an event names: a staged file nobody recorded must never enter the store."""
        target = self.path_of(sha256)
        if target.exists() or not _STAGED_NAME.fullmatch(f"{sha256}-0"):
            return target
        for staged in self._staged_copies(sha256):
            try:
                self._move(staged, sha256)
                break
            except FileNotFoundError:
                continue
        return target

    def _staged_copies(self, sha256: str) -> list[Path]:
        try:
            folders = [e.path for e in os.scandir(self.staging) if e.is_dir() and not e.name.endswith(SETUP)]
        except FileNotFoundError:
            return []
        found = []
        for folder in folders:
            with contextlib.suppress(FileNotFoundError):
                found += [Path(folder, n) for n in os.listdir(folder) if n.startswith(sha256 + "-")]
        return found

    def roll_forward(self, recorded: Recorded, committing: Committing | None = None) -> Recovery:
        """Settle the staging folders (module docstring): in a dead process's folder, move the files an event
        names into place and delete the rest; in a live one, move only the files an event names. A process
        is dead when its folder's lock is free and `committing(pid)` says the database can no longer commit
        anything of it (PostgreSQL finishes a killed client's COMMIT on its own: records_check.server_sessions)."""
        done = Recovery()
        try:
            entries = list(os.scandir(self.staging))
        except FileNotFoundError:
            return done
        for entry in entries:
            if not entry.is_dir(follow_symlinks=False):
                continue
            if entry.name.endswith(SETUP):  # a process killed while locking its new (still empty) folder
                with contextlib.suppress(OSError):
                    if time.time() - entry.stat().st_mtime > SETUP_MAX_AGE:
                        shutil.rmtree(entry.path)
                continue
            self._settle(Path(entry.path), recorded, committing, done)
        return done

    def _settle(self, folder: Path, recorded: Recorded, committing: Committing | None, done: Recovery) -> None:
        try:
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        except FileNotFoundError:  # settled by another process meanwhile
            return
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                dead = True
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                    raise
                dead = False  # its process lives (this one included): it may still commit
            if dead and committing is not None:
                pid = folder.name.partition("-")[0]
                dead = not (pid.isdigit() and committing(int(pid)))  # its last COMMIT may be landing still
            try:
                names = os.listdir(folder)
            except FileNotFoundError:  # removed by the roll-forward that held the lock before us
                return
            staged = {n: m.group(1) for n in names if (m := _STAGED_NAME.fullmatch(n))}
            named = recorded(set(staged.values())) if staged else set()
            for name in names:
                path = folder / name
                sha = staged.get(name)
                if sha is not None and sha in named:
                    if dead and _sha256_of(path) != sha:  # cannot be the recorded content: never serve it
                        path.unlink(missing_ok=True)
                        done.damaged += 1
                        continue
                    with contextlib.suppress(FileNotFoundError):  # its live writer moved it meanwhile
                        if self._move(path, sha):
                            done.moved += 1
                elif not dead:
                    done.live += 1
                else:
                    path.unlink(missing_ok=True)
                    if sha is not None:
                        done.discarded += 1
                    else:
                        done.partial += 1
            if dead:
                with contextlib.suppress(OSError):  # not empty only if a move failed: kept for next time
                    os.rmdir(folder)
                    done.folders += 1
        finally:
            os.close(fd)

    def check(self, sha256: str, size: int) -> str | None:
        """Re-hash a stored record. None when intact, otherwise what is wrong (in English, for the report)."""
        return check_file(self.find(sha256), sha256, size)  # the auditor's verifier: one implementation


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
