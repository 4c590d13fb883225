"""The folder the dashboard watches, and the checks every uploaded file passes.

While the dashboard runs it holds the database and no other process may open it, so
the CLI (or a person) drops export files into this folder and the dashboard imports
them. The folder must never lose a file and never import one twice: files appear
atomically (written under a hidden temporary name, then renamed), a worker claims a
file by renaming it into processing/ (only one rename can win), and every file ends in
done/ or in failed/ with a .error.txt saying why. Names are sanitised so nothing can be
written outside the folder. The dashboard notes beside the database which folder it
watches, so a command started with other settings still drops its files where they are seen,
and only while a dashboard is watching: a database held by anything else is just busy.
"""

from __future__ import annotations

import codecs
import io
import itertools
import logging
import os
import re
import shutil
import tempfile
import threading
import time
import unicodedata
import uuid
import zipfile
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from csperf import backup
from csperf.db import PROJECT_ROOT, Database
from csperf.importer import SPREADSHEET_ML

log = logging.getLogger(__name__)

INBOX_ENV = "CSPERF_INBOX"
DEFAULT_INBOX = PROJECT_ROOT / "data" / "inbox"
DONE_DIR, FAILED_DIR, PROCESSING_DIR = "done", "failed", "processing"
ERROR_SUFFIX = ".error.txt"
ANNOUNCE_SUFFIX = ".inbox"  # beside the database: the folder its dashboard watches
WATCHER_PREFIX = ".watcher-"  # in the folder, per dashboard process id: the database it serves
WATCHER_FRESH_S = 300.0  # a watcher's polls keep its note younger than this (a long import included)

SETTLE_SECONDS = 2.0  # a file untouched this long is taken as completely written
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
KIND_BY_SUFFIX = {".xlsx": "xlsx", ".xls": "xls", ".csv": "csv"}
KIND_LABELS = {
    "xlsx": "Excel 工作簿 (.xlsx)",
    "xls": "旧版 Excel (.xls) 或加了密码的工作簿",
    "csv": "CSV 文本表格",
    "zip": "压缩包 (.zip)",
    "html": "网页表格 (HTML)",
    "xml": "Excel 2003 XML 表格",
    "markup": "网页/XML 表格 (HTML/XML)",
}
# The contents each extension may hold: platforms save an HTML table, an XML Spreadsheet
# 2003 or a bare BIFF stream as .xls, and the importer reads them all.
CONTENT_BY_KIND = {"xlsx": ("xlsx",), "xls": ("xls", "html", "xml"), "csv": ("csv",)}
_SNIFF_BYTES = 1024 * 1024
UPLOAD_PREFIX = "csperf-upload-"
UPLOAD_MAX_AGE_S = 24 * 3600  # an upload folder older than this was left by a session long gone
_MAX_NAME_BYTES = 180  # room for " (n)" and ".error.txt" under the usual 255-byte limit
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                     *(f"LPT{i}" for i in range(1, 10))}
_FORBIDDEN_CHARS = set('<>:"|?*')
_RECENT_EVENTS = 50

# Claims made by this process carry this prefix; any other claim was left by a process
# that stopped mid-import (only the process holding the database imports).
_RUN_ID = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
_lock = threading.Lock()  # guards the memories below and the return of stale claims
_place_lock = threading.Lock()  # only for filesystems without hard links
_requests_lock = threading.Lock()
_seen_sizes: dict[str, dict[str, int]] = {}
_recent: dict[str, deque[InboxEvent]] = {}

Importer = Callable[..., object]


@dataclass
class InboxEvent:
    """What happened to one file or request, for the dashboard and the CLI."""

    file: str
    outcome: str  # imported | duplicate | failed | returned | backup | backup_failed
    message: str
    path: Path | None = None
    import_id: int | None = None
    at: datetime = field(default_factory=datetime.now)

    @property
    def ok(self) -> bool:
        return self.outcome not in ("failed", "backup_failed")

    def __str__(self) -> str:
        mark = "=" if self.outcome == "duplicate" else "✓" if self.ok else "✗"
        if self.message.startswith(self.file):  # the importer's messages name the file already
            return f"{mark} {self.message}"
        return f"{mark} {self.file}: {self.message}"


