"""Canonical JSON profile: golden bytes, equality with RFC 8785 (rfc8785 as oracle), refusals with paths."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from workflow.audit.verifier import (
    EVENT_FIELDS,
    GENESIS,
    CanonicalError,
    EventFormatError,
    _event_text,
    canonical_bytes,
    event_hash,
    export_line,
    validate_event,
)

# --- golden bytes -----------------------------------------------------------------------------------

GOLDEN_OBJECT: dict[str, Any] = {
    "seq": 3,
    "case": "2026-JD-0001",
    "emoji": "\U0001f600 \U00020000",  # outside the BMP: raw UTF-8, no surrogate escapes
    "payload": {
        "title": "关于调整城区停车收费标准的决策",
        "ctrl": "tab\there\nnl\r\x00\x01\x1f\x7f\u2028\b\f",
        "quote": '"q" \\ /',
        "nested": {"z": [1, -2, 0, True, False, None, {"b": "", "a": []}], "a": {}},
        "big": 2**53 - 1,
        "neg": -(2**53) + 1,
    },
}
GOLDEN_TEXT = (
    '{"case":"2026-JD-0001","emoji":"\U0001f600 \U00020000","payload":{"big":9007199254740991,'
    '"ctrl":"tab\\there\\nnl\\r\\u0000\\u0001\\u001f\x7f\u2028\\b\\f",'
    '"neg":-9007199254740991,"nested":{"a":{},"z":[1,-2,0,true,false,null,{"a":[],"b":""}]},'
    '"quote":"\\"q\\" \\\\ /","title":"关于调整城区停车收费标准的决策"},"seq":3}'
)


def test_golden_canonical_bytes() -> None:
    assert canonical_bytes(GOLDEN_OBJECT) == GOLDEN_TEXT.encode("utf-8")
    assert rfc8785.dumps(GOLDEN_OBJECT) == GOLDEN_TEXT.encode("utf-8")


GOLDEN_EVENT: dict[str, Any] = {
    "format": "lawflow.audit.v1",
    "case": "2026-ZF-0002",
    "seq": 1,
    "kind": "created",
    "trigger": None,
    "from": None,
    "to": "filed",
    "actor": "u-li",
    "role": "officer",
    "at": "2026-11-29T23:09:39.123456Z",
    "procedure": "enforcement@2",
    "payload": {"party": "某某餐饮有限公司", "fine": "2000.00", "items": [{"code": "A1", "count": 2}]},
    "reasons": [],
    "prev": GENESIS,
}


def test_golden_event_hash() -> None:
    body = canonical_bytes(GOLDEN_EVENT)
    assert body.startswith(b'{"actor":"u-li","at":"2026-11-29T23:09:39.123456Z","case":"2026-ZF-0002",')
    # Pinned: any change to the canonical form or the hashed field set must fail loudly.
    assert event_hash(GOLDEN_EVENT) == hashlib.sha256(rfc8785.dumps(GOLDEN_EVENT)).hexdigest()
    assert event_hash(GOLDEN_EVENT) == "991b22060b666c67674660eada53be519b90e42a3b36dd7c3a846a1ca01df559"
    # `hash` and `type` are never hashed.
    assert event_hash({**GOLDEN_EVENT, "hash": "x", "type": "event"}) == event_hash(GOLDEN_EVENT)
    assert _event_text(GOLDEN_EVENT).encode() == body


def test_export_line_is_canonical_plus_newline() -> None:
    assert export_line({"b": 1, "a": "决"}) == '{"a":"决","b":1}\n'.encode()


# --- property: the stdlib encoder equals RFC 8785 inside the profile ---------------------------------

keys = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)
scalars = st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=20)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(keys, children, max_size=5),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None)
@given(values)
def test_canonical_equals_rfc8785(obj: Any) -> None:
    assert canonical_bytes(obj) == rfc8785.dumps(obj)


optional_text = st.none() | st.text(max_size=12)
events = st.fixed_dictionaries(
    {
        "format": st.just("lawflow.audit.v1"),
        "case": st.text(min_size=1, max_size=12),
        "seq": st.integers(1, 2**53 - 1),
        "kind": st.text(min_size=1, max_size=12),
        "trigger": optional_text,
        "from": optional_text,
        "to": optional_text,
        "actor": optional_text,
        "role": optional_text,
        "at": st.just("2026-11-29T23:09:39.123456Z"),
        "procedure": st.just("p@1"),
        "payload": st.dictionaries(keys, values, max_size=4),
        "reasons": st.lists(st.dictionaries(keys, values, max_size=3), max_size=3),
        "prev": st.just(GENESIS),
    }
)


@settings(max_examples=100, deadline=None)
@given(events)
def test_event_fast_path_text_equals_generic_encoder(ev: dict[str, Any]) -> None:
    """The verifier's copy-free event serializer must give exactly canonical_bytes of the event."""
    fast = _event_text(ev).encode("utf-8")
    assert fast == canonical_bytes({k: ev[k] for k in EVENT_FIELDS}) == rfc8785.dumps(ev)


