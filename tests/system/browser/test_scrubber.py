"""Gates over training in a real browser: the sidebar's training-step slider moves Step Through's
numbers to those of the weights kept at that step (a screenshot at each end)."""

from __future__ import annotations

import urllib.parse

from lstm_viz.store import history, zoo
from tests.system.browser.browser_helpers import screenshot, wait_for_render

TEXT = "To be, or not to be, that is the question"


def _forget(page) -> str:
    return page.locator('.lv-stepper [data-q="forget_gate"] .lvs-number').inner_text()


def test_the_training_step_slider_shows_the_gates_of_that_step(page, app_url):
    model = zoo.load("shakespeare-char")
    kept = history.checkpoints(model)
    query = urllib.parse.urlencode({"model": "shakespeare-char", "text": TEXT, "step": 7, "unit": 3})
    page.goto(f"{app_url}/step_through?{query}")
    wait_for_render(page, 120_000)
    page.wait_for_selector('.lv-stepper[data-state="live"]')
    assert _forget(page) == f"{model.trace(TEXT).layers[0].forget_gate[7, 3]:.4f}"
    screenshot(page, "scrubber-trained", full_page=False)
    handle = page.locator('[data-testid="stSidebar"] [data-testid="stSlider"]').filter(has_text="Training step")
    handle.get_by_role("slider").focus()
    page.keyboard.press("Home")  # to the untrained model
    wait_for_render(page, 120_000)
    page.wait_for_selector('.lv-stepper[data-state="live"]')
    untrained = history.load(model, kept[0].training_step).trace(TEXT).layers[0].forget_gate[7, 3]
    page.wait_for_function(
        "(want) => { const n = document.querySelector('.lv-stepper [data-q=\"forget_gate\"] .lvs-number');"
        " return n && n.innerText === want; }",
        arg=f"{untrained:.4f}",
        timeout=30_000,
    )
    assert "checkpoint=0" in page.url
    assert page.get_by_text("before any training").count() == 1
    screenshot(page, "scrubber-untrained", full_page=False)
