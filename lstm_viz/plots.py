"""Pure figure builders: numpy in, a ``go.Figure`` or an HTML/SVG string out. No streamlit, no torch.

Every chart in the app is built here, so pages stay thin and each builder is tested without a
server. Sections are grouped by the page that uses them; shared helpers sit at the top.
"""

from __future__ import annotations

import functools
import html

import numpy as np
import plotly.colors
import plotly.graph_objects as go

# --- shared helpers -------------------------------------------------------------------------

# --- explorer: Step Through, Gate Heatmaps, Equations ----------------------------------------

FONT_SIZE = 16  # readable on a classroom projector
QUANTITY_LABELS = {
    "forget_gate": "f  forget gate",
    "input_gate": "i  input gate",
    "candidate": "g  candidate",
    "output_gate": "o  output gate",
    "cell": "c  cell state",
    "hidden": "h  hidden state",
    "preactivation": "pre-activation",
}
GATE_SCALE = "Viridis"  # 0..1 quantities (σ gates)
SIGNED_SCALE = "RdBu_r"  # signed quantities, symmetric around 0: blue negative, red positive


def _visible(token: str) -> str:
    return token.replace("\n", "↵").replace(" ", "␣").replace("\t", "⇥")


def _layout(fig: go.Figure, height: int, title: str | None = None) -> go.Figure:
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


def value_range(name: str, values: np.ndarray) -> tuple[float, float, str]:
    """(zmin, zmax, colourscale) for a quantity: gates 0..1, the rest symmetric around 0."""
    if name in ("forget_gate", "input_gate", "output_gate"):
        return 0.0, 1.0, GATE_SCALE
    if name in ("candidate", "hidden"):
        return -1.0, 1.0, SIGNED_SCALE
    m = float(np.max(np.abs(values))) if np.size(values) else 1.0
    return -max(m, 1e-6), max(m, 1e-6), SIGNED_SCALE


def scale_colours(x: np.ndarray, scale: str = SIGNED_SCALE) -> list[str]:
    """Hex colours of values ``x`` in -1..1 on a Plotly colour scale (linear between its stops),
    so HTML and SVG figures match the Plotly charts' colours."""
    stops = plotly.colors.get_colorscale(scale)
    where = np.array([p for p, _ in stops], dtype=np.float64)
    rgb = np.array(
        [plotly.colors.unlabel_rgb(plotly.colors.convert_colors_to_same_type(c, "rgb")[0][0]) for _, c in stops]
    )
    t = (np.clip(np.asarray(x, dtype=np.float64).ravel(), -1, 1) + 1) / 2
    channels = np.stack([np.interp(t, where, rgb[:, k]) for k in range(3)], axis=1).round().astype(int)
    return [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in channels.tolist()]


STRIP_SHADES = 33  # colour steps of the gate strip across -1..1 (an odd number keeps white at 0)


@functools.cache
def _strip_palette() -> tuple[str, ...]:
    return tuple(scale_colours(np.linspace(-1, 1, STRIP_SHADES)))


def gate_strip_html(values: dict[str, np.ndarray], order: np.ndarray | None = None, unit: int | None = None) -> str:
    """One row per quantity (f, i, g, o, c, h, or h and pre-activation), one column per unit, at one step.

    ``values`` maps quantity name -> (H,); ``order`` lists units left to right; ``unit`` is
    outlined. One blue-white-red scale (Plotly's ``SIGNED_SCALE`` in STRIP_SHADES steps): gates
    map 0..1, g and h map -1..1, and c (and a pre-activation) is scaled by its largest magnitude
    at this step. Hovering a cell shows the quantity, the unit index and the exact value.
    HTML (a CSS grid of cells, coloured by class) rather than a Plotly chart: Streamlit re-creates
    a Plotly chart whenever its data change, which made every step change cost a full chart
    build in the browser.
    """
    names = list(values)
    n_units = len(next(iter(values.values())))
    axis = "unit index, left to right" if order is None else "unit, in the order chosen"
    order = np.arange(n_units) if order is None else np.asarray(order)
    if unit is not None and unit in order:
        axis += " (the outlined column is the chosen unit)"
    rows, used = [], set()
    for name in names:
        raw = np.asarray(values[name], dtype=np.float64)[order]
        lo, hi, _ = value_range(name, raw)
        x = np.clip((raw - lo) / (hi - lo) * 2 - 1, -1, 1)
        shade = np.rint((x + 1) / 2 * (STRIP_SHADES - 1)).astype(int).tolist()
        used.update(shade)
        short = html.escape(QUANTITY_LABELS.get(name, name).split("  ")[0])
        cells = "".join(
            f'<i class="k{k}{" on" if u == unit else ""}" title="unit {u}: {short} = {v:.4f}"></i>'
            for u, v, k in zip(order.tolist(), raw.tolist(), shade, strict=True)
        )
        label = html.escape(QUANTITY_LABELS.get(name, name))
        rows.append(f'<div class="gs-label">{label}</div><div class="gs-row">{cells}</div>')
    palette = _strip_palette()
    shades = " ".join(f".gs-row .k{k}{{background:{palette[k]}}}" for k in sorted(used))
    return (
        f"<style>.gate-strip{{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;align-items:center;"
        f"font-size:{FONT_SIZE}px}} .gs-label{{font-family:ui-monospace,Menlo,Consolas,monospace;white-space:pre}}"
        f" .gs-row{{display:grid;grid-template-columns:repeat({n_units},1fr);height:36px}}"
        f" .gs-row i{{display:block}} .gs-row i.on{{outline:3px solid #000;z-index:1}} {shades}"
        f" .gs-axis{{grid-column:2;color:#555;text-align:center}}</style>"
        f'<div class="gate-strip">{"".join(rows)}'
        f'<div class="gs-axis">{axis}</div></div>'
    )


