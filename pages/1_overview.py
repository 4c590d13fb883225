"""总览 Overview: the period's team KPIs, teams and shops side by side, what needs attention.

The page watches the database while it is open: files dropped into the inbox are
imported by the background watcher, and the page redraws itself with a notice of what
arrived, so the owner can leave it on a screen.
"""

from csperf import ui

frame = ui.page_frame("总览", "Overview", permission="view_team")

from datetime import datetime  # noqa: E402

import pandas as pd  # noqa: E402
import streamlit as st  # noqa: E402

from csperf import inbox, queries, targets, views  # noqa: E402
from csperf import ui_format as fmt  # noqa: E402

LIVE_SECONDS = 5
INBOX = inbox.inbox_dir()
lang = ui.lang()
drawn_version = frame.db.data_version()
drawn_at = datetime.now()


# -- live refresh (drawn last, or where the page stops early) ---------------------------------

@st.fragment(run_every=LIVE_SECONDS)
def watch_for_new_data() -> None:
    ui.check_session()  # a tab left open after signing out elsewhere stops polling
    if frame.db.data_version() == drawn_version:
        st.caption(ui.t(f"● 实时：每 {LIVE_SECONDS} 秒检查一次收件箱 {INBOX}",
                        f"● Live: checking the inbox {INBOX} every {LIVE_SECONDS} s"))
        if frame.can("import"):  # a file that changed nothing would otherwise go unseen
            for event in ui.inbox_events():
                if event.at >= drawn_at and event.outcome in ("failed", "duplicate"):
                    (st.warning if event.outcome == "failed" else st.info)(
                        ui.t("收件箱的文件未导入：", "An inbox file was not imported: ") + str(event))
        return
    news = [str(e) for e in ui.inbox_events() if e.at >= drawn_at]
    st.session_state["overview_arrived"] = news or [ui.t("数据已更新", "The data changed")]
    st.rerun()


st.title(ui.t("总览", "Overview"))
as_of = ui.query("data_as_of")
last_import = pd.Timestamp(as_of["last_import"]) if as_of["last_import"] is not None else None
if last_import is not None and last_import.tzinfo is not None:
    last_import = last_import.tz_convert("Asia/Shanghai")
previous_span = fmt.date_span(*frame.previous, frame.date_from, frame.date_to)
against_zh, against_en = views.against_name(frame.against), views.against_name(frame.against, "en")
st.caption(
    ui.t(f"{frame.date_from:%Y-%m-%d} ~ {frame.date_to:%Y-%m-%d}，对比{against_zh} {previous_span} · "
         f"数据截至 {as_of['last_date']:%Y-%m-%d}"
         + (f"（最近导入 {last_import:%m-%d %H:%M}）" if last_import is not None else ""),
         f"{frame.date_from:%Y-%m-%d} ~ {frame.date_to:%Y-%m-%d}, against {against_en} {previous_span} · "
         f"data as of {as_of['last_date']:%Y-%m-%d}"
         + (f" (last import {last_import:%m-%d %H:%M})" if last_import is not None else ""))
)

lagging = views.lagging_note(as_of, lang)
if lagging:
    st.caption(f":orange[{lagging}]")
promotions = views.promotion_note(queries.promotion_days(frame.date_from, frame.date_to),
                                  queries.promotion_days(*frame.previous), lang, frame.against)
if promotions:
    st.caption(f":orange[{promotions}]")

arrived = st.session_state.pop("overview_arrived", None)
if arrived:
    st.toast(ui.t("新数据已到达", "New data arrived"), icon=":material/inbox:")
    st.success(ui.t("新数据已导入，页面已刷新：", "New data imported; the page has refreshed:") + "\n\n"
               + "\n".join(f"- {line}" for line in arrived))

# -- tiles --------------------------------------------------------------------------------------

SHOP_LEVEL_KPIS = ["sales", "inquiries", "conversion_rate", "aov", "receptions", "reply_rate", "reply_3min_rate",
                   "first_response_s", "avg_response_s", "satisfaction"]
# a shop's own figures (生意参谋 files with no agent column) have no team, role or agent to filter by
shop_filters = {key: value for key, value in frame.filters.items() if key == "shop"}
shops_own = (ui.query("kpi_table", frame.date_from, frame.date_to, by="shop", shop_level=True, **shop_filters)
             if shop_filters == frame.filters else pd.DataFrame())
now = ui.query("team_totals", frame.date_from, frame.date_to, **frame.filters)
agents_in_view = bool(views.tiles(now, pd.Series(dtype=object)))
tile_scope = frame.filters
if not agents_in_view and not shops_own.empty:  # only shop-level figures: the tiles show those
    st.info(ui.t("这段期间只有店铺整体数据（生意参谋等没有客服列的文件），没有客服明细；下面是店铺自己的数字。",
                 "Only shop-level figures for this period (files with no agent column, such as 生意参谋); "
                 "no per-agent figures. The tiles show the shops' own figures."))
    tile_scope = {"shop_level": True, **shop_filters}
    now = ui.query("team_totals", frame.date_from, frame.date_to, **tile_scope)
before = ui.query("team_totals", *frame.previous, **tile_scope)
firsts = ui.query("first_dates", **tile_scope)
before, previous_gap = views.comparable_previous(before, frame.previous, firsts, lang, frame.against)
if previous_gap:
    st.caption(f":orange[{previous_gap}]")
tiles = views.tiles(now, before, spare=views.SPARE_TILE_KPIS)
goals = targets.standings(ui.query("targets", frame.date_from, frame.date_to, **frame.filters), now,
                          frame.date_from, frame.date_to) if agents_in_view else {}
