"""The owner pages' decisions (csperf.views) against hand-computed expectations."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from csperf import scoring, targets, views
from csperf import ui_format as fmt
from csperf.scheme import Bonus, KpiRule, Pay, Penalty, Scheme

NAN = float("nan")


def receptions_scheme(name="接待方案", bands=((0, 0.6), (80, 0.8), (100, 1.0))) -> Scheme:
    """One KPI (receptions vs the team's mean per agent, cap 1.2) and coefficient bands."""
    return Scheme(name=name, kpis=[KpiRule("receptions", 1, "vs_team", cap=1.2)],
                  pay=Pay(performance_pay=1000, coefficients=list(bands)))


def agents(*rows) -> pd.DataFrame:
    """KPI rows: (shop, agent, team, role, receptions)."""
    return pd.DataFrame(rows, columns=["shop", "agent", "team", "role", "receptions"]).assign(name=None)


# -- comparisons ------------------------------------------------------------------------------


def test_completion_mirrors_lower_is_better_kpis():
    assert views.completion(0.30, 0.25, False) == pytest.approx(1.2)
    assert views.completion(30, 20, True) == pytest.approx(0.5)  # 2 − 30/20
    assert math.isnan(views.completion(0.3, 0, False))
    assert math.isnan(views.completion(None, 0.25, False))


def test_vs_team_status_reads_better_and_worse_the_right_way_round():
    assert views.vs_team_status(0.30, 0.25, "conversion_rate") == "above"
    assert views.vs_team_status(0.20, 0.25, "conversion_rate") == "below"
    assert views.vs_team_status(18.0, 24.0, "first_response_s") == "above"  # faster than the team
    assert views.vs_team_status(30.0, 24.0, "first_response_s") == "below"
    assert views.vs_team_status(0.25, 0.25, "conversion_rate") == "level"
    assert views.vs_team_status(NAN, 0.25, "conversion_rate") is None


def test_min_sample_prefers_the_schemes_own_min_n():
    scheme = Scheme(name="s", kpis=[KpiRule("conversion_rate", 1, "vs_team", min_n=50)])
    assert views.min_sample("conversion_rate", scheme) == 50
    assert views.min_sample("conversion_rate") == 30
    assert views.min_sample("sales") == 1


# -- scoring with the applicable schemes ----------------------------------------------------------


def test_score_agents_scores_each_scheme_with_its_own_agents():
    kpis = agents(("s", "a", "T", "presales", 150), ("s", "b", "T", "presales", 50),
                  ("s", "c", "T", "aftersales", 80))
    scheme = receptions_scheme()
    scored = views.score_agents(kpis, lambda role, shop, team: scheme if role == "presales" else None)
    frame = scored.frame.set_index("agent")
    # team mean of a and b = 100: a 150/100 = 1.5 capped at 1.2 → 120; b 50/100 → 50
    assert frame.loc["a", "score"] == pytest.approx(120)
    assert frame.loc["b", "score"] == pytest.approx(50)
    assert frame["rank"].to_dict() == {"a": 1, "b": 2}
    assert set(frame["scheme"]) == {"接待方案"}
    assert scored.unassigned["agent"].tolist() == ["c"]
    assert scored.metrics == ["receptions"]


def test_score_agents_asks_the_resolver_once_per_role_shop_and_team():
    asked = []

    def resolve(role, shop, team):
        asked.append((role, shop, team))
        return receptions_scheme()

    views.score_agents(agents(("s", "a", "T", "presales", 1), ("s", "b", "T", "presales", 2),
                              ("s", "c", None, None, 3)), resolve)
    assert asked == [("presales", "s", "T"), (None, "s", None)]


def test_score_agents_pays_each_shop_with_the_scheme_version_assigned_to_it(db):
    """Shop A pinned to v1, shop B to v2 of one scheme: each agent is paid and ranked with its
    own version, whatever the row order (grouped by name, both got the first row's)."""
    from csperf import schemes

    v1 = replace(receptions_scheme(), role="presales", group_by="all")
    schemes.save_scheme(db, v1, "v1")
    schemes.save_scheme(db, replace(v1, pay=replace(v1.pay, performance_pay=3000)), "more performance pay")
    schemes.assign_scheme(db, "presales", v1.name, date(2026, 1, 1), shop="A", version=1)
    schemes.assign_scheme(db, "presales", v1.name, date(2026, 1, 1), shop="B", version=2)
    kpis = agents(("A", "a", "T", "presales", 150), ("B", "b", "T", "presales", 50))
    for rows in (kpis, kpis.iloc[::-1]):
        scored = views.score_agents(rows, views.assigned_schemes(db, date(2026, 10, 31)))
        frame = scored.frame.set_index("agent")
        assert frame["scheme"].to_dict() == {"a": "接待方案 v1", "b": "接待方案 v2"}
        # each alone in its version's "all" group: at the group's mean, score 100, coefficient 1.0
        assert frame["score"].to_dict() == pytest.approx({"a": 100, "b": 100})
        assert frame["rank"].to_dict() == {"a": 1, "b": 1}
        assert frame["performance_pay"].to_dict() == pytest.approx({"a": 1000, "b": 3000})
        assert {agent: scored.schemes[label].pay.performance_pay  # the scheme a pay slip is worded with
                for agent, label in frame["scheme"].items()} == {"a": 1000, "b": 3000}


def test_score_agents_keeps_versions_apart_even_when_they_read_alike():
    scheme = replace(receptions_scheme(), group_by="all")
    by_shop = {"A": replace(scheme, version=1), "B": replace(scheme, version=2)}
    kpis = agents(("A", "a", "T", "presales", 150), ("B", "b", "T", "presales", 50))
    scored = views.score_agents(kpis, lambda role, shop, team: by_shop[shop])
    assert list(scored.schemes) == ["接待方案 v1", "接待方案 v2"]
    assert scored.frame.set_index("agent")["rank"].to_dict() == {"a": 1, "b": 1}  # two groups, not one
    one_version = views.score_agents(kpis, lambda role, shop, team: by_shop["B"])
    assert list(one_version.schemes) == ["接待方案"]  # the bare name where it is unambiguous
    assert one_version.frame["rank"].tolist() == [1, 2]


def test_the_rows_a_filter_picks_keep_their_scores_and_bring_only_their_schemes_and_unscored():
    scheme = replace(receptions_scheme(), group_by="all")
    by_shop = {"A": replace(scheme, version=1), "B": replace(scheme, version=2)}
    kpis = agents(("A", "a", "T", "presales", 150), ("A", "a2", "T", "presales", 50), ("A", "x", "T", None, 9),
                  ("B", "b", "T", "presales", 50), ("B", "y", "T", None, 9))
    everyone = views.score_agents(kpis, lambda role, shop, team: by_shop[shop] if role else None)
    shop_a = everyone.within({"shop": ["A"]})
    assert shop_a.frame["agent"].tolist() == ["a", "a2"] and list(shop_a.schemes) == ["接待方案 v1"]
    assert shop_a.frame["score"].tolist() == everyone.frame["score"].iloc[:2].tolist()  # scored as a whole
    assert shop_a.unassigned["agent"].tolist() == ["x"]  # not B's y
    assert everyone.within({}).unassigned["agent"].tolist() == ["x", "y"]


def test_score_agents_refuses_two_different_schemes_it_cannot_tell_apart():
    by_shop = {"A": receptions_scheme(), "B": receptions_scheme(bands=((0, 1.0),))}
    with pytest.raises(ValueError, match="接待方案"):
        views.score_agents(agents(("A", "a", "T", "presales", 1), ("B", "b", "T", "presales", 2)),
                           lambda role, shop, team: by_shop[shop])


def test_what_if_under_a_filter_scores_like_the_leaderboard_and_totals_what_it_shows():
    kpis = agents(("s", "a", "T", "presales", 100), ("s", "b", "T", "presales", 50), ("s", "c", "T", "presales", 30))
    kpis["shift"] = ["day", "day", "night"]
    changed = receptions_scheme(bands=((0, 0.5), (80, 1.0)))
    shown = views.what_if_shown(kpis, {"shift": ["day"]}, receptions_scheme(), changed)
    everyone = scoring.score(kpis, receptions_scheme()).set_index("agent")
    assert shown.agents["agent"].tolist() == ["a", "b"]  # c is filtered out of the view, not out of the team mean
    assert shown.agents["old_score"].tolist() == pytest.approx(everyone.loc[["a", "b"], "score"].tolist())
    assert shown.payroll_old == pytest.approx(everyone.loc[["a", "b"], "pay"].sum())
    assert shown.payroll_change == pytest.approx(shown.agents["pay_change"].sum())


def test_what_if_compares_each_agent_with_the_scheme_in_force_for_its_shop():
    kpis = agents(("A", "a", "T", "presales", 100), ("A", "a2", "T", "presales", 60),
                  ("B", "b", "T", "presales", 100), ("B", "b2", "T", "presales", 60))
    standard = replace(receptions_scheme(), version=1)
    shop_b_own = replace(receptions_scheme("B店方案", bands=((0, 2.0),)), version=1)  # pays everyone double
    by_shop = {"A": standard, "B": shop_b_own}
    changed = receptions_scheme(bands=((0, 0.5), (80, 1.0)))
    in_force = views.score_agents(kpis, lambda role, shop, team: by_shop[shop]).frame
    result = views.what_if_shown(kpis, {}, standard, changed, in_force)
    paid = in_force.set_index("agent")
    rows = result.agents.set_index("agent")
    assert rows["old_pay"].to_dict() == pytest.approx(paid["pay"].to_dict())  # B's agents: B's own scheme
    assert result.payroll_old == pytest.approx(paid["pay"].sum())
    assert rows["old_scheme"].to_dict() == {"a": "接待方案", "a2": "接待方案", "b": "B店方案", "b2": "B店方案"}
    assert rows["pay_change"].sum() == pytest.approx(result.payroll_change)
    assert rows.loc["b", "old_pay"] == pytest.approx(2000) and rows.loc["b", "new_pay"] == pytest.approx(1000)
    assert views.in_force_note(result.agents) == (
        "原得分和原工资按每位客服当期生效的方案（店铺或团队可有专用方案）：接待方案 2 人、B店方案 2 人。")
    only_a = views.what_if_shown(kpis, {"shop": ["A"]}, standard, changed, in_force)
    assert views.in_force_note(only_a.agents) is None  # one scheme in force for the agents shown
    unassigned = views.what_if_shown(kpis, {}, standard, changed,
                                     views.score_agents(kpis, lambda role, shop, team: None).frame)
    assert unassigned.payroll_old == pytest.approx(views.what_if_shown(kpis, {}, standard, changed).payroll_old)


def test_what_if_says_which_parts_of_pay_moved_and_why():
    kpis = agents(("s", "a", "T", "presales", 100), ("s", "b", "T", "presales", 96), ("s", "c", "T", "presales", 30))
    baseline = replace(receptions_scheme(bands=((0, 0.6), (80, 0.8), (100, 1.0))),
                       pay=Pay(performance_pay=1000, coefficients=[(0, 0.6), (80, 0.8), (100, 1.0)],
                               rank_awards=[500, 300]))
    changed = replace(baseline, pay=replace(baseline.pay, coefficients=[(0, 0.6), (80, 0.9), (130, 1.0)]))
    result = views.what_if_shown(kpis, {}, baseline, changed)
    reasons = dict(zip(result.agents["agent"], views.pay_change_reasons(result.agents)))
    # a and b: 120 (capped) → coefficient 1.0, then 0.9; c: 39.8 → 0.6 both times
    assert reasons == {"a": "绩效工资 -¥100.00（系数 1→0.9）", "b": "绩效工资 -¥100.00（系数 1→0.9）", "c": ""}
    assert views.pay_change_reasons(result.agents, "en").tolist()[1] == "Performance pay -¥100.00 (coefficient 1→0.9)"
    floored = replace(changed, penalties=[Penalty("receptions", 100)], pay=replace(changed.pay, floor_at_base=True))
    result = views.what_if_shown(kpis, {}, baseline, floored)
    reasons = dict(zip(result.agents["agent"], views.pay_change_reasons(result.agents)))
    assert reasons["c"] == "扣款 -¥3,000.00；保底到底薪 +¥2,400.00"  # ¥600 → ¥0, not ¥-2,400: no base in the roster


def test_with_previous_adds_rank_moves_and_marks_new_agents():
    now = pd.DataFrame({"shop": ["s"] * 3, "agent": ["a", "b", "c"], "score": [110.0, 95.0, 80.0],
                        "rank": [1, 2, 3]})
    before = pd.DataFrame({"shop": ["s", "s"], "agent": ["a", "b"], "score": [90.0, 100.0], "rank": [2, 1]})
    out = views.with_previous(now, before).set_index("agent")
    assert out.loc["a", "rank_move"] == 1 and out.loc["b", "rank_move"] == -1
    assert out.loc["a", "score_change"] == pytest.approx(20.0)
    assert math.isnan(out.loc["c", "rank_move"])


# -- tiles, tables, alerts ---------------------------------------------------------------------


def test_rank_moves_are_marked_a_rough_guide_only_against_a_partly_covered_previous_period():
    september = (date(2026, 9, 1), date(2026, 9, 30))

    def firsts(*days):
        return pd.Series({f"店{i}": day for i, day in enumerate(days)}, dtype=object)

    assert views.partial_previous_note(september, firsts()) is None  # no figures at all
    assert views.partial_previous_note(september, firsts(date(2026, 8, 1))) is None
    assert views.partial_previous_note(september, firsts(date(2026, 9, 1))) is None
    assert views.partial_previous_note(september, firsts(date(2026, 10, 1))) is None  # nothing to move against
    assert views.partial_previous_note(september, firsts(date(2026, 9, 30))) == (
        "上期 09-01 ~ 09-30 只有 09-30 起的数据（1/30 天）：名次和得分的变化仅供参考。")
    assert views.partial_previous_note((date(2025, 12, 29), date(2026, 1, 4)), firsts(date(2026, 1, 2)), "en") == (
        "The previous period 2025-12-29 ~ 2026-01-04 has figures only from 2026-01-02 (3 of 7 days): "
        "rank moves and score changes are only a rough guide.")
    # a shop added this month: the others' moves are whole, its own are against nothing
    assert views.partial_previous_note(september, firsts(date(2026, 8, 1), date(2026, 10, 5))) == (
        "上期 09-01 ~ 09-30 有店铺数据不全（店1没有数据）：名次和得分的变化仅供参考。")


def test_totals_are_not_compared_with_a_previous_period_missing_a_shop_added_since():
    """The owner added two shops in March: February's receptions were only the first shop's,
    and March's +64.7% was no growth at all."""
    february = (date(2021, 2, 1), date(2021, 2, 28))
    before = pd.Series({"receptions": 1616.0, "conversion_rate": 0.35})
    whole = pd.Series({"呼叫中心": date(2021, 1, 1)}, dtype=object)
    assert views.comparable_previous(before, february, whole) == (before, None)
    added = pd.Series({"呼叫中心": date(2021, 1, 1), "拼多多店": date(2021, 3, 1), "淘宝店": date(2021, 2, 20),
                       "京东店": date(2021, 3, 2), "抖音店": date(2021, 3, 3)}, dtype=object)
    kept, note = views.comparable_previous(before, february, added)
    assert kept.to_dict() == {"conversion_rate": 0.35}
    assert note == ("上期 02-01 ~ 02-28 有店铺数据不全（淘宝店只有 02-20 起的数据、拼多多店没有数据、京东店没有数据等 4 家店铺）："
                    "合计类指标（销售额、接待人数等）不显示环比，比率照常对比。")
    assert views.comparable_previous(before, february, added, "en")[1] == (
        "The previous period 02-01 ~ 02-28 lacks some shops' figures (淘宝店 has figures only from 02-20; "
        "拼多多店 has none; 京东店 has none and 1 more shop): totals (sales, receptions …) show no change; "
        "rates are compared as usual.")
    kept, note = views.comparable_previous(before, february, added.drop("呼叫中心").drop("淘宝店"))
    assert kept.empty and note == "上期 02-01 ~ 02-28 没有数据（数据从 2021-03-01 开始），不显示环比。"
    a_year_before = (date(2020, 3, 1), date(2020, 3, 31))
    kept, note = views.comparable_previous(before, a_year_before, whole, against="last_year")
    assert kept.empty and note == "去年同期 2020-03-01 ~ 2020-03-31 没有数据（数据从 2021-01-01 开始），不显示同比。"
    assert views.comparable_previous(before, a_year_before, whole, "en", "last_year")[1] == (
        "No figures for the same period last year 2020-03-01 ~ 2020-03-31 (they begin on 2021-01-01): "
        "no changes shown.")
    assert views.comparable_previous(before, (date(2020, 12, 1), date(2021, 1, 31)), whole, against="last_year")[1] == (
        "去年同期 2020-12-01 ~ 2021-01-31 只有 2021-01-01 起的数据（31/62 天）："
        "合计类指标（销售额、接待人数等）不显示同比，比率照常对比。")


def test_the_import_history_says_what_each_import_said_in_the_pages_language():
    history = pd.DataFrame({
        "notes": ["文件自带店铺名，已忽略所填的店铺“B” — the file names its own shop; the shop given was ignored", None],
        "skipped": ["第3行: 没有日期 — no date\n…另有 4 行被跳过 — 4 more rows skipped", None],
        "unknown_columns": [["神秘列", "备注"], []]})
    assert views.import_remarks(history) == [
        "文件自带店铺名，已忽略所填的店铺“B”；跳过：第3行: 没有日期；…另有 4 行被跳过；未识别的列：神秘列、备注", None]
    assert views.import_remarks(history, "en")[0] == (
        "文件自带店铺名，已忽略所填的店铺“B” — the file names its own shop; the shop given was ignored; "
        "skipped: 第3行: 没有日期 — no date; …另有 4 行被跳过 — 4 more rows skipped; "
        "columns not recognised: 神秘列, 备注")


def test_tiles_skip_kpis_without_a_value_and_carry_the_count():
    now = pd.Series({"conversion_rate": 0.3, "conversion_rate_n": 100.0, "sales": 5000.0,
                     "first_response_s": NAN, "refund_rate": 0.02, "refund_rate_n": 5000.0})
    before = pd.Series({"conversion_rate": 0.25, "sales": NAN, "refund_rate": 0.03})
    found = {t.metric: t for t in views.tiles(now, before)}
    assert list(found) == ["sales", "conversion_rate", "refund_rate"]
    assert (found["conversion_rate"].previous, found["conversion_rate"].n) == (0.25, 100.0)
    assert found["sales"].previous is None and found["sales"].n is None
    assert found["refund_rate"].delta_color == "inverse" and found["sales"].delta_color == "normal"
    assert found["conversion_rate"].improved is True and found["refund_rate"].improved is True  # 3 % → 2 %
    assert found["sales"].improved is None
    assert found["conversion_rate"].delta_text == "+5.0pp" and found["refund_rate"].delta_text == "-1.0pp"


def test_a_call_centres_overview_fills_the_shop_kpis_places_with_its_own():
    calls = pd.Series({"receptions": 800.0, "first_response_s": 21.0, "first_response_s_n": 760.0,
                       "reply_rate": 0.95, "resolution_rate": 0.71, "resolution_rate_n": 690.0,
                       "answer_30s_rate": 0.88, "csat_avg": 4.3, "avg_response_s": 40.0, "avg_reception_s": 300.0,
                       "reply_3min_rate": 0.97})
    shown = [t.metric for t in views.tiles(calls, None, spare=views.SPARE_TILE_KPIS)]
    assert shown == ["receptions", "first_response_s", "reply_rate", "resolution_rate", "answer_30s_rate",
                     "csat_avg", "reply_3min_rate", "avg_response_s"]  # as many tiles as a shop gets
    shop = pd.Series({m: 1.0 for m in views.TILE_KPIS} | {"resolution_rate": 0.7})
    assert [t.metric for t in views.tiles(shop, None, spare=views.SPARE_TILE_KPIS)] == list(views.TILE_KPIS)

def test_a_change_that_rounds_to_nothing_is_neither_good_nor_bad():
    tile = views.Tile("refund_rate", 0.0500001, 0.05, 1000.0)
    assert tile.delta_text == "±0.0pp" and tile.improved is None


def test_summary_table_shows_each_rate_with_its_count():
    frame = pd.DataFrame({"shop": ["旗舰店", "旗舰店"], "team": ["A组", None], "role": ["presales", None],
                          "agents": [2, 1], "conversion_rate": [0.3, NAN], "conversion_rate_n": [100.0, NAN],
                          "sales": [1234.5, 10.0]})
    table = views.summary_table(frame, ["shop", "team", "role"], ["conversion_rate", "sales"])
    assert table.columns.tolist() == ["店铺", "团队", "岗位", "人数", "询单转化率", "销售额"]
    assert table.iloc[0].tolist() == ["旗舰店", "A组", "售前", 2, "30.0% · 100 询单", "¥1,234.50"]
    assert table.iloc[1, 1:3].tolist() == ["未分组", "未分配"]
    assert table.iloc[1, 4] == "—"
    assert "人数" not in views.summary_table(frame, ["shop"], ["sales"], with_agents=False).columns


def kpi_row(agent, metric, value, team, n, shop="s"):
    return {"shop": shop, "agent": agent, "name": None, "team": "T", metric: value, f"{metric}_team": team,
            f"{metric}_n": n}


def test_far_below_alerts_need_a_real_gap_on_a_real_sample():
    kpis = pd.DataFrame([
        kpi_row("a", "conversion_rate", 0.15, 0.25, 100),  # 0.6 of the team → alert
        kpi_row("b", "conversion_rate", 0.10, 0.25, 10),  # 10 inquiries: too few to tell
        kpi_row("c", "conversion_rate", 0.21, 0.25, 100),  # 0.84 → no alert
        kpi_row("d", "first_response_s", 30.0, 24.0, 50),  # 2 − 1.25 = 0.75 → alert
    ])
    alerts = views.far_below_alerts(kpis)
    assert [a.zh.split("（")[0] for a in alerts] == ["a", "d"]
    assert "询单转化率 15.0% · 100 询单（团队 25.0%）" in alerts[0].zh
    assert "first response" in alerts[1].en.lower() and alerts[1].kind == "far_below"


def test_slipped_alerts_warn_of_an_agent_falling_behind_the_team():
    def row(agent, value, team, n=100, metric="conversion_rate"):
        return kpi_row(agent, metric, value, team, n)

    before = pd.DataFrame([row("a", 0.35, 0.30), row("b", 0.35, 0.30), row("c", 0.35, 0.30), row("d", 0.35, 0.30),
                           row("e", 0.35, 0.30, n=20), row("f", 20.0, 25.0, metric="first_response_s")])
    now = pd.DataFrame([
        row("a", 0.27, 0.30),  # −23% while the team held level: under the team now → alert
        row("b", 0.25, 0.24),  # −29%, but the team fell 20% too (a season): still above the team
        row("c", 0.20, 0.30),  # far below the team: far_below_alerts says so, not this
        row("d", 0.31, 0.32),  # −11% against the team's +7%: short of the margin
        row("e", 0.25, 0.30),  # 20 inquiries the period before: too few to tell
        row("f", 26.0, 25.0, metric="first_response_s"),  # 30% slower, team level: 2 − 26/25 = 0.96 → alert
        row("g", 0.10, 0.30),  # new this period: nothing to compare with
    ])
    alerts = views.slipped_alerts(now, before)
    assert [a.zh.split("（")[0] for a in alerts] == ["a", "f"]
    assert alerts[0].zh.endswith("比上期明显下滑：询单转化率 27.0% · 100 询单（上期 35.0%；团队 30.0% → 30.0%）")
    assert alerts[1].kind == "slipped" and alerts[1].level == "warning"
    assert alerts[1].en.endswith("(previous 20.0 s; team 25.0 s → 25.0 s)")
    a_year_before = views.slipped_alerts(now, before, against="last_year")
    assert a_year_before[0].zh.endswith("比去年同期明显下滑：询单转化率 27.0% · 100 询单（去年同期 35.0%；团队 30.0% → 30.0%）")
    assert a_year_before[1].en.endswith("slipped against the same period last year: First response (s) 26.0 s · 100 "
                                        "responses (last year 20.0 s; team 25.0 s → 25.0 s)")
    assert views.slipped_alerts(now, before.iloc[:0]) == []


def test_payroll_counts_people_and_names_those_paid_a_base_per_account():
    frame = pd.DataFrame({
        "shop": ["店A", "店B", "店A", "店B", "店C", "店A"],
        "agent": ["娜娜", "娜娜2", "客服01", "客服01", "丽丽", "丽丽"],
        "name": ["李娜", "李娜", None, None, "王丽", "王丽"],
        "base": [2600.0, 2500.0, 2000.0, 2000.0, 3000.0, 0.0],
        "pay": [4500.004, 4400.004, 3000.0, 3100.0, 5000.0, 1000.244],  # shown ¥4,500.00 … ¥1,000.24
    })
    paid = views.payroll(frame)
    # the two 客服01 are different people (no roster name); 王丽 is paid one base
    # the total is the sum of the amounts shown (21,000.24), not the raw sum rounded (21,000.25)
    assert (paid.total, paid.people, paid.accounts) == (pytest.approx(21000.24), 4, 6)
    assert paid.repeated_bases == [("李娜", [("店A:娜娜", 2600.0), ("店B:娜娜2", 2500.0)])]
    assert paid.text("zh") == "应发合计 ¥21,000.24 · 4 人（6 个账号）"
    assert paid.repeated_text("en").startswith("李娜 (店A:娜娜, 店B:娜娜2: ¥2,600.00 + ¥2,500.00): several accounts")
    renamed = views.payroll(frame.assign(shop="店A", agent=["小美", "美美", "a", "b", "c", "d"]).iloc[:2])
    assert renamed.repeated_text("zh").startswith("李娜（店A:小美、店A:美美：¥2,600.00 + ¥2,500.00）有几个账号")
    assert views.payroll(frame.iloc[[0]]).text("en") == "Pay in all ¥4,500.00 · 1 person"
    assert views.payroll(frame.iloc[[0]]).repeated_text("zh") is None
    assert views.payroll(frame.drop(columns="pay")) is None  # pay not shown: nothing to sum


def test_threshold_alerts_fire_in_the_lowest_coefficient_band_only():
    scheme = receptions_scheme()
    frame = pd.DataFrame({"scheme": [scheme.name] * 2, "shop": ["s", "s"], "agent": ["a", "b"], "name": [None, None],
                          "team": ["T", "T"], "score": [79.9, 80.0]})
    alerts = views.threshold_alerts(views.Scored(frame, {scheme.name: scheme}, pd.DataFrame()))
    assert len(alerts) == 1 and alerts[0].zh.startswith("a（s · T） 得分 79.9") and alerts[0].level == "error"
    flat = receptions_scheme(bands=((0, 1.0),))
    assert views.threshold_score(flat) is None


def test_provisional_and_unmatched_alerts_list_a_few_and_count_the_rest():
    days = pd.DataFrame({"shop": ["店"] * 10, "day": pd.date_range("2026-10-01", periods=10), "rows": 1})
    alert = views.provisional_alert(days)
    assert "店 10-01" in alert.zh and "店 10-09" not in alert.zh and "等 10 处" in alert.zh
    assert views.provisional_alert(days.iloc[:0]) is None
    unmatched = pd.DataFrame({"shop": ["店", "店"], "account": ["x", "y"]})
    assert "店:x、店:y" in views.unmatched_alert(unmatched).zh
    assert "and 1 more" in views.unmatched_alert(unmatched, limit=1).en


def test_overview_alerts_put_the_most_urgent_first():
    scheme = receptions_scheme()
    scored = views.Scored(pd.DataFrame({"scheme": [scheme.name], "shop": ["s"], "agent": ["a"], "name": [None],
                                        "team": ["T"], "score": [50.0]}), {scheme.name: scheme}, pd.DataFrame())
    days = pd.DataFrame({"shop": ["s"], "day": [date(2026, 10, 31)], "rows": [1]})
    unmatched = pd.DataFrame({"shop": ["s"], "account": ["x"]})
    kpis = pd.DataFrame([kpi_row("b", "conversion_rate", 0.1, 0.25, 100),
                         kpi_row("c", "conversion_rate", 0.22, 0.25, 100)])
    before = pd.DataFrame([kpi_row("c", "conversion_rate", 0.3, 0.25, 100)])
    kinds = [a.kind for a in views.overview_alerts(kpis, scored, days, unmatched, before)]
    assert kinds == ["under_threshold", "far_below", "slipped", "unmatched", "provisional"]
    short = views.target_alerts(SHOPS_AND_TEAMS, views.scope_goals(SHOPS_AND_TEAMS, GOALS, *NOVEMBER_SO_FAR, {}), None)
    kinds = [a.kind for a in views.overview_alerts(kpis, scored, days, unmatched, before, short)]
    assert kinds == ["target", "under_threshold", "far_below", "slipped", "unmatched", "provisional"]


def scope_totals(*rows) -> pd.DataFrame:
    """queries.scope_kpis rows: (shop, team, sales, conversion_rate, its inquiries)."""
    frame = pd.DataFrame(rows, columns=["shop", "team", "sales", "conversion_rate", "conversion_rate_n"])
    return frame.assign(agents=2)


def month_goals(*rows, month="2026-11-01") -> pd.DataFrame:
    """queries.scope_targets rows: (shop, team, metric, value) for one month."""
    return pd.DataFrame(rows, columns=["shop", "team", "metric", "value"]).assign(month=pd.Timestamp(month))


NOVEMBER_SO_FAR = (date(2026, 11, 1), date(2026, 11, 15))
SHOPS_AND_TEAMS = scope_totals(("旗舰店", "", 150_000.0, 0.30, 1000), ("旗舰店", "A组", 60_000.0, 0.28, 400),
                               ("旗舰店", "B组", 90_000.0, 0.32, 20), ("拼多多店", "", 50_000.0, 0.25, 500))
GOALS = month_goals(("旗舰店", "", "sales", 280_000.0), ("旗舰店", "A组", "sales", 150_000.0),
                    ("旗舰店", "A组", "conversion_rate", 0.30), ("旗舰店", "B组", "conversion_rate", 0.35),
                    ("拼多多店", "", "sales", 80_000.0))


def test_each_shop_and_team_is_held_to_its_own_targets_where_the_filters_keep_it_whole():
    held = views.scope_goals(SHOPS_AND_TEAMS, GOALS, *NOVEMBER_SO_FAR, {})
    assert set(held) == {("旗舰店", ""), ("旗舰店", "A组"), ("旗舰店", "B组"), ("拼多多店", "")}
    assert held[("旗舰店", "")]["sales"].projected == pytest.approx(300_000)  # 15 of 30 days
    assert set(held[("旗舰店", "A组")]) == {"sales", "conversion_rate"}
    assert set(views.scope_goals(SHOPS_AND_TEAMS, GOALS, *NOVEMBER_SO_FAR, {"shop": ["拼多多店"]})) == {("拼多多店", "")}
    # a team filter leaves no whole shop; a role, shift or account filter leaves neither whole
    assert set(views.scope_goals(SHOPS_AND_TEAMS, GOALS, *NOVEMBER_SO_FAR, {"team": ["A组"]})) == {("旗舰店", "A组")}
    for narrowed in ({"role": ["presales"]}, {"shift": ["夜班"]}, {"account": "小美"}):
        assert views.scope_goals(SHOPS_AND_TEAMS, GOALS, *NOVEMBER_SO_FAR, narrowed) == {}


def test_the_target_table_lists_each_shop_then_its_teams_kpi_by_kpi():
    table = views.goal_table(views.scope_goals(SHOPS_AND_TEAMS, GOALS, *NOVEMBER_SO_FAR, {}))
    assert table.frame[["范围", "指标"]].values.tolist() == [
        ["拼多多店", "销售额"], ["旗舰店", "销售额"], ["旗舰店 · A组", "销售额"], ["旗舰店 · A组", "询单转化率"],
        ["旗舰店 · B组", "询单转化率"]]
    assert table.frame["达成率"].tolist() == pytest.approx([62.5, 150_000 / 280_000 * 100, 40, 93.33, 91.43], abs=0.01)
    assert table.met == [True, True, False, False, False]  # a month's total by its pace
    assert table.frame["目标进度"].iloc[1] == "月目标 ¥280,000 · 已完成 53.6% · 预计月底 107.1%"
    assert views.goal_table({}, "en").frame.columns.tolist() == ["Scope", "KPI", "This period", "Completion",
                                                               "Against target"]


def test_a_shop_or_team_short_of_its_targets_raises_one_warning_naming_each_kpi():
    held = views.scope_goals(SHOPS_AND_TEAMS, GOALS, *NOVEMBER_SO_FAR, {})
    alerts = views.target_alerts(SHOPS_AND_TEAMS, held, ("", "", ""))
    # the shops are on pace; B组's conversion rests on 20 inquiries, too few to tell
    assert [(a.level, a.kind, a.zh) for a in alerts] == [(
        "warning", "target",
        "旗舰店 · A组 未达目标：销售额 月目标 ¥150,000 · 已完成 40.0% · 预计月底 80.0%；询单转化率 目标 30.0% · 差 2.0pp")]
    assert alerts[0].en.startswith("旗舰店 · A组 is short of its targets: Sales: month target ¥150,000")
    # the view's own shop or team is on its tiles already (queries.view_scope); a role has no scope
    assert views.target_alerts(SHOPS_AND_TEAMS, held, ("旗舰店", "", "")) == alerts
    assert views.target_alerts(SHOPS_AND_TEAMS, held, None) == alerts
    assert views.target_alerts(SHOPS_AND_TEAMS, held, ("旗舰店", "A组", "")) == []


def test_a_months_targets_list_each_scope_in_the_order_the_data_page_offers_them():
    stored = pd.DataFrame([
        ("旗舰店", "A组", "", "conversion_rate", 0.3), ("", "", "", "sales", 900_000.0),
        ("旗舰店", "", "小美", "sales", 60_000.0), ("旗舰店", "A组", "", "sales", 150_000.0),
        ("闭店", "", "", "first_response_s", 20.0), ("", "", "", "first_response_s", 15.0),
    ], columns=["shop", "team", "account", "metric", "value"])
    offered = [("", "", ""), ("旗舰店", "", ""), ("旗舰店", "A组", ""), ("旗舰店", "", "小美")]
    listed = views.month_targets(stored, offered)
    assert listed.table.values.tolist() == [
        ["全部店铺", "¥900,000", "", "15.0秒"],
        ["旗舰店 · A组", "¥150,000", "30.0%", ""],
        ["旗舰店:小美", "¥60,000", "", ""],
        ["闭店", "", "", "20.0秒"],  # no longer offered (gone from the data and the roster), still listed
    ]
    assert listed.table.columns.tolist() == ["范围", "销售额", "询单转化率", "首次响应时间(秒)"]
    assert listed.scopes == [0, 2, 3, -1] and listed.counts == {0: 2, 2: 2, 3: 1}
    empty = views.month_targets(stored.iloc[:0], offered, "en")
    assert empty.table.columns.tolist() == ["Scope"] and empty.table.empty and empty.counts == {}


def test_a_screen_of_targets_keeps_those_short_of_them_in_their_order():
    def goal(met: bool):
        return targets.Standing("conversion_rate", 0.3, 0.2 if met else 0.4)

    goals = [("a", goal(True)), ("b", goal(False)), ("c", goal(True)), ("d", goal(False)), ("e", goal(False))]
    assert views.fit_goals(goals, 5) == (goals, 0, 0)
    assert [w for w, _ in views.fit_goals(goals, 4)[0]] == ["a", "b", "d", "e"]
    assert views.fit_goals(goals, 4)[1:] == (1, 0)
    assert [w for w, _ in views.fit_goals(goals, 2)[0]] == ["b", "d"] and views.fit_goals(goals, 2)[1:] == (3, 1)


def test_a_months_pace_over_its_first_days_is_too_early_to_warn_about():
    first_days = (date(2026, 11, 1), date(2026, 11, 6))
    slow = scope_totals(("旗舰店", "", 10_000.0, 0.30, 1000))
    goal = month_goals(("旗舰店", "", "sales", 280_000.0))
    held = views.scope_goals(slow, goal, *first_days, {})
    assert not held[("旗舰店", "")]["sales"].met
    assert views.target_alerts(slow, held, None) == []
    a_week = views.scope_goals(slow, goal, date(2026, 11, 1), date(2026, 11, 7), {})
    assert len(views.target_alerts(slow, a_week, None)) == 1


# -- leaderboard --------------------------------------------------------------------------------


def test_leaderboard_has_pay_columns_only_when_allowed():
    scheme = receptions_scheme()
    scored = views.score_agents(agents(("s", "a", "T", "presales", 150), ("s", "b", "T", "presales", 50)),
                                lambda *_: scheme)
    hidden = views.leaderboard(scored, None, show_pay=False)
    shown = views.leaderboard(scored, None, show_pay=True)
    assert not set(views.PAY_COLUMNS) & set(hidden.columns)
    assert {"pay", "coefficient", "bonus"} <= set(shown.columns)
    assert hidden["name"].tolist() == ["a", "b"]  # the account stands in for a missing name
    assert {"receptions", "receptions_group", "receptions_score"} <= set(hidden.columns)
    assert views.kpi_status_frame(hidden, ["receptions"])["receptions"].tolist() == ["above", "below"]


# -- weekly review ------------------------------------------------------------------------------


def test_top_agents_break_ties_by_receptions():
    scored = pd.DataFrame({"agent": ["a", "b", "c", "d"], "score": [90.0, 95.0, 95.0, NAN],
                           "receptions": [10.0, 5.0, 50.0, 100.0]})
    assert views.top_agents(scored, 3)["agent"].tolist() == ["c", "b", "a"]


def test_most_improved_lists_rises_only_largest_first():
    now = pd.DataFrame({"shop": ["s"] * 3, "agent": ["a", "b", "c"], "score": [90.0, 80.0, 70.0], "rank": [1, 2, 3]})
    before = pd.DataFrame({"shop": ["s"] * 3, "agent": ["a", "b", "c"], "score": [85.0, 60.0, 75.0],
                           "rank": [1, 3, 2]})
    improved = views.most_improved(now, before)
    assert improved["agent"].tolist() == ["b", "a"]
    assert improved["score_change"].tolist() == pytest.approx([20.0, 5.0])
    off = before.assign(score=[85.0, 0.0, 75.0], receptions=[30.0, 0.0, 20.0])  # b had the day off
    assert views.most_improved(now, off)["agent"].tolist() == ["a"]


def test_kpi_champions_respect_the_minimum_sample_and_direction():
    kpis = pd.DataFrame({
        "shop": ["s"] * 3, "agent": ["a", "b", "c"], "name": ["阿", None, "丙"], "team": ["T"] * 3,
        "conversion_rate": [1.0, 0.4, 0.35], "conversion_rate_n": [5, 200, 300], "conversion_rate_team": [0.4] * 3,
        "first_response_s": [12.0, 9.5, 20.0], "first_response_s_n": [100, 100, 100],
        "first_response_s_team": [14.0] * 3,
        "sales": [100.0, 900.0, 300.0],
    })
    champions = views.kpi_champions(kpis, ["conversion_rate", "first_response_s", "sales"]).set_index("metric")
    assert champions.loc["conversion_rate", "agent"] == "b"  # a's 100 % rests on 5 inquiries
    assert champions.loc["conversion_rate", "n"] == 200
    assert champions.loc["first_response_s", "agent"] == "b"  # fastest wins
    assert champions.loc["sales", "name"] == "b" and pd.isna(champions.loc["sales", "n"])


def test_pick_awards_names_top_improved_and_champions():
    scored = pd.DataFrame({"shop": ["s", "s"], "agent": ["a", "b"], "name": ["阿", "贝"], "score": [100.0, 90.0],
                           "rank": [1, 2], "receptions": [1.0, 1.0]})
    before = pd.DataFrame({"shop": ["s", "s"], "agent": ["a", "b"], "score": [99.0, 70.0], "rank": [1, 2]})
    kpis = pd.DataFrame({"shop": ["s", "s"], "agent": ["a", "b"], "name": ["阿", "贝"], "team": ["T", "T"],
                         "sales": [10.0, 20.0]})
    awards = views.pick_awards(scored, before, kpis)
    assert [(a.key, a.name) for a in awards] == [("top", "阿"), ("improved", "贝"), ("sales", "贝")]
    assert awards[1].detail("zh") == "70.0 → 90.0（+20.0）"
    assert awards[2].title("en") == "Sales star" and awards[2].detail("zh") == "¥20.00"


def test_one_award_each_hands_a_winners_next_award_to_the_next_in_line():
    scored = pd.DataFrame({"shop": ["s"] * 3, "agent": ["a", "b", "c"], "name": ["阿", "贝", "丙"],
                           "score": [100.0, 95.0, 80.0], "rank": [1, 2, 3], "receptions": [1.0] * 3})
    before = pd.DataFrame({"shop": ["s"] * 3, "agent": ["a", "b", "c"], "score": [80.0, 90.0, 79.0], "rank": [2, 1, 3]})
    kpis = scored[["shop", "agent", "name"]].assign(team="T", sales=[30.0, 20.0, 10.0], receptions=[5.0, 9.0, 1.0])
    every = views.pick_awards(scored, before, kpis, ["sales", "receptions"])
    assert [(a.key, a.name) for a in every] == [("top", "阿"), ("improved", "阿"), ("sales", "阿"), ("receptions", "贝")]
    spread = views.pick_awards(scored, before, kpis, ["sales", "receptions"], one_each=True)
    # a tops the score and rose most: the rise goes to b (+5), sales to c, and nobody is left for receptions
    assert [(a.key, a.name) for a in spread] == [("top", "阿"), ("improved", "贝"), ("sales", "丙")]
    assert [a.passed_from for a in spread] == [None, "阿", "阿"] and [a.passed_from for a in every] == [None] * 4
    with_d = pd.concat([kpis, pd.DataFrame({"shop": ["s"], "agent": ["d"], "name": ["丁"], "team": ["T"],
                                            "sales": [5.0], "receptions": [20.0]})], ignore_index=True)
    led = views.pick_awards(scored, before, with_d, ["receptions", "sales"], one_each=True)[2:]
    assert [(a.name, a.passed_from) for a in led] == [("丁", None), ("丙", "阿")]  # 丁 led: nothing passed down
    assert spread[2].passed_note() == "顺延：第一名 阿 已获其他奖项"
    assert spread[1].passed_note("en") == "passed down: 阿, first, holds another award" and not every[1].passed_note()


def test_one_award_each_counts_a_person_once_over_accounts_in_several_shops():
    scored = pd.DataFrame({"shop": ["s", "t", "s", "s"], "agent": ["a", "a2", "b", "c"], "name": ["阿", "阿", None, "丙"],
                           "score": [100.0, 95.0, 80.0, 70.0], "rank": [1, 1, 2, 3], "receptions": [1.0] * 4})
    before = scored.assign(score=[99.0, 94.0, 79.0, 70.0])  # three rise by 1 each
    kpis = scored[["shop", "agent", "name"]].assign(team="T", sales=[10.0, 30.0, 20.0, 5.0])
    spread = views.pick_awards(scored, before, kpis, ["sales"], one_each=True)
    # 阿 tops the score in shop s: 阿's account in shop t neither takes the rise nor the sales
    assert [(a.key, a.name, a.shop) for a in spread] == [("top", "阿", "s"), ("improved", "b", "s"), ("sales", "丙", "s")]


def test_awards_go_to_those_who_worked_at_least_half_the_most_days():
    scored = pd.DataFrame({"shop": ["s"] * 4, "agent": ["a", "b", "c", "d"], "name": ["阿", "贝", "丙", "丁"],
                           "score": [90.0, 120.0, 80.0, 60.0], "rank": [2, 1, 3, 4],
                           "receptions": [300.0, 40.0, 280.0, 100.0], "workdays": [7.0, 1.0, 4.0, NAN]})
    before = scored.assign(score=[80.0, 50.0, 79.0, 59.0], receptions=300.0)
    kpis = scored[["shop", "agent", "name", "workdays"]].assign(
        team="T", conversion_rate=[0.30, 0.90, 0.35, 0.20], conversion_rate_n=[100, 40, 90, 50])
    assert views.award_days(kpis, scored) == 3.5
    assert views.present(kpis, 3.5).tolist() == [True, False, True, True]  # unknown workdays: present
    awards = views.pick_awards(scored, before, kpis, ["conversion_rate"])
    # 贝's one day tops the score, the rise and the conversion: none of it is the week's
    assert [(a.key, a.name) for a in awards] == [("top", "阿"), ("improved", "阿"), ("conversion_rate", "丙")]
    assert views.attendance_note(kpis, 3.5) == "在岗天数不到本期最多者（7 天）一半的不参评奖项：贝"
    assert views.attendance_note(kpis, 3.5, "en") == (
        "Who worked under half the most days anyone worked (7) does not compete for awards: 贝")
    unknown = kpis.assign(workdays=NAN)  # e.g. monthly files without 上班天数
    assert views.award_days(unknown) is None and views.present(unknown, None).all()
    assert views.attendance_note(unknown, None) is None
    assert [a.name for a in views.pick_awards(scored.drop(columns="workdays"), before, unknown,
                                              ["conversion_rate"])] == ["贝", "贝", "贝"]


# -- one agent ----------------------------------------------------------------------------------


def breakdown_scheme() -> Scheme:
    return Scheme(name="s", kpis=[KpiRule("conversion_rate", 30, "vs_team"), KpiRule("aov", 10, "vs_team"),
                                  KpiRule("qa_score", 10, "linear", worst=60, best=100)])


def test_score_breakdown_contributions_add_up_and_skipped_kpis_carry_nothing():
    row = pd.Series({"score": 95.0, "skipped": "qa_score", "conversion_rate_score": 90.0, "aov_score": 110.0,
                     "qa_score_score": NAN, "conversion_rate": 0.27, "conversion_rate_group": 0.3,
                     "conversion_rate_n": 100.0})
    parts = views.score_breakdown(row, breakdown_scheme()).set_index("metric")
    # used weight 40: shares 0.75 and 0.25; 0.75 × 90 + 0.25 × 110 = 67.5 + 27.5 = 95
    assert parts["share"].tolist() == pytest.approx([0.75, 0.25, 0.0])
    assert parts["contribution"].tolist() == pytest.approx([67.5, 27.5, 0.0])
    assert parts["contribution"].sum() == pytest.approx(row["score"])
    assert parts["lost"].tolist() == pytest.approx([7.5, 0.0, 0.0])
    assert parts.loc["qa_score", "skipped"] and not parts.loc["aov", "skipped"]
    assert views.pulled_down(parts.reset_index())["metric"].tolist() == ["conversion_rate"]


def pay_scheme(floor=True) -> Scheme:
    return Scheme(
        name="p", kpis=[KpiRule("receptions", 1, "vs_team")],
        bonuses=[Bonus("conversion_rate", [(0.6, 1000), (0.7, 2000)])],
        penalties=[Penalty("bad_reviews", 50)],
        pay=Pay(performance_pay=2000, coefficients=[(0, 0.6), (80, 0.8), (100, 1.0)],
                commission=[(0, 0.01), (100000, 0.02)], rank_awards=[500, 300], floor_at_base=floor),
    )


def test_pay_slip_lists_every_part_and_adds_up_to_pay():
    # base 3000 + 2000 × 0.8 + 120,000 × 2 % + 1000 (65 % ≥ 60 %) + 300 (2nd) − 4 × 50 = 8100
    row = pd.Series({"base": 3000.0, "base_source": "roster", "score": 85.0, "coefficient": 0.8,
                     "performance_pay": 1600.0, "sales": 120000.0, "commission": 2400.0, "conversion_rate": 0.65,
                     "bonus_conversion_rate": 1000.0, "rank": 2, "rank_award": 300.0,
                     "penalty_bad_reviews": 200.0, "pay": 8100.0})
    slip = views.pay_slip(row, pay_scheme(), pd.Series({"bad_reviews": 4.0}))
    assert slip["item"].tolist() == ["底薪", "绩效工资", "提成", "奖金：询单转化率", "名次奖", "团队奖", "扣款：中差评",
                                     "保底补足", "应发合计"]
    assert slip["amount"].tolist() == pytest.approx([3000, 1600, 2400, 1000, 300, 0, -200, 0, 8100])
    assert slip["amount"].iloc[:-1].sum() == pytest.approx(slip["amount"].iloc[-1])
    details = dict(zip(slip["item"], slip["detail"]))
    assert details["绩效工资"] == "¥2,000.00 × 系数 0.8（得分 85.0）"
    assert details["提成"] == "销售额 ¥120,000.00 × 2%"
    assert details["奖金：询单转化率"] == "65.0% ≥ 60.0%"
    assert details["扣款：中差评"] == "4 × ¥50.00"
    assert details["团队奖"] == "方案未设" and details["保底补足"] == "未触发（应发高于底薪）"
    assert details["底薪"] == "花名册底薪"
    prorated = views.pay_slip(row, pay_scheme(), pd.Series({"bad_reviews": 4.0, "base_prorated": np.True_}))
    assert dict(zip(prorated["item"], prorated["detail"]))["底薪"] == "期间内底薪有变更，按天折算"


def test_pay_slip_shows_the_floor_top_up():
    # gross 3000 + 2000 × 0.6 + 0 commission − 40 × 50 = 2200; the floor lifts it to 3000
    row = pd.Series({"base": 3000.0, "base_source": "roster", "score": 50.0, "coefficient": 0.6,
                     "performance_pay": 1200.0, "sales": 0.0, "commission": 0.0, "conversion_rate": 0.3,
                     "bonus_conversion_rate": 0.0, "rank": 3, "rank_award": 0.0,
                     "penalty_bad_reviews": 2000.0, "pay": 3000.0})
    slip = views.pay_slip(row, pay_scheme(), pd.Series({"bad_reviews": 40.0}), lang="en")
    lines = dict(zip(slip["item"], slip["amount"]))
    assert lines["Floor top-up"] == pytest.approx(800.0)
    assert lines["Total pay"] == pytest.approx(3000.0)
    assert "short of ≥ 60.0%" in dict(zip(slip["item"], slip["detail"]))["Bonus: Inquiry conversion"]


def test_pay_slip_matches_the_scoring_engine():
    kpis = pd.DataFrame({
        "shop": ["s", "s"], "agent": ["a", "b"], "team": ["T", "T"], "role": ["presales"] * 2,
        "base_salary": [3000.0, 2500.0], "receptions": [120.0, 80.0], "sales": [150000.0, 50000.0],
        "conversion_rate": [0.72, 0.5], "conversion_rate_num": [72.0, 50.0], "conversion_rate_n": [100.0, 100.0],
        "bad_reviews": [1.0, 3.0],
    })
    scheme = pay_scheme()
    scored = scoring.score(kpis, scheme).set_index("agent")
    for agent in ("a", "b"):
        slip = views.pay_slip(scored.loc[agent], scheme, kpis.set_index("agent").loc[agent])
        assert slip["amount"].iloc[:-1].sum() == pytest.approx(scored.loc[agent, "pay"])
    # a: 3000 + 2000 × 1.0 (score 120) + 150,000 × 2 % + 2000 (72 %) + 500 − 50 = 10450
    assert scored.loc["a", "pay"] == pytest.approx(10450)


def test_pay_slip_names_the_tier_the_engine_pays_at_float_noise():
    """Sales summed as DOUBLE land a hair under 200,000 (and a response time a hair over 10 s);
    the engine counts both as reached, so the slip must say so too."""
    sales = 198358.18 + 267.99 + 1373.83
    assert sales < 200000
    scheme = Scheme(name="p", kpis=[KpiRule("receptions", 1, "vs_team")],
                    bonuses=[Bonus("sales", [(200000, 500)]), Bonus("first_response_s", [(10, 200)])],
                    pay=Pay(commission=[(0, 0.01), (200000, 0.015)]))
    response_sum = (0.1 + 0.2) * 100  # 30.000000000000004 s over 3 responses
    kpis = pd.DataFrame({"shop": ["s"], "agent": ["a"], "team": ["T"], "role": ["presales"], "receptions": [10.0],
                         "sales": [sales], "first_response_s": [response_sum / 3],
                         "first_response_s_num": [response_sum], "first_response_s_n": [3.0]})
    assert kpis["first_response_s"].iloc[0] > 10
    row = scoring.score(kpis, scheme).iloc[0]
    assert row["commission"] == pytest.approx(3000) and row["bonus"] == 700  # the engine pays the upper tiers
    slip = views.pay_slip(row, scheme, kpis.iloc[0], lang="en")
    details = dict(zip(slip["item"], slip["detail"]))
    assert details["Commission"] == "sales ¥200,000.00 × 1.5%"
    assert details["Bonus: Sales"] == "¥200,000.00 ≥ ¥200,000.00"
    assert details["Bonus: First response (s)"] == "10.0 s ≤ 10.0 s"


# -- promotion ----------------------------------------------------------------------------------


def test_window_months_ends_with_the_month_in_progress():
    assert views.window_months(date(2026, 10, 15), 3) == [
        (date(2026, 8, 1), date(2026, 8, 31)), (date(2026, 9, 1), date(2026, 9, 30)),
        (date(2026, 10, 1), date(2026, 10, 15))]
    assert views.window_months(date(2026, 2, 10), 3)[0] == (date(2025, 12, 1), date(2025, 12, 31))


def test_promotion_readiness_needs_both_average_and_months():
    ready = views.promotion_readiness("junior", [95, 92, NAN, 88, 91, NAN])
    assert (ready.months, ready.average, ready.ready) == (4, pytest.approx(91.5), True)
    assert ready.rule.to_level == "mid" and ready.score_progress == 1.0
    short = views.promotion_readiness("junior", [NAN, NAN, NAN, 95, 95, 95])
    assert not short.ready and short.months_progress == pytest.approx(0.75)
    mid = views.promotion_readiness("mid", [98] * 6)
    assert not mid.ready and mid.score_progress == pytest.approx(0.98)
    trainee = views.promotion_readiness("trainee", [NAN, NAN, NAN, 82, 85, 80])
    assert trainee.ready and trainee.rule.to_level == "junior"
    assert views.level_label("trainee") == "实习" and views.level_label("trainee", "en") == "Trainee"
    assert views.promotion_readiness("vip", [120] * 6).rule is None
    assert views.promotion_readiness(None, [120] * 6).level is None


def test_trend_range_choices():
    first, last = date(2026, 1, 1), date(2026, 10, 31)
    assert views.trend_range("90d", first, last, (last, last)) == (date(2026, 8, 3), last)
    assert views.trend_range("365d", first, last, (last, last)) == (first, last)
    assert views.trend_range("sidebar", first, last, (date(2026, 10, 1), last)) == (date(2026, 10, 1), last)
    assert views.trend_range("all", first, last, (last, last)) == (first, last)


def test_apply_filters_keeps_selected_rows_and_ignores_empty_filters():
    frame = pd.DataFrame({"shop": ["s", "s", "t"], "agent": ["a", "b", "c"], "team": ["A", "B", "A"],
                          "shift": ["白班", "夜班", "白班"]})
    assert views.apply_filters(frame, {"team": ["A"], "shift": []})["agent"].tolist() == ["a", "c"]
    assert views.apply_filters(frame, {"shop": "s", "account": "b"})["agent"].tolist() == ["b"]
    assert views.apply_filters(frame, {})["agent"].tolist() == ["a", "b", "c"]


def test_roles_by_size_puts_the_largest_role_first():
    kpis = pd.DataFrame({"role": ["aftersales", "presales", "presales", None, "trainee", "aftersales", "presales"]})
    assert views.roles_by_size(kpis) == ["presales", "aftersales", "trainee"]
    assert views.roles_by_size(kpis.iloc[[0, 4]]) == ["aftersales", "trainee"]  # a tie: by name
    assert views.roles_by_size(kpis.iloc[[3]]) == []


def test_assigned_schemes_uses_the_presets_and_returns_none_without_an_assignment(db):
    from csperf import schemes

    resolve = views.assigned_schemes(db, date(2026, 10, 31))
    assert resolve("presales", "s", "T") is None  # nothing saved or assigned yet
    schemes.ensure_presets(db)
    resolve = views.assigned_schemes(db, date(2026, 10, 31))
    assert resolve("presales", "s", "T").name == "售前标准方案"
    assert resolve("presales", "s", "T").version == 1
    assert resolve("aftersales", "s", None).name == "售后标准方案"


def test_count_text_names_the_denominator():
    assert views.count_text("conversion_rate", 1409) == "1,409 询单"
    assert views.count_text("first_response_s", 2499.0, "en") == "2,499 responses"
    assert views.count_text("sales", None) == "合计"
    assert views.count_text("refund_rate", 401535.32) == "销售额 ¥401,535"


def test_labelled_leaderboard_says_common_skips_once_and_keeps_numbers():
    table = pd.DataFrame({
        "group": ["g", "g"], "rank": [1, 2], "rank_move": [1.0, NAN], "name": ["阿", "b"], "agent": ["a", "b"],
        "role": ["presales", None], "score": [101.25, 80.0], "small_sample": [False, True],
        "skipped": ["qa_score", "qa_score,conversion_rate"],
        "conversion_rate": [0.3, NAN], "conversion_rate_n": [100.0, 5.0], "qa_score": [NAN, NAN], "pay": [5000.0, 4000.0],
    })
    assert views.skipped_by_all(table) == ["qa_score"]
    assert views.group_label("旗舰店 / A组 / presales") == "旗舰店 / A组 / 售前"
    out = views.labelled_leaderboard(table, ["conversion_rate", "qa_score"])
    assert out.frame.columns.tolist() == ["比较组", "名次", "客服", "名次变化", "账号", "岗位", "得分",
                                          "询单转化率", "询单转化率 样本", "应发", "备注"]
    assert out.frame["名次变化"].tolist() == ["▲1", "新"]
    assert out.frame["备注"].tolist() == ["", "⚠ 样本不足 · 未计：询单转化率"]
    assert out.frame["得分"].tolist() == [101.25, 80.0]
    assert (out.kpis, out.counts, out.money) == ({"询单转化率": "conversion_rate"}, ["询单转化率 样本"], ["应发"])
    assert out.goals == {}


def test_a_kpi_everyone_is_short_of_samples_for_is_told_apart_from_one_nobody_has_figures_for():
    scheme = Scheme(name="s", kpis=[KpiRule("satisfaction", 1, "vs_team", min_n=10), KpiRule("qa_score", 1, "vs_team"),
                                    KpiRule("receptions", 1, "vs_team")])
    table = pd.DataFrame({
        "group": ["g", "g"], "rank": [1, 2], "rank_move": [NAN, 1.0], "name": ["a", "b"], "agent": ["a", "b"],
        "role": ["presales"] * 2, "scheme": ["s", "s"], "score": [110.0, 90.0], "small_sample": [True, True],
        "skipped": ["satisfaction,qa_score"] * 2, "satisfaction": [0.9, 0.8], "satisfaction_n": [6.0, 9.0],
        "qa_score": [NAN, NAN], "receptions": [50.0, 40.0],
    })
    assert views.skipped_by_all_notes(table, {"s": scheme}) == [
        "质检分 本期所有人都没有数据，已跳过，其余权重按比例放大。",
        "满意率 每人的样本都少于方案要求的 10 评价，本期不计分（数值照列），其余权重按比例放大。"]
    assert views.skipped_by_all_notes(table, {"s": scheme}, "en")[1] == (
        "Satisfaction: every agent's sample is under the scheme's minimum of 10 ratings, so it is not scored this "
        "period (the figures are still listed); the other weights scaled up.")
    out = views.labelled_leaderboard(table, ["satisfaction", "qa_score", "receptions"], "en")
    assert out.frame["Satisfaction"].tolist() == [0.9, 0.8] and "QA score" not in out.frame.columns
    assert out.frame["Move"].tolist() == ["new", "▲1"]


BANDED = Scheme(name="售后", kpis=[KpiRule("satisfaction", 10, "linear", worst=0.8, best=0.98),
                                   KpiRule("resolution_rate", 30, "target", target=0.9)],
                pay=Pay(performance_pay=1000, coefficients=[(0, 0.6), (80, 0.8), (100, 1.0), (110, 1.2)]))


def banded(scores, satisfaction_scores=None, label="售后"):
    satisfaction_scores = satisfaction_scores or [0.0] * len(scores)
    return pd.DataFrame({"scheme": [label] * len(scores), "score": scores,
                         "satisfaction_score": satisfaction_scores,
                         "resolution_rate_score": [min(s, 100.0) for s in scores]})


def test_a_scheme_that_puts_everyone_in_its_lowest_band_says_so_and_names_the_kpis_nobody_scores_on():
    table = banded([50.7, 49.9, 47.0])
    assert views.band_fit_notes(table, {"售后": BANDED}) == [(
        "售后：全部 3 人得分都低于 80，绩效系数都是最低档（0.6）。满意率 所有人都是 0 分。方案的评分标准（分档、最差/最好值、"
        "目标）可能不适合你们的业务：可在「模拟」页试改，看分数和工资怎样变，再保存为新版本。")]
    assert views.band_fit_notes(table, {"售后": BANDED}, "en") == [(
        "售后: All 3 agents score under 80, so everyone gets the lowest coefficient (0.6). Nobody scores on "
        "Satisfaction. The scheme's standards (bands, worst/best, targets) may not fit your business: try changes "
        "on the What-if page, see how scores and pay move, then save them as a new version.")]
    # a KPI someone scores on is not named
    assert "满意率" not in views.band_fit_notes(banded([50.7, 49.9, 47.0], [0.0, 12.0, 0.0]), {"售后": BANDED})[0]


def test_everyone_in_the_top_band_is_said_too_and_a_spread_over_bands_says_nothing():
    assert views.band_fit_notes(banded([112.0, 115.0, 130.0]), {"售后": BANDED}, "en")[0].startswith(
        "售后: All 3 agents score 110 or more, so everyone gets the top coefficient (1.2) and the bands tell "
        "nobody apart.")
    assert views.band_fit_notes(banded([50.0, 85.0, 60.0]), {"售后": BANDED}) == []
    assert views.band_fit_notes(banded([85.0, 86.0, 95.0]), {"售后": BANDED}) == []  # one middle band: no note


def test_band_fit_needs_three_scored_agents_and_two_bands():
    assert views.band_fit_notes(banded([50.0, 40.0]), {"售后": BANDED}) == []
    assert views.band_fit_notes(banded([50.0, 40.0, NAN]), {"售后": BANDED}) == []
    one_band = replace(BANDED, pay=Pay(performance_pay=1000, coefficients=[(0, 1.0)]))
    assert views.band_fit_notes(banded([50.0, 40.0, 30.0]), {"售后": one_band}) == []


def test_band_fit_is_judged_per_scheme_and_names_no_coefficient_below_the_lowest_band():
    starts_at_60 = replace(BANDED, name="高门槛", pay=Pay(performance_pay=1000, coefficients=[(60, 0.8), (90, 1.0)]))
    table = pd.concat([banded([50.0, 70.0, 80.0], label="高门槛"), banded([50.0, 90.0, 120.0])])
    notes = views.band_fit_notes(table, {"售后": BANDED, "高门槛": starts_at_60})
    assert notes == [(
        "高门槛：全部 3 人得分都低于 90，绩效系数都是最低档。满意率 所有人都是 0 分。方案的评分标准（分档、最差/最好值、"
        "目标）可能不适合你们的业务：可在「模拟」页试改，看分数和工资怎样变，再保存为新版本。")]


def test_the_english_leaderboard_lists_unscored_kpis_with_commas():
    table = pd.DataFrame({"group": ["g", "g"], "rank": [1, 2], "rank_move": [0.0, 0.0], "name": ["a", "b"],
                          "agent": ["a", "b"], "role": ["presales"] * 2, "score": [100.0, 90.0],
                          "small_sample": [False, True], "skipped": ["", "aov,items_per_buyer"],
                          "aov": [100.0, NAN], "items_per_buyer": [1.2, NAN]})
    notes = views.labelled_leaderboard(table, ["aov", "items_per_buyer"], "en").frame["Notes"]
    assert notes.tolist() == ["", "⚠ small sample · not scored: Average order value, Items per buyer"]


def test_the_leaderboard_carries_each_agents_own_target_completion_beside_the_score():
    scored = views.Scored(pd.DataFrame({
        "group": ["g", "g"], "rank": [1, 2], "agent": ["a", "b"], "shop": ["s", "s"], "role": ["presales"] * 2,
        "score": [101.0, 80.0],
        "conversion_rate": [0.3, 0.2], "sales": [9.0, 8.0], "sales_target": [0.8, NAN],
        "sales_target_met": pd.array([False, None], dtype="boolean"), "pay": [5000.0, 4000.0]}),
        {"s": Scheme(name="s", kpis=[KpiRule("conversion_rate", 1, "vs_team")])}, pd.DataFrame())
    table = views.leaderboard(scored, None, show_pay=True)
    assert {"sales_target", "sales_target_met"} <= set(table.columns) and "sales" not in table.columns
    out = views.labelled_leaderboard(table, scored.metrics)
    assert out.frame.columns.tolist()[-5:] == ["得分", "销售额目标达成", "询单转化率", "应发", "备注"]
    assert out.goals == {"销售额目标达成": "sales"} and out.frame["销售额目标达成"].iloc[0] == 0.8
    assert views.export_formats(out)["销售额目标达成"] == "0.0%"
    assert "Sales vs target" in views.labelled_leaderboard(table, scored.metrics, "en").frame.columns


def test_score_breakdown_names_the_value_that_scores_full_marks():
    scheme = Scheme(name="s", kpis=[KpiRule("conversion_rate", 1, "vs_team"),
                                    KpiRule("aov", 1, "target", target=150),
                                    KpiRule("first_response_s", 1, "linear", worst=40, best=8),
                                    KpiRule("refund_rate", 1, "bands", bands=[(0.02, 100), (0.05, 60)])])
    row = pd.Series({"conversion_rate_group": 0.3, "conversion_rate_score": 90.0, "aov_score": 90.0,
                     "first_response_s_score": 90.0, "refund_rate_score": 60.0, "skipped": ""})
    parts = views.score_breakdown(row, scheme)
    assert parts["par"].tolist() == [0.3, 150, 8, 0.02]
    assert views.count_text("aov", 4827.96) == "4,828 买家"


# -- figures (csperf.ui_charts) -------------------------------------------------------------------


def test_a_trend_of_one_value_starts_its_axis_at_zero_and_reaches_the_target():
    from csperf import ui_charts

    frame = pd.DataFrame({"period": pd.to_datetime(["2026-11-09"]), "value": [0.5], "n": [10]})
    fig = ui_charts.trend_lines(frame, "conversion_rate")
    assert list(fig.layout.yaxis.range) == [0, 0.625]  # not plotly's −50%–150% around a lone point
    ui_charts.add_target(fig, pd.DataFrame({"period": pd.to_datetime(["2026-11-01", "2026-11-30"]),
                                            "value": [0.6, 0.6]}), "conversion_rate")
    assert list(fig.layout.yaxis.range) == [0, 0.75]
    two = pd.DataFrame({"period": pd.to_datetime(["2026-11-02", "2026-11-09"]), "value": [0.4, 0.5]})
    assert ui_charts.trend_lines(two, "conversion_rate").layout.yaxis.range is None  # plotly's own range


def test_a_rate_trend_within_a_few_points_ticks_to_a_tenth_of_a_percent():
    from csperf import ui_charts

    narrow = pd.DataFrame({"period": pd.to_datetime(["2026-11-02", "2026-11-09"]), "value": [0.992, 1.0]})
    assert ui_charts.trend_lines(narrow, "reply_rate").layout.yaxis.tickformat == ".1%"  # not 100%, 100%, 99%
    wide = narrow.assign(value=[0.3, 0.5])
    assert ui_charts.trend_lines(wide, "reply_rate").layout.yaxis.tickformat == ".0%"
    assert ui_charts.trend_lines(narrow.assign(value=[100.0, 101.0]), "sales").layout.yaxis.tickformat == ",.0f"


def test_trend_lines_mark_promotion_days_and_carry_the_count():
    from csperf import ui_charts

    frame = pd.DataFrame({"period": pd.to_datetime(["2026-11-10", "2026-11-11", "2026-11-12"]),
                          "value": [0.3, 0.5, 0.35], "n": [100, 400, 120]})
    fig = ui_charts.trend_lines(frame, "conversion_rate", [(date(2026, 11, 11), "双11")])
    assert [a.text for a in fig.layout.annotations] == ["双11"]
    assert pd.Timestamp(fig.layout.shapes[0].x0) == pd.Timestamp("2026-11-11")
    assert list(fig.data[0].customdata) == [100, 400, 120] and "n=" in fig.data[0].hovertemplate
    assert fig.layout.yaxis.tickformat == ".0%"


def test_monthly_points_tick_once_a_month_and_daily_ones_by_day():
    from csperf import ui_charts

    months = pd.DataFrame({"period": pd.to_datetime(["2026-08-01", "2026-09-01", "2026-10-01", "2026-11-01"]),
                           "value": [0.3, 0.32, 0.31, 0.35]})
    axis = ui_charts.trend_lines(months, "conversion_rate").layout.xaxis
    assert (axis.tickformat, axis.dtick) == ("%Y-%m", "M1")
    days = months.assign(period=pd.to_datetime(["2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04"]))
    axis = ui_charts.trend_lines(days, "conversion_rate").layout.xaxis
    assert (axis.tickformat, axis.dtick) == ("%m-%d", None)

    mondays = months.assign(period=pd.to_datetime(["2026-10-05", "2026-10-12", "2026-10-19", "2026-10-26"]))
    axis = ui_charts.trend_lines(mondays, "conversion_rate").layout.xaxis  # weeks tick on their Mondays
    assert (pd.Timestamp(axis.tick0), axis.dtick) == (pd.Timestamp("2026-10-05"), 7 * 86_400_000)


def test_a_trend_holds_its_end_weeks_and_months_apart_where_it_has_only_some_of_their_days():
    # Thursday 10-01 to Wednesday 11-18: the first week has 4 of its days, the last one 3
    weeks = views.partial_periods("week", date(2026, 10, 1), date(2026, 11, 18))
    assert weeks == {date(2026, 9, 28): "不完整：4/7 天", date(2026, 11, 16): "不完整：3/7 天"}
    months = views.partial_periods("month", date(2026, 10, 1), date(2026, 11, 18), "en")
    assert months == {date(2026, 11, 1): "partial: 18 of 30 days"}
    assert views.partial_periods("week", date(2026, 10, 5), date(2026, 10, 18)) == {}
    assert views.partial_periods("day", date(2026, 10, 1), date(2026, 11, 18)) == {}
    assert views.partial_periods("week", date(2026, 10, 6), date(2026, 10, 7)) == {date(2026, 10, 5): "不完整：2/7 天"}

    from csperf import ui_charts

    frame = pd.DataFrame({"period": pd.to_datetime(["2026-10-26", "2026-11-02", "2026-11-09", "2026-11-16"]),
                          "value": [9000.0, 9500.0, 9100.0, 3900.0]})
    fig = ui_charts.trend_lines(frame, "sales", partial={date(2026, 11, 16): "不完整：3/7 天"})
    whole, cut = fig.data
    assert list(whole.y) == [9000.0, 9500.0, 9100.0] and whole.line.dash == "solid"
    assert list(cut.y) == [9100.0, 3900.0] and cut.line.dash == "dot" and not cut.showlegend
    assert list(cut.marker.symbol) == ["circle", "circle-open"] and cut.text[1] == "<br>不完整：3/7 天"
    assert "%{text}" in cut.hovertemplate and cut.line.color == whole.line.color

    # the small multiples draw every line the same way: each agent's and the team's in each chart
    per_agent = pd.concat([frame.assign(agent="a1"), frame.assign(agent="a2", value=frame["value"] / 2)])
    fig = ui_charts.small_multiples(per_agent, frame.assign(value=frame["value"] * 0.8), "sales",
                                    partial={date(2026, 11, 16): "不完整：3/7 天"})
    solid = [t for t in fig.data if t.line.dash != "dot"]
    dotted = [t for t in fig.data if t.line.dash == "dot"]
    assert len(solid) == len(dotted) == 4 and all(len(t.x) == 3 for t in solid)
    assert [list(t.y) for t in dotted if t.name == "a2"] == [[4550.0, 1950.0]]
    assert all(t.marker.symbol[-1] == "circle-open" and t.text[-1] == "<br>不完整：3/7 天" for t in dotted)
    assert {t.legendgroup for t in fig.data if t.name == "团队"} == {"team"}
    assert [t.showlegend for t in fig.data if t.name == "团队" and t.line.dash != "dot"] == [True, False]


def test_a_line_with_no_value_in_a_partial_period_is_drawn_without_a_crash():
    """A team with only a month's figure has no weekly conversion: its week cut by the range
    is a date and NaNs, which a row Series reads as dates (NaT) and float() then refuses."""
    from csperf import ui_charts

    weeks = pd.to_datetime(["2020-12-28", "2021-01-04", "2021-01-11"])
    empty = pd.DataFrame({"period": weeks, "value": [NAN] * 3, "n": [NAN] * 3})
    cut = {date(2020, 12, 28): "不完整：3/7 天"}
    agents = pd.concat([empty.assign(agent="a1", value=[0.5, 0.4, 0.3], n=[10.0, 10.0, 10.0])])
    fig = ui_charts.small_multiples(agents, empty, "conversion_rate", partial=cut)
    dotted = [t for t in fig.data if t.line.dash == "dot"]
    team, agent = dotted
    assert len(team.y) == 2 and np.isnan(np.asarray(team.y, dtype=float)).all()
    assert list(agent.y) == [0.5, 0.4] and list(agent.marker.symbol) == ["circle-open", "circle"]
    assert len(ui_charts.trend_lines(empty.assign(team="B"), "conversion_rate", series="team", partial=cut).data) == 0


def test_a_team_without_the_kpi_is_left_out_of_the_legend_and_the_others_keep_their_colours():
    from csperf import ui_charts

    days = pd.to_datetime(["2026-11-16", "2026-11-17"])
    frame = pd.concat([pd.DataFrame({"period": days, "value": v, "team": t})
                       for t, v in [("A 售前", [0.3, 0.4]), ("B 售后", [NAN, NAN]), ("C 售前", [0.2, 0.25])]])
    fig = ui_charts.trend_lines(frame, "conversion_rate", series="team")
    assert [t.name for t in fig.data] == ["A 售前", "C 售前"]
    assert [t.line.color for t in fig.data] == [ui_charts.PALETTE[0], ui_charts.PALETTE[2]]


def test_trend_lines_say_so_when_there_is_nothing_to_draw():
    from csperf import ui_charts

    frame = pd.DataFrame({"period": pd.to_datetime(["2026-11-10"]), "value": [NAN], "n": [NAN]})
    fig = ui_charts.trend_lines(frame, "reply_rate")
    assert fig.layout.annotations[0].text == "此范围内没有该指标的数据"


def test_kpi_vs_team_puts_better_to_the_right_for_both_directions():
    from csperf import ui_charts

    rows = pd.DataFrame({"metric": ["conversion_rate", "first_response_s"], "value": [0.33, 30.0],
                         "group_value": [0.30, 24.0], "n": [100, 100]})
    bar = ui_charts.kpi_vs_team(rows).data[0]
    gaps = dict(zip(bar.y, bar.x))  # listed bottom-up
    assert gaps["询单转化率"] == pytest.approx(10.0) and gaps["首次响应时间(秒)"] == pytest.approx(-25.0)
    assert dict(zip(bar.y, bar.marker.color)) == {"询单转化率": ui_charts.GOOD, "首次响应时间(秒)": ui_charts.BAD}


def test_score_waterfall_steps_add_up_to_the_total():
    from csperf import ui_charts

    row = pd.Series({"score": 95.0, "skipped": "qa_score", "conversion_rate_score": 90.0, "aov_score": 110.0,
                     "qa_score_score": NAN})
    fig = ui_charts.score_waterfall(views.score_breakdown(row, breakdown_scheme()), 95.0)
    bars = fig.data[0]
    assert list(bars.x) == ["询单转化率", "客单价", "总分"]
    assert list(bars.y) == pytest.approx([67.5, 27.5, 95.0]) and list(bars.measure) == ["relative", "relative", "total"]


def test_a_weekly_or_monthly_trend_marks_a_promotion_on_the_point_of_its_week_or_month():
    days = [(date(2026, 3, 8), "38节"), (date(2026, 6, 18), "618"), (date(2026, 11, 11), "双11"),
            (date(2026, 12, 12), "双12")]
    assert views.promotion_marks(days, "day") == days
    assert views.promotion_marks(days, "week") == [(date(2026, 3, 2), "38节"), (date(2026, 6, 15), "618"),
                                                   (date(2026, 11, 9), "双11"), (date(2026, 12, 7), "双12")]
    assert views.promotion_marks(days[:1], "month") == [(date(2026, 3, 1), "38节")]
    assert views.promotion_marks([(date(2026, 11, 11), "双11"), (date(2026, 11, 20), "黑五")], "month") == [
        (date(2026, 11, 1), "双11 · 黑五")]


def test_last_years_trend_lines_up_day_with_day_and_week_with_week():
    assert views.last_year_range(date(2026, 10, 1), date(2026, 10, 31), "day") == (date(2025, 10, 1), date(2025, 10, 31))
    assert views.last_year_range(date(2026, 10, 5), date(2026, 10, 31), "week") == (date(2025, 10, 6), date(2025, 11, 1))
    trend = pd.DataFrame({"period": [date(2025, 11, 11), date(2024, 2, 29)], "value": [0.3, 0.2]})
    assert views.a_year_later(trend, "day")["period"].tolist() == [date(2026, 11, 11), date(2025, 2, 28)]
    weeks = views.a_year_later(trend.iloc[:1].assign(period=[date(2025, 11, 10)]), "week")  # a Monday
    assert weeks["period"].tolist() == [date(2026, 11, 9)] and weeks["was"].tolist() == [date(2025, 11, 10)]


def test_promotion_note_warns_when_a_comparison_spans_a_promotion():
    assert views.promotion_note([], []) is None
    assert views.promotion_note([], [(date(2026, 11, 11), "双11")]) == "上期含大促日 双11，环比变化受大促影响。"
    assert views.promotion_note([(date(2026, 6, 18), "618")], [], "en") == (
        "this period includes 618: changes reflect the promotion.")


def test_a_promotion_in_both_periods_is_not_said_to_explain_the_change():
    now = [(date(2025, 11, 11), "双11"), (date(2026, 6, 18), "618")]
    before = [(date(2024, 11, 11), "双11"), (date(2025, 6, 18), "618")]
    assert views.promotion_note(now, before) == "本期和上期都含大促日 双11、618。"
    assert views.promotion_note(now, before, "en") == "both periods include 双11, 618."
    assert views.promotion_note(now, before, against="last_year") == "本期和去年同期都含大促日 双11、618。"
    assert views.promotion_note([], [(date(2025, 11, 11), "双11")], against="last_year") == (
        "去年同期含大促日 双11，同比变化受大促影响。")
    assert views.promotion_note(now, before[:1], "en") == (
        "this period includes 双11, 618; the previous period includes 双11: changes reflect the promotion.")


def test_dates_carry_the_year_when_the_comparison_reaches_into_another():
    assert fmt.date_span(date(2026, 9, 1), date(2026, 9, 30), date(2026, 10, 1), date(2026, 10, 31)) == (
        "09-01 ~ 09-30")
    assert fmt.date_span(date(2024, 11, 1), date(2025, 10, 31), date(2025, 11, 1), date(2026, 10, 31)) == (
        "2024-11-01 ~ 2025-10-31")
    assert fmt.date_span(date(2025, 12, 29), date(2026, 1, 4)) == "2025-12-29 ~ 2026-01-04"
    note = views.period_notes([Scheme(name="s", kpis=[KpiRule("receptions", 1, "vs_team")])],
                              date(2025, 11, 1), date(2026, 10, 31), date(2026, 10, 31))[0]
    assert "2025-11-01 ~ 2026-10-31 is not one whole month" in note.text(date(2025, 11, 1), date(2026, 10, 31),
                                                                          date(2026, 10, 31), "en")


def test_english_counts_and_lists_read_as_english():
    assert (fmt.counted(1, "agent"), fmt.counted(2, "agent"), fmt.counted(1200, "person", "people")) == (
        "1 agent", "2 agents", "1,200 people")
    assert (fmt.joined(["a", "b"]), fmt.joined(["a", "b"], "en")) == ("a、b", "a, b")
    row = pd.Series({"shop": "Flagship", "team": None, "agent": "amy", "name": "Amy"})
    assert views.agent_choice(row, "en") == "Amy (Flagship · ungrouped)"
    assert views.agent_choice({**row, "team": "A组"}) == "Amy（Flagship · A组）"


def test_a_rate_reads_as_the_spec_writes_it():
    assert fmt.with_count("conversion_rate", 0.625, 40) == "62.5% · 40 询单"


def test_with_count_rounds_rebuilt_counts_and_leaves_sums_alone():
    assert fmt.with_count("aov", 353.0, 542.97) == "¥353.00 · 543 买家"
    assert fmt.with_count("refund_rate", 0.062, 187677.8) == "6.2% · 销售额 ¥187,678"
    assert fmt.with_count("conversion_rate", 0.455, 1155, "en") == "45.5% · 1,155 inquiries"
    assert fmt.with_count("sales", 100.0, None) == "¥100.00"
    assert [fmt.money(v) for v in (2500.125, 2.675, -0.125, -0.004)] == ["¥2,500.13", "¥2.68", "-¥0.13", "¥0.00"]
    assert [fmt.money_change(v) for v in (200.0, -0.125, 0.004, NAN)] == ["+¥200.00", "-¥0.13", "—", "—"]
    assert fmt.money_change(0.0, zero="¥0.00") == "¥0.00"
    assert fmt.money(2500.5, 0) == "¥2,501" and list(fmt.to_cent(pd.Series([1.005, None]))[:1]) == [1.01]
    assert fmt.with_count("conversion_rate", NAN, 0) == "—"


def test_pay_slip_shows_no_negative_zero_penalty():
    row = pd.Series({"base": 3000.0, "base_source": "roster", "score": 100.0, "coefficient": 1.0,
                     "performance_pay": 2000.0, "sales": 0.0, "commission": 0.0, "conversion_rate": NAN,
                     "bonus_conversion_rate": 0.0, "rank": 1, "rank_award": 500.0, "penalty_bad_reviews": 0.0,
                     "pay": 5500.0})
    slip = views.pay_slip(row, pay_scheme(), pd.Series({"bad_reviews": 0.0}))
    amount = dict(zip(slip["item"], slip["amount"]))["扣款：中差评"]
    assert amount == 0 and str(amount) == "0.0"
    assert slip["amount"].iloc[:-1].sum() == pytest.approx(5500.0)


def test_pay_slip_shows_the_team_share_when_the_team_reached_its_target():
    from csperf.scheme import TeamBonus

    scheme = Scheme(name="t", kpis=[KpiRule("receptions", 1, "vs_team")],
                    pay=Pay(team_bonus=TeamBonus("sales", 150000, 1000, "equal")))
    kpis = pd.DataFrame({"shop": ["s", "s"], "agent": ["a", "b"], "team": ["T", "T"], "role": ["presales"] * 2,
                         "receptions": [100.0, 100.0], "sales": [120000.0, 80000.0]})
    scored = scoring.score(kpis, scheme).set_index("agent")
    slip = views.pay_slip(scored.loc["a"], scheme)
    lines = dict(zip(slip["item"], zip(slip["detail"], slip["amount"])))
    # the team sold 200,000 ≥ 150,000: the 1000 pool split equally between two agents
    assert lines["团队奖"][1] == pytest.approx(500.0)
    assert lines["团队奖"][0] == "团队 销售额 ¥200,000.00 / 目标 ¥150,000.00"
    assert lines["提成"][0] == "方案未设" and "保底补足" not in lines


def test_the_leaderboard_export_formats_follow_each_columns_unit():
    labelled = views.Labelled(pd.DataFrame(), {"询单转化率": "conversion_rate", "首次响应时间(秒)": "first_response_s",
                                               "客单价": "aov", "接待人数": "receptions"},
                              ["询单转化率 样本"], ["应发"])
    assert views.export_formats(labelled) == {
        "询单转化率": "0.0%", "首次响应时间(秒)": '0.0"秒"', "客单价": '"¥"#,##0.00', "接待人数": "#,##0",
        "询单转化率 样本": "#,##0", "应发": '"¥"#,##0.00', "得分": "0.0", "系数": "0.00"}
    assert views.export_formats(labelled, "en")["首次响应时间(秒)"] == '0.0"s"'


def test_an_upload_already_imported_is_known_by_its_content_until_that_import_is_undone():
    at = pd.Timestamp("2026-11-20 14:05")
    history = pd.DataFrame({"import_id": [5, 4, 2], "sha256": ["aa", "bb", "aa"], "imported_at": [at] * 3,
                            "undone_at": [None, at, None]})
    earlier = views.earlier_imports(history)
    assert list(earlier) == ["aa"] and earlier["aa"]["import_id"] == 2  # the first import of it counts
    assert views.outside((date(2026, 9, 1), date(2026, 9, 30)), date(2026, 10, 1), date(2026, 10, 31))
    assert not views.outside((date(2026, 10, 1), date(2026, 10, 31)), date(2026, 10, 1), date(2026, 10, 31))
    assert views.outside((date(2026, 10, 1), date(2026, 10, 31)), None, None)  # nothing was shown before
    assert not views.outside(None, date(2026, 10, 1), date(2026, 10, 31))

def test_an_exported_leaderboard_heads_its_sheet_with_its_dates_scheme_filters_and_caveats():
    at = datetime(2026, 11, 23, 9, 5)
    lines = views.export_heading(
        "排行榜", date(2026, 11, 1), date(2026, 11, 22), previous=(date(2026, 10, 1), date(2026, 10, 22)),
        scheme_names=["售前标准方案", "售后方案"], filters={"shop": ["旗舰店"], "role": ["presales"], "team": []},
        notes=["「售前标准方案」按月考核，本月还没结束"], last_day=date(2026, 11, 22), exported_by="owner",
        exported_at=at)
    assert lines == ["排行榜 · 2026-11-01 ~ 2026-11-22",
                     "考核方案：售前标准方案、售后方案 · 名次变化对比上期 2026-10-01 ~ 2026-10-22",
                     "筛选：店铺 旗舰店；岗位 售前",
                     "「售前标准方案」按月考核，本月还没结束",
                     "数据截至 2026-11-22 · 导出于 2026-11-23 09:05（owner）"]
    english = views.export_heading("Leaderboard", date(2026, 11, 1), date(2026, 11, 22),
                                   previous=(date(2026, 10, 1), date(2026, 10, 22)), scheme_names=[], filters={},
                                   notes=[], last_day=date(2026, 11, 22), exported_by="owner", exported_at=at,
                                   lang="en")
    assert english[1:3] == ["Scheme: — · rank moves against the previous period 2026-10-01 ~ 2026-10-22",
                            "Filters: none (every agent)"]
    a_year_before = views.export_heading("排行榜", date(2026, 11, 1), date(2026, 11, 22),
                                         previous=(date(2025, 11, 1), date(2025, 11, 22)), scheme_names=[], filters={},
                                         notes=[], last_day=date(2026, 11, 22), exported_by="owner", exported_at=at,
                                         against="last_year")
    assert a_year_before[1] == "考核方案：— · 名次变化对比去年同期 2025-11-01 ~ 2025-11-22"


def test_a_command_line_message_loses_its_english_half_in_the_chinese_ui():
    message = "= a.csv: 与导入 #4 内容相同，未重复导入 — already imported\n  ! 3 行含“延迟统计”，标记为暂定 — provisional rows"
    assert fmt.one_language(message) == "= a.csv: 与导入 #4 内容相同，未重复导入\n  ! 3 行含“延迟统计”，标记为暂定"
    assert fmt.one_language(message, "en") == message
    counts = "✓ a.csv: 导入 #1 旗舰店 2026-10-01 — 12 行数据"  # the part after the dash is Chinese too
    assert fmt.one_language(counts) == counts
    assert fmt.one_language("no dash here") == "no dash here"


def test_durations_and_their_buckets_read_in_the_ui_language():
    assert [fmt.seconds(v) for v in (27.77, 150, 27712)] == ["27.8秒", "2分30秒", "7小时41分"]
    assert [fmt.seconds(v, "en") for v in (27.77, 150, 27712)] == ["27.8 s", "2 min 30 s", "7 h 41 min"]
    assert fmt.value("first_response_s", 16.1, "en") == "16.1 s" and fmt.value("first_response_s", 16.1) == "16.1秒"
    assert fmt.with_count("first_response_s", 16.1, 30, "en").startswith("16.1 s · 30")
    assert [fmt.span_label(b, "en") for b in ("1–3分", "10–30秒", "≥10分")] == ["1–3 min", "10–30 s", "≥10 min"]
    assert fmt.span_label("1–3分") == "1–3分" and (fmt.hour_label(9), fmt.hour_label(9, "en")) == ("09时", "09:00")


def test_lagging_shops_are_said_once_with_their_last_day():
    as_of = {"last_date": date(2026, 11, 23), "lagging": [("好物优选店", date(2026, 11, 21))]}
    assert views.lagging_note(as_of) == ("这些店铺的数据还没到 11-23：好物优选店（11-21），其后几天显示为空是因为文件未到。")
    assert "好物优选店 (11-21)" in views.lagging_note(as_of, "en")
    assert views.lagging_note({"last_date": date(2026, 11, 23), "lagging": []}) is None


def test_period_notes_name_the_schemes_whose_whole_month_or_week_the_dates_are_not():
    monthly = [Scheme("售前标准方案", [], period="month"), Scheme("售后标准方案", [], period="month")]
    weekly, custom = Scheme("周冲刺", [], period="week"), Scheme("活动方案", [], period="custom")
    last = date(2026, 11, 22)
    assert views.period_notes([*monthly, weekly, custom], date(2026, 11, 16), last, last) == [
        views.PeriodNote("month", "partial", ["售前标准方案", "售后标准方案"])]
    notes = views.period_notes([*monthly, weekly], date(2026, 11, 1), last, last)
    assert notes == [views.PeriodNote("month", "running", ["售前标准方案", "售后标准方案"]),
                     views.PeriodNote("week", "partial", ["周冲刺"])]
    running, partial = (note.text(date(2026, 11, 1), last, last, today=date(2026, 11, 24)) for note in notes)
    assert running.startswith("「售前标准方案」、「售后标准方案」按月考核，本月还没结束（数据截至 11-22）")
    stopped = notes[0].text(date(2026, 11, 1), last, last, today=date(2027, 1, 4))  # the data stop, not the month
    assert stopped.startswith("「售前标准方案」、「售后标准方案」按月考核，这个月的数据只到 11-22（之后没有导入数据）")
    assert "data stop at 11-22" in notes[0].text(date(2026, 11, 1), last, last, "en", today=date(2027, 1, 4))
    assert partial.startswith("「周冲刺」按周考核，所选 11-01 ~ 11-22 不是一个整周") and "只作参考" in partial
    assert "not one whole week" in notes[1].text(date(2026, 11, 1), last, last, "en")
    assert views.period_notes(monthly, date(2026, 10, 1), date(2026, 10, 31), last) == []
    versions = [Scheme("售前标准方案", [], period="month", version=v) for v in (1, 2)]  # two shops, two versions
    assert views.period_notes(versions, date(2026, 11, 16), last, last) == [
        views.PeriodNote("month", "partial", ["售前标准方案"])]
