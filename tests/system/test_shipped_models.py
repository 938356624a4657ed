"""Every model in assets/models: it loads, its card is complete, and its numbers are true.

The card's held-out metrics must equal a fresh evaluation of the shipped weights with the
preset the card names (the same code ``python -m lstm_viz eval NAME`` runs). The set of models
is whatever assets/models holds when the tests are collected.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from lstm_viz import data as data_kinds
from lstm_viz.store import zoo
from lstm_viz.store.checkpoint import CARD, WEIGHTS
from lstm_viz.training import presets

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted(p.name for p in zoo.SHIPPED_DIR.iterdir() if (p / CARD).is_file()) if zoo.SHIPPED_DIR.is_dir() else []
MAX_WEIGHTS_MB = 20  # one model's weights: the word model's 10,002-word embedding (tied to its head) is 11.8 MB
MAX_MODELS_MB = 64  # every shipped model with its history: what a clone of the repository carries


@pytest.fixture(scope="module", params=SHIPPED)
def shipped(request):
    return zoo.load(request.param)


@pytest.fixture(scope="module")
def data(shipped):
    """The preset's data, rebuilt with the model's own tokenizer (what ``lstm_viz eval`` does)."""
    return data_kinds.build(presets.get(shipped.card["training"]["preset"]).data, tokenizer=shipped.tokenizer)


@pytest.fixture(scope="module")
def fresh_metrics(shipped, data):
    # The held-out stream is read with batch 1, step by step: one thread is several times
    # faster than two fighting over a busy 2-core machine, and gives the same numbers.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return data.evaluate(shipped.module, torch.device("cpu"), full=True)
    finally:
        torch.set_num_threads(threads)


def test_shipped_models_exist():
    assert "shakespeare-char" in SHIPPED, f"assets/models holds {SHIPPED}"


def test_the_shipped_models_stay_small_together():
    total = sum(p.stat().st_size for p in zoo.SHIPPED_DIR.rglob("*") if p.is_file())
    assert total < MAX_MODELS_MB * 2**20, f"assets/models holds {total / 2**20:.1f} MB"


def test_weights_are_small_safetensors(shipped):
    path = shipped.path / WEIGHTS
    assert path.stat().st_size < MAX_WEIGHTS_MB * 2**20, f"{path} is {path.stat().st_size / 2**20:.1f} MB"
    assert not any(p.suffix in (".pt", ".pth", ".pkl", ".bin", ".ckpt") for p in shipped.path.iterdir())


def test_card_fields_and_provenance(shipped):
    card, cfg = shipped.card, shipped.module.config
    assert card["name"] == shipped.path.name == shipped.name
    assert isinstance(card.get("title"), str) and card["title"]
    assert isinstance(card.get("description"), str) and card["description"]
    assert (card["task"], card["cell"]) == (cfg.task, cfg.cell)
    assert (card["embed_dim"], card["hidden_size"], card["num_layers"]) == (
        cfg.embed_dim,
        cfg.hidden_size,
        cfg.num_layers,
    )
    assert card["tokenizer"]["vocab"] == shipped.tokenizer.vocab and len(shipped.tokenizer) == cfg.vocab_size
    if card["task"] == "charlm":
        assert cfg.num_outputs == cfg.vocab_size
    else:
        assert len(card["labels"]) == cfg.num_outputs >= 2 and shipped.labels == card["labels"]
    shared = 0  # tied embeddings: the loaded model holds the head's weight as a copy of the embedding's
    if card["training"].get("tied_embeddings"):
        assert torch.equal(shipped.module.head.weight, shipped.module.embedding.weight)
        shared = shipped.module.head.weight.numel()
    assert card["num_parameters"] == sum(p.numel() for p in shipped.module.parameters()) - shared
    metrics = card["metrics"]
    assert metrics["final"] is True, "a shipped card must hold the final, full evaluation"
    assert math.isfinite(metrics["val_loss"]) and metrics["val_loss"] > 0
    assert isinstance(metrics.get("split"), str) and metrics["split"]
    training = card["training"]
    assert training["command"].startswith("python -m lstm_viz train ")
    assert f"--preset {training['preset']}" in training["command"]
    assert training["preset"] in presets.names()
    assert isinstance(training["device"], str) and training["device"]
    assert training["seconds"] > 0 and training["steps"] >= 1 and training["interrupted"] is False
    assert isinstance(training["seed"], int)
    assert re.fullmatch(r"[0-9a-f]{64}", training["data_sha256"])
    assert {"python", "torch", "numpy", "safetensors"} <= set(training["versions"])


def test_card_metrics_equal_a_fresh_evaluation(shipped, fresh_metrics):
    card = shipped.card["metrics"]
    assert abs(fresh_metrics["val_loss"] - card["val_loss"]) <= 1e-3, (fresh_metrics["val_loss"], card["val_loss"])
    if "val_accuracy" in card:
        assert abs(fresh_metrics["val_accuracy"] - card["val_accuracy"]) <= 1e-3
    assert fresh_metrics.get("split") == card.get("split")


def test_card_data_hash_matches_the_data(shipped, data):
    assert data.data_sha256 == shipped.card["training"]["data_sha256"]


def test_a_trace_of_each_shipped_model_is_consistent(shipped):
    text = "To be, or not to be: (that) is the question."
    enc = shipped.encode(text)
    tr = shipped.trace(text)
    with torch.no_grad():
        logits, _ = shipped.module(torch.tensor([enc.ids]))
    np.testing.assert_allclose(tr.probs, torch.softmax(logits[0], -1).numpy(), atol=1e-5)
    assert tr.output_labels == shipped.labels


def test_shakespeare_char_meets_the_issue_goal():
    model = zoo.load("shakespeare-char")
    cfg = model.module.config
    assert cfg.num_layers == 2 and cfg.hidden_size >= 256 and cfg.cell == "lstm"
    assert model.card["metrics"]["val_loss"] <= 1.55
    assert model.card["metrics"]["val_loss_unit"] == "nats per character"


ONE_AUTHOR = [name for name in SHIPPED if name.startswith("author-")]


def test_the_one_author_generators_meet_the_style_goal_and_their_cards_hold_each_verdict():
    """The check of "Applying LSTM to Text Generation", run again on the shipped weights: each author's generator
    writes three passages, the authors classifier says whose; at least 17 of 21 (0.8) must be its author's."""
    from lstm_viz.data.authors import LABELS
    from lstm_viz.data.one_author import per_author_check

    assert sorted(ONE_AUTHOR) == sorted(f"author-{label.lower()}" for label in LABELS)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        models = {label: zoo.load(f"author-{label.lower()}") for label in LABELS}
        fresh = per_author_check({label: (m.module, m.tokenizer) for label, m in models.items()})
    finally:
        torch.set_num_threads(threads)
    recorded = [row for m in models.values() for row in m.card["metrics"]["author_check"]["passages"]]
    assert [(r["style"], r["classified_as"]) for r in fresh["passages"]] == [
        (r["style"], r["classified_as"]) for r in recorded
    ]
    assert fresh["total"] == 21 and fresh["agree"] >= 17, fresh


@pytest.mark.parametrize("name", [n for n in SHIPPED if zoo.load(n).card.get("weights_dtype") == "float16"])
def test_a_model_stored_as_float16_says_so_and_keeps_its_run_figures(name):
    from safetensors.torch import load_file

    model = zoo.load(name)
    assert {t.dtype for t in load_file(model.path / WEIGHTS).values()} == {torch.float16}
    training = model.card["training"]
    assert training["after"][0] == f"python -m lstm_viz compact assets/models/{name}"
    assert all(step.startswith("python -m lstm_viz eval --held-aside --record ") for step in training["after"][1:])
    assert abs(training["float32_metrics"]["val_loss"] - model.card["metrics"]["val_loss"]) < 0.005


def test_public_api_one_liner_prints_the_trace_shape():
    code = "from lstm_viz import zoo; print(zoo.load('shakespeare-char').trace('To be').layers[0].forget_gate.shape)"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    hidden = zoo.load("shakespeare-char").module.config.hidden_size
    assert result.stdout.strip() == f"(5, {hidden})"
