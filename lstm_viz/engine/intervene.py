"""Interventions ("what if"): hold one unit's quantity at a value and see what the model does instead.

:func:`intervene` traces a text twice, as it is and with a :class:`~lstm_viz.engine.trace.Clamp`, so a page
can show the next-token distribution (or the class probabilities) before and after, side by side.
:func:`generate_clamped` lets a language model write on from the clamped state with the clamp
still held, one step at a time with the equations of :mod:`lstm_viz.engine.cell`. The shared model is
only read: every value comes from its weights, nothing is written back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from lstm_viz.engine import cell
from lstm_viz.engine.trace import Clamp, Trace
from lstm_viz.generation.generate import check_settings, distribution


@dataclass(frozen=True)
class Intervention:
    clamp: Clamp
    before: Trace
    after: Trace

    def changed(self) -> np.ndarray:
        """(T,) total variation distance between the outputs before and after, per step (0 same, 1 disjoint)."""
        return 0.5 * np.abs(self.after.probs.astype(np.float64) - self.before.probs).sum(axis=1)

    def first_change(self, threshold: float = 0.01) -> int | None:
        """The first step whose output moved by more than ``threshold`` (None if none did)."""
        moved = np.flatnonzero(self.changed() > threshold)
        return int(moved[0]) if len(moved) else None


def intervene(model, text: str, clamp: Clamp, max_tokens: int | None = None) -> Intervention:
    """The trace of ``text`` through ``model`` (a LoadedModel) as it is, and with ``clamp`` held."""
    before = model.trace(text, max_tokens=max_tokens)
    return Intervention(clamp, before, model.trace(text, max_tokens=max_tokens, clamp=clamp))


def _step_held(x, state, weights, clamp: Clamp | None, layer: int, kind: str):
    """One step of one layer from ``state`` with ``clamp`` applied when it is this layer's: (new state, h)."""
    if kind == "lstm":
        h, c = state
        pre = x @ weights[0].T + weights[2] + h @ weights[1].T + weights[3]
        acts = torch.sigmoid(pre)
        size = len(h)
        acts[2 * size : 3 * size] = torch.tanh(pre[2 * size : 3 * size])
        if clamp is not None and clamp.layer == layer and clamp.quantity in cell.GATES:
            acts[cell.GATES.index(clamp.quantity) * size + clamp.unit] = clamp.value
        c = acts[size : 2 * size] * c + acts[:size] * acts[2 * size : 3 * size]
        if clamp is not None and clamp.layer == layer and clamp.quantity == "cell":
            c[clamp.unit] = clamp.value
        h = acts[3 * size :] * torch.tanh(c)
    else:
        h = (cell.rnn_step if kind == "rnn" else (lambda *a: cell.gru_step(*a).hidden))(x, state, *weights)
        c = None
    if clamp is not None and clamp.layer == layer and clamp.quantity == "hidden":
        h = h.clone()
        h[clamp.unit] = clamp.value
    return ((h, c) if kind == "lstm" else h), h


@torch.no_grad()
def generate_clamped(model, text: str, clamp: Clamp, length: int = 200, temperature: float = 0.8, seed: int = 0) -> str:
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
            state[k], x = _step_held(x, state[k], weights[k], held, k, cfg.cell)
        logits = params["head.weight"] @ x + params["head.bias"]
    return model.tokenizer.decode(out)
