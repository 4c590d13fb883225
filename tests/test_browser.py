"""The dashboard in real Chromium against the real server: what AppTest cannot see.

A person signs in through the login form, uploads a platform export and finds the new
agent on the leaderboard, changes a weight in what-if and sees ranks move, opens the
weekly review on a 1920×1080 screen, and follows a cold deep link that must ask for the
login first and then show the page it named. Every page is photographed to
test-output/screens/browser/ (to be looked at: Chinese renders, nothing overlaps), and
checked for exception boxes, overlapping blocks and a CJK font really drawing the text.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
import time
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import openpyxl
import pytest
from browser_support import (
    AgentDay,
    Server,
    assert_clean,
    build_database,
    choose,
    go_to,
    grid_rows,
    grid_with_header,
    launch_chromium,
    login,
    login_form,
    nav_titles,
    new_page,
    open_page,
    overlaps,
    screenshot,
    start_server,
    wait_idle,
    write_pdd_export,
)
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

from csperf import auth, inbox, scenario, targets, ui
from csperf.db import Database

pytestmark = [pytest.mark.browser, pytest.mark.server]


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory, browser):
    """One server for the module, whose first visitor opened the root URL.

    The cold case, a deep link as the very first request, has its own test and server.
    """
    running = start_server(tmp_path_factory.mktemp("browser-server"))
    try:
        first = new_page(browser)
        open_page(first, running.url())
        first.context.close()
        yield running
    finally:
        running.stop()


@pytest.fixture
def cold_server(tmp_path):
    running = start_server(tmp_path / "cold-server")
    yield running
    running.stop()


def exports_uploader(page):
    """The data page's uploader for exports (the targets tab has its own)."""
    return page.locator("[data-testid='stFileUploader']").filter(has_text="导出文件")


@pytest.fixture
def open_tab(browser):
    """A fresh browser context per call (its own Streamlit session), closed after the test."""
    contexts = []

    def make(width: int = 1440, height: int = 900, downloads: bool = False):
        page = new_page(browser, width, height, downloads)
        contexts.append(page.context)
        return page

    yield make
    for context in contexts:
        context.close()


def heading(page) -> str:
    return page.locator("h1").first.inner_text().strip()


def font_px(page, selector: str) -> float:
    return page.locator(selector).first.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")


def test_cold_deep_link_asks_for_the_login_then_shows_that_page(cold_server, open_tab):
    """The first request a freshly started server sees is a bookmarked page, not the root."""
    server = cold_server
    page = open_tab()
    open_page(page, server.url("leaderboard"))
    screenshot(page, "01_login_from_deep_link")
    assert login_form(page).is_visible()
    assert heading(page) == "客服绩效看板"
    assert nav_titles(page) == []  # signed out, no page is offered
    assert_clean(page)

    login(page, "viewer")
    screenshot(page, "02_leaderboard_after_deep_link")
    assert page.url.rstrip("/").endswith("/leaderboard")
    assert heading(page) == "排行榜"
    assert nav_titles(page) == ["总览", "排行榜", "趋势", "客服", "周会", "会话分析"]  # app.py's navigation, for a viewer
    sidebar = page.locator("[data-testid='stSidebar']")
    assert "期间" in sidebar.inner_text() and "数据截至 2026-10-31" in sidebar.inner_text()  # the shared frame ran
    agents = {row["客服"] for row in grid_rows(grid_with_header(page, "名次变化"))}
    assert {"小美", "阿强", "晓东", "新人", "pdd01", "pdd02"} <= agents
    assert_clean(page)
    assert overlaps(page) == []


