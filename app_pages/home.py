"""Home: what an LSTM is, the cell diagram, where to start, and the models you can explore."""

import streamlit as st

from lstm_viz.ui import cache, cards, diagram, pages

st.title("lstm-viz: watch an LSTM read")
left, right = st.columns([2, 3], gap="large")
with left:
    st.markdown(
        """
An **LSTM** reads a text one token at a time and carries a memory, the **cell state** *c*,
from one token to the next. At every step each unit of the memory does three things:

1. **forget some of the old**: the *forget gate* **f** (0 to 1) scales what the unit held;
2. **add some of the new**: the *input gate* **i** (0 to 1) decides how much of the
   *candidate* **g** (−1 to 1) to write;
3. **expose part of it**: the *output gate* **o** (0 to 1) decides how much of tanh(*c*)
   becomes the **hidden state** *h*, which the model uses to predict and passes on.

Every number you see here is computed by a really trained model on the text you type.
"""
    )
    st.markdown("**Where to start:** step through a line of Shakespeare and watch one unit decide what to keep.")
    st.page_link(pages.STEP_THROUGH, label="Step through a sentence, token by token", icon=":material/footprint:")
    st.page_link(pages.HEATMAPS, label="See every unit over the whole text as a heatmap", icon=":material/grid_on:")
    st.page_link(pages.EQUATIONS, label="Open the equations with the numbers in", icon=":material/function:")
    st.page_link(pages.JOIN, label="Join your teacher's class with its code", icon=":material/groups:")
with right:
    diagram.cell_diagram()
    st.caption("One step of one LSTM layer: c flows along the top, h along the bottom; f, i, g, o are the gates.")

st.header("Models")
models = cards.sort_models(cache.list_models())
if not models:
    st.info("No models found: the shipped ones live in assets/models; train one with `python -m lstm_viz train`.")
for row_start in range(0, len(models), 3):
    for col, info in zip(st.columns(3), models[row_start : row_start + 3], strict=False):
        with col:
            cards.model_card(info, pages.STEP_THROUGH)
