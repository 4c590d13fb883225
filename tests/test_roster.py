"""Roster and QA scores: hand-written files in every container, exact stored values, errors."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest
import xlsxwriter

from csperf import queries
from csperf.db import Database, ImportMeta
from csperf.roster import (
    RosterError,
    bind_account,
    import_qa,
    import_roster,
    level_pay_frame,
    parse_month,
    qa_frame,
    roster_frame,
    save_roster_frame,
    set_level_pay,
    set_qa,
    split_account,
)

HEADER = "账号,姓名,店铺,团队,岗位,级别,底薪,班次,排除"
ROSTER_CSV = "\n".join([
    HEADER,
    "悦享旗舰店:小美,王美,,售前一组,售前,高级,\"3,000\",白班,否",
    "悦享旗舰店：阿强,李强,,售后组,售后,初级,¥2000,白班,N",
    "娜娜,李娜,好物优选店,售前组,presales,mid,2500元,夜班,0",
    "悦享旗舰店:娜娜,李娜,,售前一组,售前,中级,,夜班,",
    "悦享旗舰店:机器人,,,,,,,,是",
]) + "\n"


def write_text(tmp_path, name: str, text: str, encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def write_xlsx(tmp_path, name: str, rows: list[list]):
    path = tmp_path / name
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("花名册")
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, datetime):
                sheet.write_datetime(r, c, value, dates)
            elif value is not None:
                sheet.write(r, c, value)
    book.close()
    return path


@pytest.fixture
def db():
    database = Database(":memory:")
    yield database
    database.close()


def stored(db) -> list[tuple]:
    frame = roster_frame(db).astype(object)
    return [tuple(r) for r in frame.where(frame.notna(), None).itertuples(index=False)]


def add_facts(db, rows: list[tuple]) -> None:
    """rows: (shop, account, day, receptions) as one daily import."""
    facts = pd.DataFrame(rows, columns=["shop", "account", "date_from", "receptions"])
    facts["date_to"] = facts["date_from"]
    facts["provisional"] = False
    db.apply_import(ImportMeta(file_name="t.xlsx", sha256=str(rows), format="test"), facts)


def test_csv_roster_is_stored_with_shop_from_account_prefix(db, tmp_path):
    result = import_roster(db, write_text(tmp_path, "花名册.csv", ROSTER_CSV), user="boss")
    assert (result.rows, result.inserted, result.updated, result.people) == (5, 5, 0, 3)
    assert stored(db) == [
        ("好物优选店", "娜娜", "李娜", "售前组", "presales", "mid", 2500.0, "夜班", False),
        ("悦享旗舰店", "娜娜", "李娜", "售前一组", "presales", "mid", None, "夜班", False),
        ("悦享旗舰店", "小美", "王美", "售前一组", "presales", "senior", 3000.0, "白班", False),
        ("悦享旗舰店", "阿强", "李强", "售后组", "aftersales", "junior", 2000.0, "白班", False),
        ("悦享旗舰店", "机器人", None, None, None, None, None, None, True),
    ]
    assert db.rows("SELECT username, action, detail FROM audit") == [("boss", "roster_import", "花名册.csv: 5 rows")]
    assert result.summary() == "✓ 花名册.csv: 花名册 5 个账号（新增 5，更新 0），3 人 — roster: 5 accounts (5 new, 0 updated), 3 people"


def test_columns_the_roster_keeps_nothing_of_are_named_and_other_dates_than_an_effective_one_are_explained(
        db, tmp_path):
    text = "账号,团队,入职日期,离职日期,备注\n悦享旗舰店:小美,售前二组,2025-01-01,2025-07-31,调组\n"
    result = import_roster(db, write_text(tmp_path, "r.csv", text))
    assert result.people is None and result.unused == ("入职日期", "离职日期", "备注")
    lines = result.summary().splitlines()
    assert lines[0] == "✓ r.csv: 花名册 1 个账号（新增 1，更新 0） — roster: 1 accounts (1 new, 0 updated)"  # no "0 人"
    assert lines[1] == "  ! 未使用的列：入职日期、离职日期、备注 — columns not used: 入职日期, 离职日期, 备注"
    assert lines[2].startswith("  ! 只有“生效日期”列记录从某天起的变更（调组、调岗、调薪）；没有生效日期的行是更正")
    plain = import_roster(db, write_text(tmp_path, "s.csv", "账号,姓名,备注\n悦享旗舰店:小美,王美,\n"))
    assert plain.summary().splitlines()[1:] == ["  ! 未使用的列：备注 — columns not used: 备注"]  # no date, no caveat


def test_a_trainee_is_a_level_the_presets_pay_by(db, tmp_path):
    text = HEADER + "\n悦享旗舰店:新来的,张新,,售前一组,售前,见习,,白班,否\n悦享旗舰店:小王,王小,,售前一组,售前,实习,,白班,否\n"
    import_roster(db, write_text(tmp_path, "r.csv", text))
    assert db.rows("SELECT DISTINCT level FROM roster") == [("trainee",)]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_bom_and_gb18030_csv_are_decoded(db, tmp_path, encoding):
    import_roster(db, write_text(tmp_path, "r.csv", ROSTER_CSV, encoding))
    assert db.scalar("SELECT name FROM roster WHERE account = '阿强'") == "李强"


def test_xlsx_with_title_row_and_english_headers(db, tmp_path):
    path = write_xlsx(tmp_path, "roster.xlsx", [
        ["客服花名册 2026"],
        ["Account", "Name", "Shop", "Team", "Role", "Level", "Base Salary", "Shift", "Excluded"],
        [10086.0, "张三", "潮玩抖音小店", "售后组", "After-sales", "VIP", 4200.0, "白班", "false"],
    ])
    import_roster(db, path)
    assert stored(db) == [("潮玩抖音小店", "10086", "张三", "售后组", "aftersales", "vip", 4200.0, "白班", False)]


@pytest.mark.parametrize("salary", ["底薪（元）", "底薪(元)", "基本工资（元）", "底薪 (¥)"])
def test_a_unit_in_brackets_after_a_header_is_read_past(db, tmp_path, salary):
    text = f"账号,姓名,{salary}\n悦享旗舰店:小美,王小美,3500\n"
    import_roster(db, write_text(tmp_path, "r.csv", text))
    assert db.rows("SELECT name, base_salary FROM roster WHERE account = '小美'") == [("王小美", 3500.0)]


def test_reimport_updates_file_columns_and_keeps_the_others(db, tmp_path):
    import_roster(db, write_text(tmp_path, "a.csv", ROSTER_CSV))
    update = "账号,姓名,团队\n悦享旗舰店:小美,王小美,售前二组\n悦享旗舰店:新人,赵新,售前二组\n"
    result = import_roster(db, write_text(tmp_path, "b.csv", update))
    assert (result.inserted, result.updated) == (1, 1)
    assert db.rows("SELECT name, team, role, base_salary FROM roster WHERE account = '小美'") == [
        ("王小美", "售前二组", "presales", 3000.0)
    ]
    assert db.rows("SELECT name, excluded FROM roster WHERE account = '新人'") == [("赵新", False)]


@pytest.mark.parametrize(
    "text, fragments",
    [
        ("姓名,店铺\n王美,悦享旗舰店\n", ["bad.csv", "账号"]),
        (HEADER + "\n悦享旗舰店:小美,王美,,一组,客服,高级,3000,白班,否\n", ["bad.csv", "第2行", "岗位", "客服"]),
        (HEADER + "\n悦享旗舰店:小美,王美,,一组,售前,高级,3000,白班,否\n"
                  "悦享旗舰店:小强,李强,,一组,售前,高级,三千,白班,否\n", ["bad.csv", "第3行", "底薪", "三千"]),
        (HEADER + "\n小美,王美,,一组,售前,高级,3000,白班,否\n", ["第2行", "店铺"]),
        (HEADER + "\n悦享旗舰店:小美,王美,,一组,售前,高级,3000,白班,否\n"
                  "悦享旗舰店:小美,王美,,一组,售前,高级,3000,白班,否\n", ["第3行", "重复"]),
        (HEADER + "\n悦享旗舰店:小美,王美,,一组,售前,特级,3000,白班,也许\n", ["级别", "特级", "排除", "也许"]),
    ],
)
def test_bad_roster_names_file_row_column_and_writes_nothing(db, tmp_path, text, fragments):
    import_roster(db, write_text(tmp_path, "ok.csv", "账号,姓名\n悦享旗舰店:老员工,钱一\n"))
    before = stored(db)
    with pytest.raises(RosterError) as raised:
        import_roster(db, write_text(tmp_path, "bad.csv", text))
    for fragment in fragments:
        assert fragment in str(raised.value)
    assert stored(db) == before


def test_split_account_uses_the_last_colon():
    assert split_account("天猫:悦享旗舰店:小美") == ("天猫:悦享旗舰店", "小美")
    assert split_account("悦享旗舰店：小美", "别的店") == ("悦享旗舰店", "小美")
    assert split_account("小美", "好物优选店") == ("好物优选店", "小美")


def test_save_roster_frame_replaces_the_table_and_validates(db, tmp_path):
    import_roster(db, write_text(tmp_path, "r.csv", ROSTER_CSV))
    edited = roster_frame(db)
    edited = edited[edited["account"] != "机器人"].copy()
    edited.loc[edited["account"] == "阿强", "team"] = "售后二组"
    edited.loc[edited["account"] == "阿强", "base_salary"] = float("nan")
    assert save_roster_frame(db, edited, user="boss") == 4
    assert db.rows("SELECT team, base_salary FROM roster WHERE account = '阿强'") == [("售后二组", None)]
    assert db.scalar("SELECT count(*) FROM roster WHERE account = '机器人'") == 0

    before = stored(db)
    broken = roster_frame(db)
    broken.loc[0, "role"] = "保安"
    with pytest.raises(RosterError, match="第1行.*岗位"):
        save_roster_frame(db, broken)
    assert stored(db) == before


def test_bind_account_takes_over_the_persons_team_role_level_shift(db, tmp_path):
    import_roster(db, write_text(tmp_path, "r.csv", ROSTER_CSV))
    bind_account(db, "潮玩抖音小店", "美美", "王美", user="boss")
    bind_account(db, "潮玩抖音小店", "新号", "周新", team="售后组", role="售后")
    assert db.rows(
        "SELECT account, name, team, role, level, base_salary, shift FROM roster "
        "WHERE shop = '潮玩抖音小店' ORDER BY account"
    ) == [
        ("新号", "周新", "售后组", "aftersales", None, None, None),
        ("美美", "王美", "售前一组", "presales", "senior", None, "白班"),
    ]
    with pytest.raises(RosterError, match="岗位"):
        bind_account(db, "潮玩抖音小店", "x", "某人", role="保安")


def test_unmatched_accounts_are_current_fact_accounts_missing_from_the_roster(db, tmp_path):
    import_roster(db, write_text(tmp_path, "r.csv", ROSTER_CSV))
    add_facts(db, [
        ("悦享旗舰店", "小美", date(2026, 10, 1), 30),
        ("悦享旗舰店", "陌生", date(2026, 10, 1), 5),
        ("悦享旗舰店", "陌生", date(2026, 10, 3), 7),
        ("好物优选店", "路人", date(2026, 10, 2), 20),
    ])
    found = queries.unmatched_accounts(db)
    assert [tuple(r) for r in found.itertuples(index=False)] == [
        ("好物优选店", "路人", pd.Timestamp("2026-10-02"), pd.Timestamp("2026-10-02"), 20.0),
        ("悦享旗舰店", "陌生", pd.Timestamp("2026-10-01"), pd.Timestamp("2026-10-03"), 12.0),
    ]
    bind_account(db, "好物优选店", "路人", "李娜")
    assert list(queries.unmatched_accounts(db)["account"]) == ["陌生"]


def test_level_pay(db):
    set_level_pay(db, "中级", "2,800", user="boss")
    set_level_pay(db, "junior", 2000)
    set_level_pay(db, "MID", 3000)
    set_level_pay(db, "实习", 0)
    assert [tuple(r) for r in level_pay_frame(db).itertuples(index=False)] == [
        ("trainee", 0.0), ("junior", 2000.0), ("mid", 3000.0)]
    with pytest.raises(RosterError, match="级别.*实习/初级/中级/高级/VIP"):
        set_level_pay(db, "特级", 5000)
    with pytest.raises(RosterError, match="底薪"):
        set_level_pay(db, "senior", -1)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2026-10", date(2026, 10, 1)),
        ("2026年10月", date(2026, 10, 1)),
        ("2026/9/15", date(2026, 9, 1)),
        ("2026-10-31 00:00:00", date(2026, 10, 1)),
        ("202611", date(2026, 11, 1)),
        (datetime(2026, 12, 5, 8, 30), date(2026, 12, 1)),
        (46296.0, date(2026, 10, 1)),
    ],
)
def test_parse_month(value, expected):
    assert parse_month(value) == expected


def test_parse_month_rejects_nonsense():
    for bad in ("十月", "2026-13", ""):
        with pytest.raises(RosterError, match="月份"):
            parse_month(bad)


def test_qa_by_account_and_by_name(db, tmp_path):
    import_roster(db, write_text(tmp_path, "r.csv", ROSTER_CSV))
    path = write_xlsx(tmp_path, "质检.xlsx", [
        ["账号", "姓名", "月份", "质检分"],
        ["悦享旗舰店:小美", "", "2026年10月", 92],
        ["", "李娜", datetime(2026, 10, 20), 85.5],
        ["阿强", "", "2026-10", "78"],
    ])
    result = import_qa(db, path, user="主管")
    assert (result.rows, result.scores) == (3, 4)
    assert result.summary() == "✓ 质检.xlsx: 3 行，记入 4 个账号的月度评分 — 3 rows: 4 account-month scores stored"
    assert db.rows("SELECT shop, account, month, qa_score, entered_by FROM qa_scores ORDER BY qa_score") == [
        ("悦享旗舰店", "阿强", date(2026, 10, 1), 78.0, "主管"),
        ("好物优选店", "娜娜", date(2026, 10, 1), 85.5, "主管"),
        ("悦享旗舰店", "娜娜", date(2026, 10, 1), 85.5, "主管"),
        ("悦享旗舰店", "小美", date(2026, 10, 1), 92.0, "主管"),
    ]


def test_the_vip_scores_come_beside_the_qa_score_and_a_blank_keeps_what_was_stored(db, tmp_path):
    import_roster(db, write_text(tmp_path, "r.csv", ROSTER_CSV))
    set_qa(db, "悦享旗舰店", "阿强", "2026-10", 60, metric="data_completeness")
    import_qa(db, write_text(tmp_path, "vip.csv", "账号,月份,质检分,会员维护分,资料完整度\n"
                                                  "悦享旗舰店:小美,2026-10,92,88,\n悦享旗舰店:阿强,2026-10,,75,\n"))
    got = qa_frame(db, "2026-10").set_index("account").loc[["小美", "阿强"]]
    assert got[["qa_score", "member_care", "data_completeness"]].fillna(-1).values.tolist() == [
        [92, 88, -1], [-1, 75, 60]]  # 阿强's data completeness entered earlier stays
    only_care = write_text(tmp_path, "care.csv", "账号,月份,会员维护\n悦享旗舰店:小美,2026-10,90\n")
    assert import_qa(db, only_care).scores == 1
    assert db.rows("SELECT qa_score, member_care FROM qa_scores WHERE account = '小美'") == [(92.0, 90.0)]
    with pytest.raises(RosterError, match="第2行.*没有填写分数"):
        import_qa(db, write_text(tmp_path, "blank.csv", "账号,月份,质检分,会员维护分\n悦享旗舰店:小美,2026-10,,\n"))
    with pytest.raises(RosterError, match="会员维护分.*0–100"):
        set_qa(db, "悦享旗舰店", "小美", "2026-10", 101, metric="member_care")
    with pytest.raises(ValueError, match="manual score"):
        set_qa(db, "悦享旗舰店", "小美", "2026-10", 50, metric="sales")


@pytest.mark.parametrize(
    "text, fragments",
    [
        ("账号,月份,质检分\n悦享旗舰店:小美,2026-10,92\n悦享旗舰店:阿强,2026-10,105\n", ["qa.csv", "第3行", "质检分", "105"]),
        ("账号,月份,质检分\n悦享旗舰店:小美,十月,92\n", ["第2行", "月份", "十月"]),
        ("姓名,月份,质检分\n无名氏,2026-10,90\n", ["第2行", "无名氏"]),
        ("账号,月份,质检分\n娜娜,2026-10,90\n", ["第2行", "多个店铺"]),
        ("账号,质检分\n悦享旗舰店:小美,92\n", ["qa.csv", "月份"]),
        ("月份,质检分\n2026-10,92\n", ["qa.csv", "账号或姓名"]),
        # a typo in the shop or the account with its shop: an orphan score, the real agent's left empty
        ("账号,月份,质检分\n悦享旗航店:小美,2026-10,92\n",
         ["第2行", ("账号“悦享旗航店:小美”不在花名册中，也不在已导入的数据中（悦享旗舰店 有这个账号） — unknown account "
                   "(悦享旗舰店 has it)")]),
        ("账号,店铺,月份,质检分\n小美美,悦享旗舰店,2026-10,92\n", ["第2行", "账号“悦享旗舰店:小美美”不在花名册中"]),
    ],
)
def test_bad_qa_names_the_row_and_writes_nothing(db, tmp_path, text, fragments):
    import_roster(db, write_text(tmp_path, "r.csv", ROSTER_CSV))
    with pytest.raises(RosterError) as raised:
        import_qa(db, write_text(tmp_path, "qa.csv", text))
    for fragment in fragments:
        assert fragment in str(raised.value)
    assert db.scalar("SELECT count(*) FROM qa_scores") == 0


def test_qa_for_an_account_of_a_named_shop_takes_one_known_from_the_roster_or_the_data(db, tmp_path):
    import_roster(db, write_text(tmp_path, "r.csv", ROSTER_CSV))
    add_facts(db, [("潮玩抖音小店", "新号", date(2026, 10, 3), 40)])  # imported, not yet rostered
    result = import_qa(db, write_text(tmp_path, "qa.csv", "账号,店铺,月份,质检分\n新号,潮玩抖音小店,2026-10,88\n"
                                                         "悦享旗舰店:小美,,2026-10,92\n"))
    assert result.scores == 2
    with pytest.raises(RosterError, match="第2行.*账号“潮玩抖音小店:小美”不在花名册中，也不在已导入的数据中"):
        import_qa(db, write_text(tmp_path, "qa.csv", "账号,店铺,月份,质检分\n小美,潮玩抖音小店,2026-10,88\n"))


def test_set_qa_and_qa_frame(db, tmp_path):
    import_roster(db, write_text(tmp_path, "r.csv", ROSTER_CSV))
    set_qa(db, "悦享旗舰店", "小美", "2026-10", 90, user="主管")
    set_qa(db, "悦享旗舰店", "小美", date(2026, 10, 9), 95, user="主管")
    set_qa(db, "悦享旗舰店", "小美", "2026-11", 70)
    with pytest.raises(RosterError, match="0–100"):
        set_qa(db, "悦享旗舰店", "小美", "2026-10", -5)
    frame = qa_frame(db, "2026年10月")
    assert list(zip(frame["shop"], frame["account"], frame["qa_score"].fillna(-1))) == [
        ("好物优选店", "娜娜", -1),
        ("悦享旗舰店", "娜娜", -1),
        ("悦享旗舰店", "小美", 95.0),
        ("悦享旗舰店", "阿强", -1),
    ]
    assert set(frame["month"]) == {pd.Timestamp("2026-10-01")}


def test_the_qa_table_of_a_past_month_shows_each_account_as_it_was_then(db):
    from csperf.roster import record_change

    save_roster_frame(db, pd.DataFrame({"店铺": ["店", "店"], "账号": ["a", "b"], "团队": ["A组", "A组"]}))
    record_change(db, "店", "a", "2026-10-15", {"team": "B组"})
    record_change(db, "店", "b", "2026-11-01", {"excluded": True})  # left at the end of October
    october = qa_frame(db, "2026-10")
    assert list(zip(october["account"], october["team"])) == [("b", "A组"), ("a", "B组")]  # by team
    september = qa_frame(db, "2026-09")
    assert list(zip(september["account"], september["team"])) == [("a", "A组"), ("b", "A组")]
    assert qa_frame(db, "2026-11")["account"].tolist() == ["a"]


def cells_of(frame: pd.DataFrame) -> list[list]:
    """A frame's rows with None for each missing value."""
    return frame.astype(object).where(frame.notna(), None).values.tolist()


