"""The one owner of the DuckDB file.

Only one process may open a DuckDB file read-write, and DuckDB 2.0 refuses one
connection across threads, so this module keeps one connection per process and hands
out a fresh cursor per call. It owns the schema and its migrations, and the single
serialized write path: every import, undo or edit is one transaction under one lock,
so a file that fails leaves the database exactly as it was.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import pandas as pd

from csperf.metrics import FALLBACKS, MEASURE_NAMES, RATIO_PARTNERS, label

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = PROJECT_ROOT / "data" / "csperf.duckdb"
TIME_ZONE = "Asia/Shanghai"
SHOP_LEVEL_ACCOUNT = "店铺整体"  # the account of shop-level files (生意参谋) that have no agent column

FACT_KEY = ["shop", "account", "date_from", "date_to"]
SESSION_COLUMNS = {
    "shop": "VARCHAR",
    "account": "VARCHAR",
    "session_id": "VARCHAR",
    "day": "DATE",
    "started_at": "TIMESTAMP",
    "answered": "BOOLEAN",
    "resolved": "BOOLEAN",
    "converted": "BOOLEAN",
    "inquiry": "BOOLEAN",
    "wait_s": "DOUBLE",
    "duration_s": "DOUBLE",
    "rating": "DOUBLE",
    "amount": "DOUBLE",
    "topic": "VARCHAR",
    "loss_reason": "VARCHAR",
}


DatabaseError = duckdb.Error


class RowsRefused(Exception):
    """A `SqlRows` statement met rows it cannot store as the importer would (see csperf.bulk)."""


@dataclass
class SqlRows:
    """Rows given by one SELECT that DuckDB runs over a file itself (csperf.bulk).

    For facts the SELECT yields `row_key` (distinct per row unless two rows share a key),
    FACT_KEY, `provisional` and the measures in `columns`; for sessions, SESSION_COLUMNS.
    `tables` are registered on the cursor that runs it. `unique_keys` says distinct
    row_keys already mean distinct keys. `stored(stats)` hears how many rows landed,
    their first and last day, shops and provisional rows, inside the transaction, before
    the import's own row is written (it may raise RowsRefused to take them back).
    """

    select: str
    columns: list[str]
    tables: dict[str, pd.DataFrame]
    unique_keys: bool = False
    stored: Callable[[dict], None] | None = None


Frames = pd.DataFrame | Iterable[pd.DataFrame] | SqlRows | None


class DatabaseBusy(RuntimeError):
    """Another process (the running dashboard, or a csperf command) holds the database file."""

    def __init__(self, message: str, holder: int | None = None):
        super().__init__(message)
        self.holder = holder  # the holding process's id, where DuckDB names it: is it a dashboard?


class DatabaseUnreadable(RuntimeError):
    """The path is no DuckDB database DuckDB can open: a folder, another kind of file, a damaged one."""


def resolve_path(path: str | os.PathLike | None = None) -> Path:
    """`--db`, else `CSPERF_DB`, else data/csperf.duckdb in the project."""
    chosen = path or os.environ.get("CSPERF_DB") or DEFAULT_DB
    return Path(chosen).expanduser().resolve()


_BITMAP_IDS = 1 << 27  # a span of fact or session ids checked for repeats with a bitmap (16 MB at most)
_ID_NUMBER = re.compile(r"[0-9]{1,18}")  # what is left of a session id after its prefix, read as a BIGINT
_FACT_FIELDS = ("fact_id", "import_id", "shop", "account", "date_from", "date_to", "provisional", "source",
                "current")


def _stored_measures(cur) -> list[str]:
    """The measures fact_rows has a column for, in catalogue order."""
    found = {column[0] for column in cur.execute("SELECT * FROM fact_rows LIMIT 0").description}  # duckdb_columns(): 3–35 ms
    return [m for m in MEASURE_NAMES if m in found]


def _facts_view(cur) -> None:
    """`facts`: fact_rows with every measure of the catalogue (NULL where no column is stored),
    a measure no report gave read from its fallback (metrics.FALLBACKS)."""
    stored = set(_stored_measures(cur))

    def read(m: str) -> str:
        given = [c for c in (m, FALLBACKS.get(m)) if c in stored]
        return f"coalesce({', '.join(given)}) AS {m}" if given else f"CAST(NULL AS DOUBLE) AS {m}"

    measures = ", ".join(read(m) for m in MEASURE_NAMES)
    cur.execute(f"CREATE OR REPLACE VIEW facts AS SELECT {', '.join(_FACT_FIELDS)}, {measures}, provisional_from "
                "FROM fact_rows")


def _ensure_measures(cur, names) -> None:
    """Columns for measures a file carries that no file carried before (see migration 7)."""
    stored = set(_stored_measures(cur))
    missing = [m for m in MEASURE_NAMES if m in names and m not in stored]
    for m in missing:
        cur.execute(f"ALTER TABLE fact_rows ADD COLUMN {m} DOUBLE")
    if missing:
        _facts_view(cur)


def _narrow_facts(cur) -> None:
    """Migration 7: a column only for measures some file carried. DuckDB spends as long
    writing a column of NULLs as one of figures, and an export carries about half the
    catalogue, so a wide table made every import write ~25 empty columns (2.2 s of a
    2-million-row import). Readers keep the `facts` view with every measure."""
    cur.execute("ALTER TABLE facts RENAME TO fact_rows")
    for m in _stored_measures(cur):
        if not cur.execute(f"SELECT count({m}) > 0 FROM fact_rows").fetchall()[0][0]:
            cur.execute(f"ALTER TABLE fact_rows DROP COLUMN {m}")
    _facts_view(cur)


def _timed_receptions(cur) -> None:
    """Migration 10: an average reception time rests on the receptions that have one
    (`reception_n`). Sessions without a duration (unanswered calls) used to count in it."""
    if "reception_sum_s" not in _stored_measures(cur):
        _facts_view(cur)
        return
    cur.execute("ALTER TABLE fact_rows ADD COLUMN IF NOT EXISTS reception_n DOUBLE")
    cur.execute("UPDATE fact_rows SET reception_n = receptions "
                "WHERE reception_sum_s IS NOT NULL AND source <> 'sessions'")
    cur.execute("""UPDATE fact_rows f SET reception_n = x.n
                   FROM (SELECT shop, account, day, nullif(count(duration_s), 0) AS n FROM sessions GROUP BY ALL) x
                   WHERE f.source = 'sessions' AND f.shop = x.shop AND f.account = x.account AND f.date_from = x.day""")
    cur.execute("UPDATE imports SET measures = list_append(measures, 'reception_n') "
                "WHERE list_contains(measures, 'reception_sum_s')")
    _facts_view(cur)


def _read_fallbacks(cur) -> None:
    """Migration 14: the facts view reads 销售人数 from the paid buyers where no report of the
    day gave it (imports no longer store that stand-in, so it cannot replace a report's own),
    and a multi-day record without receptions counts no day worked (metrics.md: workdays are
    days with receptions > 0)."""
    if {"receptions", "workdays"} <= set(_stored_measures(cur)):
        cur.execute("UPDATE fact_rows SET workdays = 0 WHERE workdays IS NULL AND receptions = 0 "
                    "AND date_to > date_from AND source = 'export'")
    _facts_view(cur)


_MEASURE_DDL = ",\n    ".join(f"{m} DOUBLE" for m in MEASURE_NAMES)

MIGRATIONS: list[str | Callable[[duckdb.DuckDBPyConnection], None]] = [
    # 1: imports, facts (all versions kept, `current` marks the effective rows), sessions
    f"""
    CREATE SEQUENCE import_seq START 1;
    CREATE SEQUENCE fact_seq START 1;
    CREATE TABLE imports (
        import_id BIGINT PRIMARY KEY,
        file_name VARCHAR NOT NULL,
        sha256 VARCHAR NOT NULL,
        format VARCHAR,
        shop VARCHAR,
        rows BIGINT,
        sessions BIGINT,
        period_from DATE,
        period_to DATE,
        imported_at TIMESTAMPTZ DEFAULT current_timestamp,
        imported_by VARCHAR,
        unknown_columns VARCHAR[],
        skipped VARCHAR,
        notes VARCHAR,
        undone_at TIMESTAMPTZ,
        undone_by VARCHAR
    );
    CREATE TABLE facts (
        fact_id BIGINT,
        import_id BIGINT NOT NULL,
        shop VARCHAR NOT NULL,
        account VARCHAR NOT NULL,
        date_from DATE NOT NULL,
        date_to DATE NOT NULL,
        provisional BOOLEAN DEFAULT false,
        source VARCHAR DEFAULT 'export',
        current BOOLEAN DEFAULT true,
        {_MEASURE_DDL}
    );
    CREATE TABLE sessions (
        import_id BIGINT NOT NULL,
        {", ".join(f"{c} {t}" for c, t in SESSION_COLUMNS.items())}
    );
    CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR);
    INSERT INTO meta VALUES ('data_version', '0');
    """,
    # 2: people, manual scores, remembered header mappings
    """
    CREATE TABLE roster (
        shop VARCHAR NOT NULL,
        account VARCHAR NOT NULL,
        name VARCHAR,
        team VARCHAR,
        role VARCHAR,
        level VARCHAR,
        base_salary DOUBLE,
        shift VARCHAR,
        excluded BOOLEAN DEFAULT false,
        PRIMARY KEY (shop, account)
    );
    CREATE TABLE level_pay (level VARCHAR PRIMARY KEY, base_salary DOUBLE NOT NULL);
    CREATE TABLE qa_scores (
        shop VARCHAR NOT NULL,
        account VARCHAR NOT NULL,
        month DATE NOT NULL,
        qa_score DOUBLE NOT NULL,
        entered_by VARCHAR,
        entered_at TIMESTAMPTZ DEFAULT current_timestamp,
        PRIMARY KEY (shop, account, month)
    );
    CREATE TABLE header_maps (
        signature VARCHAR PRIMARY KEY,
        mapping VARCHAR NOT NULL,
        saved_at TIMESTAMPTZ DEFAULT current_timestamp
    );
    """,
    # 3: schemes (versioned), their assignments, users and the audit trail
    """
    CREATE TABLE schemes (
        name VARCHAR NOT NULL,
        version INTEGER NOT NULL,
        toml VARCHAR NOT NULL,
        note VARCHAR,
        created_at TIMESTAMPTZ DEFAULT current_timestamp,
        created_by VARCHAR,
        PRIMARY KEY (name, version)
    );
    CREATE TABLE scheme_assignments (
        role VARCHAR NOT NULL,
        shop VARCHAR NOT NULL DEFAULT '',
        team VARCHAR NOT NULL DEFAULT '',
        valid_from DATE NOT NULL,
        scheme_name VARCHAR NOT NULL,
        scheme_version INTEGER,
        PRIMARY KEY (role, shop, team, valid_from)
    );
    CREATE TABLE users (
        username VARCHAR PRIMARY KEY,
        password_hash VARCHAR NOT NULL,
        role VARCHAR NOT NULL,
        shop VARCHAR,
        account VARCHAR,
        created_at TIMESTAMPTZ DEFAULT current_timestamp
    );
    CREATE SEQUENCE audit_seq START 1;
    CREATE TABLE audit (
        audit_id BIGINT DEFAULT nextval('audit_seq'),
        happened_at TIMESTAMPTZ DEFAULT current_timestamp,
        username VARCHAR,
        action VARCHAR NOT NULL,
        detail VARCHAR
    );
    """,
    # 4: which measures each import carried, so a later report only replaces those, and
    # which import left a row's figures unsettled, so only a file carrying them settles it
    """
    ALTER TABLE imports ADD COLUMN measures VARCHAR[];
    ALTER TABLE facts ADD COLUMN provisional_from BIGINT;
    """,
    # 5: fact ids are now the batch's offset from the current maximum, not a sequence
    "DROP SEQUENCE fact_seq;",
    # 6: import ids are the next after the highest, so a refused attempt leaves no gap
    "DROP SEQUENCE import_seq;",
    # 7: measures stored only once some file carries them; `facts` becomes a view
    _narrow_facts,
    # 8: sign-ins a browser resumes after a reload (only the token's hash is kept)
    """
    CREATE TABLE user_sessions (
        token_sha256 VARCHAR PRIMARY KEY,
        username VARCHAR NOT NULL,
        expires_at TIMESTAMPTZ NOT NULL
    );
    """,
    # 9: sessions a later log re-exported, kept so that undoing that log brings them back
    f"""
    CREATE TABLE sessions_superseded (
        superseded_by BIGINT NOT NULL,
        import_id BIGINT NOT NULL,
        {", ".join(f"{c} {t}" for c, t in SESSION_COLUMNS.items())}
    );
    """,
    # 10: the receptions an average reception time rests on
    _timed_receptions,
    # 11: the VIP scheme's member-care and data-completeness scores beside the QA score;
    # a month's row may carry any of the three
    """
    ALTER TABLE qa_scores ALTER COLUMN qa_score DROP NOT NULL;
    ALTER TABLE qa_scores ADD COLUMN member_care DOUBLE;
    ALTER TABLE qa_scores ADD COLUMN data_completeness DOUBLE;
    """,
    # 12: the owner's monthly KPI targets, for all shops ('' shop), a shop ('' team and
    # account), a team of a shop, or one agent account of a shop
    """
    CREATE TABLE kpi_targets (
        metric VARCHAR NOT NULL,
        shop VARCHAR NOT NULL DEFAULT '',
        team VARCHAR NOT NULL DEFAULT '',
        account VARCHAR NOT NULL DEFAULT '',
        month DATE NOT NULL,
        value DOUBLE NOT NULL,
        set_by VARCHAR,
        set_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
        PRIMARY KEY (metric, shop, team, account, month)
    );
    """,
    # 13: a dated roster. `roster` holds each account's state in force now (`valid_from`:
    # since when; NULL = always); `roster_past`, the states a team, role or pay change
    # ended (NULL valid_from: the first, from the beginning). `roster_dated` spans each
    # state over its days, so a past month keeps the team, role and base it had. The spans
    # are stored, not derived with a window, so a team filter reaches the roster's scan.
    """
    ALTER TABLE roster ADD COLUMN valid_from DATE;
    CREATE TABLE roster_past (
        shop VARCHAR NOT NULL,
        account VARCHAR NOT NULL,
        valid_from DATE,
        valid_to DATE NOT NULL,
        name VARCHAR,
        team VARCHAR,
        role VARCHAR,
        level VARCHAR,
        base_salary DOUBLE,
        shift VARCHAR,
        excluded BOOLEAN DEFAULT false,
        PRIMARY KEY (shop, account, valid_to)
    );
    CREATE VIEW roster_dated AS
    SELECT shop, account, name, team, role, level, base_salary, shift, excluded,
           coalesce(valid_from, DATE '0001-01-01') AS valid_from, DATE '9999-12-31' AS valid_to FROM roster
    UNION ALL
    SELECT shop, account, name, team, role, level, base_salary, shift, excluded,
           coalesce(valid_from, DATE '0001-01-01') AS valid_from, valid_to FROM roster_past;
    """,
    # 14: a measure no report of the day gave, read from its fallback; months without receptions
    _read_fallbacks,
]


@dataclass
class ImportMeta:
    """What the importer learned about a file; stored as the import's row."""

    file_name: str
    sha256: str  # "" while `later_sha256` still reads it
    format: str
    shop: str | None = None
    period_from: Any = None
    period_to: Any = None
    unknown_columns: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    notes: str | None = None
    imported_by: str | None = None
    sessions_read: int = 0  # the file's session rows: more than are stored when an id repeats
    # rows of one key within the file: "last" wins, or "sum" (one row per skill group of an
    # agent-day: a sheet the importer streams in chunks adds up here, by its own rule)
    repeated_facts: str = "last"
    # the SHA-256 of a big file still being read: asked for once its rows are in (waiting
    # for it first would hold the rows back), and a file imported already is taken back
    later_sha256: Callable[[], str] | None = None


