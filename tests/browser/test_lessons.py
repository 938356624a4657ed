"""Lessons in a real browser: every stop of every lesson renders (a screenshot each), the keyboard
alone goes through a lesson (→ ←, space reveals), and presentation mode fits a projector at
1024x768 and 1920x1080 with the sidebar and Streamlit's chrome hidden."""

from __future__ import annotations

import pytest

from lstm_viz.lessons import schema
from tests.browser.browser_helpers import screenshot, tab, wait_for_render

LESSONS = schema.shipped()


def _header(page) -> str:
    return page.locator('[data-testid="stMain"] h2').first.inner_text().strip()


def _no_errors(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.id for lesson in LESSONS])
def test_every_stop_renders(page, app_url, lesson):
    for k, stop in enumerate(lesson.stops, 1):
        page.goto(f"{app_url}/lessons?lesson={lesson.id}&stop={k}")
        wait_for_render(page, 240_000)
        _no_errors(page)
        assert _header(page) == stop.title
        assert page.get_by_text(f"Stop {k} of {len(lesson.stops)}").count() == 1
        screenshot(page, f"lesson-{lesson.id}-{k}")


def test_the_keyboard_alone_goes_through_a_lesson(page, app_url):
    lesson = schema.find("change-of-subject")
    page.goto(f"{app_url}/lessons?lesson={lesson.id}")
    wait_for_render(page, 240_000)
    assert _header(page) == lesson.stops[0].title
    page.evaluate("() => document.activeElement && document.activeElement.blur()")  # keys go to the page
    page.keyboard.press("Space")
    wait_for_render(page, 120_000)
    assert page.locator('[data-testid="stAlertContentSuccess"]').count() == 1  # the answer, revealed
    page.keyboard.press("ArrowRight")
    wait_for_render(page, 240_000)
    assert _header(page) == lesson.stops[1].title
    assert "stop=2" in page.url
    page.keyboard.press("ArrowLeft")
    wait_for_render(page, 240_000)
    assert _header(page) == lesson.stops[0].title
    _no_errors(page)


@pytest.mark.parametrize("size", [(1024, 768), (1920, 1080)], ids=["1024x768", "1920x1080"])
def test_presentation_mode_fits_a_projector(browser, app_url, size):
    width, height = size
    with tab(browser, width, height) as page:
        page.goto(f"{app_url}/lessons?lesson=counting-brackets&present=1")
        wait_for_render(page, 240_000)
        _no_errors(page)
        assert not page.locator('[data-testid="stSidebar"]').is_visible()
        assert not page.locator('header[data-testid="stHeader"]').is_visible()
        size_px = page.evaluate(
            """() => parseFloat(getComputedStyle(document.querySelector('[data-testid="stMain"] p')).fontSize)"""
        )
        assert size_px >= 22  # enlarged for the back of the room
        overflow = page.evaluate(
            """() => { const m = document.querySelector('[data-testid="stMain"]');
                       return m.scrollWidth - m.clientWidth; }"""
        )
        assert overflow <= 1, f"the slide is {overflow}px wider than the screen"
        screenshot(page, f"lesson-present-{width}x{height}", full_page=False)
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        page.keyboard.press("Space")
        wait_for_render(page, 120_000)
        assert page.locator('[data-testid="stAlertContentSuccess"]').count() == 1
        screenshot(page, f"lesson-present-{width}x{height}-revealed", full_page=False)
