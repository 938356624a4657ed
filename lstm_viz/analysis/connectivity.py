"""Memory connectivity: how much each earlier token drives the prediction at one step.

After "Visualizing memorization in RNNs" (Madsen, Distill 2019): the size of the gradient of the
predicted token's log-probability at step t with respect to each earlier input embedding x_s,
s <= t. A large value means the prediction would move if that token's input moved. Only the input
embeddings carry gradients here; the shared model's weights are read and never get any.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

if TYPE_CHECKING:
    from lstm_viz.engine.network import SequenceModel
    from lstm_viz.store.zoo import LoadedModel


def connectivity(module: SequenceModel, ids, step: int, target: int | None = None) -> np.ndarray:
    """(step + 1,) ‖∂ log p(target at ``step``) / ∂x_s‖ for s = 0..step; ``target`` defaults to the predicted token."""
    ids = torch.tensor(np.asarray(ids), dtype=torch.long)  # a copy: a shared Trace's ids are read-only
    if ids.dim() != 1 or not 0 <= step < len(ids):
        raise ValueError(f"step must be in 0..{len(ids) - 1}, got {step}")
    with torch.enable_grad():
        x = module.embedding(ids[: step + 1]).detach().requires_grad_(True)  # (T, E), the only leaf with a gradient
        out, _ = module.rnn(x[None])
        logits = module.head(out[0, -1])
        logp = torch.log_softmax(logits.double(), dim=-1)
        target = int(torch.argmax(logits)) if target is None else int(target)
        (grad,) = torch.autograd.grad(logp[target], x)
    return grad.norm(dim=1).numpy()


@dataclass(frozen=True)
class Swap:
    letter: str  # put first
    answer: str  # what the model answers at the query
    prob: float  # how sure it is


@dataclass(frozen=True)
class QueryInfluence:
    """Where the influence on a memory-task answer sits, and whether the answer follows the first letter."""

    norms: np.ndarray  # (T,) connectivity at the query (the last step)
    answer: str
    prob: float
    swaps: list[Swap]  # the same string with each letter first

    @property
    def first_share(self) -> float:
        return float(self.norms[0] / self.norms.sum())

    @property
    def query_share(self) -> float:
        return float(self.norms[-1] / self.norms.sum())

    @property
    def last_share(self) -> float:
        """The share of the last five tokens (the query and the four digits before it)."""
        return float(self.norms[-5:].sum() / self.norms.sum())


def influence_at_query(model: LoadedModel, text: str) -> QueryInfluence:
    """Connectivity at the last step of a memory-task string (a LoadedModel), and the answer with each letter first."""
    from lstm_viz.data.tasks import MemoryTask

    ids = model.encode(text).ids
    norms = connectivity(model.module, ids, len(ids) - 1)
    probs = model.trace(text).probs[-1]
    swaps = []
    for letter in MemoryTask.symbols:
        swapped = model.trace(letter + text[1:]).probs[-1]
        swaps.append(Swap(letter, model.labels[int(np.argmax(swapped))], float(np.max(swapped))))
    return QueryInfluence(norms, model.labels[int(np.argmax(probs))], float(np.max(probs)), swaps)


def describe_influence(found: QueryInfluence) -> str:
    """What the share of the first letter means: where the influence went, and what swapping the letter does."""
    letters = ", ".join(s.letter for s in found.swaps)
    answers = ", ".join(s.answer for s in found.swaps)
    follows = all(s.answer == s.letter for s in found.swaps)
    share = found.first_share
    shown = f"{share:.1%}" if share >= 0.001 else f"below 0.1% ({share:.1e} of the total)"
    return (
        f"The first letter's share is {shown}: the gradient measures how much a small nudge of a token's input "
        f"would move the prediction now. The model answers {found.answer!r} with p = {found.prob:.4f}, and "
        f"{found.query_share:.0%} of the influence sits at the query '?', {found.last_share:.0%} in the last five "
        f"tokens. Whether the letter matters is another question, answered by swapping it: with {letters} first, "
        f"the model answers {answers}"
        + (
            ": it follows the letter across the whole gap, so the letter decides the answer even though a small "
            "nudge of it moves nothing now."
            if follows
            else ": the answer does not follow the letter."
        )
    )
