"""Group robots of the messaging apps government offices use: a notice told to a work group through its robot's
webhook (企业微信群机器人, 钉钉自定义机器人), queued with the notice and sent by the timer worker
(workflow/timers/messages.py, through the shared outbox machinery of outbox.py).

Which robots exist and which notices each is told are organisation settings with their source
(notifications.robots: `名称 类型 地址 [加签密钥]`; notifications.robot_routes: `名称 通知类别 角色`), e.g. overdue
and escalation notices to the leaders' group. A robot is organisation-level, not personal: everyone in the group
reads it, so its messages never carry personal data (workflow/timers/minimal.py).

The wire formats, as their vendors document them (read in public copies of the vendors' pages and the vendors'
own sample code, 2026-12):
* WeCom (developer.work.weixin.qq.com/document/path/91770, 群机器人配置说明): POST JSON to
  https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=<key>, {"msgtype": "markdown", "markdown": {"content": ...}}
  (content at most 4096 bytes of UTF-8), or "text" with text.content (2048 bytes).
* DingTalk (open.dingtalk.com, 自定义机器人): POST JSON to https://oapi.dingtalk.com/robot/send?access_token=...,
  {"msgtype": "markdown", "markdown": {"title": ..., "text": ...}}. With 加签 (signing) on, the URL also carries
  `&timestamp=<ms>&sign=<s>`, where s = urlEncode(base64(HmacSHA256(key=secret, message=f"{timestamp}\n{secret}")))
  in UTF-8 (the vendor's Python sample: urllib.parse.quote_plus(base64.b64encode(hmac_code))), the timestamp
  within an hour of the server's time. The secret is the SEC... string of the robot's security settings.
* Both answer HTTP 200 with {"errcode": 0, "errmsg": "ok"}; any other errcode (a wrong key, a rate limit of 20
  messages a minute, a keyword filter) means the message was not taken: a failure, retried like any other.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.accounts import members_of, setting_values
from workflow.definitions import Registry
from workflow.models import Case, MessageOutbox
from workflow.timers import minimal
from workflow.timers.outbox import NotDelivered
from workflow.timers.schedule import DueAct

ROBOTS = "notifications.robots"
ROUTES = "notifications.robot_routes"
SITE_URL = "notifications.site_url"
KINDS = ("wecom", "dingtalk")
TIMEOUT = 10.0  # seconds: a robot that does not answer fails this message, never the worker's run
WECOM_MAX_BYTES = 4096


@dataclass(frozen=True)
class Robot:
    name: str
    kind: str  # wecom | dingtalk
    url: str
    secret: str = ""  # DingTalk's signing secret (加签); none: the URL is sent as it is


@dataclass(frozen=True)
class Route:
    robot: str
    kinds: frozenset[str]  # remind | overdue | escalation
    roles: frozenset[str] | None  # None: the notices of every role

    def takes(self, kind: str, roles: Iterable[str]) -> bool:
        return kind in self.kinds and (self.roles is None or bool(self.roles & set(roles)))


def robots_of(settings: Mapping[str, Any]) -> dict[str, Robot]:
    """The robots the setting lists (lines validated by the setting's pattern when stored; others are skipped)."""
    robots: dict[str, Robot] = {}
    for line in settings.get(ROBOTS) or ():
        parts = str(line).split()
        if len(parts) in (3, 4) and parts[1] in KINDS and parts[2].startswith(("http://", "https://")):
            robots[parts[0]] = Robot(parts[0], parts[1], parts[2], parts[3] if len(parts) == 4 else "")
    return robots


def routes_of(settings: Mapping[str, Any]) -> list[Route]:
    routes = []
    for line in settings.get(ROUTES) or ():
        parts = str(line).split()
        if len(parts) == 3:
            roles = None if parts[2] == "*" else frozenset(parts[2].split(","))
            routes.append(Route(parts[0], frozenset(parts[1].split(",")), roles))
    return routes


def queue(session: Session, act: DueAct, kind: str, recipients: list[str], now: datetime) -> None:
    """In the notice's own transaction: one message per robot whose route takes a notice of `kind` to these
    recipients (by their roles). Its key is the notice's (the timer act's) and the robot's: queued once."""
    if not recipients:
        return  # no one was told (an escalation with no superior in post): nothing for a group either
    settings = setting_values(session, act.org_id)
    routes = routes_of(settings)
    if not routes:
        return
    members = members_of(session, act.org_id)
    roles = {r for u in recipients if u in members for r in members[u].roles}
    robots = robots_of(settings)
    case = session.get(Case, act.case_id)
    if case is None:
        return
    for name in dict.fromkeys(r.robot for r in routes if r.takes(kind, roles) and r.robot in robots):
        key = f"robot:{name}:{act.case_id}:{act.deadline}:{act.started_on.isoformat()}:{act.act}:{kind}"[:200]
        if session.scalar(select(MessageOutbox.id).where(MessageOutbox.key == key)) is not None:
            continue
        label = minimal.KINDS.get(kind)
        session.add(MessageOutbox(
            org_id=act.org_id, key=key, channel="robot", target=name,
            subject=f"【lawflow {label.zh if label else kind}】{act.case_id}"[:300],
            facts={"case": act.case_id, "procedure": case.procedure, "version": case.procedure_version,
                   "deadline": act.deadline, "kind": kind, "due": act.limit_due.isoformat()},
            status="pending", attempts=0, next_attempt_at=now, last_error="", created_at=now))


# ---------------------------------------------------------------- sending


@dataclass(frozen=True)
class Request:
    robot: Robot
    body: dict[str, Any]


def prepare(registry: Registry, session: Session, row: MessageOutbox) -> Request | str:
    """The request for a claimed row, composed from its facts under the robot's current settings."""
    settings = setting_values(session, row.org_id)
    robot = robots_of(settings).get(row.target)
    if robot is None:
        return f"本单位未设置群机器人「{row.target}」 / the organisation has no robot {row.target!r} set"
    case = session.get(Case, row.facts["case"])
    try:
        procedure = registry.get(row.facts["procedure"], row.facts["version"])
    except KeyError:
        return f"未加载程序定义 {row.facts['procedure']} / procedure definition not loaded"
    facts = minimal.facts(procedure, row.facts["case"], row.facts["kind"], row.facts["deadline"], row.facts["due"])
    title, text = markdown(facts, str(settings.get(SITE_URL) or ""))
    # A group is read by everyone in it: scrubbed against this case's personal values whoever the notice was for.
    hidden = minimal.personal_values(procedure, case) if case is not None else []
    title, text = minimal.scrub(title, hidden), minimal.scrub(text, hidden)
    return Request(robot, body_of(robot.kind, title, text))


def markdown(facts: minimal.Facts, site_url: str) -> tuple[str, str]:
    """The message's title and its Markdown text (the subset both apps render: headings, bold, lists, links)."""
    title = f"{facts.kind.zh} {facts.case_id}"
    steps_zh = "、".join(s.zh for s in facts.steps) or "—"
    steps_en = "; ".join(s.en for s in facts.steps) or "—"
    lines = [f"### 【lawflow】{facts.kind.zh} / {facts.kind.en}",
             f"- 案件编号 Case: **{facts.case_id}**",
             f"- 程序 Procedure: {facts.procedure.zh} / {facts.procedure.en}",
             f"- 期限 Period: {facts.period.zh} / {facts.period.en}",
             f"- 应办步骤 Step: {steps_zh} / {steps_en}",
             f"- 届满日 Due: {facts.due}"]
    if site_url:
        lines.append(f"[查看案件 Open the case]({site_url.rstrip('/')}/cases/{urllib.parse.quote(facts.case_id)})")
    return title, "\n".join(lines)


def body_of(kind: str, title: str, text: str) -> dict[str, Any]:
    if kind == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
    content = text.encode("utf-8")[:WECOM_MAX_BYTES].decode("utf-8", errors="ignore")
    return {"msgtype": "markdown", "markdown": {"content": content}}


def sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's 加签: urlEncode(base64(HmacSHA256(secret, f"{timestamp}\\n{secret}"))), UTF-8."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def url_of(robot: Robot) -> str:
    if robot.kind != "dingtalk" or not robot.secret:
        return robot.url
    # The wall clock, not the app's injectable one: DingTalk compares it with its own time (within an hour).
    timestamp = int(time.time() * 1000)
    return f"{robot.url}{'&' if '?' in robot.url else '?'}timestamp={timestamp}&sign={sign(robot.secret, timestamp)}"


def send(request: Request) -> None:
    """POST the message; an HTTP error, a timeout or an answer other than errcode 0 raises (a failed attempt)."""
    data = json.dumps(request.body, ensure_ascii=False).encode("utf-8")
    http = urllib.request.Request(url_of(request.robot), data=data, method="POST",
                                  headers={"Content-Type": "application/json; charset=utf-8"})
    with urllib.request.urlopen(http, timeout=TIMEOUT) as response:  # noqa: S310 - the organisation's own URL
        answer = response.read(65536)
    try:
        result = json.loads(answer.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise NotDelivered(f"not a robot's answer: {answer[:200]!r}") from None
    if not isinstance(result, dict) or result.get("errcode") != 0:
        errcode = result.get("errcode") if isinstance(result, dict) else None
        errmsg = result.get("errmsg") if isinstance(result, dict) else None
        raise NotDelivered(f"errcode {errcode}: {errmsg}"[:300])