# -- the folder ------------------------------------------------------------------------------

def inbox_dir(path: str | os.PathLike | None = None) -> Path:
    """`path`, else $CSPERF_INBOX, else data/inbox in the project; created with its subfolders."""
    folder = Path(path or os.environ.get(INBOX_ENV) or DEFAULT_INBOX).expanduser().resolve()
    for sub in ("", DONE_DIR, FAILED_DIR, PROCESSING_DIR, backup.REQUESTS_DIR):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return folder


def _watcher_note(folder: Path, pid: int) -> Path:
    return folder / f"{WATCHER_PREFIX}{pid}"


def announce(db_path: str | os.PathLike) -> Path:
    """Note beside the database (`<db>.inbox`) the folder the dashboard serving it watches,
    and in that folder that this process watches it for that database (its polls keep the
    note fresh): a csperf command the database refuses then drops its files and backup
    requests there, even where the dashboard was started with another $CSPERF_INBOX than
    the command, and only while a dashboard is there to take them."""
    folder = inbox_dir()
    try:
        Path(f"{db_path}{ANNOUNCE_SUFFIX}").write_text(str(folder), encoding="utf-8")
        _watcher_note(folder, os.getpid()).write_text(str(Path(db_path).resolve()), encoding="utf-8")
    except OSError as exc:  # a read-only folder: commands cannot hand this dashboard their work
        log.warning("could not note the inbox beside %s: %s", db_path, exc)
    return folder


def _announced(db_path: str | os.PathLike) -> str:
    try:
        return Path(f"{db_path}{ANNOUNCE_SUFFIX}").read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def watched_folder(db_path: str | os.PathLike) -> Path:
    """The folder the dashboard serving `db_path` announced, else this process's inbox."""
    return inbox_dir(_announced(db_path) or None)


def dashboard_inbox(db_path: str | os.PathLike, holder: int | None = None) -> Path | None:
    """The folder a dashboard serving `db_path` watches now, or None when none does (a file
    handed over then would wait for nobody). `holder` is the process holding the database,
    where known: it must be that dashboard."""
    named = _announced(db_path)
    if not named:
        return None
    folder = Path(named)
    notes = [_watcher_note(folder, holder)] if holder else folder.glob(f"{WATCHER_PREFIX}*")
    database = str(Path(db_path).resolve())
    for note in notes:
        try:
            fresh = time.time() - note.stat().st_mtime < WATCHER_FRESH_S
            if fresh and note.read_text(encoding="utf-8").strip() == database:
                return inbox_dir(folder)
        except OSError:  # no such note, or one going as we read it
            continue
    return None


def _still_watching(folder: Path) -> None:
    """Refresh this process's watcher note, if it announced one (see `announce`)."""
    try:
        os.utime(_watcher_note(folder, os.getpid()))
    except OSError:  # a one-off `csperf inbox`: no dashboard, no note
        pass


def safe_name(name: str) -> str:
    """A plain file name that stays inside the folder: no directories, '..', control
    characters or characters Windows forbids; Chinese text and the extension are kept."""
    text = unicodedata.normalize("NFC", str(name)).replace("\\", "/")
    parts = [p for p in text.split("/") if p.strip(" .")]
    text = parts[-1] if parts else ""
    text = "".join(
        "_" if ch in _FORBIDDEN_CHARS else ch
        for ch in text
        if unicodedata.category(ch) not in ("Cc", "Cf")
    ).strip(" .\u3000")
    stem, suffix = _split(text)
    if stem.upper() in _WINDOWS_RESERVED:
        stem = "_" + stem
    while len((stem + suffix).encode("utf-8")) > _MAX_NAME_BYTES:
        stem = stem[:-1]
    return (stem or "upload") + suffix


def _split(name: str) -> tuple[str, str]:
    dot = name.rfind(".")
    if dot <= 0 or len(name) - dot > 10:
        return name, ""
    return name[:dot], name[dot:]