class _ImportedAlready(Exception):
    def __init__(self, import_id: int):
        self.import_id = import_id


@dataclass
class ImportOutcome:
    import_id: int
    duplicate: bool
    rows: int
    sessions: int
    notes: list[str] = field(default_factory=list)  # what storing the rows adds to the import's notes


class Database:
    """One DuckDB file (or `:memory:`), one connection, a cursor per call."""

    def __init__(self, path: str | os.PathLike = ":memory:"):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._con = duckdb.connect(self.path)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                holder = re.search(r"PID (\d+)", str(exc))
                raise DatabaseBusy(
                    f"数据库 {self.path} 正被另一个进程使用"
                    + (f" (PID {holder.group(1)})" if holder else "")
                    + "（看板，或仍在运行的 csperf 命令） — database is in use by another process "
                    "(the running dashboard, or a csperf command still at work)",
                    int(holder.group(1)) if holder else None,
                ) from None
            raise DatabaseUnreadable(
                f"无法打开数据库 {self.path}：它不是 csperf 的数据库文件，或文件已损坏（可用 csperf restore 从备份恢复） — "
                f"cannot open the database: not a database file, or a damaged one (restore a backup): {exc}"
            ) from None
        self._con.execute(f"SET GLOBAL TimeZone='{TIME_ZONE}'")
        # DuckDB spills to disk past this, so a 2-million-row import stays within ~1 GB
        self._con.execute(f"SET GLOBAL memory_limit='{os.environ.get('CSPERF_DUCKDB_MEMORY', '640MB')}'")
        self._lock = threading.RLock()
        self._closed = False
        self._migrate()

    # -- reading ---------------------------------------------------------------------

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cur = self._con.cursor()
        try:
            yield cur
        finally:
            cur.close()

    def query(self, sql: str, params: list | dict | None = None) -> pd.DataFrame:
        with self.cursor() as cur:
            return cur.execute(sql, params or []).df()

    def rows(self, sql: str, params: list | dict | None = None) -> list[tuple]:
        with self.cursor() as cur:
            return cur.execute(sql, params or []).fetchall()

    def scalar(self, sql: str, params: list | dict | None = None) -> Any:
        found = self.rows(sql, params)
        return found[0][0] if found else None

    def data_version(self) -> int:
        """Bumped by every write; the dashboard keys its caches on it."""
        return int(self.scalar("SELECT value FROM meta WHERE key = 'data_version'"))

    # -- writing ---------------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One serialized transaction: everything in the block lands, or nothing does."""
        with self._lock, self.cursor() as cur:
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
                cur.execute(
                    "UPDATE meta SET value = CAST(CAST(value AS BIGINT) + 1 AS VARCHAR) "
                    "WHERE key = 'data_version'"
                )
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise

    def audit(self, cur: duckdb.DuckDBPyConnection, username: str | None, action: str, detail: str) -> None:
        """Record who did what, inside the caller's transaction."""
        cur.execute(
            "INSERT INTO audit (username, action, detail) VALUES (?, ?, ?)", [username, action, detail]
        )

    def apply_import(
        self,
        meta: ImportMeta,
        facts: Frames,
        sessions: Frames = None,
    ) -> ImportOutcome:
        """Store one file's rows in one transaction; a file already imported is a no-op
        (found after its rows went in when its hash came later: they are taken back).

        `facts` (one frame or an iterable of chunks) has FACT_KEY, `provisional` and any
        measure columns; `sessions` likewise has SESSION_COLUMNS. Within one file the last
        row of a key wins (facts add up with `meta.repeated_facts = "sum"`). Later imports
        supersede earlier ones for the same key; the effective rows are flagged `current`
        (see `_refresh_current`).
        """
        try:
            with self.write() as cur:
                return self._apply_import(cur, meta, facts, sessions)
        except _ImportedAlready as found:
            return ImportOutcome(found.import_id, True, 0, 0)

    def _apply_import(self, cur, meta: ImportMeta, facts: Frames, sessions: Frames) -> ImportOutcome:
        def imported_already() -> None:
            existing = cur.execute(
                "SELECT import_id FROM imports WHERE sha256 = ? AND undone_at IS NULL "
                "ORDER BY import_id LIMIT 1",
                [meta.sha256],
            ).fetchall()
            if existing:
                raise _ImportedAlready(int(existing[0][0]))

        if meta.sha256:
            imported_already()
        # not a sequence: an import taken back (a refused SqlRows attempt) leaves no gap
        import_id = int(cur.execute("SELECT coalesce(max(import_id), 0) + 1 FROM imports").fetchall()[0][0])
        fact_rows, measures, notes = self._insert_facts(cur, import_id, facts, meta.repeated_facts)
        session_rows = self._insert_sessions(cur, import_id, sessions)
        if meta.sessions_read > session_rows:
            merged = meta.sessions_read - session_rows
            notes.append(f"{merged} 行会话与文件中前面的行编号相同，按最后一行记入 — "
                         f"{merged} rows repeat an earlier session id in the file; the last one counts")
        if session_rows:
            off_scale = cur.execute(
                f"SELECT count(*) FROM sessions s WHERE import_id = ? AND s.rating IS NOT NULL AND NOT {_RATED}",
                [import_id]).fetchall()[0][0]
            if off_scale:
                notes.append(f"{off_scale} 个评分不在 1–5 之间（如 0 = 未评价），未计入评价 — "
                             f"{off_scale} ratings outside 1–5 (such as 0 for none) are not counted as ratings")
        today = datetime.now(ZoneInfo(TIME_ZONE)).date()
        last = meta.period_to if meta.period_to is not None else cur.execute(  # the importer sets it from the rows
            "SELECT max(date_to) FROM facts WHERE import_id = ?", [import_id]).fetchall()[0][0]
        if last is not None and pd.Timestamp(last).date() > today:
            last = pd.Timestamp(last).date()
            notes.append(f"数据日期到 {last}，在今天（{today}）之后：如果年份或日期写错了，请撤销这次导入 — figures dated up "
                         f"to {last}, after today ({today}): if the year or a date is a typo, undo this import")
        meta.notes = "\n".join(filter(None, [meta.notes, *notes])) or None
        if not meta.sha256:
            meta.sha256 = meta.later_sha256()
            imported_already()
        cur.execute(
            """INSERT INTO imports (import_id, file_name, sha256, format, shop, rows, sessions,
                   period_from, period_to, imported_by, unknown_columns, skipped, notes, measures)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                import_id, meta.file_name, meta.sha256, meta.format, meta.shop, fact_rows,
                session_rows, meta.period_from, meta.period_to, meta.imported_by,
                list(meta.unknown_columns), "\n".join(meta.skipped) or None, meta.notes, measures,
            ],
        )
        self.audit(cur, meta.imported_by, "import", f"#{import_id} {meta.file_name} ({meta.format})")
        return ImportOutcome(import_id, False, fact_rows, session_rows, notes)

    def undo_import(self, import_id: int, username: str | None = None) -> None:
        """Remove one import's rows; the figures it had replaced come back."""
        with self.write() as cur:
            found = cur.execute(
                "SELECT file_name, undone_at FROM imports WHERE import_id = ?", [import_id]
            ).fetchall()
            if not found:
                raise KeyError(f"no import #{import_id}")
            if found[0][1] is not None:
                raise ValueError(f"import #{import_id} was already undone")
            cur.execute(
                "CREATE OR REPLACE TEMP TABLE touched AS SELECT DISTINCT shop, account FROM facts "
                "WHERE import_id = ?",
                [import_id],
            )
            _touched_days(cur, import_id, f"sessions WHERE import_id = {int(import_id)}")
            cur.execute("CREATE OR REPLACE TEMP TABLE undone_keys AS SELECT DISTINCT shop, account, date_from, "
                        "date_to FROM fact_rows WHERE import_id = ? AND source = 'export'", [import_id])
            cur.execute("DELETE FROM fact_rows WHERE import_id = ?", [import_id])
            _carry_again(cur, import_id)
            cur.execute("DELETE FROM sessions WHERE import_id = ?", [import_id])
            _restore_sessions(cur, import_id)
            self._refold_sessions(cur)
            self._refresh_current(cur)
            cur.execute(
                "UPDATE imports SET undone_at = current_timestamp, undone_by = ? WHERE import_id = ?",
                [username, import_id],
            )
            self.audit(cur, username, "undo", f"#{import_id} {found[0][0]}")

    def rename(self, shop: str, new_shop: str, account: str | None = None, new_account: str | None = None,
               username: str | None = None) -> dict[str, int]:
        """A shop renamed on its platform, or (given `account`) one of its sub-accounts: every
        stored row of the old name moves to the new one, so history, roster states, QA
        scores, targets, scheme assignments and bound users carry on under it instead of
        starting again. Figures both names hold for one agent-day combine as a re-export
        does (the later import wins); so do the days both hold sessions on. Refused, with
        nothing changed, where both names hold one roster account, QA month, target,
        assignment or session id. Returns the rows moved per table."""
        renamed = ("shop",) if account is None else ("shop", "account")  # the key columns the rename changes
        old_params, new_params = [shop, account][:len(renamed)], [new_shop, new_account][:len(renamed)]
        where = " AND ".join(f"{c} = ?" for c in renamed)
        # an account rename leaves the rows that name a shop alone (assignments, imports) where they are
        tables = [table for table, (named, _) in _RENAMED_TABLES.items() if named or account is None]
        with self.write() as cur:
            clashes = []
            for table in tables:
                unique = _RENAMED_TABLES[table][1]
                keys = unique and _clashing(cur, table, [c for c in unique if c not in renamed], where,
                                            old_params, new_params)
                if keys:
                    clashes.append(f"{table}: " + ", ".join("·".join(str(v) for v in key if v not in ("", None))
                                                            for key in keys))
            if clashes:
                raise ValueError("新旧名称下有重复的记录，未改名 — both names hold the same records, nothing "
                                 "renamed: " + "; ".join(clashes))
            cur.execute(f"CREATE OR REPLACE TEMP TABLE touched_days AS SELECT DISTINCT ? AS shop, "
                        f"{'?' if account is not None else 'account'} AS account, day FROM sessions WHERE {where} "
                        f"INTERSECT SELECT shop, account, day FROM sessions WHERE {where}",
                        [new_shop, *([new_account] if account is not None else []), *old_params, *new_params])
            moved = {}
            for table in tables:
                cur.execute(f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in renamed)} WHERE {where}",
                            [*new_params, *old_params])
                moved[table] = cur.fetchall()[0][0]
            cur.execute(f"CREATE OR REPLACE TEMP TABLE touched AS SELECT DISTINCT shop, account FROM fact_rows "
                        f"WHERE {where}", new_params)
            if cur.execute("SELECT count(*) FROM touched_days").fetchall()[0][0]:
                self._refold_sessions(cur)
            self._refresh_current(cur)
            what = f"{shop}:{account} → {new_shop}:{new_account}" if account is not None else f"{shop} → {new_shop}"
            self.audit(cur, username, "rename", f"{what} ({moved['fact_rows']} fact rows)")
        return moved

    # -- internals -------------------------------------------------------------------

    def _insert_facts(self, cur, import_id: int, facts: Frames,
                      repeated: str = "last") -> tuple[int, list[str], list[str]]:
        """Insert one file's rows; the measures the file lacks are carried over from the
        latest earlier row of the same key, so two reports of one agent-day combine (but
        never a ratio's side whose partner the file gives otherwise: `_carried`). The row
        stays provisional until a file carrying the unsettled measures arrives. Returns the
        rows, the file's measures and notes on what was left empty or out."""
        cur.execute("CREATE OR REPLACE TEMP TABLE touched (shop VARCHAR, account VARCHAR)")
        key = ", ".join(FACT_KEY)
        first_id = cur.execute("SELECT coalesce(max(fact_id), 0) + 1 FROM facts").fetchall()[0][0]
        if isinstance(facts, SqlRows):
            staged, measures = self._append_fact_rows(cur, import_id, facts, first_id)
            if not self._has_older(cur, import_id):
                if cur.execute("SELECT count(*) > 0 FROM facts WHERE import_id = ? AND date_to > date_from",
                               [import_id]).fetchall()[0][0]:
                    self._refresh_current(cur)
                    return staged, measures, _crossing_notes(cur, import_id) + _shadow_notes(cur, import_id)
                return staged, measures, []
            # earlier rows to merge with: the same path as any other file, from a staging copy
            cur.execute(f"CREATE OR REPLACE TEMP TABLE staging_facts AS SELECT fact_id - {first_id} AS seq, "
                        f"{key}, provisional, {', '.join(measures)} FROM facts WHERE import_id = ?", [import_id])
            cur.execute("DELETE FROM fact_rows WHERE import_id = ?", [import_id])
            present = set(FACT_KEY) | {"provisional", *measures}
        else:
            staged, present = _stage(cur, "staging_facts", facts, FACT_KEY + ["provisional", *MEASURE_NAMES], _cast)
        measures = [m for m in MEASURE_NAMES if m in present]
        if not staged:
            return 0, measures, []
        missing = [c for c in FACT_KEY if c not in present]
        if missing:
            raise ValueError(f"facts without {', '.join(missing)}")
        if "provisional" not in present:
            cur.execute("ALTER TABLE staging_facts ADD COLUMN provisional BOOLEAN DEFAULT false")
        cur.execute("INSERT INTO touched SELECT DISTINCT shop, account FROM staging_facts")
        has_older = self._has_older(cur, import_id)
        incoming = (_summed_per_key(cur, "staging_facts", measures) if repeated == "sum"
                    else _last_per_key(cur, "staging_facts", FACT_KEY))
        if has_older:
            covers = "list_has_all(?::VARCHAR[], coalesce(p.prior_measures, []::VARCHAR[]))"
            provisional = f"s.provisional OR (coalesce(p.provisional, false) AND NOT {covers})"
            provisional_from = (f"CASE WHEN s.provisional THEN {import_id} WHEN coalesce(p.provisional, false) "
                                f"AND NOT {covers} THEN p.provisional_from END")
            source = f"""{incoming} LEFT JOIN (
                    SELECT f.*, i.measures AS prior_measures
                    FROM facts f LEFT JOIN imports i ON i.import_id = f.provisional_from
                    WHERE f.source = 'export'
                      AND (f.shop, f.account, f.date_from, f.date_to) IN (SELECT ({key}) FROM staging_facts)
                    QUALIFY row_number() OVER (PARTITION BY f.shop, f.account, f.date_from, f.date_to
                                               ORDER BY f.import_id DESC) = 1
                ) p USING ({key})"""
            params = [measures] * 2
            _ensure_measures(cur, measures)
            columns = _stored_measures(cur)
            carried = ", ".join(f"s.{m}" if m in present else _carried(m, present) for m in columns)
            notes = _unpaired_notes(cur, source, [m for m in columns if m not in present], present)
        else:  # nothing earlier to merge with or supersede: a straight bulk insert
            provisional, provisional_from = "s.provisional", f"CASE WHEN s.provisional THEN {import_id} END"
            carried, source, params, columns = ", ".join(f"s.{m}" for m in measures), incoming, [], measures
            notes = []
            _ensure_measures(cur, measures)
        inserted = cur.execute(
            f"""INSERT INTO fact_rows (fact_id, import_id, source, {key}, provisional, provisional_from
                                   {"".join(", " + m for m in columns)})
                SELECT {first_id} + s.seq, {import_id}, 'export', s.shop, s.account, s.date_from, s.date_to,
                       {provisional}, {provisional_from} {", " + carried if carried else ""}
                FROM {source}""",
            params,
        ).fetchall()[0][0]
        multi_day = cur.execute("SELECT count(*) > 0 FROM staging_facts WHERE date_to > date_from").fetchall()[0][0]
        cur.execute("DROP TABLE staging_facts")
        if has_older or multi_day:
            self._refresh_current(cur)
            notes += _shadow_notes(cur, import_id)
        if multi_day:
            notes += _crossing_notes(cur, import_id)
        return int(inserted), measures, notes

    def _append_fact_rows(self, cur, import_id: int, rows: SqlRows, first_id: int) -> tuple[int, list[str]]:
        """Insert a SqlRows statement's facts straight into the table (no staging copy)."""
        key = ", ".join(FACT_KEY)
        columns = "".join(f", {m}" for m in rows.columns)
        _ensure_measures(cur, rows.columns)
        with _running(cur, rows):
            inserted = cur.execute(
                f"""INSERT INTO fact_rows (fact_id, import_id, source, {key}, provisional, provisional_from {columns})
                    SELECT {first_id} + row_key, {import_id}, 'export', {key}, provisional,
                           CASE WHEN provisional THEN {import_id} END {columns}
                    FROM ({rows.select})"""
            ).fetchall()[0][0]
        distinct = f"count(DISTINCT ({key}))"
        if rows.unique_keys:  # one id per key: ids set twice show as fewer bits than rows
            low, high = cur.execute("SELECT min(fact_id), max(fact_id) FROM fact_rows WHERE import_id = ?",
                                    [import_id]).fetchall()[0]
            distinct = (f"bit_count(bitstring_agg(fact_id, {low}, {high}))"
                        if low is not None and high - low < _BITMAP_IDS else "count(DISTINCT fact_id)")
        _landed(rows, inserted, "agent and period", cur.execute(
            f"SELECT count(*) <> {distinct}, min(date_from), max(date_to), count(*) FILTER (WHERE provisional), "
            "list(DISTINCT shop) FROM fact_rows WHERE import_id = ?",
            [import_id],
        ).fetchall()[0])
        cur.execute("INSERT INTO touched SELECT DISTINCT shop, account FROM facts WHERE import_id = ?", [import_id])
        return int(inserted), [m for m in MEASURE_NAMES if m in rows.columns]

    @staticmethod
    def _has_older(cur, import_id: int) -> bool:
        return cur.execute(
            "SELECT count(*) > 0 FROM facts f SEMI JOIN touched t ON f.shop = t.shop AND f.account = t.account "
            "WHERE f.import_id <> ?",
            [import_id],
        ).fetchall()[0][0]

    def _insert_session_rows(self, cur, import_id: int, rows: SqlRows) -> int:
        """Insert a SqlRows statement's sessions straight into the table."""
        with _running(cur, rows):
            inserted = cur.execute(
                f"INSERT INTO sessions BY NAME SELECT {import_id} AS import_id, * FROM ({rows.select})"
            ).fetchall()[0][0]
        low, high, first, last = cur.execute(
            "SELECT min(session_id), max(session_id), min(day), max(day) FROM sessions WHERE import_id = ?",
            [import_id],
        ).fetchall()[0]
        repeated = _sessions_repeat(cur, import_id, inserted, low, high)
        others = cur.execute("SELECT count(*) > 0 FROM sessions WHERE import_id <> ?", [import_id]).fetchall()[0][0]
        if others:
            _supersede_sessions(cur, import_id, f"(SELECT shop, session_id FROM sessions WHERE import_id = {import_id})")
            _touched_days(cur, import_id, f"sessions WHERE import_id = {int(import_id)}")
        self._refold_sessions(cur, None if others else import_id)
        shops = cur.execute("SELECT list(DISTINCT shop) FROM touched").fetchall()[0][0]
        _landed(rows, inserted, "session", (repeated, first, last, 0, shops))
        self._refresh_current(cur)
        return int(inserted)

    def _insert_sessions(self, cur, import_id: int, sessions: Frames) -> int:
        if isinstance(sessions, SqlRows):
            return self._insert_session_rows(cur, import_id, sessions)
        staged, _present = _stage(
            cur, "staging_sessions", sessions, list(SESSION_COLUMNS),
            lambda c: f"CAST({c} AS {SESSION_COLUMNS[c]})",
        )
        if not staged:
            return 0
        if cur.execute("SELECT count(*) > 0 FROM sessions").fetchall()[0][0]:
            _supersede_sessions(cur, import_id, "staging_sessions")
        incoming = _last_per_key(cur, "staging_sessions", ["shop", "session_id"])
        inserted = cur.execute(
            f"INSERT INTO sessions BY NAME SELECT {import_id} AS import_id, s.* EXCLUDE (seq) FROM {incoming}"
        ).fetchall()[0][0]
        _touched_days(cur, import_id, "staging_sessions")
        cur.execute("DROP TABLE staging_sessions")
        self._refold_sessions(cur)
        self._refresh_current(cur)
        return int(inserted)

    def _refold_sessions(self, cur, only_import: int | None = None) -> None:
        """Rebuild the agent-day figures of the days in `touched_days` from all their sessions
        (`only_import`: the one import that holds sessions at all, so no join is needed)."""
        _ensure_measures(cur, _SESSION_MEASURES)
        if only_import is None:
            cur.execute(
                "DELETE FROM fact_rows f USING touched_days t WHERE f.source = 'sessions' "
                "AND f.shop = t.shop AND f.account = t.account AND f.date_from = t.day"
            )
            days = "SEMI JOIN touched_days t ON s.shop = t.shop AND s.account = t.account AND s.day = t.day"
        else:  # no other sessions, so no day folded from them either: nothing to take out first
            days = f"WHERE s.import_id = {int(only_import)}"
        cur.execute(
            f"""INSERT INTO fact_rows (fact_id, import_id, shop, account, date_from, date_to, provisional,
                   source, receptions, cases, replied, inquiries, paid_buyers, sales, sales_buyers,
                   first_response_sum_s, first_response_n, reception_sum_s, reception_n, resolved, ratings,
                   csat_sum, satisfied, workdays)
               SELECT (SELECT coalesce(max(fact_id), 0) FROM facts) + row_number() OVER (),
                   import_id, shop, account, day, day, false, 'sessions',
                   receptions, receptions, replied, inquiries, paid_buyers, sales, sales_buyers,
                   first_response_sum_s, first_response_n, reception_sum_s, reception_n, resolved, ratings,
                   csat_sum, satisfied, 1
               FROM (
                   SELECT s.shop, s.account, s.day, max(s.import_id) AS import_id,
                       count(*) AS receptions,
                       sum(CAST(s.answered AS INTEGER)) AS replied,
                       CASE WHEN count(s.inquiry) > 0 THEN sum(CAST(s.inquiry AS INTEGER))
                            ELSE count(*) END AS inquiries,
                       sum(CAST(s.converted AS INTEGER)) AS paid_buyers,
                       sum(s.amount) AS sales,
                       sum(CAST(s.converted AS INTEGER)) AS sales_buyers,
                       sum(s.wait_s) AS first_response_sum_s,
                       nullif(count(s.wait_s), 0) AS first_response_n,
                       sum(s.duration_s) AS reception_sum_s,
                       nullif(count(s.duration_s), 0) AS reception_n,
                       sum(CAST(s.resolved AS INTEGER)) AS resolved,
                       count(s.rating) FILTER (WHERE {_RATED}) AS ratings,
                       sum(s.rating) FILTER (WHERE {_RATED}) AS csat_sum,
                       count(*) FILTER (WHERE {_RATED} AND s.rating >= 4) AS satisfied
                   FROM sessions s {days}
                   GROUP BY ALL
               )"""
        )
        folded = "touched_days" if only_import is None else "fact_rows WHERE source = 'sessions'"
        cur.execute(f"INSERT INTO touched SELECT DISTINCT shop, account FROM {folded}")

    def _refresh_current(self, cur) -> None:
        """Flag the effective fact rows of the accounts in `touched`.

        Per key the latest import wins. Records of different spans may overlap (a monthly
        file and daily files), and no day may count twice. A multi-day record gives way to
        the agent's finer records only once every one of its days is reported: by the agent's
        own records, or by the shop's daily records of other agents (a day the shop's daily
        files cover without the agent is their day off, not a gap). Until then it stands,
        and the finer records inside it wait (a week with two of its days in daily files
        still counts whole, not as those two days). Two records over each other's edge (a
        week over a month's end beside the month) cannot both count: the one with more days
        does (of two as long, the later), since the other way a month's payroll shrank to
        one week; the records inside the one left out count as if it were not there.
        """
        cur.execute(
            """CREATE OR REPLACE TEMP TABLE fact_flags AS
               WITH v AS (
                   SELECT f.fact_id, f.shop, f.account, f.date_from, f.date_to, f.import_id,
                          row_number() OVER (PARTITION BY f.shop, f.account, f.date_from, f.date_to
                                             ORDER BY f.import_id DESC, f.fact_id DESC) = 1 AS latest
                   FROM facts f SEMI JOIN touched t ON f.shop = t.shop AND f.account = t.account
               ),
               l AS (SELECT * FROM v WHERE latest),
               finer AS (  -- each multi-day record against the finer records overlapping it
                   SELECT a.fact_id AS outer_id, a.date_to - a.date_from + 1 AS outer_days,
                          b.fact_id AS inner_id, b.date_from, b.date_to,
                          b.date_from >= a.date_from AND b.date_to <= a.date_to AS inside,
                          b.date_to - b.date_from = a.date_to - a.date_from AS same_length
                   FROM (SELECT * FROM l WHERE date_to > date_from) a
                   JOIN l b ON a.shop = b.shop AND a.account = b.account
                        AND b.date_from <= a.date_to AND b.date_to >= a.date_from
                        AND b.fact_id <> a.fact_id
                        AND ((b.date_to - b.date_from) < (a.date_to - a.date_from)
                             OR ((b.date_to - b.date_from) = (a.date_to - a.date_from)
                                 AND b.import_id > a.import_id))
               ),
               waiting AS (SELECT DISTINCT outer_id, outer_days FROM finer WHERE inside),
               shop_days AS (  -- the days inside each of them the shop's daily records report, any agent's
                   SELECT DISTINCT w.outer_id, w.outer_days, d.date_from AS day
                   FROM waiting w JOIN l o ON o.fact_id = w.outer_id
                   JOIN facts d ON d.shop = o.shop AND d.account <> ? AND d.date_to = d.date_from
                        AND d.date_from BETWEEN o.date_from AND o.date_to
               ),
               reported AS (  -- the days of each multi-day record that finer records inside it report
                   SELECT outer_id, any_value(outer_days) AS outer_days, count(DISTINCT day) AS days
                   FROM (SELECT outer_id, outer_days,
                                CAST(unnest(generate_series(date_from, date_to, INTERVAL 1 DAY)) AS DATE) AS day
                         FROM finer WHERE inside
                         UNION ALL SELECT outer_id, outer_days, day FROM shop_days)
                   GROUP BY outer_id
               ),
               given_way AS (SELECT outer_id AS fact_id FROM reported WHERE days = outer_days),
               crossed AS (  -- of two records over each other's edge, the longer counts (as long: the later)
                   SELECT CASE WHEN same_length THEN outer_id ELSE inner_id END AS fact_id
                   FROM finer f ANTI JOIN given_way g ON f.outer_id = g.fact_id
                   WHERE NOT f.inside
               ),
               shadowed AS (
                   SELECT fact_id FROM given_way
                   UNION SELECT fact_id FROM crossed
                   UNION SELECT f.inner_id FROM finer f ANTI JOIN given_way g ON f.outer_id = g.fact_id
                         ANTI JOIN crossed c ON f.outer_id = c.fact_id
                         WHERE f.inside
               )
               SELECT v.fact_id, v.latest, v.latest AND s.fact_id IS NULL AS is_current
               FROM v LEFT JOIN shadowed s ON v.fact_id = s.fact_id""", [SHOP_LEVEL_ACCOUNT]
        )
        cur.execute(  # the weekly and monthly records finer ones now stand in for, for `_shadow_notes`
            """CREATE OR REPLACE TEMP TABLE displaced AS
               SELECT f.import_id FROM fact_flags x JOIN fact_rows f ON f.fact_id = x.fact_id
               WHERE f.current AND x.latest AND NOT x.is_current AND f.date_to > f.date_from""")
        cur.execute(
            "UPDATE fact_rows SET current = x.is_current FROM fact_flags x "
            "WHERE fact_rows.fact_id = x.fact_id AND fact_rows.current IS DISTINCT FROM x.is_current"
        )

    def _migrate(self) -> None:
        with self._lock, self.cursor() as cur:
            cur.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER)")
            found = cur.execute("SELECT max(version) FROM schema_version").fetchall()[0][0] or 0
            for version, ddl in enumerate(MIGRATIONS, start=1):
                if version <= found:
                    continue
                cur.execute("BEGIN TRANSACTION")
                try:
                    ddl(cur) if callable(ddl) else cur.execute(ddl)
                    cur.execute("INSERT INTO schema_version VALUES (?)", [version])
                    cur.execute("COMMIT")
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        self._closed = True
        self._con.close()


