"""Cell values of the platforms' exports, read into numbers, seconds, dates and booleans.

Exports write the same quantity in many ways (`36.99%`, `0.3699`, `9秒`, `8分48秒`,
`1，234`, `¥1234`, Excel time cells, `延迟统计` for "not settled yet"), and a CSV can
have millions of rows. So every reader works on a whole column: a column of plain
numbers or ISO dates is read in one Arrow C++ pass; otherwise each distinct value is
read once (vectorized where it can be, by regex where it must) and mapped back to the
cells through `pd.factorize` codes. No Python loop runs per cell.

A cell that cannot be read is never silently zero. The `read_*` functions return a
`Reading` (values, mask of unreadable cells, mask of `延迟统计` cells) so the importer
can name or skip those rows; the plain functions (`number`, `percent`, …) raise
`UnreadableValues` instead. Decisions that need the whole column (is a bare `1` a
fraction or a percent, is `01-02-2026` day-first) come from evidence objects that merge
over chunks, so a chunked reader can decide before it parses.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from csperf.db import TIME_ZONE

# Cells that mean "no value": NULL, never 0.
NULL_MARKERS = frozenset(
    {"", "-", "--", "---", "—", "——", "－", "/", "null", "none", "nan", "n/a", "na", "#n/a",
     "暂无", "暂无数据", "无", "无数据", "延迟统计", "#div/0!", "#value!", "#ref!", "#num!",
     "#null!", "#name?"}
)
# Cells that mean "the platform has not settled this yet": NULL, and the row is provisional.
PENDING_MARKERS = frozenset({"延迟统计"})
# Every case a NULL marker is written in, so text columns can be checked without lower().
NULL_VARIANTS = frozenset(v for m in NULL_MARKERS for v in (m, m.upper(), m.title(), m.capitalize()))
_NULL_ARROW = pa.array(sorted(NULL_VARIANTS))
_PENDING_ARROW = pa.array(sorted(PENDING_MARKERS))

_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_SERIAL_RANGE = (20000, 80000)  # Excel day numbers 1954-09-03 .. 2119-01-10
_BAD = object()
YEAR_FIRST = "ymd"  # a date order meaning "this column has no day-month-year text"


class UnreadableValues(ValueError):
    """Some cells of a column could not be read.

    `values` is the parse with those cells left NULL, `bad` marks them (aligned with the
    input), `examples` lists (index label, raw cell) of the first few.
    """

    def __init__(self, kind: str, values: pd.Series, bad: pd.Series, raw: pd.Series):
        self.kind = kind
        self.values = values
        self.bad = bad
        self.examples = [(label, raw.loc[label]) for label in bad.index[bad.to_numpy()][:5]]
        shown = ", ".join(f"{v!r}" for _, v in self.examples)
        super().__init__(f"无法读取的{kind}: {shown} — unreadable {KIND_EN.get(kind, kind)}")


KIND_EN = {"数字": "number", "百分比": "percentage", "时长": "duration", "日期": "date",
           "时间": "time of day", "是/否": "yes/no value"}


class AmbiguousDates(ValueError):
    """Day-month-year text whose order cannot be decided from the whole column."""

    def __init__(self, examples: list[str], mixed: bool = False):
        self.examples = examples
        if mixed:
            message = ("同一列中既有 日-月-年 又有 月-日-年 的日期 — the column mixes day-first and "
                       "month-first dates")
        else:
            message = (f"日期顺序无法确定(日-月-年 还是 月-日-年?): {', '.join(examples[:3])} — ambiguous "
                       "dates, please specify the order (date_order=dmy or date_order=mdy)")
        super().__init__(message)


# -- the unique-values engine -------------------------------------------------------------


@dataclass
class Reading:
    """One column read: the values, the cells that could not be read, the `延迟统计` cells."""

    values: pd.Series
    bad: np.ndarray
    pending: np.ndarray

    def checked(self, kind: str, raw: pd.Series) -> pd.Series:
        if self.bad.any():
            raise UnreadableValues(kind, self.values, pd.Series(self.bad, index=raw.index), raw)
        return self.values


def _series(values) -> pd.Series:
    return values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)


def _na_array(n: int, dtype) -> np.ndarray:
    dtype = np.dtype(dtype)
    if dtype.kind == "M":
        return np.full(n, np.datetime64("NaT"), dtype=dtype)
    if dtype == np.dtype(object):
        return np.full(n, None, dtype=object)
    if dtype.kind in "biu":
        return np.zeros(n, dtype=dtype)
    return np.full(n, np.nan, dtype=dtype)


def _read_unique(
    s: pd.Series,
    read: Callable[[object], object],
    dtype,
    fast: Callable[[pd.Series], tuple[np.ndarray, np.ndarray]] | None = None,
) -> Reading:
    """Read each distinct value of `s` once and map the results back to the cells.

    `fast(uniques)` may read most distinct values at once (vectorized) and return
    (values, mask of those it could not read); `read` handles the rest one by one and
    returns a value, None (NULL) or `_BAD`.
    """
    codes, uniques = _factorize(s)
    n = len(uniques)
    out_u = _na_array(n + 1, dtype)  # slot n stays NA for missing cells (code -1)
    bad_u = np.zeros(n + 1, dtype=bool)
    pending_u = np.zeros(n + 1, dtype=bool)
    todo = np.ones(n, dtype=bool)
    if fast is not None and n:
        done_values, todo = fast(pd.Series(uniques, dtype=object))
        out_u[:n] = done_values
    for i in np.flatnonzero(todo):
        value = uniques[i]
        result = read(value)
        if result is _BAD:
            bad_u[i] = True
        elif result is not None:
            out_u[i] = result
        elif isinstance(value, str) and clean_text(value) in PENDING_MARKERS:
            pending_u[i] = True
    return Reading(pd.Series(out_u[codes], index=s.index), bad_u[codes], pending_u[codes])


def _factorize(s: pd.Series) -> tuple[np.ndarray, list]:
    """Codes per cell (-1 for missing) and the distinct values as plain Python objects."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    return codes, uniques.tolist()


