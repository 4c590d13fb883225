"""Every read the product makes, as functions returning small pandas DataFrames.

All aggregation happens in SQL over the effective fact rows (`facts.current`), with
excluded accounts (robots, tests, managers) removed before anything is summed. A ratio
is always Σnumerator / Σdenominator over the rows where both parts are known, so a
NULL (an unsettled or missing figure) never counts as 0 on either side.

Each row meets the roster state in force on its day (`roster_dated`): a team move from
the 15th leaves the 1st–14th with the old team, and last month keeps the teams, roles and
base it had. An agent's own row in a table of a period takes the state of their last day in it.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pandas as pd

from csperf.db import Database
from csperf.importer import SHOP_LEVEL_ACCOUNT
from csperf.metrics import KPIS, MANUAL_SCORES, PART_MEASURES, RATIO_KPIS, SUM_KPIS, kpi
from csperf.scheme import assessment_period
from csperf.scoring import worked

GROUP_KEYS = {
    "team": ["shop", "team", "role"],
    "shift": ["shop", "shift", "role"],
    "shop": ["shop", "role"],
    "all": [],
}
BY_CHOICES = ("agent", "person", "team", "shop", "day", "week", "month", "total")
IDENTITY = ["agent", "shop", "team", "role", "name", "shift", "level", "base_salary"]


def _ratio_parts(k) -> list[str]:
    both = f"f.{k.num} IS NOT NULL AND f.{k.den} IS NOT NULL"
    return [
        f"sum(f.{k.num}) FILTER (WHERE {both}) AS {k.name}_num",
        f"sum(f.{k.den}) FILTER (WHERE {both}) AS {k.name}_n",
    ]


_AGGREGATES = ",\n       ".join(
    [part for k in RATIO_KPIS for part in _ratio_parts(k)]
    + [f"sum(f.{k.name}) AS {k.name}" for k in SUM_KPIS]
    + [f"sum(f.{m}) AS {m}" for m in PART_MEASURES]
    + [
        "count(DISTINCT f.date_from) FILTER (WHERE f.date_from = f.date_to) AS days",
        "count(*) FILTER (WHERE f.provisional) AS provisional_rows",
        "max(f.date_to) AS last_date",
    ]
)
_RATIO_VALUES = ",\n       ".join(
    f"{k.name}_num / nullif({k.name}_n, 0) AS {k.name}, {k.name}_num, {k.name}_n" for k in RATIO_KPIS
)
_SUM_VALUES = ", ".join([*(k.name for k in SUM_KPIS), *PART_MEASURES])


def _scope(date_from, date_to, shop=None, team=None, role=None, shift=None, account=None, *,
           shop_level: bool = False):
    """FROM/WHERE over the effective rows in [date_from, date_to] with the filters given.

    A multi-day record counts when it lies wholly inside the range: it cannot be split.
    Shop-level figures (生意参谋 files with no agent column) are kept apart: summed with
    the agents' own rows they would count every buyer twice. `shop_level` reads only them.
    """
    where = ["f.current", "f.date_from >= ?", "f.date_to <= ?", "NOT coalesce(r.excluded, false)",
             "f.account = ?" if shop_level else "f.account <> ?"]
    params: list = [_as_date(date_from), _as_date(date_to), SHOP_LEVEL_ACCOUNT]
    _filter("f", where, params, shop, team, role, shift, account)
    sql = f"FROM facts f LEFT JOIN roster_dated r ON {_in_force('f', 'f.date_to')}\nWHERE " + " AND ".join(where)
    return sql, params


def _in_force(table: str, day: str) -> str:
    """The join condition of `table`'s rows with the roster state (r) in force on `day`; a
    multi-day record takes the state of its last day."""
    return f"r.shop = {table}.shop AND r.account = {table}.account AND {day} BETWEEN r.valid_from AND r.valid_to"


def _filter(table: str, where: list[str], params: list, shop, team, role, shift, account) -> None:
    """Add the sidebar's filters (a value or a list each; None or empty = all) to a WHERE."""
    for column, value in ((f"{table}.shop", shop), ("r.team", team), ("r.role", role), ("r.shift", shift),
                          (f"{table}.account", account)):
        if value is None:
            continue
        values = [value] if isinstance(value, str) else list(value)
        if not values:
            continue
        where.append(f"{column} IN ({', '.join('?' for _ in values)})")
        params.extend(values)


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _with_group_values(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Add `<kpi>_team` and `<kpi>_vs_team`: pooled ratios; for sums the mean per agent who
    worked (scoring.worked, the rule the scoring engine's group values follow too)."""
    if frame.empty:
        return frame
    grouped = frame.groupby(keys, dropna=False, sort=False) if keys else None
    workers = pd.Series(worked(frame["workdays"]) if "workdays" in frame.columns else True, index=frame.index)
    added = {}
    for k in KPIS:
        if k.name not in frame.columns:
            continue
        if k.kind == "ratio":
            if grouped is None:
                num, den = frame[f"{k.name}_num"].sum(), frame[f"{k.name}_n"].sum()
                team = pd.Series(num / den if den else float("nan"), index=frame.index)
            else:
                num = grouped[f"{k.name}_num"].transform("sum")
                den = grouped[f"{k.name}_n"].transform("sum")
                team = num / den.where(den != 0)
        else:
            values = frame[k.name].where(workers) if k.kind == "sum" else frame[k.name]
            team = (
                pd.Series(values.mean(), index=frame.index)
                if grouped is None
                else values.groupby([frame[key] for key in keys], dropna=False, sort=False).transform("mean")
            )
        added[f"{k.name}_team"] = team
        added[f"{k.name}_vs_team"] = frame[k.name] / team.where(team != 0)
    return pd.concat([frame, pd.DataFrame(added, index=frame.index)], axis=1)


def agent_kpis(
    db: Database,
    date_from,
    date_to,
    *,
    shop=None,
    team=None,
    role=None,
    shift=None,
    account=None,
    group_by: str = "team",
) -> pd.DataFrame:
    """One row per agent account (shop + account) with every KPI of the catalogue.

    Each ratio KPI comes with `_num` and `_n` (the count it rests on); each KPI with the
    comparison group's value `_team` and `_vs_team` (1.0 = at the group's value).
    A base that changed within the period is paid by the day (`base_prorated`): a raise
    from the 16th of a 30-day month pays half a month at each base.
    """
    scope, params = _scope(date_from, date_to, shop, team, role, shift, account)
    sql = f"""
    WITH per_agent AS (
        SELECT f.account AS agent, f.shop, {_AGGREGATES}
        {scope}
        GROUP BY f.shop, f.account
    ),
    qa AS (
        SELECT shop, account, {_MANUAL_MEANS} FROM qa_scores
        WHERE month BETWEEN date_trunc('month', CAST(? AS DATE)) AND CAST(? AS DATE)
        GROUP BY ALL
    ),
    prorated AS (  -- only where the base changed and every state's base is known
        SELECT d.shop, d.account,
               sum(coalesce(d.base_salary, lp.base_salary)
                   * (least(d.valid_to, CAST(? AS DATE)) - greatest(d.valid_from, CAST(? AS DATE)) + 1))
               / (CAST(? AS DATE) - CAST(? AS DATE) + 1) AS base_salary
        FROM roster_dated d LEFT JOIN level_pay lp ON lp.level = d.level
        WHERE d.valid_from <= ? AND d.valid_to >= ?
        GROUP BY d.shop, d.account
        HAVING count(DISTINCT coalesce(d.base_salary, lp.base_salary)) > 1
           AND count(coalesce(d.base_salary, lp.base_salary)) = count(*)
    )
    SELECT p.agent, p.shop, r.team, r.role, r.name, r.shift, r.level,
       coalesce(b.base_salary, r.base_salary, lp.base_salary) AS base_salary,
       b.base_salary IS NOT NULL AS base_prorated, days, provisional_rows, last_date,
       {_RATIO_VALUES},
       {_SUM_VALUES},
       {", ".join(f"qa.{m}" for m in MANUAL_SCORES)}
    FROM per_agent p
    LEFT JOIN roster_dated r ON r.shop = p.shop AND r.account = p.agent AND p.last_date BETWEEN r.valid_from AND r.valid_to
    LEFT JOIN level_pay lp ON lp.level = r.level
    LEFT JOIN prorated b ON b.shop = p.shop AND b.account = p.agent
    LEFT JOIN qa ON qa.shop = p.shop AND qa.account = p.agent
    ORDER BY p.shop, r.team NULLS LAST, p.agent
    """
    period = [_as_date(date_to), _as_date(date_from)]
    frame = db.query(sql, params + [_as_date(date_from), _as_date(date_to)] + period * 3)
    return _with_group_values(frame, GROUP_KEYS[group_by])


def kpi_table(db: Database, date_from, date_to, *, by: str = "agent", shop_level: bool = False,
              **filters) -> pd.DataFrame:
    """KPIs for any range and grouping, as `csperf kpis` prints them; with `shop_level`, of
    the shops' own figures (which have no agent, so no team, role or account either)."""
    if shop_level and (by in ("agent", "person", "team") or set(filters) - {"shop"}):
        raise ValueError("shop-level figures group by shop or period, and filter by shop only")
    if by == "agent":
        return agent_kpis(db, date_from, date_to, **filters)
    if by not in BY_CHOICES:
        raise ValueError(f"--by must be one of {', '.join(BY_CHOICES)}")
    dims = {
        "person": ["coalesce(r.name, f.account) AS person"],
        "team": ["f.shop", "r.team", "r.role"],
        "shop": ["f.shop"],
        "day": ["f.date_from AS day"],
        "week": ["CAST(date_trunc('week', f.date_from) AS DATE) AS week"],
        "month": ["CAST(date_trunc('month', f.date_from) AS DATE) AS month"],
        "total": [],
    }[by]
    scope, params = _scope(date_from, date_to, **filters, shop_level=shop_level)
    if by in _BUCKETS:
        scope += f" AND {_within(by)}"
    names = [d.rsplit(" AS ", 1)[-1].split(".")[-1] for d in dims]
    select_dims = (", ".join(dims) + ",") if dims else ""
    group = "GROUP BY ALL" if dims else ""
    sql = f"""
    WITH g AS (
        SELECT {select_dims} count(DISTINCT (f.shop, f.account)) AS agents, {_AGGREGATES}
        {scope}
        {group}
    )
    SELECT {", ".join(names) + "," if names else ""} agents, days, provisional_rows, last_date,
           {_RATIO_VALUES}, {_SUM_VALUES}
    FROM g {"ORDER BY " + ", ".join(f"{n} NULLS LAST" for n in names) if names else ""}
    """
    frame = db.query(sql, params)
    if by in _QA_DIMS:
        qa = _qa_by(db, by, scope, params, date_from, date_to)
        frame = frame.merge(qa, how="left", on=names) if names else frame.assign(**qa.iloc[0])
    if by == "team" and not frame.empty:
        frame = _with_group_values(frame, ["shop"])
        # a manual score's shop value is the mean of the shop's agents (its --by shop value),
        # not of its teams' means: a team of one would weigh as much as a team of ten
        shop_scores = _qa_by(db, "shop", scope, params, date_from, date_to).set_index("shop")
        for m in MANUAL_SCORES:
            if f"{m}_team" in frame.columns:
                team = frame["shop"].map(shop_scores[m]).astype(float)
                frame[f"{m}_team"], frame[f"{m}_vs_team"] = team, frame[m] / team.where(team != 0)
    return frame


_MANUAL_MEANS = ", ".join(f"avg({m}) AS {m}" for m in MANUAL_SCORES)
# QA and the other manual scores are monthly, so they group by anything but a day or a week
_QA_DIMS = {
    "person": ["coalesce(r.name, q.account) AS person"],
    "team": ["q.shop", "r.team", "r.role"],
    "shop": ["q.shop"],
    "month": ["q.month AS month"],
    "total": [],
}


def _qa_by(db: Database, by: str, scope: str, params: list, date_from, date_to) -> pd.DataFrame:
    """The manual scores (QA …) of each group: the mean of its agents' scores, each agent's
    being the mean over the months in scope (as `agent_kpis` gives it), so an agent scored
    in more months weighs no more, and a group's value is the one its agents are compared
    with. Only the accounts with figures in scope count; an agent counts in the team (or
    under the name) in force at the end of their last scored month in the period."""
    dims = _QA_DIMS[by]
    per_agent = "q.shop, q.account" + (", q.month" if by == "month" else "")
    return db.query(
        f"""SELECT {"".join(d + ", " for d in dims)} {_MANUAL_MEANS}
            FROM (
                SELECT {per_agent}, {_MANUAL_MEANS}, max(q.month) AS last_month
                FROM qa_scores q
                SEMI JOIN (SELECT DISTINCT f.shop, f.account {scope}) a ON a.shop = q.shop AND a.account = q.account
                WHERE q.month BETWEEN date_trunc('month', CAST(? AS DATE)) AND CAST(? AS DATE)
                GROUP BY {per_agent}
            ) q
            LEFT JOIN roster_dated r ON {_in_force("q", "least(last_day(q.last_month), CAST(? AS DATE))")}
            {"GROUP BY ALL" if dims else ""}""",
        [*params, _as_date(date_from), _as_date(date_to), _as_date(date_to)],
    )


_BUCKETS = ("day", "week", "month")


def _within(grain: str) -> str:
    """A record counts in a day, week or month only when it lies inside one: a monthly
    file's figures are no figures of its first day (nor of its first week)."""
    if grain == "day":
        return "f.date_from = f.date_to"
    return f"date_trunc('{grain}', f.date_from) = date_trunc('{grain}', f.date_to)"


def spanning_left_out(db: Database, date_from, date_to, by: str, *, shop_level: bool = False,
                      **filters) -> list[tuple[str, date, date]]:
    """The multi-day records (a weekly or monthly export) that overlap the period but that
    a table of it leaves out, as (shop, first day, last day): a record counts only wholly
    inside the period and, by day, week or month, inside one of those (`_scope`, `_within`)."""
    start, end = _as_date(date_from), _as_date(date_to)
    scope, params = _scope(date.min, date.max, **filters, shop_level=shop_level)
    inside = "f.date_from >= ? AND f.date_to <= ?" + (f" AND {_within(by)}" if by in ("day", "week", "month") else "")
    return db.rows(
        f"SELECT DISTINCT f.shop, f.date_from, f.date_to {scope} AND f.date_from < f.date_to "
        f"AND f.date_from <= ? AND f.date_to >= ? AND NOT ({inside}) ORDER BY f.shop, f.date_from, f.date_to",
        [*params, end, start, start, end])


def trend(
    db: Database,
    metric: str,
    date_from,
    date_to,
    *,
    grain: str = "day",
    split: str | None = None,
    as_group: bool = False,
    shop_level: bool = False,
    **filters,
) -> pd.DataFrame:
    """One KPI over time: columns `period`, the split column (team/agent/shop), `value`, `n`.

    `as_group` reads the rows as an agent's comparison group (spec/metrics.md): a sum KPI
    is then the mean per agent who worked in each period (`n` of them), not the total, so
    an agent's line is drawn against what the scores compare it with. `shop_level` reads
    the shops' own figures (店铺整体) instead of the agents'."""
    k = kpi(metric)
    bucket = {
        "day": "f.date_from",
        "week": "CAST(date_trunc('week', f.date_from) AS DATE)",
        "month": "CAST(date_trunc('month', f.date_from) AS DATE)",
    }[grain]
    split_sql = _split_column(split, "f")
    scope, params = _scope(date_from, date_to, **filters, shop_level=shop_level)
    scope += f" AND {_within(grain)}"
    if k.kind == "ratio":
        both = f"f.{k.num} IS NOT NULL AND f.{k.den} IS NOT NULL"
        value = (
            f"sum(f.{k.num}) FILTER (WHERE {both}) / nullif(sum(f.{k.den}) FILTER (WHERE {both}), 0)"
        )
        n = f"sum(f.{k.den}) FILTER (WHERE {both})"
    elif k.kind == "sum":
        value, n = f"sum(f.{k.name})", "count(DISTINCT (f.shop, f.account))"
    else:
        return _manual_trend(db, k.name, date_from, date_to, split, scope, params)
    cols = f"{bucket} AS period" + (f", {split_sql} AS {split}" if split else "")
    if as_group and k.kind == "sum":
        return _mean_per_worker(db, k.name, cols, split, scope, params)
    sql = f"""SELECT {cols}, {value} AS value, {n} AS n {scope}
              GROUP BY ALL ORDER BY period{", " + split if split else ""}"""
    return db.query(sql, params)


def _split_column(split: str | None, table: str) -> str | None:
    """A trend's split (team, agent or shop) as a column of `table` (joined with the roster as r)."""
    return {None: None, "team": f"{table}.shop || ' · ' || coalesce(r.team, '未分组')", "agent": f"{table}.account",
            "shop": f"{table}.shop"}[split]


def _mean_per_worker(db: Database, metric: str, cols: str, split: str | None, scope: str, params: list) -> pd.DataFrame:
    """A sum KPI per period as the mean over the agents who worked in it (scoring.worked:
    Σworkdays > 0, or unknown workdays), the group value agent_kpis gives the same rows."""
    keys = "period" + (f", {split}" if split else "")
    worker = "NOT coalesce(workdays <= 0, false)"
    return db.query(
        f"""WITH per_agent AS (SELECT {cols}, f.shop, f.account, sum(f.{metric}) AS value,
                                      sum(f.workdays) AS workdays {scope} GROUP BY ALL)
            SELECT {keys}, avg(value) FILTER (WHERE {worker}) AS value, count(*) FILTER (WHERE {worker}) AS n
            FROM per_agent GROUP BY ALL ORDER BY {keys}""",
        params,
    )


def _manual_trend(db, metric: str, date_from, date_to, split: str | None, scope: str, params: list) -> pd.DataFrame:
    """A manual score (QA …) by month: the mean of the scores of the accounts with figures
    in scope (as _qa_by counts them), so the sidebar's filters hold as for every KPI."""
    cols = "q.month AS period" + (f", {_split_column(split, 'q')} AS {split}" if split else "")
    return db.query(
        f"""SELECT {cols}, avg(q.{metric}) AS value, count(*) AS n
            FROM qa_scores q
            SEMI JOIN (SELECT DISTINCT f.shop, f.account {scope}) a ON a.shop = q.shop AND a.account = q.account
            LEFT JOIN roster_dated r ON {_in_force("q", "least(last_day(q.month), CAST(? AS DATE))")}
            WHERE q.month BETWEEN date_trunc('month', CAST(? AS DATE)) AND CAST(? AS DATE) AND q.{metric} IS NOT NULL
            GROUP BY ALL ORDER BY period{", " + split if split else ""}""",
        [*params, _as_date(date_to), _as_date(date_from), _as_date(date_to)],
    )


def team_totals(db: Database, date_from, date_to, **filters) -> pd.Series:
    """The whole scope's pooled KPIs as one row (the overview tiles)."""
    frame = kpi_table(db, date_from, date_to, by="total", **filters)
    return frame.iloc[0] if not frame.empty else pd.Series(dtype=object)


def data_range(db: Database) -> tuple[date | None, date | None]:
    """First and last business date held (effective rows only)."""
    first, last = db.rows("SELECT min(date_from), max(date_to) FROM facts WHERE current")[0]
    return first, last


def first_dates(db: Database, *, shop_level: bool = False, **filters) -> pd.Series:
    """Each shop's first business date with figures in the filters' scope (indexed by shop):
    a comparison with a period before a shop's figures begin compares with none of its, and
    with one across it, with part of a period (a shop added this month grows no total)."""
    scope, params = _scope(date.min, date.max, **filters, shop_level=shop_level)
    rows = db.rows(f"SELECT f.shop, min(f.date_from) {scope} GROUP BY f.shop ORDER BY f.shop", params)
    return pd.Series({shop: first for shop, first in rows}, dtype=object)


LAG_DAYS = 31  # a shop's figures ending longer before the latest are an old dataset, not late files


def data_as_of(db: Database) -> dict:
    """The latest business date and the latest import time, for 'data as of' lines, and the
    shops whose figures end earlier, by less than LAG_DAYS (`lagging`: shop, last date),
    whose latest days look empty only because their files have not come yet."""
    last_date = db.scalar("SELECT max(date_to) FROM facts WHERE current")
    last_import = db.scalar("SELECT max(imported_at) FROM imports WHERE undone_at IS NULL")
    provisional = db.scalar("SELECT count(*) FROM facts WHERE current AND provisional")
    lagging = db.rows("SELECT shop, max(date_to) AS last FROM facts WHERE current GROUP BY shop "
                      "HAVING max(date_to) < ? AND max(date_to) >= ? ORDER BY last, shop",
                      [last_date, last_date - timedelta(days=LAG_DAYS)]) if last_date else []
    return {"last_date": last_date, "last_import": last_import, "provisional_rows": int(provisional or 0),
            "lagging": [(shop, last) for shop, last in lagging]}


def provisional_days(db: Database, date_from, date_to, **filters) -> pd.DataFrame:
    """Days whose figures the platforms have not settled yet, per shop."""
    scope, params = _scope(date_from, date_to, **filters)
    return db.query(
        f"SELECT f.shop, f.date_from AS day, count(*) AS rows {scope} AND f.provisional "
        "GROUP BY ALL ORDER BY day, f.shop",
        params,
    )


def filter_options(db: Database) -> dict:
    """The shops, teams, roles and shifts present (now or before a recorded change), for the
    sidebar filters, and each shop's teams (`teams_of`: a team list that follows the shops picked)."""
    shops = db.query("SELECT DISTINCT shop FROM facts WHERE current ORDER BY 1")["shop"].tolist()
    roster = db.query(
        "SELECT DISTINCT shop, team, role, shift FROM roster_dated WHERE NOT coalesce(excluded, false)"
    )

    def values(col):
        return sorted(v for v in roster[col].dropna().unique())

    teams = roster.dropna(subset=["team"])
    teams_of = {shop: sorted(set(group["team"])) for shop, group in teams.groupby("shop")}
    return {"shop": shops, "team": values("team"), "role": values("role"), "shift": values("shift"),
            "teams_of": teams_of}


def view_scope(db: Database, shop=None, team=None, role=None, shift=None, account=None) -> tuple[str, str, str] | None:
    """The one target scope (shop, team, account; '' for all) the filters pick: all shops,
    one shop, one team of a shop (a team named without its shop, when one shop has it), or
    one agent account of a shop. None for a role, a shift, or several shops, teams or
    accounts: no target is set for those."""
    shops, teams, accounts = ([v] if isinstance(v, str) else list(v or []) for v in (shop, team, account))
    if role or shift or len(shops) > 1 or len(teams) > 1 or len(accounts) > 1 or (teams and accounts):
        return None
    chosen_shop, chosen_team, chosen_account = (shops or [""])[0], (teams or [""])[0], (accounts or [""])[0]
    if chosen_account and not chosen_shop:
        return None
    if chosen_team and not chosen_shop:
        owners = db.rows("SELECT DISTINCT shop FROM roster_dated WHERE team = ?", [chosen_team])
        if len(owners) != 1:
            return None
        chosen_shop = owners[0][0]
    return chosen_shop, chosen_team, chosen_account


def targets(db: Database, date_from, date_to, **filters) -> pd.DataFrame:
    """The monthly targets (metric, month, value) of the scope the filters pick (view_scope),
    for the months the period touches; empty when they pick none."""
    scope = view_scope(db, **filters)
    if scope is None:
        return pd.DataFrame({"metric": pd.Series(dtype=object), "month": pd.Series(dtype="datetime64[s]"),
                             "value": pd.Series(dtype=float)})
    return db.query(
        "SELECT metric, month, value FROM kpi_targets WHERE shop = ? AND team = ? AND account = ? "
        "AND month BETWEEN ? AND ? ORDER BY metric, month",
        [*scope, _as_date(date_from).replace(day=1), _as_date(date_to)],
    )


def agent_targets(db: Database, date_from, date_to) -> pd.DataFrame:
    """Every agent account's own targets (shop, account, metric, month, value) for the
    months the period touches: the leaderboard's 达成率 columns."""
    return db.query(
        "SELECT shop, account, metric, month, value FROM kpi_targets WHERE account <> '' "
        "AND month BETWEEN ? AND ? ORDER BY shop, account, metric, month",
        [_as_date(date_from).replace(day=1), _as_date(date_to)],
    )


def scope_targets(db: Database, date_from, date_to) -> pd.DataFrame:
    """Every shop's and team's own targets (shop, team: '' for the whole shop; metric, month,
    value) for the months the period touches: held against `scope_kpis`."""
    return db.query(
        "SELECT shop, team, metric, month, value FROM kpi_targets WHERE shop <> '' AND account = '' "
        "AND month BETWEEN ? AND ? ORDER BY shop, team, metric, month",
        [_as_date(date_from).replace(day=1), _as_date(date_to)],
    )


def scope_kpis(db: Database, date_from, date_to, shop=None) -> pd.DataFrame:
    """The pooled KPIs of each shop (team '') and of each team of a shop, whatever roles and
    shifts its agents have: what a shop's or a team's own monthly target is held against."""
    scope, params = _scope(date_from, date_to, shop=shop)
    return db.query(
        f"""WITH g AS (
            SELECT f.shop, CASE WHEN grouping(r.team) = 1 THEN '' ELSE r.team END AS team,
                   count(DISTINCT (f.shop, f.account)) AS agents, {_AGGREGATES}
            {scope}
            GROUP BY GROUPING SETS ((f.shop), (f.shop, r.team))
            HAVING grouping(r.team) = 1 OR r.team <> ''
        )
        SELECT shop, team, agents, {_RATIO_VALUES}, {_SUM_VALUES} FROM g ORDER BY shop, team""",
        params,
    )


def target_scopes(db: Database) -> list[tuple[str, str, str]]:
    """Where a target may be set, as (shop, team, account): all shops, each shop, each team
    of a shop, each agent account (not the excluded ones, nor a shop's own figures)."""
    shops = db.rows("SELECT shop FROM facts WHERE current UNION SELECT shop FROM roster ORDER BY 1")
    teams = db.rows("SELECT DISTINCT shop, team FROM roster_dated WHERE team IS NOT NULL AND team <> '' "
                    "AND NOT coalesce(excluded, false) ORDER BY 1, 2")
    found = agents(db)
    people = found[~found["excluded"]]
    scopes = ([(shop, "", "") for (shop,) in shops] + [(shop, team, "") for shop, team in teams]
              + [(shop, "", agent) for shop, agent in zip(people["shop"], people["agent"])])
    return [("", "", ""), *sorted(scopes, key=lambda s: (s[0], bool(s[2]), s[1], s[2]))]  # a shop, its teams, its agents


def agents(db: Database) -> pd.DataFrame:
    """Every agent account with data or in the roster: shop, agent, name, team, role (not
    the account of a shop's own figures, which is nobody's)."""
    return db.query(
        """SELECT shop, account AS agent, r.name, r.team, r.role, r.level, r.shift,
                  coalesce(r.excluded, false) AS excluded
           FROM (SELECT DISTINCT shop, account FROM facts WHERE current AND account <> ?
                 UNION SELECT shop, account FROM roster) a
           LEFT JOIN roster r USING (shop, account)
           ORDER BY shop, account""",
        [SHOP_LEVEL_ACCOUNT],
    )


def unmatched_accounts(db: Database) -> pd.DataFrame:
    """Accounts in the effective figures that nobody in the roster owns, busiest first."""
    return db.query(
        """SELECT f.shop, f.account, min(f.date_from) AS first_date, max(f.date_to) AS last_date,
                  coalesce(sum(f.receptions), 0) AS receptions
           FROM facts f ANTI JOIN roster r ON f.shop = r.shop AND f.account = r.account
           WHERE f.current AND f.account <> ?
           GROUP BY f.shop, f.account
           ORDER BY receptions DESC, f.shop, f.account""",
        [SHOP_LEVEL_ACCOUNT],
    )


def imports(db: Database, limit: int | None = None) -> pd.DataFrame:
    """Import history, newest first (file, sha256, format, rows, period, time, what the import
    said, undo state)."""
    return db.query(
        "SELECT import_id, file_name, format, shop, rows, sessions, period_from, period_to, "
        "imported_at, imported_by, sha256, unknown_columns, skipped, notes, undone_at "
        "FROM imports ORDER BY import_id DESC" + (f" LIMIT {int(limit)}" if limit else "")
    )


# -- session logs ----------------------------------------------------------------------

DURATION_BUCKETS = [(0, 60, "<1分"), (60, 180, "1–3分"), (180, 300, "3–5分"), (300, 600, "5–10分"),
                    (600, None, "≥10分")]
WAIT_BUCKETS = [(0, 10, "<10秒"), (10, 30, "10–30秒"), (30, 60, "30–60秒"), (60, 120, "1–2分"),
                (120, 180, "2–3分"), (180, None, "≥3分")]


def _bucket_case(column: str, buckets) -> str:
    whens = " ".join(
        f"WHEN {column} < {hi} THEN {i}" if hi is not None else f"ELSE {i}"
        for i, (_lo, hi, _label) in enumerate(buckets)
    )
    return f"CASE {whens} END"


def _session_scope(date_from, date_to, shop=None, team=None, role=None, shift=None, account=None):
    where = ["s.day BETWEEN ? AND ?", "NOT coalesce(r.excluded, false)"]
    params: list = [_as_date(date_from), _as_date(date_to)]
    _filter("s", where, params, shop, team, role, shift, account)
    return (f"FROM sessions s LEFT JOIN roster_dated r ON {_in_force('s', 's.day')} WHERE "
            + " AND ".join(where)), params


def has_sessions(db: Database) -> bool:
    return bool(db.scalar("SELECT count(*) > 0 FROM sessions"))


def sessions_by_duration(db: Database, date_from, date_to, **filters) -> pd.DataFrame:
    """Conversion (or resolution, when the log has no conversion) by conversation length."""
    return _sessions_by(db, _bucket_case("s.duration_s", DURATION_BUCKETS), DURATION_BUCKETS,
                        "s.duration_s IS NOT NULL", date_from, date_to, filters)


def sessions_by_hour(db: Database, date_from, date_to, **filters) -> pd.DataFrame:
    scope, params = _session_scope(date_from, date_to, **filters)
    return db.query(
        f"""SELECT hour(s.started_at) AS hour, count(*) AS sessions,
                   sum(CAST(s.answered AS INTEGER)) AS answered, count(s.answered) AS answer_known,
                   avg(CAST(s.answered AS DOUBLE)) AS answer_rate,
                   sum(CAST(s.converted AS INTEGER)) / nullif(count(s.converted), 0) AS conversion_rate,
                   sum(CAST(s.resolved AS INTEGER)) / nullif(count(s.resolved), 0) AS resolution_rate
            {scope} AND s.started_at IS NOT NULL GROUP BY ALL ORDER BY hour""",
        params,
    )


def wait_distribution(db: Database, date_from, date_to, **filters) -> pd.DataFrame:
    """How long buyers waited for the first answer, bucketed."""
    return _sessions_by(db, _bucket_case("s.wait_s", WAIT_BUCKETS), WAIT_BUCKETS,
                        "s.wait_s IS NOT NULL", date_from, date_to, filters)


def _sessions_by(db, case_sql, buckets, condition, date_from, date_to, filters: dict) -> pd.DataFrame:
    scope, params = _session_scope(date_from, date_to, **filters)
    frame = db.query(
        f"""SELECT {case_sql} AS bucket, count(*) AS sessions,
                   sum(CAST(s.converted AS INTEGER)) / nullif(count(s.converted), 0) AS conversion_rate,
                   sum(CAST(s.resolved AS INTEGER)) / nullif(count(s.resolved), 0) AS resolution_rate
            {scope} AND {condition} GROUP BY ALL ORDER BY bucket""",
        params,
    )
    frame.insert(0, "label", frame["bucket"].map(lambda i: buckets[int(i)][2]))
    return frame.drop(columns="bucket")


def loss_reasons(db: Database, date_from, date_to, **filters) -> pd.DataFrame:
    """Pareto of why sessions did not convert (or of topics when the log gives no reason)."""
    scope, params = _session_scope(date_from, date_to, **filters)
    has_reason = db.scalar(f"SELECT count(s.loss_reason) > 0 {scope}", params)
    column = "s.loss_reason" if has_reason else "s.topic"
    extra = "" if has_reason else " AND NOT coalesce(s.resolved, false)"
    frame = db.query(
        f"""SELECT {column} AS reason, count(*) AS sessions {scope} AND {column} IS NOT NULL {extra}
            GROUP BY ALL ORDER BY sessions DESC, reason""",
        params,
    )
    total = frame["sessions"].sum()
    frame["cumulative_share"] = frame["sessions"].cumsum() / total if total else 0.0
    frame.attrs["source"] = "loss_reason" if has_reason else "topic_unresolved"
    return frame


# -- calendars ----------------------------------------------------------------------------

PROMOTIONS = {(6, 18): "618", (11, 11): "双11", (12, 12): "双12", (3, 8): "38节"}


def promotion_days(date_from, date_to) -> list[tuple[date, str]]:
    """The e-commerce promotion days inside a range, for marking trend charts."""
    start, end = _as_date(date_from), _as_date(date_to)
    found = []
    for year in range(start.year, end.year + 1):
        for (month, day), name in PROMOTIONS.items():
            d = date(year, month, day)
            if start <= d <= end:
                found.append((d, name))
    return sorted(found)


def previous_period(date_from, date_to) -> tuple[date, date]:
    """The period to compare with: a whole month before a whole month, the same days of the
    month before for a month so far (11-01~11-23 against 10-01~10-23), else the period of
    the same length just before."""
    start, end = _as_date(date_from), _as_date(date_to)
    month_end = (end.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    if start.day == 1 and (start.year, start.month) == (end.year, end.month):
        last_month_end = start - timedelta(days=1)
        same_day = last_month_end if end == month_end else last_month_end.replace(day=min(end.day, last_month_end.day))
        return last_month_end.replace(day=1), same_day
    length = end - start
    return start - length - timedelta(days=1), start - timedelta(days=1)


def same_period_last_year(date_from, date_to) -> tuple[date, date]:
    """The same dates a year before (同比): October against last October, 11-01~11-11 against
    last year's 11-01~11-11, so a 双11 is held against a 双11. 02-29 falls back to 02-28, and
    a period ending on a month's last day ends on that month's last day a year before."""
    start, end = _as_date(date_from), _as_date(date_to)

    def year_back(day: date) -> date:
        return day.replace(year=day.year - 1, day=min(day.day, 28) if day.month == 2 else day.day)

    def month_end(day: date) -> date:
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)

    back = year_back(end)
    return year_back(start), month_end(back) if end == month_end(end) else back


COMPARISONS = ("previous", "last_year")  # what a period is compared with: the sidebar's 对比


def compared_period(date_from, date_to, against: str = "previous") -> tuple[date, date]:
    """The period `against` names (COMPARISONS): previous_period or same_period_last_year."""
    return (same_period_last_year if against == "last_year" else previous_period)(date_from, date_to)


def review_weeks(first, last, limit: int = 26) -> list[tuple[date, date]]:
    """The calendar weeks (Monday to Sunday) a weekly review can look back on, newest first:
    the running week ends at the last day with data, so it is never drawn as a whole one."""
    start, end = _as_date(first), _as_date(last)
    monday, sunday = assessment_period("week", end)
    weeks = []
    while sunday >= start and len(weeks) < limit:
        weeks.append((monday, min(sunday, end)))
        monday, sunday = monday - timedelta(days=7), sunday - timedelta(days=7)
    return weeks


def review_week(weeks: list[tuple[date, date]]) -> tuple[date, date]:
    """The week a review opens on: the latest one that has ended (on a Sunday), else the running one."""
    return next((week for week in weeks if week[1].weekday() == 6), weeks[0])


def review_week_kept(chosen: tuple[date, date] | None, weeks: list[tuple[date, date]]) -> tuple[date, date]:
    """The week to show after new figures came in: the one chosen (the running week, a day
    longer now: the same Monday), else the one a review opens on."""
    if chosen in weeks:
        return chosen
    return next((week for week in weeks if chosen and week[0] == chosen[0]), review_week(weeks))


def week_before(week: tuple[date, date]) -> tuple[date, date]:
    """The same weekdays a week earlier: a running week Monday to Wednesday against last
    Monday to Wednesday."""
    return week[0] - timedelta(days=7), week[1] - timedelta(days=7)


def review_month(week: tuple[date, date]) -> tuple[date, date]:
    """The month whose targets a weekly review reports on: the one holding most of the
    week's days (the later on a tie), from its 1st to the week's last day in it, so that
    the review of a week ending on the 1st still closes the month before."""
    days = [week[0] + timedelta(days=n) for n in range((week[1] - week[0]).days + 1)]
    held = Counter(day.replace(day=1) for day in days)
    month = max(held, key=lambda m: (held[m], m))
    return month, max(day for day in days if day.replace(day=1) == month)
