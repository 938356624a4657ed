"""Neuron Lab: find the units that do something, measure them, and change them to see what they cause.

Six tools over the explorer's model, text and layer (:mod:`lstm_viz.analysis.search`,
:mod:`lstm_viz.analysis.features`, :mod:`lstm_viz.analysis.intervene`, :mod:`lstm_viz.analysis.connectivity`).
Picking a unit in any ranking or chart makes it the unit of every page.
"""

import numpy as np
import streamlit as st

from lstm_viz.analysis import connectivity, counting, features, memory, search
from lstm_viz.analysis.intervene import generate_clamped
from lstm_viz.data import tasks
from lstm_viz.engine import cell
from lstm_viz.engine.trace import Clamp
from lstm_viz.plots import colours, lab, strips
from lstm_viz.store import examples
from lstm_viz.ui import cache, controls, moment_stepper, pages, sharing, sidebar, state

TOP = moment_stepper.TOP  # units in a ranking's table
MAX_WRITE = 300  # characters written on from a clamped state

sel = sidebar.explorer_page("Neuron Lab")
trace, layer = sel.trace, sel.layer_trace
model = sel.model
n_steps, n_units = len(trace), layer.hidden_size
quantities = layer.quantities()
spans = trace.spans or [(t, t + 1) for t in range(n_steps)]
unit_at, note_at = st.columns([1, 5], vertical_alignment="bottom")
unit = controls.unit_picker(n_units, where=unit_at)
controls.unit_note(note_at)
state.show_notices()


def choose_from_chart(key: str) -> None:
    """on_select of a chart whose points carry their unit in ``customdata``."""
    event = st.session_state.get(key)
    points = event.selection.get("points", []) if event is not None and hasattr(event, "selection") else []
    for point in points[:1]:
        if "customdata" in point:
            state.choose_unit(point["customdata"])


def a_moment() -> None:
    st.markdown("Which units changed most at one step, and do they react only there or all through the text?")
    moments = search.moments_for(layer)
    if "lab_moment" not in st.session_state:  # the ranking the page opened on, until the reader picks another
        at = min(int(st.session_state.get("step", 0)), n_steps - 1)
        st.session_state["lab_moment"] = search.opening_unit(layer, at)[0]
    # one row each: the rankings' names are long, and a projector at 1024 pixels would cut them short
    how = st.selectbox(
        "Rank units by", moments, format_func=lambda m: search.MOMENTS[m][2], key="lab_moment", **state.IN_TAB
    )
    moment_stepper.view(sel, how)


