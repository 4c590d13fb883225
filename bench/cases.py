"""The benchmark cases of issue 6: each measures the product beside the raw engine.

"Raw" is what DuckDB alone needs for the same answer on the same machine in the same
run: its own read_csv for an import, one hand-written query for the leaderboard's and
the trend's figures. The product's side always goes through the functions the CLI and
the pages call (csperf.importer.import_files, queries.agent_kpis + scoring.score,
scoring.what_if, queries.trend, the pages in AppTest).
"""

from __future__ import annotations

import copy
import dataclasses
import importlib.util
import shutil
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from bench.data import DataFiles, Scale, scratch_dir
from bench.measure import ROOT, interleaved, profile_to, run_child
from csperf.metrics import PART_MEASURES, RATIO_KPIS, SUM_KPIS

GB = 1024**3
IMPORT_RATE_TARGET = 0.7
IMPORT_MEMORY_TARGET = 1 * GB
QUERY_RATIO_TARGET = 2.0
WHATIF_TARGET_S = 0.050
PAGE_TARGET_S = 0.300
PRESALES = "售前标准方案"
TREND_METRIC = "conversion_rate"
TREND_SHOP, TREND_TEAM = "店铺001", "售前A组"


@dataclass
class Row:
    """One line of the results table."""

    case: str
    what: str
    ours: str
    raw: str
    ratio: str
    target: str
    passed: bool | None  # None: could not be measured (says why in `note`)
    note: str = ""
    figures: dict = field(default_factory=dict)


@dataclass
class Context:
    scale: Scale
    files: DataFiles
    profile: bool
    log: object = print

    def profile_path(self, case: str) -> Path:
        return self.scale.dir / "profiles" / f"{case}.txt"

    def log_path(self, case: str) -> Path:
        return self.scale.dir / "logs" / f"{case}.log"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _unavailable(case: str, what: str, target: str, why: str) -> Row:
    return Row(case, what, "—", "—", "—", target, None, why)


def _missing_module(name: str) -> bool:
    return importlib.util.find_spec(name) is None


# -- imports ------------------------------------------------------------------------------------

def imports(ctx: Context) -> list[Row]:
    files = ctx.files
    cases = [
        ("import-chitu-utf8", "import 赤兔 daily detail CSV, UTF-8", files.chitu_utf8, files.chitu_utf8,
         files.chitu_rows, ""),
        ("import-chitu-gb18030", "import 赤兔 daily detail CSV, GB18030", files.chitu_gb18030, files.chitu_utf8,
         files.chitu_rows,
         "raw = read_csv of the UTF-8 twin: DuckDB reads GB18030 only through its `encodings` extension, "
         "which it downloads at run time (not possible here)"),
        ("import-sessions", "import session log CSV", files.sessions, files.sessions, files.session_rows, ""),
    ]
    return [import_case(ctx, *case) for case in cases]


