"""Timing and memory, measured the same way on both sides of every comparison.

In-process timings take the median of several warm runs with both sides interleaved, so
a drift of the machine (another process, the page cache) hits both alike. Imports run in
a child process each, and the child reports its own peak resident memory (VmHWM). Not
the parent's rusage of the child: Linux carries the parent's high-water mark into a
forked child's ru_maxrss across exec, so every child of a big parent "peaks" at the
parent's size (seen here: 2.7 GB for a 300 MB child after data generation).
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULT_MARK = "BENCH-RESULT "


@dataclass
class Timing:
    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else float("nan")

    def spread(self) -> str:
        if len(self.samples) < 2:
            return ""
        return f"runs {min(self.samples) * 1000:.1f}–{max(self.samples) * 1000:.1f} ms"


def interleaved(sides: dict[str, Callable[[], object]], runs: int, warmup: int = 1) -> dict[str, Timing]:
    """Median-ready timings of each side, run in turn (warm-up runs are not kept)."""
    timings = {name: Timing() for name in sides}
    for round_no in range(warmup + runs):
        for name, fn in sides.items():
            start = time.perf_counter()
            fn()
            elapsed = time.perf_counter() - start
            if round_no >= warmup:
                timings[name].samples.append(elapsed)
    return timings


def profile_to(path: Path, fn: Callable[[], object], top: int = 40) -> None:
    """One run of `fn` under cProfile; the top entries by cumulative and by own time."""
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        fn()
    finally:
        profiler.disable()
    write_profile(path, profiler, top)


def write_profile(path: Path, profiler: cProfile.Profile, top: int = 40) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    path.write_text(text.getvalue())


@dataclass
class ChildRun:
    payload: dict
    peak_rss: int  # bytes
    exit_code: int
    log: Path

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and "error" not in self.payload


def run_child(args: list[str], log: Path, env: dict[str, str] | None = None) -> ChildRun:
    """`python -m bench.worker ARGS` in a fresh process; its JSON answer and peak RSS."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as err:
        err.write(f"\n$ bench.worker {' '.join(args)}\n".encode())
        err.flush()
        proc = subprocess.run(
            [sys.executable, "-m", "bench.worker", *args],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=err, env={**os.environ, **(env or {})},
        )
    out = proc.stdout.decode("utf-8", "replace")
    lines = [line for line in out.splitlines() if line.startswith(RESULT_MARK)]
    payload = json.loads(lines[-1][len(RESULT_MARK):]) if lines else {
        "error": f"worker exited {proc.returncode} without a result; see {log}"}
    return ChildRun(payload, int(payload.get("peak_rss", 0)), proc.returncode, log)


def peak_rss() -> int:
    """This process's peak resident memory since it started (bytes; 0 where unknown)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def answer(payload: dict) -> None:
    """The worker's side of run_child: the result, with the worker's peak memory."""
    payload = {**payload, "peak_rss": peak_rss()}
    print(RESULT_MARK + json.dumps(payload, ensure_ascii=False, default=str), flush=True)
