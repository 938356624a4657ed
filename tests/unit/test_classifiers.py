"""Classifiers: data quirks of each source, honest splits, reproducible cards, exact contributions."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import torch

from lstm_viz import data as data_kinds
from lstm_viz.analysis import contributions
from lstm_viz.data import authors, sentiment
from lstm_viz.data.labelled import pad_batch
from lstm_viz.store import examples, zoo
from lstm_viz.training import presets
from lstm_viz.ui.cards import accuracy_table

SHIPPED = ("reviews-sentiment", "authors")


@pytest.fixture(scope="module")
def sentiment_data():
    return sentiment.SentimentData()


@pytest.fixture(scope="module")
def authors_data():
    return authors.AuthorsData()


def shipped(name: str):
    if not (zoo.SHIPPED_DIR / name / "card.json").is_file():
        pytest.fail(f"the shipped model {name} is missing from assets/models")
    return zoo.load(name)


# --- reading each source ----------------------------------------------------------------------


def test_uci_files_split_on_the_last_tab_with_balanced_labels(sentiment_data):
    by_source = Counter((ex.source, ex.label) for ex in sentiment_data.examples)
    assert by_source[("yelp", 0)] == by_source[("yelp", 1)] == 500
    assert by_source[("amazon", 0)] == by_source[("amazon", 1)] == 500
    assert by_source[("rt-polarity", 0)] == by_source[("rt-polarity", 1)] == 5331
    # Sentences with quote characters are read whole (no CSV quoting), and stripped.
    quoted = [ex.text for ex in sentiment_data.examples if ex.source != "rt-polarity" and '"' in ex.text]
    assert len(quoted) == 12 + 11
    assert all(ex.text == ex.text.strip() and "\t" not in ex.text for ex in sentiment_data.examples)
    assert sentiment_data.examples[0].text == "Wow... Loved this place."


def test_rt_polarity_is_utf8_and_its_clitics_match_ordinary_spelling(sentiment_data):
    rt = [ex.text for ex in sentiment_data.examples if ex.source == "rt-polarity"]
    assert any(not t.isascii() for t in rt)  # e.g. accented names, decoded as UTF-8
    assert not any("\ufffd" in t or "Ã" in t for t in rt)  # no mojibake
    tok = sentiment_data.tokenizer
    # rt-polarity writes "does n't" and "it 's"; Yelp writes "doesn't" and "it's": same ids.
    assert tok.encode("it does n't work , it 's dull").ids == tok.encode("It DOESN'T work, it's dull").ids
    assert [w for w, _, _ in tok.split("Honeslty it didn't taste THAT fresh.)")] == [
        "honeslty", "it", "did", "n't", "taste", "that", "fresh", ".", ")",
    ]  # fmt: skip


def test_out_of_vocabulary_words_are_reported_as_unk(sentiment_data):
    enc = sentiment_data.tokenizer.encode("The zqxvfoo was great")
    assert [u.piece for u in enc.unknown] == ["zqxvfoo"]
    assert enc.ids[1] == sentiment_data.tokenizer.unk_id
    assert len(enc) == 4


def test_books_lose_their_title_tag_and_line_breaks():
    for name, label in authors.BOOKS:
        raw_first = (authors.GUTENBERG_DIR / name).read_text(encoding="utf-8").split("\n", 1)[0]
        text = authors.read_book(name)
        assert raw_first.startswith("[") and raw_first.rstrip().endswith("]")
        assert raw_first.strip() not in text and label not in text[:200]
        assert "\n" not in text and "\r" not in text and "  " not in text
    # Moby Dick has CRLF line endings in the file.
    assert b"\r\n" in (authors.GUTENBERG_DIR / "melville-moby_dick.txt").read_bytes()


# --- splits ----------------------------------------------------------------------------------


def test_held_out_split_is_stratified_fixed_and_disjoint(sentiment_data):
    examples = sentiment_data.examples
    train, val = sentiment.stratified_split(examples)
    assert (train, val) == sentiment.stratified_split(examples)  # the seed fixes it
    assert not set(train) & set(val) and len(train) + len(val) == len(examples)
    groups = Counter((ex.source, ex.label) for ex in examples)
    held = Counter((examples[i].source, examples[i].label) for i in val)
    for key, n in groups.items():
        assert held[key] == round(n * 0.1), key
    # The vocabulary comes from the training sentences only.
    vocab = set(sentiment_data.tokenizer.vocab)
    train_words = {w for i in train for w, _, _ in sentiment_data.tokenizer.split(examples[i].text)}
    assert vocab - {"<pad>", "<unk>"} <= train_words


def test_author_training_windows_never_overlap_held_out_passages(authors_data):
    rng = np.random.default_rng(0)
    for _ in range(200):
        books, starts = authors_data.train_windows(64, rng)
        ends = starts + authors.PASSAGE
        cuts = np.asarray(authors_data.cuts)[books]
        assert (starts >= 0).all() and (ends <= cuts).all()
    counts = {len(s) for s in authors_data.val_starts}
    assert len(counts) == 1 and counts.pop() >= 30  # balanced held-out set
    for book, starts in enumerate(authors_data.val_starts):
        assert starts[0] >= authors_data.cuts[book]
        assert all(b - a >= authors.PASSAGE for a, b in zip(starts, starts[1:], strict=False))
        assert starts[-1] + authors.PASSAGE <= len(authors_data.texts[book])
    # The examples shown in the app come from the held-out part.
    passages = authors.example_passages()
    for (name, label), text in zip(authors.BOOKS, authors_data.texts, strict=True):
        at = text.find(passages[label][0])
        assert at >= authors_data.cuts[authors.LABELS.index(label)], name


def test_training_batches_are_balanced_and_scored_where_they_should_be(authors_data, sentiment_data):
    rng = np.random.default_rng(1)
    labels = Counter()
    for _ in range(50):
        ids, targets = authors_data.batch(32, rng)
        assert ids.shape == targets.shape == (32, authors.PASSAGE)
        # Authors: every character from the 40th on carries the book's label.
        first = authors.FIRST_SCORED - 1
        assert (targets[:, :first] == -100).all()
        assert (targets[:, first:] == targets[:, -1:]).all()
        labels.update(targets[:, -1].tolist())
    assert set(labels) == set(range(len(authors.LABELS)))
    assert min(labels.values()) > 0.6 * max(labels.values())
    # Sentiment: right-padded, scored only on the last real word (word dropout only hides words).
    ids, targets = sentiment_data.batch(16, rng)
    for row in range(16):
        real = int((ids[row] != sentiment_data.pad_id).sum())
        assert (ids[row, real:] == sentiment_data.pad_id).all()
        assert targets[row].tolist() == [-100] * (real - 1) + [targets[row, real - 1].item()] + [-100] * (
            ids.shape[1] - real
        )
    x, y = pad_batch([[5, 6, 7], [8]], [1, 0], pad_id=0)
    assert x.tolist() == [[5, 6, 7], [8, 0, 0]] and y.tolist() == [[-100, -100, 1], [0, -100, -100]]


# --- shipped models ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", SHIPPED)
def test_card_metrics_reproduce_from_a_fresh_evaluation(name):
    model = shipped(name)
    data = data_kinds.build(presets.get(model.card["training"]["preset"]).data, tokenizer=model.tokenizer)
    assert data.data_sha256 == model.card["training"]["data_sha256"]
    fresh = data.evaluate(model.module, torch.device("cpu"), full=True)
    card = model.card["metrics"]
    assert card["final"] is True
    for key, value in fresh.items():
        if isinstance(value, float):
            assert card[key] == pytest.approx(value, abs=1e-4), key
        else:
            assert card[key] == value, key
    assert accuracy_table(card)  # the page has something to show


def test_goals_are_met_by_the_shipped_cards():
    sentiment_card = shipped("reviews-sentiment").card
    assert sentiment_card["metrics"]["val_accuracy"] >= 0.76 and sentiment_card["hidden_size"] <= 256
    authors_card = shipped("authors").card
    assert authors_card["metrics"]["val_accuracy_300"] >= 0.85
    for name in SHIPPED:
        assert (zoo.SHIPPED_DIR / name / "model.safetensors").stat().st_size < 10 * 1024 * 1024


@pytest.mark.parametrize("name", SHIPPED)
def test_unit_contributions_add_up_to_the_logit(name):
    model = shipped(name)
    text = next(iter(examples.for_classifier(model.card).values()))
    trace = model.trace(text)
    weight, bias = contributions.head_parameters(model.module)
    with torch.no_grad():  # an independent forward pass through nn.LSTM
        logits, _ = model.module(torch.tensor(trace.token_ids)[None])
    for c in range(len(model.labels)):
        contrib = contributions.logit_contributions(trace, weight, bias, class_index=c)
        assert contrib.bias + contrib.contributions.sum() == pytest.approx(contrib.logit, abs=1e-5)
        assert contrib.logit == pytest.approx(float(logits[0, -1, c]), abs=1e-4)
    top = contributions.logit_contributions(trace, weight, bias).top_units(5)
    shares = np.abs(contributions.logit_contributions(trace, weight, bias).contributions)
    assert shares[top[0]] == shares.max() and list(shares[top]) == sorted(shares[top], reverse=True)


def test_token_influence_telescopes_to_the_whole_change():
    model = shipped("reviews-sentiment")
    trace = model.trace(examples.SENTIMENT["Praise, then a complaint"])
    _, bias = contributions.head_parameters(model.module)
    prior = contributions.prior_probabilities(bias)
    with torch.no_grad():
        assert prior == pytest.approx(torch.softmax(model.module.head.bias, 0).numpy(), abs=1e-6)
    moved = contributions.token_influence(trace.probs, 1, prior)
    assert moved.sum() == pytest.approx(trace.probs[-1, 1] - prior[1], abs=1e-6)
    assert moved[0] == pytest.approx(trace.probs[0, 1] - prior[1], abs=1e-7)


def test_reviews_that_turn_end_on_the_complaint():
    model = shipped("reviews-sentiment")
    for title, label in (("Plainly positive", "positive"), ("Plainly negative", "negative")):
        probs = model.trace(examples.SENTIMENT[title]).probs[-1]
        assert model.labels[int(probs.argmax())] == label, title
    trace = model.trace(examples.SENTIMENT["Praise, then a complaint"])
    but = trace.tokens.index("but")
    positive = model.labels.index("positive")
    assert trace.probs[but - 1, positive] > 0.5 > trace.probs[-1, positive]
