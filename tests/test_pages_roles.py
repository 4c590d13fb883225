"""Roles and sessions on the pages, as AppTests: who may open what, what a page shows once its
session has ended (also in what runs outside a script run: a download's data, a timed fragment),
and the owner's form that adds users."""

from __future__ import annotations

import io
from dataclasses import replace

import openpyxl
import pytest
from conftest import PASSWORDS, app_test, page_text

from csperf import auth, ui
from csperf.db import open_db

LEADERBOARD, AGENT, DATA, REVIEW = "pages/2_leaderboard.py", "pages/4_agent.py", "pages/6_data.py", "pages/7_review.py"
PAY_WORDS = ("应发", "工资单", "绩效工资", "系数")


def run(page: str | None, role: str = "owner", *, lang: str | None = None):
    """The page run as `role`, with a session token as a real sign-in keeps (app_test has none)."""
    at = app_test(page, role)
    at.session_state["session_token"] = auth.start_session(open_db(), at.session_state["user"])
    if lang:
        at.session_state["lang"] = lang
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def asks_to_sign_in(at) -> bool:
    return [box.key for box in at.text_input] == ["login_user", "login_password"]


def end(how: str, username: str, token: str) -> None:
    db = open_db()
    if how == "sign-out elsewhere":
        auth.end_session(db, token)
    elif how == "new password":
        auth.set_password(db, username, "another-password-1")
    else:
        auth.remove_user(db, username)


ENDINGS = ["sign-out elsewhere", "new password", "removal"]


@pytest.mark.parametrize(("how", "said"), [("sign-out elsewhere", "你的登录已结束"), ("new password", "你的密码已被修改"),
                                           ("removal", "你的账号已被删除")])
def test_the_sign_in_form_says_why_the_session_ended(app_db, how, said):
    at = run(LEADERBOARD, "viewer")
    end(how, "viewer", at.session_state["session_token"])
    at.run()
    assert asks_to_sign_in(at) and [i.value for i in at.info if i.value.startswith("你的")] == [
        next(zh for zh, _ in ui.SESSION_ENDED.values() if zh.startswith(said))]


# -- a page the role may not open ------------------------------------------------------------------


@pytest.mark.parametrize(("role", "page", "home"), [("agent", LEADERBOARD, "agent"), ("agent", REVIEW, "agent"),
                                                    ("viewer", DATA, "overview")])
def test_a_page_the_role_may_not_open_keeps_the_way_back(app_db, role, page, home):
    at = run(page, role)
    assert [e.value for e in at.error] == ["你的账号没有权限查看此页。"]
    links = [(link.proto.label, link.proto.page) for link in at.get("page_link")]
    assert ("客服" if role == "agent" else "总览", home) in links  # the sidebar's pages, and a link home
    assert any(page == home and label.startswith("去") for label, page in links)
    assert "logout" in [b.key for b in at.button]
    if role == "agent":  # only their own page is offered
        assert {page for _, page in links} == {"agent"}


# -- the agent page: viewers too, without pay ------------------------------------------------------


def test_a_viewer_opens_the_agent_page_without_pay(app_db):
    at = run(AGENT, "viewer")
    assert not at.error
    assert at.title[0].value.startswith("客服 · ")
    assert len(at.selectbox(key="ag_pick").options) == 6  # any agent of the team
    text = page_text(at)
    for word in PAY_WORDS:
        assert word not in text
    assert ("客服", "agent") in [(link.proto.label, link.proto.page) for link in at.get("page_link")]


def test_an_agent_still_sees_only_their_own_account_on_the_agent_page(app_db):
    at = run(AGENT, "agent")
    assert at.title[0].value == "客服 · 小美" and "ag_pick" not in [s.key for s in at.selectbox]
    text = page_text(at)
    for other in ("阿强", "晓东", "新人", "pdd01", "pdd02"):
        assert other not in text
    assert "应发合计" in text


# -- the leaderboard's Excel export, built when clicked --------------------------------------------


