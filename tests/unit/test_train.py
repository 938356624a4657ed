"""The training loop on the CPU: it learns, it checkpoints, it stops cleanly, its card tells the truth."""

from __future__ import annotations

import hashlib
import math
import threading

import numpy as np
import pytest
import torch

from lstm_viz.data.corpus import SHAKESPEARE, CharCorpus, asset_path
from lstm_viz.engine.network import ModelConfig, SequenceModel
from lstm_viz.store import checkpoint
from lstm_viz.training.train import TrainConfig, learning_rate, pick_device, train

UNIFORM_LOSS = math.log(65)  # 4.17 nats: a model that knows nothing about tiny shakespeare


@pytest.fixture(scope="module")
def data() -> CharCorpus:
    return CharCorpus.shakespeare(seq_len=64)


def tiny_config(data, hidden=48, layers=1, **changes) -> ModelConfig:
    return ModelConfig(
        vocab_size=len(data.tokenizer),
        num_outputs=data.num_outputs,
        embed_dim=16,
        hidden_size=hidden,
        num_layers=layers,
        **changes,
    )


class Recorder:
    """A callback that keeps every event and, at each evaluation, reads the checkpoint back."""

    def __init__(self, out_dir, stop_after_step: int | None = None, stop: threading.Event | None = None):
        self.events: list[tuple[str, dict]] = []
        self.checkpoints: list[tuple[int, dict]] = []
        self.out_dir, self.stop_after_step, self.stop = out_dir, stop_after_step, stop

    def __call__(self, event: str, info: dict) -> None:
        self.events.append((event, dict(info)))
        if event == "eval":
            model, card = checkpoint.load_dir(self.out_dir)  # written before the event, loadable
            self.checkpoints.append((info["step"], card))
        if self.stop is not None and event == "step" and info["step"] >= self.stop_after_step:
            self.stop.set()


