"""What-if: edit a scheme and see at once who moves and what it costs against the scheme in force."""

from csperf import ui

frame = ui.page_frame("模拟", "What-if", permission="whatif")

from dataclasses import replace  # noqa: E402

import pandas as pd  # noqa: E402
import plotly.express as px  # noqa: E402
import streamlit as st  # noqa: E402

from csperf import roster, scenario, schemes, views  # noqa: E402
from csperf import ui_format as fmt  # noqa: E402
from csperf.metrics import KPI_NAMES  # noqa: E402
from csperf.scheme import (  # noqa: E402
    GROUP_BYS,
    METHODS,
    SPLITS,
    SchemeError,
    dump_scheme,
    load_scheme,
)
from csperf.scheme import ROLES as ASSIGN_ROLES  # noqa: E402
from csperf.ui_charts import BAD, GOOD  # noqa: E402

t = ui.t
show_pay = frame.can("view_pay_all")
EDITOR_KEYS = ("wi_kpis", "wi_bonuses", "wi_penalties", "wi_coefficients", "wi_commission", "wi_levels",
               "wi_team_bonus", "wi_group_by", "wi_perf_pay", "wi_awards", "wi_ctc", "wi_floor")
LINK = "link"
METHOD_LABELS = {"vs_team": ("对比团队", "vs team"), "target": ("对比目标值", "vs target"),
                 "linear": ("线性区间", "linear"), "bands": ("分档", "bands")}
SPLIT_LABELS = {"equal": ("平均分配", "equally"), "score": ("按得分分配", "by score")}
GROUP_LABELS = {"team": ("同店同组同岗", "shop + team + role"), "shift": ("同店同班次同岗", "shop + shift + role"),
                "shop": ("同店同岗", "shop + role"), "all": ("全部一起", "everyone")}


def version_label(key: str) -> str:
    if key == LINK:
        return t("分享链接中的方案", "Scheme from the shared link")
    name, version = key.rsplit("|", 1)
    return f"{name} v{version}"


def shown_change(rows: pd.DataFrame) -> pd.Series:
    """Each agent's pay change as the difference of the two amounts shown beside it (to the cent)."""
    return (fmt.to_cent(rows["new_pay"]) - fmt.to_cent(rows["old_pay"])).map(fmt.money_change)


def show_errors(exc: SchemeError) -> None:
    st.error(t("方案有误，请修改后再看结果：", "The scheme has errors; fix them to see the result:") + "\n\n"
             + "\n".join(f"- {line}" for line in exc.errors))


st.title(t("方案模拟", "What-if"))

# -- which agents, which scheme is in force ------------------------------------------------------
kpis = ui.query("agent_kpis", frame.date_from, frame.date_to)  # everyone: filters only choose whom to show
in_view = views.apply_filters(kpis, frame.filters)
if in_view.empty:  # no role to pick, so no scheme in force to compare with: nothing else to say
    st.info(t("所选期间和筛选条件下没有客服。请换一个期间或清除筛选。",
              "No agents in the chosen period and filters. Pick another period or clear the filters."))
    st.stop()
saved = schemes.list_schemes(frame.db)
roles = views.roles_by_size(in_view)

if "wi_link" not in st.session_state:  # a shared link is read once, when the session opens it
    st.session_state["wi_link"] = None
    token = st.query_params.get(scenario.SCENARIO_PARAM)
    if token:
        try:
            st.session_state["wi_link"] = scenario.decode_scenario(token)
        except (scenario.ScenarioError, SchemeError) as exc:
            st.session_state["wi_link_error"] = str(exc)
link = st.session_state["wi_link"]
if st.session_state.get("wi_link_error"):
    st.error(t("分享链接中的方案无法打开：", "The shared scenario could not be opened: ")
             + st.session_state["wi_link_error"])

top = st.columns([1, 2, 2])
role_options = roles or [None]
if link is not None and link.scheme.role in role_options and "wi_role" not in st.session_state:
    st.session_state["wi_role"] = link.scheme.role
role = top[0].selectbox(t("岗位", "Role"), role_options, key="wi_role",
                        format_func=lambda r: fmt.role(r, ui.lang()))


def fits(scheme_role: str) -> bool:
    """A scheme scores its own role's agents (or everyone's for role "all"), and agents without a
    role, the only ones shown when the roster names no role (scoring.covers)."""
    return role is None or scheme_role in ("all", role)


