"""周会 Weekly review: a big-screen slide show of one calendar week (the last one ended, or
the running one so far, against the same days of the week before) — team summary, the
month's targets so far (when any are set), the ranking and the most improved (three cards,
then places 4–12 in rows), KPI champions (with places 2 and 3), the week's trend and
awards — readable across a room. Slides advance by themselves (pause with the button or
Space) or with ◀ ▶ / ← →. No pay is shown here: viewers open this page too.
"""

from csperf import ui

frame = ui.page_frame("周会", "Weekly review", permission="review", sidebar=False)
ui.hide_sidebar()

import html  # noqa: E402
import time  # noqa: E402
from datetime import datetime  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

import pandas as pd  # noqa: E402
import streamlit as st  # noqa: E402

from csperf import queries, targets, views  # noqa: E402
from csperf import ui_charts as charts  # noqa: E402
from csperf import ui_format as fmt  # noqa: E402

SLIDE_SECONDS = 12
LIVE_SECONDS = 10  # how often the screen asks whether new figures came in (also while paused)
RUNNERS_UP = 9  # places 4–12 under the top three (ranking, most improved)
SUMMARY_KPIS = ("sales", "conversion_rate", "aov", "receptions", "first_response_s", "satisfaction")
# a trend chart's height and type size (px) on a 1080p screen, and where the height is 820 px or less
SCREEN_SIZES = {"tall": (600, 22), "short": (372, 14)}
lang = ui.lang()

st.markdown("""<style>
:root{--u:1rem}  /* the slides' unit: a screen under 820 px tall (a 720p projector) takes them, and the charts, smaller */
.block-container{padding-left:3rem;padding-right:3rem}
.rv-head{font-size:calc(3*var(--u));font-weight:800;line-height:1.15;color:#1f2430}
.rv-sub{font-size:calc(1.5*var(--u));color:#5b6472;margin-top:calc(.3*var(--u))}
.rv-title{font-size:calc(3*var(--u));font-weight:800;margin:calc(.2*var(--u)) 0 calc(1.2*var(--u));color:#1f2430}
.rv-grid{display:grid;gap:calc(1.5*var(--u))}
.rv-card{border-radius:20px;padding:calc(1.6*var(--u)) calc(2*var(--u));background:#fff;border:2px solid #eceef1;
  box-shadow:0 2px 10px rgba(0,0,0,.05);overflow:hidden;container-type:inline-size}
.rv-label{font-size:calc(2*var(--u));color:#4a5260}
.rv-value{font-size:calc(4.8*var(--u));font-weight:800;line-height:1.15;color:#1f2430;white-space:nowrap}
.rv-value small{font-size:calc(1.8*var(--u));color:#6b7280;font-weight:600}
.rv-note{font-size:calc(1.6*var(--u));color:#6b7280}
.rv-good{color:#2e9d5b;font-size:calc(2*var(--u));font-weight:700}
.rv-bad{color:#d9363e;font-size:calc(2*var(--u));font-weight:700}
.rv-flat{color:#6b7280;font-size:calc(2*var(--u))}
.rv-target{font-size:calc(1.5*var(--u));font-weight:600;margin-top:calc(.4*var(--u))}
.rv-name{font-size:calc(3.4*var(--u));font-weight:800;color:#1f2430;line-height:1.25}
.rv-badge{display:inline-flex;width:calc(4.6*var(--u));height:calc(4.6*var(--u));border-radius:50%;align-items:center;
  justify-content:center;font-size:calc(2.6*var(--u));font-weight:800;color:#fff;margin-bottom:calc(.6*var(--u))}
.rv-rank-1{background:#E0A800}.rv-rank-2{background:#9AA3AE}.rv-rank-3{background:#C4773B}
.rv-tag{display:inline-block;background:#E4393C;color:#fff;border-radius:999px;padding:calc(.2*var(--u)) calc(1.1*var(--u));
  font-size:calc(1.7*var(--u));font-weight:700;margin-bottom:calc(.5*var(--u))}
.rv-rest{margin-top:calc(1.6*var(--u))}
.rv-row{display:flex;align-items:baseline;gap:calc(1*var(--u));border-radius:14px;padding:calc(.7*var(--u)) calc(1.3*var(--u));background:#f7f8fa;
  font-size:calc(1.8*var(--u));color:#1f2430;white-space:nowrap;overflow:hidden}
.rv-row .rv-at{font-size:calc(1.3*var(--u));color:#6b7280;overflow:hidden;text-overflow:ellipsis;flex:1}
.rv-row b{font-weight:800}.rv-row .rv-n{color:#9aa1ab;font-weight:700;min-width:calc(2.2*var(--u))}
.rv-place{display:flex;gap:calc(.8*var(--u));align-items:baseline;font-size:calc(1.7*var(--u));color:#1f2430;margin-top:calc(.7*var(--u));
  padding-top:calc(.7*var(--u));border-top:1px solid #eceef1;white-space:nowrap}
.rv-place b{flex:1;min-width:calc(4.5*var(--u));overflow:hidden;text-overflow:ellipsis}.rv-place .rv-n{color:#9aa1ab;font-weight:700}
.rv-goal{border-radius:14px;padding:calc(.7*var(--u)) calc(1.3*var(--u));background:#f7f8fa;overflow:hidden}
.rv-goal .rv-at{font-size:calc(1.3*var(--u));color:#6b7280;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.rv-line{display:flex;align-items:baseline;gap:calc(1.2*var(--u));white-space:nowrap;font-size:calc(1.9*var(--u));color:#1f2430}
.rv-line .rv-target{margin-top:0;overflow:hidden;text-overflow:ellipsis}
.rv-empty{font-size:calc(2.4*var(--u));color:#6b7280;padding:calc(3*var(--u)) 0}
.rv-dots{font-size:calc(1.6*var(--u));color:#9aa1ab;letter-spacing:calc(.3*var(--u))}
.rv-dots b{color:#E4393C}
.st-key-rv_clicker{display:none}
@media (max-height:820px){:root{--u:.62rem}.block-container{padding-top:1.2rem;padding-bottom:1rem}
  [class*='st-key-rv_tall_']{display:none}}
@media (min-height:821px){[class*='st-key-rv_short_']{display:none}}
@media (max-width:1360px){[data-testid='stButton'] kbd{display:none}}  /* the label before its key */
</style>""", unsafe_allow_html=True)

