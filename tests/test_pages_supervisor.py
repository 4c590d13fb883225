"""The supervisor's pages run as AppTests: what-if, data and sessions, each with content checks."""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import replace
from datetime import date, datetime, time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import TEAMS, app_test

from csperf import auth, importer, inbox, queries, roster, scenario, schemes
from csperf.db import ImportMeta, open_db

WHATIF, DATA, SESSIONS = "pages/5_whatif.py", "pages/6_data.py", "pages/8_sessions.py"
NO_EDITS = {"edited_rows": {}, "added_rows": [], "deleted_rows": []}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def editor(at, name: str) -> str:
    """The what-if page's widget key of one editor for the current starting point."""
    return f"{name}#{at.session_state['wi_generation']}"


def ran(page: str, role: str = "supervisor", query: dict | None = None):
    at = app_test(page, role)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def shown_table(at, column: str):
    """The first table on the page (not an editor) with this column."""
    editors = {id(e) for e in at.data_editor}
    for element in at.dataframe:
        if id(element) not in editors and column in element.value.columns:
            return element.value
    raise AssertionError(f"no table has a column {column!r}")


def frame_with(at, column: str, value):
    """The first dataframe on the page with `value` in `column`."""
    for element in at.dataframe:
        table = element.value
        if column in table.columns and value in set(table[column]):
            return table
    raise AssertionError(f"no table has {value!r} in {column!r}")


# -- what-if ------------------------------------------------------------------------------------


def test_whatif_ranks_every_agent_against_the_scheme_in_force(app_db):
    at = ran(WHATIF)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["生效方案"] == "售前标准方案 v1"
    assert metrics["名次上升"] == "0" and metrics["名次下降"] == "0"
    assert metrics["工资总额（生效方案）"] == metrics["工资总额（模拟）"]
    table = shown_table(at, "新得分").set_index("客服")
    assert set(table.index) == {"小美", "阿强", "晓东", "新人", "pdd01", "pdd02"}
    assert table.loc["pdd02", "名次"] == 1 and table.loc["pdd01", "名次"] == 2
    assert (table["变动"] == "—").all()
    assert "scenario" not in at.query_params


def test_whatif_pays_each_shops_agents_under_the_scheme_in_force_for_their_shop(app_db):
    schemes.ensure_presets(open_db())
    preset, _ = schemes.get_scheme(open_db(), "售前标准方案")
    richer = replace(preset, name="拼多多方案", pay=replace(preset.pay, performance_pay=5000))
    schemes.save_scheme(open_db(), richer, "拼多多店专用")
    schemes.assign_scheme(open_db(), "presales", "拼多多方案", date(2026, 1, 1), shop="拼多多店")
    at = ran(WHATIF)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["生效方案"] == "售前标准方案 v1"  # the role's, for the whole business
    board = ran(LEADERBOARD)
    payroll = next(m.value for m in board.markdown if "应发合计" in m.value)
    assert metrics["工资总额（生效方案）"].lstrip("¥").replace(",", "") in payroll.replace(",", "")
    table = shown_table(at, "新得分").set_index("客服")
    assert table.loc["pdd01", "原工资"] != table.loc["pdd01", "新工资"]  # the changed 售前标准 pays less
    assert table.loc["pdd01", "变化明细"].startswith("绩效工资 -¥")  # ¥5,000 × coefficient → ¥2,000 × it
    assert table.loc["小美", "变化明细"] == ""
    assert any("拼多多方案 2 人" in c and "售前标准方案 4 人" in c for c in texts(at.caption))


def test_whatif_shows_every_agent_of_both_rankings_without_a_scroll(app_db, monkeypatch):
    import streamlit as st

    shown, real_dataframe = [], st.dataframe

    def recorded(data, *args, **kwargs):
        shown.append((list(data.columns), len(data), kwargs.get("height")))
        return real_dataframe(data, *args, **kwargs)

    monkeypatch.setattr(st, "dataframe", recorded)
    ran(WHATIF)
    rankings = [(rows, height) for columns, rows, height in shown if "新得分" in columns or "B 得分" in columns]
    assert len(rankings) == 2 and all(rows == 6 and height == 38 + 35 * 6 for rows, height in rankings)


def test_a_weight_edit_reranks_at_once_and_goes_into_the_link(app_db):
    at = ran(WHATIF)
    # pdd01 out-replies pdd02 (reply-rate score 91.7 vs 86.0); weighting reply rate 90 puts pdd01 first.
    at.session_state[editor(at, "wi_kpis")] = {**NO_EDITS, "edited_rows": {0: {"weight": 90}}}
    at.run()
    assert not at.exception
    table = shown_table(at, "新得分").set_index("客服")
    assert (table.loc["pdd01", "名次"], table.loc["pdd01", "变动"]) == (1, "▲1")
    assert (table.loc["pdd02", "名次"], table.loc["pdd02", "变动"]) == (2, "▼1")
    assert {m.label: m.value for m in at.metric}["名次上升"] == "1"
    # each pay change is the difference of the two amounts beside it; unchanged pay shows as —
    assert (table.loc["pdd01", "原工资"], table.loc["pdd01", "新工资"], table.loc["pdd01", "工资变化"]) == (
        "¥4,300.00", "¥4,500.00", "+¥200.00")
    assert table.loc["pdd02", "工资变化"] == "-¥400.00" and table.loc["小美", "工资变化"] == "—"
    assert {m.label: m.delta for m in at.metric}["工资总额（模拟）"] == "-¥200.00"
    shared = scenario.decode_scenario(at.query_params["scenario"])
    assert shared.scheme.kpis[0].metric == "reply_rate" and shared.scheme.kpis[0].weight == 90
    assert (shared.base_name, shared.base_version) == ("售前标准方案", 1)


def test_opening_a_shared_link_restores_the_edited_scheme(app_db):
    schemes.ensure_presets(open_db())  # what the app does when it opens the database
    preset, _ = schemes.get_scheme(open_db(), "售前标准方案")
    tables = scenario.to_tables(preset)
    tables.kpis.loc[0, "weight"] = 90
    token = scenario.encode_scenario(scenario.from_tables(preset, tables), "售前标准方案", 1)
    at = ran(WHATIF, query={"scenario": token})
    assert at.selectbox(key="wi_start").value == "link"
    assert at.data_editor[0].value.loc[0, "weight"] == 90
    table = shown_table(at, "新得分").set_index("客服")
    assert table.loc["pdd01", "变动"] == "▲1"


def test_a_broken_link_is_an_error_message_not_a_traceback(app_db):
    at = ran(WHATIF, query={"scenario": "garbage!!"})
    assert any("分享链接中的方案无法打开" in e for e in texts(at.error))
    assert len(shown_table(at, "新得分")) == 6  # the page still works from the scheme in force


def test_invalid_edits_are_listed_next_to_the_editor(app_db):
    at = ran(WHATIF)
    at.session_state[editor(at, "wi_kpis")] = {**NO_EDITS, "edited_rows": {1: {"method": "target"}}}
    at.run()
    assert not at.exception
    [error] = texts(at.error)
    assert "考核指标 第2行 (KPI rules row 2) 目标值: method = \"target\" 需要 target" in error
    with pytest.raises(AssertionError):
        shown_table(at, "新得分")  # no ranking from an invalid scheme


