"""Data: everything that goes in — exports, undo, accounts to people, roster, QA scores, targets, inbox, users."""

from csperf import ui

frame = ui.page_frame("数据", "Data", permission="import", needs_data=False)

import hashlib  # noqa: E402
import shutil  # noqa: E402
from datetime import date, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402
import streamlit as st  # noqa: E402

from csperf import aliases, auth, importer, inbox, roster, targets, views  # noqa: E402
from csperf import ui_format as fmt  # noqa: E402
from csperf.metrics import MANUAL_SCORES, kpi  # noqa: E402

t = ui.t
db, username = frame.db, frame.user.username
ROLE_OPTIONS = list(roster.ROLES)
LEVEL_OPTIONS = list(roster.LEVELS)
FORMAT_LABELS = {"taobao_chitu": ("淘宝/天猫 客服绩效工具", "Taobao CS tool"), "taobao_sycm": ("生意参谋", "Taobao SYCM"),
                 "pdd": ("拼多多", "Pinduoduo"), "jd": ("京东咚咚", "JD"), "douyin": ("抖店飞鸽", "Douyin"),
                 "generic": ("通用表格", "generic table"), "sessions": ("会话记录", "session log")}
OUTCOME_LABELS = {"imported": ("已导入", "imported"), "duplicate": ("重复，已跳过", "duplicate, skipped"),
                  "failed": ("失败", "failed"), "returned": ("放回重试", "returned"), "backup": ("已备份", "backup"),
                  "backup_failed": ("备份失败", "backup failed")}

st.title(t("数据", "Data"))
sections = [t("上传导入", "Upload"), t("导入记录", "Import history"), t("账号绑定", "Bind accounts"),
            t("花名册", "Roster"), t("质检分", "QA scores"), t("目标", "Targets"), t("收件箱", "Inbox")]
if frame.can("manage_users"):
    sections.append(t("用户与操作日志", "Users and audit"))



ui.flashed()
tabs = st.tabs(sections)


def upload_dir() -> Path:
    """A private folder per browser session for the uploaded files being previewed."""
    if "dt_dir" not in st.session_state:
        st.session_state["dt_dir"] = str(inbox.upload_folder())
    return Path(st.session_state["dt_dir"])


def saved_then_flash(counter: str, message: str) -> None:
    """After a save: fresh editors keyed on `counter` (showing what is now stored), and the message."""
    st.session_state[counter] = st.session_state.get(counter, 0) + 1
    ui.flash(message)


DATE_ORDERS = {"dmy": ("日-月-年（如 31-01-2026）", "day-month-year (31-01-2026)"),
               "mdy": ("月-日-年（如 01-31-2026）", "month-day-year (01-31-2026)")}


def binding_fits(role: str, bound: str | None) -> bool:
    """An agent user needs an agent account and no other role takes one; says which is wrong."""
    if role == "agent" and not bound:
        st.error(t("角色为客服 (agent) 时请选择客服账号。", "Pick the agent account for the Agent role."))
        return False
    if role != "agent" and bound:
        st.error(t(f"{auth.role_label(role, 'zh')} 不绑定客服账号：请把客服账号选回「—」，或把角色改为客服 (agent)。",
                   f"A user with the {auth.role_label(role, 'en')} role is not bound to an agent account: set the "
                   "agent account back to “—”, or make the role Agent."))
        return False
    return True


def column_choices(sha: str) -> dict[str, str]:
    """{field: header} as chosen in a file's column table (the first column given a field keeps it)."""
    headers = [c.header for c in st.session_state.get(f"dt_cols_{sha[:12]}") or []]
    edits = (st.session_state.get(f"dt_map_{sha[:12]}") or {}).get("edited_rows", {})
    chosen: dict[str, str] = {}
    for row, change in sorted(edits.items(), key=lambda item: int(item[0])):
        field = change.get("map_to")
        if field and int(row) < len(headers):
            header = headers[int(row)]
            chosen.setdefault(f"{field}:{header}" if field == aliases.IGNORE else field, header)
    return chosen


def overrides(sha: str) -> tuple[str | None, date | None, date | None, dict | None]:
    """The shop, period, date order and column meanings given for one file (kept by the widgets from the last run)."""
    shop = (st.session_state.get(f"dt_shop_{sha[:12]}") or "").strip() or None
    period = st.session_state.get(f"dt_period_{sha[:12]}") or ()
    first, last = (period[0], period[1]) if isinstance(period, (tuple, list)) and len(period) == 2 else (None, None)
    mapping = column_choices(sha)
    if order := st.session_state.get(f"dt_order_{sha[:12]}"):
        mapping["date_order"] = order
    return shop, first, last, mapping or None


def preview(uploaded) -> dict:
    """Check and store one uploaded file, and parse it with the shop, period and date order given for it.

    Each (content, overrides) is parsed once per session: the preview is the importer's
    own reading of a temporary copy, so what is shown is what will be imported.
    """
    data = uploaded.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    shop, first, last, mapping = overrides(sha)
    cache = st.session_state.setdefault("dt_previews", {})
    key = (sha, uploaded.name, shop, first, last, str(mapping))
    if key in cache:
        return cache[key]
    item = {"name": uploaded.name, "sha": sha, "path": None, "parsed": None, "error": None, "columns": [],
            "shop": shop, "date_from": first, "date_to": last, "mapping": mapping, "ambiguous": False}
    try:
        inbox.check_upload(uploaded.name, data)
    except ValueError as exc:
        item["error"], item["rejected"] = str(exc), True
        cache[key] = item
        return item
    folder = upload_dir() / sha[:16]
    folder.mkdir(exist_ok=True)
    item["path"] = folder / inbox.safe_name(uploaded.name)  # some exports carry the period in the name
    if not item["path"].exists():
        item["path"].write_bytes(data)
    try:
        item["parsed"] = importer.parse_file(item["path"], shop=shop, date_from=first, date_to=last, mapping=mapping,
                                             remembered=importer.remembered_maps(db))
    except importer.BadInput as exc:
        item["error"], item["ambiguous"] = str(exc), isinstance(exc, importer.AmbiguousDateOrder)
        item["columns"] = exc.columns
    else:
        item["columns"] = item["parsed"].columns
    cache[key] = item
    return item


