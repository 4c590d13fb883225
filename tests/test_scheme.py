"""The scheme model: the spec's example file, TOML round trips, the shipped presets, and
validation messages that name the offending field."""

from __future__ import annotations

from datetime import date
from importlib import resources

import numpy as np
import pytest

from csperf import scoring
from csperf.metrics import KPI_BY_NAME
from csperf.roster import LEVELS
from conftest import SPEC_EXAMPLE
from csperf.scheme import (
    DEFAULT_CAP,
    Bonus,
    KpiRule,
    Pay,
    Scheme,
    SchemeError,
    TeamBonus,
    assessment_period,
    dump_scheme,
    load_scheme,
    period_fit,
    validate_scheme,
)

# The example scheme file of spec/scoring.md, verbatim.


PRESETS = ("presales.toml", "aftersales.toml", "vip.toml", "commission.toml")


def preset(file_name: str) -> Scheme:
    return load_scheme((resources.files("csperf") / "presets" / file_name).read_text(encoding="utf-8"))


def test_spec_example_parses_to_the_documented_fields():
    scheme = load_scheme(SPEC_EXAMPLE)
    assert (scheme.name, scheme.role, scheme.period, scheme.group_by) == ("售前标准方案", "presales", "month", "team")
    assert scheme.kpis == [
        KpiRule("conversion_rate", 30, "vs_team", cap=1.2, min_n=30),
        KpiRule("first_response_s", 10, "linear", worst=40, best=8),
        KpiRule("aov", 20, "bands", bands=[(0, 50), (60, 80), (70, 100)]),
    ]
    assert scheme.bonuses == [Bonus("conversion_rate", [(0.6, 1000), (0.7, 2000)]),
                              Bonus("sales", [(200000, 500), (300000, 1000)])]
    assert scheme.penalties[0].metric == "bad_reviews" and scheme.penalties[0].per_unit == 50
    assert scheme.pay == Pay(
        performance_pay=2000,
        coefficients=[(0, 0.6), (80, 0.8), (90, 0.9), (100, 1.0), (110, 1.2)],
        commission=[(0, 0.01), (150000, 0.015), (250000, 0.02)],
        commission_times_coefficient=False,
        rank_awards=[500, 300, 200],
        team_bonus=TeamBonus("sales", 1000000, 3000, "score"),
        floor_at_base=True,
    )


@pytest.mark.parametrize("source", ["spec", *PRESETS])
def test_toml_round_trip_is_exact(source):
    scheme = load_scheme(SPEC_EXAMPLE) if source == "spec" else preset(source)
    text = dump_scheme(scheme)
    assert load_scheme(text) == scheme
    assert dump_scheme(load_scheme(text)) == text


def test_dump_keeps_pairs_on_one_line_and_quotes_non_ascii_keys():
    scheme = load_scheme(SPEC_EXAMPLE)
    scheme.levels = {"初级": 1500, "senior": 3000}
    text = dump_scheme(scheme)
    assert "bands = [[0, 50], [60, 80], [70, 100]]\n" in text
    assert 'team_bonus = { metric = "sales", target = 1000000, pool = 3000, split = "score" }\n' in text
    assert '"初级" = 1500\n' in text and "senior = 3000\n" in text
    assert load_scheme(text).levels == {"初级": 1500, "senior": 3000}


def test_load_from_a_file_path(tmp_path):
    path = tmp_path / "my.toml"
    path.write_text(SPEC_EXAMPLE, encoding="utf-8")
    assert load_scheme(path) == load_scheme(SPEC_EXAMPLE)
    assert load_scheme(str(path)) == load_scheme(SPEC_EXAMPLE)


def test_missing_file_and_bad_syntax_are_clear_errors(tmp_path):
    with pytest.raises(SchemeError, match="file not found"):
        load_scheme(tmp_path / "nope.toml")
    with pytest.raises(SchemeError, match="TOML syntax error.*line 2"):
        load_scheme('name = "x"\nweight = = 3\n')


