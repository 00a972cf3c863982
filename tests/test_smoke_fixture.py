from workflow.models import Case


def test_refused_step_leaves_case_unchanged(town):
    engine = town.engine
    created = engine.create_case("major_decision", "zhangwei", {
        "title": "测试", "category": "public_policy", "proposer": "leader", "summary": "说明"})
    assert created.ok
    refused = engine.fire(created.case_id, "start", "zhangwei", {"lead_unit": "x"})
    assert not refused.ok and refused.codes == ["role_not_allowed"]
    with town.sessions() as s:
        case = s.get(Case, created.case_id)
        assert (case.state, case.version, case.audit_seq) == ("proposed", 1, 2)