def downloads(monkeypatch) -> dict:
    """The data each download button is given, by label, from the runs that follow: bytes, or a
    callable Streamlit calls on the click, outside any script run."""
    import streamlit as st

    handed, real_button = {}, st.download_button

    def recorded(label, data=None, *args, **kwargs):
        handed[label] = data
        return real_button(label, data, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", recorded)
    return handed


def exported(monkeypatch, role: str = "supervisor", lang: str | None = None):
    """The leaderboard's export data, run as `role`, and the session's token."""
    handed = downloads(monkeypatch)
    at = run(LEADERBOARD, role, lang=lang)
    return handed["导出 Excel" if lang is None else "Export to Excel"], at.session_state["session_token"]


def heading(workbook: bytes) -> list[str]:
    sheet = openpyxl.load_workbook(io.BytesIO(workbook)).active
    lines = []
    for (value,) in sheet.iter_rows(min_col=1, max_col=1, values_only=True):
        if value is None:
            break
        lines.append(value)
    return lines


@pytest.mark.parametrize("how", ENDINGS)
def test_the_leaderboard_export_hands_nothing_out_once_the_session_has_ended(app_db, monkeypatch, how):
    data, token = exported(monkeypatch)
    assert callable(data)
    assert heading(data())[0].startswith("排行榜 · ")  # still signed in: the workbook
    end(how, "super", token)
    with pytest.raises(PermissionError, match="已结束"):
        data()


def test_the_leaderboard_export_is_in_the_pages_language(app_db, monkeypatch):
    data, _token = exported(monkeypatch, lang="en")
    lines = heading(data())  # called outside the run, as Streamlit does on the click
    assert lines[0].startswith("Leaderboard · ")
    assert lines[1].startswith("Scheme: ") and lines[2] == "Filters: none (every agent)"
    assert lines[-1].startswith("Data as of ") and lines[-1].endswith(" by super")
    assert not any(words in line for line in lines for words in ("考核方案", "名次变化", "筛选", "数据截至", "导出于"))


# -- the weekly review's timed slides ----------------------------------------------------------------


def tick(at):
    """What the browser does every few seconds on the review screen: rerun the slide fragment
    alone (run_every), not the page, so not its frame either."""
    from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequests

    fragments = list(at._fragment_storage._fragments)
    assert fragments
    real, left = ScriptRequests.request_rerun, [2]  # the runner's own first request, and the run's

    def request_rerun(self, rerun_data):
        if left[0]:  # a rerun the fragment asks for afterwards runs the whole page
            left[0] -= 1
            rerun_data = replace(rerun_data, fragment_id_queue=fragments, is_auto_rerun=True)
        return real(self, rerun_data)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ScriptRequests, "request_rerun", request_rerun)
        at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_the_review_slides_move_on_by_themselves_while_signed_in(app_db):
    at = run(REVIEW, "viewer")
    at.session_state["rv_shown_at"] = 0  # the slide has been shown long enough
    tick(at)
    assert any("2 / 6" in m.value for m in at.markdown) and not asks_to_sign_in(at)
    assert not any("rv-head" in m.value for m in at.markdown)  # the slide alone was drawn again


def test_the_review_shows_one_team_picked_there_or_in_the_view_it_was_opened_from(app_db):
    def ranked(at) -> set:
        at.button(key="rv_pause").click().run()
        while not any("本周排名" in m.value for m in at.markdown):
            at.button(key="rv_next").click().run()
        slide = "\n".join(m.value for m in at.markdown)
        return {name for name in ("小美", "阿强", "晓东", "新人", "pdd01", "pdd02") if name in slide}

    at = run(REVIEW, "viewer")
    assert at.selectbox(key="rv_team").options == ["全部团队", "A组", "B组", "拼团组"]
    at.selectbox(key="rv_team").set_value("A组").run()
    assert ranked(at) == {"小美", "阿强"}
    at.selectbox(key="rv_shop").set_value("拼多多店").run()  # A组 is not a team of that shop
    assert at.selectbox(key="rv_team").options == ["全部团队", "拼团组"] and at.selectbox(key="rv_team").value is None
    opened = app_test(REVIEW, "viewer")
    opened.session_state["f_team"] = ["B组"]  # the dashboard's own filter, as a link carries it
    opened.run()
    assert opened.selectbox(key="rv_team").value == "B组" and ranked(opened) == {"晓东", "新人"}


