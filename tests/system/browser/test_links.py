"""A link is the view: change something on a page, take the address bar, open it in a fresh
browser (no session, no cookies) and see the same view, on every explorer page, Generate and Classify."""

from __future__ import annotations

import re
import urllib.parse

import pytest

from tests.system.browser.browser_helpers import tab, wait_for_render

EXPLORER = "model=shakespeare-char&text=Hello+there,+my+friend.&layer=1&step=4"
CASES = {
    "step_through": (EXPLORER + "&colour=cell", {"unit": "9"}),
    "heatmaps": (EXPLORER + "&quantity=cell&count=32", {"unit": "9"}),
    "equations": (EXPLORER, {"unit": "9"}),
    "neuron_lab": (EXPLORER, {"unit": "9"}),
    "generate": ("model=shakespeare-char&prime=JULIET:&length=120&temperature=0.5", {"seed": "77"}),
    "classify": ("model=authors&text=Call+me+Ishmael.+Some+years+ago.", {}),
}

VIEW_JS = """() => {
    const seen = [];
    for (const el of document.querySelectorAll('textarea, input, [role="slider"]')) {
        if (!el.offsetParent || el.type === 'file' || el.type === 'checkbox') continue;
        const label = el.getAttribute('aria-label') || el.dataset.role || el.getAttribute('role') || el.type;
        seen.push(label + '=' + (el.getAttribute('role') === 'slider' ? el.getAttribute('aria-valuenow') : el.value));
    }
    const step = document.body.innerText.match(/step \\d+ of \\d+/);
    if (step) seen.push(step[0]);
    return seen;
}"""


def _view(page, expected: list[str] | None = None, timeout_s: float = 15) -> list[str]:
    """The page's inputs and step; with ``expected``, polled until they match (widgets fill in their
    values a moment after the script's run, later while a chart is still drawing)."""
    import time

    deadline = time.monotonic() + timeout_s
    while True:
        seen = page.evaluate(VIEW_JS)
        if expected is None or seen == expected or time.monotonic() > deadline:
            return seen
        page.wait_for_timeout(200)


def _set(page, name: str, value: str) -> None:
    """Type into the page's input for ``name`` (the unit box, or a labelled number input) and apply it."""
    if name == "unit":
        box = page.locator(
            '.lv-stepper input[data-role="unit"]:visible, [data-testid="stNumberInput"] input:visible'
        ).first
    else:
        box = page.get_by_label(re.compile(f"^{name}$", re.I)).first
    box.fill(value)
    box.press("Enter")
    wait_for_render(page, 120_000)


@pytest.mark.parametrize("path", list(CASES))
def test_a_link_opens_the_same_view_in_a_fresh_browser(browser, app_url, path):
    query, changes = CASES[path]
    with tab(browser, 1400, 900) as page:
        page.goto(f"{app_url}/{path}?{query}")
        wait_for_render(page, 180_000)
        for name, value in changes.items():
            _set(page, name, value)
        page.wait_for_timeout(1500)  # let every widget show its value
        link = page.url
        shown = _view(page)
        params = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)
        for name, value in urllib.parse.parse_qs(query).items():
            assert params.get(name) == value, f"{name} is not in the link {link}"
        for name, value in changes.items():
            assert params.get(name) == [value], f"the change of {name} did not reach the link {link}"
        assert page.locator('[data-testid="stException"]').count() == 0
    with tab(browser, 1400, 900) as page:  # a fresh browser: no session, no cookies
        page.goto(link)
        wait_for_render(page, 180_000)
        assert _view(page, shown) == shown
        assert page.locator('[data-testid="stException"]').count() == 0


def _shared_link(page) -> str:
    """The link in the page's "Share this view" box (opened, read, closed)."""
    page.get_by_role("button", name=re.compile("Share this view")).first.click()
    code = page.locator('[data-testid="stPopoverBody"] [data-testid="stCode"] code').first
    code.wait_for(state="visible")
    link = code.inner_text().strip()
    page.keyboard.press("Escape")
    return link


@pytest.mark.parametrize("path", list(CASES))
def test_the_share_box_link_opens_the_same_view_in_a_fresh_browser(browser, app_url, path):
    query, changes = CASES[path]
    with tab(browser, 1400, 900) as page:
        page.goto(f"{app_url}/{path}?{query}")
        wait_for_render(page, 180_000)
        for name, value in changes.items():
            _set(page, name, value)
        page.wait_for_timeout(1500)
        shown = _view(page)
        link = _shared_link(page)
    parts = urllib.parse.urlsplit(link)
    assert parts.path == f"/{path}", f"the shared link {link} does not name the page once"
    with tab(browser, 1400, 900) as page:  # a fresh browser: no session, no cookies
        page.goto(link)
        wait_for_render(page, 180_000)
        assert page.locator('[data-testid="stMain"] [data-testid="stElementContainer"]').count() > 3, "blank page"
        assert _view(page, shown) == shown
        assert page.locator('[data-testid="stException"]').count() == 0


def test_the_generate_link_carries_the_style_into_a_fresh_browser(browser, app_url):
    with tab(browser, 1400, 900) as page:
        page.goto(f"{app_url}/generate?model=authors-lm&style=Melville&prime=Call+me")
        wait_for_render(page, 180_000)
        link = _shared_link(page)
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(link).query).get("style") == ["Melville"], link
    with tab(browser, 1400, 900) as page:
        page.goto(link)
        wait_for_render(page, 180_000)
        chosen = page.locator('[data-testid="stSelectbox"]').filter(has_text="Write in the style of").first
        shown = chosen.inner_text() + " ".join(box.input_value() for box in chosen.locator("input").all())
        assert "Melville" in shown, shown
        assert page.locator('[data-testid="stException"]').count() == 0
