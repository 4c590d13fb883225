"""Demo data: four months of CS exports from four shops, written as the shops download them.

The demo must exercise the real import path, so this writes files in the platforms' own
shapes (spec/exports.md) instead of filling the database: a Tmall shop through a 赤兔-style
tool (period in the file name, 汇总/均值 rows, 延迟统计 on unsettled days), a Pinduoduo
shop's 客服绩效 (title period cell, '36.99%', '9秒', '-', 总计/平均 rows), a Douyin 飞鸽
shop as GB18030 CSV (店铺汇总值/店铺平均值 rows, '2分30秒'), after-sales figures and an
after-sales session log, a WeChat private-domain desk known only by its chat log (orders and
the reasons chats did not buy), plus the roster and the supervisors' QA scores. Every figure comes
from one seeded draw per agent and day, so the same seed gives the same bytes, and the
numbers hold together (paid ≤ inquiries ≤ receptions) the way real exports do.

Usage: python data/make_demo.py [OUT_DIR] [--end YYYY-MM-DD] [--days N] [--seed N]
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import xlsxwriter

TMALL = "悦享旗舰店"
PDD = "好物优选店"
DOUYIN = "潮玩抖音小店"
WECHAT = "企微私域店"
ROSTER_FILE = "roster.xlsx"
QA_FILE = "qa.csv"
DEFAULT_OUT = Path(__file__).resolve().parent / "demo"
LEVEL_PAY = {"junior": 2000.0, "mid": 2500.0, "senior": 3000.0, "vip": 3500.0}
# the owner's monthly targets: each shop's and each pre-sales agent's sales at this growth
# over the month before (the whole business: the shops' sum), and these levels for all shops
SALES_GROWTH = 1.1
TARGET_LEVELS = {"conversion_rate": 0.33, "first_response_s": 20.0, "reply_rate": 0.98, "satisfaction": 0.88,
                 "refund_rate": 0.06}

_LEVEL_ZH = {"junior": "初级", "mid": "中级", "senior": "高级", "vip": "VIP"}
_ROLE_ZH = {"presales": "售前", "aftersales": "售后"}
_PROMOTIONS = {  # (month, day): volume factor — 双11 and 618 with their warm-up and tail days
    (11, 1): 1.8, (11, 2): 1.4, (11, 10): 2.2, (11, 11): 4.5, (11, 12): 1.6,
    (6, 1): 1.6, (6, 17): 1.8, (6, 18): 3.5, (6, 19): 1.4, (12, 12): 2.0,
}
_AFTERSALES_WAVE = {  # returns and logistics questions arrive days after a peak
    (11, 13): 1.6, (11, 14): 2.2, (11, 15): 2.4, (11, 16): 2.2, (11, 17): 1.9, (11, 18): 1.6,
    (11, 19): 1.4, (6, 20): 1.6, (6, 21): 2.0, (6, 22): 1.8, (6, 23): 1.4,
}
_WEEKDAY = (1.05, 1.0, 0.95, 0.95, 1.0, 1.15, 1.2)
_PROVISIONAL_DAYS = 2
_PDD_OLD_HEADER_DAYS = 45  # the first weeks still carry the older '(8-23点)' header
_TOPICS = ("物流查询", "退换货", "商品质量", "退款进度", "发票", "优惠券")
_LOSS_REASONS = (("不包邮", 28), ("价格高", 22), ("比价后未回复", 18), ("尺码/规格不合适", 15), ("只是咨询", 10),
                 ("库存不足", 7))


@dataclass(frozen=True)
class Agent:
    shop: str
    account: str
    name: str
    team: str
    role: str
    level: str
    base_salary: float | None
    shift: str
    volume: float  # receptions on an ordinary weekday
    conversion: float = 0.3
    aov: float = 180.0
    response_s: float = 22.0
    starts_after: int = 0  # days into the period before the account exists (new hire)
    days_off: int = 2  # per week; nobody is off on a promotion day
    qa: float = 85.0
    robot: bool = False


AGENTS: tuple[Agent, ...] = (
    # Tmall pre-sales: the star, a slow responder, a night shift and a late-starting new hire
    Agent(TMALL, "小美", "王美", "售前一组", "presales", "senior", 3000, "白班", 72, 0.43, 365, 13, days_off=1, qa=96),
    Agent(TMALL, "娜娜", "李娜", "售前一组", "presales", "mid", 2600, "白班", 55, 0.31, 195, 21, qa=88),
    Agent(TMALL, "小雨", "陈雨", "售前一组", "presales", "mid", None, "白班", 58, 0.30, 178, 19, qa=86),
    Agent(TMALL, "阿杰", "刘杰", "售前一组", "presales", "junior", None, "白班", 50, 0.27, 152, 27, qa=82),
    Agent(TMALL, "小北", "赵北", "售前二组", "presales", "junior", None, "白班", 46, 0.22, 141, 55, qa=74),
    Agent(TMALL, "小鹿", "孙璐", "售前二组", "presales", "mid", 2600, "白班", 61, 0.34, 212, 18, qa=90),
    Agent(TMALL, "新新", "郑欣", "售前二组", "presales", "junior", 1800, "白班", 16, 0.21, 128, 34,
          starts_after=94, days_off=1, qa=80),
    Agent(TMALL, "夜猫", "周凯", "售前夜班组", "presales", "mid", None, "夜班", 34, 0.28, 171, 24, qa=84),
    Agent(TMALL, "星星", "吴星", "售前夜班组", "presales", "junior", None, "夜班", 29, 0.25, 158, 31, qa=81),
    Agent(TMALL, "店小蜜", "店小蜜(机器人)", "", "presales", "", None, "", 130, 0.08, 150, 1.5,
          days_off=0, robot=True),
    # Tmall after-sales (赤兔 after-sales variant)
    Agent(TMALL, "售后阿强", "李强", "售后组", "aftersales", "mid", None, "白班", 42, response_s=24, qa=87),
    Agent(TMALL, "售后小芳", "王芳", "售后组", "aftersales", "senior", 3000, "白班", 48, response_s=18, qa=92),
    Agent(TMALL, "售后大海", "冯海", "售后组", "aftersales", "junior", None, "白班", 36, response_s=33, qa=79),
    Agent(TMALL, "售后小静", "何静", "售后组", "aftersales", "junior", None, "夜班", 28, response_s=29, qa=83),
    # Pinduoduo pre-sales; 李娜 also works here under her own PDD account
    Agent(PDD, "娜娜", "李娜", "拼多多售前组", "presales", "mid", None, "白班", 38, 0.33, 96, 20, qa=88),
    Agent(PDD, "阿磊", "王磊", "拼多多售前组", "presales", "mid", None, "白班", 62, 0.36, 92, 16, qa=89),
    Agent(PDD, "敏敏", "张敏", "拼多多售前组", "presales", "junior", None, "白班", 57, 0.32, 85, 22, qa=84),
    Agent(PDD, "丽丽", "黄丽", "拼多多售前组", "presales", "junior", None, "白班", 53, 0.29, 88, 26, qa=82),
    Agent(PDD, "涛涛", "林涛", "拼多多售前组", "presales", "mid", None, "夜班", 35, 0.30, 90, 23, qa=85),
    Agent(PDD, "超超", "马超", "拼多多售前组", "presales", "junior", None, "白班", 49, 0.27, 82, 30, qa=80),
    # Douyin 飞鸽 pre-sales, and after-sales through a session log
    Agent(DOUYIN, "可可", "韩可", "抖音售前组", "presales", "mid", None, "白班", 48, 0.38, 139, 17, qa=89),
    Agent(DOUYIN, "乐乐", "唐乐", "抖音售前组", "presales", "junior", None, "白班", 44, 0.31, 126, 25, qa=83),
    Agent(DOUYIN, "果果", "曹果", "抖音售前组", "presales", "junior", None, "夜班", 31, 0.29, 118, 28, qa=82),
    Agent(DOUYIN, "豆豆", "彭豆", "抖音售前组", "presales", "senior", 3000, "白班", 52, 0.35, 162, 15, qa=91),
    Agent(DOUYIN, "小雅", "许雅", "抖音售后组", "aftersales", "mid", None, "白班", 34, response_s=26, qa=86),
    Agent(DOUYIN, "阿峰", "邓峰", "抖音售后组", "aftersales", "junior", None, "白班", 30, response_s=38, qa=78),
    # a WeChat private-domain pre-sales desk: no platform export, only its chat tool's log
    Agent(WECHAT, "私域小林", "林琳", "私域售前组", "presales", "mid", None, "白班", 26, 0.24, 260, 35, qa=85),
    Agent(WECHAT, "私域阿宁", "宁远", "私域售前组", "presales", "junior", None, "白班", 22, 0.19, 240, 48, qa=81),
    Agent(WECHAT, "私域糖糖", "唐甜", "私域售前组", "presales", "senior", 3000, "白班", 30, 0.28, 280, 28, qa=90),
)


# -- one seeded draw per agent and day ---------------------------------------------------------


def _rng(seed: int, *parts) -> random.Random:
    return random.Random("|".join(str(p) for p in (seed, *parts)))


def _binomial(rng: random.Random, n: int, p: float) -> int:
    if n <= 0 or p <= 0:
        return 0
    if n < 60:
        return sum(rng.random() < p for _ in range(n))
    drawn = round(rng.gauss(n * p, math.sqrt(n * p * (1 - p))))
    return min(n, max(0, drawn))


def _day_factor(day: date) -> float:
    return _WEEKDAY[day.weekday()] * _PROMOTIONS.get((day.month, day.day), 1.0)


def _works(agent: Agent, day: date, start: date, seed: int) -> bool:
    """Days off rotate through the team week by week, so every team-day is staffed."""
    if (day - start).days < agent.starts_after:
        return False
    if _PROMOTIONS.get((day.month, day.day), 1.0) >= 1.8 or agent.days_off == 0:
        return True
    team = [a for a in AGENTS if a.shop == agent.shop and a.team == agent.team]
    offset = sum(a.days_off for a in team[: team.index(agent)])
    year, week, _ = day.isocalendar()
    first_off = _rng(seed, agent.shop, agent.team, "week", year, week).randrange(7) + offset
    return (day.weekday() - first_off) % 7 >= agent.days_off


def _presales_day(agent: Agent, day: date, seed: int) -> dict[str, float]:
    """Additive raw figures of one pre-sales agent-day; every export shape is formatted from these."""
    rng = _rng(seed, agent.shop, agent.account, day)
    factor = _day_factor(day)
    promo = factor >= 2
    r = max(1, round(agent.volume * factor * rng.lognormvariate(0, 0.18)))
    i = round(r * min(0.85, rng.uniform(0.55, 0.72) + (0.06 if promo else 0)))
    conversion = min(0.9, agent.conversion * rng.uniform(0.9, 1.1) + (0.05 if promo else 0))
    p = _binomial(rng, i, conversion)
    response = min(60.0, agent.response_s * rng.uniform(0.85, 1.15) * (1.2 if promo else 1))
    slow = _binomial(rng, r, min(0.4, max(0.003, (response - 12) / 160)))
    buyer_messages = round(r * rng.uniform(5, 9))
    sales = round(p * agent.aov * rng.uniform(0.9, 1.1), 2)
    silent = _binomial(rng, r, 0.03)
    ratings = _binomial(rng, r, 0.22)
    satisfied = _binomial(rng, ratings, 0.93 if response < 30 else 0.84)
    return {
        "receptions": r,
        "consults": r + _binomial(rng, r, 0.18),
        "human_needed": r + _binomial(rng, r, 0.04),
        "conversations": r + _binomial(rng, r, 0.12),
        "inquiries": i,
        "paid": p,
        "ordered": p + _binomial(rng, i - p, 0.12),
        "nextday_paid": _binomial(rng, p, 0.14),
        "sales": sales,
        "items": p + _binomial(rng, p, rng.uniform(0.2, 0.8)),
        "postage": round(_binomial(rng, p, 0.15) * rng.uniform(6, 12), 2),
        "discount": round(sales * rng.uniform(0, 0.03), 2),
        "replied": r - _binomial(rng, r, 0.008),
        "reply_3min": r - _binomial(rng, r, 0.004 + slow / r * 0.3),
        "answer_30s": _binomial(rng, r, min(0.99, max(0.3, 1.05 - response / 70))),
        "slow": slow,
        "long": _binomial(rng, r, 0.03),
        "transfers": _binomial(rng, r, 0.02),
        "refund": round(sales * rng.uniform(0.02, 0.09), 2),
        "buyer_messages": buyer_messages,
        "agent_messages": round(buyer_messages * rng.uniform(1.1, 1.9)),
        "bad_reviews": _binomial(rng, p, 0.012),
        "disputes": _binomial(rng, p, 0.004),
        "complaints": _binomial(rng, r, 0.002),
        "silent_buyers": silent,
        "silent_sales": round(silent * agent.aov * rng.uniform(0.8, 1.2), 2),
        "full_silent": _binomial(rng, r, 0.02),
        "assist_follow": _binomial(rng, r, 0.03),
        "assist_order": _binomial(rng, r, 0.01),
        "ratings": ratings,
        "satisfied": satisfied,
        "dissatisfied": _binomial(rng, ratings - satisfied, 0.5),
        "response_sum": response * r,
        "first_response_sum": response * rng.uniform(0.45, 0.65) * r,
        "reception_sum": rng.uniform(300, 620) * r,
        "online_s": rng.uniform(7.2, 9.6) * 3600,
        "service_score": round(_service_score(agent) + rng.uniform(-0.08, 0.08), 2),
    }


def _service_score(agent: Agent) -> float:
    """PDD's 客服服务分, a rolling score that mostly follows response speed."""
    return 4.82 if agent.response_s < 25 else 4.55 if agent.response_s < 30 else 4.3


