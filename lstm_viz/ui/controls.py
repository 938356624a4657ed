"""Step and unit controls: first, previous, next and last with their keys, the step slider, the unit, the caption.

The unit the explorer pages open on is the one the Neuron Lab ranks first (:func:`open_on_ranked_unit`), with a
line that says why (:func:`unit_note`), until the user chooses one (``state.choose_unit``).
"""

from __future__ import annotations

import streamlit as st

from lstm_viz.analysis import search
from lstm_viz.engine.trace import LayerTrace, Trace
from lstm_viz.plots.html import visible
from lstm_viz.ui import state

_PICK = "_lstm_viz_unit_pick"  # the app's own unit: {"for": (model, text, layer, checkpoint), "unit", "note"}


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


def open_on_ranked_unit(layer: LayerTrace, tokens: list[str], step: int, view: tuple) -> None:
    """Until the user chooses a unit, make the shared unit the one the lab ranks first at ``step`` (before any
    unit widget is drawn; :func:`search.opening_unit`), and rank again when ``view`` (model, text, layer and
    checkpoint) changes. A unit that is not the app's own pick (a widget, a chart, a link, a lesson, a page's
    preset) is the user's choice, kept from then on: the step and unit of a link open exactly as it says.
    """
    ss = st.session_state
    pick = ss.get(_PICK)
    if "unit" in ss and (pick is None or ss["unit"] != pick["unit"]):
        state.choose_unit()
    if state.unit_chosen():
        ss.pop(_PICK, None)
        return
    if pick is not None and pick["for"] == view and ss.get("unit") == pick["unit"]:
        return
    how, found = search.opening_unit(layer, step)
    note = search.describe_opening(found, how, step, tokens[step], layer.hidden_size)
    ss["unit"] = found.unit
    ss[_PICK] = {"for": view, "unit": found.unit, "note": note}


def unit_note(where=st) -> None:
    """The line that says why the page opened on its unit, while that unit is still the app's own pick.

    Drawn in a container on every run, note or not, so that what follows keeps its place when it goes.
    """
    box = where.container()
    pick = st.session_state.get(_PICK)
    if pick is not None and not state.unit_chosen() and st.session_state.get("unit") == pick["unit"]:
        box.caption(pick["note"])


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


def unit_table(rows: list[dict], key: str) -> None:
    """A ranking of units as a table (each row's ``unit``); choosing a row makes its unit the unit of every page."""

    def chosen() -> None:
        picked = st.session_state[key].selection.rows
        if picked:
            state.choose_unit(rows[picked[0]]["unit"])

    st.dataframe(rows, key=key, on_select=chosen, selection_mode="single-row", hide_index=True)
    st.caption("Choose a row to make that unit the current unit on every page.")
