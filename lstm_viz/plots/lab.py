"""Charts of the Neuron Lab: small multiples of units along the text, saturation, before/after an
intervention, and memory connectivity. Pure builders: numpy in, a ``go.Figure`` or HTML out."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lstm_viz.engine import cell
from lstm_viz.plots import colours
from lstm_viz.plots.base import layout, token_axis, top_legend
from lstm_viz.plots.strips import token_strip_html


def unit_traces(
    values: np.ndarray,
    tokens: list[str],
    units: list[int],
    quantity: str,
    step: int | None = None,
    span: tuple[int, int] | None = None,
    scores: list[float] | None = None,
) -> go.Figure:
    """Small multiples: each unit's ``quantity`` along the whole text, one row each, the step or the selection marked.

    A unit that reacts only at the chosen moment shows one spike; one that reacts everywhere shows many.
    """
    values = np.asarray(values, dtype=np.float64)
    rows = max(1, len(units))
    titles = [
        f"unit {u}" + (f" ({s:+.3f})" if scores is not None else "")
        for u, s in zip(units, scores or units, strict=False)
    ]
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.04, subplot_titles=titles)
    steps = np.arange(len(tokens))
    words = [repr(t) for t in tokens]
    lo, hi = colours.quantity_range(quantity, values[:, units] if units else values)
    for row, u in enumerate(units, 1):
        fig.add_trace(
            go.Scatter(
                x=steps,
                y=values[:, u],
                mode="lines",
                line=dict(color=colours.class_colour(row - 1), width=2),
                customdata=words,
                hovertemplate=f"unit {u}<br>step %{{x}}: %{{customdata}}<br>{cell.symbol(quantity)} = %{{y:.4f}}"
                "<extra></extra>",
                showlegend=False,
            ),
            row=row,
            col=1,
        )
        fig.update_yaxes(range=[lo, hi], row=row, col=1, nticks=3)
        if step is not None:
            fig.add_vline(x=step, line=dict(color=colours.OUTLINE, width=1.5, dash="dot"), row=row, col=1)
        if span is not None:
            fig.add_vrect(
                x0=span[0] - 0.5,
                x1=span[1] - 0.5,
                fillcolor=colours.HIGHLIGHT,
                opacity=0.2,
                line_width=0,
                row=row,
                col=1,
            )
    fig.update_xaxes(**token_axis(tokens, most=30, title="token (step)"), row=rows, col=1)
    return layout(fig, 90 + 95 * rows, title=f"{cell.title(quantity)} of each unit along the text")


def unit_and_feature(
    values: np.ndarray, feature: np.ndarray, tokens: list[str], unit: int, quantity: str, feature_name: str
) -> go.Figure:
    """Two rows along the text: unit ``unit``'s ``quantity`` (``values`` (T,)) on top, the feature below, each
    titled with what it is and on its own scale."""
    values, feature = np.asarray(values, dtype=np.float64), np.asarray(feature, dtype=np.float64)
    titles = [f"unit {unit}: {cell.QUANTITY[quantity].label}", f"the feature: {feature_name}"]
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, subplot_titles=titles)
    steps = np.arange(len(tokens))
    words = [repr(t) for t in tokens]
    for row, (series, name) in enumerate(((values, f"unit {unit}"), (feature, "feature")), 1):
        fig.add_trace(
            go.Scatter(
                x=steps,
                y=series,
                mode="lines",
                line=dict(color=colours.class_colour(row - 1), width=2, shape="hv" if row == 2 else "linear"),
                customdata=words,
                hovertemplate=f"{name}<br>step %{{x}}: %{{customdata}}<br>value %{{y:.4f}}<extra></extra>",
                showlegend=False,
            ),
            row=row,
            col=1,
        )
    lo, hi = colours.quantity_range(quantity, values[:, None])
    fig.update_yaxes(range=[lo, hi], nticks=3, row=1, col=1)
    fig.update_yaxes(nticks=4, row=2, col=1)
    fig.update_xaxes(**token_axis(tokens, most=30, title="token (step)"), row=2, col=1)
    return layout(fig, 300, title=f"Unit {unit} and the feature along the text")


def saturation_scatter(saturated: dict[str, tuple[np.ndarray, np.ndarray]], unit: int | None = None) -> go.Figure:
    """Every unit of each gate as a point: x its share of steps below 0.1, y above 0.9 (click a point to pick it).

    After Karpathy, Johnson and Fei-Fei, "Visualizing and Understanding Recurrent Networks" (2015), Fig. 3.
    """
    names = list(saturated)
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=[cell.title(n) for n in names], shared_yaxes=True)
    for col, name in enumerate(names, 1):
        left, right = saturated[name]
        units = np.arange(len(left))
        fig.add_trace(
            go.Scatter(
                x=left,
                y=right,
                mode="markers",
                marker=dict(
                    color=colours.CELL_COLOURS["lstm"],
                    size=[14 if u == unit else 7 for u in units],
                    line=dict(color=colours.OUTLINE, width=[3 if u == unit else 0 for u in units]),
                    opacity=0.75,
                ),
                customdata=units,
                hovertemplate="unit %{customdata}<br>below 0.1: %{x:.0%}<br>above 0.9: %{y:.0%}<extra></extra>",
                name=name,
                showlegend=False,
            ),
            row=1,
            col=col,
        )
        fig.add_shape(type="line", x0=0, y0=1, x1=1, y1=0, line=dict(color=colours.GUIDE, dash="dot"), row=1, col=col)
        fig.update_xaxes(title="share of steps below 0.1 (shut)", range=[-0.03, 1.03], tickformat=".0%", row=1, col=col)
    fig.update_yaxes(title="share of steps above 0.9 (open)", range=[-0.03, 1.03], tickformat=".0%", row=1, col=1)
    return layout(fig, 420)


def before_after_bars(
    before: np.ndarray, after: np.ndarray, labels: list[str], k: int = 10, title: str = ""
) -> go.Figure:
    """The output at one step before and after an intervention: the ``k`` most likely under either, side by side."""
    before, after = np.asarray(before, dtype=np.float64), np.asarray(after, dtype=np.float64)
    top = np.argsort(-np.maximum(before, after), kind="stable")[:k]
    shown = [repr(labels[i])[1:-1] or " " for i in top]
    fig = go.Figure()
    for name, probs, colour in (("before", before, colours.NEUTRAL), ("after (clamped)", after, colours.HIGHLIGHT)):
        fig.add_trace(
            go.Bar(
                x=shown,
                y=probs[top],
                name=name,
                marker_color=colour,
                text=[f"{p:.0%}" for p in probs[top]],
                textposition="outside",
                cliponaxis=False,
                hovertemplate=f"{name}<br>%{{x}}: %{{y:.4f}}<extra></extra>",
            )
        )
    fig.update_layout(barmode="group")
    fig.update_xaxes(type="category", title="token")
    fig.update_yaxes(title="probability", range=[0, 1.1], tickformat=".0%")
    return top_legend(layout(fig, 360, title=title or None))


def change_by_step(changed: np.ndarray, tokens: list[str], span: tuple[int, int], step: int | None = None) -> go.Figure:
    """How far the output moved at every step (total variation distance 0..1), the clamped steps shaded."""
    steps = np.arange(len(tokens))
    fig = go.Figure(
        go.Bar(
            x=steps,
            y=changed,
            marker_color=colours.HIGHLIGHT,
            customdata=[repr(t) for t in tokens],
            hovertemplate="step %{x}: %{customdata}<br>output moved %{y:.3f}<extra></extra>",
        )
    )
    fig.add_vrect(x0=span[0] - 0.5, x1=span[1] - 0.5, fillcolor=colours.GUIDE, opacity=0.2, line_width=0)
    if step is not None:
        fig.add_vline(x=step, line=dict(color=colours.OUTLINE, width=1.5, dash="dot"))
    fig.update_xaxes(**token_axis(tokens, most=30, title="token (step); the clamped steps are shaded"))
    fig.update_yaxes(title="how far the output moved", range=[0, 1.02])
    return layout(fig, 280)


def connectivity_strip_html(tokens: list[str], norms: np.ndarray, step: int, font_px: int = 20) -> str:
    """The text up to ``step`` on the influence scale: darker tokens drive the prediction at ``step`` more."""
    values = np.zeros(len(tokens))
    values[: len(norms)] = norms
    return token_strip_html(
        tokens[: step + 1], current=step, values=values[: step + 1], scale=colours.INFLUENCE,
        value_range=(0.0, float(max(np.max(norms), 1e-12))), font_px=font_px,
    )  # fmt: skip