def _aftersales_day(agent: Agent, day: date, seed: int) -> dict[str, float]:
    rng = _rng(seed, agent.shop, agent.account, day)
    factor = _WEEKDAY[day.weekday()] * _AFTERSALES_WAVE.get((day.month, day.day), 1.0)
    r = max(1, round(agent.volume * factor * rng.lognormvariate(0, 0.15)))
    transfer_in = _binomial(rng, r, 0.3)
    cases = r - _binomial(rng, r, 0.08)
    ratings = _binomial(rng, r, rng.uniform(0.2, 0.35))
    satisfied = _binomial(rng, ratings, 0.92 if agent.response_s < 30 else 0.82)
    score = rng.uniform(4.5, 4.9) if agent.response_s < 30 else rng.uniform(4.1, 4.5)
    return {
        "receptions": r,
        "transfer_in": transfer_in,
        "direct": r - transfer_in,
        "replied": r - _binomial(rng, r, 0.01),
        "response_sum": agent.response_s * rng.uniform(0.85, 1.2) * r,
        "cases": cases,
        "resolved": _binomial(rng, cases, 0.9 if agent.response_s < 30 else 0.78),
        "ratings": ratings,
        "satisfied": satisfied,
        "csat_sum": round(score * ratings, 2),
        "workdays": 1,
    }


