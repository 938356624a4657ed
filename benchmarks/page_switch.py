"""How long a class waits after a click: every page switch and every lesson stop, as shipped and with nothing kept.

``python -m benchmarks.page_switch [--rounds N] [--dwell S] [--smoke]``

Two ``streamlit run app.py`` servers side by side: one as shipped (charts built once per distinct input and
kept, :func:`lstm_viz.ui.cache.figure`; a lesson's next stop computed while the class looks at this one), one
with both off (``LSTM_VIZ_FIGURE_CACHE_MB=0``, ``LSTM_VIZ_LESSON_AHEAD=0``). In headless Chromium at 1600x1000:

(a) page switches: one tab per server goes round the sidebar once to warm up (models loaded, texts traced,
    each widget's code fetched), then ``--rounds`` more times; each figure is the time from the click on a
    page's sidebar link to the page idle with its title shown (the script done, no element still loading,
    every chart drawn), the median of the rounds. Goal: 0.5 s a page.
(b) lesson stops: every shipped lesson once through, from its first stop, as a class meets it the first time
    (each stop's facts not computed yet, unless computed ahead): the class looks at a stop for ``--dwell``
    seconds, then → ; the time from the key to the next stop's title drawn and the page idle. Goal: 0.3 s.

(c) Generate: Write 300 characters with the default model; from the click on Generate to the first written
    characters on screen (goal 0.3 s) and to all 300 with their colours (goal 1 s), measured inside the page.
(d) Classify: the first open of the page on a fresh server (the classifier loaded and its text read; goal
    1.5 s), then a new text typed (Ctrl+Enter to the new prediction drawn; goal 0.3 s).

The server's resident memory is printed after the rounds (every page opened with its default model).
The CPU load average is printed too: on a busy machine every number grows.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

from benchmarks.load import rss_mb
from benchmarks.page_latency import CHROMIUM, app_server
from lstm_viz.ui import pages

GOAL_S = 0.5
STOP_GOAL_S = 0.3
FIRST_CHARS_GOAL_S, WRITTEN_GOAL_S = 0.3, 1.0
CLASSIFY_OPEN_GOAL_S, CLASSIFY_TEXT_GOAL_S = 1.5, 0.3
GENERATE_LENGTH = 300
SETTLED = """(title) => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    if (document.querySelector('[data-testid="stStatusWidget"]')) return false;
    if (document.querySelector('[data-testid="stSkeleton"]')) return false;
    for (const chart of document.querySelectorAll('[data-testid="stPlotlyChart"]'))
        if (!chart.querySelector('.main-svg')) return false;
    for (const lines of document.querySelectorAll('img.tl-svg'))  // Classify's lines: an image, decoded
        if (!lines.complete || !lines.naturalWidth) return false;
    const h1 = document.querySelector('[data-testid="stMain"] h1');
    return !!h1 && h1.innerText.trim().startsWith(title);
}"""
# pages whose first heading is not their sidebar title
HEADINGS = {pages.HOME: "lstm-viz", pages.RNN_VS_LSTM: "RNN versus LSTM"}


def switch(page, title: str, heading: str) -> float:
    """Seconds from the click on ``title`` in the sidebar to the page settled with ``heading`` shown."""
    link = page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title).first
    start = time.perf_counter()
    link.click()
    while True:  # the first moment it is settled, confirmed by staying so for 0.4 s (a rerun would restart it)
        page.wait_for_function(SETTLED, arg=heading, timeout=120_000, polling=10)
        done = time.perf_counter() - start
        page.wait_for_timeout(400)
        if page.evaluate(SETTLED, heading):
            return done


STOP_DRAWN = """(title) => {
    const h2 = document.querySelector('[data-testid="stMain"] h2');
    return !!h2 && h2.innerText.trim() === title;
}"""


def lesson_stops(url: str, browser, lessons, dwell: float) -> list[float]:
    """Seconds from → to each next stop drawn, every stop of ``lessons`` in order (see the module docstring)."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    found = []
    for lesson in lessons:
        page.goto(f"{url}/lessons?lesson={lesson.id}&stop=1")
        page.wait_for_function(STOP_DRAWN, arg=lesson.stops[0].title, timeout=120_000, polling=50)
        page.wait_for_function(SETTLED, arg="Lessons", timeout=120_000, polling=50)
        for stop in lesson.stops[1:]:
            page.wait_for_timeout(dwell * 1000)
            start = time.perf_counter()
            page.keyboard.press("ArrowRight")
            page.wait_for_function(STOP_DRAWN, arg=stop.title, timeout=120_000, polling=10)
            page.wait_for_function(SETTLED, arg="Lessons", timeout=120_000, polling=10)
            found.append(time.perf_counter() - start)
    context.close()
    return found


