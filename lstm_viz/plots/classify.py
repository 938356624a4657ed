"""Charts of a classifier's decision (the Classify page): the running prediction, each unit's share
of the final logit, the top units' cell state, and the held-out confusion matrix."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from lstm_viz.plots import colours
from lstm_viz.plots.base import token_axis
from lstm_viz.plots.heatmaps import token_ticks

CHART_PX = 480  # the running prediction's plot width beside the sidebar at 1024 pixels


def running_probabilities(probs: np.ndarray, tokens: list[str], labels: list[str]) -> go.Figure:
    """Class probabilities after each token: lines for two classes, a stacked area for more."""
    probs = np.asarray(probs, dtype=float)
    if probs.ndim != 2 or probs.shape[0] != len(tokens) or probs.shape[1] != len(labels):
        raise ValueError(f"probs {probs.shape} must be (len(tokens)={len(tokens)}, len(labels)={len(labels)})")
    x = np.arange(len(tokens))
    hover = [f"step {t}: {tok!r}" for t, tok in enumerate(tokens)]
    fig = go.Figure()
    stacked = len(labels) > 2
    for c, label in enumerate(labels):
        fig.add_trace(
            go.Scatter(
                x=x,
                y=probs[:, c],
                name=label,
                mode="lines" if stacked else "lines+markers",
                stackgroup="classes" if stacked else None,
                line={"color": colours.class_colour(c), "width": 2},
                customdata=hover,
                hovertemplate=f"%{{customdata}}<br>P({label}) = %{{y:.3f}}<extra></extra>",
            )
        )
    if not stacked:
        fig.add_hline(y=0.5, line={"color": colours.GUIDE, "dash": "dot"})
    fig.update_layout(
        title="Running prediction: class probabilities after each token",
        xaxis={**token_ticks(tokens, CHART_PX, title="token read"), "automargin": True},  # every token that fits
        yaxis={"title": "probability", "range": [0, 1]},
        height=360,
        margin={"l": 50, "r": 20, "t": 50, "b": 60},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"},
    )
    return fig


def contribution_bars(contributions: np.ndarray, units: np.ndarray, bias: float, logit: float, label: str) -> go.Figure:
    """The top units' shares W[c,u]·h[u] of class ``label``'s logit, plus 'all other units' and the bias."""
    contributions = np.asarray(contributions, dtype=float)
    units = np.asarray(units, dtype=int)
    rest = float(contributions.sum() - contributions[units].sum())
    names = [f"unit {u}" for u in units] + ["all other units", "bias"]
    values = [*contributions[units].tolist(), rest, float(bias)]
    up, down = colours.SIGNED.colour(0.8, (-1.0, 1.0)), colours.SIGNED.colour(-0.8, (-1.0, 1.0))
    bar_colours = [up if v >= 0 else down for v in values[:-2]] + [colours.REST, colours.BIAS]
    fig = go.Figure(
        go.Bar(
            x=values[::-1],
            y=names[::-1],
            orientation="h",
            marker={"color": bar_colours[::-1]},
            text=[f"{v:+.3f}" for v in values[::-1]],
            textposition="auto",
            hovertemplate="%{y}: %{x:+.4f}<extra></extra>",
        )
    )
    fig.update_layout(
        title=f"Shares of the final {label!r} logit ({logit:+.3f} = bias + sum over all units)",
        xaxis={"title": "head weight × hidden value", "zeroline": True, "zerolinecolor": colours.AXIS},
        height=max(260, 32 * len(names) + 90),
        margin={"l": 120, "r": 20, "t": 50, "b": 40},
    )
    return fig


def unit_cell_traces(cell: np.ndarray, units: np.ndarray, tokens: list[str], contributions: np.ndarray) -> go.Figure:
    """Cell state C_t of the given units across the text (one line each, legend shows its share)."""
    cell = np.asarray(cell, dtype=float)
    x = np.arange(cell.shape[0])
    hover = [f"step {t}: {tok!r}" for t, tok in enumerate(tokens)]
    fig = go.Figure()
    for k, u in enumerate(np.asarray(units, dtype=int)):
        fig.add_trace(
            go.Scatter(
                x=x,
                y=cell[:, u],
                mode="lines",
                name=f"unit {u} ({contributions[u]:+.2f})",
                line={"color": colours.class_colour(k), "width": 2},
                customdata=hover,
                hovertemplate=f"unit {u}<br>%{{customdata}}<br>C = %{{y:.3f}}<extra></extra>",
            )
        )
    fig.add_hline(y=0, line={"color": colours.GUIDE, "dash": "dot"})
    fig.update_layout(
        title="Cell state C_t of the top units while reading",
        xaxis=token_axis(tokens),  # half the page wide: every k-th token
        yaxis={"title": "cell state"},
        height=340,
        margin={"l": 50, "r": 20, "t": 50, "b": 40},
    )
    return fig


def confusion_heatmap(matrix, labels: list[str]) -> go.Figure:
    """Confusion matrix counts: rows = true class, columns = predicted class."""
    matrix = np.asarray(matrix, dtype=float)
    if matrix.shape != (len(labels), len(labels)):
        raise ValueError(f"confusion matrix {matrix.shape} does not match {len(labels)} labels")
    totals = matrix.sum(axis=1, keepdims=True)
    share = np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)
    fig = go.Figure(
        go.Heatmap(
            z=share,
            x=labels,
            y=labels,
            colorscale=colours.PROBABILITY.plotly(),
            zmin=0,
            zmax=1,
            text=matrix.astype(int),
            texttemplate="%{text}",
            hovertemplate="true %{y}, predicted %{x}: %{text} (%{z:.0%} of the row)<extra></extra>",
            colorbar={"title": "row share"},
        )
    )
    fig.update_layout(
        title="Held-out confusion matrix (rows: true class, columns: predicted)",
        xaxis={"title": "predicted", "side": "bottom"},
        yaxis={"title": "true", "autorange": "reversed"},
        height=120 + 48 * len(labels),
        margin={"l": 100, "r": 20, "t": 50, "b": 60},
    )
    return fig


# --- RNN versus LSTM -------------------------------------------------------------------------
