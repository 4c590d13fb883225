"""Schemes as the what-if panel edits them, and as a link a supervisor can send.

st.data_editor edits flat tables, not nested TOML, so the panel shows a scheme as seven
small tables (KPI rules, bonus tiers, penalties, score-band coefficients, commission
tiers, base salary by level, team bonus) plus a few single values. This module is the
two-way translation, kept free of streamlit so it is tested on its own. A mistake in a
table comes back as a sentence that names the table, the row and the column the
supervisor sees; the rest is checked by scheme.parse_scheme, whose field paths
(`kpi[2].weight`) are translated back to rows.

A scenario travels in the URL as base64url(zlib(TOML)), short enough for a chat message,
and carries the name and version of the scheme it was edited from, so whoever opens the
link compares against the same baseline.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import tomllib
import zlib
from dataclasses import asdict, dataclass, field
from numbers import Number

import pandas as pd
import tomli_w

from csperf.metrics import label as metric_label
from csperf.scheme import Scheme, SchemeError, parse_scheme, scheme_to_dict
from csperf.ui_format import rank_move

SCENARIO_PARAM = "scenario"
SCENARIO_FORMAT = 1
MAX_LINK_CHARS = 8_000  # longer than any real scheme; browsers and chat apps cut URLs beyond this
MAX_TOML_BYTES = 200_000  # bound on the inflated text, so a crafted link cannot exhaust memory

KPI_COLUMNS = ["metric", "weight", "method", "cap", "min_n", "target", "worst", "best", "bands"]
BONUS_COLUMNS = ["metric", "threshold", "amount"]
PENALTY_COLUMNS = ["metric", "per_unit"]
COEFFICIENT_COLUMNS = ["min_score", "coefficient"]
COMMISSION_COLUMNS = ["sales_from", "rate"]
LEVEL_COLUMNS = ["level", "base_salary"]
TEAM_BONUS_COLUMNS = ["metric", "target", "pool", "split"]

# Which of the optional KPI columns each method reads; the others are ignored, so switching
# a row's method does not leave a stale cell that makes the scheme invalid.
METHOD_COLUMNS = {
    "vs_team": ("cap", "min_n"),
    "target": ("cap", "min_n", "target"),
    "linear": ("min_n", "worst", "best"),
    "bands": ("min_n", "bands"),
}

TABLE_LABELS = {
    "kpis": ("考核指标", "KPI rules"),
    "bonuses": ("奖金档位", "bonus tiers"),
    "penalties": ("扣款", "penalties"),
    "coefficients": ("绩效系数", "score-band coefficients"),
    "commission": ("提成档位", "commission tiers"),
    "rank_awards": ("名次奖", "rank awards"),
    "levels": ("级别底薪", "base salary by level"),
    "team_bonus": ("团队奖", "team bonus"),
}
COLUMN_LABELS = {
    "metric": ("指标", "metric"),
    "weight": ("权重", "weight"),
    "method": ("计分方法", "method"),
    "cap": ("封顶", "cap"),
    "min_n": ("最少样本", "min n"),
    "target": ("目标值", "target"),
    "worst": ("最差值(0分)", "worst (0 points)"),
    "best": ("最好值(100分)", "best (100 points)"),
    "bands": ("分档 阈值:分数", "bands threshold:points"),
    "threshold": ("达到", "threshold"),
    "amount": ("金额", "amount"),
    "per_unit": ("每单位扣款", "per unit"),
    "min_score": ("最低得分", "min score"),
    "coefficient": ("系数", "coefficient"),
    "sales_from": ("销售额达到", "sales from"),
    "rate": ("提成比例", "rate"),
    "level": ("级别", "level"),
    "base_salary": ("底薪", "base salary"),
    "pool": ("奖金池", "pool"),
    "split": ("分配方式", "split"),
}


class ScenarioError(ValueError):
    """A shared link whose scenario cannot be read."""


@dataclass
class SchemeTables:
    """A scheme as the panel shows it: editable tables and single values."""

    kpis: pd.DataFrame
    bonuses: pd.DataFrame
    penalties: pd.DataFrame
    coefficients: pd.DataFrame
    commission: pd.DataFrame
    levels: pd.DataFrame  # one row per level: its default base salary
    team_bonus: pd.DataFrame  # no row (no team bonus) or one
    group_by: str = "team"
    performance_pay: float = 0
    rank_awards: list[float] = field(default_factory=list)
    commission_times_coefficient: bool = False
    floor_at_base: bool = False


@dataclass(frozen=True)
class Scenario:
    """What a shared link holds: the edited scheme and the scheme it was edited from."""

    scheme: Scheme
    base_name: str | None = None
    base_version: int | None = None


# -- scheme → tables -------------------------------------------------------------------------


def to_tables(scheme: Scheme) -> SchemeTables:
    """The editable tables of a scheme (one row per KPI rule, per tier, per penalty)."""
    kpi_rows = [
        {
            "metric": rule.metric,
            "weight": rule.weight,
            "method": rule.method,
            "cap": rule.cap,
            "min_n": rule.min_n,
            "target": rule.target,
            "worst": rule.worst,
            "best": rule.best,
            "bands": format_pairs(rule.bands) if rule.bands else None,
        }
        for rule in scheme.kpis
    ]
    bonus_rows = [
        {"metric": bonus.metric, "threshold": threshold, "amount": amount}
        for bonus in scheme.bonuses
        for threshold, amount in bonus.tiers
    ]
    pay = scheme.pay
    team_bonus = [] if pay.team_bonus is None else [asdict(pay.team_bonus)]
    return SchemeTables(
        kpis=_frame(kpi_rows, KPI_COLUMNS, text=("metric", "method", "bands")),
        bonuses=_frame(bonus_rows, BONUS_COLUMNS, text=("metric",)),
        penalties=_frame([{"metric": p.metric, "per_unit": p.per_unit} for p in scheme.penalties],
                         PENALTY_COLUMNS, text=("metric",)),
        coefficients=_frame([{"min_score": s, "coefficient": c} for s, c in pay.coefficients],
                            COEFFICIENT_COLUMNS),
        commission=_frame([{"sales_from": s, "rate": r} for s, r in pay.commission], COMMISSION_COLUMNS),
        levels=_frame([{"level": level, "base_salary": base} for level, base in scheme.levels.items()],
                      LEVEL_COLUMNS, text=("level",)),
        team_bonus=_frame(team_bonus, TEAM_BONUS_COLUMNS, text=("metric", "split")),
        group_by=scheme.group_by,
        performance_pay=pay.performance_pay,
        rank_awards=list(pay.rank_awards),
        commission_times_coefficient=pay.commission_times_coefficient,
        floor_at_base=pay.floor_at_base,
    )


def _frame(rows: list[dict], columns: list[str], text: tuple[str, ...] = ()) -> pd.DataFrame:
    """Text columns as object, the rest as float, so the editor offers the right cell type."""
    frame = pd.DataFrame(rows, columns=columns)
    for column in columns:
        frame[column] = frame[column].astype(object if column in text else "float64")
    return frame


def format_pairs(pairs) -> str:
    """`0:50, 60:80` — KPI bands as one editable cell."""
    return ", ".join(f"{_plain(a)}:{_plain(b)}" for a, b in pairs)


def format_amounts(amounts) -> str:
    """`500, 300, 200` — rank awards as one text input."""
    return ", ".join(_plain(a) for a in amounts)


def _plain(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


# -- tables → scheme -------------------------------------------------------------------------


class _Builder:
    """Reads the edited tables into a scheme dict, remembering where each part came from."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.places: dict[str, str] = {}  # scheme path prefix → "table row n"
        self.pair_columns: dict[str, list[str]] = {}  # pair path prefix → its two table columns

    def place(self, table: str, rows) -> str:
        zh, en = TABLE_LABELS[table]
        rows = [rows] if isinstance(rows, int) else list(rows)
        numbers = "、".join(str(r) for r in rows)
        if not rows:
            return f"{zh} ({en})"
        return f"{zh} 第{numbers}行 ({en} row {', '.join(str(r) for r in rows)})"

    def fail(self, where: str, column: str | None, zh: str, en: str) -> None:
        label = f" {COLUMN_LABELS[column][0]}" if column in COLUMN_LABELS else ""
        self.errors.append(f"{where}{label}: {zh} — {en}")

    def number(self, value, where: str, column: str) -> float | int | None:
        if _blank(value):
            return None
        if isinstance(value, bool):
            self.fail(where, column, f"应为数字，实为 {value!r}", "must be a number")
            return None
        if isinstance(value, Number):
            number = float(value)
        else:
            text = re.sub(r"[\s,，¥￥元]", "", str(value))
            percent = text.endswith("%")
            try:
                number = float(text.rstrip("%")) / (100 if percent else 1)
            except ValueError:
                self.fail(where, column, f"应为数字，实为 {value!r}", "must be a number")
                return None
        if not math.isfinite(number):
            self.fail(where, column, f"应为有限数字，实为 {value!r}", "must be a finite number")
            return None
        return int(number) if number.is_integer() else number

    def text(self, value) -> str | None:
        return None if _blank(value) else str(value).strip()

    def pairs(self, text: str, where: str, column: str) -> list[list[float]]:
        pairs = []
        for part in re.split(r"[,，;；\s]+", text.strip()):
            if not part:
                continue
            pieces = re.split(r"[:：]", part)
            numbers = [self.number(p, where, column) if p.strip() else None for p in pieces]
            if len(pieces) != 2 or None in numbers:
                self.fail(where, column, f"“{part}”应写成 阈值:分数，如 60:80", f"{part!r} must read threshold:points")
                continue
            pairs.append(numbers)
        return sorted(pairs)


