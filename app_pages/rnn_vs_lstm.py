"""RNN versus LSTM: the vanilla RNN forgets, the LSTM remembers, and the gradient says why.

Two models of the same size trained the same way on the memory task (remember the first
letter across N digits), measured on fresh strings; the gradient of the loss at the query with
respect to every earlier hidden state (autograd), with the product formula of "Applying LSTM to
Text Generation" beside it; the
LSTM's forget-gate products; both models stepped through side by side; the brackets model's
counting unit; and a race that trains both again on this machine.
"""

import secrets
import tempfile

import numpy as np
import streamlit as st

from lstm_viz import cell
from lstm_viz.analysis import equations, gradients, units
from lstm_viz.data import tasks
from lstm_viz.plots import comparison, heatmaps, strips
from lstm_viz.ui import cache, widgets

LSTM, RNN, BRACKETS = "memory-lstm", "memory-rnn", "brackets-lstm"
MAX_TEXT = 400  # characters of a typed memory string; longer strings are refused with a message

st.title("RNN versus LSTM")
st.markdown(
    "Both models read a letter (**A**-**D**), then **N** random digits, then **?**, and must answer "
    "the first letter. Same size, same data, same number of training steps: only the cell differs."
)

available = cache.model_names(("sequence",))
missing = [name for name in (LSTM, RNN) if name not in available]
if missing:
    st.error(
        f"The shipped model(s) {', '.join(missing)} are missing. Train them with "
        f"`python -m lstm_viz train --preset NAME --out assets/models/NAME`."
    )
    st.stop()
lstm, rnn = cache.load_model(LSTM), cache.load_model(RNN)
chance = 1 / len(lstm.labels)  # guessing among the possible first letters
task = tasks.MemoryTask(tokenizer=lstm.tokenizer)


@st.cache_data(show_spinner="Measuring accuracy on fresh strings…", max_entries=32)
def accuracy(name: str, seed: int, per_gap: int) -> dict[int, float]:
    model = cache.load_model(name)
    return tasks.accuracy_by_gap(model.module, tasks.MemoryTask(tokenizer=model.tokenizer), per_gap=per_gap, seed=seed)


@st.cache_data(show_spinner="Backpropagating through every step…", max_entries=32)
def flow(name: str, text: str) -> gradients.GradientFlow:
    model = cache.load_model(name)
    ids = np.asarray(model.encode(text).ids)
    targets = np.full(len(ids), -100)
    targets[-1] = model.labels.index(text[0])
    return gradients.gradient_flow(model.module, ids, targets)


@st.cache_data(show_spinner="Looking for the counting unit…")
def counting_unit(name: str) -> tuple[int, float]:
    return units.find_counting_unit(cache.load_model(name))


# --- 1. accuracy against the gap ---------------------------------------------------------------
st.header("1 · Who still knows the first letter?")
seed = st.session_state.setdefault("rvl_seed", secrets.randbelow(2**31))
left, right = st.columns([3, 1])
with right:
    per_gap = st.select_slider("Strings per gap", [50, 100, 200, 500], value=200, key="rvl_per_gap")
    if st.button("New strings", key="rvl_resample", icon=":material/casino:"):
        st.session_state["rvl_seed"] = seed = secrets.randbelow(2**31)
    st.caption(f"{per_gap} fresh strings at each gap, drawn with seed {seed}; chance is {chance:.0%}.")
measured = {"LSTM": accuracy(LSTM, seed, per_gap), "RNN": accuracy(RNN, seed, per_gap)}
with left:
    st.plotly_chart(comparison.accuracy_vs_gap(measured, chance=chance), key="rvl_accuracy_chart")
longest = max(tasks.EVAL_GAPS)
cols = st.columns(4)
cols[0].metric(f"LSTM at N = {longest}", f"{measured['LSTM'][longest]:.0%}")
cols[1].metric(f"RNN at N = {longest}", f"{measured['RNN'][longest]:.0%}")
cols[2].metric("LSTM at N = 5", f"{measured['LSTM'][5]:.0%}")
cols[3].metric("RNN at N = 5", f"{measured['RNN'][5]:.0%}")

# --- 2. one input, both models -------------------------------------------------------------------
st.header("2 · Why: the error signal on its way back")
st.markdown(
    "In a vanilla RNN (Leroux, Laliberté and Frédéric Boileau, *Applying LSTM to Text Generation*), "
    "$h_k = \\tanh(W x_k + V h_{k-1} + b)$, so the error at the query "
    "reaches step $t$ multiplied by δ = T−t factors:"
)
st.latex(
    r"\frac{\partial L}{\partial h_t} = \Big(\prod_{k=t+1}^{T} V^\top \operatorname{diag}(1-h_k^2)\Big)"
    r"\frac{\partial L}{\partial h_T}"
    r"\qquad\text{LSTM cell path:}\quad \frac{\partial c_T}{\partial c_t} = \prod_{k=t+1}^{T} f_k"
)
c1, c2, c3 = st.columns([1, 1, 2])
gap = c1.slider("Gap N", 1, 150, longest, key="rvl_gap")
example_seed = c2.number_input("String number", 0, 10_000, 0, key="rvl_example")
generated, _ = task.example(int(gap), seed=int(example_seed))
typed = c3.text_input(
    "…or type your own (a letter A-D, digits, then ?)", key="rvl_text", max_chars=MAX_TEXT, placeholder=generated
)
text = generated
if typed.strip():
    if task.answer(typed.strip()) is None:
        st.warning(
            f"{typed.strip()[:60]!r} is not a memory string: it must start with one of A, B, C, D, continue with "
            "digits 0-9 only and end with '?'. Showing the generated string instead.",
            icon="✍️",
        )
    else:
        text = typed.strip()
