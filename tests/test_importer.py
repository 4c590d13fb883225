"""The importer against every export shape and quirk of spec/exports.md.

Fixture files are written here (openpyxl for .xlsx, a minimal BIFF8 writer for .xls,
csv in UTF-8 / UTF-8 with BOM / GBK / GB18030, an HTML table saved as .xls). Expected
figures are worked out by hand from the cells written.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import struct
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from csperf import aliases, importer
from csperf import values as v
from csperf.importer import BadInput, parse_file


# -- writers --------------------------------------------------------------------------------

def write_xlsx(path: Path, sheets: dict[str, list[list]], merges: dict[str, list[str]] | None = None) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    sheet.cell(r, c, value)
        for span in (merges or {}).get(name, []):
            sheet.merge_cells(span)
    book.save(path)
    return path


def write_csv(path: Path, rows: list[list], encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def _record(rid: int, data: bytes = b"") -> bytes:
    return struct.pack("<HH", rid, len(data)) + data


def biff8(sheets: list[tuple[str, list[list]]]) -> bytes:
    """A BIFF8 workbook stream: BOF, BOUNDSHEET per sheet, LABEL/NUMBER cells, EOF."""
    bof = lambda kind: _record(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0, 6))  # noqa: E731
    bodies = []
    for _, rows in sheets:
        body = bof(0x0010) + _record(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, max(map(len, rows)), 0))
        for r, row in enumerate(rows):
            for c, cell in enumerate(row):
                if isinstance(cell, str):
                    body += _record(0x0204, struct.pack("<HHHHB", r, c, 0, len(cell), 1) + cell.encode("utf-16-le"))
                elif cell is not None:
                    body += _record(0x0203, struct.pack("<HHHd", r, c, 0, float(cell)))
        bodies.append(body + _record(0x000A))
    padding = _record(0x0999, b"\0" * 4200)  # above the 4096-byte mini-stream cutoff

    def globals_(offsets):
        out = bof(0x0005) + _record(0x0042, struct.pack("<H", 1200)) + padding
        for (name, _), offset in zip(sheets, offsets):
            out += _record(0x0085, struct.pack("<IBBBB", offset, 0, 0, len(name), 1) + name.encode("utf-16-le"))
        return out + _record(0x000A)

    offsets, position = [], len(globals_([0] * len(sheets)))
    for body in bodies:
        offsets.append(position)
        position += len(body)
    return globals_(offsets) + b"".join(bodies)


def ole2(stream: bytes) -> bytes:
    """A compound file holding one `Workbook` stream (what Excel 97–2003 writes)."""
    sectors = -(-len(stream) // 512)
    fat = [0xFFFFFFFD, 0xFFFFFFFE] + [i + 3 for i in range(sectors - 1)] + [0xFFFFFFFE]
    fat += [0xFFFFFFFF] * (128 - len(fat))
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
              + b"\0" * 6 + struct.pack("<9I", 0, 1, 1, 0, 0x1000, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
              + struct.pack("<I", 0) + struct.pack("<I", 0xFFFFFFFF) * 108)

    def entry(name, kind, child, start, size):
        raw = name.encode("utf-16-le") + b"\0\0" if name else b""
        return (raw.ljust(64, b"\0") + struct.pack("<HBB", len(raw), kind, 1)
                + struct.pack("<III", 0xFFFFFFFF, 0xFFFFFFFF, child) + b"\0" * 36
                + struct.pack("<II", start, size) + b"\0" * 4)

    directory = (entry("Root Entry", 5, 1, 0xFFFFFFFE, 0) + entry("Workbook", 2, 0xFFFFFFFF, 2, len(stream))
                 + entry("", 0, 0xFFFFFFFF, 0, 0) * 2)
    return header + struct.pack("<128I", *fat) + directory + stream.ljust(sectors * 512, b"\0")


def by_account(parsed) -> dict[str, dict]:
    return {row["account"]: row for row in parsed.facts.to_dict("records")}


def nan(value) -> bool:
    return value is None or pd.isna(value)


# -- Taobao 赤兔 ------------------------------------------------------------------------------

CHITU_HEADER = ["客服", "接待人数", "询单人数", "询单->最终付款人数", "询单->最终付款成功率", "客件数", "客单价",
                "销售额", "客服回复率", "平均响应时间", "首次响应时间", "平均接待时长", "退款率", "邮费总额", "神秘列"]


def chitu_rows():
    return [
        ["赤兔 售前明细"], [],
        CHITU_HEADER,
        ["旗舰店:小美", 100, 40, 10, 0.25, 1.5, 200, 2000, 0.98, 30, 12.5, "8分48秒", "5%", 10, "x"],
        ["旗舰店:阿强", 50, 20, "延迟统计", "延迟统计", "延迟统计", "延迟统计", "延迟统计", 1, 20, 9, "2分30秒",
         "延迟统计", 0, "y"],
        ["汇总", 150, 60, 10, 0.1667, 1.5, 200, 2000, 0.99, 25, 10.8, "5分0秒", "5%", 10, ""],
        ["均值", 75, 30, 5, 0.1667, 1.5, 200, 1000, 0.99, 25, 10.8, "5分0秒", "5%", 5, ""],
    ]


def test_chitu_detail_with_period_in_file_name(tmp_path):
    path = write_xlsx(tmp_path / "自定义报表_售前明细_下单优先判定_2026-04-20至2026-04-20.xlsx",
                      {"Sheet1": chitu_rows()}, {"Sheet1": ["A1:F1"]})
    parsed = parse_file(path)
    assert parsed.format == "taobao_chitu"
    assert (parsed.period_from, parsed.period_to) == (dt.date(2026, 4, 20), dt.date(2026, 4, 20))
    assert parsed.shop == "旗舰店" and not parsed.shop_defaulted
    assert parsed.unknown_columns == ["神秘列"]
    assert parsed.rows == 2 and parsed.provisional_rows == 1
    rows = by_account(parsed)
    assert set(rows) == {"小美", "阿强"}  # 汇总 and 均值 are not agents
    mei = rows["小美"]
    assert (mei["shop"], mei["date_from"], mei["date_to"]) == ("旗舰店", dt.date(2026, 4, 20), dt.date(2026, 4, 20))
    assert mei["receptions"] == 100 and mei["inquiries"] == 40 and mei["paid_buyers"] == 10
    assert mei["sales"] == 2000 and mei["sales_buyers"] == 10  # 2000 ÷ 客单价 200
    assert mei["items"] == 15  # 客件数 1.5 × 10 buyers
    assert mei["replied"] == pytest.approx(98)  # 0.98 × 100
    assert mei["response_sum_s"] == 3000 and mei["response_n"] == 100
    assert mei["first_response_sum_s"] == 1250 and mei["first_response_n"] == 100
    assert mei["reception_sum_s"] == 52800  # 8分48秒 = 528 s × 100
    assert mei["refund_amount"] == pytest.approx(100)  # 5% of 2000
    assert mei["workdays"] == 1 and not mei["provisional"]
    qiang = rows["阿强"]
    assert qiang["provisional"]
    for unsettled in ("paid_buyers", "sales", "sales_buyers", "items", "refund_amount"):
        assert nan(qiang[unsettled]), unsettled  # 延迟统计 is NULL, never 0
    assert qiang["replied"] == 50  # 1 next to 0.98 in the column is 100%
    assert qiang["reception_sum_s"] == 7500


def test_chitu_custom_report_counts_win_over_rates(tmp_path):
    path = write_csv(tmp_path / "custom.csv", [
        ["客服昵称", "聊天人数(原咨询人数)", "接待人数", "未回复人数", "回复率", "首次响应(秒)", "平均响应(秒)",
         "平均接待时长", "客服消息数", "买家消息数", "答问比", "最大同时聊天数"],
        ["店:a", 12, 10, 1, "1.0", "27.77", 35, "8分48秒", 50, 40, 1.25, 3],
        ["店:b", 5, 4, "", "1.0", "9", 20, "2分30秒", "", 20, 1.5, 2],
    ])
    parsed = parse_file(path, date_from="2026-10-01", date_to="2026-10-31")
    assert parsed.unknown_columns == []  # 最大同时聊天数 is known, deliberately not stored
    rows = by_account(parsed)
    a, b = rows["a"], rows["b"]
    assert (a["date_from"], a["date_to"]) == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert a["consults"] == 12 and a["replied"] == 9  # receptions − 未回复人数, not 1.0 × 10
    assert a["first_response_sum_s"] == pytest.approx(277.7) and a["response_sum_s"] == 350
    assert a["reception_sum_s"] == 5280 and a["agent_messages"] == 50 and a["buyer_messages"] == 40
    assert nan(a["workdays"])  # a month, no 上班天数: unknown
    assert b["replied"] == 4  # no 未回复人数: the rate 1.0 × 4
    assert b["agent_messages"] == 30  # 答问比 1.5 × 20 buyer messages


def test_chitu_satisfaction_variant(tmp_path):
    path = write_xlsx(tmp_path / "满意度_2026-10-01_2026-10-31.xlsx", {"满意度": [
        ["客服昵称", "接待人数", "平均响应(秒)", "回复率", "询单->最终付款转化率", "上班天数", "服务满意度评价参与率",
         "客户满意率", "服务满意度评价很满意", "服务满意度评价满意", "服务满意度评价一般", "服务满意度评价不满",
         "服务满意度评价很不满"],
        ["店:a", 200, 20, 0.99, 0.3, 22, 0.1, 0.8, 10, 6, 2, 1, 1],
    ]})
    parsed = parse_file(path)
    a = by_account(parsed)["a"]
    assert a["ratings"] == 20 and a["satisfied"] == 16  # counts: 10+6+2+1+1 and 10+6
    assert a["ratings_very_satisfied"] == 10 and a["ratings_very_dissatisfied"] == 1
    assert a["workdays"] == 22 and a["replied"] == pytest.approx(198) and a["response_sum_s"] == 4000
    assert "paid_buyers" not in parsed.facts  # a conversion rate without 询单人数 cannot be rebuilt
    assert any("询单->最终付款转化率" in note for note in parsed.notes)


def test_chitu_after_sales_variant(tmp_path):
    path = write_xlsx(tmp_path / "售后_2026-10-01至2026-10-31.xlsx", {"Sheet1": [
        ["旺旺", "回复率", "平均响应(秒)", "售后一次解决率", "转入人数", "直接接待人数", "客户满意率",
         "服务满意度评分", "接待售后人数", "服务满意度评价参与率", "上班天数"],
        ["店:s1", 1, 15, 0.8, 5, 45, 0.9, 4.5, 50, 0.2, 20],
    ]})
    s1 = by_account(parse_file(path))["s1"]
    assert s1["cases"] == 50 and s1["resolved"] == pytest.approx(40)
    assert s1["receptions"] == 50 and s1["replied"] == 50 and s1["response_sum_s"] == 750
    assert s1["ratings"] == pytest.approx(10)  # 参与率 0.2 × 50
    assert s1["satisfied"] == pytest.approx(9) and s1["csat_sum"] == pytest.approx(45)
    assert s1["workdays"] == 20


# -- Taobao 生意参谋 --------------------------------------------------------------------------

def test_sycm_shop_level_header_on_row_five(tmp_path):
    path = write_xlsx(tmp_path / "客服数据.xlsx", {"Sheet1": [
        ["生意参谋 客服数据"], ["统计时间：2026-10-01 ~ 2026-10-02"], [], [],
        ["日期", "咨询人数", "接待人数", "未回复人数", "有效接待人数", "平均响应时长", "3分钟人工响应率", "首次响应时长",
         "慢响应人数", "长接待人数"],
        ["2026/10/1", 120, 100, 2, 90, 25, "95.00%", 10, 3, 1],
        [dt.date(2026, 10, 2), 80, 60, 0, 50, 30, "90%", 12, 1, 0],
        ["汇总", 200, 160, 2, 140, 27, "93%", 11, 4, 1],
        ["全店", 900, 700, 9, 600, 20, "96%", 9, 9, 2],
        ["同行", 500, 400, 9, 300, 40, "80%", 20, 9, 2],
    ]})
    parsed = parse_file(path, shop="旗舰店")
    assert parsed.format == "taobao_sycm"
    facts = parsed.facts.set_index("date_from")
    assert list(facts.index) == [dt.date(2026, 10, 1), dt.date(2026, 10, 2)]
    assert set(facts["account"]) == {importer.SHOP_LEVEL_ACCOUNT} and set(facts["shop"]) == {"旗舰店"}
    first = facts.loc[dt.date(2026, 10, 1)]
    assert first["receptions"] == 100 and first["replied"] == 98 and first["reply_3min"] == pytest.approx(95)
    assert first["valid_receptions"] == 90 and first["response_sum_s"] == 2500
    assert first["first_response_sum_s"] == 1000 and first["slow_responses"] == 3 and first["workdays"] == 1
    assert facts.loc[dt.date(2026, 10, 2), "reply_3min"] == pytest.approx(54)
    assert any(importer.SHOP_LEVEL_ACCOUNT in note for note in parsed.notes)


def test_two_row_header_with_merged_group(tmp_path):
    path = write_xlsx(tmp_path / "评价.xlsx", {"Sheet1": [
        ["服务评价报表"],
        ["日期", "客服", "服务满意度评价", None, None, None, None, "客户满意率"],
        [None, None, "很满意", "满意", "一般", "不满", "很不满", None],
        [dt.date(2026, 10, 1), "店:小美", 5, 3, 1, 1, 0, 0.8],
    ]}, {"Sheet1": ["C2:G2", "A2:A3", "B2:B3", "H2:H3"]})
    row = by_account(parse_file(path))["小美"]
    assert row["ratings"] == 10 and row["satisfied"] == 8 and row["ratings_neutral"] == 1
    assert row["date_from"] == dt.date(2026, 10, 1)


def test_two_row_header_in_csv_without_merges(tmp_path):
    path = write_csv(tmp_path / "评价.csv", [
        ["日期", "客服", "服务满意度评价", "", "", "", ""],
        ["", "", "很满意", "满意", "一般", "不满", "很不满"],
        ["2026-10-01", "店:小美", 5, 3, 1, 1, 0],
    ])
    row = by_account(parse_file(path))["小美"]
    assert row["ratings"] == 10 and row["ratings_dissatisfied"] == 1


# -- Pinduoduo --------------------------------------------------------------------------------

PDD_HEADER = ["序号", "客服账号", "客服服务分", "咨询人数", "询单人数", "最终成团人数", "询单转化率", "客服销售额",
              "去退销售额", "需要人工回复的咨询人数", "人工接待人数", "3分钟未回复人数", "3分钟人工回复率(8-23点)",
              "30秒应答率", "平均人工响应时长", "评分≤3订单数", "纠纷退款数", "投诉数"]


def pdd_rows():
    return [
        ["拼多多客服绩效"], ["2023-05-01 ~ 2023-05-07"],
        PDD_HEADER,
        [1, "拼多多店:pdd01", 4.8, 500, 438, 162, "36.99%", "12,345.60", 12000, 480, 470, 3, "99.36%", "90%",
         "9秒", 1, 0, 0],
        [2, "拼多多店:pdd02", 4.5, 300, 200, 50, "25%", "5,000", 4800, 290, 280, "-", "--", "85%", "1分5秒", "-",
         0, 1],
        ["总计", "", "", 800, 638, 212, "33.23%", "17,345.60", 16800, 770, 750, 3, "", "", "", 1, 0, 1],
        ["平均", "", "", 400, 319, 106, "33.23%", "8672.8", 8400, 385, 375, "1.5", "", "", "", 0.5, 0, 0.5],
    ]


def test_pinduoduo_check_row_and_window_suffix(tmp_path):
    parsed = parse_file(write_csv(tmp_path / "拼多多客服绩效.csv", pdd_rows(), "gbk"))
    assert parsed.format == "pdd"
    assert (parsed.period_from, parsed.period_to) == (dt.date(2023, 5, 1), dt.date(2023, 5, 7))
    rows = by_account(parsed)
    assert set(rows) == {"pdd01", "pdd02"}
    one = rows["pdd01"]
    assert (one["inquiries"], one["paid_buyers"]) == (438, 162)
    assert one["paid_buyers"] / one["inquiries"] == pytest.approx(0.3699, abs=5e-5)
    assert one["sales"] == pytest.approx(12345.6) and one["receptions"] == 470 and one["consults"] == 500
    assert one["reply_3min"] == pytest.approx(0.9936 * 470) and one["answer_30s"] == pytest.approx(423)
    assert one["response_sum_s"] == 4230 and one["bad_reviews"] == 1
    two = rows["pdd02"]
    assert two["response_sum_s"] == 65 * 280
    assert nan(two["reply_3min"]) and nan(two["bad_reviews"]) and two["complaints"] == 1


def test_pinduoduo_conversion_rate_only(tmp_path):
    path = write_csv(tmp_path / "pdd_2023-05-01_2023-05-01.csv", [
        ["客服账号", "询单人数", "询单转化率"], ["pdd01", 438, "36.99%"]])
    one = by_account(parse_file(path, shop="拼多多店"))["pdd01"]
    assert one["paid_buyers"] == pytest.approx(0.3699 * 438)  # rate × 询单人数
    assert one["shop"] == "拼多多店"


# -- JD ---------------------------------------------------------------------------------------

def test_jd_overall_sheet_data_from_row_four(tmp_path):
    path = write_xlsx(tmp_path / "jd_2026-10-01_2026-10-07.xlsx", {"整体数据": [
        ["咚咚接待数据"], ["说明：数据次日更新"],
        ["客服", "接待量", "平均响应时长（新）", "30s应答率", "客服3分钟人工回复率", "售前接待人数", "促成下单人数",
         "促成下单商品金额", "好评量", "评价量"],
        ["京东旗舰店-小王", 80, 20, "95%", "98%", 40, 12, "3,600.00", 9, 10],
    ]})
    parsed = parse_file(path)
    assert parsed.format == "jd"
    wang = by_account(parsed)["小王"]
    assert wang["shop"] == "京东旗舰店"
    assert wang["receptions"] == 80 and wang["response_sum_s"] == 1600
    assert wang["answer_30s"] == pytest.approx(76) and wang["reply_3min"] == pytest.approx(78.4)
    assert wang["inquiries"] == 40 and wang["paid_buyers"] == 12 and wang["sales"] == 3600
    assert wang["good_reviews"] == 9 and wang["ratings"] == 10
    given = by_account(parse_file(path, shop="我的京东"))  # another shop's name stays whole
    assert list(given) == ["京东旗舰店-小王"] and given["京东旗舰店-小王"]["shop"] == "我的京东"
    same = by_account(parse_file(path, shop="京东旗舰店"))  # the given shop's own prefix is cut as without it
    assert list(same) == ["小王"] and same["小王"]["shop"] == "京东旗舰店"


def test_jd_description_rows_under_the_header(tmp_path):
    path = write_xlsx(tmp_path / "jd_2026-10-01_2026-10-01.xlsx", {"整体数据": [
        ["客服", "接待量", "30s应答率"],
        ["客服账号", "接待的顾客数", "30秒内应答的比例"],
        ["", "人", "百分比"],
        ["京东店-小王", 80, "95%"],
    ]})
    wang = by_account(parse_file(path))["小王"]
    assert wang["receptions"] == 80 and wang["answer_30s"] == pytest.approx(76)


def test_one_skill_group_column_does_not_make_a_file_cut_accounts_at_a_dash(tmp_path):
    path = write_csv(tmp_path / "skill_2026-10-01至2026-10-01.csv", [
        ["客服", "技能组", "接待人数", "询单人数"], ["tb_kefu-01", "售前", 10, 5], ["小王-售前", "售前", 20, 5]])
    facts = parse_file(path).facts
    assert sorted(facts["account"]) == ["tb_kefu-01", "小王-售前"] and set(facts["shop"]) == {importer.DEFAULT_SHOP}


def test_jd_staff_daily_report_adds_up_skill_groups(tmp_path):
    path = write_xlsx(tmp_path / "staff.xlsx", {"Sheet1": [
        ["日期", "UID", "技能组", "非常满意", "满意", "不满意", "非常不满意", "客服总消息数", "客户总消息数"],
        ["2026-10-01", "jd_wang", "售前", 4, 2, 1, 0, 100, 80],
        ["2026-10-01", "jd_wang", "售后", 1, 1, 0, 1, 20, 30],
        ["2026-10-02", "jd_wang", "售前", 2, 0, 0, 0, 10, 10],
    ]})
    parsed = parse_file(path, shop="京东店")
    facts = parsed.facts.set_index("date_from")
    first = facts.loc[dt.date(2026, 10, 1)]
    assert first["ratings"] == 10 and first["satisfied"] == 8  # 5+3+1+1; 5+3
    assert first["agent_messages"] == 120 and first["buyer_messages"] == 110
    assert facts.loc[dt.date(2026, 10, 2), "ratings"] == 2


def test_a_percent_cell_of_one_is_100_percent_beside_a_rate_written_as_text(tmp_path):
    path = write_xlsx(tmp_path / "rates_2026-10-01至2026-10-01.xlsx", {"S": [
        ["客服", "接待人数", "询单人数", "询单转化率", "回复率"],
        ["甲", 100, 438, "36.99%", 1],
        ["乙", 50, 100, "20.00%", 1],
    ]})
    facts = by_account(parse_file(path))
    assert facts["甲"]["replied"] == 100 and facts["乙"]["replied"] == 50
    assert facts["甲"]["paid_buyers"] == pytest.approx(162.0162)


def test_ones_beside_a_rate_column_of_fractions_follow_it_without_a_note(db, tmp_path):
    header = ["客服", "接待人数", "询单人数", "询单转化率", "回复率"]
    alone = write_csv(tmp_path / "alone_2026-10-01至2026-10-01.csv", [header[:4], ["甲", 100, 10, "1"]])
    paired = write_csv(tmp_path / "paired_2026-10-01至2026-10-01.csv", [header, ["甲", 100, 10, "1", "0.98"]])
    first, second = importer.import_files(db, [alone, paired], shop="店")
    assert any("只有 0 和 1" in note for note in first.notes)
    assert not any("只有 0 和 1" in note for note in second.notes)


@pytest.mark.parametrize("sheets", [1, 2])
def test_skill_group_rows_add_up_across_the_chunks_a_big_sheet_is_read_in(db, tmp_path, monkeypatch, sheets):
    monkeypatch.setattr(importer, "CHUNK_ROWS", 3)  # 4 agents' 售前 rows, then their 售后 rows: other chunks
    rows = [["客服", "技能组", "接待人数", "询单人数"]]
    rows += [[f"kf{i}", "售前", 10, 5] for i in range(4)] + [[f"kf{i}", "售后", 1, 1] for i in range(4)]
    book = {"Sheet1": rows}
    if sheets == 2:  # a second sheet of the same agents: it fills in its own column
        book["Sheet2"] = [["客服", "销售额"]] + [[f"kf{i}", 100] for i in range(4)]
    path = write_xlsx(tmp_path / "staff_2026-10-01至2026-10-31.xlsx", book)
    [result] = importer.import_files(db, [path], shop="京东店")
    assert result.error is None
    stored = db.query("SELECT account, receptions, inquiries FROM facts WHERE current ORDER BY account")
    assert stored["receptions"].tolist() == [11] * 4 and stored["inquiries"].tolist() == [6] * 4


def test_an_agent_day_unsettled_in_two_chunks_is_one_provisional_row(db, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "CHUNK_ROWS", 2)  # 甲's two 延迟统计 rows fall in two chunks
    path = write_csv(tmp_path / "skill.csv", [
        ["日期", "客服账号", "技能组", "接待人数", "询单转化率"],
        ["2026-03-02", "甲", "售前", 10, "延迟统计"],
        ["2026-03-02", "乙", "售前", 10, "50%"],
        ["2026-03-02", "甲", "大促", 100, "延迟统计"],
    ])
    result = importer.import_file(db, path, shop="S")
    stored = db.rows("SELECT count(*) FILTER (WHERE provisional) FROM facts WHERE current")[0][0]
    assert (result.provisional_rows, stored) == (1, 1)
    assert "1 行含“延迟统计”" in result.summary()


def test_a_rate_unsettled_on_one_skill_group_row_leaves_that_ratio_out_of_the_day(db, tmp_path, monkeypatch):
    """10 inquiries at 90% and 100 at 延迟统计 are no 9 paid of 110 (8.2%): the day's paid
    buyers are unsettled. A `-` over 0 inquiries or 0 sales is no gap."""
    monkeypatch.setattr(importer, "CHUNK_ROWS", 2)  # 甲's rows in two chunks: added up in the database
    path = write_csv(tmp_path / "skill.csv", [
        ["日期", "客服账号", "技能组", "接待人数", "询单人数", "询单转化率", "销售额", "客单价", "退款率", "满意率", "评价量"],
        ["2026-03-02", "甲", "售前", 10, 10, "90%", 900, 100, "10%", "100%", 4],
        ["2026-03-02", "甲", "大促", 100, 100, "延迟统计", 2000, "延迟统计", "延迟统计", "-", 50],
        ["2026-03-02", "甲", "售后", 5, 0, "-", 0, "-", "-", "-", 0],
        ["2026-03-02", "乙", "售前", 10, 10, "50%", 500, 100, "10%", "75%", 4],
        ["2026-03-02", "乙", "售后", 5, 0, "-", 0, "-", "-", "-", 0],
    ])
    assert importer.import_file(db, path, shop="S").ok
    columns = ["account", "receptions", "inquiries", "paid_buyers", "sales", "sales_buyers", "refund_amount",
               "ratings", "satisfied", "workdays", "provisional"]
    stored = db.query(f"SELECT {', '.join(columns)} FROM facts WHERE current ORDER BY account")
    second, first = stored.to_dict("records")  # 乙, 甲
    assert (first["receptions"], first["inquiries"], first["sales"], first["ratings"]) == (115, 110, 2900, 54)
    assert all(nan(first[m]) for m in ("paid_buyers", "sales_buyers", "refund_amount", "satisfied"))
    assert (second["paid_buyers"], second["inquiries"], second["sales_buyers"], second["refund_amount"],
            second["satisfied"], second["ratings"]) == (5, 10, 5, 50, 3, 4)
    parsed = parse_file(path, shop="S").facts.sort_values("account", ignore_index=True)  # added up by pandas
    pd.testing.assert_frame_equal(parsed[columns], stored[columns], check_dtype=False)


def test_an_agent_day_on_two_skill_group_rows_is_one_workday(db, tmp_path):
    path = write_csv(tmp_path / "skill.csv", [
        ["日期", "客服", "技能组", "接待人数", "询单人数"],
        ["2026-10-01", "店:小王", "售前", 30, 10], ["2026-10-01", "店:小王", "售后", 20, 0],
        ["2026-10-02", "店:小王", "售前", 40, 12]])
    assert importer.import_file(db, path).ok
    assert db.rows("SELECT receptions, workdays FROM facts WHERE current ORDER BY date_from") == [(50, 1), (40, 1)]
    assert parse_file(path).facts["workdays"].tolist() == [1, 1]


def test_days_worked_in_a_period_on_two_skill_group_rows_do_not_add_up(db, tmp_path):
    """One person's 20 days in 售前 and 18 in 售后 of one month are not 38 days worked (the
    most any row gives, 20, is the figure that can be true)."""
    path = write_csv(tmp_path / "满意度_2026-04-01至2026-04-30.csv", [
        ["客服昵称", "技能组", "接待人数", "上班天数"], ["店:小王", "售前", 400, 20], ["店:小王", "售后", 100, 18]])
    assert importer.import_file(db, path).ok
    assert db.rows("SELECT receptions, workdays FROM facts WHERE current") == [(500, 20)]
    assert parse_file(path).facts["workdays"].tolist() == [20]


def test_a_month_without_receptions_is_a_month_not_worked(db, tmp_path):
    """Without 上班天数 a month's days worked are unknown, unless it had no receptions at all:
    then it had none (metrics.md: days with receptions > 0), and the team's per-agent mean
    leaves that agent out."""
    path = write_csv(tmp_path / "绩效_2026-10-01至2026-10-31.csv", [
        ["客服", "接待人数", "询单人数"], ["店:甲", 300, 100], ["店:乙", 100, 40], ["店:丙", 0, 0]])
    assert importer.import_file(db, path).ok
    assert db.rows("SELECT account, workdays FROM facts ORDER BY account") == [("丙", 0), ("乙", None), ("甲", None)]
    assert parse_file(path).facts["workdays"].isna().tolist() == [True, True, False]


@pytest.mark.parametrize("order", [("sales", "buyers"), ("buyers", "sales")])
def test_a_report_without_sales_buyers_keeps_those_another_report_of_the_day_gave(db, tmp_path, order):
    """销售人数 falls back to the paid buyers only where no report of the day gives it: a later
    conversion report (paid buyers, no sales) neither replaces the 40 buyers the sales report
    gave nor leaves its ¥250,000 unpaired, whichever came first."""
    files = {
        "sales": write_csv(tmp_path / "销售_2026-10-01至2026-10-01.csv",
                           [["客服", "销售额", "销售人数"], ["店:甲", 250000, 40]]),
        "buyers": write_csv(tmp_path / "询单_2026-10-01至2026-10-01.csv",
                            [["客服", "接待人数", "询单人数", "询单->最终付款人数"], ["店:甲", 300, 100, 50]]),
    }
    for name in order:
        result = importer.import_file(db, files[name])
        assert result.ok and not [n for n in result.notes if "不配套" in n], result.notes
    assert db.rows("SELECT sales, sales_buyers, paid_buyers FROM facts WHERE current") == [(250000, 40, 50)]


def test_paid_buyers_stand_in_for_sales_buyers_no_report_gives(db, tmp_path):
    path = write_csv(tmp_path / "拼多多_2026-10-01至2026-10-01.csv",
                     [["客服账号", "询单人数", "最终成团人数", "客服销售额"], ["店:甲", 100, 20, 3000]])
    assert importer.import_file(db, path).ok
    assert db.rows("SELECT sales, sales_buyers FROM facts") == [(3000, 20)]
    inquiries = write_csv(tmp_path / "询单_2026-10-02至2026-10-02.csv",
                          [["客服", "询单人数", "询单->最终付款人数"], ["店:甲", 80, 16]])
    assert importer.import_file(db, inquiries).ok  # no sales: nothing rests on its buyers
    assert db.rows("SELECT sales_buyers FROM facts WHERE date_from = DATE '2026-10-02'") == [(16,)]


# -- Douyin -----------------------------------------------------------------------------------

def test_douyin_shop_column_durations_and_summary_rows(tmp_path):
    header = ["店铺名称", "客服昵称", "账号名称", "人工已接待人数", "人工已接待会话量", "不满意率", "3分钟人工回复率",
              "首次响应时长（秒）", "平均响应时长（秒）", "满意率", "客服销售额（元）", "询单人数", "下单人数", "支付人数",
              "询单转化率", "PC在线时长（时）"]
    path = write_csv(tmp_path / "飞鸽_2026-10-01至2026-10-01.csv", [
        header,
        ["抖店A", "小红", "dy_hong", 100, 120, "2%", "98%", "11秒", "2分30秒", "90%", "¥5,000.00", 50, 20, 18,
         "36%", 7.5],
        ["抖店A", "小蓝", "dy_lan", 60, 70, "-", "-", "-", "7小时41分52秒", "-", "-", 30, "-", 9, "30%", "-"],
        ["汇总", "", "", 160, 190, "", "", "", "", "", "5000", 80, 20, 27, "", ""],
        ["抖店A", "店铺汇总值", "-", 160, 190, "", "", "", "", "", "5000", 80, 20, 27, "", ""],
        ["抖店A", "店铺平均值", "-", 80, 95, "", "", "", "", "", "2500", 40, 10, 13.5, "", ""],
    ], "utf-8-sig")
    parsed = parse_file(path)
    assert parsed.format == "douyin"
    rows = by_account(parsed)
    assert set(rows) == {"dy_hong", "dy_lan"} and parsed.skipped == []  # 店铺汇总值 sits in 客服昵称
    hong = rows["dy_hong"]
    assert hong["shop"] == "抖店A" and hong["receptions"] == 100 and hong["reply_3min"] == pytest.approx(98)
    assert hong["first_response_sum_s"] == 1100 and hong["response_sum_s"] == 15000
    assert hong["sales"] == 5000 and hong["ordered_buyers"] == 20 and hong["paid_buyers"] == 18
    assert hong["online_s"] == 27000 and hong["workdays"] == 1
    lan = rows["dy_lan"]
    assert lan["response_sum_s"] == 27712 * 60 and nan(lan["online_s"]) and nan(lan["first_response_sum_s"])
    assert nan(lan["first_response_n"])  # a NULL average is out of both numerator and denominator
    assert any("满意率" in note for note in parsed.notes)  # no 评价量 / 有效接待人数 to rest it on


# -- containers, encodings, layout quirks -----------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_read_alike(tmp_path, encoding):
    parsed = parse_file(write_csv(tmp_path / "pdd.csv", pdd_rows(), encoding))
    assert by_account(parsed)["pdd02"]["consults"] == 300 and parsed.shop == "拼多多店"


def test_tab_separated_text(tmp_path):
    path = tmp_path / "kpi.txt"
    path.write_text("客服\t接待人数\t询单人数\n店:a\t1,234\t5\n", encoding="utf-8")
    assert by_account(parse_file(path, date_from="2026-10-01"))["a"]["receptions"] == 1234


def test_type_is_detected_by_content_not_name(tmp_path):
    fake_csv = write_xlsx(tmp_path / "report.csv", {"S": [["客服", "接待人数"], ["店:a", 3]]})
    assert by_account(parse_file(fake_csv, date_from="2026-10-01"))["a"]["receptions"] == 3
    fake_xlsx = write_csv(tmp_path / "report.xlsx", [["客服", "接待人数"], ["店:a", 4]])
    assert by_account(parse_file(fake_xlsx, date_from="2026-10-01"))["a"]["receptions"] == 4


def test_legacy_xls_in_a_compound_file(tmp_path):
    rows = [["客服绩效"], [], ["客服", "接待人数", "回复率"], ["店:小王", 10, 0.9], ["店:小李", 20, "100%"]]
    path = tmp_path / "kpi_2026-10-01_2026-10-01.xls"
    path.write_bytes(ole2(biff8([("整体数据", rows), ("说明", [["本表说明"]])])))
    parsed = parse_file(path)
    rows_ = by_account(parsed)
    assert rows_["小王"]["replied"] == pytest.approx(9) and rows_["小李"]["replied"] == 20
    assert any("说明" in note for note in parsed.notes)


def test_legacy_xls_raw_biff_stream_via_xlrd(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(biff8([("S1", [["客服", "接待人数"], ["店:小王", 7]])]))
    assert by_account(parse_file(path, date_from="2026-10-01"))["小王"]["receptions"] == 7


@pytest.mark.parametrize(("days", "seconds"), [(25 / 24, 90000), (1.0, 86400), ((8 * 60 + 48) / 86400, 528)])
def test_a_legacy_xls_duration_cell_reads_as_calamine_reads_it(days, seconds):
    """xlrd counts a date cell under 60 days from 1899-12-31; a `[h]:mm:ss` duration of 25 h
    read as 49 h, and exactly 24 h as a date nobody could read."""
    import xlrd

    cell = importer._xlrd_cell(xlrd.sheet.Cell(xlrd.XL_CELL_DATE, days), 0)
    assert v.read_duration(pd.Series([cell], dtype=object)).values.tolist() == [seconds]


def test_a_workbook_calamine_panics_on_is_one_bad_file_among_good_ones(db, tmp_path, monkeypatch):
    """calamine panics (a BaseException) on some broken compound files: that file is reported
    like any other unreadable one and the folder's other files are imported."""
    class PanicException(BaseException):  # pyo3's, which cannot be imported by name
        pass

    def panic(path):
        raise PanicException("index out of bounds: the len is 0 but the index is 2")

    monkeypatch.setattr(importer.CalamineWorkbook, "from_path", panic)
    (tmp_path / "a_bad.xls").write_bytes(ole2(b"\x00" * 64))
    write_csv(tmp_path / "b_good_2026-10-01至2026-10-01.csv", [["客服", "接待人数"], ["店:小王", 7]])
    results = importer.import_files(db, sorted(tmp_path.iterdir()))
    assert [bool(getattr(r, "error", None)) for r in results] == [True, False]
    assert "无法打开" in results[0].error
    assert db.rows("SELECT receptions FROM facts") == [(7,)]


