"""Large CSV files read by DuckDB itself, with the importer's own decisions.

Python parses a two-million-row export at a fraction of DuckDB's own rate and holds
gigabytes doing it. So for a big CSV the importer still finds the header and decides
what each column means, and this module compiles the reading of the cells into one
INSERT … SELECT over DuckDB's `read_csv`: plain numbers, `36.99%` and ISO timestamps
are cast by DuckDB; every other distinct value (`-`, `延迟统计`, `8分48秒`, account
names, dates, 是/否) is read once by csperf.values; the numerators are rebuilt by the
importer's own `rebuild`, run on SQL expressions. Both paths store identical rows.

The distinct values come from the first rows and from windows spread over the file (so
a file sorted by agent still shows every agent); a value not among them stops the
statement, and it runs again with every distinct value of the file. A figure column that
showed nothing but plain numbers and "no value" marks is typed by DuckDB's reader itself
(no text, no cast; the marks read as NULL) unless the file's bytes may hold `1_000` or
`+-5`; a cell that fails it, or a row it would read blank, makes the statement run again
with every cell read as text. A GB18030 file is read in place as latin-1 (a character per
byte; the values read one by one are decoded in Python) unless it holds a byte DuckDB's
latin-1 refuses: then iconv transcodes it while the first rows are sampled. Anything the SQL
would have to guess at (an unreadable cell, a row without an agent or a date, a
repeated header, two rows of one key, ragged rows) also stops it, and the file goes
through the Python path instead, which names or skips such rows.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from csperf import importer, values
from csperf.aliases import AVERAGE, COUNT, RATE, RATIO, TOTAL_TIME
from csperf.db import (
    Database,
    DatabaseError,
    ImportMeta,
    ImportOutcome,
    RowsRefused,
    SqlRows,
)

MIN_BYTES = 8 << 20  # below this the Python path is about as quick
SAMPLE_ROWS = 20_000  # the rows whose odd values are read first (with the spread windows' below)
MAX_DISTINCT = 300_000  # more distinct odd values than this in a column: the Python path
INLINE_VALUES = 64  # up to this many odd values go into the SQL text, more into a table
SPREAD_WINDOWS = 4096  # windows spread over the file whose values join the first rows'
SPREAD_BYTES = 2048  # … of this many bytes each (8 MB in all: every agent of a file sorted by agent)
HEAD_BYTES = 8 << 20  # the first rows are sampled from a copy of at most this much of the file
SCRATCH_PREFIX = "csperf-scratch-"  # those copies and UTF-8 copies, in the temporary folder
SCRATCH_MAX_AGE_S = 24 * 3600
UNEXPECTED = "csperf: unexpected value"  # the error of a value outside what was read
LOOKUP = "in a lookup column"  # … and where
NOT_LATIN1 = "not latin-1 encoded"  # DuckDB's reader refusing a byte 0x80–0x9F as latin-1
RAW_ID = "csperf: a session id that is no ASCII, read as latin-1"  # it would be stored garbled

# what str.strip() removes (as code points): an id with any of it at either end is left to Python
_SPACE = tuple(code for code in range(0x3001) if chr(code).isspace())
RATING = "rating"  # a session's rating: a number or 非常满意 … 非常不满意
_PLAIN = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?%?$"  # what DuckDB casts (and `n%`), as RE2
# DuckDB's reader failing a typed cell: which column, and the cell
_ZONED = re.compile(values.ZONED_STAMP)
_UNCONVERTED = re.compile(r'converting column "c([0-9]+)"\. Could not convert string "(.*)" to \'DOUBLE\'')
# "no value" marks DuckDB's reader may read as NULL in a typed column (not 延迟统计: it flags the row)
_MARKS = values.NULL_VARIANTS - values.PENDING_MARKERS - {""}
# a row whose figures all read NULL where a mark did too: blank or a row of `-`? Only text tells
TYPED_BLANK = "csperf: a row blank once typed"


class _NotLatin1(Exception):
    """A GB18030 file holds a byte DuckDB's latin-1 refuses: it is read from a UTF-8 copy."""


class NotHere(Exception):
    """This file goes through the Python path."""


class Sql:
    """A column as a SQL expression, with the pandas operations `importer.rebuild` uses."""

    def __init__(self, text: str):
        self.text = text

    def fillna(self, other: Sql) -> Sql:
        return Sql(f"coalesce({self.text}, {other.text})")

    def where(self, condition: Sql) -> Sql:
        return Sql(f"(CASE WHEN {condition.text} THEN {self.text} END)")

    def notna(self) -> Sql:
        return Sql(f"({self.text} IS NOT NULL)")

    def astype(self, _dtype) -> Sql:
        return Sql(f"CAST({self.text} AS DOUBLE)")

    def __mul__(self, other: Sql) -> Sql:
        return Sql(f"({self.text} * {other.text})")

    def __sub__(self, other: Sql) -> Sql:
        return Sql(f"({self.text} - {other.text})")

    def __truediv__(self, other: Sql) -> Sql:
        return Sql(f"({self.text} / {other.text})")

    def __gt__(self, number: float) -> Sql:
        return Sql(f"({self.text} > {number!r})")

    def __invert__(self) -> Sql:
        return Sql(f"(NOT {self.text})")

    @staticmethod
    def present_sum(parts: list[Sql]) -> Sql:
        """Σ of the known parts, NULL when none is known (pandas' sum with min_count=1)."""
        known = " OR ".join(f"{p.text} IS NOT NULL" for p in parts)
        total = " + ".join(f"coalesce({p.text}, 0)" for p in parts)
        return Sql(f"(CASE WHEN {known} THEN {total} END)")


def literal(value) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return "NULL"
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    return "'" + str(value).replace("'", "''") + "'"


def _one_of(sql: str, options) -> str:
    """SQL: whether `sql` is one of these values (false at NULL). Not `IN (…)`: DuckDB makes a
    list of more than a few values a join, which runs over every row, even those a CASE
    branch before it has already answered (1.2 s of thread time per 10M rows)."""
    cases = " ".join(f"WHEN {literal(v)} THEN true" for v in options)
    return f"(CASE {sql} {cases} ELSE false END)" if cases else "false"


def _stop(reason: str) -> str:
    return f"error({literal(UNEXPECTED + ': ' + reason)})"


def _refuse(reason: str) -> str:
    """Stops the statement for good: the Python path reads this file."""
    return f"error({literal('csperf: ' + reason)})"


def _checked(found) -> list[str]:
    found = list(found or [])
    if len(found) > MAX_DISTINCT:
        raise NotHere("too many distinct values to read one by one")
    return found


# -- columns --------------------------------------------------------------------------------


