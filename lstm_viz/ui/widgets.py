"""Widgets shared by several pages: the model picker, the explorer sidebar, the token strip.

Widgets here only read and write session state and call :mod:`lstm_viz.ui.cache`; the
figures they show come from :mod:`lstm_viz.plots`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import streamlit as st

from lstm_viz import cell, plots
from lstm_viz.trace import Trace
from lstm_viz.ui import cache, state

PREFERRED_MODEL = "shakespeare-char"
TASK_NAMES = {"charlm": "character language model", "classify": "classifier", "sequence": "sequence task"}


def _title(name: str) -> str:
    info = cache.model_info(name)
    if info is None:
        return name
    return f"{info.title} · {TASK_NAMES.get(info.card.get('task'), info.card.get('task'))}"


def model_picker(tasks=None, key: str = "model", label: str = "Model", where=st) -> str | None:
    """A selectbox over the models whose task is in ``tasks`` (all when None); returns the name.

    With ``key="model"`` it edits the shared model; other keys start from the shared model
    when it fits. Returns None (with a hint) when no model fits.
    """
    state.apply_pending()  # "Step through this" from another page: its model and text win
    names = cache.model_names(tuple(tasks) if tasks else None)
    if not names:
        where.info("No model for this page yet: train one on the Train page or with `python -m lstm_viz train`.")
        return None
    shared = st.session_state.get("model")
    default = shared if shared in names else (PREFERRED_MODEL if PREFERRED_MODEL in names else names[0])
    if key != "model" and st.session_state.get(key) not in names:
        st.session_state[key] = default
    state.check_model(names, default, key=key)
    return where.selectbox(label, names, key=key, format_func=_title, persist_state="session")


@dataclass(frozen=True)
class Selection:
    """What the explorer sidebar selected: a loaded model's name and its trace (None if no text)."""

    model: str
    text: str
    layer: int
    trace: Trace | None

    @property
    def layer_trace(self):
        """The selected layer's LayerTrace."""
        return self.trace.layers[self.layer]


def explorer_sidebar() -> Selection | None:
    """Model, text and layer in the sidebar, shared by the explorer pages; returns the trace.

    Shows the input problems on the page: empty text (a prompt), text cut to
    ``cache.MAX_TOKENS`` tokens (a notice), pieces the model does not know (a note of what it
    sees instead). Returns None when there is nothing to show.
    """
    with st.sidebar:
        name = model_picker()
        if name is None:
            return None
        st.text_area(
            "Text",
            key="text",
            height=140,
            persist_state="session",
            help="Type any sentence; the model reads it token by token.",
        )
    state.show_notices()
    text = st.session_state.get("text") or ""
    if not text.strip():
        st.info("Type a sentence in the **Text** box on the left to see the model read it.", icon=":material/edit:")
        return None
    trace = cache.get_trace(name, text)
    layers = trace.num_layers
    state.clamp("layer", layers, f"this model has {layers} layer{'s' * (layers != 1)}")
    if layers > 1:
        st.sidebar.selectbox(
            "Layer", list(range(layers)), key="layer", format_func=lambda k: f"layer {k + 1}", persist_state="session"
        )
    n_tokens = len(cache.load_model(name).encode(text))
    if n_tokens > cache.MAX_TOKENS:
        st.warning(
            f"The text has {n_tokens:,} tokens; only the first {cache.MAX_TOKENS:,} are shown.",
            icon=":material/content_cut:",
        )
    unknown_note(trace)
    state.show_notices()
    return Selection(name, text, int(st.session_state["layer"]), trace)


def explorer_page(title: str) -> Selection:
    """The opening every explorer page shares: title, sidebar, the step clamped to the text.

    Stops the page (after the sidebar's prompt or notice) when there is nothing to show.
    """
    st.title(title)
    sel = explorer_sidebar()
    if sel is None:
        st.stop()
    n_steps = len(sel.trace)
    state.clamp("step", n_steps, f"this text has {n_steps} steps")
    return sel


def unknown_note(trace: Trace) -> None:
    """Say which pieces the model does not know and what it is fed in their place."""
    if not trace.unknown:
        return
    shown = ", ".join(f"`{u.piece!r}` → `{u.replacement!r}`" for u in trace.unknown[:8])
    more = f" and {len(trace.unknown) - 8} more" if len(trace.unknown) > 8 else ""
    st.info(
        f"The model does not know {len(trace.unknown)} piece{'s' * (len(trace.unknown) != 1)} of this text "
        f"(underlined in red in the token strip); it reads a stand-in instead: {shown}{more}.",
        icon=":material/search:",
    )


