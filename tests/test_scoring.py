"""The scoring engine against spec/scoring.md, with every expected value worked by hand."""

from __future__ import annotations

import math
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csperf.metrics import MANUAL_SCORES, RATIO_KPIS, SUM_KPIS
from csperf.scheme import load_scheme
from csperf.scoring import KpiTableError, score, tier_index, what_if, wilson_interval


def agents(n: int, **columns) -> pd.DataFrame:
    """n agents of shop S, team T, role presales, unless the columns say otherwise."""
    frame = {"agent": [f"a{i}" for i in range(n)], "shop": ["S"] * n, "team": ["T"] * n, "role": ["presales"] * n}
    frame.update(columns)
    return pd.DataFrame(frame)


def ratio(name: str, num, den) -> dict:
    """The three columns of a ratio KPI as queries.py delivers them."""
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(den > 0, num / den, np.nan)
    return {name: value, f"{name}_num": num, f"{name}_n": den}


def scheme(body: str, head: str = ""):
    return load_scheme(f'name = "测试"\n{head}\n{body}')


def by_agent(result: pd.DataFrame) -> pd.DataFrame:
    return result.set_index("agent").sort_index()


# -- the four methods ----------------------------------------------------------------------------


def test_vs_team_compares_with_the_pooled_group_ratio():
    # pooled conversion = (30 + 20 + 10) / (100 + 50 + 50) = 0.3, not the mean of rates 0.3333
    kpis = agents(3, **ratio("conversion_rate", [30, 20, 10], [100, 50, 50]))
    result = by_agent(score(kpis, scheme('[[kpi]]\nmetric = "conversion_rate"\nweight = 1\ncap = 1.2\n')))
    assert result["conversion_rate_group"].tolist() == pytest.approx([0.3, 0.3, 0.3])
    assert result.loc["a0", "conversion_rate_score"] == pytest.approx(100)  # exactly at the team value
    assert result.loc["a1", "conversion_rate_score"] == pytest.approx(120)  # 0.4/0.3 = 1.333, capped at 1.2
    assert result.loc["a2", "conversion_rate_score"] == pytest.approx(100 * 0.2 / 0.3)


def test_vs_team_lower_is_better_uses_two_minus_the_ratio():
    # first response: a0 100 s / 10 = 10 s, a1 300 / 10 = 30 s; pooled 400 / 20 = 20 s
    kpis = agents(2, **ratio("first_response_s", [100, 300], [10, 10]))
    result = by_agent(score(kpis, scheme('[[kpi]]\nmetric = "first_response_s"\nweight = 1\ncap = 1.6\n')))
    assert result.loc["a0", "first_response_s_score"] == pytest.approx(150)  # 2 - 10/20
    assert result.loc["a1", "first_response_s_score"] == pytest.approx(50)  # 2 - 30/20


def test_vs_team_on_a_sum_compares_with_the_mean_per_agent():
    # receptions 100, 300 and a blank: the group value is the mean of those with data, 200
    kpis = agents(3, receptions=[100, 300, np.nan])
    result = by_agent(score(kpis, scheme('[[kpi]]\nmetric = "receptions"\nweight = 1\ncap = 2\n')))
    assert result["receptions_group"].tolist() == [200, 200, 200]
    assert result.loc["a0", "receptions_score"] == 50
    assert result.loc["a1", "receptions_score"] == 150
    assert math.isnan(result.loc["a2", "receptions_score"]) and result.loc["a2", "skipped"] == "receptions"


def test_vs_team_when_the_group_value_is_zero():
    # nobody has a bad review: an agent at 0 is at the team value (100); higher is better
    # with a zero group value gives the cap; a lower-is-better value above a zero mean gives 0
    kpis = agents(2, bad_reviews=[0, 0], receptions=[0, 5])
    result = by_agent(score(kpis, scheme('[[kpi]]\nmetric = "bad_reviews"\nweight = 1\n')))
    assert result["bad_reviews_score"].tolist() == [100, 100]
    kpis = agents(2, bad_reviews=[0, 3], receptions=[0, 0])
    result = by_agent(score(kpis, scheme('[[kpi]]\nmetric = "bad_reviews"\nweight = 1\n')))
    assert result.loc["a0", "bad_reviews_score"] == 120  # 2 - 0/1.5 = 2, capped at the default 1.2
    assert result.loc["a1", "bad_reviews_score"] == 0  # 2 - 3/1.5 = 0


def test_target_uses_the_fixed_value():
    kpis = agents(2, **ratio("conversion_rate", [20, 30], [100, 100]), **ratio("refund_rate", [400, 800], [10000, 10000]))
    body = ('[[kpi]]\nmetric = "conversion_rate"\nweight = 1\nmethod = "target"\ntarget = 0.25\n'
            '[[kpi]]\nmetric = "refund_rate"\nweight = 1\nmethod = "target"\ntarget = 0.05\ncap = 1.5\n')
    result = by_agent(score(kpis, scheme(body)))
    assert result["conversion_rate_score"].tolist() == pytest.approx([80, 120])  # 0.2/0.25; 0.3/0.25
    assert result["refund_rate_score"].tolist() == pytest.approx([120, 40])  # 2 - 0.04/0.05; 2 - 0.08/0.05


def test_linear_both_directions_and_clipping():
    kpis = agents(4, **ratio("first_response_s", [240, 500, 50, 400], [10, 10, 10, 10]),
                  **ratio("reply_rate", [95, 90, 100, 85], [100, 100, 100, 100]))
    body = ('[[kpi]]\nmetric = "first_response_s"\nweight = 1\nmethod = "linear"\nworst = 40\nbest = 8\n'
            '[[kpi]]\nmetric = "reply_rate"\nweight = 1\nmethod = "linear"\nworst = 0.9\nbest = 1.0\n')
    result = by_agent(score(kpis, scheme(body)))
    assert result["first_response_s_score"].tolist() == [50, 0, 100, 0]  # 24 s, 50 s, 5 s, 40 s
    assert result["reply_rate_score"].tolist() == pytest.approx([50, 0, 100, 0])
    assert not np.signbit(result["first_response_s_score"]).any()  # no "-0.0" on screen


