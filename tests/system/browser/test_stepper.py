"""The browser-side stepper of Step Through in a real browser: the numbers it shows are the Trace's,
its keys work and lose no press, no step reruns the server, user text stays text, and the page
falls back to the server-side view when the stepper cannot run. Screenshots go to test-artifacts/."""

from __future__ import annotations

import base64
import html
import re
import urllib.parse
from pathlib import Path

import numpy as np
import pytest

from lstm_viz.analysis import equations
from lstm_viz.plots import colours, diagram, strips
from lstm_viz.store import zoo
from lstm_viz.ui import stepper
from tests.factory import HAMLET
from tests.system.browser.browser_helpers import screenshot, wait_for_render

ROOT = Path(__file__).resolve().parents[3]
CHAR = "shakespeare-char"
SHORT = "To be, or not to be"
STEPPER = ".lv-stepper"
RUNS = """() => {  // counts the script runs (full or fragment) from now on, in window.__runs
    window.__runs = 0;
    const app = document.querySelector('[data-testid="stApp"]');
    const STATE = 'data-test-script-state';
    // A quick run can start and end before the observer is called: read each record's value from the
    // next record's old value (the last one from the attribute), so that no run is missed.
    new MutationObserver((records) => {
        records.forEach((r, k) => {
            const value = k + 1 < records.length ? records[k + 1].oldValue : app.getAttribute(STATE);
            if (value === 'running' && r.oldValue !== 'running') window.__runs += 1;
        });
    }).observe(app, {attributes: true, attributeFilter: [STATE], attributeOldValue: true});
}"""


def open_stepper(page, app_url, text: str = SHORT, **params) -> None:
    query = urllib.parse.urlencode({"model": CHAR, "text": text, **params})
    page.goto(f"{app_url}/step_through?{query}")
    wait_for_render(page, 90_000)
    page.wait_for_selector(f'{STEPPER}[data-state="live"][data-loaded="true"]', timeout=30_000)
    wait_for_render(page)


def shown(page) -> dict:
    """The stepper's view (its root's data attributes: step, unit, colour, order, ...)."""
    return page.evaluate(f"() => ({{...document.querySelector('{STEPPER}').dataset}})")


def wait_step(page, step: int) -> None:
    page.wait_for_function(
        f"() => document.querySelector('{STEPPER}').dataset.step === '{step}'"
        f" && document.querySelector('{STEPPER}').dataset.loaded === 'true'"
    )


def rgb(hexcode: str) -> str:
    return "rgb({}, {}, {})".format(*(int(hexcode[k : k + 2], 16) for k in (1, 3, 5)))


def check_numbers(page, trace, layer: int, step: int, unit: int) -> None:
    """Everything the stepper shows for (step, unit) against the Trace and the server-side builders."""
    lt = trace.layers[layer]
    root = page.locator(STEPPER)
    for name, values in lt.quantities().items():  # the value boxes: exact, 4 decimals
        assert root.locator(f'[data-q="{name}"] .lvs-number').inner_text() == f"{float(values[step, unit]):.4f}", name
    update = equations.cell_update(lt, step, unit)  # the cell diagram: what equations.cell_update computes
    slots = diagram.values_of(update, trace.tokens[step])  # the server-side diagram's slots
    assert slots["h_prev"] == float(lt.h_prev[step, unit]) and slots["token"] == repr(trace.tokens[step])
    assert root.locator("#val-token").text_content() == slots.pop("token")
    for name, value in slots.items():
        assert root.locator(f"#val-{name}").text_content() == f"{value:+.3f}", name
    gate = colours.palette("gate")[colours.GATE.shade([update.forget_gate])[0]][0]
    assert root.locator("#box-f").get_attribute("fill") == gate
    assert root.locator('[data-role="words"] li').all_text_contents() == equations.plain_words(update)
    token = root.locator(f'.tok[data-step="{step}"]')  # the current token: outlined, its value on hover
    assert "cur" in token.get_attribute("class")
    colour_by = shown(page)["colour"]
    assert (
        token.get_attribute("title")
        == f"step {step}: {trace.tokens[step]!r} = {float(lt.quantity(colour_by)[step, unit]):.4f}"
    )
    # the strip of all units: each cell's colour is the server-side strip's, its exact value on hover
    rows = root.locator('[data-role="strip"] .gs-row')
    for q, (name, values) in enumerate(lt.quantities().items()):
        row = values[step].astype(np.float64)
        scale = colours.for_quantity(name)
        shades = scale.shade(row, colours.quantity_range(name, row))
        for u in (0, unit, lt.hidden_size - 1):
            cell = rows.nth(q).locator(f'i[data-unit="{u}"]')
            background = cell.evaluate("e => getComputedStyle(e).backgroundColor")
            assert background == rgb(colours.palette(scale.name)[shades[u]][0]), (name, u)
    cell = rows.nth(2).locator(f'i[data-unit="{unit}"]')
    cell.hover()
    assert cell.get_attribute("title") == f"unit {unit}: g = {float(lt.candidate[step, unit]):.4f}"
    assert "on" in cell.get_attribute("class")
    # the next-character bars: the server-side builder's labels and percentages
    actual = trace.tokens[step + 1] if step + 1 < len(trace) else None
    bars_html = strips.next_token_bars_html(trace.probs[step], trace.output_labels, actual=actual)
    bars = root.locator('[data-role="output"] .nb-grid')
    labels = re.findall(r'<div class="nb-tok">(.*?)</div>', bars_html)
    assert bars.locator(".nb-tok").all_text_contents() == [html.unescape(s) for s in labels]
    assert bars.locator(".nb-p").all_text_contents() == re.findall(r'<div class="nb-p">(.*?)</div>', bars_html)
    same_as_the_server_views(page, trace, layer, step, unit, bars_html)


