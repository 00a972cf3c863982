"""GET /compliance: the organisation's compliance figures for a period, as `lawflow compliance --json` gives them.

For the oversight roles of the definitions only (their `pages.compliance`, workflow/pages.py): 审计监督人员
(auditor, both definitions), 行政机关负责人 (agency_head, enforcement_case) and 行政首长 (head, major_decision).
Anyone else, an officer included, gets 403: the figures name cases and people that fall short. The caller's own
organisation only.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask.views import MethodView

from web.access import roles_of
from web.api.auth import api_user
from web.api.base import ApiBlueprint, reader
from web.api.errors import ApiError, ErrorSchema, bilingual
from web.api.schemas import ComplianceArgs, ComplianceSchema
from web.runtime import runtime
from workflow.procedures.enforcement.compliance import compliance_figures, default_period
from workflow.visibility import visible_orgs

blp = ApiBlueprint("compliance", __name__, url_prefix="/compliance",
                   description="合规指标 / Compliance figures of the caller's organisation (行政处罚法, "
                               "国办发〔2018〕118号): auditors and heads")


@blp.route("")
class Compliance(MethodView):
    @blp.arguments(ComplianceArgs, location="query", as_kwargs=True)
    @blp.response(200, ComplianceSchema)
    @blp.alt_response(403, schema=ErrorSchema, description="Not an auditor, agency head or head; or another "
                      "organisation")
    @blp.doc(operationId="getCompliance")
    def get(self, org: str | None = None, start: date | None = None, end: date | None = None) -> dict[str, Any]:
        """The compliance figures of your organisation for a period (auditors, agency heads, heads)

        Seven figures, each a numerator over a denominator with the article it measures and the items that
        fall short; the same JSON as `lawflow compliance --json` (docs/operations.md). Open limits are judged
        as of today."""
        user = api_user()
        if not user.roles & roles_of("compliance"):  # the definitions' pages.compliance: auditors, heads
            raise ApiError(403, "compliance_roles_only", *bilingual(
                "合规指标仅限审计监督人员、行政机关负责人和行政首长查看"))
        rt = runtime()
        if org is not None and org != user.org_id:  # a supervisor: also the organisations below (issue 14)
            with rt.sessions() as session:
                below = visible_orgs(session, user.org_id, reader().supervising)
            if org not in below:
                raise ApiError(403, "own_organisation_only", *bilingual("只能查看本单位的合规指标"))
        today = rt.engine.today()
        first, last = default_period(today, start, end)
        if first > last:
            raise ApiError(422, "validation_error", details={"fields": {"query.from": [dict(zip(
                ("zh", "en"), bilingual("起始日期晚于截止日期"), strict=True))]}})
        with rt.sessions() as session:
            report = compliance_figures(session, org or user.org_id, first, last, registry=rt.registry,
                                        as_of=today)
        return report.as_dict()  # the CLI's --json, one implementation
