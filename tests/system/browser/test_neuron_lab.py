"""The Neuron Lab in Chromium: choosing a unit in a ranking makes it the unit of every page."""

from __future__ import annotations

import urllib.parse

from lstm_viz.analysis import search
from lstm_viz.store import zoo
from tests.system.browser.browser_helpers import wait_for_render

BOB = "Bob is a nice person. Dan on the other hand is evil."
STEP = BOB.index("Dan")


def _unit_box(page):
    return page.locator('[data-testid="stNumberInput"] input:visible').first


def test_choosing_a_row_of_the_moment_ranking_selects_that_unit_everywhere(page, app_url):
    query = urllib.parse.urlencode({"model": "shakespeare-char", "text": BOB, "layer": 1, "step": STEP, "unit": 0})
    page.goto(f"{app_url}/neuron_lab?{query}")
    wait_for_render(page, 180_000)
    ranked = search.by_moment(zoo.load("shakespeare-char").trace(BOB).layers[1], STEP, "forget_drop", top=8)
    second = ranked[1].unit  # not the first: a row the page would not pick by itself
    grid = page.locator('[data-testid="stDataFrame"]:visible').first
    box = grid.bounding_box()
    row_height = 35  # Streamlit's data grid: a 35 px header, then 35 px rows; the row marker is the first column
    page.mouse.click(box["x"] + 14, box["y"] + row_height + row_height * 1 + row_height / 2)
    wait_for_render(page, 60_000)
    page.wait_for_function(f"() => [...document.querySelectorAll('input')].some(i => i.value === '{second}')")
    assert _unit_box(page).input_value() == str(second)
    page.locator('[data-testid="stSidebarNav"] a[href$="/equations"]').click()
    wait_for_render(page, 120_000)
    page.wait_for_function(f"() => [...document.querySelectorAll('input')].some(i => i.value === '{second}')")
    assert _unit_box(page).input_value() == str(second)
    assert f"unit={second}" in page.url
