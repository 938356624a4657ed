"""Class mode's pictures: the class's answers beside the model's, and the join link as a QR code."""

from __future__ import annotations

import html

import plotly.graph_objects as go

from lstm_viz.plots import colours
from lstm_viz.plots.base import layout


def answers_figure(labels: list[str], counts: list[int], model_bar: int, mine: int | None = None) -> go.Figure:
    """One bar per answer (an option, a token, a range of numbers): how many of the class gave it. The model's
    answer is the orange bar, outlined; ``mine`` (a student's own answer) is marked "you"."""
    colour = [colours.HIGHLIGHT if k == model_bar else colours.NEUTRAL for k in range(len(labels))]
    text = [f"{n}" + (" · the model's" if k == model_bar else "") + (" · you" if k == mine else "")
            for k, n in enumerate(counts)]  # fmt: skip  (the model's bar is named: with no answers it has no height)
    fig = go.Figure(
        go.Bar(
            x=[html.escape(str(label)) for label in labels],
            y=list(counts),
            marker={"color": colour, "line": {"color": colours.OUTLINE, "width": [3 if k == model_bar else 0
                                                                                  for k in range(len(labels))]}},
            text=text,
            textposition="outside",
            hovertemplate="%{x}: %{y} answered<extra></extra>",
        )
    )  # fmt: skip
    fig.update_yaxes(title="students", rangemode="tozero", dtick=max(1, (max(counts, default=0) + 4) // 5))
    fig.update_xaxes(type="category")
    return layout(fig, 360)


def qr_png(link: str, scale: int = 6) -> bytes:
    """The link as a QR code, a PNG picture (black modules on white, with the quiet zone)."""
    import io

    import segno

    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="png", scale=scale, dark=colours.QR_DARK, light=colours.BACKGROUND)
    return out.getvalue()
