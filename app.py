"""csperf dashboard entry point: routes to the pages the user's role may open.

Signed out, every page stays routable so a deep link lands on its page, whose frame asks
for the login first and then shows the page that was asked for. The sidebar's page list
is drawn by that frame (ui.page_frame), the same whether or not this script ran first.
The bare address signs in and goes on to the user's first page at its own address, so a
link to /overview works like a link to any other page.
"""

import streamlit as st

from csperf import ui

user = st.session_state.get("user")
pages = [
    st.Page(spec.file, title=ui.t(spec.zh, spec.en), icon=spec.icon, url_path=spec.url)
    for spec in ui.PAGES
    if user is None or user.can(spec.permission)
]
st.navigation([st.Page(ui.go_home, title=ui.t(*ui.APP_TITLE), default=True), *pages], position="hidden").run()
