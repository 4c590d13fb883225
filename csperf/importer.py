"""Shops' export files → the canonical facts and sessions of metrics.md.

Shops hand over the platforms' files as they come: .xlsx, legacy .xls (sometimes an
HTML table in disguise), CSV in UTF-8 or GBK, a title block above the header, a two-row
header, summary rows (汇总, 均值, 全店, 同行) among the agents, rates instead of counts.
This module finds the header wherever it is, recognises columns through csperf.aliases
(a caller's mapping, remembered per header signature, covers the rest), reads values
through csperf.values, drops summary rows, and rebuilds every ratio's numerator from
its rate and base (metrics.md) so the database only ever sums.

Files are read in chunks and turned into chunk frames lazily, so `import_file` streams a
multi-million-row CSV into `Database.apply_import` in one transaction without holding
it in memory; decisions that need the whole column (percent scale, day-first dates) are
made from a first pass over only those columns. Any problem with the file raises
`BadInput` naming the file, row (as Excel numbers it) and column; nothing is written.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from html.parser import HTMLParser
from itertools import islice
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from python_calamine import CalamineWorkbook

from csperf import aliases, values
from csperf.aliases import (
    AVERAGE,
    COUNT,
    IDENTITY,
    IGNORED,
    RATE,
    RATIO,
    TOTAL_TIME,
    Column,
)
from csperf.db import (
    FACT_KEY,
    SESSION_COLUMNS,
    SHOP_LEVEL_ACCOUNT,
    Database,
    ImportMeta,
    ImportOutcome,
)
from csperf.metrics import MEASURE_NAMES, RATIO_PARTNERS, label

DEFAULT_SHOP = "默认店铺"
HEAD_ROWS = 60  # the header is looked for in the first rows
CHUNK_ROWS = 200_000
CSV_BLOCK_BYTES = 1 << 20  # Arrow reads ~16 blocks ahead: this bounds its memory
MAX_LISTED = 200  # skipped rows listed one by one; beyond that, counted

Progress = Callable[[int, "int | None", str], None]


class BadInput(ValueError):
    """A file that cannot be imported as it is. The message names the file and, where it
    applies, the row (as Excel numbers it) and the column. Nothing was written.

    `columns` tells how the file's columns were read, when it got that far (parse_file),
    so that a column read wrongly, or not at all, can be given its meaning."""

    def __init__(self, message: str, columns: Iterable[ColumnReading] = ()):
        super().__init__(message)
        self.columns = list(columns)


class AmbiguousDateOrder(BadInput):
    """Dates like 01-02-2026 the whole file cannot order: the user says dmy or mdy
    (`mapping={"date_order": …}`, remembered for files with the same headers)."""


# -- results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnReading:
    """One column of a file's header row, a value under it, and how it was read."""

    header: str
    sample: str
    meaning: str | None  # a key of aliases.MAPPING_FIELDS; None: not stored
    recognised: bool  # False: no known header (it is listed among the unknown columns)


@dataclass
class Parsed:
    """A file read into canonical frames (no database involved)."""

    file_name: str
    sha256: str
    format: str
    shop: str | None
    shop_defaulted: bool
    period_from: dt.date | None
    period_to: dt.date | None
    facts: pd.DataFrame
    sessions: pd.DataFrame | None
    unknown_columns: list[str]
    skipped: list[str]
    provisional_rows: int
    rows: int
    notes: list[str] = field(default_factory=list)
    header_maps: dict[str, dict[str, str]] = field(default_factory=dict)  # signature → mapping to remember
    columns: list[ColumnReading] = field(default_factory=list)  # every sheet's header row, as read


@dataclass
class ImportResult:
    """What happened to one file: the parse summary and the database outcome, or the error."""

    file_name: str
    format: str | None = None
    shop: str | None = None
    shop_defaulted: bool = False
    period_from: dt.date | None = None
    period_to: dt.date | None = None
    rows: int = 0  # fact rows stored
    sessions: int = 0  # session rows stored
    unknown_columns: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    provisional_rows: int = 0
    notes: list[str] = field(default_factory=list)
    outcome: ImportOutcome | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def import_id(self) -> int | None:
        return self.outcome.import_id if self.outcome else None

    @property
    def duplicate(self) -> bool:
        return bool(self.outcome and self.outcome.duplicate)

    def summary(self, web: bool = False) -> str:
        """One line (plus warnings) for the CLI and the inbox; for the data page (`web`)
        without the format's code and with the page's way to give a shop."""
        if self.error:
            return f"✗ {self.error}"
        if self.duplicate:
            return f"= {self.file_name}: 与导入 #{self.import_id} 内容相同，未重复导入 — already imported"
        period = ""
        if self.period_from:
            period = f" {self.period_from}" + (f"~{self.period_to}" if self.period_to != self.period_from else "")
        counts = ", ".join(part for part in (f"{self.rows} 行数据" if self.rows or not self.sessions else "",
                                             f"{self.sessions} 条会话" if self.sessions else "") if part)
        shape = "" if web else f" ({self.format})"
        lines = [f"✓ {self.file_name}: 导入 #{self.import_id}{shape} {self.shop or ''}{period} — {counts}"]
        if self.shop_defaulted:
            how = "撤销后在「店铺」一栏填写再导入" if web else "可用 --shop 指定"
            lines.append(f"  ! 文件中没有店铺名，已记入“{DEFAULT_SHOP}”({how}) — no shop in the file")
        if self.provisional_rows:
            lines.append(f"  ! {self.provisional_rows} 行含“延迟统计”，标记为暂定 — provisional rows")
        if self.unknown_columns:
            lines.append(f"  ! 未识别的列(未导入): {', '.join(self.unknown_columns)} — unknown columns")
        if self.skipped:
            lines.append(f"  ! 跳过 {len(self.skipped)} 行: " + "; ".join(self.skipped[:5]))
        lines.extend(f"  ! {note}" for note in self.notes)
        return "\n".join(lines)


# -- containers ---------------------------------------------------------------------------


class _MemorySheet:
    """A sheet already in memory (Excel, HTML): rows as lists of Python values."""

    def __init__(self, name: str, rows: list[list]):
        width = max((len(r) for r in rows), default=0)
        self.name = name
        self.rows = [r if len(r) == width else list(r) + [""] * (width - len(r)) for r in rows]
        self.head = self.rows[:HEAD_ROWS]
        self.total_rows: int | None = len(self.rows)

    def frames(self, start: int, width: int, usecols: list[int] | None = None
               ) -> Iterator[pd.DataFrame]:
        for a in range(start, len(self.rows), CHUNK_ROWS):
            block = [(r + [""] * width)[:width] for r in self.rows[a:a + CHUNK_ROWS]]
            frame = pd.DataFrame(block, columns=range(width), dtype=object)
            frame.index = pd.RangeIndex(a + 1, a + 1 + len(block))
            yield frame[usecols] if usecols is not None else frame


class _CsvSheet:
    """A delimited text file, streamed by Arrow's CSV reader in blocks.

    Every cell arrives as an Arrow string (csperf.values reads them in C++ where it can).
    The reader runs single-threaded so that rows whose cell count differs from the
    header's reach `_odd_row` with their line number: they are parsed here and put back
    in place, so a row number is always the line the user sees.
    """

    def __init__(self, path: Path, encoding: str, name: str):
        self.path, self.encoding, self.name = path, encoding, ""
        self.file_name = name
        self.total_rows = None
        try:
            with open(path, encoding=encoding, newline="") as fh:
                sample = fh.read(1 << 20)
                complete = not fh.read(1)
        except UnicodeDecodeError:
            raise BadInput(f"{name}: 文件编码无法识别(不是 UTF-8 或 GB18030) — cannot decode the file") from None
        self.sep = _sniff_separator(sample)
        try:
            records = list(islice(csv.reader(io.StringIO(sample), delimiter=self.sep), HEAD_ROWS + 1))
        except csv.Error as exc:
            raise BadInput(f"{name}: 不是可读的 CSV 文件 ({exc}) — not a readable CSV file") from None
        if not complete and len(records) > HEAD_ROWS:
            records = records[:HEAD_ROWS]
        elif not complete and records:
            records = records[:-1]  # the sample may end inside the last record
        self.head = records
        self.width = max((len(r) for r in records), default=0)

    def frames(self, start: int, width: int, usecols: list[int] | None = None
               ) -> Iterator[pd.DataFrame]:
        """Columns 0..width-1 are the header's; any further columns hold cells beyond it,
        the last one whatever a row has past every other row (the importer refuses rows
        with data beyond the header: usually an unquoted `1,234`)."""
        total = max(width, self.width)
        names = [str(i) for i in range(total)]
        wanted = list(range(total)) if usecols is None else list(usecols)
        odd: dict[int, str] = {}

        def _odd_row(row) -> str:
            odd[row.number] = row.text
            return "skip"

        try:
            reader = pacsv.open_csv(
                self.path,
                # a UTF-8 byte-order mark sits in the skipped header lines: Arrow reads UTF-8
                # natively, any other encoding through a Python codec
                read_options=pacsv.ReadOptions(skip_rows=start, column_names=names, use_threads=False,
                                               block_size=CSV_BLOCK_BYTES,
                                               encoding="utf8" if self.encoding.startswith("utf-8") else self.encoding),
                parse_options=pacsv.ParseOptions(delimiter=self.sep, ignore_empty_lines=False,
                                                 invalid_row_handler=_odd_row),
                convert_options=pacsv.ConvertOptions(
                    column_types={n: pa.string() for n in names}, include_columns=[names[c] for c in wanted],
                    strings_can_be_null=True, quoted_strings_can_be_null=True, null_values=[""]),
            )
            line = start + 1  # the next data row's line number (1-based, as Excel shows it)
            for table in _gathered(reader, CHUNK_ROWS):
                frame = table.to_pandas()
                frame.columns = wanted
                if usecols is None:
                    frame[total] = pd.Series(None, index=frame.index, dtype="str")
                rows = np.arange(line, line + len(frame))
                for number in sorted(n for n in odd if n >= line):
                    if len(rows) and number <= rows[-1]:
                        rows[rows >= number] += 1
                line = int(rows[-1]) + 1 if len(rows) else line
                frame.index = rows
                frame = self._with_odd_rows(frame, odd, line, wanted, total)
                for a in range(0, len(frame), CHUNK_ROWS):
                    yield frame.iloc[a:a + CHUNK_ROWS]
            leftover = self._with_odd_rows(pd.DataFrame(columns=wanted + ([total] if usecols is None else [])),
                                           odd, None, wanted, total)
            if len(leftover):
                yield leftover
        except pa.ArrowInvalid as exc:
            raise BadInput(f"{self.file_name}: 不是可读的 CSV 文件 — not a readable CSV file ({exc})") from None
        except UnicodeDecodeError:
            raise BadInput(f"{self.file_name}: 文件中有无法解码的字节 — cannot decode the file "
                           f"as {self.encoding}") from None

    def _with_odd_rows(self, frame: pd.DataFrame, odd: dict[int, str], before: int | None, wanted: list[int],
                       total: int) -> pd.DataFrame:
        """Rows with fewer or more cells than the others, read by the csv module, in place;
        cells past the last column are kept, joined, in the last column."""
        due = sorted(n for n in odd if before is None or n < before)
        if not due:
            return frame
        rows = []
        columns = list(frame.columns)
        for number in due:
            cells = next(csv.reader([odd.pop(number)], delimiter=self.sep), [])
            beyond = self.sep.join(c for c in cells[total:] if c.strip())
            cells = cells[:total] + [""] * (total - len(cells)) + [beyond]
            rows.append([cells[c] if cells[c] != "" else None for c in columns])
        extra_frame = pd.DataFrame(rows, columns=columns, index=due, dtype="str")
        return pd.concat([frame, extra_frame]).sort_index() if len(frame) else extra_frame


