"""The pages in English: no Chinese the UI wrote itself, only the data's own names.

conftest's data names its shops, teams and agents in Chinese, and the preset schemes and
promotion days have Chinese names; those are data and stay as they are. Anything else in
Chinese on an English page (a role label, 新 for a new rank, 、 between list items, fullwidth
brackets) is a translation the UI left out.

AppTest reruns a page's widgets through their format_func outside the script, where the
language is Chinese again, so an English select cannot be rerun: each test sets what it
picks in the session state before a run of its own.

Switching to English sends the choices already made again, in English; the sidebar's period
and filters ride in the address with the language, so a reload shows the same view.
"""

from __future__ import annotations

import json
import re

import pytest
from conftest import SHOPS, TEAMS, app_test

from csperf import queries, schemes
from csperf.db import open_db

PAGES = ["pages/1_overview.py", "pages/2_leaderboard.py", "pages/3_trends.py", "pages/4_agent.py",
         "pages/5_whatif.py", "pages/6_data.py", "pages/7_review.py", "pages/8_sessions.py"]
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")
# Chinese on purpose: the language switch names each language in itself, and the targets
# import says which Chinese headers a spreadsheet may use.
BILINGUAL = ("语言 / Language", "中文", "月份 (month)")


def english(page: str, role: str = "owner"):
    at = app_test(page, role)
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def shown_texts(at) -> list[str]:
    """What a reader sees: text, metrics, tables (not the audit trail, a log of what was
    done, kept as written), widgets' labels, options and help, tabs, expanders, charts."""
    texts = [str(e.value) for kind in ("title", "subheader", "header", "markdown", "caption", "success", "info",
                                       "warning", "error") for e in getattr(at, kind)]
    texts += [f"{m.label} {m.value} {m.proto.help}" for m in at.metric]
    texts += [table.value.to_csv() for table in at.dataframe if "Detail" not in table.value.columns]
    for kind in ("selectbox", "multiselect", "radio", "segmented_control", "button", "toggle", "checkbox",
                 "text_input", "number_input", "date_input", "slider"):
        for widget in getattr(at, kind):
            texts += [widget.label, getattr(widget.proto, "help", "")]
            texts += [str(option) for option in getattr(widget, "options", [])]
    texts += [tab.label for tab in at.tabs] + [box.label for box in at.expander]
    texts += [json.dumps(json.loads(chart.proto.spec), ensure_ascii=False) for chart in at.get("plotly_chart")]
    return texts


def data_names() -> list[str]:
    """The Chinese that is data: shops, teams, agents, shifts, schemes, promotions (longest
    first, so that 新人 goes before a UI's 新 could hide in it)."""
    names = {*SHOPS, *TEAMS, *TEAMS.values(), "夜班", "白班", *queries.PROMOTIONS.values(),
             *schemes.list_schemes(open_db())["name"]}
    return sorted(names, key=len, reverse=True)


@pytest.mark.parametrize("page", PAGES)
def test_an_english_page_has_no_chinese_but_the_datas_own(app_db, page):
    at = english(page)
    names = data_names()
    left = []
    for text in shown_texts(at):
        if any(words in text for words in BILINGUAL):
            continue
        for name in names:
            text = text.replace(name, "")
        left += CJK.findall(text)
    assert not left, sorted(set(left))


def test_english_says_which_role_has_no_scheme_and_counts_in_the_singular(app_db):
    db = open_db()
    schemes.ensure_presets(db)
    with db.write() as cur:  # 小美 does after-sales, a role nothing is assigned to any more
        cur.execute("UPDATE roster SET role = 'aftersales' WHERE account = '小美'")
        cur.execute("DELETE FROM scheme_assignments WHERE role = 'aftersales'")
    at = app_test("pages/5_whatif.py")
    at.session_state["lang"], at.session_state["wi_role"] = "en", "aftersales"
    at.run()
    assert not at.exception
    assert [w.value for w in at.warning] == ["No scheme is assigned to After-sales; comparing with 售后标准方案."]
    assert any(" · 1 agent. Edits are only tried out here" in c.value for c in at.caption)
    board = english("pages/2_leaderboard.py")
    assert any(c.value.startswith("1 account with no scheme that applies") for c in board.caption)


