"""Several people on the real server at once while imports land.

The owner flips between the overview and the leaderboard, a supervisor between what-if
and the leaderboard, the meeting-room screen steps through the weekly review, while
export files arrive in the inbox in waves and the CLI hands in one more file and asks
for a backup (the dashboard holds the database, so the CLI must go through the inbox).
Nobody may see an exception or a lock/busy error, and afterwards every file must be in
the database exactly once, with all of its rows: no import lost, doubled or half done.

Everything runs on 127.0.0.1, with a bounded number of clients, files and rounds.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import sync_playwright

from browser_support import (
    AgentDay,
    assert_clean,
    exceptions,
    launch_chromium,
    login,
    new_page,
    open_page,
    screenshot,
    start_server,
    wait_idle,
    write_chitu_csv,
    write_pdd_export,
)
from csperf import inbox
from csperf.db import Database

pytestmark = [pytest.mark.server, pytest.mark.browser]

FILES = 12
WAVES = 4
MAX_ROUNDS = 60
DRAIN_S = 420  # the watcher polls every 3 s and lets a file settle 2 s; two cores share it with three browsers
BACKUP_S = 120
CLI_S = 120
TROUBLE = re.compile(r"traceback|exception|\berror\b|\bbusy\b|\block(ed)?\b|正被另一个进程使用|数据库.*占用", re.I)


def figures(n: int, which: int) -> AgentDay:
    """Distinct, hand-checkable figures for the `which`-th new agent of file `n`."""
    return AgentDay(f"并发{n:02d}{'甲乙'[which]}", receptions=100 + 10 * n + which, inquiries=50 + n + which,
                    paid=20 + which, sales=1000.0 + 100 * n + which)


def make_exports(folder: Path, count: int, first: int = 1) -> dict[str, tuple[str, date, list[AgentDay]]]:
    """`count` small exports, alternately Pinduoduo xlsx and 赤兔 csv, each for its own day
    and two agents nobody has seen: file name → (shop, day, agents)."""
    folder.mkdir(parents=True, exist_ok=True)
    made = {}
    for n in range(first, first + count):
        day = date(2026, 10, n)
        agents = [figures(n, 0), figures(n, 1)]
        if n % 2:
            path = write_pdd_export(folder / f"客服绩效_拼多多店_{day:%Y%m%d}.xlsx", "拼多多店", day, agents)
            made[path.name] = ("拼多多店", day, agents)
        else:
            path = write_chitu_csv(folder, "旗舰店", day, agents)
            made[path.name] = ("旗舰店", day, agents)
    return made


def csperf_command() -> list[str]:
    script = Path(sys.executable).parent / "csperf"
    return [str(script)] if script.exists() else [sys.executable, "-m", "csperf"]


class Client:
    """One signed-in browser session that keeps moving between its pages."""

    def __init__(self, browser, server, role: str, first_url: str, moves: list[str], width: int = 1440,
                 height: int = 900):
        self.role, self.moves, self.step = role, moves, 0
        self.page = new_page(browser, width, height)
        open_page(self.page, server.url(first_url))
        login(self.page, role)

    def move(self) -> None:
        """Start the next move without waiting for the page to finish."""
        target = self.moves[self.step % len(self.moves)]
        self.step += 1
        if target == "next-slide":
            self.page.get_by_role("button", name="下一页").click()
        elif target == "reload":  # a new connection, signed in again by the token the browser kept
            self.page.reload(wait_until="commit")
            self.page.get_by_role("button", name="下一页").wait_for()
        else:
            self.page.locator(".st-key-csperf-nav a").filter(has_text=target).first.click()

    def trouble(self) -> list[str]:
        """Exception boxes and lock/busy wording on the page, and a lost connection."""
        found = [f"{self.role}: exception {text[:300]}" for text in exceptions(self.page)]
        main = self.page.locator("[data-testid='stMain']")
        text = main.inner_text() if main.count() else ""
        found += [f"{self.role}: {line.strip()[:300]}" for line in text.splitlines() if TROUBLE.search(line)]
        try:
            assert_clean(self.page)
        except AssertionError as exc:
            found.append(f"{self.role}: {exc}")
        return found


def inbox_counts(folder: Path) -> dict[str, int]:
    state = inbox.state(folder)
    return {key: state[key] for key in ("pending", "processing", "done", "failed")}


@pytest.fixture
def server(tmp_path):
    running = start_server(tmp_path / "server")
    yield running
    running.stop()


@pytest.fixture
def browser():
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


def test_sessions_and_imports_at_once_lose_and_double_nothing(server, browser, tmp_path):
    dropped = make_exports(tmp_path / "exports", FILES)
    by_cli = make_exports(tmp_path / "cli", 1, first=FILES + 1)
    expected = dropped | by_cli

    # The owner opens the root; the others open their page straight from a bookmark.
    clients = [
        Client(browser, server, "owner", "", ["排行榜", "总览"]),
        Client(browser, server, "supervisor", "whatif", ["排行榜", "模拟"]),
        Client(browser, server, "viewer", "review", ["next-slide", "next-slide", "reload"], 1920, 1080),
    ]
    clients[0].page.locator("h1").filter(has_text="总览").wait_for()

    waves = [list(dropped)[i::WAVES] for i in range(WAVES)]
    backup_dest = tmp_path / "backups" / "during-imports.duckdb"
    problems: list[str] = []
    cli_output = ""
    deadline = time.monotonic() + DRAIN_S
    rounds = 0
    while rounds < MAX_ROUNDS and time.monotonic() < deadline:
        if waves:  # a wave of files arrives while every session is busy
            inbox.drop_files([tmp_path / "exports" / name for name in waves.pop(0)], server.inbox)
        for client in clients:
            client.move()
        if rounds == 1:  # the CLI, while the dashboard holds the database
            imported = subprocess.run(csperf_command() + ["import", str(tmp_path / "cli" / next(iter(by_cli)))],
                                      cwd=tmp_path, env=server.env(), capture_output=True, text=True,
                                      timeout=CLI_S)
            asked = subprocess.run(csperf_command() + ["backup", str(backup_dest)], cwd=tmp_path,
                                   env=server.env(), capture_output=True, text=True, timeout=CLI_S)
            cli_output = imported.stdout + imported.stderr + asked.stdout + asked.stderr
            assert imported.returncode == 0 and "收件箱" in imported.stdout, cli_output
            assert asked.returncode == 0 and "请求" in asked.stdout, cli_output
        for client in clients:
            wait_idle(client.page)
            problems += client.trouble()
        rounds += 1
        counts = inbox_counts(server.inbox)
        if not waves and counts["done"] + counts["failed"] >= len(expected) and counts["pending"] == 0 \
                and counts["processing"] == 0:
            break

    counts = inbox_counts(server.inbox)
    assert counts == {"pending": 0, "processing": 0, "done": len(expected), "failed": 0}, (
        f"after {rounds} rounds: {counts}\n" + "\n".join(str(e) for e in inbox.state(server.inbox)["events"])
        + "\n" + server.log_tail())
    assert problems == [], "\n".join(problems)

    # The backup was written by the server, on request, and is a whole database.
    deadline = time.monotonic() + BACKUP_S
    while not backup_dest.exists() and time.monotonic() < deadline:
        time.sleep(1)
    assert backup_dest.exists(), f"no backup at {backup_dest}:\n{cli_output}\n{server.log_tail()}"

    # One more round once everything has landed: every page redraws with the new figures.
    for client in clients:
        client.move()
    for client in clients:
        wait_idle(client.page)
        assert client.trouble() == []
        screenshot(client.page, f"20_concurrent_{client.role}")

    for client in clients:
        client.page.context.close()
    server.stop()
    log = server.log_path.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log, log[-4000:]

    database = Database(server.db_path)
    try:
        imports = database.query("SELECT import_id, file_name, rows, undone_at FROM imports")
        for name, (shop, day, agents) in expected.items():
            mine = imports[imports["file_name"] == name]
            assert len(mine) == 1, f"{name} imported {len(mine)} times"
            assert mine["undone_at"].isna().all() and int(mine["rows"].iloc[0]) == len(agents)
            import_id = int(mine["import_id"].iloc[0])
            stored = database.scalar("SELECT count(*) FROM facts WHERE import_id = ?", [import_id])
            assert stored == len(agents), f"{name}: {stored} rows stored, {len(agents)} in the file"
            for agent in agents:
                rows = database.query(
                    "SELECT receptions, inquiries, paid_buyers, sales, date_from, date_to FROM facts"
                    " WHERE shop = ? AND account = ? AND current", [shop, agent.account])
                assert len(rows) == 1, f"{shop}:{agent.account} has {len(rows)} current rows"
                row = rows.iloc[0]
                assert (row["receptions"], row["inquiries"], row["paid_buyers"]) == (
                    agent.receptions, agent.inquiries, agent.paid)
                assert row["sales"] == pytest.approx(agent.sales)
                assert row["date_from"] == row["date_to"] == pd.Timestamp(day)
        assert imports["file_name"].value_counts().max() == 1
    finally:
        database.close()

    backed_up = Database(backup_dest)
    try:
        assert backed_up.scalar("SELECT count(*) FROM imports WHERE file_name = 'synthetic.xlsx'") == 1
        assert backed_up.scalar("SELECT count(*) FROM facts") > 0
    finally:
        backed_up.close()

