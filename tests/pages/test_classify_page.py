"""The Classify page under AppTest: every example, and bad input that must not crash it."""

from __future__ import annotations

import html
import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from lstm_viz.analysis import contributions
from lstm_viz.plots.html import visible
from lstm_viz.store import examples, zoo
from tests.factory import open_app

PAGE = "app_pages/classify.py"
CLASSIFIERS = ("reviews-sentiment", "authors")


def open_page(model: str) -> AppTest:
    at = open_app(PAGE, timeout=120)
    assert not at.exception, at.exception
    at.selectbox(key="classify_model").set_value(model).run()
    assert not at.exception, at.exception
    return at


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def expected(model, text: str) -> tuple[str, str, str]:
    """Prediction, confidence and the top unit, computed without the page."""
    trace = model.trace(text)
    best = int(np.argmax(trace.probs[-1]))
    weight, bias = contributions.head_parameters(model.module)
    top = int(contributions.logit_contributions(trace, weight, bias, best).top_units(1)[0])
    return model.labels[best], f"{trace.probs[-1, best]:.1%}", f"unit {top}"


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_every_example_shows_the_models_own_prediction(name):
    model = zoo.load(name)
    samples = examples.for_classifier(model.card)
    assert len(samples) >= (6 if name == "reviews-sentiment" else 7)
    at = open_page(name)
    assert at.text_area(key="classify_text").value == next(iter(samples.values()))
    for title, text in samples.items():
        at.selectbox(key="classify_example").set_value(title).run()
        assert not at.exception, (title, at.exception)
        assert at.text_area(key="classify_text").value == text
        label, confidence, top_unit = expected(model, text)
        assert metric(at, "Prediction") == label, title
        assert metric(at, "Confidence") == confidence, title
        assert metric(at, "Tokens read") == f"{len(model.encode(text)):,}"
        bars = next(h.proto.body for h in at.get("html") if "signed-bars" in h.proto.body)
        assert re.findall(r'<div class="sb-name">([^<]+)</div>', bars)[0] == top_unit  # the biggest share first
        assert not at.get("plotly_chart") and not at.get("arrow_data_frame")  # no chart library, no data frame
    # The card's held-out figures are on the page.
    assert f"| all held\\-out texts | {model.card['metrics']['val_accuracy']:.3f} |" in "\n".join(at.markdown.values)


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_the_charts_show_the_traces_numbers(name):
    """What the page draws, read back: each step's probabilities and each top unit's cell state are the Trace's."""
    model = zoo.load(name)
    at = open_page(name)
    text = at.text_area(key="classify_text").value
    trace = model.trace(text)
    weight, bias = contributions.head_parameters(model.module)
    best = int(np.argmax(trace.probs[-1]))
    shares = contributions.logit_contributions(trace, weight, bias, best)
    top = shares.top_units(8)
    pages = [h.proto.body for h in at.get("html")]
    running = next(p for p in pages if "Running prediction" in p)
    hovers = [html.unescape(h) for h in re.findall(r' title="([^"]*)"', running)]  # one per step, in order
    assert len(hovers) == len(trace)
    for t in (0, len(trace) // 2, len(trace) - 1):  # the hover of a step (two classes) or its column (more)
        if len(model.labels) == 2:
            parts = " · ".join(f"P({c}) = {p:.3f}" for c, p in zip(model.labels, trace.probs[t], strict=True))
        else:
            parts = " · ".join(f"{c} {p:.1%}" for c, p in zip(model.labels, trace.probs[t], strict=True))
        assert hovers[t] == f"step {t} {visible(trace.tokens[t])!r}: {parts}"
    cells = next(p for p in pages if "Cell state C_t" in p)
    for u in top[:5]:
        assert f"unit {u} ({shares.contributions[u]:+.2f})" in cells
    hovers = [html.unescape(h) for h in re.findall(r'<b title="([^"]*)"></b>', cells)]
    assert len(hovers) == len(trace)
    for t in (0, len(trace) - 1):
        row = " · ".join(f"unit {u} C = {trace.layers[-1].cell[t, u]:.3f}" for u in top[:5])
        assert hovers[t] == f"step {t} {visible(trace.tokens[t])!r}: {row}"
    bars = next(p for p in pages if "signed-bars" in p)
    for u in top:
        assert f'title="unit {u}: {shares.contributions[u]:+.4f}"' in bars
    confusion = model.card["metrics"].get("confusion_matrix")
    if confusion:
        table = next(p for p in pages if "confusion" in p)
        assert [int(c) for c in re.findall(r'title="[^"]+">([\d,]+)<small>', table)] == sum(confusion, [])


def test_empty_and_blank_text_ask_for_input():
    at = open_page("reviews-sentiment")
    for text in ("", "   \n  "):
        at.text_area(key="classify_text").set_value(text).run()
        assert not at.exception
        assert any("Type a review" in i.value for i in at.info)
        assert not at.metric
    # Punctuation-free symbols that a word tokenizer finds no piece in still get a message.
    at.text_area(key="classify_text").set_value("good").run()
    assert metric(at, "Tokens read") == "1"


@pytest.mark.parametrize(("name", "text"), [("reviews-sentiment", "zzqxv blorfwup qwxyzzy"), ("authors", "😀😀🎉")])
def test_all_unknown_input_is_flagged(name, text):
    at = open_page(name)
    at.text_area(key="classify_text").set_value(text).run()
    assert not at.exception
    assert any("knows none of these tokens" in w.value for w in at.warning)
    assert metric(at, "Prediction")  # still shown, with the warning above it


def test_very_long_text_is_cut_with_a_notice():
    at = open_page("reviews-sentiment")
    long_text = "the food was great but the service was slow . " * 300  # 3,300 words
    at.text_area(key="classify_text").set_value(long_text).run()
    assert not at.exception
    assert any("only the first 2,000 are read" in w.value for w in at.warning)
    assert metric(at, "Tokens read") == "2,000"


def test_step_through_this_opens_the_explorer_with_the_same_text():
    at = open_page("reviews-sentiment")
    at.text_area(key="classify_text").set_value("The soup was cold but the bread was lovely.").run()
    at.button(key="classify_open_app_pages/step_through.py").click().run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Step Through"]
    assert at.session_state["text"] == "The soup was cold but the bread was lovely."
    assert at.session_state["model"] == "reviews-sentiment"