@dataclass
class _Odd:
    """A column's odd values (those DuckDB does not read itself) and what they read as."""

    index: int
    outputs: dict[str, str]  # name → SQL type
    table: pd.DataFrame | None = None  # k, i, outputs…

    @property
    def cell(self) -> str:
        return f"r.c{self.index}"

    def keep(self, found: list[str], out: dict[str, pd.Series], bad: np.ndarray) -> None:
        """The values (as the body reads them) and what they read as; an unreadable one is
        marked `bad` (it stops the statement where it stands in a row that is kept)."""
        frame = pd.DataFrame({"k": pd.Series(found, dtype=object), **{k: v.to_numpy() for k, v in out.items()}})
        frame.insert(1, "i", np.arange(len(frame), dtype="int64"))
        frame["bad"] = np.asarray(bad, dtype=bool)
        self.table = frame

    def odd_value(self, output: str, tables: dict[str, pd.DataFrame], joins: list[str]) -> str:
        """SQL: the odd cell's `output`; a value not in the table stops the statement."""
        known = self.table[~self.table["bad"]]
        if known.empty:
            return _stop(self.cell)
        if len(known) <= INLINE_VALUES and len(self.outputs) == 1:
            cases = " ".join(f"WHEN {literal(k)} THEN CAST({literal(v)} AS {self.outputs[output]})"
                             for k, v in zip(known["k"], known[output]))
            return f"(CASE {self.cell} {cases} ELSE {_stop(self.cell)} END)" if cases else _stop(self.cell)
        name = f"o{self.index}"
        if name not in tables:
            tables[name] = known
            joins.append(f"LEFT JOIN {name} ON {self.cell} = {name}.k")
        return (f"(CASE WHEN {name}.k IS NULL OR {name}.bad THEN {_stop(self.cell)} "
                f"ELSE CAST({name}.{output} AS {self.outputs[output]}) END)")


@dataclass
class _Measure(_Odd):
    """A figure column: DuckDB reads plain numbers (and `n%` rates); csperf.values the rest."""

    kind: str = COUNT
    target: str = ""
    unit: str = "s"
    scale: str | None = None
    evidence: values.PercentEvidence | None = None  # of the rows read so far (rate columns)
    pending: list[str] = field(default_factory=list)
    signs_seen: bool = True  # some cell read so far is written `n%` (so far: nothing read)
    plain_seen: bool = True  # some cell read so far is a plain number

    @property
    def percent_signs(self) -> bool:
        return self.kind in (RATE, RATIO)

    def typeable(self, lenient: bool, odd: list[str]) -> bool:
        """May DuckDB's reader type the column itself (DOUBLE, quicker than text and a cast)?
        Only where no cell seen so far is anything but a plain number or a "no value" mark
        (read as NULL by the reader): its reader, like its cast, reads `1_000` and `+-5` (so
        not where the file may hold them). Any other cell later on fails the whole statement,
        which then runs again with every cell read as text."""
        return not lenient and not self.percent_signs and set(odd) <= _MARKS

    def casts(self, typed: bool) -> list[str]:
        """SQL over the body: DuckDB's own reading of the cell (and of it less a final %).
        Read as text unless `typed`: a NULL marker can then be told from an empty cell."""
        c = f"c{self.index}"
        if typed:
            return [f"{c} AS x{self.index}"]
        # a cast whose kind of cell the first rows never showed is left out: such a cell
        # then stops the statement, which runs again knowing the whole file
        plain = f"TRY_CAST({c} AS DOUBLE)" if self.plain_seen or not self.percent_signs else "NULL::DOUBLE"
        out = [f"{plain} AS x{self.index}"]
        if self.percent_signs:
            out.append(f"{'TRY_CAST(left(' + c + ', -1) AS DOUBLE)' if self.signs_seen else 'NULL::DOUBLE'} "
                       f"AS y{self.index}")
        return out

    def numbers(self, lenient: bool) -> list[str]:
        """SQL over the casts: the number where Python reads the cell as the same number.
        DuckDB's cast also reads `inf` and, where the file may hold them (`lenient`),
        `1_000` and `+-5`, which csperf.values refuses."""
        c, i = f"c{self.index}", self.index
        same = f" AND NOT contains({c}, '_') AND NOT contains({c}, '+-')" if lenient else ""
        out = [f"CASE WHEN isfinite(x{i}){same} THEN x{i} END AS n{i}"]
        if self.percent_signs:
            out.append(f"CASE WHEN ends_with({c}, '%') AND isfinite(y{i}){same} THEN y{i} END AS s{i}")
        return out

    def fast(self) -> tuple[str, str]:
        """SQL: (whether DuckDB reads the cell itself, its value then)."""
        plain, signed = f"r.n{self.index}", f"r.s{self.index}"
        if self.kind in (RATE, RATIO):
            bare = f"{plain} / 100.0" if self.kind == RATE and self.scale == "percent" else plain
            return f"({signed} IS NOT NULL OR {plain} IS NOT NULL)", f"coalesce({signed} / 100.0, {bare})"
        if self.kind in (AVERAGE, TOTAL_TIME):
            return f"({plain} IS NOT NULL)", f"({plain} * {literal(values.UNIT_SECONDS[self.unit])})"
        return f"({plain} IS NOT NULL)", plain

    def read(self, cells: pd.Series) -> values.Reading:
        if self.kind == RATE:
            return values.read_percent(cells, scale=self.scale)
        if self.kind == RATIO:
            return values.read_percent(cells, scale="fraction")
        if self.kind in (AVERAGE, TOTAL_TIME):
            return values.read_duration(cells, unit=self.unit)
        if self.kind == RATING:
            return values.read_ratings(cells)
        return values.read_number(cells)

    def learn(self, odd: list[str], text: Callable[[list[str]], list[str]]) -> None:
        found = self.read(pd.Series(text(odd), dtype=object))
        self.keep(odd, {"v": found.values.astype(float)}, found.bad)
        self.pending = [v for v, p in zip(odd, found.pending) if p]

    def value(self, tables: dict[str, pd.DataFrame], joins: list[str]) -> str:
        test, fast = self.fast()
        guard = self._evidence_guard()
        first = f"WHEN {guard} THEN {_stop('rate scale')} " if guard else ""
        return (f"(CASE {first}WHEN {self.cell} IS NULL THEN NULL WHEN {test} THEN {fast} "
                f"ELSE {self.odd_value('v', tables, joins)} END)")

    def _evidence_guard(self) -> str | None:
        """SQL: true for a rate cell that would change what decided the column's scale."""
        e = self.evidence
        if self.kind != RATE or e is None or e.final:
            return None
        plain, signed = f"r.n{self.index}", f"r.s{self.index}"
        tests = [] if e.percent_sign else [f"{signed} IS NOT NULL"]
        if not e.bare:
            tests.append(f"coalesce({plain} <> 0, false)")
        if not e.over_one:
            tests.append(f"coalesce(abs({plain}) > 1, false)")
        if not e.fractional:
            tests.append(f"coalesce(abs({plain}) > 0 AND abs({plain}) < 1, false)")
        return "(" + " OR ".join(tests) + ")" if tests else None


