"""Sessions: what conversation logs say that the daily exports cannot (length, hour, wait, why lost)."""

from csperf import ui

frame = ui.page_frame("会话分析", "Sessions", permission="view_team")

import math  # noqa: E402

import pandas as pd  # noqa: E402
import plotly.graph_objects as go  # noqa: E402
import streamlit as st  # noqa: E402
from plotly.subplots import make_subplots  # noqa: E402

from csperf import ui_format as fmt  # noqa: E402
from csperf.ui_charts import LINE, NEUTRAL, PALETTE  # noqa: E402

t = ui.t
SHARE_TICKS = [0, 0.2, 0.4, 0.6, 0.8, 1.0]
st.title(t("会话分析", "Sessions"))

if not ui.query("has_sessions"):
    st.info(t(
        "还没有会话记录。会话记录（聊天或通话日志）每行是一次会话，通常有：会话编号、客服、日期和时间、"
        "是否接通/回复、是否解决或成交、等待（首次响应）时长、会话时长、满意度评分、话题或流失原因。"
        "在「数据」页上传这样的文件（xlsx / xls / csv），看板会识别为会话记录，并把每次会话计入客服当天的接待。",
        "No session logs yet. A session log (chat or call log) has one row per conversation, usually: an id, "
        "the agent, date and time, answered, resolved or converted, wait (first response) time, duration, "
        "a satisfaction rating, and a topic or loss reason. Upload such a file (xlsx / xls / csv) on the Data "
        "page; it is recognised as a session log and each session counts as one reception of its agent's day.",
    ))
    if frame.can("import"):
        st.page_link(ui.PAGE_BY_URL["data"].file, label=t("去上传会话记录", "Upload a session log"), icon="⬆️")
    st.stop()

shop = frame.filters.get("shop")
args = (frame.date_from, frame.date_to)
by_duration = ui.query("sessions_by_duration", *args, **frame.filters)
by_duration = by_duration.assign(label=by_duration["label"].map(lambda b: fmt.span_label(b, ui.lang())))
by_hour = ui.query("sessions_by_hour", *args, **frame.filters)
waits = ui.query("wait_distribution", *args, **frame.filters)
waits = waits.assign(label=waits["label"].map(lambda b: fmt.span_label(b, ui.lang())))
reasons = ui.query("loss_reasons", *args, **frame.filters)

if by_hour.empty and by_duration.empty and frame.filters and not ui.query("sessions_by_hour", *args).empty:
    st.info(t(f"{frame.date_from:%Y-%m-%d} ~ {frame.date_to:%Y-%m-%d} 有会话记录，但都不属于侧边栏所选的店铺、团队、岗位或班次。"
              "请清除或更换筛选。",
              f"{frame.date_from:%Y-%m-%d} ~ {frame.date_to:%Y-%m-%d} has sessions, but none of the shops, teams, "
              "roles or shifts picked in the sidebar. Clear or change the filters."))
    st.stop()
if by_hour.empty and by_duration.empty:
    logs = ui.query("imports")
    logs = logs[(logs["sessions"].fillna(0) > 0) & logs["undone_at"].isna()]
    covered = (f"{logs['period_from'].min():%Y-%m-%d} ~ {logs['period_to'].max():%Y-%m-%d}"
               if not logs.empty and logs["period_from"].notna().any() else "—")
    st.info(t(f"所选期间 {frame.date_from:%Y-%m-%d} ~ {frame.date_to:%Y-%m-%d} 没有会话记录。已导入的会话记录覆盖 "
              f"{covered}：请在左侧把期间改为「自定义」并选中这段时间。",
              f"No sessions in {frame.date_from:%Y-%m-%d} ~ {frame.date_to:%Y-%m-%d}. The imported session logs "
              f"cover {covered}: choose a custom period in the sidebar."))
    st.stop()

# Conversion when the log records it, else resolution: a call centre has no orders.
outcome = "conversion_rate" if by_duration["conversion_rate"].notna().any() else "resolution_rate"
outcome_label = t("转化率", "Conversion") if outcome == "conversion_rate" else t("解决率", "Resolution rate")
total = int(by_hour["sessions"].sum())
known = by_hour["answer_known"].sum()  # sessions whose log says whether they were answered
answered = by_hour["answered"].sum() / known if known else float("nan")
tiles = st.columns(4)
tiles[0].metric(t("会话数", "Sessions"), fmt.count(total))
tiles[1].metric(t("接通/回复率", "Answered"), fmt.percent(answered))
tiles[2].metric(t("衡量结果", "Outcome measured"), outcome_label)
tiles[3].metric(t("最忙时段", "Busiest hour"),
                f"{int(by_hour.loc[by_hour['sessions'].idxmax(), 'hour']):02d}:00" if not by_hour.empty else "—")
