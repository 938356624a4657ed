"""Sampling text from a character language model, one character at a time.

The model reads the prime, then at every step turns its logits into a distribution
(``softmax(logits / temperature)``, optionally keeping only the ``top_k`` most likely) and
either takes the most likely character (greedy: argmax) or samples from it. The recurrent
state is carried, so each step costs one cell step, not a re-read of the whole text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from lstm_viz.tokenizers import UnknownPiece
from lstm_viz.trace import Trace

MAX_GENERATE = 2000  # characters per request: enough for a page, bounded for a shared server


@dataclass(frozen=True)
class Sampled:
    ids: list[int]  # generated ids (prime excluded)
    distributions: np.ndarray  # (N, V) the distribution each id was drawn from
    chosen_probs: np.ndarray  # (N,) probability of the chosen id under that distribution


def distribution(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None) -> torch.Tensor:
    """Probabilities (V,) from logits (V,) after temperature and top-k."""
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    scaled = logits.float() / temperature
    if top_k is not None:
        if top_k < 1:
            raise ValueError(f"top_k must be at least 1, got {top_k}")
        k = min(int(top_k), scaled.numel())
        kth = torch.topk(scaled, k).values[-1]
        scaled = scaled.masked_fill(scaled < kth, float("-inf"))
    return torch.softmax(scaled, dim=-1)


@torch.no_grad()
def sample_ids(
    module,
    prime_ids: list[int],
    length: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    greedy: bool = False,
    seed: int | None = None,
    on_step=None,
) -> Sampled:
    """Generate ``length`` ids after ``prime_ids``; ``on_step(i, id)`` is called after each."""
    if not prime_ids:
        raise ValueError("the prime needs at least one character")
    if not 1 <= length <= MAX_GENERATE:
        raise ValueError(f"length must be between 1 and {MAX_GENERATE}, got {length}")
    device = next(module.parameters()).device
    generator = torch.Generator(device="cpu")
    generator.manual_seed(int(seed) if seed is not None else int(torch.seed() % 2**63))
    logits, state = module(torch.tensor([prime_ids], device=device))
    last = logits[0, -1].cpu()
    ids, dists, chosen = [], [], []
    for i in range(length):
        probs = distribution(last, temperature, top_k)
        if greedy:
            next_id = int(torch.argmax(probs))
        else:
            next_id = int(torch.multinomial(probs, 1, generator=generator))
        ids.append(next_id)
        dists.append(probs.numpy())
        chosen.append(float(probs[next_id]))
        if on_step is not None:
            on_step(i, next_id)
        logits, state = module(torch.tensor([[next_id]], device=device), state)
        last = logits[0, -1].cpu()
    return Sampled(ids, np.stack(dists), np.asarray(chosen, dtype=np.float32))


@dataclass(frozen=True)
class Generation:
    prime: str
    generated: str
    trace: Trace  # the whole text, prime included, traced like any other text
    distributions: np.ndarray  # (N, V) what each generated character was drawn from
    chosen_probs: np.ndarray  # (N,) probability the model gave each generated character
    unknown: list[UnknownPiece]  # characters of the prime the vocabulary lacks

    @property
    def text(self) -> str:
        return self.prime + self.generated


def generate(
    loaded,
    prime: str,
    length: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    greedy: bool = False,
    seed: int | None = None,
    on_step=None,
) -> Generation:
    """Write ``length`` characters after ``prime`` with a character model (a zoo.LoadedModel)."""
    if loaded.task != "charlm":
        raise ValueError(f"{loaded.name} is a {loaded.task} model; only character models write text")
    enc = loaded.tokenizer.encode(prime)
    if len(enc) == 0:
        raise ValueError("the prime is empty: give the model at least one character to start from")
    sampled = sample_ids(loaded.module, enc.ids, length, temperature, top_k, greedy, seed, on_step)
    generated = loaded.tokenizer.decode(sampled.ids)
    return Generation(
        prime,
        generated,
        loaded.trace(prime + generated),
        sampled.distributions,
        sampled.chosen_probs,
        list(enc.unknown),
    )
