"""Helpers for real-browser tests: wait for Streamlit to finish rendering, save screenshots."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


def wait_for_render(page, timeout_ms: int = 30_000) -> None:
    """Wait until Streamlit has connected and finished running the script (no "Running…")."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    page.wait_for_function(
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            if (!app) return false;
            if (document.querySelector('[data-testid="stStatusWidget"]')) return false;
            if (document.querySelector('[data-testid="stSkeleton"]')) return false;
            return app.getAttribute('data-test-script-state') !== 'running';
        }""",
        timeout=timeout_ms,
    )
    page.wait_for_timeout(300)  # let charts finish their first paint


def screenshot(page, name: str, full_page: bool = True) -> Path:
    """Save a PNG of the page under test-artifacts/ (gitignored) and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