def import_case(ctx: Context, case: str, what: str, path: Path, raw_path: Path, rows: int, raw_note: str) -> Row:
    target = f"≥ {IMPORT_RATE_TARGET}× raw rate; peak RSS ≤ 1 GB"
    if _missing_module("csperf.importer"):
        return _unavailable(case, what, target, "csperf/importer.py is not there yet")
    scratch = scratch_dir(ctx.scale)
    ours, raw, peaks, raw_peaks = [], [], [], []
    stored: dict = {}
    for run in range(ctx.scale.import_runs):
        ctx.log(f"  {case}: run {run + 1}/{ctx.scale.import_runs}")
        mine = run_child(["import", "--db", str(scratch / f"{case}.duckdb"), "--file", str(path)], ctx.log_path(case))
        if not mine.ok:
            return Row(case, what, "failed", "—", "—", target, False, mine.payload.get("error", "failed"))
        ours.append(mine.payload["elapsed"])
        peaks.append(mine.peak_rss)
        stored = {k: mine.payload[k] for k in ("facts", "current_facts", "sessions", "summary")}
        theirs = run_child(["raw-csv", "--db", str(scratch / f"{case}-raw.duckdb"), "--file", str(raw_path)],
                           ctx.log_path(case))
        if not theirs.ok:
            return Row(case, what, "—", "failed", "—", target, None, theirs.payload.get("error", "failed"))
        raw.append(theirs.payload["elapsed"])
        raw_peaks.append(theirs.peak_rss)
    if ctx.profile:
        ctx.log(f"  {case}: profiling one more run")
        run_child(["import", "--db", str(scratch / f"{case}.duckdb"), "--file", str(path),
                   "--profile", str(ctx.profile_path(case))], ctx.log_path(case))
    ours_s, raw_s = _median(ours), _median(raw)
    rate, raw_rate = rows / ours_s, rows / raw_s
    ratio = rate / raw_rate
    peak = max(peaks)
    notes = [raw_note] if raw_note else []
    kept = stored["sessions"] if case == "import-sessions" else stored["current_facts"]
    if kept != rows:
        notes.append(f"stored {kept:,} of {rows:,} rows")
    passed = ratio >= IMPORT_RATE_TARGET and peak <= IMPORT_MEMORY_TARGET
    return Row(
        case, what,
        f"{ours_s:.1f} s, {rate / 1000:,.0f}k rows/s, peak {peak / 2**20:,.0f} MiB",
        f"{raw_s:.1f} s, {raw_rate / 1000:,.0f}k rows/s, peak {max(raw_peaks) / 2**20:,.0f} MiB",
        f"{ratio:.2f}× rate",
        target, passed, "; ".join(notes),
        {"rows": rows, "ours_s": ours, "raw_s": raw, "peak_rss": peaks, "raw_peak_rss": raw_peaks, "stored": stored},
    )


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


# -- the leaderboard's figures ------------------------------------------------------------------

def raw_leaderboard_sql() -> str:
    """One query: per agent every catalogue KPI with its Σnum/Σden, the comparison group's
    value (pooled for ratios, mean per agent for sums) and agent ÷ group, plus QA."""
    ratio_parts, ratio_values, group_values = [], [], []
    for k in RATIO_KPIS:
        both = f"f.{k.num} IS NOT NULL AND f.{k.den} IS NOT NULL"
        ratio_parts.append(f"sum(f.{k.num}) FILTER (WHERE {both}) AS {k.name}_num, "
                           f"sum(f.{k.den}) FILTER (WHERE {both}) AS {k.name}_n")
        ratio_values.append(f"{k.name}_num / nullif({k.name}_n, 0) AS {k.name}")
        group_values.append(f"sum({k.name}_num) OVER g / nullif(sum({k.name}_n) OVER g, 0) AS {k.name}_team")
    sums = [f"sum(f.{name}) AS {name}" for name in (*(k.name for k in SUM_KPIS), *PART_MEASURES)]
    # a count's group value is the mean per agent who worked (workdays > 0 or unknown)
    group_sums = [f"avg({k.name}) FILTER (WHERE coalesce(workdays, 1) > 0) OVER g AS {k.name}_team" for k in SUM_KPIS]
    return f"""
    WITH a AS (
        SELECT f.shop, f.account AS agent, any_value(r.team) AS team, any_value(r.role) AS role,
               any_value(r.name) AS name, any_value(r.shift) AS shift, any_value(r.level) AS level,
               {", ".join(ratio_parts)}, {", ".join(sums)},
               count(*) FILTER (WHERE f.provisional) AS provisional_rows
        FROM facts f LEFT JOIN roster r ON r.shop = f.shop AND r.account = f.account
        WHERE f.current AND f.date_from >= $from AND f.date_to <= $to AND NOT coalesce(r.excluded, false)
        GROUP BY f.shop, f.account
    ), v AS (
        SELECT a.*, {", ".join(ratio_values)}, q.qa_score
        FROM a LEFT JOIN (SELECT shop, account, avg(qa_score) AS qa_score FROM qa_scores
                          WHERE month BETWEEN date_trunc('month', $from) AND $to GROUP BY ALL) q
             ON q.shop = a.shop AND q.account = a.agent
    ), t AS (
        SELECT v.*, {", ".join(group_values)}, {", ".join(group_sums)}
        FROM v WINDOW g AS (PARTITION BY shop, team, role)
    )
    SELECT t.*, {", ".join(f"{k.name} / nullif({k.name}_team, 0) AS {k.name}_vs_team"
                           for k in (*RATIO_KPIS, *SUM_KPIS))}
    FROM t ORDER BY shop, team NULLS LAST, agent
    """


