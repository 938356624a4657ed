"""How fast Step Through redraws after a step change, on the server and in a real browser.

``python -m benchmarks.page_latency [--steps N] [--no-browser]``

For a 200-character text through the shipped shakespeare-char model (200 tokens), it measures,
in one process:

(a) server side (AppTest): the median time of one rerun of the Step Through page after the
    ``step`` slider changes (goal <= 50 ms). AppTest reruns the whole page script; the trace
    comes from ``st.cache_data``, so no model runs;
(b) for comparison, one uncached ``LoadedModel.trace`` of the same text, i.e. what a step
    change would cost if it recomputed the model, and the per-step pure work of the page's
    fragment (token strip, gate strip, next-character bars, cell diagram) timed directly;
(c) in headless Chromium against ``streamlit run app.py``: the median time from pressing
    "Next" to the updated page (the step caption and the gate-strip heading of the new step,
    the strip of all units and the next-character bars drawn, Streamlit idle), measured inside
    the page with ``performance.now()`` (goal <= 300 ms). Only the page's ``st.fragment`` reruns.

The CPU load average is printed: on a busy machine every number grows.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL = "shakespeare-char"
# 200 characters of Hamlet (the model is character level: 200 tokens)
TEXT = (
    "To be, or not to be, that is the question: Whether 'tis nobler in the mind to suffer "
    "The slings and arrows of outrageous fortune, Or to take arms against a sea of troubles "
    "And by opposing end them. To die"
)[:200]
CHROMIUM = os.environ.get("LSTM_VIZ_CHROMIUM", "/usr/bin/chromium")


def server_side(steps: int) -> tuple[float, float]:
    """Median AppTest rerun after a step change, and one uncached trace, in seconds."""
    from streamlit.testing.v1 import AppTest

    from lstm_viz import zoo

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["model"] = MODEL
    at.session_state["text"] = TEXT
    at.switch_page("app_pages/step_through.py")
    at.run()
    assert not at.exception, at.exception
    assert len(at.metric) == 6, "Step Through did not render its values"
    at.slider(key="step").set_value(1).run()  # warm caches, figures, imports
    reruns = []
    for k in range(steps):
        slider = at.slider(key="step").set_value(2 + k % 190)
        start = time.perf_counter()
        slider.run()
        reruns.append(time.perf_counter() - start)
        assert not at.exception
    model = zoo.load(MODEL)
    traces = []
    for _ in range(5):
        start = time.perf_counter()
        model.trace(TEXT)
        traces.append(time.perf_counter() - start)
    return statistics.median(reruns), statistics.median(traces), figure_work(model.trace(TEXT), steps)


def figure_work(trace, steps: int) -> float:
    """Median time of what the Step Through fragment builds for one step (no Streamlit)."""
    from lstm_viz.analysis import equations
    from lstm_viz.plots import diagram, strips
    from lstm_viz.ui import widgets

    layer = trace.layers[0]
    quantities = layer.quantities()
    svg = widgets.CELL_SVG.read_text(encoding="utf-8")
    times = []
    for k in range(steps + 1):
        step = 1 + k % (len(trace) - 2)
        start = time.perf_counter()
        strips.token_strip_html(trace.tokens, step, quantities["forget_gate"][:, 3], window=400)
        strips.gate_strip_html({q: v[step] for q, v in quantities.items()}, unit=3)
        strips.next_token_bars_html(trace.probs[step], trace.output_labels, trace.tokens[step + 1])
        update = equations.cell_update(layer, step, 3)
        diagram.annotated_cell_svg(svg, widgets.diagram_values(update, layer, step, 3, trace.tokens[step]))
        if k:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CLICK_AND_WAIT = """async (target) => {
    const button = [...document.querySelectorAll('button')].find(b => b.innerText.includes('Next'));
    const t0 = performance.now();
    button.click();
    const heading = `at step ${target}`;
    return await new Promise((resolve, reject) => {
        const check = () => {
            // Cheap tests first, so that waiting does not slow the page down: the whole page's
            // text is read only once Streamlit is idle with the strip and bars on the page.
            const app = document.querySelector('[data-testid="stApp"]');
            const idle = app && app.getAttribute('data-test-script-state') === 'notRunning';
            const drawn = idle && document.querySelectorAll('.gate-strip .gs-row').length >= 6
                && document.querySelector('.next-bars') !== null;
            const text = drawn ? document.body.innerText : '';
            if (drawn && text.includes(`step ${target} of`) && text.includes(heading)) {
                resolve(performance.now() - t0);
            } else if (performance.now() - t0 > 20000) {
                reject(new Error('no update within 20 s'));
            } else {
                requestAnimationFrame(check);
            }
        };
        requestAnimationFrame(check);
    });
}"""


def browser_side(steps: int) -> float:
    """Median in-page time from clicking Next to the redrawn step, in seconds."""
    from playwright.sync_api import sync_playwright

    port = _free_port()
    home = tempfile.mkdtemp(prefix="lstm_viz_bench_")
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
        "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    server = subprocess.Popen(
        cmd, cwd=ROOT, env={**os.environ, "LSTM_VIZ_HOME": home}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        query = urllib.parse.urlencode({"model": MODEL, "text": TEXT, "step": 0, "unit": 0})
        sys.path.insert(0, str(ROOT))
        from tests.browser.browser_helpers import wait_for_render

        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM,
                args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.set_default_timeout(120_000)
            page.goto(f"{url}/step_through?{query}")
            wait_for_render(page, 120_000)
            times = []
            for k in range(1, steps + 2):
                ms = page.evaluate(CLICK_AND_WAIT, k)
                if k > 1:  # the first click warms the fragment path
                    times.append(ms / 1000)
            browser.close()
        return statistics.median(times)
    finally:
        server.terminate()
        server.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="step changes to time (default 20)")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium measurement")
    args = parser.parse_args()
    print(f"text: {len(TEXT)} characters = {len(TEXT)} tokens through {MODEL}; {args.steps} step changes")
    print(f"CPU load average (1 min): {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    rerun, trace_s, figures = server_side(args.steps)
    print(f"(a) server: median Step Through rerun after a step change (AppTest): {rerun * 1000:.1f} ms (goal <= 50)")
    print(f"(b) one uncached model trace of the same text: {trace_s * 1000:.1f} ms (not run on a step change)")
    print(f"    the fragment's figures for one step: {figures * 1000:.1f} ms; trace / rerun = {trace_s / rerun:.1f}x")
    if not args.no_browser:
        click = browser_side(args.steps)
        print(f"(c) Chromium: median time from pressing Next to the redrawn step: {click * 1000:.0f} ms (goal <= 300)")


if __name__ == "__main__":
    main()