def _blank(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _rows(frame: pd.DataFrame, columns: list[str]):
    """(1-based row number, {column: value}) for every row that is not entirely empty."""
    present = [c for c in columns if c in frame.columns]
    for number, values in enumerate(frame[present].itertuples(index=False, name=None), start=1):
        row = dict(zip(present, values))
        if not all(_blank(v) for v in row.values()):
            yield number, row


def from_tables(base: Scheme, tables: SchemeTables) -> Scheme:
    """The scheme the edited tables describe; name, role, period and description come from
    `base`. Raises SchemeError whose lines name the table, row and column."""
    b = _Builder()
    data = scheme_to_dict(base)
    data["group_by"] = tables.group_by
    data["kpi"] = _kpi_rules(b, tables.kpis)
    data["bonus"] = _bonuses(b, tables.bonuses)
    data["penalty"] = _penalties(b, tables.penalties)
    pay = data["pay"]
    pay["performance_pay"] = b.number(tables.performance_pay, "绩效工资 (performance pay)", None) or 0
    pay["coefficients"] = _pair_table(b, tables.coefficients, "coefficients", "pay.coefficients",
                                      COEFFICIENT_COLUMNS)
    pay["commission"] = _pair_table(b, tables.commission, "commission", "pay.commission", COMMISSION_COLUMNS)
    pay["rank_awards"] = [b.number(a, b.place("rank_awards", []), None) for a in tables.rank_awards]
    pay["commission_times_coefficient"] = bool(tables.commission_times_coefficient)
    pay["floor_at_base"] = bool(tables.floor_at_base)
    pay["team_bonus"] = _team_bonus(b, tables.team_bonus)
    data["levels"] = _levels(b, tables.levels)
    b.places["kpi[*]"] = b.place("kpis", [])
    b.places["pay.rank_awards"] = b.place("rank_awards", [])
    b.places["pay.coefficients"] = b.place("coefficients", [])
    b.places["pay.commission"] = b.place("commission", [])
    if b.errors:
        raise SchemeError(b.errors, "what-if")
    try:
        return parse_scheme(data, "what-if")
    except SchemeError as exc:
        raise SchemeError([_translate(line, b) for line in exc.errors], "what-if") from None


def _kpi_rules(b: _Builder, frame: pd.DataFrame) -> list[dict]:
    rules = []
    for row_no, row in _rows(frame, KPI_COLUMNS):
        where = b.place("kpis", row_no)
        b.places[f"kpi[{len(rules)}]"] = where
        metric = b.text(row.get("metric"))
        method = b.text(row.get("method")) or "vs_team"
        rule: dict = {"metric": metric, "weight": b.number(row.get("weight"), where, "weight"), "method": method}
        if metric is None:
            b.fail(where, "metric", "请选择指标", "choose a metric")
        if _blank(row.get("weight")):
            b.fail(where, "weight", "请填写权重", "weight is required")
        for column in METHOD_COLUMNS.get(method, ()):
            if column == "bands":
                text = b.text(row.get("bands"))
                rule["bands"] = b.pairs(text, where, "bands") if text else []
            else:
                value = b.number(row.get(column), where, column)
                if value is not None:
                    rule[column] = value
        rules.append(rule)
    return rules


def _bonuses(b: _Builder, frame: pd.DataFrame) -> list[dict]:
    """Tier rows grouped by metric (in first-seen order), thresholds ascending."""
    tiers: dict[str, list[tuple]] = {}
    for row_no, row in _rows(frame, BONUS_COLUMNS):
        where = b.place("bonuses", row_no)
        metric = b.text(row.get("metric"))
        threshold = b.number(row.get("threshold"), where, "threshold")
        amount = b.number(row.get("amount"), where, "amount")
        if metric is None:
            b.fail(where, "metric", "请选择指标", "choose a metric")
        for column in ("threshold", "amount"):
            if _blank(row.get(column)):
                b.fail(where, column, "必填", "required")
        if metric is None or threshold is None or amount is None:
            continue
        tiers.setdefault(metric, []).append((threshold, amount, row_no))
    bonuses = []
    for i, (metric, found) in enumerate(tiers.items()):
        found.sort()
        b.places[f"bonus[{i}]"] = f"{b.place('bonuses', [r for _, _, r in found])} {metric}"
        bonuses.append({"metric": metric, "tiers": [[t, a] for t, a, _ in found]})
    return bonuses


def _penalties(b: _Builder, frame: pd.DataFrame) -> list[dict]:
    penalties = []
    for row_no, row in _rows(frame, PENALTY_COLUMNS):
        where = b.place("penalties", row_no)
        b.places[f"penalty[{len(penalties)}]"] = where
        metric = b.text(row.get("metric"))
        per_unit = b.number(row.get("per_unit"), where, "per_unit")
        if metric is None:
            b.fail(where, "metric", "请选择指标", "choose a metric")
        if per_unit is None:
            b.fail(where, "per_unit", "必填", "required")
        penalties.append({"metric": metric, "per_unit": per_unit})
    return penalties


def _pair_table(b: _Builder, frame: pd.DataFrame, table: str, path: str, columns: list[str]) -> list[list]:
    pairs = []
    for row_no, row in _rows(frame, columns):
        where = b.place(table, row_no)
        first, second = (b.number(row.get(c), where, c) for c in columns)
        for column in columns:
            if _blank(row.get(column)):
                b.fail(where, column, "必填", "required")
        if first is not None and second is not None:
            pairs.append((first, second, row_no))
    pairs.sort()
    for i, (_, _, row_no) in enumerate(pairs):
        b.places[f"{path}[{i}]"] = b.place(table, row_no)
        b.pair_columns[f"{path}[{i}]"] = columns
    return [[first, second] for first, second, _ in pairs]


def _levels(b: _Builder, frame: pd.DataFrame) -> dict:
    """{level: base salary}; a level named twice (in any case) names both rows."""
    levels: dict = {}
    rows: dict[str, int] = {}  # casefolded level → its first row
    for row_no, row in _rows(frame, LEVEL_COLUMNS):
        where = b.place("levels", row_no)
        level = b.text(row.get("level"))
        base_salary = b.number(row.get("base_salary"), where, "base_salary")
        if level is None:
            b.fail(where, "level", "请填写级别", "enter a level")
        elif level.casefold() in rows:
            b.fail(b.place("levels", [rows[level.casefold()], row_no]), "level",
                   f"级别 {level} 重复（不区分大小写）", f"level {level} appears twice (case is ignored)")
        if _blank(row.get("base_salary")):
            b.fail(where, "base_salary", "必填", "required")
        if level is None or level.casefold() in rows or base_salary is None:
            continue
        rows[level.casefold()] = row_no
        b.places[f"levels.{level}"] = f"{where} {COLUMN_LABELS['base_salary'][0]}"
        levels[level] = base_salary
    return levels


def _team_bonus(b: _Builder, frame: pd.DataFrame) -> dict | None:
    """The one team bonus row as the scheme's `team_bonus`, None when the table is empty."""
    found = list(_rows(frame, TEAM_BONUS_COLUMNS))
    if len(found) > 1:
        b.fail(b.place("team_bonus", [row_no for row_no, _ in found]), None, "只能有一行", "only one row")
    if not found:
        return None
    row_no, row = found[0]
    where = b.place("team_bonus", row_no)
    b.places["pay.team_bonus"] = where
    team_bonus = {"metric": b.text(row.get("metric")), "split": b.text(row.get("split")) or "equal"}
    if team_bonus["metric"] is None:
        b.fail(where, "metric", "请选择指标", "choose a metric")
    for column in ("target", "pool"):
        value = b.number(row.get(column), where, column)
        if _blank(row.get(column)):
            b.fail(where, column, "必填", "required")
        if value is not None:
            team_bonus[column] = value
    return team_bonus


_PATH = re.compile(r"^(?P<path>[\w.\[\]*]+): (?P<rest>.*)$", re.S)
_FIELD_COLUMNS = {"tiers": "threshold"}  # a bonus tier error (a repeated threshold) is about the thresholds


def _translate(line: str, b: _Builder) -> str:
    """`kpi[1].weight: …` → `考核指标 第2行 权重: …` (the longest known prefix wins)."""
    found = _PATH.match(line)
    if not found:
        return line
    path = found.group("path")
    for prefix in sorted(b.places, key=len, reverse=True):
        if path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "["):
            tail = path[len(prefix):]
            element = re.match(r"^\[(\d)\]", tail)
            if element and prefix in b.pair_columns:
                column = b.pair_columns[prefix][int(element.group(1))]
            else:
                column = re.sub(r"^\.|\[\d+\]", "", tail).split(".")[0]
            column = _FIELD_COLUMNS.get(column, column)
            label = f" {COLUMN_LABELS[column][0]}" if column in COLUMN_LABELS else ""
            return f"{b.places[prefix]}{label}: {found.group('rest')}"
    return line


