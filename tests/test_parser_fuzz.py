"""No junk crashes the parsers: every input either parses or is refused with the
importer's own errors (BadInput for a file, UnreadableValues/AmbiguousDates for cells)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from pathlib import Path

import openpyxl
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csperf import values as v
from csperf.importer import BadInput, Parsed, parse_file

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text that looks like the exports' cells, and text that does not.
cell_text = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["-", "--", "null", "延迟统计", "36.99%", "9秒", "8分48秒", "7小时41分52秒", "01:02:03",
                     "1,234.50", "1，234", "¥1234", "1234元", "2026-10-01", "01-02-2026", "20261001", "汇总",
                     "店铺:小王", "店铺：小李", "Y", "N", "是", "否", "%", "1e999", "nan", "inf", ":", "-:-"]),
    st.from_regex(r"[0-9.,%:秒分时-]{1,10}", fullmatch=True),
)
cell_value = st.one_of(
    cell_text, st.none(), st.integers(-10**12, 10**12), st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(), st.dates(), st.times(), st.datetimes(min_value=dt.datetime(1800, 1, 1)),
    st.timedeltas(min_value=dt.timedelta(days=-5), max_value=dt.timedelta(days=5)),
)

PARSERS = [v.read_number, v.read_percent, v.read_duration, v.read_booleans, v.read_ratings,
           lambda s: v.read_dates(s, order="dmy"), lambda s: v.read_dates(s, with_time=True),
           v.read_date_ranges, v.read_moments, v.percent_evidence, v.date_order_evidence, v.text,
           v.split_accounts, v.labels, v.pending_mask]


@FUZZ
@given(st.lists(cell_value, max_size=20))
def test_value_readers_never_crash(cells):
    series = pd.Series(cells, dtype=object)
    for parser in PARSERS:
        try:
            result = parser(series)
        except (v.UnreadableValues, v.AmbiguousDates):
            continue
        if isinstance(result, v.Reading):
            assert len(result.values) == len(cells) == len(result.bad) == len(result.pending)


@FUZZ
@given(st.lists(cell_text, max_size=20))
def test_friendly_parsers_raise_only_their_own_errors(texts):
    series = pd.Series(texts, dtype="str")
    for parser in (v.number, v.percent, v.duration, v.booleans, v.dates, v.moments, v.date_ranges):
        try:
            parser(series)
        except (v.UnreadableValues, v.AmbiguousDates):
            pass


@FUZZ
@given(st.text(max_size=80))
def test_period_readers_never_crash(text):
    for found in (v.period_from_name(text), v.period_from_text(text)):
        assert found is None or found[0] <= found[1]


def _parse_bytes(content: bytes, name: str = "junk.xlsx", **options):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        try:
            return parse_file(path, **options)
        except BadInput as exc:
            assert str(exc)
            return exc


@FUZZ
@given(st.binary(max_size=600))
def test_random_bytes_parse_or_refuse(content):
    result = _parse_bytes(content, date_from="2026-10-01")
    assert isinstance(result, (Parsed, BadInput))


@FUZZ
@given(st.binary(max_size=300))
def test_truncated_spreadsheet_headers_are_refused_cleanly(tail):
    for magic in (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\x09\x08\x10\x00"):
        assert isinstance(_parse_bytes(magic + tail), BadInput)


HEADERS = ["日期", "客服", "接待人数", "回复率", "平均响应时间", "询单人数", "询单转化率", "销售额", "客单价"]


@FUZZ
@given(st.lists(st.lists(cell_text, min_size=0, max_size=len(HEADERS) + 2), max_size=8),
       st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
def test_csv_with_junk_cells_parses_or_refuses(rows, encoding):
    buffer = io.StringIO()
    csv.writer(buffer).writerows([HEADERS] + rows)
    try:
        content = buffer.getvalue().encode(encoding)
    except UnicodeEncodeError:
        return
    for skip in (False, True):
        result = _parse_bytes(content, "fuzz.csv", date_from="2026-10-01", skip_bad_rows=skip)
        if isinstance(result, Parsed):
            assert result.rows == len(result.facts) + (0 if result.sessions is None else len(result.sessions))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(cell_value.filter(lambda x: not isinstance(x, dt.timedelta)), max_size=6), max_size=6))
def test_workbook_with_junk_cells_parses_or_refuses(rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["客服", "接待人数", "回复率", "首次响应时间", "日期"])
    for row in rows:
        cleaned = []
        for value in row:
            if isinstance(value, str):
                value = "".join(ch for ch in value if ch.isprintable())
            if isinstance(value, float) and value != value:
                value = None
            if isinstance(value, float) and abs(value) == float("inf"):
                value = None
            if isinstance(value, dt.datetime) and value.year < 1900:
                value = None
            if isinstance(value, dt.date) and value.year < 1900:
                value = None
            cleaned.append(value)
        sheet.append(cleaned)
    buffer = io.BytesIO()
    book.save(buffer)
    result = _parse_bytes(buffer.getvalue(), "fuzz.xlsx", date_from="2026-10-01")
    assert isinstance(result, (Parsed, BadInput))


@FUZZ
@given(st.lists(st.lists(cell_text, max_size=5), max_size=5),
       st.sampled_from(["<td>", "<td colspan='2'>", "<td rowspan='3'>", "<th>", "<td colspan='x'>"]))
def test_html_table_with_junk_cells_parses_or_refuses(rows, opening):
    body = "".join("<tr>" + "".join(f"{opening}{cell}</td>" for cell in row) + "</tr>" for row in rows)
    page = f"<html><table><tr><th>客服</th><th>接待人数</th></tr>{body}</table></html>"
    result = _parse_bytes(page.encode("utf-8"), "export.xls", date_from="2026-10-01", skip_bad_rows=True)
    assert isinstance(result, (Parsed, BadInput))
