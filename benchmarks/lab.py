"""The neuron lab's speed on the 2x256 Shakespeare model, side by side in one run (medians).

- a moment ranking (``search.by_moment``) and a selection ranking (``search.by_selection``) on
  2,000 tokens x 256 units (goal: under 50 ms each);
- an intervention (a clamp over every step of layer 0, everything downstream recomputed) next to a
  plain trace of the same 2,000 tokens (goal: at most 2x the trace).

    python -m benchmarks.lab               # the full measurement
    python -m benchmarks.lab --repeats 1   # a quick smoke run
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from lstm_viz.analysis import search
from lstm_viz.data.corpus import SHAKESPEARE, asset_path
from lstm_viz.engine.trace import Clamp, trace
from lstm_viz.store import zoo

RANK_GOAL_MS = 50.0
INTERVENE_GOAL = 2.0


def median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--tokens", type=int, default=2000)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # the app's setting: one torch thread per session
    model = zoo.load("shakespeare-char")
    text = asset_path(SHAKESPEARE).read_text(encoding="utf-8")[-args.tokens - 1000 : -1000]
    tr = model.trace(text)
    layer = tr.layers[1]
    print(f"model: shakespeare-char ({model.card['num_layers']}x{model.card['hidden_size']}), {len(tr):,} tokens")
    moment = median_ms(lambda: search.by_moment(layer, len(tr) // 2, "forget_drop", top=10), args.repeats)
    selection = median_ms(lambda: search.by_selection(layer.cell, 100, 120, top=10), args.repeats)
    print(f"moment ranking: {moment:.1f} ms ({'meets' if moment < RANK_GOAL_MS else 'MISSES'} the goal < 50 ms)")
    print(
        f"selection ranking: {selection:.1f} ms ({'meets' if selection < RANK_GOAL_MS else 'MISSES'} the goal < 50 ms)"
    )
    ids = model.encode(text).ids
    plain, held = [], []
    clamp = Clamp(0, 7, "forget_gate", 0.0)
    for _ in range(args.repeats):  # interleaved, so both see the same machine
        plain.append(median_ms(lambda: trace(model.module, ids), 1))
        held.append(median_ms(lambda: trace(model.module, ids, clamp=clamp), 1))
    p, h = statistics.median(plain), statistics.median(held)
    ratio = h / p
    print(f"plain trace {p:.1f} ms, clamped trace {h:.1f} ms: ratio {ratio:.2f} "
          f"({'meets' if ratio <= INTERVENE_GOAL else 'MISSES'} the goal <= {INTERVENE_GOAL})")  # fmt: skip


if __name__ == "__main__":
    main()
