"""Tokens x units charts (Gate Heatmaps, RNN vs LSTM): one quantity of one layer over the whole text,
and chosen units' state (an LSTM's cell, a GRU's or RNN's hidden state) along the text."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from lstm_viz.engine import cell
from lstm_viz.plots import colours
from lstm_viz.plots.base import NARROWEST_PX, layout, token_axis

MAX_CLICK_CELLS = 20_000  # heatmaps up to this many cells get click-to-select markers


def quantity_heatmap(
    values: np.ndarray,
    tokens: list[str],
    name: str,
    units: np.ndarray | None = None,
    step: int | None = None,
    unit: int | None = None,
    height: int = 420,
    clickable: bool = True,
    width_px: int = NARROWEST_PX,
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
    fig.update_xaxes(**token_axis(tokens, most=30, title="token (step)", width_px=width_px))
    fig.update_yaxes(type="category", title="unit", range=[len(units) - 0.5, -0.5], showticklabels=len(units) <= 48)
    return layout(fig, height, title=what)


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
