"""The hostile inputs of tests/unit/test_adversarial.py on the pages they come from (links, seeds, regular
expressions, a damaged training-step history, the autocomplete box): a message on the page, never an
exception box."""

from __future__ import annotations

import json
import time

import pytest

from lstm_viz.store import checkpoint, zoo

# --- the same inputs on the pages they come from: a message, never an exception box -------------------------------


def page_messages(at) -> str:
    return " ".join(m.value for kind in (at.info, at.warning, at.error) for m in kind)


@pytest.mark.parametrize("stop", ["²", pytest.param("5" * 5000, id="5000 digits"), "99"])
def test_a_lesson_link_whose_stop_is_not_one_of_its_stops_opens_stop_1_and_says_so(stop):
    from lstm_viz.lessons import schema
    from tests.factory import open_app

    lesson = schema.shipped()[0]
    at = open_app("app_pages/lessons.py", timeout=240, params={"lesson": lesson.id, "stop": stop})
    assert not at.exception, at.exception
    assert at.session_state["lesson_stop"] == 0
    assert "The link" in page_messages(at) and "showing stop 1" in page_messages(at)


def test_an_explorer_link_with_foreign_digits_gets_notices_not_a_traceback():
    from tests.factory import open_app

    at = open_app(
        "app_pages/heatmaps.py",
        timeout=240,
        params={"model": "brackets-lstm", "text": "a((b))c", "step": "²", "unit": "١٢", "count": "5" * 5000},
    )
    assert not at.exception, at.exception
    said = page_messages(at)
    assert "step '²' is not a whole number" in said and "unit '١٢' is not a whole number" in said
    assert "count '5555555555555555555…' is not a whole number a link can hold" in said
    from lstm_viz.analysis import search

    ranked = search.opening_unit(zoo.load("brackets-lstm").trace("a((b))c").layers[0], 0)[1].unit
    assert at.session_state["unit"] == ranked and at.session_state["step"] == 0  # the link's unit was ignored


def test_a_generate_link_with_a_seed_beyond_the_range_is_replaced_with_a_notice():
    from lstm_viz.generation.generate import SEED_MAX
    from tests.factory import open_app

    at = open_app("app_pages/generate.py", timeout=240, params={"model": "shakespeare-char", "seed": str(10**20)})
    assert not at.exception, at.exception
    assert f"outside 0 to {SEED_MAX:,}; showing {SEED_MAX:,}" in page_messages(at)
    assert at.number_input(key="gen_seed").max == SEED_MAX


def test_a_neuron_lab_regex_that_would_backtrack_for_ever_ranks_units_at_once():
    from tests.factory import open_app

    text = "a" * 400 + "!"
    at = open_app("app_pages/neuron_lab.py", timeout=240, model="shakespeare-char", text=text, lab_tab="A feature")
    started = time.perf_counter()
    at.text_input(key="lab_regex").input("(a+)+$").run()
    assert not at.exception, at.exception
    assert time.perf_counter() - started < 60
    assert "occurs nowhere" in page_messages(at)
    at.text_input(key="lab_regex").input("a{99999999999}").run()
    assert not at.exception, at.exception
    assert "repetition counts go up to 1,000" in page_messages(at)


# --- the training-step history: a damaged file or a model without history -------------------------------------


@pytest.fixture
def history_copy(home):
    """memory-lstm (which keeps its history) as a user model called history-copy; the app's caches cleared."""
    import shutil

    import streamlit

    target = home / "history-copy"
    shutil.copytree(zoo.SHIPPED_DIR / "memory-lstm", target)
    card = json.loads((target / "card.json").read_text())
    (target / "card.json").write_text(json.dumps({**card, "name": "history-copy"}))
    streamlit.cache_resource.clear()
    streamlit.cache_data.clear()
    yield target
    streamlit.cache_resource.clear()
    streamlit.cache_data.clear()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        pytest.param(lambda data: data[:-1] + bytes([data[-1] ^ 1]), "its sha256 differs", id="changed"),
        pytest.param(lambda data: b"\x80\x04pickled", "pickle", id="pickle"),
    ],
)
def test_a_damaged_training_step_is_a_message_and_the_trained_model_is_shown(history_copy, damage, message):
    from tests.factory import open_app

    path = history_copy / "history" / "step-000010.safetensors"
    path.write_bytes(damage(path.read_bytes()))
    if message == "pickle":  # a pickle the card vouches for: refused by the weights' own checks
        card = json.loads((history_copy / "card.json").read_text())
        for entry in card["checkpoints"]:
            if entry["step"] == 10:
                entry["sha256"] = checkpoint.weights_sha256(path.read_bytes())
        (history_copy / "card.json").write_text(json.dumps(card))
    at = open_app("app_pages/heatmaps.py", timeout=240, params={"model": "history-copy", "checkpoint": "10"})
    assert not at.exception, at.exception
    said = page_messages(at)
    assert "step 10" in said and message in said and "Showing the trained model" in said, said


def test_a_training_step_asked_of_a_model_without_history_is_explained():
    from tests.factory import open_app

    at = open_app("app_pages/heatmaps.py", timeout=240, params={"model": "words-lm", "text": "the old man",
                                                                 "checkpoint": "300"})  # fmt: skip
    assert not at.exception, at.exception
    said = page_messages(at)
    assert "words-lm kept no weights along its training" in said and "step 300" in said, said
    assert at.session_state["checkpoint"] is None


def test_the_autocomplete_box_is_bounded():
    from lstm_viz.generation import autocomplete
    from tests.factory import open_app

    at = open_app("app_pages/generate.py", timeout=240, params={"model": "words-lm"}, gen_tab="Autocomplete")
    assert not at.exception, at.exception
    assert at.text_input(key="gen_complete_text").max_chars == autocomplete.MAX_TYPED