def _pairs(s: pd.Series, read: Callable[[object], object], dtype, fast=None
           ) -> tuple[np.ndarray, np.ndarray, Reading]:
    """Like `_read_unique` for readers that return two values per cell (a, b);
    `fast(uniques)` returns (a, b, mask of those still to read one by one)."""
    codes, uniques = _factorize(s)
    n = len(uniques)
    first, second = _na_array(n + 1, dtype[0]), _na_array(n + 1, dtype[1])
    bad_u = np.zeros(n + 1, dtype=bool)
    pending_u = np.zeros(n + 1, dtype=bool)
    todo = np.ones(n, dtype=bool)
    if fast is not None and n:
        first[:n], second[:n], todo = fast(pd.Series(uniques, dtype=object))
    for i in np.flatnonzero(todo):
        value = uniques[i]
        result = read(value)
        if result is _BAD:
            bad_u[i] = True
        elif result is not None:
            first[i], second[i] = result
        elif isinstance(value, str) and clean_text(value) in PENDING_MARKERS:
            pending_u[i] = True
    a, b = first[codes], second[codes]
    return a, b, Reading(pd.Series(a, index=s.index), bad_u[codes], pending_u[codes])


def _numeric_uniques(u: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    num = pd.to_numeric(u, errors="coerce").astype(float).to_numpy()
    return num, ~np.isfinite(num)


def _plain_numeric(s: pd.Series) -> bool:
    return (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)) and not \
        pd.api.types.is_object_dtype(s)


def _arrow_strings(s: pd.Series) -> pa.ChunkedArray | None:
    """The Arrow strings behind a pandas 'str' column (what the CSV reader produces)."""
    if isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow":
        return s.array.__arrow_array__()
    return None


def _arrow_numbers(arr: pa.ChunkedArray) -> np.ndarray | None:
    """One C++ pass when every cell is a plain number or empty (most columns of a big
    CSV); None as soon as any cell is not, so the caller reads the distinct values."""
    try:
        numbers = pc.cast(arr, pa.float64()).to_numpy()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return None if np.isinf(numbers).any() else numbers


def _numeric_reading(s: pd.Series, factor: float = 1.0) -> Reading:
    num = s.astype(float) * factor
    bad = np.isinf(num.to_numpy())
    return Reading(num.where(~bad), bad, np.zeros(len(s), dtype=bool))


def clean_text(value: object) -> str:
    """NFKC (full-width → half-width), trimmed; the form every text rule works on."""
    return unicodedata.normalize("NFKC", str(value)).strip()


def _is_null_text(text: str) -> bool:
    return text.lower() in NULL_MARKERS


def pending_mask(values) -> pd.Series:
    """True where the platform wrote `延迟统计` (settled later: the row is provisional)."""
    s = _series(values)
    if _plain_numeric(s) or pd.api.types.is_datetime64_any_dtype(s):
        return pd.Series(False, index=s.index)
    return pd.Series(_read_unique(s, lambda v: None, object).pending, index=s.index)


# -- numbers ------------------------------------------------------------------------------

_NUMBER_RX = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$", re.I)
_CURRENCY = re.compile(r"^(?:¥|rmb|cny|\$)|(?:元|rmb|cny|人|次|个|件|单|条)$", re.I)
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")


def _read_number_text(text: str) -> float | None | object:
    if _is_null_text(text):
        return None
    body = text.replace(" ", "")
    for _ in range(2):  # a prefix and a suffix, e.g. "¥1,234元"
        body = _CURRENCY.sub("", body)
    if "," in body:
        if not _THOUSANDS.match(body):
            return _BAD
        body = body.replace(",", "")
    if not _NUMBER_RX.match(body):
        return _BAD
    number = float(body)
    return number if np.isfinite(number) else _BAD