MAX_CLICK_CELLS = 20_000  # heatmaps up to this many cells get click-to-select markers


def quantity_heatmap(
    values: np.ndarray,
    tokens: list[str],
    name: str,
    units: np.ndarray | None = None,
    step: int | None = None,
    unit: int | None = None,
    height: int = 420,
    clickable: bool = True,
) -> go.Figure:
    """Tokens (x, in reading order) by units (y, in ``units`` order) for one quantity (T, H).

    The cell state uses a symmetric colour scale around 0; gates 0..1. Hover: token, step, unit,
    value. A clicked cell is outlined by Plotly's own selection style (``clickable=False`` leaves
    out the click markers, for charts whose page does not read clicks). ``step`` and ``unit``,
    when given, are marked by two lines. The Gate Heatmaps page leaves them out: Streamlit
    re-creates a Plotly chart in the browser whenever its figure changes, and redrawing six
    heatmaps with a clickable marker on every cell took 4 to 15 seconds per step change.
    """
    values = np.asarray(values, dtype=np.float64)
    units = np.arange(values.shape[1]) if units is None else np.asarray(units)
    z = values[:, units].T  # (U, T)
    zmin, zmax, scale = value_range(name, z)
    labels = [f"{t}:{_visible(tok)}" for t, tok in enumerate(tokens)]  # "step:token", unique per step
    label = QUANTITY_LABELS.get(name, name)
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=labels,
            y=[f"u{u}" for u in units],
            zmin=zmin,
            zmax=zmax,
            colorscale=scale,
            colorbar=dict(title=dict(text=label.split("  ")[0], side="top"), thickness=14),
            hoverinfo="skip",
        )
    )
    # Heatmap cells cannot report clicks to Streamlit; an invisible marker on every cell can,
    # and carries the hover text (step:token, unit, exact value). Very large grids skip them
    # (the page's step and unit pickers still work) to keep the chart light.
    hover = "step:token %{x}<br>unit %{y}<br>" + label.split("  ")[-1]
    if z.size > MAX_CLICK_CELLS or not clickable:
        fig.data[0].update(hoverinfo=None, hovertemplate=hover + " %{z:.4f}<extra></extra>")
    else:
        grid_x, grid_y = np.meshgrid(np.arange(len(labels)), np.arange(len(units)))
        fig.add_trace(
            go.Scatter(
                x=np.asarray(labels, dtype=object)[grid_x.ravel()],
                y=np.asarray([f"u{u}" for u in units], dtype=object)[grid_y.ravel()],
                mode="markers",
                marker=dict(size=14, opacity=0, symbol="square-open", color="black", line=dict(width=3)),
                selected=dict(marker=dict(opacity=1)),  # the clicked cell, outlined
                unselected=dict(marker=dict(opacity=0)),
                customdata=z.ravel(),
                hovertemplate=hover + " %{customdata:.4f}<extra></extra>",
                showlegend=False,
            )
        )
    if step is not None and 0 <= step < len(labels):
        fig.add_vline(x=labels[step], line=dict(color="black", width=2))
    if unit is not None and unit in units:
        fig.add_hline(y=f"u{unit}", line=dict(color="black", width=2))
    fig.update_xaxes(
        type="category", title="step:token", tickangle=-60, nticks=30, automargin=True, range=[-0.5, len(labels) - 0.5]
    )
    fig.update_yaxes(type="category", title="unit", range=[len(units) - 0.5, -0.5], showticklabels=len(units) <= 48)
    return _layout(fig, height, title=QUANTITY_LABELS.get(name, name))


