"""排行榜 Leaderboard: score, rank and rank move under the scheme that applies, each KPI
against the team with the sample it rests on, pay only for those allowed to see it."""

from csperf import ui

frame = ui.page_frame("排行榜", "Leaderboard", permission="view_team")


import pandas as pd  # noqa: E402
import streamlit as st  # noqa: E402

from csperf import safe_export, schemes, views  # noqa: E402
from csperf import ui_format as fmt  # noqa: E402

ASSIGNED = ""  # the selectbox value for "each agent's own scheme"
show_pay = frame.can("view_pay_all")

st.title(ui.t("排行榜", "Leaderboard"))

saved = schemes.list_schemes(frame.db)
names = [ASSIGNED] + saved.loc[saved["latest"], "name"].tolist()
chosen = st.selectbox(
    ui.t("考核方案", "Scheme"), names, key="lb_scheme",
    format_func=lambda n: ui.t("按岗位指派的方案（默认）", "Each role's assigned scheme (default)") if n == ASSIGNED else n,
    help=ui.t("默认按每位客服的岗位使用当期指派的方案；也可以选一个已保存的方案给所有人算分。",
              "By default each agent is scored with the scheme assigned to its role for the period; "
              "pick a saved scheme to score everyone with it."),
)


# Everyone is scored, then the sidebar filters pick the rows: a filter never moves a team average.
board = ui.leaderboard((frame.date_from, frame.date_to), frame.previous, None if chosen == ASSIGNED else chosen,
                       frame.filters, show_pay)
table, labelled = board.table, board.labelled

against = fmt.date_span(*frame.previous, frame.date_from, frame.date_to)
st.caption(ui.t(
    f"{frame.date_from:%Y-%m-%d} ~ {frame.date_to:%Y-%m-%d} · 名次变化对比{views.against_name(frame.against)} {against}"
    f" · 方案：{'、'.join(board.schemes) or '—'}",
    f"{frame.date_from:%Y-%m-%d} ~ {frame.date_to:%Y-%m-%d} · rank moves against "
    f"{views.against_name(frame.against, 'en')} {against} · "
    f"scheme: {', '.join(board.schemes) or '—'}"))
partial = views.partial_previous_note(frame.previous, ui.query("first_dates", **frame.filters), ui.lang(), frame.against)
if partial:
    st.caption(f":orange[{partial}]")
if show_pay:
    ui.period_notes(board.schemes.values(), frame)
if board.payroll is not None:
    st.markdown(f"**{board.payroll.text(ui.lang())}**")
    repeated = board.payroll.repeated_text(ui.lang())
    if repeated:
        st.caption(f":orange[{repeated}]")
if table.empty:
    roles_zh, roles_en = (("在「数据」页维护花名册的岗位", "set roles in the roster on the Data page")
                          if frame.can("edit_roster") else
                          ("请店主或主管在花名册里设置岗位", "ask the owner or a supervisor to set roles in the roster"))
    st.info(ui.t(f"所选期间和筛选条件下没有可计分的客服。请换一个期间、清除筛选，或{roles_zh}。",
                 f"No agent to score for this period and these filters. Pick another period, clear the filters, "
                 f"or {roles_en}."))
    st.stop()

for note in views.skipped_by_all_notes(table, board.schemes, ui.lang()):
    st.info(note)
if frame.can("whatif"):
    for note in views.band_fit_notes(table, board.schemes, ui.lang()):
        st.info(note)
if board.unassigned:
    st.caption(ui.t(f"{board.unassigned} 个账号没有适用的方案（岗位没有指派方案，或不是所选方案的岗位），未列入。",
                    f"{fmt.counted(board.unassigned, 'account')} with no scheme that applies (none assigned to "
                    "their role, or the chosen scheme is for another role): not listed."))

# A page of rows at a time: colouring thousands of cells on every rerun would make the
# page slow for a large agency; the Excel export below always holds every row.
PAGE_ROWS = 100
shown = labelled.frame.reset_index(drop=True)
if len(shown) > PAGE_ROWS:
    pages = (len(shown) + PAGE_ROWS - 1) // PAGE_ROWS
    part = st.number_input(ui.t(f"第几页（共 {pages} 页，每页 {PAGE_ROWS} 人）",
                                f"Page (of {pages}, {PAGE_ROWS} agents each)"),
                           min_value=1, max_value=pages, value=1, step=1, key="lb_page")
    shown = shown.iloc[(part - 1) * PAGE_ROWS: part * PAGE_ROWS]
