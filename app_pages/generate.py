"""Generate: let a language model write, see how sure it was of each token, step through it, autocomplete."""

import time

import numpy as np
import streamlit as st

from lstm_viz.analysis import expectation
from lstm_viz.engine.trace import Trace
from lstm_viz.generation import autocomplete
from lstm_viz.generation.generate import MAX_GENERATE, MAX_PRIME, SEED_MAX, GenerationStream, as_written
from lstm_viz.plots import generation, strips
from lstm_viz.plots.html import visible
from lstm_viz.ui import cache, cards, display, pages, picker, sharing, state

COMPARE_TEMPERATURES = [0.2, 0.5, 0.8, 1.0, 1.2, 1.5, 2.0]
COLOUR_BY = {
    "sampled": "the distribution it was drawn from (after temperature and top-k)",
    "model": "the model's own probability (temperature 1)",
}

name, model = picker.model_page(
    "Generate",
    "A language model writes one token (a character, or a word) at a time: it reads the prime, turns its output "
    "into a probability for every token, picks one, reads it, and goes on. Each written token is coloured by the "
    "probability the model gave it.",
    tasks=["charlm"],
    key="gen_model",
    label="Language model",
)
unit_word = "word" if model.tokenizer.kind == "word" else "character"
per = "word" if unit_word == "word" else "char"  # loss units: nats per character or per word
style = None
linked_style = state.from_link("gen_style")
if model.styles:
    asked = st.session_state.get("gen_style")
    if asked not in model.styles:
        if asked is not None and linked_style:
            state.notice(
                f"{name} has no style {state.short(str(asked), 40)!r}; it writes as {', '.join(model.styles)}. "
                f"Showing {model.styles[0]}."
            )
        st.session_state["gen_style"] = model.styles[0]
    style = st.selectbox(
        "Write in the style of", model.styles, key="gen_style", help="The model reads this style's symbol first."
    )
    cards.style_check(model.card)
else:
    st.session_state["gen_style"] = None  # a model without styles: no style in its link
    cards.style_check(model.card)  # a generator of one author's book: the same check, for its author
state.clamp("gen_top_k", len(model.labels) + 1, f"this model knows {len(model.labels)} tokens")
state.show_notices()


def _write(stream: GenerationStream, box, progress) -> None:
    """Show the text in ``box`` as the model writes it, in batches of 50 ms, moving the progress bar.

    Each batch replaces the box's plain text (no markdown, no typewriter effect): what is on screen is
    always what the model has written so far.
    """
    written, last = stream.prime, time.monotonic()
    box.code(written, language=None, wrap_lines=True)
    for i, piece in enumerate(stream, 1):
        written += piece
        if time.monotonic() - last > 0.05 or i == len(stream):
            box.code(written, language=None, wrap_lines=True)
            progress.progress(i / len(stream), text=f"Writing… {i:,} of {len(stream):,} tokens")
            last = time.monotonic()


def _show_coloured(gen, colour_by: str, legend: bool = True) -> None:
    values = expectation.generated_probs_per_token(gen, sampled=colour_by == "sampled")
    if legend:
        st.html(generation.colour_legend_html("probability", unit_word))
    st.html(generation.coloured_text_html(as_written(gen.trace.tokens, gen.trace.spans), values))


def _open_buttons(text: str, prefix: str, step: int) -> None:
    """Buttons that open ``text`` at ``step`` in Step Through and the Gate Heatmaps."""
    row = st.container(horizontal=True)  # each button as wide as its label: never cut on a projector
    if row.button("Step through this", key=f"{prefix}_open_step", icon=":material/footprint:", type="primary"):
        state.open_in(pages.STEP_THROUGH, name, text, step)
    if row.button("Gate heatmaps", key=f"{prefix}_open_heatmaps", icon=":material/grid_on:"):
        state.open_in(pages.HEATMAPS, name, text, step)


sharing.share_box("generate")


