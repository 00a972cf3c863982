"""A field that is personal data only for some kinds of party (`personal_data.when:`, workflow/need_to_know.py): a
contract's counterparty is masked for readers without need-to-know only when it is a natural person
(个人信息保护法第四条: personal information is about natural persons; a company's name is not), and when its kind
was not recorded (a case recorded before the kind was asked may name a person). Checked on load, file/path/reason."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from workflow.case_reading import Reader
from workflow.definitions import DEFINITIONS_DIR, DefinitionError, load_file, load_registry

CONTRACT = DEFINITIONS_DIR / "contract_review.v1.yaml"
COMPANY = {"title": "摊位租赁合同", "counterparty": "泉州市某商贸有限公司", "counterparty_type": "legal_person"}
PERSON = {"title": "征收补偿协议", "counterparty": "林某某", "counterparty_type": "natural_person"}
OLDER = {"title": "租赁合同", "counterparty": "陈某某"}  # recorded before the kind was asked


def test_an_auditor_reads_a_companys_name_and_not_a_natural_persons() -> None:
    registry = load_registry()
    contract = registry.get("contract_review")
    auditor, drafter = Reader.of(registry, ["auditor"]), Reader.of(registry, ["drafter"])
    assert auditor.sees(contract) and not auditor.sees_personal(contract)
    assert auditor.data(contract, {"contract": COMPANY})["contract"]["counterparty"] == "泉州市某商贸有限公司"
    assert auditor.data(contract, {"contract": PERSON})["contract"]["counterparty"] == "林**"
    assert auditor.data(contract, {"contract": OLDER})["contract"]["counterparty"] == "陈**"
    assert auditor.payload(contract, "create", COMPANY)["counterparty"] == "泉州市某商贸有限公司"
    assert auditor.payload(contract, "create", PERSON)["counterparty"] == "林**"
    assert auditor.field(contract, "contract", "counterparty", "林某某", PERSON) == "林**"
    assert auditor.field(contract, "contract", "counterparty", "泉州市某商贸有限公司", COMPANY) == "泉州市某商贸有限公司"
    assert auditor.field(contract, "contract", "counterparty", "泉州市某商贸有限公司") == "泉**"  # kind unknown
    assert drafter.data(contract, {"contract": PERSON}) == {"contract": PERSON}  # their work needs it


def _problems(tmp_path: Path, change) -> list[tuple[str, str]]:
    raw = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    change(raw["visibility"]["personal_data"])
    path = tmp_path / CONTRACT.name
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_file(path)
    assert str(path) in str(info.value)
    return info.value.problems


@pytest.mark.parametrize(("rule", "where", "reason"), [
    ({"contract.title": {"field": "counterparty_type", "in": ["natural_person"]}},
     "visibility.personal_data.when.contract.title", "is not one of personal_data.fields"),
    ({"contract.counterparty": {"field": "party_kind", "in": ["natural_person"]}},
     "visibility.personal_data.when.contract.counterparty.field", "'party_kind' is not a field any step records"),
    ({"contract.counterparty": {"field": "counterparty_type", "in": ["person"]}},
     "visibility.personal_data.when.contract.counterparty.in", "'person' is not a choice of 'counterparty_type'"),
])
def test_a_when_names_a_masked_field_and_a_kind_recorded_beside_it(tmp_path: Path, rule, where, reason) -> None:
    def change(personal: dict) -> None:
        personal["when"] = rule
    problems = _problems(tmp_path, change)
    assert any(path == where and reason in why for path, why in problems), problems
