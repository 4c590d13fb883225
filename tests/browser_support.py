"""The real-server test tier: `streamlit run app.py` on a free loopback port over a
populated database file, driven by headless Debian Chromium the way a person would.

AppTest runs a page's script in-process; it never sees the browser, the websocket, the
file upload endpoint, the deep-link router, fonts or layout. These helpers start the
real server (its own database file and inbox in a temporary folder), wait for it, and
give the tests a few user-level moves: sign in, wait until the app is idle, take a
screenshot, check that nothing raised and nothing overlaps. Every wait is bounded, and
the server is always stopped, so a hung page fails a test instead of hanging the run.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
import xlsxwriter
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from conftest import PASSWORDS, populate
from csperf.db import PROJECT_ROOT, Database

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENS = PROJECT_ROOT / "test-output" / "screens" / "browser"
HOST = "127.0.0.1"
USERNAMES = {"owner": "owner", "supervisor": "super", "viewer": "viewer", "agent": "xiaomei"}

STARTUP_S = 120  # a cold start on a small CI machine imports pandas, plotly, duckdb
STOP_S = 20
IDLE_S = 90  # one page run, including a cold cache on two cores
ACTION_MS = 60_000  # Playwright's own timeout for one click, fill or wait


def free_port() -> int:
    """A TCP port nobody listens on right now, on loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def build_database(path: Path) -> Path:
    """conftest's populated database (6 agents, 2 shops, 60 days, one user per role) as a file."""
    database = Database(path)
    try:
        populate(database)
    finally:
        database.close()
    return path


@dataclass
class Server:
    """One `streamlit run app.py` process with its own database file and inbox folder."""

    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def db_path(self) -> Path:
        return self.folder / "app.duckdb"

    @property
    def inbox(self) -> Path:
        return self.folder / "inbox"

    @property
    def log_path(self) -> Path:
        return self.folder / "server.log"

    def env(self) -> dict[str, str]:
        """The environment of the server and of any CLI run against it."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
        env.update(CSPERF_DB=str(self.db_path), CSPERF_INBOX=str(self.inbox), PYTHONUNBUFFERED="1",
                   PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}")
        return env

    def url(self, path: str = "") -> str:
        return f"http://{HOST}:{self.port}/{path.lstrip('/')}"

    def start(self) -> Server:
        command = [str(Path(sys.executable).parent / "streamlit"), "run", "app.py",
                   "--server.headless", "true", "--server.port", str(self.port), "--server.address", HOST,
                   "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
                   "--server.runOnSave", "false"]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=self.env(), stdout=log,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        self.wait_healthy()
        return self

    def wait_healthy(self, timeout_s: float = STARTUP_S) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url("_stcore/health"), timeout=5) as reply:
                    if reply.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.5)
        raise TimeoutError(f"streamlit not healthy after {timeout_s} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """Stop the server (its own process group) and wait for it; kill it if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        for sig, wait_s in ((signal.SIGTERM, STOP_S), (signal.SIGKILL, STOP_S)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(timeout=wait_s)
                return
            except subprocess.TimeoutExpired:
                continue

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except FileNotFoundError:
            return "(no server log)"


def start_server(folder: Path) -> Server:
    """A populated database in `folder` and a healthy server over it (stopped by the caller)."""
    folder.mkdir(parents=True, exist_ok=True)
    server = Server(folder)
    build_database(server.db_path)
    try:
        return server.start()
    except BaseException:
        server.stop()
        raise


# -- the browser -------------------------------------------------------------------------------

def launch_chromium(playwright):
    """Debian's Chromium (Playwright cannot download its own here), headless."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (apt-get install chromium)")
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)


def new_page(browser, width: int = 1440, height: int = 900, downloads: bool = False):
    """A fresh context (its own cookies, so its own Streamlit session) and one page in it."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", accept_downloads=downloads)
    context.set_default_timeout(ACTION_MS)
    return context.new_page()


IDLE_JS = """
() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (app.getAttribute('data-test-connection-state') !== 'CONNECTED') return false;
  if (document.querySelector('[data-testid="stSkeleton"]')) return false;
  return Array.from(document.querySelectorAll('[data-testid="stPlotlyChart"]'))
    .every(chart => chart.querySelector('.main-svg'));
}
"""


def is_idle(page) -> bool:
    """The script has finished, the connection is up, and every element has been drawn."""
    return page.evaluate(IDLE_JS)


