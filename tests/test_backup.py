import json
import os
import subprocess
import sys
import textwrap
import threading
from datetime import date

import pandas as pd
import pytest

from csperf import backup
from csperf import db as dbmod
from csperf.db import Database, DatabaseBusy, ImportMeta

TABLES = ["imports", "facts", "sessions", "roster", "users", "audit", "meta", "schema_version"]


def _populate(db: Database) -> None:
    facts = pd.DataFrame({
        "shop": ["旗舰店", "旗舰店"],
        "account": ["旗舰店:小王", "旗舰店:小李"],
        "date_from": [date(2026, 10, 1)] * 2,
        "date_to": [date(2026, 10, 31)] * 2,
        "provisional": [False, False],
        "receptions": [120.0, 80.0],
        "sales": [5000.5, 3200.0],
    })
    db.apply_import(ImportMeta("十月.xlsx", "sha-1", "xlsx", imported_by="boss"), facts)
    with db.write() as cur:
        cur.execute("INSERT INTO roster (shop, account, name, level) VALUES ('旗舰店', '旗舰店:小王', '王', 'mid')")
        cur.execute("INSERT INTO users (username, password_hash, role) VALUES ('boss', '$argon2id$x', 'owner')")
        db.audit(cur, "boss", "roster", "added 王")


def _contents(db: Database) -> dict[str, list[tuple]]:
    return {t: sorted(db.rows(f"SELECT * FROM {t}"), key=repr) for t in TABLES}


def test_backup_restores_identical_contents(tmp_path):
    live = Database(":memory:")
    _populate(live)
    expected = _contents(live)
    written = backup.backup(live, tmp_path / "copy.duckdb")
    assert written == tmp_path / "copy.duckdb"
    assert [p.name for p in tmp_path.iterdir()] == ["copy.duckdb"]  # no leftovers

    target = tmp_path / "restored" / "csperf.duckdb"
    assert backup.restore(written, target) is None
    restored = Database(target)
    assert _contents(restored) == expected
    # sequences continue after the copied rows, so the next import does not collide
    again = restored.apply_import(ImportMeta("十一月.xlsx", "sha-2", "xlsx"), None)
    assert again.import_id == 2
    restored.close()
    live.close()


def test_backup_into_a_folder_and_never_overwrites(tmp_path):
    live = Database(tmp_path / "live.duckdb")
    _populate(live)
    folder = tmp_path / "backups"
    folder.mkdir()
    written = backup.backup(live, folder)
    assert written.parent == folder and written.name.startswith("csperf-backup-")
    assert written.suffix == ".duckdb"
    named = backup.backup(live, tmp_path / "named")
    assert named == tmp_path / "named.duckdb"
    with pytest.raises(ValueError, match="已存在"):
        backup.backup(live, named)
    live.close()


def test_a_backup_named_like_an_export_is_refused_and_nothing_written(tmp_path):
    live = Database(":memory:")
    _populate(live)
    with pytest.raises(ValueError, match="not .csv"):
        backup.backup(live, tmp_path / "周报.csv")
    assert not list(tmp_path.iterdir())


def test_a_folder_named_with_a_slash_is_made_and_backups_in_one_second_do_not_collide(tmp_path, monkeypatch):
    live = Database(":memory:")
    _populate(live)
    monkeypatch.setattr(backup, "_stamp", lambda: "20261124-060105")  # both within the same second
    first = backup.backup(live, f"{tmp_path / 'new-folder'}/")
    second = backup.backup(live, tmp_path / "new-folder")
    assert [first.name, second.name] == ["csperf-backup-20261124-060105.duckdb", "csperf-backup-20261124-060105-2.duckdb"]
    assert first.parent == second.parent == tmp_path / "new-folder"
    request = backup.request_backup(tmp_path / "inbox", f"{tmp_path / 'asked'}/")  # as the dashboard is asked
    assert backup.fulfil_request(live, request).parent == tmp_path / "asked"
    live.close()


def test_restore_sets_the_old_database_aside(tmp_path):
    source = Database(":memory:")
    _populate(source)
    saved = backup.backup(source, tmp_path / "saved.duckdb")
    source.close()

    target = tmp_path / "csperf.duckdb"
    other = Database(target)
    with other.write() as cur:
        cur.execute("INSERT INTO level_pay VALUES ('junior', 3000)")
    other.close()

    set_aside = backup.restore(saved, target)
    assert set_aside is not None and set_aside.name.startswith("csperf.duckdb.before-restore-")
    old = Database(set_aside)
    assert old.rows("SELECT * FROM level_pay") == [("junior", 3000.0)]
    old.close()
    back = Database(target)
    assert back.rows("SELECT count(*) FROM level_pay") == [(0,)]
    assert back.rows("SELECT count(*) FROM facts") == [(2,)]
    back.close()


def test_restore_refuses_a_database_open_in_this_process(tmp_path, monkeypatch):
    saved = backup.backup(Database(":memory:"), tmp_path / "saved.duckdb")
    target = tmp_path / "open.duckdb"
    live = Database(target)
    monkeypatch.setitem(dbmod._open, str(target.resolve()), live)  # as open_db registers it
    with pytest.raises(DatabaseBusy, match="正在本进程中打开"):
        backup.restore(saved, target)
    assert live.rows("SELECT count(*) FROM facts") == [(0,)]
    live.close()


