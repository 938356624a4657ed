"""Classify: watch a classifier's opinion form token by token and see which units carried it."""

import streamlit as st

from lstm_viz.analysis import contributions
from lstm_viz.plots import classify, strips
from lstm_viz.store import examples
from lstm_viz.ui import cache, cards, display, pages, picker, sharing, state

OWN_TEXT = "(your own text)"
TOP_UNITS = 8

name, model = picker.model_page(
    "Classify",
    "A classifier reads the text one token at a time and keeps a running opinion: after every "
    "word (or character) its head turns the hidden state into class probabilities.",
    tasks=["classify"],
    key="classify_model",
    label="Classifier",
)
samples = examples.for_classifier(model.card)

# A new classifier starts from its first example (an old text rarely suits the new model).
# (A text that came with a link is kept.)
if st.session_state.get("classify_text_for") != name:
    st.session_state["classify_text_for"] = name
    linked = state.from_link("classify_text")
    if not linked or st.session_state.get("classify_text") is None:
        st.session_state["classify_text"] = next(iter(samples.values()), "")
    text_now = st.session_state["classify_text"]
    st.session_state["classify_example"] = next((t for t, x in samples.items() if x == text_now), OWN_TEXT)


def _use_example() -> None:
    choice = st.session_state["classify_example"]
    if choice in samples:
        st.session_state["classify_text"] = samples[choice]


def _own_text() -> None:
    if samples.get(st.session_state.get("classify_example")) != st.session_state.get("classify_text"):
        st.session_state["classify_example"] = OWN_TEXT


st.selectbox("Example", [*samples, OWN_TEXT], key="classify_example", on_change=_use_example, **state.KEEP)
st.text_area("Text to classify", key="classify_text", height=110, on_change=_own_text, **state.KEEP)
sharing.share_box("classify")
text = st.session_state.get("classify_text") or ""

if not text.strip():
    st.info("Type a review or a passage above (or pick an example) to see the prediction form.", icon="✍️")
    st.stop()
try:
    trace = cache.get_trace(name, text)
except ValueError as err:
    st.warning(f"Nothing to classify: {err}.", icon="⚠️")
    st.stop()

n_tokens = len(model.encode(text))
if n_tokens > cache.MAX_TOKENS:
    st.warning(f"The text has {n_tokens:,} tokens; only the first {cache.MAX_TOKENS:,} are read.", icon="✂️")
if trace.unknown and len(trace.unknown) == len(trace):
    st.warning(
        "The model knows none of these tokens: it reads only stand-ins, so its prediction below says "
        "nothing about your text. Try ordinary English words.",
        icon="❓",
    )

labels = trace.output_labels
final = trace.probs[-1]
best = int(final.argmax())
head_weight, head_bias = contributions.head_parameters(model.module)
influence = contributions.token_influence(trace.probs, best, contributions.prior_probabilities(head_bias))

col1, col2, col3 = st.columns([2, 1, 1])  # the prediction is a name (Shakespeare): never cut at 1024 px
col1.metric("Prediction", labels[best])
col2.metric("Confidence", f"{final[best]:.1%}")
col3.metric("Tokens read", f"{len(trace):,}")

# Each chart is HTML and SVG, not Plotly: the first open waits for no chart library in the browser.
version = cache.version(name)
st.html(
    cache.kept(
        ("classify_probs", name, version, text),
        lambda: classify.running_probabilities(trace.probs, trace.tokens, labels),
        len,
    )
)
st.markdown(
    f"**Each token coloured by how much reading it moved P({labels[best]})**: red raised it, blue lowered "
    "it (hover a token for the exact change)."
)
st.html(
    strips.token_strip_html(
        trace.tokens,
        values=influence,
        unknown={u.position for u in trace.unknown},
        font_px=16 if len(trace) > 80 else 20,
    )
)
if not (trace.unknown and len(trace.unknown) == len(trace)):
    display.unknown_note(trace)  # below the chart and the strip it speaks of: the chart opens the page

st.subheader("Which units carried the decision")
contrib = contributions.logit_contributions(trace, head_weight, head_bias, best)
top = contrib.top_units(TOP_UNITS)
st.html(classify.contribution_bars(contrib.contributions, top, contrib.bias, contrib.logit, labels[best]))
st.caption(
    f"The {labels[best]!r} logit after the last token is the head bias {contrib.bias:+.4f} plus one share per "
    f"unit, head weight × hidden value: the {len(contrib.contributions)} shares add up to "
    f"{contrib.contributions.sum():+.4f}, and {contrib.bias:+.4f} {contrib.contributions.sum():+.4f} = "
    f"{contrib.logit:+.4f}, the model's logit."
)
st.html(
    cache.kept(
        ("classify_cells", name, version, text),
        lambda: classify.unit_cell_traces(trace.layers[-1].cell, top[:5], trace.tokens, contrib.contributions),
        len,
    )
)

st.subheader("How good is this classifier?")
metrics = model.card.get("metrics", {})
rows = cards.accuracy_table(metrics)
if rows:
    st.markdown(cards.accuracy_markdown(rows))
    st.caption(f"Held-out figures from the model card: {metrics.get('split', 'held-out split')}.")
else:
    st.info("This model's card has no held-out accuracy.")
if metrics.get("confusion_matrix"):
    st.html(classify.confusion_heatmap(metrics["confusion_matrix"], labels))

st.subheader("Step through this")
cols = st.columns(3)
for col, (title, path, icon) in zip(
    cols,
    (
        ("Step Through", pages.STEP_THROUGH, ":material/footprint:"),
        ("Gate Heatmaps", pages.HEATMAPS, ":material/grid_on:"),
        ("Equations", pages.EQUATIONS, ":material/function:"),
    ),
    strict=True,
):
    if col.button(title, key=f"classify_open_{path}", icon=icon, width="stretch"):
        state.open_in(path, name, text)
