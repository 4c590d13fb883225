"""What the owner-facing pages decide, kept out of streamlit so every rule is unit-tested.

The pages (overview, leaderboard, trends, agent, weekly review) only lay out what this
module returns: which alerts to raise, who wins which award, how a score breaks down by
KPI and what pulled it down, the pay slip line by line, and how close an agent is to
the next level. Figures stay unrounded here; ui_format rounds them when shown.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from csperf import queries, schemes, scoring, targets
from csperf import ui_format as fmt
from csperf.db import TIME_ZONE, Database
from csperf.metrics import SUM_KPIS, kpi
from csperf.metrics import label as metric_label
from csperf.scheme import Scheme, assessment_period, period_fit

# The KPIs an owner looks at first: overview tiles and the weekly review's summary.
TILE_KPIS = ("sales", "conversion_rate", "aov", "receptions", "first_response_s", "reply_rate",
             "satisfaction", "refund_rate")
# The overview's spare tiles: a call centre's figures, where the shop KPIs above have none.
SPARE_TILE_KPIS = ("resolution_rate", "answer_30s_rate", "csat_avg", "reply_3min_rate", "avg_response_s",
                   "avg_reception_s", "receptions_per_day")
# KPIs whose gap to the team raises an alert, and the KPIs that crown a weekly champion.
ALERT_KPIS = ("conversion_rate", "first_response_s", "reply_rate", "satisfaction", "refund_rate")
CHAMPION_KPIS = ("conversion_rate", "first_response_s", "satisfaction", "aov", "sales")
# The share of the scope's most worked days an agent needs to win an award: a hire's first
# day, 40 inquiries at 90 %, is a good day, not the week's conversion star.
AWARD_ATTENDANCE = 0.5
# The fewest denominator units a rate needs before it may raise an alert or win an award
# (a 100 % conversion from 3 inquiries proves nothing). A scheme's own min_n wins where set.
MIN_SAMPLE = {"conversion_rate": 30, "nextday_conversion_rate": 30, "first_response_s": 30,
              "avg_response_s": 30, "reply_rate": 30, "reply_3min_rate": 30, "answer_30s_rate": 30,
              "slow_response_rate": 30, "satisfaction": 10, "csat_avg": 10, "refund_rate": 1000,
              "resolution_rate": 10, "aov": 10, "items_per_buyer": 10}
# An agent is "far below the team" when its completion (value ÷ team value, mirrored as
# 2 − ratio for lower-is-better KPIs, as in scoring.md) is under this.
FAR_BELOW = 0.8
# An agent has "slipped" when a KPI under the team's moved against the previous period by
# this much more (relative change) than the team's did: a promotion or a season moves the team too.
SLIPPED = 0.2
# A scheme's coefficient bands are questioned only when at least this many agents share a band.
BAND_FIT_MIN_AGENTS = 3
PAY_COLUMNS = ("coefficient", "performance_pay", "commission", "bonus", "rank_award", "team_share", "penalty",
               "base", "pay")


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def flag(value) -> bool:
    """A boolean cell that may be missing."""
    return not _missing(value) and bool(value)


def _t(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def display_name(row) -> str:
    """The roster name, else the account as exported."""
    name = row.get("name")
    return str(row["agent"]) if _missing(name) or not str(name).strip() else str(name)


def agent_choice(row, lang: str = "zh") -> str:
    """An agent as a picker offers it: '小美（旗舰店 · A组）', 'Amy (Flagship · TeamA)'."""
    where = f"{row['shop']} · {_t(lang, '未分组', 'ungrouped') if _missing(row['team']) else row['team']}"
    return _t(lang, f"{display_name(row)}（{where}）", f"{display_name(row)} ({where})")


def person_keys(frame: pd.DataFrame) -> list[tuple]:
    """Who each row is: the roster's person (one name over accounts in several shops), else
    the account as exported."""
    names = frame["name"] if "name" in frame.columns else pd.Series(None, index=frame.index, dtype=object)
    return [("account", shop, agent) if _missing(name) or not str(name).strip() else ("person", str(name).strip())
            for shop, agent, name in zip(frame["shop"], frame["agent"], names)]


def min_sample(metric: str, scheme: Scheme | None = None) -> float:
    """The sample a rate needs to count: the scheme's min_n for it, else MIN_SAMPLE, else 1."""
    if scheme is not None:
        for rule in scheme.kpis:
            if rule.metric == metric and rule.min_n is not None:
                return rule.min_n
    return MIN_SAMPLE.get(metric, 1)


def completion(value, reference, lower_is_better: bool) -> float:
    """value ÷ reference (2 − that when lower is better); NaN when it cannot be formed."""
    if _missing(value) or _missing(reference) or reference == 0:
        return float("nan")
    ratio = value / reference
    return 2 - ratio if lower_is_better else ratio


def vs_team_status(value, team, metric: str) -> str | None:
    """'above' (better than the team), 'below' (worse) or 'level'; None when not comparable."""
    done = completion(value, team, kpi(metric).lower_is_better)
    if math.isnan(done):
        return None
    if math.isclose(done, 1.0, abs_tol=1e-9):
        return "level"
    return "above" if done > 1 else "below"


# -- scoring with the schemes that apply -------------------------------------------------------


@dataclass
class Scored:
    """Every agent scored with the scheme that applies to it (or one chosen scheme)."""

    frame: pd.DataFrame  # scoring.score's columns plus `scheme` (its label: see score_agents)
    schemes: dict[str, Scheme]  # by label
    unassigned: pd.DataFrame  # the KPI rows no scheme applies to (none for their role, or one of another role)

    @property
    def metrics(self) -> list[str]:
        """The scored KPIs of every scheme used, in scheme order, each once."""
        seen: dict[str, None] = {}
        for scheme in self.schemes.values():
            for rule in scheme.kpis:
                seen.setdefault(rule.metric, None)
        return list(seen)

    @property
    def penalised(self) -> list[str]:
        """The measures a scheme used deducts pay for (bad reviews…), each once: the figure
        beside the deduction says what it was for."""
        return list(dict.fromkeys(p.metric for scheme in self.schemes.values() for p in scheme.penalties))

    def within(self, filters: dict) -> Scored:
        """The rows the filters pick of everyone scored as a whole (so no group or rank
        moves), with the schemes and the unscored accounts of those rows only."""
        frame = apply_filters(self.frame, filters)
        shown = set(frame["scheme"]) if not frame.empty else set()
        return Scored(frame, {label: scheme for label, scheme in self.schemes.items() if label in shown},
                      apply_filters(self.unassigned, filters))


def score_agents(kpis: pd.DataFrame, resolve: Callable[[str | None, str, str | None], Scheme | None]) -> Scored:
    """Score each agent with `resolve(role, shop, team)`'s scheme.

    Agents sharing a scheme version are scored together, so comparison groups and ranks are
    the version's own, and each period is paid with the version resolved for it (one shop
    may be pinned to v1 while another runs v2). A scheme's label is its name, with
    " v<version>" where several versions of that name are used; the result lists one
    scheme after another.
    """
    if kpis.empty:
        return Scored(pd.DataFrame(), {}, kpis)
    keys = ["role", "shop", "team"]
    cells = kpis[keys].astype(object).where(kpis[keys].notna(), None)
    rows = list(map(tuple, cells.to_numpy()))
    identity_of: dict[tuple, tuple[str, int | None] | None] = {}
    versions: dict[tuple[str, int | None], Scheme] = {}
    for key in rows:
        if key in identity_of:
            continue
        scheme = resolve(*key)
        identity_of[key] = None if scheme is None else (scheme.name, scheme.version)
        if scheme is not None and versions.setdefault(identity_of[key], scheme) != scheme:
            raise ValueError(f"two different schemes are both named {scheme.name!r}, version {scheme.version}")
    labels = _version_labels(versions)
    row_labels = pd.Series([None if identity_of[key] is None else labels[identity_of[key]] for key in rows],
                           index=kpis.index, dtype=object)
    left_out = row_labels.isna().to_numpy().copy()
    parts = []
    for identity, scheme in versions.items():
        mine = (row_labels == labels[identity]).to_numpy()
        left_out |= mine & ~scoring.covers(scheme, kpis)  # a scheme of another role
        part = scoring.score(kpis[mine], scheme)
        part.insert(0, "scheme", labels[identity])
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return Scored(frame, {labels[identity]: scheme for identity, scheme in versions.items()}, kpis[left_out])


def _version_labels(versions: Iterable[tuple[str, int | None]]) -> dict[tuple[str, int | None], str]:
    """Each (name, version)'s label: the bare name unless that name comes in several versions,
    so pages keep showing the name and two versions never share a row key."""
    versions = list(versions)
    names = Counter(name for name, _ in versions)
    return {(name, version): name if names[name] == 1 or version is None else f"{name} v{version}"
            for name, version in versions}


def assigned_schemes(db: Database, on_date) -> Callable[[str | None, str, str | None], Scheme | None]:
    """A resolver for score_agents: the scheme version in force on `on_date`, carrying its
    version number (None where none is assigned)."""
    in_force = schemes.resolver(db, on_date)

    def resolve(role, shop, team):
        try:
            scheme, version = in_force(role, shop, team)
        except LookupError:
            return None
        return replace(scheme, version=version)

    return resolve


def apply_filters(frame: pd.DataFrame, filters: dict) -> pd.DataFrame:
    """Keep the rows the sidebar filters select (shop/team/role/shift lists, or one account).

    Pages score everyone first and filter afterwards, so a display filter never changes
    anyone's team average, score or rank.
    """
    keep = pd.Series(True, index=frame.index)
    for key, values in filters.items():
        column = "agent" if key == "account" else key
        if values is None or column not in frame.columns:
            continue
        values = [values] if isinstance(values, str) else list(values)
        if values:
            keep &= frame[column].isin(values)
    return frame[keep]


def roles_by_size(kpis: pd.DataFrame) -> list[str]:
    """The roles among these agents, the one with most agents first (ties by name): the
    what-if page opens on the role most of the team's pay depends on."""
    counts = kpis["role"].dropna().value_counts()
    return sorted(counts.index, key=lambda role: (-counts[role], role))


def what_if_shown(kpis: pd.DataFrame, filters: dict, baseline: Scheme, changed: Scheme,
                  in_force: pd.DataFrame | None = None) -> scoring.WhatIf:
    """`scoring.what_if` over every agent, as the leaderboard scores them, then only the
    agents the sidebar filters select, with their payroll. With `in_force` (the leaderboard's
    scores: score_agents' frame) the old side is each agent's own scheme in force: a shop or
    team may have a scheme of its own beside the role's `baseline` (old_scheme names it).
    An agent no scheme is assigned to keeps the baseline's figures."""
    whole = scoring.what_if(kpis, baseline, changed)
    if in_force is not None and not whole.agents.empty:
        whole = _against_in_force(whole.agents, in_force)
    shown = apply_filters(whole.agents, filters).reset_index(drop=True)
    old, new = float(shown["old_pay"].sum()), float(shown["new_pay"].sum())
    return scoring.WhatIf(shown, old, new, new - old)


