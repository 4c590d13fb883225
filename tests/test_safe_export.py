import csv
import io
import zipfile
from datetime import date, datetime

import numpy as np
import openpyxl
import pandas as pd
import pytest

from csperf.safe_export import defuse_cell, is_risky, to_csv, to_xlsx

ATTACKS = [
    "=HYPERLINK(\"http://evil.example\",\"点我\")",
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
    "＋1",
    "－1",
    "＠SUM(A1)",
    "  =1+1",
]


def _sheet(data: bytes, name: str):
    return openpyxl.load_workbook(io.BytesIO(data))[name]


@pytest.mark.parametrize("text", ATTACKS)
def test_xlsx_writes_formula_like_text_as_a_string(text):
    data = to_xlsx({"客服": pd.DataFrame({"account": [text], "sales": [12.5]})})
    sheet = _sheet(data, "客服")
    cell = sheet.cell(row=2, column=1)
    assert cell.data_type == "s"
    # the xlsx format stores a carriage return as _x000D_; Excel reads it back as CR
    assert cell.value.replace("_x000D_", "\r") == text
    assert cell.quotePrefix


def test_xlsx_contains_no_formula_element_at_all():
    data = to_xlsx({"s": pd.DataFrame({"a": ATTACKS, "b": range(len(ATTACKS))})})
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml


def test_xlsx_header_text_is_never_a_formula():
    data = to_xlsx({"s": pd.DataFrame({"=cmd|' /C calc'!A0": [1]})})
    header = _sheet(data, "s").cell(row=1, column=1)
    assert header.data_type == "s"
    assert header.value == "=cmd|' /C calc'!A0"


def test_xlsx_keeps_numbers_dates_and_blanks_typed():
    frame = pd.DataFrame({
        "account": ["店铺:小王", "店铺:小李"],
        "receptions": [120, 80],
        "rate": [0.375, np.nan],
        "ok": [True, False],
        "day": pd.to_datetime(["2026-10-01", "2026-10-02"]),
        "order_id": [3456789012345678901, 7],
        "note": ["-", None],
    })
    sheet = _sheet(to_xlsx({"data": frame}), "data")
    assert [c.value for c in sheet[1]] == list(frame.columns)
    row = sheet[2]
    assert row[0].value == "店铺:小王"
    assert row[1].data_type == "n" and row[1].value == 120
    assert row[2].data_type == "n" and row[2].value == 0.375
    assert row[3].value is True
    assert row[4].value == datetime(2026, 10, 1)
    assert row[4].number_format == "yyyy-mm-dd"
    # 19 digits cannot survive as an Excel number; kept exactly as text
    assert row[5].data_type == "s" and row[5].value == "3456789012345678901"
    assert row[6].data_type == "s" and row[6].value == "-"
    second = sheet[3]
    assert second[2].value is None
    assert second[5].data_type == "n" and second[5].value == 7
    assert second[6].value is None


def test_xlsx_timestamps_with_time_of_day_and_time_zone():
    stamps = pd.Series(pd.to_datetime(["2026-10-01 09:30:15", "2026-10-02 18:00:00"])).dt.tz_localize(
        "Asia/Shanghai"
    )
    sheet = _sheet(to_xlsx({"audit": pd.DataFrame({"at": stamps, "d": [date(2026, 1, 2), None]})}), "audit")
    assert sheet["A2"].value == datetime(2026, 10, 1, 9, 30, 15)  # local wall time kept
    assert sheet["A2"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert sheet["B2"].value == datetime(2026, 1, 2)


def test_xlsx_sheet_names_are_made_valid_and_unique():
    frames = {
        "a/b:c": pd.DataFrame({"x": [1]}),
        "A/B:C": pd.DataFrame({"x": [2]}),
        "很长的工作表名称" * 5: pd.DataFrame({"x": [3]}),
    }
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(frames)))
    assert book.sheetnames[0] == "a_b_c"
    assert book.sheetnames[1] == "A_B_C (2)"
    assert len(book.sheetnames[2]) == 31
    assert book[book.sheetnames[1]]["A2"].value == 2


def test_xlsx_named_index_becomes_a_column():
    frame = pd.DataFrame({"sales": [10.0, 20.0]}, index=pd.Index(["甲", "乙"], name="客服"))
    sheet = _sheet(to_xlsx({"t": frame}), "t")
    assert [c.value for c in sheet[1]] == ["客服", "sales"]
    assert [c.value for c in sheet[3]] == ["乙", 20]


def _csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))


