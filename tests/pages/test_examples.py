"""The text a model opens with is one it can read: a task string for the task models, and a change of
model that leaves a text the new model cannot read opens the new model's own text and says so."""

from __future__ import annotations

import pytest

from lstm_viz.data import tasks
from lstm_viz.store import examples, zoo
from tests.factory import ROOT, open_app

MEMORY = ["memory-gru", "memory-lstm", "memory-rnn", "memory-gru-short", "memory-lstm-short", "memory-rnn-short"]


@pytest.mark.parametrize("name", MEMORY)
def test_a_memory_model_opens_with_a_task_string(name):
    model = zoo.load(name)
    text = examples.first_text(model.card)
    assert tasks.MemoryTask().answer(text) is not None, text
    assert not model.encode(text).unknown


def test_the_brackets_model_opens_with_brackets():
    model = zoo.load("brackets-lstm")
    text = examples.first_text(model.card)
    assert "(" in text and ")" in text and not model.encode(text).unknown


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "assets" / "models").iterdir() if p.is_dir()))
def test_every_shipped_model_opens_with_a_text_it_can_read(name):
    model = zoo.load(name)
    text = examples.first_text(model.card)
    assert examples.fits(model.encode(text)), (name, text[:60])


def test_shakespeare_does_not_fit_a_memory_model_but_a_review_fits_the_word_model():
    assert not examples.fits(zoo.load("memory-gru").encode(examples.DEFAULT_TEXT))
    assert examples.fits(zoo.load("reviews-sentiment").encode("The food was great, truly."))


def _warnings(at) -> str:
    return " ".join(w.value for w in at.warning)


def test_switching_to_a_model_the_text_does_not_fit_opens_its_own_text_and_says_so():
    at = open_app("app_pages/step_through.py", timeout=120, model="shakespeare-char", text=examples.DEFAULT_TEXT)
    assert not at.exception, at.exception
    at.selectbox(key="model").set_value("memory-gru").run()
    assert not at.exception, at.exception
    own = examples.first_text(zoo.load("memory-gru").card)
    assert at.session_state["text"] == own
    said = _warnings(at)
    assert "memory-gru" in said and "own" in said, said
    at.slider(key="step").set_value(3).run()  # the next run is quiet
    assert "own" not in _warnings(at)


def test_a_link_keeps_its_text_even_when_it_does_not_fit():
    at = open_app("app_pages/step_through.py", timeout=120, params={"model": "memory-gru", "text": "Hello there"})
    assert not at.exception, at.exception
    assert at.session_state["text"] == "Hello there"


@pytest.mark.parametrize("model", ["memory-rnn", "brackets-lstm", "shakespeare-char"])
def test_a_link_naming_only_a_model_opens_a_text_that_fits_it(model):
    """A link with a model and no text: the app's default text where it fits, else the model's own, no notice."""
    at = open_app("app_pages/step_through.py", timeout=120, params={"model": model})
    assert not at.exception, at.exception
    loaded = zoo.load(model)
    assert examples.fits(loaded.encode(at.session_state["text"])), at.session_state["text"]
    default_fits = examples.fits(loaded.encode(examples.DEFAULT_TEXT))
    assert (at.session_state["text"] == examples.DEFAULT_TEXT) == default_fits
    assert not _warnings(at), _warnings(at)


def test_switching_model_from_the_trained_weights_says_nothing_about_training_steps():
    at = open_app("app_pages/step_through.py", timeout=120, model="shakespeare-char", text="Hello there.")
    assert not at.exception, at.exception
    at.selectbox(key="model").set_value("memory-lstm").run()
    assert not at.exception, at.exception
    assert "kept no weights" not in _warnings(at), _warnings(at)


def test_the_home_card_of_memory_gru_opens_a_task_string():
    at = open_app("app_pages/home.py", timeout=120)
    assert not at.exception, at.exception
    at.button(key="home_open_memory-gru").click().run()
    assert not at.exception, at.exception
    assert tasks.MemoryTask().answer(at.session_state["text"]) is not None, at.session_state["text"]
    assert not _warnings(at)
