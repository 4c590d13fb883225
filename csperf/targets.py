"""Monthly KPI targets the owner sets, and where a period stands against them.

A target belongs to a KPI, a month and a scope: the whole business, one shop, one team of
a shop, or one agent account of a shop. A sum KPI's target (sales, receptions) is the month's total: a period that
covers part of a month is held to its share of the month's days, and a month still
running is projected to its end at the pace of its days so far. A ratio KPI's target
(conversion, first response) is a level the pooled value should reach, or stay under when
lower is better, whatever the period's length. A period is held to a target only when
every month it touches has one. Targets are typed on the data page or with `csperf
target`, copied from the month before, or read from the spreadsheet a shop keeps them in.
"""

from __future__ import annotations

import calendar
import math
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from csperf import roster, values
from csperf.db import Database
from csperf.metrics import KPI_BY_NAME, kpi
from csperf.roster import parse_month

ALL = ""  # the scope's shop, team or account when the target is for all of them
EVERY_SCOPE_LABEL = "所有范围（全部店铺、各店铺、团队和客服）"  # copy_every_scope's, beside scope_label's

# the KPIs the data page offers a target for, in the order shown
TARGET_KPIS: tuple[str, ...] = (
    "sales", "receptions", "inquiries", "paid_buyers", "conversion_rate", "aov", "items_per_buyer",
    "first_response_s", "reply_rate", "satisfaction", "refund_rate", "bad_reviews",
)


def offered_key(metric: str) -> tuple[int, str]:
    """Sorts KPIs in the order the data page offers their targets (any other KPI after them)."""
    return (TARGET_KPIS.index(metric) if metric in TARGET_KPIS else len(TARGET_KPIS), metric)


class TargetError(ValueError):
    """A target that cannot be stored: unknown KPI, unreadable or negative value."""


def is_sum(metric: str) -> bool:
    """A target for the month's total (prorated over part of a month), not a level."""
    return kpi(metric).kind == "sum"


def parse_value(metric: str, value) -> float:
    """A target as typed: `35%`, `35` or `0.35` for a percentage (a bare number above 1 is
    percent); `¥1,200,000` or `120万` for money; `20`, `20秒` or `1分30秒` for a duration."""
    if metric not in KPI_BY_NAME:
        raise TargetError(f"未知指标 {metric!r} — unknown KPI; known: {', '.join(KPI_BY_NAME)}")
    unit = kpi(metric).unit
    text = str(value).strip() if value is not None else ""
    try:
        if unit == "pct":
            number = values.number(pd.Series([text.removesuffix("%")])).iloc[0]
            if not pd.isna(number) and (text.endswith("%") or abs(number) > 1):
                number = number / 100
        elif unit == "s":
            number = values.duration(pd.Series([text])).iloc[0]
        elif text.endswith("万"):
            number = values.number(pd.Series([text.removesuffix("万")])).iloc[0] * 10_000
        else:
            number = values.number(pd.Series([text])).iloc[0]
    except values.UnreadableValues:
        number = math.nan
    if pd.isna(number) or not math.isfinite(number):
        raise TargetError(f"{kpi(metric).zh}的目标“{text}”不是数字 — the {metric} target is not a number")
    if number < 0:
        raise TargetError(f"{kpi(metric).zh}的目标不能为负数 — the {metric} target cannot be negative")
    return float(number)


def scope(shop: str | None = None, team: str | None = None, account: str | None = None) -> tuple[str, str, str]:
    """(shop, team, account) with ALL for what is not given; a team or an account needs its
    shop, and a target is for a team or for an account, not both."""
    shop, team, account = ((v or ALL).strip() for v in (shop, team, account))
    if (team or account) and not shop:
        raise TargetError("团队或客服的目标需要指定店铺 — a team's or an agent's target needs its shop")
    if team and account:
        raise TargetError("目标只能针对团队或客服之一 — a target is for a team or for an agent, not both")
    return shop, team, account


def set_target(db: Database, metric: str, month, value, *, shop: str | None = None, team: str | None = None,
               account: str | None = None, user: str | None = None) -> float | None:
    """Set (or, with value None or blank, clear) one KPI's target for a month and scope.
    Returns the stored value."""
    if metric not in KPI_BY_NAME:
        raise TargetError(f"未知指标 {metric!r} — unknown KPI; known: {', '.join(KPI_BY_NAME)}")
    first_day = parse_month(month)
    where = scope(shop, team, account)
    blank = value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == ""
    number = None if blank else parse_value(metric, value)
    with db.write() as cur:
        _store(cur, metric, where, first_day, number, user)
        db.audit(cur, user, "target_set" if number is not None else "target_clear",
                 f"{scope_label(*where)} {first_day:%Y-%m} {metric}" + (f" = {number:g}" if number is not None else ""))
    return number