def _gathered(reader, rows: int) -> Iterator[pa.Table]:
    """Arrow's small record batches (small blocks keep its read-ahead small) joined
    into single-chunk tables of at most `rows` rows (or one batch, when a batch alone is
    larger); one chunk per column makes the distinct-value reads cheaper."""
    pending, count = [], 0
    for batch in reader:
        if pending and count + batch.num_rows > rows:
            yield pa.Table.from_batches(pending).combine_chunks()
            pending, count = [], 0
        pending.append(batch)
        count += batch.num_rows
    if pending:
        yield pa.Table.from_batches(pending).combine_chunks()


def _sniff_separator(sample: str) -> str:
    lines = [line for line in sample.splitlines()[:30] if line.strip()]
    if not lines:
        return ","
    for sep in ("\t", ";", "|"):
        if all(sep in line for line in lines[-min(len(lines), 10):]) and sum(
                line.count(sep) for line in lines) > sum(line.count(",") for line in lines):
            return sep
    return ","


class _HtmlTables(HTMLParser):
    """Tables of an HTML page saved as .xls (several platforms export that way)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._span = (1, 1)
        self._spans: dict[int, tuple[int, str]] = {}  # column → (rows still covered, text)
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._depth += 1
            if self._depth == 1:
                self.tables.append([])
                self._spans = {}
        elif self._depth == 1 and tag == "tr":
            self._row = []
            self._fill_spans()
        elif self._depth == 1 and tag in ("td", "th") and self._row is not None:
            found = dict(attrs)
            self._cell = []
            self._span = (_int(found.get("colspan")), _int(found.get("rowspan")))
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def _fill_spans(self):
        while len(self._row) in self._spans:
            col = len(self._row)
            left, text = self._spans.pop(col)
            self._row.append(text)
            if left > 1:
                self._spans[col] = (left - 1, text)

    def handle_endtag(self, tag):
        if tag == "table":
            self._depth -= 1
        elif self._depth == 1 and tag in ("td", "th") and self._cell is not None and self._row is not None:
            text = "".join(self._cell).strip()
            cols, rows = self._span
            for _ in range(cols):
                if rows > 1:
                    self._spans[len(self._row)] = (rows - 1, text)
                self._row.append(text)
                self._fill_spans()
            self._cell = None
        elif self._depth == 1 and tag == "tr" and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _int(text) -> int:
    try:
        return max(1, min(int(text), 1000))
    except (TypeError, ValueError):
        return 1


_ENCODING_SAMPLE = 1 << 20  # bytes that decide UTF-8 or GB18030 before `settle` checks the rest


class _Fingerprint:
    """The file's SHA-256, read in a background thread: hashlib releases the GIL, so while
    a big file is hashed the importer (and DuckDB) go on reading it. A second, quicker read
    (the hash takes most of a second per gigabyte) tells whether any cell may be a number
    that DuckDB's cast reads and csperf.values refuses (`1_000`, `+-5`): csperf.bulk checks
    every cell for those only when one may be there; and whether DuckDB can read a GB18030
    file in place as latin-1 (see `latin1_readable`)."""

    def __init__(self, path: Path):
        self.path = path
        with open(path, "rb") as fh:
            self.first = fh.read(8192)
        self._digest: str | None = None
        self._lenient = True
        self._c1 = True
        self._error: OSError | None = None
        self._hashing = threading.Thread(target=self._hash, daemon=True)
        self._scanning = threading.Thread(target=self._scan, daemon=True)
        self._hashing.start()
        self._scanning.start()

    def _hash(self) -> None:
        digest = hashlib.sha256()
        try:
            with open(self.path, "rb") as fh:
                while block := fh.read(_BLOCK):
                    digest.update(block)
        except OSError as exc:
            self._error = exc
        self._digest = digest.hexdigest()

    def _scan(self) -> None:
        lenient, c1, tail = False, False, b""
        try:
            with open(self.path, "rb") as fh:
                while block := fh.read(_BLOCK):
                    # (the seam on its own: joining the blocks would copy each one)
                    lenient = lenient or _lenient_numbers(block) or _lenient_numbers(tail + block[:2])
                    c1 = c1 or _c1_bytes(block)
                    tail = block[-2:]
        except OSError:
            return  # the hash says so
        self._lenient, self._c1 = lenient, c1

    def hash_done(self) -> bool:
        return not self._hashing.is_alive()

    def sha256(self) -> str:
        self._hashing.join()
        if self._error is not None:
            raise self._error
        return self._digest

    def lenient_numbers(self) -> bool:
        self._scanning.join()
        return self._lenient

    def c1_bytes(self) -> bool:
        self._scanning.join()
        return self._c1


_BLOCK = 1 << 22
_DIGITS = frozenset(b"0123456789")


def _c1_bytes(block: bytes) -> bool:
    """Does `block` hold a byte 0x80–0x9F (numpy: the GIL is released while it looks)?"""
    return bool((np.frombuffer(block, dtype=np.uint8) - np.uint8(0x80) < 0x20).any())


def _lenient_numbers(block: bytes, most: int = 10_000) -> bool:
    """Might `block` hold `+-` or a digit_digit (a number only DuckDB reads)? Each byte is
    looked at once by memchr; past `most` underscores the answer is a cautious yes."""
    if b"+" in block and b"+-" in block:
        return True
    at = block.find(b"_")
    for _ in range(most):
        if at < 0:
            return False
        if 0 < at < len(block) - 1 and block[at - 1] in _DIGITS and block[at + 1] in _DIGITS:
            return True
        at = block.find(b"_", at + 1)
    return True


def _all_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as fh:
            while block := fh.read(1 << 22):
                decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BIFF = (b"\x09\x00", b"\x09\x02", b"\x09\x04", b"\x09\x08")


def _open_sheets(path: Path, name: str, first: bytes, utf8: bool) -> tuple[str, list]:
    """(container kind, sheets) — by content, not by the file name's extension."""
    if not first:
        raise BadInput(f"{name}: 空文件 — the file is empty")
    if first.startswith(b"PK\x03\x04"):
        return "xlsx", _calamine_sheets(path, name)
    if first.startswith(_OLE2):
        try:
            return "xls", _calamine_sheets(path, name)
        except BadInput:
            return "xls", _xlrd_sheets(path, name)
    if first[:2] in _BIFF:
        return "xls", _xlrd_sheets(path, name)
    if b"\x00" in first:
        raise BadInput(f"{name}: 不是表格或 CSV 文件 — not a spreadsheet or CSV file")
    encoding = "utf-8-sig" if utf8 else "gb18030"
    try:
        _decode_prefix(first, encoding)
    except UnicodeDecodeError:
        raise BadInput(f"{name}: 文件编码无法识别(不是 UTF-8 或 GB18030) — cannot decode the file") from None
    sniff = first.decode(encoding, errors="ignore").lstrip().lower()
    if sniff.startswith("<") and SPREADSHEET_ML in sniff:
        return "xml", _spreadsheet_ml_sheets(path, name)
    if sniff.startswith("<") and ("<table" in sniff or "<html" in sniff):
        return "html", _html_sheets(path, name, encoding)
    return "csv", [_CsvSheet(path, encoding, name)]


def _decode_prefix(data: bytes, encoding: str) -> str:
    """Decode a block that may end inside a multi-byte character."""
    return codecs.getincrementaldecoder(encoding)().decode(data, final=False)


def _calamine_sheets(path: Path, name: str) -> list[_MemorySheet]:
    try:
        book = CalamineWorkbook.from_path(str(path))
        sheets = []
        for sheet_name in book.sheet_names:
            sheet = book.get_sheet_by_name(sheet_name)
            rows = sheet.to_python(skip_empty_area=False)
            _fill_merged(rows, sheet.merged_cell_ranges or [])
            sheets.append(_MemorySheet(sheet_name, rows))
        return sheets
    except BadInput:
        raise
    except Exception as exc:  # calamine raises its own error types for every broken file
        raise BadInput(f"{name}: 无法打开 Excel 文件(文件损坏或已加密?) — cannot open the workbook: {exc}") from None
    except BaseException as exc:  # … and a Rust panic on some, which is no Exception
        if type(exc).__name__ != "PanicException":
            raise
        raise BadInput(f"{name}: 无法打开 Excel 文件(文件损坏?) — cannot open the workbook: {exc}") from None


def _fill_merged(rows: list[list], ranges) -> None:
    """Give every cell of a merged range the range's text (a group header, an agent name
    over several day rows); numbers are left in the first cell only, never copied. Below
    the first figure, text goes down its own column only: a note merged across the width
    of the table under it is no figure of every column."""
    first_figure = next((r for r, row in enumerate(rows)
                         if any(isinstance(v, (int, float)) and not isinstance(v, bool) for v in row)), len(rows))
    for (r0, c0), (r1, c1) in ranges:
        if r0 >= len(rows) or c0 >= len(rows[r0]):
            continue
        value = rows[r0][c0]
        if not isinstance(value, (str, dt.date)) or value == "":
            continue
        last_column = c1 if r0 < first_figure else c0
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            for c in range(c0, min(last_column, len(rows[r]) - 1) + 1):
                if rows[r][c] == "":
                    rows[r][c] = value


