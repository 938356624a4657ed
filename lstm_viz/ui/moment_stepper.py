"""The Neuron Lab's ranking at a step ("A moment"), stepped in the browser.

For the shown model, text, layer and ranking the server writes each step's *frame* once
(:func:`frame`): the step's caption, the sentence on the best unit
(:func:`lstm_viz.analysis.search.describe_moment`), the table of the :data:`TOP` units whose change
is largest there (:func:`lstm_viz.analysis.search.by_moment`), and the units and scale of the chart
of the first five along the text, or the notice of a step with nothing before it. With a new view
go, once, the charted quantity's values of every unit some step charts (:func:`series`). The frames
travel by chunk (:mod:`lstm_viz.ui.frame_stepper`); the browser (``stepper_static/moment.js``) draws
a step the moment the reader moves to it, and a row chosen in its table becomes the unit of every page.

Without JavaScript (AppTest) or with ``LSTM_VIZ_CLIENT_STEPPER=0`` the page draws the same frames
with Streamlit's table and a Plotly chart (:func:`server_view`), a server round trip per step.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import streamlit as st

from lstm_viz.analysis import features, search
from lstm_viz.engine import cell
from lstm_viz.plots import colours, lab
from lstm_viz.plots.html import visible
from lstm_viz.ui import cache, controls, frame_stepper, sidebar, state, stepper

KEY = "lab_moment_stepper"
FALLBACK = "lab_moment_fallback"  # the server-side view's container (CSS hides it while the component runs)
TOP = 8  # units in the table
CHARTED = 5  # of them, the first in the chart along the text
COLUMNS = ("unit", "change here", "before", "after", "reacts like this elsewhere")

COMPONENT = st.components.v2.component(
    "lstm_viz_moment",
    html=stepper.markup("moment.html"),
    css=stepper.css("stepper.css", "moment.css", fallback=(".lv-moment", f".st-key-{FALLBACK}")),
    js=stepper.script("moment.js"),
    isolate_styles=False,
)
STEPPER = frame_stepper.FrameStepper(KEY, COMPONENT)


def charted(how: str) -> str:
    """The quantity the chart along the text shows for the ranking ``how``: the one it ranks (``"write"``: i · g)."""
    return search.MOMENTS[how][0]


def _named(quantity: str) -> tuple[str, str]:
    """A charted quantity's symbol and title (the write is no quantity of the cell: i · g)."""
    if quantity == "write":
        return "i·g", "i · g, the write"
    return cell.symbol(quantity), cell.title(quantity)


# --- frames --------------------------------------------------------------------------------------


def _elsewhere(found: search.UnitMoment) -> str:
    return f"{len(found.also)} step{'s' * (len(found.also) != 1)} ({found.share_elsewhere:.0%})"


def frame(trace, layer_index: int, text: str, how: str, step: int, charted_values=None) -> dict:
    """Everything the moment's view shows at one step, but the values along the text (:func:`series`).

    ``charted_values``: ``search.series`` of the charted quantity, when the caller has it (a chunk reads it once).
    """
    layer = trace.layers[layer_index]
    caption = controls.step_caption(trace, step)
    if not search.has_step_before(how, step):
        return {"caption": caption, "notice": search.no_step_before(how)}
    found = search.by_moment(layer, step, how, top=TOP)
    spans = trace.spans or [(t, t + 1) for t in range(len(trace))]
    common = features.common_feature(text, spans, found[0].also)
    units = [f.unit for f in found[:CHARTED]]
    if charted_values is None:
        charted_values = search.series(layer, charted(how))
    lo, hi = colours.quantity_range(charted(how), charted_values[:, units])
    if search.MOMENTS[how][1] == "value":  # the write, ranked by its size: no before and after
        columns = ["unit", "|i · g| here", "i · g", "writes this much elsewhere"]
        rows = [[f.unit, round(f.score, 4), round(f.after, 4), _elsewhere(f)] for f in found]
    else:
        columns = [*COLUMNS[:2], "before" + (" (initial state)" if found[0].from_initial else ""), *COLUMNS[3:]]
        rows = [[f.unit, *(round(v, 4) for v in (f.score, f.before, f.after)), _elsewhere(f)] for f in found]
    return {
        "caption": caption,
        "info": search.describe_moment(found[0], how, trace.tokens, common),
        "columns": columns,
        "rows": rows,
        "units": units,
        "range": [float(lo), float(hi)],
    }


