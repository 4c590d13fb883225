"""The scoring engine of spec/scoring.md: KPI rows in, scores, ranks and pay out.

Pure and vectorised on purpose: the what-if panel rescores every agent of a shop on
each slider move, and it must be able to change the comparison group without the
database, so the group values are computed here from the agents' own Σnum and Σden
(pooled ratios, never means of rates). Every step works on whole numpy columns with
integer group codes; nothing loops over agents. Money is never rounded here — only
where it is shown or exported — so every threshold and every tie is decided up to float
noise instead (`_close`): 98/100 scored between 0.9 and 1.0 is 79.99999999999999, and a
DOUBLE sum of 198358.18 + 267.99 + 1373.83 is 199999.99999999997.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from csperf.metrics import KPI_BY_NAME
from csperf.scheme import Scheme, validate_scheme

IDENTITY = ("shop", "agent", "name", "team", "role", "shift", "level")
# The pay slip's CNY columns, for whoever shows or exports them rounded to the cent.
MONEY_COLUMNS = ("performance_pay", "commission", "bonus", "rank_award", "team_share", "penalty", "base", "pay")
GROUP_KEYS = {
    "team": ("shop", "team", "role"),
    "shift": ("shop", "shift", "role"),
    "shop": ("shop", "role"),
    "all": (),
}
WILSON_Z = 1.959963984540054  # two-sided 95 %
# Float noise of the sums and ratios scored here stays near 1e-15 relative; a cent of a
# team's 1e9 CNY is 1e-11. Values closer than this to a threshold, or to each other, are equal.
RELATIVE_TOLERANCE = 1e-12


class KpiTableError(ValueError):
    """The KPI table handed to the engine lacks a column the scheme needs."""


@dataclass
class WhatIf:
    """A changed scheme against the baseline, on the same agents and period."""

    agents: pd.DataFrame  # one row per agent: old/new score, rank, pay and the moves
    payroll_old: float
    payroll_new: float
    payroll_change: float


# The parts of pay (scoring.md's Pay line) and the coefficient that scales one of them.
PAY_PARTS = ("coefficient", "performance_pay", "commission", "bonus", "rank_award", "team_share", "penalty", "base")


def score(kpis: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Score, rank and pay the agent rows of `kpis` that `scheme` covers (see `covers`).

    Rows are listed by comparison group, then rank, then receptions descending.
    """
    scheme = validate_scheme(scheme)
    table = _Table(kpis[covers(scheme, kpis)])
    return _frame(table, scheme, _evaluate(table, scheme))


def what_if(kpis: pd.DataFrame, baseline: Scheme, changed: Scheme) -> WhatIf:
    """Per agent both schemes cover: old and new score, rank and pay; rank_move > 0 means moved up."""
    baseline, changed = validate_scheme(baseline), validate_scheme(changed)
    table = _Table(kpis[covers(baseline, kpis) & covers(changed, kpis)])
    old = _evaluate(table, baseline)
    new = _evaluate(table, changed)
    order = new["order"]
    columns = {key: table.text(key)[order] for key in IDENTITY if table.has(key)}
    columns.update({
        "old_score": old["score"][order],
        "new_score": new["score"][order],
        "score_change": (new["score"] - old["score"])[order],
        "old_rank": old["rank"][order],
        "new_rank": new["rank"][order],
        "rank_move": (old["rank"] - new["rank"])[order],
        "old_pay": old["pay"][order],
        "new_pay": new["pay"][order],
        "pay_change": (new["pay"] - old["pay"])[order],
    })
    for part in PAY_PARTS:  # what the pay change is made of, for the page to say why
        columns[f"old_{part}"], columns[f"new_{part}"] = old[part][order], new[part][order]
    payroll_old = float(old["pay"].sum())
    payroll_new = float(new["pay"].sum())
    return WhatIf(pd.DataFrame(columns), payroll_old, payroll_new, payroll_new - payroll_old)


def covers(scheme: Scheme, kpis: pd.DataFrame) -> np.ndarray:
    """Which rows of `kpis` the scheme scores: everyone for role "all", else the agents of
    its role and those without a role.

    An agent whose roster role is another one is never scored (nor paid) by the scheme.
    An agent without a role (not in the roster yet, or its role left blank) is scored by
    whichever scheme the caller chose for it: nothing says it belongs elsewhere, and the
    assigned schemes never reach it unless assigned to "all" (schemes.scheme_for).
    """
    if scheme.role == "all" or "role" not in kpis.columns:
        return np.ones(len(kpis), dtype=bool)
    return (kpis["role"].isna() | (kpis["role"] == scheme.role)).to_numpy(dtype=bool)


