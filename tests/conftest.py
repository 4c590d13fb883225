"""Shared fixtures: an in-memory database, and a populated database file for the app tests."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from contextlib import contextmanager
from datetime import date, timedelta

import pandas as pd
import pytest

from csperf.db import PROJECT_ROOT, Database, ImportMeta, close_all

SHOPS = {"旗舰店": ["小美", "阿强", "晓东", "新人"], "拼多多店": ["pdd01", "pdd02"]}
TEAMS = {"小美": "A组", "阿强": "A组", "晓东": "B组", "新人": "B组", "pdd01": "拼团组", "pdd02": "拼团组"}
# The scheme file of spec/scoring.md, verbatim.
SPEC_EXAMPLE = '''
name = "售前标准方案"          # any text
role = "presales"              # presales | aftersales | vip | all
period = "month"               # month | week | custom
group_by = "team"              # comparison group: team | shift | shop | all

[[kpi]]                        # one table per KPI; weights need not add to 100
metric = "conversion_rate"     # a KPI name from metrics.md
weight = 30
method = "vs_team"             # vs_team | target | linear | bands
cap = 1.2                      # vs_team/target: completion is clipped to [0, cap]
min_n = 30                     # optional: fewer denominator units than this -> KPI skipped

[[kpi]]
metric = "first_response_s"
weight = 10
method = "linear"
worst = 40                     # score 0 at worst, 100 at best, straight line between
best = 8                       # (best < worst means lower is better)

[[kpi]]
metric = "aov"
weight = 20
method = "bands"               # points of the highest threshold reached
bands = [[0, 50], [60, 80], [70, 100]]   # [threshold, points]; for a lower-is-better
                                         # metric the thresholds are upper bounds

[[bonus]]                      # the highest tier reached is paid, once
metric = "conversion_rate"
tiers = [[0.60, 1000], [0.70, 2000]]

[[bonus]]
metric = "sales"
tiers = [[200000, 500], [300000, 1000]]

[[penalty]]
metric = "bad_reviews"
per_unit = 50

[pay]
performance_pay = 2000         # scaled by the coefficient of the score band
coefficients = [[0, 0.6], [80, 0.8], [90, 0.9], [100, 1.0], [110, 1.2]]  # [min score, coefficient]
commission = [[0, 0.01], [150000, 0.015], [250000, 0.02]]  # [sales reached, rate on all sales]
commission_times_coefficient = false   # true: commission is also scaled by the coefficient
rank_awards = [500, 300, 200]  # 1st, 2nd, 3rd in the comparison group
team_bonus = { metric = "sales", target = 1000000, pool = 3000, split = "score" }  # split: equal | score
floor_at_base = true           # penalties never take pay below base salary
'''

PASSWORDS = {"owner": "owner-pass-1", "super": "super-pass-1", "viewer": "viewer-pass-1",
             "xiaomei": "agent-pass-1"}


@pytest.fixture
def db():
    database = Database(":memory:")
    yield database
    database.close()


def synthetic_facts(days: int = 60, end: date = date(2026, 10, 31), seed: int = 3) -> pd.DataFrame:
    """Six agents in two shops with plausible, internally consistent daily figures."""
    rng = random.Random(seed)
    rows = []
    for shop, agents in SHOPS.items():
        for agent in agents:
            skill = {"小美": 1.3, "新人": 0.6}.get(agent, 1.0)
            for offset in range(days):
                day = end - timedelta(days=days - 1 - offset)
                if agent == "新人" and offset < days - 20:
                    continue
                receptions = rng.randint(40, 120)
                inquiries = int(receptions * rng.uniform(0.4, 0.7))
                paid = int(inquiries * min(0.9, rng.uniform(0.2, 0.4) * skill))
                sales = round(paid * rng.uniform(90, 260), 2)
                first = rng.uniform(8, 40) / skill
                rows.append({
                    "shop": shop, "account": agent, "date_from": day, "date_to": day,
                    "provisional": offset >= days - 1,
                    "receptions": receptions, "inquiries": inquiries, "paid_buyers": paid,
                    "sales": sales, "sales_buyers": paid, "items": paid + rng.randint(0, paid),
                    "replied": receptions - rng.randint(0, 2),
                    "first_response_sum_s": first * receptions, "first_response_n": receptions,
                    "response_sum_s": first * 1.5 * receptions, "response_n": receptions,
                    "ratings": rng.randint(3, 10), "satisfied": None, "refund_amount": sales * 0.05,
                    "bad_reviews": rng.randint(0, 1), "workdays": 1,
                })
    frame = pd.DataFrame(rows)
    frame["satisfied"] = (frame["ratings"] * 0.9).round()
    return frame


def populate(database: Database) -> None:
    """Facts, a roster with teams and roles, and one user per role."""
    from csperf import auth

    database.apply_import(ImportMeta("synthetic.xlsx", "synthetic-sha", "generic"), synthetic_facts())
    with database.write() as cur:
        for shop, agents in SHOPS.items():
            for agent in agents:
                cur.execute(
                    "INSERT INTO roster (shop, account, name, team, role, level, base_salary, shift, excluded)"
                    " VALUES (?, ?, ?, ?, 'presales', 'mid', 3000, ?, false)",
                    [shop, agent, agent, TEAMS[agent], "夜班" if agent == "晓东" else "白班"],
                )
    auth.add_user(database, "owner", PASSWORDS["owner"], "owner")
    auth.add_user(database, "super", PASSWORDS["super"], "supervisor")
    auth.add_user(database, "viewer", PASSWORDS["viewer"], "viewer")
    auth.add_user(database, "xiaomei", PASSWORDS["xiaomei"], "agent", shop="旗舰店", account="小美")


@contextmanager
def held_by_another_process(path, inbox_folder=None):
    """The database file held open by a second process; with `inbox_folder`, one that
    watches that inbox for the database, as the running dashboard does."""
    watch = "from csperf import inbox; inbox.announce(d.path); " if inbox_folder else ""
    holder = subprocess.Popen(
        [sys.executable, "-c", f"from csperf.db import Database; import time; d = Database({str(path)!r}); "
                               f"{watch}print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
        env={**os.environ, "CSPERF_INBOX": str(inbox_folder)} if inbox_folder else None,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.kill()
        holder.wait(timeout=30)


@contextmanager
def app_database(tmp_path, monkeypatch, fill):
    """A database file that the app under test opens through CSPERF_DB, filled by `fill`,
    with Streamlit's caches and the process's open databases reset around the test."""
    import streamlit as st

    path = tmp_path / "app.duckdb"
    monkeypatch.setenv("CSPERF_DB", str(path))
    monkeypatch.setenv("CSPERF_INBOX", str(tmp_path / "inbox"))
    st.cache_data.clear()
    st.cache_resource.clear()
    close_all()
    database = Database(path)
    fill(database)
    database.close()
    try:
        yield path
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()
        close_all()


@pytest.fixture
def app_db(tmp_path, monkeypatch):
    """A populated database file (see populate) for the app tests."""
    with app_database(tmp_path, monkeypatch, populate) as path:
        yield path


def page_text(at) -> str:
    """Everything a reader could see: text elements, table cells and chart data."""
    parts = [e.value for kind in ("title", "subheader", "markdown", "caption", "success", "info", "warning", "error")
             for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [d.value.to_csv() for d in at.dataframe]
    parts += [json.dumps(json.loads(chart.proto.spec), ensure_ascii=False) for chart in at.get("plotly_chart")]
    return "\n".join(str(p) for p in parts)


def app_test(page: str | None = None, role: str = "owner"):
    """An AppTest of app.py, signed in as `role`, switched to `page` (a pages/ file)."""
    from streamlit.testing.v1 import AppTest

    from csperf import auth
    from csperf.db import open_db

    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=30)
    username = {"owner": "owner", "supervisor": "super", "viewer": "viewer", "agent": "xiaomei"}[role]
    at.session_state["user"] = auth.authenticate(open_db(), username, PASSWORDS[username])
    if page:
        at.switch_page(page)
    return at