# --- token strip ----------------------------------------------------------------------------

_VISIBLE = {"\n": "↵", " ": "␣", "\t": "⇥"}


def _display(piece: str) -> str:
    return "".join(_VISIBLE.get(c, c) for c in piece)


_SHADES = 17  # colour steps per side (blue, red): alpha 0, 0.053, ..., 0.85


def _shade_classes(values: np.ndarray, lo: float, hi: float) -> list[str]:
    """A colour class per value in ``lo..hi``: "b<k>" (blue, low) to "r<k>" (red, high), k = 0
    (white) .. _SHADES - 1; symmetric when lo = -hi. Classes, not inline styles: the strip is
    redrawn at every step and a browser styles 200 classed boxes faster than 200 style attributes."""
    if hi <= lo:
        return [""] * len(values)
    x = np.clip((np.asarray(values, dtype=np.float64) - lo) / (hi - lo) * 2 - 1, -1, 1)  # -1..1
    level = np.rint(np.abs(x) * (_SHADES - 1)).astype(int)
    return [("r" if v > 0 else "b") + str(k) for v, k in zip(x.tolist(), level.tolist(), strict=True)]


def _shade_css(font_px: int) -> str:
    shades = " ".join(
        f".tok.b{k}{{background:rgba(31,119,180,{k / (_SHADES - 1) * 0.85:.3f})}}"
        f" .tok.r{k}{{background:rgba(214,39,40,{k / (_SHADES - 1) * 0.85:.3f})}}"
        for k in range(1, _SHADES)
    )
    return (
        f".tok{{display:inline-block;padding:2px 3px;margin:2px 1px;border-radius:4px;"
        f"font-family:ui-monospace,Menlo,Consolas,monospace;font-size:{font_px}px;line-height:1.5;"
        f"border:1px solid #ccc;white-space:pre}} .tok-more{{color:#777;font-size:{font_px - 4}px;margin:0 6px}}"
        f" .tok.cur{{outline:3px solid #111;outline-offset:1px;font-weight:700}}"
        f" .tok.unk{{text-decoration:underline wavy #d62728 2px}} {shades}"
    )


