"""The shared page frame: page config, login, role check, sidebar filters, cached reads.

Every page starts with `page_frame(...)`, so a cold deep link to any page goes through
the same login and setup as the rest. Reads are cached on the database's data version,
so a new import shows everywhere at once and nothing is recomputed otherwise.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from csperf import auth, inbox, queries, schemes, targets, views
from csperf import ui_charts as charts
from csperf import ui_format as fmt
from csperf.db import (
    TIME_ZONE,
    Database,
    DatabaseBusy,
    DatabaseUnreadable,
    open_db,
    resolve_path,
)
from csperf.metrics import label as metric_label
from csperf.scheme import Scheme, assessment_period

APP_TITLE = ("客服绩效看板", "CS Performance")


@dataclass(frozen=True)
class PageSpec:
    file: str
    url: str
    zh: str
    en: str
    icon: str
    permission: str


PAGES = [
    PageSpec("pages/1_overview.py", "overview", "总览", "Overview", ":material/dashboard:", "view_team"),
    PageSpec("pages/2_leaderboard.py", "leaderboard", "排行榜", "Leaderboard", ":material/leaderboard:",
             "view_team"),
    PageSpec("pages/3_trends.py", "trends", "趋势", "Trends", ":material/trending_up:", "view_team"),
    PageSpec("pages/4_agent.py", "agent", "客服", "Agent", ":material/person:", "view_own"),
    PageSpec("pages/5_whatif.py", "whatif", "模拟", "What-if", ":material/tune:", "whatif"),
    PageSpec("pages/6_data.py", "data", "数据", "Data", ":material/upload_file:", "import"),
    PageSpec("pages/7_review.py", "review", "周会", "Weekly review", ":material/slideshow:", "review"),
    PageSpec("pages/8_sessions.py", "sessions", "会话分析", "Sessions", ":material/forum:", "view_team"),
]
PAGE_BY_URL = {p.url: p for p in PAGES}
# a table cell's colours: better than the group or on target; worse; short of a target
CELL_COLOURS = {"above": "background-color: rgba(46,157,91,0.16); color: #1d6b3d",
                "below": "background-color: rgba(217,54,62,0.14); color: #a3242b",
                "short": "background-color: rgba(237,137,54,0.16); color: #9c4a06"}


# -- language ----------------------------------------------------------------------------

def error(problem) -> None:
    """A refusal (an exception or its message, written '中文 — English' for the command
    line) in the UI's language."""
    st.error(fmt.one_language(str(problem), lang()))


def target_caption(goal) -> None:
    """Where a KPI stands against its target (views.target_text): green on target, orange not."""
    st.caption(f":{'green' if goal.met else 'orange'}[{views.target_text(goal, lang())}]")


def lang() -> str:
    return st.session_state.get("lang", "zh")


LANG_COOKIE = "csperf_lang"
LANG_COOKIE_S = 365 * 24 * 3600  # the language chosen is kept a year


def _language_switch() -> None:
    """中文 / English: in the sidebar, and on the sign-in and first-run forms before it."""
    st.segmented_control("语言 / Language", ["zh", "en"], **{**_remembered("w_lang", "lang", "zh"),
                                                              "on_change": _switch_language},
                         format_func=lambda v: "中文" if v == "zh" else "English")
    if not st.session_state.get("lang"):
        st.session_state["lang"] = "zh"


def _switch_language(widget_key: str, store_key: str) -> None:
    _store(widget_key, store_key)
    _relabel_choices()


def _relabel_choices() -> None:
    """Have every keyed choice widget (select box, multiselect, radio, segmented control,
    pills) show its choice in the new language.

    Such a widget sends the browser its choice as the option's label, and the browser keeps
    that label as long as the widget's identity holds, which for a keyed widget is its key
    alone: the options are relabelled, the choice is not, and 售前 stays chosen among
    Pre-sales and After-sales. A value put back through the session state is sent again,
    labelled anew. This runs in the switch's callback, where each value still reads with the
    labels it was chosen under. (Streamlit logs, once a process, that a widget given an index
    or default of its own was also set this way; nothing shows on the page.)"""
    for key in _choice_keys():
        st.session_state[key] = st.session_state[key]


def _choice_keys() -> list[str]:
    """The keys of the widgets of the last run that offer labelled options. Streamlit has no
    public way to tell them (a text input holds a string too, and putting one back would
    wipe what is typed in a form not yet sent), so this reads its widget records: a choice
    widget registers its option labels, to check a value from the address against. A later
    Streamlit without them gets none, which tests/test_pages_language.py's switch test says."""
    try:
        state = get_script_run_ctx().session_state._state
        records, ids = state._new_widget_state.widget_metadata, state._key_id_mapper
        keys = []
        for key in st.session_state:
            record = records.get(ids.get_id_from_key(key, None))
            if (record is not None and record.formatted_options is not None
                    and record.value_type in ("string_value", "string_array_value")
                    and st.session_state[key] is not None):
                keys.append(key)
        return keys
    except AttributeError:
        return []