def _move_no_clobber(src: Path, dest: Path) -> None:
    """Rename that fails with FileExistsError instead of replacing an existing file."""
    if os.name == "nt":
        os.rename(src, dest)  # Windows refuses an existing target
        return
    try:
        os.link(src, dest)  # atomic, and refuses an existing target
    except FileExistsError:
        raise
    except OSError:  # a filesystem without hard links (FAT, some network shares)
        with _place_lock:
            if dest.exists():
                raise FileExistsError(dest) from None
            os.replace(src, dest)
        return
    os.unlink(src)


def _place(src: Path, folder: Path, name: str) -> Path:
    """Move `src` into `folder` as `name`, or `name (2)`, `name (3)`… if taken."""
    stem, suffix = _split(name)
    for n in itertools.count(1):
        dest = folder / (name if n == 1 else f"{stem} ({n}){suffix}")
        try:
            _move_no_clobber(src, dest)
            return dest
        except FileExistsError:
            continue


def drop_files(paths: Iterable[str | os.PathLike], inbox: str | os.PathLike | None = None) -> list[Path]:
    """Copy files into the inbox for the running dashboard; returns where each landed."""
    folder = inbox_dir(inbox)
    sources = [Path(p) for p in paths]
    missing = [str(s) for s in sources if not s.is_file()]
    if missing:
        raise FileNotFoundError(f"找不到文件: {', '.join(missing)} — file not found")
    placed = []
    for source in sources:
        partial = folder / f".{uuid.uuid4().hex}.part"
        try:
            with open(source, "rb") as src, open(partial, "xb") as out:
                while chunk := src.read(1024 * 1024):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            placed.append(_place(partial, folder, safe_name(source.name)))
        finally:
            partial.unlink(missing_ok=True)
    return placed


def file_id(path: Path) -> tuple[int, int]:
    """What follows a dropped file through the watcher's moves (a hard link or a rename keeps
    it), where its name may gain " (2)" on the way."""
    stat = path.stat()
    return stat.st_dev, stat.st_ino


def await_outcomes(dropped: dict[Path, tuple[int, int]], timeout_s: float,
                   poll_s: float = 0.5) -> list[tuple[Path, str, str]]:
    """What the dashboard made of files dropped into its inbox (`dropped`: each path with its
    file_id, taken as it landed), waited for up to `timeout_s`: per file "imported" (or found a
    duplicate), "failed" with the error it filed, or "pending". A command that hands files over
    can then report a failure and exit with it, instead of promising an import that failed."""
    found: dict[Path, tuple[str, str]] = {}
    deadline = time.monotonic() + timeout_s
    while True:
        for folder in {path.parent for path in dropped}:
            for sub, outcome in ((DONE_DIR, "imported"), (FAILED_DIR, "failed")):
                for entry in (folder / sub).glob("*") if (folder / sub).is_dir() else ():
                    if entry.name.endswith(ERROR_SUFFIX) or entry.name.startswith("."):
                        continue
                    try:
                        landed = file_id(entry)
                    except FileNotFoundError:
                        continue
                    for path, wanted in dropped.items():
                        if path not in found and wanted == landed:
                            found[path] = (outcome, _filed_error(entry) if outcome == "failed" else "")
        if len(found) == len(dropped) or time.monotonic() >= deadline:
            return [(path, *found.get(path, ("pending", ""))) for path in dropped]
        time.sleep(poll_s)


def _filed_error(failed_file: Path) -> str:
    """The message _write_error filed beside a failed file (after its name and time)."""
    try:
        text = failed_file.with_name(failed_file.name + ERROR_SUFFIX).read_text(encoding="utf-8")
    except OSError:
        return ""
    return text.split("\n\n", 1)[-1].strip()


def _is_candidate(entry: Path) -> bool:
    name = entry.name
    return (
        not name.startswith((".", "~$"))  # our temporary names, hidden files, Office lock files
        and entry.suffix.lower() in KIND_BY_SUFFIX  # so also no .part / .tmp / .crdownload
        and entry.is_file()
        and not entry.is_symlink()
    )


def _last_change(stat: os.stat_result) -> float:
    # On POSIX st_ctime moves with every write even when a copier backdates st_mtime;
    # on Windows it is the creation time, which is still no later than the last write.
    return max(stat.st_mtime, stat.st_ctime)


