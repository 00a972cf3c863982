"""What a step records beyond its form: the roll call of a meeting, and the file of a record with its hash.

The case data itself is a replay of the events (workflow/replay.py): fire() appends the event and computes
the row from it, as verification does. `record` is the same computation for tools that build case rows
without events (bench/scale.py).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow import inputs, replay
from workflow.audit.row_replay import record_step
from workflow.definitions import Transition
from workflow.engine.refusals import Reason, Refused
from workflow.models import RoleAssignment, User
from workflow.records import FORMAT_FIELD, FORMATS, RecordStore, Staged

log = logging.getLogger(__name__)


def take_roll(session: Session, transition: Transition, payload: dict[str, Any], org_id: str) -> dict[str, Any]:
    """The payload with the body's members not listed as present recorded as absent (in the event itself,
    so that the case data stays a function of its events), by user name."""
    spec = transition.roll_call
    assert spec is not None
    members = session.scalars(
        select(User.username).join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(User.org_id == org_id, User.active.is_(True), RoleAssignment.role.in_(spec.body))
        .distinct().order_by(User.username)).all()
    present = set(payload.get(spec.present) or ())
    return {**payload, spec.absent: [m for m in members if m not in present]}


def check_attachment(records: RecordStore | None, transition: Transition, payload: dict[str, Any],
                     attachment: Staged | None) -> None:
    """The file of a record (处罚法第四十七条): present, not empty, within the limit, of the declared format."""
    basis = transition.basis
    if not transition.attachment:
        if attachment is not None:
            raise Refused(Reason("attachment_not_accepted", f"「{transition.label.zh}」不接受附件",
                                 f"'{transition.label.en}' takes no file", basis, "file"))
        return
    if attachment is None:
        raise Refused(Reason("record_file_missing", "未上传记录文件", "no file was uploaded", basis, "file"))
    if records is None:
        raise Refused(Reason("record_store_unavailable", "本系统未配置记录文件存储目录，无法保存记录文件",
                             "this installation has no records folder configured", basis, "file"))
    # The name is kept with the record and offered as the download's name: it must show what the file is.
    attachment.filename, bad_name = inputs.filename(attachment.filename)
    if bad_name is not None:
        raise Refused(Reason("record_filename_invalid", f"{bad_name.zh}，请改名后重新上传",
                             f"{bad_name.en}; rename the file and upload it again", basis, "file"))
    if attachment.too_large:
        limit = _megabytes(attachment.limit)
        raise Refused(Reason("record_too_large", f"文件超过上传上限{limit}，未予保存",
                             f"the file exceeds the upload limit of {limit}; nothing was kept", basis, "file"))
    if attachment.size == 0:
        raise Refused(Reason("record_empty", "上传的文件为空", "the uploaded file is empty", basis, "file"))
    declared = FORMATS[payload[FORMAT_FIELD]]
    if attachment.sniffed != declared.name:
        found = FORMATS[attachment.sniffed].label if attachment.sniffed else "无法识别的格式"
        raise Refused(Reason(
            "record_format_mismatch", f"文件内容为「{found}」，与声明的格式「{declared.label}」不符",
            f"the file's content is {attachment.sniffed or 'of no accepted format'}, not the declared "
            f"{declared.name}", basis, "format"))


def attachment_payload(attachment: Staged, payload: dict[str, Any], stage: str) -> dict[str, Any]:
    """The checked file's hash and size go into the event's payload, and the record's kind (text / av)
    where the step does not ask for it: that of the declared format."""
    extra: dict[str, Any] = {"sha256": attachment.sha256, "size": attachment.size, "stage": stage}
    if "kind" not in payload:
        extra["kind"] = FORMATS[payload[FORMAT_FIELD]].kind
    if attachment.filename:
        extra["filename"] = attachment.filename
    return {**payload, **extra}


def store_attachment(records: RecordStore | None, attachment: Staged, recorded: list[Staged]) -> None:
    """Mark the checked file for its content address: fire() moves it there once the event has committed (a
    crash before that is rolled forward by the store: workflow/records.py)."""
    assert records is not None  # check_attachment refused otherwise
    recorded.append(attachment)


def publish_attachment(records: RecordStore | None, attachment: Staged) -> None:
    """Move a recorded file into place. The step has committed whatever happens here: a move that fails
    leaves the file staged, where readers still find it and the roll-forward moves it."""
    assert records is not None
    attachment.keep()
    try:
        records.publish(attachment)
    except OSError:
        log.warning("records: %s stays staged until the roll-forward", attachment.sha256, exc_info=True)


def record(transition: Transition, data: dict[str, Any], payload: dict[str, Any], actor: str, today: date,
           event_seq: int, timeliness: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The case data after the transition (replay's record_step, for tools that build rows without events,
    e.g. bench/scale.py): its payload stored where the definition says, with who and when."""
    return record_step(data, replay.step_spec(transition), transition.trigger, payload, actor, today.isoformat(),
                       event_seq, timeliness)


def _megabytes(n: int) -> str:
    return f"{n / 1024**2:,.0f} MB" if n >= 1024**2 else f"{n:,} 字节"