fitting = saved[saved["role"].map(fits)]
if fitting.empty:
    st.info(t(f"没有适用于{fmt.role(role)}的方案：方案只为其岗位的客服计分。请在「数据」页维护花名册的岗位，"
              "或保存一个适用于该岗位的方案。",
              f"No saved scheme applies to {fmt.role(role, 'en')}: a scheme scores only the agents of its role. "
              "Set roles in the roster on the Data page, or save a scheme for this role."))
    st.stop()
version_keys = [f"{n}|{v}" for n, v in zip(fitting["name"], fitting["version"])]
one = {key: values[0] for key, values in frame.filters.items() if key in ("shop", "team") and len(values) == 1}
try:
    baseline, baseline_version = schemes.scheme_for(frame.db, role, frame.date_to, **one)
except LookupError:
    baseline = None
if baseline is None or not fits(baseline.role):
    fallback = fitting.sort_values("latest", ascending=False, kind="stable").iloc[0]
    baseline, baseline_version = schemes.get_scheme(frame.db, fallback["name"], int(fallback["version"]))
    top[1].warning(t(f"{fmt.role(role)} 没有指派适用的方案，以 {baseline.name} 作为对照。",
                     f"No scheme is assigned to {fmt.role(role, 'en')}; comparing with {baseline.name}."))
in_force = f"{baseline.name}|{baseline_version}"
top[1].metric(t("生效方案", "Scheme in force"), f"{baseline.name} v{baseline_version}")

if "wi_after_save" in st.session_state:  # start from the version just saved
    st.session_state["wi_start"] = st.session_state.pop("wi_after_save")
link_fits = link is not None and fits(link.scheme.role)
if link is not None and not link_fits:
    st.warning(t(f"分享链接中的方案只为{fmt.role(link.scheme.role)}计分，不适用于所选岗位。",
                 f"The shared scheme scores {fmt.role(link.scheme.role, 'en')} only, not the chosen role."))
start_options = ([LINK] if link_fits else []) + version_keys
if st.session_state.get("wi_start") not in start_options:
    st.session_state["wi_start"] = LINK if link_fits else in_force
elif st.session_state.get("wi_start_role", role) != role:  # another role starts from its own scheme
    st.session_state["wi_start"] = in_force
st.session_state["wi_start_role"] = role
start_key = top[2].selectbox(t("从哪个方案开始改", "Start from"), start_options, key="wi_start",
                             format_func=version_label)
if start_key == LINK:
    start = link.scheme
    if link.base_name and f"{link.base_name}|{link.base_version}" != in_force:
        st.info(t(f"链接是在 {link.base_name} v{link.base_version} 上修改的；这里对照的是当前生效的 "
                  f"{baseline.name} v{baseline_version}。",
                  f"The link was edited from {link.base_name} v{link.base_version}; it is compared here with "
                  f"the scheme in force, {baseline.name} v{baseline_version}."))
else:
    name, version = start_key.rsplit("|", 1)
    start = schemes.get_scheme(frame.db, name, int(version))[0]


def editor_key(name: str) -> str:
    """An editor's widget key, new for each starting point: the browser sends a widget's last
    value back under its key even after the server dropped it, so reused keys would carry
    the previous role's edits into this one."""
    return f"{name}#{st.session_state['wi_generation']}"


if st.session_state.get("wi_editing") != start_key:  # a new starting point discards the edits
    if "wi_generation" in st.session_state:
        for key in EDITOR_KEYS:
            st.session_state.pop(editor_key(key), None)
    st.session_state["wi_generation"] = st.session_state.get("wi_generation", 0) + 1
    st.session_state["wi_editing"] = start_key

agents = kpis if role is None else kpis[kpis["role"] == role]
shown_agents = views.apply_filters(agents, frame.filters)
if shown_agents.empty:
    st.info(t("所选期间和筛选条件下没有这个岗位的客服。", "No agents of this role in the chosen period and filters."))
    st.stop()
st.caption(t(f"{frame.date_from:%Y-%m-%d} ~ {frame.date_to:%Y-%m-%d} · {len(shown_agents)} 位客服。改动只在本页试算，"
             "保存后才成为新版本。",
             f"{frame.date_from:%Y-%m-%d} ~ {frame.date_to:%Y-%m-%d} · {fmt.counted(len(shown_agents), 'agent')}. "
             "Edits are only tried out here until saved as a new version."))
