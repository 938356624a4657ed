"""Tokens x units charts (Gate Heatmaps, RNN vs LSTM): one quantity of one layer over the whole text,
and chosen units' state (an LSTM's cell, a GRU's or RNN's hidden state) along the text."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from lstm_viz.engine import cell
from lstm_viz.plots import colours
from lstm_viz.plots.base import FONT_SIZE, layout, token_axis
from lstm_viz.plots.html import visible

MAX_CLICK_CELLS = 20_000  # heatmaps up to this many cells get click-to-select markers
PLOT_PX = 400  # the Gate Heatmaps' plot area at 1024 pixels beside the sidebar (Chromium: 401 of the chart's 564)
TICK_SIZES = (FONT_SIZE - 2, FONT_SIZE - 3, FONT_SIZE - 4)  # tick fonts tried, largest first: 12 px is the smallest
CHAR_EM = 0.62  # a tick label's character is about this many times its font size wide (proportional font)
TICK_GAP = 4  # pixels kept between two labels side by side
TICK_LAYOUTS = ("row", "staggered", "turned")  # one row upright; every other one a line lower; turned to read up


def quantity_heatmap(
    values: np.ndarray,
    tokens: list[str],
    name: str,
    units: np.ndarray | None = None,
    step: int | None = None,
    unit: int | None = None,
    height: int = 420,
    clickable: bool = True,
    width_px: int = PLOT_PX,
) -> go.Figure:
    """Tokens (x, in reading order, labelled as text) by units (y, in ``units`` order) for one quantity (T, H).

    Colours: the quantity's scale from :mod:`.colours` (gates 0..1, the rest signed around 0),
    with a colour bar. Hover: step, token, unit, exact value. ``step`` and ``unit``, when given,
    are marked by lines. Plotly heatmaps report no clicks to Streamlit, so a clickable chart
    carries an invisible marker on every cell (up to MAX_CLICK_CELLS); the clicked one is outlined.
    """
    values = np.asarray(values, dtype=np.float64)
    units = np.arange(values.shape[1]) if units is None else np.asarray(units)
    z = values[:, units].T  # (U, T)
    scale = colours.for_quantity(name)
    zmin, zmax = colours.quantity_range(name, z)
    steps = np.arange(len(tokens))
    words = np.array([repr(t) for t in tokens], dtype=object)
    unit_labels = [f"u{u}" for u in units]
    what = cell.title(name)
    hover = "step %{x}: %{customdata}<br>unit %{y}<br>" + cell.symbol(name) + " = "
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=steps,
            y=unit_labels,
            zmin=zmin,
            zmax=zmax,
            colorscale=scale.plotly(),
            colorbar=dict(title=dict(text=cell.symbol(name), side="top"), thickness=14),
            customdata=np.broadcast_to(words, z.shape),
            hovertemplate=hover + "%{z:.4f}<extra></extra>",
        )
    )
    if clickable and z.size <= MAX_CLICK_CELLS:
        grid_x, grid_y = np.meshgrid(steps, np.arange(len(units)))
        fig.data[0].update(hoverinfo="skip", hovertemplate=None)
        fig.add_trace(
            go.Scattergl(  # WebGL: thousands of invisible cells cost the page far less than SVG markers
                x=grid_x.ravel(),
                y=np.asarray(unit_labels, dtype=object)[grid_y.ravel()],
                mode="markers",
                marker=dict(size=14, opacity=0, symbol="square-open", color=colours.OUTLINE, line=dict(width=3)),
                selected=dict(marker=dict(opacity=1)),  # the clicked cell, outlined
                unselected=dict(marker=dict(opacity=0)),
                customdata=np.stack([words[grid_x.ravel()], z.ravel()], axis=1),
                hovertemplate=hover + "%{customdata[1]:.4f}<extra></extra>",
                showlegend=False,
            )
        )
    if step is not None and 0 <= step < len(tokens):
        fig.add_vline(x=step, line=dict(color=colours.OUTLINE, width=2))
    if unit is not None and unit in units:
        fig.add_hline(y=f"u{unit}", line=dict(color=colours.OUTLINE, width=2))
    axis = token_ticks(tokens, width_px)
    if axis["tickangle"]:  # labels turned upright take height from the plot: give it back
        height += round(max(map(len, axis["ticktext"]), default=0) * CHAR_EM * axis["tickfont"]["size"])
    layout(fig, height, title=what)
    fig.update_xaxes(**axis)
    fig.update_yaxes(type="category", title="unit", range=[len(units) - 0.5, -0.5], showticklabels=len(units) <= 48)
    return fig


def _room(how: str, size: int, chars: int) -> float:
    """Pixels of axis one token needs for its label laid out ``how`` at ``size`` px, ``chars`` characters wide."""
    wide = chars * CHAR_EM * size + TICK_GAP
    return {"row": wide, "staggered": wide / 2, "turned": 1.15 * size + 1}[how]


def token_ticks(tokens: list[str], width_px: int = PLOT_PX, title: str = "token (step)") -> dict:
    """A heatmap's token axis over steps 0..T-1 that a projector can read: every token labelled when they fit.

    Largest font first (TICK_SIZES), the labels are tried in one row upright, then upright in two staggered rows
    (every other label one line lower, so neighbours never touch), then turned to read upwards (a word model's
    longer labels). When no layout fits every token in ``width_px``, every k-th token is labelled, in the layout
    that labels the most of them at the largest font (12 px turned): a regular subset, starting at step 0.
    """
    labels = [visible(t)[:12] for t in tokens]
    chars, per = max(map(len, labels), default=1), width_px / max(len(labels), 1)
    tries = [(how, size) for size in TICK_SIZES for how in TICK_LAYOUTS]
    fits = [(how, size) for how, size in tries if _room(how, size, chars) <= per]
    if fits:
        (how, size), every = fits[0], 1
    else:
        options = (("row", TICK_SIZES[0]), ("turned", TICK_SIZES[-1]))
        how, size = min(options, key=lambda o: math.ceil(_room(*o, chars) / per))
        every = math.ceil(_room(how, size, chars) / per)
    ticks = list(range(0, len(labels), every))
    text = [labels[t] for t in ticks]
    if how == "staggered":
        text = [("\u00a0<br>" + label) if k % 2 else label for k, label in enumerate(text)]
    return {
        "title": title,
        "tickmode": "array",
        "tickvals": ticks,
        "ticktext": text,
        "tickangle": -90 if how == "turned" else 0,
        "tickfont": {"size": size},
        "range": [-0.5, len(tokens) - 0.5],
    }


def cell_lines(values: np.ndarray, tokens: list[str], units, step: int | None = None, name: str = "cell") -> go.Figure:
    """The state ``name`` (an LSTM's cell c, or the hidden state h of a GRU or RNN) of the chosen ``units`` along
    the text (x: token, y: its value), the step marked."""
    values = np.asarray(values)
    steps = np.arange(len(tokens))
    words = [repr(t) for t in tokens]
    symbol, label = cell.symbol(name), cell.QUANTITY[name].label
    fig = go.Figure()
    for k, u in enumerate(units):
        fig.add_trace(
            go.Scatter(
                x=steps,
                y=values[:, int(u)],
                mode="lines+markers" if len(tokens) <= 80 else "lines",
                name=f"unit {int(u)}",
                line=dict(color=colours.class_colour(k)),
                customdata=words,
                hovertemplate=f"unit {int(u)}<br>step %{{x}}: %{{customdata}}<br>{symbol} = %{{y:.4f}}<extra></extra>",
            )
        )
    if step is not None and 0 <= step < len(tokens):
        fig.add_vline(x=step, line=dict(color=colours.OUTLINE, width=1, dash="dot"))
    fig.add_hline(y=0, line=dict(color=colours.GUIDE, width=1))
    fig.update_xaxes(**token_axis(tokens, most=30, title="token (step)"))
    fig.update_yaxes(title=f"{label} {symbol}")
    fig.update_layout(legend=dict(orientation="h", y=1.12))
    return layout(fig, 360, title=f"{label.capitalize()} of the chosen units")
