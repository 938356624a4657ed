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
from lstm_viz.plots.wording import TEXT, say

LINES_PX = 240  # the height of a chart of lines along the text
DOTS_MAX = 60  # up to this many tokens each step of a line is also a dot (as a point one can count)
Y_TICKS = 5  # about this many labelled values on a chart's value axis
LABEL_PX, PLOT_PX = 16, 480  # a token label written upwards needs 16 px; the narrowest plot (1024 px screen) is 480
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
    power = math.floor(math.log10(step)) if step > 0 and math.isfinite(step) else 0
    decimals = max(0, -power + (1 if round(step / 10**power, 6) == 2.5 else 0))
    return f"{value + 0.0:.{decimals}f}".replace("-", "−")


def token_lines_html(
    title: str,
    series: list[tuple[str, str, np.ndarray]],
    tokens: list[str],
    value_range: tuple[float, float],
    value_label: str,
    hovers: list[str],
    note: str,
    guide: float | None = None,
    stacked: bool = False,
) -> str:
    """Lines along a text, one per ``series`` (label, colour, a value per token), drawn as an SVG image in the page (no
    chart library to load): the value axis over ``value_range``, a dotted ``guide`` line, the tokens written under
    their steps (every k-th where :data:`LABEL_PX` each would not fit :data:`PLOT_PX`; round step numbers instead
    past :data:`lstm_viz.plots.strips.COLUMN_LABELS` tokens), and each step's ``hovers`` line on hover. A value that
    is not a number breaks its line (no point, no dot); one past the range is drawn at its edge. ``stacked``: each
    series is a band on top of the ones before it (the first at the bottom), filled in its colour, with no dots."""
    n = len(tokens)
    if n == 0:
        raise ValueError("no tokens to draw")
    lo, hi = value_range
    if not (math.isfinite(lo) and math.isfinite(hi)):
        lo, hi = -1.0, 1.0
    if hi <= lo:
        lo, hi = lo - 1.0, lo + 1.0
    if any(len(values) != n for _, _, values in series) or len(hovers) != n:
        raise ValueError(f"every series and the hovers need one value per token ({n})")

    def y(value) -> np.ndarray:  # 0 at the top of the plot, 1000 at its bottom (a value past the range: its edge)
        return np.clip(1000.0 * (hi - np.asarray(value, dtype=float)) / (hi - lo), 0.0, 1000.0)

    x = np.arange(n) + 0.5
    lines, dots, bands = [], [], []
    if stacked:  # band c runs from the sum of the series before it to that sum plus its own values
        tops = np.cumsum(np.nan_to_num(np.array([values for _, _, values in series], dtype=float), nan=0.0), axis=0)
        for c, (_, colour, _) in enumerate(series):
            upper, lower = y(tops[c]), y(tops[c - 1]) if c else np.full(n, 1000.0)
            along = [f"{x[t]:.1f},{upper[t]:.2f}" for t in range(n)]  # its top edge left to right, its bottom back
            back = [f"{x[t]:.1f},{lower[t]:.2f}" for t in reversed(range(n))]
            bands.append({"colour": colour, "points": " ".join(along + back)})
    for _, colour, values in [] if stacked else series:
        values = np.asarray(values, dtype=float)
        ys, finite = y(values), np.isfinite(values)  # a value that is not a number is not drawn: the line breaks
        for run in np.split(np.arange(n), np.flatnonzero(np.diff(finite)) + 1):
            if finite[run[0]]:
                lines.append({"colour": colour, "points": " ".join(f"{x[t]:.1f},{ys[t]:.2f}" for t in run)})
        if n <= DOTS_MAX:
            dots += [
                {"left": f"{x[t] / n * 100:.3f}", "top": f"{ys[t] / 10:.3f}", "colour": colour}
                for t in np.flatnonzero(finite)
            ]
    ticks = nice_ticks(lo, hi)
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    rules = [(float(y(t)), colours.PAGE["track"], "") for t in ticks]
    if guide is not None and lo <= guide <= hi:
        rules.append((float(y(guide)), colours.GUIDE, ' stroke-dasharray="4 4"'))
    image = _lines_svg(n, rules, lines, bands)
    if n <= strips.COLUMN_LABELS:  # tokens written under their steps: each, or every k-th where they would touch
        every = max(1, math.ceil(n * LABEL_PX / PLOT_PX))
        names = {t: visible(tokens[t])[:14] for t in range(0, n, every)}
        labels, steps = [{"left": f"{(t + 0.5) / n * 100:.3f}", "label": name} for t, name in names.items()], []
        label_px = 8 * max(map(len, names.values())) + 6  # the longest label, written upwards
    else:  # too many to read: round step numbers instead
        marks = [int(t) for t in nice_ticks(0, n - 1, 9) if float(t).is_integer()]
        labels, steps = [], [{"left": f"{(t + 0.5) / n * 100:.3f}", "label": str(t)} for t in marks]
        label_px = 0
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
        label_px=label_px,
        steps=steps,
        value_label=value_label,
        note=note,
    )


