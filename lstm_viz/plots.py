"""Pure Plotly figure builders: numpy in, ``go.Figure`` out. No streamlit, no torch.

Every chart in the app is built here, so pages stay thin and each builder is tested without a
server. Sections are grouped by the page that uses them; shared helpers sit at the top.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

# --- shared helpers -------------------------------------------------------------------------

# --- explorer: Step Through, Gate Heatmaps, Equations ----------------------------------------

# --- generation ------------------------------------------------------------------------------

# --- classification --------------------------------------------------------------------------

# --- RNN versus LSTM -------------------------------------------------------------------------

# --- training --------------------------------------------------------------------------------


def training_curves(
    train_steps: np.ndarray,
    train_loss: np.ndarray,
    eval_steps: np.ndarray,
    eval_loss: np.ndarray,
    unit: str = "nats per token",
) -> go.Figure:
    """Training loss (every logged step) and held-out loss (every evaluation) against the step."""
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=np.asarray(train_steps),
            y=np.asarray(train_loss, dtype=float),
            mode="lines",
            name="training loss (one batch)",
            line={"color": "#1f77b4", "width": 1.5},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=np.asarray(eval_steps),
            y=np.asarray(eval_loss, dtype=float),
            mode="lines+markers",
            name="held-out loss",
            line={"color": "#d62728", "width": 2.5},
            marker={"size": 8},
        )
    )
    fig.update_layout(
        height=320,
        margin={"l": 60, "r": 20, "t": 30, "b": 40},
        xaxis_title="step",
        yaxis_title=f"loss ({unit})",
        legend={"orientation": "h", "y": 1.12, "x": 0},
        uirevision="training",  # keep the user's zoom while the fragment redraws
    )
    return fig


def vocabulary_bars(tokens: list[str], counts: np.ndarray, top: int = 80) -> go.Figure:
    """How often each vocabulary entry occurs, most frequent first (at most ``top`` bars)."""
    counts = np.asarray(counts)
    order = np.argsort(-counts, kind="stable")[:top]
    visible = {"\n": "↵", " ": "␣", "\t": "⇥"}
    labels = [visible.get(tokens[i], tokens[i]) for i in order]
    fig = go.Figure(
        go.Bar(
            x=list(range(len(order))),
            y=counts[order],
            marker_color="#1f77b4",
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
