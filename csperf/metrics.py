"""The KPI catalogue of spec/metrics.md, as data.

Every other module names measures and KPIs through this file: the database columns,
the SQL aggregations, the scoring engine and the UI labels all come from here, so a
KPI is defined once and re-aggregated the same way everywhere (Σnum / Σden).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Measure:
    """An additive column stored per shop, account and day (or period)."""

    name: str
    zh: str
    en: str
    unit: str = "count"  # count | cny | s
    lower_is_better: bool = False


@dataclass(frozen=True)
class Kpi:
    """A figure the product shows: a pooled ratio, a sum, or a mean over months."""

    name: str
    zh: str
    en: str
    kind: str  # ratio | sum | mean
    unit: str  # pct | s | cny | count | ratio | score
    num: str | None = None
    den: str | None = None
    lower_is_better: bool = False

    @property
    def higher_is_better(self) -> bool:
        return not self.lower_is_better


MEASURES: tuple[Measure, ...] = (
    Measure("consults", "咨询人数", "Consultations"),
    Measure("receptions", "接待人数", "Receptions"),
    Measure("valid_receptions", "有效接待人数", "Valid receptions"),
    Measure("unreplied", "未回复人数", "Unreplied", lower_is_better=True),
    Measure("replied", "已回复人数", "Replied"),
    Measure("reply_3min", "3分钟内回复人数", "Replied within 3 min"),
    Measure("answer_30s", "30秒内应答人数", "Answered within 30 s"),
    Measure("inquiries", "询单人数", "Inquiries"),
    Measure("paid_buyers", "最终付款人数", "Paid buyers"),
    Measure("nextday_paid_buyers", "询单->次日付款人数", "Next-day paid buyers"),
    Measure("ordered_buyers", "下单人数", "Ordered buyers"),
    Measure("sales", "销售额", "Sales", unit="cny"),
    Measure("sales_buyers", "销售人数", "Sales buyers"),
    Measure("items", "销售件数", "Items sold"),
    Measure("orders", "销售订单数", "Orders"),
    Measure("refund_amount", "退款金额", "Refund amount", unit="cny", lower_is_better=True),
    Measure("refund_buyers", "退款人数", "Refund buyers", lower_is_better=True),
    Measure("slow_responses", "慢响应人数", "Slow responses", lower_is_better=True),
    Measure("long_receptions", "长接待人数", "Long receptions", lower_is_better=True),
    Measure("transfers_out", "转出人数", "Transfers out", lower_is_better=True),
    Measure("agent_messages", "客服消息数", "Agent messages"),
    Measure("buyer_messages", "买家消息数", "Buyer messages"),
    Measure("first_response_sum_s", "首次响应总时长(秒)", "First response total (s)", unit="s"),
    Measure("first_response_n", "首次响应计数", "First responses"),
    Measure("response_sum_s", "响应总时长(秒)", "Response total (s)", unit="s"),
    Measure("response_n", "响应计数", "Responses"),
    Measure("reception_sum_s", "接待总时长(秒)", "Reception total (s)", unit="s"),
    Measure("reception_n", "计时接待人数", "Timed receptions"),
    Measure("ratings", "评价量", "Ratings"),
    Measure("ratings_very_satisfied", "非常满意", "Very satisfied"),
    Measure("ratings_satisfied", "满意", "Satisfied"),
    Measure("ratings_neutral", "一般", "Neutral"),
    Measure("ratings_dissatisfied", "不满意", "Dissatisfied", lower_is_better=True),
    Measure("ratings_very_dissatisfied", "非常不满意", "Very dissatisfied", lower_is_better=True),
    Measure("satisfied", "满意人数", "Satisfied (top two)"),
    Measure("good_reviews", "好评量", "Good reviews"),
    Measure("bad_reviews", "中差评", "Bad reviews", lower_is_better=True),
    Measure("complaints", "投诉数", "Complaints", lower_is_better=True),
    Measure("disputes", "纠纷退款数", "Disputes", lower_is_better=True),
    Measure("cases", "接待售后人数", "Cases"),
    Measure("resolved", "已解决", "Resolved"),
    Measure("csat_sum", "评分总和", "Rating sum"),
    Measure("outbound_calls", "回访数", "Outbound calls"),
    Measure("errors", "出错次数", "Errors", lower_is_better=True),
    Measure("workdays", "上班天数", "Workdays"),
    Measure("online_s", "在线总时长(秒)", "Online time (s)", unit="s"),
)

MEASURE_NAMES: tuple[str, ...] = tuple(m.name for m in MEASURES)
MEASURE_BY_NAME: dict[str, Measure] = {m.name: m for m in MEASURES}

# Measures that only rebuild a ratio (its numerator or its count): no KPI of their own, but
# summed under their canonical names in query results and exports like every measure.
_PARTS = {
    "first_response_sum_s",
    "first_response_n",
    "response_sum_s",
    "response_n",
    "reception_sum_s",
    "reception_n",
    "csat_sum",
    "replied",
    "reply_3min",
    "answer_30s",
    "satisfied",
}
PART_MEASURES: tuple[str, ...] = tuple(m for m in MEASURE_NAMES if m in _PARTS)

RATIO_KPIS: tuple[Kpi, ...] = (
    Kpi("conversion_rate", "询单转化率", "Inquiry conversion", "ratio", "pct", "paid_buyers", "inquiries"),
    Kpi("nextday_conversion_rate", "询单→次日付款率", "Next-day conversion", "ratio", "pct",
        "nextday_paid_buyers", "inquiries"),
    Kpi("aov", "客单价", "Average order value", "ratio", "cny", "sales", "sales_buyers"),
    Kpi("items_per_buyer", "客件数", "Items per buyer", "ratio", "ratio", "items", "sales_buyers"),
    Kpi("receptions_per_day", "日均接待", "Receptions per day", "ratio", "count", "receptions", "workdays"),
    Kpi("first_response_s", "首次响应时间(秒)", "First response (s)", "ratio", "s",
        "first_response_sum_s", "first_response_n", lower_is_better=True),
    Kpi("avg_response_s", "平均响应时间(秒)", "Average response (s)", "ratio", "s",
        "response_sum_s", "response_n", lower_is_better=True),
    Kpi("reply_rate", "回复率", "Reply rate", "ratio", "pct", "replied", "receptions"),
    Kpi("reply_3min_rate", "3分钟回复率", "3-minute reply rate", "ratio", "pct", "reply_3min", "receptions"),
    Kpi("answer_30s_rate", "30秒应答率", "30-second answer rate", "ratio", "pct", "answer_30s", "receptions"),
    Kpi("slow_response_rate", "慢响应率", "Slow response rate", "ratio", "pct", "slow_responses",
        "receptions", lower_is_better=True),
    Kpi("satisfaction", "满意率", "Satisfaction", "ratio", "pct", "satisfied", "ratings"),
    Kpi("refund_rate", "退款率", "Refund rate", "ratio", "pct", "refund_amount", "sales", lower_is_better=True),
    Kpi("resolution_rate", "解决率", "Resolution rate", "ratio", "pct", "resolved", "cases"),
    Kpi("csat_avg", "平均评分 (1–5)", "Average rating (1–5)", "ratio", "ratio", "csat_sum", "ratings"),
    Kpi("answer_question_ratio", "答问比", "Answer/question ratio", "ratio", "ratio",
        "agent_messages", "buyer_messages"),
    Kpi("avg_reception_s", "平均接待时长(秒)", "Average reception (s)", "ratio", "s",
        "reception_sum_s", "reception_n"),
)

# Each measure's partners: the other side of every ratio it is part of. Rows of one key
# that add up (csperf.importer, csperf.db) must keep a ratio's two sides over the same rows.
RATIO_PARTNERS: dict[str, tuple[str, ...]] = {
    m: tuple(dict.fromkeys(k.den if k.num == m else k.num for k in RATIO_KPIS if m in (k.num, k.den)))
    for m in MEASURE_NAMES
    if any(m in (k.num, k.den) for k in RATIO_KPIS)
}

# A measure read from another where no report of the agent-day gives it (metrics.md: 销售人数,
# else the paid buyers). Applied where the day is read (the facts view), so a report without
# it never replaces the one an earlier report of that day gave.
FALLBACKS: dict[str, str] = {"sales_buyers": "paid_buyers"}

SUM_KPIS: tuple[Kpi, ...] = tuple(
    Kpi(m.name, m.zh, m.en, "sum", "cny" if m.unit == "cny" else ("s" if m.unit == "s" else "count"),
        num=m.name, lower_is_better=m.lower_is_better)
    for m in MEASURES
    if m.name not in _PARTS
)

# Scores a supervisor enters per agent and month (0–100); a period's is the mean over its months.
MANUAL_KPIS: tuple[Kpi, ...] = (
    Kpi("qa_score", "质检分", "QA score", "mean", "score"),
    Kpi("member_care", "会员维护分", "Member care score", "mean", "score"),
    Kpi("data_completeness", "资料完整度", "Data completeness score", "mean", "score"),
)
MANUAL_SCORES: tuple[str, ...] = tuple(k.name for k in MANUAL_KPIS)

KPIS: tuple[Kpi, ...] = RATIO_KPIS + SUM_KPIS + MANUAL_KPIS
KPI_BY_NAME: dict[str, Kpi] = {k.name: k for k in KPIS}
KPI_NAMES: tuple[str, ...] = tuple(KPI_BY_NAME)


def kpi(name: str) -> Kpi:
    """The catalogue entry for a KPI name, with a message that lists the valid ones."""
    try:
        return KPI_BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown KPI {name!r}; known: {', '.join(KPI_NAMES)}") from None


def label(name: str, lang: str = "zh") -> str:
    """The UI label of a KPI or measure; falls back to the canonical name."""
    item = KPI_BY_NAME.get(name) or MEASURE_BY_NAME.get(name)
    if item is None:
        return name
    return item.zh if lang == "zh" else item.en