def test_html_table_saved_as_xls(tmp_path):
    path = tmp_path / "export_2026-10-01_2026-10-01.xls"
    path.write_text(
        "<html><body><table><tr><th colspan='2'>客服报表</th></tr>"
        "<tr><th>客服</th><th>接待人数</th><th>询单人数</th></tr>"
        "<tr><td>店:小王</td><td>1,200</td><td>30</td></tr></table></body></html>", encoding="gbk")
    row = by_account(parse_file(path))["小王"]
    assert row["receptions"] == 1200 and row["inquiries"] == 30


def test_xml_spreadsheet_2003_saved_as_xls(tmp_path):
    """Excel 2003's XML (some systems still export it as .xls): a merged title, typed cells
    (a percent cell holds its fraction), ss:Index gaps and rich text."""
    def cell(value, kind="String", extra=""):
        return f'<Cell{extra}><Data ss:Type="{kind}">{value}</Data></Cell>'

    rows = [
        cell("客服日报", extra=' ss:MergeAcross="3"'),
        cell("日期") + cell("客服") + cell("询单人数") + cell("询单转化率"),
        cell("2026-10-01T00:00:00.000", "DateTime") + cell("店:小王") + cell("120", "Number") + cell("0.35", "Number"),
        # 询单转化率 left out (ss:Index jumps over it), and the account in rich text
        cell("2026-10-02T00:00:00.000", "DateTime") + '<Cell><ss:Data ss:Type="String" '
        'xmlns="http://www.w3.org/TR/REC-html40"><B>店:</B>小王</ss:Data></Cell>' + cell("80", "Number"),
    ]
    path = tmp_path / "日报.xls"
    path.write_text('<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
                    '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
                    'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="日报"><Table>'
                    + "".join(f'<Row ss:Index="{i * 2 + 1}">{r}</Row>' for i, r in enumerate(rows))
                    + "</Table></Worksheet></Workbook>", encoding="utf-8")
    parsed = parse_file(path)
    facts = parsed.facts.set_index("date_from")
    assert facts["account"].tolist() == ["小王", "小王"] and facts["inquiries"].tolist() == [120, 80]
    assert facts.loc[dt.date(2026, 10, 1), "paid_buyers"] == pytest.approx(42)  # the 0.35 cell is 35%
    assert nan(facts.loc[dt.date(2026, 10, 2), "paid_buyers"])


