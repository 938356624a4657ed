"""How long the shipped character model takes to write 500 characters on the CPU.

``python -m benchmarks.generate [--repeats N] [--length N] [--threads N]``

Times, interleaved in one process (medians of several repeats):

(a) ``LoadedModel.generate("ROMEO:", 500, temperature=0.8, seed=...)``: what the Generate page
    and the CLI run, i.e. the sampling loop plus the Trace of the whole text (goal: <= 1 s);
(b) the sampling loop alone (``lstm_viz.generation.generate.sample_ids``), per character;
(c) a plain forward step: ``SequenceModel(x, state)`` for one token with the state carried
    (embedding -> ``nn.LSTM`` -> head), the cheapest way plain PyTorch writes a character,
    at torch's default thread count and at one thread.

and prints the per-character cost of (b) over (c). Uses the shipped shakespeare-char model.
The CPU load average is printed too: on a busy machine every number grows, the ratios less.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch

from lstm_viz.generation.generate import sample_ids
from lstm_viz.store import zoo

GOAL_SECONDS = 1.0
PRIME = "ROMEO:"


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def plain_steps(module, length: int, threads: int) -> None:
    """``length`` single-token forward steps through the module, state carried, ids fixed."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with torch.inference_mode():
            x = torch.zeros((1, 1), dtype=torch.long)
            _, state = module(torch.tensor([[1, 2, 3]]))
            for i in range(length):
                x[0, 0] = i % module.config.vocab_size
                _, state = module(x, state)
    finally:
        torch.set_num_threads(before)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed repeats (medians are shown)")
    parser.add_argument("--length", type=int, default=500, help="characters to generate")
    parser.add_argument("--threads", type=int, help="torch intra-op threads (default: torch's choice)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    loaded = zoo.load("shakespeare-char")
    module, cfg, n = loaded.module, loaded.module.config, args.length
    default_threads = torch.get_num_threads()
    prime_ids = loaded.encode(PRIME).ids
    print(
        f"model: shipped shakespeare-char ({cfg.num_layers}x{cfg.hidden_size} LSTM, embed {cfg.embed_dim}, "
        f"vocab {cfg.vocab_size}); torch {torch.__version__}, {default_threads} threads by default, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    print(f"{args.repeats} interleaved repeats, medians; prime {PRIME!r}, {n} characters, temperature 0.8\n")

    runs = {
        "generate": lambda seed: loaded.generate(PRIME, n, temperature=0.8, seed=seed),
        "loop": lambda seed: sample_ids(module, prime_ids, n, temperature=0.8, seed=seed),
        "plain default": lambda seed: plain_steps(module, n, default_threads),
        "plain 1 thread": lambda seed: plain_steps(module, n, 1),
    }
    for run in runs.values():  # warm-up: allocator, kernels, lazy imports
        run(0)
    times = {name: [] for name in runs}
    for repeat in range(args.repeats):  # interleaved, so load changes hit all alike
        for name, run in runs.items():
            times[name].append(timed(lambda run=run, repeat=repeat: run(repeat + 1)))
    med = {name: statistics.median(values) for name, values in times.items()}
    plain = min(med["plain default"], med["plain 1 thread"])
    per_char = med["loop"] / n
    verdict = "met" if med["generate"] <= GOAL_SECONDS else "MISSED"
    print(
        f"generate {n} characters (loop + trace of the text): {med['generate']:.3f} s "
        f"(goal <= {GOAL_SECONDS:g} s: {verdict})"
    )
    print(f"  sampling loop alone (sample_ids):        {med['loop']:.3f} s = {per_char * 1e3:.3f} ms per character")
    print(f"  trace of the {len(PRIME) + n}-character text and rest: {med['generate'] - med['loop']:.3f} s")
    print(
        f"plain forward step (SequenceModel(x, state), nn.LSTM): {med['plain default'] / n * 1e3:.3f} ms "
        f"at {default_threads} threads, {med['plain 1 thread'] / n * 1e3:.3f} ms at 1 thread"
    )
    print(
        f"per-character cost over a plain forward step: {per_char / (plain / n):.2f}x "
        f"(against the faster plain step; {per_char / (med['plain default'] / n):.2f}x against the default threads)"
    )


if __name__ == "__main__":
    main()