def dated_roster(tmp_path, db, text: str, name: str = "history.csv"):
    return import_roster(db, write_text(tmp_path, name, text))


def test_a_roster_file_with_effective_dates_records_each_row_as_a_change(tmp_path, db):
    from csperf.roster import changes_frame

    first = dated_roster(tmp_path, db, "店铺,账号,姓名,团队,底薪\n店,a,小A,A组,3000\n店,b,小B,A组,3000\n")
    assert first.changes == 0
    history = "店铺,账号,团队,底薪,生效日期\n店,a,B组,4000,2026/7/15\n店,a,C组,4500,2026年9月1日\n店,b,A组,3000,2026-06-01\n"
    result = dated_roster(tmp_path, db, history)
    assert (result.rows, result.inserted, result.updated, result.changes) == (2, 0, 0, 2)
    assert "记录变更 2 条（从生效日期起）" in result.summary() and "未使用的列" not in result.summary()
    spans = changes_frame(db)
    assert cells_of(spans[["account", "valid_from", "valid_to", "team", "base_salary"]]) == [
        ["a", None, "2026-07-14", "A组", 3000], ["a", "2026-07-15", "2026-08-31", "B组", 4000],
        ["a", "2026-09-01", None, "C组", 4500]]
    assert roster_frame(db).set_index("account").loc["a", "team"] == "C组"
    again = dated_roster(tmp_path, db, history)  # the same history imported again changes nothing
    assert again.changes == 0 and changes_frame(db).equals(spans)