st.caption(t(f"{frame.date_from:%Y-%m-%d} ~ {frame.date_to:%Y-%m-%d}" + (f" · 店铺 {fmt.joined(shop)}" if shop else "")
             + "。比率是该组会话的合计（成功数 ÷ 有结果的会话数）；灰色柱是会话数（右轴），悬停可见每组的比率和会话数。",
             f"{frame.date_from:%Y-%m-%d} ~ {frame.date_to:%Y-%m-%d}" + (f" · shop {', '.join(shop)}" if shop else "")
             + ". Rates are pooled over the sessions of each group; grey bars are the sessions (right axis); "
             "hover for each group's rate and count."))
if outcome == "resolution_rate":  # the KPI of metrics.md counts every session, the unanswered too
    st.caption(t("排行榜、客服页和总览的解决率以全部会话为分母（未接通的也算），可能比这里低。",
                 "The resolution rate on the leaderboard, the agent page and the overview counts every session, "
                 "unanswered ones too, so it can read lower than here."))


def count_step(largest) -> int:
    """A whole-number tick step giving about five ticks (session counts are never fractions)."""
    rough = max(1.0, float(largest or 0) / 5)
    magnitude = 10 ** math.floor(math.log10(rough))
    return int(next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= rough))


def layout(fig: go.Figure, height: int = 340) -> go.Figure:
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 30, "b": 10}, bargap=0.25,
                      legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0})
    return fig


LABELLED_POINTS = 8