def pending(inbox: str | os.PathLike | None = None, settle_seconds: float = SETTLE_SECONDS) -> list[Path]:
    """Spreadsheet files ready to import, oldest first.

    Skipped: hidden and temporary names, Office lock files, other file types, files
    changed within `settle_seconds`, and files whose size changed since the last call
    (still being copied in).
    """
    folder = inbox_dir(inbox)
    now = time.time()
    ready: list[tuple[int, str, Path]] = []
    with _lock:
        before = _seen_sizes.get(str(folder), {})
        sizes: dict[str, int] = {}
        for entry in folder.iterdir():
            if not _is_candidate(entry):
                continue
            try:
                stat = entry.stat()
            except FileNotFoundError:
                continue
            sizes[entry.name] = stat.st_size
            if before.get(entry.name, stat.st_size) != stat.st_size:
                continue
            if now - _last_change(stat) < settle_seconds:
                continue
            ready.append((stat.st_mtime_ns, entry.name, entry))
        _seen_sizes[str(folder)] = sizes
    return [entry for _mtime, _name, entry in sorted(ready)]


# -- processing --------------------------------------------------------------------------------

def _claim(folder: Path, path: Path) -> Path | None:
    """Move one file into a private folder under processing/; None if someone else won it."""
    claim_dir = folder / PROCESSING_DIR / f"{_RUN_ID}-{uuid.uuid4().hex[:8]}"
    claim_dir.mkdir(parents=True)
    target = claim_dir / path.name
    try:
        os.replace(path, target)
    except (FileNotFoundError, PermissionError):  # claimed already, or still open by its writer
        claim_dir.rmdir()
        return None
    return target


def _return_stale_claims(folder: Path) -> list[InboxEvent]:
    """Files left in processing/ by a process that stopped go back into the inbox."""
    events = []
    with _lock:
        for claim_dir in (folder / PROCESSING_DIR).iterdir():
            if not claim_dir.is_dir() or claim_dir.name.startswith(_RUN_ID):
                continue
            for leftover in claim_dir.iterdir():
                back = _place(leftover, folder, leftover.name)
                events.append(InboxEvent(leftover.name, "returned",
                                         "上次导入中断，已放回收件箱重新导入 — returned after an interrupted run", back))
            claim_dir.rmdir()
    return events


def _write_error(failed_file: Path, message: str) -> Path:
    partial = failed_file.parent / f".{uuid.uuid4().hex}.part"
    partial.write_text(
        f"{failed_file.name}\n{datetime.now():%Y-%m-%d %H:%M:%S}\n\n{message}\n", encoding="utf-8"
    )
    try:
        return _place(partial, failed_file.parent, failed_file.name + ERROR_SUFFIX)
    finally:
        partial.unlink(missing_ok=True)


def _fail(folder: Path, claimed: Path, message: str) -> InboxEvent:
    moved = _place(claimed, folder / FAILED_DIR, claimed.name)
    _write_error(moved, message)
    claimed.parent.rmdir()
    return InboxEvent(claimed.name, "failed", message, moved)


def _import_claimed(db: Database, folder: Path, claimed: Path, run: Importer, user: str) -> InboxEvent:
    name = claimed.name
    try:
        result = run(db, claimed, user=user)
    except Exception as exc:  # a bad file must never stop the watcher or be lost
        message = str(exc) or type(exc).__name__
        if not isinstance(exc, ValueError):  # csperf.importer.BadInput is a ValueError
            log.exception("inbox: importing %s failed unexpectedly", name)
            message = f"导入时出现内部错误 — internal error ({type(exc).__name__}): {message}"
        return _fail(folder, claimed, message)
    if getattr(result, "error", None):
        return _fail(folder, claimed, str(result.error))
    moved = _place(claimed, folder / DONE_DIR, name)
    claimed.parent.rmdir()
    import_id = getattr(result, "import_id", None)
    duplicate = bool(getattr(result, "duplicate", False))
    summary = getattr(result, "summary", None)
    message = summary().lstrip("✓=✗ ") if callable(summary) else (
        f"与导入 #{import_id} 内容相同，已跳过 — duplicate" if duplicate else f"已导入 #{import_id} — imported"
    )
    return InboxEvent(name, "duplicate" if duplicate else "imported", message, moved, import_id)


