"""Which author wrote this passage: seven Project Gutenberg books, one class each.

The books ship in ``assets/data/gutenberg/`` (NLTK's selection, public domain; credits in
assets/README.md). Each file opens with a ``[Title by Author Year]`` tag, which is dropped:
it names the answer. Runs of whitespace (line wraps, indentation, blank lines) become one
space, so a passage typed or pasted into a text box reads like one from the books.

Split by position, per book: the first 90% trains, the last 10% is held out. Training reads
random 300-character windows that end before the held-out part starts, so no training window
overlaps a held-out passage. Each batch draws its authors uniformly (balanced classes; the
books differ 12-fold in size). Every character from the 40th on carries the label, not only
the last one: the running prediction is what the Classify page shows, so it is trained at
every length, and one window teaches 261 predictions instead of one (which is what makes the
model trainable in minutes on a CPU).
Held-out passages are consecutive non-overlapping 300-character windows of each book's tail,
the same number per book; accuracy is read after 50, 100 and 300 characters of each passage.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import numpy as np
import torch

from lstm_viz.data.corpus import ASSET_DATA, split_by_position
from lstm_viz.data.labelled import confusion_matrix, logits_at, loss_and_accuracy
from lstm_viz.engine.tokenizers import CharTokenizer

if TYPE_CHECKING:
    from lstm_viz.engine.network import SequenceModel

GUTENBERG_DIR = ASSET_DATA / "gutenberg"
# (file, label) in head order; the label is the author's surname.
BOOKS = (
    ("shakespeare-macbeth.txt", "Shakespeare"),
    ("austen-persuasion.txt", "Austen"),
    ("carroll-alice.txt", "Carroll"),
    ("chesterton-thursday.txt", "Chesterton"),
    ("melville-moby_dick.txt", "Melville"),
    ("milton-paradise.txt", "Milton"),
    ("whitman-leaves.txt", "Whitman"),
)
LABELS = [label for _, label in BOOKS]
PASSAGE = 300  # characters in a held-out passage (and the longest training window)
FIRST_SCORED = 40  # characters read before the label is asked for in training
EVAL_LENGTHS = (50, 100, 300)


def read_book(name: str) -> str:
    """A book's text without its ``[Title by Author Year]`` first line, whitespace collapsed."""
    text = (GUTENBERG_DIR / name).read_text(encoding="utf-8")
    first, _, rest = text.partition("\n")
    if not (first.strip().startswith("[") and first.strip().endswith("]")):
        raise ValueError(f"{name}: expected a '[Title by Author Year]' first line, got {first[:60]!r}")
    return " ".join(rest.split())


def data_sha256() -> str:
    digest = hashlib.sha256()
    for name, _ in BOOKS:
        digest.update((GUTENBERG_DIR / name).read_bytes())
    return digest.hexdigest()


def held_out_windows(lengths: list[int], cuts: list[int], passage: int = PASSAGE) -> list[list[int]]:
    """Start offsets of the held-out passages of each book: the same count per book."""
    per_book = [list(range(cut, n - passage + 1, passage)) for n, cut in zip(lengths, cuts, strict=True)]
    count = min(len(starts) for starts in per_book)
    if count == 0:
        raise ValueError(f"a book's held-out part is shorter than one {passage}-character passage")
    return [starts[:count] for starts in per_book]


def example_passages(count: int = 1) -> dict[str, list[str]]:
    """Held-out passages per author (the middle ones), trimmed to whole words, for the UI."""
    texts = [read_book(name) for name, _ in BOOKS]
    cuts = [split_by_position(len(t)) for t in texts]
    windows = held_out_windows([len(t) for t in texts], cuts)
    out = {}
    for (_, label), text, starts in zip(BOOKS, texts, windows, strict=True):
        middle = len(starts) // 2
        chosen = starts[middle : middle + count]
        passages = []
        for start in chosen:
            piece = text[start : start + PASSAGE]
            piece = piece[piece.find(" ") + 1 : piece.rfind(" ")]
            passages.append(piece)
        out[label] = passages
    return out


