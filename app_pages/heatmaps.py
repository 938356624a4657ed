"""Gate Heatmaps: every quantity of one layer over tokens x units; click a cell to select it."""

import streamlit as st

from lstm_viz import plots
from lstm_viz.analysis import export, units
from lstm_viz.ui import cache, state, widgets

sel = widgets.explorer_page("Gate Heatmaps")
trace, layer = sel.trace, sel.layer_trace
quantities = layer.quantities()
n_steps, n_units = len(trace), layer.hidden_size
if not layer.has_gates:
    st.info("This is a **vanilla RNN**: it has no gates and no cell state; shown are h and its pre-activation.")

controls = st.columns([2, 2, 3, 1], vertical_alignment="bottom")
order_by = controls[0].selectbox("Order units by", units.ORDERINGS, key="hm_order")
by_quantity = controls[1].selectbox(
    "…of", list(quantities), key="hm_order_of", format_func=lambda q: plots.QUANTITY_LABELS.get(q, q)
)
count = controls[2].slider("Units shown (first in that order)", 1, n_units, min(48, n_units), key="hm_count")
unit = widgets.unit_picker(n_units, where=controls[3])
if n_steps > 1:
    step = st.slider("Step (token index)", 0, n_steps - 1, key="step", persist_state="session")
else:
    step = 0
state.show_notices()
order = units.unit_order(quantities[by_quantity], order_by, bounded01=by_quantity.endswith("gate"))
shown = order[:count]
clickable = n_steps * len(shown) <= plots.MAX_CLICK_CELLS
hint = "click any heatmap cell to select it" if clickable else "pick the step and unit above (too many cells to click)"
st.markdown(widgets.step_caption(trace, step) + f" · unit **{unit}** · {hint}")
widgets.unit_metrics(quantities, step, unit)

names = list(quantities)
for row in range(0, len(names), 2):
    for col, name in zip(st.columns(2), names[row : row + 2], strict=False):
        key = f"hm_chart_{name}"
        fig = cache.heatmap(sel.model, sel.text, sel.layer, name, shown)
        col.plotly_chart(fig, key=key, on_select=lambda k=key: widgets.select_from_chart(k), selection_mode="points")
st.caption(widgets.HEATMAP_LEGEND)

st.subheader("Cell state of chosen units along the text" if layer.has_gates else "Hidden state along the text")
line_units = st.multiselect(
    "Units", list(range(n_units)), default=[unit], key="hm_lines", max_selections=12, placeholder="pick units"
)
if line_units:
    values = layer.cell if layer.has_gates else layer.hidden
    st.plotly_chart(plots.cell_lines(values, trace.tokens, line_units, step=step), key="hm_lines_chart")

st.subheader("Download the whole trace")
dl = st.columns(2)
dl[0].download_button(
    "CSV (one row per layer, step, unit)",
    data=lambda: export.trace_csv(trace),
    file_name=f"{sel.model}-trace.csv",
    mime="text/csv",
    key="hm_csv",
    icon=":material/download:",
)
dl[1].download_button(
    "JSON (every array of every layer)",
    data=lambda: export.trace_json(trace, sel.model),
    file_name=f"{sel.model}-trace.json",
    mime="application/json",
    key="hm_json",
    icon=":material/download:",
)
state.sync_query_params()
