"""AppTest for the explorer pages: Home, Step Through, Gate Heatmaps, Equations.

Values on the page are compared with an independent Trace of the same model and text. Tiny
random-weight models of the other kinds (word classifier, vanilla RNN, sequence task) are
written to a temporary LSTM_VIZ_HOME so every model kind is covered without training.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from lstm_viz.store import zoo
from lstm_viz.ui import cache
from tests.factory import open_app, write_every_kind

ROOT = Path(__file__).resolve().parents[2]
CHAR = "shakespeare-char"
TEXT = "To be, or not to be"
PAGES = ["app_pages/home.py", "app_pages/step_through.py", "app_pages/heatmaps.py", "app_pages/equations.py"]


@pytest.fixture(scope="module", autouse=True)
def user_home(tmp_path_factory):
    """Tiny user models of every other kind, visible to zoo and the app for this module."""
    home = tmp_path_factory.mktemp("explorer_home")
    write_every_kind(home)  # tiny-words (a word classifier), tiny-rnn, tiny-seq (tests/factory.py)
    old = os.environ.get("LSTM_VIZ_HOME")
    os.environ["LSTM_VIZ_HOME"] = str(home)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield home
    if old is None:
        os.environ.pop("LSTM_VIZ_HOME", None)
    else:
        os.environ["LSTM_VIZ_HOME"] = old
    st.cache_data.clear()


def open_page(page: str, params: dict | None = None, **session) -> AppTest:
    """Run app.py on ``page`` with URL ``params`` and preset shared state (model, text, ...)."""
    return open_app(page, timeout=90, params=params, **session)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label.split(" · ")[0]: m.value for m in at.metric}


def expected(name: str, text: str, layer: int, step: int, unit: int) -> dict[str, str]:
    lt = zoo.load(name).trace(text, max_tokens=cache.MAX_TOKENS).layers[layer]
    if lt.kind == "lstm":
        names = {
            "f": "forget_gate",
            "i": "input_gate",
            "g": "candidate",
            "o": "output_gate",
            "c": "cell",
            "h": "hidden",
        }
        return {k: f"{float(getattr(lt, q)[step, unit]):.4f}" for k, q in names.items()}
    return {"h": f"{float(lt.hidden[step, unit]):.4f}", "pre": f"{float(lt.preactivation[step, unit]):.4f}"}


def warnings(at: AppTest) -> str:
    return " ".join(w.value for w in at.warning)


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_clean(page):
    at = open_page(page, model=CHAR, text=TEXT)
    assert not at.exception, at.exception
    assert at.title and at.title[0].value


def test_home_lists_model_cards_and_opens_one():
    at = open_page("app_pages/home.py")
    text = " ".join(m.value for m in at.markdown)
    assert "Shakespeare (characters)" in text and "on text it never trained on" in text
    for jargon in ("nats", "val count", "seed 2", "val_"):  # plain words on the first page a student sees
        assert jargon not in text, jargon
    cards = [m.value for m in at.markdown if m.value.startswith("#### ")]
    assert cards[0] == "#### Shakespeare (characters)"  # the model to start with comes first
    at.button(key="home_open_tiny-words").click().run()
    assert not at.exception
    assert at.session_state["model"] == "tiny-words"
    assert at.title[0].value == "Step Through"
    assert len(at.metric) == 6  # f, i, g, o, c, h of the classifier's unit


def test_step_change_changes_values_to_the_traces():
    at = open_page("app_pages/step_through.py", model=CHAR, text=TEXT, unit=7)
    assert metrics(at) == expected(CHAR, TEXT, 0, 0, 7)
    at.slider(key="step").set_value(9).run()
    assert not at.exception
    assert metrics(at) == expected(CHAR, TEXT, 0, 9, 7)
    assert metrics(at) != expected(CHAR, TEXT, 0, 0, 7)
    at.button(key="st_right").click().run()
    assert at.slider(key="step").value == 10
    assert metrics(at) == expected(CHAR, TEXT, 0, 10, 7)
    at.button(key="st_end").click().run()
    assert at.slider(key="step").value == len(TEXT) - 1
    at.button(key="st_home").click().run()
    assert at.slider(key="step").value == 0


def test_step_survives_a_page_change():
    at = open_page("app_pages/step_through.py", model=CHAR, text=TEXT, unit=3)
    at.slider(key="step").set_value(6).run()
    at.switch_page("app_pages/heatmaps.py").run()
    assert not at.exception
    assert at.slider(key="step").value == 6
    assert metrics(at) == expected(CHAR, TEXT, 0, 6, 3)


def test_deep_link_is_applied():
    params = {"model": CHAR, "text": "Now is the winter", "step": "4", "unit": "11", "layer": "1"}
    at = open_page("app_pages/step_through.py", params)
    assert not at.exception and not at.warning
    assert at.slider(key="step").value == 4
    assert at.number_input(key="unit").value == 11
    assert at.selectbox(key="layer").value == 1
    assert metrics(at) == expected(CHAR, "Now is the winter", 1, 4, 11)


def test_bad_deep_link_is_clamped_with_notices():
    params = {"model": "no-such-model", "text": "abc", "step": "999", "unit": "-4", "layer": "7"}
    at = open_page("app_pages/step_through.py", params)
    assert not at.exception
    text = warnings(at)
    assert "no model called 'no-such-model'" in text
    assert "step 999" in text and "unit -4" in text and "layer 7" in text
    assert at.slider(key="step").value == 2
    assert at.number_input(key="unit").value == 0
    assert at.selectbox(key="layer").value == 1
    assert metrics(at) == expected(CHAR, "abc", 1, 2, 0)


def test_non_numeric_deep_link_is_ignored_with_notice():
    at = open_page("app_pages/equations.py", {"text": "hello", "step": "abc", "unit": "1e9"})
    assert not at.exception
    assert "'abc' is not a whole number" in warnings(at)
    assert "'1e9' is not a whole number" in warnings(at)


@pytest.mark.parametrize("page", PAGES[1:])
@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_text_prompts(page, text):
    at = open_page(page, model=CHAR, text=text)
    assert not at.exception
    assert any("Type a sentence" in i.value for i in at.info)
    assert not at.metric


def test_long_text_is_cut_with_notice():
    text = "ab " * 900  # 2,700 characters
    at = open_page("app_pages/step_through.py", model=CHAR, text=text)
    assert not at.exception
    assert "2,700 tokens; only the first 2,000" in warnings(at)
    at.button(key="st_end").click().run()
    assert at.slider(key="step").value == 1999


def test_unknown_characters_are_noted():
    at = open_page("app_pages/step_through.py", model=CHAR, text="Café 😀 ok")
    assert not at.exception
    note = " ".join(i.value for i in at.info)
    assert "2 unknown pieces: 'é' → 'e', '😀' → ' '" in note


def test_unknown_words_are_noted_for_a_word_model():
    at = open_page("app_pages/step_through.py", model="tiny-words", text="The soup was great.")
    assert not at.exception
    note = " ".join(i.value for i in at.info)
    assert "'soup' → '\\<unk\\>'" in note  # as Markdown writes '<' and '>' as themselves (no HTML tag)


@pytest.mark.parametrize("page", PAGES[1:])
def test_rnn_model_says_it_has_no_gates(page):
    at = open_page(page, model="tiny-rnn", text="hello world", step=3, unit=2, layer=1)
    assert not at.exception
    assert any("vanilla RNN" in i.value for i in [*at.info, *at.caption])  # a box, or Step Through's one line
    if page != "app_pages/equations.py":
        assert metrics(at) == expected("tiny-rnn", "hello world", 1, 3, 2)
    else:
        lt = zoo.load("tiny-rnn").trace("hello world").layers[1]
        shown = " ".join(x.value for x in at.latex)
        assert f"{lt.preactivation[3, 2]:.4f}" in shown and f"{lt.hidden[3, 2]:.4f}" in shown


@pytest.mark.parametrize("page", PAGES[1:])
def test_sequence_and_classifier_models_render(page):
    for model, text in (("tiny-seq", "(ab)(a"), ("tiny-words", "the food was bad .")):
        at = open_page(page, model=model, text=text, step=2, unit=5)
        assert not at.exception, (model, at.exception)
        if page == "app_pages/equations.py":
            lt = zoo.load(model).trace(text).layers[0]
            assert f"= {lt.cell[2, 5]:.4f}" in " ".join(x.value for x in at.latex)
        else:
            assert metrics(at) == expected(model, text, 0, 2, 5)


def test_heatmaps_values_and_unit_picker():
    at = open_page("app_pages/heatmaps.py", model=CHAR, text=TEXT, step=4)
    at.number_input(key="unit").set_value(42).run()
    assert not at.exception
    assert metrics(at) == expected(CHAR, TEXT, 0, 4, 42)
    assert len(at.get("download_button")) == 2


def test_heatmap_click_selects_step_and_unit():
    from lstm_viz.ui import clicks

    assert clicks.parse_heatmap_point({"x": "12:e", "y": "u40", "z": 0.3}) == (12, 40)
    assert clicks.parse_heatmap_point({"x": "3::", "y": "u0"}) == (3, 0)  # the token itself is ':'
    assert clicks.parse_heatmap_point({"x": "garbage"}) is None


def test_equations_numbers_equal_the_trace():
    at = open_page("app_pages/equations.py", model=CHAR, text=TEXT, step=6, unit=9, layer=1)
    assert not at.exception
    lt = zoo.load(CHAR).trace(TEXT).layers[1]
    shown = " ".join(x.value for x in at.latex)
    for gate in ("forget_gate", "input_gate", "candidate", "output_gate"):
        assert f"{lt.gate_preactivation(gate)[6, 9]:.4f}" in shown, gate
        assert f"{lt.quantity(gate)[6, 9]:.4f}" in shown, gate
    assert f"= {lt.cell[6, 9]:.4f}" in shown and f"= {lt.hidden[6, 9]:.4f}" in shown
    assert f"{lt.c_prev[6, 9]:.4f}".lstrip("-") in shown
    words = " ".join(m.value for m in at.markdown)
    assert f"Forget gate {lt.forget_gate[6, 9]:.2f}: the unit keeps {lt.forget_gate[6, 9]:.0%}" in words
    at.button(key="eq_right").click().run()
    shown = " ".join(x.value for x in at.latex)
    assert f"= {lt.cell[7, 9]:.4f}" in shown


def test_query_params_follow_the_view():
    at = open_page("app_pages/step_through.py", model=CHAR, text=TEXT, unit=2)
    at.slider(key="step").set_value(5).run()
    assert at.query_params["step"] == ["5"] or at.query_params["step"] == "5"
    assert np.array_equal(np.array([at.query_params["model"]]).ravel(), np.array([CHAR]))