@dataclass
class _Moments(_Odd):
    """A session log's time column: DuckDB reads `2026-10-01 09:12:58`, and once the log shows
    them, stamps with a UTC offset (`…T01:00:00Z`, `+08:00`: on the shop's clock, its
    TimeZone); csperf.values the rest."""

    order: str | None = None
    zoned: bool = False  # the values read so far hold a stamp with an offset

    def learn(self, odd: list[str], text: Callable[[list[str]], list[str]]) -> None:
        day, clock, found = values.read_moments(pd.Series(text(odd), dtype=object), order=self.order)
        self.keep(odd, {"day": day, "clock": clock.astype(float)}, found.bad)
        self.zoned = self.zoned or any(_ZONED.fullmatch(value) for value in odd)

    def cast(self) -> str:
        """SQL over the body: DuckDB's own reading of the cell (the format Arrow reads too)."""
        plain = f"TRY_STRPTIME(c{self.index}, '%Y-%m-%d %H:%M:%S') AS t{self.index}"
        return (f"{plain}, CAST(TRY_CAST(c{self.index} AS TIMESTAMPTZ) AS TIMESTAMP) AS z{self.index}"
                if self.zoned else plain)

    def fast(self) -> str:
        plain = f"(length({self.cell}) = 19 AND r.t{self.index} IS NOT NULL)"
        if not self.zoned:
            return plain
        return (f"({plain} OR (regexp_full_match({self.cell}, {literal(values.ZONED_STAMP)}) "
                f"AND r.z{self.index} IS NOT NULL))")

    def parts(self, tables: dict[str, pd.DataFrame], joins: list[str]) -> tuple[str, str]:
        """SQL: (the day it names, seconds after midnight)."""
        stamp = f"coalesce(r.t{self.index}, r.z{self.index})" if self.zoned else f"r.t{self.index}"
        day = (f"(CASE WHEN {self.cell} IS NULL THEN NULL WHEN {self.fast()} THEN CAST({stamp} AS DATE) "
               f"ELSE {self.odd_value('day', tables, joins)} END)")
        clock = (f"(CASE WHEN {self.cell} IS NULL THEN NULL WHEN {self.fast()} "
                 f"THEN CAST(hour({stamp}) * 3600 + minute({stamp}) * 60 + second({stamp}) AS DOUBLE) "
                 f"ELSE {self.odd_value('clock', tables, joins)} END)")
        return day, clock


@dataclass
class _Lookup(_Odd):
    """A low-cardinality column read value by value: accounts, shops, dates, labels, 是/否."""

    readers: list[Callable[[pd.Series], tuple[dict[str, pd.Series], np.ndarray]]] = field(default_factory=list)
    skip_digits: bool = False  # a label column such as 序号: plain numbers are no label
    keyed: bool = False  # its row numbers make the row key (so it is always joined)

    def candidates(self) -> str:
        """SQL filter of the cells to read one by one."""
        test = f"{self.cell} IS NOT NULL"
        return test + (f" AND NOT regexp_full_match({self.cell}, '[0-9]+')" if self.skip_digits else "")

    def learn(self, distinct: list[str], text: Callable[[list[str]], list[str]]) -> None:
        cells = pd.Series(text(distinct), dtype=object)
        out: dict[str, pd.Series] = {}
        bad = np.zeros(len(cells), dtype=bool)
        for read in self.readers:
            found, unreadable = read(cells)
            out.update(found)
            bad |= unreadable
        self.keep(distinct, out, bad)

    @property
    def name(self) -> str:
        return f"o{self.index}"

    @property
    def inline(self) -> bool:
        """A few values (是/否, topics) are written into the SQL; a join costs more per row."""
        return not self.keyed and len(self.table) <= INLINE_VALUES

    def join(self, tables: dict[str, pd.DataFrame], joins: list[str]) -> None:
        if not self.inline:
            tables[self.name] = self.table
            joins.append(f"LEFT JOIN {self.name} ON {self.cell} = {self.name}.k")

    def ref(self, output: str) -> str:
        """SQL: what the cell reads as (NULL for a value outside the table)."""
        if not self.inline:
            return f"{self.name}.{output}"
        cases = " ".join(f"WHEN {literal(k)} THEN CAST({literal(v)} AS {self.outputs[output]})"
                         for k, v in zip(self.table["k"], self.table[output]))
        return f"(CASE {self.cell} {cases} END)" if cases else "NULL"

    def unknown(self) -> str:
        """SQL: true at a value outside the table."""
        if self.inline:
            unknown = f"{self.cell} IS NOT NULL AND NOT {_one_of(self.cell, self.table['k'])}"
        else:
            unknown = f"{self.name}.k IS NULL AND {self.cell} IS NOT NULL"
        if self.skip_digits:
            unknown += f" AND NOT regexp_full_match({self.cell}, '[0-9]+')"
        return f"({unknown})"

    def bad(self) -> str:
        """SQL: true at a value csperf.values cannot read."""
        if not self.inline:
            return f"coalesce({self.name}.bad, false)"
        return _one_of(self.cell, self.table["k"][self.table["bad"]])


# -- files ----------------------------------------------------------------------------------


def applies(job) -> bool:
    """Big single-table CSVs with an agent column (and, for a session log, an id column)."""
    if job.container != "csv" or len(job.plans) != 1 or job.path.stat().st_size < MIN_BYTES:
        return False
    lay = job.plans[0].layout
    if lay.shape == "sessions":
        return "session_id" in lay.session and "account" in lay.session
    return lay.account is not None


@dataclass
class _Utf8:
    """A UTF-8 copy of a GB18030 file that DuckDB cannot read in place: `path`, ready once
    `wait()` returns, and `head`, a UTF-8 file of its first rows (when `path` is still
    being written), which is all the first sample needs."""

    path: str
    head: str | None = None
    iconv: subprocess.Popen | None = None

    def wait(self) -> None:
        if self.iconv is not None and self.iconv.wait() != 0:
            raise subprocess.CalledProcessError(self.iconv.returncode, self.iconv.args)