drawn_version = frame.db.data_version()  # every slide of a run shows this version of the figures
first, last = ui.query("data_range")
weeks = queries.review_weeks(first, last)
if "rv_week" in st.session_state:  # a new day in the running week: the same week, one day longer
    st.session_state["rv_week"] = queries.review_week_kept(st.session_state["rv_week"], weeks)


def week_label(option: tuple) -> str:
    running = option[1].weekday() != 6
    return fmt.date_span(*option) + (ui.t("（本周至今）", " (so far)") if running else "")


options = ui.query("filter_options")
shops = options["shop"]
for key, offered in (("shop", shops), ("team", options["team"])):  # a team's meeting opened from its own view
    picked = st.session_state.get(f"f_{key}") or []
    if f"rv_{key}" not in st.session_state and len(picked) == 1 and picked[0] in offered:
        st.session_state[f"rv_{key}"] = picked[0]
top = st.columns([3.0, 1.6, 1.5, 1.5, 1.2, 1.2, 1.2], vertical_alignment="center")  # room for a label and its key
week = top[1].selectbox(ui.t("周", "Week"), weeks, index=weeks.index(queries.review_week(weeks)), key="rv_week",
                        format_func=week_label)
previous_week = queries.week_before(week)
top[0].markdown(f"<div class='rv-head'>{ui.t('周会', 'Weekly review')} · "
                f"<span style='white-space:nowrap'>{week_label(week)}</span></div>"
                f"<div class='rv-sub'>{ui.t('对比上周', 'against')} {fmt.date_span(*previous_week, *week)}"
                f" · {ui.t('数据截至', 'data as of')} {last:%Y-%m-%d}"
                + (f" · {ui.t('新数据已更新', 'new figures in at')} {st.session_state['rv_arrived']:%H:%M}"
                   if "rv_arrived" in st.session_state else "") + "</div>", unsafe_allow_html=True)
# the big screen hides the sidebar: this is the way back to the dashboard
top[0].page_link(ui.home_page(frame.user), label=ui.t("退出周会", "Leave the review"), icon=":material/close:")
shop = top[2].selectbox(ui.t("店铺", "Shop"), [None] + shops, key="rv_shop",
                        format_func=lambda s: ui.t("全部店铺", "All shops") if s is None else s) if len(shops) > 1 else None
teams = options["teams_of"].get(shop, []) if shop else options["team"]
if st.session_state.get("rv_team") not in teams:  # a team of another shop: the shop's whole team list
    st.session_state.pop("rv_team", None)
