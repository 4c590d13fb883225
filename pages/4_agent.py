"""客服 Agent: one agent's scorecard — how the score is built, each KPI against the team,
what pulled it down, the trend, the pay slip line by line and how close the next level is.

An agent sees only themself; the pay slip shows only to the agent and to those who may
see everyone's pay.
"""

from csperf import ui

frame = ui.page_frame("客服", "Agent", permission="view_own")

import pandas as pd  # noqa: E402
import streamlit as st  # noqa: E402

from csperf import queries, targets, views  # noqa: E402
from csperf import ui_charts as charts  # noqa: E402
from csperf import ui_format as fmt  # noqa: E402
from csperf.metrics import MANUAL_SCORES  # noqa: E402

lang = ui.lang()
user = frame.user

# Everyone is scored (team averages and ranks need the whole group); only one agent is shown.
everyone = ui.query("agent_kpis", frame.date_from, frame.date_to)
if user.role == "agent":
    candidates = everyone[(everyone["shop"] == user.shop) & (everyone["agent"] == user.account)]
else:
    candidates = views.apply_filters(everyone, frame.filters)
candidates = candidates.sort_values(["shop", "team", "agent"], na_position="last").reset_index(drop=True)
if candidates.empty:
    st.title(ui.t("客服", "Agent"))
    span = f"{frame.date_from:%Y-%m-%d} ~ {frame.date_to:%Y-%m-%d}"
    accounts = ui.query("agents")
    own = accounts[(accounts["shop"] == user.shop) & (accounts["agent"] == user.account)]
    excluded = user.role == "agent" and own["excluded"].any()
    if user.role == "agent" and own.empty:  # bound to an account nobody knows: no period will help
        st.warning(ui.t(f"你的登录绑定的账号 {user.shop}:{user.account} 在已导入的数据和花名册里都没有，任何期间都不会有数据。"
                        "请店主或主管核对这个账号的店铺和名称。",
                        f"Your sign-in is bound to the account {user.shop}:{user.account}, which neither the imported "
                        "figures nor the roster have, so no period will show anything. Ask the owner or a supervisor "
                        "to check its shop and name."))
    elif excluded:  # no period has figures for an account the roster leaves out of the statistics
        st.info(ui.t(f"你的账号 {user.shop}:{user.account} 在花名册中被排除在统计之外，所以没有数据。如有疑问请联系店主或主管。",
                     f"Your account {user.shop}:{user.account} is excluded from the statistics in the roster, so it "
                     "has no figures. Ask the owner or a supervisor if that is wrong."))
    elif user.role == "agent":
        st.info(ui.t(f"{span} 没有你的数据。请在侧边栏换一个期间。",
                     f"No figures for you in {span}. Pick another period in the sidebar."))
    else:
        st.info(ui.t(f"{span} 没有数据。请在侧边栏换一个期间，或清除筛选。",
                     f"No figures for {span}. Pick another period in the sidebar, or clear the filters."))
    st.stop()


if len(candidates) > 1:
    pick = st.selectbox(ui.t("客服", "Agent"), candidates.index, key="ag_pick",
                        format_func=lambda i: views.agent_choice(candidates.loc[i], lang))
else:
    pick = 0
person = candidates.loc[pick]
shop, account = person["shop"], person["agent"]
may_see_pay = user.may_view_pay(shop, account)

scored = ui.scores(frame.date_from, frame.date_to)
previous = ui.scores(*frame.previous)
with_prev = views.with_previous(scored.frame, previous.frame)
mine = with_prev[(with_prev["shop"] == shop) & (with_prev["agent"] == account)] if not with_prev.empty else with_prev

st.title(f"{ui.t('客服', 'Agent')} · {views.display_name(person)}")
facts = [shop, person["team"] if pd.notna(person["team"]) else ui.t("未分组", "ungrouped"),
         fmt.role(person["role"] if pd.notna(person["role"]) else None, lang), views.level_label(person["level"], lang)]
if not mine.empty:
    facts.append(ui.t(f"方案：{mine.iloc[0]['scheme']}", f"scheme: {mine.iloc[0]['scheme']}"))
