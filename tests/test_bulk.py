"""The DuckDB path for big CSVs stores exactly what the Python path stores.

Each file is imported twice into fresh databases, once forced through csperf.bulk and
once through the Python reader, and every stored row, session and import record is
compared. Files with what only Python can name (a bad cell, a row without an agent, a
repeated header) must fall back and say the same thing.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from csperf import bulk, demo, importer
from csperf.db import Database


def _import(path: Path, *, through_duckdb: bool, monkeypatch, **options):
    monkeypatch.setattr(bulk, "MIN_BYTES", 0 if through_duckdb else 1 << 62)
    used: list[bool] = []
    store = bulk.store

    def spy(*args, **kwargs):
        outcome = store(*args, **kwargs)
        used.append(outcome is not None)
        return outcome

    monkeypatch.setattr(bulk, "store", spy)
    db = Database(":memory:")
    try:
        result = importer.import_file(db, path, **options)
        error = None
    except importer.BadInput as exc:
        result, error = None, str(exc)
    stored = (
        db.query("SELECT * EXCLUDE (fact_id) FROM facts ORDER BY shop, account, date_from, date_to, source"),
        db.query("SELECT * FROM sessions ORDER BY shop, session_id"),
        db.query("SELECT * EXCLUDE (imported_at) FROM imports"),
    )
    db.close()
    return stored, result, error, any(used)


def _same(path: Path, monkeypatch, *, bulk_used: bool = True, **options) -> None:
    fast, fast_result, fast_error, used = _import(path, through_duckdb=True, monkeypatch=monkeypatch, **options)
    slow, slow_result, slow_error, _ = _import(path, through_duckdb=False, monkeypatch=monkeypatch, **options)
    assert used is bulk_used
    assert fast_error == slow_error
    for mine, theirs in zip(fast, slow):
        pd.testing.assert_frame_equal(mine, theirs, check_dtype=False)
    if slow_result is not None:
        for name in ("rows", "sessions", "provisional_rows", "period_from", "period_to", "shop", "notes",
                     "skipped", "shop_defaulted", "unknown_columns"):
            assert getattr(fast_result, name) == getattr(slow_result, name), name


def _write(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


@pytest.fixture(autouse=True)
def small_sample(monkeypatch, request):
    """A sample of a few rows and none spread over the file, so later rows bring values
    the first ones did not show (tests marked `spread` sample the file as shipped)."""
    monkeypatch.setattr(bulk, "SAMPLE_ROWS", 3)
    if "spread" not in request.keywords:
        monkeypatch.setattr(bulk._Statement, "_spread", lambda self: None)


@pytest.fixture
def attempts(monkeypatch):
    """How often the INSERT ran, and whether the lookup columns were read whole."""
    seen = {"inserts": 0, "lookups read whole": 0}
    insert, read_lookups = bulk.Database.apply_import, bulk._Statement.read_lookups

    def counting_insert(*args, **kwargs):
        seen["inserts"] += 1
        return insert(*args, **kwargs)

    def counting_lookups(*args, **kwargs):
        seen["lookups read whole"] += 1
        return read_lookups(*args, **kwargs)

    monkeypatch.setattr(bulk.Database, "apply_import", counting_insert)
    monkeypatch.setattr(bulk._Statement, "read_lookups", counting_lookups)
    return seen


@pytest.fixture
def retries(monkeypatch):
    """What each `_Statement.untyped` call answered (True: the statement runs again as text)."""
    answers: list[bool] = []
    untyped = bulk._Statement.untyped

    def spy(self, message):
        answers.append(untyped(self, message))
        return answers[-1]

    monkeypatch.setattr(bulk._Statement, "untyped", spy)
    return answers


@pytest.fixture
def copies(monkeypatch):
    """The files read from a UTF-8 copy (GB18030 files DuckDB cannot read in place)."""
    made: list[str] = []
    copy = bulk.utf8_copy

    def spy(job):
        made.append(job.name)
        return copy(job)

    monkeypatch.setattr(bulk, "utf8_copy", spy)
    return made


HEADER = "日期,客服,接待人数,询单人数,询单->最终付款成功率,销售额,平均响应时间,客户满意率"


def _chitu_rows(n: int, start: int = 0) -> list[str]:
    rows = []
    for k in range(start, start + n):
        day = f"2026-10-{1 + k % 28:02d}"
        rows.append(f"{day},店铺A:客服{k // 28:02d},{80 + k % 7},{40 + k % 5},{30 + k % 9}.5%,{1000 + k}.25,"
                    f"{20 + k % 11}.5,{90 + k % 10}%")
    return rows


def test_a_plain_export_is_read_by_duckdb_with_the_same_figures(tmp_path, monkeypatch):
    _same(_write(tmp_path / "赤兔_日明细.csv", [HEADER, *_chitu_rows(200)]), monkeypatch)


@pytest.mark.parametrize("shop", [None, "我的京东", "京东旗舰店"])
def test_jd_shop_dash_names_and_a_given_shop(tmp_path, monkeypatch, shop):
    rows = [f"2026-10-{1 + k % 28:02d},京东旗舰店-kefu-{k // 28:02d},{80 + k},{40 + k % 5},90%,95%" for k in range(60)]
    path = _write(tmp_path / "咚咚.csv", ["日期,客服,接待量,售前接待人数,30s应答率,客服3分钟人工回复率", *rows])
    _same(path, monkeypatch, shop=shop)


@pytest.mark.parametrize("through_duckdb", [True, False])
def test_the_import_record_keeps_the_note_that_the_shop_given_was_ignored(tmp_path, monkeypatch, through_duckdb):
    """The data page's import history shows what the import said, not only the command line."""
    path = _write(tmp_path / "赤兔_日明细.csv", [HEADER, *_chitu_rows(60)])
    (_, _, imports), result, _, used = _import(path, through_duckdb=through_duckdb, monkeypatch=monkeypatch,
                                               shop="别的店")
    assert used is through_duckdb
    ignored = "文件自带店铺名，已忽略所填的店铺“别的店” — the file names its own shop; the shop given was ignored"
    assert ignored in result.notes and imports["notes"].tolist() == ["\n".join(result.notes)]