def test_uploaded_export_shows_up_on_the_leaderboard(server, open_tab, tmp_path):
    export = write_pdd_export(tmp_path / "客服绩效_拼多多店_20261031.xlsx", "拼多多店", date(2026, 10, 31),
                              [AgentDay("新星", receptions=480, inquiries=438, paid=162, sales=15230.5)])
    page = open_tab()
    open_page(page, server.url("data"))
    login(page, "owner")
    started = time.time() - 1
    shown = exports_uploader(page).locator("[data-testid='stFileUploaderDropzone']").evaluate(
        "e => [...e.querySelectorAll('button p, [data-testid=stFileUploaderDropzoneInstructions] span')]"
        ".map(x => getComputedStyle(x, '::after').content)")
    assert shown == ['"选择文件"', '"或拖放到这里 · 每个文件不超过 50MB · xlsx、xls、csv"']  # not Streamlit's English
    exports_uploader(page).locator("input[type='file']").set_input_files(str(export))
    page.get_by_text("识别结果", exact=True).first.wait_for()
    wait_idle(page)
    copies = [p for p in Path(tempfile.gettempdir()).glob(f"{inbox.UPLOAD_PREFIX}*/*/{export.name}")
              if p.stat().st_mtime >= started]
    assert len(copies) == 1  # the preview read a private copy of the upload …
    detected = grid_rows(grid_with_header(page, "未识别的列"))
    assert len(detected) == 1
    assert detected[0]["格式"] == "拼多多" and detected[0]["店铺"] == "拼多多店"
    assert detected[0]["期间"] == "2026-10-31 ~ 2026-10-31" and detected[0]["行数"] == "1"
    assert_clean(page)
    screenshot(page, "03_data_upload_preview")

    page.get_by_role("button", name="导入 1 个文件").click()
    done = page.locator("[data-testid='stAlertContentSuccess']").filter(has_text="客服绩效_拼多多店_20261031.xlsx")
    done.wait_for()
    wait_idle(page)
    assert "拼多多店 2026-10-31" in done.inner_text() and "1 行数据" in done.inner_text()
    assert not copies[0].parent.parent.exists()  # … removed once imported
    assert_clean(page)
    screenshot(page, "04_data_imported")

    go_to(page, "排行榜")
    # Not in the roster yet, so no role and no assigned scheme: the page says so ...
    assert page.get_by_text("1 个账号没有适用的方案（岗位没有指派方案，或不是所选方案的岗位），未列入。").is_visible()
    # ... and scoring everyone with the pre-sales scheme lists the new agent.
    choose(page, "考核方案", "售前标准方案")
    rows = {row["客服"]: row for row in grid_rows(grid_with_header(page, "名次变化"))}
    assert "新星" in rows, sorted(rows)
    assert rows["新星"]["比较组"].startswith("拼多多店") and rows["新星"]["名次变化"] == "新"
    assert_clean(page)
    assert overlaps(page) == []
    screenshot(page, "05_leaderboard_with_uploaded_agent")