def texts(html_text: str, pattern: str) -> list[str]:
    return [html.unescape(s) for s in re.findall(pattern, html_text)]


def same_as_the_server_views(page, trace, layer: int, step: int, unit: int, bars_html: str) -> None:
    """The stepper's token strip, strip of all units and bars say what the server's builders say (plots/wording.py):
    the same tokens with the same hover texts, the same row labels and axis, the same title and notes."""
    lt, view, root = trace.layers[layer], shown(page), page.locator(STEPPER)
    values = lt.quantity(view["colour"])[:, unit]
    tokens = root.locator('[data-role="tokens"]')
    window = tokens.locator(".tok").count()
    server = strips.token_strip_html(
        trace.tokens,
        current=step,
        values=values,
        scale=colours.for_quantity(view["colour"]),
        value_range=colours.quantity_range(view["colour"], values),
        unknown={u.position for u in trace.unknown},
        window=window,
    )
    got = tokens.locator(".tok").evaluate_all("ts => ts.map(t => [t.dataset.step, t.title, t.textContent])")
    want = re.findall(r'data-step="(\d+)" title="([^"]*)">([^<]*)</span>', server)
    assert len(want) == window and got == [[s, html.unescape(title), html.unescape(text)] for s, title, text in want]
    assert tokens.locator(".tok-more").all_text_contents() == texts(server, r'<span class="tok-more">(.*?)</span>')
    order = None if view["order"] == "index" else np.arange(lt.hidden_size)
    strip_html = strips.gate_strip_html({q: v[step] for q, v in lt.quantities().items()}, order=order, unit=unit)
    strip = root.locator('[data-role="strip"]')
    assert strip.locator(".gs-label").all_text_contents() == texts(strip_html, r'<div class="gs-label">(.*?)</div>')
    assert strip.locator(".gs-axis").all_text_contents() == texts(strip_html, r'<div class="gs-axis">(.*?)</div>')
    output = root.locator('[data-role="output"] .next-bars')
    assert output.locator(".lv-title").all_text_contents() == texts(bars_html, r'<div class="lv-title">(.*?)</div>')
    assert output.locator(".lv-note").all_text_contents() == texts(bars_html, r'<div class="lv-note">(.*?)</div>')
    hovers = output.locator(".nb-track").evaluate_all("ts => ts.map(t => t.title)")
    assert hovers == texts(bars_html, r'<div class="nb-track" title="([^"]*)">')


def test_the_numbers_shown_are_the_traces(page, app_url):
    trace = zoo.load(CHAR).trace(HAMLET)
    open_stepper(page, app_url, HAMLET, step=37, unit=5, layer=0, colour="cell")
    check_numbers(page, trace, 0, 37, 5)
    page.locator("h1").first.click()
    page.keyboard.press("ArrowRight")
    wait_step(page, 38)
    check_numbers(page, trace, 0, 38, 5)
    page.keyboard.press("End")  # steps 193-199 are in a chunk the page did not have: it asks for it
    wait_step(page, 199)
    check_numbers(page, trace, 0, 199, 5)
    screenshot(page, "stepper-end")
    open_stepper(page, app_url, HAMLET, step=150, unit=200, layer=1, colour="input_gate", order="variance")
    check_numbers(page, trace, 1, 150, 200)
    page.keyboard.press("Home")
    wait_step(page, 0)
    check_numbers(page, trace, 1, 0, 200)  # step 0: c_prev and h_prev are the initial state
    screenshot(page, "stepper-layer2")


