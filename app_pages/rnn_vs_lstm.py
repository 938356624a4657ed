"""RNN versus LSTM, told with measurements: long gaps are hard to learn, and the gradient at the start says why.

Six shipped models (LSTM, vanilla RNN and GRU, each trained on mostly long and on many short gaps,
same size, optimiser and budget) measured on fresh strings; their training curves; the gradient of
the untrained models against distance (the product formula of "Applying LSTM to Text Generation"
next to autograd, the LSTM's cell path); one string through two models; the brackets model's
counting unit; and a live race that trains them again on this server (through the job manager).
Each of the five is a tab, and only the open one runs.
"""

import secrets
import tempfile

import numpy as np
import streamlit as st

from lstm_viz.analysis import counting, gradients, memory
from lstm_viz.data import tasks
from lstm_viz.engine import cell
from lstm_viz.plots import base, comparison, heatmaps, strips
from lstm_viz.training import jobs
from lstm_viz.ui import cache, display, pages, state

BRACKETS = "brackets-lstm"
MAX_TEXT = 400  # characters of a typed memory string; longer strings are refused with a message
POLL_SECONDS = 1.0

st.title("RNN versus LSTM")
available = cache.model_names(("sequence",))
missing = [name for name in memory.MODELS if name not in available]
if missing:
    st.error(f"Shipped models missing: {', '.join(missing)}. Train each with `python -m lstm_viz train --preset NAME`.")
    st.stop()
models = {name: cache.load_model(name) for name in memory.MODELS}
size = memory.shared_size([model.card for model in models.values()])
kinds = ", ".join(cell.KINDS[kind].title for kind in memory.REGIMES[0].models)
st.markdown(
    "Each model reads a letter (**A**-**D**), then **N** random digits, then **?**, and must answer the first "
    f"letter. All {len(models)} models have the same "
    + (f"size ({size} units), " if size else "")
    + f"optimiser and number of training steps; they differ in the cell ({kinds}) and in how long the gaps they "
    "were trained on were."
)
long_models = memory.REGIMES[0].models  # the models trained on long gaps, by cell kind
lstm_model = models[long_models["lstm"]]
chance = memory.chance(lstm_model)
task = memory.task(lstm_model)


def who_learns() -> None:
    """1: every model's accuracy at every gap on fresh strings, and how its training went."""
    st.subheader("Who learns to remember the first letter?")
    seed = st.session_state.setdefault("rvl_seed", memory.SAMPLE_SEED)  # the lesson's sample until asked for another
    controls = st.columns([2, 1.5, 2.5], vertical_alignment="bottom")
    per_gap = controls[0].select_slider(
        "Strings per gap", [50, 100, 200, 500, 1000], value=memory.SAMPLE_PER_GAP, key="rvl_per_gap", **state.IN_TAB
    )
    if controls[1].button("New strings", key="rvl_resample", icon=":material/casino:"):
        st.session_state["rvl_seed"] = seed = secrets.randbelow(2**31)
    low, high = memory.guessing_range(per_gap, chance)
    controls[2].caption(
        f"{per_gap} fresh strings at each gap, drawn with seed {seed}, the same for every model"
        + (" (the sample the lesson states)" if (seed, per_gap) == (memory.SAMPLE_SEED, memory.SAMPLE_PER_GAP) else "")
        + f". Guessing scores {low:.0%}-{high:.0%} {1 - memory.SIGNIFICANCE:.0%} of the time on {per_gap} strings: "
        f"a gap is above chance when the binomial test against guessing gives p < {memory.SIGNIFICANCE}."
    )
    measured = {}
    for column, regime in zip(st.columns(2), memory.REGIMES, strict=True):
        by_kind = {kind: cache.memory_accuracy(name, seed, per_gap) for kind, name in regime.models.items()}
        measured[regime.key] = by_kind
        with column:
            st.subheader(regime.title.capitalize())
            display.chart(
                cache.titled_figure(comparison.accuracy_vs_gap, memory.legend(by_kind), chance=chance),
                key=f"rvl_accuracy_{regime.key}",
            )
            for kind in regime.models:
                st.markdown("- " + memory.describe(kind, by_kind[kind], chance, regime, per_gap))
    with st.container(horizontal=True, wrap=True, gap="medium"):  # wraps on a narrow screen rather than cutting
        for key, kind, gap in (("long", "lstm", 100), ("long", "rnn", 5), ("short", "rnn", 5), ("short", "rnn", 100)):
            label = f"{cell.KINDS[kind].short} at N = {gap} ({memory.regime(key).label})"
            st.metric(label, f"{measured[key][kind][gap]:.0%}", width=210)
    found = memory.lesson(measured, chance, per_gap)
    if found:
        st.info(found, icon=":material/lightbulb:")

    st.subheader("How training went")
    for column, regime in zip(st.columns(2), memory.REGIMES, strict=True):
        curves = memory.legend({kind: memory.training_curve(models[name].card) for kind, name in regime.models.items()})
        with column:
            st.caption(
                regime.title.capitalize()
                + ": held-out accuracy at each evaluation of the training run (from the cards)"
            )
            display.chart(
                cache.titled_figure(comparison.training_progress, curves, chance=chance), key=f"rvl_curves_{regime.key}"
            )
            started = {n: memory.first_learned(s, a, chance) for n, (s, a) in curves.items()}
            st.markdown(
                " · ".join(
                    f"{n}: " + (f"well above chance from step {v:,}" if v else "never well above chance")
                    for n, v in started.items()
                )
            )