def token_strip_html(
    tokens: list[str],
    current: int | None = None,
    values: np.ndarray | None = None,
    value_range: tuple[float, float] | None = None,
    unknown: set[int] | frozenset[int] = frozenset(),
    window: int | None = None,
    font_px: int = 22,
) -> str:
    """The text as a strip of token boxes: the current one outlined, each coloured by ``values``.

    ``values`` (T,) colours token backgrounds over ``value_range`` (default: symmetric around 0
    for signed values, 0..1 otherwise), blue low to white to red high; tokens in ``unknown`` are
    underlined in red. ``window`` keeps only that many tokens around ``current`` (long texts).
    Hovering a token shows its step and exact value. Pure: returns an HTML string.
    """
    n = len(tokens)
    lo_i, hi_i = 0, n
    if window is not None and n > window and current is not None:
        lo_i = max(0, min(current - window // 2, n - window))
        hi_i = lo_i + window
    if values is not None and value_range is None:
        vmin, vmax = float(np.min(values)), float(np.max(values))
        value_range = (-max(abs(vmin), abs(vmax), 1e-9), max(abs(vmin), abs(vmax), 1e-9)) if vmin < 0 else (0.0, 1.0)
    parts = []
    if lo_i > 0:
        parts.append(f'<span class="tok-more">… {lo_i} earlier</span>')
    if values is not None:
        shown = np.asarray(values)[lo_i:hi_i]
        shades, numbers = _shade_classes(shown, *value_range), [f"{v:.4f}" for v in shown.tolist()]
    for t in range(lo_i, hi_i):
        classes = ["tok"]
        title = f"step {t}: {tokens[t]!r}"
        if values is not None:
            classes.append(shades[t - lo_i])
            title += f" = {numbers[t - lo_i]}"
        if t == current:
            classes.append("cur")
        if t in unknown:
            classes.append("unk")
            title += " (unknown to the model)"
        parts.append(
            f'<span class="{" ".join(c for c in classes if c)}" title="{html.escape(title)}">'
            f"{html.escape(_display(tokens[t]))}</span>"
        )
        if tokens[t] == "\n":
            parts.append("<br>")
    if hi_i < n:
        parts.append(f'<span class="tok-more">{n - hi_i} later …</span>')
    return f'<style>{_shade_css(font_px)}</style><div class="token-strip">{"".join(parts)}</div>'


# --- cell diagram and model cards -----------------------------------------------------------

CELL_SVG = Path(__file__).resolve().parents[2] / "assets" / "lstm_cell.svg"
TASK_EXAMPLES = {
    "charlm": state.DEFAULT_TEXT,
    "classify": "The food was wonderful, but the service was painfully slow.",
}


@st.cache_data(show_spinner=False)
def _cell_svg() -> str:
    return CELL_SVG.read_text(encoding="utf-8")


def cell_diagram(values: dict | None = None, width_px: int = 820) -> None:
    """Draw the hand-made cell diagram, with the live values of one unit when given."""
    st.image(plots.annotated_cell_svg(_cell_svg(), values), width=width_px)


def example_text(card: dict) -> str:
    """A sentence to start with for this model: the card's own example, else one for its task."""
    examples = card.get("examples")
    if isinstance(examples, list) and examples and isinstance(examples[0], str) and examples[0].strip():
        return examples[0]
    if card.get("task") in TASK_EXAMPLES:
        return TASK_EXAMPLES[card["task"]]
    vocab = [t for t in card.get("tokenizer", {}).get("vocab", []) if isinstance(t, str) and t.strip()]
    return "".join(vocab[i % len(vocab)] for i in range(24)) if vocab else state.DEFAULT_TEXT


def metric_lines(card: dict) -> list[str]:
    """The held-out numbers the training run printed, as short lines (nothing is invented)."""
    metrics = card.get("metrics") or {}
    lines = []
    for key, value in metrics.items():
        if not isinstance(value, int | float) or isinstance(value, bool) or key in ("measured_at_step",):
            continue
        label = key.replace("_", " ")
        if "accuracy" in key and 0 <= value <= 1:
            lines.append(f"{label}: **{value:.1%}**")
        elif key == "val_loss" and metrics.get("val_loss_unit"):
            lines.append(f"held-out loss: **{value:.3f}** {metrics['val_loss_unit']}")
        else:
            lines.append(f"{label}: **{value:.4g}**")
    if metrics.get("split"):
        lines.append(f"measured on: {metrics['split']}")
    return lines


def model_card(info, page_path: str | None = None) -> None:
    """One model as a bordered card: title, task, size, held-out metric, a button to explore it."""
    card = info.card
    with st.container(border=True):
        st.markdown(f"#### {info.title}")
        st.caption(f"`{info.name}` · {'shipped' if info.shipped else 'your model'}")
        cell = "LSTM" if card.get("cell") == "lstm" else "vanilla RNN"
        size = card.get("num_parameters")
        st.markdown(
            f"{TASK_NAMES.get(card.get('task'), card.get('task'))}, {cell}, "
            f"{card.get('num_layers')} layer(s) × {card.get('hidden_size')} units"
            + (f", {size:,} parameters" if isinstance(size, int) else "")
        )
        if card.get("description"):
            st.markdown(card["description"])
        for line in metric_lines(card) or ["no held-out metric recorded"]:
            st.markdown(f"- {line}")
        if page_path and st.button("Step through it", key=f"home_open_{info.name}", icon=":material/footprint:"):
            state.open_in(page_path, info.name, example_text(card))


# --- step and unit controls -----------------------------------------------------------------


def _go_to(n_steps: int, delta: int = 0, to: int | None = None) -> None:
    current = int(st.session_state.get("step", 0))
    st.session_state["step"] = min(max((current + delta) if to is None else to, 0), n_steps - 1)


def step_controls(trace: Trace, prefix: str) -> int:
    """First / previous / next / last buttons (Home ← → End) and the ``step`` slider; returns the step.

    Call inside the page's fragment so a step change only redraws that fragment.
    """
    n = len(trace)
    if n == 1:
        st.session_state["step"] = 0
        st.caption("The text has a single token: step 0.")
        return 0
    cols = st.columns(4)  # a row of their own: each label shows its keyboard shortcut too
    buttons = (
        ("First", ":material/first_page:", "Home", {"to": 0}),
        ("Prev", ":material/chevron_left:", "Left", {"delta": -1}),
        ("Next", ":material/chevron_right:", "Right", {"delta": 1}),
        ("Last", ":material/last_page:", "End", {"to": n - 1}),
    )
    for col, (label, icon, key, kwargs) in zip(cols, buttons, strict=True):
        col.button(
            label,
            icon=icon,
            key=f"{prefix}_{key.lower()}",
            on_click=_go_to,
            args=(n,),
            kwargs=kwargs,
            shortcut=key,
            width="stretch",
            help=f"keyboard: {key}",
        )
    step = st.slider("Step (token index)", 0, n - 1, key="step", persist_state="session")
    return int(step)


def unit_picker(hidden_size: int, where=st, label: str = "Unit") -> int:
    """The shared unit (0..H-1) as a number input with key ``unit``."""
    state.clamp("unit", hidden_size, f"this layer has {hidden_size} units")
    return int(where.number_input(label, 0, hidden_size - 1, step=1, key="unit", persist_state="session"))


def step_caption(trace: Trace, step: int) -> str:
    """ "step 3 of 42: 'b'", plus what the model reads there if the piece is unknown."""
    token = trace.tokens[step]
    text = f"step **{step}** of {len(trace)} (0-based): token `{_display(token)}`"
    for u in trace.unknown:
        if u.position == step:
            text += f" — unknown to the model, which reads `{_display(u.replacement)}` instead"
    return text


def model_output(trace: Trace, step: int) -> None:
    """What the model outputs at ``step``: next-token bars (charlm) or class probabilities."""
    if trace.task == "charlm":
        actual = trace.tokens[step + 1] if step + 1 < len(trace) else None
        st.html(plots.next_token_bars_html(trace.probs[step], trace.output_labels, actual=actual))
        if actual is None:
            st.caption("This is the last token of the text, so there is no actual next character to mark.")
    else:
        title = f"Prediction after step {step} ({_display(trace.tokens[step])!r})"
        st.html(plots.output_bars_html(trace.probs[step], trace.output_labels, title))
    if trace.task == "classify" and len(trace) > 1:
        st.html(plots.class_prob_columns_html(trace.probs, trace.output_labels, trace.tokens, step))


def unit_metrics(quantities: dict[str, np.ndarray], step: int, unit: int) -> None:
    """The chosen unit's values at ``step`` as a row of st.metric (exact Trace values, 4 decimals)."""
    cols = st.columns(len(quantities))
    for col, (name, values) in zip(cols, quantities.items(), strict=True):
        col.metric(f"{cell.symbol(name)} · {name.replace('_', ' ')}", f"{float(values[step, unit]):.4f}")


def diagram_values(update, layer, step: int, unit: int, token: str) -> dict:
    """Slots of the cell diagram for one unit at one step (see plots.annotated_cell_svg)."""
    return {
        "c_prev": update.c_prev,
        "f": update.forget_gate,
        "i": update.input_gate,
        "g": update.candidate,
        "o": update.output_gate,
        "kept": update.kept,
        "written": update.written,
        "c": update.cell,
        "tanh_c": update.tanh_cell,
        "h": update.hidden,
        "h_prev": float(layer.h_prev[step, unit]),
        "token": repr(token),
    }


HEATMAP_LEGEND = (
    "Gates f, i, o: dark purple 0 (shut) to yellow 1 (open). g, c, h: blue negative, white 0, red positive "
    "(c on a scale symmetric around 0). Hover a cell for its token, step, unit and value; click it to select that "
    "step and unit (it is outlined, and the values above and the line chart below follow)."
)
STRIP_LEGEND = (
    "Blue is low and red is high in every row: gates f, i, o from 0 (shut) to 1 (open); g and h from −1 to 1; "
    "c scaled by its largest magnitude at this step. Hover a cell for the unit and its exact value."
)


# --- heatmap clicks -------------------------------------------------------------------------


def parse_heatmap_point(point: dict) -> tuple[int, int] | None:
    """(step, unit) from a clicked heatmap cell: x is "step:token", y is "u<unit>"; None if unreadable."""
    try:
        step = int(str(point["x"]).split(":", 1)[0])
        unit = int(str(point["y"]).lstrip("u"))
    except (KeyError, ValueError, TypeError):
        return None
    return step, unit


def select_from_chart(chart_key: str) -> None:
    """on_select callback of a heatmap: the clicked cell becomes the shared step and unit."""
    event = st.session_state.get(chart_key)
    points = (event or {}).get("selection", {}).get("points", []) if isinstance(event, dict) else []
    if not points and event is not None and hasattr(event, "selection"):
        points = event.selection.get("points", [])
    for point in points[:1]:
        picked = parse_heatmap_point(point)
        if picked is not None:
            st.session_state["step"], st.session_state["unit"] = picked


# --- equations as LaTeX ---------------------------------------------------------------------

GATE_LATEX = {
    "forget_gate": ("f", r"\sigma"),
    "input_gate": ("i", r"\sigma"),
    "candidate": (r"\tilde{C}", r"\tanh"),
    "output_gate": ("o", r"\sigma"),
    "hidden": ("h", r"\tanh"),
}
EQUATIONS_LATEX = r"""
\begin{aligned}
f_t &= \sigma(W_{fx}\,x_t + W_{fh}\,h_{t-1} + b_f) && \text{forget gate}\\
i_t &= \sigma(W_{ix}\,x_t + W_{ih}\,h_{t-1} + b_i) && \text{input gate}\\
\tilde{C}_t &= \tanh(W_{Cx}\,x_t + W_{Ch}\,h_{t-1} + b_C) && \text{candidate } (g)\\
o_t &= \sigma(W_{ox}\,x_t + W_{oh}\,h_{t-1} + b_o) && \text{output gate}\\
C_t &= f_t \odot C_{t-1} + i_t \odot \tilde{C}_t && \text{cell state}\\
h_t &= o_t \odot \tanh(C_t) && \text{hidden state}
\end{aligned}
"""
RNN_EQUATION_LATEX = r"h_t = \tanh(W_{x}\,x_t + W_{h}\,h_{t-1} + b)"


def _n(value: float) -> str:
    return f"{value:.4f}" if value >= 0 else f"({value:.4f})"


def gate_latex(terms, unit: int) -> str:
    """One gate of one unit with its numbers: input part + recurrent part + bias = pre -> value."""
    symbol, act = GATE_LATEX[terms.gate]
    sub = r"_{t}"
    return (
        rf"{symbol}{sub}[{unit}] = {act}\big(\underbrace{{{_n(terms.input_part)}}}_{{W_{{x}} x_t}}"
        rf" + \underbrace{{{_n(terms.recurrent_part)}}}_{{W_{{h}} h_{{t-1}}}}"
        rf" + \underbrace{{{_n(terms.bias)}}}_{{b}}\big) = {act}({terms.preactivation:.4f}) = {terms.value:.4f}"
    )


def cell_latex(update, unit: int) -> str:
    """C_t and h_t of one unit with the numbers plugged in."""
    return (
        r"\begin{aligned}"
        rf"C_t[{unit}] &= f_t C_{{t-1}} + i_t \tilde{{C}}_t = {_n(update.forget_gate)} \times {_n(update.c_prev)}"
        rf" + {_n(update.input_gate)} \times {_n(update.candidate)} = {update.cell:.4f}\\"
        rf"h_t[{unit}] &= o_t \tanh(C_t) = {_n(update.output_gate)} \times \tanh({_n(update.cell)})"
        rf" = {_n(update.output_gate)} \times {_n(update.tanh_cell)} = {update.hidden:.4f}"
        r"\end{aligned}"
    )


def term_lines(terms, layer_index: int, token: str, k: int = 5) -> list[str]:
    """The largest terms of the two dot products, in words (which inputs pushed the gate up or down)."""
    lines = []
    for kind, index, value in terms.top_terms(k):
        if kind == "x":
            source = (
                f"embedding dimension {index} of {_display(token)!r}"
                if layer_index == 0
                else f"unit {index} of layer {layer_index} (this layer's input)"
            )
        else:
            source = f"previous hidden state of unit {index}"
        push = "up (towards open / positive)" if value > 0 else "down (towards shut / negative)"
        lines.append(f"`{value:+.4f}` from {source}: pushes {push}")
    return lines
