"""What a fresh server does once, in the background after its first page has run, so that no reader's first
open of a page waits for it: the import Streamlit makes at its first table (pandas, about 0.25 s here) and
Plotly's first figure of each kind the pages draw (its validators, about 0.15 s)."""

from __future__ import annotations

import threading

_LOCK = threading.Lock()
_STARTED = threading.Event()


def _warm() -> None:
    import pandas  # noqa: F401  (st.dataframe imports it on its first call)
    import plotly.graph_objects as go

    go.Figure([go.Scatter(x=[0], y=[0]), go.Bar(x=[0], y=[0]), go.Heatmap(z=[[0.0]])]).to_json()


def start() -> None:
    """Start the warm-up once per server process (later calls do nothing)."""
    with _LOCK:
        if _STARTED.is_set():
            return
        _STARTED.set()
    threading.Thread(target=_warm, name="lstm-viz-warm", daemon=True).start()