def _stage(cur, table: str, frames: Frames, columns: list[str], cast) -> tuple[int, set[str]]:
    """Copy one frame or an iterable of chunk frames into a staging table of just the
    columns they carry, numbering rows so that the last of several with one key wins."""
    seen: list[str] = []
    if frames is None:
        return 0, set()
    if isinstance(frames, pd.DataFrame):
        frames = [frames]
    staged = 0
    for chunk in frames:
        if chunk is None or chunk.empty:
            continue
        present = [c for c in columns if c in chunk.columns]
        batch = chunk[present].assign(seq=np.arange(staged, staged + len(chunk)))
        select = f"SELECT seq, {', '.join(f'{cast(c)} AS {c}' for c in present)} FROM incoming_chunk"
        cur.register("incoming_chunk", batch)
        try:
            if not staged:
                cur.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {select}")
            else:
                for column in present:
                    if column not in seen:
                        cur.execute(f"ALTER TABLE {table} ADD COLUMN {column} "
                                    f"{'DOUBLE' if column in MEASURE_NAMES else 'VARCHAR'}")
                cur.execute(f"INSERT INTO {table} BY NAME {select}")
        finally:
            cur.unregister("incoming_chunk")
        seen += [c for c in present if c not in seen]
        staged += len(chunk)
    return staged, set(seen)


