"""Classify page in a real browser: type a review, see the prediction and the running chart."""

from __future__ import annotations

import re

import numpy as np
import pytest

from lstm_viz.engine.tokenizers import describe_unknown
from lstm_viz.store import zoo
from tests.system.browser.browser_helpers import screenshot, tab, wait_for_render
from tests.system.browser.test_small_screens import CUT_JS

REVIEW = "The staff were lovely and the view was great, but the food was cold and bland."


def test_type_a_review_and_see_the_prediction(page, app_url):
    page.goto(f"{app_url}/classify")
    wait_for_render(page, timeout_ms=90_000)
    page.get_by_text("Classifier", exact=True).wait_for()
    picker = page.locator('[data-testid="stSelectbox"]').filter(has_text="Classifier")
    picker.click()
    page.get_by_role("option", name=re.compile("Review sentiment")).click()
    wait_for_render(page, timeout_ms=90_000)

    box = page.get_by_label("Text to classify")
    box.fill(REVIEW)
    box.press("Control+Enter")  # commit the text area, as a user does with Ctrl+Enter or a click away
    wait_for_render(page, timeout_ms=90_000)

    model = zoo.load("reviews-sentiment")
    probs = model.trace(REVIEW).probs[-1]
    label = model.labels[int(np.argmax(probs))]
    metrics = page.locator('[data-testid="stMetric"]')
    prediction = metrics.filter(has_text="Prediction").locator('[data-testid="stMetricValue"]')
    assert prediction.inner_text().strip() == label
    confidence = metrics.filter(has_text="Confidence").locator('[data-testid="stMetricValue"]')
    assert confidence.inner_text().strip() == f"{probs.max():.1%}"
    # The running chart and the cell-state chart are drawn by the page itself (no chart library to wait for):
    # each line is an image the browser decoded, and each dot sits where its probability puts it.
    trace = model.trace(REVIEW)
    assert page.locator(".js-plotly-plot").count() == 0
    assert page.locator(".tl-plot").count() == 2
    assert page.evaluate("[...document.querySelectorAll('img.tl-svg')].every(i => i.complete && i.naturalWidth > 0)")
    box = page.locator(".tl-plot").first.bounding_box()
    dots = page.locator(".tl-plot").first.locator(".tl-dot")
    assert dots.count() == 2 * len(trace)
    for t in (0, 7, len(trace) - 1):
        for c in range(2):
            dot = dots.nth(c * len(trace) + t).bounding_box()
            x, y = dot["x"] + dot["width"] / 2 - box["x"], dot["y"] + dot["height"] / 2 - box["y"]
            assert x / box["width"] == pytest.approx((t + 0.5) / len(trace), abs=0.01)
            assert y / box["height"] == pytest.approx(1 - trace.probs[t, c], abs=0.01)
            # what the pointer finds there: the step's hover, with the Trace's numbers
            hover = page.evaluate(
                "([x, y]) => document.elementFromPoint(x, y).getAttribute('title')",
                [box["x"] + x, box["y"] + box["height"] / 2],
            )
            parts = " · ".join(f"P({n}) = {p:.3f}" for n, p in zip(model.labels, trace.probs[t], strict=True))
            assert hover.startswith(f"step {t} ") and hover.endswith(parts)
    shares = page.locator(".signed-bars .sb-name")
    assert shares.count() == 10 and shares.nth(8).inner_text() == "all other units"
    assert page.locator(".token-strip .tok").count() == len(model.encode(REVIEW))
    assert page.locator('[data-testid="stException"]').count() == 0
    screenshot(page, "classify-review")

    # "Step through this" carries the same text to the explorer.
    page.get_by_role("button", name=re.compile("Step Through")).click()
    wait_for_render(page, timeout_ms=90_000)
    assert "Step Through" in page.locator("h1").first.inner_text()
    assert page.locator('[data-testid="stException"]').count() == 0
    screenshot(page, "classify-step-through")


