"""The oracle: every value of a Trace against torch.nn.LSTM / nn.RNN with the same weights.

The reference is computed independently of lstm_viz.engine.trace: each layer is stepped with
``torch.nn.LSTMCell`` (which exposes c at every step, unlike the fused nn.LSTM) fed with the
reference hidden states of the layer below, and the top layer and final state are also checked
against one plain ``nn.LSTM`` forward. Tolerance: max |diff| of h and c <= 1e-5 in float32
(docs/architecture.md).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from lstm_viz.engine.cell import QUANTITIES, lstm_step, rnn_step
from lstm_viz.engine.network import ModelConfig, SequenceModel
from lstm_viz.engine.trace import trace

ATOL = 1e-5


def make_model(vocab=11, embed=8, hidden=16, layers=2, cell="lstm", task="charlm", outputs=None, seed=0):
    torch.manual_seed(seed)
    cfg = ModelConfig(
        vocab_size=vocab,
        num_outputs=outputs or vocab,
        task=task,
        cell=cell,
        embed_dim=embed,
        hidden_size=hidden,
        num_layers=layers,
    )
    model = SequenceModel(cfg)
    with torch.no_grad():  # larger than the default init, so gates saturate and cells grow
        for name, p in model.rnn.named_parameters():
            p.mul_(3.0 if "weight" in name else 2.0)
    return model.eval().requires_grad_(False)


def reference_lstm(model: SequenceModel, ids: torch.Tensor, state=None):
    """Per layer (h, c), each (T, H), by stepping nn.LSTMCell with the layer's weights."""
    cfg = model.config
    x = model.embedding(ids)  # (T, E)
    out = []
    for k in range(cfg.num_layers):
        cell = nn.LSTMCell(x.shape[1], cfg.hidden_size)
        cell.load_state_dict(
            {n: getattr(model.rnn, f"{n}_l{k}") for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
        )
        h = torch.zeros(1, cfg.hidden_size) if state is None else state[0][k][None]
        c = torch.zeros(1, cfg.hidden_size) if state is None else state[1][k][None]
        hs, cs = [], []
        for t in range(len(ids)):
            h, c = cell(x[t][None], (h, c))
            hs.append(h[0])
            cs.append(c[0])
        out.append((torch.stack(hs), torch.stack(cs)))
        x = out[-1][0]
    return out


def reference_rnn(model: SequenceModel, ids: torch.Tensor, h0=None):
    cfg = model.config
    x = model.embedding(ids)
    out = []
    for k in range(cfg.num_layers):
        cell = nn.RNNCell(x.shape[1], cfg.hidden_size, nonlinearity="tanh")
        cell.load_state_dict(
            {n: getattr(model.rnn, f"{n}_l{k}") for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
        )
        h = torch.zeros(1, cfg.hidden_size) if h0 is None else h0[k][None]
        hs = []
        for t in range(len(ids)):
            h = cell(x[t][None], h)
            hs.append(h[0])
        out.append(torch.stack(hs))
        x = out[-1]
    return out


def max_diff(a, b) -> float:
    return float(np.max(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))))


def check_against_reference(model: SequenceModel, ids: torch.Tensor, state=None, parallel=None) -> None:
    trace_state = None if state is None else [(state[0][k].numpy(), state[1][k].numpy()) for k in range(len(state[0]))]
    tr = trace(model, ids.numpy(), state=trace_state, parallel=parallel)
    with torch.no_grad():
        ref = reference_lstm(model, ids, state)
        out, (h_n, c_n) = model.rnn(
            model.embedding(ids)[None], None if state is None else (state[0][:, None], state[1][:, None])
        )
    assert len(tr.layers) == model.config.num_layers
    for k, (layer, (h_ref, c_ref)) in enumerate(zip(tr.layers, ref, strict=True)):
        assert max_diff(layer.hidden, h_ref) <= ATOL, f"layer {k} hidden"
        assert max_diff(layer.cell, c_ref) <= ATOL, f"layer {k} cell"
        assert max_diff(layer.hidden[-1], h_n[k, 0]) <= ATOL, f"layer {k} final h vs nn.LSTM"
        assert max_diff(layer.cell[-1], c_n[k, 0]) <= ATOL, f"layer {k} final c vs nn.LSTM"
        for name in QUANTITIES:
            value = layer.quantity(name)
            assert value.dtype == np.float32 and value.shape == (len(ids), model.config.hidden_size), name
    assert max_diff(tr.layers[-1].hidden, out[0]) <= ATOL  # top layer, every step, vs nn.LSTM