@pytest.mark.parametrize("text", ATTACKS)
def test_csv_prefixes_formula_like_text(text):
    rows = _csv_rows(to_csv(pd.DataFrame({"account": [text]})))
    assert rows[1] == ["'" + text]


def test_csv_keeps_numbers_and_plain_text():
    frame = pd.DataFrame({
        "客服": ["店铺:小王", "a-b", None],
        "sales": [-12.5, 3.0, np.nan],
        "count": [-3, 4, 5],
        "mixed": ["=1", -7, "x"],
    })
    rows = _csv_rows(to_csv(frame))
    assert rows == [
        ["客服", "sales", "count", "mixed"],
        ["店铺:小王", "-12.5", "-3", "'=1"],
        ["a-b", "3.0", "4", "-7"],
        ["", "", "5", "x"],
    ]


def test_csv_header_is_defused_and_rows_end_in_crlf():
    data = to_csv(pd.DataFrame({"@who": ["x"]}))
    assert data == "\ufeff'@who\r\nx\r\n".encode("utf-8")


def test_csv_does_not_modify_the_callers_frame():
    frame = pd.DataFrame({"a": ["=1"]})
    to_csv(frame)
    assert frame.loc[0, "a"] == "=1"


def test_risk_rule():
    assert is_risky("=1") and is_risky("\u3000＝1") and is_risky("\t")
    assert not is_risky("") and not is_risky("1-2") and not is_risky("小王=1")
    assert defuse_cell("小王") == "小王"
    assert defuse_cell("-") == "'-"


def test_money_is_exported_to_the_cent_and_nothing_else_is_rounded():
    # the leaderboard's export: pay-slip and money-KPI headers as the UI labels them
    frame = pd.DataFrame({"得分": [87.654321], "询单转化率": [0.123456], "销售额": [199999.99999999997],
                          "团队奖": [1315.789473684], "Pay": [16565.789473684], "系数": [0.8]})
    sheet = _sheet(to_xlsx({"排行榜": frame}), "排行榜")
    assert [c.value for c in sheet[2]] == [87.654321, 0.123456, 200000, 1315.79, 16565.79, 0.8]
    assert _csv_rows(to_csv(frame))[1] == ["87.654321", "0.123456", "200000.0", "1315.79", "16565.79", "0.8"]
    assert frame.loc[0, "团队奖"] == 1315.789473684  # the caller's frame is left as it was
    half_cents = pd.DataFrame({"应发": [2500.125, 2.675, -0.125]})  # payroll rounds half a cent up (四舍五入)
    assert [c.value for c in _sheet(to_xlsx({"s": half_cents}), "s")["A"][1:]] == [2500.13, 2.68, -0.13]


def test_xlsx_shows_numbers_in_the_formats_asked_for_and_keeps_their_values():
    frame = pd.DataFrame({"客服": ["小王"], "询单转化率": [0.4579185520361991], "应发": [5123.456], "样本": [539.99977],
                          "object_col": pd.Series([0.25], dtype=object)})
    formats = {"询单转化率": "0.0%", "应发": '"¥"#,##0.00', "样本": "#,##0", "object_col": "0.0%"}
    row = _sheet(to_xlsx({"s": frame}, formats), "s")[2]
    assert [(c.value, c.number_format) for c in row[1:]] == [
        (0.4579185520361991, "0.0%"), (5123.46, '"¥"#,##0.00'), (539.99977, "#,##0"), (0.25, "0.0%")]
    assert row[0].number_format == "General"


def test_lines_above_a_table_say_what_it_holds_and_the_table_stays_filterable():
    frame = pd.DataFrame({"客服": ["=HYPERLINK(1)", "小王"], "得分": [101.5, 99.0]})
    heading = ["=排行榜 · 2026-10-01 ~ 2026-10-31", "筛选：店铺 -旗舰店"]
    sheet = _sheet(to_xlsx({"排行榜": frame}, headings={"排行榜": heading}), "排行榜")
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[:2] == [[heading[0], None], [heading[1], None]] and rows[2] == [None, None]
    assert rows[3:] == [["客服", "得分"], ["=HYPERLINK(1)", 101.5], ["小王", 99.0]]
    assert sheet["A1"].data_type == "s" and sheet["A2"].data_type == "s"  # text, never a formula
    assert sheet["A1"].font.b and sheet["A4"].font.b
    assert sheet.freeze_panes == "A5" and sheet.auto_filter.ref == "A4:B6"
    plain = _sheet(to_xlsx({"s": frame}), "s")  # no heading: the table starts at the top
    assert plain["A1"].value == "客服" and plain.freeze_panes == "A2" and plain.auto_filter.ref == "A1:B3"
