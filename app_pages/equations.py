"""Equations: the equations of the model's kind of cell in PyTorch's notation, then the same with one unit's numbers."""

import streamlit as st

from lstm_viz.analysis import equations
from lstm_viz.engine import cell
from lstm_viz.ui import controls, latex, sharing, sidebar, state

sel = sidebar.explorer_page("Equations")
trace, layer = sel.trace, sel.layer_trace
spec = layer.spec
n_steps, n_units = len(trace), layer.hidden_size
weights = equations.layer_weights(sel.model.module, sel.layer)

unit_at, note_at = st.columns([1, 4], vertical_alignment="bottom")
unit = controls.unit_picker(n_units, where=unit_at)
controls.unit_note(note_at)
step = controls.step_controls(trace, "eq")
state.show_notices()
token = trace.tokens[step]
st.markdown(controls.step_caption(trace, step) + f" · unit **{unit}** of layer {sel.layer}")

st.info(spec.summary)
st.latex(latex.equations_latex(spec.name))
st.caption(latex.NOTATION[spec.name])

st.subheader(f"With the numbers: unit {unit}, step {step}")
for block in spec.blocks:
    terms = equations.gate_terms(layer, weights, step, unit, block)
    st.latex(latex.gate_latex(terms, unit))
    with st.expander(f"Largest terms of the {cell.QUANTITY[block].label}'s dot products"):
        for line in latex.term_lines(terms, sel.layer, token):
            st.markdown(f"- {line}")
update = equations.step_update(layer, step, unit)
if (filled := latex.update_latex(update, unit)) is not None:
    st.latex(filled)

st.subheader("In plain words")
for sentence in equations.plain_words(update):
    st.markdown(f"- {sentence}")
sharing.share_box("equations")
