"""Lessons in a real browser: every lesson played in presentation mode at 1024x768 with the keyboard alone
(a screenshot of each stop's setting, question and reveal), the keyboard alone answers and reveals
(1-4, space, → ←), and presentation mode fits a projector at
1024x768 and 1920x1080 with the sidebar and Streamlit's chrome hidden, a lesson chosen with the keyboard
hands the keys back to the lesson, and your own lesson opens by link and by file in a fresh browser."""

from __future__ import annotations

import re

import pytest

from lstm_viz.lessons import schema
from tests.system.browser.browser_helpers import choose, go_to_page, main_text, screenshot, tab, wait_for_render

LESSONS = schema.shipped()


def _header(page) -> str:
    return page.locator('[data-testid="stMain"] h2').first.inner_text().strip()


def _no_errors(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0


VERDICT = '[data-testid="stAlertContentSuccess"], [data-testid="stAlertContentWarning"]'  # right, or off by how much
NO_ANSWER = '[data-testid="stAlertContentInfo"]'  # revealed without an answer: the model's answer alone


def _keys_to_the_page(page) -> None:
    page.evaluate("() => document.activeElement && document.activeElement.blur()")


def _press(page, key: str) -> None:
    page.keyboard.press(key)
    wait_for_render(page, 240_000)


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.id for lesson in LESSONS])
def test_every_lesson_in_presentation_mode_at_1024x768_with_the_keyboard_alone(browser, app_url, lesson):
    """A class's walk through each lesson on a projector: the setting, → the question, 1-4 an answer (the first
    option of a choice), space the reveal, → the next stop. A screenshot of each part, and nothing of the
    answer on screen before the reveal."""
    with tab(browser, 1024, 768) as page:
        page.goto(f"{app_url}/lessons?lesson={lesson.id}&present=1")
        wait_for_render(page, 240_000)
        for k, stop in enumerate(lesson.stops, 1):
            _no_errors(page)
            assert _header(page) == stop.title and page.get_by_text(lesson.place(k - 1)).count() == 1  # "Quiz: ..."
            assert page.get_by_text("Predict first").count() == 0, "the setting comes alone, before the question"
            screenshot(page, f"present-{lesson.id}-{k}-1-setting", full_page=False)
            _keys_to_the_page(page)
            _press(page, "ArrowRight")
            assert _header(page) == stop.title and page.get_by_text("Predict first").count() == 1
            assert page.locator(VERDICT).count() == 0 and page.locator(NO_ANSWER).count() == 0
            assert page.locator('[data-testid="stPlotlyChart"]').count() == 0, "a chart before the reveal answers"
            choice = stop.ask["kind"] == "choice"
            if choice:
                _press(page, "1")
            screenshot(page, f"present-{lesson.id}-{k}-2-question", full_page=False)
            _press(page, "Space")
            assert page.locator(VERDICT if choice else NO_ANSWER).count() == 1
            screenshot(page, f"present-{lesson.id}-{k}-3-reveal", full_page=False)
            if k < len(lesson.stops):
                _press(page, "ArrowRight")
        _no_errors(page)


def test_the_keyboard_alone_goes_through_a_lesson(page, app_url):
    lesson = schema.find("change-of-subject")
    page.goto(f"{app_url}/lessons?lesson={lesson.id}")
    wait_for_render(page, 240_000)
    assert _header(page) == lesson.stops[0].title
    _keys_to_the_page(page)
    _press(page, "2")  # the second option
    _press(page, "Space")
    assert page.locator(VERDICT).count() == 1  # the answer, checked
    _press(page, "ArrowRight")
    assert _header(page) == lesson.stops[1].title
    assert "stop=2" in page.url
    _press(page, "ArrowLeft")
    assert _header(page) == lesson.stops[0].title
    assert page.locator(VERDICT).count() == 1, "a revealed stop stays revealed, with the answer given"
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
        for part in ("setting", "question", "revealed"):
            overflow = page.evaluate(
                """() => { const m = document.querySelector('[data-testid="stMain"]');
                           return m.scrollWidth - m.clientWidth; }"""
            )
            assert overflow <= 1, f"the {part} is {overflow}px wider than the screen"
            screenshot(page, f"lesson-present-{width}x{height}-{part}", full_page=False)
            if part != "revealed":
                _keys_to_the_page(page)
                _press(page, "ArrowRight" if part == "setting" else "Space")
        assert page.locator(NO_ANSWER).count() == 1