def column_table(item: dict) -> None:
    """Each column of the file, how it is read now, and a choice of what it means instead.

    The rows are the columns first seen for the file, so choices stay on their rows while
    the preview is read again with them; a choice is remembered for files with the same headers."""
    sha12 = item["sha"][:12]
    first_seen = st.session_state.get(f"dt_cols_{sha12}") or item["columns"]
    if not first_seen:
        return
    st.session_state[f"dt_cols_{sha12}"] = first_seen
    readings = {c.header: c for c in item["columns"]}

    def read_as(header: str) -> str:
        reading = readings.get(header)
        if reading is None or reading.meaning is None:
            return t("已知，不导入", "known, not stored") if reading and reading.recognised else t("未识别", "not recognised")
        return t(*aliases.MAPPING_FIELDS[reading.meaning])

    table = pd.DataFrame({
        "header": [c.header for c in first_seen],
        "sample": [c.sample for c in first_seen],
        "read_as": [read_as(c.header) for c in first_seen],
        "map_to": pd.Series([None] * len(first_seen), dtype=object),
    })
    st.markdown(t("**列的含义**：识别不对或未识别的列，在「指定为」里选它的含义（或不导入）；导入后，表头相同的文件会记住。",
                  "**Column meanings**: for a column read wrongly or not at all, choose what it means under "
                  "*Means* (or leave it out); files with the same headers remember it once imported."))
    st.data_editor(table, key=f"dt_map_{sha12}", hide_index=True, width="stretch", height=ui.rows_height(len(table)),
                   num_rows="fixed",
                   disabled=["header", "sample", "read_as"], placeholder="",
                   column_config={
                       "header": st.column_config.TextColumn(t("文件中的列", "Column in the file")),
                       "sample": st.column_config.TextColumn(t("示例值", "Sample value")),
                       "read_as": st.column_config.TextColumn(t("现在读作", "Read as")),
                       "map_to": st.column_config.SelectboxColumn(
                           t("指定为", "Means"), options=list(aliases.MAPPING_FIELDS),
                           format_func=lambda key: t(*aliases.MAPPING_FIELDS[key])),
                   })
    chosen = column_choices(item["sha"])
    edits = (st.session_state.get(f"dt_map_{sha12}") or {}).get("edited_rows", {})
    if sum(1 for change in edits.values() if change.get("map_to")) > len(chosen):
        st.warning(t("同一含义指定给了多列，只用第一列。", "One meaning was given to several columns; the first is used."))


def shape_label(code: str) -> str:
    return " + ".join(t(*FORMAT_LABELS.get(part, (part, part))) for part in code.split("+"))


def detected_row(item: dict, before: pd.Series | None) -> dict:
    p = item["parsed"]
    missing = t("（未识别）", "(not found)")
    return {
        t("导入", "Import"): (t(f"已导入（#{before['import_id']}），跳过", f"imported already (#{before['import_id']}), skipped")
                            if before is not None else t("将导入", "to import")),
        t("文件", "File"): item["name"],
        t("格式", "Shape"): shape_label(p.format),
        t("店铺", "Shop"): (t(f"{p.shop}（文件中没有，默认）", f"{p.shop} (not in the file; default)")
                           if p.shop_defaulted else p.shop or missing),
        t("期间", "Period"): (f"{p.period_from:%Y-%m-%d} ~ {p.period_to:%Y-%m-%d}"
                             if p.period_from and p.period_to else missing),
        t("行数", "Rows"): p.rows,
        t("待结算行", "Provisional"): p.provisional_rows,
        t("未识别的列", "Unknown columns"): fmt.joined(p.unknown_columns, ui.lang()) or "—",
    }


