"""The what-if panel's tables and shareable links: exact round trips, and errors that name the cell."""

from __future__ import annotations

import base64
import re
import zlib

import pandas as pd
import pytest

from csperf.scenario import (
    MAX_TOML_BYTES,
    ScenarioError,
    decode_scenario,
    describe_changes,
    encode_scenario,
    format_amounts,
    from_tables,
    parse_amounts,
    ranking_rows,
    to_tables,
)
from conftest import SPEC_EXAMPLE
from csperf.scheme import SchemeError, load_scheme




@pytest.fixture
def scheme():
    return load_scheme(SPEC_EXAMPLE)


def errors_of(excinfo) -> str:
    return "\n".join(excinfo.value.errors)


# -- scheme ↔ tables ---------------------------------------------------------------------------


def test_tables_show_one_row_per_rule_tier_and_penalty(scheme):
    tables = to_tables(scheme)
    assert tables.kpis["metric"].tolist() == ["conversion_rate", "first_response_s", "aov"]
    assert tables.kpis["weight"].tolist() == [30, 10, 20]
    assert tables.kpis.loc[2, "bands"] == "0:50, 60:80, 70:100"
    assert pd.isna(tables.kpis.loc[1, "cap"]) and tables.kpis.loc[1, "worst"] == 40
    assert tables.bonuses.values.tolist() == [
        ["conversion_rate", 0.6, 1000], ["conversion_rate", 0.7, 2000],
        ["sales", 200000, 500], ["sales", 300000, 1000],
    ]
    assert tables.penalties.values.tolist() == [["bad_reviews", 50]]
    assert tables.coefficients["min_score"].tolist() == [0, 80, 90, 100, 110]
    assert tables.commission["rate"].tolist() == [0.01, 0.015, 0.02]
    assert (tables.performance_pay, tables.rank_awards, tables.floor_at_base) == (2000, [500, 300, 200], True)


def test_unedited_tables_give_back_the_same_scheme(scheme):
    assert from_tables(scheme, to_tables(scheme)) == scheme


def test_a_weight_edit_changes_only_that_weight(scheme):
    tables = to_tables(scheme)
    tables.kpis.loc[0, "weight"] = 90
    changed = from_tables(scheme, tables)
    assert [r.weight for r in changed.kpis] == [90, 10, 20]
    assert changed.kpis[1:] == scheme.kpis[1:]
    assert changed.pay == scheme.pay and changed.levels == scheme.levels
    assert describe_changes(scheme, changed) == ["考核指标 询单转化率 · 权重: 30 → 90"]


def test_rows_added_in_any_order_are_grouped_and_sorted(scheme):
    tables = to_tables(scheme)
    tables.bonuses = pd.concat([tables.bonuses, pd.DataFrame(
        [{"metric": "conversion_rate", "threshold": 0.65, "amount": 1500},
         {"metric": None, "threshold": None, "amount": None}]  # the editor's blank new row
    )], ignore_index=True)
    tables.coefficients = tables.coefficients.iloc[::-1].reset_index(drop=True)
    changed = from_tables(scheme, tables)
    assert changed.bonuses[0].tiers == [(0.6, 1000), (0.65, 1500), (0.7, 2000)]
    assert changed.bonuses[1] == scheme.bonuses[1]
    assert changed.pay.coefficients == scheme.pay.coefficients


def test_deleting_every_penalty_row_removes_penalties(scheme):
    tables = to_tables(scheme)
    tables.penalties = tables.penalties.iloc[0:0]
    assert from_tables(scheme, tables).penalties == []


def test_cells_of_other_methods_are_ignored_when_the_method_changes(scheme):
    tables = to_tables(scheme)
    tables.kpis.loc[0, ["method", "worst", "best"]] = ["linear", 0.1, 0.5]  # cap 1.2 stays in its cell
    rule = from_tables(scheme, tables).kpis[0]
    assert (rule.method, rule.worst, rule.best, rule.cap, rule.min_n) == ("linear", 0.1, 0.5, None, 30)


def test_text_numbers_from_pasted_cells_are_read(scheme):
    tables = to_tables(scheme)
    tables.kpis["weight"] = tables.kpis["weight"].astype(object)
    tables.kpis.loc[0, "weight"] = "1,000"
    tables.kpis.loc[2, "bands"] = "70：100，0:50；60:80"
    changed = from_tables(scheme, tables)
    assert changed.kpis[0].weight == 1000
    assert changed.kpis[2].bands == [(0, 50), (60, 80), (70, 100)]


