"""Shared plumbing for sequence classification data: padding, last-token targets, scoring.

A classifier reads a whole text and is scored once, on the output at its last real token
(the model still produces a running prediction at every step; see :mod:`lstm_viz.engine.network`).
Batches are right-padded with the pad id: the LSTM reads left to right, so outputs at real
positions never see the padding, and the padded positions carry the target -100 (no loss).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F

if TYPE_CHECKING:
    from lstm_viz.engine.network import SequenceModel


def pad_batch(sequences: list[list[int]], labels: list[int], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(ids, targets), both (B, T): targets are -100 except the label at each last real token."""
    if not sequences or any(len(s) == 0 for s in sequences):
        raise ValueError("every sequence in a classification batch needs at least one token")
    longest = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), longest), pad_id, dtype=torch.long)
    targets = torch.full((len(sequences), longest), -100, dtype=torch.long)
    for row, (seq, label) in enumerate(zip(sequences, labels, strict=True)):
        ids[row, : len(seq)] = torch.as_tensor(seq, dtype=torch.long)
        targets[row, len(seq) - 1] = label
    return ids, targets


@torch.no_grad()
def logits_at(
    module: SequenceModel, sequences: list[list[int]], positions: list[int], pad_id: int, device, batch_size: int = 256
):
    """Class logits (N, P, C) read at each of ``positions`` (index of the token, -1 = last real)."""
    was_training = module.training
    module.eval()
    order = np.argsort([len(s) for s in sequences], kind="stable")  # similar lengths pad less
    out = [None] * len(sequences)
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        seqs = [sequences[i] for i in chunk]
        ids, _ = pad_batch(seqs, [0] * len(seqs), pad_id)
        logits, _ = module(ids.to(device))
        logits = logits.float().cpu()
        for row, i in enumerate(chunk):
            last = len(sequences[i]) - 1
            picks = [last if p == -1 else min(p, last) for p in positions]
            out[i] = logits[row, picks]
    module.train(was_training)
    return torch.stack(out)


def loss_and_accuracy(logits: torch.Tensor, labels: torch.Tensor) -> tuple[float, float]:
    """Mean cross-entropy (nats) and accuracy of (N, C) logits against (N,) labels."""
    loss = F.cross_entropy(logits, labels).item()
    accuracy = (logits.argmax(dim=1) == labels).float().mean().item()
    return loss, accuracy


def confusion_matrix(predicted, actual, num_classes: int) -> list[list[int]]:
    """Counts: row = true class, column = predicted class (label order of the card)."""
    matrix = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(matrix, (np.asarray(actual), np.asarray(predicted)), 1)
    return matrix.tolist()