@contextmanager
def utf8_copy(job) -> Iterator[_Utf8]:
    """The GB18030 file as UTF-8: transcoded to a temporary copy by iconv (where there is
    one) in the background, while the first rows are sampled from a head (`_head`)
    transcoded here."""
    sheet = job.plans[0].sheet
    with _scratch() as made:
        found = _Utf8(_temporary(made))
        try:
            iconv = shutil.which("iconv")
            if iconv:
                with open(found.path, "wb") as out:
                    found.iconv = subprocess.Popen([iconv, "-f", "GB18030", "-t", "UTF-8", str(job.path)],
                                                   stdout=out)
                found.head = _head(job, made, utf8=True)
                if found.head is None:  # the first rows are the whole file: sample the copy
                    found.wait()
            else:
                with open(job.path, encoding=sheet.encoding, newline="") as src, \
                        open(found.path, "w", encoding="utf-8", newline="") as out:
                    while block := src.read(1 << 22):
                        out.write(block)
            yield found
        finally:
            if found.iconv is not None and found.iconv.poll() is None:
                found.iconv.kill()
                found.iconv.wait()


@contextmanager
def _scratch() -> Iterator[list[str]]:
    """The temporary files made meanwhile (`_temporary`), removed afterwards. Those an
    import killed midway left behind (up to a whole UTF-8 copy of a big file) go once
    they are a day old: no import runs that long."""
    cutoff = time.time() - SCRATCH_MAX_AGE_S
    for old in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*.csv"):
        with suppress(OSError):
            if old.stat().st_mtime < cutoff:
                old.unlink()
    made: list[str] = []
    try:
        yield made
    finally:
        for path in made:
            os.remove(path)


def _temporary(made: list[str]) -> str:
    handle, path = tempfile.mkstemp(suffix=".csv", prefix=SCRATCH_PREFIX)
    os.close(handle)
    made.append(path)
    return path


def _head(job, made: list[str], utf8: bool) -> str | None:
    """A temporary file of the file's first rows (its header and SAMPLE_ROWS lines, at most
    HEAD_BYTES, up to a line end outside quotes), as they are or transcoded to UTF-8: all
    the first sample needs. DuckDB reads megabytes ahead of a LIMIT, which costs most
    where it decodes latin-1. None when those lines are the whole file."""
    with open(job.path, "rb") as src:
        head = src.read(HEAD_BYTES)
        rest = src.read(1)
    end = 0
    for _ in range(job.plans[0].start + 1 + SAMPLE_ROWS):
        end = head.find(b"\n", end) + 1
        if not end:
            if not rest:
                return None
            end = len(head)
            break
    else:
        if not rest and end == len(head):
            return None
    head = _whole_rows(head[:end])
    path = _temporary(made)
    with open(path, "wb") as out:
        out.write(head.decode(job.plans[0].sheet.encoding).encode() if utf8 else head)
    return path


def _whole_rows(head: bytes) -> bytes:
    """`head` up to its last line end outside quotes (an even count of `"` before it; the
    bytes of `"` and of a line end are never part of a GB18030 character)."""
    end = head.rfind(b"\n") + 1
    quotes = head.count(b'"', 0, end)
    while end and quotes % 2:
        start = head.rfind(b"\n", 0, end - 1) + 1
        quotes -= head.count(b'"', start, end)
        end = start
    return head[:end]


@dataclass
class _Body:
    """The rows below the header: `read_csv` of them (`source`, every cell VARCHAR as c0,
    c1, …; `first_rows`, the same over a copy of the file's head where there is one), the columns
    past the header (`extra`), and where they start in the file as it is (`path`).
    A GB18030 file read in place (`latin1`) gives every byte as a character (its cells'
    "raw" form): the structure is the same (no byte of a GB18030 character is a separator,
    quote or line end), and the few values read one by one are decoded here (`text`)."""

    path: str
    encoding: str
    source: str
    first_rows: str
    extra: list[int]
    offset: int
    width: int
    sep: str
    latin1: bool = False

    def text(self, found: list[str]) -> list[str]:
        """What values read from `source` say."""
        return [v.encode("latin-1").decode(self.encoding) for v in found] if self.latin1 else found

    def typed(self, columns: frozenset[int], marks: list[str], verbatim: list[int]) -> str:
        """`source` with these columns read as DOUBLE by DuckDB's reader, which reads the
        `marks` there as NULL. The `verbatim` columns (those that are no figure) keep every
        cell as written; a figure column read as text may lose its marks (NULL either way)."""
        source = self.source
        for c in columns:
            source = source.replace(f"'c{c}': 'VARCHAR'", f"'c{c}': 'DOUBLE'")
        if not (columns and marks):
            return source
        nulls = ", ".join(literal(v) for v in ["", *marks])
        kept = ", ".join(f"'c{c}'" for c in verbatim)
        source = f"{source[:-1]}, nullstr = [{nulls}]{f', force_not_null = [{kept}]' if kept else ''})"
        if not verbatim:
            return source
        empties = ", ".join(f"nullif(c{c}, '') AS c{c}" for c in verbatim)
        return f"(SELECT * REPLACE ({empties}) FROM {source})"

    def spread_values(self, columns: list[int]) -> dict[int, pa.Array]:
        """The distinct values of these columns in windows spread evenly over the body: a
        sample that meets every agent of a file sorted by agent (or every day of one sorted
        by day), and the file's last rows (where a summary stands). A window with a quote
        is skipped (it might start inside a quoted line break), so a line is its cells
        joined by the separator, read here by Arrow's CSV reader."""
        size = os.path.getsize(self.path)
        starts = [self.offset + k * (size - self.offset) // SPREAD_WINDOWS for k in range(SPREAD_WINDOWS)]
        lines = []
        with open(self.path, "rb") as fh:
            for start in [*starts, max(self.offset, size - SPREAD_BYTES)]:
                fh.seek(start)
                window = fh.read(SPREAD_BYTES)
                if fh.tell() == size and not window.endswith(b"\n"):
                    window += b"\n"
                first, end = window.find(b"\n") + 1, window.rfind(b"\n")
                if 0 < first < end and b'"' not in window:
                    lines.append(window[first:end + 1])
        names = [f"c{i}" for i in range(self.width)]
        try:
            text = b"".join(lines)
            if not self.encoding.startswith("utf-8"):  # the form `source` gives
                text = text.decode("latin-1" if self.latin1 else self.encoding).encode()
            table = pa_csv.read_csv(
                io.BytesIO(text),
                read_options=pa_csv.ReadOptions(column_names=names),
                parse_options=pa_csv.ParseOptions(delimiter=self.sep, quote_char=False,
                                                  invalid_row_handler=lambda row: "skip"),
                convert_options=pa_csv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.string()), include_columns=[names[c] for c in columns],
                    strings_can_be_null=False, null_values=[]))
        except (pa.ArrowInvalid, UnicodeDecodeError):
            return {c: pa.array([], pa.string()) for c in columns}
        return {c: pc.filter(found, pc.not_equal(found, "")) for c in columns
                for found in [pc.unique(table[names[c]].combine_chunks())]}


