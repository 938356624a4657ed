"""His/her agreement: minimal pairs never seen in training, scored from the model's own next-word logits."""

from __future__ import annotations

from collections import Counter

import pytest
import torch

from lstm_viz.analysis import agreement
from lstm_viz.data.words import _HER_ENDS, MORE_BOOKS, WordCorpus, _texts
from lstm_viz.engine.tokenizers import WordTokenizer
from lstm_viz.store import zoo


def words(text: str) -> list[str]:
    return [w for w, _, _ in WordTokenizer.split(text)]


@pytest.fixture(scope="module")
def tokenizer():
    return zoo.load("words-lm").tokenizer


@pytest.mark.parametrize("pairs", [agreement.DEV, agreement.TEST], ids=["dev", "test"])
def test_sets_are_balanced_minimal_pairs_at_every_distance(pairs):
    assert len(pairs) >= 120
    assert Counter(p.gender for p in pairs) == {"male": len(pairs) // 2, "female": len(pairs) // 2}
    assert {p.distance for p in pairs} == set(range(1, 11))
    for male, female in zip(pairs[::2], pairs[1::2], strict=True):  # the same sentence, another subject
        assert male.distance == female.distance and words(male.text)[-1] == words(female.text)[-1]


def test_the_held_aside_set_shares_no_context_with_the_dev_set():
    assert not {p.text for p in agreement.DEV} & {p.text for p in agreement.TEST}


def test_no_context_is_in_the_training_texts():
    """Not even the part from the subject to the blank (the sentence start before it aside) occurs in any text."""
    joined = " \n ".join(" ".join(words(t)) for t in _texts(more_books=True))
    for pair in (*agreement.DEV, *agreement.TEST):
        ws = words(pair.text)
        tail = " ".join(ws[ws.index(",") + 1 :])
        assert f" {tail} " not in joined, pair.text
        assert f" {' '.join(ws)} " not in joined, pair.text


class Oracle(torch.nn.Module):
    """Says "her" after a female subject and "his" otherwise (or the reverse): a model whose answer is known."""

    def __init__(self, tokenizer, flip: bool = False):
        super().__init__()
        self.vocab_size = len(tokenizer)
        female = {p.text for p in (*agreement.DEV, *agreement.TEST) if p.gender == "female"}
        self.female = {tuple(tokenizer.encode(t).ids) for t in female}
        self.his, self.her, self.flip = tokenizer.index["his"], tokenizer.index["her"], flip

    def forward(self, x, state=None):
        logits = torch.zeros(1, x.shape[1], self.vocab_size)
        is_female = (tuple(x[0].tolist()) in self.female) != self.flip
        logits[0, -1, self.her if is_female else self.his] = 1.0
        return logits, state


def test_agreement_counts_the_right_possessive(tokenizer):
    assert agreement.metrics(Oracle(tokenizer), tokenizer)["agreement"] == 1.0
    wrong = agreement.metrics(Oracle(tokenizer, flip=True), tokenizer, agreement.TEST, prefix="test_agreement")
    assert wrong["test_agreement"] == 0.0 and wrong["test_agreement_his"] == 0.0
    assert set(wrong["test_agreement_by_distance"]) == set(range(1, 11))


def test_the_shipped_cards_agreement_is_measured_again(tokenizer):
    """The card's dev figures (and, once measured, the held-aside ones) equal a fresh measurement."""
    model = zoo.load("words-lm")
    metrics = model.card["metrics"]
    fresh = agreement.metrics(model.module, tokenizer)
    assert abs(fresh["agreement"] - metrics["agreement"]) < 1e-9
    assert abs(fresh["agreement_her"] - metrics["agreement_her"]) < 1e-9
    if "test_agreement" in metrics:
        aside = agreement.metrics(model.module, tokenizer, agreement.TEST, prefix="test_agreement")
        assert abs(aside["test_agreement"] - metrics["test_agreement"]) < 1e-9
        assert any(
            step.startswith("python -m lstm_viz eval --held-aside --record") for step in model.card["training"]["after"]
        )


def test_recording_held_aside_figures_keeps_the_weights_and_names_the_command(tmp_path):
    import shutil

    from lstm_viz.store import checkpoint
    from lstm_viz.training.compact import record_held_aside

    folder = tmp_path / "memory-rnn"
    shutil.copytree(zoo.SHIPPED_DIR / "memory-rnn", folder)
    before = zoo.load_path(folder)
    record_held_aside(str(folder), {"test_agreement": 0.5})
    after = zoo.load_path(folder)  # the card still names these very weights, or this raises
    assert after.card["metrics"]["test_agreement"] == 0.5
    assert after.card["metrics"]["val_loss"] == before.card["metrics"]["val_loss"]
    assert after.card["training"]["after"][-1] == f"python -m lstm_viz eval --held-aside --record {folder}"
    assert checkpoint.weights_sha256((folder / checkpoint.WEIGHTS).read_bytes()) == after.card["weights_sha256"]


def test_more_books_leave_the_held_out_split_as_it_was(tokenizer):
    plain = WordCorpus(tokenizer=tokenizer, seq_len=48)
    more = WordCorpus(tokenizer=tokenizer, seq_len=48, more_books=True)
    assert len(more.val_ids) == len(plain.val_ids) == 8 and len(more.more_val_ids) == len(MORE_BOOKS)
    assert all(torch.equal(a, b) for a, b in zip(plain.val_ids, more.val_ids, strict=True))
    assert len(more.train_stream) > len(plain.train_stream)


def test_every_word_of_every_context_is_in_the_vocabulary(tokenizer):
    """An unknown subject ("<unk>") would hide its gender: the pair could not be answered."""
    for pair in (*agreement.DEV, *agreement.TEST):
        unknown = [w for w in words(pair.text) if w not in tokenizer.index]
        assert not unknown, (pair.text, unknown)


def test_the_gender_swapped_copy_exchanges_subjects_and_possessives():
    from lstm_viz.data.words import gender_swapped

    assert gender_swapped(words("She took her hat, and he saw her.")) == words("He took his hat, and she saw him.")
    assert gender_swapped(words("The king and his wife saw the queen and her husband.")) == words(
        "The queen and her husband saw the king and his wife."
    )
    assert gender_swapped(words("Mr. Brown told himself to forgive the boy.")) == words(
        "Mrs. Brown told herself to forgive the girl."
    )
    unchanged = words("The whale swam on, and the sea was calm.")
    assert gender_swapped(unchanged) == unchanged


def test_the_swap_balances_the_pronouns_of_the_training_text():
    """In the books "he" is far more common than "she"; in the text with its swapped copy they are even."""
    from lstm_viz.data.words import gender_swapped

    text = [w for t in _texts(more_books=True) for w in words(t)]
    written, both = Counter(text), Counter(text) + Counter(gender_swapped(text))
    assert written["he"] > 1.5 * written["she"], (written["he"], written["she"])
    assert both["he"] == both["she"] == written["he"] + written["she"]
    assert both["his"] == written["his"] + written["hers"] + sum(
        1 for w, after in zip(text, [*text[1:], "."], strict=True) if w == "her" and after not in _HER_ENDS
    )
