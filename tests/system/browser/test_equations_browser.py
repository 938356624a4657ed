"""The Equations page's numbers in a real browser: typeset by KaTeX from the package (no network), the
equations are the Trace's for every kind of cell, keys step at once and lose no press, stepping does not
rerun the server, and the page falls back to the server's view when typesetting cannot run.
Screenshots go to test-artifacts/."""

from __future__ import annotations

import re
import urllib.parse

import pytest

from lstm_viz.analysis import equations
from lstm_viz.store import zoo
from lstm_viz.ui import latex
from tests.factory import HAMLET
from tests.system.browser.browser_helpers import screenshot, wait_for_render
from tests.system.browser.test_stepper import RUNS

ROOT_SEL = ".lv-eqs"
MEMORY = "D5230001869569765592?"
MODELS = {"shakespeare-char": HAMLET, "memory-gru": MEMORY, "memory-rnn": MEMORY, "words-lm": HAMLET}


def open_equations(page, app_url, model: str, text: str, **params) -> None:
    query = urllib.parse.urlencode({"model": model, "text": text, **params})
    page.goto(f"{app_url}/equations?{query}")
    wait_for_render(page, 90_000)
    page.wait_for_selector(f'{ROOT_SEL}[data-state="live"][data-loaded="true"]', timeout=30_000)
    wait_for_render(page)


def shown_step(page) -> int:
    return int(page.evaluate(f"() => document.querySelector('{ROOT_SEL}').dataset.step"))


def wait_step(page, step: int) -> None:
    page.wait_for_function(
        f"() => document.querySelector('{ROOT_SEL}').dataset.step === '{step}'"
        f" && document.querySelector('{ROOT_SEL}').dataset.loaded === 'true'"
    )


def typeset(page) -> list[str]:
    """The LaTeX of each equation KaTeX drew in the component (its MathML keeps the source)."""
    return page.eval_on_selector_all(
        f'{ROOT_SEL} .katex-mathml annotation[encoding="application/x-tex"]', "nodes => nodes.map(n => n.textContent)"
    )


def check(page, model, trace, layer_index: int, step: int, unit: int) -> None:
    """The page shows this step's equations, exactly as the server writes them from the Trace."""
    layer = trace.layers[layer_index]
    weights = equations.layer_weights(model.module, layer_index)
    want = [latex.gate_latex(equations.gate_terms(layer, weights, step, unit, b), unit) for b in layer.spec.blocks]
    if (update := latex.update_latex(equations.step_update(layer, step, unit), unit)) is not None:
        want.append(update)
    assert typeset(page) == want
    text = page.locator(ROOT_SEL).inner_text()
    assert f"{float(layer.quantity('hidden')[step, unit]):.4f}".replace("-", "−") in text.replace("-", "−")
    assert f"With the numbers: unit {unit}, step {step}" in text
    assert page.locator(f"{ROOT_SEL} .katex-error").count() == 0


@pytest.mark.parametrize("name", MODELS)
def test_the_equations_typeset_are_the_traces_for_every_kind(page, app_url, name):
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    model, text = zoo.load(name), MODELS[name]
    trace = model.trace(text)
    unit = 5
    open_equations(page, app_url, name, text, step=3, unit=unit, layer=0)
    check(page, model, trace, 0, 3, unit)
    page.locator("h1").first.click()
    page.keyboard.press("ArrowRight")
    wait_step(page, 4)
    check(page, model, trace, 0, 4, unit)
    page.keyboard.press("End")  # HAMLET's last steps are in a chunk the page did not have: it asks for it
    wait_step(page, len(trace) - 1)
    check(page, model, trace, 0, len(trace) - 1, unit)
    screenshot(page, f"equations-{name}")
    outside = [u for u in requests if not u.startswith(app_url) and not u.startswith(("data:", "blob:"))]
    assert outside == []  # KaTeX and its fonts come with the page


def test_keys_move_exactly_as_pressed_without_rerunning_the_server(page, app_url):
    sent = []  # what the page sends the server: each message asks for a run (a rerun, a widget's or a component's)
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    open_equations(page, app_url, "shakespeare-char", HAMLET, step=0, unit=3)
    page.locator("h1").first.click()  # the focus on the page, not in an input
    page.evaluate(RUNS)
    before = len(sent)
    for _ in range(20):  # 20 presses at 20 per second: 20 steps, none lost
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(50)
    assert shown_step(page) == 20 and page.evaluate("window.__runs") == 0 and len(sent) == before
    page.wait_for_function("() => /[?&]step=20(&|$)/.test(location.search)")  # the step reaches the server...
    wait_for_render(page, quiet_ms=1500)
    # ...once: one message (a quick fragment run can start and end between two of the page's frames, unseen
    # by the run counter, so the message is what is counted)
    assert len(sent) == before + 1 and page.evaluate("window.__runs") <= 1
    page.keyboard.press("ArrowLeft")
    assert shown_step(page) == 19
    page.get_by_role("button", name=re.compile("Next")).click()
    assert shown_step(page) == 20
    text_box = page.locator('[data-testid="stSidebar"] textarea')
    text_box.click()
    text_box.press("ArrowRight")  # keys typed into a text box are the text box's
    assert shown_step(page) == 20
    details = page.locator(f"{ROOT_SEL} details").first
    details.locator("summary").click()
    assert "from " in details.inner_text()  # the largest terms, in words
    page.locator("h1").first.click()
    page.keyboard.press("ArrowRight")
    assert page.locator(f"{ROOT_SEL} details").first.get_attribute("open") is not None  # the fold stays open
    screenshot(page, "equations-terms")


BROKEN_KATEX = {  # a KaTeX that cannot typeset (and cannot be replaced): there at once, or only after a wait
    "at once": "Object.defineProperty(window, 'katex', {get: () => ({renderToString() {"
    " throw new Error('no fonts'); }}), set: () => {}, configurable: false});",
    "late": "const t0 = Date.now(); Object.defineProperty(window, 'katex', {get: () => (Date.now() - t0 < 4000"
    " ? undefined : {renderToString() { throw new Error('no fonts'); }}), set: () => {}, configurable: false});",
}


@pytest.mark.parametrize("when", BROKEN_KATEX)
def test_without_typesetting_the_server_view_steps(page, app_url, when):
    page.add_init_script(BROKEN_KATEX[when])  # the component reports the failure
    query = urllib.parse.urlencode({"model": "shakespeare-char", "text": "To be, or not", "step": 2, "unit": 4})
    page.goto(f"{app_url}/equations?{query}")
    wait_for_render(page, 90_000)
    notice = page.locator(f"{ROOT_SEL} .lvs-notice")
    notice.wait_for(state="visible")
    assert "could not start" in notice.inner_text() and "no fonts" in notice.inner_text()
    page.get_by_role("button", name=re.compile("Next")).click()
    page.wait_for_function("() => /step 3 of/.test(document.body.innerText)")
    wait_for_render(page)
    assert "With the numbers: unit 4, step 3" in page.locator("body").inner_text()
    screenshot(page, f"equations-fallback-{when.replace(' ', '-')}")
