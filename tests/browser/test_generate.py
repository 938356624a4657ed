"""Generate page in a real browser: the text appears while it is written, then coloured; step through it."""

from __future__ import annotations

import re

from browser_helpers import screenshot, wait_for_render

from lstm_viz import zoo

PRIME = "ROMEO:"
LENGTH = 2000  # the maximum: about 1 s of writing (20 batches) on a quiet 2-core machine, more under load
WATCH_STREAM = """() => {
    window.__streamed = []; window.__progress = false;
    // Watch the whole document: Streamlit may re-mount the main block during a run, and an
    // observer on a replaced node sees nothing.
    new MutationObserver(() => {
        const main = document.querySelector('[data-testid="stMain"]');
        if (!main) return;
        const pre = main.querySelector('pre');
        if (pre) window.__streamed.push(pre.innerText);
        if (main.querySelector('[data-testid="stProgress"]')) window.__progress = true;
    }).observe(document.body, {childList: true, subtree: true, characterData: true});
}"""


def test_generate_see_text_appear_then_step_through(page, app_url):
    page.goto(f"{app_url}/generate")
    wait_for_render(page, timeout_ms=90_000)
    assert page.locator("h1").first.inner_text().strip() == "Generate"
    length = page.get_by_label("Length (characters)")
    length.fill(str(LENGTH))
    length.press("Enter")
    wait_for_render(page, timeout_ms=90_000)

    # Record, inside the browser, every state of the streamed text block while it is written.
    page.evaluate(WATCH_STREAM)
    page.get_by_role("button", name=re.compile("^Generate")).click()
    page.get_by_text("Characters written").wait_for(timeout=120_000)
    wait_for_render(page, timeout_ms=90_000)
    streamed = page.evaluate("window.__streamed")
    assert page.evaluate("window.__progress"), "no progress bar while writing"
    assert streamed and all(t.startswith(PRIME) for t in streamed), f"no text while writing: {streamed[:2]}"
    assert page.locator('[data-testid="stMain"] pre').count() == 0  # the stream gives way to the coloured text

    expected = zoo.load("shakespeare-char").generate(PRIME, LENGTH, temperature=0.8, seed=1)
    coloured = page.locator(".gen-text").first
    spans = coloured.locator("span")
    assert spans.count() == len(PRIME) + LENGTH
    # the page shows what the model wrote with these settings, newlines drawn as ↵
    assert coloured.inner_text().replace("↵\n", "\n") == expected.text
    first = spans.nth(len(PRIME))
    assert first.get_attribute("title").endswith(f"p = {expected.chosen_probs[0]:.4f}")
    assert page.locator(".gen-legend").count() >= 1
    assert page.locator('[data-testid="stException"]').count() == 0
    screenshot(page, "generate-written")

    page.get_by_role("tab", name="What the model expected").click()
    wait_for_render(page, timeout_ms=90_000)
    screenshot(page, "generate-expected")

    page.get_by_role("tab", name="Write").click()
    page.get_by_role("button", name=re.compile("Step through this")).first.click()
    wait_for_render(page, timeout_ms=90_000)
    assert page.locator("h1").first.inner_text().strip() == "Step Through"
    assert page.locator(".token-strip .tok").count() > 0
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_role("textbox", name="Text", exact=True).input_value() == expected.text