def test_linear_at_forty_seconds_is_zero_and_at_thirty_two_is_a_quarter():
    kpis = agents(2, **ratio("first_response_s", [400, 320], [10, 10]))
    body = '[[kpi]]\nmetric = "first_response_s"\nweight = 1\nmethod = "linear"\nworst = 40\nbest = 8\n'
    result = by_agent(score(kpis, scheme(body)))
    assert result["first_response_s_score"].tolist() == pytest.approx([0, 25])  # (32-40)/(8-40) = 0.25


def test_bands_higher_is_better_take_the_highest_threshold_reached():
    kpis = agents(5, **ratio("aov", [5999, 6000, 7500, -10, 7000], [100, 100, 100, 10, 100]))
    body = '[[kpi]]\nmetric = "aov"\nweight = 1\nmethod = "bands"\nbands = [[0, 50], [60, 80], [70, 100]]\n'
    result = by_agent(score(kpis, scheme(body)))
    assert result.loc[[f"a{i}" for i in range(5)], "aov_score"].tolist() == [50, 80, 100, 0, 100]


def test_bands_lower_is_better_thresholds_are_upper_bounds():
    kpis = agents(5, **ratio("first_response_s", [50, 70, 200, 210, 100], [10, 10, 10, 10, 10]))
    body = ('[[kpi]]\nmetric = "first_response_s"\nweight = 1\nmethod = "bands"\n'
            'bands = [[5, 100], [10, 80], [20, 60]]\n')
    result = by_agent(score(kpis, scheme(body)))
    # 5 s → 100, 7 s → 80, 20 s → 60, 21 s → none reached, 10 s → 80
    assert result.loc[[f"a{i}" for i in range(5)], "first_response_s_score"].tolist() == [100, 80, 60, 0, 80]


# -- skipping and the total -------------------------------------------------------------------------


TWO_KPIS = ('[[kpi]]\nmetric = "conversion_rate"\nweight = 30\nmin_n = 30\n'
            '[[kpi]]\nmetric = "qa_score"\nweight = 10\nmethod = "linear"\nworst = 60\nbest = 100\n')


def test_total_is_the_weighted_mean_over_kpis_not_skipped():
    # a0: conversion 12/40 vs pooled (12+8)/(40+40) = 0.25 → 120 (capped); qa 90 → 75
    # a1: conversion 8/40 → 0.2/0.25 = 80; qa 70 → 25
    kpis = agents(2, **ratio("conversion_rate", [12, 8], [40, 40]), qa_score=[90, 70])
    result = by_agent(score(kpis, scheme(TWO_KPIS)))
    assert result.loc["a0", "score"] == pytest.approx((30 * 120 + 10 * 75) / 40)
    assert result.loc["a1", "score"] == pytest.approx((30 * 80 + 10 * 25) / 40)
    assert result["skipped"].tolist() == ["", ""] and not result["small_sample"].any()


def test_small_sample_skips_the_kpi_and_rescales_the_rest():
    # a1 rests on 20 inquiries < min_n 30: its conversion is skipped, its score is qa alone
    kpis = agents(2, **ratio("conversion_rate", [12, 8], [40, 20]), qa_score=[90, 70])
    result = by_agent(score(kpis, scheme(TWO_KPIS)))
    assert math.isnan(result.loc["a1", "conversion_rate_score"])
    assert result.loc["a1", "score"] == pytest.approx(25)
    assert result.loc["a1", "skipped"] == "conversion_rate"
    assert result.loc["a1", "small_sample"] and not result.loc["a0", "small_sample"]
    assert result.loc["a1", "conversion_rate_n"] == 20
    # the group value still pools both agents: 20/60
    assert result.loc["a0", "conversion_rate_group"] == pytest.approx(20 / 60)


def test_missing_value_and_zero_denominator_skip_without_being_small_samples():
    kpis = agents(2, **ratio("conversion_rate", [12, 0], [40, 0]), qa_score=[np.nan, 80])
    result = by_agent(score(kpis, scheme(TWO_KPIS)))
    assert result.loc["a0", "skipped"] == "qa_score" and result.loc["a0", "score"] == 100
    assert result.loc["a1", "skipped"] == "conversion_rate" and result.loc["a1", "score"] == 50
    assert not result["small_sample"].any()


def test_every_kpi_skipped_gives_no_score_ranked_last_and_marked():
    kpis = agents(3, **ratio("conversion_rate", [12, 0, 9], [40, 0, 30]), qa_score=[80, np.nan, np.nan],
                  receptions=[10, 999, 5])
    body = TWO_KPIS + '[pay]\ncoefficients = [[0, 0.6], [80, 1.0]]\nperformance_pay = 1000\nrank_awards = [500, 300, 200]\n'
    result = score(kpis, scheme(body))
    # a2: conversion 0.3 at the pooled 21/70 → 100, qa skipped → 100; a0: (30·100 + 10·50)/40 = 87.5
    assert result["agent"].tolist() == ["a2", "a0", "a1"]  # the unscored agent is listed last
    assert result["score"].tolist()[:2] == [100, 87.5]
    last = by_agent(result).loc["a1"]
    assert math.isnan(last["score"]) and last["unscored"] and last["rank"] == 3
    assert last["skipped"] == "conversion_rate,qa_score"
    assert last["coefficient"] == 0 and last["rank_award"] == 0 and last["pay"] == 0