# -- errors name the table, row and column -------------------------------------------------------


def test_a_word_in_a_number_cell_names_table_row_and_column(scheme):
    tables = to_tables(scheme)
    tables.kpis["weight"] = tables.kpis["weight"].astype(object)
    tables.kpis.loc[1, "weight"] = "十"
    with pytest.raises(SchemeError) as excinfo:
        from_tables(scheme, tables)
    assert excinfo.value.errors == ["考核指标 第2行 (KPI rules row 2) 权重: 应为数字，实为 '十' — must be a number"]


def test_model_errors_are_translated_to_rows(scheme):
    tables = to_tables(scheme)
    tables.kpis.loc[0, "method"] = "linear"  # linear without worst/best
    tables.kpis.loc[2, "metric"] = "happiness"
    tables.coefficients.loc[1, "coefficient"] = -0.8
    with pytest.raises(SchemeError) as excinfo:
        from_tables(scheme, tables)
    text = errors_of(excinfo)
    assert "考核指标 第1行 (KPI rules row 1) 最差值(0分): method = \"linear\" 需要 worst 和 best" in text
    assert "考核指标 第3行 (KPI rules row 3) 指标: 未知指标 'happiness'" in text
    assert "绩效系数 第2行 (score-band coefficients row 2) 系数: 不能为负" in text
    assert "kpi[" not in text and "pay.coefficients[" not in text


def test_duplicate_bonus_thresholds_name_the_rows_of_that_metric(scheme):
    tables = to_tables(scheme)
    tables.bonuses.loc[1, "threshold"] = 0.6
    with pytest.raises(SchemeError) as excinfo:
        from_tables(scheme, tables)
    assert excinfo.value.errors == [
        "奖金档位 第1、2行 (bonus tiers row 1, 2) conversion_rate 达到: "
        "threshold 0.6 出现了两次 — threshold 0.6 appears twice"
    ]


def test_missing_cells_and_zero_total_weight(scheme):
    tables = to_tables(scheme)
    tables.kpis["weight"] = 0.0
    tables.penalties.loc[0, "per_unit"] = None
    tables.bonuses.loc[3, "metric"] = None
    with pytest.raises(SchemeError) as excinfo:
        from_tables(scheme, tables)
    assert excinfo.value.errors == [
        "奖金档位 第4行 (bonus tiers row 4) 指标: 请选择指标 — choose a metric",
        "扣款 第1行 (penalties row 1) 每单位扣款: 必填 — required",
    ]
    tables = to_tables(scheme)
    tables.kpis["weight"] = 0.0
    with pytest.raises(SchemeError) as excinfo:
        from_tables(scheme, tables)
    assert excinfo.value.errors == [
        "考核指标 (KPI rules) 权重: 权重合计须大于 0 (现为 0) — total weight must be greater than 0"
    ]


def test_rank_awards_text():
    assert parse_amounts("500, 300，200、¥100") == [500, 300, 200, 100]
    assert parse_amounts(" ") == []
    assert format_amounts([500, 300, 12.5]) == "500, 300, 12.5"
    with pytest.raises(SchemeError) as excinfo:
        parse_amounts("500, 三百")
    assert excinfo.value.errors == ["名次奖 第2项: “三百”不是金额 — rank award 2 is not a number"]


# -- the shareable link --------------------------------------------------------------------------


def test_link_round_trip_keeps_scheme_and_baseline(scheme):
    tables = to_tables(scheme)
    tables.kpis.loc[0, "weight"] = 90
    changed = from_tables(scheme, tables)
    token = encode_scenario(changed, "售前标准方案", 3)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert len(token) < 1200  # a whole scheme stays short enough for a chat message
    scenario = decode_scenario(token)
    assert scenario.scheme == changed
    assert (scenario.base_name, scenario.base_version) == ("售前标准方案", 3)
    assert decode_scenario(encode_scenario(scheme)).base_name is None


@pytest.mark.parametrize("token", ["not base64 at all!", "eJzLSM3JyVcozy_KSQEAGgQEXQ", "AAAA"])
def test_unreadable_links_say_so(token):
    with pytest.raises(ScenarioError, match="无法读取|格式不受支持"):
        decode_scenario(token)


