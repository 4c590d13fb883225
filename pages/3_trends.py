"""趋势 Trends: any KPI over time by day, week or month — by team, one agent against its
team, or one small chart per agent — with promotion days marked so a 双11 spike is read
as the calendar, not as merit."""

from csperf import ui

frame = ui.page_frame("趋势", "Trends", permission="view_team")

import pandas as pd  # noqa: E402
import streamlit as st  # noqa: E402

from csperf import queries, targets, views  # noqa: E402
from csperf import ui_charts as charts  # noqa: E402
from csperf.metrics import RATIO_KPIS  # noqa: E402

lang = ui.lang()
RANGES = {"90d": ("近90天", "Last 90 days"), "180d": ("近180天", "Last 180 days"),
          "365d": ("近一年", "Last year"), "all": ("全部数据", "All data"), "sidebar": ("侧边栏期间", "Sidebar period")}
RATE_NAMES = {k.name for k in RATIO_KPIS}
SUM_CHOICES = ["sales", "receptions", "inquiries", "paid_buyers", "refund_amount", "bad_reviews", "complaints"]

st.title(ui.t("趋势", "Trends"))
first, last = ui.query("data_range")
controls = st.columns([2, 2, 2])
span = controls[1].selectbox(ui.t("时间范围", "Range"), list(RANGES), key="tr_range",
                             format_func=lambda v: ui.t(*RANGES[v]))
date_from, date_to = views.trend_range(span, first, last, (frame.date_from, frame.date_to))
everyone = ui.query("agent_kpis", date_from, date_to, **frame.filters)
available = ui.kpi_columns(everyone, [k.name for k in RATIO_KPIS] + SUM_CHOICES)
if not available:
    st.info(ui.t("所选范围和筛选条件下没有数据。请换一个范围或清除侧边栏的筛选。",
                 "No figures in this range and these filters. Pick another range or clear the sidebar filters."))
    st.stop()
metric = controls[0].selectbox(ui.t("指标", "KPI"), available, key="tr_metric", format_func=ui.label,
                               index=available.index("conversion_rate") if "conversion_rate" in available else 0)
grain = controls[2].segmented_control(ui.t("粒度", "Grain"), list(views.TREND_GRAINS), key="tr_grain", default="week",
                                      format_func=lambda v: ui.t(*views.TREND_GRAINS[v])) or "week"
promotions = views.promotion_marks(queries.promotion_days(date_from, date_to), grain)
partial = views.partial_periods(grain, date_from, date_to, lang)
unit_zh, unit_en = {"week": ("周", "week"), "month": ("月", "month")}.get(grain, ("", ""))
st.caption(ui.t(f"{date_from:%Y-%m-%d} ~ {date_to:%Y-%m-%d} · 比率按 Σ分子/Σ分母 汇总，悬停可见样本量 n"
                + ((f"；橙色虚线标出含大促日的{unit_zh}" if unit_zh else "；橙色虚线为大促日") if promotions else "")
                + (f"；空心点为只含部分日子的{unit_zh}（如本{unit_zh}至今），用点线连接" if partial else ""),
                f"{date_from:%Y-%m-%d} ~ {date_to:%Y-%m-%d} · rates pooled as Σnum/Σden; hover shows the sample n"
                + ((f"; orange dotted lines mark the {unit_en}s holding a promotion day" if unit_en
                    else "; orange dotted lines mark promotion days") if promotions else "")
                + (f"; open markers on dotted lines are a {unit_en} the range holds only part of (this {unit_en} "
                   "so far, say)" if partial else "")))

by_team, agent_tab, multiples_tab = st.tabs([ui.t("按团队", "By team"), ui.t("客服 vs 团队", "Agent vs team"),
                                             ui.t("团队小图", "Team small multiples")])