# -- value formats as the platforms write them -------------------------------------------------


def _pct(num: float, den: float) -> str:
    return f"{num / den:.2%}" if den else "-"


def _ratio(num: float, den: float, digits: int = 4):
    return round(num / den, digits) if den else "-"


def _cn_duration(seconds: float) -> str:
    """9 → '9秒', 150 → '2分30秒', 27712 → '7小时41分52秒'."""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}小时{minutes}分{secs}秒"
    if minutes:
        return f"{minutes}分{secs}秒"
    return f"{secs}秒"


def _per_reception(total_s: float, receptions: float) -> str:
    return _cn_duration(total_s / receptions) if receptions else "-"


def _money(amount: float) -> str:
    return f"{amount:,.2f}"


def _sum(rows: list[dict[str, float]]) -> dict[str, float]:
    total: dict[str, float] = {}
    for row in rows:
        for key, value in row.items():
            total[key] = total.get(key, 0) + value
    return total


def _mean(rows: list[dict[str, float]]) -> dict[str, float]:
    """Per-agent means (the 均值 row); ratios of means equal the pooled ratios."""
    count = max(1, len(rows))
    return {key: value / count for key, value in _sum(rows).items()}


def _count(value: float):
    return int(value) if float(value).is_integer() else round(value, 2)


