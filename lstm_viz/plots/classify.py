"""Charts of a classifier's decision (the Classify page): the running prediction, each unit's share
of the final logit, the top units' cell state, and the held-out confusion matrix.

These are HTML and SVG drawn by the page itself (templates/), not Plotly charts: a first visit to
Classify would otherwise wait for the browser to load and run the chart library before anything shows.
Every number is on hover."""

from __future__ import annotations

import base64
import math

import numpy as np

from lstm_viz.plots import colours, strips
from lstm_viz.plots.html import render, visible

LINES_PX = 240  # the height of a chart of lines along the text
DOTS_MAX = 60  # up to this many tokens each step of a line is also a dot (as a point one can count)
Y_TICKS = 5  # about this many labelled values on a chart's value axis
TURNED_LABELS = 3  # a confusion matrix of more classes writes its column names upwards (7 authors fit 1024 px)


def nice_ticks(lo: float, hi: float, count: int = Y_TICKS) -> list[float]:
    """Round values from ``lo`` to ``hi`` for a value axis, about ``count`` of them (1, 2, 2.5 or 5 times a power
    of ten apart)."""
    span = hi - lo
    if not (math.isfinite(span) and span > 0):
        return [lo]
    raw = span / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw * 0.999)
    first = math.ceil(lo / step - 1e-9)
    return [round(k * step, 12) for k in range(first, math.floor(hi / step + 1e-9) + 1)]


def _tick_label(value: float, step: float) -> str:
    """``value`` with as many decimals as the ticks' ``step`` needs (0.25 apart: two), a true minus sign."""
    decimals = next(d for d in range(7) if d == 6 or abs(step * 10**d - round(step * 10**d)) < 1e-6)
    return f"{value:.{decimals}f}".replace("-", "−")


def token_lines_html(
    title: str,
    series: list[tuple[str, str, np.ndarray]],
    tokens: list[str],
    value_range: tuple[float, float],
    value_label: str,
    hovers: list[str],
    note: str,
    guide: float | None = None,
) -> str:
    """Lines along a text, one per ``series`` (label, colour, a value per token), drawn as an SVG image in the page (no
    chart library to load): the value axis over ``value_range``, a dotted ``guide`` line, every token written under its
    step (round step numbers instead past :data:`lstm_viz.plots.strips.COLUMN_LABELS` tokens), and each step's
    ``hovers`` line on hover."""
    n = len(tokens)
    if n == 0:
        raise ValueError("no tokens to draw")
    lo, hi = value_range
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        lo, hi = lo - 1.0, lo + 1.0
    if any(len(values) != n for _, _, values in series) or len(hovers) != n:
        raise ValueError(f"every series and the hovers need one value per token ({n})")

    def y(value) -> np.ndarray:  # 0 at the top of the plot, 1000 at its bottom
        return np.clip(1000.0 * (hi - np.nan_to_num(np.asarray(value, dtype=float), nan=lo)) / (hi - lo), 0.0, 1000.0)

    x = np.arange(n) + 0.5
    lines, dots = [], []
    for _, colour, values in series:
        ys = y(values)
        lines.append({"colour": colour, "points": " ".join(f"{a:.1f},{b:.2f}" for a, b in zip(x, ys, strict=True))})
        if n <= DOTS_MAX:
            dots += [
                {"left": f"{a / n * 100:.3f}", "top": f"{b / 10:.3f}", "colour": colour}
                for a, b in zip(x, ys, strict=True)
            ]
    ticks = nice_ticks(lo, hi)
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    rules = [(float(y(t)), colours.PAGE["track"], "") for t in ticks]
    if guide is not None and lo <= guide <= hi:
        rules.append((float(y(guide)), colours.GUIDE, ' stroke-dasharray="4 4"'))
    image = _lines_svg(n, rules, lines)
    if n <= strips.COLUMN_LABELS:  # every token written under its step
        labels, steps = [visible(tok)[:14] for tok in tokens], []
    else:  # too many to read: round step numbers instead
        marks = [int(t) for t in nice_ticks(0, n - 1, 9) if float(t).is_integer()]
        labels, steps = [], [{"left": f"{(t + 0.5) / n * 100:.3f}", "label": str(t)} for t in marks]
    return render(
        "token_lines.html.j2",
        title=title,
        legend=[{"label": label, "colour": colour} for label, colour, _ in series],
        height=LINES_PX,
        image=image,
        dots=dots,
        ticks=[{"top": f"{float(y(t)) / 10:.3f}", "label": _tick_label(t, step)} for t in ticks],
        hovers=hovers,
        labels=labels,
        steps=steps,
        value_label=value_label,
        note=note,
    )


