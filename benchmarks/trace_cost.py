"""How much a Trace costs compared with one plain forward pass of the same model.

``python -m benchmarks.trace_cost [--repeats N] [--threads N ...]``

For T = 50, 200, 1000 characters of held-out Shakespeare it times, interleaved, (a) the
SequenceModel forward (embedding -> fused nn.LSTM -> head, the plain PyTorch cost) and (b)
``lstm_viz.engine.trace.trace`` on the same ids (every gate, cell and hidden value of every step, as
numpy), and prints the median of each and their ratio. Goal: ratio <= 1.5 at T = 1000.
It does so with 1 torch thread (what the app sets for every session; the trace then records on
a spare core beside the fused kernel) and with torch's default thread count, both given the
same threads for the forward and the trace.
Uses the shipped shakespeare-char model; without it, a randomly initialised 2x256 LSTM of the
same shape (and says so).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch

from lstm_viz.data.corpus import CharCorpus
from lstm_viz.engine.network import ModelConfig, SequenceModel
from lstm_viz.engine.trace import trace
from lstm_viz.store import zoo

LENGTHS = (50, 200, 1000)
GOAL = 1.5


def load_model() -> tuple[SequenceModel, str]:
    try:
        loaded = zoo.load("shakespeare-char")
        cfg = loaded.module.config
        return loaded.module, f"shipped shakespeare-char ({cfg.num_layers}x{cfg.hidden_size}, embed {cfg.embed_dim})"
    except ValueError as err:
        torch.manual_seed(0)
        model = SequenceModel(ModelConfig(vocab_size=65, num_outputs=65, embed_dim=64, hidden_size=256, num_layers=2))
        model.eval().requires_grad_(False)
        return model, f"RANDOM 2x256 LSTM: the shipped shakespeare-char model is absent ({err})"


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed repeats per length (medians are shown)")
    default_threads = torch.get_num_threads()
    parser.add_argument(
        "--threads",
        type=int,
        nargs="+",
        default=sorted({1, default_threads}),
        help=f"torch intra-op thread counts to run (default: 1, the app's setting, and torch's {default_threads})",
    )
    args = parser.parse_args(argv)
    model, what = load_model()
    data = CharCorpus.shakespeare()
    print(f"model: {what}")
    print(f"torch {torch.__version__}, {os.cpu_count()} cores, {args.repeats} interleaved repeats, medians")
    verdicts = []
    for threads in args.threads:
        torch.set_num_threads(threads)
        ratio = run(model, data, args.repeats)
        verdict = "meets" if ratio <= GOAL else "MISSES"
        verdicts.append(
            f"trace / forward at T=1000 with {threads} thread(s): {ratio:.2f} ({verdict} the goal <= {GOAL})"
        )
    print("\n".join(verdicts))


def run(model: SequenceModel, data: CharCorpus, repeats: int) -> float:
    """Print one table at the current thread count; return the ratio at the longest length."""
    print(f"\n{torch.get_num_threads()} torch thread(s)")
    print(f"{'T':>6} {'forward ms':>11} {'trace ms':>10} {'ratio':>7}")
    ratios = {}
    for length in LENGTHS:
        ids = data.val_ids[:length]
        batch, ids_np = ids[None], ids.numpy()

        def forward(batch=batch):
            with torch.no_grad():
                model(batch)

        def traced(ids=ids_np):
            trace(model, ids)

        forward(), traced()  # warm-up: allocator, kernels, lazy imports
        fwd, tr = [], []
        for _ in range(repeats):  # interleaved, so load changes hit both alike
            fwd.append(timed(forward))
            tr.append(timed(traced))
        f_ms, t_ms = statistics.median(fwd) * 1e3, statistics.median(tr) * 1e3
        ratios[length] = t_ms / f_ms
        print(f"{length:>6} {f_ms:>11.2f} {t_ms:>10.2f} {ratios[length]:>7.2f}")
    return ratios[LENGTHS[-1]]


if __name__ == "__main__":
    main()
