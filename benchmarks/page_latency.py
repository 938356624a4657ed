"""How fast Step Through, Equations and the Neuron Lab redraw after a step change: server path and browser path.

``python -m benchmarks.page_latency [--steps N] [--no-browser] [--smoke]``

For texts of 200 and 2,000 tokens through the shipped shakespeare-char model (2 layers of 256 units):

(a) server side (AppTest): the median time of one rerun of Step Through's server-side view after
    the ``step`` slider changes: what each step costs the server when the page draws it;
(b) for comparison, one uncached ``LoadedModel.trace`` of the text, and the pure work of that view
    for one step (token strip, gate strip, next-character bars, cell diagram) timed directly;
(c) the stepper's data (JSON, as sent): the first view's, and one further chunk of steps;
(d) in headless Chromium, each path against its own ``streamlit run app.py`` (the server path with
    ``LSTM_VIZ_CLIENT_STEPPER=0``): the median time from a click on Next, and from a → key press,
    to the redrawn step (measured inside the page with ``performance.now()``; goal <= 50 ms); how
    many steps 20 → presses at 20 per second move (goal: 20); the Play rate at the fastest speed
    each path offers (goal >= 30 tokens/s); the server's CPU time per step during those presses
    (its process's user + system time, /proc) and the script runs they caused.

(e) the same as (d) on the Equations page: its server path typesets with Streamlit's st.latex, a rerun
    per step; its browser path typesets the step's frames with KaTeX in the page (no Play there).
(g) the same as (d) on the Neuron Lab's ranking at a step ("A moment"): its server path is the "At step"
    slider (focused, its → key; it has no Next button), a rerun per step that draws Streamlit's table and a
    Plotly chart; its browser path draws the step's table, sentence and chart in the page.
(f) in headless Chromium, Gate Heatmaps' first render: the time from opening a link to the page
    (a fresh tab, the model already loaded by the server, a text not traced yet) to the heatmap drawn, for each text
    (goal < 2 s at 200 tokens); the very first open of the server, model load included, apart; then a click on
    a cell to its caption and value boxes drawn in the page (goal <= 50 ms).

The CPU load average is printed: on a busy machine every number grows.
"""

from __future__ import annotations

import argparse
import contextlib
import json
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

from tests.factory import HAMLET

ROOT = Path(__file__).resolve().parents[1]
MODEL = "shakespeare-char"
TEXT = HAMLET  # 200 characters of Hamlet (the model is character level: 200 tokens)
LONG_TEXT = (ROOT / "assets" / "data" / "tinyshakespeare.txt").read_text(encoding="utf-8")[5000:7000]  # 2,000 tokens
CHROMIUM = os.environ.get("LSTM_VIZ_CHROMIUM", "/usr/bin/chromium")
PATHS = ("server", "stepper")  # the server-side view, the browser-side stepper


def server_side(steps: int, text: str = TEXT) -> tuple[float, float, float]:
    """Median AppTest rerun of the server-side view after a step change, one uncached trace, one step's figures (s)."""
    from streamlit.testing.v1 import AppTest

    from lstm_viz.store import zoo

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["model"] = MODEL
    at.session_state["text"] = text
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
        model.trace(text)
        traces.append(time.perf_counter() - start)
    return statistics.median(reruns), statistics.median(traces), figure_work(model.trace(text), steps)


