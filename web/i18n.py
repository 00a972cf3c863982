"""The page language: Chinese first, English on request (`?lang=en`, remembered in the session).

Labels of procedures, states, steps, fields and refusal reasons come from the definitions and the engine
in both languages. The few words of the pages themselves (headings, buttons) are looked up here with
`_()`, using the Chinese text as the message id, so that moving to Flask-Babel later is a mechanical
change (the ids become a .po catalogue; `tests/web/test_i18n.py` checks every id has an English text).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import Flask, g, request, session

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
SESSION_KEY = "lang"


def current_lang() -> str:
    return g.get("lang", DEFAULT_LANG)


def paren(text: Any) -> str:
    """A parenthetical in the page language: （…） in Chinese, " (…)" in English."""
    return f" ({text})" if current_lang() == "en" else f"（{text}）"


def gettext(message: str, **params: Any) -> str:
    text = EN.get(message, message) if current_lang() == "en" else message
    return text.format(**params) if params else text


_ = gettext


def init_app(app: Flask) -> None:
    @app.before_request
    def choose_language() -> None:
        wanted = request.args.get("lang")
        if wanted in LANGS:
            session[SESSION_KEY] = wanted
        chosen = session.get(SESSION_KEY)
        g.lang = chosen if chosen in LANGS else DEFAULT_LANG

    # globals, not a context processor: imported macros see globals but not the page's context
    app.jinja_env.globals.update(_=gettext, current_lang=current_lang, paren=paren)

    @app.context_processor
    def language() -> dict[str, Any]:
        return {"lang": current_lang(), "html_lang": "en" if current_lang() == "en" else "zh-CN"}


EN: dict[str, str] = {
    # whole-process records
    "文件过大": "File too large",
    "上传的文件超过了本系统的上限，未予保存。请压缩或分段后重新上传，或联系系统管理员。":
        "The uploaded file exceeds this system's limit and was not kept. Compress or split it and upload again, "
        "or contact the administrator.",
    "该记录不存在。": "There is no such record.",
    "记录文件": "Record file",
    "文件按内容的SHA-256保存，保存后不可更改；单个文件不超过{mb} MB。":
        "Files are stored by the SHA-256 of their content and cannot be changed afterwards; at most {mb} MB each.",
    "执法全过程记录": "Whole-process record",
    "文字记录和音像记录按案件所处阶段归类；文件按内容哈希保存，审计校验时逐一重新计算。":
        "Text and audio-video records by the stage the case was in; files are stored by content hash and "
        "re-hashed when the audit trail is verified.",
    "各阶段均有记录，须全程音像记录的行为均有音像记录。":
        "Every stage has records, and every act that must be recorded on audio-video has its recording.",
    "记录不完整：": "Incomplete: ",
    "；": "; ",
    "「{stage}」阶段无记录": "no record in the stage '{stage}'",
    "「{act}」缺少音像记录": "'{act}' has no audio-video record",
    "阶段": "Stage",
    "记录名称": "Title",
    "格式与大小": "Format and size",
    "制作日期": "Made on",
    "登记人": "Registered by",
    "音像记录": "Audio-video record",
    "文字记录": "Text record",
    "时长{s}秒，设备：{device}，记录人：{who}": "{s} s, device: {device}, recorded by {who}",
    "文件缺失": "file missing",
    "字节": "bytes",
    "本阶段尚无记录": "no record in this stage yet",
    "须全程音像记录的执法行为": "Acts that must be recorded on audio-video",
    "事件{seq}": "event {seq}",
    "已有音像记录": "recorded on audio-video",
    "缺少音像记录": "no audio-video record",
    # punctuation
    "：": ": ",
    "、": ", ",
    "。": ". ",
    # layout
    "lawflow 行政决策与合法性审查": "lawflow administrative decisions and legality review",
    "跳到正文": "Skip to content",
    "主导航": "Main navigation",
    "案件": "Cases",
    "新建案件": "New case",
    "审计": "Audit",
    "退出": "Log out",
    "登录": "Log in",
    "当前用户": "Signed in as",
    # login
    "用户登录": "Sign in",
    "用户名": "User name",
    "密码": "Password",
    "用户名或密码不正确，或账号已停用。": "Wrong user name or password, or the account is disabled.",
    "请先登录。": "Please sign in first.",
    "已退出登录。": "You have been signed out.",
    "演示账号": "Demo accounts",
    "演示数据，所有人员均为虚构。统一密码：": "Demo data; all people are invented. Password for every account: ",
    "账号": "Account",
    "姓名": "Name",
    "单位": "Unit",
    "角色": "Roles",
    "办理角色": "Role",
    "案件编号": "Case",
    # case list
    "案件列表": "Cases",
    "本单位尚无案件。": "Your organisation has no cases yet.",
    "编号": "No.",
    "事项名称": "Title",
    "程序": "Procedure",
    "当前阶段": "Stage",
    "下一期限": "Next deadline",
    "最后更新": "Last update",
    "无": "none",
    "推算": "provisional",
    "推算日期：期限涉及尚无国务院节假日安排的年份，按周一至周五推算，公布安排后将重新计算。":
        "Provisional: the period reaches a year without a State Council holiday notice; weekdays were "
        "assumed and the date will be recomputed once the notice is entered.",
    # deadline wording
    "剩余{n}个工作日": "{n} working days left",
    "剩余{n}日": "{n} days left",
    "今日到期": "due today",
    "逾期{n}个工作日": "{n} working days overdue",
    "逾期{n}日": "{n} days overdue",
    "已过期限日": "past the due date",
    "尚余{n}个工作日届满": "ends in {n} working days",
    "尚余{n}日届满": "ends in {n} days",
    "今日届满，届满后方可办理": "ends today; the step is possible after it",
    "已届满": "period over",
    "办理时限": "time limit",
    "最短期间": "minimum period",
    "{n}个工作日": "{n} working days",
    "{n}日": "{n} days",
    # case page
    "版本": "Version",
    "立案时间": "Opened",
    "期限": "Deadlines",
    "本案当前没有进行中的期限。": "No period is running for this case.",
    "名称": "Name",
    "类型": "Kind",
    "起算日": "Starts",
    "期间": "Length",
    "届满日": "Due",
    "依据": "Basis",
    "案件记录": "Case record",
    "尚无记录。": "Nothing recorded yet.",
    "第{n}条": "Item {n}",
    "第{n}轮（已重新履行程序）": "Round {n} (the procedure was run again)",
    "此前各轮": "Earlier rounds",
    "{who}于{day}登记（事件{seq}）": "recorded by {who} on {day} (event {seq})",
    "{step}：{who}于{day}登记（事件{seq}）": "{step}: recorded by {who} on {day} (event {seq})",
    "可办理的步骤": "Steps you can take",
    "您当前没有可办理的步骤。": "There is no step you can take now.",
    "提交": "Submit",
    "必填": "required",
    "请选择": "Please choose",
    "是": "Yes",
    "否": "No",
    "每行一项": "one item per line",
    "未能办理「{step}」，原因如下：": "“{step}” was refused:",
    "未能办理，原因如下：": "The step was refused:",
    "已办理「{step}」，案件现处于「{state}」阶段（事件{seq}）。":
        "“{step}” done; the case is now at “{state}” (event {seq}).",
    "办理经过": "History",
    "序号": "Seq",
    "时间": "Time",
    "事项": "Event",
    "步骤": "Step",
    "阶段变化": "Stage",
    "办理人": "Actor",
    "内容": "Details",
    "查看提交内容": "Show submitted data",
    "立案": "opened",
    "办理": "step taken",
    "拒绝": "refused",
    "本案适用的程序版本未加载，只能查看，不能办理。":
        "The procedure version of this case is not loaded: it can be viewed but not changed.",
    # new case
    "提出": "Propose",
    "您的角色不能发起任何程序。": "Your roles cannot open a case in any procedure.",
    "须由{roles}发起。": "Opened by: {roles}.",
    "已立案：{case}。": "Case {case} opened.",
    "未能立案，原因如下：": "The case could not be opened:",
    # audit
    "审计概览": "Audit overview",
    "事件总数": "Events",
    "其中拒绝": "of which refused",
    "涉及案件": "Cases",
    "最近{n}条事件": "The latest {n} events",
    "尚无事件。": "No events yet.",
    "拒绝原因": "Reasons",
    "系统日志": "system journal",
    "完整性校验": "Integrity verification",
    "校验通过": "Verified",
    "校验未通过": "Verification FAILED",
    "事件数": "events",
    "案件数": "cases",
    "检查点": "checkpoints",
    "未纳入检查点的事件": "events not yet in a checkpoint",
    "签名": "signatures",
    "首个问题": "First problem",
    "系统管理员": "Administrator",
    # errors
    "请求有误": "Bad request",
    "无权访问": "Forbidden",
    "未找到": "Not found",
    "不支持的请求方法": "Method not allowed",
    "系统错误": "Server error",
    "请求无法处理。请返回上一页后重试。": "The request could not be processed. Go back and try again.",
    "您的账号无权查看此页面。": "Your account may not see this page.",
    "您要找的页面或案件不存在，或不属于本单位。": "The page or case does not exist or is not your organisation's.",
    "此页面不接受该请求方法。": "This page does not accept that request method.",
    "系统发生错误，已记录日志。请稍后重试；如问题持续，请联系系统管理员。":
        "Something went wrong and has been logged. Try again later; contact the administrator if it persists.",
    "表单已失效或来源不明（缺少或错误的安全令牌）。请返回、刷新页面后重新提交。":
        "The form has expired or did not come from this site (missing or wrong security token). "
        "Go back, reload the page and submit again.",
    "提交的表单缺少有效的案件版本号。请刷新页面后重试。":
        "The form lacks a valid case version. Reload the page and try again.",
    "返回案件列表": "Back to the cases",
    # public register (portal)
    "行政执法公示": "Enforcement publicity",
    "依据《中华人民共和国行政处罚法》第三十九条、第四十八条和国办发〔2018〕118号公开。":
        "Published under articles 39 and 48 of the Administrative Penalty Law and State Council Office document 118 (2018).",
    "执法人员": "Enforcement officers",
    "所在单位": "Unit",
    "执法证件号": "Certificate no.",
    "执法领域": "Field",
    "有效期至": "Valid until",
    "长期": "No end date",
    "暂无持有效执法证件的执法人员。": "No officer holds a valid certificate.",
    "行政处罚权事项": "Penalty powers",
    "本单位尚未登记赋予的行政处罚权事项。": "The organisation has not recorded its delegated penalty powers.",
    "执法程序及依据": "Procedures and their legal basis",
    "救济渠道": "Remedies",
    "公开的行政处罚决定": "Published penalty decisions",
    "决定书文号": "Decision no.",
    "案由": "Cause of action",
    "处罚种类": "Penalty",
    "作出决定日期": "Decided on",
    "公开日期": "Published on",
    "公开地点": "Where published",
    "逾期公开": "published late",
    "暂无公开的行政处罚决定。": "No decision is published.",
    "已撤回的公开决定": "Withdrawn decisions",
    "撤回日期": "Withdrawn on",
    "撤回理由": "Reason for withdrawal",
    "暂无撤回的公开决定。": "No decision was withdrawn.",
    # a limit a step ended (present._timeliness)
    "{period}：期限至{due}，{status}": "{period}: due {due}, {status}",
    "按期": "on time",
    "逾期": "late",
}


# Each area of the web app may keep its English texts in web/messages/en/<area>.json (message id -> text),
# so that areas built side by side do not edit one dictionary; they are merged into EN here.
MESSAGES_DIR = Path(__file__).resolve().parent / "messages" / "en"


def _load_area_messages() -> None:
    for path in sorted(MESSAGES_DIR.glob("*.json")):
        messages = json.loads(path.read_text(encoding="utf-8"))
        clash = sorted(k for k, v in messages.items() if k in EN and EN[k] != v)
        if clash:
            raise ValueError(f"{path}: messages already translated differently: {clash[:5]}")
        EN.update(messages)


_load_area_messages()