with by_team:
    teams = ui.query("trend", metric, date_from, date_to, grain=grain, split="team", **frame.filters)
    total = ui.query("trend", metric, date_from, date_to, grain=grain, **frame.filters)
    if total.empty:
        st.info(ui.t(*views.SPANNING_EXPORTS))
    everyone_name, shops_own_name = ui.t("全部", "All"), ui.t("店铺整体", "Whole shop")
    # a rate of the shops' own figures (生意参谋) beside the agents': the whole shop's conversion, say
    shops_own = (ui.query("trend", metric, date_from, date_to, grain=grain, shop_level=True, **frame.filters)
                 if metric in RATE_NAMES and set(frame.filters) <= {"shop"} else pd.DataFrame())
    lines = pd.concat([teams, total.assign(team=everyone_name), shops_own.assign(team=shops_own_name)],
                      ignore_index=True)
    chart = charts.trend_lines(lines, metric, promotions, series="team", dashed=(everyone_name, shops_own_name),
                               lang=lang, partial=partial)
    goal = targets.target_path(ui.query("targets", date_from, date_to, **frame.filters), metric, date_from, date_to,
                               grain)
    drawn = not (total.empty or goal.empty)
    if drawn:
        charts.add_target(chart, goal, metric, lang)
    # 同比 beside the lines: on when the sidebar compares with last year, else at a click
    with_last_year = st.toggle(ui.t("叠加去年同期", "Show last year"), key="tr_last_year",
                               value=frame.against == "last_year")
    last_year = (views.a_year_later(ui.query("trend", metric, *views.last_year_range(date_from, date_to, grain),
                                             grain=grain, **frame.filters), grain)
                 if with_last_year else pd.DataFrame())
    charts.add_last_year(chart, last_year, metric, lang)
    st.plotly_chart(chart, key="tr_teams")
    if with_last_year and (last_year.empty or not last_year["value"].notna().any()):
        st.caption(ui.t("去年同期没有这个指标的数据。", "No figures for this KPI a year before."))
    elif with_last_year:
        weeks_zh, weeks_en = (("（按周：52 周前的同一周，星期对齐）", " (by week: the same week 52 weeks before, weekdays aligned)")
                              if grain == "week" else ("", ""))
        st.caption(ui.t(f"灰色点线为去年同期的「全部」{weeks_zh}，画在今年的日期上；悬停可见去年的日期。",
                        f"The grey dotted line is 'All' a year before{weeks_en}, drawn on this year's dates; "
                        "hover for last year's date."))
    if not shops_own.empty:
        st.caption(ui.t("「店铺整体」来自没有客服列的店铺级文件（如生意参谋），与客服明细分开汇总。",
                        "'Whole shop' is from shop-level files with no agent column (such as 生意参谋), pooled apart "
                        "from the agents' figures."))
    if drawn:
        daily = targets.is_sum(metric) and grain == "day"
        st.caption(ui.t("黑色点线为月度目标" + ("，按每天的进度折算" if daily else ""),
                        "The dotted black line is the monthly target" + (", as a daily pace" if daily else "")))


with agent_tab:
    people = everyone.sort_values(["shop", "team", "agent"], na_position="last").reset_index(drop=True)
    pick = st.selectbox(ui.t("客服", "Agent"), people.index, key="tr_agent",
                        format_func=lambda i: views.agent_choice(people.loc[i], lang))
    person = people.loc[pick]
    mine = ui.query("trend", metric, date_from, date_to, grain=grain, shop=person["shop"], account=person["agent"])
    group = {"shop": person["shop"]}
    if pd.notna(person["team"]):
        group["team"] = person["team"]
    if pd.notna(person["role"]):
        group["role"] = person["role"]
    team_trend = ui.query("trend", metric, date_from, date_to, grain=grain, as_group=True, **group)
    team_name = ui.t("团队", "Team")
    both = pd.concat([mine.assign(series=views.display_name(person)), team_trend.assign(series=team_name)],
                     ignore_index=True)
    st.plotly_chart(charts.trend_lines(both, metric, promotions, series="series", dashed=(team_name,), lang=lang,
                                       partial=partial),
                    key="tr_agent_chart")
    st.caption(ui.t(f"虚线是该客服所在团队（同店铺、团队、岗位）的{views.group_line_words(metric)[0]}。",
                    f"The dashed line is the agent's team (same shop, team and role), "
                    f"{views.group_line_words(metric)[1]}."))

with multiples_tab:
    team_keys = (everyone[["shop", "team"]].drop_duplicates().sort_values(["shop", "team"], na_position="last")
                 .reset_index(drop=True))
    chosen = st.selectbox(ui.t("团队", "Team"), team_keys.index, key="tr_team",
                          format_func=lambda i: f"{team_keys.loc[i, 'shop']} · "
                                                f"{team_keys.loc[i, 'team'] if pd.notna(team_keys.loc[i, 'team']) else ui.t('未分组', 'ungrouped')}")
    shop, team = team_keys.loc[chosen, "shop"], team_keys.loc[chosen, "team"]
    if pd.isna(team):
        st.info(ui.t("未分组的账号没有团队可比。请在「数据」页的花名册里给它们分组。",
                     "Ungrouped accounts have no team to compare with. Assign teams in the roster on the Data page."))
    else:
        per_agent = ui.query("trend", metric, date_from, date_to, grain=grain, split="agent", shop=shop, team=team)
        team_line = ui.query("trend", metric, date_from, date_to, grain=grain, as_group=True, shop=shop, team=team)
        members = everyone[(everyone["shop"] == shop) & (everyone["team"] == team)]
        names = {row["agent"]: views.display_name(row) for _, row in members.iterrows()}
        per_agent = per_agent[per_agent["agent"].isin(names)]
        st.plotly_chart(charts.small_multiples(per_agent, team_line, metric, promotions, names=names, lang=lang,
                                                partial=partial),
                        key="tr_multiples")