def _store(cur, metric: str, where: tuple[str, str, str], month: date, number: float | None,
           user: str | None) -> None:
    """Replace one target inside the caller's transaction (None: remove it)."""
    cur.execute("DELETE FROM kpi_targets WHERE metric = ? AND shop = ? AND team = ? AND account = ? AND month = ?",
                [metric, *where, month])
    if number is not None:
        cur.execute("INSERT INTO kpi_targets (metric, shop, team, account, month, value, set_by) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)", [metric, *where, month, number, user])


_SCOPE_HEADERS = {"month": ("月份", "月", "month"), "shop": ("店铺", "店铺名称", "shop"),
                  "team": ("团队", "组", "小组", "team"), "account": ("账号", "客服", "客服账号", "子账号", "account"),
                  "metric": ("指标", "kpi", "metric"),
                  "value": ("目标", "目标值", "target", "value")}


def _header_key(cell) -> str | None:
    """What a header cell names: a scope column, the long form's metric/value, or a KPI
    (its canonical name or label, with or without 目标 / target around it)."""
    text = re.sub(r"[\s_（）()%]", "", values.clean_text(cell)).lower()
    for key, names in _SCOPE_HEADERS.items():
        if text in names:
            return key
    bare = re.sub(r"^目标|目标$|target$|^target", "", text)
    for name, item in KPI_BY_NAME.items():
        if bare in {name.replace("_", ""), re.sub(r"[\s_（）()%]", "", item.zh).lower(),
                    item.en.replace(" ", "").lower()}:
            return f"kpi:{name}"
    return None


def import_targets(db: Database, path: str | Path, user: str | None = None) -> int:
    """Targets kept in a spreadsheet, one per row (月份, 店铺, 团队 or 账号, 指标, 目标) or one
    row per month and scope with a column per KPI (月份, 店铺, 账号, 销售额, 询单转化率 …). A
    blank shop, team or account is all of them; an account may carry its shop (`店铺:账号`);
    a blank cell sets nothing. Every cell is checked first: one bad cell, and nothing is
    stored. Returns how many were stored."""
    path = Path(path)
    try:
        rows = roster.read_rows(path)
    except roster.RosterError as exc:
        raise TargetError(str(exc)) from None
    for index, row in enumerate(rows[:10]):
        header = {position: key for position, cell in enumerate(row) if (key := _header_key(cell))}
        found = set(header.values())
        if "month" in found and ({"metric", "value"} <= found or any(k.startswith("kpi:") for k in found)):
            break
    else:
        raise TargetError(f"{path.name}：前10行中找不到表头（需要“月份”，以及“指标”和“目标”两列或各指标一列）"
                          " — no header row with 月份 and the KPIs")
    long_form = {"metric", "value"} <= found
    wanted: dict[tuple[str, tuple[str, str, str], date], tuple[float, int]] = {}  # → (value, row)
    errors: list[str] = []
    for offset, raw in enumerate(rows[index + 1:]):
        row_no = index + 2 + offset
        cells = {key: raw[position] if position < len(raw) else None for position, key in header.items()}
        if not any(values.clean_text(v) for v in cells.values() if v is not None):
            continue
        where = f"{path.name} 第{row_no}行"
        try:
            month = parse_month(cells["month"])
        except ValueError as exc:
            errors.append(f"{where}：{exc}")
            continue
        shop, team, account = (values.clean_text(cells.get(k)) if cells.get(k) is not None else ""
                               for k in ("shop", "team", "account"))
        if account:
            shop, account = roster.split_account(account, shop)
        try:
            owner = scope(shop, team, account)
        except TargetError as exc:
            errors.append(f"{where}：{exc}")
            continue
        if long_form:
            named = _header_key(cells["metric"]) or ""
            metric = named[4:] if named.startswith("kpi:") else values.clean_text(cells["metric"])
            given = {metric: cells["value"]}
        else:
            given = {key.removeprefix("kpi:"): cell for key, cell in cells.items() if key.startswith("kpi:")}
        for metric, cell in given.items():
            if cell is None or values.clean_text(cell) == "":
                continue
            try:
                number = parse_value(metric, cell)
            except TargetError as exc:
                errors.append(f"{where}：{exc}")
                continue
            key = (metric, owner, month)
            if key in wanted and wanted[key][1] != row_no:
                errors.append(f"{where}：{scope_label(*owner)} {month:%Y-%m} {metric} 与第{wanted[key][1]}行重复")
            wanted[key] = (number, row_no)
    if errors:
        raise TargetError("未写入任何目标 — nothing was saved:\n" + roster.listed_errors(errors))
    with db.write() as cur:
        for (metric, owner, month), (number, _) in wanted.items():
            _store(cur, metric, owner, month, number, user)
        db.audit(cur, user, "target_import", f"{path.name}: {len(wanted)} targets")
    return len(wanted)


