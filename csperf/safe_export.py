"""Spreadsheet exports that cannot run anything when opened.

Account names, file names and notes come from uploaded files, so a cell can start with
`=`, `+`, `-` or `@` and Excel would run it as a formula (CSV/formula injection). In
.xlsx every text cell is written as a string, never a formula; in CSV a risky cell gets
a leading single quote (OWASP guidance). Numbers stay numbers, and CSV carries a BOM so
Excel opens Chinese text correctly. Money is written rounded to the cent (spec/scoring.md:
the engine never rounds; exports do), found by its column header.
"""

from __future__ import annotations

import io
import math
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import xlsxwriter

from csperf.metrics import KPIS
from csperf.scoring import MONEY_COLUMNS
from csperf.ui_format import to_cent
from csperf.views import PAY_LABELS

# Leading characters a spreadsheet may read as the start of a formula; the full-width
# forms are included because Chinese input methods type them and some Excel builds
# normalise them.
FORMULA_LEADS = frozenset("=+-@\t\r\n＝＋－＠")
_BLANK_LEADS = " \u3000"

_EXCEL_EXACT_DIGITS = 10**15  # Excel keeps 15 significant digits; longer ids become text
_SHEET_NAME_MAX = 31
_SHEET_NAME_BAD = set("[]:*?/\\")
_WIDTH_SAMPLE_ROWS = 200


def is_risky(text: str) -> bool:
    """Whether a spreadsheet could take this text for a formula."""
    stripped = text.lstrip(_BLANK_LEADS)
    return bool(stripped) and stripped[0] in FORMULA_LEADS


def defuse_cell(text: str) -> str:
    """The text as a CSV cell Excel shows but never evaluates."""
    return "'" + text if is_risky(text) else text


# Headers of CNY columns: the catalogue's money KPIs and the pay slip's figures, by canonical
# name and by the Chinese and English labels the leaderboard exports them under.
MONEY_HEADERS = frozenset(
    header
    for name, labels in [*((k.name, (k.zh, k.en)) for k in KPIS if k.unit == "cny"),
                         *((column, PAY_LABELS[column]) for column in MONEY_COLUMNS)]
    for header in (name, *labels)
)


def _flatten(frame: pd.DataFrame) -> pd.DataFrame:
    """Named index levels become columns; multi-level headers become one 'a / b' header."""
    if any(name is not None for name in frame.index.names):
        frame = frame.reset_index()
    if isinstance(frame.columns, pd.MultiIndex):
        frame = frame.set_axis(
            [" / ".join(str(part) for part in col if str(part)) for col in frame.columns], axis=1
        )
    return frame


def _money_to_the_cent(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its float money columns (found by MONEY_HEADERS) rounded to 0.01."""
    money = [position for position, header in enumerate(frame.columns)
             if str(header) in MONEY_HEADERS and frame.iloc[:, position].dtype.kind == "f"]
    if not money:
        return frame
    frame = frame.copy()
    for position in money:
        frame.isetitem(position, to_cent(frame.iloc[:, position]))
    return frame


# -- CSV -----------------------------------------------------------------------------------

def to_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 with BOM, CRLF rows, risky text cells prefixed with a single quote."""
    safe = _money_to_the_cent(_flatten(frame)).copy()
    safe.columns = [defuse_cell(str(col)) for col in safe.columns]
    for position in range(safe.shape[1]):
        column = safe.iloc[:, position]
        if not (pd.api.types.is_numeric_dtype(column) or pd.api.types.is_datetime64_any_dtype(column)):
            safe.isetitem(position, column.map(lambda v: defuse_cell(v) if isinstance(v, str) else v))
    return ("\ufeff" + safe.to_csv(index=False, lineterminator="\r\n")).encode("utf-8")


# -- XLSX ----------------------------------------------------------------------------------

def _sheet_name(wanted: str, used: set[str]) -> str:
    name = "".join("_" if ch in _SHEET_NAME_BAD or unicodedata.category(ch) == "Cc" else ch
                   for ch in str(wanted)).strip("'").strip() or "Sheet"
    if name.lower() == "history":  # reserved by Excel
        name += "_"
    name = name[:_SHEET_NAME_MAX]
    candidate, n = name, 1
    while candidate.lower() in used:
        n += 1
        suffix = f" ({n})"
        candidate = name[: _SHEET_NAME_MAX - len(suffix)] + suffix
    used.add(candidate.lower())
    return candidate


def _display_width(value) -> int:
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _is_missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float | np.floating) and math.isnan(value)


