"""Charts of the Train page: the loss curves of a run and the vocabulary of an uploaded text."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from lstm_viz.plots import colours
from lstm_viz.plots.html import visible


def training_curves(
    train_steps: np.ndarray,
    train_loss: np.ndarray,
    eval_steps: np.ndarray,
    eval_loss: np.ndarray,
    unit: str = "nats per token",
) -> go.Figure:
    """Training loss (every logged step) and held-out loss (every evaluation) against the step."""
    fig = go.Figure()
    series = (  # (steps, losses, legend name, how it is drawn)
        (
            train_steps,
            train_loss,
            "training loss (one batch)",
            {"mode": "lines", "line": {"color": colours.CELL_COLOURS["lstm"], "width": 1.5}},
        ),
        (
            eval_steps,
            eval_loss,
            "held-out loss",
            {"mode": "lines+markers", "line": {"color": colours.HIGHLIGHT, "width": 2.5}, "marker": {"size": 8}},
        ),
    )
    for steps, losses, name, style in series:
        fig.add_trace(go.Scatter(x=np.asarray(steps), y=np.asarray(losses, dtype=float), name=name, **style))
    fig.update_layout(
        height=320,
        margin={"l": 60, "r": 20, "t": 30, "b": 40},
        xaxis_title="step",
        yaxis_title=f"loss ({unit})",
        legend={"orientation": "h", "y": 1.12, "x": 0},
        uirevision="training",  # keep the user's zoom while the fragment redraws
    )
    return fig


def vocabulary_text(tokens: list[str]) -> str:
    """The vocabulary as one line, whitespace made visible (↵ newline, ␣ space, ⇥ tab)."""
    return "".join(visible(t) for t in tokens)


def vocabulary_bars(tokens: list[str], counts: np.ndarray, top: int = 80) -> go.Figure:
    """How often each vocabulary entry occurs, most frequent first (at most ``top`` bars)."""
    counts = np.asarray(counts)
    order = np.argsort(-counts, kind="stable")[:top]
    labels = [visible(tokens[i]) for i in order]
    fig = go.Figure(
        go.Bar(
            x=list(range(len(order))),
            y=counts[order],
            marker_color=colours.NEUTRAL,
            customdata=labels,
            hovertemplate="%{customdata}: %{y:,} times<extra></extra>",
        )
    )
    fig.update_layout(
        height=220,
        margin={"l": 60, "r": 20, "t": 10, "b": 40},
        xaxis={"tickmode": "array", "tickvals": list(range(len(order))), "ticktext": labels, "tickangle": 0},
        yaxis_title="occurrences",
        bargap=0.15,
    )
    return fig