def _lines_svg(n: int, rules: list[tuple[float, str, str]], lines: list[dict], bands: list[dict]) -> str:
    """The lines as an SVG image (a data URL): stretched to the plot's box (its strokes keep their width), an
    image because the page's HTML takes no inline SVG."""
    width = ' stroke-width="{}" vector-effect="non-scaling-stroke"'
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {n} 1000" preserveAspectRatio="none">',
        *(f'<polygon fill="{band["colour"]}" points="{band["points"]}"/>' for band in bands),
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


def _hovers(tokens: list[str], parts: list[list[str]]) -> list[str]:
    """Each step's hover: its step, its token and its ``parts`` (as the running columns word them)."""
    return [
        say("column_hover", step=t, token=repr(visible(tok)), parts=TEXT["column_join"].join(row))
        for t, (tok, row) in enumerate(zip(tokens, parts, strict=True))
    ]


def running_probabilities(probs: np.ndarray, tokens: list[str], labels: list[str]) -> str:
    """Class probabilities after each token (HTML): a line each for two classes, over the dotted 0.5 line; for
    more classes a band each, stacked from the first class at the bottom (each step's bands fill the height)."""
    probs = np.asarray(probs, dtype=float)
    if probs.ndim != 2 or probs.shape[0] != len(tokens) or probs.shape[1] != len(labels):
        raise ValueError(f"probs {probs.shape} must be (len(tokens)={len(tokens)}, len(labels)={len(labels)})")
    two = len(labels) <= 2
    if two:
        parts = [[f"P({label}) = {p:.3f}" for label, p in zip(labels, row, strict=True)] for row in probs]
        how = "One point per token read, from the first (left) to the last; the dotted line is 0.5, where the "
        how += "prediction changes sides."
    else:
        parts = [
            [say("column_part", label=label, p=f"{p:.1%}") for label, p in zip(labels, row, strict=True)]
            for row in probs
        ]
        how = "One step per token read, from the first (left) to the last; the height of each colour is that class's "
        how += "probability, the first class at the bottom."
    return token_lines_html(
        "Running prediction: class probabilities after each token",
        [(str(label), colours.class_colour(c), probs[:, c]) for c, label in enumerate(labels)],
        tokens,
        (0.0, 1.0),
        "probability" if two else "probability (stacked)",
        _hovers(tokens, parts),
        how + " Hover a step for its numbers.",
        guide=0.5 if two else None,
        stacked=not two,
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
        zero=f"{(0.0 - lo) / span * 100 + 0.0:.3f}",
        note="A unit's bar: its head weight × its hidden value after the last token, red where it raises the logit, "
        "blue where it lowers it; 'all other units' is the rest of those shares summed, 'bias' the head's bias (both "
        "grey). Right of the line (zero) raises the logit, left lowers it. Hover a bar for its exact share.",
    )


def unit_cell_traces(cell: np.ndarray, units: np.ndarray, tokens: list[str], contributions: np.ndarray) -> str:
    """Cell state C_t of the given units across the text (HTML), one line each, its share in the legend."""
    cell = np.asarray(cell, dtype=float)
    units = [int(u) for u in np.asarray(units, dtype=int)]
    shown = cell[:, units] if units else np.zeros((cell.shape[0], 0))
    finite = shown[np.isfinite(shown)]
    lo, hi = (min(0.0, float(finite.min())), max(0.0, float(finite.max()))) if finite.size else (-1.0, 1.0)
    pad = (hi - lo) * 0.05 or 1.0
    hovers = _hovers(tokens, [[f"unit {u} C = {v:.3f}" for u, v in zip(units, row, strict=True)] for row in shown])
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
