"""Step and unit controls: first, previous, next and last with their keys, the step slider, the unit, the caption."""

from __future__ import annotations

import streamlit as st

from lstm_viz.engine.trace import Trace
from lstm_viz.plots.html import visible
from lstm_viz.ui import state


def _go_to(n_steps: int, delta: int = 0, to: int | None = None) -> None:
    current = int(st.session_state.get("step", 0))
    st.session_state["step"] = min(max((current + delta) if to is None else to, 0), n_steps - 1)


def step_controls(trace: Trace, prefix: str, shortcuts: bool = True) -> int:
    """First / previous / next / last buttons (Home ← → End) and the ``step`` slider; returns the step.

    Call inside the page's fragment so a step change only redraws that fragment. ``shortcuts=False``
    leaves the keys to a browser-side stepper that handles them itself (one key, one step).
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
            shortcut=key if shortcuts else None,
            width="stretch",
            help=f"keyboard: {key}" if shortcuts else None,
        )
    step = st.slider("Step (token index)", 0, n - 1, key="step", **state.KEEP)
    return int(step)


def unit_picker(hidden_size: int, where=st, label: str = "Unit") -> int:
    """The shared unit (0..H-1) as a number input with key ``unit``."""
    state.clamp("unit", hidden_size, f"this layer has {hidden_size} units")
    return int(where.number_input(label, 0, hidden_size - 1, step=1, key="unit", **state.KEEP))


def step_caption(trace: Trace, step: int) -> str:
    """ "step 3 of 42: 'b'", plus what the model reads there if the piece is unknown."""
    token = trace.tokens[step]
    text = f"step **{step}** of {len(trace)} (0-based): token `{state.short(visible(token), 40)}`"
    for u in trace.unknown:
        if u.position == step:
            text += f" — unknown to the model, which reads `{visible(u.replacement)}` instead"
    return text