def test_defaults_when_fields_are_left_out():
    scheme = load_scheme('name = "最简"\n[[kpi]]\nmetric = "receptions"\nweight = 1\n')
    assert (scheme.role, scheme.period, scheme.group_by) == ("all", "month", "team")
    rule = scheme.kpis[0]
    assert rule.method == "vs_team" and rule.cap is None and rule.effective_cap == DEFAULT_CAP == 1.2
    assert scheme.pay == Pay()
    assert scheme.bonuses == scheme.penalties == [] and scheme.levels == {}


def test_weights_need_not_add_to_100():
    scheme = load_scheme('name = "x"\n[[kpi]]\nmetric = "aov"\nweight = 3\n[[kpi]]\nmetric = "receptions"\nweight = 0.5\n')
    assert [r.weight for r in scheme.kpis] == [3, 0.5]


BASE = 'name = "x"\n'
ONE_KPI = '[[kpi]]\nmetric = "receptions"\nweight = 10\n'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (BASE + ONE_KPI + '[[kpi]]\nmetric = "aov"\nweight = 1\n[[kpi]]\nmetric = "foo"\nweight = 1\n',
         "kpi[2].metric: 未知指标 'foo' — unknown metric 'foo'"),
        (BASE + '[[kpi]]\nmetric = "aov"\nweight = 0\n[[kpi]]\nmetric = "sales"\nweight = 0\n',
         "kpi[*].weight: 权重合计须大于 0"),
        (BASE + '[[kpi]]\nmetric = "aov"\nweight = -5\n', "kpi[0].weight: 不能为负，实为 -5 — must not be negative"),
        (BASE + '[[kpi]]\nmetric = "aov"\n', "kpi[0].weight: 必填 — required"),
        (BASE, "kpi: 至少需要一个 [[kpi]]"),
        (BASE + '[[kpi]]\nmetric = "aov"\nweight = 1\nmethod = "bands"\nbands = [[60, 80], [60, 100]]\n',
         "kpi[0].bands: threshold 60 出现了两次 — threshold 60 appears twice"),
        (BASE + '[[kpi]]\nmetric = "aov"\nweight = 1\nmethod = "bands"\nbands = []\n',
         "kpi[0].bands: 不能为空 — must not be empty"),
        (BASE + '[[kpi]]\nmetric = "aov"\nweight = 1\nmethod = "bands"\n', "kpi[0].bands: 不能为空"),
        (BASE + '[[kpi]]\nmetric = "aov"\nweight = 1\nmethod = "bands"\nbands = [[1, 2, 3]]\n',
         "kpi[0].bands[0]: 应为 [threshold, points]"),
        (BASE + '[[kpi]]\nmetric = "aov"\nweight = 1\nmethod = "linear"\nworst = 10\n',
         "kpi[0].best: method = \"linear\" 需要 worst 和 best"),
        (BASE + '[[kpi]]\nmetric = "aov"\nweight = 1\nmethod = "linear"\nworst = 10\nbest = 10\n',
         "kpi[0].best: 不能等于 worst (10) — must differ from worst"),
        (BASE + '[[kpi]]\nmetric = "aov"\nweight = 1\nmethod = "target"\n', "kpi[0].target: "),
        (BASE + '[[kpi]]\nmetric = "aov"\nweight = 1\nmethod = "target"\ntarget = 0\n', "kpi[0].target: 须大于 0"),
        (BASE + '[[kpi]]\nmetric = "aov"\nweight = 1\nmethod = "median"\n',
         "kpi[0].method: 未知方法 'median'，可选 vs_team | target | linear | bands"),
        (BASE + '[[kpi]]\nmetric = "aov"\nweight = 1\ncap = 0\n', "kpi[0].cap: 须大于 0"),
        (BASE + '[[kpi]]\nmetric = "aov"\nweight = 1\nworst = 3\n', "kpi[0].worst: 只用于其它计分方法"),
        (BASE + '[[kpi]]\nmetric = "receptions"\nweight = 1\nmin_n = 30\n',
         "kpi[0].min_n: 'receptions' 不是比率指标"),
        (BASE + '[[kpi]]\nmetric = "aov"\nweight = "heavy"\n', "kpi[0].weight: 应为数字，实为 'heavy'"),
        (BASE + '[[kpi]]\nmetric = "aov"\nweight = 1\nwieght = 2\n', "kpi[0].wieght: 未知字段"),
        (BASE + ONE_KPI + '[[kpi]]\nmetric = "receptions"\nweight = 5\n',
         "kpi[1].metric: 指标 'receptions' 已在 kpi[0] 中出现"),
        ('name = "x"\ngroup_by = "desk"\n' + ONE_KPI,
         "group_by: 未知取值 'desk'，可选 team | shift | shop | all — unknown group_by 'desk'"),
        ('name = "x"\nrole = "boss"\n' + ONE_KPI, "role: 未知取值 'boss'"),
        ('name = "x"\nperiod = "year"\n' + ONE_KPI, "period: 未知取值 'year'"),
        ('role = "vip"\n' + ONE_KPI, "name: 必填"),
        ('name = "  "\n' + ONE_KPI, "name: 不能为空"),
        ('name = "x"\ncolour = "red"\n' + ONE_KPI, "colour: 未知字段"),
        (BASE + ONE_KPI + '[[bonus]]\nmetric = "sales"\ntiers = [[300000, 1000], [300000, 500]]\n',
         "bonus[0].tiers: threshold 300000 出现了两次"),
        (BASE + ONE_KPI + '[[bonus]]\nmetric = "salez"\ntiers = [[1, 1]]\n', "bonus[0].metric: 未知指标 'salez'"),
        (BASE + ONE_KPI + '[[bonus]]\nmetric = "sales"\n', "bonus[0].tiers: 不能为空"),
        (BASE + ONE_KPI + '[[penalty]]\nmetric = "errors"\n', "penalty[0].per_unit: 必填"),
        (BASE + ONE_KPI + '[pay]\ncoefficients = [[0, 0.6], [90, 0.9], [90, 0.8]]\n',
         "pay.coefficients: min score 90 出现了两次"),
        (BASE + ONE_KPI + '[pay]\ncommission = [[0, 0.015], [0.0, 0.01]]\n', "pay.commission: sales 0.0 出现了两次"),
        (BASE + ONE_KPI + '[pay]\ncommission = [[0, -0.01]]\n', "pay.commission[0][1]: 不能为负"),
        (BASE + ONE_KPI + '[pay]\nteam_bonus = { metric = "sales", target = 1, pool = 1, split = "rank" }\n',
         "pay.team_bonus.split: 未知分配方式 'rank'，可选 equal | score"),
        (BASE + ONE_KPI + '[pay]\nteam_bonus = { metric = "sales", pool = 1 }\n', "pay.team_bonus.target: 必填"),
        (BASE + ONE_KPI + '[pay]\nfloor_at_base = "yes"\n', "pay.floor_at_base: 应为 true 或 false"),
        (BASE + ONE_KPI + '[pay]\nrank_awards = [500, -1]\n', "pay.rank_awards[1]: 不能为负"),
        (BASE + ONE_KPI + '[levels]\njunior = "cheap"\n', "levels.junior: 应为数字"),
        # a rate typed as a percent, a bonus paid to everyone, a deduction hidden in a bonus, a commission of 100 ×
        (BASE + ONE_KPI + '[[bonus]]\nmetric = "conversion_rate"\ntiers = [[60, 1000]]\n',
         "bonus[0].tiers[0][0]: 比率写成小数：60% 写作 0.6（60 即 6000%）"),
        (BASE + ONE_KPI + '[[bonus]]\nmetric = "conversion_rate"\ntiers = [[-0.5, 1000]]\n',
         "bonus[0].tiers[0][0]: 不能为负"),
        (BASE + ONE_KPI + '[[bonus]]\nmetric = "conversion_rate"\ntiers = [[0.3, -1000]]\n',
         "bonus[0].tiers[0][1]: 不能为负"),
        (BASE + ONE_KPI + '[pay]\ncommission = [[0, 1000]]\n',
         "pay.commission[0][1]: 提成比例写成小数：1% 写作 0.01（1000 即 100000%）"),
        (BASE + '[[kpi]]\nmetric = "resolution_rate"\nweight = 1\nmethod = "target"\ntarget = 90\n',
         "kpi[0].target: 比率写成小数"),
        (BASE + '[[kpi]]\nmetric = "reply_rate"\nweight = 1\nmethod = "linear"\nworst = 90\nbest = 100\n',
         "kpi[0].worst: 比率写成小数"),
        (BASE + '[[kpi]]\nmetric = "satisfaction"\nweight = 1\nmethod = "bands"\nbands = [[0.5, 50], [90, 100]]\n',
         "kpi[0].bands[1][0]: 比率写成小数"),
        (BASE + ONE_KPI + '[pay]\nteam_bonus = { metric = "conversion_rate", target = 60, pool = 3000 }\n',
         "pay.team_bonus.target: 比率写成小数：60% 写作 0.6"),
    ],
)
def test_validation_names_the_field(text, expected):
    with pytest.raises(SchemeError) as caught:
        load_scheme(text)
    assert any(line.startswith(expected) for line in caught.value.errors), caught.value.errors


