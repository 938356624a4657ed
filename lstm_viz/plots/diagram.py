"""The cell diagrams (assets/lstm_cell.svg, gru_cell.svg, rnn_cell.svg: ``cell.KINDS[kind].diagram``) with one
unit's live numbers written into their slots.

Each SVG holds empty ``<text id="val-NAME">`` slots (``SLOTS`` of its kind) and ``<rect id="box-X">``
boxes (``BOXES``: X is a quantity's symbol), which are filled with that quantity's colour.
"""

from __future__ import annotations

import html
import re

from lstm_viz.analysis import equations
from lstm_viz.engine import cell
from lstm_viz.plots import colours

SLOTS = {  # the numbers each kind's diagram shows (and the token x_t)
    "lstm": ("c_prev", "f", "i", "g", "o", "kept", "written", "c", "tanh_c", "h", "h_prev", "token"),
    "gru": ("h_prev", "r", "z", "n", "kept", "one_minus_z", "written", "h", "token"),
    "rnn": ("h_prev", "pre", "h", "token"),
}
BOXES = {"lstm": ("f", "i", "g", "o"), "gru": ("r", "z", "n"), "rnn": ("h",)}  # boxes coloured by their value


def _by_symbol(kind: str) -> dict[str, str]:
    """symbol -> quantity name of a kind's quantities ("n" -> "new_gate" for a GRU)."""
    return {cell.QUANTITY[q].symbol: q for q in cell.KINDS[kind].quantities}


def _fill_box(svg: str, name: str, quantity: str, value: float) -> str:
    """Colour box ``name`` by its value on its quantity's scale (as everywhere else), its text readable on it."""
    background = colours.for_quantity(quantity).colour(value, colours.quantity_range(quantity))
    text = colours.text_on(background)
    svg = re.sub(rf'(<rect id="box-{name}"[^>]*?fill=")[^"]*(")', rf"\g<1>{background}\g<2>", svg)
    for part in ("lab", "val"):
        svg = svg.replace(f'<text id="{part}-{name}"', f'<text id="{part}-{name}" fill="{text}"', 1)
    return svg


def annotated_cell_svg(svg: str, values: dict[str, float] | None = None, kind: str = "lstm") -> str:
    """A kind's cell diagram (``svg``, its file's text) with live numbers filled in.

    Each slot ``val-NAME`` gets ``values[NAME]`` formatted to 3 decimals (strings are escaped); the
    boxes of ``BOXES[kind]`` are filled with their value's colour. Unknown names are ignored.
    """
    boxes = _by_symbol(kind)
    for name, value in (values or {}).items():
        if name in BOXES[kind] and isinstance(value, float):
            svg = _fill_box(svg, name, boxes[name], value)
        slot = f'id="val-{name}"'
        at = svg.find(slot)
        if at < 0:
            continue
        close = svg.find("</text>", at)
        open_end = svg.find(">", at)
        shown = html.escape(value) if isinstance(value, str) else f"{value:+.3f}"
        svg = svg[: open_end + 1] + shown + svg[close:]
    return svg


def values_of(update, token: str) -> dict:
    """The slots of a diagram for one unit at one step (``update``: what ``equations.step_update`` returns)."""
    if isinstance(update, equations.GRUUpdate):
        z = update.update_gate
        found = {"h_prev": update.h_prev, "r": update.reset_gate, "z": z, "n": update.new_gate}
        found |= {"kept": update.kept, "one_minus_z": 1 - z, "written": update.written, "h": update.hidden}
    elif isinstance(update, equations.RNNUpdate):
        found = {"h_prev": update.h_prev, "pre": update.preactivation, "h": update.hidden}
    else:
        found = {
            "c_prev": update.c_prev,
            "f": update.forget_gate,
            "i": update.input_gate,
            "g": update.candidate,
            "o": update.output_gate,
            "kept": update.kept,
            "written": update.written,
            "c": update.cell,
            "tanh_c": update.tanh_cell,
            "h": update.hidden,
            "h_prev": update.h_prev,
        }
    return {**found, "token": repr(token)}


def describe(values: dict | None, kind: str = "lstm") -> str:
    """The diagram's numbers as one line of text (its text alternative)."""
    if not values:
        names = [q for q in cell.KINDS[kind].quantities if q != "preactivation"]
        return ", ".join(f"{cell.QUANTITY[q].label} {cell.symbol(q)}" for q in names)
    return ", ".join(f"{name} {value:+.3f}" for name, value in values.items() if isinstance(value, float))