def test_the_leaderboard_export_says_what_it_holds(server, open_tab):
    page = open_tab(downloads=True)
    open_page(page, server.url("leaderboard"))
    login(page, "owner")
    with page.expect_download() as download:
        page.get_by_role("button", name="导出 Excel").click()
    assert download.value.suggested_filename == "leaderboard_20261001_20261031.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes())).worksheets[0]
    rows = [[cell for cell in row if cell is not None] for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["排行榜 · 2026-10-01 ~ 2026-10-31"]
    assert rows[1][0].startswith("考核方案：") and "售前标准方案" in rows[1][0] and "名次变化对比上期 2026-09-01" in rows[1][0]
    assert rows[2] == ["筛选：无（全部客服）"]
    table = next(i for i, row in enumerate(rows) if "客服" in row and "得分" in row)
    assert rows[table - 2][0].startswith("数据截至 2026-10-31 · 导出于 ") and rows[table - 1] == []
    assert sheet.freeze_panes == f"A{table + 2}" and sheet.auto_filter.ref.startswith(f"A{table + 1}:")
    agents = {row[rows[table].index("客服")] for row in rows[table + 1:]}
    assert {"小美", "阿强", "晓东"} <= agents

def test_a_log_with_unknown_headers_is_mapped_in_the_column_grid(server, open_tab, tmp_path):
    log = tmp_path / "工单导出.csv"
    log.write_text("Ticket,Owner,Opened,Replied?,Stars\nT1,阿明,2026-10-20 09:00,yes,5\n"
                   "T2,阿明,2026-10-20 10:00,no,\nT3,阿亮,2026-10-21 11:30,yes,4\n", encoding="utf-8")
    page = open_tab()
    open_page(page, server.url("data"))
    login(page, "supervisor")
    exports_uploader(page).locator("input[type='file']").set_input_files(str(log))
    wait_idle(page)
    assert page.get_by_text("没有可识别的列").is_visible()
    grid = grid_with_header(page, "文件中的列")
    assert [r["文件中的列"] for r in grid_rows(grid)] == ["Ticket", "Owner", "Opened", "Replied?", "Stars"]
    # The grid is a canvas: open a row's 指定为 cell (its last column), type to filter its list, pick.
    header_px, row_px = 35, 35
    meanings = {"session_id": "会话编号（会话记录）", "account": "客服账号", "time": "开始时间（会话记录）",
                "answered": "是否接通/回复（会话记录）", "rating": "评分 1–5（会话记录）"}
    for row, (key, meaning) in enumerate(meanings.items()):
        for _attempt in range(3):  # a pick made while the last one's rerun redraws the grid can be lost
            grid = grid_with_header(page, "文件中的列")
            grid.scroll_into_view_if_needed()
            page.wait_for_timeout(1000)
            box = grid.bounding_box()
            page.mouse.dblclick(box["x"] + box["width"] - 60, box["y"] + header_px + row * row_px + row_px / 2)
            page.keyboard.type(meaning)
            page.get_by_role("option", name=meaning, exact=True).wait_for()
            page.keyboard.press("Enter")
            page.wait_for_timeout(300)
            wait_idle(page)
            if grid_rows(grid_with_header(page, "文件中的列"))[row]["指定为"] == key:  # the cell's value, not its label
                break
    assert [r["指定为"] for r in grid_rows(grid_with_header(page, "文件中的列"))] == list(meanings)
    read_as = [r["现在读作"] for r in grid_rows(grid_with_header(page, "文件中的列"))]
    assert read_as == ["会话编号（会话记录）", "客服账号", "开始时间（会话记录）", "是否接通/回复（会话记录）",
                       "评分 1–5（会话记录）"], read_as
    assert not page.locator("[data-testid='stAlertContentError']").count()
    assert_clean(page)
    screenshot(page, "04b_data_columns_mapped")
    page.get_by_placeholder("如 旗舰店").fill("客服中心")
    page.keyboard.press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="导入 1 个文件").click()
    done = page.locator("[data-testid='stAlertContentSuccess']").filter(has_text="工单导出.csv")
    done.wait_for()
    assert "3 条会话" in done.inner_text() and "客服中心" in done.inner_text(), done.inner_text()
    assert_clean(page)


