"""Real-browser fixtures: a ``streamlit run app.py`` server and a headless Chromium page.

The server runs once per test session on a free localhost port with ``LSTM_VIZ_HOME`` in a
temporary folder (so user models of the developer never leak in). Chromium is Debian's
``/usr/bin/chromium`` driven by playwright (no browser download). When Chromium or playwright
is missing the tests fail under ``CI=true`` and skip elsewhere, with the reason.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.system.browser.browser_helpers import ARTIFACTS, screenshot, tab, wait_for_render  # noqa: F401 - re-exported

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = os.environ.get("LSTM_VIZ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
START_TIMEOUT_S = 90


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/system/browser" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)  # no reruns: a wait that races is fixed where it waits


def _missing(reason: str):
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (CI=true: real-browser tests must run, not skip)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="package")
def app_url(tmp_path_factory):
    """Base URL of a fresh ``streamlit run app.py`` (killed at the end of the session)."""
    port = _free_port()
    home = tmp_path_factory.mktemp("lstm_viz_home")
    env = {**os.environ, "LSTM_VIZ_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    log = open(tmp_path_factory.mktemp("server") / "streamlit.log", "w+")  # noqa: SIM115 - closed below
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
        "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while True:
            if proc.poll() is not None:
                log.seek(0)
                pytest.fail(f"streamlit exited with {proc.returncode}:\n{log.read()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not answer on {url} within {START_TIMEOUT_S} s")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="package")
def browser():
    """One Chromium for the browser tests, closed when they are done.

    Package scope, not session: playwright's sync API keeps its event loop marked as running while it
    is open, so a later test that calls ``asyncio.run`` or opens its own playwright (the deployment
    tests) would fail if this one stayed open for the rest of the run.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _missing(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh 1600x1000 browser tab (a classroom projector's worth of pixels)."""
    with tab(browser, 1600, 1000) as fresh:
        yield fresh