class _SheetWriter:
    """Writes one cell by the type of its value: numbers as numbers, text only as text."""

    def __init__(self, workbook: xlsxwriter.Workbook):
        self.header = workbook.add_format({"bold": True, "bottom": 1, "text_wrap": True})
        self.quoted = workbook.add_format({"quote_prefix": True})
        self.quoted_header = workbook.add_format({"bold": True, "bottom": 1, "quote_prefix": True})
        self.day = workbook.add_format({"num_format": "yyyy-mm-dd"})
        self.moment = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self.title = workbook.add_format({"bold": True, "font_size": 13})
        self.quoted_title = workbook.add_format({"bold": True, "font_size": 13, "quote_prefix": True})

    def heading(self, sheet, row: int, text: str) -> None:
        """A line above a table: the first one as its title, the rest plain; never a formula."""
        if row:
            self.text(sheet, row, 0, text)
        else:
            sheet.write_string(row, 0, text, self.quoted_title if is_risky(text) else self.title)

    def text(self, sheet, row: int, col: int, text: str, header: bool = False) -> None:
        if header:
            sheet.write_string(row, col, text, self.quoted_header if is_risky(text) else self.header)
        elif is_risky(text):
            sheet.write_string(row, col, text, self.quoted)
        else:
            sheet.write_string(row, col, text)

    def column(self, sheet, col: int, column: pd.Series, number_format=None, first_row: int = 1) -> None:
        """Rows `first_row`.. of one column; plain float and integer columns take a fast path.
        `number_format` (a workbook format) is how its numbers show (¥, %, 秒)."""
        values = column.tolist()
        if column.dtype.kind == "f":
            for row, value in enumerate(values, start=first_row):
                if value == value:  # not NaN
                    sheet.write_number(row, col, value, number_format)
        elif column.dtype.kind in "iu" and bool((column.abs() < _EXCEL_EXACT_DIGITS).all()):
            for row, value in enumerate(values, start=first_row):
                sheet.write_number(row, col, value, number_format)
        else:
            date_only = _dates_only(column)
            for row, value in enumerate(values, start=first_row):
                self.cell(sheet, row, col, value, date_only, number_format)

    def cell(self, sheet, row: int, col: int, value, date_only: bool, number_format=None) -> None:
        if _is_missing(value):
            return
        if isinstance(value, bool | np.bool_):
            sheet.write_boolean(row, col, bool(value))
        elif isinstance(value, int | np.integer) and abs(int(value)) >= _EXCEL_EXACT_DIGITS:
            sheet.write_string(row, col, str(int(value)))
        elif isinstance(value, int | float | Decimal | np.integer | np.floating):
            sheet.write_number(row, col, float(value), number_format)
        elif isinstance(value, datetime):
            sheet.write_datetime(row, col, value.to_pydatetime() if isinstance(value, pd.Timestamp) else value,
                                 self.day if date_only else self.moment)
        elif isinstance(value, date):
            sheet.write_datetime(row, col, datetime(value.year, value.month, value.day), self.day)
        else:
            self.text(sheet, row, col, str(value))


def _dates_only(column: pd.Series) -> bool:
    """A datetime column whose values all fall on midnight is shown as plain dates."""
    if not pd.api.types.is_datetime64_any_dtype(column):
        return False
    present = column.dropna()
    return bool((present == present.dt.normalize()).all())


def to_xlsx(frames: Mapping[str, pd.DataFrame], number_formats: Mapping[str, str] | None = None,
            headings: Mapping[str, list[str]] | None = None) -> bytes:
    """One sheet per frame (in order), header row frozen and filterable; no cell is ever a
    formula. `number_formats` maps a column header to an Excel number format (`0.0%`,
    `"¥"#,##0.00`); `headings` gives a sheet lines above its table (what the figures are:
    period, filters, scheme), so a printed or forwarded copy still says it."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {
        "in_memory": True,
        "strings_to_formulas": False,
        "strings_to_numbers": False,
        "strings_to_urls": False,
        "nan_inf_to_errors": True,
        "remove_timezone": True,
    })
    writer = _SheetWriter(workbook)
    formats = {header: workbook.add_format({"num_format": code}) for header, code in (number_formats or {}).items()}
    used: set[str] = set()
    for wanted, frame in frames.items():
        frame = _money_to_the_cent(_flatten(frame))
        sheet = workbook.add_worksheet(_sheet_name(wanted, used))
        lines = list((headings or {}).get(wanted, []))
        for row, line in enumerate(lines):
            writer.heading(sheet, row, line)
        top = len(lines) + 1 if lines else 0  # a blank row between the heading and the table
        for col, header in enumerate(frame.columns):
            writer.text(sheet, top, col, str(header), header=True)
            writer.column(sheet, col, frame.iloc[:, col], formats.get(str(header)), first_row=top + 1)
            sample = frame.iloc[:_WIDTH_SAMPLE_ROWS, col].tolist()
            width = max([_display_width(header)] + [_display_width(v) for v in sample])
            sheet.set_column(col, col, min(max(width + 2, 8), 60))
        if len(frame.columns):
            sheet.autofilter(top, 0, top + len(frame), len(frame.columns) - 1)
        sheet.freeze_panes(top + 1, 0)
    workbook.close()
    return buffer.getvalue()