def test_zero_denominator_for_the_whole_group_skips_the_kpi():
    kpis = agents(2, **ratio("conversion_rate", [0, 0], [0, 0]), qa_score=[80, 100])
    result = by_agent(score(kpis, scheme(TWO_KPIS)))
    assert result["conversion_rate_group"].isna().all()
    assert result["score"].tolist() == [50, 100]


def test_weights_not_summing_to_100_are_a_weighted_mean():
    kpis = agents(1, qa_score=[90], receptions=[50])
    body = ('[[kpi]]\nmetric = "qa_score"\nweight = 3\nmethod = "linear"\nworst = 60\nbest = 100\n'
            '[[kpi]]\nmetric = "receptions"\nweight = 1\nmethod = "target"\ntarget = 100\n')
    assert score(kpis, scheme(body))["score"].iloc[0] == pytest.approx((3 * 75 + 1 * 50) / 4)


# -- groups and ranks -------------------------------------------------------------------------------


def test_ties_share_the_better_rank_and_are_listed_by_receptions():
    kpis = agents(4, qa_score=[90, 90, 80, 95], receptions=[100, 300, 500, 10])
    body = '[[kpi]]\nmetric = "qa_score"\nweight = 1\nmethod = "linear"\nworst = 60\nbest = 100\n[pay]\nrank_awards = [500, 300, 200]\n'
    result = score(kpis, scheme(body))
    assert result["agent"].tolist() == ["a3", "a1", "a0", "a2"]
    assert result["rank"].tolist() == [1, 2, 2, 4]
    assert result["rank_award"].tolist() == [500, 300, 300, 0]


def test_a_tie_for_first_both_take_the_first_award():
    kpis = agents(3, qa_score=[90, 90, 70], receptions=[1, 2, 3])
    body = '[[kpi]]\nmetric = "qa_score"\nweight = 1\nmethod = "linear"\nworst = 60\nbest = 100\n[pay]\nrank_awards = [500, 300, 200]\n'
    result = by_agent(score(kpis, scheme(body)))
    assert result["rank"].tolist() == [1, 1, 3]
    assert result["rank_award"].tolist() == [500, 500, 200]


def test_a_one_agent_group_is_its_own_team_value():
    kpis = agents(1, **ratio("conversion_rate", [7], [50]), receptions=[40])
    body = '[[kpi]]\nmetric = "conversion_rate"\nweight = 1\n[[kpi]]\nmetric = "receptions"\nweight = 1\n'
    result = score(kpis, scheme(body))
    assert result["score"].tolist() == [100] and result["rank"].tolist() == [1]


GROUPED = {
    "agent": ["a", "b", "c", "d", "e"],
    "shop": ["S", "S", "S", "S", "R"],
    "team": ["T1", "T1", "T2", "T2", "T1"],
    "role": ["presales", "presales", "presales", "aftersales", "presales"],
    "shift": ["早", "晚", "早", "早", "早"],
    **ratio("conversion_rate", [10, 30, 60, 90, 50], [100, 100, 100, 100, 100]),
}


@pytest.mark.parametrize(
    ("group_by", "expected"),
    [
        ("team", {"a": 0.2, "b": 0.2, "c": 0.6, "d": 0.9, "e": 0.5}),
        ("shift", {"a": 0.35, "b": 0.3, "c": 0.35, "d": 0.9, "e": 0.5}),
        ("shop", {"a": 1 / 3, "b": 1 / 3, "c": 1 / 3, "d": 0.9, "e": 0.5}),
        ("all", {"a": 0.48, "b": 0.48, "c": 0.48, "d": 0.48, "e": 0.48}),
    ],
)
def test_comparison_group_follows_group_by(group_by, expected):
    body = '[[kpi]]\nmetric = "conversion_rate"\nweight = 1\n'
    result = by_agent(score(pd.DataFrame(GROUPED), scheme(body, f'group_by = "{group_by}"')))
    assert result["conversion_rate_group"].to_dict() == pytest.approx(expected)


def test_ranks_are_within_the_comparison_group():
    body = '[[kpi]]\nmetric = "conversion_rate"\nweight = 1\ncap = 10\n'
    by_team = by_agent(score(pd.DataFrame(GROUPED), scheme(body)))
    assert by_team["rank"].to_dict() == {"a": 2, "b": 1, "c": 1, "d": 1, "e": 1}
    assert by_team.loc["a", "group"] == "S / T1 / presales"
    everyone = by_agent(score(pd.DataFrame(GROUPED), scheme(body, 'group_by = "all"')))
    assert everyone["rank"].to_dict() == {"a": 5, "b": 4, "c": 2, "d": 1, "e": 3}


def test_a_missing_team_or_role_is_its_own_group():
    kpis = agents(4, team=["T", None, None, "T"], role=["presales", "presales", "presales", None],
                  receptions=[100, 10, 30, 50])
    result = by_agent(score(kpis, scheme('[[kpi]]\nmetric = "receptions"\nweight = 1\ncap = 5\n')))
    assert result["receptions_group"].to_dict() == {"a0": 100, "a1": 20, "a2": 20, "a3": 50}
    assert result.loc["a1", "group"] == "S / — / presales" and result.loc["a3", "group"] == "S / T / —"


# -- pay components ---------------------------------------------------------------------------------