def test_the_english_agent_page_names_every_way_out(app_db):
    with open_db().write() as cur:  # a team in the roster with no figures, and an agent without a role
        cur.execute("INSERT INTO roster (shop, account, name, team, role) VALUES ('旗舰店', '新号', '新号', 'C组', "
                    "'presales')")
        cur.execute("UPDATE roster SET role = NULL WHERE account = '小美'")
    at = app_test("pages/4_agent.py")
    at.session_state["lang"], at.session_state["f_team"] = "en", ["C组"]
    at.run()
    assert [i.value for i in at.info] == [
        "No figures for 2026-10-01 ~ 2026-10-31. Pick another period in the sidebar, or clear the filters."]
    offered = english("pages/4_agent.py").selectbox(key="ag_pick").options
    at = app_test("pages/4_agent.py")  # a fresh run: AppTest cannot rerun an English select (see module notes)
    at.session_state["lang"] = "en"
    at.session_state["ag_pick"] = next(i for i, label in enumerate(offered) if label.startswith("小美 ("))
    at.run()
    assert [w.value for w in at.warning] == [("No scheme is assigned to this agent's role, so there is no score. "
                                              "Assign one on the What-if page, or set the role in the roster.")]


# -- switching the language, and the address ---------------------------------------------------

def told(widget) -> list[str] | None:
    """The labels a run tells the browser are chosen; None when it tells none, and the
    browser goes on showing the labels it was sent before."""
    proto = widget.proto
    if not proto.set_value:
        return None
    return list(proto.raw_values) if "raw_values" in proto.DESCRIPTOR.fields_by_name else [proto.raw_value]


@pytest.mark.parametrize("page", [page for page in PAGES if "review" not in page])  # no switch on the review
def test_switching_the_language_relabels_the_choices_already_made(app_db, page):
    """A keyed choice widget keeps its identity when its labels change, and the browser keeps
    the choice as the label it was sent: English options, and 售前 or 同店同组同岗 still
    chosen (a supervisor walkthrough). The switch sends every choice again, in English."""
    at = app_test(page)
    at.run()
    at.segmented_control(key="w_lang").set_value("en").run()
    assert not at.exception, [e.message for e in at.exception]
    stale = {}
    for kind in ("selectbox", "multiselect", "radio", "segmented_control"):
        for widget in getattr(at, kind):
            if widget.key is None or widget.value is None or widget.value == []:
                continue
            labels = told(widget)
            if labels is None or not set(labels) <= set(widget.options):
                stale[widget.key] = labels
    assert not stale


def test_switching_the_language_keeps_each_choice(app_db):
    at = app_test("pages/5_whatif.py")
    at.run()
    at.selectbox(key="wi_cmp_a").set_value("edited").run()  # 当前模拟, not the first option
    at.segmented_control(key="w_lang").set_value("en").run()
    assert at.selectbox(key="wi_cmp_a").value == "edited"
    assert told(at.selectbox(key="wi_cmp_a")) == ["Current what-if"]


def sidebar_period(at) -> list[str]:
    return [c.value for c in at.sidebar.caption if " ~ " in c.value]


def test_the_period_and_filters_ride_in_the_address_so_a_reload_shows_the_same_view(app_db):
    at = app_test("pages/2_leaderboard.py")
    at.run()
    assert not {"period", "from", "to", "shop"} & set(at.query_params)  # the defaults need no address
    at.selectbox(key="w_period").set_value("last_month")
    at.multiselect(key="w_shop").set_value(["旗舰店"])
    at.run()
    assert (at.query_params["period"], at.query_params["shop"]) == ("last_month", "旗舰店")
    reloaded = app_test("pages/2_leaderboard.py")  # a reload: a new session on the same address
    reloaded.query_params.update(at.query_params)
    reloaded.run()
    assert sidebar_period(reloaded) == ["2026-09-01 ~ 2026-09-30"]
    assert reloaded.multiselect(key="w_shop").value == ["旗舰店"]
    assert set(reloaded.dataframe[0].value["账号"]) == {"小美", "阿强", "晓东"}  # 旗舰店's in September


def test_a_custom_period_rides_in_the_address_and_a_broken_one_falls_back(app_db):
    at = app_test("pages/1_overview.py")
    at.query_params.update({"period": "custom", "from": "2026-10-12", "to": "2026-10-05"})
    at.run()
    assert sidebar_period(at) == ["2026-10-05 ~ 2026-10-12"]
    assert (at.query_params["from"], at.query_params["to"]) == ("2026-10-05", "2026-10-12")
    at = app_test("pages/1_overview.py")  # beyond the data: clipped to it
    at.query_params.update({"period": "custom", "from": "2026-01-01", "to": "2027-01-01"})
    at.run()
    assert sidebar_period(at) == ["2026-09-02 ~ 2026-10-31"]  # the data's first day to its last
    at = app_test("pages/1_overview.py")
    at.query_params.update({"period": "someday", "from": "soon"})
    at.run()
    assert not at.exception and sidebar_period(at) == ["2026-10-01 ~ 2026-10-31"]
    assert not {"period", "from"} & set(at.query_params)