team = top[3].selectbox(ui.t("团队", "Team"), [None] + teams, key="rv_team",
                        format_func=lambda v: ui.t("全部团队", "All teams") if v is None else v) if teams else None
scope = {key: value for key, value in (("shop", shop), ("team", team)) if value}

# -- the week's figures -------------------------------------------------------------------------------

everyone = ui.query("agent_kpis", *week)
scored = ui.scores(*week).frame
before = ui.scores(*previous_week).frame
# Champions and awards go to the roster's agents, as the leaderboard ranks them: an account
# nobody owns yet (a new login, a robot) is no one to applaud.
unrostered = pd.MultiIndex.from_frame(ui.query("unmatched_accounts")[["shop", "account"]])
kpis = views.apply_filters(everyone[~pd.MultiIndex.from_frame(everyone[["shop", "agent"]]).isin(unrostered)], scope)
if not scored.empty:
    scored = views.apply_filters(scored, scope)
# Awards (most improved, champions, the awards slide) go to those who worked enough of the week.
least_days = views.award_days(kpis, scored)
contenders = kpis[views.present(kpis, least_days)]
absent = views.attendance_note(kpis, least_days, lang)
week_totals = ui.query("team_totals", *week, **scope)
firsts = ui.query("first_dates", **scope)
week_before_totals, previous_gap = views.comparable_previous(
    ui.query("team_totals", *previous_week, **scope), previous_week, firsts, lang)
tiles = views.tiles(week_totals, week_before_totals, SUMMARY_KPIS)
partial_week_before = views.partial_previous_note(previous_week, firsts, lang)
goals = targets.standings(ui.query("targets", *week, **scope), week_totals, *week)
unsettled = views.provisional_note(ui.query("provisional_days", *week, **scope), lang)


def esc(value) -> str:
    return html.escape(str(value))


def title(zh: str, en: str) -> None:
    st.markdown(f"<div class='rv-title'>{esc(ui.t(zh, en))}</div>", unsafe_allow_html=True)


def figure(text: str, largest_rem: float = 4.8) -> str:
    """A card's big figure, as large as fits the card's width: ¥180,374.57 in a third of a
    laptop screen must not lose its last digits (a CJK character is about two digits wide)."""
    width = sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
    return (f"<div class='rv-value' style='font-size:min(calc({largest_rem}*var(--u)), {150 / max(width, 1):.1f}cqi)'>"
            f"{esc(text)}</div>")


def grid(cards: list[str], columns: int) -> None:
    st.markdown(f"<div class='rv-grid' style='grid-template-columns:repeat({columns},1fr)'>{''.join(cards)}</div>",
                unsafe_allow_html=True)


def empty(zh: str, en: str) -> None:
    st.markdown(f"<div class='rv-empty'>{esc(ui.t(zh, en))}</div>", unsafe_allow_html=True)


def where(row) -> str:
    team = row.get("team")
    return esc(row["shop"] + ("" if pd.isna(team) or team is None else f" · {team}"))


def runners_up(rest: pd.DataFrame, figure) -> None:
    """Places past the top three, in compact rows (name, team, `figure(row)` as HTML):
    everyone near the top sees their place."""
    if rest.empty:
        return
    rows = [f"<div class='rv-row'><span class='rv-n'>{i + 1}</span><b>{esc(views.display_name(row))}</b>"
            f"<span class='rv-at'>{where(row)}</span>{figure(row)}</div>"
            for i, row in rest.iterrows()]
    st.markdown("<div class='rv-rest'></div>", unsafe_allow_html=True)
    grid(rows, 3)


def no_figures() -> None:
    """An empty week, with its likely reason: a monthly export cannot be split into weeks
    (the Trends page says so of its grains)."""
    empty("本周没有数据。若导入的是月报等跨越多天的文件，它们拆不到周，请在「总览」按月查看。",
          "No figures this week. Exports spanning several days (monthly files, say) cannot be split into "
          "weeks: see the month on the overview.")