def test_windows_line_ends_and_a_byte_order_mark(tmp_path, monkeypatch):
    path = tmp_path / "crlf.csv"
    path.write_bytes(("\r\n".join([HEADER, *_chitu_rows(100)]) + "\r\n").encode("utf-8-sig"))
    _same(path, monkeypatch)


def test_odd_values_after_the_first_rows(tmp_path, monkeypatch):
    rows = _chitu_rows(60)
    rows[40] = "2026-10-13,店铺A:客服01,-,41,延迟统计,\"1,234.50\",8分48秒,-"
    rows[50] = "2026/10/23,店铺A:客服01,--,41,31.5%,¥88,00:01:05,延迟统计"
    rows.append("2026-10-28,店铺B：客服99,12,5,0.5%,  77 ,9秒,100%")
    _same(_write(tmp_path / "odd.csv", [HEADER, *rows]), monkeypatch)


def test_a_row_of_dashes_is_kept_and_underscored_numbers_are_refused(tmp_path, monkeypatch):
    rows = _chitu_rows(40)
    rows[30] = "2026-10-03,店铺A:客服01,-,-,-,-,-,-"  # an agent-day with nothing settled: stored, all NULL
    _same(_write(tmp_path / "dashes.csv", [HEADER, *rows]), monkeypatch)
    rows[35] = "2026-10-08,店铺A:客服01,1_000,40,30%,1000,20,90%"  # DuckDB alone would read 1000
    _same(_write(tmp_path / "underscore.csv", [HEADER, *rows]), monkeypatch, bulk_used=False)


def test_plus_minus_is_refused_and_underscores_between_letters_change_nothing(tmp_path, monkeypatch):
    rows = [r.replace("店铺A:客服", "shop_a:agent_") for r in _chitu_rows(40)]
    _same(_write(tmp_path / "letters.csv", [HEADER, *rows]), monkeypatch)  # no cell checked one by one
    rows[35] = "2026-10-08,shop_a:agent_01,+-5,40,30%,1000,20,90%"  # DuckDB alone would read -5
    _same(_write(tmp_path / "plusminus.csv", [HEADER, *rows]), monkeypatch, bulk_used=False)


@pytest.mark.parametrize(("blocks", "lenient"), [
    ([b"2026-10-01,a:b,1_000,2"], True),
    ([b"x,+-5"], True),
    ([b"shop_a:agent_01,5,-5,+5"], False),
    ([b"a,1", b"_000"], True),  # across two blocks
    ([b"a,+", b"-5"], True),
    ([b"a_1," * 20_000], True),  # past the underscores worth looking at: a cautious yes
])
def test_the_file_read_tells_whether_a_cell_may_be_a_number_only_duckdb_reads(tmp_path, monkeypatch,
                                                                               blocks, lenient):
    path = tmp_path / "f.csv"
    path.write_bytes(b"".join(blocks))
    monkeypatch.setattr(importer, "_BLOCK", len(blocks[0]))
    assert importer._Fingerprint(path).lenient_numbers() is lenient


