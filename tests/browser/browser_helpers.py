"""Helpers for real-browser tests: wait for Streamlit to finish rendering, save screenshots."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
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
                page.wait_for_timeout(200)  # let charts finish their first paint
                return
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
