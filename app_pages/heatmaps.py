"""Gate Heatmaps: one quantity of one layer over tokens x units; click a cell to select its step and unit."""

import streamlit as st

from lstm_viz.analysis import export, search
from lstm_viz.engine import cell
from lstm_viz.plots import heatmaps, strips
from lstm_viz.ui import cache, clicks, controls, display, downloads, heatmap_view, sharing, sidebar, state, stepper

sel = sidebar.explorer_page("Gate Heatmaps")
trace, layer = sel.trace, sel.layer_trace
spec, quantities = layer.spec, layer.quantities()
n_steps, n_units = len(trace), layer.hidden_size
st.info(spec.summary)
for key in ("quantity", "order_of"):
    if st.session_state.get(key) not in quantities:
        st.session_state[key] = spec.state if key == "order_of" else next(iter(quantities))
state.clamp("count", n_units + 1, f"this layer has {n_units} units", lo=1)

cols = [*st.columns(3, vertical_alignment="bottom"), *st.columns([4, 1], vertical_alignment="bottom")]
quantity = cols[0].selectbox("Heatmap of", list(quantities), key="quantity", format_func=cell.title, **state.KEEP)
order_by = cols[1].selectbox("Order units by", search.ORDERINGS, key="order", help=search.ORDERING_HELP, **state.KEEP)
by_quantity = cols[2].selectbox("…of", list(quantities), key="order_of", format_func=cell.title, **state.KEEP)
count = cols[3].slider("Units shown (first in that order)", 1, n_units, key="count", **state.KEEP)
unit = controls.unit_picker(n_units, where=cols[4])
controls.unit_note()
chart_at = st.container()  # the heatmap comes first, in the first screen; the step and its values under it
if n_steps > 1:
    step = st.slider("Step (token index)", 0, n_steps - 1, key="step", **state.KEEP)
else:
    step = 0
state.show_notices()
shown = search.unit_order(quantities[by_quantity], order_by, bounded01=by_quantity.endswith("gate"))[:count]
canvas = heatmap_view.live()  # drawn in the browser: every cell can be clicked
clickable = canvas or n_steps * len(shown) <= heatmaps.MAX_CLICK_CELLS
hint = (
    "click a cell of the heatmap to select its step and unit"
    if clickable
    else "pick the step and unit above (too many cells to click)"
)
with st.container(key="hm_values"):  # the canvas writes its own under the heatmap (CSS hides these then)
    st.markdown(controls.step_caption(trace, step) + f" · unit **{unit}** · {hint}")
    display.unit_metrics(quantities, step, unit)

with chart_at:
    if stepper.enabled():
        canvas = heatmap_view.mount(heatmap_view.view_payload(sel, quantity, shown), step, unit)
    if not canvas:  # the Plotly heatmap, where the canvas does not run (CSS hides it once the canvas does)
        with st.container(key="hm_fallback"):
            fig = cache.heatmap(
                sel.name, sel.text, sel.layer, quantity, shown, step=step, unit=unit, at_step=sel.at_step
            )
            st.plotly_chart(
                fig, key="hm_chart", on_select=lambda: clicks.select_from_chart("hm_chart"), selection_mode="points"
            )
    st.html(strips.strip_legend_html(spec.name))
    st.caption(
        "The black lines mark the current step and unit. Hover a cell for its token, step, unit and exact value."
        + (" Click a cell to make its step and unit the current ones on every page." if clickable else "")
        + (
            " On a text this long a pixel of the heatmap can hold several steps (it shows the last of them): the Step "
            "slider reaches every one."
            if canvas and n_steps > heatmap_view.NARROW_STEPS
            else ""
        )
    )

st.subheader(f"{cell.QUANTITY[spec.state].label.capitalize()} of chosen units along the text")
line_units = st.multiselect(
    "Units", list(range(n_units)), default=[unit], key="hm_lines", max_selections=12, placeholder="pick units"
)
if line_units:
    lines = cache.figure(
        heatmaps.cell_lines, quantities[spec.state], trace.tokens, line_units, step=step, name=spec.state
    )
    st.plotly_chart(lines, key="hm_lines_chart")

st.subheader("Download the whole trace")
dl = st.columns(3)
downloads.download(
    dl[0], "CSV", lambda: export.trace_csv(trace), f"{sel.name}-trace.csv", key="hm_csv",
    tip="One row per layer, step and unit, with every quantity.",
)  # fmt: skip
downloads.download(
    dl[1], "JSON", lambda: export.trace_json(trace, sel.name), f"{sel.name}-trace.json", key="hm_json",
    tip="Every array of every layer, with the tokens and the model's name.",
)  # fmt: skip
sharing.share_box("heatmaps", where=dl[2])
