"""What the benchmark runs in a child process: an import, DuckDB's own CSV read, a page.

A child per measurement gives the importer's peak memory on its own and a page run
module state as fresh as a just-started server's. Each command prints one JSON answer
(measure.answer); the parent (measure.run_child) reads it with the child's rusage.
Opening the database and its migrations are left out of every timing, on both sides.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import time
from pathlib import Path

from bench.measure import ROOT, answer, write_profile


# The export's own "no value" marks: without them DuckDB's type sniffing cannot read the
# file at all (a '-' in the 汇总 line of an integer column); nothing else is parsed.
NULL_MARKS = ["", "-", "--", "延迟统计"]


def _fresh(path: Path) -> None:
    for leftover in (path, Path(str(path) + ".wal")):
        leftover.unlink(missing_ok=True)


def _stored(database) -> dict:
    return {
        "facts": int(database.scalar("SELECT count(*) FROM facts")),
        "current_facts": int(database.scalar("SELECT count(*) FROM facts WHERE current")),
        "sessions": int(database.scalar("SELECT count(*) FROM sessions")),
    }


def import_file(args) -> dict:
    """`csperf import FILE` into an empty database: csperf.importer.import_files, then close."""
    from csperf import importer
    from csperf.db import Database

    path = Path(args.db)
    _fresh(path)
    database = Database(path)
    calls = 0

    def progress(done, total, message=""):  # what the CLI's --quiet progress costs: nothing
        nonlocal calls
        calls += 1

    profiler = cProfile.Profile() if args.profile else None
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    results = importer.import_files(database, [Path(args.file)], user="bench", progress=progress)
    if profiler:
        profiler.disable()
    imported = time.perf_counter() - start
    errors = [r.error for r in results if getattr(r, "error", None)]
    stored = _stored(database)
    closing = time.perf_counter()
    database.close()
    elapsed = imported + time.perf_counter() - closing
    if profiler:
        write_profile(Path(args.profile), profiler)
    _fresh(path)
    out = {"elapsed": elapsed, "progress_calls": calls, **stored,
           "summary": [r.summary() for r in results if not getattr(r, "error", None)]}
    if errors:
        out["error"] = "; ".join(errors)
    return out


def raw_csv(args) -> dict:
    """DuckDB's own read_csv of the same file into a table of an empty database, then close.

    Types are DuckDB's own sniffing; percents and '8分48秒' stay text (nothing is parsed)."""
    from csperf.db import Database

    path = Path(args.db)
    _fresh(path)
    database = Database(path)
    start = time.perf_counter()
    with database.cursor() as cur:
        cur.execute("CREATE TABLE raw_csv AS SELECT * FROM read_csv(?, nullstr = ?)", [args.file, NULL_MARKS])
    imported = time.perf_counter() - start
    rows = int(database.scalar("SELECT count(*) FROM raw_csv"))
    closing = time.perf_counter()
    database.close()
    elapsed = imported + time.perf_counter() - closing
    _fresh(path)
    return {"elapsed": elapsed, "rows": rows}


def page_reruns(args) -> dict:
    """app.py signed in as the owner, switched to a page: the first run, then timed reruns."""
    os.environ["CSPERF_DB"] = str(Path(args.db).resolve())
    os.environ["CSPERF_INBOX"] = str(Path(args.inbox).resolve())
    Path(args.inbox).mkdir(parents=True, exist_ok=True)
    from streamlit.testing.v1 import AppTest

    from bench.data import OWNER
    from csperf import auth
    from csperf.db import open_db

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    user = auth.authenticate(open_db(), *OWNER)
    if user is None:
        return {"error": "the bench owner could not sign in"}
    at.session_state["user"] = user
    at.switch_page(args.page)
    start = time.perf_counter()
    at.run()
    first = time.perf_counter() - start
    problem = _page_problem(at)
    if problem:
        return {"error": f"{args.page}: {problem}", "first": first}
    reruns = []
    for _ in range(args.runs):
        start = time.perf_counter()
        at.run()
        reruns.append(time.perf_counter() - start)
    if args.profile:
        _profile_script_run(at, Path(args.profile))
    problem = _page_problem(at)
    if problem:
        return {"error": f"{args.page}: {problem}", "first": first}
    return {"first": first, "reruns": reruns, "alerts": len(at.error) + len(at.warning)}


def _profile_script_run(at, path: Path) -> None:
    """Profile one rerun where the page actually runs: in Streamlit's script thread."""
    from streamlit.runtime.scriptrunner.script_runner import ScriptRunner

    original = ScriptRunner._run_script
    profiler = cProfile.Profile()

    def profiled(self, *args, **kwargs):
        profiler.enable()
        try:
            return original(self, *args, **kwargs)
        finally:
            profiler.disable()

    ScriptRunner._run_script = profiled
    try:
        at.run()
    finally:
        ScriptRunner._run_script = original
    write_profile(path, profiler)


def _page_problem(at) -> str | None:
    """An exception the page raised (its own st.error alerts are content, not failures)."""
    if at.exception:
        return " / ".join(str(e.value)[:300] for e in at.exception)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.worker")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("import")
    p.add_argument("--db", required=True)
    p.add_argument("--file", required=True)
    p.add_argument("--profile")
    p.set_defaults(run=import_file)
    p = sub.add_parser("raw-csv")
    p.add_argument("--db", required=True)
    p.add_argument("--file", required=True)
    p.set_defaults(run=raw_csv)
    p = sub.add_parser("page")
    p.add_argument("--db", required=True)
    p.add_argument("--inbox", required=True)
    p.add_argument("--page", required=True)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--profile")
    p.set_defaults(run=page_reruns)
    args = parser.parse_args()
    try:
        answer(args.run(args))
    except Exception as exc:  # the parent reports it as a failed measurement
        import traceback

        traceback.print_exc()
        answer({"error": f"{type(exc).__name__}: {exc}"})


if __name__ == "__main__":
    main()
