"""Autocomplete at typing speed: the time from a keystroke to the completions, one character at a time.

Types a line of held-out Shakespeare into the character model one character at a time and
completes the current word after each (beam width 5), on one torch thread as the app runs;
prints the median and the slowest keystroke. Goal: under 100 ms per keystroke.

    python -m benchmarks.autocomplete
    python -m benchmarks.autocomplete --chars 20   # a quick smoke run
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from lstm_viz.data.corpus import SHAKESPEARE, asset_path
from lstm_viz.generation.autocomplete import complete
from lstm_viz.store import zoo

GOAL_MS = 100.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="shakespeare-char")
    parser.add_argument("--chars", type=int, default=120, help="characters typed")
    parser.add_argument("--width", type=int, default=5)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    model = zoo.load(args.model)
    line = asset_path(SHAKESPEARE).read_text(encoding="utf-8")[-5000:][: args.chars]
    complete(model, line[:5], width=args.width)  # the first call loads kernels: not a keystroke
    times = []
    for n in range(1, len(line) + 1):
        start = time.perf_counter()
        complete(model, line[:n], width=args.width)
        times.append((time.perf_counter() - start) * 1000)
    median, worst = statistics.median(times), max(times)
    verdict = "met" if worst < GOAL_MS else ("met at the median" if median < GOAL_MS else "MISSED")
    print(f"{args.model}: {len(times)} keystrokes, beam width {args.width}")
    goal = f"goal < {GOAL_MS:.0f} ms: {verdict}"
    print(f"autocomplete per keystroke: median {median:.1f} ms, slowest {worst:.1f} ms ({goal})")


if __name__ == "__main__":
    main()
