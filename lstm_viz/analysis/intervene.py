"""Interventions ("what if"): hold one unit's quantity at a value and see what the model does instead.

:func:`intervene` traces a text twice, as it is and with a :class:`~lstm_viz.engine.trace.Clamp`, so a page
can show the next-token distribution (or the class probabilities) before and after, side by side.
:func:`generate_clamped` lets a language model write on from the clamped state with the clamp
still held, one step at a time with the equations of :mod:`lstm_viz.engine.cell`. The shared model is
only read: every value comes from its weights, nothing is written back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from lstm_viz.engine import cell
from lstm_viz.engine.trace import Clamp, Trace
from lstm_viz.generation.generate import check_settings, distribution

if TYPE_CHECKING:
    from lstm_viz.store.zoo import LoadedModel


@dataclass(frozen=True)
class Intervention:
    clamp: Clamp
    before: Trace
    after: Trace

    @property
    def nbytes(self) -> int:
        return self.before.nbytes + self.after.nbytes

    def changed(self) -> np.ndarray:
        """(T,) total variation distance between the outputs before and after, per step (0 same, 1 disjoint)."""
        return 0.5 * np.abs(self.after.probs.astype(np.float64) - self.before.probs).sum(axis=1)

    def first_change(self, threshold: float = 0.01) -> int | None:
        """The first step whose output moved by more than ``threshold`` (None if none did)."""
        moved = np.flatnonzero(self.changed() > threshold)
        return int(moved[0]) if len(moved) else None


def intervene(model: LoadedModel, text: str, clamp: Clamp, max_tokens: int | None = None) -> Intervention:
    """The trace of ``text`` through ``model`` (a LoadedModel) as it is, and with ``clamp`` held."""
    before = model.trace(text, max_tokens=max_tokens)
    return Intervention(clamp, before, model.trace(text, max_tokens=max_tokens, clamp=clamp))


@torch.no_grad()
def generate_clamped(
    model: LoadedModel, text: str, clamp: Clamp, length: int = 200, temperature: float = 0.8, seed: int = 0
) -> str:
    """Characters a language model writes after ``text`` with ``clamp`` held on every step it writes."""
    if model.task != "charlm":
        raise ValueError(f"only a language model writes text, not a {model.task} model")
    check_settings(length, temperature)
    clamped = intervene(model, text, clamp).after
    cfg = model.module.config
    params = {name: p.detach().float() for name, p in model.module.named_parameters()}
    weights = [cell.layer_weights(params, k) for k in range(cfg.num_layers)]
    state = []
    for layer in clamped.layers:
        h = torch.from_numpy(layer.hidden[-1].copy())
        state.append((h, torch.from_numpy(layer.cell[-1].copy())) if cfg.cell == "lstm" else h)
    held = Clamp(clamp.layer, clamp.unit, clamp.quantity, clamp.value)  # on every written step
    logits = torch.from_numpy(clamped.logits[-1].copy())
    generator = torch.Generator().manual_seed(int(seed))
    out = []
    for _ in range(length):
        token = int(torch.multinomial(distribution(logits, temperature), 1, generator=generator))
        out.append(token)
        x = params["embedding.weight"][token]
        for k in range(cfg.num_layers):
            state[k], x = cell.next_state(cfg.cell, x, state[k], weights[k], held if held.layer == k else None)
        logits = params["head.weight"] @ x + params["head.bias"]
    return model.tokenizer.decode(out)