# -- upload ---------------------------------------------------------------------------------------
with tabs[0]:
    st.caption(t("支持各平台导出的客服绩效文件和会话记录（xlsx / xls / csv，可多选）。导入前先看识别结果；"
                 "同一文件重复上传会被识别并跳过，导错了可以在「导入记录」里撤销。",
                 "Platform CS-performance exports and session logs (xlsx / xls / csv, several at once). Check "
                 "what was detected before importing; a file imported twice is skipped, and any import can be "
                 "undone under Import history."))
    limit_mb, inbox_folder = inbox.MAX_UPLOAD_BYTES >> 20, inbox.inbox_dir()
    st.caption(t(f"上传每个文件不超过 {limit_mb}MB。更大的文件（如多年的日明细、大的会话记录）请放进收件箱文件夹 "
                 f"{inbox_folder}（见「收件箱」），或在服务器上运行 csperf import，导入不受大小限制。",
                 f"Uploads take files up to {limit_mb} MB each. Put bigger files (years of daily detail, a large "
                 f"session log) in the inbox folder {inbox_folder} (see Inbox), or run csperf import on the "
                 "server: neither has a size limit."))
    ui.uploader_in_chinese(limit_mb, "xlsx、xls、csv")
    files = st.file_uploader(t("导出文件（可多选）", "Export files (several at once)"), type=["xlsx", "xls", "csv"],
                             accept_multiple_files=True, key=f"dt_upload_{st.session_state.get('dt_batch', 0)}")
    items = [preview(f) for f in files or []]
    if items:  # a new upload: the last batch's results no longer stand under it
        st.session_state.pop("dt_outcomes", None)
        st.session_state.pop("dt_imported", None)
    earlier = views.earlier_imports(ui.query("imports"))
    parsed = [i for i in items if i["parsed"] is not None]
    ready = [i for i in parsed if i["sha"] not in earlier]
    if parsed:
        st.markdown(t("**识别结果**（导入前请核对）", "**What was detected** (check before importing)"))
        st.dataframe(pd.DataFrame([detected_row(i, earlier.get(i["sha"])) for i in parsed]), hide_index=True,
                     width="stretch", placeholder="—",
                     column_config={t("文件", "File"): st.column_config.TextColumn(width="medium")})
        for item in parsed:
            if item["sha"] in earlier:
                before = earlier[item["sha"]]
                by = before["imported_by"] if isinstance(before["imported_by"], str) else "—"
                st.info(t(f"{item['name']} 与导入 #{before['import_id']}（{before['imported_at']:%Y-%m-%d %H:%M}，"
                          f"{by}）内容相同，不会重复导入。要改店铺或期间重新导入，请先在「导入记录」撤销 "
                          f"#{before['import_id']}。",
                          f"{item['name']} has the same content as import #{before['import_id']} "
                          f"({before['imported_at']:%Y-%m-%d %H:%M}, {by}) and is not "
                          f"imported again. To import it with another shop or period, undo #{before['import_id']} "
                          "under Import history first."))
                continue
            for note in item["parsed"].notes + item["parsed"].skipped:
                st.caption(f"{item['name']}: {note}")
    for item in items:
        if item.get("rejected"):
            ui.error(item["error"])
            continue
        if item["parsed"] is not None and item["sha"] in earlier:
            continue  # said above: nothing to give for a file that is not imported again
        needs_input = item["error"] is not None or item["parsed"].shop_defaulted
        with st.expander(t(f"{item['name']} · 店铺、期间（文件中没有时）和列的含义",
                           f"{item['name']} · shop, period (when the file lacks them) and column meanings"),
                         expanded=needs_input):
            if item["error"]:
                ui.error(item["error"])
            cols = st.columns(2)
            cols[0].text_input(t("店铺", "Shop"), key=f"dt_shop_{item['sha'][:12]}",
                               placeholder=t("如 旗舰店", "e.g. flagship store"))
            cols[1].date_input(t("起止日期", "From – to"), value=(), key=f"dt_period_{item['sha'][:12]}")
            if item["ambiguous"] or (item["mapping"] or {}).get("date_order"):
                st.radio(t("文件中的日期顺序", "Date order in the file"), list(DATE_ORDERS), index=None,
                         format_func=lambda code: t(*DATE_ORDERS[code]), horizontal=True,
                         key=f"dt_order_{item['sha'][:12]}")
            column_table(item)
    if ready and st.button(t(f"导入 {len(ready)} 个文件", f"Import {len(ready)} file(s)"), type="primary",
                           key="dt_import"):
        outcomes, spans = [], []
        bar = st.progress(0.0, text=t("准备导入…", "Starting…"))
        with st.status(t("正在导入…", "Importing…"), expanded=True) as status:
            for n, item in enumerate(ready):
                st.write(f"{n + 1}/{len(ready)} · {item['name']}")

                def progress(done, total, message="", n=n, name=item["name"]):
                    share = (n + (min(done / total, 1.0) if total else 0.5)) / len(ready)
                    bar.progress(share, text=f"{name} · {message} {done:,}")

                try:
                    result = importer.import_file(db, item["path"], shop=item["shop"], date_from=item["date_from"],
                                                  date_to=item["date_to"], mapping=item["mapping"], user=username,
                                                  progress=progress)
                except importer.BadInput as exc:
                    outcomes.append({"ok": False, "text": str(exc)})
                else:
                    outcomes.append({"ok": True, "text": result.summary(web=True)})
                    if result.period_from and result.period_to and not result.duplicate:
                        spans.append((result.period_from, result.period_to))
                bar.progress((n + 1) / len(ready), text=f"{n + 1}/{len(ready)}")
            failed = sum(not o["ok"] for o in outcomes)
            status.update(label=t(f"导入完成：成功 {len(outcomes) - failed}，失败 {failed}",
                                  f"Done: {len(outcomes) - failed} imported, {failed} failed"),
                          state="error" if failed else "complete")
        st.session_state["dt_outcomes"] = outcomes
        if spans:
            st.session_state["dt_imported"] = (min(a for a, _ in spans), max(b for _, b in spans))
        st.session_state["dt_batch"] = st.session_state.get("dt_batch", 0) + 1  # a fresh, empty uploader
        st.session_state.pop("dt_previews", None)
        shutil.rmtree(st.session_state.pop("dt_dir"), ignore_errors=True)  # the copies were imported
        st.rerun()
    for outcome in st.session_state.get("dt_outcomes", []):
        (st.success if outcome["ok"] else st.error)(fmt.one_language(outcome["text"], ui.lang()))
    imported = st.session_state.get("dt_imported")
    if views.outside(imported, frame.date_from, frame.date_to):
        shown = f"{frame.date_from:%Y-%m-%d} ~ {frame.date_to:%Y-%m-%d}"
        partly = imported[1] >= frame.date_from and imported[0] <= frame.date_to
        st.caption(t(f"导入的数据（{imported[0]:%Y-%m-%d} ~ {imported[1]:%Y-%m-%d}）{'有一部分' if partly else ''}"
                     f"不在侧栏所选期间（{shown}）内。",
                     f"The figures imported ({imported[0]:%Y-%m-%d} ~ {imported[1]:%Y-%m-%d}) are "
                     f"{'partly ' if partly else ''}outside the period picked in the sidebar ({shown})."))
        if st.button(t(f"在总览中查看 {fmt.date_span(*imported)}",
                       f"Show {fmt.date_span(*imported)} on the overview"), key="dt_show_imported"):
            ui.show_period(*imported)

# -- import history and undo ------------------------------------------------------------------------
with tabs[1]:
    history = ui.query("imports")
    if history.empty:
        st.info(t("还没有导入过文件。", "Nothing imported yet."))
    else:
        shown = pd.DataFrame({
            "#": history["import_id"],
            t("状态", "State"): [t("已撤销", "undone") if pd.notna(u) else t("有效", "in effect")
                                 for u in history["undone_at"]],  # beside the number: seen without scrolling
            t("文件", "File"): history["file_name"],
            t("格式", "Shape"): history["format"].map(lambda f: shape_label(f) if isinstance(f, str) else "—"),
            t("店铺", "Shop"): history["shop"].fillna("—"),
            t("期间", "Period"): [f"{a:%Y-%m-%d} ~ {b:%Y-%m-%d}" if pd.notna(a) and pd.notna(b) else "—"
                                 for a, b in zip(history["period_from"], history["period_to"])],
            t("行数", "Rows"): history["rows"],
            t("会话", "Sessions"): history["sessions"],
            t("导入时间", "Imported"): history["imported_at"].dt.strftime("%Y-%m-%d %H:%M"),
            t("导入人", "By"): history["imported_by"].fillna("—"),
            t("说明", "Remarks"): views.import_remarks(history, ui.lang()),
        })
        st.dataframe(shown, hide_index=True, width="stretch", placeholder="—",
                     column_config={t("说明", "Remarks"): st.column_config.TextColumn(width="large")})
        live = history[history["undone_at"].isna()]
        if not live.empty:
            with st.form("dt_undo"):
                st.markdown(t("**撤销一次导入**：删除它带来的数据，被它覆盖的旧数据恢复生效。",
                              "**Undo an import**: its rows go, and the figures it had replaced come back."))
                labels = {int(i): f"#{int(i)} · {f}" for i, f in zip(live["import_id"], live["file_name"])}
                chosen = st.selectbox(t("导入", "Import"), list(labels), format_func=labels.get, key="dt_undo_id")
                sure = st.checkbox(t("我确认撤销这次导入", "I confirm undoing this import"), key="dt_undo_sure")
                if st.form_submit_button(t("撤销", "Undo")):
                    if not sure:
                        st.warning(t("请先勾选确认。", "Tick the confirmation first."))
                    else:
                        try:
                            db.undo_import(chosen, username=username)
                        except (KeyError, ValueError) as exc:
                            ui.error(str(exc).strip("'\""))
                        else:
                            del st.session_state["dt_undo_sure"]  # the next import in the list asks again
                            ui.flash(t(f"已撤销 {labels[chosen]}", f"Undone {labels[chosen]}"))

