"""Widgets shared by several pages: the model picker, the explorer sidebar, the token strip.

Widgets here only read and write session state and call :mod:`lstm_viz.ui.cache`; the
figures they show come from :mod:`lstm_viz.plots`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import streamlit as st

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
    names = cache.model_names(tuple(tasks) if tasks else None)
    if not names:
        where.info("No model for this page yet: train one on the Train page or with `python -m lstm_viz train`.")
        return None
    shared = st.session_state.get("model")
    default = shared if shared in names else (PREFERRED_MODEL if PREFERRED_MODEL in names else names[0])
    if key != "model" and st.session_state.get(key) not in names:
        st.session_state[key] = default
    state.check_model(names, default, key=key)
    return where.selectbox(label, names, key=key, format_func=_title)


@dataclass(frozen=True)
class Selection:
    """What the explorer sidebar selected: a loaded model's name and its trace (None if no text)."""

    model: str
    text: str
    layer: int
    trace: Trace | None


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
        st.text_area("Text", key="text", height=140, help="Type any sentence; the model reads it token by token.")
    state.show_notices()
    text = st.session_state.get("text") or ""
    if not text.strip():
        st.info("Type a sentence in the **Text** box on the left to see the model read it.", icon="✍️")
        return None
    trace = cache.get_trace(name, text)
    layers = trace.num_layers
    state.clamp("layer", layers, f"this model has {layers} layer{'s' * (layers != 1)}")
    if layers > 1:
        st.sidebar.selectbox("Layer", list(range(layers)), key="layer", format_func=lambda k: f"layer {k + 1}")
    n_tokens = len(cache.load_model(name).encode(text))
    if n_tokens > cache.MAX_TOKENS:
        st.warning(f"The text has {n_tokens:,} tokens; only the first {cache.MAX_TOKENS:,} are shown.", icon="✂️")
    unknown_note(trace)
    state.show_notices()
    return Selection(name, text, int(st.session_state["layer"]), trace)


def unknown_note(trace: Trace) -> None:
    """Say which pieces the model does not know and what it is fed in their place."""
    if not trace.unknown:
        return
    shown = ", ".join(f"{html.escape(repr(u.piece))} → {html.escape(repr(u.replacement))}" for u in trace.unknown[:8])
    more = f" and {len(trace.unknown) - 8} more" if len(trace.unknown) > 8 else ""
    st.info(
        f"The model does not know {len(trace.unknown)} piece{'s' * (len(trace.unknown) != 1)} of this text "
        f"(underlined in red in the token strip); it reads a stand-in instead: {shown}{more}.",
        icon="🔎",
    )


# --- token strip ----------------------------------------------------------------------------

_VISIBLE = {"\n": "↵", " ": "␣", "\t": "⇥"}


def _display(piece: str) -> str:
    return "".join(_VISIBLE.get(c, c) for c in piece)


def _colour(value: float, lo: float, hi: float) -> str:
    """Blue (low) to white to red (high) for ``value`` in ``lo..hi``; symmetric when lo = -hi."""
    if hi <= lo:
        return "rgba(0,0,0,0)"
    x = (value - lo) / (hi - lo) * 2 - 1  # -1..1
    x = float(np.clip(x, -1, 1))
    alpha = abs(x) * 0.85
    return f"rgba(214,39,40,{alpha:.2f})" if x > 0 else f"rgba(31,119,180,{alpha:.2f})"


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
    for signed values, 0..1 otherwise); tokens in ``unknown`` are underlined in red. ``window``
    keeps only that many tokens around ``current`` (long texts). Pure: returns an HTML string.
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
    for t in range(lo_i, hi_i):
        style = []
        title = f"step {t}: {tokens[t]!r}"
        if values is not None:
            style.append(f"background:{_colour(float(values[t]), *value_range)}")
            title += f" = {float(values[t]):.4f}"
        if t == current:
            style.append("outline:3px solid #111;outline-offset:1px;font-weight:700")
        if t in unknown:
            style.append("text-decoration:underline wavy #d62728 2px")
            title += " (unknown to the model)"
        parts.append(
            f'<span class="tok" title="{html.escape(title)}" style="{";".join(style)}">'
            f"{html.escape(_display(tokens[t]))}</span>"
        )
        if tokens[t] == "\n":
            parts.append("<br>")
    if hi_i < n:
        parts.append(f'<span class="tok-more">{n - hi_i} later …</span>')
    return (
        f"<style>.tok{{display:inline-block;padding:2px 3px;margin:2px 1px;border-radius:4px;"
        f"font-family:ui-monospace,Menlo,Consolas,monospace;font-size:{font_px}px;line-height:1.5;"
        f"border:1px solid #ccc;white-space:pre}} .tok-more{{color:#777;font-size:{font_px - 4}px;margin:0 6px}}"
        f'</style><div class="token-strip">{"".join(parts)}</div>'
    )
