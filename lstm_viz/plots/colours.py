"""Every colour of the app, in one place: one scale per kind of quantity, used by every page.

- **gate** (σ, 0..1): Viridis, dark purple 0 (shut) to yellow 1 (open);
- **signed** (tanh quantities and the cell state, centred at 0): blue negative, white 0, red positive;
- **probability** (0..1): white 0 to dark green 1;
- **surprise** (−ln p in nats, 0..``SURPRISE_MAX``): white (expected) to dark orange (surprising);
- **influence** (how much an earlier token drives a prediction, 0..the largest): white to dark purple;
- **classes** and **cell kinds**: the Okabe-Ito palette, so a class or a model kind has one colour everywhere.

All four scales read in lightness alone, so they stay legible to colour-blind readers (checked
with a simulated deuteranopia view of every page); the class palette is Okabe and Ito's
colour-universal design set. Plotly charts, HTML strips and the SVG diagram all take their
colours from here (a test checks that no other module defines a scale).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import plotly.colors

from lstm_viz.engine import cell

SHADES = 33  # steps of each scale in the HTML strips (an odd number keeps white at the centre of "signed")
SURPRISE_MAX = 6.0  # nats (p ≈ 0.25%): the surprise scale saturates here; a uniform guess over 65 characters is 4.2

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision deficiency.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
CLASS_COLOURS = OKABE_ITO  # class c of a classifier, in head order, on every page
CELL_COLOURS = {"lstm": "#0072B2", "rnn": "#D55E00", "gru": "#009E73"}  # a kind of cell, on every chart
HIGHLIGHT = "#E69F00"  # the one thing to look at: the actual next token, the current step's bar
NEUTRAL = "#56B4E9"  # the other bars
OUTLINE = "#111111"  # the current step / the chosen unit
MUTED = "#6b6b6b"  # text that was given, not predicted
BACKGROUND = "#ffffff"  # a picture's background
QR_DARK = "#000000"  # a QR code's modules, black on BACKGROUND, as every scanner reads them
GUIDE = "#999999"  # reference lines: zero, chance, a true value to compare with
REFERENCE = "#777777"  # dashed lines: chance level, a bound
REST = "#aaaaaa"  # "all other units" in a contribution chart
BIAS = "#555555"  # a bias term

# The colours of the HTML views' own stylesheets (plots/templates/style.css, ui/stepper_static/stepper.css),
# which name them only as CSS variables: var(--lv-NAME). html.css_variables() writes them from here.
PAGE = {
    "ink": "#000000",  # a token's text
    "paper": BACKGROUND,  # a token box, a control
    "outline": OUTLINE,  # the current token, the chosen unit, the current column
    "unknown": OKABE_ITO[5],  # the wavy underline of a token unknown to the model
    "given": MUTED,  # generated text's given part
    "note": BIAS,  # notes, the strip's axis, labels of the value boxes
    "faint": REFERENCE,  # "… 40 earlier", a hovered button's border
    "rule": GUIDE,  # the frame of a legend's bar, the base line of the class columns
    "border": "#cccccc",  # a token box's border
    "control-border": "#bbbbbb",  # buttons, inputs, the stepper's notice
    "control-ink": "#222222",  # a button's or an input's text
    "label": "#444444",  # a control's label
    "quiet": "#666666",  # the stepper's captions
    "disabled": REST,  # a button that cannot be pressed
    "pressed": "#eeeeee",  # Play while playing
    "panel": "#f4f4f4",  # the stepper's notice
    "code": "#f0f0f0",  # a token quoted in the caption
    "track": "#f3f3f3",  # a probability bar's track
    "key": "#fafafa",  # a keyboard key
}


@dataclass(frozen=True)
class Scale:
    """A continuous colour scale over ``lo..hi`` (``symmetric``: ``-m..m`` with m taken from the data)."""

    name: str  # "gate", "signed", "probability", "surprise"
    plotly_name: str  # the Plotly colour scale it is sampled from
    lo: float = 0.0
    hi: float = 1.0
    symmetric: bool = False
    reverse: bool = False

    @functools.cached_property
    def stops(self) -> tuple[tuple[float, tuple[int, int, int]], ...]:
        """(position 0..1, rgb) stops of the Plotly scale."""
        raw = plotly.colors.get_colorscale(self.plotly_name)
        rgb = [plotly.colors.unlabel_rgb(plotly.colors.convert_colors_to_same_type(c, "rgb")[0][0]) for _, c in raw]
        where = [float(p) for p, _ in raw]
        if self.reverse:
            where, rgb = [1 - p for p in where[::-1]], rgb[::-1]
        return tuple((p, tuple(int(round(v)) for v in c)) for p, c in zip(where, rgb, strict=True))

    def plotly(self) -> list[list]:
        """The scale as a Plotly ``colorscale`` list."""
        return [[p, "#{:02x}{:02x}{:02x}".format(*c)] for p, c in self.stops]

    def value_range(self, values=None) -> tuple[float, float]:
        """(lo, hi) of the scale; symmetric scales take ±max|values| (at least 1e-6)."""
        if not self.symmetric:
            return self.lo, self.hi
        m = float(np.max(np.abs(values))) if values is not None and np.size(values) else 1.0
        m = max(m if math.isfinite(m) else 1.0, 1e-6)
        return -m, m

    def position(self, values, value_range: tuple[float, float] | None = None) -> np.ndarray:
        """Where each value falls on the scale, 0..1 (clipped)."""
        lo, hi = value_range or self.value_range(values)
        x = (np.asarray(values, dtype=np.float64) - lo) / (hi - lo)
        return np.clip(np.nan_to_num(x, nan=0.0), 0.0, 1.0)

    def colours(self, values, value_range: tuple[float, float] | None = None) -> list[str]:
        """Hex colour of each value (linear between the Plotly stops), matching Plotly's own rendering."""
        t = self.position(values, value_range).ravel()
        where = np.array([p for p, _ in self.stops])
        rgb = np.array([c for _, c in self.stops], dtype=np.float64)
        channels = np.stack([np.interp(t, where, rgb[:, k]) for k in range(3)], axis=1).round().astype(int)
        return [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in channels.tolist()]

    def shade(self, values, value_range: tuple[float, float] | None = None) -> np.ndarray:
        """Index 0..SHADES-1 of each value's shade (the HTML strips colour by class, see :func:`palette`)."""
        return np.rint(self.position(values, value_range) * (SHADES - 1)).astype(int)

    def colour(self, value: float, value_range: tuple[float, float] | None = None) -> str:
        return self.colours([value], value_range)[0]