def test_levels_of_other_kpis_are_not_held_to_fractions():
    scheme = load_scheme(BASE + '[[kpi]]\nmetric = "aov"\nweight = 1\nmethod = "target"\ntarget = 150\n'
                         '[[bonus]]\nmetric = "sales"\ntiers = [[200000, 500]]\n'
                         '[[bonus]]\nmetric = "conversion_rate"\ntiers = [[1, 800]]\n')  # 100% is a fraction too
    assert scheme.kpis[0].target == 150 and scheme.bonuses[1].tiers == [(1, 800)]


def test_every_problem_is_reported_at_once():
    with pytest.raises(SchemeError) as caught:
        load_scheme('name = "x"\ngroup_by = "desk"\n[[kpi]]\nmetric = "foo"\nweight = -1\n')
    fields = [line.split(":")[0] for line in caught.value.errors]
    assert fields == ["group_by", "kpi[0].metric", "kpi[0].weight"]
    assert str(caught.value).startswith("方案有误 (invalid scheme):")


def test_validate_scheme_checks_a_scheme_built_in_code():
    built = Scheme("改过的", [KpiRule("conversion_rate", 30, "bands", bands=[[0.5, 80], [0.5, 100]])])
    with pytest.raises(SchemeError, match=r"kpi\[0\]\.bands: threshold 0.5 出现了两次"):
        validate_scheme(built)
    fixed = validate_scheme(Scheme("改过的", [KpiRule("aov", 1, "bands", bands=[[0, 50], [60, 80]])]))
    assert fixed.kpis[0].bands == [(0, 50), (60, 80)]