def _by_agent(agents: int, days: int) -> list[str]:
    return [f"2026-10-{1 + d:02d},店铺A:客服{a:03d},{80 + d},{40 + a % 5},{30 + d % 9}.5%,{1000 + a}.25,20.5,90%"
            for a in range(agents) for d in range(days)]


@pytest.mark.spread
def test_a_file_sorted_by_agent_is_read_in_one_attempt(tmp_path, monkeypatch, attempts):
    """The first rows show a few agents; windows spread over the file (and its end, with
    the summary row) show the rest, so no second reading of the whole file is needed."""
    monkeypatch.setattr(bulk, "SPREAD_WINDOWS", 400)
    monkeypatch.setattr(bulk, "SPREAD_BYTES", 600)
    lines = [HEADER, *_by_agent(150, 28), "汇总,,12000,6000,35%,150000,20.5,90%"]
    _same(_write(tmp_path / "by_agent.csv", lines), monkeypatch)
    assert attempts == {"inserts": 2, "lookups read whole": 0}  # one through DuckDB, one through Python


@pytest.mark.spread
def test_spread_dates_that_would_change_the_day_month_order_wait_for_the_whole_file(tmp_path, monkeypatch,
                                                                                    attempts):
    monkeypatch.setattr(bulk, "SPREAD_WINDOWS", 400)
    monkeypatch.setattr(bulk, "SPREAD_BYTES", 600)
    lines = [HEADER, *_by_agent(3, 28), *[r.replace("2026-10-13", "13/10/2026") for r in _by_agent(150, 28)[84:]]]
    _same(_write(tmp_path / "late_dmy.csv", lines), monkeypatch)
    assert attempts == {"inserts": 3, "lookups read whole": 1}


def test_a_marker_where_duckdb_typed_the_column_reads_it_again_as_text(tmp_path, monkeypatch, retries):
    """The first rows show plain numbers only, so DuckDB's reader types 接待人数 itself;
    a `-` further down fails it, and the statement runs again reading that column as text."""
    rows = _chitu_rows(40)
    rows[30] = "2026-10-03,店铺A:客服01,-,41,31.5%,1000.25,20.5,90%"
    _same(_write(tmp_path / "late_dash.csv", [HEADER, *rows]), monkeypatch)
    assert retries.count(True) == 1


def test_no_value_marks_are_read_by_duckdb_where_it_types_the_column(tmp_path, monkeypatch, retries):
    """The first rows show `-` and `--` among plain numbers, so DuckDB's reader types those
    columns and reads the marks as NULL, in every typed column and later rows too."""
    rows = _chitu_rows(40)
    rows[1] = "2026-10-02,店铺A:客服00,-,41,31.5%,1000.25,--,90%"
    rows[30] = "2026-10-03,店铺A:客服01,--,-,31.5%,-,-,-"
    rows[33] = "2026-10-06,店铺A:客服01,,,,,,"  # blank: dropped on both paths
    rows[34] = "2026-10-07,店铺A:客服01,-,,,,,"  # … but a lone mark keeps the row
    _same(_write(tmp_path / "marks.csv", [HEADER, *rows]), monkeypatch)
    assert retries.count(True) == 1  # a row read blank: read again as text
    del rows[33:35], retries[:]
    reads = []
    typed = bulk._Body.typed

    def spy(self, columns, marks, verbatim):
        reads.append((sorted(columns), marks))
        return typed(self, columns, marks, verbatim)

    monkeypatch.setattr(bulk._Body, "typed", spy)
    _same(_write(tmp_path / "marks2.csv", [HEADER, *rows]), monkeypatch)
    assert True not in retries  # the marks never failed the typed reading (other stops: new values)
    assert reads[-1] == ([2, 3, 5, 6], ["-", "--"])  # the statement that landed: 接待人数 … 平均响应时间


def test_summary_rows_and_a_title_block(tmp_path, monkeypatch):
    lines = ["客服绩效日报", "统计时间：2026-10-01 ~ 2026-10-28", HEADER, *_chitu_rows(40),
             "合计,,3200,1600,35%,40000,20,90%", "均值,店铺A:均值,80,40,35%,1000,20,90%"]
    _same(_write(tmp_path / "summary.csv", lines), monkeypatch)