def a_selection() -> None:
    st.markdown(
        "Select a span of tokens: which units are high (or low) inside it and not outside? Then look for the same "
        "pattern elsewhere (as LSTMVis does)."
    )
    if n_steps < 3:
        st.info("Type a longer text: a selection needs tokens inside and outside it.")
    else:
        cols = st.columns([4, 2, 2], vertical_alignment="bottom")
        default = (max(0, n_steps // 3), max(1, n_steps // 3 + 3))
        start, end = cols[0].slider("Tokens (from, to)", 0, n_steps, default, key="lab_span", **state.IN_TAB)
        quantity = cols[1].selectbox(
            "Quantity", list(quantities), format_func=cell.title, key="lab_sel_quantity", **state.IN_TAB
        )
        high = (
            cols[2].radio("Units that are", ["high inside", "low inside"], key="lab_sel_high", **state.IN_TAB)
            == "high inside"
        )
        try:
            ranked = search.by_selection(quantities[quantity], start, end, high=high, top=TOP)
        except ValueError as err:
            st.warning(str(err), icon=":material/warning:")
            ranked = []
        if ranked:
            st.html(strips.token_strip_html(trace.tokens[start:end], font_px=18))
            controls.unit_table([{"unit": u, "inside minus outside": round(s, 4)} for u, s in ranked], "lab_sel_table")
            best_units = [u for u, _ in ranked[:5]]
            st.plotly_chart(
                cache.figure(
                    lab.unit_traces,
                    quantities[quantity],
                    trace.tokens,
                    best_units,
                    quantity,
                    span=(start, end),
                    scores=[s for _, s in ranked[:5]],
                ),
                key="lab_sel_traces",
            )
            long = examples.long_text(model.card)
            where = "20,000 characters of text the model did not train on" if long else "this text"
            if st.button(f"Find the same pattern in {where}", key="lab_match", icon=":material/search:"):
                searched = cache.get_trace(sel.name, long, len(long), sel.at_step) if long else trace
                values = searched.layers[sel.layer].quantities()[quantity][:, best_units]
                pattern = quantities[quantity][start:end][:, best_units]
                found = search.match(pattern, values, searched.tokens, top=TOP, exclude=None if long else (start, end))
                st.dataframe(
                    [{"at token": m.start, "distance": round(m.distance, 4), "context": m.context} for m in found],
                    hide_index=True,
                    key="lab_match_table",
                )
                st.caption(
                    f"Distance: the mean |difference| from the selection's pattern over its {end - start} tokens and "
                    f"the {len(best_units)} units above; the matching span is in [brackets]."
                )


def a_feature() -> None:
    st.markdown("Which units follow a feature of the text: a built-in one, or any regular expression?")
    cols = st.columns([3, 3, 2], vertical_alignment="bottom")
    kind = cols[0].selectbox(
        "Feature",
        ["(a regular expression)", *features.FEATURES],
        key="lab_feature",
        **state.IN_TAB,
        format_func=lambda f: f if f.startswith("(") else features.FEATURES[f][0],
    )
    pattern = cols[1].text_input(
        "Regular expression",
        key="lab_regex",
        **state.IN_TAB,
        disabled=not kind.startswith("("),
        max_chars=features.MAX_PATTERN,
        placeholder=r"e.g. [A-Z]{2,}",
        help="RE2 syntax, matched in linear time: no backreferences (\\1) or lookarounds ((?=…)); "
        "repetition counts up to 1,000.",
    )
    quantity = cols[2].selectbox(
        "Quantity",
        list(quantities),
        format_func=cell.title,
        key="lab_feat_quantity",
        **state.IN_TAB,
        index=list(quantities).index("cell") if "cell" in quantities else 0,
    )
    try:
        feature = features.feature(
            sel.text,
            spans,
            name=None if kind.startswith("(") else kind,
            pattern=pattern if kind.startswith("(") else None,
        )
    except ValueError as err:
        st.info(str(err), icon=":material/info:")
        feature = None
    if feature is not None:
        ranked = search.by_feature(quantities[quantity], feature, top=TOP)
        controls.unit_table([{"unit": u, "correlation r": round(r, 4)} for u, r in ranked], "lab_feat_table")
        u, r = ranked[0]
        st.markdown(
            f"On this text the best unit is **{u}**: its {cell.QUANTITY[quantity].label} correlates with the "
            f"feature at r = {r:+.3f} over the {n_steps} tokens."
        )
        if kind == "bracket_depth" and quantity == "cell" and examples.task_data(model.card).get("kind") == "brackets":
            found = cache.counting_units(sel.name) if sel.at_step is None and sel.layer == 0 else None
            if found is not None:
                named = ", ".join(f"unit {c} (r = {cr:+.3f})" for c, cr in found.counting)
                st.markdown(
                    f"**The counting units of {sel.name}**, measured over {found.strings} strings of the task "
                    f"({found.steps:,} characters): {named}. These are the units the RNN vs LSTM page and the "
                    f"counting lesson name. A correlation over only {n_steps} tokens is a rough guide: several "
                    "units follow the depth almost equally well, so a short text can rank another one first."
                )
        feature_name = features.FEATURES[kind][0] if not kind.startswith("(") else f"the pattern {pattern[:40]!r}"
        st.plotly_chart(
            cache.figure(
                lab.unit_and_feature, quantities[quantity][:, u], feature, trace.tokens, u, quantity, feature_name
            ),
            key="lab_feat_traces",
        )
        st.caption(f"Top: unit {u}'s {cell.QUANTITY[quantity].label}. Bottom: the feature at each token.")


def saturation() -> None:
    if not any(getattr(layer, g, None) is not None for g in ("forget_gate", "update_gate")):
        st.info("A vanilla RNN has no gates to saturate.")
    else:
        long = examples.long_text(model.card, chars=5_000)
        counted = cache.get_trace(sel.name, long, len(long), sel.at_step).layers[sel.layer] if long else layer
        st.markdown(
            "How often each unit's gates are shut (below 0.1) or open (above 0.9), over "
            + ("5,000 characters of text the model did not train on" if long else "this text")
            + ". Karpathy, Johnson and Fei-Fei (2015) found units that are always open: cells that remember for a "
            "long time. Click a point to pick its unit."
        )
        st.plotly_chart(
            cache.figure(lab.saturation_scatter, search.saturation(counted), unit=unit),
            key="lab_sat_chart",
            on_select=lambda: choose_from_chart("lab_sat_chart"),
            selection_mode="points",
        )


def what_if() -> None:
    st.markdown(
        f"Hold unit **{unit}**'s value at a number you choose over a range of steps, and see what the model does "
        "instead: everything after it is recomputed."
    )
    allowed = list(cell.QUANTITIES) if layer.kind == "lstm" else ["hidden"]
    cols = st.columns([2, 2, 4], vertical_alignment="bottom")
    quantity = cols[0].selectbox("Clamp", allowed, format_func=cell.title, key="lab_clamp_quantity", **state.IN_TAB)
    value = cols[1].number_input("to the value", -10.0, 10.0, 0.0, step=0.1, key="lab_clamp_value", **state.IN_TAB)
    first, last = cols[2].slider("over the steps", 0, n_steps, (0, n_steps), key="lab_clamp_steps", **state.IN_TAB)
    result = None
    if first >= last:
        st.info("Choose at least one step to clamp.")
    else:
        try:
            clamp = Clamp(sel.layer, unit, quantity, float(value), first, last)
            result = cache.intervention(sel.name, sel.text, clamp, sel.at_step)
        except ValueError as err:  # a value the core refuses (see trace.check_clamp): a message, not a traceback
            st.warning(f"Cannot clamp: {err}.", icon=":material/warning:")
    if result is not None:
        at = int(st.session_state.get("step", 0))
        moved = result.changed()
        changed_at = result.first_change()
        st.markdown(
            f"At step {at} ({trace.tokens[at]!r}) the output moved by **{moved[at]:.3f}** (0: unchanged, 1: nothing "
            "in common); "
            + (f"the first step where it moved is {changed_at}." if changed_at is not None else "it moved nowhere.")
        )
        labels = trace.output_labels
        st.plotly_chart(
            cache.figure(
                lab.before_after_bars,
                result.before.probs[at],
                result.after.probs[at],
                labels,
                title=f"The output at step {at}, before and after",
            ),
            key="lab_clamp_bars",
        )
        st.plotly_chart(
            cache.figure(lab.change_by_step, moved, trace.tokens, (first, last), step=at), key="lab_clamp_change"
        )
        if trace.task == "sequence" and model.card.get("training", {}).get("preset", "").startswith("brackets"):
            depth = np.array(tasks.bracket_depths(sel.text[: len(trace)]))
            before = (result.before.probs.argmax(1) == depth).mean()
            after = (result.after.probs.argmax(1) == depth).mean()
            st.metric("Depth right, before → after", f"{after:.0%}", f"{after - before:+.0%} (was {before:.0%})")
            if quantity == "forget_gate" and after >= before - 0.05 and sel.layer == 0 and sel.at_step is None:
                found = cache.counting_units(sel.name)
                st.caption(
                    f"The count survives here: {len(found.counting)} units follow the depth (|r| ≥ "
                    f"{counting.COUNTING_R} over {found.strings} strings), and on a short, shallow string the others "
                    f"carry it without unit {unit}. The RNN vs LSTM page shows a string where closing unit "
                    f"{found.unit}'s forget gate breaks the count, with the shares right at each depth."
                )
        if trace.task == "charlm" and st.button("Write on with the clamp held", key="lab_write"):
            free = model.generate(sel.text, MAX_WRITE // 2, temperature=0.8, seed=1).generated
            held = generate_clamped(model, sel.text, Clamp(sel.layer, unit, quantity, float(value)), MAX_WRITE // 2)
            left, right = st.columns(2)
            left.markdown("**As trained**")
            left.code(free, language=None, wrap_lines=True)
            right.markdown(f"**With unit {unit}'s {cell.QUANTITY[quantity].label} held at {value:g}**")
            right.code(held, language=None, wrap_lines=True)


def memory_connectivity() -> None:
    st.markdown(
        "How much each earlier token drives the prediction at the current step: the size of the gradient of the "
        "predicted token's log-probability with respect to each earlier input (after Madsen, *Visualizing "
        "memorization in RNNs*, Distill 2019). Darker tokens matter more."
    )
    at = int(st.session_state.get("step", 0))
    norms = connectivity.connectivity(model.module, trace.token_ids, at)
    st.html(lab.connectivity_strip_html(trace.tokens, norms, at))
    st.html(strips.legend_html(colours.INFLUENCE, "none", "the most", "influence on the prediction:"))
    st.caption(f"The prediction at step {at}: {trace.output_labels[int(np.argmax(trace.probs[at]))]!r}.")
    st.subheader("LSTM and RNN on the memory task")
    text, _ = tasks.MemoryTask().example(40, seed=0)
    for name in memory.PAIR:
        if name in cache.model_names():
            other = cache.load_model(name)
            found = connectivity.influence_at_query(other, text)
            st.markdown(f"**{other.card.get('title', name)}**")
            st.html(lab.connectivity_strip_html(list(text), found.norms, len(text) - 1, font_px=16))
            st.markdown(connectivity.describe_influence(found))


# Lazy tabs: a click on a tab reruns the page, and only the open tab computes and draws its charts (all six at
# once were most of a page switch's time in the browser). The open tab is st.session_state["lab_tab"].
DRAW = (a_moment, a_selection, a_feature, saturation, what_if, memory_connectivity)  # in pages.TABS["lab_tab"]'s order
for tab, draw in zip(st.tabs(pages.TABS["lab_tab"], key="lab_tab", on_change="rerun"), DRAW, strict=True):
    if tab.open:
        with tab:
            draw()

sharing.share_box("neuron_lab")
