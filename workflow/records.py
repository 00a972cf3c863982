"""Whole-process records (全过程记录, 行政处罚法第四十七条): evidence files, stored by their content.

A file is streamed into a private temporary file while its SHA-256 and size are computed (`stage`), never
held in memory whole. The engine checks it (not empty, within the size limit, content of the declared
format) and, inside the transaction that writes the `record_attached` event, moves it to
`<instance>/records/objects/<first two hex>/<sha256>` (`commit`), read-only. The same content attached twice
is stored once. A refused or failed attachment leaves no file behind: the staged file is removed, and an
object this attempt created is removed again if its transaction does not commit.

The event carries the hash and size, so the hash chain covers the evidence; `lawflow audit verify` (and the
offline verifier with `--records`) re-hashes every file an event names.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from workflow.audit.canonical import check_file, record_path
from workflow.filemodes import private_dir

CHUNK = 1 << 20
DEFAULT_MAX_BYTES = 2 * 1024**3  # 2 GiB: a long 执法记录仪 video; an organisation may set it lower or higher


@dataclass(frozen=True)
class Format:
    """A file format a record may have: its kind of record, its media type and how its content starts."""

    name: str
    kind: str  # text | av  (文字记录 / 音像记录)
    media_type: str
    label: str


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


class RecordStore:
    """The evidence folder of an instance (`<instance>/records`)."""

    def __init__(self, root: str | Path, max_bytes: int = DEFAULT_MAX_BYTES):
        self.root = Path(root)
        self.max_bytes = max_bytes

    @property
    def objects(self) -> Path:
        return self.root / "objects"

    def path_of(self, sha256: str) -> Path:
        return Path(record_path(self.root, sha256))

    def stage(self, stream: BinaryIO | Iterable[bytes], filename: str = "") -> Staged:
        """Copy `stream` to a temporary file, hashing it. Past the size limit it stops reading and keeps
        nothing: the result says `too_large`, so that the engine refuses (and audits) the attempt."""
        tmp_dir = self.root / "tmp"
        private_dir(tmp_dir)  # 0700: partial uploads are personal data too
        path = tmp_dir / f"upload-{secrets.token_hex(12)}"
        digest, size, head = hashlib.sha256(), 0, b""
        chunks = iter(lambda: stream.read(CHUNK), b"") if hasattr(stream, "read") else iter(stream)
        try:
            with open(path, "xb") as out:
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
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        if size > self.max_bytes:
            path.unlink(missing_ok=True)
            return Staged(path, "", size, None, filename, too_large=True, limit=self.max_bytes, _done=True)
        return Staged(path, digest.hexdigest(), size, sniff(head), filename, limit=self.max_bytes)

    def stage_bytes(self, data: bytes, filename: str = "") -> Staged:
        return self.stage([data], filename)

    def commit(self, staged: Staged) -> StoredRecord:
        """Move a staged file to its content address (read-only). Idempotent for content already stored."""
        target = self.path_of(staged.sha256)
        private_dir(target.parent)
        if target.exists():
            staged.discard()
            return StoredRecord(staged.sha256, staged.size, target, created=False)
        os.chmod(staged.path, 0o400)  # read-only, and the owner's only (workflow/filemodes.py)
        os.replace(staged.path, target)  # same file system: atomic, so a reader never sees half a file
        staged._done = True
        _fsync_dir(target.parent)
        return StoredRecord(staged.sha256, staged.size, target, created=True)

    def remove_uncommitted(self, stored: StoredRecord) -> None:
        """Undo `commit` when the event's transaction failed: the file must not outlive its event."""
        if stored.created:
            stored.path.unlink(missing_ok=True)

    def check(self, sha256: str, size: int) -> str | None:
        """Re-hash a stored record. None when intact, otherwise what is wrong (in English, for the report)."""
        return check_file(self.path_of(sha256), sha256, size)  # the auditor's verifier: one implementation


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
