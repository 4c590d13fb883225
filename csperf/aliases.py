"""Export headers → canonical columns of metrics.md.

Every platform and tool names the same figure differently (接待人数, 人工已接待人数, 接待量),
writes units and scoring windows into the header (`首次响应(秒)`, `PC在线时长（时）`,
`3分钟人工回复率(8-23点)`), and mixes full-width and half-width brackets. Headers are
therefore normalized (NFKC, no spaces, lower case, one arrow form) and split into a base
name plus the unit found in trailing brackets before they are looked up here.

A header resolves to a `Column`: an additive measure stored as is, a rate or an average
or a ratio whose numerator the importer rebuilds from its base count (metrics.md's
table), an identity column (account, shop, date), a column known but not stored, or, in a
session log, one of db.SESSION_COLUMNS.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from csperf.metrics import MEASURE_NAMES, MEASURES, label

# -- what a header can mean ---------------------------------------------------------------

IDENTITY = "identity"  # account | shop | date
COUNT = "count"  # an additive measure: target is the measure
TOTAL_TIME = "total_time"  # a total duration measure (online_s): target is the measure
RATE = "rate"  # target is a key of RATES
AVERAGE = "average"  # an average duration: target is a key of AVERAGES
RATIO = "ratio"  # a non-percent ratio: target is a key of RATIOS
IGNORED = "ignored"  # known, deliberately not stored


@dataclass(frozen=True)
class Column:
    kind: str
    target: str | None = None
    unit: str | None = None  # 's' | 'min' | 'h' for durations; 'pct' when the header shows %


# Rate → (numerator it rebuilds, candidate bases in order of preference).
RATES: dict[str, tuple[str, tuple[str, ...]]] = {
    "conversion": ("paid_buyers", ("inquiries",)),
    "nextday_conversion": ("nextday_paid_buyers", ("inquiries",)),
    "reply": ("replied", ("receptions",)),
    "reply_3min": ("reply_3min", ("receptions",)),
    "answer_30s": ("answer_30s", ("receptions",)),
    "slow_response": ("slow_responses", ("receptions",)),
    "satisfaction": ("satisfied", ("ratings", "valid_receptions")),
    "dissatisfaction": ("ratings_dissatisfied", ("ratings", "valid_receptions")),
    "resolution": ("resolved", ("cases",)),
    "refund": ("refund_amount", ("sales",)),
    "rating_participation": ("ratings", ("receptions",)),
}

# Average duration → (sum measure, count measure or None when the count is `receptions`).
AVERAGES: dict[str, tuple[str, str | None]] = {
    "first_response": ("first_response_sum_s", "first_response_n"),
    "response": ("response_sum_s", "response_n"),
    "reception": ("reception_sum_s", "reception_n"),
}

# Ratio → (measure rebuilt, the measure it multiplies or divides).
RATIOS: dict[str, tuple[str, str]] = {
    "aov": ("sales_buyers", "sales"),  # sales_buyers = sales ÷ AOV
    "items_per_buyer": ("items", "sales_buyers"),  # items = value × sales_buyers
    "csat_avg": ("csat_sum", "ratings"),  # csat_sum = value × ratings
    "answer_question_ratio": ("agent_messages", "buyer_messages"),
}

# When a file has several account columns, the most specific identifies the account.
ACCOUNT_PRIORITY = ("账号名称", "客服账号", "子账号", "客服子账号", "客服id", "uid", "客服工号", "工号",
                    "旺旺", "客服旺旺", "客服", "客服昵称", "客服名称", "客服名", "客服姓名", "坐席", "坐席名称",
                    "agent", "agentname", "account", "账号", "员工", "姓名")

_FACT_HEADERS: dict[Column, tuple[str, ...]] = {
    Column(IDENTITY, "account"): ACCOUNT_PRIORITY,
    Column(IDENTITY, "shop"): ("店铺名称", "店铺", "店铺名", "所属店铺", "商家名称", "shop"),
    Column(IDENTITY, "date"): ("日期", "统计日期", "统计时间", "统计周期", "日期范围", "date", "day"),
    Column(COUNT, "consults"): ("咨询人数", "聊天人数(原咨询人数)", "聊天人数", "原咨询人数"),
    Column(COUNT, "receptions"): ("接待人数", "人工接待人数", "人工已接待人数", "接待量", "receptions"),
    Column(COUNT, "valid_receptions"): ("有效接待人数",),
    Column(COUNT, "unreplied"): ("未回复人数",),
    Column(COUNT, "replied"): ("已回复人数", "回复人数"),
    Column(COUNT, "inquiries"): ("询单人数", "售前接待人数"),
    Column(COUNT, "paid_buyers"): ("询单->最终付款人数", "最终付款人数", "最终成团人数", "支付人数",
                                   "促成下单人数", "询单付款人数", "成交人数"),
    Column(COUNT, "nextday_paid_buyers"): ("询单->次日付款人数",),
    Column(COUNT, "ordered_buyers"): ("询单->最终下单人数", "下单人数"),
    Column(COUNT, "sales"): ("销售额", "客服销售额", "最终付款金额", "促成下单商品金额", "询单->最终付款金额",
                             "销售金额"),
    Column(COUNT, "sales_buyers"): ("销售人数",),
    Column(COUNT, "items"): ("销售量", "销售件数"),
    Column(COUNT, "orders"): ("销售订单数",),
    Column(COUNT, "refund_amount"): ("退款金额", "完成退款金额"),
    Column(COUNT, "refund_buyers"): ("退款人数",),
    Column(COUNT, "slow_responses"): ("慢响应人数", "慢接待人数"),
    Column(COUNT, "long_receptions"): ("长接待人数",),
    Column(COUNT, "transfers_out"): ("转出人数",),
    Column(COUNT, "agent_messages"): ("客服消息数", "客服总消息数"),
    Column(COUNT, "buyer_messages"): ("买家消息数", "客户总消息数", "客户消息数"),
    Column(COUNT, "ratings"): ("评价量", "服务满意度评价参与量", "评价数", "评价人数", "参评人数"),
    Column(COUNT, "ratings_very_satisfied"): ("服务满意度评价很满意", "很满意", "非常满意"),
    Column(COUNT, "ratings_satisfied"): ("服务满意度评价满意", "满意"),
    Column(COUNT, "ratings_neutral"): ("服务满意度评价一般", "一般"),
    Column(COUNT, "ratings_dissatisfied"): ("服务满意度评价不满", "服务满意度评价不满意", "不满", "不满意"),
    Column(COUNT, "ratings_very_dissatisfied"): ("服务满意度评价很不满", "服务满意度评价很不满意", "很不满",
                                                 "很不满意", "非常不满意"),
    Column(COUNT, "satisfied"): ("满意人数",),
    Column(COUNT, "good_reviews"): ("好评量", "好评数"),
    Column(COUNT, "bad_reviews"): ("中差评", "中差评数", "差评数", "评分≤3订单数", "评分<=3订单数"),
    Column(COUNT, "complaints"): ("投诉数",),
    Column(COUNT, "disputes"): ("纠纷退款数",),
    Column(COUNT, "cases"): ("接待售后人数", "售后接待人数"),
    Column(COUNT, "resolved"): ("解决人数", "已解决人数"),
    Column(COUNT, "outbound_calls"): ("呼出电话数", "回访数"),
    Column(COUNT, "errors"): ("出错次数",),
    Column(COUNT, "workdays"): ("上班天数", "出勤天数"),
    Column(TOTAL_TIME, "online_s"): ("在线总时长", "在线时长", "pc在线时长"),
    Column(RATE, "conversion"): ("询单->最终付款成功率", "询单->最终付款转化率", "询单转化率",
                                 "询单最终付款转化率"),
    Column(RATE, "nextday_conversion"): ("询单->次日付款成功率", "询单->次日付款转化率"),
    Column(RATE, "reply"): ("客服回复率", "回复率"),
    Column(RATE, "reply_3min"): ("3分钟人工回复率", "3分钟人工响应率", "客服3分钟人工回复率", "3分钟回复率"),
    Column(RATE, "answer_30s"): ("30秒应答率", "30s应答率"),
    Column(RATE, "slow_response"): ("慢响应率",),
    Column(RATE, "satisfaction"): ("客户满意率", "满意率", "服务满意率"),
    Column(RATE, "dissatisfaction"): ("不满意率",),
    Column(RATE, "resolution"): ("售后一次解决率", "一次解决率", "解决率"),
    Column(RATE, "refund"): ("退款率",),
    Column(RATE, "rating_participation"): ("服务满意度评价参与率", "评价参与率", "参评率"),
    Column(AVERAGE, "first_response"): ("首次响应时间", "首次响应", "首次响应时长", "平均首次响应时长"),
    Column(AVERAGE, "response"): ("平均响应时间", "平均响应", "平均人工响应时长", "平均响应时长(新)",
                                  "平均响应时长"),
    Column(AVERAGE, "reception"): ("平均接待时长",),
    Column(RATIO, "aov"): ("客单价",),
    Column(RATIO, "items_per_buyer"): ("客件数",),
    Column(RATIO, "csat_avg"): ("服务满意度评分", "满意度评分"),
    Column(RATIO, "answer_question_ratio"): ("客服答问比", "答问比"),
    Column(IGNORED): ("序号", "排名", "客服服务分", "邮费总额", "手工折扣率", "静默下单本人落实付款-人数",
                      "静默下单本人落实付款-金额", "下单->最终付款成功率", "全静默单本人跟进-人数", "协助跟进人数",
                      "协助下单人数", "直接接入人数", "转发接入人数", "总消息数", "客服字数", "最大同时聊天数",
                      "当日询单人数", "当日付款人数", "当日付款金额", "询单当日付款转化率", "件均价", "去退销售额",
                      "需要人工回复的咨询人数", "3分钟未回复人数", "人工已接待会话量", "技能组", "转入人数",
                      "直接接待人数"),
}

SESSION_FIELDS = ("shop", "account", "session_id", "day", "time", "answered", "resolved", "converted",
                  "inquiry", "wait_s", "duration_s", "rating", "amount", "topic", "loss_reason")

_SESSION_HEADERS: dict[str, tuple[str, ...]] = {
    "session_id": ("id", "会话id", "会话编号", "callid", "ticketid", "sessionid", "工单号", "工单id", "工单编号",
                   "通话id", "记录id", "编号", "conversationid", "chatid", "caseid", "ticketno", "ticketnumber"),
    "account": ("agent", "agentname", "客服", "坐席", "坐席名称", "客服昵称", "客服账号", "客服名称", "接待客服",
                "处理人", "账号", "assignee", "agentid", "handler"),
    "shop": ("店铺", "店铺名称", "shop"),
    "day": ("date", "日期", "通话日期", "会话日期", "day", "calldate", "chatdate", "conversationdate"),
    "time": ("time", "时间", "开始时间", "starttime", "接入时间", "会话开始时间", "通话开始时间", "咨询时间",
             "datetime", "createdat", "openedat", "calltime"),
    "answered": ("answered", "是否接通", "接通", "是否回复", "是否应答"),
    "resolved": ("resolved", "是否解决", "已解决"),
    "converted": ("converted", "是否成交", "成交", "是否下单", "是否转化", "是否付款"),
    "inquiry": ("inquiry", "是否询单", "询单"),
    "wait_s": ("wait", "waittime", "waits", "speedofanswer", "speedofanswerinseconds", "首次响应", "首次响应时长",
               "首响时长", "等待时长", "等待时间", "排队时长", "firstresponsetime"),
    "duration_s": ("duration", "avgtalkduration", "talkduration", "通话时长", "会话时长", "接待时长", "处理时长",
                   "handletime", "handlingtime", "talktime", "callduration", "chatduration"),
    "rating": ("satisfactionrating", "satisfaction", "rating", "满意度", "评分", "满意度评分", "客户评分", "csat",
               "customerrating", "csatscore"),
    "amount": ("amount", "orderamount", "订单金额", "成交金额", "金额", "支付金额", "付款金额"),
    "topic": ("topic", "咨询类型", "问题类型", "咨询类别", "主题", "分类", "category"),
    "loss_reason": ("lossreason", "流失原因", "未成交原因"),
}

# Headers that only a session log has: their presence says "one row per session".
SESSION_ONLY = frozenset({"session_id", "time", "answered", "resolved", "converted", "inquiry", "wait_s",
                          "duration_s", "rating", "amount", "topic", "loss_reason"})


# -- normalizing headers ------------------------------------------------------------------

_UNITS = {
    "秒": "s", "s": "s", "sec": "s", "secs": "s", "seconds": "s", "秒钟": "s",
    "分": "min", "分钟": "min", "min": "min", "mins": "min", "minutes": "min",
    "时": "h", "小时": "h", "h": "h", "hour": "h", "hours": "h",
    "%": "pct", "百分比": "pct",
    "元": None, "¥": None, "rmb": None, "cny": None, "y/n": None, "个": None, "人": None,
}
_TRAILING_BRACKET = re.compile(r"\(([^()]*)\)$")
_TRAILING_WINDOW = re.compile(r"\d{1,2}(?::\d{2})?-\d{1,2}(?::\d{2})?点?$")
_ARROWS = re.compile(r"(?:→|⟶|➔|->|-->|—>|=>|＞|>)")


@functools.lru_cache(maxsize=1 << 16, typed=True)  # every cell of a file's head is asked several times
def normalize_header(header: object) -> str:
    """NFKC, lower case, no whitespace, `【】[]` → `()`, every arrow → `->`."""
    if header is None:
        return ""
    text = unicodedata.normalize("NFKC", str(header)).lower()
    text = re.sub(r"\s+", "", text)
    text = text.replace("[", "(").replace("]", ")").replace("【", "(").replace("】", ")")
    return _ARROWS.sub("->", text).replace("-->", "->")


def split_header(header: object) -> tuple[str, str | None]:
    """(base name, unit) — trailing `(秒)`/`(分)`/`(时)`/`(%)`/`(元)` give the unit, other
    trailing brackets and bare windows like `8-23点` are dropped."""
    base = normalize_header(header)
    unit: str | None = None
    while True:
        found = _TRAILING_BRACKET.search(base)
        if found and found.start() > 0:
            inner = found.group(1)
            if inner in _UNITS and unit is None:
                unit = _UNITS[inner]
            base = base[: found.start()]
            continue
        window = _TRAILING_WINDOW.search(base)
        if window and window.start() > 0 and base.endswith("点"):
            base = base[: window.start()]
            continue
        break
    if base.endswith("%") and len(base) > 1:
        base, unit = base[:-1], "pct"
    return base, unit


def _index(table: dict) -> dict[str, object]:
    out: dict[str, object] = {}
    for target, headers in table.items():
        for header in headers:
            out.setdefault(normalize_header(header), target)
    return out


FACT_ALIASES: dict[str, Column] = _index(_FACT_HEADERS)  # type: ignore[assignment]
SESSION_ALIASES: dict[str, str] = _index(_SESSION_HEADERS)  # type: ignore[assignment]
_ACCOUNT_RANK = {normalize_header(h): i for i, h in enumerate(ACCOUNT_PRIORITY)}


def fact_column(header: object) -> Column | None:
    """What an aggregate export's header means, or None when it is not recognised."""
    full = normalize_header(header)
    if not full:
        return None
    if full in FACT_ALIASES:
        found = FACT_ALIASES[full]
        _, unit = split_header(header)
        return Column(found.kind, found.target, unit) if unit else found
    base, unit = split_header(header)
    found = FACT_ALIASES.get(base)
    if found is None:
        return None
    return Column(found.kind, found.target, unit)


