"""Views of written text (the Generate page): each character on the probability or surprise scale,
their legends, the surprise of every step as bars, and one sentence about a chosen step."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from lstm_viz.plots import colours
from lstm_viz.plots.base import layout
from lstm_viz.plots.html import render, visible

SCALES = {"probability": colours.PROBABILITY, "surprise": colours.SURPRISE}


def candidates_sentence(
    tokens: list[str],
    step: int,
    actual: str | None,
    prob: float | None,
    rank: int | None,
    vocab_size: int,
    what: str = "character",
) -> str:
    """One Markdown sentence: what the model gave the actual next token (a ``what``) at ``step``."""
    read = f"After reading {step + 1} {what}{'s' * (step > 0)} (ending in `{visible(tokens[step])}`)"
    if actual is None:
        return f"{read}, the text ends: there is no actual next {what} to score."
    return (
        f"{read}, the model gave the actual next {what} `{visible(actual)}` probability **{prob:.1%}** "
        f"(rank {rank} of {vocab_size}; surprise {-np.log(max(prob, 1e-300)):.2f} nats)."
    )


def coloured_text_html(
    pieces: list[str],
    values: np.ndarray,
    scale: str = "probability",
    current: int | None = None,
    font_px: int = 18,
) -> str:
    """The text with each piece on a background coloured by its value; NaN = given, not predicted (grey text).

    ``values`` (T,) are probabilities (``scale="probability"``) or surprises in nats
    (``"surprise"``). Hover a piece for its number; ``current`` outlines one piece. Newlines
    show as ↵ and break the line.
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be 'probability' or 'surprise', got {scale!r}")
    if len(values) != len(pieces):
        raise ValueError(f"expected one value per piece ({len(pieces)}), got {len(values)}")
    values = np.asarray(values, dtype=np.float64)
    shades = SCALES[scale].shade(values).tolist()
    items = []
    for t, (piece, value) in enumerate(zip(pieces, values.tolist(), strict=True)):
        if np.isnan(value):
            classes, title = ["given"], f"{piece!r}: given, not predicted"
        elif scale == "probability":
            classes, title = [f"lv-probability-{shades[t]}"], f"{piece!r}: p = {value:.4f}"
        else:
            classes = [f"lv-surprise-{shades[t]}"]
            title = f"{piece!r}: {value:.2f} nats (p = {np.exp(-value):.4f})"
        if t == current:
            classes.append("cur")
        text = visible(piece) if piece in ("\n", "\t") else piece
        items.append(
            {"classes": " ".join(classes), "title": f"step {t}: {title}", "text": text, "newline": piece == "\n"}
        )
    return render("coloured_text.html.j2", pieces=items, font_px=font_px)


def colour_legend_html(scale: str = "probability", what: str = "character") -> str:
    """The legend of :func:`coloured_text_html`: labelled swatches of the scale (``what``: character or word)."""
    if scale == "probability":
        ticks = [(p, f"{p:.0%}") for p in (0.02, 0.1, 0.25, 0.5, 0.75, 0.95)]
        label = f"probability the model gave the {what}:"
    else:
        top = colours.SURPRISE_MAX
        ticks = [(s, f"{s:g} nats (p {np.exp(-s):.0%})") for s in (0.1, 0.7, 1.5, 3.0, 4.5)]
        ticks.append((top, f"≥ {top:g} nats (p ≤ {np.exp(-top):.1%})"))
        label = f"surprise −ln p of the actual next {what}:"
    swatches = []
    for value, text in ticks:
        background = SCALES[scale].colour(value)
        swatches.append({"background": background, "text": colours.text_on(background), "label": text})
    return render(
        "legend.html.j2", label=label, gradient="", lo="", hi="", swatches=swatches, note="grey: given, not predicted"
    )


def surprise_bars(
    tokens: list[str], surprise: np.ndarray, step: int | None = None, what: str = "character"
) -> go.Figure:
    """Surprise −ln p of each actual next token (bar ``t`` scores token ``t + 1``), on the surprise scale.

    The chosen ``step``'s bar is outlined; the dotted line is the mean (nats per ``what``: character or word).
    """
    surprise = np.asarray(surprise, dtype=np.float64)
    steps = np.arange(len(surprise))
    nxt = [visible(tokens[t + 1]) for t in steps]
    fig = go.Figure(
        go.Bar(
            x=steps,
            y=surprise,
            marker=dict(
                color=colours.SURPRISE.colours(surprise) if len(steps) else [],
                line=dict(
                    color=[colours.OUTLINE if t == step else colours.GUIDE for t in steps],
                    width=[3 if t == step else 0.5 for t in steps],
                ),
            ),
            customdata=np.stack([nxt, np.exp(-surprise).round(4).astype(str)], axis=1) if len(steps) else None,
            hovertemplate="step %{x}: next %{customdata[0]}<br>%{y:.2f} nats (p = %{customdata[1]})<extra></extra>",
        )
    )
    fig.add_hline(
        y=float(surprise.mean()) if len(surprise) else 0.0,
        line_dash="dot",
        annotation_text=f"mean {surprise.mean():.2f} nats/{what}" if len(surprise) else "",
    )
    fig.update_xaxes(title=f"step (the bar scores the {what} after it)")
    fig.update_yaxes(title="surprise (nats)", rangemode="tozero")
    fig.update_layout(bargap=0.05, showlegend=False)
    return layout(fig, 300, title="Surprise at every step")