def _against_in_force(agents: pd.DataFrame, scored: pd.DataFrame) -> scoring.WhatIf:
    """A what-if's rows with the old side taken from the leaderboard's scores (`scored`)."""
    if scored.empty:
        return scoring.WhatIf(agents, float(agents["old_pay"].sum()), float(agents["new_pay"].sum()),
                              float(agents["pay_change"].sum()))
    sides = ["score", "rank", "pay", *(p for p in scoring.PAY_PARTS if f"old_{p}" in agents.columns)]
    own = scored[["shop", "agent", "scheme", *sides]].rename(
        columns={"scheme": "old_scheme", **{side: f"in_force_{side}" for side in sides}})
    out = agents.merge(own, on=["shop", "agent"], how="left")
    for side in sides:
        out[f"old_{side}"] = out[f"in_force_{side}"].where(out["old_scheme"].notna(), out[f"old_{side}"])
    out = out.drop(columns=[f"in_force_{side}" for side in sides])
    out["score_change"] = out["new_score"] - out["old_score"]
    out["rank_move"] = out["old_rank"] - out["new_rank"]
    out["pay_change"] = out["new_pay"] - out["old_pay"]
    old, new = float(out["old_pay"].sum()), float(out["new_pay"].sum())
    return scoring.WhatIf(out, old, new, new - old)


def in_force_note(agents: pd.DataFrame, lang: str = "zh") -> str | None:
    """Which schemes a what-if's old side (what_if_shown with in_force) comes from, when the
    agents shown are paid under more than one: the single scheme named in the heading is
    then not what everyone is paid under."""
    if "old_scheme" not in agents.columns:
        return None
    counts = agents["old_scheme"].dropna().value_counts(sort=False)
    if len(counts) < 2:
        return None
    zh = "、".join(f"{name} {n} 人" for name, n in counts.items())
    en = ", ".join(f"{name} {fmt.counted(int(n), 'agent')}" for name, n in counts.items())
    return _t(lang, f"原得分和原工资按每位客服当期生效的方案（店铺或团队可有专用方案）：{zh}。",
              f"Old scores and pay are each agent's under the scheme in force for them (a shop or team may "
              f"have its own): {en}.")