def test_bonus_pays_the_highest_tier_reached_once():
    kpis = agents(5, **ratio("conversion_rate", [59, 60, 65, 70, 0], [100, 100, 100, 100, 0]),
                  sales=[199999.99, 200000, 250000, 300000, np.nan])
    body = ('[[kpi]]\nmetric = "conversion_rate"\nweight = 1\n'
            '[[bonus]]\nmetric = "conversion_rate"\ntiers = [[0.6, 1000], [0.7, 2000]]\n'
            '[[bonus]]\nmetric = "sales"\ntiers = [[200000, 500], [300000, 1000]]\n')
    result = by_agent(score(kpis, scheme(body)))
    assert result["bonus_conversion_rate"].tolist() == [0, 1000, 1000, 2000, 0]
    assert result["bonus_sales"].tolist() == [0, 500, 500, 1000, 0]
    assert result["bonus"].tolist() == [0, 1500, 1500, 3000, 0]


def test_bonus_on_a_lower_is_better_metric_is_reached_at_or_below_the_threshold():
    kpis = agents(4, **ratio("refund_rate", [100, 300, 500, 600], [10000] * 4), receptions=[1] * 4)
    body = ('[[kpi]]\nmetric = "receptions"\nweight = 1\n'
            '[[bonus]]\nmetric = "refund_rate"\ntiers = [[0.02, 1000], [0.05, 500]]\n')
    result = by_agent(score(kpis, scheme(body)))
    assert result["bonus"].tolist() == [1000, 500, 500, 0]  # 1 %, 3 %, 5 %, 6 %


def test_tier_index_names_the_tier_paid_up_to_float_noise():
    """The rule the engine pays by, public so that the pay slip words the same tier."""
    tiers = [(0.02, 1000), (0.05, 500)]
    hair_over, hair_under = 0.05 + 1e-17, 0.3 * (1 / 6)  # 0.05000000000000001 and 0.049999999999999996
    values = np.array([0.01, hair_over, hair_under, 0.06, np.nan])
    assert tier_index(values, tiers, lower_is_better=True).tolist() == [0, 1, 1, -1, -1]
    assert tier_index(values, tiers, lower_is_better=False).tolist() == [-1, 1, 1, 1, -1]


def test_penalty_is_per_unit_times_value_and_nothing_on_a_blank():
    kpis = agents(3, receptions=[1, 1, 1], bad_reviews=[3, 0, np.nan], errors=[1, 2, 0])
    body = ('[[kpi]]\nmetric = "receptions"\nweight = 1\n'
            '[[penalty]]\nmetric = "bad_reviews"\nper_unit = 50\n[[penalty]]\nmetric = "errors"\nper_unit = 20\n')
    result = by_agent(score(kpis, scheme(body)))
    assert result["penalty_bad_reviews"].tolist() == [150, 0, 0]
    assert result["penalty"].tolist() == [170, 40, 0]
    assert result["pay"].tolist() == [-170, -40, 0]  # no base and no floor


def test_coefficient_is_that_of_the_highest_band_reached():
    kpis = agents(5, qa_score=[79.99, 80, 89.99, 100, 60])
    body = ('[[kpi]]\nmetric = "qa_score"\nweight = 1\nmethod = "target"\ntarget = 100\n'
            '[pay]\nperformance_pay = 2000\ncoefficients = [[60, 0.6], [80, 0.8], [90, 0.9], [100, 1.0]]\n')
    result = by_agent(score(kpis, scheme(body)))
    assert result["coefficient"].tolist() == [0.6, 0.8, 0.8, 1.0, 0.6]
    assert result["performance_pay"].tolist() == pytest.approx([1200, 1600, 1600, 2000, 1200])
    below = score(agents(1, qa_score=[50]), scheme(body))
    assert below["coefficient"].tolist() == [0]  # no band reached
    no_bands = score(agents(1, qa_score=[50]), scheme(body.split("coefficients")[0]))
    assert no_bands["coefficient"].tolist() == [1] and no_bands["performance_pay"].tolist() == [2000]


def test_commission_rate_of_the_highest_tier_applies_to_all_sales():
    kpis = agents(4, qa_score=[100, 100, 100, 70], sales=[149999, 150000, 260000, 260000])
    tiers = 'commission = [[0, 0.01], [150000, 0.015], [250000, 0.02]]\n'
    body = ('[[kpi]]\nmetric = "qa_score"\nweight = 1\nmethod = "target"\ntarget = 100\n'
            '[pay]\ncoefficients = [[0, 0.5], [100, 1.0]]\n' + tiers)
    result = by_agent(score(kpis, scheme(body)))
    assert result["commission"].tolist() == pytest.approx([1499.99, 2250, 5200, 5200])
    scaled = by_agent(score(kpis, scheme(body + "commission_times_coefficient = true\n")))
    assert scaled["commission"].tolist() == pytest.approx([1499.99, 2250, 5200, 2600])


def test_team_bonus_split_equally_when_the_group_reaches_the_target():
    kpis = agents(4, team=["A", "A", "B", "B"], receptions=[1, 1, 1, 1], sales=[300000, 250000, 100000, 200000])
    body = ('[[kpi]]\nmetric = "receptions"\nweight = 1\n'
            '[pay]\nteam_bonus = { metric = "sales", target = 500000, pool = 3000, split = "equal" }\n')
    result = by_agent(score(kpis, scheme(body)))
    assert result["team_bonus_value"].tolist() == [550000, 550000, 300000, 300000]  # the group's total
    assert result["team_share"].tolist() == [1500, 1500, 0, 0]


def test_team_bonus_split_by_score_and_on_a_pooled_ratio():
    kpis = agents(3, qa_score=[100, 80, 60], **ratio("conversion_rate", [30, 10, 10], [50, 50, 50]))
    body = ('[[kpi]]\nmetric = "qa_score"\nweight = 1\nmethod = "target"\ntarget = 100\n'
            '[pay]\nteam_bonus = { metric = "conversion_rate", target = 0.3, pool = 2400, split = "score" }\n')
    result = by_agent(score(kpis, scheme(body)))
    assert result["team_bonus_value"].tolist() == pytest.approx([50 / 150] * 3)  # pooled, ≥ 0.3
    assert result["team_share"].tolist() == pytest.approx([1000, 800, 600])  # 2400 × 100/240, 80/240, 60/240
    missed = by_agent(score(kpis, scheme(body.replace("target = 0.3", "target = 0.34"))))
    assert missed["team_share"].tolist() == [0, 0, 0]