st.caption(" · ".join(str(f) for f in facts) + f" · {frame.date_from:%Y-%m-%d} ~ {frame.date_to:%Y-%m-%d}")


def own_targets() -> None:
    """The agent's own monthly targets (they need no scheme)."""
    goals = targets.standings(ui.query("targets", frame.date_from, frame.date_to, shop=shop, account=account),
                              person, frame.date_from, frame.date_to)
    if not goals:
        return
    st.subheader(ui.t("个人目标", "Own targets"))
    standing = list(goals.values())
    for start in range(0, len(standing), 4):
        for column, goal in zip(st.columns(4), standing[start:start + 4]):
            with column.container(border=True):
                st.markdown(f"**{ui.label(goal.metric)}** {fmt.value(goal.metric, goal.value, lang)}")
                ui.target_caption(goal)


if mine.empty:
    fix_zh, fix_en = (("请在「模拟」页给岗位指派方案，或在花名册里设置岗位。",
                       "Assign one on the What-if page, or set the role in the roster.") if frame.can("edit_schemes")
                      else ("请店主或主管给这个岗位指派方案，或在花名册里设置岗位。",
                            "Ask the owner or a supervisor to assign one, or to set the role in the roster."))
    st.warning(ui.t(f"此客服的岗位没有指派考核方案，无法计分。{fix_zh}",
                    f"No scheme is assigned to this agent's role, so there is no score. {fix_en}"))
    own_targets()
    st.stop()

row = mine.iloc[0]
scheme = scored.schemes[row["scheme"]]
group_size = int(((scored.frame["group"] == row["group"]) & (scored.frame["scheme"] == row["scheme"])).sum())

# -- headline -------------------------------------------------------------------------------------

head = st.columns(4 if may_see_pay else 2)
head[0].metric(ui.t("得分", "Score"), fmt.score(row["score"]),
               None if pd.isna(row["score_change"]) else f"{row['score_change']:+.1f}",
               help=ui.t("100 = 与团队持平；各指标得分按权重加权", "100 = level with the team; KPI scores weighted"),
               border=True)
moved = None if pd.isna(row["rank_move"]) else int(row["rank_move"])
places = None if moved is None else ui.t(f"{moved:+d} 名", f"{moved:+d} place{'' if abs(moved) == 1 else 's'}")
head[1].metric(ui.t("组内名次", "Rank in group"), f"{int(row['rank'])} / {group_size}",
               0 if moved == 0 else places,
               delta_description=ui.t(f"对比{views.against_name(frame.against)}",
                                      "vs " + views.against_name(frame.against, "en")) if moved is not None else None,
               help=views.group_label(row["group"], lang), border=True)
if may_see_pay:
    head[2].metric(ui.t("绩效系数", "Coefficient"), f"{row['coefficient']:g}", border=True)
    head[3].metric(ui.t("应发合计", "Total pay"), fmt.money(row["pay"]), border=True)
    ui.period_notes([scheme], frame)
partial = views.partial_previous_note(frame.previous, ui.query("first_dates", shop=shop), lang, frame.against)
if partial and not (pd.isna(row["score_change"]) and pd.isna(row["rank_move"])):
    st.caption(f":orange[{partial}]")
if views.flag(row.get("small_sample")):
    st.caption(ui.t("⚠ 有指标样本不足，已按方案跳过并重新分配权重。",
                    "⚠ Some KPIs rest on too small a sample and were skipped; weights rescaled."))
own_targets()

# -- breakdown -------------------------------------------------------------------------------------

breakdown = views.score_breakdown(row, scheme)
left, right = st.columns(2)
with left:
    st.subheader(ui.t("得分构成", "How the score is built"))
    st.plotly_chart(charts.score_waterfall(breakdown, float(row["score"]), lang), key="ag_waterfall")
with right:
    st.subheader(ui.t("各指标对比团队", "Each KPI against the team"))
    shown = breakdown[~breakdown["skipped"]]
    st.plotly_chart(charts.kpi_vs_team(shown, lang), key="ag_vs_team")

