"""docs/adding-a-procedure.md, followed: a throwaway family made in a temporary folder — a definition file and a
package with one guard citing its article — registered, loaded by the real definition loader and fired through
the real engine, on both databases. Its guard refuses with its article and the numbers it compared, the refusal
changes nothing, and the same step with a lawful payload passes.

The family here is a small 政府信息公开申请 (a request for government information): extending the reply period
needs the approval of the office's head and may add at most 20 working days (《中华人民共和国政府信息公开条例》
第三十三条第二款). The limit is a block of the family's own in its definition (`extension_limit:`), validated by
the real loader from the family's schema and check, and read by its guard: workflow/definitions.py knows nothing of it.
"""

from __future__ import annotations

import importlib
import json
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from marshmallow import Schema
from sqlalchemy import select

from workflow.definition_blocks import Block
from workflow.definitions import DefinitionErrors, load_registry
from workflow.models import AuditEvent, Case
from workflow.procedures import FAMILIES, GUARDS, DuplicateBlock, DuplicateGuard, guard_label
from workflow.runtime import Runtime

FAMILY = "info_request_throwaway"  # a package name no real family will take

DEFINITION = """\
# 政府信息公开申请 (a request for government information), version 1: a test's throwaway family.
procedure: info_request
version: 1
label: {zh: 政府信息公开申请, en: Request for government information}
legal_basis:
  - title: 中华人民共和国政府信息公开条例（2019年修订）
    articles: 第二十七条至第三十三条
roles:
  drafter: {zh: 承办人员, en: Case officer}
initial: received
create:
  label: {zh: 登记申请, en: Register the request}
  roles: [drafter]
  basis: 政府信息公开条例第二十九条
  record: {set: request}
  payload:
    applicant: {type: string, required: true, label: {zh: 申请人, en: Applicant}}
    description: {type: text, required: true, label: {zh: 所需信息, en: Information requested}}
extension_limit:
  step: extend_reply_period
  days: 20
  basis: 政府信息公开条例第三十三条第二款
states:
  received: {label: {zh: 已收到申请, en: Received}}
  extended: {label: {zh: 已延长答复期限, en: Reply period extended}}
  replied: {label: {zh: 已答复, en: Replied}, terminal: true}
transitions:
  - trigger: extend_reply_period
    source: received
    dest: extended
    label: {zh: 延长答复期限, en: Extend the reply period}
    roles: [drafter]
    basis: 政府信息公开条例第三十三条第二款
    guards: [reply_extension_lawful]
    record: {set: extension}
    payload:
      days: {type: integer, required: true, minimum: 1, maximum: 60, label: {zh: 延长工作日数, en: Working days added}}
      head_approved: {type: boolean, required: true, label: {zh: 经机构负责人同意, en: Approved by the head}}
  - trigger: reply
    source: [received, extended]
    dest: replied
    label: {zh: 作出答复, en: Reply}
    roles: [drafter]
    basis: 政府信息公开条例第三十六条
    record: {set: reply}
    payload:
      outcome: {type: text, required: true, label: {zh: 答复内容, en: Reply}}
"""

PACKAGE_INIT = f'''\
"""A throwaway family: a request for government information."""

from {FAMILY}.blocks import BLOCKS
from {FAMILY}.guards import GUARDS

NAME = "{FAMILY}"
'''

GUARDS_MODULE = f'''\
"""Guards of the request for government information."""

from workflow.guards import Fail, GuardContext, GuardTable

GUARDS = GuardTable("{FAMILY}")

OGI = "《中华人民共和国政府信息公开条例》"


@GUARDS.guard("reply_extension_lawful", article=f"{{OGI}}第三十三条第二款",
              zh="延长答复期限应当经政府信息公开工作机构负责人同意，延长的期限最长不得超过20个工作日",
              en="Extending the reply period needs the head's approval and adds at most 20 working days",
              needs=("extension_limit",))
def reply_extension_lawful(ctx: GuardContext) -> Fail | None:
    days, limit = ctx.payload["days"], ctx.procedure.block("extension_limit")
    if not ctx.payload["head_approved"]:
        return Fail("未经机构负责人同意", "not approved by the head")
    if days > limit.days:
        return Fail(f"拟延长{{days}}个工作日，超过{{limit.days}}个工作日",
                    f"{{days}} working days exceed {{limit.days}}")
    return None
'''