def test_a_broken_xml_spreadsheet_is_named(tmp_path):
    path = tmp_path / "坏.xls"
    path.write_text('<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet>',
                    encoding="utf-8")
    with pytest.raises(BadInput, match="Excel 2003 XML 表格无法解析"):
        parse_file(path, date_from="2026-10-01")


def test_repeated_header_block_mid_sheet_is_skipped(tmp_path):
    header = ["客服", "接待人数"]
    path = write_xlsx(tmp_path / "r_2026-10-01_2026-10-01.xlsx", {"S": [
        header, ["店:a", 1], ["店:b", 2], [], header, ["店:c", 3]]})
    parsed = parse_file(path)
    assert sorted(parsed.facts["account"]) == ["a", "b", "c"] and parsed.skipped == []


def test_progress_reaches_the_total_for_a_workbook(tmp_path):
    path = write_xlsx(tmp_path / "p_2026-10-01_2026-10-01.xlsx", {"S": [["标题"], ["客服", "接待人数"], ["店:a", 1],
                                                                       ["店:b", 2], ["汇总", 3]]})
    calls = []
    parse_file(path, progress=lambda done, total, message: calls.append((done, total)))
    assert calls[-1] == (3, 3)


def test_several_sheets_complement_each_other(tmp_path):
    path = write_xlsx(tmp_path / "全部_2026-10-01_2026-10-31.xlsx", {
        "售前": [["客服", "接待人数", "询单人数"], ["店:a", 100, 40], ["店:b", 50, 10]],
        "满意度": [["客服", "评价量", "满意人数"], ["店:a", 10, 9]],
        "说明": [["数据来源: 赤兔"]],
    })
    parsed = parse_file(path)
    rows = by_account(parsed)
    assert len(parsed.facts) == 2
    assert rows["a"]["receptions"] == 100 and rows["a"]["ratings"] == 10 and rows["a"]["satisfied"] == 9
    assert rows["b"]["inquiries"] == 10 and nan(rows["b"]["ratings"])