def chunk(trace, layer_index: int, text: str, how: str, k: int) -> list[dict]:
    """The frames of chunk ``k``."""
    values = search.series(trace.layers[layer_index], charted(how))
    return [frame(trace, layer_index, text, how, s, values) for s in frame_stepper.chunk_steps(k, len(trace))]


def _key(sel: sidebar.Selection, how: str) -> tuple:
    return (sel.name, cache.version(sel.name), sel.text, sel.at_step, sel.layer, how)


def chunk_frames(sel: sidebar.Selection, how: str, k: int) -> list[dict]:
    """:func:`chunk` of the page's view, built once and kept with the built charts (shared, bounded by bytes)."""
    return cache.kept(
        ("lab_frames", *_key(sel, how), k),
        lambda: chunk(sel.trace, sel.layer, sel.text, how, k),
        lambda built: len(json.dumps(built)),
    )


def series(layer, tokens: list[str], how: str) -> dict:
    """The charted quantity along the text of every unit that some step's chart shows (float32, base64)."""
    quantity = charted(how)
    units = sorted({u for row in search.top_units(layer, how, CHARTED).tolist() for u in row})
    values = np.ascontiguousarray(np.asarray(search.series(layer, quantity), dtype=np.float32)[:, units])
    symbol, title = _named(quantity)
    return {
        "units": units,
        "values": base64.b64encode(values.tobytes()).decode("ascii"),  # little-endian float32, a step's row by row
        "tokens": [visible(t) for t in tokens],
        "symbol": symbol,
        "title": f"{title} of each unit along the text",
        "colours": [colours.class_colour(i) for i in range(CHARTED)],
        "outline": colours.OUTLINE,
    }


def view_series(sel: sidebar.Selection, how: str) -> dict:
    """:func:`series` of the page's view, built once and shared by the sessions."""
    return cache.kept(
        ("lab_series", *_key(sel, how)),
        lambda: series(sel.layer_trace, sel.trace.tokens, how),
        lambda found: 2 * len(found["values"]),
    )


def mount(sel: sidebar.Selection, how: str) -> bool:
    """The component at the session's step; True while its JavaScript runs."""
    ident = "\0".join(map(str, (*_key(sel, how), id(sel.trace))))
    frames_of = lambda k: chunk_frames(sel, how, k)  # noqa: E731
    return STEPPER.mount(
        ident, len(sel.trace), frames_of, extra=view_series(sel, how), units=sel.layer_trace.hidden_size
    )


# --- the server-side view ------------------------------------------------------------------------


def server_view(sel: sidebar.Selection, how: str) -> None:
    """The step slider and the step's frame drawn by the server: a table to pick from and a Plotly chart."""
    trace, n_steps = sel.trace, len(sel.trace)
    with st.container(key=FALLBACK):
        step = st.slider("At step", 0, n_steps - 1, key="step", **state.KEEP) if n_steps > 1 else 0
        f = chunk_frames(sel, how, step // frame_stepper.CHUNK)[step % frame_stepper.CHUNK]
        st.markdown(f["caption"])
        if "notice" in f:
            st.info(f["notice"], icon=":material/first_page:")
            return
        st.info(f["info"], icon=":material/psychology:")
        controls.unit_table([dict(zip(f["columns"], row, strict=True)) for row in f["rows"]], "lab_moment_table")
        quantity = charted(how)
        values = search.series(sel.layer_trace, quantity)
        st.plotly_chart(
            cache.figure(lab.unit_traces, values, trace.tokens, f["units"], quantity, step=step),
            key="lab_moment_traces",
        )


def view(sel: sidebar.Selection, how: str) -> None:
    """The component, and the server's view while it does not run."""
    if not (stepper.enabled() and mount(sel, how)):
        server_view(sel, how)