def wait_idle(page, timeout_s: float = IDLE_S, quiet_polls: int = 5) -> None:
    """Until the app is idle and has stayed idle for a moment.

    A rerun starts a beat after the click (or st.rerun) that caused it, so one idle
    reading is not enough; several in a row, 0.25 s apart, are.
    """
    deadline = time.monotonic() + timeout_s
    quiet = 0
    while time.monotonic() < deadline:
        quiet = quiet + 1 if is_idle(page) else 0
        if quiet >= quiet_polls:
            return
        page.wait_for_timeout(250)
    raise TimeoutError(f"the app was still busy after {timeout_s} s at {page.url}")


def open_page(page, url: str) -> None:
    page.goto(url, wait_until="domcontentloaded")
    page.locator("[data-testid='stApp'][data-test-connection-state='CONNECTED']").wait_for()
    wait_idle(page)


def login_form(page):
    return page.locator("[data-testid='stForm']").filter(has_text="登录")


def login(page, role: str) -> None:
    """Sign in through the real login form on whatever page asked for it."""
    username = USERNAMES[role]
    form = login_form(page)
    form.get_by_label("用户名").fill(username)
    form.get_by_label("密码").fill(PASSWORDS[username])
    form.get_by_role("button", name="登录").click()
    try:
        form.wait_for(state="detached")
    except PlaywrightTimeout:
        alerts = page.locator("[data-testid='stAlert']").all_inner_texts()
        raise AssertionError(f"signing in as {username} at {page.url} did not get past the form: {alerts}") from None
    wait_idle(page)


def nav_titles(page) -> list[str]:
    """The page titles the sidebar navigation offers (each link's last line; an icon comes first)."""
    links = page.locator(".st-key-csperf-nav a").filter(visible=True).all_inner_texts()
    return [text.strip().split("\n")[-1].strip() for text in links]


def go_to(page, title: str, landmark: str = "h1") -> None:
    """Open a page through the sidebar navigation (the same browser session) and wait
    until its `landmark` element shows `title`."""
    page.locator(".st-key-csperf-nav a").filter(has_text=title).first.click()
    page.locator(landmark).filter(has_text=title).first.wait_for()
    wait_idle(page)


def choose(page, label: str, option: str) -> None:
    """Pick `option` in the selectbox labelled `label`."""
    page.locator("[data-testid='stSelectbox']").filter(has_text=label).first.click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_idle(page)


GRID_JS = """
grid => {
  const table = grid.querySelector('table');
  if (!table) return {header: [], rows: []};
  const byColumn = cells => cells.sort((a, b) => a.getAttribute('aria-colindex') - b.getAttribute('aria-colindex'))
    .map(c => c.innerText.trim());
  return {
    header: byColumn(Array.from(table.querySelectorAll('thead th'))),
    rows: Array.from(table.querySelectorAll('tbody tr')).map(tr => byColumn(Array.from(tr.querySelectorAll('td')))),
  };
}
"""


def grid_rows(grid) -> list[dict[str, str]]:
    """The rows a dataframe or data editor shows, read from the grid's accessible table
    (the grid itself is drawn on a canvas); only the rows and columns in view."""
    table = grid.evaluate(GRID_JS)
    return [dict(zip(table["header"], row)) for row in table["rows"]]


def grid_with_header(page, header: str):
    """The first dataframe whose header row has `header`."""
    return page.locator("[data-testid='stDataFrame']").filter(
        has=page.locator("th", has_text=header)).first


def exceptions(page) -> list[str]:
    """The texts of the exception boxes Streamlit shows when a script raises."""
    return page.locator("[data-testid='stException']").all_inner_texts()


def assert_clean(page) -> None:
    """No exception box and no lost connection on the page."""
    raised = exceptions(page)
    assert not raised, f"{page.url} shows an exception:\n" + "\n---\n".join(raised)
    state = page.locator("[data-testid='stApp']").get_attribute("data-test-connection-state")
    assert state == "CONNECTED", f"{page.url}: connection state {state}"


OVERLAPS_JS = """
() => {
  const visible = el => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
    return r.width > 1 && r.height > 1 && s.visibility !== 'hidden' && s.display !== 'none'; };
  const label = el => (el.getAttribute('data-testid') || el.tagName) + ': '
    + (el.innerText || '').trim().slice(0, 40).replace(/\\s+/g, ' ');
  const found = [];
  const check = (children) => {
    const boxes = children.filter(visible).map(el => [el, el.getBoundingClientRect()]);
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
      const [a, ra] = boxes[i], [b, rb] = boxes[j];
      const w = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
      const h = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
      if (w > 2 && h > 2) found.push(label(a) + '  ×  ' + label(b));
    }
  };
  document.querySelectorAll('[data-testid="stVerticalBlock"], [data-testid="stHorizontalBlock"], .rv-grid')
    .forEach(block => check(Array.from(block.children)));
  return found;
}
"""


