"""The cell diagram (assets/lstm_cell.svg) with one unit's live numbers written into its slots."""

from __future__ import annotations

import html
import re

from lstm_viz.plots import colours

GATE_BOXES = {"f": colours.GATE, "i": colours.GATE, "o": colours.GATE, "g": colours.SIGNED}


def _fill_box(svg: str, name: str, value: float) -> str:
    """Colour gate box ``name`` by its value on the gate's scale (as everywhere else), its text readable on it."""
    scale = GATE_BOXES[name]
    background = scale.colour(value, (-1.0, 1.0) if scale is colours.SIGNED else None)
    text = colours.text_on(background)
    svg = re.sub(rf'(<rect id="box-{name}"[^>]*?fill=")[^"]*(")', rf"\g<1>{background}\g<2>", svg)
    for part in ("lab", "val"):
        svg = svg.replace(f'<text id="{part}-{name}"', f'<text id="{part}-{name}" fill="{text}"', 1)
    return svg


def annotated_cell_svg(svg: str, values: dict[str, float] | None = None) -> str:
    """The cell diagram (assets/lstm_cell.svg) with live numbers filled in.

    The SVG holds empty ``<text id="val-NAME">`` slots for NAME in c_prev, f, i, g, o, kept, written,
    c, tanh_c, h, h_prev, token; each gets ``values[NAME]`` formatted to 3 decimals (strings are
    escaped). The gate boxes f, i, g, o are filled with their value's colour. Unknown names are ignored.
    """
    for name, value in (values or {}).items():
        if name in GATE_BOXES and isinstance(value, float):
            svg = _fill_box(svg, name, value)
        slot = f'id="val-{name}"'
        at = svg.find(slot)
        if at < 0:
            continue
        close = svg.find("</text>", at)
        open_end = svg.find(">", at)
        shown = html.escape(value) if isinstance(value, str) else f"{value:+.3f}"
        svg = svg[: open_end + 1] + shown + svg[close:]
    return svg


def describe(values: dict | None) -> str:
    """The diagram's numbers as one line of text (its text alternative)."""
    if not values:
        return "forget gate f, input gate i, candidate g, output gate o, cell state c, hidden state h"
    return ", ".join(f"{name} {value:+.3f}" for name, value in values.items() if isinstance(value, float))