# -- accounts to people -----------------------------------------------------------------------------
with tabs[2]:
    unmatched = ui.query("unmatched_accounts")
    if unmatched.empty:
        st.success(t("所有有数据的账号都已在花名册中。", "Every account with figures is in the roster."))
    elif not frame.can("edit_roster"):
        st.dataframe(unmatched, hide_index=True, width="stretch", placeholder="—")
    else:
        st.caption(t("这些账号有数据，但花名册里没有对应的人。绑定后它们才有团队、岗位和底薪，才能排名和算工资。",
                     "These accounts have figures but nobody in the roster owns them; bind them to a person so "
                     "they get a team, role and base salary."))
        unmatched = unmatched.assign(**{c: pd.to_datetime(unmatched[c]).dt.strftime("%Y-%m-%d")
                                        for c in ("first_date", "last_date")})
        st.dataframe(unmatched.rename(columns={"shop": t("店铺", "Shop"), "account": t("账号", "Account"),
                                               "first_date": t("最早", "First"), "last_date": t("最近", "Last"),
                                               "receptions": t("接待人数", "Receptions")}),
                     hide_index=True, width="stretch", placeholder="—")
        known = ui.query("agents")
        with st.form("dt_bind"):
            keys = [f"{s}:{a}" for s, a in zip(unmatched["shop"], unmatched["account"])]
            account = st.selectbox(t("账号", "Account"), keys, key="dt_bind_account")
            cols = st.columns(3)
            name = cols[0].text_input(t("姓名（已有的人会沿用其团队、岗位）", "Name (an existing person keeps team/role)"),
                                      key="dt_bind_name")
            team = cols[1].text_input(t("团队（可空）", "Team (optional)"), key="dt_bind_team")
            role = cols[2].selectbox(t("岗位（可空）", "Role (optional)"), [None] + ROLE_OPTIONS, key="dt_bind_role",
                                     format_func=lambda r: "—" if r is None else fmt.role(r, ui.lang()))
            names = sorted(n for n in known["name"].dropna().unique())
            if names:
                st.caption(t("已有的人：", "People already in the roster: ") + fmt.joined(names[:30], ui.lang()))
            if st.form_submit_button(t("绑定", "Bind"), type="primary"):
                shop, acct = account.rsplit(":", 1)
                try:
                    roster.bind_account(db, shop, acct, name, team=team or None, role=role, user=username)
                except roster.RosterError as exc:
                    ui.error(exc)
                else:
                    ui.flash(t(f"已把 {account} 绑定给 {name}", f"Bound {account} to {name}"))

# -- roster ------------------------------------------------------------------------------------------
UNCHANGED = "__unchanged__"


def record_change_form(current: pd.DataFrame) -> None:
    """A team, role, level, base, shift or exclusion change from a day on: the days before keep theirs."""
    st.subheader(t("记录变更（调组、调岗、调薪）", "Record a change (team, role, pay)"))
    st.caption(t("从生效日期起按新的团队、岗位、级别或底薪统计和算工资；之前的日子（包括以前各月的评分和工资）保持原样。"
                 "只填要变的项。",
                 "From the day it takes effect, figures and pay follow the new team, role, level or base; the days "
                 "before (past months' scores and pay included) keep theirs. Fill in only what changes."))
    people = {f"{row.shop}:{row.account}": row for row in current.itertuples()}
    with st.form("dt_change"):
        cols = st.columns([2, 1])
        picked = cols[0].selectbox(t("账号", "Account"), list(people), key="dt_change_account",
                                   format_func=lambda key: t(f"{key}（{people[key].name}）", f"{key} ({people[key].name})")
                                   if people[key].name else key)
        valid_from = cols[1].date_input(t("生效日期", "Takes effect on"), value=date.today().replace(day=1),
                                        key="dt_change_from")
        cols = st.columns(3)
        team = cols[0].text_input(t("新团队（空 = 不变）", "New team (blank = unchanged)"), key="dt_change_team")
        role = cols[1].selectbox(t("新岗位", "New role"), [UNCHANGED, *ROLE_OPTIONS], key="dt_change_role",
                                 format_func=lambda r: t("不变", "unchanged") if r == UNCHANGED else fmt.role(r, ui.lang()))
        level = cols[2].selectbox(t("新级别", "New level"), [UNCHANGED, *LEVEL_OPTIONS], key="dt_change_level",
                                  format_func=lambda v: t("不变", "unchanged") if v == UNCHANGED
                                  else views.level_label(v, ui.lang()))
        cols = st.columns(3)
        base = cols[0].number_input(t("新底薪 ¥（空 = 不变）", "New base ¥ (blank = unchanged)"), min_value=0.0,
                                    step=100.0, value=None, key="dt_change_base")
        shift = cols[1].text_input(t("新班次（空 = 不变）", "New shift (blank = unchanged)"), key="dt_change_shift")
        excluded = cols[2].selectbox(t("排除", "Excluded"), [UNCHANGED, "否", "是"], key="dt_change_excluded",
                                     format_func=lambda v: {UNCHANGED: t("不变", "unchanged"), "否": t("否", "no"),
                                                            "是": t("是（从这天起不参与排名）", "yes (unranked from then)")}[v])
        if st.form_submit_button(t("记录变更", "Record the change"), type="primary"):
            changes = {field: value for field, value in (
                ("team", team.strip()), ("role", role), ("level", level), ("base_salary", base),
                ("shift", shift.strip()), ("excluded", excluded)) if value not in ("", None, UNCHANGED)}
            row = people[picked]
            try:
                said = roster.record_change(db, row.shop, row.account, valid_from, changes, user=username)
            except roster.RosterError as exc:
                ui.error(exc)
            else:
                saved_then_flash("dt_roster_saves", t("已记录：", "Recorded: ") + t(*said.split(" — ", 1))
                                 if said else t(f"{picked} 在 {valid_from} 已是这样，未记录变更",
                                                f"{picked} was already so on {valid_from}: nothing recorded"))