def cell_lines(cell: np.ndarray, tokens: list[str], units, step: int | None = None) -> go.Figure:
    """The cell state of the chosen ``units`` along the text (x: token, y: c_t)."""
    cell = np.asarray(cell)
    labels = [f"{t}:{_visible(tok)}" for t, tok in enumerate(tokens)]
    fig = go.Figure()
    for u in units:
        fig.add_trace(
            go.Scatter(
                x=labels,
                y=cell[:, int(u)],
                mode="lines+markers" if len(tokens) <= 80 else "lines",
                name=f"unit {int(u)}",
                hovertemplate=f"unit {int(u)}<br>%{{x}}<br>c = %{{y:.4f}}<extra></extra>",
            )
        )
    if step is not None and 0 <= step < len(labels):
        fig.add_vline(x=labels[step], line=dict(color="black", width=1, dash="dot"))
    fig.add_hline(y=0, line=dict(color="#999", width=1))
    fig.update_xaxes(type="category", title="step:token", tickangle=-60, nticks=40)
    fig.update_yaxes(title="cell state c")
    fig.update_layout(legend=dict(orientation="h", y=1.12))
    return _layout(fig, 360, title="Cell state of the chosen units")


def _bars_html(rows: list[tuple[str, float, bool, str]], scale: float, title: str, notes: list[str], wide: bool) -> str:
    """Horizontal HTML bars: ``rows`` of (label, probability, highlighted, hover text).

    Bar length is probability / ``scale``; highlighted bars are orange, the rest blue. ``wide``
    gives the label column room for words (class names) instead of one character.
    """
    cells = []
    for label, p, highlighted, hover in rows:
        cells.append(
            f'<div class="nb-tok">{html.escape(label)}</div>'
            f'<div class="nb-track" title="{html.escape(hover)}"><div style="width:{p / scale * 100:.2f}%;'
            f'background:{"#ff7f0e" if highlighted else "#1f77b4"}"></div></div><div class="nb-p">{p:.1%}</div>'
        )
    label_col = "max-content" if wide else "3em"
    notes_html = "".join(f'<div class="nb-note">{note}</div>' for note in notes[:-1])
    return (
        f"<style>.next-bars{{font-size:{FONT_SIZE}px}} .nb-title{{font-size:{FONT_SIZE + 4}px;font-weight:600}}"
        f" .nb-note{{color:#555;margin:3px 0}} .nb-grid{{display:grid;grid-template-columns:{label_col} 1fr 4.5em;"
        f"gap:5px 10px;align-items:center}} .nb-tok{{font-family:ui-monospace,Menlo,Consolas,monospace;"
        f"font-size:{FONT_SIZE + 4}px;text-align:center;border:1px solid #ccc;border-radius:4px;white-space:pre;"
        f"padding:0 6px}} .nb-track{{height:26px}} .nb-track div{{height:100%;border-radius:3px}}"
        f" .nb-p{{text-align:right}}</style>"
        f'<div class="next-bars"><div class="nb-title">{html.escape(title)}</div>{notes_html}'
        f'<div class="nb-grid">{"".join(cells)}</div><div class="nb-note">{notes[-1]}</div></div>'
    )


def next_token_bars_html(probs: np.ndarray, labels: list[str], actual: str | None = None, k: int = 10) -> str:
    """Top-``k`` next-token probabilities as HTML bars, largest on top; the actual next token in orange.

    HTML rather than a Plotly chart for the same reason as :func:`gate_strip_html`: it redraws
    at every step. Hovering a bar shows the exact probability.
    """
    probs = np.asarray(probs, dtype=np.float64)
    top = np.argsort(-probs, kind="stable")[:k]
    notes = []
    if actual is not None:
        rank = int((probs > probs[labels.index(actual)]).sum()) + 1 if actual in labels else None
        ranked = f", rank {rank}" if rank else " (not in the vocabulary)"
        notes.append(f"orange: the actual next {html.escape(repr(_visible(actual)))}{ranked}")
    notes.append("bar length: probability, relative to the most likely")
    rows = [
        (_visible(labels[i]), float(probs[i]), labels[i] == actual, f"next {_visible(labels[i])!r}: p = {probs[i]:.4f}")
        for i in top.tolist()
    ]
    return _bars_html(rows, max(float(probs[top[0]]), 1e-9) * 1.1, f"Next character, top {len(top)}", notes, wide=False)


def output_bars_html(probs: np.ndarray, labels: list[str], title: str) -> str:
    """Probabilities of each class at one step (classifiers and sequence tasks), in label order;
    the predicted class (the most likely) in orange. HTML, redrawn at every step."""
    probs = np.asarray(probs, dtype=np.float64)
    best = int(np.argmax(probs))
    rows = [
        (str(label), float(p), c == best, f"{label}: p = {p:.4f}")
        for c, (label, p) in enumerate(zip(labels, probs, strict=True))
    ]
    notes = ["orange: the class the model predicts now", "bar length: probability (the full width is 1)"]
    return _bars_html(rows, 1.0, title, notes, wide=True)


