"""lstm-viz: step through small, really trained LSTMs and see every gate with the numbers.

Run with ``streamlit run app.py``. This file sets the page up, declares the pages (listed in
``lstm_viz/ui/pages.py``), prepares the shared session state for the page about to run and runs it.
"""

import streamlit as st

from lstm_viz.ui import display, pages, state

st.set_page_config(layout="wide", page_title="lstm-viz", page_icon="🧠")

sections: dict[str, list] = {}
for section, path, title, icon in pages.PAGES:
    visibility = "hidden" if path in pages.HIDDEN else "visible"
    sections.setdefault(section, []).append(
        st.Page(path, title=title, icon=icon, default=path == pages.HOME, visibility=visibility)
    )
page = st.navigation(sections)
state.init(page.url_path or "home")
display.stylesheet()
page.run()