def test_keys_move_exactly_as_pressed(page, app_url):
    open_stepper(page, app_url, HAMLET, step=0, unit=3)
    page.locator("h1").first.click()  # the focus on the page, not in an input
    for _ in range(20):  # 20 presses at 20 per second: 20 steps, none lost
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(50)
    assert shown(page)["step"] == "20"
    page.keyboard.press("ArrowLeft")
    assert shown(page)["step"] == "19"
    page.keyboard.press("End")
    wait_step(page, 199)
    page.keyboard.press("Home")
    wait_step(page, 0)
    page.keyboard.press("9")
    assert page.locator(f'{STEPPER} [data-role="speed"]').input_value() == "30"
    page.keyboard.press(" ")
    page.wait_for_timeout(1000)
    page.keyboard.press(" ")
    played = int(shown(page)["step"])
    assert shown(page)["playing"] == "false" and 20 <= played <= 40, played  # about 30 tokens in a second
    page.wait_for_timeout(300)
    assert int(shown(page)["step"]) == played  # paused
    page.keyboard.press("1")
    assert page.locator(f'{STEPPER} [data-role="speed"]').input_value() == "1"
    page.get_by_role("button", name=re.compile("Next")).click()
    assert shown(page)["step"] == str(played + 1)
    page.keyboard.press("ArrowRight")  # the click left the focus on the page: the keys still step
    assert shown(page)["step"] == str(played + 2)
    text_box = page.locator('[data-testid="stSidebar"] textarea')
    text_box.click()
    text_box.press("ArrowRight")  # keys typed into a text box are the text box's
    assert shown(page)["step"] == str(played + 2)


def test_stepping_does_not_rerun_the_server(page, app_url):
    open_stepper(page, app_url, HAMLET, step=0, unit=0)
    page.locator("h1").first.click()
    page.evaluate(RUNS)
    for _ in range(15):  # within the chunks the page has: nothing to ask the server for
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(30)
    assert page.evaluate("window.__runs") == 0
    page.wait_for_function("() => /[?&]step=15(&|$)/.test(location.search)")
    page.wait_for_function("() => window.__runs >= 1", timeout=30_000)  # the view reaches the server...
    wait_for_render(page, quiet_ms=1500)
    assert page.evaluate("window.__runs") == 1  # ...once
    assert "unit=0" in page.url


def test_clicking_a_unit_selects_it(page, app_url):
    trace = zoo.load(CHAR).trace(SHORT)
    open_stepper(page, app_url, SHORT, step=4, unit=0)
    page.locator(f'{STEPPER} [data-role="strip"] .gs-row').first.locator('i[data-unit="77"]').click()
    assert shown(page)["unit"] == "77"
    assert page.locator(f'{STEPPER} [data-role="unit"]').input_value() == "77"
    assert (
        page.locator(f'{STEPPER} [data-q="forget_gate"] .lvs-number').inner_text()
        == f"{trace.layers[0].forget_gate[4, 77]:.4f}"
    )
    page.wait_for_function("() => /[?&]unit=77(&|$)/.test(location.search)")
    page.locator(f'{STEPPER} [data-role="order"]').select_option("variance")
    page.wait_for_function("() => /[?&]order=variance(&|$)/.test(location.search)")
    wait_for_render(page)
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text="Equations").first.click()
    wait_for_render(page, 90_000)
    assert page.get_by_text(re.compile(r"step 4 of")).count() >= 1
    assert page.locator('[data-testid="stNumberInput"] input').first.input_value() == "77"


@pytest.mark.parametrize("model", [CHAR, "reviews-sentiment"])
def test_user_text_is_shown_as_text_and_never_runs(page, app_url, model):
    typed = "<img src=x onerror=alert(1)> </script><b>bold</b>"
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    query = urllib.parse.urlencode({"model": model, "text": "hello"})
    page.goto(f"{app_url}/step_through?{query}")
    wait_for_render(page, 90_000)
    text_box = page.locator('[data-testid="stSidebar"] textarea')
    text_box.fill(typed)
    text_box.press("Control+Enter")
    wait_for_render(page, 90_000)
    page.wait_for_selector(f'{STEPPER}[data-state="live"][data-loaded="true"]')
    page.wait_for_timeout(500)
    trace = zoo.load(model).trace(typed)
    strip = page.locator(f'{STEPPER} [data-role="tokens"] .tok')
    shown = [strips.visible(t) for t in trace.tokens][: stepper.STRIP_WINDOW]  # the strip's window from step 0
    assert strip.all_text_contents() == shown
    assert page.locator('img[src="x"]').count() == 0 and page.locator(f"{STEPPER} b", has_text="bold").count() == 0
    assert dialogs == [] and page.locator('[data-testid="stException"]').count() == 0
    screenshot(page, f"stepper-injection-{model}")