def _body_source(job, plan, utf8: _Utf8 | None = None, sample: str | None = None) -> _Body:
    """The body below the header, for DuckDB's `read_csv` and for a spread sample: read
    from the file itself (a GB18030 one as latin-1; its first rows from the head file
    `sample` where there is one) or from its UTF-8 copy `utf8`."""
    sheet = plan.sheet
    latin1 = utf8 is None and not sheet.encoding.startswith("utf-8")
    with open(job.path, encoding=sheet.encoding, newline="") as fh:
        head = [line for _, line in zip(range(plan.start + 1), fh)]
    with open(job.path, "rb") as fh:
        offset = sum(len(fh.readline()) for _ in range(plan.start + 1))
    # DuckDB skips lines where the importer counted records: they agree only when no
    # header record spans lines
    records = [next(csv.reader(io.StringIO(line), delimiter=sheet.sep), []) for line in head[:plan.start]]
    if len(head) <= plan.start or records != [list(r) for r in sheet.head[:plan.start]]:
        raise NotHere("a header record spans lines")
    first = next(csv.reader(io.StringIO(head[plan.start]), delimiter=sheet.sep), [])
    width = len(plan.layout.labels)
    if len(first) < width:
        raise NotHere("the first row is narrower than the header")
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(first)))
    encoding = ", encoding = 'latin-1'" if latin1 else ""

    def source(path: str) -> str:
        return (f"read_csv({literal(path)}, header = false, skip = {plan.start}, delim = {literal(sheet.sep)}, "
                f"quote = '\"', escape = '\"', columns = {{{columns}}}, strict_mode = true, null_padding = false"
                f"{encoding})")

    path, sample = (utf8.path, utf8.head) if utf8 else (str(job.path), sample)
    return _Body(str(job.path), sheet.encoding, source(path), source(sample or path),
                 list(range(width, len(first))), offset, len(first), sheet.sep, latin1)