def class_prob_columns_html(probs: np.ndarray, labels: list[str], tokens: list[str], step: int | None = None) -> str:
    """Running class probabilities as one stacked column per token (first class at the bottom),
    the current step outlined; hovering a column gives its step, token and every probability.

    HTML, like the other per-step views: it redraws at every step. Class colours follow
    Plotly's default sequence, as in the Classify page's charts.
    """
    probs = np.asarray(probs, dtype=np.float64)
    colours = plotly.colors.qualitative.Plotly
    columns = []
    for t, row in enumerate(probs.tolist()):
        hover = f"step {t} {_visible(tokens[t])!r}: " + " · ".join(
            f"{label} {p:.1%}" for label, p in zip(labels, row, strict=True)
        )
        segments = "".join(
            f'<i style="height:{p * 100:.2f}%;background:{colours[c % len(colours)]}"></i>' for c, p in enumerate(row)
        )
        columns.append(
            f'<div class="cp-col{" cur" if t == step else ""}" title="{html.escape(hover)}">{segments}</div>'
        )
    legend = " ".join(
        f'<span class="cp-key"><b style="background:{colours[c % len(colours)]}"></b>{html.escape(str(label))}</span>'
        for c, label in enumerate(labels)
    )
    return (
        f"<style>.class-cols{{font-size:{FONT_SIZE}px}} .cp-title{{font-size:{FONT_SIZE + 4}px;font-weight:600}}"
        f" .cp-key{{margin-right:14px;white-space:nowrap}} .cp-key b{{display:inline-block;width:14px;height:14px;"
        f"margin-right:5px;vertical-align:-2px;border-radius:2px}} .cp-plot{{display:flex;height:130px;gap:1px;"
        f"margin:6px 0;border-bottom:1px solid #999}} .cp-col{{flex:1 1 0;min-width:0;display:flex;"
        f"flex-direction:column-reverse}} .cp-col i{{display:block}} .cp-col.cur{{outline:3px solid #111;z-index:1}}"
        f" .cp-note{{color:#555}}</style>"
        f'<div class="class-cols"><div class="cp-title">Running prediction after each token</div>'
        f'<div>{legend}</div><div class="cp-plot">{"".join(columns)}</div>'
        f'<div class="cp-note">one column per token, from the first (left) to the last; the height of each colour '
        f"is that class's probability; the outlined column is the current step. Hover a column for its numbers.</div>"
        f"</div>"
    )


def annotated_cell_svg(svg: str, values: dict[str, float] | None = None) -> str:
    """The hand-drawn cell diagram (assets/lstm_cell.svg) with live numbers filled in.

    The SVG holds empty ``<text id="val-NAME">`` slots for NAME in c_prev, f, i, g, o, c, h,
    h_prev, x; each gets ``values[NAME]`` formatted to 3 decimals (strings are escaped). Unknown names are ignored.
    """
    for name, value in (values or {}).items():
        slot = f'id="val-{name}"'
        at = svg.find(slot)
        if at < 0:
            continue
        close = svg.find("</text>", at)
        open_end = svg.find(">", at)
        shown = html.escape(value) if isinstance(value, str) else f"{value:+.3f}"
        svg = svg[: open_end + 1] + shown + svg[close:]
    return svg


# --- generation ------------------------------------------------------------------------------

# Probability: light red-yellow-blue (colour-blind safe, dark text stays readable), red = unlikely.
# Surprise -ln p: white (expected) to red (surprising), saturating at SURPRISE_MAX nats.
PROB_STOPS = ((0.0, (239, 118, 98)), (0.25, (253, 184, 133)), (0.5, (255, 236, 166)), (1.0, (166, 206, 232)))
SURPRISE_STOPS = ((0.0, (255, 255, 255)), (0.35, (252, 197, 174)), (1.0, (236, 96, 72)))
SURPRISE_MAX = 6.0  # nats (p ≈ 0.25%); a uniform guess over 65 characters is ln 65 ≈ 4.2
TEXT_FONT = "ui-monospace,Menlo,Consolas,monospace"


def shown(piece: str) -> str:
    """A piece as the pages print it: ↵ for a newline, ␣ for a space, ⇥ for a tab."""
    return _visible(piece)