ui.period_notes([start], frame)

# -- the editor ------------------------------------------------------------------------------------
tables = scenario.to_tables(start)
metric_column = st.column_config.SelectboxColumn(t("指标", "Metric"), options=list(KPI_NAMES), required=True,
                                                 format_func=ui.label)


def number(zh: str, en: str, **kwargs):
    return st.column_config.NumberColumn(t(zh, en), **kwargs)


tab_kpi, tab_bonus, tab_pay, tab_base = st.tabs([t("考核指标与权重", "KPIs and weights"),
                                                 t("奖金与扣款", "Bonuses and penalties"),
                                                 t("系数、提成与名次奖", "Coefficients, commission, rank awards"),
                                                 t("级别底薪与团队奖", "Base salary by level, team bonus")])
with tab_kpi:
    edited_kpis = st.data_editor(
        tables.kpis, key=editor_key("wi_kpis"), num_rows="dynamic", hide_index=True, width="stretch", placeholder="",
        column_config={
            "metric": metric_column,
            "weight": number("权重", "Weight", min_value=0, step=1, required=True),
            "method": st.column_config.SelectboxColumn(t("计分方法", "Method"), options=list(METHODS),
                                                       format_func=lambda m: t(*METHOD_LABELS[m])),
            "cap": number("封顶", "Cap", min_value=0, step=0.05, help=t("对比团队/目标：完成度上限，如 1.2",
                                                                    "vs team/target: completion cap, e.g. 1.2")),
            "min_n": number("最少样本", "Min n", min_value=0, step=1,
                            help=t("分母少于此数时不计此项", "skipped below this many denominator units")),
            "target": number("目标值", "Target", help=t("对比目标值时使用", "for vs target")),
            "worst": number("0分值", "Worst", help=t("线性：此值得0分", "linear: 0 points here")),
            "best": number("100分值", "Best", help=t("线性：此值得100分", "linear: 100 points here")),
            "bands": st.column_config.TextColumn(t("分档 阈值:分数", "Bands threshold:points"),
                                                 help=t("如 0:50, 60:80, 70:100", "e.g. 0:50, 60:80, 70:100")),
        },
    )
    st.caption(t("每行只填所选计分方法用到的列，其余列忽略。", "Fill only the columns the row's method uses."))
    side = st.columns(2)
    group_by = side[0].selectbox(t("比较组", "Comparison group"), list(GROUP_BYS), key=editor_key("wi_group_by"),
                                 index=list(GROUP_BYS).index(tables.group_by),
                                 format_func=lambda g: t(*GROUP_LABELS[g]))
with tab_bonus:
    left, right = st.columns([3, 2])
    edited_bonuses = left.data_editor(
        tables.bonuses, key=editor_key("wi_bonuses"), num_rows="dynamic", hide_index=True, width="stretch", placeholder="",
        column_config={"metric": metric_column,
                       "threshold": number("达到", "Reaches", required=True, format="localized",
                                           help=t("比率写小数：0.6 = 60%", "rates as fractions: 0.6 = 60%")),
                       "amount": number("奖金 ¥", "Bonus ¥", min_value=0, step=100, required=True,
                                        format="localized")},
    )
    left.caption(t("同一指标的多行是档位，按最高达到的一档发一次。", "Rows of one metric are tiers; the highest reached pays once."))
    edited_penalties = right.data_editor(
        tables.penalties, key=editor_key("wi_penalties"), num_rows="dynamic", hide_index=True, width="stretch", placeholder="",
        column_config={"metric": metric_column,
                       "per_unit": number("每单位扣款 ¥", "Per unit ¥", min_value=0, step=10, required=True)},
    )
