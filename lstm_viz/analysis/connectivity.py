"""Memory connectivity: how much each earlier token drives the prediction at one step.

After "Visualizing memorization in RNNs" (Madsen, Distill 2019): the size of the gradient of the
predicted token's log-probability at step t with respect to each earlier input embedding x_s,
s <= t. A large value means the prediction would move if that token's input moved. Only the input
embeddings carry gradients here; the shared model's weights are read and never get any.
"""

from __future__ import annotations

import numpy as np
import torch


def connectivity(module, ids, step: int, target: int | None = None) -> np.ndarray:
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
