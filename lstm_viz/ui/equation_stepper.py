"""The Equations page's numbers, stepped in the browser: one component, KaTeX typesetting in the page.

For the shown model, text, layer and unit the server writes each step's *frame* once: the filled-in
equation of every block (:func:`lstm_viz.ui.latex.gate_latex`), the largest terms of its dot products,
the state update and the plain-words reading, the very strings the server-side view shows. The
browser (``stepper_static/equations.js``) typesets a step with KaTeX (:mod:`lstm_viz.ui.katex`, no
network) when the reader moves to it. The frames travel by chunk, as :mod:`lstm_viz.ui.frame_stepper`
describes.

Without JavaScript (AppTest) or with ``LSTM_VIZ_CLIENT_STEPPER=0`` the page draws :func:`server_view`,
a server round trip per step, from the same frames.
"""

from __future__ import annotations

import json

import streamlit as st

from lstm_viz.analysis import equations
from lstm_viz.engine import cell
from lstm_viz.engine.trace import Trace
from lstm_viz.ui import cache, controls, frame_stepper, latex, sidebar, stepper

KEY = "eq_stepper"
FALLBACK = "eq_fallback"  # the server-side view's container (CSS hides it while the component runs)
CHUNK = frame_stepper.CHUNK

COMPONENT = st.components.v2.component(
    "lstm_viz_equations",
    html=stepper.markup("equations.html"),
    css=stepper.css("stepper.css", "equations.css", fallback=(".lv-eqs", f".st-key-{FALLBACK}")),
    js=stepper.script("equations.js"),
    isolate_styles=False,
)
STEPPER = frame_stepper.FrameStepper(KEY, COMPONENT)


# --- frames --------------------------------------------------------------------------------------


def frame(trace: Trace, layer_index: int, weights: equations.LayerWeights, step: int, unit: int) -> dict:
    """Everything the page shows for one step of one unit of a layer: markdown (``**``, backticks) and LaTeX."""
    layer = trace.layers[layer_index]
    token = trace.tokens[step]
    blocks = []
    for block in layer.spec.blocks:
        terms = equations.gate_terms(layer, weights, step, unit, block)
        blocks.append(
            {
                "latex": latex.gate_latex(terms, unit),
                "title": f"Largest terms of the {cell.QUANTITY[block].label}'s dot products",
                "lines": latex.term_lines(terms, layer_index, token),
            }
        )
    update = equations.step_update(layer, step, unit)
    return {
        "caption": controls.step_caption(trace, step) + f" · unit **{unit}** of layer {layer_index}",
        "heading": f"With the numbers: unit {unit}, step {step}",
        "blocks": blocks,
        "update": latex.update_latex(update, unit),
        "words": equations.plain_words(update),
    }


def chunk(trace: Trace, layer_index: int, weights: equations.LayerWeights, unit: int, k: int) -> list[dict]:
    """The frames of chunk ``k``: steps ``k * CHUNK`` up to the next chunk's."""
    return [frame(trace, layer_index, weights, s, unit) for s in frame_stepper.chunk_steps(k, len(trace))]


def chunk_frames(sel: sidebar.Selection, unit: int, k: int) -> list[dict]:
    """:func:`chunk` of the page's view, built once and kept with the built charts (shared, bounded by bytes)."""
    key = ("eq_frames", sel.name, cache.version(sel.name), sel.text, sel.at_step, sel.layer, unit, k)

    def build() -> list[dict]:
        return chunk(sel.trace, sel.layer, equations.layer_weights(sel.model.module, sel.layer), unit, k)

    return cache.kept(key, build, lambda built: len(json.dumps(built)))


# --- the server-side view ------------------------------------------------------------------------


def draw_frame(f: dict) -> None:
    """One frame as Streamlit elements (the server-side view)."""
    st.markdown(f["caption"])
    st.subheader(f["heading"])
    for block in f["blocks"]:
        st.latex(block["latex"])
        with st.expander(block["title"]):
            for line in block["lines"]:
                st.markdown(f"- {line}")
    if f["update"] is not None:
        st.latex(f["update"])
    st.subheader("In plain words")
    for sentence in f["words"]:
        st.markdown(f"- {sentence}")


def server_view(sel: sidebar.Selection, unit: int) -> None:
    """The step controls and the numbers drawn by the server (the same frames): a fragment rerun per step."""
    with st.container(key=FALLBACK):
        # While the browser-side view may still start, it owns the keys (else one press could move two steps).
        step = controls.step_controls(sel.trace, "eq", shortcuts=not stepper.enabled() or STEPPER.failed())
        draw_frame(chunk_frames(sel, unit, step // CHUNK)[step % CHUNK])


def numbers(sel: sidebar.Selection, unit: int) -> None:
    """The component, and the server's view while it does not run."""
    ident = f"{sel.name}\0{sel.text}\0{sel.layer}\0{unit}\0{id(sel.trace)}"
    if not (stepper.enabled() and STEPPER.mount(ident, len(sel.trace), lambda k: chunk_frames(sel, unit, k))):
        server_view(sel, unit)
