import hashlib
import io
import os
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from csperf import backup, inbox
from csperf.db import Database, ImportMeta
from csperf.safe_export import to_xlsx

CSV_TEXT = "客服,接待人数,询单人数\n旗舰店:小王,120,40\n旗舰店:小李,80,30\n"


@pytest.fixture
def box(tmp_path):
    return inbox.inbox_dir(tmp_path / "inbox")


@pytest.fixture
def db():
    database = Database(":memory:")
    yield database
    database.close()


def _write(path: Path, text: str = CSV_TEXT) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@dataclass
class Imported:
    import_id: int
    duplicate: bool


def importing(calls: list):
    """A stand-in for csperf.importer.import_file that stores one fact row per file."""

    def run(db, path, *, user=None):
        data = Path(path).read_bytes()
        calls.append((Path(path).name, user))
        facts = pd.DataFrame({"shop": ["店"], "account": [Path(path).stem], "date_from": [date(2026, 10, 1)],
                              "date_to": [date(2026, 10, 1)], "provisional": [False], "receptions": [1.0]})
        outcome = db.apply_import(
            ImportMeta(Path(path).name, hashlib.sha256(data).hexdigest(), "csv", imported_by=user), facts
        )
        return Imported(outcome.import_id, outcome.duplicate)

    return run


# -- the folder ------------------------------------------------------------------------------

def test_inbox_dir_from_argument_or_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CSPERF_INBOX", str(tmp_path / "from-env"))
    assert inbox.inbox_dir() == tmp_path / "from-env"
    assert inbox.inbox_dir(tmp_path / "given") == tmp_path / "given"
    assert sorted(p.name for p in (tmp_path / "given").iterdir()) == ["done", "failed", "processing", "requests"]


@pytest.mark.parametrize("hostile, expected", [
    ("../../etc/passwd", "passwd"),
    ("a/../../x.csv", "x.csv"),
    ("..\\..\\Windows\\win.ini", "win.ini"),
    ("C:\\Users\\客服\\自定义报表_2026-04-20至2026-04-20.xlsx", "自定义报表_2026-04-20至2026-04-20.xlsx"),
    ("..", "upload"),
    ("/", "upload"),
    ("a/..", "a"),
    ("rep\x00ort\x1f.csv", "report.csv"),
    ("evil\u202excsl.csv", "evilxcsl.csv"),
    ("  ..hidden.csv  ", "hidden.csv"),
    ('bad<>:"|?*.csv', "bad_______.csv"),
    ("CON.csv", "_CON.csv"),
    ("报表.xlsx.", "报表.xlsx"),
])
def test_safe_name_keeps_names_inside_the_folder(hostile, expected):
    assert inbox.safe_name(hostile) == expected


def test_safe_name_shortens_long_names_but_keeps_the_extension():
    name = inbox.safe_name("客服绩效" * 40 + ".xlsx")
    assert name.endswith(".xlsx")
    assert len(name.encode("utf-8")) <= 180
    assert name.startswith("客服绩效客服绩效")


def test_drop_files_lands_inside_the_inbox_with_unique_names(tmp_path, box):
    outside = tmp_path / "src"
    outside.mkdir()
    first = _write(outside / "..自定义报表.csv")
    dropped = inbox.drop_files([first, first], box)
    assert [p.name for p in dropped] == ["自定义报表.csv", "自定义报表 (2).csv"]
    for path in dropped:
        assert path.parent == box
        assert path.read_text(encoding="utf-8") == CSV_TEXT
    assert sorted(p.name for p in box.iterdir() if p.is_file()) == ["自定义报表 (2).csv", "自定义报表.csv"]


def test_drop_files_checks_every_source_first(tmp_path, box):
    present = _write(tmp_path / "a.csv")
    with pytest.raises(FileNotFoundError, match="找不到文件"):
        inbox.drop_files([present, tmp_path / "missing.csv"], box)
    assert not any(p.is_file() for p in box.iterdir())


