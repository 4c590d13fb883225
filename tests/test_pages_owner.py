"""The owner-facing pages (overview, leaderboard, trends, agent, weekly review) in AppTest.

Each runs on conftest's populated database (six agents, two shops, 60 days to 2026-10-31)
and is checked for content an empty page would not have, and for who may see what.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import replace

import numpy as np
import pytest
from conftest import app_test, held_by_another_process, page_text, synthetic_facts

from csperf import schemes
from csperf.db import PROJECT_ROOT, open_db

PAY_HEADERS = {"系数", "绩效工资", "提成", "奖金", "名次奖", "团队奖", "扣款", "底薪", "应发"}


def run(page: str, role: str = "owner"):
    at = app_test(page, role)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_overview_shows_tiles_teams_shops_and_alerts(app_db):
    at = run("pages/1_overview.py")
    labels = {m.label: m.value for m in at.metric}
    assert labels["询单转化率"].endswith("%") and labels["销售额"].startswith("¥")
    assert any("询单" in c.value for c in at.caption)  # the rate's count under the tile
    teams, shops = at.dataframe[0].value, at.dataframe[1].value
    assert {"A组", "B组", "拼团组"} <= set(teams["团队"]) and set(shops["店铺"]) == {"旗舰店", "拼多多店"}
    assert "%" in teams["询单转化率"].iloc[0] and "询单" in teams["询单转化率"].iloc[0]
    assert "满意率" in teams.columns and "满意率" in shops.columns  # full width: room for the quality KPI too
    assert "回复率" in teams.columns  # the after-sales teams' other figure
    # 新人 converts far below B组 and scores under the pre-sales threshold; the last day is provisional
    assert any("新人" in e.value and "门槛" in e.value for e in at.error)
    assert any("新人" in w.value for w in at.warning)
    assert any("暂估" in i.value for i in at.info)
    assert any("数据截至 2026-10-31" in c.value for c in at.caption)
    assert len(at.get("plotly_chart")) >= 4  # sparklines


def test_overview_warns_of_an_agent_slipping_since_the_previous_period(app_db):
    import pandas as pd

    from csperf.db import ImportMeta, open_db

    at = run("pages/1_overview.py")
    assert not [w.value for w in at.warning if "下滑" in w.value]
    # 阿强 answered 2,000 chats in 5 s on 1 September: his September was far quicker than
    # October's 23.7 s, while A组 as a whole slowed by less
    quick = pd.DataFrame([{"shop": "旗舰店", "account": "阿强", "date_from": "2026-09-01", "date_to": "2026-09-01",
                           "receptions": 2000, "first_response_sum_s": 10_000, "first_response_n": 2000}])
    open_db().apply_import(ImportMeta("quick.xlsx", "quick-sha", "generic"), quick)
    at.run()
    slipped = [w.value for w in at.warning if "下滑" in w.value]
    assert len(slipped) == 1 and slipped[0].startswith("阿强（旗舰店 · A组） 比上期明显下滑：首次响应时间(秒) 23.7秒")


def import_october_2025() -> None:
    """October 2026's shape a year earlier, at half the sales."""
    from csperf.db import ImportMeta

    october_2025 = synthetic_facts(days=31, seed=9)
    for column in ("date_from", "date_to"):
        october_2025[column] = october_2025[column].map(lambda day: day.replace(year=2025))
    october_2025["sales"] = october_2025["sales"] / 2
    open_db().apply_import(ImportMeta("2025-10.xlsx", "sha-2025-10", "generic"), october_2025)


def test_the_sidebar_compares_with_the_same_period_last_year_on_every_page(app_db):
    import_october_2025()
    at = run("pages/1_overview.py")
    assert "对比上期 09-01 ~ 09-30" in at.caption[0].value and "against" not in at.query_params
    at.selectbox(key="w_against").set_value("last_year").run()
    assert not at.exception
    assert at.caption[0].value.startswith("2026-10-01 ~ 2026-10-31，对比去年同期 2025-10-01 ~ 2025-10-31 · ")
    sales = next(m for m in at.metric if m.label == "销售额")
    assert sales.delta.startswith("+") and sales.help.startswith("去年同期 ¥")  # about twice last October's
    assert at.query_params["against"] == "last_year"  # a reload or a shared link keeps it
    at.switch_page("pages/2_leaderboard.py").run()
    assert at.selectbox(key="w_against").value == "last_year"
    assert any("名次变化对比去年同期 2025-10-01 ~ 2025-10-31" in c.value for c in at.caption)
    at.selectbox(key="w_period").set_value("last_month").run()  # September: last year has none
    assert any("名次变化对比去年同期 2025-09-01 ~ 2025-09-30" in c.value for c in at.caption)
    at.switch_page("pages/1_overview.py").run()
    assert ":orange[去年同期 2025-09-01 ~ 2025-09-30 没有数据（数据从 2025-10-01 开始），不显示同比。]" in [
        c.value for c in at.caption]
    assert not any(m.delta for m in at.metric)
    at.switch_page("pages/4_agent.py").run()
    assert not at.exception and at.selectbox(key="w_against").value == "last_year"


def test_overview_shows_no_change_of_a_total_against_a_partly_covered_previous_period(app_db):
    # the figures begin on 09-02, so September lacks a day: October's sales would read as grown
    at = run("pages/1_overview.py")
    assert ":orange[上期 09-01 ~ 09-30 只有 09-02 起的数据（29/30 天）：合计类指标（销售额、接待人数等）不显示环比，比率照常对比。]" in [
        c.value for c in at.caption]
    deltas = {m.label: m.delta for m in at.metric}
    assert not deltas["销售额"] and deltas["询单转化率"].endswith("pp")
    at.session_state["f_period"] = "last_month"  # August: before any figure
    at.run()
    assert any(c.value.startswith(":orange[上期 08-01 ~ 08-31 没有数据（数据从 2026-09-02 开始）") for c in at.caption)
    assert not any(m.delta for m in at.metric)


