"""The scheme model of spec/scoring.md: what a scheme file may say, checked once.

Shops edit schemes by hand (TOML in version control) and in the what-if panel, so a
mistake must come back as a sentence that names the field (`kpi[2].metric: …`), never
as a KeyError deep inside the scoring engine. Everything that reaches csperf.scoring
has passed `parse_scheme`, which also normalises shapes (pairs become tuples, sorted by
threshold) so that `load_scheme(dump_scheme(s)) == s` holds exactly.
"""

from __future__ import annotations

import calendar
import math
import os
import tomllib
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import tomli_w

from csperf.metrics import KPI_BY_NAME, RATIO_KPIS

ROLES = ("presales", "aftersales", "vip", "all")
PERIODS = ("month", "week", "custom")
GROUP_BYS = ("team", "shift", "shop", "all")
METHODS = ("vs_team", "target", "linear", "bands")
SPLITS = ("equal", "score")
DEFAULT_CAP = 1.2  # completion cap when a vs_team/target rule names none (the spec's example value)

_RATIO_NAMES = frozenset(k.name for k in RATIO_KPIS)


class SchemeError(ValueError):
    """A scheme that cannot be used; `errors` holds one line per offending field."""

    def __init__(self, errors: list[str], source: str | None = None):
        self.errors = list(errors)
        self.source = source
        head = f"方案有误 (invalid scheme){f' {source}' if source else ''}:"
        super().__init__("\n".join([head, *(f"  {e}" for e in self.errors)]))


@dataclass
class KpiRule:
    metric: str
    weight: float
    method: str = "vs_team"
    cap: float | None = None  # None → DEFAULT_CAP
    min_n: float | None = None
    target: float | None = None
    worst: float | None = None
    best: float | None = None
    bands: list[tuple[float, float]] = field(default_factory=list)

    @property
    def effective_cap(self) -> float:
        return DEFAULT_CAP if self.cap is None else self.cap


@dataclass
class Bonus:
    metric: str
    tiers: list[tuple[float, float]]


@dataclass
class Penalty:
    metric: str
    per_unit: float


@dataclass
class TeamBonus:
    metric: str
    target: float
    pool: float
    split: str = "equal"


@dataclass
class Pay:
    performance_pay: float = 0
    coefficients: list[tuple[float, float]] = field(default_factory=list)
    commission: list[tuple[float, float]] = field(default_factory=list)
    commission_times_coefficient: bool = False
    rank_awards: list[float] = field(default_factory=list)
    team_bonus: TeamBonus | None = None
    floor_at_base: bool = False


@dataclass
class Scheme:
    name: str
    kpis: list[KpiRule]
    role: str = "all"
    period: str = "month"
    group_by: str = "team"
    description: str = ""
    bonuses: list[Bonus] = field(default_factory=list)
    penalties: list[Penalty] = field(default_factory=list)
    pay: Pay = field(default_factory=Pay)
    levels: dict[str, float] = field(default_factory=dict)  # default base salary per level
    # The saved version this was loaded as, None for one not from the database. Where it is
    # kept, not what it says: two versions may read alike yet each pays its own periods.
    version: int | None = field(default=None, compare=False)


# -- parsing and validation ---------------------------------------------------------------

_TOP_FIELDS = ("name", "role", "period", "group_by", "description", "kpi", "bonus", "penalty", "pay",
               "levels")
_KPI_FIELDS = ("metric", "weight", "method", "cap", "min_n", "target", "worst", "best", "bands")
_KPI_FIELDS_BY_METHOD = {
    "vs_team": {"cap"},
    "target": {"cap", "target"},
    "linear": {"worst", "best"},
    "bands": {"bands"},
}
_METHOD_FIELDS = ("cap", "target", "worst", "best", "bands")  # fields that only some methods take
_PAY_FIELDS = ("performance_pay", "coefficients", "commission", "commission_times_coefficient",
               "rank_awards", "team_bonus", "floor_at_base")