@pytest.fixture(scope="module")
def run(data, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "tiny"
    recorder = Recorder(out)
    cfg = TrainConfig(steps=60, batch_size=16, lr=1e-2, warmup_steps=10, eval_every=20, sample_chars=40)
    card = train(data, tiny_config(data, dropout=0.0), cfg, out, name="tiny", callback=recorder, log=lambda *a: None)
    return card, recorder, out


def test_held_out_loss_drops_clearly_below_uniform(run, data):
    card, recorder, out = run
    final = card["metrics"]["val_loss"]
    assert final < UNIFORM_LOSS - 1.0, f"held-out loss {final:.3f} after 60 steps"
    losses = [h["val_loss"] for h in card["training"]["history"]]
    assert losses[-1] < losses[0]
    # the card's number is a fresh, full evaluation of the saved weights
    model, _ = checkpoint.load_dir(out)
    fresh = data.evaluate(model, torch.device("cpu"), full=True)["val_loss"]
    assert abs(fresh - final) < 1e-4
    train_losses = [info["loss"] for event, info in recorder.events if event == "step"]
    assert train_losses[0] > 3.5 and train_losses[-1] < train_losses[0] - 1.0


def test_checkpoint_written_at_every_evaluation(run):
    card, recorder, out = run
    steps = [step for step, _ in recorder.checkpoints]
    assert steps == [20, 40, 60, 60]  # every eval_every, then the final full evaluation
    for step, saved in recorder.checkpoints:
        assert saved["metrics"]["measured_at_step"] == step
    assert [saved["metrics"]["final"] for _, saved in recorder.checkpoints] == [False, False, False, True]
    assert sorted(p.name for p in out.iterdir()) == ["card.json", "history", "model.safetensors"]  # no temp files left


def test_callback_events_arrive_in_order(run):
    card, recorder, _ = run
    kinds = [event for event, _ in recorder.events]
    assert kinds[0] == "start" and kinds[-1] == "end"
    assert kinds.count("start") == 1 and kinds.count("end") == 1
    start = recorder.events[0][1]
    assert start["num_parameters"] == card["num_parameters"] and start["tokens_per_step"] == 16 * 64
    step_numbers = [info["step"] for event, info in recorder.events if event == "step"]
    assert step_numbers == [1, *range(10, 61, 10)]
    seen_step = 0
    for event, info in recorder.events[1:-1]:  # each evaluation comes after the step it measured
        if event == "step":
            seen_step = info["step"]
            assert 0 <= info["progress"] <= 1 and info["tokens_per_s"] > 0
        else:
            assert event == "eval" and info["step"] == seen_step
            assert math.isfinite(info["val_loss"]) and "sample" in info and len(info["sample"]) > 0
    elapsed = [info["elapsed"] for event, info in recorder.events if "elapsed" in info]
    assert elapsed == sorted(elapsed)
    end = recorder.events[-1][1]
    assert end["interrupted"] is False and end["card"]["metrics"] == card["metrics"]


def test_card_has_metrics_and_provenance(run, data):
    card, _, _ = run
    metrics = card["metrics"]
    assert metrics["final"] is True and metrics["measured_at_step"] == 60
    assert metrics["val_loss_unit"] == "nats per character" and "last 10% held out" in metrics["split"]
    training = card["training"]
    assert training["command"].startswith("python -m lstm_viz")
    assert training["device"].startswith("CPU")
    assert 0 < training["seconds"] < 600 and training["steps"] == 60
    assert training["seed"] == 1337 and training["tokens_seen"] == 60 * 16 * 64
    text = asset_path(SHAKESPEARE).read_text(encoding="utf-8")
    assert training["data_sha256"] == hashlib.sha256(text.encode("utf-8")).hexdigest() == data.data_sha256
    assert training["versions"]["torch"] == torch.__version__ and "python" in training["versions"]
    assert training["config"]["lr"] == 1e-2 and training["interrupted"] is False
    assert [h["step"] for h in training["history"]] == [20, 40, 60, 60]
    assert card["tokenizer"] == data.tokenizer.to_dict()
    assert (card["task"], card["cell"], card["hidden_size"], card["num_layers"]) == ("charlm", "lstm", 48, 1)


def test_state_dict_keys_are_exactly_the_design_format():
    model = SequenceModel(ModelConfig(vocab_size=7, num_outputs=7, embed_dim=3, hidden_size=5, num_layers=3))
    expected = ["embedding.weight"]
    for k in range(3):
        expected += [f"rnn.weight_ih_l{k}", f"rnn.weight_hh_l{k}", f"rnn.bias_ih_l{k}", f"rnn.bias_hh_l{k}"]
    expected += ["head.weight", "head.bias"]
    assert list(model.state_dict()) == expected
    assert tuple(model.state_dict()["rnn.weight_ih_l0"].shape) == (20, 3)  # 4H x E, gates i, f, g, o
    rnn = SequenceModel(ModelConfig(vocab_size=7, num_outputs=2, task="classify", cell="rnn", num_layers=1))
    assert list(rnn.state_dict()) == expected[:5] + ["head.weight", "head.bias"]


def test_stop_event_keeps_a_loadable_checkpoint(data, tmp_path):
    stop = threading.Event()
    recorder = Recorder(tmp_path / "stopped", stop_after_step=20, stop=stop)
    cfg = TrainConfig(steps=200, batch_size=8, lr=1e-2, warmup_steps=5, eval_every=15, sample_chars=0)
    card = train(
        data, tiny_config(data, hidden=16), cfg, tmp_path / "stopped", callback=recorder, stop=stop, log=lambda *a: None
    )
    assert stop.is_set() and card["training"]["interrupted"] is True
    assert card["training"]["steps"] == 20  # stopped at the first check after the event was set
    assert card["metrics"]["final"] is False  # a partial evaluation, and the card says so
    model, saved = checkpoint.load_dir(tmp_path / "stopped")
    assert saved["training"]["steps"] == 20 and saved["training"]["interrupted"] is True
    assert recorder.events[-1][0] == "end" and recorder.events[-1][1]["interrupted"] is True


def test_keyboard_interrupt_keeps_the_last_good_checkpoint(data, tmp_path):
    out = tmp_path / "ctrl-c"
    saved_weights = {}

    def callback(event, info):
        if event == "eval":
            saved_weights.update(checkpoint.read_weights((out / "model.safetensors").read_bytes()))
        if event == "step" and info["step"] == 30:
            raise KeyboardInterrupt

    cfg = TrainConfig(steps=200, batch_size=8, lr=1e-2, warmup_steps=5, eval_every=20, sample_chars=0)
    card = train(data, tiny_config(data, hidden=16), cfg, out, callback=callback, log=lambda *a: None)
    assert card["training"]["interrupted"] is True and card["metrics"]["measured_at_step"] == 20
    model, saved = checkpoint.load_dir(out)
    assert saved["training"]["interrupted"] is True
    for key, value in model.state_dict().items():  # the weights of step 20, not those of step 30
        assert torch.equal(value, saved_weights[key]), key


def test_learning_rate_schedule_warms_up_then_decays():
    cfg = TrainConfig(steps=1000, lr=1e-2, warmup_steps=100, min_lr_ratio=0.1)
    warm = [learning_rate(cfg, s, s / 1000) for s in range(100)]
    assert warm[0] == pytest.approx(1e-4) and warm[-1] == pytest.approx(1e-2)
    assert np.all(np.diff(warm) > 0)
    decay = [learning_rate(cfg, s, s / 1000) for s in range(100, 1001)]
    assert np.all(np.diff(decay) <= 1e-15) and decay[0] < 1e-2
    assert learning_rate(cfg, 500, 0.5) == pytest.approx(1e-2 * (0.1 + 0.9 * 0.5))
    assert decay[-1] == pytest.approx(1e-3)  # ends at lr * min_lr_ratio
    assert learning_rate(cfg, 5000, 3.0) == pytest.approx(1e-3)  # never below, even past the end


def test_learning_rates_the_run_used(run):
    _, recorder, _ = run
    lrs = {info["step"]: info["lr"] for event, info in recorder.events if event == "step"}
    assert lrs[1] == pytest.approx(1e-2 / 10)  # step 1 reports the rate of update 1 (warm-up 1/10)
    after = [lrs[s] for s in (20, 30, 40, 50, 60)]
    assert np.all(np.diff(after) < 0) and after[-1] > 1e-3


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({}, "give a step count or a time budget"),
        ({"steps": 0}, "steps must be at least 1"),
        ({"minutes": -1.0}, "minutes must be positive"),
    ],
)
def test_train_config_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**kwargs)


def test_device_choice():
    assert pick_device("cpu").type == "cpu"
    assert pick_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="device must be auto, cpu or cuda"):
        pick_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU is available"):
            pick_device("cuda")
