"""The explorer in a real browser: loads, steps with the Next button and the → key, every page
in the navigation renders without an exception box. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re
import urllib.parse

import pytest

from lstm_viz.engine import cell
from lstm_viz.plots import colours
from lstm_viz.store import zoo
from tests.factory import HAMLET
from tests.system.browser.browser_helpers import screenshot, wait_for_render

TEXT = "To be, or not to be"


def _step(page) -> int:
    """The step shown by the Step Through caption ("step 3 of 19 ...")."""
    caption = page.get_by_text(re.compile(r"step \d+ of \d+")).first.inner_text()
    return int(re.search(r"step (\d+) of", caption).group(1))


def _forget_metric(page) -> str:
    """The chosen unit's forget gate, as the Step Through stepper's value box shows it."""
    return page.locator('.lv-stepper [data-q="forget_gate"] .lvs-number').inner_text()


def test_app_loads_with_navigation(page, app_url):
    page.goto(app_url)
    wait_for_render(page, 90_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    nav = page.locator('[data-testid="stSidebarNav"]')
    for title in ("Home", "Step Through", "Gate Heatmaps", "Equations"):
        assert nav.get_by_text(title, exact=True).count() == 1
    assert page.get_by_role("heading", name="lstm-viz: watch an LSTM read").count() == 1
    screenshot(page, "explorer-home")


def test_next_button_and_arrow_key_change_the_step(page, app_url):
    page.goto(f"{app_url}/step_through?model=shakespeare-char&text={TEXT}&step=2&unit=4")
    wait_for_render(page, 90_000)
    assert _step(page) == 2
    before = _forget_metric(page)
    page.get_by_role("button", name=re.compile("Next")).click()
    page.wait_for_function("() => /step 3 of/.test(document.body.innerText)")
    wait_for_render(page)
    assert _step(page) == 3
    assert _forget_metric(page) != before
    page.locator("h1").first.click()  # focus the page, not an input, so the shortcut fires
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => /step 4 of/.test(document.body.innerText)")
    wait_for_render(page)
    assert _step(page) == 4
    page.keyboard.press("End")
    page.wait_for_function(f"() => /step {len(TEXT) - 1} of/.test(document.body.innerText)")
    page.keyboard.press("Home")
    page.wait_for_function("() => /step 0 of/.test(document.body.innerText)")
    page.wait_for_function("() => /[?&]step=0(&|$)/.test(location.search)")
    screenshot(page, "explorer-step-through")


def test_bad_deep_link_shows_a_notice(page, app_url):
    page.goto(f"{app_url}/step_through?model=nope&text=abc&step=500&unit=x")
    wait_for_render(page, 90_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    alerts = page.locator('[data-testid="stAlert"]').all_inner_texts()
    joined = " ".join(alerts)
    assert "no model called 'nope'" in joined and "step 500" in joined and "'x' is not a whole number" in joined
    screenshot(page, "explorer-bad-link")


def test_every_page_renders_without_an_exception(page, app_url):
    page.goto(app_url)
    wait_for_render(page, 90_000)
    links = page.locator('[data-testid="stSidebarNav"] a')
    count = links.count()
    assert count >= 4
    for i in range(count):
        link = links.nth(i)
        title = link.inner_text().strip().splitlines()[-1]  # the icon's name comes first
        link.click()
        wait_for_render(page, 120_000)
        boxes = page.locator('[data-testid="stException"]')
        assert boxes.count() == 0, f"{title}: {boxes.first.inner_text()[:500]}"
        screenshot(page, "page-" + re.sub(r"\W+", "-", title.lower()).strip("-"))


@pytest.mark.parametrize("path", ["heatmaps", "equations"])
def test_explorer_pages_show_the_selected_unit(page, app_url, path):
    page.goto(f"{app_url}/{path}?model=shakespeare-char&text={TEXT}&step=5&unit=3&layer=1")
    wait_for_render(page, 90_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_text(re.compile(r"step 5 of")).count() >= 1
    screenshot(page, f"explorer-{path}")


def heatmap_area(page) -> dict:
    """The cells of the canvas heatmap, in page pixels (its margins are heatmap.js's LEFT, RIGHT and TOP)."""
    page.wait_for_selector('.lv-heatmap[data-state="live"]', timeout=30_000)
    wait_for_render(page)
    box = page.locator(".lv-heatmap canvas").bounding_box()
    rows = page.evaluate("() => document.querySelector('.lv-heatmap canvas').dataset.rows")
    row_h = float(page.evaluate("() => document.querySelector('.lv-heatmap canvas').dataset.rowHeight"))
    return {"x": box["x"] + 52, "y": box["y"] + 6, "width": box["width"] - 52 - 78, "height": int(rows) * row_h}


def test_clicking_a_heatmap_cell_selects_its_step_and_unit(page, app_url):
    page.goto(f"{app_url}/heatmaps?model=shakespeare-char&text=abcdefghij&step=0&unit=0&order=index")  # units 0-47
    wait_for_render(page, 90_000)
    plot_area = heatmap_area(page)
    x, y = plot_area["x"] + plot_area["width"] * 0.75, plot_area["y"] + plot_area["height"] * 0.5
    page.mouse.move(x, y)
    tip = page.locator('.lv-heatmap [data-role="tip"]')
    tip.wait_for(state="visible")
    hovered = re.search(r'step (\d+): "(.)"\nunit (\d+)\nf = (-?\d\.\d{4})', tip.inner_text())
    h_step, h_unit = int(hovered.group(1)), int(hovered.group(3))
    forget = zoo.load("shakespeare-char").trace("abcdefghij").layers[0].forget_gate
    assert hovered.group(2) == "abcdefghij"[h_step] and hovered.group(4) == f"{forget[h_step, h_unit]:.4f}"
    drawn = page.evaluate(  # the click, and what the next frame shows under the heatmap: no server run between
        """([x, y]) => new Promise((resolve) => {
            document.querySelector('.lv-heatmap canvas').dispatchEvent(
                new MouseEvent('click', {clientX: x, clientY: y, bubbles: true}));
            requestAnimationFrame(() => resolve(document.querySelector('.lv-heatmap .lvh-boxes').innerText));
        })""",
        [x, y],
    )
    layer = zoo.load("shakespeare-char").trace("abcdefghij").layers[0]
    hint = "click a cell of the heatmap to select its step and unit"  # as the server's own caption says
    want = [f"step {h_step} of 10 (0-based): token {'abcdefghij'[h_step]} · unit {h_unit} · {hint}"]
    for name, values in layer.quantities().items():
        want += [f"{cell.symbol(name)} · {cell.QUANTITY[name].label}", f"{float(values[h_step, h_unit]):.4f}"]
    assert drawn.splitlines() == want
    page.wait_for_function("() => !/step 0 of/.test(document.body.innerText)")
    wait_for_render(page)
    assert not page.locator(".st-key-hm_values").is_visible()  # the server's boxes: hidden behind the canvas's
    found = re.search(r"step (\d+) of 10 .*?unit (\d+)", page.locator("body").inner_text(), re.S)
    step, unit = int(found.group(1)), int(found.group(2))
    assert (step, unit) == (h_step, h_unit)  # the cell hovered is the cell chosen
    assert 5 <= step <= 9 and 10 <= unit <= 40  # right half of the x axis, middle of the 48 units shown
    assert f"step={step}" in page.url and f"unit={unit}" in page.url
    assert page.locator(".st-key-hm_fallback").count() == 0  # no Plotly heatmap beside the canvas
    screenshot(page, "explorer-heatmap-click")


def test_where_the_canvas_cannot_draw_the_plotly_heatmap_stands_in(page, app_url):
    page.add_init_script(  # the heatmap's canvas cannot draw (Plotly's own canvases can)
        "const draw = HTMLCanvasElement.prototype.getContext;"
        "HTMLCanvasElement.prototype.getContext = function (...args) {"
        " return this.closest('.lv-heatmap') ? null : draw.apply(this, args); };"
    )
    page.goto(f"{app_url}/heatmaps?model=shakespeare-char&text=abcdefghij&step=2&unit=4&order=index")
    wait_for_render(page, 90_000)
    page.locator('.st-key-hm_fallback [data-testid="stPlotlyChart"] .heatmaplayer').wait_for(timeout=30_000)
    assert page.locator('.lv-heatmap[data-state="failed"]').count() == 1
    assert page.locator('[data-testid="stException"]').count() == 0
    screenshot(page, "explorer-heatmap-fallback")


def test_on_a_long_text_the_cell_hovered_is_the_cell_drawn_and_clicked(page, app_url):
    """Where a pixel holds several steps, the tooltip, the colour under the pointer and the click agree."""
    text = (HAMLET * 10)[:2000]
    query = urllib.parse.urlencode({"model": "shakespeare-char", "text": text, "step": 0, "unit": 0, "order": "index"})
    page.goto(f"{app_url}/heatmaps?{query}")
    wait_for_render(page, 90_000)
    area = heatmap_area(page)
    assert area["width"] < 2000  # narrower than the text: steps share pixels
    x, y = round(area["x"] + area["width"] * 0.6) + 0.5, area["y"] + area["height"] * 0.3
    page.mouse.move(x, y)
    tip = page.locator('.lv-heatmap [data-role="tip"]')
    tip.wait_for(state="visible")
    hovered = re.search(r"step (\d+): .*\nunit (\d+)\nf = (-?\d\.\d{4})", tip.inner_text(), re.S)
    h_step, h_unit = int(hovered.group(1)), int(hovered.group(2))
    forget = zoo.load("shakespeare-char").trace(text).layers[0].forget_gate
    assert hovered.group(3) == f"{forget[h_step, h_unit]:.4f}"
    drawn = page.evaluate(
        "([x, y]) => { const c = document.querySelector('.lv-heatmap canvas'), b = c.getBoundingClientRect();"
        " const r = window.devicePixelRatio || 1;"
        " return [...c.getContext('2d').getImageData((x - b.left) * r, (y - b.top) * r, 1, 1).data].slice(0, 3); }",
        [x, y],
    )
    scale = colours.for_quantity("forget_gate")
    shade = colours.palette(scale.name)[int(scale.shade([float(forget[h_step, h_unit])], (0.0, 1.0))[0])][0]
    assert drawn == [int(shade[k : k + 2], 16) for k in (1, 3, 5)]  # the colour under the pointer is that value's
    page.mouse.click(x, y)
    page.wait_for_function("() => !/step 0 of/.test(document.body.innerText)")
    wait_for_render(page)
    found = re.search(r"step (\d+) of 2000 .*?unit (\d+)", page.locator("body").inner_text(), re.S)
    assert (int(found.group(1)), int(found.group(2))) == (h_step, h_unit)
    assert "the Step slider reaches every one" in page.locator("body").inner_text()