answer = task.answer(text)
st.html(strips.token_strip_html(list(text), current=0, font_px=18))
lstm_trace, rnn_trace = cache.get_trace(LSTM, text), cache.get_trace(RNN, text)
lstm_flow, rnn_flow = flow(LSTM, text), flow(RNN, text)
lstm_guess = lstm.labels[int(np.argmax(lstm_trace.probs[-1]))]
rnn_guess = rnn.labels[int(np.argmax(rnn_trace.probs[-1]))]
cols = st.columns(4)
cols[0].metric("Answer", answer)
cols[1].metric("LSTM says", lstm_guess, f"{lstm_trace.probs[-1].max():.0%} sure", delta_color="off")
cols[2].metric("RNN says", rnn_guess, f"{rnn_trace.probs[-1].max():.0%} sure", delta_color="off")
v = equations.layer_weights(rnn.module, 0).w_hh
cols[3].metric("Spectral radius of the RNN's V", f"{gradients.spectral_radius(v):.3f}")

st.plotly_chart(
    comparison.gradient_vs_distance(
        {
            "LSTM ‖∂L/∂h_t‖": lstm_flow.hidden_norm,
            "LSTM ‖∂L/∂c_t‖": lstm_flow.cell_norm,
            "RNN ‖∂L/∂h_t‖": rnn_flow.hidden_norm,
        }
    ),
    key="rvl_gradient_chart",
)
lstm_ratio, rnn_ratio = gradients.gradient_ratio(lstm_flow.hidden_norm), gradients.gradient_ratio(rnn_flow.hidden_norm)
cols = st.columns(3)
cols[0].metric(f"LSTM ‖∂L/∂h₀‖ / ‖∂L/∂h_{len(text) - 1}‖", f"{lstm_ratio:.2e}")
cols[1].metric(f"RNN ‖∂L/∂h₀‖ / ‖∂L/∂h_{len(text) - 1}‖", f"{rnn_ratio:.2e}")
cols[2].metric("LSTM / RNN", f"{lstm_ratio / max(rnn_ratio, 1e-300):.2e}")
st.caption(
    "Autograd through a private float64 copy of each model's weights; the loss is the cross-entropy of the "
    "true answer at the query. δ = 0 is the query itself."
)

left, right = st.columns(2)
with left:
    products = gradients.rnn_jacobian_products(rnn_trace.layers[0].hidden, v)
    formula = gradients.propagated_error_norms(products, rnn_flow.hidden_grad[-1])
    st.plotly_chart(comparison.formula_vs_measured(formula, rnn_flow.hidden_norm), key="rvl_formula_chart")
    rows = [d for d in (1, 5, 10, 20, 50, 100, 150) if d < len(text)]
    st.dataframe(
        {
            "δ": rows,
            "formula ‖∏ Vᵀ diag(1−h²) e‖": [f"{formula[-1 - d]:.4e}" for d in rows],
            "autograd ‖∂L/∂h_t‖": [f"{rnn_flow.hidden_norm[-1 - d]:.4e}" for d in rows],
        },
        hide_index=True,
        key="rvl_formula_table",
    )
with right:
    survival = gradients.forget_products(lstm_trace.layers[0].forget_gate)
    top = gradients.top_memory_units(lstm_trace.layers[0].forget_gate, k=5)
    st.plotly_chart(comparison.forget_product_lines(survival, top, lstm_trace.tokens), key="rvl_forget_chart")
    st.caption(
        "Units whose forget gate stays near 1 carry c₀ to the query almost untouched: "
        + ", ".join(f"unit {u}: {survival[0, u]:.3f}" for u in top)
    )

# --- 3. step through both ------------------------------------------------------------------------
st.header("3 · The same string through both models")


def _stepped_heatmap(trace, quantity: str, step: int, key: str) -> None:
    """One model's ``quantity`` over the string with ``step`` marked (no click markers: the page reads no clicks)."""
    values = trace.layers[0].quantity(quantity)
    st.plotly_chart(
        heatmaps.quantity_heatmap(values, trace.tokens, quantity, step=step, height=360, clickable=False), key=key
    )