def test_a_ratio_never_takes_its_two_sides_from_sheets_on_two_bases(tmp_path):
    """a: 9 paid of 10 (早班), then 100 inquiries at 延迟统计 (更新): 9 of 100 would mix two
    bases, so the stale 9 is left out. b: the same 10 inquiries in both: 9 of 10 stands.
    c: paid buyers only in 付款, inquiries only in 更新: sheets that complement each other."""
    path = write_xlsx(tmp_path / "询单_2026-03-02至2026-03-02.xlsx", {
        "早班": [["客服", "询单人数", "询单转化率"], ["店:a", 10, "90%"], ["店:b", 10, "90%"]],
        "更新": [["客服", "询单人数", "询单转化率"], ["店:a", 100, "延迟统计"], ["店:b", 10, "延迟统计"],
                 ["店:c", 100, "延迟统计"]],
        "付款": [["客服", "询单->最终付款人数"], ["店:c", 9]],
    })
    parsed = parse_file(path)
    rows = by_account(parsed)
    assert rows["a"]["inquiries"] == 100 and nan(rows["a"]["paid_buyers"])
    assert (rows["b"]["paid_buyers"], rows["b"]["inquiries"]) == (9, 10)
    assert (rows["c"]["paid_buyers"], rows["c"]["inquiries"]) == (9, 100)
    stale = ("工作表“早班”的“最终付款人数”与后面工作表替换的“询单人数”不配套，已留空（1 行） — Paid buyers of sheet 早班 "
             "rests on the Inquiries a later sheet replaced: left empty (rows: 1)")
    assert [n for n in parsed.notes if "不配套" in n] == [stale]


def test_a_later_sheet_replacing_a_figure_says_so_once_per_measure(db, tmp_path):
    path = write_xlsx(tmp_path / "客服_2026-10-01至2026-10-01.xlsx", {
        "售前": [["客服", "接待人数", "询单人数"], ["店:a", 30, 10], ["店:b", 40, 12], ["店:c", 5, 1]],
        "售后": [["客服", "接待人数"], ["店:a", 20], ["店:b", 25], ["店:c", 5]],
    })
    result = importer.import_file(db, path)
    assert db.rows("SELECT account, receptions, inquiries FROM facts WHERE current ORDER BY account") == [
        ("a", 20, 10), ("b", 25, 12), ("c", 5, 1)]
    note = ("工作表“售前”的“接待人数”被后面的工作表替换（2 行） — Receptions of sheet 售前 replaced by a later "
            "sheet's (rows: 2)")
    assert result.notes == [note]
    assert db.scalar("SELECT notes FROM imports") == note