class _Statement:
    """The SELECT for one file: lookups joined to the body, figures read cell by cell."""

    def __init__(self, job, plan, body: _Body):
        self.job, self.plan, self.file = job, plan, body
        self.source, self.extra = body.source, body.extra
        self.lookups: dict[int, _Lookup] = {}
        self.measures: list[_Measure] = []
        self.moments: _Moments | None = None
        self.listed: dict[int, list[str]] = {}
        self.whole = False  # the odd values are those of the whole file, not of its first rows
        self.lookups_whole = False  # likewise the values of the lookup columns
        self.odd: dict[int, list[str]] = {}
        self.scale_notes: list[str] = []  # what deciding the rate columns' scales has to say
        self.lenient = True  # a cell may be `1_000` or `+-5` (until the whole file is known)
        self.typing = True  # let DuckDB's reader type the plain-number columns (until a cell fails it)

    def lookup(self, index: int, outputs: dict[str, str], read, skip_digits: bool = False) -> _Lookup:
        found = self.lookups.setdefault(index, _Lookup(index, {}, skip_digits=skip_digits))
        found.readers.append(read)
        found.outputs.update(outputs)
        found.skip_digits = found.skip_digits and skip_digits
        return found

    def labels(self, columns: list[int], identity: set[int]) -> None:
        """Summary labels (合计, 均值) drop their row; a repeated header is for the Python path."""
        for c in columns:
            texts = self.plan.layout.alternatives[c]

            def flags(cells: pd.Series, c=c, texts=texts):
                header, summary = importer.label_flags(cells, texts)
                if header.any():
                    raise NotHere("a repeated header row")
                return {f"summary{c}": pd.Series(summary)}, np.zeros(len(cells), dtype=bool)

            self.lookup(c, {f"summary{c}": "BOOLEAN"}, flags, skip_digits=c not in identity)

    @staticmethod
    def _distinct(cur, source: str, cells: dict[int, str]) -> dict[int, list[str]]:
        """The distinct non-NULL values of each expression over `source`, in one pass (one
        hash table over all of them: DuckDB runs a DISTINCT aggregate apiece far slower)."""
        if not cells:
            return {}
        columns = ", ".join(f'{sql} AS "{key}"' for key, sql in cells.items())
        found = cur.execute(f"SELECT k, list(v) FROM (SELECT DISTINCT k, v FROM (UNPIVOT (SELECT {columns} "
                            f"FROM {source}) ON COLUMNS(*) INTO NAME k VALUE v)) GROUP BY k").fetchall()
        listed = {key: [] for key in cells}
        for key, values_ in found:
            listed[int(key)] = _checked(values_)
        return listed

    def read_lookups(self, db) -> None:
        """Every distinct value of the low-cardinality columns (agents, dates, labels), in one pass."""
        with db.cursor() as cur:
            self.listed = self._distinct(cur, f"{self.source} r", {
                c: f"CASE WHEN {look.candidates()} THEN {look.cell} END" for c, look in self.lookups.items()})
        self.lookups_whole = True
        self._learn()

    def read_odd(self, db, whole: bool) -> None:
        """Every column's odd values (and what the rate columns show of their scale), over
        the first rows or the whole file; then every column-wide decision and reading."""
        signed = [col for col in self.measures if col.percent_signs]
        for col in signed:
            col.signs_seen = col.plain_seen = True  # read every kind of cell this time
        odd_columns: list[_Odd] = [*self.measures, *([self.moments] if self.moments else [])]
        cells = {c: f"CASE WHEN {look.candidates()} THEN {look.cell} END" for c, look in self.lookups.items()}
        for k, col in enumerate(odd_columns):
            test = col.fast()[0] if isinstance(col, _Measure) else col.fast()
            cells[-1 - k] = f"CASE WHEN {col.cell} IS NOT NULL AND NOT {test} THEN {col.cell} END"
        parts = ["count(*)"]
        parts += [f"coalesce(bool_or(r.s{col.index} IS NOT NULL), false)" for col in signed]
        parts += [f"coalesce(bool_or(r.n{col.index} IS NOT NULL), false)" for col in signed]
        rates = [col for col in self.measures if col.kind == RATE]
        for col in rates:
            plain = f"r.n{col.index}"
            parts += [f"coalesce(bool_or({plain} <> 0), false)", f"coalesce(bool_or(abs({plain}) > 1), false)",
                      f"coalesce(bool_or(abs({plain}) > 0 AND abs({plain}) < 1), false)"]
        with db.cursor() as cur:
            rows = self.source
            if not whole:  # read once for both passes (DuckDB reads far ahead of a LIMIT each time)
                cur.execute(f"CREATE TEMP TABLE first_rows AS SELECT * FROM {self.file.first_rows} "
                            f"LIMIT {SAMPLE_ROWS}")
                rows = "first_rows"
            source = self.body(rows)
            listed = self._distinct(cur, source, cells)
            row = iter(cur.execute(f"SELECT {', '.join(parts)} FROM {source}").fetchall()[0])
        counted = int(next(row))
        self.whole = whole or (counted < SAMPLE_ROWS and self.file.first_rows == self.source)
        self.lookups_whole = self.lookups_whole or self.whole
        self.listed = {c: listed[c] for c in self.lookups}
        self.odd = {id(col): listed[-1 - k] for k, col in enumerate(odd_columns)}
        for col in signed:
            col.signs_seen = bool(next(row))
        for col in signed:
            col.plain_seen = bool(next(row))
        for col in rates:
            flags = [col.signs_seen] + [bool(next(row)) for _ in range(3)]
            col.evidence = values.PercentEvidence(*flags) | values.percent_evidence(
                pd.Series(self.file.text(self.odd[id(col)]), dtype=object))
        if not self.whole:
            self._spread()
        self._learn()

    def _spread(self) -> None:
        """Add the values of a spread sample (see `_Body.spread_values`) to those of the first
        rows: the lookups' unless they would change the day/month order those decided, each
        figure column's cells that are no plain number, and what the rate columns' cells show
        of their scale (cells of the file, so no decision moves away from the whole file's).
        A value that never comes up again costs nothing."""
        columns = [*self.lookups, *(m.index for m in self.measures)]
        if not columns:
            return
        cells = self.file.spread_values(columns)
        found = {c: set(cells[c].to_pylist()) for c in self.lookups}
        for c, look in self.lookups.items():
            if look.skip_digits:
                found[c] = {v for v in found[c] if not (v.isascii() and v.isdigit())}
        for m in self.measures:
            if m.kind == RATE:
                m.evidence = m.evidence | values.percent_evidence(
                    pd.Series(self.file.text(cells[m.index].to_pylist()), dtype=object))
            seen = self.odd[id(m)]
            odd = pc.filter(cells[m.index], pc.invert(pc.match_substring_regex(cells[m.index], _PLAIN))).to_pylist()
            self.odd[id(m)] = _checked(seen + sorted(set(odd).difference(seen)))
        merged = {c: self.listed[c] + sorted(found[c].difference(self.listed[c])) for c in self.lookups}
        try:
            if self._order(merged) != self._order(self.listed):
                return
        except values.AmbiguousDates:
            return
        self.listed = {c: _checked(v) for c, v in merged.items()}

    def _order(self, listed: dict[int, list[str]]) -> str:
        """The day/month order the importer decides from these values (and the odd times)."""
        if self.plan.layout.date_order:
            return self.plan.layout.date_order
        seen = [listed[c] for c in self.date_columns() if c in listed]
        if self.moments:
            seen.append(self.odd[id(self.moments)])
        combined = values.DateOrderEvidence()
        for found in seen:
            combined = combined | values.date_order_evidence(pd.Series(self.file.text(found), dtype=object))
        return combined.decide() or values.YEAR_FIRST

    def _learn(self) -> None:
        self._decide([col for col in self.measures if col.kind == RATE], self.listed)
        for c, look in self.lookups.items():
            look.learn(self.listed[c], self.file.text)
        for col in [*self.measures, *([self.moments] if self.moments else [])]:
            col.learn(self.odd[id(col)], self.file.text)

    def typed(self) -> frozenset[int]:
        """The figure columns DuckDB's reader types itself in this attempt."""
        if not self.typing:
            return frozenset()
        return frozenset(m.index for m in self.measures if m.typeable(self.lenient, self.odd[id(m)]))

    def marks(self) -> list[str]:
        """The "no value" marks DuckDB's reader reads as NULL in this attempt's typed columns."""
        typed = self.typed()
        return sorted({v for m in self.measures if m.index in typed for v in self.odd[id(m)]})

    def untyped(self, message: str) -> bool:
        """After DuckDB's reader failed a typed cell (or a row read blank where a mark was
        read as NULL): read every cell as text from now on, knowing that value. False when
        the refusal was something else."""
        found = _UNCONVERTED.search(message)
        if not self.typing or not (found or TYPED_BLANK in message):
            return False
        self.typing = False
        if not found:
            return True
        column = next((m for m in self.measures if m.index == int(found.group(1))), None)
        if column is not None:
            self.odd[id(column)] = [*self.odd[id(column)], found.group(2)]
            column.learn(self.odd[id(column)], self.file.text)
        return True

    def typed_body(self) -> str:
        typed, figures = self.typed(), {m.index for m in self.measures}
        verbatim = [c for c in range(self.file.width) if c not in figures]
        return self.body(self.file.typed(typed, self.marks(), verbatim), typed)

    def body(self, source: str, typed: frozenset[int] = frozenset()) -> str:
        """FROM: the cells as c0, c1, … with DuckDB's own reading of the figures as n…, s…
        (each cast once: DuckDB would repeat one written several times in an expression);
        the `typed` columns are DOUBLE already."""
        casts = ([sql for m in self.measures for sql in m.casts(m.index in typed)]
                 + ([self.moments.cast()] if self.moments else []))
        numbers = [sql for m in self.measures for sql in m.numbers(self.lenient)]
        if casts:
            source = f"(SELECT *, {', '.join(casts)} FROM {source})"
        return f"(SELECT *, {', '.join(numbers)} FROM {source}) r" if numbers else f"{source} r"

    def _decide(self, rates: list[_Measure], listed: dict[int, list[str]]) -> None:
        """The importer's column-wide decisions (percent scale, day/month order)."""
        self.scale_notes = []
        self.plan.scales = importer.decide_scales(self.plan, {col.index: col.evidence for col in rates},
                                                  self.scale_notes)
        for col in rates:
            col.scale = self.plan.scales[col.index]
        try:
            self.plan.order = self._order(listed)
        except values.AmbiguousDates:
            raise NotHere("day/month order undecided") from None
        if self.moments:
            self.moments.order = self.plan.order

    def date_columns(self) -> list[int]:
        raise NotImplementedError

    def frame(self, tables: dict[str, pd.DataFrame], joins: list[str]) -> str:
        """The WHERE of the body joined to its lookups: no summary and no blank rows."""
        for look in self.lookups.values():
            look.join(tables, joins)
        unknown = " OR ".join(look.unknown() for look in self.lookups.values()) or "false"
        summary = " OR ".join(f"coalesce({look.ref(f'summary{c}')}, false)" for c, look in self.lookups.items()
                              if f"summary{c}" in look.outputs) or "false"
        blank = " AND ".join(f"r.c{c} IS NULL" for c in self.blank_columns())
        dropped = f"error({literal(TYPED_BLANK)})" if self.marks() else "false"
        bad = " OR ".join([look.bad() for look in self.lookups.values()]
                          + [f"r.c{c} IS NOT NULL" for c in self.extra]) or "false"
        # one CASE, so that its order holds: a summary row may carry what cannot be read
        return (f"(CASE WHEN {unknown} THEN {_stop(LOOKUP)} WHEN {summary} THEN false "
                f"WHEN {blank} THEN {dropped} WHEN {bad} THEN {_refuse('a cell Python must name')} ELSE true END)")

    def blank_columns(self) -> list[int]:
        raise NotImplementedError

    def shop(self, account: _Lookup, shop_index: int | None) -> str:
        given = [literal(self.job.shop)] if self.job.shop else []
        column = self.lookups[shop_index].ref("shop") if shop_index is not None else "NULL"
        return (f"coalesce({column}, {account.ref('prefix')}, "
                f"{', '.join(given + [literal(importer.DEFAULT_SHOP)])})")

    def accounts(self, index: int, dash: bool) -> _Lookup:
        def read(cells: pd.Series):
            prefix, account = values.split_accounts(cells, dash=dash, given_shop=self.job.shop)
            return {"prefix": prefix, "account": account}, np.zeros(len(cells), dtype=bool)

        return self.lookup(index, {"prefix": "VARCHAR", "account": "VARCHAR"}, read)

    def shops(self, index: int) -> None:
        self.lookup(index, {"shop": "VARCHAR"},
                    lambda cells: ({"shop": values.labels(cells)}, np.zeros(len(cells), dtype=bool)))


