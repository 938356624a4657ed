"""Our training loop's tokens/s over a bare nn.LSTM training loop at the same configuration.

``python -m benchmarks.train_throughput [--steps N] [--rounds R] [--device cpu|cuda|all]``

Both loops train the shakespeare-char preset's model (2x256 LSTM, embedding 64, head 65,
dropout 0.1) on batches of 32 x 128 characters with AdamW and global-norm clipping:

- ours: ``lstm_viz.training.train.train`` as the command line runs it (schedule, callbacks, progress
  bar, AMP on CUDA), timed between its 10th and last step through its own callback, so model
  set-up and the closing evaluation are not counted;
- bare: ``nn.Embedding -> nn.LSTM -> nn.Linear`` with nanoGPT-style random windows, a fixed
  learning rate and nothing else (bf16 autocast on CUDA as well, so both use the same kernels).

Rounds alternate ours / bare and the medians are compared. Goal: ratio >= 0.9, on
the CPU and, where present, on CUDA.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import torch
import torch.nn.functional as F
from torch import nn

from lstm_viz import data as data_kinds
from lstm_viz.data.corpus import CharCorpus
from lstm_viz.engine.network import ModelConfig
from lstm_viz.training import presets
from lstm_viz.training.train import TrainConfig, device_name, train

GOAL = 0.9
SKIP = 10  # steps before the clock starts: allocator, cuDNN autotuning, first-call overheads


class QuickEvalCorpus(CharCorpus):
    """The preset's corpus, with the closing evaluation cut short: it is not training time."""

    def evaluate(self, model, device, full=True, max_chars=20000):
        return super().evaluate(model, device, full=False, max_chars=512)


def ours(data, preset, device: str, steps: int) -> float:
    """Tokens/s of lstm_viz.training.train.train between step SKIP and the last step."""
    times: dict[int, float] = {}

    def callback(event, info):
        if event == "step":
            times[info["step"]] = time.perf_counter()

    model_config = ModelConfig(vocab_size=len(data.tokenizer), num_outputs=data.num_outputs, **preset.model)
    train_config = TrainConfig(
        **{**preset.train, "steps": steps, "eval_every": 10**9, "sample_chars": 0, "device": device}
    )
    with tempfile.TemporaryDirectory() as out:
        train(data, model_config, train_config, out, name="bench", callback=callback, log=lambda *a: None)
    last = max(times)
    return (last - SKIP) * train_config.batch_size * data.seq_len / (times[last] - times[SKIP])


class BareModel(nn.Module):
    def __init__(self, vocab: int, embed: int, hidden: int, layers: int, dropout: float):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed)
        self.rnn = nn.LSTM(embed, hidden, num_layers=layers, dropout=dropout, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x):
        out, _ = self.rnn(self.embedding(x))
        return self.head(out)


def bare(data, preset, device: str, steps: int) -> float:
    """Tokens/s of a minimal loop: same model size, batch, length, AdamW, clipping."""
    dev = torch.device(device)
    torch.manual_seed(0)
    m = preset.model
    model = BareModel(len(data.tokenizer), m["embed_dim"], m["hidden_size"], m["num_layers"], m["dropout"]).to(dev)
    optimizer = torch.optim.AdamW(model.parameters(), lr=preset.train["lr"], fused=dev.type == "cuda")
    batch_size, seq_len, train_ids = preset.train["batch_size"], data.seq_len, data.train_ids
    amp = torch.autocast("cuda", dtype=torch.bfloat16) if dev.type == "cuda" else torch.autocast("cpu", enabled=False)
    start = None
    for step in range(steps):
        if step == SKIP:
            if dev.type == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
        starts = torch.randint(len(train_ids) - seq_len - 1, (batch_size,))
        window = torch.stack([train_ids[s : s + seq_len + 1] for s in starts.tolist()]).to(dev)
        x, y = window[:, :-1], window[:, 1:]
        with amp:
            logits = model(x)
        loss = F.cross_entropy(logits.float().flatten(0, 1), y.flatten())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
    loss.item()  # wait for the device, once
    return (steps - SKIP) * batch_size * seq_len / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--steps",
        type=int,
        default=40,
        help=f"steps per timed run, at least {SKIP + 10} (the first {SKIP} are not timed)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="alternating ours/bare rounds per device")
    parser.add_argument("--device", default="all", choices=["all", "cpu", "cuda"])
    parser.add_argument("--preset", default="shakespeare-char")
    args = parser.parse_args(argv)
    if args.steps < SKIP + 10:  # the training loop reports its clock every 10 steps
        parser.error(f"--steps must be at least {SKIP + 10}, got {args.steps}")
    preset = presets.get(args.preset)
    base = data_kinds.build(preset.data)
    data = QuickEvalCorpus.__new__(QuickEvalCorpus)
    data.__dict__.update(base.__dict__)
    devices = ["cpu", "cuda"] if args.device == "all" else [args.device]
    if "cuda" in devices and not torch.cuda.is_available():
        print("cuda: no GPU on this machine, skipped")
        devices.remove("cuda")
    m, t = preset.model, preset.train
    print(
        f"config: {args.preset}: LSTM {m['num_layers']}x{m['hidden_size']}, embed {m['embed_dim']}, "
        f"batch {t['batch_size']} x {data.seq_len}, AdamW lr {t['lr']}, clip 1.0; "
        f"{args.steps} steps per run ({SKIP} untimed), {args.rounds} rounds, medians"
    )
    for device in devices:
        name = device_name(torch.device(device))
        ours_tps, bare_tps = [], []
        for _ in range(args.rounds):
            ours_tps.append(ours(data, preset, device, args.steps))
            bare_tps.append(bare(data, preset, device, args.steps))
        o, b = statistics.median(ours_tps), statistics.median(bare_tps)
        verdict = "meets" if o / b >= GOAL else "MISSES"
        print(f"{device} [{name}]: ours {o:,.0f} tokens/s, bare nn.LSTM {b:,.0f} tokens/s")
        print(f"{device}: ratio ours / bare = {o / b:.3f} ({verdict} the goal >= {GOAL})")
        print(f"  rounds ours: {[round(v) for v in ours_tps]}, bare: {[round(v) for v in bare_tps]}")


if __name__ == "__main__":
    main()
