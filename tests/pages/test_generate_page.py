"""AppTest for the Generate page: write, compare temperatures, what the model expected, step through.

Every number on the page is compared with the core API run independently (``zoo.load(...)
.generate`` with the same settings, ``trace`` of the same text).
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from lstm_viz.analysis import expectation
from lstm_viz.store import zoo
from lstm_viz.ui import pages
from tests.factory import open_app

CHAR = "shakespeare-char"


@pytest.fixture(scope="module")
def model():
    return zoo.load(CHAR)


def open_generate(tab: str = "Write", **session) -> AppTest:
    """The page with ``tab`` open (its tabs are lazy: only the open one runs)."""
    assert tab in pages.TABS["gen_tab"]
    return open_app("app_pages/generate.py", timeout=120, gen_tab=tab, **session)


def show(at: AppTest, tab: str) -> AppTest:
    at.session_state["gen_tab"] = tab
    return at.run()


def html_bodies(at: AppTest) -> list[str]:
    return [h.proto.body for h in at.get("html")]


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label))


def generate(at: AppTest, prime: str, length: int, temperature: float | None = None, seed: int | None = None):
    at.text_area(key="gen_prime").set_value(prime)
    at.number_input(key="gen_length").set_value(length)
    if temperature is not None:  # None: leave it (disabled when greedy)
        at.slider(key="gen_temperature").set_value(temperature)
    if seed is not None:
        at.number_input(key="gen_seed").set_value(seed)
    at.button(key="gen_go").click()
    return at.run()


def test_page_starts_with_a_prompt():
    at = open_generate()
    assert not at.exception, at.exception
    assert at.title[0].value == "Generate"
    assert any("press **Generate**" in i.value for i in at.info)
    assert [t.label for t in at.tabs] == ["Write", "Compare temperatures", "What the model expected", "Autocomplete"]


def test_generate_shows_the_models_text_coloured_and_steps_through_it(model):
    at = generate(open_generate(), "ROMEO:", 120, 0.5, 3)
    assert not at.exception, at.exception
    want = model.generate("ROMEO:", 120, temperature=0.5, seed=3)
    got = at.session_state["gen_result"][1]
    assert got.text == want.text
    assert metric(at, "Characters written") == "120"
    assert metric(at, "Mean p of a choice") == f"{float(np.mean(want.chosen_probs)):.1%}"
    loss = float(np.mean(-np.log(expectation.generated_probs(want, sampled=False))))
    assert metric(at, "Loss (nats/char)") == f"{loss:.3f}"
    coloured = next(b for b in html_bodies(at) if 'gen-text"' in b)
    assert coloured.count("<span") == len(want.text)
    assert f"p = {want.chosen_probs[5]:.4f}" in coloured
    assert any("probability the model gave the character" in b for b in html_bodies(at))
    assert not [m for m in at.metric if m.label.startswith("Mean loss")]  # the other tabs are not drawn
    # the expected view switches to the text just written and scores it
    show(at, "What the model expected")
    assert at.radio(key="gen_exp_source").value == "the generated text"
    assert metric(at, "Mean loss (nats/char)") == f"{expectation.expectation(want.trace).mean_nats:.3f}"

    show(at, "Write").button(key="gen_open_step").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Step Through"
    assert at.session_state["text"] == want.text and at.session_state["model"] == CHAR
    assert at.session_state["step"] == len("ROMEO:") == want.prime_length  # the first character it wrote
    assert f"step **{len('ROMEO:')}** of {len(want.text)}" in " ".join(m.value for m in at.markdown)


def test_colour_by_model_probability_and_heatmaps_link(model):
    at = generate(open_generate(), "JULIET:\n", 60, 1.5, 9)
    want = model.generate("JULIET:\n", 60, temperature=1.5, seed=9)
    at.radio(key="gen_colour_by").set_value("model").run()
    coloured = next(b for b in html_bodies(at) if 'gen-text"' in b)
    first = float(expectation.generated_probs(want, sampled=False)[0])
    assert f"p = {first:.4f}" in coloured and f"p = {want.chosen_probs[0]:.4f}" not in coloured
    at.button(key="gen_open_heatmaps").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Gate Heatmaps" and at.session_state["text"] == want.text


def test_greedy_writes_the_argmax_text(model):
    at = open_generate()
    at.toggle(key="gen_greedy").set_value(True).run()
    assert at.slider(key="gen_temperature").disabled
    at = generate(at, "KING:", 80)
    got = at.session_state["gen_result"][1]
    assert got.greedy and got.text == model.generate("KING:", 80, greedy=True).text
    assert any("greedy (argmax)" in c.value for c in at.caption)


@pytest.mark.parametrize(
    ("prime", "message"),
    [("", "the prime is empty"), ("Café 😀", None)],
)
def test_bad_primes_get_a_message(prime, message):
    at = generate(open_generate(), prime, 20, 1.0, 1)
    assert not at.exception, at.exception
    if message:
        assert any(message in w.value for w in at.warning)
        assert "gen_result" not in at.session_state
    else:  # unknown characters are written with a stand-in and reported
        note = " ".join(i.value for i in at.info)
        assert "2 unknown pieces" in note and "'é'" in note


def test_compare_temperatures_side_by_side(model):
    at = open_generate()
    at.text_area(key="gen_prime").set_value("HAMLET:\n").run()  # the prime is the Write tab's
    show(at, "Compare temperatures")
    at.multiselect(key="gen_cmp_temps").set_value([0.5, 1.0])
    at.number_input(key="gen_cmp_length").set_value(80)
    at.button(key="gen_cmp_go").click().run()
    assert not at.exception, at.exception
    results = at.session_state["gen_compare"][1]
    for result, t in zip(results, (0.5, 1.0), strict=True):
        assert result.text == model.generate("HAMLET:\n", 80, temperature=t, seed=1).text
    assert [s.value for s in at.subheader if s.value.startswith("Temperature")] == ["Temperature 0.5", "Temperature 1"]
    at.multiselect(key="gen_cmp_temps").set_value([0.5]).run()
    assert at.button(key="gen_cmp_go").disabled
    assert any("two or three temperatures" in i.value for i in at.info)


def test_what_the_model_expected_for_typed_text(model):
    text = "To be, or not to be, that is the question"
    at = open_generate("What the model expected")
    at.text_area(key="gen_exp_text").set_value(text).run()
    assert not at.exception, at.exception
    tr = model.trace(text)
    exp = expectation.expectation(tr)
    assert metric(at, "Mean loss (nats/char)") == f"{exp.mean_nats:.3f}"
    assert metric(at, "Bits per character") == f"{exp.bits_per_char:.3f}"
    at.slider(key="gen_exp_step").set_value(4).run()  # read "To be", predict the ","
    sentence = next(m.value for m in at.markdown if m.value.startswith("After reading 5 characters"))
    p = float(tr.probs[4, tr.token_ids[5]])
    assert f"probability **{p:.1%}**" in sentence
    rank = int((tr.probs[4] > tr.probs[4, tr.token_ids[5]]).sum()) + 1
    assert re.search(rf"rank {rank} of 65", sentence)
    surprise = next(b for b in html_bodies(at) if 'gen-text"' in b)
    assert f"{exp.surprise[4]:.2f} nats" in surprise and " cur" in surprise
    # the gate strip and top-10 bars of that step are there; the heatmaps open at that step
    assert any('gate-strip"' in b for b in html_bodies(at))
    bars = next(b for b in html_bodies(at) if 'next-bars"' in b)
    assert f"next &#39;,&#39;: p = {p:.4f}" in bars
    at.button(key="gen_exp_open_heatmaps").click().run()
    assert not at.exception and at.title[0].value == "Gate Heatmaps"
    assert at.session_state["text"] == text and at.session_state["step"] == 4
    at.switch_page("app_pages/generate.py").run()
    show(at, "What the model expected").text_area(key="gen_exp_text").set_value("T").run()
    assert not at.exception and any("at least two characters" in i.value for i in at.info)


def test_autocomplete_tab_shows_the_models_completions(model):
    from lstm_viz.generation.autocomplete import complete

    at = open_generate("Autocomplete")
    at.text_input(key="gen_complete_text").set_value("To be, or no").run()
    assert not at.exception, at.exception
    bars = next(b for b in html_bodies(at) if "Most likely continuations" in b)
    for found in complete(model, "To be, or no", width=5):
        assert f"p = {found.prob:.4f}" in bars
    at.number_input(key="gen_complete_width").set_value(11).run()  # beyond the limit: clamped by the widget
    assert not at.exception


def test_a_word_model_writes_from_the_default_prime_and_colours_every_word():
    at = open_generate()
    at.selectbox(key="gen_model").set_value("words-lm").run()
    assert not at.exception, at.exception
    at.number_input(key="gen_length").set_value(25)
    at.button(key="gen_go").click().run()
    assert not at.exception, at.exception
    got = at.session_state["gen_result"][1]
    want = zoo.load("words-lm").generate(at.session_state["gen_prime"], 25, temperature=0.8, seed=1)
    assert got.generated == want.generated
    assert metric(at, "Words written") == "25"
    coloured = next(b for b in html_bodies(at) if 'gen-text"' in b)
    assert coloured.count("<span") == len(want.trace)
    assert metric(at, "Loss (nats/word)")
    legends = " ".join(b for b in html_bodies(at) if "probability the model gave" in b)
    assert "probability the model gave the word" in legends and "the character" not in legends


def _param(at: AppTest, name: str):
    value = at.query_params.get(name)
    return value[0] if isinstance(value, list) else value


def test_the_chosen_style_travels_in_the_link():
    at = open_app("app_pages/generate.py", timeout=120, params={"model": "authors-lm", "style": "Melville"})
    assert not at.exception, at.exception
    assert at.selectbox(key="gen_style").value == "Melville"
    assert _param(at, "style") == "Melville"
    at.selectbox(key="gen_style").set_value("Whitman").run()
    assert _param(at, "style") == "Whitman"
    at.selectbox(key="gen_model").set_value("shakespeare-char").run()  # no styles: no style in its link
    assert not at.exception, at.exception
    assert _param(at, "style") is None


def test_a_style_the_model_lacks_is_refused_with_a_notice():
    at = open_app("app_pages/generate.py", timeout=120, params={"model": "authors-lm", "style": "Tolkien"})
    assert not at.exception, at.exception
    assert "Tolkien" in " ".join(w.value for w in at.warning)
    assert at.selectbox(key="gen_style").value == zoo.load("authors-lm").styles[0]


def test_a_one_author_generator_shows_its_check_with_every_verdict_from_its_card():
    card = zoo.load("author-milton").card
    check = card["metrics"]["author_check"]
    at = open_app("app_pages/generate.py", timeout=120, params={"model": "author-milton"})
    assert not at.exception, at.exception
    labels = [e.label for e in at.expander]
    assert f"Does it write like Milton? The authors classifier agrees with {check['agree']} of 3 passages" in labels
    said = " ".join(m.value for m in at.markdown)
    assert f"The classifier names Milton for {check['agree']} of the 3 passages." in said
    others = [r["classified_as"] for r in check["passages"] if r["classified_as"] != "Milton"]
    for name in others:  # whom it names instead, counted from the card's own verdicts
        assert f"{name} ({others.count(name)})" in said
    table = at.dataframe[0].value
    assert list(table["classified_as"]) == [r["classified_as"] for r in check["passages"]]
    assert "gen_style" not in [s.key for s in at.selectbox]  # one author: no style to choose