def test_saving_a_new_version_with_a_note(app_db):
    at = ran(WHATIF)
    at.session_state[editor(at, "wi_kpis")] = {**NO_EDITS, "edited_rows": {0: {"weight": 90}}}
    at.run()
    note = [w for w in at.text_input if w.label == "修改说明（必填）"][0]
    assert note.value == "考核指标 回复率 · 权重: 8 → 90"
    at.form_submit_button[0].click().run()
    assert not at.exception
    saved, version = schemes.get_scheme(open_db(), "售前标准方案")
    assert version == 2 and saved.kpis[0].weight == 90
    listed = schemes.list_schemes(open_db()).set_index(["name", "version"])
    assert listed.loc[("售前标准方案", 2), "note"] == "考核指标 回复率 · 权重: 8 → 90"
    assert listed.loc[("售前标准方案", 2), "created_by"] == "super"
    assert at.selectbox(key="wi_start").value == "售前标准方案|2"
    assert any("已保存 售前标准方案 v2" in s for s in texts(at.success))
    assert saved.description == schemes.get_scheme(open_db(), "售前标准方案", 1)[0].description  # same scheme
    at.session_state[editor(at, "wi_kpis")] = {**NO_EDITS, "edited_rows": {0: {"weight": 50}}}
    at.run()
    next(w for w in at.text_input if w.label == "方案名称").input("售前试行")
    at.form_submit_button[0].click().run()
    variant = schemes.get_scheme(open_db(), "售前试行")[0]
    assert variant.description.startswith("在「售前标准方案」上修改：考核指标 回复率 · 权重: 8 → 50 — edited from")  # against v1, in force
    assert "来源：" in variant.description  # the preset's sources still explain the rest



def test_a_saved_scheme_is_assigned_to_a_role_on_the_page(app_db):
    at = ran(WHATIF)  # the first page installs the presets
    schemes.save_scheme(open_db(), replace(schemes.get_scheme(open_db(), "售前标准方案")[0], name="售前新方案"), "试行")
    at.run()
    at.selectbox(key="wi_assign_role").select("presales")
    at.selectbox(key="wi_assign_name").select("售前新方案")
    at.date_input(key="wi_assign_from").set_value(date(2026, 10, 1))
    at.form(key="wi_assign").form_submit_button[0].click().run()
    assert not at.exception and any("已指派：售前新方案 → 售前" in s for s in texts(at.success))
    assert schemes.scheme_for(open_db(), "presales", date(2026, 10, 31))[0].name == "售前新方案"
    assert schemes.scheme_for(open_db(), "presales", date(2026, 9, 30))[0].name == "售前标准方案"
    at.selectbox(key="wi_assign_role").select("aftersales")
    at.form(key="wi_assign").form_submit_button[0].click().run()
    assert any("不能指派给 aftersales" in e for e in texts(at.error))  # a pre-sales scheme scores no after-sales agent
    at.selectbox(key="wi_assign_role").select("presales")
    assert at.selectbox(key="wi_assign_shop").options == ["（全部店铺）", "拼多多店", "旗舰店"]  # no shop to misspell
    at.selectbox(key="wi_assign_shop").select("拼多多店")
    at.form(key="wi_assign").form_submit_button[0].click().run()
    assert any("已指派：售前新方案 → 售前（仅拼多多店）" in s for s in texts(at.success))
    table = next(d.value for d in at.dataframe if "valid_from" in d.value.columns)
    assert {"全部", "拼多多店"} <= set(table["shop"]) and "各期最新" in set(table["scheme_version"])
    assert str(table["valid_from"].iloc[0]) == "2000-01-01"  # a date, not a midnight timestamp


def test_a_scheme_file_is_imported_on_the_page_as_a_new_version(app_db):
    at = ran(WHATIF)  # the first page installs the presets
    exported = schemes.export_scheme(open_db(), "售前标准方案")
    uploader = next(u for u in at.file_uploader if u.key == "wi_toml")
    uploader.set_value([("售前标准方案.toml", exported.encode("utf-8"), "application/toml")])
    at.run()
    assert any("与已保存的 售前标准方案 v1 完全相同，无需导入" in s for s in texts(at.info))
    changed = exported.replace("weight = 30", "weight = 40", 1)
    uploader = next(u for u in at.file_uploader if u.key == "wi_toml")
    uploader.set_value([("改过的.toml", changed.encode("utf-8"), "application/toml")])
    at.run()
    at.button(key="wi_toml_save").click().run()
    assert not at.exception and any("已导入 售前标准方案 v2" in s for s in texts(at.success))
    assert schemes.get_scheme(open_db(), "售前标准方案")[1] == 2
    assert at.selectbox(key="wi_start").value == "售前标准方案|2"  # the page goes on from the imported version
    uploader = next(u for u in at.file_uploader if u.key == "wi_toml")
    uploader.set_value([("坏的.toml", b'name = "x"\n[[kpi]]\nmetric = "nope"\nweight = 1\n', "application/toml")])
    at.run()
    assert any("kpi[0].metric: 未知指标 'nope'" in e for e in texts(at.error))
    uploader = next(u for u in at.file_uploader if u.key == "wi_toml")
    uploader.set_value([("gbk.toml", 'name = "售前"\n'.encode("gbk"), "application/toml")])
    at.run()
    assert any("须为 UTF-8" in e for e in texts(at.error))
    assert schemes.get_scheme(open_db(), "售前标准方案")[1] == 2  # nothing more was saved


def test_two_saved_schemes_side_by_side(app_db):
    at = ran(WHATIF)
    at.selectbox(key="wi_cmp_a").set_value("售前标准方案|1")
    at.selectbox(key="wi_cmp_b").set_value("提成制方案|1")
    at.run()
    assert not at.exception
    in_force = shown_table(at, "新得分").set_index("客服")
    side = shown_table(at, "A 名次").set_index("客服")
    assert set(side.index) == set(in_force.index)
    assert (side["A 工资"] == in_force.loc[side.index, "原工资"]).all()  # A is the scheme in force
    assert (side["A 名次"] == in_force.loc[side.index, "名次"]).all()
    assert (side["B 工资"] != side["A 工资"]).any()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["A 工资总额"] == metrics["工资总额（生效方案）"]


def test_another_starting_scheme_brings_its_own_values_not_the_last_ones_shown(app_db):
    at = ran(WHATIF)
    assert at.slider(key=editor(at, "wi_perf_pay")).value == 2000  # 售前标准方案
    at.text_input(key=editor(at, "wi_awards")).input("100").run()  # an edit, then another starting point
    at.selectbox(key="wi_start").select("提成制方案|1").run()
    assert not at.exception
    assert at.slider(key=editor(at, "wi_perf_pay")).value == 0 and at.text_input(key=editor(at, "wi_awards")).value == ""
    shared = scenario.decode_scenario(at.query_params["scenario"]).scheme  # what is tried out: 提成制方案 as saved
    assert shared == schemes.get_scheme(open_db(), "提成制方案")[0]
    at.selectbox(key="wi_start").select("售前标准方案|1").run()
    assert at.text_input(key=editor(at, "wi_awards")).value == "500, 300, 200"  # the edit went with its start


def test_only_schemes_for_the_chosen_role_are_offered(app_db):
    at = ran(WHATIF)  # every agent of the test roster is pre-sales
    offered = at.selectbox(key="wi_start").options
    assert {"售前标准方案 v1", "提成制方案 v1"} <= set(offered)
    assert not any(o.startswith(("售后标准方案", "VIP方案")) for o in offered)
    assert not any(o.startswith(("售后标准方案", "VIP方案")) for o in at.selectbox(key="wi_cmp_b").options)


