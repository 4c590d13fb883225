"""The results table, the machine it was measured on, and bench/RESULTS.md.

A full-scale run of every case rewrites only the generated block of RESULTS.md; the
notes on missed targets around it are written by a person who read the profiles.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from dataclasses import asdict
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from bench.cases import Row
from bench.data import BENCH_DIR, Scale
from bench.measure import ROOT

RESULTS = BENCH_DIR / "RESULTS.md"
START, END = "<!-- generated:start -->", "<!-- generated:end -->"
PACKAGES = ("duckdb", "pandas", "numpy", "pyarrow", "streamlit")


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = int(line.split()[1]) * 1024
    except OSError:
        pass
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "—"
    return {
        "cpu": cpu,
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "ram_gib": round(ram / 2**30, 1) if ram else None,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "packages": versions,
        "commit": _commit(),
    }


def _commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
        return head + (" + uncommitted changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _status(row: Row) -> str:
    return {True: "PASS", False: "MISS", None: "n/a"}[row.passed]


def table(rows: list[Row]) -> str:
    lines = ["| case | what | csperf | raw DuckDB | ratio | target | result | note |",
             "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        cells = [row.case, row.what, row.ours, row.raw, row.ratio, row.target, _status(row), row.note]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines)


def block(rows: list[Row], scale: Scale, info: dict, wall_s: float, load: tuple[float, float]) -> str:
    packages = ", ".join(f"{k} {v}" for k, v in info["packages"].items())
    missed = sum(r.passed is False for r in rows)
    passed = sum(r.passed is True for r in rows)
    return "\n".join([
        f"Measured {datetime.now():%Y-%m-%d %H:%M} at **{scale.name} scale**: {scale.agents:,} agents in "
        f"{scale.shops} shops, {scale.days} days ({scale.first_day} – {scale.last_day}) = "
        f"{scale.agent_days:,} agent-days; session log {scale.sessions:,} rows over {scale.session_days} days. "
        f"Medians of {scale.import_runs} runs per import and {scale.query_runs}+ warm runs per query "
        f"(both sides interleaved).",
        "",
        f"Machine: {info['cpu']}, {info['cores']} cores, {info['ram_gib']} GiB RAM, {info['os']}; "
        f"Python {info['python']}; {packages}; csperf at {info['commit']}. Load average (1 min) "
        f"{load[0]:.1f} at the start, {load[1]:.1f} at the end (above {info['cores']}, other processes "
        f"competed for the cores: that inflates absolute times more than the ratios).",
        "",
        table(rows),
        "",
        f"{passed} passed, {missed} missed, {len(rows) - passed - missed} not measured; "
        f"whole run {wall_s / 60:.1f} min.",
    ])


def save(rows: list[Row], scale: Scale, wall_s: float, load: tuple[float, float], *,
         update_results_md: bool) -> Path:
    info = machine()
    text = block(rows, scale, info, wall_s, load)
    out = scale.dir / "results.md"
    out.write_text(text + "\n", encoding="utf-8")
    (scale.dir / "results.json").write_text(json.dumps(
        {"scale": scale.name, "machine": info, "load": load, "wall_s": wall_s, "rows": [asdict(r) for r in rows]},
        ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    if update_results_md:
        _update_results(text)
    return out


def _update_results(text: str) -> None:
    current = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else f"# Benchmark results\n\n{START}\n{END}\n"
    if START not in current or END not in current:
        current = current.rstrip() + f"\n\n{START}\n{END}\n"
    head, rest = current.split(START, 1)
    _old, tail = rest.split(END, 1)
    RESULTS.write_text(f"{head}{START}\n{text}\n{END}{tail}", encoding="utf-8")


def print_table(rows: list[Row]) -> None:
    print(table(rows))
    sys.stdout.flush()
