"""Plotly figures the pages share, built from already aggregated frames.

One place decides how a KPI's axis reads (%, ¥, 秒), that the count a rate rests on is
in every hover, and that promotion days (618, 双11 …) are marked on every trend, so a
spike is never mistaken for an agent's merit. No streamlit here: pages pass the figure
to st.plotly_chart.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from csperf import ui_format as fmt
from csperf.metrics import kpi
from csperf.metrics import label as metric_label
from csperf.views import completion

GOOD = "#2E9D5B"
BAD = "#D9363E"
NEUTRAL = "#8A8F98"
LINE = "#E4393C"  # the app's primary colour
TEAM_LINE = "#5B6B7F"
SECOND_LINE = "#9C6B30"  # a second dashed reference, told apart from TEAM_LINE
LAST_YEAR_LINE = "#A3AAB5"  # last year's line under this year's: present, not loud
PALETTE = ["#E4393C", "#2F6FDE", "#2E9D5B", "#F0A020", "#8E5BD9", "#12A4B6", "#C2477D", "#6B7A8F"]
PROMOTION_COLOUR = "rgba(240,160,32,0.9)"
TARGET_LINE = "#1F2430"  # the owner's target: near-black, dotted (no series colour)


def axis_format(metric: str, lang: str = "zh") -> dict:
    """Axis tick and hover formats for a KPI's unit."""
    unit = kpi(metric).unit
    if unit == "pct":
        return {"tickformat": ".0%", "hover": ".1%", "prefix": "", "suffix": ""}
    if unit == "cny":
        return {"tickformat": ",.0f", "hover": ",.2f", "prefix": "¥", "suffix": ""}
    if unit == "s":
        return {"tickformat": ",.0f", "hover": ".1f", "prefix": "", "suffix": "秒" if lang == "zh" else " s"}
    if unit in ("ratio", "score"):
        return {"tickformat": ".2f", "hover": ".2f", "prefix": "", "suffix": ""}
    return {"tickformat": ",.0f", "hover": ",.0f", "prefix": "", "suffix": ""}


def _hover(metric: str, lang: str, with_n: bool, name: bool = False) -> str:
    f = axis_format(metric, lang)
    text = ("%{fullData.name}<br>" if name else "") + f"%{{x|%Y-%m-%d}}<br>{f['prefix']}%{{y:{f['hover']}}}{f['suffix']}"
    if with_n:
        text += " · n=%{customdata:,.0f}"
    return text + "<extra></extra>"


def _style_axis(fig: go.Figure, metric: str, lang: str, values: pd.Series) -> None:
    """The value axis in the KPI's unit; a rate spread over under five points ticks to a tenth
    of a percent (whole percents read 100%, 100%, 99%, 99% on a reply rate of 99.2–100%)."""
    f = axis_format(metric, lang)
    drawn = values.dropna()
    narrow = kpi(metric).unit == "pct" and not drawn.empty and drawn.max() - drawn.min() < 0.05
    fig.update_yaxes(tickformat=".1%" if narrow else f["tickformat"], tickprefix=f["prefix"], ticksuffix=f["suffix"])


def _base_layout(fig: go.Figure, height: int, font_size: int) -> go.Figure:
    # Sizes are set on each part: Streamlit's chart theme replaces the global font size.
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10), font=dict(size=font_size),
                      hoverlabel=dict(font_size=max(12, font_size)),
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0,
                                  font=dict(size=font_size)))
    fig.update_xaxes(tickfont=dict(size=font_size), title_font=dict(size=font_size))
    fig.update_yaxes(tickfont=dict(size=font_size), title_font=dict(size=font_size))
    return fig


