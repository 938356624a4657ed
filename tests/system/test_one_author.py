"""One generator per author (presets author-NAME): the data is that author's book alone, split as the classifier's,
the card names the author, and the check asks the shipped authors classifier whose passages they are."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lstm_viz import data as data_kinds
from lstm_viz.data import authors, styles
from lstm_viz.data.corpus import split_by_position
from lstm_viz.data.one_author import PRIME, AuthorBook, per_author_check
from lstm_viz.engine.tokenizers import tokenizer_from_dict
from lstm_viz.generation.generate import sample_ids
from lstm_viz.store import zoo
from lstm_viz.training import presets
from tests import factory

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--steps", "2", "--eval-every", "2", "--hidden-size", "8", "--num-layers", "1", "--embed-dim", "4",
        "--batch-size", "2", "--seq-len", "16", "--threads", "1", "--device", "cpu"]  # fmt: skip


def cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "LSTM_VIZ_HOME": str(home), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "lstm_viz", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_there_is_one_preset_per_author_of_the_classifier():
    for label in authors.LABELS:
        preset = presets.get(f"author-{label.lower()}")
        assert preset.data["kind"] == "book" and preset.data["author"] == label
        assert (preset.model["hidden_size"], preset.model["num_layers"]) == (256, 2)
        assert preset.train["batch_size"] == 64 and preset.data["seq_len"] == 128 and preset.train["threads"] == 1


def test_the_data_is_that_book_alone_split_as_the_classifier_splits_it():
    corpus = data_kinds.build(presets.get("author-chesterton").data)
    book = authors.read_book("chesterton-thursday.txt")
    classifier = authors.AuthorsData()
    k = authors.LABELS.index("Chesterton")
    assert classifier.cuts[k] == split_by_position(len(book)) == len(corpus.train_ids)
    assert corpus.tokenizer.decode(corpus.train_ids.tolist()) == book[: classifier.cuts[k]]
    assert corpus.tokenizer.decode(corpus.val_ids.tolist()) == book[classifier.cuts[k] :]  # held out: the tail
    assert "Chesterton" in corpus.description and "chesterton-thursday.txt" in corpus.description


def test_an_unknown_author_is_refused_by_name():
    with pytest.raises(ValueError, match="unknown author 'Tolstoy'; choose one of: Shakespeare, Austen"):
        AuthorBook("Tolstoy")
    with pytest.raises(ValueError, match="takes author, seq_len"):
        data_kinds.build({"kind": "book", "author": "Austen", "gaps": 3})


def test_a_tiny_run_records_its_author_and_eval_gives_its_figures_again(tmp_path):
    out = tmp_path / "author-carroll"
    trained = cli("train", "--preset", "author-carroll", "--out", str(out), *TINY, home=tmp_path)
    assert trained.returncode == 0, trained.stderr
    card = json.loads((out / "card.json").read_text())
    assert card["training"]["preset"] == "author-carroll" and "--preset author-carroll" in card["training"]["command"]
    assert card["training"]["data"].startswith("author Carroll: ") and "carroll-alice.txt" in card["training"]["data"]
    metrics = card["metrics"]
    assert metrics["author"] == "Carroll" and metrics["val_loss_unit"] == "nats per character"
    check = metrics["author_check"]
    assert [(r["style"], r["seed"]) for r in check["passages"]] == [("Carroll", s) for s in styles.CHECK_SEEDS]
    assert check["agree"] == sum(r["classified_as"] == "Carroll" for r in check["passages"])
    evaluated = cli("eval", str(out), home=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr
    assert float(re.search(r"^val_loss: ([\d.]+)", evaluated.stdout, re.M).group(1)) == pytest.approx(
        metrics["val_loss"], abs=1e-4
    )
    assert "author: Carroll" in evaluated.stdout


def test_the_check_gives_each_generators_passages_and_the_classifiers_verdicts():
    card = factory.char_card()
    generators = {label: (factory.model_for(card, seed=k), tokenizer_from_dict(card["tokenizer"]))
                  for k, label in enumerate(["Milton", "Austen"])}  # fmt: skip
    check = per_author_check(generators)
    rows = check["passages"]
    assert [(r["style"], r["seed"]) for r in rows] == [(a, s) for a in ("Austen", "Milton") for s in styles.CHECK_SEEDS]
    assert check["total"] == 6 and check["agree"] == sum(r["style"] == r["classified_as"] for r in rows)
    module, tokenizer = generators["Milton"]  # write Milton's second passage again and let the classifier read it
    written = tokenizer.decode(
        sample_ids(module, tokenizer.encode(PRIME).ids, styles.CHECK_LENGTH, styles.CHECK_TEMPERATURE, seed=2).ids
    )
    assert len(written) == styles.CHECK_LENGTH
    judge = zoo.load("authors")
    probs = judge.trace(written).probs[-1]
    assert rows[4]["classified_as"] == judge.labels[int(np.argmax(probs))]
    assert rows[4]["p"] == pytest.approx(float(probs.max()), abs=1e-4)
    with pytest.raises(ValueError, match="not an author of the classifier"):
        per_author_check({"Tolstoy": generators["Milton"]})