def _xlrd_sheets(path: Path, name: str) -> list[_MemorySheet]:
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), on_demand=True)
        sheets = []
        for sheet in book.sheets():
            rows = [[_xlrd_cell(cell, book.datemode) for cell in sheet.row(r)] for r in range(sheet.nrows)]
            sheets.append(_MemorySheet(sheet.name, rows))
        return sheets
    except Exception as exc:  # xlrd raises many error types for broken files
        raise BadInput(f"{name}: 无法打开 .xls 文件(文件损坏或已加密?) — cannot open the workbook: {exc}") from None


def _xlrd_cell(cell, datemode: int):
    import xlrd

    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return ""
    if cell.ctype == xlrd.XL_CELL_DATE:
        stamp = xlrd.xldate_as_datetime(cell.value, datemode)
        if cell.value < 1:
            return stamp.time()
        if cell.value < 61:  # a duration past 24 h (no export is dated January 1900): from 1899-12-30,
            # as calamine gives it (xlrd counts these from 1899-12-31, a day more)
            return dt.datetime(1899, 12, 30) + dt.timedelta(seconds=round(cell.value * 86400, 3))
        return stamp.date() if stamp.time() == dt.time(0) else stamp
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    if cell.ctype == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(cell.value, "#ERR")
    return cell.value


SPREADSHEET_ML = "urn:schemas-microsoft-com:office:spreadsheet"  # Excel 2003's XML, saved as .xls by some systems


def _spreadsheet_ml_sheets(path: Path, name: str) -> list[_MemorySheet]:
    """The worksheets of an XML Spreadsheet 2003 file: cells typed as Excel typed them
    (a percent cell holds its fraction), ss:Index gaps left blank, merged text spread
    like a workbook's."""
    ss = f"{{{SPREADSHEET_ML}}}"
    try:
        root = ElementTree.parse(path).getroot()
    except ElementTree.ParseError as exc:
        raise BadInput(f"{name}: Excel 2003 XML 表格无法解析（文件损坏？） — cannot read the XML workbook: {exc}") from None
    sheets = []
    for number, sheet in enumerate(root.iter(f"{ss}Worksheet"), start=1):
        rows: list[list] = []
        merged = []
        for row in sheet.iter(f"{ss}Row"):
            at = _position(row.get(f"{ss}Index"), len(rows) + 1, 1, _EXCEL_ROWS) - 1
            rows.extend([] for _ in range(at + 1 - len(rows)))
            cells = rows[at]
            for cell in row.iter(f"{ss}Cell"):
                column = _position(cell.get(f"{ss}Index"), len(cells) + 1, 1, _EXCEL_COLUMNS) - 1
                cells.extend("" for _ in range(column + 1 - len(cells)))
                data = cell.find(f"{ss}Data")
                cells[column] = "" if data is None else _spreadsheet_ml_value(data, ss)
                across = _position(cell.get(f"{ss}MergeAcross"), 0, 0, _EXCEL_COLUMNS - column - 1)
                down = _position(cell.get(f"{ss}MergeDown"), 0, 0, _EXCEL_ROWS - at - 1)
                if across or down:
                    merged.append(((at, column), (at + down, column + across)))
                cells.extend("" for _ in range(across))
        width = max((len(r) for r in rows), default=0)
        rows = [r + [""] * (width - len(r)) for r in rows]
        _fill_merged(rows, merged)
        sheets.append(_MemorySheet(sheet.get(f"{ss}Name") or f"Sheet{number}", rows))
    return sheets


_EXCEL_ROWS, _EXCEL_COLUMNS = 1_048_576, 16_384  # a sheet's size limits: an index past them is a broken file


def _position(text, default: int, least: int, most: int) -> int:
    """A 1-based index (or a merge's extent) as written, else `default`; kept within [least, most]."""
    try:
        return max(least, min(int(text), most))
    except (TypeError, ValueError):
        return default


def _spreadsheet_ml_value(data, ss: str):
    text = "".join(data.itertext())
    kind = data.get(f"{ss}Type")
    try:
        if kind == "Number":
            return float(text)
        if kind == "Boolean":
            return text.strip() == "1"
        if kind == "DateTime":
            stamp = dt.datetime.fromisoformat(text.strip())
            return stamp.date() if stamp.time() == dt.time(0) else stamp
    except ValueError:
        pass  # read as text, as a typed cell Excel would not have written
    return text


def _html_sheets(path: Path, name: str, encoding: str) -> list[_MemorySheet]:
    parser = _HtmlTables()
    with open(path, encoding=encoding, errors="replace") as fh:
        while block := fh.read(1 << 20):
            parser.feed(block)
    parser.close()
    return [_MemorySheet(f"table{i + 1}", rows) for i, rows in enumerate(parser.tables) if rows]


# -- headers ------------------------------------------------------------------------------


def header_signature(labels: Iterable[object]) -> str:
    """The key under which a mapping for this header row is remembered."""
    cells = [aliases.normalize_header(c) for c in labels]
    return hashlib.sha1("|".join(c for c in cells if c).encode("utf-8")).hexdigest()


def _cell_text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


@dataclass
class _Header:
    first: int  # 0-based row of the (upper) header row
    last: int  # 0-based row of the field row; data starts after it
    labels: list[str]
    alternatives: list[set[str]]  # per column, every normalized text a repeated header shows


def _find_header(head: list[list], known: Callable[[str], bool]) -> _Header | None:
    """The row (or group row + field row) with the most recognised cells, at least two."""
    best: tuple[int, int, _Header] | None = None
    for i, row in enumerate(head):
        texts = [_cell_text(v) for v in row]
        single = sum(1 for t in set(texts) if t and known(t))
        candidates = [(single, 1, _Header(i, i, texts, [{aliases.normalize_header(t)} for t in texts]))]
        if i + 1 < len(head):
            combined = _combine(texts, [_cell_text(v) for v in head[i + 1]], known)
            score = sum(1 for t in set(combined.labels) if t and known(t))
            below = sum(1 for t in {_cell_text(v) for v in head[i + 1]} if t and known(t))
            if score > max(single, below):
                combined.first, combined.last = i, i + 1
                candidates.append((score, 0, combined))
        for score, rank, header in candidates:
            if score >= 2 and (best is None or (score, rank) > best[:2]):
                best = (score, rank, header)
    return best[2] if best else None


def _combine(group: list[str], fields: list[str], known: Callable[[str], bool]) -> _Header:
    """Merge a group row over a field row: `服务满意度评价` over `很满意` → `服务满意度评价很满意`."""
    width = max(len(group), len(fields))
    group = group + [""] * (width - len(group))
    fields = fields + [""] * (width - len(fields))
    labels, alternatives = [], []
    carried = ""
    for own, below in zip(group, fields):
        carried = own or carried
        options = []
        if below and carried and below != carried:
            options.append(carried + below)
        if below:
            options.append(below)
        if own:
            options.append(own)
        chosen = next((o for o in options if known(o)), options[0] if options else "")
        labels.append(chosen)
        alternatives.append({aliases.normalize_header(o) for o in options if o})
    return _Header(0, 1, labels, alternatives)


# -- layouts: what each column means -----------------------------------------------------

_PLATFORM_HEADERS = {
    "pdd": ("最终成团人数", "客服服务分", "去退销售额", "需要人工回复的咨询人数", "3分钟未回复人数", "评分≤3订单数",
            "纠纷退款数", "人工接待人数", "平均人工响应时长", "30秒应答率", "3分钟人工回复率"),
    "jd": ("接待量", "平均响应时长(新)", "30s应答率", "客服3分钟人工回复率", "售前接待人数", "促成下单人数",
           "促成下单商品金额", "好评量", "uid", "技能组", "客服总消息数", "客户总消息数", "非常满意", "非常不满意"),
    "douyin": ("人工已接待人数", "人工已接待会话量", "不满意率", "pc在线时长", "账号名称", "店铺名称",
               "客服销售额(元)"),
    "taobao_sycm": ("当日询单人数", "当日付款人数", "当日付款金额", "询单当日付款转化率", "询单最终付款转化率",
                    "3分钟人工响应率", "有效接待人数", "件均价", "销售量", "销售人数", "最终付款人数", "最终付款金额"),
    "taobao_chitu": ("询单->最终付款人数", "询单->最终付款成功率", "询单->最终付款转化率", "邮费总额", "手工折扣率",
                     "客服回复率", "静默下单本人落实付款-人数", "客服答问比", "询单->最终下单人数",
                     "下单->最终付款成功率", "全静默单本人跟进-人数", "询单->次日付款人数", "协助跟进人数",
                     "聊天人数(原咨询人数)", "直接接入人数", "转发接入人数", "客服字数", "最大同时聊天数", "慢接待人数",
                     "首次响应", "平均响应", "旺旺", "服务满意度评价参与率", "售后一次解决率", "服务满意度评分",
                     "接待售后人数", "客件数", "平均接待时长"),
}
_PLATFORM_INDEX = {p: {aliases.normalize_header(h) for h in hs} for p, hs in _PLATFORM_HEADERS.items()}


def _platform_scores(labels: Iterable[str], sheet_name: str = "") -> dict[str, int]:
    """How many of each platform's own headers a header row has."""
    seen = set()
    for text in labels:
        if text:
            seen.add(aliases.normalize_header(text))
            seen.add(aliases.split_header(text)[0])
    scores = {p: len(seen & hs) for p, hs in _PLATFORM_INDEX.items()}
    if sheet_name == "整体数据":
        scores["jd"] += 2
    return scores


def detect_format(labels: Iterable[str], sheet_name: str = "") -> str:
    """Which platform's export a header row looks like ('generic' when none stands out)."""
    scores = _platform_scores(labels, sheet_name)
    best = max(scores.values())
    leaders = [p for p, s in scores.items() if s == best]
    return leaders[0] if best and len(leaders) == 1 else "generic"


@dataclass
class _Layout:
    labels: list[str]
    signature: str
    shape: str  # 'facts' | 'sessions'
    format: str
    account: int | None = None
    account_dash: bool = False  # JD writes `店铺-客服`
    shop: int | None = None
    date: int | None = None
    measures: list[tuple[int, Column]] = field(default_factory=list)
    session: dict[str, tuple[int, str | None]] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    mapping: dict[str, str] | None = None  # the caller's mapping, to remember
    date_order: str | None = None
    alternatives: list[set[str]] = field(default_factory=list)  # what a repeated header row shows
    names: list[int] = field(default_factory=list)  # every account/shop/date-like column, used or not
    ignored: list[int] = field(default_factory=list)  # columns the user said not to import

    @property
    def shop_level(self) -> bool:
        return self.shape == "facts" and self.account is None

    @property
    def label_columns(self) -> list[int]:
        """Where summary labels (汇总, 均值) and repeated headers show: the account, shop and
        date columns (never a session id column: every one of its values is distinct)."""
        if self.shape == "sessions":
            return [self.session[f][0] for f in ("account", "shop", "day") if f in self.session]
        found = list(dict.fromkeys([c for c in (self.account, self.shop, self.date) if c is not None] + self.names))
        measures = {c for c, _ in self.measures}
        if 0 not in measures and 0 not in found and self.labels and aliases.fact_column(self.labels[0]) is not None:
            found.append(0)  # 序号 holds 总计/平均 in Pinduoduo's files
        return found

    @property
    def used_columns(self) -> list[int]:
        if self.shape == "sessions":
            return sorted({c for c, _ in self.session.values()})
        identity = {c for c in (self.account, self.shop, self.date) if c is not None}
        return sorted(identity | {c for c, _ in self.measures})