def session_field(header: object) -> tuple[str, str | None] | None:
    """(session field, unit) for a session log's header, or None."""
    full = normalize_header(header)
    if not full:
        return None
    if full in SESSION_ALIASES:
        return SESSION_ALIASES[full], split_header(header)[1]
    base, unit = split_header(header)
    field = SESSION_ALIASES.get(base)
    if field is None and "_" in str(header):  # a system's own snake_case: ticket_id, agent_name
        return session_field(str(header).replace("_", " "))
    return (field, unit) if field else None


def account_rank(header: object) -> int:
    """Lower = more specific account column (账号名称 before 客服昵称)."""
    base, _ = split_header(header)
    return _ACCOUNT_RANK.get(normalize_header(header), _ACCOUNT_RANK.get(base, len(_ACCOUNT_RANK)))


# -- caller mappings ({field: header}) ----------------------------------------------------

_FIELD_SYNONYMS = {
    "agent": "account", "客服": "account", "账号": "account", "id": "session_id", "session": "session_id",
    "date": "day", "日期": "day", "wait": "wait_s", "duration": "duration_s", "店铺": "shop",
    "period": "date_range", "first_response_s": "first_response", "avg_response_s": "response",
    "avg_reception_s": "reception", "satisfaction_rate": "satisfaction",
}


