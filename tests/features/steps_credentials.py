"""Step definitions for the certificates behind each in-person act (features/enforcement/08_执法资格与职责分离.feature).

Who holds which certificate is workflow/demo.py (蔡明: 闽QG-2024-0215, 市容环境卫生, 2024-01-01 to 2028-12-31); these
steps let a scenario end a certificate earlier, or give a new officer one. They change the certificate records as
an administrator would (workflow/accounts.py), never a case.
"""

from __future__ import annotations

from datetime import date, timedelta

from pytest_bdd import given, parsers
from sqlalchemy import select

from tests.features.steps import DATE, WHO, Scene, cn_date
from workflow import accounts
from workflow.db import writing
from workflow.demo import ORG
from workflow.models import EnforcementCertificate, RoleAssignment, User


def _end_certificates(scene: Scene, who: str, until: date) -> None:
    with writing(scene.town.sessions) as session:
        rows = session.scalars(select(EnforcementCertificate).where(
            EnforcementCertificate.username == scene.user(who), EnforcementCertificate.kind == "enforcement")).all()
        assert rows, f"{who} holds no enforcement certificate"
        for row in rows:
            row.valid_until = until


@given(parsers.re(WHO + r"的执法证件有效期截至昨日"))
def certificate_ended_yesterday(scene: Scene, who: str) -> None:
    _end_certificates(scene, who, scene.today() - timedelta(days=1))


@given(parsers.re(WHO + r"的执法证件有效期至" + DATE("until")))
def certificate_ends_on(scene: Scene, who: str, until: str) -> None:
    _end_certificates(scene, who, cn_date(until))


@given(parsers.re(r"综合执法队执法人员(?P<name>[\u4e00-\u9fff]{2,3})持有(?P<field>[\u4e00-\u9fff]+)领域的有效执法证件"))
def officer_with_certificate(scene: Scene, demo_password_hash: str, name: str, field: str) -> None:
    with writing(scene.town.sessions) as session:
        accounts.create_user(session, org_id=ORG, username="certified_officer", display_name=name, unit="综合执法队",
                             password_hash=demo_password_hash, roles=["enforcement_officer"])
        session.flush()
        accounts.add_certificate(session, username="certified_officer", number="闽QG-2026-0500", field=field,
                                 issued_on=date(2026, 1, 1), valid_until=date(2030, 12, 31),
                                 issuer="泉州市泉港区人民政府")
    scene.people[name] = "certified_officer"


@given(parsers.re(WHO + r"同时担任执法人员"))
def also_officer(scene: Scene, who: str) -> None:
    with writing(scene.town.sessions) as session:
        user = session.scalar(select(User).where(User.username == scene.user(who)))
        assert user is not None
        user.roles.append(RoleAssignment(role="enforcement_officer"))