def _month(scale: Scale) -> tuple[date, date]:
    return scale.last_day.replace(day=1), scale.last_day


def _presales(database):
    from csperf import schemes

    schemes.ensure_presets(database)
    return schemes.get_scheme(database, PRESALES)[0]


def _same_figures(ours: pd.DataFrame, raw: pd.DataFrame, columns: list[str], keys: list[str]) -> str:
    """'' when both sides agree on `columns`; otherwise what differs (a wrong raw query
    would make every ratio meaningless)."""
    merged = ours.merge(raw, on=keys, suffixes=("", "_raw"), how="outer", indicator=True)
    if (merged["_merge"] != "both").any():
        return f"row sets differ ({len(ours)} vs {len(raw)} rows)"
    for column in columns:
        a = pd.to_numeric(merged[column], errors="coerce").astype(float)
        b = pd.to_numeric(merged[f"{column}_raw"], errors="coerce").astype(float)
        close = ((a - b).abs() <= 1e-9 * (1 + b.abs())) | (a.isna() & b.isna())
        if not close.all():
            return f"{column} differs on {(~close).sum()} rows"
    return ""


def leaderboard(ctx: Context, database) -> Row:
    case, what = "leaderboard", "leaderboard data: agent_kpis + score, one month"
    target = f"≤ {QUERY_RATIO_TARGET:g}× raw"
    if _missing_module("csperf.scoring") or _missing_module("csperf.schemes"):
        return _unavailable(case, what, target, "csperf/scoring.py or csperf/schemes.py is not there yet")
    from csperf import queries, scoring

    scheme = _presales(database)
    start, end = _month(ctx.scale)
    sql = raw_leaderboard_sql()
    holder: dict = {}

    def ours():
        kpis = queries.agent_kpis(database, start, end, group_by=scheme.group_by)
        holder["kpis"] = kpis
        holder["scored"] = scoring.score(kpis, scheme)

    def raw():
        holder["raw"] = database.query(sql, {"from": start, "to": end})

    timings = interleaved({"ours": ours, "raw": raw}, ctx.scale.query_runs)
    if ctx.profile:
        profile_to(ctx.profile_path(case), ours)
    differs = _same_figures(holder["kpis"], holder["raw"],
                            ["conversion_rate", "conversion_rate_team", "receptions_team", "aov_vs_team",
                             "qa_score"], ["shop", "agent"])
    return _ratio_row(case, what, timings, target, QUERY_RATIO_TARGET,
                      f"{len(holder['scored']):,} agents scored" + (f"; MISMATCH: {differs}" if differs else ""),
                      bad=bool(differs))


def _ratio_row(case, what, timings, target, limit, note, bad=False) -> Row:
    ours, raw = timings["ours"].median, timings["raw"].median
    ratio = ours / raw
    return Row(case, what, _ms(ours), _ms(raw), f"{ratio:.2f}×", target, ratio <= limit and not bad, note,
               {"ours_s": timings["ours"].samples, "raw_s": timings["raw"].samples})


# -- what-if ---------------------------------------------------------------------------------------

def whatif(ctx: Context, database) -> list[Row]:
    target = f"≤ {WHATIF_TARGET_S * 1000:.0f} ms"
    if _missing_module("csperf.scoring") or _missing_module("csperf.schemes"):
        return [_unavailable("whatif", "what-if recompute", target,
                             "csperf/scoring.py or csperf/schemes.py is not there yet")]
    from csperf import queries, scoring

    baseline = _presales(database)
    start, end = _month(ctx.scale)
    kpis = queries.agent_kpis(database, start, end, group_by=baseline.group_by)
    weights = copy.deepcopy(baseline)
    for rule in weights.kpis:
        if rule.metric == "conversion_rate":
            rule.weight, rule.cap = 40, 1.3
    regrouped = dataclasses.replace(copy.deepcopy(baseline), group_by="shift")
    rows = []
    for case, what, changed in (
        ("whatif-weights", "what-if: conversion weight 30→40, cap 1.3", weights),
        ("whatif-group", "what-if: comparison group team→shift", regrouped),
    ):
        timings = interleaved({"ours": lambda c=changed: scoring.what_if(kpis, baseline, c)},
                              max(ctx.scale.query_runs, 21))
        if ctx.profile:
            profile_to(ctx.profile_path(case), lambda c=changed: scoring.what_if(kpis, baseline, c))
        median = timings["ours"].median
        rows.append(Row(case, f"{what} ({len(kpis):,} agents)", _ms(median), "—", "—", target,
                        median <= WHATIF_TARGET_S, timings["ours"].spread(), {"ours_s": timings["ours"].samples}))
    return rows