# Installed just before the click on Generate: at each animation frame (what the reader sees) the page
# notes (performance.now, ms after the click) when the text first shows more than the prime, and when the
# finished text is drawn (its caption names this round's seed); then it stops looking. One look per frame,
# so that watching does not slow the page.
WATCH_WRITING = (
    """([prime, seed]) => {
    const t0 = performance.now();
    const all = (what) => [...document.querySelectorAll('[data-testid="stMain"] ' + what)];
    const w = window.__lv_writing = {first: null, done: null};
    const look = () => {
        const now = performance.now() - t0;
        const streamed = all('[data-testid="stMarkdownContainer"], [data-testid="stCode"]').some(
            e => e.innerText.startsWith(prime) && e.innerText.length > prime.length);
        if (w.first === null && streamed) w.first = now;
        const done = all('[data-testid="stMetric"]').some(
            m => m.innerText.includes('written') && m.innerText.includes('LENGTH'))
            && all('[data-testid="stCaptionContainer"]').some(c => c.innerText.includes(`, seed ${seed}.`));
        if (done) {
            w.done = now;
            if (w.first === null) w.first = now;
        } else if (now < 120000) requestAnimationFrame(look);
    };
    requestAnimationFrame(look);
}"""
).replace("LENGTH", str(GENERATE_LENGTH))


def generate_times(url: str, browser, rounds: int) -> tuple[list[float], list[float]]:
    """Seconds from the click on Generate to the first written characters, and to all of them, per round."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    page.goto(f"{url}/generate?length={GENERATE_LENGTH}")
    page.wait_for_function(SETTLED, arg="Generate", timeout=120_000, polling=50)
    prime = page.get_by_label("Prime: the text the model reads first").input_value()
    firsts, totals = [], []
    for k in range(rounds + 1):  # round 0 warms up
        seed = page.get_by_label("Seed", exact=True).first
        seed.fill(str(100 + k))
        seed.press("Enter")
        page.wait_for_timeout(1000)
        page.wait_for_function(SETTLED, arg="Generate", timeout=120_000, polling=50)
        page.evaluate(WATCH_WRITING, [prime, 100 + k])
        page.get_by_role("button", name="Generate").click()
        page.wait_for_function("() => window.__lv_writing.done !== null", timeout=120_000, polling=20)
        found = page.evaluate("() => window.__lv_writing")
        if k:
            firsts.append(found["first"] / 1000)
            totals.append(found["done"] / 1000)
    context.close()
    return firsts, totals


READ = """() => {
    const m = [...document.querySelectorAll('[data-testid="stMetric"]')].find(
        x => x.innerText.startsWith('Tokens read'));
    return m ? m.innerText : null;
}"""


def classify_times(url: str, browser, texts: list[str]) -> tuple[float, list[float]]:
    """The first open of Classify (a sidebar click on a fresh server), then each new text to its prediction."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    page.goto(url)
    page.wait_for_function(SETTLED, arg="lstm-viz", timeout=120_000, polling=50)
    first = switch(page, "Classify", "Classify")
    found = []
    for text in texts:  # each of a length the page has not shown: its "Tokens read" tells the new one is drawn
        box = page.get_by_label("Text to classify")
        before = page.evaluate(READ)
        box.fill(text)
        start = time.perf_counter()
        box.press("Control+Enter")
        page.wait_for_function(f"() => ({READ})() !== {json.dumps(before)}", timeout=120_000, polling=10)
        page.wait_for_function(SETTLED, arg="Classify", timeout=120_000, polling=10)
        found.append(time.perf_counter() - start)
        page.wait_for_timeout(500)
    context.close()
    return first, found


REVIEWS = [  # 11, 14 and 17 words: each a new count of tokens read
    "The soup was cold and the waiter ignored us all evening.",
    "Lovely staff, generous portions, and the best bread in town, we will be back soon.",
    "Not bad, but the room was noisy, the service slow and the wine far too dear for what it was.",
]


def memory_figures(url: str, pid: int, sessions: int) -> dict[str, float]:
    """The server's resident memory (MB) after the rounds, with every shipped model opened once (a session of
    Step Through on each), and with ``sessions`` more sessions, each stepping through its own text."""
    import asyncio

    from benchmarks.load import classroom, view
    from lstm_viz.store import zoo

    found = {"after the rounds": rss_mb([pid])}
    shipped = [info.name for info in zoo.list() if info.shipped]
    for name in shipped:
        view(url, "step_through", {"model": name})
    found[f"every shipped model opened once ({len(shipped)})"] = rss_mb([pid])
    asyncio.run(classroom(url, "equations", sessions, 4.0, 2.0, [pid]))
    found[f"and {sessions} sessions, each its own text"] = rss_mb([pid])
    return found