def encode_fast(tokenizer: CharTokenizer, text: str) -> np.ndarray:
    """``tokenizer.encode(text).ids`` as an array, vectorised over the few distinct characters."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    distinct, inverse = np.unique(codes, return_inverse=True)
    table = np.array([tokenizer.encode(chr(c)).ids[0] for c in distinct], dtype=np.int64)
    return table[inverse]


class AuthorsData:
    """Character-level 7-way author classification with balanced, position-split passages."""

    task = "classify"
    labels = LABELS
    num_outputs = len(LABELS)

    def __init__(self, tokenizer: CharTokenizer | None = None, held_out: float = 0.1):
        self.texts = [read_book(name) for name, _ in BOOKS]
        self.cuts = [split_by_position(len(t), held_out) for t in self.texts]
        training_text = "".join(t[:c] for t, c in zip(self.texts, self.cuts, strict=True))
        self.tokenizer = tokenizer or CharTokenizer.from_corpus(training_text)
        self.ids = [encode_fast(self.tokenizer, t) for t in self.texts]
        self.val_starts = held_out_windows([len(t) for t in self.texts], self.cuts)
        self.data_sha256 = data_sha256()
        self.pad_id = 0  # never used: every window has the same length
        self.description = (
            f"authors: 7 books, {sum(len(t) for t in self.texts):,} characters (whitespace collapsed), "
            f"vocabulary {len(self.tokenizer)}; train = first 90% of each book, random {PASSAGE}-character "
            f"windows, authors drawn uniformly, label at every character from the {FIRST_SCORED}th; "
            f"held out = last 10%, "
            f"{len(self.val_starts[0])} non-overlapping {PASSAGE}-character passages per book"
        )

    def train_windows(self, batch_size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(book per row, start per row): every window ends before its book's held-out part."""
        books = rng.integers(0, len(BOOKS), size=batch_size)
        starts = np.array([rng.integers(0, self.cuts[b] - PASSAGE + 1) for b in books])
        return books, starts

    def batch(self, batch_size: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        books, starts = self.train_windows(batch_size, rng)
        ids = torch.from_numpy(np.stack([self.ids[b][s : s + PASSAGE] for b, s in zip(books, starts, strict=True)]))
        targets = torch.full_like(ids, -100)
        targets[:, FIRST_SCORED - 1 :] = torch.from_numpy(books)[:, None]
        return ids, targets

    def evaluate(self, module: SequenceModel, device: torch.device, full: bool = True) -> dict:
        """Held-out accuracy after 50, 100 and 300 characters of each passage; confusion at 300."""
        sequences, labels = [], []
        for book, starts in enumerate(self.val_starts):
            sequences += [self.ids[book][s : s + PASSAGE].tolist() for s in starts]
            labels += [book] * len(starts)
        positions = [n - 1 for n in EVAL_LENGTHS]
        logits = logits_at(module, sequences, positions, self.pad_id, device)  # (N, 3, C)
        labels = torch.tensor(labels)
        metrics = {}
        for k, n in enumerate(EVAL_LENGTHS):
            loss, accuracy = loss_and_accuracy(logits[:, k], labels)
            if n == PASSAGE:
                metrics["val_loss"], metrics["val_accuracy"] = loss, accuracy
            metrics[f"val_accuracy_{n}"] = accuracy
        metrics["val_count"] = len(sequences)
        metrics["val_loss_unit"] = f"nats per {PASSAGE}-character passage"
        metrics["confusion_matrix"] = confusion_matrix(logits[:, -1].argmax(1).numpy(), labels.numpy(), len(LABELS))
        metrics["split"] = f"last 10% of each book, {len(sequences)} passages of {PASSAGE} characters (balanced)"
        return metrics
