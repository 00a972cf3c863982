"""Who may read an instance's files: its owner only.

The instance folder holds the SQLite database (party names, addresses, fines), the evidence files (询问笔录,
audio-video of seizures), the web secret key and the audit status: none of it is for other accounts on the
machine. A default umask (022) would make every new file world-readable, so the command line and the web app
set the umask to 077 when they start, and the folders and files lawflow creates get 0700 and 0600 (stored
evidence 0400: read-only) even where the umask was not set (a library caller, a test).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

UMASK = 0o077
DIR_MODE = 0o700
FILE_MODE = 0o600


def restrict_umask() -> None:
    """Files and folders created from now on by this process are its owner's only."""
    os.umask(UMASK)


def private_dir(path: Path) -> Path:
    """Create the folder (and its missing parents) mode 0700. An existing folder keeps the mode its operator
    gave it: lawflow does not undo a deliberate choice (e.g. a backup group), `lawflow init` says so."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    for p in missing:  # mkdir's mode applies to the last folder only, and is masked by the umask
        with contextlib.suppress(OSError):
            os.chmod(p, DIR_MODE)
    return path


def private_sqlite_files(database: Path) -> None:
    """The SQLite database and its WAL and shared-memory files, group and others removed (0600)."""
    for p in (database, database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")):
        with contextlib.suppress(FileNotFoundError):
            mode = p.stat().st_mode & 0o777
            if mode & 0o077:
                os.chmod(p, mode & ~0o077)


def readable_by_others(path: Path) -> bool:
    try:
        return bool(path.stat().st_mode & 0o077)
    except FileNotFoundError:
        return False