def test_a_change_dated_before_a_recorded_one_is_refused_and_nothing_is_written(tmp_path, db):
    from csperf.roster import changes_frame

    dated_roster(tmp_path, db, "店铺,账号,团队\n店,a,A组\n店,b,A组\n")
    dated_roster(tmp_path, db, "店铺,账号,团队,生效日期\n店,a,B组,2026-07-15\n")
    with pytest.raises(RosterError) as refused:
        dated_roster(tmp_path, db, "店铺,账号,团队,生效日期\n店,b,C组,2026-08-01\n店,a,D组,2026-07-01\n")
    assert "history.csv 第3行" in str(refused.value) and "已记录 2026-07-15 起的变更" in str(refused.value)
    assert changes_frame(db)["account"].tolist() == ["a", "a"]  # b's change went back with the file
    with pytest.raises(RosterError, match="第2行“生效日期”列：无法识别的日期“2026-02-30”"):
        dated_roster(tmp_path, db, "店铺,账号,团队,生效日期\n店,a,B组,2026-02-30\n")
    with pytest.raises(RosterError, match="（生效日期 2026-08-01） 与第2行重复"):
        dated_roster(tmp_path, db, "店铺,账号,团队,生效日期\n店,a,B组,2026-08-01\n店,a,C组,2026-08-01\n")


