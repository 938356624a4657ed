"""Nothing is lost across pages: what a user typed and chose on one explorer page is there on the
next, after stepping with the buttons (fragment reruns) too."""

from __future__ import annotations

import re

from tests.system.browser.browser_helpers import wait_for_render

TEXT = "Hello there, my friend."


def _go(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title).first.click()
    wait_for_render(page, 90_000)


def _view(page) -> dict:
    """What the explorer page shows: the sidebar's text, model and layer, the unit and the step."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    caption = page.get_by_text(re.compile(r"step \d+ of \d+")).first.inner_text()
    boxes = sidebar.locator('[data-testid="stSelectbox"]')
    layer = boxes.filter(has_text="Layer")
    return {
        "text": sidebar.locator("textarea").input_value(),
        "model": boxes.first.locator('input[role="combobox"]').input_value(),
        "layer": layer.locator('input[role="combobox"]').input_value() if layer.count() else None,
        "unit": _unit_box(page).input_value(),
        "step": int(re.search(r"step (\d+) of", caption).group(1)),
    }


def _unit_box(page):
    """The unit input on screen: the Step Through stepper's, or the page's number input."""
    return page.locator(
        '.lv-stepper input[data-role="unit"]:visible, [data-testid="stNumberInput"] input:visible'
    ).first


def _choose(page, label: str, option: str) -> None:
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(has_text=label)
    box.click()
    page.get_by_role("option", name=re.compile(option)).first.click()
    wait_for_render(page, 90_000)


def test_text_unit_step_layer_and_model_survive_page_changes_after_stepping(page, app_url):
    page.goto(f"{app_url}/step_through")
    wait_for_render(page, 90_000)
    text_box = page.locator('[data-testid="stSidebar"] textarea')
    text_box.fill(TEXT)
    text_box.press("Control+Enter")
    wait_for_render(page, 90_000)
    _choose(page, "Layer", "layer 1")
    unit = _unit_box(page)
    unit.fill("7")
    unit.press("Enter")
    wait_for_render(page)
    for _ in range(3):  # the step buttons rerun only the step fragment
        page.get_by_role("button", name=re.compile("Next")).click()
        wait_for_render(page)
    expected = _view(page)
    assert expected["text"] == TEXT and expected["unit"] == "7" and expected["step"] == 3
    assert expected["layer"] == "layer 1" and "Shakespeare" in expected["model"]

    for title in ("Gate Heatmaps", "Step Through", "Equations", "Home", "Step Through"):
        _go(page, title)
        if title != "Home":
            assert _view(page) == expected, title
    assert "text=Hello+there" in page.url and "unit=7" in page.url and "step=3" in page.url

    # Another model: the choice itself survives too (and the step and unit still fit it).
    _choose(page, "Model", "Which author")
    page.get_by_role("button", name=re.compile("Next")).click()
    wait_for_render(page)
    chosen = _view(page)
    assert "author" in chosen["model"] and chosen["step"] == 4 and chosen["text"] == TEXT
    _go(page, "Equations")
    _go(page, "Step Through")
    assert _view(page) == chosen