def memory_string(with_training_toggle: bool = False) -> tuple[str, bool]:
    """The string of tabs 2 and 3 (a generated one, or the reader's): its controls, drawn in the open tab (only one
    runs, so the same keys serve both) and kept while the other tab is open. Returns (string, after training)."""
    c1, c2, c3, c4 = st.columns([1, 1, 1.5, 1.5])
    gap = c1.slider("Gap N", 1, 150, 100, key="rvl_gap", **state.IN_TAB)
    example_seed = c2.number_input("String number", 0, 10_000, 0, key="rvl_example", **state.IN_TAB)
    generated, _ = task.example(int(gap), seed=int(example_seed))
    typed = c3.text_input(
        "…or type your own (a letter A-D, digits, then ?)",
        key="rvl_text",
        max_chars=MAX_TEXT,
        placeholder=generated,
        **state.IN_TAB,
    )
    trained = with_training_toggle and c4.toggle(
        "After training", key="rvl_trained", help="Off: the models as they were before training.", **state.IN_TAB
    )
    text = generated
    if typed.strip():
        if task.answer(typed.strip()) is None:
            st.warning(
                f"{state.short(typed.strip(), 60)!r} is not a memory string: it must start with one of A, B, C, D, "
                "continue with digits 0-9 only and end with '?'. Showing the generated string instead.",
                icon="✍️",
            )
        else:
            text = typed.strip()
    return text, bool(trained)