def with_previous(scored: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """Add previous_score, previous_rank, score_change and rank_move (> 0 = moved up)."""
    out = scored.copy()
    if previous is None or previous.empty or out.empty:
        for column in ("previous_score", "previous_rank", "score_change", "rank_move"):
            out[column] = float("nan")
        return out
    before = previous[["shop", "agent", "score", "rank"]].rename(
        columns={"score": "previous_score", "rank": "previous_rank"})
    out = out.merge(before, on=["shop", "agent"], how="left")
    out["score_change"] = out["score"] - out["previous_score"]
    out["rank_move"] = out["previous_rank"] - out["rank"]
    return out


# -- tiles and summaries ------------------------------------------------------------------------


@dataclass(frozen=True)
class Tile:
    """One KPI of the period against the previous period."""

    metric: str
    value: float
    previous: float | None
    n: float | None  # the count a rate rests on

    @property
    def delta_text(self) -> str | None:
        """The change as shown ('+1.2pp', '-3.0%'); a change that rounds to nothing reads '±0.0pp'."""
        return fmt.delta(self.metric, self.value, self.previous)

    @property
    def improved(self) -> bool | None:
        """Whether the change is good news (None: no previous period, or no visible change)."""
        text = self.delta_text
        if text is None or text.startswith("±"):
            return None
        return (self.value > self.previous) != kpi(self.metric).lower_is_better

    @property
    def delta_color(self) -> str:
        """For st.metric: a fall is good news for a lower-is-better KPI."""
        return "inverse" if kpi(self.metric).lower_is_better else "normal"


def tiles(now: pd.Series, before: pd.Series, metrics: Iterable[str] = TILE_KPIS,
          spare: Iterable[str] = ()) -> list[Tile]:
    """Tiles for the KPIs the period has a value for; where some have none (a call centre
    sells nothing), `spare` KPIs with a value take their places, up to as many tiles."""
    metrics = list(metrics)
    present = [m for m in metrics if not _missing(now.get(m))]
    metrics = present + [m for m in spare if not _missing(now.get(m)) and m not in present][:len(metrics) - len(present)]
    out = []
    for metric in metrics:
        value = now.get(metric)
        if _missing(value):
            continue
        previous = before.get(metric) if before is not None else None
        n = now.get(f"{metric}_n") if kpi(metric).kind == "ratio" else None
        out.append(Tile(metric, float(value), None if _missing(previous) else float(previous),
                        None if _missing(n) else float(n)))
    return out


def count_text(metric: str, n, lang: str = "zh") -> str:
    """The count a rate rests on ('1,409 询单'); 'total' words for sums."""
    if kpi(metric).kind != "ratio":
        return _t(lang, "合计", "total")
    return fmt.rests_on(metric, n, lang) or "—"


def target_amount(metric: str, value: float, lang: str = "zh") -> str:
    """A target as written: money totals in whole yuan (as they are set), the rest in the KPI's unit."""
    return fmt.money(value, 0) if kpi(metric).unit == "cny" and targets.is_sum(metric) else fmt.value(
        metric, value, lang)


def target_text(standing: targets.Standing, lang: str = "zh") -> str:
    """Where a KPI stands against its monthly target, in a line under its tile:
    '月目标 ¥1,200,000 · 已完成 78.4% · 预计月底 102.2%', '目标 33.0% · 差 0.4pp'."""
    metric = standing.metric

    shown = target_amount(metric, standing.target, lang)
    if targets.is_sum(metric):
        # a lower-is-better total (bad reviews) has a ceiling, used up rather than done
        goal_zh, goal_en, done_zh, so_far_zh, done_en = (("上限", "cap", "已用", "已用", "used") if standing.lower_is_better
                                                         else ("目标", "target", "完成", "已完成", "done"))
        if standing.projected is not None:
            month = target_amount(metric, standing.month_target, lang)
            return _t(lang, f"月{goal_zh} {month} · {so_far_zh} {fmt.percent(standing.month_share)} · "
                            f"预计月底 {fmt.percent(standing.projected_share)}",
                      f"month {goal_en} {month} · {fmt.percent(standing.month_share)} {done_en} · "
                      f"on pace for {fmt.percent(standing.projected_share)}")
        if standing.month_target is not None:
            return _t(lang, f"{goal_zh} {shown} · {done_zh} {fmt.percent(standing.share)}",
                      f"{goal_en} {shown} · {fmt.percent(standing.share)} {done_en}")
        return _t(lang, f"{goal_zh} {shown}（按 {standing.days} 天折算）· {done_zh} {fmt.percent(standing.share)}",
                  f"{goal_en} {shown} (prorated to {standing.days} days) · {fmt.percent(standing.share)} {done_en}")
    if standing.lower_is_better:
        shown = f"≤ {shown}"
    if standing.met:
        return _t(lang, f"目标 {shown} · 已达标", f"target {shown} · met")
    short = abs(standing.gap)
    gap = f"{short * 100:.1f}pp" if kpi(metric).unit == "pct" else fmt.value(metric, short, lang)
    return _t(lang, f"目标 {shown} · 差 {gap}", f"target {shown} · {gap} short")


def lagging_note(as_of: dict, lang: str = "zh") -> str | None:
    """'好物优选店 的数据只到 11-21': the shops whose files have not caught up, or None."""
    lagging = as_of.get("lagging") or []
    if not lagging:
        return None
    sep, form = ("、", "{}（{:%m-%d}）") if lang == "zh" else (", ", "{} ({:%m-%d})")
    shops = sep.join(form.format(shop, last) for shop, last in lagging)
    return _t(lang, f"这些店铺的数据还没到 {as_of['last_date']:%m-%d}：{shops}，其后几天显示为空是因为文件未到。",
              f"These shops' figures stop before {as_of['last_date']:%m-%d}: {shops}; their later days are "
              "empty because their files have not come yet.")


# What a period is compared with (queries.COMPARISONS): its name (zh, en), the English beside a
# figure of it, and a change against it in Chinese.
AGAINST = {"previous": ("上期", "the previous period", "previous", "环比"),
           "last_year": ("去年同期", "the same period last year", "last year", "同比")}


def against_name(against: str = "previous", lang: str = "zh") -> str:
    """`上期` / `去年同期` (or their English), for the texts that name the compared period."""
    zh, en, _, _ = AGAINST[against]
    return _t(lang, zh, en)


def against_label(against: str, lang: str = "zh") -> str:
    """The sidebar's choice: `上期（环比）` / `去年同期（同比）`, `Previous period` / …"""
    zh, en, _, change = AGAINST[against]
    return _t(lang, f"{zh}（{change}）", _capital(en.removeprefix("the ")))


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _previous_gap(previous: tuple[date, date], firsts: pd.Series, lang: str,
                  against: str = "previous") -> tuple[bool, str] | None:
    """Where shops' figures (`firsts`: each shop's first day, queries.first_dates) begin
    after the compared period starts, whether that period has no figures at all, and a
    phrase saying what it lacks. None when every shop's figures cover it whole."""
    start, end = previous
    late = firsts[firsts > start]
    if late.empty:
        return None
    a_year_before = against == "last_year"  # its dates read with their year: last year's, not this one's
    span = f"{start:%Y-%m-%d} ~ {end:%Y-%m-%d}" if a_year_before else fmt.date_span(start, end)
    name = against_name(against, lang)
    if late.min() > end and len(late) == len(firsts):
        return True, _t(lang, f"{name} {span} 没有数据（数据从 {late.min():%Y-%m-%d} 开始）",
                        f"No figures for {name} {span} (they begin on {late.min():%Y-%m-%d})")

    def since(first: date) -> str:
        return f"{first:%m-%d}" if start.year == end.year and not a_year_before else f"{first:%Y-%m-%d}"

    length = (end - start).days + 1
    if len(late) == len(firsts) and late.nunique() == 1:  # one start for every shop in view
        first = late.iloc[0]
        return False, _t(lang, f"{name} {span} 只有 {since(first)} 起的数据（{(end - first).days + 1}/{length} 天）",
                         f"{_capital(name)} {span} has figures only from {since(first)} "
                         f"({(end - first).days + 1} of {length} days)")
    shown = late.sort_values().head(3)
    more_zh = f"等 {len(late)} 家店铺" if len(late) > 3 else ""
    more_en = f" and {fmt.counted(len(late) - 3, 'more shop', 'more shops')}" if len(late) > 3 else ""
    zh = "、".join(f"{shop}没有数据" if first > end else f"{shop}只有 {since(first)} 起的数据" for shop, first in shown.items())
    en = "; ".join(f"{shop} has none" if first > end else f"{shop} has figures only from {since(first)}"
                   for shop, first in shown.items())
    return False, _t(lang, f"{name} {span} 有店铺数据不全（{zh}{more_zh}）",
                     f"{_capital(name)} {span} lacks some shops' figures ({en}{more_en})")


def comparable_previous(before: pd.Series, previous: tuple[date, date], firsts: pd.Series,
                        lang: str = "zh", against: str = "previous") -> tuple[pd.Series, str | None]:
    """The previous period's figures fit to compare with, and why some are left out: where
    shops' figures (`firsts`, queries.first_dates) begin after the previous period starts,
    its totals (sales, receptions) cover only part of it: against eleven days of September
    a whole October reads +167%, and a shop added this month reads as growth. Its rates
    are rates of the days and shops it has, so they stay."""
    gap = _previous_gap(previous, firsts, lang, against)
    if gap is None:
        return before, None
    nothing, said = gap
    change = AGAINST[against][3]
    if nothing:
        return before.iloc[0:0], said + _t(lang, f"，不显示{change}。", ": no changes shown.")
    return before.drop([k.name for k in SUM_KPIS], errors="ignore"), said + _t(
        lang, f"：合计类指标（销售额、接待人数等）不显示{change}，比率照常对比。",
        ": totals (sales, receptions …) show no change; rates are compared as usual.")


def partial_previous_note(previous: tuple[date, date], firsts: pd.Series, lang: str = "zh",
                          against: str = "previous") -> str | None:
    """Why rank moves and score changes against a previous period the figures cover only in
    part are a rough guide: its scores rest on fewer days, and a scheme's totals (sales
    thresholds, commissions) on a part of its sales. None when it is covered whole or not
    at all (then there is no move to show)."""
    gap = _previous_gap(previous, firsts, lang, against)
    if gap is None or gap[0]:
        return None
    return gap[1] + _t(lang, "：名次和得分的变化仅供参考。", ": rank moves and score changes are only a rough guide.")


@dataclass
class PeriodNote:
    """Schemes whose pay is set for a whole month or week, shown for other dates."""

    kind: str  # "month" | "week"
    fit: str  # "running" (the current period, not over) | "partial" (not one whole period)
    names: list[str]

    def text(self, date_from: date, date_to: date, last_day: date, lang: str = "zh", today: date | None = None) -> str:
        names = "、".join(f"「{n}」" for n in self.names) if lang == "zh" else ", ".join(f"“{n}”" for n in self.names)
        unit_zh, unit_en = {"month": ("月", "month"), "week": ("周", "week")}[self.kind]
        over = assessment_period(self.kind, date_from)[1] < (today or datetime.now(ZoneInfo(TIME_ZONE)).date())
        if self.fit == "running" and over:  # the calendar moved on: the figures stop, the period did not
            return _t(lang, f"{names}按{unit_zh}考核，这个{unit_zh}的数据只到 {last_day:%m-%d}（之后没有导入数据）：底薪、"
                            f"奖金门槛和提成档都按整{unit_zh}设定，工资按已有的数据计算，导入其余日期后才完整。",
                      f"{names} pay by the {unit_en}, and this {unit_en}'s data stop at {last_day:%m-%d} (nothing "
                      f"imported after): base pay, bonus tiers and commission steps are set for a whole {unit_en}, "
                      "so pay is complete only once the remaining days are imported.")
        if self.fit == "running":
            return _t(lang, f"{names}按{unit_zh}考核，本{unit_zh}还没结束（数据截至 {last_day:%m-%d}）：底薪、奖金门槛和提成档"
                            f"都按整{unit_zh}设定，工资是截至目前的暂计。",
                      f"{names} pay by the {unit_en}, and this {unit_en} is not over (data to {last_day:%m-%d}): "
                      f"base pay, bonus tiers and commission steps are set for a whole {unit_en}, so pay is "
                      "provisional.")
        span = fmt.date_span(date_from, date_to)
        return _t(lang, f"{names}按{unit_zh}考核，所选 {span} 不是一个整{unit_zh}：底薪、"
                        f"奖金门槛和提成档都按整{unit_zh}设定，这里的工资只作参考。",
                  f"{names} pay by the {unit_en}; {span} is not one whole {unit_en}. "
                  f"Base pay, bonus tiers and commission steps are set for a whole {unit_en}, so this pay is "
                  "only indicative.")


def period_notes(used: Iterable[Scheme], date_from: date, date_to: date, last_day: date) -> list[PeriodNote]:
    """The schemes scoring these dates whose assessment period (scheme.period) they do not
    match as one whole month or week, grouped by period kind and fit."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for used_scheme in used:
        fit = period_fit(used_scheme.period, date_from, date_to, last_day)
        names = grouped.setdefault((used_scheme.period, fit), [])
        if fit != "whole" and used_scheme.name not in names:  # two versions of one scheme: named once
            names.append(used_scheme.name)
    return [PeriodNote(kind, fit, names) for (kind, fit), names in grouped.items() if names]


def promotion_note(current, previous, lang: str = "zh", against: str = "previous") -> str | None:
    """A warning that a comparison spans a promotion day (lists of (date, name)), else None.
    Where both periods hold the same promotions, only that is said: a promotion in both
    explains no change between them."""
    now, before = [name for _, name in current], [name for _, name in previous]
    name = against_name(against, lang)
    if now and sorted(now) == sorted(before):
        names = fmt.joined(now, lang)
        return _t(lang, f"本期和{name}都含大促日 {names}。", f"both periods include {names}.")
    parts = []
    if now:
        parts.append(_t(lang, f"本期含大促日 {fmt.joined(now, lang)}", f"this period includes {fmt.joined(now, lang)}"))
    if before:
        parts.append(_t(lang, f"{name}含大促日 {fmt.joined(before, lang)}", f"{name} includes {fmt.joined(before, lang)}"))
    if not parts:
        return None
    return _t(lang, "；".join(parts) + f"，{AGAINST[against][3]}变化受大促影响。",
              "; ".join(parts) + ": changes reflect the promotion.")


def summary_table(frame: pd.DataFrame, keys: list[str], metrics: Iterable[str], lang: str = "zh",
                  with_agents: bool = True) -> pd.DataFrame:
    """Groups (teams, shops) as rows, each KPI as text with the count it rests on."""
    headers = {"shop": ("店铺", "Shop"), "team": ("团队", "Team"), "role": ("岗位", "Role"),
               "agents": ("人数", "Agents")}
    out = pd.DataFrame(index=frame.index)
    for key in keys:
        values = frame[key]
        if key == "role":
            values = values.map(lambda v: fmt.role(None if _missing(v) else v, lang))
        else:
            values = values.map(lambda v: _t(lang, "未分组", "ungrouped") if _missing(v) else str(v))
        out[_t(lang, *headers[key])] = values
    if with_agents and "agents" in frame.columns:
        out[_t(lang, *headers["agents"])] = frame["agents"].astype("int64")
    for metric in metrics:
        if metric not in frame.columns or not frame[metric].notna().any():
            continue
        counts = frame.get(f"{metric}_n", pd.Series(None, index=frame.index, dtype=object))
        out[metric_label(metric, lang)] = [
            fmt.with_count(metric, value, n, lang) for value, n in zip(frame[metric], counts)
        ]
    return out.reset_index(drop=True)


# -- alerts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Alert:
    level: str  # error | warning | info
    kind: str  # far_below | under_threshold | slipped | target | provisional | unmatched
    zh: str
    en: str

    def text(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


def _completion(value: pd.Series, team: pd.Series, lower_is_better: bool) -> pd.Series:
    """value ÷ team value, mirrored as 2 − ratio where lower is better (scoring.md's vs_team)."""
    team = team.astype(float)
    ratio = value.astype(float) / team.where(team != 0)
    return 2 - ratio if lower_is_better else ratio


def _gain(old: pd.Series, new: pd.Series, lower_is_better: bool) -> pd.Series:
    """The relative change from `old` to `new`, positive when it is for the better."""
    old = old.astype(float)
    change = (new.astype(float) - old) / old.where(old != 0)
    return -change if lower_is_better else change


def far_below_alerts(kpis: pd.DataFrame, metrics: Iterable[str] = ALERT_KPIS, floor: float = FAR_BELOW) -> list[Alert]:
    """One alert per agent with any KPI under `floor` of its team, on a sample big enough to tell."""
    flagged: dict[str, pd.Series] = {}
    for metric in metrics:
        if metric not in kpis.columns or f"{metric}_team" not in kpis.columns:
            continue
        k = kpi(metric)
        below = _completion(kpis[metric], kpis[f"{metric}_team"], k.lower_is_better) < floor
        if k.kind == "ratio":
            below &= kpis.get(f"{metric}_n", pd.Series(float("nan"), index=kpis.index)) >= min_sample(metric)
        flagged[metric] = below.fillna(False).astype(bool)
    return _agent_alerts(kpis, flagged, "far_below", _behind, ("明显落后于团队", "is far below the team"))


def slipped_alerts(now: pd.DataFrame, before: pd.DataFrame, metrics: Iterable[str] = ALERT_KPIS,
                   margin: float = SLIPPED, against: str = "previous") -> list[Alert]:
    """One alert per agent falling behind: a KPI now under the team's that got worse since
    the compared period (`against`) by `margin` more than the team's did (relative changes), on a sample
    big enough to tell in both periods. An early warning: an agent far below the team on
    that KPI already is left to `far_below_alerts`."""
    keys = ["shop", "agent"]
    columns = [c for m in metrics for c in (m, f"{m}_team", f"{m}_n") if c in now.columns and c in before.columns]
    if now.empty or before.empty or not columns:
        return []
    both = now.merge(before[keys + columns], on=keys, how="inner", suffixes=("", "_before"))
    flagged: dict[str, pd.Series] = {}
    for metric in metrics:
        if f"{metric}_team_before" not in both.columns:
            continue
        k = kpi(metric)
        mine = _gain(both[f"{metric}_before"], both[metric], k.lower_is_better)
        team = _gain(both[f"{metric}_team_before"], both[f"{metric}_team"], k.lower_is_better)
        done = _completion(both[metric], both[f"{metric}_team"], k.lower_is_better)
        slipped = (mine < 0) & (mine - team <= -margin) & (done < 1) & (done >= FAR_BELOW)
        if k.kind == "ratio":
            need = min_sample(metric)
            slipped &= (both[f"{metric}_n"] >= need) & (both[f"{metric}_n_before"] >= need)
        flagged[metric] = slipped.fillna(False).astype(bool)
    says = (f"比{against_name(against)}明显下滑", f"slipped against {against_name(against, 'en')}")
    return _agent_alerts(both, flagged, "slipped", lambda row, metric, lang: _slip(row, metric, lang, against), says)


def _agent_alerts(frame: pd.DataFrame, flagged: dict[str, pd.Series], kind: str,
                  figure: Callable[[pd.Series, str, str], str], says: tuple[str, str]) -> list[Alert]:
    """A warning per agent with a KPI flagged, `says` (zh, en) of it and `figure` of each
    flagged KPI: the test runs over whole columns, only the few rows it flags are formatted."""
    if not flagged:
        return []
    alerts = []
    for index in frame.index[pd.concat(flagged, axis=1).any(axis=1)]:
        row, found = frame.loc[index], [m for m, hit in flagged.items() if hit[index]]
        alerts.append(Alert("warning", kind, f"{_who(row, 'zh')} {says[0]}：" + "；".join(figure(row, m, "zh") for m in found),
                            f"{_who(row, 'en')} {says[1]}: " + "; ".join(figure(row, m, "en") for m in found)))
    return alerts


def _figure(row, metric: str, lang: str) -> str:
    """`询单转化率 25.0% · 300 询单`: an agent's KPI with the count it rests on."""
    return f"{metric_label(metric, lang)} {fmt.with_count(metric, row[metric], row.get(f'{metric}_n'), lang)}"


def _behind(row, metric: str, lang: str) -> str:
    """`询单转化率 15.0% · 100 询单（团队 25.0%）`"""
    team = fmt.value(metric, row[f"{metric}_team"], lang)
    return _figure(row, metric, lang) + (f"（团队 {team}）" if lang == "zh" else f" (team {team})")


def _slip(row, metric: str, lang: str, against: str = "previous") -> str:
    """`询单转化率 25.0% · 300 询单（上期 35.0%；团队 30.1% → 30.5%）`"""
    now = _figure(row, metric, lang)
    was = fmt.value(metric, row[f"{metric}_before"], lang)
    team = f"{fmt.value(metric, row[f'{metric}_team_before'], lang)} → {fmt.value(metric, row[f'{metric}_team'], lang)}"
    return (f"{now}（{against_name(against, lang)} {was}；团队 {team}）" if lang == "zh"
            else f"{now} ({AGAINST[against][2]} {was}; team {team})")


def _who(row, lang: str) -> str:
    team = row.get("team")
    where = f"{row['shop']}{'' if _missing(team) else ' · ' + str(team)}"
    return f"{display_name(row)}（{where}）" if lang == "zh" else f"{display_name(row)} ({where})"


def threshold_score(scheme: Scheme) -> float | None:
    """The score below which an agent is paid the lowest coefficient (None without bands)."""
    bands = scheme.pay.coefficients
    return bands[1][0] if len(bands) >= 2 else None


def threshold_alerts(scored: Scored) -> list[Alert]:
    """Agents whose score sits in their scheme's lowest coefficient band."""
    alerts = []
    frame = scored.frame
    for name, scheme in scored.schemes.items():
        threshold = threshold_score(scheme)
        if threshold is None:
            continue
        rows = frame[(frame["scheme"] == name) & (frame["score"] < threshold)]
        for _, row in rows.iterrows():
            alerts.append(Alert(
                "error", "under_threshold",
                f"{_who(row, 'zh')} 得分 {fmt.score(row['score'])}，低于「{name}」的门槛 {threshold:g} 分",
                f"{_who(row, 'en')} scores {fmt.score(row['score'])}, under the {threshold:g} threshold of “{name}”",
            ))
    return alerts


ScopeGoals = dict[tuple[str, str], dict[str, targets.Standing]]


def scope_goals(totals: pd.DataFrame, goals: pd.DataFrame, date_from: date, date_to: date,
                filters: dict) -> ScopeGoals:
    """Each shop's (team '') and team's pooled KPIs (queries.scope_kpis) against its own
    monthly targets (queries.scope_targets), {(shop, team): {metric: Standing}}, for the
    scopes the sidebar's filters keep whole: none under a role, shift or account filter
    (those figures are only part of a shop's), no shop under a team filter."""
    if any(filters.get(key) for key in ("role", "shift", "account")):
        return {}
    rows = apply_filters(totals, {key: filters.get(key) for key in ("shop", "team")})
    held = targets.standings_of(goals, rows, {"shop": "shop", "team": "team"}, date_from, date_to)
    return {(rows.at[index, "shop"], rows.at[index, "team"]): standing for index, standing in held.items()}


@dataclass(frozen=True)
class GoalTable:
    """Shops and teams against their own targets, a row per scope and KPI (`frame`), and
    whether each row is on target (`met`, for its colour)."""

    frame: pd.DataFrame
    met: list[bool]


def goal_table(held: ScopeGoals, lang: str = "zh") -> GoalTable:
    """Each shop (then its teams) and each KPI it has a target for: the period's value, its
    达成率 in percent (Standing.completion) and where it stands (target_text)."""
    headers = [_t(lang, *h) for h in (("范围", "Scope"), ("指标", "KPI"), ("本期", "This period"),
                                      ("达成率", "Completion"), ("目标进度", "Against target"))]
    rows, met = [], []
    for (shop, team), goals in sorted(held.items()):
        for goal in in_offered_order(goals):
            done = goal.completion
            rows.append((targets.scope_label(shop, team, lang=lang), metric_label(goal.metric, lang),
                         fmt.value(goal.metric, goal.value, lang), None if done is None else done * 100,
                         target_text(goal, lang)))
            met.append(goal.met)
    return GoalTable(pd.DataFrame(rows, columns=headers), met)


@dataclass
class MonthTargets:
    """A month's targets, a row per scope (as offered on the data page) and a column per KPI."""
    table: pd.DataFrame
    scopes: list[int]  # each row's place among the offered scopes
    counts: dict[int, int] = field(default_factory=dict)  # targets set, by place among the offered scopes


def month_targets(stored: pd.DataFrame, offered: list[tuple[str, str, str]], lang: str = "zh") -> MonthTargets:
    """Every scope with a target in the month, the way the data page offers them, its
    targets as typed (35% shown as 35.0%); a scope no longer offered (a shop gone from the
    data and the roster) comes last, so nothing stored is hidden."""
    keyed = stored.assign(where=list(zip(stored["shop"], stored["team"], stored["account"])))
    place = {where: i for i, where in enumerate(offered)}
    order = sorted(keyed["where"].unique(), key=lambda w: (place.get(w, len(offered)), w))
    metrics = sorted(keyed["metric"].unique(), key=targets.offered_key)
    cells = keyed.set_index(["where", "metric"])["value"]
    table = pd.DataFrame({
        _t(lang, "范围", "Scope"): [targets.scope_label(*where, lang=lang) for where in order],
        **{metric_label(m, lang): [target_amount(m, cells[(w, m)], lang) if (w, m) in cells.index else ""
                                   for w in order] for m in metrics},
    })
    counts = keyed.groupby("where").size()
    return MonthTargets(table, [place.get(w, -1) for w in order],
                        {place[w]: int(n) for w, n in counts.items() if w in place})


def in_offered_order(goals: dict[str, targets.Standing]) -> list[targets.Standing]:
    """A scope's standings in the order the data page offers their KPIs."""
    return sorted(goals.values(), key=lambda g: targets.offered_key(g.metric))


def fit_goals(goals: list[tuple[str, targets.Standing]], limit: int) -> tuple[list, int, int]:
    """At most `limit` of (scope, standing) pairs for a screen, those short of their targets
    first, in their order; with how many were left out and how many of those are short."""
    if len(goals) <= limit:
        return goals, 0, 0
    kept = sorted(sorted(range(len(goals)), key=lambda i: goals[i][1].met)[:limit])
    shown = [goals[i] for i in kept]
    return shown, len(goals) - limit, sum(not g.met for _, g in goals) - sum(not g.met for _, g in shown)


TOO_EARLY_DAYS = 7  # a month's pace over fewer days is too early to warn about


def _worth_a_warning(goal: targets.Standing, totals: pd.Series) -> bool:
    """Short of target, on a pace over enough days or a level over a big enough sample."""
    if goal.met or (goal.projected is not None and goal.days < TOO_EARLY_DAYS):
        return False
    return kpi(goal.metric).kind != "ratio" or totals.get(f"{goal.metric}_n", 0) >= min_sample(goal.metric)


def target_alerts(totals: pd.DataFrame, held: ScopeGoals, view: tuple[str, str, str] | None) -> list[Alert]:
    """One alert per shop or team short of its own targets, naming each KPI and where it
    stands; not for the view's own scope (queries.view_scope), whose targets its tiles hold."""
    by_scope = totals.set_index(["shop", "team"])
    alerts = []
    for (shop, team), goals in held.items():
        if (shop, team, "") == view:
            continue
        short = [goal for goal in in_offered_order(goals) if _worth_a_warning(goal, by_scope.loc[(shop, team)])]
        if not short:
            continue
        where = targets.scope_label(shop, team)
        alerts.append(Alert(
            "warning", "target",
            f"{where} 未达目标：" + "；".join(f"{metric_label(g.metric)} {target_text(g)}" for g in short),
            f"{where} is short of its targets: "
            + "; ".join(f"{metric_label(g.metric, 'en')}: {target_text(g, 'en')}" for g in short),
        ))
    return alerts


def _provisional_days(days: pd.DataFrame, limit: int) -> tuple[str, str]:
    """queries.provisional_days as '旗舰店 10-31、… 等 N 处' and its English."""
    items = [f"{shop} {pd.Timestamp(d):%m-%d}" for shop, d in zip(days["shop"], days["day"])]
    more_zh = f" 等 {len(items)} 处" if len(items) > limit else ""
    more_en = f" and {len(items) - limit} more" if len(items) > limit else ""
    return "、".join(items[:limit]) + more_zh, ", ".join(items[:limit]) + more_en


def provisional_alert(days: pd.DataFrame, limit: int = 8) -> Alert | None:
    """The days whose figures the platforms have not settled yet (shop, day, rows)."""
    if days.empty:
        return None
    zh, en = _provisional_days(days, limit)
    return Alert("info", "provisional", f"暂估数据待结算：{zh}。平台结算后重新导入即可自动替换。",
                 f"Provisional figures pending: {en}. Re-import once the platform settles them.")


def provisional_note(days: pd.DataFrame, lang: str = "zh", limit: int = 4) -> str | None:
    """A meeting's caution that its figures are not final: some days are provisional (not yet
    settled by the platform), so totals, scores and places may still move. None if none are."""
    if days.empty:
        return None
    zh, en = _provisional_days(days, limit)
    return _t(lang, f"含暂估数据（平台未结算）：{zh}。结算后重新导入，数字和名次可能变化。",
              f"Includes provisional figures (not settled by the platform): {en}. Totals and places may move "
              "once they are imported settled.")


def unmatched_alert(unmatched: pd.DataFrame, limit: int = 5) -> Alert | None:
    """Accounts with figures that nobody in the roster owns (queries.unmatched_accounts)."""
    if unmatched.empty:
        return None
    shown = unmatched.head(limit)
    accounts = [f"{s}:{a}" for s, a in zip(shown["shop"], shown["account"])]
    listed, listed_en = "、".join(accounts), ", ".join(accounts)
    more_zh = f" 等 {len(unmatched)} 个" if len(unmatched) > limit else ""
    more_en = f" and {len(unmatched) - limit} more" if len(unmatched) > limit else ""
    return Alert("warning", "unmatched",
                 f"有账号不在花名册：{listed}{more_zh}。请在「数据」页绑定到人员，否则无法分组和算薪。",
                 f"Accounts not in the roster: {listed_en}{more_en}. "
                 "Bind them on the Data page, or they have no team and no pay.")


def overview_alerts(kpis: pd.DataFrame, scored: Scored, provisional: pd.DataFrame,
                    unmatched: pd.DataFrame, previous: pd.DataFrame, short_of_target: Iterable[Alert] = (),
                    against: str = "previous") -> list[Alert]:
    """Everything the overview warns about: a shop or team short of its targets first (the
    business before any one agent), then the most urgent first (`previous`: the same agents'
    KPIs over the period `against` names; `short_of_target`: target_alerts)."""
    alerts = threshold_alerts(scored) + far_below_alerts(kpis)
    alerts += slipped_alerts(kpis, previous, against=against)
    alerts += [a for a in (unmatched_alert(unmatched), provisional_alert(provisional)) if a is not None]
    order = {"error": 0, "warning": 1, "info": 2}
    return list(short_of_target) + sorted(alerts, key=lambda a: order[a.level])


# -- leaderboard --------------------------------------------------------------------------------


def leaderboard(scored: Scored, previous: pd.DataFrame | None, *, show_pay: bool) -> pd.DataFrame:
    """The ranking table: identity, score, rank move, each KPI with team value and sample,
    and the completion of each agent's own targets where the frame carries them
    (`<metric>_target`, `<metric>_target_met`: targets.agent_standings).

    Pay columns are present only when `show_pay`; a caller that may not see pay cannot
    get them by accident.
    """
    frame = with_previous(scored.frame, previous)
    if frame.empty:
        return frame
    frame["name"] = [display_name({"name": name, "agent": agent})
                     for name, agent in zip(frame.get("name", [None] * len(frame)), frame["agent"])]
    columns = ["group", "rank", "rank_move", "name", "agent", "shop", "team", "role", "scheme", "score",
               "small_sample", "skipped"]
    for metric in scored.metrics:
        for suffix in ("", "_group", "_n", "_score"):
            if f"{metric}{suffix}" in frame.columns:
                columns.append(f"{metric}{suffix}")
    columns += [c for c in frame.columns if c.endswith(("_target", "_target_met"))]
    if show_pay:
        columns += [m for m in scored.penalised if m in frame.columns and m not in columns]
        columns += [c for c in PAY_COLUMNS if c in frame.columns]
    return frame[[c for c in columns if c in frame.columns]]


@dataclass(frozen=True)
class Payroll:
    """What the rows shown cost: their pay in all (each rounded to the cent first, as shown),
    for how many people, and the people paid a base on each of several accounts
    (`repeated_bases`: name, [(shop:account, base)])."""

    total: float
    people: int
    accounts: int
    repeated_bases: list[tuple[str, list[tuple[str, float]]]]

    def text(self, lang: str) -> str:
        people = _t(lang, f"{self.people} 人", f"{self.people} {'person' if self.people == 1 else 'people'}")
        who = people if self.people == self.accounts else _t(lang, f"{people}（{self.accounts} 个账号）",
                                                            f"{people} ({self.accounts} accounts)")
        return _t(lang, f"应发合计 {fmt.money(self.total)} · {who}", f"Pay in all {fmt.money(self.total)} · {who}")

    def repeated_text(self, lang: str, limit: int = 3) -> str | None:
        """A note that a person with several accounts (in several shops, or a sub-account
        renamed within the period) is paid a base on each (as the roster says), so a shop
        that pays one base can set the others to 0."""
        if not self.repeated_bases:
            return None
        listed = [(name, [account for account, _ in bases], " + ".join(fmt.money(b) for _, b in bases))
                  for name, bases in self.repeated_bases[:limit]]
        more = len(self.repeated_bases) - limit
        if lang == "zh":
            people = "；".join(f"{name}（{'、'.join(accounts)}：{amounts}）" for name, accounts, amounts in listed)
            return (f"{people}{f' 等 {len(self.repeated_bases)} 人' if more > 0 else ''}有几个账号（几个店铺各有账号，"
                    "或期间换了子账号），每个账号各计一份底薪。若只发一份，请在「数据」页的花名册把其余账号的底薪填 0；"
                    "换了子账号的，用花名册的「记录变更」把旧账号的底薪从换号当月 1 日起改为 0，以前的月份不受影响。")
        people = "; ".join(f"{name} ({', '.join(accounts)}: {amounts})" for name, accounts, amounts in listed)
        return (f"{people}{f' and {more} more' if more > 0 else ''}: several accounts (in several shops, or a "
                "sub-account renamed in the period), each paid a base. If one base is paid, set the others to 0 in "
                "the roster on the Data page; for a renamed sub-account, use the roster's “Record a change” to set "
                "the old one's base to 0 from the 1st of the month it was renamed in, leaving earlier months as "
                "they were.")


def payroll(frame: pd.DataFrame) -> Payroll | None:
    """The pay of these scored rows in all (None where pay is not shown)."""
    if frame.empty or "pay" not in frame.columns:
        return None
    people = person_keys(frame)
    bases: dict[tuple, list[tuple[str, float]]] = {}
    for key, shop, account, base in zip(people, frame["shop"], frame["agent"], frame["base"].fillna(0)):
        if key[0] == "person" and base > 0:
            bases.setdefault(key, []).append((f"{shop}:{account}", float(base)))
    repeated = [(key[1], paid) for key, paid in bases.items() if len(paid) > 1]
    total = float(fmt.to_cent(frame["pay"]).sum())  # the sum of the amounts shown, to the cent
    return Payroll(total, len(set(people)), len(frame), repeated)


PAY_LABELS = {"coefficient": ("系数", "Coefficient"), "performance_pay": ("绩效工资", "Performance pay"),
              "commission": ("提成", "Commission"), "bonus": ("奖金", "Bonus"), "rank_award": ("名次奖", "Rank award"),
              "team_share": ("团队奖", "Team share"), "penalty": ("扣款", "Penalties"), "base": ("底薪", "Base"),
              "pay": ("应发", "Pay")}


def pay_change_reasons(agents: pd.DataFrame, lang: str = "zh") -> pd.Series:
    """Why each agent's pay moves in a what-if (scoring.what_if's old_/new_ parts): the parts
    that change, to the cent, with the coefficient beside the performance pay it scales
    ("绩效工资 -¥200.00（系数 1→0.9）；名次奖 -¥500.00"), and what the floor at base adds."""
    parts = [p for p in ("performance_pay", "commission", "bonus", "rank_award", "team_share", "penalty", "base")
             if f"old_{p}" in agents.columns]
    if not parts:
        return pd.Series("", index=agents.index, dtype=object)
    changes, raw = {}, {}
    for part in parts:
        sign = -1 if part == "penalty" else 1  # more deducted is less pay
        old, new = agents[f"old_{part}"].fillna(0), agents[f"new_{part}"].fillna(0)
        changes[part] = sign * (fmt.to_cent(new) - fmt.to_cent(old))  # as the amounts shown differ
        raw[part] = sign * (new - old)
    floor = agents["pay_change"].fillna(0) - sum(raw.values())  # what pay ≥ base added or took back
    separator = "；" if lang == "zh" else "; "
    reasons = []
    for i in range(len(agents)):
        said = []
        for part in parts:
            change = float(changes[part].iloc[i])
            if abs(change) < 0.005:
                continue
            text = f"{_t(lang, *PAY_LABELS[part])} {fmt.money_change(change)}"
            if part == "performance_pay" and "old_coefficient" in agents.columns:
                before, after = agents["old_coefficient"].iloc[i], agents["new_coefficient"].iloc[i]
                if before != after:  # else the performance pay itself changed
                    text += _t(lang, f"（系数 {before:g}→{after:g}）", f" (coefficient {before:g}→{after:g})")
            said.append(text)
        if abs(float(floor.iloc[i])) >= 0.005:
            said.append(_t(lang, f"保底到底薪 {fmt.money_change(float(floor.iloc[i]))}",
                           f"floor at base {fmt.money_change(float(floor.iloc[i]))}"))
        reasons.append(separator.join(said))
    return pd.Series(reasons, index=agents.index, dtype=object)


def skipped_by_all(table: pd.DataFrame) -> list[str]:
    """KPIs skipped for every agent (e.g. no QA scores entered yet): said once, not per row."""
    if table.empty or "skipped" not in table.columns:
        return []
    sets = [set(filter(None, str(s or "").split(","))) for s in table["skipped"]]
    common = set.intersection(*sets) if sets else set()
    return [m for m in dict.fromkeys(m for s in table["skipped"] for m in str(s or "").split(",")) if m in common]


def _without_figures(table: pd.DataFrame, metric: str) -> bool:
    return metric not in table.columns or table[metric].isna().all()


def skipped_by_all_notes(table: pd.DataFrame, used: dict[str, Scheme], lang: str = "zh") -> list[str]:
    """Why each KPI skipped for every agent was (skipped_by_all): nobody has a figure for it,
    or every sample is under its scheme's min_n (`used`: the schemes by the table's `scheme`
    label), whose figures stay listed; a short sample is not missing data."""
    absent, small, other = [], {}, []
    for metric in skipped_by_all(table):
        if _without_figures(table, metric):
            absent.append(metric)
            continue
        floor = table["scheme"].map({label: next((rule.min_n for rule in scheme.kpis if rule.metric == metric
                                                  and rule.min_n is not None), None)
                                       for label, scheme in used.items()}).astype(float)
        valued = table[metric].notna()
        counts = table.get(f"{metric}_n", pd.Series(float("nan"), index=table.index))
        if (counts[valued] < floor[valued]).all():
            small[metric] = sorted(set(floor[valued]))
        else:
            other.append(metric)
    notes = []
    if absent:
        names = fmt.joined((metric_label(m, lang) for m in absent), lang)
        notes.append(_t(lang, f"{names} 本期所有人都没有数据，已跳过，其余权重按比例放大。",
                        f"{names}: no data for anyone this period; skipped, the other weights scaled up."))
    for metric, floors in small.items():
        least = " / ".join(fmt.rests_on(metric, n, lang) or fmt.count(n) for n in floors)
        notes.append(_t(lang, f"{metric_label(metric, lang)} 每人的样本都少于方案要求的 {least}，本期不计分（数值照列），"
                              "其余权重按比例放大。",
                        f"{metric_label(metric, lang)}: every agent's sample is under the scheme's minimum of {least}, "
                        "so it is not scored this period (the figures are still listed); the other weights scaled up."))
    if other:
        names = fmt.joined((metric_label(m, lang) for m in other), lang)
        notes.append(_t(lang, f"{names} 本期没有人能计分，已跳过，其余权重按比例放大。",
                        f"{names}: nobody could be scored on it this period; skipped, the other weights scaled up."))
    return notes


def band_fit_notes(table: pd.DataFrame, used: dict[str, Scheme], lang: str = "zh") -> list[str]:
    """A scheme whose coefficient bands put every scored agent in its lowest band, or every one
    in its highest, tells nobody apart: its standards were set for another business (the
    after-sales preset scores a call centre's agents all under 80). Said per scheme (`used`:
    the schemes by the table's `scheme` label), naming the KPIs nobody scores on, so the
    supervisor knows what to retune on the what-if page. Fewer than BAND_FIT_MIN_AGENTS agents
    sharing a band proves nothing."""
    notes = []
    for label, scheme in used.items():
        bands = sorted(scheme.pay.coefficients)
        scores = table.loc[table["scheme"] == label, "score"].dropna() if "scheme" in table.columns else None
        if len(bands) < 2 or scores is None or len(scores) < BAND_FIT_MIN_AGENTS:
            continue
        (lowest, lowest_coefficient), (second, _) = bands[0], bands[1]
        top, top_coefficient = bands[-1]
        everyone = _t(lang, f"全部 {len(scores)} 人", f"all {len(scores)} agents")
        if (scores < second).all():
            # under the lowest band's minimum the coefficient is 0, not the lowest band's
            which = f"（{lowest_coefficient:g}）" if (scores >= lowest).all() else ""
            zeros = [rule.metric for rule in scheme.kpis if f"{rule.metric}_score" in table.columns
                     and _all_zero(table.loc[scores.index, f"{rule.metric}_score"])]
            nobody = (_t(lang, f"{fmt.joined((metric_label(m, lang) for m in zeros), lang)} 所有人都是 0 分。",
                         f"Nobody scores on {fmt.joined((metric_label(m, lang) for m in zeros), lang)}. ")
                      if zeros else "")
            standing = _t(lang, f"{everyone}得分都低于 {second:g}，绩效系数都是最低档{which}。",
                          f"{everyone.capitalize()} score under {second:g}, so everyone gets the lowest coefficient"
                          f"{which.replace('（', ' (').replace('）', ')')}. ")
        elif (scores >= top).all():
            nobody = ""
            standing = _t(lang, f"{everyone}得分都在 {top:g} 以上，绩效系数都是最高档（{top_coefficient:g}），拉不开差距。",
                          f"{everyone.capitalize()} score {top:g} or more, so everyone gets the top coefficient "
                          f"({top_coefficient:g}) and the bands tell nobody apart. ")
        else:
            continue
        notes.append(_t(lang, f"{label}：{standing}{nobody}方案的评分标准（分档、最差/最好值、目标）可能不适合你们的业务："
                              "可在「模拟」页试改，看分数和工资怎样变，再保存为新版本。",
                        f"{label}: {standing}{nobody}The scheme's standards (bands, worst/best, targets) may not fit "
                        "your business: try changes on the What-if page, see how scores and pay move, then save "
                        "them as a new version."))
    return notes


def _all_zero(kpi_scores: pd.Series) -> bool:
    scored = kpi_scores.dropna()
    return not scored.empty and bool((scored == 0).all())


@dataclass
class Labelled:
    """A table with the UI's column headers, and which header holds what (for formats and colours)."""

    frame: pd.DataFrame
    kpis: dict[str, str]  # header → KPI name (value columns, coloured against the team)
    counts: list[str]  # headers of sample-size columns
    money: list[str]  # headers of money columns
    goals: dict[str, str] = field(default_factory=dict)  # header → KPI name (completion of own targets)


def group_label(label: str, lang: str = "zh") -> str:
    """scoring's 'shop / team / role' with the role code in words."""
    return " / ".join(fmt.role(part, lang) if part in fmt.ROLE_LABELS else part for part in str(label).split(" / "))


def labelled_leaderboard(table: pd.DataFrame, metrics: Iterable[str], lang: str = "zh",
                         penalised: Iterable[str] = ()) -> Labelled:
    """The leaderboard as shown and exported: numbers stay numbers, headers in the UI language.
    `penalised` (Scored.penalised) stand beside the deduction, when pay is shown, as what it was for."""
    common = set(skipped_by_all(table))
    out = pd.DataFrame(index=table.index)
    out[_t(lang, "比较组", "Group")] = table["group"].map(lambda g: group_label(g, lang))
    out[_t(lang, "名次", "Rank")] = table["rank"]
    out[_t(lang, "客服", "Agent")] = table["name"]
    out[_t(lang, "名次变化", "Move")] = table["rank_move"].map(lambda move: fmt.rank_move(move, lang))
    out[_t(lang, "账号", "Account")] = table["agent"]
    out[_t(lang, "岗位", "Role")] = table["role"].map(lambda v: fmt.role(None if _missing(v) else v, lang))
    out[_t(lang, "得分", "Score")] = table["score"]
    goals = {}  # beside the score: what an owner asks first after the rank
    for column in (c for c in table.columns if c.endswith("_target")):
        metric = column.removesuffix("_target")
        header = f"{metric_label(metric, lang)}{_t(lang, '目标达成', ' vs target')}"
        out[header] = table[column]
        goals[header] = metric
    notes = []
    small = table.get("small_sample", pd.Series(None, index=table.index, dtype=object))
    skipped = table.get("skipped", pd.Series(None, index=table.index, dtype=object))
    for is_small, skipped_here in zip(small, skipped):
        parts = [_t(lang, "⚠ 样本不足", "⚠ small sample")] if flag(is_small) else []
        own = [m for m in str(skipped_here or "").split(",") if m and m not in common]
        if own:
            parts.append(_t(lang, "未计：", "not scored: ") + fmt.joined((metric_label(m, lang) for m in own), lang))
        notes.append(" · ".join(parts))
    kpis, counts, money = {}, [], []
    for metric in metrics:
        if metric not in table.columns or (metric in common and _without_figures(table, metric)):
            continue  # a KPI nobody has figures for; one skipped for short samples keeps its figures
        header = metric_label(metric, lang)
        out[header] = table[metric]
        kpis[header] = metric
        if f"{metric}_n" in table.columns and kpi(metric).kind == "ratio":
            count_header = f"{header} {_t(lang, '样本', 'n')}"
            out[count_header] = table[f"{metric}_n"]
            counts.append(count_header)
    for column, (zh, en) in PAY_LABELS.items():
        if column == "penalty" and column in table.columns:
            for metric in (m for m in penalised if m in table.columns and m not in kpis.values()):
                basis = f"{metric_label(metric, lang)}{_t(lang, '（扣款依据）', ' (deducted for)')}"
                out[basis] = table[metric]
                (money if kpi(metric).unit == "cny" else counts).append(basis)
        if column in table.columns:
            header = _t(lang, zh, en)
            out[header] = table[column]
            if column != "coefficient":
                money.append(header)
    out[_t(lang, "备注", "Notes")] = notes  # last: a long note must not push the KPIs off the screen
    return Labelled(out.reset_index(drop=True), kpis, counts, money, goals)


_EXCEL_FORMATS = {"pct": "0.0%", "cny": '"¥"#,##0.00', "count": "#,##0", "ratio": "0.00", "score": "0.0"}


def export_formats(labelled: Labelled, lang: str = "zh") -> dict[str, str]:
    """Excel number formats of the leaderboard's columns, as the page shows them: ¥, %, 秒,
    whole counts, scores to a tenth (the cells keep their full values)."""
    seconds = '0.0"秒"' if lang == "zh" else '0.0"s"'
    formats = {header: _EXCEL_FORMATS.get(kpi(metric).unit, seconds) for header, metric in labelled.kpis.items()}
    formats.update({header: _EXCEL_FORMATS["count"] for header in labelled.counts})
    formats.update({header: _EXCEL_FORMATS["cny"] for header in labelled.money})
    formats.update({header: _EXCEL_FORMATS["pct"] for header in labelled.goals})
    formats[_t(lang, "得分", "Score")] = _EXCEL_FORMATS["score"]
    formats[_t(lang, *PAY_LABELS["coefficient"])] = _EXCEL_FORMATS["ratio"]
    return formats


def earlier_imports(history: pd.DataFrame) -> dict[str, pd.Series]:
    """Each file content (sha256) imported and still in effect, with its first import: an
    upload of the same bytes is skipped (db.apply_import), and the page says so before."""
    live = history[history["undone_at"].isna()].sort_values("import_id").drop_duplicates("sha256")
    return {row["sha256"]: row for _, row in live.iterrows()}


def import_remarks(history: pd.DataFrame, lang: str = "zh") -> list[str | None]:
    """What each import said when it ran (its notes, the rows it skipped, the columns it did
    not know), for the import history: a file the inbox imported unattended said it to no one."""
    sep, colon = ("；", "：") if lang == "zh" else ("; ", ": ")
    skipped_word, unknown_word = _t(lang, "跳过", "skipped"), _t(lang, "未识别的列", "columns not recognised")
    remarks = []
    for notes, skipped, unknown in zip(history["notes"], history["skipped"], history["unknown_columns"]):
        parts = [fmt.one_language(n, lang) for n in notes.splitlines() if n] if isinstance(notes, str) else []
        if isinstance(skipped, str):
            parts.append(skipped_word + colon + sep.join(fmt.one_language(s, lang) for s in skipped.splitlines()))
        if unknown is not None and len(unknown):
            parts.append(unknown_word + colon + ("、" if lang == "zh" else ", ").join(unknown))
        remarks.append(sep.join(parts) or None)
    return remarks


def outside(period: tuple[date, date] | None, shown_from: date | None, shown_to: date | None) -> bool:
    """Whether imported dates fall outside the period the dashboard shows (an old month
    imported while the sidebar shows this one): the page then offers to show them."""
    return period is not None and (shown_from is None or period[0] < shown_from or period[1] > shown_to)


FILTER_LABELS = {"shop": ("店铺", "Shop"), "team": ("团队", "Team"), "role": ("岗位", "Role"),
                 "shift": ("班次", "Shift"), "account": ("客服", "Agent")}


def export_heading(title: str, date_from: date, date_to: date, *, previous: tuple[date, date],
                   scheme_names: Iterable[str], filters: dict, notes: Iterable[str], last_day: date,
                   exported_by: str, exported_at, lang: str = "zh", against: str = "previous") -> list[str]:
    """The lines above an exported leaderboard: which dates, against which, under which
    scheme, for whom, with the page's caveats (pay provisional or only indicative), and who
    exported it when. A sheet forwarded to an agent or printed for a meeting says it all."""
    picked = []
    for key, (zh, en) in FILTER_LABELS.items():
        chosen = filters.get(key)
        chosen = [chosen] if isinstance(chosen, str) else list(chosen or [])
        if chosen:
            shown = [fmt.role(v, lang) for v in chosen] if key == "role" else [str(v) for v in chosen]
            picked.append(_t(lang, f"{zh} {'、'.join(shown)}", f"{en} {', '.join(shown)}"))
    schemes_ = list(scheme_names)
    return [
        f"{title} · {date_from:%Y-%m-%d} ~ {date_to:%Y-%m-%d}",
        _t(lang, f"考核方案：{'、'.join(schemes_) or '—'} · 名次变化对比{against_name(against)} "
                 f"{previous[0]:%Y-%m-%d} ~ {previous[1]:%Y-%m-%d}",
           f"Scheme: {', '.join(schemes_) or '—'} · rank moves against {against_name(against, 'en')} "
           f"{previous[0]:%Y-%m-%d} ~ {previous[1]:%Y-%m-%d}"),
        _t(lang, f"筛选：{'；'.join(picked)}" if picked else "筛选：无（全部客服）",
           f"Filters: {'; '.join(picked)}" if picked else "Filters: none (every agent)"),
        *notes,
        _t(lang, f"数据截至 {last_day:%Y-%m-%d} · 导出于 {exported_at:%Y-%m-%d %H:%M}（{exported_by}）",
           f"Data as of {last_day:%Y-%m-%d} · exported {exported_at:%Y-%m-%d %H:%M} by {exported_by}"),
    ]


def kpi_status_frame(table: pd.DataFrame, metrics: Iterable[str]) -> pd.DataFrame:
    """Per cell of each KPI column: 'above', 'below', 'level' or None against `<metric>_group`."""
    out = pd.DataFrame(index=table.index)
    for metric in metrics:
        if metric in table.columns and f"{metric}_group" in table.columns:
            out[metric] = [vs_team_status(v, g, metric) for v, g in zip(table[metric], table[f"{metric}_group"])]
    return out


# -- weekly review: top, most improved, champions, awards -----------------------------------------


def top_agents(scored: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    """The best scores across the whole scope (ties: more receptions first)."""
    frame = scored[scored["score"].notna()].copy()
    frame["_receptions"] = frame["receptions"].fillna(0) if "receptions" in frame.columns else 0
    frame = frame.sort_values(["score", "_receptions", "agent"], ascending=[False, False, True])
    return frame.drop(columns="_receptions").head(n).reset_index(drop=True)


def cross_group_note(scored: pd.DataFrame, lang: str = "zh") -> str | None:
    """Why a ranking of the whole scope (the weekly review's) can differ from the
    leaderboard's: each score is measured against the agent's own comparison group, and
    the leaderboard ranks within it. None when the scored agents form one group."""
    groups = scored.loc[scored["score"].notna(), "group"].nunique() if "group" in scored.columns else 0
    if groups <= 1:
        return None
    return _t(lang, f"这份排名跨 {groups} 个比较组：每人的得分是与本组比较的结果，组内名次见「排行榜」。",
              f"This ranking spans {groups} comparison groups: each score is measured against the agent's own "
              "group; the leaderboard ranks within a group.")


def award_days(*frames: pd.DataFrame) -> float | None:
    """The fewest worked days (Σworkdays) that compete for the period's awards: AWARD_ATTENDANCE
    of the most any agent in the frames worked. None when no frame knows anyone's workdays."""
    most = max((frame["workdays"].max() for frame in frames
                if "workdays" in frame.columns and frame["workdays"].notna().any()), default=None)
    return None if most is None or most <= 0 else AWARD_ATTENDANCE * most


def present(frame: pd.DataFrame, least_days: float | None) -> pd.Series:
    """Who worked enough days to compete (award_days); unknown workdays count as present."""
    if least_days is None or "workdays" not in frame.columns:
        return pd.Series(True, index=frame.index)
    return ~(frame["workdays"] < least_days)


def attendance_note(frame: pd.DataFrame, least_days: float | None, lang: str = "zh", limit: int = 4) -> str | None:
    """Who the awards left out for attendance, said where the awards are shown: a name
    missing from the podium must not look like an oversight."""
    short = frame[~present(frame, least_days)]
    if short.empty:
        return None
    names = list(dict.fromkeys(display_name(row) for _, row in short.iterrows()))
    shown = "、".join(names[:limit]) + (_t(lang, f" 等 {len(names)} 人", f" and {len(names) - limit} more")
                                       if len(names) > limit else "")
    most = f"{least_days / AWARD_ATTENDANCE:g}"
    return _t(lang, f"在岗天数不到本期最多者（{most} 天）一半的不参评奖项：{shown}",
              f"Who worked under half the most days anyone worked ({most}) does not compete for awards: {shown}")


def most_improved(scored: pd.DataFrame, previous: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    """Agents whose score rose most against the previous period (rises only). An agent who
    did not work then (no receptions: a day off, leave) scored 0 on nothing, so has no rise
    to show: from 0.0 to 103.1 on a Tuesday would crown a day off."""
    if previous is not None and "receptions" in previous.columns:
        previous = previous[previous["receptions"].fillna(0) > 0]
    frame = with_previous(scored, previous)
    frame = frame[frame["score_change"] > 0]
    return frame.sort_values(["score_change", "agent"], ascending=[False, True]).head(n).reset_index(drop=True)


def kpi_ranked(kpis: pd.DataFrame, metric: str, scheme: Scheme | None = None) -> pd.DataFrame:
    """Agents by one KPI, best first, among those whose sample is big enough to count."""
    k = kpi(metric)
    pool = kpis[kpis[metric].notna()]
    if k.kind == "ratio":
        pool = pool[pool[f"{metric}_n"] >= min_sample(metric, scheme)]
    return pool.sort_values([metric, "agent"], ascending=[k.lower_is_better, True])


def kpi_champions(kpis: pd.DataFrame, metrics: Iterable[str] = CHAMPION_KPIS,
                  scheme: Scheme | None = None, taken: set | None = None) -> pd.DataFrame:
    """The best agent per KPI (kpi_ranked). Given `taken` (person_keys, added to as it
    goes), nobody is picked twice: a KPI goes to its best agent not yet taken, and
    `passed_from` names the one who led it but held an award already (else None)."""
    rows = []
    for metric in metrics:
        if metric not in kpis.columns:
            continue
        ranked = kpi_ranked(kpis, metric, scheme)
        pool = ranked[[key not in taken for key in person_keys(ranked)]] if taken else ranked
        if pool.empty:
            continue
        best = pool.iloc[0]
        if taken is not None:
            taken.update(person_keys(pool.iloc[:1]))
        rows.append({"metric": metric, "shop": best["shop"], "agent": best["agent"], "name": display_name(best),
                     "team": best.get("team"), "value": best[metric],
                     "n": best.get(f"{metric}_n") if kpi(metric).kind == "ratio" else None,
                     "team_value": best.get(f"{metric}_team"),
                     "passed_from": display_name(ranked.iloc[0]) if ranked.index[0] != pool.index[0] else None})
    return pd.DataFrame(rows, columns=["metric", "shop", "agent", "name", "team", "value", "n", "team_value",
                                       "passed_from"])


AWARD_TITLES = {
    "top": ("本周冠军", "Top scorer"),
    "improved": ("进步之星", "Most improved"),
    "conversion_rate": ("转化之星", "Conversion star"),
    "first_response_s": ("闪电响应", "Fastest response"),
    "satisfaction": ("满意之星", "Satisfaction star"),
    "aov": ("客单之星", "Basket star"),
    "sales": ("销售之星", "Sales star"),
}


@dataclass(frozen=True)
class Award:
    key: str
    name: str
    shop: str
    detail_zh: str
    detail_en: str
    passed_from: str | None = None  # who led it but held an award already (one award each)

    def title(self, lang: str = "zh") -> str:
        zh, en = AWARD_TITLES[self.key]
        return zh if lang == "zh" else en

    def detail(self, lang: str = "zh") -> str:
        return self.detail_zh if lang == "zh" else self.detail_en

    def passed_note(self, lang: str = "zh") -> str:
        """Why the card's winner is not the one who led: said on the card, not left to guess."""
        if not self.passed_from:
            return ""
        return _t(lang, f"顺延：第一名 {self.passed_from} 已获其他奖项",
                  f"passed down: {self.passed_from}, first, holds another award")


def pick_awards(scored: pd.DataFrame, previous: pd.DataFrame, kpis: pd.DataFrame,
                metrics: Iterable[str] = CHAMPION_KPIS, one_each: bool = False) -> list[Award]:
    """The week's awards: top score, most improved, and one champion per key KPI. With
    `one_each`, an award its winner already holds one of goes to the next in line, so a
    week's recognition reaches more of the team (a person is one winner over all their accounts).
    Only agents who worked enough days compete (award_days)."""
    least_days = award_days(kpis, scored)
    scored, kpis = scored[present(scored, least_days)], kpis[present(kpis, least_days)]
    awards = []
    taken: set | None = set() if one_each else None
    top = top_agents(scored, 1) if not scored.empty else pd.DataFrame()
    if not top.empty:
        row = top.iloc[0]
        awards.append(Award("top", display_name(row), row["shop"], f"得分 {fmt.score(row['score'])}",
                            f"score {fmt.score(row['score'])}"))
        if taken is not None:
            taken.update(person_keys(top.iloc[:1]))
    rising = most_improved(scored, previous, len(scored)) if not scored.empty else pd.DataFrame()
    improved = rising[[key not in taken for key in person_keys(rising)]] if taken and not rising.empty else rising
    if not improved.empty:
        row = improved.iloc[0]
        if taken is not None:
            taken.update(person_keys(improved.iloc[:1]))
        awards.append(Award("improved", display_name(row), row["shop"],
                            f"{fmt.score(row['previous_score'])} → {fmt.score(row['score'])}"
                            f"（+{row['score_change']:.1f}）",
                            f"{fmt.score(row['previous_score'])} → {fmt.score(row['score'])}"
                            f" (+{row['score_change']:.1f})",
                            display_name(rising.iloc[0]) if improved.index[0] != rising.index[0] else None))
    for _, row in kpi_champions(kpis, metrics, taken=taken).iterrows():
        awards.append(Award(row["metric"], row["name"], row["shop"],
                            fmt.with_count(row["metric"], row["value"], row["n"], "zh"),
                            fmt.with_count(row["metric"], row["value"], row["n"], "en"),
                            None if _missing(row["passed_from"]) else row["passed_from"]))
    return awards


# -- one agent: score breakdown, what pulled it down, pay slip ----------------------------------------


def score_breakdown(row: pd.Series, scheme: Scheme) -> pd.DataFrame:
    """Per KPI rule: weight, its share of the used weight, score, contribution and points lost.

    contribution = share × score, so the contributions add up to the total score; lost =
    share × (100 − score) when the KPI scored under 100 (what it cost against par).
    Skipped KPIs (no value or too small a sample) carry no share, as in the total score.
    `par` is the value that would score 100 (PAR_WORDS names it per method).
    """
    skipped = set(filter(None, str(row.get("skipped") or "").split(",")))
    used_weight = sum(r.weight for r in scheme.kpis
                      if r.metric not in skipped and not _missing(row.get(f"{r.metric}_score")))
    records = []
    for rule in scheme.kpis:
        score = row.get(f"{rule.metric}_score")
        is_skipped = rule.metric in skipped or _missing(score)
        share = 0.0 if is_skipped or not used_weight else rule.weight / used_weight
        records.append({
            "metric": rule.metric, "method": rule.method, "par": _par(rule, row.get(f"{rule.metric}_group")),
            "weight": rule.weight, "share": share,
            "value": row.get(rule.metric), "group_value": row.get(f"{rule.metric}_group"),
            "n": row.get(f"{rule.metric}_n"),
            "score": float("nan") if is_skipped else float(score),
            "contribution": 0.0 if is_skipped else share * float(score),
            "lost": 0.0 if is_skipped else share * max(0.0, 100.0 - float(score)),
            "skipped": is_skipped,
        })
    return pd.DataFrame(records)


def _par(rule, group_value):
    """The value that scores 100 under a rule: the team's, the target, `best`, or the top band."""
    if rule.method == "vs_team":
        return group_value
    if rule.method == "target":
        return rule.target
    if rule.method == "linear":
        return rule.best
    full = [threshold for threshold, points in rule.bands if points >= 100]
    if not full:
        return None
    return max(full) if kpi(rule.metric).lower_is_better else min(full)


PAR_WORDS = {"vs_team": ("团队", "team"), "target": ("目标", "target"), "linear": ("满分线", "full marks at"),
             "bands": ("满分线", "full marks at")}


def pulled_down(breakdown: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    """The KPIs that cost the most weighted points, largest first."""
    lost = breakdown[breakdown["lost"] > 0]
    return lost.sort_values(["lost", "metric"], ascending=[False, True]).head(n).reset_index(drop=True)


def _tier_reached(value, tiers, lower_is_better: bool):
    """The (threshold, amount) of the best tier reached, or None: decided by the engine's rule
    (a value within float noise of a threshold reaches it), so the wording names the tier paid."""
    if _missing(value):
        return None
    index = int(scoring.tier_index(np.array([float(value)]), tiers, lower_is_better)[0])
    return tiers[index] if index >= 0 else None


def pay_slip(row: pd.Series, scheme: Scheme, values: pd.Series | None = None, lang: str = "zh") -> pd.DataFrame:
    """The pay of one scored agent, line by line (item, detail, amount); the lines add up to pay.

    Every part of spec/scoring.md's pay formula has a line, so a slip reads the same under
    every scheme; a part the scheme does not use says so and is ¥0.

    `row` is the agent's scoring.score row; `values` its KPI row (for penalty counts and
    bonus values the score row does not carry).
    """
    values = row if values is None else values

    def value_of(metric):
        found = values.get(metric)
        return row.get(metric) if _missing(found) else found

    def num(name):
        found = row.get(name)
        return 0.0 if _missing(found) else float(found)

    pay = scheme.pay
    lines = []
    source = row.get("base_source")
    base_note = {"roster": ("花名册底薪", "roster base salary"),
                 "scheme_level": (f"方案按级别 {row.get('level')}", f"scheme default for level {row.get('level')}"),
                 "missing": ("未设底薪", "no base salary set")}.get(source, ("", ""))
    if not _missing(value_of("base_prorated")) and bool(value_of("base_prorated")):
        base_note = ("期间内底薪有变更，按天折算", "the base changed in the period: paid by the day")
    lines.append((_t(lang, "底薪", "Base salary"), _t(lang, *base_note), num("base")))
    coefficient = num("coefficient")
    lines.append((_t(lang, "绩效工资", "Performance pay"),
                  f"{fmt.money(pay.performance_pay)} × {_t(lang, '系数', 'coefficient')} {coefficient:g}" +
                  _t(lang, f"（得分 {fmt.score(row.get('score'))}）", f" (score {fmt.score(row.get('score'))})"),
                  num("performance_pay")))
    not_in_scheme = _t(lang, "方案未设", "not in this scheme")
    if pay.commission:
        sales = value_of("sales")
        tier = _tier_reached(sales, pay.commission, False)
        rate = tier[1] if tier else 0.0
        detail = f"{_t(lang, '销售额', 'sales')} {fmt.money(sales)} × {rate * 100:g}%"
        if pay.commission_times_coefficient:
            detail += f" × {_t(lang, '系数', 'coefficient')} {coefficient:g}"
    else:
        detail = not_in_scheme
    lines.append((_t(lang, "提成", "Commission"), detail, num("commission")))
    for bonus in scheme.bonuses:
        k = kpi(bonus.metric)
        value = value_of(bonus.metric)
        tier = _tier_reached(value, bonus.tiers, k.lower_is_better)
        sign = "≤" if k.lower_is_better else "≥"
        if tier:
            detail = f"{fmt.value(bonus.metric, value, lang)} {sign} {fmt.value(bonus.metric, tier[0], lang)}"
        else:
            first = bonus.tiers[-1] if k.lower_is_better else bonus.tiers[0]
            detail = (f"{fmt.value(bonus.metric, value, lang)}{_t(lang, '，未达', ', short of')} "
                      f"{sign} {fmt.value(bonus.metric, first[0], lang)}")
        lines.append((f"{_t(lang, '奖金：', 'Bonus: ')}{metric_label(bonus.metric, lang)}", detail,
                      num(f"bonus_{bonus.metric}")))
    rank = row.get("rank")
    if not pay.rank_awards:
        detail = not_in_scheme
    elif _missing(rank):
        detail = ""
    else:
        detail = _t(lang, f"组内第 {int(rank)} 名", f"rank {int(rank)} in group")
    lines.append((_t(lang, "名次奖", "Rank award"), detail, num("rank_award")))
    if pay.team_bonus is not None:
        tb = pay.team_bonus
        reached = num("team_share") > 0
        detail = (f"{_t(lang, '团队', 'team')} {metric_label(tb.metric, lang)} "
                  f"{fmt.value(tb.metric, row.get('team_bonus_value'), lang)} / "
                  f"{_t(lang, '目标', 'target')} {fmt.value(tb.metric, tb.target, lang)}"
                  f"{'' if reached else _t(lang, '（未达标）', ' (not reached)')}")
    else:
        detail = not_in_scheme
    lines.append((_t(lang, "团队奖", "Team share"), detail, num("team_share")))
    for penalty in scheme.penalties:
        count = value_of(penalty.metric)
        lines.append((f"{_t(lang, '扣款：', 'Penalty: ')}{metric_label(penalty.metric, lang)}",
                      f"{fmt.count(0 if _missing(count) else count)} × {fmt.money(penalty.per_unit)}",
                      -num(f"penalty_{penalty.metric}") or 0.0))  # no "¥-0.00"
    gross = sum(amount for _, _, amount in lines)
    total = num("pay")
    if pay.floor_at_base:
        top_up = total - gross if total - gross > 1e-9 else 0.0
        lines.append((_t(lang, "保底补足", "Floor top-up"),
                      _t(lang, "扣款后不低于底薪", "pay never below base") if top_up
                      else _t(lang, "未触发（应发高于底薪）", "not needed (pay above base)"), top_up))
    lines.append((_t(lang, "应发合计", "Total pay"), "", total))
    return pd.DataFrame(lines, columns=["item", "detail", "amount"])


# -- promotion readiness --------------------------------------------------------------------------


@dataclass(frozen=True)
class PromotionRule:
    """Promote from `level` to `to_level` when the average monthly score over the last
    `window` months reaches `min_average`, with at least `min_months` scored months."""

    level: str
    to_level: str
    min_average: float
    min_months: int
    window: int = 6


# Simple, documented defaults: a steady "at or above the team" record earns the next level.
# trainee→junior: average ≥ 80 with ≥ 3 scored months of the last 6 (a probation);
# junior→mid: ≥ 90 with ≥ 4; mid→senior: ≥ 100 with ≥ 5; senior→VIP: ≥ 105 over all 6.
# VIP is the top level.
PROMOTION_RULES = {
    "trainee": PromotionRule("trainee", "junior", 80, 3),
    "junior": PromotionRule("junior", "mid", 90, 4),
    "mid": PromotionRule("mid", "senior", 100, 5),
    "senior": PromotionRule("senior", "vip", 105, 6),
}
LEVEL_LABELS = {"trainee": ("实习", "Trainee"), "junior": ("初级", "Junior"), "mid": ("中级", "Mid"),
                "senior": ("高级", "Senior"), "vip": ("VIP", "VIP")}


def level_label(level: str | None, lang: str = "zh") -> str:
    if _missing(level) or not level:
        return _t(lang, "未设级别", "no level")
    zh, en = LEVEL_LABELS.get(level, (level, level))
    return _t(lang, zh, en)


def window_months(last_day: date, window: int = 6) -> list[tuple[date, date]]:
    """The `window` calendar months ending with `last_day`'s month, oldest first; the last
    one ends at `last_day` (a month in progress counts with the days it has)."""
    months = []
    start = last_day.replace(day=1)
    end = last_day
    for _ in range(window):
        months.append((start, end))
        end = start - timedelta(days=1)
        start = end.replace(day=1)
    return months[::-1]


@dataclass(frozen=True)
class Readiness:
    level: str | None
    rule: PromotionRule | None  # None: top level or no level set
    average: float | None
    months: int  # months with a score in the window
    ready: bool

    @property
    def score_progress(self) -> float:
        if self.rule is None or self.average is None:
            return 0.0
        return max(0.0, min(1.0, self.average / self.rule.min_average))

    @property
    def months_progress(self) -> float:
        if self.rule is None:
            return 0.0
        return min(1.0, self.months / self.rule.min_months)


def promotion_readiness(level: str | None, monthly_scores: Iterable[float],
                        rules: dict[str, PromotionRule] = PROMOTION_RULES) -> Readiness:
    """How close an agent is to the next level, from its monthly scores in the window
    (NaN = a month without a score, left out of the average and the month count)."""
    scores = [float(s) for s in monthly_scores if not _missing(s)]
    average = sum(scores) / len(scores) if scores else None
    rule = rules.get(level) if isinstance(level, str) else None
    ready = (rule is not None and average is not None and len(scores) >= rule.min_months
             and average >= rule.min_average)
    return Readiness(level if isinstance(level, str) else None, rule, average, len(scores), ready)


# -- ranges ------------------------------------------------------------------------------------------

TREND_GRAINS = {"day": ("按日", "Daily"), "week": ("按周", "Weekly"), "month": ("按月", "Monthly")}
# Why a trend by day or week can be empty where the period has figures: a trend places each
# export on its days, and a file over several days (a monthly report) belongs to none of them.
SPANNING_EXPORTS = ("这段时间的数据来自跨越多天的导出（如月报），拆不到每一天或每一周：请选更粗的粒度。",
                    ("This range's figures come from exports spanning several days (a monthly file, say), "
                     "which cannot be split by day or week: pick a coarser grain."))


def group_line_words(metric: str) -> tuple[str, str]:
    """What a team line beside an agent's is (queries.trend as_group): a rate pooled over
    the team, a total per agent who worked, as the scores compare them."""
    if kpi(metric).kind == "sum":
        return "人均值（上班的客服）", "mean per agent who worked"
    return "汇总值", "pooled"


def promotion_marks(promotions: list[tuple[date, str]], grain: str) -> list[tuple[date, str]]:
    """Where a trend marks its promotion days (queries.promotion_days): on the day itself by
    day; by week or month on the point of the week or month holding it, since a line at
    03-08 between two monthly points sat beside the March point and, in the range's last
    month, past the chart's edge. Promotions in one week or month share one mark."""
    if grain not in ("week", "month"):
        return list(promotions)
    marks: dict[date, list[str]] = {}
    for day, name in promotions:
        marks.setdefault(assessment_period(grain, day)[0], []).append(name)
    return [(start, " · ".join(names)) for start, names in marks.items()]


YEAR_OF_WEEKS = timedelta(weeks=52)  # a week's counterpart a year before: the same weekdays, Monday to Monday


def last_year_range(date_from: date, date_to: date, grain: str) -> tuple[date, date]:
    """The dates a trend's last-year line reads: the same dates a year before, or by week 52
    weeks before, so each of its weeks lines up with one of this year's."""
    if grain == "week":
        return date_from - YEAR_OF_WEEKS, date_to - YEAR_OF_WEEKS
    return queries.same_period_last_year(date_from, date_to)


def a_year_later(trend: pd.DataFrame, grain: str) -> pd.DataFrame:
    """A trend of last_year_range moved onto this year's dates, each point keeping its own
    date as `was` (for the hover)."""
    was = pd.to_datetime(trend["period"])
    later = was + pd.Timedelta(YEAR_OF_WEEKS) if grain == "week" else was + pd.DateOffset(years=1)
    return trend.assign(period=later.dt.date, was=was.dt.date)


def partial_periods(grain: str, date_from: date, date_to: date, lang: str = "zh") -> dict[date, str]:
    """The weeks or months at either end of a trend's range that it holds only part of (a
    week so far, a month cut by the range), by their first day, with how many of their days
    it holds: a partial week's sales are not a fall, so the charts draw those points apart."""
    if grain not in ("week", "month"):
        return {}
    found = {}
    for day in (date_from, date_to):
        start, end = assessment_period(grain, day)
        held, days = (min(date_to, end) - max(date_from, start)).days + 1, (end - start).days + 1
        if held < days:
            found[start] = _t(lang, f"不完整：{held}/{days} 天", f"partial: {held} of {days} days")
    return found


def trend_range(choice: str, first: date, last: date, sidebar: tuple[date, date]) -> tuple[date, date]:
    """The trends page's range: the sidebar's period, the last 90/180/365 days, or all data."""
    if choice == "sidebar":
        return sidebar
    if choice == "all":
        return first, last
    days = {"90d": 90, "180d": 180, "365d": 365}[choice]
    return max(first, last - timedelta(days=days - 1)), last