def write() -> None:
    prime = st.text_area("Prime: the text the model reads first", key="gen_prime", max_chars=MAX_PRIME, **state.KEEP)
    cols = st.columns([2, 3, 2, 2], vertical_alignment="bottom")
    actions = st.columns([1, 3], vertical_alignment="center")  # drawn below the settings: Generate, greedy
    length = cols[0].number_input(f"Length ({unit_word}s)", 1, MAX_GENERATE, step=50, key="gen_length", **state.KEEP)
    greedy = actions[1].toggle(
        "Greedy: always the most likely",
        key="gen_greedy",
        **state.IN_TAB,
        help=f"Always take the most likely {unit_word} (argmax).",
    )
    temperature = cols[1].slider(
        "Temperature",
        0.1,
        2.0,
        step=0.05,
        key="gen_temperature",
        disabled=greedy,
        help="Divides the model's scores before the softmax: below 1 safer and more repetitive, above 1 wilder.",
        **state.KEEP,
    )
    top_k = cols[2].number_input(
        "Top-k (0 = all)",
        0,
        len(model.labels),
        key="gen_top_k",
        help="Sample only among the k most likely.",
        **state.KEEP,
    )
    seed = cols[3].number_input(
        "Seed", 0, SEED_MAX, key="gen_seed", disabled=greedy, help="Same seed, same text.", **state.KEEP
    )
    if actions[0].button("Generate", key="gen_go", type="primary", icon=":material/edit_note:"):
        try:
            t = 1.0 if greedy else temperature  # greedy: report the model's own probabilities
            stream = GenerationStream(model, prime, int(length), t, int(top_k) or None, greedy, int(seed), style)
        except ValueError as err:
            st.warning(f"Cannot generate: {err}.", icon=":material/warning:")
        else:
            progress = st.progress(0.0, text="Reading the prime…")
            box = st.empty()
            _write(stream, box, progress)
            progress.empty()
            box.empty()
            st.session_state["gen_result"] = (name, stream.result)
            st.session_state["gen_exp_source"] = "the generated text"  # explain what was just written

    gen = last_written()
    if gen is None:
        st.info("Set a prime and press **Generate**: the text appears as the model writes it.", icon=":material/edit:")
    else:
        display.unknown_note(gen.trace)
        settings = "greedy (argmax)" if gen.greedy else f"temperature {gen.temperature:g}, seed {gen.seed}"
        m = st.columns(3)
        m[0].metric(f"{unit_word.capitalize()}s written", f"{len(gen.chosen_probs):,}")
        m[1].metric(
            "Mean p of a choice",
            f"{float(np.mean(gen.chosen_probs)):.1%}",
            help=f"The mean probability the model gave each {unit_word} it chose.",
        )
        m[2].metric(
            f"Loss (nats/{per})",
            f"{expectation.nats_per_char(expectation.generated_probs(gen, sampled=False)):.3f}",
            help=f"The model's loss on what it wrote: the mean −ln p of each written {unit_word}.",
        )
        st.caption(f"Written with {settings}" + (f", top-{gen.top_k}" if gen.top_k else "") + ".")
        colour_by = st.radio(
            f"Colour each written {unit_word} by",
            list(COLOUR_BY),
            format_func=COLOUR_BY.get,
            key="gen_colour_by",
            **state.IN_TAB,
        )
        _show_coloured(gen, colour_by)
        _open_buttons(gen.text, "gen", step=gen.prime_length)  # at the first character it wrote
        st.download_button("Download the text", gen.text, file_name=f"{name}-generated.txt", key="gen_download")


def last_written():
    """The text this session last wrote with this model (its Generation), or None."""
    stored = st.session_state.get("gen_result")
    return stored[1] if stored and stored[0] == name else None


def compare() -> None:
    st.caption(
        "The same prime and seed at different temperatures: low temperatures pick safe, common characters "
        "(and repeat themselves), high ones take risks (and misspell)."
    )
    cols = st.columns([3, 1], vertical_alignment="bottom")
    temps = cols[0].multiselect(
        "Temperatures (two or three)",
        COMPARE_TEMPERATURES,
        default=[0.5, 1.0, 1.5],
        max_selections=3,
        key="gen_cmp_temps",
        **state.IN_TAB,
    )
    cmp_length = cols[1].number_input("Length", 1, 600, 200, step=50, key="gen_cmp_length", **state.IN_TAB)
    # the Write tab's settings, kept while another tab is open (their widgets keep their values for the session)
    prime, seed = st.session_state.get("gen_prime") or "", int(st.session_state.get("gen_seed") or 0)
    top_k = int(st.session_state.get("gen_top_k") or 0)
    st.caption(f"Prime and seed come from the **Write** tab: {prime[:40]!r}…, seed {seed}.")
    if st.button("Compare", key="gen_cmp_go", disabled=len(temps) < 2, icon=":material/compare:"):
        try:
            results = [
                model.generate(
                    prime, int(cmp_length), temperature=t, top_k=int(top_k) or None, seed=int(seed), style=style
                )
                for t in temps
            ]
            st.session_state["gen_compare"] = (name, results)
        except ValueError as err:
            st.warning(f"Cannot generate: {err}.", icon=":material/warning:")
    if len(temps) < 2:
        st.info("Pick two or three temperatures to compare.", icon=":material/tune:")
    stored = st.session_state.get("gen_compare")
    if stored and stored[0] == name:
        st.html(generation.colour_legend_html("probability", unit_word))
        for col, result in zip(st.columns(len(stored[1])), stored[1], strict=True):
            with col:
                st.subheader(f"Temperature {result.temperature:g}")
                loss = expectation.nats_per_char(expectation.generated_probs(result, sampled=False))
                st.caption(
                    f"mean probability of the chosen {unit_word} {np.mean(result.chosen_probs):.1%}; "
                    f"model's loss on it {loss:.3f} nats/{per}"
                )
                _show_coloured(result, "sampled", legend=False)


