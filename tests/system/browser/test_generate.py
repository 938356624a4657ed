"""Generate page in a real browser: the text appears while it is written, then coloured; step through it."""

from __future__ import annotations

import re

from lstm_viz.store import zoo
from tests.system.browser.browser_helpers import screenshot, wait_for_render

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


WATCH_SOCKET = """(() => {
    // Every message from the server, as text: the streamed chunks carry the text written so far.
    window.__frames = [];
    const Original = window.WebSocket;
    window.WebSocket = function (...args) {
        const socket = new Original(...args);
        socket.addEventListener('message', async (event) => {
            const data = event.data instanceof Blob ? await event.data.arrayBuffer() : event.data;
            window.__frames.push(typeof data === 'string' ? data : new TextDecoder().decode(data));
        });
        return socket;
    };
    window.WebSocket.prototype = Original.prototype;
    Object.assign(window.WebSocket, Original);
})();"""


def test_generate_see_text_appear_then_step_through(page, app_url):
    page.add_init_script(WATCH_SOCKET)
    page.goto(f"{app_url}/generate")
    wait_for_render(page, timeout_ms=90_000)
    assert page.locator("h1").first.inner_text().strip() == "Generate"
    length = page.get_by_label("Length (characters)")
    length.fill(str(LENGTH))
    length.press("Enter")
    wait_for_render(page, timeout_ms=90_000)

    # Record, inside the browser, every state of the streamed text block while it is written,
    # and every message the server sent meanwhile.
    page.evaluate(WATCH_STREAM)
    page.evaluate("window.__frames = []")
    page.get_by_role("button", name=re.compile("^Generate")).click()
    page.get_by_text("Characters written").wait_for(timeout=120_000)
    wait_for_render(page, timeout_ms=90_000)
    # The server sends the text while it is written: before the finished page (its "Characters
    # written" metric), a run of messages, each carrying more of the text.
    lengths = page.evaluate(
        """(prime) => {
            const done = window.__frames.findIndex(f => f.includes('Characters written'));
            return window.__frames.slice(0, done).filter(f => f.includes(prime)).map(f => f.length);
        }""",
        PRIME,
    )
    growing = sum(b > a for a, b in zip(lengths, lengths[1:], strict=False))
    assert growing >= 5, f"the text did not arrive while it was written: {lengths}"
    # The browser shows it while it is written. A busy browser may apply a burst of messages at
    # once, so every state it did show is checked, and at least the progress bar or a state.
    streamed = page.evaluate("window.__streamed")
    assert all(t.startswith(PRIME) for t in streamed), f"unexpected text while writing: {streamed[:2]}"
    assert streamed or page.evaluate("window.__progress"), "nothing was shown while writing"
    assert page.locator('[data-testid="stMain"] pre').count() == 0  # the stream gives way to the coloured text

    expected = zoo.load("shakespeare-char").generate(PRIME, LENGTH, temperature=0.8, seed=1)
    coloured = page.locator(".gen-text").first
    spans = coloured.locator("span")
    assert spans.count() == len(PRIME) + LENGTH
    # the page shows what the model wrote with these settings, newlines drawn as ↵
    assert coloured.inner_text().replace("↵\n", "\n") == expected.text
    first = spans.nth(len(PRIME))
    assert first.get_attribute("title").endswith(f"p = {expected.chosen_probs[0]:.4f}")
    assert page.locator(".legend").count() >= 1
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
