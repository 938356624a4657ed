"""Helpers for real-browser tests: wait for Streamlit to finish rendering, save screenshots."""

from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "test-artifacts"


def _settled(page) -> bool:
    return page.evaluate(
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
            if (document.querySelector('[data-testid="stStatusWidget"]')) return false;
            // an element whose code is still loading (Streamlit loads each kind of widget on first use)
            if (document.querySelector('[data-testid="stSkeleton"]')) return false;
            for (const chart of document.querySelectorAll('[data-testid="stPlotlyChart"]'))
                if (!chart.querySelector('.main-svg')) return false;
            return document.querySelectorAll('[data-testid="stMain"] [data-testid="stElementContainer"]').length > 0;
        }"""
    )


def wait_for_render(page, timeout_ms: int = 30_000, quiet_ms: int = 600) -> None:
    """Wait until Streamlit ran the script and stayed idle for ``quiet_ms`` (no "Running…" widget).

    The script state must read ``notRunning`` with content in the main area and no element still a
    skeleton (in a fresh browser the frontend loads each kind of widget's code on first use, a second or
    more after the script has finished); a rerun that starts within ``quiet_ms`` (a deep link applying
    its parameters, a fragment) restarts the wait.
    """
    import time

    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    deadline = time.monotonic() + timeout_ms / 1000
    calm_since = None
    while time.monotonic() < deadline:
        if _settled(page):
            calm_since = calm_since or time.monotonic()
            if (time.monotonic() - calm_since) * 1000 >= quiet_ms:
                return  # (every Plotly chart already drawn: _settled looks for its SVG)
        else:
            calm_since = None
        page.wait_for_timeout(100)
    raise TimeoutError(f"Streamlit did not finish rendering within {timeout_ms} ms")


def screenshot(page, name: str, full_page: bool = True, max_height: int = 6000) -> Path:
    """Save a PNG of the page under test-artifacts/ (gitignored) and return its path.

    Streamlit scrolls inside its main container, so a "full page" shot grows the viewport to
    the content's height first (up to ``max_height``) and restores it afterwards.
    """
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    size = page.viewport_size
    if full_page and size:
        height = page.evaluate(
            """() => { const m = document.querySelector('[data-testid="stMain"]');
                       return m ? m.scrollHeight : document.body.scrollHeight; }"""
        )
        page.set_viewport_size({"width": size["width"], "height": int(min(max(height, size["height"]), max_height))})
        page.wait_for_timeout(500)
    page.screenshot(path=str(path))
    if full_page and size:
        page.set_viewport_size(size)
    return path


@contextmanager
def tab(browser, width: int = 1600, height: int = 1000, timeout_ms: int = 30_000):
    """A fresh browser tab in its own context (no cookies, no session), closed on leaving."""
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        page.set_default_timeout(timeout_ms)
        yield page
    finally:
        context.close()


# --- what a person sees: used by the journeys (tests/system/browser/test_journeys.py) ------------------

_FAULTS_JS = """() => {
    const main = document.querySelector('[data-testid="stMain"]');
    if (!main) return ['no main area: a blank page'];
    const found = [];
    for (const box of main.querySelectorAll('[data-testid="stException"]'))
        found.push('an exception box: ' + box.innerText.slice(0, 400));
    if (/Traceback \\(most recent call last\\)/.test(main.innerText)) found.push('traceback text on the page');
    const shown = (el) => el.offsetParent !== null && !el.closest('[hidden], details:not([open])');
    for (const chart of main.querySelectorAll('[data-testid="stPlotlyChart"]')) {
        if (!shown(chart)) continue;
        const r = chart.getBoundingClientRect();
        if (r.width < 20 || r.height < 20 || !chart.querySelector('.main-svg')) found.push('an empty chart');
    }
    for (const img of main.querySelectorAll('[data-testid="stImage"] img, [data-testid="stMain"] img')) {
        if (shown(img) && img.complete && img.naturalWidth === 0) found.push('a broken picture ' + (img.alt || ''));
    }
    for (const html of main.querySelectorAll('[data-testid="stHtml"]')) {
        if (!shown(html)) continue;
        const r = html.getBoundingClientRect();
        const text = html.innerText.trim();
        const drawn = html.querySelector('svg, canvas, img, [style*="background"]');
        if (r.height < 2 && !text && !drawn && !html.querySelector('style')) found.push('an empty HTML block');
    }
    return found;
}"""


def faults_on_page(page, title: str | None = None) -> list[str]:
    """Every visible fault of the page: an exception box, a traceback, an empty chart, picture or HTML block,
    and, with ``title``, a page whose first heading is not ``title``."""
    found = page.evaluate(_FAULTS_JS)
    if title is not None:
        heading = page.locator('[data-testid="stMain"] h1')
        shown = heading.first.inner_text().strip() if heading.count() else "(no title)"
        if shown != title:
            found.append(f"the page's title is {shown!r}, not {title!r}")
    return found


def main_text(page) -> str:
    """The text of the page's main area, as a person reads it."""
    return page.locator('[data-testid="stMain"]').inner_text()