with tab_pay:
    perf_pay = st.slider(t("绩效工资（按系数发放）", "Performance pay (× coefficient)"), 0, 
                         max(10000, int(tables.performance_pay) * 2), int(tables.performance_pay), step=100,
                         key=editor_key("wi_perf_pay"))
    left, right = st.columns(2)
    edited_coefficients = left.data_editor(
        tables.coefficients, key=editor_key("wi_coefficients"), num_rows="dynamic", hide_index=True, width="stretch",
        placeholder="",
        column_config={"min_score": number("得分达到", "Score from", min_value=0, required=True),
                       "coefficient": number("系数", "Coefficient", min_value=0, step=0.05, required=True)},
    )
    edited_commission = right.data_editor(
        tables.commission, key=editor_key("wi_commission"), num_rows="dynamic", hide_index=True, width="stretch", placeholder="",
        column_config={"sales_from": number("销售额达到 ¥", "Sales from ¥", min_value=0, required=True,
                                            format="localized"),
                       "rate": number("提成比例", "Rate", min_value=0, step=0.001, format="%.3f", required=True)},
    )
    awards_text = left.text_input(t("名次奖（第1名, 第2名, …）", "Rank awards (1st, 2nd, …)"),
                                  scenario.format_amounts(tables.rank_awards), key=editor_key("wi_awards"))
    times_coefficient = right.checkbox(t("提成也乘以系数", "Commission × coefficient"),
                                       tables.commission_times_coefficient, key=editor_key("wi_ctc"))
    floor_at_base = right.checkbox(t("扣款后不低于底薪", "Pay never below base"), tables.floor_at_base,
                                   key=editor_key("wi_floor"))
with tab_base:
    left, right = st.columns([2, 3])
    edited_levels = left.data_editor(
        tables.levels, key=editor_key("wi_levels"), num_rows="dynamic", hide_index=True, width="stretch", placeholder="",
        column_config={"level": st.column_config.SelectboxColumn(
                           t("级别", "Level"), required=True, format_func=lambda v: views.level_label(v, ui.lang()),
                           options=[*roster.LEVELS, *(v for v in tables.levels["level"] if v not in roster.LEVELS)]),
                       "base_salary": number("底薪 ¥", "Base salary ¥", min_value=0, step=100, required=True,
                                             format="localized")},
    )
    left.caption(t("花名册没有个人底薪时按级别取底薪。", "Used when the roster gives no personal base salary."))
    edited_team_bonus = right.data_editor(
        tables.team_bonus, key=editor_key("wi_team_bonus"), num_rows="dynamic", hide_index=True, width="stretch",
        placeholder="",
        column_config={"metric": metric_column,
                       "target": number("目标值", "Target", required=True, format="localized",
                                        help=t("比较组合计（比率为合并值）达到此值时发放", "paid when the group's total "
                                               "(pooled for a rate) reaches this")),
                       "pool": number("奖金池 ¥", "Pool ¥", min_value=0, step=100, required=True, format="localized"),
                       "split": st.column_config.SelectboxColumn(t("分配方式", "Split"), options=list(SPLITS),
                                                                 required=True,
                                                                 format_func=lambda s: t(*SPLIT_LABELS[s]))},
    )
    right.caption(t("最多一行；删除该行即取消团队奖。", "One row at most; delete it to drop the team bonus."))

changed = None
try:
    changed = scenario.from_tables(start, scenario.SchemeTables(
        kpis=edited_kpis, bonuses=edited_bonuses, penalties=edited_penalties, coefficients=edited_coefficients,
        commission=edited_commission, levels=edited_levels, team_bonus=edited_team_bonus, group_by=group_by,
        performance_pay=perf_pay,
        rank_awards=scenario.parse_amounts(awards_text), commission_times_coefficient=times_coefficient,
        floor_at_base=floor_at_base,
    ))
except SchemeError as exc:
    show_errors(exc)

