"""Step Through: read a text token by token and watch one layer's gates, cell and output."""

import time

import streamlit as st

from lstm_viz import cell
from lstm_viz.analysis import equations, units
from lstm_viz.plots import colours, strips
from lstm_viz.ui import state, widgets

sel = widgets.explorer_page("Step Through")
trace, layer = sel.trace, sel.layer_trace
quantities = layer.quantities()
n_steps, n_units = len(trace), layer.hidden_size
if not layer.has_gates:
    st.info(
        "This is a **vanilla RNN**: it has no gates and no cell state, only "
        "h_t = tanh(W_ih·x_t + b_ih + W_hh·h_{t-1} + b_hh). Shown: the hidden state and its pre-activation."
    )
if st.session_state.get("colour") not in quantities:
    st.session_state["colour"] = next(iter(quantities))

opts = st.columns([1, 2, 2, 2, 1], vertical_alignment="bottom")
unit = widgets.unit_picker(n_units, where=opts[0])
colour_by = opts[1].selectbox(
    "Colour tokens by", list(quantities), key="colour", format_func=cell.title, **widgets.KEEP
)
ranked = "cell" if "cell" in quantities else "hidden"
order_by = opts[2].selectbox(
    f"Order units by (their {cell.QUANTITY[ranked].label} over the whole text)",
    units.ORDERINGS,
    key="order",
    help="The gate strip's columns, left to right: by unit index, or by the variance, mean or saturation of each "
    "unit's values over every step of this text (not only the current step).",
    **widgets.KEEP,
)
speed = opts[3].slider("Play speed (tokens/s)", 1, 10, 3, key="st_speed", **widgets.KEEP)
playing = opts[4].toggle("Play", key="st_play", disabled=n_steps < 2)
order = units.unit_order(quantities[ranked], order_by)
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
    scale = colours.for_quantity(colour_by)
    values = quantities[colour_by][:, unit]
    st.html(
        strips.token_strip_html(
            trace.tokens,
            current=step,
            values=values,
            scale=scale,
            value_range=colours.quantity_range(colour_by, values),
            unknown={u.position for u in trace.unknown},
            window=widgets.STRIP_WINDOW,
        )
    )
    st.caption(
        f"Tokens coloured by unit {unit}'s {cell.QUANTITY[colour_by].label}; the outlined token is the current step. "
        "Hover a token for its value."
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
    shown_order = None if order_by == "index" else order
    st.html(strips.gate_strip_html({q: v[step] for q, v in quantities.items()}, order=shown_order, unit=unit))
    st.html(strips.strip_legend_html())
    widgets.share_box("step_through")


view()