def _fulfil_requests(db: Database, folder: Path) -> list[InboxEvent]:
    events = []
    with _requests_lock:
        for request in sorted((folder / backup.REQUESTS_DIR).glob("*.json")):
            if request.name.startswith("."):
                continue
            try:
                written = backup.fulfil_request(db, request)
            except Exception as exc:  # filed as failed, so it is not retried on every poll
                backup.finish_request(request, {"ok": False, "error": str(exc)})
                events.append(InboxEvent(request.name, "backup_failed", f"备份失败: {exc}"))
                continue
            backup.finish_request(request, {"ok": True, "path": str(written)})
            events.append(InboxEvent(request.name, "backup", f"已备份到 {written} — backup written", written))
    return events


def _default_importer() -> Importer:
    from csperf.importer import import_file

    return import_file


def process(
    db: Database,
    inbox: str | os.PathLike | None = None,
    user: str | None = "inbox",
    importer: Importer | None = None,
    settle_seconds: float = SETTLE_SECONDS,
) -> list[InboxEvent]:
    """Fulfil backup requests, then import every ready file once; safe to call from
    several threads at once. `importer(db, path, user=...)` defaults to
    csperf.importer.import_file."""
    folder = inbox_dir(inbox)
    user = user or "inbox"
    _still_watching(folder)
    events = _return_stale_claims(folder) + _fulfil_requests(db, folder)
    ready = pending(folder, settle_seconds)
    run = importer or (_default_importer() if ready else None)
    for path in ready:
        claimed = _claim(folder, path)
        if claimed is not None:
            events.append(_import_claimed(db, folder, claimed, run, user))
            _still_watching(folder)
    if events:
        with _lock:
            _recent.setdefault(str(folder), deque(maxlen=_RECENT_EVENTS)).extend(events)
    return events


def _count_files(folder: Path, skip_suffix: str | None = None) -> int:
    try:
        return sum(1 for e in folder.iterdir()
                   if e.is_file() and not e.name.startswith(".")
                   and not (skip_suffix and e.name.endswith(skip_suffix)))
    except FileNotFoundError:  # a claim folder removed while we looked
        return 0


def state(inbox: str | os.PathLike | None = None) -> dict:
    """Counts per stage and the latest events (newest first), for the dashboard."""
    folder = inbox_dir(inbox)
    waiting = [e for e in folder.iterdir() if _is_candidate(e)]
    ignored = [e.name for e in folder.iterdir()
               if e.is_file() and not e.name.startswith(".") and not _is_candidate(e)]
    with _lock:
        events = list(reversed(_recent.get(str(folder), ())))
    return {
        "inbox": str(folder),
        "pending": len(waiting),
        "processing": sum(_count_files(d) for d in (folder / PROCESSING_DIR).iterdir() if d.is_dir()),
        "done": _count_files(folder / DONE_DIR),
        "failed": _count_files(folder / FAILED_DIR, skip_suffix=ERROR_SUFFIX),
        "requests": sum(1 for e in (folder / backup.REQUESTS_DIR).glob("*.json") if not e.name.startswith(".")),
        "ignored": sorted(ignored),
        "events": events,
    }


# -- upload checks -----------------------------------------------------------------------------

def _decode_sample(data: bytes) -> tuple[str, str] | None:
    """(text, encoding) of the first megabyte, or None when it is neither UTF-8 nor GB18030."""
    sample = data[:_SNIFF_BYTES]
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return codecs.getincrementaldecoder(encoding)().decode(sample, final=len(data) <= _SNIFF_BYTES), encoding
        except UnicodeDecodeError:
            continue
    return None