def candidates_sentence(
    tokens: list[str], step: int, actual: str | None, prob: float | None, rank: int | None, vocab_size: int
) -> str:
    """One Markdown sentence: what the model gave the actual next character at ``step``."""
    read = f"After reading {step + 1} character{'s' * (step > 0)} (ending in `{shown(tokens[step])}`)"
    if actual is None:
        return f"{read}, the text ends: there is no actual next character to score."
    return (
        f"{read}, the model gave the actual next character `{shown(actual)}` probability **{prob:.1%}** "
        f"(rank {rank} of {vocab_size}; surprise {-np.log(max(prob, 1e-300)):.2f} nats)."
    )


def _interpolate(stops, x: float) -> tuple[int, int, int]:
    x = float(np.clip(x, 0.0, 1.0))
    for (x0, c0), (x1, c1) in zip(stops, stops[1:], strict=False):
        if x <= x1:
            w = (x - x0) / (x1 - x0)
            return tuple(round(a + (b - a) * w) for a, b in zip(c0, c1, strict=True))
    return stops[-1][1]


def text_colour(value: float, scale: str = "probability") -> str:
    """Background colour for one character: ``scale`` "probability" (0..1) or "surprise" (nats)."""
    if scale == "probability":
        r, g, b = _interpolate(PROB_STOPS, value)
    elif scale == "surprise":
        r, g, b = _interpolate(SURPRISE_STOPS, value / SURPRISE_MAX)
    else:
        raise ValueError(f"scale must be 'probability' or 'surprise', got {scale!r}")
    return f"rgb({r},{g},{b})"


def coloured_text_html(
    pieces: list[str],
    values: np.ndarray,
    scale: str = "probability",
    current: int | None = None,
    font_px: int = 18,
) -> str:
    """The text with each piece on a background coloured by its value; NaN = not coloured (grey).

    ``values`` (T,) are probabilities (``scale="probability"``) or surprises in nats
    (``"surprise"``). Hover a piece for its number; ``current`` outlines one piece. Newlines
    show as ↵ and break the line. Pure: returns an HTML string for ``st.html``.
    """
    if len(values) != len(pieces):
        raise ValueError(f"expected one value per piece ({len(pieces)}), got {len(values)}")
    parts = []
    for t, (piece, value) in enumerate(zip(pieces, values, strict=True)):
        shown = html.escape(_visible(piece) if piece in ("\n", "\t") else piece)
        style = ""
        if np.isnan(value):
            style, title = "color:#6b6b6b", f"{piece!r}: given, not predicted"
        elif scale == "probability":
            style, title = f"background:{text_colour(value, scale)}", f"{piece!r}: p = {value:.4f}"
        else:
            p = float(np.exp(-value))
            style, title = f"background:{text_colour(value, scale)}", f"{piece!r}: {value:.2f} nats (p = {p:.4f})"
        if t == current:
            style += ";outline:2px solid #111;outline-offset:1px;font-weight:700"
        parts.append(f'<span title="step {t}: {html.escape(title)}" style="{style}">{shown}</span>')
        if piece == "\n":
            parts.append("\n")
    return (
        f'<div class="gen-text" style="font-family:{TEXT_FONT};font-size:{font_px}px;line-height:1.6;'
        f'white-space:pre-wrap;word-break:break-word">{"".join(parts)}</div>'
    )


def colour_legend_html(scale: str = "probability") -> str:
    """A small legend for :func:`coloured_text_html`: the colour scale with labelled swatches."""
    if scale == "probability":
        ticks = [(p, f"{p:.0%}") for p in (0.02, 0.1, 0.25, 0.5, 0.75, 0.95)]
        caption = "probability the model gave the character:"
    else:
        ticks = [(s, f"{s:g} nats (p {np.exp(-s):.0%})") for s in (0.1, 0.7, 1.5, 3.0, 4.5, SURPRISE_MAX)]
        ticks[-1] = (SURPRISE_MAX, f"≥ {SURPRISE_MAX:g} nats (p ≤ {np.exp(-SURPRISE_MAX):.1%})")
        caption = "surprise −ln p of the actual next character:"
    swatches = "".join(
        f'<span style="background:{text_colour(v, scale)};padding:1px 8px;margin:0 3px;border:1px solid #ccc;'
        f'white-space:nowrap;border-radius:3px;font-family:{TEXT_FONT}">{html.escape(label)}</span>'
        for v, label in ticks
    )
    grey = '<span style="color:#6b6b6b;margin-left:10px">grey: given, not predicted</span>'
    return f'<div class="gen-legend" style="font-size:14px;line-height:2">{caption} {swatches}{grey}</div>'


