"""Step Through: read a text token by token and watch one layer's gates, cell and output.

The step view runs in the browser (:mod:`lstm_viz.ui.stepper`): stepping and playing need no server.
"""

import streamlit as st

from lstm_viz.ui import stepper, widgets

sel = widgets.explorer_page("Step Through")
if not sel.layer_trace.has_gates and "preactivation" in sel.layer_trace.quantities():
    st.info(
        "This is a **vanilla RNN**: it has no gates and no cell state, only "
        "h_t = tanh(W_ih·x_t + b_ih + W_hh·h_{t-1} + b_hh). Shown: the hidden state and its pre-activation."
    )
stepper.step_through(sel)