# What csperf.importer._open_sheets reads as legacy Excel: an OLE2 compound file, or a
# bare BIFF stream (xlrd then wants a BOF record of 4 to 20 bytes).
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BIFF_BOF = (b"\x09\x00", b"\x09\x02", b"\x09\x04", b"\x09\x08")
_HTML_SNIFF_BYTES = 8192  # the importer takes markup for a page when it sees one this far in
# ... and reads the <td>/<th> cells of its tables, or an XML Spreadsheet 2003's worksheets
_TABLE_CELL = re.compile(rb"<t[dh][\s/>]", re.IGNORECASE)


def _bare_biff(data: bytes) -> bool:
    return data[:2] in _BIFF_BOF and len(data) >= 4 and 4 <= int.from_bytes(data[2:4], "little") <= 20


def _sniff(data: bytes) -> str | None:
    """The kind of a file by its bytes: xlsx, xls, csv, zip, html (a page or table the
    importer reads as a sheet), xml (an XML Spreadsheet 2003), markup (other HTML/XML), or None."""
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = archive.namelist()
        except zipfile.BadZipFile:
            return None
        return "xlsx" if any(n.startswith("xl/") for n in names) else "zip"
    if data.startswith(_OLE2) or _bare_biff(data):
        return "xls"
    decoded = _decode_sample(data)
    if decoded is None or "\x00" in decoded[0]:
        return None
    text, encoding = decoded
    if sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\r\n") > len(text) // 100:
        return None
    head = text.lstrip().lower()
    if head.startswith("<") and SPREADSHEET_ML.encode() in data[:_HTML_SNIFF_BYTES]:
        return "xml"
    if head.startswith("<") and _TABLE_CELL.search(data):
        page = data[:_HTML_SNIFF_BYTES].decode(encoding, errors="ignore").lower()
        if "<table" in page or "<html" in page:
            return "html"
    if head.startswith(("<!doctype", "<html", "<table", "<?xml")):
        return "markup"
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    return "csv" if any(d in line for line in lines for d in ",\t;|") else None


def check_upload(name: str, data: bytes, max_bytes: int = MAX_UPLOAD_BYTES) -> str:
    """The kind of an uploaded file ('xlsx', 'xls' or 'csv'), judged by its content: what
    the importer reads, under a name that says so (an HTML table or a bare BIFF stream
    named .xls is the legacy .xls some platforms export).

    Raises ValueError with a message to show as is when the file is too big, empty, of
    a type not accepted, or its content does not match its name.
    """
    shown = safe_name(name)
    megabyte = 1024 * 1024
    if len(data) > max_bytes:
        raise ValueError(
            f"文件 {shown} 太大 ({len(data) / megabyte:.1f} MB)，上限 {max_bytes / megabyte:.0f} MB — file too large"
        )
    if not data:
        raise ValueError(f"文件 {shown} 是空的 — file is empty")
    suffix = Path(shown).suffix.lower()
    expected = KIND_BY_SUFFIX.get(suffix)
    if expected is None:
        raise ValueError(
            f"文件 {shown}: 不支持的文件类型 {suffix or '(无扩展名)'}，只接受 .xlsx、.xls、.csv — file type not allowed"
        )
    detected = _sniff(data)
    if detected is None:
        raise ValueError(f"文件 {shown} 的内容不是 Excel 或 CSV 表格 — content is not a spreadsheet")
    if detected not in CONTENT_BY_KIND[expected]:
        hint = "请解压后上传其中的表格文件" if detected == "zip" else "请用 Excel 打开后另存为 .xlsx 再上传"
        raise ValueError(
            f"文件 {shown} 的扩展名是 {suffix}，但内容是{KIND_LABELS[detected]}；{hint} — "
            f"name and content do not match ({suffix} vs {detected})"
        )
    return expected


def upload_folder() -> Path:
    """A new private folder for the files one browser session uploads (kept there while
    they are previewed; the page removes it once they are imported). Folders that
    sessions left behind without importing go once they are a day old."""
    cutoff = time.time() - UPLOAD_MAX_AGE_S
    for old in Path(tempfile.gettempdir()).glob(f"{UPLOAD_PREFIX}*"):
        try:
            if old.is_dir() and old.stat().st_mtime < cutoff:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            continue
    return Path(tempfile.mkdtemp(prefix=UPLOAD_PREFIX))