def test_changing_a_weight_in_whatif_moves_ranks(server, open_tab):
    page = open_tab()
    open_page(page, server.url("whatif"))
    login(page, "supervisor")
    assert heading(page) == "方案模拟"
    editor = page.locator("[data-testid='stDataFrame']").first
    metrics = [row.get("指标") for row in grid_rows(editor)]  # the cells' values, not their labels
    assert "reply_rate" in metrics, metrics
    row = metrics.index("reply_rate")
    # The grid is a canvas: select the row's metric cell, step right to its weight, edit it.
    header_px, row_px = 35, 35
    cell_editor = page.locator("input.gdg-input")
    for _attempt in range(3):  # a click while the grid is still being drawn selects nothing
        box = editor.bounding_box()
        page.mouse.click(box["x"] + 80, box["y"] + header_px + row * row_px + row_px / 2)
        page.keyboard.press("ArrowRight")
        page.keyboard.press("Enter")
        try:
            cell_editor.wait_for(timeout=5000)
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    cell_editor.wait_for()
    cell_editor.fill("10000")
    cell_editor.press("Enter")
    page.wait_for_timeout(500)
    wait_idle(page)
    assert grid_rows(editor)[row]["权重"] == "10000"

    # With the reply rate outweighing everything else, each pair ranks by reply rate
    # (leaderboard, 2026-10): 阿强 99.0% > 小美 98.8%, pdd01 99.2% > pdd02 98.6%,
    # 晓东 99.0% > 新人 98.5% as before. Two move up, two move down.
    tiles = {m.split("\n")[0]: m.split("\n")[-1] for m in page.locator("[data-testid='stMetric']").all_inner_texts()}
    assert tiles["名次上升"] == "2" and tiles["名次下降"] == "2", tiles
    ranking = {r["客服"]: r["变动"] for r in grid_rows(grid_with_header(page, "新得分"))}
    assert ranking["阿强"] == "▲1" and ranking["pdd01"] == "▲1", ranking
    assert ranking["小美"] == "▼1" and ranking["pdd02"] == "▼1", ranking
    assert ranking["晓东"] == ranking["新人"] == "—", ranking
    assert_clean(page)
    assert overlaps(page) == []
    screenshot(page, "06_whatif_weight_changed")

    page.get_by_role("tab", name="级别底薪与团队奖").click()  # the preset's base salary by level, editable too
    wait_idle(page)
    levels = {r["级别"]: r["底薪 ¥"] for r in grid_rows(grid_with_header(page, "底薪 ¥"))}
    assert levels.get("junior") == "1500" and levels.get("senior") == "3000", levels
    assert grid_with_header(page, "奖金池 ¥").is_visible()
    assert_clean(page)
    screenshot(page, "06b_whatif_levels")


def test_another_starting_scheme_in_whatif_carries_none_of_the_last_ones_values(server, open_tab):
    """The browser sends a widget's last value back under its key even after the server dropped it."""
    page = open_tab()
    open_page(page, server.url("whatif"))
    login(page, "supervisor")
    choose(page, "从哪个方案开始改", "提成制方案 v1")
    page.get_by_role("tab", name="系数、提成与名次奖").click()
    page.get_by_text("扣款后不低于底薪").click()  # any edit sends every widget's value
    wait_idle(page)
    token = parse_qs(urlparse(page.url).query)[scenario.SCENARIO_PARAM][0]
    tried = scenario.decode_scenario(token).scheme
    assert (tried.pay.performance_pay, tried.pay.rank_awards, tried.pay.floor_at_base) == (0, [], False)
    assert_clean(page)


def test_weekly_review_figures_and_buttons_fit_a_laptop_screen(server, open_tab):
    """At 1400 px a third of the screen must still hold ¥180,374.57 whole, and the buttons
    their labels beside their keys."""
    page = open_tab(1400, 900)
    open_page(page, server.url("review"))
    login(page, "viewer")
    page.get_by_role("button", name="暂停").click()
    wait_idle(page)
    clipped = page.evaluate("""() => [...document.querySelectorAll('.rv-value, [data-testid="stButton"] button p')]
        .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)""")
    assert clipped == []
    assert page.locator(".rv-value").count() >= 6 and font_px(page, ".rv-value") >= 40
    screenshot(page, "07_review_laptop")


