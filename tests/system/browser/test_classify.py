"""Classify page in a real browser: type a review, see the prediction and the running chart."""

from __future__ import annotations

import re

import numpy as np

from lstm_viz.store import zoo
from tests.system.browser.browser_helpers import screenshot, wait_for_render

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
    # The running-probability chart and the coloured token strip are drawn.
    assert page.locator(".js-plotly-plot").count() >= 3
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
    assert page.locator('[data-testid="stException"]').count() == 0
    screenshot(page, "classify-authors")