@pytest.mark.parametrize(("written", "value"), [('["conversion_rate"]', ["conversion_rate"]),
                                               ('{ name = "conversion_rate" }', {"name": "conversion_rate"}),
                                               ("7", 7)], ids=["list", "table", "number"])
@pytest.mark.parametrize(("where", "path"), [
    ('[[kpi]]\nmetric = {}\nweight = 1\n', "kpi[0].metric"),
    (ONE_KPI + '[[bonus]]\nmetric = {}\ntiers = [[1, 1]]\n', "bonus[0].metric"),
    (ONE_KPI + '[[penalty]]\nmetric = {}\nper_unit = 1\n', "penalty[0].metric"),
    (ONE_KPI + '[pay]\nteam_bonus = {{ metric = {}, target = 1, pool = 1 }}\n', "pay.team_bonus.metric"),
], ids=["kpi", "bonus", "penalty", "team_bonus"])
def test_a_metric_that_is_not_text_is_named_not_a_crash(where, path, written, value):
    """A TOML list or table cannot be looked up as a KPI name (it raised TypeError)."""
    with pytest.raises(SchemeError) as caught:
        load_scheme(BASE + where.format(written))
    assert caught.value.errors == [f"{path}: 应为指标名称（文本），实为 {value!r} — must be a KPI name (text)"]