class Facts(_Statement):
    """An agent-day (or agent-period) export."""

    def __init__(self, job, plan, body: _Body):
        super().__init__(job, plan, body)
        lay = plan.layout
        self.account = self.accounts(lay.account, lay.account_dash)  # as importer reads it
        if lay.shop is not None:
            self.shops(lay.shop)
        if lay.date is not None:
            self.lookup(lay.date, {"date_from": "DATE", "date_to": "DATE"}, self._dates)
        identity = {c for c in (lay.account, lay.shop, lay.date) if c is not None}
        for c in identity:
            self.lookups[c].keyed = True
        self.labels(lay.label_columns, identity)
        for c, col in lay.measures:
            unit = col.unit if col.unit in values.UNIT_SECONDS else "s"
            self.measures.append(_Measure(c, {"v": "DOUBLE"}, kind=col.kind, target=col.target, unit=unit))

    def _dates(self, cells: pd.Series):
        start, end, found = values.read_date_ranges(cells, order=self.plan.order)
        return {"date_from": start, "date_to": end}, found.bad

    def date_columns(self) -> list[int]:
        return [self.plan.layout.date] if self.plan.layout.date is not None else []

    def blank_columns(self) -> list[int]:
        return [m.index for m in self.measures]

    def rows(self) -> SqlRows:
        job, plan, lay = self.job, self.plan, self.plan.layout
        tables: dict[str, pd.DataFrame] = {}
        joins: list[str] = []
        where = self.frame(tables, joins)
        if lay.date is not None:
            start, end = f"CAST(o{lay.date}.date_from AS DATE)", f"CAST(o{lay.date}.date_to AS DATE)"
        else:
            first, last = job.fallback_period(plan)
            start, end = f"DATE '{first.isoformat()}'", f"DATE '{last.isoformat()}'"
        parts: dict[str, dict[str, Sql]] = {COUNT: {}, RATE: {}, AVERAGE: {}, RATIO: {}}
        for m in self.measures:
            bucket = parts[COUNT if m.kind == TOTAL_TIME else m.kind]
            cell = Sql(f"p{m.index}")
            bucket[m.target] = bucket[m.target].fillna(cell) if m.target in bucket else cell
        measures, missing = importer.rebuild(parts[COUNT], parts[RATE], parts[AVERAGE], parts[RATIO],
                                             daily=Sql("(date_from = date_to)"))
        for key in missing:
            note = importer.missing_base_note(key, lay)
            if note not in job.notes:
                job.notes.append(note)
        pending = [_one_of(m.cell, m.pending) for m in self.measures if m.pending]
        cells = ", ".join(f"{m.value(tables, joins)} AS p{m.index}" for m in self.measures)
        key = f"{self.account.name}.i"
        span = len(self.account.table)
        if lay.date is not None:
            key = f"{key} * {len(self.lookups[lay.date].table)} + o{lay.date}.i"
            span *= len(self.lookups[lay.date].table)
        if lay.shop is not None:
            key = f"o{lay.shop}.i * {span} + {key}"
        select = f"""
            SELECT row_key, shop, account, date_from, date_to, provisional
                   {"".join(f", {v.text} AS {k}" for k, v in measures.items())}
            FROM (
                SELECT {key} AS row_key, {self.shop(self.account, lay.shop)} AS shop,
                       {self.account.ref("account")} AS account, {start} AS date_from, {end} AS date_to,
                       {" OR ".join(pending) or "false"} AS provisional, {cells}
                FROM {self.typed_body()} {" ".join(joins)} WHERE {where}
            )"""
        accounts = self.account.table.dropna(subset=["account"])
        pairs = pd.DataFrame({"shop": accounts["prefix"].fillna(job.shop or importer.DEFAULT_SHOP),
                              "account": accounts["account"]})
        unique = lay.shop is None and not pairs.duplicated().any()
        if lay.date is not None:
            dates = self.lookups[lay.date].table.dropna(subset=["date_from"])
            unique = unique and not dates[["date_from", "date_to"]].duplicated().any()
        return SqlRows(select, list(measures), tables, unique_keys=unique)