table = pd.DataFrame({
    ui.t("指标", "KPI"): [ui.label(m) for m in breakdown["metric"]],
    ui.t("本人", "Agent"): [fmt.with_count(m, v, n, lang) for m, v, n in
                           zip(breakdown["metric"], breakdown["value"], breakdown["n"])],
    ui.t("团队", "Team"): [fmt.value(m, g, ui.lang()) for m, g in zip(breakdown["metric"], breakdown["group_value"])],
    ui.t("指标得分", "KPI score"): [ui.t("未计", "skipped") if s else fmt.score(v)
                                 for s, v in zip(breakdown["skipped"], breakdown["score"])],
    ui.t("权重", "Weight"): [f"{w:g}" for w in breakdown["weight"]],
    ui.t("实际占比", "Share"): [None if skipped else f"{share:.1%}"
                               for skipped, share in zip(breakdown["skipped"], breakdown["share"])],
    ui.t("贡献", "Points"): [fmt.score(c) for c in breakdown["contribution"]],
})
st.dataframe(table, hide_index=True, placeholder="—")
rescaled = breakdown["skipped"].any()
st.caption(ui.t("贡献 = 指标得分 × 实际占比" + ("；未计的指标不占权重，其余指标的权重按比例放大" if rescaled else ""),
                "Points = KPI score × share"
                + ("; skipped KPIs carry no weight, the others' weights are scaled up" if rescaled else "")))

lost = views.pulled_down(breakdown)
st.subheader(ui.t("拖分项", "What pulled the score down"))
if lost.empty:
    st.success(ui.t("所有计分指标都达到或超过团队水平。", "Every scored KPI is at or above par."))
for _, item in lost.iterrows():
    par_zh, par_en = views.PAR_WORDS[item["method"]]
    value = fmt.with_count(item["metric"], item["value"], item["n"], lang)
    par = fmt.value(item["metric"], item["par"], ui.lang())
    st.markdown(ui.t(f"- **{ui.label(item['metric'])}** 少得 **{item['lost']:.1f}** 分：{value}，{par_zh} {par}",
                     f"- **{ui.label(item['metric'])}** cost **{item['lost']:.1f}** points: {value}, {par_en} {par}"))

# -- trend -------------------------------------------------------------------------------------------

st.subheader(ui.t("趋势", "Trend"))
first, last = ui.query("data_range")
trend_from, trend_to = views.trend_range("90d", first, last, (frame.date_from, frame.date_to))
trend_metrics = [m for m, v in zip(breakdown["metric"], breakdown["value"])
                 if m not in MANUAL_SCORES and not fmt.missing(v)]  # those are monthly; KPIs without data draw nothing
pick, grain_pick = st.columns([3, 1])
choice = pick.selectbox(ui.t("指标", "KPI"), trend_metrics, key="ag_trend_metric", format_func=ui.label)
grain = grain_pick.segmented_control(ui.t("粒度", "Grain"), list(views.TREND_GRAINS), key="ag_trend_grain",
                                     default="week", format_func=lambda v: ui.t(*views.TREND_GRAINS[v])) or "week"
if not trend_metrics:
    st.info(ui.t("本期没有可画趋势的指标数据。", "No KPI with figures to draw this period."))
if choice:
    partial = views.partial_periods(grain, trend_from, trend_to, lang)
    own = ui.query("trend", choice, trend_from, trend_to, grain=grain, shop=shop, account=account)
    if own.empty and grain != "month":
        st.info(ui.t(*views.SPANNING_EXPORTS))
    group = {"shop": shop}
    if pd.notna(person["team"]):
        group["team"] = person["team"]
    if pd.notna(person["role"]):
        group["role"] = person["role"]
    team_line = ui.query("trend", choice, trend_from, trend_to, grain=grain, as_group=True, **group)
    team_name = ui.t("团队", "Team")
    lines = pd.concat([own.assign(series=views.display_name(person)), team_line.assign(series=team_name)],
                      ignore_index=True)
    promotions = views.promotion_marks(queries.promotion_days(trend_from, trend_to), grain)
    st.plotly_chart(charts.trend_lines(lines, choice, promotions, series="series", dashed=(team_name,), lang=lang,
                                       height=320, partial=partial), key="ag_trend")
    grain_zh, grain_en = views.TREND_GRAINS[grain]
    team_zh, team_en = views.group_line_words(choice)
    unit_zh, unit_en = {"week": ("周", "weeks"), "month": ("月", "months")}.get(grain, ("", ""))
    shown_span = fmt.date_span(trend_from, trend_to)
    st.caption(ui.t(f"近90天（{shown_span}），{grain_zh}；虚线为团队{team_zh}"
                    + (f"；空心点为只含部分日子的{unit_zh}，用点线连接" if partial else "") + "。",
                    f"Last 90 days ({shown_span}), {grain_en.lower()}; dashed: the team, "
                    f"{team_en}" + (f"; open markers on dotted lines are {unit_en} the range holds only part of"
                                    if partial else "") + "."))