@pytest.mark.parametrize("width, height", [(1920, 1080), (1280, 720)])
def test_weekly_review_slides_fit_the_screen_without_scrolling(server, open_tab, width, height):
    """At 1080p and on a 720p projector every slide shows whole (at 720p in smaller type, the
    charts scaled), the title stays on one line and no button label is cut."""
    page = open_tab(width, height)
    open_page(page, server.url("review"))
    login(page, "viewer")
    page.get_by_role("button", name="暂停").click()
    wait_idle(page)
    head = page.locator(".rv-head").bounding_box()
    assert head["height"] < 2 * font_px(page, ".rv-head")  # one line
    seen_charts = 0
    for number in range(1, 7):
        page.locator(".rv-dots").filter(has_text=f"{number} / 6").wait_for()
        wait_idle(page)
        bottom = page.evaluate("""() => Math.max(...[...document.querySelectorAll(
            ".rv-card, .rv-row, .rv-goal, .rv-note, .rv-empty, [data-testid='stPlotlyChart'] .main-svg")]
            .map(e => e.getBoundingClientRect().bottom))""")
        title = page.locator(".rv-title").first.inner_text()
        assert bottom <= height, f"{title}: the slide runs to {bottom:.0f} px"
        clipped = page.evaluate("""() => [...document.querySelectorAll('.rv-value, [data-testid="stButton"] button p')]
            .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)""")
        assert clipped == [], title
        # a chart fills its column: the one drawn for this screen's height shows, the other is hidden
        charts = page.evaluate("""() => [...document.querySelectorAll("[data-testid='stPlotlyChart']")]
            .filter(e => e.offsetParent !== null).map(e => [e.querySelector('.main-svg').getBoundingClientRect().width,
                e.closest("[data-testid='stColumn']").getBoundingClientRect().width])""")
        assert all(chart >= 0.9 * column for chart, column in charts), (title, charts)
        seen_charts += len(charts)
        page.get_by_role("button", name="下一页").click()
        page.wait_for_timeout(300)
    assert seen_charts == 2  # the trend slide's two, once each


def test_weekly_review_fills_a_big_screen(server, open_tab):
    page = open_tab(1920, 1080)
    open_page(page, server.url("review"))  # a cold deep link, as a meeting-room screen opens it
    login(page, "viewer")
    assert page.url.rstrip("/").endswith("/review")
    assert page.locator("[data-testid='stSidebar']").is_hidden()
    assert page.locator("header[data-testid='stHeader']").is_hidden()
    assert "周会" in page.locator(".rv-head").inner_text()
    # Readable across a room: the page's own body text is 16 px.
    assert font_px(page, ".rv-head") >= 40 and font_px(page, ".rv-title") >= 40
    assert font_px(page, ".rv-value") >= 60 and font_px(page, ".rv-label") >= 28
    page.get_by_role("button", name="暂停").click()  # hold each slide while it is checked
    wait_idle(page)
    seen = []
    for number in range(1, 7):
        page.locator(".rv-dots").filter(has_text=f"{number} / 6").wait_for()
        wait_idle(page)
        seen.append(page.locator(".rv-title").first.inner_text())
        assert_clean(page)
        assert overlaps(page) == [], seen[-1]
        assert page.locator(".rv-card, [data-testid='stPlotlyChart'], .rv-empty").count() > 0, seen[-1]
        screenshot(page, f"07_review_slide_{number}")
        page.get_by_role("button", name="下一页").click()
        page.wait_for_timeout(300)
    assert seen[:2] == ["本周团队概况", "本周排名"] and len(set(seen)) == 6, seen
    page.locator(".rv-dots").filter(has_text="1 / 6").wait_for()
    page.keyboard.press("PageDown")  # a presenter's clicker
    page.locator(".rv-dots").filter(has_text="2 / 6").wait_for()
    page.keyboard.press("PageUp")
    page.locator(".rv-dots").filter(has_text="1 / 6").wait_for()
    assert page.get_by_role("button", name="下一页").count() == 1  # the clicker's twins are not seen


def test_sidebar_choices_follow_the_user_from_page_to_page(server, open_tab):
    page = open_tab()
    open_page(page, server.url())
    login(page, "owner")
    choose(page, "期间", "上月")
    sidebar = page.locator("[data-testid='stSidebar']")
    for title in ("排行榜", "趋势", "客服", "模拟", "总览"):
        go_to(page, title)
        period = [c for c in sidebar.locator("[data-testid='stCaptionContainer']").all_inner_texts() if " ~ " in c]
        assert period == ["2026-09-01 ~ 2026-09-30"], f"{title}: the period went back to {period}"
        language = [text.strip() for text in sidebar.get_by_role("radio", checked=True).all_inner_texts()]
        assert language == ["中文"], f"{title}: the language switch shows {language}"