_RATED = "s.rating BETWEEN 1 AND 5"  # a session's rating on the 1–5 scale; 0 often means "not rated"
_SESSION_MEASURES = ("receptions", "cases", "replied", "inquiries", "paid_buyers", "sales", "sales_buyers",
                     "first_response_sum_s", "first_response_n", "reception_sum_s", "reception_n", "resolved",
                     "ratings", "csat_sum", "satisfied", "workdays")


def _landed(rows: SqlRows, inserted: int, key: str, found: tuple) -> None:
    """Refuse a key stored twice (the importer sums or replaces those); else tell the caller."""
    repeated, first, last, provisional, shops = found
    if repeated:
        raise RowsRefused(f"two rows of one {key}")
    if rows.stored:
        rows.stored({"rows": int(inserted), "first": first, "last": last, "provisional": int(provisional),
                     "shops": list(shops or [])})


# The tables a rename moves: whether their rows name an account, and the key that must stay
# unique (rows of the old name and of the new one agreeing on the rest of it would become one;
# None: both may stand, as facts do, superseded by the later import).
_RENAMED_TABLES = {
    "fact_rows": (True, None),
    "sessions": (True, ("shop", "session_id")),
    "sessions_superseded": (True, None),
    "roster": (True, ("shop", "account")),
    "roster_past": (True, ("shop", "account", "valid_to")),
    "qa_scores": (True, ("shop", "account", "month")),
    "kpi_targets": (True, ("metric", "shop", "team", "account", "month")),
    "users": (True, None),
    "scheme_assignments": (False, ("role", "shop", "team", "valid_from")),
    "imports": (False, None),
}