def test_overview_shows_no_change_of_a_total_grown_by_a_shop_added_this_period(app_db):
    import pandas as pd

    from csperf.db import ImportMeta, open_db

    added = pd.DataFrame([{"shop": "新开店", "account": "新客服", "date_from": f"2026-10-{d:02d}",
                           "date_to": f"2026-10-{d:02d}", "receptions": 500, "sales": 50_000.0} for d in (5, 6)])
    open_db().apply_import(ImportMeta("added.xlsx", "added-sha", "generic"), added)
    at = run("pages/1_overview.py")
    captions = [c.value for c in at.caption]
    assert any(c.startswith(":orange[上期 09-01 ~ 09-30 有店铺数据不全（") and "新开店没有数据" in c for c in captions)
    deltas = {m.label: m.delta for m in at.metric}
    assert not deltas["接待人数"] and not deltas["销售额"] and deltas["询单转化率"].endswith("pp")


def shop_level_rows(shop: str, days: int, end=None, sales: float = 10_000.0):
    import datetime as dt

    import pandas as pd

    from csperf.importer import SHOP_LEVEL_ACCOUNT

    end = end or dt.date(2026, 10, 31)
    return pd.DataFrame([{"shop": shop, "account": SHOP_LEVEL_ACCOUNT, "date_from": day, "date_to": day,
                          "inquiries": 200, "paid_buyers": 50, "sales": sales, "sales_buyers": 50}
                         for day in (end - dt.timedelta(days=n) for n in range(days))])


def test_overview_lists_the_shops_own_figures_apart_from_the_agents(app_db):
    from csperf.db import ImportMeta, open_db

    at = run("pages/1_overview.py")
    sales_before = next(m.value for m in at.metric if m.label == "销售额")
    assert "店铺整体数据" not in [s.value for s in at.subheader]
    open_db().apply_import(ImportMeta("sycm.xlsx", "sycm-sha", "taobao_sycm", shop="旗舰店"),
                           shop_level_rows("旗舰店", 31))
    at.run()
    assert next(m.value for m in at.metric if m.label == "销售额") == sales_before  # not added to the agents'
    assert "店铺整体数据" in [s.value for s in at.subheader]
    own = at.dataframe[-1].value
    assert own["店铺"].tolist() == ["旗舰店"] and own["销售额"].iloc[0].startswith("¥310,000")
    assert own["询单转化率"].iloc[0].startswith("25.0%")
    at.session_state["f_team"] = ["A组"]  # a shop's own figures are no team's
    at.run()
    assert "店铺整体数据" not in [s.value for s in at.subheader]


@pytest.fixture
def shop_level_db(tmp_path, monkeypatch):
    """Only shop-level files (生意参谋): no agent column anywhere."""
    from conftest import PASSWORDS, app_database

    from csperf import auth
    from csperf.db import ImportMeta

    def fill(database):
        database.apply_import(ImportMeta("sycm.xlsx", "sha", "taobao_sycm", shop="旗舰店"),
                              shop_level_rows("旗舰店", 61))
        auth.add_user(database, "owner", PASSWORDS["owner"], "owner")

    with app_database(tmp_path, monkeypatch, fill) as path:
        yield path


def test_overview_shows_the_shops_own_figures_when_there_are_no_agents(shop_level_db):
    at = run("pages/1_overview.py")
    assert any("只有店铺整体数据" in i.value for i in at.info)
    tiles = {m.label: m for m in at.metric}
    assert tiles["销售额"].value == "¥310,000.00" and tiles["询单转化率"].value == "25.0%"
    assert tiles["销售额"].delta  # September is whole: the change is shown
    assert at.dataframe[-1].value["店铺"].tolist() == ["旗舰店"]
    assert "需要关注" not in [s.value for s in at.subheader]


def test_overview_holds_its_tiles_to_the_targets_of_the_view(app_db):
    from csperf import queries, targets
    from csperf.db import open_db

    at = run("pages/1_overview.py")
    assert not [c.value for c in at.caption if "目标" in c.value]  # none set: no target lines at all
    db = open_db()
    october = queries.team_totals(db, "2026-10-01", "2026-10-31")
    targets.set_target(db, "sales", "2026-10", round(october["sales"] * 2))
    targets.set_target(db, "conversion_rate", "2026-10", october["conversion_rate"] + 0.05)
    targets.set_target(db, "first_response_s", "2026-10", october["first_response_s"] + 5)
    targets.set_target(db, "sales", "2026-10", 1, shop="拼多多店")
    at.run()
    lines = [c.value for c in at.caption if c.value.startswith(":") and "目标" in c.value]
    assert lines[0] == f":orange[目标 ¥{round(october['sales'] * 2):,} · 完成 50.0%]"
    assert lines[1].startswith(":orange[目标 ") and lines[1].endswith(" · 差 5.0pp]")
    assert lines[2].startswith(":green[目标 ≤ ") and lines[2].endswith(" · 已达标]")
    assert [c.value for c in at.caption].count("未设目标") == 5  # the tiles without one say so
    at.session_state["f_shop"] = ["旗舰店"]  # a shop with no target of its own: none of the business's
    at.run()
    assert not [c.value for c in at.caption if "目标" in c.value]
    at.session_state["f_shop"] = ["拼多多店"]
    at.run()
    assert next(c.value for c in at.caption if "目标" in c.value).startswith(":green[目标 ¥1 · 完成 ")


def test_overview_holds_each_shop_and_team_to_its_own_targets(app_db):
    from csperf import queries, targets
    from csperf.db import open_db

    at = run("pages/1_overview.py")
    assert "店铺与团队目标" not in [s.value for s in at.subheader]
    db = open_db()
    shops = queries.scope_kpis(db, "2026-10-01", "2026-10-31").set_index(["shop", "team"])
    flagship = round(shops.loc[("旗舰店", ""), "sales"] * 2)
    targets.set_target(db, "sales", "2026-10", flagship, shop="旗舰店")
    targets.set_target(db, "conversion_rate", "2026-10", shops.loc[("旗舰店", "A组"), "conversion_rate"] - 0.05,
                       shop="旗舰店", team="A组")
    targets.set_target(db, "sales", "2026-10", 1, shop="拼多多店")
    at.run()
    assert "店铺与团队目标" in [s.value for s in at.subheader]
    table = next(d.value for d in at.dataframe if "目标进度" in d.value.columns)
    assert table[["范围", "指标"]].values.tolist() == [["拼多多店", "销售额"], ["旗舰店", "销售额"],
                                                     ["旗舰店 · A组", "询单转化率"]]
    assert table["目标进度"].iloc[1] == f"目标 ¥{flagship:,} · 完成 50.0%"
    assert table["达成率"].iloc[1] == pytest.approx(50, abs=0.01)
    short = [w.value for w in at.warning if "未达目标" in w.value]
    assert short == [f"旗舰店 未达目标：销售额 目标 ¥{flagship:,} · 完成 50.0%"]
    at.session_state["f_role"] = ["presales"]  # a role is part of a shop: no shop is held to its target
    at.run()
    assert "店铺与团队目标" not in [s.value for s in at.subheader]
    assert not [w.value for w in at.warning if "未达目标" in w.value]


