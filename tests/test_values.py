"""Every value format of spec/exports.md, read by csperf.values, with hand-computed results."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from csperf import values as v


def cells(*items, dtype=object) -> pd.Series:
    return pd.Series(list(items), dtype=dtype)


def as_list(series: pd.Series) -> list:
    return [None if (x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NaT) else x
            for x in series.tolist()]


# -- numbers --------------------------------------------------------------------------------

def test_money_and_counts():
    got = v.number(cells("1,234.50", "1，234", "¥1234", "1234元", "￥1,234.5", " 12 ", 7, 2.5, "1e3"))
    assert got.tolist() == [1234.5, 1234.0, 1234.0, 1234.0, 1234.5, 12.0, 7.0, 2.5, 1000.0]


@pytest.mark.parametrize("marker", ["", "-", "--", "null", "NULL", "延迟统计", None, "—", "N/A"])
def test_null_markers_are_null_not_zero(marker):
    assert as_list(v.number(cells(marker, "3"))) == [None, 3.0]


def test_pending_marks_only_delayed_cells():
    found = v.read_number(cells("延迟统计", "-", "5", dtype="str"))
    assert found.pending.tolist() == [True, False, False]
    assert v.pending_mask(cells("延迟统计", "--", 1)).tolist() == [True, False, False]


def test_unreadable_number_names_cells():
    with pytest.raises(v.UnreadableValues) as caught:
        v.number(pd.Series(["1", "abc", "1,23,4"], index=[10, 11, 12]))
    assert caught.value.bad.tolist() == [False, True, True]
    assert caught.value.examples == [(11, "abc"), (12, "1,23,4")]
    assert caught.value.values.tolist()[0] == 1.0


def test_infinite_is_unreadable():
    assert v.read_number(cells("inf", "1")).bad.tolist() == [True, False]
    assert v.read_number(pd.Series([np.inf, 1.0])).bad.tolist() == [True, False]


# -- percentages ----------------------------------------------------------------------------

def test_percent_sign_fraction_and_bare_percent():
    assert v.percent(cells("36.99%", "-", "100%")).round(6).tolist()[::2] == [0.3699, 1.0]
    assert v.percent(pd.Series([0.3699, 1.0])).tolist() == [0.3699, 1.0]
    # a bare 36.99 next to a bare 1: the column is on the percent scale, so 1 means 1%
    assert v.percent(cells("36.99", "1", dtype="str")).round(6).tolist() == [0.3699, 0.01]


def test_one_is_not_guessed_as_a_percent_from_a_header_alone_when_cells_are_fractions():
    # a fraction in the column says the 1 next to it is 100%
    assert v.percent(pd.Series([1.0, 0.98]), header_says_percent=True).tolist() == [1.0, 0.98]
    # only 0s and 1s: the header's (%) decides
    assert v.percent(pd.Series([1.0, 0.0]), header_says_percent=True).tolist() == [0.01, 0.0]


def test_percent_scale_decision_uses_siblings_last():
    undecided = v.PercentEvidence()
    bare_percents = v.percent_evidence(cells("36.99", "50", dtype="str"))
    fractions = v.percent_evidence(pd.Series([0.5, 0.25]))
    assert v.decide_percent_scale(undecided, siblings=[bare_percents]) == "percent"
    assert v.decide_percent_scale(undecided, siblings=[fractions]) == "fraction"
    assert v.decide_percent_scale(undecided) == "fraction"
    assert v.decide_percent_scale(fractions, header_says_percent=True) == "fraction"


def test_bare_text_below_one_is_a_percent_when_the_header_or_the_siblings_say_so():
    text_fractions = v.percent_evidence(cells("0.5", "0.8", dtype="str"))  # a CSV's bare text, not spreadsheet numbers
    bare_percents = v.percent_evidence(cells("36.99", "20", dtype="str"))
    assert v.decide_percent_scale(text_fractions, header_says_percent=True) == "percent"
    assert v.decide_percent_scale(text_fractions, siblings=[bare_percents]) == "percent"
    assert v.decide_percent_scale(text_fractions, siblings=[text_fractions]) == "fraction"
    assert v.decide_percent_scale(text_fractions) == "fraction"
    assert v.percent(cells("0.5", "0.8", dtype="str"), header_says_percent=True).tolist() == [0.005, 0.008]


def test_spreadsheet_ones_heed_only_siblings_that_are_spreadsheet_numbers_too():
    ones = v.percent_evidence(pd.Series([1.0, 1.0, 0.0]))  # percent cells of a team all at 100%
    signed_text = v.percent_evidence(cells("36.99%", "20.00%", dtype="str"))
    numeric_percents = v.percent_evidence(pd.Series([36.99, 20.0]))
    assert v.decide_percent_scale(ones, siblings=[signed_text]) == "fraction"  # 1 = 100%, not 1%
    assert v.decide_percent_scale(ones, siblings=[numeric_percents]) == "percent"  # the file writes 36.99 for 36.99%
    text_ones = v.percent_evidence(cells("1", "1", dtype="str"))  # a CSV's bare text does follow a "%" sibling
    assert v.decide_percent_scale(text_ones, siblings=[signed_text]) == "percent"
    # read as 100% with nothing in the file to show it: the import says so; a numeric sibling shows it
    assert v.percent_scale_unseen(ones, siblings=[signed_text]) and v.percent_scale_unseen(ones)
    assert not v.percent_scale_unseen(ones, siblings=[numeric_percents])
    assert not v.percent_scale_unseen(ones, header_says_percent=True)
    assert not v.percent_scale_unseen(text_ones, siblings=[signed_text])


def test_percent_evidence_finality():
    assert v.percent_evidence(cells("36.99%", "-")).final
    assert not v.percent_evidence(pd.Series([0.5])).final
    assert v.percent_evidence(cells("12", dtype="str")).final  # a CSV's bare 12: percents, whatever follows
    assert not v.percent_evidence(pd.Series([12.0])).final  # spreadsheet numbers: later cells may outnumber it


def test_spreadsheet_fractions_with_a_rate_over_100_percent_stay_fractions():
    # 0.00%-formatted cells: a day's conversion of 120% (more payers than inquiries) is the cell 1.2
    assert v.percent(pd.Series([0.35, 0.40, 1.20])).tolist() == [0.35, 0.40, 1.20]
    assert as_list(v.percent(cells(0.05, 0.10, 1.5, "-"))) == [0.05, 0.10, 1.5, None]  # an xlsx object column
    rates = v.percent_evidence(pd.Series([0.35, 0.40, 1.20]))
    numeric_percents = v.percent_evidence(pd.Series([36.99, 20.0]))
    assert v.decide_percent_scale(rates, header_says_percent=True, siblings=[numeric_percents]) == "fraction"
    # merged over chunks: a first chunk holding only the 1.2 does not settle the column
    first, rest = v.percent_evidence(pd.Series([1.20])), v.percent_evidence(pd.Series([0.35, 0.40]))
    assert first.decided == "percent" and (first | rest).decided == "fraction"
    # a CSV's bare text is no spreadsheet number: its 1.20 says the column writes percents
    assert v.percent(cells("0.35", "1.20", dtype="str")).round(6).tolist() == [0.0035, 0.012]


def test_spreadsheet_numbers_decide_their_scale_by_majority():
    # mostly above 1: the file writes 36.99 for 36.99%, so its 0.5 is 0.5%
    assert v.percent(pd.Series([36.99, 20.0, 0.5])).round(6).tolist() == [0.3699, 0.2, 0.005]
    # as many of each: the header, then spreadsheet-number siblings decide; else a number cell is a fraction
    tie = v.percent_evidence(pd.Series([0.35, 35.0]))
    assert tie.decided is None and v.decide_percent_scale(tie) == "fraction"
    assert v.decide_percent_scale(tie, header_says_percent=True) == "percent"
    assert v.decide_percent_scale(tie, siblings=[v.percent_evidence(pd.Series([36.99, 20.0]))]) == "percent"
    assert v.decide_percent_scale(tie, siblings=[v.percent_evidence(pd.Series([0.98, 0.97]))]) == "fraction"
    assert v.decide_percent_scale(tie, siblings=[v.percent_evidence(cells("36.99", "20", dtype="str"))]) == "fraction"
    assert not v.percent_scale_unseen(tie)  # not a column of 0s and 1s


def test_mixed_numeric_fraction_and_percent_text():
    # a spreadsheet number cell is a fraction even beside a text "100%"
    assert v.percent(cells(0.9, "100%")).tolist() == [0.9, 1.0]
    # bare text beside "36.99%" is on the percent scale its siblings show
    assert v.percent(cells("0.5", "36.99%", dtype="str")).round(6).tolist() == [0.005, 0.3699]


# -- durations ------------------------------------------------------------------------------

def test_durations_in_every_written_form():
    got = v.duration(cells("27.77", "9秒", "8分48秒", "2分30秒", "7小时41分52秒", "01:02:03", "02:30",
                           dt.time(0, 2, 23), dt.timedelta(hours=30), "-", 15, "1.5小时", "3分钟"))
    assert as_list(got) == [27.77, 9.0, 528.0, 150.0, 27712.0, 3723.0, 150.0, 143.0, 108000.0, None, 15.0,
                            5400.0, 180.0]


def test_duration_units_from_the_header():
    assert v.duration(cells("2", 1.5, "30秒"), unit="min").tolist() == [120.0, 90.0, 30.0]
    assert v.duration(pd.Series([7.5]), unit="h").tolist() == [27000.0]


def test_excel_duration_past_a_day():
    # Excel stores 26:00:00 as 1900-01-01 02:00 counted from 1899-12-30
    assert v.duration(cells(dt.datetime(1899, 12, 31, 2, 0))).tolist() == [93600.0]


@pytest.mark.parametrize("junk", ["abc", "5分钟半", "12:75", "1:2:3:4"])
def test_unreadable_durations(junk):
    with pytest.raises(v.UnreadableValues):
        v.duration(cells(junk))


# -- dates ----------------------------------------------------------------------------------

def test_date_forms():
    got = v.dates(cells("2026-10-01", "2026/10/1", "20261001", 20261001, 46296, dt.date(2026, 10, 1),
                        dt.datetime(2026, 10, 1, 5, 30), "2026年10月1日", "2026-10-01 08:00:00", "46296", "-"))
    assert [None if pd.isna(x) else x.date() for x in got] == [dt.date(2026, 10, 1)] * 10 + [None]


def test_day_month_order_from_the_whole_column():
    assert [d.date() for d in v.dates(cells("01-02-2026", "13-02-2026"))] == [dt.date(2026, 2, 1),
                                                                                dt.date(2026, 2, 13)]
    assert [d.date() for d in v.dates(cells("01-02-2026", "02-13-2026"))] == [dt.date(2026, 1, 2),
                                                                                dt.date(2026, 2, 13)]
    with pytest.raises(v.AmbiguousDates, match="ambiguous"):
        v.dates(cells("01-02-2026", "03-04-2026"))
    with pytest.raises(v.AmbiguousDates):
        v.dates(cells("13-02-2026", "02-13-2026"))
    assert v.dates(cells("01-02-2026"), order="mdy")[0].date() == dt.date(2026, 1, 2)


def test_date_order_evidence_merges():
    merged = v.date_order_evidence(cells("01-02-2026")) | v.date_order_evidence(cells("25-12-2026"))
    assert merged.decide() == "dmy"
    assert v.date_order_evidence(cells("2026-01-02")).decide() is None


def test_invalid_calendar_date_is_unreadable():
    with pytest.raises(v.UnreadableValues):
        v.dates(cells("2026-02-30"))


@pytest.mark.parametrize("cells", [["13-01-21", "14-01-21"], ["13-01-21 09:12:58"], ["21/1/13"]])
def test_a_two_digit_year_is_unreadable_never_the_year_13(cells):
    """No form of the catalogue writes the year in two digits; Arrow's quick reading took
    `13-01-21` for 21 January of the year 13."""
    for column in (pd.Series(cells, dtype=object), pd.Series(cells, dtype=pd.StringDtype("pyarrow"))):  # as a CSV reads
        found = v.read_dates(column)
        assert found.bad.all() and found.values.isna().all()


def test_date_ranges_in_a_date_column():
    start, end = v.date_ranges(cells("2026-10-01 ~ 2026-10-07", "2026-10-08", "-", dtype="str"))
    assert [x.date() if pd.notna(x) else None for x in start] == [dt.date(2026, 10, 1), dt.date(2026, 10, 8), None]
    assert [x.date() if pd.notna(x) else None for x in end] == [dt.date(2026, 10, 7), dt.date(2026, 10, 8), None]


@pytest.mark.parametrize("name, expected", [
    ("自定义报表_售前明细_下单优先判定_2026-04-20至2026-04-20.xlsx", (dt.date(2026, 4, 20), dt.date(2026, 4, 20))),
    ("客服绩效_2026-04-20_2026-04-26.csv", (dt.date(2026, 4, 20), dt.date(2026, 4, 26))),
    ("kpi_20260401-20260430.xlsx", (dt.date(2026, 4, 1), dt.date(2026, 4, 30))),
    ("导出_2026-05-05 10_30_22.xlsx", None),
    # a 至 range wins over an export date joined to it by `_`, before or after the range
    ("客服数据_20260401_2026-04-20至2026-04-26.xlsx", (dt.date(2026, 4, 20), dt.date(2026, 4, 26))),
    ("客服数据_20260427_2026-04-20至2026-04-26.xlsx", (dt.date(2026, 4, 20), dt.date(2026, 4, 26))),
    ("客服数据_2026-04-20~2026-04-26_20260427.xlsx", (dt.date(2026, 4, 20), dt.date(2026, 4, 26))),
    ("客服绩效.xlsx", None),
])
def test_period_from_file_name(name, expected):
    assert v.period_from_name(name) == expected


@pytest.mark.parametrize("text, expected", [
    ("统计时间：2026-10-01 ~ 2026-10-31", (dt.date(2026, 10, 1), dt.date(2026, 10, 31))),
    ("2023-05-01 ~ 2023-05-07", (dt.date(2023, 5, 1), dt.date(2023, 5, 7))),
    ("统计日期: 2026/10/5", (dt.date(2026, 10, 5), dt.date(2026, 10, 5))),
    ("客服绩效报表", None),
    ("2026-10-31 ~ 2026-10-01", None),
])
def test_period_from_title_cell(text, expected):
    assert v.period_from_text(text) == expected


# -- times, booleans, ratings, text, accounts -----------------------------------------------

def test_moments_time_of_day_and_full_timestamps():
    day, seconds = v.moments(cells(dt.time(9, 12, 58), "2026-10-01 09:00:00", dt.datetime(2026, 1, 2, 3, 4, 5),
                                   "10:00", "下午2:30", None))
    assert [x.date() if pd.notna(x) else None for x in day] == [None, dt.date(2026, 10, 1), dt.date(2026, 1, 2),
                                                                None, None, None]
    assert as_list(seconds) == [33178.0, 32400.0, 11045.0, 36000.0, 52200.0, None]


def test_moments_stamped_in_utc_or_with_an_offset_read_on_the_shops_clock():
    shanghai = dt.timezone(dt.timedelta(hours=8))
    day, seconds = v.moments(cells("2026-10-01T16:30:00Z", "2026-10-01T09:00:00+08:00", "2026-10-01 10:15:00+0800",
                                   "2026/10/01 10:15 +08:00", "2026-09-30T20:30:00-04:00", "2026-10-01 09:00:00",
                                   dt.datetime(2026, 10, 1, 1, 0, tzinfo=dt.UTC), "2026-10-01",
                                   dt.datetime(2026, 10, 1, 9, 0, tzinfo=shanghai)))
    assert [x.date() for x in day] == [dt.date(2026, 10, 2)] + [dt.date(2026, 10, 1)] * 8
    assert as_list(seconds) == [1800.0, 32400.0, 36900.0, 36900.0, 30600.0, 32400.0, 32400.0, 0.0, 32400.0]
    assert v.dates(cells("2026-10-01T16:30:00Z", "2026-10-02"))[0].date() == dt.date(2026, 10, 2)  # 00:30 there


def test_booleans():
    got = v.booleans(cells("Y", "N", "是", "否", "", None, 1, 0, "已解决", "未解决", True))
    assert [None if x is pd.NA else bool(x) for x in got] == [True, False, True, False, None, None, True, False,
                                                            True, False, True]
    with pytest.raises(v.UnreadableValues):
        v.booleans(cells("maybe"))


def test_ratings_numbers_and_words():
    assert as_list(v.read_ratings(cells("满意", 5, "非常不满意", "-")).values) == [4.0, 5.0, 1.0, None]


def test_text_trims_and_drops_markers():
    assert as_list(v.text(cells("a ", "-", "b", "NULL", dtype="str"))) == ["a", None, "b", None]
    assert as_list(v.text(cells(1001.0, "x", "--"))) == ["1001", "x", None]


def test_account_names():
    shop, account = v.split_accounts(["店铺:小王", "旗舰店：小李", "a:b:客服1", "solo", "cntaobao专卖店:aa"])
    assert as_list(shop) == ["店铺", "旗舰店", "a:b", None, "专卖店"]
    assert as_list(account) == ["小王", "小李", "客服1", "solo", "aa"]
    shop, account = v.split_accounts(["京东自营店-小王"], dash=True)
    assert (shop[0], account[0]) == ("京东自营店", "小王")
    shop, account = v.split_accounts(["京东-自营店-小王", "京东-自营店-", "kefu-01", "店:小李"], dash=True,
                                     given_shop="京东-自营店")
    assert as_list(shop) == ["京东-自营店", None, None, "店"]
    assert as_list(account) == ["小王", "京东-自营店-", "kefu-01", "小李"]
    shop, account = v.split_accounts(["a-b"])
    assert pd.isna(shop[0]) and account[0] == "a-b"


def test_jd_agent_names_with_a_dash_keep_it_when_no_shop_is_given():
    names = ["京东旗舰店-小王", "京东旗舰店-kefu-01", "京东旗舰店 - kefu-02", "-kefu-03", "店:kefu-04"]
    shop, account = v.split_accounts(names, dash=True)
    assert as_list(shop) == ["京东旗舰店", "京东旗舰店", "京东旗舰店", None, "店"]  # no shop 京东旗舰店-kefu
    assert as_list(account) == ["小王", "kefu-01", "kefu-02", "-kefu-03", "kefu-04"]
    # the same accounts as when the shop is given
    assert as_list(v.split_accounts(names[:2], dash=True, given_shop="京东旗舰店")[1]) == ["小王", "kefu-01"]


def test_many_rows_parse_through_distinct_values():
    # 300,000 cells but four distinct values: the Python reader runs four times
    big = pd.Series(["36.99%", "-", "延迟统计", "100%"] * 75_000, dtype="str")
    found = v.read_percent(big)
    assert found.values.iloc[:4].round(6).tolist()[0] == 0.3699
    assert int(found.pending.sum()) == 75_000
    assert int(found.values.isna().sum()) == 150_000