def parse_amounts(text: str) -> list[float]:
    """`500, 300, 200` (or with 、，；) → [500, 300, 200]; a non-number is named."""
    amounts = []
    for position, part in enumerate((p for p in re.split(r"[,，、;；\s]+", text or "") if p), start=1):
        cleaned = re.sub(r"[¥￥元]", "", part)
        try:
            number = float(cleaned)
        except ValueError:
            raise SchemeError([f"名次奖 第{position}项: “{part}”不是金额 — rank award {position} is not a number"],
                              "what-if") from None
        amounts.append(int(number) if number.is_integer() else number)
    return amounts


# -- what changed ----------------------------------------------------------------------------


SETTING_LABELS = {
    "kpi": "考核指标", "bonus": "奖金", "penalty": "扣款", "pay": "薪酬", "group_by": "比较组",
    "weight": "权重", "method": "计分方法", "cap": "封顶", "min_n": "最少样本", "target": "目标值",
    "worst": "0分值", "best": "100分值", "bands": "分档", "tiers": "档位", "per_unit": "每单位扣款",
    "performance_pay": "绩效工资", "coefficients": "系数档", "commission": "提成档",
    "commission_times_coefficient": "提成乘系数", "rank_awards": "名次奖", "team_bonus": "团队奖",
    "floor_at_base": "不低于底薪", "levels": "级别底薪",
}