def test_overview_sparklines_are_built_once_per_data_version(app_db, monkeypatch):
    from csperf import ui, ui_charts
    from csperf.db import open_db

    built = []
    sparkline = ui_charts.sparkline

    def counted(frame, metric, *args, **kwargs):
        built.append(metric)
        return sparkline(frame, metric, *args, **kwargs)

    monkeypatch.setattr(ui.charts, "sparkline", counted)
    at = run("pages/1_overview.py")
    first = len(built)
    assert first == len(at.get("plotly_chart")) >= 4
    at.run()
    assert len(built) == first  # a rerun draws the same figures
    with open_db().write() as cur:  # a write: every cache keyed on the data version expires
        cur.execute("SELECT 1")
    at.run()
    assert len(built) == 2 * first


def test_leaderboard_ranks_with_pay_for_the_owner(app_db):
    from csperf.ui_format import to_cent

    at = run("pages/2_leaderboard.py")
    table = at.dataframe[0].value
    assert set(table["客服"]) == {"小美", "阿强", "晓东", "新人", "pdd01", "pdd02"}
    first_in_a = table[table["比较组"].str.contains("A组")].iloc[0]
    assert first_in_a["客服"] == "小美" and first_in_a["名次"] == 1
    assert {"应发", "系数"} <= set(table.columns)
    assert {"询单转化率", "询单转化率 样本"} <= set(table.columns)
    assert "质检分" not in table.columns  # nobody has a QA score: said once above the table
    assert any("质检分" in i.value for i in at.info)
    assert at.get("download_button")
    assert f"**应发合计 ¥{to_cent(table['应发']).sum():,.2f} · 6 人**" in [m.value for m in at.markdown]
    # the deduction says what it was for: the pre-sales preset takes ¥50 a bad review
    assert (table["扣款"] == 50 * table["中差评（扣款依据）"]).all() and table["中差评（扣款依据）"].gt(0).any()
    assert list(table.columns).index("中差评（扣款依据）") == list(table.columns).index("扣款") - 1


def test_rank_moves_against_a_partly_covered_previous_period_are_marked_a_rough_guide(app_db):
    # the figures begin on 09-02: September's scores rest on 29 of its 30 days
    note = ":orange[上期 09-01 ~ 09-30 只有 09-02 起的数据（29/30 天）：名次和得分的变化仅供参考。]"
    board = run("pages/2_leaderboard.py")
    assert note in [c.value for c in board.caption]
    agent = run("pages/4_agent.py")
    pick = agent.selectbox(key="ag_pick")
    pick.set_value(next(i for i, label in enumerate(pick.options) if label.startswith("小美"))).run()
    assert agent.metric[0].delta and note in [c.value for c in agent.caption]


def test_leaderboard_says_who_is_paid_a_base_in_each_of_several_shops(app_db):
    from csperf.db import open_db

    at = run("pages/2_leaderboard.py")
    assert not [c.value for c in at.caption if "底薪" in c.value]
    with open_db().write() as cur:  # pdd01 is 小美's account in the other shop
        cur.execute("UPDATE roster SET name = '小美' WHERE account = 'pdd01'")
    at.run()
    assert any(m.value.endswith(" · 5 人（6 个账号）**") for m in at.markdown)
    note = next(c.value for c in at.caption if "底薪" in c.value)
    assert note.startswith(":orange[小美（") and "¥3,000.00 + ¥3,000.00" in note and "拼多多店" in note
    with open_db().write() as cur:  # a shop that pays her one base sets the other account's to 0
        cur.execute("UPDATE roster SET base_salary = 0 WHERE account = 'pdd01'")
    at.run()
    assert not [c.value for c in at.caption if "底薪" in c.value]


def test_named_periods_end_at_the_last_day_with_data():
    from datetime import date

    from csperf.ui import PERIOD_CHOICES, PERIOD_LABELS, period_for

    last = date(2026, 11, 18)  # a Wednesday
    assert period_for("month", last) == (date(2026, 11, 1), last)
    assert period_for("last_month", last) == (date(2026, 10, 1), date(2026, 10, 31))
    assert period_for("week", last) == (date(2026, 11, 16), last)
    assert period_for("last_week", last) == (date(2026, 11, 9), date(2026, 11, 15))
    assert period_for("7d", last) == (date(2026, 11, 12), last)
    assert set(PERIOD_LABELS) == set(PERIOD_CHOICES)


def test_leaderboard_says_when_the_dates_are_not_the_schemes_whole_month(app_db):
    at = run("pages/2_leaderboard.py")
    assert not [w.value for w in at.warning if "按月考核" in w.value]  # October, whole
    at.session_state["f_period"] = "30d"
    at.run()
    note = next(w.value for w in at.warning if "按月考核" in w.value)
    assert note.startswith("「售前标准方案」按月考核，所选 10-02 ~ 10-31 不是一个整月")
    at.button(key="period_fit_month").click().run()  # to the latest whole month
    assert at.session_state["f_period"] == "month"
    assert not [w.value for w in at.warning if "按月考核" in w.value]
    assert any(c.value.startswith("2026-10-01 ~ 2026-10-31") for c in at.caption)


def test_leaderboard_shows_each_agents_own_target_completion(app_db):
    from csperf import queries, targets
    from csperf.db import open_db

    at = run("pages/2_leaderboard.py")
    assert "销售额目标达成" not in at.dataframe[0].value.columns  # nobody has a target of their own yet
    october = queries.agent_kpis(open_db(), "2026-10-01", "2026-10-31").set_index("agent")
    targets.set_target(open_db(), "sales", "2026-10", round(october.loc["小美", "sales"] * 2), shop="旗舰店",
                       account="小美")
    targets.set_target(open_db(), "sales", "2026-10", 1)  # the whole business's: not an agent's
    at.run()
    table = at.dataframe[0].value.set_index("客服")
    assert table.loc["小美", "销售额目标达成"] == pytest.approx(
        october.loc["小美", "sales"] / round(october.loc["小美", "sales"] * 2), rel=1e-6)
    assert table.drop(index="小美")["销售额目标达成"].isna().all()
    assert any(c.value.startswith("“目标达成”对照客服本人的月度目标") for c in at.caption)