def _read_number(value: object) -> float | None | object:
    if isinstance(value, (bool, np.bool_)):
        return float(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        if value != value:
            return None
        return float(value) if np.isfinite(value) else _BAD
    if isinstance(value, str):
        return _read_number_text(clean_text(value))
    return _BAD


def read_number(values) -> Reading:
    """Counts and money: `1,234.50`, `1，234`, `¥1234`, `1234元` → float; NULL markers → NaN."""
    s = _series(values)
    if _plain_numeric(s):
        return _numeric_reading(s)
    arrow = _arrow_strings(s)
    if arrow is not None and (fast := _arrow_numbers(arrow)) is not None:
        return Reading(pd.Series(fast, index=s.index), np.zeros(len(s), dtype=bool), np.zeros(len(s), dtype=bool))
    return _read_unique(s, _read_number, float, _numeric_uniques)


def number(values) -> pd.Series:
    s = _series(values)
    return read_number(s).checked("数字", s)


# -- percentages --------------------------------------------------------------------------


@dataclass
class PercentEvidence:
    """What a rate column shows about the scale of its bare numbers; merge chunks with `|`.

    Text and spreadsheet numbers are told apart: a CSV's bare `36.99` can only be a
    percent, while a spreadsheet number cell of a `0.00%` column holds the fraction, and
    one such cell above 1 is a rate over 100% (a day's conversion or refund rate can be).
    So spreadsheet numbers are counted, not just seen: the side most of them are on wins.
    """

    percent_sign: bool = False  # some cell reads "36.99%"
    bare: bool = False  # some non-zero number is written without a % sign
    over_one: bool = False  # some bare text number is above 1 (so bare numbers are percents)
    fractional: bool = False  # some bare number lies strictly between 0 and 1
    numeric: bool = False  # some non-zero bare number is a spreadsheet number cell
    numeric_fractions: int = 0  # spreadsheet number cells strictly between 0 and 1
    numeric_over_one: int = 0  # spreadsheet number cells above 1

    def __or__(self, other: PercentEvidence) -> PercentEvidence:
        mine, theirs = vars(self), vars(other)
        return PercentEvidence(**{k: mine[k] + theirs[k] if type(mine[k]) is int else mine[k] or theirs[k]
                                  for k in mine})

    @property
    def numbers_say(self) -> str | None:
        """The scale most spreadsheet number cells show: 'fraction' when more lie between
        0 and 1 than above 1 (the cells above 1 are rates over 100%), 'percent' when more
        lie above 1 (the cells below 1 are rates under 1%); None on a tie or without any."""
        if self.numeric_fractions == self.numeric_over_one:
            return None
        return "fraction" if self.numeric_fractions > self.numeric_over_one else "percent"

    @property
    def decided(self) -> str | None:
        """A bare text number above 1 makes the column percents; then the spreadsheet
        numbers decide by majority (a tie leaves the header and the siblings to decide).
        Text `%` cells make the bare text numbers beside them percents too (`0.5` next to
        `36.99%` is 0.5%), but not a spreadsheet number cell, which stores a percent as
        its fraction (0.9 = 90%)."""
        if self.over_one:
            return "percent"
        if self.numeric_fractions or self.numeric_over_one:
            return self.numbers_say
        if self.percent_sign:
            return "percent"
        if self.fractional:
            return "fraction"
        return None

    @property
    def final(self) -> bool:
        """No later cell can change the decision (so a chunked reader may stop looking).
        Spreadsheet numbers never settle it: later cells may outnumber those seen."""
        return self.over_one or (self.percent_sign and not self.bare)


# How a rate cell was written: a spreadsheet number, a bare number in text, `36.99%`.
_NUMERIC, _TEXT, _SIGNED = 0, 1, 2


def _read_percent_cell(value: object):
    """(number as written, how it was written) or None or _BAD."""
    if isinstance(value, str):
        body = clean_text(value).replace(" ", "")
        if body.endswith("%"):
            inner = _read_number_text(body[:-1])
            return _BAD if inner is None or inner is _BAD else (inner, _SIGNED)
        plain = _read_number_text(body)
        return plain if plain is None or plain is _BAD else (plain, _TEXT)
    plain = _read_number(value)
    return plain if plain is None or plain is _BAD else (plain, _NUMERIC)


def _percent_parts(s: pd.Series) -> tuple[np.ndarray, np.ndarray, Reading]:
    """(number as written, how each cell was written, the reading with its bad/pending masks)."""
    if _plain_numeric(s):
        found = _numeric_reading(s)
        return found.values.to_numpy(), np.full(len(s), _NUMERIC, dtype=np.int8), found
    return _pairs(s, _read_percent_cell, (float, np.int8), _percent_uniques)


def _percent_uniques(u: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Plain numbers and `36.99%` among the distinct values, read at once.

    Plain Python over the distinct values, then one `to_numeric`: pandas string methods
    cost milliseconds per call, which a small file's dozens of values never pay back."""
    kind = np.empty(len(u), dtype=np.int8)
    body = []
    for i, value in enumerate(u.tolist()):
        if not isinstance(value, str):
            kind[i] = _NUMERIC
            body.append(value)
            continue
        text = value.strip()
        signed = text.endswith("%")
        kind[i] = _SIGNED if signed else _TEXT
        body.append(text[:-1] if signed else text)
    num = pd.to_numeric(pd.Series(body, dtype=object), errors="coerce").astype(float).to_numpy()
    return num, kind, ~np.isfinite(num)


def _evidence(num: np.ndarray, kind: np.ndarray) -> PercentEvidence:
    present = ~np.isnan(num)
    bare = present & (kind != _SIGNED)
    size = np.abs(np.where(present, num, 0.0))
    fraction = bare & (size > 0) & (size < 1)
    numeric = bare & (kind == _NUMERIC)
    return PercentEvidence(
        percent_sign=bool((present & (kind == _SIGNED)).any()), bare=bool((bare & (size > 0)).any()),
        over_one=bool((bare & ~numeric & (size > 1)).any()), fractional=bool(fraction.any()),
        numeric=bool((numeric & (size > 0)).any()),
        numeric_fractions=int((fraction & numeric).sum()), numeric_over_one=int((numeric & (size > 1)).sum()),
    )


def percent_evidence(values) -> PercentEvidence:
    num, signed, _ = _percent_parts(_series(values))
    return _evidence(num, signed)


def decide_percent_scale(own: PercentEvidence, *, header_says_percent: bool = False,
                         siblings: Iterable[PercentEvidence] = ()) -> str:
    """'percent' (bare 36.99 = 36.99%) or 'fraction' (0.3699) for one rate column.

    A bare text number above 1, or text `%` cells, make the column percents. Spreadsheet
    numbers decide by majority: mostly between 0 and 1 is fractions (the way percent
    cells store them, so 1.2 beside them is 120%), mostly above 1 is percents. Bare text
    numbers below 1 (`0.5` in a CSV) and spreadsheet numbers split evenly say nothing on
    their own: a `%` in the header, then the other rate columns of the same file decide,
    and only then are they fractions. Spreadsheet numbers (a column of 1s: 100% or 1%?)
    heed only siblings that are spreadsheet numbers too: a `36.99%` text cell beside them
    says nothing of how the file stores a number. A column of only 0s and 1s with no
    other evidence is read as fractions.
    """
    if own.decided == "percent":
        return "percent"
    if own.numbers_say == "fraction":
        return "fraction"
    if header_says_percent:
        return "percent"
    votes = _votes(own, siblings)
    if votes and votes.count("percent") > votes.count("fraction"):
        return "percent"
    return "fraction"


def _votes(own: PercentEvidence, siblings: Iterable[PercentEvidence]) -> list[str]:
    return [e.decided for e in siblings if e.decided and (e.numeric or not own.numeric)]


def percent_scale_unseen(own: PercentEvidence, *, header_says_percent: bool = False,
                         siblings: Iterable[PercentEvidence] = ()) -> bool:
    """A column of bare 0s and 1s whose scale nothing in the file shows (decide_percent_scale
    then reads it as fractions: 1 = 100%)."""
    return own.bare and not (own.decided or own.numeric_fractions or header_says_percent or _votes(own, siblings))


def read_percent(values, *, scale: str | None = None, header_says_percent: bool = False) -> Reading:
    """Rates → fractions: `36.99%` → 0.3699, 0.3699 → 0.3699, bare 36.99 → 0.3699 when the
    column is on the percent scale (decided from the whole column unless `scale` is given)."""
    s = _series(values)
    num, kind, found = _percent_parts(s)
    if scale is None:
        scale = decide_percent_scale(_evidence(num, kind), header_says_percent=header_says_percent)
    if scale not in ("percent", "fraction"):
        raise ValueError(f"scale must be 'percent' or 'fraction', not {scale!r}")
    divide = (kind == _SIGNED) | (scale == "percent")
    out = np.where(divide, num / 100.0, num)
    return Reading(pd.Series(out, index=s.index), found.bad, found.pending)


def percent(values, *, scale: str | None = None, header_says_percent: bool = False) -> pd.Series:
    s = _series(values)
    return read_percent(s, scale=scale, header_says_percent=header_says_percent).checked("百分比", s)


# -- durations ----------------------------------------------------------------------------

UNIT_SECONDS = {"s": 1.0, "min": 60.0, "h": 3600.0}
_D = r"(\d+(?:\.\d+)?)"
_UNIT_DURATION = re.compile(
    rf"^(?:{_D}(?:天|d|day|days))?(?:{_D}(?:小时|时|h|hr|hrs|hour|hours))?"
    rf"(?:{_D}(?:分钟|分|m|min|mins|minute|minutes))?(?:{_D}(?:秒钟|秒|s|sec|secs|second|seconds))?$",
    re.I,
)
_CLOCK = re.compile(r"^(\d+):(\d{1,2})(?::(\d{1,2}(?:\.\d+)?))?$")


def _read_duration_text(text: str, factor: float):
    if _is_null_text(text):
        return None
    body = text.replace(" ", "")
    clock = _CLOCK.match(body)
    if clock:
        a, b, c = clock.groups()
        if int(b) >= 60 or (c is not None and float(c) >= 60):
            return _BAD
        return int(a) * 3600 + int(b) * 60 + float(c) if c is not None else int(a) * 60 + int(b)
    if body[-1].isdigit() or body[-1] == ".":
        plain = _read_number_text(body)
        return plain if plain is None or plain is _BAD else plain * factor
    found = _UNIT_DURATION.match(body)
    if not found or not any(found.groups()):
        return _BAD
    days, hours, minutes, seconds = (float(g) if g else 0.0 for g in found.groups())
    return days * 86400 + hours * 3600 + minutes * 60 + seconds


def _read_duration(value: object, factor: float):
    if isinstance(value, dt.datetime):
        if value.year <= 1900:  # an Excel duration cell past 24 h, counted from 1899-12-30
            return (value - _EXCEL_EPOCH).total_seconds()
        return _BAD
    if isinstance(value, dt.time):
        return value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, str):
        return _read_duration_text(clean_text(value), factor)
    plain = _read_number(value)
    return plain if plain is None or plain is _BAD else plain * factor


def read_duration(values, *, unit: str = "s") -> Reading:
    """Durations → seconds: `27.77`, `9秒`, `8分48秒`, `7小时41分52秒`, `HH:MM:SS`, `MM:SS`,
    Excel time cells. Bare numbers are in `unit` ('s', 'min' or 'h', from the header)."""
    factor = UNIT_SECONDS[unit]
    s = _series(values)
    if _plain_numeric(s):
        return _numeric_reading(s, factor)
    arrow = _arrow_strings(s)
    if arrow is not None and (plain := _arrow_numbers(arrow)) is not None:
        empty = np.zeros(len(s), dtype=bool)
        return Reading(pd.Series(plain * factor, index=s.index), empty, empty)

    def fast(u: pd.Series):
        num, todo = _numeric_uniques(u)
        return num * factor, todo

    return _read_unique(s, lambda v: _read_duration(v, factor), float, fast)


def duration(values, *, unit: str = "s") -> pd.Series:
    s = _series(values)
    return read_duration(s, unit=unit).checked("时长", s)


# -- dates --------------------------------------------------------------------------------

_YMD = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]+(.*))?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SERIAL_TEXT = re.compile(r"^\d{5}(?:\.\d+)?$")  # an Excel day number written out as text
_AB_Y = re.compile(r"^(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{4})(?:[ T]+(.*))?$")
# A chat system's log may stamp its times in UTC (`…T02:00:00Z`) or with their offset
# (`+08:00`): such a time is read as the shop's own clock (TIME_ZONE), as every other is.
_OFFSET = r"(?:Z|[+-]\d{2}(?::?\d{2})?)"
_ISO_STAMP = rf"\d{{4}}-\d{{2}}-\d{{2}}(?:[ T]\d{{2}}:\d{{2}}(?::\d{{2}}(?:\.\d+)?)?(?:\s?{_OFFSET})?)?"
ZONED_STAMP = rf"\d{{4}}-\d{{2}}-\d{{2}}[ T]\d{{2}}:\d{{2}}:\d{{2}}(?:\.\d+)?\s?{_OFFSET}"  # also in DuckDB's RE2
_CLOCK_OFFSET = re.compile(rf"^(.*:\d{{2}}(?:\.\d+)?)\s?({_OFFSET})$")  # after a time, never a date's -01
_DAY_MONTH_YEAR = r"\d{1,2}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{4}"


