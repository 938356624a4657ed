"""One character language model, seven styles: the books of the ``authors`` classifier, each with a style symbol.

Every training window starts with its author's style symbol (a private-use character, one per
author, kept in the model's vocabulary), so the model learns the text *given* the style, and
generation primed with a symbol writes in that author's manner ("Applying LSTM to Text
Generation", Leroux, Laliberté and Frédéric Boileau, trains one generator per corpus; one model
with a style symbol trains in a seventh of the time on this CPU and shares what the books have in
common: spelling, punctuation, common words).

The books and their split are those of :mod:`lstm_viz.data.authors` (whitespace collapsed, the
last 10% of each held out). The held-out check has two parts, both printed by the training run:
the loss of each author's held-out text read in windows that start with its style symbol, and the
check of the paper: passages generated for each style are classified by the shipped ``authors``
model, and the share it puts in the right class is reported.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F

from lstm_viz.data.authors import BOOKS, LABELS, data_sha256, encode_fast, read_book
from lstm_viz.data.corpus import split_by_position
from lstm_viz.engine.tokenizers import CharTokenizer

if TYPE_CHECKING:
    from lstm_viz.engine.network import SequenceModel

STYLE_BASE = 0xE000  # the style symbol of label k is chr(STYLE_BASE + k): private-use, never in a book
WINDOW = 256  # characters read after the style symbol in a training window
CHECK_LENGTH = 300  # characters generated per passage for the classifier's check
CHECK_SEEDS = (1, 2, 3)
CHECK_TEMPERATURE = 0.8


def style_symbols() -> dict[str, str]:
    """label -> its style symbol."""
    return {label: chr(STYLE_BASE + k) for k, label in enumerate(LABELS)}


class StyleCorpus:
    """Next-character prediction on seven books, each window opened by its author's style symbol."""

    task = "charlm"
    labels = None

    def __init__(self, tokenizer: CharTokenizer | None = None, seq_len: int = WINDOW, held_out: float = 0.1):
        self.seq_len = seq_len
        self.texts = [read_book(name) for name, _ in BOOKS]
        self.cuts = [split_by_position(len(t), held_out) for t in self.texts]
        symbols = style_symbols()
        training_text = "".join(t[:c] for t, c in zip(self.texts, self.cuts, strict=True))
        self.tokenizer = tokenizer or CharTokenizer([*sorted(set(training_text)), *symbols.values()])
        self.style_ids = [self.tokenizer.index[symbols[label]] for label in LABELS]
        self.ids = [torch.from_numpy(encode_fast(self.tokenizer, t)) for t in self.texts]
        self.num_outputs = len(self.tokenizer)
        self.data_sha256 = data_sha256()
        self.styles = symbols
        self.description = (
            f"seven books ({', '.join(LABELS)}), {sum(len(t) for t in self.texts):,} characters, whitespace "
            f"collapsed; train = first 90% of each book in {seq_len}-character windows, each opened by its "
            f"author's style symbol (authors drawn uniformly); held out = last 10% of each"
        )

    def batch(self, batch_size: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        books = rng.integers(0, len(BOOKS), size=batch_size)
        rows = []
        for b in books.tolist():
            start = int(rng.integers(0, self.cuts[b] - self.seq_len))
            rows.append(torch.cat([torch.tensor([self.style_ids[b]]), self.ids[b][start : start + self.seq_len]]))
        window = torch.stack(rows)  # (B, 1 + L): the style symbol, then the text
        return window[:, :-1], window[:, 1:]

    @torch.no_grad()
    def held_out_losses(self, module: SequenceModel, device, windows_per_book: int | None = None) -> dict[str, float]:
        """Mean next-character loss (nats) of each author's held-out text, in windows opened by its style symbol."""
        was_training = module.training
        module.eval()
        out = {}
        for b, label in enumerate(LABELS):
            tail = self.ids[b][self.cuts[b] :]
            starts = list(range(0, len(tail) - self.seq_len, self.seq_len))[:windows_per_book]
            rows = torch.stack(
                [torch.cat([torch.tensor([self.style_ids[b]]), tail[s : s + self.seq_len]]) for s in starts]
            )
            total = 0.0
            for chunk in rows.split(64):
                logits, _ = module(chunk[:, :-1].to(device))
                total += F.cross_entropy(
                    logits.float().flatten(0, 1), chunk[:, 1:].flatten().to(device), reduction="sum"
                ).item()
            out[label] = total / (len(starts) * self.seq_len)
        module.train(was_training)
        return out

    def evaluate(self, module: SequenceModel, device, full: bool = True) -> dict:
        losses = self.held_out_losses(module, device, windows_per_book=None if full else 8)
        metrics = {
            "val_loss": float(np.mean(list(losses.values()))),
            "val_loss_unit": "nats per character",
            "val_loss_by_author": {k: round(v, 4) for k, v in losses.items()},
            "split": f"last 10% of each book, read in {self.seq_len}-character windows opened by the style symbol",
        }
        if full:
            metrics["style_check"] = style_check(module, self.tokenizer)
        return metrics


def style_check(module: SequenceModel, tokenizer, classifier: str = "authors") -> dict:
    """The check of "Applying LSTM to Text Generation": do the passages written in each style read as that author?

    For each style and seed, write CHECK_LENGTH characters at CHECK_TEMPERATURE and let the shipped
    classifier read them; returns the agreement and every passage's verdict.
    """
    from lstm_viz.generation.generate import sample_ids

    symbols = style_symbols()

    def write(label: str, seed: int) -> str:
        prime = tokenizer.encode(symbols[label]).ids
        return tokenizer.decode(sample_ids(module, prime, CHECK_LENGTH, CHECK_TEMPERATURE, seed=seed).ids)

    was_training = module.training
    module.eval()
    try:
        return judge_passages(list(symbols), write, classifier)
    finally:
        module.train(was_training)


def judge_passages(labels: list[str], write, classifier: str = "authors") -> dict:
    """``write(label, seed)`` for each label and CHECK_SEEDS, read by the shipped classifier: agreement and verdicts."""
    from lstm_viz.store import zoo

    judge = zoo.load(classifier)
    rows, agree = [], 0
    for label in labels:
        for seed in CHECK_SEEDS:
            probs = judge.trace(write(label, seed)).probs[-1]
            verdict = judge.labels[int(np.argmax(probs))]
            agree += verdict == label
            rows.append({"style": label, "seed": seed, "classified_as": verdict, "p": round(float(probs.max()), 4)})
    return {"agree": agree, "total": len(rows), "share": round(agree / len(rows), 4), "passages": rows}


def describe_author_check(check: dict, author: str) -> str:
    """One author's generator's check in words: how many of its passages the classifier gives to that author,
    and whom it names instead for the others."""
    rows = [r for r in check.get("passages", []) if isinstance(r, dict)]
    words = f"The classifier names {author} for {check['agree']} of the {check['total']} passages."
    others = Counter(str(r.get("classified_as")) for r in rows if r.get("classified_as") != author)
    if others:
        words += " The others it reads as " + ", ".join(f"{name} ({n})" for name, n in others.most_common()) + "."
    return words


def describe_check(check: dict) -> str:
    """The style check in words, computed from its passages (and plain when the styles do not come through)."""
    rows = [r for r in check.get("passages", []) if isinstance(r, dict)]
    share = check["agree"] / max(check["total"], 1)
    if not rows:
        return f"The classifier agrees with {share:.0%} of the passages."
    right = Counter(r.get("style") for r in rows if r.get("style") == r.get("classified_as"))
    styles = list(dict.fromkeys(r.get("style") for r in rows))
    best = [s for s in styles if right[s] == max(right.values(), default=0) and right[s]]
    never = [s for s in styles if not right[s]]
    said, times = Counter(r.get("classified_as") for r in rows).most_common(1)[0]
    words = f"The classifier agrees with {share:.0%} of the passages (chance would be {1 / max(len(styles), 1):.0%})."
    if share < 0.8:
        words += f" Short of recognising every style: its most common verdict is {said} ({times} of {len(rows)})"
        words += f"; no passage written as {' or '.join(never)} is classified as theirs." if never else "."
    if best:
        words += f" It recognises {', '.join(best)} best."
    return words