def test_sheets_named_for_their_day_keep_their_own_day(tmp_path):
    path = write_xlsx(tmp_path / "客服_2026-10-01至2026-10-02.xlsx", {
        "2026-10-01": [["客服", "接待人数"], ["店:a", 10]],
        "20261002": [["客服", "接待人数"], ["店:a", 20]],
    })
    facts = parse_file(path).facts
    assert list(zip(facts["date_from"], facts["date_to"], facts["receptions"])) == [
        (dt.date(2026, 10, 1), dt.date(2026, 10, 1), 10), (dt.date(2026, 10, 2), dt.date(2026, 10, 2), 20)]
    assert v.period_from_sheet_name("Sheet1") is None and v.period_from_sheet_name("10-01 至 10-02") is None


def test_date_column_in_every_written_form(tmp_path):
    path = write_xlsx(tmp_path / "days.xlsx", {"S": [
        ["日期", "客服", "接待人数"],
        ["2026-10-01", "店:a", 1], ["2026/10/2", "店:a", 2], [20261003, "店:a", 3], [46299, "店:a", 4],
        [dt.date(2026, 10, 5), "店:a", 5], ["2026年10月6日", "店:a", 6],
    ]})
    facts = parse_file(path).facts
    assert dict(zip(facts["date_from"], facts["receptions"])) == {
        dt.date(2026, 10, d): float(d) for d in range(1, 7)}


def test_ambiguous_dates_ask_for_the_order(tmp_path):
    path = write_csv(tmp_path / "d.csv", [["日期", "客服", "接待人数"], ["01-02-2026", "店:a", 1],
                                          ["03-04-2026", "店:a", 2]])
    with pytest.raises(BadInput, match="date_order"):
        parse_file(path)
    facts = parse_file(path, mapping={"date_order": "dmy"}).facts
    assert list(facts["date_from"]) == [dt.date(2026, 2, 1), dt.date(2026, 4, 3)]


def test_day_first_decided_from_the_whole_column(tmp_path):
    path = write_csv(tmp_path / "d.csv", [["日期", "客服", "接待人数"], ["01-02-2026", "店:a", 1],
                                          ["25-02-2026", "店:a", 2]])
    assert list(parse_file(path).facts["date_from"]) == [dt.date(2026, 2, 1), dt.date(2026, 2, 25)]


def test_business_date_fallbacks(tmp_path):
    path = write_csv(tmp_path / "nodate.csv", [["客服", "接待人数"], ["店:a", 5]])
    with pytest.raises(BadInput, match="--from"):
        parse_file(path)
    one_day = parse_file(path, date_from="2026-10-03")
    assert (one_day.period_from, one_day.period_to) == (dt.date(2026, 10, 3), dt.date(2026, 10, 3))
    month = parse_file(path, date_from=dt.date(2026, 10, 1), date_to="2026-10-31")
    row = by_account(month)["a"]
    assert (row["date_from"], row["date_to"]) == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    with pytest.raises(BadInput):
        parse_file(path, date_from="2026-10-31", date_to="2026-10-01")


def test_shop_sources(tmp_path):
    path = write_csv(tmp_path / "s_2026-10-01_2026-10-01.csv", [
        ["客服", "接待人数"], ["旗舰店：小李", 1], ["a:b:小张", 2], ["小王", 3]])
    parsed = parse_file(path)
    rows = by_account(parsed)
    assert rows["小李"]["shop"] == "旗舰店" and rows["小张"]["shop"] == "a:b"
    assert rows["小王"]["shop"] == importer.DEFAULT_SHOP and parsed.shop_defaulted
    named = by_account(parse_file(path, shop="专卖店"))
    assert named["小王"]["shop"] == "专卖店" and named["小李"]["shop"] == "旗舰店"


def test_a_blank_line_among_the_rows_is_no_row_without_a_shop(tmp_path):
    path = tmp_path / "客服绩效_坏店_2026-10-07_2026-10-07.csv"
    path.write_text("客服账号,咨询人数\n坏店:甲,20\n\n坏店:乙,10\n", encoding="utf-8")
    parsed = parse_file(path)
    assert set(by_account(parsed)) == {"甲", "乙"} and not parsed.shop_defaulted
    assert "文件中没有店铺名" not in importer.ImportResult("x.csv", shop_defaulted=parsed.shop_defaulted).summary()


def test_a_shop_or_period_the_file_gives_itself_is_kept_and_the_ignored_option_named(tmp_path):
    dated = write_csv(tmp_path / "withdate.csv", [["日期", "客服", "接待人数"], ["2026-10-20", "店A:a", 5]])
    parsed = parse_file(dated, shop="店B", date_from="2026-10-01", date_to="2026-10-02")
    assert (parsed.shop, parsed.period_from) == ("店A", dt.date(2026, 10, 20))
    assert parsed.notes == [
        "文件自带日期，已忽略所填的起止日期 — the file gives its own dates; the from/to dates given were ignored",
        "文件自带店铺名，已忽略所填的店铺“店B” — the file names its own shop; the shop given was ignored"]
    named = write_csv(tmp_path / "客服绩效_2026-10-01_2026-10-01.csv", [["客服", "接待人数"], ["a", 5]])
    assert [n for n in parse_file(named, date_from="2026-10-09").notes if "日期" in n]  # a period in the name
    used = write_csv(tmp_path / "nodate.csv", [["客服", "接待人数"], ["a", 5], ["店A:b", 1]])
    assert parse_file(used, shop="店B", date_from="2026-10-09").notes == []  # both fill in what the file lacks


def test_an_import_names_the_shop_it_ignored(db, tmp_path):
    path = daily_csv(tmp_path / "d.csv", [["2026-10-01", "店:a", 10, "90%", 10]])
    result = importer.import_file(db, path, shop="别的店")
    assert result.shop == "店" and "已忽略所填的店铺“别的店”" in result.summary()


def test_unknown_columns_are_reported_not_fatal(tmp_path):
    path = write_csv(tmp_path / "u.csv", [["客服", "接待人数", "奇怪的列", "另一个"], ["店:a", 1, "x", "y"]])
    parsed = parse_file(path, date_from="2026-10-01")
    assert parsed.unknown_columns == ["奇怪的列", "另一个"] and parsed.rows == 1


# -- mappings ---------------------------------------------------------------------------------

def test_mapping_for_unrecognised_headers(tmp_path):
    path = write_csv(tmp_path / "m.csv", [["坐席", "日期", "进线量", "成交数"], ["店:a", "2026-10-01", 10, 3]])
    with pytest.raises(BadInput, match="--map"):
        parse_file(path)
    parsed = parse_file(path, mapping={"receptions": "进线量", "paid_buyers": "成交数"})
    row = by_account(parsed)["a"]
    assert row["receptions"] == 10 and row["paid_buyers"] == 3
    assert list(parsed.header_maps.values()) == [{"receptions": "进线量", "paid_buyers": "成交数"}]
    remembered = parse_file(path, remembered=parsed.header_maps)
    assert by_account(remembered)["a"]["paid_buyers"] == 3


def test_mapping_errors_name_the_problem(tmp_path):
    path = write_csv(tmp_path / "m.csv", [["坐席", "日期", "进线量"], ["店:a", "2026-10-01", 10]])
    with pytest.raises(BadInput, match="不认识"):
        parse_file(path, mapping={"nonsense_field": "进线量"})
    with pytest.raises(BadInput, match="找不到"):
        parse_file(path, mapping={"receptions": "没有这列"})


def test_mapping_turns_any_log_into_sessions(tmp_path):
    path = write_csv(tmp_path / "tickets.csv", [
        ["Ticket", "Owner", "Opened", "Replied?", "Closed OK"],
        ["T1", "店:amy", "2026-10-01 09:00", "yes", "yes"],
        ["T2", "店:amy", "2026-10-01 10:00", "no", "no"],
    ])
    parsed = parse_file(path, mapping={"id": "Ticket", "agent": "Owner", "time": "Opened", "answered": "Replied?",
                                       "resolved": "Closed OK"})
    assert parsed.format == "sessions"
    sessions = parsed.sessions
    assert list(sessions["session_id"]) == ["T1", "T2"] and list(sessions["answered"]) == [True, False]
    assert sessions["started_at"].iloc[1] == pd.Timestamp("2026-10-01 10:00")


def test_a_new_choice_adds_to_the_remembered_mapping(tmp_path):
    path = write_csv(tmp_path / "m.csv", [["坐席", "日期", "进线量", "成交数"], ["店:a", "2026-10-01", 10, 3]])
    remembered = parse_file(path, mapping={"receptions": "进线量"}).header_maps
    parsed = parse_file(path, mapping={"paid_buyers": "成交数"}, remembered=remembered)
    row = by_account(parsed)["a"]
    assert row["receptions"] == 10 and row["paid_buyers"] == 3  # not only what was said last
    assert list(parsed.header_maps.values()) == [{"receptions": "进线量", "paid_buyers": "成交数"}]
    changed = parse_file(path, mapping={"inquiries": "进线量"}, remembered=remembered)  # a column given anew
    assert by_account(changed)["a"]["inquiries"] == 10 and "receptions" not in by_account(changed)["a"]
    assert list(changed.header_maps.values()) == [{"inquiries": "进线量"}]


def test_import_remembers_the_mapping(db, tmp_path):
    header = ["坐席", "日期", "进线量"]
    first = write_csv(tmp_path / "a.csv", [header, ["店:a", "2026-10-01", 10]])
    second = write_csv(tmp_path / "b.csv", [header, ["店:a", "2026-10-02", 20]])
    importer.import_file(db, first, mapping={"receptions": "进线量"})
    [(signature, saved)] = db.rows("SELECT signature, mapping FROM header_maps")
    assert json.loads(saved) == {"receptions": "进线量"} and signature == importer.header_signature(header)
    importer.import_file(db, second)
    assert db.scalar("SELECT sum(receptions) FROM facts WHERE current") == 30


def test_a_file_without_known_headers_shows_its_columns_to_map(tmp_path):
    path = write_csv(tmp_path / "t.csv", [["客服报表", "2026年10月"], [], ["工号", "进线量", "成交数", "备注"],
                                          ["007", "10", "3", ""], ["008", "12", "4", "请假半天"]])
    with pytest.raises(BadInput) as raised:
        parse_file(path)
    columns = raised.value.columns  # the header row, not the title above it
    assert [(c.header, c.sample, c.meaning) for c in columns] == [  # 工号 would be the agent: figures are missing
        ("工号", "007", "account"), ("进线量", "10", None), ("成交数", "3", None), ("备注", "请假半天", None)]
    assert [c.recognised for c in columns] == [True, False, False, False]
    with pytest.raises(BadInput, match="还需要指定更多列") as raised:  # not "not found"
        parse_file(path, mapping={"agent": "备注"})
    assert [c.header for c in raised.value.columns] == ["工号", "进线量", "成交数", "备注"]