def _clashing(cur, table: str, same: list[str], where: str, old_params: list, new_params: list) -> list[tuple]:
    """Up to three keys (the `same` columns; with none, the names are the whole key and any
    row under both clashes: the new account is named) that rows of the old name and of the
    new one (`where` over each's params) share."""
    same_on = " AND ".join(f"a.{c} IS NOT DISTINCT FROM b.{c}" for c in same) or "true"
    return cur.execute(
        f"SELECT DISTINCT {', '.join(f'b.{c}' for c in same) or 'b.account'} FROM "
        f"(SELECT * FROM {table} WHERE {where}) a JOIN (SELECT * FROM {table} WHERE {where}) b ON {same_on} "
        "LIMIT 3", [*old_params, *new_params]).fetchall()


def _touched_days(cur, import_id: int, sessions: str) -> None:
    """The agent-days to fold again: those of these sessions, and those the sessions they
    replaced (or, on undo, bring back) were on, which may be another agent's or day."""
    cur.execute(
        f"CREATE OR REPLACE TEMP TABLE touched_days AS SELECT DISTINCT shop, account, day FROM {sessions} "
        "UNION SELECT DISTINCT shop, account, day FROM sessions_superseded WHERE superseded_by = ?",
        [import_id],
    )


def _restore_sessions(cur, import_id: int) -> None:
    """Undoing an import: the sessions it had replaced come back, unless a later import
    re-exported them too (they then wait for that one's undo); its own replaced ones go."""
    cur.execute("DELETE FROM sessions_superseded WHERE import_id = ?", [import_id])
    cur.execute(
        "UPDATE sessions_superseded x SET superseded_by = s.import_id FROM sessions s "
        "WHERE x.superseded_by = ? AND x.shop = s.shop AND x.session_id = s.session_id",
        [import_id],
    )
    cur.execute("INSERT INTO sessions BY NAME SELECT * EXCLUDE (superseded_by) FROM sessions_superseded "
                "WHERE superseded_by = ?", [import_id])
    cur.execute("DELETE FROM sessions_superseded WHERE superseded_by = ?", [import_id])