@dataclass
class DateOrderEvidence:
    """What day-month-year text in a column shows; merge over chunks with `|`."""

    day_first: bool = False  # a first part above 12 (31-03-2021)
    month_first: bool = False  # a second part above 12 (03-31-2021)
    ambiguous: tuple[str, ...] = ()  # examples where both orders are valid

    def __or__(self, other: DateOrderEvidence) -> DateOrderEvidence:
        return DateOrderEvidence(self.day_first or other.day_first, self.month_first or other.month_first,
                                 (self.ambiguous + other.ambiguous)[:5])

    def decide(self) -> str | None:
        """'dmy', 'mdy', or None when the column has no such text; raises when undecidable."""
        if self.day_first and self.month_first:
            raise AmbiguousDates(list(self.ambiguous), mixed=True)
        if self.day_first:
            return "dmy"
        if self.month_first:
            return "mdy"
        if self.ambiguous:
            raise AmbiguousDates(list(self.ambiguous))
        return None


def _date(y: int, m: int, d: int):
    try:
        return np.datetime64(dt.date(y, m, d), "s")
    except ValueError:
        return _BAD


def _midnight(stamp: np.datetime64) -> np.datetime64:
    return stamp.astype("datetime64[D]").astype("datetime64[s]")


def _read_date(value: object, order: str | None, with_time: bool):
    """np.datetime64 (with the time of day if `with_time`), None, or _BAD."""
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        stamp = np.datetime64(_local(value), "s")
        return stamp if with_time else _midnight(stamp)
    if isinstance(value, dt.date):
        return np.datetime64(value, "s")
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
        if value != value:
            return None
        if float(value).is_integer() and 19000101 <= value <= 21001231:
            v = int(value)
            return _date(v // 10000, v // 100 % 100, v % 100)
        if _SERIAL_RANGE[0] <= value <= _SERIAL_RANGE[1]:
            stamp = np.datetime64(_EXCEL_EPOCH, "s") + np.timedelta64(int(round(value * 86400)), "s")
            return stamp if with_time else _midnight(stamp)
        return _BAD
    if not isinstance(value, str):
        return _BAD
    text = clean_text(value)
    if _is_null_text(text):
        return None
    rest = None
    if (found := _YMD.match(text)):
        y, m, d, rest = found.groups()
        day = _date(int(y), int(m), int(d))
    elif (found := _COMPACT.match(text)):
        day = _date(*(int(g) for g in found.groups()))
    elif _SERIAL_TEXT.match(text):
        return _read_date(float(text), order, with_time)
    elif (found := _AB_Y.match(text)):
        a, b, y, rest = found.groups()
        if order not in ("dmy", "mdy"):
            return _BAD
        d, m = (a, b) if order == "dmy" else (b, a)
        day = _date(int(y), int(m), int(d))
    else:
        return _BAD
    offset = None
    if rest and (found := _CLOCK_OFFSET.match(rest.strip())):
        rest, offset = found.groups()
    clock = _read_clock_text(rest) if rest else 0.0
    if day is _BAD or clock is _BAD or clock is None:
        return _BAD
    stamp = day + np.timedelta64(int(round(clock)), "s")
    if offset is not None:
        stamp = np.datetime64(_local(pd.Timestamp(stamp).tz_localize(_zone(offset)).to_pydatetime()), "s")
    return stamp if with_time else _midnight(stamp)


def _zone(offset: str) -> dt.timezone:
    """`Z`, `+08:00`, `+0800` or `-05` as a fixed offset."""
    if offset == "Z":
        return dt.UTC
    sign = -1 if offset[0] == "-" else 1
    digits = offset[1:].replace(":", "")
    return dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0)))


