"""Replay: a case row (state, version, data, title, procedure) is a function of its events (Python standard
library only). The engine records a step's data with record_step and the replay of its events with
replay_event (workflow/replay.py); the offline verifier recomputes every case row with the same functions.
Part of the auditor's one file (handout.py)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from workflow.audit.canonical import encode_checked_text

# --------------------------------------------------------------------------------------------------
# Replay: a case row (state, version, data, title, procedure) is a function of its events
# --------------------------------------------------------------------------------------------------

# Kept as they are when the procedure is run again (new_round): the opening of the case, and its files, one
# numbered series for the whole case (a file's number names its download; 条例第三十三条 archives them all).
ROUND_INDEPENDENT = ("proposal", "initiation", "declined", "records")
ROW_KINDS = frozenset({"created", "transition", "record_attached"})  # the kinds that change a case row
ROW_FIELDS = ("procedure", "title", "state", "version", "data")
_RECORD_MODES = ("set", "append", "update")
_STEP_KEYS = frozenset({"mode", "key", "match", "new_round"})


def local_day(at: str) -> str:
    """The Beijing date (UTC+8; China has kept no daylight saving since 1991) of an event's UTC ``at``."""
    if at[11:13] < "16":
        return at[:10]
    y, m, d = int(at[:4]), int(at[5:7]), int(at[8:10])
    days = (31, 29 if y % 4 == 0 and (y % 100 != 0 or y % 400 == 0) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    if d < days[m - 1]:
        return f"{y:04d}-{m:02d}-{d + 1:02d}"
    return f"{y + 1:04d}-01-01" if m == 12 else f"{y:04d}-{m + 1:02d}-01"


def record_step(
    data: Mapping[str, Any],
    step: Mapping[str, Any] | None,
    trigger: str,
    payload: Mapping[str, Any],
    actor: str | None,
    recorded_on: str,
    event_seq: int,
    timeliness: Mapping[str, Any] | None = None,
    *,
    in_place: bool = False,
) -> dict[str, Any]:
    """The case data after a step: its payload stored where the definition's ``record:`` says, with who and
    when. ``step`` is the step's record spec as the export carries it (``mode`` set / append / update or
    null, ``key``, ``match``, ``new_round``); None when the step records nothing.

    ``in_place``: the caller owns ``data`` and every list in it (the verifier's replay), so they are changed
    instead of copied; the result is the same."""
    # Copy-on-write instead of a deep copy: only the containers this step changes are copied, so `data`
    # is never mutated and untouched entries are shared, not duplicated.
    new = data if in_place and type(data) is dict else dict(data)
    if step is None:
        return new
    if step.get("new_round"):  # e.g. a major adjustment re-runs the procedure (条例第三十七条)
        kept = {k: new.pop(k) for k in ROUND_INDEPENDENT if k in new}
        earlier = new.pop("previous_rounds", [])
        new = {**kept, "previous_rounds": [*earlier, new]}
    mode, key = step.get("mode"), step.get("key")
    if mode is None:
        return new
    meta: dict[str, Any] = {"recorded_by": actor, "recorded_on": recorded_on, "event_seq": event_seq,
                            "trigger": trigger}
    if timeliness:
        meta["timeliness"] = dict(timeliness)
    if mode == "set":
        if key in new:  # keep what this replaces: a later rule may need it (e.g. 条例第三十六条)
            superseded = dict(new.get("superseded", {}))
            superseded[key] = [*superseded.get(key, []), new[key]]
            new["superseded"] = superseded
        new[key] = {**payload, **meta}
    elif mode == "append":
        items = new.get(key)
        items = items if in_place and type(items) is list else list(items or [])
        items.append({**payload, **meta, "no": len(items) + 1})
        new[key] = items
    else:  # update: the item whose `no` the payload names (a guard has checked that it exists)
        match = step.get("match") or ""
        no = payload.get(match)
        if key in new:
            items = new[key] = list(new[key])
            for i, item in enumerate(items):
                if isinstance(item, Mapping) and item.get("no") == no:
                    items[i] = item = dict(item)
                    item.update({k: v for k, v in payload.items() if k != match})
                    item.update({f"{k}_{trigger}": v for k, v in meta.items() if k != "trigger"})
    return new


def replay_event(
    row: Mapping[str, Any] | None,
    event: Mapping[str, Any],
    step: Mapping[str, Any] | None,
    *,
    in_place: bool = False,
) -> dict[str, Any] | None:
    """THE replay function: the case row after ``event``, from the row before it (None before the first
    event) and the record spec of the event's step. The engine computes every new case row with it, and
    verification recomputes every case from its events with it, so a row is a function of its history.

    A row holds ``procedure`` (id@version), ``title``, ``state``, ``version``, ``data``, and the chain head
    ``head_seq`` / ``head_hash``. A ``created`` event opens the row; ``transition`` and ``record_attached``
    move it (state = the event's ``to``, version + 1, data by ``record_step``); any other kind (a refusal)
    moves only the head. Returns None while there is no row (a chain that has no ``created`` event).
    ``in_place``: the caller owns ``row`` (and its data), which is updated and returned (see record_step)."""
    kind = event["kind"]
    if kind in ROW_KINDS:
        facts = event.get("facts")
        timeliness = facts.get("timeliness") if isinstance(facts, Mapping) else None
        payload = event["payload"]
        if kind == "created":
            base: Mapping[str, Any] = {}
            new = {"procedure": event["procedure"], "title": payload.get("title", ""), "version": 1}
        elif row is None:  # a step before the case was opened: no row can come of it
            return None
        else:
            base = row["data"]
            if in_place and type(row) is dict:
                new = row
                new["version"] += 1
            else:
                new = {"procedure": row["procedure"], "title": row["title"], "version": row["version"] + 1}
        new["state"] = event["to"]
        new["data"] = record_step(base, step, event["trigger"] or "", payload, event["actor"],
                                  local_day(event["at"]), event["seq"], timeliness, in_place=in_place)
    elif row is None:
        return None
    else:
        new = row if in_place and type(row) is dict else dict(row)
    new["head_seq"] = event["seq"]
    new["head_hash"] = event["hash"]
    return new


def step_problem(step: object) -> str | None:
    """Why a record spec of an export's ``procedure`` record is malformed, or None."""
    if step is None:
        return None
    if type(step) is not dict or not step.keys() <= _STEP_KEYS:
        return "a step's record spec must be null or an object with mode, key, match, new_round"
    mode = step.get("mode")
    if mode is not None and (mode not in _RECORD_MODES or type(step.get("key")) is not str):
        return "mode must be set, append, update or null, with a string key"
    if mode == "update" and type(step.get("match")) is not str:
        return "an update names the payload field that matches the item (match)"
    if type(step.get("new_round", False)) is not bool:
        return "new_round must be true or false"
    return None


def row_difference(stored: Mapping[str, Any], replayed: Mapping[str, Any],
                   encode: Callable[[Any], Any] = encode_checked_text) -> tuple[str, str] | None:
    """(field, description) of the first difference between a stored case row and its replay, or None.
    Types count: 1 and true and 1.0 are different values here, as they are in the canonical JSON.

    ``encode``: a type-exact serialisation with sorted keys, used to find equal fields in one C call (the
    canonical encoder; the database's verifier passes orjson's, several times faster). A field whose texts
    differ, or that it cannot encode, is compared item by item, so it decides nothing on its own."""
    for name in ROW_FIELDS:
        if name not in stored:
            return name, f"the case row has no {name}"
        a, b = stored[name], replayed.get(name)
        try:  # the canonical text is type-exact (1, true and 1.0 print differently) and costs one C call
            if encode(a) == encode(b):
                continue
        except (TypeError, ValueError):
            pass
        found = _difference(a, b, name)
        if found is not None:
            return found
    return None


def _difference(a: object, b: object, path: str) -> tuple[str, str] | None:
    if type(a) is not type(b):
        return path, f"the row has {_short(a)}, its events give {_short(b)}"
    if type(a) is dict:
        assert isinstance(a, dict) and isinstance(b, dict)
        for k in sorted(a.keys() | b.keys(), key=str):
            where = f"{path}.{k}"
            if k not in b:
                return where, f"the row has {_short(a[k])}, its events give nothing"
            if k not in a:
                return where, f"the row has nothing, its events give {_short(b[k])}"
            found = _difference(a[k], b[k], where)
            if found is not None:
                return found
        return None
    if type(a) is list:
        assert isinstance(a, list) and isinstance(b, list)
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            found = _difference(x, y, f"{path}[{i}]")
            if found is not None:
                return found
        if len(a) != len(b):
            return path, f"the row has {len(a)} items, its events give {len(b)}"
        return None
    if a != b:
        return path, f"the row has {_short(a)}, its events give {_short(b)}"
    return None


def _short(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=repr)
    return text if len(text) <= 80 else text[:77] + "..."