def _matches(label: str, header: str) -> bool:
    return aliases.normalize_header(label) == aliases.normalize_header(header) or (
        aliases.split_header(label)[0] == aliases.split_header(header)[0] != ""
    )


def _resolve(name: str, labels: list[str], sheet_name: str, mapping: dict[str, str] | None,
             remembered: dict[str, dict[str, str]]) -> tuple[_Layout | None, set[str]]:
    """Decide the shape and the meaning of every column; returns the mapping headers used."""
    signature = header_signature(labels)
    caller = {k: v for k, v in (mapping or {}).items() if v}
    # what the user says now adds to what was remembered for these headers (and wins over it)
    given = {k: h for k, h in (remembered.get(signature) or {}).items() if h not in caller.values() and k not in caller}
    given.update(caller)
    date_order = given.get("date_order")
    if date_order is not None and date_order not in ("dmy", "mdy"):
        raise BadInput(f"{name}: date_order 只能是 dmy 或 mdy — date_order must be dmy or mdy")
    mapped: dict[int, tuple[str, object, str | None]] = {}
    used_headers: set[str] = set()
    for key, header in given.items():
        if key == "date_order":
            continue
        target = aliases.mapping_target(key)
        if target is None:
            raise BadInput(f"{name}: 映射中的字段“{key}”不认识 — unknown field {key!r} in the mapping "
                           "(use a measure name such as receptions, or agent/date/shop/id/answered/…)")
        for c, text in enumerate(labels):
            if text and _matches(text, header):
                mapped[c] = (target[0], target[1], aliases.split_header(text)[1])
                used_headers.add(header)
                break

    fact_cols: dict[int, Column] = {}
    session_cols: dict[int, tuple[str, str | None]] = {}
    for c, (scope, target, unit) in mapped.items():
        if scope == aliases.IGNORE:
            continue
        if scope == "fact":
            fact_cols[c] = Column(target.kind, target.target, unit or target.unit)
        elif scope == "both":
            fact_cols[c] = Column(IDENTITY, target)
        elif scope == "either":
            fact_cols[c] = Column(COUNT, target, unit)
        if scope in ("session", "both", "either"):
            session_cols[c] = ("day" if target == "date" else target, unit)
    # what the user named wins over what the headers suggest (several account-like columns stay: see names)
    claimed = {(col.kind, col.target) for col in fact_cols.values() if col.kind != IDENTITY}
    claimed_fields = {f for f, _ in session_cols.values()}
    for c, text in enumerate(labels):
        if not text or c in mapped:
            continue
        fact = aliases.fact_column(text)
        if fact is not None and (fact.kind, fact.target) not in claimed:
            fact_cols[c] = fact
        found = aliases.session_field(text)
        if found is not None and found[0] not in claimed_fields:
            session_cols[c] = found
    fact_cols, session_cols = dict(sorted(fact_cols.items())), dict(sorted(session_cols.items()))

    session_signal = sum(1 for f, _ in session_cols.values() if f in aliases.SESSION_ONLY)
    fact_signal = sum(1 for col in fact_cols.values() if col.kind not in (IDENTITY, IGNORED))
    forced_session = any(scope == "session" for scope, _, _ in mapped.values())
    shape = "sessions" if forced_session or (session_signal >= 2 and session_signal > fact_signal) else "facts"
    remember = given if caller and (used_headers & set(caller.values()) or "date_order" in caller) else None
    layout = _Layout(labels, signature, shape,
                     "sessions" if shape == "sessions" else detect_format(labels, sheet_name),
                     mapping=remember, date_order=date_order,
                     ignored=[c for c, (scope, _, _) in mapped.items() if scope == aliases.IGNORE])

    if shape == "sessions":
        for c, (f, unit) in session_cols.items():
            layout.session.setdefault(f, (c, unit))
        layout.unknown = [t for c, t in enumerate(labels) if t and c not in session_cols and c not in layout.ignored]
        if "account" not in layout.session:
            return None, used_headers
        return layout, used_headers

    accounts = []
    layout.names = [c for c, col in fact_cols.items() if col.kind == IDENTITY]
    for c, col in fact_cols.items():
        if col.kind == IDENTITY and col.target == "account":
            accounts.append((-1 if c in mapped else aliases.account_rank(labels[c]), c))
        elif col.kind == IDENTITY and col.target == "shop" and (layout.shop is None or c in mapped):
            layout.shop = c
        elif col.kind == IDENTITY and col.target == "date" and (layout.date is None or c in mapped):
            layout.date = c
        elif col.kind not in (IDENTITY, IGNORED):
            layout.measures.append((c, col))
    if accounts:
        layout.account = min(accounts)[1]
    # JD's `店铺-客服` only on a clear JD file: one 技能组 or UID column is no reason to cut
    # an account like tb_kefu-01 in two
    layout.account_dash = layout.format == "jd" and _platform_scores(labels, sheet_name)["jd"] >= 2
    layout.unknown = [t for c, t in enumerate(labels) if t and c not in fact_cols and c not in layout.ignored]
    if not layout.measures:
        return None, used_headers
    return layout, used_headers


_FIGURE_LIKE = re.compile(r"^[-+¥$]?[\d.,:/%年月日 -]*$")


def _readings(head: list[list], labels: list[str], start: int, layout: _Layout | None) -> list[ColumnReading]:
    """What each column of a header row was read as, with the first value under it."""
    meanings: dict[int, str] = {}
    if layout is not None and layout.shape == "sessions":
        meanings = {c: "date" if f == "day" else f for f, (c, _) in layout.session.items()}
    elif layout is not None:
        meanings = {c: key for c, key in ((layout.account, "account"), (layout.shop, "shop"), (layout.date, "date"))
                    if c is not None}
        meanings.update((c, aliases.mapping_key(col)) for c, col in layout.measures)
    if layout is not None:
        meanings.update((c, aliases.IGNORE) for c in layout.ignored)
    readings = []
    for c, text in enumerate(labels):
        if not text:
            continue
        sample = next((str(row[c]).strip() for row in head[start:start + 50]
                       if c < len(row) and row[c] is not None and str(row[c]).strip()), "")
        if layout is not None:
            meaning, recognised = meanings.get(c), text not in layout.unknown
        else:  # nothing was read: what the header alone suggests
            fact, found = aliases.fact_column(text), aliases.session_field(text)
            meaning = (aliases.mapping_key(fact) if fact else None) or (
                ("date" if found[0] == "day" else found[0]) if found else None)
            recognised = bool(fact or found)
        readings.append(ColumnReading(text, sample[:40], meaning, recognised))
    return readings


# -- the per-file job ---------------------------------------------------------------------

# A summary label is the whole cell: 汇总, 店铺汇总值, 同行同层平均, 合计：, 均值(元). A name that
# only begins with one of these words (同行户外:小王, 平均价小店) is a shop or an agent.
_SUMMARY_WORD = "全店|同行|汇总|合计|总计|小计|均值|平均|总和"
_SUMMARY = re.compile(rf"^(?:店铺|同层|优秀)*(?:{_SUMMARY_WORD})(?:店铺|同层|优秀|{_SUMMARY_WORD})*(?:值|数|行)?"
                      r"(?:[(（][^)）]*[)）])?[:：]?$|"
                      r"^(?:total|sum|subtotal|average|avg|mean|grandtotal)$", re.I)
_BREAKDOWN = ("ratings_very_satisfied", "ratings_satisfied", "ratings_neutral", "ratings_dissatisfied",
              "ratings_very_dissatisfied")
_RATE_ORDER = ("rating_participation", "conversion", "nextday_conversion", "reply", "reply_3min", "answer_30s",
               "slow_response", "satisfaction", "dissatisfaction", "resolution", "refund")


