"""Text corpora for character language models: finding, splitting, batching, evaluating.

Tiny shakespeare ships in ``assets/data/`` (public domain; see assets/README.md). The standard
split is by position: the first 90% trains, the last 10% is held out, and held-out loss is
measured on that 10% read as one continuous stream with the recurrent state carried.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F

from lstm_viz import paths
from lstm_viz.engine.tokenizers import CharTokenizer

if TYPE_CHECKING:
    from lstm_viz.engine.network import SequenceModel

ASSET_DATA = paths.ASSETS / "data"
SHAKESPEARE = "tinyshakespeare.txt"


def asset_path(name: str) -> Path:
    """Path of a corpus shipped in assets/data, with a clear error when it is not there."""
    path = ASSET_DATA / name
    if not path.is_file():
        raise FileNotFoundError(f"corpus {name!r} not found in {ASSET_DATA}")
    return path


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def split_by_position(n: int, held_out: float = 0.1) -> int:
    """Index where the held-out tail starts: first (1 - held_out) trains."""
    return int(n * (1.0 - held_out))


class CharCorpus:
    """Next-character prediction on one text: random training windows, streamed evaluation."""

    task = "charlm"
    labels = None

    def __init__(
        self,
        text: str,
        seq_len: int = 128,
        held_out: float = 0.1,
        name: str = "corpus",
        tokenizer: CharTokenizer | None = None,
    ):
        if len(text) < 2 * seq_len + 2:
            raise ValueError(f"the corpus has {len(text):,} characters; at least {2 * seq_len + 2:,} are needed")
        self.tokenizer = tokenizer or CharTokenizer.from_corpus(text)
        ids = self.tokenizer.encode_ids(text)
        cut = split_by_position(len(ids), held_out)
        self.train_ids = torch.from_numpy(ids[:cut])
        self.val_ids = torch.from_numpy(ids[cut:])
        self.seq_len = seq_len
        self.data_sha256 = sha256_bytes(text.encode("utf-8"))
        self.num_outputs = len(self.tokenizer)
        held_out_text = text[len(text) - len(self.val_ids) :]
        self.sample_text = held_out_text[: held_out_text.rfind(" ", 0, 300) + 1 or 300].strip() or held_out_text[:300]
        self.description = (
            f"{name}: {len(ids):,} characters, vocabulary {len(self.tokenizer)}; "
            f"train = first {len(self.train_ids):,}, held out = last {len(self.val_ids):,} ({held_out:.0%})"
        )

    @classmethod
    def shakespeare(cls, seq_len: int = 128, tokenizer: CharTokenizer | None = None) -> CharCorpus:
        text = asset_path(SHAKESPEARE).read_text(encoding="utf-8")
        return cls(text, seq_len=seq_len, name="tiny shakespeare", tokenizer=tokenizer)

    def batch(self, batch_size: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        starts = rng.integers(0, len(self.train_ids) - self.seq_len - 1, size=batch_size)
        index = torch.from_numpy(starts[:, None] + np.arange(self.seq_len + 1))  # (B, T + 1)
        window = self.train_ids[index]
        return window[:, :-1], window[:, 1:]

    @torch.no_grad()
    def evaluate(self, module: SequenceModel, device: torch.device, full: bool = True, max_chars: int = 20000) -> dict:
        """Mean next-character loss (nats) over the held-out text as one stream, state carried."""
        ids = self.val_ids if full else self.val_ids[: max_chars + 1]
        return {
            "val_loss": stream_loss(module, ids, device),
            "val_loss_unit": "nats per character",
            "split": f"last 10% held out ({len(ids):,} characters), read as one stream with the state carried",
        }


@torch.no_grad()
def stream_loss(module: SequenceModel, ids: torch.Tensor, device: torch.device, chunk: int = 2048) -> float:
    """Average -log p(next char) over ``ids`` read left to right with the state carried."""
    was_training = module.training
    module.eval()
    state, total, count = None, 0.0, 0
    for start in range(0, len(ids) - 1, chunk):
        piece = ids[start : start + chunk + 1].to(device)
        x, y = piece[:-1][None], piece[1:][None]
        logits, state = module(x, state)
        total += F.cross_entropy(logits[0].float(), y[0], reduction="sum").item()
        count += y.numel()
    module.train(was_training)
    if count == 0:
        return math.nan
    return total / count