def test_the_team_filter_offers_only_the_teams_of_the_shops_picked(app_db):
    at = run("pages/2_leaderboard.py")
    assert at.multiselect(key="w_team").options == ["A组", "B组", "拼团组"]
    # none picked already means all: no extra "Select all" entry (Streamlit's own, in English)
    assert all(at.multiselect(key=f"w_{key}").proto.select_all == 0 for key in ("shop", "team", "role"))
    at.session_state["f_team"] = ["A组"]
    at.session_state["f_shop"] = ["拼多多店"]
    at.run()
    assert at.multiselect(key="w_team").options == ["拼团组"]
    assert at.session_state["f_team"] == []  # 旗舰店's team no longer narrows 拼多多店 to nobody
    assert set(at.dataframe[0].value["客服"]) == {"pdd01", "pdd02"}


def test_leaderboard_shows_no_pay_to_a_viewer(app_db):
    at = run("pages/2_leaderboard.py", "viewer")
    table = at.dataframe[0].value
    assert "小美" in set(table["客服"])
    assert not PAY_HEADERS & set(table.columns) and "中差评（扣款依据）" not in table.columns
    assert "应发" not in page_text(at)
    assert any("不显示绩效工资" in c.value for c in at.caption)


def test_leaderboard_scores_with_a_chosen_scheme(app_db):
    at = run("pages/2_leaderboard.py")
    at.selectbox(key="lb_scheme").select("提成制方案").run()
    assert not at.exception
    assert any("方案：提成制方案" in c.value for c in at.caption)
    assert "提成" in at.dataframe[0].value.columns
    at.selectbox(key="lb_scheme").select("售后标准方案").run()  # the roster's agents are all pre-sales
    assert any("不是所选方案的岗位" in c.value for c in at.caption) or "没有可计分的客服" in page_text(at)


def test_leaderboard_says_when_a_schemes_bands_put_everyone_in_the_lowest_one(app_db):
    schemes.ensure_presets(open_db())
    preset, _ = schemes.get_scheme(open_db(), "售前标准方案")
    strict = replace(preset, name="严苛方案", pay=replace(preset.pay, coefficients=[(0, 0.5), (150, 1.0)]))
    schemes.save_scheme(open_db(), strict, "档位过高")
    at = run("pages/2_leaderboard.py", "supervisor")
    assert not any("绩效系数都是最低档" in i.value for i in at.info)  # the assigned preset spreads its agents
    at.selectbox(key="lb_scheme").select("严苛方案").run()
    assert any(i.value.startswith("严苛方案：全部 ") and "得分都低于 150，绩效系数都是最低档（0.5）" in i.value
               and "「模拟」页" in i.value for i in at.info), [i.value for i in at.info]
    viewer = run("pages/2_leaderboard.py", "viewer")  # no what-if page to go to, and no coefficients shown
    viewer.selectbox(key="lb_scheme").select("严苛方案").run()
    assert not any("绩效系数" in i.value for i in viewer.info)


def test_trends_draw_team_agent_and_small_multiples(app_db):
    at = run("pages/3_trends.py")
    assert len(at.tabs) == 3
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    names = [{trace.get("name") for trace in chart["data"]} for chart in charts]
    assert {"旗舰店 · A组", "旗舰店 · B组", "拼多多店 · 拼团组", "全部"} <= names[0]
    assert "团队" in names[1]
    titles = {a["text"] for a in charts[2]["layout"]["annotations"]}
    assert titles == {"pdd01", "pdd02"}  # one small chart per member of the first team, 拼多多店 · 拼团组
    weekly_points = len(charts[0]["data"][0]["x"])
    at.segmented_control(key="tr_grain").set_value("day").run()
    assert not at.exception
    daily = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert len(daily["data"][0]["x"]) > weekly_points  # 60 days against 9 or 10 weeks


def test_an_agents_sales_are_drawn_against_the_teams_mean_per_agent_not_its_total(app_db):
    from csperf import queries, views
    from csperf.db import open_db

    at = run("pages/3_trends.py")
    at.selectbox(key="tr_metric").select("sales").run()
    at.selectbox(key="tr_agent").set_value(0).run()  # the first agent of the list: 拼多多店's pdd01 (拼团组)
    team = next(t for t in json.loads(at.get("plotly_chart")[1].proto.spec)["data"] if t.get("name") == "团队")
    first, last = queries.data_range(open_db())
    span = views.trend_range(at.session_state["tr_range"], first, last, (first, last))
    means = queries.trend(open_db(), "sales", *span, grain="week", as_group=True, shop="拼多多店", team="拼团组")
    totals = queries.trend(open_db(), "sales", *span, grain="week", shop="拼多多店", team="拼团组")
    drawn = team["y"]  # plotly writes a float array without gaps as base64 typed data
    if isinstance(drawn, dict):
        drawn = np.frombuffer(base64.b64decode(drawn["bdata"]), dtype=drawn["dtype"]).tolist()
    drawn = dict(zip((x[:10] for x in team["x"]), drawn))
    expected = {f"{p:%Y-%m-%d}": v for p, v in zip(means["period"], means["value"]) if f"{p:%Y-%m-%d}" in drawn}
    assert len(expected) >= 3 and [drawn[p] for p in expected] == pytest.approx(list(expected.values()))
    assert means["value"].iloc[1] < totals["value"].iloc[1]  # two agents worked: half the total
    assert any("人均值（上班的客服）" in c.value for c in at.caption)