def _lines_svg(n: int, rules: list[tuple[float, str, str]], lines: list[dict]) -> str:
    """The lines as an SVG image (a data URL): stretched to the plot's box (its strokes keep their width), an
    image because the page's HTML takes no inline SVG."""
    width = ' stroke-width="{}" vector-effect="non-scaling-stroke"'
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {n} 1000" preserveAspectRatio="none">',
        *(
            f'<line x1="0" x2="{n}" y1="{at:.2f}" y2="{at:.2f}" stroke="{c}"{width.format(1.5)}{how}/>'
            for at, c, how in rules
        ),
        *(
            f'<polyline fill="none" stroke="{line["colour"]}" stroke-linejoin="round"{width.format(2.5)} '
            f'points="{line["points"]}"/>'
            for line in lines
        ),
        "</svg>",
    ]
    return "data:image/svg+xml;base64," + base64.b64encode("".join(parts).encode("utf-8")).decode("ascii")


def _step_name(t: int, token: str) -> str:
    return f"step {t} {visible(token)!r}"


def running_probabilities(probs: np.ndarray, tokens: list[str], labels: list[str]) -> str:
    """Class probabilities after each token (HTML): a line each for two classes, over the dotted 0.5 line; for
    more classes one stacked column per token (:func:`lstm_viz.plots.strips.class_prob_columns_html`)."""
    probs = np.asarray(probs, dtype=float)
    if probs.ndim != 2 or probs.shape[0] != len(tokens) or probs.shape[1] != len(labels):
        raise ValueError(f"probs {probs.shape} must be (len(tokens)={len(tokens)}, len(labels)={len(labels)})")
    if len(labels) > 2:
        return strips.class_prob_columns_html(probs, labels, tokens)
    hovers = [
        f"{_step_name(t, tok)}: " + " · ".join(f"P({label}) = {p:.3f}" for label, p in zip(labels, row, strict=True))
        for t, (tok, row) in enumerate(zip(tokens, probs.tolist(), strict=True))
    ]
    return token_lines_html(
        "Running prediction: class probabilities after each token",
        [(str(label), colours.class_colour(c), probs[:, c]) for c, label in enumerate(labels)],
        tokens,
        (0.0, 1.0),
        "probability",
        hovers,
        "One point per token read, from the first (left) to the last; the dotted line is 0.5, where the prediction "
        "changes sides. Hover a step for its numbers.",
        guide=0.5,
    )


