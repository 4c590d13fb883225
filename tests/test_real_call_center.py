"""The real call-centre log (../shared/real/call_center_pwc.xlsx) imports as a session log
with no mapping, and the database then holds the figures a user can check by hand.

The expected figures are computed here straight from the workbook's cells with plain
Python, independently of csperf's parsers.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from csperf import importer

REAL = Path(__file__).resolve().parents[2] / "shared" / "real" / "call_center_pwc.xlsx"
pytestmark = pytest.mark.skipif(not REAL.exists(), reason="real data not present")


def hand_counts() -> tuple[dict, dict, dict]:
    rows = CalamineWorkbook.from_path(str(REAL)).get_sheet_by_index(0).to_python()
    header, data = rows[0], rows[1:]
    col = {name: i for i, name in enumerate(header)}
    agents: dict[str, dict] = defaultdict(lambda: defaultdict(float))
    days: dict[tuple[str, dt.date], int] = defaultdict(int)
    first_call: dict[str, tuple] = {}
    for row in data:
        agent = row[col["Agent"]]
        day_text = row[col["Date"]]  # "31-03-2021": day-month-year text
        d, m, y = (int(part) for part in day_text.split("-"))
        day = dt.date(y, m, d)
        a = agents[agent]
        a["calls"] += 1
        days[(agent, day)] += 1
        if row[col["Answered (Y/N)"]] == "Y":
            a["answered"] += 1
            a["speed_sum"] += row[col["Speed of answer in seconds"]]
            talk = row[col["AvgTalkDuration"]]
            a["talk_sum"] += talk.hour * 3600 + talk.minute * 60 + talk.second
        if row[col["Resolved"]] == "Y":
            a["resolved"] += 1
        rating = row[col["Satisfaction rating"]]
        if rating != "":
            a["ratings"] += 1
            a["rating_sum"] += rating
            a["satisfied"] += rating >= 4
        first_call.setdefault(agent, (row[col["Call Id"]], day, row[col["Time"]], row[col["Topic"]]))
    return agents, days, first_call


@pytest.fixture(scope="module")
def expected():
    return hand_counts()


@pytest.fixture
def imported(db):
    result = importer.import_file(db, REAL)
    return db, result


def test_recognised_as_a_session_log_without_mapping(imported):
    db, result = imported
    assert result.ok and result.format == "sessions"
    assert result.sessions == 5000 and result.skipped == []
    assert (result.period_from, result.period_to) == (dt.date(2021, 1, 1), dt.date(2021, 3, 31))
    assert result.shop == importer.DEFAULT_SHOP and result.shop_defaulted
    assert db.scalar("SELECT count(*) FROM sessions") == 5000


def test_per_agent_figures_match_hand_counts(imported, expected):
    db, _ = imported
    agents, _, _ = expected
    got = db.query(
        """SELECT account, sum(receptions) AS calls, sum(replied) AS answered, sum(resolved) AS resolved,
                  sum(first_response_sum_s) AS speed_sum, sum(first_response_n) AS speed_n,
                  sum(reception_sum_s) AS talk_sum, sum(ratings) AS ratings, sum(csat_sum) AS rating_sum,
                  sum(satisfied) AS satisfied
           FROM facts WHERE current GROUP BY account"""
    ).set_index("account")
    assert sorted(got.index) == sorted(agents) and len(agents) == 8
    for agent, a in agents.items():
        row = got.loc[agent]
        assert row["calls"] == a["calls"], agent
        assert row["answered"] == a["answered"], agent
        assert row["resolved"] == a["resolved"], agent
        assert row["speed_n"] == a["answered"], agent  # unanswered calls have no speed of answer
        assert row["speed_sum"] / row["speed_n"] == pytest.approx(a["speed_sum"] / a["answered"]), agent
        assert row["talk_sum"] == pytest.approx(a["talk_sum"]), agent
        assert row["ratings"] == a["ratings"] and row["rating_sum"] == a["rating_sum"], agent
        assert row["satisfied"] == a["satisfied"], agent


def test_agent_days_follow_the_day_first_dates(imported, expected):
    db, _ = imported
    _, days, _ = expected
    got = {(account, day): int(n) for account, day, n in
           db.rows("SELECT account, date_from, receptions FROM facts WHERE current")}
    assert got == days
    assert ("Diane", dt.date(2021, 3, 31)) in got  # "31-03-2021" is 31 March, not an error


def test_sessions_keep_their_own_details(imported, expected):
    db, _ = imported
    _, _, first_call = expected
    call_id, day, clock, topic = first_call["Diane"]
    row = db.query("SELECT * FROM sessions WHERE session_id = ?", [call_id]).iloc[0]
    assert row["account"] == "Diane" and row["topic"] == topic and row["day"].date() == day
    assert row["started_at"].to_pydatetime() == dt.datetime.combine(day, clock)


def test_the_overview_of_a_call_centre_shows_its_resolution_rate(tmp_path, monkeypatch, expected):
    from conftest import PASSWORDS, app_database, app_test

    from csperf import auth

    def fill(database):
        importer.import_file(database, REAL)
        auth.add_user(database, "owner", PASSWORDS["owner"], "owner")

    agents = expected[0]
    resolved = sum(a["resolved"] for a in agents.values()) / sum(a["calls"] for a in agents.values())  # Σresolved / Σcases
    with app_database(tmp_path, monkeypatch, fill):
        at = app_test("pages/1_overview.py", "owner")
        at.session_state["f_period"] = "quarter"  # the log's last 90 days
        at.run()
        assert not at.exception
        tiles = [m.label for m in at.metric]
        assert "解决率" in tiles and "销售额" not in tiles, tiles
        shown = next(m.value for m in at.metric if m.label == "解决率")
        assert shown == f"{resolved:.1%}", (shown, resolved)


def test_scoring_the_call_centre_with_the_after_sales_preset_says_its_bands_do_not_fit(tmp_path, capsys):
    """The preset's standards are set for e-commerce chat: every agent of this call centre
    scores under 80, so `csperf score` says the bands tell nobody apart and what to retune."""
    from csperf import cli
    from csperf.db import Database

    path = tmp_path / "call_centre.duckdb"
    database = Database(path)
    importer.import_file(database, REAL)
    database.close()
    assert cli.main(["--db", str(path), "score", "--from", "2021-01-01", "--to", "2021-01-31",
                     "--scheme", "售后标准方案", "--format", "csv"]) == 0
    err = capsys.readouterr().err
    assert "售后标准方案：全部 8 人得分都低于 80，绩效系数都是最低档（0.6）。满意率、回复率、首次响应时间(秒) 所有人都是 0 分。" in err
    assert "「模拟」页" in err and "All 8 agents score under 80" in err