def test_drop_files_without_hard_links_still_never_overwrites(tmp_path, box, monkeypatch):
    def no_links(src, dst):
        raise PermissionError("hard links not supported")

    monkeypatch.setattr(os, "link", no_links)
    source = _write(tmp_path / "a.csv")
    dropped = inbox.drop_files([source, source], box)
    assert [p.name for p in dropped] == ["a.csv", "a (2).csv"]
    assert all(p.read_text(encoding="utf-8") == CSV_TEXT for p in dropped)


def test_pending_skips_temporary_hidden_and_foreign_files(box):
    _write(box / "b.csv")
    _write(box / "a.XLSX")
    _write(box / ".abc.part")
    _write(box / "c.csv.part")
    _write(box / "~$a.xlsx")
    _write(box / "notes.txt")
    (box / "folder.csv").mkdir()
    os.utime(box / "a.XLSX", (1_000_000_000, 1_000_000_000))
    assert [p.name for p in inbox.pending(box, settle_seconds=0)] == ["a.XLSX", "b.csv"]


def test_pending_waits_for_files_to_settle(box):
    _write(box / "fresh.csv")
    assert inbox.pending(box, settle_seconds=3600) == []
    assert [p.name for p in inbox.pending(box, settle_seconds=0)] == ["fresh.csv"]


def test_pending_skips_a_file_that_is_still_growing(box):
    growing = _write(box / "big.csv")
    assert inbox.pending(box, settle_seconds=0) == [growing]
    with open(growing, "a", encoding="utf-8") as handle:
        handle.write("旗舰店:小张,10,2\n")
    assert inbox.pending(box, settle_seconds=0) == []
    assert inbox.pending(box, settle_seconds=0) == [growing]


# -- processing --------------------------------------------------------------------------------

def test_process_imports_and_files_away(db, box):
    _write(box / "一.csv")
    _write(box / "二.csv", CSV_TEXT + "旗舰店:小张,1,1\n")
    calls = []
    events = inbox.process(db, box, user="boss", importer=importing(calls), settle_seconds=0)
    assert sorted(calls) == [("一.csv", "boss"), ("二.csv", "boss")]
    assert [e.outcome for e in events] == ["imported", "imported"]
    assert sorted(e.import_id for e in events) == [1, 2]
    assert sorted(p.name for p in (box / "done").iterdir()) == ["一.csv", "二.csv"]
    assert not any(p.is_file() for p in box.iterdir())
    assert not any((box / "processing").iterdir())
    assert inbox.process(db, box, importer=importing(calls), settle_seconds=0) == []


def test_same_content_twice_is_a_duplicate_and_both_files_kept(db, box, tmp_path):
    source = _write(tmp_path / "x.csv")
    inbox.drop_files([source], box)
    first = inbox.process(db, box, importer=importing([]), settle_seconds=0)
    inbox.drop_files([source], box)
    second = inbox.process(db, box, importer=importing([]), settle_seconds=0)
    assert [e.outcome for e in first + second] == ["imported", "duplicate"]
    assert second[0].import_id == first[0].import_id
    assert "已跳过" in str(second[0])
    assert sorted(p.name for p in (box / "done").iterdir()) == ["x (2).csv", "x.csv"]


def test_bad_file_goes_to_failed_with_its_reason(db, box):
    _write(box / "坏.csv")

    def refuse(db, path, *, user=None):
        raise ValueError(f"{Path(path).name}: 第 3 行 接待人数 不是数字")

    [event] = inbox.process(db, box, importer=refuse, settle_seconds=0)
    assert event.outcome == "failed" and not event.ok
    assert event.path == box / "failed" / "坏.csv"
    assert event.path.read_text(encoding="utf-8") == CSV_TEXT
    error = (box / "failed" / "坏.csv.error.txt").read_text(encoding="utf-8")
    assert "坏.csv: 第 3 行 接待人数 不是数字" in error
    assert "内部错误" not in error


def test_importer_bug_is_reported_and_the_file_kept(db, box):
    _write(box / "a.csv")

    def broken(db, path, *, user=None):
        raise KeyError("column")

    [event] = inbox.process(db, box, importer=broken, settle_seconds=0)
    assert event.outcome == "failed"
    assert "内部错误" in event.message and "KeyError" in event.message
    assert (box / "failed" / "a.csv").read_text(encoding="utf-8") == CSV_TEXT


