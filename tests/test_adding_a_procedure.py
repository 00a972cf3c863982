"""docs/adding-a-procedure.md, followed: a throwaway family made in a temporary folder — a definition file and a
package with one guard citing its article — registered, loaded by the real definition loader and fired through
the real engine, on both databases. Its guard refuses with its article and the numbers it compared, the refusal
changes nothing, and the same step with a lawful payload passes.

The family here is a small 政府信息公开申请 (a request for government information): extending the reply period
needs the approval of the office's head and may add at most 20 working days (《中华人民共和国政府信息公开条例》
第三十三条第二款).
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
from sqlalchemy import select

from workflow.definitions import DefinitionErrors, load_registry
from workflow.models import AuditEvent, Case
from workflow.procedures import FAMILIES, GUARDS, DuplicateGuard, guard_label
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

from {FAMILY}.guards import GUARDS

NAME = "{FAMILY}"
'''

GUARDS_MODULE = f'''\
"""Guards of the request for government information."""

from workflow.guards import Fail, GuardContext, GuardTable

GUARDS = GuardTable("{FAMILY}")

OGI = "《中华人民共和国政府信息公开条例》"
MAX_EXTENSION = 20  # 第三十三条第二款: 延长的期限最长不得超过20个工作日


@GUARDS.guard("reply_extension_lawful", article=f"{{OGI}}第三十三条第二款",
              zh="延长答复期限应当经政府信息公开工作机构负责人同意，延长的期限最长不得超过20个工作日",
              en="Extending the reply period needs the head's approval and adds at most 20 working days")
def reply_extension_lawful(ctx: GuardContext) -> Fail | None:
    days = ctx.payload["days"]
    if not ctx.payload["head_approved"]:
        return Fail("未经机构负责人同意", "not approved by the head")
    if days > MAX_EXTENSION:
        return Fail(f"拟延长{{days}}个工作日，超过{{MAX_EXTENSION}}个工作日",
                    f"{{days}} working days exceed {{MAX_EXTENSION}}")
    return None
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
    _write(tmp_path / "families", {f"{FAMILY}/__init__.py": PACKAGE_INIT, f"{FAMILY}/guards.py": GUARDS_MODULE})
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


def test_an_unregistered_family_s_guard_is_unknown_to_the_loader(definitions_dir: Path) -> None:
    with pytest.raises(DefinitionErrors) as raised:
        load_registry(definitions_dir)
    assert "unknown guard 'reply_extension_lawful'" in str(raised.value)


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