def surprise_bars(tokens: list[str], surprise: np.ndarray, step: int | None = None) -> go.Figure:
    """Surprise −ln p of each actual next character (bar ``t`` scores token ``t + 1``).

    The bar of the chosen ``step`` is orange; the dotted line is the mean (nats per character).
    """
    surprise = np.asarray(surprise, dtype=np.float64)
    steps = np.arange(len(surprise))
    nxt = [_visible(tokens[t + 1]) for t in steps]
    colours = ["#ff7f0e" if t == step else "#c44e52" for t in steps]
    fig = go.Figure(
        go.Bar(
            x=steps,
            y=surprise,
            marker_color=colours,
            customdata=np.stack([nxt, np.exp(-surprise).round(4).astype(str)], axis=1) if len(steps) else None,
            hovertemplate="step %{x}: next %{customdata[0]}<br>%{y:.2f} nats (p = %{customdata[1]})<extra></extra>",
        )
    )
    fig.add_hline(
        y=float(surprise.mean()) if len(surprise) else 0.0,
        line_dash="dot",
        annotation_text=f"mean {surprise.mean():.2f} nats/char" if len(surprise) else "",
    )
    fig.update_xaxes(title="step (the bar scores the character after it)")
    fig.update_yaxes(title="surprise (nats)", rangemode="tozero")
    fig.update_layout(bargap=0.05, showlegend=False)
    return _layout(fig, 300, title="Surprise at every step")


# --- classification --------------------------------------------------------------------------

