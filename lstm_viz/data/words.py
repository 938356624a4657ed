"""A word-level language model's corpus: the seven shipped books and tiny shakespeare, read as words.

Words are lower-cased and split from punctuation by :class:`~lstm_viz.tokenizers.WordTokenizer`;
the vocabulary is the words seen at least ``min_count`` times in the training parts, everything
else reads as ``<unk>`` (its share of held-out words is reported). Each text is split by
position (the first 90% trains, the last 10% is held out); held-out loss is measured on every
text's tail read as one stream with the state carried, and reported as perplexity too: e^loss, the
number of equally likely words the model is as unsure as.
"""

from __future__ import annotations

import hashlib

import numpy as np
import torch

from lstm_viz.data.authors import BOOKS, GUTENBERG_DIR, read_book
from lstm_viz.data.corpus import SHAKESPEARE, asset_path, split_by_position, stream_loss
from lstm_viz.tokenizers import WordTokenizer

SOURCES = [*(name for name, _ in BOOKS), SHAKESPEARE]


def _texts() -> list[str]:
    return [read_book(name) for name, _ in BOOKS] + [asset_path(SHAKESPEARE).read_text(encoding="utf-8")]


def data_sha256() -> str:
    digest = hashlib.sha256()
    for name, _ in BOOKS:
        digest.update((GUTENBERG_DIR / name).read_bytes())
    digest.update(asset_path(SHAKESPEARE).read_bytes())
    return digest.hexdigest()


class WordCorpus:
    """Next-word prediction on eight texts: random training windows, streamed held-out evaluation."""

    task = "charlm"  # a language model: the next token's probabilities at every step
    labels = None

    def __init__(
        self,
        tokenizer: WordTokenizer | None = None,
        seq_len: int = 64,
        min_count: int = 3,
        max_vocab: int = 12_000,
        held_out: float = 0.1,
    ):
        texts = _texts()
        self.seq_len = seq_len
        splits = [[w for w, _, _ in WordTokenizer.split(t)] for t in texts]
        cuts = [split_by_position(len(words), held_out) for words in splits]
        if tokenizer is None:
            training = [" ".join(words[:cut]) for words, cut in zip(splits, cuts, strict=True)]
            tokenizer = WordTokenizer.from_corpus(training, min_count=min_count, max_size=max_vocab)
        self.tokenizer = tokenizer
        index, unk = tokenizer.index, tokenizer.unk_id
        ids = [np.array([index.get(w, unk) for w in words], dtype=np.int64) for words in splits]
        self.train_ids = [torch.from_numpy(a[:c]) for a, c in zip(ids, cuts, strict=True)]
        self.val_ids = [torch.from_numpy(a[c:]) for a, c in zip(ids, cuts, strict=True)]
        self.weights = np.array([len(t) for t in self.train_ids], dtype=np.float64)
        self.weights /= self.weights.sum()  # a window comes from a text in proportion to its size
        self.num_outputs = len(tokenizer)
        self.data_sha256 = data_sha256()
        held = torch.cat(self.val_ids)
        self.unk_share = float((held == unk).double().mean())
        self.sample_text = " ".join(tokenizer.vocab[int(i)] for i in self.val_ids[-1][:40])
        self.description = (
            f"words of seven Gutenberg books and tiny shakespeare, {sum(len(s) for s in splits):,} words, "
            f"vocabulary {len(tokenizer):,} (words seen {min_count}+ times in training); train = first 90% of "
            f"each text in {seq_len}-word windows; held out = last 10% of each, {self.unk_share:.1%} of it <unk>"
        )

    def batch(self, batch_size: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        texts = rng.choice(len(self.train_ids), size=batch_size, p=self.weights)
        rows = []
        for t in texts.tolist():
            start = int(rng.integers(0, len(self.train_ids[t]) - self.seq_len - 1))
            rows.append(self.train_ids[t][start : start + self.seq_len + 1])
        window = torch.stack(rows)
        return window[:, :-1], window[:, 1:]

    @torch.no_grad()
    def evaluate(self, model, device, full: bool = True, quick_words: int = 5_000) -> dict:
        """Mean next-word loss over every text's held-out tail read as one stream; perplexity e^loss."""
        losses, counts = [], []
        for ids in self.val_ids:
            part = ids if full else ids[: quick_words + 1]
            losses.append(stream_loss(model, part, device))
            counts.append(len(part) - 1)
        loss = float(np.average(losses, weights=counts))
        names = [name.removesuffix(".txt") for name in SOURCES]
        return {
            "val_loss": loss,
            "val_loss_unit": "nats per word",
            "val_perplexity": float(np.exp(loss)),
            "val_perplexity_by_text": {n: round(float(np.exp(v)), 2) for n, v in zip(names, losses, strict=True)},
            "val_unk_share": self.unk_share,
            "split": f"last 10% of each of the {len(self.val_ids)} texts ({sum(counts):,} words), each read as one "
            "stream with the state carried",
        }
