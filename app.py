"""lstm-viz: step through small, really trained LSTMs and see every gate with the numbers.

Run with ``streamlit run app.py``. This file sets the page up, declares the pages (add one
``st.Page`` line per page to PAGES), prepares the shared session state and runs the page.
"""

import streamlit as st

from lstm_viz.ui import state

st.set_page_config(layout="wide", page_title="lstm-viz", page_icon="🧠")

PAGES = {
    "Explore": [
        st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("app_pages/step_through.py", title="Step Through", icon=":material/footprint:"),
        st.Page("app_pages/heatmaps.py", title="Gate Heatmaps", icon=":material/grid_on:"),
        st.Page("app_pages/equations.py", title="Equations", icon=":material/function:"),
    ],
    "Models": [
        st.Page("app_pages/generate.py", title="Generate", icon=":material/edit_note:"),
        st.Page("app_pages/classify.py", title="Classify", icon=":material/label:"),
        st.Page("app_pages/rnn_vs_lstm.py", title="RNN vs LSTM", icon=":material/compare_arrows:"),
        st.Page("app_pages/train.py", title="Train", icon=":material/model_training:"),
    ],
}

state.init()
st.navigation({section: pages for section, pages in PAGES.items() if pages}).run()
