"""How figures read on screen: ¥, %, 秒 as shops expect, each rate with the count it rests on.

Kept free of streamlit so the rules are unit-tested; pages only call these.
"""

from __future__ import annotations

import math
import re

import numpy as np

from csperf.metrics import KPI_BY_NAME, MEASURE_BY_NAME, kpi

# What the denominator of a ratio KPI is called, so "62.5% · 40 询单" reads naturally.
DEN_UNITS = {
    "inquiries": ("询单", "inquiries"),
    "sales_buyers": ("买家", "buyers"),
    "workdays": ("天", "days"),
    "first_response_n": ("次", "responses"),
    "response_n": ("次", "responses"),
    "receptions": ("接待", "receptions"),
    "reception_n": ("接待", "receptions"),
    "ratings": ("评价", "ratings"),
    "cases": ("件", "cases"),
    "buyer_messages": ("条消息", "messages"),
}

ROLE_LABELS = {"presales": ("售前", "Pre-sales"), "aftersales": ("售后", "After-sales"),
               "vip": ("VIP", "VIP"), "all": ("全部", "All")}


def missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def to_cent(value, decimals: int = 2):
    """Money rounded to 0.01 (or `decimals`) the way payroll rounds (四舍五入: half a cent
    goes up, away from zero), not Python's half-to-even: 2500.125 → 2500.13. A number, array
    or Series. The factor just above 1 undoes the binary error of amounts like 2.675 (2.67499…)."""
    scale = 10.0 ** decimals
    return np.sign(value) * np.floor(np.abs(value) * (scale * (1 + 1e-12)) + 0.5) / scale + 0.0


def money(value, decimals: int = 2) -> str:
    """¥12,345.60 — rounded to the cent only here, when shown."""
    if missing(value):
        return "—"
    value = float(to_cent(value, decimals))
    sign = "-" if value < 0 and round(value, decimals) != 0 else ""
    return f"{sign}¥{abs(value):,.{decimals}f}"


def money_change(value, decimals: int = 2, zero: str | None = "—") -> str | None:
    """+¥120.00 / -¥35.50: a change of pay, to the cent like the amounts it separates;
    `zero` where nothing changed (— keeps a table of mostly unchanged pay readable; None
    gives st.metric no delta)."""
    if missing(value):
        return "—"
    value = float(to_cent(value, decimals))
    if value == 0:
        return zero
    return ("+" if value > 0 else "") + money(value, decimals)


def count(value) -> str:
    """People and things are whole; counts rebuilt from a rate are rounded for display."""
    if missing(value):
        return "—"
    return f"{value:,.0f}"


def seconds(value, lang: str = "zh") -> str:
    """27.8秒, 2分30秒 — durations the way the platforms print them (27.8 s, 2 min 30 s)."""
    if missing(value):
        return "—"
    if value < 60:
        return f"{value:.1f}秒" if lang == "zh" else f"{value:.1f} s"
    minutes, secs = divmod(round(value), 60)
    if minutes < 60:
        return f"{minutes}分{secs:02d}秒" if lang == "zh" else f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}小时{minutes:02d}分" if lang == "zh" else f"{hours} h {minutes:02d} min"


def span_label(label: str, lang: str = "zh") -> str:
    """A duration bucket as the queries name it (`1–3分`, `10–30秒`) in the UI language."""
    return label if lang == "zh" else label.replace("分", " min").replace("秒", " s")


def hour_label(hour, lang: str = "zh") -> str:
    return f"{int(hour):02d}时" if lang == "zh" else f"{int(hour):02d}:00"


def percent(value, decimals: int = 1) -> str:
    if missing(value):
        return "—"
    return f"{value * 100:.{decimals}f}%"


def score(value) -> str:
    """Scores are rounded to 0.1 only when shown."""
    return "—" if missing(value) else f"{value:.1f}"