def test_new_figures_redraw_the_whole_review_and_keep_the_running_week(app_db):
    import pandas as pd

    from csperf.db import ImportMeta

    at = run(REVIEW, "viewer")  # figures up to Saturday 10-31
    at.selectbox(key="rv_week").select_index(0).run()  # 10-26 ~ 10-31（本周至今）
    at.button(key="rv_pause").click().run()  # paused: the slide fragment no longer runs by itself
    sunday = pd.DataFrame([{"shop": "旗舰店", "account": "小美", "date_from": "2026-11-01", "date_to": "2026-11-01",
                            "receptions": 40, "sales": 4_000.0}])
    open_db().apply_import(ImportMeta("sunday.xlsx", "sunday-sha", "generic"), sunday)
    tick(at)  # the data watch notices and redraws the page
    head = next(m.value for m in at.markdown if "class='rv-head'" in m.value)
    assert "10-26 ~ 11-01" in head and "（本周至今）" not in head  # the same week, now whole; not last week
    assert "数据截至 2026-11-01 · 新数据已更新 " in head


@pytest.mark.parametrize("how", ENDINGS)
def test_the_review_slides_stop_and_ask_to_sign_in_once_the_session_has_ended(app_db, how):
    at = run(REVIEW, "viewer")
    end(how, "viewer", at.session_state["session_token"])
    at.session_state["rv_shown_at"] = 0
    tick(at)
    assert asks_to_sign_in(at) and "user" not in at.session_state
    assert not any(" / 6" in m.value for m in at.markdown)


# -- adding a user ----------------------------------------------------------------------------------


def add_form(at):
    """The add-user form's fields: name, role, password and account (their keys change once a
    user is added, so that the form empties)."""
    form = at.form(key="dt_add_user")
    return form.text_input[0], form.selectbox[0], form.text_input[1], form.selectbox[1]


def submit_user(at, name: str, role: str | None, password: str = "new-pass-12", account: str | None = None):
    name_box, role_box, password_box, account_box = add_form(at)
    name_box.input(name)
    if role is not None:
        role_box.set_value(role)
    password_box.input(password)
    account_box.set_value(account)
    at.form(key="dt_add_user").form_submit_button[0].click()
    at.run()
    assert not at.exception, [e.message for e in at.exception]


def added(at) -> list[str]:
    return [s.value for s in at.success if s.value.startswith(("已添加用户", "Added user"))]


def users() -> dict:
    return auth.list_users(open_db()).set_index("username")["role"].to_dict()


def test_adding_a_user_starts_from_the_least_privileged_role(app_db):
    at = run(DATA)
    role = add_form(at)[1]
    assert role.value in ("agent", "viewer") and role.value != "supervisor"


@pytest.mark.parametrize(("role", "account", "message"), [
    ("agent", None, "请选择客服账号"),
    ("supervisor", "旗舰店:晓东", "不绑定客服账号"),
    ("viewer", "旗舰店:晓东", "不绑定客服账号"),
])
def test_a_role_and_account_that_do_not_go_together_are_refused_and_what_was_typed_stays(app_db, role, account,
                                                                                          message):
    at = run(DATA)
    before = users()
    submit_user(at, "agent5", role, account=account)
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
    assert users() == before  # nothing created
    assert not added(at)
    name_box, role_box, _, account_box = add_form(at)  # the form keeps what was typed, the role above all
    assert (name_box.value, role_box.value, account_box.value) == ("agent5", role, account)


def test_a_user_added_is_named_with_their_role_and_the_form_is_emptied(app_db):
    at = run(DATA)
    submit_user(at, "agent5", "agent", account="旗舰店:晓东")
    assert added(at) == ["已添加用户 agent5：客服 (agent)，客服账号 旗舰店:晓东"]
    assert auth.user_by_name(open_db(), "agent5") == auth.User("agent5", "agent", "旗舰店", "晓东")
    name_box, role_box, password_box, account_box = add_form(at)
    assert (name_box.value, role_box.value, password_box.value, account_box.value) == ("", "agent", "", None)
    submit_user(at, "look2", "viewer")
    assert added(at) == ["已添加用户 look2：只读查看 (viewer)"]
    assert users()["look2"] == "viewer"


def change_role(at, who: str, role: str | None, account: str | None = None) -> None:
    form = at.form(key="dt_role")
    form.selectbox(key="dt_role_user").set_value(who)
    form.selectbox(key="dt_role_role").set_value(role)
    form.selectbox(key="dt_role_account").set_value(account)
    form.form_submit_button[0].click()
    at.run()
    assert not at.exception, [e.message for e in at.exception]