def copy_month(db: Database, source, month, *, shop: str | None = None, team: str | None = None,
               account: str | None = None, user: str | None = None) -> int:
    """Carry one scope's targets of `source` month into `month` where it has none yet;
    returns how many were copied (the month's own targets are kept)."""
    return _copy(db, source, month, scope(shop, team, account), user)


def copy_every_scope(db: Database, source, month, user: str | None = None) -> int:
    """`copy_month` for every scope at once: the business's, each shop's, team's and agent's."""
    return _copy(db, source, month, None, user)


def _copy(db: Database, source, month, where: tuple[str, str, str] | None, user: str | None) -> int:
    first_day = parse_month(month)
    picked = "s.shop = ? AND s.team = ? AND s.account = ?" if where else "true"
    with db.write() as cur:
        copied = cur.execute(
            f"""INSERT INTO kpi_targets (metric, shop, team, account, month, value, set_by)
               SELECT metric, shop, team, account, ?, value, ? FROM kpi_targets s
               WHERE s.month = ? AND {picked} AND NOT EXISTS (
                   SELECT 1 FROM kpi_targets t WHERE t.month = ? AND t.metric = s.metric AND t.shop = s.shop
                   AND t.team = s.team AND t.account = s.account)""",
            [first_day, user, parse_month(source), *(where or ()), first_day]).fetchall()[0][0]
        if copied:
            label = scope_label(*where) if where else EVERY_SCOPE_LABEL
            db.audit(cur, user, "target_copy", f"{label} {parse_month(source):%Y-%m} → {first_day:%Y-%m}: {copied}")
    return int(copied)


def targets_frame(db: Database, month=None) -> pd.DataFrame:
    """Every target stored (of one month, when given), scope by scope."""
    where, params = ("WHERE month = ?", [parse_month(month)]) if month is not None else ("", [])
    return db.query(f"SELECT month, shop, team, account, metric, value, set_by, set_at FROM kpi_targets {where} "
                    "ORDER BY month, shop, team, account, metric", params)


def scope_label(shop: str, team: str = ALL, account: str = ALL, *, lang: str = "zh") -> str:
    """'全部店铺', '旗舰店', '旗舰店 · A组', or an agent as its platform name '旗舰店:小美'."""
    if not shop:
        return "全部店铺" if lang == "zh" else "all shops"
    return f"{shop}:{account}" if account else (f"{shop} · {team}" if team else shop)


def month_days(first_day: date) -> int:
    return calendar.monthrange(first_day.year, first_day.month)[1]


def months_of(date_from: date, date_to: date) -> list[tuple[date, int]]:
    """The months a period touches, each with how many of its days the period covers."""
    out, day = [], date_from
    while day <= date_to:
        first = day.replace(day=1)
        last = min(first + timedelta(days=month_days(first) - 1), date_to)
        out.append((first, (last - day).days + 1))
        day = last + timedelta(days=1)
    return out


@dataclass(frozen=True)
class Standing:
    """A period's value of one KPI against its target."""

    metric: str
    value: float
    target: float  # for the period: a sum's prorated share of its months, a ratio's level
    month_target: float | None = None  # a sum over a month from its 1st: the whole month's target
    projected: float | None = None  # … and, the month still running, its total at the current pace
    days: int = 0  # the period's days (a sum's target outside whole months is prorated over them)

    @property
    def lower_is_better(self) -> bool:
        return kpi(self.metric).lower_is_better

    @property
    def share(self) -> float | None:
        """How much of a sum's target the period has done (1.0 = all of it)."""
        return self.value / self.target if is_sum(self.metric) and self.target else None

    @property
    def month_share(self) -> float | None:
        """How much of the month's target a period from the month's 1st has done."""
        return self.value / self.month_target if self.month_target else None

    @property
    def projected_share(self) -> float | None:
        if self.projected is None or not self.month_target:
            return None
        return self.projected / self.month_target

    @property
    def gap(self) -> float | None:
        """A level's distance to its target, positive when better than it."""
        if is_sum(self.metric):
            return None
        return self.target - self.value if self.lower_is_better else self.value - self.target

    @property
    def completion(self) -> float | None:
        """The 达成率 a leaderboard shows: a sum's share done (of the whole month when the
        period is a month from its 1st, still running or not), a level's value ÷ target
        (target ÷ value when lower is better; None at a value of 0, which meets any target)."""
        if is_sum(self.metric):
            return self.month_share if self.month_target is not None else self.share
        if self.lower_is_better:
            return self.target / self.value if self.value else None
        return self.value / self.target if self.target else None

    @property
    def met(self) -> bool:
        """On target: a sum done (or, mid-month, on pace to be), a level reached."""
        value, target = self.value, self.target
        if self.projected is not None and self.month_target is not None:
            value, target = self.projected, self.month_target
        return value <= target if self.lower_is_better else value >= target