def _supersede_sessions(cur, import_id: int, incoming: str) -> None:
    """Move the stored sessions that `incoming` (shop, session_id) re-exports aside, marked
    with the import that replaced them: undoing it brings them back."""
    replaced = (f"FROM sessions s SEMI JOIN {incoming} i ON s.shop = i.shop AND s.session_id = i.session_id "
                f"WHERE s.import_id <> {int(import_id)}")
    cur.execute(f"INSERT INTO sessions_superseded BY NAME SELECT {int(import_id)} AS superseded_by, s.* {replaced}")
    cur.execute(f"DELETE FROM sessions s USING {incoming} i WHERE s.shop = i.shop AND s.session_id = i.session_id "
                f"AND s.import_id <> {int(import_id)}")


def _sessions_repeat(cur, import_id: int, count: int, low: str | None, high: str | None) -> bool:
    """Whether two of an import's sessions share a shop and an id.

    An exact distinct count of ten million ids takes over a second. Ids that are one number
    after a common prefix (`S000000001`, `ID0001`) are first set as bits of a bitmap, in
    0.4 s: as many bits as sessions proves every id distinct. Anything else (fewer bits,
    ids of another form, a span too wide) asks the exact count."""
    if low is not None and len(low) == len(high):
        start = len(os.path.commonprefix([low, high]))
        first, last = low[start:], high[start:]
        if (_ID_NUMBER.fullmatch(first) and _ID_NUMBER.fullmatch(last)
                and int(last) - int(first) < _BITMAP_IDS):
            number = f"TRY_CAST(substr(session_id, {start + 1}) AS BIGINT)"
            bits = cur.execute(
                f"SELECT bit_count(bitstring_agg(n, {int(first)}, {int(last)}) "
                f"FILTER (WHERE n BETWEEN {int(first)} AND {int(last)})) "
                f"FROM (SELECT {number} AS n FROM sessions WHERE import_id = ?)",
                [import_id],
            ).fetchall()[0][0]
            if bits == count:
                return False
    return cur.execute(
        "SELECT count(*) <> count(DISTINCT (shop, session_id)) FROM sessions WHERE import_id = ?", [import_id]
    ).fetchall()[0][0]


