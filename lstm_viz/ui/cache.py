"""Caching for pages: one loaded model per name, one Trace per (model, text).

Models are cached with ``st.cache_resource``: one object shared by every session, so treat
it as read-only (never ``.train()`` it, never change its weights). Traces are cached with
``st.cache_data``: stepping through a sentence only redraws, it never recomputes the model.

The weights file's modification time is part of both cache keys, so a user model that was
retrained under the same name is reloaded instead of served stale.
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from lstm_viz import checkpoint, plots, zoo
from lstm_viz.trace import Trace

MAX_TOKENS = 2000  # longer texts are cut to their first MAX_TOKENS tokens, with a notice


def _version(name: str) -> float:
    """Modification time of the model's weights (0.0 when it cannot be found)."""
    try:
        return (zoo.resolve(name) / checkpoint.WEIGHTS).stat().st_mtime
    except (ValueError, OSError):
        return 0.0


@st.cache_resource(show_spinner="Loading the model…", max_entries=16)
def _load_model(name: str, version: float) -> zoo.LoadedModel:
    return zoo.load(name)


def load_model(name: str) -> zoo.LoadedModel:
    """The model called ``name`` (shipped or user), loaded once and shared; read-only."""
    return _load_model(name, _version(name))


@st.cache_data(show_spinner=False, max_entries=64)
def _trace(name: str, version: float, text: str, max_tokens: int) -> Trace:
    return _load_model(name, version).trace(text, max_tokens=max_tokens)


def get_trace(name: str, text: str, max_tokens: int = MAX_TOKENS) -> Trace:
    """Trace of the first ``max_tokens`` tokens of ``text``; empty text raises ValueError."""
    return _trace(name, _version(name), text, max_tokens)


@st.cache_resource(show_spinner=False, max_entries=48)
def _heatmap(
    name: str, version: float, text: str, max_tokens: int, layer: int, quantity: str, units: tuple
) -> go.Figure:
    trace = _trace(name, version, text, max_tokens)
    values = trace.layers[layer].quantities()[quantity]
    return plots.quantity_heatmap(values, trace.tokens, quantity, units=list(units))


def heatmap(name: str, text: str, layer: int, quantity: str, units, max_tokens: int = MAX_TOKENS) -> go.Figure:
    """The Gate Heatmaps figure of one quantity, built once per (model, text, layer, units) and
    shared read-only: a step change or a click reruns the page but builds nothing."""
    units = tuple(int(u) for u in units)
    return _heatmap(name, _version(name), text, max_tokens, layer, quantity, units)


@st.cache_resource(show_spinner=False, ttl=60)
def _list_models() -> tuple[zoo.ModelInfo, ...]:
    return tuple(zoo.list())


def list_models() -> tuple[zoo.ModelInfo, ...]:
    """Every loadable model (shipped first), as ``zoo.list()``; cached, refreshed every minute.

    One shared copy (``st.cache_resource``): a page reads it many times a run (every picker
    label), so it is not unpickled each time. Read-only, like the models.
    """
    return _list_models()


def model_names(tasks: tuple[str, ...] | list[str] | None = None) -> list[str]:
    """Names of the models whose task is in ``tasks`` (all when None)."""
    return [m.name for m in list_models() if tasks is None or m.card.get("task") in tasks]


def model_info(name: str) -> zoo.ModelInfo | None:
    return next((m for m in list_models() if m.name == name), None)


def refresh_models() -> None:
    """Forget the cached model list, so a model just trained or uploaded shows up everywhere."""
    _list_models.clear()