# -- the result ------------------------------------------------------------------------------------
if changed is not None:
    changes = scenario.describe_changes(baseline, changed)
    if changes:
        st.query_params[scenario.SCENARIO_PARAM] = scenario.encode_scenario(changed, baseline.name, baseline_version)
    elif scenario.SCENARIO_PARAM in st.query_params:
        del st.query_params[scenario.SCENARIO_PARAM]

    result = views.what_if_shown(agents, frame.filters, baseline, changed,
                                 ui.scores(frame.date_from, frame.date_to).frame)  # cached, as the leaderboard
    rows = scenario.ranking_rows(result.agents, ui.lang())
    st.subheader(t(f"新排名 · 对照 {baseline.name} v{baseline_version}",
                   f"New ranking · against {baseline.name} v{baseline_version}"))
    mixed = views.in_force_note(result.agents, ui.lang())
    if mixed:
        st.caption(f":orange[{mixed}]")
    tiles = st.columns(4)
    moved = rows["rank_move"].fillna(0)
    tiles[0].metric(t("名次上升", "Moved up"), int((moved > 0).sum()))
    tiles[1].metric(t("名次下降", "Moved down"), int((moved < 0).sum()))
    if show_pay:
        tiles[2].metric(t("工资总额（生效方案）", "Payroll (in force)"), fmt.money(result.payroll_old, 0))
        tiles[3].metric(t("工资总额（模拟）", "Payroll (what-if)"), fmt.money(result.payroll_new, 0),
                        delta=fmt.money_change(result.payroll_change, zero=None),
                        delta_color="off")

    table = pd.DataFrame({
        t("名次", "Rank"): rows["new_rank"].astype("Int64"),
        t("变动", "Move"): rows["move"],
        t("客服", "Agent"): rows["who"],
        t("店铺", "Shop"): rows["shop"],
        t("团队", "Team"): rows["team"].fillna("—"),
        t("新得分", "New score"): rows["new_score"].map(fmt.score),
        t("原得分", "Old score"): rows["old_score"].map(fmt.score),
    })
    if show_pay:
        table[t("原工资", "Old pay")] = rows["old_pay"].map(fmt.money)
        table[t("新工资", "New pay")] = rows["new_pay"].map(fmt.money)
        table[t("工资变化", "Pay change")] = shown_change(rows)
        table[t("变化明细", "What changed")] = views.pay_change_reasons(rows, ui.lang())
    st.dataframe(table, hide_index=True, width="stretch", height=ui.rows_height(len(table)), placeholder="—")
    change_column, change_label = (("pay_change", t("工资变化 ¥", "Pay change ¥")) if show_pay
                                   else ("score_change", t("得分变化", "Score change")))
    if rows[change_column].abs().round(2).gt(0).any():
        chart = px.bar(rows, x=change_column, y="who", orientation="h", labels={change_column: change_label, "who": ""})
        chart.update_traces(marker_color=[GOOD if v >= 0 else BAD for v in rows[change_column].fillna(0)])
        chart.update_layout(height=max(220, 28 * len(rows)), margin={"l": 0, "r": 0, "t": 10, "b": 0},
                            yaxis={"autorange": "reversed"})
        st.plotly_chart(chart, width="stretch")

    if changes:
        with st.expander(t(f"与生效方案相比改了 {len(changes)} 处 · 分享链接",
                           f"{fmt.counted(len(changes), 'change')} · share link")):
            st.code("\n".join(changes), language=None)
            url = st.context.url
            token = st.query_params[scenario.SCENARIO_PARAM]
            st.caption(t("把下面的链接发给同事，打开后就是这套改动：", "Send this link; it opens this scenario:"))
            st.code(f"{url}?{scenario.SCENARIO_PARAM}={token}" if url else
                    t("复制浏览器地址栏中的链接", "Copy the link in the browser's address bar"), language=None)

    if frame.can("edit_schemes"):
        with st.form("wi_save"):
            st.markdown(t("**保存为新版本**", "**Save as a new version**"))
            cols = st.columns([1, 2])
            save_name = cols[0].text_input(t("方案名称", "Scheme name"), start.name,
                                           help=t("同名保存为下一版本；新名称另建方案。",
                                                  "Same name: next version; a new name starts a new scheme."))
            note = cols[1].text_input(t("修改说明（必填）", "Note (required)"), "; ".join(changes)[:300])
            if st.form_submit_button(t("保存", "Save"), type="primary"):
                if not note.strip() or not save_name.strip():
                    st.error(t("请填写方案名称和修改说明。", "Enter a scheme name and a note."))
                else:
                    try:
                        to_save = replace(changed, name=save_name.strip())
                        if to_save.name != start.name:  # a variant: its weights are no longer the original's
                            to_save = replace(to_save, description=scenario.variant_description(start, note.strip()))
                        version = schemes.save_scheme(frame.db, to_save, note.strip(), user=frame.user.username)
                    except SchemeError as exc:
                        show_errors(exc)
                    else:
                        st.session_state["wi_after_save"] = f"{to_save.name}|{version}"
                        saved_label = f"{to_save.name} v{version}"
                        ui.flash(t(f"已保存 {saved_label}。是否用于发薪取决于方案指派（见下方「方案指派」）。",
                                   f"Saved {saved_label}. Whether it pays depends on the scheme assignment "
                                   "(see Assignments below)."), "saved")
    ui.flashed("saved")