def test_a_rate_of_only_zeros_and_ones_is_read_as_100_percent_and_said_so(tmp_path, monkeypatch):
    header = "日期,客服,接待人数,询单人数,询单->最终付款成功率"
    rows = [f"2026-10-{1 + k:02d},客服{k % 3},50,20,{k % 2}" for k in range(20)]
    path = _write(tmp_path / "ones.csv", [header, *rows])
    _same(path, monkeypatch, shop="测试店")
    (facts, _, imports), result, _, _ = _import(path, through_duckdb=True, monkeypatch=monkeypatch, shop="测试店")
    assert sorted(set(facts["paid_buyers"])) == [0, 20]
    assert any("只有 0 和 1" in note and "100%" in note for note in result.notes)


def test_bare_rates_that_change_scale_later(tmp_path, monkeypatch):
    header = "日期,客服,接待人数,询单人数,询单->最终付款成功率"
    rows = [f"2026-10-{1 + k:02d},客服{k % 3},50,20,0.{30 + k}" for k in range(20)]
    rows.append("2026-10-25,客服9,50,20,45")  # a bare 45: the whole column is percents
    _same(_write(tmp_path / "bare.csv", [header, *rows]), monkeypatch, shop="测试店")


@pytest.mark.spread
def test_a_rate_scale_shown_only_further_down_is_seen_by_the_spread_sample(tmp_path, monkeypatch, attempts):
    """The first rows' bare rates all lie below 1 (fractions, so far); a later 45 makes the
    whole column percents. The spread windows show it, so the first attempt reads it right."""
    monkeypatch.setattr(bulk, "SPREAD_WINDOWS", 400)
    monkeypatch.setattr(bulk, "SPREAD_BYTES", 600)
    header = "日期,客服,接待人数,询单人数,询单->最终付款成功率"
    rows = [f"2026-10-{1 + k % 28:02d},客服{k // 28},50,20,0.{30 + k % 50}" for k in range(2800)]
    rows[2000] = rows[2000].rsplit(",", 1)[0] + ",45"
    _same(_write(tmp_path / "bare.csv", [header, *rows]), monkeypatch, shop="测试店")
    assert attempts == {"inserts": 2, "lookups read whole": 0}  # one through DuckDB, one through Python


def test_gb18030_without_a_date_column(tmp_path, monkeypatch):
    header = "客服,接待人数,询单人数,销售额"
    rows = [f"小店:客服{k},{10 + k},{5 + k},{100 + k}.5" for k in range(30)]
    path = _write(tmp_path / "飞鸽_2026-10-01至2026-10-31.csv", [header, *rows], encoding="gb18030")
    _same(path, monkeypatch)


def test_a_month_without_receptions_reads_as_no_day_worked(tmp_path, monkeypatch):
    header = "客服,接待人数,询单人数"
    rows = [f"小店:客服{k},{(k % 3) * 50},{k}" for k in range(30)]
    _same(_write(tmp_path / "绩效_2026-10-01至2026-10-31.csv", [header, *rows]), monkeypatch)


def _gb_rows() -> list[str]:
    rows = _chitu_rows(100)
    rows[80] = "2026-10-25,店铺A:客服02,延迟统计,41,31.5%,1000.25,8分48秒,90%"  # odd values only further down
    rows[20] = '2026-10-21,"店铺A:客服\n00",80,40,30.5%,1000.25,20.5,90%'  # a quoted line break
    rows.append(",汇总,8000,4000,30%,100000,20,90%")
    return rows


def test_a_gb18030_file_is_read_in_place_as_latin1(tmp_path, monkeypatch, copies, retries):
    """DuckDB reads the file's bytes as latin-1; the values read one by one (accounts,
    延迟统计 in a typed column, 8分48秒, the summary row) are decoded in Python."""
    path = _write(tmp_path / "赤兔_gb.csv", [HEADER, *_gb_rows()], encoding="gb18030")
    _same(path, monkeypatch)
    assert copies == []
    assert retries[0] is True  # 延迟统计, as DuckDB's error quotes it, failed the typed 接待人数


def test_a_gb18030_file_read_in_place_is_sampled_from_its_head(tmp_path, monkeypatch, copies):
    """The first rows come from a copy of its head (fewer rows than a sample, cut where a
    quoted line break begins), so values only further down still stop the statement."""
    monkeypatch.setattr(bulk, "SAMPLE_ROWS", 1000)
    path = _write(tmp_path / "赤兔_gb.csv", [HEADER, *_gb_rows()], encoding="gb18030")
    monkeypatch.setattr(bulk, "HEAD_BYTES", path.read_bytes().index(b'\n00"') + 3)
    heads = []
    head = bulk._head

    def spy(job, made, utf8):
        heads.append(Path(head(job, made, utf8)).read_bytes())
        return made[-1]

    monkeypatch.setattr(bulk, "_head", spy)
    _same(path, monkeypatch)
    assert copies == []
    assert heads == [path.read_bytes()[:path.read_bytes().index(b'2026-10-21,"')]]