def rate_with_volume(data: pd.DataFrame, x: str, rate: str, x_title: str, ticks: list[str] | None = None) -> go.Figure:
    """Sessions as grey bars (right axis), the outcome rate as the line that matters (left axis).
    `ticks`: shorter texts under the bars than the hover's (fourteen hours' `09时` stand on end)."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(x=data[x], y=data["sessions"], name=t("会话数", "Sessions"), marker_color=NEUTRAL,
                         opacity=0.45, hovertemplate="%{x}: %{y:,} " + t("个会话", "sessions") + "<extra></extra>"),
                  secondary_y=True)
    labelled = len(data) <= LABELLED_POINTS  # more labels than that run into each other: the hover has them
    fig.add_trace(go.Scatter(x=data[x], y=data[rate], name=outcome_label,
                             mode="lines+markers+text" if labelled else "lines+markers",
                             line={"color": LINE, "width": 3},
                             text=[fmt.percent(v) for v in data[rate]] if labelled else None,
                             textposition="top center", customdata=data["sessions"],
                             hovertemplate="%{x}: %{y:.1%} · n=%{customdata:,}<extra></extra>"),
                  secondary_y=False)
    fig.update_yaxes(title_text=outcome_label, tickformat=".0%", range=[0, 1.1], tickmode="array",
                     tickvals=SHARE_TICKS, secondary_y=False)
    fig.update_yaxes(title_text=t("会话数", "Sessions"), showgrid=False, rangemode="tozero", tickmode="linear",
                     tick0=0, dtick=count_step(data["sessions"].max()), secondary_y=True)
    fig.update_xaxes(title_text=x_title, type="category")
    if ticks is not None:
        fig.update_xaxes(tickmode="array", tickvals=list(data[x]), ticktext=ticks, tickangle=0)
    return layout(fig)


left, right = st.columns(2)
with left:
    st.subheader(t(f"{outcome_label} × 会话时长", f"{outcome_label} by conversation length"))
    st.plotly_chart(rate_with_volume(by_duration, "label", outcome, t("会话时长", "Length")), width="stretch")
with right:
    st.subheader(t(f"{outcome_label} × 时段", f"{outcome_label} by hour of day"))
    hours = by_hour.assign(label=by_hour["hour"].map(lambda h: fmt.hour_label(h, ui.lang())))
    st.plotly_chart(rate_with_volume(hours, "label", outcome, t("开始时间（点）", "Hour started"),
                                     ticks=[str(int(h)) for h in hours["hour"]]), width="stretch")

left, right = st.columns(2)
with left:
    st.subheader(t("等待时长分布（首次应答）", "Wait before the first answer"))
    share = waits["sessions"] / waits["sessions"].sum() if not waits.empty else waits["sessions"]
    fig = go.Figure(go.Bar(
        x=waits["label"], y=waits["sessions"], marker_color=PALETTE[1],
        text=[f"{fmt.count(n)}<br>{fmt.percent(s)}" for n, s in zip(waits["sessions"], share)],
        textposition="outside", cliponaxis=False, hovertemplate="%{x}: %{y:,}<extra></extra>",
    ))
    fig.update_xaxes(title_text=t("等待时长", "Wait"), type="category")
    fig.update_yaxes(title_text=t("会话数", "Sessions"), rangemode="tozero", tickmode="linear", tick0=0,
                     dtick=count_step(waits["sessions"].max()))
    if waits.empty:
        st.caption(t("这份会话记录没有等待时长。", "This log has no wait times."))
    else:
        st.plotly_chart(layout(fig), width="stretch")
with right:
    topic_mode = reasons.attrs.get("source") == "topic_unresolved"
    st.subheader(t("未解决会话的话题（帕累托）", "Topics of unresolved sessions (Pareto)") if topic_mode
                 else t("流失原因（帕累托）", "Why sessions were lost (Pareto)"))
    if reasons.empty:
        st.caption(t("这份会话记录没有流失原因或话题。", "This log has no loss reasons or topics."))
    else:
        fig = make_subplots(specs=[[{"secondary_y": True}]])
        fig.add_trace(go.Bar(x=reasons["reason"], y=reasons["sessions"], name=t("会话数", "Sessions"),
                             marker_color=PALETTE[3], text=reasons["sessions"], cliponaxis=False,
                             # inside the bar's top where it fits: above it, the rising line runs through it
                             textposition="auto", insidetextanchor="end", insidetextfont={"color": "white"},
                             hovertemplate="%{x}: %{y:,}<extra></extra>"), secondary_y=False)
        fig.add_trace(go.Scatter(x=reasons["reason"], y=reasons["cumulative_share"], name=t("累计占比", "Cumulative"),
                                 mode="lines+markers", line={"color": LINE, "width": 3},
                                 hovertemplate="%{x}: %{y:.1%}<extra></extra>"), secondary_y=True)
        fig.add_hline(y=0.8, line_dash="dot", line_color=NEUTRAL, secondary_y=True)
        fig.update_yaxes(title_text=t("会话数", "Sessions"), rangemode="tozero", tickmode="linear", tick0=0,
                         dtick=count_step(reasons["sessions"].max()), secondary_y=False)
        fig.update_yaxes(title_text=t("累计占比（虚线 80%）", "Cumulative share (dotted: 80%)"), tickformat=".0%",
                         range=[0, 1.1], tickmode="array", tickvals=SHARE_TICKS, showgrid=False, secondary_y=True)
        fig.update_xaxes(type="category")
        st.plotly_chart(layout(fig), width="stretch")
        top = reasons[reasons["cumulative_share"].shift(fill_value=0) < 0.8]
        top_share = fmt.percent(top["sessions"].sum() / reasons["sessions"].sum())
        st.caption(t(f"前 {len(top)} 项占 {top_share}：" + "、".join(top["reason"].astype(str)),
                     f"The first {len(top)} account for {top_share}: " + ", ".join(top["reason"].astype(str))))

with st.expander(t("明细数据", "The figures")):
    sessions_label = t("会话数", "Sessions")
    cols = st.columns(3)
    cols[0].dataframe(pd.DataFrame({t("会话时长", "Length"): by_duration["label"],
                                    sessions_label: by_duration["sessions"],
                                    outcome_label: by_duration[outcome].map(fmt.percent)}),
                      hide_index=True, width="stretch")
    cols[1].dataframe(pd.DataFrame({t("时段", "Hour"): hours["label"], sessions_label: by_hour["sessions"],
                                    t("接通/回复率", "Answered"): by_hour["answer_rate"].map(fmt.percent),
                                    outcome_label: by_hour[outcome].map(fmt.percent)}),
                      hide_index=True, width="stretch")
    reason_label = t("话题", "Topic") if topic_mode else t("流失原因", "Loss reason")
    cols[2].dataframe(pd.DataFrame({reason_label: reasons["reason"], sessions_label: reasons["sessions"],
                                    t("累计占比", "Cumulative"): reasons["cumulative_share"].map(fmt.percent)}),
                      hide_index=True, width="stretch")