def test_trends_draw_the_whole_shops_own_rate_beside_the_agents(app_db):
    from csperf.db import ImportMeta, open_db

    def traces(at):
        return {t.get("name"): t for t in json.loads(at.get("plotly_chart")[0].proto.spec)["data"]}

    at = run("pages/3_trends.py")
    assert "店铺整体" not in traces(at)
    open_db().apply_import(ImportMeta("sycm.xlsx", "sycm-sha", "taobao_sycm", shop="旗舰店"),
                           shop_level_rows("旗舰店", 31))
    at.segmented_control(key="tr_grain").set_value("month").run()
    own = traces(at)["店铺整体"]
    drawn = own["y"]  # plotly writes a float array without gaps as base64 typed data
    if isinstance(drawn, dict):
        drawn = np.frombuffer(base64.b64decode(drawn["bdata"]), dtype=drawn["dtype"]).tolist()
    assert drawn == [0.25] and own["line"]["dash"] == "dashdot"  # 50 of 200 inquiries a day, October only
    assert any("店铺整体" in c.value and "生意参谋" in c.value for c in at.caption)
    at.selectbox(key="tr_metric").select("sales").run()  # a total would dwarf the teams' lines
    assert "店铺整体" not in traces(at)
    at.selectbox(key="tr_metric").select("conversion_rate")
    at.session_state["f_team"] = ["A组"]  # no team's figure
    at.run()
    assert "店铺整体" not in traces(at)


def test_trends_draw_last_years_line_on_this_years_dates(app_db):
    from datetime import date

    def traces(at):
        return {t.get("name"): t for t in json.loads(at.get("plotly_chart")[0].proto.spec)["data"]}

    at = run("pages/3_trends.py")
    assert not at.toggle(key="tr_last_year").value and "去年同期" not in traces(at)
    at.toggle(key="tr_last_year").set_value(True).run()
    assert "去年同期没有这个指标的数据。" in [c.value for c in at.caption] and "去年同期" not in traces(at)
    import_october_2025()
    at.run()
    line = traces(at)["去年同期"]  # weekly: 52 weeks back, so each point sits on one of this year's Mondays
    assert {date.fromisoformat(x[:10]).weekday() for x in line["x"]} == {0}
    assert line["x"][0][:10] == "2026-09-28" and line["customdata"][0] == "2025-09-29"  # a week from 09-29 holding 10-01
    assert line["line"]["dash"] == "dot" and "悬停可见去年的日期" in " ".join(c.value for c in at.caption)
    at.segmented_control(key="tr_grain").set_value("month").run()
    assert [x[:10] for x in traces(at)["去年同期"]["x"]] == ["2026-10-01"]  # October 2025, on October 2026
    at.toggle(key="tr_last_year").set_value(False).run()
    at.switch_page("pages/1_overview.py").run()
    at.selectbox(key="w_against").set_value("last_year").run()
    at = at.switch_page("pages/3_trends.py").run()  # the next visit with 同比 chosen: on from the start
    assert at.toggle(key="tr_last_year").value and "去年同期" in traces(at)


def test_trends_draw_the_target_as_its_own_line(app_db):
    from csperf import targets
    from csperf.db import open_db

    at = run("pages/3_trends.py")
    assert "目标" not in {trace.get("name") for trace in json.loads(at.get("plotly_chart")[0].proto.spec)["data"]}
    targets.set_target(open_db(), "conversion_rate", "2026-10", "31%")
    at.run()
    traces = {trace.get("name"): trace for trace in json.loads(at.get("plotly_chart")[0].proto.spec)["data"]}
    assert [v for v in traces["目标"]["y"] if v is not None] == [0.31, 0.31]  # across October, the range's month
    assert traces["目标"]["x"][0].startswith("2026-10-01") and traces["目标"]["x"][1].startswith("2026-10-31")
    assert any("黑色点线为月度目标" == c.value for c in at.caption)


def test_agent_page_trend_runs_by_week_and_by_day(app_db):
    from datetime import date

    def trend():  # the chart of the agent against the team
        return next(spec for spec in (json.loads(c.proto.spec) for c in at.get("plotly_chart"))
                    if "团队" in {t.get("name") for t in spec["data"]})

    at = run("pages/4_agent.py", "agent")
    weekly = trend()
    mondays = {date.fromisoformat(x[:10]).weekday() for trace in weekly["data"] for x in trace["x"]}
    assert mondays == {0} and {t["name"] for t in weekly["data"]} == {"小美", "团队"}
    assert any(c.value.startswith("近90天") and "按周" in c.value for c in at.caption)
    at.segmented_control(key="ag_trend_grain").set_value("day").run()
    assert not at.exception
    daily = trend()
    assert len(daily["data"][0]["x"]) > len(weekly["data"][0]["x"])
    assert any(c.value.startswith("近90天") and "按日" in c.value for c in at.caption)


def test_agent_page_shows_the_agents_own_targets(app_db):
    from csperf import queries, targets
    from csperf.db import open_db

    at = run("pages/4_agent.py", "agent")
    assert "个人目标" not in [h.value for h in at.subheader]
    october = queries.agent_kpis(open_db(), "2026-10-01", "2026-10-31").set_index("agent").loc["小美"]
    targets.set_target(open_db(), "sales", "2026-10", round(october["sales"] / 2), shop="旗舰店", account="小美")
    targets.set_target(open_db(), "sales", "2026-10", 1, shop="旗舰店", account="阿强")  # someone else's
    targets.set_target(open_db(), "sales", "2026-10", 1)  # the whole business's
    at.run()
    assert "个人目标" in [h.value for h in at.subheader]
    lines = [c.value for c in at.caption if "目标" in c.value and c.value.startswith(":")]
    assert lines == [f":green[目标 ¥{round(october['sales'] / 2):,} · 完成 200.0%]"]


def test_agent_page_for_the_owner_has_score_breakdown_and_pay_slip(app_db):
    at = run("pages/4_agent.py")
    pick = at.selectbox(key="ag_pick")
    pick.set_value(next(i for i, label in enumerate(pick.options) if label.startswith("小美"))).run()
    assert not at.exception
    assert at.title[0].value == "客服 · 小美"
    assert {m.label for m in at.metric} >= {"得分", "组内名次", "应发合计"}
    parts = at.dataframe[0].value
    counted = parts[parts["指标得分"] != "未计"]
    shares = counted["实际占比"].str.rstrip("%").astype(float)
    assert abs(shares.sum() - 100) < 0.1 and parts.loc[parts["指标得分"] == "未计", "实际占比"].isna().all()
    points = counted["指标得分"].astype(float) * shares / 100
    assert (points - counted["贡献"].astype(float)).abs().max() < 0.2  # contribution = score × share (both rounded)
    assert any(c.value.startswith("贡献 = 指标得分 × 实际占比") for c in at.caption)
    slip = at.dataframe[1].value
    assert slip["项目"].tolist()[0] == "底薪" and slip["项目"].tolist()[-1] == "应发合计"
    assert "晋级准备度" in [s.value for s in at.subheader]