CLASS_COLOURS = ("#d62728", "#2ca02c", "#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


def _token_axis(tokens: list[str], most: int = 40) -> dict:
    """An x axis over steps labelled with the tokens (every k-th one for long texts)."""
    ticks = np.arange(len(tokens))[:: max(1, -(-len(tokens) // most))]
    return {
        "title": "token read",
        "tickmode": "array",
        "tickvals": ticks,
        "ticktext": [repr(tokens[t])[1:-1][:12] for t in ticks],
    }


def running_probabilities(probs: np.ndarray, tokens: list[str], labels: list[str]) -> go.Figure:
    """Class probabilities after each token: lines for two classes, a stacked area for more."""
    probs = np.asarray(probs, dtype=float)
    if probs.ndim != 2 or probs.shape[0] != len(tokens) or probs.shape[1] != len(labels):
        raise ValueError(f"probs {probs.shape} must be (len(tokens)={len(tokens)}, len(labels)={len(labels)})")
    x = np.arange(len(tokens))
    hover = [f"step {t}: {tok!r}" for t, tok in enumerate(tokens)]
    fig = go.Figure()
    stacked = len(labels) > 2
    for c, label in enumerate(labels):
        fig.add_trace(
            go.Scatter(
                x=x,
                y=probs[:, c],
                name=label,
                mode="lines" if stacked else "lines+markers",
                stackgroup="classes" if stacked else None,
                line={"color": CLASS_COLOURS[c % len(CLASS_COLOURS)], "width": 2},
                customdata=hover,
                hovertemplate=f"%{{customdata}}<br>P({label}) = %{{y:.3f}}<extra></extra>",
            )
        )
    if not stacked:
        fig.add_hline(y=0.5, line={"color": "#999", "dash": "dot"})
    fig.update_layout(
        title="Running prediction: class probabilities after each token",
        xaxis=_token_axis(tokens),
        yaxis={"title": "probability", "range": [0, 1]},
        height=360,
        margin={"l": 50, "r": 20, "t": 50, "b": 60},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"},
    )
    return fig


def contribution_bars(contributions: np.ndarray, units: np.ndarray, bias: float, logit: float, label: str) -> go.Figure:
    """The top units' shares W[c,u]·h[u] of class ``label``'s logit, plus 'all other units' and the bias."""
    contributions = np.asarray(contributions, dtype=float)
    units = np.asarray(units, dtype=int)
    rest = float(contributions.sum() - contributions[units].sum())
    names = [f"unit {u}" for u in units] + ["all other units", "bias"]
    values = [*contributions[units].tolist(), rest, float(bias)]
    colours = ["#2ca02c" if v >= 0 else "#d62728" for v in values[:-2]] + ["#aaaaaa", "#555555"]
    fig = go.Figure(
        go.Bar(
            x=values[::-1],
            y=names[::-1],
            orientation="h",
            marker={"color": colours[::-1]},
            text=[f"{v:+.3f}" for v in values[::-1]],
            textposition="auto",
            hovertemplate="%{y}: %{x:+.4f}<extra></extra>",
        )
    )
    fig.update_layout(
        title=f"Shares of the final {label!r} logit ({logit:+.3f} = bias + sum over all units)",
        xaxis={"title": "head weight × hidden value", "zeroline": True, "zerolinecolor": "#333"},
        height=max(260, 32 * len(names) + 90),
        margin={"l": 120, "r": 20, "t": 50, "b": 40},
    )
    return fig


def unit_cell_traces(cell: np.ndarray, units: np.ndarray, tokens: list[str], contributions: np.ndarray) -> go.Figure:
    """Cell state C_t of the given units across the text (one line each, legend shows its share)."""
    cell = np.asarray(cell, dtype=float)
    x = np.arange(cell.shape[0])
    hover = [f"step {t}: {tok!r}" for t, tok in enumerate(tokens)]
    fig = go.Figure()
    for k, u in enumerate(np.asarray(units, dtype=int)):
        fig.add_trace(
            go.Scatter(
                x=x,
                y=cell[:, u],
                mode="lines",
                name=f"unit {u} ({contributions[u]:+.2f})",
                line={"color": CLASS_COLOURS[k % len(CLASS_COLOURS)], "width": 2},
                customdata=hover,
                hovertemplate=f"unit {u}<br>%{{customdata}}<br>C = %{{y:.3f}}<extra></extra>",
            )
        )
    fig.add_hline(y=0, line={"color": "#999", "dash": "dot"})
    fig.update_layout(
        title="Cell state C_t of the top units while reading",
        xaxis=_token_axis(tokens),
        yaxis={"title": "cell state"},
        height=340,
        margin={"l": 50, "r": 20, "t": 50, "b": 40},
    )
    return fig


def confusion_heatmap(matrix, labels: list[str]) -> go.Figure:
    """Confusion matrix counts: rows = true class, columns = predicted class."""
    matrix = np.asarray(matrix, dtype=float)
    if matrix.shape != (len(labels), len(labels)):
        raise ValueError(f"confusion matrix {matrix.shape} does not match {len(labels)} labels")
    totals = matrix.sum(axis=1, keepdims=True)
    share = np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)
    fig = go.Figure(
        go.Heatmap(
            z=share,
            x=labels,
            y=labels,
            colorscale="Blues",
            zmin=0,
            zmax=1,
            text=matrix.astype(int),
            texttemplate="%{text}",
            hovertemplate="true %{y}, predicted %{x}: %{text} (%{z:.0%} of the row)<extra></extra>",
            colorbar={"title": "row share"},
        )
    )
    fig.update_layout(
        title="Held-out confusion matrix (rows: true class, columns: predicted)",
        xaxis={"title": "predicted", "side": "bottom"},
        yaxis={"title": "true", "autorange": "reversed"},
        height=120 + 48 * len(labels),
        margin={"l": 100, "r": 20, "t": 50, "b": 60},
    )
    return fig


# --- RNN versus LSTM -------------------------------------------------------------------------

MODEL_COLOURS = {"lstm": "#1f77b4", "rnn": "#d62728"}  # the same colour for a cell kind everywhere


def _cell_colour(name: str) -> str:
    return MODEL_COLOURS["rnn" if "rnn" in name.lower() else "lstm"]


def _top_legend(fig: go.Figure) -> go.Figure:
    """A horizontal legend between the title and the plot, with room for both."""
    if fig.layout.title.text:
        fig.update_layout(title=dict(y=0.985, yanchor="top"), margin=dict(t=100))
    else:
        fig.update_layout(margin=dict(t=50))
    return fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))


def accuracy_vs_gap(accuracies: dict[str, dict[int, float]], chance: float | None = None) -> go.Figure:
    """Accuracy at the query (y, 0..1) against the gap length N (x), one line per model."""
    fig = go.Figure()
    for name, by_gap in accuracies.items():
        gaps = sorted(by_gap)
        fig.add_trace(
            go.Scatter(
                x=gaps,
                y=[by_gap[g] for g in gaps],
                mode="lines+markers",
                name=name,
                line=dict(color=_cell_colour(name), width=3),
                marker=dict(size=10),
                hovertemplate=f"{name}<br>gap %{{x}}<br>accuracy %{{y:.1%}}<extra></extra>",
            )
        )
    if chance is not None:
        fig.add_hline(y=chance, line=dict(color="#777", dash="dash"), annotation_text=f"chance {chance:.0%}")
    gaps = sorted({g for by_gap in accuracies.values() for g in by_gap})
    fig.update_xaxes(title="gap N (digits between the letter and the query)", type="log", tickvals=gaps)
    fig.update_yaxes(title="accuracy", range=[-0.02, 1.05], tickformat=".0%")
    return _top_legend(_layout(fig, 420, title="Does the model still know the first symbol?"))


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
                line=dict(color=_cell_colour(name), width=3, dash="dot" if "c_t" in name else "solid"),
                hovertemplate=f"{name}<br>δ = %{{x}} steps back<br>norm %{{y:.3e}}<extra></extra>",
            )
        )
    fig.update_xaxes(title="distance δ back from the query (steps)")
    fig.update_yaxes(title="gradient norm (log scale)", type="log", exponentformat="power")
    return _top_legend(_layout(fig, 440, title="How much of the error reaches each earlier step"))