def test_columns_say_how_each_was_read(tmp_path):
    path = write_csv(tmp_path / "r.csv", [["客服", "接待人数", "询单转化率", "平均响应时长(秒)", "客单价", "序号", "心情"],
                                          ["店:a", 10, "40%", 12, 99.5, 1, "好"]])
    parsed = parse_file(path, date_from="2026-10-01")
    assert [(c.header, c.meaning, c.recognised) for c in parsed.columns] == [
        ("客服", "account", True), ("接待人数", "receptions", True), ("询单转化率", "conversion_rate", True),
        ("平均响应时长(秒)", "avg_response_s", True), ("客单价", "aov", True), ("序号", None, True),
        ("心情", None, False)]
    for column in parsed.columns:  # every meaning can be given back as a mapping
        assert column.meaning is None or aliases.mapping_target(column.meaning) is not None


def test_every_mapping_choice_is_a_mapping_key():
    assert all(aliases.mapping_target(key) is not None for key in aliases.MAPPING_FIELDS)
    labels = [zh for zh, _ in aliases.MAPPING_FIELDS.values()]
    assert len(labels) == len(set(labels))  # a user can tell every choice apart


def test_a_column_the_user_names_wins_over_a_header_that_suggests_the_same(tmp_path):
    path = write_csv(tmp_path / "w.csv", [["客服", "坐席工号", "接待人数", "有效进线", "日期"],
                                          ["小王", "A01", 5, 9, "2026-10-01"]])
    row = by_account(parse_file(path, mapping={"agent": "坐席工号", "receptions": "有效进线"}))["A01"]
    assert row["receptions"] == 9
    log = write_csv(tmp_path / "s.csv", [["会话ID", "客服", "工号", "开始时间"], ["S1", "小王", "A01", "2026-10-01 09:00"]])
    assert parse_file(log, mapping={"agent": "工号"}).sessions["account"].tolist() == ["A01"]


def test_a_column_that_breaks_the_import_can_be_left_out(tmp_path):
    path = write_csv(tmp_path / "b.csv", [["客服", "日期", "询单人数", "接待人数", "询单转化率"],
                                          ["店:a", "2026-10-01", 5, 12, "高"]])
    with pytest.raises(BadInput, match="询单转化率") as raised:
        parse_file(path)
    assert [(c.header, c.meaning) for c in raised.value.columns][-1] == ("询单转化率", "conversion_rate")  # as read
    parsed = parse_file(path, mapping={"ignore:1": "询单转化率"})
    assert by_account(parsed)["a"]["inquiries"] == 5 and parsed.unknown_columns == []
    assert parsed.columns[-1].meaning == aliases.IGNORE
    assert list(parsed.header_maps.values()) == [{"ignore:1": "询单转化率"}]  # remembered like any meaning


def test_resolved_mapped_in_an_aggregate_export_is_the_count(tmp_path):
    path = write_csv(tmp_path / "r.csv", [["客服", "日期", "售后单", "已办结"], ["店:a", "2026-10-01", 10, 7]])
    parsed = parse_file(path, mapping={"cases": "售后单", "resolved": "已办结"})
    assert parsed.format != "sessions" and by_account(parsed)["a"]["resolved"] == 7


# -- session logs -----------------------------------------------------------------------------

SESSION_HEADER = ["会话ID", "客服", "开始时间", "首次响应(秒)", "会话时长(秒)", "是否回复", "是否解决", "是否成交",
                  "成交金额", "满意度", "咨询类型", "流失原因"]


def session_rows():
    return [
        SESSION_HEADER,
        ["S1", "店:小王", "2026-10-01 09:00:00", 10, 100, "是", "是", "是", "199.50", 5, "商品咨询", ""],
        ["S2", "店:小王", "2026-10-01 10:00:00", "", 50, "否", "否", "否", "", "", "物流查询", "价格太高"],
        ["S3", "店:小王", "2026-10-01 23:59:59", 20, 30, "是", "否", "否", "", "满意", "尺码推荐", "库存不足"],
        ["S4", "店:小李", "2026-10-02 08:00:00", 5, 60, "是", "是", "否", "", 3, "商品咨询", ""],
    ]


def test_session_log_folds_into_agent_days(db, tmp_path):
    result = importer.import_file(db, write_csv(tmp_path / "sessions.csv", session_rows()))
    assert result.sessions == 4 and result.format == "sessions"
    assert (result.period_from, result.period_to) == (dt.date(2026, 10, 1), dt.date(2026, 10, 2))
    day = db.query("SELECT * FROM facts WHERE current AND account = '小王'").iloc[0]
    assert day["shop"] == "店" and day["date_from"].date() == dt.date(2026, 10, 1)
    expected = {"receptions": 3, "cases": 3, "replied": 2, "inquiries": 3, "paid_buyers": 1, "sales": 199.5,
                "sales_buyers": 1, "first_response_sum_s": 30, "first_response_n": 2, "reception_sum_s": 180,
                "resolved": 1, "ratings": 2, "csat_sum": 9, "satisfied": 2, "workdays": 1}
    assert {k: float(day[k]) for k in expected} == {k: float(v) for k, v in expected.items()}
    kept = db.query("SELECT session_id, loss_reason, topic FROM sessions ORDER BY session_id")
    assert list(kept["loss_reason"].fillna("")) == ["", "价格太高", "库存不足", ""]


def test_a_session_id_repeated_in_one_log_counts_once_and_says_so(db, tmp_path):
    rows = session_rows()
    rows.append(["S2", "店:小王", "2026-10-01 10:05:00", 8, 70, "是", "是", "否", "", 4, "物流查询", ""])
    result = importer.import_file(db, write_csv(tmp_path / "sessions.csv", rows))
    assert result.sessions == 4
    assert any("1 行会话与文件中前面的行编号相同" in note for note in result.notes)
    assert "按最后一行记入" in result.summary()
    assert "1 rows repeat an earlier session id" in db.scalar("SELECT notes FROM imports")
    assert db.scalar("SELECT answered FROM sessions WHERE session_id = 'S2'") is True
    assert db.scalar("SELECT sum(receptions) FROM facts WHERE current") == 4


def test_only_ratings_on_the_1_to_5_scale_count_and_the_others_are_named(db, tmp_path):
    rows = [["会话ID", "客服", "开始时间", "满意度"], ["S1", "店:小王", "2026-10-01 09:00", 5],
            ["S2", "店:小王", "2026-10-01 10:00", 0], ["S3", "店:小王", "2026-10-01 11:00", 6]]
    result = importer.import_file(db, write_csv(tmp_path / "sessions.csv", rows))
    day = db.query("SELECT ratings, csat_sum, satisfied, receptions FROM facts WHERE current").iloc[0]
    assert (day["ratings"], day["csat_sum"], day["satisfied"], day["receptions"]) == (1, 5, 1, 3)
    assert any("2 个评分不在 1–5 之间" in note for note in result.notes)
    assert db.scalar("SELECT count(rating) FROM sessions") == 3  # kept as written


def test_a_log_without_amounts_still_counts_its_buyers(db, tmp_path):
    """sales_buyers is paid_buyers where nothing else gives it (spec/metrics.md)."""
    rows = [["会话ID", "客服", "开始时间", "是否成交"], ["S1", "店:小王", "2026-10-01 09:00", "是"],
            ["S2", "店:小王", "2026-10-01 10:00", "否"]]
    importer.import_file(db, write_csv(tmp_path / "sessions.csv", rows))
    day = db.query("SELECT inquiries, paid_buyers, sales_buyers FROM facts WHERE current").iloc[0]
    assert (day["inquiries"], day["paid_buyers"], day["sales_buyers"]) == (2, 1, 1)


def test_session_log_without_ids_does_not_double_count_overlaps(db, tmp_path):
    rows = [r[1:] for r in session_rows()]
    importer.import_file(db, write_csv(tmp_path / "a.csv", rows[:3]))
    importer.import_file(db, write_csv(tmp_path / "b.csv", rows[:1] + rows[2:]))
    assert db.scalar("SELECT count(*) FROM sessions") == 4
    assert db.scalar("SELECT sum(receptions) FROM facts WHERE current") == 4


# -- bad input --------------------------------------------------------------------------------

def test_unreadable_value_names_file_row_and_column(tmp_path):
    path = write_csv(tmp_path / "bad.csv", [["客服", "接待人数"], ["店:a", 1], ["店:b", "abc"], ["店:c", 3]])
    with pytest.raises(BadInput) as caught:
        parse_file(path, date_from="2026-10-01")
    message = str(caught.value)
    assert "bad.csv" in message and "第3行" in message and "接待人数" in message and "abc" in message


def test_skip_bad_rows_lists_them(tmp_path):
    path = write_csv(tmp_path / "bad.csv", [["客服", "接待人数"], ["店:a", 1], ["店:b", "abc"], ["店:c", 3]])
    parsed = parse_file(path, date_from="2026-10-01", skip_bad_rows=True)
    assert sorted(parsed.facts["account"]) == ["a", "c"]
    assert len(parsed.skipped) == 1 and "第3行" in parsed.skipped[0]


def test_note_under_the_table_is_skipped_not_fatal(tmp_path):
    path = write_xlsx(tmp_path / "n_2026-10-01_2026-10-01.xlsx", {"S": [
        ["客服", "接待人数"], ["店:a", 5], [None, "数据截至 2026-10-01 23:59"]]})
    parsed = parse_file(path)
    assert list(parsed.facts["account"]) == ["a"] and parsed.skipped == ["[工作表 S]第3行: 没有客服账号 — no agent"]


def test_row_numbers_count_title_rows_as_excel_does(tmp_path):
    path = write_xlsx(tmp_path / "t.xlsx", {"S": [["标题"], [], ["客服", "接待人数"], ["店:a", "x"]]})
    with pytest.raises(BadInput, match="第4行"):
        parse_file(path, date_from="2026-10-01")


@pytest.mark.parametrize("content, pattern", [
    (b"", "空文件"),
    (b"\x00\x01\x02binary\xff\xfe", "不是表格"),
    (b"PK\x03\x04 not really a zip", "无法打开"),
    ("客服,接待人数\n".encode(), "没有可导入的数据行"),
    ("hello,world\n1,2\n".encode(), "没有可识别的列"),
])
def test_bad_files_raise_bad_input(tmp_path, content, pattern):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(content)
    with pytest.raises(BadInput, match=pattern):
        parse_file(path, date_from="2026-10-01")


def test_missing_file(tmp_path):
    with pytest.raises(BadInput, match="不存在"):
        parse_file(tmp_path / "nope.xlsx")


# -- chunked reading --------------------------------------------------------------------------