def test_an_agent_sees_only_themself(app_db):
    at = run("pages/4_agent.py", "agent")
    assert at.title[0].value == "客服 · 小美"
    assert "ag_pick" not in [s.key for s in at.selectbox]
    text = page_text(at)
    for other in ("阿强", "晓东", "新人", "pdd01", "pdd02"):
        assert other not in text
    assert "应发合计" in text  # their own pay slip


def test_a_custom_period_outside_the_data_is_held_within_it_on_every_page(app_db):
    from datetime import date

    at = app_test("pages/1_overview.py")
    # remembered from data since undone: the date picker refuses dates outside the data
    at.session_state["f_period"], at.session_state["f_custom"] = "custom", (date(2026, 8, 1), date(2026, 8, 31))
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.date_input(key="w_custom").value == (date(2026, 9, 2), date(2026, 9, 2))  # the data's first day
    at.switch_page("pages/7_review.py").run()  # no sidebar: the custom choice is still read
    assert not at.exception, [e.message for e in at.exception]


def test_review_slides_advance_with_the_buttons(app_db):
    at = run("pages/7_review.py", "viewer")
    assert any("本周团队概况" in m.value for m in at.markdown)
    assert any("1 / 6" in m.value for m in at.markdown)
    # the big screen hides the sidebar: a link leads back to the dashboard
    assert [(link.proto.label, link.proto.page) for link in at.get("page_link")] == [("退出周会", "overview")]
    at.button(key="rv_next").click().run()
    assert not at.exception
    slide = "\n".join(m.value for m in at.markdown)
    assert "本周排名" in slide and "2 / 6" in slide and "rv-rank-1" in slide
    assert "小美" in slide or "晓东" in slide
    assert "<span class='rv-n'>4</span>" in slide  # past the podium, the ranking goes on in rows
    at.button(key="rv_next").click().run()
    slide = "\n".join(m.value for m in at.markdown)
    assert "进步最快" in slide and "3 / 6" in slide
    assert "<span class='rv-n'>4</span>" in slide and "→" in slide.split("rv-n'>4<")[1]  # risers past three
    # the big figures shrink to fit the card rather than lose digits (98.8 → 108.6 read "98.8 → 108" at 1280 px)
    assert re.search(r"<div class='rv-value' style='font-size:min\(calc\(4.8\*var\(--u\)\), [\d.]+cqi\)'>[\d.]+ → [\d.]+</div>", slide)
    at.button(key="rv_next").click().run()
    slide = "\n".join(m.value for m in at.markdown)
    assert "单项冠军" in slide and "4 / 6" in slide
    cards = slide.split("<div class='rv-card'>")[1:]
    for card in cards:  # each champion over places 2 and 3 of the same KPI, not again themself
        champion = re.search(r"<div class='rv-name'>([^<]*)</div>", card).group(1)
        places = re.findall(r"<div class='rv-place'><span class='rv-n'>(\d)</span><b>([^<]*)</b>", card)
        assert [p for p, _ in places] == ["2", "3"][:len(places)] and champion not in {n for _, n in places}
    assert any("rv-place" in card for card in cards)
    at.button(key="rv_prev").click().run()
    at.button(key="rv_prev").click().run()
    at.button(key="rv_prev").click().run()
    at.button(key="rv_prev").click().run()
    assert any("6 / 6" in m.value and "本周奖项" not in m.value for m in at.markdown)
    assert "本周奖项" in "\n".join(m.value for m in at.markdown)

    def winners():
        slide = next(m.value for m in at.markdown if "<div class='rv-tag'>" in m.value)
        return re.findall(r"<div class='rv-name'>([^<]*)</div>", slide)

    spread = winners()  # one award each by default: nobody twice
    assert len(spread) == len(set(spread)) >= 3 and at.toggle(key="rv_one_each_pick").value
    passed = re.findall(r"顺延：第一名 (\S+) 已获其他奖项", page_text(at))  # a card passed down says so …
    assert passed and set(passed) <= set(spread)  # … naming who led it, a winner of another card
    at.toggle(key="rv_one_each_pick").set_value(False).run()
    every = winners()
    assert len(every) > len(set(every))  # the fixture's best agent takes several
    assert "顺延" not in page_text(at)
    at.button(key="rv_next").click().run()
    at.button(key="rv_prev").click().run()
    assert winners() == every and not at.toggle(key="rv_one_each_pick").value  # the choice outlives the slide
    assert "应发" not in page_text(at)  # no pay on the big screen


def test_review_summary_holds_the_week_to_its_share_of_the_targets(app_db):
    from csperf import targets
    from csperf.db import open_db

    targets.set_target(open_db(), "sales", "2026-10", 31_000)
    targets.set_target(open_db(), "conversion_rate", "2026-10", "99%")
    at = run("pages/7_review.py", "viewer")
    slide = "\n".join(m.value for m in at.markdown)
    assert "rv-good rv-target'>目标 ¥7,000（按 7 天折算）· 完成 " in slide  # 10-25 … 10-31 of 31,000
    assert "rv-bad rv-target'>目标 99.0% · 差 " in slide



def test_review_shows_where_the_week_leaves_the_months_targets(app_db):
    from csperf import targets
    from csperf.db import open_db

    targets.set_target(open_db(), "sales", "2026-10", 31_000)
    targets.set_target(open_db(), "conversion_rate", "2026-10", "99%", shop="旗舰店", team="A组")
    at = run("pages/7_review.py", "viewer")  # the week 10-19 ~ 10-25
    at.button(key="rv_next").click().run()
    slide = "\n".join(m.value for m in at.markdown)
    assert "本月目标进度 · 10-01 ~ 10-25" in slide and "2 / 7" in slide
    goals = re.findall(r"<div class='rv-at'>([^<]*)</div><div class='rv-line'><b>([^<]*)</b>"
                       r"<span class='(rv-good|rv-bad) rv-target'>([^<]*)</span>", slide)
    assert [(where, kpi.split(" ")[0], colour) for where, kpi, colour, _ in goals] == [
        ("全部店铺", "销售额", "rv-good"), ("旗舰店 · A组", "询单转化率", "rv-bad")]
    assert goals[0][3].startswith("月目标 ¥31,000 · 已完成 ") and " · 预计月底 " in goals[0][3]  # 25 of 31 days
    at.selectbox(key="rv_shop").set_value("拼多多店").run()  # no targets of its own: no such slide
    assert not at.exception
    assert not any("本月目标进度" in m.value for m in at.markdown)
    assert any(" / 6" in m.value for m in at.markdown)