def _focus_in_lesson_box(page) -> bool:
    return page.evaluate("""() => !!document.activeElement.closest('[data-testid="stSelectbox"]')""")


@pytest.mark.parametrize("size", [(1024, 768), (1920, 1080)], ids=["1024x768", "1920x1080"])
def test_presentation_mode_with_the_keyboard_alone(browser, app_url, size):
    """Tab to the lesson box, choose a lesson by typing its name: → and space then act on the lesson at once
    (no extra Tab to leave the box)."""
    lesson = schema.find("writing-shakespeare")
    with tab(browser, *size) as page:
        page.goto(f"{app_url}/lessons?present=1")
        wait_for_render(page, 240_000)
        for _ in range(20):
            page.keyboard.press("Tab")
            if _focus_in_lesson_box(page):
                break
        assert _focus_in_lesson_box(page), "Tab never reaches the lesson box"
        page.keyboard.press("ArrowDown")
        page.keyboard.type("Writing Sh")
        page.keyboard.press("Enter")
        wait_for_render(page, 240_000)
        assert _header(page) == lesson.stops[0].title
        page.wait_for_function(
            """() => !document.activeElement.closest('[data-testid="stSelectbox"]')""", timeout=10_000
        )
        _press(page, "ArrowRight")
        assert page.get_by_text("Predict first").count() == 1, "→ stayed in the lesson box"
        _press(page, "Space")
        assert page.locator(NO_ANSWER).count() == 1, "space stayed in the lesson box"
        _press(page, "ArrowRight")
        assert _header(page) == lesson.stops[1].title
        _no_errors(page)
        screenshot(page, f"lesson-present-keyboard-{size[0]}x{size[1]}", full_page=False)


def test_your_own_lesson_by_link_and_by_file_in_a_fresh_browser(browser, app_url, tmp_path):
    """A scene saved on Step Through; the lesson shared as a link and exported; each opened in a fresh browser."""
    with tab(browser, 1920, 1080) as page:
        page.goto(f"{app_url}/step_through?model=shakespeare-char&text=To+be,+or+not+to+be&step=5&unit=9&colour=cell")
        wait_for_render(page, 240_000)
        page.get_by_role("button", name=re.compile("Share this view")).first.click()
        popover = page.locator('[data-testid="stPopoverBody"]')
        popover.get_by_label(re.compile("Save this view as a scene")).fill("The comma")
        popover.get_by_role("button", name=re.compile("Add to my lesson")).click()
        page.get_by_text(re.compile(r"Added: your lesson has 1 scene")).wait_for(timeout=120_000)
        page.keyboard.press("Escape")
        go_to_page(page, "Lessons", 240_000)
        choose(page, "Lesson", "My lesson", 240_000)
        assert _header(page) == "The comma"
        with page.expect_download() as download:
            page.get_by_role("button", name=re.compile("Export your lesson")).click()
        exported = tmp_path / "my-lesson.json"
        download.value.save_as(exported)
        page.get_by_role("button", name=re.compile("Share your lesson")).click()
        link = page.locator('[data-testid="stPopoverBody"] code').last.inner_text().strip()
        assert link.startswith(app_url + "/lessons?"), link
    words = "Step 5, token ',': unit 9's cell state in layer 0"
    with tab(browser, 1024, 768) as page:  # a student opens the link
        page.goto(link)
        wait_for_render(page, 240_000)
        _no_errors(page)
        assert _header(page) == "The comma" and words in main_text(page)
        screenshot(page, "lesson-mine-by-link-1024x768", full_page=False)
    with tab(browser, 1024, 768) as page:  # another imports the file, and it plays without leaving the page
        page.goto(f"{app_url}/lessons")
        wait_for_render(page, 240_000)
        page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(exported))
        page.get_by_text(words).first.wait_for(timeout=240_000)
        wait_for_render(page, 240_000)
        _no_errors(page)
        assert _header(page) == "The comma" and "Stop 1 of 1" in main_text(page)
        screenshot(page, "lesson-mine-imported-1024x768", full_page=False)
