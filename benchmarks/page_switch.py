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

The server's resident memory is printed after the rounds (every page opened with its default model).
The CPU load average is printed too: on a busy machine every number grows.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from benchmarks.load import rss_mb
from benchmarks.page_latency import CHROMIUM, app_server
from lstm_viz.ui import pages

GOAL_S = 0.5
STOP_GOAL_S = 0.3
SETTLED = """(title) => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    if (document.querySelector('[data-testid="stStatusWidget"]')) return false;
    if (document.querySelector('[data-testid="stSkeleton"]')) return false;
    for (const chart of document.querySelectorAll('[data-testid="stPlotlyChart"]'))
        if (!chart.querySelector('.main-svg')) return false;
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
    order = [(path, title) for _, path, title, _ in pages.PAGES if path != pages.TRAIN]
    if args.smoke:
        args.rounds = 1
        order = [o for o in order if o[0] in (pages.HOME, pages.HEATMAPS, pages.NEURON_LAB)]
    order = order[1:] + order[:1]  # the tab opens on Home: the first click goes elsewhere
    from lstm_viz.lessons import schema

    lessons = schema.shipped()[:1] if args.smoke else schema.shipped()

    from playwright.sync_api import sync_playwright

    results, stops, memory = {}, {}, {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        nothing_kept = {"LSTM_VIZ_FIGURE_CACHE_MB": "0", "LSTM_VIZ_LESSON_AHEAD": "0"}
        for label, env in (("as shipped", None), ("nothing kept", nothing_kept)):
            with app_server("stepper", env=env) as (url, pid):
                stops[label] = lesson_stops(url, browser, lessons, args.dwell)
                results[label] = measure(url, browser, args.rounds, order)
                memory[label] = rss_mb([pid])
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
    for label, mb in memory.items():
        print(f"server resident memory after the rounds ({label}): {mb:.0f} MB")


if __name__ == "__main__":
    main()