def roster_history() -> None:
    """The accounts' recorded changes, state by state, and taking the latest one back."""
    history = roster.changes_frame(db)
    if history.empty:
        return
    st.subheader(t("变更记录", "Recorded changes"))
    shown = history.assign(
        valid_from=history["valid_from"].fillna(t("最初", "the start")),
        valid_to=history["valid_to"].fillna(t("至今", "now")),
        role=history["role"].map(lambda r: fmt.role(r, ui.lang()) if r else None),
        level=history["level"].map(lambda v: views.level_label(v, ui.lang()) if v else None))
    st.dataframe(shown.rename(columns={
        "shop": t("店铺", "Shop"), "account": t("账号", "Account"), "valid_from": t("从", "From"),
        "valid_to": t("到", "To"), "name": t("姓名", "Name"), "team": t("团队", "Team"), "role": t("岗位", "Role"),
        "level": t("级别", "Level"), "base_salary": t("底薪 ¥", "Base ¥"), "shift": t("班次", "Shift"),
        "excluded": t("排除", "Excluded")}), hide_index=True, width="stretch", placeholder="—",
        height=ui.rows_height(len(shown)))
    if not frame.can("edit_roster"):
        return
    with st.form("dt_change_undo"):
        keys = list(dict.fromkeys(f"{s}:{a}" for s, a in zip(history["shop"], history["account"])))
        picked = st.selectbox(t("撤销这个账号最近一次变更", "Take back this account's latest change"), keys,
                              key="dt_change_undo_account")
        if st.form_submit_button(t("撤销变更", "Take back")):
            shop, account = picked.rsplit(":", 1)
            roster_said(lambda: roster.undo_change(db, shop, account, user=username))


def roster_said(write) -> None:
    """Run a roster write; its "中文 — English" message shows after the rerun, a refusal at once."""
    try:
        said = write()
    except roster.RosterError as exc:
        ui.error(exc)
    else:
        saved_then_flash("dt_roster_saves", t(*said.split(" — ", 1)))


def rename_form(current: pd.DataFrame) -> None:
    """A shop or sub-account renamed on its platform: its history moves to the new name."""
    with st.expander(t("店铺或子账号改名", "A shop or sub-account renamed")):
        st.caption(t("店铺或子账号在平台上改了名后，新导出的文件用新名字：在这里把旧名字的全部数据、花名册、质检分和目标"
                     "改到新名字下，历史就接得上。两个名字下有同一账号的花名册、同一月的质检分或目标时不改名，并列出冲突。",
                     "After a shop or sub-account is renamed on its platform, new exports carry the new name: move "
                     "everything under the old name (figures, roster, QA scores, targets) to the new one so the "
                     "history carries on. Refused, with the clashes listed, where both names hold one roster "
                     "account, QA month or target."))
        names = [*ui.query("filter_options")["shop"],
                 *dict.fromkeys(f"{s}:{a}" for s, a in zip(current["shop"], current["account"]))]
        with st.form("dt_rename"):
            cols = st.columns(2)
            old = cols[0].selectbox(t("原名称（店铺，或 店铺:子账号）", "Old name (shop, or shop:account)"), names,
                                    index=None, placeholder=t("选择要改名的店铺或账号", "Pick the shop or account"),
                                    key="dt_rename_old")  # never a default: a rename is chosen, not fallen into
            new = cols[1].text_input(t("新名称（子账号可只写新账号名）", "New name (for an account, the new account alone will do)"),
                                     key="dt_rename_new")
            sure = st.checkbox(t("确认改名（会改动已导入的数据）", "Rename (this rewrites imported data)"),
                               key="dt_rename_sure")
            if st.form_submit_button(t("改名", "Rename")):
                if old is None or not sure:
                    st.warning(t("请先选择原名称并勾选确认。", "Pick the old name and tick the box first."))
                    return
                roster_said(lambda: roster.rename(db, old, new, user=username))


with tabs[3]:
    current = roster.roster_frame(db)
    if not frame.can("edit_roster"):
        st.dataframe(current, hide_index=True, width="stretch", height=ui.rows_height(len(current)), placeholder="—")
    else:
        st.caption(t("直接修改表格，可增删行；点「保存花名册」后生效。排除 = 机器人、测试或主管账号，不参与排名"
                     "（离职的客服不要排除：排除会去掉其全部历史）。表格里的修改是更正，对该账号的全部历史生效"
                     "（有变更记录的账号，从最近一次变更起）；调组、调岗、调薪请用下面的「记录变更」，以前的月份保持原样。",
                     "Edit the table (rows can be added and deleted), then save. Excluded = robot, test or "
                     "manager accounts, left out of every ranking (do not exclude a leaver: that removes all their "
                     "history). An edit here is a correction: it applies to all the account's history (since its "
                     "last recorded change, if any). For a team move, a new role or new pay, use “Record a change” "
                     "below: past months keep what they had."))
        edited = st.data_editor(
            current, key=f"dt_roster_{st.session_state.get('dt_roster_saves', 0)}", num_rows="dynamic",
            hide_index=True, width="stretch", height=ui.rows_height(len(current), adding=True), placeholder="",
            column_config={
                "shop": st.column_config.TextColumn(t("店铺", "Shop"), required=True),
                "account": st.column_config.TextColumn(t("账号", "Account"), required=True),
                "name": st.column_config.TextColumn(t("姓名", "Name")),
                "team": st.column_config.TextColumn(t("团队", "Team")),
                "role": st.column_config.SelectboxColumn(t("岗位", "Role"), options=ROLE_OPTIONS,
                                                         format_func=lambda r: fmt.role(r, ui.lang())),
                "level": st.column_config.SelectboxColumn(t("级别", "Level"), options=LEVEL_OPTIONS,
                                                          format_func=lambda v: views.level_label(v, ui.lang())),
                "base_salary": st.column_config.NumberColumn(
                    t("底薪 ¥", "Base ¥"), min_value=0, step=100,
                    help=t("留空 = 按级别底薪；填 0 = 这个账号不计底薪（同一人在几个店铺都有账号、只发一份底薪时）",
                           "Blank = the base for the level; 0 = no base on this account (for someone "
                           "with accounts in several shops who is paid one base)")),
                "shift": st.column_config.TextColumn(t("班次", "Shift")),
                "excluded": st.column_config.CheckboxColumn(t("排除", "Excluded")),
            },
        )
        if st.button(t("保存花名册", "Save roster"), type="primary", key="dt_roster_save"):
            try:
                saved = roster.save_roster_frame(db, edited, user=username)
            except roster.RosterError as exc:
                ui.error(exc)
            else:
                saved_then_flash("dt_roster_saves", t(f"花名册已保存，共 {saved} 行",
                                                      f"Roster saved: {fmt.counted(saved, 'row')}"))
        if not current.empty:
            record_change_form(current)
    roster_history()
    if frame.can("edit_roster"):
        rename_form(current)