IGNORE = "ignore"


def mapping_target(field: str) -> tuple[str, object] | None:
    """A mapping key → ('session', field), ('fact', Column), ('both', identity),
    ('either', name): a session flag in a log, a count in an aggregate export (`resolved`),
    or ('ignore', None): a column not to import.

    Keys are canonical measure names, rate/average/ratio keys (`conversion`, `response`,
    `aov`, …), session fields, or `account`/`shop`/`date`.
    """
    key = normalize_header(field)
    key = _FIELD_SYNONYMS.get(key, key)
    if key == IGNORE or key.startswith(IGNORE + ":"):  # `ignore:备注`: several columns can be left out
        return (IGNORE, None)
    if key in ("account", "shop"):
        return ("both", key)
    if key in ("day", "date_range"):
        return ("both", "date")
    if key in SESSION_ONLY:
        return ("either", key) if key in MEASURE_NAMES else ("session", key)  # resolved: a flag or a count
    if key in MEASURE_NAMES:
        return ("fact", Column(TOTAL_TIME if key == "online_s" else COUNT, key))
    for kind, table in ((RATE, RATES), (AVERAGE, AVERAGES), (RATIO, RATIOS)):
        if key in table:
            return ("fact", Column(kind, key))
        if key.endswith("_rate") and key[:-5] in table:
            return ("fact", Column(kind, key[:-5]))
    return None