@pytest.mark.spread
def test_the_spread_sample_of_a_gb18030_file_read_in_place(tmp_path, monkeypatch, copies, attempts):
    """The windows give the values as DuckDB reads them, so one attempt reads the file
    (a window with a quote is skipped: the row with a quoted line break goes)."""
    rows = [row for row in _gb_rows() if '"' not in row]
    path = _write(tmp_path / "赤兔_gb.csv", [HEADER, *rows], encoding="gb18030")
    _same(path, monkeypatch)
    assert copies == []
    assert attempts == {"inserts": 2, "lookups read whole": 0}  # one through DuckDB, one through Python


def test_a_gb18030_file_with_a_byte_latin1_refuses_is_read_from_a_utf8_copy(tmp_path, monkeypatch, copies):
    """旸 is 0x95 0x44 in GB18030, which DuckDB's latin-1 refuses. The first rows then come
    from a transcoded head (fewer rows than a sample: the file goes on past it), so a value
    only further down still stops the statement and is learnt."""
    monkeypatch.setattr(bulk, "SAMPLE_ROWS", 1000)
    rows = _gb_rows()
    rows[50] = rows[50].replace("客服01", "张旸")
    path = _write(tmp_path / "赤兔_gb.csv", [HEADER, *rows], encoding="gb18030")
    monkeypatch.setattr(bulk, "HEAD_BYTES", path.read_bytes().index(b'\n00"') + 3)  # the head ends in quotes
    _same(path, monkeypatch)
    assert copies == [path.name]


def test_such_a_byte_past_what_duckdb_sampled_also_means_a_utf8_copy(tmp_path, monkeypatch, copies):
    """The background read of the whole file finds it before the INSERT (see below); here
    it is made to find one in a file DuckDB itself would read as latin-1."""
    monkeypatch.setattr(importer._Job, "latin1_readable", lambda self: False)
    path = _write(tmp_path / "赤兔_gb.csv", [HEADER, *_gb_rows()], encoding="gb18030")
    _same(path, monkeypatch)
    assert copies == [path.name]


@pytest.mark.parametrize(("text", "found"), [
    ("店铺A:客服01,延迟统计\n" * 50, False),  # GB2312 characters only
    ("店铺A:客服01\n" * 50 + "张旸\n", True),  # … and one past them, in the last block
])
def test_the_background_read_finds_a_byte_latin1_refuses(tmp_path, monkeypatch, text, found):
    monkeypatch.setattr(importer, "_BLOCK", 64)
    path = tmp_path / "gb.csv"
    path.write_bytes(text.encode("gb18030"))
    assert importer._Fingerprint(path).c1_bytes() is found


@pytest.mark.parametrize(("head", "kept"), [
    (b'a,1\nb,"x\ny"\nc,2\nd,"p\nq', b'a,1\nb,"x\ny"\nc,2\n'),
    (b'a,1\nb,"x\ny', b"a,1\n"),
    (b'a,1\nb,""""\nc', b'a,1\nb,""""\n'),
    (b'a,"1\n2\n3', b""),
])
def test_a_head_ends_at_a_line_end_outside_quotes(head, kept):
    assert bulk._whole_rows(head) == kept


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_the_head_is_the_header_and_a_sample_of_lines(tmp_path, encoding):
    """Every file's first rows are sampled from a copy of them (DuckDB reads megabytes
    ahead of a LIMIT); a file no longer than that is sampled from itself."""
    def head_of(path: Path) -> list[str] | None:
        job = SimpleNamespace(path=path, plans=[SimpleNamespace(start=1, sheet=SimpleNamespace(encoding=encoding))])
        with bulk._scratch() as made:
            head = bulk._head(job, made, utf8=False)
            return head and Path(head).read_text(encoding=encoding).splitlines()

    rows = _chitu_rows(bulk.SAMPLE_ROWS + 5)
    assert head_of(_write(tmp_path / "long.csv", ["统计时间", HEADER, *rows], encoding)) == [
        "统计时间", HEADER, *rows[:bulk.SAMPLE_ROWS]]
    assert head_of(_write(tmp_path / "short.csv", ["统计时间", HEADER, *rows[:bulk.SAMPLE_ROWS]], encoding)) is None