def test_a_role_is_changed_in_place_and_the_user_has_it_on_their_next_page(app_db):
    viewer = run(REVIEW, "viewer")
    at = run(DATA)
    change_role(at, "viewer", None)
    assert [w.value for w in at.warning if "新角色" in w.value] == ["请选择新角色。"]  # no role taken by default
    change_role(at, "viewer", "owner", account="旗舰店:晓东")
    assert any("不绑定客服账号" in e.value for e in at.error)
    assert users()["viewer"] == "viewer"
    change_role(at, "viewer", "supervisor")
    assert "已把 viewer 改为主管 (supervisor)" in [s.value for s in at.success]
    assert users()["viewer"] == "supervisor"
    viewer.switch_page("pages/5_whatif.py").run()  # a supervisor's page, refused to a viewer
    assert not viewer.exception and not asks_to_sign_in(viewer) and viewer.session_state["user"].role == "supervisor"
    assert not [e for e in viewer.error if "无权" in e.value or "权限" in e.value], [e.value for e in viewer.error]
    change_role(at, "owner", "viewer")
    assert any("最后一个所有者" in e.value for e in at.error) and users()["owner"] == "owner"


# -- the audit trail's export -----------------------------------------------------------------------


def test_the_audit_csv_exported_from_the_english_page_is_in_english(app_db, monkeypatch):
    handed = downloads(monkeypatch)
    run(DATA, lang="en")
    rows = handed["Export CSV"].decode("utf-8-sig").splitlines()
    assert rows[0] == "Time,User,Action,Detail"
    assert any(",user added," in row for row in rows) and not any("添加用户" in row for row in rows)
    run(DATA)
    assert handed["导出 CSV"].decode("utf-8-sig").splitlines()[0] == "时间,用户,操作,详情"


# -- repeated wrong passwords ---------------------------------------------------------------------


def sign_in(at, username: str, password: str) -> None:
    at.text_input(key="login_user").input(username)
    at.text_input(key="login_password").input(password)
    next(b for b in at.button if b.proto.label == "登录").click()
    at.run()
    assert not at.exception, [e.message for e in at.exception]


@pytest.mark.parametrize("username", ["viewer", "nobody"])
def test_the_sign_in_form_refuses_a_name_after_five_wrong_passwords(app_db, username):
    from streamlit.testing.v1 import AppTest

    from csperf.db import PROJECT_ROOT

    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=30).run()
    for _ in range(4):
        sign_in(at, username, "wrong-pass-1")
        assert [e.value for e in at.error] == ["用户名或密码不正确"]
    sign_in(at, username, "wrong-pass-1")  # the fifth: the same words for a name that exists or not
    locked = [e.value for e in at.error]
    assert len(locked) == 1 and "登录失败次数过多" in locked[0] and "15 分钟" in locked[0]
    sign_in(at, username, "viewer-pass-1")  # even the right password waits
    assert [e.value for e in at.error] == locked and asks_to_sign_in(at)


def test_every_role_changes_their_own_password_in_the_sidebar(app_db):
    at = run("pages/1_overview.py", "viewer")
    assert not [box for box in at.text_input if (box.key or "").startswith("own_pw")]  # only once asked for
    at.toggle(key="own_pw_open").set_value(True).run()
    elsewhere = auth.start_session(open_db(), auth.user_by_name(open_db(), "viewer"))

    def change(current, new, again):
        at.text_input(key="own_pw_current").input(current)
        at.text_input(key="own_pw_new").input(new)
        at.text_input(key="own_pw_again").input(again)
        at.form(key="own_password").form_submit_button[0].click().run()
        assert not at.exception

    change("wrong-one-1", "fresh-pass-9", "fresh-pass-9")
    assert "当前密码不正确" in " ".join(e.value for e in at.error)
    change(PASSWORDS["viewer"], "fresh-pass-9", "fresh-pass-8")
    assert "两次输入的新密码不一致" in " ".join(e.value for e in at.error)
    change(PASSWORDS["viewer"], "fresh-pass-9", "fresh-pass-9")
    assert "密码已修改" in " ".join(s.value for s in at.success)
    assert auth.authenticate(open_db(), "viewer", "fresh-pass-9").username == "viewer"
    assert auth.resume_session(open_db(), elsewhere) is None  # signed out elsewhere
    assert not asks_to_sign_in(at.run())  # but still signed in here