status = views.kpi_status_frame(table.reset_index(drop=True).loc[shown.index], labelled.kpis.values())


def colour(column: pd.Series) -> list[str]:
    metric = labelled.kpis[column.name]
    return [ui.CELL_COLOURS.get(s, "") for s in status[metric]]


def goal_colour(column: pd.Series) -> list[str]:
    """Green on target (or on pace mid-month), orange short of it: the agent page's colours."""
    met = table.reset_index(drop=True).loc[shown.index, f"{labelled.goals[column.name]}_target_met"]
    return ["" if pd.isna(m) else ui.CELL_COLOURS["above" if m else "short"] for m in met]


score_header, rank_header = ui.t("得分", "Score"), ui.t("名次", "Rank")
formats = {header: (lambda v, m=metric: fmt.value(m, v, ui.lang())) for header, metric in labelled.kpis.items()}
formats |= {header: fmt.count for header in labelled.counts}
formats |= {header: fmt.money for header in labelled.money}
formats |= {header: fmt.percent for header in labelled.goals}
if ui.t("系数", "Coefficient") in labelled.frame.columns:
    formats[ui.t("系数", "Coefficient")] = lambda v: "—" if fmt.missing(v) else f"{v:g}"
styler = shown.style.format(formats).apply(colour, subset=list(labelled.kpis))
if labelled.goals:
    styler = styler.apply(goal_colour, subset=list(labelled.goals))
st.dataframe(
    styler, hide_index=True, height=ui.rows_height(len(shown)),
    column_config={
        ui.t("客服", "Agent"): st.column_config.Column(pinned=True),
        rank_header: st.column_config.NumberColumn(rank_header, help=ui.t("比较组内的名次", "Rank within the group"),
                                                   width="small", pinned=True),
        score_header: st.column_config.ProgressColumn(score_header, min_value=0, max_value=120, format="%.1f",
                                                      help=ui.t("100 = 与团队持平", "100 = level with the team")),
        **{header: st.column_config.Column(header, help=ui.t("绿色：优于团队；红色：不如团队",
                                                              "green: better than the team; red: worse"))
           for header in labelled.kpis},
        **{header: st.column_config.Column(header, help=ui.t(
            "客服本人目标的达成率（「数据」页设置）：总量为已完成占目标的比例，本月进行中时按整月目标算、颜色看月底预计；"
            "水平类为实际 ÷ 目标（越低越好的为目标 ÷ 实际）。绿色：达标；橙色：未达标",
            "The agent's own target (set on the Data page): a total's share done, of the whole month while it "
            "runs, coloured by the month-end pace; a level's value ÷ target (target ÷ value when lower is "
            "better). Green: on target; orange: short of it"))
           for header in labelled.goals},
    }, placeholder="—")
st.caption(ui.t("绿色 = 优于比较组，红色 = 不如比较组；“样本”列是比率所依据的数量（询单、接待、评价…）。",
                "Green = better than the comparison group, red = worse; the “n” columns are the counts each rate "
                "rests on (inquiries, receptions, ratings…)."))
if labelled.goals:
    st.caption(ui.t("“目标达成”对照客服本人的月度目标：总量是已完成的比例（月中按整月目标算），绿色 = 达标或按目前进度月底能达标，"
                    "橙色 = 未达标。",
                    "“vs target” holds each agent to their own monthly target: a total's share done (of the whole "
                    "month mid-month); green = met, or on pace to be by the month's end; orange = short."))

sheet, language = ui.t("排行榜", "Leaderboard"), ui.lang()  # read now: the click runs outside this run
st.download_button(
    ui.t("导出 Excel", "Export to Excel"),
    data=ui.while_signed_in(frame, lambda: safe_export.to_xlsx(  # built only when clicked, and if still signed in
        {sheet: labelled.frame}, views.export_formats(labelled, language),
        {sheet: ui.export_heading(frame, sheet, board.schemes, show_pay, language=language)})),
    file_name=f"leaderboard_{frame.date_from:%Y%m%d}_{frame.date_to:%Y%m%d}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    icon=":material/download:",
)
if not show_pay:
    st.caption(ui.t("你的账号不显示绩效工资。", "Pay is not shown to your account."))
