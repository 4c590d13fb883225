"""The query layer against hand-computed figures: Σnum/Σden, NULLs out of both sides, groups."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from csperf import queries
from csperf.db import ImportMeta

D1, D2 = date(2026, 10, 1), date(2026, 10, 2)


def load(db, rows, sha="sha"):
    frame = pd.DataFrame(rows)
    frame["date_to"] = frame["date_from"]
    frame["provisional"] = frame.get("provisional", False)
    db.apply_import(ImportMeta("f.xlsx", sha, "t"), frame)


def roster(db, rows):
    with db.write() as cur:
        for shop, account, team, role, excluded in rows:
            cur.execute("INSERT INTO roster (shop, account, name, team, role, excluded) VALUES (?, ?, ?, ?, ?, ?)",
                        [shop, account, account, team, role, excluded])


def test_conversion_is_pooled_not_a_mean_of_daily_rates(db):
    load(db, [{"shop": "s", "account": "a", "date_from": D1, "inquiries": 10, "paid_buyers": 9},
              {"shop": "s", "account": "a", "date_from": D2, "inquiries": 100, "paid_buyers": 10}])
    row = queries.agent_kpis(db, D1, D2).iloc[0]
    assert row.conversion_rate == pytest.approx(19 / 110)
    assert (row.conversion_rate_num, row.conversion_rate_n) == (19, 110)
    assert queries.kpi_table(db, D1, D2, by="day")["conversion_rate"].tolist() == pytest.approx([0.9, 0.1])


def test_a_null_numerator_leaves_its_denominator_out(db):
    load(db, [{"shop": "s", "account": "a", "date_from": D1, "inquiries": 10, "paid_buyers": 5},
              {"shop": "s", "account": "a", "date_from": D2, "inquiries": 40, "paid_buyers": None}])
    row = queries.agent_kpis(db, D1, D2).iloc[0]
    assert row.conversion_rate == pytest.approx(0.5) and row.conversion_rate_n == 10
    assert row.inquiries == 50  # the sum itself still counts every known inquiry


def test_group_values_pool_ratios_and_average_sums_per_agent(db):
    roster(db, [("s", "a", "T1", "presales", False), ("s", "b", "T1", "presales", False),
                ("s", "c", "T2", "presales", False)])
    load(db, [{"shop": "s", "account": "a", "date_from": D1, "inquiries": 10, "paid_buyers": 9, "sales": 100.0},
              {"shop": "s", "account": "b", "date_from": D1, "inquiries": 90, "paid_buyers": 9, "sales": 300.0},
              {"shop": "s", "account": "c", "date_from": D1, "inquiries": 5, "paid_buyers": 1, "sales": 50.0}])
    k = queries.agent_kpis(db, D1, D1).set_index("agent")
    assert k.loc["a", "conversion_rate_team"] == pytest.approx(18 / 100)
    assert k.loc["a", "conversion_rate_vs_team"] == pytest.approx(0.9 / 0.18)
    assert k.loc["a", "sales_team"] == pytest.approx(200.0)
    assert k.loc["b", "sales_vs_team"] == pytest.approx(1.5)
    assert k.loc["c", "conversion_rate_vs_team"] == pytest.approx(1.0)  # alone in its team
    everyone = queries.agent_kpis(db, D1, D1, group_by="all").set_index("agent")
    assert everyone.loc["c", "conversion_rate_team"] == pytest.approx(19 / 105)
    teams = queries.kpi_table(db, D1, D1, by="team").set_index("team")
    assert teams.loc["T1", "conversion_rate"] == pytest.approx(0.18)
    assert teams.loc["T1", "agents"] == 2


def test_excluded_accounts_count_nowhere(db):
    roster(db, [("s", "robot", None, None, True), ("s", "a", "T", "presales", False)])
    load(db, [{"shop": "s", "account": "robot", "date_from": D1, "inquiries": 1000, "paid_buyers": 0},
              {"shop": "s", "account": "a", "date_from": D1, "inquiries": 10, "paid_buyers": 5}])
    assert queries.agent_kpis(db, D1, D1)["agent"].tolist() == ["a"]
    assert queries.team_totals(db, D1, D1)["conversion_rate"] == pytest.approx(0.5)
    assert queries.trend(db, "inquiries", D1, D1)["value"].tolist() == [10]


def test_filters_and_periods(db):
    load(db, [{"shop": "s1", "account": "a", "date_from": D1, "inquiries": 10, "paid_buyers": 1},
              {"shop": "s2", "account": "a", "date_from": D2, "inquiries": 10, "paid_buyers": 3}])
    assert len(queries.agent_kpis(db, D1, D2)) == 2  # same account name in two shops = two agents
    only = queries.agent_kpis(db, D1, D2, shop=["s2"])
    assert only["shop"].tolist() == ["s2"] and only["conversion_rate"].iloc[0] == pytest.approx(0.3)
    assert queries.agent_kpis(db, D2, D2)["shop"].tolist() == ["s2"]
    assert queries.previous_period(date(2026, 10, 1), date(2026, 10, 31)) == (date(2026, 9, 1), date(2026, 9, 30))
    assert queries.previous_period(date(2026, 10, 5), date(2026, 10, 11)) == (date(2026, 9, 28), date(2026, 10, 4))
    # a month so far against the same days of the month before (clipped to its end)
    assert queries.previous_period(date(2026, 11, 1), date(2026, 11, 23)) == (date(2026, 10, 1), date(2026, 10, 23))
    assert queries.previous_period(date(2026, 3, 1), date(2026, 3, 30)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert queries.promotion_days(date(2026, 11, 1), date(2026, 12, 31)) == [
        (date(2026, 11, 11), "双11"), (date(2026, 12, 12), "双12")]


def test_the_same_period_last_year_holds_the_same_dates_and_a_month_end_to_a_month_end():
    last_year = queries.same_period_last_year
    assert last_year(date(2026, 10, 1), date(2026, 10, 31)) == (date(2025, 10, 1), date(2025, 10, 31))
    assert last_year(date(2026, 11, 1), date(2026, 11, 11)) == (date(2025, 11, 1), date(2025, 11, 11))  # 双11 to 双11
    assert last_year(date(2028, 2, 1), date(2028, 2, 29)) == (date(2027, 2, 1), date(2027, 2, 28))
    assert last_year(date(2029, 2, 1), date(2029, 2, 28)) == (date(2028, 2, 1), date(2028, 2, 29))  # the whole February
    assert last_year(date(2028, 2, 29), date(2028, 3, 5)) == (date(2027, 2, 28), date(2027, 3, 5))
    assert queries.compared_period(date(2026, 10, 1), date(2026, 10, 31), "last_year") == (
        date(2025, 10, 1), date(2025, 10, 31))
    assert queries.compared_period(date(2026, 10, 1), date(2026, 10, 31)) == (date(2026, 9, 1), date(2026, 9, 30))



def test_a_shop_and_each_of_its_teams_are_pooled_whole_whatever_their_agents_roles(db):
    roster(db, [("s", "a", "T1", "presales", False), ("s", "b", "T1", "aftersales", False),
                ("s", "c", None, "presales", False), ("s", "robot", "T1", None, True), ("s2", "d", "T1", "presales", False)])
    load(db, [{"shop": "s", "account": "a", "date_from": D1, "inquiries": 10, "paid_buyers": 9, "sales": 100.0},
              {"shop": "s", "account": "b", "date_from": D1, "inquiries": 90, "paid_buyers": 9, "sales": 300.0},
              {"shop": "s", "account": "c", "date_from": D1, "inquiries": 5, "paid_buyers": 1, "sales": 50.0},
              {"shop": "s", "account": "robot", "date_from": D1, "inquiries": 1000, "paid_buyers": 0},
              {"shop": "s2", "account": "d", "date_from": D1, "inquiries": 4, "paid_buyers": 2, "sales": 20.0}])
    found = queries.scope_kpis(db, D1, D1)
    assert list(zip(found["shop"], found["team"], found["agents"])) == [("s", "", 3), ("s", "T1", 2), ("s2", "", 1),
                                                                        ("s2", "T1", 1)]
    whole = found.set_index(["shop", "team"])
    assert whole.loc[("s", "T1"), "conversion_rate"] == pytest.approx(18 / 100)  # both roles, one team
    assert len(queries.kpi_table(db, D1, D1, by="team", shop="s").query("team == 'T1'")) == 2  # the table splits it
    assert whole.loc[("s", ""), "sales"] == pytest.approx(450.0)  # the robot counts nowhere
    assert whole.loc[("s", ""), "conversion_rate"] == pytest.approx(19 / 105)
    assert queries.scope_kpis(db, D1, D1, shop=["s2"])["shop"].tolist() == ["s2", "s2"]


def test_the_targets_of_shops_and_teams_are_read_apart_from_the_business_and_agents(db):
    from csperf import targets

    for shop, team, account in (("", "", ""), ("s", "", ""), ("s", "T1", ""), ("s", "", "a")):
        targets.set_target(db, "sales", "2026-10", 100, shop=shop, team=team, account=account)
    targets.set_target(db, "sales", "2026-09", 50, shop="s")
    found = queries.scope_targets(db, D1, D2)
    assert list(zip(found["shop"], found["team"], found["value"])) == [("s", "", 100), ("s", "T1", 100)]
    assert len(queries.scope_targets(db, date(2026, 9, 30), D1)) == 3


def test_a_weekly_review_looks_at_calendar_weeks_never_a_running_week_as_a_whole_one():
    # data from Thursday 10-01 to Wednesday 10-21: the running week is Monday to Wednesday
    weeks = queries.review_weeks(date(2026, 10, 1), date(2026, 10, 21))
    assert weeks == [(date(2026, 10, 19), date(2026, 10, 21)), (date(2026, 10, 12), date(2026, 10, 18)),
                     (date(2026, 10, 5), date(2026, 10, 11)), (date(2026, 9, 28), date(2026, 10, 4))]
    assert queries.review_week(weeks) == (date(2026, 10, 12), date(2026, 10, 18))  # the last one ended
    assert queries.week_before(weeks[0]) == (date(2026, 10, 12), date(2026, 10, 14))  # the same weekdays
    # data up to a Sunday: that week is whole; a first week still running is all there is
    assert queries.review_week(queries.review_weeks(date(2026, 10, 1), date(2026, 10, 18)))[1] == date(2026, 10, 18)
    assert queries.review_weeks(date(2026, 10, 20), date(2026, 10, 21)) == [(date(2026, 10, 19), date(2026, 10, 21))]
    assert queries.review_week([(date(2026, 10, 19), date(2026, 10, 21))]) == (date(2026, 10, 19), date(2026, 10, 21))
    assert len(queries.review_weeks(date(2020, 1, 1), date(2026, 10, 21))) == 26
    # a new day in the running week keeps the review on it (the option chosen is one day shorter)
    later = queries.review_weeks(date(2026, 10, 1), date(2026, 10, 22))
    assert queries.review_week_kept((date(2026, 10, 19), date(2026, 10, 21)), later) == later[0]
    assert queries.review_week_kept(weeks[2], later) == weeks[2]  # an ended week stays as it was
    assert queries.review_week_kept(None, later) == queries.review_week(later)

def test_a_weekly_review_reports_the_targets_of_the_month_holding_most_of_its_week():
    assert queries.review_month((date(2026, 11, 16), date(2026, 11, 22))) == (date(2026, 11, 1), date(2026, 11, 22))
    # a week ending on the 1st closes the month before
    assert queries.review_month((date(2026, 10, 26), date(2026, 11, 1))) == (date(2026, 10, 1), date(2026, 10, 31))
    assert queries.review_month((date(2026, 9, 28), date(2026, 10, 4))) == (date(2026, 10, 1), date(2026, 10, 4))
    # a running week of one day in each month: the later
    assert queries.review_month((date(2026, 11, 30), date(2026, 12, 1))) == (date(2026, 12, 1), date(2026, 12, 1))


def test_a_multi_day_record_counts_only_inside_a_range_that_holds_it(db):
    frame = pd.DataFrame([{"shop": "s", "account": "a", "date_from": D1, "date_to": date(2026, 10, 7),
                           "provisional": False, "inquiries": 70, "paid_buyers": 7}])
    db.apply_import(ImportMeta("week.xlsx", "w", "t"), frame)
    assert queries.agent_kpis(db, D1, date(2026, 10, 31))["inquiries"].tolist() == [70]
    assert queries.agent_kpis(db, D1, D2).empty
    month = (D1, date(2026, 10, 31))
    assert queries.kpi_table(db, *month, by="day").empty  # a week's figures are no day's
    assert queries.kpi_table(db, *month, by="week")["week"].tolist() == []  # 10-01..10-07 spans two weeks
    assert queries.kpi_table(db, *month, by="month")["inquiries"].tolist() == [70]
    assert queries.trend(db, "inquiries", *month, grain="day").empty
    assert queries.trend(db, "inquiries", *month, grain="month")["value"].tolist() == [70]


def test_qa_score_is_the_mean_over_the_months_in_scope(db):
    load(db, [{"shop": "s", "account": "a", "date_from": D1, "inquiries": 1, "paid_buyers": 1}])
    with db.write() as cur:
        cur.execute("INSERT INTO qa_scores (shop, account, month, qa_score) VALUES "
                    "('s', 'a', '2026-09-01', 80), ('s', 'a', '2026-10-01', 90), ('s', 'a', '2026-11-01', 10)")
    assert queries.agent_kpis(db, date(2026, 9, 1), date(2026, 10, 31))["qa_score"].iloc[0] == pytest.approx(85)


def test_member_care_and_data_completeness_are_monthly_means_like_qa(db):
    load(db, [{"shop": "s", "account": a, "date_from": D1, "receptions": 1} for a in ("a", "b")])
    with db.write() as cur:
        cur.execute("INSERT INTO qa_scores (shop, account, month, member_care, data_completeness) VALUES "
                    "('s', 'a', '2026-09-01', 70, NULL), ('s', 'a', '2026-10-01', 90, 80), ('s', 'b', '2026-10-01', 60, 100)")
    span = (date(2026, 9, 1), date(2026, 10, 31))
    agents = queries.agent_kpis(db, *span, group_by="all").set_index("agent")
    assert agents["member_care"].to_dict() == {"a": 80, "b": 60} and agents["qa_score"].isna().all()
    assert agents["data_completeness"].to_dict() == {"a": 80, "b": 100}
    assert agents["member_care_team"].tolist() == [70, 70]
    assert queries.kpi_table(db, *span, by="total")["data_completeness"].iloc[0] == 90
    trend = queries.trend(db, "member_care", *span, grain="month")
    assert trend[["value", "n"]].values.tolist() == [[70, 1], [75, 2]]


def scored_agents(db, teams: dict[str, str], scores: list[tuple[str, str, float]], excluded=("robot",)) -> None:
    """Agents of shop s (account: team) with a day of figures each and QA scores (account, month, score)."""
    load(db, [{"shop": "s", "account": a, "date_from": D1, "receptions": 1} for a in teams])
    roster(db, [("s", a, team, "presales", a in excluded) for a, team in teams.items()])
    with db.write() as cur:
        cur.executemany("INSERT INTO qa_scores (shop, account, month, qa_score) VALUES ('s', ?, ?, ?)", scores)


def test_qa_score_groups_like_every_other_kpi(db):
    scored_agents(db, {"a": "A组", "b": "B组", "robot": "A组"}, [
        ("a", "2026-09-01", 80), ("a", "2026-10-01", 90), ("b", "2026-10-01", 70), ("robot", "2026-10-01", 0)])
    span = (date(2026, 9, 1), date(2026, 10, 31))
    by_team = queries.kpi_table(db, *span, by="team").set_index("team")["qa_score"]
    assert by_team.to_dict() == pytest.approx({"A组": 85, "B组": 70})
    # the mean of the agents' means (85 and 70), not of the agent-months; the group value beside each agent agrees
    assert queries.kpi_table(db, *span, by="total")["qa_score"].iloc[0] == pytest.approx(77.5)
    agents = queries.agent_kpis(db, *span, group_by="all")
    assert agents["qa_score_team"].tolist() == pytest.approx([77.5, 77.5])
    assert queries.kpi_table(db, *span, by="person").set_index("person")["qa_score"]["a"] == pytest.approx(85)
    assert queries.kpi_table(db, *span, by="month")["qa_score"].tolist() == pytest.approx([80])  # October's
    assert "qa_score" not in queries.kpi_table(db, *span, by="day").columns


def test_team_rows_hold_their_qa_to_the_shops_mean_of_agents_not_of_teams(db):
    scored_agents(db, {"a": "A组", "b": "B组", "c": "B组"},
                  [("a", "2026-10-01", 85), ("b", "2026-10-01", 70), ("c", "2026-10-01", 40)])
    span = (date(2026, 10, 1), date(2026, 10, 31))
    teams = queries.kpi_table(db, *span, by="team").set_index("team")
    shop = queries.kpi_table(db, *span, by="shop")["qa_score"].iloc[0]
    assert shop == pytest.approx(65) and teams["qa_score_team"].tolist() == pytest.approx([65, 65])  # not 70
    assert teams.loc["B组", "qa_score_vs_team"] == pytest.approx(55 / 65)


def test_trend_by_week_and_split(db):
    load(db, [{"shop": "s", "account": "a", "date_from": D1, "inquiries": 10, "paid_buyers": 2},
              {"shop": "s", "account": "b", "date_from": D2, "inquiries": 30, "paid_buyers": 3}])
    weekly = queries.trend(db, "conversion_rate", D1, D2, grain="week")
    assert weekly["value"].tolist() == pytest.approx([5 / 40]) and weekly["n"].tolist() == [40]
    split = queries.trend(db, "conversion_rate", D1, D2, split="agent")
    assert split.set_index("agent")["value"].to_dict() == pytest.approx({"a": 0.2, "b": 0.1})


def test_a_sum_kpis_group_trend_is_the_mean_per_agent_who_worked(db):
    load(db, [{"shop": "s", "account": "a", "date_from": D1, "sales": 100.0, "workdays": 1},
              {"shop": "s", "account": "b", "date_from": D1, "sales": 300.0, "workdays": 1},
              {"shop": "s", "account": "off", "date_from": D1, "sales": 0.0, "workdays": 0},  # did not work
              {"shop": "s", "account": "robot", "date_from": D1, "sales": 900.0, "workdays": 1},
              {"shop": "s", "account": "a", "date_from": D2, "sales": 200.0, "workdays": 1}])
    roster(db, [("s", a, "A组", "presales", a == "robot") for a in ("a", "b", "off", "robot")])
    daily = queries.trend(db, "sales", D1, D2, as_group=True, shop="s", team="A组")
    assert daily[["value", "n"]].values.tolist() == [[200, 2], [200, 1]]
    assert queries.trend(db, "sales", D1, D2, shop="s")["value"].tolist() == [400, 200]  # without: the total
    weekly = queries.trend(db, "sales", D1, D2, grain="week", as_group=True)
    assert weekly[["value", "n"]].values.tolist() == [[300, 2]]  # a's 300 and b's 300 over the week
    agents = queries.agent_kpis(db, D1, D2).set_index("agent")
    assert agents.loc["a", "sales_team"] == weekly["value"].iloc[0]  # what the scores compare with
    teams = queries.trend(db, "sales", D1, D1, split="team", as_group=True)
    assert teams[["team", "value"]].values.tolist() == [["s · A组", 200]]
    rate = queries.trend(db, "conversion_rate", D1, D2, as_group=True)  # a ratio is pooled either way
    assert rate.equals(queries.trend(db, "conversion_rate", D1, D2))


def test_a_manual_scores_trend_keeps_the_filters(db):
    scored_agents(db, {"a": "A组", "b": "B组"}, [("a", "2026-10-01", 90), ("b", "2026-10-01", 60)])
    span = (date(2026, 10, 1), date(2026, 10, 31))
    assert queries.trend(db, "qa_score", *span, grain="month")["value"].tolist() == [75]
    assert queries.trend(db, "qa_score", *span, grain="month", account="a")["value"].tolist() == [90]
    assert queries.trend(db, "qa_score", *span, grain="month", team="B组")["value"].tolist() == [60]
    by_team = queries.trend(db, "qa_score", *span, grain="month", split="team")
    assert by_team[["team", "value"]].values.tolist() == [["s · A组", 90], ["s · B组", 60]]


def test_shop_level_figures_are_not_summed_with_the_agents(db):
    from csperf.importer import SHOP_LEVEL_ACCOUNT

    load(db, [{"shop": "s", "account": "a", "date_from": D1, "inquiries": 10, "paid_buyers": 5},
              {"shop": "s", "account": SHOP_LEVEL_ACCOUNT, "date_from": D1, "inquiries": 10, "paid_buyers": 5}])
    assert queries.team_totals(db, D1, D1)["inquiries"] == 10
    assert queries.agent_kpis(db, D1, D1)["agent"].tolist() == ["a"]
    assert queries.unmatched_accounts(db)["account"].tolist() == ["a"]
    assert queries.agents(db)["agent"].tolist() == ["a"]  # nobody to sign in as, or to set a target for


def test_shop_level_figures_are_read_on_their_own_by_shop_or_in_total(db):
    from csperf.importer import SHOP_LEVEL_ACCOUNT

    roster(db, [("s", "a", "T", "presales", False)])
    load(db, [{"shop": "s", "account": "a", "date_from": D1, "inquiries": 10, "paid_buyers": 5, "sales": 500},
              {"shop": "s", "account": SHOP_LEVEL_ACCOUNT, "date_from": D1, "inquiries": 40, "paid_buyers": 10,
               "sales": 900},
              {"shop": "s", "account": SHOP_LEVEL_ACCOUNT, "date_from": D2, "inquiries": 60, "paid_buyers": 30,
               "sales": 1100},
              {"shop": "t", "account": SHOP_LEVEL_ACCOUNT, "date_from": D1, "inquiries": 5, "paid_buyers": 1}])
    shops = queries.kpi_table(db, D1, D2, by="shop", shop_level=True).set_index("shop")
    assert shops.loc["s", "sales"] == 2000 and shops.loc["s", "conversion_rate"] == pytest.approx(40 / 100)
    assert shops.loc["t", "inquiries"] == 5
    total = queries.kpi_table(db, D1, D2, by="total", shop_level=True, shop=["s"]).iloc[0]
    assert total["inquiries"] == 100 and total["agents"] == 1
    assert queries.team_totals(db, D1, D2)["inquiries"] == 10  # the agents' own stay apart
    by_day = queries.trend(db, "conversion_rate", D1, D2, shop_level=True, shop=["s"])
    assert by_day["value"].tolist() == pytest.approx([10 / 40, 30 / 60])
    with pytest.raises(ValueError):  # a shop's own figures belong to no team
        queries.kpi_table(db, D1, D2, by="total", shop_level=True, team=["T"])


def test_first_dates_are_each_shops_first_day_with_figures_in_the_filters_scope(db):
    from csperf.importer import SHOP_LEVEL_ACCOUNT

    roster(db, [("s", "a", "T", "presales", False), ("s", "b", "U", "presales", False),
                ("t", "c", "T", "presales", False)])
    load(db, [{"shop": "s", "account": SHOP_LEVEL_ACCOUNT, "date_from": D1 - timedelta(days=9), "inquiries": 1},
              {"shop": "s", "account": "a", "date_from": D1, "inquiries": 1},
              {"shop": "s", "account": "b", "date_from": D2, "inquiries": 1},
              {"shop": "t", "account": "c", "date_from": D2, "inquiries": 1}])
    assert queries.first_dates(db).to_dict() == {"s": D1, "t": D2}  # the shop's own figures are not the agents'
    assert queries.first_dates(db, team=["U"]).to_dict() == {"s": D2}
    assert queries.first_dates(db, shop=["s"], shop_level=True).to_dict() == {"s": D1 - timedelta(days=9)}
    assert queries.first_dates(db, shop=["x"]).empty


def test_the_group_value_of_a_count_is_the_mean_per_agent_who_worked(db):
    # c has a row but 0 workdays: it did not work; d's workdays are unknown, so its rows count
    roster(db, [("s", agent, "T", "presales", False) for agent in "abcd"])
    load(db, [{"shop": "s", "account": "a", "date_from": D1, "receptions": 100, "inquiries": 10, "paid_buyers": 5,
               "workdays": 1},
              {"shop": "s", "account": "b", "date_from": D1, "receptions": 300, "inquiries": 30, "paid_buyers": 6,
               "workdays": 1},
              {"shop": "s", "account": "c", "date_from": D1, "receptions": 0, "inquiries": 0, "paid_buyers": 0,
               "workdays": 0},
              {"shop": "s", "account": "d", "date_from": D1, "receptions": 50, "inquiries": 10, "paid_buyers": 1,
               "workdays": None}])
    k = queries.agent_kpis(db, D1, D1).set_index("agent")
    assert k["receptions_team"].tolist() == pytest.approx([150] * 4)  # (100 + 300 + 50) / 3
    assert k.loc["a", "receptions_vs_team"] == pytest.approx(100 / 150)
    assert k["conversion_rate_team"].tolist() == pytest.approx([12 / 50] * 4)  # ratios stay pooled
    everyone = queries.agent_kpis(db, D1, D1, group_by="all")
    assert everyone["receptions_team"].tolist() == pytest.approx([150] * 4)


def test_data_as_of_names_the_shops_whose_files_have_not_caught_up(db):
    load(db, [{"shop": "s1", "account": "a", "date_from": D2, "receptions": 1},
              {"shop": "s2", "account": "b", "date_from": D1, "receptions": 1},
              {"shop": "s3", "account": "c", "date_from": D2, "receptions": 1},
              {"shop": "old", "account": "d", "date_from": D2 - timedelta(days=queries.LAG_DAYS + 1),
               "receptions": 1}])
    as_of = queries.data_as_of(db)
    assert as_of["last_date"] == D2 and as_of["lagging"] == [("s2", D1)]  # not a dataset of long ago


def dated_month_facts(db):
    """Two agents of team A, 10 inquiries, 2 buyers and ¥100 a day each, June and July."""
    roster(db, [("s", "a", "A", "presales", False), ("s", "b", "A", "presales", False)])
    with db.write() as cur:
        cur.execute("UPDATE roster SET base_salary = 3000")
    days = [date(2026, 6, 1) + timedelta(days=n) for n in range(61)]
    load(db, [{"shop": "s", "account": account, "date_from": day, "inquiries": 10, "paid_buyers": 2, "sales": 100.0}
              for day in days for account in "ab"])


def test_a_team_move_from_a_date_leaves_the_months_before_as_they_were(db):
    from csperf import roster as people

    dated_month_facts(db)
    june_before = queries.agent_kpis(db, "2026-06-01", "2026-06-30")
    people.record_change(db, "s", "a", "2026-07-15", {"team": "B", "role": "售后", "base_salary": 5000})
    june = queries.agent_kpis(db, "2026-06-01", "2026-06-30")
    pd.testing.assert_frame_equal(june, june_before)
    july = queries.agent_kpis(db, "2026-07-01", "2026-07-31").set_index("agent")
    assert (july.loc["a", "team"], july.loc["a", "role"]) == ("B", "aftersales")
    assert july.loc["a", "base_salary"] == pytest.approx((14 * 3000 + 17 * 5000) / 31)  # paid by the day
    assert july.loc["a", "base_prorated"] and not july.loc["b", "base_prorated"]
    since = queries.agent_kpis(db, "2026-07-15", "2026-07-31").set_index("agent")
    assert (since.loc["a", "base_salary"], since.loc["a", "base_prorated"]) == (5000, False)
    assert july.loc["a", "sales"] == 3100  # all of July's figures, in the team of its last day
    teams = queries.kpi_table(db, "2026-07-01", "2026-07-31", by="team").set_index("team")
    assert teams.loc["A", "sales"] == 3100 + 1400 and teams.loc["A", "agents"] == 2  # a's 1st–14th stay in A
    assert teams.loc["B", "sales"] == 1700 and teams.loc["B", "agents"] == 1
    in_a = queries.agent_kpis(db, "2026-07-01", "2026-07-31", team="A").set_index("agent")
    assert in_a.loc["a", "sales"] == 1400 and in_a.loc["a", "team"] == "A"
    by_day = queries.trend(db, "sales", "2026-07-13", "2026-07-16", split="team")
    assert by_day[by_day["team"] == "s · B"]["period"].dt.day.tolist() == [15, 16]
    assert queries.filter_options(db)["teams_of"] == {"s": ["A", "B"]}
    assert queries.view_scope(db, team="B") == ("s", "B", "")
    shops = queries.scope_kpis(db, "2026-06-01", "2026-06-30").set_index("team")
    assert list(shops.index) == ["", "A"] and shops.loc["A", "agents"] == 2


def test_a_base_is_prorated_only_where_it_changed_and_every_state_has_one(db):
    from csperf import roster as people

    dated_month_facts(db)
    people.record_change(db, "s", "a", "2026-07-11", {"team": "B"})  # the base stays 3000: nothing to prorate
    people.record_change(db, "s", "b", "2026-07-11", {"level": "高级"})
    with db.write() as cur:  # b's base comes from its level: 2000, then 4000 from the 11th
        cur.execute("UPDATE roster SET base_salary = NULL WHERE account = 'b'")
        cur.execute("UPDATE roster_past SET base_salary = NULL, level = 'mid' WHERE account = 'b'")
        cur.execute("INSERT INTO level_pay VALUES ('mid', 2000), ('senior', 4000)")
    july = queries.agent_kpis(db, "2026-07-01", "2026-07-31").set_index("agent")
    assert (july.loc["a", "base_salary"], july.loc["a", "base_prorated"]) == (3000, False)
    assert july.loc["b", "base_salary"] == pytest.approx((10 * 2000 + 21 * 4000) / 31) and july.loc["b", "base_prorated"]
    with db.write() as cur:  # a state with no base at all: the scheme's level default decides, as before
        cur.execute("DELETE FROM level_pay WHERE level = 'mid'")
    july = queries.agent_kpis(db, "2026-07-01", "2026-07-31").set_index("agent")
    assert (july.loc["b", "base_salary"], july.loc["b", "base_prorated"]) == (4000, False)


def test_an_exclusion_from_a_date_keeps_the_figures_before_it(db):
    from csperf import roster as people

    dated_month_facts(db)
    people.record_change(db, "s", "b", date(2026, 7, 1), {"excluded": "是"})
    assert queries.agent_kpis(db, "2026-07-01", "2026-07-31")["agent"].tolist() == ["a"]
    assert queries.agent_kpis(db, "2026-06-01", "2026-06-30")["agent"].tolist() == ["a", "b"]
    assert queries.team_totals(db, "2026-06-01", "2026-07-31")["sales"] == 6100 + 3000


def test_a_monthly_manual_score_counts_in_the_team_of_its_month(db):
    from csperf import roster as people

    dated_month_facts(db)
    people.set_qa(db, "s", "a", "2026-06", 80)
    people.set_qa(db, "s", "a", "2026-07", 90)
    people.set_qa(db, "s", "b", "2026-07", 70)
    people.record_change(db, "s", "a", "2026-07-01", {"team": "B"})
    june = queries.kpi_table(db, "2026-06-01", "2026-06-30", by="team").set_index("team")
    assert june.loc["A", "qa_score"] == 80
    by_month = queries.trend(db, "qa_score", "2026-06-01", "2026-07-31", split="team")
    assert by_month[["team", "value"]].values.tolist() == [["s · A", 80], ["s · A", 70], ["s · B", 90]]