def slide_summary() -> None:
    title("本周团队概况", "The team this week")
    if not tiles:
        no_figures()
        return
    cards = []
    no_change = (ui.t("上周数据不全", "partial week before") if previous_gap and not week_before_totals.empty
                 else ui.t("上周无数据", "no previous week"))
    for tile in tiles:
        change = tile.delta_text
        css = {True: "rv-good", False: "rv-bad", None: "rv-flat"}[tile.improved]
        arrow = "" if tile.improved is None else ("▲ " if tile.value > tile.previous else "▼ ")
        cards.append(
            f"<div class='rv-card'><div class='rv-label'>{esc(ui.label(tile.metric))}</div>"
            + figure(fmt.value(tile.metric, tile.value, ui.lang())) +
            f"<div class='{css}'>{esc(arrow + (change or no_change))}</div>"
            f"<div class='rv-note'>{esc(views.count_text(tile.metric, tile.n, lang))}</div>"
            + (f"<div class='{'rv-good' if goals[tile.metric].met else 'rv-bad'} rv-target'>"
               f"{esc(views.target_text(goals[tile.metric], lang))}</div>" if tile.metric in goals else "")
            + "</div>")
    grid(cards, 3)
    notes = [unsettled, previous_gap, views.promotion_note(queries.promotion_days(*week), queries.promotion_days(*previous_week),
                                                lang)]
    for note in filter(None, notes):
        caution(note)


def caution(note: str) -> None:
    st.markdown(f"<div class='rv-note' style='margin-top:1rem;color:#b26a00'>{esc(note)}</div>",
                unsafe_allow_html=True)


def slide_top() -> None:
    title("本周排名", "This week's ranking")
    ranked = views.top_agents(scored, 3 + RUNNERS_UP) if not scored.empty else scored
    if ranked.empty:
        empty("本周没有可计分的客服。", "Nobody could be scored this week.")
        return
    best, rest = ranked.head(3), ranked.iloc[3:]
    across_groups = views.cross_group_note(scored, lang)
    cards = []
    for i, row in best.iterrows():
        conversion = row.get("conversion_rate")
        line = (f"{ui.label('conversion_rate')} {fmt.with_count('conversion_rate', conversion, row.get('conversion_rate_n'), lang)}"
                if not fmt.missing(conversion) else "")
        if across_groups:
            line += (" · " if line else "") + ui.t(f"组内第 {int(row['rank'])} 名", f"#{int(row['rank'])} in group")
        cards.append(
            f"<div class='rv-card'><div class='rv-badge rv-rank-{i + 1}'>{i + 1}</div>"
            f"<div class='rv-name'>{esc(views.display_name(row))}</div><div class='rv-note'>{where(row)}</div>"
            f"<div class='rv-value'>{fmt.score(row['score'])}<small> {ui.t('分', 'pts')}</small></div>"
            f"<div class='rv-note'>{esc(line)}</div></div>")
    grid(cards, 3)
    runners_up(rest, lambda row: f"<b>{fmt.score(row['score'])}</b>")
    for note in filter(None, (across_groups, unsettled)):
        caution(note)


def slide_improved() -> None:
    title("进步最快（对比上周）", "Most improved (against last week)")
    rising = (views.most_improved(scored[views.present(scored, least_days)], before, 3 + RUNNERS_UP)
              if not scored.empty else scored)
    if rising.empty:
        empty("上周没有可比的得分，或本周没有人得分上升。", "No comparable score last week, or nobody rose.")
        return
    cards = [
        f"<div class='rv-card'><div class='rv-name'>{esc(views.display_name(row))}</div>"
        f"<div class='rv-note'>{where(row)}</div>"
        + figure(f"{fmt.score(row['previous_score'])} → {fmt.score(row['score'])}")  # shrinks to fit, never clips
        + f"<div class='rv-good'>▲ +{row['score_change']:.1f} {ui.t('分', 'pts')}</div></div>"
        for _, row in rising.head(3).iterrows()]
    grid(cards, 3)
    runners_up(rising.iloc[3:], lambda row: f"<span class='rv-at' style='flex:none'>{fmt.score(row['previous_score'])} → "
                                            f"{fmt.score(row['score'])}</span><b class='rv-good'>+{row['score_change']:.1f}</b>")
    for note in filter(None, (partial_week_before, absent)):
        caution(note)