def test_two_metrics_that_are_not_text_are_not_called_duplicates():
    with pytest.raises(SchemeError) as caught:
        load_scheme(BASE + '[[kpi]]\nmetric = ["aov"]\nweight = 1\n[[kpi]]\nmetric = ["sales"]\nweight = 1\n')
    assert [line.split(":")[0] for line in caught.value.errors] == ["kpi[0].metric", "kpi[1].metric"]


def test_an_integer_too_big_for_a_float_is_named_not_a_crash():
    with pytest.raises(SchemeError) as caught:
        load_scheme(BASE + '[[kpi]]\nmetric = "aov"\nweight = 1' + "0" * 400 + "\n")
    assert caught.value.errors[0].startswith("kpi[0].weight: 应为数字") and "must be a finite number" in caught.value.errors[0]


# -- the presets ------------------------------------------------------------------------------


def _weights(scheme: Scheme) -> dict[str, float]:
    return {rule.metric: rule.weight for rule in scheme.kpis}


@pytest.mark.parametrize("file_name", PRESETS)
def test_presets_use_catalogue_kpis_and_name_their_sources(file_name):
    scheme = preset(file_name)
    metrics = [r.metric for r in scheme.kpis] + [b.metric for b in scheme.bonuses] + [p.metric for p in scheme.penalties]
    assert all(metric in KPI_BY_NAME for metric in metrics)
    assert "spec/scoring.md" in scheme.description and "Source:" in scheme.description
    assert sum(_weights(scheme).values()) == 100
    assert scheme.pay.floor_at_base


def test_presales_preset_follows_the_shops_practice():
    scheme = preset("presales.toml")
    weights = _weights(scheme)
    assert scheme.role == "presales"
    assert sum(weights[m] for m in ("reply_rate", "first_response_s", "satisfaction", "qa_score")) == 35
    assert weights["conversion_rate"] == 30
    assert weights["aov"] + weights["items_per_buyer"] == 20
    assert weights["receptions"] == 10 and weights["refund_rate"] == 5
    methods = {rule.metric: rule.method for rule in scheme.kpis}
    assert {methods[m] for m in ("aov", "items_per_buyer", "receptions", "refund_rate")} == {"vs_team"}
    assert scheme.bonuses == [Bonus("conversion_rate", [(0.6, 1000), (0.7, 2000)]),
                              Bonus("sales", [(200000, 500), (300000, 1000)])]
    assert [p.metric for p in scheme.penalties] == ["bad_reviews"]
    assert min(scheme.levels.values()) == 0 and max(scheme.levels.values()) == 3000


def test_aftersales_preset_follows_the_shops_practice():
    scheme = preset("aftersales.toml")
    weights = _weights(scheme)
    assert scheme.role == "aftersales"
    assert sum(weights[m] for m in ("satisfaction", "reply_rate", "first_response_s", "qa_score")) == 40
    assert weights["satisfaction"] == 10
    assert sum(weights[m] for m in ("resolution_rate", "bad_reviews", "complaints")) == 40
    assert weights["receptions"] + weights["outbound_calls"] == 20
    assert [p.metric for p in scheme.penalties] == ["errors"]


def test_vip_preset_is_stricter_presales_plus_supervisor_scores():
    vip, presales = preset("vip.toml"), preset("presales.toml")
    assert vip.role == "vip"
    assert set(_weights(vip)) == set(_weights(presales)) | {"member_care", "data_completeness"}
    assert sum(_weights(vip).values()) == 100
    banded = {rule.metric: rule for rule in vip.kpis if rule.method == "bands"}
    assert set(banded) == {"reply_rate", "first_response_s", "satisfaction", "conversion_rate"}
    linear = {rule.metric: rule for rule in presales.kpis if rule.method == "linear"}
    for metric in ("reply_rate", "first_response_s", "satisfaction"):  # stricter at every value
        lower = KPI_BY_NAME[metric].lower_is_better
        values = np.linspace(0, 60, 6001) if lower else np.linspace(0.5, 1, 5001)
        vip_points = scoring._rule_score(banded[metric], lower, values, values)
        presales_points = scoring._rule_score(linear[metric], lower, values, values)
        assert (vip_points <= presales_points + 1e-9).all(), metric
    assert {r.metric: r.min_n for r in vip.kpis} == {r.metric: r.min_n for r in presales.kpis} | {
        "member_care": None, "data_completeness": None}