def test_the_team_bonus_and_level_bases_are_edited_like_the_other_tables(app_db):
    at = ran(WHATIF)
    levels = at.data_editor(key=editor(at, "wi_levels"))
    assert levels.value["level"].tolist() == ["trainee", "junior", "mid", "senior"]
    picks = json.loads(levels.proto.columns)["level"]["type_config"]["options"]  # chosen from the roster's levels
    assert [(o["value"], o["label"]) for o in picks][:4] == [("trainee", "实习"), ("junior", "初级"), ("mid", "中级"),
                                                              ("senior", "高级")]
    at.session_state[editor(at, "wi_levels")] = {**NO_EDITS, "edited_rows": {2: {"base_salary": 2500}}}
    at.session_state[editor(at, "wi_team_bonus")] = {**NO_EDITS, "added_rows": [
        {"metric": "receptions", "target": 1, "pool": 600, "split": "equal"}]}
    at.run()
    assert not at.exception
    # three teams reach the target; each shares 600 among its agents, on top of pay above base
    assert {m.label: m.delta for m in at.metric}["工资总额（模拟）"] == "+¥1,800.00"
    note = [w for w in at.text_input if w.label == "修改说明（必填）"][0]
    assert "级别底薪 · mid: 2200 → 2500" in note.value and "薪酬 · 团队奖: — → {metric=receptions" in note.value
    shared = scenario.decode_scenario(at.query_params["scenario"])
    assert shared.scheme.levels["mid"] == 2500 and shared.scheme.pay.team_bonus.pool == 600


# -- sessions -----------------------------------------------------------------------------------

# A call-centre log in the shape of the real PwC file: day-first text dates, Excel time cells,
# no speed, duration or rating on the unanswered call.
CALLS = [
    ("ID0001", "Diane", "15-10-2026", time(9, 10), "Refund", "Y", "Y", 5, time(0, 0, 45), 5),
    ("ID0002", "Diane", "15-10-2026", time(9, 40), "Refund", "Y", "N", 25, time(0, 2, 0), 3),
    ("ID0003", "Becky", "16-10-2026", time(10, 5), "Delivery", "Y", "Y", 50, time(0, 4, 0), 4),
    ("ID0004", "Becky", "16-10-2026", time(14, 30), "Delivery", "Y", "N", 70, time(0, 6, 0), 2),
    ("ID0005", "Becky", "17-10-2026", time(14, 45), "Billing", "Y", "N", 15, time(0, 12, 0), 1),
    ("ID0006", "Diane", "17-10-2026", time(15, 0), "Billing", "N", "N", None, None, None),
    ("ID0007", "Diane", "18-10-2026", time(9, 20), "Refund", "Y", "N", 8, time(0, 0, 30), 2),
    ("ID0008", "Becky", "18-10-2026", time(16, 10), "Delivery", "Y", "Y", 200, time(0, 3, 30), 5),
]


def call_log_xlsx() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Call Id", "Agent", "Date", "Time", "Topic", "Answered (Y/N)", "Resolved",
                  "Speed of answer in seconds", "AvgTalkDuration", "Satisfaction rating"])
    for row in CALLS:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(at, files: list[tuple[str, bytes, str]], shop: str | None = None):
    """Upload through the data page, type the shop the files lack, and press import."""
    at.file_uploader[0].set_value(files)
    at.run()
    assert not at.exception
    if shop:
        for widget in at.text_input:
            if widget.key and widget.key.startswith("dt_shop_"):
                widget.input(shop)
        at.run()
    at.button(key="dt_import").click().run()
    assert not at.exception
    return at


def test_sessions_page_explains_how_to_import_a_log(app_db):
    at = ran(SESSIONS)
    [info] = texts(at.info)
    assert "还没有会话记录" in info and "数据" in info


def test_sessions_page_with_an_imported_call_log(app_db):
    upload(ran(DATA), [("calls.xlsx", call_log_xlsx(), XLSX)], shop="旗舰店")
    at = ran(SESSIONS)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["会话数"] == "8"
    assert metrics["接通/回复率"] == "87.5%"  # 7 of 8 answered
    assert metrics["衡量结果"] == "解决率"  # a call log has no orders
    assert metrics["最忙时段"] == "09:00"  # calls 1, 2 and 7
    assert "未解决会话的话题（帕累托）" in texts(at.subheader)
    by_length = shown_table(at, "会话时长")
    assert by_length["会话时长"].tolist() == ["<1分", "1–3分", "3–5分", "5–10分", "≥10分"]
    assert by_length["会话数"].tolist() == [2, 1, 2, 1, 1]  # the unanswered call has no length
    assert by_length["解决率"].tolist() == ["50.0%", "0.0%", "100.0%", "0.0%", "0.0%"]
    by_hour = shown_table(at, "时段")
    assert by_hour["时段"].tolist() == ["09时", "10时", "14时", "15时", "16时"]
    assert by_hour["解决率"].tolist() == ["33.3%", "100.0%", "0.0%", "0.0%", "100.0%"]  # 09时: 1 of 3
    pareto = shown_table(at, "话题")
    assert pareto["话题"].tolist() == ["Billing", "Refund", "Delivery"]
    assert pareto["会话数"].tolist() == [2, 2, 1]
    assert pareto["累计占比"].tolist() == ["40.0%", "80.0%", "100.0%"]
    assert "前 2 项占 80.0%：Billing、Refund" in texts(at.caption)
    assert any("解决率以全部会话为分母" in c for c in texts(at.caption))  # why the leaderboard's reads lower


def test_sessions_page_uses_conversion_and_loss_reasons_when_the_log_has_them(app_db):
    def chat(sid, account, hour, minute, converted, seconds, wait, reason=None):
        start = datetime(2026, 10, 20, hour, minute)
        return {"shop": "旗舰店", "account": account, "session_id": sid, "day": start.date(), "started_at": start,
                "answered": True, "converted": converted, "duration_s": seconds, "wait_s": wait,
                "loss_reason": reason}

    chats = pd.DataFrame([chat("S1", "小美", 10, 5, True, 100, 5), chat("S2", "小美", 10, 30, False, 30, 40, "价格"),
                          chat("S3", "阿强", 11, 0, False, 400, 15, "价格"),
                          chat("S4", "阿强", 11, 20, False, 200, 8, "尺码"), chat("S5", "阿强", 20, 0, True, 250, 100)])
    open_db().apply_import(ImportMeta("chats.csv", "chats-sha", "sessions", "旗舰店"), None, chats)
    at = ran(SESSIONS)
    assert {m.label: m.value for m in at.metric}["衡量结果"] == "转化率"
    assert not any("解决率" in c for c in texts(at.caption))
    assert "流失原因（帕累托）" in texts(at.subheader)
    by_length = shown_table(at, "会话时长")
    assert by_length["会话时长"].tolist() == ["<1分", "1–3分", "3–5分", "5–10分"]
    assert by_length["转化率"].tolist() == ["0.0%", "100.0%", "50.0%", "0.0%"]
    assert shown_table(at, "时段")["转化率"].tolist() == ["50.0%", "0.0%", "100.0%"]  # 10时, 11时, 20时
    pareto = shown_table(at, "流失原因")
    assert (pareto["流失原因"].tolist(), pareto["累计占比"].tolist()) == (["价格", "尺码"], ["66.7%", "100.0%"])
    bars = json.loads(at.get("plotly_chart")[3].proto.spec)["data"][0]
    assert (bars["textposition"], bars["insidetextanchor"]) == ("auto", "end")  # in the bar: off the rising line
    at.session_state["f_team"] = [TEAMS["晓东"]]  # the sidebar's team filter narrows the sessions too
    at.run()
    [info] = texts(at.info)  # B组 had no chats: the filter is what to change, not the period
    assert not at.exception and "有会话记录，但都不属于侧边栏所选的店铺、团队、岗位或班次" in info and "清除" in info


