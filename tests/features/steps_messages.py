"""Step definitions for the messages that leave lawflow (workflow/timers/robots.py, mail.py, minimal.py): a work
group's robot (a real HTTP server the scenario starts, tests/robot_sink.py) and a person's e-mail (a real SMTP
server, tests/smtp_sink.py), and what those messages may say (个人信息保护法第六条)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_bdd import given, parsers, then

from tests.features.steps import WHO, Scene
from tests.features.steps_timers import DEADLINES
from tests.robot_sink import RobotSink, robot_sink
from tests.smtp_sink import Sink, smtp_sink
from workflow import accounts
from workflow.db import writing
from workflow.demo import ORG
from workflow.timers import mail, minimal, robots

SOURCE = "后龙镇督查督办工作制度（示意）"
SECRET = "SECfeature0123456789"
KINDS = {zh.zh: kind for kind, zh in minimal.KINDS.items()}


@pytest.fixture
def robot_server() -> Iterator[RobotSink]:
    with robot_sink() as sink:
        yield sink


@pytest.fixture
def mail_server() -> Iterator[Sink]:
    with smtp_sink() as sink:
        yield sink


def _set(scene: Scene, key: str, value: object) -> None:
    with writing(scene.town.sessions) as session:
        accounts.set_setting(session, org_id=ORG, key=key, value=value, source=SOURCE, by="admin",
                             now=scene.clock.now())


@given(parsers.re(r'后龙镇设置(?P<kinds>[^"]+)发送至"(?P<group>[^"]+)"群机器人'))
def robot_set(scene: Scene, robot_server: RobotSink, kinds: str, group: str) -> None:
    wanted = [KINDS[k if k.endswith("通知") else f"{k}通知"] for k in kinds.replace("和", "、").split("、")]
    _set(scene, robots.ROBOTS, [f"{group} dingtalk {robot_server.url()} {SECRET}"])
    _set(scene, robots.ROUTES, [f"{group} {','.join(wanted)} *"])


@given(parsers.re(WHO + r"选择以邮件接收提醒"))
def wants_email(scene: Scene, mail_server: Sink, who: str) -> None:
    for key, value in ((mail.SMTP_HOST, "127.0.0.1"), (mail.SMTP_PORT, mail_server.port),
                       (mail.MAIL_FROM, "lawflow@houlong.gov.cn")):
        _set(scene, key, value)
    with writing(scene.town.sessions) as session:
        mail.set_channel(session, scene.user(who), f"{scene.user(who)}@houlong.gov.cn", True, scene.clock.now())


@then(parsers.re(r'"(?P<group>[^"]+)"收到本案"(?P<label>[^"]+)"的(?P<kinds>.+)各一条'))
def group_received(scene: Scene, robot_server: RobotSink, group: str, label: str, kinds: str) -> None:
    assert label in DEADLINES
    titles = sorted(r.body["markdown"]["title"] for r in robot_server.received)
    wanted = sorted(f"{k} {scene.case_id}" for k in kinds.split("和"))
    assert titles == wanted, f"{group} received {titles}"
    assert all(label in r.body["markdown"]["text"] for r in robot_server.received)


@then(parsers.re(r'发往工作群和(?P<who>[\u4e00-\u9fff]{2,3})邮箱的消息载明案件编号，不含当事人的姓名和案由'))
def messages_minimal(scene: Scene, robot_server: RobotSink, mail_server: Sink, who: str) -> None:
    case = scene.case()
    party = str(case.data["filing"]["party"]).split("（")[0]
    address = f"{scene.user(who)}@houlong.gov.cn"
    mails = [m for m in mail_server.received if m["To"] == address]
    assert robot_server.received and mails
    texts = [r.raw.decode("utf-8") for r in robot_server.received] + \
        [m["Subject"] + m.get_body().get_content() for m in mails]
    for text in texts:
        assert case.id in text and party not in text and case.title not in text, text
