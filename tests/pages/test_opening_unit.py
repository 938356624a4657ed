"""The explorer pages open on the unit the Neuron Lab ranks first, say why in one line, and keep a unit the user
chose (the unit box, a link's unit) over reruns, text changes and page changes; for an LSTM, a GRU and an RNN.

The expected unit and line come from the core run here on its own (``search.opening_unit`` over a fresh Trace).
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from lstm_viz.analysis import search
from lstm_viz.store import zoo
from lstm_viz.ui import cache
from tests.factory import open_app

PAGES = ["step_through", "heatmaps", "equations", "neuron_lab"]
# kind -> (a shipped model of that kind, a text, another text, a step at which unit 0 is not the ranked one)
MODELS = {
    "lstm": ("shakespeare-char", "To be, or not to be, that is the question", "Now is the winter of our discontent", 5),
    "gru": ("memory-gru", "D52300018695697655928?", "D90817263545362718091?", 4),
    "rnn": ("memory-rnn", "D52300018695697655928?", "D90817263545362718091?", 3),
}


def ranked(name: str, text: str, step: int) -> tuple[int, str]:
    """The unit the page must open on and the line it must show, from the core alone."""
    trace = zoo.load(name).trace(text, max_tokens=cache.MAX_TOKENS)
    layer = trace.layers[0]
    how, found = search.opening_unit(layer, step)
    return found.unit, search.describe_opening(found, how, step, trace.tokens[step], layer.hidden_size)


def open_page(page: str, **params) -> AppTest:
    at = open_app(f"app_pages/{page}.py", timeout=120, params={k: str(v) for k, v in params.items()})
    assert not at.exception, at.exception
    return at


def shown_unit(at: AppTest) -> int:
    """The unit on the page: the unit box (Step Through's server-side view draws one too) and the shared state."""
    box = at.number_input(key="unit").value
    assert box == at.session_state["unit"]
    return int(box)


def notes(at: AppTest) -> list[str]:
    return [c.value for c in at.caption if c.value.startswith("Unit ")]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("kind", list(MODELS))
def test_a_page_opens_on_the_ranked_unit_and_says_why(kind, page):
    name, text, _, step = MODELS[kind]
    unit, line = ranked(name, text, step)
    assert unit != 0  # so a page that opened on unit 0 fails here
    at = open_page(page, model=name, text=text, step=step)
    assert shown_unit(at) == unit
    assert notes(at) == [line] and line.startswith(f"Unit {unit}: ")  # the line names the unit shown
    if page == "step_through":
        assert any(f"Unit {unit} inside the cell at step {step}" in h.value for h in at.subheader)


@pytest.mark.parametrize("kind", list(MODELS))
def test_a_fresh_session_opens_on_the_ranked_unit_of_step_0(kind):
    name, text, _, _ = MODELS[kind]
    unit, line = ranked(name, text, 0)
    at = open_page("equations", model=name, text=text)
    assert shown_unit(at) == unit and notes(at) == [line]
    what = {"lstm": "writes most into its cell", "gru": "hidden state changes most", "rnn": "hidden state changes most"}
    assert what[kind] in line  # at step 0 no gate has a step before: a value, or a change from the initial state


@pytest.mark.parametrize("kind", list(MODELS))
def test_the_apps_own_unit_is_ranked_again_for_a_new_text(kind):
    name, text, other, step = MODELS[kind]
    (first, _), (second, line) = ranked(name, text, step), ranked(name, other, step)
    assert first != second
    at = open_page("heatmaps", model=name, text=text, step=step)
    at.text_area(key="text").set_value(other).run()
    assert not at.exception, at.exception
    assert shown_unit(at) == second and notes(at) == [line]


@pytest.mark.parametrize("kind", list(MODELS))
def test_a_unit_the_user_chose_survives_reruns_text_and_page_changes(kind):
    name, text, other, step = MODELS[kind]
    avoid = {ranked(name, t, s)[0] for t in (text, other) for s in (0, step)}
    chosen = next(u for u in range(1, 48) if u not in avoid)
    at = open_app("app_pages/heatmaps.py", timeout=120, model=name, text=text, step=step)  # no unit: the app's
    assert shown_unit(at) not in (0, chosen) and notes(at)
    at.number_input(key="unit").set_value(chosen).run()
    assert shown_unit(at) == chosen and not notes(at)
    at.run()
    assert shown_unit(at) == chosen
    at.text_area(key="text").set_value(other).run()
    assert shown_unit(at) == chosen and not notes(at)
    at.slider(key="step").set_value(0).run()
    assert shown_unit(at) == chosen
    for page in ("equations", "step_through", "neuron_lab"):
        at.switch_page(f"app_pages/{page}.py").run()
        assert not at.exception, at.exception
        assert shown_unit(at) == chosen and not notes(at), page


@pytest.mark.parametrize("kind", list(MODELS))
def test_a_links_unit_opens_exactly_and_stays(kind):
    name, text, other, step = MODELS[kind]
    assert ranked(name, text, step)[0] != 0 and ranked(name, other, step)[0] != 0
    at = open_page("step_through", model=name, text=text, step=step, unit=0)  # unit 0, which is not the ranked one
    assert shown_unit(at) == 0 and not notes(at) and not at.warning
    at.run()
    assert shown_unit(at) == 0
    at.text_area(key="text").set_value(other).run()
    assert shown_unit(at) == 0
    at.switch_page("app_pages/heatmaps.py").run()
    at.text_area(key="text").set_value(
        text
    ).run()  # (AppTest empties a linked text on a page change; a browser keeps it)
    assert shown_unit(at) == 0 and not notes(at)


def test_a_button_that_opens_a_text_without_a_unit_opens_the_ranked_one():
    at = open_app("app_pages/home.py", timeout=120)
    at.button(key="home_open_memory-gru").click().run()
    assert not at.exception, at.exception
    text = at.session_state["text"]
    unit, line = ranked("memory-gru", text, 0)
    assert at.title[0].value == "Step Through"
    assert shown_unit(at) == unit and notes(at) == [line]