def test_error_result_counts_as_failed(db, box):
    _write(box / "a.csv")

    @dataclass
    class Result:
        error: str

    [event] = inbox.process(db, box, importer=lambda db, path, user=None: Result("a.csv: 没有表头"),
                            settle_seconds=0)
    assert event.outcome == "failed" and event.message == "a.csv: 没有表头"
    assert (box / "failed" / "a.csv").exists()


def test_two_threads_import_each_file_exactly_once(db, box):
    names = [f"日报_{i:02d}.csv" for i in range(24)]
    for i, name in enumerate(names):
        _write(box / name, CSV_TEXT + f"旗舰店:第{i}位,1,1\n")
    calls = []
    run = importing(calls)

    def slow(db, path, *, user=None):
        time.sleep(0.002)  # widen the window in which both threads are busy
        return run(db, path, user=user)

    start = threading.Barrier(2)
    results: list[list] = [[], []]

    def work(slot):
        start.wait()
        results[slot] = inbox.process(db, box, importer=slow, settle_seconds=0)

    threads = [threading.Thread(target=work, args=(slot,)) for slot in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    events = results[0] + results[1]
    assert sorted(name for name, _user in calls) == names
    assert sorted(e.file for e in events) == names
    assert {e.outcome for e in events} == {"imported"}
    assert db.scalar("SELECT count(*) FROM imports") == 24
    assert sorted(p.name for p in (box / "done").iterdir()) == names
    assert not any((box / "processing").iterdir())


def test_interrupted_claims_are_returned_and_imported(db, box):
    stale = box / "processing" / "4242-deadbeef-0001"
    stale.mkdir()
    _write(stale / "中断.csv")
    events = inbox.process(db, box, importer=importing([]), settle_seconds=0)
    assert [(e.file, e.outcome) for e in events] == [("中断.csv", "returned"), ("中断.csv", "imported")]
    assert (box / "done" / "中断.csv").exists()
    assert not any((box / "processing").iterdir())


def test_backup_request_is_fulfilled_by_process(db, box, tmp_path):
    with db.write() as cur:
        cur.execute("INSERT INTO level_pay VALUES ('mid', 4500)")
    request = backup.request_backup(box, tmp_path / "nightly.duckdb")
    [event] = inbox.process(db, box, importer=importing([]), settle_seconds=0)
    assert event.outcome == "backup" and event.path == tmp_path / "nightly.duckdb"
    copy = Database(tmp_path / "nightly.duckdb")
    assert copy.rows("SELECT * FROM level_pay") == [("mid", 4500.0)]
    copy.close()
    assert not request.exists()
    assert len(list((box / "requests" / "done").iterdir())) == 1
    again = backup.request_backup(box, tmp_path / "nightly.duckdb")
    [refused] = inbox.process(db, box, importer=importing([]), settle_seconds=0)
    assert refused.outcome == "backup_failed" and "已存在" in refused.message
    assert not again.exists()
    assert len(list((box / "requests" / "failed").iterdir())) == 1


def test_state_counts_and_latest_events(db, box):
    _write(box / "ok.csv")
    _write(box / "bad.csv", "x")
    _write(box / "readme.txt")

    def judge(db, path, *, user=None):
        if Path(path).name == "bad.csv":
            raise ValueError("bad.csv: 没有可识别的表头")
        return importing([])(db, path, user=user)

    inbox.process(db, box, importer=judge, settle_seconds=0)
    _write(box / "later.csv")
    now = inbox.state(box)
    assert {k: now[k] for k in ("pending", "processing", "done", "failed", "requests")} == {
        "pending": 1, "processing": 0, "done": 1, "failed": 1, "requests": 0,
    }
    assert now["ignored"] == ["readme.txt"]
    assert sorted((e.file, e.outcome) for e in now["events"]) == [("bad.csv", "failed"), ("ok.csv", "imported")]


# -- upload checks -----------------------------------------------------------------------------

def _xlsx_bytes() -> bytes:
    return to_xlsx({"整体数据": pd.DataFrame({"客服": ["小王"], "接待量": [12]})})


XML_SPREADSHEET_2003 = ('<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">'
                        '<Worksheet><Table><Row><Cell><Data>客服</Data></Cell></Row></Table></Worksheet>'
                        '</Workbook>').encode()


def test_check_upload_detects_by_content():
    assert inbox.check_upload("报表.xlsx", _xlsx_bytes()) == "xlsx"
    assert inbox.check_upload("报表.XLS", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504) == "xls"
    assert inbox.check_upload("a.csv", CSV_TEXT.encode("utf-8")) == "csv"
    assert inbox.check_upload("a.csv", b"\xef\xbb\xbf" + CSV_TEXT.encode("utf-8")) == "csv"
    assert inbox.check_upload("a.csv", CSV_TEXT.replace(",", "\t").encode("gbk")) == "csv"


@pytest.mark.parametrize("name, data, message", [
    ("报表.xlsx", CSV_TEXT.encode("utf-8"), "内容是CSV"),
    ("报表.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "不是 Excel 或 CSV"),
    ("报表.csv", _xlsx_bytes(), "内容是Excel 工作簿"),
    ("报表.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, "加了密码"),
    ("报表.csv", b"<html><body><table><tr><td>1</td></tr></table></body></html>", "内容是网页表格"),
    ("报表.csv", XML_SPREADSHEET_2003, "内容是Excel 2003 XML 表格"),
    ("报表.xls", "<html><body>登录已过期</body></html>".encode(), "HTML/XML"),
    ("报表.xls", "\t客服\t接待人数\n".encode("utf-16-le"), "不是 Excel 或 CSV"),  # 09 00 but no BIFF record
    ("报表.exe", CSV_TEXT.encode("utf-8"), "不支持的文件类型 .exe"),
    ("报表", CSV_TEXT.encode("utf-8"), "无扩展名"),
    ("报表.csv", b"", "是空的"),
    ("报表.csv", "只有一行说明，没有分隔符\n".encode("utf-8"), "不是 Excel 或 CSV"),
])
def test_check_upload_refuses(name, data, message):
    with pytest.raises(ValueError, match=message):
        inbox.check_upload(name, data)


def test_check_upload_takes_the_legacy_xls_forms_the_importer_reads(tmp_path):
    # biff8: the Workbook stream of an .xls, without its OLE2 wrapper
    from test_importer import biff8

    from csperf import importer

    rows = [["客服", "接待人数"], ["店:小王", 12]]
    page = ("<html><head><meta charset='gbk'></head><body><table><tr><th>客服</th><th>接待人数</th></tr>"
            "<tr><td>店:小王</td><td>12</td></tr></table></body></html>").encode("gbk")
    xml = ('<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
           'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="S"><Table>'
           '<Row><Cell><Data ss:Type="String">客服</Data></Cell><Cell><Data ss:Type="String">接待人数</Data></Cell></Row>'
           '<Row><Cell><Data ss:Type="String">店:小王</Data></Cell><Cell><Data ss:Type="Number">12</Data></Cell></Row>'
           '</Table></Worksheet></Workbook>').encode()
    for name, data in (("京东.xls", page), ("拼多多.xls", biff8([("Sheet1", rows)])), ("抖店.xls", xml)):
        assert inbox.check_upload(name, data) == "xls"
        (tmp_path / name).write_bytes(data)
        assert importer.parse_file(tmp_path / name, date_from="2026-10-01").facts["receptions"].tolist() == [12]


def test_check_upload_refuses_other_zip_files():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    with pytest.raises(ValueError, match="压缩包.*请解压"):
        inbox.check_upload("报表.xlsx", buffer.getvalue())


def test_check_upload_size_limit():
    data = CSV_TEXT.encode("utf-8")
    assert inbox.check_upload("a.csv", data, max_bytes=len(data)) == "csv"
    with pytest.raises(ValueError, match="太大"):
        inbox.check_upload("a.csv", data, max_bytes=len(data) - 1)


def test_check_upload_names_the_file_safely():
    with pytest.raises(ValueError, match="文件 passwd"):
        inbox.check_upload("../../etc/passwd", b"root:x:0:0")


def test_process_with_the_real_importer(db, box):
    """The default importer end to end: a 赤兔-style per-agent CSV, its period in the name."""
    name = "自定义报表_售前明细_2026-04-20至2026-04-20.csv"
    _write(box / name, "客服,接待人数,询单人数,销售额\n旗舰店:小王,120,40,3456.5\n旗舰店:小李,80,30,2100\n"
                       "汇总,200,70,5556.5\n")
    _write(box / "坏.csv", "a,b\n1,2\n")
    events = {e.file: e for e in inbox.process(db, box, user="boss", settle_seconds=0)}
    assert events[name].outcome == "imported" and events[name].import_id == 1
    assert str(events[name]).startswith(f"✓ {name}: 导入 #1")
    assert events["坏.csv"].outcome == "failed"
    assert str(events["坏.csv"]).startswith("✗ 坏.csv: ")
    assert "坏.csv" in (box / "failed" / "坏.csv.error.txt").read_text(encoding="utf-8")
    assert db.rows("SELECT account, date_from, receptions, sales FROM facts ORDER BY account") == [
        ("小李", date(2026, 4, 20), 80.0, 2100.0),
        ("小王", date(2026, 4, 20), 120.0, 3456.5),
    ]
    assert db.scalar("SELECT imported_by FROM imports") == "boss"


def test_upload_folders_left_a_day_ago_go_when_a_new_one_is_made(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    old, recent = inbox.upload_folder(), inbox.upload_folder()
    (old / "sha").mkdir()
    (old / "sha" / "报表.csv").write_text("x")
    day_ago = time.time() - inbox.UPLOAD_MAX_AGE_S - 60
    os.utime(old, (day_ago, day_ago))
    other = tmp_path / "someone-else"
    other.mkdir()
    os.utime(other, (day_ago, day_ago))
    fresh = inbox.upload_folder()
    assert not old.exists()
    assert recent.is_dir() and fresh.is_dir() and other.is_dir()
    assert fresh.name.startswith(inbox.UPLOAD_PREFIX) and fresh.parent == tmp_path


def test_the_dashboards_folder_is_found_beside_the_database_and_a_missing_note_falls_back(tmp_path, monkeypatch):
    monkeypatch.setenv(inbox.INBOX_ENV, str(tmp_path / "watched"))
    database = tmp_path / "shop.duckdb"
    assert inbox.announce(database) == tmp_path / "watched"
    monkeypatch.setenv(inbox.INBOX_ENV, str(tmp_path / "shell"))  # a command started with another setting
    assert inbox.watched_folder(database) == tmp_path / "watched"
    assert inbox.watched_folder(tmp_path / "other.duckdb") == tmp_path / "shell"  # no dashboard ever noted one
    # a folder the dashboard may not write to costs the note, not the dashboard
    assert inbox.announce(tmp_path / "missing-dir" / "x.duckdb") == tmp_path / "shell"


def test_only_a_dashboard_watching_the_database_is_handed_work(tmp_path, monkeypatch, db):
    monkeypatch.setenv(inbox.INBOX_ENV, str(tmp_path / "watched"))
    database = tmp_path / "shop.duckdb"
    assert inbox.dashboard_inbox(database) is None  # no dashboard ever announced one
    folder = inbox.announce(database)
    assert inbox.dashboard_inbox(database, os.getpid()) == folder
    assert inbox.dashboard_inbox(database) == folder  # the holder unknown: any watcher of this database
    assert inbox.dashboard_inbox(database, os.getpid() + 1) is None  # held by something else
    assert inbox.dashboard_inbox(tmp_path / "other.duckdb", os.getpid()) is None
    note = folder / f"{inbox.WATCHER_PREFIX}{os.getpid()}"
    long_ago = time.time() - inbox.WATCHER_FRESH_S - 60
    os.utime(note, (long_ago, long_ago))  # the dashboard stopped polling
    assert inbox.dashboard_inbox(database, os.getpid()) is None
    inbox.process(db, folder, settle_seconds=0)  # a poll says it is still watching
    assert inbox.dashboard_inbox(database, os.getpid()) == folder
    assert inbox.state(folder)["ignored"] == []  # the note is no file to import