def test_without_its_javascript_the_server_view_steps(page, app_url):
    page.add_init_script("delete window.DecompressionStream")  # an old browser: the stepper cannot start
    query = urllib.parse.urlencode({"model": CHAR, "text": SHORT, "step": 2, "unit": 4})
    page.goto(f"{app_url}/step_through?{query}")
    wait_for_render(page, 90_000)
    notice = page.locator(f"{STEPPER} .lvs-notice")
    notice.wait_for(state="visible")
    assert "could not start" in notice.inner_text() and "DecompressionStream" in notice.inner_text()
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="forget gate").first
    metric.wait_for(state="visible")
    assert page.locator(f"{STEPPER} .lvs-controls").is_visible() is False
    page.get_by_role("button", name=re.compile("Next")).click()
    page.wait_for_function("() => /step 3 of/.test(document.body.innerText)")
    wait_for_render(page)
    lt = zoo.load(CHAR).trace(SHORT).layers[0]
    assert metric.locator('[data-testid="stMetricValue"]').inner_text() == f"{lt.forget_gate[3, 4]:.4f}"
    screenshot(page, "stepper-fallback")


def test_number_formats_and_shades_are_pythons(page):
    """The stepper formats and colours numbers in JavaScript (format.js, in Chromium's own engine here; node's
    tests hold it to Python's fixture too): bit for bit what Python and numpy do."""
    source = (ROOT / "lstm_viz" / "ui" / "stepper_static" / "format.js").read_text(encoding="utf-8")
    url = "data:text/javascript;base64," + base64.b64encode(source.encode("utf-8")).decode("ascii")
    rng = np.random.default_rng(0)
    values = [0.03125, -0.03125, 0.09375, 0.125, 0.375, 0.5, 2.5, -2.5, 0.0, -0.0, 1e-5, -1e-5, 0.99995, 123.456]
    values += [float(v) for v in rng.normal(size=60).astype(np.float32)] + [
        float(v) for v in rng.random(60).astype(np.float32)
    ]
    got = page.evaluate(
        """async ([url, values]) => {
            const m = await import(url);
            return values.map(v => [m.fixed(v, 4), m.fixed(v, 2), m.signed(v, 3), m.signed(v, 2), m.percent(v, 0),
                                    m.percent(v, 1), m.shadeOf(v, 0, 1, 33), m.shadeOf(v, -1, 1, 33)]);
        }""",
        [url, values],
    )
    for v, row in zip(values, got, strict=True):
        expected = [f"{v:.4f}", f"{v:.2f}", f"{v:+.3f}", f"{v:+.2f}", f"{v:.0%}", f"{v:.1%}"]
        expected += [int(colours.GATE.shade([v])[0]), int(colours.SIGNED.shade([v], (-1.0, 1.0))[0])]
        assert row == expected, v


@pytest.mark.parametrize("model", ["memory-gru", "memory-rnn"])
def test_each_kind_of_cell_has_its_own_diagram_with_the_traces_numbers(page, app_url, model):
    """A GRU's diagram shows r, z, n and h = (1 - z) n + z h_prev, an RNN's its one tanh, with the Trace's numbers."""
    text, step, unit = "D52300018695697655928?", 6, 3
    query = urllib.parse.urlencode({"model": model, "text": text, "step": step, "unit": unit})
    page.goto(f"{app_url}/step_through?{query}")
    wait_for_render(page, 90_000)
    page.wait_for_selector(f'{STEPPER}[data-state="live"][data-loaded="true"]', timeout=30_000)
    wait_step(page, step)
    lt = zoo.load(model).trace(text).layers[0]
    kind = lt.kind
    root = page.locator(STEPPER)
    svg = root.locator('[data-role="diagram"] svg')
    title = "GRU" if kind == "gru" else "vanilla RNN"
    assert svg.count() == 1 and svg.get_attribute("aria-label").startswith(f"A {title} cell")
    update = equations.step_update(lt, step, unit)
    values = diagram.values_of(update, text[step])
    for name in diagram.SLOTS[kind]:
        want = values[name] if name == "token" else f"{values[name]:+.3f}"
        assert root.locator(f"#val-{name}").text_content() == want, name
    for symbol in diagram.BOXES[kind]:
        assert root.locator(f"#box-{symbol}").bounding_box()["height"] > 20, symbol  # drawn, not an empty block
    if kind == "gru":
        shade = colours.GATE.shade([update.reset_gate])[0]
        assert root.locator("#box-r").get_attribute("fill") == colours.palette("gate")[shade][0]
    assert root.locator('[data-role="words"] li').all_text_contents() == equations.plain_words(update)
    assert root.locator('[data-role="diagram"]').bounding_box()["height"] > 150
    screenshot(page, f"stepper-diagram-{model}")