# -- pay slip ----------------------------------------------------------------------------------------

if may_see_pay:
    st.subheader(ui.t("工资单", "Pay slip"))
    slip = views.pay_slip(row, scheme, person, lang)
    shown_slip = pd.DataFrame({ui.t("项目", "Item"): slip["item"], ui.t("说明", "Detail"): slip["detail"],
                               ui.t("金额", "Amount"): slip["amount"].map(
                                   lambda v: f"−{fmt.money(-v)}" if v < 0 else fmt.money(v))})
    last_row = len(shown_slip) - 1
    st.dataframe(shown_slip.style.apply(
        lambda r: ["font-weight: 700; background-color: rgba(228,57,60,0.08)" if r.name == last_row else ""] * len(r),
        axis=1), hide_index=True, placeholder="—")
    st.caption(ui.t(f"按「{scheme.name}」计算；金额只在显示时四舍五入到分。",
                    f"Computed with “{scheme.name}”; money is rounded to the cent only when shown."))

# -- promotion readiness ---------------------------------------------------------------------------------

st.subheader(ui.t("晋级准备度", "Promotion readiness"))
months = views.window_months(last)
monthly = []
for start, end in months:
    month_scored = ui.scores(start, end).frame
    found = month_scored[(month_scored["shop"] == shop) & (month_scored["agent"] == account)] \
        if not month_scored.empty else month_scored
    monthly.append(float(found.iloc[0]["score"]) if not found.empty else float("nan"))
readiness = views.promotion_readiness(person["level"] if pd.notna(person["level"]) else None, monthly)
if readiness.rule is None:
    st.info(ui.t("已是最高级别。", "Already at the top level.") if readiness.level
            else ui.t("花名册里没有此客服的级别，无法评估晋级。请在「数据」页设置级别。",
                      "No level in the roster for this agent; set it on the Data page to track promotion."))
else:
    rule = readiness.rule
    st.markdown(ui.t(
        f"**{views.level_label(rule.level)} → {views.level_label(rule.to_level)}**：近 {rule.window} 个月平均得分 ≥ "
        f"{rule.min_average:g}，且至少 {rule.min_months} 个月有得分。",
        f"**{views.level_label(rule.level, 'en')} → {views.level_label(rule.to_level, 'en')}**: average score ≥ "
        f"{rule.min_average:g} over the last {rule.window} months, with at least {rule.min_months} scored months."))
    bars = st.columns(2)
    average_text = fmt.score(readiness.average)
    bars[0].progress(readiness.score_progress,
                     text=ui.t(f"平均得分 {average_text} / {rule.min_average:g}",
                               f"Average score {average_text} / {rule.min_average:g}"))
    bars[1].progress(readiness.months_progress,
                     text=ui.t(f"有得分的月份 {readiness.months} / {rule.min_months}",
                               f"Scored months {readiness.months} / {rule.min_months}"))
    if readiness.ready:
        st.success(ui.t("已达到晋级条件。", "Meets the promotion rule."))
    else:
        st.caption(ui.t("尚未达到晋级条件。", "Not there yet."))
st.plotly_chart(charts.monthly_scores([f"{s:%Y-%m}" for s, _ in months], monthly,
                                      readiness.rule.min_average if readiness.rule else None, lang),
                key="ag_monthly")
