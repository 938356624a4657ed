"""At 1024x768 (a classroom projector) every page fits: nothing wider than the screen, no value box
cut to "0.0…", no choice in a select box or button label cut short, the diagram's numbers readable.
A screenshot of each page goes to test-artifacts/."""

from __future__ import annotations

import re

import pytest

from lstm_viz.ui import pages
from tests.system.browser.browser_helpers import screenshot, tab, wait_for_render

VIEW = "model=shakespeare-char&text=To+be,+or+not+to+be,+that+is+the+question&step=7&unit=3&layer=1"
PATHS = [pages.url_path(path) for _, path, _, _ in pages.PAGES]

CUT_JS = """() => {
    const cut = [];
    const main = document.querySelector('[data-testid="stMain"]');
    const over = main.scrollWidth - main.clientWidth;
    if (over > 1) cut.push('the page is ' + over + 'px too wide');
    for (const el of document.querySelectorAll('[data-testid="stMetricValue"] div, .lvs-number')) {
        if (el.offsetParent && el.scrollWidth > el.clientWidth + 1) cut.push('value box cut: ' + el.innerText);
        if (el.offsetParent && el.innerText.includes('…')) cut.push('value shortened: ' + el.innerText);
    }
    for (const el of document.querySelectorAll('[data-testid="stMain"] [data-testid="stSelectbox"] input')) {
        if (el.offsetParent && el.scrollWidth > el.clientWidth + 1) cut.push('choice cut: ' + el.value);
    }
    const labels = ['button [data-testid="stMarkdownContainer"]', '.stMarkdownEllipsis']
        .map(s => '[data-testid="stMain"] ' + s).join(', ');
    for (const el of document.querySelectorAll(labels)) {  // buttons, toggles: Streamlit cuts their labels with "…"
        if (el.offsetParent && el.scrollWidth > el.clientWidth + 1) cut.push('label cut: ' + el.textContent);
    }
    for (const el of document.querySelectorAll('.katex-display')) {
        const by = el.scrollWidth - el.clientWidth;
        if (el.offsetParent && by > 4) cut.push('equation cut by ' + by + 'px: ' + el.textContent.slice(0, 30));
    }
    for (const chart of document.querySelectorAll('[data-testid="stPlotlyChart"]')) {
        const svg = chart.querySelector('.main-svg');
        if (!svg) continue;
        const box = svg.getBoundingClientRect();
        for (const t of chart.querySelectorAll('.gtitle')) {
            const r = t.getBoundingClientRect();
            const out = r.width && (r.left < box.left - 1 || r.right > box.right + 1);
            if (out) cut.push('chart title cut: ' + t.textContent);
        }
        const ticks = [...chart.querySelectorAll('.xtick text')].map(t => t.getBoundingClientRect())
            .filter(r => r.width).sort((a, b) => a.left - b.left);
        for (let k = 1; k < ticks.length; k++) {
            if (ticks[k].left < ticks[k - 1].right - 1 && Math.abs(ticks[k].top - ticks[k - 1].top) < 4) {
                cut.push('x labels overlap in a chart: ' + (chart.querySelector('.gtitle') || {}).textContent); break;
            }
        }
    }
    return cut;
}"""

DIAGRAM_FONT_JS = """() => {
    const sizes = [];
    for (const t of document.querySelectorAll('svg text[id^="val-"]')) {
        if (!t.getBoundingClientRect().height) continue;
        sizes.push(t.getBoundingClientRect().height);
    }
    return sizes;
}"""


@pytest.fixture
def small(browser):
    with tab(browser, 1024, 768, 60_000) as page:
        yield page


@pytest.mark.parametrize("path", PATHS)
def test_every_page_fits_a_projector(small, app_url, path):
    query = VIEW if path in ("step_through", "heatmaps", "equations", "neuron_lab") else ""
    small.goto(f"{app_url}/{path}" + (f"?{query}" if query else ""))
    wait_for_render(small, 180_000)
    small.wait_for_timeout(1000)
    screenshot(small, f"small-{path or 'home'}")
    assert small.locator('[data-testid="stException"]').count() == 0
    cut = small.evaluate(CUT_JS)
    assert cut == [], "\n".join(cut)


def test_the_heatmap_starts_in_the_first_screen_at_1024(small, app_url):
    """Gate Heatmaps opens with a heatmap in view (its plot area starts on the first 768 pixels, and most of the
    first screen's height below the controls is heatmap), ordered so that units that move together are neighbours."""
    small.goto(f"{app_url}/heatmaps?{VIEW}")
    wait_for_render(small, 180_000)
    small.wait_for_timeout(500)
    small.wait_for_selector('.lv-heatmap[data-state="live"]', timeout=30_000)
    area = small.locator(".lv-heatmap canvas").bounding_box()
    assert area and area["y"] < 768 - 200, area  # at least 200 pixels of the heatmap on the first screen
    small.wait_for_function("() => /[?&]order=similarity(&|$)/.test(location.search)")  # the default, in the link


def test_the_cell_diagram_is_in_the_first_screen_at_1024(small, app_url):
    """Step Through's main view, the unit inside its cell with the numbers, starts in the first screen at 1024x768
    with its gates in view (the cell line and the four gates' boxes, at least 200 pixels of it)."""
    small.goto(f"{app_url}/step_through?{VIEW}")
    wait_for_render(small, 180_000)
    small.wait_for_selector('.lv-stepper[data-state="live"] [data-role="diagram"] svg')
    box = small.locator('.lv-stepper [data-role="diagram"] svg').first.bounding_box()
    assert box and box["y"] < 768 - 200, box
    screenshot(small, "step-through-first-screen-1024", full_page=False)


def test_the_diagrams_numbers_are_readable_at_1024(small, app_url):
    small.goto(f"{app_url}/step_through?{VIEW}")
    wait_for_render(small, 180_000)
    sizes = small.evaluate(DIAGRAM_FONT_JS)
    assert sizes, "no diagram text found"
    numbers = [s for s in sizes if s > 0]
    assert min(numbers) >= 11, f"the smallest diagram text is {min(numbers):.1f}px high"
    boxes = small.locator(".lvs-number, [data-testid='stMetricValue']").all_inner_texts()
    assert boxes and all(re.fullmatch(r"[−-]?\d+\.\d{4}", b.strip()) for b in boxes if b.strip()), boxes


DEUTERANOPIA_CSS = (  # Machado, Oliveira and Fernandes (2009), severity 1, as an SVG filter over the whole page
    "html { filter: url(\"data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg'><filter id='d'>"
    "<feColorMatrix type='matrix' values='0.367322 0.860646 -0.227968 0 0 0.280085 0.672501 0.047413 0 0 "
    "-0.011820 0.042940 0.968881 0 0 0 0 0 1 0'/></filter></svg>#d\"); }"
)


@pytest.mark.parametrize("path", ["step_through", "heatmaps", "generate", "classify"])
def test_a_deuteranopia_view_of_the_colour_pages(small, app_url, path):
    """Screenshots as a reader with deuteranopia sees the page (the numbers are checked in test_colour_blind.py)."""
    query = VIEW if path in ("step_through", "heatmaps") else ""
    small.goto(f"{app_url}/{path}" + (f"?{query}" if query else ""))
    wait_for_render(small, 180_000)
    small.add_style_tag(content=DEUTERANOPIA_CSS)
    small.wait_for_timeout(500)
    assert "url(" in small.evaluate("() => getComputedStyle(document.documentElement).filter")
    screenshot(small, f"deuteranopia-{path}", full_page=False)