def _expected_view(trace: Trace) -> None:
    """Surprise colouring, mean loss, and the top-10 and gates at a chosen step of ``trace``."""
    exp = expectation.expectation(trace)
    worst = int(np.argmax(exp.surprise))
    m = st.columns(4)
    m[0].metric(f"Mean loss (nats/{per})", f"{exp.mean_nats:.3f}")
    m[1].metric(f"Bits per {unit_word}", f"{exp.bits_per_char:.3f}")
    m[2].metric("Perplexity", f"{exp.perplexity:.2f}", help="e^loss: as unsure as a fair choice among this many")
    m[3].metric(f"Most surprising: step {worst + 1}", visible(trace.tokens[worst + 1]))
    step = st.slider(
        f"Step: the model has read the text up to here and predicts the next {unit_word}",
        0,
        len(trace) - 2,
        min(worst, len(trace) - 2),
        key="gen_exp_step",
        **state.IN_TAB,
    )
    st.html(generation.colour_legend_html("surprise", unit_word))
    shown = as_written(trace.tokens, trace.spans)
    st.html(generation.coloured_text_html(shown, exp.per_token, "surprise", step + 1))
    st.plotly_chart(generation.surprise_bars(trace.tokens, exp.surprise, step, unit_word), key="gen_exp_bars")
    cand = expectation.top_candidates(trace, step, k=10)
    st.markdown(
        generation.candidates_sentence(
            trace.tokens, step, cand.actual, cand.actual_prob, cand.actual_rank, len(trace.output_labels), unit_word
        )
    )
    left, right = st.columns(2, gap="large")
    with left:
        st.html(strips.next_token_bars_html(trace.probs[step], trace.output_labels, actual=cand.actual))
    with right:
        layer_index = st.selectbox(
            "Layer",
            range(trace.num_layers),
            key="gen_exp_layer",
            **state.IN_TAB,
            format_func=lambda k: f"layer {k}",
            help=state.COUNTED,
        )
        quantities = trace.layers[layer_index].quantities()
        st.html(strips.gate_strip_html({q: v[step] for q, v in quantities.items()}))
        st.html(strips.strip_legend_html(trace.layers[layer_index].kind))
    _open_buttons("".join(trace.tokens), "gen_exp", step=step)


def expected() -> None:
    st.caption(
        "Teacher forcing: the model reads the real text, and at every step we look up the probability it "
        "gave to the character that actually came next. Surprise is −ln p; its mean is the loss in nats "
        "per character, the number training minimises."
    )
    gen = last_written()
    sources = (["the generated text"] if gen is not None else []) + ["my own text"]
    source = st.radio("Text", sources, key="gen_exp_source", **state.IN_TAB, horizontal=True)
    if source == "the generated text" and gen is not None:
        _expected_view(gen.trace)
    else:
        st.session_state.setdefault("gen_exp_text", state.DEFAULT_TEXT)
        text = st.text_area("Your text", key="gen_exp_text", height=120, **state.KEEP)
        if len(model.encode(text)) < 2:
            st.info("Type at least two characters: one to read and one to predict.", icon=":material/edit:")
        else:
            trace = cache.get_trace(name, text)
            if len(model.encode(text)) > cache.MAX_TOKENS:
                st.warning(f"Only the first {cache.MAX_TOKENS:,} characters are read.", icon=":material/content_cut:")
            display.unknown_note(trace)
            _expected_view(trace)


def complete() -> None:
    st.caption(
        f"Type, and see the model's most likely ways to finish the current {'words' if per == 'word' else 'word'}: "
        "a beam search keeps the best continuations at every step. Updated as you type."
    )
    cols = st.columns([5, 1, 1], vertical_alignment="bottom")
    typed = cols[0].text_input(
        "Start typing",
        key="gen_complete_text",
        **state.IN_TAB,
        live="150ms",
        placeholder="To be, or no",
        max_chars=autocomplete.MAX_TYPED,
    )
    width = cols[1].number_input("Beam width", 1, autocomplete.MAX_WIDTH, 5, key="gen_complete_width", **state.IN_TAB)
    count = cols[2].number_input("Words", 1, 5, 1 if per == "char" else 3, key="gen_complete_words", **state.IN_TAB)
    if typed:
        try:
            started = time.perf_counter()
            found = autocomplete.complete(model, typed, width=int(width), words=int(count))
            took = (time.perf_counter() - started) * 1000
        except ValueError as err:
            st.info(str(err), icon=":material/info:")
        else:
            st.html(strips.completion_bars_html(typed, found))
            st.caption(
                f"Found in {took:.0f} ms; each probability is the model's own, multiplied along the continuation."
            )


# Lazy tabs: only the open one runs and is drawn. Before, every tab's charts were drawn again with each piece of
# text the Write tab streamed, and the browser showed the first characters only when the writing was done.
DRAW = (write, compare, expected, complete)  # in pages.TABS["gen_tab"]'s order
for tab, draw in zip(st.tabs(pages.TABS["gen_tab"], key="gen_tab", on_change="rerun"), DRAW, strict=True):
    if tab.open:
        with tab:
            draw()
