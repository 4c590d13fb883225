"""csperf dashboard entry point: the navigation, limited to the pages the user's role may open.

Signed out, every page stays routable (hidden) so a deep link lands on its page, whose
frame asks for the login first and then shows the page that was asked for.
"""

import streamlit as st

from csperf import ui

user = st.session_state.get("user")
pages = [
    st.Page(spec.file, title=ui.t(spec.zh, spec.en), icon=spec.icon, url_path=spec.url,
            default=(spec.url == ("agent" if user is not None and user.role == "agent" else "overview")))
    for spec in ui.PAGES
    if user is None or user.can(spec.permission)
]
st.navigation(pages, position="sidebar" if user is not None else "hidden").run()
