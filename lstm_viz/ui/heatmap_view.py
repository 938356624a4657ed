"""Gate Heatmaps' heatmap, drawn in the browser on a canvas: hover and click cost the server nothing to draw.

The server sends one quantity of the shown units over every step once per view (model, text, layer,
quantity, units shown): the values (float32, base64), the tokens, the colour scale's shades and range
(:mod:`lstm_viz.plots.colours`, as the Plotly heatmap had them), and the step and unit with a ``seq``.
The browser (``stepper_static/heatmap.js``) draws the cells, the lines of the current step and unit,
a colour bar, and the hovered cell's step, token, unit and exact value. A click moves the lines at
once, writes the step's caption and the unit's value boxes under the heatmap from every quantity of
the shown units (sent with the view, up to :data:`BOXES_MAX` values), and reports the cell; the server
makes it the shared step and unit (the line chart below follows).

Where the component's JavaScript does not run (AppTest; ``LSTM_VIZ_CLIENT_STEPPER=0``; a failure it
reports), the page draws the Plotly heatmap instead (:func:`lstm_viz.ui.cache.heatmap`). Once the
component has run in a session, later visits draw it alone.
"""

from __future__ import annotations

import base64

import numpy as np
import streamlit as st

from lstm_viz.engine import cell
from lstm_viz.plots import colours
from lstm_viz.plots.html import visible
from lstm_viz.ui import cache, state, stepper

KEY = "hm_canvas"
_SENT = "_hm_sent"
NARROW_STEPS = 500  # above this many steps a step can be narrower than a pixel on a projector's page
BOXES_MAX = 320_000  # values (steps x units shown x quantities) the browser gets for its value boxes: 200 tokens x 256
# units x 6 quantities (1.7 MB as sent); a longer view's boxes come from the server after a click
_RAN = "_hm_ran"  # the component has run in this session: later visits need no Plotly stand-in

COMPONENT = st.components.v2.component(
    "lstm_viz_heatmap",
    html=(stepper.FILES / "heatmap.html").read_text(encoding="utf-8"),
    css=stepper.css("stepper.css", "heatmap.css"),
    js=stepper.script("heatmap.js"),
    isolate_styles=False,
)


def boxes(quantities: dict[str, np.ndarray], shown) -> dict | None:
    """Every quantity of the ``shown`` units at every step, for the value boxes the browser draws under a clicked
    cell (as :func:`lstm_viz.ui.display.unit_metrics` labels them); None above :data:`BOXES_MAX` values (the
    server's boxes then follow a click)."""
    steps = len(next(iter(quantities.values())))
    if steps * len(shown) * len(quantities) > BOXES_MAX:
        return None
    block = np.stack([np.asarray(v, dtype=np.float32)[:, list(shown)] for v in quantities.values()], axis=2)
    return {
        "labels": [f"{cell.symbol(name)} · {cell.QUANTITY[name].label}" for name in quantities],
        "values": base64.b64encode(np.ascontiguousarray(block).tobytes()).decode("ascii"),  # step, unit, quantity
    }


def payload(
    values: np.ndarray, tokens: list[str], quantity: str, shown, ident: str, quantities=None, unknown=()
) -> dict:
    """What the browser draws: ``values`` (steps x units) of the ``shown`` units, their colours and labels, and
    (given the layer's ``quantities``) the value boxes' numbers with the caption's unknown pieces."""
    z = np.ascontiguousarray(np.asarray(values, dtype=np.float32)[:, list(shown)])
    lo, hi = colours.quantity_range(quantity, z)
    scale = colours.for_quantity(quantity)
    return {
        "id": ident,
        "n": int(z.shape[0]),
        "units": [int(u) for u in shown],
        "values": base64.b64encode(z.tobytes()).decode("ascii"),  # little-endian float32, row by row (a step)
        "tokens": [visible(t) for t in tokens],
        "range": [float(lo), float(hi)],
        "shades": [bg for bg, _ in colours.palette(scale.name)],
        "symbol": cell.symbol(quantity),
        "title": cell.title(quantity),
        "outline": colours.OUTLINE,
        "boxes": boxes(quantities, shown) if quantities else None,
        "unknown": [[u.position, visible(u.replacement)] for u in unknown],
    }


def view_payload(sel, quantity: str, shown) -> dict:
    """:func:`payload` of the page's view (``sel``: a sidebar Selection), built once and shared by the sessions."""
    key = ("hm_canvas", sel.name, cache.version(sel.name), sel.text, sel.layer, sel.at_step, quantity, tuple(shown))
    ident = "\0".join(map(str, key))
    layer = sel.layer_trace

    def build() -> dict:
        return payload(
            layer.quantity(quantity), sel.trace.tokens, quantity, shown, ident, layer.quantities(), sel.trace.unknown
        )

    return cache.kept(
        key, build, lambda found: 2 * (len(found["values"]) + len((found["boxes"] or {}).get("values", "")))
    )


def _report() -> dict:
    return stepper.reported(KEY)


def live() -> bool:
    """Whether the canvas runs on this page: it reported on this mount, or ran earlier in the session."""
    report = _report()
    if not stepper.enabled() or report.get("failed"):
        return False
    return bool(report.get("live")) or bool(st.session_state.get(_RAN))


def _on_report() -> None:
    """A click (or the first report): the clicked cell becomes the shared step and unit."""
    ss, report, sent = st.session_state, _report(), st.session_state.get(_SENT)
    if report.get("failed"):
        ss[_RAN] = False
        return
    if sent is None or report.get("id") != sent["id"]:
        return
    if report.get("resend"):  # a new copy of the component was handed a move without the data: send it all
        ss[_SENT] = {**sent, "id": None}  # the next run sends it all, as a new view (its seq counts on)
        return
    ss[_RAN] = True
    if not report.get("moved"):
        return
    try:
        step, unit = int(report["step"]), int(report["unit"])
    except (KeyError, TypeError, ValueError, OverflowError):
        return
    if 0 <= step < sent["n"] and unit in sent["units"]:
        ss["step"] = step
        state.choose_unit(unit)


def mount(found: dict, step: int, unit: int) -> bool:
    """Draw the canvas heatmap of ``found`` (:func:`payload`) at this step and unit; True while it runs."""
    ss = st.session_state
    sent, report = ss.get(_SENT), _report()
    view = {"step": int(step), "unit": int(unit)}
    new = KEY not in ss or sent is None or sent["id"] != found["id"]  # a new mount (a return to the page) or view
    if not new and sent["view"] != view:
        clicked = {"step": report.get("step"), "unit": report.get("unit")} == view
        if report.get("id") == sent["id"] and report.get("seq") == sent["seq"] and clicked:
            sent = {**sent, "view": view}  # the browser drew this view itself (a click): its data need not change
        else:
            new = True  # the server moved the step or unit
    if new:
        seq = (sent or {}).get("seq", 0) + 1
        whole = KEY not in ss or sent is None or sent["id"] != found["id"]  # else the browser has the data: a move
        sent = {"id": found["id"], "n": found["n"], "units": found["units"], "view": view, "seq": seq}
        sent["data"] = {**found, **view, "seq": seq} if whole else {"id": found["id"], **view, "seq": seq}
    ss[_SENT] = sent
    COMPONENT(key=KEY, data=sent["data"], on_view_change=_on_report)
    return live()