def test_the_answered_tile_pools_the_sessions_whose_log_says(app_db):
    def chat(sid, hour, answered):
        start = datetime(2026, 10, 20, hour, 0)
        return {"shop": "旗舰店", "account": "小美", "session_id": sid, "day": start.date(), "started_at": start,
                "answered": answered, "duration_s": 60}

    # 10时: one answered, three the log left blank; 11时: four not answered
    chats = pd.DataFrame([chat("S1", 10, True), *(chat(f"S{i}", 10, None) for i in (2, 3, 4)),
                          *(chat(f"T{i}", 11, False) for i in range(4))])
    open_db().apply_import(ImportMeta("chats.csv", "blank-answers", "sessions", "旗舰店"), None, chats)
    at = ran(SESSIONS)
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["会话数"], metrics["接通/回复率"]) == ("8", "20.0%")  # 1 of the 5 known, not 50% by hour
    assert shown_table(at, "时段")["接通/回复率"].tolist() == ["100.0%", "0.0%"]
    unknown = chats.assign(answered=None, session_id=chats["session_id"] + "x")
    open_db().apply_import(ImportMeta("nothing.csv", "no-answers", "sessions", "拼多多店"), None,
                           unknown.assign(shop="拼多多店"))
    at.session_state["f_shop"] = ["拼多多店"]
    at.run()
    assert {m.label: m.value for m in at.metric}["接通/回复率"] == "—"  # not 0.0%


def test_session_charts_label_their_points_only_where_the_labels_have_room(app_db):
    chats = pd.DataFrame([{"shop": "旗舰店", "account": "小美", "session_id": f"S{h}", "day": date(2026, 10, 20),
                           "started_at": datetime(2026, 10, 20, h, 0), "answered": True, "converted": h % 2 == 0,
                           "duration_s": 30 + 60 * (h % 5), "wait_s": 10} for h in range(8, 22)])
    open_db().apply_import(ImportMeta("chats.csv", "many-hours", "sessions", "旗舰店"), None, chats)
    at = ran(SESSIONS)
    length, hours = [json.loads(chart.proto.spec)["data"][1] for chart in at.get("plotly_chart")[:2]]
    assert length["mode"] == "lines+markers+text" and len(length["text"]) == 3  # three lengths: room for each
    assert hours["mode"] == "lines+markers" and "text" not in hours  # fourteen hours: the hover says it
    hour_axis = json.loads(at.get("plotly_chart")[1].proto.spec)["layout"]["xaxis"]
    assert hours["x"][0] == "08时" and hour_axis["ticktext"][:3] == ["8", "9", "10"]  # short enough to stand level
    assert hour_axis["tickangle"] == 0 and hour_axis["title"]["text"] == "开始时间（点）"
    waits = json.loads(at.get("plotly_chart")[2].proto.spec)["data"][0]
    assert waits["textposition"] == "outside" and waits["cliponaxis"] is False  # the tallest bar's label not cut
    assert waits["text"] == ["14<br>100.0%"]  # count over share: narrow enough to keep its size over a bar
    assert any("灰色柱是会话数（右轴）" in c for c in texts(at.caption))

# -- data ---------------------------------------------------------------------------------------


def test_supervisor_sees_the_data_tools_but_no_user_management(app_db):
    at = ran(DATA)
    labels = [tab.label for tab in at.tabs]
    assert labels == ["上传导入", "导入记录", "账号绑定", "花名册", "质检分", "目标", "收件箱"]
    history = frame_with(at, "文件", "synthetic.xlsx")
    assert history.iloc[0]["状态"] == "有效"
    path = Path(app_db).parent / "客服_2026-10-01.csv"  # one the inbox imported: its notes reach no one else
    path.write_text("日期,客服,接待人数,神秘列\n2026-10-01,旗舰店:小美,5,x\n,旗舰店:阿强,6,y\n", encoding="utf-8")
    importer.import_file(open_db(), path, shop="别的店")
    at.run()
    remarks = frame_with(at, "文件", path.name).iloc[0]["说明"]
    assert remarks == ("文件自带店铺名，已忽略所填的店铺“别的店”；此前导入的“已回复人数”与本文件给出的不同的“接待人数”不配套，"
                       "已留空（1 行）；跳过：第3行: 没有日期；未识别的列：神秘列")  # 5 receptions, not the stored day's
    assert "操作日志" not in texts(at.subheader)
    # a file over the upload limit has somewhere to go: the inbox folder, named
    inbox_dir = str(inbox.inbox_dir())
    assert any("不超过 50MB" in c and inbox_dir in c for c in texts(at.caption))
    # and the dashboard says beside the database which folder it watches, for the CLI to find
    assert inbox.watched_folder(app_db) == inbox.inbox_dir() and Path(f"{app_db}.inbox").read_text() == inbox_dir


CHITU_CSV = "客服,接待人数,询单人数,询单->最终付款人数,销售额,神秘列\n新客服,300,120,48,9600.5,x\n汇总,300,120,48,9600.5,\n"
CHITU_NAME = "自定义报表_售前明细_2026-10-01至2026-10-31.csv"


def test_an_upload_is_previewed_then_lands_in_the_leaderboard_data(app_db):
    at = ran(DATA)
    at.file_uploader[0].set_value([(CHITU_NAME, CHITU_CSV.encode("utf-8"), "text/csv"),
                                   ("报表.xlsx", b"not a spreadsheet", XLSX)])
    at.run()
    assert not at.exception
    assert any("报表.xlsx 的内容不是 Excel 或 CSV 表格" in e for e in texts(at.error))
    detected = shown_table(at, "未识别的列").iloc[0]
    assert detected["文件"] == CHITU_NAME and detected["格式"] == "淘宝/天猫 客服绩效工具"
    assert detected["期间"] == "2026-10-01 ~ 2026-10-31"  # from the file name
    assert detected["店铺"] == "默认店铺（文件中没有，默认）"
    assert (detected["行数"], detected["待结算行"], detected["未识别的列"]) == (1, 0, "神秘列")  # 汇总 is no agent
    for widget in at.text_input:
        if widget.key and widget.key.startswith("dt_shop_"):
            widget.input("旗舰店")
    at.run()
    assert shown_table(at, "未识别的列").iloc[0]["店铺"] == "旗舰店"
    at.button(key="dt_import").click().run()
    assert not at.exception
    assert any(s.startswith(f"✓ {CHITU_NAME}: 导入 #2") for s in texts(at.success))
    kpis = queries.agent_kpis(open_db(), "2026-10-01", "2026-10-31").set_index("agent")
    assert kpis.loc["新客服", "shop"] == "旗舰店"
    assert (kpis.loc["新客服", "receptions"], kpis.loc["新客服", "conversion_rate"]) == (300, 0.4)  # 48 / 120
    assert frame_with(at, "文件", CHITU_NAME).iloc[0]["#"] == 2  # newest first in the history
    assert not [b for b in at.button if b.key == "dt_show_imported"]  # October is the period shown
    at.file_uploader[0].set_value([(CHITU_NAME, CHITU_CSV.encode("utf-8"), "text/csv")])  # again
    at.run()
    assert not any(s.startswith("✓") for s in texts(at.success))  # the last results do not stand under it
    assert shown_table(at, "未识别的列").iloc[0]["导入"] == "已导入（#2），跳过"  # said before any click
    assert any(i.startswith(f"{CHITU_NAME} 与导入 #2（") and "不会重复导入" in i and "撤销 #2" in i
               for i in texts(at.info))
    assert not [b for b in at.button if b.key == "dt_import"]  # nothing left to import
    unmatched = frame_with(at, "账号", "新客服")
    assert unmatched["店铺"].tolist() == ["旗舰店"]


def test_figures_imported_outside_the_period_shown_are_one_click_away(app_db):
    at = ran(DATA)  # the sidebar shows October, the month of the last figures
    september = "自定义报表_售前明细_2026-09-01至2026-09-30.csv"
    upload(at, [(september, CHITU_CSV.encode("utf-8"), "text/csv")], shop="旗舰店")
    assert "导入的数据（2026-09-01 ~ 2026-09-30）不在侧栏所选期间（2026-10-01 ~ 2026-10-31）内。" in texts(at.caption)
    at.button(key="dt_show_imported").click().run()
    assert not at.exception
    assert at.session_state["f_period"] == "custom"
    assert at.session_state["f_custom"] == (date(2026, 9, 1), date(2026, 9, 30))
    assert at.title[0].value == "总览"

