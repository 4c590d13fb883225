"""Backups that can be taken while the dashboard runs, and their restore.

Copying the .duckdb file of a running process can catch it half-written, and while the
dashboard runs no other process may even open the file. So the backup is made by the
process that holds the database: it attaches a new file and copies every table and
sequence into it under the write lock. The CLI, locked out, leaves a small request in the
inbox that the dashboard fulfils (inbox.process). Restore works on a stopped database
only, and sets the replaced file aside instead of deleting it.
"""

from __future__ import annotations

import errno
import itertools
import json
import os
import shutil
import time
import uuid
from datetime import datetime
from pathlib import Path

import duckdb

from csperf import db as dbmod
from csperf.db import Database, DatabaseBusy

BACKUP_SUFFIX = ".duckdb"
NOT_A_DATABASE = {".csv", ".xlsx", ".xls", ".json", ".txt", ".toml"}
REQUESTS_DIR = "requests"
_DUCKDB_MAGIC = b"DUCK"  # bytes 8..12 of every DuckDB database file


class BackupError(ValueError):
    """A backup that cannot be written where asked (no permission, a read-only or full
    disk, a path through a file): a normal operator mistake, said in words, not a traceback."""


# errno → (中文, English): why a file could not be read or written, as an operator puts it
_OS_REASONS = {
    errno.EACCES: ("没有权限", "permission denied"),
    errno.EPERM: ("没有权限", "permission denied"),
    errno.EROFS: ("磁盘是只读的", "read-only file system"),
    errno.ENOSPC: ("磁盘空间不足", "no space left on the disk"),
    errno.ENOENT: ("文件夹不存在", "no such folder"),
    errno.EISDIR: ("这是一个文件夹", "it is a folder"),
}
# DuckDB words its own file errors: the strerror text inside them
_DUCKDB_REASONS = {"Permission denied": errno.EACCES, "Read-only file system": errno.EROFS,
                   "No space left on device": errno.ENOSPC, "No such file or directory": errno.ENOENT}


def os_reason(exc: BaseException) -> tuple[str, str]:
    """Why an OSError (or a DuckDB IO error) happened, in Chinese and in English."""
    code = getattr(exc, "errno", None)
    if code is None:
        code = next((c for text, c in _DUCKDB_REASONS.items() if text in str(exc)), None)
    if code in _OS_REASONS:
        return _OS_REASONS[code]
    text = getattr(exc, "strerror", None) or str(exc).removeprefix("IO Error: ")
    return text, text


def _a_file_on_the_way(folder: Path) -> Path | None:
    """The file standing where the path needs a folder (`backup 备份.duckdb/x.duckdb`)."""
    for part in (folder, *folder.parents):
        if part.exists():
            return None if part.is_dir() else part
    return None


def _unwritable(target: Path, exc: BaseException) -> BackupError:
    blocking = _a_file_on_the_way(target.parent)
    zh, en = (f"{blocking} 是文件，不是文件夹", f"{blocking} is a file, not a folder") if blocking else os_reason(exc)
    if en == "no such folder" and target.parent.is_dir():  # there, but it takes no new files (/proc)
        zh, en = "这个文件夹里不能创建文件", "no file can be made in that folder"
    return BackupError(f"无法写入备份 {target}（{zh}） — cannot write the backup {target} ({en})")


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
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")
    alias = f"csperf_backup_{uuid.uuid4().hex[:12]}"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
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
    except (OSError, duckdb.IOException) as exc:
        raise _unwritable(target, exc) from None
    finally:
        try:
            _remove_with_wal(partial)
        except OSError:  # where nothing could be written, nothing is left to remove
            pass
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
    if src.is_dir():  # `restore backups/`: which of the dated copies in it is meant?
        newest = max(src.glob(f"*{BACKUP_SUFFIX}"), key=lambda p: p.stat().st_mtime, default=None)
        raise ValueError(f"{src} 是一个文件夹，请指定其中的备份文件{f'，如 {newest}' if newest else ''} — {src} is a "
                         "folder: name the backup file in it")
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


def await_request(request: Path, timeout_s: float, poll_s: float = 0.5) -> tuple[str, str]:
    """What became of a request_backup request, waited for up to `timeout_s`: ("ok", the
    backup written), ("failed", why) or ("pending", "")."""
    deadline = time.monotonic() + timeout_s
    while True:
        for outcome in ("done", "failed"):
            for finished in (request.parent / outcome).glob(f"{request.stem}-*.json"):
                try:
                    told = json.loads(finished.read_text(encoding="utf-8")).get("outcome", {})
                except (OSError, ValueError):
                    continue  # being written
                return ("ok", str(told.get("path", ""))) if outcome == "done" else ("failed", str(told.get("error", "")))
        if time.monotonic() >= deadline:
            return "pending", ""
        time.sleep(poll_s)


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