def slide_champions() -> None:
    title("单项冠军", "KPI champions")
    champions = views.kpi_champions(contenders)
    if kpis.empty and not views.apply_filters(everyone, scope).empty:
        empty("单项冠军在花名册里的客服中评选，本周他们都没有数据。",
              "Champions are picked among the agents in the roster, and none of them has figures this week.")
        return
    if champions.empty:
        empty("本周样本量不足，评不出单项冠军。", "Samples too small this week for KPI champions.")
        return
    team_word = ui.t("团队", "team")

    def next_two(metric: str) -> str:
        """Places 2 and 3 of the KPI under its champion: the slide is a podium, not one name."""
        rows = views.kpi_ranked(contenders, metric).iloc[1:3]
        return "".join(f"<div class='rv-place'><span class='rv-n'>{place}</span><b>{esc(views.display_name(row))}</b>"
                       f"<span>{esc(fmt.value(metric, row[metric], ui.lang()))}</span></div>"
                       for place, (_, row) in enumerate(rows.iterrows(), start=2))

    cards = [
        f"<div class='rv-card'><div class='rv-label'>{esc(ui.label(row['metric']))}</div>"
        f"<div class='rv-name'>{esc(row['name'])}</div><div class='rv-note'>{where(row)}</div>"
        + figure(fmt.value(row['metric'], row['value'], ui.lang()), largest_rem=3.6) +
        f"<div class='rv-note'>{esc(views.count_text(row['metric'], row['n'], lang))} · {team_word} "
        f"{esc(fmt.value(row['metric'], row['team_value'], ui.lang()))}</div>{next_two(row['metric'])}</div>"
        for _, row in champions.iterrows()]
    grid(cards, 3 if len(cards) <= 3 else min(len(cards), 5))
    st.markdown(f"<div class='rv-note' style='margin-top:1rem'>"
                f"{esc(ui.t('比率类指标须达到最小样本量才参评（如询单 ≥ 30）。', 'Rates need a minimum sample to compete (e.g. ≥ 30 inquiries).'))}"
                "</div>", unsafe_allow_html=True)
    if absent:
        caution(absent)


def slide_trend() -> None:
    title("本周走势", "The week's trend")
    conversion = ui.query("trend", "conversion_rate", *week, grain="day", split="team", **scope)
    sales = ui.query("trend", "sales", *week, grain="day", split="team", **scope)
    if conversion.empty and sales.empty:
        no_figures()
        return
    promotions = queries.promotion_days(*week)
    for column, (metric, trend) in zip(st.columns(2), (("conversion_rate", conversion), ("sales", sales))):
        with column:
            st.markdown(f"<div class='rv-label'>{esc(ui.label(metric))}</div>", unsafe_allow_html=True)
            # drawn for a tall screen and again for a short one, the page's CSS showing the one that
            # fits: Plotly sizes a chart to its column before CSS applies, so a chart shrunk with
            # `zoom` filled only part of its column on a 720p projector
            for size, (height, font) in SCREEN_SIZES.items():
                with st.container(key=f"rv_{size}_{metric}"):
                    st.plotly_chart(charts.trend_lines(trend, metric, promotions, series="team", lang=lang,
                                                       height=height, font_size=font),
                                    key=f"rv_chart_{size}_{metric}", config={"displayModeBar": False})


def slide_awards() -> None:
    title("本周奖项", "This week's awards")
    # kept apart from the toggle's own key: that one is dropped while another slide shows
    one_each = st.session_state.setdefault("rv_one_each", True)
    awards = views.pick_awards(scored, before, kpis, one_each=one_each) if not scored.empty else []
    if not awards:
        empty("本周没有可颁发的奖项。", "No awards this week.")
        return
    cards = [
        f"<div class='rv-card'><div class='rv-tag'>{esc(award.title(lang))}</div>"
        f"<div class='rv-name'>{esc(award.name)}</div><div class='rv-note'>{esc(award.shop)}</div>"
        f"<div class='rv-good'>{esc(award.detail(lang))}</div>"
        + (f"<div class='rv-note'>{esc(award.passed_note(lang))}</div>" if award.passed_from else "") + "</div>"
        for award in awards]
    grid(cards, 4 if len(cards) > 6 else 3)
    if absent:
        caution(absent)
    st.toggle(ui.t("一人一奖：已得奖的人顺延给下一名", "One award each: a winner's further awards go to the next in line"),
              value=one_each, key="rv_one_each_pick",
              on_change=lambda: st.session_state.update(rv_one_each=st.session_state["rv_one_each_pick"]))


# -- the month's targets: where the week leaves them --------------------------------------------------

month = queries.review_month(week)
TARGET_ROWS = 12  # two columns of six fill a 1080p screen
viewed = ui.query("view_scope", **scope)  # its targets lead the list
month_goals = [(targets.scope_label(*(viewed or (targets.ALL,)), lang=lang), goal) for goal in views.in_offered_order(
    targets.standings(ui.query("targets", *month, **scope), ui.query("team_totals", *month, **scope), *month))]
month_goals += [(targets.scope_label(shop_of, team_of, lang=lang), goal)
                for (shop_of, team_of), goals in sorted(ui.scope_goals(month, scope).items())
                if (shop_of, team_of, targets.ALL) != viewed for goal in views.in_offered_order(goals)]


