"""Step Through: read a text token by token and watch one layer's gates, cell and output.

The step view runs in the browser (:mod:`lstm_viz.ui.stepper`): stepping and playing need no server.
"""

import streamlit as st

from lstm_viz.ui import sidebar, stepper

sel = sidebar.explorer_page("Step Through")
st.caption(sel.layer_trace.spec.summary)  # a line, not a box: the cell's diagram belongs in the first screen
stepper.step_through(sel)