def test_an_author_passage_gets_the_models_guess(page, app_url):
    page.goto(f"{app_url}/classify")
    wait_for_render(page, timeout_ms=90_000)
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Classifier").click()
    page.get_by_role("option", name=re.compile("Which author")).click()
    wait_for_render(page, timeout_ms=90_000)
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Example").click()
    page.get_by_role("option", name=re.compile("Melville")).click()
    wait_for_render(page, timeout_ms=90_000)

    model = zoo.load("authors")
    text = page.get_by_label("Text to classify").input_value()
    probs = model.trace(text).probs[-1]
    prediction = page.locator('[data-testid="stMetric"]').filter(has_text="Prediction")
    assert prediction.locator('[data-testid="stMetricValue"]').inner_text().strip() == model.labels[int(probs.argmax())]
    assert page.locator(".token-strip .tok").count() == len(text)
    assert page.get_by_text("Held-out confusion matrix").count() >= 1
    counts = [int(c.inner_text().split()[0]) for c in page.locator("table.cm td").all()]
    assert counts == sum(model.card["metrics"]["confusion_matrix"], [])
    # seven classes: a band each, stacked; the pointer at a step finds that step's seven probabilities
    assert page.locator(".tl-plot").count() == 2 and page.locator(".tl-plot").first.locator(".tl-dot").count() == 0
    trace = model.trace(text)
    box = page.locator(".tl-plot").first.bounding_box()
    for t in (0, len(trace) // 2, len(trace) - 1):
        x = box["x"] + (t + 0.5) / len(trace) * box["width"]
        hover = page.evaluate("([x, y]) => document.elementFromPoint(x, y).getAttribute('title')", [x, box["y"] + 5])
        parts = " · ".join(f"{c} {p:.1%}" for c, p in zip(model.labels, trace.probs[t], strict=True))
        assert hover.startswith(f"step {t} ") and hover.endswith(parts), (t, hover)
    assert page.locator(".js-plotly-plot").count() == 0
    assert page.locator('[data-testid="stException"]').count() == 0
    screenshot(page, "classify-authors")


HOSTILE = {
    "markup": '<script>alert(1)</script> "onmouseover=alert(1) <img src=x onerror=alert(1)> & &amp; the food was bad',
    "right to left": "مرحبا بالعالم the soup was cold \u202e reversed \u0301\u0301 café",
    "one long token": "x" * 5000,
    "one character": "a",
    "markdown": "**bold** and _italic_ ~struck~ $x$ [a](b) the soup",
}


def test_hostile_texts_draw_inside_a_projectors_width(browser, app_url):
    """Markup, right-to-left and combining marks, a 5,000-character token, one character and Markdown, on both
    classifiers at 1024x768: no traceback, no dialog, every chart drawn, nothing wider than the screen, the unknown
    pieces named as they are."""
    dialogs = []
    for name in ("reviews-sentiment", "authors"):
        with tab(browser, 1024, 768) as page:
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(f"{app_url}/classify?model={name}")
            wait_for_render(page, timeout_ms=90_000)
            for what, text in HOSTILE.items():
                box = page.get_by_label("Text to classify")
                box.fill(text)
                box.press("Control+Enter")
                wait_for_render(page, timeout_ms=90_000)
                where = f"{name}, {what}"
                assert page.locator('[data-testid="stException"]').count() == 0, where
                assert page.locator('[data-testid="stMetric"]').filter(has_text="Prediction").count() == 1, where
                drawn = "[...document.querySelectorAll('img.tl-svg')].map(i => i.complete && i.naturalWidth > 0)"
                assert page.evaluate(drawn) == [True, True], where  # the running prediction, the cell states
                assert page.evaluate(CUT_JS) == [], where
                if what == "markdown":  # the unknown pieces are named as they are, not read as Markdown
                    said = describe_unknown(zoo.load(name).encode(text).unknown)
                    assert said in page.locator('[data-testid="stAlertContainer"]').all_inner_texts()[0], where
            screenshot(page, f"classify-hostile-{name}")
    assert dialogs == []
