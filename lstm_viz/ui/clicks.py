"""Chart clicks: a clicked heatmap cell becomes the shared step and unit."""

from __future__ import annotations

import streamlit as st

from lstm_viz.ui import state


def parse_heatmap_point(point: dict) -> tuple[int, int] | None:
    """(step, unit) from a clicked heatmap cell: x is the step, y is "u<unit>"; None if unreadable."""
    try:
        step = int(float(str(point["x"]).split(":", 1)[0]))
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
            st.session_state["step"] = picked[0]
            state.choose_unit(picked[1])
