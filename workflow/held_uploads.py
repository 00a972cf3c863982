"""Files received with a refused step, kept for the retry: a 20 MB video is never chosen twice (issue 16 item 4).

When a step that attaches a file is refused (a field missing, a guard, the case changed meanwhile), the engine
discards the staged upload: nothing of a refused attempt enters the records store. The person then corrects the
form and sends it again; without this they would have to choose the file again, and send it again over a slow
line. So the web form, before it asks the engine, also links the received file here; if the step is refused the
re-rendered form says which file is held and until when, and carries the hold's token; the retry without a new
file takes the held one, which is staged again like a fresh upload (its hash is computed again: the engine
checks what it is given, not what was said of it). A step taken, or a new file chosen, releases the hold.

A hold is the person's own: it names the user, the case and the step, and is handed out only to that user for
that case and step. It expires after `hours` (an instance setting, LAWFLOW_HELD_UPLOAD_HOURS, 24 by default: a
technical retention choice, not a legal period) and is deleted by the next hold or by `purge`, whichever comes
first. Held files live in `<records>/held/`, apart from the staging folders (whose roll-forward deletes what no
event names) and from the content-addressed store; they are the owner's only (0600), and a backup leaves them
out (workflow/backup.py copies the files events name).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from workflow.clock import parse_stamp, utc_stamp

DEFAULT_HOURS = 24
TOKEN = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class Hold:
    token: str
    user: str
    case_id: str
    trigger: str
    filename: str
    size: int
    until: datetime


class HeldUploads:
    """The held files of one instance (`<records root>/held`)."""

    def __init__(self, root: str | Path, hours: int = DEFAULT_HOURS) -> None:
        self.root = Path(root)
        self.hours = hours

    def _file(self, token: str) -> Path:
        return self.root / f"{token}.bin"

    def _meta(self, token: str) -> Path:
        return self.root / f"{token}.json"

    def hold(self, source: Path, *, user: str, case_id: str, trigger: str, filename: str, size: int,
             now: datetime) -> Hold:
        """Keep a copy of the received file `source` (a hard link where the file system allows: no second copy
        of a large video) for `user`'s retry of `trigger` on `case_id`."""
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.purge(now)
        token = secrets.token_hex(16)
        target = self._file(token)
        try:
            os.link(source, target)
        except OSError:  # another file system, or links not allowed: a copy
            shutil.copyfile(source, target)
        os.chmod(target, 0o600)
        hold = Hold(token, user, case_id, trigger, filename, size, now + timedelta(hours=self.hours))
        meta = {"user": user, "case": case_id, "trigger": trigger, "filename": filename, "size": size,
                "until": utc_stamp(hold.until)}
        fd = os.open(self._meta(token), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(meta, out, ensure_ascii=False)
        return hold

    def find(self, token: str, *, user: str, case_id: str, trigger: str, now: datetime) -> tuple[Hold, Path] | None:
        """The hold `token` if it is this user's, for this case and step, and not expired (None otherwise: the
        form then asks for the file again, as it would without holds)."""
        if not TOKEN.fullmatch(token or ""):
            return None
        try:
            meta = json.loads(self._meta(token).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        hold = Hold(token, meta["user"], meta["case"], meta["trigger"], meta["filename"], int(meta["size"]),
                    parse_stamp(meta["until"]))
        path = self._file(token)
        if (hold.user, hold.case_id, hold.trigger) != (user, case_id, trigger) or hold.until <= now \
                or not path.is_file():
            return None
        return hold, path

    def release(self, token: str) -> None:
        if TOKEN.fullmatch(token or ""):
            for path in (self._file(token), self._meta(token)):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()

    def purge(self, now: datetime) -> int:
        """Delete the expired holds (and any file left without its description); how many went."""
        if not self.root.is_dir():
            return 0
        gone = 0
        for meta in self.root.glob("*.json"):
            token = meta.stem
            try:
                until = parse_stamp(json.loads(meta.read_text(encoding="utf-8"))["until"])
            except (OSError, ValueError, KeyError):
                until = now  # unreadable: nothing can use it
            if until <= now:
                self.release(token)
                gone += 1
        for data in self.root.glob("*.bin"):
            if not self._meta(data.stem).exists():
                with contextlib.suppress(FileNotFoundError):
                    data.unlink()
        return gone