# -- Tmall: 赤兔-style per-agent detail and its after-sales variant ---------------------------

CHITU_PRESALES_HEADER = [
    "客服", "接待人数", "询单人数", "询单->最终付款人数", "询单->最终付款成功率", "客件数", "客单价",
    "邮费总额", "手工折扣率", "客服回复率", "平均响应时间", "首次响应时间", "平均接待时长",
    "平均接待时长(秒)", "静默下单本人落实付款-人数", "静默下单本人落实付款-金额", "销售额",
    "客服答问比", "慢响应人数", "询单->最终下单人数", "下单->最终付款成功率", "全静默单本人跟进-人数",
    "询单->次日付款人数", "询单->次日付款成功率", "协助跟进人数", "协助下单人数", "转出人数", "退款率",
]
CHITU_UNSETTLED = {
    "询单->最终付款人数", "询单->最终付款成功率", "下单->最终付款成功率", "询单->次日付款人数",
    "询单->次日付款成功率",
}
CHITU_AFTERSALES_HEADER = [
    "旺旺", "接待人数", "转入人数", "直接接待人数", "回复率", "平均响应(秒)", "接待售后人数",
    "售后一次解决率", "服务满意度评价参与量", "服务满意度评价参与率", "客户满意率", "服务满意度评分",
    "上班天数",
]


