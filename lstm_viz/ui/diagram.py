"""The cell diagram on the page: a kind's SVG, filled with one unit's live numbers."""

from __future__ import annotations

import streamlit as st

from lstm_viz import paths
from lstm_viz.analysis.equations import CellUpdate, GRUUpdate, RNNUpdate
from lstm_viz.engine import cell
from lstm_viz.engine.trace import LayerTrace
from lstm_viz.plots import diagram as svg

StepUpdate = CellUpdate | GRUUpdate | RNNUpdate  # what equations.step_update gives for each kind
CELL_SVG = paths.ASSETS / cell.KINDS["lstm"].diagram  # the LSTM's; each kind's is cell.KINDS[kind].diagram


@st.cache_data(show_spinner=False)
def cell_svg(kind: str = "lstm") -> str:
    """The diagram of a kind of cell (assets/lstm_cell.svg, gru_cell.svg, rnn_cell.svg), as text."""
    return (paths.ASSETS / cell.KINDS[kind].diagram).read_text(encoding="utf-8")


def cell_diagram(values: dict | None = None, width: int | str = "stretch", kind: str = "lstm") -> None:
    """Draw a kind's cell diagram, with the live values of one unit when given (the column's width by default)."""
    drawn = svg.annotated_cell_svg(cell_svg(kind), values, kind)
    alt = f"The {cell.KINDS[kind].title} cell" + (" with this unit's numbers: " if values else ": ")
    st.image(drawn, width=width, alt=alt + svg.describe(values, kind))


def diagram_values(update: StepUpdate, layer: LayerTrace, step: int, unit: int, token: str) -> dict:
    """Slots of the cell diagram for one unit at one step (``update``: ``equations.step_update``'s)."""
    return svg.values_of(update, token)