FULL = '''
[[kpi]]
metric = "conversion_rate"
weight = 60
[[kpi]]
metric = "receptions"
weight = 40
[[bonus]]
metric = "conversion_rate"
tiers = [[0.6, 1000], [0.7, 2000]]
[[bonus]]
metric = "sales"
tiers = [[200000, 500], [300000, 1000]]
[[penalty]]
metric = "bad_reviews"
per_unit = 50
[pay]
performance_pay = 2000
coefficients = [[0, 0.6], [80, 0.8], [90, 0.9], [100, 1.0], [110, 1.2]]
commission = [[0, 0.01], [150000, 0.015], [250000, 0.02]]
rank_awards = [500, 300, 200]
team_bonus = { metric = "sales", target = 500000, pool = 3000, split = "score" }
'''


def full_team() -> pd.DataFrame:
    return agents(3, **ratio("conversion_rate", [72, 48, 30], [100, 100, 100]), receptions=[300, 200, 100],
                  sales=[320000, 160000, 40000], bad_reviews=[1, 0, 4], base_salary=[3000, 2500, 2000])


def test_pay_adds_every_component():
    # pooled conversion 150/300 = 0.5; mean receptions 200
    # a0: conversion 1.44 → 120, receptions 1.5 → 120: score 120, coefficient 1.2
    # a1: 0.96 → 96, 1.0 → 100: score 97.6, coefficient 0.9
    # a2: 0.6 → 60, 0.5 → 50: score 56, coefficient 0.6
    # team sales 520000 ≥ 500000: 3000 split by score over 273.6 points
    result = by_agent(score(full_team(), scheme(FULL)))
    assert result["score"].tolist() == pytest.approx([120, 97.6, 56])
    assert result["rank"].tolist() == [1, 2, 3]
    assert result["coefficient"].tolist() == [1.2, 0.9, 0.6]
    assert result["performance_pay"].tolist() == pytest.approx([2400, 1800, 1200])
    assert result["bonus"].tolist() == [3000, 0, 0]  # 72 % → 2000; 320000 → 1000
    assert result["commission"].tolist() == pytest.approx([6400, 2400, 400])
    assert result["rank_award"].tolist() == [500, 300, 200]
    assert result["team_share"].tolist() == pytest.approx([25000 / 19, 61000 / 57, 35000 / 57])
    assert result["penalty"].tolist() == [50, 0, 200]
    assert result["base"].tolist() == [3000, 2500, 2000] and set(result["base_source"]) == {"roster"}
    # 3000 + 2400 + 6400 + 3000 + 500 + 1315.79 − 50; 2500 + 1800 + 2400 + 300 + 1070.18; 2000 + 1200 + 400 + 200 + 614.04 − 200
    assert result["pay"].tolist() == pytest.approx([15250 + 25000 / 19, 7000 + 61000 / 57, 3600 + 35000 / 57])


def test_money_is_not_rounded():
    result = score(full_team(), scheme(FULL))
    assert result["team_share"].iloc[0] != round(result["team_share"].iloc[0], 2)


def test_floor_at_base_keeps_pay_at_least_the_base():
    kpis = agents(2, receptions=[10, 10], bad_reviews=[10, 1], base_salary=[2000, 2000])
    body = '[[kpi]]\nmetric = "receptions"\nweight = 1\n[[penalty]]\nmetric = "bad_reviews"\nper_unit = 50\n'
    assert score(kpis, scheme(body))["pay"].tolist() == [1500, 1950]
    floored = score(kpis, scheme(body + "[pay]\nfloor_at_base = true\n"))
    assert floored["pay"].tolist() == [2000, 2000]


def test_base_falls_back_to_the_scheme_level_then_zero_and_is_flagged():
    kpis = agents(3, receptions=[1, 1, 1], level=["senior", "senior", "新人"], base_salary=[2800, np.nan, np.nan])
    body = '[[kpi]]\nmetric = "receptions"\nweight = 1\n[levels]\nsenior = 3000\n'
    result = by_agent(score(kpis, scheme(body)))
    assert result["base"].tolist() == [2800, 3000, 0]
    assert result["base_source"].tolist() == ["roster", "scheme_level", "missing"]
    assert result["pay"].tolist() == [2800, 3000, 0]


def test_wilson_interval_for_conversion():
    lo, hi = wilson_interval(np.array([50, 0, 0]), np.array([100, 10, 0]))
    # 50/100: centre 0.5, half-width 1.96·√(0.0025 + 3.8415/40000)/1.038415 = 0.09617
    assert lo[0] == pytest.approx(0.40383, abs=1e-5) and hi[0] == pytest.approx(0.59617, abs=1e-5)
    # 0/10: [0, z²/n / (1 + z²/n)] = [0, 0.38415/1.38415]
    assert lo[1] == 0 and hi[1] == pytest.approx(0.38415 / 1.38415, abs=1e-5)
    assert np.isnan(lo[2]) and np.isnan(hi[2])
    kpis = agents(1, **ratio("conversion_rate", [50], [100]), receptions=[1])
    result = score(kpis, scheme('[[kpi]]\nmetric = "receptions"\nweight = 1\n'))
    assert result[["conversion_rate_lo", "conversion_rate_hi"]].iloc[0].tolist() == pytest.approx([0.40383, 0.59617], abs=1e-5)


