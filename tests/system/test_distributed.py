"""Training one model on two CPU processes (torchrun, gloo) follows the one-process run with the same global batch.

The reference is the plain run: the same command without torchrun. Both draw the same global
batches from the same seed; the two processes each train on half of the rows and average their
gradients. Their loss curves agree to TOLERANCE nats (see there), and only rank 0 writes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from lstm_viz.engine.network import ModelConfig, SequenceModel
from lstm_viz.training.distributed import IGNORE, World

ROOT = Path(__file__).resolve().parents[2]
# A tiny one-layer model (nn.LSTM applies no dropout to a single layer, so nothing random differs
# between the runs but the float rounding), a learning rate high enough that 30 steps move the loss.
TRAIN = [
    "train", "--preset", "shakespeare-char", "--name", "tiny", "--num-layers", "1", "--hidden-size", "32",
    "--embed-dim", "16", "--seq-len", "32", "--batch-size", "16", "--steps", "30", "--eval-every", "5",
    "--lr", "0.05", "--threads", "1",
]  # fmt: skip
# The runs differ only in the order float32 sums are taken (each process sums the gradient of 8
# rows, then gloo adds the two halves; one process sums 16 rows at once): about 1e-7 relative per
# step, which Adam may grow over 30 steps. Measured: at most 5e-7 nats apart. 1e-4 leaves room for
# other CPUs and kernels and is still a thousand times smaller than the loss drop the run makes.
TOLERANCE = 1e-4


def run(args: list[str], home: Path, launcher: list[str]) -> subprocess.CompletedProcess:
    env = {**os.environ, "LSTM_VIZ_HOME": str(home), "PYTHONPATH": str(ROOT)}
    env.pop("WORLD_SIZE", None)
    result = subprocess.run(
        [sys.executable, *launcher, "-m", "lstm_viz", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    two_home, one_home = tmp_path_factory.mktemp("two"), tmp_path_factory.mktemp("one")
    torchrun = ["-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    two = run(TRAIN, two_home, torchrun)
    one = run(TRAIN, one_home, [])
    return (two, two_home), (one, one_home)


def card(home: Path) -> dict:
    return json.loads((home / "tiny" / "card.json").read_text(encoding="utf-8"))


def test_two_processes_follow_one_process_with_the_same_global_batch(runs):
    (_, two_home), (_, one_home) = runs
    two, one = card(two_home)["training"]["history"], card(one_home)["training"]["history"]
    assert [h["step"] for h in two] == [h["step"] for h in one] == [5, 10, 15, 20, 25, 30, 30]
    for a, b in zip(two, one, strict=True):
        for key in ("train_loss", "val_loss"):
            assert abs(a[key] - b[key]) <= TOLERANCE, (a["step"], key, a[key], b[key])
    assert one[0]["val_loss"] - one[-1]["val_loss"] > 0.3  # the curves move: agreeing means something


def test_only_rank_0_writes_and_the_card_records_the_world(runs):
    (two, two_home), _ = runs
    assert [p.name for p in two_home.iterdir()] == ["tiny"]
    assert sorted(p.name for p in (two_home / "tiny").iterdir()) == ["card.json", "history", "model.safetensors"]
    for line in ("device: ", "done: 30 steps", "final step 30"):  # one process logs
        assert two.stdout.count(line) == 1, (line, two.stdout)
    assert two.stdout.count("eval step ") == 6
    training = card(two_home)["training"]
    assert training["world_size"] == 2 and training["global_batch_size"] == 16
    assert training["device"].endswith("2 processes") and training["tokens_seen"] == 30 * 16 * 32
    assert "8 rows in each of 2 processes" in two.stdout


def test_a_plain_run_is_a_world_of_one(runs):
    _, (one, one_home) = runs
    training = card(one_home)["training"]
    assert training["world_size"] == 1 and training["global_batch_size"] == 16
    assert "processes" not in training["device"] and "rows in each" not in one.stdout


def test_shares_of_an_uneven_split_give_the_gradient_of_the_global_mean():
    """Targets split 2 + 7 over two processes: their DDP-averaged gradient is the whole batch's."""
    torch.manual_seed(0)
    model = SequenceModel(ModelConfig(vocab_size=7, num_outputs=4, task="sequence", embed_dim=4, hidden_size=5))
    x = torch.randint(0, 7, (4, 6))
    y = torch.full((4, 6), IGNORE)
    y[0, 5], y[1, 2] = 1, 3  # rows 0-1: 2 targets
    y[2, :4], y[3, 1:4] = 2, 0  # rows 2-3: 7 targets

    def gradient(loss):
        model.zero_grad()
        loss.backward()
        return torch.cat([p.grad.flatten() for p in model.parameters()])

    def mean_loss(ids, targets):
        logits, _ = model(ids)
        return logits, F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=IGNORE)

    reference = gradient(mean_loss(x, y)[1])
    parts = []
    for rank in range(2):
        world = World(rank=rank, size=2)
        xs, ys = world.shard(x, y)
        logits, loss = mean_loss(xs, ys)
        parts.append(gradient(world.share(loss, logits, int((ys != IGNORE).sum()), int((y != IGNORE).sum()))))
    torch.testing.assert_close((parts[0] + parts[1]) / 2, reference, rtol=1e-5, atol=1e-7)  # DDP's average


def test_a_global_batch_that_does_not_split_is_refused_with_the_fix():
    with pytest.raises(ValueError, match="batch_size 30 cannot be split over 4 processes: give a multiple of 4"):
        World(rank=0, size=4).check_batch(30)
    assert World(rank=3, size=4).shard(torch.arange(8))[0].tolist() == [6, 7]