# --- out of profile: refused, naming the path -------------------------------------------------------


def test_float_message_names_the_path() -> None:
    with pytest.raises(CanonicalError) as e:
        canonical_bytes({"payload": {"amount": 12.5}})
    assert str(e.value) == "payload.amount: floats are not allowed in audited data; use a decimal string"
    assert e.value.path == "payload.amount"


@pytest.mark.parametrize(
    ("obj", "path", "words"),
    [
        ({"payload": {"x": float("nan")}}, "payload.x", "NaN"),
        ({"payload": {"x": float("-inf")}}, "payload.x", "Infinity"),
        ({"payload": {"n": 2**53}}, "payload.n", "2**53"),
        ({"payload": {"n": -(2**53)}}, "payload.n", "2**53"),
        ({"payload": {"名称": "x"}}, "payload", "ASCII identifiers"),
        ({"payload": {"1a": 1}}, "payload", "ASCII identifiers"),
        ({"payload": {"a-b": 1}}, "payload", "ASCII identifiers"),
        ({"payload": {"": 1}}, "payload", "ASCII identifiers"),
        ({"payload": {1: "x"}}, "payload", "key 1 "),
        ({"payload": {"items": [1, (2, 3)]}}, "payload.items[1]", "tuples"),
        ({"payload": {"b": b"x"}}, "payload.b", "bytes"),
        ({"payload": {"s": {1, 2}}}, "payload.s", "set values"),
        ({"payload": {"s": "\ud800"}}, "payload.s", "lone surrogate"),
        ({"reasons": [{"article": "x", "w": 0.5}]}, "reasons[0].w", "floats"),
        ((1, 2), "(top level)", "tuples"),
        (1.0, "(top level)", "floats"),
    ],
)
def test_out_of_profile_refused(obj: Any, path: str, words: str) -> None:
    with pytest.raises(CanonicalError) as e:
        canonical_bytes(obj)
    assert e.value.path == path
    assert words in str(e.value)


def test_cyclic_structure_refused() -> None:
    a: list[Any] = []
    a.append(a)
    with pytest.raises(CanonicalError, match="nested too deeply"):
        canonical_bytes({"payload": a})


def test_event_hash_refuses_out_of_profile_payload() -> None:
    with pytest.raises(CanonicalError, match=r"^payload\.fine: floats"):
        event_hash({**GOLDEN_EVENT, "payload": {"fine": 2000.0}})


def test_subclasses_of_allowed_types_encode_like_their_base() -> None:
    from enum import IntEnum, StrEnum

    class Kind(StrEnum):
        CREATED = "created"

    class Level(IntEnum):
        HIGH = 3

    assert canonical_bytes({"k": Kind.CREATED, "l": Level.HIGH}) == b'{"k":"created","l":3}'


# --- event schema ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"format": "lawflow.audit.v2"}, "format"),
        ({"seq": 0}, "seq"),
        ({"seq": True}, "seq"),
        ({"case": ""}, "case"),
        ({"actor": 5}, "actor"),
        ({"at": "2026-11-29T23:09:39Z"}, "at"),
        ({"at": "2026-11-29 23:09:39.123456+08:00"}, "at"),
        ({"procedure": "enforcement"}, "procedure"),
        ({"payload": []}, "payload"),
        ({"reasons": ["x"]}, "reasons[0]"),
        ({"prev": "ABC"}, "prev"),
        ({"extra": 1}, "extra"),
    ],
)
def test_validate_event_names_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(EventFormatError) as e:
        validate_event({**GOLDEN_EVENT, **change})
    assert e.value.field == field


def test_validate_event_accepts_valid_and_checks_genesis() -> None:
    validate_event(GOLDEN_EVENT)
    validate_event({**GOLDEN_EVENT, "hash": event_hash(GOLDEN_EVENT)})
    with pytest.raises(EventFormatError, match="64 zeros"):
        validate_event({**GOLDEN_EVENT, "prev": "ab" * 32})
    missing = dict(GOLDEN_EVENT)
    del missing["role"]
    with pytest.raises(EventFormatError, match="'role' is missing"):
        validate_event(missing)
    with pytest.raises(CanonicalError, match=r"payload\.x"):
        validate_event({**GOLDEN_EVENT, "payload": {"x": 1.5}})