def test_chunked_csv_decides_scale_and_date_order_from_the_whole_file(tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "CHUNK_ROWS", 2)
    path = write_csv(tmp_path / "big.csv", [
        ["日期", "客服", "接待人数", "回复率"],
        ["01-02-2026", "店:a", 100, "1"],
        ["01-02-2026", "店:b", 100, "0"],
        ["02-02-2026", "店:a", 100, "36.99"],
        ["25-02-2026", "店:a", 100, "50"],
        ["汇总", "", 400, "25"],
    ])
    calls = []
    parsed = parse_file(path, progress=lambda done, total, message: calls.append((done, total, message)))
    facts = parsed.facts.set_index(["account", "date_from"])
    assert facts.loc[("a", dt.date(2026, 2, 1)), "replied"] == pytest.approx(1)  # 1 means 1% here
    assert facts.loc[("a", dt.date(2026, 2, 2)), "replied"] == pytest.approx(36.99)
    assert facts.loc[("a", dt.date(2026, 2, 25)), "replied"] == pytest.approx(50)
    assert [done for done, _, _ in calls] == [2, 4, 5] and all(m == "big.csv" for _, _, m in calls)


def test_chunked_import_streams_into_one_transaction(db, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "CHUNK_ROWS", 3)
    rows = [SESSION_HEADER] + [[f"S{i}", "店:小王" if i % 2 else "店:小李", f"2026-10-0{1 + i % 3} 09:00:00", 10, 60,
                                "是", "是", "否", "", "", "", ""] for i in range(10)]
    result = importer.import_file(db, write_csv(tmp_path / "s.csv", rows))
    assert result.sessions == 10 and db.scalar("SELECT sum(receptions) FROM facts WHERE current") == 10


# -- the database: Σ/Σ, replacement, undo, atomicity ------------------------------------------

def daily_csv(path: Path, rows: list[list]) -> Path:
    return write_csv(path, [["日期", "客服", "询单人数", "询单转化率", "接待人数"]] + rows)


def test_rates_are_reaggregated_not_averaged(db, tmp_path):
    importer.import_file(db, daily_csv(tmp_path / "d.csv", [
        ["2026-10-01", "店:a", 10, "90%", 10], ["2026-10-02", "店:a", 100, "10%", 100]]))
    paid, inquiries = db.rows("SELECT sum(paid_buyers), sum(inquiries) FROM facts WHERE current")[0]
    assert (round(paid, 9), inquiries) == (19, 110)  # 19/110 = 17.3%, not the 50% mean of rates


def test_reimport_of_the_same_file_changes_nothing(db, tmp_path):
    path = daily_csv(tmp_path / "d.csv", [["2026-10-01", "店:a", 10, "90%", 10]])
    first = importer.import_file(db, path)
    before = db.query("SELECT * FROM facts ORDER BY fact_id")
    again = importer.import_file(db, path)
    assert again.duplicate and again.import_id == first.import_id
    pd.testing.assert_frame_equal(db.query("SELECT * FROM facts ORDER BY fact_id"), before)
    assert db.scalar("SELECT count(*) FROM imports") == 1


def test_later_file_settles_a_provisional_day_and_undo_restores_it(db, tmp_path):
    early = importer.import_file(db, daily_csv(tmp_path / "early.csv", [["2026-10-01", "店:a", 10, "延迟统计", 10]]))
    assert early.provisional_rows == 1
    row = db.rows("SELECT provisional, paid_buyers FROM facts WHERE current")[0]
    assert row[0] is True and row[1] is None
    late = importer.import_file(db, daily_csv(tmp_path / "late.csv", [["2026-10-01", "店:a", 10, "80%", 10]]))
    assert db.rows("SELECT provisional, paid_buyers FROM facts WHERE current") == [(False, 8.0)]
    db.undo_import(late.import_id)
    assert db.rows("SELECT provisional, paid_buyers FROM facts WHERE current") == [(True, None)]


def test_monthly_file_and_daily_files_never_double_count(db, tmp_path):
    monthly = write_csv(tmp_path / "月报_2026-10-01至2026-10-31.csv", [["客服", "接待人数"], ["店:a", 1000]])
    importer.import_file(db, monthly)
    assert db.scalar("SELECT sum(receptions) FROM facts WHERE current") == 1000
    importer.import_file(db, daily_csv(tmp_path / "d1.csv", [["2026-10-01", "店:a", 4, "50%", 40]]))
    importer.import_file(db, daily_csv(tmp_path / "d2.csv", [["2026-10-02", "店:a", 5, "20%", 50]]))
    assert db.scalar("SELECT sum(receptions) FROM facts WHERE current") == 1000  # two days of 31: the month counts
    importer.import_file(db, daily_csv(tmp_path / "rest.csv", [[f"2026-10-{d:02d}", "店:a", 1, "0%", 30]
                                                               for d in range(3, 32)]))
    assert db.scalar("SELECT sum(receptions) FROM facts WHERE current") == 40 + 50 + 29 * 30  # every day: the days


def test_a_bad_file_leaves_the_database_unchanged(db, tmp_path):
    good = daily_csv(tmp_path / "good.csv", [["2026-10-01", "店:a", 10, "90%", 10]])
    importer.import_file(db, good)
    before = (db.query("SELECT * FROM facts ORDER BY fact_id"), db.data_version())
    bad = daily_csv(tmp_path / "bad.csv", [["2026-10-02", "店:a", 10, "90%", 10], ["2026-10-03", "店:a", "x", "1%", 1]])
    with pytest.raises(BadInput):
        importer.import_file(db, bad)
    pd.testing.assert_frame_equal(db.query("SELECT * FROM facts ORDER BY fact_id"), before[0])
    assert db.data_version() == before[1] and db.scalar("SELECT count(*) FROM imports") == 1


def test_import_files_reports_a_bad_file_and_goes_on(db, tmp_path):
    first = daily_csv(tmp_path / "1.csv", [["2026-10-01", "店:a", 10, "90%", 10]])
    broken = tmp_path / "2.xlsx"
    broken.write_bytes(b"")
    third = daily_csv(tmp_path / "3.csv", [["2026-10-02", "店:a", 10, "90%", 20]])
    results = importer.import_files(db, [first, broken, third])
    assert [r.ok for r in results] == [True, False, True]
    assert "2.xlsx" in results[1].error and "空文件" in results[1].error
    assert db.scalar("SELECT sum(receptions) FROM facts WHERE current") == 30
    assert "✓" in results[0].summary() and results[1].summary().startswith("✗")


def test_the_data_page_summary_names_no_format_code_and_no_command_line_flag(db, tmp_path):
    result = importer.import_file(db, daily_csv(tmp_path / "1.csv", [["2026-10-01", "a", 10, "90%", 10]]))
    assert result.shop_defaulted
    assert "(generic)" in result.summary() and "--shop" in result.summary()
    assert "(generic)" not in result.summary(web=True) and "--shop" not in result.summary(web=True)
    assert "撤销后在「店铺」一栏填写再导入" in result.summary(web=True)


def test_import_records_the_file_summary(db, tmp_path):
    path = write_csv(tmp_path / "拼多多.csv", pdd_rows() + [[3, "拼多多店:pdd03", 1, "x"]])
    result = importer.import_file(db, path, skip_bad_rows=True, user="boss")
    row = db.query("SELECT * FROM imports").iloc[0]
    assert row["format"] == "pdd" and row["shop"] == "拼多多店" and row["imported_by"] == "boss"
    assert (row["period_from"].date(), row["period_to"].date()) == (dt.date(2023, 5, 1), dt.date(2023, 5, 7))
    assert result.rows == 2 and len(result.skipped) == 1 and "第8行" in row["skipped"]  # 2 title rows


# -- rebuilding numerators --------------------------------------------------------------------

def series(*items) -> pd.Series:
    return pd.Series(items, dtype=float)


def test_rebuild_null_rate_leaves_numerator_null():
    out, missing = importer.rebuild({"inquiries": series(10, 20)}, {"conversion": series(0.5, None)}, {}, {},
                                    daily=[True, True])
    assert out["paid_buyers"].iloc[0] == 5 and pd.isna(out["paid_buyers"].iloc[1]) and missing == []


def test_rebuild_satisfaction_over_valid_receptions_when_no_rating_count():
    out, _ = importer.rebuild({"valid_receptions": series(50)}, {"satisfaction": series(0.9)}, {}, {}, daily=[True])
    assert out["satisfied"].iloc[0] == pytest.approx(45) and out["ratings"].iloc[0] == 50


def test_rebuild_reports_rates_without_a_base():
    out, missing = importer.rebuild({}, {"reply": series(0.9)}, {"response": series(20)}, {"aov": series(100)},
                                    daily=[True])
    assert set(missing) == {"reply", "response", "aov"} and out == {}


def test_rebuild_workdays_only_for_daily_rows():
    out, _ = importer.rebuild({"receptions": series(5, 0, 5, None)}, {}, {}, {}, daily=[True, True, False, True])
    assert [None if pd.isna(x) else x for x in out["workdays"]] == [1.0, 0.0, None, None]


# -- the alias table --------------------------------------------------------------------------