def why() -> None:
    """2: the gradient at the start of training, by formula and by autograd."""
    st.subheader("Why: the error signal at the start of training")
    st.markdown(
        "To learn the task, the error at the query must reach the first letter. In a vanilla RNN, "
        "$h_k = \\tanh(W x_k + V h_{k-1} + b)$, so it arrives multiplied by one factor per step in between "
        "(Leroux, Laliberté and Frédéric Boileau, *Applying LSTM to Text Generation*):"
    )
    st.latex(  # two lines, so that it fits a projector's width
        r"\begin{aligned}&\text{RNN:} && \frac{\partial L}{\partial h_t} = \Big(\prod_{k=t+1}^{T} V^\top"
        r" \operatorname{diag}(1-h_k^2)\Big) \frac{\partial L}{\partial h_T}\\"
        r"&\text{LSTM cell path:} && \frac{\partial c_T}{\partial c_t} = \prod_{k=t+1}^{T} f_k\end{aligned}"
    )

    text, trained = memory_string(with_training_toggle=True)
    answer = task.answer(text)
    st.html(strips.token_strip_html(list(text), current=0, font_px=18))
    flows = {kind: cache.start_gradient(name, text, trained) for kind, name in long_models.items()}
    when = "after training" if trained else "before training (the weights the run started from)"
    norms = {
        "LSTM ‖∂L/∂h_t‖": flows["lstm"].hidden,
        "LSTM ‖∂L/∂c_t‖": flows["lstm"].cell_state,
        "GRU ‖∂L/∂h_t‖": flows["gru"].hidden,
        "RNN ‖∂L/∂h_t‖": flows["rnn"].hidden,
    }
    st.plotly_chart(cache.figure(comparison.gradient_vs_distance, norms), key="rvl_gradient_chart")
    st.markdown(
        f"The answer, and the share of the error at the query that reaches h₀, ‖∂L/∂h₀‖ / ‖∂L/∂h_{len(text) - 1}‖:"
    )
    cols = st.columns(4)
    cols[0].metric("Answer", answer)
    for col, (kind, flow) in zip(cols[1:], flows.items(), strict=True):
        col.metric(cell.KINDS[kind].short, f"{flow.reach():.1e}")
    lstm_flow = flows["lstm"]
    st.markdown(
        f"Measured {when}, on this string of {len(text)} characters: the share of the error at the query that reaches "
        f"the first letter's hidden state is **{flows['rnn'].reach():.1e}** for the RNN, **{lstm_flow.reach():.1e}** "
        f"for the LSTM's h and **{gradients.gradient_ratio(lstm_flow.cell_state):.1e}** for the LSTM's cell state; "
        f"the LSTM's best cell path keeps **{lstm_flow.forget_product[0]:.1e}** of c₀ (∏ f): "
        + memory.reach_words({"the RNN's": flows["rnn"].reach(), "the LSTM's": lstm_flow.reach()})
        + "."
    )
    before, after = (cache.start_gradient(long_models["lstm"], text, t).forget_product[0] for t in (False, True))
    st.markdown(
        "Why the LSTM's **h** gradient is tiny too: the letter is written into the cell c by the input gate, and it "
        "is c, not h, that carries it to the query. h₀ only nudges later gates, so little error flows back to it; the "
        "error that matters travels along c, multiplied only by the forget gates. On this string the best cell path "
        f"keeps **{before:.1e}** of c₀ before training and **{after:.2f}** after: {memory.path_words(before, after)}."
    )
    left, right = st.columns(2)
    with left:
        formula, measured_norms = cache.formula_check(long_models["rnn"], text, trained)
        display.chart(
            cache.titled_figure(comparison.formula_vs_measured, formula, measured_norms), key="rvl_formula_chart"
        )
        rows = [d for d in (1, 5, 10, 20, 50, 100, 150) if d < len(text)]
        st.dataframe(
            {
                "δ": rows,
                "formula ‖∏ Vᵀ diag(1−h²) e‖": [f"{formula[-1 - d]:.4e}" for d in rows],
                "autograd ‖∂L/∂h_t‖": [f"{measured_norms[-1 - d]:.4e}" for d in rows],
            },
            hide_index=True,
            key="rvl_formula_table",
        )
    with right:
        survival, top, tokens = memory.forget_survival(models[long_models["lstm"]], text, trained)
        display.chart(
            cache.titled_figure(comparison.forget_product_lines, survival, top, tokens), key="rvl_forget_chart"
        )
        st.caption(
            "The LSTM units whose forget gates keep most of c₀ to the query: "
            + ", ".join(f"unit {u}: {survival[0, u]:.2e}" for u in top)
        )


@st.fragment
def both_models_side_by_side(text: str, lstm_trained, rnn_trained) -> None:
    """The step slider and the heatmaps; moving the step reruns only this part of the page."""
    if st.session_state.get("rvl_step", 0) > len(text) - 1:  # a shorter string than before
        st.session_state["rvl_step"] = len(text) - 1
    step = st.slider("Step", 0, len(text) - 1, key="rvl_step", **state.IN_TAB)
    st.caption(f"Step {step}: {text[step]!r}")
    left, right = st.columns(2)
    with left:
        st.subheader("LSTM")
        gate = st.selectbox("LSTM quantity", cell.QUANTITIES, key="rvl_gate", format_func=cell.title, **state.IN_TAB)
        values = lstm_trained.layers[0].quantity(gate)
        fig = cache.figure(
            heatmaps.quantity_heatmap,
            values,
            lstm_trained.tokens,
            gate,
            step=step,
            height=360,
            clickable=False,
            width_px=base.HALF_PX,
        )
        st.plotly_chart(fig, key="rvl_lstm_gate")
    with right:
        st.subheader("Vanilla RNN")
        values = rnn_trained.layers[0].hidden
        fig = cache.figure(
            heatmaps.quantity_heatmap,
            values,
            rnn_trained.tokens,
            "hidden",
            step=step,
            height=360,
            clickable=False,
            width_px=base.HALF_PX,
        )
        st.plotly_chart(fig, key="rvl_rnn_hidden")
        st.caption("A vanilla RNN has no gates and no cell: all it has is h, rewritten at every step.")


