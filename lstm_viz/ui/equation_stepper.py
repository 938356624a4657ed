"""The Equations page's numbers, stepped in the browser: one component, KaTeX typesetting in the page.

For the shown model, text, layer and unit the server writes each step's *frame* once: the filled-in
equation of every block (:func:`lstm_viz.ui.latex.gate_latex`), the largest terms of its dot products,
the state update and the plain-words reading, the very strings the server-side view shows. It sends
them in chunks of :data:`CHUNK` steps; the browser (``stepper_static/equations.js``) typesets a step
with KaTeX (:mod:`lstm_viz.ui.katex`, no network) when the reader moves to it, so a step costs the
server nothing. The step goes back 300 ms after the last change (session key ``step``), for the share
link and the other pages; a chunk the browser lacks it asks for at once, and those beside it ahead.

The protocol (``st.components.v2``), as for Step Through's stepper (:mod:`lstm_viz.ui.stepper`):

- server -> browser, ``data``: ``id`` (model, text, layer and unit), ``n`` steps, ``chunk`` size,
  ``step`` with ``seq`` (sent anew only when the server changed the step), ``frames`` by chunk.
- browser -> server, state ``view``: ``id``, ``seq``, ``step``, ``moved``, ``need`` (chunks) and ``req``.

Without JavaScript (AppTest) or with ``LSTM_VIZ_CLIENT_STEPPER=0`` the page draws :func:`server_view`,
a server round trip per step, from the same frames.
"""

from __future__ import annotations

import json

import streamlit as st

from lstm_viz.analysis import equations
from lstm_viz.engine import cell
from lstm_viz.engine.trace import Trace
from lstm_viz.plots import html
from lstm_viz.ui import cache, controls, latex, sidebar, stepper

KEY = "eq_stepper"
FALLBACK = "eq_fallback"  # the server-side view's container (CSS hides it while the component runs)
CHUNK = 32  # steps per chunk of frames
AHEAD = 1  # chunks sent beside the one asked for, on each side
MAX_CHUNKS_PER_SEND = 4
_SENT = "_eq_sent"

COMPONENT = st.components.v2.component(
    "lstm_viz_equations",
    html=(stepper.FILES / "equations.html").read_text(encoding="utf-8"),
    css=html.css_variables()
    + (stepper.FILES / "stepper.css").read_text(encoding="utf-8")
    + (stepper.FILES / "equations.css").read_text(encoding="utf-8"),
    js=stepper.script("equations.js"),
    isolate_styles=False,
)


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
    return [frame(trace, layer_index, weights, s, unit) for s in range(k * CHUNK, min((k + 1) * CHUNK, len(trace)))]


def chunk_frames(sel: sidebar.Selection, unit: int, k: int) -> list[dict]:
    """:func:`chunk` of the page's view, built once and kept with the built charts (shared, bounded by bytes)."""
    key = ("eq_frames", sel.name, cache.version(sel.name), sel.text, sel.at_step, sel.layer, unit, k)

    def build() -> list[dict]:
        return chunk(sel.trace, sel.layer, equations.layer_weights(sel.model.module, sel.layer), unit, k)

    return cache.kept(key, build, lambda built: len(json.dumps(built)))


def chunks_around(step: int, n_steps: int) -> list[int]:
    """The chunk of ``step`` first, then those beside it (AHEAD on each side) that exist."""
    k, last = step // CHUNK, (n_steps - 1) // CHUNK
    return [k] + [j for d in range(1, AHEAD + 1) for j in (k - d, k + d) if 0 <= j <= last]


# --- the browser's reports ------------------------------------------------------------------------


def _report() -> dict:
    return stepper.reported(KEY)


def live() -> bool:
    """True once the component's JavaScript runs on this mount of the page (it reported, and did not fail)."""
    report = _report()
    return stepper.enabled() and bool(report.get("live")) and not report.get("failed")


def failed() -> bool:
    return bool(_report().get("failed"))


def _checked_step(report: dict, sent: dict) -> int | None:
    try:
        step = int(report["step"])
    except (KeyError, TypeError, ValueError):
        return None
    return step if 0 <= step < sent["n"] else None


def _on_report() -> None:
    """A report arrived: the browser's step becomes the session's, if it is about what this session sent."""
    ss, report, sent = st.session_state, _report(), st.session_state.get(_SENT)
    if sent is None or report.get("id") != sent["id"] or report.get("seq") != sent["seq"]:
        return
    if report.get("moved") and (step := _checked_step(report, sent)) is not None:
        ss["step"] = step


# --- what the browser is sent ---------------------------------------------------------------------


def _with_frames(sent: dict, sel, unit: int, chunks: list[int]) -> dict:
    frames = {str(k): chunk_frames(sel, unit, k) for k in chunks}
    return {**sent, "data": {**sent["data"], "frames": frames}}


def mount(sel: sidebar.Selection, unit: int) -> bool:
    """Draw the component for this unit at the session's step; True while its JavaScript runs.

    Call inside the page's fragment. The data is the same object as last time unless there is
    something new for the browser (Streamlit then sends a reference to what the browser has).
    """
    ss = st.session_state
    n, step = len(sel.trace), int(ss["step"])
    ident = f"{sel.name}\0{sel.text}\0{sel.layer}\0{unit}\0{id(sel.trace)}"
    sent, report = ss.get(_SENT), _report()
    about_this = sent is not None and report.get("id") == sent["id"]
    if (
        KEY not in ss
        or sent is None
        or sent["id"] != ident
        or (about_this and report.get("seq") == sent["seq"] and _checked_step(report, sent) != step)
    ):  # a new mount, a new view, or the server moved the step since the browser's report
        seq = (sent or {}).get("seq", 0) + 1
        sent = {"id": ident, "seq": seq, "n": n, "req": report.get("req")}  # the browser counts on from there
        sent["data"] = {"id": ident, "n": n, "chunk": CHUNK, "seq": seq, "step": step, "frames": {}}
        sent = _with_frames(sent, sel, unit, chunks_around(step, n))
    elif about_this and report.get("req") not in (None, sent["req"]) and report.get("need"):
        last = (n - 1) // CHUNK
        need = [k for k in report.get("need") or [] if isinstance(k, int) and 0 <= k <= last]
        sent = _with_frames({**sent, "req": report["req"]}, sel, unit, need[:MAX_CHUNKS_PER_SEND])
    ss[_SENT] = sent
    COMPONENT(key=KEY, data=sent["data"], on_view_change=_on_report)
    return live()


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
        step = controls.step_controls(sel.trace, "eq", shortcuts=not stepper.enabled() or failed())
        draw_frame(chunk_frames(sel, unit, step // CHUNK)[step % CHUNK])


def numbers(sel: sidebar.Selection, unit: int) -> None:
    """The component, and the server's view while it does not run."""
    if not (stepper.enabled() and mount(sel, unit)):
        server_view(sel, unit)