def test_a_new_accounts_first_dated_row_is_its_state_from_the_beginning(tmp_path, db):
    dated_roster(tmp_path, db, "店铺,账号,团队,生效日期\n店,a,A组,2026-07-01\n店,a,B组,2026-08-01\n")
    load_days(db, "店", "a", [date(2026, 6, 30), date(2026, 7, 31), date(2026, 8, 1)])
    teams = queries.kpi_table(db, "2026-06-01", "2026-08-31", by="day", team="A组")["day"].tolist()
    assert [d.date() for d in pd.to_datetime(teams)] == [date(2026, 6, 30), date(2026, 7, 31)]


def load_days(db, shop, account, days):
    frame = pd.DataFrame({"shop": shop, "account": account, "date_from": days, "date_to": days,
                          "provisional": False, "receptions": 1.0})
    db.apply_import(ImportMeta("f.xlsx", f"sha-{account}-{days[0]}", "generic"), frame)


def test_a_recorded_change_is_checked_undone_and_kept_by_the_editor(db):
    from csperf.roster import changes_frame, parse_day, record_change, undo_change

    save_roster_frame(db, pd.DataFrame({"店铺": ["店", "店"], "账号": ["a", "b"], "团队": ["A组", "A组"]}))
    with pytest.raises(RosterError, match="不在花名册中"):
        record_change(db, "店", "nobody", "2026-07-01", {"team": "B组"})
    with pytest.raises(RosterError, match="没有要变更的内容"):
        record_change(db, "店", "a", "2026-07-01", {})
    with pytest.raises(RosterError, match="未知值“客服”"):
        record_change(db, "店", "a", "2026-07-01", {"role": "客服"})
    assert record_change(db, "店", "a", "2026-07-01", {"team": "A组"}) is None  # already so
    said = record_change(db, "店", "a", "2026-07-01", {"team": "B组", "excluded": True}, user="sup")
    assert said == ("店:a 自 2026-07-01 起：团队 A组 → B组，排除 否 → 是 — 店:a from 2026-07-01: team A组 → B组, "
                    "excluded no → yes")
    edited = roster_frame(db)
    edited["name"] = edited["account"].map({"a": "小A", "b": "小B"})  # a correction of the state in force keeps the change
    save_roster_frame(db, edited)
    assert cells_of(changes_frame(db)[["valid_to", "name", "team"]]) == [
        ["2026-06-30", None, "A组"], [None, "小A", "B组"]]
    assert "2026-07-01 起的变更已撤销" in undo_change(db, "店", "a")
    assert changes_frame(db).empty and roster_frame(db).set_index("account").loc["a", "team"] == "A组"
    with pytest.raises(RosterError, match="没有记录过变更"):
        undo_change(db, "店", "a")
    record_change(db, "店", "b", "2026-07-01", {"team": "B组"})
    save_roster_frame(db, roster_frame(db).iloc[:1])  # b deleted: its recorded states go with it
    assert changes_frame(db).empty and db.scalar("SELECT count(*) FROM roster_past") == 0
    assert [parse_day(v) for v in ("2026-07-01", "2026/7/1", "2026年7月1日", "20260701", 46204,
                                   datetime(2026, 7, 1, 9))] == [date(2026, 7, 1)] * 6