def variant_description(base: Scheme, note: str) -> str:
    """A scheme saved under a new name from `base`: its description says what was changed
    first, since the base's text (a preset's "询单转化 30%…") no longer describes its figures,
    and keeps the base's, whose sources still explain where the rest comes from."""
    return (f"在「{base.name}」上修改：{note} — edited from {base.name}: {note}"
            + (f"\n原说明 — {base.name}'s description: {base.description}" if base.description else ""))


def describe_changes(base: Scheme, changed: Scheme) -> list[str]:
    """One line per changed setting, as a supervisor reads it (`考核指标 询单转化率 · 权重: 30 → 90`),
    for the default save note and the link panel."""
    before, after = _flat(base), _flat(changed)
    lines = []
    for key in list(before) + [k for k in after if k not in before]:
        old, new = before.get(key), after.get(key)
        if old != new:
            lines.append(f"{key}: {_shown(old)} → {_shown(new)}")
    return lines


def _flat(scheme: Scheme) -> dict[str, object]:
    data = scheme_to_dict(scheme)
    flat: dict[str, object] = {SETTING_LABELS["group_by"]: data["group_by"]}
    for table, keyed in (("kpi", "metric"), ("bonus", "metric"), ("penalty", "metric")):
        for item in data.get(table, []):
            for key, value in item.items():
                if key != keyed:
                    name = f"{SETTING_LABELS[table]} {metric_label(item[keyed])} · {SETTING_LABELS.get(key, key)}"
                    flat[name] = value
    for key, value in data["pay"].items():
        flat[f"{SETTING_LABELS['pay']} · {SETTING_LABELS.get(key, key)}"] = value
    for level, base_salary in data.get("levels", {}).items():
        flat[f"{SETTING_LABELS['levels']} · {level}"] = base_salary
    return flat