def figure_work(trace, steps: int) -> float:
    """Median time of what the server-side view builds for one step (no Streamlit)."""
    from lstm_viz.analysis import equations
    from lstm_viz.plots import diagram, strips
    from lstm_viz.ui import diagram as cell_diagram
    from lstm_viz.ui import stepper

    layer = trace.layers[0]
    quantities = layer.quantities()
    svg = cell_diagram.CELL_SVG.read_text(encoding="utf-8")
    times = []
    for k in range(steps + 1):
        step = 1 + k % (len(trace) - 2)
        start = time.perf_counter()
        strips.token_strip_html(trace.tokens, step, quantities["forget_gate"][:, 3], window=stepper.STRIP_WINDOW)
        strips.gate_strip_html({q: v[step] for q, v in quantities.items()}, unit=3)
        strips.next_token_bars_html(trace.probs[step], trace.output_labels, trace.tokens[step + 1])
        update = equations.cell_update(layer, step, 3)
        diagram.annotated_cell_svg(svg, cell_diagram.diagram_values(update, layer, step, 3, trace.tokens[step]))
        if k:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def payload_sizes() -> dict[str, int]:
    """Bytes of the stepper's data as JSON: each text's first view (at step 0 and mid-text) and one further chunk."""
    from lstm_viz.plots import stepper_payload as sp
    from lstm_viz.store import zoo
    from lstm_viz.ui import stepper

    model, sizes = zoo.load(MODEL), {}
    for name, text in (("200", TEXT), ("2000", LONG_TEXT)):
        trace = model.trace(text)
        payload = sp.layer_payload(trace, 0, name, stepper.STRIP_WINDOW)
        steps = payload["chunks"]["steps"]
        for where, step in (("start", 0), ("middle", len(trace) // 2)):
            chunks = {str(k): sp.encode_chunk(trace.layers[0], k, steps) for k in sp.initial_chunks(payload, step)}
            sizes[f"{name} {where}"] = len(json.dumps({"payload": payload, "view": {}, "chunks": chunks}))
            sizes[f"{name} {where} chunks"] = len(chunks)
        sizes[f"{name} payload"] = len(json.dumps(payload))
        sizes[f"{name} chunk"] = len(json.dumps(sp.encode_chunk(trace.layers[0], 1, steps)))
        sizes["chunk steps"] = steps
    return sizes


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def app_server(path: str, env: dict | None = None):
    """``streamlit run app.py`` on a free port, the stepper on or off (and ``env`` set); yields (url, pid)."""
    port = _free_port()
    home = tempfile.mkdtemp(prefix="lstm_viz_bench_")
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
        "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    stepper = "1" if path == "stepper" else "0"
    env = {**os.environ, **(env or {}), "LSTM_VIZ_HOME": home, "LSTM_VIZ_CLIENT_STEPPER": stepper}
    server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        yield url, server.pid
    finally:
        server.terminate()
        server.wait(timeout=20)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# Is step `target` on screen? A browser-side view (Step Through's stepper, the Equations page's numbers): its
# root says so and has the values. The server path: Streamlit idle and, on Step Through, the step caption and
# the strip heading of the new step, the strip of all units and the bars drawn; on Equations, the
# new step's caption and its equations typeset.
ROOTS = '.lv-stepper[data-state="live"], .lv-eqs[data-state="live"], .lv-moment[data-state="live"]'
DRAWN = (
    """(target) => {
    const root = document.querySelector('"""
    + ROOTS
    + """');
    if (root) return root.dataset.step === String(target) && root.dataset.loaded === 'true';
    const app = document.querySelector('[data-testid="stApp"]');
    const idle = app && app.getAttribute('data-test-script-state') === 'notRunning';
    if (location.pathname.endsWith('/neuron_lab')) {
        return idle && document.body.innerText.includes(`step ${target} of`)
            && document.querySelector('[data-testid="stDataFrame"]') !== null
            && document.querySelector('[data-testid="stPlotlyChart"] .main-svg') !== null;
    }
    if (location.pathname.endsWith('/equations')) {
        return idle && document.body.innerText.includes(`step ${target} of`)
            && document.querySelectorAll('.katex').length >= 5;
    }
    const drawn = idle && document.querySelectorAll('.gate-strip .gs-row').length >= 6
        && document.querySelector('.next-bars') !== null;
    const text = drawn ? document.body.innerText : '';
    return drawn && text.includes(`step ${target} of`) && text.includes(`at step ${target}`);
}"""
)

# In every page before its scripts: a count of script runs (full or fragment), and, for each key press, the
# time from its keydown (window, capture phase: before the page's own handlers) to the first animation frame
# that shows the step expected (``__lv.expect``), all measured inside the page.
INSTRUMENT = (
    """
window.__lv = {runs: 0, expect: null, keyAt: null, drawnAt: null, drawn: """
    + DRAWN
    + """};
window.addEventListener('keydown', () => {
    const lv = window.__lv;
    lv.keyAt = performance.now();
    lv.drawnAt = null;
    if (lv.expect === null) return;
    const check = () => {
        if (lv.drawn(lv.expect)) lv.drawnAt = performance.now();
        else if (performance.now() - lv.keyAt < 20000) requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
}, true);
document.addEventListener('DOMContentLoaded', () => {
    const watch = () => {
        const app = document.querySelector('[data-testid="stApp"]');
        if (!app) return setTimeout(watch, 50);
        const STATE = 'data-test-script-state';
        // a quick run can start and end before the observer is called: each record's value is the next
        // record's old value (the last one's is the attribute), so no run is missed
        new MutationObserver((records) => {
            records.forEach((r, k) => {
                const value = k + 1 < records.length ? records[k + 1].oldValue : app.getAttribute(STATE);
                if (value === 'running' && r.oldValue !== 'running') window.__lv.runs += 1;
            });
        }).observe(app, {attributes: true, attributeFilter: [STATE], attributeOldValue: true});
    };
    watch();
});
"""
)

# Milliseconds from a click on Next to the first animation frame that shows step `target`; the checks are
# cheap until Streamlit is idle, so waiting does not slow the page.
CLICK_AND_WAIT = (
    """async (target) => {
    const drawn = """
    + DRAWN
    + """;
    const root = document.querySelector('"""
    + ROOTS
    + """');
    const button = root ? root.querySelector('button[data-act="next"]')
        : [...document.querySelectorAll('button')].find(b => b.innerText.includes('Next'));
    const t0 = performance.now();
    button.click();
    return await new Promise((resolve, reject) => {
        const check = () => {
            if (drawn(target)) resolve(performance.now() - t0);
            else if (performance.now() - t0 > 20000) reject(new Error(`step ${target} not drawn within 20 s`));
            else requestAnimationFrame(check);
        };
        requestAnimationFrame(check);  // the first frame after the change: what the reader sees
    });
}"""
)

SHOWN_STEP = (
    """() => {
    const root = document.querySelector('"""
    + ROOTS
    + """');
    if (root) return Number(root.dataset.step);
    const found = /step (\\d+) of/.exec(document.body.innerText);
    return found ? Number(found[1]) : -1;
}"""
)

# Steps per second while playing, from the first step change seen to the last one within `seconds`.
PLAY_RATE = (
    """async (seconds) => {
    const shown = """
    + SHOWN_STEP
    + """;
    const interval = document.querySelector('.lv-stepper[data-state="live"]') ? 5 : 50;
    const start = shown();
    return await new Promise((resolve) => {
        let first = null, last = null;
        const timer = setInterval(() => {
            const now = performance.now(), step = shown();
            if (first === null) { if (step !== start) first = last = [now, step]; return; }
            if (step !== last[1]) last = [now, step];
            if (now - first[0] >= seconds * 1000) {
                clearInterval(timer);
                resolve(last[0] > first[0] ? (last[1] - first[1]) * 1000 / (last[0] - first[0]) : 0);
            }
        }, interval);
    });
}"""
)


def _idle(page, quiet_ms: int = 600) -> None:
    from tests.system.browser.browser_helpers import wait_for_render

    wait_for_render(page, 120_000, quiet_ms=quiet_ms)


def _play_rate(page, path: str, seconds: float) -> float:
    """Tokens per second Play reaches at the path's fastest speed (10 on the server path's slider, 30 here)."""
    toggle = page.locator('[data-testid="stCheckbox"]').filter(has_text="Play").locator("label")
    if path == "stepper":
        page.keyboard.press("9")
        page.keyboard.press(" ")
    else:
        speed = page.locator('[data-testid="stSlider"]').filter(has_text="Play speed").get_by_role("slider")
        speed.focus()
        speed.press("End")
        _idle(page)
        toggle.click()
    rate = page.evaluate(PLAY_RATE, seconds)
    if path == "stepper":
        page.keyboard.press(" ")
    else:
        toggle.click()
    _idle(page)
    return rate


# each page that steps, and its browser-side root
VIEWS = {"step_through": ".lv-stepper", "equations": ".lv-eqs", "neuron_lab": ".lv-moment"}


def measure(page, url: str, path: str, text: str, steps: int, presses: int, play_s: float, pid: int, view: str) -> dict:
    """The Chromium measurements of one path for one text on one page (see the module docstring, (d), (e), (g))."""
    query = urllib.parse.urlencode({"model": MODEL, "text": text, "step": 0, "unit": 3})
    page.goto(f"{url}/{view}?{query}")
    _idle(page)
    if path == "stepper":
        page.wait_for_selector(f'{VIEWS[view]}[data-state="live"][data-loaded="true"]')
        _idle(page)
    step, result, clicks, keys = 0, {}, [], []
    slider_only = view == "neuron_lab" and path == "server"  # no Next button: its slider steps
    for k in range(0 if slider_only else steps + 1):  # the first of each warms the path
        step += 1
        ms = page.evaluate(CLICK_AND_WAIT, step)
        if k:
            clicks.append(ms)
    if slider_only:  # its → key goes to the focused slider
        page.locator('[data-testid="stSlider"]').filter(has_text="At step").get_by_role("slider").focus()
    else:
        page.locator("h1").first.click()  # the focus on the page, so that the keys reach the shortcuts
    for k in range(steps + 1):
        step += 1
        page.evaluate("(target) => { window.__lv.expect = target; }", step)
        page.keyboard.press("ArrowRight")
        page.wait_for_function("() => window.__lv.drawnAt !== null", timeout=30_000)
        if k:
            keys.append(page.evaluate("() => window.__lv.drawnAt - window.__lv.keyAt"))
        _idle(page, quiet_ms=100)
    page.evaluate("() => { window.__lv.expect = null; }")
    _idle(page)
    result["next_ms"], result["key_ms"] = statistics.median(clicks) if clicks else None, statistics.median(keys)
    before, cpu, runs = page.evaluate(SHOWN_STEP), cpu_seconds(pid), page.evaluate("window.__lv.runs")
    for _ in range(presses):  # presses at 20 per second
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(50)
    _idle(page, quiet_ms=1500)  # every step drawn, every report sent and answered
    result["moved"] = page.evaluate(SHOWN_STEP) - before
    result["cpu_ms_per_step"] = (cpu_seconds(pid) - cpu) * 1000 / presses
    result["runs"] = page.evaluate("window.__lv.runs") - runs
    if view == "step_through":  # Equations has no Play
        result["play"] = _play_rate(page, path, play_s)
    return result


def browser_side(path: str, texts: dict[str, str], steps: int, presses: int, play_s: float) -> dict[tuple, dict]:
    """Each page's and text's measurements on one path, against one server, by (page, text name)."""
    from playwright.sync_api import sync_playwright

    with app_server(path) as (url, pid), sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        found = {}
        for view in VIEWS:
            for name, text in texts.items():
                page = browser.new_page(viewport={"width": 1600, "height": 1000})
                page.set_default_timeout(120_000)
                page.add_init_script(INSTRUMENT)
                found[(view, name)] = measure(page, url, path, text, steps, presses, play_s, pid, view)
                page.close()
        browser.close()
    return found


HEATMAP_DRAWN = """() => {  // the canvas heatmap drawn, or (where it does not run) the Plotly one
    const canvas = document.querySelector('.lv-heatmap[data-state="live"] canvas');
    if (canvas && canvas.width > 0) return true;
    const svg = document.querySelector('[data-testid="stPlotlyChart"] .main-svg .heatmaplayer');
    return svg !== null && svg.querySelector('image, path') !== null; }"""


# Milliseconds from a click on the canvas heatmap (at fractions fx, fy of its cells) to the animation frame that
# shows the clicked step's caption and the unit's value boxes: the canvas's own (drawn in the page) where the
# view's data holds them, else the server's (after its run); and which of the two drew them.
HEATMAP_CLICK = r"""async ([fx, fy]) => {
    const root = document.querySelector('.lv-heatmap[data-state="live"]');
    const canvas = root.querySelector('canvas'), box = canvas.getBoundingClientRect();
    const rows = Number(canvas.dataset.rows) * Number(canvas.dataset.rowHeight);
    const x = box.left + 52 + (box.width - 52 - 78) * fx, y = box.top + 6 + rows * fy;
    const mine = root.querySelector('.lvh-boxes'), theirs = document.querySelector('.st-key-hm_values');
    const before = [mine.textContent, theirs.textContent];
    const app = document.querySelector('[data-testid="stApp"]');
    const t0 = performance.now();
    canvas.dispatchEvent(new MouseEvent('click', {clientX: x, clientY: y, bubbles: true}));
    return await new Promise((resolve, reject) => {
        const check = () => {
            const inPage = root.dataset.boxes === 'true';
            const idle = app.getAttribute('data-test-script-state') === 'notRunning';
            if (inPage && mine.textContent !== before[0]) resolve([performance.now() - t0, true]);
            else if (!inPage && idle && theirs.textContent !== before[1]) resolve([performance.now() - t0, false]);
            else if (performance.now() - t0 > 20000) reject(new Error('no value boxes within 20 s'));
            else requestAnimationFrame(check);
        };
        requestAnimationFrame(check);
    });
}"""


def heatmaps_first_render(texts: dict[str, str], repeats: int) -> dict[str, list[float]]:
    """Seconds to Gate Heatmaps' drawn heatmap, for a text the server has not traced yet.

    "link NAME": a link opened in a fresh browser (nothing cached: the app's code loads too);
    "nav NAME": a click on Gate Heatmaps in the sidebar of an open Step Through tab where the text
    was just typed (what a student does; the tab's first heatmap, its default 48 units); "cold": the
    server's very first open. After each link's render, "click NAME": milliseconds from a click on a cell to
    its caption and value boxes drawn.
    """
    from playwright.sync_api import sync_playwright

    from tests.system.browser.browser_helpers import wait_for_render

    found: dict[str, list[float]] = {}
    with app_server("stepper") as (url, _), sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        runs = [("cold", "link", TEXT)] + [(n, how, t) for n, t in texts.items() for how in ("link", "nav")] * repeats
        for k, (name, how, text) in enumerate(runs):
            context = browser.new_context(viewport={"width": 1600, "height": 1000})
            page = context.new_page()
            unique = text[:-2] + f"{k:02d}"  # a text the server has not traced yet: its trace is part of the render
            query = urllib.parse.urlencode({"model": MODEL, "text": unique, "step": 0, "unit": 3, "count": 64})
            if how == "nav":
                page.goto(f"{url}/step_through?{urllib.parse.urlencode({'model': MODEL, 'text': text})}")
                wait_for_render(page, 120_000)
                box = page.locator('[data-testid="stSidebar"] textarea')
                box.fill(unique)
                box.press("Control+Enter")
                wait_for_render(page, 120_000)
                start = time.perf_counter()
                page.locator('[data-testid="stSidebarNav"] a').filter(has_text="Gate Heatmaps").first.click()
            else:
                start = time.perf_counter()
                page.goto(f"{url}/heatmaps?{query}")
            page.wait_for_function(HEATMAP_DRAWN, timeout=120_000, polling=20)
            key = name if name == "cold" else f"{how} {name}"
            found.setdefault(key, []).append(time.perf_counter() - start)
            if how == "link" and name != "cold":
                wait_for_render(page, 120_000)
                found.setdefault(f"click {name}", []).append(page.evaluate(HEATMAP_CLICK, [0.3 + 0.1 * (k % 5), 0.5]))
            context.close()
        browser.close()
    return found


def _table(found: dict, view: str, rows: list[tuple]) -> None:
    names = sorted({name for (v, _, name) in found if v == view}, key=int)
    for label, key, fmt, goal in rows:
        for name in names:
            server, client = (
                "n/a" if found[(view, path, name)][key] is None else fmt.format(found[(view, path, name)][key])
                for path in PATHS
            )
            print(f"    {label + ', ' + f'{int(name):,}' + ' tokens':<44}{server:>12}{client:>11}    {goal}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="step changes to time per measurement (default 20)")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium measurements")
    parser.add_argument(
        "--smoke", action="store_true", help="a short run (3 steps, 5 presses, 1 s of Play; Chromium: 200 tokens only)"
    )
    args = parser.parse_args()
    steps, presses, play_s = (3, 5, 1.0) if args.smoke else (args.steps, 20, 3.0)
    sys.path.insert(0, str(ROOT))
    print(f"texts: {len(TEXT):,} and {len(LONG_TEXT):,} tokens through {MODEL} (2 layers x 256 units); {steps} steps")
    print(f"CPU load average (1 min): {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    rerun, trace_s, figures = server_side(steps)
    long_rerun, _, _ = server_side(steps, LONG_TEXT)
    print(
        f"(a) server: median rerun of the server-side view after a step change (AppTest): {rerun * 1000:.1f} ms at "
        f"200 tokens, {long_rerun * 1000:.1f} ms at 2,000 ({long_rerun / rerun:.2f}x; goal <= 1.3x)"
    )
    print(f"(b) one uncached model trace of the 200-token text: {trace_s * 1000:.1f} ms (not run on a step change)")
    print(f"    the server-side view's figures for one step: {figures * 1000:.1f} ms")
    sizes = payload_sizes()
    chunk = sizes["chunk steps"]
    print(f"(c) the stepper's data (JSON, sent once per model, text and layer; chunks of {chunk} steps):")
    for name in ("200", "2000"):
        print(
            f"    {int(name):,} tokens: first view {sizes[f'{name} start'] / 1000:,.0f} KB at step 0 "
            f"({sizes[f'{name} start chunks']} chunks), {sizes[f'{name} middle'] / 1000:,.0f} KB mid-text "
            f"({sizes[f'{name} middle chunks']} chunks); without values {sizes[f'{name} payload'] / 1000:,.0f} KB; "
            f"each further chunk {sizes[f'{name} chunk'] / 1000:,.0f} KB"
        )
    if args.no_browser:
        return
    texts = {"200": TEXT} if args.smoke else {"200": TEXT, "2000": LONG_TEXT}  # the short run: the short text
    found = {}
    for path in PATHS:
        for (view, name), result in browser_side(path, texts, steps, presses, play_s).items():
            found[(view, path, name)] = result
    print("(d) Chromium, Step Through                      server path    stepper    goal")
    rows = [
        ("Next click -> redrawn step, ms", "next_ms", "{:.0f}", "<= 50"),
        ("-> key -> redrawn step, ms", "key_ms", "{:.0f}", "<= 50"),
        (f"{presses} -> presses at 20/s: steps moved", "moved", "{:.0f}", f"{presses}"),
        ("Play, tokens/s (fastest: 10 | 30)", "play", "{:.1f}", ">= 30"),
        ("server CPU per step during the presses, ms", "cpu_ms_per_step", "{:.1f}", "near 0"),
        (f"script runs during the {presses} presses", "runs", "{:.0f}", "0-2"),
    ]
    _table(found, "step_through", rows)
    print("(e) Chromium, Equations (typeset by Streamlit | KaTeX in the component)  server path    browser    goal")
    _table(found, "equations", [row for row in rows if row[1] != "play"])
    print("(g) Chromium, Neuron Lab, A moment (Streamlit's table | in the page)      server path    browser    goal")
    _table(found, "neuron_lab", [row for row in rows if row[1] != "play"])
    first = heatmaps_first_render(texts, repeats=1 if args.smoke else 5)
    print("(f) Gate Heatmaps' first render, to the heatmap drawn (median), a new text; goal < 2 s at 200 tokens:")
    print(f"    the server's first open (model loaded then): {first.pop('cold')[0]:.2f} s")
    clicks = {key: first.pop(key) for key in list(first) if key.startswith("click ")}
    for key, times in first.items():
        how, name = key.split()
        what = "sidebar click from Step Through" if how == "nav" else "link in a fresh browser"
        spread = f"{min(times):.2f}-{max(times):.2f}"
        print(f"    {what}, {int(name):,} tokens: {statistics.median(times):.2f} s (of {len(times)}: {spread})")
    for key, found_clicks in clicks.items():
        where = "in the page" if all(in_page for _, in_page in found_clicks) else "by the server (too many values)"
        print(
            f"    a click on a cell -> its caption and value boxes drawn, {int(key.split()[1]):,} tokens: "
            f"{statistics.median(ms for ms, _ in found_clicks):.0f} ms {where} (of {len(found_clicks)}; goal <= 50 ms)"
        )


if __name__ == "__main__":
    main()