def formula_vs_measured(formula: np.ndarray, measured: np.ndarray, bound: np.ndarray | None = None) -> go.Figure:
    """Seed 002's product ‖∏ V^T diag(1 - h_k²) e‖ (line) over autograd's ‖∂L/∂h_t‖ (markers), log y."""
    formula, measured = np.asarray(formula, dtype=np.float64), np.asarray(measured, dtype=np.float64)
    distance = np.arange(len(formula))[::-1]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=distance,
            y=np.maximum(measured, 1e-300),
            mode="markers",
            name="measured (autograd)",
            marker=dict(color=MODEL_COLOURS["rnn"], size=8),
            hovertemplate="δ %{x}<br>autograd %{y:.4e}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=distance,
            y=np.maximum(formula, 1e-300),
            mode="lines",
            name="formula ∏ Vᵀ diag(1 − h²) · e",
            line=dict(color="black", width=2),
            hovertemplate="δ %{x}<br>formula %{y:.4e}<extra></extra>",
        )
    )
    if bound is not None:
        fig.add_trace(
            go.Scatter(
                x=distance,
                y=np.maximum(np.asarray(bound, dtype=np.float64), 1e-300),
                mode="lines",
                name="bound ‖e‖ (σ_max(V) · max(1 − h²))^δ",
                line=dict(color="#777", dash="dash"),
            )
        )
    fig.update_xaxes(title="distance δ (steps)")
    fig.update_yaxes(title="norm (log scale)", type="log", exponentformat="power")
    return _top_legend(_layout(fig, 440, title="RNN: seed 002's product next to autograd"))


def forget_product_lines(products: np.ndarray, units, tokens: list[str]) -> go.Figure:
    """∏_{k>t} f_k per unit (y, log) against the step t: the share of c_t left at the last step."""
    products = np.asarray(products, dtype=np.float64)
    labels = [f"{t}:{_visible(tok)}" for t, tok in enumerate(tokens[: len(products)])]
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
    return _top_legend(_layout(fig, 440, title="LSTM: share of c_t left at the query (∏ f)"))


def counter_vs_depth(cell: np.ndarray, depth: np.ndarray, tokens: list[str], unit: int, r: float) -> go.Figure:
    """One unit's cell state (left axis) and the true nesting depth (right axis, steps) along a text."""
    labels = [f"{t}:{_visible(tok)}" for t, tok in enumerate(tokens)]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=labels,
            y=np.asarray(depth),
            mode="lines",
            line=dict(shape="hv", color="#999", width=2),
            name="true depth",
            yaxis="y2",
            hovertemplate="%{x}<br>depth %{y}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=labels,
            y=np.asarray(cell),
            mode="lines+markers",
            line=dict(color=MODEL_COLOURS["lstm"], width=2.5),
            marker=dict(size=5),
            name=f"cell of unit {unit}",
            hovertemplate=f"%{{x}}<br>c[{unit}] = %{{y:.3f}}<extra></extra>",
        )
    )
    fig.update_xaxes(type="category", title="character (step:character)", showticklabels=len(labels) <= 70)
    fig.update_layout(
        yaxis=dict(title=f"cell state c[{unit}]"),
        # a unit that counts downwards is drawn against a flipped depth axis, so the two lines overlay
        yaxis2=dict(
            title="nesting depth" + (" (axis flipped: r < 0)" if r < 0 else ""),
            overlaying="y",
            side="right",
            dtick=1,
            showgrid=False,
            autorange="reversed" if r < 0 else True,
        ),
    )
    return _top_legend(_layout(fig, 400, title=f"The counting unit: unit {unit}, correlation with depth r = {r:+.3f}"))


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
                line=dict(color=_cell_colour(name), width=2.5),
            )
        )
    if chance_loss is not None:
        fig.add_hline(y=chance_loss, line=dict(color="#777", dash="dash"), annotation_text="guessing")
    fig.update_xaxes(title="step")
    fig.update_yaxes(title="training loss (nats per query)", rangemode="tozero")
    fig.update_layout(uirevision="race")
    return _top_legend(_layout(fig, 380))


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


def vocabulary_text(tokens: list[str]) -> str:
    """The vocabulary as one line, whitespace made visible (↵ newline, ␣ space, ⇥ tab)."""
    return "".join(_visible(t) for t in tokens)


def vocabulary_bars(tokens: list[str], counts: np.ndarray, top: int = 80) -> go.Figure:
    """How often each vocabulary entry occurs, most frequent first (at most ``top`` bars)."""
    counts = np.asarray(counts)
    order = np.argsort(-counts, kind="stable")[:top]
    labels = [_visible(tokens[i]) for i in order]
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