def test_figures_imported_partly_inside_the_period_shown_are_said_to_be_partly_outside(app_db):
    at = ran(DATA)  # October: the import's last days are inside it
    upload(at, [("自定义报表_售前明细_2026-09-20至2026-10-10.csv", CHITU_CSV.encode("utf-8"), "text/csv")], shop="旗舰店")
    assert "导入的数据（2026-09-20 ~ 2026-10-10）有一部分不在侧栏所选期间（2026-10-01 ~ 2026-10-31）内。" in texts(at.caption)


def test_dates_the_file_cannot_order_are_ordered_on_the_page(app_db):
    log = "日期,客服,接待人数\n01-02-2026,店:阿明,10\n03-04-2026,店:阿明,20\n"
    at = ran(DATA)
    at.file_uploader[0].set_value([("日报.csv", log.encode("utf-8"), "text/csv")])
    at.run()
    assert any("日期顺序无法确定" in e for e in texts(at.error))
    [order] = [r for r in at.radio if r.key and r.key.startswith("dt_order_")]
    order.set_value("dmy").run()
    assert not at.exception and not any("日期顺序" in e for e in texts(at.error))
    at.button(key="dt_import").click().run()
    assert any(s.startswith("✓ 日报.csv") for s in texts(at.success))
    days = open_db().query("SELECT date_from FROM facts WHERE account = '阿明' ORDER BY 1")["date_from"]
    assert [d.date().isoformat() for d in days] == ["2026-02-01", "2026-04-03"]


TICKETS = "Ticket,Owner,Opened,Replied?,Stars\nT1,阿明,2026-10-20 09:00,yes,5\nT2,阿明,2026-10-20 10:00,no,\n"


def column_table(at):
    """A file's column table (an editor: its columns by their names in the frame)."""
    [editor] = [e for e in at.data_editor if e.key and e.key.startswith("dt_map_")]
    return editor.value


def choose_columns(at, content: bytes, choices: dict[int, str]):
    """Pick meanings in a file's column table, as a click in its 指定为 cells would."""
    key = f"dt_map_{hashlib.sha256(content).hexdigest()[:12]}"
    at.session_state[key] = {"edited_rows": {row: {"map_to": field} for row, field in choices.items()},
                             "added_rows": [], "deleted_rows": []}
    return at.run()


def test_columns_no_header_names_are_given_their_meaning_on_the_page(app_db):
    content = TICKETS.encode("utf-8")
    at = ran(DATA)
    at.file_uploader[0].set_value([("工单.csv", content, "text/csv")])
    at.run()
    assert any("没有可识别的列" in e for e in texts(at.error))
    columns = column_table(at)
    assert columns["header"].tolist() == ["Ticket", "Owner", "Opened", "Replied?", "Stars"]
    assert columns["sample"].tolist() == ["T1", "阿明", "2026-10-20 09:00", "yes", "5"]
    assert set(columns["read_as"]) == {"未识别"}
    choose_columns(at, content, {0: "session_id", 1: "account", 2: "time", 3: "answered", 4: "rating"})
    assert not at.exception and not at.error
    assert column_table(at)["read_as"].tolist() == [
        "会话编号（会话记录）", "客服账号", "开始时间（会话记录）", "是否接通/回复（会话记录）", "评分 1–5（会话记录）"]
    assert shown_table(at, "未识别的列").iloc[0]["格式"] == "会话记录"
    for widget in at.text_input:
        if widget.key and widget.key.startswith("dt_shop_"):
            widget.input("旗舰店")
    at.run()
    at.button(key="dt_import").click().run()
    assert any(s.startswith("✓ 工单.csv") for s in texts(at.success))
    stored = open_db().query("SELECT session_id, account, answered, rating FROM sessions ORDER BY 1")
    assert stored["session_id"].tolist() == ["T1", "T2"] and stored["account"].tolist() == ["阿明", "阿明"]
    assert stored["answered"].tolist() == [True, False] and stored["rating"].iloc[0] == 5

    later = TICKETS.replace("T1", "T3").replace("T2", "T4").encode("utf-8")  # the next export, same headers
    at.file_uploader[0].set_value([("工单2.csv", later, "text/csv")])
    at.run()
    assert not at.error
    assert column_table(at)["read_as"].tolist()[:2] == ["会话编号（会话记录）", "客服账号"]


def test_a_column_read_wrongly_is_given_another_meaning(app_db):
    content = "客服,接待人数,询单人数,进线量\n阿明,30,12,45\n".encode()
    at = ran(DATA)
    at.file_uploader[0].set_value([("自定义报表_2026-10-01至2026-10-31.csv", content, "text/csv")])
    at.run()
    assert column_table(at)["read_as"].tolist() == ["客服账号", "接待人数", "询单人数", "未识别"]
    choose_columns(at, content, {3: "receptions", 1: "receptions"})  # two columns, one meaning: the first counts
    assert any("只用第一列" in w for w in texts(at.warning))
    assert column_table(at)["read_as"].tolist() == ["客服账号", "接待人数", "询单人数", "未识别"]
    choose_columns(at, content, {3: "receptions"})
    assert column_table(at)["read_as"].tolist() == ["客服账号", "未识别", "询单人数", "接待人数"]
    at.button(key="dt_import").click().run()
    kpis = queries.agent_kpis(open_db(), "2026-10-01", "2026-10-31").set_index("agent")
    assert kpis.loc["阿明", "receptions"] == 45


def test_a_column_that_fails_the_file_is_left_out_on_the_page(app_db):
    content = "客服,接待人数,询单人数,询单转化率\n阿明,30,12,高\n".encode()
    at = ran(DATA)
    at.file_uploader[0].set_value([("自定义报表_2026-10-01至2026-10-31.csv", content, "text/csv")])
    at.run()
    assert any("询单转化率" in e for e in texts(at.error))
    assert column_table(at)["read_as"].tolist()[-1] == "询单转化率"
    choose_columns(at, content, {3: "ignore"})
    assert not at.error and column_table(at)["read_as"].tolist()[-1] == "不导入这一列"
    at.button(key="dt_import").click().run()
    kpis = queries.agent_kpis(open_db(), "2026-10-01", "2026-10-31").set_index("agent")
    assert kpis.loc["阿明", "inquiries"] == 12


def test_owner_manages_users_and_exports_the_audit_trail(app_db):
    at = ran(DATA, "owner")
    assert [tab.label for tab in at.tabs][-1] == "用户与操作日志"
    assert {"用户", "操作日志"} <= set(texts(at.subheader))
    users = frame_with(at, "用户名", "xiaomei").set_index("用户名")
    assert set(users.index) == {"owner", "super", "viewer", "xiaomei"}
    assert (users.loc["xiaomei", "角色"], users.loc["xiaomei", "绑定的客服账号"]) == ("客服 (agent)", "旗舰店:小美")
    assert users.loc["owner", "绑定的客服账号"] == "—"
    assert at.get("download_button")[0].proto.label == "导出 CSV"
    assert "login" not in set(frame_with(at, "操作", "登录")["操作"])  # in words, not the stored code


def test_owner_adds_a_user(app_db):
    at = ran(DATA, "owner")
    form = at.form(key="dt_add_user")
    form.text_input[0].input("lina")
    form.selectbox[0].set_value("viewer")
    form.text_input[1].input("lina-pass-1")
    form.form_submit_button[0].click()
    at.run()
    assert not at.exception
    assert "已添加用户 lina：只读查看 (viewer)" in texts(at.success)
    assert auth.list_users(open_db()).set_index("username").loc["lina", "role"] == "viewer"


