"""A word-level language model's corpus: the seven shipped books and tiny shakespeare, read as words.

Words are lower-cased and split from punctuation by :class:`~lstm_viz.engine.tokenizers.WordTokenizer`;
the vocabulary is the words seen at least ``min_count`` times in the training parts, everything
else reads as ``<unk>`` (its share of held-out words is reported). Each text is split by
position (the first 90% trains, the last 10% is held out); held-out loss is measured on every
text's tail read as one stream with the state carried, and reported as perplexity too: e^loss, the
number of equally likely words the model is as unsure as.

``more_books=True`` adds four more books of the same NLTK selection (MORE_BOOKS) as training
text: the held-out split of the eight texts stays exactly as without them (so perplexity stays
comparable), and the new books' own tails are held out and reported apart. Training windows are
random (:meth:`WordCorpus.batch`) or read as parallel streams (:meth:`WordCorpus.stream_batch`,
truncated back-propagation with the state carried from one batch to the next). Every evaluation
also measures his/her agreement on the dev minimal pairs (:mod:`lstm_viz.analysis.agreement`).

``swap_genders=True`` adds to the training text a copy of it in which the gendered words are swapped
(:func:`gender_swapped`: "he" and "she", "his" and "her", "king" and "queen", ...). The books say "his"
far more often than "her", and a model that has learned that prior says "his" after "she" too. In
the doubled text "he" and "she" are exactly even, but "her" is both a possessive and an object
("his" and "him" both become "her"), so it is about 1.5 times as common as "his" there: a model
trained on it leans to "her" instead (measured, see the run's card). The vocabulary is still built
from the books alone, and the held-out tails are never swapped.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import numpy as np
import torch

from lstm_viz.analysis import agreement
from lstm_viz.data.authors import BOOKS, GUTENBERG_DIR, read_book
from lstm_viz.data.corpus import SHAKESPEARE, asset_path, split_by_position, stream_loss
from lstm_viz.engine.tokenizers import WordTokenizer

if TYPE_CHECKING:
    from lstm_viz.engine.network import SequenceModel

SOURCES = [*(name for name, _ in BOOKS), SHAKESPEARE]
MORE_BOOKS = ("austen-emma.txt", "austen-sense.txt", "chesterton-ball.txt", "chesterton-brown.txt")

# Word pairs swapped in the gender-swapped copy of the training text (both ways). "her" is swapped
# by gender_swapped: "his" before a word it could own, "him" before punctuation or a word that ends a phrase.
_PAIRS = agreement.GENDER_PAIRS
SWAP = {**{a: b for a, b in _PAIRS}, **{b: a for a, b in reversed(_PAIRS)}}
SWAP.update({"his": "her", "hers": "his", "him": "her", "her": "his"})  # "her": see gender_swapped
_HER_ENDS = frozenset((
    ".", ",", ";", ":", "!", "?", "'", '"', "-", ")", "(", "and", "or", "but", "to", "in", "into", "on", "at", "by",
    "for", "from", "with", "of", "that", "as", "than", "so", "if", "when", "then", "again", "too", "up", "down",
    "out", "off", "away", "back", "now", "here", "there", "all", "very", "not", "the", "a", "an", "this",
))  # fmt: skip


def gender_swapped(words: list[str]) -> list[str]:
    """The words with every gendered word in SWAP exchanged for its pair ("she took his hat" -> "he took her hat").

    "her" is either "his" (her hat) or "him" (saw her): it becomes "him" before punctuation, an article
    or a word that ends a phrase, and "his" otherwise. ("lady" becomes "gentleman": the first pair wins.)
    """
    out = []
    for i, word in enumerate(words):
        if word == "her":
            following = words[i + 1] if i + 1 < len(words) else "."
            out.append("him" if following in _HER_ENDS else "his")
        else:
            out.append(SWAP.get(word, word))
    return out


def _texts(more_books: bool = False) -> list[str]:
    texts = [read_book(name) for name, _ in BOOKS] + [asset_path(SHAKESPEARE).read_text(encoding="utf-8")]
    return texts + ([_read_more(name) for name in MORE_BOOKS] if more_books else [])


def _read_more(name: str) -> str:
    """An added book without its title line, whitespace collapsed (chesterton-ball.txt is Latin-1, as NLTK ships it)."""
    raw = (GUTENBERG_DIR / name).read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return " ".join(text.partition("\n")[2].split())


def data_sha256(more_books: bool = False) -> str:
    digest = hashlib.sha256()
    for name, _ in BOOKS:
        digest.update((GUTENBERG_DIR / name).read_bytes())
    digest.update(asset_path(SHAKESPEARE).read_bytes())
    for name in MORE_BOOKS if more_books else ():
        digest.update((GUTENBERG_DIR / name).read_bytes())
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
        more_books: bool = False,
        swap_genders: bool = False,
    ):
        texts = _texts(more_books)
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
        self.more_val_ids = self.val_ids[len(SOURCES) :]  # the added books' tails, reported apart
        self.val_ids = self.val_ids[: len(SOURCES)]
        if swap_genders:  # each training part again, its gendered words exchanged (the vocabulary stays the books')
            swapped = [gender_swapped(words[:cut]) for words, cut in zip(splits, cuts, strict=True)]
            self.train_ids += [torch.tensor([index.get(w, unk) for w in words], dtype=torch.int64) for words in swapped]
        self.train_stream = torch.cat(self.train_ids)  # every training part, one after the other
        self.weights = np.array([len(t) for t in self.train_ids], dtype=np.float64)
        self.weights /= self.weights.sum()  # a window comes from a text in proportion to its size
        self.num_outputs = len(tokenizer)
        self.data_sha256 = data_sha256(more_books)
        held = torch.cat(self.val_ids)
        self.unk_share = float((held == unk).double().mean())
        self.sample_text = " ".join(tokenizer.vocab[int(i)] for i in self.val_ids[-1][:40])
        more = f" (and, for training only, {len(MORE_BOOKS)} more Gutenberg books)" if more_books else ""
        if swap_genders:
            more += ", the training parts read twice: as written and with their gendered words swapped"
        self.description = (
            f"words of seven Gutenberg books and tiny shakespeare{more}, {sum(len(s) for s in splits):,} words, "
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

    def stream_batch(self, batch_size: int, step: int) -> tuple[torch.Tensor, torch.Tensor, bool]:
        """The windows of update ``step`` when the training text is read as ``batch_size`` streams.

        The training parts, joined, are cut into ``batch_size`` equal lanes; update ``i`` of an epoch
        reads the i-th ``seq_len`` words of every lane, so each row continues the row of the batch
        before it and the state can be carried. Each epoch starts the lanes a few words further on.
        Returns (x, y, fresh): ``fresh`` when a new epoch begins (the carried state must be dropped).
        Depends on the step alone, so a resumed run reads exactly what the uninterrupted run would.
        """
        per_epoch = self.stream_steps(batch_size)
        epoch, i = divmod(step, per_epoch)
        offset = (epoch * 7) % self.seq_len
        lane = (len(self.train_stream) - self.seq_len) // batch_size
        lanes = self.train_stream[offset : offset + batch_size * lane].view(batch_size, lane)
        window = lanes[:, i * self.seq_len : (i + 1) * self.seq_len + 1]
        return window[:, :-1], window[:, 1:], i == 0

    def stream_steps(self, batch_size: int) -> int:
        """Updates in one epoch of :meth:`stream_batch`."""
        lane = (len(self.train_stream) - self.seq_len) // batch_size
        if lane <= self.seq_len:
            raise ValueError(f"too little text for {batch_size} streams of {self.seq_len}-word windows")
        return (lane - 1) // self.seq_len

    def held_aside(self, module: SequenceModel, device) -> dict:
        """His/her agreement on :data:`agreement.TEST`, the minimal pairs no run or model choice looks at."""
        return agreement.metrics(module, self.tokenizer, agreement.TEST, device, prefix="test_agreement")

    @torch.no_grad()
    def evaluate(self, module: SequenceModel, device, full: bool = True, quick_words: int = 5_000) -> dict:
        """Mean next-word loss over every text's held-out tail read as one stream; perplexity e^loss."""
        losses, counts = [], []
        for ids in self.val_ids:
            part = ids if full else ids[: quick_words + 1]
            losses.append(stream_loss(module, part, device))
            counts.append(len(part) - 1)
        loss = float(np.average(losses, weights=counts))
        names = [name.removesuffix(".txt") for name in SOURCES]
        extra = {}
        if self.more_val_ids:
            more = [stream_loss(module, ids if full else ids[: quick_words + 1], device) for ids in self.more_val_ids]
            extra["val_perplexity_more_books"] = {
                n.removesuffix(".txt"): round(float(np.exp(v)), 2) for n, v in zip(MORE_BOOKS, more, strict=True)
            }
        extra.update(agreement.metrics(module, self.tokenizer, agreement.DEV, device))
        return {
            "val_loss": loss,
            "val_loss_unit": "nats per word",
            "val_perplexity": float(np.exp(loss)),
            "val_perplexity_by_text": {n: round(float(np.exp(v)), 2) for n, v in zip(names, losses, strict=True)},
            "val_unk_share": self.unk_share,
            "split": f"last 10% of each of the {len(self.val_ids)} texts ({sum(counts):,} words), each read as one "
            "stream with the state carried",
            **extra,
        }
