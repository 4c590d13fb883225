"""The command line as scripts use it: real files in, canonical CSV/JSON out, clear failures."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pandas as pd
import pytest
from conftest import held_by_another_process

from csperf import cli, schemes
from csperf.db import Database, close_all, resolve_path

PDD_HEADER = ["序号", "客服账号", "咨询人数", "询单人数", "最终成团人数", "询单转化率", "客服销售额",
              "人工接待人数", "3分钟人工回复率", "平均人工响应时长"]


def pdd_csv(path, rows, encoding="utf-8-sig"):
    """A Pinduoduo 客服绩效 export with a 总计 row, as the console writes it."""
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(PDD_HEADER)
        for i, (account, inquiries, paid, sales) in enumerate(rows, start=1):
            writer.writerow([i, f"拼多多店:{account}", inquiries + 10, inquiries, paid,
                             f"{paid / inquiries * 100:.2f}%", f"{sales:,.2f}", inquiries + 5, "95.00%", "9秒"])
        writer.writerow(["总计", "", "", sum(r[1] for r in rows), sum(r[2] for r in rows), "", "", "", "", ""])
    return path


@pytest.fixture
def cli_db(tmp_path, monkeypatch):
    path = tmp_path / "cli.duckdb"
    monkeypatch.setenv("CSPERF_DB", str(path))
    monkeypatch.setenv("CSPERF_INBOX", str(tmp_path / "inbox"))
    close_all()
    yield path
    close_all()


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def csv_rows(out: str) -> list[dict]:
    """`--format csv` output to a pipe or captured: plain CSV, no BOM for the next program."""
    assert not out.startswith("\ufeff"), out[:20]
    return list(csv.DictReader(io.StringIO(out)))


def test_kpis_of_the_shops_own_figures_stay_apart_from_the_agents(cli_db, tmp_path, capsys):
    agents = pdd_csv(tmp_path / "拼多多客服绩效_2026-10-01_2026-10-01.csv", [("阿强", 100, 30, 6000)])
    shop = tmp_path / "生意参谋_客服销售.csv"
    shop.write_text("日期,询单人数,最终付款人数,最终付款金额\n2026-10-01,400,100,20000\n2026-10-02,600,150,30000\n"
                    "汇总,1000,250,50000\n", encoding="utf-8-sig")
    code, _, err = run(capsys, "import", str(agents), str(shop), "--shop", "拼多多店", "--quiet")
    assert code == 0, err
    code, out, _ = run(capsys, "kpis", "--from", "2026-10-01", "--to", "2026-10-31", "--by", "shop",
                       "--shop-level", "--format", "csv")
    assert code == 0
    (row,) = csv_rows(out)
    assert (row["shop"], float(row["sales"]), float(row["conversion_rate"])) == ("拼多多店", 50000, 0.25)
    code, out, _ = run(capsys, "kpis", "--from", "2026-10-01", "--to", "2026-10-31", "--by", "total", "--format", "csv")
    assert float(csv_rows(out)[0]["sales"]) == 6000  # the agents' own
    code, _, err = run(capsys, "kpis", "--shop-level", "--by", "team", "--from", "2026-10-01", "--to", "2026-10-31")
    assert code == cli.EXIT_BAD_INPUT and "--shop-level" in err


def test_import_kpis_and_undo(cli_db, tmp_path, capsys):
    day1 = pdd_csv(tmp_path / "拼多多客服绩效_2026-10-01_2026-10-01.csv", [("阿强", 438, 162, 20000), ("小红", 100, 20, 3000)])
    day2 = pdd_csv(tmp_path / "拼多多客服绩效_2026-10-02_2026-10-02.csv", [("阿强", 62, 8, 1000)], encoding="gb18030")
    code, out, err = run(capsys, "import", str(day1), str(day2), "--quiet")
    assert code == 0, err
    code, out, _ = run(capsys, "kpis", "--from", "2026-10-01", "--to", "2026-10-31", "--format", "csv")
    assert code == 0
    rows = {r["agent"]: r for r in csv_rows(out)}
    assert list(csv_rows(out)[0])[:4] == ["agent", "shop", "team", "role"]
    assert rows["阿强"]["shop"] == "拼多多店"
    assert float(rows["阿强"]["conversion_rate"]) == pytest.approx(170 / 500)  # pooled over both days
    assert float(rows["阿强"]["conversion_rate_n"]) == 500
    assert float(rows["阿强"]["sales"]) == pytest.approx(21000)
    code, out, _ = run(capsys, "kpis", "--from", "2026-10-01", "--to", "2026-10-31")
    assert "34.0% · 500 询单" in out and "¥21,000.00" in out  # the table reads as the dashboard does

    code, out, _ = run(capsys, "imports", "--format", "json")
    history = json.loads(out)
    assert len(history) == 2 and {h["format"] for h in history} == {history[0]["format"]}
    second = max(h["import_id"] for h in history)
    code, out, _ = run(capsys, "undo", str(second))
    assert code == 0 and "撤销" in out
    code, out, _ = run(capsys, "kpis", "--from", "2026-10-01", "--to", "2026-10-31", "--format", "json")
    after = {r["agent"]: r for r in json.loads(out)}
    assert after["阿强"]["conversion_rate"] == pytest.approx(162 / 438)


def test_reimport_is_a_no_op(cli_db, tmp_path, capsys):
    day = pdd_csv(tmp_path / "拼多多客服绩效_2026-10-01_2026-10-01.csv", [("阿强", 10, 5, 100)])
    assert run(capsys, "import", str(day), "--quiet")[0] == 0
    code, out, _ = run(capsys, "import", str(day), "--quiet")
    assert code == 0 and "未重复导入" in out and "csperf undo" not in out  # a script run again: nothing to undo
    code, out, _ = run(capsys, "imports", "--format", "json")
    assert len(json.loads(out)) == 1


def test_a_file_imported_again_with_corrected_options_names_the_undo_that_lets_them_apply(cli_db, tmp_path, capsys):
    export = tmp_path / "no_shop.csv"
    export.write_text("客服,接待人数\n小王,10\n", encoding="utf-8")
    assert run(capsys, "import", str(export), "--from", "2026-10-05", "--quiet")[0] == 0  # lands in 默认店铺
    code, out, _ = run(capsys, "import", str(export), "--shop", "旗舰店", "--from", "2026-10-05", "--quiet")
    assert code == 0 and "与导入 #1 内容相同" in out
    assert "若要按这次的 --shop/--from 重新导入，请先撤销: csperf undo 1" in out and "undo it first" in out
    assert run(capsys, "undo", "1")[0] == 0
    code, out, _ = run(capsys, "import", str(export), "--shop", "旗舰店", "--from", "2026-10-05", "--quiet")
    assert code == 0 and "导入 #2" in out and "旗舰店" in out


def test_undo_of_no_import_or_of_one_undone_says_so_in_both_languages(cli_db, tmp_path, capsys):
    day = pdd_csv(tmp_path / "拼多多客服绩效_2026-10-01_2026-10-01.csv", [("阿强", 10, 5, 100)])
    assert run(capsys, "import", str(day), "--quiet")[0] == 0
    code, _, err = run(capsys, "undo", "999")
    assert code == cli.EXIT_BAD_INPUT and err == "错误: 没有导入 #999 (csperf imports 列出全部) — no import #999 (csperf imports lists them)\n"
    assert run(capsys, "undo", "1")[0] == 0
    code, _, err = run(capsys, "undo", "1")
    assert code == cli.EXIT_BAD_INPUT and err == "错误: 导入 #1 已经撤销过 — import #1 was already undone\n"


def test_a_folder_given_to_import_stands_for_the_spreadsheets_in_it(cli_db, tmp_path, capsys):
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    pdd_csv(downloads / "拼多多客服绩效_2026-10-01_2026-10-01.csv", [("阿强", 10, 5, 100)])
    pdd_csv(downloads / "拼多多客服绩效_2026-10-02_2026-10-02.csv", [("阿强", 20, 5, 100)])
    (downloads / "说明.txt").write_text("not an export", encoding="utf-8")
    (downloads / "~$拼多多客服绩效.csv").write_text("an Office lock file", encoding="utf-8")
    code, out, err = run(capsys, "import", str(downloads), "--quiet")
    assert code == 0, err
    assert "导入 #1" in out and "导入 #2" in out and "说明.txt" not in out + err
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run(capsys, "import", str(empty))
    assert code == cli.EXIT_BAD_INPUT and f"文件夹 {empty} 里没有 .xlsx/.xls/.csv 文件" in err


@pytest.mark.parametrize("command", ["kpis", "score"])
def test_a_period_that_ends_before_it_starts_is_refused(cli_db, tmp_path, capsys, command):
    day = pdd_csv(tmp_path / "拼多多客服绩效_2026-10-01_2026-10-01.csv", [("阿强", 10, 5, 100)])
    assert run(capsys, "import", str(day), "--quiet")[0] == 0
    code, out, err = run(capsys, command, "--from", "2026-09-30", "--to", "2026-09-01")
    assert code == cli.EXIT_BAD_INPUT and "--from 2026-09-30 晚于 --to 2026-09-01 — --from is after --to" in err
    assert out == ""


def test_roster_and_qa_imports_are_summed_up_in_both_languages(cli_db, tmp_path, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text("账号,姓名,店铺\n拼多多店:阿强,张强,\n", encoding="utf-8")
    code, out, _ = run(capsys, "roster", str(roster))
    assert code == 0 and out == "✓ roster.csv: 花名册 1 个账号（新增 1，更新 0），1 人 — roster: 1 accounts (1 new, 0 updated), 1 people\n"
    qa = tmp_path / "qa.csv"
    qa.write_text("账号,月份,质检分\n拼多多店:阿强,2026-10,90\n", encoding="utf-8")
    code, out, _ = run(capsys, "qa", str(qa))
    assert code == 0 and out == "✓ qa.csv: 1 行，记入 1 个账号的月度评分 — 1 rows: 1 account-month scores stored\n"


def test_a_team_move_is_recorded_from_a_date_listed_and_taken_back(cli_db, tmp_path, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text("店铺,账号,姓名,团队,底薪\n拼多多店,阿强,张强,一组,3000\n", encoding="utf-8")
    run(capsys, "roster", str(roster))
    code, out, _ = run(capsys, "roster", "--change", "拼多多店:阿强", "--from", "2026-07-01", "--team", "二组",
                       "--base", "3500")
    assert code == 0 and out.startswith("✓ 拼多多店:阿强 自 2026-07-01 起：团队 一组 → 二组，底薪 3000 → 3500")
    code, out, _ = run(capsys, "roster", "--history", "--format", "csv")
    assert [(r["valid_from"], r["valid_to"], r["team"]) for r in csv_rows(out)] == [
        ("", "2026-06-30", "一组"), ("2026-07-01", "", "二组")]
    code, _, err = run(capsys, "roster", "--change", "拼多多店:阿强", "--team", "三组")
    assert code != 0 and "--from" in err
    code, _, err = run(capsys, "roster", "--team", "三组")
    assert code != 0 and "--change" in err
    code, out, _ = run(capsys, "roster", "--undo-change", "拼多多店:阿强")
    assert code == 0 and "2026-07-01 起的变更已撤销" in out
    code, _, err = run(capsys, "roster", "--undo-change", "拼多多店:阿强")
    assert code != 0 and "没有记录过变更" in err and "Traceback" not in err


def test_a_renamed_shop_is_renamed_from_the_command_line_and_a_clash_is_refused(cli_db, tmp_path, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text("店铺,账号,姓名,团队\n拼多多店,阿强,张强,一组\n拼多多店,阿美,王美,一组\n", encoding="utf-8")
    run(capsys, "roster", str(roster))
    code, out, _ = run(capsys, "roster", "--rename", "拼多多店", "拼多多旗舰店")
    assert code == 0 and out.startswith("✓ 拼多多店 已改名为 拼多多旗舰店：0 行数据、2 个花名册账号随之改名")
    code, _, err = run(capsys, "roster", "--rename", "拼多多旗舰店:阿强", "阿美")
    assert code != 0 and "nothing renamed: roster: 阿美" in err and "Traceback" not in err
    code, out, _ = run(capsys, "roster", "--format", "csv")
    assert [(r["shop"], r["account"]) for r in csv_rows(out)] == [("拼多多旗舰店", "阿强"), ("拼多多旗舰店", "阿美")]


def test_a_bad_file_is_refused_with_its_name_and_no_traceback(cli_db, tmp_path, capsys):
    junk = tmp_path / "not-an-export.xlsx"
    junk.write_bytes(b"this is not a workbook")
    code, out, err = run(capsys, "import", str(junk), "--quiet")
    assert code == cli.EXIT_BAD_INPUT
    assert "not-an-export.xlsx" in err and "Traceback" not in err
    assert Database(resolve_path()).scalar("SELECT count(*) FROM imports") == 0


def test_import_check_shows_how_each_column_reads_and_stores_nothing(cli_db, tmp_path, capsys):
    export = tmp_path / "进线统计_2026-10-01至2026-10-31.csv"
    export.write_text("工号,进线量,成交数\n007,10,3\n", encoding="utf-8")
    code, out, err = run(capsys, "import", "--check", str(export))
    assert code == cli.EXIT_BAD_INPUT and "没有可识别的列" in out and "--map" in err
    assert "  工号 = account (客服账号)   e.g. 007" in out and "  进线量 = ? 未识别" in out
    code, out, _ = run(capsys, "import", "--check", str(export), "--map", "agent=工号,receptions=进线量")
    assert code == 0 and "2026-10-01 ~ 2026-10-31 · 1 行" in out
    assert "  进线量 = receptions (接待人数)" in out and "  成交数 = ? 未识别" in out
    assert Database(resolve_path()).scalar("SELECT count(*) FROM imports") == 0


def test_import_check_and_import_say_when_the_file_overrides_the_period_given(cli_db, tmp_path, capsys):
    day = pdd_csv(tmp_path / "拼多多客服绩效_2026-10-01_2026-10-01.csv", [("阿强", 10, 5, 100)])
    for check in (["--check"], []):
        code, out, _ = run(capsys, "import", *check, str(day), "--from", "2026-10-09", "--to", "2026-10-09", "--quiet")
        assert code == 0 and "2026-10-01" in out and "  ! 文件自带日期，已忽略所填的起止日期" in out


def test_score_uses_the_scheme_assigned_to_each_role(cli_db, tmp_path, capsys):
    day = pdd_csv(tmp_path / "拼多多客服绩效_2026-10-01_2026-10-01.csv", [("阿强", 438, 162, 20000), ("小红", 100, 20, 3000)])
    roster = tmp_path / "roster.csv"
    roster.write_text("账号,姓名,店铺,团队,岗位,级别,底薪\n拼多多店:阿强,阿强,,拼团组,售前,mid,2500\n"
                      "拼多多店:小红,小红,,拼团组,售前,junior,2000\n", encoding="utf-8")
    assert run(capsys, "import", str(day), "--quiet")[0] == 0
    assert run(capsys, "roster", str(roster))[0] == 0
    code, out, err = run(capsys, "score", "--from", "2026-10-01", "--to", "2026-10-31", "--format", "csv")
    assert code == 0, err
    scored = {r["agent"]: r for r in csv_rows(out)}
    assert set(scored) == {"阿强", "小红"}
    columns = list(scored["阿强"])
    assert columns[:6] == ["shop", "agent", "team", "role", "score", "rank"]
    assert columns[-9:] == ["skipped", "coefficient", "bonus", "penalty", "commission", "rank_award", "team_share",
                            "base", "pay"]
    assert "conversion_rate_score" in columns and "qa_score_score" in columns and "qa_score" not in columns
    assert scored["阿强"]["rank"] == "1"  # higher conversion, sales and receptions than 小红
    assert float(scored["阿强"]["base"]) == 2500
    assert float(scored["阿强"]["pay"]) >= 2500
    assert "按月考核" not in err  # October whole
    database = Database(resolve_path())
    rich = schemes.get_scheme(database, "售前标准方案")[0]
    rich.pay.performance_pay += 10000  # a version saved after October: October is still paid with v1
    schemes.save_scheme(database, rich, "more")
    database.close()
    for chosen in ([], ["--scheme", "售前标准方案"]):
        code, again, err = run(capsys, "score", "--from", "2026-10-01", "--to", "2026-10-31", "--format", "csv", *chosen)
        assert code == 0, err
        assert {r["agent"]: r["pay"] for r in csv_rows(again)} == {
            agent: row["pay"] for agent, row in scored.items()}
    code, newer, _ = run(capsys, "score", "--from", "2026-10-01", "--to", "2026-10-31", "--format", "csv",
                         "--scheme", "售前标准方案", "--version", "2")
    assert {r["agent"]: float(r["pay"]) for r in csv_rows(newer)}["阿强"] > float(scored["阿强"]["pay"])
    code, _, err = run(capsys, "score", "--from", "2026-09-15", "--to", "2026-10-14", "--format", "csv")
    assert code == 0 and "注意: 「售前标准方案」按月考核，所选 09-15 ~ 10-14 不是一个整月" in err


def test_scheme_export_import_round_trip(cli_db, tmp_path, capsys):
    code, out, _ = run(capsys, "scheme", "list", "--format", "json")
    names = {s["name"] for s in json.loads(out)}
    assert {"售前标准方案", "售后标准方案"} <= names
    target = tmp_path / "presales.toml"
    assert run(capsys, "scheme", "export", "售前标准方案", "-o", str(target))[0] == 0
    text = target.read_text(encoding="utf-8").replace("weight = 30", "weight = 40", 1)
    target.write_text(text, encoding="utf-8")
    code, out, _ = run(capsys, "scheme", "import", str(target), "--note", "转化权重 40")
    assert code == 0 and "v2" in out
    code, out, _ = run(capsys, "scheme", "show", "售前标准方案", "--version", "1")
    assert "weight = 30" in out
    broken = tmp_path / "broken.toml"
    broken.write_text('name = "x"\n[[kpi]]\nmetric = "nonsense"\nweight = 10\nmethod = "vs_team"\n', encoding="utf-8")
    code, _, err = run(capsys, "scheme", "import", str(broken))
    assert code == cli.EXIT_BAD_INPUT and "nonsense" in err


def test_scheme_import_names_a_metric_that_is_not_text_without_a_traceback(cli_db, tmp_path, capsys):
    listed = tmp_path / "listed.toml"
    listed.write_text('name = "x"\n[[kpi]]\nmetric = ["conversion_rate"]\nweight = 10\n', encoding="utf-8")
    code, _, err = run(capsys, "scheme", "import", str(listed))
    assert code == cli.EXIT_BAD_INPUT and "kpi[0].metric" in err and "must be a KPI name (text)" in err
    assert "Traceback" not in err


def test_import_while_the_dashboard_holds_the_database_goes_to_the_inbox(cli_db, tmp_path, capsys):
    Database(cli_db).close()
    with held_by_another_process(cli_db, tmp_path / "inbox"):
        day = pdd_csv(tmp_path / "拼多多客服绩效_2026-10-01_2026-10-01.csv", [("阿强", 10, 5, 100)])
        code, out, _ = run(capsys, "import", str(day), "--wait", "0")  # this stand-in never imports
        assert code == 0 and "收件箱" in out
        assert [p.name for p in (tmp_path / "inbox").iterdir() if p.is_file() and p.name[0] != "."] == [day.name]
        code, _, err = run(capsys, "kpis", "--from", "2026-10-01", "--to", "2026-10-31")
        assert code == cli.EXIT_BUSY and "另一个进程" in err


def test_files_go_to_the_folder_the_running_dashboard_announced_not_this_shells_inbox(cli_db, tmp_path, capsys):
    from csperf import inbox

    Database(cli_db).close()
    watched = tmp_path / "dashboard-inbox"
    with held_by_another_process(cli_db, watched):
        day = pdd_csv(tmp_path / "拼多多客服绩效_2026-10-01_2026-10-01.csv", [("阿强", 10, 5, 100)])
        code, out, _ = run(capsys, "import", str(day), "--wait", "0")
        assert code == 0 and str(watched) in out
        assert [p.name for p in watched.iterdir() if p.is_file() and p.name[0] != "."] == [day.name]
        assert not any(p.is_file() for p in inbox.inbox_dir().iterdir())  # $CSPERF_INBOX, unwatched: nothing
        code, out, _ = run(capsys, "backup", str(tmp_path / "copy.duckdb"), "--wait", "0")
        assert code == 0 and [p.suffix for p in (watched / "requests").iterdir()] == [".json"]


def test_a_table_reads_dashes_for_missing_text_and_cuts_long_text(capsys):
    frame = pd.DataFrame({"agent": ["阿强", "小美"], "name": [None, "王美"], "undone_at": pd.to_datetime([None, None]),
                          "description": ["短", "长" * 100], "receptions": [10.0, None]})
    cli._emit(frame, "table")
    out = capsys.readouterr().out
    assert "None" not in out and "NaT" not in out and "<NA>" not in out and "—" in out
    assert "长" * (cli.TABLE_TEXT_WIDTH - 1) + "…" in out and "长" * cli.TABLE_TEXT_WIDTH not in out
    assert "NaN" in out.splitlines()[2]  # a number left blank is the formatter's business, not a dash
    cli._emit(frame, "json")
    assert json.loads(capsys.readouterr().out)[1]["description"] == "长" * 100  # files keep every value whole


def test_work_handed_to_the_dashboard_reports_how_it_ended_and_a_failure_exits_with_it(cli_db, tmp_path, capsys):
    """`csperf import` and `backup` while the dashboard runs used to exit 0 on handing the work
    over, though the dashboard then refused the file or could not write the backup."""
    import threading
    import time

    from csperf import inbox

    Database(cli_db).close()
    folder, stop = tmp_path / "inbox", threading.Event()

    def dashboard():  # the watcher's loop, into a database of its own (the held one is busy)
        own = Database(tmp_path / "dashboard.duckdb")
        try:
            while not stop.is_set():
                inbox.process(own, folder, settle_seconds=0)
                time.sleep(0.2)
        finally:
            own.close()

    good = pdd_csv(tmp_path / "拼多多客服绩效_2026-10-01_2026-10-01.csv", [("阿强", 10, 5, 100)])
    bad = tmp_path / "业绩报表.xlsx"
    bad.write_bytes(b"%PDF-1.4 not a workbook")
    with held_by_another_process(cli_db, folder):
        watcher = threading.Thread(target=dashboard, daemon=True)
        watcher.start()
        try:
            code, out, err = run(capsys, "import", str(good), str(bad), "--wait", "30")
            assert code == cli.EXIT_BAD_INPUT, (out, err)
            assert f"✓ {good.name}: 看板已导入" in out and "✗ 业绩报表.xlsx: 没有可识别的列" in err
            (tmp_path / "a-file").write_text("x")
            code, out, err = run(capsys, "backup", str(tmp_path / "a-file" / "y.duckdb"), "--wait", "30")
            assert code == cli.EXIT_BAD_INPUT and "看板没能写出备份" in err
            code, out, err = run(capsys, "backup", str(tmp_path / "copy.duckdb"), "--wait", "30")
            assert code == 0 and "已备份到" in out and (tmp_path / "copy.duckdb").exists()
        finally:
            stop.set()
            watcher.join(10)


def test_a_database_held_by_something_other_than_a_dashboard_is_busy_and_nothing_is_handed_over(cli_db, tmp_path,
                                                                                                  capsys):
    Database(cli_db).close()
    day = pdd_csv(tmp_path / "拼多多客服绩效_2026-10-01_2026-10-01.csv", [("阿强", 10, 5, 100)])
    with held_by_another_process(cli_db, tmp_path / "inbox"):
        pass  # a dashboard served it once: its note beside the database stays
    with held_by_another_process(cli_db):  # now a script holds it, and watches no inbox
        for argv in (["import", str(day)], ["backup", str(tmp_path / "copy.duckdb")]):
            code, out, err = run(capsys, *argv)
            assert code == cli.EXIT_BUSY and "另一个进程" in err and "not a dashboard watching the inbox" in err
            assert "stop the dashboard" not in err  # there is none
            assert "收件箱" not in out
    handed = [p for p in (tmp_path / "inbox").rglob("*") if p.is_file() and p.name[0] != "."]
    assert handed == [] and not (tmp_path / "copy.duckdb").exists()


def test_backup_of_a_database_that_does_not_exist_is_refused_and_creates_nothing(cli_db, tmp_path, capsys):
    typo = tmp_path / "typo.duckdb"
    code, _, err = run(capsys, "--db", str(typo), "backup", str(tmp_path / "copy.duckdb"))
    assert code == cli.EXIT_BAD_INPUT and str(typo) in err and "不存在" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_demo_prints_a_demo_login_that_works(cli_db, capsys, monkeypatch):
    from csperf import auth, demo

    monkeypatch.setattr(demo, "load_demo", lambda database, progress: "演示数据已加载")
    code, out, _ = run(capsys, "demo")
    assert code == 0 and "DEMO ONLY" in out
    user, password = cli.DEMO_LOGIN
    assert f"{user} / 密码 {password}" in out
    database = Database(resolve_path())
    assert auth.authenticate(database, user, password).role == "owner"


def test_a_database_with_real_imports_gets_no_demo_and_no_public_demo_login(cli_db, capsys, monkeypatch, tmp_path):
    from csperf import auth, demo

    monkeypatch.setattr(demo, "load_demo", lambda database, progress: pytest.fail("the demo was loaded"))
    day = pdd_csv(tmp_path / "拼多多客服绩效_2026-10-01_2026-10-01.csv", [("阿强", 438, 162, 20000)])
    assert run(capsys, "import", str(day))[0] == 0
    code, out, _ = run(capsys, "demo", "--if-empty")  # what `make run` does: no users yet, but real figures
    assert code == 0 and "DEMO ONLY" not in out
    assert not auth.has_users(Database(resolve_path()))  # the first visit asks for the owner's password
    code, _, err = run(capsys, "demo")
    assert code != 0 and "已有导入的真实数据" in err


def test_a_path_that_is_no_database_is_named_not_a_traceback(capsys, tmp_path):
    text = tmp_path / "scheme.toml"
    text.write_text("name = 'x'\n", encoding="utf-8")
    for path in (tmp_path, text):  # a folder; another kind of file
        code, _, err = run(capsys, "--db", str(path), "kpis")
        assert code == 2 and "无法打开数据库" in err and "Traceback" not in err
    with pytest.raises(SystemExit):
        cli.main(["imports", "--limit", "-1"])
    assert "应为正整数" in capsys.readouterr().err


def test_demo_shows_its_progress_file_by_file_unless_quiet(cli_db, capsys, monkeypatch):
    from csperf import demo

    def load_demo(database, progress):
        progress(0, 0, "生成演示文件")
        progress(3, 4, "导入 天猫_1.xlsx")
        return "演示数据已加载"

    monkeypatch.setattr(demo, "load_demo", load_demo)
    code, out, err = run(capsys, "demo")
    assert code == 0 and "演示数据已加载" in out
    assert "生成演示文件" in err and "导入 天猫_1.xlsx 3 个文件 75%" in err and err.endswith("\n")
    code, _, err = run(capsys, "demo", "--quiet")
    assert code == 0 and err == ""


def _two_roles(cli_db, tmp_path, capsys, sales=20000):
    """阿强 and 阿明 (pre-sales) and 小红 (after-sales) of one team, imported with a roster."""
    day = pdd_csv(tmp_path / "拼多多客服绩效_2026-10-01_2026-10-01.csv",
                  [("阿强", 438, 162, sales), ("阿明", 200, 40, 5000), ("小红", 100, 20, 3000)])
    roster = tmp_path / "roster.csv"
    roster.write_text("账号,姓名,店铺,团队,岗位,级别,底薪\n拼多多店:阿强,阿强,,拼团组,售前,mid,2500\n"
                      "拼多多店:阿明,阿明,,拼团组,售前,junior,2000\n"
                      "拼多多店:小红,小红,,拼团组,售后,junior,2000\n", encoding="utf-8")
    assert run(capsys, "import", str(day), "--quiet")[0] == 0
    assert run(capsys, "roster", str(roster))[0] == 0


def test_score_and_kpi_tables_name_the_person_behind_each_account(cli_db, tmp_path, capsys):
    _two_roles(cli_db, tmp_path, capsys)
    renamed = tmp_path / "renamed.csv"
    renamed.write_text("账号,姓名,店铺\n拼多多店:阿强,张强,\n", encoding="utf-8")
    assert run(capsys, "roster", str(renamed))[0] == 0
    period = ("--from", "2026-10-01", "--to", "2026-10-31")
    code, out, err = run(capsys, "score", "--scheme", "提成制方案", *period)
    assert code == 0, err
    assert out.split()[:3] == ["shop", "agent", "name"] and "张强" in next(line for line in out.splitlines() if "阿强" in line)
    code, out, _ = run(capsys, "kpis", *period, "--format", "table")
    assert out.split()[:2] == ["agent", "name"] and "张强" in next(line for line in out.splitlines() if "阿强" in line)


def test_score_names_the_scheme_versions_used_and_a_newer_one_left_out(cli_db, tmp_path, capsys):
    _two_roles(cli_db, tmp_path, capsys)
    database = Database(resolve_path())
    schemes.ensure_presets(database)
    richer = schemes.get_scheme(database, "售前标准方案")[0]
    richer.pay.performance_pay += 3000
    schemes.save_scheme(database, richer, "saved after October")
    database.close()
    october = ("--from", "2026-10-01", "--to", "2026-10-31")
    code, out, _ = run(capsys, "score", *october)
    assert code == 0 and out.splitlines()[-1] == (
        "方案: 售前标准方案 v1（较新的 v2 未用于本期，可加 --scheme 售前标准方案 --version 2），售后标准方案 v1 — "
        "schemes used: 售前标准方案 v1 (v2, saved later, not used), 售后标准方案 v1")
    code, out, err = run(capsys, "score", *october, "--format", "csv", "--scheme", "售前标准方案", "--version", "2")
    assert code == 0 and "方案: 售前标准方案 v2 — schemes used: 售前标准方案 v2" in err and "方案" not in out
    scheme_file = tmp_path / "mine.toml"
    scheme_file.write_text(ONE_GROUP, encoding="utf-8")
    code, out, _ = run(capsys, "score", *october, "--scheme", str(scheme_file))
    assert code == 0 and "方案: 全员转化（方案文件） — schemes used: 全员转化 (from a file)" in out


def test_a_scheme_that_is_not_there_is_named_plainly(cli_db, tmp_path, capsys):
    _two_roles(cli_db, tmp_path, capsys)
    code, _, err = run(capsys, "score", "--scheme", str(tmp_path / "missing.toml"))
    assert code == cli.EXIT_BAD_INPUT and err == f"错误: 找不到方案文件 {tmp_path / 'missing.toml'} — scheme file not found\n"
    code, _, err = run(capsys, "score", "--scheme", "没有")
    assert code == cli.EXIT_BAD_INPUT and err == "错误: 没有方案 '没有' — no saved scheme '没有'\n"
    code, _, err = run(capsys, "score", "--scheme", str(tmp_path / "missing.toml"), "--version", "2")
    assert code == cli.EXIT_BAD_INPUT and "a scheme file has none" in err


def test_score_with_a_role_scheme_pays_only_that_roles_agents(cli_db, tmp_path, capsys):
    _two_roles(cli_db, tmp_path, capsys)
    code, out, err = run(capsys, "score", "--scheme", "提成制方案", "--from", "2026-10-01", "--to", "2026-10-31",
                         "--format", "csv")
    assert code == 0, err
    assert [r["agent"] for r in csv_rows(out)] == ["阿强", "阿明"]
    assert "1 个账号的岗位不是 presales" in err and "小红" in err
    code, out, err = run(capsys, "score", "--scheme", "提成制方案", "--role", "aftersales", "--from", "2026-10-01",
                         "--to", "2026-10-31", "--format", "json")
    assert code == 0 and json.loads(out) == [] and "小红" in err


# One comparison group of every agent of every shop and role, with rank awards: a group that
# shrank with a display filter would move scores, ranks and pay.
ONE_GROUP = ('name = "全员转化"\nrole = "all"\ngroup_by = "all"\n[[kpi]]\nmetric = "conversion_rate"\nweight = 1\n'
             'cap = 2\n[pay]\nrank_awards = [500, 300]\n')


def test_score_shop_and_role_pick_rows_without_moving_the_comparison_group(cli_db, tmp_path, capsys):
    _two_roles(cli_db, tmp_path, capsys)  # 拼多多店: 阿强 and 阿明 (pre-sales), 小红 (after-sales)
    other = pdd_csv(tmp_path / "拼多多客服绩效_2026-10-02_2026-10-02.csv", [("阿华", 100, 90, 5000)])
    other.write_text(other.read_text(encoding="utf-8-sig").replace("拼多多店:", "二店:"), encoding="utf-8-sig")
    assert run(capsys, "import", str(other), "--quiet")[0] == 0  # 二店's 阿华: no role, the best conversion
    scheme = tmp_path / "one_group.toml"
    scheme.write_text(ONE_GROUP, encoding="utf-8")
    assert run(capsys, "scheme", "import", str(scheme))[0] == 0
    for role in ("presales", "aftersales", "all"):
        assert run(capsys, "scheme", "assign", "全员转化", "--role", role, "--from", "2026-10-01")[0] == 0

    def score(*options):
        code, out, err = run(capsys, "score", "--from", "2026-10-01", "--to", "2026-10-31", "--format", "json",
                             *options)
        assert code == 0, err
        return {row["agent"]: row for row in json.loads(out)}

    for chosen in (["--scheme", str(scheme)], []):  # the file, or the scheme assigned to every role
        everyone = score(*chosen)
        assert {agent: row["rank"] for agent, row in everyone.items()} == {"阿华": 1, "阿强": 2, "阿明": 3, "小红": 3}
        assert score("--shop", "拼多多店", *chosen) == {agent: everyone[agent] for agent in ("阿强", "阿明", "小红")}
        assert score("--shop", "二店", *chosen) == {"阿华": everyone["阿华"]}
        # as the dashboard's role filter: that role's rows; 阿华 (no role) still counts in the group
        assert score("--role", "presales", *chosen) == {agent: everyone[agent] for agent in ("阿强", "阿明")}


def test_score_writes_money_to_the_cent_and_shows_scores_to_a_tenth(cli_db, tmp_path, capsys):
    _two_roles(cli_db, tmp_path, capsys, sales=12345.67)
    period = ("--from", "2026-10-01", "--to", "2026-10-31")
    code, out, err = run(capsys, "score", "--scheme", "提成制方案", *period, "--format", "json")
    assert code == 0, err
    row = json.loads(out)[0]
    commission = 12345.67 * 0.01 * row["coefficient"]  # the engine's figure: sales × rate × coefficient
    assert commission != round(commission, 2) and row["commission"] == round(commission, 2)
    assert row["pay"] == round(row["pay"], 2)
    assert row["score"] != round(row["score"], 1)  # scores are rounded only when shown
    code, out, _ = run(capsys, "score", "--scheme", "提成制方案", *period, "--format", "csv")
    assert csv_rows(out)[0]["commission"] == str(row["commission"])
    code, out, _ = run(capsys, "score", "--scheme", "提成制方案", *period)
    line = next(line for line in out.splitlines() if "阿强" in line)
    assert f" {row['score']:.1f} " in line and str(row["score"]) not in line
    assert f"¥{row['commission']:,.2f}" in line and f"¥{row['pay']:,.2f}" in line


def test_options_the_inbox_cannot_carry_are_refused_while_the_dashboard_holds_the_database(cli_db, tmp_path, capsys):
    Database(cli_db).close()
    with held_by_another_process(cli_db, tmp_path / "inbox"):
        day = pdd_csv(tmp_path / "no_period.csv", [("阿强", 10, 5, 100)])
        code, _, err = run(capsys, "import", str(day), "--shop", "我的店", "--from", "2026-10-01", "--to", "2026-10-01")
        assert code == cli.EXIT_BUSY and "--shop --from --to" in err and "数据" in err
        assert not [p for p in (tmp_path / "inbox").rglob("*") if p.is_file() and p.name[0] != "."]


def test_the_audit_names_the_system_user_when_no_user_is_given(cli_db, tmp_path, capsys):
    import getpass

    day = pdd_csv(tmp_path / "拼多多客服绩效_2026-10-01_2026-10-01.csv", [("阿强", 10, 5, 100)])
    assert run(capsys, "import", str(day), "--quiet")[0] == 0
    assert run(capsys, "--user", "主管", "undo", "1")[0] == 0
    who = Database(resolve_path()).rows("SELECT action, username FROM audit ORDER BY rowid")
    assert ("import", f"cli:{getpass.getuser()}") in who and ("undo", "主管") in who


def test_a_new_scheme_assigned_to_a_role_scores_that_role_from_its_day(cli_db, tmp_path, capsys):
    _two_roles(cli_db, tmp_path, capsys)
    mine = tmp_path / "mine.toml"
    mine.write_text('name = "转化专项"\nrole = "presales"\n[[kpi]]\nmetric = "conversion_rate"\nweight = 1\n'
                    'method = "target"\ntarget = 0.3\n', encoding="utf-8")
    assert run(capsys, "scheme", "import", str(mine))[0] == 0
    code, _, err = run(capsys, "scheme", "assign", "转化专项", "--role", "aftersales", "--from", "2026-10-01")
    assert code == cli.EXIT_BAD_INPUT and "presales" in err  # it would score none of them
    code, out, _ = run(capsys, "scheme", "assign", "转化专项", "--role", "presales", "--from", "2026-10-01")
    assert code == 0 and "转化专项" in out
    code, out, _ = run(capsys, "scheme", "assignments", "--format", "json")
    assigned = next(a for a in json.loads(out) if a["scheme_name"] == "转化专项")
    assert assigned["role"] == "presales" and assigned["valid_from"].startswith("2026-10-01")
    code, out, _ = run(capsys, "score", "--from", "2026-10-01", "--to", "2026-10-31", "--format", "json")
    presales = [r for r in json.loads(out) if r["role"] == "presales"]
    assert [(r["agent"], round(r["score"], 1)) for r in presales] == [("阿强", 120.0), ("阿明", 66.7)]
    assert all(r["score"] == r["conversion_rate_score"] and r["receptions_score"] is None for r in presales)


def test_targets_are_set_listed_and_cleared(cli_db, capsys):
    code, out, _ = run(capsys, "--user", "老板", "target", "set", "sales", "120万", "--month", "2026-11")
    assert code == 0 and out == "全部店铺 2026-11 sales 目标 = ¥1,200,000.00\n"
    assert run(capsys, "target", "set", "conversion_rate", "33%", "--month", "2026年11月", "--shop", "拼多多店",
               "--team", "拼团组")[0] == 0
    code, out, _ = run(capsys, "target", "list", "--format", "csv")
    rows = csv_rows(out)
    assert [(r["scope"], r["metric"], float(r["value"]), r["set_by"]) for r in rows] == [
        ("全部店铺", "sales", 1_200_000, "老板"), ("拼多多店 · 拼团组", "conversion_rate", 0.33, cli._system_user())]
    code, out, _ = run(capsys, "target", "set", "sales", "8万", "--month", "2026-11", "--shop", "拼多多店",
                       "--account", "阿强")
    assert code == 0 and out == "拼多多店:阿强 2026-11 sales 目标 = ¥80,000.00\n"
    assert run(capsys, "target", "clear", "sales", "--month", "2026-11", "--shop", "拼多多店", "--account", "阿强")[0] == 0
    code, out, _ = run(capsys, "target", "clear", "sales", "--month", "2026-11")
    assert code == 0 and "目标已删除" in out
    code, out, _ = run(capsys, "target", "list", "--month", "2026-11")
    assert "sales" not in out and "33.0%" in out
    code, out, _ = run(capsys, "target", "copy", "--source", "2026-11", "--month", "2026-12", "--shop", "拼多多店",
                       "--team", "拼团组")
    assert code == 0 and out.startswith("拼多多店 · 拼团组 从 2026-11 复制了 1 个目标到 2026-12")


def test_target_copy_without_a_scope_copies_every_scopes_targets(cli_db, capsys):
    for argv in (["sales", "120万"], ["sales", "30万", "--shop", "拼多多店"], ["reply_rate", "95%", "--shop", "拼多多店",
                                                                          "--team", "拼团组"]):
        assert run(capsys, "target", "set", *argv, "--month", "2026-10")[0] == 0
    code, out, _ = run(capsys, "target", "copy", "--source", "2026-10", "--month", "2026-11")
    assert code == 0 and out == ("所有范围（全部店铺、各店铺、团队和客服） 从 2026-10 复制了 3 个目标到 2026-11 — 3 targets "
                                 "copied for every scope (all shops, each shop, team and agent)\n")
    rows = csv_rows(run(capsys, "target", "list", "--month", "2026-11", "--format", "csv")[1])
    assert sorted(r["scope"] for r in rows) == ["全部店铺", "拼多多店", "拼多多店 · 拼团组"]


def test_targets_are_imported_from_a_spreadsheet(cli_db, tmp_path, capsys):
    sheet = tmp_path / "目标.csv"
    sheet.write_text("月份,店铺,销售额,询单转化率\n2026-11,,1200000,33%\n2026-11,拼多多店,300000,\n", encoding="utf-8")
    code, out, _ = run(capsys, "target", "import", str(sheet))
    assert code == 0 and out == "目标.csv：已导入 3 个目标 — 3 targets imported\n"
    rows = csv_rows(run(capsys, "target", "list", "--format", "csv")[1])
    assert [(r["scope"], r["metric"], float(r["value"])) for r in rows] == [
        ("全部店铺", "conversion_rate", 0.33), ("全部店铺", "sales", 1_200_000), ("拼多多店", "sales", 300_000)]


@pytest.mark.parametrize("argv, message", [
    (["target", "set", "sales", "很多", "--month", "2026-11"], "不是数字"),
    (["target", "set", "sales", "--month", "2026-11"], "需要目标值"),
    (["target", "set", "sales", "5", "--month", "2026-13"], "无法识别的月份"),
    (["target", "set", "sales", "5", "--month", "2026-11", "--team", "A组"], "需要指定店铺"),
    (["target", "clear", "sales"], "--month"),
    (["target", "copy", "--month", "2026-11"], "--source"),
    (["target", "import", "no-such-file.xlsx"], "找不到文件"),
    (["target", "set", "销售", "5", "--month", "2026-11"], "未知指标"),
])
def test_a_bad_target_is_refused_with_a_message_and_nothing_stored(cli_db, capsys, argv, message):
    code, _, err = run(capsys, *argv)
    assert code == cli.EXIT_BAD_INPUT and message in err and "Traceback" not in err
    assert run(capsys, "target", "list", "--format", "csv")[1].splitlines()[1:] == []


def test_a_backup_that_cannot_be_written_is_named_plainly_not_a_traceback(cli_db, tmp_path, capsys):
    day = pdd_csv(tmp_path / "拼多多客服绩效_2026-10-01_2026-10-01.csv", [("阿强", 10, 5, 100)])
    assert run(capsys, "import", str(day), "--quiet")[0] == 0
    a_file = tmp_path / "已有文件.duckdb"
    a_file.write_bytes(b"not a folder")
    for dest, why in ((a_file / "x.duckdb", f"{a_file} 是文件，不是文件夹"),  # a mistyped path
                      ("/sys/csperf-backup.duckdb", "没有权限")):  # a place nobody may write, even root
        code, out, err = run(capsys, "backup", str(dest))
        assert code == cli.EXIT_BAD_INPUT and out == "", err
        assert err.startswith("错误: 无法写入备份 ") and why in err and " — cannot write the backup " in err
        assert "Traceback" not in err and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no half-written copy


def test_any_file_or_database_error_ends_with_a_message_not_a_traceback(cli_db, tmp_path, capsys, monkeypatch):
    import duckdb

    from csperf import backup, roster

    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / "花名册.xlsx"))

    monkeypatch.setattr(roster, "import_roster", refused)
    code, _, err = run(capsys, "roster", str(tmp_path / "花名册.xlsx"))
    assert code == cli.EXIT_BAD_INPUT
    assert err == f"错误: 无法读写 {tmp_path / '花名册.xlsx'}（没有权限） — cannot read or write it: permission denied\n"

    def broken(*args, **kwargs):
        raise duckdb.IOException("IO Error: Could not read from file: Input/output error")

    monkeypatch.setattr(backup, "restore", broken)
    code, _, err = run(capsys, "restore", str(tmp_path / "copy.duckdb"))
    assert code == cli.EXIT_BAD_INPUT and "Traceback" not in err
    assert err.startswith("错误: 数据库出错 — database error: IO Error: Could not read from file")


def test_csv_redirected_to_a_file_is_what_the_dashboard_downloads_are_and_piped_csv_stays_plain(
        cli_db, tmp_path, capsys):
    day = pdd_csv(tmp_path / "拼多多客服绩效_2026-10-01_2026-10-01.csv",
                  [("@SUM(1+1)", 100, 30, 6000), ("=HYPERLINK(\"x\")", 50, 10, 2000)])
    assert run(capsys, "import", str(day), "--quiet")[0] == 0
    code, out, _ = run(capsys, "kpis", "--from", "2026-10-01", "--to", "2026-10-31", "--format", "csv")
    assert code == 0 and {r["agent"] for r in csv_rows(out)} == {"@SUM(1+1)", "=HYPERLINK(\"x\")"}  # as stored
    saved = tmp_path / "4月.csv"  # `> 4月.csv`, to open in Excel
    with saved.open("wb") as target:
        done = subprocess.run([sys.executable, "-m", "csperf", "kpis", "--from", "2026-10-01", "--to", "2026-10-31",
                               "--format", "csv"], stdout=target, stderr=subprocess.PIPE, timeout=120, check=False,
                              env={**os.environ, "CSPERF_DB": str(cli_db)})
    assert done.returncode == 0, done.stderr.decode()
    written = saved.read_bytes().decode("utf-8")
    assert written.startswith("\ufeffagent,")  # Excel on Windows opens the Chinese unscrambled
    rows = list(csv.DictReader(io.StringIO(written[1:])))
    assert {r["agent"] for r in rows} == {"'@SUM(1+1)", "'=HYPERLINK(\"x\")"}  # shown, never run
    code, out, _ = run(capsys, "kpis", "--from", "2026-10-01", "--to", "2026-10-31", "--format", "json")
    assert {r["agent"] for r in json.loads(out)} == {"@SUM(1+1)", "=HYPERLINK(\"x\")"}  # JSON as it was


def test_a_qa_score_for_a_shop_and_account_that_exist_nowhere_is_refused(cli_db, tmp_path, capsys):
    day = pdd_csv(tmp_path / "拼多多客服绩效_2026-10-01_2026-10-01.csv", [("阿强", 10, 5, 100)])
    assert run(capsys, "import", str(day), "--quiet")[0] == 0
    typo = tmp_path / "qa.csv"
    typo.write_text("月份,账号,质检分\n2026-10,拼多多店:阿强,90\n2026-10,拼多多店:阿强强,80\n2026-10,拼夕夕店:阿强,70\n",
                    encoding="utf-8")
    code, out, err = run(capsys, "qa", str(typo))
    assert code == cli.EXIT_BAD_INPUT and out == ""
    assert "qa.csv 第3行" in err and "拼多多店:阿强强" in err and "qa.csv 第4行" in err and "拼夕夕店:阿强" in err
    assert Database(resolve_path()).scalar("SELECT count(*) FROM qa_scores") == 0


def test_an_ambiguous_date_order_names_the_option_that_answers_it(cli_db, tmp_path, capsys):
    export = tmp_path / "ambig.csv"
    export.write_text("日期,客服,接待人数\n01-02-2026,拼多多店:阿强,10\n03-02-2026,拼多多店:阿强,12\n", encoding="utf-8")
    for check in (["--check"], []):
        code, out, err = run(capsys, "import", *check, str(export), "--quiet")
        assert code == cli.EXIT_BAD_INPUT and "日期顺序无法确定" in out + err
        assert "--map 'date_order=dmy'" in out + err and "--map 'date_order=mdy'" in out + err
    code, out, err = run(capsys, "import", str(export), "--map", "date_order=dmy", "--quiet")
    assert code == 0 and "2026-02-01~2026-02-03" in out, err


def test_kpi_and_score_filters_take_the_rosters_role_names_and_refuse_what_exists_nowhere(cli_db, tmp_path, capsys):
    _two_roles(cli_db, tmp_path, capsys)  # 拼多多店 拼团组: 阿强 and 阿明 售前, 小红 售后
    period = ("--from", "2026-10-01", "--to", "2026-10-31", "--format", "json")
    for command in ("kpis", "score"):
        code, out, err = run(capsys, command, *period, "--role", "售前")
        assert code == 0, err
        assert {r["agent"] for r in json.loads(out)} == {"阿强", "阿明"}
    for argv, message in [
        (["--shop", "拼夕夕店"], "错误: 没有店铺“拼夕夕店”（已有：拼多多店） — no shop 拼夕夕店 (there are: 拼多多店)\n"),
        (["--team", "拼图组"], "错误: 没有团队“拼图组”（已有：拼团组） — no team 拼图组 (there are: 拼团组)\n"),
        (["--role", "VIP"], "错误: 没有岗位“VIP”（已有：售前、售后） — no role VIP (there are: presales, aftersales)\n"),
        (["--role", "销售"], "错误: 未知岗位“销售”，可选 售前/售后/VIP — unknown role 销售: presales, aftersales or vip\n"),
    ]:
        code, out, err = run(capsys, "kpis", *period, *argv)
        assert (code, out, err) == (cli.EXIT_BAD_INPUT, "", message)
    code, _, err = run(capsys, "score", *period, "--shop", "拼夕夕店")
    assert code == cli.EXIT_BAD_INPUT and "没有店铺“拼夕夕店”" in err
    code, out, err = run(capsys, "scheme", "assign", "售前标准方案", "--role", "售前", "--from", "2026-11-01")
    assert code == 0, err
    code, out, _ = run(capsys, "scheme", "assignments", "--format", "json")
    assert any(a["scheme_name"] == "售前标准方案" and a["role"] == "presales" and a["valid_from"].startswith("2026-11-01")
               for a in json.loads(out))


def test_kpis_with_only_shop_level_figures_point_to_shop_level(cli_db, tmp_path, capsys):
    shop = tmp_path / "生意参谋_客服销售.csv"
    shop.write_text("日期,询单人数,最终付款人数,最终付款金额\n2026-10-01,400,100,20000\n", encoding="utf-8-sig")
    assert run(capsys, "import", str(shop), "--shop", "拼多多店", "--quiet")[0] == 0
    for by in ("agent", "shop", "total"):
        code, out, err = run(capsys, "kpis", "--by", by)
        assert code == 0 and "(无数据 — no rows)" in out, out
        assert err == "这段时间只有店铺整体数据，加 --shop-level 查看 — only shop-level figures in this period: add --shop-level\n"
    code, out, err = run(capsys, "kpis", "--shop-level", "--by", "shop")
    assert code == 0 and "拼多多店" in out and err == ""


def test_a_read_held_up_by_another_command_is_told_to_wait_not_to_stop_a_dashboard(cli_db, tmp_path, capsys):
    Database(cli_db).close()
    with held_by_another_process(cli_db):  # a csperf import at work, say: no dashboard anywhere
        code, _, err = run(capsys, "kpis")
        assert code == cli.EXIT_BUSY and "另一个进程" in err
        assert "stop the dashboard" not in err and "请等它结束后再运行" in err and "run again once it has finished" in err
    with held_by_another_process(cli_db, tmp_path / "inbox"):  # the dashboard
        code, _, err = run(capsys, "kpis")
        assert code == cli.EXIT_BUSY and "stop the dashboard" in err and "请等它结束" not in err


def test_clearing_a_target_that_is_not_there_says_so(cli_db, capsys):
    assert run(capsys, "target", "set", "sales", "120万", "--month", "2026-11")[0] == 0
    code, out, err = run(capsys, "target", "clear", "sales", "--month", "2027-01")
    assert (code, out) == (cli.EXIT_BAD_INPUT, "")
    assert err == ("错误: 没有这个目标：全部店铺 2027-01 sales（csperf target list 列出全部） — no such target: all shops "
                   "2027-01 sales (csperf target list lists them)\n")
    code, _, err = run(capsys, "target", "clear", "sales", "--month", "2026-11", "--shop", "拼多多店")
    assert code == cli.EXIT_BAD_INPUT and "没有这个目标：拼多多店 2026-11 sales" in err
    assert run(capsys, "target", "clear", "sales", "--month", "2026-11")[0] == 0


def test_restore_of_a_folder_asks_for_the_backup_file_in_it(cli_db, tmp_path, capsys):
    day = pdd_csv(tmp_path / "拼多多客服绩效_2026-10-01_2026-10-01.csv", [("阿强", 10, 5, 100)])
    assert run(capsys, "import", str(day), "--quiet")[0] == 0
    backups = tmp_path / "备份"
    assert run(capsys, "backup", f"{backups}/")[0] == 0
    (written,) = backups.iterdir()
    code, _, err = run(capsys, "restore", str(backups))
    assert code == cli.EXIT_BAD_INPUT
    assert err == (f"错误: {backups} 是一个文件夹，请指定其中的备份文件，如 {written} — {backups} is a folder: name the "
                   "backup file in it\n")


def test_kpis_say_when_figures_of_exports_spanning_several_days_are_left_out(cli_db, tmp_path, capsys):
    daily = pdd_csv(tmp_path / "拼多多客服绩效_2026-10-01_2026-10-01.csv", [("阿强", 100, 30, 6000)])
    weekly = pdd_csv(tmp_path / "拼多多客服绩效_2026-10-05_2026-10-11.csv", [("阿强", 700, 200, 40000)])  # Mon–Sun
    other = pdd_csv(tmp_path / "二店_2026-10-02_2026-10-02.csv", [("阿华", 10, 5, 500)])
    other.write_text(other.read_text(encoding="utf-8-sig").replace("拼多多店:", "二店:"), encoding="utf-8-sig")
    assert run(capsys, "import", str(daily), str(weekly), str(other), "--quiet")[0] == 0
    note = ("注意: 拼多多店 2026-10-05~2026-10-11 的数据来自跨越多天的导出（如周报、月报），拆不到每一天或每一周，"
            "也拆不进只含其中几天的期间，本表没有计入 — figures from exports spanning several days (a weekly or "
            "monthly file) cannot be split by day or week, nor into a period holding only part of them: this table "
            "leaves out 拼多多店 2026-10-05~2026-10-11\n")
    october = ("--from", "2026-10-01", "--to", "2026-10-31")
    for argv in (["--by", "day", *october], ["--by", "shop", "--from", "2026-10-01", "--to", "2026-10-07"],
                 ["--from", "2026-10-08", "--to", "2026-10-20"]):
        code, _, err = run(capsys, "kpis", *argv)
        assert code == 0 and err == note, argv
    for argv in (["--by", "week", *october], ["--by", "shop", *october], ["--by", "day", *october, "--shop", "二店"],
                 ["--by", "day", "--from", "2026-10-01", "--to", "2026-10-04"]):
        code, _, err = run(capsys, "kpis", *argv)
        assert code == 0 and err == "", argv
    code, _, err = run(capsys, "score", "--from", "2026-10-08", "--to", "2026-10-20", "--format", "csv")
    assert code == 0 and note in err  # scores and pay rest on the same figures
    code, _, err = run(capsys, "score", *october, "--format", "csv")
    assert code == 0 and "跨越多天" not in err


def test_an_error_exit_is_clean_of_duckdb_leak_reports(tmp_path):
    """A failed import used to end with ~60 lines of 'nanobind: leaked … instances!': the
    database was still open at exit while the importer's background hash of the file ran."""

    truncated = tmp_path / "truncated.xlsx"  # big enough that its hash outlasts the refusal
    truncated.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 32_000)
    done = subprocess.run([sys.executable, "-m", "csperf", "--db", str(tmp_path / "x.duckdb"), "import", "--quiet",
                           str(truncated)], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == cli.EXIT_BAD_INPUT and "truncated.xlsx" in done.stderr
    assert "nanobind" not in done.stderr and "leaked" not in done.stderr


def test_every_import_option_is_explained_and_kpis_and_score_say_their_default_period(capsys):
    import argparse

    parser = cli.build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    for action in commands["import"]._actions:
        if action.dest != "help":
            assert action.help and "—" in action.help and action.help[0] > "\u2e80", action.dest  # Chinese first
    for command in ("kpis", "score"):
        with pytest.raises(SystemExit):
            cli.main([command, "--help"])
        shown = " ".join(capsys.readouterr().out.split())
        assert "不加 --from/--to 时：数据最后一天所在月的 1 号到最后一天" in shown, shown


def test_a_period_given_only_its_end_starts_on_the_first_of_that_month(cli_db, tmp_path, capsys):
    for day, inquiries in (("2026-10-01", 10), ("2026-11-03", 20)):
        export = pdd_csv(tmp_path / f"拼多多客服绩效_{day}_{day}.csv", [("阿强", inquiries, 5, 100)])
        assert run(capsys, "import", str(export), "--quiet")[0] == 0
    code, out, err = run(capsys, "kpis", "--to", "2026-10-31", "--by", "day", "--format", "json")
    assert code == 0, err
    assert [r["day"][:10] for r in json.loads(out)] == ["2026-10-01"]


def test_user_role_changes_a_role_in_place_and_needs_the_role_named(cli_db, capsys):
    from csperf import auth

    assert run(capsys, "user", "add", "老板", "--role", "owner", "--password", "boss-pass-1")[0] == 0
    code, out, _ = run(capsys, "user", "add", "小张", "--password", "zhang-pass-1")
    assert code == 0 and "(viewer)" in out  # add still defaults to the least a user can see
    code, _, err = run(capsys, "user", "role", "小张")
    assert code == cli.EXIT_BAD_INPUT and "--role" in err  # no default that would demote someone by omission
    code, out, _ = run(capsys, "user", "role", "小张", "--role", "supervisor")
    assert code == 0 and "已把 小张 改为 主管 (supervisor)" in out
    code, _, err = run(capsys, "user", "role", "老板", "--role", "viewer")
    assert code == cli.EXIT_BAD_INPUT and "最后一个所有者" in err
    database = Database(resolve_path())
    assert auth.authenticate(database, "小张", "zhang-pass-1").role == "supervisor"


def test_the_week_table_shows_each_weeks_last_day_and_days_so_a_cut_week_reads_as_one(cli_db, tmp_path, capsys):
    days = [pdd_csv(tmp_path / f"拼多多客服绩效_2026-12-{d:02d}_2026-12-{d:02d}.csv", [("阿强", 10 + d, 5, 100)])
            for d in (21, 22, 28, 29, 30, 31)]
    assert run(capsys, "import", *map(str, days), "--quiet")[0] == 0
    code, out, _ = run(capsys, "kpis", "--by", "week", "--from", "2026-12-21", "--to", "2026-12-31")
    lines = out.splitlines()
    assert code == 0 and lines[0].split()[:3] == ["week", "last_date", "days"]
    assert lines[1].split()[:3] == ["2026-12-21", "2026-12-22", "2"] and lines[2].split()[:3] == [
        "2026-12-28", "2026-12-31", "4"]  # Monday to Thursday: the period ends there
    code, out, _ = run(capsys, "kpis", "--by", "week", "--from", "2026-12-21", "--to", "2026-12-31", "--format", "csv")
    assert out.splitlines()[0].startswith("week,agents,days,")  # files keep their columns