# -- the scheme as a TOML file (spec/scoring.md): to keep in version control or share ---------------
with st.expander(t("方案文件（TOML）：导出、导入", "Scheme file (TOML): export, import")):
    shown_scheme = changed if changed is not None else start
    left, right = st.columns(2)
    left.download_button(t("下载当前方案文件", "Download this scheme as a file"), dump_scheme(shown_scheme),
                         file_name=f"{shown_scheme.name}.toml", mime="application/toml", icon=":material/download:",
                         help=t("含本页尚未保存的修改；可存档、发给别的店铺，或在此导入。",
                                "With this page's unsaved edits; keep it, share it, or import it here."))
    if frame.can("edit_schemes"):
        uploaded = right.file_uploader(t("导入方案文件，保存为新版本", "Import a scheme file as a new version"),
                                       type=["toml"], key="wi_toml")
        if uploaded is not None:
            try:
                text = uploaded.getvalue().decode("utf-8-sig")
                if "=" not in text:  # load_scheme would take a short text for a path
                    raise SchemeError([t("文件里没有方案内容", "the file holds no scheme")], uploaded.name)
                imported = load_scheme(text)
            except UnicodeDecodeError:
                right.error(t("方案文件须为 UTF-8 文本。", "A scheme file must be UTF-8 text."))
            except SchemeError as exc:
                show_errors(exc)
            else:
                same = schemes.same_as_saved(frame.db, imported)
                if same is not None:
                    right.info(t(f"与已保存的 {imported.name} v{same} 完全相同，无需导入。",
                                 f"Exactly {imported.name} v{same} as saved: nothing to import."))
                elif right.button(t(f"保存为 {imported.name} 的新版本", f"Save as a new version of {imported.name}"),
                                  key="wi_toml_save", type="primary"):
                    version = schemes.save_scheme(frame.db, imported, t(f"导入文件 {uploaded.name}",
                                                                        f"imported from {uploaded.name}"),
                                                  user=frame.user.username)
                    st.session_state["wi_after_save"] = f"{imported.name}|{version}"
                    ui.flash(t(f"已导入 {imported.name} v{version}。是否用于发薪取决于方案指派。",
                               f"Imported {imported.name} v{version}. Whether it pays depends on the scheme "
                               "assignment."), "imported")
    ui.flashed("imported")

# -- which scheme pays which role ------------------------------------------------------------------
if frame.can("edit_schemes"):
    with st.expander(t("方案指派：哪个方案给哪个岗位计分发薪", "Assignments: which scheme scores and pays which role")):
        assignments = schemes.list_assignments(frame.db)
        everywhere = t("全部", "All")
        st.dataframe(assignments.assign(
                         role=assignments["role"].map(lambda r: fmt.role(r, ui.lang())),
                         shop=assignments["shop"].replace("", everywhere), team=assignments["team"].replace("", everywhere),
                         valid_from=pd.to_datetime(assignments["valid_from"]).dt.date,
                         scheme_version=assignments["scheme_version"].map(
                             lambda v: t("各期最新", "latest of each period") if pd.isna(v) else f"v{int(v)}")),
                     hide_index=True, width="stretch",
                     column_config={"role": t("岗位", "Role"), "shop": t("店铺", "Shop"), "team": t("团队", "Team"),
                                    "valid_from": t("生效日", "In force from"), "scheme_name": t("方案", "Scheme"),
                                    "scheme_version": t("版本", "Version")})
        with st.form("wi_assign"):
            cols = st.columns(3)
            assign_role = cols[0].selectbox(t("岗位", "Role"), list(ASSIGN_ROLES), key="wi_assign_role",
                                            format_func=lambda r: fmt.role(r, ui.lang()) if r != "all"
                                            else t("所有岗位（无专属方案时）", "All roles (without their own)"))
            role_of = dict(zip(saved["name"], saved["role"]))
            assign_name = cols[1].selectbox(t("方案", "Scheme"), sorted(role_of), key="wi_assign_name",
                                            format_func=lambda n: t(f"{n}（{fmt.role(role_of[n])}）",
                                                                    f"{n} ({fmt.role(role_of[n], 'en')})")
                                            if role_of[n] != "all" else n)
            valid_from = cols[2].date_input(t("生效日", "In force from"), frame.date_from.replace(day=1),
                                            key="wi_assign_from")
            scope, known = st.columns(2), ui.query("filter_options")  # only names the data has: no typo assigns nothing
            assign_shop = scope[0].selectbox(t("仅此店铺", "Only this shop"), ["", *known["shop"]], key="wi_assign_shop",
                                             format_func=lambda v: v or t("（全部店铺）", "(every shop)"))
            assign_team = scope[1].selectbox(t("仅此团队", "Only this team"), ["", *known["team"]], key="wi_assign_team",
                                             format_func=lambda v: v or t("（全部团队）", "(every team)"))
            if st.form_submit_button(t("指派", "Assign")):
                try:
                    schemes.assign_scheme(frame.db, assign_role, assign_name, valid_from, shop=assign_shop,
                                          team=assign_team, user=frame.user.username)
                except ValueError as exc:
                    ui.error(exc)
                else:  # the write bumps the data version, so every cached score is read again
                    where = "、".join(filter(None, [assign_shop, assign_team]))
                    assigned = (f"{assign_name} → {fmt.role(assign_role, ui.lang())}"
                                + (t(f"（仅{where}）", f" (only {where})") if where else ""))
                    ui.flash(t(f"已指派：{assigned}，自 {valid_from:%Y-%m-%d} 起按它计分发薪。",
                               f"Assigned: {assigned}; it scores and pays from {valid_from:%Y-%m-%d}."), "assigned")
        ui.flashed("assigned")

