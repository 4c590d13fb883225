"""csperf dashboard entry point: login first, then only the pages the user's role may open."""

import streamlit as st

from csperf import ui

user = ui.login_gate()
pages = [
    st.Page(spec.file, title=ui.t(spec.zh, spec.en), icon=spec.icon, url_path=spec.url,
            default=(spec.url == ("agent" if user.role == "agent" else "overview")))
    for spec in ui.PAGES
    if user.can(spec.permission)
]
st.navigation(pages).run()