def slide_targets() -> None:
    title(f"本月目标进度 · {month[0]:%m-%d} ~ {month[1]:%m-%d}", f"The month's targets · {month[0]:%m-%d} ~ {month[1]:%m-%d}")
    shown, more, short = views.fit_goals(month_goals, TARGET_ROWS)
    grid([f"<div class='rv-goal'><div class='rv-at'>{esc(where_of)}</div><div class='rv-line'>"
          f"<b>{esc(ui.label(goal.metric))} {esc(fmt.value(goal.metric, goal.value, lang))}</b>"
          f"<span class='{'rv-good' if goal.met else 'rv-bad'} rv-target'>{esc(views.target_text(goal, lang))}</span>"
          "</div></div>" for where_of, goal in shown], 2)
    if more:
        note = ui.t(f"另有 {more} 项目标未列出（{short} 项未达标），见「总览」。" if short else
                    f"另有 {more} 项目标已达标，未列出，见「总览」。",
                    f"{more} more targets ({short} of them short) are on the overview." if short else
                    f"{more} more targets, all met, are on the overview.")
        st.markdown(f"<div class='rv-note' style='margin-top:1rem'>{esc(note)}</div>", unsafe_allow_html=True)


SLIDES = [slide_summary, *([slide_targets] if month_goals else []), slide_top, slide_improved, slide_champions,
          slide_trend, slide_awards]

# -- the slide show -------------------------------------------------------------------------------------

st.session_state.setdefault("rv_slide", 0)
st.session_state.setdefault("rv_paused", False)
st.session_state.setdefault("rv_shown_at", time.time())


def go(step: int) -> None:
    st.session_state["rv_slide"] = (st.session_state["rv_slide"] + step) % len(SLIDES)
    st.session_state["rv_shown_at"] = time.time()


def toggle_pause() -> None:
    st.session_state["rv_paused"] = not st.session_state["rv_paused"]
    st.session_state["rv_shown_at"] = time.time()


paused = st.session_state["rv_paused"]
top[4].button(ui.t("上一页", "Back"), icon=":material/chevron_left:", on_click=go, args=(-1,), key="rv_prev",
              shortcut="Left", width="stretch")
top[5].button(ui.t("继续", "Play") if paused else ui.t("暂停", "Pause"),
              icon=":material/play_arrow:" if paused else ":material/pause:", on_click=toggle_pause, key="rv_pause",
              shortcut="Space", width="stretch")
top[6].button(ui.t("下一页", "Next"), icon=":material/chevron_right:", on_click=go, args=(1,), key="rv_next",
              shortcut="Right", width="stretch", type="primary")
with st.container(key="rv_clicker"):  # a presenter's clicker sends PageDown / PageUp: unseen twins of the arrows
    st.button(ui.t("下一页", "Next"), on_click=go, args=(1,), key="rv_next_page", shortcut="PageDown")
    st.button(ui.t("上一页", "Back"), on_click=go, args=(-1,), key="rv_prev_page", shortcut="PageUp")


@st.fragment(run_every=None if paused else SLIDE_SECONDS)
def show_slide() -> None:
    ui.check_session()  # a timed rerun skips the frame: a screen left on must not outlive its session
    # A timed rerun advances; a rerun caused by a button has just reset the clock.
    if not st.session_state["rv_paused"] and time.time() - st.session_state["rv_shown_at"] >= SLIDE_SECONDS - 0.5:
        go(1)
    index = st.session_state["rv_slide"] % len(SLIDES)  # a shop without targets has one slide fewer
    dots = "".join("<b>●</b>" if i == index else "○" for i in range(len(SLIDES)))
    st.markdown(f"<div class='rv-dots'>{dots} &nbsp;{index + 1} / {len(SLIDES)}"
                f"{' · ' + esc(ui.t('已暂停', 'paused')) if st.session_state['rv_paused'] else ''}</div>",
                unsafe_allow_html=True)
    SLIDES[index]()


@st.fragment(run_every=LIVE_SECONDS)
def watch_for_new_data() -> None:
    """New figures (the inbox, an upload) redraw the whole review at once, so no slide shows
    an older version of the week than the others; a paused screen too."""
    ui.check_session()
    if frame.db.data_version() != drawn_version:
        st.session_state["rv_arrived"] = datetime.now(ZoneInfo("Asia/Shanghai"))
        st.rerun()


show_slide()
watch_for_new_data()