BLOCKS_MODULE = '''\
"""The family's own block: how far the reply period may be extended (第三十三条第二款: 最长不得超过20个工作日)."""

from dataclasses import dataclass

from marshmallow import RAISE, Schema, fields, validate

from workflow.definition_blocks import Block


class ExtensionLimitSchema(Schema):
    class Meta:
        unknown = RAISE

    step = fields.String(required=True)
    days = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    basis = fields.String(required=True, validate=validate.Length(min=1))


@dataclass(frozen=True)
class ExtensionLimit:
    step: str
    days: int
    basis: str


def build(raw):
    return ExtensionLimit(raw["step"], raw["days"], raw["basis"])


def check(data, choices_of):
    step = data["extension_limit"]["step"]
    if step not in {t["trigger"] for t in data["transitions"]}:
        return [("extension_limit.step", f"{step!r} is not a step of the procedure")]
    return []


BLOCKS = {"extension_limit": Block(ExtensionLimitSchema, build, check)}
'''


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


@pytest.fixture
def family(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The family's package, made in a temporary folder and registered as the guide says for a family kept
    outside workflow/procedures/; unregistered again afterwards."""
    _write(tmp_path / "families", {f"{FAMILY}/__init__.py": PACKAGE_INIT, f"{FAMILY}/guards.py": GUARDS_MODULE,
                                   f"{FAMILY}/blocks.py": BLOCKS_MODULE})
    monkeypatch.syspath_prepend(str(tmp_path / "families"))
    module = importlib.import_module(FAMILY)
    GUARDS.register(module)
    try:
        yield module
    finally:
        GUARDS.unregister(FAMILY)
        for name in [m for m in sys.modules if m == FAMILY or m.startswith(f"{FAMILY}.")]:
            del sys.modules[name]


@pytest.fixture
def definitions_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "definitions"
    _write(folder, {"info_request.v1.yaml": DEFINITION})
    return folder


def test_an_unregistered_family_s_block_is_an_unknown_key(definitions_dir: Path) -> None:
    with pytest.raises(DefinitionErrors) as raised:
        load_registry(definitions_dir)
    assert f"{definitions_dir / 'info_request.v1.yaml'}: extension_limit: Unknown field." in str(raised.value)


def test_an_unregistered_family_s_guard_is_unknown_to_the_loader(tmp_path: Path) -> None:
    folder = tmp_path / "without_block"
    _write(folder, {"info_request.v1.yaml": _without_block(DEFINITION)})
    with pytest.raises(DefinitionErrors) as raised:
        load_registry(folder)
    assert "unknown guard 'reply_extension_lawful'" in str(raised.value)


def _without_block(text: str) -> str:
    start = text.index("extension_limit:")
    return text[:start] + text[text.index("states:"):]


@pytest.mark.parametrize(("change", "path", "reason"), [
    (("days: 20", "days: 0"), "extension_limit.days", "Must be greater than or equal to 1."),
    (("days: 20", "days: twenty"), "extension_limit.days", "Not a valid integer."),
    (("  basis: 政府信息公开条例第三十三条第二款\n", ""), "extension_limit.basis", "Missing data for required field."),
    (("days: 20", "days: 20\n  weeks: 4"), "extension_limit.weeks", "Unknown field."),
    (("step: extend_reply_period", "step: extend"), "extension_limit.step", "'extend' is not a step of the procedure"),
])
def test_the_family_s_block_is_validated_naming_file_and_path(family: ModuleType, tmp_path: Path,
                                                              change: tuple[str, str], path: str, reason: str) -> None:
    folder = tmp_path / "bad"
    assert change[0] in DEFINITION
    _write(folder, {"info_request.v1.yaml": DEFINITION.replace(change[0], change[1], 1)})
    with pytest.raises(DefinitionErrors) as raised:
        load_registry(folder)
    assert f"{folder / 'info_request.v1.yaml'}: {path}: {reason}" in str(raised.value).splitlines()


def test_a_step_whose_guard_reads_the_block_needs_the_block(family: ModuleType, tmp_path: Path) -> None:
    folder = tmp_path / "without_block"
    _write(folder, {"info_request.v1.yaml": _without_block(DEFINITION)})
    with pytest.raises(DefinitionErrors) as raised:
        load_registry(folder)
    assert str(raised.value) == (f"{folder / 'info_request.v1.yaml'}: transitions.0.guards.0: the guard "
                                 "'reply_extension_lawful' reads the 'extension_limit' block, which this file does "
                                 "not give")


def test_the_family_s_block_is_built_and_kept_on_the_procedure(family: ModuleType, definitions_dir: Path) -> None:
    procedure = load_registry(definitions_dir).get("info_request")
    limit = procedure.block("extension_limit")
    assert (type(limit).__name__, limit.step, limit.days) == ("ExtensionLimit", "extend_reply_period", 20)
    assert set(procedure.blocks) == {"extension_limit"}
    assert procedure.block("severity") is None  # the enforcement family's block, not given here


def test_a_block_name_two_families_give_is_refused_naming_both(family: ModuleType) -> None:
    twin = ModuleType("twin")
    twin.NAME = "twin"  # type: ignore[attr-defined]
    twin.GUARDS = {}  # type: ignore[attr-defined]
    twin.BLOCKS = {"extension_limit": family.BLOCKS["extension_limit"]}  # type: ignore[attr-defined]
    with pytest.raises(DuplicateBlock, match=f"block 'extension_limit' is given by both the '{FAMILY}' and the "
                                             "'twin' families"):
        GUARDS.register(twin)
    assert GUARDS.block_family("extension_limit") == FAMILY and "twin" not in GUARDS.families


def test_a_block_may_not_take_a_key_every_definition_has(definitions_dir: Path) -> None:
    shadow = ModuleType("shadow")
    shadow.NAME = "shadow"  # type: ignore[attr-defined]
    shadow.GUARDS = {}  # type: ignore[attr-defined]
    shadow.BLOCKS = {"states": Block(Schema, dict)}  # type: ignore[attr-defined]
    GUARDS.register(shadow)
    try:
        with pytest.raises(DefinitionErrors, match="states: the 'shadow' family gives a block 'states', a key the "
                                                   "loader reads itself"):
            load_registry(definitions_dir)
    finally:
        GUARDS.unregister("shadow")
    assert "states" not in GUARDS.blocks


def test_the_registered_family_loads_and_its_guard_is_described(family: ModuleType, definitions_dir: Path) -> None:
    procedure = load_registry(definitions_dir).get("info_request")
    assert procedure.transition("extend_reply_period", "received").guards == ("reply_extension_lawful",)
    label = guard_label("reply_extension_lawful")
    assert label is not None and label.family == FAMILY
    assert label.article == "《中华人民共和国政府信息公开条例》第三十三条第二款"
    assert GUARDS.family_of("comment_period_lawful") == "major_decision"


def test_a_guard_name_two_families_define_is_refused_naming_both(family: ModuleType) -> None:
    twin = ModuleType("twin")
    twin.NAME = "twin"  # type: ignore[attr-defined]
    twin.GUARDS = {"reply_extension_lawful": family.GUARDS["reply_extension_lawful"]}  # type: ignore[attr-defined]
    with pytest.raises(DuplicateGuard, match=f"'reply_extension_lawful' is defined by both the '{FAMILY}' and "
                                             "the 'twin' families"):
        GUARDS.register(twin)
    assert GUARDS.family_of("reply_extension_lawful") == FAMILY


def test_the_installed_families_are_registered_once_each() -> None:
    assert [f.NAME for f in FAMILIES] == list(GUARDS.families)[: len(FAMILIES)]
    assert len(GUARDS) == sum(len(f.GUARDS) for f in FAMILIES)


def test_the_new_family_fires_through_the_engine(family: ModuleType, definitions_dir: Path, database_url: str,
                                                 tmp_path: Path, clock, demo_password_hash: str) -> None:
    from workflow.demo import seed_town

    rt = Runtime(instance=tmp_path / "instance", database_url=database_url,
                 key_path=tmp_path / "instance" / "audit-signing.key", clock=clock, definitions_dir=definitions_dir)
    rt.instance.mkdir(parents=True, exist_ok=True)
    try:
        seed_town(rt, demo_password_hash)  # zhangwei holds the role `drafter` the definition names
        opened = rt.engine.create_case("info_request", "zhangwei", {"applicant": "李明", "description": "2025年村道养护经费"})
        assert opened.ok, opened.reasons
        case_id = opened.case_id
        assert case_id

        refused = rt.engine.fire(case_id, "extend_reply_period", "zhangwei", {"days": 25, "head_approved": True})
        assert not refused.ok
        [reason] = refused.reasons
        assert reason.code == "reply_extension_lawful"
        assert reason.article == "《中华人民共和国政府信息公开条例》第三十三条第二款"
        assert reason.zh.endswith("：拟延长25个工作日，超过20个工作日")
        assert reason.en.endswith(": 25 working days exceed 20")
        with rt.sessions() as s:
            case = s.get(Case, case_id)
            assert case is not None and (case.state, case.version) == ("received", 1)
            refusal = s.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id)
                                .order_by(AuditEvent.seq.desc())).first()
            assert refusal is not None and refusal.kind == "refused"
            assert json.loads(refusal.reasons)[0]["code"] == "reply_extension_lawful"

        passed = rt.engine.fire(case_id, "extend_reply_period", "zhangwei", {"days": 20, "head_approved": True})
        assert passed.ok, passed.reasons
        assert rt.engine.fire(case_id, "reply", "zhangwei", {"outcome": "予以公开"}).ok
        with rt.sessions() as s:
            case = s.get(Case, case_id)
            assert case is not None and case.state == "replied"
            assert case.data["extension"]["days"] == 20
    finally:
        rt.db.dispose()