def both_models() -> None:
    """3: one string through the trained LSTM and RNN, step by step."""
    st.subheader("The same string through the trained LSTM and RNN")
    text, _ = memory_string()
    lstm_trained, rnn_trained = cache.get_trace(long_models["lstm"], text), cache.get_trace(long_models["rnn"], text)
    cols = st.columns(2)
    for col, (kind, tr) in zip(cols, (("lstm", lstm_trained), ("rnn", rnn_trained)), strict=True):
        guess, sure = memory.verdict(tr)
        col.metric(f"{cell.KINDS[kind].short} says", guess, f"{sure:.0%} sure", delta_color="off")

    both_models_side_by_side(text, lstm_trained, rnn_trained)


def counting_cell() -> None:
    """4: the brackets model's counting unit, and its forget gate shut."""
    st.subheader("A counting cell: bracket depth")
    if BRACKETS not in available:
        st.info(
            "The brackets-lstm model is not installed; train it with `python -m lstm_viz train --preset brackets-lstm`."
        )
    else:
        brackets = cache.load_model(BRACKETS)
        bracket_task = tasks.BracketsTask(tokenizer=brackets.tokenizer)
        found = cache.counting_units(BRACKETS)
        unit, r = found.unit, found.r
        b_seed = st.number_input("Bracket string number", 0, 10_000, 1, key="rvl_bracket_seed", **state.IN_TAB)
        b_typed = st.text_input(
            "…or type brackets and letters a-e",
            key="rvl_bracket_text",
            max_chars=MAX_TEXT,
            placeholder="a(b(c)d)e",
            **state.IN_TAB,
        )
        b_text = b_typed.strip() or bracket_task.example(int(b_seed))
        b_trace = cache.get_trace(BRACKETS, b_text)
        display.unknown_note(b_trace)
        depth = np.array(tasks.bracket_depths(b_text))
        if depth.max() > bracket_task.max_depth:
            st.warning(f"This string nests deeper than {bracket_task.max_depth}, the most the model saw in training.")
        predicted = np.argmax(b_trace.probs, axis=1)
        cols = st.columns(3)
        cols[0].metric(
            "Counting unit", f"unit {unit}", help="Found automatically: the unit whose cell follows the depth best."
        )
        cols[1].metric(
            "Correlation with depth",
            f"{r:+.3f}",
            help=f"r of its cell state with the true depth, {found.strings} strings.",
        )
        cols[2].metric("Depth right on this string", f"{np.mean(predicted == depth):.0%}")
        st.plotly_chart(
            cache.figure(comparison.counter_vs_depth, b_trace.layers[0].cell[:, unit], depth, b_trace.tokens, unit, r),
            key="rvl_counter_chart",
        )
        if r < 0:
            st.caption(
                f"Unit {unit}'s cell state falls as the depth rises, so it is drawn as −c: the two lines rise together."
            )
        others = ", ".join(f"{u} ({r_:+.3f})" for u, r_ in found.counting[1:])
        if others:
            st.caption(
                f"Not the only one: over the same {found.strings} strings, units {others} follow the depth with "
                f"|r| ≥ {counting.COUNTING_R} too. The Neuron Lab names the same units."
            )
        st.subheader(f"Close unit {unit}'s forget gate")
        effect = cache.clamp_effect(BRACKETS, unit)
        st.markdown(
            f"The string of those {found.strings} where holding its forget gate at 0 on every step costs most "
            f"(depth up to {effect.example_deepest}):"
        )
        st.code(effect.example, language=None, wrap_lines=True)
        cols = st.columns(2)
        cols[0].metric("Depth right as trained", f"{effect.example_before:.0%}")
        cols[1].metric(
            "With the forget gate shut",
            f"{effect.example_after:.0%}",
            f"{100 * (effect.example_after - effect.example_before):+.0f} points",
        )
        st.markdown(counting.describe_clamp(effect, found))