def chosen(page) -> dict[str, str]:
    """What each select box shows chosen, by its label."""
    boxes = page.locator("[data-testid='stSelectbox'] input")
    return {box.get_attribute("aria-label"): box.input_value() for box in boxes.all()}


def test_english_relabels_the_choices_made_and_a_reload_keeps_it_and_the_period(server, open_tab):
    """Switched to English, the what-if page went on showing 售前, 同店同组同岗 and 当前模拟
    chosen among English options (the browser keeps a choice as the label it was sent). A
    reload keeps the language and the sidebar's period (they ride in the address), and the
    page's bare address the language (the browser keeps it)."""
    page = open_tab()
    open_page(page, server.url("whatif"))
    login(page, "owner")
    choose(page, "期间", "上月")
    page.locator("[data-testid='stSidebar']").get_by_role("radio", name="English").click()
    page.locator("h1").filter(has_text="What-if").wait_for()
    wait_idle(page)
    english = {"Period": "Last month", "Role": "Pre-sales", "Comparison group": "shop + team + role",
               "Scheme B": "Current what-if"}
    assert {label: chosen(page).get(label) for label in english} == english

    page.reload(wait_until="domcontentloaded")
    page.locator("h1").filter(has_text="What-if").wait_for()
    wait_idle(page)
    assert {label: chosen(page).get(label) for label in english} == english
    assert parse_qs(urlparse(page.url).query) == {"lang": ["en"], "period": ["last_month"]}
    sidebar = page.locator("[data-testid='stSidebar']")
    assert "2026-09-01 ~ 2026-09-30" in sidebar.locator("[data-testid='stCaptionContainer']").all_inner_texts()
    assert_clean(page)

    open_page(page, server.url("whatif"))  # typed, or bookmarked before the switch
    page.locator("h1").filter(has_text="What-if").wait_for()


@pytest.mark.parametrize("role", ["owner", "agent"])
def test_every_page_of_the_role_renders_cleanly(server, open_tab, role):
    page = open_tab()
    open_page(page, server.url())
    login(page, role)
    allowed = [spec for spec in ui.PAGES if auth.User("someone", role).can(spec.permission)]
    if len(allowed) == 1:  # an agent has only their scorecard: straight there, the only page listed
        assert nav_titles(page) == ["客服"] and heading(page).startswith("客服 · ")
        assert_clean(page)
        assert overlaps(page) == []
        screenshot(page, f"10_{role}_{allowed[0].url}")
        return
    assert nav_titles(page) == [spec.zh for spec in allowed]
    # The review page hides the sidebar, so it goes last.
    for spec in sorted(allowed, key=lambda spec: spec.url == "review"):
        go_to(page, spec.zh, ".rv-head" if spec.url == "review" else "h1")
        assert_clean(page)
        assert overlaps(page) == [], spec.url
        screenshot(page, f"10_{role}_{spec.url}")


def _cjk_families() -> set[str]:
    """Families fontconfig knows that cover Chinese (what Chromium falls back to)."""
    if shutil.which("fc-list") is None:
        pytest.skip("fc-list is missing: cannot tell which installed fonts cover Chinese")
    listed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=30).stdout
    return {name.strip() for line in listed.splitlines() for name in line.split(",") if name.strip()}


GLYPHS_JS = """
([text, font]) => {
  const canvas = document.createElement('canvas');
  canvas.width = 64; canvas.height = 64;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  const draw = ch => { ctx.clearRect(0, 0, 64, 64); ctx.font = '48px ' + font; ctx.fillStyle = '#000';
    ctx.textBaseline = 'top'; ctx.fillText(ch, 4, 4);
    return Array.from(ctx.getImageData(0, 0, 64, 64).data.filter((_, i) => i % 4 === 3)).join(','); };
  return {chars: Array.from(text).map(draw), missing: draw('\\uE000')};
}
"""


