"""The GRU against torch.nn.GRU, and every faster implementation of a step against the reference in cell.py.

The trace records a GRU layer with torch's fused kernel plus vectorised gates; the reference
here steps ``torch.nn.GRUCell`` by hand with the layer's weights (tolerance 1e-5, float32), and
checks the gates against the GRU equations written out independently. Generation steps with
``torch.lstm_cell`` / ``gru_cell`` / ``rnn_tanh_cell`` for speed: each is held to the reference
steps of :mod:`lstm_viz.engine.cell`.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from lstm_viz.engine import cell
from lstm_viz.engine.network import ModelConfig, SequenceModel
from lstm_viz.engine.trace import trace
from lstm_viz.generation.generate import _Stepper

ATOL = 1e-5
WEIGHTS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def model_of(kind: str, layers: int = 2, hidden: int = 12, vocab: int = 9, seed: int = 0) -> SequenceModel:
    torch.manual_seed(seed)
    cfg = ModelConfig(
        vocab_size=vocab, num_outputs=vocab, cell=kind, embed_dim=6, hidden_size=hidden, num_layers=layers
    )
    model = SequenceModel(cfg)
    with torch.no_grad():  # larger than the default init, so the gates saturate now and then
        for name, p in model.rnn.named_parameters():
            p.mul_(3.0 if "weight" in name else 2.0)
    return model.eval().requires_grad_(False)


@torch.no_grad()
def reference_gru(model: SequenceModel, ids: torch.Tensor) -> list[dict]:
    """Per layer: h (T, H) from nn.GRUCell, and r, z, n from the equations written out by hand (float64)."""
    cfg = model.config
    x = model.embedding(ids)
    out = []
    for k in range(cfg.num_layers):
        step = nn.GRUCell(x.shape[1], cfg.hidden_size)
        step.load_state_dict({n: getattr(model.rnn, f"{n}_l{k}") for n in WEIGHTS})
        w_ih, w_hh, b_ih, b_hh = (getattr(model.rnn, f"{n}_l{k}").double() for n in WEIGHTS)
        h = torch.zeros(1, cfg.hidden_size)
        rows = {"hidden": [], "reset_gate": [], "update_gate": [], "new_gate": []}
        for t in range(len(ids)):
            xt, hp = x[t].double(), h[0].double()
            H = cfg.hidden_size
            r = torch.sigmoid(w_ih[:H] @ xt + b_ih[:H] + w_hh[:H] @ hp + b_hh[:H])
            z = torch.sigmoid(w_ih[H : 2 * H] @ xt + b_ih[H : 2 * H] + w_hh[H : 2 * H] @ hp + b_hh[H : 2 * H])
            n = torch.tanh(w_ih[2 * H :] @ xt + b_ih[2 * H :] + r * (w_hh[2 * H :] @ hp + b_hh[2 * H :]))
            h = step(x[t][None], h)
            for name, value in (("hidden", h[0]), ("reset_gate", r), ("update_gate", z), ("new_gate", n)):
                rows[name].append(value.float())
            assert torch.allclose(((1 - z) * n + z * hp).float(), h[0], atol=ATOL)  # the GRU's update, by hand
        out.append({name: torch.stack(v) for name, v in rows.items()})
        x = out[-1]["hidden"]
    return out


@pytest.mark.parametrize("length", [1, 9, 120])
@pytest.mark.parametrize("layers", [1, 2])
def test_gru_trace_matches_nn_gru(length, layers):
    model = model_of("gru", layers=layers, seed=length + layers)
    ids = torch.randint(0, 9, (length,), generator=torch.Generator().manual_seed(length))
    tr = trace(model, ids.numpy())
    ref = reference_gru(model, ids)
    with torch.no_grad():
        out, h_n = model.rnn(model.embedding(ids)[None])
    for k, (layer, want) in enumerate(zip(tr.layers, ref, strict=True)):
        assert layer.kind == "gru" and list(layer.quantities()) == list(cell.GRU_QUANTITIES)
        for name, value in want.items():
            got = layer.hidden if name == "hidden" else layer.quantity(name)
            assert np.abs(got - value.numpy()).max() <= ATOL, (k, name)
        assert np.abs(layer.hidden[-1] - h_n[k, 0].numpy()).max() <= ATOL, "final h vs nn.GRU"
        assert np.array_equal(layer.h_prev[1:], layer.hidden[:-1])
    assert np.abs(tr.layers[-1].hidden - out[0].numpy()).max() <= ATOL
    with pytest.raises(ValueError, match="a GRU has no forget gate"):
        tr.layers[0].quantity("forget_gate")


def test_gru_gate_values_differ_from_each_other():
    """A guard against a test that cannot fail: r, z and n are different arrays with values in range."""
    layer = trace(model_of("gru"), np.arange(9) % 9).layers[0]
    assert not np.allclose(layer.reset_gate, layer.update_gate)
    assert layer.update_gate.min() >= 0 and layer.update_gate.max() <= 1 and np.abs(layer.new_gate).max() <= 1


@pytest.mark.parametrize("kind", cell.CELLS)
def test_generation_steps_equal_the_reference_step(kind):
    """Generation's fused cell ops (torch.lstm_cell, gru_cell, rnn_tanh_cell) against the steps of cell.py."""
    model = model_of(kind, layers=2)
    stepper = _Stepper(model)
    ids = [3, 1, 4, 1, 5, 8, 2, 6]
    _, state = stepper.prime(ids[:3])
    params = dict(model.named_parameters())
    for token in ids[3:]:
        logits, new_state = stepper.step(token, state)
        x = params["embedding.weight"][token]
        for k in range(model.config.num_layers):
            weights = cell.layer_weights(params, k)
            if kind == "lstm":
                h, c = state[k]
                ref = cell.lstm_step(x, h[0], c[0], *weights)
                assert torch.allclose(new_state[k][0][0], ref.hidden, atol=ATOL)
                assert torch.allclose(new_state[k][1][0], ref.cell, atol=ATOL)
                x = ref.hidden
            elif kind == "gru":
                x = cell.gru_step(x, state[k][0], *weights).hidden
                assert torch.allclose(new_state[k][0], x, atol=ATOL)
            else:
                x = cell.rnn_step(x, state[k][0], *weights)
                assert torch.allclose(new_state[k][0], x, atol=ATOL)
        assert torch.allclose(logits, params["head.weight"] @ x + params["head.bias"], atol=ATOL)
        state = new_state


def test_lstm_trace_equals_the_reference_step():
    """The trace's vectorised gates, step by step, against cell.lstm_step fed the trace's own h_{t-1}, c_{t-1}."""
    model = model_of("lstm", layers=2)
    tr = trace(model, np.array([2, 7, 1, 8, 2, 8, 1, 8]))
    params = dict(model.named_parameters())
    for k, layer in enumerate(tr.layers):
        weights = cell.layer_weights(params, k)
        for t in range(len(tr)):
            x, h, c = (torch.tensor(a[t]) for a in (layer.input, layer.h_prev, layer.c_prev))
            ref = cell.lstm_step(x, h, c, *weights)
            for name in cell.QUANTITIES:
                assert np.abs(getattr(layer, name)[t] - getattr(ref, name).numpy()).max() <= ATOL, (k, t, name)
