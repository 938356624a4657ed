"""RNN vs LSTM page in a real browser: both training regimes measured on fresh strings, the gradient
view, a typed string, and a live race that runs in the background and shows its result."""

from __future__ import annotations

import re

import numpy as np
from playwright.sync_api import expect

from lstm_viz.analysis import memory
from lstm_viz.data import tasks
from lstm_viz.store import zoo
from lstm_viz.ui import pages
from tests.system.browser.browser_helpers import screenshot, wait_for_render


def metric_value(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has=page.get_by_text(label, exact=True))
    return box.locator('[data-testid="stMetricValue"]').first.inner_text().strip()


def open_tab(page, section: int) -> None:
    """Click the page's tab of section 1-5 and wait for it to be drawn (only the open tab runs)."""
    page.get_by_role("tab", name=pages.TABS["rvl_tab"][section - 1]).click()
    wait_for_render(page, timeout_ms=120_000)


def test_both_regimes_the_gradient_and_a_race(page, app_url):
    page.goto(f"{app_url}/rnn_vs_lstm")
    wait_for_render(page, timeout_ms=180_000)
    expect(page.locator("h1").first).to_contain_text("RNN versus LSTM")
    assert page.locator('[data-testid="stException"]').count() == 0

    # The accuracy shown is the accuracy on the strings the caption names, for both regimes.
    caption = page.get_by_text(re.compile(r"fresh strings at each gap, drawn with seed \d+")).inner_text()
    seed = int(re.search(r"seed (\d+)", caption).group(1))
    lstm, rnn, rnn_short = (zoo.load(n) for n in ("memory-lstm", "memory-rnn", "memory-rnn-short"))
    data = tasks.MemoryTask(tokenizer=lstm.tokenizer)
    n = memory.SAMPLE_PER_GAP
    measure = lambda m: tasks.accuracy_by_gap(m.module, data, gaps=memory.PAGE_GAPS, per_gap=n, seed=seed)  # noqa: E731
    assert metric_value(page, "LSTM at N = 100 (mostly long)") == f"{measure(lstm)[100]:.0%}" == "100%"
    assert metric_value(page, "RNN at N = 5 (mostly long)") == f"{measure(rnn)[5]:.0%}"
    assert metric_value(page, "RNN at N = 5 (many short)") == f"{measure(rnn_short)[5]:.0%}"
    expect(page.get_by_text(re.compile("has not learned the task")).first).to_be_visible()
    assert page.locator(".js-plotly-plot").count() == 4  # two regimes: accuracy by gap and training curves
    screenshot(page, "rnn-vs-lstm")
    open_tab(page, 2)
    expect(page.get_by_text(re.compile("is c, not h, that carries it"))).to_be_visible()
    expect(page.get_by_text(re.compile("has not learned the task"))).to_have_count(0)  # the first tab is not drawn
    assert page.locator(".js-plotly-plot").count() == 3  # the gradient, the formula against autograd, ∏ f

    # A typed string is answered by both models.
    text = "C" + "7" * 60 + "?"
    box = page.get_by_label("…or type your own (a letter A-D, digits, then ?)")
    box.fill(text)
    box.press("Enter")
    wait_for_render(page, timeout_ms=120_000)
    assert metric_value(page, "Answer") == "C"
    assert page.locator(".token-strip .tok").count() == len(text)
    open_tab(page, 3)  # the same string, step by step through both models
    guess = lstm.labels[int(np.argmax(lstm.trace(text).probs[-1]))]
    assert metric_value(page, "LSTM says") == guess == "C"
    assert page.get_by_label("…or type your own (a letter A-D, digits, then ?)").input_value() == text
    screenshot(page, "rnn-vs-lstm-step-by-step")

    # Bad input gets a message, not a traceback.
    box.fill("hello 🦜")
    box.press("Enter")
    wait_for_render(page, timeout_ms=120_000)
    expect(page.get_by_text(re.compile("is not a memory string"))).to_be_visible()
    assert page.locator('[data-testid="stException"]').count() == 0

    # The race: a short background training of both, a progress bar, then both results.
    open_tab(page, 5)
    steps = page.get_by_label("Training steps for each model")
    steps.fill("20")
    steps.press("Enter")
    wait_for_render(page, timeout_ms=60_000)
    page.get_by_role("button", name=re.compile("Train them now")).click()
    expect(page.get_by_text(re.compile(r"Trained for 20 steps each on mostly long gaps"))).to_be_visible(
        timeout=180_000
    )
    wait_for_render(page, timeout_ms=120_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    screenshot(page, "rnn-vs-lstm-race")