def test_a_renamed_shop_keeps_its_history_roster_scores_targets_and_users(db):
    from conftest import populate

    from csperf import auth, schemes, targets
    from csperf.roster import rename

    populate(db)
    set_qa(db, "旗舰店", "小美", "2026-10", 95)
    targets.set_target(db, "sales", "2026-10", 100_000, shop="旗舰店")
    schemes.ensure_presets(db)
    schemes.assign_scheme(db, "presales", "售前标准方案", "2026-10-01", shop="旗舰店")
    before = queries.agent_kpis(db, "2026-10-01", "2026-10-31").set_index(["shop", "agent"])
    said = rename(db, "旗舰店", "官方旗舰店", user="owner")
    assert said.startswith("旗舰店 已改名为 官方旗舰店：") and "4 个花名册账号随之改名" in said
    after = queries.agent_kpis(db, "2026-10-01", "2026-10-31").set_index(["shop", "agent"])
    assert sorted(after.index.get_level_values("shop").unique()) == ["官方旗舰店", "拼多多店"]
    moved = after.loc["官方旗舰店"]
    pd.testing.assert_series_equal(moved["sales"], before.loc["旗舰店"]["sales"])  # the same figures, the new name
    assert moved.loc["小美", "team"] == "A组" and moved.loc["小美", "qa_score"] == 95
    assert queries.scope_targets(db, "2026-10-01", "2026-10-31")["shop"].tolist() == ["官方旗舰店"]
    assert auth.user_by_name(db, "xiaomei").shop == "官方旗舰店"
    assert db.scalar("SELECT count(*) FROM scheme_assignments WHERE shop = '官方旗舰店'") == 1
    assert db.scalar("SELECT detail FROM audit WHERE action = 'rename'").startswith("旗舰店 → 官方旗舰店")


