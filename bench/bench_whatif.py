"""How fast the what-if panel can rescore a large shop group (target: ≤ 50 ms median).

2,000 agents in 80 teams over 4 shops, the shipped pre-sales preset against a copy with
other weights and comparison by shift. Run: .venv/bin/python bench/bench_whatif.py
"""

from __future__ import annotations

import copy
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

from csperf.metrics import RATIO_KPIS, SUM_KPIS
from csperf.scheme import load_scheme
from csperf.scoring import what_if

AGENTS = 2_000
TEAMS = 80
RUNS = 20


def synthetic_kpis(seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    team = rng.integers(0, TEAMS, AGENTS)
    frame = {
        "agent": [f"agent{i:04d}" for i in range(AGENTS)],
        "shop": [f"shop{t % 4}" for t in team],
        "team": [f"team{t:02d}" for t in team],
        "role": "presales",
        "shift": rng.choice(["早班", "晚班", None], AGENTS),
        "level": rng.choice(["junior", "mid", "senior"], AGENTS),
        "name": [f"客服{i}" for i in range(AGENTS)],
        "base_salary": np.where(rng.random(AGENTS) < 0.1, np.nan, rng.choice([1500.0, 2200.0, 3000.0], AGENTS)),
    }
    for kpi in RATIO_KPIS:
        n = rng.integers(0, 400, AGENTS).astype(float)
        num = n * rng.uniform(0.2, 1.0, AGENTS) * (30 if kpi.unit in ("s", "cny") else 1)
        frame[f"{kpi.name}_num"], frame[f"{kpi.name}_n"] = num, n
        with np.errstate(divide="ignore", invalid="ignore"):
            frame[kpi.name] = np.where(n > 0, num / n, np.nan)
    for kpi in SUM_KPIS:
        if kpi.unit == "cny":
            frame[kpi.name] = rng.uniform(20_000, 400_000, AGENTS)
        else:
            frame[kpi.name] = rng.poisson(2 if kpi.lower_is_better else 800, AGENTS).astype(float)
    frame["qa_score"] = np.where(rng.random(AGENTS) < 0.2, np.nan, rng.uniform(60, 100, AGENTS))
    return pd.DataFrame(frame)


def main() -> None:
    kpis = synthetic_kpis()
    baseline = load_scheme(Path(__file__).resolve().parent.parent / "csperf" / "presets" / "presales.toml")
    changed = copy.deepcopy(baseline)
    changed.group_by = "shift"
    changed.kpis[4].weight = 40
    changed.pay.performance_pay = 2500
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        result = what_if(kpis, baseline, changed)
        timings.append((time.perf_counter() - start) * 1000)
    print(f"what_if, {AGENTS} agents in {TEAMS} teams: median {statistics.median(timings):.1f} ms "
          f"(min {min(timings):.1f}, max {max(timings):.1f}) over {RUNS} runs; "
          f"payroll {result.payroll_old:,.2f} → {result.payroll_new:,.2f}")


if __name__ == "__main__":
    main()