SPEC_FACT_HEADERS = [
    # exports.md, 赤兔 detail, custom report, satisfaction and after-sales variants
    "客服", "接待人数", "询单人数", "询单->最终付款人数", "询单->最终付款成功率", "客件数", "客单价", "邮费总额",
    "手工折扣率", "客服回复率", "平均响应时间", "首次响应时间", "平均接待时长", "平均接待时长(秒)",
    "静默下单本人落实付款-人数", "静默下单本人落实付款-金额", "销售额", "客服答问比", "慢响应人数", "询单->最终下单人数",
    "下单->最终付款成功率", "全静默单本人跟进-人数", "询单->次日付款人数", "询单->次日付款成功率", "协助跟进人数",
    "协助下单人数", "转出人数", "退款率", "客服昵称", "聊天人数(原咨询人数)", "直接接入人数", "转发接入人数", "总消息数",
    "买家消息数", "客服消息数", "答问比", "客服字数", "最大同时聊天数", "未回复人数", "回复率", "慢接待人数", "长接待人数",
    "首次响应(秒)", "平均响应(秒)", "询单->最终付款转化率", "上班天数", "服务满意度评价参与率", "客户满意率",
    "服务满意度评价很满意", "服务满意度评价满意", "服务满意度评价一般", "服务满意度评价不满", "服务满意度评价很不满", "旺旺",
    "售后一次解决率", "转入人数", "直接接待人数", "服务满意度评分", "接待售后人数",
    # 生意参谋
    "日期", "当日询单人数", "当日付款人数", "当日付款金额", "最终付款人数", "最终付款金额", "询单当日付款转化率",
    "询单最终付款转化率", "咨询人数", "有效接待人数", "平均响应时长", "3分钟人工响应率", "首次响应时长", "销售量", "销售人数",
    "件均价",
    # Pinduoduo
    "序号", "客服账号", "客服服务分", "最终成团人数", "询单转化率", "客服销售额", "去退销售额", "需要人工回复的咨询人数",
    "人工接待人数", "3分钟未回复人数", "3分钟人工回复率", "30秒应答率", "平均人工响应时长", "评分≤3订单数", "纠纷退款数",
    "投诉数", "3分钟人工回复率(8-23点)",
    # JD
    "接待量", "平均响应时长（新）", "30s应答率", "客服3分钟人工回复率", "售前接待人数", "促成下单人数", "促成下单商品金额",
    "好评量", "评价量", "UID", "技能组", "非常满意", "满意", "不满意", "非常不满意", "客服总消息数", "客户总消息数",
    # Douyin
    "店铺名称", "账号名称", "人工已接待人数", "人工已接待会话量", "不满意率", "首次响应时长（秒）", "平均响应时长（秒）",
    "满意率", "客服销售额（元）", "下单人数", "支付人数", "PC在线时长（时）",
    # metrics.md
    "销售件数", "销售订单数", "退款金额", "完成退款金额", "退款人数", "服务满意度评价参与量", "很满意", "一般", "不满", "很不满",
    "中差评", "差评数", "呼出电话数", "回访数", "出错次数", "在线总时长(秒)",
]
SPEC_SESSION_HEADERS = {
    "id": "session_id", "会话ID": "session_id", "Call Id": "session_id", "agent": "account", "客服": "account",
    "坐席": "account", "Agent": "account", "date": "day", "日期": "day", "time": "time", "时间": "time",
    "answered": "answered", "是否接通": "answered", "Answered (Y/N)": "answered", "resolved": "resolved",
    "是否解决": "resolved", "converted": "converted", "是否成交": "converted", "inquiry": "inquiry", "wait": "wait_s",
    "speed of answer": "wait_s", "Speed of answer in seconds": "wait_s", "首次响应": "wait_s", "等待时长": "wait_s",
    "duration": "duration_s", "AvgTalkDuration": "duration_s", "通话时长": "duration_s", "会话时长": "duration_s",
    "satisfaction rating": "rating", "满意度": "rating", "评分": "rating", "amount": "amount", "订单金额": "amount",
    "topic": "topic", "咨询类型": "topic", "loss reason": "loss_reason", "流失原因": "loss_reason",
    # ticket and chat systems' own English names, with spaces or underscores
    "ticket_id": "session_id", "Conversation ID": "session_id", "agent_name": "account", "Assignee": "account",
    "Call Date": "day", "created_at": "time", "Created At": "time", "wait_time": "wait_s",
    "First Response Time": "wait_s", "handle_time": "duration_s", "Handle Time": "duration_s",
    "order_amount": "amount", "Customer Rating": "rating",
}


@pytest.mark.parametrize("header", SPEC_FACT_HEADERS)
def test_every_spec_header_is_recognised(header):
    assert aliases.fact_column(header) is not None


@pytest.mark.parametrize("header, field", SPEC_SESSION_HEADERS.items())
def test_session_log_headers(header, field):
    assert aliases.session_field(header)[0] == field


@pytest.mark.parametrize("header, kind, target, unit", [
    (" 接待 人数 ", aliases.COUNT, "receptions", None),
    ("首次响应（秒）", aliases.AVERAGE, "first_response", "s"),
    ("平均响应时长(分)", aliases.AVERAGE, "response", "min"),
    ("PC在线时长（时）", aliases.TOTAL_TIME, "online_s", "h"),
    ("3分钟人工回复率【8:00-23:00】", aliases.RATE, "reply_3min", None),
    ("3分钟人工回复率8-23点", aliases.RATE, "reply_3min", None),
    ("回复率(%)", aliases.RATE, "reply", "pct"),
    ("询单→最终付款人数", aliases.COUNT, "paid_buyers", None),
    ("RECEPTIONS", aliases.COUNT, "receptions", None),
])
def test_header_matching_is_robust(header, kind, target, unit):
    found = aliases.fact_column(header)
    assert (found.kind, found.target, found.unit) == (kind, target, unit)


def test_unknown_header_is_none():
    assert aliases.fact_column("今日心情") is None and aliases.session_field("今日心情") is None


@pytest.mark.parametrize("field, expected", [
    ("agent", ("both", "account")), ("date", ("both", "date")), ("id", ("session", "session_id")),
    ("receptions", ("fact", aliases.Column(aliases.COUNT, "receptions"))),
    ("conversion_rate", ("fact", aliases.Column(aliases.RATE, "conversion"))),
    ("first_response_s", ("fact", aliases.Column(aliases.AVERAGE, "first_response"))),
    ("reply_3min", ("fact", aliases.Column(aliases.COUNT, "reply_3min"))),
    ("nonsense", None),
])
def test_mapping_targets(field, expected):
    assert aliases.mapping_target(field) == expected


def test_merged_agent_cell_over_day_rows(tmp_path):
    path = write_xlsx(tmp_path / "m.xlsx", {"S": [
        ["日期", "客服", "接待人数"], [dt.date(2026, 10, 1), "店:小王", 10], [dt.date(2026, 10, 2), None, 20]]},
        {"S": ["B2:B3"]})
    facts = parse_file(path).facts
    assert list(facts["account"]) == ["小王", "小王"] and list(facts["receptions"]) == [10, 20]


def test_file_without_agent_or_date_column_asks_for_a_mapping(tmp_path):
    path = write_csv(tmp_path / "x.csv", [["员工编号", "接待人数", "询单人数"], ["007", 10, 5]])
    with pytest.raises(BadInput, match="agent="):
        parse_file(path, date_from="2026-10-01")
    row = by_account(parse_file(path, date_from="2026-10-01", mapping={"agent": "员工编号"}))["007"]
    assert row["receptions"] == 10  # the id keeps its leading zeros


def test_ragged_csv_rows_keep_their_line_numbers(tmp_path):
    path = tmp_path / "rag.csv"
    path.write_text("标题\n\n客服,接待人数,回复率\n店:a,1,50%\n\n店:b,2\n店:c,3,1%,,\n店:d,x,5%\n", encoding="utf-8")
    parsed = parse_file(path, date_from="2026-10-01", skip_bad_rows=True)
    rows = by_account(parsed)
    assert rows["b"]["receptions"] == 2 and nan(rows["b"]["replied"]) and rows["c"]["replied"] == pytest.approx(0.03)
    assert parsed.skipped == ["第8行: “接待人数”的值 'x' 无法读取"]



def test_csv_row_with_more_cells_than_the_header_is_refused(tmp_path):
    # an unquoted thousands separator shifts every later cell one column to the right
    path = write_csv(tmp_path / "shift.csv", [["客服", "接待人数", "回复率"], ["店:a", 1, "50%"], ["店:b", 1, 234, "5%"]])
    with pytest.raises(BadInput, match="第3行.*多于表头"):
        parse_file(path, date_from="2026-10-01")
    parsed = parse_file(path, date_from="2026-10-01", skip_bad_rows=True)
    assert list(parsed.facts["account"]) == ["a"] and "第3行" in parsed.skipped[0]
    beyond_the_sample = write_csv(tmp_path / "late.csv", [["客服", "接待人数"]] + [["店:a", 1]] * 70 + [["店:b", 1, 234]])
    with pytest.raises(BadInput, match="第72行.*多于表头"):
        parse_file(beyond_the_sample, date_from="2026-10-01")


def test_utf8_csv_whose_first_block_ends_inside_a_chinese_character(tmp_path):
    """The encoding sniff reads a fixed-size block; a character cut at its end is not an error."""
    lines = ["客服,日期,接待人数,询单人数,询单->最终付款人数"]
    lines += [f"旗舰店:客服{'甲乙丙丁'[i % 4]}{i:04d},2026-10-01,10,5,2" for i in range(800)]
    for pad in range(3):
        data = ("\n".join(lines[:1] + [lines[1].replace("旗舰店", "旗舰店" + "x" * pad, 1)] + lines[2:]) + "\n").encode()
        try:
            data[:8192].decode("utf-8")
        except UnicodeDecodeError:
            break
    else:
        pytest.fail("no padding cut a character at byte 8192")
    path = tmp_path / "cut.csv"
    path.write_bytes(data)
    parsed = parse_file(path, date_from="2026-10-01", date_to="2026-10-01")
    assert len(parsed.facts) == 800


def test_a_gbk_file_whose_first_kilobytes_are_ascii(db, tmp_path):
    """English headers and ASCII accounts first, Chinese only after the first 8 KB."""
    rows = [["agent", "date", "receptions"], *[[f"shop:a{k}", "2026-10-01", k] for k in range(600)],
            ["旗舰店:小美", "2026-10-01", 7]]
    path = write_csv(tmp_path / "late.csv", rows, encoding="gbk")
    assert path.read_bytes()[:8192].isascii()
    result = importer.import_file(db, path)
    assert result.rows == 601
    assert db.scalar("SELECT receptions FROM facts WHERE shop = '旗舰店' AND account = '小美'") == 7


def test_a_note_merged_across_the_table_under_it_is_no_figure(db, tmp_path):
    path = write_xlsx(tmp_path / "明细_2026-10-01至2026-10-01.xlsx", {"S": [
        ["客服", "接待人数", "询单人数"], ["店:甲", 10, 5], ["店:乙", 20, 8], ["汇总", 30, 13],
        ["注：以上数据仅供参考，延迟统计的数据将在次日更新", None, None]]}, merges={"S": ["A5:C5"]})
    result = importer.import_file(db, path)
    assert result.rows == 2
    assert db.scalar("SELECT sum(receptions) FROM facts WHERE current") == 30


def test_a_name_that_only_begins_like_a_summary_label_is_an_agent(db, tmp_path):
    path = write_xlsx(tmp_path / "明细_2026-10-01至2026-10-01.xlsx", {"S": [
        ["客服", "接待人数", "询单人数"], ["同行户外:小王", 100, 40], ["优衣库:小李", 50, 20], ["平均价小店:阿三", 7, 3],
        ["汇总", 157, 63], ["同行同层平均", 90, 30], ["店铺汇总值", 157, 63], ["均值（元）", 52, 21]]})
    assert importer.import_file(db, path).rows == 3
    assert db.rows("SELECT shop, account, receptions FROM facts WHERE current ORDER BY receptions") == [
        ("平均价小店", "阿三", 7), ("优衣库", "小李", 50), ("同行户外", "小王", 100)]


@pytest.mark.parametrize("header, extra", [("退款率(%)", []), ("退款率", ["询单转化率"])])
def test_bare_text_rates_below_one_follow_the_header_or_the_other_rate_columns(db, tmp_path, header, extra):
    rows = [["客服", "接待人数", "询单人数", "销售额", header, *extra],
            ["店:甲", 100, 50, 1000, "0.5", *(["36.99"] if extra else [])],
            ["店:乙", 100, 50, 1000, "0.8", *(["20"] if extra else [])]]
    path = write_csv(tmp_path / "明细_2026-10-01至2026-10-01.csv", rows)
    assert importer.import_file(db, path).ok
    assert db.rows("SELECT account, refund_amount FROM facts ORDER BY account") == [("乙", 8.0), ("甲", 5.0)]
