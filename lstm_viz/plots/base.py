"""What every Plotly chart shares: a projector-sized font, margins, and a token axis that reads as text."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from lstm_viz.plots.html import visible

FONT_SIZE = 16  # readable on a classroom projector


def layout(fig: go.Figure, height: int, title: str | None = None) -> go.Figure:
    """Fonts, margins and height for a chart of the app."""
    fig.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=50 if title else 20, b=10),
        font=dict(size=FONT_SIZE),
        title=dict(text=title, font=dict(size=FONT_SIZE + 4)) if title else None,
        hoverlabel=dict(font_size=FONT_SIZE),
        legend=dict(font=dict(size=FONT_SIZE)),
        xaxis=dict(tickfont=dict(size=FONT_SIZE - 2), title_font=dict(size=FONT_SIZE)),
        yaxis=dict(tickfont=dict(size=FONT_SIZE - 2), title_font=dict(size=FONT_SIZE)),
    )
    return fig


NARROWEST_PX = 520  # the plot area of a chart on a 1024-pixel projector, beside the sidebar
HALF_PX = 220  # the same for a chart in one of two columns
TICK_CHAR_PX = 0.62 * (FONT_SIZE - 2)  # a tick label's character, about (proportional font)
TICK_GAP_PX = 12


def token_axis(tokens: list[str], most: int = 40, title: str = "token read", width_px: int = NARROWEST_PX) -> dict:
    """An x axis over steps 0..T-1 labelled with the tokens as text, upright, every k-th one when long:
    at most ``most`` labels, and no more than fit side by side in ``width_px`` without touching."""
    labels = [visible(t)[:12] for t in tokens]
    widest = max((len(label) for label in labels), default=1) * TICK_CHAR_PX + TICK_GAP_PX
    fit = max(1, int(width_px // widest))
    ticks = np.arange(len(tokens))[:: max(1, -(-len(tokens) // min(most, fit)))]
    return {
        "title": title,
        "tickmode": "array",
        "tickvals": ticks.tolist(),
        "ticktext": [labels[t] for t in ticks],
        "tickangle": 0,
        "range": [-0.5, len(tokens) - 0.5],
    }


def top_legend(fig: go.Figure) -> go.Figure:
    """A horizontal legend between the title and the plot, with room for both."""
    if fig.layout.title.text:
        fig.update_layout(title=dict(y=0.985, yanchor="top"), margin=dict(t=100))
    else:
        fig.update_layout(margin=dict(t=50))
    return fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))