# -- what a user can say a column is (the data page's column mapping) -------------------------

_RATE_LABELS = {"dissatisfaction": ("不满意率", "Dissatisfaction rate"),
                "rating_participation": ("评价参与率", "Rating participation")}
_AVERAGE_KEYS = {"first_response": "first_response_s", "response": "avg_response_s", "reception": "avg_reception_s"}


def _rate_label(rate: str) -> tuple[str, str]:
    if rate in _RATE_LABELS:
        return _RATE_LABELS[rate]
    kpi = rate if rate == "satisfaction" else f"{rate}_rate"
    return label(kpi, "zh"), label(kpi, "en")


MAPPING_FIELDS: dict[str, tuple[str, str]] = {
    IGNORE: ("不导入这一列", "Do not import this column"),
    "account": ("客服账号", "Agent account"),
    "shop": ("店铺", "Shop"),
    "date": ("日期", "Date"),
    "session_id": ("会话编号（会话记录）", "Session id (session log)"),
    "time": ("开始时间（会话记录）", "Start time (session log)"),
    "answered": ("是否接通/回复（会话记录）", "Answered (session log)"),
    "resolved": ("已解决人数 / 是否解决（会话记录）", "Resolved (a count, or a flag in a session log)"),
    "converted": ("是否成交（会话记录）", "Converted (session log)"),
    "inquiry": ("是否询单（会话记录）", "Inquiry (session log)"),
    "wait_s": ("等待/首次响应时长（会话记录）", "Wait or first response (session log)"),
    "duration_s": ("会话时长（会话记录）", "Duration (session log)"),
    "rating": ("评分 1–5（会话记录）", "Rating 1–5 (session log)"),
    "amount": ("成交金额（会话记录）", "Order amount (session log)"),
    "topic": ("咨询类型（会话记录）", "Topic (session log)"),
    "loss_reason": ("流失原因（会话记录）", "Loss reason (session log)"),
    **{m.name: (m.zh, m.en) for m in MEASURES if m.name not in SESSION_ONLY},
    **{f"{rate}_rate": _rate_label(rate) for rate in RATES},
    **{key: (label(key, "zh"), label(key, "en")) for key in _AVERAGE_KEYS.values()},
    **{ratio: (label(ratio, "zh"), label(ratio, "en")) for ratio in RATIOS},
}
"""Every key `mapping_target` accepts that a column can be mapped to, with its zh/en label."""


def mapping_key(column: Column) -> str | None:
    """The `MAPPING_FIELDS` key an aggregate export's column was read as (None: known, not stored)."""
    if column.kind == IDENTITY or column.kind in (COUNT, TOTAL_TIME) or column.kind == RATIO:
        return column.target
    if column.kind == RATE:
        return f"{column.target}_rate"
    if column.kind == AVERAGE:
        return _AVERAGE_KEYS[column.target]
    return None
