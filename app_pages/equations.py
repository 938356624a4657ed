"""Equations: the equations of the model's kind of cell in PyTorch's notation, then the same with one unit's numbers."""

import streamlit as st

from lstm_viz.ui import controls, equation_stepper, katex, latex, sharing, sidebar, state, stepper

sel = sidebar.explorer_page("Equations")
spec = sel.layer_trace.spec

unit_at, note_at = st.columns([1, 4], vertical_alignment="bottom")
unit = controls.unit_picker(sel.layer_trace.hidden_size, where=unit_at)
controls.unit_note(note_at)
state.show_notices()

st.info(spec.summary)
st.latex(latex.equations_latex(spec.name))
st.caption(latex.NOTATION[spec.name])
if stepper.enabled():
    katex.mount()


@st.fragment
def numbers() -> None:
    """The filled-in equations at the step: stepped in the browser, or by the server where its script does not run."""
    equation_stepper.numbers(sel, unit)
    sharing.share_box("equations")


numbers()