def _local(value: dt.datetime) -> dt.datetime:
    """A date-time on the shop's own clock (TIME_ZONE), without its zone; a naive one as it is."""
    return value if value.tzinfo is None else value.astimezone(ZoneInfo(TIME_ZONE)).replace(tzinfo=None)


def _iso_uniques(with_time: bool):
    """Vectorized reading of ISO dates/timestamps among the distinct values."""

    def fast(u: pd.Series):
        todo = np.ones(len(u), dtype=bool)
        out = np.full(len(u), np.datetime64("NaT"), dtype="datetime64[s]")
        iso = u.astype(object).map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
        if iso.any():
            strings = u[iso].astype(str).str.strip()
            matched = strings.str.fullmatch(_ISO_STAMP).to_numpy(dtype=bool)
            if matched.any():
                stamps = _iso_local(strings[matched])
                if not with_time:
                    stamps = stamps.dt.normalize()
                where = np.flatnonzero(iso)[matched]
                good = stamps.notna().to_numpy()
                out[where[good]] = stamps.to_numpy()[good]
                todo[where[good]] = False
        return out, todo

    return fast


def _iso_local(strings: pd.Series) -> pd.Series:
    """ISO dates and timestamps (_ISO_STAMP) as datetime64[s]; those with an offset moved
    onto the shop's own clock (TIME_ZONE)."""
    zoned = strings.str.match(_CLOCK_OFFSET).to_numpy(dtype=bool)
    out = pd.to_datetime(strings.where(~zoned), format="ISO8601", errors="coerce").astype("datetime64[s]")
    if zoned.any():
        moved = pd.to_datetime(strings[zoned].str.replace(r"\s(?=[Z+-][\d:]*$)", "", regex=True),
                               format="ISO8601", errors="coerce", utc=True)
        out[zoned] = moved.dt.tz_convert(TIME_ZONE).dt.tz_localize(None).astype("datetime64[s]")
    return out