def open_select(page, label: str) -> None:
    """Open the list of the select box labelled ``label`` (its arrow: a click in the box filters by its text)."""
    box = page.get_by_role("combobox", name=label, exact=True).first
    arrow = box.locator("xpath=..").locator('button[aria-label="Open"]')
    for _ in range(3):  # a box that kept the focus, or a rerun that drew it again, may swallow the first click
        arrow.click()
        try:
            page.wait_for_selector('[role="option"]', timeout=3_000)
            return
        except Exception:  # noqa: BLE001 - playwright's timeout; try the arrow again
            page.keyboard.press("Escape")
    page.wait_for_selector('[role="option"]', timeout=3_000)


def choose(page, label: str, option: str, timeout_ms: int = 180_000) -> None:
    """Pick the option that starts with ``option`` in the select box labelled ``label``, as a person picks it."""
    open_select(page, label)
    page.get_by_role("option").filter(has_text=re.compile("^" + re.escape(option))).first.click()
    wait_for_render(page, timeout_ms)


def go_to_page(page, title: str, timeout_ms: int = 180_000) -> None:
    """Click ``title`` in the sidebar's navigation (the session, and so every choice, is kept)."""
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title).first.click()
    page.wait_for_timeout(300)
    wait_for_render(page, timeout_ms)


_VIEW_JS = """() => {
    const seen = {};
    const labelOf = (el) => {
        const box = el.closest('[data-testid^="st"][data-testid$="Input"], [data-testid="stTextArea"], '
            + '[data-testid="stSelectbox"], [data-testid="stSlider"], [data-testid="stNumberInput"], label');
        const lab = box && box.querySelector('label, [data-testid="stWidgetLabel"]');
        return (el.getAttribute('aria-label') || (lab && lab.innerText) || el.dataset.role || el.type || '').trim();
    };
    for (const el of document.querySelectorAll('[data-testid="stAppViewContainer"] textarea, '
            + '[data-testid="stAppViewContainer"] input, .lv-stepper select')) {
        if (!el.offsetParent || ['file', 'checkbox', 'radio', 'hidden'].includes(el.type)) continue;
        let label = labelOf(el);
        if (el.dataset.role === 'unit') label = 'unit';
        seen[label] = el.value;
    }
    for (const el of document.querySelectorAll('[role="slider"]')) {
        if (el.offsetParent)
            seen[(el.getAttribute('aria-label') || 'slider').trim()] = el.getAttribute('aria-valuenow');
    }
    const step = (document.querySelector('[data-testid="stMain"]') || document.body).innerText
        .match(/step (\\d+) of (\\d+)/);
    if (step) { seen.step = +step[1]; seen.steps = +step[2]; }
    const unit = document.querySelector('.lv-stepper input[data-role="unit"]');
    if (unit) seen.unit = +unit.value;
    else {
        const box = [...document.querySelectorAll('[data-testid="stNumberInput"]')]
            .find((b) => /^Unit\\b/.test((b.querySelector('label') || {}).innerText || ''));
        if (box) seen.unit = +box.querySelector('input').value;
    }
    return seen;
}"""


def view_of(page, expected: dict | None = None, timeout_s: float = 15) -> dict:
    """The view a person sees: every input's and select's value by its label, the step shown and the unit.

    With ``expected``, polled until it matches (widgets fill in their values a moment after the run)."""
    import time

    deadline = time.monotonic() + timeout_s
    while True:
        seen = page.evaluate(_VIEW_JS)
        if expected is None or seen == expected or time.monotonic() > deadline:
            return seen
        page.wait_for_timeout(250)