def _date_ticks(fig: go.Figure, periods: pd.Series) -> None:
    """Dates as 10-31 (or 2026-10 over long ranges), not as English month names; monthly
    points tick once a month, at their months."""
    dates = pd.to_datetime(pd.Series(periods)).dropna()
    if dates.empty:
        return
    if (dates.dt.day == 1).all() and dates.drop_duplicates().sort_values().diff().dropna().dt.days.ge(28).all():
        fig.update_xaxes(tickformat="%Y-%m", dtick="M1", ticklabelmode="instant")
        return
    long_range = (dates.max() - dates.min()).days > 180
    fig.update_xaxes(tickformat="%Y-%m" if long_range else "%m-%d")
    weeks = dates.drop_duplicates().sort_values()
    if not long_range and (weeks.dt.weekday == 0).all() and weeks.diff().dropna().dt.days.mod(7).eq(0).all():
        # weekly points tick on their Mondays, not on plotly's Sundays between them
        step = max(1, -(-len(weeks) // 12))
        fig.update_xaxes(tick0=weeks.iloc[0], dtick=7 * 86_400_000 * step)


def sparkline(frame: pd.DataFrame, metric: str, lang: str = "zh", height: int = 56) -> go.Figure:
    """A tile's tiny daily line (columns period, value, optionally n); no axes, last point dotted."""
    data = frame.dropna(subset=["value"])
    with_n = "n" in data.columns and kpi(metric).kind == "ratio"
    fig = go.Figure(go.Scatter(
        x=pd.to_datetime(data["period"]), y=data["value"], mode="lines", line=dict(color=LINE, width=2),
        fill="tozeroy" if kpi(metric).kind == "sum" else None, fillcolor="rgba(228,57,60,0.08)",
        customdata=data["n"] if with_n else None, hovertemplate=_hover(metric, lang, with_n),
    ))
    if not data.empty:
        fig.add_trace(go.Scatter(x=[pd.Timestamp(data["period"].iloc[-1])], y=[data["value"].iloc[-1]],
                                 mode="markers", marker=dict(color=LINE, size=6), hoverinfo="skip"))
    fig.update_layout(height=height, margin=dict(l=0, r=0, t=2, b=2), showlegend=False,
                      xaxis=dict(visible=False), yaxis=dict(visible=False), hovermode="x")
    if kpi(metric).kind == "ratio" and not data.empty:
        low, high = data["value"].min(), data["value"].max()
        pad = max((high - low) * 0.15, abs(high) * 0.05) or 1  # near-flat series stay flat
        fig.update_yaxes(range=[low - pad, high + pad])
    return fig


def kpi_vs_team(rows: pd.DataFrame, lang: str = "zh", height: int | None = None) -> go.Figure:
    """Each KPI's gap to the team in % (0 = at the team; lower-is-better KPIs mirrored so
    right is always better). `rows`: metric, value, group_value, n. Green beats the team."""
    data = rows.copy()
    data["gap"] = [(completion(v, g, kpi(m).lower_is_better) - 1) * 100
                   for m, v, g in zip(data["metric"], data["value"], data["group_value"])]
    data = data.dropna(subset=["gap"]).iloc[::-1]
    labels = [metric_label(m, lang) for m in data["metric"]]
    colours = [GOOD if g > 0.05 else BAD if g < -0.05 else NEUTRAL for g in data["gap"]]
    team_word = "团队" if lang == "zh" else "team"
    hover = [f"{fmt.with_count(m, v, n, lang)}<br>{team_word} {fmt.value(m, g, lang)}"
             for m, v, n, g in zip(data["metric"], data["value"], data["n"], data["group_value"])]
    fig = go.Figure(go.Bar(
        x=data["gap"], y=labels, orientation="h", marker_color=colours,
        text=[f"{g:+.1f}%" for g in data["gap"]], textposition="outside", cliponaxis=False,
        hovertext=hover, hovertemplate="%{y}<br>%{hovertext}<extra></extra>",
    ))
    fig.add_vline(x=0, line=dict(color=TEAM_LINE, width=1.5))
    reach = max([10.0] + [abs(g) * 1.35 for g in data["gap"]])
    fig.update_xaxes(range=[-reach, reach], ticksuffix="%", zeroline=False,
                     title="← 不如团队 · 优于团队 →" if lang == "zh" else "← worse than team · better →")
    return _base_layout(fig, height or 80 + 34 * max(1, len(data)), 13)


def _split_partial(part: pd.DataFrame, cut: dict, with_n: bool, hover: str, line: dict,
                   font_size: int) -> tuple[pd.DataFrame, list[go.Scatter]]:
    """A line's whole periods, and for each `cut` (partial) period a dotted segment from its
    nearest whole neighbour to an open marker whose hover carries the period's note."""
    ends = part["period"].isin(list(cut))
    whole, segments = part[~ends], []
    for row in part.index[ends]:
        point = part.loc[[row]]  # a frame, not a row Series: a row of a date and NaNs reads as dates
        day = point["period"].iloc[0]
        nearest = whole.iloc[[-1]] if len(whole) and day > whole["period"].iloc[-1] else whole.iloc[:1]
        segment = pd.concat([nearest, point]).sort_values("period")
        is_cut = segment["period"] == day
        segments.append(go.Scatter(
            x=segment["period"], y=segment["value"].astype(float), mode="lines+markers", showlegend=False,
            line=line | {"dash": "dot"},
            marker=dict(size=[(7 if c else 5) * font_size / 13 for c in is_cut],
                        symbol=["circle-open" if c else "circle" for c in is_cut]),
            customdata=segment["n"].astype(float) if with_n else None,
            text=[f"<br>{cut[day]}" if c else "" for c in is_cut],
            hovertemplate=hover.replace("<extra>", "%{text}<extra>"),
        ))
    return whole, segments


def trend_lines(frame: pd.DataFrame, metric: str, promotions=(), *, series: str | None = None,
                dashed: tuple[str, ...] = (), lang: str = "zh", height: int = 380, font_size: int = 13,
                names: dict | None = None, partial: dict | None = None) -> go.Figure:
    """A KPI over time (period, value, optionally n), one line per `series` value. The
    `partial` periods (views.partial_periods: a week so far, a month cut by the range) are
    drawn apart: an open marker reached by a dotted segment, their note in the hover. A
    series with no value at all (an after-sales team's conversion) is left out of the
    legend but keeps its colour, so a team has one colour in every chart of one frame."""
    fig = go.Figure()
    with_n = "n" in frame.columns and kpi(metric).kind == "ratio"
    groups = frame.groupby(series, sort=True, dropna=False) if series else [(None, frame)]
    cut = {pd.Timestamp(day): note for day, note in (partial or {}).items()}
    colour = 0
    for key, part in groups:
        key = key[0] if isinstance(key, tuple) else key
        part = part.sort_values("period").assign(period=lambda p: pd.to_datetime(p["period"]))
        is_dashed = key in dashed
        i, colour = colour, colour + (not is_dashed)  # solid lines take the palette in order
        if series and not part["value"].notna().any():
            continue
        name = (names or {}).get(key, "—" if key is None or pd.isna(key) else str(key)) if series else metric_label(metric, lang)
        second = is_dashed and key != dashed[0]  # a second reference line (the whole shop beside all agents)
        line = dict(color=SECOND_LINE if second else TEAM_LINE if is_dashed else PALETTE[i % len(PALETTE)],
                    width=(3 if is_dashed else 2.5) * font_size / 13,
                    dash="dashdot" if second else "dash" if is_dashed else "solid")
        hover = _hover(metric, lang, with_n, name=bool(series))
        whole, cut_segments = _split_partial(part, cut, with_n, hover, line, font_size)
        fig.add_trace(go.Scatter(
            x=whole["period"], y=whole["value"], mode="lines+markers", name=name, legendgroup=name, line=line,
            marker=dict(size=5 * font_size / 13), customdata=whole["n"] if with_n else None, hovertemplate=hover,
        ))
        for segment in cut_segments:
            fig.add_trace(segment.update(name=name, legendgroup=name))
    _style_axis(fig, metric, lang, frame["value"])
    _date_ticks(fig, frame["period"])
    fig.update_layout(showlegend=bool(series), hovermode="closest")
    _base_layout(fig, height, font_size)
    if not frame["value"].notna().any():
        fig.add_annotation(text="此范围内没有该指标的数据" if lang == "zh" else "No figures for this KPI in this range",
                           xref="paper", yref="paper", x=0.5, y=0.5, showarrow=False, font=dict(size=font_size + 2))
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        return fig
    drawn = frame["value"].dropna()
    if drawn.nunique() == 1 and drawn.iloc[0] > 0:  # plotly centres a lone value on ±100% of it (−50%–150%)
        fig.update_yaxes(range=[0, float(drawn.iloc[0]) * 1.25])
    for day, name in promotions:
        _promotion(fig, day, name, font_size)
    return fig


def add_target(fig: go.Figure, path: pd.DataFrame, metric: str, lang: str = "zh", font_size: int = 13) -> None:
    """The owner's target (targets.target_path) as a dotted line over a trend."""
    if path.empty:
        return
    name, f = ("目标" if lang == "zh" else "Target"), axis_format(metric, lang)
    fig.add_trace(go.Scatter(
        x=list(path["period"]), y=[None if pd.isna(v) else float(v) for v in path["value"]],
        mode="lines" if path["value"].isna().any() else "lines+markers",
        name=name, connectgaps=False, line={"color": TARGET_LINE, "width": 2 * font_size / 13, "dash": "dot"},
        hovertemplate=f"{name} {f['prefix']}%{{y:{f['hover']}}}{f['suffix']}<extra></extra>",
    ))
    fig.update_layout(showlegend=True)
    if fig.layout.yaxis.range is not None:  # a lone value's axis (trend_lines) must reach the target too
        low, high = fig.layout.yaxis.range
        fig.update_yaxes(range=[low, max(high, float(path["value"].max()) * 1.25)])


def add_last_year(fig: go.Figure, shifted: pd.DataFrame, metric: str, lang: str = "zh", font_size: int = 13) -> None:
    """Last year's line (views.a_year_later: drawn on this year's dates) in grey dots, its
    own dates in the hover."""
    if shifted.empty or not shifted["value"].notna().any():
        return
    name, f = ("去年同期" if lang == "zh" else "Last year"), axis_format(metric, lang)
    shifted = shifted.sort_values("period")
    fig.add_trace(go.Scatter(
        x=pd.to_datetime(shifted["period"]), y=shifted["value"].astype(float), mode="lines+markers", name=name,
        line={"color": LAST_YEAR_LINE, "width": 2 * font_size / 13, "dash": "dot"},
        marker={"size": 4 * font_size / 13}, customdata=[f"{day:%Y-%m-%d}" for day in shifted["was"]],
        hovertemplate=f"{name} %{{customdata}}<br>{f['prefix']}%{{y:{f['hover']}}}{f['suffix']}<extra></extra>",
    ))
    fig.update_layout(showlegend=True)


def _promotion(fig: go.Figure, day, name: str, font_size: int, row: int | None = None, col: int | None = None) -> None:
    x = pd.Timestamp(day)
    where = {} if row is None else {"row": row, "col": col}
    fig.add_vline(x=x, line=dict(color=PROMOTION_COLOUR, width=1.5, dash="dot"), **where)
    if row is None:
        fig.add_annotation(x=x, y=1, yref="paper", text=name, showarrow=False, yanchor="bottom",
                           font=dict(size=font_size - 1, color=PROMOTION_COLOUR))


def small_multiples(frame: pd.DataFrame, team: pd.DataFrame, metric: str, promotions=(), *,
                    names: dict | None = None, columns: int = 3, lang: str = "zh",
                    partial: dict | None = None) -> go.Figure:
    """One small chart per agent (period, agent, value, n), each with the team's line dashed;
    `partial` periods are drawn apart as in trend_lines."""
    agents = sorted(frame["agent"].dropna().unique(), key=str)
    rows = max(1, -(-len(agents) // columns))
    titles = [(names or {}).get(a, str(a)) for a in agents]
    fig = make_subplots(rows=rows, cols=columns, subplot_titles=titles, shared_xaxes=True, shared_yaxes=True,
                        vertical_spacing=0.12 if rows > 1 else 0.2, horizontal_spacing=0.04)
    with_n = "n" in frame.columns and kpi(metric).kind == "ratio"
    hover = _hover(metric, lang, with_n, name=True)
    cut = {pd.Timestamp(day): note for day, note in (partial or {}).items()}
    team_name = "团队" if lang == "zh" else "Team"
    team = team.sort_values("period").assign(period=lambda p: pd.to_datetime(p["period"]))
    team_line, agent_line = dict(color=TEAM_LINE, width=1.5, dash="dash"), dict(color=LINE, width=2)
    for i, agent in enumerate(agents):
        r, c = i // columns + 1, i % columns + 1
        part = frame[frame["agent"] == agent].sort_values("period").assign(period=lambda p: pd.to_datetime(p["period"]))
        for name, points, line, group in ((team_name, team, team_line, "team"), (titles[i], part, agent_line, None)):
            whole, cut_segments = _split_partial(points, cut, with_n, hover, line, 9)
            fig.add_trace(go.Scatter(
                x=whole["period"], y=whole["value"], mode="lines", name=name, legendgroup=group,
                showlegend=bool(group) and i == 0, line=line, customdata=whole["n"] if with_n else None,
                hovertemplate=hover,
            ), row=r, col=c)
            for segment in cut_segments:
                fig.add_trace(segment.update(name=name, legendgroup=group), row=r, col=c)
        for day, _name in promotions:
            _promotion(fig, day, _name, 11, row=r, col=c)
    f = axis_format(metric, lang)
    fig.update_yaxes(tickformat=f["tickformat"], tickprefix=f["prefix"], ticksuffix=f["suffix"])
    _date_ticks(fig, frame["period"])
    fig = _base_layout(fig, 60 + 210 * rows, 12)
    fig.update_annotations(font_size=13)
    return fig


def score_waterfall(breakdown: pd.DataFrame, total: float, lang: str = "zh", height: int = 380) -> go.Figure:
    """How the total score is built: each KPI's weight share × score, then the total.

    `breakdown` as views.score_breakdown returns it; skipped KPIs are left out.
    """
    used = breakdown[~breakdown["skipped"]]
    labels = [metric_label(m, lang) for m in used["metric"]] + ["总分" if lang == "zh" else "Total"]
    hover = [f"{'权重' if lang == 'zh' else 'weight'} {w:g} ({s * 100:.0f}%) × {sc:.1f}"
             for w, s, sc in zip(used["weight"], used["share"], used["score"])] + [""]
    fig = go.Figure(go.Waterfall(
        x=labels, y=list(used["contribution"]) + [total], measure=["relative"] * len(used) + ["total"],
        text=[f"{c:.1f}" for c in used["contribution"]] + [f"{total:.1f}"], textposition="outside",
        hovertext=hover, hovertemplate="%{x}<br>%{hovertext}<br>%{y:.1f}<extra></extra>",
        increasing=dict(marker_color=GOOD), totals=dict(marker_color=LINE), connector=dict(line=dict(color=NEUTRAL)),
    ))
    fig.update_yaxes(range=[0, max(110.0, total * 1.15)])
    fig.update_layout(showlegend=False)
    return _base_layout(fig, height, 13)


def monthly_scores(months: list[str], scores: list[float], threshold: float | None, lang: str = "zh",
                   height: int = 260) -> go.Figure:
    """An agent's score per month, with the promotion rule's average as a dashed line."""
    fig = go.Figure(go.Bar(
        x=months, y=[None if pd.isna(s) else s for s in scores], marker_color=LINE,
        text=["—" if pd.isna(s) else f"{s:.1f}" for s in scores], textposition="outside", cliponaxis=False,
        hovertemplate="%{x}<br>%{y:.1f}<extra></extra>",
    ))
    if threshold is not None:
        fig.add_hline(y=threshold, line=dict(color=TEAM_LINE, dash="dash"),
                      annotation_text=("晋级线 " if lang == "zh" else "rule ") + f"{threshold:g}",
                      annotation_position="top left")
    top = max([threshold or 0, 100] + [s for s in scores if not pd.isna(s)])
    fig.update_yaxes(range=[0, top * 1.15], title="得分" if lang == "zh" else "score")
    fig.update_xaxes(type="category")
    fig.update_layout(showlegend=False)
    return _base_layout(fig, height, 13)