@pytest.mark.parametrize("bad_line", [
    "2026-10-05,店铺A:客服00,八十,40,30%,1000,20,90%",  # an unreadable count
    ",,80,40,30%,1000,20,90%",  # figures without an agent
    "日期,客服,接待人数,询单人数,询单->最终付款成功率,销售额,平均响应时间,客户满意率",  # a repeated header
    "2026-10-05,店铺A:客服00,80,40,30%,1000,20,90%,extra",  # a cell beyond the header
])
def test_what_only_python_can_name_falls_back(tmp_path, monkeypatch, bad_line):
    rows = _chitu_rows(30)
    rows.insert(20, bad_line)
    _same(_write(tmp_path / "bad.csv", [HEADER, *rows]), monkeypatch, bulk_used=False)


def test_two_rows_of_one_agent_day_fall_back(tmp_path, monkeypatch):
    rows = _chitu_rows(30)
    rows.append(rows[5])
    _same(_write(tmp_path / "twice.csv", [HEADER, *rows]), monkeypatch, bulk_used=False)


SESSION_HEADER = "会话ID,客服,开始时间,首次响应(秒),会话时长(秒),是否回复,是否解决,是否成交,成交金额,满意度,咨询类型,流失原因"


@pytest.mark.parametrize(("session_id", "through_duckdb"), [
    ("WX-2026-10-21-000001", True),  # the usual id: printable ASCII at both ends, longer than any NULL marker
    ("88", True),
    ("会话0001", True),
    ("N/A", False),  # a NULL marker: the Python path names the row
    (" WX-2026-10-21-000001", False),  # space at either end: Python strips it
    ("WX-2026-10-21-000001\u3000", False),
])
def test_session_ids_python_would_read_otherwise_fall_back(tmp_path, monkeypatch, session_id, through_duckdb):
    rows = [f"S{k:012d},店铺0:客服{k % 3},2026-10-{1 + k % 20:02d} 09:00:00,5,60,是,是,否,,,物流,"
            for k in range(30)]
    rows[20] = rows[20].replace("S000000000020", session_id)
    _same(_write(tmp_path / "会话记录.csv", [SESSION_HEADER, *rows]), monkeypatch, bulk_used=through_duckdb)


@pytest.mark.parametrize(("shop", "through_duckdb"), [
    ("店铺0", False),  # one session twice: the Python path keeps the last row
    ("店铺1", True),  # the same number in another shop is another session
])
def test_a_session_id_seen_twice(tmp_path, monkeypatch, shop, through_duckdb):
    rows = [f"S{k:012d},店铺0:客服{k % 3},2026-10-{1 + k % 20:02d} 09:00:00,5,{60 + k},是,是,否,,,物流,"
            for k in range(30)]
    rows.append(f"S000000000005,{shop}:客服1,2026-10-21 10:00:00,7,90,否,否,否,,,售后,")
    _same(_write(tmp_path / "会话记录.csv", [SESSION_HEADER, *rows]), monkeypatch, bulk_used=through_duckdb)


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_a_session_log(tmp_path, monkeypatch, copies, encoding):
    header = SESSION_HEADER
    rows = []
    for k in range(80):
        answered = "是" if k % 5 else "否"
        rating = ["", "5", "4", "非常满意", "不满意"][k % 5]
        amount = f"{100 + k}.5" if k % 3 == 0 else ""
        rows.append(f"S{k:05d},店铺{k % 3}:客服{k % 7},2026-10-{1 + k % 20:02d} {k % 24:02d}:{k % 60:02d}:07,"
                    f"{k % 40}.5,{60 + k},{answered},{'是' if k % 2 else '否'},{'是' if k % 3 == 0 else '否'},"
                    f"{amount},{rating},{['物流', '售后', '优惠'][k % 3]},{'价格' if k % 4 == 1 else ''}")
    rows.append("S99999,店铺0:客服1,2026/10/21 9:05,1分5秒,2分,Y,N,N,,一般,物流,")
    rows.append('S99998,店铺1:客服2,2026-10-21 10:00:00,3,40,是,否,否,,,物流,"价格高\n运费贵"')  # a quoted line break
    _same(_write(tmp_path / "会话记录.csv", [header, *rows], encoding=encoding), monkeypatch)
    assert copies == []  # a GB18030 log with ASCII ids is read in place