@contextmanager
def _running(cur, rows: SqlRows) -> Iterator[None]:
    """The statement's tables registered on the cursor; DuckDB's refusal as RowsRefused."""
    for name, frame in rows.tables.items():
        cur.register(name, frame)
    try:
        yield
    except duckdb.Error as exc:  # the transaction is aborted: the cursor goes with it
        raise RowsRefused(str(exc)) from exc
    for name in rows.tables:
        cur.unregister(name)


def _last_per_key(cur, table: str, key: list[str]) -> str:
    """The staged rows, keeping the last of several with one key; the window (costly at
    millions of rows) only runs when a key actually repeats."""
    keys = ", ".join(key)
    repeats = cur.execute(f"SELECT count(*) <> count(DISTINCT ({keys})) FROM {table}").fetchall()[0][0]
    if not repeats:
        return f"{table} s"
    return f"(SELECT * FROM {table} QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY seq DESC) = 1) s"


def _summed_per_key(cur, table: str, measures: list[str]) -> str:
    """The staged facts with the rows of one key added up by importer._sum_duplicates' rule
    (a measure some row lacks beside a nonzero ratio partner is NULL; days worked are the
    most any row gives), numbered by the first of them; provisional when any was."""
    keys = ", ".join(FACT_KEY)
    repeats = cur.execute(f"SELECT count(*) <> count(DISTINCT ({keys})) FROM {table}").fetchall()[0][0]
    if not repeats:
        return f"{table} s"

    def total(m: str) -> str:
        added = f"max({m})" if m == "workdays" else f"sum({m})"
        partners = [p for p in RATIO_PARTNERS.get(m, ()) if p in measures]
        if not partners:
            return added
        nonzero = " OR ".join(f"coalesce({p} <> 0, false)" for p in partners)
        return f"CASE WHEN bool_or({m} IS NULL AND ({nonzero})) THEN NULL ELSE {added} END"

    sums = "".join(f", {total(m)} AS {m}" for m in measures)
    return (f"(SELECT min(seq) AS seq, {keys}, bool_or(provisional) AS provisional{sums} "
            f"FROM {table} GROUP BY {keys}) s")


def _differs(given: str, before: str) -> str:
    """SQL: both figures present and not the same (numpy's isclose, as importer._merge_sheets)."""
    return f"coalesce(abs({given} - {before}) > 1e-8 + 1e-5 * abs({given}), false)"


def _replaced_partner(m: str, present, new: str = "s", old: str = "p") -> str | None:
    """SQL: the file (`new`) gives one of m's ratio partners otherwise than the earlier row
    (`old`) m would be carried from; None when the file gives none of them."""
    partners = [p for p in RATIO_PARTNERS.get(m, ()) if p in present]
    return " OR ".join(_differs(f"{new}.{p}", f"{old}.{p}") for p in partners) or None


def _carried(m: str, present, new: str = "s", old: str = "p") -> str:
    """SQL for a measure a file lacks, carried from the key's earlier row, but left NULL
    where the file replaced a ratio partner it rested on (importer._merge_sheets' rule,
    across files): 199 replies kept over a later file's 150 receptions read as 132.7%."""
    replaced = _replaced_partner(m, present, new, old)
    return f"CASE WHEN {replaced} THEN NULL ELSE {old}.{m} END" if replaced else f"{old}.{m}"


def _unpaired_notes(cur, source: str, lacked: list[str], present) -> list[str]:
    """What `_carried` left empty, per measure, as import notes."""
    checks = {m: _replaced_partner(m, present) for m in lacked}
    checks = {m: replaced for m, replaced in checks.items() if replaced}
    if not checks:
        return []
    counts = cur.execute("SELECT " + ", ".join(f"count(*) FILTER (WHERE p.{m} IS NOT NULL AND ({replaced}))"
                                                 for m, replaced in checks.items()) + f" FROM {source}").fetchall()[0]
    notes = []
    for m, rows in zip(checks, counts):
        if not rows:
            continue
        partners = [p for p in RATIO_PARTNERS[m] if p in present]
        zh, en = "、".join(label(p) for p in partners), ", ".join(label(p, "en") for p in partners)
        notes.append(f"此前导入的“{label(m)}”与本文件给出的不同的“{zh}”不配套，已留空（{rows} 行） — "
                     f"{label(m, 'en')} of an earlier import rests on another {en} than this file gives: "
                     f"left empty (rows: {rows})")
    return notes


