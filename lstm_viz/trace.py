"""Trace: every gate, cell and hidden value of a model over one input, as numpy arrays.

``trace(model, ids)`` is the only way values reach the screen. It computes exactly what
``torch.nn.LSTM`` computes with the same weights (the oracle test checks max |diff| of h and
c below 1e-5), at about the cost of one plain forward pass:

1. each layer's hidden sequence comes from the fused recurrent kernel (``torch.lstm``, the op
   behind ``nn.LSTM.forward``), which gives every ``h_{t-1}`` at once;
2. the pre-activations of all steps are then one matrix product per weight matrix:
   ``x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh``  -> (T, 4H), gate order i, f, g, o
   (for layer 0, ``x @ W_ih.T`` is a row lookup in a (vocabulary, 4H) table);
3. the gates are elementwise, and the cell ``c_t = f_t * c_{t-1} + i_t * g_t`` is a cheap
   elementwise scan over time.

With one torch thread and a spare core (how the app runs), steps 2-3 of each span of steps run
on a worker thread while step 1 runs the next span, so only the last span's work is not hidden
behind the fused kernel. The numbers are the same either way (tested).

Shapes: T steps, H units, D input size of the layer (embedding size for layer 0).
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import torch

from lstm_viz import cell
from lstm_viz.tokenizers import UnknownPiece

_PARALLEL_MIN_STEPS = 64  # below this a trace takes a few ms and a thread hand-off is not worth it
_SPANS = 4  # spans per layer in parallel: the last span's record is the only part not overlapped


def _spare_core() -> bool:
    return torch.get_num_threads() == 1 and (os.cpu_count() or 1) > 1


class _Later:
    """The sequential stand-in for the worker thread: runs what was submitted, in order, at exit.

    So without a spare core every fused kernel still runs back to back (as in ``nn.LSTM``), and
    the recording comes after them.
    """

    def __init__(self):
        self.calls: list[tuple[Future, object, tuple]] = []

    def submit(self, fn, *args) -> Future:
        future: Future = Future()
        self.calls.append((future, fn, args))
        return future

    def __enter__(self) -> _Later:
        return self

    def __exit__(self, *exc) -> None:
        for future, fn, args in self.calls if exc[0] is None else ():
            future.set_result(fn(*args))


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
    reset_gate: np.ndarray | None = None  # (T, H) r_t (GRU only; its candidate n_t is ``candidate``)
    update_gate: np.ndarray | None = None  # (T, H) z_t (GRU only)

    @property
    def hidden_size(self) -> int:
        return self.hidden.shape[1]

    @property
    def has_gates(self) -> bool:
        """True for an LSTM layer (gates and a cell state)."""
        return self.forget_gate is not None

    @property
    def kind(self) -> str:
        """ "lstm", "gru" or "rnn"."""
        return "lstm" if self.has_gates else ("gru" if self.update_gate is not None else "rnn")

    def quantity(self, name: str) -> np.ndarray:
        """One quantity by name (``cell.QUANTITIES``, or a GRU's gates), (T, H); a clear error if the layer has none."""
        names = (*cell.QUANTITIES, *cell.GRU_GATES)
        if name not in names:
            raise ValueError(f"unknown quantity {name!r}; expected one of {names}")
        value = getattr(self, name)
        if value is None:
            raise ValueError(
                f"a {'vanilla RNN' if self.kind == 'rnn' else self.kind.upper()} has no {name.replace('_', ' ')}"
            )
        return value

    def gate_preactivation(self, name: str) -> np.ndarray:
        """Pre-activation (T, H) of one gate: 'input_gate', 'forget_gate', 'candidate', ..."""
        if not self.has_gates:
            return self.preactivation
        return self.preactivation[:, cell.gate_rows(name, self.hidden_size)]

    def quantities(self) -> dict[str, np.ndarray]:
        """What this layer shows, each (T, H): f, i, g, o, c, h (LSTM) or h and its pre-activation (RNN)."""
        names = {"lstm": cell.QUANTITIES, "gru": cell.GRU_QUANTITIES, "rnn": cell.RNN_QUANTITIES}[self.kind]
        return {name: getattr(self, name) for name in names}


@dataclass(frozen=True)
class Trace:
    tokens: list[str]  # one display string per step
    token_ids: np.ndarray  # (T,) ids fed to the model
    layers: list[LayerTrace]
    logits: np.ndarray  # (T, V) or (T, C)
    probs: np.ndarray  # (T, V) next-token probabilities or (T, C) running class probs
    output_labels: list[str]  # names of the columns of probs (characters or class labels)
    task: str
    cell_type: str  # "lstm", "rnn" or "gru"
    unknown: list[UnknownPiece] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def num_layers(self) -> int:
        return len(self.layers)

    def arrays(self) -> list[np.ndarray]:
        """Every array of the trace (its layers' too)."""
        found = [self.token_ids, self.logits, self.probs]
        for layer in self.layers:
            found += [v for v in vars(layer).values() if isinstance(v, np.ndarray)]
        return found

    @property
    def nbytes(self) -> int:
        """Bytes held by the trace's arrays (views of one buffer counted once)."""
        seen, total = set(), 0
        for array in self.arrays():
            base = array.base if isinstance(array.base, np.ndarray) else array
            if id(base) not in seen:
                seen.add(id(base))
                total += base.nbytes
        return total

    def freeze(self) -> Trace:
        """Make every array read-only (a trace may be shared by many sessions); returns the trace."""
        for array in self.arrays():
            array.setflags(write=False)
        return self


class _LstmLayer:
    """One LSTM layer's arrays, filled span by span (a span is a run of consecutive steps).

    For each span the caller runs torch's fused kernel (``torch.lstm``, the op behind
    ``nn.LSTM.forward``), which gives every h_t exactly as ``nn.LSTM`` does; ``record`` then
    derives the rest from it: the pre-activations of the whole span are one GEMM,
    ``W_ih x_t + b_ih + b_hh`` (``x_part``, computed once per layer) ``+ W_hh h_{t-1}``, the gates are
    elementwise, and the cell ``c_t = f_t * c_{t-1} + i_t * g_t`` is a cheap elementwise scan.
    ``record`` of one span only reads that span's rows, so it can run on another thread while
    the fused kernel runs the next span.
    """

    def __init__(self, x: torch.Tensor, weights, x_part: Future, h0: torch.Tensor, c0: torch.Tensor):
        self.x, self.weights, self.x_part = x, weights, x_part
        steps, h = len(x), weights[1].shape[1]
        # Row t of `hs` is h_{t-1}: h_prev is hs[:-1] and hidden is hs[1:]; likewise `cs` for the cell.
        self.hs = torch.empty(steps + 1, h)
        self.cs = np.empty((steps + 1, h), np.float32)
        self.hs[0], self.cs[0] = h0, c0.numpy()
        self.acts = torch.empty(steps, 4 * h)  # the gates: sigmoid of i, f, o and tanh of g, packed i, f, g, o

    @property
    def hidden(self) -> torch.Tensor:
        return self.hs[1:]

    def fused(self, start: int, end: int, h0: torch.Tensor, c0: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Run steps [start, end) from state (h0, c0) with the fused kernel; returns the final (h, c)."""
        state = (h0[None, None], c0[None, None])
        out, h_n, c_n = torch.lstm(self.x[None, start:end], state, self.weights, True, 1, 0.0, False, False, True)
        self.hs[start + 1 : end + 1] = out[0]
        return h_n[0, 0], c_n[0, 0]

    @torch.no_grad()
    def record(self, start: int, end: int) -> None:
        """Pre-activations, gates and cell of steps [start, end); the spans before it are recorded."""
        h = self.weights[1].shape[1]
        pre = self.x_part.result()[start:end]  # a view: the pre-activations are built in place
        pre.addmm_(self.hs[start:end], self.weights[1].T)  # (T, 4H) packed i, f, g, o
        acts = self.acts[start:end]
        torch.sigmoid(pre, out=acts)
        torch.tanh(pre[:, 2 * h : 3 * h], out=acts[:, 2 * h : 3 * h])
        gates = acts.numpy()
        cell = self.cs[start + 1 : end + 1]
        np.multiply(gates[:, :h], gates[:, 2 * h : 3 * h], out=cell)  # i_t * g_t
        for f_t, c_t, c_prev in zip(gates[:, h : 2 * h], cell, self.cs[start:end], strict=True):  # sequential
            c_t += f_t * c_prev  # c_t = f_t * c_{t-1} + i_t * g_t

    def result(self) -> LayerTrace:
        h = self.weights[1].shape[1]
        gates, hs = self.acts.numpy(), self.hs.numpy()
        return LayerTrace(
            input=self.x.numpy(),
            h_prev=hs[:-1],
            preactivation=self.x_part.result().numpy(),
            hidden=hs[1:],  # the fused kernel's h_t; o_t * tanh(C_t) agrees to float rounding
            c_prev=self.cs[:-1],
            input_gate=gates[:, :h],
            forget_gate=gates[:, h : 2 * h],
            candidate=gates[:, 2 * h : 3 * h],
            output_gate=gates[:, 3 * h :],
            cell=self.cs[1:],
        )


@torch.no_grad()
def _input_part(x: torch.Tensor, weights, embedding: torch.Tensor | None, ids: torch.Tensor | None) -> torch.Tensor:
    """``W_ih x_t + b_ih + b_hh`` for every step (T, 4H).

    For layer 0 (``embedding`` and ``ids`` given) with more steps than vocabulary entries it is a
    row lookup in the (V, 4H) table ``embedding @ W_ih.T + b``, cheaper than a (T, E) x (E, 4H) GEMM.
    """
    w_ih, _, b_ih, b_hh = weights
    if embedding is not None and ids is not None and len(ids) > len(embedding):
        return torch.addmm(b_ih + b_hh, embedding, w_ih.T)[ids]
    return torch.addmm(b_ih + b_hh, x, w_ih.T)


def _trace_gru_layer(x: torch.Tensor, weights, h0: torch.Tensor) -> LayerTrace:
    """A GRU layer: h_t from the fused kernel (as nn.GRU), then the gates of all steps at once."""
    w_ih, w_hh, b_ih, b_hh = weights
    out, _ = torch.gru(x[None], h0[None, None], weights, True, 1, 0.0, False, False, True)
    h_prev = torch.cat([h0[None], out[0, :-1]])
    in_r, in_z, in_n = torch.addmm(b_ih, x, w_ih.T).chunk(3, dim=1)
    h_r, h_z, h_n = torch.addmm(b_hh, h_prev, w_hh.T).chunk(3, dim=1)
    pre_r, pre_z = in_r + h_r, in_z + h_z
    reset_gate, update_gate = torch.sigmoid(pre_r), torch.sigmoid(pre_z)
    pre_n = in_n + reset_gate * h_n  # n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))
    return LayerTrace(
        input=x.numpy(),
        h_prev=h_prev.numpy(),
        preactivation=torch.cat([pre_r, pre_z, pre_n], dim=1).numpy(),  # (T, 3H) packed r, z, n
        hidden=out[0].numpy(),
        reset_gate=reset_gate.numpy(),
        update_gate=update_gate.numpy(),
        candidate=torch.tanh(pre_n).numpy(),
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
    parallel: bool | None = None,
) -> Trace:
    """Run ``model`` (a SequenceModel) over 1-D ``ids`` and record every step.

    ``state`` optionally gives each layer's initial ``(h0, c0)`` (c0 None for an RNN);
    zeros otherwise. ``parallel`` records each span of steps on a worker thread while the fused
    kernel runs the next span (the same numbers, sooner); the default does so only when torch
    uses one thread and the machine has another core, so the two never fight for a core.
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
    embedding = params["embedding.weight"]
    x = embedding[ids]  # (T, E)
    if parallel is None:
        parallel = cfg.cell == "lstm" and len(ids) >= _PARALLEL_MIN_STEPS and _spare_core()
    # In parallel, one worker thread (never more, so a trace uses at most two cores) records each
    # span of steps while this thread runs the fused kernel over the next span.
    steps = len(ids)
    span = max(_PARALLEL_MIN_STEPS, -(-steps // _SPANS)) if parallel else steps
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lstm-viz-trace") if parallel else _Later()
    with pool:
        layers, records = [], []
        for k in range(cfg.num_layers):
            weights = cell.layer_weights(params, k)
            h = torch.zeros(cfg.hidden_size) if state is None else torch.as_tensor(state[k][0]).float()
            if cfg.cell in ("rnn", "gru"):
                layers.append((_trace_rnn_layer if cfg.cell == "rnn" else _trace_gru_layer)(x, weights, h))
                x = torch.from_numpy(layers[-1].hidden)
                continue
            c = torch.zeros(cfg.hidden_size) if state is None else torch.as_tensor(state[k][1]).float()
            table = (embedding, ids) if k == 0 else (None, None)
            layer = _LstmLayer(x, weights, pool.submit(_input_part, x, weights, *table), h, c)
            for start in range(0, steps, span):
                end = min(start + span, steps)
                h, c = layer.fused(start, end, h, c)
                records.append(pool.submit(layer.record, start, end))
            layers.append(layer)
            x = layer.hidden
        logits = torch.addmm(params["head.bias"], x, params["head.weight"].T)  # (T, V)
        probs = torch.softmax(logits, dim=-1)
    for record in records:
        record.result()  # re-raises an error of the worker here
    layer_traces = [layer.result() if isinstance(layer, _LstmLayer) else layer for layer in layers]
    return Trace(
        tokens=list(tokens) if tokens is not None else [str(i) for i in ids.tolist()],
        token_ids=ids.numpy(),
        layers=layer_traces,
        logits=logits.numpy(),
        probs=probs.numpy(),
        output_labels=list(output_labels) if output_labels is not None else [str(i) for i in range(logits.shape[1])],
        task=cfg.task,
        cell_type=cfg.cell,
        unknown=list(unknown or []),
        spans=list(spans or []),
    ).freeze()