def date_order_evidence(values) -> DateOrderEvidence:
    """Scan a column's distinct `aa-bb-yyyy` texts for which order they allow."""
    s = _series(values)
    if _plain_numeric(s) or pd.api.types.is_datetime64_any_dtype(s):
        return DateOrderEvidence()
    evidence = DateOrderEvidence()
    examples: list[str] = []
    arrow = _arrow_strings(s)
    if arrow is not None:
        hits = pc.fill_null(pc.match_substring_regex(arrow, _DAY_MONTH_YEAR), False)
        if not pc.any(hits).as_py():
            return evidence
        strings = pd.Series(pc.unique(pc.filter(arrow, hits)).to_pylist(), dtype=object)
    else:
        uniques = pd.Series(pd.unique(s.dropna()), dtype=object)
        strings = uniques[uniques.map(lambda v: isinstance(v, str))].astype(str)
        strings = strings[strings.str.contains(_DAY_MONTH_YEAR)]
    for value in strings:
        found = _AB_Y.match(clean_text(value))
        if not found:
            continue
        a, b = int(found.group(1)), int(found.group(2))
        if a > 12 and b <= 12:
            evidence.day_first = True
        elif b > 12 and a <= 12:
            evidence.month_first = True
        elif a != b and a <= 12 and len(examples) < 5:
            examples.append(clean_text(value))
    evidence.ambiguous = tuple(examples)
    return evidence


def read_dates(values, *, order: str | None = None, with_time: bool = False) -> Reading:
    """Dates → datetime64[s] at midnight (or with the time of day if `with_time`).

    Reads `2026-10-01`, `2026/10/1`, `2026年10月1日`, `20261001`, Excel serials and date
    cells. `dd-mm-yyyy` vs `mm-dd-yyyy` follows `order` ('dmy'/'mdy'), else the column
    (raising AmbiguousDates when the column cannot tell).
    """
    s = _series(values)
    if pd.api.types.is_datetime64_any_dtype(s):
        out = s.astype("datetime64[s]")
        return Reading(out if with_time else out.dt.normalize(), np.zeros(len(s), bool), np.zeros(len(s), bool))
    arrow = _arrow_strings(s)
    if arrow is not None and (stamps := _arrow_stamps(arrow)) is not None:
        found = pd.Series(stamps, index=s.index)
        empty = np.zeros(len(s), dtype=bool)
        return Reading(found if with_time else found.dt.normalize(), empty, empty)
    if order is None:
        order = date_order_evidence(s).decide()
    return _read_unique(s, lambda v: _read_date(v, order, with_time), "datetime64[s]", _iso_uniques(with_time))


_ARROW_STAMP_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d", "%Y/%m/%d %H:%M:%S")


def _arrow_stamps(arr: pa.ChunkedArray) -> np.ndarray | None:
    """datetime64[s] when every cell is one ISO-like date or timestamp format (or a NULL
    marker), read in Arrow's C++; else None."""
    nullish = pc.is_in(arr, value_set=_NULL_ARROW)
    clean = pc.if_else(nullish, pa.scalar(None, arr.type), arr)
    present = pc.sum(pc.is_valid(clean)).as_py()
    if not present or not pc.all(pc.match_substring_regex(clean, "^[0-9]{4}[-/]")).as_py():
        return None  # Arrow's %Y takes `21-01-13` for the year 21: years of fewer digits are read below
    for fmt in _ARROW_STAMP_FORMATS:
        stamps = pc.strptime(clean, format=fmt, unit="s", error_is_null=True)
        if pc.sum(pc.is_valid(stamps)).as_py() == present:
            return stamps.to_numpy().astype("datetime64[s]")
    return None


def dates(values, *, order: str | None = None, with_time: bool = False) -> pd.Series:
    s = _series(values)
    return read_dates(s, order=order, with_time=with_time).checked("日期", s)


_DATE_TEXT = r"((?<!\d)\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?|(?<!\d)\d{8}(?!\d))"
# A range written with 至/~ wins over two dates a `_`, `-` or space happens to join
# (`客服数据_20260401_2026-04-20至2026-04-26`); a lookahead finds ranges that overlap.
_RANGE_RXS = tuple(re.compile(f"(?={_DATE_TEXT}\\s*(?:{sep})\\s*{_DATE_TEXT})")
                   for sep in ("~|至|到|—|–", "-{1,2}|_|\\s"))
_LABELLED_DATE = re.compile(r"(?:统计|数据)?(?:日期|时间|周期)\s*[:]?\s*" + _DATE_TEXT)


def _one_date(text: str) -> dt.date | None:
    stamp = _read_date(text, None, False)
    if stamp is _BAD or stamp is None:
        return None
    return stamp.astype("datetime64[D]").astype(dt.date)