# -- QA scores ---------------------------------------------------------------------------------------
with tabs[4]:
    last = frame.date_to or date.today()
    months = list(pd.date_range(end=pd.Timestamp(last).replace(day=1), periods=12, freq="MS").date[::-1])
    month = st.selectbox(t("月份", "Month"), months, key="dt_qa_month", format_func=lambda m: f"{m:%Y-%m}")
    scores = roster.qa_frame(db, month)
    if scores.empty:
        st.info(t("花名册里还没有人；先在「花名册」里添加或绑定账号。", "Nobody in the roster yet; add people first."))
    elif not frame.can("enter_qa"):
        st.dataframe(scores, hide_index=True, width="stretch", height=ui.rows_height(len(scores)), placeholder="—")
    else:
        # member care and data completeness are the VIP scheme's: shown once someone is VIP or has one
        vip_scores = (scores["role"] == "vip").any() or scores[list(MANUAL_SCORES[1:])].notna().any(axis=None)
        shown = list(MANUAL_SCORES) if vip_scores else ["qa_score"]
        st.caption(t("填写 0–100 的分数，点「保存评分」。只保存改动过的格子。",
                     "Enter scores (0–100) and save; only changed cells are written."))
        base = scores[["shop", "account", "name", "team", *shown]]
        edited = st.data_editor(
            base, key=f"dt_qa_{month:%Y%m}_{st.session_state.get('dt_qa_saves', 0)}", hide_index=True,
            width="stretch", height=ui.rows_height(len(base)), placeholder="", disabled=["shop", "account", "name", "team"],
            column_config={"shop": t("店铺", "Shop"), "account": t("账号", "Account"), "name": t("姓名", "Name"),
                           "team": t("团队", "Team"),
                           **{m: st.column_config.NumberColumn(ui.label(m), min_value=0, max_value=100, step=0.5)
                              for m in shown}},
        )
        if st.button(t("保存评分", "Save scores"), type="primary", key="dt_qa_save"):
            problems, saved = [], 0
            for metric in shown:
                changed = edited[edited[metric].notna() & (edited[metric].fillna(-1) != base[metric].fillna(-1))]
                for row in changed.itertuples(index=False):
                    try:
                        roster.set_qa(db, row.shop, row.account, month, getattr(row, metric), user=username,
                                      metric=metric)
                        saved += 1
                    except roster.RosterError as exc:
                        problems.append(f"{row.shop}:{row.account}: {exc}")
            for problem in problems:
                ui.error(problem)
            if not problems:
                saved_then_flash("dt_qa_saves", t(f"已保存 {saved} 个评分（{month:%Y-%m}）",
                                                  f"{fmt.counted(saved, 'score')} saved ({month:%Y-%m})"))