def test_a_gb18030_session_log_with_ids_that_are_no_ascii_is_read_from_a_utf8_copy(tmp_path, monkeypatch, copies):
    """Ids are stored as DuckDB reads them: from a copy, not from the latin-1 reading."""
    rows = [f"会话{k:06d},店铺0:客服{k % 3},2026-10-{1 + k % 20:02d} 09:00:00,5,60,是,是,否,,,物流," for k in range(30)]
    path = _write(tmp_path / "会话记录.csv", [SESSION_HEADER, *rows], encoding="gb18030")
    _same(path, monkeypatch)
    assert copies == [path.name]


def test_a_second_file_merges_with_the_first(tmp_path, monkeypatch):
    first = _write(tmp_path / "first.csv", [HEADER, *_chitu_rows(40)])
    later = [line.replace("延迟统计", "") for line in _chitu_rows(40)]
    second = _write(tmp_path / "second.csv", ["日期,客服,接待人数,询单人数", *[",".join(r.split(",")[:3] + ["99"])
                                                                       for r in later]])
    stored = {}
    for through_duckdb in (True, False):
        monkeypatch.setattr(bulk, "MIN_BYTES", 0 if through_duckdb else 1 << 62)
        db = Database(":memory:")
        importer.import_file(db, first)
        importer.import_file(db, second)
        stored[through_duckdb] = db.query(
            "SELECT * EXCLUDE (fact_id) FROM facts ORDER BY shop, account, date_from, import_id")
        db.close()
    pd.testing.assert_frame_equal(stored[True], stored[False], check_dtype=False)


def test_a_second_session_log_replaces_the_sessions_it_repeats_and_undo_brings_them_back(tmp_path, monkeypatch):
    """The second log re-exports some sessions of the first (changed) and brings new ones:
    the days both touch are folded again from all their sessions, on either path."""
    def log(name, ids, answered):
        return _write(tmp_path / name, [SESSION_HEADER, *[
            f"S{k:06d},店铺0:客服{k % 3},2026-10-{1 + k % 5:02d} 09:{k % 60:02d}:00,{k % 9},{60 + k},"
            f"{answered},是,{'是' if k % 4 == 0 else '否'},{'88.5' if k % 4 == 0 else ''},{k % 5 + 1},物流," for k in ids]])

    first, second = log("会话一.csv", range(40), "是"), log("会话二.csv", range(30, 60), "否")
    stored, used = {}, []
    for through_duckdb in (True, False):
        monkeypatch.setattr(bulk, "MIN_BYTES", 0 if through_duckdb else 1 << 62)
        db = Database(":memory:")
        outcomes = [importer.import_file(db, first), importer.import_file(db, second)]
        facts = "SELECT * EXCLUDE (fact_id, import_id) FROM facts WHERE current ORDER BY shop, account, date_from"
        sessions = "SELECT * EXCLUDE (import_id) FROM sessions ORDER BY session_id"
        both = (db.query(facts), db.query(sessions))
        db.undo_import(outcomes[1].import_id)
        stored[through_duckdb] = (*both, db.query(facts), db.query(sessions))
        used.append(db.scalar("SELECT count(*) FROM sessions"))
        db.close()
    for mine, theirs in zip(stored[True], stored[False]):
        pd.testing.assert_frame_equal(mine, theirs, check_dtype=False)
    assert len(stored[True][1]) == 60 and used == [40, 40]
    assert stored[True][0]["receptions"].sum() == 60 and stored[True][2]["receptions"].sum() == 40


def test_the_demo_douyin_exports(tmp_path, monkeypatch):
    """The demo's 飞鸽 files: GB18030, shop rows (店铺汇总值) above the agents, 9秒 and '-'."""
    maker = demo.generator()
    days = [date(2026, 11, 9), date(2026, 11, 10), date(2026, 11, 11)]
    for path in maker._douyin_files(tmp_path, days, 7):  # the seed `generate` uses
        _same(path, monkeypatch)