def standings(targets: pd.DataFrame, totals: pd.Series, date_from: date, date_to: date) -> dict[str, Standing]:
    """Each KPI of `totals` (a period's pooled values) against `targets` (metric, month,
    value rows of one scope), for the KPIs that have a target in every month of the period."""
    if targets is None or targets.empty:
        return {}
    months = months_of(date_from, date_to)
    by_metric = {m: dict(zip(pd.to_datetime(g["month"]).dt.date, g["value"])) for m, g in targets.groupby("metric")}
    out = {}
    for metric, set_for in by_metric.items():
        value = totals.get(metric) if totals is not None else None
        if metric not in KPI_BY_NAME or value is None or pd.isna(value) or any(m not in set_for for m, _ in months):
            continue
        covered = sum(days for _, days in months)
        if not is_sum(metric):
            level = sum(set_for[m] * days for m, days in months) / covered
            out[metric] = Standing(metric, float(value), float(level), days=covered)
            continue
        target = sum(set_for[m] * days / month_days(m) for m, days in months)
        month_target = projected = None
        if len(months) == 1 and date_from.day == 1:
            first, days = months[0]
            month_target = float(set_for[first])
            if days < month_days(first):
                projected = float(value) * month_days(first) / days
        out[metric] = Standing(metric, float(value), float(target), month_target, projected, covered)
    return out


def standings_of(goals: pd.DataFrame, rows: pd.DataFrame, on: dict[str, str], date_from: date,
                 date_to: date) -> dict:
    """Each row of `rows` (pooled KPIs) against the targets of its own scope: `on` maps the
    scope columns of `goals` (shop, team, account; with metric, month, value) to the row's
    columns naming it. {row index: {metric: Standing}}, only the rows with a target."""
    if goals is None or goals.empty or rows.empty:
        return {}
    by_scope = {key: own for key, own in goals.groupby(list(on), sort=False)}
    found = {}
    for position, key in enumerate(zip(*(rows[column] for column in on.values()))):
        own = by_scope.get(key)
        if own is not None:
            found[rows.index[position]] = standings(own, rows.iloc[position], date_from, date_to)
    return {index: held for index, held in found.items() if held}


def agent_standings(goals: pd.DataFrame, agents: pd.DataFrame, date_from: date, date_to: date) -> pd.DataFrame:
    """Each agent row of `agents` (shop, agent and its pooled KPIs) against the targets set
    for its own account (`goals`: shop, account, metric, month, value): per KPI with a
    target, `<metric>_target` (its completion, Standing.completion) and `<metric>_target_met`,
    NaN and NA for agents without one. Indexed like `agents`; no column when nobody has one."""
    found: dict[str, dict] = {}
    for index, held in standings_of(goals, agents, {"shop": "shop", "account": "agent"}, date_from, date_to).items():
        for metric, goal in held.items():
            found.setdefault(metric, {})[index] = goal
    out = pd.DataFrame(index=agents.index)
    for metric in sorted(found, key=offered_key):
        goals_of = found[metric]
        out[f"{metric}_target"] = pd.Series({i: g.completion for i, g in goals_of.items()}, index=agents.index,
                                            dtype=float)
        out[f"{metric}_target_met"] = pd.Series({i: g.met for i, g in goals_of.items()}, index=agents.index,
                                                dtype="boolean")
    return out


def target_path(targets: pd.DataFrame, metric: str, date_from: date, date_to: date, grain: str) -> pd.DataFrame:
    """The target as a line beside a KPI's trend (period, value; NaN breaks it between
    months): a level across each month that has one; a total per month at the monthly
    grain (its share of the days for a month the range cuts), per day at its daily pace
    at the daily grain, and nothing by week (a week straddles two months' targets)."""
    none = pd.DataFrame({"period": pd.Series(dtype="datetime64[s]"), "value": pd.Series(dtype=float)})
    if targets is None or targets.empty or metric not in KPI_BY_NAME:
        return none
    mine = targets[targets["metric"] == metric]
    set_for = dict(zip(pd.to_datetime(mine["month"]).dt.date, mine["value"]))
    points: list[tuple[date, float]] = []
    for first, days in months_of(date_from, date_to):
        if first not in set_for:
            continue
        start = max(first, date_from)
        end = start + timedelta(days=days - 1)
        value = float(set_for[first])
        if not is_sum(metric):
            points += [(start, value), (end, value), (end, math.nan)]
        elif grain == "month":
            points.append((first, value * days / month_days(first)))
        elif grain == "day":
            pace = value / month_days(first)
            points += [(start, pace), (end, pace), (end, math.nan)]
    if not points:
        return none
    return pd.DataFrame(points, columns=["period", "value"]).assign(period=lambda f: pd.to_datetime(f["period"]))