def overlaps(page) -> list[str]:
    """Pairs of sibling blocks (stacked elements, side-by-side columns, the review's cards)
    whose boxes intersect."""
    return page.evaluate(OVERLAPS_JS)


MAX_SHOT_HEIGHT = 8000


def screenshot(page, name: str) -> Path:
    """The whole page as test-output/screens/browser/<name>.png, to be looked at.

    Streamlit scrolls inside its main block, not the document, so the window is made
    tall enough for all of it while the picture is taken, then put back.
    """
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}.png"
    size = page.viewport_size
    content = page.evaluate(
        "() => { const main = document.querySelector('[data-testid=\"stMain\"]');"
        " return main ? main.scrollHeight : 0; }")
    tall = min(max(size["height"], content), MAX_SHOT_HEIGHT)
    if tall > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": tall})
        wait_idle(page)
    try:
        page.screenshot(path=str(path))
    finally:
        if tall > size["height"]:
            page.set_viewport_size(size)
    return path


# -- export files shaped like the platforms' (spec/exports.md) -----------------------------------

PDD_HEADER = ["序号", "客服账号", "客服服务分", "咨询人数", "询单人数", "最终成团人数", "询单转化率",
              "客服销售额", "去退销售额", "需要人工回复的咨询人数", "人工接待人数", "3分钟未回复人数",
              "3分钟人工回复率", "30秒应答率", "平均人工响应时长", "评分≤3订单数", "纠纷退款数", "投诉数"]


@dataclass(frozen=True)
class AgentDay:
    """One agent's figures for one day, as an export states them."""

    account: str
    receptions: int
    inquiries: int
    paid: int
    sales: float


def _pdd_row(number, account: str, f: AgentDay) -> list:
    unanswered = max(0, f.receptions // 100)
    return [number, account, 4.8, f.receptions + 20, f.inquiries, f.paid, f"{f.paid / f.inquiries:.2%}",
            f"{f.sales:,.2f}", f"{f.sales * 0.97:,.2f}", f.receptions + 5, f.receptions, unanswered,
            f"{(f.receptions - unanswered) / f.receptions:.2%}", "95.00%", "9秒", 0, 0, 0]


def write_pdd_export(path: Path, shop: str, day: date, agents: list[AgentDay]) -> Path:
    """A Pinduoduo 客服绩效 workbook: a merged 统计时间 title row, `店铺:子账号` accounts,
    '36.99%' and '9秒' cells, and the 总计/平均 rows below the agents."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("客服绩效")
    sheet.merge_range(0, 0, 0, len(PDD_HEADER) - 1, f"统计时间：{day} ~ {day}")
    sheet.write_row(1, 0, PDD_HEADER)
    for n, agent in enumerate(agents, start=1):
        sheet.write_row(1 + n, 0, _pdd_row(n, f"{shop}:{agent.account}", agent))
    total = AgentDay("", sum(a.receptions for a in agents), sum(a.inquiries for a in agents),
                     sum(a.paid for a in agents), sum(a.sales for a in agents))
    sheet.write_row(2 + len(agents), 0, _pdd_row("总计", "", total))
    book.close()
    return path


def write_chitu_csv(folder: Path, shop: str, day: date, agents: list[AgentDay]) -> Path:
    """A 赤兔-style per-agent CSV: the period only in the file name, 汇总/均值 rows last."""
    path = folder / f"自定义报表_售前明细_下单优先判定_{day}至{day}.csv"
    lines = ["客服,接待人数,询单人数,询单->最终付款人数,询单->最终付款成功率,销售额,客服回复率"]
    for a in agents:
        lines.append(f"{shop}:{a.account},{a.receptions},{a.inquiries},{a.paid},{a.paid / a.inquiries:.2%},"
                     f"{a.sales:.2f},100.00%")
    receptions, inquiries = sum(a.receptions for a in agents), sum(a.inquiries for a in agents)
    paid, sales = sum(a.paid for a in agents), sum(a.sales for a in agents)
    lines.append(f"汇总,{receptions},{inquiries},{paid},{paid / inquiries:.2%},{sales:.2f},100.00%")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return path