def _as_float(value: float) -> float:
    """A TOML number as a float; an integer too big for one (TOML has no limit) is infinite."""
    try:
        return float(value)
    except OverflowError:
        return math.inf


class _Checker:
    """Collects every problem of a scheme, so the user fixes them in one pass."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, path: str, zh: str, en: str) -> None:
        self.errors.append(f"{path}: {zh} — {en}")

    def table(self, value: Any, path: str, allowed: tuple[str, ...]) -> dict:
        if not isinstance(value, dict):
            self.fail(path, f"应为表 (table)，实为 {value!r}", "must be a table")
            return {}
        for key in value:
            if key not in allowed:
                self.fail(f"{path}.{key}" if path else key, "未知字段", f"unknown field; known: {', '.join(allowed)}")
        return value

    def text(self, data: dict, key: str, path: str, *, default: str | None = None) -> str | None:
        value = data.get(key, default)
        if value is None:
            self.fail(path, "必填", "required")
        elif not isinstance(value, str):
            self.fail(path, f"应为文本，实为 {value!r}", "must be text")
            return None
        return value

    def choice(self, data: dict, key: str, path: str, options: tuple[str, ...], default: str) -> str:
        value = data.get(key, default)
        if value not in options:
            self.fail(path, f"未知取值 {value!r}，可选 {' | '.join(options)}",
                      f"unknown {key} {value!r}; one of {' | '.join(options)}")
            return default
        return value

    def number(self, value: Any, path: str, *, non_negative: bool = False, positive: bool = False) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(_as_float(value)):
            self.fail(path, f"应为数字，实为 {value!r}", "must be a finite number")
            return None
        if positive and value <= 0:
            self.fail(path, f"须大于 0，实为 {value}", "must be greater than 0")
        elif non_negative and value < 0:
            self.fail(path, f"不能为负，实为 {value}", "must not be negative")
        return value

    def flag(self, data: dict, key: str, path: str) -> bool:
        value = data.get(key, False)
        if not isinstance(value, bool):
            self.fail(path, f"应为 true 或 false，实为 {value!r}", "must be true or false")
            return False
        return value

    def metric(self, value: Any, path: str) -> str:
        if value is None:
            self.fail(path, "必填", "required")
            return ""
        if not isinstance(value, str):  # before the lookup: a TOML list or table cannot be a dict key
            self.fail(path, f"应为指标名称（文本），实为 {value!r}", "must be a KPI name (text)")
            return ""
        if value not in KPI_BY_NAME:
            self.fail(path, f"未知指标 {value!r}", f"unknown metric {value!r}")
        return value

    def pairs(self, value: Any, path: str, what: tuple[str, str], *, required: bool = False) -> list[tuple]:
        """`[[threshold, amount], …]` in any order, returned sorted by threshold (the spec sets
        no order, and the engine reads tiers in ascending order); a repeated threshold is an error."""
        if value is None:
            value = []
        if not isinstance(value, list):
            self.fail(path, f"应为列表 [[{what[0]}, {what[1]}], …]", f"must be a list of [{what[0]}, {what[1]}]")
            return []
        if required and not value:
            self.fail(path, "不能为空", "must not be empty")
        out: list[tuple] = []
        for i, pair in enumerate(value):
            if not isinstance(pair, list) or len(pair) != 2:
                self.fail(f"{path}[{i}]", f"应为 [{what[0]}, {what[1]}]，实为 {pair!r}",
                          f"must be [{what[0]}, {what[1]}]")
                continue
            first = self.number(pair[0], f"{path}[{i}][0]")
            second = self.number(pair[1], f"{path}[{i}][1]")
            if first is None or second is None:
                continue
            if any(first == seen for seen, _ in out):
                self.fail(path, f"{what[0]} {first} 出现了两次", f"{what[0]} {first} appears twice")
                continue
            out.append((first, second))
        return sorted(out)


def parse_scheme(data: dict, source: str | None = None) -> Scheme:
    """A checked Scheme from the dict of a TOML file; SchemeError lists every bad field."""
    c = _Checker()
    data = c.table(data, "", _TOP_FIELDS)
    name = c.text(data, "name", "name") or ""
    if "name" in data and isinstance(data["name"], str) and not name.strip():
        c.fail("name", "不能为空", "must not be empty")
    description = c.text(data, "description", "description", default="") or ""
    role = c.choice(data, "role", "role", ROLES, "all")
    period = c.choice(data, "period", "period", PERIODS, "month")
    group_by = c.choice(data, "group_by", "group_by", GROUP_BYS, "team")

    errors_before = len(c.errors)
    kpis = [_parse_kpi(c, raw, f"kpi[{i}]") for i, raw in enumerate(_list(c, data.get("kpi"), "kpi"))]
    weights_readable = not any(".weight:" in e for e in c.errors[errors_before:])
    if not kpis:
        c.fail("kpi", "至少需要一个 [[kpi]]", "at least one [[kpi]] is required")
    elif weights_readable and sum(rule.weight for rule in kpis) <= 0:
        c.fail("kpi[*].weight", f"权重合计须大于 0 (现为 {sum(r.weight for r in kpis)})",
               "total weight must be greater than 0")
    _no_duplicates(c, [rule.metric for rule in kpis], "kpi")

    bonuses = []
    for i, raw in enumerate(_list(c, data.get("bonus"), "bonus")):
        path = f"bonus[{i}]"
        raw = c.table(raw, path, ("metric", "tiers"))
        bonus = Bonus(c.metric(raw.get("metric"), f"{path}.metric"),
                      c.pairs(raw.get("tiers"), f"{path}.tiers", ("threshold", "amount"), required=True))
        for j, (threshold, amount) in enumerate(bonus.tiers):
            # a KPI is never negative, so a negative threshold pays everyone; a negative amount is a
            # deduction, which belongs in [[penalty]]
            c.number(threshold, f"{path}.tiers[{j}][0]", non_negative=True)
            c.number(amount, f"{path}.tiers[{j}][1]", non_negative=True)
            _fraction(c, bonus.metric, threshold, f"{path}.tiers[{j}][0]")
        bonuses.append(bonus)
    _no_duplicates(c, [b.metric for b in bonuses], "bonus")

    penalties = []
    for i, raw in enumerate(_list(c, data.get("penalty"), "penalty")):
        path = f"penalty[{i}]"
        raw = c.table(raw, path, ("metric", "per_unit"))
        if "per_unit" not in raw:
            c.fail(f"{path}.per_unit", "必填", "required")
        penalties.append(Penalty(c.metric(raw.get("metric"), f"{path}.metric"),
                                 c.number(raw.get("per_unit"), f"{path}.per_unit", non_negative=True) or 0))
    _no_duplicates(c, [p.metric for p in penalties], "penalty")

    pay = _parse_pay(c, data.get("pay", {}))

    levels: dict[str, float] = {}
    raw_levels = data.get("levels", {})
    if not isinstance(raw_levels, dict):
        c.fail("levels", "应为表 [levels]，每行 级别 = 底薪", "must be a table of level = base salary")
    else:
        seen: dict[str, str] = {}  # casefolded → as written: the engine matches levels whatever their case
        for level, base in raw_levels.items():
            if level.casefold() in seen:
                c.fail(f"levels.{level}", f"与 {seen[level.casefold()]} 重复（级别不区分大小写）",
                       f"same level as {seen[level.casefold()]} (levels ignore case)")
            seen.setdefault(level.casefold(), level)
            if c.number(base, f"levels.{level}", non_negative=True) is not None:
                levels[level] = base

    if c.errors:
        raise SchemeError(c.errors, source)
    return Scheme(name=name, kpis=kpis, role=role, period=period, group_by=group_by,
                  description=description, bonuses=bonuses, penalties=penalties, pay=pay, levels=levels)


def _list(c: _Checker, value: Any, path: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        c.fail(path, f"应写成 [[{path}]] 表数组", f"must be an array of tables [[{path}]]")
        return []
    return value


def _no_duplicates(c: _Checker, metrics: list[str], path: str) -> None:
    seen: dict[str, int] = {}
    for i, metric in enumerate(metrics):
        if metric and metric in seen:  # a missing or non-text metric is reported already
            c.fail(f"{path}[{i}].metric", f"指标 {metric!r} 已在 {path}[{seen[metric]}] 中出现",
                   f"metric {metric!r} already used in {path}[{seen[metric]}]")
        seen.setdefault(metric, i)


def _parse_kpi(c: _Checker, raw: Any, path: str) -> KpiRule:
    raw = c.table(raw, path, _KPI_FIELDS)
    metric = c.metric(raw.get("metric"), f"{path}.metric")
    if "weight" not in raw:
        c.fail(f"{path}.weight", "必填", "required")
    weight = c.number(raw.get("weight"), f"{path}.weight", non_negative=True)
    method = raw.get("method", "vs_team")
    if method not in METHODS:
        c.fail(f"{path}.method", f"未知方法 {method!r}，可选 {' | '.join(METHODS)}",
               f"unknown method {method!r}; one of {' | '.join(METHODS)}")
        method = None
    else:
        for key in _METHOD_FIELDS:
            if key in raw and key not in _KPI_FIELDS_BY_METHOD[method]:
                c.fail(f"{path}.{key}", f"只用于其它计分方法，不适用于 method = {method!r}",
                       f"does not apply to method {method!r}")
    min_n = c.number(raw.get("min_n"), f"{path}.min_n", non_negative=True)
    if min_n is not None and metric in KPI_BY_NAME and metric not in _RATIO_NAMES:
        c.fail(f"{path}.min_n", f"{metric!r} 不是比率指标，没有分母可比",
               f"min_n applies only to ratio KPIs; {metric!r} has no denominator")
    rule = KpiRule(metric=metric, weight=weight if weight is not None else 0, method=method or "vs_team",
                   min_n=min_n)
    if method in ("vs_team", "target"):
        rule.cap = c.number(raw.get("cap"), f"{path}.cap", positive=True)
    if method == "target":
        if "target" not in raw:
            c.fail(f"{path}.target", 'method = "target" 需要 target', "target is required")
        rule.target = c.number(raw.get("target"), f"{path}.target", positive=True)
        _fraction(c, metric, rule.target, f"{path}.target")
    elif method == "linear":
        for key in ("worst", "best"):
            if key not in raw:
                c.fail(f"{path}.{key}", 'method = "linear" 需要 worst 和 best', "linear needs worst and best")
        rule.worst = c.number(raw.get("worst"), f"{path}.worst")
        rule.best = c.number(raw.get("best"), f"{path}.best")
        if rule.worst is not None and rule.worst == rule.best:
            c.fail(f"{path}.best", f"不能等于 worst ({rule.worst})", "must differ from worst")
        for key in ("worst", "best"):
            _fraction(c, metric, getattr(rule, key), f"{path}.{key}")
    elif method == "bands":
        rule.bands = c.pairs(raw.get("bands"), f"{path}.bands", ("threshold", "points"), required=True)
        for j, (threshold, _) in enumerate(rule.bands):
            _fraction(c, metric, threshold, f"{path}.bands[{j}][0]")
    return rule


def _fraction(c: _Checker, metric: str | None, value: float | None, path: str) -> None:
    """A percentage KPI's level is a fraction (0.6 = 60%): 60 typed for 60% would read as 6000%,
    a bonus nobody reaches or a line nobody leaves, without a word."""
    if value is not None and metric in KPI_BY_NAME and KPI_BY_NAME[metric].unit == "pct" and value > 1:
        c.fail(path, f"比率写成小数：60% 写作 0.6（{value:g} 即 {value * 100:g}%）",
               f"a rate is a fraction: 60% is 0.6 ({value:g} is {value * 100:g}%)")


def _parse_pay(c: _Checker, raw: Any) -> Pay:
    raw = c.table(raw, "pay", _PAY_FIELDS)
    pay = Pay(
        performance_pay=c.number(raw.get("performance_pay", 0), "pay.performance_pay", non_negative=True) or 0,
        coefficients=c.pairs(raw.get("coefficients"), "pay.coefficients", ("min score", "coefficient")),
        commission=c.pairs(raw.get("commission"), "pay.commission", ("sales", "rate")),
        commission_times_coefficient=c.flag(raw, "commission_times_coefficient",
                                            "pay.commission_times_coefficient"),
        floor_at_base=c.flag(raw, "floor_at_base", "pay.floor_at_base"),
    )
    for i, (_, coefficient) in enumerate(pay.coefficients):
        c.number(coefficient, f"pay.coefficients[{i}][1]", non_negative=True)
    for i, (_, rate) in enumerate(pay.commission):
        if c.number(rate, f"pay.commission[{i}][1]", non_negative=True) is not None and rate > 1:
            c.fail(f"pay.commission[{i}][1]", f"提成比例写成小数：1% 写作 0.01（{rate:g} 即 {rate * 100:g}%）",
                   f"a commission rate is a fraction: 1% is 0.01 ({rate:g} is {rate * 100:g}%)")
    awards = raw.get("rank_awards", [])
    if not isinstance(awards, list):
        c.fail("pay.rank_awards", "应为金额列表 [第1名, 第2名, …]", "must be a list of amounts [1st, 2nd, …]")
    else:
        pay.rank_awards = [a for i, a in enumerate(awards)
                           if c.number(a, f"pay.rank_awards[{i}]", non_negative=True) is not None]
    if raw.get("team_bonus") is not None:
        tb = c.table(raw["team_bonus"], "pay.team_bonus", ("metric", "target", "pool", "split"))
        for key in ("target", "pool"):
            if key not in tb:
                c.fail(f"pay.team_bonus.{key}", "必填", "required")
        split = tb.get("split", "equal")
        if split not in SPLITS:
            c.fail("pay.team_bonus.split", f"未知分配方式 {split!r}，可选 equal | score",
                   f"split must be equal or score, not {split!r}")
        pay.team_bonus = TeamBonus(
            metric=c.metric(tb.get("metric"), "pay.team_bonus.metric"),
            target=c.number(tb.get("target"), "pay.team_bonus.target") or 0,
            pool=c.number(tb.get("pool"), "pay.team_bonus.pool", non_negative=True) or 0,
            split=split if split in SPLITS else "equal",
        )
        _fraction(c, pay.team_bonus.metric, pay.team_bonus.target, "pay.team_bonus.target")
    return pay


def validate_scheme(scheme: Scheme) -> Scheme:
    """Re-check a Scheme built in code (e.g. by the what-if panel); returns it normalised."""
    return parse_scheme(scheme_to_dict(scheme), scheme.name)


# -- the assessment period --------------------------------------------------------------------

def assessment_period(kind: str, day: date) -> tuple[date, date] | None:
    """The calendar month or Monday–Sunday week of a `month` or `week` scheme that holds
    `day`; None for a `custom` scheme, whose period is whatever the user picks."""
    if kind == "month":
        return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])
    if kind == "week":
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=6)
    return None


def period_fit(kind: str, date_from: date, date_to: date, last_day: date) -> str:
    """How dates fit a scheme's assessment period, since its base pay, bonus tiers and
    commission steps are amounts for one whole period: "whole" (exactly one), "running" (the
    current one, up to `last_day`, the last day with data) or "partial" (anything else)."""
    whole = assessment_period(kind, date_from)
    if whole is None or (date_from, date_to) == whole:
        return "whole"
    if date_from == whole[0] and date_to == last_day < whole[1]:
        return "running"
    return "partial"


# -- TOML in and out ------------------------------------------------------------------------


def load_scheme(text_or_path: str | os.PathLike) -> Scheme:
    """A Scheme from TOML text or from a .toml file (a str without '=' or newline is a path)."""
    source = None
    if isinstance(text_or_path, os.PathLike) or ("\n" not in text_or_path and "=" not in text_or_path):
        path = Path(text_or_path)
        source = str(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise SchemeError([f"{path}: 文件不存在 — file not found"], source) from None
        except UnicodeDecodeError:
            raise SchemeError([f"{path}: 不是 UTF-8 文本 — not UTF-8 text"], source) from None
        except OSError as exc:
            raise SchemeError([f"{path}: 无法读取 — cannot read ({exc.strerror})"], source) from None
    else:
        text = str(text_or_path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SchemeError([f"TOML 语法错误 — TOML syntax error: {exc}"], source) from None
    return parse_scheme(data, source)


def scheme_to_dict(scheme: Scheme) -> dict:
    """The TOML-shaped dict of a scheme: only the fields that are set."""
    out: dict[str, Any] = {"name": scheme.name, "role": scheme.role, "period": scheme.period,
                           "group_by": scheme.group_by}
    if scheme.description:
        out["description"] = scheme.description
    out["kpi"] = []
    for rule in scheme.kpis:
        item: dict[str, Any] = {"metric": rule.metric, "weight": rule.weight, "method": rule.method}
        for key in ("cap", "target", "worst", "best", "min_n"):
            if getattr(rule, key) is not None:
                item[key] = getattr(rule, key)
        if rule.bands:
            item["bands"] = [list(b) for b in rule.bands]
        out["kpi"].append(item)
    if scheme.bonuses:
        out["bonus"] = [{"metric": b.metric, "tiers": [list(t) for t in b.tiers]} for b in scheme.bonuses]
    if scheme.penalties:
        out["penalty"] = [{"metric": p.metric, "per_unit": p.per_unit} for p in scheme.penalties]
    pay = scheme.pay
    pay_out: dict[str, Any] = {"performance_pay": pay.performance_pay}
    if pay.coefficients:
        pay_out["coefficients"] = [list(x) for x in pay.coefficients]
    if pay.commission:
        pay_out["commission"] = [list(x) for x in pay.commission]
    pay_out["commission_times_coefficient"] = pay.commission_times_coefficient
    if pay.rank_awards:
        pay_out["rank_awards"] = list(pay.rank_awards)
    if pay.team_bonus is not None:
        tb = pay.team_bonus
        pay_out["team_bonus"] = {"metric": tb.metric, "target": tb.target, "pool": tb.pool, "split": tb.split}
    pay_out["floor_at_base"] = pay.floor_at_base
    out["pay"] = pay_out
    if scheme.levels:
        out["levels"] = dict(scheme.levels)
    return out


def dump_scheme(scheme: Scheme) -> str:
    """The scheme as a TOML file laid out like the spec's example (one line per field).

    tomli-w renders every value (so strings are escaped correctly); the layout — inline
    pair lists, one `[[kpi]]` table per rule — is ours, because tomli-w would spread
    `[[0, 50], [60, 80]]` over nine lines.
    """
    data = scheme_to_dict(scheme)
    sections = ["".join(_line(k, data[k]) for k in ("name", "role", "period", "group_by", "description")
                        if k in data)]
    for table in ("kpi", "bonus", "penalty"):
        for item in data.get(table, []):
            sections.append(f"[[{table}]]\n" + "".join(_line(k, v) for k, v in item.items()))
    sections.append("[pay]\n" + "".join(_line(k, v) for k, v in data["pay"].items()))
    if "levels" in data:
        sections.append("[levels]\n" + "".join(_line(k, v) for k, v in data["levels"].items()))
    return "\n".join(sections)


def _line(key: str, value: Any) -> str:
    return f"{_key(key)} = {_literal(value)}\n"


def _key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "")
    return key if bare.isascii() and bare.isalnum() else _literal(key)


def _literal(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_literal(v)}" for k, v in value.items()) + " }"
    return tomli_w.dumps({"v": value})[len("v = "):-1]
