"""Backups that can be taken while the dashboard runs, and their restore.

Copying the .duckdb file of a running process can catch it half-written, and while the
dashboard runs no other process may even open the file. So the backup is made by the
process that holds the database: it attaches a new file and copies every table and
sequence into it under the write lock. The CLI, locked out, leaves a small request in the
inbox that the dashboard fulfils (inbox.process). Restore works on a stopped database
only, and sets the replaced file aside instead of deleting it.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import uuid
from datetime import datetime
from pathlib import Path

from csperf import db as dbmod
from csperf.db import Database, DatabaseBusy

BACKUP_SUFFIX = ".duckdb"
NOT_A_DATABASE = {".csv", ".xlsx", ".xls", ".json", ".txt", ".toml"}
REQUESTS_DIR = "requests"
_DUCKDB_MAGIC = b"DUCK"  # bytes 8..12 of every DuckDB database file


def _stamp() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S")


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _names_a_folder(dest: str | Path) -> bool:
    """`backups/` means a folder, made if need be (Path() drops the slash that says so)."""
    return str(dest).endswith(("/", os.sep))


def _target(dest: str | Path) -> Path:
    """A folder (existing, or named with a trailing slash) gets a dated file inside, with
    -2, -3… for a second backup within the same second; a name without suffix gets `.duckdb`."""
    folder = _names_a_folder(dest)
    dest = Path(dest).expanduser().resolve()
    if folder or dest.is_dir():
        stem = f"csperf-backup-{_stamp()}"
        for n in itertools.count(1):
            target = dest / f"{stem}{f'-{n}' if n > 1 else ''}{BACKUP_SUFFIX}"
            if not target.exists():
                return target
    if dest.suffix.lower() in NOT_A_DATABASE:  # `backup 导出.csv` meant an export, not a database copy
        raise ValueError(f"备份是一个数据库文件，不能命名为 {dest.name}（用 .duckdb 或不加后缀） — a backup is a "
                         f"database file, not {dest.suffix}: name it .duckdb or give no suffix")
    return dest if dest.suffix else dest.with_suffix(BACKUP_SUFFIX)


def _remove_with_wal(path: Path) -> None:
    path.unlink(missing_ok=True)
    Path(f"{path}.wal").unlink(missing_ok=True)


def backup(db: Database, dest: str | Path) -> Path:
    """Write a consistent copy of the whole database; returns the file written.

    Never overwrites: an existing target file is refused.
    """
    target = _target(dest)
    if target.exists():
        raise ValueError(f"备份文件 {target} 已存在，不会覆盖 — backup target already exists")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")
    alias = f"csperf_backup_{uuid.uuid4().hex[:12]}"
    try:
        # db._lock is the lock every db.write() takes: no write lands while we copy.
        with db._lock, db.cursor() as cur:
            source = cur.execute("SELECT current_database()").fetchall()[0][0]
            cur.execute(f"ATTACH {_sql_text(str(partial))} AS {alias}")
            try:
                cur.execute(f'COPY FROM DATABASE "{source.replace(chr(34), chr(34) * 2)}" TO {alias}')
                cur.execute(f"CHECKPOINT {alias}")
            finally:
                cur.execute(f"DETACH {alias}")
        if target.exists():
            raise ValueError(f"备份文件 {target} 已存在，不会覆盖 — backup target already exists")
        os.replace(partial, target)
    finally:
        _remove_with_wal(partial)
    return target


def _is_duckdb_file(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(12)[8:12] == _DUCKDB_MAGIC


def _ensure_not_open(db_path: Path) -> None:
    """DatabaseBusy if this or another process has the database open."""
    if str(db_path) in dbmod._open:
        raise DatabaseBusy(f"数据库 {db_path} 正在本进程中打开，无法恢复 — database is open in this process")
    if not db_path.exists():
        return
    try:
        Database(db_path).close()
    except DatabaseBusy:
        raise
    except Exception:  # unreadable, but nobody holds it: it is about to be set aside anyway
        return


def restore(src: Path, db_path: Path) -> Path | None:
    """Replace the database file with a backup; returns where the old file was set aside.

    The database must not be open anywhere (DatabaseBusy otherwise). The backup is
    checked and brought up to the current schema before it replaces anything.
    """
    src = Path(src).expanduser().resolve()
    db_path = Path(db_path).expanduser().resolve()
    if not src.is_file():
        raise FileNotFoundError(f"找不到备份文件 {src} — backup file not found")
    if src == db_path:
        raise ValueError(f"备份文件就是数据库本身: {src} — backup and database are the same file")
    if not _is_duckdb_file(src):
        raise ValueError(f"{src} 不是 csperf 备份 (DuckDB 数据库文件) — not a database backup")
    _ensure_not_open(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    staged = db_path.with_name(f".{db_path.name}.{uuid.uuid4().hex[:8]}.restoring")
    try:
        shutil.copyfile(src, staged)
        try:
            ours = dbmod.is_csperf_database(staged)
            if ours:
                Database(staged).close()  # opens, migrates and checkpoints the copy
        except Exception as exc:
            raise ValueError(f"备份文件 {src} 无法打开: {exc} — the backup is damaged") from None
        if not ours:  # another tool's database would be "restored" as an empty csperf one
            raise ValueError(f"{src} 不是 csperf 备份（没有 csperf 的数据表），数据库未改动 — not a csperf backup "
                             "(none of csperf's tables): the database was left as it was")
        set_aside = None
        if db_path.exists():
            set_aside = db_path.with_name(f"{db_path.name}.before-restore-{_stamp()}")
            os.replace(db_path, set_aside)
            old_wal = Path(f"{db_path}.wal")
            if old_wal.exists():
                os.replace(old_wal, Path(f"{set_aside}.wal"))
        os.replace(staged, db_path)
    finally:
        _remove_with_wal(staged)
    return set_aside


# -- requests from a process that cannot open the database ---------------------------------

def request_backup(inbox: Path, dest: str | Path) -> Path:
    """Ask the process holding the database for a backup; returns the request file.

    `dest` is resolved here, in the asking process, so a relative path means what the
    user meant. The request is published atomically so it is never read half-written.
    """
    folder = Path(inbox) / REQUESTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    name = f"backup-{_stamp()}-{uuid.uuid4().hex[:8]}.json"
    payload = {
        "action": "backup",
        "dest": str(Path(dest).expanduser().resolve()) + (os.sep if _names_a_folder(dest) else ""),
        "requested_at": datetime.now().isoformat(timespec="seconds"),
        "requested_by_pid": os.getpid(),
    }
    partial = folder / f".{name}.part"
    partial.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(partial, folder / name)
    return folder / name


def fulfil_request(db: Database, request: Path) -> Path:
    """Carry out one request file; returns the backup written. ValueError for a bad request."""
    try:
        payload = json.loads(Path(request).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"请求文件 {Path(request).name} 无法读取: {exc} — unreadable request") from None
    if not isinstance(payload, dict) or payload.get("action") != "backup":
        raise ValueError(f"请求文件 {Path(request).name} 不是备份请求 — not a backup request")
    dest = str(payload.get("dest") or "")
    if not Path(dest).is_absolute():
        raise ValueError(f"请求文件 {Path(request).name} 的备份路径必须是绝对路径: {dest} — dest must be absolute")
    return backup(db, dest)


def finish_request(request: Path, outcome: dict) -> Path:
    """Move a handled request into requests/done or requests/failed with its outcome inside."""
    request = Path(request)
    try:
        payload = json.loads(request.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        payload = {"raw": request.read_bytes().decode("utf-8", "replace")}
    if not isinstance(payload, dict):
        payload = {"raw": payload}
    payload["finished_at"] = datetime.now().isoformat(timespec="seconds")
    payload["outcome"] = outcome
    folder = request.parent / ("done" if outcome.get("ok") else "failed")
    folder.mkdir(exist_ok=True)
    finished = folder / f"{request.stem}-{uuid.uuid4().hex[:6]}.json"
    finished.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    request.unlink()
    return finished