def test_roster_edit_is_saved(app_db):
    at = ran(DATA)
    editor_key = "dt_roster_0"
    before = roster.roster_frame(open_db())
    row = int(before.index[before["account"] == "新人"][0])
    at.session_state[editor_key] = {**NO_EDITS, "edited_rows": {row: {"team": "A组", "base_salary": 2500}}}
    at.run()
    at.button(key="dt_roster_save").click().run()
    assert not at.exception
    after = roster.roster_frame(open_db()).set_index("account")
    assert (after.loc["新人", "team"], after.loc["新人", "base_salary"]) == ("A组", 2500)
    assert after.loc["小美", "team"] == "A组" and len(after) == len(before)
    assert "花名册已保存，共 6 行" in texts(at.success)


def test_a_team_move_is_recorded_from_its_day_and_can_be_taken_back(app_db):
    at = ran(DATA)
    form = at.form(key="dt_change")
    form.selectbox(key="dt_change_account").set_value("旗舰店:新人")
    form.date_input(key="dt_change_from").set_value(date(2026, 10, 15))
    form.text_input(key="dt_change_team").input("A组")
    form.number_input(key="dt_change_base").set_value(2500.0)
    form.form_submit_button[0].click()
    at.run()
    assert not at.exception
    assert "已记录：旗舰店:新人 自 2026-10-15 起：团队 B组 → A组，底薪 3000 → 2500" in texts(at.success)
    db = open_db()
    assert roster.roster_frame(db).set_index("account").loc["新人", "team"] == "A组"
    before = queries.agent_kpis(db, "2026-10-01", "2026-10-14").set_index("agent")
    after = queries.agent_kpis(db, "2026-10-15", "2026-10-31").set_index("agent")
    assert (before.loc["新人", "team"], before.loc["新人", "base_salary"]) == ("B组", 3000)
    assert (after.loc["新人", "team"], after.loc["新人", "base_salary"]) == ("A组", 2500)
    shown = next(table.value for table in at.dataframe if "从" in table.value.columns)
    assert shown["从"].tolist() == ["最初", "2026-10-15"] and shown["团队"].tolist() == ["B组", "A组"]

    undo = at.form(key="dt_change_undo")
    undo.selectbox(key="dt_change_undo_account").set_value("旗舰店:新人")
    undo.form_submit_button[0].click()
    at.run()
    assert "旗舰店:新人 2026-10-15 起的变更已撤销" in texts(at.success)
    assert roster.changes_frame(open_db()).empty
    assert queries.agent_kpis(open_db(), "2026-10-15", "2026-10-31").set_index("agent").loc["新人", "team"] == "B组"


def test_a_change_the_roster_cannot_take_is_refused_on_the_page(app_db):
    at = ran(DATA)
    form = at.form(key="dt_change")
    form.selectbox(key="dt_change_account").set_value("旗舰店:新人")
    form.form_submit_button[0].click()
    at.run()
    assert "没有要变更的内容" in " ".join(texts(at.error))
    assert roster.changes_frame(open_db()).empty


def test_a_renamed_shop_is_renamed_on_the_data_page_once_confirmed(app_db):
    at = ran(DATA)
    form = at.form(key="dt_rename")
    assert "旗舰店:小美" in form.selectbox(key="dt_rename_old").options
    assert form.selectbox(key="dt_rename_old").value is None  # nothing renamed by default
    form.selectbox(key="dt_rename_old").set_value("旗舰店")
    form.text_input(key="dt_rename_new").input("官方旗舰店")
    form.form_submit_button[0].click()
    at.run()
    assert "请先选择原名称并勾选确认。" in texts(at.warning) and "官方旗舰店" not in set(queries.agent_kpis(
        open_db(), "2026-10-01", "2026-10-31")["shop"])
    at.form(key="dt_rename").checkbox(key="dt_rename_sure").check()
    at.form(key="dt_rename").form_submit_button[0].click()
    at.run()
    assert not at.exception
    assert any(m.startswith("旗舰店 已改名为 官方旗舰店：") for m in texts(at.success))
    assert set(queries.agent_kpis(open_db(), "2026-10-01", "2026-10-31")["shop"]) == {"官方旗舰店", "拼多多店"}
    assert "官方旗舰店:小美" in at.form(key="dt_rename").selectbox(key="dt_rename_old").options


def test_the_roster_scores_and_targets_are_edited_whole_not_in_a_ten_row_window(app_db, monkeypatch):
    import streamlit as st

    from csperf import ui

    shown, real_editor = {}, st.data_editor

    def recorded(data, *args, **kwargs):
        shown[kwargs["key"]] = (len(data), kwargs.get("height"))
        return real_editor(data, *args, **kwargs)

    monkeypatch.setattr(st, "data_editor", recorded)
    ran(DATA)
    rows, height = shown["dt_roster_0"]
    assert height == 38 + 35 * (rows + 1)  # every row and the add row
    rows, height = shown["dt_qa_202610_0"]
    assert height == 38 + 35 * rows
    rows, height = next(v for k, v in shown.items() if k.startswith("dt_tg_"))
    assert rows > 10 and height == 38 + 35 * rows
    assert ui.rows_height(40) == ui.rows_height(19, adding=True) == 720  # beyond about twenty rows, a scroll


def test_the_roster_says_what_a_blank_and_a_zero_base_mean(app_db, monkeypatch):
    import streamlit as st

    configs, real_editor = {}, st.data_editor

    def recorded(data, *args, **kwargs):
        configs[kwargs["key"]] = kwargs.get("column_config") or {}
        return real_editor(data, *args, **kwargs)

    monkeypatch.setattr(st, "data_editor", recorded)
    ran(DATA)
    base_help = configs["dt_roster_0"]["base_salary"]["help"]
    assert "留空 = 按级别底薪" in base_help and "填 0 = 这个账号不计底薪" in base_help


def test_qa_scores_for_the_month(app_db):
    at = ran(DATA)
    month = at.selectbox(key="dt_qa_month").value
    assert month == date(2026, 10, 1)
    scores = roster.qa_frame(open_db(), month)
    row = int(scores.index[scores["account"] == "小美"][0])
    at.session_state["dt_qa_202610_0"] = {**NO_EDITS, "edited_rows": {row: {"qa_score": 92.5}}}
    at.run()
    at.button(key="dt_qa_save").click().run()
    assert not at.exception
    stored = roster.qa_frame(open_db(), month).set_index("account")
    assert stored.loc["小美", "qa_score"] == 92.5 and stored["qa_score"].notna().sum() == 1
    kpis = queries.agent_kpis(open_db(), "2026-10-01", "2026-10-31").set_index("agent")
    assert kpis.loc["小美", "qa_score"] == 92.5
    assert "member_care" not in at.data_editor(key="dt_qa_202610_1").value.columns  # nobody is VIP


def test_the_vip_scores_show_beside_qa_once_one_is_entered(app_db):
    roster.set_qa(open_db(), "悦享旗舰店", "小美", "2026-10", 70, metric="member_care")
    at = ran(DATA)
    scores = roster.qa_frame(open_db(), date(2026, 10, 1))
    row = int(scores.index[(scores["shop"] == "悦享旗舰店") & (scores["account"] == "小美")][0])
    editor = at.data_editor(key="dt_qa_202610_0")
    assert list(editor.value.columns[-3:]) == ["qa_score", "member_care", "data_completeness"]
    at.session_state["dt_qa_202610_0"] = {**NO_EDITS, "edited_rows": {row: {"member_care": 85, "data_completeness": 90}}}
    at.run()
    at.button(key="dt_qa_save").click().run()
    assert not at.exception and "已保存 2 个评分（2026-10）" in texts(at.success)
    stored = roster.qa_frame(open_db(), date(2026, 10, 1)).set_index(["shop", "account"]).loc[("悦享旗舰店", "小美")]
    assert (stored["member_care"], stored["data_completeness"]) == (85, 90) and pd.isna(stored["qa_score"])