def test_missing_columns_are_named():
    with pytest.raises(KpiTableError, match="conversion_rate_n"):
        score(agents(1, conversion_rate=[0.5], conversion_rate_num=[5]), scheme(TWO_KPIS))


def test_output_lists_the_contract_columns():
    result = score(full_team(), scheme(FULL))
    for column in ("shop", "agent", "team", "role", "score", "rank", "conversion_rate_score", "conversion_rate_n",
                   "receptions_score", "skipped", "small_sample", "coefficient", "bonus", "penalty", "commission",
                   "rank_award", "team_share", "base", "pay", "conversion_rate", "conversion_rate_group",
                   "conversion_rate_lo", "conversion_rate_hi"):
        assert column in result.columns


def test_an_empty_period_scores_to_an_empty_frame():
    empty = full_team().iloc[0:0]
    result = score(empty, scheme(FULL))
    assert result.empty and "pay" in result.columns


@pytest.mark.parametrize("file_name", ["presales.toml", "aftersales.toml", "vip.toml", "commission.toml"])
def test_every_preset_scores_a_full_kpi_table(file_name):
    preset = load_scheme((resources.files("csperf") / "presets" / file_name).read_text(encoding="utf-8"))
    table = {"level": ["junior", "senior"], "base_salary": [np.nan, 2500.0],
             **{m: [85.0, np.nan] for m in MANUAL_SCORES}}
    for kpi in RATIO_KPIS:
        table.update(ratio(kpi.name, [40, 90], [100, 100]))
    for kpi in SUM_KPIS:
        table[kpi.name] = [200000.0, 100000.0] if kpi.name == "sales" else [3.0, 1.0]
    result = by_agent(score(agents(2, role=[preset.role] * 2, **table), preset))
    assert result["score"].notna().all()
    assert (result["pay"] >= result["base"]).all()
    manual = ",".join(rule.metric for rule in preset.kpis if rule.metric in MANUAL_SCORES)
    assert result.loc["a1", "base"] == 2500 and result.loc["a1", "skipped"] == manual


# -- what-if --------------------------------------------------------------------------------------


def test_what_if_reports_moves_and_payroll():
    baseline = scheme(FULL)
    changed = scheme(FULL.replace("weight = 60", "weight = 0").replace("performance_pay = 2000", "performance_pay = 3000"))
    # receptions only: a0 120, a1 100, a2 50 → coefficients 1.2, 1.0, 0.6 → ranks unchanged
    outcome = what_if(full_team(), baseline, changed)
    rows = outcome.agents.set_index("agent")
    assert rows["new_score"].tolist() == pytest.approx([120, 100, 50])
    assert rows["rank_move"].tolist() == [0, 0, 0]
    # performance pay 2400→3600, 1800→3000, 1200→1800; team shares by score 3000·120/270 …
    old_pay = [15250 + 25000 / 19, 7000 + 61000 / 57, 3600 + 35000 / 57]
    new_share = [3000 * 120 / 270, 3000 * 100 / 270, 3000 * 50 / 270]
    new_pay = [3000 + 3600 + 6400 + 3000 + 500 + new_share[0] - 50,
               2500 + 3000 + 2400 + 300 + new_share[1],
               2000 + 1800 + 400 + 200 + new_share[2] - 200]
    assert rows["old_pay"].tolist() == pytest.approx(old_pay)
    assert rows["new_pay"].tolist() == pytest.approx(new_pay)
    assert rows["pay_change"].tolist() == pytest.approx(np.subtract(new_pay, old_pay))
    assert outcome.payroll_old == pytest.approx(sum(old_pay))
    assert outcome.payroll_new == pytest.approx(sum(new_pay))
    assert outcome.payroll_change == pytest.approx(sum(new_pay) - sum(old_pay))


def test_what_if_rank_move_is_positive_when_moving_up():
    kpis = agents(2, qa_score=[90, 70], receptions=[10, 30])
    by_qa = scheme('[[kpi]]\nmetric = "qa_score"\nweight = 1\nmethod = "target"\ntarget = 100\n')
    by_receptions = scheme('[[kpi]]\nmetric = "receptions"\nweight = 1\n')
    rows = what_if(kpis, by_qa, by_receptions).agents.set_index("agent")
    assert rows.loc["a1", ["old_rank", "new_rank", "rank_move"]].tolist() == [2, 1, 1]
    assert rows.loc["a0", ["old_rank", "new_rank", "rank_move"]].tolist() == [1, 2, -1]


def test_what_if_can_change_the_comparison_group_without_the_database():
    kpis = pd.DataFrame(GROUPED)
    body = '[[kpi]]\nmetric = "conversion_rate"\nweight = 1\ncap = 10\n'
    rows = what_if(kpis, scheme(body), scheme(body, 'group_by = "all"')).agents.set_index("agent")
    assert rows["new_rank"].to_dict() == {"a": 5, "b": 4, "c": 2, "d": 1, "e": 3}
    assert rows.loc["a", "new_score"] == pytest.approx(100 * 0.1 / 0.48)


# -- properties -----------------------------------------------------------------------------------

RULES_HIGHER_IS_BETTER = st.sampled_from([
    '[[kpi]]\nmetric = "conversion_rate"\nweight = 3\nmethod = "vs_team"\ncap = 1.5\n',
    '[[kpi]]\nmetric = "conversion_rate"\nweight = 3\nmethod = "target"\ntarget = 0.3\n',
    '[[kpi]]\nmetric = "conversion_rate"\nweight = 3\nmethod = "linear"\nworst = 0.1\nbest = 0.6\n',
    '[[kpi]]\nmetric = "conversion_rate"\nweight = 3\nmethod = "bands"\nbands = [[0.2, 40], [0.4, 70], [0.5, 100]]\n',
])


