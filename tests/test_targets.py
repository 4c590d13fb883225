"""Monthly KPI targets: how they are typed, stored, scoped, and held against a period."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from conftest import populate

from csperf import queries, targets, views
from csperf.targets import Standing, TargetError


@pytest.fixture
def filled(db):
    populate(db)
    return db


# -- typing a target -----------------------------------------------------------------------------

@pytest.mark.parametrize("typed, stored", [("35%", 0.35), ("35", 0.35), (35, 0.35), ("0.35", 0.35), ("0.5%", 0.005),
                                           ("100%", 1.0), ("1", 1.0)])
def test_a_percentage_target_reads_as_a_fraction(typed, stored):
    assert targets.parse_value("conversion_rate", typed) == pytest.approx(stored)


@pytest.mark.parametrize("typed, stored", [("1200000", 1_200_000), ("¥1,200,000", 1_200_000), ("120万", 1_200_000),
                                           ("12.5万", 125_000), (930000.0, 930_000)])
def test_a_money_target_reads_yuan_and_wan(typed, stored):
    assert targets.parse_value("sales", typed) == pytest.approx(stored)


@pytest.mark.parametrize("typed, stored", [("20", 20), ("20秒", 20), ("1分30秒", 90)])
def test_a_duration_target_reads_seconds(typed, stored):
    assert targets.parse_value("first_response_s", typed) == pytest.approx(stored)


@pytest.mark.parametrize("metric, typed, message", [
    ("sales", "很多", "不是数字"), ("sales", "-5", "不能为负数"), ("sales", "inf", "不是数字"),
    ("conversion_rate", "", "不是数字"), ("no_such_kpi", "5", "未知指标"),
])
def test_an_unreadable_target_is_refused_by_name(metric, typed, message):
    with pytest.raises(TargetError, match=message):
        targets.parse_value(metric, typed)


# -- storing one ---------------------------------------------------------------------------------------

def test_a_target_is_set_replaced_and_cleared_with_an_audit_line(db):
    assert targets.set_target(db, "sales", "2026-10", "120万", user="boss") == 1_200_000
    assert targets.set_target(db, "sales", "2026年10月", 1_300_000, user="boss") == 1_300_000
    targets.set_target(db, "sales", "2026-10", "50万", shop="旗舰店", team="A组", user="boss")
    stored = targets.targets_frame(db, "2026-10")
    assert list(zip(stored["shop"], stored["team"], stored["value"])) == [("", "", 1_300_000), ("旗舰店", "A组", 500_000)]
    assert targets.set_target(db, "sales", "2026-10", None, user="boss") is None
    assert targets.set_target(db, "sales", "2026-10", "", shop="旗舰店", team="A组", user="boss") is None
    assert targets.targets_frame(db).empty
    actions = db.query("SELECT action, detail FROM audit WHERE username = 'boss' ORDER BY audit_id")
    assert list(actions["action"]) == ["target_set", "target_set", "target_set", "target_clear", "target_clear"]
    assert actions["detail"].iloc[2] == "旗舰店 · A组 2026-10 sales = 500000"


def test_a_team_or_agent_target_needs_its_shop_and_a_kpi_must_exist(db):
    with pytest.raises(TargetError, match="需要指定店铺"):
        targets.set_target(db, "sales", "2026-10", 1, team="A组")
    with pytest.raises(TargetError, match="需要指定店铺"):
        targets.set_target(db, "sales", "2026-10", 1, account="小美")
    with pytest.raises(TargetError, match="团队或客服之一"):
        targets.set_target(db, "sales", "2026-10", 1, shop="旗舰店", team="A组", account="小美")
    with pytest.raises(TargetError, match="未知指标"):
        targets.set_target(db, "sale", "2026-10", None)
    assert targets.targets_frame(db).empty


# -- which targets a view is held to -------------------------------------------------------------------

def test_the_filters_pick_the_scope_of_the_targets(filled):
    for shop, team, value in (("", "", 1), ("旗舰店", "", 2), ("旗舰店", "A组", 3), ("拼多多店", "拼团组", 4)):
        targets.set_target(filled, "sales", "2026-10", value, shop=shop, team=team)
    targets.set_target(filled, "sales", "2026-10", 5, shop="旗舰店", account="小美")
    targets.set_target(filled, "sales", "2026-09", 9)

    def held(**filters):
        found = queries.targets(filled, date(2026, 10, 1), date(2026, 10, 31), **filters)
        return list(found["value"])

    assert held() == [1]
    assert held(shop=["旗舰店"]) == held(shop="旗舰店") == [2]
    assert held(shop=["旗舰店"], team=["A组"]) == [3]
    assert held(team=["拼团组"]) == [4]  # one shop has that team
    assert held(shop=["旗舰店", "拼多多店"]) == held(role=["presales"]) == held(shift=["夜班"]) == []
    assert held(shop=["旗舰店"], team=["B组"]) == []
    assert held(shop="旗舰店", account="小美") == held(shop=["旗舰店"], account=["小美"]) == [5]
    assert held(account=["小美"]) == held(shop=["旗舰店"], account=["小美", "阿强"]) == []
    assert held(shop=["旗舰店"], team=["A组"], account=["小美"]) == []
    both = queries.targets(filled, date(2026, 9, 20), date(2026, 10, 10))
    assert list(both["value"]) == [9, 1]
    assert queries.view_scope(filled, team=["拼团组"]) == ("拼多多店", "拼团组", "")
    with filled.write() as cur:  # a second shop with an A组: the name alone picks no scope
        cur.execute("UPDATE roster SET team = 'A组' WHERE account = 'pdd02'")
    assert queries.view_scope(filled, team=["A组"]) is None
    assert queries.view_scope(filled, shop=["旗舰店"], team=["A组"]) == ("旗舰店", "A组", "")


def test_the_scopes_offered_are_all_shops_each_shop_its_teams_and_its_agents(filled):
    with filled.write() as cur:
        cur.execute("UPDATE roster SET excluded = true WHERE account = '新人'")
    assert queries.target_scopes(filled) == [
        ("", "", ""), ("拼多多店", "", ""), ("拼多多店", "拼团组", ""), ("拼多多店", "", "pdd01"), ("拼多多店", "", "pdd02"),
        ("旗舰店", "", ""), ("旗舰店", "A组", ""), ("旗舰店", "B组", ""), ("旗舰店", "", "小美"), ("旗舰店", "", "晓东"),
        ("旗舰店", "", "阿强")]
    assert [targets.scope_label(*s) for s in queries.target_scopes(filled)[:4]] == [
        "全部店铺", "拼多多店", "拼多多店 · 拼团组", "拼多多店:pdd01"]
    assert targets.scope_label("", lang="en") == "all shops"


# -- where a period stands ---------------------------------------------------------------------------------

def _targets(*rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["metric", "month", "value"]).assign(month=lambda f: pd.to_datetime(f["month"]))


def test_a_month_so_far_is_projected_to_its_end_at_its_pace():
    goal = targets.standings(_targets(("sales", "2026-11-01", 1_200_000)), pd.Series({"sales": 940_000.0}),
                             date(2026, 11, 1), date(2026, 11, 23))["sales"]
    assert goal.month_target == 1_200_000 and goal.target == pytest.approx(1_200_000 * 23 / 30)
    assert goal.projected == pytest.approx(940_000 * 30 / 23)
    assert goal.month_share == pytest.approx(940_000 / 1_200_000)
    assert goal.projected_share == pytest.approx(940_000 * 30 / 23 / 1_200_000)
    assert goal.met  # 1.226M on pace against 1.2M
    assert views.target_text(goal) == "月目标 ¥1,200,000 · 已完成 78.3% · 预计月底 102.2%"
    assert views.target_text(goal, "en") == "month target ¥1,200,000 · 78.3% done · on pace for 102.2%"


def test_a_whole_month_is_held_to_its_target_and_a_stretch_of_days_to_its_share():
    rows = _targets(("sales", "2026-10-01", 310_000), ("sales", "2026-11-01", 300_000))
    month = targets.standings(rows, pd.Series({"sales": 279_000.0}), date(2026, 10, 1), date(2026, 10, 31))["sales"]
    assert (month.target, month.month_target, month.projected, month.met) == (310_000, 310_000, None, False)
    assert views.target_text(month) == "目标 ¥310,000 · 完成 90.0%"
    # 10-25 … 11-03: 7 days of October's 310,000 / 31 and 3 of November's 300,000 / 30
    days = targets.standings(rows, pd.Series({"sales": 120_000.0}), date(2026, 10, 25), date(2026, 11, 3))["sales"]
    assert days.target == pytest.approx(7 * 10_000 + 3 * 10_000) and days.month_target is None and days.met
    assert views.target_text(days) == "目标 ¥100,000（按 10 天折算）· 完成 120.0%"


def test_a_level_is_met_by_reaching_it_or_staying_under_it():
    rows = _targets(("conversion_rate", "2026-10-01", 0.33), ("first_response_s", "2026-10-01", 20.0),
                    ("refund_rate", "2026-10-01", 0.06))
    now = pd.Series({"conversion_rate": 0.326, "first_response_s": 18.0, "refund_rate": 0.071})
    found = targets.standings(rows, now, date(2026, 10, 1), date(2026, 10, 20))
    assert not found["conversion_rate"].met and found["conversion_rate"].gap == pytest.approx(-0.004)
    assert found["first_response_s"].met and found["first_response_s"].gap == pytest.approx(2.0)
    assert not found["refund_rate"].met
    assert views.target_text(found["conversion_rate"]) == "目标 33.0% · 差 0.4pp"
    assert views.target_text(found["first_response_s"]) == "目标 ≤ 20.0秒 · 已达标"
    assert views.target_text(found["refund_rate"], "en") == "target ≤ 6.0% · 1.1pp short"


def test_a_level_over_two_months_weighs_each_by_its_days():
    rows = _targets(("conversion_rate", "2026-10-01", 0.30), ("conversion_rate", "2026-11-01", 0.40))
    goal = targets.standings(rows, pd.Series({"conversion_rate": 0.35}), date(2026, 10, 29),
                             date(2026, 11, 5))["conversion_rate"]
    assert goal.target == pytest.approx((3 * 0.30 + 5 * 0.40) / 8)


def test_no_standing_without_a_target_in_every_month_or_without_a_value():
    rows = _targets(("sales", "2026-11-01", 300_000), ("aov", "2026-10-01", 150.0))
    now = pd.Series({"sales": 1.0, "aov": float("nan")})
    assert targets.standings(rows, now, date(2026, 10, 20), date(2026, 11, 5)) == {}
    assert targets.standings(rows.iloc[:0], now, date(2026, 11, 1), date(2026, 11, 5)) == {}
    assert list(targets.standings(rows, now, date(2026, 11, 1), date(2026, 11, 5))) == ["sales"]


def test_a_lower_is_better_total_is_met_by_staying_under_the_month_pace():
    rows = _targets(("bad_reviews", "2026-11-01", 30))
    under = targets.standings(rows, pd.Series({"bad_reviews": 10.0}), date(2026, 11, 1), date(2026, 11, 15))
    over = targets.standings(rows, pd.Series({"bad_reviews": 20.0}), date(2026, 11, 1), date(2026, 11, 15))
    assert under["bad_reviews"].met and not over["bad_reviews"].met  # on pace for 20 and for 40 of 30
    assert views.target_text(over["bad_reviews"]) == "月上限 30 · 已用 66.7% · 预计月底 133.3%"
    assert views.target_text(over["bad_reviews"], "en") == "month cap 30 · 66.7% used · on pace for 133.3%"
    whole = targets.standings(rows, pd.Series({"bad_reviews": 12.0}), date(2026, 11, 1), date(2026, 11, 30))
    assert views.target_text(whole["bad_reviews"]) == "上限 30 · 已用 40.0%"


def test_months_of_a_period_count_their_days():
    assert targets.months_of(date(2026, 1, 30), date(2026, 3, 2)) == [
        (date(2026, 1, 1), 2), (date(2026, 2, 1), 28), (date(2026, 3, 1), 2)]
    assert Standing("sales", 5.0, 10.0).share == 0.5


def test_the_target_line_of_a_trend_follows_its_months():
    rows = _targets(("conversion_rate", "2026-10-01", 0.30), ("conversion_rate", "2026-11-01", 0.40),
                    ("sales", "2026-10-01", 310_000), ("sales", "2026-11-01", 300_000))
    level = targets.target_path(rows, "conversion_rate", date(2026, 10, 20), date(2026, 11, 10), "week")
    assert [(p.date(), v) for p, v in zip(level["period"], level["value"]) if not pd.isna(v)] == [
        (date(2026, 10, 20), 0.30), (date(2026, 10, 31), 0.30), (date(2026, 11, 1), 0.40), (date(2026, 11, 10), 0.40)]
    assert level["value"].isna().sum() == 2  # the line breaks between months
    monthly = targets.target_path(rows, "sales", date(2026, 10, 20), date(2026, 11, 30), "month")
    assert list(monthly["value"]) == [pytest.approx(310_000 * 12 / 31), 300_000]  # October's last 12 days
    daily = targets.target_path(rows, "sales", date(2026, 11, 1), date(2026, 11, 30), "day")
    assert list(daily["value"].dropna()) == [10_000, 10_000]
    assert targets.target_path(rows, "sales", date(2026, 11, 1), date(2026, 11, 30), "week").empty
    assert targets.target_path(rows, "aov", date(2026, 11, 1), date(2026, 11, 30), "day").empty


def test_a_month_copies_the_targets_it_lacks_from_another(db):
    targets.set_target(db, "sales", "2026-10", 300_000, shop="旗舰店")
    targets.set_target(db, "conversion_rate", "2026-10", "33%", shop="旗舰店")
    targets.set_target(db, "sales", "2026-10", 1, shop="拼多多店")  # another scope: not copied
    targets.set_target(db, "sales", "2026-11", 320_000, shop="旗舰店")  # already set: kept
    assert targets.copy_month(db, "2026-10", "2026-11", shop="旗舰店", user="boss") == 1
    november = targets.targets_frame(db, "2026-11")
    assert sorted(zip(november["shop"], november["metric"], november["value"])) == [
        ("旗舰店", "conversion_rate", 0.33), ("旗舰店", "sales", 320_000)]
    assert targets.copy_month(db, "2026-10", "2026-11", shop="旗舰店") == 0
    targets.set_target(db, "sales", "2026-10", 80_000, shop="旗舰店", account="小美")
    assert targets.copy_month(db, "2026-10", "2026-11", shop="旗舰店", account="小美") == 1
    assert targets.targets_frame(db, "2026-11")["account"].tolist().count("小美") == 1
    assert db.rows("SELECT detail FROM audit WHERE action = 'target_copy' ORDER BY audit_id") == [
        ("旗舰店 2026-10 → 2026-11: 1",), ("旗舰店:小美 2026-10 → 2026-11: 1",)]


def test_every_scopes_targets_are_copied_at_once_where_the_month_lacks_them(db):
    targets.set_target(db, "sales", "2026-10", 1_000_000)
    targets.set_target(db, "sales", "2026-10", 300_000, shop="旗舰店")
    targets.set_target(db, "conversion_rate", "2026-10", "33%", shop="旗舰店", team="A组")
    targets.set_target(db, "sales", "2026-10", 80_000, shop="旗舰店", account="小美")
    targets.set_target(db, "sales", "2026-11", 320_000, shop="旗舰店")  # already set: kept
    assert targets.copy_every_scope(db, "2026-10", "2026-11", user="boss") == 3
    november = targets.targets_frame(db, "2026-11")
    assert sorted(zip(november["shop"], november["team"], november["account"], november["value"])) == [
        ("", "", "", 1_000_000), ("旗舰店", "", "", 320_000), ("旗舰店", "", "小美", 80_000), ("旗舰店", "A组", "", 0.33)]
    assert targets.copy_every_scope(db, "2026-10", "2026-11") == 0
    assert db.rows("SELECT detail FROM audit WHERE action = 'target_copy'") == [
        (f"{targets.EVERY_SCOPE_LABEL} 2026-10 → 2026-11: 3",)]


# -- a spreadsheet of targets ----------------------------------------------------------------------------

def _xlsx(path, rows):
    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def test_targets_are_imported_from_a_sheet_with_a_column_per_kpi(db, tmp_path):
    from datetime import datetime

    path = _xlsx(tmp_path / "目标.xlsx", [
        ["2026年经营目标"],
        ["月份", "店铺", "团队", "销售额目标", "询单转化率(%)", "首次响应时间(秒)", "备注"],
        [datetime(2026, 11, 1), None, None, 1_200_000, 0.33, 20, "全店"],
        ["2026-11", "旗舰店", "A组", "50万", "35%", None, ""],
        [None, None, None, None, None, None, None],
    ])
    assert targets.import_targets(db, path, user="boss") == 5
    stored = targets.targets_frame(db, "2026-11")
    assert sorted(zip(stored["shop"], stored["team"], stored["metric"], stored["value"])) == [
        ("", "", "conversion_rate", 0.33), ("", "", "first_response_s", 20), ("", "", "sales", 1_200_000),
        ("旗舰店", "A组", "conversion_rate", 0.35), ("旗舰店", "A组", "sales", 500_000)]
    assert db.rows("SELECT detail FROM audit WHERE action = 'target_import'") == [("目标.xlsx: 5 targets",)]


def test_targets_are_imported_one_per_row_and_replace_what_was_set(db, tmp_path):
    targets.set_target(db, "sales", "2026-11", 1, shop="旗舰店")
    path = tmp_path / "targets.csv"
    path.write_text("月份,店铺,账号,指标,目标\n2026-11,旗舰店,,销售额,300000\n2026-11,,,reply_rate,98\n"
                    "2026-11,,旗舰店:小美,销售额,80000\n2026-11,拼多多店,pdd01,销售额,9万\n", encoding="gb18030")
    assert targets.import_targets(db, path) == 4
    stored = targets.targets_frame(db, "2026-11")
    assert sorted(zip(stored["shop"], stored["account"], stored["metric"], stored["value"])) == [
        ("", "", "reply_rate", 0.98), ("拼多多店", "pdd01", "sales", 90_000), ("旗舰店", "", "sales", 300_000),
        ("旗舰店", "小美", "sales", 80_000)]


def test_a_sheet_with_a_bad_cell_stores_nothing_and_names_every_bad_row(db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("月份,店铺,团队,指标,目标\n2026-11,,,销售额,很多\n2026-13,,,销售额,1\n2026-11,,A组,销售额,1\n"
                    "2026-11,,,毛利,5\n2026-11,,,回复率,98\n2026-11,,,回复率,97\n", encoding="utf-8")
    with pytest.raises(TargetError) as refused:
        targets.import_targets(db, path)
    lines = str(refused.value).splitlines()
    assert lines[0] == "未写入任何目标 — nothing was saved:"
    assert [line.split("：", 1)[0] for line in lines[1:]] == [f"bad.csv 第{n}行" for n in (2, 3, 4, 5, 7)]
    assert "不是数字" in lines[1] and "未知指标 '毛利'" in lines[4] and "与第6行重复" in lines[5]
    assert targets.targets_frame(db).empty
    (tmp_path / "none.csv").write_text("店铺,金额\n旗舰店,5\n", encoding="utf-8")
    with pytest.raises(TargetError, match="找不到表头"):
        targets.import_targets(db, tmp_path / "none.csv")
    with pytest.raises(TargetError, match="找不到文件"):
        targets.import_targets(db, tmp_path / "missing.xlsx")


def test_completion_is_a_totals_share_done_and_a_levels_value_against_its_target():
    rows = _targets(("sales", "2026-11-01", 300_000), ("conversion_rate", "2026-11-01", 0.40),
                    ("first_response_s", "2026-11-01", 20.0), ("refund_rate", "2026-11-01", 0.05))
    now = pd.Series({"sales": 150_000.0, "conversion_rate": 0.30, "first_response_s": 25.0, "refund_rate": 0.0})
    running = targets.standings(rows, now, date(2026, 11, 1), date(2026, 11, 15))
    assert running["sales"].completion == pytest.approx(0.5) and running["sales"].met  # of the month, on pace
    assert running["conversion_rate"].completion == pytest.approx(0.75)
    assert running["first_response_s"].completion == pytest.approx(0.8)  # 20 s wanted, 25 s taken
    assert running["refund_rate"].completion is None and running["refund_rate"].met  # no refund at all
    stretch = targets.standings(rows, now, date(2026, 11, 6), date(2026, 11, 15))["sales"]
    assert stretch.completion == pytest.approx(150_000 / 100_000)  # ten days' share of the month


def test_each_agent_is_held_to_its_own_targets_only():
    goals = pd.DataFrame({"shop": ["旗舰店", "旗舰店", "拼多多店"], "account": ["小美", "小美", "阿强"],
                          "metric": ["sales", "conversion_rate", "sales"],
                          "month": pd.to_datetime(["2026-10-01"] * 3), "value": [100_000.0, 0.30, 1.0]})
    agents = pd.DataFrame({"shop": ["旗舰店", "旗舰店", "拼多多店"], "agent": ["阿强", "小美", "pdd01"],
                           "sales": [500_000.0, 80_000.0, 9.0], "conversion_rate": [0.5, 0.33, 0.1]},
                          index=[10, 11, 12])
    found = targets.agent_standings(goals, agents, date(2026, 10, 1), date(2026, 10, 31))
    assert list(found.columns) == ["sales_target", "sales_target_met", "conversion_rate_target",
                                   "conversion_rate_target_met"]
    assert found.loc[11, "sales_target"] == pytest.approx(0.8) and not found.loc[11, "sales_target_met"]
    assert found.loc[11, "conversion_rate_target"] == pytest.approx(1.1) and found.loc[11, "conversion_rate_target_met"]
    assert found.loc[[10, 12]].isna().all().all()  # 拼多多店's 阿强 is another account than 旗舰店's
    assert targets.agent_standings(goals.iloc[:0], agents, date(2026, 10, 1), date(2026, 10, 31)).empty