@pytest.mark.parametrize("length", [1, 7, 100])
@pytest.mark.parametrize("layers", [1, 2, 3])
def test_trace_matches_lstm_cell_every_step_every_layer(length, layers):
    model = make_model(layers=layers, seed=length * 10 + layers)
    ids = torch.randint(0, model.config.vocab_size, (length,), generator=torch.Generator().manual_seed(length))
    check_against_reference(model, ids)


@pytest.mark.parametrize("length", [1, 7, 100])
@pytest.mark.parametrize("layers", [1, 2, 3])
def test_trace_matches_weights_copied_from_a_plain_nn_lstm(length, layers):
    """A user's own nn.LSTM: its state_dict drops into SequenceModel.rnn unchanged."""
    torch.manual_seed(100 + layers)
    plain = nn.LSTM(5, 12, num_layers=layers, batch_first=True)
    embedding = nn.Embedding(9, 5)
    model = make_model(vocab=9, embed=5, hidden=12, layers=layers, seed=1)
    model.rnn.load_state_dict(plain.state_dict())
    model.embedding.load_state_dict(embedding.state_dict())
    ids = torch.randint(0, 9, (length,))
    tr = trace(model, ids.numpy())
    with torch.no_grad():
        out, (h_n, c_n) = plain(embedding(ids)[None])
    assert max_diff(tr.layers[-1].hidden, out[0]) <= ATOL
    for k in range(layers):
        assert max_diff(tr.layers[k].hidden[-1], h_n[k, 0]) <= ATOL
        assert max_diff(tr.layers[k].cell[-1], c_n[k, 0]) <= ATOL
    check_against_reference(model, ids)


