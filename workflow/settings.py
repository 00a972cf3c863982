"""The catalogue of organisation settings: every rule the law leaves to the organisation that the engine reads.

Each setting is stored with the document that sets it (OrgSetting.source, legal-facts §12 "locally set
rules"). This module declares, once, what each key is: its type, its labels, the law that leaves it to the
organisation and why it cannot be a constant, and the values it may take where they are known. A new value
is validated against that type (marshmallow) before it is stored; problems name the place in the value.

tests/test_settings.py reads the code and the definitions for every setting key they use and fails if one
is missing here, so a new local rule cannot be added without declaring it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from workflow.definitions import Label, Registry
from workflow.payloads import MESSAGES_ZH
from workflow.procedures.enforcement.law import (
    DELEGATED_POWERS,
    EXTENSION_DAYS,
    LARGE_FINE_THRESHOLD,
    MANDATORY_AV_ACTS,
    REVIEW_CATALOGUE,
)
from workflow.procedures.information_request.law import (
    FEE_BAND,
    FEE_FREE_REQUESTS,
    FEE_PAGE_TIERS,
    FEE_PER_REQUEST,
    FEE_TIER_END,
    FEE_TIME_PAUSES_CLOCK,
)
from workflow.procedures.major_decision.law import FORUM_SETTING, QUORUM_SETTING
from workflow.procedures.rule_of_law_report.law import COPY_TO, REPORT_BY, REPORT_CODE, REPORT_TO
from workflow.typed_dates import LATE_ENTRY_DAYS

# Value types. The stored value is JSON without floats (it goes into the hashed audit payload too).
STRING = "string"  # one line of text
INTEGER = "integer"  # a whole number within [minimum, maximum]
STRING_LIST = "string_list"  # a list of lines of text
TRIGGER_LIST = "trigger_list"  # steps (triggers) of one procedure
POWER_LIST = "power_list"  # [{"field": 执法领域, "power": 处罚事项}]
AMOUNTS_BY_PARTY = "amounts_by_party"  # {"individual": "10000", "organisation": "100000"}: decimal text, yuan
TYPES = (STRING, INTEGER, STRING_LIST, TRIGGER_LIST, POWER_LIST, AMOUNTS_BY_PARTY)
TYPE_LABELS = {
    STRING: Label("文本", "Text"),
    INTEGER: Label("整数", "Whole number"),
    STRING_LIST: Label("文本列表（每行一项）", "List of texts (one a line)"),
    TRIGGER_LIST: Label("程序步骤列表", "List of procedure steps"),
    POWER_LIST: Label("执法领域及处罚事项列表", "List of fields and penalty powers"),
    AMOUNTS_BY_PARTY: Label("按当事人类型的金额（元）", "Amounts by party type (yuan)"),
}
PARTY_TYPES = {"individual": Label("公民", "Individual"), "organisation": Label("法人或者其他组织", "Organisation")}
POWER_FIELDS = {"field": Label("执法领域", "Field"), "power": Label("处罚事项", "Penalty power")}
TEXT_MAX = 500


@dataclass(frozen=True)
class SettingSpec:
    key: str
    type: str
    label: Label
    basis: str  # the law that leaves the rule to the organisation (or to a local rule it applies)
    why_local: Label  # why the value cannot be a constant in the code or the definitions
    source_example: str  # the kind of document that sets it: what to write as its source
    minimum: int | None = None  # INTEGER: a sanity range, not a legal limit (the source document sets the value)
    maximum: int | None = None
    procedure: str | None = None  # TRIGGER_LIST: the procedure whose steps may be listed
    examples: tuple[str, ...] = ()  # values in use elsewhere (not a closed list)
    pattern: tuple[str, str, str] | None = None  # STRING (STRING_LIST: each line): (regular expression, zh, en)
    # a credential (a robot's webhook key, a signing secret): the administration journal, which auditors read and
    # export, records its SHA-256 and never the value (workflow/administration.py change_setting)
    secret: bool = False

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"setting {self.key}: unknown type {self.type!r}")


CATALOGUE: tuple[SettingSpec, ...] = (
    SettingSpec(
        FORUM_SETTING, STRING, Label("集体讨论会议形式", "Forum of the collective discussion"),
        "《重大行政决策程序暂行条例》第三十条；《地方组织法》第六条、第七十七条",
        Label("条例所称常务会议、全体会议只适用于县级以上政府；乡镇以何种会议集体讨论重大决策由本机关确定（legal-facts §2.8）。",
              "The regulation's executive and plenary meetings exist only from county level up; a town decides "
              "which meeting discusses major decisions (legal-facts §2.8)."),
        "本镇人民政府工作规则或议事规则的条款",
        examples=("镇长办公会议", "镇政府全体会议", "党政联席会议"),
    ),
    SettingSpec(
        DELEGATED_POWERS, POWER_LIST, Label("赋予本单位的行政处罚权", "Penalty powers delegated to the organisation"),
        "《中华人民共和国行政处罚法》第二十四条",
        Label("乡镇只能行使省级人民政府决定交由其行使的行政处罚权，范围以公布的赋权决定和事项清单为准。",
              "A town holds only the penalty powers the province hands to it, as its published decision lists."),
        "省人民政府赋权决定及区县公布的赋权事项清单",
    ),
    SettingSpec(
        LARGE_FINE_THRESHOLD, AMOUNTS_BY_PARTY, Label("较大数额罚款标准", "Threshold of a large fine"),
        "《中华人民共和国行政处罚法》第六十三条",
        Label("“较大数额”由省级或者有关部门规定，法律未规定具体数额；达到标准的罚款、没收当事人可要求听证。",
              "What a large fine is, is set by provincial or departmental rules; from it on the party may ask "
              "for a hearing."),
        "福建省或有关部门关于较大数额罚款标准的规定",
    ),
    SettingSpec(
        REVIEW_CATALOGUE, STRING_LIST, Label("重大执法决定法制审核目录清单", "Catalogue of decisions needing legal review"),
        "《中华人民共和国行政处罚法》第五十八条第一款第四项；国办发〔2018〕118号",
        Label("各机关按执法类别、层级、领域和金额编制本单位的法制审核目录清单。",
              "Each agency compiles its own catalogue by kind, level, field and amount."),
        "本单位公布的重大执法决定法制审核目录清单",
    ),
    SettingSpec(
        EXTENSION_DAYS, INTEGER, Label("办案期限可延长天数", "Days the 90-day limit may be extended"),
        "《中华人民共和国行政处罚法》第六十条",
        Label("行政处罚法本身没有延长机制，只有法律、法规、规章另有规定时才可延长，天数以该规定为准。",
              "The law itself has no extension; only another law, regulation or rule allows one, for its number "
              "of days."),
        "规定延长办案期限的法律、法规或者规章条款", minimum=1, maximum=365,
    ),
    SettingSpec(
        "enforcement.publication_working_days", INTEGER,
        Label("处罚决定公开期限（工作日）", "Working days to publish a penalty decision"),
        "《中华人民共和国行政处罚法》第四十八条；国办发〔2018〕118号",
        Label("法律只要求公开，天数来自118号的地方实施办法（多为7个工作日），以本地办法为准。",
              "The law asks publication; the number of days comes from the local rules implementing 118号 "
              "(mostly 7 working days)."),
        "本地行政执法公示制度实施办法的条款", minimum=1, maximum=60,
    ),
    SettingSpec(
        "enforcement.other_publication_working_days", INTEGER,
        Label("其他执法决定公开期限（工作日）", "Working days to publish other enforcement decisions"),
        "国办发〔2018〕118号",
        Label("不予处罚等其他执法决定的公开期限来自118号的地方实施办法（多为20个工作日），以本地办法为准。",
              "The period for other decisions, such as not to penalise, comes from the local rules implementing "
              "118号 (mostly 20 working days)."),
        "本地行政执法公示制度实施办法的条款", minimum=1, maximum=60,
    ),
    SettingSpec(
        MANDATORY_AV_ACTS, TRIGGER_LIST, Label("须全程音像记录的执法行为", "Acts to record on audio-video"),
        "国办发〔2018〕118号（执法全过程记录制度）；《中华人民共和国行政处罚法》第四十七条",
        Label("118号只列举查封扣押财产、强制拆除等；本单位的音像记录事项清单可增列其他行为。",
              "118号 names sealing or seizing property and forced demolition; the organisation's own list may "
              "add further acts."),
        "本单位行政执法音像记录事项清单", procedure="enforcement_case",
    ),
    SettingSpec(
        QUORUM_SETTING, INTEGER,
        Label("集体讨论法定人数（出席须超过组成人员的百分比）", "Quorum of the collective discussion (per cent of members "
              "that must be exceeded)"),
        "《重大行政决策程序暂行条例》第三十条；《地方组织法》第六条",
        Label("条例要求集体讨论但未规定出席人数；县级以上政府常务会议、全体会议的议事规则多为“超过半数”，乡镇的会议以本机关"
              "议事规则为准（legal-facts §2.8，[U]）。50 即“超过半数”。",
              "The regulation requires a collective discussion but sets no quorum; the rules of county-level "
              "meetings mostly say \"more than half\", a town's meeting follows its own rules of procedure "
              "(legal-facts §2.8, [U]). 50 means more than half."),
        "本机关工作规则或议事规则中关于会议出席人数的条款", minimum=1, maximum=99,
    ),
    SettingSpec(
        LATE_ENTRY_DAYS, INTEGER, Label("补录认定天数（日）", "Days after which a typed date is a late entry"),
        "《中华人民共和国行政处罚法》第四十七条；国办发〔2018〕118号（执法全过程记录制度）；"
        "《重大行政决策程序暂行条例》第三十三条",
        Label("法律要求如实、完整记录，但未规定事项发生后几日内须录入系统；填写的日期早于录入之日超过该天数的，"
              "须说明补录理由并标注为补录。天数以本单位的档案或执法记录管理制度为准；未设置时不认定补录。",
              "The law asks true and complete records but sets no number of days within which an act must be "
              "entered; a typed date more than this many days before its entry is a late entry (补录), which "
              "needs a stated reason and is marked. The number comes from the organisation's records rules; "
              "while unset, no entry is treated as late."),
        "本单位执法全过程记录或档案管理制度中关于及时录入的条款", minimum=0, maximum=365,
    ),
    # Read by the timer worker (workflow/timers/), named in the definitions' `timers:` (remind: [...]).
    SettingSpec(
        "timers.first_reminder_working_days", INTEGER,
        Label("期限届满前第一次提醒（提前工作日数）", "First reminder before a time limit (working days ahead)"),
        "《中华人民共和国行政处罚法》第六十条、第六十一条；《重大行政决策程序暂行条例》第二十六条、第三十二条；国办发〔2018〕118号",
        Label("法律规定了办理期限，但没有规定提前几日提醒承办人；提醒（黄牌）时点以本单位的执法监督或督查督办制度为准。"
              "未设置时不发此次提醒。",
              "The law sets the time limits but not how many days ahead the person acting is reminded; the moment "
              "of the reminder (yellow card) comes from the organisation's supervision rules. While unset, this "
              "reminder is not sent."),
        "本单位行政执法监督或督查督办制度中关于期限预警的条款", minimum=1, maximum=60, examples=("3",),
    ),
    SettingSpec(
        "timers.last_reminder_working_days", INTEGER,
        Label("期限届满前最后一次提醒（提前工作日数）", "Last reminder before a time limit (working days ahead)"),
        "《中华人民共和国行政处罚法》第六十条、第六十一条；《重大行政决策程序暂行条例》第二十六条、第三十二条；国办发〔2018〕118号",
        Label("同上：法律没有规定最后一次提醒的时点，以本单位制度为准；未设置时不发此次提醒。",
              "As above: the law sets no moment for the last reminder; the organisation's rules do. While unset, "
              "this reminder is not sent."),
        "本单位行政执法监督或督查督办制度中关于期限预警的条款", minimum=1, maximum=60, examples=("1",),
    ),
    # Where the timer worker sends the e-mail copies of notices (workflow/timers/mail.py): unset, none are sent.
    SettingSpec(
        "notifications.smtp_host", STRING, Label("提醒邮件发送服务器（SMTP）", "Mail server (SMTP) for notices"),
        "国办发〔2018〕118号（行政执法监督）；本单位督查督办制度（提醒送达方式）",
        Label("法律不规定提醒以何种方式送达；邮件服务器由本单位信息化部门提供，各单位不同。未设置时只在系统内提醒。",
              "No law says how reminders reach people; the mail server is the organisation's own. While unset, "
              "notices stay in the app's inbox."),
        "本单位信息化部门的邮件系统说明", examples=("mail.houlong.gov.cn",),
    ),
    SettingSpec(
        "notifications.smtp_port", INTEGER, Label("提醒邮件服务器端口", "Mail server port"),
        "国办发〔2018〕118号（行政执法监督）；本单位督查督办制度（提醒送达方式）",
        Label("同上：端口随本单位的邮件服务器。", "As above: the port of the organisation's mail server."),
        "本单位信息化部门的邮件系统说明", minimum=1, maximum=65535, examples=("25",),
    ),
    SettingSpec(
        "notifications.mail_from", STRING, Label("提醒邮件发件人地址", "Sender address of notices"),
        "国办发〔2018〕118号（行政执法监督）；本单位督查督办制度（提醒送达方式）",
        Label("同上：发件地址由本单位邮件系统分配。", "As above: the organisation's mail system gives the address."),
        "本单位信息化部门的邮件系统说明", examples=("lawflow@houlong.gov.cn",),
    ),
    SettingSpec(
        "notifications.smtp_security", STRING, Label("提醒邮件服务器的加密方式", "Mail server encryption"),
        "国办发〔2018〕118号（行政执法监督）；本单位督查督办制度（提醒送达方式）",
        Label("同上：none 为不加密（本机或内网中继），starttls 为先明文连接再加密（常用端口587或25），tls 为直接加密连接（常用端口465）。"
              "未设置时不加密。",
              "As above: none (a relay on the host or the office network), starttls (upgrade, usually port 587 or "
              "25) or tls (encrypted from the start, usually port 465). Unset: none."),
        "本单位信息化部门的邮件系统说明", examples=("starttls",),
        pattern=(r"^(none|starttls|tls)$", "应为 none、starttls 或 tls", "must be none, starttls or tls"),
    ),
    SettingSpec(
        "notifications.smtp_username", STRING, Label("提醒邮件服务器登录账号", "Mail server login"),
        "国办发〔2018〕118号（行政执法监督）；本单位督查督办制度（提醒送达方式）",
        Label("同上：邮件服务器要求登录时填写；未设置时不登录。", "As above: when the server asks for a login. Unset: no login."),
        "本单位信息化部门的邮件系统说明", examples=("lawflow@houlong.gov.cn",),
    ),
    SettingSpec(
        "notifications.smtp_password", STRING, Label("提醒邮件服务器登录密码", "Mail server password"),
        "国办发〔2018〕118号（行政执法监督）；本单位督查督办制度（提醒送达方式）",
        Label("同上：与登录账号一并填写。这是凭据：管理日志只记录其哈希值，页面不显示。",
              "As above, with the login. A credential: the administration journal records its hash, the pages never "
              "show it."),
        "本单位信息化部门的邮件系统说明", secret=True,
    ),
)
# Group robots of the messaging apps (workflow/timers/robots.py): which groups exist and which notices each is told.
_ROBOT_BASIS = "国办发〔2018〕118号（行政执法监督）；本单位督查督办制度（提醒送达方式）；个人信息保护法第六条"
CATALOGUE = CATALOGUE + (
    SettingSpec(
        "notifications.robots", STRING_LIST, Label("群机器人", "Group robots"), _ROBOT_BASIS,
        Label("哪些工作群接收提醒由本单位确定；机器人地址由群主在企业微信或钉钉中添加机器人时生成。每行一个：名称 类型（wecom 或 "
              "dingtalk） Webhook地址 [钉钉加签密钥]。群内人人可见，消息不含当事人信息。",
              "Which work groups receive notices is the organisation's choice; a robot's address comes from the "
              "group's owner adding it in WeCom or DingTalk. One a line: name kind (wecom or dingtalk) webhook URL "
              "[DingTalk signing secret]. Everyone in the group reads it: messages carry no party's data."),
        "本单位督查督办制度及信息化部门的工作群说明",
        examples=("领导群 dingtalk https://oapi.dingtalk.com/robot/send?access_token=… SEC…",
                  "执法队 wecom https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"),
        pattern=(r"^[^\s]{1,40} (wecom|dingtalk) https?://[^\s]{1,400}( [^\s]{1,100})?$",
                 "每行应为：名称 wecom或dingtalk Webhook地址 [加签密钥]",
                 "each line: name wecom|dingtalk webhook-URL [signing secret]"),
        secret=True,  # the URL's key or access_token lets anyone post to the group; the DingTalk secret signs
    ),
    SettingSpec(
        "notifications.robot_routes", STRING_LIST, Label("群机器人通知范围", "What each group robot is told"),
        _ROBOT_BASIS,
        Label("哪些通知发到哪个群（如逾期和督办通知发领导群）由本单位督查督办制度确定。每行一条：机器人名称 通知类别（remind、"
              "overdue、escalation，逗号分隔） 角色（逗号分隔，* 为全部）。",
              "Which notices go to which group (e.g. overdue and escalation notices to the leaders' group) is set "
              "by the organisation's supervision rules. One a line: robot name, notice kinds (remind, overdue, "
              "escalation; commas), roles whose notices it is told (commas; * for all)."),
        "本单位督查督办制度的条款",
        examples=("领导群 overdue,escalation *", "执法队 remind,overdue enforcement_officer"),
        pattern=(r"^[^\s]{1,40} (remind|overdue|escalation)(,(remind|overdue|escalation))* "
                 r"(\*|[a-z][a-z0-9_]*(,[a-z][a-z0-9_]*)*)$",
                 "每行应为：机器人名称 通知类别 角色（如：领导群 overdue,escalation *）",
                 "each line: robot kinds roles (e.g. leaders overdue,escalation *)"),
    ),
    SettingSpec(
        "notifications.site_url", STRING, Label("系统访问地址（用于提醒中的链接）", "The app's address (links in notices)"),
        _ROBOT_BASIS,
        Label("系统部署在哪个地址由本单位确定；未设置时消息中不附链接。", "Where the app is served is the organisation's own; "
              "while unset, messages carry no links."),
        "本单位信息化部门的系统部署说明", examples=("https://lawflow.houlong.gov.cn",),
        pattern=(r"^https?://[^\s]{1,180}$", "应为 http:// 或 https:// 开头的地址", "must start with http:// or https://"),
    ),
)
# Document numbers (issue 12): each document type's 代字 is the organisation's own (GB/T 9704-2012 7.2.4; its
# 公文处理 rules), and the fonts of its documents are those it has installed or licensed.
_CODE_WHY = Label("发文字号中的发文机关代字由各机关自定（GB/T 9704-2012 7.2.4，legal-facts-2 §5）；设置后，文书由系统按登记簿编号签发。",
                  "The issuer's code in a document number is each agency's own (GB/T 9704-2012 7.2.4, legal-facts-2 §5); "
                  "once set, lawflow numbers and issues the document from its register.")
CATALOGUE = CATALOGUE + (
    SettingSpec("enforcement.document_code.penalty_notice", STRING,
                Label("行政处罚事先告知书文书代字", "Code of the advance penalty notices"),
                "《党政机关公文处理工作条例》第九条；GB/T 9704-2012 7.2.4", _CODE_WHY, "本单位文书编号管理规定或公文处理办法",
                examples=("龙综执告",)),
    SettingSpec("enforcement.document_code.penalty_decision", STRING,
                Label("行政处罚决定书文书代字", "Code of the penalty decisions"),
                "《党政机关公文处理工作条例》第九条；GB/T 9704-2012 7.2.4", _CODE_WHY, "本单位文书编号管理规定或公文处理办法",
                examples=("龙综执罚",)),
    SettingSpec("major_decision.document_code.decision", STRING,
                Label("重大行政决策决定发文代字", "Code of the major decisions' documents"),
                "《党政机关公文处理工作条例》第九条；GB/T 9704-2012 7.2.4", _CODE_WHY, "本单位公文处理办法",
                examples=("龙政",)),
    SettingSpec("documents.fonts", STRING_LIST, Label("文书字体（字体角色=字体名称）", "Document fonts (role=family)"),
                "GB/T 9704-2012 第5.2条（公文用字：仿宋、小标宋、黑体、楷体）",
                Label("标准规定字体风格，具体字库由本单位安装或购买授权；未设置的角色使用系统已安装的思源（Noto CJK）字体。",
                      "The standard names font styles; the actual fonts are those the organisation installed or "
                      "licensed. A role not set uses the installed Noto CJK fonts."),
                "本单位公文字体配置说明", examples=("fangsong=Noto Serif CJK SC", "heiti=Noto Sans CJK SC")),
)
# Normative documents (issue 13, legal-facts-2 §1; workflow/procedures/normative_document/law.py names them): the
# national texts leave these to local rules, or the local rule was not found ([U], §9), so each is set with its
# source.
_NORMATIVE_FILING = Label("《法规规章备案审查条例》第二十五条把规范性文件备案交由地方规定；福建省人民政府令第219号的备案条款未能查到"
                          "（legal-facts-2 §1.8，[U]），各地为15日、30日或3个工作日不等。",
                          "The filing regulation leaves the filing of normative documents to local rules; Fujian's "
                          "filing article was not found (legal-facts-2 §1.8, [U]); elsewhere 15 days, 30 days or 3 "
                          "working days.")
CATALOGUE = CATALOGUE + (
    SettingSpec("normative.comment_min_working_days", INTEGER,
                Label("规范性文件公开征求意见最短期限（工作日）", "Shortest public comment period (working days)"),
                "国办发〔2018〕37号（三）；中央依法治国办《市县法治政府建设示范指标体系》第24项",
                Label("37号未规定天数（[U]）；示范指标体系为“一般不少于7个工作日”（[V2]），福建可规定更长期限。",
                      "37号 gives no number ([U]); the model indicators say generally at least 7 working days "
                      "([V2]); Fujian may set a longer period."),
                "本省或本市行政规范性文件管理规定的条款", minimum=1, maximum=60, examples=("7",)),
    SettingSpec("normative.comment_min_days_business", INTEGER,
                Label("涉企规范性文件公开征求意见最短期限（日）", "Shortest comment period where business is affected (days)"),
                "《优化营商环境条例》第六十二条",
                Label("条例规定“一般不少于30日”（[V1]）；地方可规定更长期限，故以本单位适用的规定为准。",
                      "The regulation says generally at least 30 days ([V1]); local rules may set longer."),
                "《优化营商环境条例》第六十二条或本地更严格的规定", minimum=1, maximum=120, examples=("30",)),
    SettingSpec("normative.legality_reviewer", STRING,
                Label("规范性文件合法性审核主体", "Who reviews the legality of normative documents"),
                "国办发〔2018〕115号（四）",
                Label("乡镇已明确专门审核机构或人员的由其审核（internal），未明确的由县级人民政府确定的审核机构审核"
                      "（county_designated），由本单位或县级文件确定。",
                      "A town with a designated reviewer reviews itself (internal); otherwise the body the county "
                      "government designates does (county_designated)."),
                "本单位明确审核人员的文件或县级人民政府确定审核机构的文件", examples=("internal", "county_designated")),
    SettingSpec("normative.collective_forum", STRING,
                Label("规范性文件集体审议会议形式", "Forum of the collective deliberation"),
                "国办发〔2018〕37号（三）；《地方组织法》第七十六条",
                Label("乡镇以何种会议集体审议规范性文件，国家未作规定（legal-facts-2 §1.6）。",
                      "No national rule says which meeting of a town deliberates its documents."),
                "本镇人民政府工作规则或议事规则的条款", examples=("镇长办公会议", "镇政府全体会议", "党政联席会议")),
    SettingSpec("normative.filing_recipient", STRING, Label("规范性文件备案机关", "Where documents are filed"),
                "《法规规章备案审查条例》第二十五条；《福建省行政规范性文件备案审查办法》", _NORMATIVE_FILING,
                "本省行政规范性文件备案审查办法的条款", examples=("泉州市泉港区人民政府",)),
    SettingSpec("normative.filing_days", INTEGER, Label("规范性文件报送备案期限（自发布之日起）", "Filing period from publication"),
                "《法规规章备案审查条例》第二十五条；《福建省行政规范性文件备案审查办法》", _NORMATIVE_FILING,
                "本省行政规范性文件备案审查办法的条款", minimum=1, maximum=90),
    SettingSpec("normative.filing_day_unit", STRING, Label("报送备案期限的计算单位", "Unit of the filing period"),
                "《法规规章备案审查条例》第二十五条；《福建省行政规范性文件备案审查办法》", _NORMATIVE_FILING,
                "本省行政规范性文件备案审查办法的条款", examples=("calendar_days", "working_days")),
    SettingSpec("normative.max_validity_years", INTEGER, Label("规范性文件有效期上限（年）", "Longest validity (years)"),
                "国办发〔2018〕37号（十）；本地规范性文件管理规定",
                Label("国家未规定有效期（[U]）；外省规定“一般不超过5年”（[V2]）。未设置时不限制年限。",
                      "No national validity rule ([U]); other provinces say generally at most 5 years ([V2]). "
                      "While unset, no limit applies."),
                "本省或本市行政规范性文件管理规定的条款", minimum=1, maximum=10, examples=("5",)),
    SettingSpec("normative.expiry_reminder_working_days", INTEGER,
                Label("有效期届满前提醒评估（提前工作日数）", "Reminder to evaluate before expiry (working days ahead)"),
                "本地规范性文件管理规定（有效期届满前评估）",
                Label("外省规定在有效期届满前6个月组织评估（[V2]）；提前多少日提醒由本单位规定。未设置时不发提醒。",
                      "Other provinces evaluate six months before expiry ([V2]); how far ahead to remind is the "
                      "organisation's rule. While unset, no reminder is sent."),
                "本单位规范性文件管理制度的条款", minimum=1, maximum=250, examples=("120",)),
    SettingSpec("normative.document_code.register", STRING,
                Label("规范性文件登记编号代字", "Code of the normative documents' register"),
                "国办发〔2018〕37号（统一登记、统一编号、统一印发，[U]）；GB/T 9704-2012 7.2.4", _CODE_WHY,
                "本单位规范性文件管理制度或公文处理办法", examples=("龙政规",)),
)
# Information requests (条例第四十二条): the national fee tariff of 国办函〔2020〕109号 (legal-facts-2 §3.6, [V2]),
# kept as settings with their source so that a change of tariff is a change of setting, not of code.
_FEE_WHY = Label("条例第四十二条只规定超过合理范围的可以收取信息处理费；收费标准由国办函〔2020〕109号规定（legal-facts-2 §3.6，"
                 "[V2] 转载文本），各机关按该标准设置并注明依据。",
                 "Art 42 allows a fee only beyond a reasonable volume; the amounts are those of 国办函〔2020〕109号 "
                 "(legal-facts-2 §3.6, [V2] reproductions), set by each agency with the source.")
_FEE_BASIS = "《中华人民共和国政府信息公开条例》第四十二条；《政府信息公开信息处理费管理办法》（国办函〔2020〕109号）"
CATALOGUE = CATALOGUE + (
    SettingSpec(FEE_FREE_REQUESTS, INTEGER, Label("按件计收：每自然月免费件数", "Per request: free requests a month"),
                f"{_FEE_BASIS}第四条", _FEE_WHY, "国办函〔2020〕109号第四条", minimum=0, maximum=1000, examples=("10",)),
    SettingSpec(FEE_TIER_END, INTEGER, Label("按件计收：第一档的最后一件", "Per request: last request of the first tier"),
                f"{_FEE_BASIS}第四条", _FEE_WHY, "国办函〔2020〕109号第四条", minimum=1, maximum=1000, examples=("30",)),
    SettingSpec(FEE_PER_REQUEST, INTEGER, Label("按件计收：每件收费（元）", "Per request: yuan per request"),
                f"{_FEE_BASIS}第四条", _FEE_WHY, "国办函〔2020〕109号第四条", minimum=1, maximum=100000, examples=("100",)),
    SettingSpec(FEE_BAND, INTEGER, Label("按件计收：超过第一档后每增加多少件提高一档", "Per request: requests per further band"),
                f"{_FEE_BASIS}第四条", _FEE_WHY, "国办函〔2020〕109号第四条", minimum=1, maximum=1000, examples=("10",)),
    SettingSpec(FEE_PAGE_TIERS, STRING_LIST, Label("按量计收：页数档次（至页数=每页元，*为以上）",
                                                   "Per volume: page tiers (up to page=yuan per page, * for the rest)"),
                f"{_FEE_BASIS}第五条", _FEE_WHY, "国办函〔2020〕109号第五条", examples=("30=0", "100=10", "200=20", "*=40")),
    # UNVERIFIED (legal-facts-2 §3.6, §9): no text read says whether the applicant's time to pay stops the answer
    # period of 第三十三条; unset or 0 = it runs on (workflow/procedures/information_request/clock.py).
    SettingSpec(FEE_TIME_PAUSES_CLOCK, INTEGER,
                Label("缴纳信息处理费的时间是否不计入答复期限（1=不计入，0=计入）",
                      "Time to pay the fee left out of the answer period (1 = left out, 0 = counted)"),
                f"{_FEE_BASIS}（缴费期限的规定未经核实）",
                Label("是否暂停答复期限未经核实：国办函〔2020〕109号第七条未检索到原文（legal-facts-2 §3.6、§9），"
                      "不得作为法律规则写入代码；由本机关依据其核实的文件设置，未设置时不暂停。",
                      "Unverified whether it pauses the answer period: 109号 art 7 was not retrieved (legal-facts-2 "
                      "§3.6, §9), so it is no rule in the code; each agency sets it from the text it verified; unset: "
                      "no pause."),
                "国办函〔2020〕109号第七条（经核实的官方文本）或上级政府信息公开主管部门的书面意见",
                minimum=0, maximum=1, examples=("0",)),
)
# Contract legality review (issue 13, legal-facts-2 §2; workflow/procedures/contract_review/law.py names them): no
# national or Fujian rule sets the scope, the review period or the filing period ([U], §2 item 35, §9); local
# models elsewhere ([V2], §2 item 38) are the examples. Unset periods refuse the steps that start them.
_CONTRACT_WHY = Label("未查到国家或福建关于政府合同合法性审查范围、期限的规定（legal-facts-2 §2第35项，[U]）；外地办法为送审后"
                      "5个工作日内审查、签订后5个工作日内备案，并排除政府采购、劳动人事、应急合同（[V2]）。以本单位规定为准。",
                      "No national or Fujian rule on the scope and periods of contract review was found (legal-facts-2 "
                      "§2 item 35, [U]); local models elsewhere review within 5 working days, file within 5 working "
                      "days of signing and exclude procurement, employment and emergency contracts ([V2]).")
_CONTRACT_BASIS = "中办发〔2016〕30号；本单位合同合法性审查规定"
CATALOGUE = CATALOGUE + (
    SettingSpec("contract.excluded_kinds", STRING_LIST,
                Label("不纳入合同合法性审查的合同类别", "Kinds of contract excluded from the review"),
                _CONTRACT_BASIS, _CONTRACT_WHY, "本单位合同合法性审查规定的除外条款",
                examples=("procurement", "employment", "emergency")),
    SettingSpec("contract.review_working_days", INTEGER, Label("合同合法性审查期限（工作日）", "Contract review period (working days)"),
                _CONTRACT_BASIS, _CONTRACT_WHY, "本单位合同合法性审查规定的期限条款", minimum=1, maximum=60,
                examples=("5",)),
    SettingSpec("contract.filing_working_days", INTEGER,
                Label("合同签订后报送备案期限（工作日）", "Filing period after signing (working days)"),
                _CONTRACT_BASIS, _CONTRACT_WHY, "本单位合同合法性审查规定的备案条款", minimum=1, maximum=60,
                examples=("5",)),
)
# The major contract (重大合同, issue 13): 中办发〔2016〕30号 ([V2], legal-facts-2 §2 item 36) has the legal adviser
# help draft and revise major contracts and forbids deciding matters the adviser was not heard on; no national or
# Fujian rule says which contracts are major ([U]), so the amount from which a contract is major is a setting.
CATALOGUE = CATALOGUE + (
    SettingSpec("contract.major_amount", INTEGER, Label("重大合同金额标准（元，达到即为重大合同）",
                                                       "Amount from which a contract is major (yuan)"),
                "中办发〔2016〕30号（法律顾问协助起草、修改重大合同）；本单位合同合法性审查规定",
                Label("中办发〔2016〕30号要求法律顾问参与重大合同，未规定何为重大合同；国家和福建均未查到金额标准（legal-facts-2 "
                      "§2第36项，[U]），以本单位规定为准。",
                      "中办发〔2016〕30号 has the legal adviser take part in major contracts without saying which "
                      "are major; no national or Fujian amount was found (legal-facts-2 §2 item 36, [U])."),
                "本单位合同合法性审查规定或法律顾问工作规则中的重大合同标准条款", minimum=1, maximum=10**12,
                examples=("300000", "500000")),
)
# Issued documents (issue 12 items 2 and 6): the 送达回证's 代字 is the organisation's own like the others, and the
# address its documents' QR codes and printed verification lines point at is where its own portal is published.
CATALOGUE = CATALOGUE + (
    SettingSpec("enforcement.document_code.service_receipt", STRING,
                Label("送达回证文书代字", "Code of the proofs of service"),
                "《中华人民共和国民事诉讼法》第八十七条；《党政机关公文处理工作条例》第九条", _CODE_WHY,
                "本单位文书编号管理规定或公文处理办法", examples=("龙综执送",)),
    SettingSpec("enforcement.document_code.hearing_notice", STRING,
                Label("行政处罚听证通知书文书代字", "Code of the hearing notices"),
                "《党政机关公文处理工作条例》第九条；GB/T 9704-2012 7.2.4", _CODE_WHY,
                "本单位文书编号管理规定或公文处理办法", examples=("龙综执听",)),
    SettingSpec("documents.public_base_url", STRING, Label("文书核验网址前缀（本单位门户的公开地址）",
                                                           "Public address of the verification portal"),
                "国办发〔2018〕118号（执法信息公开）；本单位门户网站管理规定",
                Label("核验地址是本单位门户发布的网址，由本单位确定；未设置时文书和二维码只载明相对路径 /public/verify/<核验码>。",
                      "The verification address is where the organisation publishes its portal; not set, documents "
                      "and their QR codes carry only the path /public/verify/<code>."),
                "本单位门户网站的备案网址", examples=("https://houlong.gov.cn",)),
)
# The annual rule-of-law report (issue 14 item 5): whom a town reports to, whom it copies and by which day are
# stated in a provincial guideline mirroring the 督察规定 ([V2]; the rules' article numbers and Fujian's own day
# are unverified, legal-facts-2 §4 item 64): organisation settings. The publication day (第二十四条) is law.
_REPORT_BASIS = "《法治政府建设与责任落实督察工作规定》（厅字〔2019〕28号）；省级实施规定"
_REPORT_WHY = Label("督察规定要求市、县、乡党委和政府向上一级党委和政府报告并抄送上一级法治建设议事协调机构；报送对象和日期见于外省"
                    "配套规定（legal-facts-2 §4第64项，[V2]），福建的日期未核实，以本单位依据的文件为准。",
                    "The rules have towns report to the level above with a copy to its rule-of-law committee office; "
                    "the recipients and the day come from a provincial guideline elsewhere (legal-facts-2 §4 item "
                    "64, [V2]); Fujian's day is unverified.")
CATALOGUE = CATALOGUE + (
    SettingSpec(REPORT_TO, STRING_LIST, Label("法治政府建设年度报告主送机关", "Addressees of the annual report"),
                _REPORT_BASIS, _REPORT_WHY, "上级关于报送法治政府建设年度报告的通知",
                examples=("中共泉港区委", "泉港区人民政府")),
    SettingSpec(COPY_TO, STRING_LIST, Label("法治政府建设年度报告抄送机关", "Copies of the annual report"),
                _REPORT_BASIS, _REPORT_WHY, "上级关于报送法治政府建设年度报告的通知",
                examples=("中共泉港区委全面依法治区委员会办公室",)),
    SettingSpec(REPORT_BY, STRING, Label("向上一级报告的截止日期（次年，月-日）", "Day to report to the level above "
                                                                          "(next year, MM-DD)"),
                _REPORT_BASIS, _REPORT_WHY, "上级关于报送法治政府建设年度报告的通知", examples=("03-01",),
                pattern=(r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", "应写作“月-日”，如 03-01",
                         "write it as MM-DD, e.g. 03-01")),
)
# Petitions, complaints and the town as respondent (issue 14 item 4; workflow/procedures/petitions/law.py). Whether the
# 15/60/30-day periods of 信访工作条例 count calendar or working days is unverified (legal-facts-2 §9: only 「5个工作日」
# is explicit); no national period binds an answer to a complaint or report, and legal-facts holds no article of the
# 行政诉讼法 on the defendant's answer: each is the organisation's, with its source.
_PETITION_BASIS = "《信访工作条例》（2022）第二十三条、第三十四条"
CATALOGUE = CATALOGUE + (
    SettingSpec("petitions.day_unit", STRING, Label("信访期限（15日、60日、30日）的计算单位", "Unit of the petition periods"),
                _PETITION_BASIS,
                Label("条例第二十三条、第三十四条的“15日”“60日”“30日”按自然日还是工作日计算未经核实（legal-facts-2 §9，[U]），"
                      "只有“5个工作日”明确为工作日。",
                      "Whether the regulation's 15, 60 and 30 days are calendar or working days is unverified "
                      "(legal-facts-2 §9); only the 5 working days are explicit."),
                "本省信访工作规定或上级信访部门的通知", examples=("calendar_days", "working_days")),
    SettingSpec("petitions.complaint_answer_days", INTEGER, Label("投诉举报答复期限（日数）", "Period to answer a complaint"),
                "本单位投诉举报处理制度",
                Label("国家未对乡镇答复投诉举报规定统一期限（legal-facts-2 未载），按所适用的部门规定或本单位制度。",
                      "No national period binds a town's answer to a complaint or report (none in legal-facts-2); "
                      "the sector's rule or the organisation's own applies."),
                "本单位投诉举报处理制度的期限条款", minimum=1, maximum=90, examples=("15", "30")),
    SettingSpec("petitions.complaint_day_unit", STRING, Label("投诉举报答复期限的计算单位", "Unit of the complaint period"),
                "本单位投诉举报处理制度",
                Label("期限由本单位制度规定，其计算单位亦同。", "The organisation's rule sets the period and its unit."),
                "本单位投诉举报处理制度的期限条款", examples=("calendar_days", "working_days")),
    SettingSpec("petitions.litigation_answer_days", INTEGER,
                Label("行政诉讼提交答辩状期限（日，自收到起诉状副本之日起）", "Period to answer a lawsuit (days)"),
                "《中华人民共和国行政诉讼法》（答辩期限，legal-facts 未载条文）",
                Label("legal-facts 未收录行政诉讼法的答辩期限条文，按法院应诉通知书载明的期限设置。",
                      "legal-facts holds no article of the Administrative Litigation Law on the answer; set it as the "
                      "court's notice states."),
                "人民法院应诉通知书或行政诉讼法的条款", minimum=1, maximum=60, examples=("15",)),
)
# The annual report's 发文字号 (issue 14 item 5): the 代字 is the government's own, like the others (_CODE_WHY).
CATALOGUE = CATALOGUE + (
    SettingSpec(REPORT_CODE, STRING, Label("法治政府建设年度报告发文代字", "Code of the annual reports' documents"),
                "《党政机关公文处理工作条例》第九条；GB/T 9704-2012 7.2.4", _CODE_WHY, "本单位公文处理办法",
                examples=("泉后政",)),
)
_MEDIATION_WHY = Label("legal-facts-2 §7.1 所载人民调解法条文未规定此期限，按本省、本地人民调解工作规定或本单位制度设置。",
                      "The articles of the People's Mediation Law in legal-facts-2 §7.1 set no such period; the "
                      "province's or the locality's rules on people's mediation, or the organisation's own, set it.")
CATALOGUE = CATALOGUE + (  # the mediation registers' periods (workflow/procedures/mediation/clock.py, issue 14)
    SettingSpec("mediation.committee_term_years", INTEGER, Label("人民调解委员会委员每届任期（年）", "Term of a mediation committee (years)"),
                "《中华人民共和国人民调解法》（委员会的产生和任期，legal-facts-2 §7.1 未载条文）", _MEDIATION_WHY,
                "人民调解法的任期条款或本省人民调解条例", minimum=1, maximum=10, examples=("3", "5")),
    SettingSpec("mediation.dispute_period_days", INTEGER, Label("调解纠纷的期限（自登记之日起，日）", "Period to mediate a dispute (days)"),
                "本单位人民调解工作制度（调解期限，legal-facts-2 §7.1 未载条文）", _MEDIATION_WHY,
                "本省人民调解工作规定或本单位人民调解工作制度的期限条款", minimum=1, maximum=365, examples=("30",)),
)
# Supervision of enforcement (issue 14 item 2; workflow/procedures/enforcement_supervision/law.py). 《行政执法监督条例》
# (国务院令第825号) 第二条、第六条 are verified; its articles on the time a supervised body has to report its
# rectification and on grading a reviewed file were not: the district's own rule, with its source (本单位设置).
_SUPERVISION_BASIS = "《行政执法监督条例》（国务院令第825号）；本单位行政执法监督工作制度"
_SUPERVISION_WHY = Label("条例关于整改期限和案卷评查等次的条款未经核实；由本级行政执法监督机构在监督意见书、纠错通知或本单位制度中"
                         "确定，按本单位设置执行（本单位设置）。",
                         "The regulation's articles on the time to report a rectification and on grading reviewed files "
                         "were not verified; the supervising body sets them in its notice or its own rules.")
CATALOGUE = CATALOGUE + (
    SettingSpec("supervision.answer_days", INTEGER, Label("整改报告期限（日数）", "Time to report the rectification (days)"),
                _SUPERVISION_BASIS, _SUPERVISION_WHY, "本单位行政执法监督工作制度的整改期限条款", minimum=1, maximum=90,
                examples=("15", "30")),
    SettingSpec("supervision.answer_day_unit", STRING, Label("整改报告期限的计算单位", "Unit of the rectification period"),
                _SUPERVISION_BASIS, _SUPERVISION_WHY, "本单位行政执法监督工作制度的整改期限条款",
                examples=("working_days", "calendar_days")),
    SettingSpec("supervision.grade_excellent_from", INTEGER, Label("案卷评查“优秀”的最低得分", "Lowest total graded excellent"),
                _SUPERVISION_BASIS, _SUPERVISION_WHY, "本单位案卷评查办法的等次条款", minimum=1, maximum=100,
                examples=("90",)),
    SettingSpec("supervision.grade_pass_from", INTEGER, Label("案卷评查“合格”的最低得分", "Lowest total graded passed"),
                _SUPERVISION_BASIS, _SUPERVISION_WHY, "本单位案卷评查办法的等次条款", minimum=1, maximum=100,
                examples=("60", "70")),
)
# The organisation's own units (内设机构、站所): what the forms offer where a step names a unit (options_from:
# {setting: organisation.units}); an organisation without the list types the unit, as before.
CATALOGUE = CATALOGUE + (
    SettingSpec("organisation.units", STRING_LIST, Label("本单位内设机构和站所", "The organisation's units"),
                "本单位机构设置方案（“三定”方案）",
                Label("乡镇内设机构和站所由本级机构设置方案确定，各地不同；用于表单中的承办单位等选项。",
                      "A town's offices are set by its own establishment plan; the forms offer them as choices."),
                "本单位机构设置方案（“三定”方案）", examples=("党政综合办公室", "经济发展办公室", "综合执法队", "司法所")),
)
# The organisation's villages and communities (村民委员会、居民委员会): one list the registers' village fields offer
# (options_from: {setting: organisation.villages, strict: true}); once set, a village not on it is refused (an import
# row names it); without it the village is typed as before.
CATALOGUE = CATALOGUE + (
    SettingSpec("organisation.villages", STRING_LIST, Label("本单位所辖村（居）", "The organisation's villages and communities"),
                "村民委员会组织法第三条；城市居民委员会组织法第六条（村、居民委员会的设立、撤销、范围调整）",
                Label("乡镇所辖村民委员会、居民委员会的名单由县级人民政府批准的设置确定，各地不同；普法、法律明白人、"
                      "意见箱等台账的村居从此名单中选择。",
                      "A town's villages and communities are set by the county's approval and differ everywhere; the "
                      "registers' village fields choose from this list."),
                "县级人民政府批准的村（居）民委员会设置；本单位行政区划名单", examples=("后龙村", "福炼社区")),
)
# The rest of the enforcement set (issue 12 item 2): each 文书's 代字 is the organisation's own like the others.
CATALOGUE = CATALOGUE + tuple(
    SettingSpec(f"enforcement.document_code.{kind}", STRING, Label(f"{zh}文书代字", f"Code of the {en}"),
                "《党政机关公文处理工作条例》第九条；GB/T 9704-2012 7.2.4", _CODE_WHY, "本单位文书编号管理规定或公文处理办法",
                examples=(example,))
    for kind, zh, en, example in (
        ("filing_approval", "立案审批表", "case-opening approval forms", "龙综执立"),
        ("legal_review_opinion", "法制审核意见书", "legal review opinions", "龙综执审"),
        ("collective_discussion", "行政处罚案件集体讨论记录", "collective discussion records", "龙综执议"),
        ("no_penalty_decision", "不予行政处罚决定书", "decisions not to penalise", "龙综执不罚"),
        ("closing_approval", "结案审批表", "case-closing approval forms", "龙综执结"),
    )
)
BY_KEY: Mapping[str, SettingSpec] = {s.key: s for s in CATALOGUE}


@dataclass(frozen=True)
class ValueProblem:
    """What is wrong with a value: `path` is the place inside it (() the value itself, (2, "power") the
    third item's power, ("individual",) an amount)."""

    path: tuple[str | int, ...]
    zh: str
    en: str


class SettingValueError(ValueError):
    def __init__(self, key: str, problems: list[ValueProblem]):
        self.key = key
        self.problems = problems
        where = {p: "".join(f"[{x}]" if isinstance(x, int) else f".{x}" for x in p.path) for p in problems}
        super().__init__("; ".join(f"{key}{where[p]}: {p.zh} / {p.en}" for p in problems))


def allowed_values(spec: SettingSpec, registry: Registry) -> tuple[tuple[str, Label], ...]:
    """The values a list may hold where they are known: the steps of the procedure a TRIGGER_LIST names."""
    if spec.type != TRIGGER_LIST or spec.procedure is None:
        return ()
    found: dict[str, Label] = {}
    for procedure in registry.all():
        if procedure.id == spec.procedure:
            for t in procedure.transitions:
                found[t.trigger] = t.label  # the newest version's label wins
    return tuple(sorted(found.items()))


def _both(zh: str, en: str) -> str:
    return f"{zh} / {en}"


def _non_blank(text: str) -> bool:
    if not text.strip():
        raise ValidationError(_both("不能为空", "must not be blank"))
    return True


def _text(maximum: int = TEXT_MAX) -> fields.String:
    return fields.String(required=True, validate=[_non_blank, validate.Length(
        max=maximum, error=_both(f"不能超过{maximum}个字符", f"at most {maximum} characters"))])


class _Power(Schema):
    class Meta:
        unknown = RAISE

    field = _text(100)
    power = _text()


def _amount() -> fields.Decimal:
    return fields.Decimal(required=True, places=None, allow_nan=False, validate=validate.Range(
        min=Decimal(0), min_inclusive=False, max=Decimal(10) ** 12,
        error=_both("应为大于0的金额（元）", "must be an amount above 0 (yuan)")))


class _Amounts(Schema):
    class Meta:
        unknown = RAISE

    individual = _amount()
    organisation = _amount()


def _value_field(spec: SettingSpec, registry: Registry) -> fields.Field:
    if spec.type == STRING:
        if spec.pattern is None:
            return _text(200)
        regex, zh, en = spec.pattern
        return fields.String(required=True, validate=[validate.Length(min=1, max=200),
                                                      validate.Regexp(regex, error=_both(zh, en))])
    if spec.type == INTEGER:
        low, high = spec.minimum, spec.maximum
        return fields.Integer(required=True, strict=True, validate=validate.Range(
            min=low, max=high, error=_both(f"应在{low}～{high}之间", f"must be within {low}–{high}")))
    if spec.type == STRING_LIST:
        item = _text() if spec.pattern is None else fields.String(required=True, validate=[  # each line's form
            validate.Length(min=1, max=TEXT_MAX), validate.Regexp(spec.pattern[0], error=_both(*spec.pattern[1:]))])
        return fields.List(item, required=True, validate=validate.Length(
            min=1, error=_both("至少填写一项", "at least one item")))
    if spec.type == TRIGGER_LIST:
        allowed = [value for value, _label in allowed_values(spec, registry)]
        return fields.List(fields.String(validate=validate.OneOf(allowed, error=_both(
            f"「{{input}}」不是程序 {spec.procedure} 的步骤", f"{{input}} is not a step of {spec.procedure}"))),
            required=True)
    if spec.type == POWER_LIST:
        return fields.List(fields.Nested(_Power), required=True, validate=validate.Length(
            min=1, error=_both("至少填写一项", "at least one item")))
    return fields.Nested(_Amounts, required=True)


def _problems(messages: Any, path: tuple[str | int, ...] = ()) -> list[ValueProblem]:
    if isinstance(messages, Mapping):
        return [p for key, sub in messages.items()
                for p in _problems(sub, path if key == "_schema" else (*path, key))]
    if isinstance(messages, list | tuple) and not all(isinstance(m, str) for m in messages):
        return [p for m in messages for p in _problems(m, path)]
    out = []
    for message in messages if isinstance(messages, list | tuple) else [messages]:
        zh, _sep, en = str(message).partition(" / ")
        out.append(ValueProblem(path, zh, en) if en else ValueProblem(path, MESSAGES_ZH.get(zh, zh), zh))
    return out


def validate_value(spec: SettingSpec, value: Any, registry: Registry) -> Any:
    """The value as stored (text stripped, amounts as decimal text), or SettingValueError naming each problem."""
    schema = Schema.from_dict({"value": _value_field(spec, registry)}, name="SettingValue")()
    try:
        loaded = schema.load({"value": value})["value"]
    except ValidationError as exc:
        messages = exc.messages.get("value", exc.messages) if isinstance(exc.messages, dict) else exc.messages
        raise SettingValueError(spec.key, _problems(messages)) from None
    if spec.type == STRING:
        return loaded.strip()
    if spec.type in (STRING_LIST, TRIGGER_LIST):
        return list(dict.fromkeys(item.strip() for item in loaded))  # a repeated line adds nothing
    if spec.type == POWER_LIST:
        return [{"field": p["field"].strip(), "power": p["power"].strip()} for p in loaded]
    if spec.type == AMOUNTS_BY_PARTY:
        return {party: format(amount.normalize(), "f") for party, amount in loaded.items()}
    return loaded
