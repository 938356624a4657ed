"""Charts of the RNN vs LSTM page: accuracy against the gap, the gradient against distance, the
product formula next to autograd, forget-gate products, the counting unit, and the live race."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from lstm_viz.plots import colours
from lstm_viz.plots.base import layout, token_axis, top_legend
from lstm_viz.plots.html import visible


def accuracy_vs_gap(accuracies: dict[str, dict[int, float]], chance: float | None = None) -> go.Figure:
    """Accuracy at the query (y, 0..1) at each gap length N (x): one group of bars per gap, a bar per model.

    Bars, not lines: several models at 100% would hide each other's lines.
    """
    gaps = sorted({g for by_gap in accuracies.values() for g in by_gap})
    fig = go.Figure()
    for name, by_gap in accuracies.items():
        values = [by_gap.get(g) for g in gaps]
        fig.add_trace(
            go.Bar(
                x=[str(g) for g in gaps],
                y=values,
                name=name,
                marker_color=colours.cell_colour(name),
                text=[f"{v:.0%}" if v is not None else "" for v in values],
                textposition="outside",
                cliponaxis=False,
                hovertemplate=f"{name}<br>gap %{{x}}<br>accuracy %{{y:.1%}}<extra></extra>",
            )
        )
    if chance is not None:
        fig.add_hline(y=chance, line=dict(color=colours.REFERENCE, dash="dash"), annotation_text=f"chance {chance:.0%}")
    fig.update_xaxes(title="gap N (digits before the ?)", type="category")
    fig.update_yaxes(title="accuracy", range=[0, 1.12], tickformat=".0%")
    fig.update_layout(barmode="group", bargap=0.25, uniformtext=dict(minsize=9, mode="hide"))
    return top_legend(layout(fig, 420, title="Does the model still know the first letter?"))


def gradient_vs_distance(norms: dict[str, np.ndarray]) -> go.Figure:
    """Gradient norm (log y) against the distance δ = T - 1 - t back from the scored last step.

    ``norms`` maps a legend label (e.g. "LSTM ‖∂L/∂c_t‖", dotted when it names c_t) to (T,) norms.
    """
    fig = go.Figure()
    for name, values in norms.items():
        values = np.asarray(values, dtype=np.float64)
        distance = np.arange(len(values))[::-1]
        fig.add_trace(
            go.Scatter(
                x=distance,
                y=np.maximum(values, 1e-300),  # a log axis cannot show an exact zero
                mode="lines",
                name=name,
                line=dict(color=colours.cell_colour(name), width=3, dash="dot" if "c_t" in name else "solid"),
                hovertemplate=f"{name}<br>δ = %{{x}} steps back<br>norm %{{y:.3e}}<extra></extra>",
            )
        )
    fig.update_xaxes(title="distance δ back from the query (steps)")
    fig.update_yaxes(title="gradient norm (log scale)", type="log", exponentformat="power")
    return top_legend(layout(fig, 440, title="How much of the error reaches each earlier step"))


def formula_vs_measured(formula: np.ndarray, measured: np.ndarray, bound: np.ndarray | None = None) -> go.Figure:
    """The product ‖∏ V^T diag(1 - h_k²) e‖ of "Applying LSTM to Text Generation" (line) over autograd's
    ‖∂L/∂h_t‖ (markers), log y."""
    distance = np.arange(len(formula))[::-1]
    measured_style = dict(mode="markers", marker=dict(color=colours.CELL_COLOURS["rnn"], size=8))
    series = [  # (values, legend name, hover name, how it is drawn)
        (measured, "measured (autograd)", "autograd", measured_style),
        (
            formula,
            "formula ∏ Vᵀ diag(1 − h²) · e",
            "formula",
            dict(mode="lines", line=dict(color=colours.OUTLINE, width=2)),
        ),
    ]
    if bound is not None:
        dashed = dict(mode="lines", line=dict(color=colours.REFERENCE, dash="dash"))
        series.append((bound, "bound ‖e‖ (σ_max(V) · max(1 − h²))^δ", "bound", dashed))
    fig = go.Figure()
    for values, name, short, style in series:
        y = np.maximum(np.asarray(values, dtype=np.float64), 1e-300)
        hover = f"δ %{{x}}<br>{short} %{{y:.4e}}<extra></extra>"
        fig.add_trace(go.Scatter(x=distance, y=y, name=name, hovertemplate=hover, **style))
    fig.update_xaxes(title="distance δ (steps)")
    fig.update_yaxes(title="norm (log scale)", type="log", exponentformat="power")
    return top_legend(layout(fig, 440, title="RNN: the product formula next to autograd"))


def forget_product_lines(products: np.ndarray, units, tokens: list[str]) -> go.Figure:
    """∏_{k>t} f_k per unit (y, log) against the step t: the share of c_t left at the last step."""
    products = np.asarray(products, dtype=np.float64)
    labels = [f"{t}:{visible(tok)}" for t, tok in enumerate(tokens[: len(products)])]
    fig = go.Figure()
    for u in units:
        fig.add_trace(
            go.Scatter(
                x=labels,
                y=np.maximum(products[:, int(u)], 1e-300),
                mode="lines",
                name=f"unit {int(u)}",
                hovertemplate=f"unit {int(u)}<br>%{{x}}<br>∏ f = %{{y:.3e}}<extra></extra>",
            )
        )
    fig.update_xaxes(type="category", title="step t (step:character)", showticklabels=len(labels) <= 60)
    fig.update_yaxes(title="∏ f from t+1 to the end (log)", type="log", exponentformat="power")
    return top_legend(layout(fig, 440, title="LSTM: share of c_t left at the query (∏ f)"))


def counter_vs_depth(cell: np.ndarray, depth: np.ndarray, tokens: list[str], unit: int, r: float) -> go.Figure:
    """One unit's cell state (left axis) and the true nesting depth (right axis, steps) along a text.

    A unit that counts downwards (r < 0) is drawn as −c, so both lines rise with the depth and the
    chart reads the same way for every counting unit.
    """
    sign = -1.0 if r < 0 else 1.0
    steps = np.arange(len(tokens))
    words = [repr(t) for t in tokens]
    label = f"−c[{unit}]" if sign < 0 else f"c[{unit}]"
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=steps,
            y=np.asarray(depth),
            mode="lines",
            line=dict(shape="hv", color=colours.GUIDE, width=2),
            name="true depth",
            yaxis="y2",
            customdata=words,
            hovertemplate="step %{x}: %{customdata}<br>depth %{y}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=steps,
            y=sign * np.asarray(cell),
            mode="lines+markers",
            line=dict(color=colours.CELL_COLOURS["lstm"], width=2.5),
            marker=dict(size=5),
            name=f"cell state of unit {unit}" + (", sign flipped (it counts down)" if sign < 0 else ""),
            customdata=words,
            hovertemplate=f"step %{{x}}: %{{customdata}}<br>{label} = %{{y:.3f}}<extra></extra>",
        )
    )
    fig.update_xaxes(**token_axis(tokens, most=40, title="character"))
    fig.update_layout(
        yaxis=dict(title=label),
        yaxis2=dict(title="nesting depth", overlaying="y", side="right", dtick=1, showgrid=False),
    )
    return top_legend(layout(fig, 400, title=f"The counting unit: unit {unit}, correlation with depth r = {r:+.3f}"))


def training_progress(curves: dict[str, tuple[list[int], list[float]]], chance: float | None = None) -> go.Figure:
    """Held-out accuracy at each evaluation of each training run, against the training step."""
    fig = go.Figure()
    for name, (steps, accuracy) in curves.items():
        fig.add_trace(
            go.Scatter(
                x=steps,
                y=accuracy,
                mode="lines+markers",
                name=name,
                line=dict(color=colours.cell_colour(name), width=3),
                hovertemplate=f"{name}<br>step %{{x}}<br>held-out accuracy %{{y:.1%}}<extra></extra>",
            )
        )
    if chance is not None:
        fig.add_hline(y=chance, line=dict(color=colours.REFERENCE, dash="dash"), annotation_text=f"chance {chance:.0%}")
    fig.update_xaxes(title="training step")
    fig.update_yaxes(title="held-out accuracy", range=[-0.02, 1.05], tickformat=".0%")
    return top_legend(layout(fig, 380))


def loss_race(histories: dict[str, tuple[np.ndarray, np.ndarray]], chance_loss: float | None = None) -> go.Figure:
    """Training loss against the step for several models trained side by side."""
    fig = go.Figure()
    for name, (steps, loss) in histories.items():
        fig.add_trace(
            go.Scatter(
                x=np.asarray(steps),
                y=np.asarray(loss, dtype=float),
                mode="lines",
                name=name,
                line=dict(color=colours.cell_colour(name), width=2.5),
            )
        )
    if chance_loss is not None:
        fig.add_hline(y=chance_loss, line=dict(color=colours.REFERENCE, dash="dash"), annotation_text="guessing")
    fig.update_xaxes(title="step")
    fig.update_yaxes(title="training loss (nats per query)", rangemode="tozero")
    fig.update_layout(uirevision="race")
    return top_legend(layout(fig, 380))


# --- training --------------------------------------------------------------------------------