def worked(workdays) -> np.ndarray:
    """Whether each agent worked in the period: Σworkdays > 0, or unknown (NULL) workdays.

    An agent row exists only for an account with figures in the period, so unknown
    workdays fall back to "has rows in the period". This is the "agent who worked" of a
    count KPI's group value (spec/metrics.md), in scoring and in queries alike.
    """
    return ~(np.asarray(workdays, dtype=float) <= 0)


def wilson_interval(successes: np.ndarray, trials: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """95 % Wilson score interval of a proportion; NaN where there are no trials."""
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        z2 = WILSON_Z**2
        centre = (p + z2 / (2 * n)) / (1 + z2 / n)
        half = WILSON_Z * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    empty = ~(n > 0)
    lo = np.where(empty, np.nan, np.clip(centre - half, 0, 1))
    hi = np.where(empty, np.nan, np.clip(centre + half, 0, 1))
    return lo, hi


# -- the computation ---------------------------------------------------------------------


class _Table:
    """The KPI rows as numpy columns, each converted once (what_if reads them twice)."""

    def __init__(self, kpis: pd.DataFrame):
        self.frame = kpis
        self.rows = len(kpis)
        self._numbers: dict[str, np.ndarray] = {}
        self._texts: dict[str, np.ndarray] = {}

    def has(self, name: str) -> bool:
        return name in self.frame.columns

    def num(self, name: str) -> np.ndarray:
        """A numeric column (NaN for blanks; a missing optional column is all NaN)."""
        if name not in self._numbers:
            if not self.has(name):
                self._numbers[name] = np.full(self.rows, np.nan)
            else:
                column = self.frame[name]
                if not pd.api.types.is_numeric_dtype(column):
                    column = pd.to_numeric(column, errors="coerce")
                self._numbers[name] = column.to_numpy(dtype=float, na_value=np.nan)
        return self._numbers[name]

    def text(self, name: str) -> np.ndarray:
        """An identity column as objects, None for blanks (a missing column is all None)."""
        if name not in self._texts:
            if self.has(name):
                self._texts[name] = self.frame[name].astype(object).to_numpy(dtype=object, na_value=None)
            else:
                self._texts[name] = np.full(self.rows, None, dtype=object)
        return self._texts[name]


def _evaluate(table: _Table, scheme: Scheme) -> dict[str, np.ndarray]:
    """All figures as arrays in input row order, plus `order` (the listing order)."""
    _check_columns(table, scheme)
    n = table.rows
    group, n_groups = _group_codes(n, _group_key_values(table, scheme))
    out: dict[str, np.ndarray] = {"group": group}

    weights = np.array([rule.weight for rule in scheme.kpis], dtype=float)
    scores = np.empty((n, len(scheme.kpis)))
    used = np.empty((n, len(scheme.kpis)), dtype=bool)
    small_sample = np.zeros(n, dtype=bool)
    skipped = np.full(n, "", dtype=object)
    for j, rule in enumerate(scheme.kpis):
        info = KPI_BY_NAME[rule.metric]
        value = table.num(rule.metric)
        group_value = _group_value(table, rule.metric, group, n_groups, pooled_sum=False)[group]
        kpi_score = _rule_score(rule, info.lower_is_better, value, group_value)
        skip = np.isnan(kpi_score)
        if info.kind == "ratio":
            sample = table.num(f"{rule.metric}_n")
            out[f"{rule.metric}_n"] = sample
            if rule.min_n is not None:
                too_small = ~(sample >= rule.min_n)
                small_sample |= too_small & ~np.isnan(value)
                skip |= too_small
        out[rule.metric] = value
        out[f"{rule.metric}_group"] = group_value
        out[f"{rule.metric}_score"] = np.where(skip, np.nan, kpi_score)
        scores[:, j] = np.where(skip, 0.0, kpi_score)
        used[:, j] = ~skip
        skipped = skipped + np.where(skip, f"{rule.metric},", "")

    used_weight = used @ weights
    with np.errstate(divide="ignore", invalid="ignore"):
        total = np.where(used_weight > 0, (scores * used) @ weights / used_weight, np.nan)
    out["score"] = total
    out["unscored"] = np.isnan(total)
    out["small_sample"] = small_sample
    out["skipped"] = np.char.rstrip(skipped.astype(str), ",").astype(object)

    out["order"], out["rank"] = _rank(group, total, np.nan_to_num(table.num("receptions")), table.text("agent"))

    pay = scheme.pay
    bonus_total = np.zeros(n)
    for bonus in scheme.bonuses:
        amount = _tier_amount(table.num(bonus.metric), bonus.tiers, KPI_BY_NAME[bonus.metric].lower_is_better)
        out[f"bonus_{bonus.metric}"] = amount
        bonus_total += amount
    penalty_total = np.zeros(n)
    for penalty in scheme.penalties:
        amount = penalty.per_unit * np.nan_to_num(table.num(penalty.metric))
        out[f"penalty_{penalty.metric}"] = amount
        penalty_total += amount
    out["bonus"], out["penalty"] = bonus_total, penalty_total

    if pay.coefficients:
        coefficient = _tier_amount(total, pay.coefficients, lower_is_better=False)
    else:
        coefficient = np.ones(n)
    out["coefficient"] = coefficient
    out["performance_pay"] = pay.performance_pay * coefficient

    if pay.commission:
        sales = np.nan_to_num(table.num("sales"))
        commission = sales * _tier_amount(sales, pay.commission, lower_is_better=False)
        if pay.commission_times_coefficient:
            commission = commission * coefficient
    else:
        commission = np.zeros(n)
    out["commission"] = commission

    awards = np.append(np.asarray(pay.rank_awards, dtype=float), 0.0)  # past the last place: 0
    award_place = np.minimum(out["rank"], len(awards)) - 1
    out["rank_award"] = np.where(np.isnan(total), 0.0, awards[award_place.astype(np.intp)])

    out["team_share"] = _team_share(table, scheme, group, n_groups, total, out)

    base, base_source = _base(table, scheme)
    out["base"], out["base_source"] = base, base_source
    gross = (base + out["performance_pay"] + commission + bonus_total + out["rank_award"]
             + out["team_share"] - penalty_total)
    out["pay"] = np.maximum(gross, base) if pay.floor_at_base else gross
    return out


def _rule_score(rule, lower_is_better: bool, value: np.ndarray, group_value: np.ndarray) -> np.ndarray:
    """Score 0–100×cap of one KPI rule for every agent; NaN where it cannot be scored.

    `+ 0.0` turns the -0.0 that clipping can leave into 0.0, which would otherwise show as "-0.0".
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        if rule.method in ("vs_team", "target"):
            reference = group_value if rule.method == "vs_team" else np.float64(rule.target)
            ratio = np.where(value == reference, 1.0, value / reference)
            completion = 2 - ratio if lower_is_better else ratio
            return 100 * np.clip(completion, 0, rule.effective_cap) + 0.0
        if rule.method == "linear":
            return 100 * np.clip((value - rule.worst) / (rule.best - rule.worst), 0, 1) + 0.0
    points = _tier_amount(value, rule.bands, lower_is_better)
    return np.where(np.isnan(value), np.nan, points)


def _tier_amount(value: np.ndarray, tiers: list[tuple[float, float]], lower_is_better: bool) -> np.ndarray:
    """Amount of the best tier reached (`tier_index`); 0 when none or NaN."""
    amounts = np.array([a for _, a in tiers], dtype=float)
    index = tier_index(value, tiers, lower_is_better)
    return np.where(index >= 0, amounts[np.maximum(index, 0)], 0.0)


def tier_index(value: np.ndarray, tiers: list[tuple[float, float]], lower_is_better: bool) -> np.ndarray:
    """Index into `tiers` (ascending thresholds) of the best tier reached: the highest threshold
    ≤ v, or the lowest ≥ v; -1 when none or NaN. Public so that a pay slip names the tier paid.

    A value equal to a threshold up to float noise reaches it.
    """
    thresholds = np.array([t for t, _ in tiers], dtype=float)
    missing = np.isnan(value)
    probe = _snapped(np.where(missing, 0.0, value), thresholds)
    if lower_is_better:
        index = np.searchsorted(thresholds, probe, side="left")
        reached = index < len(thresholds)
    else:
        index = np.searchsorted(thresholds, probe, side="right") - 1
        reached = index >= 0
    return np.where(reached & ~missing, index, -1)


def _close(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a == b up to float noise: within RELATIVE_TOLERANCE of the smaller magnitude (of 1 near 0)."""
    with np.errstate(invalid="ignore"):
        scale = np.maximum(np.minimum(np.abs(a), np.abs(b)), 1.0)
        return (a == b) | (np.abs(a - b) <= RELATIVE_TOLERANCE * scale)


def _snapped(value: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """`value` with each entry that equals a threshold up to float noise replaced by it.

    Only for comparing: the amounts paid are computed from the unsnapped values.
    """
    near = _close(value[:, None], thresholds[None, :])
    return np.where(near.any(axis=1), thresholds[np.argmax(near, axis=1)], value)


def _group_value(table: _Table, metric: str, group: np.ndarray, n_groups: int, *, pooled_sum: bool) -> np.ndarray:
    """Per group: pooled Σnum/Σden for a ratio KPI; for a count or amount the mean per agent
    who worked (or, with `pooled_sum`, the total); the mean over agents with a value otherwise."""
    if KPI_BY_NAME[metric].kind == "ratio":
        num = table.num(f"{metric}_num")
        den = table.num(f"{metric}_n")
        both = ~np.isnan(num) & ~np.isnan(den)
        num_sum = np.bincount(group, np.where(both, num, 0.0), n_groups)
        den_sum = np.bincount(group, np.where(both, den, 0.0), n_groups)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(den_sum > 0, num_sum / den_sum, np.nan)
    value = table.num(metric)
    present = ~np.isnan(value)
    is_sum = KPI_BY_NAME[metric].kind == "sum"
    if is_sum and not pooled_sum:
        present &= worked(table.num("workdays"))
    total = np.bincount(group, np.where(present, value, 0.0), n_groups)
    count = np.bincount(group, present.astype(float), n_groups)
    if is_sum and pooled_sum:
        return np.where(count > 0, total, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(count > 0, total / count, np.nan)


def _team_share(table: _Table, scheme: Scheme, group, n_groups: int, total, out) -> np.ndarray:
    """The pool of a group whose pooled metric reached the target, split equally or by score."""
    team_bonus = scheme.pay.team_bonus
    if team_bonus is None:
        return np.zeros(len(group))
    pooled = _group_value(table, team_bonus.metric, group, n_groups, pooled_sum=True)
    out["team_bonus_value"] = pooled[group]
    probe = _snapped(pooled, np.array([team_bonus.target], dtype=float))
    if KPI_BY_NAME[team_bonus.metric].lower_is_better:
        reached = probe <= team_bonus.target
    else:
        reached = probe >= team_bonus.target
    size = np.bincount(group, minlength=n_groups)[group]
    if team_bonus.split == "score":
        weight = np.nan_to_num(total)
        weight_sum = np.bincount(group, weight, n_groups)[group]
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(weight_sum > 0, team_bonus.pool * weight / weight_sum, team_bonus.pool / size)
    else:
        share = team_bonus.pool / size
    return np.where(reached[group], share, 0.0)


def _base(table: _Table, scheme: Scheme) -> tuple[np.ndarray, np.ndarray]:
    """Base salary from the roster; else the scheme's default for the level; else 0, flagged.

    Levels match whatever their case: the roster keeps `vip`, a scheme file may say `VIP`.
    """
    roster = table.num("base_salary")
    level_code, levels = pd.factorize(table.text("level"))
    scheme_levels = {str(level).casefold(): base for level, base in scheme.levels.items()}
    by_level = np.array([scheme_levels.get(str(level).casefold(), np.nan) for level in levels] + [np.nan],
                        dtype=float)
    level_default = by_level[level_code]  # code -1 (no level) picks the trailing NaN
    base = np.where(~np.isnan(roster), roster, np.where(~np.isnan(level_default), level_default, 0.0))
    source = np.where(~np.isnan(roster), "roster", np.where(~np.isnan(level_default), "scheme_level", "missing"))
    return base, source.astype(object)


def _rank(group: np.ndarray, total: np.ndarray, receptions: np.ndarray, agents: np.ndarray):
    """Listing order and competition rank ('min') by score descending within each group.

    Unscored agents (NaN) come last; ties (equal scores up to float noise) share the
    better rank and are listed by receptions descending, then by account.
    """
    sort_key = np.where(np.isnan(total), np.inf, -total)
    by_score = np.lexsort((sort_key, group))
    g_scored, s_scored = group[by_score], sort_key[by_score]
    run_starts = np.ones(len(by_score), dtype=bool)
    run_starts[1:] = (g_scored[1:] != g_scored[:-1]) | ~_close(s_scored[1:], s_scored[:-1])
    run = np.empty(len(by_score), dtype=np.int64)
    run[by_score] = np.cumsum(run_starts)  # one number per group's run of equal scores, best first
    agent_code = pd.factorize(agents, sort=True)[0]
    order = np.lexsort((agent_code, -receptions, run))
    g_sorted = group[order]
    r_sorted = run[order]
    position = np.arange(len(order))
    new_group = np.ones(len(order), dtype=bool)
    new_group[1:] = g_sorted[1:] != g_sorted[:-1]
    new_value = np.ones(len(order), dtype=bool)
    new_value[1:] = r_sorted[1:] != r_sorted[:-1]
    group_start = np.maximum.accumulate(np.where(new_group, position, 0))
    tie_start = np.maximum.accumulate(np.where(new_value, position, 0))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = tie_start - group_start + 1
    return order, rank


def _group_key_values(table: _Table, scheme: Scheme) -> list[np.ndarray]:
    """Each comparison-group key's value per row. An agent without a role that a role's
    scheme scores is compared as one of that role (not alone in a group of the role-less)."""
    values = []
    for key in GROUP_KEYS[scheme.group_by]:
        column = table.text(key)
        if key == "role" and scheme.role != "all":
            column = np.where(pd.isna(column), scheme.role, column)
        values.append(column)
    return values


def _group_codes(rows: int, key_values: list[np.ndarray]) -> tuple[np.ndarray, int]:
    """Dense group codes ordered by the key values; a missing key value is its own group."""
    code = np.zeros(rows, dtype=np.int64)
    for column in key_values:
        key_code, uniques = pd.factorize(column, sort=True, use_na_sentinel=False)
        code = code * (len(uniques) + 1) + key_code
    dense, uniques = pd.factorize(code, sort=True)
    return dense.astype(np.intp), len(uniques)


def _check_columns(table: _Table, scheme: Scheme) -> None:
    needed = {"agent"}
    metrics = [rule.metric for rule in scheme.kpis] + [b.metric for b in scheme.bonuses]
    metrics += [p.metric for p in scheme.penalties]
    if scheme.pay.team_bonus is not None:
        metrics.append(scheme.pay.team_bonus.metric)
    if scheme.pay.commission:
        metrics.append("sales")
    for metric in metrics:
        needed.add(metric)
        if KPI_BY_NAME[metric].kind == "ratio":
            needed.update({f"{metric}_num", f"{metric}_n"})
    missing = sorted(needed - set(table.frame.columns))
    if missing:
        raise KpiTableError(f"KPI 表缺少列: {', '.join(missing)} — the KPI table lacks columns: {', '.join(missing)}")


# -- the result frame --------------------------------------------------------------------


def _frame(table: _Table, scheme: Scheme, result: dict[str, np.ndarray]) -> pd.DataFrame:
    order = result["order"]
    columns: dict[str, np.ndarray] = {key: table.text(key)[order] for key in IDENTITY}
    columns["group"] = _group_labels(table, scheme, result["group"])[order]
    for key in ("score", "rank", "unscored", "skipped", "small_sample"):
        columns[key] = result[key][order]
    for key in ("receptions", "sales"):
        if table.has(key):
            columns[key] = table.num(key)[order]
    for rule in scheme.kpis:
        for suffix in ("", "_group", "_n", "_score"):
            if f"{rule.metric}{suffix}" in result:
                columns[f"{rule.metric}{suffix}"] = result[f"{rule.metric}{suffix}"][order]
    if table.has("conversion_rate_num") and table.has("conversion_rate_n"):
        trials = table.num("conversion_rate_n")
        lo, hi = wilson_interval(table.num("conversion_rate_num"), trials)
        columns.setdefault("conversion_rate_n", trials[order])
        columns["conversion_rate_lo"], columns["conversion_rate_hi"] = lo[order], hi[order]
    for metric in [b.metric for b in scheme.bonuses] + [p.metric for p in scheme.penalties]:
        if metric not in columns and table.has(metric):  # what a bonus or a deduction was for
            columns[metric] = table.num(metric)[order]
    bonus_keys = [f"bonus_{b.metric}" for b in scheme.bonuses]
    penalty_keys = [f"penalty_{p.metric}" for p in scheme.penalties]
    for key in [*bonus_keys, "bonus", *penalty_keys, "penalty", "coefficient", "performance_pay",
                "commission", "rank_award", "team_bonus_value", "team_share", "base", "base_source", "pay"]:
        if key in result:
            columns[key] = result[key][order]
    return pd.DataFrame(columns)


def _group_labels(table: _Table, scheme: Scheme, group: np.ndarray) -> np.ndarray:
    """'shop / team / role' per row, built once per group."""
    key_values = _group_key_values(table, scheme)
    if not key_values:
        return np.full(len(group), "全部 all", dtype=object)
    labels = np.empty(group.max() + 1 if len(group) else 0, dtype=object)
    first_row = np.full(len(labels), -1)
    first_row[group[::-1]] = np.arange(len(group))[::-1]  # the first row of each group
    for code, row in enumerate(first_row):
        labels[code] = " / ".join("—" if column[row] is None else str(column[row]) for column in key_values)
    return labels[group]