def test_backup_is_consistent_while_imports_run(tmp_path):
    live = Database(":memory:")
    stop = threading.Event()

    def keep_importing():
        n = 0
        while not stop.is_set():
            n += 1
            facts = pd.DataFrame({"shop": ["店"], "account": [f"店:{n}"], "date_from": [date(2026, 10, 1)],
                                  "date_to": [date(2026, 10, 1)], "provisional": [False], "receptions": [1.0]})
            live.apply_import(ImportMeta(f"{n}.csv", f"sha-{n}", "csv"), facts)

    writer = threading.Thread(target=keep_importing)
    writer.start()
    try:
        copies = [backup.backup(live, tmp_path / f"b{i}.duckdb") for i in range(3)]
    finally:
        stop.set()
        writer.join()
    for copy in copies:
        restored = Database(copy)
        imports, facts, audits = restored.rows(
            "SELECT (SELECT count(*) FROM imports), (SELECT count(*) FROM facts), (SELECT count(*) FROM audit)"
        )[0]
        assert imports == facts == audits
        assert restored.data_version() == imports
        restored.close()
    live.close()


def test_restore_refuses_a_database_held_by_another_process(tmp_path):
    saved = backup.backup(Database(":memory:"), tmp_path / "saved.duckdb")
    target = tmp_path / "held.duckdb"
    Database(target).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys
            from csperf.db import Database
            db = Database({str(target)!r})
            print("ready", flush=True)
            sys.stdin.read()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(DatabaseBusy):
            backup.restore(saved, target)
    finally:
        holder.stdin.close()
        holder.wait()


def test_restore_rejects_files_that_are_not_backups(tmp_path):
    bogus = tmp_path / "notes.duckdb"
    bogus.write_bytes(b"just some text, not a database")
    with pytest.raises(ValueError, match="不是 csperf 备份"):
        backup.restore(bogus, tmp_path / "csperf.duckdb")
    with pytest.raises(FileNotFoundError, match="找不到备份文件"):
        backup.restore(tmp_path / "missing.duckdb", tmp_path / "csperf.duckdb")
    assert not (tmp_path / "csperf.duckdb").exists()


def test_request_is_fulfilled_and_filed(tmp_path, monkeypatch):
    live = Database(":memory:")
    _populate(live)
    monkeypatch.chdir(tmp_path)
    request = backup.request_backup(tmp_path / "inbox", "relative.duckdb")
    payload = json.loads(request.read_text(encoding="utf-8"))
    assert payload["action"] == "backup"
    assert payload["dest"] == str(tmp_path / "relative.duckdb")  # resolved by the asker

    written = backup.fulfil_request(live, request)
    assert written == tmp_path / "relative.duckdb"
    filed = backup.finish_request(request, {"ok": True, "path": str(written)})
    assert not request.exists()
    assert filed.parent.name == "done"
    assert json.loads(filed.read_text(encoding="utf-8"))["outcome"] == {"ok": True, "path": str(written)}


def test_bad_requests_are_refused(tmp_path):
    live = Database(":memory:")
    folder = tmp_path / "requests"
    folder.mkdir()
    garbled = folder / "a.json"
    garbled.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="无法读取"):
        backup.fulfil_request(live, garbled)
    relative = folder / "b.json"
    relative.write_text(json.dumps({"action": "backup", "dest": "x.duckdb"}), encoding="utf-8")
    with pytest.raises(ValueError, match="绝对路径"):
        backup.fulfil_request(live, relative)
    other = folder / "c.json"
    other.write_text(json.dumps({"action": "drop_tables"}), encoding="utf-8")
    with pytest.raises(ValueError, match="不是备份请求"):
        backup.fulfil_request(live, other)
    filed = backup.finish_request(garbled, {"ok": False, "error": "无法读取"})
    assert filed.parent.name == "failed"
    assert json.loads(filed.read_text(encoding="utf-8"))["raw"] == "{not json"


def test_restore_refuses_another_tools_database_and_changes_nothing(tmp_path):
    live = tmp_path / "csperf.duckdb"
    database = Database(live)
    _populate(database)
    expected = _contents(database)
    database.close()
    foreign = tmp_path / "other.duckdb"
    other = Database(":memory:")
    with other.cursor() as cur:  # a DuckDB file csperf never wrote
        cur.execute(f"ATTACH '{foreign}' AS other")
        cur.execute("CREATE TABLE other.foo (a INTEGER)")
        cur.execute("DETACH other")
    other.close()
    with pytest.raises(ValueError, match="不是 csperf 备份"):
        backup.restore(foreign, live)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["csperf.duckdb", "other.duckdb"]  # nothing set aside
    assert _contents(Database(live)) == expected


def test_a_backup_that_cannot_be_written_says_where_and_why(tmp_path):
    live = Database(":memory:")
    _populate(live)
    a_file = tmp_path / "copy.duckdb"
    a_file.write_bytes(b"x")
    for dest, why in ((a_file / "x.duckdb", f"（{a_file} 是文件，不是文件夹）"), ("/sys/x.duckdb", "（没有权限）"),
                      ("/proc/no-such-folder/x.duckdb", "（文件夹不存在）"),
                      ("/proc/x.duckdb", "（这个文件夹里不能创建文件）")):
        with pytest.raises(backup.BackupError) as refused:
            backup.backup(live, dest)
        assert str(refused.value).startswith("无法写入备份 ") and why in str(refused.value)
        assert " — cannot write the backup " in str(refused.value)
    assert [p.name for p in tmp_path.iterdir()] == ["copy.duckdb"]
    live.close()


def test_restore_of_a_folder_says_it_is_one(tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    with pytest.raises(ValueError, match="是一个文件夹，请指定其中的备份文件 — .* is a folder: name the backup file in it"):
        backup.restore(folder, tmp_path / "csperf.duckdb")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backups"]