def test_a_cut_off_link_is_unreadable(scheme):
    token = encode_scenario(scheme, "售前标准方案", 1)
    with pytest.raises(ScenarioError, match="链接可能被截断"):
        decode_scenario(token[: len(token) // 2])


def test_a_link_that_inflates_without_bound_is_refused():
    bomb = zlib.compress(b"#" * (MAX_TOML_BYTES * 4), 9)
    token = base64.urlsafe_b64encode(bomb).decode().rstrip("=")
    with pytest.raises(ScenarioError, match="过大"):
        decode_scenario(token)


def test_an_invalid_scheme_in_a_link_lists_its_fields():
    document = 'format = 1\n[scheme]\nname = "x"\n[[scheme.kpi]]\nmetric = "nope"\nweight = 1\n'
    token = base64.urlsafe_b64encode(zlib.compress(document.encode())).decode().rstrip("=")
    with pytest.raises(SchemeError) as excinfo:
        decode_scenario(token)
    assert excinfo.value.errors == ["kpi[0].metric: 未知指标 'nope' — unknown metric 'nope'"]


# -- the ranking shown --------------------------------------------------------------------------


def test_ranking_rows_show_moves_and_names():
    agents = pd.DataFrame({
        "agent": ["pdd01", "小美", "阿强"],
        "name": ["王芳", "小美", None],
        "rank_move": [2.0, -1.0, float("nan")],
    })
    rows = ranking_rows(agents)
    assert rows["who"].tolist() == ["王芳 (pdd01)", "小美", "阿强"]
    assert rows["move"].tolist() == ["▲2", "▼1", "新"]
    assert ranking_rows(agents, "en")["move"].tolist() == ["▲2", "▼1", "new"]


# -- base salary by level and the team bonus ------------------------------------------------------


@pytest.fixture
def with_levels():
    return load_scheme(SPEC_EXAMPLE + "[levels]\njunior = 1500\nsenior = 3000\n")


def test_levels_and_the_team_bonus_are_tables_too(with_levels):
    tables = to_tables(with_levels)
    assert tables.levels.values.tolist() == [["junior", 1500], ["senior", 3000]]
    assert tables.team_bonus.values.tolist() == [["sales", 1000000, 3000, "score"]]
    assert from_tables(with_levels, tables) == with_levels


def test_a_level_and_the_team_bonus_are_edited_in_their_tables(with_levels):
    tables = to_tables(with_levels)
    tables.levels.loc[1, "base_salary"] = 3200
    tables.levels.loc[2] = ["vip", 3500]
    tables.team_bonus.loc[0, ["target", "split"]] = [800000, "equal"]
    changed = from_tables(with_levels, tables)
    assert changed.levels == {"junior": 1500, "senior": 3200, "vip": 3500}
    assert (changed.pay.team_bonus.target, changed.pay.team_bonus.split) == (800000, "equal")
    assert describe_changes(with_levels, changed) == [
        "薪酬 · 团队奖: {metric=sales, target=1000000, pool=3000, split=score} → "
        "{metric=sales, target=800000, pool=3000, split=equal}",
        "级别底薪 · senior: 3000 → 3200",
        "级别底薪 · vip: — → 3500",
    ]
    tables.team_bonus = tables.team_bonus.iloc[0:0]
    assert from_tables(with_levels, tables).pay.team_bonus is None


def test_level_and_team_bonus_mistakes_name_their_rows(with_levels):
    tables = to_tables(with_levels)
    tables.levels.loc[1, "base_salary"] = -5
    tables.levels.loc[2] = ["JUNIOR", 1800]
    tables.team_bonus.loc[1] = ["receptions", 10, 100, "equal"]
    with pytest.raises(SchemeError) as excinfo:
        from_tables(with_levels, tables)
    assert excinfo.value.errors == [
        "团队奖 第1、2行 (team bonus row 1, 2): 只能有一行 — only one row",
        "级别底薪 第1、3行 (base salary by level row 1, 3) 级别: 级别 JUNIOR 重复（不区分大小写） — "
        "level JUNIOR appears twice (case is ignored)",
    ]
    tables.levels = tables.levels.iloc[:2]
    tables.team_bonus = tables.team_bonus.iloc[:1]
    tables.team_bonus.loc[0, "pool"] = -1
    with pytest.raises(SchemeError) as excinfo:
        from_tables(with_levels, tables)
    assert excinfo.value.errors == [
        "团队奖 第1行 (team bonus row 1) 奖金池: 不能为负，实为 -1 — must not be negative",
        "级别底薪 第2行 (base salary by level row 2) 底薪: 不能为负，实为 -5 — must not be negative",
    ]