def test_an_import_killed_midway_leaves_nothing_behind(tmp_path):
    """SIGKILL while DuckDB writes a big file's rows: the database opens again and holds the
    file's rows entirely or not at all (the kill lands 0.3 s into the write). The copy of
    the file's first rows it left in the temporary folder goes once it is a day old."""
    import os
    import signal
    import subprocess
    import sys
    import tempfile
    import time

    big = _write(tmp_path / "赤兔_big.csv", [HEADER, *_chitu_rows(400_000)])
    path = tmp_path / "killed.duckdb"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    Database(path).close()
    child = subprocess.Popen([sys.executable, "-c", (
        "from csperf import importer\nfrom csperf.db import Database\n"
        f"importer.import_file(Database({str(path)!r}), {str(big)!r}, "
        "progress=lambda done, total, message: print(message, flush=True))")],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "TMPDIR": str(scratch)})  # not /tmp: it leaves copies
    for line in child.stdout:
        if "写入数据库" in line:
            time.sleep(0.3)
            break
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=60)
    db = Database(path)
    imports, rows = db.rows("SELECT (SELECT count(*) FROM imports), (SELECT count(*) FROM facts)")[0]
    db.close()
    assert (imports, rows) in ((0, 0), (1, 400_000))


def test_the_copies_an_import_killed_midway_left_go_once_a_day_old(tmp_path, monkeypatch):
    """What a killed import leaves in the temporary folder (up to a whole UTF-8 copy of a big
    file) is removed by a later import, but not while an import might still read it."""
    import os
    import tempfile
    import time

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(bulk, "MIN_BYTES", 0)
    fresh, old = (tmp_path / f"{bulk.SCRATCH_PREFIX}{n}.csv" for n in ("fresh", "old"))
    mine = tmp_path / "csperf-notes.csv"
    for left in (fresh, old, mine):
        left.write_text("日期,客服\n", encoding="utf-8")
    for left in (old, mine):
        os.utime(left, (time.time() - bulk.SCRATCH_MAX_AGE_S - 60,) * 2)
    path = _write(tmp_path / "赤兔.csv", [HEADER, *_chitu_rows(60)])
    assert importer.import_file(Database(":memory:"), path).ok
    assert (fresh.exists(), old.exists(), mine.exists()) == (True, False, True)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([fresh.name, mine.name, path.name])


def test_a_hash_still_being_read_comes_after_the_rows_and_still_finds_a_copy(tmp_path, monkeypatch):
    """A big file's SHA-256 may take longer than its sampling: the rows go in meanwhile."""
    import hashlib

    monkeypatch.setattr(bulk, "MIN_BYTES", 0)
    monkeypatch.setattr(importer._Job, "hash_ready", lambda self: False)
    stored = []
    store = bulk.store
    monkeypatch.setattr(bulk, "store", lambda *args: stored.append(store(*args)) or stored[-1])
    path = _write(tmp_path / "赤兔.csv", [HEADER, *_chitu_rows(60)])
    copy = tmp_path / "赤兔 (1).csv"
    copy.write_bytes(path.read_bytes())
    db = Database(":memory:")
    first = importer.import_file(db, path)
    again = importer.import_file(db, copy)
    assert all(outcome is not None for outcome in stored) and len(stored) == 2  # both through DuckDB
    assert not first.outcome.duplicate and again.outcome.duplicate
    assert again.outcome.import_id == first.outcome.import_id
    assert db.scalar("SELECT sha256 FROM imports") == hashlib.sha256(path.read_bytes()).hexdigest()
    assert db.scalar("SELECT count(*) FROM facts") == first.rows
    db.close()


def test_a_session_log_stamped_in_utc_or_with_an_offset_is_read_on_the_shops_clock(tmp_path, monkeypatch,
                                                                                    attempts):
    """A chat system's export in UTC: 16:30Z on 10-01 is 00:30 on 10-02 in the shop, and
    counts on 10-02 either path. Once the first rows show such stamps, DuckDB reads the
    later ones itself: the statement runs once."""
    stamps = ["2026-10-01T16:30:00Z", "2026-10-01T09:00:00+08:00", "2026-10-01 10:15:00+0800",
              "2026-10-01T01:00:00.250Z", "2026-10-01 09:00:00"]
    rows = [f"S{k:05d},店铺0:客服{k % 3},{stamps[k % 5]},5,60,是,是,否,,,物流," for k in range(30)]
    path = _write(tmp_path / "会话记录.csv", [SESSION_HEADER, *rows])
    _same(path, monkeypatch)
    assert attempts["inserts"] == 2  # one through DuckDB, one through Python
    (_, sessions, _), *_ = _import(path, through_duckdb=True, monkeypatch=monkeypatch)
    started = sessions.set_index("session_id")["started_at"].astype(str)
    assert started[["S00000", "S00001", "S00002", "S00003", "S00004"]].tolist() == [
        "2026-10-02 00:30:00", "2026-10-01 09:00:00", "2026-10-01 10:15:00", "2026-10-01 09:00:00",
        "2026-10-01 09:00:00"]
