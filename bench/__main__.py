"""`python -m bench [--quick] [--only NAME ...] [--profile]` — see bench/__init__.py."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time

from bench import cases, report
from bench.data import FULL, QUICK, ensure_data

GROUPS = ("import", "leaderboard", "whatif", "trend", "pages")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1/10 scale (200 agents, 1M sessions), for iteration")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help=f"run only these groups (repeat or comma-separate): {', '.join(GROUPS)}")
    parser.add_argument("--profile", action="store_true",
                        help="also profile one run of each case (cProfile) into bench/out/<scale>/profiles/")
    parser.add_argument("--runs", type=int, help="warm runs per query case (default 9)")
    parser.add_argument("--import-runs", type=int, help="runs per import case (default 5 at full scale, 3 quick)")
    args = parser.parse_args(argv)
    only = [name.strip() for item in args.only for name in item.split(",") if name.strip()]
    unknown = sorted(set(only) - set(GROUPS))
    if unknown:
        parser.error(f"unknown --only {', '.join(unknown)}; choose from {', '.join(GROUPS)}")
    args.groups = only or list(GROUPS)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    started = time.perf_counter()
    load_at_start = os.getloadavg()[0]
    scale = QUICK if args.quick else FULL
    if args.runs:
        scale = dataclasses.replace(scale, query_runs=args.runs)
    if args.import_runs:
        scale = dataclasses.replace(scale, import_runs=args.import_runs)
    print(f"bench: {scale.name} scale — {scale.agents:,} agents, {scale.agent_days:,} agent-days, "
          f"{scale.sessions:,} sessions; running {', '.join(args.groups)}", flush=True)
    files = ensure_data(scale, log=lambda m: print(m, flush=True))
    print(f"  data ready in {time.perf_counter() - started:.0f} s ({scale.dir})", flush=True)
    ctx = cases.Context(scale, files, args.profile, log=lambda m: print(m, flush=True))

    rows: list[cases.Row] = []
    if "import" in args.groups:
        rows += cases.imports(ctx)
    in_process = [g for g in ("leaderboard", "whatif", "trend") if g in args.groups]
    if in_process:
        from csperf.db import Database

        database = Database(files.database)  # closed before the pages open the file in a child
        try:
            if "leaderboard" in in_process:
                print("  leaderboard", flush=True)
                rows.append(cases.leaderboard(ctx, database))
            if "whatif" in in_process:
                print("  what-if", flush=True)
                rows += cases.whatif(ctx, database)
            if "trend" in in_process:
                print("  trend", flush=True)
                rows.append(cases.trends(ctx, database))
        finally:
            database.close()
    if "pages" in args.groups:
        rows += cases.pages(ctx)

    wall = time.perf_counter() - started
    print()
    report.print_table(rows)
    full_run = scale.name == "full" and set(args.groups) == set(GROUPS)
    saved = report.save(rows, scale, wall, (load_at_start, os.getloadavg()[0]), update_results_md=full_run)
    print(f"\n{sum(r.passed is True for r in rows)} passed, {sum(r.passed is False for r in rows)} missed; "
          f"{wall / 60:.1f} min; written to {saved}" + (" and bench/RESULTS.md" if full_run else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