# -- two saved schemes side by side ----------------------------------------------------------------
st.divider()
st.subheader(t("两个方案对比", "Two schemes side by side"))
compare_options = (["edited"] if changed is not None else []) + version_keys
compare_label = {"edited": t("当前模拟", "Current what-if")}
pick = st.columns(2)
# seeded through the session, not index=: a language switch puts each choice back the same way
for key, default in (("wi_cmp_a", in_force if in_force in compare_options else compare_options[0]),
                     ("wi_cmp_b", compare_options[0])):
    if st.session_state.get(key) not in compare_options:
        st.session_state[key] = default
first_key = pick[0].selectbox(t("方案 A", "Scheme A"), compare_options, key="wi_cmp_a",
                              format_func=lambda k: compare_label.get(k) or version_label(k))
second_key = pick[1].selectbox(t("方案 B", "Scheme B"), compare_options, key="wi_cmp_b",
                               format_func=lambda k: compare_label.get(k) or version_label(k))


def scheme_of(key: str):
    if key == "edited":
        return changed
    name, version = key.rsplit("|", 1)
    return schemes.get_scheme(frame.db, name, int(version))[0]


first, second = scheme_of(first_key), scheme_of(second_key)
pair = views.what_if_shown(agents, frame.filters, first, second)
side = scenario.ranking_rows(pair.agents, ui.lang())
if show_pay:
    tiles = st.columns(3)
    tiles[0].metric(t("A 工资总额", "Payroll A"), fmt.money(pair.payroll_old, 0))
    tiles[1].metric(t("B 工资总额", "Payroll B"), fmt.money(pair.payroll_new, 0))
    tiles[2].metric(t("B − A", "B − A"), fmt.money_change(pair.payroll_change, zero=fmt.money(0)))
both = pd.DataFrame({
    t("客服", "Agent"): side["who"],
    t("团队", "Team"): side["team"].fillna("—"),
    t("A 名次", "Rank A"): side["old_rank"].astype("Int64"),
    t("B 名次", "Rank B"): side["new_rank"].astype("Int64"),
    t("变动", "Move"): side["move"],
    t("A 得分", "Score A"): side["old_score"].map(fmt.score),
    t("B 得分", "Score B"): side["new_score"].map(fmt.score),
})
if show_pay:
    both[t("A 工资", "Pay A")] = side["old_pay"].map(fmt.money)
    both[t("B 工资", "Pay B")] = side["new_pay"].map(fmt.money)
    both[t("B − A", "B − A")] = shown_change(side)
st.dataframe(both, hide_index=True, width="stretch", height=ui.rows_height(len(both)), placeholder="—")