def measure(url: str, browser, rounds: int, order: list[tuple[str, str]]) -> dict[str, list[float]]:
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    page.goto(url)
    page.wait_for_function(SETTLED, arg="lstm-viz", timeout=120_000, polling=50)
    found: dict[str, list[float]] = {}
    for k in range(rounds + 1):  # round 0 warms up
        for path, title in order:
            took = switch(page, title, HEADINGS.get(path, title))
            if k:
                found.setdefault(title, []).append(took)
    context.close()
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds after the warm-up (default 3)")
    parser.add_argument("--dwell", type=float, default=3.0, help="seconds the class looks at a stop (default 3)")
    parser.add_argument("--smoke", action="store_true", help="CI: one round, three pages, one lesson")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        raise SystemExit(f"error: --rounds must be at least 1, got {args.rounds}")
    order = [(path, title) for _, path, title, _ in pages.PAGES if path != pages.TRAIN and path not in pages.HIDDEN]
    if args.smoke:
        args.rounds = 1
        order = [o for o in order if o[0] in (pages.HOME, pages.HEATMAPS, pages.NEURON_LAB)]
    order = order[1:] + order[:1]  # the tab opens on Home: the first click goes elsewhere
    from lstm_viz.lessons import schema

    lessons = schema.shipped()[:1] if args.smoke else schema.shipped()

    from playwright.sync_api import sync_playwright

    results, stops, memory, shipped = {}, {}, {}, {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        nothing_kept = {"LSTM_VIZ_FIGURE_CACHE_MB": "0", "LSTM_VIZ_LESSON_AHEAD": "0"}
        for label, env in (("as shipped", None), ("nothing kept", nothing_kept)):
            with app_server("stepper", env=env) as (url, pid):
                if label == "as shipped":  # a fresh server: Classify's first open first
                    shipped["classify"] = classify_times(url, browser, REVIEWS[:1] if args.smoke else REVIEWS)
                    shipped["generate"] = generate_times(url, browser, args.rounds)
                stops[label] = lesson_stops(url, browser, lessons, args.dwell)
                results[label] = measure(url, browser, args.rounds, order)
                memory[label] = rss_mb([pid])
                if label == "as shipped":
                    with ThreadPoolExecutor(1) as pool:  # its own event loop: Playwright's runs in this thread
                        shipped["memory"] = pool.submit(memory_figures, url, pid, 3 if args.smoke else 30).result()
        browser.close()

    print(f"(a) sidebar click to the page idle, median of {args.rounds} after a warm-up round, Chromium 1600x1000; "
          f"load average {os.getloadavg()[0]:.1f}\n")  # fmt: skip
    kept, rebuilt = results["as shipped"], results["nothing kept"]
    print(f"{'page':<16}{'as shipped':>12}{'nothing kept':>14}{'ratio':>8}  goal {GOAL_S} s")
    met = 0
    for _, title in order:
        a, b = statistics.median(kept[title]), statistics.median(rebuilt[title])
        met += a <= GOAL_S
        print(f"{title:<16}{a:>10.2f} s{b:>12.2f} s{b / a:>7.1f}x  {'met' if a <= GOAL_S else 'NOT met'}")
    print(f"\n{met} of {len(order)} pages within {GOAL_S} s as shipped")
    count = len(stops["as shipped"])
    print(f"\n(b) lesson stops: -> to the next stop drawn, {count} stops of {len(lessons)} lessons, "
          f"each the first time, after {args.dwell:g} s on the stop before")  # fmt: skip
    for label, times in stops.items():
        within = sum(t <= STOP_GOAL_S for t in times)
        print(f"{label:<14}median {statistics.median(times):.2f} s, slowest {max(times):.2f} s; "
              f"{within} of {count} within {STOP_GOAL_S} s")  # fmt: skip
    firsts, totals = shipped["generate"]
    first, total = statistics.median(firsts), statistics.median(totals)
    print(f"\n(c) Generate {GENERATE_LENGTH} characters, median of {args.rounds}: first characters {first:.2f} s "
          f"(goal {FIRST_CHARS_GOAL_S} s: {'met' if first <= FIRST_CHARS_GOAL_S else 'NOT met'}), all on screen "
          f"{total:.2f} s (goal {WRITTEN_GOAL_S} s: {'met' if total <= WRITTEN_GOAL_S else 'NOT met'})")  # fmt: skip
    opened, typed = shipped["classify"]
    typed_median = statistics.median(typed)
    print(f"(d) Classify: first open {opened:.2f} s (goal {CLASSIFY_OPEN_GOAL_S} s: "
          f"{'met' if opened <= CLASSIFY_OPEN_GOAL_S else 'NOT met'}); a new text, median of {len(typed)}: "
          f"{typed_median:.2f} s (goal {CLASSIFY_TEXT_GOAL_S} s: "
          f"{'met' if typed_median <= CLASSIFY_TEXT_GOAL_S else 'NOT met'})")  # fmt: skip
    print()
    for label, mb in memory.items():
        print(f"server resident memory after the rounds ({label}): {mb:.0f} MB")
    for label, mb in shipped["memory"].items():
        print(f"server resident memory (as shipped), {label}: {mb:.0f} MB")


if __name__ == "__main__":
    main()
