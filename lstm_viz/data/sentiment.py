"""Sentence sentiment data: Yelp and Amazon reviews (UCI) plus rt-polarity movie snippets.

Sources (shipped in ``assets/data/sentiment/``, credits in assets/README.md):

- ``yelp_labelled.txt``, ``amazon_cells_labelled.txt`` (Kotzias et al. 2015, CC BY 4.0): one
  ``sentence<TAB>label`` per line, label 1 = positive; some sentences contain ``"`` and are
  not CSV-quoted, so each line is split on its *last* TAB and the sentence is stripped;
- ``rt-polarity.pos`` / ``.neg`` (Pang & Lee 2005, CC BY 4.0): one lower-cased, pre-tokenised
  snippet per line (``does n't``, ``it 's``), UTF-8.

One :class:`~lstm_viz.engine.tokenizers.WordTokenizer` serves all three: it lower-cases and splits
``doesn't`` into ``does n't`` exactly as rt-polarity writes it, so the sources share words.
The vocabulary comes from the training split only (words seen twice or more); the rest map
to ``<unk>`` and are reported. 10% of each (source, label) group is held out with a fixed
seed, so the held-out set is stratified by source and by label.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from lstm_viz.data.corpus import ASSET_DATA
from lstm_viz.data.labelled import logits_at, loss_and_accuracy, pad_batch
from lstm_viz.engine.tokenizers import WordTokenizer

if TYPE_CHECKING:
    from lstm_viz.engine.network import SequenceModel

SENTIMENT_DIR = ASSET_DATA / "sentiment"
LABELS = ["negative", "positive"]
SOURCES = ("yelp", "amazon", "rt-polarity")
SPLIT_SEED = 20261121


# Hand-written reviews for the Classify page; several turn halfway, the way real ones do.
@dataclass(frozen=True)
class Example:
    text: str
    label: int  # index into LABELS
    source: str  # one of SOURCES


def _read_uci(name: str, source: str) -> list[Example]:
    out = []
    for number, line in enumerate((SENTIMENT_DIR / name).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        text, sep, label = line.rpartition("\t")
        if not sep or label.strip() not in ("0", "1"):
            raise ValueError(f"{name} line {number}: expected 'sentence<TAB>0|1', got {line[:60]!r}")
        out.append(Example(text.strip(), int(label), source))
    return out


def _read_polarity(name: str, label: int) -> list[Example]:
    lines = (SENTIMENT_DIR / name).read_text(encoding="utf-8").splitlines()
    return [Example(line.strip(), label, "rt-polarity") for line in lines if line.strip()]


def load_examples() -> list[Example]:
    """Every labelled sentence, in file order: yelp, amazon, rt-polarity negative, positive."""
    return [
        *_read_uci("yelp_labelled.txt", "yelp"),
        *_read_uci("amazon_cells_labelled.txt", "amazon"),
        *_read_polarity("rt-polarity.neg", 0),
        *_read_polarity("rt-polarity.pos", 1),
    ]


def data_sha256() -> str:
    digest = hashlib.sha256()
    for name in ("yelp_labelled.txt", "amazon_cells_labelled.txt", "rt-polarity.neg", "rt-polarity.pos"):
        digest.update((SENTIMENT_DIR / name).read_bytes())
    return digest.hexdigest()


def stratified_split(examples: list[Example], held_out: float = 0.1, seed: int = SPLIT_SEED):
    """(train indices, held-out indices): ``held_out`` of every (source, label) group, seeded."""
    rng = np.random.default_rng(seed)
    train, val = [], []
    groups: dict[tuple[str, int], list[int]] = {}
    for i, ex in enumerate(examples):
        groups.setdefault((ex.source, ex.label), []).append(i)
    for key in sorted(groups):
        members = np.asarray(groups[key])
        rng.shuffle(members)
        n_val = round(len(members) * held_out)
        val += sorted(members[:n_val].tolist())
        train += sorted(members[n_val:].tolist())
    return sorted(train), sorted(val)


class SentimentData:
    """Word-level positive/negative classification over the three sources."""

    task = "classify"
    labels = LABELS
    num_outputs = len(LABELS)

    def __init__(
        self,
        tokenizer: WordTokenizer | None = None,
        held_out: float = 0.1,
        min_count: int = 2,
        word_dropout: float = 0.0,
    ):
        self.word_dropout = word_dropout  # training only: this share of words is read as <unk>
        self.examples = load_examples()
        self.train_index, self.val_index = stratified_split(self.examples, held_out)
        train_texts = [self.examples[i].text for i in self.train_index]
        self.tokenizer = tokenizer or WordTokenizer.from_corpus(train_texts, min_count=min_count)
        if self.tokenizer.pad not in self.tokenizer.index:
            raise ValueError(f"the sentiment tokenizer needs a {self.tokenizer.pad!r} token for padding")
        self.pad_id = self.tokenizer.index[self.tokenizer.pad]
        encoded = [self.tokenizer.encode(ex.text).ids for ex in self.examples]
        empty = {i for i, ids in enumerate(encoded) if not ids}  # nothing to read: left out
        self.train_index = [i for i in self.train_index if i not in empty]
        self.val_index = [i for i in self.val_index if i not in empty]
        self.ids = encoded
        self.data_sha256 = data_sha256()
        counts = {s: sum(1 for i in self.val_index if self.examples[i].source == s) for s in SOURCES}
        unknown = sum(ids.count(self.tokenizer.unk_id) for ids in (encoded[i] for i in self.val_index))
        total = sum(len(encoded[i]) for i in self.val_index)
        self.description = (
            f"sentiment: {len(self.examples):,} sentences (yelp, amazon, rt-polarity), word vocabulary "
            f"{len(self.tokenizer):,} from the training split; train {len(self.train_index):,}, held out "
            f"{len(self.val_index):,} (stratified 10% per source and label, seed {SPLIT_SEED}: "
            + ", ".join(f"{s} {n}" for s, n in counts.items())
            + f"; {unknown / max(total, 1):.1%} of held-out words are <unk>); training hides "
            f"{word_dropout:.0%} of words as <unk>"
        )

    def batch(self, batch_size: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        picks = rng.choice(self.train_index, size=batch_size)
        labels = [self.examples[i].label for i in picks]
        ids, targets = pad_batch([self.ids[i] for i in picks], labels, self.pad_id)
        real = ids != self.pad_id
        if self.word_dropout > 0:
            # Hiding random words makes the model read the whole sentence instead of memorising
            # a few rare words (11k training sentences, 10k words), and teaches it what <unk> means.
            hide = torch.from_numpy(rng.random(tuple(ids.shape)) < self.word_dropout) & real
            ids[hide] = self.tokenizer.unk_id
        return ids, targets

    def evaluate(self, module: SequenceModel, device: torch.device, full: bool = True) -> dict:
        """Held-out loss and accuracy overall and per source (the split is small: always all of it)."""
        index = self.val_index
        logits = logits_at(module, [self.ids[i] for i in index], [-1], self.pad_id, device)[:, 0]
        labels = torch.tensor([self.examples[i].label for i in index])
        loss, accuracy = loss_and_accuracy(logits, labels)
        metrics = {"val_loss": loss, "val_accuracy": accuracy}
        for source in SOURCES:
            rows = torch.tensor([self.examples[i].source == source for i in index])
            metrics[f"val_accuracy_{source}"] = loss_and_accuracy(logits[rows], labels[rows])[1]
        metrics["val_count"] = len(index)
        metrics["val_loss_unit"] = "nats per sentence"
        metrics["split"] = f"stratified 10% held out per source and label (seed {SPLIT_SEED})"
        return metrics