def _chitu_presales_row(label: str, f: dict[str, float], unsettled: bool) -> list:
    r, paid = f["receptions"], f["paid"]
    row = {
        "客服": label,
        "接待人数": _count(r),
        "询单人数": _count(f["inquiries"]),
        "询单->最终付款人数": _count(paid),
        "询单->最终付款成功率": _pct(paid, f["inquiries"]),
        "客件数": _ratio(f["items"], paid, 2),
        "客单价": _ratio(f["sales"], paid, 2),
        "邮费总额": round(f["postage"], 2),
        "手工折扣率": _pct(f["discount"], f["sales"] + f["discount"]),
        "客服回复率": _pct(f["replied"], r),
        "平均响应时间": _ratio(f["response_sum"], r, 2),
        "首次响应时间": _ratio(f["first_response_sum"], r, 2),
        "平均接待时长": _per_reception(f["reception_sum"], r),
        "平均接待时长(秒)": round(f["reception_sum"] / r) if r else "-",
        "静默下单本人落实付款-人数": _count(f["silent_buyers"]),
        "静默下单本人落实付款-金额": round(f["silent_sales"], 2),
        "销售额": round(f["sales"], 2),
        "客服答问比": _ratio(f["agent_messages"], f["buyer_messages"], 2),
        "慢响应人数": _count(f["slow"]),
        "询单->最终下单人数": _count(f["ordered"]),
        "下单->最终付款成功率": _pct(paid, f["ordered"]),
        "全静默单本人跟进-人数": _count(f["full_silent"]),
        "询单->次日付款人数": _count(f["nextday_paid"]),
        "询单->次日付款成功率": _pct(f["nextday_paid"], f["inquiries"]),
        "协助跟进人数": _count(f["assist_follow"]),
        "协助下单人数": _count(f["assist_order"]),
        "转出人数": _count(f["transfers"]),
        "退款率": _pct(f["refund"], f["sales"]),
    }
    if unsettled:
        row.update(dict.fromkeys(CHITU_UNSETTLED, "延迟统计"))
    return [row[h] for h in CHITU_PRESALES_HEADER]


def _chitu_aftersales_row(label: str, f: dict[str, float]) -> list:
    r = f["receptions"]
    return [
        label, _count(r), _count(f["transfer_in"]), _count(f["direct"]), _ratio(f["replied"], r),
        _ratio(f["response_sum"], r, 2), _count(f["cases"]), _ratio(f["resolved"], f["cases"]),
        _count(f["ratings"]), _ratio(f["ratings"], r), _ratio(f["satisfied"], f["ratings"]),
        _ratio(f["csat_sum"], f["ratings"], 2), _count(f["workdays"]),
    ]


# -- Pinduoduo 客服绩效 ------------------------------------------------------------------------

def _pdd_header(old: bool) -> list[str]:
    return [
        "序号", "客服账号", "客服服务分", "咨询人数", "询单人数", "最终成团人数", "询单转化率", "客服销售额",
        "去退销售额", "需要人工回复的咨询人数", "人工接待人数", "3分钟未回复人数",
        "3分钟人工回复率(8-23点)" if old else "3分钟人工回复率", "30秒应答率", "平均人工响应时长",
        "评分≤3订单数", "纠纷退款数", "投诉数",
    ]


def _pdd_row(number, account: str, f: dict[str, float] | None, service_score: float) -> list:
    if f is None:  # an account that did not work that day is still listed, with nothing to rate
        return [number, account, service_score, 0, 0, 0, "-", 0, 0, 0, 0, 0, "-", "-", "-", 0, 0, 0]
    r = f["receptions"]
    return [
        number, account, round(service_score, 2), _count(f["consults"]), _count(f["inquiries"]),
        _count(f["paid"]), _pct(f["paid"], f["inquiries"]), round(f["sales"], 2),
        round(f["sales"] - f["refund"], 2), _count(f["human_needed"]), _count(r),
        _count(r - f["reply_3min"]), _pct(f["reply_3min"], r), _pct(f["answer_30s"], r),
        _per_reception(f["response_sum"], r), _count(f["bad_reviews"]),
        _count(f["disputes"]), _count(f["complaints"]),
    ]


# -- Douyin 飞鸽 ------------------------------------------------------------------------------

DOUYIN_HEADER = [
    "店铺名称", "客服昵称", "账号名称", "人工已接待人数", "人工已接待会话量", "不满意率", "3分钟人工回复率",
    "首次响应时长（秒）", "平均响应时长（秒）", "满意率", "评价人数", "客服销售额（元）", "询单人数", "下单人数",
    "支付人数", "询单转化率", "PC在线时长（时）", "平均接待时长",
]