def _carry_again(cur, undone: int) -> None:
    """After an undo, the later rows of the undone import's keys (`undone_keys`) still hold
    what they carried over from it (Database._insert_facts): carry each measure their own
    file lacks again, from what is left, import by import (a later row carries from the
    one just redone), and settle their provisional flags the same way."""
    key = ", ".join(FACT_KEY)

    def keyed(alias: str) -> str:  # the undone import's keys, on one table of a join
        return f"({', '.join(f'{alias}.{k}' for k in FACT_KEY)}) IN (SELECT ({key}) FROM undone_keys)"

    later = cur.execute(
        f"""SELECT DISTINCT f.import_id, i.measures FROM fact_rows f JOIN imports i ON i.import_id = f.import_id
            WHERE f.import_id > ? AND f.source = 'export' AND {keyed('f')}
            ORDER BY f.import_id""", [undone]).fetchall()
    columns = _stored_measures(cur)
    covers = "list_has_all(?::VARCHAR[], coalesce(p.prior_measures, []::VARCHAR[]))"
    for import_id, own in later:
        own = [m for m in (own or []) if m in columns]
        lacked = [m for m in columns if m not in own]
        values = "".join(f", {_carried(m, own, 'r', 'p')} AS {m}" for m in lacked)
        cur.execute(
            f"""UPDATE fact_rows SET {", ".join(f"{m} = n.{m}" for m in lacked + ["provisional", "provisional_from"])}
                FROM (SELECT r.fact_id {values},
                             coalesce(r.provisional_from = {import_id}, false)
                                 OR (coalesce(p.provisional, false) AND NOT {covers}) AS provisional,
                             CASE WHEN r.provisional_from = {import_id} THEN {import_id}
                                  WHEN coalesce(p.provisional, false) AND NOT {covers} THEN p.provisional_from
                             END AS provisional_from
                      FROM fact_rows r LEFT JOIN (
                          SELECT f.*, i.measures AS prior_measures
                          FROM fact_rows f LEFT JOIN imports i ON i.import_id = f.provisional_from
                          WHERE f.source = 'export' AND f.import_id < {import_id} AND {keyed('f')}
                          QUALIFY row_number() OVER (PARTITION BY {", ".join(f"f.{k}" for k in FACT_KEY)}
                                                     ORDER BY f.import_id DESC) = 1
                      ) p USING ({key})
                      WHERE r.import_id = {import_id} AND r.source = 'export' AND {keyed('r')}) n
                WHERE fact_rows.fact_id = n.fact_id""", [own, own])


def _crossing_notes(cur, import_id: int) -> list[str]:
    """The records of this import and another that lie over each other's edge (a week over
    a month's end beside the month): `_refresh_current` counts only the longer, so say so."""
    pairs, others = cur.execute(
        """WITH l AS (
               SELECT fact_id, shop, account, date_from, date_to, import_id FROM facts f
               SEMI JOIN touched t ON f.shop = t.shop AND f.account = t.account
               WHERE f.source = 'export' AND f.date_to > f.date_from
               QUALIFY row_number() OVER (PARTITION BY shop, account, date_from, date_to
                                          ORDER BY import_id DESC, fact_id DESC) = 1)
           SELECT count(*), list(DISTINCT CASE WHEN a.import_id = $1 THEN b.import_id ELSE a.import_id END
                                 ORDER BY CASE WHEN a.import_id = $1 THEN b.import_id ELSE a.import_id END)
           FROM l a JOIN l b ON a.shop = b.shop AND a.account = b.account AND a.fact_id < b.fact_id
                AND b.date_from <= a.date_to AND b.date_to >= a.date_from
                AND NOT (b.date_from >= a.date_from AND b.date_to <= a.date_to)
                AND NOT (a.date_from >= b.date_from AND a.date_to <= b.date_to)
           WHERE $1 IN (a.import_id, b.import_id)""", [import_id]).fetchall()[0]
    if not pairs:
        return []
    named = "、".join(f"#{i}" for i in others if i != import_id) or f"#{import_id}"
    return [(f"{pairs} 条记录与导入 {named} 的记录时段交叉（如跨月的周报与月报），同一天不能计两次："
             f"按天数多的记录计，较短的不计入 — {pairs} {'record overlaps' if pairs == 1 else 'records overlap'} import "
             f"{named.replace('、', ', ')}'s "
             "without lying inside them (a week over a month's end beside the month): no day counts twice, so "
             "the longer record counts and the shorter does not")]


def _shadow_notes(cur, import_id: int) -> list[str]:
    """This import's records that `_refresh_current` does not count because records of other
    spans cover their days: a weekly or monthly record beside daily ones that cover it, or
    daily records inside a longer one that still stands (until every day is in)."""
    given_way, waiting = cur.execute(
        """WITH o AS (  -- each of them against the counted records over its days
               SELECT n.fact_id, c.date_from >= n.date_from AND c.date_to <= n.date_to AS inside,
                      n.date_from >= c.date_from AND n.date_to <= c.date_to AS around
               FROM facts n JOIN facts c ON c.current AND c.shop = n.shop AND c.account = n.account
                    AND c.date_from <= n.date_to AND c.date_to >= n.date_from
               WHERE n.import_id = ? AND NOT n.current)
           SELECT count(*) FILTER (WHERE inside AND NOT crossed), count(*) FILTER (WHERE around)
           FROM (SELECT fact_id, bool_or(inside) AS inside, bool_or(around) AS around,
                        bool_or(NOT inside AND NOT around) AS crossed
                 FROM o GROUP BY fact_id)""", [import_id]).fetchall()[0]
    notes = []
    earlier = cur.execute("SELECT import_id, count(*) FROM displaced WHERE import_id <> ? GROUP BY ALL ORDER BY 1",
                          [import_id]).fetchall()
    if earlier:
        count = sum(n for _, n in earlier)
        named = "、".join(f"#{i}" for i, _ in earlier)
        notes.append(f"导入 {named} 的 {count} 条跨多天的记录（周报、月报）不再计入：这些天现在有逐日数据，按逐日数据计 — "
                     f"{count} multi-day {'record' if count == 1 else 'records'} of import {named.replace('、', ', ')} "
                     f"no longer {'counts' if count == 1 else 'count'}: daily figures now cover those days and count "
                     "instead")
    if given_way:
        notes.append(f"{given_way} 条跨多天的记录（周报、月报）没有计入：逐日数据已覆盖这些天，按逐日数据计 — {given_way} "
                     f"multi-day {'record' if given_way == 1 else 'records'} (a weekly or monthly export) not counted: "
                     "daily figures already cover those days and count instead")
    if waiting:
        notes.append(f"{waiting} 条逐日记录暂不计入：已有的周报或月报覆盖这些天，逐日数据补齐其中每一天后改按逐日数据计 — "
                     f"{waiting} daily {'record' if waiting == 1 else 'records'} not counted yet: a weekly or monthly "
                     "export covers those days, and counts until daily figures cover every one of them")
    return notes


def _cast(column: str) -> str:
    if column in ("date_from", "date_to"):
        return f"CAST({column} AS DATE)"
    if column == "provisional":
        return "coalesce(CAST(provisional AS BOOLEAN), false)"
    if column in ("shop", "account"):
        return f"CAST({column} AS VARCHAR)"
    return f"CAST({column} AS DOUBLE)"


def is_csperf_database(path: str | os.PathLike) -> bool:
    """Was the file written by csperf (a schema version and its imports), read without
    changing it? Opening it as a Database would give any DuckDB file csperf's empty schema."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = {name for (name,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        return {"schema_version", "imports"} <= tables and bool(
            con.execute("SELECT count(*) FROM schema_version").fetchall()[0][0])
    finally:
        con.close()


_open: dict[str, Database] = {}
_open_lock = threading.Lock()


def open_db(path: str | os.PathLike | None = None) -> Database:
    """The process's one Database for a path (created and migrated on first use)."""
    key = str(resolve_path(path)) if path != ":memory:" else ":memory:"
    with _open_lock:
        if key not in _open:
            _open[key] = Database(key)
        return _open[key]


def close_all() -> None:
    with _open_lock:
        for db in _open.values():
            db.close()
        _open.clear()


@contextmanager
def closing_opened() -> Iterator[None]:
    """Close on the way out the databases `open_db` opens inside (a command's): one left open
    at exit while a background thread still runs (the importer hashing a file it refused)
    makes DuckDB's bindings print some 60 lines of "nanobind: leaked … instances!"."""
    with _open_lock:
        before = set(_open)
    try:
        yield
    finally:
        with _open_lock:
            for key in [key for key in _open if key not in before]:
                _open.pop(key).close()