def test_review_opens_on_the_last_week_ended_and_can_show_the_running_one(app_db):
    at = run("pages/7_review.py", "viewer")  # figures up to Saturday 10-31
    head = next(m.value for m in at.markdown if "class='rv-head'" in m.value)
    assert "10-19 ~ 10-25" in head and "对比上周 10-12 ~ 10-18" in head
    running = at.selectbox(key="rv_week").options[0]
    assert running == "10-26 ~ 10-31（本周至今）"
    at.selectbox(key="rv_week").select_index(0).run()
    head = next(m.value for m in at.markdown if "class='rv-head'" in m.value)
    assert "10-26 ~ 10-31（本周至今）" in head and "对比上周 10-19 ~ 10-24" in head  # Monday to Saturday both

def test_review_shows_no_change_of_a_total_against_a_week_the_figures_only_partly_cover(app_db):
    at = run("pages/7_review.py", "viewer")
    at.selectbox(key="rv_week").set_value(next(w for w in at.selectbox(key="rv_week").options
                                               if w.startswith("09-07"))).run()  # the figures begin on 09-02
    slide = "\n".join(m.value for m in at.markdown)
    assert "上期 08-31 ~ 09-06 只有 09-02 起的数据（5/7 天）" in slide
    cards = dict(re.findall(r"<div class='rv-label'>([^<]*)</div><div class='rv-value'[^>]*>[^<]*</div>"
                            r"<div class='[^']*'>([^<]*)</div>", slide))
    assert cards["销售额"] == "上周数据不全" and cards["询单转化率"].endswith("pp")
    at.button(key="rv_next").click().run()
    at.button(key="rv_next").click().run()
    slide = "\n".join(m.value for m in at.markdown)
    assert "进步最快" in slide and "→" in slide  # risers against five days of the week before …
    assert "上期 08-31 ~ 09-06 只有 09-02 起的数据（5/7 天）：名次和得分的变化仅供参考。" in slide  # … so said


def test_review_ranking_across_comparison_groups_says_so_and_gives_each_ones_place_in_its_group(app_db):
    at = run("pages/7_review.py", "viewer")
    at.button(key="rv_next").click().run()
    slide = "\n".join(m.value for m in at.markdown)
    assert "本周排名" in slide
    assert re.search(r"这份排名跨 \d 个比较组：每人的得分是与本组比较的结果，组内名次见「排行榜」。", slide)
    assert len(re.findall(r"组内第 [12] 名", slide)) == 3  # two agents a group at most
    at.selectbox(key="rv_shop").set_value("拼多多店").run()  # one group: its order is the leaderboard's
    slide = "\n".join(m.value for m in at.markdown)
    assert "本周排名" in slide and "比较组" not in slide and "组内第" not in slide


def test_review_of_a_week_with_unsettled_days_says_its_figures_may_still_move(app_db):
    at = run("pages/7_review.py", "viewer")  # 10-19 ~ 10-25: all settled
    assert not any("暂估" in m.value for m in at.markdown)
    at.selectbox(key="rv_week").select_index(0).run()  # the running week: 10-31 is provisional
    note = "含暂估数据（平台未结算）：拼多多店 10-31、旗舰店 10-31。结算后重新导入，数字和名次可能变化。"
    assert any(note in m.value for m in at.markdown)
    at.button(key="rv_next").click().run()
    slide = "\n".join(m.value for m in at.markdown)
    assert "本周排名" in slide and note in slide


def test_review_awards_leave_out_a_one_day_hire_and_say_so(app_db):
    import pandas as pd

    from csperf.db import ImportMeta, open_db

    # 临时 joined A组 for one day of the week 10-19 ~ 10-25: 55 of 60 inquiries paid, the answer in 2 s
    day = {"shop": "旗舰店", "account": "临时", "date_from": "2026-10-20", "date_to": "2026-10-20", "receptions": 100,
           "inquiries": 60, "paid_buyers": 55, "sales": 30_000.0, "sales_buyers": 55, "items": 60, "replied": 100,
           "first_response_sum_s": 200.0, "first_response_n": 100, "ratings": 20, "satisfied": 20, "workdays": 1}
    database = open_db()
    database.apply_import(ImportMeta("temp.xlsx", "temp-sha", "generic"), pd.DataFrame([day]))
    with database.write() as cur:
        cur.execute("INSERT INTO roster (shop, account, name, team, role, level, base_salary, shift, excluded)"
                    " VALUES ('旗舰店', '临时', '临时', 'A组', 'presales', 'junior', 2000, '白班', false)")
    at = run("pages/7_review.py", "viewer")
    note = "在岗天数不到本期最多者（7 天）一半的不参评奖项：临时"
    for _ in range(3):
        at.button(key="rv_next").click().run()
    slide = "\n".join(m.value for m in at.markdown)
    assert "单项冠军" in slide and note in slide
    assert "临时" not in slide.replace(note, "")  # 91.7 % from one day crowns nobody, nor places second
    at.button(key="rv_prev").click().run()
    at.button(key="rv_prev").click().run()
    at.button(key="rv_prev").click().run()
    at.button(key="rv_prev").click().run()
    slide = "\n".join(m.value for m in at.markdown)
    assert "本周奖项" in slide and note in slide and "临时" not in slide.replace(note, "")
    at.button(key="rv_prev").click().run()
    at.button(key="rv_prev").click().run()
    at.button(key="rv_prev").click().run()
    slide = "\n".join(m.value for m in at.markdown)
    assert "进步最快" in slide and note in slide
    at.button(key="rv_prev").click().run()
    slide = "\n".join(m.value for m in at.markdown)
    assert "本周排名" in slide and "临时" in slide and note not in slide  # the ranking still lists every score


def test_review_pause_stops_the_clock(app_db):
    at = run("pages/7_review.py")
    at.button(key="rv_pause").click().run()
    assert at.session_state["rv_paused"] is True
    assert any("已暂停" in m.value for m in at.markdown)


