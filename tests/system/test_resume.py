"""Long runs: tied embeddings, stream batches with the state carried, and resuming exactly where a run stopped."""

from __future__ import annotations

import threading

import pytest
import torch
from safetensors.torch import load_file

from lstm_viz.data.corpus import SHAKESPEARE, CharCorpus, asset_path
from lstm_viz.data.words import WordCorpus
from lstm_viz.engine.network import ModelConfig, SequenceModel
from lstm_viz.store import checkpoint
from lstm_viz.training import resume
from lstm_viz.training.train import TrainConfig, train


class StreamChars(CharCorpus):
    """A small character corpus read as streams, with the word corpus's own stream code."""

    stream_batch = WordCorpus.stream_batch
    stream_steps = WordCorpus.stream_steps

    @property
    def train_stream(self):
        return self.train_ids


@pytest.fixture(scope="module")
def data() -> StreamChars:
    return StreamChars(asset_path(SHAKESPEARE).read_text(encoding="utf-8")[:30_000], seq_len=16, name="tiny")


def tied_config(data) -> ModelConfig:
    n = len(data.tokenizer)
    return ModelConfig(n, n, embed_dim=24, hidden_size=24, num_layers=2, dropout=0.1, tied=True, io_dropout=0.1)


CFG = dict(steps=40, batch_size=8, lr=1e-2, warmup_steps=5, eval_every=10, sample_chars=0, checkpoints=4,
           stream=True, save_every_minutes=10.0)  # fmt: skip


def test_tied_model_shares_one_matrix_and_saves_two_keys_that_load_back(data, tmp_path):
    model = SequenceModel(tied_config(data))
    assert model.head.weight is model.embedding.weight
    names = [n for n, _ in model.named_parameters()]
    assert "head.weight" not in names and "embedding.weight" in names  # trained once
    card = {"name": "t", "title": "t", "description": "", "task": "charlm", "cell": "lstm",
            "tokenizer": data.tokenizer.to_dict(), "labels": None, "embed_dim": 24, "hidden_size": 24,
            "num_layers": 2, "metrics": {}, "training": {}}  # fmt: skip
    checkpoint.save_dir(model, card, tmp_path)
    saved = load_file(str(tmp_path / checkpoint.WEIGHTS))
    assert {"embedding.weight", "head.weight"} <= set(saved)
    assert torch.equal(saved["embedding.weight"], saved["head.weight"])
    loaded, _ = checkpoint.load_dir(tmp_path)  # an ordinary (untied) model with the same numbers
    assert loaded.head.weight is not loaded.embedding.weight
    ids = torch.tensor([[1, 2, 3, 4]])
    model.eval()
    assert torch.allclose(loaded(ids)[0], model(ids)[0], atol=1e-6)


def test_tied_needs_equal_sizes():
    with pytest.raises(ValueError, match="tied embeddings need embed_dim == hidden_size"):
        ModelConfig(10, 10, embed_dim=8, hidden_size=16, tied=True)


def test_stream_batches_continue_each_row(data):
    per_epoch = data.stream_steps(8)
    x0, y0, fresh0 = data.stream_batch(8, 0)
    x1, _, fresh1 = data.stream_batch(8, 1)
    assert fresh0 and not fresh1 and data.stream_batch(8, per_epoch)[2]
    assert torch.equal(y0[:, -1], x1[:, 0])  # the next batch starts where each row stopped
    assert torch.equal(x0[:, 1:], y0[:, :-1])


def test_resumed_run_ends_exactly_where_the_uninterrupted_run_ends(data, tmp_path):
    torch.set_num_threads(1)
    whole = train(data, tied_config(data), TrainConfig(**CFG), tmp_path / "whole", log=lambda *a: None)

    stop = threading.Event()

    def stop_at_17(event, info):
        if event == "step" and info["step"] >= 17:
            stop.set()

    part = tmp_path / "parts"
    first = train(data, tied_config(data), TrainConfig(**CFG), part, callback=stop_at_17, stop=stop,
                  log=lambda *a: None)  # fmt: skip
    assert first["training"]["interrupted"] and first["training"]["steps"] < 40
    assert resume.path(part).is_file()
    assert first["training"]["tied_embeddings"] and first["training"]["io_dropout"] == 0.1
    stopped_at = first["training"]["steps"]
    second = train(data, tied_config(data), TrainConfig(**CFG), part, resume=True, log=lambda *a: None)

    assert second["training"]["steps"] == whole["training"]["steps"] == 40
    assert second["training"]["tokens_seen"] == whole["training"]["tokens_seen"]
    resumes = second["training"]["resumes"]
    assert [r["from_step"] for r in resumes] == [stopped_at] and resumes[0]["device"] and resumes[0]["at"]
    assert second["training"]["seconds"] >= resumes[0]["after_seconds"]
    steps = [e["step"] for e in second["training"]["history"]]
    assert steps == [e["step"] for e in whole["training"]["history"]]  # the history continues, no gap, no repeat
    a, b = load_file(str(tmp_path / "whole" / checkpoint.WEIGHTS)), load_file(str(part / checkpoint.WEIGHTS))
    for key in a:
        assert torch.allclose(a[key], b[key], atol=1e-5), key
    assert second["metrics"]["val_loss"] == pytest.approx(whole["metrics"]["val_loss"], abs=1e-4)