def test_targets_for_a_team_are_set_beside_last_months_figures(app_db):
    from csperf import targets

    at = ran(DATA)
    assert at.selectbox(key="dt_tg_month").value == date(2026, 10, 1)
    scopes = queries.target_scopes(open_db())
    at.selectbox(key="dt_tg_scope").set_value(scopes.index(("旗舰店", "A组", ""))).run()
    at.selectbox(key="dt_tg_month").set_value(date(2026, 11, 1)).run()
    key = f"dt_tg_202611_{scopes.index(('旗舰店', 'A组', ''))}_0"
    table = at.data_editor(key=key).value
    october = queries.team_totals(open_db(), "2026-10-01", "2026-10-31", shop=["旗舰店"], team=["A组"])
    sales_row = int(table.index[table["metric"] == "sales"][0])
    assert table.loc[sales_row, "last_month"] == f"¥{october['sales']:,.2f}" and table["target"].isna().all()
    rate_row = int(table.index[table["metric"] == "conversion_rate"][0])
    at.session_state[key] = {**NO_EDITS, "edited_rows": {sales_row: {"target": 250000}, rate_row: {"target": 0.5}}}
    at.run()
    at.button(key="dt_tg_save").click().run()
    assert not at.exception and "已保存 2 个目标（旗舰店 · A组 · 2026-11）" in texts(at.success)
    stored = targets.targets_frame(open_db(), "2026-11").set_index("metric")
    assert stored.loc["sales", "value"] == 250000 and stored.loc["conversion_rate", "value"] == 0.005  # 0.5 = 0.5%
    assert set(stored["team"]) == {"A组"} and set(stored["set_by"]) == {"super"}
    key = key[:-1] + "1"  # a fresh editor after the save shows what is stored; clearing a cell removes it
    assert at.data_editor(key=key).value.loc[sales_row, "target"] == 250000
    at.session_state[key] = {**NO_EDITS, "edited_rows": {sales_row: {"target": None}}}
    at.run()
    at.button(key="dt_tg_save").click().run()
    assert list(targets.targets_frame(open_db(), "2026-11")["metric"]) == ["conversion_rate"]


def test_the_months_targets_are_listed_scope_by_scope_under_the_editor(app_db):
    from csperf import targets

    at = ran(DATA)
    assert not [d for d in at.dataframe if (d.key or "").startswith("dt_tg_grid_")]  # none set: no list
    targets.set_target(open_db(), "sales", "2026-10", 500_000)
    targets.set_target(open_db(), "sales", "2026-10", 150_000, shop="旗舰店", team="A组")
    targets.set_target(open_db(), "conversion_rate", "2026-10", "30%", shop="旗舰店", team="A组")
    at = ran(DATA)
    scopes = queries.target_scopes(open_db())
    team = scopes.index(("旗舰店", "A组", ""))
    options = at.selectbox(key="dt_tg_scope").options
    assert (options[0], options[team]) == ("全部店铺（1 个目标）", "旗舰店 · A组（2 个目标）")
    assert options[scopes.index(("旗舰店", "", ""))] == "旗舰店"  # no target: the bare name
    assert "2026-10 全部目标" in [h.value for h in at.subheader]
    grid = next(d for d in at.dataframe if d.key == "dt_tg_grid_202610_0")
    assert grid.value.values.tolist() == [["全部店铺", "¥500,000", ""], ["旗舰店 · A组", "¥150,000", "30.0%"]]


def test_last_months_targets_are_copied_into_the_empty_cells(app_db):
    from csperf import targets

    targets.set_target(open_db(), "sales", "2026-09", 100_000)
    targets.set_target(open_db(), "reply_rate", "2026-09", "98%")
    targets.set_target(open_db(), "sales", "2026-10", 120_000)
    at = ran(DATA)
    at.button(key="dt_tg_copy").click().run()
    assert not at.exception and "已从 2026-09 复制 1 个目标" in texts(at.success)
    table = at.data_editor(key="dt_tg_202610_0_1").value.set_index("metric")["target"]
    assert (table["sales"], table["reply_rate"]) == (120_000, 98)


def test_targets_come_in_from_a_spreadsheet_on_the_data_page(app_db):
    from csperf import targets

    at = ran(DATA)
    uploader = next(u for u in at.file_uploader if u.key == "dt_tg_file")
    uploader.set_value([("目标.csv", "月份,店铺,指标,目标\n2026-10,,销售额,很多\n".encode(), "text/csv")]).run()
    at.button(key="dt_tg_import").click().run()
    assert not at.exception and any("第2行" in e and "不是数字" in e for e in texts(at.error))
    assert targets.targets_frame(open_db()).empty
    uploader = next(u for u in at.file_uploader if u.key == "dt_tg_file")
    uploader.set_value([("目标.csv", "月份,店铺,销售额,回复率\n2026-10,,500000,98%\n".encode(), "text/csv")]).run()
    at.button(key="dt_tg_import").click().run()
    assert "已从 目标.csv 导入 2 个目标" in texts(at.success)
    table = at.data_editor(key="dt_tg_202610_0_1").value.set_index("metric")["target"]
    assert (table["sales"], table["reply_rate"]) == (500_000, 98)


def test_undo_needs_confirmation(app_db):
    at = ran(DATA)
    form = at.form(key="dt_undo")
    form.form_submit_button[0].click()
    at.run()
    assert "请先勾选确认。" in texts(at.warning)
    assert queries.data_range(open_db())[1] == date(2026, 10, 31)
    at.checkbox(key="dt_undo_sure").check()
    at.form(key="dt_undo").form_submit_button[0].click()
    at.run()
    assert not at.exception
    assert queries.data_range(open_db()) == (None, None)
    assert "已撤销 #1 · synthetic.xlsx" in texts(at.success)


def test_each_undo_asks_for_its_own_confirmation(app_db):
    open_db().apply_import(ImportMeta("extra.csv", "extra-sha", "generic"), pd.DataFrame([{
        "shop": "旗舰店", "account": "小美", "date_from": date(2026, 10, 5), "date_to": date(2026, 10, 5),
        "receptions": 40}]))
    at = ran(DATA)
    at.selectbox(key="dt_undo_id").set_value(2)
    at.checkbox(key="dt_undo_sure").check()
    at.form(key="dt_undo").form_submit_button[0].click()
    at.run()
    assert "已撤销 #2 · extra.csv" in texts(at.success)
    assert at.checkbox(key="dt_undo_sure").value is False  # not still ticked for the next import in the list
    at.form(key="dt_undo").form_submit_button[0].click()
    at.run()
    assert "请先勾选确认。" in texts(at.warning)
    assert queries.data_range(open_db())[1] == date(2026, 10, 31)  # #1 still in effect


def test_an_unmatched_account_is_bound_to_a_person(app_db):
    open_db().apply_import(ImportMeta("extra.csv", "extra-sha", "generic"), pd.DataFrame([{
        "shop": "旗舰店", "account": "小美2号", "date_from": date(2026, 10, 5), "date_to": date(2026, 10, 5),
        "receptions": 40, "inquiries": 10, "paid_buyers": 4,
    }]))
    at = ran(DATA)
    assert frame_with(at, "账号", "小美2号")["接待人数"].tolist() == [40]
    form = at.form(key="dt_bind")
    form.selectbox(key="dt_bind_account").set_value("旗舰店:小美2号")
    form.text_input(key="dt_bind_name").input("小美")
    form.form_submit_button[0].click()
    at.run()
    assert not at.exception
    assert "已把 旗舰店:小美2号 绑定给 小美" in texts(at.success)
    bound = roster.roster_frame(open_db()).set_index("account").loc["小美2号"]
    assert (bound["name"], bound["team"], bound["role"]) == ("小美", "A组", "presales")  # the person's own
    assert queries.unmatched_accounts(open_db()).empty