def _range_in(text: str) -> tuple[dt.date, dt.date] | None:
    for pattern in _RANGE_RXS:
        for found in pattern.finditer(text):
            start, end = _one_date(found.group(1)), _one_date(found.group(2))
            if start and end and start <= end:
                return start, end
    return None


def period_from_name(name: str) -> tuple[dt.date, dt.date] | None:
    """`…2026-04-20至2026-04-26…`, `…_2026-04-20_2026-04-26…`, `…20260420-20260426…`."""
    return _range_in(clean_text(str(name)))


def period_from_sheet_name(name: str) -> tuple[dt.date, dt.date] | None:
    """A sheet named for its period: a range as in a file name, or one day (`2026-10-01`)."""
    body = clean_text(str(name))
    if re.fullmatch(_DATE_TEXT, body) and (day := _one_date(body)):
        return day, day
    return _range_in(body)


def period_from_text(text: object) -> tuple[dt.date, dt.date] | None:
    """A title cell: `统计时间：2026-10-01 ~ 2026-10-31`, `2023-05-01 ~ 2023-05-07`, or a
    single labelled day `统计日期：2026-10-01`."""
    if not isinstance(text, str):
        return None
    body = clean_text(text)
    found = _range_in(body)
    if found:
        return found
    single = _LABELLED_DATE.search(body)
    if single:
        day = _one_date(single.group(1))
        if day:
            return day, day
    return None


def read_date_ranges(values, *, order: str | None = None) -> tuple[pd.Series, pd.Series, Reading]:
    """A date column whose cells may also be ranges (`2026-10-01 ~ 2026-10-07`):
    (first day, last day, the reading with its bad/pending masks)."""
    s = _series(values)
    if order is None:
        order = date_order_evidence(s).decide()
    if pd.api.types.is_datetime64_any_dtype(s) or _plain_numeric(s):
        found = read_dates(s, order=order)
        return found.values, found.values, found

    def read(value):
        if isinstance(value, str):
            span = _range_in(clean_text(value))
            if span:
                return (np.datetime64(span[0], "s"), np.datetime64(span[1], "s"))
        day = _read_date(value, order, False)
        return day if day is _BAD or day is None else (day, day)

    start, end, found = _pairs(s, read, ("datetime64[s]", "datetime64[s]"))
    return pd.Series(start, index=s.index), pd.Series(end, index=s.index), found


def date_ranges(values, *, order: str | None = None) -> tuple[pd.Series, pd.Series]:
    s = _series(values)
    start, end, found = read_date_ranges(s, order=order)
    found.checked("日期", s)
    return start, end


# -- times of day -------------------------------------------------------------------------

