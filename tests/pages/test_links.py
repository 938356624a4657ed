"""Links and model switches under AppTest: what a page shows travels in its URL and comes back from
it, a text too long for a link stays out of it (and the share box says so), and a change of model
says what it had to change."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from lstm_viz.ui import state
from tests.factory import open_app


def open_page(page: str, params: dict | None = None, **session) -> AppTest:
    return open_app(page, timeout=120, params=params, **session)


def param(at: AppTest, name: str):
    value = at.query_params.get(name)
    return value[0] if isinstance(value, list) else value


def warnings(at: AppTest) -> str:
    return " ".join(w.value for w in at.warning)


def test_a_model_switch_says_what_it_changed():
    at = open_page("app_pages/step_through.py", model="shakespeare-char", text="The food was great, truly.", unit=200)
    at.slider(key="step").set_value(15).run()
    assert not at.exception and not warnings(at)
    at.selectbox(key="model").set_value("reviews-sentiment").run()  # 128 units; the text is 7 words
    assert not at.exception
    said = warnings(at)
    assert "There is no unit 200 here" in said and "showing unit 127" in said
    assert "There is no step 15 here" in said
    assert at.number_input(key="unit").value == 127 and at.slider(key="step").value == 6
    at.button(key="st_left").click().run()  # the next change is silent again
    assert not warnings(at)


def test_a_model_switch_keeps_what_still_fits_silently():
    at = open_page("app_pages/step_through.py", model="shakespeare-char", text="The food was great, truly.", unit=5)
    at.slider(key="step").set_value(3).run()
    at.selectbox(key="model").set_value("reviews-sentiment").run()
    assert not at.exception and not warnings(at)
    assert at.number_input(key="unit").value == 5 and at.slider(key="step").value == 3


def test_a_text_too_long_for_a_link_stays_out_of_it_and_the_share_box_says_so():
    long_text = "😀" * 5000  # about 60,000 characters once percent-encoded
    at = open_page("app_pages/step_through.py", model="shakespeare-char", text=long_text)
    assert not at.exception
    assert param(at, "text") is None and param(at, "model") == "shakespeare-char"
    assert "too long to share in a link" in warnings(at)
    short = open_page("app_pages/step_through.py", model="shakespeare-char", text="Hello there")
    assert param(short, "text") == "Hello there" and "too long" not in warnings(short)


def test_a_link_with_an_oversized_text_is_refused_politely():
    at = open_page("app_pages/step_through.py", {"text": "a" * (state.MAX_URL_TEXT + 1)})
    assert not at.exception
    assert f"{state.MAX_URL_TEXT:,}" in warnings(at)


@pytest.mark.parametrize(
    "page,params,keys",
    [
        (
            "app_pages/generate.py",
            {"model": "shakespeare-char", "prime": "JULIET:", "length": "120", "temperature": "0.5", "seed": "7"},
            {"gen_prime": "JULIET:", "gen_length": 120, "gen_temperature": 0.5, "gen_seed": 7},
        ),
        (
            "app_pages/classify.py",
            {"model": "authors", "text": "Call me Ishmael. Some years ago, never mind how long precisely."},
            {"classify_text": "Call me Ishmael. Some years ago, never mind how long precisely."},
        ),
        (
            "app_pages/heatmaps.py",
            {"model": "shakespeare-char", "text": "Hello there", "quantity": "cell", "count": "32", "unit": "4"},
            {"quantity": "cell", "count": 32, "unit": 4},
        ),
    ],
    ids=["generate", "classify", "heatmaps"],
)
def test_a_link_opens_the_view_it_names_and_the_view_writes_its_link(page, params, keys):
    at = open_page(page, params)
    assert not at.exception and not warnings(at)
    for key, value in keys.items():
        assert at.session_state[key] == value, key
    for name, value in params.items():
        assert param(at, name) == value, name