def test_intermediate_layers_match_running_nn_lstm_layer_by_layer():
    model = make_model(layers=3, seed=7)
    ids = torch.randint(0, model.config.vocab_size, (40,))
    tr = trace(model, ids.numpy())
    x = model.embedding(ids)[None]
    with torch.no_grad():
        for k in range(3):
            single = nn.LSTM(x.shape[2], 16, batch_first=True)
            single.load_state_dict(
                {f"{n}_l0": getattr(model.rnn, f"{n}_l{k}") for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
            )
            x, _ = single(x)
            assert max_diff(tr.layers[k].hidden, x[0]) <= ATOL, f"layer {k}"
    assert max_diff(tr.layers[0].input, model.embedding(ids).detach()) == 0


@pytest.mark.parametrize("parallel", [False, True])
@pytest.mark.parametrize("length", [30, 300])
def test_non_zero_initial_state(parallel, length):
    model = make_model(layers=2, seed=3)
    g = torch.Generator().manual_seed(5)
    h0, c0 = torch.randn(2, 16, generator=g), 2 * torch.randn(2, 16, generator=g)
    ids = torch.randint(0, model.config.vocab_size, (length,), generator=g)
    check_against_reference(model, ids, state=(h0, c0), parallel=parallel)
    tr = trace(model, ids.numpy(), state=[(h0[k].numpy(), c0[k].numpy()) for k in range(2)], parallel=parallel)
    for k in range(2):
        np.testing.assert_array_equal(tr.layers[k].h_prev[0], h0[k].numpy())
        np.testing.assert_array_equal(tr.layers[k].c_prev[0], c0[k].numpy())


@pytest.mark.parametrize("parallel", [False, True])
@pytest.mark.parametrize("length", [60, 150])  # 150 steps in parallel: spans 0-63, 64-127, 128-149
def test_cell_and_hidden_equations_hold_and_previous_states_line_up(parallel, length):
    model = make_model(layers=2, seed=11)
    tr = trace(model, np.random.default_rng(0).integers(0, 11, length), parallel=parallel)
    for layer in tr.layers:
        f, i, g, o = layer.forget_gate, layer.input_gate, layer.candidate, layer.output_gate
        assert max_diff(layer.cell, f * layer.c_prev + i * g) <= 1e-6  # c_t = f c_{t-1} + i g
        assert max_diff(layer.hidden, o * np.tanh(layer.cell)) <= 1e-6  # h_t = o tanh(c_t)
        assert max_diff(layer.h_prev[1:], layer.hidden[:-1]) <= 1e-6  # h_prev[t] = h[t-1]
        np.testing.assert_array_equal(layer.c_prev[1:], layer.cell[:-1])
        np.testing.assert_array_equal(layer.h_prev[0], 0)
        np.testing.assert_array_equal(layer.c_prev[0], 0)
        # pre-activations are what the gates are squashed from, packed i, f, g, o
        sig = lambda z: 1 / (1 + np.exp(-z.astype(np.float64)))
        assert max_diff(sig(layer.gate_preactivation("forget_gate")), f) <= 1e-6
        assert max_diff(sig(layer.gate_preactivation("input_gate")), i) <= 1e-6
        assert max_diff(np.tanh(layer.gate_preactivation("candidate")), g) <= 1e-6
        assert max_diff(sig(layer.gate_preactivation("output_gate")), o) <= 1e-6
        assert layer.preactivation.shape == (length, 4 * 16)
    np.testing.assert_array_equal(tr.layers[1].input, tr.layers[0].hidden)


@pytest.mark.parametrize("layers", [1, 3])
@pytest.mark.parametrize("length", [1, 64, 65, 257, 1000])
def test_parallel_trace_matches_nn_lstm_and_the_sequential_trace(layers, length):
    """The worker-thread path (spans of steps recorded beside the fused kernel) is as exact."""
    model = make_model(layers=layers, seed=length + layers)
    ids = torch.randint(0, model.config.vocab_size, (length,), generator=torch.Generator().manual_seed(length))
    check_against_reference(model, ids, parallel=True)
    together, alone = trace(model, ids.numpy(), parallel=True), trace(model, ids.numpy(), parallel=False)
    for a, b in zip(together.layers, alone.layers, strict=True):
        for name in ("input", "h_prev", "preactivation", "c_prev", *QUANTITIES):
            assert max_diff(getattr(a, name), getattr(b, name)) <= 1e-6, name
    assert max_diff(together.probs, alone.probs) <= 1e-6


def test_the_app_setting_takes_the_parallel_path(monkeypatch):
    """One torch thread and a spare core: a long trace records on the worker, a short one here."""
    import threading

    from lstm_viz.engine import record as record_module

    threads = []
    real_record = record_module.LstmRecorder.record

    def record(self, start, end):
        threads.append(threading.current_thread().name)
        return real_record(self, start, end)

    monkeypatch.setattr(record_module.LstmRecorder, "record", record)
    monkeypatch.setattr(record_module, "spare_core", lambda: True)
    model = make_model(layers=2, seed=2)
    trace(model, np.zeros(200, dtype=np.int64))
    assert len(threads) == 2 * 4 and all(name.startswith("lstm-viz-trace") for name in threads)  # 4 spans a layer
    threads.clear()
    trace(model, np.zeros(20, dtype=np.int64))
    assert threads == [threading.current_thread().name] * 2
    threads.clear()
    monkeypatch.setattr(record_module, "spare_core", lambda: False)
    trace(model, np.zeros(200, dtype=np.int64))
    assert threads == [threading.current_thread().name] * 2


def test_cell_py_lstm_step_agrees_with_trace_at_every_step():
    model = make_model(layers=2, seed=13)
    tr = trace(model, np.random.default_rng(1).integers(0, 11, 25))
    for k, layer in enumerate(tr.layers):
        weights = [getattr(model.rnn, f"{n}_l{k}") for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
        for t in range(len(tr)):
            step = lstm_step(
                torch.tensor(layer.input[t]),
                torch.tensor(layer.h_prev[t]),
                torch.tensor(layer.c_prev[t]),
                *weights,
            )
            for name in ("input_gate", "forget_gate", "candidate", "output_gate", "cell", "hidden"):
                assert max_diff(getattr(step, name), getattr(layer, name)[t]) <= 1e-6, (k, t, name)
        # batched: all steps at once from the recorded previous states
        batched = lstm_step(
            torch.tensor(layer.input), torch.tensor(layer.h_prev), torch.tensor(layer.c_prev), *weights
        )
        assert max_diff(batched.cell, layer.cell) <= 1e-6


@pytest.mark.parametrize("layers", [1, 3])
def test_rnn_trace_matches_nn_rnn(layers):
    model = make_model(layers=layers, cell="rnn", seed=17)
    ids = torch.randint(0, 11, (50,))
    h0 = torch.randn(layers, 16)
    for state in (None, h0):
        tr = trace(model, ids.numpy(), state=None if state is None else [(h0[k].numpy(), None) for k in range(layers)])
        with torch.no_grad():
            ref = reference_rnn(model, ids, state)
            out, h_n = model.rnn(model.embedding(ids)[None], None if state is None else state[:, None])
        assert tr.cell_type == "rnn"
        for k, layer in enumerate(tr.layers):
            assert max_diff(layer.hidden, ref[k]) <= ATOL
            assert max_diff(layer.hidden[-1], h_n[k, 0]) <= ATOL
            assert layer.preactivation.shape == (50, 16)
            assert max_diff(np.tanh(layer.preactivation), layer.hidden) <= 1e-6
            assert max_diff(layer.h_prev[1:], layer.hidden[:-1]) <= 1e-6
            weights = [getattr(model.rnn, f"{n}_l{k}") for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            stepped = rnn_step(torch.tensor(layer.input), torch.tensor(layer.h_prev), *weights)
            assert max_diff(stepped, layer.hidden) <= 1e-6
            assert layer.kind == "rnn" and layer.cell is None
            with pytest.raises(ValueError, match="vanilla RNN has no forget gate"):
                layer.quantity("forget_gate")
        assert max_diff(tr.layers[-1].hidden, out[0]) <= ATOL


def test_probs_are_softmax_of_head_and_match_forward():
    model = make_model(layers=2, seed=19)
    ids = torch.randint(0, 11, (33,))
    tr = trace(model, ids.numpy())
    head = tr.layers[-1].hidden.astype(np.float64) @ model.head.weight.detach().double().numpy().T
    head += model.head.bias.detach().double().numpy()
    expected = np.exp(head - head.max(1, keepdims=True))
    expected /= expected.sum(1, keepdims=True)
    assert max_diff(tr.probs, expected) <= 1e-5
    with torch.no_grad():
        logits, _ = model(ids[None])
    assert max_diff(tr.logits, logits[0]) <= 1e-4
    assert max_diff(tr.probs, torch.softmax(logits[0], -1)) <= 1e-5
    assert tr.probs.shape == (33, 11) and tr.probs.dtype == np.float32
    np.testing.assert_allclose(tr.probs.sum(1), 1, atol=1e-5)
    np.testing.assert_array_equal(tr.token_ids, ids.numpy())


def test_classify_model_running_probabilities():
    model = make_model(task="classify", outputs=3, layers=2, seed=23)
    ids = torch.randint(0, 11, (20,))
    tr = trace(model, ids.numpy(), output_labels=["neg", "neutral", "pos"])
    assert tr.task == "classify" and tr.probs.shape == (20, 3)
    np.testing.assert_allclose(tr.probs.sum(1), 1, atol=1e-6)
    assert (tr.probs >= 0).all()
    with torch.no_grad():
        logits, _ = model(ids[None])
    assert max_diff(tr.probs, torch.softmax(logits[0], -1)) <= 1e-5
    assert tr.output_labels == ["neg", "neutral", "pos"]


def test_trace_rejects_bad_ids():
    model = make_model(layers=1)
    with pytest.raises(ValueError, match="empty"):
        trace(model, [])
    with pytest.raises(ValueError, match="1-D"):
        trace(model, [[1, 2]])
    with pytest.raises(ValueError, match=r"\[0, 11\)"):
        trace(model, [1, 11])
    with pytest.raises(ValueError, match=r"\[0, 11\)"):
        trace(model, [-1, 2])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    length=st.integers(1, 40),
    layers=st.integers(1, 3),
    hidden=st.integers(1, 24),
    embed=st.integers(1, 10),
    vocab=st.integers(1, 12),
    seed=st.integers(0, 2**16),
)
def test_random_shapes(length, layers, hidden, embed, vocab, seed):
    model = make_model(vocab=vocab, embed=embed, hidden=hidden, layers=layers, seed=seed)
    ids = torch.randint(0, vocab, (length,), generator=torch.Generator().manual_seed(seed))
    check_against_reference(model, ids)