# -- targets -------------------------------------------------------------------------------------------
UNIT_WORDS = {"pct": ("%", "%"), "cny": ("元", "CNY"), "s": ("秒", "s"), "count": ("", ""), "ratio": ("", "")}
with tabs[5]:
    current = (frame.date_to or date.today()).replace(day=1)
    months = list(pd.date_range(end=pd.Timestamp(current) + pd.DateOffset(months=2), periods=15, freq="MS").date[::-1])
    month = st.selectbox(t("月份", "Month"), months, index=months.index(current), key="dt_tg_month",
                         format_func=lambda m: f"{m:%Y-%m}")
    scopes = ui.query("target_scopes")
    month_stored = targets.targets_frame(db, month)
    set_in_month = views.month_targets(month_stored, scopes, ui.lang())

    def scope_choice(i: int) -> str:
        label, count = targets.scope_label(*scopes[i], lang=ui.lang()), set_in_month.counts.get(i)
        return t(f"{label}（{count} 个目标）", f"{label} ({fmt.counted(count, 'target')})") if count else label

    scope = st.selectbox(t("范围", "Scope"), range(len(scopes)), key="dt_tg_scope", format_func=scope_choice)
    shop, team, account = scopes[scope]
    st.caption(t("销售额、接待人数这类合计指标填整月的目标，查看月中数据时按天数折算并预测月底；转化率、响应时间这类比率指标"
                 "填要达到的水平。百分比填数字（35 即 35%）。清空格子即删除目标。",
                 "Totals (sales, receptions) take the whole month's target: part of a month is held to its share "
                 "of the days, and a running month is projected to its end. Rates take the level to reach. "
                 "Percentages as numbers (35 = 35%). Clear a cell to remove its target."))
    stored = month_stored[(month_stored["shop"] == shop) & (month_stored["team"] == team)
                          & (month_stored["account"] == account)]
    stored = stored.set_index("metric")["value"]
    shown = [*targets.TARGET_KPIS, *(m for m in stored.index if m not in targets.TARGET_KPIS)]
    before_end = month - timedelta(days=1)
    scope_filters = {k: [v] for k, v in (("shop", shop), ("team", team), ("account", account)) if v}
    last_month = ui.query("team_totals", before_end.replace(day=1), before_end, **scope_filters)

    def entry(metric: str, value):
        """A stored value as typed in the editor (percent points for a percentage)."""
        if value is None or pd.isna(value):
            return None
        return float(value) * 100 if kpi(metric).unit == "pct" else float(value)

    base = pd.DataFrame({
        "metric": shown,
        "label": [ui.label(m) for m in shown],
        "unit": [t(*UNIT_WORDS.get(kpi(m).unit, ("", ""))) for m in shown],
        "last_month": [fmt.value(m, last_month.get(m), ui.lang()) for m in shown],
        "target": [entry(m, stored.get(m)) for m in shown],
    })
    if not frame.can("set_targets"):
        st.dataframe(base.drop(columns="metric"), hide_index=True, width="stretch", height=ui.rows_height(len(base)),
                     placeholder="—")
    else:
        edited = st.data_editor(
            base, key=f"dt_tg_{month:%Y%m}_{scope}_{st.session_state.get('dt_tg_saves', 0)}", hide_index=True,
            width="stretch", height=ui.rows_height(len(base)), placeholder="", disabled=["label", "unit", "last_month"],
            column_order=["label", "target", "unit", "last_month"],
            column_config={"label": t("指标", "KPI"), "unit": t("单位", "Unit"),
                           "last_month": t(f"上月实际（{before_end:%Y-%m}）", f"Last month ({before_end:%Y-%m})"),
                           "target": st.column_config.NumberColumn(t(f"{month:%Y-%m} 目标", f"{month:%Y-%m} target"),
                                                                   min_value=0, format="localized")},
        )
        buttons = st.columns([1, 1, 4])
        before_month = before_end.replace(day=1)
        if buttons[1].button(t(f"复制 {before_month:%Y-%m} 的目标", f"Copy {before_month:%Y-%m}'s targets"),
                             key="dt_tg_copy", help=t("只填本月还空着的指标", "only fills the KPIs still empty")):
            copied = targets.copy_month(db, before_month, month, shop=shop, team=team, account=account, user=username)
            saved_then_flash("dt_tg_saves", t(f"已从 {before_month:%Y-%m} 复制 {copied} 个目标",
                                              f"{fmt.counted(copied, 'target')} copied from {before_month:%Y-%m}"))
        if buttons[0].button(t("保存目标", "Save targets"), type="primary", key="dt_tg_save"):
            problems, saved = [], 0
            changed = edited[edited["target"].fillna(-1) != base["target"].fillna(-1)]
            for row in changed.itertuples(index=False):
                value = None if pd.isna(row.target) else (f"{row.target}%" if kpi(row.metric).unit == "pct"
                                                          else row.target)
                try:
                    targets.set_target(db, row.metric, month, value, shop=shop, team=team, account=account,
                                       user=username)
                    saved += 1
                except targets.TargetError as exc:
                    problems.append(str(exc))
            for problem in problems:
                ui.error(problem)
            if not problems:
                saved_then_flash("dt_tg_saves",
                                 t(f"已保存 {saved} 个目标（{targets.scope_label(shop, team, account)} · {month:%Y-%m}）",
                                   f"{fmt.counted(saved, 'target')} saved "
                                   f"({targets.scope_label(shop, team, account, lang='en')} · "
                                   f"{month:%Y-%m})"))

        with st.expander(t("从表格导入目标", "Import targets from a spreadsheet")):
            st.caption(t("表头含「月份」，以及「指标」「目标」两列或每个指标一列（销售额、询单转化率……）；可加「店铺」「团队」"
                         "或「账号」列，留空即全部。有一个格子读不懂就什么都不写入，并列出问题所在的行。",
                         "A header with 月份 (month) and either 指标 + 目标 columns or a column per KPI (销售额, "
                         "询单转化率 …); 店铺 / 团队 / 账号 columns optional, blank = all. One unreadable cell and "
                         "nothing is stored; every bad row is listed."))
            sheet = st.file_uploader(t("目标表格", "Targets spreadsheet"), type=["xlsx", "xls", "csv"], key="dt_tg_file")
            if sheet is not None and st.button(t("导入目标", "Import targets"), key="dt_tg_import"):
                saved_to = upload_dir() / Path(sheet.name).name
                saved_to.write_bytes(sheet.getvalue())
                try:
                    imported = targets.import_targets(db, saved_to, user=username)
                except targets.TargetError as exc:
                    ui.error(exc)
                else:
                    saved_then_flash("dt_tg_saves", t(f"已从 {sheet.name} 导入 {imported} 个目标",
                                                      f"{fmt.counted(imported, 'target')} imported from {sheet.name}"))

    if len(set_in_month.table):
        st.subheader(t(f"{month:%Y-%m} 全部目标", f"All targets of {month:%Y-%m}"))
        st.caption(t("点一行即在上面编辑该范围的目标。", "Click a row to edit that scope's targets above."))

        grid_key = f"dt_tg_grid_{month:%Y%m}_{scope}"  # a new grid, no row picked, once the scope changes

        def edit_picked() -> None:
            picked = st.session_state[grid_key].selection.rows
            if picked and set_in_month.scopes[picked[0]] >= 0:
                st.session_state["dt_tg_scope"] = set_in_month.scopes[picked[0]]

        st.dataframe(set_in_month.table, hide_index=True, width="stretch", key=grid_key,
                     height=ui.rows_height(len(set_in_month.table)), on_select=edit_picked,
                     selection_mode="single-row")

# -- inbox ---------------------------------------------------------------------------------------------
with tabs[6]:
    box = inbox.state()
    st.caption(t(f"收件箱文件夹：{box['inbox']}。放进去的表格文件会被自动导入，之后移到 done/（成功）或 failed/（失败，"
                 "旁边的 .error.txt 写明原因）。",
                 f"Inbox folder: {box['inbox']}. Spreadsheets dropped here are imported automatically, then moved "
                 "to done/ or failed/ (with a .error.txt saying why)."))
    tiles = st.columns(4)
    tiles[0].metric(t("等待导入", "Pending"), box["pending"])
    tiles[1].metric(t("导入中", "Processing"), box["processing"])
    tiles[2].metric(t("已完成", "Done"), box["done"])
    tiles[3].metric(t("失败", "Failed"), box["failed"])
    if box["ignored"]:
        st.warning(t("这些文件不是可导入的表格，被忽略：", "Not importable spreadsheets, ignored: ")
                   + fmt.joined(box["ignored"], ui.lang()))
    if box["events"]:
        st.dataframe(pd.DataFrame({
            t("时间", "Time"): [e.at.strftime("%m-%d %H:%M:%S") for e in box["events"]],
            t("文件", "File"): [e.file for e in box["events"]],
            t("结果", "Outcome"): [t(*OUTCOME_LABELS.get(e.outcome, (e.outcome, e.outcome))) for e in box["events"]],
            t("说明", "Message"): [e.message for e in box["events"]],
        }), hide_index=True, width="stretch", placeholder="—")
    else:
        st.caption(t("本次运行以来收件箱没有处理过文件。", "The inbox has handled no file since the dashboard started."))

