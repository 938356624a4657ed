"""Trace: every gate, cell and hidden value of a model over one input, as numpy arrays.

``trace(model, ids)`` is the only way values reach the screen. It computes exactly what
``torch.nn.LSTM`` computes with the same weights (the oracle test checks max |diff| of h and
c below 1e-5), at about the cost of one plain forward pass:

1. each layer's hidden sequence comes from the fused recurrent kernel (``torch.lstm``, the op
   behind ``nn.LSTM.forward``), which gives every ``h_{t-1}`` at once;
2. the pre-activations of all steps are then one matrix product per weight matrix:
   ``x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh``  -> (T, 4H), gate order i, f, g, o;
3. the gates are elementwise, and the cell ``c_t = f_t * c_{t-1} + i_t * g_t`` is a cheap
   elementwise scan over time.

Shapes: T steps, H units, D input size of the layer (embedding size for layer 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from lstm_viz.tokenizers import UnknownPiece

QUANTITIES = ("forget_gate", "input_gate", "candidate", "output_gate", "cell", "hidden")


@dataclass(frozen=True)
class LayerTrace:
    input: np.ndarray  # (T, D) x_t fed to this layer
    h_prev: np.ndarray  # (T, H) h_{t-1} used at step t (zeros at t = 0)
    preactivation: np.ndarray  # (T, 4H) LSTM, packed i, f, g, o; (T, H) RNN
    hidden: np.ndarray  # (T, H) h_t
    c_prev: np.ndarray | None = None  # (T, H) C_{t-1} used at step t (LSTM only)
    input_gate: np.ndarray | None = None  # (T, H) i_t
    forget_gate: np.ndarray | None = None  # (T, H) f_t
    candidate: np.ndarray | None = None  # (T, H) g_t, the candidate C~_t
    output_gate: np.ndarray | None = None  # (T, H) o_t
    cell: np.ndarray | None = None  # (T, H) C_t

    @property
    def hidden_size(self) -> int:
        return self.hidden.shape[1]

    @property
    def has_gates(self) -> bool:
        return self.forget_gate is not None

    def quantity(self, name: str) -> np.ndarray:
        """One of QUANTITIES by name, (T, H); a clear error for gates of an RNN."""
        if name not in QUANTITIES:
            raise ValueError(f"unknown quantity {name!r}; expected one of {QUANTITIES}")
        value = getattr(self, name)
        if value is None:
            raise ValueError(f"a vanilla RNN has no {name.replace('_', ' ')}")
        return value

    def gate_preactivation(self, name: str) -> np.ndarray:
        """Pre-activation (T, H) of one gate: 'input_gate', 'forget_gate', 'candidate', ..."""
        order = ("input_gate", "forget_gate", "candidate", "output_gate")
        if not self.has_gates:
            return self.preactivation
        k, h = order.index(name), self.hidden_size
        return self.preactivation[:, k * h : (k + 1) * h]


@dataclass(frozen=True)
class Trace:
    tokens: list[str]  # one display string per step
    token_ids: np.ndarray  # (T,) ids fed to the model
    layers: list[LayerTrace]
    logits: np.ndarray  # (T, V) or (T, C)
    probs: np.ndarray  # (T, V) next-token probabilities or (T, C) running class probs
    output_labels: list[str]  # names of the columns of probs (characters or class labels)
    task: str
    cell_type: str  # "lstm" or "rnn"
    unknown: list[UnknownPiece] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def num_layers(self) -> int:
        return len(self.layers)


def _trace_lstm_layer(x: torch.Tensor, weights, h0: torch.Tensor, c0: torch.Tensor) -> LayerTrace:
    w_ih, w_hh, b_ih, b_hh = weights
    out, _, _ = torch.lstm(x[None], (h0[None, None], c0[None, None]), weights, True, 1, 0.0, False, False, True)
    h_prev = torch.cat([h0[None], out[0, :-1]])  # (T, H)
    preactivation = torch.addmm(b_ih, x, w_ih.T) + torch.addmm(b_hh, h_prev, w_hh.T)  # (T, 4H)
    pre_i, pre_f, pre_g, pre_o = preactivation.chunk(4, dim=1)
    input_gate = torch.sigmoid(pre_i).numpy()
    forget_gate = torch.sigmoid(pre_f).numpy()
    candidate = torch.tanh(pre_g).numpy()
    output_gate = torch.sigmoid(pre_o).numpy()
    cell = input_gate * candidate  # (T, H): i_t * g_t, then f_t * c_{t-1} is added in place
    kept = np.empty_like(cell[0])
    c = c0.numpy()
    for t in range(len(cell)):  # the only sequential part: T cheap elementwise steps
        np.multiply(forget_gate[t], c, out=kept)
        cell[t] += kept
        c = cell[t]
    c_prev = np.concatenate([c0.numpy()[None], cell[:-1]])
    hidden = output_gate * np.tanh(cell)
    return LayerTrace(
        input=x.numpy(),
        h_prev=h_prev.numpy(),
        preactivation=preactivation.numpy(),
        hidden=hidden,
        c_prev=c_prev,
        input_gate=input_gate,
        forget_gate=forget_gate,
        candidate=candidate,
        output_gate=output_gate,
        cell=cell,
    )


def _trace_rnn_layer(x: torch.Tensor, weights, h0: torch.Tensor) -> LayerTrace:
    w_ih, w_hh, b_ih, b_hh = weights
    out, _ = torch.rnn_tanh(x[None], h0[None, None], weights, True, 1, 0.0, False, False, True)
    h_prev = torch.cat([h0[None], out[0, :-1]])
    preactivation = torch.addmm(b_ih, x, w_ih.T) + torch.addmm(b_hh, h_prev, w_hh.T)  # (T, H)
    return LayerTrace(
        input=x.numpy(),
        h_prev=h_prev.numpy(),
        preactivation=preactivation.numpy(),
        hidden=torch.tanh(preactivation).numpy(),
    )


@torch.no_grad()
def trace(
    model: torch.nn.Module,
    ids,
    tokens: list[str] | None = None,
    output_labels: list[str] | None = None,
    unknown: list[UnknownPiece] | None = None,
    spans: list[tuple[int, int]] | None = None,
    state: list[tuple[np.ndarray, np.ndarray | None]] | None = None,
) -> Trace:
    """Run ``model`` (a SequenceModel) over 1-D ``ids`` and record every step.

    ``state`` optionally gives each layer's initial ``(h0, c0)`` (c0 None for an RNN);
    zeros otherwise.
    """
    ids = torch.as_tensor(np.asarray(ids), dtype=torch.long)
    if ids.dim() != 1:
        raise ValueError(f"expected 1-D token ids, got {ids.dim()}-D")
    if len(ids) == 0:
        raise ValueError("cannot trace an empty sequence: give at least one token")
    cfg = model.config
    if int(ids.max()) >= cfg.vocab_size or int(ids.min()) < 0:
        raise ValueError(f"token ids must lie in [0, {cfg.vocab_size}), got {int(ids.min())}..{int(ids.max())}")
    params = {name: p.detach().float().cpu() for name, p in model.named_parameters()}
    x = params["embedding.weight"][ids]  # (T, E)
    layers = []
    for k in range(cfg.num_layers):
        weights = [params[f"rnn.{n}_l{k}"] for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
        h0 = torch.zeros(cfg.hidden_size) if state is None else torch.as_tensor(state[k][0]).float()
        if cfg.cell == "lstm":
            c0 = torch.zeros(cfg.hidden_size) if state is None else torch.as_tensor(state[k][1]).float()
            layer = _trace_lstm_layer(x, weights, h0, c0)
        else:
            layer = _trace_rnn_layer(x, weights, h0)
        layers.append(layer)
        x = torch.from_numpy(layer.hidden)
    logits = torch.addmm(params["head.bias"], x, params["head.weight"].T)  # (T, V)
    probs = torch.softmax(logits, dim=-1)
    return Trace(
        tokens=list(tokens) if tokens is not None else [str(int(i)) for i in ids],
        token_ids=ids.numpy(),
        layers=layers,
        logits=logits.numpy(),
        probs=probs.numpy(),
        output_labels=list(output_labels) if output_labels is not None else [str(i) for i in range(logits.shape[1])],
        task=cfg.task,
        cell_type=cfg.cell,
        unknown=list(unknown or []),
        spans=list(spans or []),
    )