def value(name: str, v, lang: str = "zh") -> str:
    """A KPI or measure value in its unit."""
    item = KPI_BY_NAME.get(name)
    unit = item.unit if item else ("cny" if MEASURE_BY_NAME.get(name, None) and
                                   MEASURE_BY_NAME[name].unit == "cny" else "count")
    if unit == "pct":
        return percent(v)
    if unit == "cny":
        return money(v)
    if unit == "s":
        return seconds(v, lang)
    if unit in ("ratio", "score"):
        return "—" if missing(v) else f"{v:.2f}"
    return count(v)


def rests_on(name: str, n, lang: str = "zh") -> str | None:
    """The count a rate rests on: '40 询单', '销售额 ¥495,154'; None for sums or no count."""
    k = kpi(name)
    if k.kind != "ratio" or missing(n):
        return None
    if MEASURE_BY_NAME[k.den].unit == "cny":
        return f"销售额 {money(n, 0)}" if lang == "zh" else f"of {money(n, 0)} sales"
    zh, en = DEN_UNITS.get(k.den, ("", "n"))
    return " ".join(filter(None, [count(n), zh if lang == "zh" else en]))


def with_count(name: str, v, n, lang: str = "zh") -> str:
    """A rate with the count it rests on: '62.5% · 40 询单' (spec/metrics.md)."""
    shown = value(name, v, lang)
    phrase = None if missing(v) else rests_on(name, n, lang)
    return f"{shown} · {phrase}" if phrase else shown


def delta(name: str, now, before) -> str | None:
    """The change against the previous period as st.metric shows it (pp for rates)."""
    if missing(now) or missing(before):
        return None
    unit = kpi(name).unit
    if unit == "pct":
        change, suffix = (now - before) * 100, "pp"
    elif before == 0:
        return None
    else:
        change, suffix = (now - before) / abs(before) * 100, "%"
    return f"±0.0{suffix}" if round(change, 1) == 0 else f"{change:+.1f}{suffix}"


def role(code: str | None, lang: str = "zh") -> str:
    if not code:
        return "未分配" if lang == "zh" else "unassigned"
    zh, en = ROLE_LABELS.get(code, (code, code))
    return zh if lang == "zh" else en


def rank_move(move, lang: str = "zh") -> str:
    """▲2 / ▼1 / — for a change in rank (positive = moved up); 新 / new with no earlier rank."""
    if missing(move):
        return "新" if lang == "zh" else "new"
    move = int(move)
    if move > 0:
        return f"▲{move}"
    if move < 0:
        return f"▼{-move}"
    return "—"


def date_span(start, end, *beside) -> str:
    """'09-01 ~ 09-30', or with the year ('2025-11-01 ~ 2026-10-31') where the range, or the
    dates it is read beside (`beside`: the period it is compared with), reach into another year."""
    form = "%m-%d" if len({day.year for day in (start, end, *beside)}) == 1 else "%Y-%m-%d"
    return f"{start:{form}} ~ {end:{form}}"


def joined(items, lang: str = "zh") -> str:
    """A list in running text: 、 between items in Chinese, a comma in English."""
    return ("、" if lang == "zh" else ", ").join(str(item) for item in items)


def counted(n, word: str, words: str | None = None) -> str:
    """'1 agent', '3 agents': an English count with its noun in the right number."""
    return f"{n:,} {word if n == 1 else words or word + 's'}"


_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


def one_language(message: str, lang: str = "zh") -> str:
    """A message written for the command line as '中文 — English' (line by line) in the
    Chinese UI without its English half. A line whose last ' — ' part holds Chinese too
    is kept whole, and so is every line in the English UI: its English half alone can
    lack what the Chinese half names (the file, the row)."""
    if lang != "zh":
        return message
    lines = []
    for line in message.splitlines():
        head, cut, tail = line.rpartition(" — ")
        lines.append(head if cut and _CJK.search(head) and not _CJK.search(tail) else line)
    return "\n".join(lines)