PAGES = ["pages/1_overview.py", "pages/2_leaderboard.py", "pages/3_trends.py", "pages/4_agent.py",
         "pages/7_review.py"]


@pytest.mark.parametrize("page", PAGES)
def test_pages_run_in_english(app_db, page):
    at = app_test(page)
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    text = page_text(at)
    assert any(word in text for word in ("Overview", "Leaderboard", "Trends", "Agent", "The team this week"))


def test_the_language_rides_in_the_address_so_a_reload_or_a_review_link_keeps_it(app_db):
    at = app_test("pages/7_review.py")  # the review screen has no sidebar switch: the link carries it
    at.query_params["lang"] = "en"
    at.run()
    assert "The team this week" in page_text(at)
    at = app_test("pages/2_leaderboard.py")
    at.run()
    assert "lang" not in at.query_params
    at.session_state["lang"] = "en"  # as the sidebar switch stores it
    at.run()
    assert at.query_params["lang"] == "en"


@pytest.fixture
def unrostered_db(tmp_path, monkeypatch):
    """Figures imported before anyone filled in the roster: no teams, no roles, no names."""
    from conftest import PASSWORDS, app_database, synthetic_facts

    from csperf import auth
    from csperf.db import ImportMeta

    def fill(database):
        database.apply_import(ImportMeta("synthetic.xlsx", "sha", "generic"), synthetic_facts(days=10))
        auth.add_user(database, "owner", PASSWORDS["owner"], "owner")

    with app_database(tmp_path, monkeypatch, fill) as path:
        yield path


@pytest.mark.parametrize("page", PAGES)
def test_pages_say_what_to_do_before_the_roster_exists(unrostered_db, page):
    at = run(page)
    text = page_text(at)
    if page.endswith("overview.py"):
        assert "不在花名册" in text and "询单转化率" in text
    elif page.endswith("leaderboard.py"):
        assert "没有可计分的客服" in text and "花名册" in text
    elif page.endswith("agent.py"):
        assert "没有指派考核方案" in text
    elif page.endswith("review.py"):
        assert "本周团队概况" in text
    else:
        assert "全部" in text


def test_an_agent_with_no_scheme_still_sees_its_own_targets(unrostered_db):
    from csperf import targets
    from csperf.db import open_db

    targets.set_target(open_db(), "sales", "2026-10", 1, shop="旗舰店", account="小美")
    at = run("pages/4_agent.py")
    pick = at.selectbox(key="ag_pick")
    pick.set_value(next(i for i, label in enumerate(pick.options) if label.startswith("小美"))).run()
    assert "没有指派考核方案" in page_text(at) and "个人目标" in [h.value for h in at.subheader]
    assert any(c.value.startswith(":green[目标 ¥1 · 完成 ") for c in at.caption)


@pytest.mark.parametrize("ended_by", ["sign-out elsewhere", "new password", "removal"])
def test_an_open_tab_asks_to_sign_in_once_the_session_ends_elsewhere(app_db, ended_by):
    from csperf import auth
    from csperf.db import open_db

    db = open_db()
    at = app_test("pages/1_overview.py", "supervisor")
    token = at.session_state["session_token"] = auth.start_session(db, at.session_state["user"])
    at.run()
    assert not at.exception and not at.text_input  # the page itself, no login form
    if ended_by == "sign-out elsewhere":
        auth.end_session(db, token)
    elif ended_by == "new password":
        auth.set_password(db, "super", "another-password-1")
    else:
        auth.remove_user(db, "super")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert [box.key for box in at.text_input] == ["login_user", "login_password"]
    assert "user" not in at.session_state


@pytest.mark.parametrize(("role", "title"), [("owner", "总览"), ("viewer", "总览"), ("agent", "客服 · 小美")])
def test_the_bare_address_leads_to_the_users_first_page(app_db, role, title):
    at = run(None, role)
    assert at.title[0].value == title


def test_the_bare_address_asks_to_sign_in_first(app_db):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=30)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert [box.key for box in at.text_input] == ["login_user", "login_password"]


def test_a_first_run_can_be_done_in_english_and_signs_the_new_owner_in(tmp_path, monkeypatch):
    from conftest import app_database
    from streamlit.testing.v1 import AppTest

    with app_database(tmp_path, monkeypatch, lambda database: None):
        at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=30).run()
        assert "首次使用：请创建店主账号。" in [i.value for i in at.info]
        at.segmented_control(key="w_lang").set_value("en").run()
        assert "First run: create the owner account." in [i.value for i in at.info]
        assert [box.label for box in at.text_input] == ["Username", "Password (8+ characters)", "Repeat password"]
        at.text_input[1].input("short")
        at.text_input[2].input("short")
        at.button[0].click().run()
        assert "password must be at least 8 characters" in at.error[0].value
        at.text_input[1].input("a-long-password-1")
        at.text_input[2].input("a-long-password-1")
        at.button[0].click().run()
        assert not at.exception and at.session_state["user"].username == "owner"


def test_the_sign_in_form_switches_language_before_anyone_signs_in(app_db):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=30).run()
    at.segmented_control(key="w_lang").set_value("en").run()
    assert [box.label for box in at.text_input] == ["Username", "Password"] and at.query_params["lang"] == "en"

def test_a_database_held_by_a_csperf_command_is_said_not_raised(app_db):
    """The dashboard opens the file on its first page; a CLI import may hold it just then."""
    from streamlit.testing.v1 import AppTest

    with held_by_another_process(app_db):
        at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=30).run()
        assert not at.exception
        assert "另一个进程" in at.error[0].value and "刷新" in at.error[0].value
    at.run()  # the file is free again: the next run opens it and asks for the login
    assert not at.exception and not at.error


@pytest.fixture
def empty_db(tmp_path, monkeypatch):
    """An install with its owner and no data yet."""
    from conftest import PASSWORDS, app_database

    from csperf import auth

    with app_database(tmp_path, monkeypatch, lambda database: auth.add_user(
            database, "owner", PASSWORDS["owner"], "owner")) as path:
        yield path


@pytest.mark.parametrize("page", PAGES)
def test_an_empty_database_gets_a_first_step_naming_the_inbox_in_use(empty_db, page, tmp_path):
    at = run(page)
    assert not at.exception and not at.error
    first_step = at.info[0].value
    assert "还没有任何数据" in first_step and str(tmp_path / "inbox") in first_step
