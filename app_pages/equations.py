"""Equations: the six LSTM equations in PyTorch's notation, then the same with one unit's numbers at one step."""

import streamlit as st

from lstm_viz import cell
from lstm_viz.analysis import equations
from lstm_viz.ui import latex, state, widgets

sel = widgets.explorer_page("Equations")
trace, layer = sel.trace, sel.layer_trace
n_steps, n_units = len(trace), layer.hidden_size
weights = equations.layer_weights(sel.loaded.module, sel.layer)

unit = widgets.unit_picker(n_units, where=st.columns([1, 4])[0])
step = widgets.step_controls(trace, "eq")
state.show_notices()
token = trace.tokens[step]
st.markdown(widgets.step_caption(trace, step) + f" · unit **{unit}** of layer {sel.layer + 1}")

if not layer.has_gates:
    st.info("A **vanilla RNN** has no gates and no cell state: one equation makes the whole step.")
    st.latex(cell.RNN_EQUATION_LATEX)
    terms = equations.gate_terms(layer, weights, step, unit, "hidden")
    st.latex(latex.gate_latex(terms, unit))
    for line in latex.term_lines(terms, sel.layer, token):
        st.markdown(f"- {line}")
    widgets.share_box("equations")
    st.stop()

st.latex(latex.equations_latex())
st.caption(
    "The names are PyTorch's: W_if is the slice of weight_ih that feeds the forget gate from the input x_t, W_hf the "
    "slice of weight_hh that feeds it from h_{t-1}, and each gate has two biases (b_if in bias_ih, b_hf in bias_hh). "
    "σ squashes to 0..1 (a gate: 0 shut, 1 open); tanh squashes to −1..1; ⊙ multiplies unit by unit."
)

st.subheader(f"With the numbers: unit {unit}, step {step}")
for gate in cell.GATES:
    terms = equations.gate_terms(layer, weights, step, unit, gate)
    st.latex(latex.gate_latex(terms, unit))
    with st.expander(f"Largest terms of the {cell.QUANTITY[gate].label}'s dot products"):
        for line in latex.term_lines(terms, sel.layer, token):
            st.markdown(f"- {line}")
update = equations.cell_update(layer, step, unit)
st.latex(latex.cell_latex(update, unit))

st.subheader("In plain words")
for sentence in equations.plain_words(update):
    st.markdown(f"- {sentence}")
widgets.share_box("equations")