@st.fragment
def both_models_side_by_side() -> None:
    """The step slider and the three heatmaps; moving the step reruns only this part of the page."""
    if st.session_state.get("rvl_step", 0) > len(text) - 1:  # a shorter string than before
        st.session_state["rvl_step"] = len(text) - 1
    step = st.slider("Step", 0, len(text) - 1, key="rvl_step")
    st.caption(f"Step {step}: {text[step]!r}")
    left, right = st.columns(2)
    with left:
        st.subheader("LSTM")
        _stepped_heatmap(lstm_trace, "hidden", step, "rvl_lstm_hidden")
        gate = st.selectbox(
            "LSTM quantity",
            ["forget_gate", "input_gate", "output_gate", "candidate", "cell"],
            key="rvl_gate",
            format_func=lambda n: cell.title(n),
        )
        _stepped_heatmap(lstm_trace, gate, step, "rvl_lstm_gate")
    with right:
        st.subheader("Vanilla RNN")
        _stepped_heatmap(rnn_trace, "hidden", step, "rvl_rnn_hidden")
        st.caption("A vanilla RNN has no gates: all it has is h, rewritten at every step.")


both_models_side_by_side()


# --- 4. brackets ---------------------------------------------------------------------------------
st.header("4 · A counting cell: bracket depth")
if BRACKETS not in available:
    st.info(
        "The brackets-lstm model is not installed; train it with `python -m lstm_viz train --preset brackets-lstm`."
    )
else:
    brackets = cache.load_model(BRACKETS)
    bracket_task = tasks.BracketsTask(tokenizer=brackets.tokenizer)
    unit, r = counting_unit(BRACKETS)
    b_seed = st.number_input("Bracket string number", 0, 10_000, 1, key="rvl_bracket_seed")
    b_typed = st.text_input(
        "…or type brackets and letters a-e", key="rvl_bracket_text", max_chars=MAX_TEXT, placeholder="a(b(c)d)e"
    )
    b_text = b_typed.strip() or bracket_task.example(int(b_seed))
    b_trace = cache.get_trace(BRACKETS, b_text)
    widgets.unknown_note(b_trace)
    depth = np.array(tasks.bracket_depths(b_text))
    if depth.max() > bracket_task.max_depth:
        st.warning(f"This string nests deeper than {bracket_task.max_depth}, the most the model saw in training.")
    predicted = np.argmax(b_trace.probs, axis=1)
    cols = st.columns(3)
    cols[0].metric("Counting unit (found automatically)", f"unit {unit}")
    cols[1].metric("Correlation with depth (20 strings)", f"{r:+.3f}")
    cols[2].metric("Depth right on this string", f"{np.mean(predicted == depth):.0%}")
    st.plotly_chart(
        comparison.counter_vs_depth(b_trace.layers[0].cell[:, unit], depth, b_trace.tokens, unit, r),
        key="rvl_counter_chart",
    )

# --- 5. race -------------------------------------------------------------------------------------
st.header("5 · Train both now")
st.markdown(
    "Train a fresh LSTM and a fresh vanilla RNN of the same size, on the same strings (gaps 1 to 50), for the "
    "same number of steps, here on this machine; then test both up to N = 100. The shipped models stay as they are."
)
race_steps = st.number_input("Training steps for each model", 10, 3000, 1000, step=50, key="rvl_race_steps")
if st.button("Train both now", type="primary", key="rvl_race", icon=":material/sprint:"):
    bar = st.progress(0.0, text="Starting…")

    def on_event(cell: str, event: str, info: dict) -> None:
        if event == "step":
            bar.progress(
                min(info["overall"], 1.0), text=f"{cell.upper()}: step {info['step']} · loss {info['loss']:.3f}"
            )

    with tempfile.TemporaryDirectory(prefix="lstm-viz-race-") as out:  # only the cards are kept
        results = tasks.train_memory_pair(out, steps=int(race_steps), callback=on_event)
    bar.progress(1.0, text="Done.")
    st.session_state["rvl_race_result"] = {
        "steps": int(race_steps),
        "accuracy": {
            f"new {cell.upper()}": {int(g): a for g, a in res["card"]["metrics"]["accuracy_by_gap"].items()}
            for cell, res in results.items()
        },
        "loss": {f"new {cell.upper()}": (res["steps"], res["loss"]) for cell, res in results.items()},
        "seconds": {cell: res["card"]["training"]["seconds"] for cell, res in results.items()},
    }
race = st.session_state.get("rvl_race_result")
if race:
    st.success(
        f"Trained for {race['steps']} steps each: LSTM in {race['seconds']['lstm']:.0f} s, "
        f"RNN in {race['seconds']['rnn']:.0f} s."
    )
    left, right = st.columns(2)
    left.plotly_chart(comparison.accuracy_vs_gap(race["accuracy"], chance=chance), key="rvl_race_accuracy")
    left.caption("Accuracy from each run's final evaluation: 100 fixed-seed strings at each gap.")
    right.plotly_chart(comparison.loss_race(race["loss"], chance_loss=float(-np.log(chance))), key="rvl_race_loss")
