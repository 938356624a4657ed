"""Gradient flow through time: RNN versus LSTM (the RNN vs LSTM page).

In a vanilla RNN, h_k = tanh(W x_k + V h_{k-1} + b), so the error reaching h_t from step t + δ is
multiplied by δ factors V^T diag(1 - h_k^2) ("Applying LSTM to Text Generation", Leroux,
Laliberté and Frédéric Boileau); it vanishes (or explodes) as δ grows. In an LSTM the cell path
multiplies by the forget gates only: dc_k/dc_{k-1} = f_k. Everything here works on a private
float64 copy of the weights: the LoadedModel's module is shared by every session and is never
put in training mode or given gradients.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from lstm_viz.engine import cell

if TYPE_CHECKING:
    from lstm_viz.engine.network import SequenceModel


@dataclass(frozen=True)
class GradientFlow:
    """‖∂L/∂h_t‖ (and ‖∂L/∂c_t‖ for an LSTM) for every step t of one input, for one layer.

    Total derivatives: ∂L/∂c_t includes the path through h_t = o_t tanh(c_t) at the same step.
    """

    loss: float  # cross-entropy at the scored step(s)
    hidden_norm: np.ndarray  # (T,) ‖∂L/∂h_t‖
    cell_norm: np.ndarray | None  # (T,) ‖∂L/∂c_t‖ (LSTM only)
    hidden_grad: np.ndarray  # (T, H) ∂L/∂h_t itself
    scored: np.ndarray  # (T,) bool: steps whose output enters the loss


def _private_weights(module: SequenceModel) -> dict:
    # a copy that may carry gradients; the shared module's own tensors are never touched
    return {
        name: p.detach().to("cpu", torch.float64).clone().requires_grad_(True) for name, p in module.named_parameters()
    }


def gradient_flow(module: SequenceModel, ids, targets, layer: int = -1) -> GradientFlow:
    """Unroll ``module`` step by step on ``ids`` (T,) and backpropagate the cross-entropy of the
    steps where ``targets`` (T,) is not -100; returns the gradient norm at every step of ``layer``.

    ∂L/∂h_t is the total derivative: through the head at t (if scored) and through every later
    step. Computed in float64 on a private copy of the weights, stepping :func:`cell.lstm_step`
    (or :func:`cell.gru_step`, :func:`cell.rnn_step`) by hand so every h_t and c_t is a tensor whose gradient we keep.
    """
    ids = torch.as_tensor(np.asarray(ids), dtype=torch.long)
    targets = torch.as_tensor(np.asarray(targets), dtype=torch.long)
    if ids.dim() != 1 or targets.shape != ids.shape:
        raise ValueError(
            f"expected 1-D ids and targets of the same length, got {tuple(ids.shape)} and {tuple(targets.shape)}"
        )
    scored = targets != -100
    if not bool(scored.any()):
        raise ValueError("no step has a target: give at least one target that is not -100")
    cfg = module.config
    layer = layer % cfg.num_layers
    params = _private_weights(module)
    x_seq = params["embedding.weight"][ids]  # (T, E)
    hiddens, cells = [], []
    for k in range(cfg.num_layers):
        weights = cell.layer_weights(params, k)
        hidden = torch.zeros(cfg.hidden_size, dtype=torch.float64)
        cell_state = torch.zeros(cfg.hidden_size, dtype=torch.float64)
        outs = []
        for t in range(len(ids)):
            if cfg.cell == "lstm":
                step = cell.lstm_step(x_seq[t], hidden, cell_state, *weights)
                hidden, cell_state = step.hidden, step.cell
                if k == layer:
                    cell_state.retain_grad()
                    cells.append(cell_state)
            elif cfg.cell == "gru":
                hidden = cell.gru_step(x_seq[t], hidden, *weights).hidden
            else:
                hidden = cell.rnn_step(x_seq[t], hidden, *weights)
            if k == layer:
                hidden.retain_grad()
                hiddens.append(hidden)
            outs.append(hidden)
        x_seq = torch.stack(outs)
    logits = x_seq @ params["head.weight"].T + params["head.bias"]  # (T, C)
    loss = torch.nn.functional.cross_entropy(logits[scored], targets[scored])
    loss.backward()
    grad_h = torch.stack([h.grad if h.grad is not None else torch.zeros_like(h) for h in hiddens])
    grad_c = torch.stack([c.grad if c.grad is not None else torch.zeros_like(c) for c in cells]) if cells else None
    return GradientFlow(
        loss=loss.item(),
        hidden_norm=grad_h.norm(dim=1).numpy(),
        cell_norm=None if grad_c is None else grad_c.norm(dim=1).numpy(),
        hidden_grad=grad_h.numpy(),
        scored=scored.numpy(),
    )


def rnn_jacobian_products(hidden: np.ndarray, weight_hh: np.ndarray, end: int | None = None) -> np.ndarray:
    """The product of "Applying LSTM to Text Generation", evaluated numerically for a vanilla RNN layer.

    ``hidden`` (T, H) are the h_k of a Trace, ``weight_hh`` the recurrent matrix V (H, H).
    Returns J (end + 1, H, H) with J[t] = ∂h_end/∂h_t = ∏_{k=t+1}^{end} diag(1 - h_k²) V, so
    an error e at h_end reaches h_t as J[t]^T e = V^T diag(1 - h_{t+1}²) ... V^T diag(1 - h_end²) e.
    """
    hidden = np.asarray(hidden, dtype=np.float64)
    v = np.asarray(weight_hh, dtype=np.float64)
    end = len(hidden) - 1 if end is None else end
    if not 0 <= end < len(hidden):
        raise ValueError(f"end must index a step in 0..{len(hidden) - 1}, got {end}")
    out = np.empty((end + 1, v.shape[0], v.shape[0]))
    out[end] = np.eye(v.shape[0])
    for t in range(end - 1, -1, -1):  # J[t] = J[t+1] · diag(1 - h_{t+1}²) V
        out[t] = out[t + 1] @ ((1.0 - hidden[t + 1] ** 2)[:, None] * v)
    return out


def propagated_error_norms(jacobians: np.ndarray, error_at_end: np.ndarray) -> np.ndarray:
    """‖J[t]^T e‖ for every t: the size of the error ``e`` = ∂L/∂h_end after travelling back to t."""
    return np.linalg.norm(np.einsum("tij,i->tj", jacobians, np.asarray(error_at_end, dtype=np.float64)), axis=1)


def spectral_radius(matrix: np.ndarray) -> float:
    """max |eigenvalue|: above 1 the RNN's products tend to explode, below 1 to vanish."""
    return float(np.max(np.abs(np.linalg.eigvals(np.asarray(matrix, dtype=np.float64)))))


def forget_products(forget_gate: np.ndarray, end: int | None = None) -> np.ndarray:
    """(end + 1, H): ∏_{k=t+1}^{end} f_k per unit, the share of c_t still in c_end along the cell path."""
    f = np.asarray(forget_gate, dtype=np.float64)
    end = len(f) - 1 if end is None else end
    out = np.ones((end + 1, f.shape[1]))
    for t in range(end - 1, -1, -1):
        out[t] = out[t + 1] * f[t + 1]
    return out


def top_memory_units(forget_gate: np.ndarray, k: int = 5) -> np.ndarray:
    """The ``k`` units whose cell keeps most of its first value to the end (largest ∏ f)."""
    survival = forget_products(forget_gate)[0]
    return np.argsort(-survival, kind="stable")[:k]


def gradient_ratio(norms: np.ndarray) -> float:
    """‖∂L/∂h_0‖ / ‖∂L/∂h_end‖: how much of the error at the end reaches the first step."""
    return float(norms[0] / max(float(norms[-1]), 1e-300))