def _sync_language() -> None:
    """The language rides in the address (`?lang=en`), so a reload, a new tab from it or a
    shared link (the review screen has no sidebar switch) opens in the language chosen. An
    address without it (typed, bookmarked, the bare one) opens in the language this browser
    chose last (a cookie, written by ensure_login)."""
    if "lang" not in st.session_state:
        kept = st.context.cookies.get(LANG_COOKIE)
        st.session_state["lang_cookie"] = kept if kept in ("zh", "en") else "zh"
        chosen = st.query_params.get("lang")
        st.session_state["lang"] = chosen if chosen in ("zh", "en") else st.session_state["lang_cookie"]
    if lang() == "en":
        st.query_params["lang"] = "en"
    elif "lang" in st.query_params:
        del st.query_params["lang"]


def t(zh: str, en: str) -> str:
    """The UI text in the chosen language (Chinese by default)."""
    return zh if lang() == "zh" else en


def label(name: str) -> str:
    return metric_label(name, lang())


# -- database and cached reads -------------------------------------------------------------

class InboxWatcher:
    """Imports files dropped into the inbox, in the background, once per server process."""

    def __init__(self, db: Database, every_s: float = 3.0):
        self.db = db
        self.every_s = every_s
        if db.path != ":memory:":
            inbox.announce(db.path)
        self.events: deque = deque(maxlen=50)
        self._thread = threading.Thread(target=self._run, name="csperf-inbox", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self.db.closed:
            try:
                self.events.extend(inbox.process(self.db))
            except Exception as exc:  # the watcher must outlive one bad poll
                self.events.append(inbox.InboxEvent("inbox", "failed", str(exc)))
            time.sleep(self.every_s)


@st.cache_resource(show_spinner=False)
def _open(path: str) -> Database:
    database = open_db(path)
    schemes.ensure_presets(database)
    return database


@st.cache_resource(show_spinner=False)
def _watcher(path: str) -> InboxWatcher:
    return InboxWatcher(_open(path))


def database() -> Database:
    """The process's database (opened and migrated once), with the inbox being watched."""
    path = str(resolve_path())
    _watcher(path)
    return _open(path)


def flash(message: str, slot: str = "page") -> None:
    """Show `message` after a rerun, so everything on the page already reflects the write."""
    st.session_state[f"csperf_flash_{slot}"] = message
    st.rerun()


def flashed(slot: str = "page") -> None:
    """Where a flashed message shows. The place is drawn with or without one, so what comes
    after keeps its place in the page (a selected tab stays selected)."""
    place = st.empty()
    message = st.session_state.pop(f"csperf_flash_{slot}", None)
    if message:
        place.success(message)


def _database_or_stop() -> Database:
    """The database, or a message and a stopped page while a csperf command holds the
    file (the next run, a reload, opens it)."""
    try:
        return database()
    except DatabaseBusy as busy:
        st.error(f"{busy}。{t('请稍候几秒再刷新页面。', 'Reload the page in a few seconds.')}")
        st.stop()
    except DatabaseUnreadable as unreadable:
        st.error(str(unreadable))
        st.stop()


def inbox_events() -> list:
    return list(_watcher(str(resolve_path())).events)


def _freeze(value):
    if isinstance(value, (list, set, tuple)):
        return tuple(value)
    return value


@st.cache_data(show_spinner=False, max_entries=256)
def _cached_query(path: str, version: int, name: str, args: tuple, kwargs: tuple):
    return getattr(queries, name)(_open(path), *args, **dict(kwargs))


def _frozen(kwargs: dict) -> tuple:
    return tuple(sorted((k, _freeze(v)) for k, v in kwargs.items() if v is not None))


def query(name: str, *args, **kwargs):
    """`queries.<name>(db, ...)`, cached until the next write to the database."""
    db = database()
    return _cached_query(db.path, db.data_version(), name, tuple(_freeze(a) for a in args), _frozen(kwargs))


@st.cache_resource(show_spinner=False, max_entries=256)
def _cached_sparkline(path: str, version: int, metric: str, date_from: date, date_to: date, filters: tuple,
                      lang: str):
    daily = _cached_query(path, version, "trend", (metric, date_from, date_to), filters)
    return charts.sparkline(daily, metric, lang) if len(daily) > 1 else None


def sparkline(metric: str, date_from: date, date_to: date, filters: dict, lang: str):
    """A tile's daily line (None for one day or none), built once per data version: plotly
    takes some 10 ms a figure, most of an overview rerun with eight tiles. The figure is
    shared, not copied (st.plotly_chart only reads it)."""
    db = database()
    frozen = _frozen({**filters, "grain": "day"})
    return _cached_sparkline(db.path, db.data_version(), metric, date_from, date_to, frozen, lang)


@st.cache_data(show_spinner=False, max_entries=64)
def _cached_scores(path: str, version: int, date_from: date, date_to: date, scheme_name: str | None):
    kpis = _cached_query(path, version, "agent_kpis", (date_from, date_to), ())
    if scheme_name is None:
        return views.score_agents(kpis, views.assigned_schemes(_open(path), date_to))
    chosen = schemes.get_scheme(_open(path), scheme_name, as_of=date_to)[0]
    return views.score_agents(kpis, lambda *_: chosen)


def scores(date_from: date, date_to: date, scheme_name: str | None = None) -> views.Scored:
    """Every agent of the period scored with the schemes in force (or one saved scheme),
    cached until the next write. Everyone is scored; pages filter rows afterwards, so a
    display filter never moves a team average."""
    db = database()
    return _cached_scores(db.path, db.data_version(), date_from, date_to, scheme_name)


@dataclass
class Leaderboard:
    """The leaderboard page's table (views.leaderboard) and its labelled form, with what
    the page says about them."""

    schemes: dict[str, Scheme]  # the schemes of the rows shown, by their `scheme` column (name, or "name vN")
    unassigned: int  # accounts no scheme applies to
    table: pd.DataFrame
    labelled: views.Labelled | None  # None when the table is empty
    payroll: views.Payroll | None  # None when pay is not shown


@st.cache_data(show_spinner=False, max_entries=32)
def _cached_leaderboard(path: str, version: int, period: tuple, previous: tuple, scheme_name: str | None,
                        filters: tuple, show_pay: bool, lang: str) -> Leaderboard:
    scored = _cached_scores(path, version, *period, scheme_name).within(dict(filters))
    before = _cached_scores(path, version, *previous, scheme_name)
    own_targets = _cached_query(path, version, "agent_targets", period, ())
    scored.frame = scored.frame.join(targets.agent_standings(own_targets, scored.frame, *period))
    table = views.leaderboard(scored, before.frame, show_pay=show_pay)
    labelled = None if table.empty else views.labelled_leaderboard(table, scored.metrics, lang, scored.penalised)
    payroll = views.payroll(scored.frame) if show_pay else None
    return Leaderboard(scored.schemes, len(scored.unassigned), table, labelled, payroll)


def leaderboard(period: tuple[date, date], previous: tuple[date, date], scheme_name: str | None, filters: dict,
                show_pay: bool) -> Leaderboard:
    """Everyone scored (ui.scores), the rows the filters pick ranked with their move against
    `previous`, cached until the next write: labelling two thousand rows takes longer than
    the rest of a rerun."""
    db = database()
    return _cached_leaderboard(db.path, db.data_version(), tuple(period), tuple(previous), scheme_name,
                               _frozen(filters), show_pay, lang())


@st.cache_data(show_spinner=False, max_entries=32)
def _cached_alerts(path: str, version: int, period: tuple[date, date], previous: tuple[date, date],
                   filters: tuple, against: str) -> list:
    chosen = dict(filters)
    everyone = _cached_query(path, version, "agent_kpis", period, ())
    before = _cached_query(path, version, "agent_kpis", previous, ())
    scored = _cached_scores(path, version, *period, None).within(chosen)
    unmatched = _cached_query(path, version, "unmatched_accounts", (), ())
    if chosen.get("shop"):
        unmatched = unmatched[unmatched["shop"].isin(chosen["shop"])]
    provisional = _cached_query(path, version, "provisional_days", period, filters)
    totals, goals = _cached_scope_goals(path, version, period, filters)
    return views.overview_alerts(views.apply_filters(everyone, chosen), scored, provisional, unmatched,
                                 before, views.target_alerts(totals, goals,
                                                             _cached_query(path, version, "view_scope", (), filters)),
                                 against)


@st.cache_data(show_spinner=False, max_entries=32)
def _cached_scope_goals(path: str, version: int, period: tuple[date, date], filters: tuple):
    chosen = dict(filters)
    totals = _cached_query(path, version, "scope_kpis", period, _frozen({"shop": chosen.get("shop")}))
    goals = _cached_query(path, version, "scope_targets", period, ())
    return totals, views.scope_goals(totals, goals, *period, chosen)


def scope_goals(period: tuple[date, date], filters: dict) -> views.ScopeGoals:
    """Each shop and team of the view against its own targets (views.scope_goals), cached
    until the next write."""
    db = database()
    return _cached_scope_goals(db.path, db.data_version(), tuple(period), _frozen(filters))[1]


def goal_progress(table: views.GoalTable) -> None:
    """Shops and teams against their own targets (views.goal_table): 达成率 as a bar, where
    each stands green on target and orange short of it."""
    done, against = table.frame.columns[3], table.frame.columns[4]
    styled = table.frame.style.apply(
        lambda column: [CELL_COLOURS["above" if m else "short"] for m in table.met], subset=[against])
    st.dataframe(styled, hide_index=True, placeholder="—", height=rows_height(len(table.frame)), column_config={
        done: st.column_config.ProgressColumn(done, min_value=0, max_value=100, format="%.1f%%", help=t(
            "总量：已完成占目标的比例（本月进行中按整月目标算）；水平：实际 ÷ 目标（越低越好的为目标 ÷ 实际）",
            "A total: the share of its target done (of the whole month while it runs); a level: value ÷ "
            "target (target ÷ value when lower is better)"))})


def alerts(period: tuple[date, date], previous: tuple[date, date], filters: dict, against: str = "previous") -> list:
    """What needs attention in the period, some of it against the `previous` one, which
    `against` names (views.overview_alerts), cached until the next write."""
    db = database()
    return _cached_alerts(db.path, db.data_version(), tuple(period), tuple(previous), _frozen(filters), against)


# -- login -----------------------------------------------------------------------------------

def _sso_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


SESSION_COOKIE = "csperf_session"


def _keep_cookies(cookies: dict[str, tuple[str, int]]) -> None:
    """Have the browser keep each cookie (its value and lifetime in seconds; 0 drops it): the
    sign-in token, the language chosen. Streamlit reads the cookies a page sends but cannot
    set one, so the page's own script does (in an element hidden, so that the page does not
    shift down by one gap after signing in)."""
    script = "".join(f"document.cookie = '{name}={value}; max-age={seconds}; path=/; SameSite=Strict'"
                     "+ (location.protocol === 'https:' ? '; Secure' : '');"
                     for name, (value, seconds) in cookies.items())
    st.html("<style>[data-testid='stElementContainer']:has(script.csperf-cookie){display:none}</style>"
            f"<script class='csperf-cookie'>{script}</script>", unsafe_allow_javascript=True)


# what the sign-in form says of a session that ended under this browser (auth.why_session_ended)
SESSION_ENDED = {
    "removed": ("你的账号已被删除，无法再登录；如有疑问请联系店主。", "Your account was removed; ask the owner if in doubt."),
    "password": ("你的密码已被修改，这里的登录随之结束；请用新密码登录。",
                 "Your password was changed, which ended this session; sign in with the new one."),
    "ended": ("你的登录已结束（在别的页面退出了，或已超过登录期限），请重新登录。",
              "Your session has ended (signed out in another tab, or it expired); sign in again."),
}


def _signed_in(db: Database, user: auth.User) -> None:
    st.session_state["user"] = user
    st.session_state["signed_in_at"] = datetime.now().astimezone()
    st.session_state.pop("session_ended", None)
    st.session_state["session_token"] = st.session_state["keep_cookie"] = auth.start_session(db, user)
    st.rerun()


def sign_out(db: Database) -> None:
    auth.end_session(db, st.session_state.pop("session_token", None))
    st.session_state.pop("user", None)
    st.session_state.pop("signed_in_at", None)
    st.session_state["keep_cookie"] = None
    st.rerun()


def _still_signed_in(db: Database, user: auth.User, token: str | None) -> auth.User | None:
    """`user` as the database has them now, or None once their session has ended: signed out
    in another tab, a new password, the account removed."""
    current = auth.resume_session(db, token) if token else auth.user_by_name(db, user.username)
    return current if current is not None and current.username == user.username else None


def check_session() -> None:
    """For a fragment that reruns by itself (run_every): such a run skips the page and so its
    frame, so it asks here whether the session still holds; once it has ended, the whole page
    reruns, and its frame asks to sign in."""
    user = st.session_state.get("user")
    if user is None or _still_signed_in(database(), user, st.session_state.get("session_token")) is None:
        st.rerun()


def while_signed_in(frame: Frame, build: Callable[[], bytes]) -> Callable[[], bytes]:
    """A download's data built only when clicked (st.download_button(data=callable)).
    Streamlit calls it on its own thread, outside any script run, so no frame checks the
    session then: it is checked here, against the user and token of the run that drew the
    button, and a session ended since gets nothing. `build` must not read the session either
    (the language: pass in what the run read)."""
    db, user, token = frame.db, frame.user, st.session_state.get("session_token")

    def guarded() -> bytes:
        if _still_signed_in(db, user, token) != user:
            raise PermissionError("登录已结束，请重新登录 — the session has ended; sign in again")
        return build()

    return guarded


def ensure_login(db: Database, *, set_cookie: bool = True) -> auth.User:
    """The signed-in user (also after a browser reload, from the token the browser kept);
    otherwise the login (or first-owner) form, and stop. Every run asks again, so signing
    out in one tab, a new password or a removed account ends the other tabs' sessions too.
    `set_cookie=False` leaves a pending cookie to the next page (a run that switches pages
    at once never reaches the browser)."""
    cookie_slot = st.empty()  # drawn every run, so the page below keeps its place (and its tab)
    cookies = {}
    if set_cookie and "keep_cookie" in st.session_state:
        token = st.session_state.pop("keep_cookie")
        cookies[SESSION_COOKIE] = (token, int(auth.SESSION_LIFETIME.total_seconds())) if token else ("", 0)
    if set_cookie and st.session_state.get("lang_cookie", "zh") != lang():
        st.session_state["lang_cookie"] = lang()
        cookies[LANG_COOKIE] = (lang(), LANG_COOKIE_S)
    if cookies:
        with cookie_slot:
            _keep_cookies(cookies)
    user = st.session_state.get("user")
    if user is not None:
        current = _still_signed_in(db, user, st.session_state.get("session_token"))
        if current is not None:
            st.session_state["user"] = current  # a role changed since the last run holds from this one
            st.session_state.setdefault("signed_in_at", datetime.now().astimezone())
            return current
        st.session_state["session_ended"] = auth.why_session_ended(db, user.username,
                                                                   st.session_state.pop("signed_in_at", None))
        st.session_state.pop("user", None)
        st.session_state.pop("session_token", None)
    token = st.context.cookies.get(SESSION_COOKIE)
    user = auth.resume_session(db, token)
    if user is not None:
        st.session_state["user"], st.session_state["session_token"] = user, token
        st.session_state["signed_in_at"] = datetime.now().astimezone()
        st.session_state.pop("session_ended", None)
        return user
    heading, switch = st.columns([5, 1], vertical_alignment="bottom")
    with switch:
        _language_switch()
    heading.title(t(*APP_TITLE))
    if _sso_configured() and getattr(st.user, "is_logged_in", False):
        found = auth.user_by_name(db, st.user.get("email", ""))
        if found:
            _signed_in(db, found)
        st.error(t("此单点登录账号未开通，请联系店主。", "This SSO account has no access; ask the owner."))
    if not auth.has_users(db):
        _first_owner_form(db)
        st.stop()
    if st.session_state.get("session_ended") in SESSION_ENDED:
        st.info(t(*SESSION_ENDED[st.session_state["session_ended"]]))
    with st.form("login"):
        st.subheader(t("登录", "Sign in"))
        username = st.text_input(t("用户名", "Username"), key="login_user")
        password = st.text_input(t("密码", "Password"), type="password", key="login_password")
        submitted = st.form_submit_button(t("登录", "Sign in"), type="primary")
    if submitted:
        try:
            found = auth.authenticate(db, username.strip(), password)
        except auth.LockedOut as locked:  # too many wrong passwords for this name (whether it exists or not)
            error(locked)
        else:
            if found is None:
                st.error(t("用户名或密码不正确", "Wrong username or password"))
            else:
                _signed_in(db, found)
    if _sso_configured():
        st.button(t("单点登录", "Single sign-on"), on_click=st.login)
    st.stop()


def go_home() -> None:
    """The bare address: sign in if need be, then on to the user's first page (the
    overview, or an agent's own page) at that page's own address."""
    _sync_language()
    _view_from_address()  # for the first page, which writes it back: switching pages drops the address
    st.set_page_config(page_title=t(*APP_TITLE), page_icon="📊", layout="wide")
    st.switch_page(home_page(ensure_login(_database_or_stop(), set_cookie=False)))


def home_page(user: auth.User) -> str:
    """The user's first page: the overview, or an agent's own page."""
    return PAGE_BY_URL["agent" if user.role == "agent" else "overview"].file


def _first_owner_form(db: Database) -> None:
    st.info(t("首次使用：请创建店主账号。", "First run: create the owner account."))
    with st.form("first_owner"):
        username = st.text_input(t("用户名", "Username"), value="owner")
        password = st.text_input(t("密码 (至少8位)", "Password (8+ characters)"), type="password")
        again = st.text_input(t("再次输入密码", "Repeat password"), type="password")
        submitted = st.form_submit_button(t("创建并登录", "Create and sign in"), type="primary")
    if submitted:
        if password != again:
            st.error(t("两次输入的密码不一致", "Passwords differ"))
            return
        try:
            auth.add_user(db, username.strip(), password, "owner", by=username.strip())
        except ValueError as exc:
            error(exc)
            return
        _signed_in(db, auth.user_by_name(db, username.strip()))


# -- the frame -------------------------------------------------------------------------------

@dataclass
class Frame:
    """What a page knows after the frame ran: who, which period, which filters."""

    db: Database
    user: auth.User
    date_from: date | None
    date_to: date | None
    filters: dict = field(default_factory=dict)
    has_data: bool = True
    last_day: date | None = None  # the last day with data
    against: str = "previous"  # what the period is compared with (queries.COMPARISONS)

    @property
    def previous(self) -> tuple[date, date]:
        """The compared period: the one before, or the same dates a year before."""
        return queries.compared_period(self.date_from, self.date_to, self.against)

    def can(self, permission: str) -> bool:
        return self.user.can(permission)


PERIOD_CHOICES = ["month", "last_month", "week", "last_week", "7d", "30d", "quarter", "custom"]
PERIOD_LABELS = {"month": ("本月", "This month"), "last_month": ("上月", "Last month"),
                 "week": ("本周", "This week"), "last_week": ("上周", "Last week"),
                 "7d": ("近7天", "Last 7 days"), "30d": ("近30天", "Last 30 days"),
                 "quarter": ("近90天", "Last 90 days"), "custom": ("自定义", "Custom")}


FILTERS = ("shop", "team", "role", "shift")  # the sidebar's, each as f_<name> in the session
VIEW_PARAMS = ("period", "from", "to", "against", *FILTERS)


def _view_from_address() -> None:
    """A session's first run (a reload, a new tab, a shared link) opens on the period and
    filters its address names: `?period=last_month`, `?period=custom&from=2026-10-05&to=
    2026-10-12`, `?shop=旗舰店&shop=拼多多店`. What the session has already chosen stays;
    the sidebar drops what the data does not offer."""
    params = st.query_params
    if "f_period" not in st.session_state and params.get("period") in PERIOD_CHOICES:
        st.session_state["f_period"] = params["period"]
        try:
            if params["period"] == "custom":
                st.session_state["f_custom"] = tuple(sorted(date.fromisoformat(params.get(name, ""))
                                                            for name in ("from", "to")))
        except ValueError:  # no dates, or no dates of the calendar: this month (_custom_range)
            pass
    if "f_against" not in st.session_state and params.get("against") in queries.COMPARISONS:
        st.session_state["f_against"] = params["against"]
    for name in FILTERS:
        if f"f_{name}" not in st.session_state and name in params:
            st.session_state[f"f_{name}"] = params.get_all(name)


def _view_address(user: auth.User) -> dict[str, str | list[str]]:
    """The address's part for the view: the language (as _sync_language writes it), and the
    sidebar's period and filters where they are not the defaults."""
    params: dict[str, str | list[str]] = {"lang": "en"} if lang() == "en" else {}
    period = st.session_state.get("f_period")
    if period in PERIOD_CHOICES and period != "month":
        params["period"] = period
        custom = st.session_state.get("f_custom") or ()
        if period == "custom" and len(custom) == 2:
            params["from"], params["to"] = custom[0].isoformat(), custom[1].isoformat()
    if st.session_state.get("f_against") == "last_year":
        params["against"] = "last_year"
    if user.role != "agent":  # an agent's own account is the filter, whatever the address says
        params.update({name: list(st.session_state[f"f_{name}"]) for name in FILTERS
                       if st.session_state.get(f"f_{name}")})
    return params


def _view_to_address(user: auth.User) -> None:
    """Keep the period and filters in the address (other parameters stay as they are), so a
    reload or a copied link shows the same view."""
    wanted = _view_address(user)
    for name in VIEW_PARAMS:
        value = wanted.get(name, [])
        values = [value] if isinstance(value, str) else value
        if st.query_params.get_all(name) != values:
            if values:
                st.query_params[name] = value
            else:
                del st.query_params[name]


def _custom_range(first: date, last: date) -> tuple | list:
    """The custom dates picked (else this month), within the data: the date picker refuses
    dates outside it, and data starting mid-month or imports undone move its bounds. A
    range still being picked (one date so far) is left as it is."""
    picked = st.session_state.get("f_custom") or period_for("month", last)
    if len(picked) != 2:
        return picked
    start = min(max(picked[0], first), last)
    return start, max(min(picked[1], last), start)


def period_for(choice: str, last: date) -> tuple[date, date]:
    """A named period ending at the last day with data."""
    if choice == "month":
        return last.replace(day=1), last
    if choice == "last_month":
        end = last.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    if choice in ("week", "last_week"):
        monday = last - timedelta(days=last.weekday())
        return (monday, last) if choice == "week" else (monday - timedelta(days=7), monday - timedelta(days=1))
    days = {"7d": 7, "30d": 30, "quarter": 90}[choice]
    return last - timedelta(days=days - 1), last


def page_frame(
    title_zh: str,
    title_en: str,
    *,
    permission: str | None = "view_team",
    needs_data: bool = True,
    sidebar: bool = True,
) -> Frame:
    """Start a page: config, login, role check, filters. Stops the page when it must."""
    _sync_language()
    _view_from_address()
    st.set_page_config(
        page_title=f"{t(title_zh, title_en)} · {t(*APP_TITLE)}",
        page_icon="📊",
        layout="wide",
        initial_sidebar_state="expanded" if sidebar else "collapsed",
    )
    db = _database_or_stop()
    user = ensure_login(db)
    if permission and not user.can(permission):
        _refused(db, user)
    first, last = queries.data_range(db)
    frame = Frame(db, user, None, None, {}, has_data=last is not None, last_day=last)
    if sidebar:
        _sidebar(frame, first, last)
    elif last is not None:
        period = st.session_state.get("f_period", "7d")
        custom = _custom_range(first, last) if period == "custom" else ()
        frame.date_from, frame.date_to = custom if len(custom) == 2 else period_for(
            "month" if period == "custom" else period, last)
    if user.role == "agent":
        frame.filters = {"shop": user.shop, "account": user.account}
    if frame.has_data:
        _view_to_address(user)
    if needs_data and not frame.has_data:
        st.title(t(title_zh, title_en))
        _first_step(user)
        st.stop()
    return frame


def _first_step(user: auth.User) -> None:
    """What to do on an empty database: import, or, for a role that cannot open the Data
    page, who can."""
    if not user.can("import"):
        st.info(t("还没有任何数据。请店主或主管导入平台导出的客服绩效文件，之后这里就会显示。",
                  "No data yet. Ask the owner or a supervisor to import the platform's CS-performance exports; "
                  "the figures show here once they have."))
        return
    folder = inbox.inbox_dir()
    st.info(t("还没有任何数据。第一步：到「数据」页上传平台导出的客服绩效文件（xlsx / xls / csv），"
              f"或把文件放进收件箱文件夹 {folder}，看板会自动导入。",
              "No data yet. First step: upload your platform's CS-performance exports on the Data "
              f"page, or drop them into the inbox folder {folder} and the dashboard imports them."))
    st.page_link(PAGE_BY_URL["data"].file, label=t("去上传数据", "Upload data"), icon="⬆️")


def _remembered(widget_key: str, store_key: str, default) -> dict:
    """Carry a sidebar widget's value across pages: widget state is per page, so the value
    lives under `store_key`, is put into the widget before it is drawn, and is stored back
    by the widget's on_change (which runs before the page, so a change is never lost)."""
    st.session_state[widget_key] = st.session_state.get(store_key, default)
    return {"key": widget_key, "on_change": _store, "args": (widget_key, store_key)}


def _store(widget_key: str, store_key: str) -> None:
    st.session_state[store_key] = st.session_state[widget_key]


def _navigation(user: auth.User) -> None:
    """The role's pages, titled. Drawn by the frame rather than by Streamlit, so a cold deep
    link that runs a page before app.py ever ran shows the same navigation."""
    address = _view_address(user)  # a link opened in a new tab, too, shows the same period and filters
    with st.container(key="csperf-nav"):
        for spec in PAGES:
            if user.can(spec.permission):
                st.page_link(spec.file, label=t(spec.zh, spec.en), icon=spec.icon, query_params=address)


def _account_box(db: Database, user: auth.User) -> None:
    """The top of the sidebar: the role's pages, who is signed in, the language, sign-out."""
    _navigation(user)
    st.divider()
    st.caption(f"{user.username} · {auth.role_label(user.role, lang())}")
    _language_switch()
    # the form only once asked for: drawn on every page it would sit among each page's own fields
    if st.toggle(t("修改我的密码", "Change my password"), key="own_pw_open"):
        _own_password_form(db, user)
    if st.button(t("退出登录", "Sign out"), key="logout"):
        sign_out(db)


def _own_password_form(db: Database, user: auth.User) -> None:
    """Every user replaces their own password here (auth.change_own_password): otherwise only
    the owner sets passwords, and so knows everyone's."""
    with st.form("own_password", clear_on_submit=True, border=False):
        current = st.text_input(t("当前密码", "Current password"), type="password", key="own_pw_current")
        new = st.text_input(t(f"新密码（至少 {auth.MIN_PASSWORD_LENGTH} 个字符）",
                              f"New password (at least {auth.MIN_PASSWORD_LENGTH} characters)"),
                            type="password", key="own_pw_new")
        again = st.text_input(t("再输一次新密码", "New password again"), type="password", key="own_pw_again")
        if not st.form_submit_button(t("修改密码", "Change password")):
            return
    if new != again:
        st.error(t("两次输入的新密码不一致。", "The two new passwords differ."))
        return
    try:
        auth.change_own_password(db, user.username, current, new, st.session_state.get("session_token"))
    except ValueError as exc:
        error(exc)
    else:
        st.success(t("密码已修改；其他浏览器上的登录已退出。", "Password changed; other browsers were signed out."))


def _refused(db: Database, user: auth.User) -> None:
    """A page the role may not open (a link someone shared, say): the user keeps their own
    pages and sign-out, and gets a link to their first page, rather than a dead end."""
    with st.sidebar:
        _account_box(db, user)
    st.error(t("你的账号没有权限查看此页。", "Your account may not open this page."))
    home = next(spec for spec in PAGES if spec.file == home_page(user))
    st.page_link(home.file, label=t(f"去「{home.zh}」页", f"Go to {home.en}"), icon=home.icon)
    st.stop()


def _sidebar(frame: Frame, first: date | None, last: date | None) -> None:
    user = frame.user
    with st.sidebar:
        _account_box(frame.db, user)
        if last is None:
            return
        st.divider()
        period = st.selectbox(t("期间", "Period"), PERIOD_CHOICES, **_remembered("w_period", "f_period", "month"),
                              format_func=lambda v: t(*PERIOD_LABELS[v]))
        if period == "custom":
            st.session_state["f_custom"] = _custom_range(first, last)
            picked = st.date_input(t("起止日期", "Dates"), min_value=first, max_value=last,
                                   **_remembered("w_custom", "f_custom", None))
            if isinstance(picked, (tuple, list)) and len(picked) == 2:
                frame.date_from, frame.date_to = picked
            else:  # the second date is still being picked
                frame.date_from, frame.date_to = st.session_state["f_custom"]
        else:
            frame.date_from, frame.date_to = period_for(period, last)
        st.caption(f"{frame.date_from:%Y-%m-%d} ~ {frame.date_to:%Y-%m-%d}")
        frame.against = st.selectbox(t("对比", "Compare with"), queries.COMPARISONS,
                                     **_remembered("w_against", "f_against", "previous"),
                                     format_func=lambda v: views.against_label(v, lang()),
                                     help=t("变化、名次升降和下滑提醒对比的期间：上期，或去年同期（大促对大促）",
                                            "What changes, rank moves and slip alerts compare with: the period "
                                            "before, or the same dates last year (a promotion against a promotion)"))
        if user.role == "agent":
            return
        options = query("filter_options")
        for key, zh, en in (("shop", "店铺", "Shop"), ("team", "团队", "Team"), ("role", "岗位", "Role"),
                            ("shift", "班次", "Shift")):
            offered = options[key]
            if key == "team" and frame.filters.get("shop"):  # only the teams of the shops picked
                offered = sorted({team for shop in frame.filters["shop"] for team in options["teams_of"].get(shop, [])})
            if not offered:
                continue
            st.session_state[f"f_{key}"] = [v for v in st.session_state.get(f"f_{key}", []) if v in offered]
            picked = st.multiselect(t(zh, en), offered, **_remembered(f"w_{key}", f"f_{key}", []),
                                    format_func=(lambda v: fmt.role(v, lang())) if key == "role" else str,
                                    placeholder=t("全部", "All"),
                                    select_all=False)  # none picked already means all (and Streamlit's is English)
            if picked:
                frame.filters[key] = picked
        as_of = query("data_as_of")
        st.caption(t(f"数据截至 {as_of['last_date']:%Y-%m-%d}", f"Data as of {as_of['last_date']:%Y-%m-%d}"))


def period_notes(used: Iterable[Scheme], frame: Frame) -> None:
    """Say so where pay is shown for dates that are not the schemes' whole month or week, with
    a button to the latest whole one."""
    for note in views.period_notes(used, frame.date_from, frame.date_to, frame.last_day):
        text = note.text(frame.date_from, frame.date_to, frame.last_day, lang())
        if note.fit == "running":
            st.caption(text)
            continue
        st.warning(text)
        this = note.kind  # "month" or "week": the current one, when it is already whole
        choice = this if period_for(this, frame.last_day) == assessment_period(this, frame.last_day) else f"last_{this}"
        start, end = period_for(choice, frame.last_day)
        whole_zh, whole_en = {"month": ("整月", "whole month"), "week": ("整周", "whole week")}[note.kind]
        st.button(t(f"改看{whole_zh} {fmt.date_span(start, end)}", f"Show the {whole_en} {fmt.date_span(start, end)}"),
                  key=f"period_fit_{note.kind}", on_click=_store_period, args=(choice,))


def export_heading(frame: Frame, title: str, used: dict[str, Scheme], show_pay: bool, *, language: str) -> list[str]:
    """The lines above a leaderboard export (views.export_heading), with the pay caveats the
    page shows where pay is exported too. `language` is the page's, read during its run: an
    export built when clicked runs outside it, where lang() would fall back to Chinese."""
    notes = ([note.text(frame.date_from, frame.date_to, frame.last_day, language)
              for note in views.period_notes(used.values(), frame.date_from, frame.date_to, frame.last_day)]
             if show_pay else [])
    return views.export_heading(title, frame.date_from, frame.date_to, previous=frame.previous, scheme_names=used,
                                filters=frame.filters, notes=notes, last_day=frame.last_day,
                                exported_by=frame.user.username, exported_at=datetime.now(ZoneInfo(TIME_ZONE)),
                                lang=language, against=frame.against)


def show_period(date_from: date, date_to: date) -> None:
    """Set the sidebar's period to these dates (a custom range, clipped to the data) and
    open the overview on them."""
    first, last = query("data_range")
    start, end = max(date_from, first), min(date_to, last)
    st.session_state["f_period"], st.session_state["f_custom"] = "custom", (start, end)
    st.switch_page(PAGES[0].file)


def _store_period(choice: str) -> None:
    st.session_state["f_period"] = choice


def hide_sidebar() -> None:
    """Big-screen mode: no sidebar, no header, room for large type."""
    st.markdown(
        "<style>[data-testid='stSidebar'],[data-testid='stSidebarCollapsedControl'],"
        "header[data-testid='stHeader']{display:none !important}"
        ".block-container{padding-top:1.5rem;max-width:100% !important}</style>",
        unsafe_allow_html=True,
    )


def uploader_in_chinese(limit_mb: int, kinds: str) -> None:
    """Streamlit labels its file uploader's button and limit in English whatever the app's
    language; in Chinese, CSS writes Chinese over them (for every uploader on the page)."""
    if lang() != "zh":
        return
    button = "[data-testid='stFileUploaderDropzone'] button [data-testid='stMarkdownContainer'] p"
    limit = "[data-testid='stFileUploaderDropzoneInstructions'] span"
    st.html(f"<style>{button},{limit}{{font-size:0}}"
            f"{button}::after{{content:'选择文件';font-size:14px}}"
            f"{limit}::after{{content:'或拖放到这里 · 每个文件不超过 {limit_mb}MB · {kinds}';font-size:14px}}</style>")


def rows_height(rows: int, *, adding: bool = False) -> int:
    """Pixels for a table that shows all its rows (and a dynamic editor's add row) up to
    about twenty, past Streamlit's ten-row default: a roster is edited whole, not scrolled."""
    return min(38 + 35 * (rows + adding), 720)


def kpi_columns(frame: pd.DataFrame, names: list[str]) -> list[str]:
    """The KPI names of `names` that the data actually has values for."""
    return [n for n in names if n in frame.columns and frame[n].notna().any()]