if not tiles:
    st.info(ui.t("所选期间和筛选条件下没有数据。请换一个期间，或清除侧边栏的筛选。",
                 "No figures for this period and these filters. Pick another period or clear the sidebar filters."))
    watch_for_new_data()
    st.stop()

PER_ROW = 4
for start in range(0, len(tiles), PER_ROW):
    for column, tile in zip(st.columns(PER_ROW), tiles[start:start + PER_ROW]):
        with column.container(border=True):
            flat = tile.improved is None
            st.metric(ui.label(tile.metric), fmt.value(tile.metric, tile.value, ui.lang()), tile.delta_text,
                      delta_color="off" if flat else tile.delta_color, delta_arrow="off" if flat else "auto",
                      help=f"{views.against_name(frame.against, lang)} {fmt.value(tile.metric, tile.previous, lang)}")
            st.caption(views.count_text(tile.metric, tile.n, lang))
            line = ui.sparkline(tile.metric, frame.date_from, frame.date_to, frame.filters, lang) if agents_in_view else None
            if line is not None:
                st.plotly_chart(line, config={"displayModeBar": False}, key=f"spark_{tile.metric}")
            if tile.metric in goals:
                ui.target_caption(goals[tile.metric])
            elif goals:  # the others have targets: say this one has none (and keep the tiles level)
                st.caption(ui.t("未设目标", "no target set"))


def shop_level_table() -> None:
    """The shops' own figures, apart from the agents': summed together they would count every buyer twice."""
    st.subheader(ui.t("店铺整体数据", "Shop-level figures"))
    st.dataframe(views.summary_table(shops_own, ["shop"], SHOP_LEVEL_KPIS, lang, with_agents=False),
                 hide_index=True, placeholder="—")
    st.caption(ui.t("来自没有客服列的店铺级文件（如生意参谋），单独列出，不计入上面的客服合计。",
                    "From shop-level files with no agent column (such as 生意参谋); shown apart and not "
                    "counted in the agents' totals above."))


if not agents_in_view:
    shop_level_table()
    watch_for_new_data()
    st.stop()

# -- alerts -------------------------------------------------------------------------------------

alerts = ui.alerts((frame.date_from, frame.date_to), frame.previous, frame.filters, frame.against)
unscored = ui.scores(frame.date_from, frame.date_to).within(frame.filters).unassigned

st.subheader(ui.t("需要关注", "Needs attention"))
if not alerts:
    st.success(ui.t("一切正常：没有明显落后的客服，没有待结算或未绑定的数据。",
                    "All clear: nobody far behind, nothing provisional or unbound."))
SHOWN = 6
show = {"error": st.error, "warning": st.warning, "info": st.info}
for alert in alerts[:SHOWN]:
    show[alert.level](alert.text(lang))
if len(alerts) > SHOWN:
    with st.expander(ui.t(f"还有 {len(alerts) - SHOWN} 条", f"{len(alerts) - SHOWN} more")):
        levels = {"error": ui.t("严重", "severe"), "warning": ui.t("注意", "warning"), "info": ui.t("提示", "note")}
        st.dataframe(pd.DataFrame({ui.t("级别", "Level"): [levels[a.level] for a in alerts[SHOWN:]],
                                   ui.t("提醒", "Alert"): [a.text(lang) for a in alerts[SHOWN:]]}),
                     hide_index=True, width="stretch", placeholder="—")
if any(a.kind == "unmatched" for a in alerts) and frame.can("edit_roster"):
    st.page_link(ui.PAGE_BY_URL["data"].file, label=ui.t("去绑定账号", "Bind accounts"), icon=":material/link:")
if not unscored.empty:
    st.caption(ui.t(f"{len(unscored)} 个账号没有适用的考核方案（岗位没有指派，或指派的是其他岗位的方案），未计分。",
                    f"{len(unscored)} accounts have no scheme that applies to their role and are not scored."))

# -- teams and shops --------------------------------------------------------------------------------

TEAM_KPIS = ["sales", "conversion_rate", "first_response_s", "reply_rate", "satisfaction"]
SHOP_KPIS = ["sales", "conversion_rate", "aov", "satisfaction"]
# one above the other at full width: side by side, each cut off its last columns
st.subheader(ui.t("团队", "Teams"))
teams = ui.query("kpi_table", frame.date_from, frame.date_to, by="team", **frame.filters)
keys = ["shop", "team"] + (["role"] if teams["role"].nunique(dropna=False) > 1 else [])
st.dataframe(views.summary_table(teams, keys, TEAM_KPIS, lang), hide_index=True, placeholder="—")
st.subheader(ui.t("店铺", "Shops"))
shops = ui.query("kpi_table", frame.date_from, frame.date_to, by="shop", **frame.filters)
st.dataframe(views.summary_table(shops, ["shop"], SHOP_KPIS, lang, with_agents=False), hide_index=True, placeholder="—")
own_goals = ui.scope_goals((frame.date_from, frame.date_to), frame.filters)
if own_goals:
    st.subheader(ui.t("店铺与团队目标", "Shop and team targets"))
    ui.goal_progress(views.goal_table(own_goals, lang))
    st.caption(ui.t("店铺、团队自己的月目标（「数据」页设置），按整店、整组计算。绿色达标（本月进行中看月底预计），橙色未达标。",
                    "Each shop's and team's own monthly targets (set on the Data page), for the whole shop or "
                    "team. Green: on target (while the month runs, on pace); orange: short of it."))
if not shops_own.empty:
    shop_level_table()
watch_for_new_data()