@settings(max_examples=150, deadline=None)
@given(
    rule=RULES_HIGHER_IS_BETTER,
    inquiries=st.lists(st.integers(1, 400), min_size=1, max_size=6),
    paid_share=st.lists(st.floats(0, 1), min_size=6, max_size=6),
    receptions=st.lists(st.integers(0, 900), min_size=6, max_size=6),
    who=st.integers(0, 5),
    extra_paid=st.integers(1, 100),
    extra_receptions=st.integers(0, 100),
)
def test_raising_a_higher_is_better_kpi_never_lowers_the_score(rule, inquiries, paid_share, receptions, who,
                                                                extra_paid, extra_receptions):
    n = len(inquiries)
    who %= n
    paid = [round(share * den) for share, den in zip(paid_share, inquiries)]
    body = rule + '[[kpi]]\nmetric = "receptions"\nweight = 1\ncap = 2\n'
    before = agents(n, **ratio("conversion_rate", paid, inquiries), receptions=receptions[:n])
    paid_after, receptions_after = list(paid), list(receptions[:n])
    paid_after[who] += extra_paid
    receptions_after[who] += extra_receptions
    after = agents(n, **ratio("conversion_rate", paid_after, inquiries), receptions=receptions_after)
    old = by_agent(score(before, scheme(body))).loc[f"a{who}", "score"]
    new = by_agent(score(after, scheme(body))).loc[f"a{who}", "score"]
    assert new >= old - 1e-9


@settings(max_examples=100, deadline=None)
@given(rate=st.floats(0.01, 5), counts=st.lists(st.integers(1, 1000), min_size=1, max_size=8),
       lower=st.booleans())
def test_an_agent_at_the_team_value_scores_100_under_vs_team(rate, counts, lower):
    metric = "first_response_s" if lower else "conversion_rate"
    kpis = agents(len(counts), **ratio(metric, [rate * c for c in counts], counts))
    result = score(kpis, scheme(f'[[kpi]]\nmetric = "{metric}"\nweight = 1\ncap = 1.2\n'))
    assert result["score"].tolist() == pytest.approx([100] * len(counts), rel=1e-9)


@settings(max_examples=100, deadline=None)
@given(
    bases=st.lists(st.one_of(st.none(), st.floats(0, 8000)), min_size=1, max_size=6),
    bad_reviews=st.lists(st.integers(0, 200), min_size=6, max_size=6),
    qa=st.lists(st.floats(0, 100), min_size=6, max_size=6),
    sales=st.lists(st.floats(0, 500000), min_size=6, max_size=6),
)
def test_pay_never_falls_below_base_with_floor_at_base(bases, bad_reviews, qa, sales):
    n = len(bases)
    kpis = agents(n, base_salary=[np.nan if b is None else b for b in bases], bad_reviews=bad_reviews[:n],
                  qa_score=qa[:n], sales=sales[:n])
    body = ('[[kpi]]\nmetric = "qa_score"\nweight = 1\nmethod = "linear"\nworst = 60\nbest = 100\n'
            '[[penalty]]\nmetric = "bad_reviews"\nper_unit = 80\n'
            '[pay]\nperformance_pay = 1000\ncoefficients = [[0, 0.5], [90, 1.0]]\n'
            'commission = [[0, 0.01]]\nfloor_at_base = true\n')
    result = score(kpis, scheme(body))
    assert (result["pay"] >= result["base"]).all()


# -- float noise, roles, workers, levels -------------------------------------------------------------


def test_a_score_a_hair_under_a_band_edge_by_float_noise_reaches_the_band():
    # reply rate 98/100 between worst 0.9 and best 1.0 is 79.99999999999999, not 80
    kpis = agents(1, **ratio("reply_rate", [98], [100]))
    body = ('[[kpi]]\nmetric = "reply_rate"\nweight = 1\nmethod = "linear"\nworst = 0.9\nbest = 1.0\n'
            '[pay]\nperformance_pay = 1000\ncoefficients = [[0, 0.6], [80, 0.8], [90, 0.9]]\n')
    result = score(kpis, scheme(body)).iloc[0]
    assert result["score"] == pytest.approx(80) and result["score"] != 80  # the score itself is not rounded
    assert result["coefficient"] == 0.8 and result["performance_pay"] == 800


def test_a_band_kpi_a_hair_past_its_threshold_by_float_noise_scores_the_band():
    kpis = agents(1, **ratio("first_response_s", [0.1 + 0.2], [1]))  # 0.30000000000000004 s
    body = '[[kpi]]\nmetric = "first_response_s"\nweight = 1\nmethod = "bands"\nbands = [[0.3, 100], [1, 50]]\n'
    assert score(kpis, scheme(body))["first_response_s_score"].tolist() == [100]  # ≤ 0.3: lower is better


def test_sales_summed_as_double_reach_the_bonus_and_commission_tiers_unrounded():
    sales = 198358.18 + 267.99 + 1373.83  # 199999.99999999997, as a DOUBLE sum of three days
    kpis = agents(1, receptions=[1], sales=[sales])
    body = ('[[kpi]]\nmetric = "receptions"\nweight = 1\n'
            '[[bonus]]\nmetric = "sales"\ntiers = [[200000, 500]]\n'
            '[pay]\ncommission = [[0, 0.01], [200000, 0.02]]\n'
            'team_bonus = { metric = "sales", target = 200000, pool = 300 }\n')
    result = score(kpis, scheme(body)).iloc[0]
    assert result["bonus_sales"] == 500 and result["team_share"] == 300
    assert result["commission"] == sales * 0.02  # the rate of the tier reached, on the sales as stored