def _as_date(value, what: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        stamp = values.dates(pd.Series([value], dtype=object)).iloc[0]
    except (values.UnreadableValues, values.AmbiguousDates):
        stamp = pd.NaT
    if pd.isna(stamp):
        raise BadInput(f"{what} 不是日期: {value!r} — not a date")
    return stamp.date()


@dataclass
class _Plan:
    sheet: object
    layout: _Layout
    start: int  # 0-based row where data starts
    period: tuple[dt.date, dt.date] | None  # from the sheet name or a title cell
    scales: dict[int, str] = field(default_factory=dict)
    order: str | None = None

    @property
    def where(self) -> str:
        return f" [工作表 {self.sheet.name}]" if getattr(self.sheet, "name", "") else ""


def _own_dates(plan: _Plan) -> bool:
    """Does the sheet say which days its rows cover (a date column, or a period in its name or title)?"""
    lay = plan.layout
    dated = lay.date is not None if lay.shape == "facts" else bool({"day", "time"} & lay.session.keys())
    return dated or plan.period is not None


class _Job:
    """One file: open, plan every sheet, then produce fact and session chunks lazily."""

    def __init__(self, path, *, shop=None, date_from=None, date_to=None, mapping=None, skip_bad_rows=False,
                 remembered=None, progress: Progress | None = None):
        self.path = Path(path)
        self.name = self.path.name
        self.shop = (shop or "").strip() or None
        self.date_from = _as_date(date_from, "--from")
        self.date_to = _as_date(date_to, "--to") or self.date_from
        if self.date_from is None and self.date_to is not None:
            self.date_from = self.date_to
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise BadInput(f"--from {self.date_from} 晚于 --to {self.date_to} — --from is after --to")
        self.mapping = mapping
        self.skip_bad_rows = skip_bad_rows
        self.remembered = remembered or {}
        self.progress = progress
        self.skipped: list[str] = []
        self.skipped_count = 0
        self.notes: list[str] = []
        self.provisional_rows = 0
        self._provisional_keys: set[tuple] = set()  # a key's rows may fall in several chunks
        self.fact_rows = 0
        self.session_rows = 0
        self.shops: set[str] = set()
        self.shop_defaulted = False
        self.first: dt.date | None = None
        self.last: dt.date | None = None
        self.done = 0
        self._generated_ids: dict[int, int] = {}
        self.sha256: str | None = None
        self.columns: list[ColumnReading] = []  # how the header rows were read (see `_plan`)

    # -- planning --

    def prepare(self) -> None:
        """Find every sheet's header and plan its columns. The file's hash (and whether all
        of it is UTF-8) is read meanwhile in the background: see `settle`."""
        if not self.path.is_file():
            raise BadInput(f"{self.name}: 文件不存在或无法读取 — file not found")
        try:
            self._fingerprint = _Fingerprint(self.path)
        except OSError as exc:
            raise BadInput(f"{self.name}: 无法读取文件 ({exc.strerror}) — cannot read the file") from None
        first = self._fingerprint.first
        try:  # a GBK file may be all ASCII for its first kilobytes (English headers, digits)
            with open(self.path, "rb") as fh:
                _decode_prefix(fh.read(_ENCODING_SAMPLE), "utf-8-sig")
            self._utf8 = True
        except UnicodeDecodeError:
            self._utf8 = False
        self._plan(first)

    def settle(self) -> None:
        """Wait for the file's hash, and make sure a text file read as UTF-8 is UTF-8 all
        through (else plan it again as GB18030). DuckDB checks that itself as it reads,
        so csperf.bulk only waits for the hash (`self.sha256`)."""
        self.sha256 = self.hashed()
        try:
            if self._utf8 and self.container in ("csv", "html") and not _all_utf8(self.path):
                self._utf8 = False
                self._plan(self._fingerprint.first)
        except OSError as exc:
            raise BadInput(f"{self.name}: 无法读取文件 ({exc.strerror}) — cannot read the file") from None

    def lenient_numbers(self) -> bool:
        """May a cell be `1_000` or `+-5` (read by DuckDB's cast, refused by csperf.values)?"""
        return self._fingerprint.lenient_numbers()

    def latin1_readable(self) -> bool:
        """Can DuckDB read the file as latin-1, a character per byte? Its latin-1 refuses
        the bytes 0x80–0x9F, which in GB18030 only characters outside GB2312 hold (rarer
        and traditional ones, emoji)."""
        return not self._fingerprint.c1_bytes()

    def hash_ready(self) -> bool:
        """Has the background read of the file's SHA-256 finished?"""
        return self._fingerprint.hash_done()

    def hashed(self) -> str:
        """The file's SHA-256 (waiting for the background read to finish)."""
        try:
            return self._fingerprint.sha256()
        except OSError as exc:
            raise BadInput(f"{self.name}: 无法读取文件 ({exc.strerror}) — cannot read the file") from None

    def _plan(self, first: bytes) -> None:
        self.container, sheets = _open_sheets(self.path, self.name, first, self._utf8)
        extra = {aliases.normalize_header(h) for m in [self.mapping or {}, *self.remembered.values()]
                 for k, h in m.items() if k != "date_order" and h}

        seen: dict[str, bool] = {}

        def known(text: str) -> bool:
            if text not in seen:
                seen[text] = bool(aliases.fact_column(text) or aliases.session_field(text)
                                  or aliases.normalize_header(text) in extra)
            return seen[text]

        self.plans: list[_Plan] = []
        self.columns = []
        unknown: list[str] = []
        used_headers: set[str] = set()
        file_period = values.period_from_name(self.name)
        for sheet in sheets:
            if not sheet.head:
                continue
            header = _find_header(sheet.head, known)
            if header is None:
                if any(_cell_text(v) for row in sheet.head for v in row) and len(sheets) > 1:
                    self.notes.append(f"工作表“{sheet.name}”没有可识别的表头，已忽略 — sheet ignored")
                continue
            layout, used = _resolve(self.name, header.labels, sheet.name, self.mapping, self.remembered)
            used_headers |= used
            if layout is None:
                continue
            layout.alternatives = header.alternatives
            if layout.shop_level and layout.date is None and layout.format != "taobao_sycm":
                raise BadInput(f"{self.name}: 找不到客服/账号列 — no agent column found; 请指定哪一列是客服"
                               f"(命令行: --map 'agent=坐席'). 文件的表头: "
                               f"{', '.join(t for t in header.labels if t)}",
                               _readings(sheet.head, header.labels, header.last + 1, layout))
            title = next((p for row in sheet.head[:header.first] for v in row
                          if (p := values.period_from_text(v))), None)
            period = values.period_from_sheet_name(sheet.name) or title or file_period
            start = header.last + 1 + _notes_under_header(sheet.head[header.last + 1:], layout)
            self.plans.append(_Plan(sheet, layout, start, period))
            unknown += [u for u in layout.unknown if u not in unknown]
            self.columns += [r for r in _readings(sheet.head, header.labels, start, layout)
                             if r.header not in {seen.header for seen in self.columns}]
        if self.mapping:
            present = {aliases.normalize_header(v) for sheet in sheets for row in sheet.head for v in row if v}
            missing = [h for k, h in self.mapping.items()
                       if k != "date_order" and h and h not in used_headers and aliases.normalize_header(h) not in present]
            if missing:
                raise BadInput(f"{self.name}: 映射的列在文件中找不到: {', '.join(missing)} — mapped columns "
                               f"not found; the file's columns are: "
                               f"{', '.join(r.header for r in self._visible_columns(sheets))}",
                               self.columns or self._visible_columns(sheets))
        if not self.plans:
            visible = self._visible_columns(sheets)
            if self.mapping and any(k != "date_order" for k in self.mapping):
                raise BadInput(f"{self.name}: 还需要指定更多列: 一个客服列, 以及至少一个指标列(会话记录则是"
                               "会话编号、开始时间等字段) — more columns needed: an agent column and a figure "
                               "(for a session log, fields such as the session id or start time)", visible)
            raise BadInput(f"{self.name}: 没有可识别的列 — no recognisable columns. 文件的表头: "
                           f"{', '.join(r.header for r in visible) or '(空)'}; 请指定各列的含义(命令行: "
                           "--map 'agent=坐席,date=日期,receptions=接待人数')", visible)
        self.unknown = unknown
        sizes = [p.sheet.total_rows for p in self.plans]
        self.total = sum(n - p.start for n, p in zip(sizes, self.plans)) if None not in sizes else None
        formats = list(dict.fromkeys(p.layout.format for p in self.plans))
        self.format = "+".join(formats)
        if self.date_from and all(_own_dates(p) for p in self.plans):
            self._note("文件自带日期，已忽略所填的起止日期 — the file gives its own dates; the from/to dates given "
                       "were ignored")

    def _note(self, note: str) -> None:
        if note not in self.notes:
            self.notes.append(note)

    def note_ignored_shop(self) -> None:
        """The shop given only fills in rows the file names none for: say when that was no row."""
        if self.shop and self.shops and self.shop not in self.shops:
            self._note(f"文件自带店铺名，已忽略所填的店铺“{self.shop}” — the file names its own shop; the shop "
                       "given was ignored")

    def decide(self) -> None:
        for plan in self.plans:
            self._decide(plan)

    @staticmethod
    def _visible_columns(sheets) -> list[ColumnReading]:
        """When no header was recognised: the first sheet's row with the most words (not
        numbers or dates), which is the header row rather than a title or a data row."""
        for sheet in sheets:
            words = [sum(1 for v in row if _cell_text(v) and not _FIGURE_LIKE.match(_cell_text(v)))
                     for row in sheet.head]
            if words and max(words) >= 2:
                i = words.index(max(words))
                return _readings(sheet.head, [_cell_text(v) for v in sheet.head[i]], i + 1, None)
        return []

    def _decide(self, plan: _Plan) -> None:
        """Column-wide decisions: each rate column's scale, the day/month order of dates."""
        lay = plan.layout
        rate_cols = [c for c, col in lay.measures if col.kind == RATE]
        date_cols = [c for c in ((lay.date,) if lay.shape == "facts" else
                                 tuple(lay.session[f][0] for f in ("day", "time") if f in lay.session))
                     if c is not None]
        wanted = rate_cols + date_cols
        if not wanted:
            return
        evidence = {c: values.PercentEvidence() for c in rate_cols}
        orders = {c: values.DateOrderEvidence() for c in date_cols}

        def settled() -> bool:
            return all(e.final for e in evidence.values()) and all(
                o.day_first or o.month_first or not o.ambiguous for o in orders.values())

        with closing(plan.sheet.frames(plan.start, len(lay.labels), sorted(set(wanted)))) as frames:
            for k, frame in enumerate(frames):
                for c in rate_cols:
                    evidence[c] = evidence[c] | values.percent_evidence(frame[c])
                for c in date_cols:
                    orders[c] = orders[c] | values.date_order_evidence(frame[c])
                if k == 0 and settled():
                    break  # later chunks can no longer change these decisions
        plan.scales = decide_scales(plan, evidence, self.notes)
        if lay.date_order:
            plan.order = lay.date_order
            return
        combined = values.DateOrderEvidence()
        for o in orders.values():
            combined = combined | o
        try:
            plan.order = combined.decide() or values.YEAR_FIRST
        except values.AmbiguousDates as exc:
            raise AmbiguousDateOrder(f"{self.name}{plan.where}: {exc}") from None

    # -- reading --

    def report(self, message: str) -> None:
        if self.progress:
            self.progress(self.done, self.total, message)

    def _skip(self, plan: _Plan, rows: Iterable[int], reason: str) -> None:
        for row in rows:
            self.skipped_count += 1
            if len(self.skipped) < MAX_LISTED:
                self.skipped.append(f"{plan.where.strip()}第{row}行: {reason}".strip())

    def _clean(self, plan: _Plan, raw: pd.DataFrame) -> pd.DataFrame:
        """Drop repeated header rows and summary rows (汇总, 均值, 全店, 同行, …)."""
        lay = plan.layout
        checks = lay.label_columns or lay.used_columns[:1]
        summary = np.zeros(len(raw), dtype=bool)
        candidates = np.zeros(len(raw), dtype=bool)
        for c in checks:
            header_text, summary_text = label_flags(raw[c], lay.alternatives[c])
            candidates |= header_text
            summary |= summary_text
        drop = summary
        if candidates.any():
            used = lay.used_columns
            sub = raw.loc[candidates, used]
            hits = np.zeros(len(sub), dtype=int)
            for c in used:
                hits += label_flags(sub[c], lay.alternatives[c])[0]
            repeated = np.zeros(len(raw), dtype=bool)
            repeated[np.flatnonzero(candidates)[hits >= max(2, len(used) // 2)]] = True
            drop = drop | repeated
        return raw[~drop] if drop.any() else raw

    @staticmethod
    def _overflow(plan: _Plan, frame: pd.DataFrame, bad: dict[int, np.ndarray]) -> None:
        """CSV cells beyond the header are unreadable (a misplaced delimiter shifts values)."""
        for c in frame.columns:
            if c >= len(plan.layout.labels):
                bad[c] = frame[c].notna().to_numpy() & ~_blank(frame[c])

    def _raise_or_skip(self, plan: _Plan, frame: pd.DataFrame, bad: dict[int, np.ndarray]) -> np.ndarray:
        """Name the first unreadable cell (or, with skip_bad_rows, collect those rows)."""
        any_bad = np.zeros(len(frame), dtype=bool)
        first: tuple[int, int] | None = None
        for c, mask in bad.items():
            if mask.any():
                any_bad |= mask
                row = int(frame.index[np.argmax(mask)])
                if first is None or row < first[0]:
                    first = (row, c)
        if first is None:
            return any_bad
        if not self.skip_bad_rows:
            row, c = first
            raise BadInput(f"{self.name}{plan.where}: 第{row}行: {_problem(plan, c, frame.at[row, c])} — row {row}, "
                           f"column {_column_name(plan, c)!r}: unreadable value (可加 --skip-bad-rows 跳过这些行)")
        for position in np.flatnonzero(any_bad):
            row = int(frame.index[position])
            c = next(c for c, mask in bad.items() if mask[position])
            self._skip(plan, [row], _problem(plan, c, frame.at[row, c]))
        return any_bad

    def _shop_and_account(self, plan: _Plan, frame: pd.DataFrame, account_col: int | None,
                          shop_col: int | None) -> tuple[pd.Series, pd.Series, np.ndarray]:
        """Each row's shop and account, and which rows got DEFAULT_SHOP: whether the file
        named no shop is told by the rows kept (a blank line names none either)."""
        if account_col is None:
            account = pd.Series(SHOP_LEVEL_ACCOUNT, index=frame.index, dtype=object)
            prefix = pd.Series(None, index=frame.index, dtype=object)
        else:
            prefix, account = values.split_accounts(frame[account_col], dash=plan.layout.account_dash,
                                                    given_shop=self.shop)
        shop = values.labels(frame[shop_col]) if shop_col is not None else pd.Series(None, index=frame.index,
                                                                                     dtype=object)
        shop = shop.fillna(prefix)
        if self.shop:
            shop = shop.fillna(self.shop)
        return shop.fillna(DEFAULT_SHOP), account, shop.isna().to_numpy()

    def _note_period(self, start: pd.Series, end: pd.Series) -> None:
        if len(start):
            lo, hi = start.min(), end.max()
            if pd.notna(lo):
                lo, hi = lo.date(), hi.date()
                self.first = lo if self.first is None else min(self.first, lo)
                self.last = hi if self.last is None else max(self.last, hi)

    def fallback_period(self, plan: _Plan) -> tuple[dt.date, dt.date]:
        period = plan.period or ((self.date_from, self.date_to) if self.date_from else None)
        if period is None:
            raise BadInput(
                f"{self.name}{plan.where}: 无法确定数据所属日期 — 文件没有日期列，文件名和标题中也没有统计时间；"
                "请指定起止日期, 或指定哪一列是日期(命令行: --from 2026-10-01 --to 2026-10-31) — cannot tell "
                "which dates the figures cover: give the period or the date column"
            )
        return period

    # -- facts --

    def _facts_chunk(self, plan: _Plan, raw: pd.DataFrame) -> pd.DataFrame | None:
        lay = plan.layout
        frame = self._clean(plan, raw)
        if frame.empty:
            return None
        bad: dict[int, np.ndarray] = {}
        pending = np.zeros(len(frame), dtype=bool)
        blank = np.ones(len(frame), dtype=bool)
        parts: dict[str, dict[str, pd.Series]] = {COUNT: {}, RATE: {}, AVERAGE: {}, RATIO: {}}
        for c, col in lay.measures:
            cells = frame[c]
            if col.kind == RATE:
                found = values.read_percent(cells, scale=plan.scales.get(c))
            elif col.kind in (AVERAGE, TOTAL_TIME):
                found = values.read_duration(cells, unit=col.unit if col.unit in values.UNIT_SECONDS else "s")
            elif col.kind == RATIO:
                found = values.read_percent(cells, scale="fraction")
            else:
                found = values.read_number(cells)
            bad[c] = found.bad
            pending |= found.pending
            blank &= _blank(cells)
            group = COUNT if col.kind == TOTAL_TIME else col.kind
            bucket = parts[group]
            bucket[col.target] = bucket[col.target].fillna(found.values) if col.target in bucket else found.values
        if lay.date is not None:
            start, end, found = values.read_date_ranges(frame[lay.date], order=plan.order)
            bad[lay.date] = found.bad
        self._overflow(plan, frame, bad)
        shop, account, no_shop = self._shop_and_account(plan, frame, lay.account, lay.shop)
        bad_rows = self._raise_or_skip(plan, frame, _only_agents(bad, account))
        if lay.date is None:
            period = self.fallback_period(plan)
            start = pd.Series(np.datetime64(period[0], "s"), index=frame.index)
            end = pd.Series(np.datetime64(period[1], "s"), index=frame.index)
        keep = ~bad_rows & ~blank
        no_account = keep & account.isna().to_numpy()
        if no_account.any():
            self._skip(plan, frame.index[no_account], "没有客服账号 — no agent")
        no_date = keep & ~no_account & start.isna().to_numpy()
        if no_date.any():
            self._skip(plan, frame.index[no_date], "没有日期 — no date")
        keep &= ~no_account & ~no_date
        if not keep.any():
            return None
        self.shop_defaulted |= bool((no_shop & keep).any())
        daily = (start == end).to_numpy()
        measures, missing = rebuild(parts[COUNT], parts[RATE], parts[AVERAGE], parts[RATIO], daily=daily)
        for key in missing:
            note = missing_base_note(key, lay)
            if note not in self.notes:
                self.notes.append(note)
        out = pd.DataFrame({"shop": shop, "account": account, "date_from": start, "date_to": end,
                            "provisional": pending, **measures}, index=frame.index)[keep]
        note = f"文件没有客服列，数据按店铺整体记入账号“{SHOP_LEVEL_ACCOUNT}” — shop-level figures, no agent column"
        if lay.shop_level and note not in self.notes:
            self.notes.append(note)
        # a key's repeats add up once over the whole sheet (_sum_duplicates): summing a
        # chunk first would lose which of its rows left a ratio's side out
        self._provisional_keys.update(out.loc[out["provisional"], FACT_KEY].itertuples(index=False, name=None))
        self.provisional_rows = len(self._provisional_keys)
        self._note_period(out["date_from"], out["date_to"])
        self.shops.update(out["shop"].unique())
        return out.reset_index(drop=True)

    def _chunk(self, read, plan: _Plan, raw: pd.DataFrame) -> pd.DataFrame | None:
        try:
            return read(plan, raw)
        except values.AmbiguousDates as exc:
            raise AmbiguousDateOrder(f"{self.name}{plan.where}: {exc}") from None

    def _fact_stream(self, plan: _Plan) -> Iterator[pd.DataFrame]:
        lay = plan.layout
        for raw in plan.sheet.frames(plan.start, len(lay.labels)):
            chunk = self._chunk(self._facts_chunk, plan, raw)
            self.done += len(raw)
            self.report(f"{self.name}{plan.where}")
            if chunk is not None and len(chunk):
                self.fact_rows += len(chunk)
                yield chunk

    def facts(self) -> Iterator[pd.DataFrame]:
        """Fact chunks; several sheets of one workbook are merged per key (each fills in
        the columns it has)."""
        plans = [p for p in self.plans if p.layout.shape == "facts"]
        if len(plans) <= 1:
            for plan in plans:
                yield from self._fact_stream(plan)
            return
        sheets = []
        for plan in plans:  # a sheet's own repeats add up first, as the database adds up one sheet's
            chunks = list(self._fact_stream(plan))
            if chunks:
                sheets.append((plan.sheet.name, _sum_duplicates(pd.concat(chunks, ignore_index=True))))
        if sheets:
            merged = _merge_sheets(sheets, self.notes)
            self.fact_rows = len(merged)
            self.provisional_rows = int(merged["provisional"].sum())
            yield merged

    # -- sessions --

    def _sessions_chunk(self, plan: _Plan, raw: pd.DataFrame) -> pd.DataFrame | None:
        lay = plan.layout
        frame = self._clean(plan, raw)
        if frame.empty:
            return None
        f = lay.session
        bad: dict[int, np.ndarray] = {}
        blank = np.ones(len(frame), dtype=bool)
        out: dict[str, pd.Series] = {}
        readers = {
            "answered": values.read_booleans, "resolved": values.read_booleans,
            "converted": values.read_booleans, "inquiry": values.read_booleans,
            "rating": values.read_ratings, "amount": values.read_number,
        }
        for name, (c, unit) in f.items():
            cells = frame[c]
            blank &= _blank(cells)
            if name in readers:
                found = readers[name](cells)
            elif name in ("wait_s", "duration_s"):
                found = values.read_duration(cells, unit=unit if unit in values.UNIT_SECONDS else "s")
            else:
                continue
            bad[c] = found.bad
            out[name] = found.values
        day = clock = None
        if "day" in f:
            found = values.read_dates(frame[f["day"][0]], order=plan.order)
            bad[f["day"][0]] = found.bad
            day = found.values
        if "time" in f:
            moment_day, clock, found = values.read_moments(frame[f["time"][0]], order=plan.order)
            bad[f["time"][0]] = found.bad
            day = moment_day if day is None else day.fillna(moment_day)
        if day is None:
            period = self.fallback_period(plan)
            if period[0] != period[1]:
                raise BadInput(f"{self.name}{plan.where}: 会话记录没有日期列，无法确定每条会话的日期 — the session "
                               "log has no date column; map one with --map date=列名")
            day = pd.Series(np.datetime64(period[0], "s"), index=frame.index)
        self._overflow(plan, frame, bad)
        shop, account, no_shop = self._shop_and_account(plan, frame, f["account"][0], f.get("shop", (None,))[0])
        bad_rows = self._raise_or_skip(plan, frame, _only_agents(bad, account))
        keep = ~bad_rows & ~blank
        for mask, reason in ((account.isna().to_numpy(), "没有客服 — no agent"),
                             (day.isna().to_numpy(), "没有日期 — no date")):
            lost = keep & mask
            if lost.any():
                self._skip(plan, frame.index[lost], reason)
            keep &= ~mask
        if not keep.any():
            return None
        self.shop_defaulted |= bool((no_shop & keep).any())
        started = day + pd.to_timedelta(clock, unit="s") if clock is not None else day
        ids = values.text(frame[f["session_id"][0]]) if "session_id" in f else None
        sessions = pd.DataFrame({
            "shop": shop, "account": account,
            "day": day, "started_at": started,
            **{k: out[k] for k in ("answered", "resolved", "converted", "inquiry", "wait_s", "duration_s",
                                   "rating", "amount") if k in out},
            **{k: values.labels(frame[f[k][0]]) for k in ("topic", "loss_reason") if k in f},
        }, index=frame.index)[keep]
        sessions.insert(2, "session_id", ids[keep] if ids is not None else self._generate_ids(sessions))
        missing_id = sessions["session_id"].isna()
        if missing_id.any():
            sessions.loc[missing_id, "session_id"] = self._generate_ids(sessions[missing_id])
        sessions = sessions.reindex(columns=list(SESSION_COLUMNS))
        self._note_period(sessions["day"], sessions["day"])
        self.shops.update(sessions["shop"].unique())
        return sessions.reset_index(drop=True)

    def _generate_ids(self, sessions: pd.DataFrame) -> pd.Series:
        """A stable id from a session's own content, for logs without an id column, so a
        second export that overlaps the first does not count a session twice."""
        content = sessions.drop(columns=["session_id"], errors="ignore").astype(str)
        hashed = pd.util.hash_pandas_object(content, index=False).to_numpy()
        seen = pd.Series(hashed).groupby(hashed).cumcount().to_numpy()
        ids = []
        for h, k in zip(hashed, seen):
            n = self._generated_ids.get(int(h), 0) + k
            ids.append(f"auto-{int(h):016x}-{n}")
        for h, count in zip(*np.unique(hashed, return_counts=True)):
            self._generated_ids[int(h)] = self._generated_ids.get(int(h), 0) + int(count)
        return pd.Series(ids, index=sessions.index, dtype="str")

    def sessions(self) -> Iterator[pd.DataFrame]:
        for plan in self.plans:
            if plan.layout.shape != "sessions":
                continue
            lay = plan.layout
            for raw in plan.sheet.frames(plan.start, len(lay.labels)):
                chunk = self._chunk(self._sessions_chunk, plan, raw)
                self.done += len(raw)
                self.report(f"{self.name}{plan.where}")
                if chunk is not None and len(chunk):
                    self.session_rows += len(chunk)
                    yield chunk

    # -- summary --

    @property
    def shop_label(self) -> str | None:
        shops = sorted(self.shops)
        return ", ".join(shops[:10]) + (" …" if len(shops) > 10 else "") if shops else self.shop

    def skipped_lines(self) -> list[str]:
        extra = self.skipped_count - len(self.skipped)
        return self.skipped + ([f"…另有 {extra} 行被跳过 — {extra} more rows skipped"] if extra > 0 else [])

    def remembered_maps(self) -> dict[str, dict[str, str]]:
        return {p.layout.signature: p.layout.mapping for p in self.plans if p.layout.mapping}


def _notes_under_header(rows: list[list], lay: _Layout) -> int:
    """How many rows (at most three) right under the header explain the columns: words
    in at least two figure columns and no figure anywhere (JD's data may start on row 4).
    A single unreadable cell is left to be reported as such."""
    columns = [c for c, _ in lay.measures] if lay.shape == "facts" else \
        [c for f, (c, _) in lay.session.items() if f in ("wait_s", "duration_s", "rating", "amount")]
    count = 0
    for row in rows[:3]:
        cells = pd.Series([row[c] for c in columns if c < len(row) and row[c] not in ("", None)], dtype=object)
        if len(cells) < 2 or any(not isinstance(cell, str) for cell in cells):
            break
        readable = ~(values.read_percent(cells).bad & values.read_duration(cells).bad)
        if readable.any():
            break
        count += 1
    return count


def _only_agents(bad: dict[int, np.ndarray], account: pd.Series) -> dict[int, np.ndarray]:
    """Unreadable cells count only in rows that name an agent; a row without one (a note
    under the table) is skipped as such."""
    agent = account.notna().to_numpy()
    return {c: mask & agent for c, mask in bad.items()}


def _column_name(plan: _Plan, c: int) -> str:
    labels = plan.layout.labels
    return labels[c] if c < len(labels) else f"第{c + 1}列(表头之外)"


def _problem(plan: _Plan, c: int, value) -> str:
    if c >= len(plan.layout.labels):
        return f"单元格多于表头 ({value!r} 在表头之外，可能是未加引号的逗号) — more cells than the header"
    return f"“{plan.layout.labels[c]}”的值 {value!r} 无法读取"


def label_flags(cells: pd.Series, header_texts: set[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per cell: does it repeat the column's header, is it a summary label (汇总, 均值, …)."""
    codes, uniques = pd.factorize(cells, use_na_sentinel=True)
    header = np.zeros(len(uniques) + 1, dtype=bool)
    summary = np.zeros(len(uniques) + 1, dtype=bool)
    for i, u in enumerate(uniques.tolist()):
        if not isinstance(u, str):
            continue
        header[i] = aliases.normalize_header(u) in header_texts
        body = values.clean_text(u).replace(" ", "")
        summary[i] = bool(_SUMMARY.match(body) or _SUMMARY.match(re.split(r"[:：]", body)[-1]))
    return header[codes], summary[codes]


def _blank(cells: pd.Series) -> np.ndarray:
    empty = cells.isna().to_numpy()
    if pd.api.types.is_object_dtype(cells):
        empty = empty | (cells.to_numpy() == "")
    return empty


def _sum_duplicates(out: pd.DataFrame) -> pd.DataFrame:
    """Rows of the same account and period in one sheet (e.g. one per skill group) add up,
    here over a whole sheet and in the database over a streamed sheet's chunks
    (ImportMeta.repeated_facts, db._summed_per_key), by one rule so both store alike.

    A ratio's two sides must add up over the same rows: a row lacking a measure while it
    holds a nonzero partner (RATIO_PARTNERS; e.g. 延迟统计 over 100 inquiries) leaves that
    measure unsettled, NULL for the key. Days worked do not add up across one person's
    rows of a period: the most any row gives."""
    if not out.duplicated(FACT_KEY).any():
        return out
    measures = [c for c in out.columns if c in MEASURE_NAMES]
    grouped = out.groupby(FACT_KEY, sort=False)
    summed = grouped[measures].sum(min_count=1)
    if "workdays" in summed:
        summed["workdays"] = grouped["workdays"].max()
    unpaired = {}
    for m in measures:
        partners = [p for p in RATIO_PARTNERS.get(m, ()) if p in out]
        if partners:
            unpaired[m] = out[m].isna() & out[partners].fillna(0).ne(0).any(axis=1)
    if unpaired:
        gaps = pd.DataFrame(unpaired).join(out[FACT_KEY]).groupby(FACT_KEY, sort=False).any()
        summed[gaps.columns] = summed[gaps.columns].mask(gaps)
    summed["provisional"] = grouped["provisional"].any()
    return summed.reset_index()


def _merge_sheets(sheets: list[tuple[str, pd.DataFrame]], notes: list[str]) -> pd.DataFrame:
    """Sheets describing the same account and period complement each other; where two
    give the same measure differently, the later sheet's value stands and the notes say so.
    A ratio's side kept from an earlier sheet whose partner (RATIO_PARTNERS) a later sheet
    replaced rests on another base: it is left NULL, as a ratio never mixes two bases."""
    data = pd.concat([frame for _, frame in sheets], ignore_index=True)
    grouped = data.groupby(FACT_KEY, sort=False)
    measures = [c for c in data.columns if c in MEASURE_NAMES]
    merged = pd.DataFrame(np.nan, index=grouped.size().index, columns=measures)
    source = pd.DataFrame(None, index=merged.index, columns=measures, dtype=object)  # the sheet of each value
    replaced = pd.DataFrame(False, index=merged.index, columns=measures)  # the keys where a value was replaced
    stale = replaced.copy()  # … and where one was left out
    earlier = {m: set() for m in measures}  # the sheets whose value of a measure was replaced or left out
    bases = {m: set() for m in measures}  # the replaced partners a left-out value rested on
    for name, frame in sheets:
        given = frame.set_index(FACT_KEY).reindex(index=merged.index, columns=measures)
        changed = merged.notna() & given.notna() & ~np.isclose(merged, given)
        dropped = merged.notna() & given.isna()
        for m in measures:
            partners = changed[[p for p in RATIO_PARTNERS.get(m, ()) if p in measures]]
            dropped[m] &= partners.any(axis=1)
            earlier[m].update(source.loc[changed[m] | dropped[m], m])
            bases[m].update(partners.columns[partners[dropped[m]].any()])
        replaced, stale = replaced | changed, stale | dropped
        merged = given.combine_first(merged).mask(dropped)
        source = source.mask(given.notna(), name).mask(dropped)
    order = [name for name, _ in sheets]
    for m in measures:
        named = [s for s in order if s in earlier[m]]
        sheets_zh, sheets_en = "、".join(f"“{s}”" for s in named), ", ".join(named)
        if replaced[m].any():
            notes.append(f"工作表{sheets_zh}的“{label(m)}”被后面的工作表替换（{replaced[m].sum()} 行） — "
                         f"{label(m, 'en')} of sheet {sheets_en} replaced by a later sheet's (rows: {replaced[m].sum()})")
        if stale[m].any():
            rested_on = [b for b in RATIO_PARTNERS[m] if b in bases[m]]
            zh, en = "、".join(label(b) for b in rested_on), ", ".join(label(b, "en") for b in rested_on)
            notes.append(f"工作表{sheets_zh}的“{label(m)}”与后面工作表替换的“{zh}”不配套，已留空（{stale[m].sum()} 行） — "
                         f"{label(m, 'en')} of sheet {sheets_en} rests on the {en} a later sheet replaced: left empty "
                         f"(rows: {stale[m].sum()})")
    merged["provisional"] = grouped["provisional"].any()
    return merged.reset_index()


def decide_scales(plan: _Plan, evidence: dict[int, values.PercentEvidence], notes: list[str]) -> dict[int, str]:
    """Each rate column's scale from what the whole file shows (values.decide_percent_scale).
    A column of only 0s and 1s that nothing else decides is read as 0% / 100%, and the
    notes say so: the spec forbids taking 1 for 100% unseen."""
    by_unit = {c: col.unit == "pct" for c, col in plan.layout.measures}
    scales = {}
    for c, own in evidence.items():
        siblings = [e for other, e in evidence.items() if other != c]
        scales[c] = values.decide_percent_scale(own, header_says_percent=by_unit.get(c, False), siblings=siblings)
        if values.percent_scale_unseen(own, header_says_percent=by_unit.get(c, False), siblings=siblings):
            label = plan.layout.labels[c]
            note = (f"“{label}”只有 0 和 1，看不出 1 是 100% 还是 1%，已按 100% 读入；如果是 1%，请在表头写上（%）后"
                    f"撤销并重新导入 — “{label}” holds only 0s and 1s: read as 0% / 100%; if 1 meant 1%, write (%) "
                    "in its header, undo this import and import the file again")
            if note not in notes:
                notes.append(note)
    return scales


def missing_base_note(key: str, lay: _Layout) -> str:
    headers = [lay.labels[c] for c, col in lay.measures if col.target == key]
    if key in aliases.RATES:
        bases = aliases.RATES[key][1]
    elif key in aliases.AVERAGES:
        bases = ("receptions",)
    else:
        bases = (aliases.RATIOS[key][1],)
    return (f"“{'/'.join(headers)}”没有可用的基数({'/'.join(label(b) for b in bases)})，未导入 — "
            f"no base count to rebuild it from, not stored")


# -- rebuilding numerators (metrics.md) ---------------------------------------------------


def rebuild(counts: dict[str, pd.Series], rates: dict[str, pd.Series], averages: dict[str, pd.Series],
            ratios: dict[str, pd.Series], *, daily) -> tuple[dict[str, pd.Series], list[str]]:
    """Canonical measures from what an export gives, exactly as metrics.md's table says.

    Counts given in the file win over counts rebuilt from a rate (a rate only fills the
    rows where the count is missing). A NULL rate or base leaves the rebuilt numerator
    NULL. Returns the measures and the keys of rates/averages/ratios that had no base.
    The columns may also be csperf.bulk's SQL expressions: both import paths rebuild alike.
    """
    m: dict[str, pd.Series] = dict(counts)
    missing: list[str] = []
    if "receptions" not in m and "cases" in m:
        # An after-sales file counts its receptions as 接待售后人数, just as a session is
        # both one reception and one case.
        m["receptions"] = m["cases"]

    def fill(name: str, value: pd.Series) -> None:
        m[name] = m[name].fillna(value) if name in m else value

    def add(names: Iterable[str]) -> pd.Series | None:
        parts = [m[n] for n in names if n in m]
        if not parts:
            return None
        if not isinstance(parts[0], pd.Series):
            return parts[0].present_sum(parts)  # SQL expressions (csperf.bulk)
        return pd.concat(parts, axis=1).sum(axis=1, min_count=1)

    breakdown = add(_BREAKDOWN)
    if breakdown is not None:
        fill("ratings", breakdown)
    top_two = add(_BREAKDOWN[:2])
    if top_two is not None:
        fill("satisfied", top_two)
    if "receptions" in m and "unreplied" in m:
        fill("replied", m["receptions"] - m["unreplied"])

    for key in _RATE_ORDER:
        if key not in rates:
            continue
        rate = rates[key]
        numerator, bases = aliases.RATES[key]
        present = [m[b] for b in bases if b in m]
        if not present:
            missing.append(key)
            continue
        base = present[0]
        for fallback in present[1:]:
            base = base.fillna(fallback)
        if bases[0] == "ratings":
            # 满意率 over 有效接待人数 when no rating count is given: that base is the
            # KPI's denominator, so it is stored as the ratings the rate rests on.
            fill("ratings", base.where(rate.notna()))
        fill(numerator, rate * base)

    if "aov" in ratios:
        if "sales" in m:
            aov = ratios["aov"]
            fill("sales_buyers", m["sales"] / aov.where(aov > 0))
        else:
            missing.append("aov")
    if "paid_buyers" in m and (any(p in m for p in RATIO_PARTNERS["sales_buyers"]) or "items_per_buyer" in ratios):
        # beside the figures resting on it only: a report without them leaves 销售人数 to the
        # day's other reports (and the facts view reads paid buyers where none gives it)
        fill("sales_buyers", m["paid_buyers"])
    for key in ("items_per_buyer", "csat_avg", "answer_question_ratio"):
        if key not in ratios:
            continue
        target, base = aliases.RATIOS[key]
        if base in m:
            fill(target, ratios[key] * m[base])
        else:
            missing.append(key)

    for key, avg in averages.items():
        total, count = aliases.AVERAGES[key]
        if "receptions" not in m:
            missing.append(key)
            continue
        base = m["receptions"].where(avg.notna())
        fill(total, avg * base)
        if count:
            fill(count, base)

    if "receptions" in m:
        worked = (m["receptions"] > 0).astype(float).where(m["receptions"].notna())
        if isinstance(worked, pd.Series):
            daily = pd.Series(np.asarray(daily, dtype=bool), index=worked.index)
        # a day is worked when it had receptions; a longer record tells only when it had none
        fill("workdays", worked.where(daily).fillna(worked.where(~(m["receptions"] > 0))))
    return {k: v.astype(float) for k, v in m.items() if k in MEASURE_NAMES}, missing


# -- public API ---------------------------------------------------------------------------


def _concat(frames: Iterable[pd.DataFrame]) -> pd.DataFrame | None:
    found = [f for f in frames if f is not None and len(f)]
    return pd.concat(found, ignore_index=True) if found else None


def parse_file(path, *, shop=None, date_from=None, date_to=None, mapping=None, skip_bad_rows=False,
               remembered=None, progress: Progress | None = None) -> Parsed:
    """Read one export file into canonical frames. Pure: no database involved.

    `remembered` is {header signature: mapping} (import_file passes the saved ones).
    Raises BadInput for a file that cannot be imported.
    """
    job = _Job(path, shop=shop, date_from=date_from, date_to=date_to, mapping=mapping,
               skip_bad_rows=skip_bad_rows, remembered=remembered, progress=progress)
    try:
        job.prepare()
        job.settle()
        job.decide()
        facts = _concat(job.facts())
        sessions = _concat(job.sessions())
        _require_rows(job)
        job.note_ignored_shop()
    except BadInput as exc:
        exc.columns = exc.columns or job.columns
        raise
    if facts is None:
        facts = pd.DataFrame(columns=[*FACT_KEY, "provisional"])
    else:  # a sheet's chunks add up as the database adds them up
        facts = _sum_duplicates(facts)
        facts["date_from"] = facts["date_from"].dt.date
        facts["date_to"] = facts["date_to"].dt.date
    return Parsed(
        file_name=job.name, sha256=job.sha256, format=job.format, shop=job.shop_label,
        shop_defaulted=job.shop_defaulted, period_from=job.first, period_to=job.last, facts=facts,
        sessions=sessions, unknown_columns=job.unknown, skipped=job.skipped_lines(),
        provisional_rows=int(facts["provisional"].sum()), rows=len(facts) + job.session_rows, notes=job.notes,
        header_maps=job.remembered_maps(), columns=job.columns,
    )


def _require_rows(job: _Job) -> None:
    if job.fact_rows + job.session_rows == 0:
        detail = f" (跳过 {job.skipped_count} 行)" if job.skipped_count else ""
        raise BadInput(f"{job.name}: 没有可导入的数据行{detail} — no data rows to import")


def remembered_maps(db: Database) -> dict[str, dict[str, str]]:
    """Header mappings saved by earlier imports, by header signature."""
    return {signature: json.loads(mapping) for signature, mapping in
            db.rows("SELECT signature, mapping FROM header_maps")}


def remember_map(db: Database, signature: str, mapping: dict[str, str]) -> None:
    with db.write() as cur:
        cur.execute("INSERT OR REPLACE INTO header_maps (signature, mapping) VALUES (?, ?)",
                    [signature, json.dumps(mapping, ensure_ascii=False, sort_keys=True)])


def import_file(db: Database, path, *, shop=None, date_from=None, date_to=None, mapping=None,
                skip_bad_rows=False, user=None, progress: Progress | None = None) -> ImportResult:
    """Read one file and store it in one transaction (streaming large files in chunks).

    Raises BadInput (and the database is left unchanged) when the file cannot be imported.
    A caller's mapping is remembered for files with the same header row.
    """
    job = _Job(path, shop=shop, date_from=date_from, date_to=date_to, mapping=mapping,
               skip_bad_rows=skip_bad_rows, remembered=remembered_maps(db), progress=progress)
    job.prepare()
    meta = ImportMeta(file_name=job.name, sha256="", format=job.format, shop=job.shop,
                      unknown_columns=job.unknown, imported_by=user, repeated_facts="sum")
    from csperf import bulk  # bulk builds on this module

    outcome = bulk.store(db, job, meta) if bulk.applies(job) else None
    if outcome is None:
        job.settle()
        meta.sha256, meta.format, meta.unknown_columns = job.sha256, job.format, job.unknown
        job.decide()
        outcome = _store_chunks(db, job, meta)
    for signature, used in job.remembered_maps().items():
        remember_map(db, signature, used)
    job.notes.extend(outcome.notes)
    job.note_ignored_shop()
    return ImportResult(
        file_name=job.name, format=job.format, shop=meta.shop, shop_defaulted=job.shop_defaulted,
        period_from=meta.period_from, period_to=meta.period_to, rows=outcome.rows, sessions=outcome.sessions,
        unknown_columns=job.unknown, skipped=list(meta.skipped), provisional_rows=job.provisional_rows,
        notes=job.notes, outcome=outcome,
    )


def _store_chunks(db: Database, job: _Job, meta: ImportMeta) -> ImportOutcome:
    """The Python path: chunk frames read by csperf.values, streamed into one transaction."""
    exhausted: list[str] = []

    def stream(kind: str, chunks: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        yield from chunks
        exhausted.append(kind)
        if len(exhausted) == 2:
            # Both streams are read (the import row is written after them): refuse an
            # empty file inside the transaction, and complete the import's summary.
            _require_rows(job)
            job.note_ignored_shop()
            meta.shop = job.shop_label
            meta.period_from, meta.period_to = job.first, job.last
            meta.skipped[:] = job.skipped_lines()
            meta.notes = "\n".join(job.notes) or None
            meta.sessions_read = job.session_rows

    return db.apply_import(meta, stream("facts", job.facts()), stream("sessions", job.sessions()))


def import_files(db: Database, paths: Iterable, **options) -> list[ImportResult]:
    """Each file in its own transaction; a bad file is reported and the others go on."""
    results = []
    for path in paths:
        try:
            results.append(import_file(db, path, **options))
        except BadInput as exc:
            results.append(ImportResult(file_name=Path(path).name, error=str(exc)))
    return results