def test_resume_refuses_another_model(data, tmp_path):
    stop = threading.Event()
    stop.set()
    train(data, tied_config(data), TrainConfig(**CFG), tmp_path, stop=stop, log=lambda *a: None)
    n = len(data.tokenizer)
    other = ModelConfig(n, n, embed_dim=16, hidden_size=16, num_layers=2, tied=True)
    with pytest.raises(ValueError, match="cannot resume"):
        train(data, other, TrainConfig(**CFG), tmp_path, resume=True, log=lambda *a: None)


@pytest.mark.slow
def test_sigterm_saves_and_the_same_command_with_resume_continues(tmp_path):
    """The command line, as the long run uses it: SIGTERM stops after a step and saves; --resume goes on."""
    import json
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    out = tmp_path / "run"
    args = [sys.executable, "-m", "lstm_viz", "train", "--preset", "words-lm-long", "--out", str(out), "--resume",
            "--hidden-size", "16", "--embed-dim", "16", "--num-layers", "1", "--batch-size", "8", "--seq-len", "12",
            "--eval-every", "1000", "--threads", "1", "--device", "cpu"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(root), "LSTM_VIZ_HOME": str(tmp_path / "home")}
    log = tmp_path / "first.log"
    with log.open("w") as f:
        child = subprocess.Popen([*args, "--minutes", "30"], cwd=root, env=env, stdout=f, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 240
    while "history: kept step 10 " not in log.read_text() and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.5)
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=240) == 0, log.read_text()[-3000:]
    assert "SIGTERM: stopping after this step and saving" in log.read_text()
    first = json.loads((out / "card.json").read_text())
    assert first["training"]["interrupted"] and first["training"]["resumes"] == []
    stopped = first["training"]["steps"]
    assert stopped >= 10 and resume.path(out).is_file()

    done = subprocess.run([*args, "--steps", str(stopped + 5)], cwd=root, env=env, capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"resumed from step {stopped}" in done.stdout
    card = json.loads((out / "card.json").read_text())
    assert card["training"]["steps"] == stopped + 5 and not card["training"]["interrupted"]
    assert [r["from_step"] for r in card["training"]["resumes"]] == [stopped]
    assert card["training"]["seconds"] > first["training"]["seconds"] * 0.5
    assert "agreement_her" in card["metrics"] and "--resume" in card["training"]["command"]


def test_a_run_can_start_from_another_runs_weights_and_its_card_says_so(data, tmp_path):
    torch.set_num_threads(1)
    first = train(data, tied_config(data), TrainConfig(**{**CFG, "steps": 10}), tmp_path / "first", log=lambda *a: None)
    frozen = {**CFG, "steps": 1, "lr": 0.0, "weight_decay": 0.0, "init_from": str(tmp_path / "first")}
    second = train(data, tied_config(data), TrainConfig(**frozen), tmp_path / "second", log=lambda *a: None)
    a = load_file(str(tmp_path / "first" / checkpoint.WEIGHTS))
    b = load_file(str(tmp_path / "second" / checkpoint.WEIGHTS))
    assert all(torch.equal(a[k], b[k]) for k in a)  # a step at learning rate 0 keeps the weights it started from
    origin = second["training"]["initialised_from"]
    source = (tmp_path / "first" / checkpoint.WEIGHTS).read_bytes()
    assert origin["weights_sha256"] == checkpoint.weights_sha256(source)
    assert origin["steps"] == first["training"]["steps"] == 10
    fresh = train(data, tied_config(data), TrainConfig(**{**frozen, "init_from": None}), tmp_path / "third",
                  log=lambda *a: None)  # fmt: skip
    assert "initialised_from" not in fresh["training"]


def test_a_run_refuses_to_start_from_another_model(data, tmp_path):
    torch.set_num_threads(1)
    train(data, tied_config(data), TrainConfig(**{**CFG, "steps": 2}), tmp_path / "first", log=lambda *a: None)
    n = len(data.tokenizer)
    wider = ModelConfig(n, n, embed_dim=32, hidden_size=32, num_layers=2, tied=True)
    with pytest.raises(ValueError, match="different model"):
        train(data, wider, TrainConfig(**{**CFG, "init_from": str(tmp_path / "first")}), tmp_path / "x",
              log=lambda *a: None)  # fmt: skip