# -- trends ------------------------------------------------------------------------------------------

RAW_TREND_SQL = """
SELECT f.date_from AS period,
       sum(f.paid_buyers) FILTER (WHERE f.paid_buyers IS NOT NULL AND f.inquiries IS NOT NULL)
         / nullif(sum(f.inquiries) FILTER (WHERE f.paid_buyers IS NOT NULL AND f.inquiries IS NOT NULL), 0) AS value,
       sum(f.inquiries) FILTER (WHERE f.paid_buyers IS NOT NULL AND f.inquiries IS NOT NULL) AS n
FROM facts f JOIN roster r ON r.shop = f.shop AND r.account = f.account
WHERE f.current AND f.date_from >= $from AND f.date_to <= $to AND f.shop = $shop AND r.team = $team
  AND NOT coalesce(r.excluded, false)
GROUP BY f.date_from ORDER BY period
"""


def trends(ctx: Context, database) -> Row:
    from csperf import queries

    case, what = "trend", f"trend: {TREND_METRIC} by day, one year, one team"
    end = ctx.scale.last_day
    start = end - timedelta(days=364)
    holder: dict = {}

    def ours():
        holder["ours"] = queries.trend(database, TREND_METRIC, start, end, grain="day", shop=TREND_SHOP,
                                       team=TREND_TEAM)

    def raw():
        holder["raw"] = database.query(RAW_TREND_SQL, {"from": start, "to": end, "shop": TREND_SHOP,
                                                       "team": TREND_TEAM})

    timings = interleaved({"ours": ours, "raw": raw}, ctx.scale.query_runs)
    if ctx.profile:
        profile_to(ctx.profile_path(case), ours)
    differs = _same_figures(holder["ours"], holder["raw"], ["value", "n"], ["period"])
    return _ratio_row(case, what, timings, f"≤ {QUERY_RATIO_TARGET:g}× raw", QUERY_RATIO_TARGET,
                      f"{len(holder['ours'])} days" + (f"; MISMATCH: {differs}" if differs else ""),
                      bad=bool(differs))


# -- pages ---------------------------------------------------------------------------------------------

PAGES = (("page-leaderboard", "pages/2_leaderboard.py", "leaderboard page rerun (AppTest)"),
         ("page-overview", "pages/1_overview.py", "overview page rerun (AppTest)"))


def pages(ctx: Context) -> list[Row]:
    rows = []
    target = f"≤ {PAGE_TARGET_S * 1000:.0f} ms"
    inbox = scratch_dir(ctx.scale) / "inbox"
    shutil.rmtree(inbox, ignore_errors=True)
    for case, page, what in PAGES:
        if not (ROOT / page).exists():
            rows.append(_unavailable(case, what, target, f"{page} is not there yet"))
            continue
        ctx.log(f"  {case}")
        args = ["page", "--db", str(ctx.files.database), "--inbox", str(inbox), "--page", page,
                "--runs", str(ctx.scale.query_runs)]
        if ctx.profile:
            args += ["--profile", str(ctx.profile_path(case))]
        child = run_child(args, ctx.log_path(case))
        if not child.ok:
            rows.append(Row(case, what, "failed", "—", "—", target, None, child.payload.get("error", "failed")))
            continue
        reruns = sorted(child.payload["reruns"])
        median = _median(reruns)
        rows.append(Row(case, what, _ms(median), "—", "—", target, median <= PAGE_TARGET_S,
                        f"first run {_ms(child.payload['first'])}; reruns {_ms(reruns[0])}–{_ms(reruns[-1])}; "
                        f"{child.payload['alerts']:,} st.error/st.warning boxes on the page",
                        {"first_s": child.payload["first"], "reruns_s": child.payload["reruns"],
                         "alerts": child.payload["alerts"], "peak_rss": child.peak_rss}))
    return rows
