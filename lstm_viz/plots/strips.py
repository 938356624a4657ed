"""HTML views of one step: the token strip, the gate strip of all units, probability bars, legends.

These redraw at every step change, so they are HTML (rendered from ``templates/``), not Plotly
charts: Streamlit re-creates a Plotly chart whenever its data change, which cost a full chart
build in the browser per step. Every colour comes from :mod:`.colours`, every word from
:mod:`.wording` (the browser-side stepper draws the same views with the same words); every cell and
bar has its exact number on hover. Pure functions: numbers in, an HTML string out.
"""

from __future__ import annotations

import numpy as np

from lstm_viz.engine import cell
from lstm_viz.plots import colours
from lstm_viz.plots.html import render, visible
from lstm_viz.plots.wording import TEXT, say


def _window(n: int, current: int | None, window: int | None) -> tuple[int, int]:
    """The [lo, hi) range of a ``window`` of tokens around ``current`` (all of them when short)."""
    if window is None or n <= window or current is None:
        return 0, n
    lo = max(0, min(current - window // 2, n - window))
    return lo, lo + window


def token_strip_html(
    tokens: list[str],
    current: int | None = None,
    values: np.ndarray | None = None,
    scale: colours.Scale = colours.SIGNED,
    value_range: tuple[float, float] | None = None,
    unknown: set[int] | frozenset[int] = frozenset(),
    window: int | None = None,
    font_px: int = 22,
) -> str:
    """The text as a strip of token boxes: the current one outlined, each coloured by ``values`` (T,).

    ``scale`` colours the backgrounds over ``value_range`` (default: the scale's own range, ±max
    for a signed scale); tokens in ``unknown`` are underlined. ``window`` keeps only that many
    tokens around ``current``, so a long text does not push what follows off the screen. Hovering
    a token shows its step and exact value.
    """
    lo, hi = _window(len(tokens), current, window)
    shades = numbers = None
    if values is not None:
        values = np.asarray(values, dtype=np.float64)
        value_range = value_range or scale.value_range(values)
        shades = scale.shade(values[lo:hi], value_range).tolist()
        numbers = [f"{v:.4f}" for v in values[lo:hi].tolist()]
    items = []
    for t in range(lo, hi):
        classes, title = ["tok"], say("token_title", step=t, token=repr(tokens[t]))
        if shades is not None:
            classes.append(f"lv-{scale.name}-{shades[t - lo]}")
            title += say("token_value", value=numbers[t - lo])
        if t == current:
            classes.append("cur")
        if t in unknown:
            classes.append("unk")
            title += TEXT["token_unknown"]
        items.append(
            {
                "step": t,
                "classes": " ".join(classes),
                "title": title,
                "text": visible(tokens[t]),
                "newline": tokens[t] == "\n",
            }
        )
    earlier = say("earlier", count=lo) if lo else ""
    later = say("later", count=len(tokens) - hi) if hi < len(tokens) else ""
    return render("token_strip.html.j2", tokens=items, earlier=earlier, later=later, font_px=font_px)


def gate_strip_html(values: dict[str, np.ndarray], order: np.ndarray | None = None, unit: int | None = None) -> str:
    """One row per quantity (f, i, g, o, c, h, or h and the pre-activation), one column per unit, at one step.

    ``values`` maps quantity name -> (H,); ``order`` lists units left to right; ``unit`` is
    outlined. Gates use the gate scale (0..1); g and h the signed scale over −1..1; c (and a
    pre-activation) the signed scale over ±its largest magnitude at this step.
    """
    n_units = len(next(iter(values.values())))
    axis = TEXT["axis_index"] if order is None else TEXT["axis_order"]
    order = np.arange(n_units) if order is None else np.asarray(order)
    if unit is not None and unit in order:
        axis += TEXT["axis_chosen"]
    rows = []
    for name, raw in values.items():
        raw = np.asarray(raw, dtype=np.float64)[order]
        scale = colours.for_quantity(name)
        shades = scale.shade(raw, colours.quantity_range(name, raw)).tolist()
        symbol = cell.symbol(name)
        cells = []
        for u, v, k in zip(order.tolist(), raw.tolist(), shades, strict=True):
            title = say("unit_title", unit=u, symbol=symbol, value=f"{v:.4f}")
            cells.append({"unit": u, "shade": k, "on": u == unit, "title": title})
        rows.append({"label": cell.title(name), "scale": scale.name, "cells": cells})
    return render("gate_strip.html.j2", rows=rows, n_units=n_units, axis=axis)


def _gradient(scale: colours.Scale) -> str:
    return ",".join(f"{c} {p * 100:.0f}%" for p, c in scale.plotly())


def legend_html(scale: colours.Scale, lo: str, hi: str, label: str, note: str = "") -> str:
    """A colour bar for ``scale`` with its two ends labelled (``lo``, ``hi``), after ``label``."""
    return render("legend.html.j2", label=label, gradient=_gradient(scale), lo=lo, hi=hi, swatches=[], note=note)


def strip_legend_html(kind: str = "lstm") -> str:
    """The legend of the gate strip and the heatmaps for a layer of ``kind`` (``cell.KINDS``): its gates' scale
    (none for a vanilla RNN) and the signed scale of the rest."""
    spec = cell.KINDS[kind]
    symbols = lambda names: ", ".join(cell.symbol(q) for q in names)  # noqa: E731
    bounded = [q for q in spec.quantities if q not in spec.gates and cell.QUANTITY[q].kind == "tanh"]
    unbounded = [q for q in spec.quantities if cell.QUANTITY[q].kind == "unbounded"]
    signed = f"{symbols(bounded)} (−1 to 1)"
    signed += f" and {symbols(unbounded)} (± its largest magnitude)" if unbounded else ""
    gates = legend_html(colours.GATE, "0 shut", "1 open", f"gates {symbols(spec.gates)}:") if spec.gates else ""
    note = "hover a cell for the unit and its exact value"
    return gates + legend_html(colours.SIGNED, "negative", "positive", f"{signed}:", note=note)


def _bars_html(rows, scale: float, title: str, notes: list[str], label_col: str) -> str:
    """Horizontal bars: ``rows`` of (label, probability, colour, hover); length is probability / ``scale``."""
    bars = [
        {"label": label, "width": f"{p / scale * 100:.2f}", "colour": colour, "hover": hover, "percent": f"{p:.1%}"}
        for label, p, colour, hover in rows
    ]
    return render("bars.html.j2", title=title, notes=notes, bars=bars, label_col=label_col)


def next_token_bars_html(probs: np.ndarray, labels: list[str], actual: str | None = None, k: int = 10) -> str:
    """Top-``k`` next-token probabilities as bars, largest on top; the actual next token highlighted."""
    probs = np.asarray(probs, dtype=np.float64)
    top = np.argsort(-probs, kind="stable")[:k]
    notes = []
    if actual is not None:
        token = repr(visible(actual))
        if actual in labels:
            p = float(probs[labels.index(actual)])
            rank = int((probs > p).sum()) + 1
            notes.append(say("next_actual", token=token, rank=rank, p=f"{p:.1%}"))  # written out: not only in the top
        else:
            notes.append(say("next_unknown", token=token))
    notes.append(TEXT["next_length"])
    rows = [
        (
            visible(labels[i]),
            float(probs[i]),
            colours.HIGHLIGHT if labels[i] == actual else colours.NEUTRAL,
            say("next_hover", token=repr(visible(labels[i])), p=f"{probs[i]:.4f}"),
        )
        for i in top.tolist()
    ]
    word_level = any(len(label) > 2 for label in labels)
    what = "word" if word_level else "character"
    scale = max(float(probs[top[0]]), 1e-9) * 1.1
    title = say("next_title", what=what, k=len(top))
    return _bars_html(rows, scale, title, notes, "max-content" if word_level else "3em")


def output_bars_html(probs: np.ndarray, labels: list[str], title: str) -> str:
    """Probabilities of each class at one step, in label order, each in its class colour; the predicted one bold."""
    probs = np.asarray(probs, dtype=np.float64)
    best = int(np.argmax(probs))
    rows = [
        (
            say("class_best", label=label) if c == best else str(label),
            float(p),
            colours.class_colour(c),
            say("class_hover", label=label, p=f"{p:.4f}"),
        )
        for c, (label, p) in enumerate(zip(labels, probs, strict=True))
    ]
    notes = [TEXT["class_predicted"], TEXT["class_length"]]
    return _bars_html(rows, 1.0, title, notes, "max-content")


COLUMN_LABELS = 80  # tokens labelled under the running prediction's columns (past that, every k-th)


def class_prob_columns_html(probs: np.ndarray, labels: list[str], tokens: list[str], step: int | None = None) -> str:
    """Running class probabilities as one stacked column per token (first class at the bottom),
    the current step outlined; hovering a column gives its step, token and every probability."""
    probs = np.asarray(probs, dtype=np.float64)
    columns = []
    for t, row in enumerate(probs.tolist()):
        parts = TEXT["column_join"].join(
            say("column_part", label=label, p=f"{p:.1%}") for label, p in zip(labels, row, strict=True)
        )
        hover = say("column_hover", step=t, token=repr(visible(tokens[t])), parts=parts)
        segments = [{"height": f"{p * 100:.2f}", "colour": colours.class_colour(c)} for c, p in enumerate(row)]
        columns.append({"hover": hover, "segments": segments, "current": t == step})
    legend = [{"colour": colours.class_colour(c), "label": str(label)} for c, label in enumerate(labels)]
    every = max(1, -(-len(tokens) // COLUMN_LABELS))  # every token labelled under its column, up to COLUMN_LABELS
    names = [visible(tok)[:14] if t % every == 0 else "" for t, tok in enumerate(tokens[: len(columns)])]
    return render(
        "class_columns.html.j2",
        columns=columns,
        legend=legend,
        labels=names,
        title=TEXT["columns_title"],
        note=TEXT["columns_note" if step is not None else "columns_note_whole"],  # no step, no outline
    )


def completion_bars_html(typed: str, completions) -> str:
    """Autocomplete's continuations as bars, most likely on top: what was typed of the word, then the rest."""
    word = typed.split()[-1] if typed and not typed[-1].isspace() else ""
    rows = [
        (f"{word}{c.text}" if word else c.text.strip(), c.prob, colours.HIGHLIGHT if k == 0 else colours.NEUTRAL,
         f"{typed[-20:]!r} + {c.text!r}: p = {c.prob:.4f}")
        for k, c in enumerate(completions)
    ]  # fmt: skip
    scale = max((c.prob for c in completions), default=1.0) * 1.1 or 1.0
    return _bars_html(rows, scale, "Most likely continuations", [TEXT["next_length"]], "max-content")
