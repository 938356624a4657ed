"""Step Through: read a text token by token and watch one layer's gates, cell and output."""

import time

import streamlit as st

from lstm_viz import plots
from lstm_viz.analysis import equations, units
from lstm_viz.ui import state, widgets

sel = widgets.explorer_page("Step Through")
trace, layer = sel.trace, sel.layer_trace
quantities = layer.quantities()
n_steps, n_units = len(trace), layer.hidden_size
if not layer.has_gates:
    st.info(
        "This is a **vanilla RNN**: it has no gates and no cell state, only "
        "h_t = tanh(W_x·x_t + W_h·h_{t-1} + b). Shown: the hidden state and its pre-activation."
    )

opts = st.columns([1, 2, 2, 2, 2], vertical_alignment="bottom")
unit = widgets.unit_picker(n_units, where=opts[0])
colour_by = opts[1].selectbox(
    "Colour tokens by", list(quantities), key="st_colour", format_func=lambda q: plots.QUANTITY_LABELS.get(q, q)
)
order_by = opts[2].selectbox("Order units by", units.ORDERINGS, key="st_order")
speed = opts[3].slider("Play speed (tokens/s)", 1, 10, 3, key="st_speed")
playing = opts[4].toggle("Play", key="st_play", disabled=n_steps < 2)
order = units.unit_order(quantities["cell" if "cell" in quantities else "hidden"], order_by)
state.show_notices()


@st.fragment(run_every=1.0 / speed if playing else None)
def view() -> None:
    """Everything that changes with the step; a step change reruns only this."""
    if playing:
        last = st.session_state.get("_st_last_tick", 0.0)
        if time.monotonic() - last >= 0.8 / speed:
            st.session_state["_st_last_tick"] = time.monotonic()
            if st.session_state["step"] >= n_steps - 1:
                st.session_state["st_play"] = False
                st.rerun(scope="app")
            st.session_state["step"] += 1
    step = widgets.step_controls(trace, "st")
    st.markdown(widgets.step_caption(trace, step))
    st.html(
        widgets.token_strip_html(
            trace.tokens,
            current=step,
            values=quantities[colour_by][:, unit],
            unknown={u.position for u in trace.unknown},
            window=400,
        )
    )
    st.caption(
        f"Tokens coloured by unit {unit}'s {plots.QUANTITY_LABELS.get(colour_by, colour_by).split('  ')[-1]} "
        "(blue low, red high); the outlined token is the current step. Hover a token for its value."
    )
    widgets.unit_metrics(quantities, step, unit)
    left, right = st.columns([5, 4], gap="large")
    with left:
        st.subheader(f"Unit {unit} inside the cell at step {step}")
        if layer.has_gates:
            update = equations.cell_update(layer, step, unit)
            widgets.cell_diagram(widgets.diagram_values(update, layer, step, unit, trace.tokens[step]))
            for sentence in equations.plain_words(update):
                st.markdown(f"- {sentence}")
        else:
            st.latex(rf"h_t = \tanh({layer.preactivation[step, unit]:.4f}) = {layer.hidden[step, unit]:.4f}")
    with right:
        st.subheader("Model output")
        widgets.model_output(trace, step)
    st.subheader(f"All {n_units} units of layer {sel.layer + 1} at step {step}")
    st.html(plots.gate_strip_html({q: v[step] for q, v in quantities.items()}, order=order, unit=unit))
    st.caption(widgets.STRIP_LEGEND)
    state.sync_query_params()


view()
