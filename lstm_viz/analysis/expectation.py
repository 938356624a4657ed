"""What a character model expected: the probability and surprise of each actual next character,
the top candidates at one step, and the same for generated text (the Generate page)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Expectation:
    """Teacher-forced view of a text: how likely the model found each actual next character.

    Entry ``t`` scores token ``t + 1`` with the distribution the model output at step ``t``
    (after reading tokens 0..t), so the first token is never scored: ``T - 1`` entries.
    """

    tokens: list[str]  # (T,) the text's pieces as typed
    next_ids: np.ndarray  # (T-1,) the ids the model was fed next (stand-ins for unknown pieces)
    probs: np.ndarray  # (T-1,) p(actual next token | text so far)
    surprise: np.ndarray  # (T-1,) -ln p, in nats

    @property
    def mean_nats(self) -> float:
        """Mean loss of the text: cross-entropy in nats per character (what training minimises)."""
        return float(self.surprise.mean())

    @property
    def bits_per_char(self) -> float:
        return self.mean_nats / float(np.log(2))

    @property
    def perplexity(self) -> float:
        return float(np.exp(self.mean_nats))

    @property
    def per_token(self) -> np.ndarray:
        """(T,) surprise aligned with ``tokens``: NaN for the first token, which nothing predicted."""
        return np.concatenate([[np.nan], self.surprise])


def expectation(trace) -> Expectation:
    """The actual next character's probability at every step of a character-model Trace."""
    if trace.task != "charlm":
        raise ValueError(f"only a character language model predicts the next character, not a {trace.task} model")
    if len(trace) < 2:
        raise ValueError("the text needs at least two characters: one to read and one to predict")
    next_ids = np.asarray(trace.token_ids[1:], dtype=np.int64)
    probs = trace.probs[np.arange(len(next_ids)), next_ids].astype(np.float64)  # (T-1,)
    surprise = -np.log(np.maximum(probs, np.finfo(np.float64).tiny))
    return Expectation(list(trace.tokens), next_ids, probs, surprise)


@dataclass(frozen=True)
class Candidates:
    """The most likely next characters at one step, and where the actual one ranked."""

    step: int
    labels: list[str]  # top-k, most likely first
    probs: np.ndarray  # (k,)
    actual: str | None  # the character that actually came next (None at the last step)
    actual_prob: float | None
    actual_rank: int | None  # 1 = the model's first choice


def top_candidates(trace, step: int, k: int = 10) -> Candidates:
    """Top-``k`` of the next-character distribution at ``step``, with the actual next character."""
    if not 0 <= step < len(trace):
        raise ValueError(f"step must be in 0..{len(trace) - 1}, got {step}")
    dist = trace.probs[step].astype(np.float64)
    top = np.argsort(-dist, kind="stable")[:k]
    actual = actual_prob = actual_rank = None
    if step + 1 < len(trace):
        actual_id = int(trace.token_ids[step + 1])
        actual, actual_prob = trace.output_labels[actual_id], float(dist[actual_id])
        actual_rank = int((dist > dist[actual_id]).sum()) + 1
    return Candidates(step, [trace.output_labels[i] for i in top], dist[top], actual, actual_prob, actual_rank)


def nats_per_char(probs: np.ndarray) -> float:
    """Mean of −ln p over the given probabilities: the loss in nats per character."""
    return float(np.mean(-np.log(np.maximum(np.asarray(probs, dtype=np.float64), np.finfo(np.float64).tiny))))


def generated_probs_per_token(generation, sampled: bool = True) -> np.ndarray:
    """(T,) aligned with ``generation.trace.tokens``: NaN over the prime, then :func:`generated_probs`."""
    return np.concatenate([np.full(generation.prime_length, np.nan), generated_probs(generation, sampled)])


def generated_probs(generation, sampled: bool = True) -> np.ndarray:
    """Probability of each generated character (N,): under the distribution it was drawn from
    (``sampled``: after temperature and top-k), or the model's own at temperature 1."""
    if sampled:
        return np.asarray(generation.chosen_probs, dtype=np.float64)
    start = generation.prime_length - 1  # the step that predicted the first generated character
    return expectation(generation.trace).probs[start:]