_CLOCK_12 = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?\s*(am|pm|上午|下午)?$", re.I)
_CLOCK_CN = re.compile(r"^(上午|下午)\s*(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def _read_clock_text(text: str):
    body = text.strip()
    if _is_null_text(body):
        return None
    found = _CLOCK_CN.match(body)
    if found:
        half, h, m, sec = found.groups()
        body = f"{h}:{m}:{sec or '00'} {half}"
    found = _CLOCK_12.match(body)
    if not found:
        return _BAD
    h, m, sec, half = found.groups()
    hour, minute, second = int(h), int(m), float(sec or 0)
    if half:
        if not 1 <= hour <= 12:
            return _BAD
        hour = hour % 12 + (12 if half.lower() in ("pm", "下午") else 0)
    if hour > 23 or minute > 59 or second >= 60:
        return _BAD
    return hour * 3600 + minute * 60 + second


def _read_clock(value: object):
    if isinstance(value, dt.datetime):
        return value.hour * 3600 + value.minute * 60 + value.second
    if isinstance(value, dt.time):
        return value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
    if isinstance(value, dt.timedelta):
        seconds = value.total_seconds()
        return seconds if 0 <= seconds < 86400 else _BAD
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
        if value != value:
            return None
        return float(value) * 86400 if 0 <= value < 1 else _BAD  # Excel fraction of a day
    if isinstance(value, str):
        return _read_clock_text(clean_text(value))
    return _BAD


def read_moments(values, *, order: str | None = None) -> tuple[pd.Series, pd.Series, Reading]:
    """A session log's time column: (day, seconds after midnight, the reading).

    Cells may be a time of day (day is NaT: it comes from the date column) or a full
    timestamp (`2026-10-01 09:12:58`, Excel date-time cells).
    """
    s = _series(values)
    if pd.api.types.is_datetime64_any_dtype(s):
        stamps = s.astype("datetime64[s]")
        day = stamps.dt.normalize()
        empty = np.zeros(len(s), dtype=bool)
        return day, (stamps - day).dt.total_seconds(), Reading(stamps, empty, empty)
    arrow = _arrow_strings(s)
    if arrow is not None and (stamps := _arrow_stamps(arrow)) is not None:
        stamps = pd.Series(stamps, index=s.index)
        day = stamps.dt.normalize()
        empty = np.zeros(len(s), dtype=bool)
        return day, (stamps - day).dt.total_seconds(), Reading(stamps, empty, empty)
    if order is None:
        order = date_order_evidence(s).decide()

    def read(value):
        if (isinstance(value, dt.datetime) and value.year > 1900) or (
            isinstance(value, str) and (_YMD.match(clean_text(value)) or _AB_Y.match(clean_text(value)))
        ):
            return _read_date(value, order, True)
        clock = _read_clock(value)
        if clock is _BAD or clock is None:
            return clock
        return np.datetime64("1900-01-01", "s") + np.timedelta64(int(round(clock)), "s")

    found = _read_unique(s, read, "datetime64[s]", _iso_uniques(True))
    stamps = found.values
    day = stamps.dt.normalize()
    seconds = (stamps - day).dt.total_seconds()
    day = day.where(day != np.datetime64("1900-01-01", "s"))  # a time of day alone has no day
    return day, seconds, found


def moments(values, *, order: str | None = None) -> tuple[pd.Series, pd.Series]:
    s = _series(values)
    day, seconds, found = read_moments(s, order=order)
    found.checked("时间", s)
    return day, seconds


# -- booleans, ratings, text --------------------------------------------------------------

_TRUE = {"y", "yes", "true", "t", "1", "是", "对", "√", "✓", "✔", "有", "接通", "已接通", "已回复", "回复",
         "已解决", "解决", "成交", "已成交", "下单", "已下单", "付款", "已付款", "转化", "已转化", "询单",
         "answered", "resolved", "converted"}
_FALSE = {"n", "no", "false", "f", "0", "否", "不", "×", "✗", "✘", "x", "没有", "未接通", "未接", "未回复",
          "未解决", "未成交", "未下单", "未付款", "未转化", "非询单", "unanswered", "unresolved", "missed"}


def _read_bool(value: object):
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        if value != value:
            return None
        return bool(value) if value in (0, 1) else _BAD
    if not isinstance(value, str):
        return _BAD
    body = clean_text(value).lower()
    if _is_null_text(body):
        return None
    if body in _TRUE:
        return True
    if body in _FALSE:
        return False
    return _BAD


def read_booleans(values) -> Reading:
    """Yes/no cells → pandas 'boolean' (NA when blank): Y/N, 是/否, 1/0, 已解决/未解决, …"""
    s = _series(values)
    found = _read_unique(s, _read_bool, object)
    cells = found.values.to_numpy()
    missing = pd.isna(cells)
    truth = np.zeros(len(cells), dtype=bool)
    truth[~missing] = cells[~missing].astype(bool)
    found.values = pd.Series(pd.arrays.BooleanArray(truth, missing), index=s.index)
    return found


def booleans(values) -> pd.Series:
    s = _series(values)
    return read_booleans(s).checked("是/否", s)


_RATING_WORDS = {"非常满意": 5.0, "很满意": 5.0, "满意": 4.0, "一般": 3.0, "不满意": 2.0, "不满": 2.0,
                 "非常不满意": 1.0, "很不满意": 1.0, "很不满": 1.0}


def read_ratings(values) -> Reading:
    """Satisfaction ratings: numbers as written, or the 5-level words (非常满意 = 5 … 非常不满意 = 1)."""
    s = _series(values)
    if _plain_numeric(s):
        return _numeric_reading(s)

    def read(value):
        if isinstance(value, str) and clean_text(value) in _RATING_WORDS:
            return _RATING_WORDS[clean_text(value)]
        return _read_number(value)

    return _read_unique(s, read, float, _numeric_uniques)


def text(values) -> pd.Series:
    """Names, ids and labels: trimmed strings, NULL markers → NA. Integral floats lose '.0'.
    Arrow-backed strings stay so (vectorized); anything else becomes Python strings."""
    s = _series(values)
    if pd.api.types.is_string_dtype(s) and not pd.api.types.is_object_dtype(s):
        trimmed = s.str.strip()  # vectorized: a session log's ids are all distinct
        return trimmed.mask(trimmed.isin(NULL_VARIANTS))

    found = _read_unique(s, _text_value, object)
    return pd.Series(found.values.to_numpy(), index=s.index, dtype=object)


def labels(values) -> pd.Series:
    """Low-cardinality text (shops, topics, reasons) as Python strings, read once per
    distinct value; NULL markers → None."""
    s = _series(values)
    return pd.Series(_read_unique(s, _text_value, object).values.to_numpy(), index=s.index, dtype=object)


def _text_value(value) -> str | None:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    body = str(value).strip()
    return None if _is_null_text(clean_text(body)) else body


# -- account names ------------------------------------------------------------------------

_COLON = re.compile(r"[:：]")


def split_accounts(values, *, dash: bool = False, given_shop: str | None = None) -> tuple[pd.Series, pd.Series]:
    """(shop, account) from `店铺:子账号` / `店铺：子账号` (the shop is before the LAST colon)
    or, with `dash`, JD's `店铺-客服`. With a `given_shop` the dash cuts only that shop's
    name off (`我的京东-小王` is 小王 whether or not the shop was given; `kefu-01` stays
    whole), so one agent keeps one account name across imports. Without one the FIRST
    dash cuts: agent names often hold a dash (`京东旗舰店-kefu-01` is kefu-01 of
    京东旗舰店, not 01 of a shop 京东旗舰店-kefu), shop names rarely do. Shop is None where
    the name carries none. Both are object columns of Python strings (cheap to build from
    a few distinct names)."""
    s = _series(values)

    def read(value):
        name = _text_value(value)
        if name is None:
            return None
        cut = max((m.start() for m in _COLON.finditer(name)), default=-1)
        if cut < 0 and dash and not given_shop:
            cut = name.find("-")
        elif cut < 0 and dash:
            cut = name.rfind("-")
            if name[:cut].strip() != given_shop:
                cut = len(given_shop) if name.startswith(f"{given_shop}-") else -1
        shop, account = name[:cut].strip(), name[cut + 1:].strip()
        if cut <= 0 or not shop or not account:
            return (None, name)
        if shop.lower().startswith("cntaobao") and len(shop) > len("cntaobao"):
            shop = shop[len("cntaobao"):]
        return (shop, account)

    shop, account, _ = _pairs(s, read, (object, object))
    return pd.Series(shop, index=s.index, dtype=object), pd.Series(account, index=s.index, dtype=object)
