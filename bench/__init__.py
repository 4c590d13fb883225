"""Performance at scale: seeded agency-sized data and side-by-side timings with targets.

The targets are ratios to the raw engine (DuckDB) measured in the same run, so they hold
on any machine; the absolute targets (what-if, page reruns) are the user's own budget.
Run `python -m bench` (full scale) or `python -m bench --quick` (1/10) — never part of
`make test`, because timings do not belong in a pass/fail test suite.
"""