def _douyin_row(nick: str, account: str, f: dict[str, float] | None) -> list:
    if f is None:
        return [DOUYIN, nick, account, 0, 0, "-", "-", "-", "-", "-", 0, "0.00", 0, 0, 0, "-", 0, "-"]
    r = f["receptions"]
    return [
        DOUYIN, nick, account, _count(r), _count(f["conversations"]), _pct(f["dissatisfied"], f["ratings"]),
        _pct(f["reply_3min"], r), _per_reception(f["first_response_sum"], r), _per_reception(f["response_sum"], r),
        _pct(f["satisfied"], f["ratings"]), _count(f["ratings"]), _money(f["sales"]), _count(f["inquiries"]), _count(f["ordered"]),
        _count(f["paid"]), _pct(f["paid"], f["inquiries"]), round(f["online_s"] / 3600, 2),
        _per_reception(f["reception_sum"], r),
    ]


# -- writers -----------------------------------------------------------------------------------


def _xlsx(path: Path, sheet: str, rows: list[list], title: str | None = None, stamp: date | None = None) -> Path:
    """One sheet; an optional merged title cell above the header; fixed metadata so bytes repeat."""
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path))
    book.set_properties({"created": datetime.combine(stamp or date(2026, 1, 1), time(8, 0))})
    ws = book.add_worksheet(sheet)
    first = 0
    if title:
        ws.merge_range(0, 0, 0, len(rows[0]) - 1, title, book.add_format({"bold": True}))
        first = 1
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None and value != "":
                ws.write(first + r, c, value)
    book.close()
    return path