# -- users and audit (owner) ---------------------------------------------------------------------------
if frame.can("manage_users"):
    with tabs[7]:
        st.subheader(t("用户", "Users"))
        accounts = auth.list_users(db)
        st.dataframe(pd.DataFrame({
            t("用户名", "Username"): accounts["username"],
            t("角色", "Role"): accounts["role"].map(lambda role: auth.role_label(role, ui.lang())),
            t("绑定的客服账号", "Agent account"): [f"{s}:{a}" if isinstance(a, str) else "—"
                                                  for s, a in zip(accounts["shop"], accounts["account"])],
            t("创建时间", "Created"): accounts["created_at"].dt.strftime("%Y-%m-%d %H:%M"),
        }), hide_index=True, width="stretch", placeholder="—")
        add, change = st.columns(2)
        added = st.session_state.get("dt_users_added", 0)  # fresh fields once a user is added
        with add.form("dt_add_user"):  # not cleared on submit: after a refusal what was typed stays
            st.markdown(t("**添加用户**", "**Add a user**"))
            new_name = st.text_input(t("用户名", "Username"), key=f"dt_new_name_{added}")
            new_role = st.selectbox(t("角色", "Role"), list(auth.ROLES), index=list(auth.ROLES).index("agent"),
                                    key=f"dt_new_role_{added}",  # the least a mistake can give away: one's own
                                    format_func=lambda role: auth.role_label(role, ui.lang()))
            new_password = st.text_input(t("初始密码（至少8位）", "Password (8+ characters)"), type="password",
                                         key=f"dt_new_password_{added}")
            agents = ui.query("agents")
            bound = st.selectbox(t("客服账号（角色为客服时必选）", "Agent account (for the agent role)"),
                                 [None] + [f"{s}:{a}" for s, a in zip(agents["shop"], agents["agent"])],
                                 format_func=lambda v: "—" if v is None else v, key=f"dt_new_account_{added}")
            if st.form_submit_button(t("添加", "Add"), type="primary") and binding_fits(new_role, bound):
                role_zh, role_en = auth.role_label(new_role, "zh"), auth.role_label(new_role, "en")
                shop, account = bound.rsplit(":", 1) if bound else (None, None)
                try:
                    made = auth.add_user(db, new_name, new_password, new_role, shop=shop, account=account,
                                         by=username)
                except ValueError as exc:
                    ui.error(exc)
                else:
                    saved_then_flash("dt_users_added", t(
                        f"已添加用户 {made.username}：{role_zh}" + (f"，客服账号 {bound}" if bound else ""),
                        f"Added user {made.username} as {role_en}" + (f", agent account {bound}" if bound else "")))
        users = accounts["username"].tolist()
        with change.form("dt_password", clear_on_submit=True):
            st.markdown(t("**重设密码**", "**Reset a password**"))
            who = st.selectbox(t("用户", "User"), users, key="dt_pw_user")
            password = st.text_input(t("新密码（至少8位）", "New password (8+ characters)"), type="password")
            if st.form_submit_button(t("重设", "Reset")):
                try:
                    auth.set_password(db, who, password, by=username)
                except ValueError as exc:
                    ui.error(exc)
                else:
                    st.success(t(f"已重设 {who} 的密码", f"Password of {who} reset"))
        with change.form("dt_role"):
            st.markdown(t("**修改角色**（密码不变，对方下次操作页面时生效）",
                          "**Change a role** (the password stays; it applies on their next page)"))
            recast = st.selectbox(t("用户", "User"), users, key="dt_role_user")
            recast_role = st.selectbox(t("新角色", "New role"), list(auth.ROLES), index=None, key="dt_role_role",
                                       placeholder=t("选择角色", "Pick a role"),
                                       format_func=lambda role: auth.role_label(role, ui.lang()))
            recast_bound = st.selectbox(t("客服账号（新角色为客服时必选）", "Agent account (for the agent role)"),
                                        [None] + [f"{s}:{a}" for s, a in zip(agents["shop"], agents["agent"])],
                                        format_func=lambda v: "—" if v is None else v, key="dt_role_account")
            if st.form_submit_button(t("修改", "Change")):
                if recast_role is None:
                    st.warning(t("请选择新角色。", "Pick the new role."))
                elif binding_fits(recast_role, recast_bound):
                    shop, account = recast_bound.rsplit(":", 1) if recast_bound else (None, None)
                    try:
                        made = auth.change_role(db, recast, recast_role, shop=shop, account=account, by=username)
                    except ValueError as exc:
                        ui.error(exc)
                    else:
                        ui.flash(t(f"已把 {made.username} 改为{auth.role_label(made.role, 'zh')}"
                                   + (f"，客服账号 {recast_bound}" if recast_bound else ""),
                                   f"{made.username} is now {auth.role_label(made.role, 'en')}"
                                   + (f", agent account {recast_bound}" if recast_bound else "")))
        with change.form("dt_remove_user"):
            st.markdown(t("**删除用户**", "**Remove a user**"))
            gone = st.selectbox(t("用户", "User"), [u for u in users if u != username], key="dt_rm_user")
            sure = st.checkbox(t("我确认删除这个用户", "I confirm removing this user"), key="dt_rm_sure")
            if st.form_submit_button(t("删除", "Remove")):
                if not sure:
                    st.warning(t("请先勾选确认。", "Tick the confirmation first."))
                elif gone:
                    try:
                        auth.remove_user(db, gone, by=username)
                    except ValueError as exc:
                        ui.error(exc)
                    else:
                        ui.flash(t(f"已删除用户 {gone}", f"Removed user {gone}"))

        st.subheader(t("操作日志", "Audit trail"))
        trail = auth.audit_frame(db)
        st.download_button(t("导出 CSV", "Export CSV"), auth.audit_csv(db, lang=ui.lang()),
                           file_name=f"audit-{date.today()}.csv", mime="text/csv", key="dt_audit_csv")
        recent = trail.head(500)
        st.caption(t(f"共 {len(trail)} 条，下面显示最近 {len(recent)} 条；导出包含全部。",
                     f"{len(trail)} entries; the latest {len(recent)} are shown, the export has all."))
        st.dataframe(recent.assign(happened_at=recent["happened_at"].dt.strftime("%Y-%m-%d %H:%M:%S"),
                                   username=recent["username"].fillna("—"),
                                   action=recent["action"].map(lambda action: auth.action_label(action, ui.lang())))
                     .rename(columns={"happened_at": t("时间", "Time"), "username": t("用户", "User"),
                                      "action": t("操作", "Action"), "detail": t("详情", "Detail")}),
                     hide_index=True, width="stretch", placeholder="—")
