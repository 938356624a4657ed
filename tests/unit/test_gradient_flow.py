"""Gradient flow (lstm_viz.analysis): autograd norms against finite differences through
``torch.nn.LSTM`` / ``nn.RNN`` themselves, and the product of "Applying LSTM to Text Generation"
against autograd's Jacobian."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lstm_viz.analysis import counting, gradients
from lstm_viz.engine.network import ModelConfig, SequenceModel
from lstm_viz.engine.trace import trace


def tiny(cell: str, seed: int = 0, hidden: int = 5, layers: int = 1) -> SequenceModel:
    torch.manual_seed(seed)
    model = SequenceModel(
        ModelConfig(
            vocab_size=6, num_outputs=4, task="sequence", cell=cell, embed_dim=3, hidden_size=hidden, num_layers=layers
        )
    )
    with torch.no_grad():  # larger recurrent weights so the gradients are not all tiny
        for name, p in model.named_parameters():
            if "weight_hh" in name:
                p.mul_(3.0)
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)  # like a LoadedModel: the analysis must not need gradients on it
    return model


def loss_from_state(model64, ids, t, state, target):
    """Loss at the last step when the state after step t is replaced by ``state`` (nn.RNN/nn.LSTM forward)."""
    if t == len(ids) - 1:
        h = state[0] if isinstance(state, tuple) else state
        logits = model64.head(h[-1, 0])
    else:
        logits, _ = model64(torch.as_tensor(ids[t + 1 :])[None], state)
        logits = logits[0, -1]
    return F.cross_entropy(logits[None], torch.tensor([target])).item()


def state_after(model64, ids, t):
    _, state = model64(torch.as_tensor(ids[: t + 1])[None])
    return state


@pytest.mark.parametrize("cell", ["lstm", "rnn"])
def test_gradient_norms_match_finite_differences(cell):
    model = tiny(cell, seed=3)
    model64 = copy.deepcopy(model).double()
    ids = np.array([1, 4, 2, 2, 5, 0, 3, 1, 2])
    targets = np.full(len(ids), -100)
    targets[-1] = 2
    flow = gradients.gradient_flow(model, ids, targets)
    output_gate = trace(model, ids).layers[0].output_gate if cell == "lstm" else None
    eps = 1e-6
    for t in range(len(ids)):
        state = state_after(model64, ids, t)
        for which in (0, 1) if cell == "lstm" else (0,):
            fd = np.zeros(model.config.hidden_size)
            for j in range(model.config.hidden_size):
                values = []
                for sign in (1, -1):
                    if cell == "lstm":
                        parts = [state[0].clone(), state[1].clone()]
                        parts[which][0, 0, j] += sign * eps
                        if which == 1:  # h_t = o_t tanh(c_t) follows its cell at the same step
                            parts[0][0, 0] = torch.tensor(output_gate[t], dtype=torch.float64) * torch.tanh(
                                parts[1][0, 0]
                            )
                        perturbed = tuple(parts)
                    else:
                        perturbed = state.clone()
                        perturbed[0, 0, j] += sign * eps
                    values.append(loss_from_state(model64, ids, t, perturbed, 2))
                fd[j] = (values[0] - values[1]) / (2 * eps)
            got = flow.hidden_norm[t] if which == 0 else flow.cell_norm[t]
            assert got == pytest.approx(np.linalg.norm(fd), rel=1e-5, abs=1e-9), (t, which)
            if which == 0:
                np.testing.assert_allclose(flow.hidden_grad[t], fd, rtol=1e-5, atol=1e-9)
    assert flow.loss == pytest.approx(
        loss_from_state(model64, ids, len(ids) - 1, state_after(model64, ids, len(ids) - 1), 2)
    )


def test_shared_module_is_left_untouched():
    model = tiny("lstm")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    gradients.gradient_flow(model, np.array([1, 2, 3]), np.array([-100, -100, 1]))
    assert not model.training
    assert all(not p.requires_grad and p.grad is None for p in model.parameters())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_no_target_is_a_clear_error():
    with pytest.raises(ValueError, match="no step has a target"):
        gradients.gradient_flow(tiny("rnn"), np.array([1, 2]), np.array([-100, -100]))


def test_rnn_product_equals_autograd_jacobian():
    model = tiny("rnn", seed=7, hidden=6)
    model64 = copy.deepcopy(model).double()
    ids = np.array([0, 3, 1, 5, 2, 2, 4, 1])
    tr = trace(model, ids)
    end = len(ids) - 1
    products = gradients.rnn_jacobian_products(tr.layers[0].hidden, model.rnn.weight_hh_l0.numpy())
    for t in range(end):
        h_t = state_after(model64, ids, t)

        def run_from(h, t=t):
            out, _ = model64.rnn(model64.embedding(torch.as_tensor(ids[t + 1 :]))[None], h.view(1, 1, -1))
            return out[0, -1]

        jac = torch.autograd.functional.jacobian(run_from, h_t.view(-1)).numpy()
        np.testing.assert_allclose(products[t], jac, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(products[end], np.eye(6))


def test_product_formula_reproduces_autograd_norms():
    """The product formula: ‖∂L/∂h_t‖ = ‖(∏ V^T diag(1 - h_k²)) ∂L/∂h_end‖ when only the last step is scored."""
    model = tiny("rnn", seed=11, hidden=8)
    ids = np.array([2, 1, 0, 4, 4, 3, 5, 1, 0, 2, 3, 3])
    targets = np.full(len(ids), -100)
    targets[-1] = 1
    flow = gradients.gradient_flow(model, ids, targets)
    tr = trace(model, ids)
    products = gradients.rnn_jacobian_products(tr.layers[0].hidden, model.rnn.weight_hh_l0.numpy())
    formula = gradients.propagated_error_norms(products, flow.hidden_grad[-1])
    np.testing.assert_allclose(formula, flow.hidden_norm, rtol=1e-4)
    assert gradients.gradient_ratio(flow.hidden_norm) == pytest.approx(flow.hidden_norm[0] / flow.hidden_norm[-1])


def test_spectral_radius():
    rotation = np.array([[0.0, -2.0], [2.0, 0.0]])  # eigenvalues ±2i
    assert gradients.spectral_radius(rotation) == pytest.approx(2.0)
    assert gradients.spectral_radius(np.diag([0.5, -0.9, 0.1])) == pytest.approx(0.9)


def test_forget_products_equal_loop_and_cell_path_derivative():
    rng = np.random.default_rng(0)
    f = rng.uniform(0.2, 1.0, size=(7, 3))
    products = gradients.forget_products(f)
    for t in range(7):
        np.testing.assert_allclose(products[t], np.prod(f[t + 1 :], axis=0))
    # with input and output paths cut, ∂c_end/∂c_t is exactly this product
    c0 = torch.tensor(rng.normal(size=3), requires_grad=True)
    c = c0
    for k in range(1, 7):
        c = torch.tensor(f[k]) * c + 0.3
    c.sum().backward()
    np.testing.assert_allclose(c0.grad.numpy(), products[0])
    assert list(gradients.top_memory_units(f, k=2)) == list(np.argsort(-products[0])[:2])


def test_counting_unit_finds_the_planted_counter():
    rng = np.random.default_rng(1)
    depth = np.cumsum(rng.choice([-1, 0, 1], size=200)).clip(0)
    cell = rng.normal(size=(200, 6))
    cell[:, 4] = -0.7 * depth + rng.normal(scale=0.1, size=200)
    unit, r = counting.counting_unit(cell, depth)
    assert unit == 4 and r == pytest.approx(np.corrcoef(cell[:, 4], depth)[0, 1])
    assert r < -0.95
    with pytest.raises(ValueError):
        counting.counting_unit(cell[:, :2], np.zeros(200))