def test_commission_preset_pays_sales_times_rate_times_coefficient():
    scheme = preset("commission.toml")
    assert scheme.pay.commission and scheme.pay.commission_times_coefficient
    assert scheme.pay.performance_pay == 0


def test_tiers_bands_and_coefficients_may_be_written_in_any_order():
    scheme = load_scheme(BASE + '[[kpi]]\nmetric = "aov"\nweight = 1\nmethod = "bands"\nbands = [[70, 100], [0, 50], [60, 80]]\n'
                         '[[bonus]]\nmetric = "sales"\ntiers = [[300000, 1000], [200000, 500]]\n'
                         '[pay]\ncoefficients = [[90, 0.9], [0, 0.6], [80, 0.8]]\n'
                         'commission = [[150000, 0.015], [0, 0.01]]\n')
    assert scheme.kpis[0].bands == [(0, 50), (60, 80), (70, 100)]
    assert scheme.bonuses[0].tiers == [(200000, 500), (300000, 1000)]
    assert scheme.pay.coefficients == [(0, 0.6), (80, 0.8), (90, 0.9)]
    assert scheme.pay.commission == [(0, 0.01), (150000, 0.015)]
    assert load_scheme(dump_scheme(scheme)) == scheme


def test_a_level_named_twice_in_different_case_is_refused():
    with pytest.raises(SchemeError) as caught:
        load_scheme(BASE + ONE_KPI + '[levels]\nvip = 3500\nVIP = 3600\n')
    assert caught.value.errors == ["levels.VIP: 与 vip 重复（级别不区分大小写） — same level as vip (levels ignore case)"]


@pytest.mark.parametrize("file_name", ["presales.toml", "aftersales.toml", "vip.toml", "commission.toml"])
def test_every_preset_level_is_one_the_roster_can_hold(file_name):
    assert set(preset(file_name).levels) <= set(LEVELS)


# -- the assessment period (scheme.period) -----------------------------------------------------


def test_a_schemes_period_is_the_calendar_month_or_the_monday_to_sunday_week():
    assert assessment_period("month", date(2028, 2, 10)) == (date(2028, 2, 1), date(2028, 2, 29))
    assert assessment_period("month", date(2026, 12, 31)) == (date(2026, 12, 1), date(2026, 12, 31))
    assert assessment_period("week", date(2026, 11, 22)) == (date(2026, 11, 16), date(2026, 11, 22))  # a Sunday
    assert assessment_period("week", date(2026, 11, 23)) == (date(2026, 11, 23), date(2026, 11, 29))  # a Monday
    assert assessment_period("custom", date(2026, 11, 23)) is None


@pytest.mark.parametrize(("kind", "start", "end", "fit"), [
    ("month", date(2026, 10, 1), date(2026, 10, 31), "whole"),
    ("month", date(2026, 11, 1), date(2026, 11, 22), "running"),  # the data stops on the 22nd
    ("month", date(2026, 11, 1), date(2026, 11, 20), "partial"),  # stops before the data does
    ("month", date(2026, 10, 24), date(2026, 11, 22), "partial"),  # the last 30 days
    ("month", date(2026, 9, 1), date(2026, 10, 31), "partial"),  # two months
    ("week", date(2026, 11, 9), date(2026, 11, 15), "whole"),
    ("week", date(2026, 11, 16), date(2026, 11, 22), "whole"),
    ("week", date(2026, 11, 1), date(2026, 11, 22), "partial"),
    ("custom", date(2026, 10, 24), date(2026, 11, 3), "whole"),
])
def test_dates_fit_a_schemes_period_whole_running_or_partial(kind, start, end, fit):
    assert period_fit(kind, start, end, date(2026, 11, 22)) == fit