def test_a_renamed_account_continues_in_the_files_under_its_new_name(db):
    """Files under the new name came in before the rename was recorded: both halves of the
    history join, and a day both hold counts once (the later import)."""
    from csperf.roster import rename

    load_days(db, "店", "old", [date(2026, 9, 29), date(2026, 9, 30)])
    load_days(db, "店", "new", [date(2026, 9, 30), date(2026, 10, 1)])
    with db.write() as cur:
        cur.execute("INSERT INTO roster (shop, account, name, team) VALUES ('店', 'old', '王美', 'A组')")
    said = rename(db, "店:old", "new")
    assert said == ("店:old 已改名为 店:new：2 行数据、1 个花名册账号随之改名 — "
                    "店:old renamed 店:new: 2 rows of figures and 1 roster account moved")
    rows = queries.agent_kpis(db, "2026-09-01", "2026-10-31")
    assert rows[["agent", "name", "team", "receptions", "days"]].values.tolist() == [["new", "王美", "A组", 3.0, 3]]


def test_a_rename_onto_a_name_holding_the_same_records_is_refused_and_changes_nothing(db):
    from csperf.roster import rename

    load_days(db, "店", "a", [date(2026, 10, 1)])
    load_days(db, "店", "b", [date(2026, 10, 2)])
    for account in ("a", "b"):
        set_qa(db, "店", account, "2026-10", 90)
    with db.write() as cur:
        cur.execute("INSERT INTO roster (shop, account) VALUES ('店', 'a'), ('店', 'b')")
    with pytest.raises(RosterError) as refused:
        rename(db, "店:a", "店：b")
    assert str(refused.value).endswith("nothing renamed: roster: b; qa_scores: 2026-10-01")
    assert sorted(queries.agent_kpis(db, "2026-10-01", "2026-10-31")["agent"]) == ["a", "b"]
    for old, new, message in (("店", "店", "相同"), ("店", "新店:a", "店铺只能改成店铺名"), ("无此店", "新店", "没有“无此店”"),
                              ("店:a", "店:", "为空")):
        with pytest.raises(RosterError, match=message):
            rename(db, old, new)


def test_a_renamed_account_with_sessions_under_both_names_on_one_day_counts_each_session_once(tmp_path, db):
    from csperf import importer
    from csperf.roster import rename

    header = "会话ID,客服,开始时间,首次响应(秒),是否回复"
    for name, account, ids in (("old.csv", "old", (1, 2)), ("new.csv", "new", (3,))):
        lines = [header, *(f"S{i},店:{account},2026-10-05 09:0{i}:00,10,是" for i in ids)]
        (tmp_path / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        importer.import_file(db, tmp_path / name)
    rename(db, "店:old", "new")
    day = queries.agent_kpis(db, "2026-10-05", "2026-10-05")
    assert day[["agent", "receptions"]].values.tolist() == [["new", 3.0]]  # 2 + 1, folded again as one day
    assert db.scalar("SELECT count(*) FROM sessions WHERE account = 'new'") == 3