def _shown(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_shown(v)}" for k, v in value.items()) + "}"
    return _plain(value)


# -- the shareable link --------------------------------------------------------------------


def encode_scenario(scheme: Scheme, base_name: str | None = None, base_version: int | None = None) -> str:
    """The scenario as one URL-safe token: base64url(zlib(TOML)), without padding."""
    document: dict = {"format": SCENARIO_FORMAT}
    if base_name is not None:
        document["base"] = base_name
    if base_version is not None:
        document["base_version"] = int(base_version)
    document["scheme"] = scheme_to_dict(scheme)
    raw = zlib.compress(tomli_w.dumps(document).encode("utf-8"), 9)
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_scenario(token: str) -> Scenario:
    """The scenario of a shared link; ScenarioError or SchemeError with a message to show."""
    token = (token or "").strip()
    if not token:
        raise ScenarioError("链接中没有方案 — the link holds no scenario")
    if len(token) > MAX_LINK_CHARS:
        raise ScenarioError(f"方案链接过长 ({len(token)} 个字符) — the scenario link is too long")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        inflater = zlib.decompressobj()
        text = inflater.decompress(raw, MAX_TOML_BYTES)
        if inflater.unconsumed_tail:
            raise ScenarioError("方案链接内容过大 — the scenario in the link is too large")
        if not inflater.eof:
            raise zlib.error("truncated")
        document = tomllib.loads(text.decode("utf-8"))
    except (binascii.Error, ValueError, zlib.error, UnicodeDecodeError) as exc:
        if isinstance(exc, ScenarioError):
            raise
        raise ScenarioError(
            "链接中的方案无法读取，链接可能被截断或改动过 — the scenario in the link cannot be read; "
            "the link may be cut off or altered"
        ) from None
    if document.get("format") != SCENARIO_FORMAT or not isinstance(document.get("scheme"), dict):
        raise ScenarioError("链接中的方案格式不受支持 — unsupported scenario format in the link")
    scheme = parse_scheme(document["scheme"], "分享链接 (shared link)")
    base_version = document.get("base_version")
    return Scenario(
        scheme=scheme,
        base_name=document.get("base") if isinstance(document.get("base"), str) else None,
        base_version=base_version if isinstance(base_version, int) else None,
    )


# -- the ranking the panel shows -------------------------------------------------------------


def ranking_rows(agents: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """A what-if (or side-by-side) agent frame with a display name and a ▲▼ move column."""
    frame = agents.copy()
    names = frame["name"] if "name" in frame.columns else pd.Series(None, index=frame.index, dtype=object)
    frame["who"] = [a if _blank(n) or n == a else f"{n} ({a})" for n, a in zip(names, frame["agent"])]
    frame["move"] = frame["rank_move"].map(lambda move: rank_move(move, lang))
    return frame