def race_panel(race_id: str) -> None:
    """The race's progress while it runs, then each new model's accuracy by gap and its loss curve."""
    race = jobs.manager().get(race_id)
    if race is None:
        return
    snap = race.snapshot()
    steps, kind = st.session_state.get("rvl_race_settings", (0, ""))
    if snap.active:
        where = f"step {snap.step:,} of {snap.total_steps or 0:,}"
        st.progress(min(snap.progress, 1.0), text=f"Training {snap.name.removeprefix('race-').upper()} · {where}")
        return
    if st.session_state.get("rvl_race_seen") != id(race):
        st.session_state["rvl_race_seen"] = id(race)
        st.rerun()  # one full run: the finished charts, no more polling
    if snap.status == "failed":
        st.error(f"The race failed: {snap.error}", icon="💥")
        return
    done = {run["name"].removeprefix("race-").upper(): run for run in snap.finished}
    seconds = ", ".join(f"{name} in {run['card']['training']['seconds']:.0f} s" for name, run in done.items())
    st.success(f"Trained for {steps} steps each on {kind} gaps: {seconds}.")
    left, right = st.columns(2)
    acc = {name: memory.final_accuracy(run["card"]) for name, run in done.items()}
    display.chart(comparison.accuracy_vs_gap(acc, chance=chance), key="rvl_race_accuracy", where=left)
    left.caption("Accuracy from each run's final test: 100 fixed-seed strings at each gap.")
    losses = {name: ([s for s, _ in run["losses"]], [v for _, v in run["losses"]]) for name, run in done.items()}
    display.chart(
        comparison.loss_race(losses, chance_loss=memory.chance_loss(chance)), key="rvl_race_loss", where=right
    )


def train_them_now() -> None:
    """5: a live race: fresh models trained on this server through the job manager, then tested at every gap."""
    st.subheader("Train them now")
    st.markdown(
        "Train fresh models of the same size on this server, on the gaps you choose, for the same number of steps; "
        "then test them at every gap. The shipped models stay as they are."
    )
    manager = jobs.manager()
    race_id = st.session_state.setdefault("rvl_race_session", "race-" + secrets.token_hex(16))
    cols = st.columns([2, 2, 3], vertical_alignment="bottom")
    race_steps = cols[0].number_input(
        "Training steps for each model", 10, 3000, 1000, step=50, key="rvl_race_steps", **state.IN_TAB
    )
    gaps_kind = cols[1].radio(
        "Training gaps", [r.label for r in memory.REGIMES], key="rvl_race_gaps", horizontal=True, **state.IN_TAB
    )
    race_cells = cols[2].multiselect(
        "Cells",
        list(long_models),
        default=["lstm", "rnn"],
        format_func=lambda k: cell.KINDS[k].title,
        key="rvl_race_cells",
        **state.IN_TAB,
    )
    job = manager.get(race_id)
    busy = job is not None and job.snapshot().active
    if st.button(
        "Train them now", type="primary", key="rvl_race", icon=":material/sprint:", disabled=busy or not race_cells
    ):
        root = tempfile.mkdtemp(prefix="lstm-viz-race-")
        log_gaps = next(r.log_gaps for r in memory.REGIMES if r.label == gaps_kind)
        runs = memory.race_runs(race_cells, log_gaps, int(race_steps), root)
        try:
            manager.start(race_id, runs[0][0], out_dir=runs[0][1], then=runs[1:], discard=True, scratch=root)
            st.session_state["rvl_race_settings"] = (int(race_steps), gaps_kind)
        except jobs.BusyError as err:
            st.warning(f"Busy, try again: {err}.", icon="⏳")
        except ValueError as err:
            st.error(str(err), icon="🚫")
        st.rerun()
    st.fragment(race_panel, run_every=POLL_SECONDS if busy else None)(race_id)


# Lazy tabs: only the open section computes and draws (its ten charts at once were most of a page switch's time
# in the browser). The open tab is st.session_state["rvl_tab"]; the sections keep their numbers.
SECTIONS = (who_learns, why, both_models, counting_cell, train_them_now)  # in pages.TABS["rvl_tab"]'s order
for tab, draw in zip(st.tabs(pages.TABS["rvl_tab"], key="rvl_tab", on_change="rerun"), SECTIONS, strict=True):
    if tab.open:
        with tab:
            draw()