def _csv(path: Path, rows: list[list], encoding: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def _tmall_files(out: Path, days: list[date], seed: int) -> list[Path]:
    written = []
    start = days[0]
    presales = [a for a in AGENTS if a.shop == TMALL and a.role == "presales"]
    aftersales = [a for a in AGENTS if a.shop == TMALL and a.role == "aftersales"]
    for index, day in enumerate(days):
        unsettled = index >= len(days) - _PROVISIONAL_DAYS
        figures = [(a, _presales_day(a, day, seed)) for a in presales if _works(a, day, start, seed)]
        figures.sort(key=lambda item: -item[1]["receptions"])
        rows = [CHITU_PRESALES_HEADER]
        rows += [_chitu_presales_row(f"{TMALL}:{a.account}", f, unsettled) for a, f in figures]
        raw = [f for _, f in figures]
        rows += [_chitu_presales_row("汇总", _sum(raw), unsettled), _chitu_presales_row("均值", _mean(raw), unsettled)]
        name = f"自定义报表_售前明细_下单优先判定_{day}至{day}.xlsx"
        written.append(_xlsx(out / "tmall" / name, "售前明细", rows, stamp=day))

        figures = [(a, _aftersales_day(a, day, seed)) for a in aftersales if _works(a, day, start, seed)]
        rows = [CHITU_AFTERSALES_HEADER] + [_chitu_aftersales_row(f"{TMALL}:{a.account}", f) for a, f in figures]
        raw = [f for _, f in figures]
        rows += [_chitu_aftersales_row("汇总", _sum(raw)), _chitu_aftersales_row("均值", _mean(raw))]
        name = f"自定义报表_售后明细_{day}至{day}.xlsx"
        written.append(_xlsx(out / "tmall" / name, "售后明细", rows, stamp=day))
    return written


def _pdd_files(out: Path, days: list[date], seed: int) -> list[Path]:
    written = []
    start = days[0]
    agents = [a for a in AGENTS if a.shop == PDD]
    for index, day in enumerate(days):
        rows = [_pdd_header(old=index < _PDD_OLD_HEADER_DAYS)]
        worked = []
        number = 0
        for agent in agents:
            if (day - start).days < agent.starts_after:
                continue
            number += 1
            f = _presales_day(agent, day, seed) if _works(agent, day, start, seed) else None
            score = f["service_score"] if f else _service_score(agent)
            rows.append(_pdd_row(number, f"{PDD}:{agent.account}", f, score))
            if f:
                worked.append(f)
        total = _sum(worked)
        rows.append(_pdd_row("总计", "", total, total["service_score"] / len(worked)))
        rows.append(_pdd_row("平均", "", _mean(worked), total["service_score"] / len(worked)))
        title = f"统计时间：{day} ~ {day}"
        written.append(_xlsx(out / "pdd" / f"客服绩效_{PDD}_{day:%Y%m%d}.xlsx", "客服绩效", rows, title, day))
    return written


def _douyin_files(out: Path, days: list[date], seed: int) -> list[Path]:
    written = []
    start = days[0]
    agents = [a for a in AGENTS if a.shop == DOUYIN and a.role == "presales"]
    for day in days:
        listed = []
        worked = []
        for agent in agents:
            f = _presales_day(agent, day, seed) if _works(agent, day, start, seed) else None
            listed.append(_douyin_row(agent.account, f"{DOUYIN}:{agent.account}", f))
            if f:
                worked.append(f)
        rows = [DOUYIN_HEADER, _douyin_row("店铺汇总值", "-", _sum(worked)), _douyin_row("店铺平均值", "-", _mean(worked))]
        rows += listed
        name = f"飞鸽客服绩效_{DOUYIN}_{day}_{day}.csv"
        written.append(_csv(out / "douyin" / name, rows, "gb18030"))
    return written


SESSION_HEADER = ["会话ID", "店铺", "客服", "日期", "开始时间", "是否回复", "是否解决", "首次响应(秒)",
                  "会话时长", "满意度评分", "问题类型"]


def _session_files(out: Path, days: list[date], seed: int) -> list[Path]:
    """The Douyin after-sales desk's conversation log, one file per calendar month."""
    agents = [a for a in AGENTS if a.shop == DOUYIN and a.role == "aftersales"]
    by_month: dict[tuple[int, int], list[list]] = {}
    for day in days:
        for desk, agent in enumerate(agents, start=1):
            if not _works(agent, day, days[0], seed):
                continue
            f = _aftersales_day(agent, day, seed)
            rng = _rng(seed, agent.account, day, "sessions")
            opened = sorted(rng.randint(9 * 3600, 22 * 3600) for _ in range(int(f["receptions"])))
            for number, second in enumerate(opened, start=1):
                answered = rng.random() < 0.96
                resolved = answered and rng.random() < (0.88 if agent.response_s < 30 else 0.76)
                rated = answered and rng.random() < 0.3
                rating = min(5, max(1, round(rng.gauss(4.5 if resolved else 3.0, 0.8)))) if rated else ""
                duration = round(rng.uniform(90, 720)) if answered else None
                by_month.setdefault((day.year, day.month), []).append([
                    f"DY{day:%Y%m%d}{desk:02d}{number:03d}", DOUYIN, agent.account, f"{day}",
                    f"{second // 3600:02d}:{second % 3600 // 60:02d}:{second % 60:02d}",
                    "是" if answered else "否", "是" if resolved else "否",
                    round(agent.response_s * rng.lognormvariate(0, 0.35)) if answered else "",
                    f"{duration // 60:02d}:{duration % 60:02d}" if duration else "",
                    rating, rng.choice(_TOPICS),
                ])
    written = []
    for (year, month), rows in sorted(by_month.items()):
        name = f"售后会话明细_{DOUYIN}_{year}-{month:02d}.xlsx"
        written.append(_xlsx(out / "douyin" / name, "会话明细", [SESSION_HEADER] + rows, stamp=date(year, month, 1)))
    return written


CHAT_HEADER = ["会话ID", "店铺", "客服", "日期", "开始时间", "是否回复", "是否成交", "订单金额", "首次响应(秒)",
               "会话时长", "满意度评分", "未成交原因"]


def _chat_files(out: Path, days: list[date], seed: int) -> list[Path]:
    """The private-domain desk's chat log, one UTF-8 CSV per month: chats of a few minutes
    buy most, evening chats more than morning ones, and each lost chat names its reason."""
    agents = [a for a in AGENTS if a.shop == WECHAT]
    reasons, weights = zip(*_LOSS_REASONS)
    by_month: dict[tuple[int, int], list[list]] = {}
    for day in days:
        for desk, agent in enumerate(agents, start=1):
            if not _works(agent, day, days[0], seed):
                continue
            rng = _rng(seed, agent.account, day, "chats")
            chats = max(1, round(agent.volume * _day_factor(day) * rng.lognormvariate(0, 0.2)))
            opened = sorted(rng.randint(9 * 3600, 23 * 3600 - 1) for _ in range(chats))
            for number, second in enumerate(opened, start=1):
                answered = rng.random() < 0.97
                duration = min(1800, max(20, round(rng.lognormvariate(5.3, 0.7)))) if answered else None
                length = 0.45 if not duration or duration < 60 else 0.9 if duration < 180 else 1.25 if duration < 600 else 1.0
                evening = 1.2 if second >= 19 * 3600 else 1.0
                bought = answered and rng.random() < min(0.9, agent.conversion * length * evening)
                rating = min(5, max(1, round(rng.gauss(4.6 if bought else 3.8, 0.7)))) if answered and rng.random() < 0.25 else ""
                by_month.setdefault((day.year, day.month), []).append([
                    f"WX{day:%Y%m%d}{desk:02d}{number:03d}", WECHAT, agent.account, f"{day}",
                    f"{second // 3600:02d}:{second % 3600 // 60:02d}:{second % 60:02d}",
                    "是" if answered else "否", "是" if bought else "否",
                    f"{agent.aov * rng.lognormvariate(0, 0.35):.2f}" if bought else "",
                    round(agent.response_s * rng.lognormvariate(0, 0.4)) if answered else "",
                    f"{duration // 60:02d}:{duration % 60:02d}" if duration else "", rating,
                    "" if bought else ("未及时回复" if not answered else rng.choices(reasons, weights)[0]),
                ])
    return [_csv(out / "wechat" / f"私域会话记录_{WECHAT}_{year}-{month:02d}.csv", [CHAT_HEADER] + rows, "utf-8-sig")
            for (year, month), rows in sorted(by_month.items())]


def _roster_file(out: Path, stamp: date) -> Path:
    """Tmall rows as '店铺:子账号' with 店铺 empty, the others with the 店铺 column, as staff keep it;
    and one change with its 生效日期: 小鹿, promoted into 售前一组 from the 1st of the data's last month."""
    rows = [["账号", "姓名", "店铺", "团队", "岗位", "级别", "底薪", "班次", "排除", "生效日期"]]
    for a in AGENTS:
        account, shop = (f"{a.shop}:{a.account}", "") if a.shop == TMALL else (a.account, a.shop)
        rows.append([
            account, a.name, shop, a.team, _ROLE_ZH[a.role], _LEVEL_ZH.get(a.level, ""),
            a.base_salary if a.base_salary is not None else "", a.shift, "是" if a.robot else "否", "",
        ])
    rows.append([f"{TMALL}:小鹿", "孙璐", "", "售前一组", "售前", "高级", 3000, "白班", "否",
                 f"{stamp.replace(day=1):%Y-%m-%d}"])
    return _xlsx(out / ROSTER_FILE, "花名册", rows, stamp=stamp)


def _qa_file(out: Path, days: list[date], seed: int) -> Path:
    """Monthly QA for every month that ended inside the period; 李娜 is scored once, by name."""
    months = []
    month = date(days[0].year, days[0].month, 1)
    while True:
        following = (month + timedelta(days=32)).replace(day=1)
        if following - timedelta(days=1) > days[-1]:
            break
        if (following - days[0]).days >= 15:
            months.append(month)
        month = following
    rows = [["账号", "姓名", "月份", "质检分"]]
    for month in months:
        scored_names = set()
        for a in AGENTS:
            if a.robot or (month.replace(day=28) - days[0]).days < a.starts_after:
                continue
            score = round(min(100.0, a.qa + _rng(seed, "qa", a.shop, a.account, month).gauss(0, 2.5)), 1)
            if a.name == "李娜":
                if a.name not in scored_names:
                    rows.append(["", a.name, f"{month.year}年{month.month}月", score])
                scored_names.add(a.name)
                continue
            rows.append([f"{a.shop}:{a.account}", a.name, f"{month.year}年{month.month}月", score])
    return _csv(out / QA_FILE, rows, "utf-8-sig")


def generate(out_dir: Path, end: date | None = None, days: int = 120, seed: int = 7) -> list[Path]:
    """Write the demo exports, roster.xlsx and qa.csv into out_dir; returns every path written."""
    end = end or datetime.now(ZoneInfo("Asia/Shanghai")).date() - timedelta(days=1)
    period = [end - timedelta(days=days - 1 - n) for n in range(days)]
    out_dir = Path(out_dir)
    return [
        *_tmall_files(out_dir, period, seed),
        *_pdd_files(out_dir, period, seed),
        *_douyin_files(out_dir, period, seed),
        *_session_files(out_dir, period, seed),
        *_chat_files(out_dir, period, seed),
        _roster_file(out_dir, end),
        _qa_file(out_dir, period, seed),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="生成演示数据 — write the demo export files")
    parser.add_argument("out_dir", nargs="?", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--end", type=date.fromisoformat, default=None, help="last day (default: yesterday)")
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    paths = generate(args.out_dir, args.end, args.days, args.seed)
    print(f"已生成 {len(paths)} 个文件 — wrote {len(paths)} files to {args.out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