def test_chinese_is_drawn_with_a_cjk_font_not_boxes(server, open_tab):
    page = open_tab()
    open_page(page, server.url())
    title = page.locator("h1").first
    assert title.inner_text().strip() == "客服绩效看板"

    # The font Chromium actually used for the title's characters is one that covers Chinese.
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1, "pierce": True})["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "h1"})["nodeId"]
    used = {font["familyName"] for font in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]}
    assert used & _cjk_families(), f"title drawn with {used}, none of which covers Chinese"

    # Drawn in the page's own font, every character has its own shape, none is the
    # missing-glyph box (a private-use character no font has).
    font = title.evaluate("el => getComputedStyle(el).fontFamily")
    glyphs = page.evaluate(GLYPHS_JS, ["客服绩效看板排行", font])
    assert len(set(glyphs["chars"])) == len(glyphs["chars"]), "two different characters drew the same shape"
    assert glyphs["missing"] not in glyphs["chars"], "a Chinese character drew as the missing-glyph box"
    screenshot(page, "00_login")


def test_a_reload_keeps_the_user_signed_in_until_they_sign_out(server, open_tab):
    page = open_tab()
    open_page(page, server.url("leaderboard"))
    login(page, "supervisor")
    title = page.locator("h1").filter(has_text="排行榜")
    title.wait_for()
    signed_in_at = title.bounding_box()["y"]  # the cookie's script takes no room on the page
    page.reload(wait_until="domcontentloaded")  # what a browser's reload (or a new tab) does
    title.wait_for()
    wait_idle(page)
    assert title.bounding_box()["y"] == signed_in_at
    assert login_form(page).count() == 0
    assert "super · 主管" in page.locator("[data-testid='stSidebar']").inner_text()
    assert_clean(page)

    page.locator("[data-testid='stSidebar']").get_by_role("button", name="退出登录").click()
    login_form(page).wait_for()
    page.reload(wait_until="domcontentloaded")
    login_form(page).wait_for()  # signed out for good: the token was ended, and the cookie dropped
    assert "csperf_session" not in {c["name"] for c in page.context.cookies()}


def test_signing_in_at_the_bare_address_is_kept_across_a_reload(server, open_tab):
    """The bare address signs in and switches to the first page in the same step."""
    page = open_tab()
    open_page(page, server.url())
    login(page, "owner")
    page.locator("h1").filter(has_text="总览").wait_for()
    wait_idle(page)
    assert "csperf_session" in {c["name"] for c in page.context.cookies()}
    page.reload(wait_until="domcontentloaded")
    page.locator("h1").filter(has_text="总览").wait_for()
    assert login_form(page).count() == 0


def test_the_data_page_keeps_its_tab_through_a_step_and_a_save(server, open_tab):
    """Nothing drawn above the tabs comes or goes between runs, so the chosen tab stays chosen."""
    page = open_tab()
    open_page(page, server.url("data"))
    login(page, "supervisor")
    qa_tab = page.get_by_role("tab", name="质检分")
    qa_tab.click()
    wait_idle(page)
    months = page.locator("[data-testid='stSelectbox']").filter(has_text="月份").first
    months.click()
    page.get_by_role("option").nth(1).click()  # a step on the tab: the page runs again
    wait_idle(page)
    assert qa_tab.get_attribute("aria-selected") == "true"
    page.get_by_role("tab", name="花名册").click()
    wait_idle(page)
    page.get_by_role("button", name="保存花名册").click()  # a save flashes its message above the tabs
    page.locator("[data-testid='stAlertContentSuccess']").filter(has_text="花名册已保存").wait_for()
    wait_idle(page)
    assert page.get_by_role("tab", name="花名册").get_attribute("aria-selected") == "true"