class Sessions(_Statement):
    """A session log: one row per conversation."""

    _BOOLEANS = ("answered", "resolved", "converted", "inquiry")

    def __init__(self, job, plan, body: _Body):
        super().__init__(job, plan, body)
        f = plan.layout.session
        self.account = self.accounts(f["account"][0], False)
        if "shop" in f:
            self.shops(f["shop"][0])
        if "day" in f:
            self.lookup(f["day"][0], {"day": "DATE"}, self._days)
        if "time" in f:
            self.moments = _Moments(f["time"][0], {"day": "DATE", "clock": "DOUBLE"})
        for name in self._BOOLEANS:
            if name in f:
                self.lookup(f[name][0], {name: "BOOLEAN"}, self._booleans(name))
        for name in ("topic", "loss_reason"):
            if name in f:
                self.lookup(f[name][0], {name: "VARCHAR"},
                            lambda cells, name=name: ({name: values.labels(cells)}, np.zeros(len(cells), dtype=bool)))
        self.labels(plan.layout.label_columns, set(plan.layout.label_columns))
        for name, kind in (("rating", RATING), ("amount", COUNT), ("wait_s", AVERAGE), ("duration_s", AVERAGE)):
            if name in f:
                c, unit = f[name]
                unit = unit if unit in values.UNIT_SECONDS else "s"
                self.measures.append(_Measure(c, {"v": "DOUBLE"}, kind=kind, target=name, unit=unit))

    def _days(self, cells: pd.Series):
        found = values.read_dates(cells, order=self.plan.order)
        return {"day": found.values}, found.bad

    @staticmethod
    def _booleans(name: str):
        def read(cells: pd.Series):
            found = values.read_booleans(cells)
            return {name: found.values.astype(object).where(found.values.notna(), None)}, found.bad
        return read

    def date_columns(self) -> list[int]:
        f = self.plan.layout.session
        return [f["day"][0]] if "day" in f else []

    def blank_columns(self) -> list[int]:
        return sorted({c for c, _ in self.plan.layout.session.values()})

    def rows(self) -> SqlRows:
        job, plan = self.job, self.plan
        f = plan.layout.session
        tables: dict[str, pd.DataFrame] = {}
        joins: list[str] = []
        where = self.frame(tables, joins)
        day, clock = (self.moments.parts(tables, joins) if self.moments else (None, None))
        if "day" in f:
            given = f"CAST({self.lookups[f['day'][0]].ref('day')} AS DATE)"
            day = f"coalesce({given}, {day})" if day else given
        elif day is None:
            first, last = job.fallback_period(plan)
            if first != last:
                raise NotHere("a session log without dates")
            day = f"DATE '{first.isoformat()}'"
        started = "CAST(day AS TIMESTAMP) + to_seconds(clock)" if clock else "CAST(day AS TIMESTAMP)"
        sid = f"r.c{f['session_id'][0]}"
        # the usual id (longer than any NULL marker, printable ASCII at both ends) first:
        # the full test costs more per row. An id is stored as the body reads it: from a
        # file read as latin-1 only an ASCII one (the file is read from a UTF-8 copy else)
        usual = (f"length({sid}) > {max(map(len, values.NULL_VARIANTS))} AND ord({sid}) BETWEEN 33 AND 126 "
                 f"AND ord(right({sid}, 1)) BETWEEN 33 AND 126")
        raw = ""
        if self.file.latin1:
            usual += f" AND strlen({sid}) = length({sid})"
            raw = f"WHEN strlen({sid}) <> length({sid}) THEN error({literal(RAW_ID)}) "
        session_id = (f"(CASE WHEN {usual} THEN {sid} {raw}WHEN {sid} IS NULL "
                      f"OR {_one_of(sid, sorted(values.NULL_VARIANTS))} OR {_one_of(f'ord(left({sid}, 1))', _SPACE)} "
                      f"OR {_one_of(f'ord(right({sid}, 1))', _SPACE)} "
                      f"THEN {_refuse('a session id to read in Python')} ELSE {sid} END)")
        out = {name: self.lookups[f[name][0]].ref(name) for name in (*self._BOOLEANS, "topic", "loss_reason")
               if name in f}
        out.update({m.target: m.value(tables, joins) for m in self.measures})
        select = f"""
            SELECT shop, account, session_id, day, {started} AS started_at
                   {"".join(f", {name}" for name in out)}
            FROM (
                SELECT {self.shop(self.account, f["shop"][0] if "shop" in f else None)} AS shop,
                       {self.account.ref("account")} AS account, {session_id} AS session_id,
                       {day} AS day, {clock or "NULL"} AS clock
                       {"".join(f", {sql} AS {name}" for name, sql in out.items())}
                FROM {self.typed_body()} {" ".join(joins)} WHERE {where}
            )
            WHERE (CASE WHEN account IS NULL OR day IS NULL THEN {_refuse('a row without agent or day')}
                   ELSE true END)"""
        return SqlRows(select, ["started_at", *out], tables, unique_keys=False)


def statement(job, body: _Body) -> _Statement:
    plan = job.plans[0]
    return (Sessions if plan.layout.shape == "sessions" else Facts)(job, plan, body)


def store(db: Database, job, meta: ImportMeta) -> ImportOutcome | None:
    """Import the job's file through DuckDB; None when the Python path must read it."""
    plan = job.plans[0]
    facts = plan.layout.shape == "facts"

    def stored(stats: dict) -> None:
        if not stats["rows"]:
            raise RowsRefused("no rows")  # the Python path says why
        job.done = stats["rows"]
        if facts:
            job.fact_rows, job.provisional_rows = stats["rows"], stats["provisional"]
        else:
            job.session_rows = stats["rows"]
        job.first, job.last = stats["first"], stats["last"]
        job.shops.update(stats["shops"])
        job.note_ignored_shop()
        job.shop_defaulted = importer.DEFAULT_SHOP in job.shops and not job.shop
        meta.shop = job.shop_label
        meta.period_from, meta.period_to = job.first, job.last
        meta.notes = "\n".join(job.notes) or None
        job.report(f"{job.name}: 已写入 {stats['rows']:,} 行")

    notes = list(job.notes)

    def attempt(body: _Body, ready: Callable[[], None]) -> ImportOutcome:
        built = statement(job, body)
        job.report(f"{job.name}: 读取前 {SAMPLE_ROWS:,} 行的取值")
        built.read_odd(db, whole=False)
        ready()
        if job.hash_ready():
            meta.sha256 = job.hashed()
        else:
            meta.later_sha256 = job.hashed
        built.lenient = job.lenient_numbers()
        while True:
            job.notes[:] = notes + [n for n in built.scale_notes if n not in notes]
            rows = built.rows()
            rows.stored = stored
            job.report(f"{job.name}: 写入数据库")
            try:
                return db.apply_import(meta, rows if facts else None, None if facts else rows)
            except RowsRefused as exc:
                message = str(exc)
                if NOT_LATIN1 in message or RAW_ID in message:
                    raise _NotLatin1 from None
                if built.untyped(message):
                    job.report(f"{job.name}: 按文本重新读取")
                    continue
                if built.whole or UNEXPECTED not in message:
                    raise NotHere(message.splitlines()[0]) from None
            if LOOKUP in message and not built.lookups_whole:
                job.report(f"{job.name}: 读取客服、日期等列的全部取值")
                built.read_lookups(db)
            else:
                job.report(f"{job.name}: 读取全部数据的取值")
                built.read_odd(db, whole=True)

    def latin1_ready() -> None:
        if not job.latin1_readable():
            raise _NotLatin1

    try:
        if plan.sheet.encoding.startswith("utf-8"):
            with _scratch() as made:
                return attempt(_body_source(job, plan, sample=_head(job, made, utf8=False)), lambda: None)
        try:
            with _scratch() as made:
                return attempt(_body_source(job, plan, sample=_head(job, made, utf8=False)), latin1_ready)
        except _NotLatin1:
            pass
        except DatabaseError as exc:
            if NOT_LATIN1 not in str(exc):
                raise
        job.notes[:] = notes
        with utf8_copy(job) as utf8:
            return attempt(_body_source(job, plan, utf8), utf8.wait)
    except (NotHere, DatabaseError, subprocess.CalledProcessError, UnicodeError):
        job.notes[:] = notes
    return None
