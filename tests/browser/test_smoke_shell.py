"""The app shell loads in a real browser (the full explorer tests live in test_explorer.py)."""

from tests.browser.browser_helpers import screenshot, wait_for_render


def test_app_loads(page, app_url):
    page.goto(app_url)
    wait_for_render(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    screenshot(page, "shell-home")
