"""How each kind of layer is recorded: torch's fused kernels for the hidden states, then every gate at once.

For an LSTM layer (:class:`LstmRecorder`), each span of steps runs torch's fused kernel
(``torch.lstm``, the op behind ``nn.LSTM.forward``), which gives every h_t exactly as ``nn.LSTM``
does; ``record`` derives the rest from it: the pre-activations of the whole span are one GEMM, the
gates are elementwise, and the cell ``c_t = f_t * c_{t-1} + i_t * g_t`` is a cheap elementwise scan.
A clamped span (an intervention) is stepped one step at a time with the equations of
:mod:`lstm_viz.engine.cell`. RNN and GRU layers are recorded in one go. Every recorder returns the fields
of a :class:`lstm_viz.engine.trace.LayerTrace` as a dict of numpy arrays.
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import torch

from lstm_viz.engine import cell

PARALLEL_MIN_STEPS = 64  # below this a trace takes a few ms and a thread hand-off is not worth it
SPANS = 4  # spans per layer in parallel: the last span's record is the only part not overlapped


def spare_core() -> bool:
    return torch.get_num_threads() == 1 and (os.cpu_count() or 1) > 1


class ImmediateExecutor:
    """An executor that runs what is submitted at once (the clamped layer needs each span before the next)."""

    def submit(self, fn, *args) -> Future:
        future: Future = Future()
        future.set_result(fn(*args))
        return future

    def __enter__(self) -> ImmediateExecutor:
        return self

    def __exit__(self, *exc) -> None:
        pass


class DeferredExecutor:
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

    def __enter__(self) -> DeferredExecutor:
        return self

    def __exit__(self, *exc) -> None:
        for future, fn, args in self.calls if exc[0] is None else ():
            future.set_result(fn(*args))


KERNELS = {"lstm": torch.lstm, "gru": torch.gru, "rnn": torch.rnn_tanh}  # the ops behind nn.LSTM / nn.GRU / nn.RNN


def fused_kernel(kind: str, x: torch.Tensor, weights, h0: torch.Tensor, c0: torch.Tensor | None = None):
    """One layer of ``kind`` over ``x`` (T, D) from ``h0`` (and ``c0``, an LSTM) with torch's fused kernel.

    Returns ``(hidden (T, H), h_n, c_n)``, each h_t exactly as ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` gives it
    (``c_n`` None but for an LSTM).
    """
    state = (h0[None, None], c0[None, None]) if kind == "lstm" else h0[None, None]
    out, *final = KERNELS[kind](
        x[None], state, weights,
        has_biases=True, num_layers=1, dropout=0.0, train=False, bidirectional=False, batch_first=True,
    )  # fmt: skip
    return out[0], final[0][0, 0], final[1][0, 0] if kind == "lstm" else None


class LstmRecorder:
    """One LSTM layer's arrays, filled span by span (a span is a run of consecutive steps).

    For each span :meth:`fused` runs torch's fused kernel (``torch.lstm``, the op behind
    ``nn.LSTM.forward``), which gives every h_t exactly as ``nn.LSTM`` does; :meth:`record` then
    derives the rest from it: the pre-activations of the whole span are one GEMM,
    ``W_ih x_t + b_ih + b_hh`` (``x_part``, computed once per layer) ``+ W_hh h_{t-1}``, the gates are
    elementwise, and the cell ``c_t = f_t * c_{t-1} + i_t * g_t`` is a cheap elementwise scan (both
    :mod:`lstm_viz.engine.cell`'s). ``record`` of one span only reads that span's rows, so it can run
    on another thread while the fused kernel runs the next span (:meth:`run`).
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

    def run(self, pool, span: int, h: torch.Tensor, c: torch.Tensor, held, pending: list[Future]) -> None:
        """Every step from state (h, c): the fused kernel span by span, each span's :meth:`record` submitted to
        ``pool`` (its future appended to ``pending``), the steps ``held`` clamps stepped by :meth:`clamped`."""
        steps = len(self.x)
        start_held, end_held = held.span(steps) if held is not None else (steps, steps)
        for start, end, how in pieces(steps, span, start_held, end_held):
            if how == "held":
                for future in pending:  # the held steps start from the recorded cell state
                    future.result()
                h, c = self.clamped(start, end, held)
            else:
                h, c = self.fused(start, end, h, c)
                pending.append(pool.submit(self.record, start, end))

    def fused(self, start: int, end: int, h0: torch.Tensor, c0: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Run steps [start, end) from state (h0, c0) with the fused kernel; returns the final (h, c)."""
        hidden, h_n, c_n = fused_kernel("lstm", self.x[start:end], self.weights, h0, c0)
        self.hs[start + 1 : end + 1] = hidden
        return h_n, c_n

    @torch.no_grad()
    def record(self, start: int, end: int) -> None:
        """Pre-activations, gates and cell of steps [start, end); the spans before it are recorded."""
        pre = self.x_part.result()[start:end]  # a view: the pre-activations are built in place
        pre.addmm_(self.hs[start:end], self.weights[1].T)  # (T, 4H) packed i, f, g, o
        gates = cell.lstm_activations(pre, out=self.acts[start:end])
        cell.lstm_cell_scan(gates.numpy(), self.cs[start : end + 1])

    @torch.no_grad()
    def clamped(self, start: int, end: int, clamp) -> tuple[torch.Tensor, torch.Tensor]:
        """Steps [start, end) one at a time with ``clamp`` held (:func:`cell.lstm_update`, in place); final (h, c)."""
        w_hh, pre_all, cs = self.weights[1], self.x_part.result(), torch.from_numpy(self.cs)
        h, c = self.hs[start], cs[start]
        for t in range(start, end):
            pre = pre_all[t].addmv_(w_hh, h)  # W_ih x_t + b_ih + b_hh + W_hh h_{t-1}, packed i, f, g, o
            stepped = cell.lstm_update(pre, c, clamp, out=(self.acts[t], cs[t + 1], self.hs[t + 1]))
            h, c = stepped.hidden, stepped.cell
        return h.clone(), c.clone()

    def result(self) -> dict:
        size = self.weights[1].shape[1]
        gates, hs = self.acts.numpy(), self.hs.numpy()
        return dict(
            kind="lstm",
            input=self.x.numpy(),
            h_prev=hs[:-1],
            preactivation=self.x_part.result().numpy(),
            hidden=hs[1:],  # the fused kernel's h_t; o_t * tanh(C_t) agrees to float rounding
            c_prev=self.cs[:-1],
            **{name: gates[:, cell.gate_rows(name, size)] for name in cell.GATES},
            cell=self.cs[1:],
        )


@torch.no_grad()
def input_part(x: torch.Tensor, weights, embedding: torch.Tensor | None, ids: torch.Tensor | None) -> torch.Tensor:
    """``W_ih x_t + b_ih + b_hh`` for every step (T, 4H).

    For layer 0 (``embedding`` and ``ids`` given) with more steps than vocabulary entries it is a
    row lookup in the (V, 4H) table ``embedding @ W_ih.T + b``, cheaper than a (T, E) x (E, 4H) GEMM.
    """
    w_ih, _, b_ih, b_hh = weights
    if embedding is not None and ids is not None and len(ids) > len(embedding):
        return torch.addmm(b_ih + b_hh, embedding, w_ih.T)[ids]
    return torch.addmm(b_ih + b_hh, x, w_ih.T)


def hidden_states(kind: str, x: torch.Tensor, weights, h0: torch.Tensor, clamp=None) -> torch.Tensor:
    """(T, H) hidden states of an RNN or GRU layer: the fused kernel, or with ``clamp`` one step at a time,
    h[unit] held in ``clamp``'s steps."""
    if clamp is None:
        return fused_kernel(kind, x, weights, h0)[0]
    start, end = clamp.span(len(x))
    h, out = h0, []
    for t in range(len(x)):
        h, _ = cell.next_state(kind, x[t], h, weights, clamp if start <= t < end else None)
        out.append(h)
    return torch.stack(out)


def _parts(x: torch.Tensor, h_prev: torch.Tensor, weights) -> tuple[torch.Tensor, torch.Tensor]:
    """``W_ih x_t + b_ih`` and ``W_hh h_{t-1} + b_hh`` of every step, each one GEMM."""
    w_ih, w_hh, b_ih, b_hh = weights
    return torch.addmm(b_ih, x, w_ih.T), torch.addmm(b_hh, h_prev, w_hh.T)


def gru_layer(x: torch.Tensor, weights, h0: torch.Tensor, clamp=None) -> dict:
    """A GRU layer: h_t from the fused kernel (as nn.GRU), then the gates of all steps at once."""
    hidden = hidden_states("gru", x, weights, h0, clamp)
    h_prev = torch.cat([h0[None], hidden[:-1]])
    gates = cell.gru_update(*_parts(x, h_prev, weights), h_prev)
    return dict(
        kind="gru",
        input=x.numpy(),
        h_prev=h_prev.numpy(),
        preactivation=gates.preactivation.numpy(),  # (T, 3H) packed r, z, n
        hidden=hidden.numpy(),
        reset_gate=gates.reset_gate.numpy(),
        update_gate=gates.update_gate.numpy(),
        new_gate=gates.new_gate.numpy(),
    )


def rnn_layer(x: torch.Tensor, weights, h0: torch.Tensor, clamp=None) -> dict:
    """A vanilla RNN layer: h_t from the fused kernel (as nn.RNN), then the pre-activations of all steps at once."""
    hidden = hidden_states("rnn", x, weights, h0, clamp)
    h_prev = torch.cat([h0[None], hidden[:-1]])
    input_side, hidden_side = _parts(x, h_prev, weights)
    return dict(
        kind="rnn",
        input=x.numpy(),
        h_prev=h_prev.numpy(),
        preactivation=(input_side + hidden_side).numpy(),  # (T, H)
        hidden=hidden.numpy(),  # tanh(pre-activation), except where a clamp held a unit
    )


@torch.no_grad()
def layers(x: torch.Tensor, params: dict, config, ids: torch.Tensor, state=None, clamp=None, parallel=None, head=None):
    """Every layer of a model over ``x`` (T, E), the embedded ``ids``: ``(each layer's fields as a dict, head(top h))``.

    ``state``, ``clamp`` and ``parallel`` are :func:`lstm_viz.engine.trace.trace`'s. In parallel, one
    worker thread (never more, so a trace uses at most two cores) records each span of steps while
    this thread runs the fused kernel over the next span, and ``head`` (the output layer) runs beside
    the last span's record.
    """
    steps = len(ids)
    if parallel is None:
        parallel = config.cell == "lstm" and steps >= PARALLEL_MIN_STEPS and spare_core()
    span = max(PARALLEL_MIN_STEPS, -(-steps // SPANS)) if parallel else steps
    if parallel:
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lstm-viz-trace")
    else:  # a clamped layer needs each span recorded before it steps on from it
        pool = DeferredExecutor() if clamp is None else ImmediateExecutor()
    recorded, pending = [], []
    with pool:
        for k in range(config.num_layers):
            weights = cell.layer_weights(params, k)
            h = torch.zeros(config.hidden_size) if state is None else torch.tensor(state[k][0], dtype=torch.float32)
            held = clamp if clamp is not None and clamp.layer == k else None
            if config.cell in ("rnn", "gru"):
                recorded.append((rnn_layer if config.cell == "rnn" else gru_layer)(x, weights, h, held))
                x = torch.from_numpy(recorded[-1]["hidden"])
                continue
            c = torch.zeros(config.hidden_size) if state is None else torch.tensor(state[k][1], dtype=torch.float32)
            table = (params["embedding.weight"], ids) if k == 0 else (None, None)
            layer = LstmRecorder(x, weights, pool.submit(input_part, x, weights, *table), h, c)
            layer.run(pool, span, h, c, held, pending)
            recorded.append(layer)
            x = layer.hidden
        top = head(x) if head is not None else x
    for future in pending:
        future.result()  # re-raises an error of the worker here
    return [layer.result() if isinstance(layer, LstmRecorder) else layer for layer in recorded], top


def pieces(steps: int, span: int, held_start: int, held_end: int) -> list[tuple[int, int, str]]:
    """Consecutive (start, end, "fused" | "held") pieces of [0, steps), [held_start, held_end) held."""
    found = []
    for lo, hi, how in ((0, held_start, "fused"), (held_start, held_end, "held"), (held_end, steps, "fused")):
        if how == "held":
            if hi > lo:
                found.append((lo, hi, how))
            continue
        found += [(s, min(s + span, hi), how) for s in range(lo, hi, span)]
    return found