GATE = Scale("gate", "Viridis")
SIGNED = Scale("signed", "RdBu", symmetric=True, reverse=True)  # RdBu reversed: blue negative, red positive
PROBABILITY = Scale("probability", "Greens")
SURPRISE = Scale("surprise", "Oranges", hi=SURPRISE_MAX)
INFLUENCE = Scale("influence", "Purples")
SCALES = {s.name: s for s in (GATE, SIGNED, PROBABILITY, SURPRISE, INFLUENCE)}

# The quantities of a layer and the scale each is drawn on (see lstm_viz.engine.cell.Quantity.kind).
_BY_KIND = {"gate": GATE, "tanh": SIGNED, "unbounded": SIGNED}


def for_quantity(name: str) -> Scale:
    """The scale of a layer quantity: gates 0..1, everything else signed around 0."""
    return _BY_KIND[cell.QUANTITY[name].kind] if name in cell.QUANTITY else SIGNED


def quantity_range(name: str, values=None) -> tuple[float, float]:
    """Colour range of a quantity: gates 0..1, tanh quantities −1..1, the cell state ±max|c|."""
    kind = cell.QUANTITY[name].kind if name in cell.QUANTITY else "unbounded"
    if kind == "gate":
        return 0.0, 1.0
    if kind == "tanh":
        return -1.0, 1.0
    return SIGNED.value_range(values)


def text_on(colour: str) -> str:
    """Black or white, whichever reads better on the background ``colour`` (WCAG relative luminance)."""
    r, g, b = (int(colour[k : k + 2], 16) / 255 for k in (1, 3, 5))
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    luminance = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return "#000000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#ffffff"


@functools.cache
def palette(scale_name: str) -> tuple[tuple[str, str], ...]:
    """(background, text) of each of the SHADES steps of a scale."""
    scale = SCALES[scale_name]
    lo, hi = scale.value_range([1.0])
    backgrounds = scale.colours(np.linspace(lo, hi, SHADES), (lo, hi))
    return tuple((bg, text_on(bg)) for bg in backgrounds)


def class_colour(index: int) -> str:
    return CLASS_COLOURS[index % len(CLASS_COLOURS)]


def cell_colour(name: str) -> str:
    """The colour of a model kind, from a name such as "LSTM", "memory-rnn" or "new GRU"."""
    lowered = name.lower()
    for kind in ("gru", "rnn"):
        if kind in lowered:
            return CELL_COLOURS[kind]
    return CELL_COLOURS["lstm"]