def test_a_row_of_the_months_targets_opens_that_scope_in_the_editor(tmp_path, open_tab):
    """A click on the list's row picks the scope above (a dataframe's selection: AppTest has none)."""
    running = Server(tmp_path)
    database = Database(build_database(running.db_path))
    try:
        targets.set_target(database, "sales", "2026-10", 500_000)
        targets.set_target(database, "conversion_rate", "2026-10", "30%", shop="旗舰店", team="A组")
    finally:
        database.close()
    try:
        running.start()
        page = open_tab(height=1400)
        open_page(page, running.url("data"))
        login(page, "supervisor")
        page.get_by_role("tab", name="目标").click()
        wait_idle(page)
        grid = grid_with_header(page, "范围")
        assert [r["范围"] for r in grid_rows(grid)] == ["全部店铺", "旗舰店 · A组"]
        grid.scroll_into_view_if_needed()
        box = grid.bounding_box()
        header_px, row_px = 35, 35
        page.mouse.click(box["x"] + 14, box["y"] + header_px + row_px + row_px / 2)  # the second row's tick box
        scope = page.get_by_role("combobox", name="范围")
        for _ in range(50):
            if scope.input_value() == "旗舰店 · A组（1 个目标）":
                break
            page.wait_for_timeout(200)
        assert scope.input_value() == "旗舰店 · A组（1 个目标）"
        wait_idle(page)
        editor = grid_with_header(page, "2026-10 目标")
        assert {r["指标"]: r["2026-10 目标"] for r in grid_rows(editor)}["询单转化率"] == "30"
        assert_clean(page)
    finally:
        running.stop()


def test_signing_out_in_one_tab_signs_the_other_tab_out_at_its_next_step(server, open_tab):
    first = open_tab()
    open_page(first, server.url("leaderboard"))
    login(first, "supervisor")
    first.locator("h1").filter(has_text="排行榜").wait_for()
    second = first.context.new_page()  # another tab of the same browser: it shares the sign-in cookie
    open_page(second, server.url("trends"))
    second.locator("h1").filter(has_text="趋势").wait_for()
    assert login_form(second).count() == 0

    first.locator("[data-testid='stSidebar']").get_by_role("button", name="退出登录").click()
    login_form(first).wait_for()
    second.locator("[data-testid='stSidebar'] a").filter(has_text="排行榜").first.click()
    login_form(second).wait_for()
    assert second.locator("h1").filter(has_text="排行榜").count() == 0


def test_the_overview_has_an_address_of_its_own(server, open_tab):
    """/overview is a link like any other (the bare address was its only one: a link to
    /overview said "Page not found"); the bare address leads there."""
    page = open_tab()
    open_page(page, server.url("overview"))
    login(page, "owner")
    page.locator("h1").filter(has_text="总览").wait_for()
    assert page.get_by_text("Page not found").count() == 0
    open_page(page, server.url())
    page.locator("h1").filter(has_text="总览").wait_for()
    assert page.url.rstrip("/").endswith("/overview")
    assert_clean(page)

    agent = open_tab()  # an agent signing in at the bare address lands on their own page
    open_page(agent, server.url())
    login(agent, "agent")
    agent.locator("h1").filter(has_text="客服 · 小美").wait_for()
    assert agent.url.rstrip("/").endswith("/agent")
    assert agent.get_by_text("Page not found").count() == 0


def test_the_overview_says_when_an_inbox_file_was_not_imported(server, open_tab, tmp_path):
    """A refused file changes no figure, so it cannot ride on the refresh new data brings:
    the live check says so itself, to whoever can import."""
    page = open_tab()
    open_page(page, server.url("overview"))
    login(page, "owner")
    page.locator("h1").filter(has_text="总览").wait_for()
    bad = tmp_path / "坏文件.csv"
    bad.write_text("这不是,导出\n1,2\n", encoding="utf-8")
    inbox.drop_files([bad], server.inbox)
    notice = page.locator("[data-testid='stAlert']").filter(has_text="收件箱的文件未导入：✗ 坏文件.csv")
    notice.wait_for(timeout=30_000)
    assert_clean(page)