def test_a_team_total_a_hair_under_the_target_by_float_noise_reaches_it():
    kpis = agents(3, receptions=[1, 1, 1], sales=[198358.18, 267.99, 1373.83])
    body = ('[[kpi]]\nmetric = "receptions"\nweight = 1\n'
            '[pay]\nteam_bonus = { metric = "sales", target = 200000, pool = 300, split = "equal" }\n')
    result = score(kpis, scheme(body))
    assert result["team_bonus_value"].iloc[0] != 200000  # the pooled total keeps its noise
    assert result["team_share"].tolist() == [100, 100, 100]


def test_equal_totals_reached_by_different_routes_are_a_tie():
    # a0 scores 79.99999999999999 on reply rate, a1 exactly 80 on QA: a tie, listed by receptions
    kpis = agents(3, **ratio("reply_rate", [98, 0, 0], [100, 0, 0]), qa_score=[np.nan, 80, 50],
                  receptions=[500, 100, 300])
    body = ('[[kpi]]\nmetric = "reply_rate"\nweight = 1\nmethod = "linear"\nworst = 0.9\nbest = 1.0\n'
            '[[kpi]]\nmetric = "qa_score"\nweight = 1\nmethod = "linear"\nworst = 0\nbest = 100\n'
            '[pay]\nrank_awards = [500, 300]\n')
    result = score(kpis, scheme(body))
    assert result["agent"].tolist() == ["a0", "a1", "a2"]
    assert result["rank"].tolist() == [1, 1, 3]
    assert result["rank_award"].tolist() == [500, 500, 0]


def test_a_role_scheme_never_scores_another_roles_agents():
    kpis = agents(4, role=["presales", "aftersales", None, "presales"], receptions=[100, 400, 400, 300])
    body = '[[kpi]]\nmetric = "receptions"\nweight = 1\ncap = 5\n'
    presales = score(kpis, scheme(body, 'role = "presales"'))
    assert presales["agent"].tolist() == ["a2", "a3", "a0"]  # the after-sales agent is left out …
    assert presales["receptions_group"].tolist() == pytest.approx([800 / 3] * 3)  # … of the group value too
    # a2 has no role: scored by the pre-sales scheme, it is compared as a pre-sales agent, not alone
    assert presales["group"].tolist() == ["S / T / presales"] * 3
    assert presales["rank"].tolist() == [1, 2, 3]
    assert sorted(score(kpis, scheme(body, 'role = "all"'))["agent"]) == ["a0", "a1", "a2", "a3"]
    moved = what_if(kpis, scheme(body, 'role = "aftersales"'), scheme(body, 'role = "all"'))
    assert sorted(moved.agents["agent"]) == ["a1", "a2"]  # only the agents both schemes score


def test_the_group_value_of_a_count_is_the_mean_per_agent_who_worked():
    # a2 did not work (0 workdays); a3's workdays are unknown, so its rows in the period count
    kpis = agents(4, receptions=[100, 300, 0, 50], workdays=[10, 20, 0, np.nan],
                  **ratio("conversion_rate", [10, 30, 0, 5], [100, 100, 0, 50]))
    body = '[[kpi]]\nmetric = "receptions"\nweight = 1\ncap = 5\n[[kpi]]\nmetric = "conversion_rate"\nweight = 1\n'
    result = by_agent(score(kpis, scheme(body)))
    assert result["receptions_group"].tolist() == [150] * 4  # (100 + 300 + 50) / 3
    assert result["conversion_rate_group"].tolist() == pytest.approx([45 / 250] * 4)  # ratios stay pooled


def test_levels_match_whatever_their_case():
    kpis = agents(2, level=["vip", "VIP"], receptions=[1, 1], base_salary=[np.nan, np.nan])
    result = score(kpis, scheme('[[kpi]]\nmetric = "receptions"\nweight = 1\n[levels]\nVip = 3500\n'))
    assert result["base"].tolist() == [3500, 3500] and set(result["base_source"]) == {"scheme_level"}


def test_the_commission_preset_pays_base_plus_sales_times_rate_times_coefficient_and_nothing_else():
    preset = load_scheme((resources.files("csperf") / "presets" / "commission.toml").read_text(encoding="utf-8"))
    table = {"role": ["presales"] * 2, "level": ["mid", "junior"], "base_salary": [np.nan] * 2,
             **{m: [85.0, 70.0] for m in MANUAL_SCORES}}
    for kpi in RATIO_KPIS:
        table.update(ratio(kpi.name, [40, 30], [100, 100]))
    for kpi in SUM_KPIS:
        table[kpi.name] = [3.0, 5.0]  # bad reviews among them: the plan deducts nothing for them
    table["sales"] = [260000.0, 120000.0]
    result = by_agent(score(agents(2, **table), preset))
    rates = [0.02, 0.01]  # the highest tier reached applies to all sales
    expected = [base + sales * rate * coefficient for base, sales, rate, coefficient in
                zip([1500, 1000], table["sales"], rates, result["coefficient"])]
    assert result["pay"].tolist() == pytest.approx(expected)


def test_the_vip_preset_pays_the_roster_level_vip_its_base():
    preset = load_scheme((resources.files("csperf") / "presets" / "vip.toml").read_text(encoding="utf-8"))
    table = {"role": ["vip"], "level": ["vip"], "base_salary": [np.nan], **{m: [85.0] for m in MANUAL_SCORES}}
    for kpi in RATIO_KPIS:
        table.update(ratio(kpi.name, [40], [100]))
    for kpi in SUM_KPIS:
        table[kpi.name] = [1.0]
    result = score(agents(1, **table), preset).iloc[0]
    assert (result["base"], result["base_source"]) == (3500, "scheme_level")