def contribution_bars(contributions: np.ndarray, units: np.ndarray, bias: float, logit: float, label: str) -> str:
    """The top units' shares W[c,u]·h[u] of class ``label``'s logit, then 'all other units' and the bias, as signed
    bars about a zero line (HTML); each bar's exact share on hover."""
    contributions = np.asarray(contributions, dtype=float)
    units = np.asarray(units, dtype=int)
    rest = float(contributions.sum() - contributions[units].sum())
    names = [f"unit {u}" for u in units.tolist()] + ["all other units", "bias"]
    values = [*contributions[units].tolist(), rest, float(bias)]
    up, down = colours.SIGNED.colour(0.8, (-1.0, 1.0)), colours.SIGNED.colour(-0.8, (-1.0, 1.0))
    bar_colours = [up if v >= 0 else down for v in values[:-2]] + [colours.REST, colours.BIAS]
    lo, hi = min(0.0, *values), max(0.0, *values)
    span = (hi - lo) or 1.0
    bars = [
        {
            "name": name,
            "left": f"{(min(v, 0.0) - lo) / span * 100:.3f}",
            "width": f"{abs(v) / span * 100:.3f}",
            "colour": colour,
            "text": f"{v:+.3f}".replace("-", "−"),
            "hover": f"{name}: {v:+.4f}",
        }
        for name, v, colour in zip(names, values, bar_colours, strict=True)
    ]
    return render(
        "signed_bars.html.j2",
        title=f"Shares of the final {label!r} logit ({logit:+.3f} = bias + sum over all units)",
        bars=bars,
        zero=f"{-lo / span * 100:.3f}",
        note="Bar: head weight × hidden value, right of the line (zero) for a share that raises the logit, left for "
        "one that lowers it. Hover a bar for its exact share.",
    )


def unit_cell_traces(cell: np.ndarray, units: np.ndarray, tokens: list[str], contributions: np.ndarray) -> str:
    """Cell state C_t of the given units across the text (HTML), one line each, its share in the legend."""
    cell = np.asarray(cell, dtype=float)
    units = [int(u) for u in np.asarray(units, dtype=int)]
    shown = cell[:, units] if units else np.zeros((cell.shape[0], 0))
    finite = shown[np.isfinite(shown)]
    lo, hi = (min(0.0, float(finite.min())), max(0.0, float(finite.max()))) if finite.size else (-1.0, 1.0)
    pad = (hi - lo) * 0.05 or 1.0
    hovers = [
        f"{_step_name(t, tok)}: " + " · ".join(f"unit {u} C = {v:.3f}" for u, v in zip(units, row, strict=True))
        for t, (tok, row) in enumerate(zip(tokens, shown.tolist(), strict=True))
    ]
    return token_lines_html(
        "Cell state C_t of the top units while reading",
        [(f"unit {u} ({contributions[u]:+.2f})", colours.class_colour(k), shown[:, k]) for k, u in enumerate(units)],
        tokens,
        (lo - pad, hi + pad),
        "cell state C",
        hovers,
        "One line per unit, its share of the logit in brackets; the dotted line is zero. Hover a step for its numbers.",
        guide=0.0,
    )


def confusion_heatmap(matrix, labels: list[str]) -> str:
    """Confusion matrix counts (HTML table): rows = true class, columns = predicted class, each cell shaded by its
    share of the row."""
    matrix = np.asarray(matrix, dtype=float)
    if matrix.shape != (len(labels), len(labels)):
        raise ValueError(f"confusion matrix {matrix.shape} does not match {len(labels)} labels")
    totals = matrix.sum(axis=1, keepdims=True)
    share = np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)
    shades = colours.PROBABILITY.shade(share, (0.0, 1.0))
    rows = [
        {
            "label": str(true),
            "cells": [
                {
                    "count": f"{int(matrix[r, c]):,}",
                    "share": f"{share[r, c]:.0%}",
                    "shade": int(shades[r, c]),
                    "hover": f"true {true}, predicted {predicted}: {int(matrix[r, c]):,} "
                    f"({share[r, c]:.0%} of the row)",
                }
                for c, predicted in enumerate(labels)
            ],
        }
        for r, true in enumerate(labels)
    ]
    return render(
        "confusion.html.j2",
        title="Held-out confusion matrix (rows: true class, columns: predicted)",
        labels=[str(label) for label in labels],
        turned=len(labels) > TURNED_LABELS,
        rows=rows,
        note="Each cell: how many held-out texts of that true class got that prediction, and its share of the row "
        "(the darker, the larger). The diagonal holds the right answers.",
    )
