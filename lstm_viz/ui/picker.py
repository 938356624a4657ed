"""The model picker, and a model page's opening: its title, what it does and its picker."""

from __future__ import annotations

import streamlit as st

from lstm_viz.store.zoo import LoadedModel
from lstm_viz.ui import cache, cards, state

PREFERRED_MODEL = "shakespeare-char"


def _title(name: str) -> str:
    info = cache.model_info(name)
    return name if info is None else f"{info.title} · {cards.task_name(info.card)}"


def model_picker(tasks=None, key: str = "model", label: str = "Model", where=st) -> str | None:
    """A selectbox over the models whose task is in ``tasks`` (all when None); returns the name.

    With ``key="model"`` it edits the shared model; other keys start from the shared model
    when it fits. Returns None (with a hint) when no model fits.
    """
    state.apply_pending()  # "Step through this" from another page: its model and text win
    names = [m.name for m in cards.sort_models(cache.list_models()) if tasks is None or m.card.get("task") in tasks]
    if not names:
        where.info("No model for this page yet: train one on the Train page or with `python -m lstm_viz train`.")
        return None
    shared = st.session_state.get("model")
    default = shared if shared in names else (PREFERRED_MODEL if PREFERRED_MODEL in names else names[0])
    if key != "model" and st.session_state.get(key) not in names:
        st.session_state[key] = default
    state.check_model(names, default, key=key)
    return where.selectbox(label, names, key=key, format_func=_title, **state.KEEP)


def model_page(title: str, caption: str, tasks: list[str], key: str, label: str) -> tuple[str, LoadedModel]:
    """A model page's opening: its title, what it does, and its model picker; (name, loaded model).

    Stops the page (after the picker's hint) when no model fits.
    """
    st.title(title)
    st.caption(caption)
    name = model_picker(tasks=tasks, key=key, label=label)
    if name is None:
        st.stop()
    return name, cache.load_model(name)