def test_an_account_of_shop_level_figures_is_no_agent_to_sign_in_as(app_db):
    open_db().apply_import(ImportMeta("sycm.xlsx", "shop-sha", "taobao_sycm"), pd.DataFrame([{
        "shop": "旗舰店", "account": importer.SHOP_LEVEL_ACCOUNT, "date_from": date(2026, 10, 5),
        "date_to": date(2026, 10, 5), "receptions": 400, "inquiries": 100, "paid_buyers": 40}]))
    at = ran(DATA, "owner")
    [accounts] = [box for box in at.selectbox if box.label == "客服账号（角色为客服时必选）"]
    assert "旗舰店:小美" in accounts.options and f"旗舰店:{importer.SHOP_LEVEL_ACCOUNT}" not in accounts.options
    assert "所有有数据的账号都已在花名册中。" in texts(at.success)  # nor is it an account to bind


# -- the other pages at their edges ---------------------------------------------------------------

LEADERBOARD, AGENT, REVIEW = "pages/2_leaderboard.py", "pages/4_agent.py", "pages/7_review.py"


def test_a_kpi_whose_samples_are_all_small_keeps_its_figures_on_the_leaderboard(app_db):
    at = app_test(LEADERBOARD, "supervisor")
    at.session_state["f_period"], at.session_state["f_custom"] = "custom", (date(2026, 10, 31), date(2026, 10, 31))
    at.run()
    assert not at.exception
    notes = texts(at.info)  # a day holds 3–9 ratings an agent, under the preset's 10
    assert "满意率 每人的样本都少于方案要求的 10 评价，本期不计分（数值照列），其余权重按比例放大。" in notes
    assert "质检分 本期所有人都没有数据，已跳过，其余权重按比例放大。" in notes  # none entered: that is no data
    table = at.dataframe[0].value.set_index("客服")
    assert table.loc["小美", "满意率"] == pytest.approx(5 / 6) and table.loc["小美", "满意率 样本"] == 6
    assert "质检分" not in table.columns


def test_whatif_with_nobody_in_view_says_only_that(app_db):
    with open_db().write() as cur:  # a team in the roster with no figures
        cur.execute("INSERT INTO roster (shop, account, name, team, role) VALUES ('旗舰店', '新号', '新号', 'C组', "
                    "'presales')")
    at = app_test(WHATIF, "supervisor")
    at.session_state["f_team"] = ["C组"]
    at.run()
    assert not at.exception
    assert texts(at.info) == ["所选期间和筛选条件下没有客服。请换一个期间或清除筛选。"]
    assert not at.warning and not at.metric  # no scheme "in force" for nobody


@pytest.fixture
def viewer_before_any_data(tmp_path, monkeypatch):
    from conftest import PASSWORDS, app_database

    def fill(database):
        auth.add_user(database, "owner", PASSWORDS["owner"], "owner")
        auth.add_user(database, "viewer", PASSWORDS["viewer"], "viewer")

    with app_database(tmp_path, monkeypatch, fill) as path:
        yield path


def test_a_viewer_before_any_data_is_sent_to_whoever_imports(viewer_before_any_data):
    at = ran("pages/1_overview.py", "viewer")
    [info] = texts(at.info)
    assert "请店主或主管导入" in info and "「数据」页" not in info


def test_an_agent_whose_role_has_no_scheme_is_not_sent_to_the_what_if_page(app_db):
    with open_db().write() as cur:
        cur.execute("UPDATE roster SET role = NULL WHERE account = '小美'")
    [warning] = texts(ran(AGENT, "agent").warning)
    assert "没有指派考核方案" in warning and "请店主或主管" in warning and "「模拟」页" not in warning


def test_an_agent_whose_account_is_excluded_is_told_so_not_to_pick_another_period(app_db):
    with open_db().write() as cur:
        cur.execute("UPDATE roster SET excluded = true WHERE account = '小美'")
    [info] = texts(ran(AGENT, "agent").info)
    assert "旗舰店:小美 在花名册中被排除在统计之外" in info and "换一个期间" not in info


def test_an_agent_bound_to_an_account_nobody_knows_is_told_to_have_it_checked(app_db):
    with open_db().write() as cur:  # bound before the checks at sign-up, or the account renamed since
        cur.execute("UPDATE users SET account = '小美美' WHERE role = 'agent'")
        cur.execute("DELETE FROM roster WHERE account = '小美美'")
    at = app_test(AGENT, "agent")
    at.session_state["user"] = replace(at.session_state["user"], account="小美美")
    at.run()
    [warning] = texts(at.warning)
    assert "旗舰店:小美美 在已导入的数据和花名册里都没有" in warning and "核对" in warning
    assert not texts(at.info)  # not "pick another period": none will help


@pytest.fixture
def monthly_db(tmp_path, monkeypatch):
    """conftest's roster and users over one export per agent for the whole of October."""
    from conftest import app_database, populate, synthetic_facts

    def fill(database):
        populate(database)
        database.undo_import(1)  # its daily figures
        october = synthetic_facts().query("date_from >= @date(2026, 10, 1)", local_dict={"date": date})
        month = october.groupby(["shop", "account"], as_index=False).sum(numeric_only=True).assign(
            date_from=date(2026, 10, 1), date_to=date(2026, 10, 31), provisional=False)
        database.apply_import(ImportMeta("monthly.xlsx", "monthly-sha", "generic"), month)

    with app_database(tmp_path, monkeypatch, fill) as path:
        yield path


def test_the_agent_trend_draws_monthly_exports_by_month(monthly_db):
    at = app_test(AGENT, "agent")
    at.session_state["f_period"] = "month"
    at.run()
    assert not at.exception
    assert "这段时间的数据来自跨越多天的导出（如月报），拆不到每一天或每一周：请选更粗的粒度。" in texts(at.info)
    at.segmented_control(key="ag_trend_grain").set_value("month").run()
    assert not at.exception and not texts(at.info)
    [own] = [line for line in json.loads(at.get("plotly_chart")[2].proto.spec)["data"] if line["name"] == "小美"]
    assert own["x"][-1].startswith("2026-10-01")


def review_slide(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_an_account_outside_the_roster_wins_no_award_at_the_weekly_review(app_db):
    week = pd.date_range("2026-10-19", "2026-10-25").date  # the last week ended: the one the review opens on
    open_db().apply_import(ImportMeta("extra.csv", "unrostered-sha", "generic"), pd.DataFrame([{
        "shop": "旗舰店", "account": "外包01", "date_from": day, "date_to": day, "receptions": 120, "inquiries": 100,
        "paid_buyers": 95, "sales": 99999.0, "sales_buyers": 95, "items": 95, "replied": 120,
        "first_response_sum_s": 120.0, "first_response_n": 120, "ratings": 20, "satisfied": 20} for day in week]))
    for slide, heading in ((3, "单项冠军"), (5, "本周奖项")):  # no targets set: six slides
        at = app_test(REVIEW, "viewer")
        at.session_state["rv_slide"], at.session_state["rv_paused"] = slide, True
        at.run()
        assert not at.exception and heading in review_slide(at)
        assert "外包01" not in review_slide(at)


def test_the_weekly_review_says_why_monthly_exports_leave_a_week_empty(monthly_db):
    slide = review_slide(ran(REVIEW, "viewer"))
    assert "本周没有数据。若导入的是月报等跨越多天的文件，它们拆不到周，请在「总览」按月查看。" in slide
