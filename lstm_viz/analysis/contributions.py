"""How a classifier decided: each unit's share of a class logit, the prior, and how much each
token moved the prediction (the Classify page)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from lstm_viz.engine.network import SequenceModel


@dataclass(frozen=True)
class Contributions:
    """How each unit of the last layer adds to one class logit at one step.

    ``logit = bias + contributions.sum()`` exactly (up to float rounding), because the head is
    linear: ``logit_c = b_c + sum_u W[c, u] * h_t[u]``.
    """

    class_index: int
    step: int
    contributions: np.ndarray  # (H,) W[c, u] * h_t[u]
    bias: float  # b_c
    logit: float  # the model's logit for class c at this step (from the Trace)

    def top_units(self, k: int = 8) -> np.ndarray:
        """Indices of the ``k`` units with the largest |contribution|, largest first."""
        order = np.argsort(-np.abs(self.contributions), kind="stable")
        return order[: max(0, k)]


def head_parameters(module: SequenceModel) -> tuple[np.ndarray, np.ndarray]:
    """The head's weight (C, H) and bias (C,) as float32 numpy arrays (read-only copy)."""
    return (
        module.head.weight.detach().float().cpu().numpy().copy(),
        module.head.bias.detach().float().cpu().numpy().copy(),
    )


def logit_contributions(
    trace, head_weight: np.ndarray, head_bias: np.ndarray, class_index: int | None = None, step: int = -1
) -> Contributions:
    """Each last-layer unit's share ``W[c, u] * h_t[u]`` of class ``c``'s logit at ``step``.

    ``class_index`` defaults to the class predicted at that step. The shares plus the bias add
    up to ``trace.logits[step, c]``.
    """
    n = len(trace.tokens)
    if not -n <= step < n:
        raise ValueError(f"step {step} is outside this trace of {n} steps")
    step = step % n
    hidden = trace.layers[-1].hidden[step]  # (H,)
    if head_weight.shape != (trace.logits.shape[1], hidden.shape[0]):
        raise ValueError(
            f"head weight has shape {head_weight.shape}; expected {(trace.logits.shape[1], hidden.shape[0])}"
        )
    if class_index is None:
        class_index = int(np.argmax(trace.logits[step]))
    shares = head_weight[class_index].astype(np.float64) * hidden.astype(np.float64)
    return Contributions(
        class_index=class_index,
        step=step,
        contributions=shares,
        bias=float(head_bias[class_index]),
        logit=float(trace.logits[step, class_index]),
    )


def prior_probabilities(head_bias: np.ndarray) -> np.ndarray:
    """Class probabilities before any token is read: the head on the zero initial state."""
    z = head_bias.astype(np.float64) - np.max(head_bias)
    return np.exp(z) / np.exp(z).sum()


def token_influence(probs: np.ndarray, class_index: int, prior: np.ndarray) -> np.ndarray:
    """(T,) how much reading each token moved class ``class_index``'s probability.

    ``probs`` is the (T, C) running prediction; the first token is compared with ``prior``
    (the prediction before reading anything).
    """
    column = np.asarray(probs, dtype=np.float64)[:, class_index]
    before = np.concatenate([[float(prior[class_index])], column[:-1]])
    return column - before
