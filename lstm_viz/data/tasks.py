"""Synthetic long-memory tasks, generated on the fly from a seed: memory and brackets.

Both follow the task-data interface of :mod:`lstm_viz.data` (task "sequence": a class label at
some steps, -100 elsewhere) and read as plain strings, so the app's token strip shows them:

- **memory** (the long-time-lag problem of Hochreiter and Schmidhuber, "Long Short-Term Memory",
  1997): one symbol to remember, a gap of N
  distractor digits, then a query ``?``; the label at the query is the first symbol.
  Example with N = 6: ``C482910?`` -> ``C``. Training draws N uniformly from ``gap_range``;
  evaluation reports accuracy at fixed gaps (:data:`EVAL_GAPS`) on a fixed-seed set.
- **brackets** (the counter cell of Karpathy 2015 and LSTMVis): nested brackets and letters;
  the label at every step is the nesting depth after reading that character. Example:
  ``a(b(c)d)`` -> depths ``0 1 1 2 2 1 1 0``.

Nothing is stored: the same seed gives the same strings, so ``data_sha256`` hashes the
generator's parameters instead of a file.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F

from lstm_viz.engine.tokenizers import CharTokenizer

if TYPE_CHECKING:
    from lstm_viz.engine.network import SequenceModel

EVAL_GAPS = (5, 10, 20, 50, 100)  # gap lengths reported on cards and on the RNN vs LSTM page
EVAL_SEED = 20260  # fixed evaluation set, disjoint in seed from any training rng
IGNORE = -100


def _params_sha(kind: str, params: dict) -> str:
    return hashlib.sha256(json.dumps({"task": kind, **params}, sort_keys=True).encode()).hexdigest()


# --- memory: remember the first symbol across a gap ------------------------------------------


class MemoryTask:
    """``symbol, N distractors, ?`` -> the symbol, scored only at the query."""

    task = "sequence"
    symbols = "ABCD"  # what must be remembered; the class labels in head order
    distractors = "0123456789"  # what fills the gap
    query = "?"

    def __init__(
        self,
        gap_range: tuple[int, int] = (1, 100),
        log_gaps: bool = False,
        tokenizer: CharTokenizer | None = None,
        eval_per_gap: int | None = None,  # strings per gap in evaluate (default 500 full, 100 quick)
    ):
        lo, hi = gap_range
        if not 0 <= lo <= hi:
            raise ValueError(f"gap_range must be (low, high) with 0 <= low <= high, got {gap_range}")
        self.gap_range = (int(lo), int(hi))
        self.log_gaps = bool(log_gaps)
        self.eval_per_gap = eval_per_gap
        self.tokenizer = tokenizer or CharTokenizer(
            [*dict.fromkeys(self.symbols + self.distractors + self.query)], fallback="A"
        )
        self.labels = list(self.symbols)
        self.num_outputs = len(self.labels)
        self._symbol_ids = np.array([self.tokenizer.index[s] for s in self.symbols])
        self._distractor_ids = np.array([self.tokenizer.index[d] for d in self.distractors])
        self._query_id = self.tokenizer.index[self.query]
        self.data_sha256 = _params_sha(
            "memory", {"gap_range": self.gap_range, "log_gaps": self.log_gaps, "eval_seed": EVAL_SEED}
        )
        self.description = (
            f"memory task: one of {len(self.symbols)} symbols ({self.symbols}), a gap of "
            f"{lo}..{hi} ({'log-uniform' if log_gaps else 'uniform'}) random digits, then '?'; "
            f"answer = the first symbol (chance {1 / len(self.symbols):.2f}); "
            f"evaluated at gaps {', '.join(map(str, EVAL_GAPS))}"
        )

    def sample(self, gaps, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor, np.ndarray]:
        """Sequences for the given gap lengths, right-padded with digits to a common length.

        Returns ids (B, T), targets (B, T) (-100 except at each query), and the answers (B,).
        """
        gaps = np.asarray(gaps, dtype=np.int64)
        length = int(gaps.max()) + 2
        answers = rng.integers(0, len(self.symbols), size=len(gaps))
        ids = self._distractor_ids[rng.integers(0, len(self.distractors), size=(len(gaps), length))]
        ids[:, 0] = self._symbol_ids[answers]
        rows = np.arange(len(gaps))
        ids[rows, gaps + 1] = self._query_id  # padding after the query cannot leak back in time
        targets = np.full_like(ids, IGNORE)
        targets[rows, gaps + 1] = answers
        return torch.from_numpy(ids), torch.from_numpy(targets), answers

    def example(self, gap: int, seed: int = 0) -> tuple[str, str]:
        """One string with the given gap and its answer, e.g. ``("C48?", "C")``."""
        ids, _, answers = self.sample([gap], np.random.default_rng(seed))
        return self.tokenizer.decode(ids[0].tolist()), self.symbols[int(answers[0])]

    def answer(self, text: str) -> str | None:
        """The correct answer for a string of this task, or None when it is not one."""
        if len(text) < 2 or text[0] not in self.symbols or text[-1] != self.query:
            return None
        if any(c not in self.distractors for c in text[1:-1]):
            return None
        return text[0]

    def draw_gaps(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Gap lengths, uniform over ``gap_range`` (or log-uniform: short gaps common)."""
        lo, hi = self.gap_range
        if not self.log_gaps:
            return rng.integers(lo, hi + 1, size=n)
        return np.floor(np.exp(rng.uniform(np.log(lo + 1), np.log(hi + 2), size=n)) - 1).astype(np.int64).clip(lo, hi)

    def batch(self, batch_size: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        ids, targets, _ = self.sample(self.draw_gaps(batch_size, rng), rng)
        return ids, targets

    @torch.no_grad()
    def evaluate(
        self, module: SequenceModel, device: torch.device, full: bool = True, gaps=EVAL_GAPS, per_gap: int | None = None
    ) -> dict:
        """Loss and accuracy at the query on a fixed-seed set, overall and per gap length."""
        per_gap = per_gap or self.eval_per_gap or (500 if full else 100)
        was_training = module.training
        module.eval()
        rng = np.random.default_rng(EVAL_SEED)
        val_gaps = self.draw_gaps(4 * per_gap, rng)
        loss, acc = _scored(module, *self.sample(val_gaps, rng)[:2], device)
        by_gap = {}
        for gap in gaps:
            _, gap_acc = _scored(module, *self.sample(np.full(per_gap, gap), rng)[:2], device)
            by_gap[str(gap)] = round(gap_acc, 4)
        module.train(was_training)
        return {
            "val_loss": loss,
            "val_accuracy": acc,
            "val_loss_unit": "nats per query",
            "accuracy_by_gap": by_gap,
            "split": f"fixed-seed set ({EVAL_SEED}): {4 * per_gap} strings with gaps "
            f"{self.gap_range[0]}..{self.gap_range[1]}, and {per_gap} strings at each reported gap",
        }


def accuracy_by_gap(
    module: SequenceModel, data: MemoryTask, gaps=EVAL_GAPS, per_gap: int = 200, seed: int = 0
) -> dict[int, float]:
    """Accuracy at each gap on fresh strings drawn with ``seed`` (the page's 'fresh samples')."""
    rng = np.random.default_rng(seed)
    device = next(module.parameters()).device
    out = {}
    for gap in gaps:
        ids, targets, _ = data.sample(np.full(per_gap, gap), rng)
        out[int(gap)] = _scored(module, ids, targets, device)[1]
    return out


@torch.no_grad()
def _scored(
    module: SequenceModel, ids: torch.Tensor, targets: torch.Tensor, device, chunk: int = 500
) -> tuple[float, float]:
    """Mean loss and accuracy over the positions with a target; never changes the model."""
    total, correct, count = 0.0, 0, 0
    for start in range(0, len(ids), chunk):
        x, y = ids[start : start + chunk].to(device), targets[start : start + chunk].to(device)
        logits, _ = module(x)
        logits, y = logits.float().flatten(0, 1), y.flatten()
        keep = y != IGNORE
        total += F.cross_entropy(logits[keep], y[keep], reduction="sum").item()
        correct += int((logits[keep].argmax(-1) == y[keep]).sum())
        count += int(keep.sum())
    return total / max(count, 1), correct / max(count, 1)


# --- brackets: track the nesting depth -------------------------------------------------------


def bracket_depths(text: str) -> list[int]:
    """Depth after each character: '(' adds one, ')' removes one (never below zero)."""
    depth, out = 0, []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        out.append(depth)
    return out


class BracketsTask:
    """Nested brackets and letters; the label at every step is the depth after that character."""

    task = "sequence"
    letters = "abcde"

    def __init__(self, max_depth: int = 6, length: int = 64, tokenizer: CharTokenizer | None = None):
        if max_depth < 1 or length < 2:
            raise ValueError(f"need max_depth >= 1 and length >= 2, got {max_depth} and {length}")
        self.max_depth, self.length = int(max_depth), int(length)
        self.tokenizer = tokenizer or CharTokenizer(["(", ")", *self.letters], fallback="a")
        self.labels = [f"depth {d}" for d in range(self.max_depth + 1)]
        self.num_outputs = len(self.labels)
        self._open, self._close = self.tokenizer.index["("], self.tokenizer.index[")"]
        self._letter_ids = np.array([self.tokenizer.index[c] for c in self.letters])
        self.data_sha256 = _params_sha("brackets", {"max_depth": max_depth, "length": length, "eval_seed": EVAL_SEED})
        self.description = (
            f"brackets task: {length} characters of nested brackets (depth at most {max_depth}) "
            f"and letters ({self.letters}); label at every step = nesting depth"
        )

    def sample(self, batch_size: int, rng: np.random.Generator, length: int | None = None):
        """ids (B, T) and depths (B, T): a random walk that opens, closes or writes a letter."""
        length = length or self.length
        moves = rng.random((batch_size, length))
        letters = self._letter_ids[rng.integers(0, len(self.letters), size=(batch_size, length))]
        ids = np.empty((batch_size, length), dtype=np.int64)
        depths = np.empty((batch_size, length), dtype=np.int64)
        depth = np.zeros(batch_size, dtype=np.int64)
        for t in range(length):
            # open with p 0.3 and close with p 0.3 where allowed; a letter otherwise
            can_open, can_close = depth < self.max_depth, depth > 0
            opening = can_open & (moves[:, t] < 0.3)
            closing = can_close & (moves[:, t] >= 0.7)
            ids[:, t] = np.where(opening, self._open, np.where(closing, self._close, letters[:, t]))
            depth = depth + opening - closing
            depths[:, t] = depth
        return torch.from_numpy(ids), torch.from_numpy(depths)

    def example(self, seed: int = 0, length: int | None = None) -> str:
        ids, _ = self.sample(1, np.random.default_rng(seed), length)
        return self.tokenizer.decode(ids[0].tolist())

    def batch(self, batch_size: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        return self.sample(batch_size, rng)

    @torch.no_grad()
    def evaluate(self, module: SequenceModel, device: torch.device, full: bool = True) -> dict:
        """Per-step loss and accuracy on a fixed-seed set, and accuracy at each true depth."""
        n = 1000 if full else 200
        was_training = module.training
        module.eval()
        ids, depths = self.sample(n, np.random.default_rng(EVAL_SEED))
        logits, _ = module(ids.to(device))
        logits = logits.float().cpu()
        loss = F.cross_entropy(logits.flatten(0, 1), depths.flatten()).item()
        hit = logits.argmax(-1) == depths
        by_depth = {
            str(d): round(float(hit[depths == d].float().mean()), 4)
            for d in range(self.max_depth + 1)
            if (depths == d).any()
        }
        module.train(was_training)
        return {
            "val_loss": loss,
            "val_accuracy": float(hit.float().mean()),
            "val_loss_unit": "nats per character",
            "accuracy_by_depth": by_depth,
            "split": f"fixed-seed set ({EVAL_SEED}): {n} strings of {self.length} characters, every step scored",
        }
